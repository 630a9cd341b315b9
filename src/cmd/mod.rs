//! One module per subcommand; each returns the exit code it wants.

mod account;
mod bench;
mod config;
mod dash;
mod demo;
mod doctor;
mod generate;
mod key;
mod models;
mod serve;
mod usage;

use std::process::ExitCode;

use relay_core::config::{self as core_config, Config, LoadOptions, ProcessEnv};
use relay_core::paths::Paths;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let paths = Paths::resolve(cli.global.config.clone(), cli.global.data_dir.clone());
    match cli.command {
        Command::Serve(args) => serve::run(&paths, args).await,
        Command::Demo(args) => demo::run(&paths, args).await,
        Command::Dash(args) => dash::run(&paths, &args).await,
        Command::Account(cmd) => {
            crate::logging::init_stderr();
            account::run(&paths, cmd).await
        }
        Command::Key(cmd) => {
            crate::logging::init_stderr();
            key::run(&paths, cmd)
        }
        Command::Config(cmd) => {
            crate::logging::init_stderr();
            config::run(&paths, cmd)
        }
        Command::Models(args) => {
            crate::logging::init_stderr();
            models::run(&paths, &args)
        }
        Command::Usage(args) => {
            crate::logging::init_stderr();
            usage::usage(&paths, &args)
        }
        Command::Requests(args) => {
            crate::logging::init_stderr();
            usage::requests(&paths, &args)
        }
        Command::Doctor(args) => {
            crate::logging::init_stderr();
            doctor::run(&paths, &args)
        }
        Command::Bench(args) => {
            crate::logging::init_stderr();
            bench::run(args)
        }
        Command::Completions(args) => generate::completions(args.shell),
        Command::Generate(args) => generate::run(&args.out_dir),
    }
}

/// Loads the config with every layer: defaults < file < `RELAY_*` env < flags.
fn load(paths: &Paths, listen: Option<std::net::SocketAddr>) -> anyhow::Result<Config> {
    let env = ProcessEnv;
    let opts = LoadOptions {
        path: paths.config_explicit.then(|| paths.config.clone()),
        env: &env,
        listen,
    };
    core_config::load(&opts).map_err(|e| anyhow::anyhow!("invalid configuration:\n{e}"))
}

//! `relay config check|path|init`.

use std::process::ExitCode;

use relay_core::config::{self, LoadOptions, ProcessEnv};
use relay_core::paths::Paths;

use crate::cli::ConfigCommand;

pub fn run(paths: &Paths, cmd: ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Check => {
            let env = ProcessEnv;
            let opts = LoadOptions {
                path: Some(paths.config.clone()).filter(|_| paths.config_explicit),
                env: &env,
                listen: None,
            };
            match config::load(&opts) {
                Ok(c) => {
                    let source = c
                        .source
                        .as_ref()
                        .map_or("built-in defaults (no config file)".to_owned(), |p| {
                            p.display().to_string()
                        });
                    crate::output::print(&format!(
                        "config ok: {source}: {} account(s), {} group(s), {} key(s)\n",
                        c.accounts.len(),
                        c.groups.len(),
                        c.keys.len()
                    ))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    #[expect(
                        clippy::print_stderr,
                        reason = "config errors are the command's output"
                    )]
                    for e in &errors.0 {
                        eprintln!("error: {e}");
                    }
                    Ok(ExitCode::from(1))
                }
            }
        }
        ConfigCommand::Path => {
            crate::output::print(&format!(
                "config: {}\ndata: {}\nledger: {}\nlogs: {}\n",
                paths.config.display(),
                paths.data.display(),
                paths.data.join("ledger.sqlite3").display(),
                paths.logs.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Init(a) => {
            let path = &paths.config;
            if path.exists() && !a.force {
                anyhow::bail!(
                    "{} already exists; pass --force to overwrite it",
                    path.display()
                );
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
            }
            std::fs::write(path, config::starter())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            #[expect(clippy::print_stderr, reason = "user-facing confirmation")]
            {
                eprintln!(
                    "wrote a starter config to {}; edit it, then run `relay config check`",
                    path.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

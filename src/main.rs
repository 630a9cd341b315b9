//! The `relay` binary: parses the command line, sets up logging, runs one subcommand and turns
//! its outcome into an exit code (0 ok, 1 problems found, 2 error).

mod cli;
mod cmd;
mod logging;
mod output;
mod prompt;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report(&anyhow::Error::new(e).context("cannot start the async runtime"));
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cmd::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            ExitCode::from(2)
        }
    }
}

/// One readable line on stderr: the error and its causes.
fn report(e: &anyhow::Error) {
    let mut line = format!("error: {e}");
    for cause in e.chain().skip(1) {
        line.push_str(&format!(": {cause}"));
    }
    #[expect(
        clippy::print_stderr,
        reason = "the binary's one place that reports a fatal error"
    )]
    {
        eprintln!("{line}");
    }
}

//! Logging: `tracing` to stderr and, for long-running commands, to a daily-rotated file.
//! The level comes from `RELAY_LOG` (an env-filter directive, default `info`).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Name of the variable holding the log filter.
pub const LOG_ENV: &str = "RELAY_LOG";

fn filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(default))
}

/// Logs warnings and errors to stderr only (short commands).
pub fn init_stderr() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter("warn"))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Logs to `dir/relay.log.YYYY-MM-DD`, and to stderr when `stderr` (with the dashboard in the
/// same terminal it is off). Keep the guard alive until exit, or the last lines are lost.
pub fn init_file(dir: &Path, stderr: bool) -> anyhow::Result<WorkerGuard> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create log directory `{}`: {e}", dir.display()))?;
    let appender = tracing_appender::rolling::daily(dir, "relay.log");
    let (file, guard) = tracing_appender::non_blocking(appender);
    let stderr = stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr.with_max_level(tracing::Level::INFO))
            .with_target(false)
    });
    let file = tracing_subscriber::fmt::layer()
        .with_writer(file)
        .with_ansi(false);
    let _ = tracing_subscriber::registry()
        .with(filter("info"))
        .with(stderr)
        .with(file)
        .try_init();
    Ok(guard)
}

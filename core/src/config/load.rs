//! Layering: built-in defaults < config file < `RELAY_*` environment < command-line flags.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Config;
use super::duration::parse_duration;
use super::error::{ConfigError, ConfigErrors};
use super::raw::{Source, parse_listen};
use super::validate::build;

/// Where environment variables come from (the process, or a map in tests).
pub trait EnvSource {
    /// The value of `name`, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        // A value that is not UTF-8 is passed on lossily so that it fails visibly.
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }
}

impl EnvSource for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// What `load` needs besides the file.
pub struct LoadOptions<'a> {
    /// `--config` / `RELAY_CONFIG`, already resolved by the caller; None = default path.
    pub path: Option<PathBuf>,
    /// The environment (`RELAY_*` overrides).
    pub env: &'a dyn EnvSource,
    /// `--listen`, the highest layer.
    pub listen: Option<SocketAddr>,
}

/// The environment variables that override config keys, with what they set.
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        "RELAY_SERVER_LISTEN",
        "server.listen: address to listen on, e.g. 127.0.0.1:8787",
    ),
    (
        "RELAY_SERVER_MAX_BODY_BYTES",
        "server.max_body_bytes: largest accepted request body, in bytes",
    ),
    (
        "RELAY_SERVER_ALLOWED_HOSTS",
        "server.allowed_hosts: comma-separated Host header allowlist",
    ),
    (
        "RELAY_SERVER_ALLOWED_ORIGINS",
        "server.allowed_origins: comma-separated browser Origin allowlist",
    ),
    (
        "RELAY_SERVER_SHUTDOWN_GRACE",
        "server.shutdown_grace: time in-flight requests get on shutdown, e.g. 30s",
    ),
    (
        "RELAY_GATEWAY_MAX_ACCOUNT_SWITCHES",
        "gateway.max_account_switches: other accounts tried after the first",
    ),
    (
        "RELAY_GATEWAY_STICKY_TTL",
        "gateway.sticky_ttl: how long a session sticks to its account, e.g. 1h",
    ),
    (
        "RELAY_GATEWAY_KEY_WAIT_TIMEOUT",
        "gateway.key_wait_timeout: max queueing for a client key's slot, e.g. 30s",
    ),
    (
        "RELAY_GATEWAY_ACCOUNT_WAIT_TIMEOUT",
        "gateway.account_wait_timeout: max queueing for an account's slot, e.g. 30s",
    ),
    (
        "RELAY_GATEWAY_EXTRA_WAIT_SLOTS",
        "gateway.extra_wait_slots: queue length beyond concurrency before 429",
    ),
    (
        "RELAY_GATEWAY_KEEPALIVE_INTERVAL",
        "gateway.keepalive_interval: pings while queued or while the upstream is silent",
    ),
    (
        "RELAY_GATEWAY_STREAM_IDLE_TIMEOUT",
        "gateway.stream_idle_timeout: upstream silence that ends a stream, e.g. 180s",
    ),
    (
        "RELAY_GATEWAY_CONNECT_TIMEOUT",
        "gateway.connect_timeout: upstream connect timeout, e.g. 10s",
    ),
    (
        "RELAY_GATEWAY_FIRST_BYTE_TIMEOUT",
        "gateway.first_byte_timeout: max wait for the upstream's first byte, e.g. 600s",
    ),
];

/// The default config file: `config.toml` in the platform config dir
/// (`~/.config/relay/config.toml` on Linux). None when no home directory is known.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "relay").map(|d| d.config_dir().join("config.toml"))
}

/// Parses config file contents (no environment, no flags). `file` is only used in messages
/// and recorded as `Config::source`.
pub fn parse(text: &str, file: Option<&Path>) -> Result<Config, ConfigErrors> {
    let src = Source::parse(text, file)?;
    let mut errors = Vec::new();
    let raw = src.read(&mut errors);
    let config = build(raw, &src, &mut errors);
    if errors.is_empty() {
        Ok(config)
    } else {
        // File order; problems without a line last. The sort is stable.
        errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
        Err(ConfigErrors(errors))
    }
}

/// Loads the configuration: defaults, then the file, then `RELAY_*`, then flags.
///
/// With no path, the default path is used and a missing file there means "defaults"; a
/// path given explicitly must exist. All problems (file and environment) are reported.
pub fn load(opts: &LoadOptions<'_>) -> Result<Config, ConfigErrors> {
    let (path, explicit) = match &opts.path {
        Some(p) => (Some(p.clone()), true),
        None => (default_config_path(), false),
    };
    let mut errors = Vec::new();
    let mut config = Config::default();
    if let Some(path) = path {
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse(&text, Some(&path)) {
                Ok(c) => config = c,
                Err(e) => errors.extend(e.0),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound && !explicit => {}
            Err(e) => errors.push(read_error(&path, &e)),
        }
    }
    apply_env(&mut config, opts.env, &mut errors);
    if let Some(listen) = opts.listen {
        config.server.listen = listen;
    }
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(errors))
    }
}

/// The error for a config file that cannot be read.
pub(super) fn read_error(path: &Path, e: &io::Error) -> ConfigError {
    let why = match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::InvalidData => "the file is not valid UTF-8 text".to_owned(),
        _ => e.to_string(),
    };
    ConfigError::file(path, format!("cannot read config file: {why}"))
}

/// Applies every `RELAY_*` override that is set; an empty value counts as unset.
fn apply_env(config: &mut Config, env: &dyn EnvSource, errors: &mut Vec<ConfigError>) {
    for (name, _) in ENV_VARS {
        let Some(value) = env.var(name) else { continue };
        let is_list = name.ends_with("_ALLOWED_HOSTS") || name.ends_with("_ALLOWED_ORIGINS");
        if value.trim().is_empty() && !is_list {
            continue;
        }
        if let Err(message) = apply_var(config, name, &value) {
            errors.push(ConfigError::new(*name, message));
        }
    }
}

fn int<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("expected a non-negative integer, found `{value}`"))
}

fn dur(value: &str) -> Result<Duration, String> {
    parse_duration(value)
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Sets the config key behind one `RELAY_*` variable.
fn apply_var(c: &mut Config, name: &str, value: &str) -> Result<(), String> {
    let (s, g) = (&mut c.server, &mut c.gateway);
    match name {
        "RELAY_SERVER_LISTEN" => s.listen = parse_listen(value)?,
        "RELAY_SERVER_MAX_BODY_BYTES" => {
            s.max_body_bytes = int(value)?;
            if s.max_body_bytes == 0 {
                return Err("must be greater than 0".to_owned());
            }
        }
        "RELAY_SERVER_ALLOWED_HOSTS" => s.allowed_hosts = list(value),
        "RELAY_SERVER_ALLOWED_ORIGINS" => s.allowed_origins = list(value),
        "RELAY_SERVER_SHUTDOWN_GRACE" => s.shutdown_grace = dur(value)?,
        "RELAY_GATEWAY_MAX_ACCOUNT_SWITCHES" => g.max_account_switches = int(value)?,
        "RELAY_GATEWAY_STICKY_TTL" => g.sticky_ttl = dur(value)?,
        "RELAY_GATEWAY_KEY_WAIT_TIMEOUT" => g.key_wait_timeout = dur(value)?,
        "RELAY_GATEWAY_ACCOUNT_WAIT_TIMEOUT" => g.account_wait_timeout = dur(value)?,
        "RELAY_GATEWAY_EXTRA_WAIT_SLOTS" => g.extra_wait_slots = int(value)?,
        "RELAY_GATEWAY_KEEPALIVE_INTERVAL" => g.keepalive_interval = dur(value)?,
        "RELAY_GATEWAY_STREAM_IDLE_TIMEOUT" => g.stream_idle_timeout = dur(value)?,
        "RELAY_GATEWAY_CONNECT_TIMEOUT" => g.connect_timeout = dur(value)?,
        "RELAY_GATEWAY_FIRST_BYTE_TIMEOUT" => g.first_byte_timeout = dur(value)?,
        _ => return Err("not a relay setting".to_owned()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::TestResult;
    use super::*;

    #[test]
    fn every_env_var_is_handled() -> TestResult {
        for (name, _) in ENV_VARS {
            let handled = ["127.0.0.1:1", "5s", "7"].iter().any(|sample| {
                let mut c = Config::default();
                apply_var(&mut c, name, sample).is_ok() && c != Config::default()
            });
            assert!(handled, "{name} is not applied");
        }
        Ok(())
    }
}

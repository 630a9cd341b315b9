//! Where relay's files live: config file, data dir (ledger, admin token), log dir. Platform
//! defaults come from the `directories` crate; `--config`/`RELAY_CONFIG` and
//! `--data-dir`/`RELAY_DATA_DIR` override them.

use std::path::PathBuf;

/// Resolved file locations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    /// The config file (may not exist).
    pub config: PathBuf,
    /// Whether the config path was given explicitly (then a missing file is an error).
    pub config_explicit: bool,
    /// Data dir: ledger, admin token.
    pub data: PathBuf,
    /// Daily-rotated log files.
    pub logs: PathBuf,
}

impl Paths {
    /// Resolves the paths. With an explicit data dir, logs go to `DATA_DIR/logs` so that one
    /// directory holds everything a relay instance writes.
    pub fn resolve(config: Option<PathBuf>, data: Option<PathBuf>) -> Self {
        let dirs = directories::ProjectDirs::from("", "", "relay");
        let config_explicit = config.is_some();
        let config = config
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().join("config.toml")))
            .unwrap_or_else(|| PathBuf::from("relay.toml"));
        let data_explicit = data.is_some();
        let data = data
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".relay"));
        let logs = if data_explicit {
            data.join("logs")
        } else {
            dirs.as_ref()
                .and_then(|d| d.state_dir().map(|s| s.join("logs")))
                .unwrap_or_else(|| data.join("logs"))
        };
        Self {
            config,
            config_explicit,
            data,
            logs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_and_logs_follow_an_explicit_data_dir() {
        let p = Paths::resolve(Some("/x/c.toml".into()), Some("/d".into()));
        assert_eq!(p.config, PathBuf::from("/x/c.toml"));
        assert!(p.config_explicit);
        assert_eq!(p.logs, PathBuf::from("/d/logs"));
        let p = Paths::resolve(None, None);
        assert!(!p.config_explicit);
        assert!(p.config.ends_with("relay/config.toml") || p.config.as_os_str() == "relay.toml");
    }
}

//! Where relay's files live: config file, data dir (ledger, admin token), log dir, and how a
//! file there is replaced atomically. Platform defaults come from the `directories` crate;
//! `--config`/`RELAY_CONFIG` and `--data-dir`/`RELAY_DATA_DIR` override them.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The permissions a replaced file gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// 0600 (secrets, credentials).
    Private,
    /// Those of the file it replaces (new files: the process's default).
    KeepExisting,
}

/// Replaces `path` with `bytes` atomically: a temp file beside it, flushed to disk, renamed
/// over the original; the directory is flushed too. The directory must exist.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Mode) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut random = [0u8; 6];
    let _ = crate::ids::random_bytes(&mut random);
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = dir.join(format!(".{name}.{suffix}.tmp"));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if mode == Mode::Private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if mode == Mode::KeepExisting
            && let Ok(meta) = std::fs::metadata(path)
        {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    } else if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    result
}

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

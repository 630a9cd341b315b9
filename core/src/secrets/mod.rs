//! Upstream credentials: resolving a [`SecretRef`] (keyring, env var, file) into a [`Secret`]
//! whose `Debug`, `Display` and `Serialize` never show the value, and the private-file helpers
//! the stores share.

pub mod store;

use std::fmt;
use std::path::Path;

pub use store::{Choice, Store};

use crate::config::{EnvSource, SecretRef};

/// A secret value. Shown as `[REDACTED]` by `Debug` and `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must send it (an upstream auth header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[REDACTED]")
    }
}

/// Why a secret could not be resolved (never contains the value).
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// `env:VAR` names a variable that is unset or empty.
    #[error("environment variable `{0}` is not set (the account's secret is `env:{0}`)")]
    EnvMissing(String),
    /// `file:PATH` could not be read.
    #[error("cannot read secret file `{path}`: {source}")]
    File {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("secret file `{0}` is empty")]
    FileEmpty(String),
    /// No OS keyring answers.
    #[error("no OS keyring is available: {0}")]
    KeyringUnavailable(String),
    /// The keyring refused an operation.
    #[error("the OS keyring failed: {0}")]
    Keyring(String),
    /// The fallback file store cannot be read or written.
    #[error("secret store `{path}`: {message}")]
    StoreFile {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// `RELAY_SECRET_STORE` names no store.
    #[error("RELAY_SECRET_STORE = `{0}` is not a secret store; use auto, keyring or file")]
    BadStoreChoice(String),
    /// `secret = "keyring"` but nothing is stored for the account.
    #[error(
        "no secret stored for account `{account}` in the {store}; run `relay account add {account} ...` (or set `secret = \"env:VAR\"`)"
    )]
    NotStored {
        /// The account.
        account: String,
        /// Which store was asked.
        store: String,
    },
}

/// Resolves the secret reference of `account` now; `secret = "keyring"` asks `store` (opened
/// only when needed).
pub fn resolve(
    r: &SecretRef,
    account: &str,
    env: &dyn EnvSource,
    store: &dyn Fn() -> Result<std::sync::Arc<Store>, SecretError>,
) -> Result<Secret, SecretError> {
    match r {
        SecretRef::Env(var) => match env.var(var) {
            Some(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_owned())),
            _ => Err(SecretError::EnvMissing(var.clone())),
        },
        SecretRef::File(path) => read_file(path),
        SecretRef::Keyring => {
            let store = store()?;
            store.get(account)?.ok_or_else(|| SecretError::NotStored {
                account: account.to_owned(),
                store: store.describe(),
            })
        }
    }
}

/// The store entry holding the password of an account's proxy (`relay account add --proxy`
/// keeps it out of the config file).
pub fn proxy_entry(account: &str) -> String {
    format!("{account}.proxy")
}

/// Holds an exclusive lock on `path` (created 0600 when missing) until dropped. Other
/// processes that lock the same file wait.
pub fn lock_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    file.lock()?;
    Ok(file)
}

/// Replaces `path` with `bytes` atomically, mode 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::paths::write_atomic(path, bytes, crate::paths::Mode::Private)
}

fn read_file(path: &Path) -> Result<Secret, SecretError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SecretError::File {
        path: shown.clone(),
        source,
    })?;
    let value = text.trim();
    if value.is_empty() {
        return Err(SecretError::FileEmpty(shown));
    }
    Ok(Secret(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("sk-ant-canary-123");
        assert_eq!(format!("{s:?} {s}"), "[REDACTED] [REDACTED]");
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""[REDACTED]""#);
    }

    fn no_store() -> Result<std::sync::Arc<Store>, SecretError> {
        Err(SecretError::KeyringUnavailable("test".into()))
    }

    #[test]
    fn env_and_file_refs_resolve() {
        let mut env = HashMap::new();
        env.insert("K".to_owned(), "  v1\n".to_owned());
        assert_eq!(
            resolve(&SecretRef::Env("K".into()), "a", &env, &no_store)
                .unwrap()
                .expose(),
            "v1"
        );
        let e = resolve(&SecretRef::Env("NOPE".into()), "a", &env, &no_store).unwrap_err();
        assert!(e.to_string().contains("`NOPE` is not set"));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        std::fs::write(&p, "file-secret\n").unwrap();
        assert_eq!(
            resolve(&SecretRef::File(p), "a", &env, &no_store)
                .unwrap()
                .expose(),
            "file-secret"
        );
        let store = std::sync::Arc::new(Store::memory());
        let memory = || Ok(std::sync::Arc::clone(&store));
        let e = resolve(&SecretRef::Keyring, "a", &env, &memory).unwrap_err();
        assert!(e.to_string().contains("relay account add a"), "{e}");
        store.set("a", &Secret::new("kr")).unwrap();
        assert_eq!(
            resolve(&SecretRef::Keyring, "a", &env, &memory)
                .unwrap()
                .expose(),
            "kr"
        );
    }
}

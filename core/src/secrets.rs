//! Upstream credentials: resolving a [`SecretRef`] (env var, file) into a [`Secret`] whose
//! `Debug`/`Display` never show the value.

use std::fmt;
use std::path::Path;

use crate::config::{EnvSource, SecretRef};

/// A secret value. Shown as `[REDACTED]` by `Debug` and `Display`.
#[derive(Clone)]
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
    /// Keyring storage arrives with account management.
    #[error(
        "secrets in the OS keyring are not supported yet; set `secret = \"env:VAR\"` or \
         `secret = \"file:PATH\"` for this account"
    )]
    KeyringUnsupported,
}

/// Resolves a secret reference now.
pub fn resolve(r: &SecretRef, env: &dyn EnvSource) -> Result<Secret, SecretError> {
    match r {
        SecretRef::Env(var) => match env.var(var) {
            Some(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_owned())),
            _ => Err(SecretError::EnvMissing(var.clone())),
        },
        SecretRef::File(path) => read_file(path),
        SecretRef::Keyring => Err(SecretError::KeyringUnsupported),
    }
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
    }

    #[test]
    fn env_and_file_refs_resolve() {
        let mut env = HashMap::new();
        env.insert("K".to_owned(), "  v1\n".to_owned());
        assert_eq!(
            resolve(&SecretRef::Env("K".into()), &env).unwrap().expose(),
            "v1"
        );
        let e = resolve(&SecretRef::Env("NOPE".into()), &env).unwrap_err();
        assert!(e.to_string().contains("`NOPE` is not set"));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        std::fs::write(&p, "file-secret\n").unwrap();
        assert_eq!(
            resolve(&SecretRef::File(p), &env).unwrap().expose(),
            "file-secret"
        );
        assert!(matches!(
            resolve(&SecretRef::Keyring, &env),
            Err(SecretError::KeyringUnsupported)
        ));
    }
}

//! Where `secret = "keyring"` secrets live: the OS keyring (service `relay`, one entry per
//! account), or, where no keyring is reachable, `DATA_DIR/secrets.json` (0600 in a 0700
//! directory). An in-memory store serves tests. The store is chosen once, by
//! `RELAY_SECRET_STORE` (`auto` | `keyring` | `file`), and says which one it is.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Secret, SecretError};

/// Keyring service name of every entry.
pub const SERVICE: &str = "relay";
/// The fallback file's name in the data dir.
pub const FILE_NAME: &str = "secrets.json";

/// Which store to use (`RELAY_SECRET_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Choice {
    /// The OS keyring when one answers, else the file (with a warning).
    #[default]
    Auto,
    /// The OS keyring or an error.
    Keyring,
    /// The file, without trying the keyring.
    File,
}

impl Choice {
    /// Parses `auto`, `keyring` or `file`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "" | "auto" => Some(Self::Auto),
            "keyring" => Some(Self::Keyring),
            "file" => Some(Self::File),
            _ => None,
        }
    }
}

/// The secret store.
pub struct Store {
    backend: Backend,
    /// Why the keyring was not used, when it was tried and the file serves instead.
    fallback_reason: Option<String>,
    /// Where lock files for refreshing a login live (the data dir; none in memory).
    lock_dir: Option<PathBuf>,
}

enum Backend {
    #[cfg(all(target_os = "linux", feature = "os-keyring"))]
    Keyring(Arc<keyring_core::CredentialStore>),
    File(PathBuf),
    Memory(Mutex<BTreeMap<String, String>>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Store {
    /// Opens the store `choice` asks for, with the file in `data_dir`.
    pub fn open(data_dir: &Path, choice: Choice) -> Result<Self, SecretError> {
        Self::open_with(data_dir, choice, os_keyring)
    }

    fn open_with(
        data_dir: &Path,
        choice: Choice,
        os_keyring: impl Fn() -> Result<Backend, SecretError>,
    ) -> Result<Self, SecretError> {
        let file = data_dir.join(FILE_NAME);
        match choice {
            Choice::File => Ok(Self {
                backend: Backend::File(file),
                fallback_reason: None,
                lock_dir: Some(data_dir.to_path_buf()),
            }),
            Choice::Keyring => os_keyring().map(|backend| Self {
                backend,
                fallback_reason: None,
                lock_dir: Some(data_dir.to_path_buf()),
            }),
            Choice::Auto => match os_keyring() {
                Ok(backend) => Ok(Self {
                    backend,
                    fallback_reason: None,
                    lock_dir: Some(data_dir.to_path_buf()),
                }),
                Err(e) => Ok(Self {
                    backend: Backend::File(file),
                    fallback_reason: Some(match e {
                        SecretError::KeyringUnavailable(why) => why,
                        other => other.to_string(),
                    }),
                    lock_dir: Some(data_dir.to_path_buf()),
                }),
            },
        }
    }

    /// Opens the store named by `RELAY_SECRET_STORE` (default `auto`).
    pub fn from_env(
        data_dir: &Path,
        env: &dyn crate::config::EnvSource,
    ) -> Result<Self, SecretError> {
        let raw = env.var("RELAY_SECRET_STORE").unwrap_or_default();
        let choice = Choice::parse(&raw).ok_or_else(|| SecretError::BadStoreChoice(raw.clone()))?;
        Self::open(data_dir, choice)
    }

    /// A store in memory only (tests).
    pub fn memory() -> Self {
        Self {
            backend: Backend::Memory(Mutex::new(BTreeMap::new())),
            fallback_reason: None,
            lock_dir: None,
        }
    }

    /// The lock file that serializes refreshing `account`'s login across relay processes
    /// (`DATA_DIR/ACCOUNT.login-lock`); none for the in-memory store.
    pub fn login_lock(&self, account: &str) -> Option<PathBuf> {
        self.lock_dir
            .as_ref()
            .map(|d| d.join(format!("{account}.login-lock")))
    }

    /// Which store this is, in words (for `relay doctor` and logs).
    pub fn describe(&self) -> String {
        match &self.backend {
            #[cfg(all(target_os = "linux", feature = "os-keyring"))]
            Backend::Keyring(_) => "OS keyring (Secret Service)".to_owned(),
            Backend::File(p) => match &self.fallback_reason {
                Some(why) => format!("file {} (no OS keyring: {why})", p.display()),
                None => format!("file {}", p.display()),
            },
            Backend::Memory(_) => "memory (tests)".to_owned(),
        }
    }

    /// Whether this is the fallback file although the keyring was wanted.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// The secret stored for `account`, if any.
    pub fn get(&self, account: &str) -> Result<Option<Secret>, SecretError> {
        match &self.backend {
            #[cfg(all(target_os = "linux", feature = "os-keyring"))]
            Backend::Keyring(store) => {
                let entry = keyring_core::Entry::new_in_store(store, SERVICE, account)
                    .map_err(keyring_error)?;
                match entry.get_password() {
                    Ok(v) => Ok(Some(Secret::new(v))),
                    Err(keyring_core::Error::NoEntry) => Ok(None),
                    Err(e) => Err(keyring_error(e)),
                }
            }
            Backend::File(path) => Ok(read_file(path)?.remove(account).map(Secret::new)),
            Backend::Memory(m) => Ok(lock(m).get(account).cloned().map(Secret::new)),
        }
    }

    /// Stores `secret` for `account`, replacing what was there. Returns a warning to show the
    /// user once, when this write created the fallback file.
    pub fn set(&self, account: &str, secret: &Secret) -> Result<Option<String>, SecretError> {
        match &self.backend {
            #[cfg(all(target_os = "linux", feature = "os-keyring"))]
            Backend::Keyring(store) => {
                let entry = keyring_core::Entry::new_in_store(store, SERVICE, account)
                    .map_err(keyring_error)?;
                entry.set_password(secret.expose()).map_err(keyring_error)?;
                Ok(None)
            }
            Backend::File(path) => {
                let created = !path.exists();
                update_file(path, |m| {
                    m.insert(account.to_owned(), secret.expose().to_owned());
                })?;
                Ok(created.then(|| {
                    format!(
                        "secrets are stored in {} (mode 0600){}; anyone who can read your files as you can read them",
                        path.display(),
                        self.fallback_reason
                            .as_ref()
                            .map(|why| format!(" because no OS keyring is available ({why})"))
                            .unwrap_or_default()
                    )
                }))
            }
            Backend::Memory(m) => {
                lock(m).insert(account.to_owned(), secret.expose().to_owned());
                Ok(None)
            }
        }
    }

    /// Deletes the secret of `account`; returns whether there was one.
    pub fn delete(&self, account: &str) -> Result<bool, SecretError> {
        match &self.backend {
            #[cfg(all(target_os = "linux", feature = "os-keyring"))]
            Backend::Keyring(store) => {
                let entry = keyring_core::Entry::new_in_store(store, SERVICE, account)
                    .map_err(keyring_error)?;
                match entry.delete_credential() {
                    Ok(()) => Ok(true),
                    Err(keyring_core::Error::NoEntry) => Ok(false),
                    Err(e) => Err(keyring_error(e)),
                }
            }
            Backend::File(path) => {
                if !path.exists() {
                    return Ok(false);
                }
                let mut had = false;
                update_file(path, |m| had = m.remove(account).is_some())?;
                Ok(had)
            }
            Backend::Memory(m) => Ok(lock(m).remove(account).is_some()),
        }
    }
}

fn lock(
    m: &Mutex<BTreeMap<String, String>>,
) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The OS keyring, when one answers within a few seconds.
fn os_keyring() -> Result<Backend, SecretError> {
    #[cfg(all(target_os = "linux", feature = "os-keyring"))]
    {
        // A session bus without a Secret Service can take D-Bus's activation timeout (25 s)
        // to say so: probe on a thread and give up sooner.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("relay-keyring-probe".into())
            .spawn(move || {
                let probe =
                    || -> Result<Arc<keyring_core::CredentialStore>, keyring_core::Error> {
                        let store: Arc<keyring_core::CredentialStore> =
                            zbus_secret_service_keyring_store::Store::new()?;
                        let entry =
                            keyring_core::Entry::new_in_store(&store, SERVICE, "relay-probe")?;
                        match entry.get_password() {
                            Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(store),
                            Err(e) => Err(e),
                        }
                    };
                let _ = tx.send(probe());
            })
            .map_err(|e| SecretError::KeyringUnavailable(e.to_string()))?;
        match rx.recv_timeout(std::time::Duration::from_secs(5)) {
            Ok(Ok(store)) => Ok(Backend::Keyring(store)),
            Ok(Err(e)) => Err(SecretError::KeyringUnavailable(one_line(&e))),
            Err(_) => Err(SecretError::KeyringUnavailable(
                "the Secret Service did not answer within 5 s".to_owned(),
            )),
        }
    }
    #[cfg(not(all(target_os = "linux", feature = "os-keyring")))]
    {
        Err(SecretError::KeyringUnavailable(
            "this build has no OS keyring support for this platform".to_owned(),
        ))
    }
}

#[cfg(all(target_os = "linux", feature = "os-keyring"))]
fn keyring_error(e: keyring_core::Error) -> SecretError {
    SecretError::Keyring(one_line(&e))
}

#[cfg(all(target_os = "linux", feature = "os-keyring"))]
fn one_line(e: &keyring_core::Error) -> String {
    // Never the secret: keyring errors that carry bytes (bad encodings) are summarized.
    match e {
        keyring_core::Error::BadEncoding(_) => "the stored secret is not valid UTF-8".to_owned(),
        keyring_core::Error::BadDataFormat(..) => "the stored secret is malformed".to_owned(),
        other => other.to_string().replace('\n', " "),
    }
}

/// The file store's content: account → secret.
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, SecretError> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| SecretError::StoreFile {
            path: path.display().to_string(),
            message: format!("not a JSON object of strings (line {})", e.line()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(SecretError::StoreFile {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
    }
}

/// Read-modify-write of the file store under an exclusive lock on `secrets.json.lock`, written
/// atomically with mode 0600 (the directory is created 0700).
fn update_file(
    path: &Path,
    f: impl FnOnce(&mut BTreeMap<String, String>),
) -> Result<(), SecretError> {
    let err = |e: std::io::Error| SecretError::StoreFile {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        crate::ledger::create_private_dir(dir).map_err(err)?;
    }
    let _lock = super::lock_file(&path.with_extension("json.lock")).map_err(err)?;
    let mut map = read_file(path)?;
    f(&mut map);
    let text = serde_json::to_vec_pretty(&map).map_err(|e| SecretError::StoreFile {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    super::write_private(path, &text).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_round_trip_private_and_warns_once() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let store = Store::open(&data, Choice::File).unwrap();
        assert!(store.get("a").unwrap().is_none());
        let warning = store.set("a", &Secret::new("sk-one")).unwrap();
        assert!(warning.unwrap().contains("secrets.json"));
        assert!(store.set("b", &Secret::new("sk-two")).unwrap().is_none());
        assert_eq!(store.get("a").unwrap().unwrap().expose(), "sk-one");
        assert!(store.delete("a").unwrap());
        assert!(!store.delete("a").unwrap());
        assert_eq!(store.get("b").unwrap().unwrap().expose(), "sk-two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&data.join(FILE_NAME)), 0o600);
            assert_eq!(mode(&data), 0o700);
        }
        assert!(store.describe().contains("secrets.json"));
    }

    #[test]
    fn auto_falls_back_to_the_file_and_says_why() {
        // The real keyring is never touched: a keyring that is not there is simulated.
        let dir = tempfile::tempdir().unwrap();
        let absent = || Err(SecretError::KeyringUnavailable("no session bus".to_owned()));
        let store = Store::open_with(dir.path(), Choice::Auto, absent).unwrap();
        assert_eq!(store.fallback_reason(), Some("no session bus"));
        assert!(store.describe().contains("no OS keyring: no session bus"));
        let w = store.set("a", &Secret::new("v")).unwrap().unwrap();
        assert!(w.contains("because no OS keyring is available"), "{w}");
        let e = Store::open_with(dir.path(), Choice::Keyring, absent).unwrap_err();
        assert!(e.to_string().contains("no session bus"), "{e}");
        let file = Store::open_with(dir.path(), Choice::File, absent).unwrap();
        assert!(file.fallback_reason().is_none());
    }

    #[test]
    fn choices_parse() {
        assert_eq!(Choice::parse(""), Some(Choice::Auto));
        assert_eq!(Choice::parse("file"), Some(Choice::File));
        assert_eq!(Choice::parse("keyring"), Some(Choice::Keyring));
        assert_eq!(Choice::parse("vault"), None);
    }

    /// The real OS keyring, where one runs (CI starts a private Secret Service for it with
    /// `dbus-run-session` and `gnome-keyring-daemon`; see `.ci/run`). Never run by default:
    /// tests do not touch a developer's keyring.
    #[test]
    #[ignore = "needs a Secret Service; run with RELAY_TEST_REAL_KEYRING=1 -- --ignored"]
    fn real_os_keyring_round_trip() {
        if std::env::var("RELAY_TEST_REAL_KEYRING").as_deref() != Ok("1") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Choice::Keyring).unwrap();
        assert_eq!(store.describe(), "OS keyring (Secret Service)");
        let mut r = [0u8; 6];
        crate::ids::random_bytes(&mut r).unwrap();
        let account = format!("relay-test-{}", crate::keys::base64url(&r));
        assert!(store.get(&account).unwrap().is_none());
        assert!(
            store
                .set(&account, &Secret::new("kr-secret-1"))
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store.get(&account).unwrap().unwrap().expose(),
            "kr-secret-1"
        );
        store.set(&account, &Secret::new("kr-secret-2")).unwrap();
        // Another handle (as another process would) sees the same entry.
        let again = Store::open(dir.path(), Choice::Auto).unwrap();
        assert_eq!(
            again.get(&account).unwrap().unwrap().expose(),
            "kr-secret-2"
        );
        assert!(store.delete(&account).unwrap());
        assert!(!store.delete(&account).unwrap());
        assert!(!dir.path().join(FILE_NAME).exists(), "no fallback file");
    }

    #[test]
    fn memory_store() {
        let s = Store::memory();
        s.set("x", &Secret::new("v")).unwrap();
        assert_eq!(s.get("x").unwrap().unwrap().expose(), "v");
        assert!(s.delete("x").unwrap());
    }
}

//! One account's OAuth tokens at run time: handed out while fresh, refreshed shortly before
//! they expire or after the upstream says 401, single-flight (a hundred requests on an expired
//! token cause one refresh; the others wait for it and use its result).
//!
//! Refresh tokens are single-use at both providers, so a login shared with an official CLI is
//! coordinated through its file: under an exclusive lock the file is re-read first (the CLI may
//! have refreshed already, and then its tokens are used as they are), and the new tokens are
//! written back atomically with every other field kept.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use crate::http::client::Client;
use crate::secrets::{Secret, Store};

use super::creds::{self, Tokens};
use super::{OauthError, Provider};

/// Refresh this long before the access token expires.
pub const REFRESH_MARGIN_MS: i64 = 5 * 60 * 1000;

/// Where an account's tokens are kept (and written back to after a refresh).
#[derive(Debug)]
pub enum Origin {
    /// The relay's secret store (keyring or its fallback file), entry named after the account.
    Store(Arc<Store>),
    /// A credential file shared with an official CLI (`secret = "file:PATH"`).
    File(PathBuf),
}

/// What to send upstream.
#[derive(Debug, Clone)]
pub struct Bearer {
    /// The access token.
    pub token: Secret,
    /// OpenAI: `chatgpt-account-id`.
    pub account_id: Option<String>,
    /// Whether getting it took a refresh (for the event bus).
    pub refreshed: bool,
}

/// The tokens of one account.
#[derive(Debug)]
pub struct TokenSource {
    account: String,
    provider: Provider,
    origin: Origin,
    token_url: String,
    current: RwLock<Tokens>,
    gate: tokio::sync::Mutex<()>,
    /// How many refresh attempts have ended, and how the last one failed (if it did): callers
    /// that waited for an attempt that failed get its error instead of trying again.
    attempts: std::sync::Mutex<(u64, Option<OauthError>)>,
}

fn now_ms() -> i64 {
    crate::ledger::unix_ms(SystemTime::now())
}

impl TokenSource {
    /// A source holding `text` (credentials in any [`Format`](super::creds::Format)) read from `origin`.
    pub fn new(
        account: &str,
        provider: Provider,
        origin: Origin,
        text: &str,
        token_url: String,
    ) -> Result<Self, OauthError> {
        let (_, tokens) = creds::parse(text)?;
        Ok(Self {
            account: account.to_owned(),
            provider,
            origin,
            token_url,
            current: RwLock::new(tokens),
            gate: tokio::sync::Mutex::new(()),
            attempts: std::sync::Mutex::new((0, None)),
        })
    }

    /// The tokens in use now.
    pub fn current(&self) -> Tokens {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, tokens: Tokens) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = tokens;
    }

    fn bearer_of(t: &Tokens, refreshed: bool) -> Bearer {
        Bearer {
            token: t.access.clone(),
            account_id: t.account_id.clone(),
            refreshed,
        }
    }

    /// A token to send now, refreshed first when it expires within [`REFRESH_MARGIN_MS`]. When
    /// that early refresh fails, the token is used while it is still valid.
    pub async fn bearer(&self, client: &Client) -> Result<Bearer, OauthError> {
        let t = self.current();
        if !t.expiring(now_ms(), REFRESH_MARGIN_MS) {
            return Ok(Self::bearer_of(&t, false));
        }
        match self.refresh_once(client, None).await {
            Err(e) if !t.expiring(now_ms(), 0) => {
                tracing::warn!(account = %self.account, error = %e, "early refresh failed; using the current token while it lasts");
                Ok(Self::bearer_of(&self.current(), false))
            }
            other => other,
        }
    }

    fn attempts(&self) -> std::sync::MutexGuard<'_, (u64, Option<OauthError>)> {
        self.attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// After the upstream refused `used` with 401: a new token (refreshed once, however many
    /// requests saw the 401).
    pub async fn after_unauthorized(
        &self,
        client: &Client,
        used: &Secret,
    ) -> Result<Bearer, OauthError> {
        self.refresh_once(client, Some(used)).await
    }

    /// Refreshes unless another caller already did while this one waited.
    async fn refresh_once(
        &self,
        client: &Client,
        stale: Option<&Secret>,
    ) -> Result<Bearer, OauthError> {
        let seen = self.attempts().0;
        let _gate = self.gate.lock().await;
        {
            let (ended, failure) = &*self.attempts();
            if *ended != seen
                && let Some(e) = failure
            {
                // The attempt this caller waited for failed: one call to the token endpoint
                // per failure, however many requests were waiting.
                return Err(e.clone());
            }
        }
        let needs = |t: &Tokens| match stale {
            Some(s) => t.access == *s,
            None => t.expiring(now_ms(), REFRESH_MARGIN_MS),
        };
        let cur = self.current();
        if !needs(&cur) {
            return Ok(Self::bearer_of(&cur, false));
        }
        let result = match &self.origin {
            Origin::File(path) => self.refresh_file(client, path, &needs).await,
            Origin::Store(store) => self.refresh_store(client, store, &needs).await,
        };
        let mut attempts = self.attempts();
        attempts.0 += 1;
        attempts.1 = result.as_ref().err().cloned();
        result
    }

    async fn refresh_file(
        &self,
        client: &Client,
        path: &std::path::Path,
        needs: &(dyn Fn(&Tokens) -> bool + Sync),
    ) -> Result<Bearer, OauthError> {
        let store_err = |e: std::io::Error| OauthError::Store(format!("{}: {e}", path.display()));
        let lock_path = lock_path(path);
        let lock = tokio::task::spawn_blocking(move || crate::secrets::lock_file(&lock_path))
            .await
            .map_err(|e| OauthError::Store(e.to_string()))?
            .map_err(store_err)?;
        let text = tokio::fs::read_to_string(path).await.map_err(store_err)?;
        let (format, on_disk) = creds::parse(&text)?;
        if !needs(&on_disk) {
            // The official CLI (or another relay) refreshed already: use its tokens.
            self.set(on_disk.clone());
            drop(lock);
            return Ok(Self::bearer_of(&on_disk, true));
        }
        let new = self.call(client, &on_disk).await?;
        // The old refresh token is spent: the new pair is kept whatever happens to the file.
        self.set(new.clone());
        let written = match creds::write_back(&text, format, &new, now_ms()) {
            Ok(out) => {
                // A symlinked credential file (shared by several homes) is updated where it
                // points, never replaced by a private copy.
                let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
                tokio::task::spawn_blocking(move || {
                    crate::secrets::write_private(&target, out.as_bytes())
                })
                .await
                .map_err(|e| OauthError::Store(e.to_string()))
                .and_then(|r| r.map_err(store_err))
            }
            Err(e) => Err(e),
        };
        drop(lock);
        if let Err(e) = written {
            tracing::warn!(account = %self.account, error = %e, "refreshed tokens could not be written back; they are kept in memory until the relay stops");
        }
        Ok(Self::bearer_of(&new, true))
    }

    async fn refresh_store(
        &self,
        client: &Client,
        store: &Arc<Store>,
        needs: &(dyn Fn(&Tokens) -> bool + Sync),
    ) -> Result<Bearer, OauthError> {
        // Another relay process (or `relay account test`) may refresh the same login: one at a
        // time, each re-reading what the other stored.
        let lock = match store.login_lock(&self.account) {
            Some(path) => {
                let dir = path.parent().map(std::path::Path::to_path_buf);
                let held = tokio::task::spawn_blocking(move || {
                    if let Some(dir) = dir {
                        crate::ledger::create_private_dir(&dir)?;
                    }
                    crate::secrets::lock_file(&path)
                })
                .await
                .map_err(|e| OauthError::Store(e.to_string()))?
                .map_err(|e| OauthError::Store(e.to_string()))?;
                Some(held)
            }
            None => None,
        };
        let (s, name) = (Arc::clone(store), self.account.clone());
        let stored = tokio::task::spawn_blocking(move || s.get(&name))
            .await
            .map_err(|e| OauthError::Store(e.to_string()))?
            .map_err(|e| OauthError::Store(e.to_string()))?;
        let base = match stored.map(|s| creds::parse(s.expose())) {
            Some(Ok((_, t))) if !needs(&t) => {
                // Another relay process refreshed already.
                self.set(t.clone());
                drop(lock);
                return Ok(Self::bearer_of(&t, true));
            }
            Some(Ok((_, t))) => t,
            _ => self.current(),
        };
        let new = self.call(client, &base).await?;
        // The old refresh token is spent: the new pair is kept whatever happens to the store.
        self.set(new.clone());
        let (s, name) = (Arc::clone(store), self.account.clone());
        let value = Secret::new(creds::to_relay_json(&new));
        let written = tokio::task::spawn_blocking(move || s.set(&name, &value))
            .await
            .map_err(|e| OauthError::Store(e.to_string()))
            .and_then(|r| r.map_err(|e| OauthError::Store(e.to_string())));
        drop(lock);
        if let Err(e) = written {
            tracing::warn!(account = %self.account, error = %e, "refreshed tokens could not be stored; they are kept in memory until the relay stops");
        }
        Ok(Self::bearer_of(&new, true))
    }

    async fn call(&self, client: &Client, from: &Tokens) -> Result<Tokens, OauthError> {
        let rt = from.refresh.as_ref().ok_or(OauthError::NoRefreshToken)?;
        let mut new = super::refresh(client, self.provider, &self.token_url, rt).await?;
        if new.account_id.is_none() {
            new.account_id.clone_from(&from.account_id);
        }
        if new.id_token.is_none() {
            new.id_token.clone_from(&from.id_token);
        }
        tracing::info!(account = %self.account, "refreshed the OAuth access token");
        Ok(new)
    }
}

/// The lock file beside a credential file: `.credentials.json` → `.credentials.json.relay-lock`
/// (a name of its own: the official CLIs do not lock, and a `.lock` could collide with a
/// lock directory some tool makes).
fn lock_path(path: &std::path::Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".relay-lock");
    PathBuf::from(name)
}

//! The accounts the relay can route to, and routing: which accounts of a key's group serve a
//! model (after group and account model maps) in the client's dialect. Ranking among them is
//! the scheduler's job; each account's runtime state (slots, health) lives here.

pub mod health;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::{
    AccountConfig, Api, AuthKind, Config, EnvSource, GroupConfig, KeyConfig, Platform,
};
use crate::error::Error;
use crate::http::client::Client;
use crate::oauth::{self, OauthError, Origin, Provider, TokenSource};
use crate::protocol::Dialect;
use crate::scheduler::select::CandidateView;
use crate::secrets::{self, Secret, SecretError, Store};
use crate::slots::Limiter;
pub use health::{AccountState, Health};

/// How an account proves itself upstream.
#[derive(Debug)]
pub enum Credential {
    /// The mock platform needs none.
    None,
    /// An API key (`x-api-key`, `Authorization: Bearer` or `x-goog-api-key` by platform).
    ApiKey(Secret),
    /// A long-lived OAuth access token (`auth = "setup-token"`), never refreshed.
    SetupToken(Secret),
    /// A subscription login whose tokens are refreshed.
    OAuth(Arc<TokenSource>),
}

/// The credential for one upstream request.
#[derive(Debug, Clone)]
pub enum UpstreamAuth {
    /// No credential (mock).
    None,
    /// An API key.
    ApiKey(Secret),
    /// An OAuth access token, with the ChatGPT account it belongs to (OpenAI).
    Bearer {
        /// The token.
        token: Secret,
        /// `chatgpt-account-id`.
        account_id: Option<String>,
    },
}

/// The Codex backend that ChatGPT logins are served from.
pub const CODEX_BASE_URL: &str = "https://chatgpt.com/backend-api/codex";

/// An upstream account, resolved and ready to use.
#[derive(Debug)]
pub struct Account {
    /// Its configuration.
    pub config: AccountConfig,
    /// Resolved credential.
    pub credential: Credential,
    /// The client through the account's proxy (`None`: the shared client).
    pub client: Option<Client>,
    /// Root URL without a trailing slash.
    pub base_url: String,
    /// Requests sent to this account since start (mock behaviour and LRU order use it).
    pub sent: AtomicU64,
    /// Concurrency slots (`concurrency`, queue of `concurrency + gateway.extra_wait_slots`).
    pub slots: Arc<Limiter>,
    /// Cooldowns, credential errors, pauses.
    pub health: Health,
    last_used: AtomicU64,
}

impl Account {
    /// The account name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The account platform.
    pub fn platform(&self) -> Platform {
        self.config.platform
    }

    /// Whether requests go to the Codex backend with a ChatGPT login.
    pub fn is_codex(&self) -> bool {
        self.config.platform == Platform::Openai && matches!(self.credential, Credential::OAuth(_))
    }

    /// The credential to send now: an OAuth token is refreshed first when it is about to
    /// expire. The flag says whether a refresh happened.
    pub async fn upstream_auth(&self, client: &Client) -> Result<(UpstreamAuth, bool), OauthError> {
        Ok(match &self.credential {
            Credential::None => (UpstreamAuth::None, false),
            Credential::ApiKey(s) => (UpstreamAuth::ApiKey(s.clone()), false),
            Credential::SetupToken(s) => (
                UpstreamAuth::Bearer {
                    token: s.clone(),
                    account_id: None,
                },
                false,
            ),
            Credential::OAuth(src) => {
                let b = src.bearer(client).await?;
                (
                    UpstreamAuth::Bearer {
                        token: b.token,
                        account_id: b.account_id,
                    },
                    b.refreshed,
                )
            }
        })
    }

    /// The scheduler's view of this account at `now`.
    pub fn view(&self, now: std::time::Instant) -> CandidateView<'_> {
        let occ = self.slots.occupancy();
        let state = self.health.state(self.config.enabled, now);
        CandidateView {
            name: &self.config.name,
            priority: self.config.priority,
            in_flight: occ.in_use,
            waiting: occ.waiting,
            concurrency: occ.max,
            last_used: self.last_used.load(Ordering::Relaxed),
            cooling_until: self.health.cooling_until(now),
            usable: matches!(state, AccountState::Active | AccountState::Cooling),
        }
    }

    /// Whether this account can take requests in `dialect` without conversion.
    pub fn speaks(&self, dialect: Dialect) -> bool {
        platform_speaks(self.config.platform, dialect)
            && !matches!(
                (self.config.api, dialect),
                (Some(Api::Chat), Dialect::OpenAiResponses)
                    | (Some(Api::Responses), Dialect::OpenAiChat)
            )
    }

    /// The dialect to speak to this account for a client speaking `client`: the same one
    /// when the account speaks it, else the account's own (when a converter exists).
    pub fn upstream_dialect(&self, client: Dialect) -> Option<Dialect> {
        if self.speaks(client) {
            return Some(client);
        }
        let own = match self.config.platform {
            Platform::Anthropic => Dialect::Anthropic,
            Platform::Openai => match self.config.api {
                Some(Api::Chat) => Dialect::OpenAiChat,
                _ => Dialect::OpenAiResponses,
            },
            Platform::Gemini | Platform::Mock => return None,
        };
        crate::protocol::convert::supported(client, own).then_some(own)
    }

    /// Whether this account serves `model` (after group mapping).
    pub fn serves(&self, model: &str) -> bool {
        self.config.models.iter().any(|p| p.matches(model))
            || self.config.model_map.map(model).is_some()
    }

    /// The model name to send upstream for `model` (after group mapping).
    pub fn upstream_model<'a>(&'a self, model: &'a str) -> &'a str {
        self.config.model_map.map(model).unwrap_or(model)
    }

    /// Full upstream URL for an API `path` such as `/v1/messages` (a `base_url` ending in the
    /// path's version segment is not doubled).
    pub fn url(&self, path: &str, query: Option<&str>) -> String {
        join_url(&self.base_url, path, query)
    }
}

/// `base` (no trailing slash), `path` and `query`, a `base` ending in the path's first
/// segment (`/v1`) not doubling it. Built in one allocation: every attempt asks for one.
fn join_url(base: &str, path: &str, query: Option<&str>) -> String {
    // `/v1/messages` on a base ending in `/v1`: the path from its second slash on.
    let path = match path
        .split_once('/')
        .and_then(|(_, rest)| rest.split_once('/'))
    {
        Some((version, rest)) if base.strip_suffix(version).is_some_and(|b| b.ends_with('/')) => {
            path.get(path.len() - rest.len() - 1..).unwrap_or(path)
        }
        _ => path,
    };
    let query = query.filter(|q| !q.is_empty());
    let mut url = String::with_capacity(base.len() + path.len() + query.map_or(0, |q| q.len() + 1));
    url.push_str(base);
    url.push_str(path);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// Whether `platform` answers `dialect` natively.
pub fn platform_speaks(platform: Platform, dialect: Dialect) -> bool {
    match platform {
        Platform::Anthropic => dialect == Dialect::Anthropic,
        Platform::Openai => matches!(dialect, Dialect::OpenAiChat | Dialect::OpenAiResponses),
        Platform::Gemini => dialect == Dialect::Gemini,
        Platform::Mock => dialect != Dialect::Gemini,
    }
}

/// The default API root of a platform.
pub fn default_base_url(platform: Platform) -> &'static str {
    match platform {
        Platform::Anthropic => "https://api.anthropic.com",
        Platform::Openai => "https://api.openai.com",
        Platform::Gemini => "https://generativelanguage.googleapis.com",
        Platform::Mock => "mock://local",
    }
}

/// One account chosen for a request, with the model to send it.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The account.
    pub account: Arc<Account>,
    /// Model name for the upstream.
    pub upstream_model: String,
    /// The dialect the upstream is spoken to in (the client's, or converted to).
    pub upstream_dialect: Dialect,
}

/// All accounts, resolved.
#[derive(Debug, Default)]
pub struct Pool {
    accounts: Vec<Arc<Account>>,
}

impl Pool {
    /// Resolves every account of `config` (secrets included). Errors name the account.
    /// `secrets` opens the secret store, when an account keeps its secret there.
    pub fn new(
        config: &Config,
        env: &dyn EnvSource,
        secrets: &dyn Fn() -> Result<Arc<Store>, SecretError>,
    ) -> Result<Self, Vec<String>> {
        let mut accounts = Vec::new();
        let mut errors = Vec::new();
        for a in &config.accounts {
            match resolve_account(a, config, env, secrets) {
                Ok(account) => accounts.push(Arc::new(account)),
                Err(e) => errors.push(format!("account `{}`: {e}", a.name)),
            }
        }
        if errors.is_empty() {
            Ok(Self { accounts })
        } else {
            Err(errors)
        }
    }

    /// Every account.
    pub fn accounts(&self) -> &[Arc<Account>] {
        &self.accounts
    }

    /// The account named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Account>> {
        self.accounts.iter().find(|a| a.name() == name)
    }

    /// The accounts that may serve `model` for a key of `group`, speaking `dialect` (in config
    /// order; the scheduler ranks them).
    pub fn route(
        &self,
        group: &GroupConfig,
        key: Option<&KeyConfig>,
        dialect: Dialect,
        model: &str,
    ) -> Result<Vec<Candidate>, Error> {
        if let Some(k) = key
            && !k.models.is_empty()
            && !k.models.iter().any(|p| p.matches(model))
        {
            return Err(Error::forbidden(
                "model_not_allowed",
                format!(
                    "model `{model}` is not allowed for key `{}`; its models are limited in the config",
                    k.name
                ),
            ));
        }
        if !group.models.is_empty() && !group.models.iter().any(|p| p.matches(model)) {
            return Err(Error::forbidden(
                "model_not_allowed",
                format!("model `{model}` is not allowed in group `{}`", group.name),
            ));
        }
        let mapped = group.model_map.map(model).unwrap_or(model);
        let serving: Vec<&Arc<Account>> = self
            .accounts
            .iter()
            .filter(|a| a.config.enabled && a.config.groups.contains(&group.name))
            .filter(|a| a.serves(mapped))
            .collect();
        if serving.is_empty() {
            return Err(Error::not_found(
                "model_not_found",
                format!(
                    "no account serves model `{model}`{}; `relay models` lists what the configured accounts serve",
                    if mapped == model {
                        String::new()
                    } else {
                        format!(" (mapped to `{mapped}`)")
                    }
                ),
            ));
        }
        let out: Vec<Candidate> = serving
            .iter()
            .filter_map(|a| {
                Some(Candidate {
                    account: Arc::clone(a),
                    upstream_model: a.upstream_model(mapped).to_owned(),
                    upstream_dialect: a.upstream_dialect(dialect)?,
                })
            })
            .collect();
        if out.is_empty() {
            let platforms: Vec<&str> = serving.iter().map(|a| a.platform().as_str()).collect();
            return Err(Error::invalid(
                "dialect_not_served",
                format!(
                    "model `{model}` is served only by {} accounts, and this build cannot convert the `{}` API to theirs; \
                     call that platform's own endpoint",
                    platforms.join("/"),
                    dialect.as_str()
                ),
            ));
        }
        Ok(out)
    }

    /// Marks `account` as just used (for least-recently-used ordering).
    pub fn touch(&self, account: &Account) {
        static CLOCK: AtomicU64 = AtomicU64::new(1);
        account
            .last_used
            .store(CLOCK.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Model ids a key of `group` can ask for (see [`model_ids`]).
    pub fn model_ids(&self, group: &str) -> Vec<(String, Platform)> {
        model_ids(self.accounts.iter().map(|a| &a.config), group)
    }
}

/// Model ids a key of `group` can ask for: exact names from accounts' `models` and
/// `model_map`, plus the well-known models that their wildcard patterns match. Sorted, each
/// with the platform of the first account serving it.
pub fn model_ids<'a>(
    accounts: impl Iterator<Item = &'a AccountConfig>,
    group: &str,
) -> Vec<(String, Platform)> {
    let mut out: Vec<(String, Platform)> = Vec::new();
    let mut add = |id: &str, p: Platform| {
        if !out.iter().any(|(x, _)| x == id) {
            out.push((id.to_owned(), p));
        }
    };
    for a in accounts.filter(|a| a.enabled && a.groups.iter().any(|g| g == group)) {
        let p = a.platform;
        let patterns = a.models.iter().chain(a.model_map.iter().map(|(k, _)| k));
        for pat in patterns {
            if pat.is_wildcard() {
                for (known, kp) in KNOWN_MODELS {
                    if pat.matches(known) && (p == Platform::Mock || p == *kp) {
                        add(known, p);
                    }
                }
            } else {
                add(pat.as_str(), p);
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Well-known model ids, listed by `/v1/models` when an account serves them by a wildcard.
pub const KNOWN_MODELS: &[(&str, Platform)] = &[
    ("claude-opus-4-5", Platform::Anthropic),
    ("claude-opus-4-1", Platform::Anthropic),
    ("claude-sonnet-4-5", Platform::Anthropic),
    ("claude-sonnet-4-0", Platform::Anthropic),
    ("claude-haiku-4-5", Platform::Anthropic),
    ("gpt-5", Platform::Openai),
    ("gpt-5-mini", Platform::Openai),
    ("gpt-5-codex", Platform::Openai),
    ("gpt-4.1", Platform::Openai),
    ("gpt-4.1-mini", Platform::Openai),
    ("gpt-4o", Platform::Openai),
    ("o3", Platform::Openai),
    ("o4-mini", Platform::Openai),
    ("gemini-2.5-pro", Platform::Gemini),
    ("gemini-2.5-flash", Platform::Gemini),
];

/// One account made ready: credential, proxy, URL, slots.
fn resolve_account(
    a: &AccountConfig,
    config: &Config,
    env: &dyn EnvSource,
    secrets: &dyn Fn() -> Result<Arc<Store>, SecretError>,
) -> Result<Account, String> {
    let mut cfg = a.clone();
    let credential = if a.platform == Platform::Mock {
        Credential::None
    } else {
        match a.auth {
            AuthKind::ApiKey => Credential::ApiKey(
                secrets::resolve(&a.secret, &a.name, env, secrets).map_err(|e| e.to_string())?,
            ),
            AuthKind::SetupToken => {
                if a.platform != Platform::Anthropic {
                    return Err("auth = \"setup-token\" is for anthropic accounts (from `claude setup-token`)".into());
                }
                let text = secrets::resolve(&a.secret, &a.name, env, secrets)
                    .map_err(|e| e.to_string())?;
                // A setup token may be stored bare or in the relay's JSON form.
                let (_, tokens) = oauth::creds::parse(text.expose()).map_err(|e| e.to_string())?;
                Credential::SetupToken(tokens.access)
            }
            AuthKind::Oauth => {
                let provider = match a.platform {
                    Platform::Anthropic => Provider::Anthropic,
                    Platform::Openai => Provider::OpenAi,
                    _ => {
                        return Err(format!(
                            "auth = \"oauth\" is for anthropic and openai accounts, not {}",
                            a.platform.as_str()
                        ));
                    }
                };
                let (origin, text) = match &a.secret {
                    crate::config::SecretRef::File(path) => (
                        Origin::File(path.clone()),
                        std::fs::read_to_string(path).map_err(|e| {
                            format!("cannot read credentials `{}`: {e}", path.display())
                        })?,
                    ),
                    crate::config::SecretRef::Keyring => {
                        let store = secrets().map_err(|e| e.to_string())?;
                        let text =
                            secrets::resolve(&a.secret, &a.name, env, &|| Ok(Arc::clone(&store)))
                                .map_err(|e| e.to_string())?;
                        (Origin::Store(store), text.expose().to_owned())
                    }
                    crate::config::SecretRef::Env(_) => {
                        return Err("an OAuth login's tokens rotate and must be written back: keep them in the keyring (`relay account login` / `import`) or a file, not `env:`".into());
                    }
                };
                let source =
                    TokenSource::new(&a.name, provider, origin, &text, provider.token_url(env))
                        .map_err(|e| e.to_string())?;
                if provider == Provider::OpenAi {
                    // The Codex backend speaks only the Responses API.
                    cfg.api = Some(Api::Responses);
                }
                Credential::OAuth(Arc::new(source))
            }
        }
    };
    let client = match &a.proxy {
        Some(url) => {
            let url = with_stored_password(url, &a.name, secrets);
            Some(
                Client::with_proxy(config.gateway.connect_timeout, &url)
                    .map_err(|e| e.to_string())?,
            )
        }
        None => None,
    };
    let base = match (&a.base_url, &credential) {
        (Some(b), _) => b.as_str(),
        (None, Credential::OAuth(_)) if a.platform == Platform::Openai => CODEX_BASE_URL,
        (None, _) => default_base_url(a.platform),
    };
    Ok(Account {
        config: cfg,
        credential,
        client,
        base_url: base.trim_end_matches('/').to_owned(),
        sent: AtomicU64::new(0),
        slots: Limiter::new(
            a.concurrency,
            a.concurrency
                .saturating_add(config.gateway.extra_wait_slots),
        ),
        health: Health::default(),
        last_used: AtomicU64::new(0),
    })
}

/// A proxy URL with a user and no password gets the password `relay account add --proxy` put
/// in the secret store, when there is one.
fn with_stored_password(
    url: &str,
    account: &str,
    secrets: &dyn Fn() -> Result<Arc<Store>, SecretError>,
) -> String {
    let parts = crate::http::client::ProxyUrl::parse(url);
    let (Some(user), None) = (parts.user, parts.password) else {
        return url.to_owned();
    };
    match secrets()
        .ok()
        .and_then(|s| s.get(&secrets::proxy_entry(account)).ok().flatten())
    {
        Some(p) => parts.with_password(Some(
            oauth::form(&[("", p.expose())]).trim_start_matches('='),
        )),
        None => {
            tracing::warn!(
                account,
                "the proxy names user `{user}` with no password, and none is stored for it; the proxy may refuse (407)"
            );
            url.to_owned()
        }
    }
}

/// Zero-config discovery: when the config has no accounts, provider keys in the environment
/// become api-key accounts. Returns the names of the variables used.
pub fn discover(config: &mut Config, env: &dyn EnvSource) -> Vec<&'static str> {
    use crate::config::{AuthKind, SecretRef};
    if !config.accounts.is_empty() {
        return Vec::new();
    }
    let mut used = Vec::new();
    for (var, name, platform) in [
        ("ANTHROPIC_API_KEY", "anthropic", Platform::Anthropic),
        ("OPENAI_API_KEY", "openai", Platform::Openai),
        ("GEMINI_API_KEY", "gemini", Platform::Gemini),
    ] {
        if env.var(var).is_some_and(|v| !v.trim().is_empty()) {
            let mut a = AccountConfig::new(name, platform);
            a.auth = AuthKind::ApiKey;
            a.secret = SecretRef::Env(var.to_owned());
            config.accounts.push(a);
            used.push(var);
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_without_doubling_the_version() {
        // The obvious way, as it was written before it was made cheaper.
        let oracle = |base: &str, path: &str, query: Option<&str>| {
            let path = match path
                .split_once('/')
                .and_then(|(_, rest)| rest.split_once('/'))
            {
                Some((version, rest)) if base.ends_with(&format!("/{version}")) => {
                    format!("/{rest}")
                }
                _ => path.to_owned(),
            };
            match query {
                Some(q) if !q.is_empty() => format!("{base}{path}?{q}"),
                _ => format!("{base}{path}"),
            }
        };
        for base in [
            "https://api.anthropic.com",
            "https://api.openai.com/v1",
            "http://127.0.0.1:9/openai/v1",
            "http://h/xv1",
            "http://h/v1beta",
            "http://h/v",
        ] {
            for path in [
                "/v1/messages",
                "/v1/chat/completions",
                "/v1beta/models/x:generate",
                "/v1",
                "/",
                "",
                "v1/x",
                "a/v1/x",
            ] {
                for query in [None, Some(""), Some("beta=true")] {
                    assert_eq!(
                        join_url(base, path, query),
                        oracle(base, path, query),
                        "{base} {path} {query:?}"
                    );
                }
            }
        }
        assert_eq!(
            join_url("https://api.openai.com/v1", "/v1/responses", Some("a=1")),
            "https://api.openai.com/v1/responses?a=1"
        );
    }
}

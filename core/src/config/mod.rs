//! Configuration: the typed config, its defaults, and the file/env/flag layering around it.
//!
//! Submodules: `raw` (reading the TOML file), `validate` (checks and defaults),
//! `load` (layering, environment), `edit` (comment-preserving edits), `duration`, `model`.

mod duration;
mod edit;
mod error;
mod load;
mod model;
mod raw;
mod validate;

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use duration::{format_duration, parse_duration};
pub use edit::{NewAccount, NewKey, add_account, add_key, remove_account, remove_key};
pub use error::{ConfigError, ConfigErrors};
pub use load::{ENV_VARS, EnvSource, LoadOptions, ProcessEnv, default_config_path, load, parse};
pub use model::{ModelMap, ModelPattern};
pub use validate::valid_name;

/// The whole configuration, after layering.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub server: ServerConfig,
    pub gateway: GatewayConfig,
    pub pricing: PricingConfig,
    pub ledger: LedgerConfig,
    pub accounts: Vec<AccountConfig>,
    pub groups: Vec<GroupConfig>,
    pub keys: Vec<KeyConfig>,
    /// The file the configuration was loaded from, if any.
    pub source: Option<PathBuf>,
}

/// `[pricing]`: where prices come from besides the embedded table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PricingConfig {
    /// A LiteLLM `model_prices_and_context_window.json` file overriding and extending the
    /// embedded prices (relative paths are relative to the config file).
    pub file: Option<PathBuf>,
}

/// `[ledger]`: the usage ledger's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LedgerConfig {
    /// IANA time zone whose calendar days and months budgets and daily reports follow
    /// (`None`: the system's local time zone).
    pub time_zone: Option<String>,
}

impl LedgerConfig {
    /// The configured time zone, else the system's (UTC if it cannot be determined).
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        match &self.time_zone {
            Some(name) => jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC),
            None => jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC),
        }
    }
}

/// `[server]`: the listening socket and request hygiene.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub max_body_bytes: u64,
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8787)),
            max_body_bytes: 32 * 1024 * 1024,
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()],
            allowed_origins: Vec::new(),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// `[gateway]`: failover, queueing and timeouts.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayConfig {
    pub max_account_switches: u32,
    pub sticky_ttl: Duration,
    pub key_wait_timeout: Duration,
    pub account_wait_timeout: Duration,
    pub extra_wait_slots: u32,
    pub keepalive_interval: Duration,
    pub stream_idle_timeout: Duration,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            max_account_switches: 3,
            sticky_ttl: Duration::from_secs(3600),
            key_wait_timeout: Duration::from_secs(30),
            account_wait_timeout: Duration::from_secs(30),
            extra_wait_slots: 20,
            keepalive_interval: Duration::from_secs(10),
            stream_idle_timeout: Duration::from_secs(180),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(600),
        }
    }
}

/// Declares a string-valued enum with `as_str`, `Display`, `FromStr` and serde support.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used in the config file.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $(if s == $text { return Ok($name::$variant); })+
                let known: &[&str] = &[$($text),+];
                let hint = error::suggest(s, known)
                    .map(|k| format!(" (did you mean {k}?)"))
                    .unwrap_or_default();
                Err(format!(concat!("unknown ", $what, " `{}`, expected one of: {}{}"), s, known.join(", "), hint))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_enum! {
    /// The kind of upstream an account talks to.
    Platform, "platform" {
        Anthropic = "anthropic",
        Openai = "openai",
        Gemini = "gemini",
        /// The built-in simulated upstream.
        Mock = "mock",
    }
}

impl Platform {
    /// The models an account of this platform serves when its `models` list is empty.
    pub fn default_models(&self) -> &'static [&'static str] {
        match self {
            Platform::Anthropic => &["claude-*"],
            Platform::Openai => &["gpt-*", "o1*", "o3*", "o4*", "codex-*", "chatgpt-*"],
            Platform::Gemini => &["gemini-*"],
            Platform::Mock => &["*"],
        }
    }
}

string_enum! {
    /// How an account authenticates upstream (default `api-key`).
    #[derive(Default)]
    AuthKind, "auth kind" {
        #[default]
        ApiKey = "api-key",
        Oauth = "oauth",
        SetupToken = "setup-token",
    }
}

/// Where an account's secret lives. Displaying it shows the reference, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum SecretRef {
    /// The OS keyring (service `relay`, entry named after the account).
    #[default]
    Keyring,
    /// An environment variable.
    Env(String),
    /// A file holding the secret.
    File(PathBuf),
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Keyring => f.write_str("keyring"),
            SecretRef::Env(var) => write!(f, "env:{var}"),
            SecretRef::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

impl FromStr for SecretRef {
    type Err = String;

    /// Parses `keyring`, `env:VAR` or `file:PATH`. The message never repeats the input: a
    /// mistaken value may be the secret itself.
    fn from_str(s: &str) -> Result<Self, String> {
        const HELP: &str = "expected `keyring`, `env:VAR` or `file:PATH` (the secret itself never goes in the config file: `relay account add` stores it in the keyring)";
        if s == "keyring" {
            Ok(SecretRef::Keyring)
        } else if let Some(var) = s.strip_prefix("env:") {
            if var.is_empty() || var.contains(['=', '\0']) || var.chars().any(char::is_whitespace) {
                Err(format!("`env:` needs a variable name; {HELP}"))
            } else {
                Ok(SecretRef::Env(var.to_owned()))
            }
        } else if let Some(path) = s.strip_prefix("file:") {
            if path.is_empty() {
                Err(format!("`file:` needs a path; {HELP}"))
            } else {
                Ok(SecretRef::File(PathBuf::from(path)))
            }
        } else {
            Err(HELP.to_owned())
        }
    }
}

impl Serialize for SecretRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which OpenAI API an `openai` account's endpoint speaks, when it speaks only one
/// (many OpenAI-compatible servers speak only Chat Completions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// `/v1/chat/completions` only.
    Chat,
    /// `/v1/responses` only.
    Responses,
}

/// One `[[accounts]]` entry: an upstream account. `Debug` hides the proxy's password.
#[derive(Clone, PartialEq)]
pub struct AccountConfig {
    pub name: String,
    pub platform: Platform,
    pub auth: AuthKind,
    pub secret: SecretRef,
    pub base_url: Option<String>,
    /// Lower is preferred; default 50.
    pub priority: u32,
    /// Max in-flight requests; default 3.
    pub concurrency: u32,
    /// Default `["default"]`.
    pub groups: Vec<String>,
    /// What it serves; an empty list in the file means the platform's defaults.
    pub models: Vec<ModelPattern>,
    pub model_map: ModelMap,
    pub proxy: Option<String>,
    /// For `openai` accounts: the one API the endpoint speaks (`None`: both).
    pub api: Option<Api>,
    pub enabled: bool,
    /// Behaviour of a `platform = "mock"` account (defaults otherwise).
    pub mock: MockConfig,
}

impl fmt::Debug for AccountConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountConfig")
            .field("name", &self.name)
            .field("platform", &self.platform)
            .field("auth", &self.auth)
            .field("secret", &self.secret)
            .field("base_url", &self.base_url)
            .field("priority", &self.priority)
            .field("concurrency", &self.concurrency)
            .field("groups", &self.groups)
            .field("models", &self.models)
            .field("model_map", &self.model_map)
            .field(
                "proxy",
                &self.proxy.as_deref().map(crate::http::client::redact_url),
            )
            .field("api", &self.api)
            .field("enabled", &self.enabled)
            .field("mock", &self.mock)
            .finish()
    }
}

impl AccountConfig {
    /// An account with every optional setting at its default.
    pub fn new(name: impl Into<String>, platform: Platform) -> Self {
        Self {
            name: name.into(),
            platform,
            auth: AuthKind::default(),
            secret: SecretRef::default(),
            base_url: None,
            priority: 50,
            concurrency: 3,
            groups: vec![DEFAULT_GROUP_NAME.to_owned()],
            models: default_patterns(platform),
            model_map: ModelMap::default(),
            proxy: None,
            api: None,
            enabled: true,
            mock: MockConfig::default(),
        }
    }
}

/// The platform's default model patterns.
pub(crate) fn default_patterns(platform: Platform) -> Vec<ModelPattern> {
    platform
        .default_models()
        .iter()
        .filter_map(|s| ModelPattern::new(*s).ok())
        .collect()
}

/// `[accounts.mock]`: how a simulated upstream behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    /// Delay before the response starts.
    pub latency: Duration,
    /// Delay between streamed chunks.
    pub chunk_delay: Duration,
    /// Probability in [0, 1] that a request fails with a 500.
    pub fail_rate: f64,
    /// Every Nth request gets a 429 (0 = never).
    pub rate_limit_every: u32,
    /// `retry-after` sent with the simulated 429.
    pub retry_after: Duration,
    /// Answer every request with 529 overloaded.
    pub overloaded: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            chunk_delay: Duration::ZERO,
            fail_rate: 0.0,
            rate_limit_every: 0,
            retry_after: Duration::from_secs(30),
            overloaded: false,
        }
    }
}

/// One `[[groups]]` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupConfig {
    pub name: String,
    /// Optional allowlist for keys of this group (empty = everything).
    pub models: Vec<ModelPattern>,
    /// Applied before account mapping.
    pub model_map: ModelMap,
}

/// One `[[keys]]` entry: a client key (only its hash).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyConfig {
    pub name: String,
    /// `sha256:` + 64 lowercase hex digits.
    pub hash: String,
    /// Default `"default"`.
    pub group: String,
    /// Max in-flight requests; default 5.
    pub concurrency: u32,
    pub daily_usd: Option<f64>,
    pub monthly_usd: Option<f64>,
    /// Optional allowlist (empty = everything the group allows).
    pub models: Vec<ModelPattern>,
}

/// The group every account and key belongs to unless told otherwise.
pub const DEFAULT_GROUP_NAME: &str = "default";

static DEFAULT_GROUP: LazyLock<GroupConfig> = LazyLock::new(|| GroupConfig {
    name: DEFAULT_GROUP_NAME.to_owned(),
    models: Vec::new(),
    model_map: ModelMap::default(),
});

impl Config {
    /// The group named `name`. `default` always exists, declared or not.
    pub fn group(&self, name: &str) -> Option<&GroupConfig> {
        self.groups
            .iter()
            .find(|g| g.name == name)
            .or_else(|| (name == DEFAULT_GROUP_NAME).then(|| &*DEFAULT_GROUP))
    }

    /// The account named `name`.
    pub fn account(&self, name: &str) -> Option<&AccountConfig> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// The client key named `name`.
    pub fn key(&self, name: &str) -> Option<&KeyConfig> {
        self.keys.iter().find(|k| k.name == name)
    }
}

/// The text `relay config init` writes: every setting, commented out, at its default.
pub fn starter() -> &'static str {
    include_str!("starter.toml")
}

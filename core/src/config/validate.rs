//! Turning the raw file contents into a `Config`: defaults plus every semantic check.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, suggest};
use super::raw::{RawAccount, RawDoc, RawGroup, RawKey, RawMock, Source};
use super::{
    AccountConfig, Config, DEFAULT_GROUP_NAME, GroupConfig, KeyConfig, MockConfig, Platform,
    default_patterns,
};

/// Whether `name` is a valid account, group or key name: `[a-z0-9_-]+`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The message for a name that is not `[a-z0-9_-]+`.
pub(super) fn bad_name_message(what: &str, name: &str) -> String {
    format!(
        "invalid {what} name `{name}`: use only lowercase letters, digits, `-` and `_` (like `laptop-1`)"
    )
}

/// Whether `hash` is `sha256:` followed by 64 lowercase hex digits.
pub(super) fn valid_hash(hash: &str) -> bool {
    hash.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Collects errors with their locations.
struct Checker<'s, 't> {
    src: &'s Source<'t>,
    errors: &'s mut Vec<ConfigError>,
}

impl Checker<'_, '_> {
    fn fail(&mut self, path: &str, message: impl Into<String>) {
        let e = self.src.error(path, None, message.into());
        self.errors.push(e);
    }

    fn name(&mut self, what: &str, path: &str, name: &str, seen: &mut HashMap<String, String>) {
        if !valid_name(name) {
            self.fail(path, bad_name_message(what, name));
        } else if let Some(first) = seen.get(name) {
            let msg = format!("duplicate {what} name `{name}` (already used by {first})");
            self.fail(path, msg);
        } else {
            let owner = path.strip_suffix(".name").unwrap_or(path).to_owned();
            seen.insert(name.to_owned(), owner);
        }
    }

    fn concurrency(&mut self, path: &str, value: Option<u32>, default: u32) -> u32 {
        match value {
            Some(0) => {
                self.fail(path, "must be at least 1");
                default
            }
            Some(n) => n,
            None => default,
        }
    }

    fn budget(&mut self, path: &str, value: Option<f64>) -> Option<f64> {
        let v = value?;
        if !(v.is_finite() && v >= 0.0) {
            self.fail(path, "must be a number of US dollars, 0 or more");
        }
        Some(v)
    }

    fn url(&mut self, path: &str, value: &str, schemes: &[&str]) {
        let ok = value
            .split_once("://")
            .is_some_and(|(scheme, rest)| schemes.contains(&scheme) && !rest.is_empty());
        if !ok {
            let list: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
            let msg = format!(
                "expected a URL starting with {}, found `{}`",
                list.join(" or "),
                crate::http::client::redact_url(value)
            );
            self.fail(path, msg);
        }
    }

    fn group_ref(&mut self, path: &str, group: &str, declared: &[&str]) {
        if !declared.contains(&group) {
            let hint = suggest(group, declared)
                .map(|g| format!("did you mean {g}? "))
                .unwrap_or_default();
            let msg = format!(
                "unknown group `{group}` ({hint}declare it with a [[groups]] entry, or use \"default\")"
            );
            self.fail(path, msg);
        }
    }
}

/// Builds the config from what the file said, checking everything and collecting all errors.
pub(super) fn build(raw: RawDoc, src: &Source<'_>, errors: &mut Vec<ConfigError>) -> Config {
    let mut c = Checker { src, errors };
    let mut cfg = Config {
        source: src.file.map(Path::to_path_buf),
        ..Config::default()
    };

    let s = raw.server;
    if let Some(listen) = s.listen {
        cfg.server.listen = listen.0;
    }
    match s.max_body_bytes {
        Some(0) => c.fail("server.max_body_bytes", "must be greater than 0"),
        Some(n) => cfg.server.max_body_bytes = n,
        None => {}
    }
    for (key, list, target) in [
        (
            "allowed_hosts",
            s.allowed_hosts,
            &mut cfg.server.allowed_hosts,
        ),
        (
            "allowed_origins",
            s.allowed_origins,
            &mut cfg.server.allowed_origins,
        ),
    ] {
        if let Some(list) = list {
            for (i, v) in list.iter().enumerate() {
                if v.trim().is_empty() || v.chars().any(char::is_whitespace) {
                    c.fail(
                        &format!("server.{key}[{i}]"),
                        format!("`{v}` is not a host or origin (empty or contains spaces)"),
                    );
                }
            }
            *target = list;
        }
    }
    if let Some(d) = s.shutdown_grace {
        cfg.server.shutdown_grace = d.0;
    }

    let g = raw.gateway;
    let gw = &mut cfg.gateway;
    let set = |target: &mut std::time::Duration, v: Option<super::duration::Dur>| {
        if let Some(d) = v {
            *target = d.0;
        }
    };
    if let Some(n) = g.max_account_switches {
        gw.max_account_switches = n;
    }
    if let Some(n) = g.extra_wait_slots {
        gw.extra_wait_slots = n;
    }
    set(&mut gw.sticky_ttl, g.sticky_ttl);
    set(&mut gw.key_wait_timeout, g.key_wait_timeout);
    set(&mut gw.account_wait_timeout, g.account_wait_timeout);
    set(&mut gw.keepalive_interval, g.keepalive_interval);
    set(&mut gw.stream_idle_timeout, g.stream_idle_timeout);
    set(&mut gw.connect_timeout, g.connect_timeout);
    set(&mut gw.first_byte_timeout, g.first_byte_timeout);

    if let Some(file) = raw.pricing.file {
        let path = PathBuf::from(&file);
        let path = match src.file.and_then(Path::parent) {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path,
        };
        match crate::pricing::Pricing::with_file(&path) {
            Ok(_) => cfg.pricing.file = Some(path),
            Err(e) => c.fail("pricing.file", e.to_string()),
        }
    }
    if let Some(tz) = raw.ledger.time_zone {
        match jiff::tz::TimeZone::get(&tz) {
            Ok(_) => cfg.ledger.time_zone = Some(tz),
            Err(_) => c.fail(
                "ledger.time_zone",
                format!("unknown time zone `{tz}` (use an IANA name such as \"Europe/Berlin\", or \"UTC\")"),
            ),
        }
    }

    let mut seen = HashMap::new();
    let mut check_refs = !raw.groups_incomplete;
    for (i, g) in raw.groups {
        match group(&mut c, &format!("groups[{i}]"), g, &mut seen) {
            Some(g) => cfg.groups.push(g),
            None => check_refs = false,
        }
    }
    let declared: Vec<String> = cfg.groups.iter().map(|g| g.name.clone()).collect();
    let mut declared: Vec<&str> = declared.iter().map(String::as_str).collect();
    if !declared.contains(&DEFAULT_GROUP_NAME) {
        declared.push(DEFAULT_GROUP_NAME);
    }

    let mut seen = HashMap::new();
    for (i, a) in raw.accounts {
        let path = format!("accounts[{i}]");
        let Some(account) = account(&mut c, &path, a, &mut seen) else {
            continue;
        };
        if check_refs {
            for (j, g) in account.groups.iter().enumerate() {
                c.group_ref(&format!("{path}.groups[{j}]"), g, &declared);
            }
        }
        cfg.accounts.push(account);
    }

    let mut seen = HashMap::new();
    for (i, k) in raw.keys {
        let path = format!("keys[{i}]");
        let Some(key) = key(&mut c, &path, k, &mut seen) else {
            continue;
        };
        if check_refs {
            c.group_ref(&format!("{path}.group"), &key.group, &declared);
        }
        cfg.keys.push(key);
    }
    cfg
}

fn group(
    c: &mut Checker<'_, '_>,
    path: &str,
    g: RawGroup,
    seen: &mut HashMap<String, String>,
) -> Option<GroupConfig> {
    let name = g.name?;
    c.name("group", &format!("{path}.name"), &name, seen);
    Some(GroupConfig {
        name,
        models: g.models.unwrap_or_default(),
        model_map: g.model_map.unwrap_or_default(),
    })
}

fn account(
    c: &mut Checker<'_, '_>,
    path: &str,
    a: RawAccount,
    seen: &mut HashMap<String, String>,
) -> Option<AccountConfig> {
    let name = a.name;
    let platform = a.platform;
    if let Some(name) = &name {
        c.name("account", &format!("{path}.name"), name, seen);
    }
    // A missing required key was reported while reading; the rest is still checked.
    let mut out = AccountConfig::new(name.unwrap_or_default(), platform.unwrap_or(Platform::Mock));
    out.auth = a.auth.unwrap_or_default();
    out.secret = a.secret.unwrap_or_default();
    if let Some(url) = a.base_url {
        c.url(&format!("{path}.base_url"), &url, &["http", "https"]);
        out.base_url = Some(url);
    }
    if let Some(p) = a.priority {
        out.priority = p;
    }
    out.concurrency = c.concurrency(&format!("{path}.concurrency"), a.concurrency, 3);
    if let Some(groups) = a.groups {
        out.groups = groups;
    }
    match a.models {
        Some(models) if !models.is_empty() => out.models = models,
        _ => out.models = default_patterns(out.platform),
    }
    out.model_map = a.model_map.unwrap_or_default();
    if let Some(proxy) = a.proxy {
        // What the proxy connectors speak (an https:// proxy is not one of them).
        let schemes = ["http", "socks5", "socks5h"];
        c.url(&format!("{path}.proxy"), &proxy, &schemes);
        out.proxy = Some(proxy);
    }
    if let Some(api) = a.api {
        if platform.is_some_and(|p| p != Platform::Openai) {
            c.fail(
                &format!("{path}.api"),
                "`api` is only for `platform = \"openai\"` accounts (it says which OpenAI API the endpoint speaks)".to_owned(),
            );
        }
        out.api = Some(api);
    }
    out.enabled = a.enabled.unwrap_or(true);
    match (a.mock, platform) {
        (Some(m), Some(Platform::Mock)) => out.mock = mock(c, &format!("{path}.mock"), m),
        (Some(_), Some(other)) => {
            let msg = format!(
                "a mock table is only allowed on `platform = \"mock\"` accounts (this one is {other})"
            );
            c.fail(&format!("{path}.mock"), msg);
        }
        _ => {}
    }
    (!out.name.is_empty() && platform.is_some()).then_some(out)
}

fn mock(c: &mut Checker<'_, '_>, path: &str, m: RawMock) -> MockConfig {
    let mut out = MockConfig::default();
    if let Some(d) = m.latency {
        out.latency = d.0;
    }
    if let Some(d) = m.chunk_delay {
        out.chunk_delay = d.0;
    }
    if let Some(r) = m.fail_rate {
        if (0.0..=1.0).contains(&r) {
            out.fail_rate = r;
        } else {
            c.fail(
                &format!("{path}.fail_rate"),
                format!("must be between 0 and 1, found {r}"),
            );
        }
    }
    if let Some(n) = m.rate_limit_every {
        out.rate_limit_every = n;
    }
    if let Some(d) = m.retry_after {
        out.retry_after = d.0;
    }
    if let Some(b) = m.overloaded {
        out.overloaded = b;
    }
    out
}

fn key(
    c: &mut Checker<'_, '_>,
    path: &str,
    k: RawKey,
    seen: &mut HashMap<String, String>,
) -> Option<KeyConfig> {
    let name = k.name;
    let hash = k.hash;
    if let Some(name) = &name {
        c.name("key", &format!("{path}.name"), name, seen);
    }
    if hash.as_deref().is_some_and(|h| !valid_hash(h)) {
        c.fail(
            &format!("{path}.hash"),
            "expected `sha256:` followed by 64 lowercase hex digits (`relay key create` writes it)",
        );
    }
    let out = KeyConfig {
        name: name.clone().unwrap_or_default(),
        hash: hash.clone().unwrap_or_default(),
        group: k.group.unwrap_or_else(|| DEFAULT_GROUP_NAME.to_owned()),
        concurrency: c.concurrency(&format!("{path}.concurrency"), k.concurrency, 5),
        daily_usd: c.budget(&format!("{path}.daily_usd"), k.daily_usd),
        monthly_usd: c.budget(&format!("{path}.monthly_usd"), k.monthly_usd),
        models: k.models.unwrap_or_default(),
    };
    (name.is_some() && hash.is_some()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::TestResult;
    use super::*;

    #[test]
    fn names_and_hashes() -> TestResult {
        assert!(valid_name("claude-a_1"));
        assert!(!valid_name("Claude"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
        assert!(valid_hash(&format!("sha256:{}", "a".repeat(64))));
        assert!(!valid_hash(&format!("sha256:{}", "A".repeat(64))));
        assert!(!valid_hash(&format!("sha256:{}", "a".repeat(63))));
        assert!(!valid_hash(&"a".repeat(64)));
        Ok(())
    }
}

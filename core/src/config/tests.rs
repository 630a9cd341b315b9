//! Tests of the config module as a whole: parsing, errors, layering, starter file, edits.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::*;

/// Tests return errors instead of unwrapping (the workspace denies `unwrap`).
pub(super) type TestResult = Result<(), Box<dyn std::error::Error>>;

pub(super) fn hash(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

/// The example from CONTRACT.md, with a real-looking hash.
fn contract_example() -> String {
    r#"[server]
listen = "127.0.0.1:8787"          # loopback by default; anything else is an explicit choice
max_body_bytes = 33554432          # 32 MiB; larger bodies get 413 in the client's format
allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]  # Host header allowlist (DNS rebinding)
allowed_origins = []               # requests carrying another browser Origin get 403
shutdown_grace = "30s"

[gateway]
max_account_switches = 3           # failover: other accounts tried after the first
sticky_ttl = "1h"
key_wait_timeout = "30s"           # queueing for a client key's concurrency slot
account_wait_timeout = "30s"       # queueing for an account's concurrency slot
extra_wait_slots = 20              # queue length beyond concurrency before 429
keepalive_interval = "10s"         # pings while queued or while the upstream is silent
stream_idle_timeout = "180s"       # no upstream bytes for this long ends the stream with an error
connect_timeout = "10s"
first_byte_timeout = "600s"

[[accounts]]
name = "claude-a"                  # unique, [a-z0-9_-]+
platform = "anthropic"             # anthropic | openai | gemini | mock
auth = "api-key"                   # api-key | oauth | setup-token
secret = "env:ANTHROPIC_API_KEY"   # keyring (default) | env:VAR | file:PATH
base_url = "https://api.anthropic.com"   # default per platform; any compatible endpoint
priority = 10                      # lower number = preferred; default 50
concurrency = 3                    # max in-flight requests on this account; default 3
groups = ["default"]               # default ["default"]
models = ["claude-*"]              # what it serves; default by platform (claude-*, gpt-*/o*/codex-*, gemini-*)
model_map = { "claude-3-5-haiku-*" = "claude-haiku-4-5" }   # exact or trailing-* patterns
proxy = "socks5h://127.0.0.1:1080" # optional per-account HTTP(S)/SOCKS5 proxy
enabled = true

[[groups]]
name = "default"
models = []                        # optional allowlist for keys of this group
model_map = {}                     # group-level mapping, applied before account mapping

[[keys]]
name = "laptop"
hash = "HASH"                  # written by `relay key create`; the secret is never stored
group = "default"
concurrency = 5                    # max in-flight requests for this key; default 5
daily_usd = 20.0                   # optional budgets; exceeded → 429 in the client's format
monthly_usd = 300.0
models = []                        # optional allowlist
"#
    .replace("HASH", &hash('a'))
}

fn errors_of(text: &str) -> Vec<String> {
    match parse(text, Some(Path::new("config.toml"))) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn defaults_match_the_contract() -> TestResult {
    let c = Config::default();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8787");
    assert_eq!(c.server.max_body_bytes, 33_554_432);
    assert_eq!(c.server.allowed_hosts, ["localhost", "127.0.0.1", "[::1]"]);
    assert!(c.server.allowed_origins.is_empty());
    assert_eq!(c.server.shutdown_grace, Duration::from_secs(30));
    assert_eq!(c.gateway.max_account_switches, 3);
    assert_eq!(c.gateway.sticky_ttl, Duration::from_secs(3600));
    assert_eq!(c.gateway.extra_wait_slots, 20);
    assert_eq!(c.gateway.stream_idle_timeout, Duration::from_secs(180));
    assert_eq!(c.gateway.first_byte_timeout, Duration::from_secs(600));
    assert!(c.accounts.is_empty() && c.keys.is_empty() && c.groups.is_empty());
    assert_eq!(c.group("default").map(|g| g.name.as_str()), Some("default"));
    assert!(c.group("other").is_none());
    assert_eq!(parse("", None)?, Config::default());
    Ok(())
}

#[test]
fn contract_example_parses() -> TestResult {
    let c = parse(&contract_example(), Some(Path::new("config.toml")))?;
    assert_eq!(c.source.as_deref(), Some(Path::new("config.toml")));
    assert_eq!(c.server, ServerConfig::default());
    assert_eq!(c.gateway, GatewayConfig::default());
    let a = &c.accounts[0];
    assert_eq!(a.name, "claude-a");
    assert_eq!(a.platform, Platform::Anthropic);
    assert_eq!(a.auth, AuthKind::ApiKey);
    assert_eq!(a.secret, SecretRef::Env("ANTHROPIC_API_KEY".into()));
    assert_eq!(a.secret.to_string(), "env:ANTHROPIC_API_KEY");
    assert_eq!(a.priority, 10);
    assert_eq!(
        a.model_map.map("claude-3-5-haiku-latest"),
        Some("claude-haiku-4-5")
    );
    assert_eq!(a.proxy.as_deref(), Some("socks5h://127.0.0.1:1080"));
    assert_eq!(c.groups[0].name, "default");
    let k = &c.keys[0];
    assert_eq!((k.name.as_str(), k.concurrency), ("laptop", 5));
    assert_eq!((k.daily_usd, k.monthly_usd), (Some(20.0), Some(300.0)));
    assert_eq!(c.key("laptop").map(|k| k.group.as_str()), Some("default"));
    Ok(())
}

#[test]
fn account_defaults_and_mock_table() -> TestResult {
    let text = r#"
[[accounts]]
name = "o"
platform = "openai"
models = []

[[accounts]]
name = "sim"
platform = "mock"
[accounts.mock]
latency = "200ms"
fail_rate = 0.25
rate_limit_every = 4

[[accounts]]
name = "sim2"
platform = "mock"
mock = { overloaded = true }
"#;
    let c = parse(text, None)?;
    let o = &c.accounts[0];
    assert_eq!((o.priority, o.concurrency, o.enabled), (50, 3, true));
    assert_eq!(o.groups, ["default"]);
    assert_eq!(o.secret, SecretRef::Keyring);
    let models: Vec<&str> = o.models.iter().map(ModelPattern::as_str).collect();
    assert_eq!(
        models,
        ["gpt-*", "o1*", "o3*", "o4*", "codex-*", "chatgpt-*"]
    );
    let sim = &c.accounts[1];
    assert_eq!(sim.mock.latency, Duration::from_millis(200));
    assert_eq!(sim.mock.fail_rate, 0.25);
    assert_eq!(sim.mock.rate_limit_every, 4);
    assert_eq!(sim.mock.retry_after, Duration::from_secs(30));
    assert_eq!(sim.models[0].as_str(), "*");
    assert!(c.accounts[2].mock.overloaded);
    Ok(())
}

#[test]
fn contract_error_example() -> TestResult {
    let text = format!(
        "{}\n[[accounts]]\nname = \"claude-b\"\nplatform = \"anthropic\"\nconcurency = 2\n",
        contract_example()
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("concurency"))
        .ok_or("no line")?
        + 1;
    assert_eq!(
        errors_of(&text),
        [format!(
            "config.toml:{line}: accounts[1].concurency: unknown key (did you mean concurrency?)"
        )]
    );
    Ok(())
}

#[test]
fn unknown_keys_everywhere() -> TestResult {
    let text = format!(
        "[server]\nlisen = \"x\"\n[sever]\n[[keys]]\nname = \"k\"\nhash = \"{}\"\nmodles = []\n[[accounts]]\nname = \"m\"\nplatform = \"mock\"\n[accounts.mock]\nlatncy = \"1s\"\n",
        hash('b')
    );
    assert_eq!(
        errors_of(&text),
        [
            "config.toml:2: server.lisen: unknown key (did you mean listen?)",
            "config.toml:3: sever: unknown key (did you mean server?)",
            "config.toml:7: keys[0].modles: unknown key (did you mean models?)",
            "config.toml:12: accounts[0].mock.latncy: unknown key (did you mean latency?)",
        ]
    );
    Ok(())
}

#[test]
fn bad_values_name_path_and_line() -> TestResult {
    let e = errors_of("[gateway]\nsticky_ttl = 30\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("config.toml:2: gateway.sticky_ttl: expected a duration like `30s`"),
        "{e:?}"
    );
    let e = errors_of("[gateway]\n\nconnect_timeout = \"10 sec\"\n");
    assert!(
        e[0].starts_with("config.toml:3: gateway.connect_timeout: "),
        "{e:?}"
    );
    let e = errors_of("[server]\nlisten = \"localhost\"\n");
    assert!(
        e[0].starts_with(
            "config.toml:2: server.listen: expected a socket address like `127.0.0.1:8787`"
        ),
        "{e:?}"
    );
    let e = errors_of("[server]\nmax_body_bytes = \"big\"\n");
    assert_eq!(
        e,
        [
            "config.toml:2: server.max_body_bytes: expected a non-negative integer, found string \"big\""
        ]
    );
    let e = errors_of("[[accounts]]\nname = \"a\"\nplatform = \"antropic\"\n");
    assert!(
        e[0].starts_with("config.toml:3: accounts[0].platform: unknown platform `antropic`"),
        "{e:?}"
    );
    assert!(e[0].contains("did you mean anthropic?"), "{e:?}");
    let e = errors_of("[[accounts]]\nname = \"a\"\n");
    assert_eq!(
        e,
        ["config.toml:1: accounts[0]: missing required key `platform`"]
    );
    let e =
        errors_of("[[accounts]]\nname = \"a\"\nplatform = \"openai\"\nsecret = \"sk-live-123\"\n");
    assert!(
        e[0].starts_with("config.toml:4: accounts[0].secret: expected `keyring`"),
        "{e:?}"
    );
    assert!(!e[0].contains("sk-live-123"), "secret echoed: {e:?}");
    let e =
        errors_of("[[accounts]]\nname = \"a\"\nplatform = \"openai\"\nmodels = [\"gpt-*-x\"]\n");
    assert!(
        e[0].starts_with("config.toml:4: accounts[0].models[0]: model pattern"),
        "{e:?}"
    );
    let e = errors_of("[server\n");
    assert!(e[0].starts_with("config.toml:1: invalid TOML"), "{e:?}");
    let e = errors_of("accounts = 5\n");
    assert!(
        e[0].starts_with("config.toml:1: accounts: expected an array of tables"),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn semantic_errors_are_all_collected() -> TestResult {
    let text = format!(
        r#"[server]
max_body_bytes = 0

[[groups]]
name = "Team"

[[accounts]]
name = "a"
platform = "openai"
concurrency = 0
base_url = "api.openai.com"
proxy = "ftp://x"
groups = ["nope"]
mock = {{ latency = "1s" }}

[[accounts]]
name = "a"
platform = "mock"
mock = {{ fail_rate = 1.5 }}

[[keys]]
name = "k"
hash = "sha256:XYZ"
group = "tema"
daily_usd = -1.0

[[keys]]
name = "k"
hash = "{}"
"#,
        hash('c')
    );
    let e = errors_of(&text);
    let expected = [
        "config.toml:2: server.max_body_bytes: must be greater than 0",
        "config.toml:5: groups[0].name: invalid group name `Team`",
        "config.toml:10: accounts[0].concurrency: must be at least 1",
        "config.toml:11: accounts[0].base_url: expected a URL starting with http:// or https://",
        "config.toml:12: accounts[0].proxy: expected a URL starting with http:// or socks5:// or socks5h://",
        "config.toml:13: accounts[0].groups[0]: unknown group `nope`",
        "config.toml:14: accounts[0].mock: a mock table is only allowed",
        "config.toml:17: accounts[1].name: duplicate account name `a` (already used by accounts[0])",
        "config.toml:19: accounts[1].mock.fail_rate: must be between 0 and 1",
        "config.toml:23: keys[0].hash: expected `sha256:`",
        "config.toml:24: keys[0].group: unknown group `tema`",
        "config.toml:25: keys[0].daily_usd: must be a number of US dollars",
        "config.toml:28: keys[1].name: duplicate key name `k`",
    ];
    assert_eq!(e.len(), expected.len(), "{e:#?}");
    for (got, want) in e.iter().zip(expected) {
        assert!(got.starts_with(want), "got {got:?}, want {want:?}");
    }
    Ok(())
}

#[test]
fn declared_groups_are_accepted() -> TestResult {
    let text = format!(
        "[[groups]]\nname = \"team\"\nmodel_map = {{ \"gpt-4*\" = \"gpt-5\" }}\n[[accounts]]\nname = \"a\"\nplatform = \"gemini\"\ngroups = [\"team\", \"default\"]\n[[keys]]\nname = \"k\"\nhash = \"{}\"\ngroup = \"team\"\n",
        hash('d')
    );
    let c = parse(&text, None)?;
    assert_eq!(
        c.group("team").and_then(|g| g.model_map.map("gpt-4o")),
        Some("gpt-5")
    );
    assert_eq!(c.accounts[0].models[0].as_str(), "gemini-*");
    Ok(())
}

#[test]
fn layering_defaults_file_env_flags() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[server]\nlisten = \"127.0.0.1:9000\"\nshutdown_grace = \"5s\"\n[gateway]\nsticky_ttl = \"2h\"\n",
    )?;

    let no_env = env(&[]);
    let opts = LoadOptions {
        path: Some(path.clone()),
        env: &no_env,
        listen: None,
    };
    let c = load(&opts)?;
    assert_eq!(c.server.listen.port(), 9000);
    assert_eq!(c.source.as_deref(), Some(path.as_path()));

    let vars = env(&[
        ("RELAY_SERVER_LISTEN", "127.0.0.1:9100"),
        ("RELAY_GATEWAY_STICKY_TTL", "10m"),
        (
            "RELAY_SERVER_ALLOWED_ORIGINS",
            "http://localhost:3000, http://x",
        ),
        ("RELAY_SERVER_SHUTDOWN_GRACE", ""),
    ]);
    let opts = LoadOptions {
        path: Some(path.clone()),
        env: &vars,
        listen: None,
    };
    let c = load(&opts)?;
    assert_eq!(c.server.listen.port(), 9100, "env beats file");
    assert_eq!(c.gateway.sticky_ttl, Duration::from_secs(600));
    assert_eq!(
        c.server.allowed_origins,
        ["http://localhost:3000", "http://x"]
    );
    assert_eq!(
        c.server.shutdown_grace,
        Duration::from_secs(5),
        "empty env = unset"
    );

    let flag = "127.0.0.1:9200".parse().ok();
    let opts = LoadOptions {
        path: Some(path.clone()),
        env: &vars,
        listen: flag,
    };
    assert_eq!(load(&opts)?.server.listen.port(), 9200, "flag beats env");

    let bad = env(&[
        ("RELAY_GATEWAY_EXTRA_WAIT_SLOTS", "lots"),
        ("RELAY_SERVER_LISTEN", "nowhere"),
    ]);
    let opts = LoadOptions {
        path: Some(path.clone()),
        env: &bad,
        listen: None,
    };
    let e = load(&opts).err().ok_or("expected an error")?.to_string();
    assert!(
        e.contains("RELAY_SERVER_LISTEN: expected a socket address"),
        "{e}"
    );
    assert!(
        e.contains("RELAY_GATEWAY_EXTRA_WAIT_SLOTS: expected a non-negative integer, found `lots`"),
        "{e}"
    );

    let missing = dir.path().join("nope.toml");
    let opts = LoadOptions {
        path: Some(missing.clone()),
        env: &no_env,
        listen: None,
    };
    let e = load(&opts).err().ok_or("expected an error")?.to_string();
    assert_eq!(
        e,
        format!(
            "{}: cannot read config file: no such file",
            missing.display()
        )
    );
    Ok(())
}

#[test]
fn starter_parses_to_defaults() -> TestResult {
    assert_eq!(parse(starter(), None)?, Config::default());
    for key in [
        "listen",
        "max_body_bytes",
        "allowed_hosts",
        "allowed_origins",
        "shutdown_grace",
        "max_account_switches",
        "sticky_ttl",
        "key_wait_timeout",
        "account_wait_timeout",
        "extra_wait_slots",
        "keepalive_interval",
        "stream_idle_timeout",
        "connect_timeout",
        "first_byte_timeout",
    ] {
        assert!(
            starter().contains(&format!("# {key} = ")),
            "{key} missing from starter"
        );
    }
    assert!(
        starter().contains("env:")
            && starter().contains("file:")
            && starter().contains("relay key create")
    );
    Ok(())
}

#[test]
fn starter_examples_are_valid_when_uncommented() -> TestResult {
    // Uncommenting the example account must give a valid config.
    let text: String = starter()
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if l.starts_with("# [[accounts]]")
                    || ACCOUNT_KEYS.iter().any(|k| rest.starts_with(k)) =>
            {
                rest
            }
            _ => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    const ACCOUNT_KEYS: &[&str] = &[
        "[[accounts]]",
        "name = \"claude-a\"",
        "platform =",
        "auth =",
        "secret = \"env",
        "base_url",
        "priority",
        "proxy",
        "enabled",
        "name = \"sim\"",
        "models = [\"*\"]",
        "[accounts.mock]",
        "latency",
        "chunk_delay",
        "fail_rate",
        "rate_limit_every",
        "retry_after",
        "overloaded",
    ];
    let c = parse(&text, None)?;
    assert_eq!(c.accounts[0].name, "claude-a");
    assert_eq!(c.accounts[1].name, "sim");
    assert_eq!(c.accounts[1].mock.rate_limit_every, 5);
    Ok(())
}

#[test]
fn every_bad_key_of_an_entry_is_reported() -> TestResult {
    let e = errors_of(
        "[gateway]\nsticky_ttl = \"1x\"\nconnect_timeout = true\n[[accounts]]\nplatform = \"openai\"\npriority = -1\nenabled = \"yes\"\n",
    );
    let want = [
        "config.toml:2: gateway.sticky_ttl: `1x` has an unknown unit `x`",
        "config.toml:3: gateway.connect_timeout: expected a duration like `30s`, found boolean `true`",
        "config.toml:4: accounts[0]: missing required key `name`",
        "config.toml:6: accounts[0].priority: expected an integer from 0 to 4294967295, found integer `-1`",
        "config.toml:7: accounts[0].enabled: expected a boolean, found string \"yes\"",
    ];
    assert_eq!(e.len(), want.len(), "{e:#?}");
    for (got, want) in e.iter().zip(want) {
        assert!(got.starts_with(want), "got {got:?}, want {want:?}");
    }
    assert_eq!(
        errors_of("[[server]]\n"),
        ["config.toml:1: server: expected a table, found an array"]
    );
    Ok(())
}

#[test]
fn pricing_file_and_time_zone_are_checked_where_they_are_written() -> TestResult {
    let dir = tempfile::tempdir()?;
    let cfg = dir.path().join("config.toml");
    let text = "[pricing]\nfile = \"nope.json\"\n\n[ledger]\ntime_zone = \"Mars/Olympus\"\n";
    let e = match super::parse(text, Some(&cfg)) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("config.toml:2: pricing.file: cannot read price file")
            && e.contains("nope.json"),
        "{e}"
    );
    assert!(
        e.contains("config.toml:5: ledger.time_zone: unknown time zone `Mars/Olympus`"),
        "{e}"
    );
    // A relative price file is found next to the config file, and must be a price map.
    std::fs::write(
        dir.path().join("prices.json"),
        r#"{"my-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}}"#,
    )?;
    let c = super::parse(
        "[pricing]\nfile = \"prices.json\"\n[ledger]\ntime_zone = \"Asia/Tokyo\"\n",
        Some(&cfg),
    )?;
    assert_eq!(c.pricing.file, Some(dir.path().join("prices.json")));
    assert_eq!(c.ledger.time_zone(), jiff::tz::TimeZone::get("Asia/Tokyo")?);
    std::fs::write(dir.path().join("prices.json"), "[]")?;
    let e = match super::parse("[pricing]\nfile = \"prices.json\"\n", Some(&cfg)) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("is not a LiteLLM model price map"), "{e}");
    Ok(())
}

//! The `relay` binary: key management that preserves the config file, config errors with file,
//! line and key path, `serve` with its ready line, clean SIGTERM exit and no secret in any log,
//! zero-config discovery, and the demo.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::support::fake_upstream::FakeUpstream;

const BIN: &str = env!("CARGO_BIN_EXE_relay");

/// A command with HOME and XDG dirs inside `dir`, so nothing touches the real user's files.
pub(crate) fn relay(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"))
        // Tests never touch the real OS keyring.
        .env("RELAY_SECRET_STORE", "file");
    c
}

pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const COMMENTED: &str =
    "# my relay\n[server]\nlisten = \"127.0.0.1:8787\" # keep me\n\n# accounts go here\n";

#[test]
fn key_create_list_revoke_keep_the_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, COMMENTED).unwrap();
    let out = run(relay(dir.path()).arg("--config").arg(&cfg).args([
        "key",
        "create",
        "laptop",
        "--concurrency",
        "2",
    ]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "the secret is the only stdout line: {stdout:?}"
    );
    let secret = lines[0];
    assert!(secret.starts_with("rk-") && secret.len() >= 43, "{secret}");
    let file = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        file.starts_with(COMMENTED),
        "existing text and comments are preserved:\n{file}"
    );
    assert!(file.contains(&relay_core::keys::hash(secret)));
    assert!(!file.contains(secret), "only the hash is stored");
    assert!(text(&out.stderr).contains("shown only once"));

    let out = run(relay(dir.path())
        .arg("--config")
        .arg(&cfg)
        .args(["key", "list", "--json"]));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["name"], "laptop");
    assert_eq!(v[0]["concurrency"], 2);
    assert!(!text(&out.stdout).contains(secret) && !text(&out.stdout).contains("sha256"));

    let dup = run(relay(dir.path())
        .arg("--config")
        .arg(&cfg)
        .args(["key", "create", "laptop"]));
    assert_eq!(dup.status.code(), Some(2));
    assert!(dup.stdout.is_empty());

    let out = run(relay(dir.path())
        .arg("--config")
        .arg(&cfg)
        .args(["key", "revoke", "laptop"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap().trim_end(),
        COMMENTED.trim_end()
    );
    let missing = run(relay(dir.path())
        .arg("--config")
        .arg(&cfg)
        .args(["key", "revoke", "laptop"]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).starts_with("error: no key named `laptop`"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn config_check_names_file_line_and_key_path() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[[accounts]]\nname = \"a\"\nplatform = \"mock\"\n\n[[accounts]]\nname = \"b\"\nplatform = \"mock\"\nconcurency = 3\n",
    )
    .unwrap();
    let out = run(relay(dir.path())
        .arg("--config")
        .arg(&cfg)
        .args(["config", "check"]));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "config.toml:8: accounts[1].concurency: unknown key (did you mean concurrency?)"
        ),
        "{err}"
    );
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"));
}

#[test]
fn config_init_writes_a_valid_starter_and_path_shows_locations() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(relay(dir.path()).args(["config", "init"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = dir.path().join("config/relay/config.toml");
    assert!(written.exists(), "init writes to the XDG config dir");
    let again = run(relay(dir.path()).args(["config", "init"]));
    assert_eq!(again.status.code(), Some(2), "no silent overwrite");
    let check = run(relay(dir.path()).args(["config", "check"]));
    assert!(check.status.success(), "{}", text(&check.stderr));
    let paths = run(relay(dir.path()).args(["config", "path"]));
    let shown = text(&paths.stdout);
    assert!(shown.contains(&written.display().to_string()), "{shown}");
    assert!(shown.contains("ledger.sqlite3"));
}

#[test]
fn models_discovers_provider_keys_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(relay(dir.path())
        .env("OPENAI_API_KEY", "sk-discovered")
        .args(["models", "--json"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"gpt-4.1"), "{ids:?}");
    assert!(ids.iter().all(|id| !id.starts_with("claude")));
}

#[tokio::test]
async fn serve_announces_serves_stops_on_sigterm_and_never_logs_secrets() {
    let fake = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let client_key = "rk-CLIENTCANARY0000000000000000000000000000000";
    let upstream_secret = "sk-UPSTREAMCANARY-1234567890";
    // A subscription login whose expired token is refreshed while serving.
    let oauth = crate::support::fake_oauth::FakeOauth::start("OAUTHREFRESHCANARY").await;
    oauth.answer_with(
        serde_json::json!({"access_token": "NEWACCESSCANARY", "refresh_token": "NEWREFRESHCANARY"}),
    );
    let login = dir.path().join("credentials.json");
    std::fs::write(
        &login,
        r#"{"claudeAiOauth":{"accessToken":"OAUTHACCESSCANARY","refreshToken":"OAUTHREFRESHCANARY","expiresAt":1}}"#,
    )
    .unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[accounts]]\nname = \"gpt\"\nplatform = \"openai\"\nsecret = \"env:UPSTREAM_KEY\"\nbase_url = \"{}\"\n\n[[accounts]]\nname = \"sub\"\nplatform = \"anthropic\"\nauth = \"oauth\"\nsecret = \"file:{}\"\nbase_url = \"{}\"\n\n[[keys]]\nname = \"ci\"\nhash = \"{}\"\n",
            fake.url,
            login.display(),
            fake.url,
            relay_core::keys::hash(client_key)
        ),
    )
    .unwrap();
    let data = dir.path().join("data-dir");
    let mut child = relay(dir.path())
        .env("UPSTREAM_KEY", upstream_secret)
        .env("RELAY_OAUTH_ANTHROPIC_TOKEN_URL", &oauth.url)
        .env("RELAY_LOG", "trace,hyper=info,h2=info,rustls=info")
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("no ready line");
        if let Some(u) = line.strip_prefix("relay listening on ") {
            break u.to_owned();
        }
    };
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let got = crate::support::post(
        &format!("{url}/v1/chat/completions"),
        Some(client_key),
        r#"{"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
    )
    .await;
    assert_eq!(got.status, 200);
    let bad = crate::support::post(
        &format!("{url}/v1/chat/completions"),
        Some("rk-WRONGCANARY"),
        r#"{"model":"gpt-4.1","messages":[]}"#,
    )
    .await;
    assert_eq!(bad.status, 401);
    assert_eq!(
        fake.requests()[0].header("authorization").as_deref(),
        Some(&*format!("Bearer {upstream_secret}"))
    );
    let sub = crate::support::post(
        &format!("{url}/v1/messages"),
        Some(client_key),
        r#"{"model":"claude-sonnet-4-5","max_tokens":3,"messages":[{"role":"user","content":"hi"}]}"#,
    )
    .await;
    assert_eq!(sub.status, 200, "{}", sub.text());
    assert_eq!(oauth.refreshes(), 1);
    assert_eq!(
        fake.requests()[1].header("authorization").as_deref(),
        Some("Bearer NEWACCESSCANARY")
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit.code(), Some(0), "SIGTERM exits 0");
    let mut logs = reader.join().unwrap();
    let log_dir = data.join("logs");
    let files: Vec<_> = std::fs::read_dir(&log_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        !files.is_empty(),
        "a daily log file is written under {}",
        log_dir.display()
    );
    for f in files {
        logs.push_str(&std::fs::read_to_string(f).unwrap());
    }
    assert!(
        logs.contains("request finished"),
        "trace logs were captured:\n{logs}"
    );
    assert!(logs.contains("refreshed the OAuth access token"), "{logs}");
    for canary in [
        client_key,
        upstream_secret,
        "WRONGCANARY",
        "UPSTREAMCANARY",
        "CLIENTCANARY",
        "OAUTHACCESSCANARY",
        "OAUTHREFRESHCANARY",
        "NEWACCESSCANARY",
        "NEWREFRESHCANARY",
    ] {
        assert!(!logs.contains(canary), "secret `{canary}` leaked into logs");
    }
}

#[test]
fn demo_runs_without_credentials_and_prints_a_line_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(relay(dir.path()).args(["demo", "--listen", "127.0.0.1:0", "--requests", "6"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 6, "{stdout}");
    assert!(stdout.contains("mock-"), "{stdout}");
    assert!(text(&out.stderr).contains("relay listening on http://127.0.0.1:"));
}

#[test]
fn completions_and_help_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(relay(dir.path()).args(["completions", "bash"]));
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("_relay()"));
    let help = run(relay(dir.path()).arg("--help"));
    assert!(text(&help.stdout).contains("relay demo"));
    let mut child = relay(dir.path())
        .args(["completions", "zsh"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // closed pipe, like `| head -0`
    let status = child.wait().unwrap();
    assert!(
        status.code() == Some(0),
        "a closed pipe is not a crash: {status:?}"
    );
}

#[test]
fn bench_quick_reports_every_scenario_with_sane_numbers() {
    let dir = tempfile::tempdir().unwrap();
    // `--compare` is pointed at the benchmark's own upstream (a "gateway" that adds nothing),
    // which exercises the comparison without another gateway installed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let compare = format!("http://127.0.0.1:{port}");
    let out = run(relay(dir.path()).args([
        "bench",
        "--quick",
        "--json",
        "--upstream-port",
        &port,
        "--compare",
        &compare,
    ]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["failed_requests"], 0, "{v:#}");
    let lines = v["lines"].as_array().unwrap();
    let find = |scenario: &str, metric: &str| {
        lines
            .iter()
            .find(|l| {
                l["scenario"].as_str().unwrap().starts_with(scenario) && l["metric"] == metric
            })
            .unwrap_or_else(|| panic!("no `{scenario}` / `{metric}` line in {v:#}"))
    };
    for scenario in ["closed loop", "fixed rate"] {
        for p in ["p50", "p90", "p99", "max"] {
            let l = find(scenario, &format!("latency {p} (ms)"));
            let (d, r) = (l["direct"].as_f64().unwrap(), l["relay"].as_f64().unwrap());
            assert!(d > 0.0 && r > 0.0 && d.is_finite() && r.is_finite(), "{l}");
            assert!((l["added"].as_f64().unwrap() - (r - d)).abs() < 1e-9, "{l}");
        }
    }
    // Percentiles are ordered.
    let p = |q: &str| {
        find("closed loop", &format!("latency {q} (ms)"))["relay"]
            .as_f64()
            .unwrap()
    };
    assert!(p("p50") <= p("p90") && p("p90") <= p("p99") && p("p99") <= p("max"));
    // Targets are reported with whether they were met (never asserted: timing is the machine's).
    let l = find("fixed rate", "latency p50 (ms)");
    assert_eq!(l["target"], 0.1);
    assert!(l["met"].is_boolean());
    // Every streamed event arrived, passthrough and converted.
    let frames = find("streams", "frames per stream (mean)");
    assert_eq!(
        (frames["direct"].as_f64(), frames["relay"].as_f64()),
        (Some(20.0), Some(20.0))
    );
    assert!(
        find("Responses → Anthropic", "first event p50 (ms)")["relay"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(
        find("closed loop", "relay CPU per request (µs)")["relay"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let rss = find("relay memory", "RSS holding 100 streams (MB)")["relay"]
        .as_f64()
        .unwrap();
    assert!(rss > 1.0 && rss < 4096.0, "{rss}");
    assert!(v["machine"]["cpus"].as_u64().unwrap() >= 1);
    assert_eq!(
        v["compare_errors"].as_array().map(Vec::len),
        Some(0),
        "{v:#}"
    );
    let other = find(
        &format!("compare {compare}: chat, closed loop"),
        "throughput (req/s)",
    );
    assert!(other["relay"].as_f64().unwrap() > 0.0, "{other}");
    let first = find(
        &format!("compare {compare}: chat streams"),
        "first event p50 (ms)",
    );
    assert!(first["relay"].as_f64().unwrap() > 0.0, "{first}");
}

#[tokio::test]
async fn doctor_reports_secrets_permissions_ledger_and_reachability() {
    let fake = crate::support::fake_upstream::FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[accounts]]\nname = \"sim\"\nplatform = \"mock\"\n\n[[accounts]]\nname = \"up\"\nplatform = \"anthropic\"\nsecret = \"env:DOCTOR_KEY\"\nbase_url = \"{}\"\n\n[[accounts]]\nname = \"gone\"\nplatform = \"openai\"\nsecret = \"env:DOCTOR_KEY\"\nbase_url = \"http://127.0.0.1:9\"\n",
            fake.url
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let doctor = |extra: &[&str], key: Option<&str>| {
        let mut c = relay(dir.path());
        c.arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(&data)
            .arg("doctor")
            .args(extra);
        c.env_remove("DOCTOR_KEY");
        if let Some(k) = key {
            c.env("DOCTOR_KEY", k);
        }
        let out = run(&mut c);
        let text = text(&out.stdout).replace(&dir.path().display().to_string(), "TMP");
        (out.status.code(), text)
    };
    // A missing secret fails, naming the variable.
    let (code, out) = doctor(&["--offline"], None);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("FAIL    account up ") && l.contains("`DOCTOR_KEY` is not set")),
        "{out}"
    );
    // With it, offline: all pass; the ledger and data dir do not exist yet.
    let (code, out) = doctor(&["--offline"], Some("k"));
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        out,
        "STATUS  CHECK                   DETAIL\n\
         ok      config                  TMP/config.toml\n\
         ok      data dir                TMP/data (created by the first `relay serve`)\n\
         ok      secret store            file TMP/data/secrets.json\n\
         ok      account sim             simulated (mock), needs no secret\n\
         ok      account up              api-key from env:DOCTOR_KEY\n\
         skip    account up reachable    --offline\n\
         ok      account gone            api-key from env:DOCTOR_KEY\n\
         skip    account gone reachable  --offline\n\
         all checks passed\n"
    );
    // Online: the fake upstream accepts connections, the closed port does not.
    let (code, out) = doctor(&[], Some("k"));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("ok      account up reachable")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("FAIL    account gone reachable") && l.contains("127.0.0.1:9")),
        "{out}"
    );
    // A data dir others can write to fails; a ledger is checked once it exists.
    let ledger = relay_core::ledger::Ledger::open(&data).unwrap();
    assert!(ledger.close(Duration::from_secs(5)));
    let (_, out) = doctor(&["--offline"], Some("k"));
    assert!(
        out.contains("ok      ledger") && out.contains("integrity ok"),
        "{out}"
    );
    assert!(out.contains("(mode 700)"), "{out}");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, out) = doctor(&["--offline"], Some("k"));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("is writable by others (mode 777); run: chmod 700"),
        "{out}"
    );
}

#[tokio::test]
async fn account_list_pause_resume_against_a_running_relay_and_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    std::fs::write(
        &cfg,
        format!("[server]\nlisten = \"127.0.0.1:{port}\"\n\n[[accounts]]\nname = \"sim\"\nplatform = \"mock\"\nmodels = [\"*\"]\n"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let cli = |args: &[&str]| {
        let mut c = relay(dir.path());
        c.arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(&data)
            .args(args);
        let out = run(&mut c);
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, out, _) = cli(&["account", "list"]);
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with("from the config (no relay running"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("sim   mock      configured")),
        "{out}"
    );
    let (code, _, err) = cli(&["account", "pause", "sim"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("act on a running relay"), "{err}");

    let served = crate::support::serve_binary(&cfg, &data, &[], false);
    let (code, out, _) = cli(&["account", "list"]);
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with(&format!("live from the relay at http://127.0.0.1:{port}")),
        "{out}"
    );
    assert_eq!(cli(&["account", "pause", "sim"]).1, "sim: paused\n");
    let (_, json, _) = cli(&["account", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["state"], "paused");
    assert_eq!(cli(&["account", "resume", "sim"]).1, "sim: active\n");
    let (code, _, err) = cli(&["account", "pause", "nope"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no account named `nope`"), "{err}");
    drop(served);
}

//! The usage ledger end to end: one complete row per request (failures and hang-ups
//! included), budgets answered in each dialect, totals surviving a restart, and rows surviving
//! `kill -9`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use relay_core::ledger::query::{self, Filter, RequestRow};

use crate::support::fake_upstream::{self, End, FakeUpstream, Reply, Usage};
use crate::support::{KEY, Relay, SECRETS, key_block, post, two_accounts};

/// Every row in the ledger, newest first.
fn rows(data: &Path) -> Vec<RequestRow> {
    let conn = relay_core::ledger::open_read_only(data).unwrap().unwrap();
    query::requests(&conn, &Filter::default(), 100_000).unwrap()
}

/// Rows still `open` (the report queries leave them out).
fn open_rows(data: &Path) -> i64 {
    let conn = rusqlite::Connection::open(data.join(relay_core::ledger::FILE_NAME)).unwrap();
    conn.query_row(
        "SELECT COUNT(*) FROM requests WHERE state = 'open'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn id_of(got: &crate::support::Got) -> String {
    got.header("x-relay-request-id").unwrap().to_owned()
}

#[tokio::test]
async fn every_request_gets_exactly_one_complete_row() {
    let fake = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start_with_ledger(&two_accounts(), &fake.url, SECRETS, dir.path()).await;
    let url = |p: &str| format!("{}{p}", relay.url);

    let ok = post(
        &url("/v1/messages"),
        Some(KEY),
        r#"{"model":"claude-sonnet-4-5","max_tokens":9,"messages":[{"role":"user","content":"hi"}]}"#,
    )
    .await;
    assert_eq!(ok.status, 200);
    let streamed = post(
        &url("/v1/chat/completions"),
        Some(KEY),
        r#"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
    )
    .await;
    assert_eq!(streamed.status, 200);
    let invalid = post(&url("/v1/messages"), Some(KEY), "{not json").await;
    assert_eq!(invalid.status, 400);
    let unknown = post(
        &url("/v1/responses"),
        Some(KEY),
        r#"{"model":"no-such-model","input":"hi"}"#,
    )
    .await;
    assert_eq!(unknown.status, 404);
    let bad_key = post(&url("/v1/messages"), Some("rk-wrong"), "{}").await;
    assert_eq!(bad_key.status, 401);
    relay.stop().await;

    let rows = rows(dir.path());
    assert_eq!(open_rows(dir.path()), 0);
    let by_id = |g: &crate::support::Got| {
        let id = id_of(g);
        let found: Vec<&RequestRow> = rows.iter().filter(|r| r.id == id).collect();
        assert_eq!(found.len(), 1, "one row for {id}");
        found[0].clone()
    };
    // Sonnet 4.5 with the fake's usage (11 in, 7 out, 3 cache reads, 2 five-minute writes):
    // 33 + 105 + 0.9 + 7.5 = 146.4 µ$.
    let r = by_id(&ok);
    assert_eq!(
        (
            r.status,
            r.error.as_deref(),
            r.account.as_deref(),
            r.inbound.as_str()
        ),
        (Some(200), None, Some("claude"), "anthropic")
    );
    assert_eq!(
        (
            r.input_tokens,
            r.output_tokens,
            r.cache_read_tokens,
            r.cache_creation_tokens
        ),
        (11, 7, 3, 2)
    );
    assert_eq!((r.cost_micros, r.priced, r.stream), (146, true, false));
    assert_eq!(r.key.as_deref(), Some("test"));
    // gpt-5, OpenAI convention upstream (14 prompt tokens of which 3 cached): 11 × 1.25 +
    // 3 × 0.125 + 7 × 10 = 84.125 µ$.
    let r = by_id(&streamed);
    assert_eq!(
        (r.status, r.stream, r.inbound.as_str()),
        (Some(200), true, "openai-chat")
    );
    assert_eq!(
        (r.input_tokens, r.cache_read_tokens, r.output_tokens),
        (11, 3, 7)
    );
    assert_eq!(r.cost_micros, 84);
    assert!(r.ttft_ms.is_some() && r.latency_ms.is_some());
    let r = by_id(&invalid);
    assert_eq!(
        (r.status, r.error.as_deref(), r.cost_micros),
        (Some(400), Some("invalid_json"), 0)
    );
    let r = by_id(&unknown);
    assert_eq!(
        (r.status, r.model.as_deref()),
        (Some(404), Some("no-such-model"))
    );
    assert!(r.error.is_some());
    assert_eq!(rows.len(), 4, "no row for the unknown key: {rows:#?}");
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_client_that_hangs_up_mid_stream_gets_one_row_with_the_final_usage() {
    use http_body_util::BodyExt;
    let fake = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::start_with_ledger(&two_accounts(), &fake.url, SECRETS, dir.path()).await;
    let usage = Usage {
        input: 40,
        output: 9,
        cache_read: 0,
        cache_write: 0,
    };
    let events = fake_upstream::anthropic_sse("claude-haiku-4-5", &["a", "b", "c", "d"], usage);
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, Duration::from_millis(60)),
        end: End::Close,
    });
    let req = http::Request::post(format!("{}/v1/messages", relay.url))
        .header("x-api-key", KEY)
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            br#"{"model":"claude-haiku-4-5","max_tokens":9,"stream":true,"messages":[]}"#,
        )))
        .unwrap();
    let resp = crate::support::client().request(req).await.unwrap();
    let id = resp.headers()["x-relay-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let mut body = resp.into_body();
    assert!(body.frame().await.unwrap().unwrap().is_data());
    drop(body);
    let e = relay.finished().await;
    assert!(e.client_disconnected);
    relay.stop().await;

    let rows = rows(dir.path());
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.id, id);
    assert!(r.client_disconnected);
    assert_eq!(
        (r.input_tokens, r.output_tokens),
        (40, 9),
        "drained to the end"
    );
    // Haiku 4.5: 40 × $1 + 9 × $5 = 85 µ$.
    assert_eq!(r.cost_micros, 85);
}

/// Two accounts and a key with a daily budget of $0.0001 (100 µ$).
fn budget_config(daily: &str) -> String {
    two_accounts().replace(&key_block(), &format!("{}{daily}\n", key_block()))
}

#[tokio::test]
async fn a_spent_budget_is_refused_in_each_dialect_and_says_when_it_resets() {
    let fake = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start_with_ledger(
        &budget_config("daily_usd = 0.0001"),
        &fake.url,
        SECRETS,
        dir.path(),
    )
    .await;
    let url = |p: &str| format!("{}{p}", relay.url);
    // Within budget (nothing spent yet): served, and it costs 146 µ$.
    let first = post(
        &url("/v1/messages"),
        Some(KEY),
        r#"{"model":"claude-sonnet-4-5","max_tokens":9,"messages":[]}"#,
    )
    .await;
    assert_eq!(first.status, 200);
    for (path, body) in [
        (
            "/v1/messages",
            r#"{"model":"claude-sonnet-4-5","max_tokens":9,"messages":[]}"#,
        ),
        ("/v1/chat/completions", r#"{"model":"gpt-5","messages":[]}"#),
        ("/v1/responses", r#"{"model":"gpt-5","input":"hi"}"#),
    ] {
        let got = post(&url(path), Some(KEY), body).await;
        assert_eq!(got.status, 429, "{path}: {}", got.text());
        let v = got.json();
        let message = match path {
            "/v1/messages" => {
                assert_eq!(v["type"], "error");
                assert_eq!(v["error"]["type"], "rate_limit_error");
                v["error"]["message"].as_str().unwrap().to_owned()
            }
            _ => {
                assert_eq!(v["error"]["code"], "budget_exceeded", "{path}: {v}");
                v["error"]["message"].as_str().unwrap().to_owned()
            }
        };
        assert!(
            message.contains("`test` has reached its daily budget of $0.00 ($0.00 spent)")
                && message.contains("resets at")
                && message.contains("daily_usd"),
            "{path}: {message}"
        );
        let retry: u64 = got.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=90_000).contains(&retry), "{retry}");
    }
    assert_eq!(
        fake.requests().len(),
        1,
        "refused requests never reach an upstream"
    );
    relay.stop().await;
    let rows = rows(dir.path());
    let refused: Vec<_> = rows
        .iter()
        .filter(|r| r.error.as_deref() == Some("budget_exceeded"))
        .collect();
    assert_eq!(refused.len(), 3);
    assert!(
        refused
            .iter()
            .all(|r| r.status == Some(429) && r.cost_micros == 0)
    );
}

#[tokio::test]
async fn running_totals_are_published_for_the_dashboard() {
    let fake = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::start_with_ledger(&two_accounts(), &fake.url, SECRETS, dir.path()).await;
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":9,"messages":[]}"#;
    for _ in 0..2 {
        assert_eq!(
            post(&format!("{}/v1/messages", relay.url), Some(KEY), body)
                .await
                .status,
            200
        );
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let totals = loop {
        match tokio::time::timeout_at(deadline, relay.events.recv()).await {
            Ok(Ok(relay_core::events::Event::Totals(t))) if t.all.requests_today == 2 => break t,
            Ok(Ok(_)) => {}
            other => panic!("no totals for both requests: {other:?}"),
        }
    };
    // Two requests at 146 µ$ and 23 tokens each.
    assert_eq!(
        (totals.all.today_micros, totals.all.month_micros),
        (292, 292)
    );
    assert_eq!(totals.tokens_per_minute, 46);
    assert_eq!(totals.requests_per_minute, 2);
    assert_eq!(totals.keys.len(), 1);
    assert_eq!(totals.keys[0].0, "test");
    assert_eq!(totals.accounts[0].0, "claude");
    assert_eq!(totals.accounts[0].1.today_micros, 292);
    relay.stop().await;
}

#[cfg(unix)]
#[test]
fn a_new_data_dir_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("a/b");
    let ledger = relay_core::ledger::Ledger::open(&data).unwrap();
    assert!(ledger.close(Duration::from_secs(5)));
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[tokio::test]
async fn budgets_start_from_what_the_ledger_holds_after_a_restart() {
    let fake = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":9,"messages":[]}"#;
    let relay = Relay::start_with_ledger(&two_accounts(), &fake.url, SECRETS, dir.path()).await;
    assert_eq!(
        post(&format!("{}/v1/messages", relay.url), Some(KEY), body)
            .await
            .status,
        200
    );
    relay.stop().await;
    // 146 µ$ spent; a budget of 100 µ$ this month is already used up after the restart.
    let relay = Relay::start_with_ledger(
        &budget_config("monthly_usd = 0.0001"),
        &fake.url,
        SECRETS,
        dir.path(),
    )
    .await;
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), body).await;
    assert_eq!(got.status, 429, "{}", got.text());
    assert!(got.text().contains("monthly budget"), "{}", got.text());
    let totals = relay.gateway.shared().books.snapshot();
    assert_eq!(totals.all.month_micros, 146);
    relay.stop().await;
}

use crate::support::BIN;

#[tokio::test]
async fn kill_9_during_50_streams_loses_no_finished_row_and_marks_the_rest_interrupted() {
    let fake = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[accounts]]\nname = \"claude\"\nplatform = \"anthropic\"\nsecret = \"env:UP\"\nbase_url = \"{}\"\nconcurrency = 100\n\n{}concurrency = 100\n",
            fake.url,
            key_block()
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let served = crate::support::serve_binary(&cfg, &data, &[("UP", "sk-up")], true);
    let url = served.url.clone();
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":9,"messages":[]}"#;
    let mut finished = Vec::new();
    for _ in 0..10 {
        let got = post(&format!("{url}/v1/messages"), Some(KEY), body).await;
        assert_eq!(got.status, 200);
        finished.push(id_of(&got));
    }
    // 50 streams that take a minute each.
    let slow = fake_upstream::anthropic_sse(
        "claude-sonnet-4-5",
        &["x"; 60],
        fake_upstream::DEFAULT_USAGE,
    );
    for _ in 0..50 {
        fake.push(Reply::Sse {
            status: 200,
            headers: vec![],
            events: fake_upstream::paced(slow.clone(), Duration::from_secs(1)),
            end: End::Close,
        });
    }
    let stream_body = r#"{"model":"claude-sonnet-4-5","max_tokens":9,"stream":true,"messages":[]}"#;
    let mut streams = Vec::new();
    for _ in 0..50 {
        let u = format!("{url}/v1/messages");
        streams.push(tokio::spawn(async move {
            post(&u, Some(KEY), stream_body).await
        }));
    }
    assert!(
        fake.wait_for_hits(60, Duration::from_secs(20)).await,
        "50 streams in flight"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = Command::new("kill")
        .args(["-KILL", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    drop(served);
    for s in streams {
        let _ = s.await;
    }

    assert_eq!(relay_core::ledger::integrity_check(&data).unwrap(), "ok");
    assert_eq!(
        open_rows(&data),
        50,
        "the streams' rows were opened before the crash"
    );
    // The next start marks them interrupted.
    let ledger = relay_core::ledger::Ledger::open(&data).unwrap();
    assert_eq!(ledger.interrupted_at_start(), 50);
    assert!(ledger.close(Duration::from_secs(5)));
    let rows = rows(&data);
    assert_eq!(rows.len(), 60, "one row per request, never two");
    let mut ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 60);
    for id in &finished {
        let r = rows.iter().find(|r| &r.id == id).unwrap();
        assert_eq!(
            (r.status, r.cost_micros, r.output_tokens),
            (Some(200), 146, 7),
            "{id}"
        );
    }
    let interrupted: Vec<_> = rows
        .iter()
        .filter(|r| r.error.as_deref() == Some("interrupted"))
        .collect();
    assert_eq!(interrupted.len(), 50);
    assert!(interrupted.iter().all(|r| r.status.is_none()
        && r.stream
        && r.model.as_deref() == Some("claude-sonnet-4-5")));
    assert_eq!(relay_core::ledger::integrity_check(&data).unwrap(), "ok");
}

/// A ledger with known rows (fixed times in June 2025), for report snapshots.
fn sample_ledger(data: &Path) {
    use relay_core::events::UsageEvent;
    use relay_core::protocol::{Dialect, Usage};
    let ledger = relay_core::ledger::Ledger::open(data).unwrap();
    let pricing = relay_core::pricing::Pricing::builtin();
    let at = |s: &str| {
        let t: jiff::Timestamp = s.parse().unwrap();
        std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(t.as_millisecond()).unwrap())
    };
    /// id, time, key, model, dialect, status, error, [input, output, cache read, cache write].
    type Sample = (
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
        Dialect,
        u16,
        Option<&'static str>,
        [u64; 4],
    );
    let rows: &[Sample] = &[
        (
            "req_01",
            "2025-06-01T09:00:00Z",
            Some("laptop"),
            "claude-sonnet-4-5",
            Dialect::Anthropic,
            200,
            None,
            [1200, 800, 50_000, 2000],
        ),
        (
            "req_02",
            "2025-06-01T23:30:00Z",
            Some("laptop"),
            "claude-sonnet-4-5",
            Dialect::Anthropic,
            200,
            None,
            [300, 150, 0, 0],
        ),
        (
            "req_03",
            "2025-06-02T10:15:00Z",
            Some("ci"),
            "gpt-5",
            Dialect::OpenAiResponses,
            200,
            None,
            [20_000, 4_000, 100_000, 0],
        ),
        (
            "req_04",
            "2025-06-02T10:16:00Z",
            Some("ci"),
            "gpt-5",
            Dialect::OpenAiChat,
            429,
            Some("rate_limited"),
            [0, 0, 0, 0],
        ),
        (
            "req_05",
            "2025-06-03T08:00:00Z",
            None,
            "local-llama",
            Dialect::OpenAiChat,
            200,
            None,
            [500, 500, 0, 0],
        ),
    ];
    for (id, time, key, model, inbound, status, error, [input, output, read, write]) in rows {
        let usage = Usage {
            input: *input,
            output: *output,
            cache_read: *read,
            cache_write: *write,
            cache_write_1h: 0,
        };
        let mut e = UsageEvent {
            id: (*id).into(),
            time: at(time),
            key: key.map(str::to_owned),
            account: (*status == 200).then(|| {
                if model.starts_with("gpt") {
                    "gpt"
                } else {
                    "claude"
                }
                .to_owned()
            }),
            platform: Some("anthropic"),
            inbound: *inbound,
            model: Some((*model).into()),
            upstream_model: Some((*model).into()),
            stream: true,
            status: *status,
            error: *error,
            attempts: 1,
            usage,
            cost: relay_core::pricing::Cost::default(),
            latency_ms: 1234,
            ttft_ms: Some(200),
            client_disconnected: false,
        };
        e.cost = pricing.cost(model, &e.usage);
        ledger.close_row(Box::new(e));
    }
    // A request the relay never finished.
    let open = UsageEvent {
        id: "req_06".into(),
        time: at("2025-06-03T09:00:00Z"),
        key: Some("laptop".into()),
        account: None,
        platform: None,
        inbound: Dialect::Anthropic,
        model: Some("claude-haiku-4-5".into()),
        upstream_model: None,
        stream: true,
        status: 0,
        error: None,
        attempts: 0,
        usage: Usage::default(),
        cost: relay_core::pricing::Cost::default(),
        latency_ms: 0,
        ttft_ms: None,
        client_disconnected: false,
    };
    ledger.open_row(&open);
    assert!(ledger.close(Duration::from_secs(5)));
    let reopened = relay_core::ledger::Ledger::open(data).unwrap();
    assert_eq!(reopened.interrupted_at_start(), 1);
    assert!(reopened.close(Duration::from_secs(5)));
}

fn report(dir: &Path, args: &[&str]) -> String {
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, "[ledger]\ntime_zone = \"Europe/Berlin\"\n").unwrap();
    let out = Command::new(BIN)
        .env_remove("COLUMNS")
        .env("RELAY_SECRET_STORE", "file")
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn report_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    sample_ledger(&dir.path().join("data"));
    let range = ["--since", "2025-06-01", "--until", "2025-07-01"];
    for (name, args) in [
        ("usage by model", vec!["usage", "--by", "model"]),
        ("usage by day", vec!["usage", "--by", "day"]),
        (
            "usage by key json",
            vec!["usage", "--by", "key", "--format", "json"],
        ),
        (
            "usage by account csv",
            vec!["usage", "--by", "account", "--format", "csv"],
        ),
        ("requests", vec!["requests"]),
        (
            "requests errors csv",
            vec!["requests", "--status", "error", "--format", "csv"],
        ),
    ] {
        let mut all = args.clone();
        all.extend(range);
        let got = report(dir.path(), &all);
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/reports")
            .join(format!("{}.txt", name.replace(' ', "_")));
        if crate::support::update_golden() {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &got).unwrap();
        }
        let want = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", file.display()));
        assert_eq!(
            got,
            want,
            "`relay {}` differs from {}",
            all.join(" "),
            file.display()
        );
        if !args.contains(&"--format") {
            assert!(
                got.lines().all(|l| l.chars().count() <= 80),
                "{name}: wider than 80 columns\n{got}"
            );
        }
    }
}

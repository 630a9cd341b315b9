//! The admin API over real HTTP: token and loopback checks, the status snapshot, operator
//! actions, Prometheus metrics and the live event stream.

use std::time::Duration;

use http_body_util::BodyExt;
use relay_core::server::admin::wire::{Snapshot, WireEvent};

use crate::support::fake_upstream::FakeUpstream;
use crate::support::{KEY, Relay, account_secrets, anthropic_accounts, env_refs, post, send};

const TOKEN: &str = "ra-test-admin-token";

async fn relay(fake: &FakeUpstream) -> Relay {
    let secrets = account_secrets(2);
    let options = relay_core::gateway::Options {
        admin_token: Some(TOKEN.into()),
        ..Default::default()
    };
    Relay::start_with(
        &anthropic_accounts(2, ""),
        &fake.url,
        &env_refs(&secrets),
        options,
    )
    .await
}

async fn admin(method: &str, url: &str, token: Option<&str>) -> crate::support::Got {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    send(method, url, &headers, "").await
}

#[tokio::test]
async fn the_token_is_required_and_the_status_tells_the_state() {
    let fake = FakeUpstream::start().await;
    let relay = relay(&fake).await;
    let status = format!("{}/relay/v1/status", relay.url);
    for token in [None, Some("ra-wrong")] {
        let got = admin("GET", &status, token).await;
        assert_eq!(got.status, 401, "{}", got.text());
        assert_eq!(got.json()["error"]["code"], "invalid_admin_token");
    }
    // A client key is not an admin token.
    assert_eq!(admin("GET", &status, Some(KEY)).await.status, 401);
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}"#;
    assert_eq!(
        post(&format!("{}/v1/messages", relay.url), Some(KEY), body)
            .await
            .status,
        200
    );
    let got = admin("GET", &status, Some(TOKEN)).await;
    assert_eq!(got.status, 200);
    let snap: Snapshot = serde_json::from_slice(&got.body).unwrap();
    let names: Vec<&str> = snap.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["a0", "a1"]);
    assert!(
        snap.accounts
            .iter()
            .all(|a| a.state == "active" && a.slots.max == 3)
    );
    assert_eq!(
        snap.accounts.iter().map(|a| a.requests_today).sum::<u64>(),
        1
    );
    assert_eq!(snap.keys[0].name, "test");
    assert_eq!(snap.keys[0].requests_today, 1);
    assert!(snap.keys[0].cost_today_usd > 0.0);
    assert_eq!(snap.totals.requests_today, 1);
    assert!(snap.in_flight.is_empty());

    // Operator actions.
    let pause = format!("{}/relay/v1/accounts/a1/pause", relay.url);
    assert_eq!(admin("POST", &pause, None).await.status, 401);
    let got = admin("POST", &pause, Some(TOKEN)).await;
    assert_eq!(got.json()["state"], "paused", "{}", got.text());
    let snap: Snapshot =
        serde_json::from_slice(&admin("GET", &status, Some(TOKEN)).await.body).unwrap();
    assert_eq!(snap.accounts[1].state, "paused");
    let got = admin(
        "POST",
        &format!("{}/relay/v1/accounts/a1/resume", relay.url),
        Some(TOKEN),
    )
    .await;
    assert_eq!(got.json()["state"], "active");
    let got = admin(
        "POST",
        &format!("{}/relay/v1/accounts/zz/pause", relay.url),
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        (got.status, got.json()["error"]["code"].as_str()),
        (404, Some("unknown_account"))
    );
    let got = admin(
        "POST",
        &format!("{}/relay/v1/accounts/a1/explode", relay.url),
        Some(TOKEN),
    )
    .await;
    assert_eq!(got.status, 404);

    // Metrics.
    let got = admin("GET", &format!("{}/metrics", relay.url), Some(TOKEN)).await;
    assert_eq!(got.status, 200);
    assert!(
        got.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = got.text();
    for line in [
        "relay_requests_total{inbound=\"anthropic\",status=\"200\",code=\"\",account=\"a0\"} 1",
        "relay_request_duration_seconds_count{inbound=\"anthropic\"} 1",
        "relay_account_slots_max{account=\"a1\"} 3",
        "relay_account_cooling{account=\"a0\"} 0",
        "relay_requests_in_flight 0",
        "relay_tokens_total{model=\"claude-sonnet-4-5\",kind=\"output\"} 7",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    assert!(
        text.contains("relay_cost_usd_total{model=\"claude-sonnet-4-5\"} 0.000146"),
        "{text}"
    );
    relay.stop().await;
}

#[tokio::test]
async fn the_event_stream_starts_with_a_snapshot_then_follows_the_pipeline() {
    let fake = FakeUpstream::start().await;
    let relay = relay(&fake).await;
    let req = http::Request::get(format!("{}/relay/v1/events", relay.url))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = crate::support::client().request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let mut decoder = relay_core::http::sse::Decoder::new(1 << 20);
    let mut events = Vec::new();
    let mut next = async || loop {
        if let Some(e) = (!events.is_empty()).then(|| events.remove(0)) {
            return e;
        }
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .unwrap();
        if let Ok(data) = frame.into_data() {
            decoder.push(&data, &mut events).unwrap();
        }
    };
    let first: relay_core::http::sse::Event = next().await;
    assert_eq!(first.event.as_deref(), Some("snapshot"));
    let _: Snapshot = serde_json::from_str(&first.data).unwrap();
    let body_json = r#"{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}"#;
    assert_eq!(
        post(&format!("{}/v1/messages", relay.url), Some(KEY), body_json)
            .await
            .status,
        200
    );
    let mut seen = Vec::new();
    let finished = loop {
        let e = next().await;
        let w: WireEvent = serde_json::from_str(&e.data).unwrap();
        if e.event.as_deref() != Some("totals") {
            seen.push(e.event.clone().unwrap_or_default());
        }
        if let WireEvent::RequestFinished {
            status, account, ..
        } = w
        {
            break (status, account);
        }
    };
    assert_eq!(finished, (200, Some("a0".to_owned())));
    assert_eq!(
        seen.first().map(String::as_str),
        Some("request_started"),
        "{seen:?}"
    );
    assert!(seen.contains(&"account_selected".to_owned()), "{seen:?}");
    relay.stop().await;
}

#[tokio::test]
async fn the_admin_api_answers_only_on_loopback() {
    // A local address that is not loopback, if this machine has one.
    let Some(ip) = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .ok()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
    else {
        eprintln!("no non-loopback address on this machine; nothing to check");
        return;
    };
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(1);
    let toml = format!(
        "[server]\nallowed_hosts = [\"{ip}\"]\n{}",
        anthropic_accounts(1, "")
    );
    let mut config =
        relay_core::config::parse(&toml.replace("{upstream}", &fake.url), None).unwrap();
    config.server.listen = "0.0.0.0:0".parse().unwrap();
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let env: std::collections::HashMap<String, String> = secrets.iter().cloned().collect();
    let options = relay_core::gateway::Options {
        admin_token: Some(TOKEN.into()),
        ..Default::default()
    };
    let gateway = relay_core::gateway::Gateway::build(config, &env, options).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(relay_core::server::serve(gateway, listener, async {
        let _ = rx.await;
    }));
    let got = admin(
        "GET",
        &format!("http://{addr}/relay/v1/status"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(got.status, 403, "{}", got.text());
    assert_eq!(got.json()["error"]["code"], "admin_not_loopback");
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn no_secret_reaches_the_admin_api_metrics_events_or_the_ledger() {
    use crate::support::{SECRETS, two_accounts};
    let fake = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let options = relay_core::gateway::Options {
        admin_token: Some(TOKEN.into()),
        ledger: Some(relay_core::ledger::Ledger::open(dir.path()).unwrap()),
        ..Default::default()
    };
    let relay = Relay::start_with(&two_accounts(), &fake.url, SECRETS, options).await;
    let req = http::Request::get(format!("{}/relay/v1/events", relay.url))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let events = crate::support::client().request(req).await.unwrap();
    let mut events = events.into_body();
    for (path, body) in [
        (
            "/v1/messages",
            r#"{"model":"claude-sonnet-4-5","max_tokens":5,"stream":true,"messages":[]}"#,
        ),
        ("/v1/chat/completions", r#"{"model":"gpt-5","messages":[]}"#),
        (
            "/v1/responses",
            r#"{"model":"claude-sonnet-4-5","input":"hi"}"#,
        ),
    ] {
        assert_eq!(
            post(&format!("{}{path}", relay.url), Some(KEY), body)
                .await
                .status,
            200
        );
    }
    // An upstream that refuses the credential, so errors are recorded too.
    fake.push(crate::support::fake_upstream::Reply::Json {
        status: 401,
        headers: vec![],
        body: r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#.into(),
    });
    let _ = post(
        &format!("{}/v1/messages", relay.url),
        Some(KEY),
        r#"{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}"#,
    )
    .await;
    let mut seen = String::new();
    seen.push_str(
        &admin(
            "GET",
            &format!("{}/relay/v1/status", relay.url),
            Some(TOKEN),
        )
        .await
        .text(),
    );
    seen.push_str(
        &admin("GET", &format!("{}/metrics", relay.url), Some(TOKEN))
            .await
            .text(),
    );
    // The event stream, until the totals of all four requests have been published.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut streamed = String::new();
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, events.frame()).await {
        if let Ok(data) = frame.into_data() {
            streamed.push_str(&String::from_utf8_lossy(&data));
        }
        if streamed.contains("event: totals") && streamed.contains("\"requests_today\":4") {
            break;
        }
    }
    seen.push_str(&streamed);
    // Operator-facing errors are words, not debug dumps.
    assert!(seen.contains("credentials refused (HTTP 401)"), "{seen}");
    assert!(!seen.contains("Status {"), "{seen}");
    relay.stop().await;
    let conn = relay_core::ledger::open_read_only(dir.path())
        .unwrap()
        .unwrap();
    let rows = relay_core::ledger::query::requests(&conn, &Default::default(), 1000).unwrap();
    assert_eq!(rows.len(), 4);
    seen.push_str(&serde_json::to_string(&rows).unwrap());
    let file = std::fs::read(dir.path().join(relay_core::ledger::FILE_NAME)).unwrap();
    seen.push_str(&String::from_utf8_lossy(&file));
    assert!(
        seen.contains("request_finished") && seen.contains("relay_requests_total"),
        "{seen}"
    );
    for (_, secret) in SECRETS {
        assert!(!seen.contains(secret), "upstream secret leaked");
        assert!(
            !seen.contains(&secret[secret.len() - 10..]),
            "part of an upstream secret leaked"
        );
    }
    assert!(!seen.contains(KEY), "client key leaked");
    assert!(!seen.contains(TOKEN), "admin token leaked");
}

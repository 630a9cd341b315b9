//! Upstreams and clients that misbehave in less common ways: bodies that never come, clients
//! that stop reading, error events followed by a clean end, redirects, unsupported auth.

use std::time::{Duration, Instant};

use crate::support::fake_upstream::{self, End, FakeUpstream, Reply};
use crate::support::{
    KEY, Relay, SECRETS, account_secrets, accounts_with, env_refs, post, served_by, two_accounts,
};

async fn slots_settle(relay: &Relay) -> bool {
    let shared = relay.gateway.shared();
    for _ in 0..100 {
        let busy = shared
            .pool
            .accounts()
            .iter()
            .any(|a| a.slots.occupancy().in_use > 0)
            || shared.keys.iter().any(|(_, l)| l.occupancy().in_use > 0);
        if !busy && shared.tracker.in_flight() == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_body_that_never_comes_does_not_hold_slots() {
    let fake = FakeUpstream::start().await;
    let config = format!(
        "[gateway]\nstream_idle_timeout = \"500ms\"\n{}",
        two_accounts()
    );
    let mut relay = Relay::start(&config, &fake.url, SECRETS).await;
    fake.push(Reply::HeadThenHang {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
    });
    let started = Instant::now();
    let got = post(
        &format!("{}/v1/messages", relay.url),
        Some(KEY),
        r#"{"model":"claude-x","messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 502, "{}", got.text());
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(got.text().contains("no response in time"), "{}", got.text());
    relay.finished().await;
    assert!(slots_settle(&relay).await, "slots released");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_let_go() {
    let fake = FakeUpstream::start().await;
    let config = format!(
        "[gateway]\nstream_idle_timeout = \"1s\"\n{}",
        two_accounts()
    );
    let mut relay = Relay::start(&config, &fake.url, SECRETS).await;
    let big = "x".repeat(64 * 1024);
    let mut events = fake_upstream::anthropic_sse("claude-x", &["a"], fake_upstream::DEFAULT_USAGE);
    let tail = events.split_off(3);
    for _ in 0..300 {
        events.push(format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"{big}\"}}}}\n\n"));
    }
    events.extend(tail);
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, Duration::ZERO),
        end: End::Close,
    });
    let req = http::Request::post(format!("{}/v1/messages", relay.url))
        .header("x-api-key", KEY)
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            br#"{"model":"claude-x","stream":true,"messages":[]}"#,
        )))
        .unwrap();
    let resp = crate::support::client().request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    // Hold the response without reading it.
    let e = relay.finished().await;
    assert!(
        e.client_disconnected,
        "a client that stops reading counts as gone"
    );
    assert!(
        slots_settle(&relay).await,
        "slots released while the client still holds the socket"
    );
    drop(resp);
}

#[tokio::test]
async fn an_error_event_then_a_clean_end_is_not_a_success() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let mut events = fake_upstream::chat_sse("gpt-4.1", &["partial"], None);
    events.truncate(2);
    events.push(
        "data: {\"error\":{\"message\":\"backend died\",\"type\":\"server_error\"}}\n\n".into(),
    );
    events.push("data: [DONE]\n\n".into());
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, Duration::from_millis(2)),
        end: End::Close,
    });
    let got = post(
        &format!("{}/v1/chat/completions", relay.url),
        Some(KEY),
        r#"{"model":"gpt-4.1","stream":true,"messages":[]}"#,
    )
    .await;
    let data = got.sse_data();
    assert_eq!(
        data.iter().filter(|d| *d == "[DONE]").count(),
        1,
        "{}",
        got.text()
    );
    assert_eq!(data.iter().filter(|d| d.contains("\"error\"")).count(), 1);
    let e = relay.finished().await;
    assert_eq!(e.error, Some("upstream_stream_error"));

    // An Anthropic error event followed by a dropped connection: one terminal error event.
    let mut events = fake_upstream::anthropic_sse("claude-x", &["a"], fake_upstream::DEFAULT_USAGE);
    events.truncate(4);
    events.push("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n".into());
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, Duration::from_millis(2)),
        end: End::Drop,
    });
    let got = post(
        &format!("{}/v1/messages", relay.url),
        Some(KEY),
        r#"{"model":"claude-x","stream":true,"messages":[]}"#,
    )
    .await;
    assert_eq!(
        got.sse_events().iter().filter(|n| *n == "error").count(),
        1,
        "{}",
        got.text()
    );
    let e = relay.finished().await;
    assert_eq!(e.error, Some("upstream_stream_error"));
}

#[tokio::test]
async fn a_redirect_is_neither_followed_nor_passed_on() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(2);
    let config = accounts_with(&["priority = 1".into(), "priority = 2".into()]);
    let relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
    fake.push(Reply::Json {
        status: 307,
        headers: vec![("location".into(), "http://evil.example/v1/messages".into())],
        body: String::new(),
    });
    let got = post(
        &format!("{}/v1/messages", relay.url),
        Some(KEY),
        r#"{"model":"claude-x","messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("location"), None);
    assert_eq!(served_by(&fake), ["a0", "a1"]);
}

#[test]
fn oauth_logins_in_environment_variables_are_refused_at_start() {
    let config = relay_core::config::parse(
        "[[accounts]]\nname = \"sub\"\nplatform = \"anthropic\"\nauth = \"oauth\"\nsecret = \"env:X\"\n",
        None,
    )
    .unwrap();
    let env: std::collections::HashMap<String, String> =
        [("X".to_owned(), "oauth-canary-value".to_owned())].into();
    let err = relay_core::gateway::Gateway::new(config, &env)
        .unwrap_err()
        .to_string();
    // Rotating refresh tokens must be written back: an env var cannot hold them.
    assert!(err.contains("account `sub`"), "{err}");
    assert!(err.contains("must be written back"), "{err}");
    assert!(!err.contains("oauth-canary-value"), "{err}");
}

//! The simulated `mock` platform: real wire formats in every dialect, and the configured
//! latency, failures and rate limits.

use std::time::{Duration, Instant};

use crate::support::{Relay, post};

const CONFIG: &str = r#"
[[accounts]]
name = "sim"
platform = "mock"
models = ["claude-*", "gpt-*"]
[accounts.mock]
latency = "150ms"
rate_limit_every = 4
retry_after = "12s"

[[accounts]]
name = "broken"
platform = "mock"
models = ["broken-*"]
[accounts.mock]
fail_rate = 1.0
"#;

#[tokio::test]
async fn mock_speaks_every_dialect_and_rate_limits_on_schedule() {
    let mut relay = Relay::start(CONFIG, "", &[]).await;
    let started = Instant::now();
    let got = post(
        &format!("{}/v1/messages", relay.url),
        None,
        r#"{"model":"claude-x","max_tokens":5,"stream":true,"messages":[]}"#,
    )
    .await;
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "latency is simulated"
    );
    assert_eq!(got.status, 200);
    let names = got.sse_events();
    assert_eq!(names.first().map(String::as_str), Some("message_start"));
    assert_eq!(names.last().map(String::as_str), Some("message_stop"));
    let e = relay.finished().await;
    assert_eq!(e.account.as_deref(), Some("sim"));
    assert!(e.usage.input > 0 && e.usage.output > 0);

    let got = post(
        &format!("{}/v1/responses", relay.url),
        None,
        r#"{"model":"gpt-x","input":"hi"}"#,
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["status"], "completed");
    relay.finished().await;

    let got = post(
        &format!("{}/v1/chat/completions", relay.url),
        None,
        r#"{"model":"gpt-x","stream":true,"messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 200);
    let data = got.sse_data();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    assert!(
        data.iter().all(|d| !d.contains("\"usage\":{")),
        "usage chunk stripped for a client that did not ask"
    );
    let e = relay.finished().await;
    assert!(e.usage.output > 0, "usage still recorded");

    let got = post(
        &format!("{}/v1/chat/completions", relay.url),
        None,
        r#"{"model":"gpt-x","messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 429, "every fourth request is rate-limited");
    assert_eq!(got.header("retry-after"), Some("12"));
    assert_eq!(got.json()["error"]["type"], "rate_limit_error");
    let e = relay.finished().await;
    assert_eq!(e.error, Some("rate_limited"));

    // The account now cools for its retry-after; the relay answers for it without asking.
    let got = post(
        &format!("{}/v1/chat/completions", relay.url),
        None,
        r#"{"model":"gpt-x","messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 429);
    assert_eq!(got.json()["error"]["code"], "all_accounts_cooling");
    let ra: u64 = got.header("retry-after").unwrap().parse().unwrap();
    assert!((10..=12).contains(&ra), "{ra}");
    let sim = relay.gateway.shared().pool.get("sim").unwrap();
    assert_eq!(sim.sent.load(std::sync::atomic::Ordering::Relaxed), 4);
}

#[tokio::test]
async fn mock_failures_answer_in_the_client_dialect() {
    let relay = Relay::start(CONFIG, "", &[]).await;
    let got = post(
        &format!("{}/v1/messages", relay.url),
        None,
        r#"{"model":"broken-1","max_tokens":5,"messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 502, "{}", got.text());
    assert_eq!(got.json()["error"]["type"], "api_error");
    assert!(
        got.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("broken")
    );
    let got = post(
        &format!("{}/v1/messages/count_tokens", relay.url),
        None,
        r#"{"model":"claude-x","messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 200);
    assert!(got.json()["input_tokens"].as_u64().unwrap() > 0);
}

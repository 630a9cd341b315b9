//! Failover and cooldowns: failing accounts are skipped for as long as the upstream says, the
//! client error statuses pass through untouched, and when every account fails the client gets
//! the status that tells the truth, in its own dialect.

use std::time::{Duration, Instant, SystemTime};

use crate::support::fake_upstream::{self, End, FakeUpstream, Reply};
use crate::support::{
    KEY, Relay, account_secrets, accounts_with, anthropic_accounts, env_refs, post, served_by,
};

const MSG: &str =
    r#"{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#;
const STREAM: &str = r#"{"model":"claude-x","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#;

fn err_429(header: (&str, String)) -> Reply {
    Reply::Json {
        status: 429,
        headers: vec![(header.0.to_owned(), header.1)],
        body: fake_upstream::error_json_anthropic("rate_limit_error", "slow down"),
    }
}

fn rfc3339_in(secs: u64) -> String {
    relay_core::ids::rfc3339(SystemTime::now() + Duration::from_secs(secs))
}

/// Two accounts, `a0` preferred: a 429 moves the request to `a1`; `a0` gets no traffic until
/// its reset, then gets it back.
#[tokio::test]
async fn rate_limited_account_cools_down_for_the_reset_each_header_style_gives() {
    for kind in 0..4 {
        // Built per run: an absolute reset time must lie ahead when the request is made.
        let style: (&str, String) = match kind {
            0 => ("retry-after", "2".into()),
            1 => ("anthropic-ratelimit-requests-reset", rfc3339_in(2)),
            2 => ("x-ratelimit-reset-requests", "2s".into()),
            _ => ("x-codex-primary-reset-after-seconds", "2".into()),
        };
        let name = style.0;
        let fake = FakeUpstream::start().await;
        let secrets = account_secrets(2);
        let config = accounts_with(&["priority = 1".into(), "priority = 2".into()]);
        let mut relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
        fake.push(err_429(style));
        let started = Instant::now();
        // Every request is its own conversation, so stickiness plays no part here.
        let mut n = 0;
        let mut msg = || {
            n += 1;
            MSG.replace("\"hi\"", &format!("\"hi {n}\""))
        };
        let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), &msg()).await;
        assert_eq!(got.status, 200, "{name}: {}", got.text());
        assert_eq!(served_by(&fake), ["a0", "a1"], "{name}");
        let e = relay.finished().await;
        assert_eq!(
            (e.attempts, e.account.as_deref()),
            (2, Some("a1")),
            "{name}"
        );
        for _ in 0..3 {
            post(&format!("{}/v1/messages", relay.url), Some(KEY), &msg()).await;
        }
        assert!(
            served_by(&fake)[2..].iter().all(|a| a == "a1"),
            "{name}: cooled account got traffic: {:?}",
            served_by(&fake)
        );
        let a0 = relay.gateway.shared().pool.get("a0").unwrap();
        assert!(
            a0.health.cooling_until(std::time::Instant::now()).is_some(),
            "{name}"
        );
        tokio::time::sleep(Duration::from_millis(2100).saturating_sub(started.elapsed())).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        post(&format!("{}/v1/messages", relay.url), Some(KEY), &msg()).await;
        assert_eq!(
            served_by(&fake).last().map(String::as_str),
            Some("a0"),
            "{name}: back after the reset"
        );
    }
}

#[tokio::test]
async fn overload_and_server_errors_fail_over_and_emit_events() {
    for status in [529u16, 500, 502, 503, 504, 401, 403] {
        let fake = FakeUpstream::start().await;
        let secrets = account_secrets(2);
        let config = accounts_with(&["priority = 1".into(), "priority = 2".into()]);
        let mut relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
        let mut bus = relay.gateway.bus().subscribe();
        fake.push(Reply::Json {
            status,
            headers: vec![],
            body: fake_upstream::error_json_anthropic("api_error", "boom"),
        });
        let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
        assert_eq!(got.status, 200, "{status}");
        assert_eq!(served_by(&fake), ["a0", "a1"], "{status}");
        relay.finished().await;
        let mut saw_failover = false;
        let mut saw_state = false;
        while let Ok(ev) = bus.try_recv() {
            match ev {
                relay_core::events::Event::Failover {
                    from, status: s, ..
                } => {
                    saw_failover = from == "a0" && s == Some(status);
                }
                relay_core::events::Event::CooldownSet { account, .. }
                | relay_core::events::Event::AccountStateChanged { account, .. } => {
                    saw_state |= account == "a0";
                }
                _ => {}
            }
        }
        assert!(
            saw_failover && saw_state,
            "{status}: failover and cooldown/state events"
        );
        let a0 = relay.gateway.shared().pool.get("a0").unwrap();
        let state = a0.health.state(true, std::time::Instant::now());
        let want = if status == 401 || status == 403 {
            "auth_error"
        } else {
            "cooling"
        };
        assert_eq!(state.as_str(), want, "{status}");
    }
}

#[tokio::test]
async fn client_errors_are_not_failed_over() {
    for status in [400u16, 404, 413, 422] {
        let fake = FakeUpstream::start().await;
        let secrets = account_secrets(2);
        let mut relay =
            Relay::start(&anthropic_accounts(2, ""), &fake.url, &env_refs(&secrets)).await;
        let body = fake_upstream::error_json_anthropic("invalid_request_error", "bad field");
        fake.push(Reply::Json {
            status,
            headers: vec![],
            body: body.clone(),
        });
        let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
        assert_eq!(
            (got.status, got.text()),
            (status, body),
            "{status}: passed through unchanged"
        );
        assert_eq!(fake.hits(), 1, "{status}: exactly one attempt");
        let e = relay.finished().await;
        assert_eq!(e.attempts, 1);
    }
}

async fn all_fail(
    dialect_path: &str,
    body: &str,
    reply: impl Fn() -> Reply,
) -> (crate::support::Got, Duration) {
    let fake = FakeUpstream::start().await;
    let config = format!(
        r#"
[[accounts]]
name = "c0"
platform = "anthropic"
secret = "env:SECRET_0"
base_url = "{{upstream}}"

[[accounts]]
name = "c1"
platform = "anthropic"
secret = "env:SECRET_1"
base_url = "{{upstream}}"

[[accounts]]
name = "o0"
platform = "openai"
secret = "env:SECRET_0"
base_url = "{{upstream}}"

[[accounts]]
name = "o1"
platform = "openai"
secret = "env:SECRET_1"
base_url = "{{upstream}}"
{}"#,
        crate::support::key_block()
    );
    let secrets = account_secrets(2);
    let relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
    for _ in 0..2 {
        fake.push(reply());
    }
    let started = Instant::now();
    let got = post(&format!("{}{dialect_path}", relay.url), Some(KEY), body).await;
    (got, started.elapsed())
}

#[tokio::test]
async fn all_accounts_failing_tells_the_truth_in_each_dialect() {
    let chat = r#"{"model":"gpt-4.1","messages":[]}"#;
    // All rate-limited: 429 with the earliest reset.
    let (got, took) = all_fail("/v1/messages", MSG, || {
        err_429(("retry-after", "30".into()))
    })
    .await;
    assert_eq!(got.status, 429, "{}", got.text());
    assert_eq!(got.json()["error"]["type"], "rate_limit_error");
    let ra: u64 = got.header("retry-after").unwrap().parse().unwrap();
    assert!((29..=30).contains(&ra), "{ra}");
    assert!(
        got.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("c0")
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    let (got, _) = all_fail("/v1/chat/completions", chat, || {
        err_429(("retry-after", "5".into()))
    })
    .await;
    assert_eq!(got.status, 429);
    assert_eq!(got.json()["error"]["type"], "rate_limit_error");
    // All overloaded: 503 overloaded_error.
    let overloaded = || Reply::Json {
        status: 529,
        headers: vec![],
        body: fake_upstream::error_json_anthropic("overloaded_error", "Overloaded"),
    };
    let (got, _) = all_fail("/v1/messages", MSG, overloaded).await;
    assert_eq!(got.status, 503);
    assert_eq!(got.json()["error"]["type"], "overloaded_error");
    // Server errors: 502, naming the accounts tried.
    let broken = || Reply::Json {
        status: 500,
        headers: vec![],
        body: fake_upstream::error_json_openai("server_error", "oops"),
    };
    let (got, took) = all_fail("/v1/chat/completions", chat, broken).await;
    assert_eq!(got.status, 502, "{}", got.text());
    let msg = got.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("o0") && msg.contains("o1"), "{msg}");
    assert!(took < Duration::from_secs(1));
    let (got, _) = all_fail(
        "/v1/responses",
        r#"{"model":"gpt-4.1","input":"x"}"#,
        broken,
    )
    .await;
    assert_eq!(got.status, 502);
    assert!(got.json()["error"]["message"].is_string());
}

#[tokio::test]
async fn an_error_as_the_first_stream_event_fails_over_before_the_client_sees_anything() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(2);
    let config = accounts_with(&["priority = 1".into(), "priority = 2".into()]);
    let mut relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
    let err = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n".to_owned();
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: vec![(Duration::ZERO, err)],
        end: End::Close,
    });
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), STREAM).await;
    assert_eq!(got.status, 200);
    assert!(
        !got.text().contains("overloaded_error"),
        "the failed attempt is invisible: {}",
        got.text()
    );
    assert_eq!(
        got.sse_events().last().map(String::as_str),
        Some("message_stop")
    );
    assert_eq!(served_by(&fake), ["a0", "a1"]);
    let e = relay.finished().await;
    assert_eq!((e.attempts, e.error), (2, None));
}

#[tokio::test]
async fn a_mid_stream_drop_is_not_retried() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(2);
    let mut relay = Relay::start(&anthropic_accounts(2, ""), &fake.url, &env_refs(&secrets)).await;
    let mut events =
        fake_upstream::anthropic_sse("claude-x", &["a", "b"], fake_upstream::DEFAULT_USAGE);
    events.truncate(4);
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, Duration::from_millis(5)),
        end: End::Drop,
    });
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), STREAM).await;
    assert_eq!(got.sse_events().last().map(String::as_str), Some("error"));
    assert_eq!(fake.hits(), 1, "exactly one upstream attempt");
    let e = relay.finished().await;
    assert_eq!(e.attempts, 1);
    assert_eq!(e.error, Some("upstream_stream_error"));
}

#[tokio::test]
async fn unreachable_account_is_skipped() {
    let fake = FakeUpstream::start().await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let config = format!(
        "[[accounts]]\nname = \"dead\"\nplatform = \"anthropic\"\nsecret = \"env:SECRET_0\"\nbase_url = \"{dead}\"\npriority = 1\n\n{}",
        anthropic_accounts(1, "priority = 2")
    );
    let secrets = account_secrets(1);
    let mut relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(got.status, 200);
    let e = relay.finished().await;
    assert_eq!((e.attempts, e.account.as_deref()), (2, Some("a0")));
}

#[tokio::test]
async fn every_account_cooling_is_a_429_with_the_earliest_reset() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(1);
    let relay = Relay::start(&anthropic_accounts(1, ""), &fake.url, &env_refs(&secrets)).await;
    fake.push(err_429(("retry-after", "40".into())));
    let first = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(first.status, 429);
    let second = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(second.status, 429);
    assert_eq!(second.json()["error"]["type"], "rate_limit_error");
    let ra: u64 = second.header("retry-after").unwrap().parse().unwrap();
    assert!((38..=40).contains(&ra), "{ra}");
    assert_eq!(fake.hits(), 1, "a cooling account gets no traffic");
}

#[tokio::test]
async fn operators_can_clear_cooldowns_and_pause_accounts() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(2);
    let config = accounts_with(&["priority = 1".into(), "priority = 2".into()]);
    let relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
    let mut bus = relay.gateway.bus().subscribe();
    fake.push(err_429(("retry-after", "600".into())));
    post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(relay.gateway.clear_cooldown("a0"), Some(true));
    assert_eq!(relay.gateway.clear_cooldown("a0"), Some(false));
    assert_eq!(relay.gateway.clear_cooldown("nope"), None);
    let other = MSG.replace("\"hi\"", "\"fresh conversation\"");
    post(&format!("{}/v1/messages", relay.url), Some(KEY), &other).await;
    assert_eq!(
        served_by(&fake).last().map(String::as_str),
        Some("a0"),
        "a cleared account serves again"
    );
    relay.gateway.set_paused("a0", true).unwrap();
    let third = MSG.replace("\"hi\"", "\"third conversation\"");
    post(&format!("{}/v1/messages", relay.url), Some(KEY), &third).await;
    assert_eq!(
        served_by(&fake).last().map(String::as_str),
        Some("a1"),
        "a paused account gets nothing"
    );
    let mut cleared = false;
    let mut paused = false;
    while let Ok(ev) = bus.try_recv() {
        match ev {
            relay_core::events::Event::CooldownCleared { account } => cleared |= account == "a0",
            relay_core::events::Event::AccountStateChanged { account, state } => {
                paused |= account == "a0" && state == "paused"
            }
            _ => {}
        }
    }
    assert!(cleared && paused);
}

#[tokio::test]
async fn a_rate_limit_as_the_first_event_cools_for_the_reset_in_the_head() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(2);
    let config = accounts_with(&["priority = 1".into(), "priority = 2".into()]);
    let relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
    let err = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}\n\n".to_owned();
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![("retry-after".into(), "300".into())],
        events: vec![(Duration::ZERO, err)],
        end: End::Close,
    });
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), STREAM).await;
    assert_eq!(
        got.sse_events().last().map(String::as_str),
        Some("message_stop")
    );
    let a0 = relay.gateway.shared().pool.get("a0").unwrap();
    let now = std::time::Instant::now();
    let left = a0
        .health
        .cooling_until(now)
        .unwrap()
        .saturating_duration_since(now);
    assert!(
        left > Duration::from_secs(250),
        "the head's retry-after (300 s) is used, not a default: {left:?}"
    );
}

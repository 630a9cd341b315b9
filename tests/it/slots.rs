//! Concurrency slots: limits are never exceeded, queues are bounded and time out with a 429
//! that names the limit, queued streams get keep-alives, and no slot leaks on any path.

use std::sync::Arc;
use std::time::Duration;

use crate::support::fake_upstream::{End, FakeUpstream, Reply};
use crate::support::{
    KEY, Relay, account_secrets, anthropic_accounts, env_refs, key_block, post, send,
};

const MSG: &str =
    r#"{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#;

fn slow(ms: u64) -> Reply {
    Reply::Delayed(Duration::from_millis(ms), Box::new(Reply::Default))
}

#[tokio::test]
async fn account_limits_hold_under_fifty_parallel_slow_requests() {
    let fake = Arc::new(FakeUpstream::start().await);
    let secrets = account_secrets(3);
    let config = format!(
        "[[keys]]\nname = \"wide\"\nhash = \"{}\"\nconcurrency = 100\n",
        relay_core::keys::hash("rk-wide")
    );
    let config = anthropic_accounts(3, "concurrency = 2").replace(&key_block(), &config);
    let relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
    for _ in 0..50 {
        fake.push(slow(100));
    }
    let mut tasks = Vec::new();
    for i in 0..50 {
        let url = format!("{}/v1/messages", relay.url);
        let body = MSG.replace("hi", &format!("hi {i}"));
        tasks.push(tokio::spawn(async move {
            post(&url, Some("rk-wide"), &body).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    for i in 0..3 {
        let max = fake.max_concurrency(&format!("secret-{i}"));
        assert!(
            (1..=2).contains(&max),
            "account a{i} had {max} requests in flight (limit 2)"
        );
    }
    assert_eq!(fake.hits(), 50);
    assert_slots_free(&relay).await;
}

#[tokio::test]
async fn key_limit_queues_then_refuses_with_a_429_that_names_the_limit() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(1);
    let config = format!(
        "[gateway]\nextra_wait_slots = 0\nkey_wait_timeout = \"300ms\"\n{}concurrency = 1\n",
        anthropic_accounts(1, "concurrency = 10")
    );
    let relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
    fake.push(slow(1500));
    let url = format!("{}/v1/messages", relay.url);
    let first = {
        let url = url.clone();
        tokio::spawn(async move { post(&url, Some(KEY), MSG).await })
    };
    assert!(fake.wait_for_hits(1, Duration::from_secs(5)).await);
    // One request may wait (queue = concurrency + extra_wait_slots = 1); it times out.
    let waiting = {
        let url = url.clone();
        tokio::spawn(async move { post(&url, Some(KEY), MSG).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let third = post(&url, Some(KEY), MSG).await;
    assert_eq!(third.status, 429, "{}", third.text());
    assert_eq!(third.json()["error"]["type"], "rate_limit_error");
    assert!(
        third.text().contains("queued for key `test`"),
        "{}",
        third.text()
    );
    let waited = waiting.await.unwrap();
    assert_eq!(waited.status, 429);
    assert!(
        waited.text().contains("key_wait_timeout"),
        "{}",
        waited.text()
    );
    assert_eq!(first.await.unwrap().status, 200);
    assert_eq!(fake.hits(), 1);
    assert_slots_free(&relay).await;
}

#[tokio::test]
async fn a_queued_stream_gets_pings_then_its_answer_or_a_terminal_error() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(1);
    let config = format!(
        "[gateway]\nkeepalive_interval = \"100ms\"\naccount_wait_timeout = \"1500ms\"\n{}",
        anthropic_accounts(1, "concurrency = 1")
    );
    let relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
    fake.push(slow(600));
    let url = format!("{}/v1/messages", relay.url);
    let blocker = {
        let url = url.clone();
        tokio::spawn(async move { post(&url, Some(KEY), MSG).await })
    };
    assert!(fake.wait_for_hits(1, Duration::from_secs(5)).await);
    let stream = r#"{"model":"claude-x","max_tokens":5,"stream":true,"messages":[]}"#;
    let got = post(&url, Some(KEY), stream).await;
    assert_eq!(got.status, 200);
    let names = got.sse_events();
    assert!(
        names.iter().take_while(|n| *n == "ping").count() >= 3,
        "pings while queued: {names:?}"
    );
    assert_eq!(names.last().map(String::as_str), Some("message_stop"));
    assert_eq!(blocker.await.unwrap().status, 200);

    // Queued past the account wait timeout: a terminal error event, not a broken stream.
    fake.push(slow(3000));
    let blocker = {
        let url = url.clone();
        tokio::spawn(async move { post(&url, Some(KEY), MSG).await })
    };
    assert!(fake.wait_for_hits(3, Duration::from_secs(5)).await);
    let got = post(&url, Some(KEY), stream).await;
    assert_eq!(got.status, 200);
    assert!(!got.body_error);
    assert_eq!(
        got.sse_events().last().map(String::as_str),
        Some("error"),
        "{}",
        got.text()
    );
    assert!(
        got.text().contains("rate_limit_error") && got.text().contains("account_wait_timeout"),
        "{}",
        got.text()
    );
    blocker.abort();
}

/// 2,000 requests, a third cancelled by the client at a random point, a third meeting a random
/// upstream fault: afterwards every slot is free and nothing waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_slot_leaks_under_random_cancellation_and_faults() {
    let fake = Arc::new(FakeUpstream::start().await);
    let secrets = account_secrets(3);
    let config = format!(
        "[gateway]\nstream_idle_timeout = \"2s\"\nfirst_byte_timeout = \"2s\"\nkeepalive_interval = \"50ms\"\n{}concurrency = 8\n",
        anthropic_accounts(3, "concurrency = 3")
    );
    let relay = Relay::start(&config, &fake.url, &env_refs(&secrets)).await;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..2000u64 {
        let r = rand();
        let reply = match r % 9 {
            0 => Reply::Json {
                status: 429,
                headers: vec![("retry-after".into(), "1".into())],
                body: "{}".into(),
            },
            1 => Reply::Json {
                status: 529,
                headers: vec![],
                body: "{}".into(),
            },
            2 => Reply::Sse {
                status: 200,
                headers: vec![],
                events: vec![(Duration::ZERO, "event: ping\ndata: {}\n\n".into())],
                end: End::Drop,
            },
            3 => slow(r % 40),
            _ => Reply::Default,
        };
        fake.push(reply);
        let url = format!("{}/v1/messages", relay.url);
        let stream = r % 2 == 0;
        let cancel_after = (r >> 8) % 3 == 0;
        let wait_ms = (r >> 16) % 30;
        let body = if stream {
            format!(
                r#"{{"model":"claude-x","max_tokens":5,"stream":true,"messages":[{{"role":"user","content":"s{i}"}}]}}"#
            )
        } else {
            format!(
                r#"{{"model":"claude-x","max_tokens":5,"messages":[{{"role":"user","content":"s{i}"}}]}}"#
            )
        };
        tasks.spawn(async move {
            let req = send(
                "POST",
                &url,
                &[("x-api-key", KEY), ("content-type", "application/json")],
                body,
            );
            if cancel_after {
                let _ = tokio::time::timeout(Duration::from_millis(wait_ms), req).await;
            } else {
                req.await;
            }
        });
        if tasks.len() >= 40 {
            tasks.join_next().await;
        }
    }
    while tasks.join_next().await.is_some() {}
    assert_slots_free(&relay).await;
}

/// Every account and key slot is free, nothing waits, no request task is left.
async fn assert_slots_free(relay: &Relay) {
    let shared = relay.gateway.shared();
    let mut settled = false;
    for _ in 0..100 {
        let busy_accounts = shared.pool.accounts().iter().any(|a| {
            let o = a.slots.occupancy();
            o.in_use > 0 || o.waiting > 0
        });
        let busy_keys = shared.keys.iter().any(|(_, l)| {
            let o = l.occupancy();
            o.in_use > 0 || o.waiting > 0
        });
        if !busy_accounts && !busy_keys && shared.tracker.in_flight() == 0 {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let state: Vec<String> = shared
        .pool
        .accounts()
        .iter()
        .map(|a| format!("{}: {:?}", a.name(), a.slots.occupancy()))
        .chain(
            shared
                .keys
                .iter()
                .map(|(k, l)| format!("key {}: {:?}", k.name, l.occupancy())),
        )
        .collect();
    assert!(
        settled,
        "slots still held or waiting after all requests ended: {state:?}, tasks {}",
        shared.tracker.in_flight()
    );
}

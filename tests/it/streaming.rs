//! Streams: every event flushed the moment it arrives, honest endings (a cut or stalled
//! upstream ends with the dialect's terminal error event), and usage recorded even when the
//! client hangs up mid-stream.

use std::time::Duration;

use crate::support::fake_upstream::{self, End, FakeUpstream, Reply, Usage};
use crate::support::{KEY, Relay, SECRETS, post, two_accounts};

const GAP: Duration = Duration::from_millis(150);

#[tokio::test]
async fn events_are_flushed_as_they_arrive() {
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let events = fake_upstream::chat_sse("gpt-4.1", &["a", "b", "c", "d"], None);
    let n = events.len();
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, GAP),
        end: End::Close,
    });
    let got = post(&format!("{}/v1/chat/completions", relay.url), Some(KEY), r#"{"model":"gpt-4.1","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#).await;
    assert_eq!(got.status, 200);
    assert!(
        got.frames.len() >= n - 1,
        "events must not be coalesced: {} frames for {n} events",
        got.frames.len()
    );
    let first = got.frames[0].0;
    let last = got.frames.last().unwrap().0;
    assert!(first < GAP, "first event held back: {first:?}");
    let spread = GAP * u32::try_from(n - 2).unwrap();
    assert!(
        last - first >= spread,
        "events arrived bunched: first {first:?}, last {last:?}"
    );
}

async fn cut_stream(
    path: &str,
    body: &str,
    events: Vec<String>,
    end: End,
) -> (crate::support::Got, relay_core::events::UsageEvent) {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, Duration::from_millis(5)),
        end,
    });
    let got = post(&format!("{}{path}", relay.url), Some(KEY), body).await;
    assert_eq!(got.status, 200);
    assert!(
        !got.body_error,
        "the relay ends the client's stream cleanly with an error event"
    );
    let e = relay.finished().await;
    (got, e)
}

const ANTHROPIC: &str = r#"{"model":"claude-x","max_tokens":9,"stream":true,"messages":[]}"#;
const CHAT: &str = r#"{"model":"gpt-4.1","stream":true,"messages":[]}"#;
const RESPONSES: &str = r#"{"model":"gpt-4.1","stream":true,"input":"x"}"#;

fn usage() -> Usage {
    Usage {
        input: 5,
        output: 3,
        cache_read: 0,
        cache_write: 0,
    }
}

#[tokio::test]
async fn anthropic_stream_cut_mid_way_ends_with_an_error_event() {
    let mut events = fake_upstream::anthropic_sse("claude-x", &["one", "two"], usage());
    events.truncate(4); // message_start, content_block_start, ping, first delta
    for end in [End::Drop, End::Close] {
        let (got, e) = cut_stream("/v1/messages", ANTHROPIC, events.clone(), end).await;
        let names = got.sse_events();
        assert_eq!(
            names.last().map(String::as_str),
            Some("error"),
            "{}",
            got.text()
        );
        assert!(
            !names.contains(&"message_stop".to_owned()),
            "a cut stream is never passed off as complete"
        );
        let last: serde_json::Value = serde_json::from_str(got.sse_data().last().unwrap()).unwrap();
        assert_eq!(last["type"], "error");
        assert!(
            e.error == Some("upstream_stream_error") || e.error == Some("stream_truncated"),
            "{:?}",
            e.error
        );
        assert_eq!(e.usage.input, 5, "usage seen before the cut is kept");
    }
}

#[tokio::test]
async fn chat_stream_cut_ends_with_error_then_done() {
    let mut events = fake_upstream::chat_sse("gpt-4.1", &["one", "two"], None);
    events.truncate(2);
    let (got, e) = cut_stream("/v1/chat/completions", CHAT, events, End::Drop).await;
    let data = got.sse_data();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let err: serde_json::Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
    assert!(err["error"]["message"].is_string(), "{}", got.text());
    assert_eq!(e.error, Some("upstream_stream_error"));
}

#[tokio::test]
async fn responses_stream_cut_ends_with_response_failed() {
    let mut events = fake_upstream::responses_sse("gpt-4.1", &["one", "two"], usage());
    events.truncate(5);
    let (got, e) = cut_stream("/v1/responses", RESPONSES, events, End::Close).await;
    let names = got.sse_events();
    assert_eq!(
        names.last().map(String::as_str),
        Some("response.failed"),
        "{}",
        got.text()
    );
    let failed: serde_json::Value = serde_json::from_str(got.sse_data().last().unwrap()).unwrap();
    assert_eq!(failed["response"]["status"], "failed");
    assert_eq!(
        failed["sequence_number"], 5,
        "the failure continues the sequence"
    );
    assert!(
        failed["response"]["id"]
            .as_str()
            .unwrap()
            .starts_with("resp_")
    );
    assert_eq!(e.error, Some("stream_truncated"));
}

#[tokio::test]
async fn a_silent_upstream_gets_pings_then_an_idle_timeout_error() {
    let fake = FakeUpstream::start().await;
    let config = format!(
        "[gateway]\nstream_idle_timeout = \"900ms\"\nkeepalive_interval = \"200ms\"\n{}",
        two_accounts()
    );
    let mut relay = Relay::start(&config, &fake.url, SECRETS).await;
    // Silent after the answer started: pings, then the idle timeout ends the stream.
    let events = fake_upstream::anthropic_sse("claude-x", &["a"], usage());
    let paced = vec![
        (Duration::ZERO, events[0].clone()),
        (Duration::from_secs(5), events[1].clone()),
    ];
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: paced,
        end: End::Close,
    });
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), ANTHROPIC).await;
    let names = got.sse_events();
    assert_eq!(names.first().map(String::as_str), Some("message_start"));
    assert!(
        names.iter().filter(|n| *n == "ping").count() >= 2,
        "{}",
        got.text()
    );
    assert_eq!(names.last().map(String::as_str), Some("error"));
    assert!(got.text().contains("sent nothing"), "{}", got.text());
    let e = relay.finished().await;
    assert_eq!(e.error, Some("stream_idle_timeout"));

    // Silent before the first event: nothing was answered yet, so it counts as the account
    // not responding (another account would be tried); the client still gets pings. (A fresh
    // relay: the stall above put the account in a short cooldown.)
    let mut relay = Relay::start(&config, &fake.url, SECRETS).await;
    fake.push(Reply::HeadThenHang {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
    });
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), ANTHROPIC).await;
    let names = got.sse_events();
    assert!(
        names.iter().filter(|n| *n == "ping").count() >= 2,
        "{}",
        got.text()
    );
    assert_eq!(names.last().map(String::as_str), Some("error"));
    assert!(
        got.text().contains("claude: no response in time"),
        "{}",
        got.text()
    );
    let e = relay.finished().await;
    assert_eq!(e.error, Some("upstream_unavailable"));
}

#[tokio::test]
async fn client_hanging_up_mid_stream_still_records_usage() {
    use http_body_util::BodyExt;
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let events = fake_upstream::anthropic_sse(
        "claude-x",
        &["a", "b", "c", "d", "e"],
        Usage {
            input: 40,
            output: 9,
            cache_read: 0,
            cache_write: 0,
        },
    );
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, Duration::from_millis(60)),
        end: End::Close,
    });
    let req = http::Request::post(format!("{}/v1/messages", relay.url))
        .header("x-api-key", KEY)
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            ANTHROPIC.as_bytes(),
        )))
        .unwrap();
    let resp = crate::support::client().request(req).await.unwrap();
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap();
    assert!(first.is_data());
    drop(body); // the client goes away after the first event
    let e = relay.finished().await;
    assert!(e.client_disconnected);
    assert_eq!(e.usage.input, 40);
    assert_eq!(
        e.usage.output, 9,
        "the upstream was drained to the end for usage"
    );
    assert_eq!(e.error, None);
}

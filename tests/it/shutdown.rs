//! Graceful shutdown: stop accepting, let a stream in flight finish, then return.

use std::time::Duration;

use http_body_util::BodyExt;

use crate::support::fake_upstream::{self, End, FakeUpstream, Reply};
use crate::support::{KEY, Relay, SECRETS, two_accounts};

#[tokio::test]
async fn shutdown_lets_the_stream_in_flight_finish() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let events = fake_upstream::anthropic_sse(
        "claude-x",
        &["a", "b", "c", "d"],
        fake_upstream::DEFAULT_USAGE,
    );
    let expected = events.concat();
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, Duration::from_millis(80)),
        end: End::Close,
    });
    let req = http::Request::post(format!("{}/v1/messages", relay.url))
        .header("x-api-key", KEY)
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            br#"{"model":"claude-x","stream":true,"messages":[]}"#,
        )))
        .unwrap();
    let resp = crate::support::client().request(req).await.unwrap();
    let mut body = resp.into_body();
    let mut got = Vec::new();
    got.extend_from_slice(&body.frame().await.unwrap().unwrap().into_data().unwrap());

    let server = relay.signal_stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        tokio::net::TcpStream::connect(relay.addr).await.is_err(),
        "no new connections after shutdown began"
    );
    assert!(!server.is_finished(), "the server waits for the stream");

    while let Some(frame) = body.frame().await {
        got.extend_from_slice(&frame.unwrap().into_data().unwrap());
    }
    assert_eq!(
        String::from_utf8(got).unwrap(),
        expected,
        "the stream finished intact"
    );
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let e = relay.finished().await;
    assert_eq!(e.error, None);
}

#[tokio::test]
async fn shutdown_gives_up_after_the_grace() {
    let fake = FakeUpstream::start().await;
    let config = format!("[server]\nshutdown_grace = \"300ms\"\n{}", two_accounts());
    let mut relay = Relay::start(&config, &fake.url, SECRETS).await;
    fake.push(Reply::Hang);
    let url = format!("{}/v1/messages", relay.url);
    let pending = tokio::spawn(async move {
        crate::support::post(&url, Some(KEY), r#"{"model":"claude-x","messages":[]}"#).await
    });
    assert!(fake.wait_for_hits(1, Duration::from_secs(5)).await);
    let started = std::time::Instant::now();
    let server = relay.signal_stop();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(3),
        "{took:?}"
    );
    pending.abort();
}

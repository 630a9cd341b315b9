//! The official Python `anthropic` and `openai` SDKs, streaming and not, through the relay to
//! the fake upstream. The interpreter comes from `RELAY_TEST_PYTHON` (set by `scripts/test`,
//! which installs the SDKs into a venv); without it these tests fail and say how to fix that.

use std::process::Command;

use crate::support::fake_upstream::FakeUpstream;
use crate::support::{KEY, Relay, SECRETS, two_accounts};

fn python() -> String {
    std::env::var("RELAY_TEST_PYTHON").unwrap_or_else(|_| {
        panic!("RELAY_TEST_PYTHON is not set: run the tests with `scripts/test`, which installs the official SDKs into a venv")
    })
}

pub(crate) async fn sdk(case: &str, url: &str) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/sdk_client.py");
    let (py, case, url) = (python(), case.to_owned(), url.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(script)
            .arg(&case)
            .env("RELAY_URL", url)
            .env("RELAY_KEY", KEY)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "sdk case failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad output ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test]
async fn official_sdks_stream_through_the_relay_with_nothing_lost() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;

    let v = sdk("anthropic-stream", &relay.url).await;
    assert_eq!(v["text"], "Hello from fake anthropic");
    assert_eq!(v["final_text"], "Hello from fake anthropic");
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(
        (v["input_tokens"].as_u64(), v["output_tokens"].as_u64()),
        (Some(11), Some(7))
    );
    assert_eq!(
        (v["cache_read"].as_u64(), v["cache_write"].as_u64()),
        (Some(3), Some(2))
    );
    let e = relay.finished().await;
    assert_eq!((e.status, e.error, e.usage.output), (200, None, 7));

    let v = sdk("anthropic-create", &relay.url).await;
    assert_eq!(v["text"], "Hello from fake anthropic");
    relay.finished().await;

    let v = sdk("chat-stream", &relay.url).await;
    assert_eq!(v["text"], "Hello from fake openai");
    assert_eq!(v["finish_reason"], "stop");
    assert!(
        v["usage"].is_null(),
        "no usage chunk for a client that did not ask: {v}"
    );
    let e = relay.finished().await;
    assert_eq!(
        (e.usage.input, e.usage.output, e.usage.cache_read),
        (11, 7, 3),
        "yet the relay recorded usage"
    );

    let v = sdk("chat-stream-usage", &relay.url).await;
    assert_eq!(v["usage"]["prompt_tokens"], 14);
    relay.finished().await;

    let v = sdk("chat-create", &relay.url).await;
    assert_eq!(v["text"], "Hello from fake openai");
    assert_eq!(v["cached_tokens"], 3);
    relay.finished().await;

    let v = sdk("responses-stream", &relay.url).await;
    assert_eq!(v["text"], "Hello from fake openai");
    assert_eq!(v["status"], "completed");
    assert_eq!(
        (
            v["input_tokens"].as_u64(),
            v["output_tokens"].as_u64(),
            v["cached_tokens"].as_u64()
        ),
        (Some(14), Some(7), Some(3))
    );
    relay.finished().await;

    let v = sdk("responses-create", &relay.url).await;
    assert_eq!(v["status"], "completed");
    relay.finished().await;
}

#[tokio::test]
async fn official_sdks_see_relay_errors_in_their_own_shape() {
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let v = sdk("anthropic-error", &relay.url).await;
    assert_eq!(v["status"], 404);
    assert_eq!(v["type"], "not_found_error");
    assert!(v["message"].as_str().unwrap().contains("no-such-model-xyz"));
    let v = sdk("openai-error", &relay.url).await;
    assert_eq!(v["status"], 404);
    assert!(v["message"].as_str().unwrap().contains("no-such-model-xyz"));
    assert_eq!(fake.hits(), 0);
}

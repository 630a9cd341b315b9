//! Same-dialect passthrough: bodies byte-faithful except the model, auth swapped, headers
//! forwarded, usage tapped, mapped models restored in answers.

use crate::support::fake_upstream::{self, FakeUpstream, Reply};
use crate::support::{KEY, Relay, SECRETS, post, send, two_accounts};

const ANTHROPIC_BODY: &str = r#"{"model":"claude-sonnet-4-5","max_tokens":64,"unknown_field":{"keep":[1,2.50,"x"]},
 "system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],
 "messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"EqQBCkYIARgCKkDsig=="},{"type":"text","text":"ok"}]},{"role":"user","content":"again"}]}"#;

#[tokio::test]
async fn anthropic_body_headers_and_query_pass_through() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let got = send(
        "POST",
        &format!("{}/v1/messages?beta=true", relay.url),
        &[
            ("content-type", "application/json"),
            ("x-api-key", KEY),
            ("anthropic-version", "2023-06-01"),
            (
                "anthropic-beta",
                "interleaved-thinking-2025-05-14,context-management-2025-06-27",
            ),
            ("user-agent", "claude-cli/2.1.300 (external, sdk-cli)"),
            ("x-app", "cli"),
            ("accept-encoding", "gzip, deflate"),
        ],
        ANTHROPIC_BODY,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text());
    let v = got.json();
    assert_eq!(v["model"], "claude-sonnet-4-5");
    assert_eq!(v["content"][0]["text"], "Hello from fake anthropic");
    assert!(
        got.header("x-relay-request-id")
            .unwrap()
            .starts_with("req_")
    );
    let timing = got.header("server-timing").unwrap();
    assert!(
        timing.contains("queue;dur=")
            && timing.contains("upstream;dur=")
            && timing.contains("total;dur="),
        "{timing}"
    );

    let r = &fake.requests()[0];
    assert_eq!(r.path_and_query, "/v1/messages?beta=true");
    assert_eq!(
        r.body.as_ref(),
        ANTHROPIC_BODY.as_bytes(),
        "body must be forwarded byte for byte"
    );
    assert_eq!(
        r.header("x-api-key").as_deref(),
        Some("sk-ant-upstream-canary")
    );
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.header("anthropic-version").as_deref(), Some("2023-06-01"));
    assert_eq!(
        r.header("anthropic-beta").as_deref(),
        Some("interleaved-thinking-2025-05-14,context-management-2025-06-27")
    );
    assert_eq!(
        r.header("user-agent").as_deref(),
        Some("claude-cli/2.1.300 (external, sdk-cli)")
    );
    assert_eq!(r.header("x-app").as_deref(), Some("cli"));
    assert_eq!(r.header("accept-encoding").as_deref(), Some("identity"));

    let e = relay.finished().await;
    assert_eq!(e.status, 200);
    assert_eq!(e.account.as_deref(), Some("claude"));
    assert_eq!(e.key.as_deref(), Some("test"));
    assert_eq!(
        (
            e.usage.input,
            e.usage.output,
            e.usage.cache_read,
            e.usage.cache_write
        ),
        (11, 7, 3, 2)
    );
    assert!(!e.stream);
}

#[tokio::test]
async fn anthropic_version_is_added_when_missing_and_count_tokens_passes() {
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let body = r#"{"model":"claude-haiku-4-5","messages":[{"role":"user","content":"count me"}]}"#;
    let got = post(
        &format!("{}/v1/messages/count_tokens", relay.url),
        Some(KEY),
        body,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["input_tokens"], 42);
    let r = &fake.requests()[0];
    assert_eq!(r.path(), "/v1/messages/count_tokens");
    assert_eq!(r.header("anthropic-version").as_deref(), Some("2023-06-01"));
    assert_eq!(r.body.as_ref(), body.as_bytes());
}

#[tokio::test]
async fn anthropic_stream_is_relayed_unchanged() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let events = fake_upstream::anthropic_sse(
        "claude-sonnet-4-5",
        &["Hi", " there"],
        fake_upstream::DEFAULT_USAGE,
    );
    let expected: String = events.concat();
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, std::time::Duration::from_millis(5)),
        end: fake_upstream::End::Close,
    });
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), body).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        got.text(),
        expected,
        "a same-dialect stream must arrive byte for byte"
    );
    let e = relay.finished().await;
    assert!(e.stream);
    assert_eq!(e.error, None);
    assert_eq!(
        (
            e.usage.input,
            e.usage.output,
            e.usage.cache_read,
            e.usage.cache_write
        ),
        (11, 7, 3, 2)
    );
    assert!(e.ttft_ms.is_some());
}

#[tokio::test]
async fn openai_chat_and_responses_pass_through_with_bearer_auth() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let chat = r#"{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"temperature":0.25,"x_vendor":{"a":null}}"#;
    let got = post(
        &format!("{}/v1/chat/completions", relay.url),
        Some(KEY),
        chat,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(
        got.json()["choices"][0]["message"]["content"],
        "Hello from fake openai"
    );
    let r = &fake.requests()[0];
    assert_eq!(
        r.path(),
        "/v1/chat/completions",
        "a base_url ending in /v1 is not doubled"
    );
    assert_eq!(r.body.as_ref(), chat.as_bytes());
    assert_eq!(
        r.header("authorization").as_deref(),
        Some("Bearer sk-openai-upstream-canary")
    );
    let e = relay.finished().await;
    assert_eq!(
        (e.usage.input, e.usage.output, e.usage.cache_read),
        (11, 7, 3)
    );

    let resp = r#"{"model":"gpt-4.1","input":"hi","store":false,"reasoning":{"effort":"low"}}"#;
    let got = post(&format!("{}/v1/responses", relay.url), Some(KEY), resp).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["object"], "response");
    assert_eq!(fake.requests()[1].body.as_ref(), resp.as_bytes());
    let e = relay.finished().await;
    assert_eq!(e.inbound.as_str(), "openai-responses");
    assert_eq!(
        (e.usage.input, e.usage.output, e.usage.cache_read),
        (11, 7, 3)
    );

    let stream = r#"{"model":"gpt-4.1","stream":true,"input":"hi"}"#;
    let got = post(&format!("{}/v1/responses", relay.url), Some(KEY), stream).await;
    assert_eq!(got.status, 200);
    let names = got.sse_events();
    assert_eq!(names.first().map(String::as_str), Some("response.created"));
    assert_eq!(names.last().map(String::as_str), Some("response.completed"));
    let e = relay.finished().await;
    assert_eq!(e.error, None);
    assert_eq!(
        (e.usage.input, e.usage.output, e.usage.cache_read),
        (11, 7, 3)
    );
}

#[tokio::test]
async fn chat_stream_usage_is_requested_and_stripped_when_the_client_did_not_ask() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let body = r#"{"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let got = post(
        &format!("{}/v1/chat/completions", relay.url),
        Some(KEY),
        body,
    )
    .await;
    assert_eq!(got.status, 200);
    let sent = fake.requests()[0].json();
    assert_eq!(
        sent["stream_options"]["include_usage"], true,
        "the relay asks upstream for usage"
    );
    let data = got.sse_data();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    for d in &data[..data.len() - 1] {
        let v: serde_json::Value = serde_json::from_str(d).unwrap();
        assert!(
            !v["choices"].as_array().unwrap().is_empty(),
            "usage-only chunk must not reach a client that did not ask: {d}"
        );
    }
    let e = relay.finished().await;
    assert_eq!(
        (e.usage.input, e.usage.output, e.usage.cache_read),
        (11, 7, 3)
    );

    // A client that asked for usage gets the chunk.
    let body = r#"{"model":"gpt-4.1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#;
    let got = post(
        &format!("{}/v1/chat/completions", relay.url),
        Some(KEY),
        body,
    )
    .await;
    assert_eq!(
        fake.requests()[1].body.as_ref(),
        body.as_bytes(),
        "nothing to change: forwarded as is"
    );
    let usage_chunks = got
        .sse_data()
        .iter()
        .filter(|d| d.contains("\"usage\":{"))
        .count();
    assert_eq!(usage_chunks, 1);
}

const MAPPED: &str = r#"
[[groups]]
name = "default"
model_map = { "team-fast" = "claude-haiku-4-5" }

[[accounts]]
name = "claude"
platform = "anthropic"
secret = "env:UP_ANTHROPIC"
base_url = "{upstream}"
model_map = { "claude-haiku-4-5" = "claude-haiku-4-5-20251001" }

[[accounts]]
name = "gpt"
platform = "openai"
secret = "env:UP_OPENAI"
base_url = "{upstream}"
models = ["gpt-*"]
model_map = { "gpt-fast*" = "gpt-4.1-mini" }
"#;

#[tokio::test]
async fn mapped_models_are_rewritten_up_and_restored_down() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(MAPPED, &fake.url, SECRETS).await;
    let body = r#"{"model":"team-fast","max_tokens":8,"messages":[{"role":"user","content":"hi","model":"inner"}]}"#;
    let got = post(&format!("{}/v1/messages", relay.url), None, body).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(
        got.json()["model"],
        "team-fast",
        "the client sees the model it asked for"
    );
    let sent = fake.requests()[0].body.clone();
    let expected = body.replace(
        r#""model":"team-fast""#,
        r#""model":"claude-haiku-4-5-20251001""#,
    );
    assert_eq!(
        sent.as_ref(),
        expected.as_bytes(),
        "only the top-level model changes"
    );
    let e = relay.finished().await;
    assert_eq!(e.model.as_deref(), Some("team-fast"));
    assert_eq!(
        e.upstream_model.as_deref(),
        Some("claude-haiku-4-5-20251001")
    );

    let body = r#"{"model":"team-fast","max_tokens":8,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let got = post(&format!("{}/v1/messages", relay.url), None, body).await;
    assert!(
        got.text().contains(r#""model":"team-fast""#),
        "{}",
        got.text()
    );
    assert!(!got.text().contains("20251001"));

    let body =
        r#"{"model":"gpt-fast-1","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let got = post(&format!("{}/v1/chat/completions", relay.url), None, body).await;
    assert_eq!(fake.requests()[2].json()["model"], "gpt-4.1-mini");
    let chunks: Vec<serde_json::Value> = got
        .sse_data()
        .iter()
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(!chunks.is_empty());
    assert!(
        chunks.iter().all(|c| c["model"] == "gpt-fast-1"),
        "{}",
        got.text()
    );
}

#[tokio::test]
async fn models_lists_what_accounts_serve_in_both_shapes() {
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(MAPPED, &fake.url, SECRETS).await;
    let got = send("GET", &format!("{}/v1/models", relay.url), &[], "").await;
    assert_eq!(got.status, 200);
    let v = got.json();
    assert_eq!(v["object"], "list");
    let ids: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"claude-haiku-4-5"), "{ids:?}");
    assert!(ids.contains(&"gpt-4.1"), "{ids:?}");
    let got = send(
        "GET",
        &format!("{}/v1/models", relay.url),
        &[("anthropic-version", "2023-06-01")],
        "",
    )
    .await;
    let v = got.json();
    assert_eq!(v["has_more"], false);
    assert_eq!(v["data"][0]["type"], "model");
    assert_eq!(fake.hits(), 0, "model listing is answered by the relay");
}

#[tokio::test]
async fn health_needs_no_key() {
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let got = send("GET", &format!("{}/health", relay.url), &[], "").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn h2c_clients_are_served() {
    use http_body_util::BodyExt;
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let req = http::Request::post(format!("{}/v1/chat/completions", relay.url))
        .header("authorization", format!("Bearer {KEY}"))
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            br#"{"model":"gpt-4.1","messages":[]}"#,
        )))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("Hello from fake openai"));
}

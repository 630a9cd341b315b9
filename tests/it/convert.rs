//! Any client dialect reaches any account: requests converted up, answers and streams
//! converted down, end to end through the relay against the fake upstream, with the official
//! SDKs' streaming helpers as the strictest clients.

use crate::sdk::sdk;
use crate::support::fake_upstream::{self, End, FakeUpstream, Reply};
use crate::support::{Relay, SECRETS, post};

/// One account of `platform` (with `extra` config) serving every model, keyless.
fn only(platform: &str, extra: &str) -> String {
    format!(
        "[[accounts]]\nname = \"up\"\nplatform = \"{platform}\"\nsecret = \"env:UP\"\nbase_url = \"{{upstream}}\"\nmodels = [\"*\"]\n{extra}\n"
    )
}

const ENV: &[(&str, &str)] = &[("UP", "sk-up")];

#[tokio::test]
async fn chat_and_responses_convert_both_ways() {
    // A Chat client on a Responses-only account, and a Responses client on a Chat-only one.
    for (extra, client_path, upstream_path, body) in [
        (
            "api = \"responses\"",
            "/v1/chat/completions",
            "/v1/responses",
            r#"{"model":"gpt-4.1","stream":true,"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}]}"#,
        ),
        (
            "api = \"chat\"",
            "/v1/responses",
            "/v1/chat/completions",
            r#"{"model":"gpt-4.1","stream":true,"input":"hi"}"#,
        ),
    ] {
        let fake = FakeUpstream::start().await;
        let mut relay = Relay::start(&only("openai", extra), &fake.url, ENV).await;
        let got = post(&format!("{}{client_path}", relay.url), None, body).await;
        assert_eq!(got.status, 200, "{client_path}: {}", got.text());
        assert_eq!(fake.requests()[0].path(), upstream_path);
        let text: String = if client_path == "/v1/responses" {
            got.sse_data()
                .iter()
                .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .filter(|v| v["type"] == "response.output_text.delta")
                .map(|v| v["delta"].as_str().unwrap().to_owned())
                .collect()
        } else {
            got.sse_data()
                .iter()
                .filter(|d| *d != "[DONE]")
                .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .filter_map(|v| {
                    v["choices"][0]["delta"]["content"]
                        .as_str()
                        .map(str::to_owned)
                })
                .collect()
        };
        assert_eq!(text, "Hello from fake openai", "{client_path}");
        let e = relay.finished().await;
        assert_eq!(
            (e.usage.input, e.usage.output, e.usage.cache_read),
            (11, 7, 3),
            "{client_path}"
        );
    }
}

#[tokio::test]
async fn responses_client_on_an_anthropic_account() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&only("anthropic", ""), &fake.url, ENV).await;
    let body = r#"{"model":"gpt-5-codex","instructions":"be brief","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}],"max_output_tokens":100,"store":false}"#;
    let got = post(&format!("{}/v1/responses", relay.url), None, body).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let v = got.json();
    assert_eq!(v["object"], "response");
    assert_eq!(v["model"], "gpt-5-codex");
    assert_eq!(v["status"], "completed");
    let sent = fake.requests()[0].clone();
    assert_eq!(sent.path(), "/v1/messages");
    let up = sent.json();
    assert_eq!(
        up["system"]
            .as_str()
            .map(|s| s.contains("be brief"))
            .or_else(|| up["system"][0]["text"]
                .as_str()
                .map(|s| s.contains("be brief"))),
        Some(true),
        "{up}"
    );
    assert_eq!(up["max_tokens"], 100);
    assert_eq!(
        sent.header("anthropic-version").as_deref(),
        Some("2023-06-01")
    );
    let e = relay.finished().await;
    assert_eq!(
        (
            e.usage.input,
            e.usage.output,
            e.usage.cache_read,
            e.usage.cache_write
        ),
        (11, 7, 3, 2)
    );

    let stream = r#"{"model":"gpt-5-codex","input":"hi","stream":true}"#;
    let got = post(&format!("{}/v1/responses", relay.url), None, stream).await;
    let names = got.sse_events();
    assert_eq!(
        names.first().map(String::as_str),
        Some("response.created"),
        "{}",
        got.text()
    );
    assert_eq!(names.last().map(String::as_str), Some("response.completed"));
    let seqs: Vec<u64> = got
        .sse_data()
        .iter()
        .map(|d| {
            serde_json::from_str::<serde_json::Value>(d).unwrap()["sequence_number"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let done: serde_json::Value = serde_json::from_str(got.sse_data().last().unwrap()).unwrap();
    assert_eq!(
        done["response"]["usage"]["input_tokens"], 16,
        "OpenAI input includes cached tokens: {done}"
    );
    assert_eq!(
        done["response"]["usage"]["input_tokens_details"]["cached_tokens"],
        3
    );
}

#[tokio::test]
async fn chat_client_on_an_anthropic_account_streams_tool_calls_as_valid_json() {
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(&only("anthropic", ""), &fake.url, ENV).await;
    let events = vec![
        r#"event: message_start
data: {"type":"message_start","message":{"id":"msg_t1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":20,"output_tokens":1}}}

"#.to_owned(),
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{}}}\n\n".to_owned(),
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Par\"}}\n\n".to_owned(),
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"is\\\"}\"}}\n\n".to_owned(),
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n".to_owned(),
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"now\",\"input\":{}}}\n\n".to_owned(),
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n".to_owned(),
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":12}}\n\n".to_owned(),
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n".to_owned(),
    ];
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(events, std::time::Duration::from_millis(2)),
        end: End::Close,
    });
    let body = r#"{"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}]}"#;
    let got = post(&format!("{}/v1/chat/completions", relay.url), None, body).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let data = got.sse_data();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let mut args: std::collections::BTreeMap<u64, String> = Default::default();
    let mut names = Vec::new();
    let mut finish = None;
    for d in &data[..data.len() - 1] {
        let v: serde_json::Value = serde_json::from_str(d).unwrap();
        assert!(
            v["usage"].is_null() || v["choices"].as_array().is_some_and(|c| !c.is_empty()),
            "no usage-only chunk for this client"
        );
        for c in v["choices"].as_array().unwrap() {
            if let Some(tcs) = c["delta"]["tool_calls"].as_array() {
                for tc in tcs {
                    let i = tc["index"].as_u64().unwrap();
                    if let Some(n) = tc["function"]["name"].as_str() {
                        names.push(n.to_owned());
                    }
                    args.entry(i)
                        .or_default()
                        .push_str(tc["function"]["arguments"].as_str().unwrap_or(""));
                }
            }
            if let Some(f) = c["finish_reason"].as_str() {
                finish = Some(f.to_owned());
            }
        }
    }
    assert_eq!(names, ["get_weather", "now"]);
    assert_eq!(finish.as_deref(), Some("tool_calls"));
    let a0: serde_json::Value = serde_json::from_str(&args[&0]).unwrap();
    assert_eq!(a0["city"], "Paris");
    let a1: serde_json::Value = serde_json::from_str(&args[&1]).unwrap();
    assert_eq!(
        a1,
        serde_json::json!({}),
        "an empty tool input assembles to {{}}"
    );
}

#[tokio::test]
async fn what_the_target_cannot_express_is_refused_by_name() {
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(&only("anthropic", ""), &fake.url, ENV).await;
    let body =
        r#"{"model":"gpt-5-codex","input":"search the web","tools":[{"type":"web_search"}]}"#;
    let got = post(&format!("{}/v1/responses", relay.url), None, body).await;
    assert_eq!(got.status, 400, "{}", got.text());
    assert!(
        got.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tools[0]"),
        "{}",
        got.text()
    );
    assert_eq!(fake.hits(), 0);
}

#[tokio::test]
async fn upstream_errors_are_re_said_in_the_client_dialect() {
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(&only("anthropic", ""), &fake.url, ENV).await;
    fake.push(Reply::Json {
        status: 400,
        headers: vec![],
        body: fake_upstream::error_json_anthropic("invalid_request_error", "messages.0: bad"),
    });
    let got = post(
        &format!("{}/v1/chat/completions", relay.url),
        None,
        r#"{"model":"gpt-4.1","messages":[{"role":"user","content":"x"}]}"#,
    )
    .await;
    assert_eq!(got.status, 400);
    assert_eq!(
        got.json()["error"]["type"],
        "invalid_request_error",
        "OpenAI shape: {}",
        got.text()
    );
    assert_eq!(got.json()["error"]["message"], "messages.0: bad");
}

/// One account of `platform` serving every model, keyless (the SDK key is ignored on loopback
/// only when no keys exist, so the test key is configured too).
fn only_with_key(platform: &str) -> String {
    format!(
        "[[accounts]]\nname = \"up\"\nplatform = \"{platform}\"\nsecret = \"env:UP_ANTHROPIC\"\nbase_url = \"{{upstream}}\"\nmodels = [\"*\"]\n\n{}",
        crate::support::key_block()
    )
}

#[tokio::test]
async fn openai_sdks_are_served_by_an_anthropic_account() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&only_with_key("anthropic"), &fake.url, SECRETS).await;
    for case in [
        "chat-stream",
        "chat-create",
        "responses-stream",
        "responses-create",
    ] {
        let v = sdk(case, &relay.url).await;
        assert_eq!(v["text"], "Hello from fake anthropic", "{case}: {v}");
        assert_eq!(
            v["model"], "gpt-4.1",
            "{case}: the client sees its own model"
        );
        let e = relay.finished().await;
        assert_eq!((e.status, e.error), (200, None), "{case}");
        assert_eq!((e.usage.input, e.usage.output), (11, 7), "{case}");
    }
    assert!(fake.requests().iter().all(|r| r.path() == "/v1/messages"));
}

#[tokio::test]
async fn anthropic_client_on_openai_accounts_both_apis() {
    for (extra, path) in [
        ("", "/v1/responses"),
        ("api = \"chat\"", "/v1/chat/completions"),
    ] {
        let fake = FakeUpstream::start().await;
        let mut relay = Relay::start(&only("openai", extra), &fake.url, ENV).await;
        let body = r#"{"model":"gpt-4.1","max_tokens":64,"system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}]}"#;
        let got = post(&format!("{}/v1/messages", relay.url), None, body).await;
        assert_eq!(got.status, 200, "{path}: {}", got.text());
        let v = got.json();
        assert_eq!(v["type"], "message");
        assert_eq!(v["role"], "assistant");
        assert_eq!(v["model"], "gpt-4.1");
        assert_eq!(v["content"][0]["text"], "Hello from fake openai");
        assert_eq!(
            v["usage"]["input_tokens"], 11,
            "{path}: Anthropic input excludes cached: {v}"
        );
        assert_eq!(v["usage"]["cache_read_input_tokens"], 3);
        assert_eq!(fake.requests()[0].path(), path);
        assert_eq!(
            fake.requests()[0].header("authorization").as_deref(),
            Some("Bearer sk-up")
        );
        relay.finished().await;

        let stream = r#"{"model":"gpt-4.1","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
        let got = post(&format!("{}/v1/messages", relay.url), None, stream).await;
        let names = got.sse_events();
        assert_eq!(
            names.first().map(String::as_str),
            Some("message_start"),
            "{path}: {}",
            got.text()
        );
        assert_eq!(names.last().map(String::as_str), Some("message_stop"));
        assert_eq!(names.iter().filter(|n| *n == "message_stop").count(), 1);
        let e = relay.finished().await;
        assert_eq!(
            (e.usage.input, e.usage.output, e.usage.cache_read),
            (11, 7, 3),
            "{path}"
        );
    }
}

#[tokio::test]
async fn count_tokens_on_a_converted_path_is_estimated_locally() {
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(&only("openai", ""), &fake.url, ENV).await;
    let small = post(
        &format!("{}/v1/messages/count_tokens", relay.url),
        None,
        r#"{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}"#,
    )
    .await;
    let big = post(
        &format!("{}/v1/messages/count_tokens", relay.url),
        None,
        &format!(
            r#"{{"model":"gpt-4.1","system":"{}","messages":[{{"role":"user","content":"hi"}}]}}"#,
            "word ".repeat(400)
        ),
    )
    .await;
    assert_eq!(small.status, 200);
    let (s, b) = (
        small.json()["input_tokens"].as_u64().unwrap(),
        big.json()["input_tokens"].as_u64().unwrap(),
    );
    assert!(b >= s + 400, "the system prompt counts: {s} vs {b}");
    assert_eq!(fake.hits(), 0);
}

#[tokio::test]
async fn anthropic_sdk_is_served_by_an_openai_account() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&only_with_key("openai"), &fake.url, SECRETS).await;
    for case in ["anthropic-stream", "anthropic-create"] {
        let v = sdk(case, &relay.url).await;
        assert_eq!(v["text"], "Hello from fake openai", "{case}: {v}");
        assert_eq!(v["stop_reason"], "end_turn", "{case}");
        assert_eq!(
            (v["input_tokens"].as_u64(), v["output_tokens"].as_u64()),
            (Some(11), Some(7)),
            "{case}"
        );
        relay.finished().await;
    }
    assert!(fake.requests().iter().all(|r| r.path() == "/v1/responses"));
}

/// An Anthropic stream that calls `get_weather` with `{"city":"Paris"}` in two fragments.
fn anthropic_tool_stream() -> Vec<String> {
    vec![
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_w\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":30,\"output_tokens\":1}}}\n\n".to_owned(),
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_w\",\"name\":\"get_weather\",\"input\":{}}}\n\n".to_owned(),
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\":\"}}\n\n".to_owned(),
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\" \\\"Paris\\\"}\"}}\n\n".to_owned(),
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n".to_owned(),
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":9}}\n\n".to_owned(),
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n".to_owned(),
    ]
}

/// A Responses stream that calls `get_weather` with `{"city":"Paris"}` in two fragments.
fn responses_tool_stream() -> Vec<String> {
    let item = r#"{"id":"fc_w","type":"function_call","status":"in_progress","call_id":"call_w","name":"get_weather","arguments":""}"#;
    let done = r#"{"id":"fc_w","type":"function_call","status":"completed","call_id":"call_w","name":"get_weather","arguments":"{\"city\":\"Paris\"}"}"#;
    let resp = |status: &str, output: &str, usage: &str| {
        format!(
            r#"{{"id":"resp_w","object":"response","created_at":1,"status":"{status}","model":"gpt-4.1","output":{output},"usage":{usage}}}"#
        )
    };
    let usage = r#"{"input_tokens":30,"input_tokens_details":{"cached_tokens":0},"output_tokens":9,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":39}"#;
    let ev = |name: &str, seq: u32, rest: String| {
        format!("event: {name}\ndata: {{\"type\":\"{name}\",\"sequence_number\":{seq},{rest}}}\n\n")
    };
    vec![
        ev(
            "response.created",
            0,
            format!(r#""response":{}"#, resp("in_progress", "[]", "null")),
        ),
        ev(
            "response.output_item.added",
            1,
            format!(r#""output_index":0,"item":{item}"#),
        ),
        ev(
            "response.function_call_arguments.delta",
            2,
            r#""item_id":"fc_w","output_index":0,"delta":"{\"city\":""#.to_owned(),
        ),
        ev(
            "response.function_call_arguments.delta",
            3,
            r#""item_id":"fc_w","output_index":0,"delta":"\"Paris\"}""#.to_owned(),
        ),
        ev(
            "response.function_call_arguments.done",
            4,
            r#""item_id":"fc_w","output_index":0,"arguments":"{\"city\":\"Paris\"}""#.to_owned(),
        ),
        ev(
            "response.output_item.done",
            5,
            format!(r#""output_index":0,"item":{done}"#),
        ),
        ev(
            "response.completed",
            6,
            format!(
                r#""response":{}"#,
                resp("completed", &format!("[{done}]"), usage)
            ),
        ),
    ]
}

#[tokio::test]
async fn official_sdks_get_tool_calls_through_every_conversion() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&only_with_key("anthropic"), &fake.url, SECRETS).await;
    for case in ["chat-tools-stream", "responses-tools-stream"] {
        fake.push(Reply::Sse {
            status: 200,
            headers: vec![],
            events: fake_upstream::paced(
                anthropic_tool_stream(),
                std::time::Duration::from_millis(2),
            ),
            end: End::Close,
        });
        let v = sdk(case, &relay.url).await;
        assert_eq!(v["tool_calls"][0]["name"], "get_weather", "{case}: {v}");
        assert_eq!(
            v["tool_calls"][0]["input"],
            serde_json::json!({"city": "Paris"}),
            "{case}"
        );
        let e = relay.finished().await;
        assert_eq!(
            (e.error, e.usage.input, e.usage.output),
            (None, 30, 9),
            "{case}"
        );
    }
    let sent = fake.requests();
    let tools = &sent[0].json()["tools"];
    assert_eq!(
        tools[0]["name"], "get_weather",
        "tools reach Anthropic as Anthropic tools: {tools}"
    );
    assert_eq!(tools[0]["input_schema"]["required"][0], "city");

    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&only_with_key("openai"), &fake.url, SECRETS).await;
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(responses_tool_stream(), std::time::Duration::from_millis(2)),
        end: End::Close,
    });
    let v = sdk("anthropic-tools-stream", &relay.url).await;
    assert_eq!(v["stop_reason"], "tool_use", "{v}");
    assert_eq!(v["tool_calls"][0]["name"], "get_weather");
    assert_eq!(
        v["tool_calls"][0]["input"],
        serde_json::json!({"city": "Paris"})
    );
    let e = relay.finished().await;
    assert_eq!((e.error, e.usage.input, e.usage.output), (None, 30, 9));
    let up = fake.requests()[0].json();
    assert_eq!(up["tools"][0]["type"], "function", "{up}");
    assert_eq!(up["tools"][0]["name"], "get_weather");
}

#[tokio::test]
async fn a_request_one_account_cannot_express_goes_to_one_that_can() {
    let fake = FakeUpstream::start().await;
    let config = format!(
        "{}priority = 1\n\n[[accounts]]\nname = \"native\"\nplatform = \"openai\"\nsecret = \"env:UP\"\nbase_url = \"{{upstream}}\"\nmodels = [\"*\"]\npriority = 2\n",
        only("anthropic", "")
    );
    let mut relay = Relay::start(&config, &fake.url, ENV).await;
    let body =
        r#"{"model":"gpt-5-codex","input":"search the web","tools":[{"type":"web_search"}]}"#;
    let got = post(&format!("{}/v1/responses", relay.url), None, body).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].path(),
        "/v1/responses",
        "passed through to the account that speaks it"
    );
    assert_eq!(sent[0].body.as_ref(), body.as_bytes());
    let e = relay.finished().await;
    assert_eq!(e.account.as_deref(), Some("native"));
}

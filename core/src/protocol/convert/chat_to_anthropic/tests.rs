//! Golden tests (pure, no I/O) for the Chat → Anthropic request and the Anthropic → Chat
//! answer. Expected values are written by hand from the public API references.

use serde_json::{Value, json};

use crate::protocol::convert::{ConvertError, RequestContext};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn convert_for(model: &str, body: &Value) -> Result<Value, Box<dyn std::error::Error>> {
    let ctx = RequestContext {
        upstream_model: model,
        stream: false,
    };
    let out = super::request(body.to_string().as_bytes(), &ctx)?;
    Ok(serde_json::from_slice(&out)?)
}

fn convert(body: &Value) -> Result<Value, Box<dyn std::error::Error>> {
    convert_for("claude-sonnet-4-5", body)
}

fn refused(body: &Value) -> ConvertError {
    let ctx = RequestContext {
        upstream_model: "claude-sonnet-4-5",
        stream: true,
    };
    match super::request(body.to_string().as_bytes(), &ctx) {
        Err(e) => e,
        Ok(out) => panic!("accepted: {}", String::from_utf8_lossy(&out)),
    }
}

fn answer(message: &Value) -> Result<Value, Box<dyn std::error::Error>> {
    let out = super::response(message.to_string().as_bytes(), "gpt-4.1")?;
    let mut v: Value = serde_json::from_slice(&out)?;
    assert!(
        v["created"].as_u64().is_some_and(|t| t > 1_600_000_000),
        "{v}"
    );
    v["created"] = json!(0);
    Ok(v)
}

fn user(text: &str) -> Value {
    json!({"role": "user", "content": [{"type": "text", "text": text}]})
}

fn msgs(list: Value) -> Value {
    json!({"model": "gpt-4.1", "messages": list})
}

#[test]
fn text_simple() -> TestResult {
    let got = convert(&msgs(json!([{"role": "user", "content": "hi"}])))?;
    let want = json!({"model": "claude-sonnet-4-5", "max_tokens": 8192, "messages": [user("hi")], "stream": false});
    assert_eq!(got, want);
    let got = answer(&json!({
        "id": "msg_01C", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hello!"}], "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 9, "output_tokens": 3},
    }))?;
    let want = json!({
        "id": "chatcmpl-01C", "object": "chat.completion", "created": 0, "model": "gpt-4.1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!", "refusal": null},
                     "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12, "prompt_tokens_details": {"cached_tokens": 0}},
    });
    assert_eq!(got, want);
    Ok(())
}

#[test]
fn max_tokens_default() -> TestResult {
    assert_eq!(
        convert(&msgs(json!([{"role": "user", "content": "hi"}])))?["max_tokens"],
        8192
    );
    let mut body = msgs(json!([{"role": "user", "content": "hi"}]));
    body["max_tokens"] = json!(50);
    assert_eq!(convert(&body)?["max_tokens"], 50);
    body["max_completion_tokens"] = json!(70);
    assert_eq!(convert(&body)?["max_tokens"], 70);
    Ok(())
}

#[test]
fn system_and_developer() -> TestResult {
    let got = convert(&msgs(json!([
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
        {"role": "user", "content": "weather?", "name": "ann"},
        {"role": "assistant", "content": "Where?"},
        {"role": "system", "content": "The user is in Paris."},
        {"role": "user", "content": "here"},
    ])))?;
    assert_eq!(
        got["system"],
        json!([
            {"type": "text", "text": "Be brief."},
            {"type": "text", "text": "Use metric units."},
            {"type": "text", "text": "The user is in Paris."},
        ])
    );
    assert_eq!(
        got["messages"],
        json!([user("weather?"), {"role": "assistant", "content": [{"type": "text", "text": "Where?"}]}, user("here")])
    );
    Ok(())
}

#[test]
fn multi_turn() -> TestResult {
    let got = convert(&msgs(json!([
        {"role": "user", "content": "a"},
        {"role": "user", "content": [{"type": "text", "text": "b"}, {"type": "text", "text": ""}]},
        {"role": "assistant", "content": [{"type": "text", "text": "c"}], "refusal": null},
        {"role": "assistant", "content": null, "refusal": "I can't."},
        {"role": "user", "content": "d"},
    ])))?;
    assert_eq!(
        got["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "c"}, {"type": "text", "text": "I can't."}]},
            user("d"),
        ])
    );
    Ok(())
}

#[test]
fn image_url() -> TestResult {
    let got = convert(&msgs(json!([{"role": "user", "content": [
        {"type": "text", "text": "what?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.webp", "detail": "low"}},
    ]}])))?;
    assert_eq!(
        got["messages"][0]["content"],
        json!([{"type": "text", "text": "what?"}, {"type": "image", "source": {"type": "url", "url": "https://example.com/a.webp"}}])
    );
    Ok(())
}

#[test]
fn image_base64() -> TestResult {
    let got = convert(&msgs(json!([{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lGOD"}},
        {"type": "file", "file": {"filename": "r.pdf", "file_data": "data:application/pdf;base64,JVBE"}},
    ]}])))?;
    assert_eq!(
        got["messages"][0]["content"],
        json!([
            {"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": "R0lGOD"}},
            {"type": "document", "title": "r.pdf", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
        ])
    );
    let e = refused(&msgs(
        json!([{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-1"}}]}]),
    ));
    assert_eq!(e.field, "messages[0].content[0].file.file_id");
    Ok(())
}

fn tools() -> Value {
    json!([
        {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city", "strict": true,
         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
        {"type": "function", "function": {"name": "now"}},
    ])
}

#[test]
fn tools_parallel() -> TestResult {
    let mut body = msgs(json!([
        {"role": "user", "content": "weather and time?"},
        {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_A", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_B", "type": "function", "function": {"name": "now", "arguments": ""}},
        ]},
        {"role": "tool", "tool_call_id": "call_A", "content": "18C"},
        {"role": "tool", "tool_call_id": "call_B", "content": [{"type": "text", "text": "12:00"}]},
    ]));
    body["tools"] = tools();
    body["tool_choice"] = json!("auto");
    body["parallel_tool_calls"] = json!(true);
    let got = convert(&body)?;
    let want = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 8192,
        "tools": [
            {"name": "get_weather", "description": "Weather for a city",
             "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            {"name": "now", "input_schema": {"type": "object", "properties": {}}},
        ],
        "tool_choice": {"type": "auto"},
        "messages": [
            user("weather and time?"),
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "call_A", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "call_B", "name": "now", "input": {}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_A", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "call_B", "content": "12:00"},
            ]},
        ],
        "stream": false,
    });
    assert_eq!(got, want);
    let got = answer(&json!({
        "id": "msg_01P", "type": "message", "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "toolu_A", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_B", "name": "now", "input": {}},
        ],
        "stop_reason": "tool_use", "usage": {"input_tokens": 20, "output_tokens": 12},
    }))?;
    assert_eq!(
        got["choices"][0],
        json!({"index": 0, "logprobs": null, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": null, "refusal": null, "tool_calls": [
            {"id": "toolu_A", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "toolu_B", "type": "function", "function": {"name": "now", "arguments": "{}"}},
        ]}})
    );
    Ok(())
}

#[test]
fn tool_result_roundtrip() -> TestResult {
    let got = convert(&msgs(json!([
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": "Running.", "tool_calls": [
            {"id": "call:1", "type": "function", "function": {"name": "now", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call:1", "content": ""},
        {"role": "user", "content": "thanks"},
    ])))?;
    assert_eq!(
        got["messages"],
        json!([
            user("go"),
            {"role": "assistant", "content": [
                {"type": "text", "text": "Running."},
                {"type": "tool_use", "id": "call_1", "name": "now", "input": {}},
            ]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1"}, {"type": "text", "text": "thanks"}]},
        ])
    );
    let e = refused(&msgs(
        json!([{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]),
    ));
    assert_eq!(e.field, "messages[0].tool_calls[0].function.arguments");
    Ok(())
}

#[test]
fn tool_choice_specific() -> TestResult {
    for (choice, want) in [
        (
            json!({"type": "function", "function": {"name": "now"}}),
            json!({"type": "tool", "name": "now", "disable_parallel_tool_use": true}),
        ),
        (
            json!("required"),
            json!({"type": "any", "disable_parallel_tool_use": true}),
        ),
        (json!("none"), json!({"type": "none"})),
    ] {
        let mut body = msgs(json!([{"role": "user", "content": "x"}]));
        body["tools"] = tools();
        body["tool_choice"] = choice;
        body["parallel_tool_calls"] = json!(false);
        assert_eq!(convert(&body)?["tool_choice"], want);
    }
    let mut body = msgs(json!([{"role": "user", "content": "x"}]));
    body["tool_choice"] = json!({"type": "function", "function": {"name": "now"}});
    assert_eq!(refused(&body).field, "tool_choice");
    body["tools"] = json!([{"type": "custom", "custom": {"name": "x"}}]);
    assert_eq!(refused(&body).field, "tools[0].type");
    Ok(())
}

#[test]
fn thinking_signature() -> TestResult {
    let original = json!({
        "id": "msg_01T", "type": "message", "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Need the\nweather é.", "signature": "EqQBCkgIARAB+/=="},
            {"type": "redacted_thinking", "data": "EmwKAhgB"},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}},
        ],
        "stop_reason": "tool_use", "usage": {"input_tokens": 5, "output_tokens": 6},
    });
    let got = answer(&original)?;
    let message = got["choices"][0]["message"].clone();
    assert_eq!(
        message,
        json!({
            "role": "assistant", "content": "Let me check.", "refusal": null,
            "reasoning_content": "Need the\nweather é.",
            "thinking_blocks": [
                {"type": "thinking", "thinking": "Need the\nweather é.", "signature": "EqQBCkgIARAB+/=="},
                {"type": "redacted_thinking", "data": "EmwKAhgB"},
            ],
            "tool_calls": [{"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}],
        })
    );
    // Replaying the assistant message restores the blocks byte-exact, thinking first.
    let mut body = msgs(json!([
        {"role": "user", "content": "weather in Oslo?"},
        message,
        {"role": "tool", "tool_call_id": "toolu_1", "content": "cold"},
    ]));
    body["tools"] = tools();
    body["reasoning_effort"] = json!("high");
    let up = convert(&body)?;
    assert_eq!(up["messages"][1]["content"], original["content"]);
    assert_eq!(
        up["thinking"],
        json!({"type": "enabled", "budget_tokens": 16384})
    );
    Ok(())
}

#[test]
fn reasoning_effort() -> TestResult {
    let mut body = msgs(json!([{"role": "user", "content": "think"}]));
    body["reasoning_effort"] = json!("low");
    let got = convert(&body)?;
    assert_eq!(
        (got["thinking"].clone(), got["max_tokens"].clone()),
        (
            json!({"type": "enabled", "budget_tokens": 1024}),
            json!(8192 + 1024)
        )
    );
    let got = convert_for("claude-sonnet-4-6", &body)?;
    assert_eq!(got["thinking"], json!({"type": "adaptive"}));
    assert_eq!(got["output_config"], json!({"effort": "low"}));
    body["reasoning_effort"] = json!("none");
    assert!(convert(&body)?.get("thinking").is_none());
    body["reasoning_effort"] = json!("medium");
    body["max_completion_tokens"] = json!(4096);
    assert_eq!(convert(&body)?["max_tokens"], 8192);
    body["top_p"] = json!(0.5);
    assert!(convert(&body)?.get("thinking").is_none());
    Ok(())
}

#[test]
fn stop_sequences() -> TestResult {
    let mut body = msgs(json!([{"role": "user", "content": "x"}]));
    body["stop"] = json!("###");
    assert_eq!(convert(&body)?["stop_sequences"], json!(["###"]));
    body["stop"] = json!(["a", "b"]);
    assert_eq!(convert(&body)?["stop_sequences"], json!(["a", "b"]));
    let got = answer(&json!({
        "id": "msg_s", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "x"}],
        "stop_reason": "stop_sequence", "stop_sequence": "###", "usage": {"input_tokens": 1, "output_tokens": 1},
    }))?;
    assert_eq!(got["choices"][0]["finish_reason"], "stop");
    for (reason, finish) in [
        ("max_tokens", "length"),
        ("end_turn", "stop"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
    ] {
        let got = answer(&json!({"id": "m", "content": [], "stop_reason": reason, "usage": {}}))?;
        assert_eq!(got["choices"][0]["finish_reason"], finish, "{reason}");
    }
    Ok(())
}

#[test]
fn usage_cache_tokens() -> TestResult {
    let got = answer(&json!({
        "id": "msg_u", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "ok"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 11, "cache_creation_input_tokens": 2, "cache_read_input_tokens": 3, "output_tokens": 7},
    }))?;
    assert_eq!(
        got["usage"],
        json!({"prompt_tokens": 16, "completion_tokens": 7, "total_tokens": 23, "prompt_tokens_details": {"cached_tokens": 3}})
    );
    Ok(())
}

#[test]
fn refuse_web_search() {
    let base = msgs(json!([{"role": "user", "content": "x"}]));
    for (key, value) in [
        ("web_search_options", json!({})),
        ("n", json!(2)),
        ("logprobs", json!(true)),
        ("top_logprobs", json!(3)),
        ("audio", json!({"voice": "alloy", "format": "mp3"})),
        ("modalities", json!(["text", "audio"])),
        ("response_format", json!({"type": "json_object"})),
        ("frequency_penalty", json!(0.5)),
        ("logit_bias", json!({"50256": -100})),
        ("functions", json!([{"name": "f"}])),
        ("temperature", json!(1.7)),
        ("mystery", json!(1)),
    ] {
        let mut body = base.clone();
        body[key] = value;
        let e = refused(&body);
        assert_eq!(e.field, key, "{e}");
    }
    let e = refused(&msgs(
        json!([{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}]}]),
    ));
    assert_eq!(e.field, "messages[0].content[0]");
    let e = refused(&msgs(
        json!([{"role": "function", "name": "f", "content": "x"}]),
    ));
    assert_eq!(e.field, "messages[0].role");
    assert_eq!(
        refused(&msgs(json!([{"role": "system", "content": "only system"}]))).field,
        "messages"
    );
    assert_eq!(refused(&json!({"model": "m"})).field, "messages");
}

#[test]
fn ignored_fields_change_nothing() -> TestResult {
    let plain = convert(&msgs(json!([{"role": "user", "content": "hi"}])))?;
    let mut noisy = msgs(json!([{"role": "user", "content": "hi"}]));
    for (k, v) in [
        ("stream", json!(true)),
        ("stream_options", json!({"include_usage": true})),
        ("user", json!("u")),
        ("metadata", json!({"a": "b"})),
        ("store", json!(false)),
        ("service_tier", json!("auto")),
        ("seed", json!(7)),
        ("n", json!(1)),
        ("logprobs", json!(false)),
        ("presence_penalty", json!(0)),
        ("frequency_penalty", json!(0.0)),
        ("logit_bias", json!({})),
        ("modalities", json!(["text"])),
        ("response_format", json!({"type": "text"})),
        ("prompt_cache_key", json!("k")),
        ("parallel_tool_calls", json!(true)),
        ("tool_choice", json!("none")),
    ] {
        noisy[k] = v;
    }
    assert_eq!(plain, convert(&noisy)?);
    Ok(())
}

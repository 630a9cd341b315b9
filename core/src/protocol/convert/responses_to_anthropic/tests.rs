//! Golden tests (pure, no I/O) for the Responses → Anthropic request and the Anthropic →
//! Responses answer. Expected values are written by hand from the public API references.

use serde_json::{Value, json};

use crate::protocol::convert::{ConvertError, RequestContext};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn convert_for(model: &str, body: &Value) -> Result<Value, Box<dyn std::error::Error>> {
    let ctx = RequestContext {
        upstream_model: model,
        stream: true,
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
        stream: false,
    };
    match super::request(body.to_string().as_bytes(), &ctx) {
        Err(e) => e,
        Ok(out) => panic!("accepted: {}", String::from_utf8_lossy(&out)),
    }
}

fn answer(message: &Value) -> Result<Value, Box<dyn std::error::Error>> {
    let out = super::response(message.to_string().as_bytes(), "gpt-5-codex")?;
    let mut v: Value = serde_json::from_slice(&out)?;
    assert!(
        v["created_at"].as_u64().is_some_and(|t| t > 1_600_000_000),
        "{v}"
    );
    v["created_at"] = json!(0);
    Ok(v)
}

fn user(text: &str) -> Value {
    json!({"role": "user", "content": [{"type": "text", "text": text}]})
}

#[test]
fn text_simple() -> TestResult {
    let got = convert(&json!({"model": "gpt-5-codex", "input": "hi"}))?;
    let want = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 8192,
        "messages": [user("hi")],
        "stream": true,
    });
    assert_eq!(got, want);
    Ok(())
}

#[test]
fn max_tokens_default() -> TestResult {
    let got = convert(&json!({"input": "hi"}))?;
    assert_eq!(got["max_tokens"], 8192);
    let got = convert(&json!({"input": "hi", "max_output_tokens": 100}))?;
    assert_eq!(got["max_tokens"], 100);
    assert!(got.get("thinking").is_none());
    Ok(())
}

#[test]
fn system_and_developer() -> TestResult {
    let got = convert(&json!({
        "instructions": "You are Codex.",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<permissions>sandboxed</permissions>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list files"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]},
            {"role": "system", "content": "Model switched."},
            {"role": "user", "content": "go on"},
        ],
    }))?;
    let want = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 8192,
        "system": [
            {"type": "text", "text": "You are Codex."},
            {"type": "text", "text": "<permissions>sandboxed</permissions>"},
            {"type": "text", "text": "Model switched."},
        ],
        "messages": [
            user("list files"),
            {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
            user("go on"),
        ],
        "stream": true,
    });
    assert_eq!(got, want);
    Ok(())
}

#[test]
fn multi_turn() -> TestResult {
    let got = convert(&json!({
        "input": [
            {"role": "user", "content": "one"},
            {"role": "user", "content": [{"type": "input_text", "text": "two"}]},
            {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
             "content": [{"type": "output_text", "text": "three", "annotations": []}, {"type": "refusal", "refusal": "no"}]},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "four"},
        ],
    }))?;
    assert_eq!(
        got["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "three"}, {"type": "text", "text": "no"}]},
            user("four"),
        ])
    );
    Ok(())
}

#[test]
fn image_url() -> TestResult {
    let got = convert(&json!({"input": [{"role": "user", "content": [
        {"type": "input_text", "text": "what is this?"},
        {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "high"},
    ]}]}))?;
    assert_eq!(
        got["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
        ]}])
    );
    Ok(())
}

#[test]
fn image_base64() -> TestResult {
    let got = convert(&json!({"input": [{"role": "user", "content": [
        {"type": "input_image", "image_url": "data:image/jpeg;base64,/9j/4AAQ", "detail": "auto"},
        {"type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"},
    ]}]}))?;
    assert_eq!(
        got["messages"],
        json!([{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
            {"type": "document", "title": "a.pdf", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"}},
        ]}])
    );
    let e = refused(
        &json!({"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}]}),
    );
    assert_eq!(e.field, "input[0].content[0].file_id");
    let e = refused(
        &json!({"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "data:image/bmp;base64,Qk0="}]}]}),
    );
    assert_eq!(e.field, "input[0].content[0].image_url");
    Ok(())
}

fn weather_tools() -> Value {
    json!([
        {"type": "function", "name": "get_weather", "description": "Weather for a city", "strict": false,
         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
        {"type": "function", "name": "now", "parameters": {}},
    ])
}

#[test]
fn tools_parallel() -> TestResult {
    let got = convert(&json!({
        "tools": weather_tools(),
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "input": [
            {"role": "user", "content": "weather in Paris and the time?"},
            {"type": "function_call", "id": "fc_1", "call_id": "toolu_A", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call", "id": "fc_2", "call_id": "toolu_B", "name": "now", "arguments": ""},
            {"type": "function_call_output", "call_id": "toolu_A", "output": "18C"},
            {"type": "function_call_output", "call_id": "toolu_B", "output": "12:00"},
        ],
    }))?;
    let want = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 8192,
        "tools": [
            {"name": "get_weather", "description": "Weather for a city",
             "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            {"name": "now", "input_schema": {"type": "object"}},
        ],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
        "messages": [
            user("weather in Paris and the time?"),
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "toolu_A", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_B", "name": "now", "input": {}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_A", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "toolu_B", "content": "12:00"},
            ]},
        ],
        "stream": true,
    });
    assert_eq!(got, want);
    Ok(())
}

#[test]
fn namespace_tools_flatten_and_split_back() -> TestResult {
    let got = convert(&json!({
        "tools": [{"type": "namespace", "name": "mcp__fs__", "description": "Files.", "tools": [
            {"type": "function", "name": "read", "description": "Read a file.", "strict": false, "defer_loading": true,
             "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}},
        ]}],
        "tool_choice": {"type": "function", "name": "read", "namespace": "mcp__fs__"},
        "input": [
            {"role": "user", "content": "read a"},
            {"type": "function_call", "call_id": "call_1", "namespace": "mcp__fs__", "name": "read", "arguments": "{\"path\":\"a\"}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "A"},
        ],
    }))?;
    assert_eq!(
        got["tools"],
        json!([{"name": "mcp__fs____ns__read", "description": "Files.\n\nRead a file.",
                "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}])
    );
    assert_eq!(
        got["tool_choice"],
        json!({"type": "tool", "name": "mcp__fs____ns__read"})
    );
    assert_eq!(
        got["messages"][1]["content"][0]["name"],
        "mcp__fs____ns__read"
    );
    let back = answer(&json!({
        "id": "msg_9", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "tool_use", "id": "toolu_9", "name": "mcp__fs____ns__read", "input": {"path": "b"}}],
        "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 1},
    }))?;
    assert_eq!(
        back["output"],
        json!([{"id": "fc_9_0", "type": "function_call", "status": "completed", "call_id": "toolu_9",
                "namespace": "mcp__fs__", "name": "read", "arguments": "{\"path\":\"b\"}"}])
    );
    Ok(())
}

#[test]
fn tool_result_roundtrip() -> TestResult {
    let got = convert(&json!({
        "input": [
            {"role": "user", "content": "look"},
            {"type": "function_call", "call_id": "call.7", "name": "view_image", "arguments": "{\"path\":\"x.png\"}"},
            {"type": "function_call_output", "call_id": "call.7", "output": [
                {"type": "input_text", "text": "the image:"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0K"},
            ]},
            {"role": "user", "content": "and?"},
            {"type": "function_call_output", "call_id": "call_8", "output": ""},
        ],
    }))?;
    assert_eq!(
        got["messages"],
        json!([
            user("look"),
            {"role": "assistant", "content": [{"type": "tool_use", "id": "call_7", "name": "view_image", "input": {"path": "x.png"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_7", "content": [
                    {"type": "text", "text": "the image:"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}},
                ]},
                {"type": "tool_result", "tool_use_id": "call_8"},
                {"type": "text", "text": "and?"},
            ]},
        ])
    );
    let e = refused(
        &json!({"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "[1]"}]}),
    );
    assert_eq!(e.field, "input[0].arguments");
    Ok(())
}

#[test]
fn tool_choice_specific() -> TestResult {
    let base = json!({"input": "x", "tools": weather_tools()});
    for (choice, want) in [
        (
            json!({"type": "function", "name": "get_weather"}),
            json!({"type": "tool", "name": "get_weather"}),
        ),
        (json!("required"), json!({"type": "any"})),
        (json!("none"), json!({"type": "none"})),
        (json!("auto"), json!({"type": "auto"})),
    ] {
        let mut body = base.clone();
        body["tool_choice"] = choice;
        assert_eq!(convert(&body)?["tool_choice"], want);
    }
    let got = convert(&json!({"input": "x", "tool_choice": "auto"}))?;
    assert!(
        got.get("tool_choice").is_none() && got.get("tools").is_none(),
        "{got}"
    );
    let e = refused(&json!({"input": "x", "tool_choice": "required"}));
    assert_eq!(e.field, "tool_choice");
    let e = refused(
        &json!({"input": "x", "tools": weather_tools(), "tool_choice": {"type": "function", "name": "nope"}}),
    );
    assert_eq!(e.field, "tool_choice");
    let e = refused(
        &json!({"input": "x", "tools": weather_tools(), "tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": []}}),
    );
    assert_eq!(e.field, "tool_choice");
    Ok(())
}

/// An Anthropic answer with a signed thinking block, a redacted one, text and a tool call.
fn thinking_message() -> Value {
    json!({
        "id": "msg_01T", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": "Let me check\nthe \"weather\" é😀.", "signature": "EqQBCkgIARABGAIi+/=="},
            {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a"},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
        ],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 20},
    })
}

#[test]
fn thinking_signature() -> TestResult {
    let got = answer(&thinking_message())?;
    let output = got["output"].clone();
    assert_eq!(
        output,
        json!([
            {"id": "rs_01T_0", "type": "reasoning", "encrypted_content": "EqQBCkgIARABGAIi+/==",
             "summary": [{"type": "summary_text", "text": "Let me check\nthe \"weather\" é😀."}]},
            {"id": "rs_01T_1", "type": "reasoning", "summary": [], "encrypted_content": "redacted_thinking:EmwKAhgBEgy3va3pzix/LafPsn4a"},
            {"id": "msg_01T_2", "type": "message", "status": "completed", "role": "assistant",
             "content": [{"type": "output_text", "text": "Checking.", "annotations": []}]},
            {"id": "fc_01T_3", "type": "function_call", "status": "completed", "call_id": "toolu_01",
             "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
        ])
    );
    // The client replays the output items as input: the blocks come back byte-exact.
    let Some(items) = output.as_array() else {
        panic!("no output")
    };
    let mut input = vec![json!({"role": "user", "content": "weather?"})];
    input.extend(items.iter().cloned());
    input.push(json!({"type": "function_call_output", "call_id": "toolu_01", "output": "sunny"}));
    let up = convert(
        &json!({"input": input, "tools": weather_tools(), "reasoning": {"effort": "medium", "summary": "auto"}}),
    )?;
    let original = thinking_message();
    assert_eq!(
        up["messages"][1]["content"],
        json!([
            original["content"][0],
            original["content"][1],
            original["content"][2],
            original["content"][3]
        ])
    );
    // The replayed thinking block lets thinking stay on in the tool loop.
    assert_eq!(
        up["thinking"],
        json!({"type": "enabled", "budget_tokens": 4096})
    );
    // OpenAI-encrypted reasoning and summary-only items are not sent to Anthropic.
    let up = convert(&json!({"input": [
        {"role": "user", "content": "a"},
        {"type": "reasoning", "id": "rs_x", "summary": [{"type": "summary_text", "text": "t"}], "encrypted_content": "gAAAAABo-openai"},
        {"type": "reasoning", "id": "rs_y", "summary": []},
        {"role": "assistant", "content": "b"},
    ]}))?;
    assert_eq!(
        up["messages"][1],
        json!({"role": "assistant", "content": [{"type": "text", "text": "b"}]})
    );
    Ok(())
}

#[test]
fn reasoning_effort() -> TestResult {
    let with = |effort: &str, extra: Value| {
        let mut body =
            json!({"input": "think", "reasoning": {"effort": effort, "summary": "auto"}});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    for (effort, budget) in [
        ("low", 1024),
        ("medium", 4096),
        ("high", 16384),
        ("xhigh", 32768),
    ] {
        let got = convert(&with(effort, json!({})))?;
        assert_eq!(
            got["thinking"],
            json!({"type": "enabled", "budget_tokens": budget}),
            "{effort}"
        );
        assert_eq!(got["max_tokens"], 8192 + budget, "{effort}");
    }
    // A limit at or under the budget is raised above it; a larger one is kept.
    assert_eq!(
        convert(&with("high", json!({"max_output_tokens": 1000})))?["max_tokens"],
        17384
    );
    assert_eq!(
        convert(&with("low", json!({"max_output_tokens": 5000})))?["max_tokens"],
        5000
    );
    // Claude 4.6+ takes adaptive thinking with an effort.
    let got = convert_for("claude-opus-4-7", &with("xhigh", json!({})))?;
    assert_eq!(got["thinking"], json!({"type": "adaptive"}));
    assert_eq!(got["output_config"], json!({"effort": "max"}));
    assert_eq!(got["max_tokens"], 8192 + 32768);
    // No thinking: minimal effort, a non-default temperature, a forced tool, a tool loop
    // without a replayed thinking block.
    for body in [
        with("minimal", json!({})),
        with("high", json!({"temperature": 0.2})),
        with(
            "high",
            json!({"tools": weather_tools(), "tool_choice": "required"}),
        ),
        with(
            "high",
            json!({"input": [
            {"role": "user", "content": "a"},
            {"type": "function_call", "call_id": "c1", "name": "now", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "noon"},
        ], "tools": weather_tools()}),
        ),
    ] {
        let got = convert(&body)?;
        assert!(
            got.get("thinking").is_none() && got.get("output_config").is_none(),
            "{got}"
        );
        assert!(got["max_tokens"] == 8192, "{got}");
    }
    let e = refused(&with("extreme", json!({})));
    assert_eq!(e.field, "reasoning.effort");
    let e = refused(&json!({"input": "x", "temperature": 1.5}));
    assert_eq!(e.field, "temperature");
    Ok(())
}

#[test]
fn stop_sequences() -> TestResult {
    let got = convert(
        &json!({"input": "count", "stop": ["END", "\n\n"], "temperature": 0.5, "top_p": 0.9}),
    )?;
    assert_eq!(got["stop_sequences"], json!(["END", "\n\n"]));
    assert_eq!(
        (got["temperature"].clone(), got["top_p"].clone()),
        (json!(0.5), json!(0.9))
    );
    assert_eq!(
        convert(&json!({"input": "count", "stop": "END"}))?["stop_sequences"],
        json!(["END"])
    );
    let got = answer(&json!({
        "id": "msg_s", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "1 2 3 "}],
        "stop_reason": "stop_sequence", "stop_sequence": "END", "usage": {"input_tokens": 3, "output_tokens": 4},
    }))?;
    assert_eq!(
        (got["status"].clone(), got["incomplete_details"].clone()),
        (json!("completed"), Value::Null)
    );
    Ok(())
}

#[test]
fn usage_cache_tokens() -> TestResult {
    let got = answer(&json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": " world"}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 11, "cache_creation_input_tokens": 2, "cache_read_input_tokens": 3, "output_tokens": 7},
    }))?;
    let want = json!({
        "id": "resp_01XFDUDYJgAACzvnptvVoYEL",
        "object": "response",
        "created_at": 0,
        "status": "completed",
        "error": null,
        "incomplete_details": null,
        "instructions": null,
        "model": "gpt-5-codex",
        "output": [{
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL_0", "type": "message", "status": "completed", "role": "assistant",
            "content": [
                {"type": "output_text", "text": "Hello", "annotations": []},
                {"type": "output_text", "text": " world", "annotations": []},
            ],
        }],
        "parallel_tool_calls": true,
        "temperature": null,
        "tool_choice": "auto",
        "tools": [],
        "top_p": null,
        "metadata": {},
        "usage": {"input_tokens": 16, "input_tokens_details": {"cached_tokens": 3}, "output_tokens": 7, "total_tokens": 23},
    });
    assert_eq!(got, want);
    Ok(())
}

#[test]
fn max_tokens_stop_is_incomplete() -> TestResult {
    let got = answer(&json!({
        "id": "msg_m", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "abc"}],
        "stop_reason": "max_tokens", "usage": {"input_tokens": 3, "output_tokens": 4},
    }))?;
    assert_eq!(got["status"], "incomplete");
    assert_eq!(
        got["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    let got = answer(&json!({
        "id": "msg_e", "type": "message", "role": "assistant", "content": [{"type": "tool_use", "id": "toolu_e", "name": "now", "input": {}}],
        "stop_reason": "tool_use", "usage": {"input_tokens": 3, "output_tokens": 4},
    }))?;
    assert_eq!(got["output"][0]["arguments"], "{}");
    assert!(super::response(b"not json", "m").is_err());
    Ok(())
}

#[test]
fn refuse_web_search() {
    for (tool, field) in [
        (json!({"type": "web_search"}), "tools[1].type"),
        (json!({"type": "web_search_preview"}), "tools[1].type"),
        (
            json!({"type": "file_search", "vector_store_ids": ["vs_1"]}),
            "tools[1].type",
        ),
        (
            json!({"type": "code_interpreter", "container": {"type": "auto"}}),
            "tools[1].type",
        ),
        (
            json!({"type": "computer_use_preview", "display_width": 1, "display_height": 1, "environment": "linux"}),
            "tools[1].type",
        ),
        (
            json!({"type": "custom", "name": "apply_patch"}),
            "tools[1].type",
        ),
        (
            json!({"type": "namespace", "name": "n", "tools": [{"type": "custom", "name": "x"}]}),
            "tools[1].tools[0].type",
        ),
    ] {
        let e = refused(&json!({"input": "x", "tools": [{"type": "function", "name": "f"}, tool]}));
        assert_eq!(e.field, field, "{e}");
        assert!(!e.message.is_empty());
    }
    let e = refused(&json!({"input": "x", "tools": [{"type": "web_search"}]}));
    assert!(e.message.contains("web_search = \"disabled\""), "{e}");
    for (body, field) in [
        (
            json!({"input": "x", "previous_response_id": "resp_1"}),
            "previous_response_id",
        ),
        (json!({"input": "x", "top_logprobs": 2}), "top_logprobs"),
        (
            json!({"input": "x", "include": ["message.output_text.logprobs"]}),
            "include",
        ),
        (
            json!({"input": "x", "text": {"format": {"type": "json_schema", "name": "a", "schema": {}}}}),
            "text.format",
        ),
        (json!({"input": "x", "background": true}), "background"),
        (json!({"input": "x", "frobnicate": 1}), "frobnicate"),
        (
            json!({"input": [{"type": "item_reference", "id": "msg_1"}]}),
            "input[0]",
        ),
        (
            json!({"input": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]}),
            "input[0].content[0]",
        ),
        (
            json!({"input": [{"role": "robot", "content": "x"}]}),
            "input[0].role",
        ),
        (json!({"input": []}), "input"),
        (json!({}), "input"),
    ] {
        assert_eq!(refused(&body).field, field, "{body}");
    }
}

#[test]
fn ignored_fields_change_nothing() -> TestResult {
    let plain = convert(&json!({"input": "hi"}))?;
    let noisy = convert(&json!({
        "model": "gpt-5-codex", "input": "hi", "store": false, "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "019a-session", "client_metadata": {"x": "y"}, "user": "u", "metadata": {"a": "b"},
        "service_tier": "auto", "parallel_tool_calls": true, "text": {"format": {"type": "text"}, "verbosity": "low"},
        "stream_options": {"include_obfuscation": false}, "truncation": "disabled", "safety_identifier": "s",
        "prompt_cache_retention": "24h", "background": false, "top_logprobs": 0, "previous_response_id": null,
    }))?;
    assert_eq!(plain, noisy);
    Ok(())
}

#[test]
fn codex_shaped_request() -> TestResult {
    let got = convert(&json!({
        "model": "gpt-5-codex",
        "instructions": "You are Codex, based on GPT-5.",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<permissions instructions>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>cwd</environment_context>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "fix the bug"}]},
        ],
        "tools": [
            {"type": "function", "name": "shell_command", "description": "Runs a shell command", "strict": false,
             "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"], "additionalProperties": false}},
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": false,
        "stream": true,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "0199-abc",
        "client_metadata": {"originator": "codex_exec"},
    }))?;
    let want = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 8192 + 4096,
        "thinking": {"type": "enabled", "budget_tokens": 4096},
        "system": [
            {"type": "text", "text": "You are Codex, based on GPT-5."},
            {"type": "text", "text": "<permissions instructions>"},
        ],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "<environment_context>cwd</environment_context>"},
            {"type": "text", "text": "fix the bug"},
        ]}],
        "tools": [{"name": "shell_command", "description": "Runs a shell command",
                   "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"], "additionalProperties": false}}],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
        "stream": true,
    });
    assert_eq!(got, want);
    Ok(())
}

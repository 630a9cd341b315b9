//! Golden tests for the Anthropic → Chat Completions pair: requests, answers and streams. Pure.

use bytes::Bytes;
use serde_json::{Value, json};

use super::super::anthropic_to_responses::emit::check;
use super::{Stream, request, response};
use crate::http::sse;
use crate::protocol::convert::{RequestContext, Transcoder};

fn up_with(body: &Value, model: &str, stream: bool) -> Value {
    let ctx = RequestContext {
        upstream_model: model,
        stream,
    };
    match request(body.to_string().as_bytes(), &ctx) {
        Ok(out) => serde_json::from_slice(&out).unwrap_or(Value::Null),
        Err(e) => panic!("refused: {e}"),
    }
}

fn up(body: &Value, model: &str) -> Value {
    up_with(body, model, true)
}

fn refused(body: &Value) -> String {
    let ctx = RequestContext {
        upstream_model: "gpt-4.1",
        stream: false,
    };
    match request(body.to_string().as_bytes(), &ctx) {
        Ok(_) => panic!("accepted: {body}"),
        Err(e) => e.field,
    }
}

fn down(body: &Value) -> Value {
    match response(body.to_string().as_bytes(), "claude-sonnet-4-5") {
        Ok(out) => serde_json::from_slice(&out).unwrap_or(Value::Null),
        Err(e) => panic!("refused: {e}"),
    }
}

#[test]
fn text_simple() {
    let body = json!({"model": "claude", "max_tokens": 1024, "temperature": 0.2, "top_p": 0.9,
        "stop_sequences": ["</a>", "</b>", "</c>", "</d>", "</e>"],
        "messages": [{"role": "user", "content": "Hello"}]});
    assert_eq!(
        up(&body, "gpt-4.1"),
        json!({
            "model": "gpt-4.1",
            "messages": [{"role": "user", "content": "Hello"}],
            "max_completion_tokens": 1024,
            "temperature": 0.2, "top_p": 0.9,
            "stop": ["</a>", "</b>", "</c>", "</d>"],
            "stream": true, "stream_options": {"include_usage": true}
        })
    );
    let out = up_with(&body, "gpt-5", false);
    assert_eq!(
        out,
        json!({"model": "gpt-5", "messages": [{"role": "user", "content": "Hello"}],
               "max_completion_tokens": 1024, "stream": false})
    );
}

#[test]
fn system_blocks_cache_control() {
    let body = json!({"model": "m", "max_tokens": 10,
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.3;"},
            {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}
        ],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}]});
    assert_eq!(
        up(&body, "gpt-4.1")["messages"],
        json!([
            {"role": "system", "content": "You are Claude Code.\n\nBe brief."},
            {"role": "user", "content": "hi"}
        ])
    );
}

#[test]
fn system_turn_mid_history() {
    let body = json!({"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "two"},
        {"role": "system", "content": [{"type": "text", "text": "Answer in French."}]},
        {"role": "user", "content": "three"}
    ]});
    assert_eq!(
        up(&body, "gpt-4.1")["messages"],
        json!([
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "two"},
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "three"}
        ])
    );
}

#[test]
fn image_base64() {
    let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/webp", "data": "UklG"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/b.png"}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
        {"type": "text", "text": "Describe"}
    ]}]});
    assert_eq!(
        up(&body, "gpt-4.1")["messages"],
        json!([{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/webp;base64,UklG"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/b.png"}},
            {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "document.pdf"}},
            {"type": "text", "text": "Describe"}
        ]}])
    );
    let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}}]}]});
    assert_eq!(refused(&body), "messages[0]");
}

#[test]
fn tools_parallel() {
    let body = json!({"model": "m", "max_tokens": 10,
    "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
    "messages": [
        {"role": "user", "content": "Paris and Oslo?"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "both", "signature": "EqQB"},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Oslo"}}
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": "unknown city", "is_error": true},
            {"type": "text", "text": "Thanks"}
        ]}
    ]});
    let out = up(&body, "gpt-4.1");
    assert_eq!(
        out["tools"],
        json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])
    );
    assert_eq!(
        out["messages"],
        json!([
            {"role": "user", "content": "Paris and Oslo?"},
            {"role": "assistant", "content": "Checking.", "tool_calls": [
                {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "toolu_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "toolu_2", "content": "Error: unknown city"},
            {"role": "user", "content": "Thanks"}
        ])
    );
}

#[test]
fn tool_result_with_image() {
    let body = json!({"model": "m", "max_tokens": 10, "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "shot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}
        ]}]}
    ]});
    assert_eq!(
        up(&body, "gpt-4.1")["messages"],
        json!([
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "t1", "type": "function", "function": {"name": "shot", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "t1", "content": "(the attachments follow in the next user message)"},
            {"role": "user", "content": [
                {"type": "text", "text": "Attachments from tool result t1:"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}
            ]}
        ])
    );
}

#[test]
fn tool_choice_any() {
    let with = |choice: Value| {
        json!({"model": "m", "max_tokens": 10, "tool_choice": choice,
            "tools": [{"name": "a", "input_schema": {"type": "object", "properties": {}}}],
            "messages": [{"role": "user", "content": "x"}]})
    };
    assert_eq!(
        up(&with(json!({"type": "any"})), "gpt-4.1")["tool_choice"],
        "required"
    );
    assert_eq!(
        up(&with(json!({"type": "auto"})), "gpt-4.1")["tool_choice"],
        "auto"
    );
    assert_eq!(
        up(&with(json!({"type": "none"})), "gpt-4.1")["tool_choice"],
        "none"
    );
    let out = up(
        &with(json!({"type": "tool", "name": "a", "disable_parallel_tool_use": true})),
        "gpt-4.1",
    );
    assert_eq!(
        out["tool_choice"],
        json!({"type": "function", "function": {"name": "a"}})
    );
    assert_eq!(out["parallel_tool_calls"], false);
}

#[test]
fn thinking_budget_to_effort() {
    let with = |thinking: Value| {
        json!({"model": "m", "max_tokens": 100, "thinking": thinking, "temperature": 1,
            "messages": [{"role": "user", "content": "x"}]})
    };
    for (budget, effort) in [(2000, "low"), (8000, "medium"), (32000, "high")] {
        let out = up(
            &with(json!({"type": "enabled", "budget_tokens": budget})),
            "o4-mini",
        );
        assert_eq!(out["reasoning_effort"], effort);
        assert!(out.get("temperature").is_none());
    }
    assert_eq!(
        up(&with(json!({"type": "adaptive"})), "gpt-5")["reasoning_effort"],
        "medium"
    );
    assert_eq!(
        up(&with(json!({"type": "disabled"})), "gpt-5.1")["reasoning_effort"],
        "none"
    );
    let out = up(&with(json!({"type": "adaptive"})), "gpt-4o");
    assert!(out.get("reasoning_effort").is_none());
    assert_eq!(out["temperature"], 1);
}

#[test]
fn reasoning_blocks_are_dropped() {
    let body = json!({"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "openai-reasoning.v1:gAAA"},
            {"type": "redacted_thinking", "data": "xx"}
        ]},
        {"role": "user", "content": "again"}
    ]});
    assert_eq!(
        up(&body, "gpt-5")["messages"],
        json!([{"role": "user", "content": "q"}, {"role": "user", "content": "again"}])
    );
}

#[test]
fn refuse_server_tool() {
    let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}]});
    assert_eq!(refused(&body), "tools[0]");
    let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
        "tools": [{"name": "a"}, {"type": "computer_20250124", "name": "computer", "display_width_px": 1024}]});
    assert_eq!(refused(&body), "tools[1]");
}

#[test]
fn usage_cache_tokens() {
    let answer = json!({
        "id": "chatcmpl-Abc123", "object": "chat.completion", "model": "gpt-4.1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3000, "completion_tokens": 12, "total_tokens": 3012,
                  "prompt_tokens_details": {"cached_tokens": 2048}}
    });
    assert_eq!(
        down(&answer),
        json!({
            "id": "msg_Abc123", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "Hi!"}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 952, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 2048, "output_tokens": 12}
        })
    );
}

#[test]
fn response_reasoning_tools_and_finish_reasons() {
    let answer = json!({"id": "chatcmpl-1", "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
    "role": "assistant", "content": null, "reasoning_content": "Think.",
    "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "now", "arguments": ""}},
        {"id": "call_2", "type": "function", "function": {"name": "read", "arguments": "{\"p\":\"/x\"}"}}
    ]}}]});
    let m = down(&answer);
    assert_eq!(
        m["content"],
        json!([
            {"type": "thinking", "thinking": "Think.", "signature": ""},
            {"type": "tool_use", "id": "call_1", "name": "now", "input": {}},
            {"type": "tool_use", "id": "call_2", "name": "read", "input": {"p": "/x"}}
        ])
    );
    assert_eq!(m["stop_reason"], "tool_use");
    let finish = |reason: &str| {
        down(
            &json!({"id": "x", "choices": [{"index": 0, "finish_reason": reason,
            "message": {"role": "assistant", "content": "t"}}]}),
        )["stop_reason"]
            .clone()
    };
    assert_eq!(finish("length"), "max_tokens");
    assert_eq!(finish("content_filter"), "refusal");
    assert_eq!(finish("stop"), "end_turn");
    assert!(response(b"{\"choices\":[]}", "m").is_err());
}

#[test]
fn claude_code_extras_ignored() {
    let user_id = "{\"device_id\":\"4f9c0e2b7a\",\"account_uuid\":\"\",\"session_id\":\"7d1e9a52-0c7b-4d7e-9d7e-5b1a2c3d4e5f\"}";
    let body = json!({
        "model": "claude-sonnet-4-5-20250929", "max_tokens": 32000, "stream": true,
        "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}],
        "tools": [
            {"name": "Bash", "description": "Run", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}},
            {"name": "WebFetch", "description": "Fetch", "defer_loading": true, "input_schema": {"type": "object", "properties": {"url": {"type": "string"}}}}
        ],
        "metadata": {"user_id": user_id},
        "thinking": {"type": "adaptive"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "output_config": {"effort": "low"}
    });
    assert_eq!(
        up(&body, "gpt-5-mini"),
        json!({
            "model": "gpt-5-mini",
            "messages": [{"role": "system", "content": "You are Claude Code."}, {"role": "user", "content": "hi"}],
            "tools": [
                {"type": "function", "function": {"name": "Bash", "description": "Run", "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}},
                {"type": "function", "function": {"name": "WebFetch", "description": "Fetch", "parameters": {"type": "object", "properties": {"url": {"type": "string"}}}}}
            ],
            "max_completion_tokens": 32000,
            "reasoning_effort": "low",
            "user": "anthropic-user-406c99cba3aecbc3",
            "stream": true, "stream_options": {"include_usage": true}
        })
    );
    let short = json!({"model": "m", "max_tokens": 5, "metadata": {"user_id": "user_42"},
        "messages": [{"role": "user", "content": "x"}]});
    assert_eq!(up(&short, "gpt-4.1")["user"], "user_42");
}

// ---- streams ----

fn chunk(data: &Value) -> sse::Event {
    raw_event(&data.to_string())
}

fn raw_event(data: &str) -> sse::Event {
    let mut out = Vec::new();
    let mut d = sse::Decoder::new(1 << 20);
    if d.push(&sse::encode(None, data), &mut out).is_err() {
        panic!("encode");
    }
    out.pop().unwrap_or_else(|| panic!("no event"))
}

fn delta(d: Value) -> Value {
    json!({"id": "chatcmpl-9", "object": "chat.completion.chunk", "model": "gpt-4.1",
        "choices": [{"index": 0, "delta": d, "finish_reason": null}]})
}

fn call(index: u64, id: Option<&str>, name: Option<&str>, args: &str) -> Value {
    let mut function = json!({"arguments": args});
    let mut c = json!({"index": index});
    if let (Some(name), Some(f)) = (name, function.as_object_mut()) {
        f.insert("name".into(), name.into());
    }
    if let (Some(id), Some(o)) = (id, c.as_object_mut()) {
        o.insert("id".into(), id.into());
        o.insert("type".into(), "function".into());
    }
    if let Some(o) = c.as_object_mut() {
        o.insert("function".into(), function);
    }
    delta(json!({"tool_calls": [c]}))
}

fn run(chunks: &[Value]) -> Vec<(String, Value)> {
    let mut t = Stream::new("claude-sonnet-4-5");
    let mut frames: Vec<Bytes> = Vec::new();
    for c in chunks {
        t.push(&chunk(c), &mut frames);
    }
    t.push(&raw_event("[DONE]"), &mut frames);
    t.finish(&mut frames);
    check::events(&frames)
}

fn ev(name: &str, data: Value) -> (String, Value) {
    (name.to_owned(), data)
}

#[test]
fn stream_text_then_interleaved_tool_calls() {
    let got = run(&[
        delta(json!({"role": "assistant", "content": ""})),
        delta(json!({"content": "Checking "})),
        delta(json!({"content": "both."})),
        call(0, Some("call_P"), Some("get_weather"), ""),
        call(1, Some("call_O"), Some("get_weather"), ""),
        call(0, None, None, "{\"city\":"),
        call(1, None, None, "{\"city\":"),
        call(0, None, None, "\"Paris\"}"),
        call(1, None, None, "\"Oslo\"}"),
        json!({"id": "chatcmpl-9", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
        json!({"id": "chatcmpl-9", "choices": [], "usage": {"prompt_tokens": 500, "completion_tokens": 40,
            "total_tokens": 540, "prompt_tokens_details": {"cached_tokens": 128}}}),
    ]);
    let expected = vec![
        ev(
            "message_start",
            json!({"type": "message_start", "message": {
            "id": "msg_9", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}}}),
        ),
        ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Checking "}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "both."}}),
        ),
        ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "call_P", "name": "get_weather", "input": {}}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"city\":"}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "\"Paris\"}"}}),
        ),
        ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 1}),
        ),
        ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "call_O", "name": "get_weather", "input": {}}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"city\":"}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "\"Oslo\"}"}}),
        ),
        ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 2}),
        ),
        ev(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
            "usage": {"input_tokens": 372, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 128, "output_tokens": 40}}),
        ),
        ev("message_stop", json!({"type": "message_stop"})),
    ];
    assert_eq!(got, expected);
    let blocks = check::validate(&got);
    assert_eq!(blocks[1]["input"], json!({"city": "Paris"}));
    assert_eq!(blocks[2]["input"], json!({"city": "Oslo"}));
}

#[test]
fn stream_continuation_chunks_redeclaring_type_and_id() {
    // Every fragment repeats id, type and name (some servers do; bifrost #3443 emitted such).
    let got = run(&[
        call(0, Some("call_1"), Some("Read"), ""),
        call(0, Some("call_1"), Some("Read"), "{\"file_path\""),
        call(0, Some("call_1"), Some("Read"), ": \"/etc/hosts\"}"),
        json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
    ]);
    let blocks = check::validate(&got);
    assert_eq!(
        blocks,
        vec![
            json!({"type": "tool_use", "id": "call_1", "name": "Read", "input": {"file_path": "/etc/hosts"}})
        ]
    );
}

#[test]
fn stream_empty_argument_tools_are_valid_json() {
    let got = run(&[
        call(0, Some("call_a"), Some("now"), ""),
        call(1, Some("call_b"), Some("list"), ""),
        json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
    ]);
    let blocks = check::validate(&got);
    assert_eq!(blocks.len(), 2);
    for b in &blocks {
        assert_eq!(b["input"], json!({}));
    }
}

#[test]
fn stream_nameless_tool_fragments_make_no_block() {
    // A call that never names its function cannot become a tool_use Claude Code accepts.
    let got = run(&[
        delta(json!({"content": "ok"})),
        call(0, Some("call_x"), None, "{\"a\":1}"),
        json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
    ]);
    let blocks = check::validate(&got);
    assert_eq!(blocks, vec![json!({"type": "text", "text": "ok"})]);
    let Some((_, d)) = got.iter().find(|(n, _)| n == "message_delta") else {
        panic!("no message_delta");
    };
    assert_eq!(d["delta"]["stop_reason"], "end_turn");
}

#[test]
fn stream_same_index_new_id_is_a_new_call() {
    let got = run(&[
        call(0, Some("call_a"), Some("now"), "{}"),
        call(0, Some("call_b"), Some("now"), "{\"tz\":\"UTC\"}"),
    ]);
    let blocks = check::validate(&got);
    let ids: Vec<&str> = blocks.iter().filter_map(|b| b["id"].as_str()).collect();
    assert_eq!(ids, ["call_a", "call_b"]);
    assert_eq!(blocks[1]["input"], json!({"tz": "UTC"}));
}

#[test]
fn stream_reasoning_then_text_and_cut_tool() {
    let got = run(&[
        delta(json!({"reasoning_content": "Let me "})),
        delta(json!({"reasoning_content": "think."})),
        delta(json!({"content": "Answer"})),
        call(0, None, Some("Write"), "{\"content\": \"abc"),
        json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}),
    ]);
    let blocks = check::validate(&got);
    assert_eq!(
        blocks[0],
        json!({"type": "thinking", "thinking": "Let me think.", "signature": ""})
    );
    assert_eq!(blocks[1], json!({"type": "text", "text": "Answer"}));
    assert_eq!(blocks[2]["input"], json!({"content": "abc"}));
    assert_eq!(blocks[2]["id"], "toolu_9_2");
    let Some((_, d)) = got.iter().find(|(n, _)| n == "message_delta") else {
        panic!("no message_delta");
    };
    assert_eq!(d["delta"]["stop_reason"], "max_tokens");
}

#[test]
fn stream_message_stop_exactly_once() {
    let mut t = Stream::new("m");
    let mut frames = Vec::new();
    t.push(&chunk(&delta(json!({"content": "x"}))), &mut frames);
    t.push(&raw_event("[DONE]"), &mut frames);
    t.push(&raw_event("[DONE]"), &mut frames);
    t.push(&chunk(&delta(json!({"content": "late"}))), &mut frames);
    t.finish(&mut frames);
    let got = check::events(&frames);
    check::validate(&got);
    assert_eq!(got.iter().filter(|(n, _)| n == "message_stop").count(), 1);
    assert_eq!(t.context().response_id.as_deref(), Some("msg_9"));
    assert_eq!(t.context().model, "m");
}

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn random_chunk(rng: &mut Rng) -> String {
    const FRAGMENTS: &[&str] = &[
        "{", "\"k\"", ":", "2", "}", "\"v\\", "[", "]", ",", "nu", "ll", "", "ü", " ",
    ];
    let frag = rng.pick(FRAGMENTS);
    let v = match rng.below(9) {
        0 => delta(json!({"content": frag})),
        1 => delta(json!({"reasoning_content": frag})),
        2..=4 => {
            let id = ["call_1", "call_2", ""][rng.below(3) as usize];
            let name = rng.pick(&["Bash", "", "Read"]);
            call(
                rng.below(3),
                (!id.is_empty()).then_some(id),
                (!name.is_empty()).then_some(name),
                frag,
            )
        }
        5 => {
            json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": rng.pick(&["stop", "tool_calls", "length"])}]})
        }
        6 => {
            json!({"id": "c", "choices": [], "usage": {"prompt_tokens": 3, "prompt_tokens_details": {"cached_tokens": 7}}})
        }
        7 => return format!("data: {{\"choices\": [{{\"delta\": {frag}\n\n"),
        _ => {
            return rng
                .pick(&[
                    "data: [DONE]\n\n",
                    ": ping\n\n",
                    "data: {\"error\": {\"message\": \"x\"}}\n\n",
                ])
                .to_owned();
        }
    };
    format!("data: {v}\n\n")
}

#[test]
fn random_streams_never_panic_and_stay_valid() {
    let mut rng = Rng(0xBADC_0FFE);
    for _ in 0..1_000 {
        let mut raw = String::new();
        for _ in 0..rng.below(40) {
            raw.push_str(&random_chunk(&mut rng));
        }
        let bytes = raw.as_bytes();
        let mut decoder = sse::Decoder::new(1 << 20);
        let mut t = Stream::new("claude-x");
        let mut frames = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let end = (at + 1 + rng.below(64) as usize).min(bytes.len());
            let mut evs = Vec::new();
            if decoder
                .push(bytes.get(at..end).unwrap_or_default(), &mut evs)
                .is_err()
            {
                panic!("decoder");
            }
            for e in &evs {
                t.push(e, &mut frames);
            }
            at = end;
        }
        if rng.below(2) == 0 {
            t.finish(&mut frames);
        }
        check::validate(&check::events(&frames));
    }
}

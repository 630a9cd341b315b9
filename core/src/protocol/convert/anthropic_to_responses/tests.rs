//! Golden tests for the Anthropic → Responses pair: requests and complete answers (the stream
//! tests are in `stream.rs`). Pure.

use serde_json::{Value, json};

use super::{request, response};
use crate::protocol::convert::RequestContext;

fn ctx(model: &str) -> RequestContext<'_> {
    RequestContext {
        upstream_model: model,
        stream: true,
    }
}

fn up(body: &Value, model: &str) -> Value {
    match request(body.to_string().as_bytes(), &ctx(model)) {
        Ok(out) => match serde_json::from_slice(&out) {
            Ok(v) => v,
            Err(e) => panic!("not JSON: {e}"),
        },
        Err(e) => panic!("refused: {e}"),
    }
}

fn refused(body: &Value) -> String {
    match request(body.to_string().as_bytes(), &ctx("gpt-5")) {
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
    let body = json!({
        "model": "claude-sonnet-4-5", "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Hello"}],
        "temperature": 0.5, "top_p": 0.9
    });
    assert_eq!(
        up(&body, "gpt-4.1"),
        json!({
            "model": "gpt-4.1",
            "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]}],
            "max_output_tokens": 1024,
            "temperature": 0.5, "top_p": 0.9,
            "stream": true, "store": false
        })
    );
    // Reasoning models refuse sampling parameters; a tiny max_tokens is raised to 16.
    let body = json!({"model": "m", "max_tokens": 1, "temperature": 0,
        "messages": [{"role": "user", "content": "Hi"}]});
    let out = up(&body, "gpt-5");
    assert_eq!(out["max_output_tokens"], 16);
    assert!(out.get("temperature").is_none());
}

#[test]
fn system_blocks_cache_control() {
    let body = json!({
        "model": "m", "max_tokens": 100,
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.3; cch=1;"},
            {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
        ],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}
        ]}]
    });
    let out = up(&body, "gpt-5");
    assert_eq!(out["instructions"], "You are Claude Code.\n\nBe brief.");
    assert_eq!(
        out["input"],
        json!([{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}])
    );
    let body = json!({"model": "m", "max_tokens": 10, "system": "Plain.",
        "messages": [{"role": "user", "content": "x"}]});
    assert_eq!(up(&body, "gpt-5")["instructions"], "Plain.");
}

#[test]
fn system_turn_mid_history() {
    let body = json!({
        "model": "m", "max_tokens": 100,
        "messages": [
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": [{"type": "text", "text": "two"}]},
            {"role": "system", "content": "Now answer in French."},
            {"role": "system", "content": [{"type": "text", "text": "Blocks too."}]},
            {"role": "user", "content": "three"}
        ]
    });
    assert_eq!(
        up(&body, "gpt-5")["input"],
        json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "one"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "two"}]},
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Now answer in French."}]},
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Blocks too."}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "three"}]}
        ])
    );
}

#[test]
fn image_base64() {
    let body = json!({
        "model": "m", "max_tokens": 100,
        "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "QUJD"}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
            {"type": "document", "title": "spec.pdf", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}},
            {"type": "text", "text": "What is this?"}
        ]}]
    });
    assert_eq!(
        up(&body, "gpt-5")["input"],
        json!([{"type": "message", "role": "user", "content": [
            {"type": "input_image", "image_url": "data:image/jpeg;base64,QUJD", "detail": "auto"},
            {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "auto"},
            {"type": "input_file", "file_data": "data:application/pdf;base64,JVBE", "filename": "spec.pdf"},
            {"type": "input_text", "text": "notes"},
            {"type": "input_text", "text": "What is this?"}
        ]}])
    );
    let body = json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "x"},
        {"type": "image", "source": {"type": "file", "file_id": "file_1"}}]}]});
    assert_eq!(refused(&body), "messages[0].content[1].source.type");
}

#[test]
fn tools_parallel() {
    let body = json!({
        "model": "m", "max_tokens": 100,
        "tools": [
            {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            {"name": "now", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}
        ],
        "messages": [
            {"role": "user", "content": "Weather in Paris and Oslo?"},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Oslo"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": [{"type": "text", "text": "not found"}], "is_error": true},
                {"type": "text", "text": "Thanks"}
            ]}
        ]
    });
    let out = up(&body, "gpt-5");
    assert_eq!(
        out["tools"],
        json!([
            {"type": "function", "name": "get_weather", "description": "Weather", "strict": false,
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            {"type": "function", "name": "now", "strict": false, "parameters": {"type": "object", "properties": {}}}
        ])
    );
    assert_eq!(
        out["input"],
        json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather in Paris and Oslo?"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
            {"type": "function_call", "call_id": "toolu_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call", "call_id": "toolu_2", "name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"},
            {"type": "function_call_output", "call_id": "toolu_1", "output": "18C"},
            {"type": "function_call_output", "call_id": "toolu_2", "output": "Error: not found"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Thanks"}]}
        ])
    );
    assert!(out.get("tool_choice").is_none());
}

#[test]
fn tool_result_with_image() {
    let body = json!({
        "model": "m", "max_tokens": 100,
        "messages": [
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "screenshot", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
                {"type": "text", "text": "Here:"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}
            ]}]}
        ]
    });
    assert_eq!(
        up(&body, "gpt-5")["input"],
        json!([
            {"type": "function_call", "call_id": "t1", "name": "screenshot", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "t1", "output": [
                {"type": "input_text", "text": "Here:"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBO", "detail": "auto"}
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
    let out = up(&with(json!({"type": "any"})), "gpt-5");
    assert_eq!(out["tool_choice"], "required");
    assert!(out.get("parallel_tool_calls").is_none());
    assert_eq!(
        up(&with(json!({"type": "auto"})), "gpt-5")["tool_choice"],
        "auto"
    );
    assert_eq!(
        up(&with(json!({"type": "none"})), "gpt-5")["tool_choice"],
        "none"
    );
    let out = up(
        &with(json!({"type": "tool", "name": "a", "disable_parallel_tool_use": true})),
        "gpt-5",
    );
    assert_eq!(out["tool_choice"], json!({"type": "function", "name": "a"}));
    assert_eq!(out["parallel_tool_calls"], false);
    assert_eq!(
        refused(&with(json!({"type": "tool", "name": "zzz"}))),
        "tool_choice.name"
    );
    // A tool choice without tools is dropped (OpenAI refuses it).
    let body = json!({"model": "m", "max_tokens": 10, "tool_choice": {"type": "any"},
        "messages": [{"role": "user", "content": "x"}]});
    assert!(up(&body, "gpt-5").get("tool_choice").is_none());
}

#[test]
fn thinking_budget_to_effort() {
    let with = |thinking: Value| {
        json!({"model": "m", "max_tokens": 64000, "thinking": thinking,
            "messages": [{"role": "user", "content": "x"}]})
    };
    let include = json!(["reasoning.encrypted_content"]);
    for (budget, effort) in [
        (1024, "low"),
        (4095, "low"),
        (4096, "medium"),
        (16383, "medium"),
        (16384, "high"),
        (63999, "high"),
    ] {
        let out = up(
            &with(json!({"type": "enabled", "budget_tokens": budget})),
            "gpt-5.1",
        );
        assert_eq!(
            out["reasoning"],
            json!({"effort": effort, "summary": "auto"}),
            "{budget}"
        );
        assert_eq!(out["include"], include);
    }
    let out = up(&with(json!({"type": "adaptive"})), "o3");
    assert_eq!(
        out["reasoning"],
        json!({"effort": "medium", "summary": "auto"})
    );
    let out = up(&with(json!({"type": "disabled"})), "gpt-5.1");
    assert_eq!(out["reasoning"], json!({"effort": "none"}));
    assert!(out.get("include").is_none());
    // Without thinking: the model's default.
    let body =
        json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]});
    assert!(up(&body, "gpt-5").get("reasoning").is_none());
    // Non-reasoning models get no reasoning parameter.
    let out = up(
        &with(json!({"type": "enabled", "budget_tokens": 2048})),
        "gpt-4.1",
    );
    assert!(out.get("reasoning").is_none() && out.get("include").is_none());
    assert!(
        up(&with(json!({"type": "adaptive"})), "gpt-5-chat-latest")
            .get("reasoning")
            .is_none()
    );
    assert_eq!(
        refused(&with(json!({"type": "enabled"}))),
        "thinking.budget_tokens"
    );
}

#[test]
fn reasoning_roundtrip_signature() {
    let answer = json!({
        "id": "resp_9", "object": "response", "status": "completed", "model": "gpt-5",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Plan A."}, {"type": "summary_text", "text": "Plan B."}], "encrypted_content": "gAAAAENC"},
            {"type": "message", "id": "m1", "role": "assistant", "status": "completed", "content": [{"type": "output_text", "text": "Done.", "annotations": []}]}
        ],
        "usage": {"input_tokens": 10, "output_tokens": 5}
    });
    let message = down(&answer);
    let thinking = &message["content"][0];
    assert_eq!(
        thinking,
        &json!({"type": "thinking", "thinking": "Plan A.\n\nPlan B.", "signature": "openai-reasoning.v1:gAAAAENC"})
    );
    // The client sends the block back next turn, next to a real Anthropic one.
    let body = json!({"model": "m", "max_tokens": 100, "thinking": {"type": "adaptive"}, "messages": [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "Anthropic thoughts", "signature": "EqQBCkgIARABGAIi"},
            {"type": "redacted_thinking", "data": "EmwKAhgB"},
            {"type": "text", "text": "a0"}
        ]},
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": [thinking.clone(), {"type": "text", "text": "Done."}]},
        {"role": "user", "content": "q3"}
    ]});
    assert_eq!(
        up(&body, "gpt-5")["input"],
        json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "q1"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "a0"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "q2"}]},
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Plan A.\n\nPlan B."}], "encrypted_content": "gAAAAENC"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "q3"}]}
        ])
    );
}

#[test]
fn refuse_server_tool() {
    for (kind, index) in [
        ("web_search_20250305", 1),
        ("bash_20250124", 1),
        ("text_editor_20250728", 1),
        ("computer_20250124", 1),
    ] {
        let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
            "tools": [{"name": "ok", "input_schema": {"type": "object"}}, {"type": kind, "name": "srv"}]});
        match request(body.to_string().as_bytes(), &ctx("gpt-5")) {
            Err(e) => {
                assert_eq!(e.field, format!("tools[{index}]"));
                assert!(e.message.contains(kind), "{}", e.message);
            }
            Ok(_) => panic!("{kind} accepted"),
        }
    }
    let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
        "mcp_servers": [{"type": "url", "url": "https://mcp.example", "name": "x"}]});
    assert_eq!(refused(&body), "mcp_servers");
    let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "assistant", "content": [
        {"type": "tool_result", "tool_use_id": "a", "content": "x"}]}]});
    assert_eq!(refused(&body), "messages[0].content[0].type");
    assert_eq!(refused(&json!({"model": "m"})), "messages");
    let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "assistant", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}]}]});
    assert_eq!(refused(&body), "messages[0].content[0].type");
    let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "assistant", "content": [
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}]}]});
    assert_eq!(refused(&body), "messages[0].content[0].type");
    assert!(request(b"{", &ctx("gpt-5")).is_err());
}

#[test]
fn usage_cache_tokens() {
    let answer = json!({
        "id": "resp_1", "status": "completed", "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "ok"}]}
        ],
        "usage": {"input_tokens": 5000, "input_tokens_details": {"cached_tokens": 4096},
                  "output_tokens": 300, "output_tokens_details": {"reasoning_tokens": 200}, "total_tokens": 5300}
    });
    assert_eq!(
        down(&answer),
        json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "ok"}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 904, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 4096, "output_tokens": 300}
        })
    );
}

#[test]
fn response_tool_calls_and_stop_reasons() {
    let answer = json!({
        "id": "resp_2", "status": "completed", "output": [
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "now", "arguments": ""},
            {"type": "function_call", "id": "fc_2", "call_id": "call_2", "name": "read", "arguments": "{\"path\":\"/a\"}"},
            {"type": "web_search_call", "id": "ws_1", "status": "completed"}
        ],
        "usage": {"input_tokens": 1, "output_tokens": 1}
    });
    let m = down(&answer);
    assert_eq!(
        m["content"],
        json!([
            {"type": "tool_use", "id": "call_1", "name": "now", "input": {}},
            {"type": "tool_use", "id": "call_2", "name": "read", "input": {"path": "/a"}}
        ])
    );
    assert_eq!(m["stop_reason"], "tool_use");
    let cut = json!({"id": "resp_3", "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"},
        "output": [{"type": "function_call", "call_id": "c", "name": "w", "arguments": "{\"text\":\"abc"}]});
    let m = down(&cut);
    assert_eq!(m["stop_reason"], "max_tokens");
    assert_eq!(m["content"][0]["input"], json!({"text": "abc"}));
    let filtered = json!({"id": "resp_4", "status": "incomplete", "incomplete_details": {"reason": "content_filter"}, "output": []});
    assert_eq!(down(&filtered)["stop_reason"], "refusal");
    let failed =
        json!({"id": "resp_5", "status": "failed", "error": {"message": "boom"}, "output": []});
    assert!(response(failed.to_string().as_bytes(), "m").is_err());
}

#[test]
fn claude_code_extras_ignored() {
    let body = json!({
        "model": "claude-sonnet-4-5-20250929",
        "max_tokens": 32000,
        "stream": true,
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.301.abc; cc_entrypoint=cli; cch=9f1c2;"},
            {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "You are an interactive CLI tool that helps users with software engineering tasks.", "cache_control": {"type": "ephemeral"}}
        ],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "<system-reminder>\nAs you answer the user's questions, you can use the following context...\n</system-reminder>"},
                {"type": "text", "text": "list the files", "cache_control": {"type": "ephemeral"}}
            ]},
            {"role": "system", "content": "<system-reminder>Plan mode is off.</system-reminder>"}
        ],
        "tools": [
            {"name": "Bash", "description": "Executes a given bash command", "input_schema": {
                "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": false,
                "properties": {"command": {"type": "string"}, "timeout": {"type": "number"}}, "required": ["command"]}},
            {"name": "Read", "description": "Reads a file", "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]}},
            {"name": "WebFetch", "description": "Fetches a URL", "defer_loading": true, "input_schema": {"type": "object", "properties": {"url": {"type": "string"}}}},
            {"name": "mcp__ide__getDiagnostics", "description": "Diagnostics", "defer_loading": true, "input_schema": {"type": "object", "properties": {}}},
            {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"}
        ],
        "tool_choice": {"type": "auto"},
        "metadata": {"user_id": "{\"device_id\":\"4f9c0e2b\",\"account_uuid\":\"\",\"session_id\":\"7d1e9a52-0c7b-4d7e-9d7e-5b1a2c3d4e5f\"}"},
        "thinking": {"type": "adaptive"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "output_config": {"effort": "high"},
        "top_k": 40
    });
    let out = up(&body, "gpt-5.1-codex");
    let names: Vec<&str> = out["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["Bash", "Read", "WebFetch", "mcp__ide__getDiagnostics"]
    );
    assert_eq!(
        out["tools"][2],
        json!({"type": "function", "name": "WebFetch", "description": "Fetches a URL", "strict": false,
               "parameters": {"type": "object", "properties": {"url": {"type": "string"}}}})
    );
    let mut rest = out.clone();
    if let Some(o) = rest.as_object_mut() {
        o.remove("tools");
    }
    assert_eq!(
        rest,
        json!({
            "model": "gpt-5.1-codex",
            "instructions": "You are Claude Code, Anthropic's official CLI for Claude.\n\nYou are an interactive CLI tool that helps users with software engineering tasks.",
            "input": [
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "<system-reminder>\nAs you answer the user's questions, you can use the following context...\n</system-reminder>"},
                    {"type": "input_text", "text": "list the files"}
                ]},
                {"type": "message", "role": "developer", "content": [
                    {"type": "input_text", "text": "<system-reminder>Plan mode is off.</system-reminder>"}
                ]}
            ],
            "tool_choice": "auto",
            "max_output_tokens": 32000,
            "reasoning": {"effort": "high", "summary": "auto"},
            "include": ["reasoning.encrypted_content"],
            "stream": true,
            "store": false
        })
    );
}

#[test]
fn structured_output_format() {
    let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}});
    assert_eq!(
        up(&body, "gpt-5")["text"],
        json!({"format": {"type": "json_schema", "name": "output", "strict": false,
            "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}})
    );
}

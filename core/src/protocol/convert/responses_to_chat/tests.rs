//! Golden tests for the Responses-client / Chat-upstream pair: requests and answers. Pure.

use serde_json::{Value, json};

use super::*;

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// The Chat request for a Responses request (non-streaming upstream call).
fn up(body: Value) -> Result<Value, ConvertError> {
    let ctx = RequestContext {
        upstream_model: "up-model",
        stream: false,
    };
    Ok(parse(&request(body.to_string().as_bytes(), &ctx)?))
}

fn refused(body: Value) -> ConvertError {
    match up(body) {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => e,
    }
}

/// The Responses answer for a Chat answer.
fn down(body: Value) -> Result<Value, ConvertError> {
    Ok(parse(&response(
        body.to_string().as_bytes(),
        "client-model",
    )?))
}

fn chat_answer(message: Value, finish: &str) -> Value {
    json!({
        "id": "chatcmpl-abc", "object": "chat.completion", "created": 1700000000, "model": "up-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28}
    })
}

#[test]
fn text_simple() -> Result<(), ConvertError> {
    let got = up(json!({"model": "gpt-5", "input": "Hello", "stream": true}))?;
    assert_eq!(
        got,
        json!({"model": "up-model", "stream": false, "messages": [{"role": "user", "content": "Hello"}]})
    );
    let ctx = RequestContext {
        upstream_model: "up-model",
        stream: true,
    };
    let got = parse(&request(br#"{"model":"m","input":"Hi"}"#, &ctx)?);
    assert_eq!(got["stream"], true);
    assert_eq!(got["stream_options"], json!({"include_usage": true}));

    let answer = chat_answer(json!({"role": "assistant", "content": "Hi there"}), "stop");
    assert_eq!(
        down(answer)?,
        json!({
            "id": "resp_abc", "object": "response", "created_at": 1700000000, "status": "completed",
            "error": null, "incomplete_details": null, "model": "client-model",
            "output": [{"type": "message", "id": "msg_abc", "status": "completed", "role": "assistant",
                        "content": [{"type": "output_text", "text": "Hi there", "annotations": []}]}],
            "usage": {"input_tokens": 20, "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens": 8, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 28}
        })
    );
    Ok(())
}

#[test]
fn system_developer() -> Result<(), ConvertError> {
    let got = up(json!({
        "model": "gpt-5",
        "instructions": "Be terse.",
        "input": [
            {"type": "message", "role": "developer", "content": [
                {"type": "input_text", "text": "<permissions>read-only</permissions>"},
                {"type": "input_text", "text": "<env>linux</env>"}
            ]},
            {"role": "system", "content": "Later system note."},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
        ]
    }))?;
    assert_eq!(
        got["messages"],
        json!([
            {"role": "system", "content": "Be terse."},
            {"role": "system", "content": "<permissions>read-only</permissions>\n\n<env>linux</env>"},
            {"role": "system", "content": "Later system note."},
            {"role": "user", "content": "hi"}
        ])
    );
    Ok(())
}

#[test]
fn multi_turn() -> Result<(), ConvertError> {
    let got = up(json!({
        "model": "gpt-5",
        "input": [
            {"role": "user", "content": "What is 2+2?"},
            {"type": "message", "role": "assistant", "id": "msg_0", "status": "completed",
             "content": [{"type": "output_text", "text": "Let me add.", "annotations": []}]},
            {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
             "content": [{"type": "output_text", "text": "4", "annotations": []}]},
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA"},
            {"role": "user", "content": [{"type": "input_text", "text": "And 3+3?"}, {"type": "input_text", "text": "Briefly."}]}
        ]
    }))?;
    assert_eq!(
        got["messages"],
        json!([
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "Let me add.\n\n4"},
            {"role": "user", "content": [{"type": "text", "text": "And 3+3?"}, {"type": "text", "text": "Briefly."}]}
        ])
    );
    Ok(())
}

#[test]
fn image_url() -> Result<(), ConvertError> {
    let got = up(
        json!({"model": "gpt-5", "input": [{"role": "user", "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "high"}
        ]}]}),
    )?;
    assert_eq!(
        got["messages"][0]["content"],
        json!([
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "high"}}
        ])
    );
    let err = refused(
        json!({"model": "gpt-5", "input": [{"role": "user", "content": [
            {"type": "input_image", "file_id": "file-123"}
        ]}]}),
    );
    assert_eq!(err.field, "input[0].content[0]");
    Ok(())
}

#[test]
fn image_base64() -> Result<(), ConvertError> {
    let data = "data:image/png;base64,iVBORw0KGgo=";
    let got = up(
        json!({"model": "gpt-5", "input": [{"role": "user", "content": [
            {"type": "input_image", "image_url": data}
        ]}]}),
    )?;
    assert_eq!(
        got["messages"][0]["content"],
        json!([{"type": "image_url", "image_url": {"url": data}}])
    );
    Ok(())
}

#[test]
fn tools_parallel() -> Result<(), ConvertError> {
    let got = up(json!({
        "model": "gpt-5",
        "input": "weather in Paris and Rome?",
        "tools": [{"type": "function", "name": "get_weather", "description": "Weather.",
                   "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                   "strict": true},
                  {"type": "function", "name": "now"}],
        "parallel_tool_calls": true
    }))?;
    assert_eq!(
        got["tools"],
        json!([
            {"type": "function", "function": {"name": "get_weather", "description": "Weather.",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
             "strict": true}},
            {"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}}
        ])
    );
    assert_eq!(got["parallel_tool_calls"], true);

    let answer = chat_answer(
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}
        ]}),
        "tool_calls",
    );
    let got = down(answer)?;
    assert_eq!(got["status"], "completed");
    assert_eq!(
        got["output"],
        json!([
            {"type": "function_call", "id": "fc_call_1", "status": "completed", "call_id": "call_1",
             "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call", "id": "fc_call_2", "status": "completed", "call_id": "call_2",
             "name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}
        ])
    );
    Ok(())
}

#[test]
fn tool_result_roundtrip() -> Result<(), ConvertError> {
    let got = up(json!({
        "model": "gpt-5",
        "input": [
            {"role": "user", "content": "weather?"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call", "id": "fc_2", "call_id": "call_2", "name": "now", "arguments": ""},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
            {"type": "function_call_output", "call_id": "call_2", "output": [
                {"type": "input_text", "text": "12:00"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}
            ]},
            {"type": "custom_tool_call", "call_id": "call_3", "name": "apply_patch", "input": "*** Begin Patch"},
            {"type": "custom_tool_call_output", "call_id": "call_3", "output": "Done"}
        ]
    }))?;
    assert_eq!(
        got["messages"],
        json!([
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": "Checking.", "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_2", "content": "12:00"},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_3", "type": "custom", "custom": {"name": "apply_patch", "input": "*** Begin Patch"}}
            ]},
            {"role": "tool", "tool_call_id": "call_3", "content": "Done"}
        ])
    );
    Ok(())
}

#[test]
fn tool_choice_specific() -> Result<(), ConvertError> {
    let base =
        json!({"model": "gpt-5", "input": "x", "tools": [{"type": "function", "name": "f"}]});
    let with = |choice: Value| {
        let mut b = base.clone();
        b["tool_choice"] = choice;
        up(b).map(|v| v["tool_choice"].clone())
    };
    assert_eq!(with(json!("required"))?, json!("required"));
    assert_eq!(
        with(json!({"type": "function", "name": "f"}))?,
        json!({"type": "function", "function": {"name": "f"}})
    );
    assert_eq!(
        with(
            json!({"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "f"}]})
        )?,
        json!({"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [
            {"type": "function", "function": {"name": "f"}}
        ]}})
    );
    let mut b = base.clone();
    b["tool_choice"] = json!({"type": "web_search"});
    assert_eq!(refused(b).field, "tool_choice");
    Ok(())
}

#[test]
fn structured_output() -> Result<(), ConvertError> {
    let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"], "additionalProperties": false});
    let got = up(json!({"model": "gpt-5", "input": "count",
        "text": {"format": {"type": "json_schema", "name": "count", "schema": schema, "strict": true}, "verbosity": "low"}}))?;
    assert_eq!(
        got["response_format"],
        json!({"type": "json_schema", "json_schema": {"name": "count", "schema": schema, "strict": true}})
    );
    assert_eq!(got["verbosity"], "low");
    let got =
        up(json!({"model": "gpt-5", "input": "x", "text": {"format": {"type": "json_object"}}}))?;
    assert_eq!(got["response_format"], json!({"type": "json_object"}));
    Ok(())
}

#[test]
fn reasoning_effort() -> Result<(), ConvertError> {
    let got = up(
        json!({"model": "gpt-5", "input": "x", "reasoning": {"effort": "high", "summary": "auto"},
        "max_output_tokens": 2048, "temperature": 0.2, "top_p": 0.9,
        "store": false, "include": ["reasoning.encrypted_content"], "prompt_cache_key": "k1",
        "metadata": {"a": "b"}, "client_metadata": {"x": 1}, "user": "u1", "service_tier": "auto"}),
    )?;
    assert_eq!(
        got,
        json!({"model": "up-model", "stream": false, "messages": [{"role": "user", "content": "x"}],
               "reasoning_effort": "high", "max_tokens": 2048, "temperature": 0.2, "top_p": 0.9,
               "prompt_cache_key": "k1", "user": "u1", "service_tier": "auto"})
    );
    let answer = chat_answer(
        json!({"role": "assistant", "reasoning_content": "Let me think.", "content": "42"}),
        "stop",
    );
    let got = down(answer)?;
    assert_eq!(
        got["output"][0],
        json!({"type": "reasoning", "id": "rs_abc", "summary": [{"type": "summary_text", "text": "Let me think."}]})
    );
    assert_eq!(got["output"][1]["content"][0]["text"], "42");
    Ok(())
}

#[test]
fn usage_cached_reasoning() -> Result<(), ConvertError> {
    let mut answer = chat_answer(json!({"role": "assistant", "content": "x"}), "length");
    answer["usage"] = json!({"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150,
        "prompt_tokens_details": {"cached_tokens": 80}, "completion_tokens_details": {"reasoning_tokens": 30}});
    let got = down(answer)?;
    assert_eq!(
        got["usage"],
        json!({"input_tokens": 100, "input_tokens_details": {"cached_tokens": 80}, "output_tokens": 50,
               "output_tokens_details": {"reasoning_tokens": 30}, "total_tokens": 150})
    );
    assert_eq!(got["status"], "incomplete");
    assert_eq!(
        got["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    // DeepSeek reports cache hits at the top level.
    let mut answer = chat_answer(json!({"role": "assistant", "content": "x"}), "stop");
    answer["usage"] =
        json!({"prompt_tokens": 10, "completion_tokens": 1, "prompt_cache_hit_tokens": 6});
    let got = down(answer)?;
    assert_eq!(got["usage"]["input_tokens_details"]["cached_tokens"], 6);
    assert_eq!(got["usage"]["total_tokens"], 11);
    Ok(())
}

#[test]
fn refuse_builtin_tool() {
    for tool in [
        "web_search",
        "file_search",
        "code_interpreter",
        "computer_use_preview",
        "image_generation",
        "mcp",
    ] {
        let err = refused(json!({"model": "gpt-5", "input": "x", "tools": [
            {"type": "function", "name": "f"}, {"type": tool}
        ]}));
        assert_eq!(err.field, "tools[1]", "{tool}");
        assert!(err.message.contains(tool), "{}", err.message);
    }
    for (body, field) in [
        (
            json!({"model": "m", "input": "x", "previous_response_id": "resp_1"}),
            "previous_response_id",
        ),
        (
            json!({"model": "m", "input": "x", "conversation": "conv_1"}),
            "conversation",
        ),
        (
            json!({"model": "m", "input": "x", "background": true}),
            "background",
        ),
        (
            json!({"model": "m", "input": [{"type": "item_reference", "id": "msg_1"}]}),
            "input[0].type",
        ),
        (
            json!({"model": "m", "input": [{"type": "web_search_call", "id": "ws_1"}]}),
            "input[0].type",
        ),
        (
            json!({"model": "m", "input": "x", "tools": [{"type": "function", "name": "a___b"}]}),
            "tools[0].name",
        ),
    ] {
        assert_eq!(refused(body).field, field);
    }
}

#[test]
fn namespace_tools_flattened() -> Result<(), ConvertError> {
    let got = up(json!({"model": "gpt-5", "input": "x", "tools": [
        {"type": "namespace", "name": "collaboration", "description": "Work with sub-agents.", "tools": [
            {"type": "function", "name": "spawn_agent", "description": "Spawns an agent.",
             "parameters": {"type": "object", "properties": {"message": {"type": "string"}}}},
            {"type": "function", "name": "wait_agent", "parameters": {"type": "object", "properties": {}}}
        ]}
    ], "tool_choice": {"type": "function", "name": "spawn_agent", "namespace": "collaboration"}}))?;
    assert_eq!(
        got["tools"],
        json!([
            {"type": "function", "function": {"name": "collaboration___spawn_agent",
             "description": "Spawns an agent.\n\n(Work with sub-agents.)",
             "parameters": {"type": "object", "properties": {"message": {"type": "string"}}}}},
            {"type": "function", "function": {"name": "collaboration___wait_agent",
             "description": "Work with sub-agents.", "parameters": {"type": "object", "properties": {}}}}
        ])
    );
    assert_eq!(
        got["tool_choice"]["function"]["name"],
        "collaboration___spawn_agent"
    );
    // History with a namespaced call goes back flattened.
    let got = up(json!({"model": "gpt-5", "input": [
        {"type": "function_call", "call_id": "c1", "name": "wait_agent", "namespace": "collaboration", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "done"}
    ]}))?;
    assert_eq!(
        got["messages"][0]["tool_calls"][0]["function"]["name"],
        "collaboration___wait_agent"
    );
    Ok(())
}

#[test]
fn refusal_and_custom_tool_answer() -> Result<(), ConvertError> {
    let answer = chat_answer(
        json!({"role": "assistant", "content": null, "refusal": "I can't help with that.",
               "tool_calls": [{"id": "call_9", "type": "custom", "custom": {"name": "apply_patch", "input": "*** Begin Patch"}}]}),
        "content_filter",
    );
    let got = down(answer)?;
    assert_eq!(got["status"], "incomplete");
    assert_eq!(got["incomplete_details"]["reason"], "content_filter");
    assert_eq!(
        got["output"],
        json!([
            {"type": "message", "id": "msg_abc", "status": "completed", "role": "assistant",
             "content": [{"type": "refusal", "refusal": "I can't help with that."}]},
            {"type": "custom_tool_call", "id": "ctc_call_9", "status": "completed", "call_id": "call_9",
             "name": "apply_patch", "input": "*** Begin Patch"}
        ])
    );
    let err = match down(json!({"error": {"message": "overloaded"}})) {
        Ok(v) => panic!("{v}"),
        Err(e) => e,
    };
    assert_eq!(err.message, "overloaded");
    Ok(())
}

#[test]
fn namespace_names_round_trip() {
    let flat = flat_name(Some("mcp__codex_apps__gmail"), "search_emails");
    assert_eq!(flat, "mcp__codex_apps__gmail___search_emails");
    assert_eq!(
        split_name(&flat),
        (Some("mcp__codex_apps__gmail"), "search_emails")
    );
    assert_eq!(split_name("mcp__server__tool"), (None, "mcp__server__tool"));
    assert_eq!(split_name("___x"), (None, "___x"));
    assert_eq!(flat_name(None, "shell"), "shell");
}

/// Responses request → Chat request → (simulated Chat answer) → Responses answer.
#[test]
fn round_trip_keeps_text_and_tool_calls() -> Result<(), ConvertError> {
    let ctx = RequestContext {
        upstream_model: "deepseek-chat",
        stream: false,
    };
    let req = json!({
        "model": "gpt-5-codex",
        "instructions": "You are Codex.",
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list files"}]}],
        "tools": [
            {"type": "function", "name": "shell", "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}},
            {"type": "namespace", "name": "collab", "description": "Agents.", "tools": [
                {"type": "function", "name": "spawn_agent", "description": "Spawn.", "parameters": {"type": "object"}}
            ]}
        ],
        "store": false
    });
    let up = parse(&request(req.to_string().as_bytes(), &ctx)?);
    assert_eq!(up["tools"][1]["function"]["name"], "collab___spawn_agent");
    let answer = json!({
        "id": "chatcmpl-9", "object": "chat.completion", "created": 7, "model": "deepseek-chat",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "Running it.",
            "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "shell", "arguments": "{\"cmd\":\"ls\"}"}},
                {"id": "call_b", "type": "function", "function": {"name": "collab___spawn_agent", "arguments": ""}}
            ]}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    });
    let got = parse(&response(answer.to_string().as_bytes(), "gpt-5-codex")?);
    assert_eq!(got["model"], "gpt-5-codex");
    assert_eq!(got["output"][0]["content"][0]["text"], "Running it.");
    assert_eq!(got["output"][1]["call_id"], "call_a");
    assert_eq!(got["output"][1]["arguments"], "{\"cmd\":\"ls\"}");
    assert_eq!(got["output"][2]["name"], "spawn_agent");
    assert_eq!(got["output"][2]["namespace"], "collab");
    assert_eq!(got["output"][2]["arguments"], "{}");

    // The next turn sends the calls and their outputs back.
    let mut next = req.clone();
    if let Some(input) = next["input"].as_array_mut() {
        if let Some(out) = got["output"].as_array() {
            input.extend(out.iter().cloned());
        }
        input.push(json!({"type": "function_call_output", "call_id": "call_a", "output": "a.txt"}));
        input.push(json!({"type": "function_call_output", "call_id": "call_b", "output": "ok"}));
    }
    let up = parse(&request(next.to_string().as_bytes(), &ctx)?);
    let messages = up["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 5, "{up}");
    assert_eq!(messages[2]["content"], "Running it.");
    assert_eq!(
        messages[2]["tool_calls"][1]["function"]["name"],
        "collab___spawn_agent"
    );
    assert_eq!(messages[3]["tool_call_id"], "call_a");
    assert_eq!(messages[4]["content"], "ok");
    Ok(())
}

/// The shape Codex sends (clients.md), minus `web_search`, which is refused.
#[test]
fn codex_request() -> Result<(), ConvertError> {
    let mut body = json!({
        "model": "gpt-5-codex",
        "instructions": "You are Codex, a coding agent.",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<permissions instructions>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "fix the bug"}]}
        ],
        "tools": [
            {"type": "function", "name": "shell_command", "description": "Runs a command.", "strict": false,
             "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}},
            {"type": "namespace", "name": "collaboration", "description": "", "tools": [
                {"type": "function", "name": "spawn_agent", "parameters": {"type": "object", "properties": {}}}]},
            {"type": "web_search", "external_web_access": false}
        ],
        "tool_choice": "auto", "parallel_tool_calls": false,
        "reasoning": {"effort": "medium", "summary": "auto"}, "store": false, "stream": true,
        "include": ["reasoning.encrypted_content"], "prompt_cache_key": "019a-session",
        "text": {"verbosity": "medium"}, "client_metadata": {"originator": "codex_exec"}
    });
    let err = refused(body.clone());
    assert_eq!(err.field, "tools[2]");
    assert!(
        err.message.contains("web_search = \"disabled\""),
        "{}",
        err.message
    );
    if let Some(tools) = body["tools"].as_array_mut() {
        tools.pop();
    }
    let ctx = RequestContext {
        upstream_model: "qwen3-coder",
        stream: true,
    };
    let got = parse(&request(body.to_string().as_bytes(), &ctx)?);
    assert_eq!(
        got,
        json!({
            "model": "qwen3-coder", "stream": true, "stream_options": {"include_usage": true},
            "messages": [
                {"role": "system", "content": "You are Codex, a coding agent."},
                {"role": "system", "content": "<permissions instructions>"},
                {"role": "user", "content": "<environment_context>"},
                {"role": "user", "content": "fix the bug"}
            ],
            "tools": [
                {"type": "function", "function": {"name": "shell_command", "description": "Runs a command.", "strict": false,
                 "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}},
                {"type": "function", "function": {"name": "collaboration___spawn_agent",
                 "parameters": {"type": "object", "properties": {}}}}
            ],
            "tool_choice": "auto", "parallel_tool_calls": false, "reasoning_effort": "medium",
            "prompt_cache_key": "019a-session", "verbosity": "medium"
        })
    );
    Ok(())
}

//! Golden tests for the Chat-client / Responses-upstream pair (requests, answers). Pure.

use serde_json::{Value, json};

use super::*;

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// The Responses request for a Chat request (non-streaming upstream call).
fn up(body: Value) -> Result<Value, ConvertError> {
    let ctx = RequestContext {
        upstream_model: "gpt-5",
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

/// The Chat answer for a Responses answer.
fn down(body: Value) -> Result<Value, ConvertError> {
    Ok(parse(&response(
        body.to_string().as_bytes(),
        "client-model",
    )?))
}

fn responses_answer(output: Value) -> Value {
    json!({
        "id": "resp_abc", "object": "response", "created_at": 1700000000, "status": "completed",
        "model": "gpt-5-2025", "output": output,
        "usage": {"input_tokens": 20, "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens": 8, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 28}
    })
}

fn text_item(text: &str) -> Value {
    json!({"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
           "content": [{"type": "output_text", "text": text, "annotations": []}]})
}

#[test]
fn text_simple() -> Result<(), ConvertError> {
    let got = up(
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}], "stream": true}),
    )?;
    assert_eq!(
        got,
        json!({"model": "gpt-5", "stream": false, "store": false,
               "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]}]})
    );
    let ctx = RequestContext {
        upstream_model: "gpt-5",
        stream: true,
    };
    let got = parse(&request(
        br#"{"model":"m","messages":[{"role":"user","content":"Hi"}],"store":true,"stream_options":{"include_usage":true}}"#,
        &ctx,
    )?);
    assert_eq!(got["stream"], true);
    assert_eq!(got["store"], true);
    assert_eq!(got.get("stream_options"), None);

    assert_eq!(
        down(responses_answer(json!([text_item("Hi there")])))?,
        json!({
            "id": "chatcmpl-abc", "object": "chat.completion", "created": 1700000000, "model": "client-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there", "refusal": null},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28,
                      "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}
        })
    );
    Ok(())
}

#[test]
fn system_developer() -> Result<(), ConvertError> {
    let got = up(json!({"model": "m", "messages": [
        {"role": "system", "content": "Be terse."},
        {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
        {"role": "user", "content": "hi"},
        {"role": "system", "content": "Now answer in French."}
    ]}))?;
    assert_eq!(got["instructions"], "Be terse.\n\nUse metric units.");
    assert_eq!(
        got["input"],
        json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
            {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "Now answer in French."}]}
        ])
    );
    Ok(())
}

#[test]
fn multi_turn() -> Result<(), ConvertError> {
    let got = up(json!({"model": "m", "messages": [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4", "reasoning_content": "easy"},
        {"role": "user", "content": [{"type": "text", "text": "and 3+3?"}]}
    ]}))?;
    assert_eq!(
        got["input"],
        json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "2+2?"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "4"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "and 3+3?"}]}
        ])
    );
    Ok(())
}

#[test]
fn image_url() -> Result<(), ConvertError> {
    let got = up(
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}}
        ]}]}),
    )?;
    assert_eq!(
        got["input"][0]["content"],
        json!([
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "low"}
        ])
    );
    Ok(())
}

#[test]
fn image_base64() -> Result<(), ConvertError> {
    let data = "data:image/jpeg;base64,/9j/4AAQSkZJRg==";
    let got = up(
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": data}},
            {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"}}
        ]}]}),
    )?;
    assert_eq!(
        got["input"][0]["content"],
        json!([
            {"type": "input_image", "image_url": data, "detail": "auto"},
            {"type": "input_file", "file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"}
        ])
    );
    let err = refused(
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
        ]}]}),
    );
    assert_eq!(err.field, "messages[0].content[0]");
    Ok(())
}

#[test]
fn tools_parallel() -> Result<(), ConvertError> {
    let got = up(
        json!({"model": "m", "messages": [{"role": "user", "content": "weather?"}],
        "tools": [
            {"type": "function", "function": {"name": "get_weather", "description": "Weather.",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
            {"type": "function", "function": {"name": "now", "strict": true}},
            {"type": "custom", "custom": {"name": "apply_patch", "description": "Patch.", "format": {"type": "text"}}}
        ],
        "parallel_tool_calls": true}),
    )?;
    assert_eq!(
        got["tools"],
        json!([
            {"type": "function", "name": "get_weather", "description": "Weather.",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}, "strict": false},
            {"type": "function", "name": "now", "parameters": {"type": "object", "properties": {}}, "strict": true},
            {"type": "custom", "name": "apply_patch", "description": "Patch.", "format": {"type": "text"}}
        ])
    );
    assert_eq!(got["parallel_tool_calls"], true);

    let answer = responses_answer(json!([
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA"},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}", "status": "completed"},
        {"type": "function_call", "id": "fc_2", "call_id": "call_2", "name": "now", "arguments": "", "status": "completed"}
    ]));
    let got = down(answer)?;
    assert_eq!(
        got["choices"][0],
        json!({"index": 0, "logprobs": null, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": null, "refusal": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": "{}"}}
        ]}})
    );
    Ok(())
}

#[test]
fn tool_result_roundtrip() -> Result<(), ConvertError> {
    let got = up(json!({"model": "m", "messages": [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_2", "type": "custom", "custom": {"name": "apply_patch", "input": "*** Begin Patch"}}
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "Done"}]}
    ]}))?;
    assert_eq!(
        got["input"],
        json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "custom_tool_call", "call_id": "call_2", "name": "apply_patch", "input": "*** Begin Patch"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
            {"type": "custom_tool_call_output", "call_id": "call_2", "output": "Done"}
        ])
    );
    Ok(())
}

#[test]
fn tool_choice_specific() -> Result<(), ConvertError> {
    let with = |choice: Value| {
        up(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": choice}),
        )
        .map(|v| v["tool_choice"].clone())
    };
    assert_eq!(with(json!("none"))?, json!("none"));
    assert_eq!(
        with(json!({"type": "function", "function": {"name": "f"}}))?,
        json!({"type": "function", "name": "f"})
    );
    assert_eq!(
        with(
            json!({"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": [
            {"type": "function", "function": {"name": "f"}}]}})
        )?,
        json!({"type": "allowed_tools", "mode": "auto", "tools": [{"type": "function", "name": "f"}]})
    );
    // Legacy `functions` + `function_call`.
    let got = up(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "functions": [{"name": "g", "parameters": {"type": "object"}}], "function_call": {"name": "g"}}),
    )?;
    assert_eq!(got["tool_choice"], json!({"type": "function", "name": "g"}));
    assert_eq!(got["tools"][0]["name"], "g");
    Ok(())
}

#[test]
fn structured_output() -> Result<(), ConvertError> {
    let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"], "additionalProperties": false});
    let got = up(
        json!({"model": "m", "messages": [{"role": "user", "content": "count"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "count", "schema": schema, "strict": true}},
        "verbosity": "low"}),
    )?;
    assert_eq!(
        got["text"],
        json!({"format": {"type": "json_schema", "name": "count", "schema": schema, "strict": true}, "verbosity": "low"})
    );
    let got = up(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_object"}}),
    )?;
    assert_eq!(got["text"], json!({"format": {"type": "json_object"}}));
    Ok(())
}

#[test]
fn reasoning_effort() -> Result<(), ConvertError> {
    let got = up(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "reasoning_effort": "minimal", "max_completion_tokens": 500, "max_tokens": 100,
        "temperature": 1, "top_p": 0.5, "seed": 7, "presence_penalty": 0.1, "user": "u",
        "metadata": {"k": "v"}, "service_tier": "flex", "prompt_cache_key": "pk", "n": 1}),
    )?;
    assert_eq!(
        got,
        json!({"model": "gpt-5", "stream": false, "store": false,
               "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}],
               "reasoning": {"effort": "minimal"}, "max_output_tokens": 500, "temperature": 1, "top_p": 0.5,
               "user": "u", "metadata": {"k": "v"}, "service_tier": "flex", "prompt_cache_key": "pk"})
    );
    let tiny = up(
        json!({"model": "m", "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}),
    )?;
    assert_eq!(tiny["max_output_tokens"], 16);
    let answer = responses_answer(json!([
        {"type": "reasoning", "id": "rs_1", "encrypted_content": "gAAAA",
         "summary": [{"type": "summary_text", "text": "Step 1."}, {"type": "summary_text", "text": "Step 2."}]},
        text_item("42")
    ]));
    let got = down(answer)?;
    assert_eq!(
        got["choices"][0]["message"]["reasoning_content"],
        "Step 1.\n\nStep 2."
    );
    assert_eq!(got["choices"][0]["message"]["content"], "42");
    assert!(
        !got.to_string().contains("gAAAA"),
        "encrypted reasoning is dropped"
    );
    Ok(())
}

#[test]
fn stop_sequences() {
    let base = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
    for stop in [json!("END"), json!(["a", "b"])] {
        let mut b = base.clone();
        b["stop"] = stop;
        let err = refused(b);
        assert_eq!(err.field, "stop");
        assert!(err.message.contains("no stop sequences"));
    }
    for stop in [Value::Null, json!([])] {
        let mut b = base.clone();
        b["stop"] = stop;
        assert!(up(b).is_ok());
    }
}

#[test]
fn usage_cached_reasoning() -> Result<(), ConvertError> {
    let mut answer = responses_answer(json!([text_item("partial")]));
    answer["status"] = json!("incomplete");
    answer["incomplete_details"] = json!({"reason": "max_output_tokens"});
    answer["usage"] = json!({"input_tokens": 100, "input_tokens_details": {"cached_tokens": 80},
        "output_tokens": 50, "output_tokens_details": {"reasoning_tokens": 30}, "total_tokens": 150});
    let got = down(answer)?;
    assert_eq!(
        got["usage"],
        json!({"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150,
               "prompt_tokens_details": {"cached_tokens": 80}, "completion_tokens_details": {"reasoning_tokens": 30}})
    );
    assert_eq!(got["choices"][0]["finish_reason"], "length");
    Ok(())
}

#[test]
fn refuse_builtin_tool() {
    let user = json!([{"role": "user", "content": "x"}]);
    for (extra, field) in [
        (json!({"tools": [{"type": "web_search"}]}), "tools[0].type"),
        (json!({"n": 2}), "n"),
        (json!({"logprobs": true}), "logprobs"),
        (
            json!({"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "mp3"}}),
            "modalities",
        ),
        (
            json!({"tool_choice": {"type": "web_search"}}),
            "tool_choice.type",
        ),
    ] {
        let mut b = json!({"model": "m", "messages": user});
        if let (Some(b), Some(extra)) = (b.as_object_mut(), extra.as_object()) {
            b.extend(extra.clone());
        }
        assert_eq!(refused(b).field, field);
    }
}

#[test]
fn web_search_options_and_citations() -> Result<(), ConvertError> {
    let got = up(
        json!({"model": "m", "messages": [{"role": "user", "content": "news?"}],
        "web_search_options": {"search_context_size": "low",
            "user_location": {"type": "approximate", "approximate": {"country": "FR", "city": "Paris"}}}}),
    )?;
    assert_eq!(
        got["tools"],
        json!([{"type": "web_search", "search_context_size": "low",
                "user_location": {"type": "approximate", "country": "FR", "city": "Paris"}}])
    );
    let answer = responses_answer(json!([
        {"type": "web_search_call", "id": "ws_1", "status": "completed"},
        {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": [
            {"type": "output_text", "text": "Hi. ", "annotations": []},
            {"type": "output_text", "text": "News here.", "annotations": [
                {"type": "url_citation", "start_index": 0, "end_index": 4, "url": "https://n.example", "title": "N"}]}
        ]}
    ]));
    let got = down(answer)?;
    assert_eq!(got["choices"][0]["message"]["content"], "Hi. News here.");
    assert_eq!(
        got["choices"][0]["message"]["annotations"],
        json!([{"type": "url_citation", "url_citation": {"start_index": 4, "end_index": 8, "url": "https://n.example", "title": "N"}}])
    );
    Ok(())
}

/// Chat request → Responses request → (simulated Responses answer) → Chat answer.
#[test]
fn round_trip_keeps_text_and_tool_calls() -> Result<(), ConvertError> {
    let chat = json!({"model": "gpt-4.1", "messages": [
        {"role": "system", "content": "You help."},
        {"role": "user", "content": "Weather in Paris and Rome?"}
    ], "tools": [{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]});
    let sent = up(chat.clone())?;
    assert_eq!(sent["instructions"], "You help.");
    assert_eq!(sent["tools"][0]["name"], "get_weather");
    let answer = responses_answer(json!([
        text_item("Checking both."),
        {"type": "function_call", "id": "fc_1", "call_id": "call_p", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
        {"type": "function_call", "id": "fc_2", "call_id": "call_r", "name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}
    ]));
    let got = down(answer)?;
    let message = &got["choices"][0]["message"];
    assert_eq!(message["content"], "Checking both.");
    assert_eq!(got["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(message["tool_calls"][0]["id"], "call_p");
    assert_eq!(
        message["tool_calls"][1]["function"]["arguments"],
        "{\"city\":\"Rome\"}"
    );
    assert_eq!(got["model"], "client-model");

    // The client replays the answer plus results; the calls keep their ids upstream.
    let mut next = chat;
    if let Some(messages) = next["messages"].as_array_mut() {
        messages.push(message.clone());
        messages.push(json!({"role": "tool", "tool_call_id": "call_p", "content": "sunny"}));
        messages.push(json!({"role": "tool", "tool_call_id": "call_r", "content": "rain"}));
    }
    let sent = up(next)?;
    let kinds: Vec<&str> = sent["input"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "message",
            "message",
            "function_call",
            "function_call",
            "function_call_output",
            "function_call_output"
        ]
    );
    assert_eq!(sent["input"][3]["call_id"], "call_r");
    assert_eq!(sent["input"][5]["output"], "rain");
    Ok(())
}

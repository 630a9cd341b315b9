//! Stream tests (pure, no I/O): a realistic Anthropic stream against the full expected Responses event
//! sequence, terminal-event rules, and random streams that must never break the output.

use bytes::Bytes;
use serde_json::{Value, json};

use super::Stream;
use super::test_support::{Rng, client_events, events, feed_in_chunks, random_stream};
use crate::protocol::convert::Transcoder;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs `list` through a fresh transcoder (and `finish`); returns the client events' data,
/// checking that each SSE event name equals the data's `type`.
fn run(list: &[(&str, Value)]) -> Result<(Stream, Vec<Value>), Box<dyn std::error::Error>> {
    let mut t = Stream::new("gpt-5-codex");
    let mut out: Vec<Bytes> = Vec::new();
    for e in events(list) {
        t.push(&e, &mut out);
    }
    t.finish(&mut out);
    let mut data = Vec::new();
    for (name, raw) in client_events(&out) {
        let mut v: Value = serde_json::from_str(&raw)?;
        assert_eq!(name.as_deref(), v["type"].as_str(), "{raw}");
        if let Some(r) = v.get_mut("response").and_then(Value::as_object_mut) {
            assert!(r.get("created_at").and_then(Value::as_u64).is_some());
            r.insert("created_at".into(), json!(0));
        }
        data.push(v);
    }
    Ok((t, data))
}

fn start(id: &str) -> (&'static str, Value) {
    (
        "message_start",
        json!({"type": "message_start", "message": {
        "id": id, "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5",
        "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": 50, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 100, "output_tokens": 1}}}),
    )
}

fn block_start(index: u64, block: Value) -> (&'static str, Value) {
    (
        "content_block_start",
        json!({"type": "content_block_start", "index": index, "content_block": block}),
    )
}

fn delta(index: u64, kind: &str, key: &str, piece: &str) -> (&'static str, Value) {
    (
        "content_block_delta",
        json!({"type": "content_block_delta", "index": index, "delta": {"type": kind, key: piece}}),
    )
}

fn stop(index: u64) -> (&'static str, Value) {
    (
        "content_block_stop",
        json!({"type": "content_block_stop", "index": index}),
    )
}

fn message_delta(reason: &str, output: u64) -> (&'static str, Value) {
    (
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": null}, "usage": {"output_tokens": output}}),
    )
}

fn message_stop() -> (&'static str, Value) {
    ("message_stop", json!({"type": "message_stop"}))
}

fn response(status: &str, output: Value, usage: Value) -> Value {
    json!({
        "id": "resp_01S", "object": "response", "created_at": 0, "status": status, "error": null,
        "incomplete_details": null, "instructions": null, "model": "gpt-5-codex", "output": output,
        "parallel_tool_calls": true, "temperature": null, "tool_choice": "auto", "tools": [], "top_p": null,
        "metadata": {}, "usage": usage,
    })
}

/// Thinking with a signature, text, and two parallel tool calls (one with an empty input).
#[test]
fn thinking_text_and_parallel_tools() -> TestResult {
    let (t, got) = run(&[
        start("msg_01S"),
        ("ping", json!({"type": "ping"})),
        block_start(
            0,
            json!({"type": "thinking", "thinking": "", "signature": ""}),
        ),
        delta(0, "thinking_delta", "thinking", "Weather "),
        delta(0, "thinking_delta", "thinking", "and time."),
        delta(0, "signature_delta", "signature", "EqQBsig=="),
        stop(0),
        block_start(1, json!({"type": "text", "text": ""})),
        delta(1, "text_delta", "text", "Checking "),
        delta(1, "text_delta", "text", "both."),
        stop(1),
        block_start(
            2,
            json!({"type": "tool_use", "id": "toolu_A", "name": "get_weather", "input": {}}),
        ),
        delta(2, "input_json_delta", "partial_json", ""),
        delta(2, "input_json_delta", "partial_json", "{\"city\": \"Pa"),
        delta(2, "input_json_delta", "partial_json", "ris\"}"),
        stop(2),
        block_start(
            3,
            json!({"type": "tool_use", "id": "toolu_B", "name": "now", "input": {}}),
        ),
        stop(3),
        message_delta("tool_use", 42),
        message_stop(),
    ])?;
    let reasoning = json!({"id": "rs_01S_0", "type": "reasoning", "encrypted_content": "EqQBsig==",
        "summary": [{"type": "summary_text", "text": "Weather and time."}]});
    let message = json!({"id": "msg_01S_1", "type": "message", "status": "completed", "role": "assistant",
        "content": [{"type": "output_text", "text": "Checking both.", "annotations": []}]});
    let call_a = json!({"id": "fc_01S_2", "type": "function_call", "status": "completed", "call_id": "toolu_A",
        "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"});
    let call_b = json!({"id": "fc_01S_3", "type": "function_call", "status": "completed", "call_id": "toolu_B",
        "name": "now", "arguments": "{}"});
    let rs = |extra: Value| {
        let mut v = json!({"item_id": "rs_01S_0", "output_index": 0, "summary_index": 0});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        v
    };
    let msg = |extra: Value| {
        let mut v = json!({"item_id": "msg_01S_1", "output_index": 1, "content_index": 0});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        v
    };
    let want: Vec<(&str, Value)> = vec![
        (
            "response.created",
            json!({"response": response("in_progress", json!([]), Value::Null)}),
        ),
        (
            "response.in_progress",
            json!({"response": response("in_progress", json!([]), Value::Null)}),
        ),
        (
            "response.output_item.added",
            json!({"output_index": 0, "item": {"id": "rs_01S_0", "type": "reasoning", "summary": []}}),
        ),
        (
            "response.reasoning_summary_part.added",
            rs(json!({"part": {"type": "summary_text", "text": ""}})),
        ),
        (
            "response.reasoning_summary_text.delta",
            rs(json!({"delta": "Weather "})),
        ),
        (
            "response.reasoning_summary_text.delta",
            rs(json!({"delta": "and time."})),
        ),
        (
            "response.reasoning_summary_text.done",
            rs(json!({"text": "Weather and time."})),
        ),
        (
            "response.reasoning_summary_part.done",
            rs(json!({"part": {"type": "summary_text", "text": "Weather and time."}})),
        ),
        (
            "response.output_item.done",
            json!({"output_index": 0, "item": reasoning}),
        ),
        (
            "response.output_item.added",
            json!({"output_index": 1, "item": {"id": "msg_01S_1", "type": "message",
            "status": "in_progress", "role": "assistant", "content": []}}),
        ),
        (
            "response.content_part.added",
            msg(json!({"part": {"type": "output_text", "text": "", "annotations": []}})),
        ),
        (
            "response.output_text.delta",
            msg(json!({"delta": "Checking ", "logprobs": []})),
        ),
        (
            "response.output_text.delta",
            msg(json!({"delta": "both.", "logprobs": []})),
        ),
        (
            "response.output_text.done",
            msg(json!({"text": "Checking both.", "logprobs": []})),
        ),
        (
            "response.content_part.done",
            msg(
                json!({"part": {"type": "output_text", "text": "Checking both.", "annotations": []}}),
            ),
        ),
        (
            "response.output_item.done",
            json!({"output_index": 1, "item": message}),
        ),
        (
            "response.output_item.added",
            json!({"output_index": 2, "item": {"id": "fc_01S_2", "type": "function_call",
            "status": "in_progress", "call_id": "toolu_A", "name": "get_weather", "arguments": ""}}),
        ),
        (
            "response.function_call_arguments.delta",
            json!({"item_id": "fc_01S_2", "output_index": 2, "delta": "{\"city\": \"Pa"}),
        ),
        (
            "response.function_call_arguments.delta",
            json!({"item_id": "fc_01S_2", "output_index": 2, "delta": "ris\"}"}),
        ),
        (
            "response.function_call_arguments.done",
            json!({"item_id": "fc_01S_2", "output_index": 2, "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}),
        ),
        (
            "response.output_item.done",
            json!({"output_index": 2, "item": call_a}),
        ),
        (
            "response.output_item.added",
            json!({"output_index": 3, "item": {"id": "fc_01S_3", "type": "function_call",
            "status": "in_progress", "call_id": "toolu_B", "name": "now", "arguments": ""}}),
        ),
        (
            "response.function_call_arguments.delta",
            json!({"item_id": "fc_01S_3", "output_index": 3, "delta": "{}"}),
        ),
        (
            "response.function_call_arguments.done",
            json!({"item_id": "fc_01S_3", "output_index": 3, "name": "now", "arguments": "{}"}),
        ),
        (
            "response.output_item.done",
            json!({"output_index": 3, "item": call_b}),
        ),
        (
            "response.completed",
            json!({"response": response("completed", json!([reasoning, message, call_a, call_b]),
            json!({"input_tokens": 155, "input_tokens_details": {"cached_tokens": 100}, "output_tokens": 42, "total_tokens": 197}))}),
        ),
    ];
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (seq, ((kind, fields), got)) in want.into_iter().zip(&got).enumerate() {
        let mut expected = fields;
        if let Some(o) = expected.as_object_mut() {
            o.insert("type".into(), json!(kind));
            o.insert("sequence_number".into(), json!(seq));
        }
        assert_eq!(got, &expected, "event {seq}");
    }
    // Arguments assembled from the deltas parse as JSON.
    for item in ["fc_01S_2", "fc_01S_3"] {
        let args: String = got
            .iter()
            .filter(|v| {
                v["type"] == "response.function_call_arguments.delta" && v["item_id"] == item
            })
            .filter_map(|v| v["delta"].as_str())
            .collect();
        assert!(
            serde_json::from_str::<Value>(&args)?.is_object(),
            "{item}: {args}"
        );
    }
    let ctx = t.context();
    assert_eq!(
        (
            ctx.response_id.as_deref(),
            ctx.model.as_str(),
            ctx.next_sequence
        ),
        (Some("resp_01S"), "gpt-5-codex", 26)
    );
    Ok(())
}

#[test]
fn max_tokens_ends_incomplete_once() -> TestResult {
    let (_, got) = run(&[
        start("msg_01S"),
        block_start(0, json!({"type": "text", "text": ""})),
        delta(0, "text_delta", "text", "abc"),
        stop(0),
        message_delta("max_tokens", 9),
        message_stop(),
        message_stop(),
    ])?;
    let terminal: Vec<&Value> = got
        .iter()
        .filter(|v| {
            v["type"].as_str().is_some_and(|t| {
                t.starts_with("response.")
                    && (t.ends_with("completed") || t.ends_with("incomplete"))
            })
        })
        .collect();
    assert_eq!(terminal.len(), 1);
    assert_eq!(terminal[0]["type"], "response.incomplete");
    assert_eq!(
        terminal[0]["response"]["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    assert_eq!(
        got.last().map(|v| v["type"].clone()),
        Some(json!("response.incomplete"))
    );
    Ok(())
}

#[test]
fn namespace_redacted_and_text_after_tool() -> TestResult {
    let (_, got) = run(&[
        start("msg_01S"),
        block_start(0, json!({"type": "redacted_thinking", "data": "ZGF0YQ=="})),
        stop(0),
        block_start(
            1,
            json!({"type": "tool_use", "id": "toolu_N", "name": "mcp__fs____ns__read", "input": {}}),
        ),
        delta(1, "input_json_delta", "partial_json", "{\"path\":\"a\"}"),
        stop(1),
        block_start(2, json!({"type": "text", "text": ""})),
        delta(2, "text_delta", "text", "done"),
        stop(2),
        message_delta("end_turn", 3),
        message_stop(),
    ])?;
    let Some(done) = got.last() else {
        panic!("no events")
    };
    assert_eq!(done["type"], "response.completed");
    assert_eq!(
        done["response"]["output"],
        json!([
            {"id": "rs_01S_0", "type": "reasoning", "summary": [], "encrypted_content": "redacted_thinking:ZGF0YQ=="},
            {"id": "fc_01S_1", "type": "function_call", "status": "completed", "call_id": "toolu_N",
             "namespace": "mcp__fs__", "name": "read", "arguments": "{\"path\":\"a\"}"},
            {"id": "msg_01S_2", "type": "message", "status": "completed", "role": "assistant",
             "content": [{"type": "output_text", "text": "done", "annotations": []}]},
        ])
    );
    Ok(())
}

#[test]
fn context_before_and_after_start() {
    let mut t = Stream::new("m");
    assert_eq!(
        (t.context().response_id, t.context().next_sequence),
        (None, 0)
    );
    let mut out = Vec::new();
    for e in events(&[start("msg_X")]) {
        t.push(&e, &mut out);
    }
    let ctx = t.context();
    assert_eq!(
        (ctx.response_id.as_deref(), ctx.next_sequence),
        (Some("resp_X"), 2)
    );
}

/// Random streams cut at random byte boundaries: no panic, every payload is JSON, sequence
/// numbers count from 0 by one, at most one terminal event and nothing after it.
#[test]
fn random_streams_stay_well_formed() -> TestResult {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut terminals = 0;
    for round in 0..1000 {
        let bytes = random_stream(&mut rng);
        let mut t = Stream::new("m");
        let mut out = Vec::new();
        let mut feed_rng = Rng(rng.next() | 1);
        feed_in_chunks(&mut feed_rng, &bytes, |e| t.push(e, &mut out));
        let finished = round % 2 == 0;
        if finished {
            t.finish(&mut out);
        }
        let got = client_events(&out);
        let mut seen_terminal = false;
        for (seq, (name, data)) in got.iter().enumerate() {
            let v: Value = serde_json::from_str(data)?;
            assert!(!seen_terminal, "event after the terminal one: {data}");
            assert_eq!(v["sequence_number"], json!(seq), "{data}");
            assert_eq!(name.as_deref(), v["type"].as_str());
            if matches!(
                v["type"].as_str(),
                Some("response.completed" | "response.incomplete")
            ) {
                seen_terminal = true;
                terminals += 1;
                for item in v["response"]["output"].as_array().into_iter().flatten() {
                    if item["type"] == "function_call" {
                        assert!(
                            item["arguments"]
                                .as_str()
                                .is_some_and(|a| !a.trim().is_empty()),
                            "{item}"
                        );
                    }
                }
            }
        }
        if finished {
            assert!(seen_terminal, "finish() must end the stream");
        }
        assert_eq!(t.context().next_sequence as usize, got.len());
    }
    assert!(terminals > 500);
    Ok(())
}

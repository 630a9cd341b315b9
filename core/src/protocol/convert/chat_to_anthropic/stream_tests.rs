//! Stream tests (pure, no I/O): a realistic Anthropic stream against the full expected Chat chunk sequence,
//! and random streams that must never break the output.

use bytes::Bytes;
use serde_json::{Value, json};

use super::Stream;
use crate::protocol::convert::Transcoder;
use crate::protocol::convert::responses_to_anthropic::test_support::{
    Rng, client_events, events, feed_in_chunks, random_stream,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs `list` through a fresh transcoder (and `finish`); returns the chunk payloads (the
/// `created` field zeroed) and checks that no event has a name.
fn run(list: &[(&str, Value)]) -> Result<(Stream, Vec<Value>), Box<dyn std::error::Error>> {
    let mut t = Stream::new("gpt-4.1");
    let mut out: Vec<Bytes> = Vec::new();
    for e in events(list) {
        t.push(&e, &mut out);
    }
    t.finish(&mut out);
    let mut data = Vec::new();
    for (name, raw) in client_events(&out) {
        assert_eq!(name, None);
        if raw == "[DONE]" {
            data.push(json!("[DONE]"));
            continue;
        }
        let mut v: Value = serde_json::from_str(&raw)?;
        assert!(v["created"].as_u64().is_some_and(|c| c > 1_600_000_000));
        v["created"] = json!(0);
        data.push(v);
    }
    Ok((t, data))
}

fn ev(name: &'static str, data: Value) -> (&'static str, Value) {
    (name, data)
}

fn delta(index: u64, kind: &str, key: &str, piece: &str) -> (&'static str, Value) {
    ev(
        "content_block_delta",
        json!({"type": "content_block_delta", "index": index, "delta": {"type": kind, key: piece}}),
    )
}

fn block(index: u64, content_block: Value) -> (&'static str, Value) {
    ev(
        "content_block_start",
        json!({"type": "content_block_start", "index": index, "content_block": content_block}),
    )
}

fn stop(index: u64) -> (&'static str, Value) {
    ev(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": index}),
    )
}

fn chunk(delta: Value, finish: Value) -> Value {
    json!({"id": "chatcmpl-01S", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4.1",
           "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]})
}

#[test]
fn thinking_text_and_parallel_tools() -> TestResult {
    let (t, got) = run(&[
        ev(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_01S", "type": "message", "role": "assistant",
            "content": [], "model": "claude-sonnet-4-5", "usage": {"input_tokens": 50, "cache_creation_input_tokens": 5,
            "cache_read_input_tokens": 100, "output_tokens": 1}}}),
        ),
        ev("ping", json!({"type": "ping"})),
        block(
            0,
            json!({"type": "thinking", "thinking": "", "signature": ""}),
        ),
        delta(0, "thinking_delta", "thinking", "Weather "),
        delta(0, "thinking_delta", "thinking", "and time."),
        delta(0, "signature_delta", "signature", "EqQBsig=="),
        stop(0),
        block(1, json!({"type": "text", "text": ""})),
        delta(1, "text_delta", "text", "Checking "),
        delta(1, "text_delta", "text", "both."),
        stop(1),
        block(
            2,
            json!({"type": "tool_use", "id": "toolu_A", "name": "get_weather", "input": {}}),
        ),
        delta(2, "input_json_delta", "partial_json", ""),
        delta(2, "input_json_delta", "partial_json", "{\"city\": \"Pa"),
        delta(2, "input_json_delta", "partial_json", "ris\"}"),
        stop(2),
        block(
            3,
            json!({"type": "tool_use", "id": "toolu_B", "name": "now", "input": {}}),
        ),
        stop(3),
        ev(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 42}}),
        ),
        ev("message_stop", json!({"type": "message_stop"})),
    ])?;
    let want = vec![
        chunk(json!({"role": "assistant", "content": ""}), Value::Null),
        chunk(json!({"reasoning_content": "Weather "}), Value::Null),
        chunk(json!({"reasoning_content": "and time."}), Value::Null),
        chunk(
            json!({"thinking_blocks": [{"index": 0, "type": "thinking", "thinking": "Weather and time.", "signature": "EqQBsig=="}]}),
            Value::Null,
        ),
        chunk(json!({"content": "Checking "}), Value::Null),
        chunk(json!({"content": "both."}), Value::Null),
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "toolu_A", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\": \"Pa"}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "ris\"}"}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 1, "id": "toolu_B", "type": "function", "function": {"name": "now", "arguments": ""}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}),
            Value::Null,
        ),
        chunk(json!({}), json!("tool_calls")),
        json!({"id": "chatcmpl-01S", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4.1", "choices": [],
               "usage": {"prompt_tokens": 155, "completion_tokens": 42, "total_tokens": 197, "prompt_tokens_details": {"cached_tokens": 100}}}),
        json!("[DONE]"),
    ];
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "chunk {i}");
    }
    // Arguments assembled per tool-call index parse as JSON objects.
    for index in [0, 1] {
        let args: String = got
            .iter()
            .flat_map(|c| c["choices"].as_array().cloned().unwrap_or_default())
            .flat_map(|c| {
                c["delta"]["tool_calls"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|tc| tc["index"] == index)
            .filter_map(|tc| tc["function"]["arguments"].as_str().map(str::to_owned))
            .collect();
        assert!(
            serde_json::from_str::<Value>(&args)?.is_object(),
            "{index}: {args}"
        );
    }
    let ctx = t.context();
    assert_eq!(
        (ctx.response_id.as_deref(), ctx.model.as_str()),
        (Some("chatcmpl-01S"), "gpt-4.1")
    );
    Ok(())
}

#[test]
fn finish_once_and_done_last() -> TestResult {
    let stop_msg = ev("message_stop", json!({"type": "message_stop"}));
    let (_, got) = run(&[
        ev(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_01S", "usage": {"input_tokens": 1}}}),
        ),
        block(0, json!({"type": "text", "text": "Hi"})),
        ev(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 1}}),
        ),
        stop_msg.clone(),
        stop_msg,
    ])?;
    let finishes: Vec<&Value> = got
        .iter()
        .filter(|c| !c["choices"][0]["finish_reason"].is_null())
        .collect();
    assert_eq!(finishes.len(), 1);
    assert_eq!(finishes[0]["choices"][0]["finish_reason"], "length");
    assert_eq!(got.iter().filter(|c| **c == json!("[DONE]")).count(), 1);
    assert_eq!(got.last(), Some(&json!("[DONE]")));
    assert_eq!(got[1], chunk(json!({"content": "Hi"}), Value::Null));
    Ok(())
}

/// Random streams cut at random byte boundaries: no panic, every payload is JSON, one finish
/// chunk and one `[DONE]` (last) when finished, tool arguments assemble to JSON-ish text.
#[test]
fn random_streams_stay_well_formed() -> TestResult {
    let mut rng = Rng(0xC4A7_0000_1111_2222);
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
        let mut finishes = 0;
        let mut done = 0;
        for (i, (name, data)) in got.iter().enumerate() {
            assert_eq!(name, &None);
            if data == "[DONE]" {
                done += 1;
                assert_eq!(i + 1, got.len(), "[DONE] must be last");
                continue;
            }
            let v: Value = serde_json::from_str(data)?;
            assert_eq!(v["object"], "chat.completion.chunk");
            if v["choices"][0]["finish_reason"].is_string() {
                finishes += 1;
            }
        }
        if finished {
            assert_eq!((finishes, done), (1, 1), "{got:?}");
        } else {
            assert!(finishes <= 1 && done == 0);
        }
    }
    Ok(())
}

//! Stream tests for the Chat-client / Responses-upstream pair. Pure.
//!
//! Exact chunk sequences and a randomized robustness property.

use bytes::Bytes;
use serde_json::{Value, json};

use super::Stream;
use crate::http::sse;
use crate::protocol::convert::Transcoder;

fn decode(frames: &[Bytes]) -> Vec<sse::Event> {
    let mut decoder = sse::Decoder::new(1 << 24);
    let mut events = Vec::new();
    for f in frames {
        if decoder.push(f, &mut events).is_err() {
            panic!("undecodable output");
        }
    }
    events
}

/// One upstream Responses event (with its `event:` name, as OpenAI sends them).
fn upstream(data: &Value) -> sse::Event {
    let name = data["type"].as_str();
    let events = decode(&[sse::encode(name, &data.to_string())]);
    events
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no event"))
}

/// Runs upstream events through a transcoder, then `finish`; returns the client data lines.
fn run(events: &[Value]) -> Vec<String> {
    let mut t = Stream::new("gpt-4.1");
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let mut e = e.clone();
        e["sequence_number"] = json!(i);
        t.push(&upstream(&e), &mut out);
    }
    t.finish(&mut out);
    decode(&out).into_iter().map(|e| e.data).collect()
}

fn parse(data: &str) -> Value {
    serde_json::from_str(data).unwrap_or(Value::Null)
}

fn created() -> Value {
    json!({"type": "response.created", "response": {"id": "resp_77", "object": "response",
           "created_at": 1700000000, "status": "in_progress", "model": "gpt-5", "output": []}})
}

fn fc_added(index: u64, call_id: &str, name: &str) -> Value {
    json!({"type": "response.output_item.added", "output_index": index, "item": {"type": "function_call",
           "id": format!("fc_{index}"), "call_id": call_id, "name": name, "arguments": "", "status": "in_progress"}})
}

fn args_delta(index: u64, delta: &str) -> Value {
    json!({"type": "response.function_call_arguments.delta", "item_id": format!("fc_{index}"),
           "output_index": index, "delta": delta})
}

fn fc_done(index: u64, call_id: &str, name: &str, args: &str) -> Vec<Value> {
    vec![
        json!({"type": "response.function_call_arguments.done", "item_id": format!("fc_{index}"),
               "output_index": index, "name": name, "arguments": args}),
        json!({"type": "response.output_item.done", "output_index": index, "item": {"type": "function_call",
               "id": format!("fc_{index}"), "call_id": call_id, "name": name, "arguments": args, "status": "completed"}}),
    ]
}

fn completed(status: &str, output: Value) -> Value {
    let kind = if status == "incomplete" {
        "response.incomplete"
    } else {
        "response.completed"
    };
    json!({"type": kind, "response": {"id": "resp_77", "object": "response", "created_at": 1700000000,
           "status": status, "model": "gpt-5", "output": output,
           "incomplete_details": if status == "incomplete" { json!({"reason": "max_output_tokens"}) } else { Value::Null },
           "usage": {"input_tokens": 50, "input_tokens_details": {"cached_tokens": 40},
                     "output_tokens": 20, "output_tokens_details": {"reasoning_tokens": 5}, "total_tokens": 70}}})
}

/// The `delta` (or the whole chunk when it has no choice) of each chunk.
fn deltas(data: &[String]) -> Vec<Value> {
    data.iter()
        .map(|d| {
            let v = parse(d);
            match v["choices"].as_array().and_then(|c| c.first()) {
                Some(choice) if choice["finish_reason"].is_string() => {
                    json!({"finish_reason": choice["finish_reason"]})
                }
                Some(choice) => choice["delta"].clone(),
                None if v["usage"].is_object() => json!({"usage": v["usage"]}),
                None => json!(d),
            }
        })
        .collect()
}

#[test]
fn stream_text_and_parallel_tools() {
    let mut events = vec![
        created(),
        json!({"type": "response.in_progress", "response": created()["response"]}),
        json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "message", "id": "msg_0",
               "status": "in_progress", "role": "assistant", "content": []}}),
        json!({"type": "response.content_part.added", "item_id": "msg_0", "output_index": 0, "content_index": 0,
               "part": {"type": "output_text", "text": "", "annotations": []}}),
        json!({"type": "response.output_text.delta", "item_id": "msg_0", "output_index": 0, "content_index": 0, "delta": "Checking"}),
        json!({"type": "response.output_text.delta", "item_id": "msg_0", "output_index": 0, "content_index": 0, "delta": " both."}),
        json!({"type": "response.output_text.done", "item_id": "msg_0", "output_index": 0, "content_index": 0, "text": "Checking both."}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "message", "id": "msg_0",
               "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": "Checking both.", "annotations": []}]}}),
        fc_added(1, "call_p", "get_weather"),
        fc_added(2, "call_r", "get_weather"),
        args_delta(1, "{\"city\":"),
        args_delta(2, "{\"city\":\"Rome\"}"),
        args_delta(1, "\"Paris\"}"),
    ];
    events.extend(fc_done(1, "call_p", "get_weather", "{\"city\":\"Paris\"}"));
    events.extend(fc_done(2, "call_r", "get_weather", "{\"city\":\"Rome\"}"));
    events.push(completed("completed", json!([])));
    let data = run(&events);
    assert_eq!(
        deltas(&data),
        [
            json!({"role": "assistant", "content": ""}),
            json!({"content": "Checking"}),
            json!({"content": " both."}),
            json!({"tool_calls": [{"index": 0, "id": "call_p", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
            json!({"tool_calls": [{"index": 1, "id": "call_r", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
            json!({"tool_calls": [{"index": 1, "function": {"arguments": "{\"city\":\"Rome\"}"}}]}),
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}),
            json!({"finish_reason": "tool_calls"}),
            json!({"usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70,
                   "prompt_tokens_details": {"cached_tokens": 40}, "completion_tokens_details": {"reasoning_tokens": 5}}}),
            json!("[DONE]"),
        ]
    );
    for d in &data[..data.len() - 1] {
        let v = parse(d);
        assert_eq!(v["id"], "chatcmpl-77");
        assert_eq!(v["object"], "chat.completion.chunk");
        assert_eq!(v["created"], 1700000000);
        assert_eq!(v["model"], "gpt-4.1");
    }
    // Assembled arguments parse.
    let mut args = [String::new(), String::new()];
    for d in &data {
        let v = parse(d);
        for tc in v["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let i = tc["index"].as_u64().unwrap_or(9) as usize;
            args[i].push_str(tc["function"]["arguments"].as_str().unwrap_or(""));
        }
    }
    assert_eq!(parse(&args[0]), json!({"city": "Paris"}));
    assert_eq!(parse(&args[1]), json!({"city": "Rome"}));
}

#[test]
fn stream_arguments_only_in_done_and_empty() {
    let mut events = vec![created(), fc_added(0, "call_a", "search")];
    events.extend(fc_done(0, "call_a", "search", "{\"q\":\"x\"}"));
    events.push(fc_added(1, "call_b", "now"));
    events.extend(fc_done(1, "call_b", "now", ""));
    events.push(completed("completed", json!([])));
    let got = deltas(&run(&events));
    assert_eq!(
        got[1..6],
        [
            json!({"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "search", "arguments": ""}}]}),
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"q\":\"x\"}"}}]}),
            json!({"tool_calls": [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "now", "arguments": ""}}]}),
            json!({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}),
            json!({"finish_reason": "tool_calls"}),
        ]
    );
}

#[test]
fn stream_reasoning_refusal_and_length() {
    let events = vec![
        created(),
        json!({"type": "response.reasoning_summary_part.added", "item_id": "rs_0", "output_index": 0, "summary_index": 0,
               "part": {"type": "summary_text", "text": ""}}),
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_0", "output_index": 0, "summary_index": 0, "delta": "Plan."}),
        json!({"type": "response.reasoning_summary_part.added", "item_id": "rs_0", "output_index": 0, "summary_index": 1,
               "part": {"type": "summary_text", "text": ""}}),
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_0", "output_index": 0, "summary_index": 1, "delta": "Act."}),
        json!({"type": "response.refusal.delta", "item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": "No."}),
        json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 1, "content_index": 1, "delta": "Partial"}),
        completed("incomplete", json!([])),
    ];
    let got = deltas(&run(&events));
    assert_eq!(
        got[1..8],
        [
            json!({"reasoning_content": "Plan."}),
            json!({"reasoning_content": "\n\n"}),
            json!({"reasoning_content": "Act."}),
            json!({"refusal": "No."}),
            json!({"content": "Partial"}),
            json!({"finish_reason": "length"}),
            json!({"usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70,
                   "prompt_tokens_details": {"cached_tokens": 40}, "completion_tokens_details": {"reasoning_tokens": 5}}}),
        ]
    );
}

#[test]
fn stream_output_only_in_completed() {
    let output = json!([
        {"type": "message", "id": "m", "role": "assistant", "content": [{"type": "output_text", "text": "Hello"}]},
        {"type": "function_call", "id": "fc", "call_id": "call_z", "name": "f", "arguments": "{\"a\":1}"}
    ]);
    let got = deltas(&run(&[created(), completed("completed", output)]));
    assert_eq!(
        got,
        [
            json!({"role": "assistant", "content": ""}),
            json!({"content": "Hello"}),
            json!({"tool_calls": [{"index": 0, "id": "call_z", "type": "function", "function": {"name": "f", "arguments": ""}}]}),
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\":1}"}}]}),
            json!({"finish_reason": "tool_calls"}),
            got[5].clone(),
            json!("[DONE]"),
        ]
    );
}

#[test]
fn stream_context_and_terminal_once() {
    let boxed: Box<dyn Transcoder> = Box::new(Stream::new("gpt-4.1"));
    assert_eq!(boxed.context().model, "gpt-4.1");
    let mut t = Stream::new("gpt-4.1");
    let mut out = Vec::new();
    t.push(&upstream(&created()), &mut out);
    assert_eq!(t.context().response_id.as_deref(), Some("chatcmpl-77"));
    assert_eq!(t.context().model, "gpt-4.1");
    t.push(&upstream(&completed("completed", json!([]))), &mut out);
    t.push(&upstream(&completed("completed", json!([]))), &mut out);
    t.finish(&mut out);
    t.finish(&mut out);
    let data: Vec<String> = decode(&out).into_iter().map(|e| e.data).collect();
    assert_eq!(
        data.iter()
            .filter(|d| d.contains("finish_reason\":\"stop"))
            .count(),
        1
    );
    assert_eq!(data.iter().filter(|d| *d == "[DONE]").count(), 1);
    assert_eq!(data.len(), 4);
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn random_event(rng: &mut Rng) -> String {
    const TEXT: &[&str] = &["", "hi", "é😀", "\"q\"", "\n", "{", "\\"];
    let text = TEXT[rng.below(TEXT.len())];
    let i = rng.below(3) as u64;
    let v = match rng.below(13) {
        0 => created(),
        1 | 2 => {
            json!({"type": "response.output_text.delta", "item_id": "m", "output_index": 0, "delta": text})
        }
        3 => {
            json!({"type": "response.reasoning_summary_text.delta", "item_id": "r", "delta": text})
        }
        4 => fc_added(i, &format!("call_{i}"), "f"),
        5 | 6 => args_delta(i, text),
        7 => fc_done(i, &format!("call_{i}"), "f", text).remove(rng.below(2)),
        8 => completed(
            ["completed", "incomplete"][rng.below(2)],
            json!([{"type": "function_call", "call_id": "c9", "name": "g"}]),
        ),
        9 => {
            json!({"type": "response.failed", "response": {"error": {"message": "boom", "code": "server_error"}}})
        }
        10 => return "not json".to_owned(),
        11 => {
            json!({"type": "response.output_item.added", "output_index": i, "item": {"type": "custom_tool_call", "call_id": "cc", "name": "p"}})
        }
        _ => {
            json!({"type": "response.custom_tool_call_input.delta", "output_index": i, "delta": text})
        }
    };
    v.to_string()
}

#[test]
fn random_streams_never_panic_and_emit_valid_json() {
    let mut rng = Rng(0xC0FF_EE00);
    for _ in 0..400 {
        let mut wire = Vec::new();
        for _ in 0..rng.below(25) {
            if rng.below(8) == 0 {
                wire.extend_from_slice(&sse::comment("keep-alive"));
            }
            wire.extend_from_slice(&sse::encode(None, &random_event(&mut rng)));
        }
        let mut decoder = sse::Decoder::new(1 << 20);
        let mut t = Stream::new("m");
        let mut out = Vec::new();
        let mut rest = wire.as_slice();
        while !rest.is_empty() {
            let (head, tail) = rest.split_at(rng.below(rest.len()) + 1);
            rest = tail;
            let mut events = Vec::new();
            if decoder.push(head, &mut events).is_err() {
                panic!("decoder refused input");
            }
            for ev in &events {
                t.push(ev, &mut out);
            }
        }
        t.finish(&mut out);
        let data: Vec<String> = decode(&out).into_iter().map(|e| e.data).collect();
        assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
        assert_eq!(data.iter().filter(|d| *d == "[DONE]").count(), 1);
        let mut finishes = 0;
        for d in &data[..data.len() - 1] {
            let v: Value = match serde_json::from_str(d) {
                Ok(v) => v,
                Err(e) => panic!("invalid JSON {e}: {d}"),
            };
            if v["choices"][0]["finish_reason"].is_string() || v.get("error").is_some() {
                finishes += 1;
            }
            for tc in v["choices"][0]["delta"]["tool_calls"]
                .as_array()
                .into_iter()
                .flatten()
            {
                // Only a call's first fragment declares `type`, and it always has an id.
                if tc.get("type").is_some() {
                    assert!(tc["id"].is_string(), "{tc}");
                } else {
                    assert!(
                        tc.get("id").is_none() && tc["function"].get("name").is_none(),
                        "{tc}"
                    );
                }
            }
        }
        assert_eq!(finishes, 1);
    }
}

//! Stream tests for the Responses-client / Chat-upstream pair. Pure.
//!
//! Exact event sequences and a randomized robustness property.

use bytes::Bytes;
use serde_json::{Value, json};

use super::Stream;
use crate::http::sse;
use crate::protocol::convert::Transcoder;

/// Decodes SSE bytes into events.
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

fn upstream(data: &str) -> sse::Event {
    let events = decode(&[sse::encode(None, data)]);
    events
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no event"))
}

/// Runs `chunks` (Chat chunk JSON, or `[DONE]`) through a transcoder, then `finish`.
fn run(chunks: &[Value]) -> Vec<(String, Value)> {
    let mut t = Stream::new("gpt-5-codex");
    let mut out = Vec::new();
    for c in chunks {
        let data = c.as_str().map_or_else(|| c.to_string(), str::to_owned);
        t.push(&upstream(&data), &mut out);
    }
    t.finish(&mut out);
    decode(&out)
        .into_iter()
        .map(|e| {
            let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
            assert_eq!(
                e.event.as_deref(),
                data["type"].as_str(),
                "event name = type"
            );
            (e.event.unwrap_or_default(), data)
        })
        .collect()
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "chatcmpl-42", "object": "chat.completion.chunk", "created": 1700000000, "model": "up",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

fn tool(index: u64, id: Option<&str>, name: Option<&str>, args: &str) -> Value {
    let mut function = json!({"arguments": args});
    if let Some(name) = name {
        function["name"] = json!(name);
    }
    let mut tc = json!({"index": index, "function": function});
    if let Some(id) = id {
        tc["id"] = json!(id);
        tc["type"] = json!("function");
    }
    chunk(json!({"tool_calls": [tc]}), None)
}

fn usage_chunk() -> Value {
    json!({"id": "chatcmpl-42", "object": "chat.completion.chunk", "created": 1700000000, "model": "up",
           "choices": [], "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150,
           "prompt_tokens_details": {"cached_tokens": 100}, "completion_tokens_details": {"reasoning_tokens": 10}}})
}

fn names(events: &[(String, Value)]) -> Vec<(String, Option<u64>)> {
    events
        .iter()
        .map(|(n, d)| (n.clone(), d["output_index"].as_u64()))
        .collect()
}

fn sequence_is_dense(events: &[(String, Value)]) {
    for (i, (_, d)) in events.iter().enumerate() {
        assert_eq!(d["sequence_number"].as_u64(), Some(i as u64), "{d}");
    }
}

#[test]
fn stream_text_and_parallel_tools() {
    let events = run(&[
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(json!({"content": "Let me check"}), None),
        chunk(json!({"content": " both."}), None),
        tool(0, Some("call_a"), Some("get_weather"), ""),
        tool(1, Some("call_b"), Some("get_time"), ""),
        tool(0, None, None, "{\"city\":"),
        tool(1, None, None, "{\"tz\":\"Europe/Rome\"}"),
        tool(0, None, None, "\"Paris\"}"),
        chunk(json!({}), Some("tool_calls")),
        usage_chunk(),
        json!("[DONE]"),
    ]);
    let expected: Vec<(String, Option<u64>)> = [
        ("response.created", None),
        ("response.in_progress", None),
        ("response.output_item.added", Some(0)),
        ("response.content_part.added", Some(0)),
        ("response.output_text.delta", Some(0)),
        ("response.output_text.delta", Some(0)),
        ("response.output_text.done", Some(0)),
        ("response.content_part.done", Some(0)),
        ("response.output_item.done", Some(0)),
        ("response.output_item.added", Some(1)),
        ("response.output_item.added", Some(2)),
        ("response.function_call_arguments.delta", Some(1)),
        ("response.function_call_arguments.delta", Some(2)),
        ("response.function_call_arguments.delta", Some(1)),
        ("response.function_call_arguments.done", Some(1)),
        ("response.output_item.done", Some(1)),
        ("response.function_call_arguments.done", Some(2)),
        ("response.output_item.done", Some(2)),
        ("response.completed", None),
    ]
    .iter()
    .map(|(n, i)| ((*n).to_owned(), *i))
    .collect();
    assert_eq!(names(&events), expected);
    sequence_is_dense(&events);

    let created = &events[0].1["response"];
    assert_eq!(created["id"], "resp_42");
    assert_eq!(created["model"], "gpt-5-codex");
    assert_eq!(created["status"], "in_progress");
    assert_eq!(events[6].1["text"], "Let me check both.");
    assert_eq!(
        events[9].1["item"],
        json!({"type": "function_call", "id": "fc_42_1", "status": "in_progress", "call_id": "call_a",
               "name": "get_weather", "arguments": ""})
    );
    assert_eq!(
        events[14].1,
        json!({"type": "response.function_call_arguments.done", "sequence_number": 14,
               "item_id": "fc_42_1", "output_index": 1, "name": "get_weather",
               "arguments": "{\"city\":\"Paris\"}"})
    );
    let done = &events[18].1["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["output"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        done["output"][0]["content"],
        json!([{"type": "output_text", "text": "Let me check both.", "annotations": []}])
    );
    for (i, city) in [
        (1, json!({"city": "Paris"})),
        (2, json!({"tz": "Europe/Rome"})),
    ] {
        let args = done["output"][i]["arguments"].as_str().unwrap_or("");
        assert_eq!(serde_json::from_str::<Value>(args).ok(), Some(city));
    }
    assert_eq!(
        done["usage"],
        json!({"input_tokens": 120, "input_tokens_details": {"cached_tokens": 100}, "output_tokens": 30,
               "output_tokens_details": {"reasoning_tokens": 10}, "total_tokens": 150})
    );
    let terminal = events
        .iter()
        .filter(|(n, _)| n == "response.completed")
        .count();
    assert_eq!(terminal, 1);
}

#[test]
fn stream_empty_arguments_and_late_name() {
    let events = run(&[
        tool(0, Some("call_x"), None, ""),
        tool(0, None, Some("list_files"), ""),
        // A continuation re-declaring type and name must not announce the call again.
        {
            let mut c = tool(0, Some("call_x"), Some("list_files"), "");
            c["choices"][0]["delta"]["tool_calls"][0]["type"] = json!("function");
            c
        },
        chunk(json!({}), Some("tool_calls")),
        json!("[DONE]"),
    ]);
    let kinds: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(events[2].1["item"]["name"], "list_files");
    assert_eq!(events[3].1["delta"], "{}");
    assert_eq!(events[4].1["arguments"], "{}");
    assert_eq!(events[6].1["response"]["output"][0]["arguments"], "{}");
    assert_eq!(events[6].1["response"]["usage"], Value::Null);
}

#[test]
fn stream_reasoning_then_text_and_length() {
    let events = run(&[
        chunk(
            json!({"role": "assistant", "reasoning_content": "Think"}),
            None,
        ),
        chunk(json!({"reasoning_content": "ing."}), None),
        chunk(json!({"content": "Answer"}), None),
        chunk(json!({}), Some("length")),
    ]);
    let kinds: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.incomplete",
        ]
    );
    sequence_is_dense(&events);
    assert_eq!(
        events[8].1["item"],
        json!({"type": "reasoning", "id": "rs_42_0", "summary": [{"type": "summary_text", "text": "Thinking."}]})
    );
    let last = &events[15].1["response"];
    assert_eq!(last["status"], "incomplete");
    assert_eq!(
        last["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
}

#[test]
fn stream_index_reuse_and_missing_index() {
    // Some servers send every call with index 0 and a new id; others omit the index.
    let mut third = tool(0, Some("call_3"), Some("c"), "{}");
    if let Some(tc) = third["choices"][0]["delta"]["tool_calls"][0].as_object_mut() {
        tc.remove("index");
    }
    let events = run(&[
        tool(0, Some("call_1"), Some("a"), "{\"x\":1}"),
        tool(0, Some("call_2"), Some("b"), "{\"y\":"),
        tool(0, None, None, "2}"),
        third,
        chunk(json!({}), Some("tool_calls")),
        json!("[DONE]"),
    ]);
    let Some((_, done)) = events.last() else {
        panic!("no events")
    };
    let output = &done["response"]["output"];
    let calls: Vec<(Value, Value, Value)> = (0..3)
        .map(|i| {
            (
                output[i]["call_id"].clone(),
                output[i]["name"].clone(),
                output[i]["arguments"].clone(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            (json!("call_1"), json!("a"), json!("{\"x\":1}")),
            (json!("call_2"), json!("b"), json!("{\"y\":2}")),
            (json!("call_3"), json!("c"), json!("{}")),
        ]
    );
}

#[test]
fn stream_namespaced_call_and_context() {
    let boxed: Box<dyn Transcoder> = Box::new(Stream::new("gpt-5-codex"));
    assert_eq!(boxed.context().model, "gpt-5-codex");
    let mut t = Stream::new("gpt-5-codex");
    let mut out = Vec::new();
    assert_eq!(t.context().next_sequence, 0);
    assert_eq!(t.context().response_id, None);
    t.push(
        &upstream(&tool(0, Some("c1"), Some("collab___spawn_agent"), "{}").to_string()),
        &mut out,
    );
    let ctx = t.context();
    assert_eq!(ctx.response_id.as_deref(), Some("resp_42"));
    assert_eq!(ctx.model, "gpt-5-codex");
    assert_eq!(ctx.next_sequence, 4);
    let events = decode(&out);
    let added: Value = serde_json::from_str(&events[2].data).unwrap_or(Value::Null);
    assert_eq!(added["item"]["name"], "spawn_agent");
    assert_eq!(added["item"]["namespace"], "collab");
    // `finish` after the terminal event adds nothing; keep-alives are ignored.
    t.push(&upstream("[DONE]"), &mut out);
    let n = out.len();
    t.finish(&mut out);
    t.push(&upstream("{\"choices\":[]}"), &mut out);
    assert_eq!(out.len(), n);
}

/// Small deterministic PRNG (xorshift64*), so the tests need no extra crates.
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

fn random_chunk(rng: &mut Rng) -> String {
    const TEXT: &[&str] = &["", "hi", "é😀", "\"q\"", "\n", "{", "\\", "</s>"];
    let text = |rng: &mut Rng| TEXT[rng.below(TEXT.len())].to_owned();
    match rng.below(14) {
        0 => chunk(json!({"role": "assistant", "content": ""}), None).to_string(),
        1 | 2 => chunk(json!({"content": text(rng)}), None).to_string(),
        3 => chunk(json!({"reasoning_content": text(rng)}), None).to_string(),
        4 => chunk(json!({"refusal": text(rng)}), None).to_string(),
        5 | 6 => {
            let index = rng.below(3) as u64;
            let id = format!("call_{}", rng.below(4));
            let id = (rng.below(2) == 0).then_some(id.as_str());
            let name = (rng.below(2) == 0).then_some("fn_a___b");
            tool(index, id, name, &text(rng)).to_string()
        }
        7 => {
            let reasons = ["stop", "length", "tool_calls", "content_filter"];
            chunk(json!({}), Some(reasons[rng.below(4)])).to_string()
        }
        8 => usage_chunk().to_string(),
        9 => "[DONE]".to_owned(),
        10 => "{\"error\":{\"message\":\"boom\"}}".to_owned(),
        11 => "not json".to_owned(),
        12 => json!({"choices": [{"index": 1, "delta": {"content": "other"}}]}).to_string(),
        _ => {
            json!({"choices": [{"delta": {"tool_calls": [{"function": {"arguments": {"a": 1}}}]}}]})
                .to_string()
        }
    }
}

#[test]
fn random_streams_never_panic_and_emit_valid_json() {
    let mut rng = Rng(0x5EED_1234);
    for _ in 0..400 {
        let mut wire = Vec::new();
        for _ in 0..rng.below(25) {
            if rng.below(8) == 0 {
                wire.extend_from_slice(&sse::comment("keep-alive"));
            }
            wire.extend_from_slice(&sse::encode(None, &random_chunk(&mut rng)));
        }
        let mut decoder = sse::Decoder::new(1 << 20);
        let mut t = Stream::new("m");
        let mut out = Vec::new();
        let mut rest = wire.as_slice();
        while !rest.is_empty() {
            let cut = rng.below(rest.len()) + 1;
            let (head, tail) = rest.split_at(cut);
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
        let events = decode(&out);
        let mut terminal = 0;
        for (i, ev) in events.iter().enumerate() {
            let data: Value = match serde_json::from_str(&ev.data) {
                Ok(v) => v,
                Err(e) => panic!("invalid JSON {e}: {}", ev.data),
            };
            assert_eq!(data["sequence_number"].as_u64(), Some(i as u64));
            if matches!(
                data["type"].as_str(),
                Some("response.completed" | "response.incomplete")
            ) {
                terminal += 1;
                assert_eq!(i + 1, events.len(), "terminal event is last");
            }
        }
        // Each call's deltas add up to its final arguments.
        let Some(last) = events.last() else {
            panic!("no terminal event")
        };
        let last: Value = serde_json::from_str(&last.data).unwrap_or(Value::Null);
        for item in last["response"]["output"].as_array().into_iter().flatten() {
            if item["type"] != "function_call" {
                continue;
            }
            let mut sum = String::new();
            for ev in &events {
                let d: Value = serde_json::from_str(&ev.data).unwrap_or(Value::Null);
                if d["type"] == "response.function_call_arguments.delta"
                    && d["item_id"] == item["id"]
                {
                    sum.push_str(d["delta"].as_str().unwrap_or(""));
                }
            }
            assert_eq!(Some(sum.as_str()), item["arguments"].as_str());
            assert!(!sum.trim().is_empty());
        }
        assert_eq!(terminal, 1);
        assert_eq!(t.context().next_sequence, events.len() as u64);
    }
}

#[test]
fn stream_custom_tool_call() {
    let first = json!({"index": 0, "id": "call_p", "type": "custom", "custom": {"name": "apply_patch", "input": "*** Begin"}});
    let rest = json!({"index": 0, "custom": {"input": " Patch"}});
    let events = run(&[
        chunk(json!({"tool_calls": [first]}), None),
        chunk(json!({"tool_calls": [rest]}), None),
        chunk(json!({}), Some("tool_calls")),
        json!("[DONE]"),
    ]);
    let kinds: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.custom_tool_call_input.delta",
            "response.custom_tool_call_input.delta",
            "response.custom_tool_call_input.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(events[5].1["input"], "*** Begin Patch");
    assert_eq!(
        events[6].1["item"],
        json!({"type": "custom_tool_call", "id": "ctc_42_0", "status": "completed", "call_id": "call_p",
               "name": "apply_patch", "input": "*** Begin Patch"})
    );
}

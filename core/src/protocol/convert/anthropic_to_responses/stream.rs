//! Transcodes an OpenAI Responses event stream into an Anthropic Messages event stream. Pure.
//!
//! | Responses event | Anthropic output |
//! |---|---|
//! | `response.created` | `message_start` (id from the response id; usage zeros, output 1) |
//! | `response.reasoning_summary_text.delta` / `response.reasoning_text.delta` | `thinking` block, `thinking_delta` (summary parts separated by a blank line) |
//! | `response.output_item.done` (reasoning) | `signature_delta` ([`super::response::signature`] of `encrypted_content`), `content_block_stop` |
//! | `response.output_text.delta` / `response.refusal.delta` | `text` block, `text_delta` |
//! | `response.output_item.added` (function_call) | `tool_use` block (id = `call_id`, name) |
//! | `response.function_call_arguments.delta` | `input_json_delta` |
//! | `response.function_call_arguments.done` / `output_item.done` | any arguments not streamed yet; the block stops |
//! | `response.completed` / `response.incomplete` | `message_delta` (stop reason, usage) + `message_stop` |
//!
//! Blocks follow [`super::emit::Writer`]'s rules. Items are keyed by `output_index` (or, when
//! absent, their item id). Error events never reach a transcoder (the relay ends the stream).

use bytes::Bytes;
use serde_json::Value;

use super::super::Transcoder;
use super::emit::Writer;
use super::response;
use crate::http::sse;
use crate::protocol::json::Literal;
use crate::protocol::openai_responses::{Delta, DeltaKind, Deltas};
use crate::protocol::{StreamContext, Usage};

/// The Responses → Anthropic stream transcoder.
#[derive(Debug)]
pub struct Stream {
    writer: Writer,
    model: String,
    /// Item ids seen without an `output_index`, for keys.
    item_ids: Vec<String>,
    /// Items (keys) that streamed text or reasoning deltas.
    streamed: Vec<u64>,
    /// Last reasoning summary index per item key.
    summary_index: Vec<(u64, u64)>,
    deltas: Deltas,
}

impl Stream {
    /// A transcoder showing `client_model` to the client.
    pub fn new(client_model: &str) -> Self {
        Self {
            writer: Writer::new(client_model),
            model: client_model.to_owned(),
            item_ids: Vec::new(),
            streamed: Vec::new(),
            summary_index: Vec::new(),
            deltas: Deltas::default(),
        }
    }

    fn key(&mut self, data: &Value) -> u64 {
        if let Some(i) = data.get("output_index").and_then(Value::as_u64) {
            return i;
        }
        let id = data
            .get("item_id")
            .or_else(|| data.pointer("/item/id"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let pos = match self.item_ids.iter().position(|s| s == id) {
            Some(p) => p,
            None => {
                self.item_ids.push(id.to_owned());
                self.item_ids.len() - 1
            }
        };
        (1 << 32) + pos as u64
    }

    /// Text and argument deltas (nearly every event) read with the byte scanner instead of a
    /// JSON tree, when they carry an `output_index`. True when the event was handled.
    fn fast_delta(&mut self, event: &sse::Event, out: &mut Vec<Bytes>) -> bool {
        let Some(Delta {
            kind,
            output_index: Some(key),
            delta,
        }) = self.deltas.read(event)
        else {
            return false;
        };
        if kind == DeltaKind::Arguments {
            self.writer.tool_args(key, &delta.text, out);
        } else {
            self.mark_streamed(key);
            self.writer.text(key, &delta, out);
        }
        true
    }

    fn mark_streamed(&mut self, key: u64) {
        if !self.streamed.contains(&key) {
            self.streamed.push(key);
        }
    }

    fn thinking(&mut self, key: u64, data: &Value, out: &mut Vec<Bytes>) {
        let Some(delta) = data.get("delta").and_then(Value::as_str) else {
            return;
        };
        let index = data
            .get("summary_index")
            .or_else(|| data.get("content_index"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let last = self.summary_index.iter_mut().find(|(k, _)| *k == key);
        let changed = match last {
            Some((_, i)) => std::mem::replace(i, index) != index,
            None => {
                self.summary_index.push((key, index));
                false
            }
        };
        if changed && self.writer.thinking_written(key) {
            self.writer.thinking(key, "\n\n", out);
        }
        self.mark_streamed(key);
        self.writer.thinking(key, delta, out);
    }

    /// Writes whatever part of the complete `arguments` was not streamed yet.
    fn catch_up_arguments(&mut self, key: u64, arguments: &str, out: &mut Vec<Bytes>) {
        let received = self.writer.tool_args_received(key);
        if let Some(rest) = arguments.strip_prefix(received)
            && !rest.is_empty()
        {
            let rest = rest.to_owned();
            self.writer.tool_args(key, &rest, out);
        }
    }

    fn item_done(&mut self, key: u64, item: &Value, out: &mut Vec<Bytes>) {
        let field = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("");
        match field("type") {
            "function_call" => {
                self.writer.tool(key, field("call_id"), field("name"), out);
                let arguments = field("arguments").to_owned();
                self.catch_up_arguments(key, &arguments, out);
            }
            "reasoning" => {
                if !self.streamed.contains(&key) {
                    let texts: Vec<&str> = item
                        .get("summary")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p.get("text").and_then(Value::as_str))
                        .collect();
                    let text = texts.join("\n\n");
                    self.writer.thinking(key, &text, out);
                }
                let sig = response::signature(field("encrypted_content"));
                if !sig.is_empty() {
                    self.writer.signature(key, &sig, out);
                }
            }
            "message" if !self.streamed.contains(&key) => {
                for part in item
                    .get("content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let text = part
                        .get("text")
                        .or_else(|| part.get("refusal"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    self.writer.text(key, &Literal::new(text), out);
                }
            }
            _ => {}
        }
        self.writer.end(key, out);
    }
}

impl Transcoder for Stream {
    fn push(&mut self, event: &sse::Event, out: &mut Vec<Bytes>) {
        if event.is_comment_only || event.data.is_empty() || self.writer.finished() {
            return;
        }
        if self.fast_delta(event, out) {
            return;
        }
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
            return;
        };
        let kind = event
            .event
            .as_deref()
            .filter(|e| !e.is_empty())
            .or_else(|| data.get("type").and_then(Value::as_str))
            .unwrap_or("")
            .to_owned();
        match kind.as_str() {
            "response.created" | "response.in_progress" => {
                let id = data.pointer("/response/id").and_then(Value::as_str);
                self.writer.start(id, out);
            }
            "response.output_item.added" => {
                let key = self.key(&data);
                let item = data.get("item").unwrap_or(&Value::Null);
                let field = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("");
                if field("type") == "function_call" {
                    self.writer.tool(key, field("call_id"), field("name"), out);
                    let arguments = field("arguments").to_owned();
                    self.catch_up_arguments(key, &arguments, out);
                }
            }
            "response.output_text.delta" | "response.refusal.delta" => {
                let key = self.key(&data);
                if let Some(delta) = data.get("delta").and_then(Value::as_str) {
                    self.mark_streamed(key);
                    self.writer.text(key, &Literal::new(delta), out);
                }
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                let key = self.key(&data);
                self.thinking(key, &data, out);
            }
            "response.function_call_arguments.delta" => {
                let key = self.key(&data);
                if let Some(delta) = data.get("delta").and_then(Value::as_str) {
                    self.writer.tool_args(key, delta, out);
                }
            }
            "response.function_call_arguments.done" => {
                let key = self.key(&data);
                if let Some(arguments) = data.get("arguments").and_then(Value::as_str) {
                    self.catch_up_arguments(key, arguments, out);
                }
            }
            "response.output_item.done" => {
                let key = self.key(&data);
                let item = data.get("item").cloned().unwrap_or(Value::Null);
                self.item_done(key, &item, out);
            }
            "response.completed" | "response.incomplete" => {
                let resp = data.get("response").unwrap_or(&Value::Null);
                self.writer
                    .start(resp.get("id").and_then(Value::as_str), out);
                let stop = response::stop_reason(resp, self.writer.has_tool_use());
                let usage = response::usage(resp.get("usage"));
                self.writer.finish(stop, &usage, out);
            }
            _ => {}
        }
    }

    fn finish(&mut self, out: &mut Vec<Bytes>) {
        if !self.writer.finished() {
            let stop = if self.writer.has_tool_use() {
                "tool_use"
            } else {
                "end_turn"
            };
            self.writer.finish(stop, &Usage::default(), out);
        }
    }

    fn context(&self) -> StreamContext {
        StreamContext {
            response_id: Some(self.writer.id().to_owned()),
            model: self.model.clone(),
            next_sequence: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde_json::{Value, json};

    use super::super::emit::check;
    use super::Stream;
    use crate::http::sse;
    use crate::protocol::convert::Transcoder;

    fn ev(data: &Value) -> sse::Event {
        let name = data["type"].as_str().unwrap_or("");
        let mut out = Vec::new();
        let mut d = sse::Decoder::new(1 << 20);
        if d.push(&sse::encode(Some(name), &data.to_string()), &mut out)
            .is_err()
        {
            panic!("encode");
        }
        out.pop().unwrap_or_else(|| panic!("no event"))
    }

    fn run(events: &[Value]) -> Vec<(String, Value)> {
        let mut t = Stream::new("claude-sonnet-4-5");
        let mut frames: Vec<Bytes> = Vec::new();
        for e in events {
            t.push(&ev(e), &mut frames);
        }
        t.finish(&mut frames);
        let mut again = Vec::new();
        t.finish(&mut again);
        assert!(again.is_empty(), "finish wrote twice");
        check::events(&frames)
    }

    fn added(i: u64, item: Value) -> Value {
        json!({"type": "response.output_item.added", "output_index": i, "item": item})
    }

    fn done(i: u64, item: Value) -> Value {
        json!({"type": "response.output_item.done", "output_index": i, "item": item})
    }

    fn args(i: u64, delta: &str) -> Value {
        json!({"type": "response.function_call_arguments.delta", "output_index": i, "item_id": format!("fc_{i}"), "delta": delta})
    }

    fn block_delta(index: u64, delta: Value) -> (String, Value) {
        (
            "content_block_delta".into(),
            json!({"type": "content_block_delta", "index": index, "delta": delta}),
        )
    }

    fn block_start(index: u64, block: Value) -> (String, Value) {
        (
            "content_block_start".into(),
            json!({"type": "content_block_start", "index": index, "content_block": block}),
        )
    }

    fn block_stop(index: u64) -> (String, Value) {
        (
            "content_block_stop".into(),
            json!({"type": "content_block_stop", "index": index}),
        )
    }

    #[test]
    fn stream_reasoning_text_and_two_function_calls() {
        let upstream = vec![
            json!({"type": "response.created", "sequence_number": 0, "response": {"id": "resp_abc", "status": "in_progress", "output": []}}),
            json!({"type": "response.in_progress", "sequence_number": 1, "response": {"id": "resp_abc"}}),
            added(0, json!({"type": "reasoning", "id": "rs_1", "summary": []})),
            json!({"type": "response.reasoning_summary_part.added", "output_index": 0, "item_id": "rs_1", "summary_index": 0, "part": {"type": "summary_text", "text": ""}}),
            json!({"type": "response.reasoning_summary_text.delta", "output_index": 0, "item_id": "rs_1", "summary_index": 0, "delta": "Need to "}),
            json!({"type": "response.reasoning_summary_text.delta", "output_index": 0, "item_id": "rs_1", "summary_index": 0, "delta": "list files."}),
            json!({"type": "response.reasoning_summary_text.done", "output_index": 0, "item_id": "rs_1", "summary_index": 0, "text": "Need to list files."}),
            json!({"type": "response.reasoning_summary_part.added", "output_index": 0, "item_id": "rs_1", "summary_index": 1, "part": {"type": "summary_text", "text": ""}}),
            json!({"type": "response.reasoning_summary_text.delta", "output_index": 0, "item_id": "rs_1", "summary_index": 1, "delta": "Then read."}),
            done(
                0,
                json!({"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Need to list files."}, {"type": "summary_text", "text": "Then read."}], "encrypted_content": "gAAAA123"}),
            ),
            added(
                1,
                json!({"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []}),
            ),
            json!({"type": "response.content_part.added", "output_index": 1, "item_id": "msg_1", "content_index": 0, "part": {"type": "output_text", "text": ""}}),
            json!({"type": "response.output_text.delta", "output_index": 1, "item_id": "msg_1", "content_index": 0, "delta": "Let me look."}),
            json!({"type": "response.output_text.done", "output_index": 1, "item_id": "msg_1", "content_index": 0, "text": "Let me look."}),
            done(
                1,
                json!({"type": "message", "id": "msg_1", "role": "assistant", "status": "completed", "content": [{"type": "output_text", "text": "Let me look."}]}),
            ),
            added(
                2,
                json!({"type": "function_call", "id": "fc_2", "call_id": "call_A", "name": "Bash", "arguments": "", "status": "in_progress"}),
            ),
            args(2, "{\"command\":"),
            args(2, "\"ls\"}"),
            json!({"type": "response.function_call_arguments.done", "output_index": 2, "item_id": "fc_2", "arguments": "{\"command\":\"ls\"}"}),
            done(
                2,
                json!({"type": "function_call", "id": "fc_2", "call_id": "call_A", "name": "Bash", "arguments": "{\"command\":\"ls\"}", "status": "completed"}),
            ),
            added(
                3,
                json!({"type": "function_call", "id": "fc_3", "call_id": "call_B", "name": "Read", "arguments": ""}),
            ),
            args(3, "{\"file_"),
            args(3, "path\": \"/a"),
            args(3, "\"}"),
            json!({"type": "response.function_call_arguments.done", "output_index": 3, "item_id": "fc_3", "arguments": "{\"file_path\": \"/a\"}"}),
            done(
                3,
                json!({"type": "function_call", "id": "fc_3", "call_id": "call_B", "name": "Read", "arguments": "{\"file_path\": \"/a\"}"}),
            ),
            json!({"type": "response.completed", "response": {"id": "resp_abc", "status": "completed",
            "usage": {"input_tokens": 1200, "input_tokens_details": {"cached_tokens": 1000}, "output_tokens": 90, "output_tokens_details": {"reasoning_tokens": 40}}}}),
        ];
        let got = run(&upstream);
        let expected = vec![
            (
                "message_start".to_owned(),
                json!({"type": "message_start", "message": {
            "id": "msg_abc", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}}}),
            ),
            block_start(
                0,
                json!({"type": "thinking", "thinking": "", "signature": ""}),
            ),
            block_delta(0, json!({"type": "thinking_delta", "thinking": "Need to "})),
            block_delta(
                0,
                json!({"type": "thinking_delta", "thinking": "list files."}),
            ),
            block_delta(0, json!({"type": "thinking_delta", "thinking": "\n\n"})),
            block_delta(
                0,
                json!({"type": "thinking_delta", "thinking": "Then read."}),
            ),
            block_delta(
                0,
                json!({"type": "signature_delta", "signature": "openai-reasoning.v1:gAAAA123"}),
            ),
            block_stop(0),
            block_start(1, json!({"type": "text", "text": ""})),
            block_delta(1, json!({"type": "text_delta", "text": "Let me look."})),
            block_stop(1),
            block_start(
                2,
                json!({"type": "tool_use", "id": "call_A", "name": "Bash", "input": {}}),
            ),
            block_delta(
                2,
                json!({"type": "input_json_delta", "partial_json": "{\"command\":"}),
            ),
            block_delta(
                2,
                json!({"type": "input_json_delta", "partial_json": "\"ls\"}"}),
            ),
            block_stop(2),
            block_start(
                3,
                json!({"type": "tool_use", "id": "call_B", "name": "Read", "input": {}}),
            ),
            block_delta(
                3,
                json!({"type": "input_json_delta", "partial_json": "{\"file_"}),
            ),
            block_delta(
                3,
                json!({"type": "input_json_delta", "partial_json": "path\": \"/a"}),
            ),
            block_delta(
                3,
                json!({"type": "input_json_delta", "partial_json": "\"}"}),
            ),
            block_stop(3),
            (
                "message_delta".to_owned(),
                json!({"type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": null},
            "usage": {"input_tokens": 200, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1000, "output_tokens": 90}}),
            ),
            ("message_stop".to_owned(), json!({"type": "message_stop"})),
        ];
        assert_eq!(got, expected);
        let blocks = check::validate(&got);
        assert_eq!(blocks[2]["input"], json!({"command": "ls"}));
        assert_eq!(blocks[3]["input"], json!({"file_path": "/a"}));
    }

    #[test]
    fn stream_empty_arguments_and_arguments_only_in_done() {
        let got = run(&[
            json!({"type": "response.created", "response": {"id": "resp_e"}}),
            added(
                0,
                json!({"type": "function_call", "call_id": "c0", "name": "now", "arguments": ""}),
            ),
            done(
                0,
                json!({"type": "function_call", "call_id": "c0", "name": "now", "arguments": ""}),
            ),
            added(
                1,
                json!({"type": "function_call", "call_id": "c1", "name": "read", "arguments": ""}),
            ),
            json!({"type": "response.function_call_arguments.done", "output_index": 1, "arguments": "{\"p\":1}"}),
            done(
                1,
                json!({"type": "function_call", "call_id": "c1", "name": "read", "arguments": "{\"p\":1}"}),
            ),
            json!({"type": "response.completed", "response": {"id": "resp_e", "status": "completed"}}),
        ]);
        let blocks = check::validate(&got);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0]["input"], json!({}));
        assert_eq!(blocks[1]["input"], json!({"p": 1}));
        assert!(got.contains(&block_delta(
            0,
            json!({"type": "input_json_delta", "partial_json": "{}"})
        )));
    }

    #[test]
    fn stream_cut_mid_arguments_stays_valid() {
        let got = run(&[
            json!({"type": "response.created", "response": {"id": "resp_c"}}),
            json!({"type": "response.output_text.delta", "output_index": 0, "delta": "Writing"}),
            added(
                1,
                json!({"type": "function_call", "call_id": "c", "name": "Write", "arguments": ""}),
            ),
            args(1, "{\"content\":\"line1\\"),
            json!({"type": "response.incomplete", "response": {"id": "resp_c", "status": "incomplete",
            "incomplete_details": {"reason": "max_output_tokens"}, "usage": {"input_tokens": 3, "output_tokens": 7}}}),
        ]);
        let blocks = check::validate(&got);
        assert_eq!(blocks[0]["text"], "Writing");
        assert_eq!(blocks[1]["input"], json!({"content": "line1\\"}));
        let Some((_, delta)) = got.iter().find(|(n, _)| n == "message_delta") else {
            panic!("no message_delta");
        };
        assert_eq!(delta["delta"]["stop_reason"], "max_tokens");
    }

    #[test]
    fn stream_context_and_finish_without_terminal() {
        let mut t = Stream::new("claude-x");
        let mut frames = Vec::new();
        t.push(
            &ev(&json!({"type": "response.created", "response": {"id": "resp_q"}})),
            &mut frames,
        );
        let c = t.context();
        assert_eq!(c.response_id.as_deref(), Some("msg_q"));
        assert_eq!(c.model, "claude-x");
        assert_eq!(c.next_sequence, 0);
        t.push(
            &ev(&json!({"type": "response.output_text.delta", "output_index": 0, "delta": "hi"})),
            &mut frames,
        );
        t.finish(&mut frames);
        let got = check::events(&frames);
        check::validate(&got);
        assert_eq!(got.last().map(|(n, _)| n.as_str()), Some("message_stop"));
        // Nothing after message_stop.
        let before = frames.len();
        t.push(
            &ev(&json!({"type": "response.output_text.delta", "output_index": 0, "delta": "late"})),
            &mut frames,
        );
        assert_eq!(frames.len(), before);
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
    }

    fn pick(rng: &mut Rng, items: &[&'static str]) -> &'static str {
        items[rng.below(items.len() as u64) as usize]
    }

    fn random_event(rng: &mut Rng) -> String {
        const FRAGMENTS: &[&str] = &[
            "{", "\"a\"", ":", "1", "}", "\"x\\", "[", "]", ",", "tr", "ue", "", "é", " ",
            "\"\\u00",
        ];
        let i = rng.below(4);
        let frag = FRAGMENTS[rng.below(FRAGMENTS.len() as u64) as usize];
        let ids = ["", "call_1", "call_2"];
        let names = ["", "Bash", "Read"];
        let v = match rng.below(14) {
            0 => json!({"type": "response.created", "response": {"id": "resp_r"}}),
            1 => added(
                i,
                json!({"type": "function_call", "call_id": ids[rng.below(3) as usize], "name": names[rng.below(3) as usize], "arguments": frag}),
            ),
            2 => added(
                i,
                json!({"type": pick(rng, &["reasoning", "message", "web_search_call"])}),
            ),
            3 | 4 => args(i, frag),
            5 => json!({"type": "response.output_text.delta", "output_index": i, "delta": frag}),
            6 => {
                json!({"type": "response.reasoning_summary_text.delta", "output_index": i, "summary_index": rng.below(2), "delta": frag})
            }
            7 => {
                json!({"type": "response.function_call_arguments.done", "output_index": i, "arguments": frag})
            }
            8 => done(
                i,
                json!({"type": "function_call", "call_id": ids[rng.below(3) as usize], "name": names[rng.below(3) as usize], "arguments": frag}),
            ),
            9 => done(
                i,
                json!({"type": "reasoning", "summary": [{"text": frag}], "encrypted_content": pick(rng, &["", "enc"])}),
            ),
            10 => done(
                i,
                json!({"type": "message", "content": [{"type": "output_text", "text": frag}]}),
            ),
            11 => {
                json!({"type": pick(rng, &["response.completed", "response.incomplete"]), "response": {"status": "incomplete", "usage": {"input_tokens": 5, "input_tokens_details": {"cached_tokens": 9}}}})
            }
            12 => {
                return format!(
                    "data: {{\"type\": \"response.output_text.delta\", \"delta\": {frag}\n\n"
                );
            }
            _ => return ": keep-alive\n\n".to_owned(),
        };
        let name = v["type"].as_str().unwrap_or("").to_owned();
        if rng.below(3) == 0 {
            format!("data: {v}\n\n")
        } else {
            format!("event: {name}\ndata: {v}\n\n")
        }
    }

    #[test]
    fn random_streams_never_panic_and_stay_valid() {
        let mut rng = Rng(0x00C0_FFEE);
        for _ in 0..1_000 {
            let mut raw = String::new();
            for _ in 0..rng.below(40) {
                raw.push_str(&random_event(&mut rng));
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
            let evs = check::events(&frames);
            check::validate(&evs);
            let _ = t.context();
        }
    }
}

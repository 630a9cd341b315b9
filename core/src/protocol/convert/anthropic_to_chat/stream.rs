//! Transcodes an OpenAI Chat Completions chunk stream into an Anthropic Messages event
//! stream. Pure.
//!
//! | Chat chunk | Anthropic output |
//! |---|---|
//! | the first chunk | `message_start` (id from the chunk id; usage zeros, output 1) |
//! | `delta.reasoning_content` / `delta.reasoning` | `thinking` block, `thinking_delta` (no signature) |
//! | `delta.content` / `delta.refusal` | `text` block, `text_delta` |
//! | `delta.tool_calls[i]` | one `tool_use` block per call: `id` / `function.name` from the first fragment that has them, `function.arguments` → `input_json_delta` |
//! | `finish_reason` | remembered for the stop reason |
//! | `usage` (the last chunk, `choices: []`) | remembered for `message_delta` |
//! | `[DONE]` | `message_delta` (stop reason, usage) + `message_stop` |
//!
//! Tool calls are keyed by `index`; later fragments that repeat `id`, `type` or `name` add
//! nothing. A fragment whose `id` differs from the one its index already has starts a new call
//! (servers that send every call at index 0). Parallel calls whose fragments interleave become
//! separate blocks: the first streams, the others are buffered until it holds a complete
//! object (see `emit::Writer`); text streams at once unless a tool block is mid-arguments.

use bytes::Bytes;
use serde_json::Value;

use super::super::Transcoder;
use super::super::anthropic_to_responses::emit::Writer;
use super::response;
use crate::http::sse;
use crate::protocol::openai_chat::TextChunks;
use crate::protocol::{EventInfo, StreamContext, Usage, json};

const TEXT: u64 = u64::MAX;
const THINKING: u64 = u64::MAX - 1;

/// The Chat Completions → Anthropic stream transcoder.
#[derive(Debug)]
pub struct Stream {
    writer: Writer,
    model: String,
    /// `(tool_calls index, writer key, id)`, the latest call per index last.
    calls: Vec<(u64, u64, String)>,
    next_key: u64,
    finish_reason: Option<String>,
    usage: Usage,
    text: TextChunks,
}

impl Stream {
    /// A transcoder showing `client_model` to the client.
    pub fn new(client_model: &str) -> Self {
        Self {
            writer: Writer::new(client_model),
            model: client_model.to_owned(),
            calls: Vec::new(),
            next_key: 0,
            finish_reason: None,
            usage: Usage::default(),
            text: TextChunks::default(),
        }
    }

    /// The writer key for a fragment at `index` carrying `id` (maybe empty).
    fn call_key(&mut self, index: u64, id: &str) -> u64 {
        if let Some((_, key, known)) = self.calls.iter_mut().rev().find(|(i, _, _)| *i == index)
            && (id.is_empty() || known.is_empty() || known == id)
        {
            if known.is_empty() {
                *known = id.to_owned();
            }
            return *key;
        }
        let key = self.next_key;
        self.next_key += 1;
        self.calls.push((index, key, id.to_owned()));
        key
    }

    fn tool_calls(&mut self, calls: &[Value], out: &mut Vec<Bytes>) {
        for (pos, call) in calls.iter().enumerate() {
            let field = |p: &str| call.pointer(p).and_then(Value::as_str).unwrap_or("");
            let index = call
                .get("index")
                .and_then(Value::as_u64)
                .unwrap_or(pos as u64);
            let (id, name) = (field("/id").to_owned(), field("/function/name").to_owned());
            let key = self.call_key(index, &id);
            self.writer.tool(key, &id, &name, out);
            let arguments = field("/function/arguments").to_owned();
            self.writer.tool_args(key, &arguments, out);
        }
    }

    fn close(&mut self, out: &mut Vec<Bytes>) {
        let stop = response::stop_reason(self.finish_reason.as_deref(), self.writer.has_tool_use());
        let usage = self.usage;
        self.writer.finish(stop, &usage, out);
    }
}

impl Stream {
    /// A plain text chunk (see [`TextChunks`]) without a JSON tree. True when the chunk was
    /// handled.
    fn fast_text(&mut self, event: &sse::Event, out: &mut Vec<Bytes>) -> bool {
        let Some((id, text)) = self.text.read(&event.data) else {
            return false;
        };
        self.writer.start(id.as_deref(), out);
        self.writer.text(TEXT, &text, out);
        true
    }
}

impl Transcoder for Stream {
    fn push_observed(&mut self, event: &sse::Event, info: &EventInfo, out: &mut Vec<Bytes>) {
        // The tap read a plain text chunk already: its text, without a second read.
        if let Some(found) = info.text
            && self.writer.started()
            && let Some(text) = found.literal(&event.data)
        {
            self.writer.text(TEXT, &text, out);
            return;
        }
        self.push(event, out);
    }

    fn push(&mut self, event: &sse::Event, out: &mut Vec<Bytes>) {
        if self.writer.finished() || event.is_comment_only {
            return;
        }
        if event.is_done() {
            self.close(out);
            return;
        }
        if self.fast_text(event, out) {
            return;
        }
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
            return;
        };
        if !data.is_object() || data.get("error").is_some() {
            return;
        }
        self.writer
            .start(data.get("id").and_then(Value::as_str), out);
        if let Some(u) = data.get("usage").filter(|u| u.is_object()) {
            self.usage = response::usage(Some(u));
        }
        let Some(choice) = data.get("choices").and_then(Value::as_array).and_then(|c| {
            c.iter()
                .find(|ch| ch.get("index").and_then(Value::as_u64).unwrap_or(0) == 0)
        }) else {
            return;
        };
        let delta = choice.get("delta").unwrap_or(&Value::Null);
        if let Some(thinking) = response::reasoning_text(delta) {
            self.writer.thinking(THINKING, thinking, out);
        }
        for key in ["content", "refusal"] {
            if let Some(text) = delta.get(key).and_then(Value::as_str) {
                self.writer.text(TEXT, &json::Literal::new(text), out);
            }
        }
        if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
            self.tool_calls(calls, out);
        }
        if let Some(f) = delta.get("function_call").filter(|f| f.is_object()) {
            let call = serde_json::json!({"index": 0, "function": f});
            self.tool_calls(std::slice::from_ref(&call), out);
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.to_owned());
        }
    }

    fn finish(&mut self, out: &mut Vec<Bytes>) {
        if !self.writer.finished() {
            self.close(out);
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

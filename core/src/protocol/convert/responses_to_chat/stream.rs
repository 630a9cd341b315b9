//! Chat Completions chunks → Responses events (client Responses, upstream Chat). Pure and
//! stateful: one [`Stream`] per response.
//!
//! Emits `response.created` and `response.in_progress` on the first chunk, then one output item
//! per reasoning run, text run and tool call (`output_item.added`, the part/delta events,
//! `*.done`, `output_item.done`), numbering every event from `sequence_number` 0. Items are
//! closed when `finish_reason` arrives; `response.completed` (or `response.incomplete` for
//! `length` / `content_filter`) is sent once, on `[DONE]` or in `finish`, with the usage chunk
//! that Chat servers send after `finish_reason`. A tool call is announced once its name is
//! known; later fragments only extend its arguments; arguments still empty at the end become
//! `{}` so that the assembled arguments always parse.

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::{id_base, set_tool_name, status, usage};
use crate::http::sse;
use crate::protocol::convert::Transcoder;
use crate::protocol::json::Literal;
use crate::protocol::openai_chat::TextChunks;
use crate::protocol::openai_responses::TextDeltaWriter;
use crate::protocol::{EventInfo, StreamContext};

/// A content part of a message item.
struct Part {
    refusal: bool,
    text: String,
}

enum Kind {
    Reasoning {
        text: String,
    },
    Message {
        parts: Vec<Part>,
        /// The last part has not had its `*.done` events yet.
        part_open: bool,
    },
    Call {
        /// The upstream's `tool_calls[].index`.
        key: u64,
        call_id: String,
        /// `call_id` came from the upstream (not made up while waiting for it).
        has_id: bool,
        name: String,
        args: String,
        custom: bool,
        announced: bool,
    },
}

struct Item {
    id: String,
    kind: Kind,
    done: bool,
}

/// Transcodes a Chat Completions stream into Responses events.
pub struct Stream {
    model: String,
    seq: u64,
    started: bool,
    finished: bool,
    response_id: Option<String>,
    base: String,
    created: u64,
    items: Vec<Item>,
    open_message: Option<usize>,
    open_reasoning: Option<usize>,
    finish_reason: Option<String>,
    usage: Option<Value>,
    text: TextChunks,
    text_deltas: TextDeltaWriter,
    /// The answer's escaped text, which the closing events repeat.
    repeats: crate::protocol::json::Repeats,
}

impl Stream {
    /// A transcoder showing `client_model` to the client.
    pub fn new(client_model: &str) -> Self {
        Self {
            model: client_model.to_owned(),
            seq: 0,
            started: false,
            finished: false,
            response_id: None,
            base: id_base(None),
            created: 0,
            items: Vec::new(),
            open_message: None,
            open_reasoning: None,
            finish_reason: None,
            usage: None,
            text: TextChunks::default(),
            text_deltas: TextDeltaWriter::default(),
            repeats: crate::protocol::json::Repeats::default(),
        }
    }

    fn emit(&mut self, out: &mut Vec<Bytes>, kind: &str, fields: Value) {
        let mut m = match fields {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        m.insert("type".into(), json!(kind));
        m.insert("sequence_number".into(), json!(self.seq));
        self.seq += 1;
        let data = Value::Object(m);
        out.push(crate::protocol::frame::event_with(
            Some(kind),
            &data,
            &mut self.repeats,
        ));
    }

    fn response_json(&self, status: &str, incomplete: Value, output: Vec<Value>) -> Value {
        // Moved in, not copied: `output` holds the whole answer.
        super::super::object([
            (
                "id",
                self.response_id.as_deref().unwrap_or("resp_relay").into(),
            ),
            ("object", "response".into()),
            ("created_at", self.created.into()),
            ("status", status.into()),
            ("error", Value::Null),
            ("incomplete_details", incomplete),
            ("model", self.model.as_str().into()),
            ("output", Value::Array(output)),
            ("usage", self.usage.clone().unwrap_or(Value::Null)),
        ])
    }

    fn ensure_started(&mut self, chunk: Option<&Value>, out: &mut Vec<Bytes>) {
        if self.started {
            return;
        }
        self.started = true;
        let chunk = chunk.unwrap_or(&Value::Null);
        self.base = id_base(chunk.get("id").and_then(Value::as_str));
        self.response_id = Some(format!("resp_{}", self.base));
        self.created = chunk.get("created").and_then(Value::as_u64).unwrap_or(0);
        let response = self.response_json("in_progress", Value::Null, Vec::new());
        self.emit(
            out,
            "response.created",
            super::super::object([("response", response.clone())]),
        );
        self.emit(
            out,
            "response.in_progress",
            super::super::object([("response", response)]),
        );
    }

    /// The item as it appears in `output_item.*` events and the final `output`.
    fn item_json(&self, idx: usize) -> Value {
        let Some(item) = self.items.get(idx) else {
            return Value::Null;
        };
        let state = if item.done {
            "completed"
        } else {
            "in_progress"
        };
        match &item.kind {
            Kind::Reasoning { text } => {
                let summary = if item.done {
                    json!([{"type": "summary_text", "text": text}])
                } else {
                    json!([])
                };
                json!({"type": "reasoning", "id": item.id, "summary": summary})
            }
            Kind::Message { parts, .. } => {
                let content: Vec<Value> = if item.done {
                    parts.iter().map(part_json).collect()
                } else {
                    Vec::new()
                };
                super::super::object([
                    ("type", "message".into()),
                    ("id", item.id.as_str().into()),
                    ("status", state.into()),
                    ("role", "assistant".into()),
                    ("content", Value::Array(content)),
                ])
            }
            Kind::Call {
                call_id,
                name,
                args,
                custom,
                ..
            } => {
                let mut m = Map::new();
                let args = if item.done { args.as_str() } else { "" };
                if *custom {
                    m.insert("type".into(), json!("custom_tool_call"));
                    m.insert("id".into(), json!(item.id));
                    m.insert("status".into(), json!(state));
                    m.insert("call_id".into(), json!(call_id));
                    set_tool_name(&mut m, name);
                    m.insert("input".into(), json!(args));
                } else {
                    m.insert("type".into(), json!("function_call"));
                    m.insert("id".into(), json!(item.id));
                    m.insert("status".into(), json!(state));
                    m.insert("call_id".into(), json!(call_id));
                    set_tool_name(&mut m, name);
                    m.insert("arguments".into(), json!(args));
                }
                Value::Object(m)
            }
        }
    }

    fn add_item(&mut self, prefix: &str, kind: Kind) -> usize {
        let idx = self.items.len();
        self.items.push(Item {
            id: format!("{prefix}_{}_{idx}", self.base),
            kind,
            done: false,
        });
        idx
    }

    fn item_id(&self, idx: usize) -> String {
        self.items
            .get(idx)
            .map(|i| i.id.clone())
            .unwrap_or_default()
    }

    fn reasoning_delta(&mut self, text: &str, out: &mut Vec<Bytes>) {
        if let Some(m) = self.open_message.take() {
            self.close_item(m, out);
        }
        let idx = match self.open_reasoning {
            Some(idx) => idx,
            None => {
                let idx = self.add_item(
                    "rs",
                    Kind::Reasoning {
                        text: String::new(),
                    },
                );
                self.open_reasoning = Some(idx);
                let item = self.item_json(idx);
                self.emit(
                    out,
                    "response.output_item.added",
                    super::super::object([("output_index", idx.into()), ("item", item)]),
                );
                let id = self.item_id(idx);
                self.emit(
                    out,
                    "response.reasoning_summary_part.added",
                    json!({"item_id": id, "output_index": idx, "summary_index": 0, "part": {"type": "summary_text", "text": ""}}),
                );
                idx
            }
        };
        if let Some(Item {
            kind: Kind::Reasoning { text: acc },
            ..
        }) = self.items.get_mut(idx)
        {
            acc.push_str(text);
        }
        let id = self.item_id(idx);
        self.emit(
            out,
            "response.reasoning_summary_text.delta",
            json!({"item_id": id, "output_index": idx, "summary_index": 0, "delta": text}),
        );
    }

    fn text_delta(&mut self, literal: &Literal<'_>, refusal: bool, out: &mut Vec<Bytes>) {
        let text: &str = &literal.text;
        if let Some(r) = self.open_reasoning.take() {
            self.close_item(r, out);
        }
        let idx = match self.open_message {
            Some(idx) => idx,
            None => {
                let kind = Kind::Message {
                    parts: Vec::new(),
                    part_open: false,
                };
                let idx = self.add_item("msg", kind);
                self.open_message = Some(idx);
                let item = self.item_json(idx);
                self.emit(
                    out,
                    "response.output_item.added",
                    super::super::object([("output_index", idx.into()), ("item", item)]),
                );
                idx
            }
        };
        let (same, open) = match self.items.get(idx).map(|i| &i.kind) {
            Some(Kind::Message { parts, part_open }) => (
                parts.last().is_some_and(|p| p.refusal == refusal),
                *part_open,
            ),
            _ => return,
        };
        if open && !same {
            self.close_part(idx, out);
        }
        let mut content_index = 0;
        if let Some(Item {
            kind: Kind::Message { parts, part_open },
            ..
        }) = self.items.get_mut(idx)
        {
            if !(open && same) {
                parts.push(Part {
                    refusal,
                    text: String::new(),
                });
                *part_open = true;
            }
            content_index = parts.len().saturating_sub(1);
            if let Some(p) = parts.last_mut() {
                p.text.push_str(text);
            }
        }
        if !(open && same) {
            let id = self.item_id(idx);
            let empty = part_json(&Part {
                refusal,
                text: String::new(),
            });
            self.emit(
                out,
                "response.content_part.added",
                json!({"item_id": id, "output_index": idx, "content_index": content_index, "part": empty}),
            );
        }
        if refusal {
            let id = self.item_id(idx);
            let fields = json!({"item_id": id, "output_index": idx, "content_index": content_index, "delta": text});
            self.emit(out, "response.refusal.delta", fields);
        } else {
            let items = &self.items;
            let item_id = || items.get(idx).map(|i| i.id.clone()).unwrap_or_default();
            out.push(
                self.text_deltas
                    .event((idx, content_index), item_id, literal, self.seq),
            );
            self.seq += 1;
        }
    }

    fn close_part(&mut self, idx: usize, out: &mut Vec<Bytes>) {
        let Some(Item {
            id,
            kind: Kind::Message { parts, part_open },
            ..
        }) = self.items.get_mut(idx)
        else {
            return;
        };
        if !*part_open {
            return;
        }
        *part_open = false;
        let id = id.clone();
        let content_index = parts.len().saturating_sub(1);
        let Some(part) = parts.last() else {
            return;
        };
        let (refusal, text, full) = (part.refusal, part.text.clone(), part_json(part));
        if refusal {
            self.emit(
                out,
                "response.refusal.done",
                json!({"item_id": id, "output_index": idx, "content_index": content_index, "refusal": text}),
            );
        } else {
            self.emit(
                out,
                "response.output_text.done",
                json!({"item_id": id, "output_index": idx, "content_index": content_index, "text": text, "logprobs": []}),
            );
        }
        self.emit(
            out,
            "response.content_part.done",
            super::super::object([
                ("item_id", id.into()),
                ("output_index", idx.into()),
                ("content_index", content_index.into()),
                ("part", full),
            ]),
        );
    }

    fn tool_delta(&mut self, tc: &Value, out: &mut Vec<Bytes>) {
        if let Some(r) = self.open_reasoning.take() {
            self.close_item(r, out);
        }
        if let Some(m) = self.open_message.take() {
            self.close_item(m, out);
        }
        let custom_def = tc.get("custom");
        let custom =
            tc.get("type").and_then(Value::as_str) == Some("custom") || custom_def.is_some();
        let def = if custom {
            custom_def
        } else {
            tc.get("function")
        }
        .unwrap_or(&Value::Null);
        let frag_name = def.get("name").and_then(Value::as_str).unwrap_or("");
        let frag_args = match def.get(if custom { "input" } else { "arguments" }) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let id = tc
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let key = tc.get("index").and_then(Value::as_u64);

        let idx = match self.find_call(key, id) {
            Some(idx) if self.items.get(idx).is_some_and(|i| i.done) => return,
            Some(idx) => idx,
            None => {
                let next_key = key.unwrap_or_else(|| {
                    let keys = self.items.iter().filter_map(|i| match i.kind {
                        Kind::Call { key, .. } => Some(key + 1),
                        _ => None,
                    });
                    keys.max().unwrap_or(0)
                });
                let n = self.items.len();
                let kind = Kind::Call {
                    key: next_key,
                    call_id: id.map_or_else(|| format!("call_{}_{n}", self.base), str::to_owned),
                    has_id: id.is_some(),
                    name: String::new(),
                    args: String::new(),
                    custom,
                    announced: false,
                };
                self.add_item(if custom { "ctc" } else { "fc" }, kind)
            }
        };
        let mut announce = false;
        let mut delta = String::new();
        let mut call_custom = custom;
        if let Some(Item {
            kind:
                Kind::Call {
                    call_id,
                    has_id,
                    name,
                    args,
                    announced,
                    custom,
                    ..
                },
            ..
        }) = self.items.get_mut(idx)
        {
            call_custom = *custom;
            if let Some(id) = id.filter(|_| !*has_id && !*announced) {
                *call_id = id.to_owned();
                *has_id = true;
            }
            if name.is_empty() && !*announced {
                *name = frag_name.to_owned();
            }
            args.push_str(&frag_args);
            if !*announced && !name.is_empty() {
                *announced = true;
                announce = true;
                delta = args.clone();
            } else if *announced {
                delta = frag_args;
            }
        }
        if announce {
            let item = self.item_json(idx);
            self.emit(
                out,
                "response.output_item.added",
                super::super::object([("output_index", idx.into()), ("item", item)]),
            );
        }
        if !delta.is_empty() {
            self.args_delta(idx, call_custom, &delta, out);
        }
    }

    /// The call a tool-call fragment belongs to: by `index` (a different upstream id under the
    /// same index is a new call, as some servers reuse index 0), else by id, else the last call.
    fn find_call(&self, key: Option<u64>, id: Option<&str>) -> Option<usize> {
        self.items.iter().rposition(|item| match &item.kind {
            Kind::Call {
                key: k,
                call_id,
                has_id,
                ..
            } => match (key, id) {
                (Some(key), Some(id)) => *k == key && (!*has_id || call_id == id),
                (Some(key), None) => *k == key,
                (None, Some(id)) => call_id == id,
                (None, None) => true,
            },
            _ => false,
        })
    }

    fn args_delta(&mut self, idx: usize, custom: bool, delta: &str, out: &mut Vec<Bytes>) {
        let id = self.item_id(idx);
        let kind = if custom {
            "response.custom_tool_call_input.delta"
        } else {
            "response.function_call_arguments.delta"
        };
        self.emit(
            out,
            kind,
            json!({"item_id": id, "output_index": idx, "delta": delta}),
        );
    }

    fn close_item(&mut self, idx: usize, out: &mut Vec<Bytes>) {
        if self.items.get(idx).is_none_or(|i| i.done) {
            return;
        }
        if self.open_message == Some(idx) {
            self.open_message = None;
        }
        if self.open_reasoning == Some(idx) {
            self.open_reasoning = None;
        }
        let id = self.item_id(idx);
        match self.items.get(idx).map(|i| &i.kind) {
            Some(Kind::Reasoning { text }) => {
                let text = text.clone();
                self.emit(
                    out,
                    "response.reasoning_summary_text.done",
                    json!({"item_id": id, "output_index": idx, "summary_index": 0, "text": text}),
                );
                self.emit(
                    out,
                    "response.reasoning_summary_part.done",
                    json!({"item_id": id, "output_index": idx, "summary_index": 0, "part": {"type": "summary_text", "text": text}}),
                );
            }
            Some(Kind::Message { .. }) => self.close_part(idx, out),
            Some(Kind::Call { .. }) => self.close_call(idx, &id, out),
            None => return,
        }
        if let Some(item) = self.items.get_mut(idx) {
            item.done = true;
        }
        let item = self.item_json(idx);
        self.emit(
            out,
            "response.output_item.done",
            super::super::object([("output_index", idx.into()), ("item", item)]),
        );
    }

    fn close_call(&mut self, idx: usize, id: &str, out: &mut Vec<Bytes>) {
        let Some(Item {
            kind:
                Kind::Call {
                    args,
                    custom,
                    announced,
                    name,
                    ..
                },
            ..
        }) = self.items.get_mut(idx)
        else {
            return;
        };
        let custom = *custom;
        let was_announced = std::mem::replace(announced, true);
        let buffered = if was_announced {
            String::new()
        } else {
            args.clone()
        };
        let fill = !custom && args.trim().is_empty();
        if fill {
            args.push_str("{}");
        }
        let (args, name) = (args.clone(), name.clone());
        if !was_announced {
            let item = self.item_json(idx);
            self.emit(
                out,
                "response.output_item.added",
                super::super::object([("output_index", idx.into()), ("item", item)]),
            );
            if !buffered.is_empty() {
                self.args_delta(idx, custom, &buffered, out);
            }
        }
        if fill {
            self.args_delta(idx, custom, "{}", out);
        }
        if custom {
            self.emit(
                out,
                "response.custom_tool_call_input.done",
                json!({"item_id": id, "output_index": idx, "input": args}),
            );
        } else {
            let mut fields = json!({"item_id": id, "output_index": idx, "arguments": args});
            if let Some(m) = fields.as_object_mut() {
                set_tool_name(m, &name);
                m.remove("namespace");
            }
            self.emit(out, "response.function_call_arguments.done", fields);
        }
    }

    fn close_all(&mut self, out: &mut Vec<Bytes>) {
        for idx in 0..self.items.len() {
            self.close_item(idx, out);
        }
    }

    fn complete(&mut self, out: &mut Vec<Bytes>) {
        if self.finished {
            return;
        }
        self.ensure_started(None, out);
        self.close_all(out);
        let (status, incomplete) = status(self.finish_reason.as_deref());
        let output = (0..self.items.len()).map(|i| self.item_json(i)).collect();
        let response = self.response_json(status, incomplete, output);
        let kind = if status == "completed" {
            "response.completed"
        } else {
            "response.incomplete"
        };
        self.emit(out, kind, super::super::object([("response", response)]));
        self.finished = true;
    }

    fn chunk(&mut self, chunk: &Value, out: &mut Vec<Bytes>) {
        self.ensure_started(Some(chunk), out);
        if let Some(u) = chunk.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(usage(u));
        }
        let choices = chunk.get("choices").and_then(Value::as_array);
        for choice in choices.into_iter().flatten() {
            if choice.get("index").and_then(Value::as_u64).unwrap_or(0) != 0 {
                continue;
            }
            let delta = choice.get("delta").unwrap_or(&Value::Null);
            let reasoning = ["reasoning_content", "reasoning"].iter().find_map(|k| {
                delta
                    .get(*k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            });
            if let Some(text) = reasoning {
                self.reasoning_delta(text, out);
            }
            if let Some(text) = delta
                .get("content")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                self.text_delta(&Literal::new(text), false, out);
            }
            if let Some(text) = delta
                .get("refusal")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                self.text_delta(&Literal::new(text), true, out);
            }
            if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
                for tc in calls {
                    self.tool_delta(tc, out);
                }
            }
            if let Some(f) = delta.get("function_call").filter(|f| f.is_object()) {
                self.tool_delta(&json!({"index": 0, "function": f}), out);
            }
            if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                self.finish_reason = Some(reason.to_owned());
                self.close_all(out);
            }
        }
    }
}

fn part_json(part: &Part) -> Value {
    if part.refusal {
        json!({"type": "refusal", "refusal": part.text})
    } else {
        json!({"type": "output_text", "text": part.text, "annotations": []})
    }
}

impl Transcoder for Stream {
    fn push_observed(&mut self, event: &sse::Event, info: &EventInfo, out: &mut Vec<Bytes>) {
        // The tap read a plain text chunk already: its text, without a second read.
        if let Some(found) = info.text
            && self.started
            && !self.finished
            && let Some(text) = found.literal(&event.data)
        {
            if !text.text.is_empty() {
                self.text_delta(&text, false, out);
            }
            return;
        }
        self.push(event, out);
    }

    fn push(&mut self, event: &sse::Event, out: &mut Vec<Bytes>) {
        if self.finished || event.is_comment_only || event.data.trim().is_empty() {
            return;
        }
        if event.is_done() {
            self.complete(out);
            return;
        }
        // Plain text chunks (nearly all of them, once the answer started) skip the JSON tree.
        if self.started
            && let Some((_, text)) = self.text.read(&event.data)
        {
            if !text.text.is_empty() {
                self.text_delta(&text, false, out);
            }
            return;
        }
        let Ok(chunk) = serde_json::from_str::<Value>(&event.data) else {
            return;
        };
        if chunk.is_object() && chunk.get("error").is_none() {
            self.chunk(&chunk, out);
        }
    }

    fn finish(&mut self, out: &mut Vec<Bytes>) {
        self.complete(out);
    }

    fn context(&self) -> StreamContext {
        StreamContext {
            response_id: self.response_id.clone(),
            model: self.model.clone(),
            next_sequence: self.seq,
        }
    }
}

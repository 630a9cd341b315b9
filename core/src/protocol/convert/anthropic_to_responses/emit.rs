//! Writes Anthropic Messages output (shared with `anthropic_to_chat`): the complete message
//! JSON, and [`Writer`], the stream state machine that turns "this upstream slot produced
//! text / reasoning / tool-call arguments" into exactly the Anthropic event sequence. Pure.
//!
//! Stream guarantees: `message_start` first; blocks indexed 0, 1, 2, ... and never overlapping
//! (a block is stopped before the next starts); no empty text blocks; every `tool_use` block
//! has a non-empty id and name and its `partial_json` fragments assemble to one JSON object
//! ([`JsonGuard`]); one `message_delta` (stop reason, cumulative usage) and one `message_stop`,
//! after which nothing is written.
//!
//! Upstream slots (a Responses output item, a Chat `tool_calls[index]`) may interleave. Text
//! and thinking stream at once; a block may be stopped early to let another start, except a
//! `tool_use` block whose arguments are not yet a complete object: then the newcomer's output
//! is buffered and flushed, in arrival order, once the tool block can be stopped.

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::json_guard::JsonGuard;
use crate::http::sse;
use crate::protocol::Usage;
use crate::protocol::json::Literal;

/// The Anthropic message id for an upstream response id: `msg_` + the id without its
/// `resp_` / `chatcmpl-` / `msg_` prefix, keeping only `[A-Za-z0-9_-]`.
pub(in crate::protocol::convert) fn message_id(upstream: Option<&str>) -> String {
    let raw = upstream.unwrap_or("");
    let bare = ["resp_", "chatcmpl-", "msg_"]
        .iter()
        .find_map(|p| raw.strip_prefix(p))
        .unwrap_or(raw);
    let clean: String = bare
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if clean.is_empty() {
        "msg_relay".to_owned()
    } else {
        format!("msg_{clean}")
    }
}

/// Anthropic's `usage` object for `usage` (input already excludes cached tokens).
pub(in crate::protocol::convert) fn usage_json(usage: &Usage) -> Value {
    json!({
        "input_tokens": usage.input,
        "cache_creation_input_tokens": usage.cache_write,
        "cache_read_input_tokens": usage.cache_read,
        "output_tokens": usage.output,
    })
}

/// One content block of a complete message.
#[derive(Clone, Debug, PartialEq)]
pub(in crate::protocol::convert) enum Block {
    Thinking {
        thinking: String,
        signature: String,
    },
    Text(String),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

impl Block {
    fn to_json(&self) -> Value {
        match self {
            Block::Thinking {
                thinking,
                signature,
            } => json!({"type": "thinking", "thinking": thinking, "signature": signature}),
            Block::Text(text) => json!({"type": "text", "text": text}),
            Block::ToolUse { id, name, input } => {
                json!({"type": "tool_use", "id": id, "name": name, "input": input})
            }
        }
    }
}

/// A tool call's arguments text as the `input` object (see [`JsonGuard`]).
pub(in crate::protocol::convert) fn tool_input(arguments: &str) -> Value {
    serde_json::from_str(&super::json_guard::complete(arguments))
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::Object(Map::new()))
}

/// A complete Anthropic message.
pub(in crate::protocol::convert) fn message_json(
    id: &str,
    model: &str,
    blocks: &[Block],
    stop_reason: &str,
    usage: &Usage,
) -> Vec<u8> {
    let content: Vec<Value> = blocks.iter().map(Block::to_json).collect();
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage_json(usage),
    })
    .to_string()
    .into_bytes()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Thinking,
    Tool,
}

#[derive(Debug)]
struct Slot {
    key: u64,
    kind: Kind,
    /// Output received but not yet written (the block was not open).
    pending: String,
    /// The block is open now (its index).
    open: Option<u32>,
    /// A block was written for this slot at some point.
    opened: bool,
    /// The upstream said the slot is finished.
    done: bool,
    /// Tool blocks: stopped for good (text and thinking may start a new block).
    closed: bool,
    id: String,
    name: String,
    signature: Option<String>,
    guard: JsonGuard,
    /// Tool slots: every arguments fragment received, as received.
    raw: String,
}

impl Slot {
    /// Whether this slot has output to write and no open block to write it into.
    fn wants_block(&self) -> bool {
        if self.open.is_some() || self.closed {
            return false;
        }
        match self.kind {
            Kind::Text => !self.pending.is_empty(),
            Kind::Thinking => {
                !self.pending.is_empty() || (self.done && !self.opened && self.signature.is_some())
            }
            Kind::Tool => !self.name.is_empty(),
        }
    }
}

/// The Anthropic stream state machine (see the module docs).
#[derive(Debug)]
pub(in crate::protocol::convert) struct Writer {
    id: String,
    model: String,
    started: bool,
    finished: bool,
    next_index: u32,
    /// The slot whose block is open (position in `slots`).
    open: Option<usize>,
    slots: Vec<Slot>,
    /// A `tool_use` block was written.
    saw_tool: bool,
    /// The start of the last `content_block_delta` written, up to its text: the same for
    /// every delta of a block.
    delta_head: DeltaHead,
}

impl Writer {
    /// A writer for a message shown as `model`.
    pub fn new(model: &str) -> Self {
        Self {
            id: message_id(None),
            model: model.to_owned(),
            started: false,
            finished: false,
            next_index: 0,
            open: None,
            slots: Vec::new(),
            saw_tool: false,
            delta_head: DeltaHead::default(),
        }
    }

    /// The message id (final once `message_start` was written).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether `message_stop` was written.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Whether `message_start` was written.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Whether a `tool_use` block was written or is waiting to be.
    pub fn has_tool_use(&self) -> bool {
        self.saw_tool
            || self
                .slots
                .iter()
                .any(|s| s.kind == Kind::Tool && !s.name.is_empty())
    }

    /// Writes `message_start` (once) with the id derived from `upstream_id`.
    pub fn start(&mut self, upstream_id: Option<&str>, out: &mut Vec<Bytes>) {
        if self.started || self.finished {
            return;
        }
        self.started = true;
        if upstream_id.is_some() {
            self.id = message_id(upstream_id);
        }
        let data = json!({
            "type": "message_start",
            "message": {
                "id": self.id,
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {
                    "input_tokens": 0,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 1,
                },
            },
        });
        out.push(crate::protocol::frame::event(Some("message_start"), &data));
    }

    fn slot(&mut self, key: u64, kind: Kind) -> usize {
        if let Some(i) = self
            .slots
            .iter()
            .position(|s| s.key == key && s.kind == kind)
        {
            return i;
        }
        self.slots.push(Slot {
            key,
            kind,
            pending: String::new(),
            open: None,
            opened: false,
            done: false,
            closed: false,
            id: String::new(),
            name: String::new(),
            signature: None,
            guard: JsonGuard::new(),
            raw: String::new(),
        });
        self.slots.len() - 1
    }

    /// Text for slot `key`.
    pub fn text(&mut self, key: u64, delta: &Literal<'_>, out: &mut Vec<Bytes>) {
        self.content(key, Kind::Text, delta, out);
    }

    /// Reasoning text for slot `key`.
    pub fn thinking(&mut self, key: u64, delta: &str, out: &mut Vec<Bytes>) {
        self.content(key, Kind::Thinking, &Literal::new(delta), out);
    }

    fn content(&mut self, key: u64, kind: Kind, delta: &Literal<'_>, out: &mut Vec<Bytes>) {
        if self.finished || delta.text.is_empty() {
            return;
        }
        self.start(None, out);
        let i = self.slot(key, kind);
        self.write_or_buffer(i, delta, out);
    }

    fn write_or_buffer(&mut self, i: usize, delta: &Literal<'_>, out: &mut Vec<Bytes>) {
        let Some(slot) = self.slots.get_mut(i) else {
            return;
        };
        match slot.open {
            Some(index) => {
                let kind = slot.kind;
                self.delta_head.emit(kind, index, delta, out);
            }
            None => {
                slot.pending.push_str(&delta.text);
                self.pump(out);
            }
        }
    }

    /// Has slot `key` been seen as a thinking slot (so a separator may be needed)?
    pub fn thinking_written(&self, key: u64) -> bool {
        self.slots.iter().any(|s| {
            s.key == key && s.kind == Kind::Thinking && (s.opened || !s.pending.is_empty())
        })
    }

    /// The signature of slot `key`'s thinking block, written before the block stops.
    pub fn signature(&mut self, key: u64, signature: &str, out: &mut Vec<Bytes>) {
        if self.finished {
            return;
        }
        self.start(None, out);
        let i = self.slot(key, Kind::Thinking);
        if let Some(slot) = self.slots.get_mut(i) {
            slot.signature = Some(signature.to_owned());
        }
    }

    /// A tool call in slot `key`; `id` or `name` may be empty when not known yet (a later
    /// call fills them in). A missing id is made up from the message id when the block starts.
    pub fn tool(&mut self, key: u64, id: &str, name: &str, out: &mut Vec<Bytes>) {
        if self.finished {
            return;
        }
        self.start(None, out);
        let i = self.slot(key, Kind::Tool);
        if let Some(slot) = self.slots.get_mut(i)
            && slot.open.is_none()
            && !slot.closed
        {
            if slot.id.is_empty() {
                slot.id = id.to_owned();
            }
            if slot.name.is_empty() {
                slot.name = name.to_owned();
            }
        }
        self.pump(out);
    }

    /// The raw arguments text received so far for tool slot `key`.
    pub fn tool_args_received(&self, key: u64) -> &str {
        self.slots
            .iter()
            .find(|s| s.key == key && s.kind == Kind::Tool)
            .map_or("", |s| s.raw.as_str())
    }

    /// Arguments text for tool slot `key`.
    pub fn tool_args(&mut self, key: u64, fragment: &str, out: &mut Vec<Bytes>) {
        if self.finished || fragment.is_empty() {
            return;
        }
        self.start(None, out);
        let i = self.slot(key, Kind::Tool);
        let Some(slot) = self.slots.get_mut(i) else {
            return;
        };
        slot.raw.push_str(fragment);
        if slot.closed {
            return;
        }
        let accepted = slot.guard.feed(fragment).to_owned();
        if accepted.is_empty() {
            return;
        }
        self.write_or_buffer(i, &Literal::new(accepted), out);
        // A complete object lets a waiting slot go ahead.
        self.pump(out);
    }

    /// Slot `key` is finished: its block is stopped (when open) and waiting output flushed.
    pub fn end(&mut self, key: u64, out: &mut Vec<Bytes>) {
        if self.finished {
            return;
        }
        for slot in self.slots.iter_mut().filter(|s| s.key == key) {
            slot.done = true;
        }
        if let Some(open) = self.open
            && self.slots.get(open).is_some_and(|s| s.key == key)
        {
            self.stop_open(out);
        }
        self.pump(out);
    }

    /// Ends every slot, then writes `message_delta` and `message_stop` (once).
    pub fn finish(&mut self, stop_reason: &str, usage: &Usage, out: &mut Vec<Bytes>) {
        if self.finished {
            return;
        }
        self.start(None, out);
        for slot in &mut self.slots {
            slot.done = true;
        }
        self.stop_open(out);
        self.pump(out);
        self.stop_open(out);
        let delta = json!({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": null},
            "usage": usage_json(usage),
        });
        out.push(crate::protocol::frame::event(Some("message_delta"), &delta));
        out.push(sse::encode(
            Some("message_stop"),
            r#"{"type":"message_stop"}"#,
        ));
        self.finished = true;
    }

    /// Whether the open block may be stopped to let another start.
    fn open_yields(&self) -> bool {
        let Some(slot) = self.open.and_then(|i| self.slots.get(i)) else {
            return true;
        };
        slot.kind != Kind::Tool || slot.done || slot.guard.is_complete()
    }

    /// Starts blocks for waiting slots, in arrival order, while the open block allows it.
    fn pump(&mut self, out: &mut Vec<Bytes>) {
        while let Some(next) = self.slots.iter().position(Slot::wants_block) {
            if !self.open_yields() {
                return;
            }
            self.stop_open(out);
            self.begin(next, out);
            if self.slots.get(next).is_some_and(|s| s.done) {
                self.stop_open(out);
            } else {
                return;
            }
        }
    }

    fn begin(&mut self, i: usize, out: &mut Vec<Bytes>) {
        let index = self.next_index;
        let fallback_id = format!("toolu_{}_{index}", self.id.trim_start_matches("msg_"));
        let Some(slot) = self.slots.get_mut(i) else {
            return;
        };
        self.next_index += 1;
        self.open = Some(i);
        slot.open = Some(index);
        slot.opened = true;
        let block = match slot.kind {
            Kind::Text => json!({"type": "text", "text": ""}),
            Kind::Thinking => json!({"type": "thinking", "thinking": "", "signature": ""}),
            Kind::Tool => {
                if slot.id.is_empty() {
                    slot.id = fallback_id;
                }
                self.saw_tool = true;
                json!({"type": "tool_use", "id": slot.id, "name": slot.name, "input": {}})
            }
        };
        let start = json!({"type": "content_block_start", "index": index, "content_block": block});
        out.push(crate::protocol::frame::event(
            Some("content_block_start"),
            &start,
        ));
        let pending = std::mem::take(&mut slot.pending);
        if !pending.is_empty() {
            self.delta_head
                .emit(slot.kind, index, &Literal::new(pending), out);
        }
    }

    fn stop_open(&mut self, out: &mut Vec<Bytes>) {
        let Some(slot) = self.open.take().and_then(|i| self.slots.get_mut(i)) else {
            return;
        };
        let Some(index) = slot.open.take() else {
            return;
        };
        match slot.kind {
            Kind::Tool => {
                let rest = slot.guard.completion();
                if !rest.is_empty() {
                    self.delta_head
                        .emit(Kind::Tool, index, &Literal::new(rest), out);
                }
                slot.closed = true;
            }
            Kind::Thinking => {
                if let Some(sig) = slot.signature.take().filter(|s| !s.is_empty()) {
                    let d = json!({
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "signature_delta", "signature": sig},
                    });
                    out.push(crate::protocol::frame::event(
                        Some("content_block_delta"),
                        &d,
                    ));
                }
            }
            Kind::Text => {}
        }
        let stop = json!({"type": "content_block_stop", "index": index});
        out.push(crate::protocol::frame::event(
            Some("content_block_stop"),
            &stop,
        ));
    }
}

/// Writes `content_block_delta` events in Anthropic's own member order without a JSON tree
/// (nearly every event of a stream is one), keeping the bytes before the text of the block
/// written last.
#[derive(Debug, Default)]
struct DeltaHead {
    block: Option<(Kind, u32)>,
    head: Vec<u8>,
    frames: crate::protocol::frame::Frames,
}

impl DeltaHead {
    fn emit(&mut self, kind: Kind, index: u32, text: &Literal<'_>, out: &mut Vec<Bytes>) {
        use crate::protocol::frame::Piece;
        if self.block != Some((kind, index)) {
            let (delta_type, field) = match kind {
                Kind::Text => ("text_delta", "text"),
                Kind::Thinking => ("thinking_delta", "thinking"),
                Kind::Tool => ("input_json_delta", "partial_json"),
            };
            self.head = format!(
                "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"{delta_type}\",\"{field}\":"
            )
            .into_bytes();
            self.block = Some((kind, index));
        }
        out.push(self.frames.frame(&[
            Piece::Raw(&self.head),
            Piece::literal(text),
            Piece::Raw(b"}}\n\n"),
        ]));
    }
}

/// Test support shared by both pairs: decoding written events and checking the sequence.
#[cfg(test)]
pub(in crate::protocol::convert) mod check {
    use bytes::Bytes;
    use serde_json::Value;

    use crate::http::sse;

    /// Decodes written frames into `(event name, data JSON)`.
    pub fn events(frames: &[Bytes]) -> Vec<(String, Value)> {
        let mut decoder = sse::Decoder::new(1 << 24);
        let mut evs = Vec::new();
        for f in frames {
            if decoder.push(f, &mut evs).is_err() {
                panic!("undecodable frame");
            }
        }
        evs.into_iter()
            .map(|e| {
                let Ok(v) = serde_json::from_str::<Value>(&e.data) else {
                    panic!("data is not JSON: {}", e.data);
                };
                (e.event.unwrap_or_default(), v)
            })
            .collect()
    }

    /// Checks the Anthropic sequence rules; returns the assembled content blocks.
    pub fn validate(evs: &[(String, Value)]) -> Vec<Value> {
        let names: Vec<&str> = evs.iter().map(|(n, _)| n.as_str()).collect();
        for (name, data) in evs {
            assert_eq!(data["type"].as_str(), Some(name.as_str()), "{data}");
        }
        if names.is_empty() {
            return Vec::new();
        }
        assert_eq!(names.first(), Some(&"message_start"), "{names:?}");
        assert_eq!(names.iter().filter(|n| **n == "message_start").count(), 1);
        let stops = names.iter().filter(|n| **n == "message_stop").count();
        assert!(stops <= 1, "{names:?}");
        if stops == 1 {
            assert_eq!(names.last(), Some(&"message_stop"), "{names:?}");
            let n = names.len();
            assert_eq!(
                names.get(n.wrapping_sub(2)),
                Some(&"message_delta"),
                "{names:?}"
            );
            assert_eq!(names.iter().filter(|n| **n == "message_delta").count(), 1);
        }
        let mut blocks: Vec<Value> = Vec::new();
        let mut partial: Vec<String> = Vec::new();
        let mut open: Option<usize> = None;
        for (name, d) in evs {
            match name.as_str() {
                "content_block_start" => {
                    assert!(open.is_none(), "overlapping blocks");
                    let index = d["index"].as_u64().unwrap_or(u64::MAX) as usize;
                    assert_eq!(index, blocks.len(), "indices must be 0, 1, 2, ...");
                    let block = d["content_block"].clone();
                    if block["type"] == "tool_use" {
                        assert!(!block["id"].as_str().unwrap_or("").is_empty());
                        assert!(!block["name"].as_str().unwrap_or("").is_empty());
                    }
                    blocks.push(block);
                    partial.push(String::new());
                    open = Some(index);
                }
                "content_block_delta" => {
                    let index = d["index"].as_u64().unwrap_or(u64::MAX) as usize;
                    assert_eq!(open, Some(index), "delta outside its block");
                    let (Some(block), Some(json)) = (blocks.get_mut(index), partial.get_mut(index))
                    else {
                        panic!("no block {index}");
                    };
                    let delta = &d["delta"];
                    match (block["type"].as_str(), delta["type"].as_str()) {
                        (Some("text"), Some("text_delta")) => {
                            let t = format!(
                                "{}{}",
                                block["text"].as_str().unwrap_or(""),
                                delta["text"].as_str().unwrap_or("")
                            );
                            block["text"] = Value::String(t);
                        }
                        (Some("thinking"), Some("thinking_delta")) => {
                            let t = format!(
                                "{}{}",
                                block["thinking"].as_str().unwrap_or(""),
                                delta["thinking"].as_str().unwrap_or("")
                            );
                            block["thinking"] = Value::String(t);
                        }
                        (Some("thinking"), Some("signature_delta")) => {
                            block["signature"] = delta["signature"].clone();
                        }
                        (Some("tool_use"), Some("input_json_delta")) => {
                            json.push_str(delta["partial_json"].as_str().unwrap_or(""));
                            // SDKs parse the assembled input after every fragment.
                            assert!(!json.trim().is_empty(), "blank partial_json");
                        }
                        other => panic!("delta {other:?} does not fit its block"),
                    }
                }
                "content_block_stop" => {
                    let index = d["index"].as_u64().unwrap_or(u64::MAX) as usize;
                    assert_eq!(open, Some(index), "stop of a block that is not open");
                    open = None;
                    if let (Some(block), Some(json)) = (blocks.get_mut(index), partial.get(index)) {
                        if block["type"] == "tool_use" {
                            let Ok(input) = serde_json::from_str::<Value>(json) else {
                                panic!("tool input does not assemble to JSON: {json:?}");
                            };
                            assert!(input.is_object(), "{json}");
                            block["input"] = input;
                        }
                        if block["type"] == "text" {
                            assert!(
                                !block["text"].as_str().unwrap_or("").is_empty(),
                                "empty text block"
                            );
                        }
                    }
                }
                "message_delta" | "message_stop" => {
                    assert!(open.is_none(), "{name} with a block open");
                }
                _ => {}
            }
        }
        blocks
    }
}

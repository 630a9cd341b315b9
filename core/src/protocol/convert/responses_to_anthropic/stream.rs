//! The stream coming down: Anthropic Messages stream events → OpenAI Responses stream events,
//! with `sequence_number` from 0, item and content indices, `*.done` events carrying the
//! accumulated text and arguments, and exactly one terminal event. Pure: events in, bytes out.
//!
//! | Anthropic | Responses |
//! |---|---|
//! | `message_start` | `response.created`, `response.in_progress` |
//! | `content_block_start` text | (`response.output_item.added` message, unless one is open) `response.content_part.added` |
//! | `text_delta` | `response.output_text.delta` |
//! | `content_block_stop` text | `response.output_text.done`, `response.content_part.done` (the message stays open for more text) |
//! | `content_block_start` thinking | close the message; `response.output_item.added` reasoning |
//! | `thinking_delta` | (`response.reasoning_summary_part.added`) `response.reasoning_summary_text.delta` |
//! | `signature_delta` | kept for `encrypted_content` |
//! | `content_block_stop` thinking | `response.reasoning_summary_text.done`, `response.reasoning_summary_part.done`, `response.output_item.done` |
//! | `content_block_start` tool_use | close the message; `response.output_item.added` function_call |
//! | `input_json_delta` | `response.function_call_arguments.delta` (`{}` when the input was empty) |
//! | `content_block_stop` tool_use | `response.function_call_arguments.done`, `response.output_item.done` |
//! | `message_delta` | stop reason and usage kept |
//! | `message_stop` | close the message; `response.completed` (`response.incomplete` after `max_tokens`/`refusal`) |
//! | `ping`, `error`, unknown | nothing (the relay writes the terminal error itself) |

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::common::{
    AnthropicEvents, REDACTED_PREFIX, WireDeltas, id_base, responses_status, unix_now,
};
use super::response::{
    function_call_item, item_id, message_item, reasoning_item, response_id, response_object,
    text_part,
};
use crate::http::sse;
use crate::protocol::convert::Transcoder;
use crate::protocol::json::Literal;
use crate::protocol::openai_responses::TextDeltaWriter;
use crate::protocol::{StreamContext, Usage};

/// Anthropic → Responses stream transcoder.
#[derive(Debug)]
pub struct Stream {
    model: String,
    wire_deltas: WireDeltas,
    created_at: u64,
    base: Option<String>,
    seq: u64,
    started: bool,
    finished: bool,
    usage: Usage,
    stop_reason: Option<String>,
    /// Finished output items by output index.
    output: BTreeMap<usize, Value>,
    next_index: usize,
    message: Option<OpenMessage>,
    /// Open Anthropic blocks by their index.
    blocks: BTreeMap<u64, Open>,
    text_deltas: TextDeltaWriter,
    /// The answer's escaped text, which the closing events repeat.
    repeats: crate::protocol::json::Repeats,
}

/// The assistant message item text blocks are being added to.
#[derive(Debug)]
struct OpenMessage {
    index: usize,
    id: String,
    /// Finished parts; a part still streaming is a [`Open::Text`] with the next content index.
    parts: Vec<Value>,
    open_parts: usize,
}

impl OpenMessage {
    fn new(index: usize, id: String) -> Self {
        Self {
            index,
            id,
            parts: Vec::new(),
            open_parts: 0,
        }
    }
}

#[derive(Debug)]
enum Open {
    Text {
        content_index: usize,
        text: String,
    },
    Thinking {
        index: usize,
        id: String,
        text: String,
        signature: String,
        part_open: bool,
    },
    Redacted {
        index: usize,
        id: String,
        data: String,
    },
    Tool {
        index: usize,
        id: String,
        call_id: String,
        name: String,
        args: String,
    },
}

impl Stream {
    /// A transcoder showing `client_model` to the client.
    pub fn new(client_model: &str) -> Self {
        Self {
            model: client_model.to_owned(),
            wire_deltas: WireDeltas::default(),
            created_at: unix_now(),
            base: None,
            seq: 0,
            started: false,
            finished: false,
            usage: Usage::default(),
            stop_reason: None,
            output: BTreeMap::new(),
            next_index: 0,
            message: None,
            blocks: BTreeMap::new(),
            text_deltas: TextDeltaWriter::default(),
            repeats: crate::protocol::json::Repeats::default(),
        }
    }

    fn base(&self) -> String {
        self.base.clone().unwrap_or_else(|| id_base(""))
    }

    fn emit(&mut self, out: &mut Vec<Bytes>, kind: &str, fields: Value) {
        let mut data = match fields {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        self.emit_kept(out, kind, &mut data);
    }

    /// [`emit`](Self::emit), leaving `data` with the caller: a closing event's members (the
    /// whole answer) move on to the next event instead of being copied.
    fn emit_kept(&mut self, out: &mut Vec<Bytes>, kind: &str, data: &mut Map<String, Value>) {
        data.insert("type".into(), json!(kind));
        data.insert("sequence_number".into(), json!(self.seq));
        self.seq += 1;
        let event = Value::Object(std::mem::take(data));
        out.push(crate::protocol::frame::event_with(
            Some(kind),
            &event,
            &mut self.repeats,
        ));
        if let Value::Object(mut members) = event {
            members.remove("type");
            members.remove("sequence_number");
            *data = members;
        }
    }

    fn response(&self, status: &str, reason: Option<&str>, usage: Option<&Usage>) -> Value {
        let output = self.output.values().cloned().collect();
        self.response_with(status, reason, usage, output)
    }

    fn response_with(
        &self,
        status: &str,
        reason: Option<&str>,
        usage: Option<&Usage>,
        output: Vec<Value>,
    ) -> Value {
        response_object(
            &response_id(&self.base()),
            &self.model,
            self.created_at,
            status,
            reason,
            output,
            usage,
        )
    }

    fn take_index(&mut self) -> usize {
        let i = self.next_index;
        self.next_index += 1;
        i
    }

    fn finish_item(&mut self, index: usize, item: Value, out: &mut Vec<Bytes>) {
        let mut data = Map::new();
        data.insert("output_index".into(), index.into());
        data.insert("item".into(), item);
        self.emit_kept(out, "response.output_item.done", &mut data);
        self.output
            .insert(index, data.remove("item").unwrap_or_default());
    }

    /// Closes the open message item (and any text part still streaming in it).
    fn close_message(&mut self, out: &mut Vec<Bytes>) {
        let texts: Vec<u64> = self
            .blocks
            .iter()
            .filter(|(_, b)| matches!(b, Open::Text { .. }))
            .map(|(i, _)| *i)
            .collect();
        for i in texts {
            self.block_stop(i, out);
        }
        if let Some(message) = self.message.take() {
            let item = message_item(&message.id, "completed", message.parts);
            self.finish_item(message.index, item, out);
        }
    }
}

impl Stream {
    /// A delta of a block other than text (reasoning, signature, tool arguments).
    fn other_delta(&mut self, index: u64, kind: &str, piece: &str, out: &mut Vec<Bytes>) {
        let Some(open) = self.blocks.get_mut(&index) else {
            return;
        };
        let mut events = Vec::new();
        match (open, kind) {
            (
                Open::Thinking {
                    index,
                    id,
                    text,
                    part_open,
                    ..
                },
                "thinking_delta",
            ) => {
                text.push_str(piece);
                if !*part_open {
                    *part_open = true;
                    events.push((
                        "response.reasoning_summary_part.added",
                        json!({
                            "item_id": id, "output_index": *index, "summary_index": 0,
                            "part": {"type": "summary_text", "text": ""},
                        }),
                    ));
                }
                events.push((
                    "response.reasoning_summary_text.delta",
                    json!({
                        "item_id": id, "output_index": *index, "summary_index": 0, "delta": piece,
                    }),
                ));
            }
            (Open::Thinking { signature, .. }, "signature_delta") => signature.push_str(piece),
            (
                Open::Tool {
                    index, id, args, ..
                },
                "input_json_delta",
            ) => {
                args.push_str(piece);
                events.push((
                    "response.function_call_arguments.delta",
                    json!({
                        "item_id": id, "output_index": *index, "delta": piece,
                    }),
                ));
            }
            _ => {}
        }
        for (name, fields) in events {
            self.emit(out, name, fields);
        }
    }

    /// The response's first two events.
    #[cold]
    fn open(&mut self, out: &mut Vec<Bytes>) {
        self.started = true;
        let resp = self.response("in_progress", None, None);
        self.emit(
            out,
            "response.created",
            super::super::object([("response", resp)]),
        );
        let resp = self.response("in_progress", None, None);
        self.emit(
            out,
            "response.in_progress",
            super::super::object([("response", resp)]),
        );
    }
}

impl AnthropicEvents for Stream {
    fn finished(&self) -> bool {
        self.finished
    }

    fn wire_deltas(&mut self) -> &mut WireDeltas {
        &mut self.wire_deltas
    }

    fn state(&mut self) -> (&mut Option<String>, &mut Usage, &mut Option<String>) {
        (&mut self.base, &mut self.usage, &mut self.stop_reason)
    }

    // Asked before every delta: the check is inlined, the opening is not.
    #[inline]
    fn start(&mut self, out: &mut Vec<Bytes>) {
        if !self.started {
            self.open(out);
        }
    }

    fn block_start(&mut self, index: u64, block: &Value, out: &mut Vec<Bytes>) {
        if self.blocks.contains_key(&index) {
            // A second start for an open index: finish the first block properly.
            self.block_stop(index, out);
        }
        let s = |k: &str| {
            block
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let kind = s("type");
        if kind != "text" {
            self.close_message(out);
        }
        let base = self.base();
        let open = match kind.as_str() {
            "text" => {
                let message = match self.message.take() {
                    Some(m) => m,
                    None => {
                        let index = self.take_index();
                        let id = item_id("msg", &base, index);
                        let item = message_item(&id, "in_progress", Vec::new());
                        self.emit(
                            out,
                            "response.output_item.added",
                            super::super::object([("output_index", index.into()), ("item", item)]),
                        );
                        OpenMessage::new(index, id)
                    }
                };
                let content_index = message.parts.len() + message.open_parts;
                let fields = json!({
                    "item_id": message.id, "output_index": message.index,
                    "content_index": content_index, "part": text_part(""),
                });
                self.message = Some(OpenMessage {
                    open_parts: message.open_parts + 1,
                    ..message
                });
                self.emit(out, "response.content_part.added", fields);
                Open::Text {
                    content_index,
                    text: String::new(),
                }
            }
            "thinking" | "redacted_thinking" => {
                let index = self.take_index();
                let id = item_id("rs", &base, index);
                let item = json!({"id": id, "type": "reasoning", "summary": []});
                self.emit(
                    out,
                    "response.output_item.added",
                    super::super::object([("output_index", index.into()), ("item", item)]),
                );
                if kind == "thinking" {
                    Open::Thinking {
                        index,
                        id,
                        text: String::new(),
                        signature: s("signature"),
                        part_open: false,
                    }
                } else {
                    Open::Redacted {
                        index,
                        id,
                        data: s("data"),
                    }
                }
            }
            "tool_use" => {
                let index = self.take_index();
                let id = item_id("fc", &base, index);
                let (call_id, name) = (s("id"), s("name"));
                let item = function_call_item(&id, "in_progress", &call_id, &name, "");
                self.emit(
                    out,
                    "response.output_item.added",
                    super::super::object([("output_index", index.into()), ("item", item)]),
                );
                Open::Tool {
                    index,
                    id,
                    call_id,
                    name,
                    args: String::new(),
                }
            }
            _ => return,
        };
        self.blocks.insert(index, open);
        // Content that arrives in the start event itself is sent as a first delta.
        match kind.as_str() {
            "text" => self.delta(index, "text_delta", &Literal::new(s("text")), out),
            "thinking" => self.delta(index, "thinking_delta", &Literal::new(s("thinking")), out),
            "tool_use" => {
                let initial = block
                    .get("input")
                    .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()));
                if let Some(input) = initial {
                    let piece = Literal::new(input.to_string());
                    self.delta(index, "input_json_delta", &piece, out);
                }
            }
            _ => {}
        }
    }

    fn delta(&mut self, index: u64, kind: &str, literal: &Literal<'_>, out: &mut Vec<Bytes>) {
        let piece: &str = &literal.text;
        if piece.is_empty() {
            return;
        }
        let Some(open) = self.blocks.get_mut(&index) else {
            return;
        };
        // Text: nearly every delta.
        if let (
            Open::Text {
                content_index,
                text,
            },
            "text_delta",
        ) = (open, kind)
        {
            text.push_str(piece);
            let content_index = *content_index;
            if let Some(message) = self.message.as_ref() {
                let id = || message.id.clone();
                let at = (message.index, content_index);
                out.push(self.text_deltas.event(at, id, literal, self.seq));
                self.seq += 1;
            }
            return;
        }
        self.other_delta(index, kind, piece, out);
    }

    fn block_stop(&mut self, index: u64, out: &mut Vec<Bytes>) {
        let Some(open) = self.blocks.remove(&index) else {
            return;
        };
        match open {
            Open::Text {
                content_index,
                text,
            } => {
                let Some(mut message) = self.message.take() else {
                    return;
                };
                // The answer moves from one closing event to the next, uncopied.
                let mut data = Map::new();
                data.insert("item_id".into(), message.id.clone().into());
                data.insert("output_index".into(), message.index.into());
                data.insert("content_index".into(), content_index.into());
                data.insert("text".into(), Value::String(text));
                data.insert("logprobs".into(), Value::Array(Vec::new()));
                self.emit_kept(out, "response.output_text.done", &mut data);
                let text = match data.remove("text") {
                    Some(Value::String(text)) => text,
                    _ => String::new(),
                };
                data.remove("logprobs");
                data.insert("part".into(), text_part(text));
                self.emit_kept(out, "response.content_part.done", &mut data);
                message.parts.push(data.remove("part").unwrap_or_default());
                message.open_parts = message.open_parts.saturating_sub(1);
                self.message = Some(message);
            }
            Open::Thinking {
                index,
                id,
                text,
                signature,
                part_open,
            } => {
                if part_open {
                    let fields = json!({"item_id": id, "output_index": index, "summary_index": 0, "text": text});
                    self.emit(out, "response.reasoning_summary_text.done", fields);
                    let fields = json!({
                        "item_id": id, "output_index": index, "summary_index": 0,
                        "part": {"type": "summary_text", "text": text},
                    });
                    self.emit(out, "response.reasoning_summary_part.done", fields);
                }
                self.finish_item(index, reasoning_item(&id, &text, &signature), out);
            }
            Open::Redacted { index, id, data } => {
                self.finish_item(
                    index,
                    reasoning_item(&id, "", &format!("{REDACTED_PREFIX}{data}")),
                    out,
                );
            }
            Open::Tool {
                index,
                id,
                call_id,
                name,
                mut args,
            } => {
                if args.trim().is_empty() {
                    args = "{}".to_owned();
                    let fields = json!({"item_id": id, "output_index": index, "delta": args});
                    self.emit(out, "response.function_call_arguments.delta", fields);
                }
                let item = function_call_item(&id, "completed", &call_id, &name, &args);
                let fields = json!({"item_id": id, "output_index": index, "name": item.get("name").cloned().unwrap_or_default(), "arguments": args});
                self.emit(out, "response.function_call_arguments.done", fields);
                self.finish_item(index, item, out);
            }
        }
    }

    fn complete(&mut self, out: &mut Vec<Bytes>) {
        if self.finished {
            return;
        }
        self.start(out);
        let open: Vec<u64> = self.blocks.keys().copied().collect();
        for i in open {
            self.block_stop(i, out);
        }
        self.close_message(out);
        self.finished = true;
        let (status, reason) = responses_status(self.stop_reason.as_deref());
        let kind = if status == "completed" {
            "response.completed"
        } else {
            "response.incomplete"
        };
        // The last event: the finished items move into it.
        let output = std::mem::take(&mut self.output).into_values().collect();
        let resp = self.response_with(status, reason, Some(&self.usage.clone()), output);
        self.emit(out, kind, super::super::object([("response", resp)]));
    }
}

impl Transcoder for Stream {
    fn push(&mut self, event: &sse::Event, out: &mut Vec<Bytes>) {
        self.consume(event, out);
    }

    fn finish(&mut self, out: &mut Vec<Bytes>) {
        self.complete(out);
    }

    fn context(&self) -> StreamContext {
        StreamContext {
            response_id: self.base.as_deref().map(response_id),
            model: self.model.clone(),
            next_sequence: self.seq,
        }
    }
}

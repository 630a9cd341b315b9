//! The stream coming down: Anthropic Messages stream events → OpenAI Chat Completions chunks
//! (`data:` lines, no event names). Pure: events in, bytes out.
//!
//! | Anthropic | Chat chunk `delta` |
//! |---|---|
//! | `message_start` | `{role: assistant, content: ""}` (first chunk) |
//! | `text_delta` | `{content}` |
//! | `thinking_delta` | `{reasoning_content}` (non-standard, as DeepSeek/LiteLLM) |
//! | `content_block_stop` thinking / redacted | `{thinking_blocks: [{index, type, thinking, signature}]}` (non-standard, replayable) |
//! | `content_block_start` tool_use | `{tool_calls: [{index, id, type: function, function: {name, arguments: ""}}]}` |
//! | `input_json_delta` | `{tool_calls: [{index, function: {arguments}}]}` (`{}` when the input was empty) |
//! | `message_stop` | `{}` with `finish_reason`, then a usage chunk with `choices: []` |
//! | (`finish`) | `data: [DONE]` |
//! | `ping`, `error`, unknown | nothing (the relay writes the terminal error itself) |

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::{Value, json};

use super::response::{completion_id, redacted_block, thinking_block, usage_json};
use crate::http::sse;
use crate::protocol::convert::Transcoder;
use crate::protocol::convert::responses_to_anthropic::common::{
    AnthropicEvents, WireDeltas, chat_finish_reason, unix_now,
};
use crate::protocol::json::{self, Literal};
use crate::protocol::openai_chat::TextChunkWriter;
use crate::protocol::{StreamContext, Usage};

/// Anthropic → Chat Completions stream transcoder.
#[derive(Debug)]
pub struct Stream {
    model: String,
    wire_deltas: WireDeltas,
    created: u64,
    /// Writes the text chunks.
    text: TextChunkWriter,
    base: Option<String>,
    started: bool,
    finished: bool,
    done: bool,
    usage: Usage,
    stop_reason: Option<String>,
    tool_calls: usize,
    thinking_blocks: usize,
    blocks: BTreeMap<u64, Open>,
}

#[derive(Debug)]
enum Open {
    Text,
    Thinking { text: String, signature: String },
    Redacted { data: String },
    Tool { index: usize, sent: bool },
}

impl Stream {
    /// A transcoder showing `client_model` to the client.
    pub fn new(client_model: &str) -> Self {
        Self {
            model: client_model.to_owned(),
            wire_deltas: WireDeltas::default(),
            created: unix_now(),
            text: TextChunkWriter::default(),
            base: None,
            started: false,
            finished: false,
            done: false,
            usage: Usage::default(),
            stop_reason: None,
            tool_calls: 0,
            thinking_blocks: 0,
            blocks: BTreeMap::new(),
        }
    }

    fn id(&self) -> String {
        completion_id(self.base.as_deref().unwrap_or("relay"))
    }

    fn chunk(&self, out: &mut Vec<Bytes>, delta: Value, finish: Option<&str>) {
        let data = json!({
            "id": self.id(), "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        });
        out.push(crate::protocol::frame::event(None, &data));
    }

    /// A chunk whose delta is `{"content": piece}`, written without a JSON tree (the hot path).
    fn text_chunk(&mut self, out: &mut Vec<Bytes>, piece: &json::Literal<'_>) {
        let (created, model) = (self.created, &self.model);
        let id = || completion_id(self.base.as_deref().unwrap_or("relay"));
        let stream = || (created, id(), model.clone());
        let settled = self.base.is_some();
        out.push(self.text.chunk(piece, settled, stream));
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

    fn start(&mut self, out: &mut Vec<Bytes>) {
        if !self.started {
            self.started = true;
            self.chunk(out, json!({"role": "assistant", "content": ""}), None);
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
        let open = match s("type").as_str() {
            "text" => Open::Text,
            "thinking" => Open::Thinking {
                text: String::new(),
                signature: s("signature"),
            },
            "redacted_thinking" => Open::Redacted { data: s("data") },
            "tool_use" => {
                let tool = self.tool_calls;
                self.tool_calls += 1;
                let call = json!({"index": tool, "id": s("id"), "type": "function", "function": {"name": s("name"), "arguments": ""}});
                self.chunk(out, json!({"tool_calls": [call]}), None);
                Open::Tool {
                    index: tool,
                    sent: false,
                }
            }
            _ => return,
        };
        self.blocks.insert(index, open);
        match s("type").as_str() {
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
        let delta = match (open, kind) {
            (Open::Text, "text_delta") => {
                self.text_chunk(out, literal);
                return;
            }
            (Open::Thinking { text, .. }, "thinking_delta") => {
                text.push_str(piece);
                json!({"reasoning_content": piece})
            }
            (Open::Thinking { signature, .. }, "signature_delta") => {
                signature.push_str(piece);
                return;
            }
            (Open::Tool { index, sent }, "input_json_delta") => {
                *sent = true;
                json!({"tool_calls": [{"index": *index, "function": {"arguments": piece}}]})
            }
            _ => return,
        };
        self.chunk(out, delta, None);
    }

    fn block_stop(&mut self, index: u64, out: &mut Vec<Bytes>) {
        let Some(open) = self.blocks.remove(&index) else {
            return;
        };
        let delta = match open {
            Open::Text => return,
            Open::Thinking { text, signature } => {
                let block = thinking_block(Some(self.thinking_blocks), &text, &signature);
                self.thinking_blocks += 1;
                json!({"thinking_blocks": [block]})
            }
            Open::Redacted { data } => {
                let block = redacted_block(Some(self.thinking_blocks), &data);
                self.thinking_blocks += 1;
                json!({"thinking_blocks": [block]})
            }
            Open::Tool { sent: true, .. } => return,
            Open::Tool { index, sent: false } => {
                json!({"tool_calls": [{"index": index, "function": {"arguments": "{}"}}]})
            }
        };
        self.chunk(out, delta, None);
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
        self.finished = true;
        self.chunk(
            out,
            json!({}),
            Some(chat_finish_reason(self.stop_reason.as_deref())),
        );
        let data = json!({
            "id": self.id(), "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "choices": [], "usage": usage_json(&self.usage),
        });
        out.push(crate::protocol::frame::event(None, &data));
    }
}

impl Transcoder for Stream {
    fn push(&mut self, event: &sse::Event, out: &mut Vec<Bytes>) {
        self.consume(event, out);
    }

    fn finish(&mut self, out: &mut Vec<Bytes>) {
        self.complete(out);
        if !self.done {
            self.done = true;
            out.push(sse::encode(None, "[DONE]"));
        }
    }

    fn context(&self) -> StreamContext {
        StreamContext {
            response_id: self.base.as_ref().map(|_| self.id()),
            model: self.model.clone(),
            next_sequence: 0,
        }
    }
}

//! Responses events → Chat Completions chunks (client Chat, upstream Responses). Pure and
//! stateful: one [`Stream`] per response.
//!
//! The first chunk carries `delta: {role: "assistant", content: ""}`; text, refusal and
//! reasoning-summary deltas follow as `content` / `refusal` / `reasoning_content`. Each
//! function call gets the next `tool_calls[].index`: its first fragment carries `id`, `type`
//! and `function.name`, later ones only `function.arguments` (never re-declaring `type`).
//! Arguments the upstream only gives in `*.done` / `output_item.done` are sent as the missing
//! remainder, and a call whose arguments stay empty gets `{}` so that they always parse. The
//! terminal `response.completed` / `response.incomplete` gives the chunk with `finish_reason`,
//! then a usage chunk with `choices: []` (always; the relay strips it when the client did not
//! ask); `finish` ends with `data: [DONE]`. Every chunk has the same `id` (`chatcmpl-` + the
//! upstream response id), `created` and the client's `model`.

use bytes::Bytes;
use serde_json::{Value, json};

use super::{chat_id, finish_reason, usage};
use crate::http::sse;
use crate::protocol::StreamContext;
use crate::protocol::convert::Transcoder;
use crate::protocol::openai_chat::TextChunkWriter;
use crate::protocol::openai_responses::{Delta, DeltaKind, Deltas};

struct Call {
    item_id: String,
    output_index: Option<u64>,
    call_id: String,
    /// The `tool_calls[].index` shown to the client.
    index: u64,
    custom: bool,
    /// The argument text sent so far.
    sent: String,
    announced: bool,
    closed: bool,
}

/// Transcodes a Responses stream into Chat Completions chunks.
pub struct Stream {
    model: String,
    id: String,
    created: u64,
    started: bool,
    finished: bool,
    done_sent: bool,
    calls: Vec<Call>,
    text_sent: bool,
    reasoning_sent: bool,
    deltas: Deltas,
    /// Writes the text chunks (the id is fixed once the stream started).
    text_chunks: TextChunkWriter,
}

impl Stream {
    /// A transcoder showing `client_model` to the client.
    pub fn new(client_model: &str) -> Self {
        Self {
            model: client_model.to_owned(),
            id: chat_id(None),
            created: 0,
            started: false,
            finished: false,
            done_sent: false,
            calls: Vec::new(),
            text_sent: false,
            reasoning_sent: false,
            deltas: Deltas::default(),
            text_chunks: TextChunkWriter::default(),
        }
    }

    fn frame(&self, choices: Value, usage: Option<Value>) -> Bytes {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        });
        if let (Some(u), Some(m)) = (usage, chunk.as_object_mut()) {
            m.insert("usage".into(), u);
        }
        crate::protocol::frame::event(None, &chunk)
    }

    /// A `response.output_text.delta` read with the byte scanner and answered with a chunk
    /// written directly (members in the order a JSON tree would give). True when handled.
    fn fast_text(&mut self, event: &sse::Event, out: &mut Vec<Bytes>) -> bool {
        let Some(Delta {
            kind: DeltaKind::Text,
            delta,
            ..
        }) = self.deltas.read(event)
        else {
            return false;
        };
        if delta.text.is_empty() {
            return true;
        }
        self.text_sent = true;
        let stream = || (self.created, self.id.clone(), self.model.clone());
        out.push(self.text_chunks.chunk(&delta, true, stream));
        true
    }

    fn delta(&mut self, delta: Value, out: &mut Vec<Bytes>) {
        self.ensure_started(None, out);
        let choices =
            json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": null}]);
        out.push(self.frame(choices, None));
    }

    fn ensure_started(&mut self, response: Option<&Value>, out: &mut Vec<Bytes>) {
        if self.started {
            return;
        }
        self.started = true;
        if let Some(r) = response {
            self.id = chat_id(r.get("id").and_then(Value::as_str));
            self.created = r.get("created_at").and_then(Value::as_u64).unwrap_or(0);
        }
        let choices = json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]);
        out.push(self.frame(choices, None));
    }

    fn find(&self, ev: &Value) -> Option<usize> {
        let item_id = ev.get("item_id").and_then(Value::as_str);
        let output_index = ev.get("output_index").and_then(Value::as_u64);
        self.calls.iter().position(|c| match item_id {
            Some(id) if !c.item_id.is_empty() => c.item_id == id,
            _ => output_index.is_some() && c.output_index == output_index,
        })
    }

    /// Registers a call from an output item (if new) and announces it once its name is known.
    fn call_item(
        &mut self,
        item: &Value,
        output_index: Option<u64>,
        out: &mut Vec<Bytes>,
    ) -> Option<usize> {
        let custom = match item.get("type").and_then(Value::as_str) {
            Some("function_call") => false,
            Some("custom_tool_call") => true,
            _ => return None,
        };
        let item_id = item.get("id").and_then(Value::as_str).unwrap_or("");
        let call_id = item.get("call_id").and_then(Value::as_str).unwrap_or("");
        let known = self.calls.iter().position(|c| {
            (!item_id.is_empty() && c.item_id == item_id)
                || (!call_id.is_empty() && c.call_id == call_id)
                || (output_index.is_some() && c.output_index == output_index)
        });
        let idx = match known {
            Some(idx) => idx,
            None => {
                let index = self.calls.len() as u64;
                self.calls.push(Call {
                    item_id: item_id.to_owned(),
                    output_index,
                    call_id: call_id.to_owned(),
                    index,
                    custom,
                    sent: String::new(),
                    announced: false,
                    closed: false,
                });
                index as usize
            }
        };
        let name = item.get("name").and_then(Value::as_str).unwrap_or("");
        let announce = self.calls.get(idx).is_some_and(|c| !c.announced);
        if announce {
            let call = self.calls.get_mut(idx)?;
            if call.call_id.is_empty() {
                call.call_id = if call_id.is_empty() {
                    format!("call_{}", call.index)
                } else {
                    call_id.to_owned()
                };
            }
            call.announced = true;
            let (index, id) = (call.index, call.call_id.clone());
            let fragment = if custom {
                json!({"index": index, "id": id, "type": "custom", "custom": {"name": name, "input": ""}})
            } else {
                json!({"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}})
            };
            self.delta(json!({"tool_calls": [fragment]}), out);
        }
        Some(idx)
    }

    /// Sends `fragment` as more arguments of call `idx`.
    fn args(&mut self, idx: usize, fragment: &str, out: &mut Vec<Bytes>) {
        let Some(call) = self.calls.get_mut(idx) else {
            return;
        };
        if fragment.is_empty() || call.closed {
            return;
        }
        call.sent.push_str(fragment);
        let tc = if call.custom {
            json!({"index": call.index, "custom": {"input": fragment}})
        } else {
            json!({"index": call.index, "function": {"arguments": fragment}})
        };
        self.delta(json!({"tool_calls": [tc]}), out);
    }

    /// Sends what the final arguments add to what was streamed, then closes the call.
    fn complete_args(&mut self, idx: usize, full: Option<&str>, close: bool, out: &mut Vec<Bytes>) {
        let Some(call) = self.calls.get(idx) else {
            return;
        };
        if call.closed {
            return;
        }
        if let Some(rest) = full.and_then(|f| f.strip_prefix(call.sent.as_str())) {
            let rest = rest.to_owned();
            self.args(idx, &rest, out);
        }
        if close {
            let fill = self
                .calls
                .get(idx)
                .is_some_and(|c| !c.custom && c.sent.trim().is_empty());
            if fill {
                self.args(idx, "{}", out);
            }
            if let Some(call) = self.calls.get_mut(idx) {
                call.closed = true;
            }
        }
    }

    fn output_item_done(&mut self, ev: &Value, out: &mut Vec<Bytes>) {
        let item = ev.get("item").unwrap_or(&Value::Null);
        let output_index = ev.get("output_index").and_then(Value::as_u64);
        if let Some(idx) = self.call_item(item, output_index, out) {
            let key = if self.calls.get(idx).is_some_and(|c| c.custom) {
                "input"
            } else {
                "arguments"
            };
            let full = item.get(key).and_then(Value::as_str);
            self.complete_args(idx, full, true, out);
        }
    }

    fn terminal(&mut self, response: &Value, out: &mut Vec<Bytes>) {
        self.ensure_started(Some(response), out);
        // Items the upstream only listed in the final response (no streamed events).
        let items = response.get("output").and_then(Value::as_array);
        for (i, item) in items.into_iter().flatten().enumerate() {
            match item.get("type").and_then(Value::as_str) {
                Some("function_call" | "custom_tool_call") => {
                    let ev = json!({"item": item, "output_index": i});
                    self.output_item_done(&ev, out);
                }
                Some("message") if !self.text_sent => {
                    let parts = item.get("content").and_then(Value::as_array);
                    for part in parts.into_iter().flatten() {
                        if let Some(t) = part
                            .get("text")
                            .and_then(Value::as_str)
                            .filter(|t| !t.is_empty())
                        {
                            self.delta(json!({"content": t}), out);
                        }
                    }
                }
                _ => {}
            }
        }
        for idx in 0..self.calls.len() {
            self.complete_args(idx, None, true, out);
        }
        let status = response.get("status").and_then(Value::as_str);
        let reason = response
            .get("incomplete_details")
            .and_then(|d| d.get("reason"))
            .and_then(Value::as_str);
        let finish = finish_reason(status, reason, !self.calls.is_empty());
        let choices = json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": finish}]);
        out.push(self.frame(choices, None));
        let u = response
            .get("usage")
            .filter(|u| u.is_object())
            .map_or_else(|| usage(&json!({})), usage);
        out.push(self.frame(json!([]), Some(u)));
        self.finished = true;
    }

    fn event(&mut self, kind: &str, ev: &Value, out: &mut Vec<Bytes>) {
        let text = |key: &str| ev.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
        match kind {
            "response.created" | "response.in_progress" => {
                self.ensure_started(ev.get("response"), out);
            }
            "response.output_text.delta" => {
                let delta = text("delta");
                if !delta.is_empty() {
                    self.text_sent = true;
                    self.delta(json!({"content": delta}), out);
                }
            }
            "response.refusal.delta" => {
                let delta = text("delta");
                if !delta.is_empty() {
                    self.delta(json!({"refusal": delta}), out);
                }
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                let delta = text("delta");
                if !delta.is_empty() {
                    self.reasoning_sent = true;
                    self.delta(json!({"reasoning_content": delta}), out);
                }
            }
            "response.reasoning_summary_part.added" if self.reasoning_sent => {
                self.delta(json!({"reasoning_content": "\n\n"}), out);
            }
            "response.output_item.added" => {
                let item = ev.get("item").unwrap_or(&Value::Null);
                let output_index = ev.get("output_index").and_then(Value::as_u64);
                if let Some(idx) = self.call_item(item, output_index, out) {
                    let key = if self.calls.get(idx).is_some_and(|c| c.custom) {
                        "input"
                    } else {
                        "arguments"
                    };
                    let initial = item
                        .get(key)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    self.args(idx, &initial, out);
                }
            }
            "response.function_call_arguments.delta" | "response.custom_tool_call_input.delta" => {
                if let Some(idx) = self.find(ev) {
                    self.args(idx, &text("delta"), out);
                }
            }
            "response.function_call_arguments.done" => {
                if let Some(idx) = self.find(ev) {
                    self.complete_args(idx, Some(&text("arguments")), false, out);
                }
            }
            "response.custom_tool_call_input.done" => {
                if let Some(idx) = self.find(ev) {
                    self.complete_args(idx, Some(&text("input")), false, out);
                }
            }
            "response.output_item.done" => self.output_item_done(ev, out),
            "response.completed" | "response.incomplete" | "response.done" => {
                let response = ev.get("response").cloned().unwrap_or(Value::Null);
                self.terminal(&response, out);
            }
            "response.failed" | "error" => {
                // The relay normally ends the stream itself; keep the client's shape if not.
                let err = ev
                    .get("response")
                    .and_then(|r| r.get("error"))
                    .or_else(|| ev.get("error"))
                    .unwrap_or(ev);
                let message = err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("upstream error");
                let code = err.get("code").cloned().unwrap_or(Value::Null);
                let body = json!({"error": {"message": message, "type": "server_error", "param": null, "code": code}});
                out.push(crate::protocol::frame::event(None, &body));
                self.finished = true;
            }
            _ => {}
        }
    }
}

impl Transcoder for Stream {
    fn push(&mut self, event: &sse::Event, out: &mut Vec<Bytes>) {
        if self.finished || event.is_comment_only || event.is_done() || event.data.trim().is_empty()
        {
            return;
        }
        if self.started && self.fast_text(event, out) {
            return;
        }
        let Ok(ev) = serde_json::from_str::<Value>(&event.data) else {
            return;
        };
        let kind = ev
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| event.event.clone())
            .unwrap_or_default();
        self.event(&kind, &ev, out);
    }

    fn finish(&mut self, out: &mut Vec<Bytes>) {
        if !self.finished {
            self.terminal(&json!({"status": "completed"}), out);
        }
        if !self.done_sent {
            self.done_sent = true;
            out.push(sse::encode(None, "[DONE]"));
        }
    }

    fn context(&self) -> StreamContext {
        StreamContext {
            response_id: Some(self.id.clone()),
            model: self.model.clone(),
            next_sequence: 0,
        }
    }
}

//! OpenAI Responses: usage fields, stream events and the terminal `response.failed` event.
//! Plain error bodies share the Chat Completions shape.

use bytes::Bytes;
use serde::Deserialize;

use super::{EventInfo, StreamContext, Usage, json, openai_chat, parse_at};
use crate::error::Error;
use crate::http::sse;

#[derive(Deserialize, Default)]
struct Details {
    cached_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    input_tokens_details: Option<Details>,
}

impl WireUsage {
    fn to_usage(&self) -> Usage {
        let cached = self
            .input_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0);
        Usage {
            input: self.input_tokens.unwrap_or(0).saturating_sub(cached),
            output: self.output_tokens.unwrap_or(0),
            cache_read: cached,
            cache_write: 0,
            cache_write_1h: 0,
        }
    }
}

/// Usage of a non-streaming `response` object.
pub fn body_usage(body: &[u8]) -> Usage {
    parse_at::<WireUsage>(body, &["usage"])
        .map(|w| w.to_usage())
        .unwrap_or_default()
}

/// Observes one Responses stream event.
pub fn observe(ev: &sse::Event, usage: &mut Usage, ctx: &mut StreamContext) -> EventInfo {
    let data = ev.data.as_bytes();
    // Both are written once, near the start of each event: the walk stops at them.
    let kind: Option<std::borrow::Cow<'_, str>> = match ev.event.as_deref() {
        Some(e) => Some(std::borrow::Cow::Borrowed(e)),
        None => json::first(data, "type")
            .and_then(|r| data.get(r))
            .and_then(json::string_literal),
    };
    if let Some(n) = json::first(data, "sequence_number")
        .and_then(|r| data.get(r))
        .and_then(|raw| std::str::from_utf8(raw).ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
    {
        ctx.next_sequence = n + 1;
    }
    let mut info = EventInfo::default();
    match kind.as_deref() {
        Some("response.created") => {
            if let Some(id) = json::str_at(data, &["response", "id"]) {
                ctx.response_id = Some(id.into_owned());
            }
        }
        Some("response.completed" | "response.incomplete") => {
            if let Some(w) = parse_at::<WireUsage>(data, &["response", "usage"]) {
                *usage = w.to_usage();
            }
            info.terminal = true;
        }
        Some("response.failed" | "error") => {
            if let Some(w) = parse_at::<WireUsage>(data, &["response", "usage"]) {
                *usage = w.to_usage();
            }
            info.error = true;
        }
        _ => {}
    }
    info
}

/// A terminal `response.failed` event carrying the error.
pub fn stream_error(err: &Error, ctx: &StreamContext) -> Bytes {
    let id = ctx
        .response_id
        .clone()
        .unwrap_or_else(|| "resp_relay_failed".to_owned());
    let data = format!(
        r#"{{"type":"response.failed","sequence_number":{},"response":{{"id":{},"object":"response","status":"failed","model":{},"output":[],"error":{{"code":{},"message":{}}}}}}}"#,
        ctx.next_sequence,
        json::quote(&id),
        json::quote(&ctx.model),
        json::quote(err.code()),
        json::quote(err.message()),
    );
    sse::encode(Some("response.failed"), &data)
}

/// Same shape as Chat Completions errors.
pub fn error_body(err: &Error) -> Vec<u8> {
    openai_chat::error_body(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str) -> sse::Event {
        let mut out = Vec::new();
        let mut d = sse::Decoder::new(1 << 20);
        d.push(&sse::encode(Some(event), data), &mut out).unwrap();
        out.remove(0)
    }

    #[test]
    fn completed_carries_usage_and_failed_event_continues_sequence() {
        let mut u = Usage::default();
        let mut ctx = StreamContext {
            model: "gpt-x".into(),
            ..StreamContext::default()
        };
        observe(
            &ev(
                "response.created",
                r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_9","status":"in_progress"}}"#,
            ),
            &mut u,
            &mut ctx,
        );
        let done = observe(
            &ev(
                "response.completed",
                r#"{"type":"response.completed","sequence_number":7,"response":{"id":"resp_9","usage":{"input_tokens":30,"input_tokens_details":{"cached_tokens":10},"output_tokens":4}}}"#,
            ),
            &mut u,
            &mut ctx,
        );
        assert!(done.terminal);
        assert_eq!(
            u,
            Usage {
                input: 20,
                output: 4,
                cache_read: 10,
                cache_write: 0,
                cache_write_1h: 0
            }
        );
        let failed = stream_error(&Error::upstream("x", "boom"), &ctx);
        let text = String::from_utf8(failed.to_vec()).unwrap();
        assert!(text.starts_with("event: response.failed\n"));
        let data = text.lines().nth(1).unwrap().strip_prefix("data: ").unwrap();
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["sequence_number"], 8);
        assert_eq!(v["response"]["id"], "resp_9");
        assert_eq!(v["response"]["status"], "failed");
        assert_eq!(v["response"]["error"]["message"], "boom");
    }
}

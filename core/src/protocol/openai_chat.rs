//! OpenAI Chat Completions: error shapes (shared by the Responses API), usage fields and
//! stream chunks.

use std::borrow::Cow;
use std::ops::Range;

use bytes::{Bytes, BytesMut};
use serde::Deserialize;

use super::{EventInfo, StreamContext, Usage, json, parse_at};
use crate::error::{Error, ErrorKind};
use crate::http::sse;

/// OpenAI's `error.type` for an error kind.
pub fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest
        | ErrorKind::TooLarge
        | ErrorKind::NotFound
        | ErrorKind::Authentication => "invalid_request_error",
        ErrorKind::Permission => "permission_error",
        ErrorKind::RateLimit => "rate_limit_error",
        ErrorKind::Overloaded | ErrorKind::Upstream | ErrorKind::Internal => "server_error",
    }
}

/// The inner error object: `{"message":..,"type":..,"param":null,"code":..}`.
pub fn error_object(err: &Error) -> String {
    format!(
        r#"{{"message":{},"type":{},"param":null,"code":{}}}"#,
        json::quote(err.message()),
        json::quote(error_type(err.kind())),
        json::quote(err.code())
    )
}

/// `{"error":{...}}`.
pub fn error_body(err: &Error) -> Vec<u8> {
    format!(r#"{{"error":{}}}"#, error_object(err)).into_bytes()
}

/// A `data:` error chunk followed by `data: [DONE]`.
pub fn stream_error(err: &Error) -> Bytes {
    let mut b = BytesMut::new();
    b.extend_from_slice(&sse::encode(
        None,
        &format!(r#"{{"error":{}}}"#, error_object(err)),
    ));
    b.extend_from_slice(&sse::encode(None, "[DONE]"));
    b.freeze()
}

#[derive(Deserialize, Default)]
struct Details {
    cached_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<Details>,
}

impl WireUsage {
    fn to_usage(&self) -> Usage {
        let cached = self
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0);
        let prompt = self.prompt_tokens.unwrap_or(0);
        Usage {
            input: prompt.saturating_sub(cached),
            output: self.completion_tokens.unwrap_or(0),
            cache_read: cached,
            cache_write: 0,
            cache_write_1h: 0,
        }
    }
}

/// Usage of a non-streaming chat completion.
pub fn body_usage(body: &[u8]) -> Usage {
    parse_at::<WireUsage>(body, &["usage"])
        .map(|w| w.to_usage())
        .unwrap_or_default()
}

/// Reads a plain text chunk with the byte scanner, without a JSON tree: one choice at index 0
/// whose delta holds only `content` (a string) and perhaps `role`, no finish reason, no usage,
/// no unknown members. Returns the chunk's `id` and the text; `None` for anything else (which
/// then needs the general path).
pub fn text_chunk(data: &[u8]) -> Option<(Option<Cow<'_, str>>, Cow<'_, str>)> {
    let raw = |r: &Range<usize>| data.get(r.clone()).unwrap_or_default();
    let (mut id, mut choices) = (None, None);
    let top = json::members(data, 0, |key, value| match key {
        b"id" => {
            id = Some(value);
            true
        }
        b"choices" => {
            choices = Some(value);
            true
        }
        b"usage" => raw(&value) == b"null",
        b"object"
        | b"created"
        | b"model"
        | b"system_fingerprint"
        | b"service_tier"
        | b"obfuscation" => true,
        _ => false,
    });
    let choice = (top == Some(true))
        .then_some(choices)
        .flatten()
        .and_then(|c| json::only_element(data, c))?;
    let mut delta = None;
    let fields = json::members(data, choice.start, |key, value| match key {
        b"index" => raw(&value) == b"0",
        b"delta" => {
            delta = Some(value);
            true
        }
        b"finish_reason" | b"logprobs" => raw(&value) == b"null",
        _ => false,
    });
    let delta = delta.filter(|_| fields == Some(true))?;
    let mut content = None;
    let only_text = json::members(data, delta.start, |key, value| match key {
        b"content" => {
            content = Some(value);
            true
        }
        b"role" => true,
        _ => false,
    });
    let text = content
        .filter(|_| only_text == Some(true))
        .and_then(|c| json::string_literal(raw(&c)))?;
    let id = id.and_then(|r| json::string_literal(raw(&r)));
    Some((id, text))
}

/// Observes one chat stream chunk.
pub fn observe(ev: &sse::Event, usage: &mut Usage, ctx: &mut StreamContext) -> EventInfo {
    let mut info = EventInfo::default();
    if ev.is_done() {
        info.terminal = true;
        return info;
    }
    let data = ev.data.as_bytes();
    if ev.event.as_deref() == Some("error") || json::find(data, &["error"]).is_some() {
        info.error = true;
        return info;
    }
    if ctx.response_id.is_none() {
        ctx.response_id = json::str_at(data, &["id"]).map(|s| s.into_owned());
    }
    if let Some(range) = json::find(data, &["usage"]) {
        let raw = data.get(range).unwrap_or_default();
        if raw != b"null" {
            if let Ok(w) = serde_json::from_slice::<WireUsage>(raw) {
                *usage = w.to_usage();
            }
            let empty_choices = json::find(data, &["choices"])
                .and_then(|r| data.get(r))
                .is_some_and(|c| {
                    c.iter()
                        .filter(|b| !b.is_ascii_whitespace())
                        .eq(b"[]".iter())
                });
            info.usage_only = empty_choices;
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(data: &str) -> sse::Event {
        let mut out = Vec::new();
        let mut d = sse::Decoder::new(1 << 20);
        d.push(&sse::encode(None, data), &mut out).unwrap();
        out.remove(0)
    }

    #[test]
    fn usage_chunk_is_recognised_and_cached_tokens_split() {
        let mut u = Usage::default();
        let mut ctx = StreamContext::default();
        let chunk = r#"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}"#;
        let i = observe(&ev(chunk), &mut u, &mut ctx);
        assert!(!i.usage_only && !i.terminal);
        let last = r#"{"id":"c1","object":"chat.completion.chunk","choices":[ ],"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25,"prompt_tokens_details":{"cached_tokens":8}}}"#;
        let i = observe(&ev(last), &mut u, &mut ctx);
        assert!(i.usage_only);
        assert_eq!(
            u,
            Usage {
                input: 12,
                output: 5,
                cache_read: 8,
                cache_write: 0,
                cache_write_1h: 0
            }
        );
        assert!(observe(&ev("[DONE]"), &mut u, &mut ctx).terminal);
        assert_eq!(ctx.response_id.as_deref(), Some("c1"));
    }

    #[test]
    fn stream_error_ends_with_done() {
        let e = Error::upstream("upstream_stream_error", "upstream went away");
        let s = String::from_utf8(stream_error(&e).to_vec()).unwrap();
        assert!(s.starts_with("data: {\"error\":{\"message\":\"upstream went away\""));
        assert!(s.ends_with("data: [DONE]\n\n"));
    }
}

//! Anthropic Messages: error shapes, usage fields and stream events.

use bytes::Bytes;
use serde::Deserialize;

use super::{EventInfo, StreamContext, Usage, json, parse_at};
use crate::error::{Error, ErrorKind};
use crate::http::sse;

/// The `anthropic-version` the relay sends when the client did not send one.
pub const DEFAULT_VERSION: &str = "2023-06-01";

/// Anthropic's `error.type` for an error kind.
pub fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest => "invalid_request_error",
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::Permission => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::TooLarge => "request_too_large",
        ErrorKind::RateLimit => "rate_limit_error",
        ErrorKind::Overloaded => "overloaded_error",
        ErrorKind::Upstream | ErrorKind::Internal => "api_error",
    }
}

fn error_json(err: &Error) -> String {
    format!(
        r#"{{"type":"error","error":{{"type":{},"message":{}}}}}"#,
        json::quote(error_type(err.kind())),
        json::quote(err.message())
    )
}

/// `{"type":"error","error":{"type":..,"message":..}}`.
pub fn error_body(err: &Error) -> Vec<u8> {
    error_json(err).into_bytes()
}

/// `event: error` with the error object.
pub fn stream_error(err: &Error) -> Bytes {
    sse::encode(Some("error"), &error_json(err))
}

#[derive(Deserialize, Default)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_creation: Option<WireCacheCreation>,
}

/// The cache writes split by lifetime.
#[derive(Deserialize, Default)]
struct WireCacheCreation {
    ephemeral_1h_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Merges into `usage`; later positive values override earlier ones.
    fn merge(&self, usage: &mut Usage) {
        let set = |slot: &mut u64, v: Option<u64>| {
            if let Some(v) = v.filter(|v| *v > 0) {
                *slot = v;
            }
        };
        set(&mut usage.input, self.input_tokens);
        set(&mut usage.output, self.output_tokens);
        set(&mut usage.cache_read, self.cache_read_input_tokens);
        set(&mut usage.cache_write, self.cache_creation_input_tokens);
        set(
            &mut usage.cache_write_1h,
            self.cache_creation
                .as_ref()
                .and_then(|c| c.ephemeral_1h_input_tokens),
        );
    }
}

/// Usage of a non-streaming Messages response (or a count of zero when absent).
pub fn body_usage(body: &[u8]) -> Usage {
    let mut u = Usage::default();
    if let Some(w) = parse_at::<WireUsage>(body, &["usage"]) {
        w.merge(&mut u);
    }
    u
}

/// Observes one Messages stream event.
pub fn observe(ev: &sse::Event, usage: &mut Usage, ctx: &mut StreamContext) -> EventInfo {
    let data = ev.data.as_bytes();
    let kind = match ev.event.as_deref() {
        Some(name) => Some(std::borrow::Cow::Borrowed(name)),
        None => json::str_at(data, &["type"]),
    };
    let mut info = EventInfo::default();
    match kind.as_deref() {
        Some("message_start") => {
            if let Some(w) = parse_at::<WireUsage>(data, &["message", "usage"]) {
                w.merge(usage);
            }
            if let Some(id) = json::str_at(data, &["message", "id"]) {
                ctx.response_id = Some(id.into_owned());
            }
        }
        Some("message_delta") => {
            if let Some(w) = parse_at::<WireUsage>(data, &["usage"]) {
                w.merge(usage);
            }
        }
        Some("message_stop") => info.terminal = true,
        Some("error") => info.error = true,
        _ => {}
    }
    info
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
    fn stream_usage_from_start_and_delta() {
        let mut u = Usage::default();
        let mut ctx = StreamContext::default();
        let start = r#"{"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":10,"cache_read_input_tokens":4,"cache_creation_input_tokens":2,"output_tokens":1}}}"#;
        observe(&ev("message_start", start), &mut u, &mut ctx);
        let delta = r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":25}}"#;
        observe(&ev("message_delta", delta), &mut u, &mut ctx);
        let stop = observe(
            &ev("message_stop", r#"{"type":"message_stop"}"#),
            &mut u,
            &mut ctx,
        );
        assert!(stop.terminal);
        assert_eq!(
            u,
            Usage {
                input: 10,
                output: 25,
                cache_read: 4,
                cache_write: 2,
                cache_write_1h: 0
            }
        );
        assert_eq!(ctx.response_id.as_deref(), Some("msg_1"));
    }

    #[test]
    fn error_body_shape() {
        let e = Error::invalid("invalid_json", "body is not \"JSON\"");
        let v: serde_json::Value = serde_json::from_slice(&error_body(&e)).unwrap();
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["message"], "body is not \"JSON\"");
    }
}

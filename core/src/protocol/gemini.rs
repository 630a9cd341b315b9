//! Gemini `generateContent`: error shapes and usage fields (the Gemini surface itself arrives
//! with the Gemini platform; errors already answer in its shape).

use bytes::Bytes;
use serde::Deserialize;

use super::{EventInfo, Usage, json, parse_at};
use crate::error::Error;
use crate::http::sse;

/// Google's canonical status name for an HTTP status.
pub fn status_name(status: u16) -> &'static str {
    match status {
        400 | 413 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        s if s >= 500 => "INTERNAL",
        _ => "UNKNOWN",
    }
}

fn error_json(err: &Error) -> String {
    let status = err.status().as_u16();
    format!(
        r#"{{"error":{{"code":{status},"message":{},"status":{}}}}}"#,
        json::quote(err.message()),
        json::quote(status_name(status))
    )
}

/// `{"error":{"code":..,"message":..,"status":..}}`.
pub fn error_body(err: &Error) -> Vec<u8> {
    error_json(err).into_bytes()
}

/// A `data:` event with the error object (Gemini streams carry no event names).
pub fn stream_error(err: &Error) -> Bytes {
    sse::encode(None, &error_json(err))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct WireUsage {
    prompt_token_count: Option<u64>,
    candidates_token_count: Option<u64>,
    cached_content_token_count: Option<u64>,
    thoughts_token_count: Option<u64>,
}

impl WireUsage {
    fn to_usage(&self) -> Usage {
        let cached = self.cached_content_token_count.unwrap_or(0);
        Usage {
            input: self.prompt_token_count.unwrap_or(0).saturating_sub(cached),
            output: self.candidates_token_count.unwrap_or(0)
                + self.thoughts_token_count.unwrap_or(0),
            cache_read: cached,
            cache_write: 0,
            cache_write_1h: 0,
        }
    }
}

/// Usage of a `generateContent` response.
pub fn body_usage(body: &[u8]) -> Usage {
    parse_at::<WireUsage>(body, &["usageMetadata"])
        .map(|w| w.to_usage())
        .unwrap_or_default()
}

/// Observes one `streamGenerateContent?alt=sse` event: every chunk carries cumulative usage;
/// a chunk with a `finishReason` ends the answer.
pub fn observe(ev: &sse::Event, usage: &mut Usage) -> EventInfo {
    let data = ev.data.as_bytes();
    let mut info = EventInfo::default();
    if json::find(data, &["error"]).is_some() {
        info.error = true;
        return info;
    }
    if let Some(w) = parse_at::<WireUsage>(data, &["usageMetadata"]) {
        *usage = w.to_usage();
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shape_and_usage() {
        let e = Error::not_found("model_not_found", "no such model");
        let v: serde_json::Value = serde_json::from_slice(&error_body(&e)).unwrap();
        assert_eq!(v["error"]["code"], 404);
        assert_eq!(v["error"]["status"], "NOT_FOUND");
        let body = br#"{"candidates":[],"usageMetadata":{"promptTokenCount":50,"candidatesTokenCount":5,"cachedContentTokenCount":20,"thoughtsTokenCount":3}}"#;
        assert_eq!(
            body_usage(body),
            Usage {
                input: 30,
                output: 8,
                cache_read: 20,
                cache_write: 0,
                cache_write_1h: 0
            }
        );
    }
}

//! Chat Completions client on a Responses upstream (request, answer, stream). Pure.
//!
//! Bytes in, bytes out: no I/O, no clock.
//!
//! Decisions (see each file for the field-by-field mapping):
//! - Leading `system` / `developer` messages become `instructions` (joined by blank lines);
//!   later ones stay in `input` as messages with their role.
//! - Function tools go up with `strict: false` unless the client set it (Chat's default; the
//!   Responses API would otherwise demand a strict-mode schema).
//! - Refused because Responses cannot express them: a non-empty `stop`, `n > 1`,
//!   `logprobs: true`, audio output (`audio`, `modalities` with `audio`) and audio input parts.
//! - Ignored (no Responses equivalent, sampling hints only): `frequency_penalty`,
//!   `presence_penalty`, `logit_bias`, `seed`, `prediction`, `stream_options`, `top_logprobs`
//!   and an assistant message's non-standard `reasoning_content`.
//! - Passed with the same meaning: `temperature`, `top_p`, `user`, `metadata`, `service_tier`,
//!   `parallel_tool_calls`, `prompt_cache_key`, `prompt_cache_retention`, `safety_identifier`,
//!   `store` (`false` when the client did not set it), `verbosity` (as `text.verbosity`).
//! - `max_completion_tokens` (else `max_tokens`) becomes `max_output_tokens`, raised to the
//!   Responses minimum of 16 when smaller.
//! - `web_search_options` becomes a `web_search` tool; its `url_citation` annotations come back.
//! - Reasoning items from the upstream cannot go to a Chat client as such: their
//!   `encrypted_content` is dropped and their summary text is returned as the de-facto
//!   `reasoning_content` field (absent when the upstream gave no summary). Output items of
//!   built-in tools (`web_search_call`, ...) are dropped.

mod request;
mod response;
mod stream;

use serde_json::{Value, json};

use super::{ConvertError, RequestContext};
pub use stream::Stream;

/// Converts a Chat Completions request body into a Responses request body.
pub fn request(body: &[u8], ctx: &RequestContext<'_>) -> Result<Vec<u8>, ConvertError> {
    request::convert(body, ctx)
}

/// Converts a complete Responses answer into a Chat Completions answer.
pub fn response(body: &[u8], client_model: &str) -> Result<Vec<u8>, ConvertError> {
    response::convert(body, client_model)
}

/// The Chat completion id for a Responses id (`resp_X` → `chatcmpl-X`).
fn chat_id(response_id: Option<&str>) -> String {
    match response_id {
        Some(id) if !id.is_empty() => {
            format!("chatcmpl-{}", id.strip_prefix("resp_").unwrap_or(id))
        }
        _ => "chatcmpl-relay".to_owned(),
    }
}

fn u64_at(v: &Value, path: &[&str]) -> Option<u64> {
    path.iter()
        .try_fold(v, |v, key| v.get(*key))
        .and_then(Value::as_u64)
}

/// Responses `usage` → Chat `usage`. Both count cached tokens inside the input/prompt total.
fn usage(responses: &Value) -> Value {
    let input = u64_at(responses, &["input_tokens"]).unwrap_or(0);
    let output = u64_at(responses, &["output_tokens"]).unwrap_or(0);
    let cached = u64_at(responses, &["input_tokens_details", "cached_tokens"]).unwrap_or(0);
    let reasoning = u64_at(responses, &["output_tokens_details", "reasoning_tokens"]).unwrap_or(0);
    let total = u64_at(responses, &["total_tokens"]).unwrap_or(input + output);
    json!({
        "prompt_tokens": input,
        "completion_tokens": output,
        "total_tokens": total,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    })
}

/// The Chat `finish_reason` for a Responses status.
fn finish_reason(
    status: Option<&str>,
    incomplete_reason: Option<&str>,
    tool_calls: bool,
) -> &'static str {
    match (status, incomplete_reason) {
        (Some("incomplete"), Some("content_filter")) => "content_filter",
        (Some("incomplete"), _) => "length",
        _ if tool_calls => "tool_calls",
        _ => "stop",
    }
}

#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;

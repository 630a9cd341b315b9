//! Responses client on a Chat Completions upstream (request, answer, stream). Pure.
//!
//! Bytes in, bytes out: no I/O, no clock.
//!
//! Decisions (see each file for the field-by-field mapping):
//! - `instructions` and `system`/`developer` input messages become Chat `system` messages
//!   (third-party Chat upstreams often reject the `developer` role; OpenAI treats them alike).
//! - Built-in Responses tools (`web_search`, `file_search`, `code_interpreter`, `computer*`,
//!   `image_generation`, `mcp`, `local_shell`, `tool_search`, ...) run on OpenAI's side; a Chat
//!   upstream cannot run them, so they are refused with an error naming `tools[i]`, never
//!   silently dropped (Codex: set `web_search = "disabled"`).
//! - Codex `namespace` tools are flattened: each child function becomes a Chat function named
//!   `<namespace>___<name>` (three underscores, `NS_SEP`). Calls coming back are split at the
//!   last `___` into `namespace` + `name`, which is how Codex dispatches them. A plain tool whose
//!   own name contains `___` would be split too (none of Codex's do).
//! - `reasoning` input items are dropped (a Chat upstream cannot take OpenAI's encrypted
//!   reasoning back); upstream `reasoning_content` / `reasoning` text becomes a `reasoning` output
//!   item with one `summary_text` part (no `encrypted_content`).
//! - Server-side state (`previous_response_id`, `conversation`, `prompt`, `background`) is
//!   refused: the Chat upstream keeps nothing between calls.
//! - `max_output_tokens` becomes `max_tokens` (the field every Chat-compatible server knows),
//!   or `max_completion_tokens` for OpenAI reasoning models, which refuse `max_tokens`.
//! - Passed through with the same meaning: `temperature`, `top_p`, `stop` (not a Responses
//!   field, but clients send it), `parallel_tool_calls`, `user`,
//!   `service_tier`, `prompt_cache_key`, `safety_identifier`, `text.verbosity` (as `verbosity`).
//!   Ignored: `store`, `include`, `metadata`, `client_metadata`, `truncation`, `max_tool_calls`,
//!   `top_logprobs`, `stream_options`, `prompt_cache_retention`, `reasoning.summary`.

mod request;
mod response;
mod stream;

use serde_json::{Map, Value, json};

use super::{ConvertError, RequestContext};
pub use stream::Stream;

/// Separator between a namespace and a tool name in a flattened tool name.
const NS_SEP: &str = "___";

/// Converts a Responses request body into a Chat Completions request body.
pub fn request(body: &[u8], ctx: &RequestContext<'_>) -> Result<Vec<u8>, ConvertError> {
    request::convert(body, ctx)
}

/// Converts a complete Chat Completions answer into a Responses answer.
pub fn response(body: &[u8], client_model: &str) -> Result<Vec<u8>, ConvertError> {
    response::convert(body, client_model)
}

/// The Chat function name for tool `name` in `namespace`.
fn flat_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() => format!("{ns}{NS_SEP}{name}"),
        _ => name.to_owned(),
    }
}

/// Splits a Chat function name back into (`namespace`, `name`).
fn split_name(flat: &str) -> (Option<&str>, &str) {
    match flat.rsplit_once(NS_SEP) {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() => (Some(ns), name),
        _ => (None, flat),
    }
}

/// Sets `name` (and `namespace` when the Chat name was flattened) on a Responses item.
fn set_tool_name(item: &mut Map<String, Value>, flat: &str) {
    let (namespace, name) = split_name(flat);
    item.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        item.insert("namespace".into(), json!(ns));
    }
}

/// The part of a Chat completion id used to derive Responses ids (`chatcmpl-X` → `X`).
fn id_base(chat_id: Option<&str>) -> String {
    match chat_id {
        Some(id) if !id.is_empty() => id.strip_prefix("chatcmpl-").unwrap_or(id).to_owned(),
        _ => "relay".to_owned(),
    }
}

fn u64_at(v: &Value, path: &[&str]) -> Option<u64> {
    path.iter()
        .try_fold(v, |v, key| v.get(*key))
        .and_then(Value::as_u64)
}

/// Chat `usage` → Responses `usage`. Both count cached tokens inside the prompt/input total.
fn usage(chat: &Value) -> Value {
    let input = u64_at(chat, &["prompt_tokens"]).unwrap_or(0);
    let output = u64_at(chat, &["completion_tokens"]).unwrap_or(0);
    let cached = u64_at(chat, &["prompt_tokens_details", "cached_tokens"])
        .or_else(|| u64_at(chat, &["prompt_cache_hit_tokens"]))
        .unwrap_or(0);
    let reasoning = u64_at(chat, &["completion_tokens_details", "reasoning_tokens"]).unwrap_or(0);
    let total = u64_at(chat, &["total_tokens"]).unwrap_or(input + output);
    json!({
        "input_tokens": input,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": total,
    })
}

/// Responses `status` and `incomplete_details` for a Chat `finish_reason`.
fn status(finish_reason: Option<&str>) -> (&'static str, Value) {
    match finish_reason {
        Some("length") => ("incomplete", json!({"reason": "max_output_tokens"})),
        Some("content_filter") => ("incomplete", json!({"reason": "content_filter"})),
        _ => ("completed", Value::Null),
    }
}

#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;

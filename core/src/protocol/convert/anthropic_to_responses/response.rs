//! Converts a complete OpenAI Responses answer to an Anthropic message. Pure.
//!
//! - `reasoning` items → `thinking` blocks: the summary parts joined with a blank line, and the
//!   signature [`REASONING_SIGNATURE_PREFIX`] + `encrypted_content` (empty when the upstream
//!   sent none), so the next turn can replay the item; items with neither are skipped.
//! - `message` items → one `text` block per non-empty `output_text` or `refusal` part.
//! - `function_call` items → `tool_use` blocks (id = `call_id`, input = the arguments parsed,
//!   `{}` when empty, completed to a valid object when cut off).
//! - Other output items (built-in tool calls this converter never requests) are skipped.
//! - `stop_reason`: `incomplete` for `max_output_tokens` → `max_tokens`, for `content_filter`
//!   → `refusal`; otherwise `tool_use` when a tool was called, else `end_turn`. A `failed`
//!   response is an error.
//! - usage: `input_tokens` = input − cached, `cache_read_input_tokens` = cached,
//!   `cache_creation_input_tokens` = 0, `output_tokens` = output (reasoning included).

use serde_json::Value;

use super::super::ConvertError;
use super::emit::{self, Block};
use super::messages::REASONING_SIGNATURE_PREFIX;
use crate::protocol::Usage;

/// Converts an OpenAI Responses body to an Anthropic message body.
pub(super) fn convert(body: &[u8], client_model: &str) -> Result<Vec<u8>, ConvertError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| ConvertError::new("", format!("the upstream answer is not JSON: {e}")))?;
    if root.get("status").and_then(Value::as_str) == Some("failed") {
        let message = root
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("the upstream response failed");
        return Err(ConvertError::new("status", message));
    }
    let Some(output) = root.get("output").and_then(Value::as_array) else {
        return Err(ConvertError::new(
            "output",
            "the upstream answer has no output array",
        ));
    };
    let mut blocks = Vec::new();
    for item in output {
        match item.get("type").and_then(Value::as_str) {
            Some("reasoning") => blocks.extend(reasoning_block(item)),
            Some("message") => {
                for part in item
                    .get("content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let text = match part.get("type").and_then(Value::as_str) {
                        Some("output_text") => part.get("text"),
                        Some("refusal") => part.get("refusal"),
                        _ => None,
                    };
                    if let Some(text) = text.and_then(Value::as_str).filter(|t| !t.is_empty()) {
                        blocks.push(Block::Text(text.to_owned()));
                    }
                }
            }
            Some("function_call") => {
                let field = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("");
                let (call_id, name) = (field("call_id"), field("name"));
                if name.is_empty() {
                    continue;
                }
                let id = if call_id.is_empty() {
                    field("id")
                } else {
                    call_id
                };
                blocks.push(Block::ToolUse {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    input: emit::tool_input(field("arguments")),
                });
            }
            _ => {}
        }
    }
    let has_tool = blocks.iter().any(|b| matches!(b, Block::ToolUse { .. }));
    let stop = stop_reason(&root, has_tool);
    let usage = usage(root.get("usage"));
    let id = emit::message_id(root.get("id").and_then(Value::as_str));
    Ok(emit::message_json(&id, client_model, &blocks, stop, &usage))
}

/// The thinking block for a reasoning item, if it carries anything.
fn reasoning_block(item: &Value) -> Option<Block> {
    let mut texts: Vec<&str> = Vec::new();
    for key in ["summary", "content"] {
        for part in item
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(t) = part.get("text").and_then(Value::as_str) {
                texts.push(t);
            }
        }
        if !texts.is_empty() {
            break;
        }
    }
    let encrypted = item
        .get("encrypted_content")
        .and_then(Value::as_str)
        .unwrap_or("");
    if texts.is_empty() && encrypted.is_empty() {
        return None;
    }
    Some(Block::Thinking {
        thinking: texts.join("\n\n"),
        signature: signature(encrypted),
    })
}

/// The thinking signature that carries `encrypted` (empty when there is nothing to carry).
pub(super) fn signature(encrypted: &str) -> String {
    if encrypted.is_empty() {
        String::new()
    } else {
        format!("{REASONING_SIGNATURE_PREFIX}{encrypted}")
    }
}

/// The Anthropic stop reason for a Responses `response` object.
pub(super) fn stop_reason(response: &Value, has_tool: bool) -> &'static str {
    if response.get("status").and_then(Value::as_str) == Some("incomplete") {
        match response
            .pointer("/incomplete_details/reason")
            .and_then(Value::as_str)
        {
            Some("content_filter") => return "refusal",
            _ => return "max_tokens",
        }
    }
    if has_tool { "tool_use" } else { "end_turn" }
}

/// Usage in Anthropic's convention from a Responses `usage` object.
pub(super) fn usage(value: Option<&Value>) -> Usage {
    let get = |p: &str| {
        value
            .and_then(|u| u.pointer(p))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let cached = get("/input_tokens_details/cached_tokens");
    Usage {
        input: get("/input_tokens").saturating_sub(cached),
        output: get("/output_tokens"),
        cache_read: cached,
        cache_write: 0,
        cache_write_1h: 0,
    }
}

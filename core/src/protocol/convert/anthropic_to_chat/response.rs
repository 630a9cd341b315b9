//! Converts a complete OpenAI Chat Completions answer to an Anthropic message. Pure.
//!
//! - The first choice only (the relay never asks for `n` > 1).
//! - `reasoning_content` (or `reasoning`, as Chat-compatible servers such as DeepSeek and
//!   OpenRouter send it) → a `thinking` block with an empty signature (Chat reasoning cannot be
//!   replayed, so the request side drops it); `content` and `refusal` → `text`;
//!   `tool_calls` (and the legacy `function_call`) → `tool_use` blocks (input = the arguments
//!   parsed, `{}` when empty, completed to a valid object when cut off).
//! - `stop_reason`: `length` → `max_tokens`, `content_filter` → `refusal`, otherwise
//!   `tool_use` when a tool was called (whatever the finish reason), else `end_turn`.
//! - usage: `input_tokens` = prompt − cached (`prompt_tokens_details.cached_tokens`),
//!   `cache_read_input_tokens` = cached, `output_tokens` = completion tokens.

use serde_json::Value;

use super::super::ConvertError;
use super::super::anthropic_to_responses::emit::{self, Block};
use crate::protocol::Usage;

/// Converts a Chat Completions body to an Anthropic message body.
pub(super) fn convert(body: &[u8], client_model: &str) -> Result<Vec<u8>, ConvertError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| ConvertError::new("", format!("the upstream answer is not JSON: {e}")))?;
    let Some(choice) = root
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        return Err(ConvertError::new(
            "choices",
            "the upstream answer has no choices",
        ));
    };
    let message = choice.get("message").unwrap_or(&Value::Null);
    let mut blocks = Vec::new();
    if let Some(thinking) = reasoning_text(message) {
        blocks.push(Block::Thinking {
            thinking: thinking.to_owned(),
            signature: String::new(),
        });
    }
    match message.get("content") {
        Some(Value::String(text)) if !text.is_empty() => blocks.push(Block::Text(text.clone())),
        Some(Value::Array(parts)) => {
            for part in parts {
                if let Some(t) = part
                    .get("text")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                {
                    blocks.push(Block::Text(t.to_owned()));
                }
            }
        }
        _ => {}
    }
    if let Some(refusal) = message
        .get("refusal")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
    {
        blocks.push(Block::Text(refusal.to_owned()));
    }
    let id = emit::message_id(root.get("id").and_then(Value::as_str));
    let calls = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let legacy = message
        .get("function_call")
        .map(|f| serde_json::json!({"id": "", "function": f}));
    for (n, call) in calls.iter().chain(legacy.iter()).enumerate() {
        let field = |p: &str| call.pointer(p).and_then(Value::as_str).unwrap_or("");
        let name = field("/function/name");
        if name.is_empty() {
            continue;
        }
        let call_id = match field("/id") {
            "" => format!("toolu_{}_{n}", id.trim_start_matches("msg_")),
            given => given.to_owned(),
        };
        blocks.push(Block::ToolUse {
            id: call_id,
            name: name.to_owned(),
            input: emit::tool_input(field("/function/arguments")),
        });
    }
    let has_tool = blocks.iter().any(|b| matches!(b, Block::ToolUse { .. }));
    let stop = stop_reason(
        choice.get("finish_reason").and_then(Value::as_str),
        has_tool,
    );
    let usage = usage(root.get("usage"));
    Ok(emit::message_json(&id, client_model, &blocks, stop, &usage))
}

/// The reasoning text of a message or delta, if any.
pub(super) fn reasoning_text(message: &Value) -> Option<&str> {
    ["reasoning_content", "reasoning"]
        .iter()
        .find_map(|k| message.get(*k).and_then(Value::as_str))
        .filter(|t| !t.is_empty())
}

/// The Anthropic stop reason for a Chat `finish_reason`.
pub(super) fn stop_reason(finish: Option<&str>, has_tool: bool) -> &'static str {
    match finish {
        Some("length") => "max_tokens",
        Some("content_filter") => "refusal",
        _ if has_tool => "tool_use",
        _ => "end_turn",
    }
}

/// Usage in Anthropic's convention from a Chat `usage` object.
pub(super) fn usage(value: Option<&Value>) -> Usage {
    let get = |p: &str| {
        value
            .and_then(|u| u.pointer(p))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let cached = get("/prompt_tokens_details/cached_tokens");
    Usage {
        input: get("/prompt_tokens").saturating_sub(cached),
        output: get("/completion_tokens"),
        cache_read: cached,
        cache_write: 0,
        cache_write_1h: 0,
    }
}

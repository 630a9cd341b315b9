//! The answer coming down: a complete Anthropic message → an OpenAI Responses `response`
//! object, plus the item and response builders the stream transcoder shares. Pure: bytes in,
//! bytes out (the clock is read for `created_at`).

use serde_json::{Value, json};

use super::common::{
    Block, NAMESPACE_SEP, REDACTED_PREFIX, arguments_text, id_base, openai_input, parse_message,
    responses_status, unix_now,
};
use crate::protocol::Usage;
use crate::protocol::convert::ConvertError;

/// Converts an Anthropic message body into a Responses `response` body.
pub fn convert(body: &[u8], client_model: &str) -> Result<Vec<u8>, ConvertError> {
    let msg = parse_message(body)?;
    let base = id_base(&msg.id);
    let mut output: Vec<Value> = Vec::new();
    // Consecutive text blocks share one message item.
    let mut parts: Vec<Value> = Vec::new();
    let mut message_index: Option<usize> = None;
    for block in &msg.blocks {
        if !matches!(block, Block::Text(_))
            && let Some(index) = message_index.take()
        {
            output.push(message_item(
                &item_id("msg", &base, index),
                "completed",
                std::mem::take(&mut parts),
            ));
        }
        match block {
            Block::Text(text) => {
                message_index.get_or_insert(output.len());
                parts.push(text_part(text));
            }
            Block::Thinking { text, signature } => {
                output.push(reasoning_item(
                    &item_id("rs", &base, output.len()),
                    text,
                    signature,
                ));
            }
            Block::Redacted(data) => {
                let enc = format!("{REDACTED_PREFIX}{data}");
                output.push(reasoning_item(
                    &item_id("rs", &base, output.len()),
                    "",
                    &enc,
                ));
            }
            Block::ToolUse { id, name, input } => {
                let item = function_call_item(
                    &item_id("fc", &base, output.len()),
                    "completed",
                    id,
                    name,
                    &arguments_text(input),
                );
                output.push(item);
            }
        }
    }
    let (status, reason) = responses_status(msg.stop_reason.as_deref());
    if let Some(index) = message_index {
        // The text that was cut off by the token limit is itself incomplete.
        let item_status = if status == "incomplete" {
            "incomplete"
        } else {
            "completed"
        };
        output.push(message_item(
            &item_id("msg", &base, index),
            item_status,
            parts,
        ));
    }
    let resp = response_object(
        &response_id(&base),
        client_model,
        unix_now(),
        status,
        reason,
        output,
        Some(&msg.usage),
    );
    serde_json::to_vec(&resp).map_err(|e| ConvertError::new("", e.to_string()))
}

/// The Responses id for an Anthropic message id base.
pub(super) fn response_id(base: &str) -> String {
    format!("resp_{base}")
}

/// The id of the output item at `index` (`msg_…`, `rs_…`, `fc_…`).
pub(super) fn item_id(prefix: &str, base: &str, index: usize) -> String {
    format!("{prefix}_{base}_{index}")
}

/// An `output_text` content part.
pub(super) fn text_part(text: impl Into<String>) -> Value {
    super::super::object([
        ("type", "output_text".into()),
        ("text", Value::String(text.into())),
        ("annotations", Value::Array(Vec::new())),
    ])
}

/// An assistant `message` output item.
pub(super) fn message_item(id: &str, status: &str, parts: Vec<Value>) -> Value {
    super::super::object([
        ("id", id.into()),
        ("type", "message".into()),
        ("status", status.into()),
        ("role", "assistant".into()),
        ("content", Value::Array(parts)),
    ])
}

/// A `reasoning` output item: the thinking text as one summary part (none when empty, so the
/// text comes back byte-exact), the signature (or prefixed redacted data) as `encrypted_content`.
pub(super) fn reasoning_item(id: &str, text: &str, encrypted: &str) -> Value {
    let summary: Vec<Value> = if text.is_empty() {
        Vec::new()
    } else {
        vec![json!({"type": "summary_text", "text": text})]
    };
    json!({"id": id, "type": "reasoning", "summary": summary, "encrypted_content": encrypted})
}

/// A `function_call` output item; a flattened namespace tool name is split back into
/// `namespace` and `name`.
pub(super) fn function_call_item(
    id: &str,
    status: &str,
    call_id: &str,
    tool_name: &str,
    arguments: &str,
) -> Value {
    let mut item = json!({
        "id": id, "type": "function_call", "status": status, "call_id": call_id,
        "name": tool_name, "arguments": arguments,
    });
    if let Some((ns, name)) = tool_name.split_once(NAMESPACE_SEP)
        && !ns.is_empty()
        && !name.is_empty()
        && let Some(obj) = item.as_object_mut()
    {
        obj.insert("name".into(), json!(name));
        obj.insert("namespace".into(), json!(ns));
    }
    item
}

/// Responses `usage`: input includes cache reads and writes; `cached_tokens` = cache reads.
pub(super) fn usage_json(u: &Usage) -> Value {
    let input = openai_input(u);
    json!({
        "input_tokens": input,
        "input_tokens_details": {"cached_tokens": u.cache_read},
        "output_tokens": u.output,
        "total_tokens": input + u.output,
    })
}

/// A `response` object. Request echo fields the converter cannot know (tools, temperature...)
/// carry neutral values.
pub(super) fn response_object(
    id: &str,
    model: &str,
    created_at: u64,
    status: &str,
    incomplete_reason: Option<&str>,
    output: Vec<Value>,
    usage: Option<&Usage>,
) -> Value {
    let mut response = json!({
        "id": id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": null,
        "incomplete_details": incomplete_reason.map(|r| json!({"reason": r})),
        "instructions": null,
        "model": model,
        "output": [],
        "parallel_tool_calls": true,
        "temperature": null,
        "tool_choice": "auto",
        "tools": [],
        "top_p": null,
        "metadata": {},
        "usage": usage.map(usage_json),
    });
    // Moved in, not copied through `json!`: `output` holds the whole answer.
    if let Some(members) = response.as_object_mut() {
        members.insert("output".into(), Value::Array(output));
    }
    response
}

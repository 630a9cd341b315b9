//! The answer coming down: a complete Anthropic message → an OpenAI `chat.completion`, plus the
//! builders the stream transcoder shares. Pure: bytes in, bytes out (the clock is read for
//! `created`).

use serde_json::{Map, Value, json};

use crate::protocol::Usage;
use crate::protocol::convert::ConvertError;
use crate::protocol::convert::responses_to_anthropic::common::{
    Block, arguments_text, chat_finish_reason, id_base, openai_input, parse_message, unix_now,
};

/// Converts an Anthropic message body into a Chat Completions body.
pub fn convert(body: &[u8], client_model: &str) -> Result<Vec<u8>, ConvertError> {
    let msg = parse_message(body)?;
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut thinking_blocks = Vec::new();
    let mut tool_calls = Vec::new();
    for block in &msg.blocks {
        match block {
            Block::Text(t) => text.push_str(t),
            Block::Thinking { text: t, signature } => {
                reasoning.push_str(t);
                thinking_blocks.push(thinking_block(None, t, signature));
            }
            Block::Redacted(data) => thinking_blocks.push(redacted_block(None, data)),
            Block::ToolUse { id, name, input } => tool_calls.push(json!({
                "id": id, "type": "function",
                "function": {"name": name, "arguments": arguments_text(input)},
            })),
        }
    }
    let mut message = Map::new();
    message.insert("role".into(), json!("assistant"));
    let content = if text.is_empty() && !tool_calls.is_empty() {
        Value::Null
    } else {
        json!(text)
    };
    message.insert("content".into(), content);
    message.insert("refusal".into(), Value::Null);
    if !tool_calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(tool_calls));
    }
    if !thinking_blocks.is_empty() {
        message.insert("reasoning_content".into(), json!(reasoning));
        message.insert("thinking_blocks".into(), Value::Array(thinking_blocks));
    }
    let body = json!({
        "id": completion_id(&id_base(&msg.id)),
        "object": "chat.completion",
        "created": unix_now(),
        "model": client_model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": chat_finish_reason(msg.stop_reason.as_deref()),
        }],
        "usage": usage_json(&msg.usage),
    });
    serde_json::to_vec(&body).map_err(|e| ConvertError::new("", e.to_string()))
}

/// The Chat id for an Anthropic message id base.
pub(super) fn completion_id(base: &str) -> String {
    format!("chatcmpl-{base}")
}

/// A replayable thinking block (non-standard `thinking_blocks` entry); `index` in streams.
pub(super) fn thinking_block(index: Option<usize>, text: &str, signature: &str) -> Value {
    let mut v = json!({"type": "thinking", "thinking": text, "signature": signature});
    if let (Some(i), Some(o)) = (index, v.as_object_mut()) {
        o.insert("index".into(), json!(i));
    }
    v
}

/// A replayable redacted thinking block.
pub(super) fn redacted_block(index: Option<usize>, data: &str) -> Value {
    let mut v = json!({"type": "redacted_thinking", "data": data});
    if let (Some(i), Some(o)) = (index, v.as_object_mut()) {
        o.insert("index".into(), json!(i));
    }
    v
}

/// Chat `usage`: prompt tokens include cache reads and writes; `cached_tokens` = cache reads.
pub(super) fn usage_json(u: &Usage) -> Value {
    let prompt = openai_input(u);
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": u.output,
        "total_tokens": prompt + u.output,
        "prompt_tokens_details": {"cached_tokens": u.cache_read},
    })
}

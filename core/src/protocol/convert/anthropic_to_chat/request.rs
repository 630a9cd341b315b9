//! Renders an Anthropic Messages request (read by the shared `messages` module of
//! `anthropic_to_responses`, which documents the decisions common to both targets) as an
//! OpenAI Chat Completions request. Pure.
//!
//! - `system` → one leading `system` message (blocks joined with a blank line); system turns
//!   → `system` messages at their position (`system` rather than `developer`, which not every
//!   Chat-compatible server knows; OpenAI treats them alike).
//! - user text / image / document → `text` / `image_url` / `file` parts (a message of one text
//!   is sent as a plain string). Document URLs are refused: Chat file parts take data only.
//! - `tool_result` → `tool` messages, first, in order, right after the assistant's calls; text
//!   only (`is_error` → `Error: ` prefix). Images and files in a tool result cannot go in a
//!   `tool` message: they are moved into the user message that follows, after a text part
//!   naming the call they belong to.
//! - assistant text (blocks joined with a blank line) + `tool_use` → one assistant message with
//!   `content` and `tool_calls`. Thinking blocks are dropped: Chat cannot replay reasoning. An
//!   assistant turn left empty is skipped.
//! - `max_tokens` → `max_completion_tokens`; reasoning models (see
//!   `messages::is_reasoning_model`) get `reasoning_effort` and no `temperature` / `top_p` /
//!   `stop`; other models get those (`stop` = the first 4 `stop_sequences`, the OpenAI limit)
//!   and no reasoning effort.
//! - `metadata.user_id` → `user` (as is up to 64 characters, else `anthropic-user-` + a
//!   64-bit FNV-1a digest, so it stays stable per user without exceeding OpenAI's limit).
//! - `output_config.format` → `response_format` (`json_schema`, `strict: false`).
//! - Streams ask for `stream_options: {include_usage: true}` (usage arrives in the last chunk).

use serde_json::{Map, Value, json};

use super::super::anthropic_to_responses::messages::{self, File, Part, Request, Role, ToolChoice};
use super::super::{ConvertError, RequestContext};

/// OpenAI's limit on `stop` sequences.
const MAX_STOP: usize = 4;

/// Converts an Anthropic Messages body to an OpenAI Chat Completions body.
pub(super) fn convert(body: &[u8], ctx: &RequestContext<'_>) -> Result<Vec<u8>, ConvertError> {
    let req = messages::parse(body)?;
    Ok(Value::Object(render(&req, ctx)?).to_string().into_bytes())
}

fn render(req: &Request, ctx: &RequestContext<'_>) -> Result<Map<String, Value>, ConvertError> {
    let mut out = Map::new();
    out.insert("model".into(), ctx.upstream_model.into());
    let mut msgs = Vec::new();
    if !req.system.is_empty() {
        msgs.push(json!({"role": "system", "content": req.system.join("\n\n")}));
    }
    for turn in &req.turns {
        match turn.role {
            Role::System => {
                let texts: Vec<&str> = turn.parts.iter().filter_map(text_of).collect();
                msgs.push(json!({"role": "system", "content": texts.join("\n\n")}));
            }
            Role::User => user(turn.index, &turn.parts, &mut msgs)?,
            Role::Assistant => msgs.extend(assistant(&turn.parts)),
        }
    }
    out.insert("messages".into(), msgs.into());
    if !req.tools.is_empty() {
        let tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                let mut function = json!({"name": t.name, "parameters": t.parameters});
                if let (Some(d), Some(f)) = (&t.description, function.as_object_mut()) {
                    f.insert("description".into(), d.clone().into());
                }
                json!({"type": "function", "function": function})
            })
            .collect();
        out.insert("tools".into(), tools.into());
    }
    if let Some(choice) = &req.tool_choice {
        let choice = match choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::Any => json!("required"),
            ToolChoice::None => json!("none"),
            ToolChoice::Tool(name) => json!({"type": "function", "function": {"name": name}}),
        };
        out.insert("tool_choice".into(), choice);
    }
    if let Some(parallel) = req.parallel_tool_calls {
        out.insert("parallel_tool_calls".into(), parallel.into());
    }
    if let Some(max) = req.max_tokens {
        out.insert("max_completion_tokens".into(), max.into());
    }
    if messages::is_reasoning_model(ctx.upstream_model) {
        if let Some(effort) = req.effort {
            out.insert("reasoning_effort".into(), effort.as_str().into());
        }
    } else {
        if let Some(t) = &req.temperature {
            out.insert("temperature".into(), t.clone());
        }
        if let Some(p) = &req.top_p {
            out.insert("top_p".into(), p.clone());
        }
        if !req.stop_sequences.is_empty() {
            let stop: Vec<&String> = req.stop_sequences.iter().take(MAX_STOP).collect();
            out.insert("stop".into(), json!(stop));
        }
    }
    if let Some(format) = &req.output_format {
        out.insert(
            "response_format".into(),
            json!({"type": "json_schema", "json_schema": {
                "name": "output", "schema": format.schema, "strict": false,
            }}),
        );
    }
    if let Some(user) = &req.user_id {
        out.insert("user".into(), user_field(user).into());
    }
    out.insert("stream".into(), ctx.stream.into());
    if ctx.stream {
        out.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Ok(out)
}

fn text_of(part: &Part) -> Option<&str> {
    match part {
        Part::Text(t) => Some(t),
        _ => None,
    }
}

/// A user turn: its tool results as `tool` messages, then one user message with the rest.
fn user(index: usize, parts: &[Part], msgs: &mut Vec<Value>) -> Result<(), ConvertError> {
    let mut content: Vec<Value> = Vec::new();
    for part in parts {
        if let Part::ToolResult {
            id,
            content: result,
            is_error,
        } = part
        {
            let texts: Vec<&str> = result.iter().filter_map(text_of).collect();
            let attachments: Vec<&Part> = result.iter().filter(|p| text_of(p).is_none()).collect();
            let mut text = texts.join("\n\n");
            if text.is_empty() && !attachments.is_empty() {
                text = "(the attachments follow in the next user message)".into();
            }
            if *is_error {
                text = if text.is_empty() {
                    "Error".into()
                } else {
                    format!("Error: {text}")
                };
            }
            msgs.push(json!({"role": "tool", "tool_call_id": id, "content": text}));
            if !attachments.is_empty() {
                content.push(
                    json!({"type": "text", "text": format!("Attachments from tool result {id}:")}),
                );
                for a in attachments {
                    content.push(chat_part(index, a)?);
                }
            }
        }
    }
    for part in parts
        .iter()
        .filter(|p| !matches!(p, Part::ToolResult { .. }))
    {
        content.push(chat_part(index, part)?);
    }
    match content.as_slice() {
        [] => {}
        [single] if single["type"] == "text" => {
            msgs.push(json!({"role": "user", "content": single["text"]}));
        }
        _ => msgs.push(json!({"role": "user", "content": content})),
    }
    Ok(())
}

fn chat_part(index: usize, part: &Part) -> Result<Value, ConvertError> {
    Ok(match part {
        Part::Text(text) => json!({"type": "text", "text": text}),
        Part::Image(url) => json!({"type": "image_url", "image_url": {"url": url}}),
        Part::File(File::Data { url, filename }) => {
            json!({"type": "file", "file": {"file_data": url, "filename": filename}})
        }
        Part::File(File::Url { .. }) => {
            return Err(ConvertError::new(
                format!("messages[{index}]"),
                "a Chat Completions upstream cannot fetch document URLs; send the document \
                 as base64 data",
            ));
        }
        Part::ToolUse { .. } | Part::ToolResult { .. } | Part::Reasoning { .. } => {
            return Err(ConvertError::new(
                format!("messages[{index}]"),
                "unexpected block in a user turn",
            ));
        }
    })
}

fn assistant(parts: &[Part]) -> Option<Value> {
    let texts: Vec<&str> = parts.iter().filter_map(text_of).collect();
    let calls: Vec<Value> = parts
        .iter()
        .filter_map(|p| match p {
            Part::ToolUse {
                id,
                name,
                arguments,
            } => Some(json!({
                "id": id,
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            })),
            _ => None,
        })
        .collect();
    if texts.is_empty() && calls.is_empty() {
        return None;
    }
    let mut msg = json!({
        "role": "assistant",
        "content": if texts.is_empty() { Value::Null } else { texts.join("\n\n").into() },
    });
    if !calls.is_empty()
        && let Some(m) = msg.as_object_mut()
    {
        m.insert("tool_calls".into(), calls.into());
    }
    Some(msg)
}

/// OpenAI's `user` is limited to 64 characters.
fn user_field(user_id: &str) -> String {
    if user_id.chars().count() <= 64 {
        return user_id.to_owned();
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in user_id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("anthropic-user-{hash:016x}")
}

//! Renders an Anthropic Messages request (read by [`super::messages`]) as an OpenAI Responses
//! request. Pure.
//!
//! - `system` → `instructions` (blocks joined with a blank line); system turns → `developer`
//!   messages at their position.
//! - user text / image / document → `input_text` / `input_image` / `input_file`; `tool_result` →
//!   `function_call_output` (text only → a string; with images or files → an array of input
//!   parts; `is_error` → the output starts with `Error: `, as Responses has no error flag).
//! - assistant text → an assistant message of `output_text`; `tool_use` → `function_call`;
//!   replayable thinking → a `reasoning` item with its `encrypted_content` (and summary).
//! - `max_tokens` → `max_output_tokens` (at least 16, the Responses minimum).
//! - Reasoning models (see [`super::messages::is_reasoning_model`]) get `reasoning: {effort,
//!   summary: "auto"}` and, unless the effort is `none`, `include:
//!   ["reasoning.encrypted_content"]` (with `store: false` this is how reasoning survives the
//!   turn); `temperature` / `top_p` are not sent to them (they refuse them). Other models get
//!   the sampling parameters and no reasoning.
//! - `stop_sequences`: Responses has no stop parameter; they are not enforced (refusing them
//!   would break Claude Code, whose helper requests send them).
//! - `metadata.user_id` is not sent (Responses' `user` is deprecated; `safety_identifier` is
//!   limited to 64 characters).
//! - `output_config.format` → `text.format` (`json_schema`, `strict: false`).

use serde_json::{Map, Value, json};

use super::super::{ConvertError, RequestContext};
use super::messages::{self, File, Part, Request, Role, ToolChoice};

/// The Responses API refuses a smaller `max_output_tokens`.
const MIN_OUTPUT_TOKENS: u64 = 16;

/// Converts an Anthropic Messages body to an OpenAI Responses body.
pub(super) fn convert(body: &[u8], ctx: &RequestContext<'_>) -> Result<Vec<u8>, ConvertError> {
    let req = messages::parse(body)?;
    Ok(Value::Object(render(&req, ctx)).to_string().into_bytes())
}

fn render(req: &Request, ctx: &RequestContext<'_>) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("model".into(), ctx.upstream_model.into());
    if !req.system.is_empty() {
        out.insert("instructions".into(), req.system.join("\n\n").into());
    }
    out.insert("input".into(), Value::Array(input(req)));
    if !req.tools.is_empty() {
        let tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                let mut tool = json!({
                    "type": "function",
                    "name": t.name,
                    "parameters": t.parameters,
                    "strict": false,
                });
                if let (Some(d), Some(obj)) = (&t.description, tool.as_object_mut()) {
                    obj.insert("description".into(), d.clone().into());
                }
                tool
            })
            .collect();
        out.insert("tools".into(), tools.into());
    }
    if let Some(choice) = &req.tool_choice {
        let choice = match choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::Any => json!("required"),
            ToolChoice::None => json!("none"),
            ToolChoice::Tool(name) => json!({"type": "function", "name": name}),
        };
        out.insert("tool_choice".into(), choice);
    }
    if let Some(parallel) = req.parallel_tool_calls {
        out.insert("parallel_tool_calls".into(), parallel.into());
    }
    if let Some(max) = req.max_tokens {
        out.insert(
            "max_output_tokens".into(),
            max.max(MIN_OUTPUT_TOKENS).into(),
        );
    }
    if messages::is_reasoning_model(ctx.upstream_model) {
        if let Some(effort) = req.effort {
            let mut reasoning = json!({"effort": effort.as_str()});
            if effort != messages::Effort::None {
                if let Some(r) = reasoning.as_object_mut() {
                    r.insert("summary".into(), "auto".into());
                }
                out.insert("include".into(), json!(["reasoning.encrypted_content"]));
            }
            out.insert("reasoning".into(), reasoning);
        }
    } else {
        if let Some(t) = &req.temperature {
            out.insert("temperature".into(), t.clone());
        }
        if let Some(p) = &req.top_p {
            out.insert("top_p".into(), p.clone());
        }
    }
    if let Some(format) = &req.output_format {
        out.insert(
            "text".into(),
            json!({"format": {
                "type": "json_schema",
                "name": "output",
                "schema": format.schema,
                "strict": false,
            }}),
        );
    }
    out.insert("stream".into(), ctx.stream.into());
    out.insert("store".into(), false.into());
    out
}

/// Builds the `input` items, keeping the order of turns and of blocks within them.
fn input(req: &Request) -> Vec<Value> {
    let mut items = Vec::new();
    for turn in &req.turns {
        let mut content: Vec<Value> = Vec::new();
        let role = match turn.role {
            Role::System => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        for part in &turn.parts {
            match part {
                Part::Text(text) => {
                    let kind = if turn.role == Role::Assistant {
                        "output_text"
                    } else {
                        "input_text"
                    };
                    content.push(json!({"type": kind, "text": text}));
                }
                Part::Image(_) | Part::File(_) => content.extend(input_part(part)),
                Part::ToolUse {
                    id,
                    name,
                    arguments,
                } => {
                    flush(&mut items, role, &mut content);
                    items.push(json!({
                        "type": "function_call",
                        "call_id": id,
                        "name": name,
                        "arguments": arguments,
                    }));
                }
                Part::ToolResult {
                    id,
                    content: result,
                    is_error,
                } => {
                    flush(&mut items, role, &mut content);
                    items.push(json!({
                        "type": "function_call_output",
                        "call_id": id,
                        "output": tool_output(result, *is_error),
                    }));
                }
                Part::Reasoning { summary, encrypted } => {
                    flush(&mut items, role, &mut content);
                    let summary: Vec<Value> = if summary.is_empty() {
                        Vec::new()
                    } else {
                        vec![json!({"type": "summary_text", "text": summary})]
                    };
                    items.push(json!({
                        "type": "reasoning",
                        "summary": summary,
                        "encrypted_content": encrypted,
                    }));
                }
            }
        }
        flush(&mut items, role, &mut content);
    }
    items
}

fn flush(items: &mut Vec<Value>, role: &str, content: &mut Vec<Value>) {
    if content.is_empty() {
        return;
    }
    items.push(json!({
        "type": "message",
        "role": role,
        "content": std::mem::take(content),
    }));
}

/// An image or file as a Responses input part.
fn input_part(part: &Part) -> Option<Value> {
    match part {
        Part::Text(text) => Some(json!({"type": "input_text", "text": text})),
        Part::Image(url) => {
            Some(json!({"type": "input_image", "image_url": url, "detail": "auto"}))
        }
        Part::File(File::Data { url, filename }) => {
            Some(json!({"type": "input_file", "file_data": url, "filename": filename}))
        }
        Part::File(File::Url { url }) => Some(json!({"type": "input_file", "file_url": url})),
        _ => None,
    }
}

fn tool_output(parts: &[Part], is_error: bool) -> Value {
    let prefix = if is_error { "Error: " } else { "" };
    if parts.iter().all(|p| matches!(p, Part::Text(_))) {
        let texts: Vec<&str> = parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        let joined = texts.join("\n\n");
        return if is_error && joined.is_empty() {
            Value::String("Error".into())
        } else {
            Value::String(format!("{prefix}{joined}"))
        };
    }
    let mut out: Vec<Value> = Vec::new();
    if is_error {
        out.push(json!({"type": "input_text", "text": "Error:"}));
    }
    out.extend(parts.iter().filter_map(input_part));
    Value::Array(out)
}

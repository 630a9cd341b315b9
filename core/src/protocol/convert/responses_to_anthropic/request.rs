//! The request going up: an OpenAI Responses body → an Anthropic Messages body. Pure: bytes in,
//! bytes out. The decisions (what is mapped, ignored or refused) are listed in the pair's
//! module documentation.

use serde_json::{Map, Value, json};

use super::common::{
    Choice, Effort, NAMESPACE_SEP, REDACTED_PREFIX, Role, Sampling, Turns, apply_sampling,
    apply_tools, document_block, err, function_tool, image_block, opt_f64, opt_str, opt_u64,
    parse_arguments, parse_object, parse_stop, present, req_str, text_block, tool_id,
};
use crate::protocol::convert::{ConvertError, RequestContext};

/// Top-level fields read by the conversion (some only to check that they are harmless).
const MAPPED: &[&str] = &[
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_output_tokens",
    "temperature",
    "top_p",
    "reasoning",
    "stream",
    "stop",
    "text",
    "include",
    "top_logprobs",
    "background",
    "previous_response_id",
    "conversation",
    "prompt",
];

/// Top-level fields with no Anthropic counterpart that change nothing about the answer.
const IGNORED: &[&str] = &[
    "store",
    "prompt_cache_key",
    "prompt_cache_retention",
    "client_metadata",
    "user",
    "safety_identifier",
    "metadata",
    "service_tier",
    "stream_options",
    "truncation",
    "max_tool_calls",
];

/// Converts a Responses request body into an Anthropic Messages request body.
pub fn convert(body: &[u8], ctx: &RequestContext<'_>) -> Result<Vec<u8>, ConvertError> {
    let req = parse_object(body)?;
    check_fields(&req)?;

    let mut system = Vec::new();
    if let Some(text) = opt_str(&req, "instructions", "instructions")?.and_then(text_block) {
        system.push(text);
    }
    let mut turns = Turns::default();
    match present(&req, "input") {
        None => return Err(err("input", "is required")),
        Some(Value::String(s)) => {
            if let Some(b) = text_block(s) {
                turns.push(Role::User, b);
            }
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                input_item(item, &format!("input[{i}]"), &mut system, &mut turns)?;
            }
        }
        Some(_) => return Err(err("input", "must be a string or an array of items")),
    }
    let messages = turns.into_messages();
    if messages.is_empty() {
        return Err(err("input", "holds no user or assistant content to send"));
    }

    let mut out = Map::new();
    out.insert("model".into(), json!(ctx.upstream_model));
    let tools = tools(present(&req, "tools"))?;
    let choice = tool_choice(present(&req, "tool_choice"))?;
    let parallel = present(&req, "parallel_tool_calls").and_then(Value::as_bool);
    let forced_tool = apply_tools(&mut out, tools, choice, parallel, "tool_choice")?;
    let reasoning = present(&req, "reasoning");
    if reasoning.is_some_and(|r| !r.is_object()) {
        return Err(err("reasoning", "must be an object"));
    }
    let sampling = Sampling {
        max_tokens: opt_u64(&req, "max_output_tokens", "max_output_tokens")?,
        temperature: opt_f64(&req, "temperature", "temperature")?,
        top_p: opt_f64(&req, "top_p", "top_p")?,
        stop: parse_stop(present(&req, "stop"))?,
        effort: Effort::parse(reasoning.and_then(|r| r.get("effort")), "reasoning.effort")?,
        forced_tool,
    };
    apply_sampling(
        &mut out,
        &sampling,
        ctx.upstream_model,
        &messages,
        "temperature",
    )?;
    if !system.is_empty() {
        out.insert("system".into(), Value::Array(system));
    }
    out.insert("messages".into(), Value::Array(messages));
    out.insert("stream".into(), json!(ctx.stream));
    serde_json::to_vec(&Value::Object(out)).map_err(|e| err("", e.to_string()))
}

/// Refuses fields Anthropic cannot honour and fields this converter does not know.
fn check_fields(req: &Map<String, Value>) -> Result<(), ConvertError> {
    for (key, value) in req {
        if IGNORED.contains(&key.as_str()) || value.is_null() {
            continue;
        }
        if !MAPPED.contains(&key.as_str()) {
            return Err(err(
                key.as_str(),
                "unknown field: the relay cannot tell whether Anthropic Messages can honour it",
            ));
        }
        match key.as_str() {
            "previous_response_id" | "conversation" => {
                return Err(err(
                    key.as_str(),
                    "the relay keeps no stored responses for Anthropic upstreams; send the whole conversation in `input` (store: false)",
                ));
            }
            "prompt" => {
                return Err(err(
                    "prompt",
                    "stored prompt templates exist only on OpenAI",
                ));
            }
            "background" if value.as_bool() == Some(true) => {
                return Err(err(
                    "background",
                    "background responses need OpenAI's response store",
                ));
            }
            "top_logprobs" if value.as_u64() != Some(0) => {
                return Err(err(
                    "top_logprobs",
                    "Anthropic Messages returns no log probabilities",
                ));
            }
            "include" => {
                let logprobs = value.as_array().is_some_and(|a| {
                    a.iter()
                        .any(|v| v.as_str() == Some("message.output_text.logprobs"))
                });
                if logprobs {
                    return Err(err(
                        "include",
                        "Anthropic Messages returns no log probabilities",
                    ));
                }
            }
            "text" => {
                let format = value.get("format").filter(|f| !f.is_null());
                let kind = format.and_then(|f| f.get("type")).and_then(Value::as_str);
                if format.is_some() && kind != Some("text") {
                    return Err(err(
                        "text.format",
                        "structured output formats are not converted for Anthropic upstreams; use type `text`",
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// One `input` item.
fn input_item(
    item: &Value,
    field: &str,
    system: &mut Vec<Value>,
    turns: &mut Turns,
) -> Result<(), ConvertError> {
    let Some(obj) = item.as_object() else {
        return Err(err(field, "an input item must be an object"));
    };
    let kind = match opt_str(obj, "type", &format!("{field}.type"))? {
        Some(k) => k,
        None if obj.contains_key("role") => "message",
        None => return Err(err(format!("{field}.type"), "is required")),
    };
    match kind {
        "message" => message(obj, field, system, turns),
        "function_call" => {
            let call_id = req_str(obj, "call_id", &format!("{field}.call_id"))?;
            let name = req_str(obj, "name", &format!("{field}.name"))?;
            let name = match opt_str(obj, "namespace", &format!("{field}.namespace"))? {
                Some(ns) if !ns.is_empty() => format!("{ns}{NAMESPACE_SEP}{name}"),
                _ => name.to_owned(),
            };
            let args =
                opt_str(obj, "arguments", &format!("{field}.arguments"))?.unwrap_or_default();
            let input = parse_arguments(args, &format!("{field}.arguments"))?;
            turns.push(
                Role::Assistant,
                json!({"type": "tool_use", "id": tool_id(call_id), "name": name, "input": input}),
            );
            Ok(())
        }
        "function_call_output" => {
            let call_id = req_str(obj, "call_id", &format!("{field}.call_id"))?;
            let mut block = Map::new();
            block.insert("type".into(), json!("tool_result"));
            block.insert("tool_use_id".into(), json!(tool_id(call_id)));
            let out_field = format!("{field}.output");
            match present(obj, "output") {
                None => {}
                Some(Value::String(s)) if s.is_empty() => {}
                Some(Value::String(s)) => {
                    block.insert("content".into(), json!(s));
                }
                Some(Value::Array(parts)) => {
                    let mut content = Vec::new();
                    for (j, part) in parts.iter().enumerate() {
                        if let Some(b) = user_part(part, &format!("{out_field}[{j}]"))? {
                            content.push(b);
                        }
                    }
                    if !content.is_empty() {
                        block.insert("content".into(), Value::Array(content));
                    }
                }
                Some(_) => {
                    return Err(err(
                        out_field,
                        "must be a string or an array of content parts",
                    ));
                }
            }
            turns.push(Role::User, Value::Object(block));
            Ok(())
        }
        "reasoning" => {
            if let Some(b) = reasoning(obj, field)? {
                turns.push(Role::Assistant, b);
            }
            Ok(())
        }
        // A record of a search OpenAI ran server-side; the answer that used it follows as text.
        "web_search_call" => Ok(()),
        "item_reference" => Err(err(
            field,
            "item references need OpenAI's item store; send the referenced item itself",
        )),
        other => Err(err(
            format!("{field}.type"),
            format!("input items of type `{other}` cannot be expressed in Anthropic Messages"),
        )),
    }
}

/// A `message` item (or an easy input message without `type`).
fn message(
    obj: &Map<String, Value>,
    field: &str,
    system: &mut Vec<Value>,
    turns: &mut Turns,
) -> Result<(), ConvertError> {
    let role = req_str(obj, "role", &format!("{field}.role"))?;
    if !matches!(role, "system" | "developer" | "user" | "assistant") {
        return Err(err(
            format!("{field}.role"),
            format!("unknown role `{role}`"),
        ));
    }
    let content_field = format!("{field}.content");
    let parts: Vec<(String, &Value)> = match present(obj, "content") {
        None => Vec::new(),
        Some(Value::String(s)) => {
            let block = text_block(s);
            return match role {
                "system" | "developer" => {
                    system.extend(block);
                    Ok(())
                }
                "user" | "assistant" => {
                    let role = if role == "user" {
                        Role::User
                    } else {
                        Role::Assistant
                    };
                    if let Some(b) = block {
                        turns.push(role, b);
                    }
                    Ok(())
                }
                other => Err(err(
                    format!("{field}.role"),
                    format!("unknown role `{other}`"),
                )),
            };
        }
        Some(Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(j, p)| (format!("{content_field}[{j}]"), p))
            .collect(),
        Some(_) => {
            return Err(err(
                content_field,
                "must be a string or an array of content parts",
            ));
        }
    };
    for (part_field, part) in parts {
        match role {
            "system" | "developer" => {
                let text = part_text(part, &part_field, &["input_text", "text", "output_text"])?;
                system.extend(text_block(text));
            }
            "user" => {
                if let Some(b) = user_part(part, &part_field)? {
                    turns.push(Role::User, b);
                }
            }
            "assistant" => {
                let kind = part.get("type").and_then(Value::as_str).unwrap_or_default();
                let text = if kind == "refusal" {
                    part.get("refusal")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                } else {
                    part_text(part, &part_field, &["output_text", "text", "input_text"])?
                };
                if let Some(b) = text_block(text) {
                    turns.push(Role::Assistant, b);
                }
            }
            other => {
                return Err(err(
                    format!("{field}.role"),
                    format!("unknown role `{other}`"),
                ));
            }
        }
    }
    Ok(())
}

/// The text of a part whose type is one of `kinds`.
fn part_text<'a>(part: &'a Value, field: &str, kinds: &[&str]) -> Result<&'a str, ConvertError> {
    let kind = part.get("type").and_then(Value::as_str).unwrap_or_default();
    if !kinds.contains(&kind) {
        return Err(err(
            format!("{field}.type"),
            format!("a `{kind}` part cannot appear here"),
        ));
    }
    part.get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| err(format!("{field}.text"), "is required"))
}

/// A user (or tool output) content part → an Anthropic block; `None` for empty text.
fn user_part(part: &Value, field: &str) -> Result<Option<Value>, ConvertError> {
    let Some(obj) = part.as_object() else {
        return Err(err(field, "a content part must be an object"));
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "input_text" | "text" | "output_text" => {
            Ok(text_block(req_str(obj, "text", &format!("{field}.text"))?))
        }
        "input_image" => {
            if present(obj, "file_id").is_some() {
                return Err(err(
                    format!("{field}.file_id"),
                    "OpenAI file ids cannot be sent to Anthropic; inline the image as a data URL",
                ));
            }
            let url = req_str(obj, "image_url", &format!("{field}.image_url"))?;
            image_block(url, &format!("{field}.image_url")).map(Some)
        }
        "input_file" => document_block(
            opt_str(obj, "file_data", &format!("{field}.file_data"))?,
            opt_str(obj, "file_url", &format!("{field}.file_url"))?,
            opt_str(obj, "filename", &format!("{field}.filename"))?,
            field,
        )
        .map(Some),
        "input_audio" => Err(err(field, "Anthropic Messages accepts no audio input")),
        other => Err(err(
            format!("{field}.type"),
            format!("content parts of type `{other}` cannot be expressed in Anthropic Messages"),
        )),
    }
}

/// A `reasoning` item → the Anthropic thinking block it came from, when it carries one.
fn reasoning(obj: &Map<String, Value>, field: &str) -> Result<Option<Value>, ConvertError> {
    let Some(enc) = opt_str(
        obj,
        "encrypted_content",
        &format!("{field}.encrypted_content"),
    )?
    else {
        return Ok(None);
    };
    if let Some(data) = enc.strip_prefix(REDACTED_PREFIX) {
        return Ok(Some(json!({"type": "redacted_thinking", "data": data})));
    }
    if enc.starts_with("gAAAA") || enc.is_empty() {
        // Reasoning encrypted by OpenAI: only the OpenAI account that made it can read it.
        return Ok(None);
    }
    let texts = |key: &str, kind: &str| -> String {
        obj.get(key)
            .and_then(Value::as_array)
            .map(|parts| {
                parts
                    .iter()
                    .filter(|p| p.get("type").and_then(Value::as_str) == Some(kind))
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut text = texts("summary", "summary_text");
    if text.is_empty() {
        text = texts("content", "reasoning_text");
    }
    Ok(Some(
        json!({"type": "thinking", "thinking": text, "signature": enc}),
    ))
}

/// `tools` → Anthropic tools (namespaces flattened).
fn tools(v: Option<&Value>) -> Result<Vec<Value>, ConvertError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Some(list) = v.as_array() else {
        return Err(err("tools", "must be an array"));
    };
    let mut out = Vec::new();
    for (i, tool) in list.iter().enumerate() {
        let field = format!("tools[{i}]");
        let Some(obj) = tool.as_object() else {
            return Err(err(field, "a tool must be an object"));
        };
        match opt_str(obj, "type", &format!("{field}.type"))?.unwrap_or_default() {
            "function" => out.push(function(obj, &field, None)?),
            "namespace" => {
                let ns = req_str(obj, "name", &format!("{field}.name"))?;
                let desc = opt_str(obj, "description", &format!("{field}.description"))?;
                let Some(members) = present(obj, "tools").and_then(Value::as_array) else {
                    return Err(err(format!("{field}.tools"), "must be an array"));
                };
                for (j, member) in members.iter().enumerate() {
                    let mfield = format!("{field}.tools[{j}]");
                    let Some(mobj) = member.as_object() else {
                        return Err(err(mfield, "a tool must be an object"));
                    };
                    match opt_str(mobj, "type", &format!("{mfield}.type"))?.unwrap_or_default() {
                        "function" => out.push(function(mobj, &mfield, Some((ns, desc)))?),
                        other => return Err(refuse_tool(&format!("{mfield}.type"), other)),
                    }
                }
            }
            other => return Err(refuse_tool(&format!("{field}.type"), other)),
        }
    }
    Ok(out)
}

/// A function tool, optionally a member of a namespace (name and description).
fn function(
    obj: &Map<String, Value>,
    field: &str,
    ns: Option<(&str, Option<&str>)>,
) -> Result<Value, ConvertError> {
    let name = req_str(obj, "name", &format!("{field}.name"))?;
    let desc = opt_str(obj, "description", &format!("{field}.description"))?;
    let (name, desc) = match ns {
        None => (name.to_owned(), desc.map(str::to_owned)),
        Some((ns, ns_desc)) => {
            let desc = match (
                ns_desc.filter(|d| !d.is_empty()),
                desc.filter(|d| !d.is_empty()),
            ) {
                (Some(n), Some(d)) => Some(format!("{n}\n\n{d}")),
                (n, d) => n.or(d).map(str::to_owned),
            };
            (format!("{ns}{NAMESPACE_SEP}{name}"), desc)
        }
    };
    function_tool(&name, desc.as_deref(), present(obj, "parameters"), field)
}

/// The error for a tool type Anthropic cannot run.
fn refuse_tool(field: &str, kind: &str) -> ConvertError {
    match kind {
        "web_search"
        | "web_search_preview"
        | "web_search_preview_2025_03_11"
        | "web_search_2025_08_26" => err(
            field,
            format!(
                "the built-in `{kind}` tool runs on OpenAI's servers and cannot be sent to an Anthropic upstream; turn the client's web search off (Codex: web_search = \"disabled\" in config.toml)"
            ),
        ),
        "file_search"
        | "code_interpreter"
        | "computer_use_preview"
        | "computer_use"
        | "image_generation"
        | "mcp"
        | "local_shell"
        | "shell"
        | "apply_patch"
        | "tool_search" => err(
            field,
            format!(
                "the built-in `{kind}` tool runs on OpenAI's side and cannot be sent to an Anthropic upstream"
            ),
        ),
        "custom" => err(
            field,
            "custom (free-form grammar) tools cannot be expressed as Anthropic tools; use a function tool",
        ),
        "" => err(field, "is required"),
        other => err(
            field,
            format!("tools of type `{other}` cannot be expressed in Anthropic Messages"),
        ),
    }
}

/// `tool_choice` → [`Choice`].
fn tool_choice(v: Option<&Value>) -> Result<Option<Choice>, ConvertError> {
    let Some(v) = v else { return Ok(None) };
    match v {
        Value::String(s) => match s.as_str() {
            "auto" => Ok(Some(Choice::Auto)),
            "none" => Ok(Some(Choice::None)),
            "required" => Ok(Some(Choice::Any)),
            other => Err(err("tool_choice", format!("unknown tool choice `{other}`"))),
        },
        Value::Object(obj) => match obj.get("type").and_then(Value::as_str).unwrap_or_default() {
            "function" => {
                let name = req_str(obj, "name", "tool_choice.name")?;
                Ok(Some(Choice::Tool(
                    match opt_str(obj, "namespace", "tool_choice.namespace")? {
                        Some(ns) if !ns.is_empty() => format!("{ns}{NAMESPACE_SEP}{name}"),
                        _ => name.to_owned(),
                    },
                )))
            }
            "allowed_tools" => Err(err(
                "tool_choice",
                "an allowed-tools subset cannot be expressed in Anthropic Messages",
            )),
            other => Err(err(
                "tool_choice.type",
                format!("tool choice `{other}` cannot be expressed in Anthropic Messages"),
            )),
        },
        _ => Err(err("tool_choice", "must be a string or an object")),
    }
}

//! The request going up: an OpenAI Chat Completions body → an Anthropic Messages body. Pure:
//! bytes in, bytes out. The decisions are listed in the pair's module documentation.

use serde_json::{Map, Value, json};

use crate::protocol::convert::responses_to_anthropic::common::{
    Choice, Effort, Role, Sampling, Turns, apply_sampling, apply_tools, document_block, err,
    function_tool, image_block, opt_f64, opt_str, opt_u64, parse_arguments, parse_object,
    parse_stop, present, req_str, text_block, tool_id,
};
use crate::protocol::convert::{ConvertError, RequestContext};

/// Top-level fields read by the conversion (some only to check that they are harmless).
const MAPPED: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "stream",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning_effort",
    "n",
    "response_format",
    "logprobs",
    "top_logprobs",
    "modalities",
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
    "audio",
    "web_search_options",
    "functions",
    "function_call",
];

/// Top-level fields with no Anthropic counterpart that change nothing about the answer.
const IGNORED: &[&str] = &[
    "stream_options",
    "user",
    "metadata",
    "store",
    "service_tier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "safety_identifier",
    "seed",
    "verbosity",
    "prediction",
];

/// Converts a Chat Completions request body into an Anthropic Messages request body.
pub fn convert(body: &[u8], ctx: &RequestContext<'_>) -> Result<Vec<u8>, ConvertError> {
    let req = parse_object(body)?;
    check_fields(&req)?;
    let Some(list) = present(&req, "messages").and_then(Value::as_array) else {
        return Err(err("messages", "is required and must be an array"));
    };
    let mut system = Vec::new();
    let mut turns = Turns::default();
    for (i, m) in list.iter().enumerate() {
        message(m, &format!("messages[{i}]"), &mut system, &mut turns)?;
    }
    let messages = turns.into_messages();
    if messages.is_empty() {
        return Err(err(
            "messages",
            "holds no user or assistant content to send",
        ));
    }

    let mut out = Map::new();
    out.insert("model".into(), json!(ctx.upstream_model));
    let tools = tools(present(&req, "tools"))?;
    let choice = tool_choice(present(&req, "tool_choice"))?;
    let parallel = present(&req, "parallel_tool_calls").and_then(Value::as_bool);
    let forced_tool = apply_tools(&mut out, tools, choice, parallel, "tool_choice")?;
    let max_tokens = match opt_u64(&req, "max_completion_tokens", "max_completion_tokens")? {
        Some(n) => Some(n),
        None => opt_u64(&req, "max_tokens", "max_tokens")?,
    };
    let sampling = Sampling {
        max_tokens,
        temperature: opt_f64(&req, "temperature", "temperature")?,
        top_p: opt_f64(&req, "top_p", "top_p")?,
        stop: parse_stop(present(&req, "stop"))?,
        effort: Effort::parse(present(&req, "reasoning_effort"), "reasoning_effort")?,
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
        let key = key.as_str();
        if IGNORED.contains(&key) || value.is_null() {
            continue;
        }
        if !MAPPED.contains(&key) {
            return Err(err(
                key,
                "unknown field: the relay cannot tell whether Anthropic Messages can honour it",
            ));
        }
        let refuse = match key {
            "n" if value.as_u64() != Some(1) => {
                Some("Anthropic Messages returns one choice per request; send n = 1")
            }
            "logprobs" if value.as_bool() != Some(false) => {
                Some("Anthropic Messages returns no log probabilities")
            }
            "top_logprobs" if value.as_u64() != Some(0) => {
                Some("Anthropic Messages returns no log probabilities")
            }
            "frequency_penalty" | "presence_penalty" if value.as_f64() != Some(0.0) => {
                Some("Anthropic Messages has no frequency or presence penalty")
            }
            "logit_bias" if value.as_object().is_none_or(|m| !m.is_empty()) => {
                Some("Anthropic Messages has no logit bias")
            }
            "audio" => Some("Anthropic Messages produces no audio"),
            "modalities"
                if value
                    .as_array()
                    .is_none_or(|a| a.iter().any(|m| m != "text")) =>
            {
                Some("Anthropic Messages answers in text only")
            }
            "response_format" if value.get("type").and_then(Value::as_str) != Some("text") => Some(
                "structured output formats are not converted for Anthropic upstreams; use type `text`",
            ),
            "web_search_options" => {
                Some("OpenAI's built-in web search cannot be sent to an Anthropic upstream")
            }
            "functions" | "function_call" => {
                Some("legacy function calling is not converted; use `tools` and `tool_choice`")
            }
            _ => None,
        };
        if let Some(message) = refuse {
            return Err(err(key, message));
        }
    }
    Ok(())
}

/// One message.
fn message(
    m: &Value,
    field: &str,
    system: &mut Vec<Value>,
    turns: &mut Turns,
) -> Result<(), ConvertError> {
    let Some(obj) = m.as_object() else {
        return Err(err(field, "a message must be an object"));
    };
    let role = req_str(obj, "role", &format!("{field}.role"))?;
    let content_field = format!("{field}.content");
    match role {
        "system" | "developer" => {
            for text in texts(present(obj, "content"), &content_field)? {
                system.extend(text_block(&text));
            }
        }
        "user" => match present(obj, "content") {
            None => {}
            Some(Value::String(s)) => turns.push_some(Role::User, text_block(s)),
            Some(Value::Array(parts)) => {
                for (j, part) in parts.iter().enumerate() {
                    let block = user_part(part, &format!("{content_field}[{j}]"))?;
                    turns.push_some(Role::User, block);
                }
            }
            Some(_) => return Err(err(content_field, "must be a string or an array of parts")),
        },
        "assistant" => assistant(obj, field, turns)?,
        "tool" => {
            let id = req_str(obj, "tool_call_id", &format!("{field}.tool_call_id"))?;
            let mut block = Map::new();
            block.insert("type".into(), json!("tool_result"));
            block.insert("tool_use_id".into(), json!(tool_id(id)));
            let text: String = texts(present(obj, "content"), &content_field)?.concat();
            if !text.is_empty() {
                block.insert("content".into(), json!(text));
            }
            turns.push(Role::User, Value::Object(block));
        }
        "function" => {
            return Err(err(
                format!("{field}.role"),
                "legacy `function` messages are not converted; use `tool` messages",
            ));
        }
        other => {
            return Err(err(
                format!("{field}.role"),
                format!("unknown role `{other}`"),
            ));
        }
    }
    Ok(())
}

/// An assistant message: replayed thinking blocks, text, tool calls.
fn assistant(obj: &Map<String, Value>, field: &str, turns: &mut Turns) -> Result<(), ConvertError> {
    for key in ["audio", "function_call"] {
        if present(obj, key).is_some() {
            return Err(err(
                format!("{field}.{key}"),
                "cannot be expressed in Anthropic Messages",
            ));
        }
    }
    if let Some(blocks) = present(obj, "thinking_blocks").and_then(Value::as_array) {
        for b in blocks {
            let s = |k: &str| b.get(k).and_then(Value::as_str);
            match (s("type"), s("signature"), s("data")) {
                (Some("thinking"), Some(sig), _) if !sig.is_empty() => turns.push(
                    Role::Assistant,
                    json!({"type": "thinking", "thinking": s("thinking").unwrap_or_default(), "signature": sig}),
                ),
                (Some("redacted_thinking"), _, Some(data)) => turns.push(
                    Role::Assistant,
                    json!({"type": "redacted_thinking", "data": data}),
                ),
                _ => {}
            }
        }
    }
    let content_field = format!("{field}.content");
    match present(obj, "content") {
        None => {}
        Some(Value::String(s)) => turns.push_some(Role::Assistant, text_block(s)),
        Some(Value::Array(parts)) => {
            for (j, part) in parts.iter().enumerate() {
                let pfield = format!("{content_field}[{j}]");
                let text = match part.get("type").and_then(Value::as_str) {
                    Some("text") => part.get("text").and_then(Value::as_str),
                    Some("refusal") => part.get("refusal").and_then(Value::as_str),
                    _ => {
                        return Err(err(
                            pfield,
                            "assistant content parts must be text or refusal",
                        ));
                    }
                };
                let Some(text) = text else {
                    return Err(err(pfield, "a text part needs its text"));
                };
                turns.push_some(Role::Assistant, text_block(text));
            }
        }
        Some(_) => return Err(err(content_field, "must be a string or an array of parts")),
    }
    if let Some(refusal) = opt_str(obj, "refusal", &format!("{field}.refusal"))? {
        turns.push_some(Role::Assistant, text_block(refusal));
    }
    let Some(calls) = present(obj, "tool_calls") else {
        return Ok(());
    };
    let Some(calls) = calls.as_array() else {
        return Err(err(format!("{field}.tool_calls"), "must be an array"));
    };
    for (j, call) in calls.iter().enumerate() {
        let cfield = format!("{field}.tool_calls[{j}]");
        let Some(cobj) = call.as_object() else {
            return Err(err(cfield, "a tool call must be an object"));
        };
        let kind = opt_str(cobj, "type", &format!("{cfield}.type"))?.unwrap_or("function");
        if kind != "function" {
            return Err(err(
                format!("{cfield}.type"),
                format!("`{kind}` tool calls cannot be expressed in Anthropic Messages"),
            ));
        }
        let id = req_str(cobj, "id", &format!("{cfield}.id"))?;
        let Some(function) = present(cobj, "function").and_then(Value::as_object) else {
            return Err(err(format!("{cfield}.function"), "is required"));
        };
        let name = req_str(function, "name", &format!("{cfield}.function.name"))?;
        let args_field = format!("{cfield}.function.arguments");
        let args = opt_str(function, "arguments", &args_field)?.unwrap_or_default();
        let input = parse_arguments(args, &args_field)?;
        turns.push(
            Role::Assistant,
            json!({"type": "tool_use", "id": tool_id(id), "name": name, "input": input}),
        );
    }
    Ok(())
}

/// Texts of a string or an array of text parts.
fn texts(content: Option<&Value>, field: &str) -> Result<Vec<String>, ConvertError> {
    match content {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let kind = p.get("type").and_then(Value::as_str).unwrap_or_default();
                match (kind, p.get("text").and_then(Value::as_str)) {
                    ("text", Some(t)) => Ok(t.to_owned()),
                    _ => Err(err(
                        format!("{field}[{j}]"),
                        "only text parts can appear here",
                    )),
                }
            })
            .collect(),
        Some(_) => Err(err(field, "must be a string or an array of text parts")),
    }
}

/// A user content part → an Anthropic block; `None` for empty text.
fn user_part(part: &Value, field: &str) -> Result<Option<Value>, ConvertError> {
    let Some(obj) = part.as_object() else {
        return Err(err(field, "a content part must be an object"));
    };
    match obj.get("type").and_then(Value::as_str).unwrap_or_default() {
        "text" => Ok(text_block(req_str(obj, "text", &format!("{field}.text"))?)),
        "image_url" => {
            let ifield = format!("{field}.image_url");
            let url = match present(obj, "image_url") {
                Some(Value::String(u)) => u.as_str(),
                Some(Value::Object(o)) => req_str(o, "url", &format!("{ifield}.url"))?,
                _ => return Err(err(ifield, "is required")),
            };
            image_block(url, &ifield).map(Some)
        }
        "file" => {
            let ffield = format!("{field}.file");
            let Some(file) = present(obj, "file").and_then(Value::as_object) else {
                return Err(err(ffield, "is required"));
            };
            if present(file, "file_id").is_some() {
                return Err(err(
                    format!("{ffield}.file_id"),
                    "OpenAI file ids cannot be sent to Anthropic; inline the file as file_data",
                ));
            }
            document_block(
                opt_str(file, "file_data", &format!("{ffield}.file_data"))?,
                None,
                opt_str(file, "filename", &format!("{ffield}.filename"))?,
                &ffield,
            )
            .map(Some)
        }
        "input_audio" => Err(err(field, "Anthropic Messages accepts no audio input")),
        other => Err(err(
            format!("{field}.type"),
            format!("content parts of type `{other}` cannot be expressed in Anthropic Messages"),
        )),
    }
}

/// `tools` → Anthropic tools.
fn tools(v: Option<&Value>) -> Result<Vec<Value>, ConvertError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Some(list) = v.as_array() else {
        return Err(err("tools", "must be an array"));
    };
    let mut out = Vec::new();
    for (i, tool) in list.iter().enumerate() {
        let field = format!("tools[{i}]");
        let kind = tool.get("type").and_then(Value::as_str).unwrap_or_default();
        if kind != "function" {
            return Err(err(
                format!("{field}.type"),
                format!(
                    "tools of type `{kind}` cannot be expressed as Anthropic tools; use function tools"
                ),
            ));
        }
        let Some(function) = tool.get("function").and_then(Value::as_object) else {
            return Err(err(format!("{field}.function"), "is required"));
        };
        let name = req_str(function, "name", &format!("{field}.function.name"))?;
        let desc = opt_str(
            function,
            "description",
            &format!("{field}.function.description"),
        )?;
        out.push(function_tool(
            name,
            desc,
            present(function, "parameters"),
            &field,
        )?);
    }
    Ok(out)
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
                let Some(function) = obj.get("function").and_then(Value::as_object) else {
                    return Err(err("tool_choice.function", "is required"));
                };
                let name = req_str(function, "name", "tool_choice.function.name")?;
                Ok(Some(Choice::Tool(name.to_owned())))
            }
            other => Err(err(
                "tool_choice.type",
                format!("tool choice `{other}` cannot be expressed in Anthropic Messages"),
            )),
        },
        _ => Err(err("tool_choice", "must be a string or an object")),
    }
}

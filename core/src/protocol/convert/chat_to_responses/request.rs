//! Chat Completions request → Responses request (client Chat, upstream Responses). Pure.
//!
//! `messages` become `instructions` plus `input` items: user/assistant/system messages,
//! `function_call` items for assistant `tool_calls` (`call_id` = the tool call id) and
//! `function_call_output` items for `tool` messages (custom tools use the `custom_tool_call*`
//! pair). Legacy `functions` / `function_call` / `function` messages map the same way, with the
//! function name standing in for the missing call id.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use crate::protocol::convert::{ConvertError, RequestContext};

/// The smallest `max_output_tokens` the Responses API accepts.
const MIN_OUTPUT_TOKENS: u64 = 16;

pub(super) fn convert(body: &[u8], ctx: &RequestContext<'_>) -> Result<Vec<u8>, ConvertError> {
    let root: Map<String, Value> = serde_json::from_slice(body).map_err(|e| {
        ConvertError::new("", format!("the request body is not a JSON object: {e}"))
    })?;
    refuse_inexpressible(&root)?;
    let Some(messages) = root.get("messages").and_then(Value::as_array) else {
        return Err(ConvertError::new(
            "messages",
            "must be an array of messages",
        ));
    };

    let mut instructions = Vec::new();
    let mut input = Vec::new();
    let mut custom_calls = HashSet::new();
    let mut leading = true;
    for (i, m) in messages.iter().enumerate() {
        let field = format!("messages[{i}]");
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        let content = m.get("content").unwrap_or(&Value::Null);
        let cfield = format!("{field}.content");
        match role {
            "system" | "developer" => {
                let text = text_of(content, &cfield)?;
                if leading {
                    instructions.push(text);
                } else {
                    input.push(json!({"type": "message", "role": role, "content": [{"type": "input_text", "text": text}]}));
                }
                continue;
            }
            "user" => {
                let parts = user_parts(content, &cfield)?;
                input.push(json!({"type": "message", "role": "user", "content": parts}));
            }
            "assistant" => assistant(m, &field, &mut input, &mut custom_calls)?,
            "tool" => {
                let Some(call_id) = m.get("tool_call_id").and_then(Value::as_str) else {
                    return Err(ConvertError::new(
                        format!("{field}.tool_call_id"),
                        "missing",
                    ));
                };
                let output = text_of(content, &cfield)?;
                let kind = if custom_calls.contains(call_id) {
                    "custom_tool_call_output"
                } else {
                    "function_call_output"
                };
                input.push(json!({"type": kind, "call_id": call_id, "output": output}));
            }
            "function" => {
                let name = m.get("name").and_then(Value::as_str).unwrap_or("");
                let output = text_of(content, &cfield)?;
                input.push(
                    json!({"type": "function_call_output", "call_id": name, "output": output}),
                );
            }
            other => {
                return Err(ConvertError::new(
                    format!("{field}.role"),
                    format!("unknown role `{other}`"),
                ));
            }
        }
        leading = false;
    }

    let mut out = Map::new();
    out.insert("model".into(), json!(ctx.upstream_model));
    if !instructions.is_empty() {
        out.insert("instructions".into(), json!(instructions.join("\n\n")));
    }
    out.insert("input".into(), Value::Array(input));
    out.insert("stream".into(), json!(ctx.stream));
    out.insert(
        "store".into(),
        root.get("store")
            .filter(|v| v.is_boolean())
            .cloned()
            .unwrap_or(json!(false)),
    );

    let mut tools = Vec::new();
    if let Some(list) = root.get("tools").filter(|v| !v.is_null()) {
        let Value::Array(list) = list else {
            return Err(ConvertError::new("tools", "must be an array"));
        };
        for (i, tool) in list.iter().enumerate() {
            tools.push(tool_def(tool, &format!("tools[{i}]"))?);
        }
    }
    let functions = root.get("functions").and_then(Value::as_array);
    for (i, f) in functions.into_iter().flatten().enumerate() {
        let tool = json!({"type": "function", "function": f});
        tools.push(tool_def(&tool, &format!("functions[{i}]"))?);
    }
    if let Some(opts) = root.get("web_search_options").filter(|v| v.is_object()) {
        tools.push(web_search(opts));
    }
    if !tools.is_empty() {
        out.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = root.get("tool_choice").filter(|v| !v.is_null()) {
        out.insert("tool_choice".into(), tool_choice(choice, "tool_choice")?);
    } else if let Some(choice) = root.get("function_call").filter(|v| !v.is_null()) {
        let choice = match choice {
            Value::Object(o) => json!({"type": "function", "function": {"name": o.get("name")}}),
            other => other.clone(),
        };
        out.insert("tool_choice".into(), tool_choice(&choice, "function_call")?);
    }

    let mut text = Map::new();
    if let Some(format) = root.get("response_format").filter(|v| !v.is_null()) {
        text.insert("format".into(), text_format(format)?);
    }
    if let Some(v) = root.get("verbosity").filter(|v| !v.is_null()) {
        text.insert("verbosity".into(), v.clone());
    }
    if !text.is_empty() {
        out.insert("text".into(), Value::Object(text));
    }
    if let Some(effort) = root.get("reasoning_effort").filter(|v| !v.is_null()) {
        out.insert("reasoning".into(), json!({"effort": effort}));
    }
    let max = ["max_completion_tokens", "max_tokens"]
        .iter()
        .find_map(|k| root.get(*k).filter(|v| !v.is_null()));
    if let Some(max) = max {
        // The Responses API refuses budgets under 16 tokens (health checks often send 1).
        let max = max
            .as_u64()
            .map_or_else(|| max.clone(), |n| json!(n.max(MIN_OUTPUT_TOKENS)));
        out.insert("max_output_tokens".into(), max);
    }
    for key in [
        "temperature",
        "top_p",
        "user",
        "metadata",
        "service_tier",
        "parallel_tool_calls",
        "prompt_cache_key",
        "prompt_cache_retention",
        "safety_identifier",
    ] {
        if let Some(v) = root.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    serde_json::to_vec(&Value::Object(out))
        .map_err(|e| ConvertError::new("", format!("cannot encode the converted request: {e}")))
}

/// Chat features the Responses API has no way to express.
fn refuse_inexpressible(root: &Map<String, Value>) -> Result<(), ConvertError> {
    let stop = match root.get("stop") {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        _ => false,
    };
    if stop {
        return Err(ConvertError::new(
            "stop",
            "this model is served by a Responses upstream, which has no stop sequences; remove `stop` and cut the text on the client",
        ));
    }
    if root.get("n").and_then(Value::as_u64).is_some_and(|n| n > 1) {
        return Err(ConvertError::new(
            "n",
            "this model is served by a Responses upstream, which returns one choice; send n separate requests",
        ));
    }
    if root.get("logprobs").and_then(Value::as_bool) == Some(true) {
        return Err(ConvertError::new(
            "logprobs",
            "log probabilities cannot be returned through a Responses upstream",
        ));
    }
    let audio_modality = root
        .get("modalities")
        .and_then(Value::as_array)
        .is_some_and(|m| m.iter().any(|v| v.as_str() == Some("audio")));
    if audio_modality || root.get("audio").is_some_and(|v| !v.is_null()) {
        return Err(ConvertError::new(
            if audio_modality {
                "modalities"
            } else {
                "audio"
            },
            "audio output is not available through a Responses upstream",
        ));
    }
    Ok(())
}

/// The text of a message whose content is a string or text parts.
fn text_of(content: &Value, field: &str) -> Result<String, ConvertError> {
    match content {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        Value::Array(parts) => {
            let mut text = String::new();
            for (j, part) in parts.iter().enumerate() {
                match part.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        text.push_str(part.get("text").and_then(Value::as_str).unwrap_or(""))
                    }
                    Some("refusal") => {
                        text.push_str(part.get("refusal").and_then(Value::as_str).unwrap_or(""))
                    }
                    _ => {
                        return Err(ConvertError::new(
                            format!("{field}[{j}]"),
                            "only text parts are allowed in this message",
                        ));
                    }
                }
            }
            Ok(text)
        }
        _ => Err(ConvertError::new(
            field,
            "must be a string or an array of parts",
        )),
    }
}

fn user_parts(content: &Value, field: &str) -> Result<Vec<Value>, ConvertError> {
    let Value::Array(parts) = content else {
        return Ok(vec![
            json!({"type": "input_text", "text": text_of(content, field)?}),
        ]);
    };
    let mut out = Vec::new();
    for (j, part) in parts.iter().enumerate() {
        let pfield = format!("{field}[{j}]");
        match part.get("type").and_then(Value::as_str) {
            Some("text") => out.push(json!({"type": "input_text", "text": part.get("text").and_then(Value::as_str).unwrap_or("")})),
            Some("image_url") => {
                let image = part.get("image_url").unwrap_or(&Value::Null);
                let url = image.as_str().or_else(|| image.get("url").and_then(Value::as_str));
                let Some(url) = url.filter(|u| !u.is_empty()) else {
                    return Err(ConvertError::new(format!("{pfield}.image_url.url"), "missing"));
                };
                let detail = image.get("detail").and_then(Value::as_str).unwrap_or("auto");
                out.push(json!({"type": "input_image", "image_url": url, "detail": detail}));
            }
            Some("file") => {
                let file = part.get("file").unwrap_or(&Value::Null);
                let mut m = Map::new();
                m.insert("type".into(), json!("input_file"));
                for key in ["file_id", "file_data", "filename"] {
                    if let Some(v) = file.get(key).filter(|v| v.is_string()) {
                        m.insert(key.into(), v.clone());
                    }
                }
                if !m.contains_key("file_id") && !m.contains_key("file_data") {
                    return Err(ConvertError::new(format!("{pfield}.file"), "needs `file_id` or `file_data`"));
                }
                out.push(Value::Object(m));
            }
            Some("input_audio") => {
                return Err(ConvertError::new(
                    pfield,
                    "audio input cannot be sent to a Responses upstream; transcribe it first",
                ));
            }
            Some(other) => {
                return Err(ConvertError::new(
                    format!("{pfield}.type"),
                    format!("unknown content part `{other}`"),
                ));
            }
            None => return Err(ConvertError::new(format!("{pfield}.type"), "missing")),
        }
    }
    Ok(out)
}

fn assistant(
    m: &Value,
    field: &str,
    input: &mut Vec<Value>,
    custom_calls: &mut HashSet<String>,
) -> Result<(), ConvertError> {
    if m.get("audio").is_some_and(|a| !a.is_null()) {
        return Err(ConvertError::new(
            format!("{field}.audio"),
            "earlier audio answers cannot be replayed to a Responses upstream",
        ));
    }
    let content = m.get("content").unwrap_or(&Value::Null);
    let mut text = String::new();
    let mut refusal = m
        .get("refusal")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    match content {
        Value::Array(parts) => {
            for part in parts {
                if let Some(t) = part.get("text").and_then(Value::as_str) {
                    text.push_str(t);
                } else if let Some(r) = part.get("refusal").and_then(Value::as_str) {
                    refusal.push_str(r);
                }
            }
        }
        other => text = text_of(other, &format!("{field}.content"))?,
    }
    let mut parts = Vec::new();
    if !text.is_empty() {
        parts.push(json!({"type": "output_text", "text": text}));
    }
    if !refusal.is_empty() {
        parts.push(json!({"type": "refusal", "refusal": refusal}));
    }
    if !parts.is_empty() {
        input.push(json!({"type": "message", "role": "assistant", "content": parts}));
    }
    let calls = m.get("tool_calls").and_then(Value::as_array);
    for (j, call) in calls.into_iter().flatten().enumerate() {
        let cfield = format!("{field}.tool_calls[{j}]");
        let Some(id) = call.get("id").and_then(Value::as_str) else {
            return Err(ConvertError::new(format!("{cfield}.id"), "missing"));
        };
        if call.get("type").and_then(Value::as_str) == Some("custom") {
            let custom = call.get("custom").unwrap_or(&Value::Null);
            custom_calls.insert(id.to_owned());
            input.push(json!({
                "type": "custom_tool_call", "call_id": id,
                "name": custom.get("name").and_then(Value::as_str).unwrap_or(""),
                "input": custom.get("input").and_then(Value::as_str).unwrap_or(""),
            }));
        } else {
            let function = call.get("function").unwrap_or(&Value::Null);
            input.push(function_call(id, function));
        }
    }
    if let Some(f) = m.get("function_call").filter(|f| f.is_object()) {
        let name = f.get("name").and_then(Value::as_str).unwrap_or("");
        input.push(function_call(name, f));
    }
    Ok(())
}

fn function_call(call_id: &str, function: &Value) -> Value {
    let args = match function.get("arguments") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(v @ Value::Object(_)) => v.to_string(),
        _ => "{}".to_owned(),
    };
    json!({
        "type": "function_call", "call_id": call_id,
        "name": function.get("name").and_then(Value::as_str).unwrap_or(""),
        "arguments": args,
    })
}

fn tool_def(tool: &Value, field: &str) -> Result<Value, ConvertError> {
    match tool.get("type").and_then(Value::as_str) {
        Some("function") => {
            let f = tool.get("function").unwrap_or(&Value::Null);
            let Some(name) = f.get("name").and_then(Value::as_str) else {
                return Err(ConvertError::new(
                    format!("{field}.function.name"),
                    "missing",
                ));
            };
            let mut m = Map::new();
            m.insert("type".into(), json!("function"));
            m.insert("name".into(), json!(name));
            if let Some(d) = f.get("description").filter(|v| v.is_string()) {
                m.insert("description".into(), d.clone());
            }
            let params = match f.get("parameters") {
                Some(p) if p.is_object() => p.clone(),
                _ => json!({"type": "object", "properties": {}}),
            };
            m.insert("parameters".into(), params);
            let strict = f.get("strict").and_then(Value::as_bool).unwrap_or(false);
            m.insert("strict".into(), json!(strict));
            Ok(Value::Object(m))
        }
        Some("custom") => {
            let c = tool.get("custom").unwrap_or(&Value::Null);
            let Some(name) = c.get("name").and_then(Value::as_str) else {
                return Err(ConvertError::new(format!("{field}.custom.name"), "missing"));
            };
            let mut m = Map::new();
            m.insert("type".into(), json!("custom"));
            m.insert("name".into(), json!(name));
            for key in ["description", "format"] {
                if let Some(v) = c.get(key).filter(|v| !v.is_null()) {
                    m.insert(key.into(), v.clone());
                }
            }
            Ok(Value::Object(m))
        }
        Some(other) => Err(ConvertError::new(
            format!("{field}.type"),
            format!("unknown tool type `{other}`"),
        )),
        None => Err(ConvertError::new(format!("{field}.type"), "missing")),
    }
}

fn web_search(opts: &Value) -> Value {
    let mut tool = Map::new();
    tool.insert("type".into(), json!("web_search"));
    if let Some(size) = opts.get("search_context_size").filter(|v| v.is_string()) {
        tool.insert("search_context_size".into(), size.clone());
    }
    if let Some(approx) = opts.get("user_location").and_then(|l| l.get("approximate")) {
        let mut loc = approx.as_object().cloned().unwrap_or_default();
        loc.insert("type".into(), json!("approximate"));
        tool.insert("user_location".into(), Value::Object(loc));
    }
    Value::Object(tool)
}

fn tool_choice(choice: &Value, field: &str) -> Result<Value, ConvertError> {
    match choice {
        Value::String(s) if matches!(s.as_str(), "none" | "auto" | "required") => {
            Ok(choice.clone())
        }
        Value::Object(o) => {
            let name_in = |key: &str| {
                let name = o
                    .get(key)
                    .and_then(|f| f.get("name"))
                    .and_then(Value::as_str);
                name.ok_or_else(|| ConvertError::new(format!("{field}.{key}.name"), "missing"))
            };
            match o.get("type").and_then(Value::as_str) {
                Some("function") => Ok(json!({"type": "function", "name": name_in("function")?})),
                Some("custom") => Ok(json!({"type": "custom", "name": name_in("custom")?})),
                Some("allowed_tools") => {
                    let allowed = o.get("allowed_tools").unwrap_or(&Value::Null);
                    let mode = allowed.get("mode").cloned().unwrap_or(json!("auto"));
                    let tools = allowed.get("tools").and_then(Value::as_array);
                    let mut out = Vec::new();
                    for (i, t) in tools.into_iter().flatten().enumerate() {
                        out.push(tool_choice(
                            t,
                            &format!("{field}.allowed_tools.tools[{i}]"),
                        )?);
                    }
                    Ok(json!({"type": "allowed_tools", "mode": mode, "tools": out}))
                }
                _ => Err(ConvertError::new(
                    format!("{field}.type"),
                    "must be function, custom or allowed_tools",
                )),
            }
        }
        _ => Err(ConvertError::new(
            field,
            "must be none, auto, required or a tool object",
        )),
    }
}

fn text_format(format: &Value) -> Result<Value, ConvertError> {
    match format.get("type").and_then(Value::as_str) {
        Some("text") => Ok(json!({"type": "text"})),
        Some("json_object") => Ok(json!({"type": "json_object"})),
        Some("json_schema") => {
            let schema = format.get("json_schema").unwrap_or(&Value::Null);
            let mut m = Map::new();
            m.insert("type".into(), json!("json_schema"));
            let name = schema
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("response");
            m.insert("name".into(), json!(name));
            for key in ["description", "schema", "strict"] {
                if let Some(v) = schema.get(key).filter(|v| !v.is_null()) {
                    m.insert(key.into(), v.clone());
                }
            }
            Ok(Value::Object(m))
        }
        _ => Err(ConvertError::new(
            "response_format.type",
            "must be text, json_object or json_schema",
        )),
    }
}

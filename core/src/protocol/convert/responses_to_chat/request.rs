//! Responses request → Chat Completions request (client Responses, upstream Chat). Pure.
//!
//! `input` items become `messages`: message items keep their role (`developer` → `system`),
//! consecutive `function_call` items join the preceding assistant message as `tool_calls`,
//! `function_call_output` items become `tool` messages. Images in tool outputs (Chat tool
//! messages carry text only) follow the run of tool messages in one `user` message.

use crate::protocol::convert::anthropic_to_responses::messages::is_reasoning_model;
use serde_json::{Map, Value, json};

use super::{NS_SEP, flat_name};
use crate::protocol::convert::{ConvertError, RequestContext};

/// Responses tool types that run on OpenAI's side.
const BUILT_IN: &[&str] = &[
    "web_search",
    "web_search_preview",
    "web_search_preview_2025_03_11",
    "file_search",
    "code_interpreter",
    "computer",
    "computer_use",
    "computer_use_preview",
    "image_generation",
    "mcp",
    "local_shell",
    "shell",
    "apply_patch",
    "tool_search",
];

pub(super) fn convert(body: &[u8], ctx: &RequestContext<'_>) -> Result<Vec<u8>, ConvertError> {
    let root: Map<String, Value> = serde_json::from_slice(body).map_err(|e| {
        ConvertError::new("", format!("the request body is not a JSON object: {e}"))
    })?;
    for (field, what) in [
        ("previous_response_id", "a previous response"),
        ("conversation", "a stored conversation"),
        ("prompt", "a stored prompt template"),
    ] {
        if root.get(field).is_some_and(|v| !v.is_null()) {
            return Err(ConvertError::new(
                field,
                format!(
                    "this model is served by a Chat Completions upstream, which cannot refer to {what}; send the whole conversation in `input` (with `store: false`)"
                ),
            ));
        }
    }
    if root.get("background").and_then(Value::as_bool) == Some(true) {
        return Err(ConvertError::new(
            "background",
            "background responses need server-side storage, which a Chat Completions upstream does not have",
        ));
    }

    let mut history = History::default();
    match root.get("instructions") {
        Some(Value::String(s)) if !s.is_empty() => {
            history.push(json!({"role": "system", "content": s}))
        }
        Some(Value::Array(items)) => history.items(items, "instructions")?,
        None | Some(Value::Null | Value::String(_)) => {}
        Some(_) => return Err(ConvertError::new("instructions", "must be a string")),
    }
    match root.get("input") {
        Some(Value::String(s)) => history.push(json!({"role": "user", "content": s})),
        Some(Value::Array(items)) => history.items(items, "input")?,
        None | Some(Value::Null) => {}
        Some(_) => {
            return Err(ConvertError::new(
                "input",
                "must be a string or an array of items",
            ));
        }
    }
    history.flush_images();

    let mut out = Map::new();
    out.insert("model".into(), json!(ctx.upstream_model));
    out.insert("messages".into(), Value::Array(history.messages));
    out.insert("stream".into(), json!(ctx.stream));
    if ctx.stream {
        out.insert("stream_options".into(), json!({"include_usage": true}));
    }
    if let Some(tools) = root.get("tools").filter(|v| !v.is_null()) {
        let tools = convert_tools(tools)?;
        if !tools.is_empty() {
            out.insert("tools".into(), Value::Array(tools));
        }
    }
    if let Some(choice) = root.get("tool_choice").filter(|v| !v.is_null()) {
        out.insert("tool_choice".into(), tool_choice(choice, "tool_choice")?);
    }
    if let Some(text) = root.get("text").and_then(Value::as_object) {
        if let Some(format) = text.get("format").filter(|v| !v.is_null()) {
            out.insert("response_format".into(), response_format(format)?);
        }
        if let Some(v) = text.get("verbosity").filter(|v| !v.is_null()) {
            out.insert("verbosity".into(), v.clone());
        }
    }
    if let Some(effort) = root
        .get("reasoning")
        .and_then(|r| r.get("effort"))
        .filter(|v| !v.is_null())
    {
        out.insert("reasoning_effort".into(), effort.clone());
    }
    if let Some(max) = root.get("max_output_tokens").filter(|v| !v.is_null()) {
        // OpenAI's reasoning models refuse `max_tokens`; every other Chat server knows it.
        let key = if is_reasoning_model(ctx.upstream_model) {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        out.insert(key.into(), max.clone());
    }
    for key in [
        "temperature",
        "top_p",
        // Not a Responses field, but clients send it; a Chat upstream honours it.
        "stop",
        "parallel_tool_calls",
        "user",
        "service_tier",
        "prompt_cache_key",
        "safety_identifier",
    ] {
        if let Some(v) = root.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    serde_json::to_vec(&Value::Object(out))
        .map_err(|e| ConvertError::new("", format!("cannot encode the converted request: {e}")))
}

/// Chat messages under construction.
#[derive(Default)]
struct History {
    messages: Vec<Value>,
    /// Images from tool outputs, sent in a `user` message after the run of tool messages.
    images: Vec<Value>,
}

impl History {
    /// Appends a non-tool message (after any pending tool-output images).
    fn push(&mut self, message: Value) {
        self.flush_images();
        self.messages.push(message);
    }

    fn flush_images(&mut self) {
        if !self.images.is_empty() {
            let parts = std::mem::take(&mut self.images);
            self.messages
                .push(json!({"role": "user", "content": parts}));
        }
    }

    /// The last message if it is an assistant message (to merge text and tool calls into).
    fn last_assistant(&mut self) -> Option<&mut Map<String, Value>> {
        if !self.images.is_empty() {
            return None;
        }
        self.messages
            .last_mut()
            .and_then(Value::as_object_mut)
            .filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
    }

    fn items(&mut self, items: &[Value], field: &str) -> Result<(), ConvertError> {
        for (i, item) in items.iter().enumerate() {
            self.item(item, &format!("{field}[{i}]"))?;
        }
        Ok(())
    }

    fn item(&mut self, item: &Value, field: &str) -> Result<(), ConvertError> {
        let kind = match item.get("type").and_then(Value::as_str) {
            Some(t) => t,
            None if item.get("role").is_some() => "message",
            None => {
                return Err(ConvertError::new(
                    format!("{field}.type"),
                    "missing item type",
                ));
            }
        };
        match kind {
            "message" => self.message(item, field),
            "function_call" | "custom_tool_call" => self.tool_call(item, kind, field),
            "function_call_output" | "custom_tool_call_output" => self.tool_output(item, field),
            // Encrypted or summarised reasoning cannot be handed to another provider.
            "reasoning" => Ok(()),
            "item_reference" => Err(ConvertError::new(
                format!("{field}.type"),
                "`item_reference` points at stored items, which a Chat Completions upstream does not have; send the items themselves",
            )),
            other => Err(ConvertError::new(
                format!("{field}.type"),
                format!(
                    "`{other}` items come from built-in Responses tools and cannot be sent to a Chat Completions upstream"
                ),
            )),
        }
    }

    fn message(&mut self, item: &Value, field: &str) -> Result<(), ConvertError> {
        let role = item.get("role").and_then(Value::as_str).unwrap_or("user");
        let content = item.get("content").unwrap_or(&Value::Null);
        let cfield = format!("{field}.content");
        match role {
            "system" | "developer" => {
                let text = text_only(content, &cfield, "\n\n")?;
                self.push(json!({"role": "system", "content": text}));
            }
            "user" => {
                let content = user_content(content, &cfield)?;
                self.push(json!({"role": "user", "content": content}));
            }
            "assistant" => {
                let (text, refusal) = assistant_content(content, &cfield)?;
                if let Some(last) = self.last_assistant() {
                    append_text(last, "content", &text);
                    append_text(last, "refusal", &refusal);
                } else {
                    let mut m = Map::new();
                    m.insert("role".into(), json!("assistant"));
                    m.insert("content".into(), json!(text));
                    if !refusal.is_empty() {
                        m.insert("refusal".into(), json!(refusal));
                    }
                    self.push(Value::Object(m));
                }
            }
            other => {
                return Err(ConvertError::new(
                    format!("{field}.role"),
                    format!("unknown role `{other}`"),
                ));
            }
        }
        Ok(())
    }

    fn tool_call(&mut self, item: &Value, kind: &str, field: &str) -> Result<(), ConvertError> {
        let call_id = str_field(item, "call_id", field)?;
        let name = str_field(item, "name", field)?;
        let namespace = item.get("namespace").and_then(Value::as_str);
        let name = flat_name(namespace, name);
        let call = if kind == "function_call" {
            let args = item.get("arguments").and_then(Value::as_str).unwrap_or("");
            let args = if args.trim().is_empty() { "{}" } else { args };
            json!({"id": call_id, "type": "function", "function": {"name": name, "arguments": args}})
        } else {
            let input = item.get("input").and_then(Value::as_str).unwrap_or("");
            json!({"id": call_id, "type": "custom", "custom": {"name": name, "input": input}})
        };
        if let Some(last) = self.last_assistant() {
            if let Some(Value::Array(calls)) = last.get_mut("tool_calls") {
                calls.push(call);
            } else {
                last.insert("tool_calls".into(), json!([call]));
            }
        } else {
            self.push(json!({"role": "assistant", "content": null, "tool_calls": [call]}));
        }
        Ok(())
    }

    fn tool_output(&mut self, item: &Value, field: &str) -> Result<(), ConvertError> {
        let call_id = str_field(item, "call_id", field)?;
        let ofield = format!("{field}.output");
        let (text, images) = match item.get("output") {
            Some(Value::String(s)) => (s.clone(), Vec::new()),
            Some(Value::Array(parts)) => {
                let mut text = String::new();
                let mut images = Vec::new();
                for (j, part) in parts.iter().enumerate() {
                    match chat_part(part, &format!("{ofield}[{j}]"))? {
                        Part::Text(t) => {
                            if !text.is_empty() {
                                text.push('\n');
                            }
                            text.push_str(&t);
                        }
                        Part::Other(image) if image.get("type") == Some(&json!("image_url")) => {
                            images.push(image)
                        }
                        Part::Other(_) => {
                            return Err(ConvertError::new(
                                format!("{ofield}[{j}]"),
                                "a Chat Completions tool message carries only text and images",
                            ));
                        }
                        Part::Refusal(_) => {}
                    }
                }
                (text, images)
            }
            None | Some(Value::Null) => (String::new(), Vec::new()),
            Some(other) => (other.to_string(), Vec::new()),
        };
        let text = if text.is_empty() && !images.is_empty() {
            "(image output follows)".to_owned()
        } else {
            text
        };
        self.messages
            .push(json!({"role": "tool", "tool_call_id": call_id, "content": text}));
        self.images.extend(images);
        Ok(())
    }
}

fn str_field<'a>(item: &'a Value, key: &str, field: &str) -> Result<&'a str, ConvertError> {
    item.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| ConvertError::new(format!("{field}.{key}"), "missing or not a string"))
}

fn append_text(message: &mut Map<String, Value>, key: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    match message.get_mut(key) {
        Some(Value::String(s)) if !s.is_empty() => {
            // Two assistant messages in a row (commentary, then the answer) become one.
            s.push_str("\n\n");
            s.push_str(text);
        }
        _ => {
            message.insert(key.into(), json!(text));
        }
    }
}

/// One converted content part.
enum Part {
    Text(String),
    Refusal(String),
    /// A Chat part other than text (`image_url`, `file`, `input_audio`).
    Other(Value),
}

/// A Responses content part as a Chat part.
fn chat_part(part: &Value, field: &str) -> Result<Part, ConvertError> {
    let text = |key: &str| {
        part.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    match part.get("type").and_then(Value::as_str) {
        Some("input_text" | "output_text" | "text" | "summary_text") => {
            Ok(Part::Text(text("text")))
        }
        Some("refusal") => Ok(Part::Refusal(text("refusal"))),
        Some("input_image") => {
            let Some(url) = part.get("image_url").and_then(Value::as_str) else {
                return Err(ConvertError::new(
                    field,
                    "only images given by URL or data URL can be sent to a Chat Completions upstream (not `file_id`)",
                ));
            };
            let mut image = Map::new();
            image.insert("url".into(), json!(url));
            if let Some(detail) = part.get("detail").filter(|v| v.is_string()) {
                image.insert("detail".into(), detail.clone());
            }
            Ok(Part::Other(
                json!({"type": "image_url", "image_url": image}),
            ))
        }
        Some("input_file") => {
            let mut file = Map::new();
            for key in ["file_data", "file_id", "filename"] {
                if let Some(v) = part.get(key).filter(|v| v.is_string()) {
                    file.insert(key.into(), v.clone());
                }
            }
            if !file.contains_key("file_data") && !file.contains_key("file_id") {
                return Err(ConvertError::new(
                    field,
                    "a Chat Completions upstream takes files as `file_data` or `file_id`, not by URL",
                ));
            }
            Ok(Part::Other(json!({"type": "file", "file": file})))
        }
        Some("input_audio") => Ok(Part::Other(
            json!({"type": "input_audio", "input_audio": part.get("input_audio").cloned().unwrap_or(Value::Null)}),
        )),
        Some(other) => Err(ConvertError::new(
            format!("{field}.type"),
            format!("content part `{other}` cannot be sent to a Chat Completions upstream"),
        )),
        None => Err(ConvertError::new(
            format!("{field}.type"),
            "missing part type",
        )),
    }
}

/// Text of a message whose role only takes text, parts joined with `sep`.
fn text_only(content: &Value, field: &str, sep: &str) -> Result<String, ConvertError> {
    match content {
        Value::String(s) => Ok(s.clone()),
        Value::Array(parts) => {
            let mut texts = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                match chat_part(part, &format!("{field}[{j}]"))? {
                    Part::Text(t) | Part::Refusal(t) => texts.push(t),
                    Part::Other(_) => {
                        return Err(ConvertError::new(
                            format!("{field}[{j}]"),
                            "only text is allowed in system and developer messages",
                        ));
                    }
                }
            }
            Ok(texts.join(sep))
        }
        Value::Null => Ok(String::new()),
        _ => Err(ConvertError::new(
            field,
            "must be a string or an array of parts",
        )),
    }
}

fn user_content(content: &Value, field: &str) -> Result<Value, ConvertError> {
    let Value::Array(parts) = content else {
        return Ok(json!(text_only(content, field, "")?));
    };
    let mut out = Vec::new();
    for (j, part) in parts.iter().enumerate() {
        match chat_part(part, &format!("{field}[{j}]"))? {
            Part::Text(t) | Part::Refusal(t) => out.push(json!({"type": "text", "text": t})),
            Part::Other(p) => out.push(p),
        }
    }
    match out.as_slice() {
        [single] if single.get("type") == Some(&json!("text")) => {
            Ok(single.get("text").cloned().unwrap_or_default())
        }
        _ => Ok(Value::Array(out)),
    }
}

/// (text, refusal) of an assistant message.
fn assistant_content(content: &Value, field: &str) -> Result<(String, String), ConvertError> {
    let Value::Array(parts) = content else {
        return Ok((text_only(content, field, "")?, String::new()));
    };
    let (mut text, mut refusal) = (String::new(), String::new());
    for (j, part) in parts.iter().enumerate() {
        match chat_part(part, &format!("{field}[{j}]"))? {
            Part::Text(t) => text.push_str(&t),
            Part::Refusal(r) => refusal.push_str(&r),
            Part::Other(_) => {
                return Err(ConvertError::new(
                    format!("{field}[{j}]"),
                    "assistant messages carry only text in Chat Completions",
                ));
            }
        }
    }
    Ok((text, refusal))
}

fn convert_tools(tools: &Value) -> Result<Vec<Value>, ConvertError> {
    let Value::Array(tools) = tools else {
        return Err(ConvertError::new("tools", "must be an array"));
    };
    let mut out = Vec::new();
    for (i, tool) in tools.iter().enumerate() {
        let field = format!("tools[{i}]");
        match tool.get("type").and_then(Value::as_str) {
            Some("function" | "custom") => out.push(chat_tool(tool, None, "", &field)?),
            Some("namespace") => {
                let ns = str_field(tool, "name", &field)?;
                let ns_desc = tool
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let children = tool.get("tools").and_then(Value::as_array);
                for (j, child) in children.into_iter().flatten().enumerate() {
                    let cfield = format!("{field}.tools[{j}]");
                    match child.get("type").and_then(Value::as_str) {
                        Some("function" | "custom") => {
                            out.push(chat_tool(child, Some(ns), ns_desc, &cfield)?)
                        }
                        _ => {
                            return Err(ConvertError::new(
                                format!("{cfield}.type"),
                                "only function and custom tools can be flattened out of a namespace",
                            ));
                        }
                    }
                }
            }
            Some(t) if BUILT_IN.contains(&t) || t.starts_with("web_search") => {
                return Err(ConvertError::new(
                    field,
                    format!(
                        "`{t}` is a built-in Responses tool that runs on OpenAI's side; this model is served by a Chat Completions upstream, which cannot run it. Remove the tool (Codex: `web_search = \"disabled\"` in config.toml)"
                    ),
                ));
            }
            Some(t) => {
                return Err(ConvertError::new(
                    format!("{field}.type"),
                    format!("tool type `{t}` cannot be sent to a Chat Completions upstream"),
                ));
            }
            None => {
                return Err(ConvertError::new(
                    format!("{field}.type"),
                    "missing tool type",
                ));
            }
        }
    }
    Ok(out)
}

/// A Responses function/custom tool as a Chat tool, flattened out of `namespace` if any.
fn chat_tool(
    tool: &Value,
    namespace: Option<&str>,
    ns_desc: &str,
    field: &str,
) -> Result<Value, ConvertError> {
    let name = str_field(tool, "name", field)?;
    if namespace.is_none() && name.contains(NS_SEP) {
        // Would be split into a namespace on the way back.
        return Err(ConvertError::new(
            format!("{field}.name"),
            format!("tool names containing `{NS_SEP}` are reserved for flattened namespace tools"),
        ));
    }
    let mut def = Map::new();
    def.insert("name".into(), json!(flat_name(namespace, name)));
    let desc = tool
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let desc = match (desc.is_empty(), ns_desc.is_empty()) {
        (_, true) => desc.to_owned(),
        (true, false) => ns_desc.to_owned(),
        (false, false) => format!("{desc}\n\n({ns_desc})"),
    };
    if !desc.is_empty() {
        def.insert("description".into(), json!(desc));
    }
    if tool.get("type").and_then(Value::as_str) == Some("custom") {
        if let Some(format) = tool.get("format").filter(|v| !v.is_null()) {
            def.insert("format".into(), format.clone());
        }
        return Ok(json!({"type": "custom", "custom": def}));
    }
    let params = match tool.get("parameters") {
        Some(p) if !p.is_null() => p.clone(),
        _ => json!({"type": "object", "properties": {}}),
    };
    def.insert("parameters".into(), params);
    if let Some(strict) = tool.get("strict").filter(|v| v.is_boolean()) {
        def.insert("strict".into(), strict.clone());
    }
    Ok(json!({"type": "function", "function": def}))
}

fn tool_choice(choice: &Value, field: &str) -> Result<Value, ConvertError> {
    match choice {
        Value::String(s) if matches!(s.as_str(), "none" | "auto" | "required") => {
            Ok(choice.clone())
        }
        Value::Object(o) => {
            let name = || {
                let name = o.get("name").and_then(Value::as_str);
                name.ok_or_else(|| ConvertError::new(format!("{field}.name"), "missing"))
            };
            match o.get("type").and_then(Value::as_str) {
                Some("function") => {
                    let name = flat_name(o.get("namespace").and_then(Value::as_str), name()?);
                    Ok(json!({"type": "function", "function": {"name": name}}))
                }
                Some("custom") => Ok(json!({"type": "custom", "custom": {"name": name()?}})),
                Some("allowed_tools") => {
                    let mode = o.get("mode").cloned().unwrap_or(json!("auto"));
                    let tools = o.get("tools").and_then(Value::as_array);
                    let mut out = Vec::new();
                    for (i, t) in tools.into_iter().flatten().enumerate() {
                        out.push(tool_choice(t, &format!("{field}.tools[{i}]"))?);
                    }
                    Ok(
                        json!({"type": "allowed_tools", "allowed_tools": {"mode": mode, "tools": out}}),
                    )
                }
                Some(t) => Err(ConvertError::new(
                    field,
                    format!(
                        "a Chat Completions upstream cannot be told to use the built-in tool `{t}`"
                    ),
                )),
                None => Err(ConvertError::new(format!("{field}.type"), "missing")),
            }
        }
        _ => Err(ConvertError::new(
            field,
            "must be none, auto, required or a tool object",
        )),
    }
}

fn response_format(format: &Value) -> Result<Value, ConvertError> {
    match format.get("type").and_then(Value::as_str) {
        Some("text") => Ok(json!({"type": "text"})),
        Some("json_object") => Ok(json!({"type": "json_object"})),
        Some("json_schema") => {
            let mut schema = Map::new();
            for key in ["name", "description", "schema", "strict"] {
                if let Some(v) = format.get(key).filter(|v| !v.is_null()) {
                    schema.insert(key.into(), v.clone());
                }
            }
            Ok(json!({"type": "json_schema", "json_schema": schema}))
        }
        _ => Err(ConvertError::new(
            "text.format.type",
            "must be text, json_object or json_schema",
        )),
    }
}

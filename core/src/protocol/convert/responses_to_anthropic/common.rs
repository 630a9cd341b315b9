//! Helpers shared by the two converters whose upstream is Anthropic Messages (this pair and
//! `chat_to_anthropic`): building content blocks and turns, tools and tool choice, sampling and
//! thinking, usage, stop reasons, and reading an Anthropic message. Pure: no I/O; the wall clock
//! is read only by [`unix_now`] (for the `created` timestamps OpenAI clients expect).

use std::ops::Range;

use serde_json::{Map, Value, json};

use crate::protocol::Usage;
use crate::protocol::convert::ConvertError;
use crate::protocol::json;
use crate::protocol::shape::{Hole, Shape};

/// `max_tokens` when the client sets no limit (Anthropic requires one): 8192, plus the thinking
/// budget when thinking is on.
pub(in crate::protocol::convert) const DEFAULT_MAX_TOKENS: u64 = 8192;

/// Prefix of a Responses `encrypted_content` that carries an Anthropic `redacted_thinking`
/// block's `data` (a `thinking` block's signature is carried verbatim, without prefix).
pub(in crate::protocol::convert) const REDACTED_PREFIX: &str = "redacted_thinking:";

/// Separator between a Responses `namespace` tool's name and a member function's name in the
/// flattened Anthropic tool name (`mcp__fs____ns__read` = namespace `mcp__fs__`, name `read`).
pub(in crate::protocol::convert) const NAMESPACE_SEP: &str = "__ns__";

/// Shorthand for a [`ConvertError`].
pub(in crate::protocol::convert) fn err(
    field: impl Into<String>,
    message: impl Into<String>,
) -> ConvertError {
    ConvertError::new(field, message)
}

/// Parses a request body as a JSON object.
pub(in crate::protocol::convert) fn parse_object(
    body: &[u8],
) -> Result<Map<String, Value>, ConvertError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(err("", "the request body must be a JSON object")),
        Err(e) => Err(err("", format!("the request body is not valid JSON: {e}"))),
    }
}

/// The value of `key` unless absent or `null`.
pub(in crate::protocol::convert) fn present<'a>(
    map: &'a Map<String, Value>,
    key: &str,
) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

/// A string member (absent or `null` is `None`; another type is an error).
pub(in crate::protocol::convert) fn opt_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<&'a str>, ConvertError> {
    match present(map, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(err(field, "must be a string")),
    }
}

/// A required string member.
pub(in crate::protocol::convert) fn req_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<&'a str, ConvertError> {
    opt_str(map, key, field)?.ok_or_else(|| err(field, "is required"))
}

/// A non-negative integer member.
pub(in crate::protocol::convert) fn opt_u64(
    map: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<u64>, ConvertError> {
    match present(map, key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| err(field, "must be a non-negative integer")),
    }
}

/// A number member.
pub(in crate::protocol::convert) fn opt_f64(
    map: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<f64>, ConvertError> {
    match present(map, key) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| err(field, "must be a number")),
    }
}

/// A text block, or `None` for empty text (Anthropic rejects empty text blocks).
pub(in crate::protocol::convert) fn text_block(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| json!({"type": "text", "text": text}))
}

/// An Anthropic image block from an OpenAI image URL: a `data:` URL becomes a base64 source,
/// an `http(s)` URL a url source.
pub(in crate::protocol::convert) fn image_block(
    url: &str,
    field: &str,
) -> Result<Value, ConvertError> {
    const TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];
    if let Some((media_type, data)) = data_url(url, field)? {
        if !TYPES.contains(&media_type.as_str()) {
            return Err(err(
                field,
                format!(
                    "image type `{media_type}` is not supported by Anthropic (jpeg, png, gif, webp)"
                ),
            ));
        }
        return Ok(
            json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}),
        );
    }
    if url.starts_with("https://") || url.starts_with("http://") {
        return Ok(json!({"type": "image", "source": {"type": "url", "url": url}}));
    }
    Err(err(
        field,
        "an image must be an http(s) URL or a base64 `data:` URL",
    ))
}

/// An Anthropic document block from an OpenAI file part: PDF data (a `data:` URL, or bare
/// base64 with a `.pdf` file name) or an `http(s)` URL.
pub(in crate::protocol::convert) fn document_block(
    file_data: Option<&str>,
    file_url: Option<&str>,
    filename: Option<&str>,
    field: &str,
) -> Result<Value, ConvertError> {
    let source = if let Some(data) = file_data {
        let (media_type, data) = match data_url(data, field)? {
            Some(parts) => parts,
            None if filename.is_some_and(|n| n.to_ascii_lowercase().ends_with(".pdf")) => {
                ("application/pdf".to_owned(), data.to_owned())
            }
            None => return Err(err(field, "file data must be a base64 `data:` URL")),
        };
        if media_type != "application/pdf" {
            return Err(err(
                field,
                format!(
                    "file type `{media_type}` is not supported by Anthropic documents (PDF only)"
                ),
            ));
        }
        json!({"type": "base64", "media_type": media_type, "data": data})
    } else if let Some(url) =
        file_url.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        json!({"type": "url", "url": url})
    } else {
        return Err(err(
            field,
            "only inline PDF data or an http(s) file URL can be sent to Anthropic (OpenAI file ids cannot)",
        ));
    };
    let mut block = json!({"type": "document", "source": source});
    if let (Some(name), Some(obj)) = (filename.filter(|n| !n.is_empty()), block.as_object_mut()) {
        obj.insert("title".into(), json!(name));
    }
    Ok(block)
}

/// Splits a base64 `data:` URL into (media type, data); `None` when `url` is not a `data:` URL.
fn data_url(url: &str, field: &str) -> Result<Option<(String, String)>, ConvertError> {
    let Some(rest) = url.strip_prefix("data:") else {
        return Ok(None);
    };
    let Some((meta, data)) = rest.split_once(',') else {
        return Err(err(field, "malformed `data:` URL"));
    };
    let mut params = meta.split(';');
    let media_type = params
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !params.any(|p| p.trim().eq_ignore_ascii_case("base64")) {
        return Err(err(field, "only base64 `data:` URLs are supported"));
    }
    if data.is_empty() {
        return Err(err(field, "empty `data:` URL"));
    }
    Ok(Some((media_type, data.to_owned())))
}

/// A tool-call id usable by Anthropic (`[A-Za-z0-9_-]+`): other characters become `_`. Applied
/// to both the call and its result, so they still match.
pub(in crate::protocol::convert) fn tool_id(id: &str) -> String {
    if id.is_empty() {
        return "toolu_relay".to_owned();
    }
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Parses tool-call `arguments` (a JSON object in a string; empty means `{}`).
pub(in crate::protocol::convert) fn parse_arguments(
    args: &str,
    field: &str,
) -> Result<Value, ConvertError> {
    if args.trim().is_empty() {
        return Ok(json!({}));
    }
    match serde_json::from_str::<Value>(args) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(err(field, "tool-call arguments must be a JSON object")),
        Err(e) => Err(err(
            field,
            format!("tool-call arguments are not valid JSON: {e}"),
        )),
    }
}

/// `stop`: a string or an array of strings → `stop_sequences`.
pub(in crate::protocol::convert) fn parse_stop(
    v: Option<&Value>,
) -> Result<Vec<String>, ConvertError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|s| {
                s.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| err("stop", "must hold strings"))
            })
            .collect(),
        Some(_) => Err(err("stop", "must be a string or an array of strings")),
    }
}

/// The role of an Anthropic turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::protocol::convert) enum Role {
    User,
    Assistant,
}

/// Anthropic `messages` under construction: consecutive blocks of one role are merged into one
/// turn (Anthropic requires alternation).
#[derive(Debug, Default)]
pub(in crate::protocol::convert) struct Turns {
    turns: Vec<(Role, Vec<Value>)>,
}

impl Turns {
    /// Appends a block to the last turn if it has `role`, else starts a new turn.
    pub(in crate::protocol::convert) fn push(&mut self, role: Role, block: Value) {
        match self.turns.last_mut() {
            Some((last, blocks)) if *last == role => blocks.push(block),
            _ => self.turns.push((role, vec![block])),
        }
    }

    /// Appends `block` if there is one.
    pub(in crate::protocol::convert) fn push_some(&mut self, role: Role, block: Option<Value>) {
        if let Some(block) = block {
            self.push(role, block);
        }
    }

    /// The finished messages. Within a user turn `tool_result` blocks go first and within an
    /// assistant turn thinking blocks go first (both Anthropic rules); order is kept otherwise.
    pub(in crate::protocol::convert) fn into_messages(self) -> Vec<Value> {
        self.turns
            .into_iter()
            .map(|(role, blocks)| {
                let first = |b: &Value| match role {
                    Role::User => block_type(b) == "tool_result",
                    Role::Assistant => matches!(block_type(b), "thinking" | "redacted_thinking"),
                };
                let (mut front, back): (Vec<Value>, Vec<Value>) =
                    blocks.into_iter().partition(first);
                front.extend(back);
                let role = match role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                json!({"role": role, "content": front})
            })
            .collect()
    }
}

fn block_type(block: &Value) -> &str {
    block
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// An Anthropic client tool from an OpenAI function definition. A missing schema becomes an
/// empty object schema; a schema without `type` gets `"type": "object"` (Anthropic requires it).
pub(in crate::protocol::convert) fn function_tool(
    name: &str,
    description: Option<&str>,
    parameters: Option<&Value>,
    field: &str,
) -> Result<Value, ConvertError> {
    if name.is_empty() {
        return Err(err(field, "a function tool needs a name"));
    }
    let schema = match parameters {
        None | Some(Value::Null) => json!({"type": "object", "properties": {}}),
        Some(Value::Object(map)) => {
            let mut map = map.clone();
            map.entry("type").or_insert_with(|| json!("object"));
            Value::Object(map)
        }
        Some(_) => {
            return Err(err(
                field,
                "function parameters must be a JSON Schema object",
            ));
        }
    };
    let mut tool = Map::new();
    tool.insert("name".into(), json!(name));
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        tool.insert("description".into(), json!(d));
    }
    tool.insert("input_schema".into(), schema);
    Ok(Value::Object(tool))
}

/// An OpenAI `tool_choice`, in Anthropic terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::protocol::convert) enum Choice {
    Auto,
    None,
    Any,
    Tool(String),
}

/// Sets `tools` and `tool_choice`; returns whether a tool call is forced. `parallel == false`
/// becomes `disable_parallel_tool_use`. Without tools, `auto`/`none` are dropped (Anthropic
/// rejects a tool choice without tools) and a forced choice is refused.
pub(in crate::protocol::convert) fn apply_tools(
    out: &mut Map<String, Value>,
    tools: Vec<Value>,
    choice: Option<Choice>,
    parallel: Option<bool>,
    choice_field: &str,
) -> Result<bool, ConvertError> {
    if tools.is_empty() {
        return match choice {
            Some(Choice::Any | Choice::Tool(_)) => Err(err(
                choice_field,
                "forces a tool call but the request defines no tools",
            )),
            _ => Ok(false),
        };
    }
    if let Some(Choice::Tool(name)) = &choice
        && !tools
            .iter()
            .any(|t| t.get("name").and_then(Value::as_str) == Some(name.as_str()))
    {
        return Err(err(
            choice_field,
            format!("names `{name}`, which is not among the tools"),
        ));
    }
    let no_parallel = parallel == Some(false);
    let mut tc = match &choice {
        None if !no_parallel => None,
        None | Some(Choice::Auto) => Some(json!({"type": "auto"})),
        Some(Choice::None) => Some(json!({"type": "none"})),
        Some(Choice::Any) => Some(json!({"type": "any"})),
        Some(Choice::Tool(name)) => Some(json!({"type": "tool", "name": name})),
    };
    if let Some(obj) = tc.as_mut().and_then(Value::as_object_mut)
        && no_parallel
        && choice != Some(Choice::None)
    {
        obj.insert("disable_parallel_tool_use".into(), json!(true));
    }
    out.insert("tools".into(), Value::Array(tools));
    if let Some(tc) = tc {
        out.insert("tool_choice".into(), tc);
    }
    Ok(matches!(choice, Some(Choice::Any | Choice::Tool(_))))
}

/// OpenAI reasoning effort (`none`/`minimal` mean no thinking).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::protocol::convert) enum Effort {
    Low,
    Medium,
    High,
    Max,
}

impl Effort {
    /// Parses `low`, `medium`, `high`, `xhigh` (and `none`/`minimal`/`null` as no thinking).
    pub(in crate::protocol::convert) fn parse(
        v: Option<&Value>,
        field: &str,
    ) -> Result<Option<Self>, ConvertError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => match s.as_str() {
                "none" | "minimal" => Ok(None),
                "low" => Ok(Some(Self::Low)),
                "medium" => Ok(Some(Self::Medium)),
                "high" => Ok(Some(Self::High)),
                "xhigh" => Ok(Some(Self::Max)),
                other => Err(err(field, format!("unknown reasoning effort `{other}`"))),
            },
            Some(_) => Err(err(field, "must be a string")),
        }
    }

    /// `budget_tokens` for manual extended thinking.
    pub(in crate::protocol::convert) fn budget(self) -> u64 {
        match self {
            Self::Low => 1024,
            Self::Medium => 4096,
            Self::High => 16384,
            Self::Max => 32768,
        }
    }

    /// `output_config.effort` for adaptive thinking.
    fn adaptive(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Max => "max",
        }
    }
}

/// Which thinking configuration the upstream model accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::protocol::convert) enum ThinkingStyle {
    /// No thinking: Claude models before 3.7 have none.
    Unsupported,
    /// `{type: "enabled", budget_tokens}`: Claude 3.7 to 4.5, and non-Claude models.
    Budget,
    /// `{type: "adaptive"}` + `output_config.effort`: Claude 4.6 and later (4.7+ reject
    /// `enabled`), and Claude names without a version.
    Adaptive,
}

impl ThinkingStyle {
    /// Reads the Claude version out of a model name (`claude-3-7-sonnet-20250219`,
    /// `claude-sonnet-4-5`, `claude-opus-4-20250514`, `us.anthropic.claude-opus-4-1-v1:0`).
    pub(in crate::protocol::convert) fn for_model(model: &str) -> Self {
        let lower = model.to_ascii_lowercase();
        let Some(pos) = lower.find("claude") else {
            return Self::Budget;
        };
        let rest = lower.get(pos..).unwrap_or_default();
        let tokens: Vec<&str> = rest.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        let small = |t: &str| (1..=2).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
        let Some(i) = tokens.iter().position(|t| small(t)) else {
            return Self::Adaptive;
        };
        let major: u32 = tokens.get(i).and_then(|t| t.parse().ok()).unwrap_or(0);
        let minor: u32 = tokens
            .get(i + 1)
            .filter(|t| small(t))
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if (major, minor) < (3, 7) {
            Self::Unsupported
        } else if (major, minor) < (4, 6) {
            Self::Budget
        } else {
            Self::Adaptive
        }
    }
}

/// Sampling and length settings of a request, client side.
#[derive(Clone, Debug, Default)]
pub(in crate::protocol::convert) struct Sampling {
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub stop: Vec<String>,
    pub effort: Option<Effort>,
    /// A tool call is forced (`required` / a named function).
    pub forced_tool: bool,
}

/// Sets `max_tokens`, `temperature`, `top_p`, `stop_sequences`, `thinking` and
/// `output_config`. Thinking is added only where Anthropic accepts it: no forced tool call,
/// temperature absent or 1, top_p absent or ≥ 0.95, and not in the middle of a tool loop whose
/// assistant turn has no thinking block to replay.
pub(in crate::protocol::convert) fn apply_sampling(
    out: &mut Map<String, Value>,
    s: &Sampling,
    model: &str,
    messages: &[Value],
    temperature_field: &str,
) -> Result<(), ConvertError> {
    if let Some(t) = s.temperature {
        if !(0.0..=1.0).contains(&t) {
            return Err(err(
                temperature_field,
                "Anthropic accepts a temperature between 0 and 1",
            ));
        }
        out.insert("temperature".into(), json!(t));
    }
    if let Some(p) = s.top_p {
        out.insert("top_p".into(), json!(p));
    }
    if !s.stop.is_empty() {
        out.insert("stop_sequences".into(), json!(s.stop));
    }
    let style = ThinkingStyle::for_model(model);
    let effort = s.effort.filter(|_| {
        style != ThinkingStyle::Unsupported
            && !s.forced_tool
            && s.temperature.is_none_or(|t| t == 1.0)
            && s.top_p.is_none_or(|p| p >= 0.95)
            && !tool_loop_without_thinking(messages)
    });
    let max_tokens = match effort {
        None => s.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        Some(effort) => {
            let budget = effort.budget();
            let max = s.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS + budget);
            match style {
                ThinkingStyle::Budget | ThinkingStyle::Unsupported => {
                    out.insert(
                        "thinking".into(),
                        json!({"type": "enabled", "budget_tokens": budget}),
                    );
                    if max <= budget { budget + max } else { max }
                }
                ThinkingStyle::Adaptive => {
                    out.insert("thinking".into(), json!({"type": "adaptive"}));
                    out.insert("output_config".into(), json!({"effort": effort.adaptive()}));
                    max
                }
            }
        }
    };
    out.insert("max_tokens".into(), json!(max_tokens));
    Ok(())
}

/// The last assistant turn calls tools but does not start with a thinking block: Anthropic
/// rejects enabling thinking for its continuation.
fn tool_loop_without_thinking(messages: &[Value]) -> bool {
    let Some(last) = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
    else {
        return false;
    };
    let blocks = last
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let calls = blocks.iter().any(|b| block_type(b) == "tool_use");
    let thinks = blocks
        .first()
        .is_some_and(|b| matches!(block_type(b), "thinking" | "redacted_thinking"));
    calls && !thinks
}

/// Anthropic `usage` fields present in `v` override those in `usage`.
pub(in crate::protocol::convert) fn merge_usage(usage: &mut Usage, v: Option<&Value>) {
    let Some(v) = v else { return };
    let get = |k: &str| v.get(k).and_then(Value::as_u64);
    if let Some(n) = get("input_tokens") {
        usage.input = n;
    }
    if let Some(n) = get("output_tokens") {
        usage.output = n;
    }
    if let Some(n) = get("cache_read_input_tokens") {
        usage.cache_read = n;
    }
    if let Some(n) = get("cache_creation_input_tokens") {
        usage.cache_write = n;
    }
}

/// OpenAI-convention input tokens: Anthropic's uncached input plus cache reads and writes.
pub(in crate::protocol::convert) fn openai_input(u: &Usage) -> u64 {
    u.input + u.cache_read + u.cache_write
}

/// Chat `finish_reason` for an Anthropic `stop_reason`.
pub(in crate::protocol::convert) fn chat_finish_reason(stop: Option<&str>) -> &'static str {
    match stop {
        Some("max_tokens" | "model_context_window_exceeded") => "length",
        Some("tool_use") => "tool_calls",
        Some("refusal") => "content_filter",
        _ => "stop",
    }
}

/// Responses `status` and `incomplete_details.reason` for an Anthropic `stop_reason`.
pub(in crate::protocol::convert) fn responses_status(
    stop: Option<&str>,
) -> (&'static str, Option<&'static str>) {
    match stop {
        Some("max_tokens" | "model_context_window_exceeded") => {
            ("incomplete", Some("max_output_tokens"))
        }
        Some("refusal") => ("incomplete", Some("content_filter")),
        _ => ("completed", None),
    }
}

/// One content block of an Anthropic answer.
#[derive(Clone, Debug, PartialEq)]
pub(in crate::protocol::convert) enum Block {
    Text(String),
    Thinking {
        text: String,
        signature: String,
    },
    Redacted(String),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

/// A complete Anthropic message (non-streaming answer).
#[derive(Clone, Debug, Default, PartialEq)]
pub(in crate::protocol::convert) struct Message {
    pub id: String,
    pub stop_reason: Option<String>,
    pub usage: Usage,
    pub blocks: Vec<Block>,
}

/// Reads an Anthropic message. Block types with no client-side counterpart (server tool
/// blocks, which these converters never request) are skipped.
pub(in crate::protocol::convert) fn parse_message(body: &[u8]) -> Result<Message, ConvertError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| err("", format!("the upstream answer is not valid JSON: {e}")))?;
    let Some(content) = v.get("content").and_then(Value::as_array) else {
        return Err(err(
            "content",
            "the upstream answer is not an Anthropic message",
        ));
    };
    let s = |b: &Value, k: &str| {
        b.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let blocks = content
        .iter()
        .filter_map(|b| match block_type(b) {
            "text" => Some(Block::Text(s(b, "text"))),
            "thinking" => Some(Block::Thinking {
                text: s(b, "thinking"),
                signature: s(b, "signature"),
            }),
            "redacted_thinking" => Some(Block::Redacted(s(b, "data"))),
            "tool_use" => Some(Block::ToolUse {
                id: s(b, "id"),
                name: s(b, "name"),
                input: b.get("input").cloned().unwrap_or_else(|| json!({})),
            }),
            _ => None,
        })
        .collect();
    let mut usage = Usage::default();
    merge_usage(&mut usage, v.get("usage"));
    Ok(Message {
        id: s(&v, "id"),
        stop_reason: v
            .get("stop_reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        usage,
        blocks,
    })
}

/// Tool-call arguments as the JSON text OpenAI clients expect (`{}` for an empty input).
pub(in crate::protocol::convert) fn arguments_text(input: &Value) -> String {
    match input {
        Value::Null => "{}".to_owned(),
        v => v.to_string(),
    }
}

/// The Anthropic message id without its `msg_` prefix (`relay` when there is none), for
/// deriving client-side ids.
pub(in crate::protocol::convert) fn id_base(message_id: &str) -> String {
    let base = message_id.strip_prefix("msg_").unwrap_or(message_id);
    let clean: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if clean.is_empty() {
        "relay".to_owned()
    } else {
        clean
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(in crate::protocol::convert) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Reads a `content_block_delta` event written in Anthropic's own wire form,
/// `{"type":"content_block_delta","index":N,"delta":{"type":"K","F":"piece"}}`, without building a
/// JSON tree: the index, the delta type and where the piece's string literal is. `None` for
/// anything else (other key orders, extra fields, other delta types), which then takes the
/// general path.
fn wire_delta_at(data: &str) -> Option<(u64, &'static str, Range<usize>)> {
    let rest = data.strip_prefix(r#"{"type":"content_block_delta","index":"#)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let index = rest.get(..digits)?.parse().ok()?;
    let rest = rest.get(digits..)?.strip_prefix(r#","delta":{"type":""#)?;
    let kind = rest.get(..memchr::memchr(b'"', rest.as_bytes())?)?;
    let (kind, field) = match kind {
        "text_delta" => ("text_delta", "text"),
        "thinking_delta" => ("thinking_delta", "thinking"),
        "signature_delta" => ("signature_delta", "signature"),
        "input_json_delta" => ("input_json_delta", "partial_json"),
        _ => return None,
    };
    let rest = rest
        .get(kind.len()..)?
        .strip_prefix(r#"",""#)?
        .strip_prefix(field)?
        .strip_prefix(r#"":"#)?;
    let end = json::skip_string(rest.as_bytes(), 0)?;
    if rest.get(end..)? != "}}" {
        return None;
    }
    let start = data.len() - rest.len();
    Some((index, kind, start..start + end))
}

/// Reads `content_block_delta` events as [`wire_delta_at`] does, keeping the [`Shape`] of
/// the last one read: the deltas of one block differ only in their piece.
#[derive(Debug, Default)]
pub(in crate::protocol::convert) struct WireDeltas {
    shape: Option<(Shape, u64, &'static str)>,
}

impl WireDeltas {
    /// The index, the delta type and the piece of a delta in Anthropic's own wire form (see
    /// [`wire_delta_at`]); `None` for anything else.
    pub fn read<'a>(&mut self, data: &'a str) -> Option<(u64, &'static str, json::Literal<'a>)> {
        let literal = |r: Range<usize>| data.get(r).and_then(json::literal);
        if let Some((shape, index, kind)) = &self.shape
            && let Some([Some(piece)]) = shape.read(data.as_bytes())
        {
            return Some((*index, kind, piece.literal(data)?));
        }
        let (index, kind, piece) = wire_delta_at(data)?;
        self.shape = Shape::new(data.as_bytes(), &[(piece.clone(), Hole::String, 0)])
            .map(|shape| (shape, index, kind));
        Some((index, kind, literal(piece)?))
    }
}

/// What both OpenAI-client transcoders of an Anthropic stream do per Anthropic event; the
/// event parsing and dispatch (`consume`) is shared, the output is each dialect's own.
pub(in crate::protocol::convert) trait AnthropicEvents {
    /// Whether the client's stream already ended (later events are ignored).
    fn finished(&self) -> bool;
    /// The reader of the stream's deltas.
    fn wire_deltas(&mut self) -> &mut WireDeltas;
    /// The id base, usage and stop reason gathered from the upstream.
    fn state(&mut self) -> (&mut Option<String>, &mut Usage, &mut Option<String>);
    /// Opens the client's answer (idempotent).
    fn start(&mut self, out: &mut Vec<bytes::Bytes>);
    /// A content block opens.
    fn block_start(&mut self, index: u64, block: &Value, out: &mut Vec<bytes::Bytes>);
    /// A piece of a block: `kind` is the Anthropic delta type.
    fn delta(
        &mut self,
        index: u64,
        kind: &str,
        piece: &json::Literal<'_>,
        out: &mut Vec<bytes::Bytes>,
    );
    /// A content block closes.
    fn block_stop(&mut self, index: u64, out: &mut Vec<bytes::Bytes>);
    /// The answer ends.
    fn complete(&mut self, out: &mut Vec<bytes::Bytes>);

    /// Parses one Anthropic event and calls the matching step.
    fn consume(&mut self, event: &crate::http::sse::Event, out: &mut Vec<bytes::Bytes>) {
        if self.finished() || event.is_comment_only {
            return;
        }
        // Deltas are nearly every event of a stream: read them in one pass into borrowed
        // fields instead of building a JSON tree.
        if let Some((index, kind, piece)) = self.wire_deltas().read(&event.data) {
            self.start(out);
            self.delta(index, kind, &piece, out);
            return;
        }
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
            return;
        };
        let kind = event
            .event
            .clone()
            .or_else(|| data.get("type").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        let index = data.get("index").and_then(Value::as_u64);
        match (kind.as_str(), index) {
            ("message_start", _) => {
                let message = data.get("message");
                let (base, usage, _) = self.state();
                if base.is_none()
                    && let Some(id) = message.and_then(|m| m.get("id")).and_then(Value::as_str)
                {
                    *base = Some(id_base(id));
                }
                merge_usage(usage, message.and_then(|m| m.get("usage")));
                self.start(out);
            }
            ("content_block_start", Some(i)) => {
                self.start(out);
                if let Some(block) = data.get("content_block") {
                    self.block_start(i, block, out);
                }
            }
            ("content_block_delta", Some(i)) => {
                self.start(out);
                let delta = data.get("delta");
                let dkind = delta
                    .and_then(|d| d.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let key = match dkind {
                    "text_delta" => "text",
                    "thinking_delta" => "thinking",
                    "signature_delta" => "signature",
                    "input_json_delta" => "partial_json",
                    _ => return,
                };
                let piece = delta
                    .and_then(|d| d.get(key))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                self.delta(i, dkind, &json::Literal::new(piece), out);
            }
            ("content_block_stop", Some(i)) => self.block_stop(i, out),
            ("message_delta", _) => {
                let (_, usage, stop_reason) = self.state();
                if let Some(r) = data
                    .get("delta")
                    .and_then(|d| d.get("stop_reason"))
                    .and_then(Value::as_str)
                {
                    *stop_reason = Some(r.to_owned());
                }
                merge_usage(usage, data.get("usage"));
            }
            ("message_stop", _) => self.complete(out),
            _ => {}
        }
    }
}

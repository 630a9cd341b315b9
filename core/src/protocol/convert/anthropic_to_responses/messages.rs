//! Reads an Anthropic Messages request into a neutral form both OpenAI targets render from
//! (shared with `anthropic_to_chat`), and makes every decision about what cannot cross. Pure.
//!
//! Decisions, per field of the Anthropic request:
//! - `system` (string or text blocks) → [`Request::system`]; `cache_control` is dropped (OpenAI
//!   caches prefixes automatically). Claude Code's `x-anthropic-billing-header:` block is
//!   dropped: it is billing metadata for Anthropic, and as it changes per request it would
//!   defeat the upstream's prefix cache.
//! - `{"role":"system"}` turns anywhere in `messages` stay at their position ([`Role::System`]).
//! - `thinking` / `redacted_thinking` blocks: a `thinking` block whose signature carries
//!   [`REASONING_SIGNATURE_PREFIX`] came from an OpenAI reasoning item this relay converted and
//!   is replayed ([`Part::Reasoning`]); any other (a real Anthropic signature) is model-internal
//!   state OpenAI cannot use and is dropped.
//! - Server tools (`web_search_*`, `bash_*`, `text_editor_*`, `computer_*`, `code_execution_*`,
//!   ...: any `tools[i].type` other than `custom`) are refused, except Anthropic's tool-search
//!   tools (`tool_search_tool_*`), which are dropped: `defer_loading` is ignored, so every
//!   deferred tool is sent to the upstream directly and nothing needs searching. Non-empty
//!   `mcp_servers` (server-run MCP tools) are refused too.
//! - `tools[i]`: `input_schema` → parameters (an object schema missing `properties` gets an
//!   empty one, as OpenAI requires); `defer_loading`, `cache_control`, `strict`,
//!   `input_examples` and other Anthropic-only fields are ignored.
//! - `thinking` → reasoning effort: `enabled` by `budget_tokens` (< 4096 low, < 16384 medium,
//!   else high), `adaptive` → medium, `disabled` → none; `output_config.effort` (low / medium /
//!   high; xhigh and max → xhigh) overrides the budget or adaptive default when thinking is not
//!   disabled. No `thinking` and no effort → no reasoning parameter (the model's default).
//! - `output_config.format` (structured output JSON schema) is carried to the target's
//!   structured-output field; the rest of `output_config`, `context_management`, `container`,
//!   `service_tier`, `top_k`, `speed`, `inference_geo` and other extras are ignored.
//! - Image sources `base64` → data URL, `url` → URL; `file` sources (Anthropic Files API ids)
//!   are refused. Documents: base64 PDF → file data URL, URL → file URL, `text` / `content`
//!   sources → text. `cache_control` and `citations` on blocks are dropped.
//! - Other block types (`server_tool_use`, `web_search_tool_result`, `search_result`,
//!   `container_upload`, ...) are refused with the block's path: they record Anthropic server
//!   tools the upstream never ran.

use serde_json::{Map, Value};

use super::super::ConvertError;

/// Marks a thinking-block signature that holds an OpenAI reasoning item's `encrypted_content`.
pub(in crate::protocol::convert) const REASONING_SIGNATURE_PREFIX: &str = "openai-reasoning.v1:";

/// Who speaks a turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::protocol::convert) enum Role {
    System,
    User,
    Assistant,
}

/// A file attachment (a document block).
#[derive(Clone, Debug, PartialEq)]
pub(in crate::protocol::convert) enum File {
    /// `data:<media type>;base64,<data>`.
    Data { url: String, filename: String },
    /// A URL the upstream fetches.
    Url { url: String },
}

/// One piece of a turn, in order.
#[derive(Clone, Debug, PartialEq)]
pub(in crate::protocol::convert) enum Part {
    Text(String),
    /// An image URL (`https:` or a `data:` URL).
    Image(String),
    File(File),
    ToolUse {
        id: String,
        name: String,
        /// The JSON text of the input object.
        arguments: String,
    },
    ToolResult {
        id: String,
        /// Text, image and file parts only.
        content: Vec<Part>,
        is_error: bool,
    },
    /// A replayable OpenAI reasoning item.
    Reasoning {
        summary: String,
        encrypted: String,
    },
}

/// One turn of the conversation.
#[derive(Clone, Debug, PartialEq)]
pub(in crate::protocol::convert) struct Turn {
    pub role: Role,
    /// The turn's index in `messages` (for error paths).
    pub index: usize,
    pub parts: Vec<Part>,
}

/// A client tool.
#[derive(Clone, Debug, PartialEq)]
pub(in crate::protocol::convert) struct Tool {
    pub name: String,
    pub description: Option<String>,
    pub parameters: Value,
}

/// `tool_choice`.
#[derive(Clone, Debug, PartialEq)]
pub(in crate::protocol::convert) enum ToolChoice {
    Auto,
    Any,
    None,
    Tool(String),
}

/// OpenAI reasoning effort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::protocol::convert) enum Effort {
    None,
    Low,
    Medium,
    High,
    XHigh,
}

impl Effort {
    /// The OpenAI wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Effort::None => "none",
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
            Effort::XHigh => "xhigh",
        }
    }
}

/// A JSON-schema output format (`output_config.format`).
#[derive(Clone, Debug, PartialEq)]
pub(in crate::protocol::convert) struct OutputFormat {
    pub schema: Value,
}

/// The neutral form of an Anthropic Messages request.
#[derive(Clone, Debug, Default, PartialEq)]
pub(in crate::protocol::convert) struct Request {
    pub system: Vec<String>,
    pub turns: Vec<Turn>,
    pub tools: Vec<Tool>,
    /// `None` when absent, or when there are no tools left to choose from.
    pub tool_choice: Option<ToolChoice>,
    /// `Some(false)` for `disable_parallel_tool_use`.
    pub parallel_tool_calls: Option<bool>,
    pub max_tokens: Option<u64>,
    pub temperature: Option<Value>,
    pub top_p: Option<Value>,
    pub stop_sequences: Vec<String>,
    pub effort: Option<Effort>,
    pub user_id: Option<String>,
    pub output_format: Option<OutputFormat>,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> ConvertError {
    ConvertError::new(field, message)
}

/// Parses and checks an Anthropic Messages body.
pub(in crate::protocol::convert) fn parse(body: &[u8]) -> Result<Request, ConvertError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| err("", format!("the body is not valid JSON: {e}")))?;
    let Value::Object(root) = root else {
        return Err(err("", "the body must be a JSON object"));
    };
    let mut req = Request {
        system: system(root.get("system"))?,
        ..Request::default()
    };
    match root.get("messages") {
        Some(Value::Array(messages)) => {
            for (i, m) in messages.iter().enumerate() {
                if let Some(turn) = message(i, m)? {
                    req.turns.push(turn);
                }
            }
        }
        Some(_) => return Err(err("messages", "must be an array")),
        None => return Err(err("messages", "is required")),
    }
    if let Some(Value::Array(servers)) = root.get("mcp_servers")
        && !servers.is_empty()
    {
        return Err(err(
            "mcp_servers",
            "Anthropic's MCP connector runs tools on Anthropic's servers; an OpenAI upstream \
             cannot run them. Remove `mcp_servers` or configure the MCP servers in the client",
        ));
    }
    req.tools = tools(root.get("tools"))?;
    (req.tool_choice, req.parallel_tool_calls) = tool_choice(root.get("tool_choice"))?;
    if req.tools.is_empty() {
        // OpenAI refuses a tool choice without tools.
        req.tool_choice = None;
        req.parallel_tool_calls = None;
    } else if let Some(ToolChoice::Tool(name)) = &req.tool_choice
        && !req.tools.iter().any(|t| &t.name == name)
    {
        return Err(err(
            "tool_choice.name",
            format!("names `{name}`, which is not one of `tools`"),
        ));
    }
    req.max_tokens = match root.get("max_tokens") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| err("max_tokens", "must be a non-negative integer"))?,
        ),
    };
    req.temperature = number(&root, "temperature")?;
    req.top_p = number(&root, "top_p")?;
    req.stop_sequences = match root.get("stop_sequences") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| err(format!("stop_sequences[{i}]"), "must be a string"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(err("stop_sequences", "must be an array of strings")),
    };
    let output_config = root.get("output_config").and_then(Value::as_object);
    req.effort = effort(root.get("thinking"), output_config)?;
    req.output_format = output_format(output_config)?;
    req.user_id = root
        .get("metadata")
        .and_then(|m| m.get("user_id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(req)
}

fn number(root: &Map<String, Value>, key: &str) -> Result<Option<Value>, ConvertError> {
    match root.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(_)) => Ok(Some(v.clone())),
        Some(_) => Err(err(key, "must be a number")),
    }
}

const BILLING_HEADER: &str = "x-anthropic-billing-header:";

fn system(value: Option<&Value>) -> Result<Vec<String>, ConvertError> {
    let texts = match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(blocks)) => blocks
            .iter()
            .enumerate()
            .map(|(i, b)| text_block(b, &format!("system[{i}]")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(err("system", "must be a string or an array of text blocks")),
    };
    Ok(texts
        .into_iter()
        .filter(|t| !t.is_empty() && !t.starts_with(BILLING_HEADER))
        .collect())
}

fn text_block(block: &Value, path: &str) -> Result<String, ConvertError> {
    match (block.get("type").and_then(Value::as_str), block.get("text")) {
        (Some("text"), Some(Value::String(t))) => Ok(t.clone()),
        _ => Err(err(path, "must be a text block")),
    }
}

fn message(index: usize, m: &Value) -> Result<Option<Turn>, ConvertError> {
    let path = format!("messages[{index}]");
    let role = match m.get("role").and_then(Value::as_str) {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("system") => Role::System,
        _ => {
            return Err(err(
                format!("{path}.role"),
                "must be `user`, `assistant` or `system`",
            ));
        }
    };
    let mut parts = Vec::new();
    match m.get("content") {
        Some(Value::String(s)) => {
            if !s.is_empty() {
                parts.push(Part::Text(s.clone()));
            }
        }
        Some(Value::Array(blocks)) => {
            for (j, b) in blocks.iter().enumerate() {
                if let Some(p) = block(role, b, &format!("{path}.content[{j}]"))? {
                    parts.push(p);
                }
            }
        }
        Some(Value::Null) | None if role == Role::System => {}
        _ => {
            return Err(err(
                format!("{path}.content"),
                "must be a string or an array of content blocks",
            ));
        }
    }
    if parts.is_empty() && role == Role::System {
        return Ok(None);
    }
    Ok(Some(Turn { role, index, parts }))
}

fn str_field<'a>(v: &'a Value, key: &str, path: &str) -> Result<&'a str, ConvertError> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| err(format!("{path}.{key}"), "must be a string"))
}

fn block(role: Role, b: &Value, path: &str) -> Result<Option<Part>, ConvertError> {
    let kind = str_field(b, "type", path)?;
    let wrong_role = |who: &str| {
        err(
            format!("{path}.type"),
            format!("`{kind}` blocks belong in {who} turns"),
        )
    };
    match kind {
        "text" => {
            let text = str_field(b, "text", path)?;
            Ok((!text.is_empty()).then(|| Part::Text(text.to_owned())))
        }
        "image" if role == Role::User => image(b, path).map(Some),
        "document" if role == Role::User => document(b, path),
        "tool_use" if role == Role::Assistant => {
            let input = b
                .get("input")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            if !input.is_object() {
                return Err(err(format!("{path}.input"), "must be an object"));
            }
            Ok(Some(Part::ToolUse {
                id: str_field(b, "id", path)?.to_owned(),
                name: str_field(b, "name", path)?.to_owned(),
                arguments: input.to_string(),
            }))
        }
        "tool_use" => Err(wrong_role("assistant")),
        "tool_result" if role == Role::User => {
            let content = match b.get("content") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(s)) if s.is_empty() => Vec::new(),
                Some(Value::String(s)) => vec![Part::Text(s.clone())],
                Some(Value::Array(items)) => {
                    let mut out = Vec::new();
                    for (k, item) in items.iter().enumerate() {
                        let p = format!("{path}.content[{k}]");
                        match item.get("type").and_then(Value::as_str) {
                            Some("text" | "image" | "document") => {
                                out.extend(block(Role::User, item, &p)?);
                            }
                            _ => {
                                return Err(err(
                                    format!("{p}.type"),
                                    "tool results can hold text, image and document blocks",
                                ));
                            }
                        }
                    }
                    out
                }
                Some(_) => {
                    return Err(err(
                        format!("{path}.content"),
                        "must be a string or an array of blocks",
                    ));
                }
            };
            Ok(Some(Part::ToolResult {
                id: str_field(b, "tool_use_id", path)?.to_owned(),
                content,
                is_error: b.get("is_error").and_then(Value::as_bool).unwrap_or(false),
            }))
        }
        "tool_result" => Err(wrong_role("user")),
        "thinking" if role == Role::Assistant => {
            let signature = b.get("signature").and_then(Value::as_str).unwrap_or("");
            Ok(signature
                .strip_prefix(REASONING_SIGNATURE_PREFIX)
                .filter(|enc| !enc.is_empty())
                .map(|enc| Part::Reasoning {
                    summary: b
                        .get("thinking")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    encrypted: enc.to_owned(),
                }))
        }
        "redacted_thinking" if role == Role::Assistant => Ok(None),
        "thinking" | "redacted_thinking" => Err(wrong_role("assistant")),
        "image" | "document" => Err(wrong_role("user")),
        other => Err(err(
            format!("{path}.type"),
            format!("`{other}` blocks cannot be converted for an OpenAI upstream"),
        )),
    }
}

fn image(b: &Value, path: &str) -> Result<Part, ConvertError> {
    let src = b
        .get("source")
        .ok_or_else(|| err(format!("{path}.source"), "is required"))?;
    let spath = format!("{path}.source");
    match src.get("type").and_then(Value::as_str) {
        Some("base64") => {
            let media = src
                .get("media_type")
                .and_then(Value::as_str)
                .unwrap_or("image/png");
            let data = str_field(src, "data", &spath)?;
            Ok(Part::Image(format!("data:{media};base64,{data}")))
        }
        Some("url") => Ok(Part::Image(str_field(src, "url", &spath)?.to_owned())),
        Some("file") => Err(err(
            format!("{spath}.type"),
            "Anthropic Files API ids cannot be read by an OpenAI upstream; send the image inline",
        )),
        _ => Err(err(format!("{spath}.type"), "must be `base64` or `url`")),
    }
}

fn document(b: &Value, path: &str) -> Result<Option<Part>, ConvertError> {
    let spath = format!("{path}.source");
    let src = b
        .get("source")
        .ok_or_else(|| err(spath.as_str(), "is required"))?;
    let title = b
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty());
    match src.get("type").and_then(Value::as_str) {
        Some("base64") => {
            let media = src
                .get("media_type")
                .and_then(Value::as_str)
                .unwrap_or("application/pdf");
            let data = str_field(src, "data", &spath)?;
            Ok(Some(Part::File(File::Data {
                url: format!("data:{media};base64,{data}"),
                filename: title.unwrap_or("document.pdf").to_owned(),
            })))
        }
        Some("url") => Ok(Some(Part::File(File::Url {
            url: str_field(src, "url", &spath)?.to_owned(),
        }))),
        Some("text") => {
            let data = str_field(src, "data", &spath)?;
            let text = match title {
                Some(t) => format!("{t}\n\n{data}"),
                None => data.to_owned(),
            };
            Ok((!text.is_empty()).then_some(Part::Text(text)))
        }
        Some("content") => {
            let mut texts: Vec<String> = title.map(str::to_owned).into_iter().collect();
            match src.get("content") {
                Some(Value::String(s)) => texts.push(s.clone()),
                Some(Value::Array(items)) => {
                    for (k, item) in items.iter().enumerate() {
                        texts.push(text_block(item, &format!("{spath}.content[{k}]"))?);
                    }
                }
                _ => return Err(err(format!("{spath}.content"), "is required")),
            }
            let text = texts.join("\n\n");
            Ok((!text.is_empty()).then_some(Part::Text(text)))
        }
        Some("file") => Err(err(
            format!("{spath}.type"),
            "Anthropic Files API ids cannot be read by an OpenAI upstream; send the file inline",
        )),
        _ => Err(err(
            format!("{spath}.type"),
            "must be `base64`, `url`, `text` or `content`",
        )),
    }
}

fn tools(value: Option<&Value>) -> Result<Vec<Tool>, ConvertError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(err("tools", "must be an array")),
    };
    let mut out = Vec::new();
    for (i, t) in items.iter().enumerate() {
        let path = format!("tools[{i}]");
        match t.get("type").and_then(Value::as_str) {
            None | Some("custom") => {}
            Some(kind) if kind.starts_with("tool_search_tool") => continue,
            Some(kind) => {
                return Err(err(
                    path,
                    format!(
                        "`{kind}` is an Anthropic server tool; an OpenAI upstream cannot run it. \
                         Remove it, or define a client tool with an `input_schema` instead"
                    ),
                ));
            }
        }
        let name = str_field(t, "name", &path)?;
        if name.is_empty() {
            return Err(err(format!("{path}.name"), "must not be empty"));
        }
        let mut parameters = match t.get("input_schema") {
            Some(Value::Object(schema)) => schema.clone(),
            None | Some(Value::Null) => Map::new(),
            Some(_) => return Err(err(format!("{path}.input_schema"), "must be an object")),
        };
        parameters
            .entry("type")
            .or_insert_with(|| Value::String("object".into()));
        if parameters.get("type").and_then(Value::as_str) == Some("object") {
            parameters
                .entry("properties")
                .or_insert_with(|| Value::Object(Map::new()));
        }
        out.push(Tool {
            name: name.to_owned(),
            description: t
                .get("description")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            parameters: Value::Object(parameters),
        });
    }
    Ok(out)
}

type Choice = (Option<ToolChoice>, Option<bool>);

fn tool_choice(value: Option<&Value>) -> Result<Choice, ConvertError> {
    let Some(v @ Value::Object(_)) = value else {
        return match value {
            None | Some(Value::Null) => Ok((None, None)),
            Some(_) => Err(err("tool_choice", "must be an object")),
        };
    };
    let parallel = v
        .get("disable_parallel_tool_use")
        .and_then(Value::as_bool)
        .filter(|d| *d)
        .map(|_| false);
    let choice = match v.get("type").and_then(Value::as_str) {
        Some("auto") => ToolChoice::Auto,
        Some("any") => ToolChoice::Any,
        Some("none") => ToolChoice::None,
        Some("tool") => ToolChoice::Tool(str_field(v, "name", "tool_choice")?.to_owned()),
        _ => {
            return Err(err(
                "tool_choice.type",
                "must be `auto`, `any`, `none` or `tool`",
            ));
        }
    };
    Ok((Some(choice), parallel))
}

fn effort(
    thinking: Option<&Value>,
    output_config: Option<&Map<String, Value>>,
) -> Result<Option<Effort>, ConvertError> {
    let configured = match output_config.and_then(|c| c.get("effort")) {
        None | Some(Value::Null) => None,
        Some(v) => Some(match v.as_str() {
            Some("low") => Effort::Low,
            Some("medium") => Effort::Medium,
            Some("high") => Effort::High,
            Some("xhigh" | "max") => Effort::XHigh,
            _ => {
                return Err(err(
                    "output_config.effort",
                    "must be `low`, `medium`, `high`, `xhigh` or `max`",
                ));
            }
        }),
    };
    let Some(thinking) = thinking.filter(|t| !t.is_null()) else {
        return Ok(configured);
    };
    let from_thinking = match thinking.get("type").and_then(Value::as_str) {
        Some("disabled") => return Ok(Some(Effort::None)),
        Some("adaptive") => Effort::Medium,
        Some("enabled") => match thinking.get("budget_tokens").and_then(Value::as_u64) {
            Some(b) if b < 4096 => Effort::Low,
            Some(b) if b < 16384 => Effort::Medium,
            Some(_) => Effort::High,
            None => {
                return Err(err(
                    "thinking.budget_tokens",
                    "must be a non-negative integer",
                ));
            }
        },
        _ => {
            return Err(err(
                "thinking.type",
                "must be `enabled`, `adaptive` or `disabled`",
            ));
        }
    };
    Ok(Some(configured.unwrap_or(from_thinking)))
}

fn output_format(
    output_config: Option<&Map<String, Value>>,
) -> Result<Option<OutputFormat>, ConvertError> {
    let Some(format) = output_config
        .and_then(|c| c.get("format"))
        .filter(|f| !f.is_null())
    else {
        return Ok(None);
    };
    match (
        format.get("type").and_then(Value::as_str),
        format.get("schema"),
    ) {
        (Some("json_schema"), Some(schema @ Value::Object(_))) => Ok(Some(OutputFormat {
            schema: schema.clone(),
        })),
        _ => Err(err(
            "output_config.format",
            "must be `{\"type\": \"json_schema\", \"schema\": {...}}`",
        )),
    }
}

/// Whether `model` is an OpenAI reasoning model (o-series, `gpt-5*` except the `-chat`
/// variants, `codex-*`, `gpt-oss`): those take a reasoning effort and refuse sampling
/// parameters (`temperature`, `top_p`, `stop`); other models are the other way round.
pub(in crate::protocol::convert) fn is_reasoning_model(model: &str) -> bool {
    let name = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    if name.contains("-chat") {
        return false;
    }
    ["o1", "o3", "o4", "gpt-5", "codex", "gpt-oss"]
        .iter()
        .any(|p| name.starts_with(p))
}

//! The API dialects the relay speaks (wire facts only: paths, error shapes, usage fields,
//! terminal events). One module per dialect; all pure.

pub mod anthropic;
pub mod convert;
pub mod frame;
pub mod gemini;
pub mod json;
pub mod openai_chat;
pub mod openai_responses;
pub mod shape;

use bytes::Bytes;

use crate::error::Error;
use crate::http::sse;

/// A client- or upstream-side API dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Anthropic Messages (`/v1/messages`).
    Anthropic,
    /// OpenAI Chat Completions (`/v1/chat/completions`).
    OpenAiChat,
    /// OpenAI Responses (`/v1/responses`).
    OpenAiResponses,
    /// Gemini `generateContent` (`/v1beta/models/...`).
    Gemini,
}

impl Dialect {
    /// The name used in the ledger (`inbound`) and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Anthropic => "anthropic",
            Dialect::OpenAiChat => "openai-chat",
            Dialect::OpenAiResponses => "openai-responses",
            Dialect::Gemini => "gemini",
        }
    }

    /// Guesses the dialect a client speaks from the request path, for errors raised before
    /// routing (bad Host, unknown path).
    pub fn guess(path: &str, has_anthropic_version: bool) -> Dialect {
        if path.starts_with("/v1beta") {
            Dialect::Gemini
        } else if path.starts_with("/v1/messages") || has_anthropic_version {
            Dialect::Anthropic
        } else if path.starts_with("/v1/responses") {
            Dialect::OpenAiResponses
        } else {
            Dialect::OpenAiChat
        }
    }

    /// JSON error body for a non-streaming error response.
    pub fn error_body(self, err: &Error) -> Vec<u8> {
        match self {
            Dialect::Anthropic => anthropic::error_body(err),
            Dialect::OpenAiChat | Dialect::OpenAiResponses => openai_chat::error_body(err),
            Dialect::Gemini => gemini::error_body(err),
        }
    }

    /// The terminal SSE event(s) that end a stream with an error, in this dialect.
    pub fn stream_error(self, err: &Error, ctx: &StreamContext) -> Bytes {
        match self {
            Dialect::Anthropic => anthropic::stream_error(err),
            Dialect::OpenAiChat => openai_chat::stream_error(err),
            Dialect::OpenAiResponses => openai_responses::stream_error(err, ctx),
            Dialect::Gemini => gemini::stream_error(err),
        }
    }

    /// A keep-alive for a stream that has nothing to say yet.
    pub fn keepalive(self) -> Bytes {
        match self {
            Dialect::Anthropic => sse::encode(Some("ping"), r#"{"type": "ping"}"#),
            _ => sse::comment("keep-alive"),
        }
    }

    /// Object-key paths of the model name inside one streamed event's JSON, outermost first.
    pub fn stream_model_paths(self) -> &'static [&'static [&'static str]] {
        match self {
            Dialect::Anthropic => &[&["message", "model"]],
            Dialect::OpenAiChat => &[&["model"]],
            Dialect::OpenAiResponses => &[&["response", "model"]],
            Dialect::Gemini => &[&["modelVersion"]],
        }
    }

    /// Object-key path of the model name in a non-streaming response body.
    pub fn body_model_path(self) -> &'static [&'static str] {
        match self {
            Dialect::Gemini => &["modelVersion"],
            _ => &["model"],
        }
    }

    /// Token usage of a complete (non-streaming) response body.
    pub fn body_usage(self, body: &[u8]) -> Usage {
        match self {
            Dialect::Anthropic => anthropic::body_usage(body),
            Dialect::OpenAiChat => openai_chat::body_usage(body),
            Dialect::OpenAiResponses => openai_responses::body_usage(body),
            Dialect::Gemini => gemini::body_usage(body),
        }
    }
}

/// Token counts in Anthropic's convention: `input` excludes cached tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens (reasoning included).
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write: u64,
    /// Of `cache_write`, the tokens written with the 1-hour lifetime (Anthropic's
    /// `cache_creation.ephemeral_1h_input_tokens`); the rest had the 5-minute one.
    pub cache_write_1h: u64,
}

/// Facts about a stream gathered while relaying it, for terminal events that need them.
#[derive(Clone, Debug, Default)]
pub struct StreamContext {
    /// The response/message id the upstream announced, if any.
    pub response_id: Option<String>,
    /// The model to show the client.
    pub model: String,
    /// The next Responses `sequence_number`.
    pub next_sequence: u64,
}

/// What one observed stream event means for the relay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventInfo {
    /// The dialect's successful terminal event (`message_stop`, `[DONE]`, `response.completed`).
    pub terminal: bool,
    /// An error event (Anthropic `error`, a Chat `{"error":...}` chunk, `response.failed`).
    pub error: bool,
    /// A Chat chunk that only carries usage (`choices: []`), present because the relay asked.
    pub usage_only: bool,
    /// A plain Chat text chunk (see [`openai_chat::TextChunks`]): where its text is, as a
    /// JSON string literal, in the event's data. Lets a transcoder skip reading it again.
    pub text: Option<shape::Found>,
}

/// Watches a stream in one dialect: usage, terminal and error events, the response id.
#[derive(Clone, Debug)]
pub struct StreamTap {
    dialect: Dialect,
    /// Usage seen so far.
    pub usage: Usage,
    /// Ids and counters needed to write a terminal event.
    pub context: StreamContext,
    /// Whether a successful terminal event was seen.
    pub completed: bool,
    /// The shape of a Chat stream's text chunks.
    chat_text: openai_chat::TextChunks,
}

impl StreamTap {
    /// A tap for a stream in `dialect` that shows `model` to the client.
    pub fn new(dialect: Dialect, model: &str) -> Self {
        Self {
            dialect,
            usage: Usage::default(),
            context: StreamContext {
                model: model.to_owned(),
                ..StreamContext::default()
            },
            completed: false,
            chat_text: openai_chat::TextChunks::default(),
        }
    }

    /// Observes one event (in the order received).
    pub fn observe(&mut self, ev: &sse::Event) -> EventInfo {
        let info = match self.dialect {
            Dialect::Anthropic => anthropic::observe(ev, &mut self.usage, &mut self.context),
            Dialect::OpenAiChat => {
                openai_chat::observe(ev, &mut self.chat_text, &mut self.usage, &mut self.context)
            }
            Dialect::OpenAiResponses => {
                openai_responses::observe(ev, &mut self.usage, &mut self.context)
            }
            Dialect::Gemini => gemini::observe(ev, &mut self.usage),
        };
        if info.terminal {
            self.completed = true;
        }
        info
    }
}

/// Reads the object at `path` in `body` as `T`, if present and well-formed.
pub(crate) fn parse_at<'a, T: serde::Deserialize<'a>>(body: &'a [u8], path: &[&str]) -> Option<T> {
    let range = json::find(body, path)?;
    serde_json::from_slice(body.get(range)?).ok()
}

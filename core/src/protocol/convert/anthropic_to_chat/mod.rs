//! Anthropic Messages client, OpenAI Chat Completions upstream: the request going up, the
//! complete answer and the stream coming down. Pure: bytes in, bytes out.
//!
//! The Anthropic side (reading the client's request and what crosses, writing Anthropic
//! messages and streams) is shared with `anthropic_to_responses`; its `messages` module lists
//! the decisions common to both targets, this pair's modules the Chat-specific ones.

mod request;
mod response;
mod stream;

#[cfg(test)]
mod tests;

pub use stream::Stream;

use super::{ConvertError, RequestContext};

/// Converts an Anthropic Messages request body to an OpenAI Chat Completions request body
/// (`model` = `ctx.upstream_model`, `stream` = `ctx.stream`, and for streams
/// `stream_options: {include_usage: true}`).
pub fn request(body: &[u8], ctx: &RequestContext<'_>) -> Result<Vec<u8>, ConvertError> {
    request::convert(body, ctx)
}

/// Converts a complete Chat Completions answer to an Anthropic message showing `client_model`.
pub fn response(body: &[u8], client_model: &str) -> Result<Vec<u8>, ConvertError> {
    response::convert(body, client_model)
}

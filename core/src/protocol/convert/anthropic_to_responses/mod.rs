//! Anthropic Messages client, OpenAI Responses upstream: the request going up, the complete
//! answer and the stream coming down. Pure: bytes in, bytes out.
//!
//! The Anthropic side is shared with `anthropic_to_chat`: `messages` reads the client's
//! request and decides what crosses (its docs list every decision), `emit` writes Anthropic
//! messages and streams, `json_guard` keeps streamed tool input valid JSON.

pub(super) mod emit;
pub(super) mod json_guard;
pub(super) mod messages;
mod request;
mod response;
mod stream;

#[cfg(test)]
mod tests;

pub use stream::Stream;

use super::{ConvertError, RequestContext};

/// Converts an Anthropic Messages request body to an OpenAI Responses request body
/// (`model` = `ctx.upstream_model`, `stream` = `ctx.stream`, `store: false`).
pub fn request(body: &[u8], ctx: &RequestContext<'_>) -> Result<Vec<u8>, ConvertError> {
    request::convert(body, ctx)
}

/// Converts a complete OpenAI Responses answer to an Anthropic message showing `client_model`.
pub fn response(body: &[u8], client_model: &str) -> Result<Vec<u8>, ConvertError> {
    response::convert(body, client_model)
}

//! Which dialect pairs convert, and dispatch to the pair modules. Pure.

use super::{
    ConvertError, RequestContext, Transcoder, anthropic_to_chat, anthropic_to_responses,
    chat_to_anthropic, chat_to_responses, responses_to_anthropic, responses_to_chat,
};
use crate::protocol::Dialect;

/// Whether a client speaking `client` can be served by an upstream speaking `upstream`
/// (passed through when they are the same).
pub fn supported(client: Dialect, upstream: Dialect) -> bool {
    use Dialect::{Anthropic, OpenAiChat as Chat, OpenAiResponses as Responses};
    match (client, upstream) {
        (a, b) if a == b => a != Dialect::Gemini,
        (Chat, Responses) | (Responses, Chat) | (Responses | Chat, Anthropic) => true,
        (Anthropic, Responses | Chat) => true,
        _ => false,
    }
}

/// Converts a client request body for the upstream.
pub fn request(
    client: Dialect,
    upstream: Dialect,
    body: &[u8],
    ctx: &RequestContext<'_>,
) -> Result<Vec<u8>, ConvertError> {
    use Dialect::{Anthropic, OpenAiChat as Chat, OpenAiResponses as Responses};
    match (client, upstream) {
        (Chat, Responses) => chat_to_responses::request(body, ctx),
        (Responses, Chat) => responses_to_chat::request(body, ctx),
        (Responses, Anthropic) => responses_to_anthropic::request(body, ctx),
        (Chat, Anthropic) => chat_to_anthropic::request(body, ctx),
        (Anthropic, Responses) => anthropic_to_responses::request(body, ctx),
        (Anthropic, Chat) => anthropic_to_chat::request(body, ctx),
        _ => Err(unsupported(client, upstream)),
    }
}

/// Converts a complete upstream answer for the client.
pub fn response(
    upstream: Dialect,
    client: Dialect,
    body: &[u8],
    client_model: &str,
) -> Result<Vec<u8>, ConvertError> {
    use Dialect::{Anthropic, OpenAiChat as Chat, OpenAiResponses as Responses};
    match (client, upstream) {
        (Chat, Responses) => chat_to_responses::response(body, client_model),
        (Responses, Chat) => responses_to_chat::response(body, client_model),
        (Responses, Anthropic) => responses_to_anthropic::response(body, client_model),
        (Chat, Anthropic) => chat_to_anthropic::response(body, client_model),
        (Anthropic, Responses) => anthropic_to_responses::response(body, client_model),
        (Anthropic, Chat) => anthropic_to_chat::response(body, client_model),
        _ => Err(unsupported(client, upstream)),
    }
}

/// A transcoder for a stream from `upstream` to `client`.
pub fn transcoder(
    upstream: Dialect,
    client: Dialect,
    client_model: &str,
) -> Option<Box<dyn Transcoder>> {
    use Dialect::{Anthropic, OpenAiChat as Chat, OpenAiResponses as Responses};
    match (client, upstream) {
        (Chat, Responses) => Some(Box::new(chat_to_responses::Stream::new(client_model))),
        (Responses, Chat) => Some(Box::new(responses_to_chat::Stream::new(client_model))),
        (Responses, Anthropic) => Some(Box::new(responses_to_anthropic::Stream::new(client_model))),
        (Chat, Anthropic) => Some(Box::new(chat_to_anthropic::Stream::new(client_model))),
        (Anthropic, Responses) => Some(Box::new(anthropic_to_responses::Stream::new(client_model))),
        (Anthropic, Chat) => Some(Box::new(anthropic_to_chat::Stream::new(client_model))),
        _ => None,
    }
}

fn unsupported(client: Dialect, upstream: Dialect) -> ConvertError {
    ConvertError::new(
        "",
        format!(
            "converting `{}` to `{}` is not supported",
            client.as_str(),
            upstream.as_str()
        ),
    )
}

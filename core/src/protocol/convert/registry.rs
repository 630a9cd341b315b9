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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::sse;
    use crate::protocol::StreamTap;

    /// A Chat stream as OpenAI sends it: a role chunk, text chunks of one shape (one with
    /// escapes), the finish chunk, the usage chunk, `[DONE]`.
    fn chat_stream() -> Vec<sse::Event> {
        let head = r#""id":"chatcmpl-1","object":"chat.completion.chunk","created":1764200000,"model":"gpt-5""#;
        let mut data = vec![format!(
            r#"{{{head},"choices":[{{"index":0,"delta":{{"role":"assistant","content":"","refusal":null}},"logprobs":null,"finish_reason":null}}],"obfuscation":"a"}}"#
        )];
        for text in ["Hello", ", ", r#"a \"quoted\"\nline"#, "é!", " end"] {
            data.push(format!(
                r#"{{{head},"choices":[{{"index":0,"delta":{{"content":"{text}"}},"logprobs":null,"finish_reason":null}}],"obfuscation":"{}"}}"#,
                "p".repeat(text.len())
            ));
        }
        data.push(format!(
            r#"{{{head},"choices":[{{"index":0,"delta":{{}},"logprobs":null,"finish_reason":"stop"}}],"obfuscation":"z"}}"#
        ));
        data.push(format!(
            r#"{{{head},"choices":[],"usage":{{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14}}}}"#
        ));
        data.push("[DONE]".to_owned());
        let mut events = Vec::new();
        let mut decoder = sse::Decoder::new(1 << 20);
        for d in data {
            decoder.push(&sse::encode(None, &d), &mut events).unwrap();
        }
        events
    }

    #[test]
    fn what_the_tap_read_gives_the_same_output_as_reading_again() {
        let events = chat_stream();
        for client in [Dialect::Anthropic, Dialect::OpenAiResponses] {
            let run = |observed: bool| {
                let mut t = transcoder(Dialect::OpenAiChat, client, "m").unwrap();
                let mut tap = StreamTap::new(Dialect::OpenAiChat, "m");
                let (mut out, mut from_tap) = (Vec::new(), 0);
                for ev in &events {
                    let info = tap.observe(ev);
                    if observed {
                        from_tap += usize::from(info.text.is_some());
                        t.push_observed(ev, &info, &mut out);
                    } else {
                        t.push(ev, &mut out);
                    }
                }
                t.finish(&mut out);
                (out.concat(), from_tap)
            };
            let (observed, from_tap) = run(true);
            let (read_again, _) = run(false);
            // The tap handed over most text chunks: the path under test was taken.
            assert!(from_tap >= 3, "{client:?}: {from_tap}");
            assert_eq!(observed, read_again, "{client:?}");
            let text = String::from_utf8(observed).unwrap();
            assert!(text.contains(r#"a \"quoted\"\nline"#), "{client:?}: {text}");
        }
    }
}

//! OpenAI Chat Completions: error shapes (shared by the Responses API), usage fields and
//! stream chunks.

use std::borrow::Cow;
use std::ops::Range;

use bytes::{Bytes, BytesMut};
use serde::Deserialize;

use super::shape::{Found, Hole, Shape};
use super::{EventInfo, StreamContext, Usage, json, parse_at};
use crate::error::{Error, ErrorKind};
use crate::http::sse;

/// OpenAI's `error.type` for an error kind.
pub fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest
        | ErrorKind::TooLarge
        | ErrorKind::NotFound
        | ErrorKind::Authentication => "invalid_request_error",
        ErrorKind::Permission => "permission_error",
        ErrorKind::RateLimit => "rate_limit_error",
        ErrorKind::Overloaded | ErrorKind::Upstream | ErrorKind::Internal => "server_error",
    }
}

/// The inner error object: `{"message":..,"type":..,"param":null,"code":..}`.
pub fn error_object(err: &Error) -> String {
    format!(
        r#"{{"message":{},"type":{},"param":null,"code":{}}}"#,
        json::quote(err.message()),
        json::quote(error_type(err.kind())),
        json::quote(err.code())
    )
}

/// `{"error":{...}}`.
pub fn error_body(err: &Error) -> Vec<u8> {
    format!(r#"{{"error":{}}}"#, error_object(err)).into_bytes()
}

/// A `data:` error chunk followed by `data: [DONE]`.
pub fn stream_error(err: &Error) -> Bytes {
    let mut b = BytesMut::new();
    b.extend_from_slice(&sse::encode(
        None,
        &format!(r#"{{"error":{}}}"#, error_object(err)),
    ));
    b.extend_from_slice(&sse::encode(None, "[DONE]"));
    b.freeze()
}

#[derive(Deserialize, Default)]
struct Details {
    cached_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<Details>,
}

impl WireUsage {
    fn to_usage(&self) -> Usage {
        let cached = self
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0);
        let prompt = self.prompt_tokens.unwrap_or(0);
        Usage {
            input: prompt.saturating_sub(cached),
            output: self.completion_tokens.unwrap_or(0),
            cache_read: cached,
            cache_write: 0,
            cache_write_1h: 0,
        }
    }
}

/// Usage of a non-streaming chat completion.
pub fn body_usage(body: &[u8]) -> Usage {
    parse_at::<WireUsage>(body, &["usage"])
        .map(|w| w.to_usage())
        .unwrap_or_default()
}

/// Reads plain text chunks with the byte scanner, without a JSON tree: one choice at index 0
/// whose delta holds only `content` (a string) and perhaps `role`, no finish reason, no usage,
/// no unknown members. Keeps the [`Shape`] of the last chunk it walked, so the chunks after
/// it that differ only in their text and padding are not walked again.
#[derive(Clone, Debug, Default)]
pub struct TextChunks {
    shape: Option<Shape>,
    /// Walks made only to learn a shape ([`learn`](Self::learn)).
    lessons: u32,
}

/// A hole's slot: the text.
const CONTENT: usize = 0;
/// A hole's slot: the `obfuscation` padding, which changes with every chunk.
const PADDING: usize = 1;
/// Walks [`TextChunks::learn`] makes before it stops trying: a stream whose chunks never
/// share a shape (a server that changes some other value in every chunk) costs no more.
const LESSONS: u32 = 8;

impl TextChunks {
    /// The chunk's text, and its `id` when the chunk was walked (a chunk read through the
    /// shape has the id of the one the shape was taken from); `None` for anything but a plain
    /// text chunk (which then needs the general path).
    pub fn read<'a>(&mut self, text: &'a str) -> Option<(Option<Cow<'a, str>>, json::Literal<'a>)> {
        // The event is UTF-8 already and the ranges start and end at quotes.
        let (id, content) = self.ranges(text.as_bytes())?;
        Some((
            id.and_then(|r| text.get(r).and_then(json::str_literal)),
            content.literal(text)?,
        ))
    }

    /// Where the text is, if `data` has the shape of the last plain text chunk walked (so it
    /// is one too); read without a walk.
    pub fn known(&self, data: &[u8]) -> Option<Found> {
        match self.shape.as_ref()?.read(data)? {
            [Some(content)] => Some(content),
            [None] => None,
        }
    }

    /// Walks `data` to learn its shape if it is a plain text chunk, a few times per stream;
    /// where its text is, when it walked one.
    pub fn learn(&mut self, data: &[u8]) -> Option<Found> {
        if self.lessons >= LESSONS {
            return None;
        }
        self.lessons += 1;
        self.ranges(data).map(|(_, content)| content)
    }

    /// The ranges of a plain text chunk's `id` (when walked) and text.
    fn ranges(&mut self, data: &[u8]) -> Option<(Option<Range<usize>>, Found)> {
        if let Some([Some(content)]) = self.shape.as_ref().and_then(|s| s.read(data)) {
            return Some((None, content));
        }
        let TextRanges {
            id,
            content,
            padding,
        } = text_chunk(data)?;
        let mut holes = vec![(content.clone(), Hole::String, CONTENT)];
        holes.extend(padding.map(|p| (p, Hole::String, PADDING)));
        self.shape = Shape::new(data, &holes);
        Some((id, Found::at(content)))
    }
}

/// Where a plain text chunk keeps what [`TextChunks`] reads.
struct TextRanges {
    id: Option<Range<usize>>,
    content: Range<usize>,
    /// The `obfuscation` string.
    padding: Option<Range<usize>>,
}

/// Writes plain text chunks (nearly every chunk of an answer) without a JSON tree, members in
/// the order a JSON tree would give, keeping the bytes after the text: the same for every
/// chunk of a stream once its id is settled.
#[derive(Debug, Default)]
pub struct TextChunkWriter {
    tail: Vec<u8>,
    /// Whether `tail` was built with the stream's final id.
    settled: bool,
    frames: super::frame::Frames,
}

impl TextChunkWriter {
    /// The chunk whose delta is `{"content": text}`. `stream` gives the chunks' `created`,
    /// `id` and `model`; it is asked once, or for every chunk until `settled` says the id is
    /// final.
    pub fn chunk(
        &mut self,
        text: &json::Literal<'_>,
        settled: bool,
        stream: impl FnOnce() -> (u64, String, String),
    ) -> Bytes {
        use super::frame::Piece;
        if self.tail.is_empty() || !self.settled {
            let (created, id, model) = stream();
            self.tail = format!(
                r#"}},"finish_reason":null,"index":0,"logprobs":null}}],"created":{created},"id":{},"model":{},"object":"chat.completion.chunk"}}{}"#,
                json::quote(&id),
                json::quote(&model),
                "\n\n",
            )
            .into_bytes();
            self.settled = settled;
        }
        self.frames.frame(&[
            Piece::Raw(br#"data: {"choices":[{"delta":{"content":"#),
            Piece::literal(text),
            Piece::Raw(&self.tail),
        ])
    }
}

/// Walks a plain text chunk (see [`TextChunks`]).
fn text_chunk(data: &[u8]) -> Option<TextRanges> {
    // One pass: the walk descends into `choices[0].delta` instead of skipping and coming back.
    let raw = |r: Range<usize>| data.get(r).unwrap_or_default();
    let (mut id, mut content, mut padding) = (None, None, None);
    // Servers never escape these keys: an escaped key is left to the general path.
    let end = json::object_at(data, 0, |key, at| {
        if json::has_escape(key) {
            return None;
        }
        match key {
            b"choices" => {
                let choice = |start| {
                    json::object_at(data, start, |key, at| {
                        if json::has_escape(key) {
                            return None;
                        }
                        if key == b"delta" {
                            let delta = json::object_at(data, at, |key, at| match key {
                                b"content" => {
                                    let end = json::string_end(data, at)?;
                                    content = Some(at..end);
                                    Some(Some(end))
                                }
                                b"role" => Some(None),
                                _ => None,
                            })?;
                            return Some(Some(delta));
                        }
                        let end = json::skip_value(data, at)?;
                        let ok = match key {
                            b"index" => raw(at..end) == b"0",
                            b"finish_reason" | b"logprobs" => raw(at..end) == b"null",
                            _ => false,
                        };
                        ok.then_some(Some(end))
                    })
                };
                Some(Some(json::single_element(data, at, choice)?))
            }
            b"id" => {
                let end = json::skip_value(data, at)?;
                id = Some(at..end);
                Some(Some(end))
            }
            b"usage" => {
                let end = json::skip_value(data, at)?;
                (raw(at..end) == b"null").then_some(Some(end))
            }
            b"obfuscation" => {
                let end = json::skip_value(data, at)?;
                padding = (data.get(at) == Some(&b'"')).then_some(at..end);
                Some(Some(end))
            }
            b"object" | b"created" | b"model" | b"system_fingerprint" | b"service_tier" => {
                Some(None)
            }
            _ => None,
        }
    })?;
    if data
        .get(json::skip_ws(data, end)..)
        .is_some_and(|rest| !rest.is_empty())
    {
        return None;
    }
    Some(TextRanges {
        id,
        content: content?,
        padding,
    })
}

/// Observes one chat stream chunk.
pub fn observe(
    ev: &sse::Event,
    text: &mut TextChunks,
    usage: &mut Usage,
    ctx: &mut StreamContext,
) -> EventInfo {
    let mut info = EventInfo::default();
    if ev.is_done() {
        info.terminal = true;
        return info;
    }
    let data = ev.data.as_bytes();
    if ev.event.as_deref() == Some("error") {
        info.error = true;
        return info;
    }
    // Nearly every chunk is text with no usage: when the bytes `"usage"` and `"error"` are
    // nowhere in it (escaped text cannot contain them), there is nothing to walk for.
    static USAGE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"usage\""));
    static ERROR: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"error\""));
    // A chunk of the shape of an earlier plain text chunk is one too: no walk, no search.
    if ctx.response_id.is_some()
        && let Some(at) = text.known(data)
    {
        info.text = Some(at);
        return info;
    }
    if ctx.response_id.is_some() && USAGE.find(data).is_none() && ERROR.find(data).is_none() {
        info.text = text.learn(data);
        return info;
    }
    // One walk over the top-level members (the last of a repeated key wins, as in serde_json).
    let (mut error, mut id, mut usage_at, mut choices) = (false, None, None, None);
    json::members(data, 0, |key, value| {
        if json::key_is(key, "choices") {
            choices = Some(value);
        } else if json::key_is(key, "id") {
            id = Some(value);
        } else if json::key_is(key, "usage") {
            usage_at = Some(value);
        } else if json::key_is(key, "error") {
            error = true;
        }
        true
    });
    if error {
        info.error = true;
        return info;
    }
    let raw = |r: Option<std::ops::Range<usize>>| r.and_then(|r| data.get(r));
    if ctx.response_id.is_none() {
        ctx.response_id = raw(id).and_then(json::string_literal).map(Cow::into_owned);
    }
    if let Some(u) = raw(usage_at).filter(|u| *u != b"null") {
        if let Ok(w) = serde_json::from_slice::<WireUsage>(u) {
            *usage = w.to_usage();
        }
        info.usage_only = raw(choices).is_some_and(|c| {
            c.iter()
                .filter(|b| !b.is_ascii_whitespace())
                .eq(b"[]".iter())
        });
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(data: &str) -> sse::Event {
        let mut out = Vec::new();
        let mut d = sse::Decoder::new(1 << 20);
        d.push(&sse::encode(None, data), &mut out).unwrap();
        out.remove(0)
    }

    #[test]
    fn text_that_mentions_error_or_usage_is_not_mistaken_for_them() {
        let mut u = Usage::default();
        let mut t = TextChunks::default();
        let mut ctx = StreamContext::default();
        let first = r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"a"}}]}"#;
        assert!(!observe(&ev(first), &mut t, &mut u, &mut ctx).error);
        assert_eq!(ctx.response_id.as_deref(), Some("c1"));
        // Escaped quotes in text can never form the bytes `"error"` or `"usage"`.
        let text = r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"the "error" and "usage" keys"}}]}"#;
        let i = observe(&ev(text), &mut t, &mut u, &mut ctx);
        assert!(!i.error && !i.usage_only);
        // A real top-level error after the first chunk is still seen.
        let err = r#"{"id":"c1","error":{"message":"boom"}}"#;
        assert!(observe(&ev(err), &mut t, &mut u, &mut ctx).error);
        // So is a later usage chunk.
        let last = r#"{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#;
        assert!(observe(&ev(last), &mut t, &mut u, &mut ctx).usage_only);
        assert_eq!((u.input, u.output), (3, 2));
    }

    #[test]
    fn text_chunks_of_one_shape_are_read_without_a_walk_and_others_are_walked() {
        let chunk = |id: &str, text: &str, pad: &str| {
            format!(
                r#"{{"id":"{id}","object":"chat.completion.chunk","created":1,"model":"m","choices":[{{"index":0,"delta":{{"content":"{text}"}},"logprobs":null,"finish_reason":null}}],"obfuscation":"{pad}"}}"#
            )
        };
        let mut t = TextChunks::default();
        // The text, and whether it can be written back as it is.
        let plain = |text: &str| json::Literal {
            text: text.to_owned().into(),
            plain: true,
        };
        let first = chunk("c1", "Hello", "x");
        assert_eq!(t.read(&first), Some((Some("c1".into()), plain("Hello"))));
        // The same shape: the text is read, escapes and all; the id is the first one's.
        let next = chunk("c1", r#"a \"quoted\" word\n"#, "padding-of-another-length");
        assert!(t.known(next.as_bytes()).is_some());
        assert_eq!(
            t.read(&next),
            Some((None, json::Literal::new("a \"quoted\" word\n")))
        );
        // Another id is walked, and read with it.
        let other = chunk("c2", "x", "y");
        assert!(t.known(other.as_bytes()).is_none());
        assert_eq!(t.read(&other), Some((Some("c2".into()), plain("x"))));
        // Anything but plain text misses the shape and is not plain.
        for not_plain in [
            first.replace(r#""finish_reason":null"#, r#""finish_reason":"stop""#),
            first.replace(r#""content":"Hello""#, r#""content":null"#),
            first.replace(r#""obfuscation":"x""#, r#""obfuscation":"x","usage":{}"#),
            first.replace(
                r#"}],"obfuscation""#,
                r#"},{"index":1,"delta":{}}],"obfuscation""#,
            ),
            first.replace(
                r#""content":"Hello""#,
                r#""content":"Hello","tool_calls":[]"#,
            ),
        ] {
            assert!(t.known(not_plain.as_bytes()).is_none(), "{not_plain}");
            assert_eq!(t.read(&not_plain), None, "{not_plain}");
        }
    }

    #[test]
    fn usage_chunk_is_recognised_and_cached_tokens_split() {
        let mut u = Usage::default();
        let mut t = TextChunks::default();
        let mut ctx = StreamContext::default();
        let chunk = r#"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}"#;
        let i = observe(&ev(chunk), &mut t, &mut u, &mut ctx);
        assert!(!i.usage_only && !i.terminal);
        let last = r#"{"id":"c1","object":"chat.completion.chunk","choices":[ ],"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25,"prompt_tokens_details":{"cached_tokens":8}}}"#;
        let i = observe(&ev(last), &mut t, &mut u, &mut ctx);
        assert!(i.usage_only);
        assert_eq!(
            u,
            Usage {
                input: 12,
                output: 5,
                cache_read: 8,
                cache_write: 0,
                cache_write_1h: 0
            }
        );
        assert!(observe(&ev("[DONE]"), &mut t, &mut u, &mut ctx).terminal);
        assert_eq!(ctx.response_id.as_deref(), Some("c1"));
    }

    #[test]
    fn stream_error_ends_with_done() {
        let e = Error::upstream("upstream_stream_error", "upstream went away");
        let s = String::from_utf8(stream_error(&e).to_vec()).unwrap();
        assert!(s.starts_with("data: {\"error\":{\"message\":\"upstream went away\""));
        assert!(s.ends_with("data: [DONE]\n\n"));
    }
}

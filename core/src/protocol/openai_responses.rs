//! OpenAI Responses: usage fields, stream events and the terminal `response.failed` event.
//! Plain error bodies share the Chat Completions shape.

use bytes::Bytes;
use serde::Deserialize;

use super::shape::{Hole, Shape};
use super::{EventInfo, StreamContext, Usage, json, openai_chat, parse_at};
use crate::error::Error;
use crate::http::sse;

#[derive(Deserialize, Default)]
struct Details {
    cached_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    input_tokens_details: Option<Details>,
}

impl WireUsage {
    fn to_usage(&self) -> Usage {
        let cached = self
            .input_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0);
        Usage {
            input: self.input_tokens.unwrap_or(0).saturating_sub(cached),
            output: self.output_tokens.unwrap_or(0),
            cache_read: cached,
            cache_write: 0,
            cache_write_1h: 0,
        }
    }
}

/// Usage of a non-streaming `response` object.
pub fn body_usage(body: &[u8]) -> Usage {
    parse_at::<WireUsage>(body, &["usage"])
        .map(|w| w.to_usage())
        .unwrap_or_default()
}

/// What a delta event streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeltaKind {
    /// `response.output_text.delta`.
    Text,
    /// `response.refusal.delta`.
    Refusal,
    /// `response.function_call_arguments.delta`.
    Arguments,
}

impl DeltaKind {
    fn of(kind: &str) -> Option<Self> {
        match kind {
            "response.output_text.delta" => Some(Self::Text),
            "response.refusal.delta" => Some(Self::Refusal),
            "response.function_call_arguments.delta" => Some(Self::Arguments),
            _ => None,
        }
    }
}

/// One delta event, read without a JSON tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delta<'a> {
    /// What it streams.
    pub kind: DeltaKind,
    /// Its `output_index`, when it has one.
    pub output_index: Option<u64>,
    /// The fragment.
    pub delta: json::Literal<'a>,
}

/// Reads the delta events of a stream (nearly all of its events) with the byte scanner. The
/// kind is the event's name, or its `type` when it has none. Keeps the [`Shape`] of the last
/// one it walked, so the deltas after it that differ only in their text, sequence number and
/// padding are not walked again.
#[derive(Clone, Debug, Default)]
pub struct Deltas {
    /// The shape, with the event name, kind and output index of the event it came from.
    shape: Option<(Shape, Option<String>, DeltaKind, Option<u64>)>,
}

/// Hole slots: the fragment, then the values that change with every event.
const FRAGMENT: usize = 0;
const SEQUENCE: usize = 1;
const PADDING: usize = 2;

impl Deltas {
    /// The delta `event` carries; `None` for any other event, or one that is not plain.
    pub fn read<'a>(&mut self, event: &'a sse::Event) -> Option<Delta<'a>> {
        let data = event.data.as_bytes();
        let literal = |r: std::ops::Range<usize>| event.data.get(r).and_then(json::literal);
        if let Some((shape, name, kind, output_index)) = &self.shape
            && *name == event.event
            && let Some([Some(fragment)]) = shape.read(data)
        {
            return Some(Delta {
                kind: *kind,
                output_index: *output_index,
                delta: fragment.literal(&event.data)?,
            });
        }
        let [ty, index, fragment, sequence, padding] = json::pick(
            data,
            [
                "type",
                "output_index",
                "delta",
                "sequence_number",
                "obfuscation",
            ],
        )?;
        let raw = |r: &Option<std::ops::Range<usize>>| r.clone().and_then(|r| data.get(r));
        let kind = match event.event.as_deref().filter(|e| !e.is_empty()) {
            Some(name) => DeltaKind::of(name)?,
            None => DeltaKind::of(&raw(&ty).and_then(json::string_literal)?)?,
        };
        let output_index = match raw(&index) {
            Some(i) => Some(std::str::from_utf8(i).ok()?.parse::<u64>().ok()?),
            None => None,
        };
        let fragment = fragment?;
        let mut holes = vec![(fragment.clone(), Hole::String, FRAGMENT)];
        if let Some(seq) = sequence.filter(|r| data.get(r.start).is_some_and(u8::is_ascii_digit)) {
            holes.push((seq, Hole::Number, SEQUENCE));
        }
        if let Some(pad) = padding.filter(|r| data.get(r.start) == Some(&b'"')) {
            holes.push((pad, Hole::String, PADDING));
        }
        let delta = literal(fragment)?;
        self.shape =
            Shape::new(data, &holes).map(|shape| (shape, event.event.clone(), kind, output_index));
        Some(Delta {
            kind,
            output_index,
            delta,
        })
    }
}

/// Writes `response.output_text.delta` events (nearly every event of an answer) without a
/// JSON tree, members in the order a JSON tree would give, keeping the bytes around the text
/// that stay the same for every delta of one content part. The sequence number is kept in
/// those bytes too, and counted up in place.
#[derive(Debug, Default)]
pub struct TextDeltaWriter {
    /// The output and content index the kept bytes are for.
    part: Option<(usize, usize)>,
    /// Up to the text, and the quote that opens plain text.
    head: Vec<u8>,
    /// From the quote that closes plain text to the end of the event.
    tail: Vec<u8>,
    /// Where the sequence number starts in `tail`.
    sequence_at: usize,
    /// The sequence number in `tail`.
    sequence: Option<u64>,
    frames: super::frame::Frames,
}

/// What follows the sequence number.
const DELTA_END: &[u8] = b",\"type\":\"response.output_text.delta\"}\n\n";

impl TextDeltaWriter {
    /// The event for `text` at `sequence_number` in the part at `content_index` of the item
    /// at `output_index`, whose id `item_id` gives (asked only when the part changed).
    #[inline]
    pub fn event(
        &mut self,
        (output_index, content_index): (usize, usize),
        item_id: impl FnOnce() -> String,
        text: &json::Literal<'_>,
        sequence_number: u64,
    ) -> Bytes {
        use super::frame::Piece;
        if self.part != Some((output_index, content_index)) {
            self.part = Some((output_index, content_index));
            self.head = format!(
                "event: response.output_text.delta\ndata: {{\"content_index\":{content_index},\"delta\":\""
            )
            .into_bytes();
            self.tail = br#"","item_id":"#.to_vec();
            json::quote_into(&mut self.tail, &item_id());
            self.tail.extend_from_slice(
                format!(r#","logprobs":[],"output_index":{output_index},"sequence_number":"#)
                    .as_bytes(),
            );
            self.sequence_at = self.tail.len();
            self.sequence = None;
        }
        self.set_sequence(sequence_number);
        let (head, tail) = (self.head.as_slice(), self.tail.as_slice());
        if text.plain {
            return self.frames.concat([head, text.text.as_bytes(), tail]);
        }
        // The kept quotes are left out: the escaped text brings its own.
        self.frames.frame(&[
            Piece::Raw(head.split_last().map_or(head, |(_, h)| h)),
            Piece::Str(&text.text),
            Piece::Raw(tail.get(1..).unwrap_or_default()),
        ])
    }

    /// Writes `n` into the tail: the last number plus one is counted up in its digits.
    #[inline]
    fn set_sequence(&mut self, n: u64) {
        if let Some(last) = self.sequence {
            if last == n {
                return;
            }
            let end = self.tail.len() - DELTA_END.len();
            if last.checked_add(1) == Some(n)
                && let Some(digits) = self.tail.get_mut(self.sequence_at..end)
                && count_up(digits)
            {
                self.sequence = Some(n);
                return;
            }
        }
        self.write_sequence(n);
    }

    /// Writes `n` into the tail in full.
    #[cold]
    fn write_sequence(&mut self, n: u64) {
        self.tail.truncate(self.sequence_at);
        self.tail
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        self.tail.extend_from_slice(DELTA_END);
        self.sequence = Some(n);
    }
}

/// Adds one to the decimal `digits` in place; `false` when the number needs another digit
/// (the digits are then all zeros).
#[inline]
fn count_up(digits: &mut [u8]) -> bool {
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return true;
        }
    }
    false
}

/// Observes one Responses stream event.
pub fn observe(ev: &sse::Event, usage: &mut Usage, ctx: &mut StreamContext) -> EventInfo {
    let data = ev.data.as_bytes();
    // Both are written once, near the start of each event: the walk stops at them.
    let kind: Option<std::borrow::Cow<'_, str>> = match ev.event.as_deref() {
        Some(e) => Some(std::borrow::Cow::Borrowed(e)),
        None => json::first(data, "type")
            .and_then(|r| data.get(r))
            .and_then(json::string_literal),
    };
    if let Some(n) = json::first(data, "sequence_number")
        .and_then(|r| data.get(r))
        .and_then(|raw| std::str::from_utf8(raw).ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
    {
        ctx.next_sequence = n + 1;
    }
    let mut info = EventInfo::default();
    match kind.as_deref() {
        Some("response.created") => {
            if let Some(id) = json::str_at(data, &["response", "id"]) {
                ctx.response_id = Some(id.into_owned());
            }
        }
        Some("response.completed" | "response.incomplete") => {
            if let Some(w) = parse_at::<WireUsage>(data, &["response", "usage"]) {
                *usage = w.to_usage();
            }
            info.terminal = true;
        }
        Some("response.failed" | "error") => {
            if let Some(w) = parse_at::<WireUsage>(data, &["response", "usage"]) {
                *usage = w.to_usage();
            }
            info.error = true;
        }
        _ => {}
    }
    info
}

/// A terminal `response.failed` event carrying the error.
pub fn stream_error(err: &Error, ctx: &StreamContext) -> Bytes {
    let id = ctx
        .response_id
        .clone()
        .unwrap_or_else(|| "resp_relay_failed".to_owned());
    let data = format!(
        r#"{{"type":"response.failed","sequence_number":{},"response":{{"id":{},"object":"response","status":"failed","model":{},"output":[],"error":{{"code":{},"message":{}}}}}}}"#,
        ctx.next_sequence,
        json::quote(&id),
        json::quote(&ctx.model),
        json::quote(err.code()),
        json::quote(err.message()),
    );
    sse::encode(Some("response.failed"), &data)
}

/// Same shape as Chat Completions errors.
pub fn error_body(err: &Error) -> Vec<u8> {
    openai_chat::error_body(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str) -> sse::Event {
        let mut out = Vec::new();
        let mut d = sse::Decoder::new(1 << 20);
        d.push(&sse::encode(Some(event), data), &mut out).unwrap();
        out.remove(0)
    }

    #[test]
    fn text_deltas_are_written_as_a_json_tree_would_write_them() {
        let mut w = TextDeltaWriter::default();
        // Sequence numbers counted up through new digits, repeated, jumping back and forth,
        // across parts; plain text and text to escape.
        let steps: &[((usize, usize), &str, bool, u64)] = &[
            ((0, 0), "Hi", true, 8),
            ((0, 0), " there", true, 9),
            ((0, 0), "say \"x\"\n", false, 10),
            ((0, 0), "é", true, 11),
            ((0, 0), "a", true, 11),
            ((0, 0), "b", true, 99),
            ((0, 0), "c", true, 100),
            ((0, 0), "d", true, 7),
            ((0, 1), "e", true, 8),
            ((2, 0), "f\\", false, 9),
            ((2, 0), "g", true, 999_999),
            ((2, 0), "h", true, 1_000_000),
            ((2, 0), "i", true, u64::MAX),
        ];
        for &((output_index, content_index), text, plain, seq) in steps {
            let literal = json::Literal {
                text: text.into(),
                plain,
            };
            let item = format!("msg_{output_index}");
            let got = w.event(
                (output_index, content_index),
                || item.clone(),
                &literal,
                seq,
            );
            let data = serde_json::json!({
                "type": "response.output_text.delta",
                "sequence_number": seq,
                "item_id": item,
                "output_index": output_index,
                "content_index": content_index,
                "delta": text,
                "logprobs": [],
            });
            let want = format!("event: response.output_text.delta\ndata: {data}\n\n");
            assert_eq!(String::from_utf8_lossy(&got), want);
        }
    }

    #[test]
    fn deltas_of_one_shape_are_read_without_a_walk_and_others_are_walked() {
        let delta = |name: &str, seq: u64, index: u64, text: &str, pad: &str| {
            ev(
                name,
                &format!(
                    r#"{{"type":"{name}","sequence_number":{seq},"item_id":"msg_1","output_index":{index},"content_index":0,"delta":"{text}","logprobs":[],"obfuscation":"{pad}"}}"#
                ),
            )
        };
        let text = "response.output_text.delta";
        let mut d = Deltas::default();
        // Text with an escape is not plain.
        let want = |kind, index, text: &str| {
            Some(Delta {
                kind,
                output_index: Some(index),
                delta: json::Literal {
                    text: text.to_owned().into(),
                    plain: !text.contains('"'),
                },
            })
        };
        assert_eq!(
            d.read(&delta(text, 4, 0, "Hi", "a")),
            want(DeltaKind::Text, 0, "Hi")
        );
        // Same shape, other sequence number, text and padding.
        let e = delta(text, 12345, 0, r#"say \"x\""#, "bbbbbbbb");
        assert_eq!(d.read(&e), want(DeltaKind::Text, 0, r#"say "x""#));
        // Another output index or kind is walked and read as what it is.
        let args = "response.function_call_arguments.delta";
        assert_eq!(
            d.read(&delta(args, 5, 1, r#"{\"a\":"#, "c")),
            want(DeltaKind::Arguments, 1, r#"{"a":"#)
        );
        assert_eq!(
            d.read(&delta(text, 6, 2, "z", "d")),
            want(DeltaKind::Text, 2, "z")
        );
        // The event name decides: the same data under another name is not a text delta.
        let renamed = ev(
            "response.output_text.done",
            &delta(text, 7, 2, "z", "d").data,
        );
        assert_eq!(d.read(&renamed), None);
        // A delta that is not a string is not read.
        let null = ev(
            text,
            r#"{"type":"response.output_text.delta","output_index":0,"delta":null}"#,
        );
        assert_eq!(d.read(&null), None);
    }

    #[test]
    fn completed_carries_usage_and_failed_event_continues_sequence() {
        let mut u = Usage::default();
        let mut ctx = StreamContext {
            model: "gpt-x".into(),
            ..StreamContext::default()
        };
        observe(
            &ev(
                "response.created",
                r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_9","status":"in_progress"}}"#,
            ),
            &mut u,
            &mut ctx,
        );
        let done = observe(
            &ev(
                "response.completed",
                r#"{"type":"response.completed","sequence_number":7,"response":{"id":"resp_9","usage":{"input_tokens":30,"input_tokens_details":{"cached_tokens":10},"output_tokens":4}}}"#,
            ),
            &mut u,
            &mut ctx,
        );
        assert!(done.terminal);
        assert_eq!(
            u,
            Usage {
                input: 20,
                output: 4,
                cache_read: 10,
                cache_write: 0,
                cache_write_1h: 0
            }
        );
        let failed = stream_error(&Error::upstream("x", "boom"), &ctx);
        let text = String::from_utf8(failed.to_vec()).unwrap();
        assert!(text.starts_with("event: response.failed\n"));
        let data = text.lines().nth(1).unwrap().strip_prefix("data: ").unwrap();
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["sequence_number"], 8);
        assert_eq!(v["response"]["id"], "resp_9");
        assert_eq!(v["response"]["status"], "failed");
        assert_eq!(v["response"]["error"]["message"], "boom");
    }
}

//! Server-sent events framing: an incremental, byte-faithful SSE decoder and a small encoder. Pure: no I/O, no clock.
//!
//! The decoder follows the WHATWG event-stream grammar (LF, CRLF or lone CR line endings, a CRLF may be split
//! across chunks; one leading space stripped after the colon; `:` comment lines; leading UTF-8 BOM skipped) and
//! keeps the exact received bytes of every event in [`Event::raw`], so a relay can forward events untouched:
//! concatenating every `raw` and the [`Tail`] returned by [`Decoder::finish`] reproduces the input exactly.

use std::fmt;

use bytes::{Buf, BufMut, Bytes, BytesMut};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One decoded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The exact bytes of this event as received, including its terminating blank line. Any field-less blank
    /// lines received since the previous event are at its front (see [`Decoder`]).
    pub raw: Bytes,
    /// Value of the last `event:` field, if any (kept verbatim, so `event:` alone gives `Some("")`).
    pub event: Option<String>,
    /// The `data:` lines joined with `'\n'` (empty when there were none).
    pub data: String,
    /// True when the event held only `:` comment lines (keep-alives).
    pub is_comment_only: bool,
}

impl Event {
    /// True for the OpenAI end-of-stream sentinel `data: [DONE]`.
    pub fn is_done(&self) -> bool {
        self.data == "[DONE]"
    }
}

/// The bytes left in a [`Decoder`] at the end of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// The leftover bytes, exactly as received.
    pub raw: Bytes,
    /// True when the leftover holds (part of) an event that never got its terminating blank line, i.e. the
    /// stream was cut; false when it is only blank lines (for example the LF of a CRLF split after a final CR).
    pub truncated: bool,
}

/// Error from [`Decoder::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseError {
    /// An event (including any blank lines before it) grew beyond the decoder's limit.
    EventTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EventTooLarge { limit } => {
                write!(f, "server-sent event larger than {limit} bytes")
            }
        }
    }
}

impl std::error::Error for SseError {}

/// Fields of the event being assembled.
#[derive(Debug, Default)]
struct Pending {
    event: Option<String>,
    data: String,
    has_data: bool,
    /// Any non-blank line (field or comment) seen.
    has_lines: bool,
    /// Any non-comment line seen.
    has_fields: bool,
}

impl Pending {
    fn apply(&mut self, line: &[u8]) {
        self.has_lines = true;
        if line.first() == Some(&b':') {
            return;
        }
        self.has_fields = true;
        let (name, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let name = line.get(..colon).unwrap_or_default();
                let value = line.get(colon + 1..).unwrap_or_default();
                (name, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.has_data = true;
                push_lossy(&mut self.data, value);
            }
            b"event" => {
                let mut name = String::with_capacity(value.len());
                push_lossy(&mut name, value);
                self.event = Some(name);
            }
            _ => {}
        }
    }
}

/// Appends `bytes` to `s`, replacing invalid UTF-8 with U+FFFD. Valid text (all of it, in
/// practice) takes the fast validator.
fn push_lossy(s: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => s.push_str(text),
        Err(_) => s.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// Incremental SSE decoder: feed it chunks as they arrive, cut anywhere (even inside a UTF-8 sequence or a CRLF).
///
/// Blank lines that end no event (no field or comment line before them) produce no [`Event`]; their bytes are
/// kept and lead the next event's `raw`. A CRLF split after a CR that ended an event cannot be seen in time: the
/// event is dispatched at the CR (as WHATWG does) and the LF leads the next event's `raw` (or the [`Tail`]).
#[derive(Debug)]
pub struct Decoder {
    max_event_bytes: usize,
    /// Received bytes not yet handed out: the pending event's lines, then a partial line.
    buf: BytesMut,
    /// Start of the current (unterminated) line in `buf`.
    line_start: usize,
    /// Where the search for the next line ending resumes (`>= line_start`).
    scan_from: usize,
    /// The last line ended in a CR at the very end of the data so far: a following LF belongs to that ending.
    skip_lf: bool,
    /// No line processed yet (for the BOM).
    at_stream_start: bool,
    failed: bool,
    pending: Pending,
    /// Hand out each event's bytes (`raw`); see [`without_raw`](Self::without_raw).
    keep_raw: bool,
}

impl Decoder {
    /// A decoder refusing events whose bytes (including leading blank lines) exceed `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            max_event_bytes,
            buf: BytesMut::new(),
            line_start: 0,
            scan_from: 0,
            skip_lf: false,
            at_stream_start: true,
            failed: false,
            pending: Pending::default(),
            keep_raw: true,
        }
    }

    /// Events whose `raw` is empty, for a stream that is transcoded (its events' bytes are
    /// never sent): the decoder then moves past an event instead of sharing its buffer with
    /// a view of it, which spares two atomic reference counts per event.
    #[must_use]
    pub fn without_raw(mut self) -> Self {
        self.keep_raw = false;
        self
    }

    /// Feeds one chunk, appending every event it completes to `out`.
    ///
    /// On error, events completed earlier in the same chunk have already been appended; the decoder then refuses
    /// further input (the stream should be abandoned), and [`finish`](Self::finish) still returns what is buffered.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Event>) -> Result<(), SseError> {
        let too_large = SseError::EventTooLarge {
            limit: self.max_event_bytes,
        };
        if self.failed {
            return Err(too_large);
        }
        self.buf.extend_from_slice(chunk);
        loop {
            if self.skip_lf {
                let Some(&next) = self.buf.get(self.line_start) else {
                    break;
                };
                self.skip_lf = false;
                if next == b'\n' {
                    self.line_start += 1;
                    self.scan_from = self.line_start;
                }
            }
            let rest = self.buf.get(self.scan_from..).unwrap_or_default();
            let Some(offset) = memchr::memchr2(b'\n', b'\r', rest) else {
                self.scan_from = self.buf.len();
                break;
            };
            let term = self.scan_from + offset;
            let mut line_end = term + 1;
            if self.buf.get(term) == Some(&b'\r') {
                match self.buf.get(term + 1) {
                    Some(b'\n') => line_end += 1,
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            let mut line = self.buf.get(self.line_start..term).unwrap_or_default();
            if self.at_stream_start {
                self.at_stream_start = false;
                line = line.strip_prefix(BOM).unwrap_or(line);
            }
            self.line_start = line_end;
            self.scan_from = line_end;
            if !line.is_empty() {
                self.pending.apply(line);
                continue;
            }
            if !self.pending.has_lines {
                continue;
            }
            if line_end > self.max_event_bytes {
                self.failed = true;
                return Err(too_large);
            }
            let pending = std::mem::take(&mut self.pending);
            let end = line_end.min(self.buf.len());
            let raw = if self.keep_raw {
                self.buf.split_to(end).freeze()
            } else {
                self.buf.advance(end);
                Bytes::new()
            };
            out.push(Event {
                raw,
                event: pending.event,
                data: pending.data,
                is_comment_only: !pending.has_fields,
            });
            self.line_start = 0;
            self.scan_from = 0;
        }
        if self.buf.len() > self.max_event_bytes {
            self.failed = true;
            return Err(too_large);
        }
        Ok(())
    }

    /// Ends the stream: returns the leftover bytes (`None` if there are none) and resets the decoder.
    /// A [`Tail`] with `truncated` set means the stream was cut inside an event.
    pub fn finish(&mut self) -> Option<Tail> {
        let mut partial = self.buf.get(self.line_start..).unwrap_or_default();
        if self.at_stream_start {
            partial = partial.strip_prefix(BOM).unwrap_or(partial);
        }
        let truncated = self.failed || self.pending.has_lines || !partial.is_empty();
        let raw = self.buf.split().freeze();
        let keep_raw = self.keep_raw;
        *self = Self::new(self.max_event_bytes);
        self.keep_raw = keep_raw;
        (!raw.is_empty()).then_some(Tail { raw, truncated })
    }

    /// Bytes currently held (the pending event and any partial line).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// Calls `f` with each line of `text`, split at LF, CRLF or lone CR (an empty text is one empty line).
fn for_each_line(text: &str, mut f: impl FnMut(&str)) {
    let mut rest = text;
    loop {
        match memchr::memchr2(b'\n', b'\r', rest.as_bytes()) {
            None => return f(rest),
            Some(at) => {
                f(rest.get(..at).unwrap_or_default());
                let skip = if rest.get(at..at + 2) == Some("\r\n") {
                    2
                } else {
                    1
                };
                rest = rest.get(at + skip..).unwrap_or_default();
            }
        }
    }
}

/// Appends `prefix` (`"data"`, `""` for a comment) and a line: `prefix: line\n`, or `prefix:\n` for an empty line.
fn put_line(out: &mut BytesMut, prefix: &str, line: &str) {
    out.put_slice(prefix.as_bytes());
    out.put_u8(b':');
    if !line.is_empty() {
        out.put_u8(b' ');
        out.put_slice(line.as_bytes());
    }
    out.put_u8(b'\n');
}

/// Encodes one event: `event: NAME\n` (if any), then one `data:` line per line of `data`, then a blank line.
/// Line breaks (LF, CRLF, CR) in `data` become line breaks between `data:` lines, so a decoder gives back `data`
/// with every break as `'\n'`; line breaks in the event name are dropped.
pub fn encode(event: Option<&str>, data: &str) -> Bytes {
    let name_len = event.map_or(0, |name| name.len() + 8);
    let mut out = BytesMut::with_capacity(name_len + data.len() + 8);
    if let Some(name) = event {
        out.put_slice(b"event: ");
        for_each_line(name, |part| out.put_slice(part.as_bytes()));
        out.put_u8(b'\n');
    }
    for_each_line(data, |line| put_line(&mut out, "data", line));
    out.put_u8(b'\n');
    out.freeze()
}

/// Encodes a comment event (a keep-alive): `: text\n\n`, one `:` line per line of `text`.
pub fn comment(text: &str) -> Bytes {
    let mut out = BytesMut::with_capacity(text.len() + 4);
    for_each_line(text, |line| put_line(&mut out, "", line));
    out.put_u8(b'\n');
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANTHROPIC: &str = concat!(
        "event: message_start\n",
        r#"data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}"#,
        "\n\n",
        "event: content_block_start\n",
        r#"data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        "\n\n",
        "event: ping\n",
        r#"data: {"type": "ping"}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"! Grüße, 世界 👋 \"quoted\"\n"}}"#,
        "\n\n",
        "event: content_block_stop\n",
        r#"data: {"type":"content_block_stop","index":0}"#,
        "\n\n",
        "event: message_delta\n",
        r#"data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#,
        "\n\n",
        "event: message_stop\n",
        r#"data: {"type":"message_stop"}"#,
        "\n\n",
    );

    const OPENAI: &str = concat!(
        r#"data: {"id":"chatcmpl-AqS9eQ1kMRRbsN0RkGqOTtCJ8p3Xh","object":"chat.completion.chunk","created":1737000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_72ed7ab54c","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        "\n\n",
        ": OPENROUTER PROCESSING\n\n",
        r#"data: {"id":"chatcmpl-AqS9eQ1kMRRbsN0RkGqOTtCJ8p3Xh","object":"chat.completion.chunk","created":1737000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_72ed7ab54c","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        "\n\n",
        r#"data: {"id":"chatcmpl-AqS9eQ1kMRRbsN0RkGqOTtCJ8p3Xh","object":"chat.completion.chunk","created":1737000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_72ed7ab54c","choices":[{"index":0,"delta":{"content":" thère 👋"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        "\n\n",
        r#"data: {"id":"chatcmpl-AqS9eQ1kMRRbsN0RkGqOTtCJ8p3Xh","object":"chat.completion.chunk","created":1737000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_72ed7ab54c","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
        "\n\n",
        r#"data: {"id":"chatcmpl-AqS9eQ1kMRRbsN0RkGqOTtCJ8p3Xh","object":"chat.completion.chunk","created":1737000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_72ed7ab54c","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#,
        "\n\n",
        "data: [DONE]\n\n",
    );

    /// Small deterministic PRNG (xorshift64*), so the tests need no extra crates.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    struct Run {
        events: Vec<Event>,
        tail: Option<Tail>,
    }

    fn run_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Run {
        run_with(Decoder::new(1 << 20), chunks)
    }

    fn run_with<'a>(mut decoder: Decoder, chunks: impl IntoIterator<Item = &'a [u8]>) -> Run {
        let mut events = Vec::new();
        for chunk in chunks {
            assert_eq!(decoder.push(chunk, &mut events), Ok(()));
        }
        let tail = decoder.finish();
        assert_eq!(decoder.buffered(), 0);
        Run { events, tail }
    }

    fn whole(input: &[u8]) -> Run {
        run_chunks([input])
    }

    fn bytewise(input: &[u8]) -> Run {
        run_chunks(input.chunks(1))
    }

    fn random_split(input: &[u8], rng: &mut Rng) -> Run {
        run_chunks(random_chunks(input, rng))
    }

    /// `input` cut at random places, some chunks empty, some a byte or a few.
    fn random_chunks<'a>(input: &'a [u8], rng: &mut Rng) -> Vec<&'a [u8]> {
        let mut chunks = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let n = match rng.below(4) {
                0 => 0,
                1 => 1 + rng.below(3),
                _ => 1 + rng.below(64),
            }
            .min(rest.len());
            let (head, tail) = rest.split_at(n);
            chunks.push(head);
            rest = tail;
        }
        chunks
    }

    fn concat(run: &Run) -> Vec<u8> {
        let mut all: Vec<u8> = run
            .events
            .iter()
            .flat_map(|e| e.raw.iter().copied())
            .collect();
        if let Some(tail) = &run.tail {
            all.extend_from_slice(&tail.raw);
        }
        all
    }

    /// The parsed part of the events (everything but `raw`).
    fn fields(run: &Run) -> Vec<(Option<String>, String, bool)> {
        run.events
            .iter()
            .map(|e| (e.event.clone(), e.data.clone(), e.is_comment_only))
            .collect()
    }

    fn with_endings(text: &str, ending: &str) -> String {
        text.replace('\n', ending)
    }

    #[test]
    fn anthropic_stream_whole() {
        let run = whole(ANTHROPIC.as_bytes());
        let names: Vec<_> = run
            .events
            .iter()
            .map(|e| e.event.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            names,
            [
                "message_start",
                "content_block_start",
                "ping",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        for event in &run.events {
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(&event.data);
            let kind = parsed
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned));
            assert_eq!(kind.as_deref(), event.event.as_deref());
            assert!(!event.is_comment_only);
            assert!(!event.is_done());
            assert!(event.raw.ends_with(b"\n\n"));
        }
        let delta: Option<serde_json::Value> = run
            .events
            .get(4)
            .and_then(|e| serde_json::from_str(&e.data).ok());
        let text = delta
            .as_ref()
            .and_then(|d| d.pointer("/delta/text"))
            .and_then(|t| t.as_str());
        assert_eq!(text, Some("! Grüße, 世界 👋 \"quoted\"\n"));
        assert_eq!(run.tail, None);
        assert_eq!(concat(&run), ANTHROPIC.as_bytes());
    }

    #[test]
    fn openai_stream_whole() {
        let run = whole(OPENAI.as_bytes());
        assert_eq!(run.events.len(), 7);
        let comments: Vec<bool> = run.events.iter().map(|e| e.is_comment_only).collect();
        assert_eq!(comments, [false, true, false, false, false, false, false]);
        assert_eq!(
            run.events.get(1).map(|e| &e.raw[..]),
            Some(&b": OPENROUTER PROCESSING\n\n"[..])
        );
        assert_eq!(run.events.get(1).map(|e| e.data.as_str()), Some(""));
        assert!(run.events.iter().all(|e| e.event.is_none()));
        let done: Vec<bool> = run.events.iter().map(Event::is_done).collect();
        assert_eq!(done, [false, false, false, false, false, false, true]);
        let content: String = run
            .events
            .iter()
            .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.data).ok())
            .filter_map(|v| {
                v.pointer("/choices/0/delta/content")
                    .and_then(|c| c.as_str())
                    .map(str::to_owned)
            })
            .collect();
        assert_eq!(content, "Hi thère 👋");
        assert_eq!(run.tail, None);
        assert_eq!(concat(&run), OPENAI.as_bytes());
    }

    #[test]
    fn bytewise_and_random_splits_match_whole() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for text in [ANTHROPIC, OPENAI] {
            let input = text.as_bytes();
            let reference = whole(input);
            let by_byte = bytewise(input);
            assert_eq!(by_byte.events, reference.events);
            assert_eq!(by_byte.tail, None);
            for _ in 0..300 {
                let run = random_split(input, &mut rng);
                assert_eq!(run.events, reference.events);
                assert_eq!(run.tail, None);
            }
        }
    }

    #[test]
    fn without_raw_the_events_are_the_same_but_for_their_bytes() {
        let mut rng = Rng(7);
        for text in [ANTHROPIC, OPENAI] {
            let input = text.as_bytes();
            let reference = whole(input);
            for _ in 0..100 {
                let decoder = Decoder::new(1 << 20).without_raw();
                let run = run_with(decoder, random_chunks(input, &mut rng));
                assert_eq!(run.tail, None);
                assert!(run.events.iter().all(|e| e.raw.is_empty()));
                assert_eq!(fields(&run), fields(&reference));
            }
        }
        // A stream cut inside an event still says so, and the setting outlives `finish`.
        let mut decoder = Decoder::new(1 << 20).without_raw();
        let mut events = Vec::new();
        assert_eq!(decoder.push(b"data: a\n\ndata: b", &mut events), Ok(()));
        assert!(decoder.finish().is_some_and(|t| t.truncated));
        assert_eq!(decoder.push(b"data: c\n\n", &mut events), Ok(()));
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.raw.is_empty()));
    }

    /// Concatenating every `raw` and the tail gives back the input, for every chunking and line-ending style, and
    /// the parsed fields never depend on the chunking.
    #[test]
    fn raw_concatenation_reproduces_input() {
        let mut rng = Rng(42);
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for text in [ANTHROPIC, OPENAI] {
            for ending in ["\n", "\r\n", "\r"] {
                let body = with_endings(text, ending);
                inputs.push(body.clone().into_bytes());
                // Leading blank lines, a BOM, trailing junk, a stray blank line between events.
                inputs.push(format!("{ending}{ending}{body}").into_bytes());
                inputs.push(format!("\u{FEFF}{body}{ending}data: cut").into_bytes());
                inputs.push(format!("{body}{ending}").into_bytes());
                inputs.push(
                    body.replacen(
                        &format!("{ending}{ending}"),
                        &format!("{ending}{ending}{ending}"),
                        3,
                    )
                    .into_bytes(),
                );
            }
        }
        for input in &inputs {
            let reference = whole(input);
            assert_eq!(concat(&reference), *input);
            let by_byte = bytewise(input);
            assert_eq!(concat(&by_byte), *input);
            assert_eq!(fields(&by_byte), fields(&reference));
            assert_eq!(
                by_byte.tail.as_ref().is_some_and(|t| t.truncated),
                reference.tail.as_ref().is_some_and(|t| t.truncated)
            );
            for _ in 0..100 {
                let run = random_split(input, &mut rng);
                assert_eq!(concat(&run), *input);
                assert_eq!(fields(&run), fields(&reference));
                assert_eq!(
                    run.tail.as_ref().is_some_and(|t| t.truncated),
                    reference.tail.as_ref().is_some_and(|t| t.truncated)
                );
            }
        }
    }

    #[test]
    fn any_line_ending_style_gives_the_same_events() {
        for text in [ANTHROPIC, OPENAI] {
            let reference = fields(&whole(text.as_bytes()));
            for ending in ["\r\n", "\r"] {
                let input = with_endings(text, ending);
                assert_eq!(fields(&whole(input.as_bytes())), reference, "{ending:?}");
                // Every two-chunk split, which includes every split between a CR and its LF.
                for at in 0..=input.len() {
                    let (a, b) = input.as_bytes().split_at(at);
                    let run = run_chunks([a, b]);
                    assert_eq!(fields(&run), reference, "{ending:?} split at {at}");
                    assert_eq!(concat(&run), input.as_bytes());
                    assert!(run.tail.as_ref().is_none_or(|t| !t.truncated));
                }
            }
        }
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_ending() {
        let run = run_chunks([&b"data: a\r"[..], b"\ndata: b\r", b"\n\r", b"\n"]);
        assert_eq!(fields(&run), [(None, "a\nb".to_owned(), false)]);
        // The event is dispatched at the CR; the LF that completes the CRLF is a harmless blank tail.
        assert_eq!(
            run.events.first().map(|e| &e.raw[..]),
            Some(&b"data: a\r\ndata: b\r\n\r"[..])
        );
        assert_eq!(
            run.tail,
            Some(Tail {
                raw: Bytes::from_static(b"\n"),
                truncated: false
            })
        );

        let run = run_chunks([&b"data: a\r\n\r"[..], b"\ndata: b\r\n\r\n"]);
        assert_eq!(
            fields(&run),
            [(None, "a".to_owned(), false), (None, "b".to_owned(), false)]
        );
        assert_eq!(
            run.events.get(1).map(|e| &e.raw[..]),
            Some(&b"\ndata: b\r\n\r\n"[..])
        );
        assert_eq!(run.tail, None);

        // A CR at the end of a chunk followed by a non-LF byte.
        let run = run_chunks([&b"data: a\r"[..], b"data: b\r", b"\r"]);
        assert_eq!(fields(&run), [(None, "a\nb".to_owned(), false)]);
    }

    #[test]
    fn lone_cr_and_mixed_endings() {
        let run = whole(b"event: x\rdata: 1\r\ndata: 2\ndata: 3\r\r: c\n\nid: 7\n\n");
        assert_eq!(
            fields(&run),
            [
                (Some("x".to_owned()), "1\n2\n3".to_owned(), false),
                (None, String::new(), true),
                (None, String::new(), false),
            ]
        );
    }

    #[test]
    fn comments_are_keep_alives_or_ignored() {
        let run = whole(b": ping\n\n:\n: two\n\n: before\ndata: x\n: after\n\n");
        assert_eq!(
            fields(&run),
            [
                (None, String::new(), true),
                (None, String::new(), true),
                (None, "x".to_owned(), false)
            ]
        );
        assert_eq!(
            run.events.get(2).map(|e| &e.raw[..]),
            Some(&b": before\ndata: x\n: after\n\n"[..])
        );
    }

    #[test]
    fn field_parsing_rules() {
        let input = b"data:no-space\ndata:  two spaces\ndata\ndata:\nevent:\nevent: a\nevent: b\nid: 1\nretry: 10\nfoo\n\n";
        let run = whole(input);
        assert_eq!(
            fields(&run),
            [(
                Some("b".to_owned()),
                "no-space\n two spaces\n\n".to_owned(),
                false
            )]
        );
        assert_eq!(run.events.first().map(|e| &e.raw[..]), Some(&input[..]));

        let run = whole(b"event:\n\n");
        assert_eq!(fields(&run), [(Some(String::new()), String::new(), false)]);
        let run = whole(b"data: [DONE]\n\n");
        assert!(run.events.first().is_some_and(Event::is_done));
        let run = whole(b"data: [DONE] \n\n");
        assert!(!run.events.first().is_some_and(Event::is_done));
    }

    #[test]
    fn blank_lines_without_fields_lead_the_next_event() {
        let run = whole(b"\n\r\n\rdata: a\n\n\n\n");
        assert_eq!(fields(&run), [(None, "a".to_owned(), false)]);
        assert_eq!(
            run.events.first().map(|e| &e.raw[..]),
            Some(&b"\n\r\n\rdata: a\n\n"[..])
        );
        assert_eq!(
            run.tail,
            Some(Tail {
                raw: Bytes::from_static(b"\n\n"),
                truncated: false
            })
        );
        assert!(whole(b"").tail.is_none());
    }

    #[test]
    fn finish_reports_truncated_events() {
        for (input, tail) in [
            (&b"data: a\n\ndata: b"[..], &b"data: b"[..]),
            (b"data: a\n\ndata: b\n", b"data: b\n"),
            (b"data: a\n\n: partial comment", b": partial comment"),
            (b"data: a\n\n\ndata: b\n", b"\ndata: b\n"),
        ] {
            let run = whole(input);
            assert_eq!(run.events.len(), 1);
            assert_eq!(
                run.tail,
                Some(Tail {
                    raw: Bytes::copy_from_slice(tail),
                    truncated: true
                })
            );
        }
        // After finish the decoder is fresh again.
        let mut decoder = Decoder::new(100);
        let mut out = Vec::new();
        assert_eq!(decoder.push(b"\xEF\xBB\xBFdata: x", &mut out), Ok(()));
        assert!(decoder.finish().is_some_and(|t| t.truncated));
        assert_eq!(decoder.push(b"\xEF\xBB\xBFdata: y\n\n", &mut out), Ok(()));
        assert_eq!(out.first().map(|e| e.data.as_str()), Some("y"));
    }

    #[test]
    fn utf8_split_anywhere_and_invalid_utf8_is_lossy_per_line() {
        let input = "event: délta\ndata: 世界👋\ndata: ü\n\n".as_bytes();
        let reference = fields(&whole(input));
        assert_eq!(
            reference,
            [(Some("délta".to_owned()), "世界👋\nü".to_owned(), false)]
        );
        assert_eq!(fields(&bytewise(input)), reference);

        let run = whole(b"data: a\xFFb\ndata: \xF0\x9F\n\n");
        assert_eq!(
            fields(&run),
            [(None, "a\u{FFFD}b\n\u{FFFD}".to_owned(), false)]
        );
    }

    #[test]
    fn leading_bom_is_skipped_once() {
        let input = b"\xEF\xBB\xBFevent: a\ndata: 1\n\n\xEF\xBB\xBFdata: 2\n\ndata: 3\n\n";
        let reference = whole(input);
        // The second BOM makes an unknown field name, so that event has no data.
        assert_eq!(
            fields(&reference),
            [
                (Some("a".to_owned()), "1".to_owned(), false),
                (None, String::new(), false),
                (None, "3".to_owned(), false)
            ]
        );
        assert_eq!(fields(&bytewise(input)), fields(&reference));
        assert_eq!(concat(&bytewise(input)), input);
        assert_eq!(
            fields(&whole(b"\xEF\xBB\xBF\ndata: x\n\n")),
            [(None, "x".to_owned(), false)]
        );
        assert_eq!(
            whole(b"\xEF\xBB\xBF").tail.map(|t| t.truncated),
            Some(false)
        );
    }

    #[test]
    fn too_large_events_are_refused() {
        let mut decoder = Decoder::new(32);
        let mut out = Vec::new();
        assert_eq!(decoder.push(b"data: small\n\n", &mut out), Ok(()));
        assert_eq!(out.len(), 1);
        assert_eq!(decoder.push(b"data: 0123456789", &mut out), Ok(()));
        assert_eq!(decoder.buffered(), 16);
        let mut result = Ok(());
        for _ in 0..4 {
            result = decoder.push(b"0123456789", &mut out);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(SseError::EventTooLarge { limit: 32 }));
        assert_eq!(
            decoder.push(b"\n\n", &mut out),
            Err(SseError::EventTooLarge { limit: 32 })
        );
        assert_eq!(out.len(), 1);
        assert!(decoder.finish().is_some_and(|t| t.truncated));

        // A big event completed inside one chunk, after a small one that is still delivered.
        let mut decoder = Decoder::new(32);
        let mut out = Vec::new();
        let input = format!("data: ok\n\ndata: {}\n\n", "x".repeat(40));
        assert_eq!(
            decoder.push(input.as_bytes(), &mut out),
            Err(SseError::EventTooLarge { limit: 32 })
        );
        assert_eq!(out.len(), 1);

        // The limit is per event, not per chunk.
        let largest = whole(ANTHROPIC.as_bytes())
            .events
            .iter()
            .map(|e| e.raw.len())
            .max()
            .unwrap_or(0);
        let mut decoder = Decoder::new(largest);
        let mut out = Vec::new();
        assert_eq!(decoder.push(ANTHROPIC.as_bytes(), &mut out), Ok(()));
        assert_eq!(out.len(), 8);
        let mut decoder = Decoder::new(largest - 1);
        assert!(decoder.push(ANTHROPIC.as_bytes(), &mut Vec::new()).is_err());

        // Endless blank lines count too.
        let mut decoder = Decoder::new(32);
        assert!(decoder.push(&[b'\n'; 33], &mut out).is_err());

        // Exactly at the limit is fine.
        let mut decoder = Decoder::new(10);
        let mut out = Vec::new();
        assert_eq!(decoder.push(b"data: 12\n\n", &mut out), Ok(()));
        assert_eq!(out.len(), 1);

        assert_eq!(
            SseError::EventTooLarge { limit: 32 }.to_string(),
            "server-sent event larger than 32 bytes"
        );
    }

    #[test]
    fn encode_and_comment() {
        assert_eq!(
            &encode(Some("ping"), r#"{"type":"ping"}"#)[..],
            b"event: ping\ndata: {\"type\":\"ping\"}\n\n"
        );
        assert_eq!(&encode(None, "[DONE]")[..], b"data: [DONE]\n\n");
        assert_eq!(
            &encode(None, "a\nb\r\nc\rd")[..],
            b"data: a\ndata: b\ndata: c\ndata: d\n\n"
        );
        assert_eq!(&encode(None, "")[..], b"data:\n\n");
        assert_eq!(&encode(Some("a\nb"), "x")[..], b"event: ab\ndata: x\n\n");
        assert_eq!(&comment("keep-alive")[..], b": keep-alive\n\n");
        assert_eq!(&comment("")[..], b":\n\n");
        assert_eq!(&comment("a\nb")[..], b": a\n: b\n\n");

        for (name, data) in [
            (Some("message_start"), "{\"a\":1}"),
            (None, "line one\n\n line three \n"),
            (Some(" spaced"), " x"),
            (None, ""),
            (Some("délta"), "世界\n👋"),
        ] {
            let run = whole(&encode(name, data));
            assert_eq!(
                fields(&run),
                [(name.map(str::to_owned), data.to_owned(), false)]
            );
            assert_eq!(run.tail, None);
        }
        let run = whole(&comment("keep\nalive"));
        assert_eq!(fields(&run), [(None, String::new(), true)]);
    }
}

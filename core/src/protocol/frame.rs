//! Outgoing events' bytes: a stream's many small events written from pieces one after the
//! other into a shared buffer ([`Frames`]), and whole JSON events ([`event`]).

use bytes::{BufMut, Bytes, BytesMut};

use super::json;

/// A piece of an event.
#[derive(Clone, Copy, Debug)]
pub enum Piece<'a> {
    /// Bytes written as they are.
    Raw(&'a [u8]),
    /// Text written as a JSON string literal.
    Str(&'a str),
    /// Text that needs no escaping (see [`json::Literal::plain`]), written in quotes as it is.
    Plain(&'a str),
    /// A number written in decimal.
    Num(u64),
}

impl<'a> Piece<'a> {
    /// The text of `literal`, written without a scan when it is plain.
    #[inline]
    pub fn literal(literal: &'a json::Literal<'_>) -> Self {
        if literal.plain {
            Piece::Plain(&literal.text)
        } else {
            Piece::Str(&literal.text)
        }
    }
}

/// Writes a stream's events one after the other into a buffer of a few kilobytes, each
/// handed out as a [`Bytes`] view of it: no allocation per event, only a reference count.
/// The buffer is freed once the last event written into it has been sent.
#[derive(Debug, Default)]
pub struct Frames {
    buf: BytesMut,
}

/// The size of a [`Frames`] buffer: a few dozen text events.
const CHUNK: usize = 4096;

impl Frames {
    /// The bytes of `pieces`, one after the other.
    #[inline(always)]
    pub fn frame(&mut self, pieces: &[Piece<'_>]) -> Bytes {
        self.make_room(size(pieces));
        for p in pieces {
            match p {
                Piece::Raw(raw) => self.buf.put_slice(raw),
                Piece::Str(s) => json::quote_with(s, |b| self.buf.put_slice(b)),
                Piece::Plain(s) => {
                    self.buf.put_u8(b'"');
                    self.buf.put_slice(s.as_bytes());
                    self.buf.put_u8(b'"');
                }
                Piece::Num(n) => self
                    .buf
                    .put_slice(itoa::Buffer::new().format(*n).as_bytes()),
            }
        }
        self.buf.split().freeze()
    }

    /// The bytes of `parts`, one after the other: [`frame`](Self::frame) for pieces that are
    /// all raw (a text delta whose text needs no escaping).
    #[inline(always)]
    pub fn concat<const N: usize>(&mut self, parts: [&[u8]; N]) -> Bytes {
        self.make_room(parts.iter().map(|p| p.len()).sum());
        for p in parts {
            self.buf.extend_from_slice(p);
        }
        self.buf.split().freeze()
    }

    /// Room for an event of `size` bytes: a new buffer when the current one is too full
    /// (the events written into it keep it alive until they are sent).
    #[inline(always)]
    fn make_room(&mut self, size: usize) {
        if self.buf.capacity() < size {
            self.buf = BytesMut::with_capacity(size.max(CHUNK));
        }
    }
}

/// An event named `name` (none for Chat chunks) whose data is `data` as compact JSON: one
/// `data:` line, since compact JSON has no raw line breaks (nor has the name: any are
/// dropped, as [`sse::encode`](crate::http::sse::encode) does).
pub fn event(name: Option<&str>, data: &serde_json::Value) -> Bytes {
    event_with(name, data, &mut json::Repeats::default())
}

/// [`event`], reusing the escaped form of a long string written before (see
/// [`json::Repeats`]).
pub fn event_with(
    name: Option<&str>,
    data: &serde_json::Value,
    repeats: &mut json::Repeats,
) -> Bytes {
    // Sized once: a closing event holds the whole answer, and growing to it copies it over
    // and over.
    let mut b = Vec::with_capacity(64 + name.map_or(0, str::len) + json::size_hint(data));
    if let Some(name) = name {
        b.extend_from_slice(b"event: ");
        b.extend(name.bytes().filter(|c| !matches!(c, b'\r' | b'\n')));
        b.push(b'\n');
    }
    b.extend_from_slice(b"data: ");
    json::write_value_with(&mut b, data, repeats);
    b.extend_from_slice(b"\n\n");
    Bytes::from(b)
}

/// The size of `pieces` written, if no text needs escaping.
#[inline]
fn size(pieces: &[Piece<'_>]) -> usize {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Raw(b) => b.len(),
            Piece::Str(s) | Piece::Plain(s) => s.len() + 2,
            Piece::Num(n) => n.checked_ilog10().map_or(1, |d| d as usize + 1),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `pieces` should be, written the slow, obvious way.
    fn expected(pieces: &[Piece<'_>]) -> Vec<u8> {
        let mut b = Vec::new();
        for p in pieces {
            match p {
                Piece::Raw(raw) => b.extend_from_slice(raw),
                Piece::Str(s) | Piece::Plain(s) => {
                    b.extend_from_slice(serde_json::to_string(s).unwrap().as_bytes())
                }
                Piece::Num(n) => b.extend_from_slice(n.to_string().as_bytes()),
            }
        }
        b
    }

    #[test]
    fn pieces_are_written_in_order_and_sized_exactly() {
        let mut frames = Frames::default();
        for n in [0, 9, 10, 99, 100, 12_345, u64::MAX] {
            let text = "say \"hi\"\n";
            let pieces = [
                Piece::Raw(b"data: {\"n\":"),
                Piece::Num(n),
                Piece::Raw(b",\"s\":"),
                Piece::Str("plain"),
                Piece::Raw(b"}\n\n"),
            ];
            let want = format!("data: {{\"n\":{n},\"s\":\"plain\"}}\n\n");
            assert_eq!(frames.frame(&pieces), want.as_bytes());
            assert_eq!(size(&pieces), want.len());
            let escaped = frames.frame(&[Piece::Str(text)]);
            assert_eq!(escaped, serde_json::to_string(text).unwrap().as_bytes());
            let named = event(Some("x.y"), &serde_json::json!({"t": text, "n": n}));
            let mut decoded = Vec::new();
            crate::http::sse::Decoder::new(1 << 20)
                .push(&named, &mut decoded)
                .unwrap();
            assert_eq!(decoded.len(), 1);
            assert_eq!(decoded[0].event.as_deref(), Some("x.y"));
            let back: serde_json::Value = serde_json::from_str(&decoded[0].data).unwrap();
            assert_eq!(back, serde_json::json!({"t": text, "n": n}));
        }
    }

    #[test]
    fn frames_share_buffers_but_each_event_keeps_its_bytes() {
        let mut frames = Frames::default();
        let mut kept = Vec::new();
        for i in 0..2_000u64 {
            let text = "x".repeat((i as usize * 37) % 700) + if i % 3 == 0 { "\"\n" } else { "" };
            let big = if i == 999 {
                "y".repeat(3 * CHUNK)
            } else {
                String::new()
            };
            // Plain text is written as it is, other text escaped.
            let piece = if i % 3 == 0 {
                Piece::Str(&text)
            } else {
                Piece::Plain(&text)
            };
            let pieces = [Piece::Num(i), piece, Piece::Raw(big.as_bytes())];
            // Raw parts are written by `concat` too.
            let got = if i % 5 == 0 {
                frames.concat([b"x", text.as_bytes(), big.as_bytes()])
            } else {
                frames.frame(&pieces)
            };
            let want = if i % 5 == 0 {
                [b"x", text.as_bytes(), big.as_bytes()].concat()
            } else {
                expected(&pieces)
            };
            assert_eq!(got, want);
            // Some are dropped at once (sent), others kept a while.
            if i % 2 == 0 {
                kept.push((got, want));
            }
        }
        for (got, want) in kept {
            assert_eq!(got, want);
        }
    }
}

//! Shapes of stream events seen before: an event whose bytes equal an earlier, fully read
//! event's except for a few string or number values is read without walking it again.
//!
//! A provider writes the events of one stream from one template: every text chunk of an
//! OpenAI Chat stream repeats the same id, model, creation time and layout around a few
//! words, and only the text, a padding string and (for Responses) a sequence number change.
//! After a reader has walked one such event strictly and found it plain, it keeps a
//! [`Shape`]: that event's bytes with holes at the values that may change. A later event
//! that repeats every byte outside the holes, with a string where a string was and a number
//! where a number was, is the same JSON document with other scalar values, so what the walk
//! concluded about the first holds for it; the reader only has to read the holes. Any other
//! event misses and is walked as before.

use std::ops::Range;

use super::json;

/// The kind of value a hole holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hole {
    /// A JSON string, quotes included.
    String,
    /// A JSON number.
    Number,
}

/// An event's bytes with holes at the values that may differ from one event to the next.
#[derive(Clone, Debug)]
pub struct Shape {
    bytes: Box<[u8]>,
    /// Ascending, disjoint ranges of `bytes`, each with the kind of value it held and the
    /// slot its value is reported in.
    holes: Vec<(Range<usize>, Hole, usize)>,
}

impl Shape {
    /// The shape of `event` with `holes` left open: each a range of `event`, the kind of
    /// value there, and the slot [`read`](Self::read) reports it in (a slot past the ones
    /// asked for is matched but not reported). `None` when holes overlap or do not hold
    /// their kind of value.
    pub fn new(event: &[u8], holes: &[(Range<usize>, Hole, usize)]) -> Option<Self> {
        let mut sorted = holes.to_vec();
        sorted.sort_by_key(|(r, ..)| r.start);
        let mut last = 0;
        for (r, kind, _) in &sorted {
            if r.start < last || value_end(event, r.start, *kind)? != r.end {
                return None;
            }
            last = r.end;
        }
        Some(Self {
            bytes: event.into(),
            holes: sorted,
        })
    }

    /// The values in this shape's holes in `event`, by slot; `None` unless `event` has this
    /// shape.
    pub fn read<const N: usize>(&self, event: &[u8]) -> Option<[Option<Found>; N]> {
        let mut found: [Option<Found>; N] = std::array::from_fn(|_| None);
        let (mut at, mut was) = (0, 0);
        for (hole, kind, slot) in &self.holes {
            let same = self.bytes.get(was..hole.start)?;
            if event.get(at..at + same.len())? != same {
                return None;
            }
            at += same.len();
            let (end, plain) = match kind {
                Hole::String => json::string_end_plain(event, at)?,
                Hole::Number => (value_end(event, at, *kind)?, false),
            };
            if let Some(slot) = found.get_mut(*slot) {
                *slot = Some(Found {
                    start: at,
                    end,
                    plain,
                });
            }
            at = end;
            was = hole.end;
        }
        (event.get(at..)? == self.bytes.get(was..)?).then_some(found)
    }
}

/// A value found in an event (by [`Shape::read`], or by a walk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// Where it starts in the event.
    pub start: usize,
    /// Where it ends.
    pub end: usize,
    /// A string with no escape and no byte that needs one: its text is the bytes between
    /// its quotes (see [`json::Literal::plain`]). False when not known.
    pub plain: bool,
}

impl Found {
    /// A value at `range`, not known to be plain.
    pub fn at(range: Range<usize>) -> Self {
        Self {
            start: range.start,
            end: range.end,
            plain: false,
        }
    }

    /// Where it is in the event.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The string found, in `data`, the event it was found in; `None` if it is not a valid
    /// string literal.
    pub fn literal<'a>(&self, data: &'a str) -> Option<json::Literal<'a>> {
        if self.plain {
            let text = data.get(self.start + 1..self.end.checked_sub(1)?)?;
            return Some(json::Literal {
                text: std::borrow::Cow::Borrowed(text),
                plain: true,
            });
        }
        data.get(self.range()).and_then(json::literal)
    }
}

/// The end of the value of `kind` starting at `pos`.
fn value_end(event: &[u8], pos: usize, kind: Hole) -> Option<usize> {
    match kind {
        Hole::String => json::string_end(event, pos),
        Hole::Number => {
            matches!(event.get(pos)?, b'-' | b'0'..=b'9').then(|| json::skip_value(event, pos))?
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str, needle: &str) -> Range<usize> {
        let i = s.find(needle).unwrap();
        i..i + needle.len()
    }

    const FIRST: &str = r#"{"seq":7,"delta":"hel\"lo","pad":"x1"}"#;

    fn shape() -> Shape {
        Shape::new(
            FIRST.as_bytes(),
            &[
                (at(FIRST, r#""hel\"lo""#), Hole::String, 0),
                (at(FIRST, "7"), Hole::Number, 1),
                (at(FIRST, r#""x1""#), Hole::String, 9),
            ],
        )
        .unwrap()
    }

    #[test]
    fn an_event_of_the_same_shape_yields_its_own_values() {
        let s = shape();
        let next = r#"{"seq":1234,"delta":"a \"b\" c","pad":""}"#;
        let [delta, seq] = s.read(next.as_bytes()).unwrap().map(Option::unwrap);
        assert_eq!(&next[seq.range()], "1234");
        assert_eq!(&next[delta.range()], r#""a \"b\" c""#);
        assert!(!delta.plain);
        assert_eq!(delta.literal(next).unwrap().text, r#"a "b" c"#);
        // The padding's slot was not asked for, but its value had to be a string.
        assert!(s.read::<2>(br#"{"seq":1,"delta":"","pad":2}"#).is_none());
        let first = s.read::<3>(FIRST.as_bytes()).unwrap();
        assert_eq!(first[0], Some(Found::at(at(FIRST, r#""hel\"lo""#))));
        assert_eq!(first[2], None);
    }

    #[test]
    fn a_string_is_plain_only_when_its_bytes_are_its_text() {
        let s = shape();
        // Escapes, quotes and control characters at every position of the eight-byte words
        // read, and strings ending at every offset from the end of the event.
        let pieces = [
            "a", "é", "😀", "\"", "\\", "\n", "\u{1}", "\u{1f}", " ", "\u{7f}",
        ];
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            usize::try_from(seed >> 33).unwrap()
        };
        for _ in 0..3_000 {
            let text: String = (0..next() % 30)
                .map(|_| pieces[next() % pieces.len()])
                .collect();
            let quoted = serde_json::to_string(&text).unwrap();
            let pad = "p".repeat(next() % 9);
            let event = format!(r#"{{"seq":7,"delta":{quoted},"pad":"{pad}"}}"#);
            let [delta] = s.read(event.as_bytes()).unwrap();
            let delta = delta.unwrap();
            assert_eq!(&event[delta.range()], quoted);
            assert_eq!(delta.plain, quoted == format!("\"{text}\""), "{text:?}");
            assert_eq!(delta.literal(&event).unwrap().text, text);
        }
        // A raw control character (not JSON, but read leniently) is not plain.
        for raw in ["a\u{1}b", "12345678\u{1f}", "\u{0}"] {
            let event = format!(r#"{{"seq":7,"delta":"{raw}","pad":"x"}}"#);
            let [delta] = s.read(event.as_bytes()).unwrap();
            assert!(!delta.unwrap().plain, "{raw:?}");
        }
    }

    #[test]
    fn any_other_byte_or_kind_of_value_misses() {
        let s = shape();
        for other in [
            r#"{"seq":7,"delta":"x","pad":"x1","usage":{}}"#,
            r#"{"seq":7,"delta":"x","pad":"x1"} "#,
            r#"{"seq":"7","delta":"x","pad":"x1"}"#,
            r#"{"seq":7,"delta":null,"pad":"x1"}"#,
            r#"{"seq":7,"delta":"x","pad":1}"#,
            r#"{"seq":7,"delta":"x","pad":"x1""#,
            r#"{"seq":7,"delta":"x"}"#,
            r#"{"seq":7,"delta":"x","pad":"x1","delta":"y"}"#,
            r#"{"seq":7, "delta":"x","pad":"x1"}"#,
            r#"{"seq":7,"delta":"unterminated}"#,
            r#"{"seq":,"delta":"x","pad":"x1"}"#,
            "",
        ] {
            assert!(s.read::<2>(other.as_bytes()).is_none(), "{other}");
        }
    }

    #[test]
    fn holes_must_hold_their_kind_and_not_overlap() {
        let e = FIRST.as_bytes();
        assert!(Shape::new(e, &[(at(FIRST, "7"), Hole::String, 0)]).is_none());
        assert!(Shape::new(e, &[(at(FIRST, r#""x1""#), Hole::Number, 0)]).is_none());
        assert!(Shape::new(e, &[(at(FIRST, r#""x"#), Hole::String, 0)]).is_none());
        let whole = at(FIRST, r#""hel\"lo""#);
        let twice = [(whole.clone(), Hole::String, 0), (whole, Hole::String, 1)];
        assert!(Shape::new(e, &twice).is_none());
        // Without holes, only the very same bytes match.
        let exact = Shape::new(e, &[]).unwrap();
        assert!(exact.read::<0>(e).is_some());
        assert!(exact.read::<0>(&e[1..]).is_none());
    }
}

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

    /// The ranges in `event` of the values in this shape's holes, by slot; `None` unless
    /// `event` has this shape.
    pub fn read<const N: usize>(&self, event: &[u8]) -> Option<[Option<Range<usize>>; N]> {
        let mut found: [Option<Range<usize>>; N] = std::array::from_fn(|_| None);
        let (mut at, mut was) = (0, 0);
        for (hole, kind, slot) in &self.holes {
            let same = self.bytes.get(was..hole.start)?;
            if event.get(at..at + same.len())? != same {
                return None;
            }
            at += same.len();
            let end = value_end(event, at, *kind)?;
            if let Some(slot) = found.get_mut(*slot) {
                *slot = Some(at..end);
            }
            at = end;
            was = hole.end;
        }
        (event.get(at..)? == self.bytes.get(was..)?).then_some(found)
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
        assert_eq!(&next[seq], "1234");
        assert_eq!(&next[delta], r#""a \"b\" c""#);
        // The padding's slot was not asked for, but its value had to be a string.
        assert!(s.read::<2>(br#"{"seq":1,"delta":"","pad":2}"#).is_none());
        let first = s.read::<3>(FIRST.as_bytes()).unwrap();
        assert_eq!(first[0], Some(at(FIRST, r#""hel\"lo""#)));
        assert_eq!(first[2], None);
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

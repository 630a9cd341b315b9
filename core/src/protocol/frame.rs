//! An outgoing event's bytes written from pieces into one allocation of exactly their size,
//! which then becomes the [`Bytes`] itself (a buffer with spare room costs `Bytes` a second
//! allocation for its shared header).

use bytes::Bytes;

use super::json;

/// A piece of an event.
#[derive(Clone, Copy, Debug)]
pub enum Piece<'a> {
    /// Bytes written as they are.
    Raw(&'a [u8]),
    /// Text written as a JSON string literal.
    Str(&'a str),
    /// A number written in decimal.
    Num(u64),
}

/// The bytes of `pieces`, one after the other. The size is computed as if no text needed
/// escaping: text that does grows the buffer, at the cost of the second allocation.
#[inline]
pub fn frame(pieces: &[Piece<'_>]) -> Bytes {
    let mut b = Vec::with_capacity(size(pieces));
    for p in pieces {
        match p {
            Piece::Raw(raw) => b.extend_from_slice(raw),
            Piece::Str(s) => json::quote_into(&mut b, s),
            Piece::Num(n) => b.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        }
    }
    Bytes::from(b)
}

/// The size of `pieces` written, if no text needs escaping.
#[inline]
fn size(pieces: &[Piece<'_>]) -> usize {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Raw(b) => b.len(),
            Piece::Str(s) => s.len() + 2,
            Piece::Num(n) => n.checked_ilog10().map_or(1, |d| d as usize + 1),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_written_in_order_and_sized_exactly() {
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
            assert_eq!(frame(&pieces), want.as_bytes());
            assert_eq!(size(&pieces), want.len());
            let escaped = frame(&[Piece::Str(text)]);
            assert_eq!(escaped, serde_json::to_string(text).unwrap().as_bytes());
        }
    }
}

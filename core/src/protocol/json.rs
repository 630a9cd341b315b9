//! Byte-level JSON lookups and patches on request/response bodies, without re-serializing them. Pure: no I/O, no clock.
//!
//! Values are addressed by a path of object keys (`["stream_options", "include_usage"]`); only objects are
//! descended. Keys are compared after JSON unescaping, and when an object repeats a key the last one wins, as with
//! serde_json. The scanner walks the objects on the path strictly (keys, colons, commas) and skips every other
//! value structurally (strings and brackets) without validating it: the caller validates bodies with serde_json.
//! It never recurses, so it cannot overflow the stack, and returns `None` wherever it cannot walk the input.
//! Every patch copies the untouched bytes verbatim.

use std::borrow::Cow;
use std::ops::Range;

/// Byte range of the value at `path` (the whole top-level value for an empty path), or `None` if it is absent,
/// if the path goes through a non-object, or if the body cannot be walked.
pub fn find(body: &[u8], path: &[&str]) -> Option<Range<usize>> {
    let start = skip_ws(body, 0);
    let Some((first, rest)) = path.split_first() else {
        let end = skip_value(body, start)?;
        return (skip_ws(body, end) == body.len()).then_some(start..end);
    };
    let mut range = top_level(body, start, first)?.found?;
    for key in rest {
        range = lookup(body, range.start, key)?.found?;
    }
    Some(range)
}

/// The unescaped string at `path`; `None` if absent, not a string, or not valid UTF-8 / escapes.
/// Borrows from `body` when the string has no escapes.
pub fn str_at<'a>(body: &'a [u8], path: &[&str]) -> Option<Cow<'a, str>> {
    string_literal(body.get(find(body, path)?)?)
}

/// Calls `f` with the raw (still escaped) key and the value range of each member of the object
/// starting at `object`, in order, until `f` returns false. `Some(true)` when every member was
/// seen, `Some(false)` when `f` stopped, `None` when the object cannot be walked.
pub fn members(
    body: &[u8],
    object: usize,
    mut f: impl FnMut(&[u8], Range<usize>) -> bool,
) -> Option<bool> {
    let mut m = Members::new(body, skip_ws(body, object))?;
    loop {
        match m.step()? {
            Step::End(_) => return Some(true),
            Step::Member(member) => {
                if !f(body.get(member.key)?, member.value) {
                    return Some(false);
                }
            }
        }
    }
}

/// The value of the first top-level member named `key`, walking no further than that member
/// (so a repeated key's later values are not seen; for reading what an event stream writes
/// once, like a sequence number, early in each event).
pub fn first(body: &[u8], key: &str) -> Option<Range<usize>> {
    let mut found = None;
    members(body, 0, |k, value| {
        if key_is(k, key) {
            found = Some(value);
            return false;
        }
        true
    })?;
    found
}

/// The values of the top-level members named `keys`, in one walk over the object (the last of
/// a repeated key wins, as in serde_json); `None` when the body is not a walkable object.
pub fn pick<const N: usize>(body: &[u8], keys: [&str; N]) -> Option<[Option<Range<usize>>; N]> {
    let mut found: [Option<Range<usize>>; N] = std::array::from_fn(|_| None);
    let walked = members(body, 0, |key, value| {
        // Keys are nearly never escaped: compare bytes unless this one is.
        let i = if has_escape(key) {
            keys.iter().position(|k| key_is(key, k))
        } else {
            keys.iter().position(|k| key == k.as_bytes())
        };
        if let Some(i) = i {
            found[i] = Some(value);
        }
        true
    })?;
    walked.then_some(found)
}

/// Walks the object at `object`, calling `f` with each raw key and the position where its
/// value starts. `f` returns `Some(None)` to have the value skipped, `Some(Some(end))` when it
/// read the value itself up to `end`, or `None` to stop the walk as failed. Returns the
/// position just past the closing `}`. Lets a reader descend into the one member it wants
/// without walking it twice.
pub fn object_at(
    body: &[u8],
    object: usize,
    mut f: impl FnMut(&[u8], usize) -> Option<Option<usize>>,
) -> Option<usize> {
    let mut pos = skip_ws(body, object);
    if body.get(pos) != Some(&b'{') {
        return None;
    }
    pos = skip_ws(body, pos + 1);
    if body.get(pos) == Some(&b'}') {
        return Some(pos + 1);
    }
    loop {
        if body.get(pos) != Some(&b'"') {
            return None;
        }
        let key_end = skip_string(body, pos)?;
        let key = body.get(pos + 1..key_end - 1)?;
        pos = skip_ws(body, key_end);
        if body.get(pos) != Some(&b':') {
            return None;
        }
        let value = skip_ws(body, pos + 1);
        let end = match f(key, value)? {
            Some(end) => end,
            None => skip_value(body, value)?,
        };
        pos = skip_ws(body, end);
        match body.get(pos)? {
            b',' => pos = skip_ws(body, pos + 1),
            b'}' => return Some(pos + 1),
            _ => return None,
        }
    }
}

/// Reads the array at `array` that must hold exactly one element, with `f` reading that
/// element from its start and returning its end. Returns the position past the `]`.
pub fn single_element(
    body: &[u8],
    array: usize,
    f: impl FnOnce(usize) -> Option<usize>,
) -> Option<usize> {
    if body.get(array) != Some(&b'[') {
        return None;
    }
    let start = skip_ws(body, array + 1);
    if body.get(start) == Some(&b']') {
        return None;
    }
    let end = skip_ws(body, f(start)?);
    (body.get(end) == Some(&b']')).then_some(end + 1)
}

/// End of the string at `pos` (its opening quote), for readers using [`object_at`].
pub fn string_end(body: &[u8], pos: usize) -> Option<usize> {
    (body.get(pos) == Some(&b'"'))
        .then(|| skip_string(body, pos))
        .flatten()
}

/// The range of the only element of the array at `array`; `None` if it has zero or several
/// elements or cannot be walked.
pub fn only_element(body: &[u8], array: Range<usize>) -> Option<Range<usize>> {
    if body.get(array.start) != Some(&b'[') {
        return None;
    }
    let start = skip_ws(body, array.start + 1);
    let end = skip_value(body, start)?;
    (body.get(skip_ws(body, end)) == Some(&b']')).then_some(start..end)
}

/// The boolean at `path`; `None` if absent or not `true`/`false`.
pub fn bool_at(body: &[u8], path: &[&str]) -> Option<bool> {
    match body.get(find(body, path)?)? {
        b"true" => Some(true),
        b"false" => Some(false),
        _ => None,
    }
}

/// `body` with the bytes in `range` replaced by `new_raw`. A range reaching past the end (or reversed) is clamped
/// to the body.
pub fn replace(body: &[u8], range: Range<usize>, new_raw: &[u8]) -> Vec<u8> {
    let start = range.start.min(body.len());
    let end = range.end.clamp(start, body.len());
    let mut out = Vec::with_capacity(body.len() - (end - start) + new_raw.len());
    out.extend_from_slice(body.get(..start).unwrap_or_default());
    out.extend_from_slice(new_raw);
    out.extend_from_slice(body.get(end..).unwrap_or_default());
    out
}

/// `s` as a JSON string literal, escaped exactly as serde_json does (`"`, `\`, and control characters).
pub fn quote(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    quote_into(&mut out, s);
    // Escaping only adds ASCII to valid UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `s` to `out` as a JSON string literal, escaped as [`quote`] does.
pub fn quote_into(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    quote_with(s, |b| out.extend_from_slice(b));
}

/// Hands `s` as a JSON string literal, escaped as [`quote`] does, to `put` piece by piece.
#[inline]
pub fn quote_with(s: &str, mut put: impl FnMut(&[u8])) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    put(b"\"");
    let bytes = s.as_bytes();
    let mut run_start = 0;
    let mut at = 0;
    while let Some(found) = next_to_escape(bytes, at) {
        at = found;
        let Some(&byte) = bytes.get(at) else {
            break;
        };
        let short: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => b"",
        };
        put(bytes.get(run_start..at).unwrap_or_default());
        at += 1;
        run_start = at;
        if short.is_empty() {
            let hex = |nibble: u8| HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
            put(&[b'\\', b'u', b'0', b'0', hex(byte >> 4), hex(byte & 0xf)]);
        } else {
            put(short);
        }
    }
    put(bytes.get(run_start..).unwrap_or_default());
    put(b"\"");
}

/// The position of the first byte at or after `from` that a JSON string must escape (`"`,
/// `\`, a control character), eight bytes at a time.
#[inline]
fn next_to_escape(bytes: &[u8], mut from: usize) -> Option<usize> {
    // Long text (a closing event repeats the whole answer) 32 bytes at a time: a fold
    // without early exit, which the compiler turns into vector compares.
    while let Some(chunk) = bytes.get(from..from + 32) {
        let hits = chunk.iter().fold(0u8, |hits, &b| {
            hits | u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\')
        });
        if hits != 0 {
            break;
        }
        from += 32;
    }
    while let Some(chunk) = bytes.get(from..from + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let hits = control_lanes(word) | byte_lanes(word, b'"') | byte_lanes(word, b'\\');
        if hits != 0 {
            return Some(from + (hits.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    let rest = bytes.get(from..)?;
    rest.iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .map(|i| from + i)
}

/// About how many bytes [`write_value_with`] writes for `v`, to size a buffer once: no fewer,
/// unless strings need escaping or a number is longer than 20 characters.
pub fn size_hint(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    match v {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 20,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|i| size_hint(i) + 1).sum::<usize>(),
        Value::Object(members) => {
            2 + members
                .iter()
                .map(|(k, v)| k.len() + 4 + size_hint(v))
                .sum::<usize>()
        }
    }
}

/// Remembers the escaped form of the last long string [`write_value_with`] wrote: a
/// Responses stream's closing events repeat the whole answer four times, and comparing it
/// costs a fraction of escaping it again.
#[derive(Debug, Default)]
pub struct Repeats {
    last: Option<(String, Vec<u8>)>,
}

/// Strings shorter than this are escaped each time.
const LONG: usize = 1024;

/// Appends `v` as compact JSON, byte for byte what `serde_json::to_writer` writes, with
/// strings escaped eight bytes at a time and a long string written before (a closing event
/// repeats the whole answer) taken from `repeats` instead of escaped again.
pub fn write_value_with(out: &mut Vec<u8>, v: &serde_json::Value, repeats: &mut Repeats) {
    use serde_json::Value;
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes()),
            (None, Some(i)) => out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
            // Writing into a Vec cannot fail.
            (None, None) => drop(serde_json::to_writer(&mut *out, n)),
        },
        Value::String(s) if s.len() >= LONG => match &repeats.last {
            Some((text, quoted)) if text == s => out.extend_from_slice(quoted),
            _ => {
                let start = out.len();
                quote_into(out, s);
                let quoted = out.get(start..).unwrap_or_default().to_vec();
                repeats.last = Some((s.clone(), quoted));
            }
        },
        Value::String(s) => quote_into(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value_with(out, item, repeats);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            out.push(b'{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                quote_into(out, key);
                out.push(b':');
                write_value_with(out, value, repeats);
            }
            out.push(b'}');
        }
    }
}

/// The unescaped text of the JSON string literal `raw` (quotes included); `None` if `raw` is not
/// one, has an invalid escape or is not UTF-8. Borrows when the string has no escapes.
pub fn string_literal(raw: &[u8]) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if !has_escape(inner) {
        return std::str::from_utf8(inner).ok().map(Cow::Borrowed);
    }
    unescape_owned(inner).map(Cow::Owned)
}

/// A string read from a JSON string literal: its text, and whether that text can be written
/// back as a literal as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Literal<'a> {
    /// The unescaped text.
    pub text: Cow<'a, str>,
    /// The text has no byte a JSON string must escape (`"`, `\`, a control character), so
    /// quotes around it make a literal: a writer need not scan it again.
    pub plain: bool,
}

impl<'a> Literal<'a> {
    /// Text not known to need no escaping.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Self {
        Literal {
            text: text.into(),
            plain: false,
        }
    }
}

/// [`str_literal`], telling also whether the text needs no escaping to be written back (one
/// scan for both answers).
pub fn literal(raw: &str) -> Option<Literal<'_>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    match scan_literal(inner.as_bytes()) {
        (false, false) => Some(Literal {
            text: Cow::Borrowed(inner),
            plain: true,
        }),
        (false, true) => Some(Literal {
            text: Cow::Borrowed(inner),
            plain: false,
        }),
        (true, _) => unescape_owned(inner.as_bytes()).map(Literal::new),
    }
}

/// Whether a raw string body has a backslash, and whether it has another byte a JSON string
/// must escape (a quote or a control character), eight bytes at a time.
#[inline]
fn scan_literal(raw: &[u8]) -> (bool, bool) {
    // The last few bytes are one more word, padded with spaces, which need no escape.
    let words = raw.chunks_exact(8);
    let rest = padded_word(words.remainder(), b' ');
    let (slashes, others) = words
        .map(|w| padded_word(w, b' '))
        .chain(std::iter::once(rest))
        .fold((0, 0), |(slashes, others), word| {
            (
                slashes | byte_lanes(word, b'\\'),
                others | control_lanes(word) | byte_lanes(word, b'"'),
            )
        });
    (slashes != 0, others != 0)
}

/// [`string_literal`] for text already known to be UTF-8 (no second validation when there is
/// nothing to unescape).
pub fn str_literal(raw: &str) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    if !has_escape(inner.as_bytes()) {
        return Some(Cow::Borrowed(inner));
    }
    unescape_owned(inner.as_bytes()).map(Cow::Owned)
}

fn unescape_owned(inner: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(inner.len());
    if !unescape(inner, &mut |piece| {
        out.extend_from_slice(piece);
        true
    })? {
        return None;
    }
    String::from_utf8(out).ok()
}

/// `body` with the value at `path` replaced by `new_raw` (which must be valid JSON), or, if the member is absent,
/// with `"key":new_raw` inserted right after the opening `{` of its parent object (creating absent intermediate
/// objects the same way), so no other byte moves. `None` if `path` is empty, the body is not a walkable JSON
/// object, or the path goes through a non-object value.
pub fn set(body: &[u8], path: &[&str], new_raw: &[u8]) -> Option<Vec<u8>> {
    let mut object = skip_ws(body, 0);
    for (depth, key) in path.iter().enumerate() {
        let level = if depth == 0 {
            top_level(body, object, key)?
        } else {
            lookup(body, object, key)?
        };
        let Some(found) = level.found else {
            let missing = path.get(depth..).unwrap_or_default();
            return Some(insert(body, object, level.members > 0, missing, new_raw));
        };
        if depth + 1 == path.len() {
            return Some(replace(body, found, new_raw));
        }
        object = found.start;
    }
    None
}

/// `body` without the member at `path` and its separating comma (every occurrence, if the key is repeated), or
/// `None` if there is nothing to remove (absent member, empty path, path through a non-object, or a body that
/// cannot be walked).
pub fn remove(body: &[u8], path: &[&str]) -> Option<Vec<u8>> {
    let (last, parents) = path.split_last()?;
    let mut object = skip_ws(body, 0);
    for (depth, key) in parents.iter().enumerate() {
        let level = if depth == 0 {
            top_level(body, object, key)?
        } else {
            lookup(body, object, key)?
        };
        object = level.found?.start;
    }
    if parents.is_empty() {
        top_level(body, object, last)?;
    }
    // Removing bytes after `object` leaves its position unchanged, so repeated keys can be removed one by one.
    let mut out: Option<Vec<u8>> = None;
    loop {
        let current = out.as_deref().unwrap_or(body);
        let Some(extent) = member_extent(current, object, last)? else {
            return out;
        };
        if extent.is_empty() {
            return out;
        }
        out = Some(replace(current, extent, b""));
    }
}

/// What [`lookup`] learned about one object.
struct Level {
    /// The value of the last member with the key.
    found: Option<Range<usize>>,
    /// Just past the closing `}`.
    end: usize,
    members: usize,
}

/// [`lookup`] on the top-level object, which must be followed by nothing but whitespace.
fn top_level(body: &[u8], object: usize, key: &str) -> Option<Level> {
    let level = lookup(body, object, key)?;
    (skip_ws(body, level.end) == body.len()).then_some(level)
}

/// Walks the object starting at `object` (which must be a `{`) looking for `key`.
fn lookup(body: &[u8], object: usize, key: &str) -> Option<Level> {
    let mut members = Members::new(body, object)?;
    let mut found = None;
    let mut count = 0;
    loop {
        match members.step()? {
            Step::Member(member) => {
                count += 1;
                if key_is(body.get(member.key)?, key) {
                    found = Some(member.value);
                }
            }
            Step::End(end) => {
                return Some(Level {
                    found,
                    end,
                    members: count,
                });
            }
        }
    }
}

/// The bytes to cut to remove the last member named `key` from the object at `object`, with one adjacent comma:
/// `Some(None)` if there is no such member, `None` if the object cannot be walked.
fn member_extent(body: &[u8], object: usize, key: &str) -> Option<Option<Range<usize>>> {
    let mut members = Members::new(body, object)?;
    // (start of the matching member's key, end of its value, end of the previous member's value)
    let mut matched: Option<(usize, usize, Option<usize>)> = None;
    let mut next_key_start: Option<usize> = None;
    let mut prev_value_end: Option<usize> = None;
    while let Step::Member(member) = members.step()? {
        if matched.is_some() && next_key_start.is_none() {
            next_key_start = Some(member.key_start);
        }
        if key_is(body.get(member.key)?, key) {
            matched = Some((member.key_start, member.value.end, prev_value_end));
            next_key_start = None;
        }
        prev_value_end = Some(member.value.end);
    }
    Some(matched.map(|(key_start, value_end, prev)| {
        match (next_key_start, prev) {
            // `"k":v, "next"` → `"next"`
            (Some(next), _) => key_start..next,
            // `prev , "k":v }` → `prev }`
            (None, Some(prev)) => prev..value_end,
            // the only member
            (None, None) => key_start..value_end,
        }
    }))
}

/// Inserts `"k1":{"k2":…{"kn":new_raw}…},` right after the `{` at `object` (no comma if it has no members).
fn insert(body: &[u8], object: usize, has_members: bool, keys: &[&str], new_raw: &[u8]) -> Vec<u8> {
    let keys_len: usize = keys.iter().map(|k| k.len() + 4).sum();
    let mut member = Vec::with_capacity(keys_len + new_raw.len() + keys.len() + 1);
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            member.push(b'{');
        }
        member.extend_from_slice(quote(key).as_bytes());
        member.push(b':');
    }
    member.extend_from_slice(new_raw);
    member.resize(member.len() + keys.len().saturating_sub(1), b'}');
    if has_members {
        member.push(b',');
    }
    let at = object + 1;
    replace(body, at..at, &member)
}

struct Member {
    /// Position of the key's opening quote.
    key_start: usize,
    /// The key's raw bytes, between the quotes.
    key: Range<usize>,
    value: Range<usize>,
}

enum Step {
    Member(Member),
    /// Just past the closing `}`.
    End(usize),
}

/// Strict walk over one object's members.
struct Members<'a> {
    body: &'a [u8],
    pos: usize,
    first: bool,
}

impl<'a> Members<'a> {
    fn new(body: &'a [u8], object: usize) -> Option<Self> {
        (body.get(object) == Some(&b'{')).then_some(Self {
            body,
            pos: object + 1,
            first: true,
        })
    }

    /// The next member or the end of the object; `None` on malformed input.
    fn step(&mut self) -> Option<Step> {
        let body = self.body;
        let mut pos = skip_ws(body, self.pos);
        match *body.get(pos)? {
            b'}' => return Some(Step::End(pos + 1)),
            b',' if !self.first => pos = skip_ws(body, pos + 1),
            _ if self.first => {}
            _ => return None,
        }
        if body.get(pos) != Some(&b'"') {
            return None;
        }
        let key_start = pos;
        let key_end = skip_string(body, pos)?;
        pos = skip_ws(body, key_end);
        if body.get(pos) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(body, pos + 1);
        let value_end = skip_value(body, value_start)?;
        self.pos = value_end;
        self.first = false;
        Some(Step::Member(Member {
            key_start,
            key: key_start + 1..key_end - 1,
            value: value_start..value_end,
        }))
    }
}

#[inline]
pub(crate) fn skip_ws(body: &[u8], pos: usize) -> usize {
    let rest = body.get(pos..).unwrap_or_default();
    pos + rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(rest.len())
}

/// End of the value starting at `pos`.
#[inline]
pub(crate) fn skip_value(body: &[u8], pos: usize) -> Option<usize> {
    let literal =
        |text: &[u8]| (body.get(pos..pos + text.len()) == Some(text)).then_some(pos + text.len());
    match *body.get(pos)? {
        b'"' => skip_string(body, pos),
        b'{' | b'[' => skip_container(body, pos),
        b't' => literal(b"true"),
        b'f' => literal(b"false"),
        b'n' => literal(b"null"),
        b'-' | b'0'..=b'9' => {
            let rest = body.get(pos + 1..).unwrap_or_default();
            let len = rest
                .iter()
                .position(|b| !matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
                .unwrap_or(rest.len());
            Some(pos + 1 + len)
        }
        _ => None,
    }
}

/// End of the string whose opening quote is at `pos`.
#[inline]
pub(crate) fn skip_string(body: &[u8], pos: usize) -> Option<usize> {
    // Most strings are short: eight bytes at a time (SWAR) finds their end sooner than a
    // vectorized search can start; long ones go to memchr.
    let mut at = pos + 1;
    for _ in 0..8 {
        // The last few bytes (a string often ends an event) are read as one word too, padded
        // with zeros, which match neither byte.
        let (word, whole) = match body.get(at..at + 8) {
            Some(chunk) => (padded_word(chunk, 0), true),
            None => (tail_word(body, at)?, false),
        };
        let hits = byte_lanes(word, b'"') | byte_lanes(word, b'\\');
        if !whole && hits == 0 {
            return None;
        }
        if hits != 0 {
            let i = at + (hits.trailing_zeros() / 8) as usize;
            return match body.get(i) {
                Some(b'"') => Some(i + 1),
                _ => skip_string_rest(body, i),
            };
        }
        at += 8;
    }
    skip_string_rest(body, at)
}

/// [`string_end`], telling also whether the string is plain: no escape, and no control
/// character (see [`Literal::plain`]). Reads eight bytes at a time to the end, for the
/// strings of stream events (short).
pub(crate) fn string_end_plain(body: &[u8], pos: usize) -> Option<(usize, bool)> {
    if body.get(pos) != Some(&b'"') {
        return None;
    }
    let mut at = pos + 1;
    let mut controls = 0;
    loop {
        // The last few bytes are one more word, its lanes past the end zero: they match
        // neither byte, and their control lanes lie above any quote found.
        let (word, whole) = match body.get(at..at + 8) {
            Some(chunk) => (padded_word(chunk, 0), true),
            None => (tail_word(body, at)?, false),
        };
        // The lowest lane found by each test is exact (see `byte_lanes`).
        let control = control_lanes(word);
        let hits = byte_lanes(word, b'"') | byte_lanes(word, b'\\');
        if hits == 0 {
            if !whole {
                return None;
            }
            controls |= control;
            at += 8;
            continue;
        }
        let lane = hits.trailing_zeros();
        let i = at + (lane / 8) as usize;
        if body.get(i) != Some(&b'"') {
            // An escape: not plain; its end is found the usual way.
            return skip_string_rest(body, i).map(|end| (end, false));
        }
        let before = control & ((1 << lane) - 1);
        return Some((i + 1, controls == 0 && before == 0));
    }
}

/// The fewer than eight bytes of `body` from `at` to its end as a little-endian word, the
/// lanes past the end zero. Read as the last eight bytes of `body` shifted down, without a
/// copy of a variable length; `None` if `at` is past the end.
#[inline(always)]
fn tail_word(body: &[u8], at: usize) -> Option<u64> {
    let left = body.len().checked_sub(at)?;
    match body
        .len()
        .checked_sub(8)
        .and_then(|start| body.get(start..))
    {
        Some(last) if left < 8 => {
            let word = padded_word(last, 0);
            // `left` is under 8: the shift is 8 to 64 bits, and 64 means no bytes left.
            Some(
                word.checked_shr(8 * u32::try_from(8 - left).ok()?)
                    .unwrap_or(0),
            )
        }
        _ => Some(padded_word(body.get(at..)?, 0)),
    }
}

/// Up to eight bytes as a little-endian word, lanes past their end set to `pad`.
#[inline(always)]
fn padded_word(bytes: &[u8], pad: u8) -> u64 {
    let mut word = [pad; 8];
    if let Some(lanes) = word.get_mut(..bytes.len()) {
        lanes.copy_from_slice(bytes);
    }
    u64::from_le_bytes(word)
}

/// A one in each byte lane of a word.
const LANE_ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of each byte lane of a word.
const LANE_HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit set in each byte lane of `word` below 0x20, a control character (exact for
/// the lowest one, as in [`byte_lanes`]).
#[inline]
fn control_lanes(word: u64) -> u64 {
    // A lane below 0x20 borrows into its high bit only when that bit was clear.
    word.wrapping_sub(LANE_ONES * 0x20) & !word & LANE_HIGHS
}

/// The high bit set in each byte lane of `word` that equals `byte` (the lowest set lane is
/// exact; lanes above a match may be set too, which callers never look at).
#[inline]
fn byte_lanes(word: u64, byte: u8) -> u64 {
    let x = word ^ (LANE_ONES * u64::from(byte));
    x.wrapping_sub(LANE_ONES) & !x & LANE_HIGHS
}

#[inline(never)]
fn skip_string_rest(body: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let rest = body.get(at..)?;
        at += memchr::memchr2(b'"', b'\\', rest)?;
        if body.get(at) == Some(&b'"') {
            return Some(at + 1);
        }
        at += 2;
    }
}

/// End of the array or object opening at `pos`. Only quotes and the container's own kind of
/// bracket are looked at: in JSON the other kind balances inside it.
pub(crate) fn skip_container(body: &[u8], pos: usize) -> Option<usize> {
    let open = *body.get(pos)?;
    let close = match open {
        b'{' => b'}',
        b'[' => b']',
        _ => return None,
    };
    let mut depth = 0usize;
    let mut at = pos;
    loop {
        at = next_of(body, at, open, close)?;
        match body.get(at)? {
            b'"' => {
                at = skip_string(body, at)?;
                continue;
            }
            b if *b == open => depth += 1,
            _ => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at + 1);
                }
            }
        }
        at += 1;
    }
}

/// The first position at or after `at` holding a quote, `open` or `close`: eight bytes at a
/// time, then byte by byte for the last few.
#[inline]
fn next_of(body: &[u8], mut at: usize, open: u8, close: u8) -> Option<usize> {
    while let Some(chunk) = body.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let hits = byte_lanes(word, b'"') | byte_lanes(word, open) | byte_lanes(word, close);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = body.get(at..)?;
    rest.iter()
        .position(|&b| b == b'"' || b == open || b == close)
        .map(|i| at + i)
}

/// Whether a raw string body has an escape (a backslash), eight bytes at a time: keys and
/// text pieces are short, and a vectorized search would not have started.
#[inline]
#[expect(
    clippy::manual_contains,
    reason = "the tail is under eight bytes: an inline loop beats the library call"
)]
pub(crate) fn has_escape(raw: &[u8]) -> bool {
    let words = raw.chunks_exact(8);
    let rest = words.remainder();
    words.fold(0, |hits, w| {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        hits | byte_lanes(u64::from_le_bytes(word), b'\\')
    }) != 0
        || rest.iter().any(|&b| b == b'\\')
}

/// Whether a raw (still escaped) key, as [`members`] gives it, equals `key`.
#[inline]
pub(crate) fn key_is(raw: &[u8], key: &str) -> bool {
    // An escape takes at least two bytes for one character: a raw key no longer than `key`
    // equals it only byte for byte and without escapes, a longer one only with escapes.
    let key = key.as_bytes();
    if raw.len() <= key.len() {
        return raw.len() == key.len()
            && raw.iter().zip(key).all(|(a, b)| a == b)
            && !has_escape(raw);
    }
    has_escape(raw) && key_eq_escaped(raw, key)
}

#[inline(never)]
fn key_eq_escaped(raw: &[u8], key: &[u8]) -> bool {
    let mut rest = key;
    let matched = unescape(raw, &mut |piece| match rest.strip_prefix(piece) {
        Some(tail) => {
            rest = tail;
            true
        }
        None => false,
    });
    matched == Some(true) && rest.is_empty()
}

/// Feeds the unescaped bytes of a string body to `sink` piece by piece, stopping early when it returns false.
/// `Some(true)` when done, `Some(false)` when stopped, `None` on an invalid escape (including lone surrogates).
fn unescape(raw: &[u8], sink: &mut impl FnMut(&[u8]) -> bool) -> Option<bool> {
    let mut at = 0;
    loop {
        let rest = raw.get(at..)?;
        let Some(backslash) = rest.iter().position(|&b| b == b'\\') else {
            return Some(sink(rest));
        };
        if !sink(rest.get(..backslash)?) {
            return Some(false);
        }
        at += backslash + 1;
        let escape = *raw.get(at)?;
        at += 1;
        let ch = match escape {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(raw.get(at..at + 4)?)?;
                at += 4;
                match unit {
                    0xD800..=0xDBFF => {
                        if raw.get(at..at + 2) != Some(b"\\u") {
                            return None;
                        }
                        let low = hex4(raw.get(at + 2..at + 6)?)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        at += 6;
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                    }
                    _ => char::from_u32(unit)?,
                }
            }
            _ => return None,
        };
        if !sink(ch.encode_utf8(&mut [0; 4]).as_bytes()) {
            return Some(false);
        }
    }
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = char::from(d).to_digit(16)?;
        Some(acc * 16 + v)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn parse(body: &[u8]) -> Option<Value> {
        serde_json::from_slice(body).ok()
    }

    fn slice(body: &[u8], range: Option<Range<usize>>) -> Option<&[u8]> {
        body.get(range?)
    }

    /// Asserts that `after` is `before` with only `range` of `before` replaced.
    fn assert_only_range_changed(before: &[u8], after: &[u8], range: Range<usize>) {
        let suffix_len = before.len() - range.end;
        assert_eq!(
            after.get(..range.start),
            before.get(..range.start),
            "prefix changed"
        );
        assert_eq!(
            after.get(after.len() - suffix_len..),
            before.get(range.end..),
            "suffix changed"
        );
    }

    const REQUEST: &str = r#"{
  "messages": [
    {"role": "user", "content": "use \"model\": \"x\" please", "model": "nested-in-message"},
    {"role": "assistant", "content": [{"type": "text", "text": "}]{[\\"}], "model": {"model": "deeper"}}
  ],
  "tools": [{"name": "pick_model", "input_schema": {"type": "object", "properties": {"model": {"type": "string"}}}}],
  "metadata": {"model": "meta"},
  "model" : "claude-sonnet-4-5",
  "max_tokens": 1024, "temperature": -1.5e-3, "stream": true, "top_k": null
}"#;

    #[test]
    fn finds_top_level_model_only() {
        let body = REQUEST.as_bytes();
        assert_eq!(
            slice(body, find(body, &["model"])),
            Some(&b"\"claude-sonnet-4-5\""[..])
        );
        assert_eq!(
            str_at(body, &["model"]).as_deref(),
            Some("claude-sonnet-4-5")
        );
        assert!(matches!(str_at(body, &["model"]), Some(Cow::Borrowed(_))));
        assert_eq!(
            str_at(body, &["metadata", "model"]).as_deref(),
            Some("meta")
        );
        assert_eq!(bool_at(body, &["stream"]), Some(true));
        assert_eq!(bool_at(body, &["top_k"]), None);
        assert_eq!(bool_at(body, &["model"]), None);
        assert_eq!(str_at(body, &["max_tokens"]), None);
        assert_eq!(
            slice(body, find(body, &["temperature"])),
            Some(&b"-1.5e-3"[..])
        );
        assert_eq!(slice(body, find(body, &["top_k"])), Some(&b"null"[..]));
        assert_eq!(find(body, &["absent"]), None);
        assert_eq!(find(body, &["messages", "model"]), None);
        assert_eq!(find(body, &["model", "x"]), None);
        assert_eq!(find(body, &[]), Some(0..body.len()));

        let replaced = find(body, &["model"]).map(|range| {
            let out = replace(body, range.clone(), quote("claude-opus-4-1").as_bytes());
            assert_only_range_changed(body, &out, range);
            out
        });
        let replaced = replaced.unwrap_or_default();
        let mut expected = parse(body).unwrap_or_default();
        expected["model"] = json!("claude-opus-4-1");
        assert_eq!(parse(&replaced), Some(expected));
        assert_eq!(str_at(&replaced, &["messages"]), None);
        assert_eq!(
            str_at(&replaced, &["metadata", "model"]).as_deref(),
            Some("meta")
        );
    }

    #[test]
    fn escaped_keys_and_values() {
        let body = br#"{"mo\u0064el":"a\"b\\c\/d\n\u00e9\ud83d\ude00","k\"ey":1,"\ud83d\ude00":true," sp":false}"#;
        assert_eq!(str_at(body, &["model"]).as_deref(), Some("a\"b\\c/d\né😀"));
        assert!(matches!(str_at(body, &["model"]), Some(Cow::Owned(_))));
        assert_eq!(slice(body, find(body, &["k\"ey"])), Some(&b"1"[..]));
        assert_eq!(bool_at(body, &["😀"]), Some(true));
        assert_eq!(bool_at(body, &[" sp"]), Some(false));
        assert_eq!(find(body, &["mo\\u0064el"]), None);
        assert_eq!(find(body, &["sp"]), None);

        let out = set(body, &["model"], br#""gpt-4o""#).unwrap_or_default();
        assert_eq!(
            parse(&out),
            Some(json!({"model": "gpt-4o", "k\"ey": 1, "😀": true, " sp": false}))
        );
        assert!(out.starts_with(br#"{"mo\u0064el":"gpt-4o","k\"ey""#));

        // Invalid escapes or lone surrogates: the key matches nothing, the value is no string.
        assert_eq!(find(br#"{"\ud800":1,"\x":2}"#, &["\u{FFFD}"]), None);
        assert_eq!(str_at(br#"{"a":"\ud800x"}"#, &["a"]), None);
        assert_eq!(str_at(br#"{"a":"\udc00"}"#, &["a"]), None);
        assert_eq!(str_at(br#"{"a":"\ud800\u0041"}"#, &["a"]), None);
        assert_eq!(str_at(br#"{"a":"\u12"}"#, &["a"]), None);
        assert_eq!(str_at(b"{\"a\":\"\xff\"}", &["a"]), None);
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let body = br#"{"model":"first","m":{"x":1},"model":"second","m":{"y":2}}"#;
        assert_eq!(str_at(body, &["model"]).as_deref(), Some("second"));
        assert_eq!(find(body, &["m", "x"]), None);
        assert_eq!(slice(body, find(body, &["m", "y"])), Some(&b"2"[..]));
        // serde_json agrees.
        assert_eq!(
            parse(body).and_then(|v| v.get("model").cloned()),
            Some(json!("second"))
        );

        let out = set(body, &["model"], b"\"third\"").unwrap_or_default();
        assert_eq!(
            out,
            br#"{"model":"first","m":{"x":1},"model":"third","m":{"y":2}}"#
        );
        let out = set(body, &["m", "x"], b"3").unwrap_or_default();
        assert_eq!(
            out,
            br#"{"model":"first","m":{"x":1},"model":"second","m":{"x":3,"y":2}}"#
        );

        let out = remove(body, &["model"]).unwrap_or_default();
        assert_eq!(out, br#"{"m":{"x":1},"m":{"y":2}}"#);
        assert_eq!(parse(&out), Some(json!({"m": {"y": 2}})));
    }

    #[test]
    fn set_replaces_or_inserts() {
        let body = br#"{"model":"a","stream":true}"#;
        assert_eq!(
            set(body, &["stream"], b"false").unwrap_or_default(),
            br#"{"model":"a","stream":false}"#
        );
        let out = set(body, &["stream_options", "include_usage"], b"true").unwrap_or_default();
        assert_eq!(
            out,
            br#"{"stream_options":{"include_usage":true},"model":"a","stream":true}"#
        );
        assert_only_range_changed(body, &out, 1..1);

        let body = br#" { "stream_options" : { "other" : 1 } , "model":"a" } "#;
        let out = set(body, &["stream_options", "include_usage"], b"true").unwrap_or_default();
        assert_eq!(
            out,
            br#" { "stream_options" : {"include_usage":true, "other" : 1 } , "model":"a" } "#
        );
        let out = set(body, &["stream_options", "other"], b"2").unwrap_or_default();
        assert_eq!(
            out,
            br#" { "stream_options" : { "other" : 2 } , "model":"a" } "#
        );

        assert_eq!(
            set(b"{}", &["a", "b", "c"], b"null").unwrap_or_default(),
            br#"{"a":{"b":{"c":null}}}"#
        );
        assert_eq!(
            set(b"{ }", &["k\"\n"], b"1").unwrap_or_default(),
            b"{\"k\\\"\\n\":1 }"
        );
        assert_eq!(
            parse(&set(b"{ }", &["k\"\n"], b"1").unwrap_or_default()),
            Some(json!({"k\"\n": 1}))
        );

        // Through a non-object, or not an object at all.
        assert_eq!(
            set(
                br#"{"stream_options":null}"#,
                &["stream_options", "include_usage"],
                b"true"
            ),
            None
        );
        assert_eq!(set(br#"{"a":[{}]}"#, &["a", "b"], b"1"), None);
        assert_eq!(set(b"[]", &["a"], b"1"), None);
        assert_eq!(set(b"\"{}\"", &["a"], b"1"), None);
        assert_eq!(set(b"", &["a"], b"1"), None);
        assert_eq!(set(b"{}", &[], b"1"), None);
        assert_eq!(set(b"{} x", &["a"], b"1"), None);
        assert_eq!(set(b"{\"a\":1,}", &["b"], b"1"), None);
        assert_eq!(set(b"{\"a\":1", &["b"], b"1"), None);
    }

    #[test]
    fn remove_members_and_commas() {
        type Case<'a> = (&'a [u8], &'a [&'a str], Option<&'a [u8]>);
        let cases: &[Case] = &[
            (br#"{"a":1,"b":2,"c":3}"#, &["a"], Some(br#"{"b":2,"c":3}"#)),
            (br#"{"a":1,"b":2,"c":3}"#, &["b"], Some(br#"{"a":1,"c":3}"#)),
            (br#"{"a":1,"b":2,"c":3}"#, &["c"], Some(br#"{"a":1,"b":2}"#)),
            (br#"{ "a" : 1 }"#, &["a"], Some(b"{  }")),
            (
                b"{\n  \"a\": 1,\n  \"b\": [1, {\"c\": 2}]\n}",
                &["b"],
                Some(b"{\n  \"a\": 1\n}"),
            ),
            (
                br#"{"s":{"include_usage":true,"x":1}}"#,
                &["s", "include_usage"],
                Some(br#"{"s":{"x":1}}"#),
            ),
            (br#"{"a":1}"#, &["b"], None),
            (br#"{"a":1}"#, &["a", "b"], None),
            (br#"{"a":{"b":1}}"#, &["x", "b"], None),
            (br#"[{"a":1}]"#, &["a"], None),
            (br#"{"a":1} x"#, &["a"], None),
            (br#"{"a":1}"#, &[], None),
        ];
        for (body, path, expected) in cases {
            let out = remove(body, path);
            assert_eq!(
                out.as_deref(),
                *expected,
                "{}",
                String::from_utf8_lossy(body)
            );
            if let Some(out) = out {
                let mut value = parse(body).unwrap_or_default();
                let (last, parents) = path.split_last().unwrap_or((&"", &[]));
                let mut target = &mut value;
                for key in parents {
                    target = &mut target[*key];
                }
                target.as_object_mut().map(|o| o.remove(*last));
                assert_eq!(parse(&out), Some(value));
            }
        }
    }

    #[test]
    fn quote_matches_serde_json() {
        let mut all_controls = String::new();
        for c in 0u8..0x20 {
            all_controls.push(char::from(c));
        }
        for s in [
            "",
            "plain",
            "a\"b\\c/d",
            "tab\there\nnew\r\u{8}\u{c}",
            "é世界😀\u{7f}\u{2028}",
            &all_controls,
        ] {
            assert_eq!(Some(quote(s)), serde_json::to_string(s).ok(), "{s:?}");
            let quoted = quote(s);
            let wrapped = format!("{{\"k\":{quoted}}}");
            assert_eq!(str_at(wrapped.as_bytes(), &["k"]).as_deref(), Some(s));
        }
    }

    /// Text of up to 40 characters with the bytes a JSON string escapes at every position of
    /// the eight-byte words the scanners read.
    fn text_with_escapes(rng: &mut Rng) -> String {
        let pieces = [
            "a", "é", "世", "😀", "\"", "\\", "\n", "\u{1}", "\u{1f}", " ", "\u{7f}", "\u{80}",
        ];
        (0..rng.below(40))
            .map(|_| *rng.pick(&pieces).unwrap_or(&"a"))
            .collect()
    }

    #[test]
    fn quote_matches_serde_json_at_every_offset() {
        let mut rng = Rng(11);
        for _ in 0..5_000 {
            let s = text_with_escapes(&mut rng);
            assert_eq!(Some(quote(&s)), serde_json::to_string(&s).ok(), "{s:?}");
        }
    }

    #[test]
    fn strings_end_where_they_end_at_every_distance_from_the_end_of_the_body() {
        let mut rng = Rng(13);
        for _ in 0..3_000 {
            let prefix = "p".repeat(rng.below(12));
            let text = text_with_escapes(&mut rng);
            let quoted = serde_json::to_string(&text).unwrap();
            // Nothing, or a few bytes, after the closing quote.
            let after = "}".repeat(rng.below(10));
            let body = format!("{prefix}{quoted}{after}");
            let (at, end) = (prefix.len(), prefix.len() + quoted.len());
            assert_eq!(skip_string(body.as_bytes(), at), Some(end), "{body:?}");
            let plain = quoted == format!("\"{text}\"");
            assert_eq!(
                string_end_plain(body.as_bytes(), at),
                Some((end, plain)),
                "{body:?}"
            );
            // Cut before its closing quote, it has no end.
            let cut = &body.as_bytes()[..end - 1];
            assert_eq!(
                skip_string(cut, at).filter(|&e| e <= cut.len()),
                None,
                "{body:?}"
            );
            assert_eq!(string_end_plain(cut, at), None, "{body:?}");
        }
    }

    #[test]
    fn a_literal_is_plain_only_when_its_text_needs_no_escape() {
        let mut rng = Rng(12);
        for _ in 0..5_000 {
            let s = text_with_escapes(&mut rng);
            let quoted = serde_json::to_string(&s).unwrap();
            let read = literal(&quoted).unwrap();
            assert_eq!(read.text, s);
            // Plain means the quoted text is the text as it is.
            assert_eq!(read.plain, quoted == format!("\"{s}\""), "{s:?}");
        }
        // Escapes that needed none (`\/`, `\u0041`) still make the text owned, not plain.
        let read = literal(r#""a\/\u0041""#).unwrap();
        assert_eq!((read.text.as_ref(), read.plain), ("a/A", false));
        // A raw control character or quote (not valid JSON, but read leniently) is not plain.
        for raw in ["\"a\u{1}b\"", "\"a\"b\"", "\"12345678\u{1f}\""] {
            assert!(!literal(raw).unwrap().plain, "{raw:?}");
        }
        assert_eq!(literal("\"bad\\q\""), None);
        assert_eq!(literal("no quotes"), None);
    }

    #[test]
    fn write_value_matches_serde_json() {
        let pieces = ["a", "é", "\"", "\\", "\n", "\u{1}", "😀", " "];
        let mut rng = Rng(5);
        let leaf = |rng: &mut Rng| -> serde_json::Value {
            match rng.below(7) {
                0 => serde_json::Value::Null,
                1 => serde_json::json!(rng.below(2) == 0),
                2 => serde_json::json!(rng.next()),
                3 => serde_json::json!(-(rng.below(1000) as i64)),
                4 => serde_json::json!(rng.below(100_000) as f64 / 7.0),
                _ => serde_json::json!(
                    (0..rng.below(12))
                        .map(|_| *rng.pick(&pieces).unwrap_or(&"a"))
                        .collect::<String>()
                ),
            }
        };
        for _ in 0..2_000 {
            let mut v = leaf(&mut rng);
            for _ in 0..rng.below(6) {
                v = if rng.below(2) == 0 {
                    serde_json::json!([v, leaf(&mut rng)])
                } else {
                    let key: String = (0..rng.below(4))
                        .map(|_| *rng.pick(&pieces).unwrap_or(&"a"))
                        .collect();
                    serde_json::json!({ key: v, "z": leaf(&mut rng), "a": [] })
                };
            }
            let mut out = Vec::new();
            write_value_with(&mut out, &v, &mut Repeats::default());
            assert_eq!(out, serde_json::to_vec(&v).unwrap(), "{v}");
        }
        // Long strings, repeated or not, through one memory of repeats.
        let mut repeats = Repeats::default();
        let long = |c: &str| format!("{}\n\"{c}\"", c.repeat(LONG));
        for v in [
            serde_json::json!({"text": long("a"), "part": {"text": long("a")}}),
            serde_json::json!([long("a"), long("b"), long("a"), "short"]),
            serde_json::json!({"text": long("b") + "x", "again": long("b")}),
        ] {
            let mut out = Vec::new();
            write_value_with(&mut out, &v, &mut repeats);
            assert_eq!(out, serde_json::to_vec(&v).unwrap());
        }
    }

    #[test]
    fn replace_clamps_bad_ranges() {
        assert_eq!(replace(b"abc", 1..2, b"XY"), b"aXYc");
        assert_eq!(replace(b"abc", 3..3, b"d"), b"abcd");
        assert_eq!(replace(b"abc", 2..10, b""), b"ab");
        assert_eq!(replace(b"abc", 7..9, b"z"), b"abcz");
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 2..1;
        assert_eq!(replace(b"abc", reversed, b"z"), b"abzc");
    }

    #[test]
    fn malformed_input_is_refused() {
        for body in [
            &b""[..],
            b"{",
            b"{\"a\"",
            b"{\"a\":",
            b"{\"a\":}",
            b"{\"a\" 1}",
            b"{\"a\":1 \"b\":2}",
            b"{,\"a\":1}",
            b"{\"a\":\"unterminated}",
            b"{\"a\":[1,2}",
            b"{\"a\":tru}",
            b"{'a':1}",
            b"{\"a\":1}}",
        ] {
            assert_eq!(
                find(body, &["a"]),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(set(body, &["a"], b"1"), None);
            assert_eq!(remove(body, &["a"]), None);
        }
    }

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

        fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
            items.get(self.below(items.len()))
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut rng = Rng(7);
        let alphabet = b"{}[]\":,\\ \t\nu0aAdDeE-+.tfnrul123\xff\xc3";
        let paths: &[&[&str]] = &[&[], &["a"], &["a", "b"], &["\u{0}"], &["model"]];
        for round in 0..20_000 {
            let len = rng.below(40);
            let body: Vec<u8> = (0..len)
                .map(|_| {
                    if round % 2 == 0 {
                        rng.pick(alphabet).copied().unwrap_or(b'x')
                    } else {
                        rng.next() as u8
                    }
                })
                .collect();
            for path in paths {
                let range = find(&body, path);
                if let Some(range) = &range {
                    assert!(range.start <= range.end && range.end <= body.len());
                }
                let _ = str_at(&body, path);
                let _ = bool_at(&body, path);
                let _ = set(&body, path, b"1");
                let _ = remove(&body, path);
            }
        }
        // Deep nesting does not recurse.
        let mut deep = b"{\"a\":".to_vec();
        deep.extend(std::iter::repeat_n(b'[', 1_000_000));
        deep.extend(std::iter::repeat_n(b']', 1_000_000));
        deep.extend_from_slice(b",\"b\":1}");
        assert_eq!(slice(&deep, find(&deep, &["b"])), Some(&b"1"[..]));
        let unclosed = vec![b'['; 100_000];
        assert_eq!(find(&unclosed, &[]), None);
    }

    fn random_key(rng: &mut Rng) -> String {
        const PARTS: &[&str] = &[
            "a", "b", "model", "é", "😀", "\"", "\\", "\n", " ", "\u{1}", "/",
        ];
        let n = rng.below(3) + 1;
        (0..n).filter_map(|_| rng.pick(PARTS).copied()).collect()
    }

    fn random_value(rng: &mut Rng, depth: usize) -> Value {
        let kind = if depth >= 4 {
            rng.below(5)
        } else {
            rng.below(7)
        };
        match kind {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => json!(rng.next() as i64 >> rng.below(64)),
            3 => json!(-(rng.below(1000) as i64)),
            4 => Value::String(random_key(rng)),
            5 => Value::Array(
                (0..rng.below(4))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
            ),
            _ => random_object(rng, depth + 1),
        }
    }

    fn random_object(rng: &mut Rng, depth: usize) -> Value {
        let mut map = serde_json::Map::new();
        for _ in 0..rng.below(5) {
            map.insert(random_key(rng), random_value(rng, depth));
        }
        Value::Object(map)
    }

    /// Serializes with random whitespace and random (but valid) string escapes.
    fn write_weird(rng: &mut Rng, value: &Value, out: &mut String) {
        const WS: &[&str] = &["", "", " ", "\n  ", "\t", "\r\n"];
        let ws =
            |rng: &mut Rng, out: &mut String| out.push_str(rng.pick(WS).copied().unwrap_or(""));
        match value {
            Value::String(s) => write_weird_str(rng, s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    ws(rng, out);
                    if i > 0 {
                        out.push(',');
                        ws(rng, out);
                    }
                    write_weird(rng, item, out);
                    ws(rng, out);
                }
                out.push(']');
            }
            Value::Object(map) => {
                out.push('{');
                ws(rng, out);
                for (i, (key, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                        ws(rng, out);
                    }
                    write_weird_str(rng, key, out);
                    ws(rng, out);
                    out.push(':');
                    ws(rng, out);
                    write_weird(rng, item, out);
                    ws(rng, out);
                }
                out.push('}');
            }
            other => out.push_str(&other.to_string()),
        }
    }

    fn write_weird_str(rng: &mut Rng, s: &str, out: &mut String) {
        out.push('"');
        for ch in s.chars() {
            let must = matches!(ch, '"' | '\\' | '\u{0}'..='\u{1f}');
            if must || rng.below(4) == 0 {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            } else {
                out.push(ch);
            }
        }
        out.push('"');
    }

    /// A random existing or absent path into `value`.
    fn random_path(rng: &mut Rng, value: &Value) -> Vec<String> {
        let mut path = Vec::new();
        let mut current = value;
        loop {
            let Value::Object(map) = current else {
                return path;
            };
            if map.is_empty() || rng.below(5) == 0 {
                path.push(random_key(rng));
                return path;
            }
            let Some((key, next)) = map.iter().nth(rng.below(map.len())) else {
                return path;
            };
            path.push(key.clone());
            if rng.below(3) == 0 {
                return path;
            }
            current = next;
        }
    }

    /// What `set` should do, on a `Value`.
    fn set_value(target: &mut Value, path: &[&str], new: Value) -> bool {
        let Some((first, rest)) = path.split_first() else {
            *target = new;
            return true;
        };
        let Some(map) = target.as_object_mut() else {
            return false;
        };
        if rest.is_empty() {
            map.insert((*first).to_owned(), new);
            return true;
        }
        let child = map.entry(*first).or_insert_with(|| json!({}));
        set_value(child, rest, new)
    }

    fn lookup_value<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
        path.iter()
            .try_fold(value, |v, key| v.as_object()?.get(*key))
    }

    #[test]
    fn agrees_with_serde_json_on_random_documents() {
        let mut rng = Rng(0xDEAD_BEEF);
        let mut checked = [0usize; 4];
        for _ in 0..3_000 {
            let value = random_object(&mut rng, 0);
            let mut text = String::new();
            write_weird(&mut rng, &value, &mut text);
            let body = text.as_bytes();
            assert_eq!(parse(body).as_ref(), Some(&value), "{text}");
            let owned = random_path(&mut rng, &value);
            let path: Vec<&str> = owned.iter().map(String::as_str).collect();
            let expected = lookup_value(&value, &path);

            // find / str_at
            let found = find(body, &path);
            assert_eq!(
                slice(body, found.clone()).and_then(parse).as_ref(),
                expected,
                "{text} {path:?}"
            );
            assert_eq!(
                str_at(body, &path).as_deref(),
                expected.and_then(Value::as_str)
            );
            assert_eq!(bool_at(body, &path), expected.and_then(Value::as_bool));

            // set: replace or insert
            let new_value = json!({"new": [1, "two"]});
            let mut patched = value.clone();
            let reachable = set_value(&mut patched, &path, new_value.clone());
            let out = set(body, &path, new_value.to_string().as_bytes());
            if reachable {
                assert_eq!(
                    out.as_deref().and_then(parse),
                    Some(patched),
                    "{text} {path:?}"
                );
                if let (Some(out), Some(range)) = (&out, &found) {
                    assert_only_range_changed(body, out, range.clone());
                    checked[0] += 1;
                } else {
                    checked[1] += 1;
                }
            } else {
                assert_eq!(out, None);
            }

            // remove
            let out = remove(body, &path);
            if expected.is_some() {
                let mut removed = value.clone();
                let (last, parents) = path.split_last().unwrap_or((&"", &[]));
                let mut target = &mut removed;
                for key in parents {
                    target = &mut target[*key];
                }
                target.as_object_mut().map(|o| o.remove(*last));
                assert_eq!(
                    out.as_deref().and_then(parse),
                    Some(removed),
                    "{text} {path:?}"
                );
                checked[2] += 1;
            } else {
                assert_eq!(out, None);
                checked[3] += 1;
            }
        }
        assert!(checked.iter().all(|&n| n > 100), "{checked:?}");
    }
}

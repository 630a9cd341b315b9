//! The sticky-session key of a request, read from its headers and body bytes. Pure: no I/O, no clock.
//!
//! First match wins:
//! 1. Anthropic `metadata.user_id` (Claude Code): the session uuid, from the legacy
//!    `user_<hex>_account_<uuid or empty>_session_<uuid>` string or the JSON-in-a-string form
//!    `{"device_id":..,"account_uuid":..,"session_id":..}`.
//! 2. Responses `previous_response_id`: the follow-up must reach the account that produced the
//!    response (it holds the stored response and the only key that decrypts its reasoning), so it
//!    outranks every affinity hint below.
//! 3. `session_id` / `session-id`, `conversation_id` / `conversation-id`, `x-claude-code-session-id`
//!    headers.
//! 4. OpenAI `prompt_cache_key`.
//! 5. A digest of the client key id + the system prompt + the first user message, so two callers
//!    never share a fallback key and the key does not change from turn to turn. `cache_control`
//!    members are left out of the digest at any depth (clients move them to the newest message
//!    every turn; hashing them changed the key each turn in a peer, CRS PR #334), and so are
//!    whitespace and commas.
//!
//! Identifiers longer than [`MAX_ID_LEN`] bytes are replaced by their sha256 (see [`compact`]),
//! so one binding's memory is bounded whatever the client sends.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use crate::protocol::{Dialect, json};

/// A request's sticky-session key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SessionKey {
    /// Claude Code session uuid from Anthropic `metadata.user_id`.
    ClaudeSession(String),
    /// A `session_id` / `conversation_id` / `x-claude-code-session-id` header (dash or underscore).
    Header(String),
    /// OpenAI `prompt_cache_key` body field.
    PromptCacheKey(String),
    /// Responses `previous_response_id`: the follow-up must go to the account that produced it.
    PreviousResponse(String),
    /// Fallback: 32 hex chars of sha256 over key id + system prompt + first user message.
    Digest(String),
}

/// Longest identifier kept verbatim; longer ones are stored as their sha256 hex.
pub const MAX_ID_LEN: usize = 128;

/// Headers carrying a client session id, in order of preference.
const SESSION_HEADERS: [&str; 5] = [
    "session_id",
    "session-id",
    "conversation_id",
    "conversation-id",
    "x-claude-code-session-id",
];

/// The sticky-session key of a request in `dialect`, or `None` when it carries nothing to key on
/// (no session hint and no user message).
pub fn session_key(
    dialect: Dialect,
    headers: &http::HeaderMap,
    body: &[u8],
    key_id: &str,
) -> Option<SessionKey> {
    if dialect == Dialect::Anthropic
        && let Some(user_id) = json::str_at(body, &["metadata", "user_id"])
        && let Some(session) = claude_session(&user_id)
    {
        return Some(SessionKey::ClaudeSession(compact(session.trim())));
    }
    if dialect == Dialect::OpenAiResponses
        && let Some(id) = non_empty_field(body, "previous_response_id")
    {
        return Some(SessionKey::PreviousResponse(compact(&id)));
    }
    for name in SESSION_HEADERS {
        let value = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            return Some(SessionKey::Header(compact(value)));
        }
    }
    if matches!(dialect, Dialect::OpenAiChat | Dialect::OpenAiResponses)
        && let Some(key) = non_empty_field(body, "prompt_cache_key")
    {
        return Some(SessionKey::PromptCacheKey(compact(&key)));
    }
    digest(dialect, body, key_id).map(SessionKey::Digest)
}

/// `id` itself when it is at most [`MAX_ID_LEN`] bytes, else its sha256 as 64 hex chars. Applied to
/// every identifier a [`SessionKey`] holds; the sticky table applies it to response ids too.
pub fn compact(id: &str) -> String {
    if id.len() <= MAX_ID_LEN {
        id.to_owned()
    } else {
        hex(&Sha256::digest(id.as_bytes()))
    }
}

/// A non-empty top-level string field (surrounding whitespace trimmed).
fn non_empty_field(body: &[u8], field: &str) -> Option<String> {
    let value = json::str_at(body, &[field])?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The session uuid in a Claude Code `metadata.user_id`.
fn claude_session(user_id: &str) -> Option<Cow<'_, str>> {
    let user_id = user_id.trim();
    if user_id.starts_with('{') {
        // Claude Code >= 2.1.78: a JSON object serialized into the string.
        let session = json::str_at(user_id.as_bytes(), &["session_id"])?;
        return (!session.trim().is_empty()).then_some(session);
    }
    let rest = user_id.strip_prefix("user_")?;
    let at = rest.rfind("_session_")?;
    let head = rest.get(..at)?;
    let session = rest.get(at..)?.strip_prefix("_session_")?;
    let is_uuidish = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    (head.contains("_account_") && !session.is_empty() && is_uuidish(session))
        .then_some(Cow::Borrowed(session))
}

/// The fallback digest: `None` when the body has no user message to hash.
fn digest(dialect: Dialect, body: &[u8], key_id: &str) -> Option<String> {
    let (system, first_user): (Option<&[u8]>, &[u8]) = match dialect {
        Dialect::Anthropic => (
            value(body, &["system"]),
            first_with_role(value(body, &["messages"])?, |r| r == Some("user"))?,
        ),
        Dialect::OpenAiChat => {
            let messages = value(body, &["messages"])?;
            (
                first_with_role(messages, |r| matches!(r, Some("system" | "developer"))),
                first_with_role(messages, |r| r == Some("user"))?,
            )
        }
        Dialect::OpenAiResponses => {
            let input = value(body, &["input"])?;
            let first_user = if input.starts_with(b"\"") {
                input
            } else {
                first_with_role(input, |r| r == Some("user"))?
            };
            (value(body, &["instructions"]), first_user)
        }
        Dialect::Gemini => (
            value(body, &["systemInstruction"]).or_else(|| value(body, &["system_instruction"])),
            first_with_role(value(body, &["contents"])?, |r| {
                matches!(r, None | Some("user"))
            })?,
        ),
    };
    let tag: &[u8] = match dialect {
        Dialect::Anthropic => b"anthropic",
        Dialect::OpenAiChat => b"openai-chat",
        Dialect::OpenAiResponses => b"openai-responses",
        Dialect::Gemini => b"gemini",
    };
    let mut outer = Sha256::new();
    outer.update(b"relay-session-digest-v1");
    outer.update(Sha256::digest(tag));
    outer.update(Sha256::digest(key_id.as_bytes()));
    outer.update(canonical_digest(system));
    outer.update(canonical_digest(Some(first_user)));
    let full = outer.finalize();
    Some(hex(full.get(..16)?))
}

/// The raw bytes of the value at `path`, `null` counting as absent.
fn value<'a>(body: &'a [u8], path: &[&str]) -> Option<&'a [u8]> {
    let raw = body.get(json::find(body, path)?)?;
    (raw != b"null").then_some(raw)
}

/// The first element of the JSON array `array` whose `role` satisfies `wanted` (`None` = no
/// string `role` member).
fn first_with_role(array: &[u8], wanted: impl Fn(Option<&str>) -> bool) -> Option<&[u8]> {
    Elements::new(array)?
        .find(|item| item.starts_with(b"{") && wanted(json::str_at(item, &["role"]).as_deref()))
}

/// sha256 of the canonical token stream of a value (or of a marker when it is absent).
fn canonical_digest(raw: Option<&[u8]>) -> impl AsRef<[u8]> {
    let mut h = Sha256::new();
    match raw {
        None => h.update([0u8]),
        Some(raw) => {
            h.update([1u8]);
            canonical(raw, &mut |piece| h.update(piece));
        }
    }
    h.finalize()
}

/// Feeds a canonical form of the JSON text `raw` to `sink`: every token in order, without
/// whitespace and commas (scalars get a `;` terminator instead, so the stream stays unambiguous),
/// and without any member named `cache_control`, at any depth. Malformed input is fed as far as it
/// can be tokenized. Never recurses.
fn canonical(raw: &[u8], sink: &mut impl FnMut(&[u8])) {
    const CACHE_CONTROL: &[u8] = b"\"cache_control\"";
    let mut pos = 0;
    while let Some(&byte) = raw.get(pos) {
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => pos += 1,
            b'{' | b'}' | b'[' | b']' | b':' => {
                sink(&[byte]);
                pos += 1;
            }
            b'"' => {
                let Some(end) = json::skip_string(raw, pos) else {
                    sink(raw.get(pos..).unwrap_or_default());
                    return;
                };
                let token = raw.get(pos..end).unwrap_or_default();
                let after = skip_ws(raw, end);
                if token == CACHE_CONTROL && raw.get(after) == Some(&b':') {
                    let value_start = skip_ws(raw, after + 1);
                    match skip_value(raw, value_start) {
                        Some(value_end) => pos = value_end,
                        None => return,
                    }
                    continue;
                }
                sink(token);
                pos = end;
            }
            _ => {
                let end = scalar_end(raw, pos + 1);
                sink(raw.get(pos..end).unwrap_or_default());
                sink(b";");
                pos = end;
            }
        }
    }
}

/// The elements of one JSON array, as raw byte slices; stops early on malformed input.
struct Elements<'a> {
    raw: &'a [u8],
    pos: usize,
    first: bool,
    done: bool,
}

impl<'a> Elements<'a> {
    /// `None` unless `raw` starts with `[`.
    fn new(raw: &'a [u8]) -> Option<Self> {
        raw.starts_with(b"[").then_some(Self {
            raw,
            pos: 1,
            first: true,
            done: false,
        })
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.done {
            return None;
        }
        let mut pos = skip_ws(self.raw, self.pos);
        let item = match self.raw.get(pos) {
            Some(b']') | None => None,
            Some(b',') if !self.first => {
                pos = skip_ws(self.raw, pos + 1);
                skip_value(self.raw, pos).map(|end| (pos, end))
            }
            Some(_) if self.first => skip_value(self.raw, pos).map(|end| (pos, end)),
            Some(_) => None,
        };
        let Some((start, end)) = item else {
            self.done = true;
            return None;
        };
        self.first = false;
        self.pos = end;
        self.raw.get(start..end)
    }
}

fn skip_ws(raw: &[u8], pos: usize) -> usize {
    let rest = raw.get(pos..).unwrap_or_default();
    pos + rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(rest.len())
}

/// End of a number or literal starting before `pos`: the next delimiter or the end of input.
fn scalar_end(raw: &[u8], pos: usize) -> usize {
    let rest = raw.get(pos..).unwrap_or_default();
    pos + rest
        .iter()
        .position(|b| {
            matches!(
                b,
                b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'"' | b'{' | b'}' | b'[' | b']'
            )
        })
        .unwrap_or(rest.len())
}

/// End of the value starting at `pos` (structurally: strings and bracket matching, no validation).
fn skip_value(raw: &[u8], pos: usize) -> Option<usize> {
    match *raw.get(pos)? {
        b'"' => json::skip_string(raw, pos),
        b'{' | b'[' => json::skip_container(raw, pos),
        b'}' | b']' | b',' | b':' => None,
        _ => Some(scalar_end(raw, pos + 1)),
    }
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            out.push(char::from(
                HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderName, HeaderValue};
    use serde_json::{Value, json};

    use super::*;

    const DEVICE: &str = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d1f";
    const ACCOUNT: &str = "5b1a7e0c-3d2f-4e6a-9c8b-7f1e2d3c4b5a";
    const SESSION: &str = "6c0e3f7a-1b2d-4c5e-8f9a-0b1c2d3e4f5a";

    fn no_headers() -> HeaderMap {
        HeaderMap::new()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for &(name, value) in pairs {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn bytes(v: &Value) -> Vec<u8> {
        v.to_string().into_bytes()
    }

    fn key(dialect: Dialect, h: &HeaderMap, body: &Value) -> Option<SessionKey> {
        session_key(dialect, h, &bytes(body), "key-1")
    }

    fn digest_of(dialect: Dialect, body: &[u8], key_id: &str) -> String {
        match session_key(dialect, &no_headers(), body, key_id) {
            Some(SessionKey::Digest(d)) => d,
            other => panic!("expected a digest, got {other:?}"),
        }
    }

    /// A Claude Code style Anthropic body.
    fn claude_body(user_id: Option<String>) -> Value {
        let mut body = json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 32000,
            "system": [
                {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.",
                 "cache_control": {"type": "ephemeral"}},
            ],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            "stream": true,
        });
        if let Some(user_id) = user_id {
            body["metadata"] = json!({ "user_id": user_id });
        }
        body
    }

    #[test]
    fn claude_code_legacy_user_id() {
        for account in ["", ACCOUNT] {
            let user_id = format!("user_{DEVICE}_account_{account}_session_{SESSION}");
            let body = claude_body(Some(user_id));
            assert_eq!(
                key(Dialect::Anthropic, &no_headers(), &body),
                Some(SessionKey::ClaudeSession(SESSION.into())),
                "account {account:?}"
            );
        }
    }

    #[test]
    fn claude_code_json_user_id() {
        let user_id = json!({"device_id": DEVICE, "account_uuid": ACCOUNT, "session_id": SESSION});
        let body = claude_body(Some(user_id.to_string()));
        // metadata.user_id is a string holding JSON.
        assert!(body["metadata"]["user_id"].is_string());
        // It wins over Claude Code's session header too.
        let h = headers(&[(
            "x-claude-code-session-id",
            "11111111-2222-3333-4444-555555555555",
        )]);
        assert_eq!(
            key(Dialect::Anthropic, &h, &body),
            Some(SessionKey::ClaudeSession(SESSION.into()))
        );
        // Empty account uuid, other key order, whitespace.
        let user_id = format!(
            r#"{{ "session_id": "{SESSION}", "account_uuid": "", "device_id": "{DEVICE}" }}"#
        );
        assert_eq!(
            key(
                Dialect::Anthropic,
                &no_headers(),
                &claude_body(Some(user_id))
            ),
            Some(SessionKey::ClaudeSession(SESSION.into()))
        );
    }

    #[test]
    fn other_user_ids_fall_through() {
        let h = headers(&[("x-claude-code-session-id", "hdr-session")]);
        for user_id in [
            "alice".to_owned(),
            format!("user_{DEVICE}_session_{SESSION}"),
            format!("user_{DEVICE}_account_{ACCOUNT}_session_"),
            format!("user_{DEVICE}_account_{ACCOUNT}_session_not a uuid"),
            r#"{"device_id":"x","session_id":""}"#.to_owned(),
            r#"{"device_id":"x"}"#.to_owned(),
            "{not json".to_owned(),
        ] {
            let body = claude_body(Some(user_id.clone()));
            assert_eq!(
                key(Dialect::Anthropic, &h, &body),
                Some(SessionKey::Header("hdr-session".into())),
                "{user_id}"
            );
        }
        // A user_id that is not a string is ignored.
        let mut body = claude_body(None);
        body["metadata"] = json!({"user_id": {"session_id": SESSION}});
        assert_eq!(
            key(Dialect::Anthropic, &h, &body),
            Some(SessionKey::Header("hdr-session".into()))
        );
        // metadata.user_id means nothing outside the Anthropic dialect.
        let user_id = format!("user_{DEVICE}_account__session_{SESSION}");
        let body = json!({"metadata": {"user_id": user_id}, "messages": [{"role": "user", "content": "x"}]});
        assert!(matches!(
            key(Dialect::OpenAiChat, &no_headers(), &body),
            Some(SessionKey::Digest(_))
        ));
    }

    #[test]
    fn header_spellings_and_precedence() {
        let body = json!({"messages": [{"role": "user", "content": "x"}]});
        for name in [
            "session_id",
            "session-id",
            "conversation_id",
            "conversation-id",
            "x-claude-code-session-id",
        ] {
            let h = headers(&[(name, " 0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b ")]);
            for dialect in [
                Dialect::Anthropic,
                Dialect::OpenAiChat,
                Dialect::OpenAiResponses,
                Dialect::Gemini,
            ] {
                assert_eq!(
                    key(dialect, &h, &body),
                    Some(SessionKey::Header(
                        "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into()
                    )),
                    "{name} {dialect:?}"
                );
            }
        }
        // Session before conversation before the Claude Code header.
        let h = headers(&[
            ("x-claude-code-session-id", "cc"),
            ("conversation_id", "conv"),
            ("session-id", "sess"),
        ]);
        assert_eq!(
            key(Dialect::OpenAiChat, &h, &body),
            Some(SessionKey::Header("sess".into()))
        );
        let h = headers(&[
            ("x-claude-code-session-id", "cc"),
            ("conversation-id", "conv"),
        ]);
        assert_eq!(
            key(Dialect::OpenAiChat, &h, &body),
            Some(SessionKey::Header("conv".into()))
        );
        // Blank or non-ASCII values are skipped.
        let mut h = headers(&[("session_id", "   "), ("conversation_id", "conv")]);
        assert_eq!(
            key(Dialect::OpenAiChat, &h, &body),
            Some(SessionKey::Header("conv".into()))
        );
        h.insert(
            HeaderName::from_static("conversation_id"),
            HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap_or(HeaderValue::from_static("x")),
        );
        assert!(matches!(
            key(Dialect::OpenAiChat, &h, &body),
            Some(SessionKey::Digest(_))
        ));
    }

    #[test]
    fn prompt_cache_key() {
        let body = json!({
            "model": "gpt-5-codex",
            "instructions": "You are Codex.",
            "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
            "prompt_cache_key": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "store": false,
        });
        for dialect in [Dialect::OpenAiResponses, Dialect::OpenAiChat] {
            assert_eq!(
                key(dialect, &no_headers(), &body),
                Some(SessionKey::PromptCacheKey(
                    "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into()
                ))
            );
        }
        // The session header (Codex sends both) wins.
        let h = headers(&[("session-id", "codex-session")]);
        assert_eq!(
            key(Dialect::OpenAiResponses, &h, &body),
            Some(SessionKey::Header("codex-session".into()))
        );
        // Not an Anthropic field; an empty key is no key.
        let body = json!({"prompt_cache_key": "k", "messages": [{"role": "user", "content": "x"}]});
        assert!(matches!(
            key(Dialect::Anthropic, &no_headers(), &body),
            Some(SessionKey::Digest(_))
        ));
        let body = json!({"prompt_cache_key": "", "messages": [{"role": "user", "content": "x"}]});
        assert!(matches!(
            key(Dialect::OpenAiChat, &no_headers(), &body),
            Some(SessionKey::Digest(_))
        ));
    }

    #[test]
    fn previous_response_id() {
        let body = json!({
            "model": "gpt-5",
            "previous_response_id": "resp_68a1b2c3d4e5f60718293a4b5c6d7e8f",
            "input": [{"type": "function_call_output", "call_id": "call_1", "output": "ok"}],
            "prompt_cache_key": "pck",
        });
        let want = Some(SessionKey::PreviousResponse(
            "resp_68a1b2c3d4e5f60718293a4b5c6d7e8f".into(),
        ));
        assert_eq!(key(Dialect::OpenAiResponses, &no_headers(), &body), want);
        // It outranks the session headers: only the producing account holds the response.
        let h = headers(&[("session_id", "s")]);
        assert_eq!(key(Dialect::OpenAiResponses, &h, &body), want);
        // Chat Completions has no such field.
        assert_eq!(
            key(Dialect::OpenAiChat, &no_headers(), &body),
            Some(SessionKey::PromptCacheKey("pck".into()))
        );
        let body = json!({"previous_response_id": null, "input": "hi"});
        assert!(matches!(
            key(Dialect::OpenAiResponses, &no_headers(), &body),
            Some(SessionKey::Digest(_))
        ));
    }

    #[test]
    fn long_ids_are_compacted() {
        let long = "s".repeat(10_000);
        let body = json!({"prompt_cache_key": long, "input": "x"});
        let Some(SessionKey::PromptCacheKey(k)) =
            key(Dialect::OpenAiResponses, &no_headers(), &body)
        else {
            panic!("no key");
        };
        assert_eq!(k.len(), 64);
        assert!(k.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(compact(&long), k);
        assert_eq!(compact(&k), k);
        let exact = "x".repeat(MAX_ID_LEN);
        assert_eq!(compact(&exact), exact);
    }

    /// Claude Code turn 1 and turn 3 of one conversation: `cache_control` moves to the newest
    /// message, the body is re-serialized with other whitespace, messages are appended.
    #[test]
    fn anthropic_digest_is_stable_across_turns() {
        let system = json!([
            {"type": "text", "text": "You are a helpful assistant."},
            {"type": "text", "text": "Project rules...", "cache_control": {"type": "ephemeral"}},
        ]);
        let first_user_turn1 = json!({"role": "user", "content": [
            {"type": "text", "text": "<system-reminder>ctx</system-reminder>"},
            {"type": "text", "text": "fix the bug", "cache_control": {"type": "ephemeral"}},
        ]});
        let first_user_later = json!({"role": "user", "content": [
            {"type": "text", "text": "<system-reminder>ctx</system-reminder>"},
            {"type": "text", "text": "fix the bug"},
        ]});
        let turn1 = json!({"model": "m", "system": system, "messages": [first_user_turn1]});
        let turn3 = json!({"model": "m", "system": system, "max_tokens": 5, "messages": [
            first_user_later,
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Read", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
                {"type": "text", "text": "file", "cache_control": {"type": "ephemeral"}}]}]},
            {"role": "assistant", "content": "done"},
            {"role": "user", "content": [{"type": "text", "text": "thanks", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]},
        ]});
        let d1 = digest_of(Dialect::Anthropic, &bytes(&turn1), "key-1");
        assert_eq!(d1.len(), 32);
        assert!(d1.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        assert_eq!(digest_of(Dialect::Anthropic, &bytes(&turn3), "key-1"), d1);
        // Pretty-printed (whitespace) bodies hash the same.
        let pretty = serde_json::to_vec_pretty(&turn3).unwrap_or_default();
        assert_eq!(digest_of(Dialect::Anthropic, &pretty, "key-1"), d1);
        // Leading non-user messages are skipped: the first *user* message counts.
        let mut with_system_turn = turn3.clone();
        if let Some(messages) = with_system_turn["messages"].as_array_mut() {
            messages.insert(0, json!({"role": "system", "content": "per-turn control"}));
        }
        assert_eq!(
            digest_of(Dialect::Anthropic, &bytes(&with_system_turn), "key-1"),
            d1
        );

        // Another caller, another first message, another system prompt: another digest.
        assert_ne!(digest_of(Dialect::Anthropic, &bytes(&turn1), "key-2"), d1);
        let mut other = turn1.clone();
        other["messages"][0]["content"][1]["text"] = json!("fix the other bug");
        assert_ne!(digest_of(Dialect::Anthropic, &bytes(&other), "key-1"), d1);
        let mut other = turn1.clone();
        other["system"] = json!("You are terse.");
        assert_ne!(digest_of(Dialect::Anthropic, &bytes(&other), "key-1"), d1);
        let mut no_system = turn1.clone();
        if let Some(o) = no_system.as_object_mut() {
            o.remove("system");
        }
        let d_no_system = digest_of(Dialect::Anthropic, &bytes(&no_system), "key-1");
        assert_ne!(d_no_system, d1);
        no_system["system"] = Value::Null;
        assert_eq!(
            digest_of(Dialect::Anthropic, &bytes(&no_system), "key-1"),
            d_no_system
        );
        // A string value that merely contains "cache_control" is content, not a marker.
        let mut other = turn1.clone();
        other["messages"][0]["content"][1]["text"] = json!("cache_control");
        assert_ne!(digest_of(Dialect::Anthropic, &bytes(&other), "key-1"), d1);
    }

    #[test]
    fn chat_digest() {
        let turn1 = json!({"model": "gpt-4.1", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hello"},
        ]});
        let turn2 = json!({"model": "gpt-4.1", "stream": true, "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "hi"},
            {"role": "user", "content": "more"},
        ]});
        let d = digest_of(Dialect::OpenAiChat, &bytes(&turn1), "k");
        assert_eq!(digest_of(Dialect::OpenAiChat, &bytes(&turn2), "k"), d);
        assert_ne!(digest_of(Dialect::OpenAiChat, &bytes(&turn1), "k2"), d);
        let other_system = json!({"messages": [
            {"role": "system", "content": "Be verbose."},
            {"role": "user", "content": "hello"},
        ]});
        assert_ne!(
            digest_of(Dialect::OpenAiChat, &bytes(&other_system), "k"),
            d
        );
        // The same conversation in another dialect is another session.
        assert_ne!(digest_of(Dialect::Anthropic, &bytes(&turn1), "k"), d);
    }

    #[test]
    fn responses_digest() {
        let turn1 = json!({"model": "gpt-5-codex", "instructions": "You are Codex.", "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "sandbox"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context/>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "add tests"}]},
        ]});
        let turn2 = json!({"model": "gpt-5-codex", "instructions": "You are Codex.", "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "sandbox"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context/>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "add tests"}]},
            {"type": "reasoning", "encrypted_content": "gAAAA..."},
            {"type": "function_call", "call_id": "c1", "name": "shell", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "ok"},
        ]});
        let d = digest_of(Dialect::OpenAiResponses, &bytes(&turn1), "k");
        assert_eq!(digest_of(Dialect::OpenAiResponses, &bytes(&turn2), "k"), d);
        let mut other = turn1.clone();
        other["instructions"] = json!("You are someone else.");
        assert_ne!(digest_of(Dialect::OpenAiResponses, &bytes(&other), "k"), d);

        // A string input is the first user message.
        let s1 = json!({"instructions": "x", "input": "What is 2+2?"});
        let s2 = json!({"instructions": "x", "input": "What is 2+3?"});
        let d1 = digest_of(Dialect::OpenAiResponses, &bytes(&s1), "k");
        assert_ne!(digest_of(Dialect::OpenAiResponses, &bytes(&s2), "k"), d1);
        assert_eq!(digest_of(Dialect::OpenAiResponses, &bytes(&s1), "k"), d1);
    }

    #[test]
    fn gemini_digest() {
        let turn1 = json!({
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "contents": [{"role": "user", "parts": [{"text": "hello"}]}],
        });
        let turn2 = json!({
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "contents": [
                {"role": "user", "parts": [{"text": "hello"}]},
                {"role": "model", "parts": [{"text": "hi"}]},
                {"role": "user", "parts": [{"text": "more"}]},
            ],
        });
        let d = digest_of(Dialect::Gemini, &bytes(&turn1), "k");
        assert_eq!(digest_of(Dialect::Gemini, &bytes(&turn2), "k"), d);
        let snake = json!({
            "system_instruction": {"parts": [{"text": "Be brief."}]},
            "contents": [{"role": "user", "parts": [{"text": "hello"}]}],
        });
        assert_eq!(digest_of(Dialect::Gemini, &bytes(&snake), "k"), d);
        // A content without a role is a user turn.
        let no_role = json!({"contents": [{"parts": [{"text": "hello"}]}]});
        assert!(matches!(
            key(Dialect::Gemini, &no_headers(), &no_role),
            Some(SessionKey::Digest(_))
        ));
    }

    #[test]
    fn nothing_to_hash() {
        let cases: &[(Dialect, &[u8])] = &[
            (Dialect::Anthropic, b""),
            (Dialect::Anthropic, b"{}"),
            (Dialect::Anthropic, b"not json"),
            (Dialect::Anthropic, br#"{"system":"s","messages":[]}"#),
            (
                Dialect::Anthropic,
                br#"{"messages":[{"role":"assistant","content":"x"}]}"#,
            ),
            (Dialect::Anthropic, br#"{"messages":"user"}"#),
            (
                Dialect::Anthropic,
                br#"{"messages":[{"role":"user","content":"x"}"#,
            ),
            (
                Dialect::OpenAiChat,
                br#"{"messages":[{"role":"system","content":"s"}]}"#,
            ),
            (Dialect::OpenAiChat, br#"{"messages":null}"#),
            (Dialect::OpenAiResponses, br#"{"instructions":"s"}"#),
            (Dialect::OpenAiResponses, br#"{"input":[]}"#),
            (
                Dialect::OpenAiResponses,
                br#"{"input":[{"type":"function_call_output"}]}"#,
            ),
            (
                Dialect::Gemini,
                br#"{"contents":[{"role":"model","parts":[]}]}"#,
            ),
            (Dialect::Gemini, br#"{"systemInstruction":{"parts":[]}}"#),
        ];
        for (dialect, body) in cases {
            assert_eq!(
                session_key(*dialect, &no_headers(), body, "k"),
                None,
                "{dialect:?} {}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn canonical_form() {
        let canon = |raw: &[u8]| {
            let mut out = Vec::new();
            canonical(raw, &mut |piece| out.extend_from_slice(piece));
            String::from_utf8_lossy(&out).into_owned()
        };
        assert_eq!(
            canon(br#" { "a" : [1, 2.5e3, true, null, "x,y"] } "#),
            r#"{"a":[1;2.5e3;true;null;"x,y"]}"#
        );
        assert_eq!(canon(b"[12]"), "[12;]");
        assert_eq!(canon(b"[1,2]"), "[1;2;]");
        assert_eq!(
            canon(br#"{"cache_control":{"type":"ephemeral"},"a":{"b":1,"cache_control" : "x"},"c":["cache_control"]}"#),
            r#"{"a":{"b":1;}"c":["cache_control"]}"#
        );
        assert_eq!(canon(br#"{"a":"esc\"aped"}"#), r#"{"a":"esc\"aped"}"#);
        // Malformed input is fed as far as it goes.
        assert_eq!(canon(br#"{"a":"unterminated"#), r#"{"a":"unterminated"#);
        assert_eq!(canon(br#"{"cache_control":{"#), "{");
    }

    #[test]
    fn array_elements() {
        let items = |raw: &[u8]| -> Option<Vec<String>> {
            Some(
                Elements::new(raw)?
                    .map(|e| String::from_utf8_lossy(e).into_owned())
                    .collect(),
            )
        };
        assert_eq!(items(b"[]"), Some(vec![]));
        assert_eq!(items(b"[ ]"), Some(vec![]));
        assert_eq!(
            items(br#"[1, "a]", {"b":[2,3]} ,null]"#),
            Some(vec![
                "1".into(),
                r#""a]""#.into(),
                r#"{"b":[2,3]}"#.into(),
                "null".into()
            ])
        );
        assert_eq!(items(b"{}"), None);
        // Stops at malformed input.
        assert_eq!(items(b"[1 2]"), Some(vec!["1".into()]));
        assert_eq!(items(b"[,1]"), Some(vec![]));
        assert_eq!(items(br#"[{"a":1}, {"#), Some(vec![r#"{"a":1}"#.into()]));
    }

    /// Small deterministic PRNG (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
        }
    }

    #[test]
    fn arbitrary_bodies_never_panic() {
        let mut rng = Rng(42);
        let alphabet =
            b"{}[]\":,\\ \nuser role messages input system contents cache_control 0-1.e tfn\xff";
        let prefixes: [&[u8]; 4] = [
            br#"{"messages":["#,
            br#"{"input":["#,
            br#"{"contents":["#,
            br#"{"metadata":{"user_id":"{"#,
        ];
        let dialects = [
            Dialect::Anthropic,
            Dialect::OpenAiChat,
            Dialect::OpenAiResponses,
            Dialect::Gemini,
        ];
        let h = no_headers();
        for round in 0..20_000 {
            let mut body = prefixes
                .get(rng.below(prefixes.len()))
                .copied()
                .unwrap_or_default()
                .to_vec();
            for _ in 0..rng.below(60) {
                body.push(
                    alphabet
                        .get(rng.below(alphabet.len()))
                        .copied()
                        .unwrap_or(b'x'),
                );
            }
            if round % 3 == 0 {
                body.extend_from_slice(b"]}");
            }
            for dialect in dialects {
                if let Some(SessionKey::Digest(d)) = session_key(dialect, &h, &body, "k") {
                    assert_eq!(d.len(), 32);
                }
            }
        }
    }
}

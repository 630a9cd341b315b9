//! Test helpers shared by the Anthropic-upstream pairs: SSE events in and out, a seeded RNG and
//! a random Anthropic stream generator. Test-only; pure (no I/O).

use bytes::Bytes;
use serde_json::json;

use crate::http::sse;

/// Decodes SSE bytes into events.
pub fn decode(bytes: &[u8]) -> Vec<sse::Event> {
    let mut out = Vec::new();
    let mut d = sse::Decoder::new(1 << 24);
    assert!(d.push(bytes, &mut out).is_ok());
    out
}

/// Anthropic events from `(name, data)` pairs.
pub fn events(list: &[(&str, serde_json::Value)]) -> Vec<sse::Event> {
    let bytes: Vec<u8> = list
        .iter()
        .flat_map(|(name, data)| sse::encode(Some(name), &data.to_string()).to_vec())
        .collect();
    decode(&bytes)
}

/// The client events in `out`: (event name, data).
pub fn client_events(out: &[Bytes]) -> Vec<(Option<String>, String)> {
    let bytes: Vec<u8> = out.iter().flat_map(|b| b.to_vec()).collect();
    decode(&bytes)
        .into_iter()
        .map(|e| (e.event, e.data))
        .collect()
}

/// xorshift64*: a small deterministic PRNG.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or_default()
    }
}

/// A random, often malformed, Anthropic stream as SSE bytes.
pub fn random_stream(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&str] = &[
        "", "a", "é😀", "\"", "\\", "\n", "{\"x\": ", "1}", "[", "null", "\u{0}", "}", "\r\n",
    ];
    const BLOCKS: &[&str] = &[
        "text",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "server_tool_use",
        "image",
    ];
    const DELTAS: &[&str] = &[
        "text_delta",
        "thinking_delta",
        "signature_delta",
        "input_json_delta",
        "citations_delta",
        "bogus",
    ];
    const STOPS: &[&str] = &[
        "end_turn",
        "max_tokens",
        "tool_use",
        "stop_sequence",
        "refusal",
        "pause_turn",
        "weird",
    ];
    let mut out = Vec::new();
    let mut push = |rng: &mut Rng, name: &str, data: String| {
        let named = rng.below(4) != 0;
        out.extend_from_slice(&sse::encode(named.then_some(name), &data));
    };
    if rng.below(8) != 0 {
        let data = json!({"type": "message_start", "message": {"id": format!("msg_{}", rng.below(1000)), "type": "message",
            "role": "assistant", "content": [], "model": "claude", "usage": {"input_tokens": rng.below(100), "cache_read_input_tokens": rng.below(50), "output_tokens": 1}}});
        push(rng, "message_start", data.to_string());
    }
    for _ in 0..rng.below(40) {
        let index = rng.below(5);
        match rng.below(12) {
            0 | 1 => {
                let kind = rng.pick(BLOCKS);
                let block = json!({"type": kind, "text": rng.pick(PIECES), "thinking": "", "signature": "",
                    "data": "abc", "id": format!("toolu_{index}"), "name": "f", "input": if rng.below(3) == 0 { json!({"k": rng.pick(PIECES)}) } else { json!({}) }});
                push(
                    rng,
                    "content_block_start",
                    json!({"type": "content_block_start", "index": index, "content_block": block})
                        .to_string(),
                );
            }
            2..=6 => {
                let kind = rng.pick(DELTAS);
                let piece = rng.pick(PIECES);
                let delta = json!({"type": kind, "text": piece, "thinking": piece, "signature": piece, "partial_json": piece});
                push(
                    rng,
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": index, "delta": delta})
                        .to_string(),
                );
            }
            7 | 8 => push(
                rng,
                "content_block_stop",
                json!({"type": "content_block_stop", "index": index}).to_string(),
            ),
            9 => push(rng, "ping", json!({"type": "ping"}).to_string()),
            10 => {
                let data = json!({"type": "message_delta", "delta": {"stop_reason": rng.pick(STOPS)}, "usage": {"output_tokens": rng.below(500)}});
                push(rng, "message_delta", data.to_string());
            }
            _ => {
                let garbage = rng.pick(&[
                    "{",
                    "[]",
                    "null",
                    "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}",
                    "{\"index\":\"x\"}",
                ]);
                let name = rng.pick(&[
                    "error",
                    "content_block_delta",
                    "unknown",
                    "content_block_start",
                ]);
                push(rng, name, garbage.to_owned());
            }
        }
    }
    for _ in 0..rng.below(3) {
        push(
            rng,
            "message_stop",
            json!({"type": "message_stop"}).to_string(),
        );
    }
    out
}

/// Feeds `bytes` to a decoder in random chunks, each completed event to `push`.
pub fn feed_in_chunks(rng: &mut Rng, bytes: &[u8], mut push: impl FnMut(&sse::Event)) {
    let mut d = sse::Decoder::new(1 << 24);
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = (rng.below(64) + 1).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        let mut events = Vec::new();
        assert!(d.push(chunk, &mut events).is_ok());
        for e in &events {
            push(e);
        }
    }
}

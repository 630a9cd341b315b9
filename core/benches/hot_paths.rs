//! Micro-benchmarks of the relay's hot paths (divan): the SSE codec, every stream transcoder,
//! the scheduler's ranking, the session digest, and the in-place model rewrite of a body.
//!
//! ```text
//! cargo bench -p relay-core --bench hot_paths
//! ```
//!
//! `PAIR="anthropic > responses"` in the environment runs only that pair of the stream
//! benchmark (the others then report nothing), for profilers such as callgrind.

// A measuring tool: setup failures abort.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use divan::Bencher;
use relay_core::http::sse;
use relay_core::protocol::{Dialect, StreamTap, convert, json};

use relay_core::scheduler::select::{CandidateView, rank};

fn main() {
    divan::main();
}

const EVENTS: usize = 1000;

/// A 1,000-event Anthropic Messages stream, event by event.
fn anthropic_stream() -> Vec<Bytes> {
    let mut v = vec![sse::encode(
        Some("message_start"),
        r#"{"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1200,"cache_read_input_tokens":800,"output_tokens":1}}}"#,
    )];
    v.push(sse::encode(
        Some("content_block_start"),
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
    ));
    for i in 0..EVENTS - 5 {
        let data = format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"token {i} of the answer "}}}}"#
        );
        v.push(sse::encode(Some("content_block_delta"), &data));
    }
    v.push(sse::encode(
        Some("content_block_stop"),
        r#"{"type":"content_block_stop","index":0}"#,
    ));
    v.push(sse::encode(
        Some("message_delta"),
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":995}}"#,
    ));
    v.push(sse::encode(
        Some("message_stop"),
        r#"{"type":"message_stop"}"#,
    ));
    v
}

/// A 1,000-event OpenAI Chat Completions stream laid out as OpenAI sends it (member order,
/// `obfuscation` padding that differs per chunk, a final usage chunk, `[DONE]`).
fn chat_stream() -> Vec<Bytes> {
    let head = r#""id":"chatcmpl-CbEnch0000000000000000000000","object":"chat.completion.chunk","created":1764200000,"model":"gpt-5-2025-08-07","service_tier":"default","system_fingerprint":null"#;
    let mut v = vec![sse::encode(
        None,
        &format!(
            r#"{{{head},"choices":[{{"index":0,"delta":{{"role":"assistant","content":"","refusal":null}},"logprobs":null,"finish_reason":null}}],"obfuscation":"x1"}}"#
        ),
    )];
    for i in 0..EVENTS - 4 {
        v.push(sse::encode(
            None,
            &format!(
                r#"{{{head},"choices":[{{"index":0,"delta":{{"content":"token {i} of the answer "}},"logprobs":null,"finish_reason":null}}],"obfuscation":"{:x}"}}"#,
                i * 7919 % 65536
            ),
        ));
    }
    v.push(sse::encode(
        None,
        &format!(
            r#"{{{head},"choices":[{{"index":0,"delta":{{}},"logprobs":null,"finish_reason":"stop"}}],"obfuscation":"yQ"}}"#
        ),
    ));
    v.push(sse::encode(
        None,
        &format!(
            r#"{{{head},"choices":[],"usage":{{"prompt_tokens":2000,"completion_tokens":995,"total_tokens":2995,"prompt_tokens_details":{{"cached_tokens":800,"audio_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}},"obfuscation":"Zb"}}"#
        ),
    ));
    v.push(sse::encode(None, "[DONE]"));
    v
}

/// A 1,000-event OpenAI Responses stream laid out as OpenAI sends it (named events, `type`
/// and `sequence_number` first, `obfuscation` on deltas).
fn responses_stream() -> Vec<Bytes> {
    let response = |status: &str, extra: &str| {
        format!(
            r#"{{"id":"resp_bench","object":"response","created_at":1764200000,"status":"{status}","background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-5-2025-08-07","output":[{extra}],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{{"effort":"medium","summary":null}},"store":true,"temperature":1.0,"text":{{"format":{{"type":"text"}},"verbosity":"medium"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":null,"metadata":{{}}}}"#
        )
    };
    let mut seq = 0;
    let mut ev = |name: &str, body: String| {
        let data = format!(r#"{{"type":"{name}","sequence_number":{seq},{body}}}"#);
        seq += 1;
        sse::encode(Some(name), &data)
    };
    let mut v = vec![
        ev("response.created", format!(r#""response":{}"#, response("in_progress", ""))),
        ev("response.in_progress", format!(r#""response":{}"#, response("in_progress", ""))),
        ev(
            "response.output_item.added",
            r#""output_index":0,"item":{"id":"msg_bench","type":"message","status":"in_progress","content":[],"role":"assistant"}"#.to_owned(),
        ),
        ev(
            "response.content_part.added",
            r#""item_id":"msg_bench","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}"#.to_owned(),
        ),
    ];
    let mut text = String::new();
    for i in 0..EVENTS - 8 {
        let piece = format!("token {i} of the answer ");
        text.push_str(&piece);
        v.push(ev(
            "response.output_text.delta",
            format!(
                r#""item_id":"msg_bench","output_index":0,"content_index":0,"delta":"{piece}","logprobs":[],"obfuscation":"{:x}""#,
                i * 7919 % 65536
            ),
        ));
    }
    let item = format!(
        r#"{{"id":"msg_bench","type":"message","status":"completed","content":[{{"type":"output_text","annotations":[],"logprobs":[],"text":"{text}"}}],"role":"assistant"}}"#
    );
    v.push(ev(
        "response.output_text.done",
        format!(r#""item_id":"msg_bench","output_index":0,"content_index":0,"text":"{text}","logprobs":[]"#),
    ));
    v.push(ev(
        "response.content_part.done",
        format!(r#""item_id":"msg_bench","output_index":0,"content_index":0,"part":{{"type":"output_text","annotations":[],"logprobs":[],"text":"{text}"}}"#),
    ));
    v.push(ev(
        "response.output_item.done",
        format!(r#""output_index":0,"item":{item}"#),
    ));
    let done = response("completed", &item).replacen(
        r#""usage":null"#,
        r#""usage":{"input_tokens":2000,"input_tokens_details":{"cached_tokens":800},"output_tokens":992,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":2992}"#,
        1,
    );
    v.push(ev("response.completed", format!(r#""response":{done}"#)));
    v
}

/// A stream of `dialect` as its provider sends it.
fn stream_of(dialect: Dialect) -> Vec<Bytes> {
    match dialect {
        Dialect::OpenAiChat => chat_stream(),
        Dialect::OpenAiResponses => responses_stream(),
        _ => anthropic_stream(),
    }
}

/// What the pipeline does with a stream: decodes `chunks`, observes every event (usage, ids,
/// errors), and passes it through `t` (or forwards it, without one).
fn relay_stream(chunks: &[Bytes], upstream: Dialect, client: Dialect) -> usize {
    let mut tap = StreamTap::new(upstream, "m");
    let mut t = (upstream != client)
        .then(|| convert::transcoder(upstream, client, "m"))
        .flatten();
    // As the pipeline does: a transcoded stream's events need not keep their bytes.
    let mut d = match t {
        Some(_) => sse::Decoder::new(1 << 24).without_raw(),
        None => sse::Decoder::new(1 << 24),
    };
    let (mut events, mut out, mut n) = (Vec::new(), Vec::new(), 0);
    for c in chunks {
        d.push(c, &mut events).unwrap();
        for ev in events.drain(..) {
            let info = black_box(tap.observe(&ev));
            match t.as_mut() {
                Some(t) => t.push_observed(&ev, &info, &mut out),
                None => out.push(ev.raw),
            }
        }
        n += out.drain(..).map(|b| b.len()).sum::<usize>();
    }
    if let Some(t) = t.as_mut() {
        t.finish(&mut out);
    }
    n + out.iter().map(Bytes::len).sum::<usize>()
}

/// SSE decoding of a 1,000-event stream cut into 1.4 KB network chunks.
#[divan::bench]
fn sse_decode(b: Bencher<'_, '_>) {
    let whole: Vec<u8> = anthropic_stream().concat();
    let chunks: Vec<Bytes> = whole.chunks(1400).map(Bytes::copy_from_slice).collect();
    b.bench(|| {
        let mut d = sse::Decoder::new(1 << 24);
        let mut events = Vec::new();
        for c in &chunks {
            d.push(c, &mut events).unwrap();
        }
        black_box(events.len())
    });
}

/// SSE encoding of one event.
#[divan::bench]
fn sse_encode() -> Bytes {
    sse::encode(
        Some("content_block_delta"),
        black_box(
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hello"}}"#,
        ),
    )
}

/// A 1,000-event stream relayed from an upstream of one dialect to a client of another:
/// passthrough when they are the same, else through that pair's transcoder.
#[divan::bench(args = [
    "anthropic > anthropic",
    "chat > chat",
    "responses > responses",
    "anthropic > responses",
    "anthropic > chat",
    "chat > anthropic",
    "chat > responses",
    "responses > anthropic",
    "responses > chat",
])]
fn stream_1000_events(b: Bencher<'_, '_>, pair: &str) {
    if std::env::var("PAIR").is_ok_and(|p| p != pair) {
        return;
    }
    let dialect = |name: &str| match name {
        "anthropic" => Dialect::Anthropic,
        "chat" => Dialect::OpenAiChat,
        _ => Dialect::OpenAiResponses,
    };
    let (upstream, client) = pair.split_once(" > ").unwrap();
    let (upstream, client) = (dialect(upstream), dialect(client));
    let chunks = stream_of(upstream);
    b.bench(|| black_box(relay_stream(&chunks, upstream, client)));
}

/// Ranking 16 accounts (a sticky one among them), as each attempt does.
#[divan::bench]
fn scheduler_rank(b: Bencher<'_, '_>) {
    let names: Vec<String> = (0..16).map(|i| format!("account-{i}")).collect();
    let now = Instant::now();
    let cands: Vec<CandidateView<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, name)| CandidateView {
            name,
            priority: u32::try_from(i % 3).unwrap() * 10,
            in_flight: u32::try_from(i % 4).unwrap(),
            waiting: 0,
            concurrency: 3,
            last_used: u64::try_from(i * 7 % 16).unwrap(),
            cooling_until: (i == 5).then(|| now + std::time::Duration::from_secs(30)),
            usable: i != 9,
        })
        .collect();
    b.bench(|| black_box(rank(&cands, Some("account-11"), &["account-2"], now)));
}

/// The one change a passthrough makes: the `model` of a 40 KB request body, in place.
#[divan::bench]
fn model_rewrite(b: Bencher<'_, '_>) {
    let history: Vec<String> = (0..200)
        .map(|i| format!(r#"{{"role":"user","content":"message {i} with some text in it to make the body realistic"}}"#))
        .collect();
    let body = format!(
        r#"{{"model":"claude-3-5-haiku-latest","max_tokens":1024,"system":"You are helpful.","messages":[{}],"stream":true}}"#,
        history.join(",")
    );
    let body = body.into_bytes();
    b.bench(|| black_box(json::set(&body, &["model"], br#""claude-haiku-4-5""#)));
}

/// Finding the `model` of that body without parsing it.
#[divan::bench]
fn model_lookup(b: Bencher<'_, '_>) {
    let body = br#"{"messages":[{"role":"user","content":"hi"}],"model":"gpt-5","stream":true}"#;
    b.bench(|| black_box(json::str_at(body, &["model"])));
}

//! Conversion cost benchmark: relaying a 1,000-event Anthropic Messages stream to a client of
//! the same dialect (decode, usage tap, forward the raw event) against converting it for an
//! OpenAI Responses or Chat Completions client (decode, usage tap, transcode). The DESIGN
//! target: conversion costs less than twice the passthrough.
//!
//! ```text
//! cargo run --release --example convert_bench -- [--events N] [--rounds R] [--only responses|chat]
//! ```

// A measuring tool, not library code: it reports on stdout.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use relay_core::http::sse;
use relay_core::protocol::{Dialect, StreamTap, convert};

fn anthropic_stream(events: usize) -> Vec<Bytes> {
    let mut v = vec![sse::encode(
        Some("message_start"),
        r#"{"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1200,"cache_read_input_tokens":800,"output_tokens":1}}}"#,
    )];
    v.push(sse::encode(
        Some("content_block_start"),
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
    ));
    for i in 0..events.saturating_sub(5) {
        let data = format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"token {i} of the answer "}}}}"#
        );
        v.push(sse::encode(Some("content_block_delta"), &data));
    }
    v.push(sse::encode(
        Some("content_block_stop"),
        r#"{"type":"content_block_stop","index":0}"#,
    ));
    v.push(sse::encode(Some("message_delta"), r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":995}}"#));
    v.push(sse::encode(
        Some("message_stop"),
        r#"{"type":"message_stop"}"#,
    ));
    v
}

/// One relay of the whole stream; returns the bytes produced (so nothing is optimised away).
fn run(chunks: &[Bytes], client: Dialect) -> usize {
    let mut decoder = sse::Decoder::new(1 << 24);
    let mut tap = StreamTap::new(Dialect::Anthropic, "gpt-5");
    let mut transcoder = (client != Dialect::Anthropic)
        .then(|| convert::transcoder(Dialect::Anthropic, client, "gpt-5"))
        .flatten();
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut produced = 0;
    for c in chunks {
        decoder.push(c, &mut events).expect("valid stream");
        for ev in events.drain(..) {
            tap.observe(&ev);
            match transcoder.as_mut() {
                Some(t) => t.push(&ev, &mut out),
                None => out.push(ev.raw),
            }
        }
        produced += out.drain(..).map(|b| b.len()).sum::<usize>();
    }
    if let Some(t) = transcoder.as_mut() {
        t.finish(&mut out);
        produced += out.drain(..).map(|b| b.len()).sum::<usize>();
    }
    black_box(tap.usage);
    produced
}

fn time(chunks: &[Bytes], client: Dialect, rounds: u32) -> Duration {
    for _ in 0..rounds / 10 + 1 {
        black_box(run(chunks, client));
    }
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(run(chunks, client));
        }
        best = best.min(start.elapsed() / rounds);
    }
    best
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let events = flag("--events", 1000);
    let rounds = u32::try_from(flag("--rounds", 200)).unwrap_or(200);
    let chunks = anthropic_stream(events);
    let pass = time(&chunks, Dialect::Anthropic, rounds);
    println!("| {events}-event Anthropic stream to | per stream | per event | vs passthrough |");
    println!("|---|---:|---:|---:|");
    println!(
        "| Anthropic client (passthrough) | {:.1} µs | {:.2} µs | 1.00× |",
        micros(pass),
        micros(pass) / events as f64
    );
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    for (name, client) in [
        ("Responses client (converted)", Dialect::OpenAiResponses),
        ("Chat client (converted)", Dialect::OpenAiChat),
    ] {
        if only
            .as_deref()
            .is_some_and(|o| !name.to_lowercase().starts_with(o))
        {
            continue;
        }
        let t = time(&chunks, client, rounds);
        println!(
            "| {name} | {:.1} µs | {:.2} µs | {:.2}× |",
            micros(t),
            micros(t) / events as f64,
            t.as_secs_f64() / pass.as_secs_f64()
        );
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

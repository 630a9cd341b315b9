//! Golden fixtures for the protocol converters: readable input and expected-output files per
//! dialect pair under `tests/fixtures/convert/<pair>/<case>/`, compared with what the public
//! registry functions (`relay_core::protocol::convert::{request, response, transcoder}`)
//! produce now, plus a round-trip table (text and tool calls survive Chat → Anthropic → Chat
//! and Responses → Anthropic → Responses).
//!
//! A case directory holds one or more of (see `tests/fixtures/convert/README.md`):
//! - `request.json` (the client's body) → `request.expected.json` (the upstream body), or
//!   `request.expected-error.txt` (the `ConvertError` shown, `field: message`) when refused;
//! - `response.json` (the upstream's complete answer) → `response.expected.json` (the client's
//!   answer) or `response.expected-error.txt`;
//! - `stream.sse` (the upstream's SSE bytes) → `stream.expected.sse` (the client's SSE bytes);
//! - `meta.json` (optional): `upstream_model`, `client_model`, `stream` (for the request's
//!   `RequestContext`), overriding the pair's defaults in [`PAIRS`].
//!
//! Streams are run as the relay runs them (`pipeline::relay::stream`): the decoded events go
//! through a `StreamTap` of the upstream dialect and into the transcoder; after a terminal event
//! the transcoder's `finish` is called; an upstream error event stops the stream there and the
//! client dialect's `stream_error` (code `upstream_stream_error`, the upstream's
//! `error.message`) ends it with the transcoder's `context()`; a stream that just stops ends with
//! `stream_truncated`.
//!
//! Comparison: JSON as `serde_json::Value`; SSE event by event (event name, then the data parsed
//! as JSON, or as text for `[DONE]`); errors as text. Normalisation: the two pairs with an
//! Anthropic upstream read the wall clock (`chat_to_anthropic` for `created`,
//! `responses_to_anthropic` for `created_at`), so for those pairs every numeric `created` and
//! `created_at` member is replaced by `0` on both sides (and in written files). No converter
//! makes up random ids (all ids derive from the upstream's), so nothing else is redacted.
//!
//! `UPDATE_GOLDEN=1` writes the expected files from the current output instead of comparing
//! (snapshot mode); review the diff before committing.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use relay_core::Error;
use relay_core::http::sse;
use relay_core::protocol::convert::{self, RequestContext};
use relay_core::protocol::{Dialect, StreamTap};
use serde_json::{Value, json};

const UPDATE_COMMAND: &str =
    "UPDATE_GOLDEN=1 cargo nextest run -p relay --test it -E 'test(golden)'";

/// One converter pair: its fixture directory and the defaults for its cases.
struct Pair {
    name: &'static str,
    client: Dialect,
    upstream: Dialect,
    /// `RequestContext::upstream_model` unless `meta.json` says otherwise.
    upstream_model: &'static str,
    /// The model shown to the client in answers and streams unless `meta.json` says otherwise.
    client_model: &'static str,
    /// The converter reads the wall clock (`created` / `created_at` are redacted).
    clock: bool,
}

const PAIRS: [Pair; 6] = [
    Pair {
        name: "anthropic_to_chat",
        client: Dialect::Anthropic,
        upstream: Dialect::OpenAiChat,
        upstream_model: "gpt-4.1",
        client_model: "claude-sonnet-4-5",
        clock: false,
    },
    Pair {
        name: "anthropic_to_responses",
        client: Dialect::Anthropic,
        upstream: Dialect::OpenAiResponses,
        upstream_model: "gpt-5",
        client_model: "claude-sonnet-4-5",
        clock: false,
    },
    Pair {
        name: "chat_to_anthropic",
        client: Dialect::OpenAiChat,
        upstream: Dialect::Anthropic,
        upstream_model: "claude-sonnet-4-5-20250929",
        client_model: "claude-sonnet-4-5",
        clock: true,
    },
    Pair {
        name: "chat_to_responses",
        client: Dialect::OpenAiChat,
        upstream: Dialect::OpenAiResponses,
        upstream_model: "gpt-5",
        client_model: "gpt-5",
        clock: false,
    },
    Pair {
        name: "responses_to_anthropic",
        client: Dialect::OpenAiResponses,
        upstream: Dialect::Anthropic,
        upstream_model: "claude-sonnet-4-5-20250929",
        client_model: "gpt-5-codex",
        clock: true,
    },
    Pair {
        name: "responses_to_chat",
        client: Dialect::OpenAiResponses,
        upstream: Dialect::OpenAiChat,
        upstream_model: "gpt-4.1",
        client_model: "gpt-4.1",
        clock: false,
    },
];

/// The files a case directory may hold.
const KNOWN_FILES: &[&str] = &[
    "meta.json",
    "request.json",
    "request.expected.json",
    "request.expected-error.txt",
    "response.json",
    "response.expected.json",
    "response.expected-error.txt",
    "stream.sse",
    "stream.expected.sse",
];

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/convert")
}

fn read_text(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&read_text(path))
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

/// The case directories of a pair, sorted.
fn cases(pair: &Pair) -> Vec<PathBuf> {
    let dir = fixtures_root().join(pair.name);
    let mut out: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// Per-case settings: the pair's defaults overridden by `meta.json`.
struct Meta {
    upstream_model: String,
    client_model: String,
    stream: bool,
}

fn meta(pair: &Pair, dir: &Path) -> Meta {
    let mut m = Meta {
        upstream_model: pair.upstream_model.to_owned(),
        client_model: pair.client_model.to_owned(),
        stream: false,
    };
    let path = dir.join("meta.json");
    if !path.exists() {
        return m;
    }
    let Value::Object(fields) = read_json(&path) else {
        panic!("{}: must be an object", path.display());
    };
    for (key, value) in fields {
        match (key.as_str(), value) {
            ("upstream_model", Value::String(s)) => m.upstream_model = s,
            ("client_model", Value::String(s)) => m.client_model = s,
            ("stream", Value::Bool(b)) => m.stream = b,
            (other, v) => panic!("{}: unknown or mistyped key `{other}`: {v}", path.display()),
        }
    }
    m
}

/// What a converter produced for one input.
enum Output {
    Json(Value),
    Error(String),
    Sse(String),
}

/// Replaces every numeric `created` / `created_at` member with 0.
fn redact_value(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if (key == "created" || key == "created_at") && child.is_number() {
                    *child = json!(0);
                } else {
                    redact_value(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

/// [`redact_value`] on compact JSON text (the converters write no spaces after colons).
fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = ["\"created\":", "\"created_at\":"]
            .iter()
            .filter_map(|p| rest.find(p).map(|at| (at, p.len())))
            .min();
        let Some((at, len)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at + len]);
        rest = &rest[at + len..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push('0');
            rest = &rest[digits..];
        }
    }
}

fn convert_request(pair: &Pair, meta: &Meta, body: &[u8]) -> Output {
    let ctx = RequestContext {
        upstream_model: &meta.upstream_model,
        stream: meta.stream,
    };
    match convert::request(pair.client, pair.upstream, body, &ctx) {
        Ok(bytes) => {
            Output::Json(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!("{}: the converted request is not JSON: {e}", pair.name)
            }))
        }
        Err(e) => Output::Error(e.to_string()),
    }
}

fn convert_response(pair: &Pair, meta: &Meta, body: &[u8]) -> Output {
    match convert::response(pair.upstream, pair.client, body, &meta.client_model) {
        Ok(bytes) => {
            let mut v: Value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{}: the converted answer is not JSON: {e}", pair.name));
            if pair.clock {
                redact_value(&mut v);
            }
            Output::Json(v)
        }
        Err(e) => Output::Error(e.to_string()),
    }
}

/// Runs an upstream stream through the transcoder the way the relay does (see the module docs).
fn convert_stream(pair: &Pair, meta: &Meta, input: &[u8], path: &Path) -> Output {
    let mut decoder = sse::Decoder::new(1 << 24);
    let mut events = Vec::new();
    decoder
        .push(input, &mut events)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Some(tail) = decoder.finish()
        && tail.truncated
    {
        panic!(
            "{}: ends inside an event (add the blank line that ends it)",
            path.display()
        );
    }
    let mut t = convert::transcoder(pair.upstream, pair.client, &meta.client_model)
        .unwrap_or_else(|| panic!("{}: no transcoder", pair.name));
    let mut tap = StreamTap::new(pair.upstream, &meta.client_model);
    let mut frames = Vec::new();
    let mut ending = None;
    for ev in &events {
        if tap.observe(ev).error {
            let message = serde_json::from_str::<Value>(&ev.data)
                .ok()
                .and_then(|v| v.pointer("/error/message")?.as_str().map(str::to_owned))
                .unwrap_or_else(|| "the upstream reported an error mid-stream".to_owned());
            ending = Some(Error::upstream("upstream_stream_error", message));
            break;
        }
        t.push(ev, &mut frames);
    }
    if ending.is_none() {
        if tap.completed {
            t.finish(&mut frames);
        } else {
            ending = Some(Error::upstream(
                "stream_truncated",
                "the upstream stream ended before the answer was complete",
            ));
        }
    }
    if let Some(err) = ending {
        frames.push(pair.client.stream_error(&err, &t.context()));
    }
    let bytes: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("{}: the client stream is not UTF-8: {e}", path.display()));
    Output::Sse(if pair.clock { redact_text(&text) } else { text })
}

/// One SSE event for comparison: its name and its data (JSON when it parses).
#[derive(Debug, PartialEq)]
struct SseEvent {
    name: Option<String>,
    data: Result<Value, String>,
}

fn parse_sse(text: &str, clock: bool) -> Result<Vec<SseEvent>, String> {
    let mut decoder = sse::Decoder::new(1 << 24);
    let mut events = Vec::new();
    decoder
        .push(text.as_bytes(), &mut events)
        .map_err(|e| e.to_string())?;
    if decoder.finish().is_some_and(|t| t.truncated) {
        return Err("the stream ends inside an event".to_owned());
    }
    Ok(events
        .into_iter()
        .filter(|e| !e.is_comment_only)
        .map(|e| SseEvent {
            name: e.event,
            data: serde_json::from_str::<Value>(&e.data)
                .map(|mut v| {
                    if clock {
                        redact_value(&mut v);
                    }
                    v
                })
                .map_err(|_| e.data),
        })
        .collect())
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

/// Appends the paths where `got` differs from `want` (at most 40 lines in all).
fn json_diff(path: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    if out.len() >= 40 || want == got {
        return;
    }
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = format!("{path}.{k}");
                match b.get(k) {
                    Some(vb) => json_diff(&p, va, vb, out),
                    None => out.push(format!("{p}: missing (expected {})", show(va))),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.push(format!("{path}.{k}: unexpected {}", show(vb)));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                json_diff(&format!("{path}[{i}]"), va, vb, out);
            }
            for (i, va) in a.iter().enumerate().skip(b.len()) {
                out.push(format!("{path}[{i}]: missing (expected {})", show(va)));
            }
            for (i, vb) in b.iter().enumerate().skip(a.len()) {
                out.push(format!("{path}[{i}]: unexpected {}", show(vb)));
            }
        }
        _ => out.push(format!(
            "{path}: expected {}, got {}",
            show(want),
            show(got)
        )),
    }
}

fn show_event(e: &SseEvent) -> String {
    let data = match &e.data {
        Ok(v) => show(v),
        Err(text) => text.clone(),
    };
    match &e.name {
        Some(name) => format!("event: {name} data: {data}"),
        None => format!("data: {data}"),
    }
}

fn sse_diff(want: &[SseEvent], got: &[SseEvent]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (a, b)) in want.iter().zip(got).enumerate() {
        if a == b {
            continue;
        }
        if a.name != b.name {
            out.push(format!(
                "event {i}: expected `{}`, got `{}`",
                show_event(a),
                show_event(b)
            ));
            continue;
        }
        match (&a.data, &b.data) {
            (Ok(va), Ok(vb)) => {
                let mut lines = Vec::new();
                json_diff("$", va, vb, &mut lines);
                for l in lines {
                    out.push(format!(
                        "event {i} ({}): {l}",
                        a.name.as_deref().unwrap_or("data")
                    ));
                }
            }
            _ => out.push(format!(
                "event {i}: expected `{}`, got `{}`",
                show_event(a),
                show_event(b)
            )),
        }
        if out.len() >= 40 {
            return out;
        }
    }
    for (i, a) in want.iter().enumerate().skip(got.len()) {
        out.push(format!("event {i}: missing `{}`", show_event(a)));
    }
    for (i, b) in got.iter().enumerate().skip(want.len()) {
        out.push(format!("event {i}: unexpected `{}`", show_event(b)));
    }
    out.truncate(60);
    out
}

/// The expected file for `input` (`request.json` → `request.expected.json` or
/// `request.expected-error.txt`), whichever `output` calls for.
fn expected_paths(dir: &Path, stem: &str, output: &Output) -> (PathBuf, Option<PathBuf>) {
    let ok = dir.join(match output {
        Output::Sse(_) => format!("{stem}.expected.sse"),
        _ => format!("{stem}.expected.json"),
    });
    let err = dir.join(format!("{stem}.expected-error.txt"));
    match output {
        Output::Error(_) => (err, Some(ok)),
        Output::Json(_) => (ok, Some(err)),
        Output::Sse(_) => (ok, None),
    }
}

fn render(output: &Output) -> String {
    match output {
        Output::Json(v) => format!("{}\n", serde_json::to_string_pretty(v).unwrap()),
        Output::Error(e) => format!("{e}\n"),
        Output::Sse(s) => s.clone(),
    }
}

/// Compares `output` with the committed expectation (or writes it in update mode); returns a
/// description of the mismatch, if any.
fn check(
    pair: &Pair,
    dir: &Path,
    stem: &str,
    output: &Output,
    update: bool,
    written: &mut Vec<String>,
) -> Option<String> {
    let (path, other) = expected_paths(dir, stem, output);
    let rel = path
        .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
        .unwrap_or(&path)
        .display()
        .to_string();
    if update {
        let fresh = render(output);
        if fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
            fs::write(&path, fresh).unwrap();
            written.push(rel);
        }
        if let Some(other) = other.filter(|o| o.exists()) {
            fs::remove_file(&other).unwrap();
            written.push(format!("{} (removed)", other.display()));
        }
        return None;
    }
    if let Some(other) = other.as_ref().filter(|o| o.exists()) {
        let what = match output {
            Output::Error(e) => format!("the conversion was refused: {e}"),
            _ => "the conversion succeeded".to_owned(),
        };
        return Some(format!(
            "{rel}: expected {} but {what}",
            other.file_name().unwrap().to_string_lossy()
        ));
    }
    if !path.exists() {
        return Some(format!(
            "{rel}: missing (write it with the update command below)"
        ));
    }
    let lines = match output {
        Output::Json(got) => {
            let mut want = read_json(&path);
            if pair.clock {
                redact_value(&mut want);
            }
            let mut lines = Vec::new();
            json_diff("$", &want, got, &mut lines);
            lines
        }
        Output::Error(got) => {
            let want = read_text(&path);
            if want.trim_end() == got {
                Vec::new()
            } else {
                vec![format!("expected `{}`, got `{got}`", want.trim_end())]
            }
        }
        Output::Sse(got) => {
            let want =
                parse_sse(&read_text(&path), pair.clock).unwrap_or_else(|e| panic!("{rel}: {e}"));
            let got = parse_sse(got, pair.clock).unwrap_or_else(|e| panic!("{rel} (output): {e}"));
            sse_diff(&want, &got)
        }
    };
    if lines.is_empty() {
        return None;
    }
    let mut msg = format!("{rel}:\n");
    for l in lines {
        let _ = writeln!(msg, "    {l}");
    }
    Some(msg)
}

#[test]
fn golden_fixtures_match_the_converters() {
    let update = crate::support::update_golden();
    let mut failures = Vec::new();
    let mut written = Vec::new();
    let mut count = 0;
    for pair in &PAIRS {
        for dir in cases(pair) {
            for entry in fs::read_dir(&dir).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                assert!(
                    KNOWN_FILES.contains(&name.as_str()),
                    "{}: unknown file `{name}` (known: {KNOWN_FILES:?})",
                    dir.display()
                );
            }
            let meta = meta(pair, &dir);
            let mut inputs = 0;
            let request = dir.join("request.json");
            if request.exists() {
                let out = convert_request(pair, &meta, read_text(&request).as_bytes());
                failures.extend(check(pair, &dir, "request", &out, update, &mut written));
                inputs += 1;
            }
            let response = dir.join("response.json");
            if response.exists() {
                let out = convert_response(pair, &meta, read_text(&response).as_bytes());
                failures.extend(check(pair, &dir, "response", &out, update, &mut written));
                inputs += 1;
            }
            let stream = dir.join("stream.sse");
            if stream.exists() {
                let out = convert_stream(pair, &meta, read_text(&stream).as_bytes(), &stream);
                failures.extend(check(pair, &dir, "stream", &out, update, &mut written));
                inputs += 1;
            }
            assert!(
                inputs > 0,
                "{}: no request.json, response.json or stream.sse",
                dir.display()
            );
            count += inputs;
        }
    }
    assert!(
        count > 0,
        "no fixtures found under {}",
        fixtures_root().display()
    );
    if update {
        for w in &written {
            eprintln!("golden: wrote {w}");
        }
        eprintln!(
            "golden: {count} fixtures, {} files written; review them before committing",
            written.len()
        );
        return;
    }
    assert!(
        failures.is_empty(),
        "{} of {count} golden fixtures differ from the converters' output:\n\n{}\n\
         If the new output is right, update the expected files with\n    {UPDATE_COMMAND}\n\
         and review the diff before committing.",
        failures.len(),
        failures.join("\n")
    );
}

/// Whether the case in `dir` has the `stem` input (`request`, `response` or `stream`).
fn has(dir: &Path, stem: &str) -> bool {
    dir.join(format!("{stem}.json")).exists()
        || (stem == "stream" && dir.join("stream.sse").exists())
}

#[test]
fn golden_fixtures_cover_every_pair() {
    const REQUIRED: &[(&str, &[&str])] = &[
        ("text_simple", &["request", "response", "stream"]),
        ("system", &["request"]),
        ("multi_turn", &["request"]),
        ("image_base64", &["request"]),
        ("tools_parallel", &["request", "response", "stream"]),
        ("tool_result_roundtrip", &["request"]),
        ("usage_cache_tokens", &["response", "stream"]),
        ("stop_sequences", &["request"]),
        ("error_overloaded", &["stream"]),
    ];
    let mut missing = Vec::new();
    for pair in &PAIRS {
        let root = fixtures_root().join(pair.name);
        for (case, kinds) in REQUIRED {
            for kind in *kinds {
                if !has(&root.join(case), kind) {
                    missing.push(format!("{}/{case}: no {kind} input", pair.name));
                }
            }
        }
        let thinking = ["thinking_signature", "reasoning"]
            .iter()
            .any(|c| root.join(c).is_dir());
        if !thinking {
            missing.push(format!(
                "{}: no thinking_signature or reasoning case",
                pair.name
            ));
        }
        let refusal = cases(pair)
            .iter()
            .any(|d| d.join("request.expected-error.txt").exists());
        if !refusal {
            missing.push(format!("{}: no refused request case", pair.name));
        }
    }
    assert!(
        missing.is_empty(),
        "missing fixtures:\n{}",
        missing.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips: an assistant turn written by a client goes up as history, and the same content
// coming back as the upstream's answer must reach the client unchanged.

/// One tool call: id, name, arguments (JSON text as the OpenAI client sends it).
type Call = (&'static str, &'static str, &'static str);

struct Trip {
    name: &'static str,
    text: &'static str,
    calls: &'static [Call],
    /// Replayed thinking: (thinking text, Anthropic signature).
    thinking: Option<(&'static str, &'static str)>,
}

const TRIPS: &[Trip] = &[
    Trip {
        name: "text only",
        text: "The capital of France is Paris.",
        calls: &[],
        thinking: None,
    },
    Trip {
        name: "one tool call, no text",
        text: "",
        calls: &[(
            "call_9Xk2mP",
            "get_weather",
            r#"{"location":"Paris, France","unit":"celsius"}"#,
        )],
        thinking: None,
    },
    Trip {
        name: "text and two parallel tool calls",
        text: "I'll check both cities at once.",
        calls: &[
            (
                "toolu_01A09q90qw90lq917835lq9",
                "get_weather",
                r#"{"location":"Paris"}"#,
            ),
            (
                "toolu_01B19r91rx91mr928946mr0",
                "get_time",
                r#"{"timezone":"Europe/Paris"}"#,
            ),
        ],
        thinking: None,
    },
    Trip {
        name: "unicode text and nested arguments",
        text: "Grüße, 世界 👋 — \"quoted\"\nnew line\ttab",
        calls: &[(
            "call_nested_1",
            "write_file",
            r#"{"path":"/tmp/a b.txt","content":"line1\nline2 \"q\" ☃","options":{"mode":420,"flags":["create","truncate"],"backup":null,"ratio":0.5}}"#,
        )],
        thinking: None,
    },
    Trip {
        name: "tool call with empty arguments",
        text: "",
        calls: &[("call_noargs", "list_files", "{}")],
        thinking: None,
    },
    Trip {
        name: "thinking, text and a tool call",
        text: "Let me look that up.",
        calls: &[("toolu_01Think", "search", r#"{"query":"rust serde"}"#)],
        thinking: Some((
            "The user wants docs; search first.",
            "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxnRVVdlBPTIwZpmL0iMEGh3v0VBM+E0iC7CQk5QsA0Yc5+8sWxSbDt",
        )),
    },
];

fn parse_args(args: &str) -> Value {
    serde_json::from_str(args).unwrap()
}

/// The assistant content blocks of the last assistant turn of an Anthropic request body.
fn last_assistant_blocks(anthropic_request: &Value) -> Vec<Value> {
    anthropic_request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "assistant")
        .map(|m| m["content"].as_array().unwrap().clone())
        .unwrap_or_default()
}

/// Checks the Anthropic blocks carry exactly the trip's thinking, text and calls, in order.
fn assert_anthropic_blocks(trip: &Trip, blocks: &[Value]) {
    let mut want = Vec::new();
    if let Some((thinking, signature)) = trip.thinking {
        want.push(json!({"type": "thinking", "thinking": thinking, "signature": signature}));
    }
    if !trip.text.is_empty() {
        want.push(json!({"type": "text", "text": trip.text}));
    }
    for (id, name, args) in trip.calls {
        want.push(json!({"type": "tool_use", "id": id, "name": name, "input": parse_args(args)}));
    }
    assert_eq!(blocks, want.as_slice(), "{}: Anthropic blocks", trip.name);
}

/// An Anthropic answer made of `blocks`.
fn anthropic_answer(blocks: Vec<Value>, tools: bool) -> Vec<u8> {
    json!({
        "id": "msg_01RoundTrip",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": blocks,
        "stop_reason": if tools { "tool_use" } else { "end_turn" },
        "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    })
    .to_string()
    .into_bytes()
}

#[test]
fn golden_round_trip_chat_through_anthropic() {
    for trip in TRIPS {
        let mut assistant = json!({"role": "assistant", "content": trip.text});
        if !trip.calls.is_empty() {
            let calls: Vec<Value> = trip
                .calls
                .iter()
                .map(|(id, name, args)| {
                    json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}})
                })
                .collect();
            assistant["tool_calls"] = json!(calls);
            if trip.text.is_empty() {
                assistant["content"] = Value::Null;
            }
        }
        if let Some((thinking, signature)) = trip.thinking {
            assistant["thinking_blocks"] =
                json!([{"type": "thinking", "thinking": thinking, "signature": signature}]);
        }
        let mut messages = vec![json!({"role": "user", "content": "Go."}), assistant];
        for (id, _, _) in trip.calls {
            messages.push(json!({"role": "tool", "tool_call_id": id, "content": "ok"}));
        }
        let body = json!({"model": "claude-sonnet-4-5", "messages": messages}).to_string();
        let ctx = RequestContext {
            upstream_model: "claude-sonnet-4-5-20250929",
            stream: false,
        };
        let up = convert::request(
            Dialect::OpenAiChat,
            Dialect::Anthropic,
            body.as_bytes(),
            &ctx,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", trip.name));
        let up: Value = serde_json::from_slice(&up).unwrap();
        let blocks = last_assistant_blocks(&up);
        assert_anthropic_blocks(trip, &blocks);

        let answer = anthropic_answer(blocks, !trip.calls.is_empty());
        let down = convert::response(
            Dialect::Anthropic,
            Dialect::OpenAiChat,
            &answer,
            "claude-sonnet-4-5",
        )
        .unwrap_or_else(|e| panic!("{}: {e}", trip.name));
        let down: Value = serde_json::from_slice(&down).unwrap();
        let message = &down["choices"][0]["message"];
        let text = message["content"].as_str().unwrap_or("");
        assert_eq!(text, trip.text, "{}: content", trip.name);
        let calls = message["tool_calls"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(calls.len(), trip.calls.len(), "{}: tool_calls", trip.name);
        for (got, (id, name, args)) in calls.iter().zip(trip.calls) {
            assert_eq!(got["id"], *id, "{}", trip.name);
            assert_eq!(got["type"], "function", "{}", trip.name);
            assert_eq!(got["function"]["name"], *name, "{}", trip.name);
            let got_args = parse_args(got["function"]["arguments"].as_str().unwrap());
            assert_eq!(got_args, parse_args(args), "{}: arguments", trip.name);
        }
        let finish = if trip.calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        };
        assert_eq!(down["choices"][0]["finish_reason"], finish, "{}", trip.name);
        match trip.thinking {
            Some((thinking, signature)) => {
                assert_eq!(message["reasoning_content"], thinking, "{}", trip.name);
                assert_eq!(
                    message["thinking_blocks"],
                    json!([{"type": "thinking", "thinking": thinking, "signature": signature}]),
                    "{}",
                    trip.name
                );
            }
            None => assert!(message.get("thinking_blocks").is_none(), "{}", trip.name),
        }
    }
}

#[test]
fn golden_round_trip_responses_through_anthropic() {
    for trip in TRIPS {
        let mut input = vec![
            json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go."}]}),
        ];
        if let Some((thinking, signature)) = trip.thinking {
            input.push(json!({
                "type": "reasoning", "id": "rs_1",
                "summary": [{"type": "summary_text", "text": thinking}],
                "encrypted_content": signature,
            }));
        }
        if !trip.text.is_empty() {
            input.push(json!({
                "type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
                "content": [{"type": "output_text", "text": trip.text, "annotations": []}],
            }));
        }
        for (id, name, args) in trip.calls {
            input.push(
                json!({"type": "function_call", "call_id": id, "name": name, "arguments": args}),
            );
        }
        for (id, _, _) in trip.calls {
            input.push(json!({"type": "function_call_output", "call_id": id, "output": "ok"}));
        }
        let body = json!({"model": "gpt-5-codex", "input": input, "store": false}).to_string();
        let ctx = RequestContext {
            upstream_model: "claude-sonnet-4-5-20250929",
            stream: false,
        };
        let up = convert::request(
            Dialect::OpenAiResponses,
            Dialect::Anthropic,
            body.as_bytes(),
            &ctx,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", trip.name));
        let up: Value = serde_json::from_slice(&up).unwrap();
        let blocks = last_assistant_blocks(&up);
        assert_anthropic_blocks(trip, &blocks);

        let answer = anthropic_answer(blocks, !trip.calls.is_empty());
        let down = convert::response(
            Dialect::Anthropic,
            Dialect::OpenAiResponses,
            &answer,
            "gpt-5-codex",
        )
        .unwrap_or_else(|e| panic!("{}: {e}", trip.name));
        let down: Value = serde_json::from_slice(&down).unwrap();
        assert_eq!(down["status"], "completed", "{}", trip.name);
        let output = down["output"].as_array().unwrap();
        let of =
            |kind: &str| -> Vec<&Value> { output.iter().filter(|i| i["type"] == kind).collect() };
        let text: String = of("message")
            .iter()
            .flat_map(|m| m["content"].as_array().unwrap())
            .map(|p| p["text"].as_str().unwrap())
            .collect();
        assert_eq!(text, trip.text, "{}: output_text", trip.name);
        let calls = of("function_call");
        assert_eq!(
            calls.len(),
            trip.calls.len(),
            "{}: function calls",
            trip.name
        );
        for (got, (id, name, args)) in calls.iter().zip(trip.calls) {
            assert_eq!(got["call_id"], *id, "{}", trip.name);
            assert_eq!(got["name"], *name, "{}", trip.name);
            let got_args = parse_args(got["arguments"].as_str().unwrap());
            assert_eq!(got_args, parse_args(args), "{}: arguments", trip.name);
        }
        let reasoning = of("reasoning");
        match trip.thinking {
            Some((thinking, signature)) => {
                assert_eq!(reasoning.len(), 1, "{}", trip.name);
                assert_eq!(
                    reasoning[0]["encrypted_content"], signature,
                    "{}",
                    trip.name
                );
                assert_eq!(
                    reasoning[0]["summary"][0]["text"], thinking,
                    "{}",
                    trip.name
                );
            }
            None => assert!(reasoning.is_empty(), "{}", trip.name),
        }
    }
}

#[test]
fn golden_round_trip_ids_made_anthropic_safe() {
    // Anthropic tool ids are `[A-Za-z0-9_-]+`: other characters become `_` on the way up, the
    // same on the call and its result, so the pair still matches (the client sees the new id).
    let body = json!({
        "model": "claude-sonnet-4-5",
        "messages": [
            {"role": "user", "content": "Go."},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call.1:abc", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "call.1:abc", "content": "ok"},
        ],
    })
    .to_string();
    let ctx = RequestContext {
        upstream_model: "claude-sonnet-4-5-20250929",
        stream: false,
    };
    let up = convert::request(
        Dialect::OpenAiChat,
        Dialect::Anthropic,
        body.as_bytes(),
        &ctx,
    )
    .unwrap();
    let up: Value = serde_json::from_slice(&up).unwrap();
    assert_eq!(up["messages"][1]["content"][0]["id"], "call_1_abc");
    assert_eq!(up["messages"][2]["content"][0]["tool_use_id"], "call_1_abc");
}

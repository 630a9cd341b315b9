//! The `mock` platform: a simulated upstream inside the process, named as such and only used
//! when configured (`relay demo`, tests). It answers every dialect in its real wire format,
//! streaming or not, and can be told to be slow, to fail, or to rate-limit.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::stream;
use http::StatusCode;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};

use crate::error::{Error, ErrorKind};
use crate::http::{Body, full, sse};
use crate::pool::Account;
use crate::protocol::{Dialect, json};

/// What the client asked the mock for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A generation in the given dialect.
    Generate(Dialect),
    /// Anthropic `count_tokens`.
    CountTokens,
}

/// Answers one request as the simulated upstream would.
pub async fn respond(
    account: &Account,
    op: Operation,
    body: &[u8],
    model: &str,
) -> http::Response<Body> {
    let n = account.sent.fetch_add(1, Ordering::Relaxed);
    let m = &account.config.mock;
    if !m.latency.is_zero() {
        tokio::time::sleep(m.latency).await;
    }
    let dialect = match op {
        Operation::Generate(d) => d,
        Operation::CountTokens => Dialect::Anthropic,
    };
    if m.rate_limit_every > 0 && (n + 1).is_multiple_of(u64::from(m.rate_limit_every)) {
        let secs = m.retry_after.as_secs().max(1);
        let e = Error::new(
            ErrorKind::RateLimit,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            "mock: rate limit reached",
        );
        return error(dialect, &e, Some(secs));
    }
    if m.overloaded {
        let status = if dialect == Dialect::Anthropic {
            529
        } else {
            503
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let e = Error::new(
            ErrorKind::Overloaded,
            status,
            "overloaded",
            "mock: overloaded",
        );
        return error(dialect, &e, None);
    }
    if m.fail_rate > 0.0 && crossed(n, m.fail_rate) {
        let e = Error::new(
            ErrorKind::Internal,
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "mock: simulated internal error",
        );
        return error(dialect, &e, None);
    }
    let input_tokens = estimate_tokens(body);
    let words = reply_words(account.name(), model);
    let output_tokens = words.len() as u64;
    let id = format!("mock{:016x}", n ^ 0x5eed);
    match op {
        Operation::CountTokens => json_response(format!(r#"{{"input_tokens":{input_tokens}}}"#)),
        Operation::Generate(d) => {
            let streaming = json::bool_at(body, &["stream"]).unwrap_or(false);
            let include_usage =
                json::bool_at(body, &["stream_options", "include_usage"]).unwrap_or(false);
            let t = Tokens {
                input: input_tokens,
                output: output_tokens,
            };
            if streaming {
                let events = match d {
                    Dialect::Anthropic => anthropic_stream(&id, model, &words, t),
                    Dialect::OpenAiChat => chat_stream(&id, model, &words, t, include_usage),
                    Dialect::OpenAiResponses | Dialect::Gemini => {
                        responses_stream(&id, model, &words, t)
                    }
                };
                sse_response(events, m.chunk_delay)
            } else {
                let text = words.concat();
                json_response(match d {
                    Dialect::Anthropic => anthropic_message(&id, model, &text, t),
                    Dialect::OpenAiChat => chat_completion(&id, model, &text, t),
                    Dialect::OpenAiResponses | Dialect::Gemini => {
                        response_object(&id, model, &text, t, "completed")
                    }
                })
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Tokens {
    input: u64,
    output: u64,
}

/// Deterministic failure schedule: request `n` fails when `(n+1)·rate` crosses an integer.
fn crossed(n: u64, rate: f64) -> bool {
    #[expect(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "request counts stay far below 2^52"
    )]
    let f = |x: u64| (x as f64 * rate).floor() as u64;
    f(n + 1) > f(n)
}

/// Roughly four bytes per token, at least one.
fn estimate_tokens(body: &[u8]) -> u64 {
    (body.len() as u64 / 4).max(1)
}

fn reply_words(account: &str, model: &str) -> Vec<String> {
    let text = format!("This is a simulated reply from the mock account {account} for {model}.");
    let mut words = Vec::new();
    for (i, w) in text.split(' ').enumerate() {
        words.push(if i == 0 {
            w.to_owned()
        } else {
            format!(" {w}")
        });
    }
    words
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn error(dialect: Dialect, e: &Error, retry_after: Option<u64>) -> http::Response<Body> {
    let mut b = http::Response::builder()
        .status(e.status())
        .header("content-type", "application/json");
    if let Some(s) = retry_after {
        b = b.header("retry-after", s.to_string());
    }
    b.body(full(dialect.error_body(e)))
        .unwrap_or_else(|_| http::Response::new(full(Bytes::new())))
}

fn json_response(body: String) -> http::Response<Body> {
    http::Response::builder()
        .header("content-type", "application/json")
        .header("request-id", "mock")
        .body(full(body))
        .unwrap_or_else(|_| http::Response::new(full(Bytes::new())))
}

fn sse_response(events: Vec<Bytes>, delay: Duration) -> http::Response<Body> {
    let s = stream::unfold(
        (events.into_iter(), true),
        move |(mut it, first)| async move {
            let ev = it.next()?;
            if !first && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            Some((Ok::<_, Infallible>(Frame::data(ev)), (it, false)))
        },
    );
    let body = StreamBody::new(s)
        .map_err(|never| match never {})
        .boxed_unsync();
    http::Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(body)
        .unwrap_or_else(|_| http::Response::new(full(Bytes::new())))
}

fn anthropic_message(id: &str, model: &str, text: &str, t: Tokens) -> String {
    format!(
        r#"{{"id":"msg_{id}","type":"message","role":"assistant","model":{},"content":[{{"type":"text","text":{}}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":{},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":{}}}}}"#,
        json::quote(model),
        json::quote(text),
        t.input,
        t.output
    )
}

fn anthropic_stream(id: &str, model: &str, words: &[String], t: Tokens) -> Vec<Bytes> {
    let mut v = vec![
        sse::encode(
            Some("message_start"),
            &format!(
                r#"{{"type":"message_start","message":{{"id":"msg_{id}","type":"message","role":"assistant","model":{},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}}}}"#,
                json::quote(model),
                t.input
            ),
        ),
        sse::encode(
            Some("content_block_start"),
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        ),
        sse::encode(Some("ping"), r#"{"type": "ping"}"#),
    ];
    for w in words {
        v.push(sse::encode(
            Some("content_block_delta"),
            &format!(r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":{}}}}}"#, json::quote(w)),
        ));
    }
    v.push(sse::encode(
        Some("content_block_stop"),
        r#"{"type":"content_block_stop","index":0}"#,
    ));
    v.push(sse::encode(
        Some("message_delta"),
        &format!(
            r#"{{"type":"message_delta","delta":{{"stop_reason":"end_turn","stop_sequence":null}},"usage":{{"output_tokens":{}}}}}"#,
            t.output
        ),
    ));
    v.push(sse::encode(
        Some("message_stop"),
        r#"{"type":"message_stop"}"#,
    ));
    v
}

fn chat_usage(t: Tokens) -> String {
    format!(
        r#"{{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{},"prompt_tokens_details":{{"cached_tokens":0}}}}"#,
        t.input,
        t.output,
        t.input + t.output
    )
}

fn chat_completion(id: &str, model: &str, text: &str, t: Tokens) -> String {
    format!(
        r#"{{"id":"chatcmpl-{id}","object":"chat.completion","created":{},"model":{},"choices":[{{"index":0,"message":{{"role":"assistant","content":{},"refusal":null}},"logprobs":null,"finish_reason":"stop"}}],"usage":{}}}"#,
        now_secs(),
        json::quote(model),
        json::quote(text),
        chat_usage(t)
    )
}

fn chat_stream(
    id: &str,
    model: &str,
    words: &[String],
    t: Tokens,
    include_usage: bool,
) -> Vec<Bytes> {
    let created = now_secs();
    let usage_null = if include_usage {
        r#","usage":null"#
    } else {
        ""
    };
    let chunk = |delta: &str, finish: &str| {
        sse::encode(
            None,
            &format!(
                r#"{{"id":"chatcmpl-{id}","object":"chat.completion.chunk","created":{created},"model":{},"choices":[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]{usage_null}}}"#,
                json::quote(model)
            ),
        )
    };
    let mut v = vec![chunk(r#"{"role":"assistant","content":""}"#, "null")];
    for w in words {
        v.push(chunk(
            &format!(r#"{{"content":{}}}"#, json::quote(w)),
            "null",
        ));
    }
    v.push(chunk("{}", r#""stop""#));
    if include_usage {
        v.push(sse::encode(
            None,
            &format!(
                r#"{{"id":"chatcmpl-{id}","object":"chat.completion.chunk","created":{created},"model":{},"choices":[],"usage":{}}}"#,
                json::quote(model),
                chat_usage(t)
            ),
        ));
    }
    v.push(sse::encode(None, "[DONE]"));
    v
}

fn response_object(id: &str, model: &str, text: &str, t: Tokens, status: &str) -> String {
    let (output, usage) = if status == "completed" {
        (
            format!(
                r#"[{{"id":"msg_{id}","type":"message","status":"completed","role":"assistant","content":[{{"type":"output_text","text":{},"annotations":[]}}]}}]"#,
                json::quote(text)
            ),
            format!(
                r#"{{"input_tokens":{},"input_tokens_details":{{"cached_tokens":0}},"output_tokens":{},"output_tokens_details":{{"reasoning_tokens":0}},"total_tokens":{}}}"#,
                t.input,
                t.output,
                t.input + t.output
            ),
        )
    } else {
        ("[]".to_owned(), "null".to_owned())
    };
    format!(
        r#"{{"id":"resp_{id}","object":"response","created_at":{},"status":{},"error":null,"incomplete_details":null,"model":{},"output":{output},"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"usage":{usage}}}"#,
        now_secs(),
        json::quote(status),
        json::quote(model)
    )
}

fn responses_stream(id: &str, model: &str, words: &[String], t: Tokens) -> Vec<Bytes> {
    let mut seq = 0u64;
    let mut v = Vec::new();
    let mut push = |name: &str, body: String| {
        let data = format!(r#"{{"type":"{name}","sequence_number":{seq},{body}}}"#);
        v.push(sse::encode(Some(name), &data));
        seq += 1;
    };
    let text = words.concat();
    let item = format!(r#""item_id":"msg_{id}","output_index":0,"content_index":0"#);
    push(
        "response.created",
        format!(
            r#""response":{}"#,
            response_object(id, model, "", t, "in_progress")
        ),
    );
    push(
        "response.in_progress",
        format!(
            r#""response":{}"#,
            response_object(id, model, "", t, "in_progress")
        ),
    );
    push(
        "response.output_item.added",
        format!(
            r#""output_index":0,"item":{{"id":"msg_{id}","type":"message","status":"in_progress","role":"assistant","content":[]}}"#
        ),
    );
    push(
        "response.content_part.added",
        format!(r#"{item},"part":{{"type":"output_text","text":"","annotations":[]}}"#),
    );
    for w in words {
        push(
            "response.output_text.delta",
            format!(r#"{item},"delta":{},"logprobs":[]"#, json::quote(w)),
        );
    }
    push(
        "response.output_text.done",
        format!(r#"{item},"text":{},"logprobs":[]"#, json::quote(&text)),
    );
    push(
        "response.content_part.done",
        format!(
            r#"{item},"part":{{"type":"output_text","text":{},"annotations":[]}}"#,
            json::quote(&text)
        ),
    );
    push(
        "response.output_item.done",
        format!(
            r#""output_index":0,"item":{{"id":"msg_{id}","type":"message","status":"completed","role":"assistant","content":[{{"type":"output_text","text":{},"annotations":[]}}]}}"#,
            json::quote(&text)
        ),
    );
    push(
        "response.completed",
        format!(
            r#""response":{}"#,
            response_object(id, model, &text, t, "completed")
        ),
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_schedule_is_deterministic() {
        let fails: Vec<bool> = (0..10).map(|n| crossed(n, 0.3)).collect();
        assert_eq!(fails.iter().filter(|f| **f).count(), 3);
        assert!((0..100).all(|n| !crossed(n, 0.0)));
        assert!((0..100).all(|n| crossed(n, 1.0)));
    }

    #[test]
    fn every_generated_event_is_valid_json() {
        let words = reply_words("a", "m");
        let t = Tokens {
            input: 3,
            output: 4,
        };
        let all = [
            anthropic_stream("x", "m", &words, t),
            chat_stream("x", "m", &words, t, true),
            responses_stream("x", "m", &words, t),
        ];
        for events in all {
            for e in events {
                let text = String::from_utf8(e.to_vec()).unwrap();
                let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
                if data != "[DONE]" {
                    serde_json::from_str::<serde_json::Value>(data).unwrap();
                }
            }
        }
        for body in [
            anthropic_message("x", "m", "t", t),
            chat_completion("x", "m", "t", t),
            response_object("x", "m", "t", t, "completed"),
        ] {
            serde_json::from_str::<serde_json::Value>(&body).unwrap();
        }
    }
}

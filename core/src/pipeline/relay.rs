//! Relaying an upstream answer to the client: streams event by event the moment each event is
//! complete (usage tapped, model name restored, the relay's own usage chunk removed), bodies
//! whole. The first stream event is peeked before the answer starts, so an upstream that
//! fails early can still be replaced by another account; after that, a stream that fails or is
//! cut off ends with the dialect's terminal error event. When the client goes away mid-stream
//! the upstream is still drained, so usage is recorded.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use tokio::time::Instant;

use super::downstream::Downstream;
use super::record::Recorder;
use crate::error::{Error, ErrorKind};
use crate::failover::{self, Failure};
use crate::http::{Body, full, sse};
use crate::protocol::{Dialect, StreamTap, convert, json};
use crate::server::respond::Timing;
use crate::upstream::DROPPED_RESPONSE;

/// Largest single SSE event accepted from an upstream.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;
/// Largest non-streaming upstream body read.
pub const MAX_UPSTREAM_BODY: u64 = 256 * 1024 * 1024;

/// How to relay one answer.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The client's dialect.
    pub dialect: Dialect,
    /// The upstream's dialect (the client's when passed through, else converted).
    pub upstream: Dialect,
    /// The model the client asked for (shown back to it).
    pub client_model: String,
    /// The upstream saw another model name: put the client's back.
    pub restore_model: bool,
    /// The relay asked for a Chat usage chunk the client did not ask for: drop it.
    pub strip_usage_chunk: bool,
    /// No upstream bytes for this long ends the stream.
    pub idle_timeout: Duration,
    /// Keep-alive interval towards the client while the upstream is silent.
    pub keepalive: Duration,
}

/// How relaying an answer ended.
#[derive(Debug)]
pub enum Relayed {
    /// The answer went to the client (a stream may have ended with a terminal error event);
    /// `broken` is set when the upstream failed after the answer had started (the account is
    /// penalised, but there is no retry).
    Delivered {
        /// The failure after the answer started, if any.
        broken: Option<Failure>,
        /// The response/message id the upstream gave the answer.
        response_id: Option<String>,
    },
    /// Nothing of the answer reached the client: another account may try. The upstream's
    /// response headers come along when they may say when the account recovers.
    Retry(Failure, Option<http::HeaderMap>),
}

/// Copies upstream response headers worth passing on.
pub fn response_head(parts: &http::response::Parts) -> http::Response<()> {
    let mut resp = http::Response::new(());
    *resp.status_mut() = parts.status;
    for (name, value) in &parts.headers {
        if !DROPPED_RESPONSE.contains(&name.as_str()) {
            resp.headers_mut().append(name.clone(), value.clone());
        }
    }
    resp
}

fn idle_error(plan: &Plan) -> Error {
    Error::new(
        ErrorKind::Upstream,
        http::StatusCode::GATEWAY_TIMEOUT,
        "stream_idle_timeout",
        format!(
            "the upstream sent nothing for {}s; the stream was ended",
            plan.idle_timeout.as_secs()
        ),
    )
}

/// Relays a streaming answer into `down`.
pub async fn stream(
    down: &mut Downstream,
    upstream: http::Response<Body>,
    plan: &Plan,
    rec: &mut Recorder,
    timing: &Timing,
) -> Relayed {
    let (parts, mut body) = upstream.into_parts();
    let mut tap = StreamTap::new(plan.upstream, &plan.client_model);
    let mut transcoder = if plan.upstream == plan.dialect {
        None
    } else {
        convert::transcoder(plan.upstream, plan.dialect, &plan.client_model)
    };
    // A transcoded stream's events are read, never sent as they came.
    let mut decoder = match transcoder {
        Some(_) => sse::Decoder::new(MAX_EVENT_BYTES).without_raw(),
        None => sse::Decoder::new(MAX_EVENT_BYTES),
    };
    let mut frames: Vec<Bytes> = Vec::new();
    let mut events = Vec::new();
    let mut answered = false;
    let mut upstream_error_event = false;
    let mut upstream_error_kind: Option<Option<String>> = None;
    let mut failure: Option<(Error, Failure)> = None;
    let mut last_data = Instant::now();
    let keepalive = plan.keepalive.max(Duration::from_millis(10));
    loop {
        let idle_left = plan.idle_timeout.saturating_sub(last_data.elapsed());
        if idle_left.is_zero() {
            if !answered {
                return Relayed::Retry(Failure::Timeout, None);
            }
            failure = Some((idle_error(plan), Failure::StreamBroken));
            break;
        }
        let frame = match tokio::time::timeout(keepalive.min(idle_left), body.frame()).await {
            Err(_) => {
                if !down.committed() {
                    down.commit(response_head(&parts), timing);
                }
                if !down.is_gone() {
                    down.ping().await;
                }
                continue;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                tracing::debug!(error = %e, "upstream stream failed");
                if !answered {
                    return Relayed::Retry(Failure::StreamBroken, None);
                }
                failure = Some((
                    Error::upstream(
                        "upstream_stream_error",
                        "the upstream connection failed in the middle of the stream",
                    ),
                    Failure::StreamBroken,
                ));
                break;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        last_data = Instant::now();
        // Events completed before an oversized one are still relayed; the error ends the
        // stream after them.
        let pushed = decoder.push(&data, &mut events);
        let mut batch = Batch::default();
        for ev in events.drain(..) {
            let info = tap.observe(&ev);
            if info.error && !answered && batch.is_empty() {
                let kind = failover::stream_error_kind(plan.upstream, &ev.data);
                return Relayed::Retry(Failure::StreamError { kind }, Some(parts.headers.clone()));
            }
            if let Some(t) = transcoder.as_mut() {
                if info.error {
                    // The upstream's own error event cannot be relayed as it is: end the
                    // client's stream with its dialect's terminal error instead.
                    let kind = failover::stream_error_kind(plan.upstream, &ev.data);
                    let err = stream_error(&ev.data, kind.as_deref());
                    failure = Some((err, Failure::StreamError { kind }));
                    break;
                }
                t.push_observed(&ev, &info, &mut frames);
                for f in frames.drain(..) {
                    if !(plan.strip_usage_chunk && is_usage_only_chunk(&f)) {
                        batch.push(f);
                    }
                }
                continue;
            }
            if info.error && upstream_error_kind.is_none() {
                upstream_error_event = true;
                upstream_error_kind = Some(failover::stream_error_kind(plan.upstream, &ev.data));
            }
            if plan.strip_usage_chunk && info.usage_only {
                continue;
            }
            if ev.is_comment_only && !answered {
                continue;
            }
            batch.push(if plan.restore_model {
                restore_model(&ev, plan)
            } else {
                ev.raw
            });
        }
        if let Some(chunk) = batch.take() {
            if !down.committed() {
                down.commit(response_head(&parts), timing);
            }
            answered = true;
            rec.first_byte();
            if !down.send(chunk).await {
                tracing::debug!("client went away mid-stream; draining the upstream for usage");
            }
        }
        if let Err(e) = pushed {
            if !answered {
                return Relayed::Retry(Failure::StreamBroken, None);
            }
            failure = Some((
                Error::upstream(
                    "upstream_event_too_large",
                    format!("the upstream sent an oversized stream event ({e})"),
                ),
                Failure::StreamBroken,
            ));
        }
        if failure.is_some() {
            break;
        }
    }
    if !answered && !tap.completed && !upstream_error_event {
        return Relayed::Retry(failure.map_or(Failure::StreamBroken, |(_, f)| f), None);
    }
    let tail = decoder.finish();
    let truncated_inside_event = tail.as_ref().is_some_and(|t| t.truncated);
    if let Some(t) = transcoder.as_mut() {
        if tap.completed {
            t.finish(&mut frames);
            let mut batch = Batch::default();
            for f in frames.drain(..) {
                if !(plan.strip_usage_chunk && is_usage_only_chunk(&f)) {
                    batch.push(f);
                }
            }
            if let Some(chunk) = batch.take() {
                down.send(chunk).await;
            }
        }
    } else if let Some(t) = tail.filter(|t| !t.truncated) {
        down.send(t.raw).await;
    }
    let context = transcoder
        .as_ref()
        .map_or_else(|| tap.context.clone(), |t| t.context());
    let mut code = None;
    let mut broken = None;
    let ending = if let Some(kind) = upstream_error_kind {
        // The upstream ended the answer with its own error event, already relayed: that is
        // the terminal event (a Chat client still gets its `[DONE]`), and never a success.
        code = Some("upstream_stream_error");
        broken = Some(Failure::StreamError { kind });
        if plan.dialect == Dialect::OpenAiChat && !tap.completed {
            down.send(sse::encode(None, "[DONE]")).await;
        }
        None
    } else if tap.completed {
        None
    } else if let Some((err, f)) = failure {
        broken = Some(f);
        Some(err)
    } else {
        if truncated_inside_event {
            tracing::debug!("upstream stream ended inside an event");
        }
        broken = Some(Failure::StreamBroken);
        Some(Error::upstream(
            "stream_truncated",
            "the upstream stream ended before the answer was complete",
        ))
    };
    if let Some(err) = ending {
        code = Some(err.code());
        down.fail(&err, &context, timing).await;
    }
    if let Some(e) = rec.event() {
        e.usage = tap.usage;
        e.status = 200;
        e.error = code;
    }
    Relayed::Delivered {
        broken,
        response_id: tap.context.response_id.clone(),
    }
}

/// The relay's error for an upstream error event (its message is at `error.message`,
/// `response.error.message` or `message`, depending on the dialect); overloads keep their kind.
fn stream_error(data: &str, kind: Option<&str>) -> Error {
    let d = data.as_bytes();
    let message = json::str_at(d, &["error", "message"])
        .or_else(|| json::str_at(d, &["response", "error", "message"]))
        .or_else(|| json::str_at(d, &["message"]))
        .map_or_else(
            || "the upstream reported an error mid-stream".to_owned(),
            |m| m.into_owned(),
        );
    let overloaded = kind.is_some_and(|k| {
        let k = k.to_ascii_lowercase();
        k.contains("overloaded") || k == "unavailable"
    });
    if overloaded {
        Error::new(
            ErrorKind::Overloaded,
            http::StatusCode::SERVICE_UNAVAILABLE,
            "upstream_overloaded",
            message,
        )
    } else {
        Error::upstream("upstream_stream_error", message)
    }
}

/// Encoded events collected from one upstream chunk, sent to the client as one frame.
#[derive(Default)]
struct Batch {
    single: Option<Bytes>,
    many: Option<BytesMut>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.single.is_none() && self.many.is_none()
    }

    fn push(&mut self, bytes: Bytes) {
        match (&mut self.many, self.single.take()) {
            (Some(buf), _) => buf.extend_from_slice(&bytes),
            (None, None) => self.single = Some(bytes),
            (None, Some(first)) => {
                let mut buf = BytesMut::with_capacity(first.len() + bytes.len());
                buf.extend_from_slice(&first);
                buf.extend_from_slice(&bytes);
                self.many = Some(buf);
            }
        }
    }

    fn take(&mut self) -> Option<Bytes> {
        self.many
            .take()
            .map(BytesMut::freeze)
            .or_else(|| self.single.take())
    }
}

/// Whether an encoded Chat chunk only carries usage (`choices: []`).
fn is_usage_only_chunk(frame: &[u8]) -> bool {
    let Some(start) = frame.windows(5).position(|w| w == b"data:") else {
        return false;
    };
    let data = frame.get(start + 5..).unwrap_or_default();
    let data = data.strip_prefix(b" ").unwrap_or(data);
    let end = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let data = data.get(..end).unwrap_or_default();
    let empty_choices = json::find(data, &["choices"])
        .and_then(|r| data.get(r))
        .is_some_and(|c| {
            c.iter()
                .filter(|b| !b.is_ascii_whitespace())
                .eq(b"[]".iter())
        });
    empty_choices
        && json::find(data, &["usage"])
            .and_then(|r| data.get(r))
            .is_some_and(|u| u != b"null")
}

/// The event with the client's model name where the upstream put its own.
fn restore_model(ev: &sse::Event, plan: &Plan) -> Bytes {
    let data = ev.data.as_bytes();
    for path in plan.dialect.stream_model_paths() {
        if let Some(r) = json::find(data, path)
            && data.get(r.start) == Some(&b'"')
        {
            let patched = json::replace(data, r, json::quote(&plan.client_model).as_bytes());
            return sse::encode(ev.event.as_deref(), &String::from_utf8_lossy(&patched));
        }
    }
    ev.raw.clone()
}

/// Relays a complete (non-streaming) answer, or an upstream error to pass through.
pub async fn whole(
    down: &mut Downstream,
    upstream: http::Response<Body>,
    plan: &Plan,
    rec: &mut Recorder,
    timing: &Timing,
) -> Relayed {
    let (parts, body) = upstream.into_parts();
    let read = tokio::time::timeout(
        plan.idle_timeout,
        crate::http::read_bounded(body, MAX_UPSTREAM_BODY),
    );
    let mut bytes = match read.await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => return Relayed::Retry(Failure::StreamBroken, None),
        Err(_) => return Relayed::Retry(Failure::Timeout, None),
    };
    rec.first_byte();
    let success = parts.status.is_success();
    if success
        && plan.restore_model
        && let Some(r) = json::find(&bytes, plan.dialect.body_model_path())
        && bytes.get(r.start) == Some(&b'"')
    {
        bytes = Bytes::from(json::replace(
            &bytes,
            r,
            json::quote(&plan.client_model).as_bytes(),
        ));
    }
    // Only Responses answers are pinned to their account (for `previous_response_id`).
    let response_id = if success && plan.dialect == Dialect::OpenAiResponses {
        json::str_at(&bytes, &["id"]).map(|s| s.into_owned())
    } else {
        None
    };
    if let Some(e) = rec.event() {
        if success {
            e.usage = plan.upstream.body_usage(&bytes);
        }
        e.status = parts.status.as_u16();
    }
    let converted = plan.upstream != plan.dialect;
    if converted {
        // The answer must be rewritten for the client: a success converted, an error re-said
        // in the client's dialect (its status kept).
        let err = if success {
            match convert::response(plan.upstream, plan.dialect, &bytes, &plan.client_model) {
                Ok(b) => {
                    let mut resp = http::Response::new(full(b));
                    resp.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    if down.committed() {
                        let err = not_streamed();
                        if let Some(e) = rec.event() {
                            e.status = 200;
                            e.error = Some(err.code());
                        }
                        down.fail(&err, &Default::default(), timing).await;
                    } else {
                        down.respond(resp, timing);
                    }
                    return Relayed::Delivered {
                        broken: None,
                        response_id,
                    };
                }
                Err(e) => Error::upstream(
                    "conversion_failed",
                    format!("the upstream's answer could not be converted: {e}"),
                ),
            }
        } else {
            upstream_error(parts.status, &bytes)
        };
        if let Some(e) = rec.event() {
            e.status = if down.committed() {
                200
            } else {
                err.status().as_u16()
            };
            e.error = Some(err.code());
        }
        down.fail(&err, &Default::default(), timing).await;
        return Relayed::Delivered {
            broken: None,
            response_id: None,
        };
    }
    if down.committed() {
        // The client was sent keep-alives while this request queued: the answer can only go
        // out as an SSE error now (a non-streaming request never commits, so this is an error
        // answer to a streaming request).
        let err = if success {
            not_streamed()
        } else {
            upstream_error(parts.status, &bytes)
        };
        if let Some(e) = rec.event() {
            e.status = 200;
            e.error = Some(err.code());
        }
        down.fail(&err, &Default::default(), timing).await;
    } else {
        let (head, ()) = response_head(&parts).into_parts();
        down.respond(http::Response::from_parts(head, full(bytes)), timing);
    }
    Relayed::Delivered {
        broken: None,
        response_id,
    }
}

/// A streaming request (its SSE head already sent with keep-alives) answered without a stream.
fn not_streamed() -> Error {
    Error::upstream(
        "upstream_not_streaming",
        "the upstream answered this streaming request without a stream",
    )
}

/// An upstream error answer as a relay error carrying the upstream's own message (every
/// dialect puts it at `error.message`).
pub fn upstream_error(status: http::StatusCode, body: &[u8]) -> Error {
    let message = json::str_at(body, &["error", "message"]).map_or_else(
        || format!("the upstream answered {status}"),
        |m| m.into_owned(),
    );
    let kind = match status.as_u16() {
        401 => ErrorKind::Authentication,
        403 => ErrorKind::Permission,
        404 => ErrorKind::NotFound,
        413 => ErrorKind::TooLarge,
        429 => ErrorKind::RateLimit,
        529 => ErrorKind::Overloaded,
        s if s >= 500 => ErrorKind::Upstream,
        _ => ErrorKind::InvalidRequest,
    };
    Error::new(kind, status, super::upstream_code(status.as_u16()), message)
}

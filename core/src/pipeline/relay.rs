//! Relaying an upstream answer to the client: streams event by event the moment each event is
//! complete (usage tapped, model name restored, the relay's own usage chunk removed), bodies
//! whole; a stream that fails or is cut off ends with the dialect's terminal error event.
//! When the client goes away mid-stream the upstream is still drained, so usage is recorded.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::record::Recorder;
use crate::error::Error;
use crate::gateway::Shared;
use crate::http::{Body, full, sse};
use crate::protocol::{Dialect, StreamTap, json};
use crate::upstream::DROPPED_RESPONSE;

/// Largest single SSE event accepted from an upstream.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;
/// Largest non-streaming upstream body read.
pub const MAX_UPSTREAM_BODY: u64 = 256 * 1024 * 1024;
/// Frames buffered between the upstream reader and a slow client.
const CHANNEL_FRAMES: usize = 16;

/// How to relay one answer.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The dialect of both sides.
    pub dialect: Dialect,
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

/// Relays a streaming answer; the returned response's body is fed by a task that owns the
/// upstream body and the recorder.
pub fn stream(
    shared: Arc<Shared>,
    upstream: http::Response<Body>,
    plan: Plan,
    rec: Recorder,
) -> http::Response<Body> {
    let (parts, body) = upstream.into_parts();
    let (tx, rx) = mpsc::channel::<Bytes>(CHANNEL_FRAMES);
    tokio::spawn(async move {
        let _busy = shared.tracker.enter();
        pump(body, tx, plan, rec).await;
    });
    let frames = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    let (head, ()) = response_head(&parts).into_parts();
    let mut resp = http::Response::from_parts(
        head,
        StreamBody::new(frames)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    resp.headers_mut()
        .insert("x-accel-buffering", http::HeaderValue::from_static("no"));
    resp
}

async fn pump(mut body: Body, tx: mpsc::Sender<Bytes>, plan: Plan, mut rec: Recorder) {
    let mut decoder = sse::Decoder::new(MAX_EVENT_BYTES);
    let mut tap = StreamTap::new(plan.dialect, &plan.client_model);
    let mut events = Vec::new();
    let mut alive = true;
    let mut upstream_error_event = false;
    let mut failure: Option<Error> = None;
    let mut last_data = Instant::now();
    let keepalive = plan.keepalive.max(Duration::from_millis(10));
    loop {
        let idle_left = plan.idle_timeout.saturating_sub(last_data.elapsed());
        if idle_left.is_zero() {
            failure = Some(Error::new(
                crate::error::ErrorKind::Upstream,
                http::StatusCode::GATEWAY_TIMEOUT,
                "stream_idle_timeout",
                format!(
                    "the upstream sent nothing for {}s; the stream was ended",
                    plan.idle_timeout.as_secs()
                ),
            ));
            break;
        }
        let frame = match tokio::time::timeout(keepalive.min(idle_left), body.frame()).await {
            Err(_) => {
                if alive && !idle_left.is_zero() && tx.send(plan.dialect.keepalive()).await.is_err()
                {
                    alive = false;
                    rec.disconnected.store(true, Ordering::Relaxed);
                }
                continue;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                tracing::debug!(error = %e, "upstream stream failed");
                failure = Some(Error::upstream(
                    "upstream_stream_error",
                    "the upstream connection failed in the middle of the stream",
                ));
                break;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        last_data = Instant::now();
        if let Err(e) = decoder.push(&data, &mut events) {
            failure = Some(Error::upstream(
                "upstream_event_too_large",
                format!("the upstream sent an oversized stream event ({e})"),
            ));
            break;
        }
        let mut out: Option<BytesMut> = None;
        let mut single: Option<Bytes> = None;
        for ev in events.drain(..) {
            let info = tap.observe(&ev);
            upstream_error_event |= info.error;
            if plan.strip_usage_chunk && info.usage_only {
                continue;
            }
            let bytes = if plan.restore_model {
                restore_model(&ev, &plan)
            } else {
                ev.raw
            };
            match (&mut out, single.take()) {
                (Some(buf), _) => buf.extend_from_slice(&bytes),
                (None, None) => single = Some(bytes),
                (None, Some(first)) => {
                    let mut buf = BytesMut::with_capacity(first.len() + bytes.len());
                    buf.extend_from_slice(&first);
                    buf.extend_from_slice(&bytes);
                    out = Some(buf);
                }
            }
        }
        let chunk = out.map(BytesMut::freeze).or(single);
        if let Some(chunk) = chunk {
            rec.first_byte();
            if alive && tx.send(chunk).await.is_err() {
                alive = false;
                rec.disconnected.store(true, Ordering::Relaxed);
                tracing::debug!("client went away mid-stream; draining the upstream for usage");
            }
        }
    }
    let tail = decoder.finish();
    let truncated_inside_event = tail.as_ref().is_some_and(|t| t.truncated);
    if let Some(t) = tail.filter(|t| !t.truncated)
        && alive
    {
        let _ = tx.send(t.raw).await;
    }
    let mut code = None;
    let ending = if tap.completed {
        None
    } else if let Some(err) = failure {
        Some(err)
    } else if upstream_error_event {
        code = Some("upstream_stream_error");
        if plan.dialect == Dialect::OpenAiChat && alive {
            let _ = tx.send(sse::encode(None, "[DONE]")).await;
        }
        None
    } else {
        if truncated_inside_event {
            tracing::debug!("upstream stream ended inside an event");
        }
        Some(Error::upstream(
            "stream_truncated",
            "the upstream stream ended before the answer was complete",
        ))
    };
    if let Some(err) = ending {
        code = Some(err.code());
        if alive {
            let _ = tx.send(plan.dialect.stream_error(&err, &tap.context)).await;
        }
    }
    if let Some(e) = rec.event() {
        e.usage = tap.usage;
    }
    rec.finish(200, code);
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

/// Relays a complete (non-streaming) answer.
pub async fn whole(
    upstream: http::Response<Body>,
    plan: &Plan,
    rec: &mut Recorder,
) -> Result<http::Response<Body>, Error> {
    let (parts, body) = upstream.into_parts();
    let bytes = crate::http::read_bounded(body, MAX_UPSTREAM_BODY)
        .await
        .map_err(|e| {
            Error::upstream(
                "upstream_body_error",
                format!("reading the upstream answer failed: {e}"),
            )
        })?;
    rec.first_byte();
    let mut bytes = bytes;
    if plan.restore_model
        && let Some(r) = json::find(&bytes, plan.dialect.body_model_path())
        && bytes.get(r.start) == Some(&b'"')
    {
        bytes = Bytes::from(json::replace(
            &bytes,
            r,
            json::quote(&plan.client_model).as_bytes(),
        ));
    }
    if let Some(e) = rec.event() {
        e.usage = plan.dialect.body_usage(&bytes);
    }
    let (head, ()) = response_head(&parts).into_parts();
    Ok(http::Response::from_parts(head, full(bytes)))
}

//! The benchmark's zero-delay upstream: OpenAI `POST /v1/chat/completions` and Anthropic
//! `POST /v1/messages`, JSON or SSE, answered from fixed payloads on a real loopback socket.
//! Streams can be paced (`interval` between events); `"model":"hold"` streams stop after their
//! first event until [`Upstream::release`]. Each text event carries a stamp slot that is filled
//! with the time the event leaves the upstream (see [`stamp`]), so the client can tell how long
//! the event took to reach it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

pub const CHAT_JSON: &str = r#"{"id":"chatcmpl-bench000000000000000000000001","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_bench","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#;
pub const MSG_JSON: &str = r#"{"id":"msg_bench000000000000000000000001","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"Hello! How can I help you today?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":9,"service_tier":"standard"}}"#;
const CHAT_CHUNK: &str = r#"{"id":"chatcmpl-bench1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":DELTA,"finish_reason":FINISH}]}"#;
const CHAT_USAGE: &str = r#"{"id":"chatcmpl-bench1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}"#;
const MSG_HEAD: [&str; 2] = [
    r#"{"type":"message_start","message":{"id":"msg_bench1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}"#,
    r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
];
const MSG_DELTA: &str =
    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"TEXT"}}"#;
const MSG_TAIL: [&str; 3] = [
    r#"{"type":"content_block_stop","index":0}"#,
    r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}"#,
    r#"{"type":"message_stop"}"#,
];

/// The slot in each text event for its departure time: `~` + 16 digits + `~`.
pub const SLOT: &[u8; 18] = b"~TTTTTTTTTTTTTTTT~";

/// The process's clock origin for stamps (the upstream and the load generator share it).
pub fn epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

/// `frame` with its stamp slots (if any) filled with nanoseconds since [`epoch`].
fn stamp(frame: Bytes) -> Bytes {
    let Some(at) = memchr::memmem::find(&frame, SLOT) else {
        return frame;
    };
    let nanos = epoch().elapsed().as_nanos() % 10_u128.pow(16);
    let mut out = frame.to_vec();
    let mut from = at;
    while let Some(i) = memchr::memmem::find(&out[from..], SLOT).map(|i| i + from) {
        out[i + 1..i + 17].copy_from_slice(format!("{nanos:016}").as_bytes());
        from = i + 18;
    }
    Bytes::from(out)
}

/// The departure stamps in received bytes, in order.
pub fn stamps(data: &[u8]) -> impl Iterator<Item = std::time::Duration> + '_ {
    memchr::memchr_iter(b'~', data).filter_map(move |i| {
        let digits = data.get(i + 1..i + 17)?;
        if data.get(i + 17) != Some(&b'~') || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
        Some(std::time::Duration::from_nanos(n))
    })
}

fn sse(data: &str) -> Bytes {
    // Anthropic events are named after their `type`; OpenAI's carry no name.
    let name = serde_json::from_str::<serde_json::Value>(data).ok();
    match name.as_ref().and_then(|v| v["type"].as_str()) {
        Some(name) => Bytes::from(format!("event: {name}\ndata: {data}\n\n")),
        None => Bytes::from(format!("data: {data}\n\n")),
    }
}

/// The fixed streams: `k` events each, so exactly `k` `data:` lines.
pub struct Payloads {
    chat: Vec<Bytes>,
    msg: Vec<Bytes>,
}

impl Payloads {
    pub fn new(k: usize) -> Self {
        let chunk = |i: usize| {
            let delta = match i {
                0 => r#"{"role":"assistant","content":""}"#.to_owned(),
                _ => format!(r#"{{"content":"w{i} {}"}}"#, slot()),
            };
            let finish = if i == k - 3 { r#""stop""# } else { "null" };
            sse(&CHAT_CHUNK
                .replace("DELTA", &delta)
                .replace("FINISH", finish))
        };
        let mut chat: Vec<Bytes> = (0..k - 2).map(chunk).collect();
        chat.extend([sse(CHAT_USAGE), sse("[DONE]")]);
        let deltas =
            (0..k - 5).map(|i| sse(&MSG_DELTA.replace("TEXT", &format!("w{i} {}", slot()))));
        let head = MSG_HEAD.iter().map(|d| sse(d));
        let msg = head
            .chain(deltas)
            .chain(MSG_TAIL.iter().map(|d| sse(d)))
            .collect();
        Payloads { chat, msg }
    }
}

fn slot() -> &'static str {
    std::str::from_utf8(SLOT).unwrap_or_default()
}

/// A response body: whole (with a content-length), or one frame per message of a channel.
enum RespBody {
    Whole(Option<Bytes>),
    Chan(mpsc::Receiver<Bytes>),
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = match self.get_mut() {
            RespBody::Whole(b) => Poll::Ready(b.take()),
            RespBody::Chan(rx) => rx.poll_recv(cx).map(|b| b.map(stamp)),
        };
        next.map(|b| b.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, RespBody::Whole(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RespBody::Whole(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            RespBody::Chan(_) => SizeHint::default(),
        }
    }
}

pub struct Upstream {
    pub payloads: Payloads,
    /// Senders of the held (`"model":"hold"`) streams; dropping one ends its stream.
    pub held: Mutex<Vec<mpsc::Sender<Bytes>>>,
    /// Pause between stream events (zero: back to back).
    pub interval: Duration,
}

impl Upstream {
    /// Ends every held stream with the usage chunk and `[DONE]`; returns how many there were.
    pub fn release(&self) -> usize {
        let held = std::mem::take(
            &mut *self
                .held
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let tail = &self.payloads.chat[self.payloads.chat.len() - 2..];
        for (tx, b) in held.iter().flat_map(|tx| tail.iter().map(move |b| (tx, b))) {
            let _ = tx.try_send(b.clone());
        }
        held.len()
    }
}

/// A body that yields `frames`, each its own frame, `interval` apart (back to back when zero),
/// then ends (or, with `keep`, waits until `keep` is dropped).
fn frames(
    frames: &[Bytes],
    keep: Option<&Mutex<Vec<mpsc::Sender<Bytes>>>>,
    interval: Duration,
) -> RespBody {
    let (tx, rx) = mpsc::channel(frames.len() + 2);
    if interval.is_zero() || keep.is_some() {
        for b in frames {
            let _ = tx.try_send(b.clone());
        }
        if let Some(keep) = keep {
            keep.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(tx);
        }
    } else {
        let frames = frames.to_vec();
        tokio::spawn(async move {
            for (i, b) in frames.into_iter().enumerate() {
                if i > 0 {
                    tokio::time::sleep(interval).await;
                }
                if tx.send(b).await.is_err() {
                    return;
                }
            }
        });
    }
    RespBody::Chan(rx)
}

async fn handle(
    req: Request<Incoming>,
    up: Arc<Upstream>,
) -> Result<Response<RespBody>, Infallible> {
    let path = req.uri().path().to_owned();
    let body = req.into_body().collect().await.map(|c| c.to_bytes());
    let v: serde_json::Value = body
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let (p, every) = (&up.payloads, up.interval);
    let (ok, json, sse) = (StatusCode::OK, "application/json", "text/event-stream");
    let whole = |s: &'static str| RespBody::Whole(Some(Bytes::from_static(s.as_bytes())));
    let (status, ctype, body) = match (path.as_str(), v["stream"].as_bool() == Some(true)) {
        ("/v1/chat/completions", true) if v["model"] == "hold" => {
            (ok, sse, frames(&p.chat[..1], Some(&up.held), every))
        }
        ("/v1/chat/completions", true) => (ok, sse, frames(&p.chat, None, every)),
        ("/v1/messages", true) => (ok, sse, frames(&p.msg, None, every)),
        ("/v1/chat/completions", false) => (ok, json, whole(CHAT_JSON)),
        ("/v1/messages", false) => (ok, json, whole(MSG_JSON)),
        _ => (
            StatusCode::NOT_FOUND,
            json,
            whole(r#"{"error":"not found"}"#),
        ),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let ctype = http::HeaderValue::from_static(ctype);
    resp.headers_mut().insert(http::header::CONTENT_TYPE, ctype);
    Ok(resp)
}

/// Serves `up` on loopback port `port` (0: any free one) on `rt`.
pub fn start(rt: &Runtime, up: Arc<Upstream>, port: u16) -> std::io::Result<SocketAddr> {
    let listener = rt.block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))?;
    let addr = listener.local_addr()?;
    rt.spawn(async move {
        loop {
            let tcp = match listener.accept().await {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    tracing::warn!(error = %e, "bench upstream: accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let up = up.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| handle(req, up.clone()));
                let server = auto::Builder::new(TokioExecutor::new());
                let _ = server.serve_connection(TokioIo::new(tcp), svc).await;
            });
        }
    });
    Ok(addr)
}

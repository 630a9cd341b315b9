//! Fake upstream provider for integration tests: an in-process HTTP/1.1 + h2c server that speaks the Anthropic Messages and OpenAI Chat Completions / Responses wire formats, records every request it receives, and replays scripted replies (errors, paced SSE, hangs, connections dropped mid-body).
//!
//! Uses only crates that the relay already has as dev-dependencies (tokio, hyper, hyper-util,
//! http, http-body-util, bytes, serde_json), and no `unwrap`/`expect` so it passes the
//! workspace's clippy lints.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type FakeBody = UnsyncBoxBody<Bytes, BoxError>;

/// Gap between events of the default streamed replies.
const DEFAULT_GAP: Duration = Duration::from_millis(5);
/// Pause before aborting a body for [`End::Drop`], so the chunks written before it are flushed
/// to the socket first (the client then sees the events, then the error).
const DROP_FLUSH_PAUSE: Duration = Duration::from_millis(30);

/// Text of the default Anthropic reply (streamed as these chunks).
pub const ANTHROPIC_DEFAULT_CHUNKS: [&str; 4] = ["Hello", " from", " fake", " anthropic"];
/// Text of the default OpenAI (Chat Completions and Responses) reply.
pub const OPENAI_DEFAULT_CHUNKS: [&str; 4] = ["Hello", " from", " fake", " openai"];
/// Usage of every default reply: Anthropic reports it as is; the OpenAI shapes report
/// prompt/input 14 (11 + 3 cached), completion/output 7, total 21, cached 3.
pub const DEFAULT_USAGE: Usage = Usage {
    input: 11,
    output: 7,
    cache_read: 3,
    cache_write: 2,
};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id(prefix: &str) -> String {
    format!(
        "{prefix}fake{:020}",
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    )
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test must not poison the fake for the rest of the run.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Token usage in Anthropic convention: `input` excludes cached tokens. The OpenAI shapes
/// derived from it report prompt/input tokens = `input + cache_read`, `cached_tokens =
/// cache_read`, and have no counterpart for `cache_write`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

/// How a scripted SSE body ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Finish the body normally.
    Close,
    /// Abort the connection mid-body (HTTP/1.1: closed without the final chunk; h2:
    /// RST_STREAM), so the client sees an error rather than a clean end.
    Drop,
}

/// One scripted reply; see [`FakeUpstream::push`].
#[derive(Clone, Debug)]
pub enum Reply {
    /// The default reply for the request's path (as when the script is empty).
    Default,
    /// A complete body. `content-type: application/json` unless `headers` set one.
    Json {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// A streamed body: each event is written (and flushed) as its own frame after its delay.
    /// `content-type: text/event-stream` unless `headers` set one.
    Sse {
        status: u16,
        headers: Vec<(String, String)>,
        events: Vec<(Duration, String)>,
        end: End,
    },
    /// Read and record the request, then never answer (until the client closes).
    Hang,
    /// Send the status and headers, then never send a body byte.
    HeadThenHang {
        status: u16,
        headers: Vec<(String, String)>,
    },
    /// Wait, then answer with the inner reply; the request counts as in flight for its
    /// credential meanwhile (see [`FakeUpstream::max_concurrency`]).
    Delayed(Duration, Box<Reply>),
}

/// A request as the fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    /// The body parsed as JSON; panics (with the body) if it is not JSON.
    pub fn json(&self) -> Value {
        match serde_json::from_slice(&self.body) {
            Ok(v) => v,
            Err(e) => panic!(
                "recorded body of {} {} is not JSON ({e}): {:?}",
                self.method,
                self.path_and_query,
                String::from_utf8_lossy(&self.body)
            ),
        }
    }

    /// The header's value (several values joined with ", "); `None` if absent or not text.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            None
        } else {
            Some(values.join(", "))
        }
    }

    /// The path without the query string.
    pub fn path(&self) -> &str {
        match self.path_and_query.split_once('?') {
            Some((path, _)) => path,
            None => &self.path_and_query,
        }
    }
}

struct State {
    script: Mutex<VecDeque<Reply>>,
    recorded: Mutex<Vec<Recorded>>,
    hits: watch::Sender<usize>,
    /// Requests being handled (until the handler returns the response head), per credential
    /// (`x-api-key` or `authorization` value): (now, max seen).
    inflight: Mutex<std::collections::HashMap<String, (u32, u32)>>,
}

/// The fake upstream server. Dropping it stops the listener and closes every connection.
pub struct FakeUpstream {
    /// `http://127.0.0.1:PORT` (no trailing slash, no `/v1`).
    pub url: String,
    state: Arc<State>,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl FakeUpstream {
    /// Binds `127.0.0.1:0` and serves HTTP/1.1 and h2c (prior knowledge) on it.
    pub async fn start() -> FakeUpstream {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("fake upstream: cannot bind 127.0.0.1:0: {e}"),
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("fake upstream: no local address: {e}"),
        };
        let (hits, _) = watch::channel(0usize);
        let state = Arc::new(State {
            script: Mutex::new(VecDeque::new()),
            recorded: Mutex::new(Vec::new()),
            hits,
            inflight: Mutex::new(std::collections::HashMap::new()),
        });
        let tasks: Arc<Mutex<Vec<AbortHandle>>> = Arc::new(Mutex::new(Vec::new()));
        let accept = tokio::spawn(accept_loop(listener, state.clone(), tasks.clone()));
        lock(&tasks).push(accept.abort_handle());
        FakeUpstream {
            url: format!("http://{addr}"),
            state,
            tasks,
        }
    }

    /// Queues a scripted reply (FIFO, one consumed per request; when the queue is empty the
    /// default reply is used). Panics here, at the call site, on an invalid status or header.
    pub fn push(&self, reply: Reply) {
        match &reply {
            Reply::Json {
                status, headers, ..
            }
            | Reply::Sse {
                status, headers, ..
            }
            | Reply::HeadThenHang { status, headers } => {
                if StatusCode::from_u16(*status).is_err() {
                    panic!("fake upstream: invalid status {status}");
                }
                for (name, value) in headers {
                    if HeaderName::from_bytes(name.as_bytes()).is_err()
                        || HeaderValue::from_str(value).is_err()
                    {
                        panic!("fake upstream: invalid header {name:?}: {value:?}");
                    }
                }
            }
            Reply::Default | Reply::Hang | Reply::Delayed(..) => {}
        }
        lock(&self.state.script).push_back(reply);
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state.recorded).clone()
    }

    /// The most requests carrying `credential` (the exact `x-api-key` or `authorization`
    /// value) that were being handled at once; see [`Reply::Delayed`].
    pub fn max_concurrency(&self, credential: &str) -> u32 {
        lock(&self.state.inflight)
            .get(credential)
            .map_or(0, |(_, max)| *max)
    }

    /// Requests carrying `credential` being handled right now.
    pub fn in_flight(&self, credential: &str) -> u32 {
        lock(&self.state.inflight)
            .get(credential)
            .map_or(0, |(now, _)| *now)
    }

    /// How many requests were received so far.
    pub fn hits(&self) -> usize {
        *self.state.hits.borrow()
    }

    /// Waits until at least `n` requests were received; false on timeout.
    pub async fn wait_for_hits(&self, n: usize, timeout: Duration) -> bool {
        let mut rx = self.state.hits.subscribe();
        matches!(
            tokio::time::timeout(timeout, rx.wait_for(|hits| *hits >= n)).await,
            Ok(Ok(_))
        )
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // e.g. too many open files: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let conn = tokio::spawn(async move {
            let service = service_fn(move |req| handle(state.clone(), req));
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        let mut tasks = lock(&tasks);
        tasks.retain(|t| !t.is_finished());
        tasks.push(conn.abort_handle());
    }
}

/// Counts a request as in flight for its credential until dropped.
struct InFlight {
    state: Arc<State>,
    credential: String,
}

impl InFlight {
    fn enter(state: &Arc<State>, credential: String) -> Self {
        let mut map = lock(&state.inflight);
        let entry = map.entry(credential.clone()).or_insert((0, 0));
        entry.0 += 1;
        entry.1 = entry.1.max(entry.0);
        drop(map);
        InFlight {
            state: state.clone(),
            credential,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(entry) = lock(&self.state.inflight).get_mut(&self.credential) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<FakeBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| parts.uri.path().to_owned()),
        headers: parts.headers,
        body,
    };
    let credential = recorded
        .header("x-api-key")
        .or_else(|| recorded.header("authorization"))
        .unwrap_or_default();
    let _inflight = InFlight::enter(&state, credential);
    let scripted = lock(&state.script).pop_front();
    let mut reply = match scripted {
        None | Some(Reply::Default) => default_reply(&recorded),
        Some(reply) => reply,
    };
    // Record before answering, so a test that waits for a hit sees it even on a hang.
    lock(&state.recorded).push(recorded.clone());
    state.hits.send_modify(|hits| *hits += 1);
    while let Reply::Delayed(delay, inner) = reply {
        tokio::time::sleep(delay).await;
        reply = match *inner {
            Reply::Default => default_reply(&recorded),
            other => other,
        };
    }

    let response = match reply {
        Reply::Default | Reply::Delayed(..) => unreachable_default(),
        Reply::Json {
            status,
            headers,
            body,
        } => build_response(
            status,
            "application/json",
            &headers,
            Full::new(Bytes::from(body))
                .map_err(|never| match never {})
                .boxed_unsync(),
        ),
        Reply::Sse {
            status,
            headers,
            events,
            end,
        } => {
            let (tx, rx) = mpsc::channel(1);
            tokio::spawn(produce_sse(tx, events, end));
            build_response(
                status,
                "text/event-stream",
                &headers,
                ChannelBody { rx }.boxed_unsync(),
            )
        }
        Reply::Hang => {
            // Never answers; hyper drops this future when the client goes away.
            match std::future::pending::<Infallible>().await {}
        }
        Reply::HeadThenHang { status, headers } => {
            let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(1);
            // Keep the sender alive (so the body stays pending) until the body is dropped.
            tokio::spawn(async move { tx.closed().await });
            build_response(
                status,
                "text/event-stream",
                &headers,
                ChannelBody { rx }.boxed_unsync(),
            )
        }
    };
    Ok(response)
}

fn unreachable_default() -> Response<FakeBody> {
    // `Reply::Default` is resolved to a concrete reply before this match.
    build_response(
        500,
        "application/json",
        &[],
        Full::new(Bytes::from(error_json_openai(
            "server_error",
            "fake upstream: unresolved default reply",
        )))
        .map_err(|never| match never {})
        .boxed_unsync(),
    )
}

async fn produce_sse(
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    events: Vec<(Duration, String)>,
    end: End,
) {
    for (delay, chunk) in events {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
            return; // client went away
        }
    }
    if end == End::Drop {
        tokio::time::sleep(DROP_FLUSH_PAUSE).await;
        let _ = tx
            .send(Err(std::io::Error::other(
                "fake upstream: connection dropped mid-body",
            )))
            .await;
    }
}

/// A body fed by a channel: every item becomes its own data frame, an `Err` aborts the body.
struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.rx
            .poll_recv(cx)
            .map(|item| item.map(|r| r.map(Frame::data).map_err(BoxError::from)))
    }
}

fn build_response(
    status: u16,
    default_content_type: &'static str,
    extra: &[(String, String)],
    body: FakeBody,
) -> Response<FakeBody> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(default_content_type));
    if default_content_type == "text/event-stream" {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    let request_id = next_id("req_");
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert(HeaderName::from_static("request-id"), v.clone());
        headers.insert(HeaderName::from_static("x-request-id"), v);
    }
    let parsed: Vec<(HeaderName, HeaderValue)> = extra
        .iter()
        .filter_map(|(n, v)| {
            Some((
                HeaderName::from_bytes(n.as_bytes()).ok()?,
                HeaderValue::from_str(v).ok()?,
            ))
        })
        .collect();
    for (name, _) in &parsed {
        headers.remove(name);
    }
    for (name, value) in parsed {
        headers.append(name, value);
    }
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    *response.headers_mut() = headers;
    response
}

// ---------------------------------------------------------------------------------------
// Default replies
// ---------------------------------------------------------------------------------------

fn json_reply(status: u16, body: &Value) -> Reply {
    Reply::Json {
        status,
        headers: Vec::new(),
        body: body.to_string(),
    }
}

fn raw_json_reply(status: u16, body: String) -> Reply {
    Reply::Json {
        status,
        headers: Vec::new(),
        body,
    }
}

fn sse_reply(events: Vec<String>) -> Reply {
    Reply::Sse {
        status: 200,
        headers: Vec::new(),
        events: paced(events, DEFAULT_GAP),
        end: End::Close,
    }
}

/// The request body as a JSON object and its `model`, or the provider-shaped 400 to send.
fn parse_request(rec: &Recorded, anthropic: bool) -> Result<(Value, String), Reply> {
    let error = |message: &str| {
        let body = if anthropic {
            error_json_anthropic("invalid_request_error", message)
        } else {
            error_json_openai("invalid_request_error", message)
        };
        raw_json_reply(400, body)
    };
    let value: Value = match serde_json::from_slice(&rec.body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return Err(error("request body must be a JSON object")),
        Err(e) => return Err(error(&format!("request body is not valid JSON: {e}"))),
    };
    match value.get("model").and_then(Value::as_str) {
        Some(model) => {
            let model = model.to_owned();
            Ok((value, model))
        }
        None => Err(error("model: Field required")),
    }
}

fn default_reply(rec: &Recorded) -> Reply {
    match (rec.method.as_str(), rec.path()) {
        ("POST", "/v1/messages") => match parse_request(rec, true) {
            Err(reply) => reply,
            Ok((req, model)) if is_stream(&req) => sse_reply(anthropic_sse(
                &model,
                &ANTHROPIC_DEFAULT_CHUNKS,
                DEFAULT_USAGE,
            )),
            Ok((_, model)) => json_reply(
                200,
                &anthropic_message_json(&model, &ANTHROPIC_DEFAULT_CHUNKS.concat(), DEFAULT_USAGE),
            ),
        },
        ("POST", "/v1/messages/count_tokens") => match parse_request(rec, true) {
            Err(reply) => reply,
            Ok(_) => json_reply(200, &json!({ "input_tokens": 42 })),
        },
        ("POST", "/v1/chat/completions") => match parse_request(rec, false) {
            Err(reply) => reply,
            Ok((req, model)) if is_stream(&req) => {
                let include_usage = req
                    .pointer("/stream_options/include_usage")
                    .and_then(Value::as_bool)
                    == Some(true);
                sse_reply(chat_sse(
                    &model,
                    &OPENAI_DEFAULT_CHUNKS,
                    include_usage.then_some(DEFAULT_USAGE),
                ))
            }
            Ok((_, model)) => json_reply(
                200,
                &chat_completion_json(&model, &OPENAI_DEFAULT_CHUNKS.concat(), DEFAULT_USAGE),
            ),
        },
        ("POST", "/v1/responses") => match parse_request(rec, false) {
            Err(reply) => reply,
            Ok((req, model)) if is_stream(&req) => {
                sse_reply(responses_sse(&model, &OPENAI_DEFAULT_CHUNKS, DEFAULT_USAGE))
            }
            Ok((_, model)) => {
                let text = OPENAI_DEFAULT_CHUNKS.concat();
                let item = responses_message_item(&next_id("msg_"), "completed", Some(&text));
                json_reply(
                    200,
                    &responses_object(
                        &next_id("resp_"),
                        &model,
                        unix_now(),
                        "completed",
                        vec![item],
                        Some(responses_usage(DEFAULT_USAGE)),
                    ),
                )
            }
        },
        ("GET", "/v1/models") => {
            let created = 1_744_316_542u64;
            json_reply(
                200,
                &json!({
                    "object": "list",
                    "data": [
                        { "id": "gpt-4.1", "object": "model", "created": created, "owned_by": "system" },
                        { "id": "gpt-4.1-mini", "object": "model", "created": created, "owned_by": "system" },
                    ],
                }),
            )
        }
        (method, path) => raw_json_reply(
            404,
            error_json_openai(
                "invalid_request_error",
                &format!("Invalid URL ({method} {path})"),
            ),
        ),
    }
}

fn is_stream(req: &Value) -> bool {
    req.get("stream").and_then(Value::as_bool) == Some(true)
}

// ---------------------------------------------------------------------------------------
// Wire-format builders
// ---------------------------------------------------------------------------------------

/// Spaces events `gap` apart (the first one is sent at once), for [`Reply::Sse`].
pub fn paced(events: Vec<String>, gap: Duration) -> Vec<(Duration, String)> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| (if i == 0 { Duration::ZERO } else { gap }, e))
        .collect()
}

fn sse_event(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

fn anthropic_usage_json(usage: Usage, output_tokens: u64) -> Value {
    json!({
        "input_tokens": usage.input,
        "cache_creation_input_tokens": usage.cache_write,
        "cache_read_input_tokens": usage.cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write,
            "ephemeral_1h_input_tokens": 0,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    })
}

/// A complete non-streamed Anthropic Messages response.
pub fn anthropic_message_json(model: &str, text: &str, usage: Usage) -> Value {
    json!({
        "id": next_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{ "type": "text", "text": text }],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": anthropic_usage_json(usage, usage.output),
    })
}

/// A full Anthropic Messages stream: `message_start` (input and cache usage, output 1),
/// `content_block_start`, `ping`, one `content_block_delta` (text_delta) per chunk,
/// `content_block_stop`, `message_delta` (stop_reason end_turn; cumulative usage, as the API
/// sends it now: input and cache counts repeated, final output count) and `message_stop`.
pub fn anthropic_sse(model: &str, text_chunks: &[&str], usage: Usage) -> Vec<String> {
    let mut events = Vec::with_capacity(text_chunks.len() + 6);
    events.push(sse_event(
        "message_start",
        &json!({
            "type": "message_start",
            "message": {
                "id": next_id("msg_"),
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": anthropic_usage_json(usage, 1),
            },
        }),
    ));
    events.push(sse_event(
        "content_block_start",
        &json!({
            "type": "content_block_start",
            "index": 0,
            "content_block": { "type": "text", "text": "" },
        }),
    ));
    events.push(sse_event("ping", &json!({ "type": "ping" })));
    for chunk in text_chunks {
        events.push(sse_event(
            "content_block_delta",
            &json!({
                "type": "content_block_delta",
                "index": 0,
                "delta": { "type": "text_delta", "text": chunk },
            }),
        ));
    }
    events.push(sse_event(
        "content_block_stop",
        &json!({ "type": "content_block_stop", "index": 0 }),
    ));
    events.push(sse_event(
        "message_delta",
        &json!({
            "type": "message_delta",
            "delta": { "stop_reason": "end_turn", "stop_sequence": null },
            "usage": {
                "input_tokens": usage.input,
                "cache_creation_input_tokens": usage.cache_write,
                "cache_read_input_tokens": usage.cache_read,
                "output_tokens": usage.output,
            },
        }),
    ));
    events.push(sse_event(
        "message_stop",
        &json!({ "type": "message_stop" }),
    ));
    events
}

/// The Chat Completions `usage` object.
pub fn chat_usage_json(usage: Usage) -> Value {
    let prompt = usage.input + usage.cache_read;
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": usage.output,
        "total_tokens": prompt + usage.output,
        "prompt_tokens_details": { "cached_tokens": usage.cache_read, "audio_tokens": 0 },
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    })
}

/// A complete non-streamed `chat.completion`.
pub fn chat_completion_json(model: &str, text: &str, usage: Usage) -> Value {
    json!({
        "id": next_id("chatcmpl-"),
        "object": "chat.completion",
        "created": unix_now(),
        "model": model,
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": text, "refusal": null, "annotations": [] },
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": chat_usage_json(usage),
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    })
}

/// A Chat Completions stream: a role chunk, one content chunk per text chunk, a chunk with
/// `finish_reason: "stop"`, then (if `usage` is given, as for `stream_options.include_usage`)
/// a chunk with empty `choices` and the usage (the other chunks then carry `"usage": null`),
/// then `data: [DONE]`. Chat streams have no `event:` lines.
pub fn chat_sse(model: &str, text_chunks: &[&str], usage: Option<Usage>) -> Vec<String> {
    let id = next_id("chatcmpl-");
    let created = unix_now();
    let chunk = |choices: Value, usage_value: Option<Value>| {
        let mut c = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
            "choices": choices,
        });
        if let (Some(u), Some(obj)) = (usage_value, c.as_object_mut()) {
            obj.insert("usage".to_owned(), u);
        }
        format!("data: {c}\n\n")
    };
    let null_usage = usage.map(|_| Value::Null);
    let mut events = Vec::with_capacity(text_chunks.len() + 4);
    events.push(chunk(
        json!([{
            "index": 0,
            "delta": { "role": "assistant", "content": "", "refusal": null },
            "logprobs": null,
            "finish_reason": null,
        }]),
        null_usage.clone(),
    ));
    for text in text_chunks {
        events.push(chunk(
            json!([{
                "index": 0,
                "delta": { "content": text },
                "logprobs": null,
                "finish_reason": null,
            }]),
            null_usage.clone(),
        ));
    }
    events.push(chunk(
        json!([{ "index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop" }]),
        null_usage,
    ));
    if let Some(u) = usage {
        events.push(chunk(json!([]), Some(chat_usage_json(u))));
    }
    events.push("data: [DONE]\n\n".to_owned());
    events
}

/// The Responses `usage` object.
pub fn responses_usage(usage: Usage) -> Value {
    let input = usage.input + usage.cache_read;
    json!({
        "input_tokens": input,
        "input_tokens_details": { "cached_tokens": usage.cache_read },
        "output_tokens": usage.output,
        "output_tokens_details": { "reasoning_tokens": 0 },
        "total_tokens": input + usage.output,
    })
}

fn output_text_part(text: &str) -> Value {
    json!({ "type": "output_text", "annotations": [], "logprobs": [], "text": text })
}

fn responses_message_item(id: &str, status: &str, text: Option<&str>) -> Value {
    let content: Vec<Value> = text.map(output_text_part).into_iter().collect();
    json!({
        "id": id,
        "type": "message",
        "status": status,
        "content": content,
        "role": "assistant",
    })
}

fn responses_object(
    id: &str,
    model: &str,
    created_at: u64,
    status: &str,
    output: Vec<Value>,
    usage: Option<Value>,
) -> Value {
    json!({
        "id": id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": null,
        "max_output_tokens": null,
        "max_tool_calls": null,
        "model": model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": { "effort": null, "summary": null },
        "service_tier": "default",
        "store": true,
        "temperature": 1.0,
        "text": { "format": { "type": "text" }, "verbosity": "medium" },
        "tool_choice": "auto",
        "tools": [],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": null,
        "metadata": {},
    })
}

/// A full Responses stream, every event with its `sequence_number` (from 0):
/// `response.created`, `response.in_progress`, `response.output_item.added`,
/// `response.content_part.added`, one `response.output_text.delta` per chunk,
/// `response.output_text.done`, `response.content_part.done`, `response.output_item.done`,
/// `response.completed` (with the output and usage). No `[DONE]` (the Responses API sends none).
pub fn responses_sse(model: &str, text_chunks: &[&str], usage: Usage) -> Vec<String> {
    let resp_id = next_id("resp_");
    let item_id = next_id("msg_");
    let created_at = unix_now();
    let text = text_chunks.concat();
    let mut seq = 0u64;
    let mut events = Vec::with_capacity(text_chunks.len() + 8);
    let mut push = |name: &str, mut data: Value| {
        if let Some(obj) = data.as_object_mut() {
            obj.insert("type".to_owned(), Value::from(name));
            obj.insert("sequence_number".to_owned(), Value::from(seq));
        }
        seq += 1;
        events.push(sse_event(name, &data));
    };
    let in_progress = responses_object(&resp_id, model, created_at, "in_progress", vec![], None);
    push("response.created", json!({ "response": in_progress }));
    push("response.in_progress", json!({ "response": in_progress }));
    push(
        "response.output_item.added",
        json!({
            "output_index": 0,
            "item": responses_message_item(&item_id, "in_progress", None),
        }),
    );
    push(
        "response.content_part.added",
        json!({
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "part": output_text_part(""),
        }),
    );
    for chunk in text_chunks {
        push(
            "response.output_text.delta",
            json!({
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "delta": chunk,
                "logprobs": [],
            }),
        );
    }
    push(
        "response.output_text.done",
        json!({
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "text": text,
            "logprobs": [],
        }),
    );
    push(
        "response.content_part.done",
        json!({
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "part": output_text_part(&text),
        }),
    );
    let done_item = responses_message_item(&item_id, "completed", Some(&text));
    push(
        "response.output_item.done",
        json!({ "output_index": 0, "item": done_item }),
    );
    push(
        "response.completed",
        json!({
            "response": responses_object(
                &resp_id,
                model,
                created_at,
                "completed",
                vec![done_item],
                Some(responses_usage(usage)),
            ),
        }),
    );
    events
}

/// An Anthropic error body: `{"type":"error","error":{"type":KIND,"message":...},"request_id":...}`
/// (kinds: invalid_request_error, authentication_error, permission_error, not_found_error,
/// request_too_large, rate_limit_error, api_error, overloaded_error).
pub fn error_json_anthropic(kind: &str, message: &str) -> String {
    json!({
        "type": "error",
        "error": { "type": kind, "message": message },
        "request_id": next_id("req_"),
    })
    .to_string()
}

/// An OpenAI error body: `{"error":{"message":...,"type":KIND,"param":null,"code":null}}`.
pub fn error_json_openai(kind: &str, message: &str) -> String {
    json!({
        "error": { "message": message, "type": kind, "param": null, "code": null },
    })
    .to_string()
}

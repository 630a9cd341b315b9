//! The relay's performance benchmark (see "Targets" in DESIGN.md).
//!
//! It starts a zero-delay fake upstream in this process (OpenAI `POST /v1/chat/completions` and
//! Anthropic `POST /v1/messages`, JSON or SSE), spawns the release `relay` binary as a child
//! process with one OpenAI and one Anthropic account pointing at that upstream, and sends the
//! same request mix (half OpenAI, half Anthropic) once straight to the upstream (the baseline)
//! and once through the relay. Measured:
//!
//! - non-streaming latency (p50/p90/p99/max) and throughput, closed loop at fixed concurrency;
//! - the same at a fixed rate (open loop, default 2,000 requests/s for 5 s, latency counted from
//!   the scheduled send time): the DESIGN target condition;
//! - streams of K events: time to first and to last event, and that every event arrives;
//! - the relay's RSS idle, and while it holds S concurrent open streams.
//!
//! Run it with:
//!
//! ```text
//! cargo build --release --bin relay --example bench
//! cargo run --release --example bench -- [--requests N] [--concurrency C] [--streams S]
//!     [--stream-runs M] [--events K] [--rate R] [--seconds T] [--warmup W]
//! ```
//!
//! It prints a Markdown table on stdout and exits 1 if any request failed. The upstream and the
//! client each run on their own one-thread tokio runtime; on a 2-core machine they compete with
//! the relay for CPU, so run it on an otherwise idle machine and compare "added" columns only.
// A measuring tool, not library code: it reports on stdout/stderr and aborts on setup failures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

const USAGE: &str = "usage: bench [--requests N] [--concurrency C] [--streams S] [--stream-runs M] \
[--events K] [--rate R] [--seconds T] [--warmup W]";

struct Opts {
    requests: usize,
    concurrency: usize,
    streams: usize,
    stream_runs: usize,
    events: usize,
    rate: usize,
    seconds: usize,
    warmup: usize,
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        requests: 20_000,
        concurrency: 8,
        streams: 1000,
        stream_runs: 500,
        events: 20,
        rate: 2000,
        seconds: 5,
        warmup: 500,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_owned());
        }
        let value = args
            .next()
            .ok_or(format!("{flag} needs a value\n{USAGE}"))?;
        let n: usize = value
            .parse()
            .map_err(|_| format!("{flag}: `{value}` is not a number"))?;
        match flag.as_str() {
            "--requests" => o.requests = n,
            "--concurrency" => o.concurrency = n.max(1),
            "--streams" => o.streams = n,
            "--stream-runs" => o.stream_runs = n,
            "--events" => o.events = n.max(6),
            "--rate" => o.rate = n.max(1),
            "--seconds" => o.seconds = n,
            "--warmup" => o.warmup = n,
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(o)
}

// ---------------------------------------------------------------------------------------------
// The fake upstream.

const CHAT_JSON: &str = r#"{"id":"chatcmpl-bench000000000000000000000001","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_bench","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#;
const MSG_JSON: &str = r#"{"id":"msg_bench000000000000000000000001","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"Hello! How can I help you today?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":9,"service_tier":"standard"}}"#;
const CHAT_USAGE_CHUNK: &str = r#"data: {"id":"chatcmpl-bench1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}"#;

fn chat_chunk(i: usize, last: bool) -> Bytes {
    let delta = if i == 0 {
        r#"{"role":"assistant","content":""}"#.to_owned()
    } else {
        format!(r#"{{"content":"w{i} "}}"#)
    };
    let finish = if last { r#""stop""# } else { "null" };
    Bytes::from(format!(
        "data: {{\"id\":\"chatcmpl-bench1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\
\"model\":\"gpt-4o-mini\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
    ))
}

fn anthropic_event(name: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// The fixed replies; an SSE reply of `k` events has exactly `k` `data:` lines.
struct Payloads {
    chat_sse: Vec<Bytes>,
    msg_sse: Vec<Bytes>,
    hold_rest: Vec<Bytes>,
}

impl Payloads {
    fn new(k: usize) -> Self {
        let mut chat_sse: Vec<Bytes> = (0..k - 2).map(|i| chat_chunk(i, i == k - 3)).collect();
        chat_sse.push(Bytes::from(format!("{CHAT_USAGE_CHUNK}\n\n")));
        chat_sse.push(Bytes::from_static(b"data: [DONE]\n\n"));
        let mut msg_sse = vec![
            anthropic_event(
                "message_start",
                r#"{"type":"message_start","message":{"id":"msg_bench1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}"#,
            ),
            anthropic_event(
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            ),
        ];
        for i in 0..k - 5 {
            let d = format!(
                r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"w{i} "}}}}"#
            );
            msg_sse.push(anthropic_event("content_block_delta", &d));
        }
        msg_sse.push(anthropic_event(
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ));
        msg_sse.push(anthropic_event(
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}"#,
        ));
        msg_sse.push(anthropic_event(
            "message_stop",
            r#"{"type":"message_stop"}"#,
        ));
        let hold_rest = chat_sse[chat_sse.len() - 2..].to_vec();
        Payloads {
            chat_sse,
            msg_sse,
            hold_rest,
        }
    }
}

/// A response body: whole, a fixed list of frames yielded back to back, or fed by a channel.
enum RespBody {
    Whole(Option<Bytes>),
    Frames(VecDeque<Bytes>),
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
            RespBody::Whole(b) => b.take(),
            RespBody::Frames(q) => q.pop_front(),
            RespBody::Chan(rx) => match rx.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(b) => b,
            },
        };
        Poll::Ready(next.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            RespBody::Whole(b) => b.is_none(),
            RespBody::Frames(q) => q.is_empty(),
            RespBody::Chan(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RespBody::Whole(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            _ => SizeHint::default(),
        }
    }
}

struct Upstream {
    payloads: Payloads,
    /// Senders of the held (`"model":"hold"`) streams; dropping one ends its stream.
    held: Mutex<Vec<mpsc::Sender<Bytes>>>,
}

impl Upstream {
    /// Ends every held stream (usage chunk and `[DONE]`); returns how many there were.
    fn release(&self) -> usize {
        let held = std::mem::take(&mut *self.held.lock().unwrap());
        for tx in &held {
            for b in &self.payloads.hold_rest {
                let _ = tx.try_send(b.clone());
            }
        }
        held.len()
    }
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
    let stream = v["stream"].as_bool() == Some(true);
    let p = &up.payloads;
    let sse = "text/event-stream";
    let json = "application/json";
    let (status, ctype, body) = match (path.as_str(), stream) {
        ("/v1/chat/completions", true) if v["model"] == "hold" => {
            let (tx, rx) = mpsc::channel(8);
            let _ = tx.try_send(p.chat_sse[0].clone());
            up.held.lock().unwrap().push(tx);
            (StatusCode::OK, sse, RespBody::Chan(rx))
        }
        ("/v1/chat/completions", true) => (StatusCode::OK, sse, frames(&p.chat_sse)),
        ("/v1/messages", true) => (StatusCode::OK, sse, frames(&p.msg_sse)),
        ("/v1/chat/completions", false) => (StatusCode::OK, json, whole(CHAT_JSON)),
        ("/v1/messages", false) => (StatusCode::OK, json, whole(MSG_JSON)),
        _ => (
            StatusCode::NOT_FOUND,
            json,
            whole(r#"{"error":"not found"}"#),
        ),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(ctype),
    );
    Ok(resp)
}

fn frames(list: &[Bytes]) -> RespBody {
    RespBody::Frames(list.iter().cloned().collect())
}

fn whole(s: &'static str) -> RespBody {
    RespBody::Whole(Some(Bytes::from_static(s.as_bytes())))
}

fn start_upstream(rt: &Runtime, up: Arc<Upstream>) -> SocketAddr {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind the fake upstream");
    let addr = listener.local_addr().expect("upstream address");
    rt.spawn(async move {
        loop {
            let tcp = match listener.accept().await {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    eprintln!("fake upstream: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let up = up.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| handle(req, up.clone()));
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
    addr
}

// ---------------------------------------------------------------------------------------------
// The relay child process.

struct RelayProc {
    child: Child,
    url: String,
}

impl Drop for RelayProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn relay_binary() -> Result<PathBuf, String> {
    // target/<profile>/examples/bench -> target/<profile>/relay
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join(format!("relay{}", std::env::consts::EXE_SUFFIX)))
        .ok_or("cannot locate the target directory")?;
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "relay binary not found at {}: build it first: cargo build --release",
            bin.display()
        ))
    }
}

fn start_relay(bin: &Path, dir: &Path, upstream: SocketAddr) -> Result<RelayProc, String> {
    let config = dir.join("config.toml");
    let text = format!(
        r#"[[accounts]]
name = "gpt"
platform = "openai"
secret = "env:BENCH_OPENAI_KEY"
base_url = "http://{upstream}/v1"
concurrency = 100000
models = ["gpt-*", "hold"]

[[accounts]]
name = "claude"
platform = "anthropic"
secret = "env:BENCH_ANTHROPIC_KEY"
base_url = "http://{upstream}"
concurrency = 100000
"#
    );
    std::fs::write(&config, text).map_err(|e| format!("write config: {e}"))?;
    let mut child = Command::new(bin)
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RELAY_LOG", "warn")
        .env("BENCH_OPENAI_KEY", "sk-bench-openai")
        .env("BENCH_ANTHROPIC_KEY", "sk-ant-bench")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let stderr = child.stderr.take().ok_or("no stderr pipe")?;
    let mut relay = RelayProc {
        child,
        url: String::new(),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    // Forwards the relay's log lines (warnings and errors) and reports the ready line.
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            match line.strip_prefix("relay listening on ") {
                Some(url) if tx.is_some() => {
                    if let Some(t) = tx.take() {
                        let _ = t.send(url.trim().to_owned());
                    }
                }
                _ => eprintln!("[relay] {line}"),
            }
        }
    });
    relay.url = rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the relay did not print its ready line within 30 s".to_owned())?;
    Ok(relay)
}

fn proc_status(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

fn rss_mb(pid: u32) -> f64 {
    proc_status(pid, "VmRSS:").map_or(f64::NAN, |kb| kb as f64 / 1024.0)
}

fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

fn fd_limit(pid: &str) -> Option<usize> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = s.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------------------------
// The client.

type HttpClient = Client<HttpConnector, Full<Bytes>>;

#[derive(Clone, Copy)]
enum Kind {
    Chat,
    Msg,
    ChatStream,
    MsgStream,
    Hold,
}

const PLAIN: [Kind; 2] = [Kind::Chat, Kind::Msg];
const STREAMS: [Kind; 2] = [Kind::ChatStream, Kind::MsgStream];

/// Where requests go (the upstream or the relay) and how many events a stream must carry.
#[derive(Clone)]
struct Target {
    base: Arc<str>,
    events: usize,
}

impl Target {
    fn request(&self, kind: Kind) -> Request<Full<Bytes>> {
        let (path, body) = match kind {
            Kind::Chat => (
                "/v1/chat/completions",
                r#"{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}"#,
            ),
            Kind::ChatStream => (
                "/v1/chat/completions",
                r#"{"model":"gpt-4o-mini","max_tokens":16,"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Say hello"}]}"#,
            ),
            Kind::Hold => (
                "/v1/chat/completions",
                r#"{"model":"hold","max_tokens":16,"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hold on"}]}"#,
            ),
            Kind::Msg => (
                "/v1/messages",
                r#"{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}"#,
            ),
            Kind::MsgStream => (
                "/v1/messages",
                r#"{"model":"claude-haiku-4-5","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"Say hello"}]}"#,
            ),
        };
        Request::post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("anthropic-version", "2023-06-01")
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("request")
    }

    fn expected_events(&self, kind: Kind) -> usize {
        match kind {
            Kind::Chat | Kind::Msg => 0,
            Kind::ChatStream | Kind::MsgStream => self.events,
            Kind::Hold => 3,
        }
    }
}

fn client() -> HttpClient {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(http)
}

/// One exchange as the client saw it; times are from `start`.
struct Outcome {
    total: Duration,
    first: Duration,
    last: Duration,
    frames: usize,
}

/// Sends one request and reads the whole answer; checks status and the number of `data:`
/// lines. `on_first` is incremented when the first body bytes arrive.
async fn exchange(
    client: &HttpClient,
    target: &Target,
    kind: Kind,
    start: Instant,
    on_first: Option<&AtomicUsize>,
) -> Result<Outcome, String> {
    let resp = client
        .request(target.request(kind))
        .await
        .map_err(|e| format!("{}: request failed: {e:?}", target.base))?;
    let status = resp.status();
    let mut body = resp.into_body();
    let (mut first, mut last, mut frames) = (None, Duration::ZERO, 0);
    let mut all = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("{}: body failed: {e}", target.base))?;
        if let Ok(d) = frame.into_data() {
            if d.is_empty() {
                continue;
            }
            last = start.elapsed();
            if first.is_none() {
                first = Some(last);
                if let Some(c) = on_first {
                    c.fetch_add(1, Ordering::SeqCst);
                }
            }
            frames += 1;
            all.extend_from_slice(&d);
        }
    }
    let total = start.elapsed();
    let text = String::from_utf8_lossy(&all);
    if status != StatusCode::OK {
        let snippet: String = text.chars().take(300).collect();
        return Err(format!("{}: status {status}: {snippet}", target.base));
    }
    let events = text.lines().filter(|l| l.starts_with("data:")).count();
    if events != target.expected_events(kind) || all.is_empty() {
        return Err(format!(
            "{}: got {events} events, expected {} ({} bytes)",
            target.base,
            target.expected_events(kind),
            all.len()
        ));
    }
    Ok(Outcome {
        total,
        first: first.unwrap_or(total),
        last,
        frames,
    })
}

#[derive(Default)]
struct Run {
    ok: Vec<Outcome>,
    errors: Vec<String>,
    elapsed: Duration,
}

impl Run {
    fn add(&mut self, r: Result<Result<Outcome, String>, tokio::task::JoinError>) {
        match r {
            Ok(Ok(o)) => self.ok.push(o),
            Ok(Err(e)) => self.errors.push(e),
            Err(e) => self.errors.push(format!("task failed: {e}")),
        }
    }

    fn sorted(&self, f: fn(&Outcome) -> Duration) -> Vec<Duration> {
        let mut v: Vec<Duration> = self.ok.iter().map(f).collect();
        v.sort_unstable();
        v
    }

    fn rate(&self) -> f64 {
        self.ok.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn mean_frames(&self) -> f64 {
        self.ok.iter().map(|o| o.frames).sum::<usize>() as f64 / self.ok.len().max(1) as f64
    }
}

const TIMEOUT: Duration = Duration::from_secs(30);

async fn timed(
    client: &HttpClient,
    target: &Target,
    kind: Kind,
    start: Instant,
) -> Result<Outcome, String> {
    tokio::time::timeout(TIMEOUT, exchange(client, target, kind, start, None))
        .await
        .unwrap_or_else(|_| Err(format!("{}: no answer within {TIMEOUT:?}", target.base)))
}

/// `total` requests cycling through `kinds`, `conc` at a time, each sent when the previous one
/// of its worker finished.
async fn closed_loop(
    client: &HttpClient,
    target: &Target,
    kinds: &'static [Kind],
    total: usize,
    conc: usize,
) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..conc)
        .map(|_| {
            let (client, target, next) = (client.clone(), target.clone(), next.clone());
            tokio::spawn(async move {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break out;
                    }
                    let kind = kinds[i % kinds.len()];
                    out.push(timed(&client, &target, kind, Instant::now()).await);
                }
            })
        })
        .collect();
    let mut run = Run::default();
    for w in workers {
        match w.await {
            Ok(list) => list.into_iter().for_each(|r| run.add(Ok(r))),
            Err(e) => run.errors.push(format!("worker failed: {e}")),
        }
    }
    run.elapsed = started.elapsed();
    run
}

/// `rate` requests per second for `seconds`, each sent at its scheduled time by a ticker thread
/// (this one) whatever the earlier ones are doing; latency counts from the scheduled time.
fn open_loop(
    rt: &Runtime,
    client: &HttpClient,
    target: &Target,
    rate: usize,
    seconds: usize,
) -> Run {
    let total = rate * seconds;
    let period = Duration::from_secs_f64(1.0 / rate as f64);
    let started = Instant::now() + Duration::from_millis(5);
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let at = started + period.mul_f64(i as f64);
        if let Some(wait) = at.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let (client, target) = (client.clone(), target.clone());
        let kind = PLAIN[i % PLAIN.len()];
        tasks.push(rt.spawn(async move { timed(&client, &target, kind, at).await }));
    }
    let mut run = Run::default();
    rt.block_on(async {
        for t in tasks {
            run.add(t.await);
        }
    });
    run.elapsed = started.elapsed();
    run
}

// ---------------------------------------------------------------------------------------------
// Report.

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Table(Vec<String>);

impl Table {
    fn row(
        &mut self,
        scenario: &str,
        metric: &str,
        direct: String,
        relay: String,
        added: String,
        target: &str,
    ) {
        self.0.push(format!(
            "| {scenario} | {metric} | {direct} | {relay} | {added} | {target} |"
        ));
    }

    /// A latency row; `limit` is the target for the added latency, in ms.
    fn lat(&mut self, scenario: &str, metric: &str, d: Duration, r: Duration, limit: Option<f64>) {
        let added = ms(r) - ms(d);
        let target = match limit {
            Some(l) if added <= l => format!("≤ {l:.3} ✅"),
            Some(l) => format!("≤ {l:.3} ❌"),
            None => String::new(),
        };
        self.row(
            scenario,
            metric,
            format!("{:.3}", ms(d)),
            format!("{:.3}", ms(r)),
            format!("{added:+.3}"),
            &target,
        );
    }

    fn latencies(
        &mut self,
        scenario: &str,
        what: &str,
        d: &Run,
        r: &Run,
        f: fn(&Outcome) -> Duration,
        limits: [Option<f64>; 2],
    ) {
        let (ds, rs) = (d.sorted(f), r.sorted(f));
        self.lat(
            scenario,
            &format!("{what} p50 (ms)"),
            pct(&ds, 50.0),
            pct(&rs, 50.0),
            limits[0],
        );
        self.lat(
            "",
            &format!("{what} p90 (ms)"),
            pct(&ds, 90.0),
            pct(&rs, 90.0),
            None,
        );
        self.lat(
            "",
            &format!("{what} p99 (ms)"),
            pct(&ds, 99.0),
            pct(&rs, 99.0),
            limits[1],
        );
        self.lat(
            "",
            &format!("{what} max (ms)"),
            pct(&ds, 100.0),
            pct(&rs, 100.0),
            None,
        );
    }
}

fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

fn first_line(path: &str, prefix: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(prefix))
                .map(|l| l.split(':').nth(1).unwrap_or(l).trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

// ---------------------------------------------------------------------------------------------

fn runtime(name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let bin = match relay_binary() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let version = Command::new(&bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("? ({e})"));
    let load_before = first_line("/proc/loadavg", "");

    let up_rt = runtime("fake-upstream");
    let client_rt = runtime("bench-client");
    let upstream = Arc::new(Upstream {
        payloads: Payloads::new(opts.events),
        held: Mutex::new(Vec::new()),
    });
    let up_addr = start_upstream(&up_rt, upstream.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = match start_relay(&bin, dir.path(), up_addr) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let pid = relay.child.id();
    std::thread::sleep(Duration::from_millis(300));
    let rss_start = rss_mb(pid);

    let direct = Target {
        base: format!("http://{up_addr}").into(),
        events: opts.events,
    };
    let through = Target {
        base: relay.url.as_str().into(),
        events: opts.events,
    };
    let client = client();
    let c = opts.concurrency;
    let mut errors = Vec::new();

    eprintln!("warming up ({} requests each way)…", opts.warmup);
    for t in [&direct, &through] {
        let w1 = client_rt.block_on(closed_loop(&client, t, &PLAIN, opts.warmup, c));
        let w2 = client_rt.block_on(closed_loop(&client, t, &STREAMS, opts.warmup / 4, c));
        errors.extend(w1.errors.into_iter().chain(w2.errors));
    }

    eprintln!("closed loop: {} requests, concurrency {c}…", opts.requests);
    let plain_d = client_rt.block_on(closed_loop(&client, &direct, &PLAIN, opts.requests, c));
    let plain_r = client_rt.block_on(closed_loop(&client, &through, &PLAIN, opts.requests, c));
    eprintln!("streams: {} × {} events…", opts.stream_runs, opts.events);
    let stream_d = client_rt.block_on(closed_loop(&client, &direct, &STREAMS, opts.stream_runs, c));
    let stream_r = client_rt.block_on(closed_loop(
        &client,
        &through,
        &STREAMS,
        opts.stream_runs,
        c,
    ));
    eprintln!(
        "fixed rate: {} requests/s for {} s…",
        opts.rate, opts.seconds
    );
    let rate_d = open_loop(&client_rt, &client, &direct, opts.rate, opts.seconds);
    let rate_r = open_loop(&client_rt, &client, &through, opts.rate, opts.seconds);
    std::thread::sleep(Duration::from_millis(500));
    let rss_loaded = rss_mb(pid);

    // Held streams: each costs the relay two sockets and this process two; stay within limits.
    let limit = [fd_limit(&pid.to_string()), fd_limit("self")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(1024);
    let s = opts.streams.min(limit.saturating_sub(200) / 2);
    if s < opts.streams {
        eprintln!(
            "open-file limit {limit}: holding {s} streams instead of {} (raise `ulimit -n`)",
            opts.streams
        );
    }
    eprintln!("holding {s} streams…");
    let arrived = Arc::new(AtomicUsize::new(0));
    let holders: Vec<_> = (0..s)
        .map(|_| {
            let (client, target, arrived) = (client.clone(), through.clone(), arrived.clone());
            client_rt.spawn(async move {
                let fut = exchange(
                    &client,
                    &target,
                    Kind::Hold,
                    Instant::now(),
                    Some(&*arrived),
                );
                tokio::time::timeout(Duration::from_secs(120), fut)
                    .await
                    .unwrap_or_else(|_| Err("held stream: not finished within 120 s".to_owned()))
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrived.load(Ordering::SeqCst) < s && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let got_first = arrived.load(Ordering::SeqCst);
    if got_first < s {
        errors.push(format!(
            "only {got_first} of {s} held streams delivered their first event within 60 s \
             (does the relay buffer streams?)"
        ));
    }
    std::thread::sleep(Duration::from_millis(300));
    let (rss_hold, fds_hold) = (rss_mb(pid), fd_count(pid));
    let threads = proc_status(pid, "Threads:").unwrap_or(0);
    let released = upstream.release();
    let mut held = Run::default();
    client_rt.block_on(async {
        for h in holders {
            held.add(h.await);
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    let rss_after = rss_mb(pid);
    let hwm = proc_status(pid, "VmHWM:").map_or(f64::NAN, |kb| kb as f64 / 1024.0);

    // ----- report -----
    let mut t = Table(vec![
        "| scenario | metric | direct | relay | added | target (added) |".to_owned(),
        "|---|---|---:|---:|---:|---|".to_owned(),
    ]);
    let closed = format!("closed loop, {} req, conc {c}", opts.requests);
    t.latencies(
        &closed,
        "latency",
        &plain_d,
        &plain_r,
        |o| o.total,
        [None, None],
    );
    t.row(
        "",
        "throughput (req/s)",
        format!("{:.0}", plain_d.rate()),
        format!("{:.0}", plain_r.rate()),
        String::new(),
        "",
    );
    let fixed = format!("fixed {} req/s × {} s", opts.rate, opts.seconds);
    t.latencies(
        &fixed,
        "latency",
        &rate_d,
        &rate_r,
        |o| o.total,
        [Some(0.1), Some(0.3)],
    );
    t.row(
        "",
        "achieved (req/s)",
        format!("{:.0}", rate_d.rate()),
        format!("{:.0}", rate_r.rate()),
        String::new(),
        "",
    );
    let streams = format!(
        "streams, {} × {} events, conc {c}",
        opts.stream_runs, opts.events
    );
    t.latencies(
        &streams,
        "first event",
        &stream_d,
        &stream_r,
        |o| o.first,
        [Some(0.2), None],
    );
    t.latencies(
        "",
        "last event",
        &stream_d,
        &stream_r,
        |o| o.last,
        [None, None],
    );
    t.row(
        "",
        "frames per stream (mean)",
        format!("{:.1}", stream_d.mean_frames()),
        format!("{:.1}", stream_r.mean_frames()),
        String::new(),
        "",
    );
    let mem = |v: f64, limit: Option<f64>| match limit {
        Some(l) if v <= l => format!("≤ {l} MB ✅"),
        Some(l) => format!("≤ {l} MB ❌"),
        None => String::new(),
    };
    t.row(
        "relay memory",
        "RSS idle after start (MB)",
        String::new(),
        format!("{rss_start:.1}"),
        String::new(),
        &mem(rss_start, Some(30.0)),
    );
    t.row(
        "",
        "RSS idle after the runs above (MB)",
        String::new(),
        format!("{rss_loaded:.1}"),
        String::new(),
        "",
    );
    t.row(
        "",
        &format!("RSS holding {got_first} streams (MB)"),
        String::new(),
        format!("{rss_hold:.1}"),
        String::new(),
        &mem(rss_hold, Some(80.0)),
    );
    t.row(
        "",
        "RSS after releasing them (MB)",
        String::new(),
        format!("{rss_after:.1}"),
        String::new(),
        "",
    );
    t.row(
        "",
        "peak RSS, VmHWM (MB)",
        String::new(),
        format!("{hwm:.1}"),
        String::new(),
        "",
    );
    t.row(
        "",
        &format!("open fds / threads holding {got_first} streams"),
        String::new(),
        format!("{fds_hold} / {threads}"),
        String::new(),
        "",
    );

    let runs = [
        &plain_d, &plain_r, &stream_d, &stream_r, &rate_d, &rate_r, &held,
    ];
    errors.extend(runs.iter().flat_map(|r| r.errors.iter().cloned()));
    if released != s {
        errors.push(format!(
            "the upstream held {released} streams, expected {s}"
        ));
    }

    println!("# relay benchmark\n");
    println!(
        "- machine: {} CPUs ({}), load average before: {load_before}, after: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        first_line("/proc/cpuinfo", "model name"),
        first_line("/proc/loadavg", ""),
    );
    println!("- relay: {version} ({}), {}", bin.display(), utc_now());
    println!(
        "- mix: half OpenAI chat, half Anthropic messages; warm-up {} requests; open-file limit {limit}; \
         direct = client → fake upstream, relay = client → relay → fake upstream\n",
        opts.warmup
    );
    println!("{}", t.0.join("\n"));
    println!("\nfailed requests: {}", errors.len());
    drop(relay);
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        for e in errors.iter().take(20) {
            eprintln!("error: {e}");
        }
        ExitCode::FAILURE
    }
}

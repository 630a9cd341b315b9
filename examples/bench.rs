//! The relay's performance benchmark (see "Targets" in DESIGN.md).
//!
//! It starts a zero-delay fake upstream in this process (OpenAI `POST /v1/chat/completions` and
//! Anthropic `POST /v1/messages`, JSON or SSE), spawns the release `relay` binary as a child
//! process with one OpenAI and one Anthropic account pointing at that upstream, and sends the
//! same request mix (half OpenAI, half Anthropic) once straight to the upstream (the baseline)
//! and once through the relay. Measured:
//!
//! - non-streaming latency (p50/p90/p99/max) and throughput, closed loop at fixed concurrency;
//! - the same at a fixed rate (open loop, default 2,000 requests/s for 5 s each way, direct and
//!   relay taking turns every 250 ms, latency counted from the scheduled send time): the DESIGN
//!   target condition;
//! - the relay's CPU time per request (from /proc/PID/stat) in each of these runs;
//! - streams of K events: time to first and to last event, and that every event arrives;
//! - the relay's RSS idle, and while it holds S concurrent open streams (the upstream sends one
//!   event on each, then waits until the benchmark releases them all).
//!
//! Run it with:
//!
//! ```text
//! cargo build --release --bin relay --example bench
//! cargo run --release --example bench -- [--requests N] [--concurrency C] [--streams S]
//!     [--stream-runs M] [--stream-concurrency SC] [--events K] [--rate R] [--seconds T]
//!     [--warmup W]
//! ```
//!
//! Defaults: N = 20,000 non-streaming requests at C = 8; M = 500 streams of K = 20 events at
//! SC = 1 (so the stream rows measure the path, not queueing); R = 2,000 requests/s for T = 5 s;
//! S = 1,000 held streams (twice); W = 500 warm-up requests (and W/4 streams) each way.
//!
//! It prints a Markdown table on stdout and exits 1 if any request failed. The upstream and the
//! client each run on their own one-thread tokio runtime; on a 2-core machine they compete with
//! the relay for CPU, so run it on an otherwise idle machine and read the "added" column. Holding
//! S streams needs about 2·S open files in this process and in the relay: with a lower
//! `ulimit -n` fewer streams are held (and the number is printed).

// A measuring tool, not library code: it reports on stdout/stderr and aborts on setup failures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

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

const USAGE: &str = "usage: bench [--requests N] [--concurrency C] [--streams S] \
[--stream-runs M] [--stream-concurrency SC] [--events K] [--rate R] [--seconds T] [--warmup W]";

struct Opts {
    requests: usize,
    concurrency: usize,
    streams: usize,
    stream_runs: usize,
    stream_concurrency: usize,
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
        stream_concurrency: 1,
        events: 20,
        rate: 2000,
        seconds: 5,
        warmup: 500,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let [flag, value] = pair else {
            return Err(USAGE.to_owned());
        };
        let slot = match flag.as_str() {
            "--requests" => &mut o.requests,
            "--concurrency" => &mut o.concurrency,
            "--streams" => &mut o.streams,
            "--stream-runs" => &mut o.stream_runs,
            "--stream-concurrency" => &mut o.stream_concurrency,
            "--events" => &mut o.events,
            "--rate" => &mut o.rate,
            "--seconds" => &mut o.seconds,
            "--warmup" => &mut o.warmup,
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        };
        *slot = value
            .parse()
            .map_err(|_| format!("{flag}: not a number: {value}"))?;
    }
    o.concurrency = o.concurrency.max(1);
    o.stream_concurrency = o.stream_concurrency.max(1);
    (o.events, o.rate) = (o.events.max(6), o.rate.max(1));
    Ok(o)
}

// ---------------------------------------------------------------------------------------------
// The fake upstream.

const CHAT_JSON: &str = r#"{"id":"chatcmpl-bench000000000000000000000001","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_bench","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#;
const MSG_JSON: &str = r#"{"id":"msg_bench000000000000000000000001","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"Hello! How can I help you today?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":9,"service_tier":"standard"}}"#;
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

fn sse(data: &str) -> Bytes {
    // Anthropic events are named after their `type`; OpenAI's carry no name.
    let name = serde_json::from_str::<serde_json::Value>(data).ok();
    match name.as_ref().and_then(|v| v["type"].as_str()) {
        Some(name) => Bytes::from(format!("event: {name}\ndata: {data}\n\n")),
        None => Bytes::from(format!("data: {data}\n\n")),
    }
}

/// The fixed streams: `k` events each, so exactly `k` `data:` lines.
struct Payloads {
    chat: Vec<Bytes>,
    msg: Vec<Bytes>,
}

impl Payloads {
    fn new(k: usize) -> Self {
        let chunk = |i: usize| {
            let delta = match i {
                0 => r#"{"role":"assistant","content":""}"#.to_owned(),
                _ => format!(r#"{{"content":"w{i} "}}"#),
            };
            let finish = if i == k - 3 { r#""stop""# } else { "null" };
            sse(&CHAT_CHUNK
                .replace("DELTA", &delta)
                .replace("FINISH", finish))
        };
        let mut chat: Vec<Bytes> = (0..k - 2).map(chunk).collect();
        chat.extend([sse(CHAT_USAGE), sse("[DONE]")]);
        let deltas = (0..k - 5).map(|i| sse(&MSG_DELTA.replace("TEXT", &format!("w{i} "))));
        let head = MSG_HEAD.iter().map(|d| sse(d));
        let msg = head
            .chain(deltas)
            .chain(MSG_TAIL.iter().map(|d| sse(d)))
            .collect();
        Payloads { chat, msg }
    }
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
            RespBody::Chan(rx) => rx.poll_recv(cx),
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

struct Upstream {
    payloads: Payloads,
    /// Senders of the held (`"model":"hold"`) streams; dropping one ends its stream.
    held: Mutex<Vec<mpsc::Sender<Bytes>>>,
}

impl Upstream {
    /// Ends every held stream with the usage chunk and `[DONE]`; returns how many there were.
    fn release(&self) -> usize {
        let held = std::mem::take(&mut *self.held.lock().unwrap());
        let tail = &self.payloads.chat[self.payloads.chat.len() - 2..];
        for (tx, b) in held.iter().flat_map(|tx| tail.iter().map(move |b| (tx, b))) {
            let _ = tx.try_send(b.clone());
        }
        held.len()
    }
}

/// A body that yields `frames` back to back, each its own frame, then ends (or, with `keep`,
/// waits until `keep` is dropped).
fn frames(frames: &[Bytes], keep: Option<&Mutex<Vec<mpsc::Sender<Bytes>>>>) -> RespBody {
    let (tx, rx) = mpsc::channel(frames.len() + 2);
    for b in frames {
        let _ = tx.try_send(b.clone());
    }
    if let Some(keep) = keep {
        keep.lock().unwrap().push(tx);
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
    let p = &up.payloads;
    let (ok, json, sse) = (StatusCode::OK, "application/json", "text/event-stream");
    let whole = |s: &'static str| RespBody::Whole(Some(Bytes::from_static(s.as_bytes())));
    let (status, ctype, body) = match (path.as_str(), v["stream"].as_bool() == Some(true)) {
        ("/v1/chat/completions", true) if v["model"] == "hold" => {
            (ok, sse, frames(&p.chat[..1], Some(&up.held)))
        }
        ("/v1/chat/completions", true) => (ok, sse, frames(&p.chat, None)),
        ("/v1/messages", true) => (ok, sse, frames(&p.msg, None)),
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

fn start_upstream(rt: &Runtime, up: Arc<Upstream>) -> SocketAddr {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
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
                let server = auto::Builder::new(TokioExecutor::new());
                let _ = server.serve_connection(TokioIo::new(tcp), svc).await;
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
    let dir = exe.parent().and_then(Path::parent);
    let dir = dir.ok_or("no target directory")?;
    let bin = dir.join(format!("relay{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        let bin = bin.display();
        return Err(format!(
            "no relay binary at {bin}: build it first: cargo build --release"
        ));
    }
    Ok(bin)
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
        .env("NO_COLOR", "1")
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
    // Reports the ready line and forwards the relay's other log lines (warnings, errors).
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            match line.strip_prefix("relay listening on ") {
                Some(url) => {
                    let _ = tx.send(url.trim().to_owned());
                }
                None => eprintln!("[relay] {line}"),
            }
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(30));
    relay.url = ready.map_err(|_| "the relay printed no ready line within 30 s".to_owned())?;
    Ok(relay)
}

fn proc_field(path: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// CPU time (user + system) the process has used, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After "pid (comm)": utime and stime are fields 14 and 15, in ticks of 1/100 s.
    let fields = stat
        .rsplit_once(')')
        .map_or("", |(_, r)| r)
        .split_whitespace();
    let ticks: Vec<f64> = fields
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    ticks.iter().sum::<f64>() / 100.0
}

fn mem_mb(pid: u32, field: &str) -> f64 {
    let kb = proc_field(&format!("/proc/{pid}/status"), field);
    kb.map_or(f64::NAN, |kb| kb as f64 / 1024.0)
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
    fn new(base: &str, events: usize) -> Self {
        let base = base.into();
        Target { base, events }
    }

    fn request(&self, kind: Kind) -> Request<Full<Bytes>> {
        let (path, model, stream) = match kind {
            Kind::Chat => ("/v1/chat/completions", "gpt-4o-mini", ""),
            Kind::ChatStream => ("/v1/chat/completions", "gpt-4o-mini", CHAT_STREAM),
            Kind::Hold => ("/v1/chat/completions", "hold", CHAT_STREAM),
            Kind::Msg => ("/v1/messages", "claude-haiku-4-5", ""),
            Kind::MsgStream => ("/v1/messages", "claude-haiku-4-5", r#""stream":true,"#),
        };
        let body = format!(
            r#"{{"model":"{model}","max_tokens":16,{stream}"messages":[{{"role":"user","content":"Say hello"}}]}}"#
        );
        Request::post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("anthropic-version", "2023-06-01")
            .body(Full::new(Bytes::from(body)))
            .unwrap()
    }

    fn expected_events(&self, kind: Kind) -> usize {
        match kind {
            Kind::Chat | Kind::Msg => 0,
            Kind::ChatStream | Kind::MsgStream => self.events,
            Kind::Hold => 3,
        }
    }
}

/// A pooled keep-alive client with `TCP_NODELAY`.
fn new_client() -> HttpClient {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(http)
}

const CHAT_STREAM: &str = r#""stream":true,"stream_options":{"include_usage":true},"#;
const TIMEOUT: Duration = Duration::from_secs(60);

/// One exchange as the client saw it; times are from `start`.
struct Outcome {
    total: Duration,
    first: Duration,
    last: Duration,
    frames: usize,
}

/// Sends one request and reads the whole answer; checks the status and the number of `data:`
/// lines. `on_first` is incremented when the first body bytes arrive.
async fn exchange(
    client: HttpClient,
    target: Target,
    kind: Kind,
    start: Instant,
    on_first: Option<Arc<AtomicUsize>>,
) -> Result<Outcome, String> {
    let base = target.base.clone();
    let exchange = async {
        let resp = client.request(target.request(kind)).await;
        let resp = resp.map_err(|e| format!("{base}: request failed: {e:?}"))?;
        let status = resp.status();
        let mut body = resp.into_body();
        let (mut first, mut last, mut frames, mut all) = (None, Duration::ZERO, 0, Vec::new());
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("{base}: body failed: {e}"))?;
            match frame.into_data() {
                Ok(data) if !data.is_empty() => all.extend_from_slice(&data),
                _ => continue,
            }
            last = start.elapsed();
            frames += 1;
            if first.is_none() {
                first = Some(last);
                if let Some(c) = &on_first {
                    c.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        let total = start.elapsed();
        let text = String::from_utf8_lossy(&all);
        if status != StatusCode::OK {
            let text: String = text.chars().take(300).collect();
            return Err(format!("{base}: status {status}: {text}"));
        }
        let events = text.lines().filter(|l| l.starts_with("data:")).count();
        let expected = target.expected_events(kind);
        if events != expected || all.is_empty() {
            let n = all.len();
            return Err(format!(
                "{base}: {events} events, expected {expected} ({n} bytes)"
            ));
        }
        let first = first.unwrap_or(total);
        Ok(Outcome {
            total,
            first,
            last,
            frames,
        })
    };
    let late = |_| Err(format!("{base}: no answer within {TIMEOUT:?}"));
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .unwrap_or_else(late)
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

    fn rate(&self) -> String {
        format!(
            "{:.0}",
            self.ok.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
        )
    }

    fn mean_frames(&self) -> String {
        let frames: usize = self.ok.iter().map(|o| o.frames).sum();
        format!("{:.1}", frames as f64 / self.ok.len().max(1) as f64)
    }
}

/// `total` requests cycling through `kinds`, `conc` at a time: each worker sends its next
/// request when its previous one is done.
fn closed_loop(
    rt: &Runtime,
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
            rt.spawn(async move {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break out;
                    }
                    let (c, t, kind) = (client.clone(), target.clone(), kinds[i % kinds.len()]);
                    out.push(exchange(c, t, kind, Instant::now(), None).await);
                }
            })
        })
        .collect();
    let mut run = Run::default();
    rt.block_on(async {
        for w in workers {
            match w.await {
                Ok(list) => list.into_iter().for_each(|r| run.add(Ok(r))),
                Err(e) => run.errors.push(format!("worker failed: {e}")),
            }
        }
    });
    run.elapsed = started.elapsed();
    run
}

/// `rate` requests per second for `seconds` to each target, sent by a ticker thread (this one)
/// at their scheduled times whatever the earlier ones are doing; latency counts from the
/// scheduled time. The targets take turns in blocks of 250 ms, so that both see the same
/// background noise.
fn open_loop(
    rt: &Runtime,
    client: &HttpClient,
    targets: [&Target; 2],
    rate: usize,
    seconds: usize,
) -> [Run; 2] {
    let period = Duration::from_secs_f64(1.0 / rate as f64);
    let block = (rate / 4).max(1);
    let started = Instant::now() + Duration::from_millis(5);
    let mut tasks = Vec::with_capacity(2 * rate * seconds);
    for i in 0..2 * rate * seconds {
        let at = started + period.mul_f64(i as f64);
        if let Some(wait) = at.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let (side, kind) = ((i / block) % 2, PLAIN[i % PLAIN.len()]);
        let target = targets[side].clone();
        let task = rt.spawn(exchange(client.clone(), target, kind, at, None));
        tasks.push((side, task));
    }
    let mut runs = [Run::default(), Run::default()];
    rt.block_on(async {
        for (side, t) in tasks {
            runs[side].add(t.await);
        }
    });
    for run in &mut runs {
        run.elapsed = started.elapsed() / 2;
    }
    runs
}

struct Held {
    run: Run,
    arrived: usize,
    released: usize,
    rss: f64,
    rss_after: f64,
    fds: usize,
    fds_after: usize,
    threads: u64,
}

/// Opens `s` streams through the relay that the upstream holds after their first event, reads
/// the relay's RSS once every one has delivered that event, releases them and closes their
/// connections, and reads it again.
fn hold_streams(rt: &Runtime, relay: &Target, up: &Upstream, pid: u32, s: usize) -> Held {
    let (client, arrived) = (new_client(), Arc::new(AtomicUsize::new(0)));
    let tasks: Vec<_> = (0..s)
        .map(|_| {
            let (c, t, n) = (client.clone(), relay.clone(), Some(arrived.clone()));
            rt.spawn(exchange(c, t, Kind::Hold, Instant::now(), n))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrived.load(Ordering::SeqCst) < s && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    let rss = mem_mb(pid, "VmRSS:");
    let fds = fd_count(pid);
    let threads = proc_field(&format!("/proc/{pid}/status"), "Threads:").unwrap_or(0);
    let arrived = arrived.load(Ordering::SeqCst);
    let released = up.release();
    let mut run = Run::default();
    rt.block_on(async {
        for t in tasks {
            run.add(t.await);
        }
    });
    drop(client);
    std::thread::sleep(Duration::from_millis(500));
    let (rss_after, fds_after) = (mem_mb(pid, "VmRSS:"), fd_count(pid));
    Held {
        run,
        arrived,
        released,
        rss,
        rss_after,
        fds_after,
        fds,
        threads,
    }
}

// ---------------------------------------------------------------------------------------------
// Report.

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let d = sorted.get(rank.clamp(1, sorted.len().max(1)) - 1);
    d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

const CPU: &str = "relay CPU per request (µs)";
/// DESIGN targets for the added latency (ms) at p50 and p99, non-streaming and first event.
const TARGET_ADDED: [Option<f64>; 2] = [Some(0.1), Some(0.3)];
const TARGET_FIRST: [Option<f64>; 2] = [Some(0.2), None];

fn check(v: f64, limit: f64, unit: &str) -> String {
    format!("≤ {limit} {unit} {}", if v <= limit { "✅" } else { "❌" })
}

/// Markdown rows: scenario | metric | direct | relay | added | target.
struct Table(Vec<String>);

impl Table {
    fn row(&mut self, cells: [&str; 6]) {
        self.0.push(format!("| {} |", cells.join(" | ")));
    }

    /// p50/p90/p99/max of `f` (ms), direct and through the relay; `limits` bound the added p50
    /// and p99.
    fn latencies(
        &mut self,
        name: &str,
        what: &str,
        runs: &[Run; 2],
        f: fn(&Outcome) -> Duration,
        limits: [Option<f64>; 2],
    ) {
        let (d, r) = (runs[0].sorted(f), runs[1].sorted(f));
        let rows = [
            ("p50", 50.0, limits[0]),
            ("p90", 90.0, None),
            ("p99", 99.0, limits[1]),
            ("max", 100.0, None),
        ];
        for (i, (label, p, limit)) in rows.into_iter().enumerate() {
            let (d, r) = (pct(&d, p), pct(&r, p));
            let target = limit.map_or(String::new(), |l| check(r - d, l, "ms"));
            let cells = [
                format!("{what} {label} (ms)"),
                format!("{d:.3}"),
                format!("{r:.3}"),
                format!("{:+.3}", r - d),
            ];
            let [metric, d, r, added] = cells.each_ref().map(String::as_str);
            self.row([if i == 0 { name } else { "" }, metric, d, r, added, &target]);
        }
    }
}

fn first_line(path: &str, prefix: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let line = text.lines().find(|l| l.starts_with(prefix)).unwrap_or("?");
    line.split_once(':')
        .map_or(line, |(_, v)| v)
        .trim()
        .to_owned()
}

fn command_output(cmd: &Path, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output();
    out.map_or_else(
        |e| format!("? ({e})"),
        |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
    )
}

fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

fn fd_limit(pid: &str) -> Option<usize> {
    let n = proc_field(&format!("/proc/{pid}/limits"), "Max open files")?;
    usize::try_from(n).ok()
}

fn runtime(name: &str) -> Runtime {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    b.worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build()
        .unwrap()
}

fn main() -> ExitCode {
    run().unwrap_or_else(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

fn run() -> Result<ExitCode, String> {
    let opts = parse_args()?;
    let bin = relay_binary()?;
    let load_before = first_line("/proc/loadavg", "");
    let (up_rt, rt) = (runtime("fake-upstream"), runtime("bench-client"));
    let (payloads, held) = (Payloads::new(opts.events), Mutex::new(Vec::new()));
    let upstream = Arc::new(Upstream { payloads, held });
    let up_addr = start_upstream(&up_rt, upstream.clone());
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let relay = start_relay(&bin, dir.path(), up_addr)?;
    let pid = relay.child.id();
    std::thread::sleep(Duration::from_millis(300));
    let rss_start = mem_mb(pid, "VmRSS:");

    let events = opts.events;
    let direct = Target::new(&format!("http://{up_addr}"), events);
    let through = Target::new(&relay.url, events);
    let client = new_client();
    let (c, sc, mut errors) = (opts.concurrency, opts.stream_concurrency, Vec::new());
    // Runs `n` requests directly then through the relay; also the relay's CPU µs per request
    // (it is idle during the direct half).
    let closed = |kinds: &'static [Kind], n: usize, c: usize| {
        let cpu = cpu_secs(pid);
        let runs = [&direct, &through].map(|t| closed_loop(&rt, &client, t, kinds, n, c));
        (runs, (cpu_secs(pid) - cpu) * 1e6 / n.max(1) as f64)
    };

    let (warm, sw) = (opts.warmup, opts.warmup / 4);
    eprintln!("warming up: {warm} requests and {sw} streams each way…");
    let warm = [closed(&PLAIN, warm, c).0, closed(&STREAMS, sw, sc).0];
    eprintln!("closed loop: {} requests, concurrency {c}…", opts.requests);
    let (plain, plain_cpu) = closed(&PLAIN, opts.requests, c);
    eprintln!(
        "streams: {} × {events} events, concurrency {sc}…",
        opts.stream_runs
    );
    let (streams, streams_cpu) = closed(&STREAMS, opts.stream_runs, sc);
    let (rate, secs) = (opts.rate, opts.seconds);
    eprintln!("fixed rate: {rate} requests/s for {secs} s each way, alternating…");
    let cpu = cpu_secs(pid);
    let fixed = open_loop(&rt, &client, [&direct, &through], rate, secs);
    let fixed_cpu = (cpu_secs(pid) - cpu) * 1e6 / (rate * secs).max(1) as f64;
    std::thread::sleep(Duration::from_millis(500));
    let rss_loaded = mem_mb(pid, "VmRSS:");

    // Each held stream costs the relay two sockets and this process two: stay within the limit.
    let limit = [fd_limit(&pid.to_string()), fd_limit("self")];
    let limit = limit.into_iter().flatten().min().unwrap_or(1024);
    let s = opts.streams.min(limit.saturating_sub(200) / 2);
    if s < opts.streams {
        eprintln!(
            "open-file limit {limit}: holding {s} streams, not {}",
            opts.streams
        );
    }
    // Two rounds: RSS that grows on the second is a leak, not the allocator keeping pages.
    eprintln!("holding {s} streams, twice…");
    let held = [1, 2].map(|_| hold_streams(&rt, &through, &upstream, pid, s));
    let version = command_output(&bin, &["--version"]);
    drop(relay);

    for h in &held {
        let (n, released) = (h.arrived, h.released);
        if n < s {
            errors.push(format!("{n} of {s} held streams had a first event in 60 s"));
        }
        if released != s {
            errors.push(format!("the upstream held {released} of {s} streams"));
        }
    }
    let runs = [&plain, &streams, &fixed];
    let all = warm.iter().chain(runs).flatten();
    let all = all.chain(held.iter().map(|h| &h.run));
    errors.extend(all.flat_map(|r| r.errors.iter().cloned()));

    let mut t = Table(vec![
        "| scenario | metric | direct | relay | added | target (added) |".to_owned(),
        "|---|---|---:|---:|---:|---|".to_owned(),
    ]);
    let name = format!("closed loop, {} req, conc {c}", opts.requests);
    t.latencies(&name, "latency", &plain, |o| o.total, [None, None]);
    let [d, r] = [&plain[0].rate(), &plain[1].rate()];
    t.row(["", "throughput (req/s)", d, r, "", ""]);
    t.row(["", CPU, "", &format!("{plain_cpu:.0}"), "", ""]);
    let name = format!("fixed rate, {} req/s × {} s", opts.rate, opts.seconds);
    t.latencies(&name, "latency", &fixed, |o| o.total, TARGET_ADDED);
    let [d, r] = [&fixed[0].rate(), &fixed[1].rate()];
    t.row(["", "achieved (req/s)", d, r, "", ""]);
    t.row(["", CPU, "", &format!("{fixed_cpu:.0}"), "", ""]);
    let name = format!("streams, {} × {events} events, conc {sc}", opts.stream_runs);
    t.latencies(&name, "first event", &streams, |o| o.first, TARGET_FIRST);
    t.latencies("", "last event", &streams, |o| o.last, [None, None]);
    let [d, r] = [&streams[0].mean_frames(), &streams[1].mean_frames()];
    t.row(["", "frames per stream (mean)", d, r, "", ""]);
    t.row(["", CPU, "", &format!("{streams_cpu:.0}"), "", ""]);
    let [h1, h2] = &held;
    let holding = [(h1, ""), (h2, ", again")];
    let holding =
        holding.map(|(h, again)| format!("RSS holding {} streams{again} (MB)", h.arrived));
    let closed = "RSS after they closed (MB)";
    let memory = [
        ("RSS idle after start (MB)", rss_start, Some(30.0)),
        ("RSS idle after the runs above (MB)", rss_loaded, None),
        (holding[0].as_str(), h1.rss, Some(80.0)),
        (closed, h1.rss_after, None),
        (holding[1].as_str(), h2.rss, Some(80.0)),
        (closed, h2.rss_after, None),
    ];
    for (i, (metric, v, limit)) in memory.into_iter().enumerate() {
        let target = limit.map_or(String::new(), |l| check(v, l, "MB"));
        let name = if i == 0 { "relay memory" } else { "" };
        t.row([name, metric, "", &format!("{v:.1}"), "", &target]);
    }
    let fds = format!("{} / {} / {}", h1.fds, h1.fds_after, h2.fds_after);
    t.row(["", "open fds: holding / after 1st / 2nd", "", &fds, "", ""]);
    let threads = h1.threads.to_string();
    t.row(["", "threads while holding", "", &threads, "", ""]);

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = first_line("/proc/cpuinfo", "model name");
    let load_after = first_line("/proc/loadavg", "");
    let date = command_output(Path::new("date"), &["-u", "+%Y-%m-%d %H:%M UTC"]);
    println!("# relay benchmark\n");
    println!(
        "- machine: {cpus} CPUs ({cpu}); load average before: {load_before}, after: {load_after}"
    );
    println!("- {version}; {date}; open-file limit {limit}; warm-up discarded");
    println!("- mix: half OpenAI chat, half Anthropic messages; direct = client → fake upstream;");
    println!("  relay = client → relay → fake upstream; added = relay − direct\n");
    println!("{}", t.0.join("\n"));
    println!("\nfailed requests: {}", errors.len());
    errors.iter().take(20).for_each(|e| eprintln!("error: {e}"));
    Ok(ExitCode::from(u8::from(!errors.is_empty())))
}

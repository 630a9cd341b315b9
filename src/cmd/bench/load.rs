//! The benchmark's load: the relay under test as a child process (this same binary running
//! `relay serve`), a pooled hyper client, closed-loop and open-loop runs, held streams, and the
//! relay's CPU time and memory read from /proc.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::runtime::Runtime;

use super::upstream::Upstream;

pub struct RelayProc {
    pub child: Child,
    pub url: String,
}

impl Drop for RelayProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `bin serve` on a free loopback port with one OpenAI and one Anthropic account on
/// `upstream`; with `pin`, on CPU 0 (through `taskset`).
pub fn start_relay(
    bin: &Path,
    dir: &Path,
    upstream: SocketAddr,
    pin: bool,
) -> Result<RelayProc, String> {
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
    let mut cmd = if pin {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let mut child = cmd
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
                None => super::progress(&format!("[relay] {line}")),
            }
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(30));
    relay.url = ready.map_err(|_| "the relay printed no ready line within 30 s".to_owned())?;
    Ok(relay)
}

pub fn proc_field(path: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.get(field.len()..)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU time (user + system) the process has used, in seconds.
pub fn cpu_secs(pid: u32) -> f64 {
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

pub fn mem_mb(pid: u32, field: &str) -> f64 {
    let kb = proc_field(&format!("/proc/{pid}/status"), field);
    kb.map_or(f64::NAN, |kb| kb as f64 / 1024.0)
}

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A kind of request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// OpenAI chat, JSON.
    Chat,
    /// Anthropic messages, JSON.
    Msg,
    /// OpenAI chat, streamed (passthrough).
    ChatStream,
    /// Anthropic messages, streamed (passthrough).
    MsgStream,
    /// OpenAI Responses, streamed, served by the Anthropic account (converted).
    RespStream,
    /// A stream the upstream holds open after its first event.
    Hold,
}

/// The non-streaming mix.
pub const PLAIN: [Kind; 2] = [Kind::Chat, Kind::Msg];
/// The passthrough streams.
pub const STREAMS: [Kind; 2] = [Kind::ChatStream, Kind::MsgStream];

/// Where requests go (the upstream or the relay) and how many events a stream must carry.
#[derive(Clone)]
pub struct Target {
    base: Arc<str>,
    events: usize,
    /// Responses requests go out as what the upstream serves them from (Anthropic streams):
    /// the direct baseline of the conversion scenario.
    direct: bool,
    /// Another gateway: a stream is complete when it ends with `[DONE]`, however it splits
    /// the text into chunks.
    pub lenient: bool,
}

impl Target {
    pub fn new(base: &str, events: usize, direct: bool) -> Self {
        let base = base.into();
        Target {
            base,
            events,
            direct,
            lenient: false,
        }
    }

    fn request(&self, kind: Kind) -> Request<Full<Bytes>> {
        let kind = if kind == Kind::RespStream && self.direct {
            Kind::MsgStream
        } else {
            kind
        };
        if kind == Kind::RespStream {
            let body = r#"{"model":"claude-haiku-4-5","max_output_tokens":16,"stream":true,"input":"Say hello"}"#;
            return Request::post(format!("{}/v1/responses", self.base))
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(body.as_bytes())))
                .unwrap_or_default();
        }
        let (path, model, stream) = match kind {
            Kind::Chat => ("/v1/chat/completions", "gpt-4o-mini", ""),
            Kind::ChatStream => ("/v1/chat/completions", "gpt-4o-mini", CHAT_STREAM),
            Kind::Hold => ("/v1/chat/completions", "hold", CHAT_STREAM),
            Kind::Msg => ("/v1/messages", "claude-haiku-4-5", ""),
            Kind::MsgStream | Kind::RespStream => {
                ("/v1/messages", "claude-haiku-4-5", r#""stream":true,"#)
            }
        };
        let body = format!(
            r#"{{"model":"{model}","max_tokens":16,{stream}"messages":[{{"role":"user","content":"Say hello"}}]}}"#
        );
        Request::post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("anthropic-version", "2023-06-01")
            .body(Full::new(Bytes::from(body)))
            .unwrap_or_default()
    }

    /// How many `data:` lines the answer must have (`None`: converted, checked by its end).
    fn expected_events(&self, kind: Kind) -> Option<usize> {
        match kind {
            Kind::Chat | Kind::Msg => Some(0),
            Kind::ChatStream if self.lenient => None,
            Kind::ChatStream | Kind::MsgStream => Some(self.events),
            Kind::RespStream if self.direct => Some(self.events),
            Kind::RespStream => None,
            Kind::Hold => Some(3),
        }
    }
}

/// A pooled keep-alive client with `TCP_NODELAY`.
pub fn new_client() -> HttpClient {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(http)
}

const CHAT_STREAM: &str = r#""stream":true,"stream_options":{"include_usage":true},"#;
const TIMEOUT: Duration = Duration::from_secs(60);

/// One exchange as the client saw it; times are from `start`.
pub struct Outcome {
    pub total: Duration,
    pub first: Duration,
    pub last: Duration,
    pub frames: usize,
    /// Streams: how long the first text event took from leaving the upstream to arriving here.
    pub transit_first: Duration,
    /// Streams: the longest such time over the stream's text events.
    pub transit_worst: Duration,
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
        let (mut transit_first, mut transit_worst) = (None, Duration::ZERO);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("{base}: body failed: {e}"))?;
            match frame.into_data() {
                Ok(data) if !data.is_empty() => {
                    let arrived = super::upstream::epoch().elapsed();
                    for left in super::upstream::stamps(&data) {
                        let transit = arrived.saturating_sub(left);
                        transit_first.get_or_insert(transit);
                        transit_worst = transit_worst.max(transit);
                    }
                    all.extend_from_slice(&data);
                }
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
        let complete = match target.expected_events(kind) {
            Some(expected) => events == expected,
            None if kind == Kind::ChatStream => text.trim_end().ends_with("data: [DONE]"),
            None => text.contains("event: response.completed"),
        };
        if !complete || all.is_empty() {
            let n = all.len();
            return Err(format!(
                "{base}: {events} events, not the complete answer ({n} bytes)"
            ));
        }
        let first = first.unwrap_or(total);
        Ok(Outcome {
            total,
            first,
            last,
            frames,
            transit_first: transit_first.unwrap_or_default(),
            transit_worst,
        })
    };
    let late = |_| Err(format!("{base}: no answer within {TIMEOUT:?}"));
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .unwrap_or_else(late)
}

#[derive(Default)]
pub struct Run {
    pub ok: Vec<Outcome>,
    pub errors: Vec<String>,
    pub elapsed: Duration,
}

impl Run {
    fn add(&mut self, r: Result<Result<Outcome, String>, tokio::task::JoinError>) {
        match r {
            Ok(Ok(o)) => self.ok.push(o),
            Ok(Err(e)) => self.errors.push(e),
            Err(e) => self.errors.push(format!("task failed: {e}")),
        }
    }

    pub fn sorted(&self, f: fn(&Outcome) -> Duration) -> Vec<Duration> {
        let mut v: Vec<Duration> = self.ok.iter().map(f).collect();
        v.sort_unstable();
        v
    }

    pub fn rate(&self) -> f64 {
        self.ok.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn mean_frames(&self) -> f64 {
        let frames: usize = self.ok.iter().map(|o| o.frames).sum();
        frames as f64 / self.ok.len().max(1) as f64
    }
}

/// `total` requests cycling through `kinds`, `conc` at a time: each worker sends its next
/// request when its previous one is done.
pub fn closed_loop(
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
pub fn open_loop(
    rt: &Runtime,
    client: &HttpClient,
    targets: [&Target; 2],
    rate: usize,
    seconds: usize,
    kinds: &'static [Kind],
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
        let (side, kind) = ((i / block) % 2, kinds[i % kinds.len()]);
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

pub struct Held {
    pub run: Run,
    pub arrived: usize,
    pub released: usize,
    pub rss: f64,
    pub rss_after: f64,
    pub fds: usize,
    pub fds_after: usize,
    pub threads: u64,
}

/// Opens `s` streams through the relay that the upstream holds after their first event, reads
/// the relay's RSS once every one has delivered that event, releases them and closes their
/// connections, and reads it again.
pub fn hold_streams(rt: &Runtime, relay: &Target, up: &Upstream, pid: u32, s: usize) -> Held {
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

pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

pub fn fd_limit(pid: &str) -> Option<usize> {
    let n = proc_field(&format!("/proc/{pid}/limits"), "Max open files")?;
    usize::try_from(n).ok()
}

//! `relay bench`: the relay's own benchmark. A zero-delay upstream on a loopback socket
//! ([`upstream`]), this binary as the relay under test (`relay serve` in a child process), and
//! a hyper load generator ([`load`]) send the same workload straight to the upstream and through
//! the relay in the same run, and report what the relay adds: latency percentiles, throughput,
//! time to the first streamed event, the relay's CPU time and memory.
//!
//! Scenarios: non-streaming passthrough (half OpenAI chat, half Anthropic messages) in a closed
//! loop at a fixed concurrency and an open loop at a fixed rate (direct and relay taking turns
//! every 250 ms, latency counted from the scheduled send time); streaming passthrough; streaming
//! OpenAI Responses served by an Anthropic account (converted; the baseline is the Anthropic
//! stream itself); and many concurrent long streams held open (memory per stream).

mod load;
mod upstream;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::cli::BenchArgs;
use load::{Kind, Outcome, PLAIN, Run, STREAMS, Target};

/// Writes a progress line to stderr.
fn progress(line: &str) {
    #[expect(clippy::print_stderr, reason = "benchmark progress for the user")]
    {
        eprintln!("{line}");
    }
}

/// The numbers a run uses.
struct Opts {
    requests: usize,
    concurrency: usize,
    streams: usize,
    stream_runs: usize,
    stream_concurrency: usize,
    events: usize,
    interval: Duration,
    rate: usize,
    seconds: usize,
    warmup: usize,
}

impl Opts {
    fn from(a: &BenchArgs) -> Self {
        let quick = a.quick;
        let pick =
            |v: Option<usize>, full: usize, q: usize| v.unwrap_or(if quick { q } else { full });
        Opts {
            requests: pick(a.requests, 20_000, 1_000),
            concurrency: pick(a.concurrency, 8, 8).max(1),
            streams: pick(a.streams, 1_000, 100),
            stream_runs: pick(a.stream_runs, 500, 50),
            stream_concurrency: pick(a.stream_concurrency, 1, 1).max(1),
            events: pick(a.events, 20, 20).max(6),
            interval: Duration::from_micros(a.interval_us.unwrap_or(0)),
            rate: pick(a.rate, 2_000, 500).max(1),
            seconds: pick(a.seconds, 5, 1).max(1),
            warmup: pick(a.warmup, 500, 50),
        }
    }
}

/// One line of the report.
#[derive(Clone, Debug, Serialize)]
struct Line {
    scenario: String,
    metric: String,
    direct: Option<f64>,
    relay: Option<f64>,
    added: Option<f64>,
    /// The DESIGN target for this line (on `added`, or on `relay` for memory), if any.
    target: Option<f64>,
    met: Option<bool>,
}

#[derive(Default)]
struct Report {
    lines: Vec<Line>,
}

impl Report {
    fn push(&mut self, scenario: &str, metric: &str, direct: Option<f64>, relay: Option<f64>) {
        let added = direct.zip(relay).map(|(d, r)| r - d);
        self.lines.push(Line {
            scenario: scenario.to_owned(),
            metric: metric.to_owned(),
            direct,
            relay,
            added,
            target: None,
            met: None,
        });
    }

    /// Marks the last line with a target on its added value (or, without a direct value, on
    /// the relay's).
    fn target(&mut self, limit: Option<f64>) {
        if let (Some(limit), Some(l)) = (limit, self.lines.last_mut()) {
            let v = l.added.or(l.relay);
            l.target = Some(limit);
            l.met = v.map(|v| v <= limit);
        }
    }

    /// p50/p90/p99/max of `f` in ms, direct and through the relay; `limits` bound the added p50
    /// and p99.
    fn latencies(
        &mut self,
        scenario: &str,
        what: &str,
        runs: &[Run; 2],
        f: fn(&Outcome) -> Duration,
        limits: [Option<f64>; 2],
    ) {
        let (d, r) = (runs[0].sorted(f), runs[1].sorted(f));
        for (label, p, limit) in [
            ("p50", 50.0, limits[0]),
            ("p90", 90.0, None),
            ("p99", 99.0, limits[1]),
            ("max", 100.0, None),
        ] {
            self.push(
                scenario,
                &format!("{what} {label} (ms)"),
                Some(pct(&d, p)),
                Some(pct(&r, p)),
            );
            self.target(limit);
        }
    }

    fn markdown(&self) -> String {
        let mut out = String::from(
            "| scenario | metric | direct | relay | added | target |\n|---|---|---:|---:|---:|---|\n",
        );
        let mut last = "";
        for l in &self.lines {
            let num = |v: Option<f64>, signed: bool| match v {
                None => String::new(),
                Some(v) if v.abs() >= 100.0 || (v.fract() == 0.0 && !signed) => format!("{v:.0}"),
                Some(v) if signed => format!("{v:+.3}"),
                Some(v) => format!("{v:.3}"),
            };
            let target = match (l.target, l.met) {
                (Some(t), Some(met)) => format!("≤ {t} {}", if met { "✅" } else { "❌" }),
                _ => String::new(),
            };
            let scenario = if l.scenario == last { "" } else { &l.scenario };
            last = &l.scenario;
            out.push_str(&format!(
                "| {scenario} | {} | {} | {} | {} | {target} |\n",
                l.metric,
                num(l.direct, false),
                num(l.relay, false),
                num(l.added, true),
            ));
        }
        out
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a rank within the sample"
    )]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let d = sorted.get(rank.clamp(1, sorted.len().max(1)) - 1);
    d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

/// DESIGN targets for the added latency (ms) at p50 and p99, non-streaming and first event
/// ("the first event reaches the client within 0.2 ms of leaving the upstream").
const TARGET_ADDED: [Option<f64>; 2] = [Some(0.1), Some(0.3)];
const TARGET_FIRST: [Option<f64>; 2] = [Some(0.2), None];

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    // The benchmark drives its own runtimes; it runs on a plain thread outside the CLI's.
    let worker = std::thread::spawn(move || bench(&args));
    worker
        .join()
        .map_err(|_| anyhow::anyhow!("the benchmark thread panicked"))?
}

fn runtime(name: &str) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build()
}

#[expect(
    clippy::too_many_lines,
    reason = "the benchmark's script, step by step"
)]
fn bench(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let opts = Opts::from(args);
    let bin = std::env::current_exe()?;
    let load_before = first_line("/proc/loadavg", "");
    let (up_rt, rt) = (runtime("bench-upstream")?, runtime("bench-client")?);
    let upstream = Arc::new(upstream::Upstream {
        payloads: upstream::Payloads::new(opts.events),
        held: Mutex::new(Vec::new()),
        interval: opts.interval,
    });
    let up_addr = upstream::start(&up_rt, upstream.clone(), args.upstream_port.unwrap_or(0))?;
    let dir = tempfile::tempdir()?;
    let relay =
        load::start_relay(&bin, dir.path(), up_addr, args.pin).map_err(anyhow::Error::msg)?;
    if args.pin {
        // The relay has CPU 0; the upstream and the load generator take CPU 1.
        let me = std::process::id().to_string();
        let ok = std::process::Command::new("taskset")
            .args(["-a", "-p", "-c", "1", &me])
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            progress("--pin: taskset is not available here; running unpinned");
        }
    }
    let pid = relay.child.id();
    std::thread::sleep(Duration::from_millis(300));
    let rss_start = load::mem_mb(pid, "VmRSS:");

    let events = opts.events;
    let direct = Target::new(&format!("http://{up_addr}"), events, true);
    let through = Target::new(&relay.url, events, false);
    let client = load::new_client();
    let (c, sc) = (opts.concurrency, opts.stream_concurrency);
    // Runs `n` requests directly then through the relay; also the relay's CPU µs per request
    // (it is idle during the direct half).
    let closed = |kinds: &'static [Kind], n: usize, c: usize| {
        let cpu = load::cpu_secs(pid);
        let runs = [&direct, &through].map(|t| load::closed_loop(&rt, &client, t, kinds, n, c));
        #[expect(clippy::cast_precision_loss, reason = "a count")]
        let per = (load::cpu_secs(pid) - cpu) * 1e6 / n.max(1) as f64;
        (runs, per)
    };
    const CONVERTED: [Kind; 1] = [Kind::RespStream];

    let (warm, sw) = (opts.warmup, opts.warmup / 4);
    progress(&format!(
        "warming up: {warm} requests and {sw} streams each way…"
    ));
    let warm = [
        closed(&PLAIN, warm, c).0,
        closed(&STREAMS, sw, sc).0,
        closed(&CONVERTED, sw, sc).0,
    ];
    progress(&format!(
        "closed loop: {} requests, concurrency {c}…",
        opts.requests
    ));
    let (plain, plain_cpu) = closed(&PLAIN, opts.requests, c);
    progress(&format!(
        "streams: {} × {events} events, concurrency {sc}…",
        opts.stream_runs
    ));
    let (streams, streams_cpu) = closed(&STREAMS, opts.stream_runs, sc);
    progress(&format!(
        "converted streams (Responses → Anthropic): {} × {events} events…",
        opts.stream_runs
    ));
    let (converted, converted_cpu) = closed(&CONVERTED, opts.stream_runs, sc);
    let (rate, secs) = (opts.rate, opts.seconds);
    progress(&format!(
        "fixed rate: {rate} requests/s for {secs} s each way, alternating…"
    ));
    let cpu = load::cpu_secs(pid);
    let fixed = load::open_loop(&rt, &client, [&direct, &through], rate, secs, &PLAIN);
    #[expect(clippy::cast_precision_loss, reason = "a count")]
    let fixed_cpu = (load::cpu_secs(pid) - cpu) * 1e6 / (rate * secs).max(1) as f64;
    std::thread::sleep(Duration::from_millis(500));
    let rss_loaded = load::mem_mb(pid, "VmRSS:");

    // Each held stream costs the relay two sockets and this process two: stay within the limit.
    let limit = [load::fd_limit(&pid.to_string()), load::fd_limit("self")];
    let limit = limit.into_iter().flatten().min().unwrap_or(1024);
    let s = opts.streams.min(limit.saturating_sub(200) / 2);
    if s < opts.streams {
        progress(&format!(
            "open-file limit {limit}: holding {s} streams, not {}",
            opts.streams
        ));
    }
    // Two rounds: RSS that grows on the second is a leak, not the allocator keeping pages.
    progress(&format!("holding {s} streams, twice…"));
    let held = [1, 2].map(|_| load::hold_streams(&rt, &through, &upstream, pid, s));
    let version = format!("relay {}", env!("CARGO_PKG_VERSION"));
    drop(relay);

    // The same OpenAI-chat workload through another gateway configured to forward to this
    // upstream (see --upstream-port), measured against the same direct baseline.
    let compared = args.compare.as_ref().map(|url| {
        let mut other = Target::new(url, events, false);
        other.lenient = true;
        const CHAT: [Kind; 1] = [Kind::Chat];
        const CHAT_STREAM: [Kind; 1] = [Kind::ChatStream];
        progress(&format!(
            "comparing {url}: warm-up, closed loop, fixed rate, streams…"
        ));
        let _ =
            [&direct, &other].map(|t| load::closed_loop(&rt, &client, t, &CHAT, opts.warmup, c));
        let plain =
            [&direct, &other].map(|t| load::closed_loop(&rt, &client, t, &CHAT, opts.requests, c));
        let fixed = load::open_loop(&rt, &client, [&direct, &other], rate, secs, &CHAT);
        let streams = [&direct, &other]
            .map(|t| load::closed_loop(&rt, &client, t, &CHAT_STREAM, opts.stream_runs, sc));
        (url.clone(), plain, fixed, streams)
    });

    let mut errors = Vec::new();
    for h in &held {
        if h.arrived < s {
            errors.push(format!(
                "{} of {s} held streams had a first event in 60 s",
                h.arrived
            ));
        }
        if h.released != s {
            errors.push(format!("the upstream held {} of {s} streams", h.released));
        }
    }
    let runs = [&plain, &streams, &converted, &fixed];
    let all = warm.iter().chain(runs).flatten();
    let mut compare_errors = Vec::new();
    if let Some((url, p, f, st)) = &compared {
        for r in p.iter().chain(f).chain(st) {
            compare_errors.extend(r.errors.iter().take(5).map(|e| format!("{url}: {e}")));
        }
    }
    let all = all.chain(held.iter().map(|h| &h.run));
    errors.extend(all.flat_map(|r| r.errors.iter().cloned()));

    let mut t = Report::default();
    let name = format!("closed loop, {} req, conc {c}", opts.requests);
    t.latencies(&name, "latency", &plain, |o| o.total, [None, None]);
    t.push(
        &name,
        "throughput (req/s)",
        Some(plain[0].rate()),
        Some(plain[1].rate()),
    );
    t.push(&name, "relay CPU per request (µs)", None, Some(plain_cpu));
    let name = format!("fixed rate, {} req/s × {} s", opts.rate, opts.seconds);
    t.latencies(&name, "latency", &fixed, |o| o.total, TARGET_ADDED);
    t.push(
        &name,
        "achieved (req/s)",
        Some(fixed[0].rate()),
        Some(fixed[1].rate()),
    );
    t.push(&name, "relay CPU per request (µs)", None, Some(fixed_cpu));
    let name = format!("streams, {} × {events} events, conc {sc}", opts.stream_runs);
    t.latencies(
        &name,
        "first event, upstream to client",
        &streams,
        |o| o.transit_first,
        TARGET_FIRST,
    );
    t.latencies(
        &name,
        "slowest event, upstream to client",
        &streams,
        |o| o.transit_worst,
        [None, None],
    );
    t.latencies(&name, "first event", &streams, |o| o.first, [None, None]);
    t.latencies(&name, "last event", &streams, |o| o.last, [None, None]);
    t.push(
        &name,
        "frames per stream (mean)",
        Some(streams[0].mean_frames()),
        Some(streams[1].mean_frames()),
    );
    t.push(&name, "relay CPU per stream (µs)", None, Some(streams_cpu));
    let name = format!(
        "Responses → Anthropic, {} × {events} events",
        opts.stream_runs
    );
    t.latencies(
        &name,
        "first event, upstream to client",
        &converted,
        |o| o.transit_first,
        [None, None],
    );
    t.latencies(&name, "first event", &converted, |o| o.first, [None, None]);
    t.latencies(&name, "last event", &converted, |o| o.last, [None, None]);
    t.push(
        &name,
        "relay CPU per stream (µs)",
        None,
        Some(converted_cpu),
    );
    if let Some((url, p, f, st)) = &compared {
        let name = format!("compare {url}: chat, closed loop, conc {c}");
        t.latencies(&name, "latency", p, |o| o.total, [None, None]);
        t.push(
            &name,
            "throughput (req/s)",
            Some(p[0].rate()),
            Some(p[1].rate()),
        );
        let name = format!(
            "compare {url}: chat, {} req/s × {} s",
            opts.rate, opts.seconds
        );
        t.latencies(&name, "latency", f, |o| o.total, [None, None]);
        let name = format!(
            "compare {url}: chat streams, {} × {events} events",
            opts.stream_runs
        );
        t.latencies(&name, "first event", st, |o| o.first, [None, None]);
    }
    let [h1, h2] = &held;
    let name = "relay memory";
    t.push(name, "RSS idle after start (MB)", None, Some(rss_start));
    t.target(Some(30.0));
    t.push(
        name,
        "RSS idle after the runs above (MB)",
        None,
        Some(rss_loaded),
    );
    for (h, again) in [(h1, ""), (h2, ", again")] {
        t.push(
            name,
            &format!("RSS holding {} streams{again} (MB)", h.arrived),
            None,
            Some(h.rss),
        );
        t.target(Some(80.0));
        #[expect(clippy::cast_precision_loss, reason = "a count")]
        let per = (h.rss - rss_loaded) * 1024.0 / h.arrived.max(1) as f64;
        t.push(name, "memory per held stream (KB)", None, Some(per));
        t.push(name, "RSS after they closed (MB)", None, Some(h.rss_after));
    }
    #[expect(clippy::cast_precision_loss, reason = "counts")]
    {
        t.push(name, "open fds while holding", None, Some(h1.fds as f64));
        t.push(
            name,
            "open fds after they closed",
            None,
            Some(h2.fds_after as f64),
        );
        t.push(name, "threads while holding", None, Some(h1.threads as f64));
    }

    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let cpu = first_line("/proc/cpuinfo", "model name");
    let load_after = first_line("/proc/loadavg", "");
    let date = jiff::Timestamp::now()
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string();
    let out = if args.json {
        let v = serde_json::json!({
            "version": version,
            "date": date,
            "machine": {"cpus": cpus, "cpu": cpu, "load_before": load_before, "load_after": load_after},
            "pinned": args.pin,
            "quick": args.quick,
            "lines": t.lines,
            "failed_requests": errors.len(),
            "compare_errors": compare_errors,
            "errors": errors.iter().take(20).collect::<Vec<_>>(),
        });
        format!("{}\n", serde_json::to_string_pretty(&v)?)
    } else {
        let mut s = String::from("# relay benchmark\n\n");
        s.push_str(&format!(
            "- machine: {cpus} CPUs ({cpu}); load average before: {load_before}, after: {load_after}\n"
        ));
        s.push_str(&format!(
            "- {version}; {date}; open-file limit {limit}; warm-up discarded{}\n",
            if args.pin {
                "; relay pinned to CPU 0"
            } else {
                ""
            }
        ));
        s.push_str("- direct = client → fake upstream; relay = client → relay → fake upstream; added = relay − direct\n\n");
        s.push_str(&t.markdown());
        s.push_str(&format!("\nfailed requests: {}\n", errors.len()));
        if !compare_errors.is_empty() {
            s.push_str(&format!(
                "compared gateway errors (not counted above): {}\n",
                compare_errors.len()
            ));
        }
        s
    };
    crate::output::print(&out)?;
    for e in errors.iter().chain(&compare_errors).take(20) {
        progress(&format!("error: {e}"));
    }
    Ok(ExitCode::from(u8::from(!errors.is_empty())))
}

fn first_line(path: &str, prefix: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let line = text.lines().find(|l| l.starts_with(prefix)).unwrap_or("?");
    line.split_once(':')
        .map_or(line, |(_, v)| v)
        .trim()
        .to_owned()
}

//! Ledger benchmark: how fast the writer takes rows, and how fast `relay usage` and
//! `relay requests` answer on a ledger of a million requests (90 days, 5 keys, 4 accounts,
//! 8 models).
//!
//! ```text
//! cargo build --release --bin relay --example ledger_bench
//! target/release/examples/ledger_bench [--rows N] [--data DIR]
//! ```
//!
//! The reports are timed by running the release `relay` binary next to this example, as a user
//! would (process start, config load and SQLite open included).

// A measuring tool, not library code: it reports on stdout.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use relay_core::events::UsageEvent;
use relay_core::ledger::Ledger;
use relay_core::pricing::Pricing;
use relay_core::protocol::{Dialect, Usage};

const MODELS: [&str; 8] = [
    "claude-sonnet-4-5",
    "claude-opus-4-5",
    "claude-haiku-4-5",
    "gpt-5",
    "gpt-5-mini",
    "gpt-4.1",
    "gemini-2.5-pro",
    "local-model",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: u64 = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    // `--data DIR` keeps the generated ledger there (and reuses one already there).
    let data = args
        .iter()
        .position(|a| a == "--data")
        .and_then(|i| args.get(i + 1))
        .map_or_else(|| dir.path().join("data"), std::path::PathBuf::from);
    if !data.join(relay_core::ledger::FILE_NAME).exists() {
        generate(&data, rows);
    }
    report(dir.path(), &data);
}

fn generate(data: &Path, rows: u64) {
    let ledger = Ledger::open(data).unwrap();
    let pricing = Pricing::builtin();
    let now = SystemTime::now();
    let span = Duration::from_secs(90 * 86_400);
    let started = Instant::now();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..rows {
        let r = next();
        let model = MODELS[(r % 8) as usize];
        let usage = Usage {
            input: r % 5_000,
            output: (r >> 8) % 2_000,
            cache_read: (r >> 16) % 50_000,
            cache_write: (r >> 24) % 3_000,
            cache_write_1h: 0,
        };
        let status = if r % 50 == 0 { 429 } else { 200 };
        let mut e = UsageEvent {
            id: format!("req_{i:024x}"),
            time: now - span.mul_f64((rows - i) as f64 / rows as f64),
            key: Some(format!("key-{}", (r >> 32) % 5)),
            account: Some(format!("account-{}", (r >> 40) % 4)),
            platform: Some("anthropic"),
            inbound: Dialect::Anthropic,
            model: Some(model.into()),
            upstream_model: Some(model.into()),
            stream: r % 3 != 0,
            status,
            error: (status != 200).then_some("rate_limited"),
            attempts: 1,
            usage,
            cost: relay_core::pricing::Cost::default(),
            latency_ms: (r >> 48) % 30_000,
            ttft_ms: Some((r >> 52) % 3_000),
            client_disconnected: false,
        };
        e.cost = pricing.cost(model, &e.usage);
        ledger.close_row(Box::new(e));
    }
    assert!(ledger.close(Duration::from_secs(600)));
    let write = started.elapsed();
    let size = std::fs::metadata(data.join(relay_core::ledger::FILE_NAME))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "wrote {rows} rows through the ledger writer in {:.1} s ({:.0} rows/s); file {:.0} MB",
        write.as_secs_f64(),
        rows as f64 / write.as_secs_f64(),
        size as f64 / 1e6
    );
}

fn report(dir: &Path, data: &Path) {
    let relay = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("relay");
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, "").unwrap();
    println!("| command | best of 3 |");
    println!("|---|---:|");
    for cmd in [
        "usage --since 90d --by model",
        "usage --since 90d --by key",
        "usage --since 90d --by account",
        "usage --since 90d --by day",
        "usage --since 7d --by model",
        "requests --limit 20",
        "requests --key key-3 --status error --limit 20",
        "requests --model gpt-5 --limit 1000 --format json",
    ] {
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let out = Command::new(&relay)
                .arg("--config")
                .arg(&cfg)
                .arg("--data-dir")
                .arg(data)
                .args(cmd.split(' '))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            best = best.min(t.elapsed());
        }
        println!("| `relay {cmd}` | {:.0} ms |", best.as_secs_f64() * 1e3);
    }
}

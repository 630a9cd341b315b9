//! Counters and histograms of finished requests for `GET /metrics` (Prometheus text format).
//! Gauges (slots, cooldowns) are read from the pool when scraped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use crate::events::UsageEvent;

/// Latency histogram bounds in seconds.
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Labels of the request counter: dialect, status, error code, account.
type RequestLabels = (&'static str, u16, &'static str, String);

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<RequestLabels, u64>,
    /// Per model: tokens by kind (input, output, cache_read, cache_write) and micro-dollars.
    tokens: BTreeMap<String, [u64; 4]>,
    cost_micros: BTreeMap<String, u64>,
    /// Per dialect: bucket counts, sum of seconds, count.
    latency: BTreeMap<&'static str, ([u64; BUCKETS.len()], f64, u64)>,
    ttft: BTreeMap<&'static str, ([u64; BUCKETS.len()], f64, u64)>,
}

/// The metrics registry.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// Counts a finished request.
    pub fn observe(&self, e: &UsageEvent) {
        let Ok(mut m) = self.inner.lock() else {
            return;
        };
        let labels = (
            e.inbound.as_str(),
            e.status,
            e.error.unwrap_or(""),
            e.account.clone().unwrap_or_default(),
        );
        *m.requests.entry(labels).or_default() += 1;
        let model = e
            .upstream_model
            .clone()
            .or_else(|| e.model.clone())
            .unwrap_or_default();
        let u = &e.usage;
        if u.input + u.output + u.cache_read + u.cache_write > 0 {
            let t = m.tokens.entry(model.clone()).or_default();
            t[0] += u.input;
            t[1] += u.output;
            t[2] += u.cache_read;
            t[3] += u.cache_write;
        }
        if e.cost.micros > 0 {
            *m.cost_micros.entry(model).or_default() += e.cost.micros;
        }
        #[expect(clippy::cast_precision_loss, reason = "milliseconds to seconds")]
        let secs = e.latency_ms as f64 / 1e3;
        observe(m.latency.entry(e.inbound.as_str()).or_default(), secs);
        if let Some(t) = e.ttft_ms {
            #[expect(clippy::cast_precision_loss, reason = "milliseconds to seconds")]
            let secs = t as f64 / 1e3;
            observe(m.ttft.entry(e.inbound.as_str()).or_default(), secs);
        }
    }

    /// The counters in Prometheus text format (gauges are appended by the caller).
    pub fn render(&self, out: &mut String) {
        let Ok(m) = self.inner.lock() else {
            return;
        };
        out.push_str("# HELP relay_requests_total Client requests by dialect, status, error code and account.\n# TYPE relay_requests_total counter\n");
        for ((inbound, status, code, account), n) in &m.requests {
            let _ = writeln!(
                out,
                "relay_requests_total{{inbound=\"{inbound}\",status=\"{status}\",code=\"{code}\",account=\"{}\"}} {n}",
                escape(account)
            );
        }
        out.push_str("# HELP relay_tokens_total Tokens by model and kind (Anthropic convention: input excludes cache).\n# TYPE relay_tokens_total counter\n");
        for (model, t) in &m.tokens {
            for (kind, n) in ["input", "output", "cache_read", "cache_write"]
                .iter()
                .zip(t)
            {
                let _ = writeln!(
                    out,
                    "relay_tokens_total{{model=\"{}\",kind=\"{kind}\"}} {n}",
                    escape(model)
                );
            }
        }
        out.push_str("# HELP relay_cost_usd_total Cost by upstream model in US dollars.\n# TYPE relay_cost_usd_total counter\n");
        for (model, micros) in &m.cost_micros {
            let _ = writeln!(
                out,
                "relay_cost_usd_total{{model=\"{}\"}} {}.{:06}",
                escape(model),
                micros / 1_000_000,
                micros % 1_000_000
            );
        }
        for (name, help, map) in [
            (
                "relay_request_duration_seconds",
                "Time until the response ended.",
                &m.latency,
            ),
            (
                "relay_time_to_first_byte_seconds",
                "Time until the first byte of the answer.",
                &m.ttft,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
            for (inbound, (buckets, sum, count)) in map {
                let mut cumulative = 0;
                for (le, n) in BUCKETS.iter().zip(buckets) {
                    cumulative += n;
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{inbound=\"{inbound}\",le=\"{le}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "{name}_bucket{{inbound=\"{inbound}\",le=\"+Inf\"}} {count}"
                );
                let _ = writeln!(out, "{name}_sum{{inbound=\"{inbound}\"}} {sum}");
                let _ = writeln!(out, "{name}_count{{inbound=\"{inbound}\"}} {count}");
            }
        }
    }
}

fn observe(h: &mut ([u64; BUCKETS.len()], f64, u64), secs: f64) {
    if let Some(i) = BUCKETS.iter().position(|le| secs <= *le)
        && let Some(b) = h.0.get_mut(i)
    {
        *b += 1;
    }
    h.1 += secs;
    h.2 += 1;
}

/// A label value escaped for the text format.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

//! `relay demo`: a relay on simulated (`mock`) accounts plus a little traffic in every dialect,
//! streaming and not, including rate limits and failures, so that every part of the relay
//! shows something within a minute, with no credentials and no network.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::config::{AccountConfig, Config, ModelPattern, Platform};

/// The demo's configuration: three mock accounts, no keys (loopback only).
pub fn config() -> Config {
    let mut c = Config::default();
    let mut fast = AccountConfig::new("mock-claude-a", Platform::Mock);
    fast.models = patterns(&["claude-*"]);
    fast.priority = 10;
    fast.mock.chunk_delay = Duration::from_millis(40);
    fast.mock.latency = Duration::from_millis(120);
    let mut flaky = AccountConfig::new("mock-claude-b", Platform::Mock);
    flaky.models = patterns(&["claude-*"]);
    flaky.priority = 20;
    flaky.mock.chunk_delay = Duration::from_millis(60);
    flaky.mock.latency = Duration::from_millis(250);
    flaky.mock.rate_limit_every = 4;
    let mut gpt = AccountConfig::new("mock-gpt", Platform::Mock);
    gpt.models = patterns(&["gpt-*", "o*"]);
    gpt.mock.chunk_delay = Duration::from_millis(30);
    gpt.mock.latency = Duration::from_millis(80);
    gpt.mock.fail_rate = 0.1;
    c.accounts = vec![fast, flaky, gpt];
    c.keys = DEMO_KEYS
        .iter()
        .map(|(name, secret, daily)| crate::config::KeyConfig {
            name: (*name).to_owned(),
            hash: crate::keys::hash(secret),
            group: crate::config::DEFAULT_GROUP_NAME.to_owned(),
            concurrency: 5,
            daily_usd: *daily,
            monthly_usd: None,
            models: Vec::new(),
        })
        .collect();
    c
}

/// The demo's client keys: (name, secret, daily budget). The secrets are fixed and public:
/// the demo serves simulated accounts on loopback only. `demo-app` has a tiny budget so the
/// dashboard shows one filling up and then refusing.
pub const DEMO_KEYS: &[(&str, &str, Option<f64>)] = &[
    (
        "demo-app",
        "rk-demo-app-0000000000000000000000000000000000",
        Some(0.002),
    ),
    (
        "demo-ci",
        "rk-demo-ci-00000000000000000000000000000000000",
        None,
    ),
    ("you", "rk-demo-try-it", None),
];

fn patterns(p: &[&str]) -> Vec<ModelPattern> {
    p.iter()
        .filter_map(|s| ModelPattern::new(*s).ok())
        .collect()
}

/// One scripted demo request.
struct Call {
    path: &'static str,
    body: &'static str,
}

const CALLS: &[Call] = &[
    Call {
        path: "/v1/messages",
        body: r#"{"model":"claude-sonnet-4-5","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"Say hello"}]}"#,
    },
    Call {
        path: "/v1/chat/completions",
        body: r#"{"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"Say hello"}]}"#,
    },
    Call {
        path: "/v1/responses",
        body: r#"{"model":"gpt-5","stream":true,"input":"Say hello"}"#,
    },
    Call {
        path: "/v1/messages",
        body: r#"{"model":"claude-haiku-4-5","max_tokens":64,"messages":[{"role":"user","content":"Count to three"}]}"#,
    },
    Call {
        path: "/v1/chat/completions",
        body: r#"{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"Count to three"}]}"#,
    },
    Call {
        path: "/v1/responses",
        body: r#"{"model":"o4-mini","input":"Count to three"}"#,
    },
];

/// Sends the scripted calls to `base` (e.g. `http://127.0.0.1:8787`) round after round, a few
/// at a time, until the future is dropped.
pub async fn drive(base: String, pause: Duration) {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let mut round = 0usize;
    loop {
        let mut tasks = Vec::new();
        for i in 0..2 {
            let call = &CALLS[(round * 2 + i) % CALLS.len()];
            let (_, secret, _) = DEMO_KEYS[(round + i) % 2];
            let client = client.clone();
            let url = format!("{base}{}", call.path);
            tasks.push(tokio::spawn(async move {
                let req = http::Request::post(url)
                    .header("content-type", "application/json")
                    .header("user-agent", "relay-demo")
                    .header("authorization", format!("Bearer {secret}"))
                    .body(Full::new(Bytes::from_static(call.body.as_bytes())));
                if let Ok(req) = req
                    && let Ok(resp) = client.request(req).await
                {
                    let _ = resp.into_body().collect().await;
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        round += 1;
        tokio::time::sleep(pause).await;
    }
}

//! Shared test support: the fake upstream, a relay started in-process on a loopback listener
//! the test binds, and a small HTTP client that keeps per-frame arrival times.
#![allow(dead_code)]

pub mod connect_proxy;
pub mod fake_oauth;
pub mod fake_upstream;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use relay_core::events::{Event, UsageEvent};
use relay_core::gateway::Gateway;
use tokio::sync::{broadcast, oneshot};

/// Whether `UPDATE_GOLDEN` (set, not empty, not `0`) asks snapshot tests to rewrite their
/// expected files instead of comparing.
pub fn update_golden() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A relay running inside the test process.
pub struct Relay {
    pub url: String,
    pub gateway: Gateway,
    pub addr: std::net::SocketAddr,
    pub events: broadcast::Receiver<Event>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Relay {
    /// Starts a relay from TOML config text (`{upstream}` is replaced by `upstream`) with the
    /// given environment (secrets); listens on 127.0.0.1:0.
    pub async fn start(toml: &str, upstream: &str, env: &[(&str, &str)]) -> Relay {
        let text = toml.replace("{upstream}", upstream);
        let config = relay_core::config::parse(&text, None)
            .unwrap_or_else(|e| panic!("test config invalid: {e}"));
        Self::start_config(config, env).await
    }

    /// [`start`](Self::start) with a usage ledger in `data_dir`.
    pub async fn start_with_ledger(
        toml: &str,
        upstream: &str,
        env: &[(&str, &str)],
        data_dir: &std::path::Path,
    ) -> Relay {
        let text = toml.replace("{upstream}", upstream);
        let config = relay_core::config::parse(&text, None)
            .unwrap_or_else(|e| panic!("test config invalid: {e}"));
        let ledger = relay_core::ledger::Ledger::open(data_dir).unwrap();
        let options = relay_core::gateway::Options {
            ledger: Some(ledger),
            ..Default::default()
        };
        Self::start_gateway(config, env, options).await
    }

    /// [`start`](Self::start) with gateway options (admin token, ledger ...).
    pub async fn start_with(
        toml: &str,
        upstream: &str,
        env: &[(&str, &str)],
        options: relay_core::gateway::Options,
    ) -> Relay {
        let text = toml.replace("{upstream}", upstream);
        let config = relay_core::config::parse(&text, None)
            .unwrap_or_else(|e| panic!("test config invalid: {e}"));
        Self::start_gateway(config, env, options).await
    }

    /// Starts a relay from a parsed config.
    pub async fn start_config(config: relay_core::config::Config, env: &[(&str, &str)]) -> Relay {
        Self::start_gateway(config, env, Default::default()).await
    }

    async fn start_gateway(
        mut config: relay_core::config::Config,
        env: &[(&str, &str)],
        options: relay_core::gateway::Options,
    ) -> Relay {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        config.server.listen = addr;
        // Tests never touch the real OS keyring.
        let mut options = options;
        options
            .secrets
            .get_or_insert_with(|| std::sync::Arc::new(relay_core::secrets::Store::memory()));
        let gateway =
            Gateway::build(config, &env, options).unwrap_or_else(|e| panic!("gateway: {e}"));
        let events = gateway.bus().subscribe();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(relay_core::server::serve(
            gateway.clone(),
            listener,
            async {
                let _ = rx.await;
            },
        ));
        Relay {
            url: format!("http://{addr}"),
            gateway,
            addr,
            events,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Asks the relay to shut down and waits until it has.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    /// Sends the shutdown signal without waiting.
    pub fn signal_stop(&mut self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.take().unwrap()
    }

    /// The next finished request (waits up to 5 s).
    pub async fn finished(&mut self) -> UsageEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Ok(Event::RequestFinished(e))) => return *e,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("event bus: {e}"),
                Err(_) => panic!("no request finished within 5 s"),
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// `n` Anthropic accounts `a0`..`a{n-1}` on the fake upstream (secrets `secret-0`...), each
/// with `extra` appended to its table, plus the test key.
pub fn anthropic_accounts(n: usize, extra: &str) -> String {
    let extras: Vec<String> = (0..n).map(|_| extra.to_owned()).collect();
    accounts_with(&extras)
}

/// Anthropic accounts `a0`... with one extra config snippet each, plus the test key.
pub fn accounts_with(extras: &[String]) -> String {
    let mut s = String::new();
    for (i, extra) in extras.iter().enumerate() {
        s.push_str(&format!(
            "[[accounts]]\nname = \"a{i}\"\nplatform = \"anthropic\"\nsecret = \"env:SECRET_{i}\"\nbase_url = \"{{upstream}}\"\n{extra}\n"
        ));
    }
    s.push_str(&key_block());
    s
}

/// Secrets for [`anthropic_accounts`].
pub fn account_secrets(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("SECRET_{i}"), format!("secret-{i}")))
        .collect()
}

/// Borrowed form of [`account_secrets`] for [`Relay::start`].
pub fn env_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter()
        .map(|(k, val)| (k.as_str(), val.as_str()))
        .collect()
}

/// Which account (`a0`...) served each recorded request, from its `x-api-key`.
pub fn served_by(fake: &fake_upstream::FakeUpstream) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| {
            r.header("x-api-key")
                .unwrap_or_default()
                .replace("secret-", "a")
        })
        .collect()
}

/// A response as the test client saw it.
pub struct Got {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    /// Each data frame with its arrival time since the request was sent.
    pub frames: Vec<(Duration, Bytes)>,
    /// The body ended with an error (connection cut).
    pub body_error: bool,
}

impl Got {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// `data:` payloads of the SSE body, in order.
    pub fn sse_data(&self) -> Vec<String> {
        self.text()
            .lines()
            .filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
            .map(str::to_owned)
            .collect()
    }
    /// `event:` names of the SSE body, in order.
    pub fn sse_events(&self) -> Vec<String> {
        self.text()
            .lines()
            .filter_map(|l| l.strip_prefix("event: "))
            .map(str::to_owned)
            .collect()
    }
}

pub fn client() -> Client<HttpConnector, Full<Bytes>> {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(http)
}

/// Sends a request and reads the whole response, timing each frame.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Got {
    let mut b = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b.body(Full::new(body.into())).unwrap();
    let started = Instant::now();
    let resp = client()
        .request(req)
        .await
        .unwrap_or_else(|e| panic!("request to {url} failed: {e}"));
    let (parts, mut body) = resp.into_parts();
    let mut frames = Vec::new();
    let mut all = Vec::new();
    let mut body_error = false;
    loop {
        match body.frame().await {
            None => break,
            Some(Err(_)) => {
                body_error = true;
                break;
            }
            Some(Ok(f)) => {
                if let Ok(d) = f.into_data() {
                    all.extend_from_slice(&d);
                    frames.push((started.elapsed(), d));
                }
            }
        }
    }
    Got {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: Bytes::from(all),
        frames,
        body_error,
    }
}

/// POST JSON with the relay key `key` in `x-api-key` (or none).
pub async fn post(url: &str, key: Option<&str>, body: &str) -> Got {
    let mut h = vec![("content-type", "application/json")];
    let auth;
    if let Some(k) = key {
        auth = format!("Bearer {k}");
        h.push(("authorization", auth.as_str()));
    }
    send("POST", url, &h, body.to_owned()).await
}

/// A test client key and its config line.
pub const KEY: &str = "rk-test-key-0000000000000000000000000000000000000";

/// `[[keys]]` block for [`KEY`].
pub fn key_block() -> String {
    format!(
        "[[keys]]\nname = \"test\"\nhash = \"{}\"\n",
        relay_core::keys::hash(KEY)
    )
}

/// Config with one Anthropic and one OpenAI account on the fake upstream, plus the test key.
pub fn two_accounts() -> String {
    format!(
        r#"
[[accounts]]
name = "claude"
platform = "anthropic"
secret = "env:UP_ANTHROPIC"
base_url = "{{upstream}}"

[[accounts]]
name = "gpt"
platform = "openai"
secret = "env:UP_OPENAI"
base_url = "{{upstream}}/v1"

{}
"#,
        key_block()
    )
}

/// Secrets for [`two_accounts`].
pub const SECRETS: &[(&str, &str)] = &[
    ("UP_ANTHROPIC", "sk-ant-upstream-canary"),
    ("UP_OPENAI", "sk-openai-upstream-canary"),
];

/// The `relay` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_relay");

/// A `relay serve` child process started by [`serve_binary`]; killed when dropped.
pub struct Served {
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT` from its ready line.
    pub url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `relay --config CFG --data-dir DATA serve` (on `--listen 127.0.0.1:0` unless the
/// config sets the address, when `listen` is false) with `env`, and waits for its ready line.
pub fn serve_binary(
    cfg: &std::path::Path,
    data: &std::path::Path,
    env: &[(&str, &str)],
    listen: bool,
) -> Served {
    use std::io::{BufRead, BufReader};
    let mut cmd = std::process::Command::new(BIN);
    // Tests never touch the real OS keyring.
    cmd.env("RELAY_SECRET_STORE", "file")
        .envs(env.iter().copied())
        .arg("--config")
        .arg(cfg)
        .arg("--data-dir")
        .arg(data)
        .arg("serve");
    if listen {
        cmd.args(["--listen", "127.0.0.1:0"]);
    }
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("no ready line");
        if let Some(u) = line.strip_prefix("relay listening on ") {
            break u.to_owned();
        }
    };
    Served { child, url }
}

//! The dashboard's connection to a relay's admin API: follows `GET /relay/v1/events` (a
//! snapshot, then live events), reconnecting with backoff whenever the relay goes away, and
//! sends operator actions.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use relay_core::http::sse;
use relay_core::server::admin::wire::{Snapshot, WireEvent};
use tokio::sync::mpsc;

use crate::app::{Action, Msg};

/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A handle on the relay's admin API.
#[derive(Clone, Debug)]
pub struct Remote {
    base: String,
    token: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Remote {
    /// The relay at `base` (`http://127.0.0.1:8787`), with its admin token.
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// The relay's address.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: &str, path: &str) -> Result<http::Request<Full<Bytes>>, String> {
        http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())
    }

    /// The relay's status snapshot.
    pub async fn status(&self) -> Result<Snapshot, String> {
        let req = self.request("GET", "/relay/v1/status")?;
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| format!("cannot connect to {}: {}", self.base, root_cause(&e)))?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        if !status.is_success() {
            return Err(format!("{} answered {status}", self.base));
        }
        serde_json::from_slice(&body).map_err(|e| format!("unreadable status: {e}"))
    }

    /// Sends an operator action; returns the line to show.
    pub async fn act(&self, action: &Action) -> String {
        let req = match self.request("POST", &action.path()) {
            Ok(r) => r,
            Err(e) => return e,
        };
        match self.client.request(req).await {
            Ok(resp) => {
                let status = resp.status();
                let body = resp
                    .into_body()
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                if status.is_success() {
                    format!(
                        "{}: {}",
                        v["account"].as_str().unwrap_or("?"),
                        v["state"].as_str().unwrap_or("?")
                    )
                } else {
                    format!(
                        "refused ({status}): {}",
                        v["error"]["message"].as_str().unwrap_or("")
                    )
                }
            }
            Err(e) => format!("the relay did not answer: {e}"),
        }
    }

    /// Follows the event stream until `tx` closes, reconnecting as needed.
    pub async fn follow(self, tx: mpsc::Sender<Msg>) {
        let mut attempt = 0u32;
        loop {
            let reason = match self.stream_once(&tx, &mut attempt).await {
                Ok(()) => "the relay closed the stream".to_owned(),
                Err(e) => e,
            };
            if tx.is_closed() {
                return;
            }
            attempt += 1;
            if tx
                .send(Msg::Disconnected { reason, attempt })
                .await
                .is_err()
            {
                return;
            }
            let backoff = Duration::from_millis(250 * u64::from(attempt.min(20))).min(MAX_BACKOFF);
            tokio::time::sleep(backoff).await;
        }
    }

    async fn stream_once(&self, tx: &mpsc::Sender<Msg>, attempt: &mut u32) -> Result<(), String> {
        let req = self.request("GET", "/relay/v1/events")?;
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| format!("cannot connect: {}", root_cause(&e)))?;
        match resp.status().as_u16() {
            200 => {}
            401 => {
                return Err("the admin token was refused (is this the relay's data dir?)".into());
            }
            s => return Err(format!("the relay answered {s}")),
        }
        let mut body = resp.into_body();
        let mut decoder = sse::Decoder::new(16 << 20);
        let mut events = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("connection lost: {e}"))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            decoder
                .push(&data, &mut events)
                .map_err(|e| e.to_string())?;
            for ev in events.drain(..) {
                let msg = match ev.event.as_deref() {
                    Some("snapshot") => match serde_json::from_str::<Snapshot>(&ev.data) {
                        Ok(s) => {
                            *attempt = 0;
                            Msg::Snapshot(Box::new(s))
                        }
                        Err(e) => return Err(format!("unreadable snapshot: {e}")),
                    },
                    Some(_) => match serde_json::from_str::<WireEvent>(&ev.data) {
                        Ok(w) => Msg::Event(Box::new(w)),
                        // An event from a newer relay: skip it.
                        Err(_) => continue,
                    },
                    None => continue,
                };
                if tx.send(msg).await.is_err() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

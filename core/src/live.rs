//! The requests in flight right now (model, dialect, account, since when), for the status API
//! and the dashboard. Updated by the pipeline as a request is accepted, served and finished.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One request in flight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveRequest {
    /// Request id.
    pub id: String,
    /// Requested model.
    pub model: Option<String>,
    /// Client dialect.
    pub inbound: String,
    /// Client key.
    pub key: Option<String>,
    /// The account serving it (the latest attempt's), once chosen.
    pub account: Option<String>,
    /// Whether the client asked for a stream.
    pub stream: bool,
    /// When it was accepted (Unix ms).
    pub started_ms: i64,
}

/// The registry.
#[derive(Debug, Default)]
pub struct Live {
    requests: Mutex<HashMap<String, LiveRequest>>,
}

impl Live {
    /// A request was accepted.
    pub fn start(&self, r: LiveRequest) {
        if let Ok(mut m) = self.requests.lock() {
            m.insert(r.id.clone(), r);
        }
    }

    /// A request is now served by `account`.
    pub fn served_by(&self, id: &str, account: &str) {
        if let Ok(mut m) = self.requests.lock()
            && let Some(r) = m.get_mut(id)
        {
            r.account = Some(account.to_owned());
        }
    }

    /// A request ended.
    pub fn end(&self, id: &str) {
        if let Ok(mut m) = self.requests.lock() {
            m.remove(id);
        }
    }

    /// Everything in flight, oldest first.
    pub fn snapshot(&self) -> Vec<LiveRequest> {
        let mut v: Vec<LiveRequest> = self
            .requests
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.started_ms.cmp(&b.started_ms).then(a.id.cmp(&b.id)));
        v
    }
}

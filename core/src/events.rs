//! Typed pipeline events and the bus that carries them: every finished request becomes one
//! [`UsageEvent`]; the ledger, the dashboard and metrics all read from here.

use std::time::SystemTime;

use tokio::sync::broadcast;

use crate::protocol::{Dialect, Usage};

/// Everything the ledger records about one client request.
#[derive(Clone, Debug)]
pub struct UsageEvent {
    /// Request id (`x-relay-request-id`).
    pub id: String,
    /// When the request arrived.
    pub time: SystemTime,
    /// Client key name (`None` in keyless loopback mode).
    pub key: Option<String>,
    /// The account that served the request, if any was reached.
    pub account: Option<String>,
    /// That account's platform.
    pub platform: Option<&'static str>,
    /// The dialect the client spoke.
    pub inbound: Dialect,
    /// The model the client asked for.
    pub model: Option<String>,
    /// The model sent upstream (after mapping).
    pub upstream_model: Option<String>,
    /// Whether the client asked for a stream.
    pub stream: bool,
    /// HTTP status the client got.
    pub status: u16,
    /// Stable snake_case error code, `None` on success.
    pub error: Option<&'static str>,
    /// Upstream attempts made.
    pub attempts: u32,
    /// Token usage reported by the upstream.
    pub usage: Usage,
    /// Total time until the response ended, in milliseconds.
    pub latency_ms: u64,
    /// Time until the first byte of the answer, in milliseconds.
    pub ttft_ms: Option<u64>,
    /// The client went away before the response ended.
    pub client_disconnected: bool,
}

/// A pipeline event.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A request was accepted and is being served.
    RequestStarted {
        /// Request id.
        id: String,
        /// Requested model.
        model: Option<String>,
        /// Client dialect.
        inbound: Dialect,
    },
    /// A request ended (exactly once per request).
    RequestFinished(Box<UsageEvent>),
}

/// Broadcast bus for [`Event`]s. Lossy for slow subscribers (they see `Lagged` and resync).
#[derive(Clone, Debug)]
pub struct Bus {
    tx: broadcast::Sender<Event>,
}

impl Bus {
    /// A bus that buffers up to `capacity` events per subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Self { tx }
    }

    /// Publishes an event (a no-op without subscribers).
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    /// A new subscription, seeing events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

impl Default for Bus {
    fn default() -> Self {
        Self::new(4096)
    }
}

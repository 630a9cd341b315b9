//! Typed pipeline events and the bus that carries them: every finished request becomes one
//! [`UsageEvent`]; the ledger, the dashboard and metrics all read from here.

use std::sync::Arc;
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
    /// What the request cost (priced by the upstream model actually served).
    pub cost: crate::pricing::Cost,
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
    /// Running spend and traffic totals (published about once a second while they change).
    Totals(Arc<crate::ledger::totals::TotalsSnapshot>),
    /// A request found no free slot and queues for one.
    SlotWait {
        /// Request id.
        id: String,
        /// Whose slot: a key or an account.
        scope: SlotScope,
        /// The key or account name.
        name: String,
    },
    /// A request obtained a slot.
    SlotAcquired {
        /// Request id.
        id: String,
        /// Whose slot.
        scope: SlotScope,
        /// The key or account name.
        name: String,
        /// Time spent waiting, in milliseconds.
        waited_ms: u64,
    },
    /// An account was chosen for an attempt.
    AccountSelected {
        /// Request id.
        id: String,
        /// The account.
        account: String,
        /// Chosen because the session is bound to it.
        sticky: bool,
        /// 1 for the first attempt.
        attempt: u32,
        /// The dialect the account is spoken to in (the client's, unless converted).
        upstream: Dialect,
    },
    /// An attempt failed and the request moves to another account.
    Failover {
        /// Request id.
        id: String,
        /// The account that failed.
        from: String,
        /// Upstream status, when there was one.
        status: Option<u16>,
        /// Stable reason code (`rate_limited`, `overloaded`, `auth_error`, `upstream_error`,
        /// `connect_failed`, `timeout`, `stream_error`).
        reason: &'static str,
    },
    /// An account was put in cooldown.
    CooldownSet {
        /// The account.
        account: String,
        /// Until when.
        until: SystemTime,
        /// Why (`rate_limited`, `overloaded`, `faulty`).
        reason: &'static str,
    },
    /// An account's cooldown or credential error was cleared.
    CooldownCleared {
        /// The account.
        account: String,
    },
    /// An account's OAuth access token was refreshed (or taken over from its official CLI).
    TokenRefreshed {
        /// The account.
        account: String,
    },
    /// An account changed state (e.g. to `auth_error`, `paused`).
    AccountStateChanged {
        /// The account.
        account: String,
        /// The new state name.
        state: &'static str,
    },
}

/// Whose concurrency slot an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotScope {
    /// A client key's slot.
    Key,
    /// An upstream account's slot.
    Account,
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

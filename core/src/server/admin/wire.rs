//! What the admin API sends: the status snapshot and the live events, as JSON. The dashboard
//! reads these same types back, so the two ends cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::live::LiveRequest;

/// Slots of an account or a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slots {
    /// Held.
    pub in_use: u32,
    /// The limit.
    pub max: u32,
    /// Queued.
    pub waiting: u32,
}

/// One account in the snapshot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountStatus {
    /// Name.
    pub name: String,
    /// Platform.
    pub platform: String,
    /// `active`, `cooling`, `paused`, `auth_error` or `disabled`.
    pub state: String,
    /// RFC 3339, while cooling.
    pub cooldown_until: Option<String>,
    /// The same as Unix milliseconds.
    pub cooldown_until_ms: Option<i64>,
    /// Why it is cooling.
    pub cooldown_reason: Option<String>,
    /// Slots.
    pub slots: Slots,
    /// Requests served today.
    pub requests_today: u64,
    /// Of those, errors.
    pub errors_today: u64,
    /// Spend today.
    pub cost_today_usd: f64,
    /// The last upstream error seen.
    pub last_error: Option<String>,
    /// Priority (lower is preferred).
    pub priority: u32,
}

/// One client key in the snapshot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyStatus {
    /// Name (`-` for keyless requests).
    pub name: String,
    /// Slots (all zero for keyless).
    pub slots: Slots,
    /// Spend today.
    pub cost_today_usd: f64,
    /// Spend this month.
    pub cost_month_usd: f64,
    /// Requests today.
    pub requests_today: u64,
    /// The daily budget, if any.
    pub daily_usd: Option<f64>,
    /// The monthly budget, if any.
    pub monthly_usd: Option<f64>,
}

/// Relay-wide totals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// The calendar day (`YYYY-MM-DD`, ledger time zone).
    pub day: String,
    /// Requests today.
    pub requests_today: u64,
    /// Errors today.
    pub errors_today: u64,
    /// Spend today.
    pub cost_today_usd: f64,
    /// Spend this month.
    pub cost_month_usd: f64,
    /// Tokens of requests that ended in the last minute.
    pub tokens_per_minute: u64,
    /// Requests that ended in the last minute.
    pub requests_per_minute: u64,
}

/// `GET /relay/v1/status`, and the first event of `GET /relay/v1/events`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The relay's version.
    pub version: String,
    /// Where it listens.
    pub listen: String,
    /// When the snapshot was taken (Unix ms).
    pub time_ms: i64,
    /// Accounts, in config order.
    pub accounts: Vec<AccountStatus>,
    /// Client keys, in config order.
    pub keys: Vec<KeyStatus>,
    /// Requests in flight, oldest first.
    pub in_flight: Vec<LiveRequest>,
    /// Totals.
    pub totals: Totals,
}

/// A live event (`GET /relay/v1/events` after the snapshot). The SSE event name is `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WireEvent {
    /// A request was accepted.
    RequestStarted {
        /// Request id.
        id: String,
        /// Requested model.
        model: Option<String>,
        /// Client dialect.
        inbound: String,
        /// Unix ms.
        time_ms: i64,
    },
    /// An account was chosen for an attempt.
    AccountSelected {
        /// Request id.
        id: String,
        /// Account.
        account: String,
        /// Because the session is bound to it.
        sticky: bool,
        /// 1 for the first attempt.
        attempt: u32,
        /// The dialect the account is spoken to in.
        #[serde(default)]
        upstream: String,
    },
    /// A request ended.
    RequestFinished {
        /// Request id.
        id: String,
        /// Client key.
        key: Option<String>,
        /// Account that served.
        account: Option<String>,
        /// Client dialect.
        inbound: String,
        /// Requested model.
        model: Option<String>,
        /// HTTP status the client got.
        status: u16,
        /// Error code.
        error: Option<String>,
        /// Uncached input tokens.
        input_tokens: u64,
        /// Output tokens.
        output_tokens: u64,
        /// Cache reads.
        cache_read_tokens: u64,
        /// Cache writes.
        cache_creation_tokens: u64,
        /// Cost in US dollars.
        cost_usd: f64,
        /// Milliseconds until the end.
        latency_ms: u64,
        /// The client hung up.
        client_disconnected: bool,
        /// Unix ms when it ended.
        time_ms: i64,
    },
    /// A request queued for a slot.
    SlotWait {
        /// Request id.
        id: String,
        /// `key` or `account`.
        scope: String,
        /// Whose.
        name: String,
    },
    /// A failed attempt moved a request on.
    Failover {
        /// Request id.
        id: String,
        /// The account that failed.
        from: String,
        /// Upstream status.
        status: Option<u16>,
        /// Reason code.
        reason: String,
        /// Unix ms.
        time_ms: i64,
    },
    /// An account was put in cooldown.
    CooldownSet {
        /// Account.
        account: String,
        /// Until (Unix ms).
        until_ms: i64,
        /// Why.
        reason: String,
        /// When it was set (Unix ms).
        time_ms: i64,
    },
    /// An account's cooldown was cleared.
    CooldownCleared {
        /// Account.
        account: String,
    },
    /// An account's OAuth token was refreshed.
    TokenRefreshed {
        /// Account.
        account: String,
        /// When (Unix ms).
        time_ms: i64,
    },
    /// An account changed state.
    AccountState {
        /// Account.
        account: String,
        /// New state.
        state: String,
    },
    /// Running totals (about once a second while they change).
    Totals {
        /// Relay-wide.
        totals: Totals,
        /// Per key.
        keys: Vec<KeyStatus>,
        /// Per account: (name, requests today, errors today, spend today).
        accounts: Vec<(String, u64, u64, f64)>,
    },
}

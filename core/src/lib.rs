//! relay-core: the gateway behind the `relay` binary, everything that is not UI.
//!
//! Every request walks one linear pipeline:
//!
//! ```text
//! client ─► server::router ─► Host/Origin check ─► auth (client key) ─► envelope (bounded body)
//!        ─► pool::route (group ▸ model map ▸ eligible accounts) ─► upstream adapter ─► send
//!        ─► response / stream relay in the client's dialect (usage tap, model restore)
//!        ─► UsageEvent on the events::Bus (ledger, dashboard, metrics read it)
//! ```
//!
//! Pure modules (`protocol`, `http::sse`, `config` parsing, `pool` routing) do no I/O and take
//! the current time as an argument where they need it; `pipeline` is where they meet sockets.

pub mod config;
pub mod demo;
pub mod error;
pub mod events;
pub mod failover;
pub mod gateway;
pub mod http;
pub mod ids;
pub mod keys;
pub mod ledger;
pub mod live;
pub mod metrics;
pub mod oauth;
pub mod paths;
pub mod pipeline;
pub mod pool;
pub mod pricing;
pub mod protocol;
pub mod scheduler;
pub mod secrets;
pub mod server;
pub mod slots;
pub mod upstream;

pub use error::Error;
pub use gateway::Gateway;

//! The client-facing HTTP server: accepting connections, routing, Host/Origin checks, client
//! auth, and error responses in each client's dialect.

pub mod admin;
pub mod auth;
pub mod listener;
pub mod respond;
pub mod router;

pub use listener::serve;

//! Integration tests: the relay in-process against a fake upstream that speaks the real wire
//! formats, the `relay` binary itself, and the official Python SDKs as clients.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod support;

mod accounts;
mod admin;
mod cli;
mod convert;
mod dash;
mod errors;
mod failover;
mod generated;
mod golden;
mod ledger;
mod mock;
mod oauth;
mod passthrough;
mod resilience;
mod sdk;
mod shutdown;
mod slots;
mod sticky;
mod streaming;

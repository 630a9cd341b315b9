//! relay-tui: the relay's terminal dashboard. `app` holds pure state updated from pipeline
//! events; `ui` draws it with ratatui. (The live terminal loop arrives with `relay dash`.)

pub mod app;
pub mod ui;

pub use app::App;

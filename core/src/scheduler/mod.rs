//! The scheduler: which account serves a request. `session` derives the sticky-session key
//! (pure), `sticky` holds session → account bindings and response pins (a mutex-guarded table,
//! clock-free), `select` ranks the eligible candidates (pure).

pub mod select;
pub mod session;
pub mod sticky;

pub use select::{CandidateView, Choice, has_free_slot, rank};
pub use session::{SessionKey, session_key};
pub use sticky::Sticky;

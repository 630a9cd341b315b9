//! Dashboard state: totals and the most recent requests, updated from pipeline events. Pure.

use std::collections::VecDeque;

use relay_core::events::{Event, UsageEvent};

/// How many finished requests the dashboard remembers.
pub const RECENT: usize = 200;

/// The dashboard's state.
#[derive(Debug, Default)]
pub struct App {
    /// Requests finished since start.
    pub requests: u64,
    /// Of those, how many ended in an error.
    pub errors: u64,
    /// Requests started and not yet finished.
    pub in_flight: u64,
    /// Input tokens (uncached + cache read + cache write).
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Most recent finished requests, newest first.
    pub recent: VecDeque<UsageEvent>,
}

impl App {
    /// Applies one pipeline event.
    pub fn update(&mut self, event: &Event) {
        match event {
            Event::RequestStarted { .. } => self.in_flight += 1,
            Event::RequestFinished(e) => {
                self.in_flight = self.in_flight.saturating_sub(1);
                self.requests += 1;
                if e.error.is_some() {
                    self.errors += 1;
                }
                self.input_tokens += e.usage.input + e.usage.cache_read + e.usage.cache_write;
                self.output_tokens += e.usage.output;
                self.recent.push_front((**e).clone());
                self.recent.truncate(RECENT);
            }
            _ => {}
        }
    }
}

//! The one [`UsageEvent`] each request produces: filled in as the request progresses and
//! published exactly once, when the response ends or, if the request is abandoned, on drop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use tokio::time::Instant;

use crate::events::{Bus, Event, UsageEvent};
use crate::ledger::Books;
use crate::protocol::{Dialect, Usage};

/// Collects facts about a request and publishes them once.
#[derive(Debug)]
pub struct Recorder {
    bus: Bus,
    books: Arc<Books>,
    event: Option<UsageEvent>,
    /// Whether the ledger row was opened (requests refused at the door get a row only when
    /// they end).
    opened: bool,
    started: Instant,
    /// Set when the client went away.
    pub disconnected: Arc<AtomicBool>,
}

impl Recorder {
    /// Starts recording request `id`.
    pub fn new(bus: Bus, books: Arc<Books>, id: &str, inbound: Dialect, started: Instant) -> Self {
        Self {
            bus,
            books,
            opened: false,
            started,
            disconnected: Arc::new(AtomicBool::new(false)),
            event: Some(UsageEvent {
                id: id.to_owned(),
                time: SystemTime::now(),
                key: None,
                account: None,
                platform: None,
                inbound,
                model: None,
                upstream_model: None,
                stream: false,
                status: 0,
                error: None,
                attempts: 0,
                usage: Usage::default(),
                cost: crate::pricing::Cost::default(),
                latency_ms: 0,
                ttft_ms: None,
                client_disconnected: false,
            }),
        }
    }

    /// When the request arrived.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Mutable access to the event being built.
    pub fn event(&mut self) -> Option<&mut UsageEvent> {
        self.event.as_mut()
    }

    /// The request was accepted and its model is known: its ledger row opens now, so a crash
    /// before it ends leaves it `interrupted` rather than missing.
    pub fn open(&mut self) {
        if let Some(e) = self.event.as_ref()
            && !self.opened
        {
            self.opened = true;
            self.books.opened(e);
        }
    }

    /// Notes the time to first byte (once).
    pub fn first_byte(&mut self) {
        let ms = millis(self.started.elapsed());
        if let Some(e) = self.event.as_mut()
            && e.ttft_ms.is_none()
        {
            e.ttft_ms = Some(ms);
        }
    }

    /// Publishes the event with the final status and error code.
    pub fn finish(mut self, status: u16, error: Option<&'static str>) {
        self.publish(status, error);
    }

    fn publish(&mut self, status: u16, error: Option<&'static str>) {
        let Some(mut e) = self.event.take() else {
            return;
        };
        e.status = status;
        e.error = error.or(e.error);
        e.latency_ms = millis(self.started.elapsed());
        e.client_disconnected = self.disconnected.load(Ordering::Relaxed);
        // A request refused for a missing or unknown key is not recorded: anyone can send
        // those, and they name no key to account to.
        if !matches!(e.error, Some("missing_api_key" | "invalid_api_key")) {
            self.books.finished(&mut e);
        }
        tracing::info!(
            id = %e.id,
            inbound = e.inbound.as_str(),
            model = e.model.as_deref().unwrap_or("-"),
            account = e.account.as_deref().unwrap_or("-"),
            status = e.status,
            error = e.error.unwrap_or("-"),
            input = e.usage.input,
            output = e.usage.output,
            cache_read = e.usage.cache_read,
            cache_write = e.usage.cache_write,
            cost_micros = e.cost.micros,
            latency_ms = e.latency_ms,
            client_disconnected = e.client_disconnected,
            "request finished"
        );
        self.bus.publish(Event::RequestFinished(Box::new(e)));
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if self.event.is_none() {
            return;
        }
        if std::thread::panicking() {
            // A bug in the relay, not the client leaving.
            self.publish(500, Some("internal_error"));
        } else {
            // Abandoned before a status was decided: the client is gone (499, nginx's
            // convention).
            self.disconnected.store(true, Ordering::Relaxed);
            self.publish(499, Some("client_disconnected"));
        }
    }
}

/// Marks the request's client as gone when dropped before being disarmed.
#[derive(Debug)]
pub struct DisconnectGuard {
    flag: Arc<AtomicBool>,
    armed: bool,
}

impl DisconnectGuard {
    /// Watches `flag`.
    pub fn new(flag: Arc<AtomicBool>) -> Self {
        Self { flag, armed: true }
    }

    /// The response head was handed to the connection: the client did not leave before it.
    pub fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for DisconnectGuard {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::Relaxed);
        }
    }
}

/// Milliseconds, saturating.
pub fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Event;

    fn finished(rx: &mut tokio::sync::broadcast::Receiver<Event>) -> UsageEvent {
        match rx.try_recv() {
            Ok(Event::RequestFinished(e)) => *e,
            other => panic!("expected a finished request, got {other:?}"),
        }
    }

    fn books() -> Arc<Books> {
        Arc::new(Books::in_memory(
            crate::pricing::Pricing::builtin(),
            jiff::tz::TimeZone::UTC,
        ))
    }

    #[tokio::test]
    async fn exactly_one_event_on_finish_on_abandon_and_on_panic() {
        let bus = Bus::new(16);
        let mut rx = bus.subscribe();
        Recorder::new(
            bus.clone(),
            books(),
            "req_a",
            Dialect::Anthropic,
            Instant::now(),
        )
        .finish(200, None);
        let e = finished(&mut rx);
        assert_eq!(
            (e.status, e.error, e.client_disconnected),
            (200, None, false)
        );
        assert!(rx.try_recv().is_err(), "finish publishes once");

        drop(Recorder::new(
            bus.clone(),
            books(),
            "req_b",
            Dialect::Anthropic,
            Instant::now(),
        ));
        let e = finished(&mut rx);
        assert_eq!(
            (e.status, e.error, e.client_disconnected),
            (499, Some("client_disconnected"), true)
        );

        let b = bus.clone();
        let r = std::thread::spawn(move || {
            let _rec = Recorder::new(b, books(), "req_c", Dialect::Anthropic, Instant::now());
            panic!("a bug");
        })
        .join();
        assert!(r.is_err());
        let e = finished(&mut rx);
        assert_eq!(
            (e.status, e.error, e.client_disconnected),
            (500, Some("internal_error"), false)
        );
        assert!(rx.try_recv().is_err());
    }
}

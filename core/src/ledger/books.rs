//! The books: everything counted about requests (prices, running totals with budgets, the
//! ledger, the metrics and the requests in flight), behind one handle the pipeline calls when
//! a request is accepted, served and ended.

use std::sync::Mutex;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::totals::{BudgetHit, Totals, TotalsSnapshot};
use super::{Ledger, LedgerError};
use crate::config::KeyConfig;
use crate::events::UsageEvent;
use crate::pricing::Pricing;

/// Prices, totals and the ledger.
#[derive(Debug)]
pub struct Books {
    pricing: Pricing,
    totals: Mutex<Totals>,
    ledger: Option<Ledger>,
    /// Counters for `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// Requests in flight.
    pub live: crate::live::Live,
}

impl Books {
    /// Books that price and total requests but write no ledger (tests, embedding).
    pub fn in_memory(pricing: Pricing, tz: TimeZone) -> Self {
        Self {
            pricing,
            totals: Mutex::new(Totals::new(tz, Timestamp::now())),
            ledger: None,
            metrics: crate::metrics::Metrics::default(),
            live: crate::live::Live::default(),
        }
    }

    /// Books writing to `ledger`, with totals seeded from what it holds for this month.
    pub fn with_ledger(
        pricing: Pricing,
        tz: TimeZone,
        ledger: Ledger,
    ) -> Result<Self, LedgerError> {
        let now = Timestamp::now();
        let mut totals = Totals::new(tz, now);
        let (day_start, month_start) = totals.period_starts(now);
        if let Some(conn) = super::open_read_only(
            ledger
                .path()
                .parent()
                .unwrap_or_else(|| std::path::Path::new(".")),
        )? {
            for s in super::query::month_to_date(&conn, month_start, day_start)? {
                totals.seed(
                    s.key.as_deref(),
                    s.account.as_deref(),
                    s.today,
                    s.micros,
                    s.requests,
                    s.errors,
                );
            }
        }
        Ok(Self {
            pricing,
            totals: Mutex::new(totals),
            ledger: Some(ledger),
            metrics: crate::metrics::Metrics::default(),
            live: crate::live::Live::default(),
        })
    }

    /// The prices in force.
    pub fn pricing(&self) -> &Pricing {
        &self.pricing
    }

    /// The ledger, if this relay keeps one.
    pub fn ledger(&self) -> Option<&Ledger> {
        self.ledger.as_ref()
    }

    /// Whether `key` is within its budgets right now.
    pub fn check_budget(&self, key: &KeyConfig) -> Result<(), BudgetHit> {
        if key.daily_usd.is_none() && key.monthly_usd.is_none() {
            return Ok(());
        }
        let Ok(mut totals) = self.totals.lock() else {
            return Ok(());
        };
        totals.check(
            &key.name,
            key.daily_usd.map(usd_micros),
            key.monthly_usd.map(usd_micros),
            Timestamp::now(),
        )
    }

    /// A request was accepted: its ledger row opens.
    pub fn opened(&self, e: &UsageEvent) {
        self.live.start(crate::live::LiveRequest {
            id: e.id.clone(),
            model: e.model.clone(),
            inbound: e.inbound.as_str().to_owned(),
            key: e.key.clone(),
            account: None,
            stream: e.stream,
            started_ms: super::unix_ms(e.time),
        });
        if let Some(l) = &self.ledger {
            l.open_row(e);
        }
    }

    /// A request ended: prices it (by the upstream model served, else the one asked for),
    /// counts it, and completes its ledger row.
    pub fn finished(&self, e: &mut UsageEvent) {
        let model = e.upstream_model.as_deref().or(e.model.as_deref());
        if let Some(model) = model {
            e.cost = self.pricing.cost(model, &e.usage);
        }
        self.live.end(&e.id);
        self.metrics.observe(e);
        if let Ok(mut totals) = self.totals.lock() {
            totals.add(e, Timestamp::now());
        }
        if let Some(l) = &self.ledger {
            l.close_row(Box::new(e.clone()));
        }
    }

    /// The running totals as of now.
    pub fn snapshot(&self) -> TotalsSnapshot {
        self.totals
            .lock()
            .map(|mut t| t.snapshot(Timestamp::now()))
            .unwrap_or_default()
    }
}

/// US dollars as micro-dollars (rounded; negative and non-finite values are 0).
pub fn usd_micros(usd: f64) -> u64 {
    if !usd.is_finite() || usd <= 0.0 {
        return 0;
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "positive and finite; saturates far beyond any budget"
    )]
    let v = (usd * 1e6).round() as u64;
    v
}

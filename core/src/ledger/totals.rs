//! Running spend totals (today and this month per key, per account and overall, by the
//! configured calendar) and a one-minute traffic window: what budgets are checked against and
//! what the dashboard shows. Pure: the caller passes `now`.

use std::collections::{HashMap, VecDeque};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, ZonedDateTime};
use serde::Serialize;

use crate::events::UsageEvent;

/// Spend of one key, one account, or everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Spend {
    /// Micro-dollars spent today.
    pub today_micros: u64,
    /// Micro-dollars spent this month (today included).
    pub month_micros: u64,
    /// Requests today.
    pub requests_today: u64,
    /// Requests today that ended in an error.
    pub errors_today: u64,
}

/// A point-in-time copy of the totals, for the dashboard and the status API.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TotalsSnapshot {
    /// The calendar day the totals are for (`YYYY-MM-DD` in the configured time zone).
    pub day: String,
    /// Everything.
    pub all: Spend,
    /// Per client key, by name (keyless requests under `-`).
    pub keys: Vec<(String, Spend)>,
    /// Per account, by name (requests no account served are not here).
    pub accounts: Vec<(String, Spend)>,
    /// Tokens (input, output, cache reads and writes) of requests that ended in the last 60 s.
    pub tokens_per_minute: u64,
    /// Requests that ended in the last 60 s.
    pub requests_per_minute: u64,
}

/// Which budget a request ran into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetHit {
    /// `daily` or `monthly`.
    pub period: &'static str,
    /// The budget in micro-dollars.
    pub limit_micros: u64,
    /// What was spent in the period, in micro-dollars.
    pub spent_micros: u64,
    /// When the period ends (the next local midnight, or the first of next month).
    pub resets_at: ZonedDateTime,
}

/// The running totals.
#[derive(Debug)]
pub struct Totals {
    tz: TimeZone,
    day: Date,
    all: Spend,
    keys: HashMap<String, Spend>,
    accounts: HashMap<String, Spend>,
    /// Per-second buckets of the last minute: (unix second, tokens, requests).
    window: VecDeque<(i64, u64, u64)>,
}

/// Name under which keyless requests are counted.
pub const KEYLESS: &str = "-";

impl Totals {
    /// Empty totals for the calendar of `tz`, as of `now`.
    pub fn new(tz: TimeZone, now: Timestamp) -> Self {
        let day = now.to_zoned_datetime(tz.clone()).date();
        Self {
            tz,
            day,
            all: Spend::default(),
            keys: HashMap::new(),
            accounts: HashMap::new(),
            window: VecDeque::new(),
        }
    }

    /// The time zone of the calendar.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Start of today and of this month (as of `now`), as Unix milliseconds.
    pub fn period_starts(&self, now: Timestamp) -> (i64, i64) {
        let today = now.to_zoned_datetime(self.tz.clone()).date();
        let ms = |d: Date| {
            d.to_zoned_datetime(self.tz.clone())
                .map_or(0, |z| z.timestamp().as_millisecond())
        };
        (ms(today), ms(today.first_of_month()))
    }

    /// Adds what the ledger already holds for this month: `today` says whether the amounts are
    /// from today.
    pub fn seed(
        &mut self,
        key: Option<&str>,
        account: Option<&str>,
        today: bool,
        micros: u64,
        requests: u64,
        errors: u64,
    ) {
        let apply = |s: &mut Spend| {
            s.month_micros += micros;
            if today {
                s.today_micros += micros;
                s.requests_today += requests;
                s.errors_today += errors;
            }
        };
        apply(&mut self.all);
        apply(
            self.keys
                .entry(key.unwrap_or(KEYLESS).to_owned())
                .or_default(),
        );
        if let Some(a) = account {
            apply(self.accounts.entry(a.to_owned()).or_default());
        }
    }

    /// Counts a finished request (its cost already set).
    pub fn add(&mut self, e: &UsageEvent, now: Timestamp) {
        self.roll(now);
        let when = Timestamp::try_from(e.time).unwrap_or(now);
        let date = when.to_zoned_datetime(self.tz.clone()).date();
        let today = date == self.day;
        let this_month =
            today || (date.year(), date.month()) == (self.day.year(), self.day.month());
        let error = e.status >= 400 || e.error.is_some();
        let micros = e.cost.micros;
        let apply = |s: &mut Spend| {
            if this_month {
                s.month_micros += micros;
            }
            if today {
                s.today_micros += micros;
                s.requests_today += 1;
                s.errors_today += u64::from(error);
            }
        };
        apply(&mut self.all);
        apply(
            self.keys
                .entry(e.key.as_deref().unwrap_or(KEYLESS).to_owned())
                .or_default(),
        );
        if let Some(a) = e.account.as_deref() {
            apply(self.accounts.entry(a.to_owned()).or_default());
        }
        let u = &e.usage;
        let tokens = u.input + u.output + u.cache_read + u.cache_write;
        let second = now.as_second();
        match self.window.back_mut() {
            Some((s, t, r)) if *s == second => {
                *t += tokens;
                *r += 1;
            }
            _ => self.window.push_back((second, tokens, 1)),
        }
        self.trim(second);
    }

    /// Whether `key` may spend more: `Err` names the first budget it reached.
    pub fn check(
        &mut self,
        key: &str,
        daily_micros: Option<u64>,
        monthly_micros: Option<u64>,
        now: Timestamp,
    ) -> Result<(), BudgetHit> {
        self.roll(now);
        let spend = self.keys.get(key).copied().unwrap_or_default();
        let zoned = now.to_zoned_datetime(self.tz.clone());
        if let Some(limit) = daily_micros
            && spend.today_micros >= limit
        {
            return Err(BudgetHit {
                period: "daily",
                limit_micros: limit,
                spent_micros: spend.today_micros,
                resets_at: next_start(&zoned, 1.day(), self.day),
            });
        }
        if let Some(limit) = monthly_micros
            && spend.month_micros >= limit
        {
            return Err(BudgetHit {
                period: "monthly",
                limit_micros: limit,
                spent_micros: spend.month_micros,
                resets_at: next_start(&zoned, 1.month(), self.day.first_of_month()),
            });
        }
        Ok(())
    }

    /// A copy of everything, as of `now`.
    pub fn snapshot(&mut self, now: Timestamp) -> TotalsSnapshot {
        self.roll(now);
        self.trim(now.as_second());
        let sorted = |m: &HashMap<String, Spend>| {
            let mut v: Vec<(String, Spend)> = m.iter().map(|(k, s)| (k.clone(), *s)).collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        TotalsSnapshot {
            day: self.day.to_string(),
            all: self.all,
            keys: sorted(&self.keys),
            accounts: sorted(&self.accounts),
            tokens_per_minute: self.window.iter().map(|w| w.1).sum(),
            requests_per_minute: self.window.iter().map(|w| w.2).sum(),
        }
    }

    /// Starts a new day (and month) when the calendar moved on.
    fn roll(&mut self, now: Timestamp) {
        let today = now.to_zoned_datetime(self.tz.clone()).date();
        if today == self.day {
            return;
        }
        let new_month = (today.year(), today.month()) != (self.day.year(), self.day.month());
        self.day = today;
        let reset = |s: &mut Spend| {
            s.today_micros = 0;
            s.requests_today = 0;
            s.errors_today = 0;
            if new_month {
                s.month_micros = 0;
            }
        };
        reset(&mut self.all);
        self.keys.values_mut().for_each(reset);
        self.accounts.values_mut().for_each(reset);
    }

    fn trim(&mut self, second: i64) {
        while self.window.front().is_some_and(|w| w.0 <= second - 60) {
            self.window.pop_front();
        }
    }
}

/// Local midnight at the start of the period after the one starting on `start`.
fn next_start(now: &ZonedDateTime, period: jiff::Span, start: Date) -> ZonedDateTime {
    start
        .checked_add(period)
        .ok()
        .and_then(|d| d.to_zoned_datetime(now.time_zone().clone()).ok())
        .unwrap_or_else(|| now.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::Cost;
    use crate::protocol::{Dialect, Usage};

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn event(key: &str, account: &str, time: Timestamp, micros: u64, status: u16) -> UsageEvent {
        UsageEvent {
            id: "req".into(),
            time: std::time::UNIX_EPOCH
                + std::time::Duration::from_millis(u64::try_from(time.as_millisecond()).unwrap()),
            key: Some(key.into()),
            account: Some(account.into()),
            platform: Some("anthropic"),
            inbound: Dialect::Anthropic,
            model: Some("m".into()),
            upstream_model: Some("m".into()),
            stream: false,
            status,
            error: None,
            attempts: 1,
            usage: Usage {
                input: 10,
                output: 5,
                ..Usage::default()
            },
            cost: Cost {
                micros,
                priced: true,
            },
            latency_ms: 1,
            ttft_ms: None,
            client_disconnected: false,
        }
    }

    #[test]
    fn days_and_months_follow_the_configured_calendar() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        // 23:30 in Berlin on Nov 30 (22:30 UTC).
        let t0 = at("2026-11-30T22:30:00Z");
        let mut t = Totals::new(tz, t0);
        t.add(&event("k", "a", t0, 1_000_000, 200), t0);
        let s = t.snapshot(t0);
        assert_eq!(s.day, "2026-11-30");
        assert_eq!(s.all.today_micros, 1_000_000);
        // 00:10 in Berlin on Dec 1: a new day and a new month, although UTC is still Nov 30.
        let t1 = at("2026-11-30T23:10:00Z");
        let s = t.snapshot(t1);
        assert_eq!(s.day, "2026-12-01");
        assert_eq!((s.all.today_micros, s.all.month_micros), (0, 0));
        t.add(&event("k", "a", t1, 250, 500), t1);
        let s = t.snapshot(t1);
        assert_eq!(
            s.keys,
            vec![(
                "k".into(),
                Spend {
                    today_micros: 250,
                    month_micros: 250,
                    requests_today: 1,
                    errors_today: 1,
                }
            )]
        );
        // Next day, same month: today resets, the month keeps counting.
        let t2 = at("2026-12-02T10:00:00Z");
        t.add(&event("k", "a", t2, 100, 200), t2);
        let s = t.snapshot(t2);
        assert_eq!((s.all.today_micros, s.all.month_micros), (100, 350));
    }

    #[test]
    fn a_request_that_started_yesterday_counts_for_the_month_only() {
        let t0 = at("2026-11-10T23:59:59Z");
        let mut t = Totals::new(TimeZone::UTC, t0);
        let t1 = at("2026-11-11T00:00:05Z");
        t.add(&event("k", "a", t0, 700, 200), t1);
        let s = t.snapshot(t1);
        assert_eq!((s.all.today_micros, s.all.month_micros), (0, 700));
    }

    #[test]
    fn budgets_say_which_and_when_they_reset() {
        let tz = TimeZone::get("America/New_York").unwrap();
        let now = at("2026-11-27T15:00:00Z");
        let mut t = Totals::new(tz, now);
        t.seed(Some("k"), Some("a"), true, 2_000_000, 3, 0);
        t.seed(Some("k"), Some("a"), false, 5_000_000, 9, 1);
        assert!(t.check("k", Some(2_000_001), Some(8_000_000), now).is_ok());
        let hit = t.check("k", Some(2_000_000), None, now).unwrap_err();
        assert_eq!(hit.period, "daily");
        assert_eq!(hit.spent_micros, 2_000_000);
        assert_eq!(
            hit.resets_at.to_string(),
            "2026-11-28T00:00:00-05:00[America/New_York]"
        );
        let hit = t.check("k", None, Some(7_000_000), now).unwrap_err();
        assert_eq!(hit.period, "monthly");
        assert_eq!(hit.spent_micros, 7_000_000);
        assert_eq!(
            hit.resets_at.to_string(),
            "2026-12-01T00:00:00-05:00[America/New_York]"
        );
        // Other keys are not affected.
        assert!(t.check("other", Some(1), Some(1), now).is_ok());
    }

    #[test]
    fn the_minute_window_slides() {
        let t0 = at("2026-11-27T12:00:00Z");
        let mut t = Totals::new(TimeZone::UTC, t0);
        t.add(&event("k", "a", t0, 0, 200), t0);
        let t1 = at("2026-11-27T12:00:30Z");
        t.add(&event("k", "a", t1, 0, 200), t1);
        assert_eq!(t.snapshot(t1).tokens_per_minute, 30);
        assert_eq!(
            t.snapshot(at("2026-11-27T12:01:10Z")).requests_per_minute,
            1
        );
        assert_eq!(
            t.snapshot(at("2026-11-27T12:02:00Z")).requests_per_minute,
            0
        );
    }
}

//! Account health: cooldowns, credential errors and operator pauses, in one place. Timers
//! expire on their own (a cooldown is a deadline, not a task), every state can be cleared, and
//! all reads take `now`, so the logic is testable without a clock.

use std::sync::Mutex;
use std::time::Instant;

/// The state an account is in, as the dashboard and the admin API show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountState {
    /// Serving.
    Active,
    /// Cooling down until a deadline (rate limited, overloaded, faulty).
    Cooling,
    /// Paused by the operator.
    Paused,
    /// Credentials refused (401/403); cleared by the operator or a successful refresh.
    AuthError,
    /// `enabled = false` in the config.
    Disabled,
}

impl AccountState {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Active => "active",
            AccountState::Cooling => "cooling",
            AccountState::Paused => "paused",
            AccountState::AuthError => "auth_error",
            AccountState::Disabled => "disabled",
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    cooldown_until: Option<Instant>,
    cooldown_reason: Option<&'static str>,
    auth_error: bool,
    paused: bool,
    last_error: Option<String>,
}

/// One account's health.
#[derive(Debug, Default)]
pub struct Health {
    inner: Mutex<Inner>,
}

impl Health {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The state at `now`.
    pub fn state(&self, enabled: bool, now: Instant) -> AccountState {
        let i = self.lock();
        if !enabled {
            AccountState::Disabled
        } else if i.paused {
            AccountState::Paused
        } else if i.auth_error {
            AccountState::AuthError
        } else if i.cooldown_until.is_some_and(|u| u > now) {
            AccountState::Cooling
        } else {
            AccountState::Active
        }
    }

    /// The cooldown deadline if it is still ahead of `now`.
    pub fn cooling_until(&self, now: Instant) -> Option<Instant> {
        self.lock().cooldown_until.filter(|u| *u > now)
    }

    /// Why the account is cooling, while it is.
    pub fn cooldown_reason(&self, now: Instant) -> Option<&'static str> {
        let i = self.lock();
        i.cooldown_until.filter(|u| *u > now).and(i.cooldown_reason)
    }

    /// Cools the account until `until` (a later deadline already set is kept). Returns the
    /// deadline in force.
    pub fn cool(&self, until: Instant, reason: &'static str) -> Instant {
        let mut i = self.lock();
        match i.cooldown_until {
            Some(existing) if existing >= until => existing,
            _ => {
                i.cooldown_until = Some(until);
                i.cooldown_reason = Some(reason);
                until
            }
        }
    }

    /// Marks the credentials as refused.
    pub fn set_auth_error(&self) {
        self.lock().auth_error = true;
    }

    /// Clears cooldown and credential error. Returns whether anything was set.
    pub fn clear(&self) -> bool {
        let mut i = self.lock();
        let had = i.cooldown_until.is_some() || i.auth_error;
        i.cooldown_until = None;
        i.cooldown_reason = None;
        i.auth_error = false;
        had
    }

    /// Operator pause / resume.
    pub fn set_paused(&self, paused: bool) {
        self.lock().paused = paused;
    }

    /// Remembers the latest error (a safe message, never a secret or a body).
    pub fn record_error(&self, message: String) {
        self.lock().last_error = Some(message);
    }

    /// The latest error, if any.
    pub fn last_error(&self) -> Option<String> {
        self.lock().last_error.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn cooldowns_expire_on_their_own_and_keep_the_later_deadline() {
        let h = Health::default();
        let t0 = Instant::now();
        assert_eq!(h.state(true, t0), AccountState::Active);
        h.cool(t0 + Duration::from_secs(60), "rate_limited");
        h.cool(t0 + Duration::from_secs(10), "overloaded");
        assert_eq!(
            h.state(true, t0 + Duration::from_secs(30)),
            AccountState::Cooling
        );
        assert_eq!(h.cooldown_reason(t0), Some("rate_limited"));
        assert_eq!(
            h.state(true, t0 + Duration::from_secs(61)),
            AccountState::Active
        );
        assert_eq!(h.cooling_until(t0 + Duration::from_secs(61)), None);
    }

    #[test]
    fn precedence_and_clearing() {
        let h = Health::default();
        let now = Instant::now();
        h.cool(now + Duration::from_secs(5), "x");
        h.set_auth_error();
        assert_eq!(h.state(true, now), AccountState::AuthError);
        h.set_paused(true);
        assert_eq!(h.state(true, now), AccountState::Paused);
        assert_eq!(h.state(false, now), AccountState::Disabled);
        h.set_paused(false);
        assert!(h.clear());
        assert_eq!(h.state(true, now), AccountState::Active);
        assert!(!h.clear());
    }
}

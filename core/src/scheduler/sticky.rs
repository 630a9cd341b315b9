//! Sticky bindings: (group, session key) → account, and response pins: response id → account, each
//! with a TTL refreshed on use. Not pure (one mutex-guarded table shared by all requests), but
//! clock-free: every call takes `now`, so expiry is testable without waiting.
//!
//! Memory is bounded by `max_entries` (bindings and pins together). Expired entries are pruned
//! lazily: when inserting a new key into a full table, expired entries are dropped and, if that is
//! not enough, the least recently used ones, down to 90 % of capacity, so pruning (a full pass)
//! happens at most once every `max_entries / 10` inserts and never evicts the entry being inserted.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::session::{SessionKey, compact};

/// Session → account bindings and response pins.
pub struct Sticky {
    ttl: Duration,
    max_entries: usize,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    /// group → session → binding.
    groups: HashMap<String, HashMap<SessionKey, Entry>>,
    /// response id (compacted) → the account that produced it. Group-independent: a response id
    /// names one upstream object wherever the follow-up comes from.
    pins: HashMap<String, Entry>,
}

struct Entry {
    account: String,
    /// Live while `now < expires`.
    expires: Instant,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        now < self.expires
    }
}

impl Table {
    fn len(&self) -> usize {
        self.groups.values().map(HashMap::len).sum::<usize>() + self.pins.len()
    }

    /// The entry a key lives in, if any.
    fn entry_mut(&mut self, group: &str, key: &SessionKey) -> Option<&mut Entry> {
        match key {
            SessionKey::PreviousResponse(id) => self.pins.get_mut(id.as_str()),
            _ => self.groups.get_mut(group)?.get_mut(key),
        }
    }

    fn remove(&mut self, group: &str, key: &SessionKey) {
        match key {
            SessionKey::PreviousResponse(id) => {
                self.pins.remove(id.as_str());
            }
            _ => {
                if let Some(map) = self.groups.get_mut(group) {
                    map.remove(key);
                    if map.is_empty() {
                        self.groups.remove(group);
                    }
                }
            }
        }
    }

    fn insert(&mut self, group: &str, key: &SessionKey, entry: Entry) {
        match key {
            SessionKey::PreviousResponse(id) => {
                self.pins.insert(id.clone(), entry);
            }
            _ => {
                if let Some(map) = self.groups.get_mut(group) {
                    map.insert(key.clone(), entry);
                } else {
                    let map = HashMap::from([(key.clone(), entry)]);
                    self.groups.insert(group.to_owned(), map);
                }
            }
        }
    }

    /// Keeps only the entries `keep` accepts, dropping emptied groups.
    fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        for map in self.groups.values_mut() {
            map.retain(|_, e| keep(e));
        }
        self.groups.retain(|_, map| !map.is_empty());
        self.pins.retain(|_, e| keep(e));
    }

    /// Makes room for one more entry within `max` (see the module docs). Called before inserting a
    /// new key, so the entry being inserted is never the one evicted.
    fn make_room(&mut self, max: usize, now: Instant) {
        if self.len() < max {
            return;
        }
        self.retain(|e| e.live(now));
        // After the insert, the table holds 90 % of `max` (at least 1).
        let low_water = (max - max / 10).saturating_sub(1);
        let len = self.len();
        if len <= low_water {
            return;
        }
        // Drop exactly `excess` entries, the ones expiring first (least recently used).
        let excess = len - low_water;
        let mut expiries: Vec<Instant> = self
            .groups
            .values()
            .flat_map(HashMap::values)
            .chain(self.pins.values())
            .map(|e| e.expires)
            .collect();
        if excess > expiries.len() {
            return;
        }
        let (older, &mut threshold, _) = expiries.select_nth_unstable(excess - 1);
        let mut ties_to_drop = excess - older.iter().filter(|&&t| t < threshold).count();
        self.retain(|e| {
            if e.expires < threshold {
                false
            } else if e.expires == threshold && ties_to_drop > 0 {
                ties_to_drop -= 1;
                false
            } else {
                true
            }
        });
    }
}

impl Sticky {
    /// A table whose entries live `ttl` after their last use, holding at most `max_entries`
    /// (at least 1).
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            ttl,
            max_entries: max_entries.max(1),
            table: Mutex::new(Table::default()),
        }
    }

    /// The account `key` is bound to in `group` (for a [`SessionKey::PreviousResponse`], the
    /// account that produced the response, whatever the group), refreshing its TTL.
    pub fn get(&self, group: &str, key: &SessionKey, now: Instant) -> Option<String> {
        let expires = self.expiry(now);
        let mut table = self.lock();
        let entry = table.entry_mut(group, key)?;
        if entry.live(now) {
            entry.expires = expires;
            return Some(entry.account.clone());
        }
        table.remove(group, key);
        None
    }

    /// Binds `key` in `group` to `account`, replacing any binding.
    pub fn bind(&self, group: &str, key: &SessionKey, account: &str, now: Instant) {
        let entry = Entry {
            account: account.to_owned(),
            expires: self.expiry(now),
        };
        let mut table = self.lock();
        if table.entry_mut(group, key).is_none() {
            table.make_room(self.max_entries, now);
        }
        table.insert(group, key, entry);
    }

    /// Binds `key` in `group` to `account` unless it has a live binding to another account (a
    /// failover must not steal the session: switching accounts loses the prompt cache). Returns
    /// whether `key` is now bound to `account` (a live binding to it is refreshed).
    pub fn bind_if_unbound(
        &self,
        group: &str,
        key: &SessionKey,
        account: &str,
        now: Instant,
    ) -> bool {
        let expires = self.expiry(now);
        let mut table = self.lock();
        match table.entry_mut(group, key) {
            Some(entry) if entry.live(now) && entry.account != account => return false,
            Some(entry) => {
                // Live on this account (refresh) or expired (take over).
                entry.account = account.to_owned();
                entry.expires = expires;
                return true;
            }
            None => {}
        }
        table.make_room(self.max_entries, now);
        let entry = Entry {
            account: account.to_owned(),
            expires,
        };
        table.insert(group, key, entry);
        true
    }

    /// Drops every session binding to `account` (it became unusable: credentials refused,
    /// disabled). Response pins stay: a stored response can only be continued on the account
    /// that holds it, and selection skips the account while it is unusable anyway.
    pub fn unbind_account(&self, account: &str) {
        let mut table = self.lock();
        for map in table.groups.values_mut() {
            map.retain(|_, e| e.account != account);
        }
        table.groups.retain(|_, map| !map.is_empty());
    }

    /// Records that `account` produced the response `response_id`, so a follow-up naming it in
    /// `previous_response_id` is routed there.
    pub fn pin_response(&self, response_id: &str, account: &str, now: Instant) {
        let key = SessionKey::PreviousResponse(compact(response_id));
        self.bind("", &key, account, now);
    }

    /// Bindings plus pins currently stored (expired ones included until pruned).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn expiry(&self, now: Instant) -> Instant {
        const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
        now.checked_add(self.ttl)
            .or_else(|| now.checked_add(CENTURY))
            .unwrap_or(now)
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // The table is consistent after every statement, so a panic elsewhere cannot corrupt it.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Sticky {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sticky")
            .field("ttl", &self.ttl)
            .field("max_entries", &self.max_entries)
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    fn key(s: &str) -> SessionKey {
        SessionKey::Header(s.to_owned())
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn bind_and_get() {
        let t0 = Instant::now();
        let s = Sticky::new(TTL, 100);
        assert!(s.is_empty());
        assert_eq!(s.get("g", &key("s1"), t0), None);
        s.bind("g", &key("s1"), "acct-a", t0);
        assert_eq!(s.get("g", &key("s1"), t0).as_deref(), Some("acct-a"));
        // Groups and key kinds are separate namespaces.
        assert_eq!(s.get("other", &key("s1"), t0), None);
        assert_eq!(
            s.get("g", &SessionKey::PromptCacheKey("s1".into()), t0),
            None
        );
        // bind overwrites.
        s.bind("g", &key("s1"), "acct-b", t0);
        assert_eq!(s.get("g", &key("s1"), t0).as_deref(), Some("acct-b"));
        assert_eq!(s.len(), 1);
        assert!(!s.is_empty());
    }

    #[test]
    fn ttl_expires_and_get_refreshes() {
        let t0 = Instant::now();
        let s = Sticky::new(TTL, 100);
        s.bind("g", &key("s1"), "a", t0);
        s.bind("g", &key("s2"), "a", t0);
        // Just before expiry: live, and the hit refreshes s1's TTL.
        assert_eq!(s.get("g", &key("s1"), t0 + secs(59)).as_deref(), Some("a"));
        // At t0 + 60, s2 has expired; s1 lives until t0 + 59 + 60.
        assert_eq!(s.get("g", &key("s2"), t0 + secs(60)), None);
        assert_eq!(s.get("g", &key("s1"), t0 + secs(118)).as_deref(), Some("a"));
        assert_eq!(s.get("g", &key("s1"), t0 + secs(178)), None);
        // Expired entries found by `get` are dropped.
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn bind_if_unbound_never_steals() {
        let t0 = Instant::now();
        let s = Sticky::new(TTL, 100);
        assert!(s.bind_if_unbound("g", &key("s"), "a", t0));
        // A failover to b must not steal the session from a.
        assert!(!s.bind_if_unbound("g", &key("s"), "b", t0 + secs(10)));
        assert_eq!(s.get("g", &key("s"), t0 + secs(10)).as_deref(), Some("a"));
        // Re-binding to the same account refreshes it.
        assert!(s.bind_if_unbound("g", &key("s"), "a", t0 + secs(50)));
        assert_eq!(s.get("g", &key("s"), t0 + secs(100)).as_deref(), Some("a"));
        // Once the binding has expired, another account may take it.
        assert!(s.bind_if_unbound("g", &key("s"), "b", t0 + secs(200)));
        assert_eq!(s.get("g", &key("s"), t0 + secs(200)).as_deref(), Some("b"));
        // `bind` overwrites regardless.
        s.bind("g", &key("s"), "c", t0 + secs(201));
        assert_eq!(s.get("g", &key("s"), t0 + secs(201)).as_deref(), Some("c"));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn unbind_account_drops_its_bindings_only() {
        let t0 = Instant::now();
        let s = Sticky::new(TTL, 100);
        s.bind("g1", &key("s1"), "a", t0);
        s.bind("g2", &key("s2"), "a", t0);
        s.bind("g1", &key("s3"), "b", t0);
        s.pin_response("resp_1", "a", t0);
        s.unbind_account("a");
        assert_eq!(s.get("g1", &key("s1"), t0), None);
        assert_eq!(s.get("g2", &key("s2"), t0), None);
        assert_eq!(s.get("g1", &key("s3"), t0).as_deref(), Some("b"));
        // The response still lives on `a` only.
        let prev = SessionKey::PreviousResponse("resp_1".into());
        assert_eq!(s.get("g1", &prev, t0).as_deref(), Some("a"));
        assert_eq!(s.len(), 2);
        // After unbinding, a failover account can take the session.
        assert!(s.bind_if_unbound("g1", &key("s1"), "b", t0));
    }

    #[test]
    fn response_pins_are_group_independent() {
        let t0 = Instant::now();
        let s = Sticky::new(TTL, 100);
        s.pin_response("resp_abc", "acct-x", t0);
        let prev = SessionKey::PreviousResponse("resp_abc".into());
        assert_eq!(s.get("g1", &prev, t0).as_deref(), Some("acct-x"));
        assert_eq!(s.get("g2", &prev, t0).as_deref(), Some("acct-x"));
        assert_eq!(
            s.get("g1", &SessionKey::PreviousResponse("resp_other".into()), t0),
            None
        );
        // A header key with the same text is a different key.
        assert_eq!(s.get("g1", &key("resp_abc"), t0), None);
        // Pins expire like bindings, and hits refresh them.
        assert_eq!(s.get("g", &prev, t0 + secs(59)).as_deref(), Some("acct-x"));
        assert_eq!(s.get("g", &prev, t0 + secs(118)).as_deref(), Some("acct-x"));
        assert_eq!(s.get("g", &prev, t0 + secs(178)), None);
        // Binding a PreviousResponse key pins it too.
        s.bind("g", &prev, "acct-y", t0);
        assert_eq!(s.get("other", &prev, t0).as_deref(), Some("acct-y"));
        assert!(!s.bind_if_unbound("g", &prev, "acct-z", t0));
    }

    #[test]
    fn long_response_ids_match_the_session_key() {
        let t0 = Instant::now();
        let s = Sticky::new(TTL, 100);
        let long = format!("resp_{}", "x".repeat(500));
        s.pin_response(&long, "a", t0);
        let body = format!(r#"{{"previous_response_id":"{long}","input":"hi"}}"#);
        let Some(k) = crate::scheduler::session::session_key(
            crate::protocol::Dialect::OpenAiResponses,
            &http::HeaderMap::new(),
            body.as_bytes(),
            "k",
        ) else {
            panic!("no session key");
        };
        assert_eq!(s.get("g", &k, t0).as_deref(), Some("a"));
    }

    #[test]
    fn capacity_bound_drops_expired_then_oldest() {
        let t0 = Instant::now();
        let s = Sticky::new(TTL, 10);
        for i in 0..10u64 {
            s.bind("g", &key(&format!("s{i}")), "a", t0 + secs(i));
        }
        assert_eq!(s.len(), 10);
        // Over capacity with everything live: the oldest go, down to 90 %.
        s.bind("g", &key("s10"), "a", t0 + secs(10));
        assert_eq!(s.len(), 9);
        for i in 0..2 {
            assert_eq!(s.get("g", &key(&format!("s{i}")), t0 + secs(10)), None);
        }
        for i in 2..11 {
            let got = s.get("g", &key(&format!("s{i}")), t0 + secs(10));
            assert_eq!(got.as_deref(), Some("a"), "s{i}");
        }
        // A refreshed entry is no longer among the oldest.
        s.bind("g", &key("s11"), "a", t0 + secs(11));
        assert_eq!(s.get("g", &key("s2"), t0 + secs(12)).as_deref(), Some("a"));

        // Expired entries are dropped first, whatever their number.
        let late = t0 + secs(1000);
        s.bind("g", &key("fresh"), "b", late);
        s.pin_response("resp", "b", late);
        for i in 0..8 {
            s.bind("h", &key(&format!("n{i}")), "b", late);
        }
        assert!(s.len() <= 10);
        assert_eq!(s.get("g", &key("fresh"), late).as_deref(), Some("b"));
        let prev = SessionKey::PreviousResponse("resp".into());
        assert_eq!(s.get("g", &prev, late).as_deref(), Some("b"));
        assert_eq!(s.get("g", &key("s11"), late), None);
    }

    #[test]
    fn capacity_holds_under_many_inserts_with_equal_times() {
        let t0 = Instant::now();
        for max in [1, 2, 3, 10, 97] {
            let s = Sticky::new(TTL, max);
            for i in 0..1_000 {
                s.bind("g", &key(&format!("s{i}")), "a", t0);
                if i % 3 == 0 {
                    s.pin_response(&format!("r{i}"), "a", t0);
                }
                assert!(s.len() <= max, "max {max}: {}", s.len());
                let newest = key(&format!("s{i}"));
                if i % 3 != 0 {
                    assert_eq!(s.get("g", &newest, t0).as_deref(), Some("a"));
                }
            }
            // The newest entry survived.
            let newest = SessionKey::PreviousResponse("r999".into());
            assert_eq!(s.get("g", &newest, t0).as_deref(), Some("a"));
        }
        let s = Sticky::new(TTL, 0);
        s.bind("g", &key("only"), "a", t0);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn huge_ttl_does_not_overflow() {
        let t0 = Instant::now();
        let s = Sticky::new(Duration::MAX, 10);
        s.bind("g", &key("s"), "a", t0);
        assert_eq!(s.get("g", &key("s"), t0 + secs(3600)).as_deref(), Some("a"));
        assert!(format!("{s:?}").contains("len: 1"));
    }
}

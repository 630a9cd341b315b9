//! Ranking the candidate accounts of one attempt: eligibility, the sticky head, then priority,
//! load and least-recent use. Pure: no I/O, no clock (`now` is an argument), no floats.

use std::cmp::Ordering;
use std::time::Instant;

/// What the scheduler needs to know about one candidate account.
#[derive(Clone, Debug)]
pub struct CandidateView<'a> {
    /// Account name (unique within the pool).
    pub name: &'a str,
    /// Lower is preferred.
    pub priority: u32,
    /// Requests holding a slot.
    pub in_flight: u32,
    /// Requests queued for a slot.
    pub waiting: u32,
    /// Most requests in flight (0 is treated as 1).
    pub concurrency: u32,
    /// Monotonic use counter; 0 = never used.
    pub last_used: u64,
    /// Not eligible while `now < until`.
    pub cooling_until: Option<Instant>,
    /// Enabled, not paused, credentials not refused.
    pub usable: bool,
}

/// The ranking of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// Indexes into the candidate slice, best first; only eligible candidates.
    pub order: Vec<usize>,
    /// `order[0]` is the session's sticky account.
    pub sticky: bool,
}

/// Whether the candidate can take a request now without queueing.
pub fn has_free_slot(c: &CandidateView<'_>) -> bool {
    c.in_flight < c.concurrency
}

/// Whether the candidate may be tried at `now`: usable, not cooling down, not tried yet.
pub fn is_eligible(c: &CandidateView<'_>, tried: &[&str], now: Instant) -> bool {
    c.usable && c.cooling_until.is_none_or(|until| now >= until) && !tried.contains(&c.name)
}

/// Ranks the eligible candidates: the `sticky` account first when eligible (even when busy: the
/// caller waits briefly on it), then ascending priority, then ascending load
/// `(in_flight + waiting) / concurrency` (compared exactly), then least recently used
/// (never-used first), then name.
pub fn rank(
    cands: &[CandidateView<'_>],
    sticky: Option<&str>,
    tried: &[&str],
    now: Instant,
) -> Choice {
    let mut order: Vec<usize> = (0..cands.len())
        .filter(|&i| cands.get(i).is_some_and(|c| is_eligible(c, tried, now)))
        .collect();
    let head = sticky.and_then(|name| {
        order
            .iter()
            .position(|&i| cands.get(i).is_some_and(|c| c.name == name))
    });
    let head = head.map(|at| order.remove(at));
    order.sort_by(|&a, &b| match (cands.get(a), cands.get(b)) {
        (Some(x), Some(y)) => compare(x, y).then(a.cmp(&b)),
        _ => a.cmp(&b),
    });
    if let Some(i) = head {
        order.insert(0, i);
    }
    Choice {
        order,
        sticky: head.is_some(),
    }
}

/// The non-sticky order: priority, load, last use, name.
pub fn compare(a: &CandidateView<'_>, b: &CandidateView<'_>) -> Ordering {
    a.priority
        .cmp(&b.priority)
        .then_with(|| compare_load(a, b))
        .then(a.last_used.cmp(&b.last_used))
        .then_with(|| a.name.cmp(b.name))
}

/// `(in_flight + waiting) / concurrency` of `a` against `b`, by cross-multiplication.
fn compare_load(a: &CandidateView<'_>, b: &CandidateView<'_>) -> Ordering {
    let busy = |c: &CandidateView<'_>| u64::from(c.in_flight) + u64::from(c.waiting);
    let cap = |c: &CandidateView<'_>| u64::from(c.concurrency.max(1));
    // busy <= 2^33 and cap < 2^32: the products fit in u64.
    (busy(a) * cap(b)).cmp(&(busy(b) * cap(a)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn cand(name: &str) -> CandidateView<'_> {
        CandidateView {
            name,
            priority: 0,
            in_flight: 0,
            waiting: 0,
            concurrency: 1,
            last_used: 0,
            cooling_until: None,
            usable: true,
        }
    }

    fn names<'a>(cands: &[CandidateView<'a>], choice: &Choice) -> Vec<&'a str> {
        choice
            .order
            .iter()
            .filter_map(|&i| cands.get(i).map(|c| c.name))
            .collect()
    }

    #[test]
    fn table() {
        let now = Instant::now();
        let later = now + Duration::from_secs(30);
        let earlier = now - Duration::from_secs(1);
        struct Case<'a> {
            what: &'a str,
            cands: Vec<CandidateView<'a>>,
            sticky: Option<&'a str>,
            tried: &'a [&'a str],
            want: &'a [&'a str],
            want_sticky: bool,
        }
        let cases = [
            Case {
                what: "sticky first, even when busy and of worse priority",
                cands: vec![
                    cand("a"),
                    CandidateView {
                        priority: 5,
                        in_flight: 4,
                        waiting: 2,
                        concurrency: 4,
                        last_used: 99,
                        ..cand("b")
                    },
                    cand("c"),
                ],
                sticky: Some("b"),
                tried: &[],
                want: &["b", "a", "c"],
                want_sticky: true,
            },
            Case {
                what: "cooling sticky account is skipped",
                cands: vec![
                    cand("a"),
                    CandidateView {
                        cooling_until: Some(later),
                        ..cand("b")
                    },
                ],
                sticky: Some("b"),
                tried: &[],
                want: &["a"],
                want_sticky: false,
            },
            Case {
                what: "a cooldown that has ended does not count",
                cands: vec![
                    cand("a"),
                    CandidateView {
                        cooling_until: Some(earlier),
                        ..cand("b")
                    },
                    CandidateView {
                        cooling_until: Some(now),
                        ..cand("c")
                    },
                ],
                sticky: Some("b"),
                tried: &[],
                want: &["b", "a", "c"],
                want_sticky: true,
            },
            Case {
                what: "unusable sticky account is skipped",
                cands: vec![
                    cand("a"),
                    CandidateView {
                        usable: false,
                        ..cand("b")
                    },
                ],
                sticky: Some("b"),
                tried: &[],
                want: &["a"],
                want_sticky: false,
            },
            Case {
                what: "tried accounts are skipped, sticky included",
                cands: vec![cand("a"), cand("b"), cand("c")],
                sticky: Some("b"),
                tried: &["b", "c"],
                want: &["a"],
                want_sticky: false,
            },
            Case {
                what: "unknown sticky name is ignored",
                cands: vec![cand("a"), cand("b")],
                sticky: Some("zz"),
                tried: &[],
                want: &["a", "b"],
                want_sticky: false,
            },
            Case {
                what: "priority beats load",
                cands: vec![
                    CandidateView {
                        priority: 2,
                        ..cand("idle")
                    },
                    CandidateView {
                        priority: 1,
                        in_flight: 10,
                        waiting: 5,
                        concurrency: 2,
                        ..cand("busy")
                    },
                ],
                sticky: None,
                tried: &[],
                want: &["busy", "idle"],
                want_sticky: false,
            },
            Case {
                what: "load beats least recently used",
                cands: vec![
                    CandidateView {
                        in_flight: 1,
                        concurrency: 4,
                        last_used: 0,
                        ..cand("never-used-but-loaded")
                    },
                    CandidateView {
                        concurrency: 4,
                        last_used: 50,
                        ..cand("used-idle")
                    },
                ],
                sticky: None,
                tried: &[],
                want: &["used-idle", "never-used-but-loaded"],
                want_sticky: false,
            },
            Case {
                what: "waiting counts as load",
                cands: vec![
                    CandidateView {
                        waiting: 1,
                        concurrency: 2,
                        ..cand("a")
                    },
                    CandidateView {
                        in_flight: 0,
                        concurrency: 2,
                        last_used: 7,
                        ..cand("b")
                    },
                ],
                sticky: None,
                tried: &[],
                want: &["b", "a"],
                want_sticky: false,
            },
            Case {
                what: "exact fractions: 1/3 < 2/5",
                cands: vec![
                    CandidateView {
                        in_flight: 2,
                        concurrency: 5,
                        ..cand("two-fifths")
                    },
                    CandidateView {
                        in_flight: 1,
                        concurrency: 3,
                        last_used: 9,
                        ..cand("one-third")
                    },
                ],
                sticky: None,
                tried: &[],
                want: &["one-third", "two-fifths"],
                want_sticky: false,
            },
            Case {
                what: "equal fractions 2/4 = 1/2 fall to LRU",
                cands: vec![
                    CandidateView {
                        in_flight: 2,
                        concurrency: 4,
                        last_used: 3,
                        ..cand("a")
                    },
                    CandidateView {
                        in_flight: 1,
                        concurrency: 2,
                        last_used: 2,
                        ..cand("b")
                    },
                ],
                sticky: None,
                tried: &[],
                want: &["b", "a"],
                want_sticky: false,
            },
            Case {
                what: "never used first, then by last use, then by name",
                cands: vec![
                    CandidateView {
                        last_used: 5,
                        ..cand("x")
                    },
                    CandidateView {
                        last_used: 0,
                        ..cand("z")
                    },
                    CandidateView {
                        last_used: 0,
                        ..cand("y")
                    },
                    CandidateView {
                        last_used: 2,
                        ..cand("w")
                    },
                ],
                sticky: None,
                tried: &[],
                want: &["y", "z", "w", "x"],
                want_sticky: false,
            },
            Case {
                what: "concurrency 0 is treated as 1, and huge counts do not overflow",
                cands: vec![
                    CandidateView {
                        in_flight: u32::MAX,
                        waiting: u32::MAX,
                        concurrency: u32::MAX,
                        ..cand("huge")
                    },
                    CandidateView {
                        in_flight: 1,
                        concurrency: 0,
                        ..cand("zero")
                    },
                    CandidateView {
                        in_flight: 3,
                        concurrency: 1,
                        ..cand("three")
                    },
                ],
                sticky: None,
                tried: &[],
                want: &["zero", "huge", "three"],
                want_sticky: false,
            },
            Case {
                what: "all ineligible",
                cands: vec![
                    CandidateView {
                        usable: false,
                        ..cand("a")
                    },
                    CandidateView {
                        cooling_until: Some(later),
                        ..cand("b")
                    },
                    cand("c"),
                ],
                sticky: Some("a"),
                tried: &["c"],
                want: &[],
                want_sticky: false,
            },
            Case {
                what: "no candidates",
                cands: vec![],
                sticky: Some("a"),
                tried: &[],
                want: &[],
                want_sticky: false,
            },
        ];
        for case in &cases {
            let choice = rank(&case.cands, case.sticky, case.tried, now);
            assert_eq!(names(&case.cands, &choice), case.want, "{}", case.what);
            assert_eq!(choice.sticky, case.want_sticky, "{}", case.what);
        }
    }

    #[test]
    fn free_slot() {
        let c = CandidateView {
            in_flight: 1,
            concurrency: 2,
            ..cand("a")
        };
        assert!(has_free_slot(&c));
        let c = CandidateView { in_flight: 2, ..c };
        assert!(!has_free_slot(&c));
    }

    /// Small deterministic PRNG (xorshift64*), so the property tests need no extra crates.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }

        fn small(&mut self, n: u64) -> u32 {
            u32::try_from(self.below(n)).unwrap_or(0)
        }
    }

    const NAMES: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

    /// Random candidates over a small value space, so ties are frequent.
    fn random_cands(rng: &mut Rng, now: Instant) -> Vec<CandidateView<'static>> {
        let n = rng.below(9);
        (0..n)
            .map(|i| CandidateView {
                name: NAMES
                    .get(usize::try_from(i).unwrap_or(0))
                    .copied()
                    .unwrap_or("a"),
                priority: rng.small(3),
                in_flight: rng.small(5),
                waiting: rng.small(3),
                concurrency: rng.small(5) + 1,
                last_used: rng.below(4),
                cooling_until: match rng.below(4) {
                    0 => Some(now + Duration::from_secs(5)),
                    1 => Some(now - Duration::from_secs(5)),
                    _ => None,
                },
                usable: rng.below(5) != 0,
            })
            .collect()
    }

    #[test]
    fn properties_hold_on_random_inputs() {
        let now = Instant::now();
        let mut rng = Rng(0x5EED_1234);
        let mut seen_sticky = 0;
        for _ in 0..20_000 {
            let cands = random_cands(&mut rng, now);
            let tried: Vec<&str> = NAMES
                .iter()
                .copied()
                .filter(|_| rng.below(6) == 0)
                .collect();
            let sticky = match rng.below(3) {
                0 => None,
                _ => NAMES
                    .get(usize::try_from(rng.below(10)).unwrap_or(0))
                    .copied(),
            };
            let choice = rank(&cands, sticky, &tried, now);

            // A permutation of the eligible set.
            let mut sorted = choice.order.clone();
            sorted.sort_unstable();
            let eligible: Vec<usize> = cands
                .iter()
                .enumerate()
                .filter(|(_, c)| is_eligible(c, &tried, now))
                .map(|(i, _)| i)
                .collect();
            assert_eq!(sorted, eligible, "{cands:?} {tried:?}");
            for &i in &choice.order {
                let Some(c) = cands.get(i) else {
                    panic!("index {i} out of range");
                };
                assert!(c.usable && !tried.contains(&c.name));
                assert!(c.cooling_until.is_none_or(|u| u <= now));
            }

            // The sticky head, exactly when the sticky account is eligible.
            let sticky_eligible = sticky.is_some_and(|s| {
                cands
                    .iter()
                    .any(|c| c.name == s && is_eligible(c, &tried, now))
            });
            assert_eq!(choice.sticky, sticky_eligible);
            let rest = if choice.sticky {
                seen_sticky += 1;
                let head = choice.order.first().and_then(|&i| cands.get(i));
                assert_eq!(head.map(|c| c.name), sticky);
                choice.order.get(1..).unwrap_or_default()
            } else {
                &choice.order[..]
            };

            // Sorted by (priority, exact load, last_used) after the head.
            for pair in rest.windows(2) {
                let (Some(x), Some(y)) = (
                    pair.first().and_then(|&i| cands.get(i)),
                    pair.get(1).and_then(|&i| cands.get(i)),
                ) else {
                    panic!("bad pair {pair:?}");
                };
                let load = |c: &CandidateView<'_>| {
                    (u64::from(c.in_flight + c.waiting), u64::from(c.concurrency))
                };
                let ((xn, xd), (yn, yd)) = (load(x), load(y));
                let key_x = (x.priority, xn * yd, x.last_used);
                let key_y = (y.priority, yn * xd, y.last_used);
                assert!(
                    x.priority < y.priority
                        || (x.priority == y.priority && xn * yd < yn * xd)
                        || (x.priority == y.priority
                            && xn * yd == yn * xd
                            && x.last_used <= y.last_used),
                    "{key_x:?} then {key_y:?} in {cands:?}"
                );
                assert!(compare(x, y) != Ordering::Greater);
            }
            // Deterministic.
            assert_eq!(rank(&cands, sticky, &tried, now), choice);
        }
        assert!(seen_sticky > 1_000, "{seen_sticky}");
    }
}

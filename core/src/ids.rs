//! Identifiers: time-ordered request ids and random bytes from the OS.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), crate::Error> {
    getrandom::fill(buf)
        .map_err(|e| crate::Error::internal("random_unavailable", format!("no OS randomness: {e}")))
}

/// A new request id: `req_` + 12 hex digits of milliseconds + 12 hex digits that are unique
/// within this process (a random start, then a counter). Sortable by time.
pub fn request_id() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut n = COUNTER.fetch_add(1, Ordering::Relaxed);
    if n == 0 {
        let mut seed = [0u8; 8];
        if random_bytes(&mut seed).is_ok() {
            let start = u64::from_le_bytes(seed) & 0x0000_7fff_ffff_ffff;
            // Only the first caller seeds; a racing caller keeps its counter value.
            let _ = COUNTER.compare_exchange(1, start + 1, Ordering::Relaxed, Ordering::Relaxed);
            n = start;
        }
    }
    let mut id = String::with_capacity(28);
    id.push_str("req_");
    push_hex12(&mut id, u64::try_from(ms).unwrap_or(u64::MAX));
    push_hex12(&mut id, n);
    id
}

/// The low 48 bits of `v` as 12 lowercase hex digits (`{:012x}` of them, without the
/// formatter: every request takes an id).
fn push_hex12(s: &mut String, v: u64) {
    for shift in (0..12).rev() {
        let digit = u32::try_from((v >> (shift * 4)) & 0xf).unwrap_or(0);
        s.push(char::from_digit(digit, 16).unwrap_or('0'));
    }
}

/// Current time as RFC 3339 UTC with milliseconds, e.g. `2026-11-27T17:21:22.123Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let d = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let (y, mo, da) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{mo:02}-{da:02}T{h:02}:{m:02}:{s:02}.{:03}Z",
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn hex_digits_are_the_formatters() {
        let mut v = 0x0123_4567_89ab_cdefu64;
        for _ in 0..1_000 {
            v = v.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            for x in [v, 0, u64::MAX, v >> 20] {
                let mut s = String::new();
                push_hex12(&mut s, x);
                assert_eq!(s, format!("{:012x}", x & 0xffff_ffff_ffff));
            }
        }
        let id = request_id();
        assert!(id.starts_with("req_") && id.len() == 28, "{id}");
    }

    #[test]
    fn request_ids_are_unique_and_shaped() {
        let a = request_id();
        let b = request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 28);
        assert!(a.starts_with("req_"));
        assert!(a[4..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_800_082_123);
        assert_eq!(rfc3339(t), "2026-11-27T17:21:22.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }
}

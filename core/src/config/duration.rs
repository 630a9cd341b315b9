//! Human-friendly durations in the config file and environment: `500ms`, `30s`, `1h30m`, `2d`.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// The unit syntax, quoted in every duration error message.
const UNIT_HINT: &str = "write a number with a unit, e.g. `500ms`, `30s`, `10m`, `1h30m` or `2d`";

/// Parses a duration such as `500ms`, `30s`, `10m`, `1h`, `1h30m` or `2d`.
///
/// A duration is one or more `<integer><unit>` parts, unit one of `ms`, `s`, `m`, `h`, `d`;
/// the parts add up. A bare number is rejected: its unit would be a guess.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let text = s.trim();
    if text.is_empty() {
        return Err(format!("empty duration: {UNIT_HINT}"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` has no unit: {UNIT_HINT}"));
    }
    let mut total: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("`{text}` is not a duration: {UNIT_HINT}"));
        }
        let (number, after) = rest.split_at(digits);
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let millis_per: u128 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => {
                return Err(format!(
                    "`{text}` is missing a unit after `{number}`: {UNIT_HINT}"
                ));
            }
            other => {
                return Err(format!(
                    "`{text}` has an unknown unit `{other}` (use ms, s, m, h or d)"
                ));
            }
        };
        let value: u128 = number
            .parse()
            .map_err(|_| format!("`{text}` is too large"))?;
        total = value
            .checked_mul(millis_per)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("`{text}` is too large"))?;
        rest = after;
    }
    let millis = u64::try_from(total).map_err(|_| format!("`{text}` is too large"))?;
    Ok(Duration::from_millis(millis))
}

/// Formats a duration in the syntax [`parse_duration`] reads, using the largest exact units
/// (`1h30m`, `30s`, `500ms`, `0s`).
pub fn format_duration(d: Duration) -> String {
    let mut millis = d.as_millis();
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("d", 86_400_000u128),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if millis >= size {
            out.push_str(&format!("{}{unit}", millis / size));
            millis %= size;
        }
    }
    out
}

/// A duration as it appears in the config file (a string like `30s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Dur(pub(super) Duration);

impl<'de> serde::Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DurVisitor)
    }
}

struct DurVisitor;

impl Visitor<'_> for DurVisitor {
    type Value = Dur;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a duration like `30s`")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
        parse_duration(v).map(Dur).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
        Err(E::custom(format!(
            "expected a duration like `30s`, found the bare number {v}: {UNIT_HINT}"
        )))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
        Err(E::custom(format!(
            "expected a duration like `30s`, found the bare number {v}: {UNIT_HINT}"
        )))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
        Err(E::custom(format!(
            "expected a duration like `30s`, found the bare number {v}: {UNIT_HINT}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::TestResult;
    use super::*;

    #[test]
    fn parses_units_and_compounds() -> TestResult {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(2 * 86400)));
        assert_eq!(parse_duration(" 0s "), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1m500ms"), Ok(Duration::from_millis(60_500)));
        Ok(())
    }

    #[test]
    fn rejects_bare_numbers_and_junk() -> TestResult {
        let err = parse_duration("30").err().ok_or("expected an error")?;
        assert!(err.contains("no unit") && err.contains("`30s`"), "{err}");
        assert!(parse_duration("").is_err());
        assert!(
            parse_duration("30x")
                .err()
                .ok_or("expected an error")?
                .contains("unknown unit `x`")
        );
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("1.5s").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("1h 30m").is_err());
        assert!(parse_duration("99999999999999999999999d").is_err());
        Ok(())
    }

    #[test]
    fn format_round_trips() -> TestResult {
        for s in ["0s", "500ms", "30s", "1h", "1h30m", "2d", "180s"] {
            let d = parse_duration(s)?;
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(180)), "3m");
        Ok(())
    }
}

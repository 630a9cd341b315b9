//! Failover policy: what a failed attempt means for the account and the request, how long an
//! upstream says its limits last, and the error a client gets when every account failed.
//! Pure: no I/O and no clock reads (callers pass `now`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::protocol::Dialect;

/// Cooldown after a 429 whose headers say nothing usable.
pub const DEFAULT_RATE_LIMIT: Duration = Duration::from_secs(60);
/// Cooldown after 529 or an overloaded error event.
pub const OVERLOAD_COOLDOWN: Duration = Duration::from_secs(10);
/// Cooldown after a 5xx (or an error event of no known kind).
pub const FAULTY_5XX: Duration = Duration::from_secs(5);
/// Cooldown after a failed connect or a first-byte timeout.
pub const FAULTY_CONNECT: Duration = Duration::from_secs(15);
/// Cooldown after a stream that broke or went idle before anything reached the client.
pub const FAULTY_STREAM: Duration = Duration::from_secs(30);
/// Longest reset honoured: a bogus far-future value must not park an account for weeks.
pub const MAX_RESET: Duration = Duration::from_secs(24 * 3600);
/// Shortest reset honoured.
pub const MIN_RESET: Duration = Duration::from_secs(1);

/// Why an attempt on one account failed, as the pipeline saw it.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Upstream answered with an HTTP error status.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Connect failed (TCP/TLS).
    Connect,
    /// No response head within the first-byte timeout.
    Timeout,
    /// The stream's first event was an error event (before anything reached the client);
    /// `kind` is the upstream error type string when known.
    StreamError { kind: Option<String> },
    /// The stream broke (connection cut, idle timeout) before anything reached the client.
    StreamBroken,
    /// The account's login could not be refreshed (the token endpoint refused or failed).
    Credentials,
}

impl std::fmt::Display for Failure {
    /// In words, for operators: `HTTP 429 (retry after 30s)`, `connection failed` ...
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Status {
                status,
                retry_after: Some(d),
            } => write!(f, "HTTP {status} (retry after {}s)", d.as_secs()),
            Failure::Status { status, .. } => write!(f, "HTTP {status}"),
            Failure::Connect => f.write_str("connection failed"),
            Failure::Timeout => f.write_str("no response in time"),
            Failure::StreamError { kind: Some(k) } => write!(f, "error event `{k}` first"),
            Failure::StreamError { kind: None } => f.write_str("error event first"),
            Failure::StreamBroken => f.write_str("stream broke before the first event"),
            Failure::Credentials => f.write_str("login refresh failed"),
        }
    }
}

/// What to do with the account and the request after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Pass the upstream answer to the client as it is (success, or the client's own error).
    Deliver,
    /// Try the next account; put this one in the given state.
    NextAccount(Penalty),
}

/// The state a failed account is put in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Penalty {
    /// Rate limited: cool down for this long.
    RateLimited(Duration),
    /// Overloaded: cool down for this long.
    Overloaded(Duration),
    /// Credentials (or billing) refused: `auth_error` until cleared.
    AuthError,
    /// A transient upstream or network fault: a short cooldown.
    Faulty(Duration),
}

/// Status-level classification. 2xx (and 1xx/3xx) → `Deliver`. 401, 403 and 402 (billing or a
/// deactivated workspace: the account, not the request, is at fault) → `AuthError`.
/// 429 → `RateLimited` from [`reset_after`], else 60 s. 529 → `Overloaded`. 408 → `Faulty`: the
/// relay sent the whole body at once, so the upstream (or a proxy) gave up, not the client; the
/// same request may well succeed elsewhere. Every 5xx but 501/505 (which say the request itself
/// is unsupported) → `Faulty`, Cloudflare's 520–524 included. Every other status (400, 404, 409
/// — a conflict about the request's own state —, 413, 422, ...) → `Deliver`.
pub fn classify_status(status: u16, headers: &HeaderMap, now: SystemTime) -> Action {
    let penalty = match status {
        401..=403 => Penalty::AuthError,
        429 => Penalty::RateLimited(reset_after(headers, now).unwrap_or(DEFAULT_RATE_LIMIT)),
        529 => Penalty::Overloaded(OVERLOAD_COOLDOWN),
        408 => Penalty::Faulty(FAULTY_5XX),
        501 | 505 => return Action::Deliver,
        500..=599 => Penalty::Faulty(FAULTY_5XX),
        _ => return Action::Deliver,
    };
    Action::NextAccount(penalty)
}

/// Classification of any failure. `Status` as [`classify_status`], except that a 429's own
/// `retry_after` (which the pipeline may have read from a body, e.g. Gemini's
/// `quotaResetDelay`) wins over the headers. Connect/Timeout → `Faulty(15 s)`; StreamBroken →
/// `Faulty(30 s)`; StreamError: overloaded kinds → `Overloaded`, rate-limit kinds →
/// `RateLimited` (headers, else 60 s), anything else → `Faulty(5 s)` like a 5xx.
pub fn classify(failure: &Failure, headers: Option<&HeaderMap>, now: SystemTime) -> Action {
    let empty = HeaderMap::new();
    let headers = headers.unwrap_or(&empty);
    let rate_limited = || reset_after(headers, now).unwrap_or(DEFAULT_RATE_LIMIT);
    let penalty = match failure {
        Failure::Status {
            status: 429,
            retry_after: Some(d),
        } => Penalty::RateLimited((*d).clamp(MIN_RESET, MAX_RESET)),
        Failure::Status { status, .. } => return classify_status(*status, headers, now),
        Failure::Connect | Failure::Timeout => Penalty::Faulty(FAULTY_CONNECT),
        Failure::StreamBroken => Penalty::Faulty(FAULTY_STREAM),
        Failure::Credentials => Penalty::AuthError,
        // Kinds from Anthropic, OpenAI, Codex and Gemini (`UNAVAILABLE`, `RESOURCE_EXHAUSTED`),
        // compared lower-cased.
        Failure::StreamError { kind } => {
            let k = kind.as_deref().unwrap_or_default().to_ascii_lowercase();
            let is = |kinds: &str| kinds.split_ascii_whitespace().any(|x| x == k);
            if is(OVERLOADED_KINDS) {
                Penalty::Overloaded(OVERLOAD_COOLDOWN)
            } else if is(RATE_LIMIT_KINDS) {
                Penalty::RateLimited(rate_limited())
            } else {
                Penalty::Faulty(FAULTY_5XX)
            }
        }
    };
    Action::NextAccount(penalty)
}

const OVERLOADED_KINDS: &str = "overloaded_error server_is_overloaded overloaded unavailable";
const RATE_LIMIT_KINDS: &str = "rate_limit_error rate_limit_exceeded rate_limited \
    usage_limit_reached insufficient_quota resource_exhausted too_many_requests";

/// The time until the upstream says the limit resets, clamped to 1 s ..= 24 h; `None` when no
/// header parses. `retry-after-ms`, then `retry-after` (seconds or an HTTP-date), are the
/// upstream's instruction for this very response and win. Otherwise every per-limit reset is
/// read — `anthropic-ratelimit-unified-reset` (Unix seconds), `anthropic-ratelimit-{requests,
/// tokens,input-tokens,output-tokens}-reset` (RFC 3339), `x-ratelimit-reset-{requests,tokens}`
/// (Go durations), `x-codex-{primary,secondary}-reset-after-seconds` (or `-reset-at`, Unix) —
/// and absolute times already past are dropped. A limit whose companion header says it is not
/// exhausted (`…-remaining` > 0, `x-codex-…-used-percent` < 100, unified status `allowed`) is
/// ignored; of the rest the LATEST reset is taken, since the account is unusable until every
/// exhausted limit has reset. When every limit present is known not to be exhausted the headers
/// do not explain the 429 and the answer is `None` (the caller's default applies).
pub fn reset_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    retry_after(headers, now)
        .or_else(|| latest_reset(headers, now))
        .map(|d| d.clamp(MIN_RESET, MAX_RESET))
}

fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(d) = header(headers, "retry-after-ms").and_then(|v| decimal(v, NANOS_PER_MS)) {
        return Some(d);
    }
    let v = header(headers, "retry-after")?;
    decimal(v, NANOS_PER_SEC)
        .or_else(|| http_date(v).map(|t| t.duration_since(now).unwrap_or(Duration::ZERO)))
}

/// The latest reset among the exhausted (or not known to be spared) limits; see [`reset_after`].
fn latest_reset(h: &HeaderMap, now: SystemTime) -> Option<Duration> {
    // A point in time from a header, as the time left (None once past).
    let at = |name: &str, parse: fn(&str) -> Option<SystemTime>| {
        parse(header(h, name)?)?.duration_since(now).ok()
    };
    let secs = |name: &str| decimal(header(h, name)?, NANOS_PER_SEC);
    let num = |name: &str| header(h, name)?.parse::<f64>().ok();
    // (time left, exhausted: None when unknown)
    let mut windows: Vec<(Option<Duration>, Option<bool>)> = Vec::new();
    let status = header(h, "anthropic-ratelimit-unified-status");
    let unified = at("anthropic-ratelimit-unified-reset", unix);
    windows.push((unified, status.map(|s| s == "rejected")));
    for l in ["requests", "tokens", "input-tokens", "output-tokens"] {
        let left = at(&format!("anthropic-ratelimit-{l}-reset"), rfc3339);
        let remaining = num(&format!("anthropic-ratelimit-{l}-remaining"));
        windows.push((left, remaining.map(|r| r <= 0.0)));
    }
    for l in ["requests", "tokens"] {
        let left = header(h, &format!("x-ratelimit-reset-{l}")).and_then(go_duration);
        let remaining = num(&format!("x-ratelimit-remaining-{l}"));
        windows.push((left, remaining.map(|r| r <= 0.0)));
    }
    for w in ["primary", "secondary"] {
        let after = secs(&format!("x-codex-{w}-reset-after-seconds"));
        let left = after.or_else(|| at(&format!("x-codex-{w}-reset-at"), unix));
        let used = num(&format!("x-codex-{w}-used-percent"));
        windows.push((left, used.map(|p| p >= 100.0)));
    }
    let exhausted = windows
        .into_iter()
        .filter(|(_, spent)| *spent != Some(false));
    exhausted.filter_map(|(left, _)| left).max()
}

/// A header's value, trimmed; `None` when absent, not visible ASCII, or empty.
fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let v = h.get(name)?.to_str().ok()?.trim();
    (!v.is_empty()).then_some(v)
}

const NANOS_PER_MS: u128 = 1_000_000;
const NANOS_PER_SEC: u128 = 1_000_000_000;

/// `123` or `123.45` (no sign) in units of `unit` nanoseconds.
fn decimal(s: &str, unit: u128) -> Option<Duration> {
    let (n, rest) = number(s, unit)?;
    rest.is_empty().then(|| nanos_to_duration(n)).flatten()
}

/// A leading unsigned decimal number in units of `unit` nanoseconds, and the rest of `s`.
fn number(s: &str, unit: u128) -> Option<(u128, &str)> {
    let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
    let (int, rest) = s.split_at_checked(int_len)?;
    let (frac, rest) = match rest.strip_prefix('.') {
        Some(r) => r.split_at_checked(r.bytes().take_while(u8::is_ascii_digit).count())?,
        None => ("", rest),
    };
    if (int.is_empty() && frac.is_empty()) || int.len() > 20 {
        return None;
    }
    let frac = frac.get(..frac.len().min(18)).unwrap_or_default();
    let value = |digits: &str| {
        digits
            .parse::<u128>()
            .map_or(Some(0), |n| n.checked_mul(unit))
    };
    let scale = 10u128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    Some((value(int)?.checked_add(value(frac)? / scale)?, rest))
}

fn nanos_to_duration(n: u128) -> Option<Duration> {
    let secs = u64::try_from(n / NANOS_PER_SEC).ok()?;
    let nanos = u32::try_from(n % NANOS_PER_SEC).ok()?;
    Some(Duration::new(secs, nanos))
}

/// A Go `time.Duration` string as OpenAI sends it (`20ms`, `6m0s`, `1h2m3.5s`); a bare number
/// (as some compatible servers send) is read as seconds. Negative values are rejected.
fn go_duration(s: &str) -> Option<Duration> {
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() {
        return None;
    }
    if let Some(d) = decimal(rest, NANOS_PER_SEC) {
        return Some(d);
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (_, after_num) = number(rest, 1)?;
        let end = after_num.find(|c: char| c.is_ascii_digit() || c == '.');
        let (unit, next) = after_num.split_at_checked(end.unwrap_or(after_num.len()))?;
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => NANOS_PER_MS,
            "s" => NANOS_PER_SEC,
            "m" => 60 * NANOS_PER_SEC,
            "h" => 3600 * NANOS_PER_SEC,
            _ => return None,
        };
        total = total.checked_add(number(rest, scale)?.0)?;
        rest = next;
    }
    nanos_to_duration(total)
}

/// Unix seconds (fractions allowed) as a point in time.
fn unix(s: &str) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(decimal(s, NANOS_PER_SEC)?)
}

/// An all-digit field as a number.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// A UTC civil time (validated) minus `offset` seconds, as a point in time.
fn civil(date: [u32; 3], time: [u32; 3], nanos: u32, offset: i64) -> Option<SystemTime> {
    let ([y, mo, d], [h, mi, s]) = (date, time);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let max_day = match mo {
        2 => 28 + u32::from(leap),
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1..=max_day).contains(&d) || h > 23 || mi > 59 || s > 60 || !(1970..=9999).contains(&y) {
        return None;
    }
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil, years ≥ 1970 only).
    let (y, m) = (i64::from(if mo <= 2 { y - 1 } else { y }), i64::from(mo));
    let (era, yoe) = (y / 400, y % 400);
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + i64::from(d) - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + s) - offset;
    UNIX_EPOCH.checked_add(Duration::new(u64::try_from(secs).ok()?, nanos))
}

/// RFC 3339: `2025-01-01T00:00:42Z`, `2025-01-01T01:00:42.5+01:00`.
fn rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let field = |from: usize, to: usize| digits(b.get(from..to)?);
    let date = [field(0, 4)?, field(5, 7)?, field(8, 10)?];
    let time = [field(11, 13)?, field(14, 16)?, field(17, 19)?];
    let rest = s.get(19..)?;
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => r.split_at_checked(r.bytes().take_while(u8::is_ascii_digit).count())?,
        None => ("0", rest),
    };
    let nanos = decimal(&format!("0.{frac}"), NANOS_PER_SEC)?.subsec_nanos();
    let offset = match zone.as_bytes() {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let secs = i64::from(digits(&[*h1, *h2])? * 3600 + digits(&[*m1, *m2])? * 60);
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    civil(date, time, nanos, offset)
}

/// IMF-fixdate: `Wed, 01 Jan 2025 00:01:30 GMT` (the day name is not checked).
fn http_date(s: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    let [wkday, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: &str = "JanFebMarAprMayJunJulAugSepOctNovDec";
    let mo = MONTHS.find(*month).filter(|i| i % 3 == 0)? / 3;
    let t: Vec<&str> = time.split(':').collect();
    let [h, mi, sec] = t.as_slice() else {
        return None;
    };
    let two = [*day, *h, *mi, *sec].iter().all(|f| f.len() == 2);
    if !wkday.ends_with(',') || month.len() != 3 || year.len() != 4 || !two {
        return None;
    }
    let n = |f: &str| digits(f.as_bytes());
    let date = [n(year)?, u32::try_from(mo + 1).ok()?, n(day)?];
    civil(date, [n(h)?, n(mi)?, n(sec)?], 0, 0)
}

/// The error a client gets when every attempt failed. All rate limited → 429 (`rate_limited`)
/// with `retry_after` = the earliest reset, whole seconds rounded up. Only rate limits and
/// overloads, at least one overload → 503 (`overloaded`) with `retry_after` = the earliest
/// cooldown (the first account back). Anything else → 502 (`upstream_unavailable`). The message
/// names the accounts tried and what happened on each; it never holds secrets.
pub fn exhausted(attempts: &[(String, Failure, Action)]) -> Error {
    if attempts.is_empty() {
        return Error::upstream(
            "upstream_unavailable",
            "no account could be tried; check the accounts on the relay dashboard, then retry",
        );
    }
    let mut names: Vec<&str> = attempts.iter().map(|(n, _, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let list: Vec<String> = attempts
        .iter()
        .map(|(n, f, a)| describe(n, f, *a))
        .collect();
    let head = match names.len() {
        1 => format!("the only account tried failed ({})", list.join("; ")),
        n => format!("all {n} accounts failed ({})", list.join("; ")),
    };
    let (mut limited, mut overloaded) = (Vec::new(), Vec::new());
    for (_, _, action) in attempts {
        match action {
            Action::NextAccount(Penalty::RateLimited(d)) => limited.push(*d),
            Action::NextAccount(Penalty::Overloaded(d)) => overloaded.push(*d),
            _ => {}
        }
    }
    let earliest = limited.iter().chain(&overloaded).min().copied();
    let wait = ceil_secs(earliest.unwrap_or(MIN_RESET));
    if limited.len() == attempts.len() {
        let (kind, status) = (ErrorKind::RateLimit, StatusCode::TOO_MANY_REQUESTS);
        let msg = format!("{head}; retry in {wait}s");
        Error::new(kind, status, "rate_limited", msg).with_retry_after(wait)
    } else if !overloaded.is_empty() && limited.len() + overloaded.len() == attempts.len() {
        let (kind, status) = (ErrorKind::Overloaded, StatusCode::SERVICE_UNAVAILABLE);
        let msg = format!("{head}; the upstream is overloaded, retry in {wait}s");
        Error::new(kind, status, "overloaded", msg).with_retry_after(wait)
    } else {
        let refused = Action::NextAccount(Penalty::AuthError);
        let auth = attempts.iter().any(|(_, _, a)| *a == refused);
        let hint = match auth {
            true => "; check the refused credentials (the relay dashboard shows which account)",
            false => "",
        };
        Error::upstream("upstream_unavailable", format!("{head}; retry later{hint}"))
    }
}

/// Whole seconds, rounded up, at least 1.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs()
        .saturating_add(u64::from(d.subsec_nanos() > 0))
        .max(1)
}

/// `42s`, `5m 3s`, `2h 5m`.
fn human(d: Duration) -> String {
    let s = ceil_secs(d);
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// `name: what happened`, for the exhausted message.
fn describe(name: &str, failure: &Failure, action: Action) -> String {
    let what = match (action, failure) {
        (Action::NextAccount(Penalty::RateLimited(d)), _) => {
            return format!("{name}: rate limited, resets in {}", human(d));
        }
        (Action::NextAccount(Penalty::Overloaded(_)), _) => "overloaded",
        (Action::NextAccount(Penalty::AuthError), Failure::Status { status, .. }) => {
            return format!("{name}: credentials refused (HTTP {status})");
        }
        (_, Failure::Credentials) => "login refresh failed",
        (Action::NextAccount(Penalty::AuthError), _) => "credentials refused",
        (_, Failure::Status { status, .. }) => return format!("{name}: HTTP {status}"),
        (_, Failure::StreamError { kind: Some(k) }) => {
            let safe = |c: &char| c.is_ascii_alphanumeric() || "_.-".contains(*c);
            let k: String = k.chars().filter(safe).take(64).collect();
            return format!("{name}: error event {k}");
        }
        (_, Failure::Connect) => "connection failed",
        (_, Failure::Timeout) => "no response in time",
        (_, Failure::StreamError { kind: None }) => "error event",
        (_, Failure::StreamBroken) => "stream broke before any output",
    };
    format!("{name}: {what}")
}

/// The error type of an upstream error event, from its JSON data. Each dialect's own shape is
/// tried first — Anthropic `error.type`; Chat `error.code`, then `error.type`; Responses
/// `response.error.code` (`response.failed`), then the `error` event's `code`; Gemini
/// `error.status` — then the other shapes, since relays and converters mix them. Only short
/// non-empty strings count (numeric codes such as Gemini's `error.code` are skipped).
pub fn stream_error_kind(dialect: Dialect, data: &str) -> Option<String> {
    let v: Value = serde_json::from_str(data).ok()?;
    let own = match dialect {
        Dialect::Anthropic => "/error/type",
        Dialect::OpenAiChat => "/error/code /error/type",
        Dialect::OpenAiResponses => "/response/error/code /code /error/code",
        Dialect::Gemini => "/error/status",
    };
    const ANY: &str = "/error/code /error/type /error/status /response/error/code \
        /response/error/type /code /error";
    let paths = own.split(' ').chain(ANY.split_ascii_whitespace());
    paths
        .filter_map(|p| v.pointer(p)?.as_str())
        .map(str::trim)
        .find_map(|s| (!s.is_empty() && s.len() <= 64).then(|| s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{HeaderName, HeaderValue};

    /// 2025-01-01T00:00:00Z, a Wednesday.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_735_689_600)
    }

    /// `"name: value | name: value"` as headers.
    fn headers(spec: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in spec
            .split(" | ")
            .filter_map(|kv| kv.trim().split_once(": "))
        {
            let (k, v) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            );
            if let (Ok(k), Ok(v)) = (k, v) {
                h.append(k, v);
            }
        }
        h
    }

    /// Table lines `input => expected`; blank lines and `#` comments skipped.
    fn cases(table: &str) -> impl Iterator<Item = (&str, &str)> {
        let lines = table.lines().map(str::trim);
        let lines = lines.filter(|l| !l.is_empty() && !l.starts_with('#'));
        lines.map(|l| l.rsplit_once(" => ").unwrap_or((l, "?")))
    }

    #[test]
    fn every_status() {
        let table = "
            100 200 204 304 400 404 409 413 422 501 505 => Deliver
            401 402 403 => NextAccount(AuthError)
            408 500 502 503 504 520 => NextAccount(Faulty(5s))
            429 => NextAccount(RateLimited(60s))
            529 => NextAccount(Overloaded(10s))";
        for (statuses, want) in cases(table) {
            for status in statuses.split(' ') {
                let got = status
                    .parse()
                    .map(|s| classify_status(s, &HeaderMap::new(), now()));
                assert_eq!(
                    got.map(|a| format!("{a:?}")).as_deref(),
                    Ok(want),
                    "{status}"
                );
            }
        }
        let h = headers("retry-after: 30");
        let want = Action::NextAccount(Penalty::RateLimited(Duration::from_secs(30)));
        assert_eq!(classify_status(429, &h, now()), want);
        let want = Action::NextAccount(Penalty::Overloaded(OVERLOAD_COOLDOWN));
        assert_eq!(classify_status(529, &h, now()), want);
    }

    #[test]
    fn reset_headers() {
        let table = "
            (no headers) => None
            retry-after: 30 => Some(30s)
            retry-after: 0 => Some(1s)
            retry-after: Wed, 01 Jan 2025 00:01:30 GMT => Some(90s)
            retry-after: Tue, 31 Dec 2024 23:00:00 GMT => Some(1s)
            retry-after-ms: 1500 | retry-after: 9 => Some(1.5s)
            anthropic-ratelimit-requests-reset: 2025-01-01T00:00:42Z => Some(42s)
            anthropic-ratelimit-tokens-reset: 2025-01-01T01:00:20.5+01:00 => Some(20.5s)
            anthropic-ratelimit-input-tokens-reset: 2024-12-31T19:00:07-05:00 => Some(7s)
            anthropic-ratelimit-output-tokens-reset: 2024-12-31T23:59:00Z => None
            # Several limits: the latest one still ahead ...
            anthropic-ratelimit-requests-reset: 2025-01-01T00:00:10Z \
              | anthropic-ratelimit-tokens-reset: 2025-01-01T00:00:50Z \
              | anthropic-ratelimit-input-tokens-reset: 2025-01-01T00:00:30Z \
              | anthropic-ratelimit-output-tokens-reset: 2024-12-31T23:59:00Z => Some(50s)
            # ... but a limit with quota left does not hold the account.
            anthropic-ratelimit-requests-remaining: 0 \
              | anthropic-ratelimit-requests-reset: 2025-01-01T00:00:10Z \
              | anthropic-ratelimit-tokens-remaining: 5000 \
              | anthropic-ratelimit-tokens-reset: 2025-01-01T00:00:50Z => Some(10s)
            anthropic-ratelimit-unified-reset: 1735693200 => Some(3600s)
            anthropic-ratelimit-unified-status: rejected \
              | anthropic-ratelimit-unified-reset: 1735690500 => Some(900s)
            anthropic-ratelimit-unified-status: allowed \
              | anthropic-ratelimit-unified-reset: 1735690500 => None
            x-ratelimit-reset-requests: 6m0s => Some(360s)
            x-ratelimit-reset-tokens: 1h2m3.5s => Some(3723.5s)
            x-ratelimit-reset-requests: 20ms => Some(1s)
            x-ratelimit-reset-requests: 1s | x-ratelimit-reset-tokens: 6m0s => Some(360s)
            x-ratelimit-remaining-requests: 0 | x-ratelimit-reset-requests: 2s \
              | x-ratelimit-remaining-tokens: 1000 | x-ratelimit-reset-tokens: 6m0s => Some(2s)
            x-codex-primary-reset-after-seconds: 3600 => Some(3600s)
            x-codex-secondary-reset-at: 1735689720 => Some(120s)
            x-codex-primary-used-percent: 100 | x-codex-primary-reset-after-seconds: 600 \
              | x-codex-secondary-used-percent: 40 \
              | x-codex-secondary-reset-after-seconds: 90000 => Some(600s)
            x-codex-primary-used-percent: 100 | x-codex-primary-reset-after-seconds: 600 \
              | x-codex-secondary-used-percent: 100.0 \
              | x-codex-secondary-reset-after-seconds: 7200 => Some(7200s)
            # No limit exhausted: the headers do not explain the 429.
            x-codex-primary-used-percent: 42 | x-codex-primary-reset-after-seconds: 600 \
              | x-codex-secondary-used-percent: 94 \
              | x-codex-secondary-reset-after-seconds: 90000 => None
            # retry-after is the instruction for this very response.
            retry-after: 5 | anthropic-ratelimit-unified-reset: 1735693200 => Some(5s)
            # A bogus 18-day value parks the account for a day at most.
            retry-after: 1555200 => Some(86400s)
            anthropic-ratelimit-unified-reset: 1737244800 => Some(86400s)
            anthropic-ratelimit-tokens-reset: 2025-01-19T00:00:00Z => Some(86400s)
            x-ratelimit-reset-tokens: 432h => Some(86400s)
            x-codex-secondary-reset-after-seconds: 1555200 => Some(86400s)
            # Garbage is ignored.
            retry-after: soon | x-ratelimit-reset-tokens: 7s => Some(7s)
            retry-after: -5 => None
            retry-after: Wed, 32 Jan 2025 00:01:30 GMT => None
            retry-after: Wed, 01 Jan 2025 00:01:30 UTC => None
            retry-after-ms: 1e3 => None
            anthropic-ratelimit-requests-reset: tomorrow => None
            anthropic-ratelimit-requests-reset: 2025-02-30T00:00:00Z => None
            anthropic-ratelimit-requests-reset: 2025-01-01T00:00:42 => None
            anthropic-ratelimit-unified-reset: abc => None
            x-ratelimit-reset-requests: 6 minutes => None
            x-ratelimit-reset-requests: -1s => None
            x-codex-primary-reset-after-seconds: -5 => None";
        for (spec, want) in cases(table) {
            let got = reset_after(&headers(spec), now());
            assert_eq!(format!("{got:?}"), want, "{spec}");
        }
    }

    #[test]
    fn go_durations() {
        let table = "
            0 => Some(0ns)
            12 => Some(12s)
            1.5h => Some(5400s)
            2m3s => Some(123s)
            .5s => Some(500ms)
            100us => Some(100µs)
            7µs => Some(7µs)
            9ns => Some(9ns)
            +1s => Some(1s)";
        for (s, want) in cases(table) {
            assert_eq!(format!("{:?}", go_duration(s)), want, "{s}");
        }
        for bad in [
            "",
            "+",
            "1h-2m",
            "1x",
            "s",
            "1.s.",
            "1e3s",
            "99999999999999999999999h",
        ] {
            assert_eq!(go_duration(bad), None, "{bad}");
        }
    }

    /// A `Status` failure.
    fn st(status: u16, retry_after: Option<Duration>) -> Failure {
        Failure::Status {
            status,
            retry_after,
        }
    }

    /// A `StreamError` failure (`-`: of no known kind).
    fn ev(kind: &str) -> Failure {
        let kind = (kind != "-").then(|| kind.to_owned());
        Failure::StreamError { kind }
    }

    #[test]
    fn other_failures() {
        let ra = headers("retry-after: 7");
        let table = "
            Connect, Timeout => NextAccount(Faulty(15s))
            StreamBroken => NextAccount(Faulty(30s))
            overloaded_error, server_is_overloaded, UNAVAILABLE => NextAccount(Overloaded(10s))
            rate_limit_error, RESOURCE_EXHAUSTED, 429 => NextAccount(RateLimited(60s))
            rate_limit_exceeded + retry-after, 429 + retry-after => NextAccount(RateLimited(7s))
            429 20s + retry-after => NextAccount(RateLimited(20s))
            429 9999999s => NextAccount(RateLimited(86400s))
            api_error, -, 503 => NextAccount(Faulty(5s))
            401 => NextAccount(AuthError)
            400 => Deliver";
        for (inputs, want) in cases(table) {
            for input in inputs.split(", ") {
                let (failure, with) = match input.strip_suffix(" + retry-after") {
                    Some(f) => (f, Some(&ra)),
                    None => (input, None),
                };
                let (first, secs) = failure.split_once(' ').unwrap_or((failure, ""));
                let failure = match (first, first.parse::<u16>()) {
                    ("Connect", _) => Failure::Connect,
                    ("Timeout", _) => Failure::Timeout,
                    ("StreamBroken", _) => Failure::StreamBroken,
                    (_, Ok(status)) => st(status, go_duration(secs)),
                    (kind, Err(_)) => ev(kind),
                };
                let got = classify(&failure, with, now());
                assert_eq!(format!("{got:?}"), want, "{input}");
            }
        }
    }

    /// `name` failed with `failure`, classified.
    fn at(name: &str, failure: Failure) -> (String, Failure, Action) {
        let action = classify(&failure, None, now());
        (name.to_owned(), failure, action)
    }

    /// `name` answered 429 with a reset in `millis`.
    fn limited(name: &str, millis: u64) -> (String, Failure, Action) {
        at(name, st(429, Some(Duration::from_millis(millis))))
    }

    /// The client-facing error's status, kind, code and retry-after, in Debug form.
    fn shape(e: &Error) -> String {
        format!(
            "{} {:?} {} {:?}",
            e.status().as_u16(),
            e.kind(),
            e.code(),
            e.retry_after()
        )
    }

    #[test]
    fn all_rate_limited_gives_429_with_the_earliest_reset() {
        let e = exhausted(&[
            limited("a", 90_000),
            limited("b", 41_200),
            limited("c", 600_000),
        ]);
        assert_eq!(shape(&e), "429 RateLimit rate_limited Some(42)");
        let want = "all 3 accounts failed (a: rate limited, resets in 1m 30s; b: rate limited, \
                    resets in 42s; c: rate limited, resets in 10m); retry in 42s";
        assert_eq!(e.message(), want);
    }

    #[test]
    fn overloads_give_503() {
        let want = "503 Overloaded overloaded Some(10)";
        let e = exhausted(&[at("a", st(529, None)), at("b", st(529, None))]);
        assert_eq!(shape(&e), want);
        let msg = "all 2 accounts failed (a: overloaded; b: overloaded); the upstream is \
                   overloaded, retry in 10s";
        assert_eq!(e.message(), msg);
        let mixed = [limited("a", 300_000), at("c", ev("overloaded_error"))];
        assert_eq!(shape(&exhausted(&mixed)), want);
    }

    #[test]
    fn anything_else_gives_502() {
        let want = "502 Upstream upstream_unavailable None";
        let mixed = [
            limited("claude-a", 42_000),
            at("claude-b", st(529, None)),
            at("claude-c", Failure::Connect),
        ];
        let e = exhausted(&mixed);
        assert_eq!(shape(&e), want);
        let msg = "all 3 accounts failed (claude-a: rate limited, resets in 42s; claude-b: \
                   overloaded; claude-c: connection failed); retry later";
        assert_eq!(e.message(), msg);
        let e = exhausted(&[
            at("a", st(401, None)),
            at("b", st(503, None)),
            at("c", Failure::Timeout),
            at("d", Failure::StreamBroken),
            at("e", ev("api_error\n\"x\"")),
        ]);
        let msg = "all 5 accounts failed (a: credentials refused (HTTP 401); b: HTTP 503; c: no \
                   response in time; d: stream broke before any output; e: error event \
                   api_errorx); retry later; check the refused credentials (the relay dashboard \
                   shows which account)";
        assert_eq!(e.message(), msg);
        let msg = "the only account tried failed (solo: HTTP 500); retry later";
        assert_eq!(exhausted(&[at("solo", st(500, None))]).message(), msg);
        assert_eq!(shape(&exhausted(&[])), want);
    }

    #[test]
    fn stream_error_kinds() {
        let table = r#"
            Anthropic {"type":"error","error":{"type":"overloaded_error"}} => overloaded_error
            Chat {"error":{"type":"requests","code":"rate_limit_exceeded"}} => rate_limit_exceeded
            Chat {"error":{"message":"m","type":"server_error","code":null}} => server_error
            Responses {"type":"response.failed","response":{"error":{"code":"server_is_overloaded"}}} => server_is_overloaded
            Responses {"type":"error","code":"rate_limit_exceeded"} => rate_limit_exceeded
            Gemini {"error":{"code":503,"message":"m","status":"UNAVAILABLE"}} => UNAVAILABLE
            # Another dialect's shape is still understood.
            Chat {"type":"error","error":{"type":"api_error","message":"m"}} => api_error
            Anthropic {"error":"stream_timeout"} => stream_timeout
            Anthropic {"type":"message_start","message":{}} => -
            Gemini {"error":{"code":500}} => -
            Chat {"error":{"type":"  "}} => -
            Chat not json => -"#;
        for (input, want) in cases(table) {
            let (dialect, data) = input.split_once(' ').unwrap_or_default();
            let dialect = match dialect {
                "Anthropic" => Dialect::Anthropic,
                "Chat" => Dialect::OpenAiChat,
                "Responses" => Dialect::OpenAiResponses,
                _ => Dialect::Gemini,
            };
            let got = stream_error_kind(dialect, data);
            assert_eq!(got.as_deref().unwrap_or("-"), want, "{input}");
        }
    }
}

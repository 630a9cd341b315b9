//! Reading the ledger: the month-to-date sums budgets start from, the `relay usage` report and
//! the `relay requests` list. Each query is one indexed SQL statement; grouping by calendar day
//! sums 15-minute buckets in SQL and folds them into local days here, so any time zone (even
//! with a :30 or :45 offset, or a DST change) is exact.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::Serialize;

/// Rows that ended in an error: an error status, an error code, or interrupted (the column is
/// kept by the writer).
const IS_ERROR: &str = "failed";

/// What a report covers.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// From this time (Unix ms, inclusive).
    pub since_ms: Option<i64>,
    /// Until this time (Unix ms, exclusive).
    pub until_ms: Option<i64>,
    /// Only this client key (`-` for keyless requests).
    pub key: Option<String>,
    /// Only this account.
    pub account: Option<String>,
    /// Only this requested model.
    pub model: Option<String>,
    /// Only these outcomes.
    pub status: Option<StatusFilter>,
}

/// Outcome filter for [`Filter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    /// Succeeded (status below 400, no error).
    Ok,
    /// Failed in any way (including interrupted).
    Error,
    /// Cut short by a relay crash.
    Interrupted,
    /// Exactly this HTTP status.
    Code(u16),
}

impl std::str::FromStr for StatusFilter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ok" => Ok(Self::Ok),
            "error" => Ok(Self::Error),
            "interrupted" => Ok(Self::Interrupted),
            _ => s
                .parse::<u16>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .map(Self::Code)
                .ok_or_else(|| format!("`{s}` is not ok, error, interrupted or an HTTP status")),
        }
    }
}

impl Filter {
    /// The WHERE clause (always ending open rows out) and its parameters.
    fn sql(&self) -> (String, Vec<Value>) {
        let mut clauses = vec!["state != 'open'".to_owned()];
        let mut values = Vec::new();
        if let Some(t) = self.since_ms {
            clauses.push("time_ms >= ?".into());
            values.push(Value::Integer(t));
        }
        if let Some(t) = self.until_ms {
            clauses.push("time_ms < ?".into());
            values.push(Value::Integer(t));
        }
        if let Some(k) = &self.key {
            if k == super::totals::KEYLESS {
                clauses.push("key IS NULL".into());
            } else {
                clauses.push("key = ?".into());
                values.push(Value::Text(k.clone()));
            }
        }
        for (column, v) in [("account", &self.account), ("model", &self.model)] {
            if let Some(v) = v {
                clauses.push(format!("{column} = ?"));
                values.push(Value::Text(v.clone()));
            }
        }
        match self.status {
            None => {}
            Some(StatusFilter::Ok) => clauses.push(format!("NOT {IS_ERROR}")),
            Some(StatusFilter::Error) => clauses.push(IS_ERROR.into()),
            Some(StatusFilter::Interrupted) => clauses.push("state = 'interrupted'".into()),
            Some(StatusFilter::Code(c)) => {
                clauses.push("status = ?".into());
                values.push(Value::Integer(i64::from(c)));
            }
        }
        (clauses.join(" AND "), values)
    }
}

/// How `relay usage` groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    /// Requested model.
    Model,
    /// Client key.
    Key,
    /// Account that served.
    Account,
    /// Calendar day in the configured time zone.
    Day,
}

impl GroupBy {
    /// The JSON field naming the group.
    pub fn field(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Key => "key",
            Self::Account => "account",
            Self::Day => "day",
        }
    }
}

/// One line of the usage report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UsageLine {
    /// The group (`-` where the value is absent, e.g. requests no account served).
    pub group: String,
    /// Requests.
    pub requests: u64,
    /// Of which ended in an error.
    pub errors: u64,
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cache reads.
    pub cache_read_tokens: u64,
    /// Cache writes.
    pub cache_creation_tokens: u64,
    /// Cost in micro-dollars.
    pub cost_micros: u64,
    /// Requests with tokens whose model had no price (their cost counts as 0).
    pub unpriced: u64,
}

impl UsageLine {
    fn add(&mut self, o: &UsageLine) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.cache_read_tokens += o.cache_read_tokens;
        self.cache_creation_tokens += o.cache_creation_tokens;
        self.cost_micros += o.cost_micros;
        self.unpriced += o.unpriced;
    }
}

/// The usage report: one line per group, ordered by cost (then name), and the total.
///
/// SQLite would group by sorting every row in a temporary B-tree; summing into a hash map here
/// is several times faster on large ledgers. A range that covers much of the ledger is read by
/// scanning the table in order rather than through the time index (one random lookup per row).
pub fn usage(
    conn: &Connection,
    filter: &Filter,
    by: GroupBy,
    tz: &TimeZone,
) -> rusqlite::Result<(Vec<UsageLine>, UsageLine)> {
    let (clause, values) = filter.sql();
    let group = match by {
        GroupBy::Model => "model",
        GroupBy::Key => "key",
        GroupBy::Account => "account",
        GroupBy::Day => "time_ms / 900000",
    };
    let hint = if index_pays(conn, filter)? {
        ""
    } else {
        "NOT INDEXED"
    };
    let sql = format!(
        "SELECT {group}, {IS_ERROR}, input_tokens, output_tokens, cache_read_tokens,
                cache_creation_tokens, cost_micros, unpriced
         FROM requests {hint} WHERE {clause}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    let mut named: std::collections::HashMap<String, UsageLine> = std::collections::HashMap::new();
    let mut buckets: std::collections::HashMap<i64, UsageLine> = std::collections::HashMap::new();
    let n = count;
    while let Some(r) = rows.next()? {
        let line = if by == GroupBy::Day {
            buckets.entry(r.get::<_, i64>(0)?).or_default()
        } else {
            let name = match r.get_ref(0)? {
                rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).unwrap_or("-"),
                _ => "-",
            };
            if !named.contains_key(name) {
                named.insert(name.to_owned(), UsageLine::default());
            }
            match named.get_mut(name) {
                Some(l) => l,
                None => continue,
            }
        };
        line.requests += 1;
        line.errors += n(r, 1)?;
        line.input_tokens += n(r, 2)?;
        line.output_tokens += n(r, 3)?;
        line.cache_read_tokens += n(r, 4)?;
        line.cache_creation_tokens += n(r, 5)?;
        line.cost_micros += n(r, 6)?;
        line.unpriced += n(r, 7)?;
    }
    let mut lines: Vec<UsageLine> = if by == GroupBy::Day {
        let mut days: BTreeMap<String, UsageLine> = BTreeMap::new();
        for (bucket, l) in buckets {
            let day = Timestamp::from_millisecond(bucket * 900_000)
                .map(|t| t.to_zoned_datetime(tz.clone()).date().to_string())
                .unwrap_or_else(|_| "-".into());
            days.entry(day).or_default().add(&l);
        }
        days.into_iter()
            .map(|(day, l)| UsageLine { group: day, ..l })
            .collect()
    } else {
        named
            .into_iter()
            .map(|(name, l)| UsageLine { group: name, ..l })
            .collect()
    };
    if by != GroupBy::Day {
        lines.sort_by(|a, b| {
            b.cost_micros
                .cmp(&a.cost_micros)
                .then(a.group.cmp(&b.group))
        });
    }
    let mut total = UsageLine {
        group: "total".into(),
        ..UsageLine::default()
    };
    for l in &lines {
        total.add(l);
    }
    Ok((lines, total))
}

/// Whether reading the rows in `filter`'s time range through the time index beats scanning
/// the table: only when the range covers a small part of the ledger's time span (the oldest and
/// newest times come straight from the index).
fn index_pays(conn: &Connection, filter: &Filter) -> rusqlite::Result<bool> {
    if filter.since_ms.is_none() && filter.until_ms.is_none() {
        return Ok(false);
    }
    let (first, last): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT (SELECT MIN(time_ms) FROM requests), (SELECT MAX(time_ms) FROM requests)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(true);
    };
    let from = filter.since_ms.unwrap_or(first).max(first);
    let to = filter.until_ms.unwrap_or(last).min(last);
    let covered = i128::from(to) - i128::from(from);
    let span = (i128::from(last) - i128::from(first)).max(1);
    Ok(covered * 10 < span)
}

/// One ledger row, as `relay requests` shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestRow {
    /// Request id.
    pub id: String,
    /// When it arrived (Unix ms).
    #[serde(skip)]
    pub time_ms: i64,
    /// RFC 3339, UTC.
    pub time: String,
    /// Client key name.
    pub key: Option<String>,
    /// Account that served.
    pub account: Option<String>,
    /// Its platform.
    pub platform: Option<String>,
    /// Client dialect.
    pub inbound: String,
    /// Requested model.
    pub model: Option<String>,
    /// Model sent upstream.
    pub upstream_model: Option<String>,
    /// Streamed.
    pub stream: bool,
    /// HTTP status the client got (`None` for interrupted requests).
    pub status: Option<u16>,
    /// Error code.
    pub error: Option<String>,
    /// Upstream attempts.
    pub attempts: u32,
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cache reads.
    pub cache_read_tokens: u64,
    /// Cache writes.
    pub cache_creation_tokens: u64,
    /// Of the cache writes, those with the 1-hour lifetime.
    pub cache_creation_1h_tokens: u64,
    /// Cost in US dollars.
    pub cost_usd: f64,
    /// The same in micro-dollars.
    #[serde(skip)]
    pub cost_micros: u64,
    /// Whether the model had a price.
    pub priced: bool,
    /// Time until the response ended.
    pub latency_ms: Option<u64>,
    /// Time until the first byte of the answer.
    pub ttft_ms: Option<u64>,
    /// The client hung up before the end.
    pub client_disconnected: bool,
}

/// The newest `limit` rows matching `filter`.
pub fn requests(
    conn: &Connection,
    filter: &Filter,
    limit: u32,
) -> rusqlite::Result<Vec<RequestRow>> {
    let (clause, values) = filter.sql();
    let sql = format!(
        "SELECT id, time_ms, key, account, platform, inbound, model, upstream_model, stream,
                status, error, attempts, input_tokens, output_tokens, cache_read_tokens,
                cache_creation_tokens, cache_creation_1h_tokens, cost_micros, priced, latency_ms,
                ttft_ms, client_disconnected
         FROM requests WHERE {clause} ORDER BY time_ms DESC, rowid DESC LIMIT {limit}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let n = count;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        let time_ms: i64 = r.get(1)?;
        let micros = n(r, 17)?;
        #[expect(
            clippy::cast_precision_loss,
            reason = "micro-dollars to dollars for display"
        )]
        let cost_usd = micros as f64 / 1e6;
        Ok(RequestRow {
            id: r.get(0)?,
            time_ms,
            time: Timestamp::from_millisecond(time_ms)
                .map(|t| format!("{t:.3}"))
                .unwrap_or_default(),
            key: r.get(2)?,
            account: r.get(3)?,
            platform: r.get(4)?,
            inbound: r.get(5)?,
            model: r.get(6)?,
            upstream_model: r.get(7)?,
            stream: r.get(8)?,
            status: r.get(9)?,
            error: r.get(10)?,
            attempts: r.get(11)?,
            input_tokens: n(r, 12)?,
            output_tokens: n(r, 13)?,
            cache_read_tokens: n(r, 14)?,
            cache_creation_tokens: n(r, 15)?,
            cache_creation_1h_tokens: n(r, 16)?,
            cost_usd,
            cost_micros: micros,
            priced: r.get(18)?,
            latency_ms: r
                .get::<_, Option<i64>>(19)?
                .and_then(|v| u64::try_from(v).ok()),
            ttft_ms: r
                .get::<_, Option<i64>>(20)?
                .and_then(|v| u64::try_from(v).ok()),
            client_disconnected: r.get(21)?,
        })
    })?;
    rows.collect()
}

/// Month-to-date sums per key and account, split into today and earlier.
#[derive(Debug)]
pub struct Seed {
    /// Client key (`None` for keyless).
    pub key: Option<String>,
    /// Account.
    pub account: Option<String>,
    /// Whether these are today's.
    pub today: bool,
    /// Micro-dollars.
    pub micros: u64,
    /// Requests.
    pub requests: u64,
    /// Of which errors.
    pub errors: u64,
}

/// The sums budgets and totals start from.
pub fn month_to_date(
    conn: &Connection,
    month_start_ms: i64,
    day_start_ms: i64,
) -> rusqlite::Result<Vec<Seed>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT key, account, time_ms >= ?2, SUM(cost_micros), COUNT(*), SUM({IS_ERROR})
         FROM requests WHERE time_ms >= ?1 AND state != 'open' GROUP BY 1, 2, 3"
    ))?;
    let rows = stmt.query_map([month_start_ms, day_start_ms], |r| {
        let n = |i: usize| count(r, i);
        Ok(Seed {
            key: r.get(0)?,
            account: r.get(1)?,
            today: r.get(2)?,
            micros: n(3)?,
            requests: n(4)?,
            errors: n(5)?,
        })
    })?;
    rows.collect()
}

/// A count or sum column as `u64` (NULL, from an empty sum, and negatives are 0).
fn count(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
}

/// Parses a report bound: a duration back from `now` (`7d`, `24h`, `30m`, `2w`), `today`,
/// `yesterday`, a date (`2026-11-01`, local midnight in `tz`) or an RFC 3339 time. Unix ms.
pub fn parse_when(s: &str, now: Timestamp, tz: &TimeZone) -> Result<i64, String> {
    let s = s.trim();
    let bad = || {
        format!(
            "`{s}` is not a time: use 7d, 24h, 30m, today, yesterday, 2026-11-01 or an RFC 3339 time"
        )
    };
    let midnight = |d: jiff::civil::Date| {
        d.to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|_| bad())
    };
    let today = now.to_zoned_datetime(tz.clone()).date();
    match s {
        "today" => return midnight(today),
        "yesterday" => return midnight(today.yesterday().map_err(|_| bad())?),
        _ => {}
    }
    if let Some(unit) = s.chars().last().filter(|c| "mhdw".contains(*c))
        && let Ok(n) = s.get(..s.len() - 1).unwrap_or_default().parse::<i64>()
        && n >= 0
    {
        let secs = match unit {
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => 7 * 86_400,
        };
        return Ok(now.as_millisecond() - n.saturating_mul(secs).saturating_mul(1000));
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t.as_millisecond());
    }
    if s.len() == 10
        && let Ok(d) = s.parse::<jiff::civil::Date>()
    {
        return midnight(d);
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_bounds() {
        let now: Timestamp = "2026-11-27T15:30:00Z".parse().unwrap();
        let tz = TimeZone::get("Asia/Kolkata").unwrap();
        let at = |s: &str| parse_when(s, now, &tz);
        let ms = |s: &str| s.parse::<Timestamp>().unwrap().as_millisecond();
        assert_eq!(at("24h"), Ok(ms("2026-11-26T15:30:00Z")));
        assert_eq!(at("7d"), Ok(ms("2026-11-20T15:30:00Z")));
        assert_eq!(at("90m"), Ok(ms("2026-11-27T14:00:00Z")));
        // Local midnight in India (+05:30): 21:00 in Kolkata is already Nov 27.
        assert_eq!(at("today"), Ok(ms("2026-11-26T18:30:00Z")));
        assert_eq!(at("2026-11-01"), Ok(ms("2026-10-31T18:30:00Z")));
        assert_eq!(
            at("2026-11-01T00:00:00+01:00"),
            Ok(ms("2026-10-31T23:00:00Z"))
        );
        for bad in ["", "7x", "-3d", "2026-13-01", "last week"] {
            assert!(at(bad).unwrap_err().contains("is not a time"), "{bad}");
        }
    }
}

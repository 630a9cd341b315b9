//! `relay usage` and `relay requests`: reports from the ledger, read through their own
//! read-only connection (a running relay keeps writing meanwhile).

use std::process::ExitCode;

use anyhow::Context;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use relay_core::ledger::query::{self, Filter, GroupBy, StatusFilter};
use relay_core::paths::Paths;
use serde_json::Value;

use crate::cli::{By, Format, RequestsArgs, UsageArgs};
use crate::output::{self, Align};

pub fn usage(paths: &Paths, args: &UsageArgs) -> anyhow::Result<ExitCode> {
    let tz = time_zone(paths)?;
    let now = Timestamp::now();
    let filter = Filter {
        since_ms: Some(when(&args.since, now, &tz)?),
        until_ms: args
            .until
            .as_deref()
            .map(|u| when(u, now, &tz))
            .transpose()?,
        ..Filter::default()
    };
    let by = match args.by {
        By::Model => GroupBy::Model,
        By::Key => GroupBy::Key,
        By::Account => GroupBy::Account,
        By::Day => GroupBy::Day,
    };
    let (lines, total) = match relay_core::ledger::open_read_only(&paths.data)? {
        Some(conn) => {
            query::usage(&conn, &filter, by, &tz).context("cannot read the usage ledger")?
        }
        None => (Vec::new(), query::UsageLine::default()),
    };
    let out = match args.format {
        Format::Json => {
            let rows: Vec<UsageJson<'_>> = lines
                .iter()
                .map(|l| UsageJson {
                    group: std::iter::once((by.field(), l.group.as_str())).collect(),
                    requests: l.requests,
                    errors: l.errors,
                    input_tokens: l.input_tokens,
                    output_tokens: l.output_tokens,
                    cache_read_tokens: l.cache_read_tokens,
                    cache_creation_tokens: l.cache_creation_tokens,
                    cost_usd: usd(l.cost_micros),
                    unpriced_requests: l.unpriced,
                })
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&rows)?)
        }
        Format::Csv => {
            let rows: Vec<Vec<String>> = lines
                .iter()
                .map(|l| {
                    vec![
                        l.group.clone(),
                        l.requests.to_string(),
                        l.errors.to_string(),
                        l.input_tokens.to_string(),
                        l.output_tokens.to_string(),
                        l.cache_read_tokens.to_string(),
                        l.cache_creation_tokens.to_string(),
                        format!("{:.6}", usd(l.cost_micros)),
                        l.unpriced.to_string(),
                    ]
                })
                .collect();
            output::csv(
                &[
                    by.field(),
                    "requests",
                    "errors",
                    "input_tokens",
                    "output_tokens",
                    "cache_read_tokens",
                    "cache_creation_tokens",
                    "cost_usd",
                    "unpriced_requests",
                ],
                &rows,
            )
        }
        Format::Table if lines.is_empty() => no_rows(paths),
        Format::Table => usage_table(by, &lines, &total),
    };
    output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// One `relay usage --format json` element: the grouping field first, then the sums.
#[derive(serde::Serialize)]
struct UsageJson<'a> {
    #[serde(flatten)]
    group: std::collections::BTreeMap<&'static str, &'a str>,
    requests: u64,
    errors: u64,
    input_tokens: u64,
    output_tokens: u64,
    cache_read_tokens: u64,
    cache_creation_tokens: u64,
    cost_usd: f64,
    unpriced_requests: u64,
}

fn usage_table(by: GroupBy, lines: &[query::UsageLine], total: &query::UsageLine) -> String {
    let row = |l: &query::UsageLine| {
        let mut cost = output::dollars(l.cost_micros);
        if l.unpriced > 0 {
            cost.push('*');
        }
        vec![
            l.group.clone(),
            output::count(l.requests),
            output::count(l.errors),
            output::tokens(l.input_tokens),
            output::tokens(l.output_tokens),
            output::tokens(l.cache_read_tokens),
            output::tokens(l.cache_creation_tokens),
            cost,
        ]
    };
    let mut rows: Vec<Vec<String>> = lines.iter().map(row).collect();
    rows.push(row(total));
    let header = [
        &by.field().to_uppercase(),
        "REQS",
        "ERRORS",
        "INPUT",
        "OUTPUT",
        "CACHE R",
        "CACHE W",
        "COST",
    ]
    .map(|h| h.to_owned());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut align = vec![Align::Right; header.len()];
    if let Some(first) = align.first_mut() {
        *first = Align::Left;
    }
    let mut out = output::grid(&header, &align, &rows, output::width());
    if total.unpriced > 0 {
        let n = total.unpriced;
        out.push_str(&format!(
            "* {} request{} to unpriced models, counted as $0.00 (see [pricing] file)\n",
            output::count(n),
            if n == 1 { "" } else { "s" }
        ));
    }
    out
}

pub fn requests(paths: &Paths, args: &RequestsArgs) -> anyhow::Result<ExitCode> {
    let tz = time_zone(paths)?;
    let now = Timestamp::now();
    let status = args
        .status
        .as_deref()
        .map(str::parse::<StatusFilter>)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--status: {e}"))?;
    let filter = Filter {
        since_ms: args
            .since
            .as_deref()
            .map(|s| when(s, now, &tz))
            .transpose()?,
        until_ms: args
            .until
            .as_deref()
            .map(|u| when(u, now, &tz))
            .transpose()?,
        key: args.key.clone(),
        account: args.account.clone(),
        model: args.model.clone(),
        status,
    };
    let rows = match relay_core::ledger::open_read_only(&paths.data)? {
        Some(conn) => {
            query::requests(&conn, &filter, args.limit).context("cannot read the usage ledger")?
        }
        None => Vec::new(),
    };
    let out = match args.format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&rows)?),
        Format::Csv => {
            let values: Vec<Value> = rows
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            let cells: Vec<Vec<String>> = values
                .iter()
                .map(|v| {
                    REQUEST_FIELDS
                        .iter()
                        .map(|k| match v.get(*k) {
                            Some(Value::String(s)) => s.clone(),
                            Some(Value::Null) | None => String::new(),
                            Some(other) => other.to_string(),
                        })
                        .collect()
                })
                .collect();
            output::csv(REQUEST_FIELDS, &cells)
        }
        Format::Table if rows.is_empty() => no_rows(paths),
        Format::Table => requests_table(&rows, now, &tz),
    };
    output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// The fields of a request row, in order (for a CSV header when there are no rows).
const REQUEST_FIELDS: &[&str] = &[
    "id",
    "time",
    "key",
    "account",
    "platform",
    "inbound",
    "model",
    "upstream_model",
    "stream",
    "status",
    "error",
    "attempts",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_creation_tokens",
    "cache_creation_1h_tokens",
    "cost_usd",
    "priced",
    "latency_ms",
    "ttft_ms",
    "client_disconnected",
];

fn requests_table(rows: &[query::RequestRow], now: Timestamp, tz: &TimeZone) -> String {
    let today = now.to_zoned_datetime(tz.clone()).date();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let local = Timestamp::from_millisecond(r.time_ms)
                .map(|t| t.to_zoned_datetime(tz.clone()))
                .ok();
            let time = local.map_or_else(String::new, |z| {
                if z.date() == today {
                    z.strftime("%H:%M:%S").to_string()
                } else {
                    z.strftime("%m-%d %H:%M").to_string()
                }
            });
            let status = match (r.status, r.error.as_deref()) {
                (None, _) => "int".to_owned(),
                (Some(s), _) => s.to_string(),
            };
            let mut cost = output::dollars(r.cost_micros);
            if !r.priced && r.input_tokens + r.output_tokens > 0 {
                cost.push('*');
            }
            vec![
                time,
                r.key.clone().unwrap_or_else(|| "-".into()),
                r.model.clone().unwrap_or_else(|| "-".into()),
                r.account.clone().unwrap_or_else(|| "-".into()),
                status,
                output::tokens(r.input_tokens),
                output::tokens(r.output_tokens),
                cost,
                r.latency_ms.map_or_else(|| "-".into(), output::count),
            ]
        })
        .collect();
    let header = [
        "TIME", "KEY", "MODEL", "ACCOUNT", "ST", "IN", "OUT", "COST", "MS",
    ];
    let align = [
        Align::Left,
        Align::Left,
        Align::Left,
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
    ];
    output::grid(&header, &align, &cells, output::width())
}

fn no_rows(paths: &Paths) -> String {
    let file = paths.data.join(relay_core::ledger::FILE_NAME);
    if file.exists() {
        "no requests in this period\n".to_owned()
    } else {
        format!(
            "no ledger yet at {} (relay serve creates it with the first request)\n",
            file.display()
        )
    }
}

fn time_zone(paths: &Paths) -> anyhow::Result<TimeZone> {
    Ok(super::load(paths, None)?.ledger.time_zone())
}

fn when(s: &str, now: Timestamp, tz: &TimeZone) -> anyhow::Result<i64> {
    query::parse_when(s, now, tz).map_err(anyhow::Error::msg)
}

fn usd(micros: u64) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "dollars for output")]
    let v = micros as f64 / 1e6;
    v
}

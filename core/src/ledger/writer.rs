//! The ledger's one writer: a thread that owns the SQLite connection and commits what the
//! pipeline sent in batches: everything that arrives within 5 ms of a batch's first operation
//! goes into one transaction (so each row is on disk well within 100 ms of its request's end,
//! and a busy relay makes at most a couple of hundred commits a second, not one per request).

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, params};

use super::Op;

/// How long the writer gathers operations after the first of a batch before committing: a
/// finished request is on disk at most this long (plus the commit) after it ended. Short,
/// because a commit's work runs beside the requests: at 2,000 requests/s on two cores a 20 ms
/// window (40 rows a commit) put the relay's p99 at +0.6 ms, a 5 ms one at +0.45 ms, for the
/// same CPU per request.
const WINDOW: Duration = Duration::from_millis(5);
/// Most operations committed in one transaction.
const MAX_BATCH: usize = 4096;
/// How long the writer sleeps at most before it looks at the overflow queue again.
const POLL: Duration = Duration::from_millis(50);
/// Pause before retrying a batch SQLite refused (disk full, file locked ...).
const RETRY: Duration = Duration::from_millis(500);

/// Runs until every sender is gone and everything received is committed.
pub(super) fn run(mut conn: Connection, rx: Receiver<Op>, overflow: Arc<Mutex<VecDeque<Op>>>) {
    let mut batch: Vec<Op> = Vec::new();
    let mut open = true;
    while open || !batch.is_empty() {
        if batch.is_empty() {
            match rx.recv_timeout(POLL) {
                Ok(op) => batch.push(op),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
        }
        // Gather what arrives within the batch window (one commit for many rows), unless
        // someone waits for a flush. The writer sleeps through the window instead of waiting
        // on the channel, so the pipeline's sends never wake it: one wake-up per batch, not
        // one per row (on two cores, those wake-ups cost the requests latency).
        if open && !batch.is_empty() && !batch.iter().any(|op| matches!(op, Op::Flush(_))) {
            std::thread::sleep(WINDOW);
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        if let Ok(mut spilled) = overflow.lock() {
            batch.extend(spilled.drain(..));
        }
        if batch.is_empty() {
            continue;
        }
        match commit(&mut conn, &batch) {
            Ok(()) => {
                for op in batch.drain(..) {
                    if let Op::Flush(done) = op {
                        let _ = done.send(());
                    }
                }
            }
            Err(e) => {
                tracing::error!(
                    error = %e,
                    rows = batch.len(),
                    "cannot write the usage ledger; retrying (rows are kept in memory)"
                );
                std::thread::sleep(RETRY);
            }
        }
    }
    if let Err(e) = conn.execute_batch("PRAGMA optimize") {
        tracing::debug!(error = %e, "ledger optimize failed");
    }
}

/// Writes one batch in one transaction.
fn commit(conn: &mut Connection, batch: &[Op]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut open = tx.prepare_cached(
            "INSERT INTO requests (id, time_ms, key, inbound, model, stream, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open')
             ON CONFLICT (id) DO NOTHING",
        )?;
        let mut close = tx.prepare_cached(
            "INSERT INTO requests (id, time_ms, key, account, platform, inbound, model,
                 upstream_model, stream, status, error, attempts, input_tokens, output_tokens,
                 cache_read_tokens, cache_creation_tokens, cache_creation_1h_tokens, cost_micros,
                 priced, latency_ms, ttft_ms, client_disconnected, failed, unpriced, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21, ?22, ?23, ?24, 'done')
             ON CONFLICT (id) DO UPDATE SET
                 key = excluded.key, account = excluded.account, platform = excluded.platform,
                 inbound = excluded.inbound, model = excluded.model,
                 upstream_model = excluded.upstream_model, stream = excluded.stream,
                 status = excluded.status, error = excluded.error, attempts = excluded.attempts,
                 input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
                 cache_read_tokens = excluded.cache_read_tokens,
                 cache_creation_tokens = excluded.cache_creation_tokens,
                 cache_creation_1h_tokens = excluded.cache_creation_1h_tokens,
                 cost_micros = excluded.cost_micros, priced = excluded.priced,
                 latency_ms = excluded.latency_ms, ttft_ms = excluded.ttft_ms,
                 client_disconnected = excluded.client_disconnected, failed = excluded.failed,
                 unpriced = excluded.unpriced, state = 'done'",
        )?;
        // A request that opened and ended within one batch needs only its complete row.
        let closed: std::collections::HashSet<&str> = batch
            .iter()
            .filter_map(|op| match op {
                Op::Close(e) => Some(e.id.as_str()),
                _ => None,
            })
            .collect();
        for op in batch {
            match op {
                Op::Open { id, .. } if closed.contains(id.as_str()) => {}
                Op::Open {
                    id,
                    time_ms,
                    key,
                    inbound,
                    model,
                    stream,
                } => {
                    open.execute(params![id, time_ms, key, inbound, model, stream])?;
                }
                Op::Close(e) => {
                    let int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                    close.execute(params![
                        e.id,
                        super::unix_ms(e.time),
                        e.key,
                        e.account,
                        e.platform,
                        e.inbound.as_str(),
                        e.model,
                        e.upstream_model,
                        e.stream,
                        e.status,
                        e.error,
                        e.attempts,
                        int(e.usage.input),
                        int(e.usage.output),
                        int(e.usage.cache_read),
                        int(e.usage.cache_write),
                        int(e.usage.cache_write_1h),
                        int(e.cost.micros),
                        e.cost.priced,
                        int(e.latency_ms),
                        e.ttft_ms.map(int),
                        e.client_disconnected,
                        e.status >= 400 || e.error.is_some(),
                        !e.cost.priced && e.usage.input + e.usage.output > 0,
                    ])?;
                }
                Op::Flush(_) => {}
            }
        }
    }
    tx.commit()
}

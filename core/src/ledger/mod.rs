//! The usage ledger: one SQLite row per client request at `DATA_DIR/ledger.sqlite3` (WAL).
//!
//! The pipeline never touches SQLite. It hands operations to [`Ledger`] (never blocking: a
//! bounded channel, and an in-memory overflow queue should the disk stall long enough to fill
//! it, so nothing is dropped), and one writer thread (`writer`) commits them in batches as
//! soon as it gets to them. A request's row is *opened* when the request is accepted and
//! *closed* with its outcome when it ends; rows a crash left open are marked `interrupted` the
//! next time the ledger opens. Reports read the file through their own connection
//! ([`query`]).

pub mod books;
pub mod query;
pub mod schema;
pub mod totals;
mod writer;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags};

use crate::events::UsageEvent;

pub use books::Books;

/// The ledger's file name inside the data dir.
pub const FILE_NAME: &str = "ledger.sqlite3";
/// Operations the channel holds before they spill into the overflow queue.
const CHANNEL_CAPACITY: usize = 16_384;

/// Error opening or reading the ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite could not open or migrate the file.
    #[error("cannot open the usage ledger {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: schema::SchemaError,
    },
    /// A query failed.
    #[error("cannot read the usage ledger: {0}")]
    Query(#[from] rusqlite::Error),
    /// The writer thread could not be started.
    #[error("cannot start the ledger writer: {0}")]
    Thread(std::io::Error),
}

/// One operation for the writer.
#[derive(Debug)]
pub(crate) enum Op {
    /// A request was accepted: its row exists from now on, `open` until it ends.
    Open {
        id: String,
        time_ms: i64,
        key: Option<String>,
        inbound: &'static str,
        model: Option<String>,
        stream: bool,
    },
    /// A request ended: the complete row.
    Close(Box<UsageEvent>),
    /// Answer once everything sent before is committed.
    Flush(std::sync::mpsc::Sender<()>),
}

/// Handle to the ledger writer; cheap to clone.
#[derive(Clone, Debug)]
pub struct Ledger {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    tx: Mutex<Option<SyncSender<Op>>>,
    overflow: Arc<Mutex<VecDeque<Op>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    interrupted: usize,
}

impl Ledger {
    /// Opens (creating and migrating as needed) the ledger in `data_dir`, marks rows a crash
    /// left open as `interrupted`, and starts the writer thread.
    pub fn open(data_dir: &Path) -> Result<Self, LedgerError> {
        create_private_dir(data_dir).map_err(|source| LedgerError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(FILE_NAME);
        let open_err = |source: schema::SchemaError| LedgerError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(|e| open_err(e.into()))?;
        configure(&conn).map_err(|e| open_err(e.into()))?;
        schema::migrate(&mut conn).map_err(open_err)?;
        let interrupted = conn
            .execute(
                "UPDATE requests SET state = 'interrupted', error = 'interrupted', failed = 1 WHERE state = 'open'",
                [],
            )
            .map_err(|e| open_err(e.into()))?;
        if interrupted > 0 {
            tracing::warn!(
                rows = interrupted,
                "the relay stopped without finishing {interrupted} request(s); their ledger rows are marked interrupted"
            );
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(CHANNEL_CAPACITY);
        let overflow = Arc::new(Mutex::new(VecDeque::new()));
        let spill = Arc::clone(&overflow);
        let writer = std::thread::Builder::new()
            .name("relay-ledger".into())
            .spawn(move || writer::run(conn, rx, spill))
            .map_err(LedgerError::Thread)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                tx: Mutex::new(Some(tx)),
                overflow,
                writer: Mutex::new(Some(writer)),
                interrupted,
            }),
        })
    }

    /// The SQLite file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Rows found open (and marked interrupted) when the ledger opened.
    pub fn interrupted_at_start(&self) -> usize {
        self.inner.interrupted
    }

    /// Opens the row of an accepted request.
    pub fn open_row(&self, e: &UsageEvent) {
        self.send(Op::Open {
            id: e.id.clone(),
            time_ms: unix_ms(e.time),
            key: e.key.clone(),
            inbound: e.inbound.as_str(),
            model: e.model.clone(),
            stream: e.stream,
        });
    }

    /// Completes (or writes, if it was never opened) the row of a finished request.
    pub fn close_row(&self, e: Box<UsageEvent>) {
        self.send(Op::Close(e));
    }

    /// Waits until everything sent so far is committed, for at most `timeout`. True when it
    /// was.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (done, wait) = std::sync::mpsc::channel();
        self.send(Op::Flush(done));
        wait.recv_timeout(timeout).is_ok()
    }

    /// Commits everything and stops the writer (later rows are dropped with a warning). Waits
    /// for at most `timeout`.
    pub fn close(&self, timeout: Duration) -> bool {
        let flushed = self.flush(timeout);
        if let Ok(mut tx) = self.inner.tx.lock() {
            tx.take();
        }
        let writer = self.inner.writer.lock().ok().and_then(|mut w| w.take());
        if flushed && let Some(w) = writer {
            let _ = w.join();
        }
        flushed
    }

    fn send(&self, op: Op) {
        let Ok(guard) = self.inner.tx.lock() else {
            return;
        };
        let Some(tx) = guard.as_ref() else {
            tracing::warn!("usage ledger already closed; a row was not written");
            return;
        };
        match tx.try_send(op) {
            Ok(()) => {}
            Err(TrySendError::Full(op)) => {
                if let Ok(mut q) = self.inner.overflow.lock() {
                    if q.is_empty() {
                        tracing::warn!(
                            "the usage ledger is falling behind (disk slow or stalled); holding rows in memory"
                        );
                    }
                    q.push_back(op);
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                tracing::error!("the usage ledger writer stopped; a row was not written");
            }
        }
    }
}

/// A read-only connection for reports. `Ok(None)` when the file does not exist yet.
pub fn open_read_only(data_dir: &Path) -> Result<Option<Connection>, LedgerError> {
    let path = data_dir.join(FILE_NAME);
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if usize::try_from(version).unwrap_or(0) > schema::VERSION {
        return Err(LedgerError::Open {
            path,
            source: schema::SchemaError::TooNew {
                found: usize::try_from(version).unwrap_or(0),
            },
        });
    }
    Ok(Some(conn))
}

/// SQLite's own consistency check of the ledger file: `ok`, or what is wrong.
pub fn integrity_check(data_dir: &Path) -> Result<String, LedgerError> {
    let Some(conn) = open_read_only(data_dir)? else {
        return Ok("ok".to_owned());
    };
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(lines.join("\n"))
}

/// Creates `dir` (and missing parents); a directory created here is private to the user (0700
/// on Unix). An existing directory is left as it is.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // WAL: readers (reports) never block the writer. NORMAL: a commit survives the process
    // being killed (SQLite's documented guarantee); only power loss can undo the last ones.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// Milliseconds since the Unix epoch (negative before it).
pub fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

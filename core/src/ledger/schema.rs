//! The ledger's SQLite schema and its migrations, versioned with `PRAGMA user_version`.

use rusqlite::Connection;

/// Migrations in order; migration `i` brings the schema from version `i` to `i + 1`. Never edit
/// a released one: add the next.
const MIGRATIONS: &[&str] = &[
    // 1: one row per client request. The columns reports sum come first, so a table scan
    // decodes as little of each record as it can; `failed` and `unpriced` are kept at write
    // time for the same reason. Only the time index (and the id's) are kept up on each write:
    // reports filter by key, account or model while walking time.
    "CREATE TABLE requests (
        time_ms INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'done', 'interrupted')),
        model TEXT,
        key TEXT,
        account TEXT,
        failed INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
        cost_micros INTEGER NOT NULL DEFAULT 0,
        unpriced INTEGER NOT NULL DEFAULT 0,
        id TEXT NOT NULL UNIQUE,
        platform TEXT,
        inbound TEXT NOT NULL,
        upstream_model TEXT,
        stream INTEGER NOT NULL DEFAULT 0,
        status INTEGER,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        cache_creation_1h_tokens INTEGER NOT NULL DEFAULT 0,
        priced INTEGER NOT NULL DEFAULT 0,
        latency_ms INTEGER,
        ttft_ms INTEGER,
        client_disconnected INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX requests_time ON requests (time_ms);
    CREATE INDEX requests_open ON requests (state) WHERE state = 'open';",
];

/// The schema version this build writes.
pub const VERSION: usize = MIGRATIONS.len();

/// Error from [`migrate`].
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The file was written by a newer relay.
    #[error(
        "the ledger has schema version {found}, newer than this relay knows ({VERSION}); upgrade relay"
    )]
    TooNew {
        /// The version in the file.
        found: usize,
    },
    /// SQLite failed.
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

/// Brings the schema up to [`VERSION`], one transaction per migration.
pub fn migrate(conn: &mut Connection) -> Result<(), SchemaError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let found = usize::try_from(found).unwrap_or(0);
    if found > VERSION {
        return Err(SchemaError::TooNew { found });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer_files() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(usize::try_from(v).unwrap(), VERSION);
        conn.pragma_update(None, "user_version", i64::try_from(VERSION + 1).unwrap())
            .unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(SchemaError::TooNew { found }) if found == VERSION + 1
        ));
    }
}

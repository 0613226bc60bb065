//! The SQLite store: one file (WAL, full sync on commit), the embedded default.
//!
//! In: the store's operations (see [`super::Store`]). Out: rows. Reads and
//! administrative writes (keys, drafts, lifecycle, sessions) use one connection, each
//! write in a transaction of its own. The hot writes ([`IngestWrite`], [`ProgressWrite`])
//! go to the group-commit writer thread, which commits them in groups: one transaction
//! per group, each caller answered after its commit.
//!
//! The operations, by file: `workspaces.rs`, `workflows.rs`, `runs.rs`, `contacts.rs`,
//! `events.rs`, `sessions.rs`; `schema.rs` holds the embedded migrations, run on
//! [`Sqlite::open`]; `writer.rs` the group-commit writer; `hot.rs` the two hot writes.

mod cancel;
mod contacts;
mod copy;
mod events;
mod hot;
mod migrate;
mod replay;
mod runs;
mod schema;
mod sessions;
mod workflows;
mod workspaces;
mod writer;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Transaction};

use super::{ContactRow, DueRun, RunQuery, RunRow, SessionRow, StoreError, VersionRow, WorkflowRow};

/// The SQLite store: one connection for reads and administrative writes, and a writer
/// thread with its own connection that commits the hot writes in groups: every write
/// waiting when a commit starts shares its fsync, and each caller hears back only after
/// that commit.
pub struct Sqlite {
    conn: Mutex<Connection>,
    writer: std::sync::mpsc::Sender<writer::WriteRequest>,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite").finish_non_exhaustive()
    }
}

/// Opens a connection with the store's settings.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // One plan per statement: without it, SQLite (built with STAT4) re-prepares the
    // due-runs query whenever its bound time changes, which was 9% of the engine's CPU.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.trace_v2(
        rusqlite::trace::TraceEventCodes::SQLITE_TRACE_PROFILE,
        Some(|_: rusqlite::trace::TraceEvent<'_>| super::count_statements(1)),
    )?;
    Ok(conn)
}

impl Sqlite {
    /// Opens (creating and migrating) the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
                action: format!("create {}", dir.display()),
                detail: e.to_string(),
            })?;
        }
        let mut conn = connect(path)?;
        schema::migrate(&mut conn)?;
        let writer = writer::start(connect(path)?)?;
        Ok(Sqlite { conn: Mutex::new(conn), writer })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::LockPoisoned)
    }

    /// Runs `f` in one transaction on the read connection (committed only if it
    /// succeeds): the administrative writes, which do not go through the writer.
    fn transaction<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;

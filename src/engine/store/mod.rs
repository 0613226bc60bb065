//! The engine's store: one SQLite file (WAL, full sync on commit), every table scoped by
//! workspace. All of the engine's SQL lives in this module.
//!
//! In: engine operations (save a draft, add a version, ingest an event with its runs,
//! save a run's state, apply an internal action exactly once). Out: rows. Each
//! operation is one transaction: nothing is ever half-written. Migrations are embedded
//! and run on open.
//!
//! Errors are [`StoreError`]s; the engine turns them into its own (a stale claim is a
//! conflict). No SQL is written outside this module: the operations below are the
//! store's whole interface, the one a second store (Postgres) is to implement.
//!
//! The operations, by file:
//! - `workspaces.rs`: [`Store::ensure_workspace`], API keys ([`Store::add_key`],
//!   [`Store::key_workspace`]);
//! - `workflows.rs`: rows ([`Store::workflow`], [`Store::workflows`],
//!   [`Store::workflow_names`]), drafts and status ([`Store::save_draft`],
//!   [`Store::set_status`]), versions ([`Store::activate_version`], [`Store::versions`],
//!   [`Store::version_history`], [`Store::version_ir`], [`Store::version_source`],
//!   [`Store::version_triggers`]), what is live ([`Store::active_for_trigger`],
//!   [`Store::live_sources_except`]);
//! - `runs.rs`: reads ([`Store::run`], [`Store::due_runs`], [`Store::list_runs`] with a
//!   [`RunQuery`], [`Store::runs_caused_by`], [`Store::run_stats`],
//!   [`Store::run_counts_since`]), deactivation ([`Store::cancel_unfinished_runs`]), and
//!   the writes [`insert_run`] and [`update_run`] (which refuses a stale claim);
//! - `contacts.rs`: [`Store::find_contact`], [`Store::contact`], and the writes
//!   [`insert_contact`] and [`save_contact`];
//! - `events.rs`: the writes [`record_event`] (deduplicated for 24 hours) and
//!   [`record_caused_event`], [`Store::record_event`] on its own, [`Store::event_body`];
//! - `sessions.rs`: dashboard sessions ([`Store::start_session`], [`Store::session`],
//!   [`Store::end_session`]);
//! - `schema.rs`: the embedded migrations, run on [`Store::open`];
//! - `writer.rs`: the group-commit writer thread behind [`Store::write`];
//! - `error.rs`: [`StoreError`].
//!
//! Reads and administrative writes (keys, drafts, lifecycle, sessions) use one
//! connection, each write in a transaction of its own. The hot writes (an event with its
//! contact and runs, a run's progress with its contact and caused events) are closures
//! handed to [`Store::write`], which calls the free functions above on the writer's
//! connection: one transaction per group of writes, answered after its commit.

mod contacts;
mod error;
mod events;
mod runs;
mod schema;
mod sessions;
mod workflows;
mod workspaces;
mod writer;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Transaction};

pub use error::StoreError;

pub use contacts::{insert_contact, save_contact};
pub use events::{CausedRow, record_caused_event, record_event};
pub use runs::{insert_run, update_run};

/// The SQLite store: one connection for reads and administrative writes, and a writer
/// thread with its own connection that commits the hot writes (events, runs' progress)
/// in groups: every write waiting when a commit starts shares its fsync, and each caller
/// hears back only after that commit.
pub struct Store {
    conn: Mutex<Connection>,
    writer: std::sync::mpsc::Sender<writer::WriteRequest>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// Opens a connection with the store's settings.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.trace_v2(
        rusqlite::trace::TraceEventCodes::SQLITE_TRACE_PROFILE,
        Some(|_: rusqlite::trace::TraceEvent<'_>| {
            STATEMENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }),
    )?;
    Ok(conn)
}

/// A workflow row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowRow {
    pub name: String,
    pub status: String,
    pub source: String,
    pub active_version: Option<i64>,
}

/// One immutable version of a workflow (its IR and source are read on their own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRow {
    pub version: i64,
    pub trigger: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// A run row (the state is the interpreter's `RunState` as JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRow {
    pub id: String,
    pub workspace: String,
    pub workflow: String,
    pub version: i64,
    pub status: String,
    pub trigger: String,
    pub hub: Option<String>,
    pub card: Option<String>,
    pub event_id: String,
    pub contact_id: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub due_at: Option<i64>,
    pub state: String,
    /// The causation depth of its trigger event (0: an outside event).
    pub depth: i64,
    /// What caused its trigger event, as JSON ([`crate::runtime::caused::CausedBy`]).
    pub caused_by: Option<String>,
}

/// A due run and its contact's blob (when it has a contact and the contact exists).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueRun {
    pub run: RunRow,
    pub contact: Option<String>,
}

/// Which runs [`Store::list_runs`] lists: every filter that is set must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunQuery {
    pub workflow: Option<String>,
    pub status: Option<String>,
    pub trigger: Option<String>,
    pub hub: Option<String>,
    pub card: Option<String>,
    /// Started at or after (milliseconds since the epoch).
    pub started_from: Option<i64>,
    /// Started before (milliseconds since the epoch).
    pub started_before: Option<i64>,
    /// The page after this `(started_at, id)` (the last row of the previous page): its
    /// start time, and its run, whose place in the arrival order breaks ties.
    pub after: Option<(i64, String)>,
    pub limit: u32,
}

/// A dashboard session, as stored (under the hash of its id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub workspace: String,
    /// The token every form of the session posts back.
    pub csrf: String,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
}

/// A contact row: its store blob (the contact record and its loyalty state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRow {
    pub id: String,
    pub data: String,
}

/// SQL statements executed by every store of this process (for the benchmark's
/// statements-per-run figure).
static STATEMENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many SQL statements the stores of this process have executed.
pub fn statements_executed() -> u64 {
    STATEMENTS.load(std::sync::atomic::Ordering::Relaxed)
}

impl Store {
    /// Opens (creating and migrating) the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
                action: format!("create {}", dir.display()),
                detail: e.to_string(),
            })?;
        }
        let mut conn = connect(path)?;
        schema::migrate(&mut conn)?;
        let writer = writer::start(connect(path)?)?;
        Ok(Store { conn: Mutex::new(conn), writer })
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

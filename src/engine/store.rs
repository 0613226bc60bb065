//! The engine's store: one SQLite file (WAL, full sync on commit), every table scoped by
//! workspace.
//!
//! In: engine operations (save a draft, add a version, ingest an event with its runs,
//! save a run's state, apply an internal action exactly once). Out: rows. Each
//! operation is one transaction: nothing is ever half-written. Migrations are embedded
//! and run on open.

use std::any::Any;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::error::EngineError;

/// Embedded migrations, applied in order; `meta.schema_version` records the last one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE workspaces (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE api_keys (
  hash TEXT PRIMARY KEY,
  workspace TEXT NOT NULL REFERENCES workspaces(id),
  created_at INTEGER NOT NULL
);
CREATE TABLE workflows (
  workspace TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  active_version INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, name)
);
CREATE TABLE versions (
  workspace TEXT NOT NULL,
  workflow TEXT NOT NULL,
  version INTEGER NOT NULL,
  source TEXT NOT NULL,
  ir TEXT NOT NULL,
  trigger TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, workflow, version)
);
CREATE TABLE events (
  workspace TEXT NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (workspace, id)
);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  workspace TEXT NOT NULL,
  workflow TEXT NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  trigger TEXT NOT NULL,
  hub TEXT,
  card TEXT,
  event_id TEXT NOT NULL,
  contact_id TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  due_at INTEGER,
  state TEXT NOT NULL
);
CREATE INDEX runs_due ON runs(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX runs_newest ON runs(workspace, started_at DESC, id DESC);
CREATE TABLE contacts (
  workspace TEXT NOT NULL,
  id TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  data TEXT NOT NULL,
  PRIMARY KEY (workspace, id)
);
CREATE INDEX contacts_email ON contacts(workspace, email);
CREATE INDEX contacts_phone ON contacts(workspace, phone);
"#,
    r#"
CREATE TABLE dashboard_sessions (
  id_hash TEXT PRIMARY KEY,
  workspace TEXT NOT NULL REFERENCES workspaces(id),
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
-- A workflow's runs newest first (the runs list filtered by workflow), and covering
-- for its metrics and counts (status and finish time ride along).
CREATE INDEX runs_workflow_newest ON runs(workspace, workflow, started_at DESC, id DESC, status, finished_at);
"#,
    r#"
-- Events the engine raises for its own changes (catalog.md "What actions change"):
-- what caused them (JSON: run, step, event, chain) and how deep in a chain they are
-- (an outside event is 0). A run copies its trigger event's depth and cause, and
-- `cause_run` finds the runs a run caused.
ALTER TABLE events ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN caused_by TEXT;
ALTER TABLE runs ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN caused_by TEXT;
ALTER TABLE runs ADD COLUMN cause_run TEXT;
CREATE INDEX runs_cause ON runs(workspace, cause_run) WHERE cause_run IS NOT NULL;
"#,
];

/// A write for the group-commit writer: runs inside the batch's transaction and gives
/// back its result; it may run twice (see [`write_loop`]), so it only touches SQL.
type Job = Box<dyn FnMut(&Connection) -> JobResult + Send>;

struct WriteRequest {
    job: Job,
    done: tokio::sync::oneshot::Sender<JobResult>,
}

/// The SQLite store: one connection for reads and administrative writes, and a writer
/// thread with its own connection that commits the hot writes (events, runs' progress)
/// in groups: every write waiting when a commit starts shares its fsync, and each caller
/// hears back only after that commit.
pub struct Store {
    conn: Mutex<Connection>,
    writer: std::sync::mpsc::Sender<WriteRequest>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// The most writes one group commit takes.
const MAX_GROUP: usize = 512;

/// Opens a connection with the store's settings.
fn connect(path: &Path) -> Result<Connection, EngineError> {
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

/// The writer thread: takes the writes that are waiting, runs them in one transaction,
/// commits once, then answers every caller.
///
/// The common case costs no statement beyond each write's own: the writes run one
/// after the other in the transaction. When one fails, the whole transaction is rolled
/// back and the group is run again with a savepoint around each write, so the failed
/// write's statements are undone and the others are kept (writes are plain SQL on the
/// connection, so running one twice is safe).
fn write_loop(mut conn: Connection, requests: std::sync::mpsc::Receiver<WriteRequest>) {
    while let Ok(first) = requests.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP {
            match requests.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let outcome = commit_group(&mut conn, &mut batch, false).and_then(|results| {
            if results.iter().all(Result::is_ok) {
                Ok(results)
            } else {
                commit_group(&mut conn, &mut batch, true)
            }
        });
        match outcome {
            Ok(results) => {
                for (request, result) in batch.into_iter().zip(results) {
                    let _ = request.done.send(result);
                }
            }
            Err(e) => {
                for request in batch {
                    let _ = request.done.send(Err(e.clone()));
                }
            }
        }
    }
}

type JobResult = Result<Box<dyn Any + Send>, EngineError>;

/// Runs every write of `batch` in one transaction, each in a savepoint when `isolate`;
/// without it, a failed write rolls the whole transaction back (its results are then
/// only a signal to run the group again isolated).
fn commit_group(
    conn: &mut Connection,
    batch: &mut [WriteRequest],
    isolate: bool,
) -> Result<Vec<JobResult>, EngineError> {
    let mut tx = conn.transaction()?;
    let mut results = Vec::with_capacity(batch.len());
    for request in batch.iter_mut() {
        if isolate {
            let mut savepoint = tx.savepoint()?;
            let result = (request.job)(&savepoint);
            if result.is_ok() {
                savepoint.commit()?;
            } else {
                savepoint.rollback()?;
            }
            results.push(result);
        } else {
            let result = (request.job)(&tx);
            let failed = result.is_err();
            results.push(result);
            if failed {
                tx.rollback()?;
                return Ok(results);
            }
        }
    }
    tx.commit()?;
    Ok(results)
}

/// A workflow row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowRow {
    pub name: String,
    pub status: String,
    pub source: String,
    pub active_version: Option<i64>,
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

/// A contact row: its store blob (the contact record and its loyalty state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRow {
    pub id: String,
    pub data: String,
}

const RUN_COLUMNS: &str = "id, workspace, workflow, version, status, trigger, hub, card, event_id, contact_id, started_at, finished_at, due_at, state, depth, caused_by";

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        workspace: r.get(1)?,
        workflow: r.get(2)?,
        version: r.get(3)?,
        status: r.get(4)?,
        trigger: r.get(5)?,
        hub: r.get(6)?,
        card: r.get(7)?,
        event_id: r.get(8)?,
        contact_id: r.get(9)?,
        started_at: r.get(10)?,
        finished_at: r.get(11)?,
        due_at: r.get(12)?,
        state: r.get(13)?,
        depth: r.get(14)?,
        caused_by: r.get(15)?,
    })
}

/// SQL statements executed by every store of this process (for the benchmark's
/// statements-per-run figure).
static STATEMENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many SQL statements the stores of this process have executed.
pub fn statements_executed() -> u64 {
    STATEMENTS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Store {
    /// Opens (creating and migrating) the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<Store, EngineError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| EngineError::Store(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = connect(path)?;
        let (writer, requests) = std::sync::mpsc::channel();
        let store = Store { conn: Mutex::new(conn), writer };
        store.migrate()?;
        let writer_conn = connect(path)?;
        std::thread::Builder::new()
            .name("komo-store-writer".into())
            .spawn(move || write_loop(writer_conn, requests))
            .map_err(|e| EngineError::Store(format!("cannot start the store writer: {e}")))?;
        Ok(store)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, EngineError> {
        self.conn.lock().map_err(|_| EngineError::Store("the store lock is poisoned".into()))
    }

    fn migrate(&self) -> Result<(), EngineError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction()?;
        tx.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", [])?;
        let current: i64 = tx
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let version = i64::try_from(i).unwrap_or(i64::MAX) + 1;
            if version > current {
                tx.execute_batch(sql)?;
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1",
                    params![version.to_string()],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` in the next group commit; answers after that commit (durably stored) or
    /// with its error (`f`'s writes are then undone, the others in the group are kept).
    /// `f` may be called twice (the group is run again when another write fails), so
    /// it must do nothing but SQL on the connection it is given.
    pub async fn write<T: Send + 'static>(
        &self,
        mut f: impl FnMut(&Connection) -> Result<T, EngineError> + Send + 'static,
    ) -> Result<T, EngineError> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| f(conn).map(|t| Box::new(t) as Box<dyn Any + Send>));
        self.writer
            .send(WriteRequest { job, done })
            .map_err(|_| EngineError::Store("the store writer stopped".into()))?;
        let value = answer.await.map_err(|_| EngineError::Store("the store writer stopped".into()))??;
        value
            .downcast::<T>()
            .map(|b| *b)
            .map_err(|_| EngineError::Store("internal error: a write answered another type".into()))
    }

    /// Runs `f` in one transaction (committed only if it succeeds).
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    pub fn ensure_workspace(&self, id: &str) -> Result<(), EngineError> {
        self.transaction(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO workspaces (id, created_at) VALUES (?1, ?2)",
                params![id, now_ms()],
            )?;
            Ok(())
        })
    }

    /// Stores a key's hash for `workspace`.
    pub fn add_key(&self, workspace: &str, hash: &str) -> Result<(), EngineError> {
        self.transaction(|tx| {
            tx.execute(
                "INSERT INTO api_keys (hash, workspace, created_at) VALUES (?1, ?2, ?3)",
                params![hash, workspace, now_ms()],
            )?;
            Ok(())
        })
    }

    /// The workspace a key hash belongs to.
    pub fn key_workspace(&self, hash: &str) -> Result<Option<String>, EngineError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row("SELECT workspace FROM api_keys WHERE hash = ?1", params![hash], |r| r.get(0))
            .optional()?)
    }

    pub fn workflow(&self, workspace: &str, name: &str) -> Result<Option<WorkflowRow>, EngineError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT name, status, source, active_version FROM workflows WHERE workspace = ?1 AND name = ?2",
                params![workspace, name],
                |r| Ok(WorkflowRow { name: r.get(0)?, status: r.get(1)?, source: r.get(2)?, active_version: r.get(3)? }),
            )
            .optional()?)
    }

    pub fn workflows(&self, workspace: &str) -> Result<Vec<WorkflowRow>, EngineError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT name, status, source, active_version FROM workflows WHERE workspace = ?1 ORDER BY name",
        )?;
        let rows = stmt
            .query_map(params![workspace], |r| {
                Ok(WorkflowRow {
                    name: r.get(0)?,
                    status: r.get(1)?,
                    source: r.get(2)?,
                    active_version: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Saves `source` as the draft of `name` (a new workflow starts as a draft).
    /// Returns false when the source is unchanged.
    pub fn save_draft(&self, workspace: &str, name: &str, source: &str) -> Result<bool, EngineError> {
        self.transaction(|tx| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT source FROM workflows WHERE workspace = ?1 AND name = ?2",
                    params![workspace, name],
                    |r| r.get(0),
                )
                .optional()?;
            match existing {
                Some(old) if old == source => Ok(false),
                Some(_) => {
                    tx.execute(
                        "UPDATE workflows SET source = ?3, updated_at = ?4 WHERE workspace = ?1 AND name = ?2",
                        params![workspace, name, source, now_ms()],
                    )?;
                    Ok(true)
                }
                None => {
                    tx.execute(
                        "INSERT INTO workflows (workspace, name, status, source, updated_at) VALUES (?1, ?2, 'draft', ?3, ?4)",
                        params![workspace, name, source, now_ms()],
                    )?;
                    Ok(true)
                }
            }
        })
    }

    pub fn set_status(&self, workspace: &str, name: &str, status: &str) -> Result<(), EngineError> {
        self.transaction(|tx| {
            tx.execute(
                "UPDATE workflows SET status = ?3, updated_at = ?4 WHERE workspace = ?1 AND name = ?2",
                params![workspace, name, status, now_ms()],
            )?;
            Ok(())
        })
    }

    /// Adds an immutable version and makes it the active one.
    pub fn activate_version(
        &self,
        workspace: &str,
        name: &str,
        source: &str,
        ir: &str,
        trigger: &str,
    ) -> Result<i64, EngineError> {
        self.transaction(|tx| {
            let last: Option<i64> = tx.query_row(
                "SELECT MAX(version) FROM versions WHERE workspace = ?1 AND workflow = ?2",
                params![workspace, name],
                |r| r.get(0),
            )?;
            let version = last.unwrap_or(0) + 1;
            tx.execute(
                "INSERT INTO versions (workspace, workflow, version, source, ir, trigger, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![workspace, name, version, source, ir, trigger, now_ms()],
            )?;
            tx.execute(
                "UPDATE workflows SET status = 'active', active_version = ?3, updated_at = ?4 WHERE workspace = ?1 AND name = ?2",
                params![workspace, name, version, now_ms()],
            )?;
            Ok(version)
        })
    }

    pub fn versions(&self, workspace: &str, name: &str) -> Result<Vec<i64>, EngineError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT version FROM versions WHERE workspace = ?1 AND workflow = ?2 ORDER BY version",
        )?;
        let rows =
            stmt.query_map(params![workspace, name], |r| r.get(0))?.collect::<Result<Vec<i64>, _>>()?;
        Ok(rows)
    }

    /// A version's IR JSON.
    pub fn version_ir(
        &self,
        workspace: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<String>, EngineError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT ir FROM versions WHERE workspace = ?1 AND workflow = ?2 AND version = ?3",
                params![workspace, name, version],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// `(name, version)` of every active workflow listening to `trigger`.
    pub fn active_for_trigger(
        &self,
        workspace: &str,
        trigger: &str,
    ) -> Result<Vec<(String, i64)>, EngineError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT w.name, v.version FROM workflows w JOIN versions v
               ON v.workspace = w.workspace AND v.workflow = w.name AND v.version = w.active_version
             WHERE w.workspace = ?1 AND w.status = 'active' AND v.trigger = ?2 ORDER BY w.name",
        )?;
        let rows = stmt
            .query_map(params![workspace, trigger], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The contact matched by id, then email, then phone.
    pub fn find_contact(
        &self,
        workspace: &str,
        id: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Option<ContactRow>, EngineError> {
        let conn = self.lock()?;
        for (column, value) in [("id", id), ("email", email), ("phone", phone)] {
            let Some(value) = value else { continue };
            let sql = format!("SELECT id, data FROM contacts WHERE workspace = ?1 AND {column} = ?2 LIMIT 1");
            let row = conn
                .prepare_cached(&sql)?
                .query_row(params![workspace, value], |r| Ok(ContactRow { id: r.get(0)?, data: r.get(1)? }))
                .optional()?;
            if row.is_some() {
                return Ok(row);
            }
        }
        Ok(None)
    }

    pub fn contact(&self, workspace: &str, id: &str) -> Result<Option<ContactRow>, EngineError> {
        self.find_contact(workspace, Some(id), None, None)
    }

    /// The run, in its workspace.
    pub fn run(&self, workspace: &str, id: &str) -> Result<Option<RunRow>, EngineError> {
        let conn = self.lock()?;
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE workspace = ?1 AND id = ?2");
        Ok(conn.query_row(&sql, params![workspace, id], run_row).optional()?)
    }

    /// Runs due at `now` (unfinished, their due time passed) of active workflows, oldest
    /// first, each with its contact's blob, but for the runs in `skip` (those being
    /// advanced: reading their state again would be wasted); a paused workflow's runs
    /// stay parked.
    pub fn due_runs(&self, now: i64, limit: u32, skip: &[&str]) -> Result<Vec<DueRun>, EngineError> {
        let conn = self.lock()?;
        let columns: Vec<String> = RUN_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect();
        let sql = format!(
            "SELECT {}, c.data FROM runs r
             JOIN workflows w ON w.workspace = r.workspace AND w.name = r.workflow
             LEFT JOIN contacts c ON c.workspace = r.workspace AND c.id = r.contact_id
             WHERE r.due_at IS NOT NULL AND r.due_at <= ?1 AND w.status = 'active'
               AND r.id NOT IN (SELECT value FROM json_each(?3))
             ORDER BY r.due_at LIMIT ?2",
            columns.join(", ")
        );
        let skipped = serde_json::to_string(skip).map_err(|e| EngineError::Store(e.to_string()))?;
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params![now, limit, skipped], |r| {
                Ok(DueRun { run: run_row(r)?, contact: r.get(16)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Runs of a workspace, newest first, with filters (see the server for the SQL
    /// filter values) and keyset paging on `(started_at, id)`.
    pub fn list_runs(
        &self,
        workspace: &str,
        filters: &[(&str, String)],
        after: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<RunRow>, EngineError> {
        let conn = self.lock()?;
        let mut sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE workspace = ?1");
        let mut values: Vec<rusqlite::types::Value> = vec![workspace.to_string().into()];
        for (clause, value) in filters {
            values.push(value.clone().into());
            sql.push_str(&format!(" AND {clause} ?{}", values.len()));
        }
        if let Some((started, id)) = after {
            values.push(started.into());
            let a = values.len();
            values.push(id.into());
            let b = values.len();
            sql.push_str(&format!(" AND (started_at < ?{a} OR (started_at = ?{a} AND id < ?{b}))"));
        }
        values.push(i64::from(limit).into());
        sql.push_str(&format!(" ORDER BY started_at DESC, id DESC LIMIT ?{}", values.len()));
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(values.iter()), run_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The runs started by events that run `run` caused, oldest first.
    pub fn runs_caused_by(&self, workspace: &str, run: &str) -> Result<Vec<RunRow>, EngineError> {
        let conn = self.lock()?;
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE workspace = ?1 AND cause_run = ?2 ORDER BY started_at, id"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![workspace, run], run_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every run of a workflow (for its metrics): status, started, finished.
    pub fn run_stats(
        &self,
        workspace: &str,
        workflow: &str,
    ) -> Result<Vec<(String, i64, Option<i64>)>, EngineError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT status, started_at, finished_at FROM runs WHERE workspace = ?1 AND workflow = ?2",
        )?;
        let rows = stmt
            .query_map(params![workspace, workflow], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// Inserts a run.
pub fn insert_run(tx: &Connection, run: &RunRow) -> Result<(), EngineError> {
    tx.prepare_cached(&format!(
        "INSERT INTO runs ({RUN_COLUMNS}, cause_run) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
    ))?
    .execute(params![
            run.id,
            run.workspace,
            run.workflow,
            run.version,
            run.status,
            run.trigger,
            run.hub,
            run.card,
            run.event_id,
            run.contact_id,
            run.started_at,
            run.finished_at,
            run.due_at,
            run.state,
            run.depth,
            run.caused_by,
            cause_run(run.caused_by.as_deref()),
    ])?;
    Ok(())
}

/// Saves a run's progress, if the run is still due at `claimed` (the due time it was
/// picked up with): a run that was cancelled, or advanced by someone else meanwhile, is
/// left alone and the write fails with a conflict (so its other statements are undone).
pub fn update_run(
    tx: &Connection,
    id: &str,
    claimed: Option<i64>,
    status: &str,
    state: &str,
    due_at: Option<i64>,
    finished_at: Option<i64>,
) -> Result<(), EngineError> {
    let changed = tx
        .prepare_cached(
            "UPDATE runs SET status = ?2, state = ?3, due_at = ?4, finished_at = ?5 WHERE id = ?1 AND due_at IS ?6",
        )?
        .execute(params![id, status, state, due_at, finished_at, claimed])?;
    if changed == 0 {
        return Err(EngineError::Conflict(format!(
            "run `{id}` changed while it was advanced; its progress is dropped"
        )));
    }
    Ok(())
}

/// Stores a new contact; one that exists already (created meanwhile) is kept as it is.
pub fn insert_contact(
    tx: &Connection,
    workspace: &str,
    id: &str,
    email: Option<&str>,
    phone: Option<&str>,
    data: &str,
) -> Result<(), EngineError> {
    write_contact(tx, (workspace, id, email, phone, data), "DO NOTHING")
}

/// Saves a contact's blob (inserting it when new).
pub fn save_contact(
    tx: &Connection,
    workspace: &str,
    id: &str,
    email: Option<&str>,
    phone: Option<&str>,
    data: &str,
) -> Result<(), EngineError> {
    write_contact(tx, (workspace, id, email, phone, data), "DO UPDATE SET email = ?3, phone = ?4, data = ?5")
}

type ContactColumns<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);

fn write_contact(tx: &Connection, row: ContactColumns<'_>, on_conflict: &str) -> Result<(), EngineError> {
    let (workspace, id, email, phone, data) = row;
    tx.prepare_cached(&format!(
        "INSERT INTO contacts (workspace, id, email, phone, data) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(workspace, id) {on_conflict}"
    ))?
    .execute(params![workspace, id, email, phone, data])?;
    Ok(())
}

/// Records an event; false when the same id was received in the last 24 hours (a
/// duplicate: the caller starts nothing). An older one is replaced. One statement: the
/// upsert's `WHERE` leaves a recent row alone, and then changes nothing.
pub fn record_event(
    tx: &Connection,
    workspace: &str,
    id: &str,
    kind: &str,
    body: &str,
    now: i64,
) -> Result<bool, EngineError> {
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let changed = tx
        .prepare_cached(
            "INSERT INTO events (workspace, id, type, received_at, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(workspace, id) DO UPDATE SET type = ?3, received_at = ?4, body = ?5
         WHERE events.received_at <= ?6",
        )?
        .execute(params![workspace, id, kind, now, body, now - DAY_MS])?;
    Ok(changed > 0)
}

/// The run named in a `caused_by` JSON.
fn cause_run(caused_by: Option<&str>) -> Option<String> {
    let cause: serde_json::Value = serde_json::from_str(caused_by?).ok()?;
    cause.get("run")?.as_str().map(str::to_string)
}

/// Records an event the engine raised (never a duplicate: its id is derived from its
/// cause, and its cause commits once); false if the id exists already.
pub fn record_caused_event(
    tx: &Connection,
    workspace: &str,
    event: &CausedRow<'_>,
    now: i64,
) -> Result<bool, EngineError> {
    let changed = tx
        .prepare_cached(
            "INSERT INTO events (workspace, id, type, received_at, body, depth, caused_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(workspace, id) DO NOTHING",
        )?
        .execute(params![workspace, event.id, event.kind, now, event.body, event.depth, event.caused_by])?;
    Ok(changed > 0)
}

/// An event the engine raised, as stored.
#[derive(Clone, Copy, Debug)]
pub struct CausedRow<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub body: &'a str,
    pub depth: i64,
    pub caused_by: &'a str,
}

/// The event body a run started from.
pub fn event_body(tx: &Connection, workspace: &str, id: &str) -> Result<Option<String>, EngineError> {
    Ok(tx
        .query_row("SELECT body FROM events WHERE workspace = ?1 AND id = ?2", params![workspace, id], |r| {
            r.get(0)
        })
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn temp_store(name: &str) -> (Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("komo-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir.join("komo.db")).unwrap();
        store.ensure_workspace("ws").unwrap();
        (store, dir)
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.lock().unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_write_is_undone_and_the_rest_of_its_group_is_kept() {
        let (store, dir) = temp_store("group");
        let store = Arc::new(store);
        // Many writes at once, so they share groups; every third one fails half-way
        // (after its first insert), which must leave no trace of it.
        let mut tasks = Vec::new();
        for i in 0..60 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                store
                    .write(move |tx| {
                        record_event(tx, "ws", &format!("e{i}"), "T", "{}", 1_000_000_000)?;
                        if i % 3 == 0 {
                            return Err(EngineError::Conflict(format!("write {i} fails")));
                        }
                        Ok(i)
                    })
                    .await
            }));
        }
        let mut failed = 0;
        for (i, t) in tasks.into_iter().enumerate() {
            match t.await.unwrap() {
                Ok(n) => assert_eq!(n, i),
                Err(e) => {
                    assert_eq!(e, EngineError::Conflict(format!("write {i} fails")));
                    failed += 1;
                }
            }
        }
        assert_eq!(failed, 20);
        assert_eq!(count(&store, "SELECT count(*) FROM events"), 40);
        assert_eq!(
            count(&store, "SELECT count(*) FROM events WHERE (CAST(substr(id, 2) AS INTEGER) % 3) = 0"),
            0
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_event_id_is_a_duplicate_for_24_hours_then_replaced() {
        let (store, dir) = temp_store("dedup");
        let day = 24 * 3600 * 1000;
        let t0 = 1_700_000_000_000;
        store
            .transaction(|tx| {
                assert!(record_event(tx, "ws", "e1", "A", "first", t0)?);
                assert!(!record_event(tx, "ws", "e1", "A", "second", t0 + day - 1)?);
                assert!(record_event(tx, "ws", "e1", "B", "third", t0 + day)?);
                Ok(())
            })
            .unwrap();
        let body = store.transaction(|tx| event_body(tx, "ws", "e1")).unwrap();
        assert_eq!(body.as_deref(), Some("third"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn due_runs_leave_out_the_runs_being_advanced() {
        let (store, dir) = temp_store("skip");
        store
            .transaction(|tx| {
                tx.execute(
                    "INSERT INTO workflows (workspace, name, status, source, active_version, updated_at) VALUES ('ws', 'w', 'active', '', 1, 0)",
                    [],
                )?;
                for (id, due) in [("run_a", 1), ("run_b", 2), ("run_c", 3)] {
                    let mut run = sample_run(id);
                    run.due_at = Some(due);
                    insert_run(tx, &run)?;
                }
                Ok(())
            })
            .unwrap();
        let ids = |skip: &[&str]| -> Vec<String> {
            store.due_runs(10, 10, skip).unwrap().into_iter().map(|d| d.run.id).collect()
        };
        assert_eq!(ids(&[]), ["run_a", "run_b", "run_c"]);
        assert_eq!(ids(&["run_b", "run_x"]), ["run_a", "run_c"]);
        assert_eq!(ids(&["run_a", "run_b", "run_c"]), Vec::<String>::new());
        let _ = std::fs::remove_dir_all(dir);
    }

    fn sample_run(id: &str) -> RunRow {
        RunRow {
            id: id.into(),
            workspace: "ws".into(),
            workflow: "w".into(),
            version: 1,
            status: "pending".into(),
            trigger: "T".into(),
            hub: None,
            card: None,
            event_id: "e".into(),
            contact_id: None,
            started_at: 1,
            finished_at: None,
            due_at: Some(5),
            state: "{}".into(),
            depth: 0,
            caused_by: None,
        }
    }

    #[test]
    fn progress_of_a_run_that_changed_meanwhile_is_refused() {
        let (store, dir) = temp_store("claim");
        let run = sample_run("run_1");
        store.transaction(|tx| insert_run(tx, &run)).unwrap();
        // Claimed at due time 5: the first save wins, a second from the same claim loses.
        store
            .transaction(|tx| update_run(tx, "run_1", Some(5), "waiting", "{\"a\":1}", Some(9), None))
            .unwrap();
        let stale =
            store.transaction(|tx| update_run(tx, "run_1", Some(5), "succeeded", "{}", None, Some(7)));
        assert!(matches!(stale, Err(EngineError::Conflict(_))), "{stale:?}");
        let row = store.run("ws", "run_1").unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.due_at, row.state.as_str()), ("waiting", Some(9), "{\"a\":1}"));
        let _ = std::fs::remove_dir_all(dir);
    }
}

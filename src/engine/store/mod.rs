//! The engine's store: every table scoped by workspace, on one of two backends. All of
//! the engine's SQL lives in this module.
//!
//! In: engine operations (save a draft, add a version, ingest an event with its runs,
//! save a run's progress, claim due runs). Out: rows. Each operation is one transaction:
//! nothing is ever half-written. Each backend embeds its own migrations and runs them on
//! open.
//!
//! [`Store`] is the one interface the engine sees; it answers from either backend:
//! - `sqlite/`: one SQLite file (WAL, full sync), the embedded default, one node;
//! - `postgres/`: a Postgres database shared by any number of nodes, whose due runs are
//!   claimed with leases and fencing tokens.
//!
//! The hot writes are data ([`IngestWrite`], [`ProgressWrite`] in `writes.rs`), so both
//! backends commit the same thing. Errors are [`StoreError`]s; the engine turns them
//! into its own (a stale claim is a conflict).

mod cancel;
pub mod copy;
mod error;
pub mod migrate;
mod postgres;
mod replay;
mod sqlite;
mod writes;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

pub use cancel::RunCancel;
pub use error::StoreError;
pub use replay::ReplayQuery;
pub use writes::{Claim, ContactWrite, IngestWrite, NewEvent, ProgressWrite, RaisedEvent};

/// Where a store is: a SQLite file or a Postgres database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    /// A `postgres://` (or `postgresql://`) URL.
    Postgres(String),
}

impl StoreLocation {
    /// The location a `--db` value names: a `postgres://` or `postgresql://` URL, a
    /// `sqlite://PATH`, or a path; `None` for another scheme (`mysql://…`).
    pub fn parse(db: &str) -> Option<StoreLocation> {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            return Some(StoreLocation::Postgres(db.to_string()));
        }
        if let Some(path) = db.strip_prefix("sqlite://") {
            return Some(StoreLocation::Sqlite(PathBuf::from(path)));
        }
        if db.contains("://") {
            return None;
        }
        Some(StoreLocation::Sqlite(PathBuf::from(db)))
    }
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Sqlite(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// A URL without its password (for messages and logs).
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
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
    /// The contact's blob when the run started (written once, at insert, for `komo
    /// replay`); only [`Store::replay_runs`] reads it back, other reads leave it `None`.
    pub start_contact: Option<String>,
}

#[cfg(test)]
impl RunRow {
    /// A pending run of `ws`/`w`, due at 0, for tests.
    pub(crate) fn pending(id: &str, contact: Option<&str>) -> RunRow {
        RunRow {
            id: id.into(),
            workspace: "ws".into(),
            workflow: "w".into(),
            version: 1,
            status: "pending".into(),
            trigger: "Contact.Identified".into(),
            hub: None,
            card: None,
            event_id: format!("e_{id}"),
            contact_id: contact.map(str::to_string),
            started_at: 0,
            finished_at: None,
            due_at: Some(0),
            state: "{}".into(),
            depth: 0,
            caused_by: None,
            start_contact: None,
        }
    }
}

impl RunRow {
    /// The run whose event started this one (from `caused_by`), stored beside it so the
    /// runs a run caused are found by an index.
    pub fn cause_run(&self) -> Option<String> {
        let cause: serde_json::Value = serde_json::from_str(self.caused_by.as_deref()?).ok()?;
        cause.get("run")?.as_str().map(str::to_string)
    }
}

/// A due run, claimed: its contact's blob (when it has a contact and the contact
/// exists), and the claim its progress is committed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueRun {
    pub run: RunRow,
    pub contact: Option<String>,
    pub claim: Claim,
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

impl RunQuery {
    /// The query's `WHERE …` (after `FROM runs`), order and limit, with the placeholder
    /// `slot(n)` makes for the n-th value (1-based), and its values in order (the first
    /// is `workspace`): one query for both stores.
    pub(crate) fn sql(&self, workspace: &str, slot: impl Fn(usize) -> String) -> (String, Vec<copy::Cell>) {
        use copy::Cell;
        let mut values = vec![Cell::Text(workspace.to_string())];
        let mut sql = format!("WHERE workspace = {}", slot(1));
        let texts = [
            ("workflow =", &self.workflow),
            ("status =", &self.status),
            ("trigger =", &self.trigger),
            ("hub =", &self.hub),
            ("card =", &self.card),
        ];
        for (clause, value) in texts {
            if let Some(value) = value {
                values.push(Cell::Text(value.clone()));
                sql.push_str(&format!(" AND {clause} {}", slot(values.len())));
            }
        }
        for (clause, value) in [("started_at >=", self.started_from), ("started_at <", self.started_before)] {
            if let Some(value) = value {
                values.push(Cell::Int(value));
                sql.push_str(&format!(" AND {clause} {}", slot(values.len())));
            }
        }
        if let Some((started, id)) = &self.after {
            values.push(Cell::Int(*started));
            let a = slot(values.len());
            values.push(Cell::Text(id.clone()));
            let b = slot(values.len());
            // A run of another workspace, or none, places nothing after it in its
            // millisecond (`seq < NULL` is never true): older ones still follow.
            sql.push_str(&format!(
                " AND (started_at < {a} OR (started_at = {a} AND seq < (SELECT seq FROM runs WHERE workspace = {} AND id = {b})))",
                slot(1)
            ));
        }
        values.push(Cell::Int(i64::from(self.limit)));
        sql.push_str(&format!(" ORDER BY started_at DESC, seq DESC LIMIT {}", slot(values.len())));
        (sql, values)
    }
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

fn count_statements(n: u64) {
    STATEMENTS.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
}

/// How many SQL statements the stores of this process have executed.
pub fn statements_executed() -> u64 {
    STATEMENTS.load(std::sync::atomic::Ordering::Relaxed)
}

/// This process as a node of a store: its name (on leases, `/metrics` and the
/// dashboard) and how long its claims last without being renewed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    /// Milliseconds.
    pub lease_ms: i64,
}

impl Node {
    /// The default lease: long enough for a slow step (claims are renewed every third
    /// of it while the node works), short enough that a dead node's runs move on soon.
    pub const DEFAULT_LEASE_MS: i64 = 15_000;
}

/// What other nodes announced (a shared store's listener moves these; on SQLite the
/// one node is the only writer and nothing moves them).
#[derive(Debug, Default)]
pub struct Changes {
    /// Moves whenever a workflow's lifecycle changes on any node.
    pub workflows: AtomicU64,
    /// Notified when any node stores new runs.
    pub runs: tokio::sync::Notify,
}

/// The store: one of the two backends behind one interface.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
    changes: Arc<Changes>,
    node: Node,
}

#[derive(Debug)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// Calls the same operation on whichever backend the store is: `sync` for an operation
/// SQLite answers synchronously, `async` for one it answers asynchronously.
macro_rules! on_backend {
    ($store:expr, $s:ident => sync $call:expr) => {
        match &$store.backend {
            Backend::Sqlite($s) => $call,
            Backend::Postgres($s) => $call.await,
        }
    };
    ($store:expr, $s:ident => $call:expr) => {
        match &$store.backend {
            Backend::Sqlite($s) => $call.await,
            Backend::Postgres($s) => $call.await,
        }
    };
}

impl Store {
    /// Opens (creating and migrating) the store at `location`, as `node`.
    pub async fn open(location: &StoreLocation, node: Node) -> Result<Store, StoreError> {
        let changes = Arc::new(Changes::default());
        let backend = match location {
            StoreLocation::Sqlite(path) => Backend::Sqlite(sqlite::Sqlite::open(path)?),
            StoreLocation::Postgres(url) => Backend::Postgres(
                postgres::Postgres::open(url, location.to_string(), node.clone(), Arc::clone(&changes))
                    .await?,
            ),
        };
        Ok(Store { backend, changes, node })
    }

    /// Which backend this is (`sqlite` or `postgres`), for metrics and the dashboard.
    pub fn kind(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Whether several nodes may share this store (their claims are leased).
    pub fn shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// This process as a node of the store.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// What other nodes announced.
    pub fn changes(&self) -> &Arc<Changes> {
        &self.changes
    }

    /// Tells every node that `what` changed (`workflows`: a lifecycle change; `runs`:
    /// new runs). Nothing to tell on SQLite, whose one node knows.
    pub async fn announce(&self, what: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(p) => p.announce(what).await,
        }
    }

    /// Extends this node's claims with `tokens` while it works on them; answers how
    /// many still held (nothing to do on SQLite, whose claims are this process's own).
    pub async fn renew(&self, tokens: &[i64]) -> Result<u64, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(0),
            Backend::Postgres(p) => p.renew(tokens).await,
        }
    }

    // Workspaces and keys.

    /// Creates the workspace (at `now`) unless it exists.
    pub async fn ensure_workspace(&self, id: &str, now: i64) -> Result<(), StoreError> {
        on_backend!(self, s => sync s.ensure_workspace(id, now))
    }

    /// Stores a key's hash for `workspace`, created at `now`.
    pub async fn add_key(&self, workspace: &str, hash: &str, now: i64) -> Result<(), StoreError> {
        on_backend!(self, s => sync s.add_key(workspace, hash, now))
    }

    /// The workspace a key hash belongs to.
    pub async fn key_workspace(&self, hash: &str) -> Result<Option<String>, StoreError> {
        on_backend!(self, s => sync s.key_workspace(hash))
    }

    // Workflows and versions.

    pub async fn workflow(&self, workspace: &str, name: &str) -> Result<Option<WorkflowRow>, StoreError> {
        on_backend!(self, s => sync s.workflow(workspace, name))
    }

    /// The workspace's workflows, by name.
    pub async fn workflows(&self, workspace: &str) -> Result<Vec<WorkflowRow>, StoreError> {
        on_backend!(self, s => sync s.workflows(workspace))
    }

    /// Saves `source` as the draft of `name` (a new workflow starts as a draft), at
    /// `now`. Returns false when the source is unchanged.
    pub async fn save_draft(
        &self,
        workspace: &str,
        name: &str,
        source: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        on_backend!(self, s => sync s.save_draft(workspace, name, source, now))
    }

    pub async fn set_status(
        &self,
        workspace: &str,
        name: &str,
        status: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        on_backend!(self, s => sync s.set_status(workspace, name, status, now))
    }

    /// Adds an immutable version, created at `now`, and makes it the active one;
    /// answers its number.
    pub async fn activate_version(
        &self,
        workspace: &str,
        name: &str,
        source: &str,
        ir: &str,
        trigger: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        on_backend!(self, s => sync s.activate_version(workspace, name, source, ir, trigger, now))
    }

    /// The version numbers of a workflow, oldest first.
    pub async fn versions(&self, workspace: &str, name: &str) -> Result<Vec<i64>, StoreError> {
        on_backend!(self, s => sync s.versions(workspace, name))
    }

    /// The stored IR (JSON) of one version.
    pub async fn version_ir(
        &self,
        workspace: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<String>, StoreError> {
        on_backend!(self, s => sync s.version_ir(workspace, name, version))
    }

    /// The active workflows listening to `trigger`, with their active versions.
    pub async fn active_for_trigger(
        &self,
        workspace: &str,
        trigger: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        on_backend!(self, s => sync s.active_for_trigger(workspace, trigger))
    }

    /// A workflow's versions, newest first.
    pub async fn version_history(&self, workspace: &str, name: &str) -> Result<Vec<VersionRow>, StoreError> {
        on_backend!(self, s => sync s.version_history(workspace, name))
    }

    pub async fn version_source(
        &self,
        workspace: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<String>, StoreError> {
        on_backend!(self, s => sync s.version_source(workspace, name, version))
    }

    pub async fn workflow_names(&self, workspace: &str) -> Result<Vec<String>, StoreError> {
        on_backend!(self, s => sync s.workflow_names(workspace))
    }

    /// Every trigger a version of the workspace listens to.
    pub async fn version_triggers(&self, workspace: &str) -> Result<Vec<String>, StoreError> {
        on_backend!(self, s => sync s.version_triggers(workspace))
    }

    /// The active and paused workflows but `except`, each with its active version's source.
    pub async fn live_sources_except(
        &self,
        workspace: &str,
        except: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        on_backend!(self, s => sync s.live_sources_except(workspace, except))
    }

    // Contacts and events.

    /// The contact matched by id, then email, then phone.
    pub async fn find_contact(
        &self,
        workspace: &str,
        id: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Option<ContactRow>, StoreError> {
        on_backend!(self, s => sync s.find_contact(workspace, id, email, phone))
    }

    pub async fn contact(&self, workspace: &str, id: &str) -> Result<Option<ContactRow>, StoreError> {
        on_backend!(self, s => sync s.contact(workspace, id))
    }

    /// Records an event that starts no run, in a transaction of its own; false when the
    /// same id was received in the last 24 hours.
    pub async fn record_event(
        &self,
        workspace: &str,
        id: &str,
        kind: &str,
        body: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        on_backend!(self, s => sync s.record_event(workspace, id, kind, body, now))
    }

    /// The body of a stored event (the one a run started from).
    pub async fn event_body(&self, workspace: &str, id: &str) -> Result<Option<String>, StoreError> {
        on_backend!(self, s => sync s.event_body(workspace, id))
    }

    // Runs.

    pub async fn run(&self, workspace: &str, id: &str) -> Result<Option<RunRow>, StoreError> {
        on_backend!(self, s => sync s.run(workspace, id))
    }

    /// Claims runs due at `now` (unfinished, their due time passed) of active workflows,
    /// oldest first, each with its contact's blob, but for the runs in `skip` (those this
    /// node is advancing); a paused workflow's runs stay parked.
    pub async fn claim_due(&self, now: i64, limit: u32, skip: &[&str]) -> Result<Vec<DueRun>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.due_runs(now, limit, skip),
            Backend::Postgres(p) => p.claim_due(now, limit, skip).await,
        }
    }

    /// Runs of a workspace, newest first, that pass every filter of `query`.
    pub async fn list_runs(&self, workspace: &str, query: &RunQuery) -> Result<Vec<RunRow>, StoreError> {
        on_backend!(self, s => sync s.list_runs(workspace, query))
    }

    /// The runs started by events that run `run` caused, oldest first.
    pub async fn runs_caused_by(&self, workspace: &str, run: &str) -> Result<Vec<RunRow>, StoreError> {
        on_backend!(self, s => sync s.runs_caused_by(workspace, run))
    }

    /// Every run of a workflow (for its metrics): status, started, finished.
    pub async fn run_stats(
        &self,
        workspace: &str,
        workflow: &str,
    ) -> Result<Vec<(String, i64, Option<i64>)>, StoreError> {
        on_backend!(self, s => sync s.run_stats(workspace, workflow))
    }

    /// How many runs each workflow of the workspace started at or after `since_ms`.
    pub async fn run_counts_since(
        &self,
        workspace: &str,
        since_ms: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        on_backend!(self, s => sync s.run_counts_since(workspace, since_ms))
    }

    /// Cancels a workflow's unfinished runs, all in one transaction, each with the state
    /// `cancelled_state` makes of its stored one; an error from it cancels none.
    pub async fn cancel_unfinished_runs(
        &self,
        workspace: &str,
        workflow: &str,
        finished_at: i64,
        cancelled_state: impl FnMut(&str, &str) -> Result<String, StoreError>,
    ) -> Result<(), StoreError> {
        on_backend!(self, s => sync s.cancel_unfinished_runs(workspace, workflow, finished_at, cancelled_state))
    }

    // The hot writes.

    /// Stores an ingested event with its new contact, runs and caused events, durably;
    /// `None` when the event is a duplicate (nothing is stored).
    pub async fn ingest(&self, write: IngestWrite) -> Result<Option<usize>, StoreError> {
        on_backend!(self, s => s.ingest(write))
    }

    /// Stores a run's progress with its contact and caused events, durably; a claim that
    /// no longer holds is refused with [`StoreError::Conflict`] (nothing is stored).
    /// Answers how many events and runs were stored.
    pub async fn progress(&self, write: ProgressWrite) -> Result<(usize, usize), StoreError> {
        on_backend!(self, s => s.progress(write))
    }

    // Dashboard sessions.

    pub async fn start_session(
        &self,
        id_hash: &str,
        session: &SessionRow,
        now: i64,
    ) -> Result<(), StoreError> {
        on_backend!(self, s => sync s.start_session(id_hash, session, now))
    }

    /// The session stored under `id_hash`, unless it expired by `now`.
    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
        on_backend!(self, s => sync s.session(id_hash, now))
    }

    pub async fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        on_backend!(self, s => sync s.end_session(id_hash))
    }
}

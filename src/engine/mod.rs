//! The engine behind `komo serve`: workflows and their lifecycle, event ingest and
//! matching, durable runs on the store, and the read side of the API.
//!
//! In: a project (`komo.toml`, `workflows/*.komo`) and a SQLite file. Out: the
//! [`Engine`] facade the HTTP server calls. Runs are journaled in the store: a run's
//! state is saved at every park, internal actions commit with their step record
//! (exactly once), and the scheduler resumes whatever is due, also after a restart.

pub mod api;
mod cancel;
mod caused;
pub mod clock;
pub mod error;
mod handoff;
mod hooks;
mod host;
mod ingest;
mod loops;
pub mod metrics;
pub mod migrate;
pub mod overview;
pub mod picture;
mod platform;
pub mod project;
pub mod replay;
mod scheduler;
pub mod sessions;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use api::{RunFilter, RunPage, RunSummary, WorkflowDetail, WorkflowMetrics, WorkflowStatus, WorkflowSummary};
use error::{Denied, EngineError, Fault, Missing, Refusal};
use store::{Store, StoreError, StoreLocation};

use crate::ir;
use crate::runtime::record::{RunRecord, format_millis};
use crate::runtime::value::Value;
use crate::source::SourceMap;

pub use clock::{Clock, ManualClock};
pub use project::Project;

/// The engine of one project's workspace.
#[derive(Debug)]
pub struct Engine {
    store: Arc<Store>,
    project: Project,
    /// Wakes the scheduler when new runs are stored.
    wake: Arc<tokio::sync::Notify>,
    /// New runs ingest hands to the scheduler in memory (on a store of this process alone).
    handoff: handoff::HandOff,
    /// Parsed IR by (workspace, workflow, version); versions are immutable.
    ir_cache: Mutex<HashMap<(String, String, i64), Arc<ir::Workflow>>>,
    /// Active workflows by (workspace, trigger), with the lifecycle generation they were
    /// read at: every lifecycle change bumps it (this process is the store's only
    /// writer of workflows), so ingest reads the active set once per change, not per event.
    active: Mutex<ActiveCache>,
    metrics: metrics::Metrics,
    /// The project's workspace catalog: activation checks workflows against it.
    catalog: Arc<crate::check::ProjectCatalog>,
    connectors: Arc<crate::connectors::Connectors>,
    /// Where every time the engine reads or stores comes from.
    clock: Clock,
    /// Key hashes found in the store, with their workspace: a request's key is read
    /// from the store once per process (keys are created, never deleted; unknown keys
    /// are not remembered, so a key made by `komo keys create` works at once).
    known_keys: Mutex<HashMap<String, String>>,
    /// The project's secrets, shared by every run's host.
    secrets: Arc<std::collections::BTreeMap<String, String>>,
}

/// How many keys [`Engine::known_keys`] holds before it starts over.
const MAX_KNOWN_KEYS: usize = 1024;

/// See [`Engine::active`].
#[derive(Debug, Default)]
struct ActiveCache {
    generation: u64,
    /// The store's count of other nodes' lifecycle changes the cache has seen.
    remote: u64,
    by_trigger: HashMap<(String, String), ActiveList>,
}

/// `(name, active version)` of the active workflows of one trigger.
type ActiveList = Arc<Vec<(String, i64)>>;

/// A random token: 32 hex characters.
fn random_hex(bytes: usize) -> Result<String, EngineError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(Fault::NoRandomness)?;
    Ok(hex::encode(buf))
}

/// A new id that sorts by creation time: `prefix`, the time in milliseconds (12 hex
/// digits), then 40 random bits (10 hex digits). Rows keyed by such ids go to the end of
/// their indexes instead of to a random page each, so a group commit writes a few pages
/// rather than one per row (ids made in the same millisecond differ by their random part).
fn ordered_id(prefix: &str, now_ms: i64) -> Result<String, EngineError> {
    Ok(format!("{prefix}{:012x}{}", now_ms.max(0), random_hex(5)?))
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

impl Engine {
    /// Opens (creating) the store at `db` for the loaded `project` (the CLI's project
    /// loader reads it); workflows found in the project are saved as drafts (unchanged
    /// ones are left alone).
    pub async fn open(project: Project, db: &StoreLocation) -> Result<Engine, EngineError> {
        Engine::open_with_clock(project, db, Clock::System).await
    }

    /// [`Engine::open`] on another clock: for tests and for embedding the engine where
    /// time is simulated ([`Clock::Manual`]: the engine's times stand still until the
    /// clock is moved, and moving it wakes the scheduler).
    pub async fn open_with_clock(
        project: Project,
        db: &StoreLocation,
        clock: Clock,
    ) -> Result<Engine, EngineError> {
        let store = Store::open(db, project.node.clone()).await?;
        store.ensure_workspace(&project.workspace_id, clock.now_ms()).await?;
        for (name, source) in &project.workflows {
            store.save_draft(&project.workspace_id, name, source, clock.now_ms()).await?;
        }
        let secrets = Arc::new(project.secrets.clone());
        Ok(Engine {
            store: Arc::new(store),
            wake: Arc::new(tokio::sync::Notify::new()),
            handoff: handoff::HandOff::default(),
            ir_cache: Mutex::new(HashMap::new()),
            active: Mutex::new(ActiveCache::default()),
            metrics: metrics::Metrics::default(),
            catalog: Arc::clone(&project.catalog),
            connectors: Arc::clone(&project.connectors),
            project,
            clock,
            known_keys: Mutex::new(HashMap::new()),
            secrets,
        })
    }

    /// Runs `call` on a thread of the blocking pool, driving its future there: a SQLite
    /// store answers synchronously and activation compiles, so neither stalls the
    /// workers that accept requests. A call that is lost (its thread panicked) is an
    /// internal error.
    pub async fn off_thread<T, F>(engine: &Arc<Engine>, call: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: AsyncFnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
    {
        let engine = Arc::clone(engine);
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || handle.block_on(call(&engine))).await.unwrap_or_else(|error| {
            tracing::error!(%error, "an engine call was lost");
            Err(EngineError::Internal(Fault::Interrupted))
        })
    }

    /// The clock the engine reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn workspace(&self) -> &str {
        &self.project.workspace_id
    }

    pub async fn create_key(&self) -> Result<String, EngineError> {
        let key = format!("komo_{}", random_hex(24)?);
        self.store.add_key(&self.project.workspace_id, &sha256_hex(&key), self.clock.now_ms()).await?;
        Ok(key)
    }

    pub async fn authenticate(&self, key: &str) -> Result<Option<String>, EngineError> {
        let hash = sha256_hex(key.trim());
        if let Some(ws) = self.known_keys.lock().ok().and_then(|k| k.get(&hash).cloned()) {
            return Ok(Some(ws));
        }
        let ws = self.store.key_workspace(&hash).await?;
        if let (Some(ws), Ok(mut known)) = (&ws, self.known_keys.lock()) {
            if known.len() >= MAX_KNOWN_KEYS {
                known.clear();
            }
            known.insert(hash, ws.clone());
        }
        Ok(ws)
    }

    /// The workspace of a key this process has already found in the store, without a
    /// store read (keys are never deleted, so a key once found stays valid).
    pub fn known_key(&self, key: &str) -> Option<String> {
        self.known_keys.lock().ok().and_then(|k| k.get(&sha256_hex(key.trim())).cloned())
    }

    async fn row(&self, ws: &str, name: &str) -> Result<store::WorkflowRow, EngineError> {
        self.store
            .workflow(ws, name)
            .await?
            .ok_or_else(|| Missing::Workflow { name: name.to_string() }.into())
    }

    pub async fn workflows(&self, ws: &str) -> Result<Vec<WorkflowSummary>, EngineError> {
        let mut out = Vec::new();
        for row in self.store.workflows(ws).await? {
            out.push(self.summary(ws, &row).await?);
        }
        Ok(out)
    }

    pub async fn workflow(&self, ws: &str, name: &str) -> Result<WorkflowDetail, EngineError> {
        let row = self.row(ws, name).await?;
        Ok(WorkflowDetail {
            summary: self.summary(ws, &row).await?,
            source: row.source.clone(),
            versions: self.store.versions(ws, name).await?,
        })
    }

    async fn summary(&self, ws: &str, row: &store::WorkflowRow) -> Result<WorkflowSummary, EngineError> {
        let status = WorkflowStatus::parse(&row.status).unwrap_or(WorkflowStatus::Draft);
        let header = project::header_of(&row.source);
        Ok(WorkflowSummary {
            name: row.name.clone(),
            status,
            title: header.title,
            scope: header.scope,
            trigger: header.trigger,
            version: row.active_version,
            metrics: self.metrics(ws, &row.name).await?,
        })
    }

    async fn metrics(&self, ws: &str, name: &str) -> Result<WorkflowMetrics, EngineError> {
        let mut m = WorkflowMetrics::default();
        let mut durations = Vec::new();
        for (status, started, finished) in self.store.run_stats(ws, name).await? {
            m.runs += 1;
            match status.as_str() {
                "succeeded" => m.succeeded += 1,
                "failed" => m.failed += 1,
                "waiting" => m.waiting += 1,
                "cancelled" => m.cancelled += 1,
                _ => m.running += 1,
            }
            if let (Some(end), "succeeded" | "failed") = (finished, status.as_str()) {
                durations.push(end - started);
            }
        }
        let finished = m.succeeded + m.failed;
        if finished > 0 {
            m.success_rate = Some(m.succeeded as f64 / finished as f64);
        }
        durations.sort_unstable();
        let pick = |q: f64| -> Option<i64> {
            let last = durations.len().checked_sub(1)?;
            let i = ((last as f64) * q).round() as usize;
            durations.get(i.min(last)).copied()
        };
        m.p50_ms = pick(0.5);
        m.p95_ms = pick(0.95);
        Ok(m)
    }

    pub async fn save_draft(
        &self,
        ws: &str,
        name: &str,
        source: &str,
    ) -> Result<WorkflowDetail, EngineError> {
        if !crate::check::is_snake_case(name) {
            return Err(EngineError::Invalid {
                message: format!("`{name}` is not a valid workflow name (snake_case)"),
                field: Some("name".into()),
            });
        }
        self.store.save_draft(ws, name, source, self.clock.now_ms()).await?;
        self.lifecycle_changed().await;
        self.workflow(ws, name).await
    }

    /// Compiles the draft; refuses it with the full list of diagnostics if anything is
    /// wrong, or if it would close a trigger loop with the workspace's other active or
    /// paused workflows (`loops.rs`); otherwise stores an immutable version and
    /// activates it.
    pub async fn activate(&self, ws: &str, name: &str) -> Result<WorkflowDetail, EngineError> {
        let row = self.row(ws, name).await?;
        let mut sources = SourceMap::new();
        sources.add(format!("{name}.komo"), row.source.clone());
        let checked = crate::check_sources_in(&sources, &self.catalog);
        if checked.diagnostics.iter().any(|d| d.is_error()) {
            let report = crate::diagnostics::render::json(&sources, &checked.diagnostics);
            let diagnostics = serde_json::to_value(&report).unwrap_or(serde_json::Value::Null);
            return Err(EngineError::Refused { diagnostics });
        }
        if let Some(refused) = loops::refusal(&self.store, ws, name, &row.source).await? {
            return Err(refused);
        }
        let program = ir::lower_program(&checked).map_err(Fault::Lowering)?;
        let Some(wf) = program.workflows.into_iter().find(|w| w.name == name) else {
            return Err(EngineError::Invalid {
                message: format!("the source of `{name}` does not define workflow `{name}`"),
                field: Some("source".into()),
            });
        };
        if let Some(missing) = host::unavailable_connector(&wf, &self.connectors) {
            return Err(EngineError::Invalid { message: missing, field: Some("source".into()) });
        }
        let ir_json =
            ir::stored::to_json(&wf).map_err(|e| StoreError::unwritable(format!("the IR of `{name}`"), e))?;
        self.store
            .activate_version(ws, name, &row.source, &ir_json, wf.trigger.name(), self.clock.now_ms())
            .await?;
        self.lifecycle_changed().await;
        self.workflow(ws, name).await
    }

    async fn transition(
        &self,
        ws: &str,
        name: &str,
        from: &[WorkflowStatus],
        to: WorkflowStatus,
    ) -> Result<(), EngineError> {
        let row = self.row(ws, name).await?;
        let status = WorkflowStatus::parse(&row.status).unwrap_or(WorkflowStatus::Draft);
        if !from.contains(&status) {
            return Err(Refusal::Transition { name: name.to_string(), current: status, to }.into());
        }
        self.store.set_status(ws, name, to.as_str(), self.clock.now_ms()).await?;
        self.lifecycle_changed().await;
        Ok(())
    }

    /// New runs are stored: the scheduler looks for due runs now.
    async fn notify_new_runs(&self) {
        self.wake.notify_one();
    }

    /// Forgets the cached active workflows (after any change to a workflow's row), here
    /// and, through the store, on every other node. A node that cannot be told finds
    /// out when its listener reconnects (it then forgets its cache too).
    async fn lifecycle_changed(&self) {
        if let Ok(mut cache) = self.active.lock() {
            cache.generation += 1;
            cache.by_trigger.clear();
        }
        if let Err(e) = self.store.announce("workflows").await {
            tracing::warn!(error = %e, "could not tell the other nodes of a lifecycle change");
        }
    }

    /// `(name, active version)` of every active workflow of `trigger` in `ws`.
    async fn active_for_trigger(&self, ws: &str, trigger: &str) -> Result<ActiveList, EngineError> {
        let key = (ws.to_string(), trigger.to_string());
        let remote = self.store.changes().workflows.load(std::sync::atomic::Ordering::Relaxed);
        let generation = match self.active.lock() {
            Ok(mut cache) => {
                // Another node changed a lifecycle since the cache was filled.
                if cache.remote != remote {
                    cache.remote = remote;
                    cache.generation += 1;
                    cache.by_trigger.clear();
                }
                match cache.by_trigger.get(&key) {
                    Some(hit) => return Ok(Arc::clone(hit)),
                    None => cache.generation,
                }
            }
            Err(_) => u64::MAX,
        };
        let list = Arc::new(self.store.active_for_trigger(ws, trigger).await?);
        if let Ok(mut cache) = self.active.lock() {
            if cache.generation == generation {
                cache.by_trigger.insert(key, Arc::clone(&list));
            }
        }
        Ok(list)
    }

    pub async fn pause(&self, ws: &str, name: &str) -> Result<WorkflowDetail, EngineError> {
        self.transition(ws, name, &[WorkflowStatus::Active], WorkflowStatus::Paused).await?;
        self.workflow(ws, name).await
    }

    pub async fn resume(&self, ws: &str, name: &str) -> Result<WorkflowDetail, EngineError> {
        self.transition(ws, name, &[WorkflowStatus::Paused], WorkflowStatus::Active).await?;
        self.wake.notify_one();
        self.workflow(ws, name).await
    }

    /// Stops the workflow; its waiting runs are cancelled.
    pub async fn deactivate(&self, ws: &str, name: &str) -> Result<WorkflowDetail, EngineError> {
        self.transition(
            ws,
            name,
            &[WorkflowStatus::Active, WorkflowStatus::Paused],
            WorkflowStatus::Inactive,
        )
        .await?;
        scheduler::cancel_unfinished(&self.store, ws, name, self.clock.now()).await?;
        self.workflow(ws, name).await
    }

    /// Copies the source into a new draft (`<name>_copy` unless named).
    pub async fn clone_workflow(
        &self,
        ws: &str,
        name: &str,
        new_name: Option<&str>,
    ) -> Result<WorkflowDetail, EngineError> {
        let row = self.row(ws, name).await?;
        let target = new_name.map_or_else(|| format!("{name}_copy"), str::to_string);
        if self.store.workflow(ws, &target).await?.is_some() {
            return Err(Refusal::Exists { name: target }.into());
        }
        let source = project::rename_workflow(&row.source, name, &target);
        self.save_draft(ws, &target, &source).await
    }

    /// The IR of a version (cached; versions never change).
    async fn version(&self, ws: &str, name: &str, version: i64) -> Result<Arc<ir::Workflow>, EngineError> {
        let key = (ws.to_string(), name.to_string(), version);
        if let Some(wf) = self.ir_cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(wf);
        }
        let json = self
            .store
            .version_ir(ws, name, version)
            .await?
            .ok_or_else(|| Missing::Version { workflow: name.to_string(), version })?;
        let wf = ir::stored::from_json(&json)
            .map_err(|e| StoreError::corrupt(format!("version {version} of `{name}`"), e))?;
        let wf = Arc::new(wf);
        if let Ok(mut cache) = self.ir_cache.lock() {
            cache.insert(key, Arc::clone(&wf));
        }
        Ok(wf)
    }

    pub async fn runs(&self, ws: &str, filter: &RunFilter) -> Result<RunPage, EngineError> {
        let limit = filter.limit.unwrap_or(50).clamp(1, 500);
        let time = |param: &str, value: &Option<String>| -> Result<Option<i64>, EngineError> {
            let Some(v) = value else { return Ok(None) };
            let t: jiff::Timestamp = v.parse().map_err(|_| EngineError::Invalid {
                message: format!("`{v}` is not an RFC 3339 time"),
                field: Some(param.to_string()),
            })?;
            Ok(Some(t.as_millisecond()))
        };
        let query = store::RunQuery {
            workflow: filter.workflow.clone(),
            status: filter.status.clone(),
            trigger: filter.trigger.clone(),
            hub: filter.hub.clone(),
            card: filter.card.clone(),
            started_from: time("since", &filter.since)?,
            started_before: time("until", &filter.until)?,
            after: match &filter.cursor {
                Some(c) => Some(decode_cursor(c)?),
                None => None,
            },
            limit: limit + 1,
        };
        let rows = self.store.list_runs(ws, &query).await?;
        let more = rows.len() > limit as usize;
        let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
        let next_cursor = if more { rows.last().map(|r| format!("{}_{}", r.started_at, r.id)) } else { None };
        let runs = rows
            .into_iter()
            .map(|r| RunSummary {
                id: r.id,
                workflow: r.workflow,
                version: r.version,
                status: r.status,
                trigger: r.trigger,
                hub: r.hub,
                card: r.card,
                started_at: format_ms(r.started_at),
                finished_at: r.finished_at.map(format_ms),
            })
            .collect();
        Ok(RunPage { runs, next_cursor })
    }

    pub async fn run(&self, ws: &str, id: &str) -> Result<RunRecord, EngineError> {
        let row = self.store.run(ws, id).await?.ok_or_else(|| Missing::Run { id: id.to_string() })?;
        let wf = self.version(ws, &row.workflow, row.version).await?;
        let state: crate::runtime::interp::RunState = serde_json::from_str(&row.state)
            .map_err(|e| StoreError::corrupt(format!("the stored state of run `{id}`"), e))?;
        // A contact that cannot be read shows why, in place of its fields.
        let contact = match &row.contact_id {
            Some(cid) => match host::contact_value(&self.store, ws, cid).await {
                Err(EngineError::Store(why)) => {
                    Value::record([("error".to_string(), Value::String(why.to_string()))])
                }
                other => other?,
            },
            None => Value::Null,
        };
        let mut record = state.record(&wf, &contact);
        record.caused_by = row.caused_by.as_deref().and_then(|c| serde_json::from_str(c).ok());
        record.caused_runs = self
            .store
            .runs_caused_by(ws, id)
            .await?
            .into_iter()
            .map(|r| crate::runtime::record::CausedRun { id: r.id, workflow: r.workflow, event: r.event_id })
            .collect();
        Ok(record)
    }

    pub async fn contact(&self, ws: &str, id: &str) -> Result<serde_json::Value, EngineError> {
        match self.store.contact(ws, id).await? {
            Some(row) => Ok(host::blob_contact(&row.id, &row.data)?.to_json()),
            None => Err(Missing::Contact { id: id.to_string() }.into()),
        }
    }

    pub async fn contact_by_email(&self, ws: &str, email: &str) -> Result<serde_json::Value, EngineError> {
        match self.store.find_contact(ws, None, Some(email), None).await? {
            Some(row) => Ok(host::blob_contact(&row.id, &row.data)?.to_json()),
            None => Err(Missing::ContactWithEmail { email: email.to_string() }.into()),
        }
    }

    pub async fn ingest(&self, ws: &str, body: &[u8]) -> Result<api::IngestResponse, EngineError> {
        ingest::ingest(self, ws, body).await
    }

    /// `POST /v1/platform/events`: the platform's own webhook events; types that are not
    /// mapped are recorded and start no run.
    pub async fn ingest_platform(&self, ws: &str, body: &[u8]) -> Result<api::IngestResponse, EngineError> {
        let json = ingest::read_json(body)?;
        match platform::adapt(&json)? {
            Some((_, _, envelope)) => ingest::ingest_envelope(self, ws, &envelope, None).await,
            None => {
                let id = json.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                let kind = json.get("event").and_then(|v| v.as_str()).unwrap_or("unknown");
                if id.is_empty() {
                    return Err(EngineError::Invalid {
                        message: "`id` is missing".into(),
                        field: Some("id".into()),
                    });
                }
                ingest::record_only(self, ws, &id, &format!("platform:{kind}"), &json.to_string()).await
            }
        }
    }

    /// `POST /v1/hooks/{workflow}`: a `Webhook.Received` event for one workflow of this
    /// project's workspace, authenticated by its Standard Webhooks signature instead of a
    /// key. `headers` are the request's (lower-case names); all are passed to the run.
    pub async fn hook(
        &self,
        workflow: &str,
        headers: &std::collections::BTreeMap<String, String>,
        body: &[u8],
    ) -> Result<api::IngestResponse, EngineError> {
        let Some(secret) = &self.project.webhook_secret else {
            return Err(Missing::Webhooks.into());
        };
        let header = |header: &'static str| {
            headers
                .get(header)
                .map(String::as_str)
                .ok_or(EngineError::Unauthorized(Denied::HeaderMissing { header }))
        };
        let (id, timestamp, signature) =
            (header("webhook-id")?, header("webhook-timestamp")?, header("webhook-signature")?);
        hooks::verify(secret, id, timestamp, signature, body, self.clock.now().as_second())?;
        let ts: i64 = timestamp.trim().parse().unwrap_or_default();
        let shown: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "authorization" | "cookie" | "webhook-signature"))
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let envelope = hooks::envelope(id, ts, body, serde_json::Value::Object(shown))?;
        let ws = self.project.workspace_id.clone();
        ingest::ingest_envelope(self, &ws, &envelope, Some(workflow)).await
    }

    /// `GET /metrics`.
    pub fn metrics_text(&self) -> String {
        let node = &self.store.node().name;
        let store = self.store.kind();
        format!(
            "# HELP komo_node_info The node answering, and its store.\n# TYPE komo_node_info gauge\nkomo_node_info{{node=\"{}\",store=\"{store}\"}} 1\n{}",
            node.replace('\\', "\\\\").replace('"', "\\\""),
            self.metrics.text()
        )
    }

    /// This process as a node of its store.
    pub fn node(&self) -> &store::Node {
        self.store.node()
    }

    /// Starts a new run of the same workflow (its active version) on the run's event.
    pub async fn replay(&self, ws: &str, id: &str) -> Result<api::StartedRun, EngineError> {
        let row = self.store.run(ws, id).await?.ok_or_else(|| Missing::Run { id: id.to_string() })?;
        ingest::replay(self, ws, &row).await
    }

    pub async fn run_scheduler(self: Arc<Self>, shutdown: tokio::sync::watch::Receiver<bool>) {
        scheduler::run(self, shutdown).await;
    }
}

fn format_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(format_millis).unwrap_or_default()
}

fn decode_cursor(cursor: &str) -> Result<(i64, String), EngineError> {
    let bad = || EngineError::Invalid { message: "unreadable cursor".into(), field: Some("cursor".into()) };
    let (at, id) = cursor.split_once('_').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_ids_sort_by_time_and_differ_within_a_millisecond() {
        let (a, b) =
            (ordered_id("run_", 1_700_000_000_000).unwrap(), ordered_id("run_", 1_700_000_000_000).unwrap());
        let later = ordered_id("run_", 1_700_000_000_001).unwrap();
        assert_ne!(a, b, "the random part tells ids of one millisecond apart");
        assert!(a < later && b < later, "{a} {b} {later}");
        assert_eq!(a.len(), "run_".len() + 12 + 10);
        assert!(a.starts_with("run_018bcfe56800"), "{a}");
        // Far in the future, still 12 digits and still in order.
        assert!(ordered_id("ct_", 0xFFFF_FFFF_FFFF).unwrap() > ordered_id("ct_", 0xFFFF_FFFF_FFFE).unwrap());
    }
}

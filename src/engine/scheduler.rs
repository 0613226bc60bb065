//! The scheduler: resumes every run that is due, and saves where it got to.
//!
//! In: runs in the store whose due time has passed (new ones, waits and retries that
//! are over, and any run interrupted by a restart), of active workflows (a paused
//! workflow's runs stay parked). Out: each run advanced until it parks or finishes, and
//! its state, status and next due time committed. Due times are absolute, so after
//! downtime overdue waits fire once, at once, and a wait never starts over.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Engine;
use super::error::EngineError;
use super::host::{EngineHost, blob_of, blob_state};
use super::store::{self, RunRow, Store, now_ms};
use crate::ir::RunStatus;
use crate::runtime::interp::{Progress, RunState, resume};
use crate::runtime::sandbox::Store as ContactState;

/// How many due runs one pass picks up.
const BATCH: u32 = 200;
/// How long to wait before retrying a run whose host could not answer.
const INTERRUPTED_RETRY_MS: i64 = 1000;

/// Runs being advanced, and their contacts: two runs of one contact never advance at
/// once (each commits the contact's whole state, so they would overwrite each other).
#[derive(Debug, Default)]
struct InFlight {
    runs: HashSet<String>,
    contacts: HashSet<String>,
}

impl InFlight {
    fn claim(&mut self, row: &RunRow) -> bool {
        if self.runs.contains(&row.id) || row.contact_id.as_ref().is_some_and(|c| self.contacts.contains(c)) {
            return false;
        }
        self.runs.insert(row.id.clone());
        if let Some(c) = &row.contact_id {
            self.contacts.insert(c.clone());
        }
        true
    }

    fn release(&mut self, row: &RunRow) {
        self.runs.remove(&row.id);
        if let Some(c) = &row.contact_id {
            self.contacts.remove(c);
        }
    }
}

pub async fn run(engine: Arc<Engine>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let in_flight: Arc<Mutex<InFlight>> = Arc::new(Mutex::new(InFlight::default()));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        match engine.store.due_runs(now_ms(), BATCH) {
            Ok(rows) => {
                for row in rows {
                    let fresh = in_flight.lock().map(|mut f| f.claim(&row)).unwrap_or(false);
                    if !fresh {
                        continue;
                    }
                    let (engine, in_flight) = (Arc::clone(&engine), Arc::clone(&in_flight));
                    tasks.spawn(async move {
                        if let Err(e) = advance(&engine, &row).await {
                            tracing::error!(run = %row.id, error = %e, "could not advance the run");
                        }
                        if let Ok(mut f) = in_flight.lock() {
                            f.release(&row);
                        }
                    });
                }
            }
            Err(e) => tracing::error!(error = %e, "could not read due runs"),
        }
        while tasks.try_join_next().is_some() {}
        tokio::select! {
            _ = shutdown.changed() => {}
            _ = engine.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    // Let runs in progress reach their next commit.
    while tasks.join_next().await.is_some() {}
}

/// Resumes one run until it parks or ends, then commits its state.
async fn advance(engine: &Engine, listed: &RunRow) -> Result<(), EngineError> {
    // The list of due runs may predate the commit of this run's previous advance: read
    // it again now that it is claimed, and leave it if it is no longer due.
    let Some(row) = engine.store.run(&listed.workspace, &listed.id)? else { return Ok(()) };
    if row.due_at.is_none_or(|due| due > now_ms()) {
        return Ok(());
    }
    let row = &row;
    let wf = engine.version(&row.workspace, &row.workflow, row.version)?;
    let mut state: RunState = serde_json::from_str(&row.state)
        .map_err(|e| EngineError::Store(format!("stored run unreadable: {e}")))?;
    let mut contact = match &row.contact_id {
        Some(id) => {
            engine.store.contact(&row.workspace, id)?.map(|r| blob_state(&r.data)).unwrap_or_default()
        }
        None => {
            let mut s = ContactState::default();
            s.set_contact(&crate::runtime::value::Value::Null, jiff::Timestamp::now());
            s
        }
    };
    if let Some(entry) = state.context.get("entry").filter(|e| !e.is_null()) {
        if contact.entry().field("id") != entry.field("id") {
            contact.set_entry(entry.clone());
        }
    }
    if let Some(due) = row.due_at {
        engine.metrics.scheduler_lag.observe(u64::try_from(now_ms() - due).unwrap_or(0));
    }
    let began = std::time::Instant::now();
    let secrets = Arc::new(engine.project.secrets.clone());
    let mut host = EngineHost::new(row.contact_id.clone(), contact, secrets, Arc::clone(&engine.connectors));
    host.set_event(state.event.clone());
    let before: Vec<(Option<crate::ir::StepStatus>, u32)> =
        state.steps.iter().map(|s| (s.status, s.attempts)).collect();
    let progress = resume(&wf, &mut state, &mut host).await;
    log_steps(&wf, &row.id, &before, &state);
    engine.metrics.advance.observe(u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX));
    if matches!(progress, Progress::Finished) {
        engine.metrics.finished(state.status.as_str());
    }
    let json = serde_json::to_string(&state).map_err(|e| EngineError::Store(e.to_string()))?;
    let (status, due, finished) = match &progress {
        Progress::Finished => (state.status, None, state.finished_at.map(|t| t.as_millisecond())),
        Progress::Waiting(until) => (RunStatus::Waiting, Some(until.as_millisecond()), None),
        Progress::Interrupted(e) => {
            tracing::warn!(run = %row.id, error = %e.message, "interrupted; will retry");
            (state.status, Some(now_ms() + INTERRUPTED_RETRY_MS), None)
        }
    };
    tracing::info!(run = %row.id, workflow = %row.workflow, status = status.as_str(), "run advanced");
    // The run's progress and its internal effects on the contact commit together.
    let contact = host.changed_contact().map(|(id, state)| (id.to_string(), blob_of(state)));
    let (id, workspace) = (row.id.clone(), row.workspace.clone());
    engine
        .store
        .write(move |tx| {
            store::update_run(tx, &id, status.as_str(), &json, due, finished)?;
            if let Some((cid, (data, email, phone))) = &contact {
                store::save_contact(tx, &workspace, cid, email.as_deref(), phone.as_deref(), data)?;
            }
            Ok(())
        })
        .await
}

/// One log line for each step this advance ran (its last attempt), with the run's id.
fn log_steps(
    wf: &crate::ir::Workflow,
    run: &str,
    before: &[(Option<crate::ir::StepStatus>, u32)],
    after: &RunState,
) {
    for ((step, state), old) in wf.steps.iter().zip(&after.steps).zip(before) {
        if (state.status, state.attempts) == *old {
            continue;
        }
        let status = state.status.map_or("running", |s| s.as_str());
        match &state.error {
            Some(e) => {
                tracing::warn!(run, step = %step.name, action = %step.action, status, attempts = state.attempts, kind = %e.kind, error = %e.message, "step")
            }
            None => {
                tracing::info!(run, step = %step.name, action = %step.action, status, attempts = state.attempts, "step")
            }
        }
    }
}

/// Cancels a workflow's unfinished runs (deactivation).
pub fn cancel_unfinished(store: &Store, ws: &str, workflow: &str) -> Result<(), EngineError> {
    let now = jiff::Timestamp::now();
    store.transaction(|tx| {
        let rows: Vec<(String, String)> = {
            let mut stmt = tx.prepare(
                "SELECT id, state FROM runs WHERE workspace = ?1 AND workflow = ?2 AND status IN ('pending', 'running', 'waiting')",
            )?;
            stmt.query_map(rusqlite::params![ws, workflow], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?
        };
        for (id, state) in rows {
            let mut run: RunState =
                serde_json::from_str(&state).map_err(|e| EngineError::Store(format!("stored run unreadable: {e}")))?;
            run.status = RunStatus::Cancelled;
            run.finished_at = Some(now);
            run.waiting_until = None;
            let json = serde_json::to_string(&run).map_err(|e| EngineError::Store(e.to_string()))?;
            store::update_run(tx, &id, "cancelled", &json, None, Some(now.as_millisecond()))?;
        }
        Ok(())
    })
}

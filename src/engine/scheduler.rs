//! The scheduler: resumes every run that is due, and saves where it got to.
//!
//! In: runs in the store whose due time has passed (new ones, waits and retries that
//! are over, and any run interrupted by a restart), of active workflows (a paused
//! workflow's runs stay parked). Out: each run advanced until it parks or finishes, and
//! its state, status and next due time committed. Due times are absolute, so after
//! downtime overdue waits fire once, at once, and a wait never starts over. "Due" is by
//! the engine's [`Clock`](super::Clock); a pass follows every move of a manual clock,
//! every run stored by another path than ingest, and otherwise every 50 ms.
//!
//! On a store of this process alone, the runs ingest starts are handed over in memory
//! (`handoff.rs`) and started without being read back, and a run that parks until a
//! time already past goes on in memory after its commit.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Engine;
use super::caused::{Cause, chain_of, raise};
use super::error::EngineError;
use super::handoff::Parsed;
use super::host::{ContactUnreadable, EngineHost, blob_of, blob_state};
use super::store::{ContactWrite, DueRun, ProgressWrite, RunRow, Store, StoreError};
use crate::ir::RunStatus;
use crate::runtime::contact::ContactState;
use crate::runtime::interp::{Progress, RunState, resume};

/// How often the store is read for due runs when nothing else prompts it.
const PASS_EVERY: Duration = Duration::from_millis(50);
/// How many due runs one pass picks up.
const BATCH: u32 = 200;
/// How long to wait before retrying a run whose host could not answer.
const INTERRUPTED_RETRY_MS: i64 = 1000;

/// Runs being advanced, and their contacts: two runs of one contact never advance at
/// once (each commits the contact's whole state, so they would overwrite each other).
///
/// It also remembers when each run and contact was last released (a sequence number):
/// a list of due runs read before a release may hold that run's or contact's old state,
/// so such rows are skipped and picked up again, fresh, by the next pass. The list
/// itself carries each run's state and its contact's blob, so advancing a run reads
/// nothing more from the store.
#[derive(Debug, Default)]
struct InFlight {
    runs: HashSet<String>,
    /// The fencing tokens of the runs being advanced (on a shared store), renewed while
    /// they are.
    tokens: HashMap<String, i64>,
    contacts: HashSet<String>,
    released: HashMap<String, u64>,
    seq: u64,
    /// Releases up to this number are forgotten: a list (or a handed-off run) as fresh
    /// as an earlier number cannot be told fresh, so it is not claimed.
    forgotten: u64,
    /// The number the previous pass started at: releases up to it are forgotten at the
    /// next pass, so a handed-off run read a little before a pass can still be checked.
    previous_pass: u64,
}

impl InFlight {
    /// Starts a pass: the sequence number its list of due runs is as fresh as.
    fn pass(&mut self) -> u64 {
        let since = self.seq;
        let forget = self.previous_pass;
        self.released.retain(|_, at| *at > forget);
        self.forgotten = forget;
        self.previous_pass = since;
        since
    }

    fn claim(&mut self, due: &DueRun, since: u64) -> bool {
        self.try_claim(due, since) == Claimed::Yes
    }

    /// Claims a run read (with its contact) when the release count was `since`, unless
    /// it or its contact may have moved on since.
    fn try_claim(&mut self, due: &DueRun, since: u64) -> Claimed {
        let row = &due.run;
        let stale = |key: &str| self.released.get(key).is_some_and(|at| *at > since);
        // A leased claim is the store's word: the row is fresh and no other run of its
        // contact is advancing (the one that was has committed, even if this process
        // has not released it yet).
        let leased = due.claim.token.is_some();
        if self.runs.contains(&row.id) {
            return Claimed::Taken;
        }
        if !leased {
            if since < self.forgotten {
                return Claimed::Later;
            }
            if stale(&row.id) {
                return Claimed::Taken;
            }
            if row.contact_id.as_ref().is_some_and(|c| self.contacts.contains(c) || stale(c)) {
                return Claimed::Later;
            }
        }
        self.runs.insert(row.id.clone());
        if let Some(token) = due.claim.token {
            self.tokens.insert(row.id.clone(), token);
        }
        if let (Some(c), false) = (&row.contact_id, leased) {
            self.contacts.insert(c.clone());
        }
        Claimed::Yes
    }

    fn release(&mut self, row: &RunRow) {
        self.seq += 1;
        self.runs.remove(&row.id);
        self.tokens.remove(&row.id);
        self.released.insert(row.id.clone(), self.seq);
        if let Some(c) = &row.contact_id {
            self.contacts.remove(c);
            self.released.insert(c.clone(), self.seq);
        }
    }
}

/// What became of a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Claimed {
    Yes,
    /// The run is advancing, or has advanced since it was read: nothing to do.
    Taken,
    /// Its contact is busy or moved on since, or its freshness cannot be told: the
    /// store has it due, and a pass picks it up.
    Later,
}

pub async fn run(engine: Arc<Engine>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let in_flight: Arc<Mutex<InFlight>> = Arc::new(Mutex::new(InFlight::default()));
    let mut tasks = tokio::task::JoinSet::new();
    // A manual clock that moves makes runs due: a pass follows at once.
    let mut clock_moves = engine.clock.moves();
    let renewals =
        engine.store.shared().then(|| tokio::spawn(renew(Arc::clone(&engine), Arc::clone(&in_flight))));
    let changes = Arc::clone(engine.store.changes());
    let start = |due: DueRun,
                 parsed: Option<Box<Parsed>>,
                 from_memory: bool,
                 tasks: &mut tokio::task::JoinSet<()>| {
        engine.metrics.picked_up(from_memory);
        let (engine, in_flight) = (Arc::clone(&engine), Arc::clone(&in_flight));
        tasks.spawn(async move {
            if let Err(e) = advance(&engine, &due, parsed.map(|p| *p)).await {
                tracing::error!(run = %due.run.id, error = %e, "could not advance the run");
            }
            if let Ok(mut f) = in_flight.lock() {
                f.release(&due.run);
                engine.handoff.released(f.seq);
            }
        });
    };
    // Whether the store is read for due runs at the top of the loop: at start, then on
    // every signal but a hand-off (and after a hand-off that could not be claimed).
    let mut read_store = true;
    // The store is read at least every 50 ms, however many runs are handed off.
    let mut next_read = tokio::time::Instant::now();
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Runs handed off by ingest: started from memory, unless a pass got them first,
        // or their contact is busy or was let go since they were read (then the store
        // pass picks them up).
        for handed in engine.handoff.take() {
            let claimed = in_flight
                .lock()
                .map(|mut f| f.try_claim(&handed.due, handed.since))
                .unwrap_or(Claimed::Later);
            match claimed {
                Claimed::Yes => start(handed.due, handed.parsed, true, &mut tasks),
                Claimed::Taken => {}
                Claimed::Later => read_store = true,
            }
        }
        if read_store || tokio::time::Instant::now() >= next_read {
            read_store = false;
            next_read = tokio::time::Instant::now() + PASS_EVERY;
            let (since, busy) = in_flight
                .lock()
                .map(|mut f| (f.pass(), f.runs.iter().cloned().collect::<Vec<String>>()))
                .unwrap_or((u64::MAX, Vec::new()));
            let busy: Vec<&str> = busy.iter().map(String::as_str).collect();
            match engine.store.claim_due(engine.clock.now_ms(), BATCH, &busy).await {
                Ok(rows) => {
                    for due in rows {
                        let fresh = in_flight.lock().map(|mut f| f.claim(&due, since)).unwrap_or(false);
                        if fresh {
                            start(due, None, false, &mut tasks);
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not read due runs"),
            }
        }
        while tasks.try_join_next().is_some() {}
        tokio::select! {
            _ = shutdown.changed() => {}
            _ = engine.handoff.ready().notified() => {}
            _ = engine.wake.notified() => read_store = true,
            _ = changes.runs.notified() => read_store = true,
            _ = clock_moves.moved() => read_store = true,
            _ = tokio::time::sleep_until(next_read) => read_store = true,
        }
    }
    // Let runs in progress reach their next commit.
    while tasks.join_next().await.is_some() {}
    if let Some(renewals) = renewals {
        renewals.abort();
    }
}

/// Renews the leases of the runs this node is advancing, every third of a lease, so a
/// long step keeps its claim; a claim that was taken over (the node was paused past its
/// lease) is not renewed, and its commit will be refused.
async fn renew(engine: Arc<Engine>, in_flight: Arc<Mutex<InFlight>>) {
    let every = Duration::from_millis(u64::try_from(engine.store.node().lease_ms / 3).unwrap_or(1000).max(1));
    loop {
        tokio::time::sleep(every).await;
        let tokens: Vec<i64> =
            in_flight.lock().map(|f| f.tokens.values().copied().collect()).unwrap_or_default();
        if let Err(e) = engine.store.renew(&tokens).await {
            tracing::warn!(error = %e, "could not renew this node's leases");
        }
    }
}

/// Resumes one run until it parks or ends, then commits its state (only if the run is
/// still as it was claimed: see [`Store::progress`]). A run that parks until a time
/// already past (`wait 0s`) goes on in memory once that commit is made, with the state
/// and contact it committed, instead of being read back from the store; on a shared
/// store it is left to the next claim, like any due run.
async fn advance(engine: &Engine, due: &DueRun, parsed: Option<Parsed>) -> Result<(), EngineError> {
    let row = &due.run;
    let mut claim = due.claim;
    let wf = engine.version(&row.workspace, &row.workflow, row.version).await?;
    // Handed over by ingest, parsed already; else from the row and the contact's blob.
    let (state, contact) = match parsed {
        Some(Parsed { state, contact }) => (Some(state), Some(contact)),
        None => (None, None),
    };
    let mut state = match state {
        Some(state) => state,
        None => serde_json::from_str(&row.state)
            .map_err(|e| StoreError::corrupt(format!("the stored state of run `{}`", row.id), e))?,
    };
    let mut contact = match (&row.contact_id, &due.contact, contact) {
        (Some(_), _, Some(parsed)) => parsed,
        (Some(id), Some(data), None) => blob_state(id, data),
        (Some(id), None, None) => Err(ContactUnreadable::NotStored { id: id.clone() }),
        (None, _, _) => {
            let mut s = ContactState::default();
            s.set_contact(&crate::runtime::value::Value::Null, engine.clock.now());
            Ok(s)
        }
    };
    if let (Some(entry), Ok(contact)) = (state.context.get("entry").filter(|e| !e.is_null()), &mut contact) {
        if contact.entry().field("id") != entry.field("id") {
            contact.set_entry(entry.clone());
        }
    }
    if let Some(due) = row.due_at {
        engine.metrics.scheduler_lag.observe(u64::try_from(engine.clock.now_ms() - due).unwrap_or(0));
    }
    let mut host = EngineHost::new(
        row.contact_id.clone(),
        contact,
        Arc::clone(&engine.secrets),
        Arc::clone(&engine.connectors),
        engine.clock.clone(),
    );
    host.set_event(state.event.clone());
    loop {
        let until = step(engine, &wf, row, claim, &mut state, &mut host).await?;
        match until {
            Some(at) if !engine.store.shared() && at <= engine.clock.now_ms() => {
                claim = super::store::Claim { due_at: Some(at), token: None };
                host.committed();
                engine.metrics.picked_up(true);
            }
            _ => return Ok(()),
        }
    }
}

/// Resumes the run from `state` until it parks or ends, and commits its progress on
/// `claim`; answers the due time it committed when the run is waiting (`None` when it
/// ended, was interrupted, or its claim was lost).
async fn step(
    engine: &Engine,
    wf: &crate::ir::Workflow,
    row: &RunRow,
    claim: super::store::Claim,
    state: &mut RunState,
    host: &mut EngineHost,
) -> Result<Option<i64>, EngineError> {
    let began = tokio::time::Instant::now();
    let before: Vec<(Option<crate::ir::StepStatus>, u32)> =
        state.steps.iter().map(|s| (s.status, s.attempts)).collect();
    let caused_before = state.caused.len();
    let progress = resume(wf, state, host).await;
    log_steps(wf, &row.id, &before, state);
    engine.metrics.advance.observe(u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX));
    let json = serde_json::to_string(&*state)
        .map_err(|e| StoreError::unwritable(format!("the state of run `{}`", row.id), e))?;
    let (status, due, finished) = match &progress {
        Progress::Finished => (state.status, None, state.finished_at.map(|t| t.as_millisecond())),
        Progress::Waiting(until) => (RunStatus::Waiting, Some(until.as_millisecond()), None),
        Progress::Interrupted(e) => {
            tracing::warn!(run = %row.id, error = %e.message, "interrupted; will retry");
            (state.status, Some(engine.clock.now_ms() + INTERRUPTED_RETRY_MS), None)
        }
    };
    tracing::debug!(run = %row.id, workflow = %row.workflow, status = status.as_str(), "run advanced");
    // The events the new steps caused, matched to the workflows they start, with the
    // contact as the run left it.
    let raised = match state.caused.get(caused_before..).filter(|c| !c.is_empty()) {
        Some(new) => {
            let cause = Cause {
                workspace: &row.workspace,
                run: Some((&row.id, &row.workflow)),
                event: &row.event_id,
                depth: row.depth,
                chain: chain_of(row.caused_by.as_deref()),
                hub: state.context.get("hub"),
                contact_id: row.contact_id.as_deref(),
            };
            raise(engine, &cause, new, host.state()).await?
        }
        None => Vec::new(),
    };
    // The run's progress, its internal effects on the contact and the events they
    // caused (with the runs those start) commit together.
    let contact = match host.changed_contact() {
        Some((id, state)) => {
            let (data, email, phone) = blob_of(state)?;
            Some(ContactWrite { id: id.to_string(), email, phone, data })
        }
        None => None,
    };
    let write = ProgressWrite {
        workspace: row.workspace.clone(),
        at: engine.clock.now_ms(),
        run: row.id.clone(),
        contact_id: row.contact_id.clone(),
        claim,
        status: status.as_str().to_string(),
        state: json,
        due_at: due,
        finished_at: finished,
        contact,
        raised,
    };
    let (events, runs) = match engine.store.progress(write).await {
        Ok(stored) => stored,
        Err(StoreError::Conflict { run }) => {
            engine.metrics.claim_lost();
            tracing::warn!(run = %run, "the run's claim no longer holds (cancelled, or taken over after this node's lease ended): its progress is dropped");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if matches!(progress, Progress::Finished) {
        engine.metrics.finished(state.status.as_str());
        log_finished(row, state);
    }
    engine.metrics.caused(events, runs);
    // New runs, or (on a shared store) a contact's lease let go: look for due runs now.
    if runs > 0 || engine.store.shared() {
        engine.notify_new_runs().await;
    }
    Ok(match progress {
        Progress::Waiting(_) => due,
        Progress::Finished | Progress::Interrupted(_) => None,
    })
}

/// The one line a finished run logs at the default level: `info` when it succeeded (or
/// stopped, or was cancelled), `warn` with its error when it failed.
fn log_finished(row: &RunRow, state: &RunState) {
    let status = state.status.as_str();
    let ms = state.finished_at.map_or(0, |t| t.as_millisecond() - row.started_at);
    match (&state.failure, state.status) {
        (Some(failure), RunStatus::Failed) => {
            tracing::warn!(run = %row.id, workflow = %row.workflow, version = row.version, status, ms, step = failure.step.as_deref().unwrap_or("-"), error = %failure.message, "run finished")
        }
        _ => {
            tracing::info!(run = %row.id, workflow = %row.workflow, version = row.version, status, ms, "run finished")
        }
    }
}

/// One `debug` line for each step this advance ran (its last attempt), with the run's
/// id (the default level logs runs, not steps: see [`log_finished`]).
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
                tracing::debug!(run = %run, step = %step.name, action = %step.action, status, attempts = state.attempts, kind = %e.kind, error = %e.message, "step")
            }
            None => {
                tracing::debug!(run = %run, step = %step.name, action = %step.action, status, attempts = state.attempts, "step")
            }
        }
    }
}

/// Cancels a workflow's unfinished runs (deactivation): each run's state says it was
/// cancelled `now`, and nothing of it is due any more.
pub async fn cancel_unfinished(
    store: &Store,
    ws: &str,
    workflow: &str,
    now: jiff::Timestamp,
) -> Result<(), EngineError> {
    let cancelled = |id: &str, state: &str| {
        super::cancel::cancelled_state(id, state, now, "when its workflow was deactivated")
    };
    Ok(store.cancel_unfinished_runs(ws, workflow, now.as_millisecond(), cancelled).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::Claim;

    fn due(id: &str, contact: &str) -> DueRun {
        let run = RunRow::pending(id, Some(contact));
        DueRun { run, contact: Some("{}".into()), claim: Claim { due_at: Some(0), token: None } }
    }

    #[test]
    fn a_run_read_before_its_contact_was_let_go_is_not_claimed() {
        let mut f = InFlight::default();
        let since = f.pass();
        assert!(f.claim(&due("a", "c1"), since));
        // Another run of the contact is refused while the first advances.
        assert!(!f.claim(&due("b", "c1"), since));
        f.release(&due("a", "c1").run);
        // `b` was read (with its contact's blob) before `a` committed: it is old.
        assert!(!f.claim(&due("b", "c1"), since));
        // Read after the release, it is fresh.
        let now = f.seq;
        assert!(f.claim(&due("b", "c1"), now));
        // The run that was released is not claimed again from a list read before.
        assert!(!f.claim(&due("a", "c2"), since));
    }

    #[test]
    fn a_run_older_than_what_was_forgotten_is_not_claimed() {
        let mut f = InFlight::default();
        let handed_since = f.seq;
        let since = f.pass();
        assert!(f.claim(&due("a", "c1"), since));
        f.release(&due("a", "c1").run);
        // Two passes: releases up to the first pass's start are forgotten at the second.
        f.pass();
        f.pass();
        assert!(f.released.is_empty(), "released runs are forgotten after two passes");
        // A hand-off read before that cannot be checked, so it is left to the store.
        assert!(!f.claim(&due("b", "c9"), handed_since));
        // One as fresh as the last pass can.
        let now = f.seq;
        assert!(f.claim(&due("b", "c9"), now));
    }
}

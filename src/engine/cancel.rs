//! Cancelling runs from outside their workflow: one run (`POST /v1/runs/{id}/cancel`,
//! `komo runs cancel`, the dashboard's button), or a deactivated workflow's unfinished
//! runs (the scheduler's `cancel_unfinished`).
//!
//! In: a workspace and a run's id, the engine's clock. Out: the run's record, now
//! `cancelled`, finished now, with a [`LifecycleEntry::Cancelled`] saying how; or 404
//! (no such run) or 409 (it had finished). A run the scheduler is advancing at that
//! moment is cancelled all the same: the scheduler's commit on its old claim is refused
//! (the store sees the run no longer due), so nothing of that advance is recorded.
//! Effects already sent outside (an email) by that advance cannot be taken back.

use super::Engine;
use super::error::{EngineError, Missing, Refusal};
use super::store::{RunCancel, StoreError};
use crate::ir::RunStatus;
use crate::runtime::interp::RunState;
use crate::runtime::record::{LifecycleEntry, RunRecord, format_millis};

/// How a run cancelled through the API says so in its timeline: "cancelled through the
/// API".
pub const THROUGH_THE_API: &str = "through the API";

/// The stored state `state` of run `id`, cancelled at `now` for the reason `by` (read
/// after "cancelled": "when its workflow was deactivated").
pub(super) fn cancelled_state(
    id: &str,
    state: &str,
    now: jiff::Timestamp,
    by: &str,
) -> Result<String, StoreError> {
    let mut run: RunState = serde_json::from_str(state)
        .map_err(|e| StoreError::corrupt(format!("the stored state of run `{id}`"), e))?;
    run.status = RunStatus::Cancelled;
    run.finished_at = Some(now);
    run.waiting_until = None;
    run.lifecycle.push(LifecycleEntry::Cancelled { at: format_millis(now), by: by.to_string() });
    serde_json::to_string(&run).map_err(|e| StoreError::unwritable(format!("the state of run `{id}`"), e))
}

impl Engine {
    /// Cancels one unfinished (pending or waiting) run; answers its record.
    pub async fn cancel_run(&self, ws: &str, id: &str) -> Result<RunRecord, EngineError> {
        let now = self.clock.now();
        let cancel = |id: &str, state: &str| cancelled_state(id, state, now, THROUGH_THE_API);
        match self.store.cancel_run(ws, id, now.as_millisecond(), cancel).await? {
            RunCancel::Cancelled => {
                self.metrics.finished(RunStatus::Cancelled.as_str());
                tracing::info!(run = %id, "run cancelled through the API");
            }
            RunCancel::Finished { status } => {
                return Err(Refusal::RunFinished { run: id.to_string(), status }.into());
            }
            RunCancel::Missing => return Err(Missing::Run { id: id.to_string() }.into()),
        }
        self.run(ws, id).await
    }
}

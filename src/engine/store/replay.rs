//! The recorded runs `komo replay` re-runs: a workflow's finished and waiting runs,
//! newest first, each with the contact's blob as it was when the run started.
//!
//! In: a workspace and a [`ReplayQuery`]. Out: [`RunRow`]s with `start_contact` read
//! (`None` for runs stored before the column existed, and for runs without a contact).

use super::{Backend, RunRow, Store, StoreError};

/// Which recorded runs to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayQuery {
    pub workflow: String,
    /// Started at or after (milliseconds since the epoch).
    pub started_from: Option<i64>,
    pub limit: u32,
}

/// The statuses of the runs a replay compares: those that ended on their own, and
/// those waiting (compared on what they did so far). Cancelled, pending and running
/// runs are left out.
pub(crate) const REPLAYED_STATUSES: &str = "('succeeded', 'failed', 'waiting')";

impl Store {
    /// The workflow's recorded runs (see [`REPLAYED_STATUSES`]), newest first (start time,
    /// then arrival), with their start contacts.
    pub async fn replay_runs(&self, workspace: &str, query: &ReplayQuery) -> Result<Vec<RunRow>, StoreError> {
        let from = query.started_from.unwrap_or(i64::MIN);
        match &self.backend {
            Backend::Sqlite(s) => s.replay_runs(workspace, &query.workflow, from, query.limit),
            Backend::Postgres(p) => p.replay_runs(workspace, &query.workflow, from, query.limit).await,
        }
    }
}

//! Cancelling one run (`POST /v1/runs/{id}/cancel`), on either backend.
//!
//! In: a workspace, a run's id, the time, and how to turn the run's stored state into
//! its cancelled one. Out: what became of the run ([`RunCancel`]). One transaction that
//! reads the run's row locked for writing and rewrites it: `cancelled`, due never,
//! finished now. A scheduler that was advancing the run meanwhile holds a claim on its
//! old due time, which no longer matches, so its later commit is refused
//! ([`super::StoreError::Conflict`]), exactly as when deactivation cancels a
//! workflow's runs.

use super::{Backend, Store, StoreError};

/// What [`Store::cancel_run`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunCancel {
    /// The run was unfinished and is cancelled now.
    Cancelled,
    /// The run had finished already, with this status; nothing changed.
    Finished { status: String },
    /// No such run in the workspace.
    Missing,
}

/// The statuses of a run that has not finished.
pub(super) const UNFINISHED: [&str; 3] = ["pending", "running", "waiting"];

impl Store {
    /// Cancels one unfinished run, in one transaction, with the state `cancelled_state`
    /// makes of its stored one (given the run's id and state JSON); an error from it
    /// changes nothing.
    pub async fn cancel_run(
        &self,
        workspace: &str,
        id: &str,
        finished_at: i64,
        cancelled_state: impl FnOnce(&str, &str) -> Result<String, StoreError>,
    ) -> Result<RunCancel, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.cancel_run(workspace, id, finished_at, cancelled_state),
            Backend::Postgres(p) => p.cancel_run(workspace, id, finished_at, cancelled_state).await,
        }
    }
}

//! Moving waiting runs to another version of their workflow: the rows read for a plan,
//! and the one transaction that moves them.
//!
//! In: a workflow and the version runs would move to; the moves the engine computed.
//! Out: [`WaitingRun`]s, and which moves were made. A move is a compare-and-set: the
//! run must still be `waiting`, in the version and at the due time it was planned at,
//! and not due yet at `now` (a due run may be advancing right now: the scheduler claims
//! only due runs, and commits only if the due time it claimed is still the run's). On
//! Postgres the run must also hold no live lease, and its fencing token is cleared, so
//! a node that claimed it before and commits later is refused.

use super::{Backend, Store, StoreError};

/// A waiting run of some version of a workflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingRun {
    pub id: String,
    pub version: i64,
    pub due_at: Option<i64>,
    pub state: String,
}

/// One run to move: from the version and due time it was read at, to `to_version`
/// with the new `state`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunMove {
    pub id: String,
    pub from_version: i64,
    pub due_at: Option<i64>,
    pub to_version: i64,
    pub state: String,
}

impl Store {
    /// The waiting runs of a workflow in any version but `except`, oldest first.
    pub async fn waiting_runs(
        &self,
        workspace: &str,
        workflow: &str,
        except: i64,
    ) -> Result<Vec<WaitingRun>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.waiting_runs(workspace, workflow, except),
            Backend::Postgres(p) => p.waiting_runs(workspace, workflow, except).await,
        }
    }

    /// Makes every move that still holds (see the module's comment), all in one
    /// transaction; answers the ids of the runs moved.
    pub async fn move_runs(
        &self,
        workspace: &str,
        moves: &[RunMove],
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.move_runs(workspace, moves, now),
            Backend::Postgres(p) => p.move_runs(workspace, moves, now).await,
        }
    }
}

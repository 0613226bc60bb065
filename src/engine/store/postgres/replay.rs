//! The runs a replay reads, on Postgres (see `store/replay.rs`).

use super::runs::{RUN_COLUMNS, run_row};
use super::{Postgres, StoreError, get};
use crate::engine::store::RunRow;
use crate::engine::store::replay::REPLAYED_STATUSES;

impl Postgres {
    /// Up to `limit` finished or waiting runs of `workflow` started at or after `from`,
    /// newest first, each with its `start_contact`.
    pub async fn replay_runs(
        &self,
        workspace: &str,
        workflow: &str,
        from: i64,
        limit: u32,
    ) -> Result<Vec<RunRow>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS}, start_contact FROM runs
             WHERE workspace = $1 AND workflow = $2 AND started_at >= $3 AND status IN {REPLAYED_STATUSES}
             ORDER BY started_at DESC, seq DESC LIMIT $4"
        );
        let limit = i64::from(limit);
        let rows = self.rows(&sql, &[&workspace, &workflow, &from, &limit]).await?;
        rows.iter().map(|r| Ok(RunRow { start_contact: get(r, 16)?, ..run_row(r)? })).collect()
    }
}

//! The runs a replay reads, on SQLite (see `store/replay.rs`).

use rusqlite::params;

use super::runs::{RUN_COLUMNS, run_row};
use super::{RunRow, Sqlite, StoreError};
use crate::engine::store::replay::REPLAYED_STATUSES;

impl Sqlite {
    /// Up to `limit` finished or waiting runs of `workflow` started at or after `from`,
    /// newest first, each with its `start_contact`.
    pub fn replay_runs(
        &self,
        workspace: &str,
        workflow: &str,
        from: i64,
        limit: u32,
    ) -> Result<Vec<RunRow>, StoreError> {
        let conn = self.lock()?;
        let sql = format!(
            "SELECT {RUN_COLUMNS}, start_contact FROM runs
             WHERE workspace = ?1 AND workflow = ?2 AND started_at >= ?3 AND status IN {REPLAYED_STATUSES}
             ORDER BY started_at DESC, seq DESC LIMIT ?4"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map(params![workspace, workflow, from, limit], |r| {
                Ok(RunRow { start_contact: r.get(16)?, ..run_row(r)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

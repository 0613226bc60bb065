//! Cancelling one run on SQLite (see `store/cancel.rs`).
//!
//! The transaction is `IMMEDIATE`: it takes the write lock before it reads the run, so
//! the group-commit writer's progress on the same run lands either before (the run is
//! read as it left it) or after (its claim finds the run no longer due and is refused).

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Sqlite, StoreError};
use crate::engine::store::cancel::{RunCancel, UNFINISHED};

impl Sqlite {
    pub fn cancel_run(
        &self,
        workspace: &str,
        id: &str,
        finished_at: i64,
        cancelled_state: impl FnOnce(&str, &str) -> Result<String, StoreError>,
    ) -> Result<RunCancel, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, String)> = tx
            .query_row(
                "SELECT status, state FROM runs WHERE workspace = ?1 AND id = ?2",
                params![workspace, id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((status, state)) = row else { return Ok(RunCancel::Missing) };
        if !UNFINISHED.contains(&status.as_str()) {
            return Ok(RunCancel::Finished { status });
        }
        let state = cancelled_state(id, &state)?;
        tx.execute(
            "UPDATE runs SET status = 'cancelled', state = ?3, due_at = NULL, finished_at = ?4
             WHERE workspace = ?1 AND id = ?2",
            params![workspace, id, state, finished_at],
        )?;
        tx.commit()?;
        Ok(RunCancel::Cancelled)
    }
}

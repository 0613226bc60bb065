//! Cancelling one run on Postgres (see `store/cancel.rs`).
//!
//! The run's row is read `FOR UPDATE`: a node committing the run's progress meanwhile
//! either commits first (the row is read as it left it) or waits for this transaction
//! and then finds its claim gone (its due time no longer matches).

use super::{Postgres, StoreError, get};
use crate::engine::store::cancel::{RunCancel, UNFINISHED};

impl Postgres {
    pub async fn cancel_run(
        &self,
        workspace: &str,
        id: &str,
        finished_at: i64,
        cancelled_state: impl FnOnce(&str, &str) -> Result<String, StoreError>,
    ) -> Result<RunCancel, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT status, state FROM runs WHERE workspace = $1 AND id = $2 FOR UPDATE",
                &[&workspace, &id],
            )
            .await?;
        super::super::count_statements(2);
        let Some(row) = row else { return Ok(RunCancel::Missing) };
        let (status, state): (String, String) = (get(&row, 0)?, get(&row, 1)?);
        if !UNFINISHED.contains(&status.as_str()) {
            return Ok(RunCancel::Finished { status });
        }
        let state = cancelled_state(id, &state)?;
        tx.execute(
            "UPDATE runs SET status = 'cancelled', state = $3, due_at = NULL, finished_at = $4
             WHERE workspace = $1 AND id = $2",
            &[&workspace, &id, &state, &finished_at],
        )
        .await?;
        tx.commit().await?;
        super::super::count_statements(2);
        Ok(RunCancel::Cancelled)
    }
}

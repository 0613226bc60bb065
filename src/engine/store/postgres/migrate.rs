//! Moving waiting runs to another version (see `store/migrate.rs`) on Postgres: a run
//! with a live lease is not moved, and a moved run's fencing token is cleared.

use super::{DB_NOW_MS, Postgres, StoreError, get};
use crate::engine::store::migrate::{RunMove, WaitingRun};

impl Postgres {
    pub async fn waiting_runs(
        &self,
        workspace: &str,
        workflow: &str,
        except: i64,
    ) -> Result<Vec<WaitingRun>, StoreError> {
        let rows = self
            .rows(
                "SELECT id, version, due_at, state FROM runs
                 WHERE workspace = $1 AND workflow = $2 AND status = 'waiting' AND version <> $3
                 ORDER BY started_at, seq",
                &[&workspace, &workflow, &except],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(WaitingRun { id: get(r, 0)?, version: get(r, 1)?, due_at: get(r, 2)?, state: get(r, 3)? })
            })
            .collect()
    }

    pub async fn move_runs(
        &self,
        workspace: &str,
        moves: &[RunMove],
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "UPDATE runs SET version = $3, state = $4, lease_owner = NULL, lease_until = NULL, lease_token = NULL
             WHERE workspace = $1 AND id = $2 AND status = 'waiting' AND version = $5
               AND due_at IS NOT DISTINCT FROM $6 AND due_at > $7
               AND (lease_until IS NULL OR lease_until < {DB_NOW_MS})"
        );
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx.prepare_cached(&sql).await?;
        let mut moved = Vec::new();
        for m in moves {
            let changed = tx
                .execute(
                    &stmt,
                    &[&workspace, &m.id, &m.to_version, &m.state, &m.from_version, &m.due_at, &now],
                )
                .await?;
            if changed == 1 {
                moved.push(m.id.clone());
            }
        }
        tx.commit().await?;
        super::super::count_statements(moves.len() as u64 + 2);
        Ok(moved)
    }
}

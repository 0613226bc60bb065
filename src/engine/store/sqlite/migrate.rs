//! Moving waiting runs to another version (see `store/migrate.rs`) on SQLite.

use rusqlite::params;

use super::{Sqlite, StoreError};
use crate::engine::store::migrate::{RunMove, WaitingRun};

impl Sqlite {
    pub fn waiting_runs(
        &self,
        workspace: &str,
        workflow: &str,
        except: i64,
    ) -> Result<Vec<WaitingRun>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT id, version, due_at, state FROM runs
             WHERE workspace = ?1 AND workflow = ?2 AND status = 'waiting' AND version <> ?3
             ORDER BY started_at, seq",
        )?;
        let rows = stmt.query_map(params![workspace, workflow, except], |r| {
            Ok(WaitingRun { id: r.get(0)?, version: r.get(1)?, due_at: r.get(2)?, state: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn move_runs(&self, workspace: &str, moves: &[RunMove], now: i64) -> Result<Vec<String>, StoreError> {
        self.transaction(|tx| {
            let mut stmt = tx.prepare(
                "UPDATE runs SET version = ?3, state = ?4
                 WHERE workspace = ?1 AND id = ?2 AND status = 'waiting' AND version = ?5
                   AND due_at IS ?6 AND due_at > ?7",
            )?;
            let mut moved = Vec::new();
            for m in moves {
                let changed = stmt.execute(params![
                    workspace,
                    m.id,
                    m.to_version,
                    m.state,
                    m.from_version,
                    m.due_at,
                    now
                ])?;
                if changed == 1 {
                    moved.push(m.id.clone());
                }
            }
            Ok(moved)
        })
    }
}

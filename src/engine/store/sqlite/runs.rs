//! Runs: the journal of each run (its state as JSON), what is due, lists and counts.
//!
//! In: a workspace, a run's id or filters; a run to insert or its progress to save.
//! Out: [`RunRow`]s and [`DueRun`]s. [`insert_run`] and [`update_run`] are writes for
//! the group commit (`hot.rs`).

use rusqlite::{Connection, OptionalExtension, params};

use super::{DueRun, RunQuery, RunRow, Sqlite, StoreError};
use crate::engine::store::Claim;

pub(super) const RUN_COLUMNS: &str = "id, workspace, workflow, version, status, trigger, hub, card, event_id, contact_id, started_at, finished_at, due_at, state, depth, caused_by";

pub(super) fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        workspace: r.get(1)?,
        workflow: r.get(2)?,
        version: r.get(3)?,
        status: r.get(4)?,
        trigger: r.get(5)?,
        hub: r.get(6)?,
        card: r.get(7)?,
        event_id: r.get(8)?,
        contact_id: r.get(9)?,
        started_at: r.get(10)?,
        finished_at: r.get(11)?,
        due_at: r.get(12)?,
        state: r.get(13)?,
        depth: r.get(14)?,
        caused_by: r.get(15)?,
        start_contact: None,
    })
}

impl Sqlite {
    /// The run, in its workspace.
    pub fn run(&self, workspace: &str, id: &str) -> Result<Option<RunRow>, StoreError> {
        let conn = self.lock()?;
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE workspace = ?1 AND id = ?2");
        Ok(conn.query_row(&sql, params![workspace, id], run_row).optional()?)
    }

    /// Runs due at `now` (unfinished, their due time passed) of active workflows, oldest
    /// first, each with its contact's blob, but for the runs in `skip` (those being
    /// advanced: reading their state again would be wasted); a paused workflow's runs
    /// stay parked.
    pub fn due_runs(&self, now: i64, limit: u32, skip: &[&str]) -> Result<Vec<DueRun>, StoreError> {
        let conn = self.lock()?;
        let columns: Vec<String> = RUN_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect();
        let sql = format!(
            "SELECT {}, c.data FROM runs r
             JOIN workflows w ON w.workspace = r.workspace AND w.name = r.workflow
             LEFT JOIN contacts c ON c.workspace = r.workspace AND c.id = r.contact_id
             WHERE r.due_at IS NOT NULL AND r.due_at <= ?1 AND w.status = 'active'
               AND r.id NOT IN (SELECT value FROM json_each(?3))
             ORDER BY r.due_at LIMIT ?2",
            columns.join(", ")
        );
        let skipped =
            serde_json::to_string(skip).map_err(|e| StoreError::unwritable("the runs being advanced", e))?;
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params![now, limit, skipped], |r| {
                let run = run_row(r)?;
                let claim = Claim { due_at: run.due_at, token: None };
                Ok(DueRun { run, contact: r.get(16)?, claim })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Runs of a workspace, newest first (by start time, then by arrival: a total order),
    /// that pass every filter of `query`, with keyset paging after a run (its start time
    /// and its place in the arrival order).
    pub fn list_runs(&self, workspace: &str, query: &RunQuery) -> Result<Vec<RunRow>, StoreError> {
        let conn = self.lock()?;
        let (filter, cells) = query.sql(workspace, |i| format!("?{i}"));
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs {filter}");
        let values: Vec<rusqlite::types::Value> = cells.iter().map(super::copy::to_value).collect();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(values.iter()), run_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The runs started by events that run `run` caused, oldest first (by start, then
    /// arrival).
    pub fn runs_caused_by(&self, workspace: &str, run: &str) -> Result<Vec<RunRow>, StoreError> {
        let conn = self.lock()?;
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE workspace = ?1 AND cause_run = ?2 ORDER BY started_at, seq"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![workspace, run], run_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every run of a workflow (for its metrics): status, started, finished.
    pub fn run_stats(
        &self,
        workspace: &str,
        workflow: &str,
    ) -> Result<Vec<(String, i64, Option<i64>)>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT status, started_at, finished_at FROM runs WHERE workspace = ?1 AND workflow = ?2",
        )?;
        let rows = stmt
            .query_map(params![workspace, workflow], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// How many runs each workflow of the workspace started at or after `since_ms`, by
    /// workflow name (every workflow, with 0 when it started none).
    pub fn run_counts_since(&self, workspace: &str, since_ms: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let conn = self.lock()?;
        // Per workflow, so each count is a range of the covering index
        // `runs_workflow_newest` (no table rows read).
        let mut stmt = conn.prepare(
            "SELECT w.name, (SELECT COUNT(*) FROM runs r
                             WHERE r.workspace = w.workspace AND r.workflow = w.name AND r.started_at >= ?2)
             FROM workflows w WHERE w.workspace = ?1",
        )?;
        let rows = stmt
            .query_map(params![workspace, since_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Cancels a workflow's unfinished runs (pending, running or waiting), all in one
    /// transaction: each becomes `cancelled`, due never, finished at `finished_at`, with
    /// the state `cancelled_state` makes of its stored one (given the run's id and state
    /// JSON). An error from `cancelled_state` cancels none of them.
    pub fn cancel_unfinished_runs(
        &self,
        workspace: &str,
        workflow: &str,
        finished_at: i64,
        mut cancelled_state: impl FnMut(&str, &str) -> Result<String, StoreError>,
    ) -> Result<(), StoreError> {
        self.transaction(|tx| {
            let rows: Vec<(String, String)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, state FROM runs WHERE workspace = ?1 AND workflow = ?2 AND status IN ('pending', 'running', 'waiting')",
                )?;
                stmt.query_map(params![workspace, workflow], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?
            };
            for (id, state) in rows {
                let state = cancelled_state(&id, &state)?;
                tx.execute(
                    "UPDATE runs SET status = 'cancelled', state = ?2, due_at = NULL, finished_at = ?3 WHERE id = ?1",
                    params![id, state, finished_at],
                )?;
            }
            Ok(())
        })
    }
}

/// Inserts a run, last in the arrival order (`seq`: one more than the largest; writes
/// are serialised, and the unique index refuses a clash rather than misorder).
pub(super) fn insert_run(tx: &Connection, run: &RunRow) -> Result<(), StoreError> {
    tx.prepare_cached(&format!(
        "INSERT INTO runs ({RUN_COLUMNS}, cause_run, start_contact, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, (SELECT COALESCE(MAX(seq), 0) + 1 FROM runs))"
    ))?
    .execute(params![
            run.id,
            run.workspace,
            run.workflow,
            run.version,
            run.status,
            run.trigger,
            run.hub,
            run.card,
            run.event_id,
            run.contact_id,
            run.started_at,
            run.finished_at,
            run.due_at,
            run.state,
            run.depth,
            run.caused_by,
            run.cause_run(),
            run.start_contact,
    ])?;
    Ok(())
}

/// Saves a run's progress, if the run is still due at `claimed` (the due time it was
/// picked up with): a run that was cancelled, or advanced by someone else meanwhile, is
/// left alone and the write fails with a conflict (so its other statements are undone).
pub(super) fn update_run(
    tx: &Connection,
    id: &str,
    claimed: Option<i64>,
    status: &str,
    state: &str,
    due_at: Option<i64>,
    finished_at: Option<i64>,
) -> Result<(), StoreError> {
    let changed = tx
        .prepare_cached(
            "UPDATE runs SET status = ?2, state = ?3, due_at = ?4, finished_at = ?5 WHERE id = ?1 AND due_at IS ?6",
        )?
        .execute(params![id, status, state, due_at, finished_at, claimed])?;
    if changed == 0 {
        return Err(StoreError::Conflict { run: id.to_string() });
    }
    Ok(())
}

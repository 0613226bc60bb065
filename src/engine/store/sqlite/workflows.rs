//! Workflows: their drafts, lifecycle status and immutable versions.
//!
//! In: a workspace and a workflow's name (its source, IR and trigger for a new
//! version). Out: [`WorkflowRow`]s, versions and the active workflows of a trigger.

use rusqlite::{OptionalExtension, params};

use super::{Sqlite, StoreError, VersionRow, WorkflowRow};

impl Sqlite {
    pub fn workflow(&self, workspace: &str, name: &str) -> Result<Option<WorkflowRow>, StoreError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT name, status, source, active_version FROM workflows WHERE workspace = ?1 AND name = ?2",
                params![workspace, name],
                |r| Ok(WorkflowRow { name: r.get(0)?, status: r.get(1)?, source: r.get(2)?, active_version: r.get(3)? }),
            )
            .optional()?)
    }

    pub fn workflows(&self, workspace: &str) -> Result<Vec<WorkflowRow>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT name, status, source, active_version FROM workflows WHERE workspace = ?1 ORDER BY name",
        )?;
        let rows = stmt
            .query_map(params![workspace], |r| {
                Ok(WorkflowRow {
                    name: r.get(0)?,
                    status: r.get(1)?,
                    source: r.get(2)?,
                    active_version: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Saves `source` as the draft of `name` (a new workflow starts as a draft), at
    /// `now` (milliseconds since the epoch). Returns false when the source is unchanged.
    pub fn save_draft(
        &self,
        workspace: &str,
        name: &str,
        source: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.transaction(|tx| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT source FROM workflows WHERE workspace = ?1 AND name = ?2",
                    params![workspace, name],
                    |r| r.get(0),
                )
                .optional()?;
            match existing {
                Some(old) if old == source => Ok(false),
                Some(_) => {
                    tx.execute(
                        "UPDATE workflows SET source = ?3, updated_at = ?4 WHERE workspace = ?1 AND name = ?2",
                        params![workspace, name, source, now],
                    )?;
                    Ok(true)
                }
                None => {
                    tx.execute(
                        "INSERT INTO workflows (workspace, name, status, source, updated_at) VALUES (?1, ?2, 'draft', ?3, ?4)",
                        params![workspace, name, source, now],
                    )?;
                    Ok(true)
                }
            }
        })
    }

    pub fn set_status(&self, workspace: &str, name: &str, status: &str, now: i64) -> Result<(), StoreError> {
        self.transaction(|tx| {
            tx.execute(
                "UPDATE workflows SET status = ?3, updated_at = ?4 WHERE workspace = ?1 AND name = ?2",
                params![workspace, name, status, now],
            )?;
            Ok(())
        })
    }

    /// Adds an immutable version, created at `now`, and makes it the active one.
    pub fn activate_version(
        &self,
        workspace: &str,
        name: &str,
        source: &str,
        ir: &str,
        trigger: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        self.transaction(|tx| {
            let last: Option<i64> = tx.query_row(
                "SELECT MAX(version) FROM versions WHERE workspace = ?1 AND workflow = ?2",
                params![workspace, name],
                |r| r.get(0),
            )?;
            let version = last.unwrap_or(0) + 1;
            tx.execute(
                "INSERT INTO versions (workspace, workflow, version, source, ir, trigger, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![workspace, name, version, source, ir, trigger, now],
            )?;
            tx.execute(
                "UPDATE workflows SET status = 'active', active_version = ?3, updated_at = ?4 WHERE workspace = ?1 AND name = ?2",
                params![workspace, name, version, now],
            )?;
            Ok(version)
        })
    }

    pub fn versions(&self, workspace: &str, name: &str) -> Result<Vec<i64>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT version FROM versions WHERE workspace = ?1 AND workflow = ?2 ORDER BY version",
        )?;
        let rows =
            stmt.query_map(params![workspace, name], |r| r.get(0))?.collect::<Result<Vec<i64>, _>>()?;
        Ok(rows)
    }

    /// A version's IR JSON.
    pub fn version_ir(
        &self,
        workspace: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<String>, StoreError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT ir FROM versions WHERE workspace = ?1 AND workflow = ?2 AND version = ?3",
                params![workspace, name, version],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// `(name, version)` of every active workflow listening to `trigger`.
    pub fn active_for_trigger(
        &self,
        workspace: &str,
        trigger: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT w.name, v.version FROM workflows w JOIN versions v
               ON v.workspace = w.workspace AND v.workflow = w.name AND v.version = w.active_version
             WHERE w.workspace = ?1 AND w.status = 'active' AND v.trigger = ?2 ORDER BY w.name",
        )?;
        let rows = stmt
            .query_map(params![workspace, trigger], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The versions of a workflow, newest first.
    pub fn version_history(&self, workspace: &str, name: &str) -> Result<Vec<VersionRow>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT version, trigger, created_at FROM versions WHERE workspace = ?1 AND workflow = ?2
             ORDER BY version DESC",
        )?;
        let rows = stmt
            .query_map(params![workspace, name], |r| {
                Ok(VersionRow { version: r.get(0)?, trigger: r.get(1)?, created_at: r.get(2)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The source of one version, if it exists.
    pub fn version_source(
        &self,
        workspace: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<String>, StoreError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT source FROM versions WHERE workspace = ?1 AND workflow = ?2 AND version = ?3",
                params![workspace, name, version],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The names of the workspace's workflows, sorted.
    pub fn workflow_names(&self, workspace: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare("SELECT name FROM workflows WHERE workspace = ?1 ORDER BY name")?;
        let rows = stmt.query_map(params![workspace], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// The distinct triggers of the workspace's versions (every version ever activated),
    /// sorted.
    pub fn version_triggers(&self, workspace: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.lock()?;
        let mut stmt =
            conn.prepare("SELECT DISTINCT trigger FROM versions WHERE workspace = ?1 ORDER BY trigger")?;
        let rows = stmt.query_map(params![workspace], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// `(name, source of the active version)` of the workspace's active and paused
    /// workflows other than `except`, by name.
    pub fn live_sources_except(
        &self,
        workspace: &str,
        except: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT w.name, v.source FROM workflows w JOIN versions v
               ON v.workspace = w.workspace AND v.workflow = w.name AND v.version = w.active_version
             WHERE w.workspace = ?1 AND w.status IN ('active', 'paused') AND w.name <> ?2
             ORDER BY w.name",
        )?;
        let rows = stmt
            .query_map(params![workspace, except], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

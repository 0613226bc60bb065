//! Workspaces, keys, workflows and versions, contacts, events and dashboard sessions on
//! Postgres: the same operations, answers and transactions as the SQLite store's.

use super::{Postgres, StoreError, get, writer};
use crate::engine::store::{ContactRow, SessionRow, VersionRow, WorkflowRow};

fn workflow_row(row: &tokio_postgres::Row) -> Result<WorkflowRow, StoreError> {
    Ok(WorkflowRow {
        name: get(row, 0)?,
        status: get(row, 1)?,
        source: get(row, 2)?,
        active_version: get(row, 3)?,
    })
}

/// The first column of every row.
fn column<T: for<'a> tokio_postgres::types::FromSql<'a>>(
    rows: &[tokio_postgres::Row],
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(|r| get(r, 0)).collect()
}

impl Postgres {
    pub async fn ensure_workspace(&self, id: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO workspaces (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            &[&id, &now],
        )
        .await
        .map(|_| ())
    }

    pub async fn add_key(&self, workspace: &str, hash: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO api_keys (hash, workspace, created_at) VALUES ($1, $2, $3)",
            &[&hash, &workspace, &now],
        )
        .await
        .map(|_| ())
    }

    pub async fn key_workspace(&self, hash: &str) -> Result<Option<String>, StoreError> {
        let row = self.row("SELECT workspace FROM api_keys WHERE hash = $1", &[&hash]).await?;
        row.map(|r| get(&r, 0)).transpose()
    }

    pub async fn workflow(&self, workspace: &str, name: &str) -> Result<Option<WorkflowRow>, StoreError> {
        let sql =
            "SELECT name, status, source, active_version FROM workflows WHERE workspace = $1 AND name = $2";
        self.row(sql, &[&workspace, &name]).await?.map(|r| workflow_row(&r)).transpose()
    }

    pub async fn workflows(&self, workspace: &str) -> Result<Vec<WorkflowRow>, StoreError> {
        let sql =
            "SELECT name, status, source, active_version FROM workflows WHERE workspace = $1 ORDER BY name";
        self.rows(sql, &[&workspace]).await?.iter().map(workflow_row).collect()
    }

    /// One statement: a new workflow is inserted as a draft, a changed one gets its new
    /// source; an unchanged one is left alone (and answers false).
    pub async fn save_draft(
        &self,
        workspace: &str,
        name: &str,
        source: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                "INSERT INTO workflows (workspace, name, status, source, updated_at) VALUES ($1, $2, 'draft', $3, $4)
                 ON CONFLICT (workspace, name) DO UPDATE SET source = EXCLUDED.source, updated_at = EXCLUDED.updated_at
                 WHERE workflows.source <> EXCLUDED.source",
                &[&workspace, &name, &source, &now],
            )
            .await?;
        Ok(changed > 0)
    }

    pub async fn set_status(
        &self,
        workspace: &str,
        name: &str,
        status: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE workflows SET status = $3, updated_at = $4 WHERE workspace = $1 AND name = $2",
            &[&workspace, &name, &status, &now],
        )
        .await
        .map(|_| ())
    }

    /// One transaction: the next version number (the workflow's row locked, so two
    /// nodes activating at once number their versions one after the other), the
    /// version, and the workflow made active on it.
    pub async fn activate_version(
        &self,
        workspace: &str,
        name: &str,
        source: &str,
        ir: &str,
        trigger: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "SELECT 1 FROM workflows WHERE workspace = $1 AND name = $2 FOR UPDATE",
            &[&workspace, &name],
        )
        .await?;
        let last: Option<i64> = tx
            .query_one(
                "SELECT MAX(version) FROM versions WHERE workspace = $1 AND workflow = $2",
                &[&workspace, &name],
            )
            .await?
            .try_get(0)?;
        let version = last.unwrap_or(0) + 1;
        tx.execute(
            "INSERT INTO versions (workspace, workflow, version, source, ir, trigger, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&workspace, &name, &version, &source, &ir, &trigger, &now],
        )
        .await?;
        tx.execute(
            "UPDATE workflows SET status = 'active', active_version = $3, updated_at = $4 WHERE workspace = $1 AND name = $2",
            &[&workspace, &name, &version, &now],
        )
        .await?;
        tx.commit().await?;
        super::super::count_statements(6);
        Ok(version)
    }

    pub async fn versions(&self, workspace: &str, name: &str) -> Result<Vec<i64>, StoreError> {
        let sql = "SELECT version FROM versions WHERE workspace = $1 AND workflow = $2 ORDER BY version";
        column(&self.rows(sql, &[&workspace, &name]).await?)
    }

    pub async fn version_ir(
        &self,
        workspace: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT ir FROM versions WHERE workspace = $1 AND workflow = $2 AND version = $3";
        self.row(sql, &[&workspace, &name, &version]).await?.map(|r| get(&r, 0)).transpose()
    }

    pub async fn active_for_trigger(
        &self,
        workspace: &str,
        trigger: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = "SELECT w.name, v.version FROM workflows w JOIN versions v
                     ON v.workspace = w.workspace AND v.workflow = w.name AND v.version = w.active_version
                   WHERE w.workspace = $1 AND w.status = 'active' AND v.trigger = $2 ORDER BY w.name";
        self.rows(sql, &[&workspace, &trigger]).await?.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
    }

    pub async fn version_history(&self, workspace: &str, name: &str) -> Result<Vec<VersionRow>, StoreError> {
        let sql = "SELECT version, trigger, created_at FROM versions WHERE workspace = $1 AND workflow = $2
                   ORDER BY version DESC";
        let rows = self.rows(sql, &[&workspace, &name]).await?;
        rows.iter()
            .map(|r| Ok(VersionRow { version: get(r, 0)?, trigger: get(r, 1)?, created_at: get(r, 2)? }))
            .collect()
    }

    pub async fn version_source(
        &self,
        workspace: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT source FROM versions WHERE workspace = $1 AND workflow = $2 AND version = $3";
        self.row(sql, &[&workspace, &name, &version]).await?.map(|r| get(&r, 0)).transpose()
    }

    pub async fn workflow_names(&self, workspace: &str) -> Result<Vec<String>, StoreError> {
        column(
            &self
                .rows("SELECT name FROM workflows WHERE workspace = $1 ORDER BY name", &[&workspace])
                .await?,
        )
    }

    pub async fn version_triggers(&self, workspace: &str) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT DISTINCT trigger FROM versions WHERE workspace = $1 ORDER BY trigger";
        column(&self.rows(sql, &[&workspace]).await?)
    }

    pub async fn live_sources_except(
        &self,
        workspace: &str,
        except: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql = "SELECT w.name, v.source FROM workflows w JOIN versions v
                     ON v.workspace = w.workspace AND v.workflow = w.name AND v.version = w.active_version
                   WHERE w.workspace = $1 AND w.status IN ('active', 'paused') AND w.name <> $2
                   ORDER BY w.name";
        self.rows(sql, &[&workspace, &except]).await?.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
    }

    pub async fn find_contact(
        &self,
        workspace: &str,
        id: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Option<ContactRow>, StoreError> {
        const BY: [&str; 3] = [
            "SELECT id, data FROM contacts WHERE workspace = $1 AND id = $2 LIMIT 1",
            "SELECT id, data FROM contacts WHERE workspace = $1 AND email = $2 LIMIT 1",
            "SELECT id, data FROM contacts WHERE workspace = $1 AND phone = $2 LIMIT 1",
        ];
        for (sql, value) in BY.into_iter().zip([id, email, phone]) {
            let Some(value) = value else { continue };
            if let Some(r) = self.row(sql, &[&workspace, &value]).await? {
                return Ok(Some(ContactRow { id: get(&r, 0)?, data: get(&r, 1)? }));
            }
        }
        Ok(None)
    }

    pub async fn contact(&self, workspace: &str, id: &str) -> Result<Option<ContactRow>, StoreError> {
        self.find_contact(workspace, Some(id), None, None).await
    }

    /// Records an event that starts no run; false when the same id was received in the
    /// last 24 hours.
    pub async fn record_event(
        &self,
        workspace: &str,
        id: &str,
        kind: &str,
        body: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute(writer::RECORD_EVENT, &[&workspace, &id, &kind, &now, &body, &(now - writer::DAY_MS)])
            .await?;
        Ok(changed > 0)
    }

    pub async fn event_body(&self, workspace: &str, id: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT body FROM events WHERE workspace = $1 AND id = $2";
        self.row(sql, &[&workspace, &id]).await?.map(|r| get(&r, 0)).transpose()
    }

    /// Stores a session (and drops the expired ones), in one transaction.
    pub async fn start_session(
        &self,
        id_hash: &str,
        session: &SessionRow,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("DELETE FROM dashboard_sessions WHERE expires_at <= $1", &[&now]).await?;
        tx.execute(
            "INSERT INTO dashboard_sessions (id_hash, workspace, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&id_hash, &session.workspace, &session.csrf, &now, &session.expires_at],
        )
        .await?;
        tx.commit().await?;
        super::super::count_statements(4);
        Ok(())
    }

    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
        let sql = "SELECT workspace, csrf, expires_at FROM dashboard_sessions WHERE id_hash = $1 AND expires_at > $2";
        let row = self.row(sql, &[&id_hash, &now]).await?;
        row.map(|r| Ok(SessionRow { workspace: get(&r, 0)?, csrf: get(&r, 1)?, expires_at: get(&r, 2)? }))
            .transpose()
    }

    pub async fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM dashboard_sessions WHERE id_hash = $1", &[&id_hash]).await.map(|_| ())
    }
}

//! Runs on Postgres: reads and lists as on SQLite, and the claims of a shared store.
//!
//! A node claims due runs in one transaction: the due rows are locked with `FOR UPDATE
//! SKIP LOCKED` (two nodes never pick the same row), each gets a fencing token from a
//! sequence, the runs with a contact take that contact's lease (refused while another
//! run of the contact holds it, on any node), and the claimed runs get a lease (this
//! node, until when). A run whose contact's lease is held is not even picked: taking
//! the lease row's lock would make the claim wait on the commit that lets it go, and
//! that commit on the claim (a circle Postgres breaks only after a second). The commit of a run's progress checks its token (`writer.rs`);
//! the node renews its leases while it works ([`Postgres::renew`]); a lease that ends
//! (a crashed or paused node) lets any node claim the run again, with a new token.

use std::collections::HashSet;

use tokio_postgres::types::ToSql;

use super::copy::param;
use super::{DB_NOW_MS, Postgres, StoreError, get};
use crate::engine::store::copy::Kind;
use crate::engine::store::{Claim, DueRun, RunQuery, RunRow};

pub(super) const RUN_COLUMNS: &str = "id, workspace, workflow, version, status, trigger, hub, card, event_id, contact_id, started_at, finished_at, due_at, state, depth, caused_by";

pub(super) fn run_row(r: &tokio_postgres::Row) -> Result<RunRow, StoreError> {
    Ok(RunRow {
        id: get(r, 0)?,
        workspace: get(r, 1)?,
        workflow: get(r, 2)?,
        version: get(r, 3)?,
        status: get(r, 4)?,
        trigger: get(r, 5)?,
        hub: get(r, 6)?,
        card: get(r, 7)?,
        event_id: get(r, 8)?,
        contact_id: get(r, 9)?,
        started_at: get(r, 10)?,
        finished_at: get(r, 11)?,
        due_at: get(r, 12)?,
        state: get(r, 13)?,
        depth: get(r, 14)?,
        caused_by: get(r, 15)?,
        start_contact: None,
    })
}

/// The blobs of the claimed runs' contacts (`$1` workspaces, `$2` ids, pairwise).
const READ_CONTACTS: &str = "SELECT c.workspace, c.id, c.data FROM contacts c
     JOIN UNNEST($1::text[], $2::text[]) AS t(w, id) ON c.workspace = t.w AND c.id = t.id";

impl Postgres {
    pub async fn run(&self, workspace: &str, id: &str) -> Result<Option<RunRow>, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE workspace = $1 AND id = $2");
        self.row(&sql, &[&workspace, &id]).await?.map(|r| run_row(&r)).transpose()
    }

    /// Claims up to `limit` runs due at `now` (see the module's comment), but for
    /// `skip` (this node's runs in flight).
    pub async fn claim_due(&self, now: i64, limit: u32, skip: &[&str]) -> Result<Vec<DueRun>, StoreError> {
        let columns: Vec<String> = RUN_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect();
        let pick = format!(
            "SELECT {}, nextval('fencing_tokens') FROM runs r
             JOIN workflows w ON w.workspace = r.workspace AND w.name = r.workflow
             WHERE r.due_at IS NOT NULL AND r.due_at <= $1 AND w.status = 'active'
               AND (r.lease_until IS NULL OR r.lease_until < {DB_NOW_MS})
               AND NOT (r.id = ANY($3))
               AND NOT EXISTS (SELECT 1 FROM contact_leases l
                               WHERE l.workspace = r.workspace AND l.contact_id = r.contact_id
                                 AND l.until >= {DB_NOW_MS})
             ORDER BY r.due_at LIMIT $2
             FOR UPDATE OF r SKIP LOCKED",
            columns.join(", ")
        );
        let lease_contacts = format!(
            "INSERT INTO contact_leases (workspace, contact_id, token, until)
             SELECT w, c, k, {DB_NOW_MS} + $4 FROM UNNEST($1::text[], $2::text[], $3::bigint[]) AS t(w, c, k)
             ON CONFLICT (workspace, contact_id) DO UPDATE SET token = EXCLUDED.token, until = EXCLUDED.until
             WHERE contact_leases.until < {DB_NOW_MS}
             RETURNING token"
        );
        let lease_runs = format!(
            "UPDATE runs SET lease_owner = $1, lease_until = {DB_NOW_MS} + $2, lease_token = t.k
             FROM UNNEST($3::text[], $4::bigint[]) AS t(id, k) WHERE runs.id = t.id"
        );
        let limit = i64::from(limit);
        let skip: Vec<String> = skip.iter().map(|s| s.to_string()).collect();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let rows = tx.query(&tx.prepare_cached(&pick).await?, &[&now, &limit, &skip]).await?;
        let mut due = Vec::with_capacity(rows.len());
        let mut contacts = HashSet::new();
        for r in &rows {
            let run = run_row(r)?;
            // One run of a contact per claim: the next is claimed after it commits.
            if let Some(c) = &run.contact_id {
                if !contacts.insert((run.workspace.clone(), c.clone())) {
                    continue;
                }
            }
            let claim = Claim { due_at: run.due_at, token: Some(get(r, 16)?) };
            due.push(DueRun { contact: None, run, claim });
        }
        // Contacts' leases in one order on every node, so two claims never wait on
        // each other in a circle.
        let mut wanted: Vec<(String, String, i64)> = due
            .iter()
            .filter_map(|d| Some((d.run.workspace.clone(), d.run.contact_id.clone()?, d.claim.token?)))
            .collect();
        wanted.sort();
        let (mut ws, mut cs, mut ks) = (Vec::new(), Vec::new(), Vec::new());
        for (w, c, k) in wanted {
            ws.push(w);
            cs.push(c);
            ks.push(k);
        }
        let mut statements = 3;
        if !ks.is_empty() {
            let granted = tx
                .query(&tx.prepare_cached(&lease_contacts).await?, &[&ws, &cs, &ks, &self.node.lease_ms])
                .await?;
            statements += 1;
            let granted: HashSet<i64> = granted.iter().map(|r| get(r, 0)).collect::<Result<_, _>>()?;
            due.retain(|d| d.run.contact_id.is_none() || d.claim.token.is_some_and(|k| granted.contains(&k)));
        }
        if !ws.is_empty() && !due.is_empty() {
            // The contacts, read only now that their leases are this claim's: a commit
            // that let one go has committed (the lease waited for it), so this reads the
            // contact as that run left it.
            let (ws, cs): (Vec<&str>, Vec<&str>) = due
                .iter()
                .filter_map(|d| Some((d.run.workspace.as_str(), d.run.contact_id.as_deref()?)))
                .unzip();
            let rows = tx.query(&tx.prepare_cached(READ_CONTACTS).await?, &[&ws, &cs]).await?;
            statements += 1;
            let mut blobs = std::collections::HashMap::new();
            for r in &rows {
                blobs.insert((get::<String>(r, 0)?, get::<String>(r, 1)?), get::<String>(r, 2)?);
            }
            for d in &mut due {
                if let Some(c) = &d.run.contact_id {
                    d.contact = blobs.remove(&(d.run.workspace.clone(), c.clone()));
                }
            }
        }
        if !due.is_empty() {
            let ids: Vec<&str> = due.iter().map(|d| d.run.id.as_str()).collect();
            let tokens: Vec<i64> = due.iter().filter_map(|d| d.claim.token).collect();
            tx.execute(
                &tx.prepare_cached(&lease_runs).await?,
                &[&self.node.name, &self.node.lease_ms, &ids, &tokens],
            )
            .await?;
            statements += 1;
        }
        tx.commit().await?;
        super::super::count_statements(statements);
        Ok(due)
    }

    /// Extends this node's leases with `tokens` (those it still holds: a token that was
    /// taken over renews nothing). Answers how many runs' leases were extended.
    pub async fn renew(&self, tokens: &[i64]) -> Result<u64, StoreError> {
        if tokens.is_empty() {
            return Ok(0);
        }
        // The runs first, then their contacts' leases (the order every transaction
        // locks them in).
        let sql = format!(
            "WITH renewed AS (
               UPDATE runs SET lease_until = {DB_NOW_MS} + $2
               WHERE lease_token = ANY($1) AND lease_owner = $3 AND lease_until >= {DB_NOW_MS}
               RETURNING lease_token),
             contacts AS (UPDATE contact_leases SET until = {DB_NOW_MS} + $2 WHERE token IN (SELECT lease_token FROM renewed))
             SELECT COUNT(*) FROM renewed"
        );
        let row = self.row(&sql, &[&tokens, &self.node.lease_ms, &self.node.name]).await?;
        Ok(row.map(|r| get::<i64>(&r, 0)).transpose()?.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    pub async fn list_runs(&self, workspace: &str, query: &RunQuery) -> Result<Vec<RunRow>, StoreError> {
        let (filter, cells) = query.sql(workspace, |i| format!("${i}"));
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs {filter}");
        let values: Vec<Box<dyn ToSql + Sync + Send>> = cells.iter().map(|c| param(c, Kind::Text)).collect();
        let params: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| v.as_ref() as &(dyn ToSql + Sync)).collect();
        self.rows(&sql, &params).await?.iter().map(run_row).collect()
    }

    pub async fn runs_caused_by(&self, workspace: &str, run: &str) -> Result<Vec<RunRow>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE workspace = $1 AND cause_run = $2 ORDER BY started_at, seq"
        );
        self.rows(&sql, &[&workspace, &run]).await?.iter().map(run_row).collect()
    }

    pub async fn run_stats(
        &self,
        workspace: &str,
        workflow: &str,
    ) -> Result<Vec<(String, i64, Option<i64>)>, StoreError> {
        let sql = "SELECT status, started_at, finished_at FROM runs WHERE workspace = $1 AND workflow = $2";
        self.rows(sql, &[&workspace, &workflow])
            .await?
            .iter()
            .map(|r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?)))
            .collect()
    }

    pub async fn run_counts_since(
        &self,
        workspace: &str,
        since_ms: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = "SELECT w.name, (SELECT COUNT(*) FROM runs r
                                   WHERE r.workspace = w.workspace AND r.workflow = w.name AND r.started_at >= $2)
                   FROM workflows w WHERE w.workspace = $1";
        self.rows(sql, &[&workspace, &since_ms]).await?.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
    }

    /// Cancels a workflow's unfinished runs in one transaction (their rows locked, so a
    /// node committing one of them meanwhile waits, then finds its claim gone).
    pub async fn cancel_unfinished_runs(
        &self,
        workspace: &str,
        workflow: &str,
        finished_at: i64,
        mut cancelled_state: impl FnMut(&str, &str) -> Result<String, StoreError>,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let rows = tx
            .query(
                "SELECT id, state FROM runs WHERE workspace = $1 AND workflow = $2
                   AND status IN ('pending', 'running', 'waiting') FOR UPDATE",
                &[&workspace, &workflow],
            )
            .await?;
        let mut statements = 3;
        for r in &rows {
            let (id, state): (String, String) = (get(r, 0)?, get(r, 1)?);
            let state = cancelled_state(&id, &state)?;
            tx.execute(
                "UPDATE runs SET status = 'cancelled', state = $2, due_at = NULL, finished_at = $3 WHERE id = $1",
                &[&id, &state, &finished_at],
            )
            .await?;
            statements += 1;
        }
        tx.commit().await?;
        super::super::count_statements(statements);
        Ok(())
    }
}

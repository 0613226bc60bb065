//! The hot writes on Postgres: one writer connection per node commits them in groups.
//!
//! In: [`IngestWrite`]s and [`ProgressWrite`]s. Out: each one's answer, after the commit
//! that made it durable. Every write waiting when a commit starts shares it. The first
//! statement of each write decides whether the rest runs (a duplicate event, a claim
//! that no longer holds), so a refused write leaves nothing to undo; a statement that
//! fails aborts the group's transaction, which is then run again with each write in a
//! transaction of its own, so one bad write cannot sink the others.

use deadpool_postgres::{Pool, Transaction};

use super::runs::RUN_COLUMNS;
use super::{CHANNEL, StoreError};
use crate::engine::store::{IngestWrite, ProgressWrite, RaisedEvent, RunRow};

pub(super) const DAY_MS: i64 = 24 * 3600 * 1000;

/// Records an ingested event unless the same id came in the last 24 hours (`$6` is
/// the start of that window); an older one is replaced.
pub(super) const RECORD_EVENT: &str = "INSERT INTO events (workspace, id, type, received_at, body) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (workspace, id) DO UPDATE SET type = EXCLUDED.type, received_at = EXCLUDED.received_at, body = EXCLUDED.body
     WHERE events.received_at <= $6";

const RECORD_CAUSED: &str = "INSERT INTO events (workspace, id, type, received_at, body, depth, caused_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (workspace, id) DO NOTHING";

const INSERT_CONTACT: &str =
    "INSERT INTO contacts (workspace, id, email, phone, data) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (workspace, id) DO NOTHING";

const SAVE_CONTACT: &str = "INSERT INTO contacts (workspace, id, email, phone, data) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (workspace, id) DO UPDATE SET email = EXCLUDED.email, phone = EXCLUDED.phone, data = EXCLUDED.data";

/// A run's progress, on its claim: still due when it was claimed, still this claim's
/// (its fencing token), and (for a run with a contact) its contact's lease still this
/// claim's. The lease row is locked first, by letting it go: a node taking it over
/// meanwhile makes this wait, then find another token and write nothing; and a node
/// about to take it over waits for this commit, then reads the contact as it left it.
const UPDATE_RUN: &str = "WITH released AS (
       DELETE FROM contact_leases WHERE workspace = $8 AND contact_id = $9 AND token = $7 RETURNING 1),
     updated AS (
       UPDATE runs SET status = $2, state = $3, due_at = $4, finished_at = $5,
                       lease_owner = NULL, lease_until = NULL, lease_token = NULL
       WHERE id = $1 AND due_at IS NOT DISTINCT FROM $6 AND lease_token IS NOT DISTINCT FROM $7
         AND ($9::text IS NULL OR EXISTS (SELECT 1 FROM released))
       RETURNING id)
     SELECT COUNT(*) FROM updated";

/// A write and where its answer goes.
pub(super) enum Job {
    Ingest(IngestWrite, tokio::sync::oneshot::Sender<Result<Option<usize>, StoreError>>),
    Progress(ProgressWrite, tokio::sync::oneshot::Sender<Result<(usize, usize), StoreError>>),
}

/// What one write did, before it is answered.
enum Done {
    Ingest(Option<usize>),
    Progress(Result<(usize, usize), StoreError>),
}

/// Whether a write stored new runs (then other nodes hear of it).
fn started_runs(job: &Job, done: &Done) -> bool {
    match (job, done) {
        (Job::Ingest(w, _), Done::Ingest(Some(_))) => {
            !w.runs.is_empty() || w.raised.iter().any(|e| !e.runs.is_empty())
        }
        (Job::Progress(..), Done::Progress(Ok((_, runs)))) => *runs > 0,
        _ => false,
    }
}

/// The most writes one group commit takes.
const MAX_GROUP: usize = 256;

/// Starts the writer task; the sender takes the writes.
pub(super) fn start(pool: Pool, store: String) -> tokio::sync::mpsc::UnboundedSender<Job> {
    let (sender, mut jobs) = tokio::sync::mpsc::unbounded_channel::<Job>();
    tokio::spawn(async move {
        while let Some(first) = jobs.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_GROUP {
                match jobs.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            commit(&pool, &store, batch).await;
        }
    });
    sender
}

/// Commits a group and answers each of its writes.
async fn commit(pool: &Pool, store: &str, batch: Vec<Job>) {
    let mut client = match pool.get().await {
        Ok(client) => client,
        Err(e) => {
            let error = StoreError::Unreachable { store: store.to_string(), detail: e.to_string() };
            return answer_all(batch, &error);
        }
    };
    match group(&mut client, &batch).await {
        Ok(done) => answer(batch, done),
        Err(_) if batch.len() > 1 => {
            // One write failed: each on its own, so the others commit.
            for job in batch {
                let one = [job];
                match group(&mut client, &one).await {
                    Ok(done) => answer(Vec::from(one), done),
                    Err(e) => answer_all(Vec::from(one), &e),
                }
            }
        }
        Err(e) => answer_all(batch, &e),
    }
}

/// Runs `batch` in one transaction and commits it (with one notification to every node
/// when it started runs).
async fn group(client: &mut deadpool_postgres::Object, batch: &[Job]) -> Result<Vec<Done>, StoreError> {
    let tx = client.transaction().await?;
    let mut statements = 2;
    let mut done = Vec::with_capacity(batch.len());
    for job in batch {
        let (d, n) = match job {
            Job::Ingest(w, _) => ingest(&tx, w).await?,
            Job::Progress(w, _) => progress(&tx, w).await?,
        };
        statements += n;
        done.push(d);
    }
    if batch.iter().zip(&done).any(|(job, d)| started_runs(job, d)) {
        tx.execute("SELECT pg_notify($1, 'runs')", &[&CHANNEL]).await?;
        statements += 1;
    }
    tx.commit().await?;
    super::super::count_statements(statements);
    Ok(done)
}

fn answer(batch: Vec<Job>, done: Vec<Done>) {
    for (job, d) in batch.into_iter().zip(done) {
        match (job, d) {
            (Job::Ingest(_, reply), Done::Ingest(v)) => {
                let _ = reply.send(Ok(v));
            }
            (Job::Progress(_, reply), Done::Progress(v)) => {
                let _ = reply.send(v);
            }
            (Job::Ingest(_, reply), Done::Progress(_)) => {
                let _ = reply.send(Err(StoreError::AnswerMismatch));
            }
            (Job::Progress(_, reply), Done::Ingest(_)) => {
                let _ = reply.send(Err(StoreError::AnswerMismatch));
            }
        }
    }
}

fn answer_all(batch: Vec<Job>, error: &StoreError) {
    for job in batch {
        match job {
            Job::Ingest(_, reply) => {
                let _ = reply.send(Err(error.clone()));
            }
            Job::Progress(_, reply) => {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}

/// An event with its contact, runs and caused events; `None` for a duplicate. Also
/// answers how many statements it ran.
async fn ingest(tx: &Transaction<'_>, w: &IngestWrite) -> Result<(Done, u64), StoreError> {
    let mut n = 0;
    if let Some(e) = &w.event {
        let fresh = tx
            .execute(
                &tx.prepare_cached(RECORD_EVENT).await?,
                &[&w.workspace, &e.id, &e.kind, &w.at, &e.body, &(w.at - DAY_MS)],
            )
            .await?;
        n += 1;
        if fresh == 0 {
            return Ok((Done::Ingest(None), n));
        }
    }
    if let Some(c) = &w.new_contact {
        tx.execute(
            &tx.prepare_cached(INSERT_CONTACT).await?,
            &[&w.workspace, &c.id, &c.email, &c.phone, &c.data],
        )
        .await?;
        n += 1;
    }
    n += insert_runs(tx, &w.runs).await?;
    let (events, _, m) = raised(tx, &w.workspace, &w.raised, w.at, false).await?;
    Ok((Done::Ingest(Some(events)), n + m))
}

/// A run's progress on its claim, with its contact and caused events.
async fn progress(tx: &Transaction<'_>, w: &ProgressWrite) -> Result<(Done, u64), StoreError> {
    let changed: i64 = tx
        .query_one(
            &tx.prepare_cached(UPDATE_RUN).await?,
            &[
                &w.run,
                &w.status,
                &w.state,
                &w.due_at,
                &w.finished_at,
                &w.claim.due_at,
                &w.claim.token,
                &w.workspace,
                &w.contact_id,
            ],
        )
        .await?
        .try_get(0)?;
    if changed == 0 {
        return Ok((Done::Progress(Err(StoreError::Conflict { run: w.run.clone() })), 1));
    }
    let mut n = 1;
    if let Some(c) = &w.contact {
        tx.execute(
            &tx.prepare_cached(SAVE_CONTACT).await?,
            &[&w.workspace, &c.id, &c.email, &c.phone, &c.data],
        )
        .await?;
        n += 1;
    }
    let (events, runs, m) = raised(tx, &w.workspace, &w.raised, w.at, true).await?;
    Ok((Done::Progress(Ok((events, runs))), n + m))
}

/// Inserts runs (one statement for all of them); answers the statements run.
async fn insert_runs(tx: &Transaction<'_>, runs: &[RunRow]) -> Result<u64, StoreError> {
    if runs.is_empty() {
        return Ok(0);
    }
    // One row of parameters per run, in arrival order (`seq` numbers them so).
    const COLUMNS: usize = 18;
    let mut sql = format!("INSERT INTO runs ({RUN_COLUMNS}, cause_run, start_contact) VALUES ");
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        Vec::with_capacity(runs.len() * COLUMNS);
    let causes: Vec<Option<String>> = runs.iter().map(RunRow::cause_run).collect();
    for (i, (run, cause)) in runs.iter().zip(&causes).enumerate() {
        let first = i * COLUMNS + 1;
        let slots: Vec<String> = (first..first + COLUMNS).map(|p| format!("${p}")).collect();
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("({})", slots.join(", ")));
        params.extend_from_slice(&[
            &run.id,
            &run.workspace,
            &run.workflow,
            &run.version,
            &run.status,
            &run.trigger,
            &run.hub,
            &run.card,
            &run.event_id,
            &run.contact_id,
            &run.started_at,
            &run.finished_at,
            &run.due_at,
            &run.state,
            &run.depth,
            &run.caused_by,
            cause,
            &run.start_contact,
        ]);
    }
    tx.execute(&tx.prepare_cached(&sql).await?, &params).await?;
    Ok(1)
}

/// Caused events and their runs (see the SQLite store's `store_raised`): answers the
/// events and runs stored, and the statements run.
async fn raised(
    tx: &Transaction<'_>,
    ws: &str,
    raised: &[RaisedEvent],
    at: i64,
    journaled: bool,
) -> Result<(usize, usize, u64), StoreError> {
    let (mut events, mut started, mut n) = (0, 0, 0);
    for event in raised {
        if journaled && event.runs.is_empty() {
            events += 1;
            continue;
        }
        let fresh = tx
            .execute(
                &tx.prepare_cached(RECORD_CAUSED).await?,
                &[&ws, &event.id, &event.kind, &at, &event.body, &event.depth, &event.caused_by],
            )
            .await?;
        n += 1;
        if fresh == 0 {
            continue;
        }
        events += 1;
        n += insert_runs(tx, &event.runs).await?;
        started += event.runs.len();
    }
    Ok((events, started, n))
}

impl super::Postgres {
    pub async fn ingest(&self, write: IngestWrite) -> Result<Option<usize>, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.writer.send(Job::Ingest(write, reply)).map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    pub async fn progress(&self, write: ProgressWrite) -> Result<(usize, usize), StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.writer.send(Job::Progress(write, reply)).map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }
}

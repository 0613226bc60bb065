//! The group-commit writer: one thread with its own connection that commits the hot
//! writes (events, runs' progress) in groups.
//!
//! In: write closures from [`Sqlite::write`], each plain SQL on the connection it is
//! handed. Out: each closure's answer, sent back only after the commit that made it
//! durable. Every write waiting when a commit starts shares that commit's fsync.

use std::any::Any;

use rusqlite::Connection;

use super::{Sqlite, StoreError};

/// A write for the group-commit writer: runs inside the batch's transaction and gives
/// back its result; it may run twice (see [`write_loop`]), so it only touches SQL.
type Job = Box<dyn FnMut(&Connection) -> JobResult + Send>;

pub(super) struct WriteRequest {
    job: Job,
    done: tokio::sync::oneshot::Sender<JobResult>,
}

/// Starts the writer thread on `conn`; the sender takes the writes.
pub(super) fn start(conn: Connection) -> Result<std::sync::mpsc::Sender<WriteRequest>, StoreError> {
    let (writer, requests) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("komo-store-writer".into())
        .spawn(move || write_loop(conn, requests))
        .map_err(|e| StoreError::Io { action: "start the store writer".into(), detail: e.to_string() })?;
    Ok(writer)
}

/// The most writes one group commit takes.
const MAX_GROUP: usize = 512;

/// The writer thread: takes the writes that are waiting, runs them in one transaction,
/// commits once, then answers every caller.
///
/// The common case costs no statement beyond each write's own: the writes run one
/// after the other in the transaction. When one fails, the whole transaction is rolled
/// back and the group is run again with a savepoint around each write, so the failed
/// write's statements are undone and the others are kept (writes are plain SQL on the
/// connection, so running one twice is safe).
fn write_loop(mut conn: Connection, requests: std::sync::mpsc::Receiver<WriteRequest>) {
    while let Ok(first) = requests.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP {
            match requests.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let outcome = commit_group(&mut conn, &mut batch, false).and_then(|results| {
            if results.iter().all(Result::is_ok) {
                Ok(results)
            } else {
                commit_group(&mut conn, &mut batch, true)
            }
        });
        match outcome {
            Ok(results) => {
                for (request, result) in batch.into_iter().zip(results) {
                    let _ = request.done.send(result);
                }
            }
            Err(e) => {
                for request in batch {
                    let _ = request.done.send(Err(e.clone()));
                }
            }
        }
    }
}

type JobResult = Result<Box<dyn Any + Send>, StoreError>;

/// Runs every write of `batch` in one transaction, each in a savepoint when `isolate`;
/// without it, a failed write rolls the whole transaction back (its results are then
/// only a signal to run the group again isolated).
fn commit_group(
    conn: &mut Connection,
    batch: &mut [WriteRequest],
    isolate: bool,
) -> Result<Vec<JobResult>, StoreError> {
    let mut tx = conn.transaction()?;
    let mut results = Vec::with_capacity(batch.len());
    for request in batch.iter_mut() {
        if isolate {
            let mut savepoint = tx.savepoint()?;
            let result = (request.job)(&savepoint);
            if result.is_ok() {
                savepoint.commit()?;
            } else {
                savepoint.rollback()?;
            }
            results.push(result);
        } else {
            let result = (request.job)(&tx);
            let failed = result.is_err();
            results.push(result);
            if failed {
                tx.rollback()?;
                return Ok(results);
            }
        }
    }
    tx.commit()?;
    Ok(results)
}

impl Sqlite {
    /// Runs `f` in the next group commit; answers after that commit (durably stored) or
    /// with its error (`f`'s writes are then undone, the others in the group are kept).
    /// `f` may be called twice (the group is run again when another write fails), so
    /// it must do nothing but SQL on the connection it is given.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        mut f: impl FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| f(conn).map(|t| Box::new(t) as Box<dyn Any + Send>));
        self.writer.send(WriteRequest { job, done }).map_err(|_| StoreError::WriterStopped)?;
        let value = answer.await.map_err(|_| StoreError::WriterStopped)??;
        value.downcast::<T>().map(|b| *b).map_err(|_| StoreError::AnswerMismatch)
    }
}

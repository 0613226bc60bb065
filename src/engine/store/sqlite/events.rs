//! Events: the ones ingested (deduplicated by id for 24 hours) and the ones the engine
//! raised for its own changes (with their cause and depth).
//!
//! In: an event's id, type and body. Out: whether it was new; an event's body.
//! [`record_event`] and [`record_caused_event`] are writes for the group commit (`hot.rs`).

use rusqlite::{Connection, OptionalExtension, params};

use super::{Sqlite, StoreError};
use crate::engine::store::RaisedEvent;

/// Records an event; false when the same id was received in the last 24 hours (a
/// duplicate: the caller starts nothing). An older one is replaced. One statement: the
/// upsert's `WHERE` leaves a recent row alone, and then changes nothing.
pub(super) fn record_event(
    tx: &Connection,
    workspace: &str,
    id: &str,
    kind: &str,
    body: &str,
    now: i64,
) -> Result<bool, StoreError> {
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let changed = tx
        .prepare_cached(
            "INSERT INTO events (workspace, id, type, received_at, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(workspace, id) DO UPDATE SET type = ?3, received_at = ?4, body = ?5
         WHERE events.received_at <= ?6",
        )?
        .execute(params![workspace, id, kind, now, body, now - DAY_MS])?;
    Ok(changed > 0)
}

/// Records an event the engine raised (never a duplicate: its id is derived from its
/// cause, and its cause commits once); false if the id exists already.
pub(super) fn record_caused_event(
    tx: &Connection,
    workspace: &str,
    event: &RaisedEvent,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = tx
        .prepare_cached(
            "INSERT INTO events (workspace, id, type, received_at, body, depth, caused_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(workspace, id) DO NOTHING",
        )?
        .execute(params![workspace, event.id, event.kind, now, event.body, event.depth, event.caused_by])?;
    Ok(changed > 0)
}

impl Sqlite {
    /// [`record_event`] in a transaction of its own, outside the group commit (for an
    /// event that starts no run).
    pub fn record_event(
        &self,
        workspace: &str,
        id: &str,
        kind: &str,
        body: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.transaction(|tx| record_event(tx, workspace, id, kind, body, now))
    }

    /// The body of a stored event (the one a run started from).
    pub fn event_body(&self, workspace: &str, id: &str) -> Result<Option<String>, StoreError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT body FROM events WHERE workspace = ?1 AND id = ?2",
                params![workspace, id],
                |r| r.get(0),
            )
            .optional()?)
    }
}

//! The hot writes on SQLite: an ingested event with its contact and runs, and a run's
//! progress with its contact and caused events, each one write in the next group commit.
//!
//! In: an [`IngestWrite`] or a [`ProgressWrite`]. Out: what it stored, after the commit
//! that made it durable.

use rusqlite::Connection;

use super::contacts::{insert_contact, save_contact};
use super::events::{record_caused_event, record_event};
use super::runs::{insert_run, update_run};
use super::{Sqlite, StoreError};
use crate::engine::store::{IngestWrite, ProgressWrite, RaisedEvent};

impl Sqlite {
    /// Stores an ingested event with its new contact, runs and caused events; `None`
    /// when the event is a duplicate (then nothing is stored).
    pub async fn ingest(&self, write: IngestWrite) -> Result<Option<usize>, StoreError> {
        self.write(move |tx| {
            let w = &write;
            if let Some(event) = &w.event {
                if !record_event(tx, &w.workspace, &event.id, &event.kind, &event.body, w.at)? {
                    return Ok(None);
                }
            }
            if let Some(c) = &w.new_contact {
                insert_contact(tx, &w.workspace, &c.id, c.email.as_deref(), c.phone.as_deref(), &c.data)?;
            }
            for run in &w.runs {
                insert_run(tx, run)?;
            }
            let (events, _) = store_raised(tx, &w.workspace, &w.raised, w.at, false)?;
            Ok(Some(events))
        })
        .await
    }

    /// Stores a run's progress (refused as a conflict when its claim no longer holds),
    /// its contact and the events it caused; answers how many events and runs were stored.
    pub async fn progress(&self, write: ProgressWrite) -> Result<(usize, usize), StoreError> {
        self.write(move |tx| {
            let w = &write;
            update_run(tx, &w.run, w.claim.due_at, &w.status, &w.state, w.due_at, w.finished_at)?;
            if let Some(c) = &w.contact {
                save_contact(tx, &w.workspace, &c.id, c.email.as_deref(), c.phone.as_deref(), &c.data)?;
            }
            store_raised(tx, &w.workspace, &w.raised, w.at, true)
        })
        .await
    }
}

/// Stores raised events and their runs, in the caller's transaction; an event whose id
/// is stored already starts nothing again. A run's caused event that starts no run is
/// not written again as an event row when `journaled` (the run's state, written in the
/// same transaction, holds it, with its id, step and data). Answers how many events and
/// runs were stored.
fn store_raised(
    tx: &Connection,
    ws: &str,
    raised: &[RaisedEvent],
    at: i64,
    journaled: bool,
) -> Result<(usize, usize), StoreError> {
    let (mut events, mut started) = (0, 0);
    for event in raised {
        if journaled && event.runs.is_empty() {
            events += 1;
            continue;
        }
        if !record_caused_event(tx, ws, event, at)? {
            continue;
        }
        events += 1;
        for run in &event.runs {
            insert_run(tx, run)?;
            started += 1;
        }
    }
    Ok((events, started))
}

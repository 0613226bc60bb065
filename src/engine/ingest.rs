//! Ingest: an event envelope in, runs stored, all in one transaction.
//!
//! In: a request body. Out: the started runs (or `duplicate`). The body is checked
//! (size, JSON depth, the trigger's type) before anything is stored; the contact is
//! matched by id, then email, then phone, and created when new; every active workflow
//! of the trigger whose scope, `form` and `where` admit the event gets one run pinned to
//! its active version. The event, a new contact and the runs commit together, and only
//! then is the answer sent.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::api::{IngestResponse, StartedRun};
use super::caused::{Cause, What, raise_one};
use super::error::{EngineError, Fault, Malformed, Missing, Refusal};
use super::handoff::{Handed, Parsed};
use super::host::{ContactLoad, EngineHost, blob_of, blob_state};
use super::store::{Claim, ContactWrite, DueRun, IngestWrite, NewEvent, RaisedEvent, RunRow, StoreError};
use super::{Engine, ordered_id};
use crate::runtime::admit::{Admission, admit, in_scope};
use crate::runtime::contact::ContactState;
use crate::runtime::event::{TriggerEvent, parse_envelope};
use crate::runtime::interp::{RunStart, RunState, start};
use crate::runtime::value::Value;

/// The largest event body (engine.md §7).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The deepest JSON nesting accepted.
pub const MAX_JSON_DEPTH: usize = 64;

/// Refuses JSON nested deeper than `max` before a parser recurses into it.
pub fn check_depth(body: &[u8], max: usize) -> Result<(), EngineError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (at, &b) in body.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(Malformed::TooDeep { max, at }.into());
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

pub async fn ingest(engine: &Engine, ws: &str, body: &[u8]) -> Result<IngestResponse, EngineError> {
    let json = read_json(body)?;
    ingest_envelope(engine, ws, &json, None).await
}

/// Reads a JSON body within the limits (size, then depth, before parsing).
pub fn read_json(body: &[u8]) -> Result<serde_json::Value, EngineError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(EngineError::TooLarge { limit: MAX_BODY_BYTES });
    }
    check_depth(body, MAX_JSON_DEPTH)?;
    serde_json::from_slice(body).map_err(|e| Malformed::NotJson { detail: e.to_string() }.into())
}

/// Validates an envelope and starts its runs (of `only`, when given).
pub async fn ingest_envelope(
    engine: &Engine,
    ws: &str,
    json: &serde_json::Value,
    only: Option<&str>,
) -> Result<IngestResponse, EngineError> {
    let event = parse_envelope(json)
        .map_err(|e| EngineError::Invalid { message: e.to_string(), field: Some(e.path.clone()) })?;
    let (duplicate, runs) = start_runs(engine, ws, &event, &json.to_string(), only, true).await?;
    engine.metrics.event(duplicate, runs.len());
    Ok(IngestResponse { event_id: event.id, duplicate, runs })
}

/// Records an event that starts no run (a platform event type that is not mapped).
pub async fn record_only(
    engine: &Engine,
    ws: &str,
    id: &str,
    kind: &str,
    body: &str,
) -> Result<IngestResponse, EngineError> {
    let now = engine.clock.now_ms();
    let fresh = engine.store.record_event(ws, id, kind, body, now).await?;
    engine.metrics.event(!fresh, 0);
    Ok(IngestResponse { event_id: id.to_string(), duplicate: !fresh, runs: Vec::new() })
}

/// A new run of `row`'s workflow (its active version) on the event `row` started from.
pub async fn replay(engine: &Engine, ws: &str, row: &RunRow) -> Result<StartedRun, EngineError> {
    let body = engine
        .store
        .event_body(ws, &row.event_id)
        .await?
        .ok_or_else(|| Missing::RunEvent { run: row.id.clone() })?;
    let what = || format!("the stored event `{}`", row.event_id);
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| StoreError::corrupt(what(), e))?;
    let event = parse_envelope(&json)
        .map_err(|e| StoreError::corrupt(what(), format!("it no longer fits its trigger: {e}")))?;
    let (_, runs) = start_runs(engine, ws, &event, &body, Some(&row.workflow), false).await?;
    runs.into_iter().next().ok_or_else(|| Refusal::NotAdmitted { workflow: row.workflow.clone() }.into())
}

/// The contact an event is about: `(id, state, stored blob)`, the blob `None` for a new
/// contact (and for none); the state of a stored contact that cannot be read is the
/// reason (its runs fail where they need the contact).
async fn resolve_contact(
    engine: &Engine,
    ws: &str,
    event: &TriggerEvent,
) -> Result<(Option<String>, ContactLoad, Option<String>), EngineError> {
    let c = &event.contact;
    let text = |k: &str| c.field(k).as_str().map(str::to_string);
    let found = engine
        .store
        .find_contact(ws, text("id").as_deref(), text("email").as_deref(), text("phone").as_deref())
        .await?;
    if let Some(row) = found {
        let state = blob_state(&row.id, &row.data);
        return Ok((Some(row.id), state, Some(row.data)));
    }
    if c.is_null() && event.trigger.contact_optional {
        let mut state = ContactState::default();
        state.set_contact(&Value::Null, event.occurred_at);
        return Ok((None, Ok(state), None));
    }
    let id = match text("id") {
        Some(id) => id,
        None => ordered_id("ct_", engine.clock.now_ms())?,
    };
    let mut given = match c {
        Value::Record(r) => r.clone(),
        _ => BTreeMap::new(),
    };
    given.insert("id".into(), Value::str(id.clone()));
    let now = engine.clock.now();
    let mut state = ContactState::new(now);
    state.set_contact(&Value::Record(given), now);
    Ok((Some(id), Ok(state), None))
}

/// The runs `event` starts (of `only`, when given): every active workflow of its
/// trigger whose scope, `form` and `where` admit it gets one pending run, pinned to its
/// active version; each with its state (the row holds it as JSON). Nothing is stored.
#[allow(clippy::too_many_arguments)]
pub async fn plan_runs(
    engine: &Engine,
    ws: &str,
    event: &TriggerEvent,
    contact_id: &Option<String>,
    state: &ContactLoad,
    only: Option<&str>,
    depth: i64,
    caused_by: Option<&str>,
) -> Result<Vec<(RunRow, RunState)>, EngineError> {
    let now = engine.clock.now();
    let mut new_runs = Vec::new();
    if let Err(why) = state {
        tracing::warn!(event = %event.id, "{why}: its runs fail where they need the contact");
    }
    for (name, version) in engine.active_for_trigger(ws, event.trigger.name).await?.iter() {
        let (name, version) = (name.clone(), *version);
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let wf = engine.version(ws, &name, version).await?;
        if !in_scope(&wf, event) {
            continue;
        }
        let mut host = EngineHost::new(
            contact_id.clone(),
            state.clone(),
            Arc::clone(&engine.secrets),
            Arc::clone(&engine.connectors),
            engine.clock.clone(),
        );
        let admitted = admit(&wf, event.clone(), &mut host).await.map_err(Fault::Admission)?;
        let admitted = match admitted {
            Admission::Run(admitted) => admitted,
            Admission::NoRun(reason) => {
                tracing::debug!(workflow = %name, event = %event.id, %reason, "no run");
                continue;
            }
        };
        let id = ordered_id("run_", now.as_millisecond())?;
        let run = start(&wf, RunStart { id: id.clone(), version, started_at: now }, &admitted);
        let state_json = serde_json::to_string(&run)
            .map_err(|e| StoreError::unwritable(format!("the state of run `{id}`"), e))?;
        let ctx_id = |k: &str| event.context.get(k).and_then(|v| v.field("id").as_str().map(str::to_string));
        let row = RunRow {
            id,
            workspace: ws.to_string(),
            workflow: name,
            version,
            status: "pending".into(),
            trigger: event.trigger.name.to_string(),
            hub: ctx_id("hub"),
            card: ctx_id("card"),
            event_id: event.id.clone(),
            contact_id: contact_id.clone(),
            started_at: now.as_millisecond(),
            finished_at: None,
            due_at: Some(now.as_millisecond()),
            state: state_json,
            depth,
            caused_by: caused_by.map(str::to_string),
            start_contact: None,
        };
        new_runs.push((row, run));
    }
    Ok(new_runs)
}

/// Matches, admits and stores; `only` restricts to one workflow; `record` stores the
/// event and refuses a duplicate (replays do not). A contact the event creates raises
/// `Contact.Identified` (unless the event is one), stored in the same write with the
/// runs it starts.
async fn start_runs(
    engine: &Engine,
    ws: &str,
    event: &TriggerEvent,
    body: &str,
    only: Option<&str>,
    record: bool,
) -> Result<(bool, Vec<StartedRun>), EngineError> {
    // Read before the contact: a run of it released after this makes the blob old.
    let since = engine.handoff.since();
    let (contact_id, mut state, stored_blob) = resolve_contact(engine, ws, event).await?;
    let is_new = contact_id.is_some() && stored_blob.is_none();
    if let (Some(entry), Ok(state)) = (event.context.get("entry").filter(|e| !e.is_null()), &mut state) {
        state.set_entry(entry.clone());
    }
    let now = engine.clock.now();
    let (depth, caused_by) = (0, None);
    let (new_runs, run_states): (Vec<RunRow>, Vec<RunState>) =
        plan_runs(engine, ws, event, &contact_id, &state, only, depth, caused_by).await?.into_iter().unzip();
    let identified = match (&contact_id, &state, is_new && record) {
        (Some(cid), Ok(new_state), true)
            if event.trigger.name != crate::catalog::Caused::Identified.trigger() =>
        {
            let cause = Cause {
                workspace: ws,
                run: None,
                event: &event.id,
                depth,
                chain: Vec::new(),
                hub: event.context.get("hub"),
                contact_id: Some(cid),
            };
            let change = crate::runtime::caused::identified(event.trigger.name);
            let id = format!("{}.identified", event.id);
            Some(raise_one(engine, &cause, &id, None, What::from(&change), new_state).await?)
        }
        _ => None,
    };
    // One write in the next group commit: the event, a new contact and the runs.
    let new_contact = match (&contact_id, &state, is_new) {
        (Some(id), Ok(state), true) => {
            let (data, email, phone) = blob_of(state)?;
            Some(ContactWrite { id: id.clone(), email, phone, data })
        }
        _ => None,
    };
    let mut runs: Vec<StartedRun> = new_runs
        .iter()
        .map(|r| StartedRun { id: r.id.clone(), workflow: r.workflow.clone(), version: r.version })
        .collect();
    let raised: Vec<RaisedEvent> = identified.into_iter().collect();
    let raised_runs = raised.iter().any(|e| !e.runs.is_empty());
    // What the scheduler needs to start the new runs without reading them back: each
    // run's state and its contact's, as stored (and parsed already).
    let blob = stored_blob.or_else(|| new_contact.as_ref().map(|c| c.data.clone()));
    let handed: Vec<Handed> = if engine.store.shared() {
        Vec::new()
    } else {
        new_runs
            .iter()
            .zip(run_states)
            .map(|(run, run_state)| Handed {
                due: DueRun {
                    run: run.clone(),
                    contact: blob.clone(),
                    claim: Claim { due_at: run.due_at, token: None },
                },
                parsed: Some(Box::new(Parsed { state: run_state, contact: state.clone() })),
                since,
            })
            .collect()
    };
    // The contact as the runs start, kept for `komo replay`: the blob read or made above,
    // one more bind per run at insert (the hand-off above does not carry it).
    let mut new_runs = new_runs;
    for run in &mut new_runs {
        run.start_contact = blob.clone();
    }
    runs.extend(raised.iter().flat_map(|e| &e.runs).map(|r| StartedRun {
        id: r.id.clone(),
        workflow: r.workflow.clone(),
        version: r.version,
    }));
    let new_runs_count = new_runs.len();
    let write = IngestWrite {
        workspace: ws.to_string(),
        at: now.as_millisecond(),
        event: record.then(|| NewEvent {
            id: event.id.clone(),
            kind: event.trigger.name.to_string(),
            body: body.to_string(),
        }),
        new_contact,
        runs: new_runs,
        raised,
    };
    let stored = engine.store.ingest(write).await?;
    if stored.is_some() && !runs.is_empty() {
        // The new runs go to the scheduler in memory; the store pass is woken for
        // those that cannot (a shared store, too many waiting) and for caused runs.
        let all_handed = handed.len() == new_runs_count && (handed.is_empty() || engine.handoff.give(handed));
        if !all_handed || raised_runs {
            engine.notify_new_runs().await;
        }
    }
    let Some(caused) = stored else {
        return Ok((true, Vec::new()));
    };
    // The runs caused events started are counted with the event's (in `runs`).
    engine.metrics.caused(caused, 0);
    Ok((false, runs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_checked_outside_strings_only() {
        assert!(check_depth(b"[[[]]]", 3).is_ok());
        assert!(check_depth(b"[[[[]]]]", 3).is_err());
        assert!(check_depth(br#"{"a": "[[[[[[[["}"#, 3).is_ok());
        assert!(check_depth(br#"{"a": "\"[[[[[["}"#, 3).is_ok());
        assert!(check_depth("[".repeat(100_000).as_bytes(), 64).is_err());
    }
}

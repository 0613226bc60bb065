//! The events the engine raises for its own changes (`catalog.md`, "What actions change,
//! and the events they cause"), turned into stored events and the runs they start.
//!
//! In: the changes a run's steps made (journaled in its state), or a contact that ingest
//! created; the cause (run, step, event) and its depth. Out: one [`Raised`] per event:
//! its envelope, its `caused_by` and depth, and the runs it starts (matched and admitted
//! like any event). The caller stores all of it in the same write as the cause, so a
//! caused event is never lost and never doubled: its id comes from its cause
//! (`run_ab.ev1`, `evt_1.identified`), and its cause commits once. Past the project's
//! `max_chain_depth` an event is still stored but starts nothing; that is counted and
//! logged with the chain.

use super::Engine;
use super::error::{EngineError, Fault};
use super::host::blob_of;
use super::ingest::plan_runs;
use super::store::{RaisedEvent, RunRow, StoreError};
use crate::runtime::caused::{CausedBy, CausedEvent, Change};
use crate::runtime::contact::ContactState;
use crate::runtime::event::parse_envelope;
use crate::runtime::value::Value;

/// An event the engine raised, ready to be stored with its cause (in the same write).
pub type Raised = RaisedEvent;

/// Where a batch of caused events comes from.
#[derive(Clone, Debug)]
pub struct Cause<'a> {
    pub workspace: &'a str,
    /// The causing run and its workflow (`None` for a contact created by ingest).
    pub run: Option<(&'a str, &'a str)>,
    /// The event the cause reacted to (the run's trigger event, or the ingested one).
    pub event: &'a str,
    /// That event's depth.
    pub depth: i64,
    /// That event's chain (workflow.step of each cause before it).
    pub chain: Vec<String>,
    /// The hub of that event, which contact events carry on.
    pub hub: Option<&'a Value>,
    pub contact_id: Option<&'a str>,
}

/// Turns a run's caused events into stored events and the runs they start (an event
/// that no active workflow listens to is only counted: its run's journal keeps it).
pub async fn raise(
    engine: &Engine,
    cause: &Cause<'_>,
    events: &[CausedEvent],
    contact: &ContactState,
) -> Result<Vec<Raised>, EngineError> {
    let mut out = Vec::with_capacity(events.len());
    let within_limit = cause.depth < i64::from(engine.project.max_chain_depth);
    for event in events {
        // Nobody listens: the event stays in the run's journal only, and there is
        // nothing to match or store.
        if within_limit && engine.active_for_trigger(cause.workspace, &event.kind).await?.is_empty() {
            out.push(Raised {
                id: event.id.clone(),
                kind: event.kind.clone(),
                body: String::new(),
                depth: cause.depth + 1,
                caused_by: String::new(),
                runs: Vec::new(),
            });
            continue;
        }
        let what = What { kind: &event.kind, data: event.data.clone(), coupon: event.coupon.clone() };
        out.push(raise_one(engine, cause, &event.id, Some(&event.step), what, contact).await?);
    }
    Ok(out)
}

/// A caused event's type and data (`data` and `coupon` as in an envelope).
#[derive(Clone, Debug)]
pub struct What<'a> {
    pub kind: &'a str,
    pub data: serde_json::Value,
    pub coupon: Option<serde_json::Value>,
}

impl<'a> From<&'a Change> for What<'a> {
    fn from(change: &'a Change) -> What<'a> {
        What { kind: change.kind, data: change.data.clone(), coupon: change.coupon.clone() }
    }
}

/// One caused event (`step` is the causing step, if a run caused it).
pub async fn raise_one(
    engine: &Engine,
    cause: &Cause<'_>,
    id: &str,
    step: Option<&str>,
    what: What<'_>,
    contact: &ContactState,
) -> Result<Raised, EngineError> {
    let kind = what.kind;
    let now = engine.clock.now();
    let depth = cause.depth + 1;
    let mut chain = cause.chain.clone();
    if let (Some((_, workflow)), Some(step)) = (cause.run, step) {
        chain.push(format!("{workflow}.{step}"));
    }
    let caused_by = CausedBy {
        run: cause.run.map(|(run, _)| run.to_string()),
        step: step.map(str::to_string),
        event: cause.event.to_string(),
        chain,
    };
    let caused_json = serde_json::to_string(&caused_by)
        .map_err(|e| StoreError::unwritable(format!("the cause of event `{id}`"), e))?;
    let mut envelope = serde_json::Map::new();
    envelope.insert("id".into(), id.into());
    envelope.insert("type".into(), kind.into());
    envelope.insert("occurred_at".into(), crate::runtime::record::format_millis(now).into());
    envelope.insert("data".into(), what.data);
    if let Some(cid) = cause.contact_id {
        envelope.insert("contact".into(), serde_json::json!({ "id": cid }));
    }
    if let Some(coupon) = what.coupon {
        envelope.insert("coupon".into(), coupon);
    }
    let trigger = crate::catalog::trigger(kind).map(|(t, _)| t);
    if let Some(hub) = cause.hub.filter(|h| !h.is_null()) {
        if trigger.is_some_and(|t| t.carried(crate::catalog::ContextName::Hub).is_some()) {
            envelope.insert("hub".into(), hub.to_json());
        }
    }
    let envelope = serde_json::Value::Object(envelope);
    let body = envelope.to_string();
    let parsed =
        parse_envelope(&envelope).map_err(|error| Fault::CausedMisfit { kind: kind.to_string(), error })?;
    let limit = i64::from(engine.project.max_chain_depth);
    let runs = if depth > limit {
        engine.metrics.chain_too_deep();
        tracing::warn!(
            event = %id, r#type = %kind, depth, limit, chain = %caused_by.chain.join(" → "),
            "caused event is past max_chain_depth: recorded, starts no run"
        );
        Vec::new()
    } else {
        let contact_id = cause.contact_id.map(str::to_string);
        let load = Ok(contact.clone());
        let planned =
            plan_runs(engine, cause.workspace, &parsed, &contact_id, &load, None, depth, Some(&caused_json))
                .await?;
        // The contact as the runs start (as the cause left it), kept for `komo replay`;
        // serialised only when the event starts a run.
        let start_contact = match (&contact_id, planned.is_empty()) {
            (Some(_), false) => Some(blob_of(contact)?.0),
            _ => None,
        };
        planned.into_iter().map(|(row, _)| RunRow { start_contact: start_contact.clone(), ..row }).collect()
    };
    Ok(Raised { id: id.to_string(), kind: kind.to_string(), body, depth, caused_by: caused_json, runs })
}

/// The chain of a stored `caused_by` (empty when there is none).
pub fn chain_of(caused_by: Option<&str>) -> Vec<String> {
    caused_by.and_then(|c| serde_json::from_str::<CausedBy>(c).ok()).map(|c| c.chain).unwrap_or_default()
}

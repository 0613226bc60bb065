//! Whether an event starts a run of a workflow: scope, `form` and the `where` filter.
//!
//! In: a workflow, an event and a host (the filter may read the contact). Out: the
//! event ready to run (its `fields` typed by the `form`), or why it starts no run. The
//! engine and `komo test` use the same rules.

use std::collections::BTreeMap;

use super::eval::Scope;
use super::event::{TriggerEvent, apply_form};
use super::host::{Host, HostError};
use super::value::Value;
use crate::ir::{Scope as WorkflowScope, Workflow};

/// The outcome of matching an event against a workflow.
#[derive(Clone, Debug, PartialEq)]
pub enum Admission {
    Run(TriggerEvent),
    /// The reason, for the record.
    NoRun(String),
}

/// Whether the event comes from the workflow's scope (its hub or card).
pub fn in_scope(wf: &Workflow, event: &TriggerEvent) -> bool {
    let id_of = |name: &str| {
        event.context.get(name).map(|v| v.field("id")).and_then(|v| v.as_str().map(str::to_string))
    };
    match &wf.scope {
        WorkflowScope::Workspace => true,
        WorkflowScope::Hub(id) => id_of("hub").as_deref() == Some(id.as_str()),
        WorkflowScope::Card(id) => id_of("card").as_deref() == Some(id.as_str()),
    }
}

/// Applies the workflow's `form`, then its `where` filter.
pub async fn admit<H: Host + Send>(
    wf: &Workflow,
    mut event: TriggerEvent,
    host: &mut H,
) -> Result<Admission, HostError> {
    if !wf.form.is_empty() {
        let fields = event.event.field("fields");
        match apply_form(&wf.form, &fields) {
            Ok(typed) => {
                if let Value::Record(r) = &mut event.event {
                    r.insert("fields".into(), typed);
                }
            }
            Err(e) => return Ok(Admission::NoRun(format!("the event does not fit the `form`: {e}"))),
        }
    }
    let Some(filter) = wf.filter else { return Ok(Admission::Run(event)) };
    let unreadable = |e: HostError| match e.fatal {
        true => Ok(Admission::NoRun(format!("the trigger's `where` filter failed: {}", e.message))),
        false => Err(e),
    };
    let contact = match host.contact().await {
        Ok(contact) => contact,
        Err(e) => return unreadable(e),
    };
    let entry = match host.entry().await {
        Ok(entry) => entry,
        Err(e) => return unreadable(e),
    };
    let has_secret = |name: &str| host.secret(name).is_some();
    let empty = BTreeMap::new();
    let scope = Scope {
        exprs: &wf.exprs,
        event: &event.event,
        contact: &contact,
        entry: &entry,
        context: &event.context,
        locals: &empty,
        steps: &[],
        run: &Value::Null,
        error: &Value::Null,
        now: host.now(),
        has_secret: &has_secret,
    };
    Ok(match scope.eval(filter) {
        Ok(Value::Bool(true)) => Admission::Run(event),
        Ok(Value::Bool(false)) => Admission::NoRun("the trigger's `where` filter is false".into()),
        Ok(other) => {
            Admission::NoRun(format!("the trigger's `where` filter gave {}, not a Bool", other.kind()))
        }
        Err(e) => Admission::NoRun(format!("the trigger's `where` filter failed: {}", e.message)),
    })
}

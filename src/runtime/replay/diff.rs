//! What changes between a recorded run and its replay on another version.
//!
//! In: two run records of the same run (the recorded one and the replayed one). Out: a
//! list of [`Change`]s: steps that ran in one and not the other, per step that ran in
//! both the arguments that differ (dotted paths into records, old → new), another
//! outcome, another route, and another final status. Steps are the same step when
//! their name and action are the same; a renamed step is one removed and one added.

use serde::{Deserialize, Serialize};

use crate::catalog::ActionId;
use crate::runtime::record::{RunRecord, StepRecord};

/// The kinds of change, in the order totals list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The new version starts no run for the event (its `form` or `where` refuses it).
    NoRun,
    /// A step runs that did not.
    StepAdded,
    /// A step that ran does not.
    StepRemoved,
    /// A step that runs in both gets other arguments.
    Arguments,
    /// A step that runs in both ends otherwise (succeeded, failed, still retrying).
    Outcome,
    /// Another route is taken after a step.
    Route,
    /// The run ends with another status.
    Status,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::NoRun => "no_run",
            ChangeKind::StepAdded => "step_added",
            ChangeKind::StepRemoved => "step_removed",
            ChangeKind::Arguments => "arguments",
            ChangeKind::Outcome => "outcome",
            ChangeKind::Route => "route",
            ChangeKind::Status => "status",
        }
    }
}

/// One argument that differs: its path (`template`, `set.tier`) and both values
/// (`null` where one side has none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
}

/// One change of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// The step it is about (none for a run's status or a refused event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionId>,
    /// The arguments that differ (`arguments` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// Before (`outcome`, `route`, `status`): a status, or a route's name (absent: no
    /// route).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// After, as `old`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// Why the new version starts no run (`no_run` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Change {
    fn of(kind: ChangeKind, step: Option<&StepRecord>) -> Change {
        Change {
            kind,
            step: step.map(|s| s.name.clone()),
            action: step.map(|s| s.action),
            fields: Vec::new(),
            old: None,
            new: None,
            reason: None,
        }
    }

    /// The change in words, one line per argument that differs: `~ welcome
    /// (contact.send_email): template: "welcome" → "welcome_v2"`, `+ step (action): would
    /// run`, `status: succeeded → failed` (for `komo replay` and the dashboard).
    pub fn describe(&self) -> Vec<String> {
        let step = match (&self.step, self.action) {
            (Some(step), Some(action)) => format!("{step} ({action})"),
            (Some(step), None) => step.clone(),
            _ => String::new(),
        };
        let text = |value: &Option<String>| value.clone().unwrap_or_else(|| "none".into());
        match self.kind {
            ChangeKind::NoRun => {
                vec![format!(
                    "no run: {}",
                    self.reason.as_deref().unwrap_or("the new version refuses the event")
                )]
            }
            ChangeKind::StepAdded => vec![format!("+ {step}: would run")],
            ChangeKind::StepRemoved => vec![format!("- {step}: would not run")],
            ChangeKind::Arguments => {
                self.fields.iter().map(|f| format!("~ {step}: {}: {} → {}", f.field, f.old, f.new)).collect()
            }
            ChangeKind::Outcome => vec![format!("~ {step}: ends {} → {}", text(&self.old), text(&self.new))],
            ChangeKind::Route => vec![format!("~ {step}: route {} → {}", text(&self.old), text(&self.new))],
            ChangeKind::Status => vec![format!("status: {} → {}", text(&self.old), text(&self.new))],
        }
    }

    /// The event would start no run on the new version, for `reason`.
    pub fn no_run(reason: String) -> Change {
        Change { reason: Some(reason), ..Change::of(ChangeKind::NoRun, None) }
    }
}

/// Whether a step ran (or started: a step waiting for its next attempt has attempts).
pub fn ran(step: &StepRecord) -> bool {
    step.status != crate::ir::StepStatus::Skipped || step.attempts > 0
}

/// A step's outcome as the diff names it: its status, or `retrying` for a step that
/// started and waits for its next attempt.
fn outcome(step: &StepRecord) -> &'static str {
    match step.status {
        crate::ir::StepStatus::Skipped if step.attempts > 0 => "retrying",
        status => status.as_str(),
    }
}

fn same_step(a: &StepRecord, b: &StepRecord) -> bool {
    a.name == b.name && a.action == b.action
}

/// The changes from `old` to `new`: the recorded run's steps in order (removed or
/// changed), then the steps only the new one ran, then the status.
pub fn diff(old: &RunRecord, new: &RunRecord) -> Vec<Change> {
    let mut changes = Vec::new();
    for before in old.steps.iter().filter(|s| ran(s)) {
        match new.steps.iter().find(|s| ran(s) && same_step(s, before)) {
            None => changes.push(Change::of(ChangeKind::StepRemoved, Some(before))),
            Some(after) => compare_step(before, after, &mut changes),
        }
    }
    for after in new.steps.iter().filter(|s| ran(s)) {
        if !old.steps.iter().any(|s| ran(s) && same_step(s, after)) {
            changes.push(Change::of(ChangeKind::StepAdded, Some(after)));
        }
    }
    if old.status != new.status {
        changes.push(Change {
            old: Some(old.status.as_str().to_string()),
            new: Some(new.status.as_str().to_string()),
            ..Change::of(ChangeKind::Status, None)
        });
    }
    changes
}

/// The changes of one step that ran in both.
fn compare_step(before: &StepRecord, after: &StepRecord, changes: &mut Vec<Change>) {
    let mut fields = Vec::new();
    field_changes("", &before.input, &after.input, &mut fields);
    if !fields.is_empty() {
        changes.push(Change { fields, ..Change::of(ChangeKind::Arguments, Some(before)) });
    }
    if outcome(before) != outcome(after) {
        changes.push(Change {
            old: Some(outcome(before).to_string()),
            new: Some(outcome(after).to_string()),
            ..Change::of(ChangeKind::Outcome, Some(before))
        });
    }
    if before.route != after.route {
        changes.push(Change {
            old: before.route.clone(),
            new: after.route.clone(),
            ..Change::of(ChangeKind::Route, Some(before))
        });
    }
}

/// The leaves that differ between two argument values: records are compared key by
/// key (paths joined with `.`), anything else as a whole.
fn field_changes(path: &str, old: &serde_json::Value, new: &serde_json::Value, out: &mut Vec<FieldChange>) {
    use serde_json::Value as J;
    match (old, new) {
        (J::Object(a), J::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
            keys.sort();
            for key in keys {
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                let (x, y) = (a.get(key).unwrap_or(&J::Null), b.get(key).unwrap_or(&J::Null));
                field_changes(&child, x, y, out);
            }
        }
        (a, b) if a != b => out.push(FieldChange { field: path.to_string(), old: a.clone(), new: b.clone() }),
        _ => {}
    }
}

//! Migration maps: where a run parked in one version of a workflow would be in another
//! (engine.md §8, "Migration").
//!
//! In: two IR workflows, `from` (the version a run waits in) and `to` (the version it
//! would move to). Out: a [`MigrationMap`]: for every park point of `from` (each `wait`,
//! each action with a `retry`, whose delay parks the run) either the park point of `to`
//! it maps to, with the frame stack a parked run has there, or the reason it cannot
//! move ([`Unmovable`]); and which step of `to` each step of `from` became. Pure: no
//! I/O, no clock. The runtime applies an entry to a parked run's state
//! (`runtime::migrate`).
//!
//! - **Alignment** ([`align`]): the statement lists of `from` and `to` are aligned
//!   block by block (the main flow with the main flow, each route with the route of the
//!   same name, each `if` branch with the branch at the same position, each `on failure`
//!   block with the aligned action's) by a weighted longest common subsequence, so
//!   statements inserted or removed around a park point do not move it. Statements align
//!   only with statements of their kind (an action with an action of the same catalog
//!   action, a `wait` with a `wait`, a `let` with a `let` of the same name); equal
//!   arguments, durations and names weigh more, so of two candidates the one that is the
//!   same statement wins. An aligned action is the same step under a possibly new name
//!   (a rename); steps left unaligned keep their output when `to` has a step of the
//!   same name and action.
//! - **Reads** ([`reads`]): what `to` reads after the target point, along every path to
//!   the end (the rest of each enclosing block, nested branches, `on failure` blocks and
//!   the routes they enter), that the run has not produced since: `let`s, step outputs
//!   and `error`. Each must be produced before the source point in `from` (a `let` in
//!   scope there; the step that became it, run before the point; a failure being
//!   handled), with a type that fits where `to` reads it.

mod align;
mod reads;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{BlockId, StepId, StmtId, StmtKind, Ty, Workflow};
use crate::catalog::TriggerId;
use crate::source::Span;

/// The plan for every park point of one version, towards another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MigrationMap {
    pub points: Vec<PointPlan>,
    /// Each step of `from` that has a counterpart in `to`: (old, new).
    pub steps: Vec<(StepId, StepId)>,
}

impl MigrationMap {
    /// The plan of the park point at statement `stmt` of `from`.
    pub fn point(&self, stmt: StmtId) -> Option<&PointPlan> {
        self.points.iter().find(|p| p.from.stmt == stmt)
    }

    /// The step of `to` that step `old` of `from` became.
    pub fn new_step(&self, old: StepId) -> Option<StepId> {
        self.steps.iter().find(|(o, _)| *o == old).map(|(_, n)| *n)
    }
}

/// One park point of `from` and where it goes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointPlan {
    pub from: ParkPoint,
    pub to: Result<ParkPoint, Unmovable>,
}

/// A place where a run parks: a `wait`, or an action's retry delay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParkPoint {
    /// The `wait` statement, or the retried action statement.
    pub stmt: StmtId,
    pub kind: ParkKind,
    pub span: Span,
    /// How people know it: `wait 3d`, `retry of send_email_1`.
    pub label: String,
    /// The frames of a run parked here, outermost first, as the interpreter keeps them.
    pub frames: Vec<FramePos>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParkKind {
    Wait,
    Retry,
}

/// One frame of a parked run: a block and the next statement in it (the one after the
/// statement control is in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FramePos {
    pub block: BlockId,
    pub next: u32,
    pub role: FrameRole,
}

/// What a block is to the interpreter (its `FrameKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameRole {
    Main,
    Branch,
    Route,
    FailureBlock,
}

/// Why runs parked at a point cannot move (versions are named when shown, see
/// [`Unmovable::message`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Unmovable {
    /// The target version has no park point this one aligns with.
    NoCounterpart { point: String },
    /// `name` (a `let` or a step) is read after `point` in the target but not produced
    /// before the source point.
    NotProduced { name: String, point: String },
    /// `name` is read after `point` in the target as `wanted`, but is `found` here.
    TypeChanged { name: String, point: String, wanted: Ty, found: Ty },
    /// `error` is read after `point` in the target, and no failure is being handled here.
    NoError { point: String },
    /// The versions listen to different triggers, so the event differs.
    TriggerChanged { from: TriggerId, to: TriggerId },
    /// A `form` field the target reads is not in this version's form (or has another type).
    FormChanged { field: String },
    /// The paths after the point are too many to follow.
    TooComplex { point: String },
}

impl Unmovable {
    /// The reason in the spec's words: "`coupon` is read after `wait 3d` in v2 but is
    /// not produced before it in v1".
    pub fn message(&self, from: i64, to: i64) -> String {
        match self {
            Unmovable::NoCounterpart { point } => format!("`{point}` has no counterpart in v{to}"),
            Unmovable::NotProduced { name, point } => {
                format!("`{name}` is read after `{point}` in v{to} but is not produced before it in v{from}")
            }
            Unmovable::TypeChanged { name, point, wanted, found } => format!(
                "`{name}` is read after `{point}` in v{to} as {wanted} but is {found} before it in v{from}"
            ),
            Unmovable::NoError { point } => format!(
                "`error` is read after `{point}` in v{to} but no failure is being handled there in v{from}"
            ),
            Unmovable::TriggerChanged { from: a, to: b } => {
                format!("v{to} is triggered by `{b}`, v{from} by `{a}`")
            }
            Unmovable::FormChanged { field } => {
                format!("the form field `{field}` of v{to} is not in v{from}'s form with the same type")
            }
            Unmovable::TooComplex { point } => {
                format!("the paths after `{point}` in v{to} are too many to check")
            }
        }
    }
}

impl fmt::Display for Unmovable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(1, 2))
    }
}

/// The migration map from `from` to `to` (see the module's comment).
pub fn plan(from: &Workflow, to: &Workflow) -> MigrationMap {
    let alignment = align::align(from, to);
    let from_tree = reads::Tree::new(from);
    let to_tree = reads::Tree::new(to);
    let refusal = whole_workflow_refusal(from, to);
    let points = from_tree
        .park_points()
        .into_iter()
        .map(|point| {
            let target = match &refusal {
                Some(reason) => Err(reason.clone()),
                None => target_of(&point, &alignment, &from_tree, &to_tree),
            };
            PointPlan { from: point, to: target }
        })
        .collect();
    MigrationMap { points, steps: alignment.steps }
}

/// A difference that keeps every run where it is: the trigger, or the form.
fn whole_workflow_refusal(from: &Workflow, to: &Workflow) -> Option<Unmovable> {
    if from.trigger != to.trigger {
        return Some(Unmovable::TriggerChanged { from: from.trigger, to: to.trigger });
    }
    to.form
        .iter()
        .find(|(name, ty)| !from.form.iter().any(|(n, t)| n == name && reads::fits(t, ty)))
        .map(|(name, _)| Unmovable::FormChanged { field: name.clone() })
}

fn target_of(
    point: &ParkPoint,
    alignment: &align::Alignment,
    from: &reads::Tree<'_>,
    to: &reads::Tree<'_>,
) -> Result<ParkPoint, Unmovable> {
    let no_counterpart = || Unmovable::NoCounterpart { point: point.label.clone() };
    let stmt = alignment.stmt(point.stmt).ok_or_else(no_counterpart)?;
    let target = to.park_point(stmt).filter(|t| t.kind == point.kind).ok_or_else(no_counterpart)?;
    let reads =
        to.reads_after(&target).map_err(|()| Unmovable::TooComplex { point: target.label.clone() })?;
    for read in reads {
        match read {
            reads::Read::Local { name, ty } => {
                let wanted = to.let_type_at(&target, &name).unwrap_or(ty);
                match from.let_type_at(point, &name) {
                    None => return Err(Unmovable::NotProduced { name, point: target.label.clone() }),
                    Some(found) if !reads::fits(&found, &wanted) => {
                        return Err(Unmovable::TypeChanged {
                            name,
                            point: target.label.clone(),
                            wanted,
                            found,
                        });
                    }
                    Some(_) => {}
                }
            }
            reads::Read::Step(new) => {
                let old = alignment.steps.iter().find(|(_, n)| *n == new).map(|(o, _)| *o);
                if !old.is_some_and(|old| from.step_before(point, old)) {
                    let name = to.workflow().step(new).map_or_else(String::new, |s| s.name.clone());
                    return Err(Unmovable::NotProduced { name, point: target.label.clone() });
                }
            }
            reads::Read::Error => {
                if !from.handles_failure_at(point) {
                    return Err(Unmovable::NoError { point: target.label.clone() });
                }
            }
        }
    }
    Ok(target)
}

/// How a park point is shown: `wait 3d`, `wait until …`, `retry of send_email_1`.
fn label(wf: &Workflow, stmt: StmtId) -> String {
    let Some(s) = wf.stmt(stmt) else { return String::new() };
    match &s.kind {
        StmtKind::Wait { duration } => match wf.expr(*duration).map(|e| &e.kind) {
            Some(super::ExprKind::Duration(ms)) => format!("wait {}", duration_text(*ms)),
            _ => "wait …".to_string(),
        },
        StmtKind::WaitUntil { .. } => "wait until …".to_string(),
        StmtKind::Action(a) => {
            format!("retry of {}", wf.step(a.step).map_or("", |s| s.name.as_str()))
        }
        _ => String::new(),
    }
}

/// A duration as a program would write it: `3d`, `1h30m`, `500ms`.
fn duration_text(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
    }
    let mut rest = ms.unsigned_abs();
    for (unit, size) in [("d", 86_400_000u64), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

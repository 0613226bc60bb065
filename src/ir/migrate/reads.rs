//! Where statements are, and what a workflow reads after a park point.
//!
//! In: one workflow. Out: a [`Tree`]: each statement's block and position, each
//! block's role and enclosing statement; from it, the park points with their frame
//! stacks, what is read after a point and not produced since ([`Tree::reads_after`]),
//! and what is produced before a point (`let`s in scope, steps run, a failure handled).

use std::collections::{BTreeSet, HashMap};

use super::{FramePos, FrameRole, ParkKind, ParkPoint, label};
use crate::ir::{
    BlockId, ExprId, ExprKind, OnFailure, Part, RouteId, StepId, StmtId, StmtKind, Ty, Var, Workflow,
};

/// Statements visited in one walk before giving up (routes may be entered from many
/// places, and each entry is followed).
const WALK_BUDGET: u32 = 100_000;
const MAX_DEPTH: u32 = 80;

/// Something read after a park point that the run must already have.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Read {
    /// A `let`, with the type of the expression reading it.
    Local {
        name: String,
        ty: Ty,
    },
    Step(StepId),
    Error,
}

pub(super) struct Tree<'a> {
    wf: &'a Workflow,
    /// Each statement's block and index.
    home: HashMap<StmtId, (BlockId, u32)>,
    /// Each nested block's enclosing statement's block, its index there, and its role.
    parent: HashMap<BlockId, (BlockId, u32, FrameRole)>,
    /// The blocks control starts in: the main flow and the routes.
    roots: HashMap<BlockId, FrameRole>,
}

impl<'a> Tree<'a> {
    pub fn new(wf: &'a Workflow) -> Tree<'a> {
        let mut tree = Tree { wf, home: HashMap::new(), parent: HashMap::new(), roots: HashMap::new() };
        tree.roots.insert(wf.body, FrameRole::Main);
        tree.index(wf.body, 0);
        for route in &wf.routes {
            tree.roots.insert(route.body, FrameRole::Route);
            tree.index(route.body, 0);
        }
        tree
    }

    pub fn workflow(&self) -> &'a Workflow {
        self.wf
    }

    fn index(&mut self, block: BlockId, depth: u32) {
        if depth > MAX_DEPTH {
            return;
        }
        let stmts = self.wf.block(block).map(|b| b.stmts.as_slice()).unwrap_or_default();
        for (i, id) in stmts.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { return };
            self.home.insert(*id, (block, i));
            let Some(stmt) = self.wf.stmt(*id) else { continue };
            let mut nested = Vec::new();
            match &stmt.kind {
                StmtKind::If { branches, otherwise } => {
                    nested.extend(branches.iter().map(|(_, b)| (*b, FrameRole::Branch)));
                    nested.extend(otherwise.iter().map(|b| (*b, FrameRole::Branch)));
                }
                StmtKind::Action(a) => {
                    if let OnFailure::Block(b) = a.on_failure {
                        nested.push((b, FrameRole::FailureBlock));
                    }
                }
                _ => {}
            }
            for (b, role) in nested {
                self.parent.insert(b, (block, i, role));
                self.index(b, depth + 1);
            }
        }
    }

    /// Every park point, in source order.
    pub fn park_points(&self) -> Vec<ParkPoint> {
        let mut points: Vec<ParkPoint> = self.home.keys().filter_map(|id| self.park_point(*id)).collect();
        points.sort_by_key(|p| (p.span.start, p.stmt));
        points
    }

    /// The park point at `stmt`, if it is one (a `wait`, an action with a `retry`).
    pub fn park_point(&self, stmt: StmtId) -> Option<ParkPoint> {
        let s = self.wf.stmt(stmt)?;
        let kind = match &s.kind {
            StmtKind::Wait { .. } | StmtKind::WaitUntil { .. } => ParkKind::Wait,
            StmtKind::Action(a) if a.retry.is_some_and(|r| r.count > 0) => ParkKind::Retry,
            _ => return None,
        };
        let frames = self.frames(stmt)?;
        Some(ParkPoint { stmt, kind, span: s.span, label: label(self.wf, stmt), frames })
    }

    /// The frames of a run whose control is in `stmt`, outermost first.
    fn frames(&self, stmt: StmtId) -> Option<Vec<FramePos>> {
        let (mut block, mut index) = *self.home.get(&stmt)?;
        let mut frames = Vec::new();
        for _ in 0..=MAX_DEPTH {
            let next = index + 1;
            if let Some(role) = self.roots.get(&block) {
                frames.push(FramePos { block, next, role: *role });
                frames.reverse();
                return Some(frames);
            }
            let (up, at, role) = *self.parent.get(&block)?;
            frames.push(FramePos { block, next, role });
            (block, index) = (up, at);
        }
        None
    }

    /// The statements of a frame's block before the statement control is in.
    fn before<'s>(&'s self, frame: &FramePos) -> &'s [StmtId] {
        let stmts = self.wf.block(frame.block).map(|b| b.stmts.as_slice()).unwrap_or_default();
        stmts.get(..frame.next.saturating_sub(1) as usize).unwrap_or_default()
    }

    /// The type of the `let name` in scope at `point` (the innermost, last one).
    pub fn let_type_at(&self, point: &ParkPoint, name: &str) -> Option<Ty> {
        let mut found = None;
        for frame in &point.frames {
            for id in self.before(frame) {
                if let Some(StmtKind::Let { name: n, value }) = self.wf.stmt(*id).map(|s| &s.kind) {
                    if n == name {
                        found = self.wf.expr(*value).map(|e| e.ty.clone());
                    }
                }
            }
        }
        found
    }

    /// Whether step `step` runs before `point` (its statement precedes the point in an
    /// enclosing block, or is nested in one that does).
    pub fn step_before(&self, point: &ParkPoint, step: StepId) -> bool {
        let Some(stmt) = self.home.keys().copied().find(
            |id| matches!(self.wf.stmt(*id).map(|s| &s.kind), Some(StmtKind::Action(a)) if a.step == step),
        ) else {
            return false;
        };
        let mut at = self.home.get(&stmt).copied();
        for _ in 0..=MAX_DEPTH {
            let Some((block, index)) = at else { return false };
            if point.frames.iter().any(|f| f.block == block && index + 1 < f.next) {
                return true;
            }
            at = self.parent.get(&block).map(|(b, i, _)| (*b, *i));
        }
        false
    }

    /// Whether a run parked at `point` is handling a failure (`error` is set): in an
    /// `on failure` block, or in a route some action enters on failure.
    pub fn handles_failure_at(&self, point: &ParkPoint) -> bool {
        point.frames.iter().any(|f| match f.role {
            FrameRole::FailureBlock => true,
            FrameRole::Route => self.wf.stmts.iter().any(|s| match &s.kind {
                StmtKind::Action(a) => match a.on_failure {
                    OnFailure::Route(r) => self.wf.route(r).is_some_and(|r| r.body == f.block),
                    _ => false,
                },
                _ => false,
            }),
            _ => false,
        })
    }

    /// What is read after `point` along every path to the end and not produced since,
    /// each once; `Err` when the paths are too many to follow.
    pub fn reads_after(&self, point: &ParkPoint) -> Result<Vec<Read>, ()> {
        let mut walk = Walk { wf: self.wf, reads: Vec::new(), budget: WALK_BUDGET };
        let mut known = Known::default();
        for (depth, frame) in point.frames.iter().rev().enumerate() {
            let stmts = self.wf.block(frame.block).map(|b| b.stmts.as_slice()).unwrap_or_default();
            // A retry runs its action again: its arguments are read after the park.
            let start = match (depth, point.kind) {
                (0, ParkKind::Retry) => frame.next.saturating_sub(1),
                _ => frame.next,
            };
            let rest = stmts.get(start as usize..).unwrap_or_default();
            if !walk.stmts(rest, &mut known, 0)? || frame.role != FrameRole::Branch {
                break;
            }
        }
        Ok(walk.reads)
    }
}

/// What the run has produced since the park point.
#[derive(Clone, Debug, Default)]
struct Known {
    locals: BTreeSet<String>,
    steps: BTreeSet<StepId>,
    error: bool,
}

struct Walk<'a> {
    wf: &'a Workflow,
    reads: Vec<Read>,
    budget: u32,
}

impl Walk<'_> {
    /// Walks statements in order; `Ok(false)` when control cannot go past them.
    fn stmts(&mut self, stmts: &[StmtId], known: &mut Known, depth: u32) -> Result<bool, ()> {
        if depth > MAX_DEPTH {
            return Err(());
        }
        for id in stmts {
            self.budget = self.budget.checked_sub(1).ok_or(())?;
            let Some(stmt) = self.wf.stmt(*id) else { continue };
            match &stmt.kind {
                StmtKind::Action(a) => {
                    for (_, e) in &a.args {
                        self.expr(*e, known, 0);
                    }
                    let mut failed = known.clone();
                    failed.error = true;
                    known.steps.insert(a.step);
                    if let Some(route) = a.on_success {
                        self.route(route, &mut known.clone(), depth)?;
                    }
                    match a.on_failure {
                        OnFailure::Route(route) => self.route(route, &mut failed, depth)?,
                        OnFailure::Block(block) => {
                            let inner = self.wf.block(block).map(|b| b.stmts.as_slice()).unwrap_or_default();
                            self.stmts(inner, &mut failed, depth + 1)?;
                        }
                        OnFailure::End | OnFailure::Continue => {}
                    }
                }
                StmtKind::Let { name, value } => {
                    self.expr(*value, known, 0);
                    known.locals.insert(name.clone());
                }
                StmtKind::If { branches, otherwise } => {
                    for (cond, _) in branches {
                        self.expr(*cond, known, 0);
                    }
                    for block in branches.iter().map(|(_, b)| b).chain(otherwise) {
                        let inner = self.wf.block(*block).map(|b| b.stmts.as_slice()).unwrap_or_default();
                        self.stmts(inner, &mut known.clone(), depth + 1)?;
                    }
                }
                StmtKind::Wait { duration: e } | StmtKind::WaitUntil { at: e } => self.expr(*e, known, 0),
                StmtKind::Goto { route } => {
                    self.route(*route, &mut known.clone(), depth)?;
                    return Ok(false);
                }
                StmtKind::Stop => return Ok(false),
                StmtKind::Fail { message } => {
                    self.expr(*message, known, 0);
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn route(&mut self, route: RouteId, known: &mut Known, depth: u32) -> Result<(), ()> {
        let body = self.wf.route(route).and_then(|r| self.wf.block(r.body));
        self.stmts(body.map(|b| b.stmts.as_slice()).unwrap_or_default(), known, depth + 1).map(|_| ())
    }

    fn expr(&mut self, id: ExprId, known: &Known, depth: u32) {
        let Some(e) = self.wf.expr(id) else { return };
        if depth > MAX_DEPTH {
            return;
        }
        let d = depth + 1;
        match &e.kind {
            ExprKind::Var(Var::Local(name)) if !known.locals.contains(name) => {
                self.read(Read::Local { name: name.clone(), ty: e.ty.clone() });
            }
            ExprKind::Var(Var::Step(step)) if !known.steps.contains(step) => self.read(Read::Step(*step)),
            ExprKind::Var(Var::Error) if !known.error => self.read(Read::Error),
            ExprKind::Interp(parts) => {
                for part in parts {
                    if let Part::Expr(x) = part {
                        self.expr(*x, known, d);
                    }
                }
            }
            ExprKind::List(xs) | ExprKind::Call(_, xs) => {
                for x in xs {
                    self.expr(*x, known, d);
                }
            }
            ExprKind::Record(fields) => {
                for (_, x) in fields {
                    self.expr(*x, known, d);
                }
            }
            ExprKind::Field(x, _) | ExprKind::Cast(x, _) | ExprKind::Not(x) | ExprKind::Neg(x) => {
                self.expr(*x, known, d);
            }
            ExprKind::Index(x, y) | ExprKind::Binary(_, x, y) => {
                self.expr(*x, known, d);
                self.expr(*y, known, d);
            }
            _ => {}
        }
    }

    fn read(&mut self, read: Read) {
        let same = |r: &Read| match (r, &read) {
            (Read::Local { name: a, .. }, Read::Local { name: b, .. }) => a == b,
            (a, b) => a == b,
        };
        if !self.reads.iter().any(same) {
            self.reads.push(read);
        }
    }
}

/// Whether a value of type `found` (produced in one version) may be used where the
/// other reads `wanted`: the checker's subtyping (`Type::accepts`) on IR types.
pub(super) fn fits(found: &Ty, wanted: &Ty) -> bool {
    match (wanted, found) {
        (_, Ty::Never) => true,
        (a, b) if a == b => true,
        (Ty::String, Ty::Email | Ty::Phone | Ty::Url) => true,
        (Ty::Float, Ty::Int) => true,
        (Ty::StringOrSecret, b) => matches!(b, Ty::String | Ty::Email | Ty::Phone | Ty::Url | Ty::Secret),
        (Ty::Json, b) => !matches!(b, Ty::Secret | Ty::StringOrSecret),
        (Ty::Optional(_), Ty::Null) => true,
        (Ty::Optional(a), Ty::Optional(b)) => fits(b, a),
        (Ty::Optional(a), b) => fits(b, a),
        (Ty::List(a), Ty::List(b)) | (Ty::Map(a), Ty::Map(b)) => fits(b, a),
        (Ty::Map(v), Ty::Record(r)) => r.iter().all(|(_, t)| fits(t, v)),
        (Ty::Record(want), Ty::Record(have)) => {
            want.iter().all(|(name, t)| match have.iter().find(|(n, _)| n == name) {
                Some((_, h)) => fits(h, t),
                None => matches!(t, Ty::Optional(_) | Ty::Json),
            })
        }
        _ => false,
    }
}

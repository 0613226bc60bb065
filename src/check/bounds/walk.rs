//! The walk: from the end of each block back to its start, the most each statement and
//! what may follow it can add (see the module above for the rules).

use std::rc::Rc;

use super::fold::{self, Until};
use super::{
    Amount, Bound, Cause, DEFAULT_ATTEMPT_MS, PathStep, Unbounded, UnboundedReason, retry_delay_max,
};
use crate::catalog::{self, ActionId, ActionKind};
use crate::source::Span;
use crate::syntax::ast::{ActionStmt, Block, Ident, Modifier, Route, Stmt, StmtKind, Workflow};

const DURATION: usize = 0;
const EMAILS: usize = 1;
const SMS: usize = 2;
const CALLS: usize = 3;
const POINTS: usize = 4;

/// The most a run can add from some point to its end, with the path that adds it.
#[derive(Clone, Debug)]
struct Cost {
    amount: Amount,
    /// In run order, shared between the paths that end alike.
    path: Option<Rc<Node>>,
}

#[derive(Debug)]
struct Node {
    step: PathStep,
    next: Option<Rc<Node>>,
}

/// Duration, emails, SMS, external calls and points, by the indices above.
type Costs = [Cost; 5];

fn zero() -> Costs {
    std::array::from_fn(|_| Cost { amount: Amount::Finite(0), path: None })
}

/// The bounds of the whole workflow: duration, emails, SMS, external calls, points.
pub fn walk(wf: &Workflow) -> [Bound; 5] {
    let mut walker = Walker { routes: &wf.routes, done: Vec::new(), entered: Vec::new() };
    walker.block(&wf.body, zero()).map(bound)
}

fn bound(cost: Cost) -> Bound {
    let mut path = Vec::new();
    let mut at = cost.path.as_deref();
    while let Some(node) = at {
        path.push(node.step.clone());
        at = node.next.as_deref();
    }
    Bound { amount: cost.amount, path }
}

struct Walker<'a> {
    /// The workflow's routes (a name twice is an error reported elsewhere: the first
    /// counts). A few per workflow, so lists beat maps.
    routes: &'a [Route],
    /// What each route walked so far can add.
    done: Vec<(&'a str, Costs)>,
    /// The routes being walked (a jump back to one of them is a cycle, K0404).
    entered: Vec<&'a str>,
}

impl<'a> Walker<'a> {
    /// What `block` and, when it falls through, `then` can add.
    fn block(&mut self, block: &'a Block, then: Costs) -> Costs {
        let mut costs = then;
        for stmt in block.stmts.iter().rev() {
            costs = self.stmt(stmt, costs);
        }
        costs
    }

    fn stmt(&mut self, stmt: &'a Stmt, then: Costs) -> Costs {
        match &stmt.kind {
            StmtKind::Let { .. } => then,
            StmtKind::Stop | StmtKind::Fail(_) => zero(),
            StmtKind::Goto(route) => self.route(route, false),
            StmtKind::Wait(duration) => match fold::constant(duration) {
                Some(ms) => {
                    let ms = u64::try_from(ms).unwrap_or(0);
                    add(then, DURATION, Amount::Finite(ms), stmt.span, Cause::Wait { ms })
                }
                None => unbounded(then, DURATION, stmt.span, UnboundedReason::WaitExpr),
            },
            StmtKind::WaitUntil(at) => match fold::until(at) {
                Some(Until::Now(ms)) => {
                    add(then, DURATION, Amount::Finite(ms), stmt.span, Cause::Wait { ms })
                }
                Some(Until::Start(ms)) => {
                    add(then, DURATION, Amount::Finite(ms), stmt.span, Cause::WaitUntilStart { ms })
                }
                None => unbounded(then, DURATION, stmt.span, UnboundedReason::WaitUntil),
            },
            StmtKind::If { branches, otherwise } => {
                let mut best: Option<Costs> = None;
                for branch in branches {
                    let costs = self.block(&branch.block, then.clone());
                    best = Some(match best {
                        Some(b) => join(b, costs),
                        None => costs,
                    });
                }
                let rest = match otherwise {
                    Some(block) => self.block(block, then),
                    None => then,
                };
                match best {
                    Some(b) => join(b, rest),
                    None => rest,
                }
            }
            StmtKind::Action(action) => self.action(action, then),
        }
    }

    fn action(&mut self, stmt: &'a ActionStmt, then: Costs) -> Costs {
        let mut retry: Option<(u32, u64, Span)> = None;
        let mut timeout: Option<(u64, Span)> = None;
        let mut on_success = None;
        let mut on_failure = OnFailure::End;
        for modifier in &stmt.modifiers {
            match &modifier.node {
                Modifier::Retry { count, backoff } => {
                    let count = u32::try_from(count.node.clamp(0, 64)).unwrap_or(0);
                    let backoff =
                        backoff.as_ref().map_or(1000, |b| u64::try_from(b.node.millis).unwrap_or(0));
                    retry = Some((count, backoff, modifier.span));
                }
                Modifier::Timeout(d) => {
                    timeout = Some((u64::try_from(d.node.millis).unwrap_or(0), modifier.span))
                }
                Modifier::OnSuccess(route) => on_success = Some(route),
                Modifier::OnFailureRoute(route) => on_failure = OnFailure::Route(route),
                Modifier::OnFailureBlock(block) => on_failure = OnFailure::Block(block),
                Modifier::OnFailureContinue => on_failure = OnFailure::Continue,
            }
        }
        let mut costs = match (on_success, on_failure) {
            // Most actions: both ways go on to `then` (a failure that ends the run adds
            // nothing), so `then` is what follows, without a copy to compare.
            (None, OnFailure::End | OnFailure::Continue) => then,
            (on_success, on_failure) => {
                let after_success = match on_success {
                    Some(route) => self.route(route, false),
                    None => then.clone(),
                };
                let after_failure = match on_failure {
                    OnFailure::End => zero(),
                    OnFailure::Continue => then,
                    OnFailure::Route(route) => self.route(route, true),
                    OnFailure::Block(block) => self.block(block, zero()),
                };
                join(after_success, after_failure)
            }
        };

        let call = &stmt.call;
        let Some(spec) = catalog::action(&call.namespace.node, &call.action.node) else { return costs };
        let retries = retry.map_or(0, |(count, ..)| count);
        let attempts = retries.saturating_add(1);
        if let Some((count, backoff_ms, span)) = retry.filter(|(count, ..)| *count > 0) {
            let ms = (1..=count).fold(0u64, |sum, a| sum.saturating_add(retry_delay_max(backoff_ms, a)));
            costs =
                add(costs, DURATION, Amount::Finite(ms), span, Cause::RetryDelays { count, backoff_ms, ms });
        }
        let attempt = match timeout {
            Some((ms, span)) => Some((ms, span, true)),
            None if spec.kind == ActionKind::External => Some((DEFAULT_ATTEMPT_MS, call.span, false)),
            None => None,
        };
        if let Some((timeout_ms, span, given)) = attempt {
            let ms = timeout_ms.saturating_mul(u64::from(attempts));
            costs = add(
                costs,
                DURATION,
                Amount::Finite(ms),
                span,
                Cause::Attempts { attempts, timeout_ms, given },
            );
        }
        let counted = |times: u64| Cause::Action { action: spec.id, times };
        let times = u64::from(attempts);
        match spec.id {
            ActionId::ContactSendEmail => {
                costs = add(costs, EMAILS, Amount::Finite(times), call.span, counted(times))
            }
            ActionId::ContactSendSms => {
                costs = add(costs, SMS, Amount::Finite(times), call.span, counted(times))
            }
            ActionId::LoyaltyAwardPoints => {
                let amount = call
                    .args
                    .iter()
                    .find(|a| a.name.as_ref().is_some_and(|n| n.node == "points"))
                    .or_else(|| call.args.first().filter(|a| a.name.is_none()));
                if let Some(arg) = amount {
                    costs = match fold::constant(&arg.value) {
                        Some(n) => {
                            let n = u64::try_from(n).unwrap_or(0);
                            add(costs, POINTS, Amount::Finite(n), call.span, counted(n))
                        }
                        None => unbounded(costs, POINTS, arg.value.span, UnboundedReason::PointsExpr),
                    };
                }
            }
            _ => {}
        }
        if spec.kind == ActionKind::External {
            costs = add(costs, CALLS, Amount::Finite(times), call.span, counted(times));
        }
        costs
    }

    /// What the run can add from a jump to `name` on.
    fn route(&mut self, name: &'a Ident, by_failure: bool) -> Costs {
        let key = name.node.as_str();
        let Some(route) = self.routes.iter().find(|r| r.name.node == key) else { return zero() };
        let costs = match self.done.iter().find(|(name, _)| *name == key) {
            Some((_, costs)) => costs.clone(),
            None if self.entered.contains(&key) => return zero(),
            None => {
                self.entered.push(key);
                let costs = self.block(&route.body, zero());
                self.entered.pop();
                self.done.push((key, costs.clone()));
                costs
            }
        };
        costs.map(|cost| match cost.path {
            Some(_) => {
                let step =
                    PathStep { span: name.span, cause: Cause::Route { name: key.to_owned(), by_failure } };
                Cost { amount: cost.amount, path: Some(Rc::new(Node { step, next: cost.path })) }
            }
            None => cost,
        })
    }
}

enum OnFailure<'a> {
    End,
    Continue,
    Route(&'a Ident),
    Block(&'a Block),
}

/// `costs` with `amount` added before it (earlier in the run) in the measure `at`.
fn add(mut costs: Costs, at: usize, amount: Amount, span: Span, cause: Cause) -> Costs {
    if amount == Amount::Finite(0) {
        return costs;
    }
    if let Some(cost) = costs.get_mut(at) {
        cost.amount = match (amount, cost.amount) {
            (Amount::Finite(a), Amount::Finite(b)) => Amount::Finite(a.saturating_add(b)),
            // The first statement (in run order) that cannot be bounded is the one named.
            (Amount::Unbounded(u), _) | (Amount::Finite(_), Amount::Unbounded(u)) => Amount::Unbounded(u),
        };
        let next = cost.path.take();
        cost.path = Some(Rc::new(Node { step: PathStep { span, cause }, next }));
    }
    costs
}

fn unbounded(costs: Costs, at: usize, span: Span, reason: UnboundedReason) -> Costs {
    add(costs, at, Amount::Unbounded(Unbounded { reason, span }), span, Cause::Unbounded(reason))
}

/// The larger of each measure (the first on a tie).
fn join(first: Costs, second: Costs) -> Costs {
    let mut second = second.into_iter();
    first.map(|a| {
        let Some(b) = second.next() else { return a };
        match (a.amount, b.amount) {
            (Amount::Unbounded(_), _) => a,
            (Amount::Finite(_), Amount::Unbounded(_)) => b,
            (Amount::Finite(x), Amount::Finite(y)) => {
                if y > x {
                    b
                } else {
                    a
                }
            }
        }
    })
}

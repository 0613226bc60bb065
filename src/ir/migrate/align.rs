//! Aligning two versions of a workflow statement by statement.
//!
//! In: `from` and `to`. Out: an [`Alignment`]: which statement, block and step of `to`
//! each of `from` corresponds to. Block by block (main flow, routes by name, `if`
//! branches by position, `on failure` blocks of aligned actions), a weighted longest
//! common subsequence of the statement lists: statements of different kinds never
//! align, and the same statement (equal arguments, duration, name) weighs more than a
//! changed one, so insertions and removals around a statement do not move it.

use std::collections::HashMap;

use crate::ir::{BlockId, ExprId, ExprKind, OnFailure, Part, StepId, StmtId, StmtKind, Var, Workflow};

/// Deeper nesting than the language allows is not followed.
const MAX_DEPTH: u32 = 80;

#[derive(Debug, Default)]
pub(super) struct Alignment {
    stmts: HashMap<StmtId, StmtId>,
    /// (old, new), each step at most once on either side.
    pub steps: Vec<(StepId, StepId)>,
}

impl Alignment {
    pub fn stmt(&self, old: StmtId) -> Option<StmtId> {
        self.stmts.get(&old).copied()
    }
}

pub(super) fn align(from: &Workflow, to: &Workflow) -> Alignment {
    let mut a = Aligner { from, to, out: Alignment::default() };
    a.block(from.body, to.body, 0);
    for route in &from.routes {
        if let Some(other) = to.routes.iter().find(|r| r.name == route.name) {
            a.block(route.body, other.body, 0);
        }
    }
    let mut out = a.out;
    // Steps no aligned statement carries keep their output by name and action.
    for (i, step) in from.steps.iter().enumerate() {
        let Ok(i) = u32::try_from(i) else { continue };
        let old = StepId(i);
        if out.steps.iter().any(|(o, _)| *o == old) {
            continue;
        }
        let new = to.step_named(&step.name).filter(|n| {
            to.step(*n).is_some_and(|s| s.action == step.action) && !out.steps.iter().any(|(_, m)| m == n)
        });
        if let Some(new) = new {
            out.steps.push((old, new));
        }
    }
    out.steps.sort();
    out
}

struct Aligner<'a> {
    from: &'a Workflow,
    to: &'a Workflow,
    out: Alignment,
}

impl Aligner<'_> {
    fn block(&mut self, a: BlockId, b: BlockId, depth: u32) {
        if depth > MAX_DEPTH {
            return;
        }
        let xs = self.from.block(a).map(|b| b.stmts.clone()).unwrap_or_default();
        let ys = self.to.block(b).map(|b| b.stmts.clone()).unwrap_or_default();
        for (x, y) in lcs(&xs, &ys, |x, y| self.score(x, y)) {
            self.pair(x, y, depth);
        }
    }

    fn pair(&mut self, x: StmtId, y: StmtId, depth: u32) {
        self.out.stmts.insert(x, y);
        let (Some(sx), Some(sy)) = (self.from.stmt(x), self.to.stmt(y)) else { return };
        match (&sx.kind, &sy.kind) {
            (StmtKind::If { branches: bx, otherwise: ox }, StmtKind::If { branches: by, otherwise: oy }) => {
                let pairs: Vec<(BlockId, BlockId)> =
                    bx.iter().zip(by).map(|((_, a), (_, b))| (*a, *b)).collect();
                for (a, b) in pairs {
                    self.block(a, b, depth + 1);
                }
                if let (Some(a), Some(b)) = (ox, oy) {
                    self.block(*a, *b, depth + 1);
                }
            }
            (StmtKind::Action(ax), StmtKind::Action(ay)) => {
                if !self.out.steps.iter().any(|(o, n)| *o == ax.step || *n == ay.step) {
                    self.out.steps.push((ax.step, ay.step));
                }
                if let (OnFailure::Block(a), OnFailure::Block(b)) = (&ax.on_failure, &ay.on_failure) {
                    self.block(*a, *b, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// How well two statements align: 0 never.
    fn score(&self, x: StmtId, y: StmtId) -> u32 {
        let (Some(sx), Some(sy)) = (self.from.stmt(x), self.to.stmt(y)) else { return 0 };
        let eq = |a: ExprId, b: ExprId| u32::from(self.expr_eq(a, b, 0));
        match (&sx.kind, &sy.kind) {
            (StmtKind::Action(a), StmtKind::Action(b)) => {
                let (Some(sa), Some(sb)) = (self.from.step(a.step), self.to.step(b.step)) else { return 0 };
                if sa.action != sb.action {
                    return 0;
                }
                let args_eq = a.args.len() == b.args.len()
                    && a.args.iter().zip(&b.args).all(|((na, ea), (nb, eb))| na == nb && eq(*ea, *eb) == 1);
                4 + u32::from(sa.name == sb.name) + 2 * u32::from(args_eq)
            }
            (StmtKind::Wait { duration: a }, StmtKind::Wait { duration: b }) => 4 + 2 * eq(*a, *b),
            (StmtKind::WaitUntil { at: a }, StmtKind::WaitUntil { at: b }) => 4 + 2 * eq(*a, *b),
            (StmtKind::Let { name: na, value: a }, StmtKind::Let { name: nb, value: b }) if na == nb => {
                3 + 2 * eq(*a, *b)
            }
            (StmtKind::If { branches: a, .. }, StmtKind::If { branches: b, .. }) => {
                let first = match (a.first(), b.first()) {
                    (Some((ca, _)), Some((cb, _))) => eq(*ca, *cb),
                    _ => 0,
                };
                2 + 2 * first + u32::from(a.len() == b.len())
            }
            (StmtKind::Goto { route: a }, StmtKind::Goto { route: b }) => {
                let name_a = self.from.route(*a).map(|r| &r.name);
                if name_a.is_some() && name_a == self.to.route(*b).map(|r| &r.name) { 3 } else { 1 }
            }
            (StmtKind::Stop, StmtKind::Stop) => 3,
            (StmtKind::Fail { message: a }, StmtKind::Fail { message: b }) => 2 + eq(*a, *b),
            _ => 0,
        }
    }

    /// Whether two expressions are the same, spans aside (steps and routes by name).
    fn expr_eq(&self, a: ExprId, b: ExprId, depth: u32) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let (Some(ea), Some(eb)) = (self.from.expr(a), self.to.expr(b)) else { return false };
        let d = depth + 1;
        let all = |xs: &[ExprId], ys: &[ExprId]| {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| self.expr_eq(*x, *y, d))
        };
        match (&ea.kind, &eb.kind) {
            (ExprKind::Var(Var::Step(x)), ExprKind::Var(Var::Step(y))) => {
                self.from.step(*x).map(|s| &s.name) == self.to.step(*y).map(|s| &s.name)
            }
            (ExprKind::Interp(xs), ExprKind::Interp(ys)) => {
                xs.len() == ys.len()
                    && xs.iter().zip(ys).all(|(x, y)| match (x, y) {
                        (Part::Text(s), Part::Text(t)) => s == t,
                        (Part::Expr(x), Part::Expr(y)) => self.expr_eq(*x, *y, d),
                        _ => false,
                    })
            }
            (ExprKind::List(xs), ExprKind::List(ys)) => all(xs, ys),
            (ExprKind::Record(xs), ExprKind::Record(ys)) => {
                xs.len() == ys.len()
                    && xs.iter().zip(ys).all(|((n, x), (m, y))| n == m && self.expr_eq(*x, *y, d))
            }
            (ExprKind::Field(x, n), ExprKind::Field(y, m)) => n == m && self.expr_eq(*x, *y, d),
            (ExprKind::Index(x, i), ExprKind::Index(y, j)) => {
                self.expr_eq(*x, *y, d) && self.expr_eq(*i, *j, d)
            }
            (ExprKind::Call(f, xs), ExprKind::Call(g, ys)) => f == g && all(xs, ys),
            (ExprKind::Cast(x, t), ExprKind::Cast(y, u)) => t == u && self.expr_eq(*x, *y, d),
            (ExprKind::Not(x), ExprKind::Not(y)) | (ExprKind::Neg(x), ExprKind::Neg(y)) => {
                self.expr_eq(*x, *y, d)
            }
            (ExprKind::Binary(o, x, i), ExprKind::Binary(p, y, j)) => {
                o == p && self.expr_eq(*x, *y, d) && self.expr_eq(*i, *j, d)
            }
            (x, y) => x == y,
        }
    }
}

/// The pairs of a longest common subsequence of `xs` and `ys` weighted by `score`
/// (pairs scoring 0 never match), in order.
fn lcs<T: Copy>(xs: &[T], ys: &[T], score: impl Fn(T, T) -> u32) -> Vec<(T, T)> {
    let (n, m) = (xs.len(), ys.len());
    let width = m + 1;
    let mut best = vec![0u32; (n + 1) * width];
    let at = |best: &[u32], i: usize, j: usize| best.get(i * width + j).copied().unwrap_or(0);
    let mut scores = vec![0u32; n * m];
    for (i, x) in xs.iter().enumerate() {
        for (j, y) in ys.iter().enumerate() {
            if let Some(s) = scores.get_mut(i * m + j) {
                *s = score(*x, *y);
            }
        }
    }
    let pair_score = |i: usize, j: usize| scores.get(i * m + j).copied().unwrap_or(0);
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let s = pair_score(i, j);
            let take = if s > 0 { s + at(&best, i + 1, j + 1) } else { 0 };
            let value = take.max(at(&best, i + 1, j)).max(at(&best, i, j + 1));
            if let Some(cell) = best.get_mut(i * width + j) {
                *cell = value;
            }
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        let s = pair_score(i, j);
        if s > 0 && at(&best, i, j) == s + at(&best, i + 1, j + 1) {
            if let (Some(x), Some(y)) = (xs.get(i), ys.get(j)) {
                out.push((*x, *y));
            }
            i += 1;
            j += 1;
        } else if at(&best, i + 1, j) >= at(&best, i, j + 1) {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::lcs;

    #[test]
    fn the_heavier_match_wins_and_order_is_kept() {
        // 'a' matches 'a' (3) and 'A' (1); inserted letters around do not move it.
        let score = |x: char, y: char| match (x, y) {
            _ if x == y => 3,
            _ if x.eq_ignore_ascii_case(&y) => 1,
            _ => 0,
        };
        assert_eq!(
            lcs(&['a', 'w', 'b'], &['A', 'a', 'w', 'x', 'b'], score),
            vec![('a', 'a'), ('w', 'w'), ('b', 'b')]
        );
        assert_eq!(lcs(&['w'], &['x'], score), vec![]);
        assert_eq!(lcs::<char>(&[], &['x'], score), vec![]);
    }
}

//! The integers and durations the bounds can read off an expression: literals and
//! arithmetic on them (`1h + 30m`, `10 * 5`, `-3`); anything else is not decided.

use crate::syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};

/// The value of `expr` as an integer (an `Int`, or a duration in milliseconds), when
/// it is made of literals only.
pub fn constant(expr: &Expr) -> Option<i64> {
    match &expr.kind {
        ExprKind::Int(n) => Some(*n),
        ExprKind::Duration(d) => Some(d.millis),
        ExprKind::Paren(inner) => constant(inner),
        ExprKind::Unary { op, expr } if op.node == UnaryOp::Neg => constant(expr)?.checked_neg(),
        ExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (constant(lhs)?, constant(rhs)?);
            match op.node {
                BinaryOp::Add => a.checked_add(b),
                BinaryOp::Sub => a.checked_sub(b),
                BinaryOp::Mul => a.checked_mul(b),
                _ => None,
            }
        }
        _ => None,
    }
}

/// How far after the run's start (`Start`) or after now (`Now`) a `wait until` time
/// is: `run.started_at + D`, `now() + D`, `run.started_at`, `now()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    Start(u64),
    Now(u64),
}

pub fn until(expr: &Expr) -> Option<Until> {
    match &expr.kind {
        ExprKind::Paren(inner) => until(inner),
        ExprKind::Binary { op, lhs, rhs } if op.node == BinaryOp::Add => {
            let (anchor, offset) = match (anchor(lhs), anchor(rhs)) {
                (Some(a), None) => (a, constant(rhs)?),
                (None, Some(a)) => (a, constant(lhs)?),
                _ => return None,
            };
            let ms = u64::try_from(offset.max(0)).ok()?;
            Some(anchor(ms))
        }
        ExprKind::Binary { op, lhs, rhs } if op.node == BinaryOp::Sub => {
            let at = anchor(lhs)?;
            let ms = u64::try_from(constant(rhs)?.checked_neg()?.max(0)).ok()?;
            Some(at(ms))
        }
        _ => anchor(expr).map(|at| at(0)),
    }
}

/// `run.started_at` or `now()`, as the [`Until`] it starts.
fn anchor(expr: &Expr) -> Option<fn(u64) -> Until> {
    match &expr.kind {
        ExprKind::Paren(inner) => anchor(inner),
        ExprKind::Field { target, field } if field.node == "started_at" => match &target.kind {
            ExprKind::Name(name) if name.node == "run" => Some(Until::Start),
            _ => None,
        },
        ExprKind::Call { function, args } if function.node == "now" && args.is_empty() => Some(Until::Now),
        _ => None,
    }
}

//! Expression evaluation.
//!
//! In: an IR expression and a [`Scope`] (the values names refer to). Out: a [`Value`],
//! or an [`EvalError`] at the expression's span: a failed `as` conversion, a division
//! by zero, an overflow, an unknown secret (each an [`EvalFault`], which words it). The
//! checker has already ruled out type errors, so the remaining checks are the ones that
//! depend on values.

use std::collections::BTreeMap;
use std::fmt;

use super::event::EnvelopeError;
use super::value::{Secret, Value};
use crate::ir::{BinOp, Builtin, Expr, ExprId, ExprKind, Part, Ty, Var};
use crate::source::Span;

/// A value-dependent failure, where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    pub span: Span,
}

impl EvalError {
    /// `fault` at `span`, in words.
    pub fn new(fault: EvalFault, span: Span) -> EvalError {
        EvalError { message: fault.to_string(), span }
    }
}

/// What went wrong evaluating an expression, with the values' kinds (`an Int`, `null`)
/// or the text involved.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalFault {
    /// Stored IR refers to an expression it does not have.
    MissingExpr { id: u32 },
    /// Stored IR nests deeper than the interpreter follows.
    TooDeep,
    /// An `as` conversion failed.
    Conversion { target: Ty, cause: EnvelopeError },
    /// `not` of something that is not a Bool.
    NotNeedsBool { found: &'static str },
    /// Unary `-` of something that is not a number.
    NegNeedsNumber { found: &'static str },
    /// `and` or `or` with a side that is not a Bool.
    NeedsBools { op: BinOp, found: &'static str },
    /// A builtin wanted text.
    NotText { found: &'static str },
    /// `len` of something without a length.
    LenNeedsTextOrList { found: &'static str },
    /// `round`, `floor` or `ceil` of something that is not a number.
    NotANumber { found: &'static str },
    /// `int(text)` of text that is not a whole number.
    NotAWholeNumberText { text: String },
    /// `float(text)` of text that is not a number.
    NotANumberText { text: String },
    /// `int(…)` of something that cannot become one.
    NoIntOf { found: &'static str },
    /// `float(…)` of something that cannot become one.
    NoFloatOf { found: &'static str },
    /// `secret(name)` of a secret the project does not configure.
    SecretNotConfigured { name: String },
    /// A Float too large (or not finite) for an Int.
    TooLargeForInt,
    /// Integer arithmetic overflowed.
    NumberTooLarge,
    /// Negating the smallest duration.
    DurationTooLarge,
    /// A timestamp moved out of the representable range.
    TimestampOutOfRange,
    /// `/` or `%` by zero.
    DivisionByZero,
    /// An ordering between values that have none.
    CannotCompare { left: &'static str, right: &'static str },
    /// An operator applied to kinds it does not take.
    Mismatch { op: BinOp, left: &'static str, right: &'static str },
}

impl fmt::Display for EvalFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalFault::MissingExpr { id } => write!(f, "internal error: no expression {id} in the IR"),
            EvalFault::TooDeep => f.write_str("expression nested too deeply"),
            EvalFault::Conversion { target, cause } => {
                write!(f, "cannot convert to `{target}`: {}", cause.message)
            }
            EvalFault::NotNeedsBool { found } => write!(f, "`not` needs a Bool, found {found}"),
            EvalFault::NegNeedsNumber { found } => write!(f, "`-` needs a number, found {found}"),
            EvalFault::NeedsBools { op, found } => write!(f, "`{op:?}` needs Bools, found {found}"),
            EvalFault::NotText { found } => write!(f, "expected text, found {found}"),
            EvalFault::LenNeedsTextOrList { found } => write!(f, "`len` needs text or a list, found {found}"),
            EvalFault::NotANumber { found } => write!(f, "expected a number, found {found}"),
            EvalFault::NotAWholeNumberText { text } => write!(f, "`{text}` is not a whole number"),
            EvalFault::NotANumberText { text } => write!(f, "`{text}` is not a number"),
            EvalFault::NoIntOf { found } => write!(f, "cannot make an Int of {found}"),
            EvalFault::NoFloatOf { found } => write!(f, "cannot make a Float of {found}"),
            EvalFault::SecretNotConfigured { name } => write!(f, "secret `{name}` is not configured"),
            EvalFault::TooLargeForInt => f.write_str("number too large for an Int"),
            EvalFault::NumberTooLarge => f.write_str("number too large"),
            EvalFault::DurationTooLarge => f.write_str("duration too large"),
            EvalFault::TimestampOutOfRange => f.write_str("timestamp out of range"),
            EvalFault::DivisionByZero => f.write_str("division by zero"),
            EvalFault::CannotCompare { left, right } => write!(f, "cannot compare {left} with {right}"),
            EvalFault::Mismatch { op, left, right } => {
                write!(f, "`{}` cannot be applied to {left} and {right}", symbol(*op))
            }
        }
    }
}

impl std::error::Error for EvalFault {}

/// What names mean while evaluating.
pub struct Scope<'a> {
    pub exprs: &'a [Expr],
    pub event: &'a Value,
    pub contact: &'a Value,
    pub entry: &'a Value,
    /// `hub`, `card`, `prize`, `coupon`, `receipt`.
    pub context: &'a BTreeMap<String, Value>,
    pub locals: &'a BTreeMap<String, Value>,
    /// Step outputs by step id (`Null` for steps that have not succeeded).
    pub steps: &'a [Value],
    pub run: &'a Value,
    pub error: &'a Value,
    pub now: jiff::Timestamp,
    /// Which secrets are configured.
    pub has_secret: &'a dyn Fn(&str) -> bool,
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("exprs", &self.exprs.len())
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// Deeper than this, stored IR is refused rather than evaluated (the parser never
/// builds expressions deeper than 256).
const MAX_DEPTH: u32 = 512;

impl Scope<'_> {
    pub fn eval(&self, id: ExprId) -> Result<Value, EvalError> {
        self.eval_at(id, 0)
    }

    fn expr(&self, id: ExprId) -> Result<&Expr, EvalError> {
        self.exprs
            .get(id.index())
            .ok_or_else(|| EvalError::new(EvalFault::MissingExpr { id: id.0 }, Span::default()))
    }

    fn eval_at(&self, id: ExprId, depth: u32) -> Result<Value, EvalError> {
        let e = self.expr(id)?;
        let err = |fault: EvalFault| EvalError::new(fault, e.span);
        if depth > MAX_DEPTH {
            return Err(err(EvalFault::TooDeep));
        }
        let sub = |id: ExprId| self.eval_at(id, depth + 1);
        Ok(match &e.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Duration(ms) => Value::Duration(*ms),
            ExprKind::String(s) => Value::String(s.clone()),
            ExprKind::Interp(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        Part::Text(t) => out.push_str(t),
                        Part::Expr(id) => out.push_str(&sub(*id)?.to_text()),
                    }
                }
                Value::String(out)
            }
            ExprKind::List(items) => Value::List(items.iter().map(|i| sub(*i)).collect::<Result<_, _>>()?),
            ExprKind::Record(fields) => Value::Record(
                fields.iter().map(|(k, v)| Ok((k.clone(), sub(*v)?))).collect::<Result<_, EvalError>>()?,
            ),
            ExprKind::Var(var) => self.var(var),
            ExprKind::Field(target, name) => sub(*target)?.field(name),
            ExprKind::Index(target, index) => {
                let target = sub(*target)?;
                let index = sub(*index)?;
                match (&target, &index) {
                    (Value::List(items), Value::Int(i)) => {
                        usize::try_from(*i).ok().and_then(|i| items.get(i)).cloned().unwrap_or(Value::Null)
                    }
                    (Value::Record(r), Value::String(k)) => r.get(k).cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                }
            }
            ExprKind::Call(builtin, args) => {
                let args: Vec<Value> = args.iter().map(|a| sub(*a)).collect::<Result<_, _>>()?;
                self.call(*builtin, &args).map_err(err)?
            }
            ExprKind::Cast(inner, ty) => {
                let v = sub(*inner)?;
                super::event::convert(&v, ty, "")
                    .map_err(|cause| err(EvalFault::Conversion { target: ty.clone(), cause }))?
            }
            ExprKind::Not(inner) => match sub(*inner)? {
                Value::Bool(b) => Value::Bool(!b),
                other => return Err(err(EvalFault::NotNeedsBool { found: other.kind() })),
            },
            ExprKind::Neg(inner) => match sub(*inner)? {
                Value::Int(i) => Value::Int(i.checked_neg().ok_or_else(|| err(EvalFault::NumberTooLarge))?),
                Value::Float(f) => Value::Float(-f),
                Value::Duration(d) => {
                    Value::Duration(d.checked_neg().ok_or_else(|| err(EvalFault::DurationTooLarge))?)
                }
                other => return Err(err(EvalFault::NegNeedsNumber { found: other.kind() })),
            },
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, *lhs, *rhs, depth).map_err(|m| match m {
                Fail::Here(fault) => err(fault),
                Fail::Inner(e) => e,
            })?,
        })
    }

    fn var(&self, var: &Var) -> Value {
        let context = |name: &str| self.context.get(name).cloned().unwrap_or(Value::Null);
        match var {
            Var::Event => self.event.clone(),
            Var::Contact => self.contact.clone(),
            Var::Run => self.run.clone(),
            Var::Error => self.error.clone(),
            Var::Entry => self.entry.clone(),
            Var::Hub => context("hub"),
            Var::Card => context("card"),
            Var::Prize => context("prize"),
            Var::Coupon => context("coupon"),
            Var::Receipt => context("receipt"),
            Var::Step(id) => self.steps.get(id.index()).cloned().unwrap_or(Value::Null),
            Var::Local(name) => self.locals.get(name).cloned().unwrap_or(Value::Null),
        }
    }

    fn binary(&self, op: BinOp, lhs: ExprId, rhs: ExprId, depth: u32) -> Result<Value, Fail> {
        let sub = |id: ExprId| self.eval_at(id, depth + 1).map_err(Fail::Inner);
        let l = sub(lhs)?;
        match op {
            BinOp::And | BinOp::Or => {
                let Value::Bool(a) = l else {
                    return Err(Fail::Here(EvalFault::NeedsBools { op, found: l.kind() }));
                };
                if (op == BinOp::And && !a) || (op == BinOp::Or && a) {
                    return Ok(Value::Bool(a));
                }
                match sub(rhs)? {
                    Value::Bool(b) => Ok(Value::Bool(b)),
                    other => Err(Fail::Here(EvalFault::NeedsBools { op, found: other.kind() })),
                }
            }
            BinOp::Coalesce => {
                if l.is_null() {
                    sub(rhs)
                } else {
                    Ok(l)
                }
            }
            _ => {
                let r = sub(rhs)?;
                apply(op, &l, &r).map_err(Fail::Here)
            }
        }
    }

    fn call(&self, builtin: Builtin, args: &[Value]) -> Result<Value, EvalFault> {
        let arg = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
        let text = |i: usize| match arg(i) {
            Value::String(s) => Ok(s),
            other => Err(EvalFault::NotText { found: other.kind() }),
        };
        Ok(match builtin {
            Builtin::Lower => Value::String(text(0)?.to_lowercase()),
            Builtin::Upper => Value::String(text(0)?.to_uppercase()),
            Builtin::Trim => Value::String(text(0)?.trim().to_string()),
            Builtin::Len => match arg(0) {
                Value::String(s) => Value::Int(count(s.chars().count())),
                Value::List(l) => Value::Int(count(l.len())),
                Value::Record(r) => Value::Int(count(r.len())),
                other => return Err(EvalFault::LenNeedsTextOrList { found: other.kind() }),
            },
            Builtin::StartsWith => Value::Bool(text(0)?.starts_with(&text(1)?)),
            Builtin::EndsWith => Value::Bool(text(0)?.ends_with(&text(1)?)),
            Builtin::Now => Value::Timestamp(self.now),
            Builtin::Round | Builtin::Floor | Builtin::Ceil => match arg(0) {
                Value::Int(i) => Value::Int(i),
                Value::Float(f) => {
                    let r = match builtin {
                        Builtin::Round => f.round(),
                        Builtin::Floor => f.floor(),
                        _ => f.ceil(),
                    };
                    Value::Int(float_to_int(r)?)
                }
                other => return Err(EvalFault::NotANumber { found: other.kind() }),
            },
            Builtin::String => Value::String(arg(0).to_text()),
            Builtin::Int => match arg(0) {
                Value::Int(i) => Value::Int(i),
                Value::Float(f) if f.fract() == 0.0 => Value::Int(float_to_int(f)?),
                Value::String(s) => Value::Int(
                    s.trim().parse().map_err(|_| EvalFault::NotAWholeNumberText { text: s.clone() })?,
                ),
                other => return Err(EvalFault::NoIntOf { found: other.kind() }),
            },
            Builtin::Float => match arg(0) {
                Value::Int(i) => Value::Float(i as f64),
                Value::Float(f) => Value::Float(f),
                Value::String(s) => {
                    Value::Float(s.trim().parse().map_err(|_| EvalFault::NotANumberText { text: s.clone() })?)
                }
                other => return Err(EvalFault::NoFloatOf { found: other.kind() }),
            },
            Builtin::Secret => {
                let name = text(0)?;
                if !(self.has_secret)(&name) {
                    return Err(EvalFault::SecretNotConfigured { name });
                }
                Value::Secret(Secret::new(name))
            }
        })
    }
}

enum Fail {
    Here(EvalFault),
    Inner(EvalError),
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn float_to_int(f: f64) -> Result<i64, EvalFault> {
    if f.is_finite() && f.abs() < 9.0e18 { Ok(f as i64) } else { Err(EvalFault::TooLargeForInt) }
}

fn as_float(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// Equality across the numeric kinds; otherwise structural.
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b)),
        (Value::Record(x), Value::Record(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        _ => as_float(a)?.partial_cmp(&as_float(b)?),
    }
}

fn millis(ms: i64) -> jiff::SignedDuration {
    jiff::SignedDuration::from_millis(ms)
}

/// A binary operator other than `and`, `or` and `??`.
fn apply(op: BinOp, l: &Value, r: &Value) -> Result<Value, EvalFault> {
    use Value as V;
    let overflow = || EvalFault::NumberTooLarge;
    let mismatch = || EvalFault::Mismatch { op, left: l.kind(), right: r.kind() };
    Ok(match op {
        BinOp::Eq => V::Bool(equal(l, r)),
        BinOp::Ne => V::Bool(!equal(l, r)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let o = order(l, r).ok_or(EvalFault::CannotCompare { left: l.kind(), right: r.kind() })?;
            V::Bool(match op {
                BinOp::Lt => o.is_lt(),
                BinOp::Le => o.is_le(),
                BinOp::Gt => o.is_gt(),
                _ => o.is_ge(),
            })
        }
        BinOp::In | BinOp::Contains => {
            let (item, container) = if op == BinOp::In { (l, r) } else { (r, l) };
            V::Bool(match (container, item) {
                (V::List(items), x) => items.iter().any(|i| equal(i, x)),
                (V::String(s), V::String(part)) => s.contains(part.as_str()),
                (V::Record(r), V::String(k)) => r.contains_key(k),
                (V::Null, _) => false,
                _ => return Err(mismatch()),
            })
        }
        BinOp::Add => match (l, r) {
            (V::String(a), V::String(b)) => V::String(format!("{a}{b}")),
            (V::Int(a), V::Int(b)) => V::Int(a.checked_add(*b).ok_or_else(overflow)?),
            (V::Timestamp(t), V::Duration(d)) | (V::Duration(d), V::Timestamp(t)) => {
                V::Timestamp(t.checked_add(millis(*d)).map_err(|_| EvalFault::TimestampOutOfRange)?)
            }
            (V::Duration(a), V::Duration(b)) => V::Duration(a.checked_add(*b).ok_or_else(overflow)?),
            _ => V::Float(as_float(l).zip(as_float(r)).map(|(a, b)| a + b).ok_or_else(mismatch)?),
        },
        BinOp::Sub => match (l, r) {
            (V::Int(a), V::Int(b)) => V::Int(a.checked_sub(*b).ok_or_else(overflow)?),
            (V::Timestamp(t), V::Duration(d)) => {
                V::Timestamp(t.checked_sub(millis(*d)).map_err(|_| EvalFault::TimestampOutOfRange)?)
            }
            (V::Timestamp(a), V::Timestamp(b)) => {
                let d = a.duration_since(*b);
                V::Duration(i64::try_from(d.as_millis()).map_err(|_| overflow())?)
            }
            (V::Duration(a), V::Duration(b)) => V::Duration(a.checked_sub(*b).ok_or_else(overflow)?),
            _ => V::Float(as_float(l).zip(as_float(r)).map(|(a, b)| a - b).ok_or_else(mismatch)?),
        },
        BinOp::Mul => match (l, r) {
            (V::Int(a), V::Int(b)) => V::Int(a.checked_mul(*b).ok_or_else(overflow)?),
            (V::Duration(d), V::Int(n)) | (V::Int(n), V::Duration(d)) => {
                V::Duration(d.checked_mul(*n).ok_or_else(overflow)?)
            }
            _ => V::Float(as_float(l).zip(as_float(r)).map(|(a, b)| a * b).ok_or_else(mismatch)?),
        },
        BinOp::Div | BinOp::Rem => {
            let zero = matches!(r, V::Int(0)) || matches!(r, V::Float(f) if *f == 0.0);
            if zero {
                return Err(EvalFault::DivisionByZero);
            }
            match (op, l, r) {
                (BinOp::Div, V::Int(a), V::Int(b)) => V::Int(a.checked_div(*b).ok_or_else(overflow)?),
                (BinOp::Rem, V::Int(a), V::Int(b)) => V::Int(a.checked_rem(*b).ok_or_else(overflow)?),
                (BinOp::Div, V::Duration(d), V::Int(n)) => {
                    V::Duration(d.checked_div(*n).ok_or_else(overflow)?)
                }
                (BinOp::Div, _, _) => {
                    V::Float(as_float(l).zip(as_float(r)).map(|(a, b)| a / b).ok_or_else(mismatch)?)
                }
                _ => V::Float(as_float(l).zip(as_float(r)).map(|(a, b)| a % b).ok_or_else(mismatch)?),
            }
        }
        BinOp::And | BinOp::Or | BinOp::Coalesce => return Err(mismatch()),
    })
}

fn symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Coalesce => "??",
        BinOp::Or => "or",
        BinOp::And => "and",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::In => "in",
        BinOp::Contains => "contains",
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Rem => "%",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(apply(BinOp::Div, &Value::Int(7), &Value::Int(2)), Ok(Value::Int(3)));
        let message = |result: Result<Value, EvalFault>| result.map_err(|fault| fault.to_string());
        assert_eq!(
            message(apply(BinOp::Div, &Value::Int(7), &Value::Int(0))),
            Err("division by zero".into())
        );
        assert_eq!(
            message(apply(BinOp::Add, &Value::Int(i64::MAX), &Value::Int(1))),
            Err("number too large".into())
        );
        assert_eq!(apply(BinOp::Add, &Value::Int(1), &Value::Float(0.5)), Ok(Value::Float(1.5)));
        assert_eq!(apply(BinOp::Mul, &Value::Duration(1000), &Value::Int(3)), Ok(Value::Duration(3000)));
    }

    #[test]
    fn comparisons_and_membership() {
        assert!(equal(&Value::Int(2), &Value::Float(2.0)));
        let tags = Value::List(vec![Value::str("a"), Value::str("b")]);
        assert_eq!(apply(BinOp::In, &Value::str("b"), &tags), Ok(Value::Bool(true)));
        assert_eq!(
            apply(BinOp::Contains, &Value::str("Sponsor A Quiz"), &Value::str("Sponsor A")),
            Ok(Value::Bool(true))
        );
        assert_eq!(apply(BinOp::Lt, &Value::str("a"), &Value::str("b")), Ok(Value::Bool(true)));
        assert!(apply(BinOp::Lt, &Value::str("a"), &Value::Int(1)).is_err());
    }
}

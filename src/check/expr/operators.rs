//! Typing of binary operators: `and`/`or`, comparisons, `in`/`contains`, `??` and
//! arithmetic.
//!
//! In: the two operands and the [`Flow`]. Out: the result's type, or an error naming the
//! operator and the operand types.

use super::super::env::Env;
use super::super::errors::CheckError;
use super::super::flow::Flow;
use super::super::types::Type;
use super::condition_facts;
use crate::syntax::ast::{BinaryOp, Expr};

impl Env {
    pub(super) fn infer_binary(
        &mut self,
        e: &Expr,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        flow: &Flow,
    ) -> Type {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let ctx = if op == BinaryOp::And { "an operand of `and`" } else { "an operand of `or`" };
                self.expect_bool(lhs, flow, ctx);
                let (t, f) = condition_facts(lhs);
                let facts = if op == BinaryOp::And { t } else { f };
                if facts.is_empty() {
                    self.expect_bool(rhs, flow, ctx);
                } else {
                    let mut inner = flow.clone();
                    inner.add_facts(facts);
                    self.expect_bool(rhs, &inner, ctx);
                }
                Type::Bool
            }
            BinaryOp::Coalesce => {
                let l = self.infer(lhs, flow);
                let r = self.infer(rhs, flow);
                let base = l.non_null();
                if base.is_error() {
                    return r;
                }
                if base.accepts(&r.non_null()) {
                    if r.is_optional() { Type::optional(base) } else { base }
                } else if r.non_null().accepts(&base) {
                    r
                } else {
                    self.assign(rhs, &r, &Type::optional(base.clone()), flow, "the default after `??`");
                    base
                }
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let l = self.infer(lhs, flow);
                let r = self.infer(rhs, flow);
                if l.contains_secret() || r.contains_secret() {
                    self.error(CheckError::SecretMisuse { span: e.span, usage: "compared".into() });
                } else if !comparable(&l, &r) {
                    self.error(CheckError::Incomparable { op: op.symbol(), left: l, right: r, span: e.span });
                }
                Type::Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let l = self.infer(lhs, flow);
                let r = self.infer(rhs, flow);
                if l.contains_secret() || r.contains_secret() {
                    self.error(CheckError::SecretMisuse { span: e.span, usage: "compared".into() });
                    return Type::Bool;
                }
                let l = self.require_value(lhs, l, flow, &format!("`{}` needs a value", op.symbol()));
                let r = self.require_value(rhs, r, flow, &format!("`{}` needs a value", op.symbol()));
                if !ordered(&l, &r) {
                    self.error(CheckError::Incomparable { op: op.symbol(), left: l, right: r, span: e.span });
                }
                Type::Bool
            }
            BinaryOp::In | BinaryOp::Contains => {
                let (item, container) = if op == BinaryOp::In { (lhs, rhs) } else { (rhs, lhs) };
                let it = self.infer(item, flow);
                let ct = self.infer(container, flow);
                let ct = self.require_value(container, ct, flow, &format!("`{}` needs a value", op.symbol()));
                if it.contains_secret() {
                    self.error(CheckError::SecretMisuse { span: e.span, usage: "compared".into() });
                    return Type::Bool;
                }
                let ok = match &ct {
                    Type::Error | Type::Json => true,
                    Type::List(elem) => comparable(elem, &it),
                    t if t.is_stringish() => {
                        it.non_null().is_stringish() || matches!(it, Type::Json | Type::Error)
                    }
                    _ => false,
                };
                if !ok {
                    let (left, right) = if op == BinaryOp::In { (it, ct) } else { (ct, it) };
                    self.invalid_operands(
                        op.symbol(),
                        left,
                        Some(right),
                        e,
                        Some("use `x in list`, `list contains x` or `text contains \"part\"`"),
                    );
                }
                Type::Bool
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                let l = self.infer(lhs, flow);
                let r = self.infer(rhs, flow);
                if l.contains_secret() || r.contains_secret() {
                    self.error(CheckError::SecretMisuse {
                        span: e.span,
                        usage: "used in arithmetic or joined to text".into(),
                    });
                    return Type::Error;
                }
                let l = self.require_value(lhs, l, flow, &format!("`{}` needs a value", op.symbol()));
                let r = self.require_value(rhs, r, flow, &format!("`{}` needs a value", op.symbol()));
                match arithmetic(op, &l, &r) {
                    Some(t) => t,
                    None => {
                        let help = match (&l, &r) {
                            (Type::Json, _) | (_, Type::Json) => {
                                Some("convert the `Json` value first, e.g. `x as Int`")
                            }
                            (a, b) if a.is_stringish() || b.is_stringish() => {
                                Some("to join text with other values, interpolate: `\"${a}${b}\"`")
                            }
                            _ => None,
                        };
                        self.invalid_operands(op.symbol(), l, Some(r), e, help);
                        Type::Error
                    }
                }
            }
        }
    }
}

/// Whether `==` between the two types makes sense.
fn comparable(a: &Type, b: &Type) -> bool {
    let (a, b) = (a.non_null(), b.non_null());
    match (&a, &b) {
        (Type::Error, _) | (_, Type::Error) | (Type::Json, _) | (_, Type::Json) => true,
        (Type::Null, _) | (_, Type::Null) | (Type::Never, _) | (_, Type::Never) => true,
        (x, y) if x.is_stringish() && y.is_stringish() => true,
        (x, y) if x.is_numeric() && y.is_numeric() => true,
        (x, y) => x.accepts(y) || y.accepts(x),
    }
}

/// Whether `<` between the two types makes sense.
fn ordered(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Error, _) | (_, Type::Error) => true,
        (Type::Json, o) | (o, Type::Json) => o.is_numeric() || o.is_stringish() || *o == Type::Json,
        (x, y) if x.is_numeric() && y.is_numeric() => true,
        (x, y) if x.is_stringish() && y.is_stringish() => true,
        (Type::Duration, Type::Duration) | (Type::Timestamp, Type::Timestamp) => true,
        _ => false,
    }
}

/// The result of an arithmetic operator, if it applies.
fn arithmetic(op: BinaryOp, l: &Type, r: &Type) -> Option<Type> {
    use Type as T;
    Some(match (op, l, r) {
        (_, T::Error, _) | (_, _, T::Error) => T::Error,
        (BinaryOp::Add, a, b) if a.is_stringish() && b.is_stringish() => T::String,
        (_, T::Int, T::Int) => T::Int,
        (_, a, b) if a.is_numeric() && b.is_numeric() => T::Float,
        (BinaryOp::Add | BinaryOp::Sub, T::Timestamp, T::Duration) => T::Timestamp,
        (BinaryOp::Add, T::Duration, T::Timestamp) => T::Timestamp,
        (BinaryOp::Sub, T::Timestamp, T::Timestamp) => T::Duration,
        (BinaryOp::Add | BinaryOp::Sub, T::Duration, T::Duration) => T::Duration,
        (BinaryOp::Mul, T::Duration, T::Int) | (BinaryOp::Mul, T::Int, T::Duration) => T::Duration,
        (BinaryOp::Div, T::Duration, T::Int) => T::Duration,
        _ => return None,
    })
}

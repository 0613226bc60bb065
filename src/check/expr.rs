//! Expression typing.
//!
//! In: an expression and the [`Flow`] at its position. Out: its [`Type`] ([`Env::infer`])
//! or a check against an expected type ([`Env::expect`], which also validates `Email`,
//! `Phone`, `Url` and `Timestamp` literals in place), plus the narrowing facts a
//! condition proves ([`condition_facts`]).

use super::env::Env;
use super::errors::CheckError;
use super::flow::Flow;
use super::literals;
use super::types::{Type, named_type};

mod operators;
use crate::diagnostics::did_you_mean;
use crate::source::Span;
use crate::syntax::ast::{
    BinaryOp, Expr, ExprKind, RecordField, StringLit, StringPart, TypeExpr, TypeExprKind, UnaryOp,
};

/// The dotted path an expression names (`contact.phone`), if it is one.
pub fn path_of(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(id) => Some(id.node.clone()),
        ExprKind::Field { target, field } => path_of(target).map(|p| format!("{p}.{}", field.node)),
        ExprKind::Paren(inner) => path_of(inner),
        _ => None,
    }
}

/// A path proven non-null, with the comparison that proves it.
pub type Fact = (String, Span);

/// Paths proven non-null when `cond` is true, and when it is false.
pub fn condition_facts(cond: &Expr) -> (Vec<Fact>, Vec<Fact>) {
    match &cond.kind {
        ExprKind::Paren(inner) => condition_facts(inner),
        ExprKind::Unary { op, expr } if op.node == UnaryOp::Not => {
            let (t, f) = condition_facts(expr);
            (f, t)
        }
        ExprKind::Binary { op, lhs, rhs } => match op.node {
            BinaryOp::And => {
                let (mut ta, fa) = condition_facts(lhs);
                let (tb, fb) = condition_facts(rhs);
                ta.extend(tb);
                (ta, intersect(fa, &fb))
            }
            BinaryOp::Or => {
                let (ta, mut fa) = condition_facts(lhs);
                let (tb, fb) = condition_facts(rhs);
                fa.extend(fb);
                (intersect(ta, &tb), fa)
            }
            BinaryOp::Ne | BinaryOp::Eq => {
                let (path, other) = match (path_of(lhs), path_of(rhs)) {
                    (Some(p), _) if !matches!(rhs.kind, ExprKind::Name(_) | ExprKind::Field { .. }) => {
                        (p, &**rhs)
                    }
                    (_, Some(p)) if !matches!(lhs.kind, ExprKind::Name(_) | ExprKind::Field { .. }) => {
                        (p, &**lhs)
                    }
                    _ => return (Vec::new(), Vec::new()),
                };
                let is_null = matches!(other.kind, ExprKind::Null);
                let is_literal = matches!(
                    other.kind,
                    ExprKind::String(_)
                        | ExprKind::Int(_)
                        | ExprKind::Float(_)
                        | ExprKind::Bool(_)
                        | ExprKind::Duration(_)
                );
                let fact = vec![(path, cond.span)];
                match (op.node, is_null, is_literal) {
                    (BinaryOp::Ne, true, _) => (fact, Vec::new()),
                    (BinaryOp::Eq, true, _) => (Vec::new(), fact),
                    (BinaryOp::Eq, false, true) => (fact, Vec::new()),
                    _ => (Vec::new(), Vec::new()),
                }
            }
            _ => (Vec::new(), Vec::new()),
        },
        _ => (Vec::new(), Vec::new()),
    }
}

/// The facts of `a` whose path `b` also proves (with `a`'s proof).
fn intersect(mut a: Vec<Fact>, b: &[Fact]) -> Vec<Fact> {
    a.retain(|(p, _)| b.iter().any(|(q, _)| q == p));
    a
}

/// How to describe a value in "… may be null" messages.
fn describe(e: &Expr) -> (String, Option<String>) {
    match path_of(e) {
        Some(p) => (format!("`{p}`"), Some(p)),
        None => ("this value".to_string(), None),
    }
}

/// The base type a string literal is validated against, if any.
fn literal_format(want: &Type) -> Option<Type> {
    match want.non_null() {
        t @ (Type::Email | Type::Phone | Type::Url | Type::Timestamp) => Some(t),
        _ => None,
    }
}

impl Env {
    /// Checks `e` where a value of type `want` is needed; `context` names the place
    /// ("`to` of `contact.send_email`").
    pub fn expect(&mut self, e: &Expr, want: &Type, flow: &Flow, context: &str) {
        self.expect_kind(e, want, flow, context);
        // Literals checked against the expected type take that type.
        self.types.set_if_absent(e.id, || want.clone());
    }

    fn expect_kind(&mut self, e: &Expr, want: &Type, flow: &Flow, context: &str) {
        if want.is_error() {
            self.infer(e, flow);
            return;
        }
        match &e.kind {
            ExprKind::Paren(inner) => self.expect(inner, want, flow, context),
            ExprKind::Null if want.is_optional() || *want == Type::Json => {}
            ExprKind::String(lit) if literal_format(want).is_some() => {
                let format = literal_format(want).unwrap_or(Type::Error);
                self.expect_string_literal(e, lit, &format, flow, context);
            }
            ExprKind::Record(fields) => self.expect_record(e, fields, want, flow, context),
            ExprKind::List(items) => match want.non_null() {
                Type::List(item) => items.iter().for_each(|i| self.expect(i, &item, flow, context)),
                Type::Json => items.iter().for_each(|i| self.expect(i, &Type::Json, flow, context)),
                _ => {
                    let found = self.infer(e, flow);
                    self.assign(e, &found, want, flow, context);
                }
            },
            _ => {
                let found = self.infer(e, flow);
                self.assign(e, &found, want, flow, context);
            }
        }
    }

    fn expect_record(&mut self, e: &Expr, fields: &[RecordField], want: &Type, flow: &Flow, context: &str) {
        self.check_duplicate_keys(fields);
        match want.non_null() {
            Type::Record(rt) => {
                for f in fields {
                    if let Some(ft) = rt.field(&f.key.node) {
                        let ctx = format!("field `{}` of {context}", f.key.node);
                        self.expect(&f.value, ft, flow, &ctx);
                    } else if let Some(rest) = &rt.rest {
                        self.expect(&f.value, rest, flow, context);
                    } else {
                        let suggestion = did_you_mean(&f.key.node, rt.field_names()).map(str::to_string);
                        let owner = want.non_null().to_string();
                        self.error(CheckError::UnknownField {
                            owner,
                            field: f.key.node.clone(),
                            span: f.key.span,
                            suggestion,
                        });
                        self.infer(&f.value, flow);
                    }
                }
            }
            Type::Map(value) => {
                for f in fields {
                    self.expect(&f.value, &value, flow, context);
                }
            }
            Type::Json => {
                for f in fields {
                    self.expect(&f.value, &Type::Json, flow, context);
                }
            }
            _ => {
                let found = self.infer(e, flow);
                self.assign(e, &found, want, flow, context);
            }
        }
    }

    fn expect_string_literal(
        &mut self,
        e: &Expr,
        lit: &StringLit,
        format: &Type,
        flow: &Flow,
        context: &str,
    ) {
        let kind = format!("`{format}`");
        if let Some(text) = lit.as_plain() {
            let result = match format {
                Type::Email => literals::check_email(&text),
                Type::Phone => literals::check_phone(&text),
                Type::Url => literals::check_url(&text),
                _ => literals::check_timestamp(&text).map(|_| ()),
            };
            if let Err(reason) = result {
                self.error(CheckError::InvalidLiteral { kind, text, reason, span: e.span });
            }
            return;
        }
        self.infer_string(lit, flow);
        if *format == Type::Url {
            if let Err(reason) = literals::check_url_prefix(&lit.literal_prefix()) {
                let text = format!("{}${{…}}", lit.literal_prefix());
                self.error(CheckError::InvalidLiteral { kind, text, reason, span: e.span });
            }
            return;
        }
        self.error(CheckError::TypeMismatch {
            expected: format.clone(),
            found: Type::String,
            span: e.span,
            context: context.to_string(),
            help: Some(format!("an interpolated string is a `String`; convert it with `as {format}` (checked when the workflow runs)")),
        });
    }

    /// Reports why a value of type `found` does not fit `want`.
    pub fn assign(&mut self, e: &Expr, found: &Type, want: &Type, flow: &Flow, context: &str) {
        if want.accepts(found) {
            return;
        }
        let span = e.span;
        if found.contains_secret() {
            self.error(CheckError::SecretMisuse { span, usage: format!("passed as {context}") });
        } else if found.is_optional() && want.accepts(&found.non_null()) {
            let (what, path) = describe(e);
            let forgotten = path.as_deref().and_then(|p| flow.why_forgotten(p));
            self.error(CheckError::MaybeNull {
                what,
                span,
                path,
                context: format!("{context} expects `{want}`"),
                forgotten,
            });
        } else {
            let help = match (found, want.non_null()) {
                (Type::Json, w) => Some(format!("convert it with `as {w}` (checked when the workflow runs)")),
                (f, w @ (Type::Email | Type::Phone | Type::Url | Type::Timestamp))
                    if f.non_null().is_stringish() =>
                {
                    Some(format!("convert it with `as {w}` (checked when the workflow runs)"))
                }
                (Type::Int | Type::Float | Type::Bool, Type::String) => {
                    Some("use `string(…)` or `\"${…}\"`".to_string())
                }
                _ => None,
            };
            self.error(CheckError::TypeMismatch {
                expected: want.clone(),
                found: found.clone(),
                span,
                context: context.to_string(),
                help,
            });
        }
    }

    /// Checks a condition (`if`, `where`, `expect`, `and`…).
    pub fn expect_bool(&mut self, e: &Expr, flow: &Flow, context: &'static str) {
        let t = self.infer(e, flow);
        if !matches!(t, Type::Bool | Type::Error) {
            self.error(CheckError::NonBool { found: t, span: e.span, context });
        }
    }

    /// The type of an expression.
    pub fn infer(&mut self, e: &Expr, flow: &Flow) -> Type {
        let t = self.infer_kind(e, flow);
        self.types.set(e.id, t.clone());
        t
    }

    fn infer_kind(&mut self, e: &Expr, flow: &Flow) -> Type {
        match &e.kind {
            ExprKind::Null => Type::Null,
            ExprKind::Bool(_) => Type::Bool,
            ExprKind::Int(_) => Type::Int,
            ExprKind::Float(_) => Type::Float,
            ExprKind::Duration(_) => Type::Duration,
            ExprKind::String(lit) => self.infer_string(lit, flow),
            ExprKind::List(items) => {
                let mut elem = Type::Never;
                for item in items {
                    let t = self.infer(item, flow);
                    elem = unify(elem, t);
                }
                Type::list(elem)
            }
            ExprKind::Record(fields) => {
                self.check_duplicate_keys(fields);
                let fields =
                    fields.iter().map(|f| (f.key.node.clone(), self.infer(&f.value, flow))).collect();
                Type::record(None, fields)
            }
            ExprKind::Name(id) => self.resolve_name(id, flow),
            ExprKind::Field { target, field } => {
                let target_ty = self.infer(target, flow);
                let target_ty = self.require_value(target, target_ty, flow, "its fields need a value");
                let ty = match target_ty {
                    Type::Error | Type::Json => target_ty,
                    Type::Map(value) => *value,
                    Type::Record(rt) => match rt.field(&field.node) {
                        Some(t) => t.clone(),
                        None if rt.rest.is_some() => rt.rest.clone().unwrap_or(Type::Json),
                        None => {
                            let suggestion = did_you_mean(&field.node, rt.field_names()).map(str::to_string);
                            let owner =
                                path_of(target).unwrap_or_else(|| Type::Record(rt.clone()).to_string());
                            self.error(CheckError::UnknownField {
                                owner,
                                field: field.node.clone(),
                                span: field.span,
                                suggestion,
                            });
                            Type::Error
                        }
                    },
                    other => {
                        let owner = other.to_string();
                        self.error(CheckError::UnknownField {
                            owner,
                            field: field.node.clone(),
                            span: field.span,
                            suggestion: None,
                        });
                        Type::Error
                    }
                };
                match path_of(e) {
                    Some(p) => super::env::narrowed(ty, &p, flow),
                    None => ty,
                }
            }
            ExprKind::Index { target, index } => {
                let target_ty = self.infer(target, flow);
                let target_ty = self.require_value(target, target_ty, flow, "indexing needs a value");
                match target_ty {
                    Type::Error => Type::Error,
                    Type::Json => {
                        let it = self.infer(index, flow);
                        if !matches!(it.non_null(), Type::Int | Type::String | Type::Json | Type::Error) {
                            self.invalid_operands("[]", Type::Json, Some(it), e, None);
                        }
                        Type::Json
                    }
                    Type::List(item) => {
                        self.expect(index, &Type::Int, flow, "a list index");
                        Type::optional(*item)
                    }
                    Type::Map(value) => {
                        self.expect(index, &Type::String, flow, "a record key");
                        Type::optional(*value)
                    }
                    other => {
                        self.infer(index, flow);
                        self.invalid_operands(
                            "[]",
                            other,
                            None,
                            e,
                            Some("only lists, records and `Json` can be indexed"),
                        );
                        Type::Error
                    }
                }
            }
            ExprKind::Call { function, args } => self.call_builtin(e, function, args, flow),
            ExprKind::Cast { expr, ty } => {
                let from = self.infer(expr, flow);
                let to = self.resolve_type(ty);
                self.check_cast(e, &from, &to);
                to
            }
            ExprKind::Unary { op, expr } => match op.node {
                UnaryOp::Not => {
                    self.expect_bool(expr, flow, "the operand of `not`");
                    Type::Bool
                }
                UnaryOp::Neg => {
                    let t = self.infer(expr, flow);
                    let t = self.require_value(expr, t, flow, "`-` needs a value");
                    match t {
                        Type::Int | Type::Float | Type::Duration | Type::Error => t,
                        other => {
                            self.invalid_operands("-", other, None, e, None);
                            Type::Error
                        }
                    }
                }
            },
            ExprKind::Binary { op, lhs, rhs } => self.infer_binary(e, op.node, lhs, rhs, flow),
            ExprKind::Paren(inner) => self.infer(inner, flow),
        }
    }

    fn infer_string(&mut self, lit: &StringLit, flow: &Flow) -> Type {
        for part in &lit.parts {
            if let StringPart::Interp(inner) = part {
                let t = self.infer(inner, flow);
                if t.contains_secret() {
                    self.error(CheckError::SecretMisuse {
                        span: inner.span,
                        usage: "interpolated into a string".into(),
                    });
                }
            }
        }
        Type::String
    }

    fn check_duplicate_keys(&mut self, fields: &[RecordField]) {
        for (i, f) in fields.iter().enumerate() {
            if let Some(first) = fields.iter().take(i).find(|g| g.key.node == f.key.node) {
                self.error(CheckError::DuplicateClause {
                    what: format!("field `{}`", f.key.node),
                    span: f.key.span,
                    first: first.key.span,
                });
            }
        }
    }

    /// An optional value used where a value is needed: reported, then treated as present.
    fn require_value(&mut self, e: &Expr, t: Type, flow: &Flow, context: &str) -> Type {
        if let Type::Optional(inner) = t {
            let (what, path) = describe(e);
            let forgotten = path.as_deref().and_then(|p| flow.why_forgotten(p));
            let context = context.to_string();
            self.error(CheckError::MaybeNull { what, span: e.span, path, context, forgotten });
            *inner
        } else if t == Type::Null {
            Type::Error
        } else {
            t
        }
    }

    fn invalid_operands(
        &mut self,
        op: &'static str,
        left: Type,
        right: Option<Type>,
        e: &Expr,
        help: Option<&str>,
    ) {
        self.error(CheckError::InvalidOperands {
            op,
            left,
            right,
            span: e.span,
            help: help.map(str::to_string),
        });
    }

    /// Resolves a written type; unknown names are reported.
    pub fn resolve_type(&mut self, t: &TypeExpr) -> Type {
        match &t.kind {
            TypeExprKind::Named(name) => named_type(name).unwrap_or_else(|| {
                let suggestion = did_you_mean(name, super::types::TYPE_NAMES).map(str::to_string);
                self.error(CheckError::UnknownType { name: name.clone(), span: t.span, suggestion });
                Type::Error
            }),
            TypeExprKind::List(inner) => Type::list(self.resolve_type(inner)),
            TypeExprKind::Optional(inner) => Type::optional(self.resolve_type(inner)),
            TypeExprKind::Record(fields) => {
                let mut out: Vec<(String, Type)> = Vec::new();
                for (i, f) in fields.iter().enumerate() {
                    if let Some(first) = fields.iter().take(i).find(|g| g.name.node == f.name.node) {
                        self.error(CheckError::DuplicateClause {
                            what: format!("field `{}`", f.name.node),
                            span: f.name.span,
                            first: first.name.span,
                        });
                        continue;
                    }
                    out.push((f.name.node.clone(), self.resolve_type(&f.ty)));
                }
                Type::record(None, out)
            }
        }
    }

    fn check_cast(&mut self, e: &Expr, from: &Type, to: &Type) {
        if from.contains_secret() || to.contains_secret() {
            self.error(CheckError::SecretMisuse { span: e.span, usage: "converted with `as`".into() });
            return;
        }
        let base = from.non_null();
        let ok = match (&base, to) {
            (Type::Error, _) | (_, Type::Error) | (Type::Json, _) => true,
            (a, b) if b.accepts(a) => true,
            (a, Type::Email | Type::Phone | Type::Url | Type::Timestamp | Type::Int | Type::Float) => {
                a.is_stringish()
            }
            _ => false,
        };
        if !ok {
            let help = match (&base, to) {
                (Type::Float, Type::Int) => Some("use `round(…)`, `floor(…)` or `ceil(…)`".to_string()),
                (_, Type::String) => Some("use `string(…)` to get a value's text".to_string()),
                _ => None,
            };
            self.error(CheckError::InvalidCast { from: from.clone(), to: to.clone(), span: e.span, help });
        }
    }
}

/// The element type of a list holding values of types `a` and `b`.
fn unify(a: Type, b: Type) -> Type {
    if a.accepts(&b) {
        a
    } else if b.accepts(&a) {
        b
    } else if a == Type::Null || b == Type::Null {
        Type::optional(if a == Type::Null { b } else { a })
    } else if a.is_stringish() && b.is_stringish() {
        Type::String
    } else {
        Type::Json
    }
}

//! Behavioural tests of the parser: AST shapes, and codes with spans for errors.

mod errors;
mod examples;
mod exprs;
mod items;
mod limits;

use super::ast::{Expr, ExprKind, Item, StmtKind, StringPart, Test, TypeExpr, TypeExprKind, Workflow};
use super::parse;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::FileId;

/// Parses `text`, which must have no syntax errors.
fn parse_ok(text: &str) -> super::ast::File {
    let out = parse(FileId(0), text);
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    out.file
}

/// The diagnostics of `text`.
fn diagnostics(text: &str) -> Vec<Diagnostic> {
    parse(FileId(0), text).diagnostics
}

/// Each diagnostic's code and the text its primary label covers.
fn codes_at(text: &str) -> Vec<(Code, String)> {
    diagnostics(text).iter().map(|d| (d.code, text.get(d.span().range()).unwrap_or("?").to_owned())).collect()
}

fn workflows(file: &super::ast::File) -> Vec<&Workflow> {
    file.items
        .iter()
        .filter_map(|i| match i {
            Item::Workflow(w) => Some(w),
            Item::Test(_) => None,
        })
        .collect()
}

fn tests_of(file: &super::ast::File) -> Vec<&Test> {
    file.items
        .iter()
        .filter_map(|i| match i {
            Item::Test(t) => Some(t),
            Item::Workflow(_) => None,
        })
        .collect()
}

/// A workflow around `body`, with its header.
fn in_workflow(body: &str) -> String {
    format!("workflow w {{\n  scope workspace\n  trigger Contact.Identified\n{body}\n}}\n")
}

/// The expression `src`, parsed as `let x = <src>`.
fn expr(src: &str) -> Expr {
    let file = parse_ok(&in_workflow(&format!("  let x = {src}")));
    let stmt = workflows(&file).first().and_then(|w| w.body.stmts.first().cloned());
    match stmt.map(|s| s.kind) {
        Some(StmtKind::Let { value, .. }) => value,
        other => panic!("not a let: {other:?}"),
    }
}

/// A compact form of an expression tree: `(op lhs rhs)`.
fn sexp(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Float(x) => format!("{x:?}"),
        ExprKind::Duration(d) => format!("{}ms", d.millis),
        ExprKind::String(s) => {
            let parts: Vec<String> = s
                .parts
                .iter()
                .map(|p| match p {
                    StringPart::Text(t) => format!("{:?}", t.node),
                    StringPart::Interp(e) => format!("${{{}}}", sexp(e)),
                })
                .collect();
            format!("(str {})", parts.join(" "))
        }
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(sexp).collect();
            format!("[{}]", items.join(" "))
        }
        ExprKind::Record(fields) => {
            let fields: Vec<String> =
                fields.iter().map(|f| format!("{}: {}", f.key.node, sexp(&f.value))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        ExprKind::Name(n) => n.node.clone(),
        ExprKind::Field { target, field } => format!("(. {} {})", sexp(target), field.node),
        ExprKind::Index { target, index } => format!("([] {} {})", sexp(target), sexp(index)),
        ExprKind::Call { function, args } => {
            let args: Vec<String> = args.iter().map(sexp).collect();
            format!("({} {})", function.node, args.join(" "))
        }
        ExprKind::Cast { expr, ty } => format!("(as {} {})", sexp(expr), type_text(ty)),
        ExprKind::Unary { op, expr } => format!("({} {})", op.node.symbol(), sexp(expr)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.node.symbol(), sexp(lhs), sexp(rhs))
        }
        ExprKind::Paren(inner) => format!("(paren {})", sexp(inner)),
    }
}

fn type_text(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeExprKind::Named(n) => n.clone(),
        TypeExprKind::List(t) => format!("List<{}>", type_text(t)),
        TypeExprKind::Record(fields) => {
            let fields: Vec<String> =
                fields.iter().map(|f| format!("{}: {}", f.name.node, type_text(&f.ty))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        TypeExprKind::Optional(t) => format!("{}?", type_text(t)),
    }
}

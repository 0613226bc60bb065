//! Layout of expressions, types and comma-separated lists.
//!
//! In: AST expressions and types. Out: their text through the [`Printer`]. Literals are
//! written exactly as in the source (strings with their escapes and `${…}`, numbers and
//! durations as spelled: `1_000`, `1h30m`); everything else is rebuilt with one space
//! around binary operators and after `,` and `:`. A list, record, argument list or form
//! stays on one line when it fits (and holds no comment), else it is broken one element
//! per line with a trailing comma; a record or list that is the last argument of a call
//! may "hug" the parentheses (`f(a, {` … `})`).

use super::printer::{Blank, Printer};
use crate::source::Span;
use crate::syntax::ast::{Arg, Expr, ExprKind, FormField, RecordField, TypeExpr, TypeExprKind, UnaryOp};

/// The brackets around a comma-separated list, with their source positions.
#[derive(Clone, Copy, Debug)]
pub(super) struct Delims {
    pub open: usize,
    pub open_text: &'static str,
    /// The position of the closing bracket.
    pub close: usize,
    pub close_text: &'static str,
    /// A space inside the brackets when on one line (`{ a: 1 }`, not `[1]`).
    pub pad: bool,
}

impl Delims {
    pub(super) fn braces(span: Span) -> Delims {
        Delims::around(span, "{", "}", true)
    }

    pub(super) fn around(span: Span, open: &'static str, close: &'static str, pad: bool) -> Delims {
        Delims {
            open: span.start as usize,
            open_text: open,
            close: (span.end as usize).saturating_sub(1),
            close_text: close,
            pad,
        }
    }
}

/// How one element of a list is written and where it is.
pub(super) trait Element {
    fn span(&self) -> Span;
    fn write(&self, p: &mut Printer<'_>, trail: usize);
    /// The record or list literal this element ends with, if it may hug the brackets.
    fn huggable(&self) -> Option<&Expr> {
        None
    }
    /// How wide the element's text is before its huggable literal (`name: `).
    fn head_width(&self) -> usize {
        0
    }
}

impl Element for Expr {
    fn span(&self) -> Span {
        self.span
    }
    fn write(&self, p: &mut Printer<'_>, trail: usize) {
        expr(p, self, trail);
    }
    fn huggable(&self) -> Option<&Expr> {
        huggable(self)
    }
}

impl Element for Arg {
    fn span(&self) -> Span {
        self.span
    }
    fn write(&self, p: &mut Printer<'_>, trail: usize) {
        if let Some(name) = &self.name {
            p.token(name.span.start as usize, &name.node);
            p.text(": ");
        }
        expr(p, &self.value, trail);
    }
    fn huggable(&self) -> Option<&Expr> {
        huggable(&self.value)
    }
    fn head_width(&self) -> usize {
        self.name.as_ref().map_or(0, |name| name.node.len() + ": ".len())
    }
}

impl Element for RecordField {
    fn span(&self) -> Span {
        self.key.span.to(self.value.span)
    }
    fn write(&self, p: &mut Printer<'_>, trail: usize) {
        if self.quoted {
            p.verbatim(self.key.span);
        } else {
            p.token(self.key.span.start as usize, &self.key.node);
        }
        p.text(": ");
        expr(p, &self.value, trail);
    }
}

impl Element for FormField {
    fn span(&self) -> Span {
        self.name.span.to(self.ty.span)
    }
    fn write(&self, p: &mut Printer<'_>, trail: usize) {
        p.token(self.name.span.start as usize, &self.name.node);
        p.text(": ");
        type_expr(p, &self.ty, trail);
    }
}

fn huggable(value: &Expr) -> Option<&Expr> {
    match &value.kind {
        ExprKind::Record(fields) if !fields.is_empty() => Some(value),
        ExprKind::List(items) if !items.is_empty() => Some(value),
        _ => None,
    }
}

/// A comma-separated list between `delims`; `trail` is how many columns must follow
/// the closing bracket on its line.
pub(super) fn seq<T: Element>(p: &mut Printer<'_>, delims: Delims, items: &[T], trail: usize) {
    let has_comments = p.has_comments(delims.open, delims.close);
    let Some(last) = items.last() else {
        p.token(delims.open, delims.open_text);
        if has_comments {
            p.brk(p.indent + 1, Blank::Never, false);
            p.flush_before(delims.close);
            p.brk(p.indent, Blank::Never, false);
        }
        p.close(delims.close, delims.close_text);
        return;
    };
    if p.flat {
        flat(p, delims, items);
        return;
    }
    p.flush_before(delims.open);
    if !has_comments {
        let mark = p.mark();
        p.flat = true;
        flat(p, delims, items);
        p.flat = false;
        if p.fits_since(mark, trail) && !p.broke_since(mark) {
            return;
        }
        p.rewind(mark);
        if last.huggable().is_some() && hug(p, delims, items, trail) {
            return;
        }
        p.rewind(mark);
    } else if let Some(record) = last.huggable() {
        let last_span = last.span();
        let clean_head = !p.has_comments(delims.open, record.span.start as usize);
        let clean_tail = !p.has_comments(last_span.end as usize, delims.close);
        if clean_head && clean_tail {
            let mark = p.mark();
            if hug(p, delims, items, trail) {
                return;
            }
            p.rewind(mark);
        }
    }
    broken(p, delims, items);
}

fn flat<T: Element>(p: &mut Printer<'_>, delims: Delims, items: &[T]) {
    p.token(delims.open, delims.open_text);
    if delims.pad {
        p.text(" ");
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            p.text(", ");
        }
        item.write(p, 0);
    }
    if delims.pad {
        p.text(" ");
    }
    p.close(delims.close, delims.close_text);
}

/// `f(a, b, {` … `})`: the elements before the last on the opening line, the last one
/// (a record or list literal) laid out on its own. False when the opening line does
/// not fit; decided before the last element is laid out, so that a failed hug costs
/// no more than the elements before it (and nested hugs stay linear).
fn hug<T: Element>(p: &mut Printer<'_>, delims: Delims, items: &[T], trail: usize) -> bool {
    let mark = p.mark();
    p.token(delims.open, delims.open_text);
    let count = items.len();
    for (i, item) in items.iter().enumerate() {
        if i + 1 == count {
            if p.broke_since(mark) || !p.fits_since(mark, item.head_width() + 1) {
                return false;
            }
            item.write(p, delims.close_text.len() + trail);
        } else {
            p.flat = true;
            item.write(p, 0);
            p.flat = false;
            p.text(", ");
        }
    }
    p.close(delims.close, delims.close_text);
    true
}

fn broken<T: Element>(p: &mut Printer<'_>, delims: Delims, items: &[T]) {
    p.token(delims.open, delims.open_text);
    let outer = p.indent;
    p.indent = outer + 1;
    for item in items {
        p.brk(outer + 1, Blank::Never, false);
        item.write(p, 1);
        p.text(",");
    }
    p.indent = outer;
    p.brk(outer, Blank::Never, false);
    p.close(delims.close, delims.close_text);
}

/// An expression; `trail` columns follow it on its line.
pub(super) fn expr(p: &mut Printer<'_>, e: &Expr, trail: usize) {
    let start = e.span.start as usize;
    match &e.kind {
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Duration(_)
        | ExprKind::String(_) => p.verbatim(e.span),
        ExprKind::Name(name) => p.token(start, &name.node),
        ExprKind::List(items) => seq(p, Delims::around(e.span, "[", "]", false), items, trail),
        ExprKind::Record(fields) => seq(p, Delims::braces(e.span), fields, trail),
        ExprKind::Field { target, field } => {
            expr(p, target, 0);
            p.token((field.span.start as usize).saturating_sub(1), ".");
            p.text(&field.node);
        }
        ExprKind::Index { target, index } => {
            expr(p, target, 0);
            p.token(p.next_token(target.span.end as usize), "[");
            expr(p, index, 1 + trail);
            p.close((e.span.end as usize).saturating_sub(1), "]");
        }
        ExprKind::Call { function, args } => {
            p.token(start, &function.node);
            let open = function.span.end as usize;
            let close = (e.span.end as usize).saturating_sub(1);
            let delims = Delims { open, open_text: "(", close, close_text: ")", pad: false };
            seq(p, delims, args, trail);
        }
        ExprKind::Cast { expr: inner, ty } => {
            expr(p, inner, 0);
            p.space();
            p.token(p.next_token(inner.span.end as usize), "as");
            p.space();
            type_expr(p, ty, trail);
        }
        ExprKind::Unary { op, expr: inner } => {
            p.token(op.span.start as usize, op.node.symbol());
            if op.node == UnaryOp::Not {
                p.space();
            }
            expr(p, inner, trail);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            expr(p, lhs, 0);
            p.space();
            p.token(op.span.start as usize, op.node.symbol());
            p.space();
            expr(p, rhs, trail);
        }
        ExprKind::Paren(inner) => {
            p.token(start, "(");
            expr(p, inner, 1 + trail);
            p.close((e.span.end as usize).saturating_sub(1), ")");
        }
    }
}

/// A type: `String`, `Email?`, `List<Int>`, `{ name: String }`.
pub(super) fn type_expr(p: &mut Printer<'_>, ty: &TypeExpr, trail: usize) {
    match &ty.kind {
        TypeExprKind::Named(name) => p.token(ty.span.start as usize, name),
        TypeExprKind::List(element) => {
            p.token(ty.span.start as usize, "List");
            p.text("<");
            type_expr(p, element, 1 + trail);
            p.text(">");
        }
        TypeExprKind::Record(fields) => seq(p, Delims::braces(ty.span), fields, trail),
        TypeExprKind::Optional(inner) => {
            type_expr(p, inner, 1 + trail);
            p.text("?");
        }
    }
}

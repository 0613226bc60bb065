//! Expressions: precedence with pest's `PrattParser`, primaries, records and calls.
//!
//! In: an `expr` pair (a flat run of prefix operators, primaries, postfix and infix
//! operators). Out: an [`Expr`] tree.
//!
//! Depth is bounded twice: more than [`MAX_EXPR_DEPTH`] prefix operators in one run are
//! refused before the Pratt parser (which recurses once per prefix operator) sees
//! them, and every node knows its depth, so a tree deeper than the limit is never
//! built (K0005). Nested brackets are already bounded by the prescan.

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, ConstPrattParser, Op};

use super::literal::{number, string_literal, type_expr};
use super::{Build, Ctx, Parts, Rule, is_reserved};
use crate::source::Span;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, RecordField, Spanned, UnaryOp};
use crate::syntax::errors::{Expected, MAX_EXPR_DEPTH, SyntaxError};

/// Precedence, lowest first (language.md §5). One rule per level of binary operators;
/// [`binary_op`] tells the operators of a level apart.
static PRATT: ConstPrattParser<Rule, 11> = ConstPrattParser::new_const([
    (Op::infix(Rule::op_coalesce, Assoc::Left), true),
    (Op::infix(Rule::op_or, Assoc::Left), true),
    (Op::infix(Rule::op_and, Assoc::Left), true),
    (Op::prefix(Rule::op_not), true),
    (Op::infix(Rule::op_compare, Assoc::Left), true),
    (Op::infix(Rule::op_add, Assoc::Left), true),
    (Op::infix(Rule::op_mul, Assoc::Left), true),
    (Op::prefix(Rule::op_neg), true),
    (Op::postfix(Rule::field_access), true),
    (Op::postfix(Rule::index_access), false),
    (Op::postfix(Rule::cast), false),
]);

/// An expression and the depth of its tree (a leaf is 1).
pub(super) type Deep = (Expr, u32);

/// Builds an `expr` pair.
pub(super) fn expr(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Expr> {
    expr_deep(cx, pair).map(|(expr, _)| expr)
}

/// Builds a `record` pair (test `event { … }`, `ok { … }`, …).
pub(super) fn record_expr(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Expr> {
    primary(cx, pair).map(|(expr, _)| expr)
}

pub(super) fn expr_deep(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Deep> {
    let mut inner = pair.into_inner();
    if inner.len() == 1
        && let Some(only) = inner.next()
    {
        return primary(cx, only);
    }
    let limit = usize::try_from(MAX_EXPR_DEPTH).unwrap_or(usize::MAX);
    let too_many_prefixes =
        inner.clone().filter(|p| matches!(p.as_rule(), Rule::op_not | Rule::op_neg)).nth(limit);
    if let Some(op) = too_many_prefixes {
        return Err(SyntaxError::ExpressionTooDeep { at: cx.span(&op) });
    }
    PRATT
        .map_primary(|p| primary(cx, p))
        .map_prefix(|op, rhs| unary(cx, &op, rhs?))
        .map_postfix(|lhs, op| postfix(cx, lhs?, op))
        .map_infix(|lhs, op, rhs| binary(cx, lhs?, &op, rhs?))
        .parse(inner)
}

/// A node of depth `depth`, unless that is too deep (reported at `at`).
fn node(cx: &Ctx, kind: ExprKind, span: Span, depth: u32, at: Span) -> Build<Deep> {
    if depth > MAX_EXPR_DEPTH {
        return Err(SyntaxError::ExpressionTooDeep { at });
    }
    Ok((cx.expr(kind, span), depth))
}

fn unary(cx: &Ctx, op: &Pair<'_, Rule>, (rhs, depth): Deep) -> Build<Deep> {
    let at = cx.span(op);
    let op = match op.as_rule() {
        Rule::op_not => UnaryOp::Not,
        Rule::op_neg => UnaryOp::Neg,
        _ => return Err(cx.internal(op)),
    };
    let span = at.to(rhs.span);
    let kind = ExprKind::Unary { op: Spanned::new(op, at), expr: Box::new(rhs) };
    node(cx, kind, span, depth + 1, at)
}

fn binary_op(op: &Pair<'_, Rule>) -> Option<BinaryOp> {
    Some(match (op.as_rule(), op.as_str()) {
        (Rule::op_coalesce, _) => BinaryOp::Coalesce,
        (Rule::op_or, _) => BinaryOp::Or,
        (Rule::op_and, _) => BinaryOp::And,
        (Rule::op_compare, "==") => BinaryOp::Eq,
        (Rule::op_compare, "!=") => BinaryOp::Ne,
        (Rule::op_compare, "<") => BinaryOp::Lt,
        (Rule::op_compare, "<=") => BinaryOp::Le,
        (Rule::op_compare, ">") => BinaryOp::Gt,
        (Rule::op_compare, ">=") => BinaryOp::Ge,
        (Rule::op_compare, "in") => BinaryOp::In,
        (Rule::op_compare, "contains") => BinaryOp::Contains,
        (Rule::op_add, "+") => BinaryOp::Add,
        (Rule::op_add, "-") => BinaryOp::Sub,
        (Rule::op_mul, "*") => BinaryOp::Mul,
        (Rule::op_mul, "/") => BinaryOp::Div,
        (Rule::op_mul, "%") => BinaryOp::Rem,
        _ => return None,
    })
}

fn binary(cx: &Ctx, (lhs, lhs_depth): Deep, op: &Pair<'_, Rule>, (rhs, rhs_depth): Deep) -> Build<Deep> {
    let at = cx.span(op);
    let op = binary_op(op).ok_or_else(|| cx.internal(op))?;
    if op.is_comparison()
        && let ExprKind::Binary { op: first, .. } = &lhs.kind
        && first.node.is_comparison()
    {
        // `a < b < c`: keep `a < b`, so later stages see one comparison.
        cx.report(SyntaxError::ChainedComparison { first: first.span, second: at });
        return Ok((lhs, lhs_depth));
    }
    let span = lhs.span.to(rhs.span);
    let kind = ExprKind::Binary { op: Spanned::new(op, at), lhs: Box::new(lhs), rhs: Box::new(rhs) };
    node(cx, kind, span, lhs_depth.max(rhs_depth) + 1, at)
}

fn postfix(cx: &Ctx, (target, depth): Deep, op: Pair<'_, Rule>) -> Build<Deep> {
    let op_span = cx.span(&op);
    let span = target.span.to(op_span);
    match op.as_rule() {
        Rule::field_access => {
            let kind = ExprKind::Field { target: Box::new(target), field: cx.word_at(&op, 1) };
            node(cx, kind, span, depth + 1, op_span)
        }
        Rule::index_access => {
            let index = Parts::of(cx, op).expect_rule(Rule::expr)?;
            let (index, index_depth) = expr_deep(cx, index)?;
            let kind = ExprKind::Index { target: Box::new(target), index: Box::new(index) };
            node(cx, kind, span, depth.max(index_depth) + 1, op_span)
        }
        Rule::cast => {
            let ty = Parts::of(cx, op).expect_rule(Rule::type_expr)?;
            let kind = ExprKind::Cast { expr: Box::new(target), ty: type_expr(cx, ty)? };
            node(cx, kind, span, depth + 1, op_span)
        }
        _ => Err(cx.internal(&op)),
    }
}

/// The deepest of some sub-expressions, plus one for the node that holds them.
fn holder_depth(depths: impl Iterator<Item = u32>) -> u32 {
    depths.max().unwrap_or(0) + 1
}

pub(super) fn primary(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Deep> {
    let span = cx.span(&pair);
    match pair.as_rule() {
        Rule::name_or_call => name_or_call(cx, pair, span),
        Rule::number => node(cx, number(cx, &pair), span, 1, span),
        Rule::string => {
            let (literal, depth) = string_literal(cx, pair)?;
            node(cx, ExprKind::String(literal), span, depth, span)
        }
        Rule::paren => {
            let inner = Parts::of(cx, pair).expect_rule(Rule::expr)?;
            let (inner, depth) = expr_deep(cx, inner)?;
            node(cx, ExprKind::Paren(Box::new(inner)), span, depth + 1, span)
        }
        Rule::list => {
            let items = Parts::of(cx, pair).map(|p| expr_deep(cx, p)).collect::<Build<Vec<Deep>>>()?;
            let depth = holder_depth(items.iter().map(|(_, d)| *d));
            let items = items.into_iter().map(|(e, _)| e).collect();
            node(cx, ExprKind::List(items), span, depth, span)
        }
        Rule::record => {
            let fields = Parts::of(cx, pair)
                .map(|p| record_field(cx, p))
                .collect::<Build<Vec<(RecordField, u32)>>>()?;
            let depth = holder_depth(fields.iter().map(|(_, d)| *d));
            let fields = fields.into_iter().map(|(f, _)| f).collect();
            node(cx, ExprKind::Record(fields), span, depth, span)
        }
        _ => Err(cx.internal(&pair)),
    }
}

/// A name, a literal word (`true`, `false`, `null`) or a built-in call.
fn name_or_call(cx: &Ctx, pair: Pair<'_, Rule>, span: Span) -> Build<Deep> {
    let name = cx.word_at(&pair, 0);
    let args = Parts::of(cx, pair).next();
    let word = name.node.as_str();
    let literal = match word {
        "true" => Some(ExprKind::Bool(true)),
        "false" => Some(ExprKind::Bool(false)),
        "null" => Some(ExprKind::Null),
        _ => None,
    };
    let value_word = matches!(word, "event" | "contact");
    if (literal.is_some() && args.is_some()) || (!value_word && literal.is_none() && is_reserved(word)) {
        return Err(SyntaxError::ReservedWord {
            at: name.span,
            word: word.to_owned(),
            expected: Expected::Expression,
        });
    }
    if let Some(literal) = literal {
        return node(cx, literal, span, 1, span);
    }
    let Some(args) = args else {
        return node(cx, ExprKind::Name(name), span, 1, span);
    };
    let args = Parts::of(cx, args).map(|p| expr_deep(cx, p)).collect::<Build<Vec<Deep>>>()?;
    let depth = holder_depth(args.iter().map(|(_, d)| *d));
    let args = args.into_iter().map(|(e, _)| e).collect();
    node(cx, ExprKind::Call { function: name, args }, span, depth, span)
}

/// `key: value`, the key a word or a plain string.
fn record_field(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<(RecordField, u32)> {
    let mut parts = Parts::of(cx, pair);
    let key_pair = parts.expect()?;
    let (key, quoted) = match key_pair.as_rule() {
        Rule::word => (cx.ident(&key_pair), false),
        Rule::string => (super::literal::plain_string(cx, key_pair, "a record key")?, true),
        _ => return Err(cx.internal(&key_pair)),
    };
    let (value, depth) = expr_deep(cx, parts.expect_rule(Rule::expr)?)?;
    Ok((RecordField { key, quoted, value }, depth))
}

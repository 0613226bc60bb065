//! Literal tokens and types: strings (escapes, `${…}`), numbers, durations, counts,
//! and type expressions.
//!
//! In: `string`, `number`, `duration`, `count` and `type_expr` pairs. Out: AST values.
//! Bad numbers and durations are reported and replaced by `0`, so the rest of the item
//! is still built and checked.

use pest::iterators::Pair;

use super::expr::expr_deep;
use super::{Build, Ctx, Parts, Rule};
use crate::source::Span;
use crate::syntax::ast::{
    Duration, ExprKind, FormField, Spanned, StringLit, StringPart, TypeExpr, TypeExprKind,
};
use crate::syntax::errors::{MAX_NESTING, SyntaxError};
use crate::syntax::literals::{Number, NumberProblem, decode_escape, decode_number};

/// A string literal and the depth of its deepest interpolation (1 without any).
pub(super) fn string_literal(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<(StringLit, u32)> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut text_span: Option<Span> = None;
    let mut depth = 1;
    let flush = |parts: &mut Vec<StringPart>, text: &mut String, span: &mut Option<Span>| {
        if let Some(span) = span.take() {
            parts.push(StringPart::Text(Spanned::new(std::mem::take(text), span)));
        }
    };
    for part in pair.into_inner() {
        let span = cx.span(&part);
        match part.as_rule() {
            Rule::string_text => text.push_str(part.as_str()),
            Rule::string_escape => {
                let raw = part.as_str();
                // Invalid escapes were reported by the prescan; keep them as written.
                match decode_escape(raw.get(1..).unwrap_or("")) {
                    (_, Ok(c)) => text.push(c),
                    (_, Err(_)) => text.push_str(raw),
                }
            }
            Rule::string_interp => {
                flush(&mut parts, &mut text, &mut text_span);
                let inner = Parts::of(cx, part).expect_rule(Rule::expr)?;
                let (expr, inner_depth) = expr_deep(cx, inner)?;
                depth = depth.max(inner_depth + 1);
                parts.push(StringPart::Interp(expr));
                continue;
            }
            _ => return Err(cx.internal(&part)),
        }
        text_span = Some(text_span.map_or(span, |s| s.to(span)));
    }
    flush(&mut parts, &mut text, &mut text_span);
    Ok((StringLit { parts }, depth))
}

/// A string that may not interpolate (ids, test names, record keys); an interpolated
/// one is reported and its text before the first `${` is used.
pub(super) fn plain_string(cx: &Ctx, pair: Pair<'_, Rule>, what: &'static str) -> Build<Spanned<String>> {
    let span = cx.span(&pair);
    let (literal, _) = string_literal(cx, pair)?;
    let text = match literal.as_plain() {
        Some(text) => text,
        None => {
            cx.report(SyntaxError::NotPlainString { at: span, what });
            literal.literal_prefix()
        }
    };
    Ok(Spanned::new(text, span))
}

/// Reports a number that has no value; `span` is the token's.
fn report_number_problem(cx: &Ctx, span: Span, text: &str, problem: NumberProblem) {
    match problem {
        NumberProblem::TooLarge => {
            cx.report(SyntaxError::NumberOutOfRange { at: span, text: text.to_owned() })
        }
        NumberProblem::Duration(range, problem) => {
            let start = span.start as usize;
            cx.report(SyntaxError::InvalidDuration {
                at: Span::new(start + range.start, start + range.end),
                problem,
            });
        }
    }
}

/// A number in an expression: an integer, a float or a duration.
pub(super) fn number(cx: &Ctx, pair: &Pair<'_, Rule>) -> ExprKind {
    let text = pair.as_str();
    match decode_number(text) {
        Ok(Number::Int(n)) => ExprKind::Int(n),
        Ok(Number::Float(x)) => ExprKind::Float(x),
        Ok(Number::Duration(millis)) => ExprKind::Duration(Duration { millis }),
        Err(problem) => {
            report_number_problem(cx, cx.span(pair), text, problem);
            if text.bytes().any(|b| b.is_ascii_alphabetic()) {
                ExprKind::Duration(Duration { millis: 0 })
            } else {
                ExprKind::Int(0)
            }
        }
    }
}

/// A `duration` token (after `backoff`, `timeout`, `took`).
pub(super) fn duration(cx: &Ctx, pair: &Pair<'_, Rule>) -> Spanned<Duration> {
    let span = cx.span(pair);
    let text = pair.as_str();
    let millis = match decode_number(text) {
        Ok(Number::Duration(millis)) => millis,
        Ok(Number::Int(_) | Number::Float(_)) => {
            cx.report(SyntaxError::MissingDurationUnit { at: span, found: text.to_owned() });
            0
        }
        Err(problem) => {
            report_number_problem(cx, span, text, problem);
            0
        }
    };
    Spanned::new(Duration { millis }, span)
}

/// A `count` token (after `retry`).
pub(super) fn count(cx: &Ctx, pair: &Pair<'_, Rule>) -> Spanned<i64> {
    let span = cx.span(pair);
    let text = pair.as_str();
    let count = match decode_number(text) {
        Ok(Number::Int(n)) => n,
        Ok(Number::Float(_) | Number::Duration(_)) => {
            cx.report(SyntaxError::ExpectedCount { at: span, found: text.to_owned() });
            0
        }
        Err(NumberProblem::Duration(..)) => {
            cx.report(SyntaxError::ExpectedCount { at: span, found: text.to_owned() });
            0
        }
        Err(problem) => {
            report_number_problem(cx, span, text, problem);
            0
        }
    };
    Spanned::new(count, span)
}

/// A type: `String`, `Email?`, `List<Int>`, `{ name: String }`.
pub(super) fn type_expr(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<TypeExpr> {
    type_at_depth(cx, pair, 0)
}

/// `name: Type` in a form or a record type.
pub(super) fn field_type(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<FormField> {
    field_type_at_depth(cx, pair, 0)
}

fn field_type_at_depth(cx: &Ctx, pair: Pair<'_, Rule>, depth: usize) -> Build<FormField> {
    let mut parts = Parts::of(cx, pair);
    let name = cx.ident(&parts.expect_rule(Rule::word)?);
    let ty = type_at_depth(cx, parts.expect_rule(Rule::type_expr)?, depth)?;
    Ok(FormField { name, ty })
}

fn type_at_depth(cx: &Ctx, pair: Pair<'_, Rule>, depth: usize) -> Build<TypeExpr> {
    let span = cx.span(&pair);
    // The prescan bounds brackets and `List<` runs; this keeps the recursion bounded
    // even if that ever changes.
    if depth > 2 * MAX_NESTING {
        return Err(SyntaxError::NestingTooDeep { at: span });
    }
    let mut parts = Parts::of(cx, pair);
    let base = parts.expect()?;
    let base_span = cx.span(&base);
    let kind = match base.as_rule() {
        Rule::type_name => TypeExprKind::Named(base.as_str().to_owned()),
        Rule::list_type => {
            let element = Parts::of(cx, base).expect_rule(Rule::type_expr)?;
            TypeExprKind::List(Box::new(type_at_depth(cx, element, depth + 1)?))
        }
        Rule::record_type => {
            let fields = Parts::of(cx, base)
                .map(|field| field_type_at_depth(cx, field, depth + 1))
                .collect::<Build<Vec<FormField>>>()?;
            TypeExprKind::Record(fields)
        }
        _ => return Err(cx.internal(&base)),
    };
    let ty = TypeExpr { kind, span: base_span };
    match parts.next() {
        Some(mark) if mark.as_rule() == Rule::type_optional => {
            Ok(TypeExpr { kind: TypeExprKind::Optional(Box::new(ty)), span })
        }
        Some(other) => Err(cx.internal(&other)),
        None => Ok(ty),
    }
}

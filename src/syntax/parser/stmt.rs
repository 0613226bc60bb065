//! Workflows: header clauses, statements, action modifiers and routes.
//!
//! In: a `workflow` pair. Out: a [`Workflow`]. The grammar accepts header clauses,
//! statements and routes in any order; here they are sorted into `header`, `body` and
//! `routes`, and a clause out of place is reported (K0012) but kept.

use pest::iterators::Pair;

use super::expr::expr;
use super::literal::{count, duration, field_type, plain_string, string_literal};
use super::{Build, Ctx, Parts, Rule, is_reserved};
use crate::source::Span;
use crate::syntax::ast::{
    ActionCall, ActionStmt, Arg, Block, Expr, ExprKind, HeaderClause, Ident, IfBranch, Modifier, Route,
    Scope, Spanned, Stmt, StmtKind, Workflow,
};
use crate::syntax::errors::{Expected, SyntaxError};

pub(super) fn workflow(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Workflow> {
    let span = cx.span(&pair);
    let mut name = None;
    let mut open = None;
    let mut close = None;
    let mut header = Vec::new();
    let mut stmts = Vec::new();
    let mut routes: Vec<Route> = Vec::new();
    // Where the main flow started, and whether a statement after the last route was
    // already reported (once per run of statements after a route).
    let mut first_stmt: Option<Span> = None;
    let mut reported_since_route = false;
    for member in pair.into_inner() {
        match member.as_rule() {
            Rule::kw_workflow => {}
            Rule::ident => name = Some(cx.name(&member)?),
            Rule::lbrace => open = Some(cx.span(&member)),
            Rule::rbrace => close = Some(cx.span(&member)),
            rule if is_header_clause(rule) => {
                let (clause, keyword, at) = header_clause(cx, member)?;
                let after =
                    first_stmt.map(|s| (s, false)).or_else(|| routes.first().map(|r| (route_head(r), true)));
                if let Some((after, after_route)) = after {
                    cx.report(SyntaxError::HeaderOutOfPlace { clause: keyword, at, after, after_route });
                }
                header.push(clause);
            }
            rule if is_stmt(rule) => {
                let stmt = stmt(cx, member)?;
                if !reported_since_route && let Some(route) = routes.first() {
                    cx.report(SyntaxError::StatementAfterRoute {
                        at: cx.first_line(stmt.span),
                        route: route_head(route),
                    });
                    reported_since_route = true;
                }
                first_stmt.get_or_insert(cx.first_line(stmt.span));
                stmts.push(stmt);
            }
            Rule::route => {
                routes.push(route(cx, member)?);
                reported_since_route = false;
            }
            _ => return Err(cx.internal(&member)),
        }
    }
    let name = name.ok_or(SyntaxError::Internal { at: span })?;
    let body_span = match (open, close) {
        (Some(open), Some(close)) => open.to(close),
        _ => span,
    };
    Ok(Workflow { doc: cx.doc(span), name, header, body: Block { stmts, span: body_span }, routes, span })
}

fn is_header_clause(rule: Rule) -> bool {
    matches!(rule, Rule::title_clause | Rule::scope_clause | Rule::trigger_clause | Rule::form_clause)
}

fn is_stmt(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::action_stmt
            | Rule::let_stmt
            | Rule::if_stmt
            | Rule::wait_until_stmt
            | Rule::wait_stmt
            | Rule::goto_stmt
            | Rule::stop_stmt
            | Rule::fail_stmt
    )
}

/// `route name`, to point at a route without its body.
fn route_head(route: &Route) -> Span {
    Span::new(route.span.start as usize, route.name.span.end as usize)
}

/// A header clause, its keyword and the keyword's span.
fn header_clause(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<(Spanned<HeaderClause>, &'static str, Span)> {
    let span = cx.span(&pair);
    let keyword_span = pair.clone().into_inner().next().map_or(span, |k| cx.span(&k));
    let rule = pair.as_rule();
    let mut parts = Parts::of(cx, pair);
    let (clause, keyword) = match rule {
        Rule::title_clause => {
            let title = parts.expect_rule(Rule::string)?;
            (HeaderClause::Title(string_expr(cx, title)?), "title")
        }
        Rule::scope_clause => {
            let target = parts.expect()?;
            let scope = match target.as_rule() {
                Rule::scope_workspace => Scope::Workspace,
                Rule::scope_hub => {
                    let id = Parts::of(cx, target).expect_rule(Rule::string)?;
                    Scope::Hub(plain_string(cx, id, "a hub id")?)
                }
                Rule::scope_card => {
                    let id = Parts::of(cx, target).expect_rule(Rule::string)?;
                    Scope::Card(plain_string(cx, id, "a card id")?)
                }
                _ => return Err(cx.internal(&target)),
            };
            (HeaderClause::Scope(scope), "scope")
        }
        Rule::trigger_clause => {
            let name = cx.ident(&parts.expect_rule(Rule::trigger_name)?);
            let filter = parts.next().map(|p| expr(cx, p)).transpose()?;
            (HeaderClause::Trigger { name, filter }, "trigger")
        }
        Rule::form_clause => {
            let fields = parts.map(|p| field_type(cx, p)).collect::<Build<Vec<_>>>()?;
            (HeaderClause::Form(fields), "form")
        }
        _ => return Err(SyntaxError::Internal { at: span }),
    };
    Ok((Spanned::new(clause, span), keyword, keyword_span))
}

/// A string literal as an expression.
fn string_expr(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Expr> {
    let span = cx.span(&pair);
    let (literal, _) = string_literal(cx, pair)?;
    Ok(cx.expr(ExprKind::String(literal), span))
}

fn route(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Route> {
    let span = cx.span(&pair);
    let mut parts = Parts::of(cx, pair);
    let name = cx.name(&parts.expect_rule(Rule::ident)?)?;
    let body = block(cx, parts.expect_rule(Rule::block)?)?;
    Ok(Route { doc: cx.doc(span), name, body, span })
}

pub(super) fn block(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Block> {
    let span = cx.span(&pair);
    let stmts = Parts::of(cx, pair).map(|p| stmt(cx, p)).collect::<Build<Vec<_>>>()?;
    Ok(Block { stmts, span })
}

fn stmt(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Stmt> {
    let span = cx.span(&pair);
    let rule = pair.as_rule();
    let mut parts = Parts::of(cx, pair.clone());
    let kind = match rule {
        Rule::let_stmt => StmtKind::Let {
            name: cx.name(&parts.expect_rule(Rule::ident)?)?,
            value: expr(cx, parts.expect_rule(Rule::expr)?)?,
        },
        Rule::if_stmt => if_stmt(cx, parts)?,
        Rule::wait_until_stmt => StmtKind::WaitUntil(expr(cx, parts.expect_rule(Rule::expr)?)?),
        Rule::wait_stmt => StmtKind::Wait(expr(cx, parts.expect_rule(Rule::expr)?)?),
        Rule::goto_stmt => StmtKind::Goto(cx.name(&parts.expect_rule(Rule::ident)?)?),
        Rule::stop_stmt => StmtKind::Stop,
        Rule::fail_stmt => StmtKind::Fail(expr(cx, parts.expect_rule(Rule::expr)?)?),
        Rule::action_stmt => StmtKind::Action(action_stmt(cx, parts)?),
        _ => return Err(cx.internal(&pair)),
    };
    Ok(Stmt { doc: cx.doc(span), kind, span })
}

fn if_stmt(cx: &Ctx, mut parts: Parts<'_>) -> Build<StmtKind> {
    let mut branches = vec![IfBranch {
        cond: expr(cx, parts.expect_rule(Rule::expr)?)?,
        block: block(cx, parts.expect_rule(Rule::block)?)?,
    }];
    let mut otherwise = None;
    for part in parts {
        let rule = part.as_rule();
        let mut inner = Parts::of(cx, part);
        match rule {
            Rule::else_if => branches.push(IfBranch {
                cond: expr(cx, inner.expect_rule(Rule::expr)?)?,
                block: block(cx, inner.expect_rule(Rule::block)?)?,
            }),
            Rule::else_block => otherwise = Some(block(cx, inner.expect_rule(Rule::block)?)?),
            _ => return Err(SyntaxError::Internal { at: inner.at }),
        }
    }
    Ok(StmtKind::If { branches, otherwise })
}

fn action_stmt(cx: &Ctx, parts: Parts<'_>) -> Build<ActionStmt> {
    let mut step = None;
    let mut call = None;
    let mut modifiers = Vec::new();
    for part in parts {
        match part.as_rule() {
            Rule::step_binding => {
                step = Some(cx.name(&Parts::of(cx, part).expect_rule(Rule::ident)?)?);
            }
            Rule::action_call => call = Some(action_call(cx, part)?),
            Rule::retry_modifier
            | Rule::timeout_modifier
            | Rule::on_success_modifier
            | Rule::on_failure_modifier => modifiers.push(modifier(cx, part)?),
            _ => return Err(cx.internal(&part)),
        }
    }
    let Some(call) = call else {
        return Err(SyntaxError::Internal { at: step.map_or(Span::default(), |s| s.span) });
    };
    Ok(ActionStmt { step, call, modifiers })
}

fn action_call(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<ActionCall> {
    let span = cx.span(&pair);
    let mut parts = Parts::of(cx, pair);
    let (namespace, action) = action_name(cx, &parts.expect_rule(Rule::action_name)?)?;
    let args: Vec<Arg> = parts.map(|p| arg(cx, p)).collect::<Build<_>>()?;
    Ok(ActionCall { namespace, action, args, span })
}

/// `ns.action`: its two names.
pub(super) fn action_name(cx: &Ctx, pair: &Pair<'_, Rule>) -> Build<(Ident, Ident)> {
    let namespace = cx.word_at(pair, 0);
    // The grammar tries keyword statements first, so `if.x()` only gets here as an error.
    if namespace.node != "contact" && is_reserved(&namespace.node) {
        return Err(SyntaxError::ReservedWord {
            at: namespace.span,
            word: namespace.node,
            expected: Expected::Statement,
        });
    }
    let action = cx.word_at(pair, namespace.node.len() + 1);
    Ok((namespace, action))
}

fn arg(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Arg> {
    let span = cx.span(&pair);
    let mut name = None;
    let mut value = None;
    for part in Parts::of(cx, pair) {
        match part.as_rule() {
            Rule::arg_name => name = Some(cx.word_at(&part, 0)),
            Rule::expr => value = Some(expr(cx, part)?),
            _ => return Err(cx.internal(&part)),
        }
    }
    let value = value.ok_or(SyntaxError::Internal { at: span })?;
    Ok(Arg { name, value, span })
}

fn modifier(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Spanned<Modifier>> {
    let span = cx.span(&pair);
    let rule = pair.as_rule();
    let mut parts = Parts::of(cx, pair.clone());
    let modifier = match rule {
        Rule::retry_modifier => Modifier::Retry {
            count: count(cx, &parts.expect_rule(Rule::count)?),
            backoff: parts.next().map(|p| duration(cx, &p)),
        },
        Rule::timeout_modifier => Modifier::Timeout(duration(cx, &parts.expect_rule(Rule::duration)?)),
        Rule::on_success_modifier => Modifier::OnSuccess(cx.name(&parts.expect_rule(Rule::ident)?)?),
        Rule::on_failure_modifier => {
            let then = parts.expect()?;
            match then.as_rule() {
                Rule::on_failure_route => {
                    Modifier::OnFailureRoute(cx.name(&Parts::of(cx, then).expect_rule(Rule::ident)?)?)
                }
                Rule::block => Modifier::OnFailureBlock(block(cx, then)?),
                Rule::on_failure_continue => Modifier::OnFailureContinue,
                _ => return Err(cx.internal(&then)),
            }
        }
        _ => return Err(cx.internal(&pair)),
    };
    Ok(Spanned::new(modifier, span))
}

//! Tests: `test "name" { clauses… }`.
//!
//! In: a `test` pair. Out: a [`Test`] with its clauses in source order (the checker
//! decides which are missing or repeated).

use pest::iterators::Pair;

use super::expr::{expr, record_expr};
use super::literal::{duration, plain_string};
use super::{Build, Ctx, Parts, Rule};
use crate::syntax::ast::{
    Expectation, ExprKind, Mock, MockOutcome, RunOutcome, Spanned, StepOutcome, Test, TestClause,
};

pub(super) fn test(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Test> {
    let span = cx.span(&pair);
    let mut parts = Parts::of(cx, pair);
    let name = plain_string(cx, parts.expect_rule(Rule::string)?, "a test name")?;
    let clauses = parts.map(|p| test_clause(cx, p)).collect::<Build<Vec<_>>>()?;
    Ok(Test { doc: cx.doc(span), name, clauses, span })
}

fn test_clause(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Spanned<TestClause>> {
    let span = cx.span(&pair);
    let clause = Parts::of(cx, pair).expect()?;
    let rule = clause.as_rule();
    let mut parts = Parts::of(cx, clause.clone());
    let clause = match rule {
        Rule::test_workflow => TestClause::Workflow(cx.name(&parts.expect_rule(Rule::ident)?)?),
        Rule::test_event => TestClause::Event(record_expr(cx, parts.expect_rule(Rule::record)?)?),
        Rule::test_contact => TestClause::Contact(record_expr(cx, parts.expect_rule(Rule::record)?)?),
        Rule::test_mock => TestClause::Mock(mock(cx, parts)?),
        Rule::test_expect => TestClause::Expect(expectation(cx, parts.expect()?)?),
        _ => return Err(cx.internal(&clause)),
    };
    Ok(Spanned::new(clause, span))
}

fn mock(cx: &Ctx, mut parts: Parts<'_>) -> Build<Mock> {
    let (namespace, action) = super::stmt::action_name(cx, &parts.expect_rule(Rule::action_name)?)?;
    let mut filter = None;
    let mut outcome = parts.expect()?;
    if outcome.as_rule() == Rule::expr {
        filter = Some(expr(cx, outcome)?);
        outcome = parts.expect()?;
    }
    let rule = outcome.as_rule();
    let mut inner = Parts::of(cx, outcome.clone());
    let outcome = match rule {
        Rule::mock_ok => MockOutcome::Ok(record_expr(cx, inner.expect_rule(Rule::record)?)?),
        Rule::mock_fail => {
            let message = inner.expect_rule(Rule::string)?;
            let message_span = cx.span(&message);
            let (literal, _) = super::literal::string_literal(cx, message)?;
            let kind = inner.next().map(|k| plain_string(cx, k, "a failure kind")).transpose()?;
            MockOutcome::Fail { message: cx.expr(ExprKind::String(literal), message_span), kind }
        }
        _ => return Err(cx.internal(&outcome)),
    };
    Ok(Mock { namespace, action, filter, outcome })
}

fn expectation(cx: &Ctx, pair: Pair<'_, Rule>) -> Build<Expectation> {
    let rule = pair.as_rule();
    let mut parts = Parts::of(cx, pair.clone());
    Ok(match rule {
        Rule::expect_no_run => Expectation::NoRun,
        Rule::expect_took => Expectation::Took(duration(cx, &parts.expect_rule(Rule::duration)?)),
        Rule::expect_run => {
            let outcome = parts.expect_rule(Rule::run_outcome)?;
            let value = match outcome.as_str() {
                "succeeded" => RunOutcome::Succeeded,
                "failed" => RunOutcome::Failed,
                "waiting" => RunOutcome::Waiting,
                _ => return Err(cx.internal(&outcome)),
            };
            Expectation::Run(Spanned::new(value, cx.span(&outcome)))
        }
        Rule::expect_called_with => Expectation::CalledWith {
            step: cx.name(&parts.expect_rule(Rule::ident)?)?,
            args: record_expr(cx, parts.expect_rule(Rule::record)?)?,
        },
        Rule::expect_step => {
            let step = cx.name(&parts.expect_rule(Rule::ident)?)?;
            let outcome = parts.expect_rule(Rule::step_outcome)?;
            let value = match outcome.as_str() {
                "succeeded" => StepOutcome::Succeeded,
                "failed" => StepOutcome::Failed,
                "skipped" => StepOutcome::Skipped,
                _ => return Err(cx.internal(&outcome)),
            };
            Expectation::Step { step, status: Spanned::new(value, cx.span(&outcome)) }
        }
        Rule::expect_that => Expectation::That(expr(cx, parts.expect_rule(Rule::expr)?)?),
        Rule::expect_event => Expectation::Event {
            trigger: cx.ident(&parts.expect_rule(Rule::event_type)?),
            filter: parts.next().map(|p| expr(cx, p)).transpose()?,
        },
        Rule::expect_no_event => {
            Expectation::NoEvent { trigger: cx.ident(&parts.expect_rule(Rule::event_type)?) }
        }
        _ => return Err(cx.internal(&pair)),
    })
}

//! Every expression of an item, for tools that look expressions up by position.
//!
//! In: a parsed [`Item`]. Out: its expressions, each before the expressions inside it,
//! in source order. The matches are exhaustive, so a new kind of node does not compile
//! until it is handled here.

use super::ast::{
    Block, Expectation, Expr, ExprKind, HeaderClause, Item, MockOutcome, Modifier, StmtKind, StringPart,
    TestClause,
};

/// Every expression of `item`, outer ones first.
pub fn item_exprs(item: &Item) -> Vec<&Expr> {
    let mut out = Vec::new();
    match item {
        Item::Workflow(wf) => {
            for clause in &wf.header {
                match &clause.node {
                    HeaderClause::Title(e) => expr(e, &mut out),
                    HeaderClause::Trigger { filter, .. } => filter.iter().for_each(|f| expr(f, &mut out)),
                    HeaderClause::Scope(_) | HeaderClause::Form(_) => {}
                }
            }
            block(&wf.body, &mut out);
            wf.routes.iter().for_each(|r| block(&r.body, &mut out));
        }
        Item::Test(test) => {
            for clause in &test.clauses {
                match &clause.node {
                    TestClause::Workflow(_) => {}
                    TestClause::Event(e) | TestClause::Contact(e) => expr(e, &mut out),
                    TestClause::Mock(mock) => {
                        mock.filter.iter().for_each(|f| expr(f, &mut out));
                        match &mock.outcome {
                            MockOutcome::Ok(e) | MockOutcome::Fail { message: e, .. } => expr(e, &mut out),
                        }
                    }
                    TestClause::Expect(expectation) => match expectation {
                        Expectation::CalledWith { args: e, .. } | Expectation::That(e) => expr(e, &mut out),
                        Expectation::Event { filter, .. } => filter.iter().for_each(|f| expr(f, &mut out)),
                        Expectation::Run(_)
                        | Expectation::NoRun
                        | Expectation::Step { .. }
                        | Expectation::Took(_)
                        | Expectation::NoEvent { .. } => {}
                    },
                }
            }
        }
    }
    out
}

fn block<'a>(block_: &'a Block, out: &mut Vec<&'a Expr>) {
    for stmt in &block_.stmts {
        match &stmt.kind {
            StmtKind::Action(a) => {
                a.call.args.iter().for_each(|arg| expr(&arg.value, out));
                for m in &a.modifiers {
                    match &m.node {
                        Modifier::OnFailureBlock(b) => block(b, out),
                        Modifier::Retry { .. }
                        | Modifier::Timeout(_)
                        | Modifier::OnSuccess(_)
                        | Modifier::OnFailureRoute(_)
                        | Modifier::OnFailureContinue => {}
                    }
                }
            }
            StmtKind::Let { value: e, .. }
            | StmtKind::Wait(e)
            | StmtKind::WaitUntil(e)
            | StmtKind::Fail(e) => expr(e, out),
            StmtKind::If { branches, otherwise } => {
                for b in branches {
                    expr(&b.cond, out);
                    block(&b.block, out);
                }
                otherwise.iter().for_each(|b| block(b, out));
            }
            StmtKind::Goto(_) | StmtKind::Stop => {}
        }
    }
}

fn expr<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    out.push(e);
    match &e.kind {
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Duration(_) => {}
        ExprKind::Name(_) => {}
        ExprKind::String(s) => {
            for part in &s.parts {
                if let StringPart::Interp(inner) = part {
                    expr(inner, out);
                }
            }
        }
        ExprKind::List(items) | ExprKind::Call { args: items, .. } => items.iter().for_each(|i| expr(i, out)),
        ExprKind::Record(fields) => fields.iter().for_each(|f| expr(&f.value, out)),
        ExprKind::Field { target: inner, .. }
        | ExprKind::Cast { expr: inner, .. }
        | ExprKind::Unary { expr: inner, .. }
        | ExprKind::Paren(inner) => expr(inner, out),
        ExprKind::Index { target, index } => {
            expr(target, out);
            expr(index, out);
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            expr(lhs, out);
            expr(rhs, out);
        }
    }
}

//! Layout of items, header clauses, statements, modifiers and test clauses.
//!
//! In: a parsed [`File`]. Out: its text through the [`Printer`]. Members are written in
//! source order (header clauses, statements and routes are merged back by position, so
//! a misplaced clause stays where it was and keeps its diagnostic).

use super::exprs::{Delims, expr, seq};
use super::printer::{Blank, Mark, Printer};
use crate::source::Span;
use crate::syntax::ast::{
    ActionStmt, Block, Expectation, File, HeaderClause, Item, Mock, MockOutcome, Modifier, Route, RunOutcome,
    Scope, Spanned, StepOutcome, Stmt, StmtKind, Test, TestClause, Workflow,
};

pub(super) fn file(p: &mut Printer<'_>, file: &File) {
    for (i, item) in file.items.iter().enumerate() {
        p.brk(0, if i == 0 { Blank::Keep } else { Blank::Always }, true);
        match item {
            Item::Workflow(w) => workflow(p, w),
            Item::Test(t) => test(p, t),
        }
    }
}

/// A member of a workflow, in source order.
enum Member<'a> {
    Header(&'a Spanned<HeaderClause>),
    Stmt(&'a Stmt),
    Route(&'a Route),
}

impl Member<'_> {
    fn start(&self) -> u32 {
        match self {
            Member::Header(h) => h.span.start,
            Member::Stmt(s) => s.span.start,
            Member::Route(r) => r.span.start,
        }
    }
}

fn workflow(p: &mut Printer<'_>, w: &Workflow) {
    p.start_node(w.span.start as usize, &w.doc);
    p.token(w.span.start as usize, "workflow");
    p.space();
    p.token(w.name.span.start as usize, &w.name.node);
    p.space();
    let mut members: Vec<Member<'_>> = w.header.iter().map(Member::Header).collect();
    members.extend(w.body.stmts.iter().map(Member::Stmt));
    members.extend(w.routes.iter().map(Member::Route));
    members.sort_by_key(Member::start);
    braces(p, w.body.span, members.len(), |p, outer| {
        let mut after_header = false;
        for (i, member) in members.iter().enumerate() {
            let first = match member {
                _ if i == 0 => Blank::Never,
                Member::Route(_) => Blank::Always,
                Member::Stmt(_) if after_header => Blank::Always,
                _ => Blank::Keep,
            };
            p.brk(outer + 1, first, true);
            after_header = matches!(member, Member::Header(_));
            match member {
                Member::Header(h) => header_clause(p, h),
                Member::Stmt(s) => stmt(p, s),
                Member::Route(r) => route(p, r),
            }
        }
    });
}

/// `{`, the members written by `body` one level deeper, `}`; `{}` when there are none
/// (and no comment inside).
fn braces(p: &mut Printer<'_>, span: Span, count: usize, body: impl FnOnce(&mut Printer<'_>, usize)) {
    let open = span.start as usize;
    let close = (span.end as usize).saturating_sub(1);
    p.token(open, "{");
    let outer = p.indent;
    if count == 0 && !p.has_comments(open, close) {
        p.close(close, "}");
        return;
    }
    p.indent = outer + 1;
    body(p, outer);
    p.brk(outer + 1, if count == 0 { Blank::Never } else { Blank::Keep }, true);
    p.flush_before(close);
    p.indent = outer;
    p.brk(outer, Blank::Never, false);
    p.close(close, "}");
}

fn header_clause(p: &mut Printer<'_>, clause: &Spanned<HeaderClause>) {
    let start = clause.span.start as usize;
    match &clause.node {
        HeaderClause::Title(title) => {
            p.token(start, "title");
            p.space();
            expr(p, title, 0);
        }
        HeaderClause::Scope(scope) => {
            p.token(start, "scope");
            p.space();
            match scope {
                Scope::Workspace => p.token(p.next_token(start + "scope".len()), "workspace"),
                Scope::Hub(id) => {
                    p.token(p.next_token(start + "scope".len()), "hub");
                    p.space();
                    p.verbatim(id.span);
                }
                Scope::Card(id) => {
                    p.token(p.next_token(start + "scope".len()), "card");
                    p.space();
                    p.verbatim(id.span);
                }
            }
        }
        HeaderClause::Trigger { name, filter } => {
            p.token(start, "trigger");
            p.space();
            p.token(name.span.start as usize, &name.node);
            if let Some(filter) = filter {
                p.space();
                p.token(p.next_token(name.span.end as usize), "where");
                p.space();
                expr(p, filter, 0);
            }
        }
        HeaderClause::Form(fields) => {
            p.token(start, "form");
            p.space();
            let open = p.next_token(start + "form".len());
            let span = Span::new(open, clause.span.end as usize);
            seq(p, Delims::braces(span), fields, 0);
        }
    }
}

fn route(p: &mut Printer<'_>, r: &Route) {
    p.start_node(r.span.start as usize, &r.doc);
    p.token(r.span.start as usize, "route");
    p.space();
    p.token(r.name.span.start as usize, &r.name.node);
    p.space();
    block(p, &r.body);
}

pub(super) fn block(p: &mut Printer<'_>, b: &Block) {
    braces(p, b.span, b.stmts.len(), |p, outer| {
        for (i, s) in b.stmts.iter().enumerate() {
            p.brk(outer + 1, if i == 0 { Blank::Never } else { Blank::Keep }, true);
            stmt(p, s);
        }
    });
}

fn stmt(p: &mut Printer<'_>, s: &Stmt) {
    let start = s.span.start as usize;
    p.start_node(start, &s.doc);
    match &s.kind {
        StmtKind::Action(action) => action_stmt(p, s.span, action),
        StmtKind::Let { name, value } => {
            p.token(start, "let");
            p.space();
            p.token(name.span.start as usize, &name.node);
            p.text(" = ");
            expr(p, value, 0);
        }
        StmtKind::If { branches, otherwise } => {
            let mut prev_end = start;
            for (i, branch) in branches.iter().enumerate() {
                if i == 0 {
                    p.token(start, "if");
                } else {
                    let at = before_else(p, prev_end);
                    p.token(at, "else");
                    p.space();
                    p.token(p.next_token(at + "else".len()), "if");
                }
                p.space();
                expr(p, &branch.cond, 0);
                p.space();
                block(p, &branch.block);
                prev_end = branch.block.span.end as usize;
            }
            if let Some(otherwise) = otherwise {
                let at = before_else(p, prev_end);
                p.token(at, "else");
                p.space();
                block(p, otherwise);
            }
        }
        StmtKind::Wait(duration) => {
            p.token(start, "wait");
            p.space();
            expr(p, duration, 0);
        }
        StmtKind::WaitUntil(time) => {
            p.token(start, "wait");
            p.space();
            p.token(p.next_token(start + "wait".len()), "until");
            p.space();
            expr(p, time, 0);
        }
        StmtKind::Goto(route) => {
            p.token(start, "->");
            p.space();
            p.token(route.span.start as usize, &route.node);
        }
        StmtKind::Stop => p.token(start, "stop"),
        StmtKind::Fail(message) => {
            p.token(start, "fail");
            p.space();
            expr(p, message, 0);
        }
    }
}

/// Where `else` is after a block that ends at `block_end`; the space before it, or a
/// line break when comments come between.
fn before_else(p: &mut Printer<'_>, block_end: usize) -> usize {
    let at = p.next_token(block_end);
    if p.has_comments(block_end, at) {
        p.brk(p.indent, Blank::Never, false);
    } else {
        p.space();
    }
    at
}

/// `[step name =] ns.action(args) modifiers…`: on one line when it fits; else the
/// call on one line and the modifiers on the next (one level deeper); else the
/// arguments broken and the modifiers after the closing parenthesis.
fn action_stmt(p: &mut Printer<'_>, span: Span, action: &ActionStmt) {
    let start = span.start as usize;
    if let Some(step) = &action.step {
        p.token(start, "step");
        p.space();
        p.token(step.span.start as usize, &step.node);
        p.text(" = ");
    }
    let call = &action.call;
    let call_start = call.namespace.span.start as usize;
    // Up to the opening brace of an `on failure { … }` block: what must be on one line.
    let head_end = action
        .modifiers
        .iter()
        .find_map(|m| match &m.node {
            Modifier::OnFailureBlock(b) => Some(b.span.start as usize),
            _ => None,
        })
        .unwrap_or(span.end as usize);
    p.flush_before(call_start);
    let name = format!("{}.{}", call.namespace.node, call.action.node);
    let open = call.action.span.end as usize;
    let delims = Delims {
        open,
        open_text: "(",
        close: (call.span.end as usize).saturating_sub(1),
        close_text: ")",
        pad: false,
    };
    if !p.has_comments(call_start, head_end) {
        let mark = p.mark();
        p.token(call_start, &name);
        seq(p, delims, &call.args, 0);
        let call_fits = !p.broke_since(mark) && p.fits_since(mark, 0);
        if call_fits {
            let after_call = p.mark();
            if modifiers(p, &action.modifiers, Some(mark)) {
                return;
            }
            p.rewind(after_call);
            let outer = p.indent;
            p.indent = outer + 1;
            p.brk(outer + 1, Blank::Never, false);
            modifiers(p, &action.modifiers, None);
            p.indent = outer;
            return;
        }
        p.rewind(mark);
    }
    p.token(call_start, &name);
    seq(p, delims, &call.args, 0);
    modifiers(p, &action.modifiers, None);
}

/// Writes the modifiers. With `fits`, gives up (false) as soon as the line that started
/// at that mark is too long: before a block is written (a block is laid out once, so
/// nested `on failure { … }` blocks cost linear time), or at the end.
fn modifiers(p: &mut Printer<'_>, modifiers: &[Spanned<Modifier>], fits: Option<Mark>) -> bool {
    let mut fits = fits;
    for m in modifiers {
        p.space();
        let start = m.span.start as usize;
        match &m.node {
            Modifier::Retry { count, backoff } => {
                p.token(start, "retry");
                p.space();
                p.verbatim(count.span);
                if let Some(backoff) = backoff {
                    p.space();
                    p.token(p.next_token(count.span.end as usize), "backoff");
                    p.space();
                    p.verbatim(backoff.span);
                }
            }
            Modifier::Timeout(duration) => {
                p.token(start, "timeout");
                p.space();
                p.verbatim(duration.span);
            }
            Modifier::OnSuccess(route) | Modifier::OnFailureRoute(route) => {
                let outcome = if matches!(m.node, Modifier::OnSuccess(_)) { "success" } else { "failure" };
                p.token(start, "on");
                p.space();
                let word = p.next_token(start + "on".len());
                p.token(word, outcome);
                p.space();
                // The arrow is a token of its own, so a comment before it is kept.
                p.token(p.next_token(word + outcome.len()), "->");
                p.space();
                p.token(route.span.start as usize, &route.node);
            }
            Modifier::OnFailureBlock(b) => {
                p.token(start, "on");
                p.space();
                p.token(p.next_token(start + "on".len()), "failure");
                p.space();
                if let Some(mark) = fits.take()
                    && !p.fits_since(mark, "{".len())
                {
                    return false;
                }
                block(p, b);
            }
            Modifier::OnFailureContinue => {
                p.token(start, "on");
                p.space();
                let failure = p.next_token(start + "on".len());
                p.token(failure, "failure");
                p.space();
                p.token(p.next_token(failure + "failure".len()), "continue");
            }
        }
    }
    fits.is_none_or(|mark| p.fits_since(mark, 0))
}

fn test(p: &mut Printer<'_>, t: &Test) {
    let start = t.span.start as usize;
    p.start_node(start, &t.doc);
    p.token(start, "test");
    p.space();
    p.verbatim(t.name.span);
    p.space();
    let open = p.next_token(t.name.span.end as usize);
    let span = Span::new(open, t.span.end as usize);
    braces(p, span, t.clauses.len(), |p, outer| {
        for (i, clause) in t.clauses.iter().enumerate() {
            p.brk(outer + 1, if i == 0 { Blank::Never } else { Blank::Keep }, true);
            test_clause(p, clause);
        }
    });
}

fn test_clause(p: &mut Printer<'_>, clause: &Spanned<TestClause>) {
    let start = clause.span.start as usize;
    match &clause.node {
        TestClause::Workflow(name) => {
            p.token(start, "workflow");
            p.space();
            p.token(name.span.start as usize, &name.node);
        }
        TestClause::Event(record) | TestClause::Contact(record) => {
            let keyword = if matches!(clause.node, TestClause::Event(_)) { "event" } else { "contact" };
            p.token(start, keyword);
            p.space();
            expr(p, record, 0);
        }
        TestClause::Mock(mock) => mock_clause(p, start, mock),
        TestClause::Expect(expectation) => {
            p.token(start, "expect");
            p.space();
            expect_clause(p, start + "expect".len(), expectation);
        }
    }
}

fn mock_clause(p: &mut Printer<'_>, start: usize, mock: &Mock) {
    p.token(start, "mock");
    p.space();
    p.token(mock.namespace.span.start as usize, &mock.full_name());
    let mut end = mock.action.span.end as usize;
    if let Some(filter) = &mock.filter {
        p.space();
        p.token(p.next_token(end), "where");
        p.space();
        expr(p, filter, 0);
        end = filter.span.end as usize;
    }
    p.space();
    let arrow = p.next_token(end);
    p.token(arrow, "->");
    p.space();
    let outcome = p.next_token(arrow + "->".len());
    match &mock.outcome {
        MockOutcome::Ok(record) => {
            p.token(outcome, "ok");
            p.space();
            expr(p, record, 0);
        }
        MockOutcome::Fail { message, kind } => {
            p.token(outcome, "fail");
            p.space();
            expr(p, message, 0);
            if let Some(kind) = kind {
                p.space();
                p.token(p.next_token(message.span.end as usize), "kind");
                p.space();
                p.verbatim(kind.span);
            }
        }
    }
}

/// What follows `expect` (which ends at `after`).
fn expect_clause(p: &mut Printer<'_>, after: usize, expectation: &Expectation) {
    let next = p.next_token(after);
    match expectation {
        Expectation::Run(outcome) => {
            p.token(next, "run");
            p.space();
            p.token(outcome.span.start as usize, run_outcome(outcome.node));
        }
        Expectation::NoRun => {
            p.token(next, "no");
            p.space();
            p.token(p.next_token(next + "no".len()), "run");
        }
        Expectation::Step { step, status } => {
            p.token(next, "step");
            p.space();
            p.token(step.span.start as usize, &step.node);
            p.space();
            p.token(status.span.start as usize, step_outcome(status.node));
        }
        Expectation::CalledWith { step, args } => {
            p.token(next, "step");
            p.space();
            p.token(step.span.start as usize, &step.node);
            p.space();
            let called = p.next_token(step.span.end as usize);
            p.token(called, "called");
            p.space();
            p.token(p.next_token(called + "called".len()), "with");
            p.space();
            expr(p, args, 0);
        }
        Expectation::Took(duration) => {
            p.token(next, "run");
            p.space();
            p.token(p.next_token(next + "run".len()), "took");
            p.space();
            p.verbatim(duration.span);
        }
        Expectation::That(condition) => expr(p, condition, 0),
        Expectation::Event { trigger, filter } => {
            p.token(next, "event");
            p.space();
            p.token(trigger.span.start as usize, &trigger.node);
            if let Some(filter) = filter {
                p.space();
                p.token(p.next_token(trigger.span.end as usize), "where");
                p.space();
                expr(p, filter, 0);
            }
        }
        Expectation::NoEvent { trigger } => {
            p.token(next, "no");
            p.space();
            p.token(p.next_token(next + "no".len()), "event");
            p.space();
            p.token(trigger.span.start as usize, &trigger.node);
        }
    }
}

fn run_outcome(outcome: RunOutcome) -> &'static str {
    match outcome {
        RunOutcome::Succeeded => "succeeded",
        RunOutcome::Failed => "failed",
        RunOutcome::Waiting => "waiting",
    }
}

fn step_outcome(outcome: StepOutcome) -> &'static str {
    match outcome {
        StepOutcome::Succeeded => "succeeded",
        StepOutcome::Failed => "failed",
        StepOutcome::Skipped => "skipped",
    }
}

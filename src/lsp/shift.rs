//! Moving every span of a parsed item by the same number of bytes.
//!
//! In: AST items parsed earlier and how far their text moved (an edit before them
//! inserted or removed bytes). Out: the same items with every span moved, as if parsed
//! again at their new place. Every node is visited: the matches are exhaustive, so a
//! new kind of node does not compile until it is handled here.

use crate::source::Span;
use crate::syntax::ast::{
    ActionCall, Arg, Block, Expectation, Expr, ExprKind, FormField, HeaderClause, Ident, Item, MockOutcome,
    Modifier, Route, Scope, Spanned, Stmt, StmtKind, StringPart, Test, TestClause, TypeExpr, TypeExprKind,
    Workflow,
};

pub fn shift_items(items: &mut [Item], delta: i64) {
    if delta == 0 {
        return;
    }
    let s = Shift(delta);
    for item in items {
        match item {
            Item::Workflow(wf) => s.workflow(wf),
            Item::Test(test) => s.test(test),
        }
    }
}

struct Shift(i64);

impl Shift {
    fn span(&self, span: &mut Span) {
        let moved = |at: u32| u32::try_from((i64::from(at) + self.0).max(0)).unwrap_or(u32::MAX);
        *span = Span { start: moved(span.start), end: moved(span.end) };
    }

    fn spanned<T>(&self, s: &mut Spanned<T>) {
        self.span(&mut s.span);
    }

    fn ident(&self, id: &mut Ident) {
        self.span(&mut id.span);
    }

    fn workflow(&self, wf: &mut Workflow) {
        self.span(&mut wf.span);
        self.ident(&mut wf.name);
        for clause in &mut wf.header {
            self.span(&mut clause.span);
            match &mut clause.node {
                HeaderClause::Title(e) => self.expr(e),
                HeaderClause::Scope(scope) => match scope {
                    Scope::Workspace => {}
                    Scope::Hub(id) | Scope::Card(id) => self.spanned(id),
                },
                HeaderClause::Trigger { name, filter } => {
                    self.ident(name);
                    if let Some(f) = filter {
                        self.expr(f);
                    }
                }
                HeaderClause::Form(fields) => fields.iter_mut().for_each(|f| self.form_field(f)),
            }
        }
        self.block(&mut wf.body);
        for route in &mut wf.routes {
            self.route(route);
        }
    }

    fn route(&self, route: &mut Route) {
        self.span(&mut route.span);
        self.ident(&mut route.name);
        self.block(&mut route.body);
    }

    fn form_field(&self, f: &mut FormField) {
        self.ident(&mut f.name);
        self.type_expr(&mut f.ty);
    }

    fn type_expr(&self, t: &mut TypeExpr) {
        self.span(&mut t.span);
        match &mut t.kind {
            TypeExprKind::Named(_) => {}
            TypeExprKind::List(inner) | TypeExprKind::Optional(inner) => self.type_expr(inner),
            TypeExprKind::Record(fields) => fields.iter_mut().for_each(|f| self.form_field(f)),
        }
    }

    fn block(&self, block: &mut Block) {
        self.span(&mut block.span);
        for stmt in &mut block.stmts {
            self.stmt(stmt);
        }
    }

    fn stmt(&self, stmt: &mut Stmt) {
        self.span(&mut stmt.span);
        match &mut stmt.kind {
            StmtKind::Action(a) => {
                if let Some(step) = &mut a.step {
                    self.ident(step);
                }
                self.call(&mut a.call);
                for m in &mut a.modifiers {
                    self.span(&mut m.span);
                    match &mut m.node {
                        Modifier::Retry { count, backoff } => {
                            self.spanned(count);
                            if let Some(b) = backoff {
                                self.spanned(b);
                            }
                        }
                        Modifier::Timeout(d) => self.spanned(d),
                        Modifier::OnSuccess(r) | Modifier::OnFailureRoute(r) => self.ident(r),
                        Modifier::OnFailureBlock(b) => self.block(b),
                        Modifier::OnFailureContinue => {}
                    }
                }
            }
            StmtKind::Let { name, value } => {
                self.ident(name);
                self.expr(value);
            }
            StmtKind::If { branches, otherwise } => {
                for b in branches {
                    self.expr(&mut b.cond);
                    self.block(&mut b.block);
                }
                if let Some(b) = otherwise {
                    self.block(b);
                }
            }
            StmtKind::Wait(e) | StmtKind::WaitUntil(e) | StmtKind::Fail(e) => self.expr(e),
            StmtKind::Goto(r) => self.ident(r),
            StmtKind::Stop => {}
        }
    }

    fn call(&self, call: &mut ActionCall) {
        self.span(&mut call.span);
        self.ident(&mut call.namespace);
        self.ident(&mut call.action);
        for arg in &mut call.args {
            self.arg(arg);
        }
    }

    fn arg(&self, arg: &mut Arg) {
        self.span(&mut arg.span);
        if let Some(name) = &mut arg.name {
            self.ident(name);
        }
        self.expr(&mut arg.value);
    }

    fn expr(&self, e: &mut Expr) {
        self.span(&mut e.span);
        match &mut e.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Duration(_) => {}
            ExprKind::String(s) => {
                for part in &mut s.parts {
                    match part {
                        StringPart::Text(t) => self.spanned(t),
                        StringPart::Interp(e) => self.expr(e),
                    }
                }
            }
            ExprKind::List(items) => items.iter_mut().for_each(|e| self.expr(e)),
            ExprKind::Record(fields) => {
                for f in fields {
                    self.spanned(&mut f.key);
                    self.expr(&mut f.value);
                }
            }
            ExprKind::Name(id) => self.ident(id),
            ExprKind::Field { target, field } => {
                self.expr(target);
                self.ident(field);
            }
            ExprKind::Index { target, index } => {
                self.expr(target);
                self.expr(index);
            }
            ExprKind::Call { function, args } => {
                self.ident(function);
                args.iter_mut().for_each(|e| self.expr(e));
            }
            ExprKind::Cast { expr, ty } => {
                self.expr(expr);
                self.type_expr(ty);
            }
            ExprKind::Unary { op, expr } => {
                self.spanned(op);
                self.expr(expr);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.spanned(op);
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Paren(inner) => self.expr(inner),
        }
    }

    fn test(&self, test: &mut Test) {
        self.span(&mut test.span);
        self.spanned(&mut test.name);
        for clause in &mut test.clauses {
            self.span(&mut clause.span);
            match &mut clause.node {
                TestClause::Workflow(id) => self.ident(id),
                TestClause::Event(e) | TestClause::Contact(e) => self.expr(e),
                TestClause::Mock(mock) => {
                    self.ident(&mut mock.namespace);
                    self.ident(&mut mock.action);
                    if let Some(f) = &mut mock.filter {
                        self.expr(f);
                    }
                    match &mut mock.outcome {
                        MockOutcome::Ok(e) => self.expr(e),
                        MockOutcome::Fail { message, kind } => {
                            self.expr(message);
                            if let Some(k) = kind {
                                self.spanned(k);
                            }
                        }
                    }
                }
                TestClause::Expect(expectation) => match expectation {
                    Expectation::Run(outcome) => self.spanned(outcome),
                    Expectation::NoRun => {}
                    Expectation::Step { step, status } => {
                        self.ident(step);
                        self.spanned(status);
                    }
                    Expectation::CalledWith { step, args } => {
                        self.ident(step);
                        self.expr(args);
                    }
                    Expectation::Took(d) => self.spanned(d),
                    Expectation::That(e) => self.expr(e),
                    Expectation::Event { trigger, filter } => {
                        self.ident(trigger);
                        if let Some(f) = filter {
                            self.expr(f);
                        }
                    }
                    Expectation::NoEvent { trigger } => self.ident(trigger),
                },
            }
        }
    }
}

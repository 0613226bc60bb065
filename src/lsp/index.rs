//! Every name in a parsed file that the editor can point at.
//!
//! In: one file's AST and, for tests, the workflow each test runs. Out: a flat list of
//! [`Occurrence`]s (span, what it names, whether it defines it), in source order.
//! Definition, references, hover and document symbols read this list; `let` names are
//! resolved with their block scoping (visible after the `let`, in its block and the
//! blocks inside it), other names by workflow.

use std::collections::HashMap;

use crate::catalog;
use crate::check::{Program, caused_event_scope};
use crate::source::{FileId, Span};
use crate::syntax::ast::{
    ActionCall, Block, Expectation, Expr, ExprKind, HeaderClause, Ident, Item, MockOutcome, Modifier,
    StmtKind, StringPart, Test, TestClause, Workflow,
};

/// What a name refers to, independent of where it is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Workflow(String),
    /// A step of a workflow (workflow name, step name).
    Step(String, String),
    Route(String, String),
    /// A `let` of a workflow, identified by where its name is declared.
    Let(String, FileId, Span),
    Trigger(String),
    Action(String, String),
    /// A parameter of an action (namespace, action, parameter).
    Param(String, String, String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub span: Span,
    pub target: Target,
    pub definition: bool,
    /// An unnamed step's definition: its whole call (hover looks inside it instead).
    pub implicit: bool,
}

/// The occurrences of one file.
pub fn occurrences(file: FileId, ast: &crate::syntax::ast::File, program: &Program) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for item in &ast.items {
        match item {
            Item::Workflow(wf) => {
                // Unnamed steps are defined by their call (`send_email_1`).
                let info =
                    program.workflows.get(&wf.name.node).filter(|i| i.file == file && i.span == wf.name.span);
                for step in info.iter().flat_map(|i| &i.steps).filter(|s| s.generated) {
                    let target = Target::Step(wf.name.node.clone(), step.name.clone());
                    out.push(Occurrence { span: step.span, target, definition: true, implicit: true });
                }
                Walker::new(file, &wf.name.node, &mut out).workflow(wf);
            }
            Item::Test(test) => test_occurrences(file, test, program, &mut out),
        }
    }
    out
}

/// The occurrence at `offset` (the innermost, when several contain it).
pub fn at(occurrences: &[Occurrence], offset: usize) -> Option<&Occurrence> {
    occurrences
        .iter()
        .filter(|o| o.span.start as usize <= offset && offset <= o.span.end as usize)
        .min_by_key(|o| o.span.len())
}

struct Walker<'o> {
    file: FileId,
    workflow: String,
    /// Step names declared anywhere in the workflow.
    steps: Vec<String>,
    /// `let` scopes, innermost last.
    scopes: Vec<HashMap<String, Span>>,
    /// Every `let` of the workflow, for names used outside their scope.
    all_lets: HashMap<String, Span>,
    out: &'o mut Vec<Occurrence>,
}

impl<'o> Walker<'o> {
    fn new(file: FileId, workflow: &str, out: &'o mut Vec<Occurrence>) -> Walker<'o> {
        Walker {
            file,
            workflow: workflow.to_owned(),
            steps: Vec::new(),
            scopes: Vec::new(),
            all_lets: HashMap::new(),
            out,
        }
    }

    fn push(&mut self, span: Span, target: Target, definition: bool) {
        self.out.push(Occurrence { span, target, definition, implicit: false });
    }

    fn workflow(mut self, wf: &Workflow) {
        self.push(wf.name.span, Target::Workflow(wf.name.node.clone()), true);
        collect_step_names(&wf.body, &mut self.steps);
        for r in &wf.routes {
            collect_step_names(&r.body, &mut self.steps);
        }
        collect_lets(&wf.body, &mut self.all_lets);
        for r in &wf.routes {
            collect_lets(&r.body, &mut self.all_lets);
        }
        for clause in &wf.header {
            match &clause.node {
                HeaderClause::Trigger { name, filter } => {
                    self.push(name.span, trigger_target(&name.node), false);
                    if let Some(f) = filter {
                        self.expr(f);
                    }
                }
                HeaderClause::Title(e) => self.expr(e),
                HeaderClause::Scope(_) | HeaderClause::Form(_) => {}
            }
        }
        self.block(&wf.body);
        for r in &wf.routes {
            self.push(r.name.span, Target::Route(self.workflow.clone(), r.name.node.clone()), true);
            self.block(&r.body);
        }
    }

    fn route_ref(&mut self, id: &Ident) {
        self.push(id.span, Target::Route(self.workflow.clone(), id.node.clone()), false);
    }

    fn block(&mut self, block: &Block) {
        self.scopes.push(HashMap::new());
        for stmt in &block.stmts {
            match &stmt.kind {
                StmtKind::Action(a) => {
                    if let Some(step) = &a.step {
                        self.push(step.span, Target::Step(self.workflow.clone(), step.node.clone()), true);
                    }
                    self.call(&a.call);
                    for m in &a.modifiers {
                        match &m.node {
                            Modifier::OnSuccess(r) | Modifier::OnFailureRoute(r) => self.route_ref(r),
                            Modifier::OnFailureBlock(b) => self.block(b),
                            Modifier::Retry { .. } | Modifier::Timeout(_) | Modifier::OnFailureContinue => {}
                        }
                    }
                }
                StmtKind::Let { name, value } => {
                    self.expr(value);
                    let target = Target::Let(self.workflow.clone(), self.file, name.span);
                    self.push(name.span, target, true);
                    if let Some(scope) = self.scopes.last_mut() {
                        scope.insert(name.node.clone(), name.span);
                    }
                }
                StmtKind::If { branches, otherwise } => {
                    for b in branches {
                        self.expr(&b.cond);
                        self.block(&b.block);
                    }
                    if let Some(b) = otherwise {
                        self.block(b);
                    }
                }
                StmtKind::Wait(e) | StmtKind::WaitUntil(e) | StmtKind::Fail(e) => self.expr(e),
                StmtKind::Goto(r) => self.route_ref(r),
                StmtKind::Stop => {}
            }
        }
        self.scopes.pop();
    }

    fn call(&mut self, call: &ActionCall) {
        let (ns, action) = (call.namespace.node.clone(), call.action.node.clone());
        self.push(
            call.namespace.span.to(call.action.span),
            Target::Action(ns.clone(), action.clone()),
            false,
        );
        for arg in &call.args {
            if let Some(name) = &arg.name {
                let target = Target::Param(ns.clone(), action.clone(), name.node.clone());
                self.push(name.span, target, false);
            }
            self.expr(&arg.value);
        }
    }

    fn name(&mut self, id: &Ident) {
        let visible = self.scopes.iter().rev().find_map(|s| s.get(&id.node)).copied();
        if let Some(def) = visible.or_else(|| self.all_lets.get(&id.node).copied()) {
            self.push(id.span, Target::Let(self.workflow.clone(), self.file, def), false);
        } else if self.steps.contains(&id.node) {
            self.push(id.span, Target::Step(self.workflow.clone(), id.node.clone()), false);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Name(id) => self.name(id),
            ExprKind::Field { target, .. } => self.expr(target),
            ExprKind::Index { target, index } => {
                self.expr(target);
                self.expr(index);
            }
            ExprKind::Call { args, .. } | ExprKind::List(args) => args.iter().for_each(|a| self.expr(a)),
            ExprKind::Record(fields) => fields.iter().for_each(|f| self.expr(&f.value)),
            ExprKind::Cast { expr, .. } | ExprKind::Unary { expr, .. } | ExprKind::Paren(expr) => {
                self.expr(expr)
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::String(s) => {
                for part in &s.parts {
                    if let StringPart::Interp(e) = part {
                        self.expr(e);
                    }
                }
            }
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Duration(_) => {}
        }
    }
}

/// A trigger named in source, by its canonical name (an alias points at its trigger).
fn trigger_target(name: &str) -> Target {
    Target::Trigger(catalog::trigger(name).map_or(name.to_owned(), |(t, _)| t.name.to_owned()))
}

fn collect_step_names(block: &Block, out: &mut Vec<String>) {
    for stmt in &block.stmts {
        match &stmt.kind {
            StmtKind::Action(a) => {
                if let Some(s) = &a.step {
                    out.push(s.node.clone());
                }
                for m in &a.modifiers {
                    if let Modifier::OnFailureBlock(b) = &m.node {
                        collect_step_names(b, out);
                    }
                }
            }
            StmtKind::If { branches, otherwise } => {
                branches.iter().for_each(|b| collect_step_names(&b.block, out));
                if let Some(b) = otherwise {
                    collect_step_names(b, out);
                }
            }
            _ => {}
        }
    }
}

fn collect_lets(block: &Block, out: &mut HashMap<String, Span>) {
    for stmt in &block.stmts {
        match &stmt.kind {
            StmtKind::Let { name, .. } => {
                out.entry(name.node.clone()).or_insert(name.span);
            }
            StmtKind::Action(a) => {
                for m in &a.modifiers {
                    if let Modifier::OnFailureBlock(b) = &m.node {
                        collect_lets(b, out);
                    }
                }
            }
            StmtKind::If { branches, otherwise } => {
                branches.iter().for_each(|b| collect_lets(&b.block, out));
                if let Some(b) = otherwise {
                    collect_lets(b, out);
                }
            }
            _ => {}
        }
    }
}

/// A test's names: the workflow it runs, its steps in `expect step`, mocked actions,
/// the triggers of `expect [no] event` and step outputs in `expect` expressions.
fn test_occurrences(file: FileId, test: &Test, program: &Program, out: &mut Vec<Occurrence>) {
    let runs = program
        .tests
        .iter()
        .find(|(f, span, _)| *f == file && *span == test.name.span)
        .and_then(|(_, _, runs)| runs.clone());
    let steps: Vec<String> = runs
        .as_ref()
        .and_then(|w| program.workflows.get(w))
        .map(|info| info.steps.iter().map(|s| s.name.clone()).collect())
        .unwrap_or_default();
    let workflow = runs.unwrap_or_default();
    let mut walker = Walker::new(file, &workflow, out);
    walker.steps = steps;
    for clause in &test.clauses {
        match &clause.node {
            TestClause::Workflow(name) => walker.push(name.span, Target::Workflow(name.node.clone()), false),
            TestClause::Event(e) | TestClause::Contact(e) => walker.expr(e),
            TestClause::Mock(mock) => {
                let target = Target::Action(mock.namespace.node.clone(), mock.action.node.clone());
                walker.push(mock.namespace.span.to(mock.action.span), target, false);
                if let Some(f) = &mock.filter {
                    walker.expr(f);
                }
                match &mock.outcome {
                    MockOutcome::Ok(e) => walker.expr(e),
                    MockOutcome::Fail { message, .. } => walker.expr(message),
                }
            }
            TestClause::Expect(expectation) => match expectation {
                Expectation::Step { step, .. } => {
                    walker.push(step.span, Target::Step(workflow.clone(), step.node.clone()), false)
                }
                Expectation::CalledWith { step, args } => {
                    walker.push(step.span, Target::Step(workflow.clone(), step.node.clone()), false);
                    walker.expr(args);
                }
                Expectation::That(e) => walker.expr(e),
                Expectation::Event { trigger, filter } => {
                    walker.push(trigger.span, trigger_target(&trigger.node), false);
                    if let Some(f) = filter {
                        // The event's fields shadow steps of the same name.
                        let shadowed: Vec<String> = catalog::trigger(&trigger.node)
                            .map(|(t, _)| caused_event_scope(t))
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(name, _)| name)
                            .collect();
                        let steps = std::mem::take(&mut walker.steps);
                        walker.steps = steps.iter().filter(|s| !shadowed.contains(s)).cloned().collect();
                        walker.expr(f);
                        walker.steps = steps;
                    }
                }
                Expectation::NoEvent { trigger } => {
                    walker.push(trigger.span, trigger_target(&trigger.node), false)
                }
                Expectation::Run(_) | Expectation::NoRun | Expectation::Took(_) => {}
            },
        }
    }
}

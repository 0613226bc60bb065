//! Lowering: a checked program (no errors) → [`Program`].
//!
//! In: the ASTs and the checker's typed program ([`crate::check::Program`]: what it
//! learned about each workflow, and the type of every expression by item and node id).
//! Out: IR workflows and tests with names resolved, positional arguments matched to
//! parameters, defaults written out (`to` becomes `contact.email` when not given), and
//! each expression's static type as the checker recorded it. Lowering never runs the
//! checker: a workflow or a type the checker did not record is a compiler bug, reported
//! as an internal error (K0901), never guessed.

use std::collections::HashMap;

use super::{
    Action, BinOp, Block, BlockId, Builtin, Expect, ExpectKind, Expr, ExprId, ExprKind, Mock, MockOutcome,
    OnFailure, Part, Program, Retry, Route, RouteId, RunStatus, Scope, Step, StepId, StepStatus, Stmt,
    StmtId, StmtKind, TestCase, Ty, Var, Workflow,
};
use crate::catalog::{self, ActionId, ActionSpec, FailureKind, ParamDefault, TriggerId};
use crate::check::types::Type;
use crate::check::{self, ExprTypes, ItemId, WorkflowInfo};
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast;

/// What an unresolved action or trigger lowers to, next to the error that refuses the
/// program (like `StepId(0)` for an unknown step): never seen outside lowering.
const PLACEHOLDER_ACTION: ActionId = ActionId::HttpRequest;
const PLACEHOLDER_TRIGGER: TriggerId = TriggerId::WebhookReceived;

/// Why a program could not be lowered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowerError {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

impl LowerError {
    /// The internal error (K0901) to show: lowering a program the checker accepted
    /// fails only on a bug in komo.
    pub fn into_diagnostic(self) -> Diagnostic {
        Diagnostic::new(Code::Internal, self.file, self.span, format!("internal error: {}", self.message))
            .with_help("this is a bug in komo; please report it with this program")
    }
}

/// Lowers every workflow and test of a checked program; refuses a program with errors.
pub fn lower_program(checked: &crate::Checked) -> Result<Program, Vec<LowerError>> {
    if let Some(d) = checked.diagnostics.iter().find(|d| d.is_error()) {
        return Err(vec![LowerError {
            file: d.file(),
            span: d.span(),
            message: "the program has errors; run `komo check`".into(),
        }]);
    }
    let program = &checked.program;
    let mut errors = Vec::new();
    let mut workflows = Vec::new();
    let mut tests = Vec::new();
    for (file, parsed) in &checked.files {
        let typed = |index: usize| program.types.item(ItemId { file: *file, index });
        let mut own: Vec<&WorkflowInfo> = Vec::new();
        for (index, item) in parsed.items.iter().enumerate() {
            let ast::Item::Workflow(wf) = item else { continue };
            // Names are unique in a program without errors: this is the workflow's info.
            let info =
                program.workflows.get(&wf.name.node).filter(|i| i.file == *file && i.span == wf.name.span);
            own.extend(info);
            let (Some(info), Some(types)) = (info, typed(index)) else {
                errors.push(unrecorded(*file, wf.name.span, &format!("workflow `{}`", wf.name.node)));
                continue;
            };
            let mut lower = Lower::new(*file, types, info);
            workflows.push(lower.workflow(wf));
            errors.extend(lower.errors);
        }
        for (index, item) in parsed.items.iter().enumerate() {
            let ast::Item::Test(test) = item else { continue };
            let Some(info) = test_workflow(test, program, &own) else {
                errors.push(LowerError {
                    file: *file,
                    span: test.name.span,
                    message: "test without a workflow".into(),
                });
                continue;
            };
            let Some(types) = typed(index) else {
                errors.push(unrecorded(*file, test.name.span, &format!("test \"{}\"", test.name.node)));
                continue;
            };
            let mut lower = Lower::new(*file, types, info);
            tests.push(lower.test(test, &info.name));
            errors.extend(lower.errors);
        }
    }
    if errors.is_empty() {
        Ok(Program { ir_version: super::IR_VERSION, workflows, tests })
    } else {
        Err(errors)
    }
}

/// An item the checker left no record of.
fn unrecorded(file: FileId, span: Span, what: &str) -> LowerError {
    LowerError { file, span, message: format!("the checker recorded nothing for {what}") }
}

fn test_workflow<'p>(
    test: &ast::Test,
    program: &'p check::Program,
    own: &[&'p WorkflowInfo],
) -> Option<&'p WorkflowInfo> {
    let named = test.clauses.iter().find_map(|c| match &c.node {
        ast::TestClause::Workflow(name) => Some(name.node.as_str()),
        _ => None,
    });
    match named {
        Some(name) => program.workflows.get(name),
        None => match own {
            [only] => Some(*only),
            _ => None,
        },
    }
}

struct Lower<'a> {
    file: FileId,
    /// The checker's type for each expression of the item.
    types: &'a ExprTypes,
    info: &'a WorkflowInfo,
    exprs: Vec<Expr>,
    stmts: Vec<Stmt>,
    blocks: Vec<Block>,
    steps_by_call: HashMap<Span, StepId>,
    routes: HashMap<String, RouteId>,
    /// Names bound as `Var::Local` over everything else (an `expect event`'s fields).
    locals: Vec<String>,
    errors: Vec<LowerError>,
}

fn id32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'a> Lower<'a> {
    fn new(file: FileId, types: &'a ExprTypes, info: &'a WorkflowInfo) -> Lower<'a> {
        let steps_by_call = info.steps.iter().enumerate().map(|(i, s)| (s.call, StepId(id32(i)))).collect();
        Lower {
            file,
            types,
            info,
            exprs: Vec::new(),
            stmts: Vec::new(),
            blocks: Vec::new(),
            steps_by_call,
            routes: HashMap::new(),
            locals: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(LowerError { file: self.file, span, message: message.into() });
    }

    fn workflow(&mut self, wf: &ast::Workflow) -> Workflow {
        for (i, r) in wf.routes.iter().enumerate() {
            self.routes.entry(r.name.node.clone()).or_insert(RouteId(id32(i)));
        }
        let mut title = None;
        let mut scope = Scope::Workspace;
        let mut filter = None;
        for clause in &wf.header {
            match &clause.node {
                ast::HeaderClause::Title(t) => {
                    if let ast::ExprKind::String(lit) = &t.kind {
                        title = lit.as_plain();
                    }
                }
                ast::HeaderClause::Scope(s) => {
                    scope = match s {
                        ast::Scope::Workspace => Scope::Workspace,
                        ast::Scope::Hub(id) => Scope::Hub(id.node.clone()),
                        ast::Scope::Card(id) => Scope::Card(id.node.clone()),
                    }
                }
                ast::HeaderClause::Trigger { filter: Some(f), .. } => filter = Some(self.expr(f)),
                _ => {}
            }
        }
        let form = match &self.info.form {
            Some(Type::Record(r)) => r.fields.iter().map(|(n, t)| (n.clone(), Ty::from(t))).collect(),
            _ => Vec::new(),
        };
        let body = self.block(&wf.body);
        let routes = wf
            .routes
            .iter()
            .map(|r| Route { name: r.name.node.clone(), body: self.block(&r.body), span: r.name.span })
            .collect();
        let steps = self
            .info
            .steps
            .iter()
            .map(|s| Step {
                name: s.name.clone(),
                action: self.resolved_action(s.action, s.span, || format!("step `{}`", s.name)),
                span: s.span,
            })
            .collect();
        let trigger = match self.info.trigger {
            Some(spec) => spec.id,
            None => {
                self.error(wf.name.span, "a workflow whose trigger the checker did not resolve");
                PLACEHOLDER_TRIGGER
            }
        };
        Workflow {
            name: wf.name.node.clone(),
            title,
            doc: wf.doc.clone(),
            scope,
            trigger,
            filter,
            form,
            steps,
            routes,
            body,
            blocks: std::mem::take(&mut self.blocks),
            stmts: std::mem::take(&mut self.stmts),
            exprs: std::mem::take(&mut self.exprs),
            span: wf.name.span,
        }
    }

    fn block(&mut self, block: &ast::Block) -> BlockId {
        let stmts = block.stmts.iter().map(|s| self.stmt(s)).collect();
        self.blocks.push(Block { stmts });
        BlockId(id32(self.blocks.len() - 1))
    }

    fn route_id(&mut self, name: &ast::Ident) -> RouteId {
        match self.routes.get(&name.node) {
            Some(id) => *id,
            None => {
                self.error(name.span, format!("unknown route `{}`", name.node));
                RouteId(0)
            }
        }
    }

    fn stmt(&mut self, stmt: &ast::Stmt) -> StmtId {
        let kind = match &stmt.kind {
            ast::StmtKind::Action(a) => StmtKind::Action(self.action(a)),
            ast::StmtKind::Let { name, value } => {
                StmtKind::Let { name: name.node.clone(), value: self.expr(value) }
            }
            ast::StmtKind::If { branches, otherwise } => StmtKind::If {
                branches: branches.iter().map(|b| (self.expr(&b.cond), self.block(&b.block))).collect(),
                otherwise: otherwise.as_ref().map(|b| self.block(b)),
            },
            ast::StmtKind::Wait(d) => StmtKind::Wait { duration: self.expr(d) },
            ast::StmtKind::WaitUntil(t) => StmtKind::WaitUntil { at: self.expr(t) },
            ast::StmtKind::Goto(r) => StmtKind::Goto { route: self.route_id(r) },
            ast::StmtKind::Stop => StmtKind::Stop,
            ast::StmtKind::Fail(m) => StmtKind::Fail { message: self.expr(m) },
        };
        self.stmts.push(Stmt { kind, span: stmt.span });
        StmtId(id32(self.stmts.len() - 1))
    }

    fn action(&mut self, a: &ast::ActionStmt) -> Action {
        let step = self.steps_by_call.get(&a.call.span).copied().unwrap_or_else(|| {
            self.error(a.call.span, "a step the checker did not name");
            StepId(0)
        });
        let mut args = Vec::new();
        match catalog::action(&a.call.namespace.node, &a.call.action.node) {
            Some(spec) => {
                let mut given: Vec<Option<&ast::Expr>> = vec![None; spec.params.len()];
                let mut positional = 0;
                for arg in &a.call.args {
                    let index = match &arg.name {
                        Some(n) => spec.params.iter().position(|p| p.name == n.node),
                        None => {
                            positional += 1;
                            Some(positional - 1)
                        }
                    };
                    if let Some(slot) = index.and_then(|i| given.get_mut(i)) {
                        *slot = Some(&arg.value);
                    }
                }
                for (param, value) in spec.params.iter().zip(given) {
                    let id = match (value, param.default) {
                        (Some(v), _) => self.expr(v),
                        (None, ParamDefault::ContactField(field)) => {
                            self.contact_field(field, param.ty, a.call.span)
                        }
                        (None, ParamDefault::Literal(text)) => self.literal(text, a.call.span),
                        (None, ParamDefault::Absent | ParamDefault::Required) => continue,
                    };
                    args.push((param.name.to_string(), id));
                }
            }
            None => self.error(a.call.span, format!("unknown action `{}`", a.call.full_name())),
        }
        let mut action = Action {
            step,
            args,
            retry: None,
            timeout_ms: None,
            on_success: None,
            on_failure: OnFailure::End,
        };
        for m in &a.modifiers {
            match &m.node {
                ast::Modifier::Retry { count, backoff } => {
                    action.retry = Some(Retry {
                        count: u32::try_from(count.node).unwrap_or(0),
                        backoff_ms: backoff
                            .as_ref()
                            .map_or(1000, |b| u64::try_from(b.node.millis).unwrap_or(0)),
                    });
                }
                ast::Modifier::Timeout(d) => {
                    action.timeout_ms = Some(u64::try_from(d.node.millis).unwrap_or(0))
                }
                ast::Modifier::OnSuccess(r) => action.on_success = Some(self.route_id(r)),
                ast::Modifier::OnFailureRoute(r) => action.on_failure = OnFailure::Route(self.route_id(r)),
                ast::Modifier::OnFailureBlock(b) => action.on_failure = OnFailure::Block(self.block(b)),
                ast::Modifier::OnFailureContinue => action.on_failure = OnFailure::Continue,
            }
        }
        action
    }

    fn push(&mut self, kind: ExprKind, ty: Ty, span: Span) -> ExprId {
        self.exprs.push(Expr { kind, ty, span });
        ExprId(id32(self.exprs.len() - 1))
    }

    /// `contact.<field>`, written out for a parameter's default.
    fn contact_field(&mut self, field: &str, param_ty: &str, span: Span) -> ExprId {
        let contact = self.push(ExprKind::Var(Var::Contact), Ty::Named("Contact".into()), span);
        let ty = Ty::from(&catalog::catalog_type(param_ty));
        self.push(ExprKind::Field(contact, field.to_string()), ty, span)
    }

    /// A literal default from the catalog (`"default"`, `1`).
    fn literal(&mut self, text: &str, span: Span) -> ExprId {
        match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(s) => self.push(ExprKind::String(s.to_string()), Ty::String, span),
            None => match text.parse::<i64>() {
                Ok(n) => self.push(ExprKind::Int(n), Ty::Int, span),
                Err(_) => {
                    self.error(span, format!("bad catalog default `{text}`"));
                    self.push(ExprKind::Null, Ty::Null, span)
                }
            },
        }
    }

    fn var(&self, name: &str) -> Var {
        if self.locals.iter().any(|l| l == name) {
            return Var::Local(name.to_string());
        }
        match name {
            "event" => Var::Event,
            "contact" => Var::Contact,
            "run" => Var::Run,
            "error" => Var::Error,
            "hub" => Var::Hub,
            "card" => Var::Card,
            "entry" => Var::Entry,
            "prize" => Var::Prize,
            "coupon" => Var::Coupon,
            "receipt" => Var::Receipt,
            other => match self.info.steps.iter().position(|s| s.name == other) {
                Some(i) => Var::Step(StepId(id32(i))),
                None => Var::Local(other.to_string()),
            },
        }
    }

    fn expr(&mut self, e: &ast::Expr) -> ExprId {
        if let ast::ExprKind::Paren(inner) = &e.kind {
            return self.expr(inner);
        }
        let ty = match self.types.get(e.id) {
            Some(ty) => Ty::from(ty),
            None => {
                self.error(e.span, "the checker recorded no type for this expression");
                // Never reaches a program: any error refuses it.
                Ty::Null
            }
        };
        let kind = match &e.kind {
            ast::ExprKind::Paren(inner) => return self.expr(inner),
            ast::ExprKind::Null => ExprKind::Null,
            ast::ExprKind::Bool(b) => ExprKind::Bool(*b),
            ast::ExprKind::Int(i) => ExprKind::Int(*i),
            ast::ExprKind::Float(f) => ExprKind::Float(*f),
            ast::ExprKind::Duration(d) => ExprKind::Duration(d.millis),
            ast::ExprKind::String(lit) => match lit.as_plain() {
                Some(text) => ExprKind::String(text),
                None => ExprKind::Interp(
                    lit.parts
                        .iter()
                        .map(|p| match p {
                            ast::StringPart::Text(t) => Part::Text(t.node.clone()),
                            ast::StringPart::Interp(e) => Part::Expr(self.expr(e)),
                        })
                        .collect(),
                ),
            },
            ast::ExprKind::List(items) => ExprKind::List(items.iter().map(|i| self.expr(i)).collect()),
            ast::ExprKind::Record(fields) => {
                ExprKind::Record(fields.iter().map(|f| (f.key.node.clone(), self.expr(&f.value))).collect())
            }
            ast::ExprKind::Name(id) => ExprKind::Var(self.var(&id.node)),
            ast::ExprKind::Field { target, field } => ExprKind::Field(self.expr(target), field.node.clone()),
            ast::ExprKind::Index { target, index } => ExprKind::Index(self.expr(target), self.expr(index)),
            ast::ExprKind::Call { function, args } => match Builtin::from_name(&function.node) {
                Some(b) => ExprKind::Call(b, args.iter().map(|a| self.expr(a)).collect()),
                None => {
                    self.error(function.span, format!("unknown function `{}`", function.node));
                    ExprKind::Null
                }
            },
            ast::ExprKind::Cast { expr, .. } => ExprKind::Cast(self.expr(expr), ty.clone()),
            ast::ExprKind::Unary { op, expr } => match op.node {
                ast::UnaryOp::Not => ExprKind::Not(self.expr(expr)),
                ast::UnaryOp::Neg => ExprKind::Neg(self.expr(expr)),
            },
            ast::ExprKind::Binary { op, lhs, rhs } => {
                ExprKind::Binary(bin_op(op.node), self.expr(lhs), self.expr(rhs))
            }
        };
        self.push(kind, ty, e.span)
    }

    fn test(&mut self, test: &ast::Test, workflow: &str) -> TestCase {
        let mut case = TestCase {
            name: test.name.node.clone(),
            doc: test.doc.clone(),
            workflow: workflow.to_string(),
            event: None,
            contact: None,
            mocks: Vec::new(),
            expects: Vec::new(),
            exprs: Vec::new(),
            span: test.name.span,
        };
        for clause in &test.clauses {
            match &clause.node {
                ast::TestClause::Workflow(_) => {}
                ast::TestClause::Event(e) => case.event = Some(self.expr(e)),
                ast::TestClause::Contact(e) => case.contact = Some(self.expr(e)),
                ast::TestClause::Mock(m) => {
                    let filter = m.filter.as_ref().map(|f| self.expr(f));
                    let outcome = match &m.outcome {
                        ast::MockOutcome::Ok(e) => MockOutcome::Ok(self.expr(e)),
                        ast::MockOutcome::Fail { message, kind } => MockOutcome::Fail {
                            message: self.expr(message),
                            kind: kind.as_ref().map(|k| FailureKind::from_name(&k.node)),
                        },
                    };
                    let spec = catalog::action(&m.namespace.node, &m.action.node);
                    let action =
                        self.resolved_action(spec, clause.span, || format!("mock `{}`", m.full_name()));
                    case.mocks.push(Mock { action, filter, outcome, span: clause.span });
                }
                ast::TestClause::Expect(x) => {
                    let kind = match x {
                        ast::Expectation::Run(o) => ExpectKind::Run(match o.node {
                            ast::RunOutcome::Succeeded => RunStatus::Succeeded,
                            ast::RunOutcome::Failed => RunStatus::Failed,
                            ast::RunOutcome::Waiting => RunStatus::Waiting,
                        }),
                        ast::Expectation::NoRun => ExpectKind::NoRun,
                        ast::Expectation::Step { step, status } => ExpectKind::Step(
                            self.step_id(step),
                            match status.node {
                                ast::StepOutcome::Succeeded => StepStatus::Succeeded,
                                ast::StepOutcome::Failed => StepStatus::Failed,
                                ast::StepOutcome::Skipped => StepStatus::Skipped,
                            },
                        ),
                        ast::Expectation::CalledWith { step, args } => {
                            ExpectKind::CalledWith(self.step_id(step), self.expr(args))
                        }
                        ast::Expectation::Took(d) => ExpectKind::Took(d.node.millis),
                        ast::Expectation::That(e) => ExpectKind::That(self.expr(e)),
                        ast::Expectation::Event { trigger, filter } => {
                            let spec = catalog::trigger(&trigger.node).map(|(t, _)| t);
                            let filter = filter.as_ref().map(|f| {
                                self.locals = spec
                                    .map(check::caused_event_scope)
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(|(name, _)| name)
                                    .collect();
                                let id = self.expr(f);
                                self.locals.clear();
                                id
                            });
                            ExpectKind::Event { trigger: self.trigger_id(trigger), filter }
                        }
                        ast::Expectation::NoEvent { trigger } => {
                            ExpectKind::NoEvent(self.trigger_id(trigger))
                        }
                    };
                    case.expects.push(Expect { kind, span: clause.span });
                }
            }
        }
        case.exprs = std::mem::take(&mut self.exprs);
        case
    }

    /// A trigger the checker resolved (aliases to the canonical trigger).
    fn trigger_id(&mut self, trigger: &ast::Ident) -> TriggerId {
        match catalog::trigger(&trigger.node) {
            Some((spec, _)) => spec.id,
            None => {
                self.error(trigger.span, format!("unknown trigger `{}`", trigger.node));
                PLACEHOLDER_TRIGGER
            }
        }
    }

    /// An action the checker resolved for `what` (a step, a mock).
    fn resolved_action(
        &mut self,
        spec: Option<&ActionSpec>,
        span: Span,
        what: impl FnOnce() -> String,
    ) -> ActionId {
        match spec {
            Some(spec) => spec.id,
            None => {
                self.error(span, format!("the checker resolved no action for {}", what()));
                PLACEHOLDER_ACTION
            }
        }
    }

    fn step_id(&mut self, step: &ast::Ident) -> StepId {
        match self.info.steps.iter().position(|s| s.name == step.node) {
            Some(i) => StepId(id32(i)),
            None => {
                self.error(step.span, format!("unknown step `{}`", step.node));
                StepId(0)
            }
        }
    }
}

fn bin_op(op: ast::BinaryOp) -> BinOp {
    match op {
        ast::BinaryOp::Coalesce => BinOp::Coalesce,
        ast::BinaryOp::Or => BinOp::Or,
        ast::BinaryOp::And => BinOp::And,
        ast::BinaryOp::Eq => BinOp::Eq,
        ast::BinaryOp::Ne => BinOp::Ne,
        ast::BinaryOp::Lt => BinOp::Lt,
        ast::BinaryOp::Le => BinOp::Le,
        ast::BinaryOp::Gt => BinOp::Gt,
        ast::BinaryOp::Ge => BinOp::Ge,
        ast::BinaryOp::In => BinOp::In,
        ast::BinaryOp::Contains => BinOp::Contains,
        ast::BinaryOp::Add => BinOp::Add,
        ast::BinaryOp::Sub => BinOp::Sub,
        ast::BinaryOp::Mul => BinOp::Mul,
        ast::BinaryOp::Div => BinOp::Div,
        ast::BinaryOp::Rem => BinOp::Rem,
    }
}

#[cfg(test)]
mod tests;

//! One workflow: header clauses, step names, routes, then the flow of its statements.
//!
//! In: a parsed [`Workflow`]. Out: a [`WorkflowInfo`] (trigger, form, steps with their
//! generated names) for tests and IR lowering, and every finding.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::env::{Env, StepDecl};
use super::errors::{Because, CheckError};
use super::flow::{Flow, join};
use super::project_catalog::ProjectCatalog;
use super::stmt::FlowChecker;
use super::typed::ExprTypes;
use super::types::Type;
use crate::catalog::{self, ScopeKind, TriggerSpec};
use crate::diagnostics::did_you_mean;
use crate::source::{FileId, Span};
use crate::syntax::ast::{ActionStmt, Block, HeaderClause, Ident, Modifier, Scope, Stmt, StmtKind, Workflow};

/// What the checker knows about a workflow once checked.
#[derive(Clone, Debug)]
pub struct WorkflowInfo {
    pub name: String,
    pub file: FileId,
    /// The workflow's name as written.
    pub span: Span,
    pub trigger: Option<&'static TriggerSpec>,
    pub scope: Option<ScopeKind>,
    /// The `form` fields' record type, if declared.
    pub form: Option<Type>,
    /// Every step in source order, with given or generated names.
    pub steps: Vec<StepDecl>,
}

impl WorkflowInfo {
    pub fn step(&self, name: &str) -> Option<&StepDecl> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// Checks one workflow against the project's catalog; returns what it learned, its
/// findings and the type of every expression it checked.
pub fn check_workflow(
    file: FileId,
    wf: &Workflow,
    project_catalog: &Arc<ProjectCatalog>,
) -> (WorkflowInfo, Vec<CheckError>, ExprTypes) {
    let mut errors = Vec::new();
    let header = check_header(file, wf, &mut errors);
    let mut env = Env::new(file, header.trigger, header.form.clone());
    env.set_project_catalog(project_catalog);
    env.errors = errors;
    let steps = collect_steps(wf, &mut env);
    let routes = collect_routes(wf, &mut env);
    let mut checker = FlowChecker {
        env,
        routes,
        entries: HashMap::new(),
        step_names: steps.iter().map(|s| (s.call, s.name.clone())).collect(),
    };
    checker.env.steps = steps.iter().map(|s| (s.name.clone(), s.clone())).collect();

    if let Some(filter) = &header.filter {
        checker.env.in_filter = true;
        checker.env.expect_bool(filter, &Flow::default(), "a trigger's `where` filter");
        checker.env.in_filter = false;
    }
    let mut flow = Flow::default();
    checker.block(&wf.body, &mut flow);
    check_routes(wf, &mut checker);
    naming_conventions(wf, &mut checker.env);

    let info = WorkflowInfo {
        name: wf.name.node.clone(),
        file,
        span: wf.name.span,
        trigger: header.trigger,
        scope: header.scope,
        form: header.form,
        steps,
    };
    (info, checker.env.errors, checker.env.types)
}

/// The trigger `name` names (a workflow's `trigger`, a test's `expect event`): an alias
/// is accepted with a warning, an unknown name reported with a suggestion.
pub(super) fn resolve_trigger(name: &Ident, errors: &mut Vec<CheckError>) -> Option<&'static TriggerSpec> {
    match catalog::trigger(&name.node) {
        Some((spec, alias)) => {
            if alias {
                errors.push(CheckError::TriggerAlias {
                    alias: name.node.clone(),
                    canonical: spec.name,
                    span: name.span,
                });
            }
            Some(spec)
        }
        None => {
            let names: Vec<&str> = catalog::trigger_names().collect();
            let suggestion = did_you_mean(&name.node, &names).map(str::to_string);
            errors.push(CheckError::UnknownTrigger { name: name.node.clone(), span: name.span, suggestion });
            None
        }
    }
}

#[derive(Default)]
struct Header<'w> {
    trigger: Option<&'static TriggerSpec>,
    scope: Option<ScopeKind>,
    form: Option<Type>,
    filter: Option<&'w crate::syntax::ast::Expr>,
}

fn check_header<'w>(file: FileId, wf: &'w Workflow, errors: &mut Vec<CheckError>) -> Header<'w> {
    let mut out = Header::default();
    let mut first: HashMap<&'static str, Span> = HashMap::new();
    let mut scope_span = Span::default();
    let mut trigger_span = Span::default();
    let mut form_span: Option<Span> = None;
    let mut form_fields = None;
    let mut scratch = Env::new(file, None, None);
    for clause in &wf.header {
        let kind = match &clause.node {
            HeaderClause::Title(_) => "`title`",
            HeaderClause::Scope(_) => "`scope`",
            HeaderClause::Trigger { .. } => "`trigger`",
            HeaderClause::Form(_) => "`form`",
        };
        if let Some(first) = first.get(kind) {
            errors.push(CheckError::DuplicateClause { what: kind.into(), span: clause.span, first: *first });
            continue;
        }
        first.insert(kind, clause.span);
        match &clause.node {
            HeaderClause::Title(t) => scratch.expect(t, &Type::String, &Flow::default(), "`title`"),
            HeaderClause::Scope(scope) => {
                scope_span = clause.span;
                out.scope = Some(match scope {
                    Scope::Workspace => ScopeKind::Workspace,
                    Scope::Hub(_) => ScopeKind::Hub,
                    Scope::Card(_) => ScopeKind::Card,
                });
            }
            HeaderClause::Trigger { name, filter } => {
                trigger_span = name.span;
                out.filter = filter.as_ref();
                out.trigger = resolve_trigger(name, errors);
            }
            HeaderClause::Form(fields) => {
                form_span = Some(clause.span);
                form_fields = Some(fields);
            }
        }
    }
    errors.append(&mut scratch.errors);
    for clause in ["scope", "trigger"] {
        if !first.contains_key(if clause == "scope" { "`scope`" } else { "`trigger`" }) {
            errors.push(CheckError::MissingClause {
                clause,
                workflow: wf.name.node.clone(),
                span: wf.name.span,
            });
        }
    }
    if let (Some(trigger), Some(scope)) = (out.trigger, out.scope) {
        if !trigger.allows_scope(scope) || (scope == ScopeKind::Card && !trigger.comes_from_card()) {
            errors.push(CheckError::TriggerNotAllowedAtScope {
                trigger: trigger.name,
                scope,
                span: trigger_span,
                scope_span,
                allowed: trigger.scopes,
                from_card: trigger.comes_from_card(),
            });
        }
    }
    if let Some(fields) = form_fields {
        let mut env = Env::new(file, None, None);
        let fields_ty = env.resolve_type(&crate::syntax::ast::TypeExpr {
            kind: crate::syntax::ast::TypeExprKind::Record(fields.clone()),
            span: form_span.unwrap_or_default(),
        });
        errors.append(&mut env.errors);
        if let Type::Record(rt) = &fields_ty {
            for ((_, t), f) in rt.fields.iter().zip(fields) {
                if t.contains_secret() {
                    errors.push(CheckError::SecretMisuse { span: f.ty.span, usage: "a form field".into() });
                }
            }
        }
        match out.trigger {
            Some(t) if !t.form_data => {
                errors.push(CheckError::FormNotAllowed {
                    trigger: t.name,
                    span: form_span.unwrap_or_default(),
                });
            }
            _ => out.form = Some(fields_ty),
        }
    }
    out
}

/// Every action statement in source order, with the block structure flattened.
pub(super) fn action_statements<'w>(block: &'w Block, out: &mut Vec<&'w ActionStmt>) {
    for stmt in &block.stmts {
        walk_stmt(stmt, out);
    }
}

fn walk_stmt<'w>(stmt: &'w Stmt, out: &mut Vec<&'w ActionStmt>) {
    match &stmt.kind {
        StmtKind::Action(a) => {
            out.push(a);
            for m in &a.modifiers {
                if let Modifier::OnFailureBlock(b) = &m.node {
                    action_statements(b, out);
                }
            }
        }
        StmtKind::If { branches, otherwise } => {
            for b in branches {
                action_statements(&b.block, out);
            }
            if let Some(b) = otherwise {
                action_statements(b, out);
            }
        }
        _ => {}
    }
}

/// Names every step: given names must be unique; unnamed ones are `<action>_<n>`.
fn collect_steps(wf: &Workflow, env: &mut Env) -> Vec<StepDecl> {
    let mut actions = Vec::new();
    action_statements(&wf.body, &mut actions);
    for r in &wf.routes {
        action_statements(&r.body, &mut actions);
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut steps: Vec<StepDecl> = Vec::with_capacity(actions.len());
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for a in &actions {
        let spec = catalog::action(&a.call.namespace.node, &a.call.action.node);
        let (name, span, generated) = match &a.step {
            Some(id) => (id.node.clone(), id.span, false),
            None => {
                let n = counts.entry(a.call.action.node.clone()).or_insert(0);
                *n += 1;
                (format!("{}_{n}", a.call.action.node), a.call.span, true)
            }
        };
        if let Some(&i) = by_name.get(&name) {
            if let Some(first) = steps.get(i) {
                let (dup_span, first_span, message) = if generated {
                    (
                        first.span,
                        span,
                        format!("the unnamed `{}` here is also called `{name}`", a.call.full_name()),
                    )
                } else if first.generated {
                    (span, first.span, format!("the unnamed step here is also called `{name}`"))
                } else {
                    (span, first.span, "first defined here".to_string())
                };
                env.error(CheckError::DuplicateStep {
                    name: name.clone(),
                    span: dup_span,
                    first: Because { file: env.file, span: first_span, message },
                });
            }
            continue;
        }
        by_name.insert(name.clone(), steps.len());
        steps.push(StepDecl { name, span, call: a.call.span, action: spec, generated });
    }
    steps
}

fn collect_routes(wf: &Workflow, env: &mut Env) -> HashMap<String, Span> {
    let mut routes: HashMap<String, Span> = HashMap::new();
    for r in &wf.routes {
        if let Some(first) = routes.get(&r.name.node) {
            env.error(CheckError::DuplicateRoute {
                name: r.name.node.clone(),
                span: r.name.span,
                first: *first,
            });
        } else {
            routes.insert(r.name.node.clone(), r.name.span);
        }
    }
    routes
}

/// Every jump (`->`, `on success ->`, `on failure ->`) in a block: target and span.
fn jumps(block: &Block, out: &mut Vec<(String, Span)>) {
    for stmt in &block.stmts {
        match &stmt.kind {
            StmtKind::Goto(r) => out.push((r.node.clone(), r.span)),
            StmtKind::If { branches, otherwise } => {
                branches.iter().for_each(|b| jumps(&b.block, out));
                if let Some(b) = otherwise {
                    jumps(b, out);
                }
            }
            StmtKind::Action(a) => {
                for m in &a.modifiers {
                    match &m.node {
                        Modifier::OnSuccess(r) | Modifier::OnFailureRoute(r) => {
                            out.push((r.node.clone(), r.span))
                        }
                        Modifier::OnFailureBlock(b) => jumps(b, out),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// Cycles, unused routes, then each route's body with the state it is entered with.
fn check_routes(wf: &Workflow, checker: &mut FlowChecker) {
    let index: HashMap<&str, usize> =
        wf.routes.iter().enumerate().rev().map(|(i, r)| (r.name.node.as_str(), i)).collect();
    let edges: Vec<Vec<(usize, Span)>> = wf
        .routes
        .iter()
        .map(|r| {
            let mut js = Vec::new();
            jumps(&r.body, &mut js);
            js.into_iter().filter_map(|(n, s)| index.get(n.as_str()).map(|&i| (i, s))).collect()
        })
        .collect();
    let mut roots = Vec::new();
    jumps(&wf.body, &mut roots);
    let roots: Vec<usize> = roots.iter().filter_map(|(n, _)| index.get(n.as_str()).copied()).collect();

    // Reachability from the main flow.
    let mut reachable = vec![false; wf.routes.len()];
    let mut stack = roots.clone();
    while let Some(i) = stack.pop() {
        if let Some(seen) = reachable.get_mut(i) {
            if !*seen {
                *seen = true;
                stack.extend(edges.get(i).into_iter().flatten().map(|(j, _)| *j));
            }
        }
    }

    // Depth-first search for cycles; the finishing order reversed is a topological order.
    let mut state = vec![0u8; wf.routes.len()]; // 0 new, 1 on the stack, 2 done
    let mut order = Vec::with_capacity(wf.routes.len());
    let mut path: Vec<usize> = Vec::new();
    for start in 0..wf.routes.len() {
        visit(start, &edges, &mut state, &mut order, &mut path, wf, &mut checker.env);
    }
    order.reverse();

    for (i, route) in wf.routes.iter().enumerate() {
        let first_of_name = index.get(route.name.node.as_str()) == Some(&i);
        if first_of_name && !reachable.get(i).copied().unwrap_or(false) {
            checker
                .env
                .error(CheckError::UnusedRoute { name: route.name.node.clone(), span: route.name.span });
        }
    }
    for i in order {
        let Some(route) = wf.routes.get(i) else { continue };
        let entries = checker.entries.remove(&route.name.node).unwrap_or_default();
        let mut flow = join(entries).unwrap_or_else(|| {
            // Never entered (unused, or only from a cycle): check it on its own, without
            // claiming anything about steps, and with `error` allowed.
            Flow { error: Some(route.name.span), ..Flow::default() }
        });
        checker.block(&route.body, &mut flow);
    }
}

fn visit(
    i: usize,
    edges: &[Vec<(usize, Span)>],
    state: &mut [u8],
    order: &mut Vec<usize>,
    path: &mut Vec<usize>,
    wf: &Workflow,
    env: &mut Env,
) {
    if state.get(i).copied() != Some(0) {
        return;
    }
    if let Some(s) = state.get_mut(i) {
        *s = 1;
    }
    path.push(i);
    for &(j, span) in edges.get(i).into_iter().flatten() {
        match state.get(j).copied() {
            Some(0) => visit(j, edges, state, order, path, wf, env),
            Some(1) => {
                let from = path.iter().position(|&k| k == j).unwrap_or(0);
                let mut cycle: Vec<String> = path
                    .iter()
                    .skip(from)
                    .filter_map(|&k| wf.routes.get(k).map(|r| r.name.node.clone()))
                    .collect();
                cycle.extend(wf.routes.get(j).map(|r| r.name.node.clone()));
                env.error(CheckError::RouteCycle { span, cycle });
            }
            _ => {}
        }
    }
    path.pop();
    if let Some(s) = state.get_mut(i) {
        *s = 2;
    }
    order.push(i);
}

/// `snake_case` names for workflows, steps, routes and `let`s (a warning).
fn naming_conventions(wf: &Workflow, env: &mut Env) {
    let mut names: Vec<(&'static str, &crate::syntax::ast::Ident)> = vec![("workflow", &wf.name)];
    let mut seen = HashSet::new();
    collect_names(&wf.body, &mut names);
    for r in &wf.routes {
        names.push(("route", &r.name));
        collect_names(&r.body, &mut names);
    }
    for (kind, id) in names {
        if !is_snake_case(&id.node) && seen.insert((kind, id.span)) {
            env.error(CheckError::NamingConvention {
                kind,
                name: id.node.clone(),
                span: id.span,
                suggestion: to_snake_case(&id.node),
            });
        }
    }
}

fn collect_names<'w>(block: &'w Block, out: &mut Vec<(&'static str, &'w crate::syntax::ast::Ident)>) {
    for stmt in &block.stmts {
        match &stmt.kind {
            StmtKind::Let { name, .. } => out.push(("`let`", name)),
            StmtKind::Action(a) => {
                if let Some(s) = &a.step {
                    out.push(("step", s));
                }
                for m in &a.modifiers {
                    if let Modifier::OnFailureBlock(b) = &m.node {
                        collect_names(b, out);
                    }
                }
            }
            StmtKind::If { branches, otherwise } => {
                branches.iter().for_each(|b| collect_names(&b.block, out));
                if let Some(b) = otherwise {
                    collect_names(b, out);
                }
            }
            _ => {}
        }
    }
}

pub fn is_snake_case(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("__")
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

pub fn to_snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case() {
        assert!(is_snake_case("welcome_new_contacts"));
        assert!(is_snake_case("send_email_1"));
        assert!(!is_snake_case("WelcomeNew"));
        assert!(!is_snake_case("a__b"));
        assert_eq!(to_snake_case("WelcomeNewContacts"), "welcome_new_contacts");
        assert_eq!(to_snake_case("sendSMS"), "send_sms");
    }
}

//! Statements, actions and their modifiers: the flow analysis.
//!
//! In: a block and the [`Flow`] before it. Out: the flow after it (or that it never
//! falls through), findings, and the states with which each route is entered (used
//! when the route itself is checked).

use std::collections::HashMap;

use super::env::{BUILTIN_NAMES, Env};
use super::errors::{Because, CheckError};
use super::expr::condition_facts;
use super::flow::{Flow, ForgetCause, LetBinding, Reach, join};
use super::types::Type;
use crate::catalog::{self, ActionId, ActionSpec, ContextName, ParamDefault};
use crate::diagnostics::did_you_mean;
use crate::source::Span;
use crate::syntax::ast::{
    ActionCall, ActionStmt, Block, Expr, ExprKind, Ident, Modifier, Spanned, Stmt, StmtKind,
};

/// The longest `wait`, in milliseconds (365 days).
pub const MAX_WAIT_MS: i64 = 365 * 24 * 3600 * 1000;
/// The longest `timeout`, in milliseconds (5 minutes).
pub const MAX_TIMEOUT_MS: i64 = 5 * 60 * 1000;
/// The most `retry` attempts.
pub const MAX_RETRY: i64 = 10;

/// Checks the statements of one workflow.
#[derive(Debug)]
pub struct FlowChecker {
    pub env: Env,
    /// Route name → where it is defined.
    pub routes: HashMap<String, Span>,
    /// Route name → the states it is entered with, and from where.
    pub entries: HashMap<String, Vec<(Flow, Because)>>,
    /// Action statement (by the span of its call) → its step name.
    pub step_names: HashMap<Span, String>,
}

impl FlowChecker {
    /// Checks a block; `flow` becomes the state after it.
    pub fn block(&mut self, block: &Block, flow: &mut Flow) -> Reach {
        let outer_lets: Vec<String> = flow.lets.keys().cloned().collect();
        let mut reach = Reach::Continues;
        let mut ended_by: Option<Span> = None;
        let mut reported = false;
        for stmt in &block.stmts {
            if let (Reach::Diverges, Some(cause), false) = (reach, ended_by, reported) {
                self.env.error(CheckError::Unreachable { span: stmt.span, cause });
                reported = true;
            }
            let r = self.stmt(stmt, flow);
            if reach == Reach::Continues && r == Reach::Diverges {
                reach = Reach::Diverges;
                ended_by = Some(stmt.span);
            }
        }
        flow.lets.retain(|name, _| outer_lets.contains(name));
        reach
    }

    fn stmt(&mut self, stmt: &Stmt, flow: &mut Flow) -> Reach {
        match &stmt.kind {
            StmtKind::Action(action) => self.action(stmt, action, flow),
            StmtKind::Let { name, value } => {
                let ty = self.env.infer(value, flow);
                let ty = if ty == Type::Null { Type::Json } else { ty };
                self.declare_let(name, ty, flow);
                Reach::Continues
            }
            StmtKind::If { branches, otherwise } => self.if_stmt(branches, otherwise.as_ref(), flow),
            StmtKind::Wait(d) => {
                self.env.expect(d, &Type::Duration, flow, "`wait`");
                if let Some(ms) = literal_duration(d) {
                    if ms > MAX_WAIT_MS {
                        self.env.error(CheckError::WaitTooLong { span: d.span });
                    }
                }
                let wait = Span { start: stmt.span.start, end: d.span.end };
                flow.forget_contact(wait, &ForgetCause::Wait { until: false });
                Reach::Continues
            }
            StmtKind::WaitUntil(t) => {
                self.env.expect(t, &Type::Timestamp, flow, "`wait until`");
                let wait = Span { start: stmt.span.start, end: t.span.end };
                flow.forget_contact(wait, &ForgetCause::Wait { until: true });
                Reach::Continues
            }
            StmtKind::Goto(route) => {
                self.enter_route(route, flow.clone());
                Reach::Diverges
            }
            StmtKind::Stop => Reach::Diverges,
            StmtKind::Fail(message) => {
                self.env.expect(message, &Type::String, flow, "`fail`");
                Reach::Diverges
            }
        }
    }

    fn declare_let(&mut self, name: &Ident, ty: Type, flow: &mut Flow) {
        let taken_by = if let Some(b) = flow.lets.get(&name.node) {
            Some(("a `let` name here".to_string(), Some(b.span)))
        } else if let Some(step) = self.env.steps.get(&name.node) {
            Some(("the name of a step".to_string(), Some(step.span)))
        } else if BUILTIN_NAMES.contains(&name.node.as_str()) || ContextName::from_name(&name.node).is_some()
        {
            Some(("a built-in name".to_string(), None))
        } else {
            None
        };
        if let Some((taken_by, first)) = taken_by {
            self.env.error(CheckError::DuplicateLet {
                name: name.node.clone(),
                span: name.span,
                first,
                taken_by,
            });
            return;
        }
        self.env.all_lets.insert(name.node.clone());
        flow.lets.insert(name.node.clone(), LetBinding { ty, span: name.span });
    }

    fn if_stmt(
        &mut self,
        branches: &[super::super::syntax::ast::IfBranch],
        otherwise: Option<&Block>,
        flow: &mut Flow,
    ) -> Reach {
        let mut outs: Vec<(Flow, Because)> = Vec::new();
        let mut rest = flow.clone();
        for branch in branches {
            self.env.expect_bool(&branch.cond, &rest, "an `if` condition");
            let (when_true, when_false) = condition_facts(&branch.cond);
            let mut inside = rest.clone();
            inside.add_facts(when_true);
            if self.block(&branch.block, &mut inside) == Reach::Continues {
                outs.push((
                    inside,
                    self.env.because(branch.cond.span, "on the path where this condition is true"),
                ));
            }
            rest.add_facts(when_false);
        }
        match otherwise {
            Some(block) => {
                if self.block(block, &mut rest) == Reach::Continues {
                    outs.push((rest, self.env.because(block.span, "on the `else` path")));
                }
            }
            None => {
                let span = branches.first().map_or(Span::default(), |b| b.cond.span);
                outs.push((rest, self.env.because(span, "on the path where this condition is false")));
            }
        }
        match join(outs) {
            Some(after) => {
                *flow = after;
                Reach::Continues
            }
            None => Reach::Diverges,
        }
    }

    /// Records that `route` is entered with `flow`.
    fn enter_route(&mut self, route: &Ident, flow: Flow) {
        if !self.routes.contains_key(&route.node) {
            let suggestion = did_you_mean(&route.node, self.routes.keys()).map(str::to_string);
            self.env.error(CheckError::UnknownRoute {
                name: route.node.clone(),
                span: route.span,
                suggestion,
            });
            return;
        }
        let because = self.env.because(route.span, format!("when `{}` is entered from here", route.node));
        self.entries.entry(route.node.clone()).or_default().push((flow, because));
    }

    fn action(&mut self, stmt: &Stmt, a: &ActionStmt, flow: &mut Flow) -> Reach {
        let name = self.step_names.get(&a.call.span).cloned().unwrap_or_default();
        let spec = self.resolve_action(&a.call);
        match spec {
            Some(spec) => self.call_args(spec, &a.call, flow),
            None => a.call.args.iter().for_each(|arg| {
                self.env.infer(&arg.value, flow);
            }),
        }
        let mods = self.modifiers(&a.modifiers);
        // What the action may have written is forgotten on both paths: a failed
        // action may have written some of it.
        forget_written(flow, spec, &a.call);

        let mut failed = flow.clone();
        failed.error = Some(a.call.span);
        failed.error_missing = None;

        let mut succeeded = flow.clone();
        succeeded.succeeded.insert(name.clone());
        succeeded.missing.remove(&name);

        let mut outs: Vec<(Flow, Because)> = Vec::new();
        match mods.on_failure.map(|m| &m.node) {
            Some(Modifier::OnFailureRoute(route)) => self.enter_route(route, failed),
            Some(Modifier::OnFailureBlock(block)) => {
                let mut inside = failed;
                self.block(block, &mut inside);
            }
            Some(Modifier::OnFailureContinue) => {
                let because =
                    self.env.because(stmt.span, "on the path where this step fails (`on failure continue`)");
                failed.error = None;
                failed.error_missing = Some(because.clone());
                failed.missing.insert(name.clone(), because.clone());
                outs.push((failed, because));
            }
            _ => {}
        }
        match mods.on_success {
            Some(route) => self.enter_route(route, succeeded),
            None => outs
                .insert(0, (succeeded, self.env.because(stmt.span, "on the path where this step succeeds"))),
        }
        match join(outs) {
            Some(after) => {
                *flow = after;
                Reach::Continues
            }
            None => Reach::Diverges,
        }
    }

    pub fn resolve_action(&mut self, call: &ActionCall) -> Option<&'static ActionSpec> {
        self.env.resolve_action(&call.namespace, &call.action)
    }

    /// Checks arguments against the action's parameters.
    pub fn call_args(&mut self, spec: &'static ActionSpec, call: &ActionCall, flow: &Flow) {
        let full = spec.full_name();
        let mut given: Vec<Option<Span>> = vec![None; spec.params.len()];
        let mut positional = 0usize;
        let mut seen_named = false;
        let mut too_many_reported = false;
        for arg in &call.args {
            let index = match &arg.name {
                None if seen_named => {
                    self.env.error(CheckError::PositionalAfterNamed { span: arg.span });
                    None
                }
                None => {
                    positional += 1;
                    if positional > spec.params.len() && !too_many_reported {
                        too_many_reported = true;
                        let max = spec.params.len();
                        self.env.error(CheckError::TooManyArguments {
                            callee: full.clone(),
                            max,
                            span: arg.span,
                        });
                    }
                    Some(positional - 1).filter(|i| *i < spec.params.len())
                }
                Some(name) => {
                    seen_named = true;
                    let index = spec.params.iter().position(|p| p.name == name.node);
                    if index.is_none() {
                        let names: Vec<&'static str> = spec.params.iter().map(|p| p.name).collect();
                        let suggestion = did_you_mean(&name.node, &names).map(str::to_string);
                        self.env.error(CheckError::UnknownParameter {
                            action: full.clone(),
                            name: name.node.clone(),
                            span: name.span,
                            suggestion,
                            params: names,
                        });
                    }
                    index
                }
            };
            let Some((index, param)) = index.and_then(|i| spec.params.get(i).map(|p| (i, p))) else {
                self.env.infer(&arg.value, flow);
                continue;
            };
            if let Some(Some(first)) = given.get(index) {
                let first = *first;
                self.env.error(CheckError::DuplicateArgument {
                    name: param.name.into(),
                    span: arg.span,
                    first,
                });
            }
            if let Some(slot) = given.get_mut(index) {
                *slot = Some(arg.span);
            }
            let ty = match (param.ty, &self.env.project_catalog.properties) {
                ("ContactSet", Some(props)) => {
                    let mut fields: Vec<(String, Type)> = catalog::CONTACT_SETTABLE_FIELDS
                        .iter()
                        .map(|(n, t)| ((*n).to_string(), catalog::catalog_type(t)))
                        .collect();
                    fields.extend(props.iter().map(|(n, t)| (n.clone(), Type::optional(t.clone()))));
                    Type::open_record(Some("contact fields"), fields, Type::Json)
                }
                _ => catalog::catalog_type(param.ty),
            };
            let context = format!("`{}` of `{full}`", param.name);
            self.env.expect(&arg.value, &ty, flow, &context);
            if spec.id == ActionId::HttpRequest && param.name == "method" {
                check_method(&mut self.env, &arg.value);
            }
        }
        if let Some(needed) = spec.needs {
            self.needs_context(needed, call, flow);
        }
        if spec.needs_contact() && self.env.contact_ty.is_optional() && !flow.knows("contact") {
            self.env.error(CheckError::MaybeNull {
                what: "`contact`".into(),
                span: call.namespace.span,
                path: Some("contact".into()),
                context: format!("`{full}` acts on the contact"),
                forgotten: flow.why_forgotten("contact"),
            });
        }
        if spec.id == ActionId::ContactUpdate {
            self.settable_fields(spec, call);
        }
        self.catalog_checks(spec, call);
        for (param, given) in spec.params.iter().zip(&given) {
            if given.is_some() {
                continue;
            }
            match param.default {
                ParamDefault::Required => self.env.error(CheckError::MissingArgument {
                    callee: full.clone(),
                    param: param.name.into(),
                    ty: catalog::catalog_type(param.ty).to_string(),
                    span: call.span,
                }),
                ParamDefault::ContactField(field) => {
                    self.default_from_contact(spec, param.name, param.ty, field, call, flow)
                }
                ParamDefault::Absent | ParamDefault::Literal(_) => {}
            }
        }
    }

    /// `contact.update(set: { … })` may not write the fields other actions own.
    fn settable_fields(&mut self, spec: &ActionSpec, call: &ActionCall) {
        let Some(set) = argument(spec, call, "set") else { return };
        let ExprKind::Record(fields) = &set.kind else { return };
        for f in fields {
            if let Some((_, hint)) = catalog::CONTACT_OWNED_FIELDS.iter().find(|(n, _)| *n == f.key.node) {
                self.env.error(CheckError::NotSettable { field: f.key.node.clone(), span: f.key.span, hint });
            }
        }
    }

    /// A parameter that defaults to `contact.<field>` needs that field non-null here.
    fn default_from_contact(
        &mut self,
        spec: &ActionSpec,
        param: &'static str,
        ty: &str,
        field: &str,
        call: &ActionCall,
        flow: &Flow,
    ) {
        let contact_missing = self.env.contact_ty.is_optional() && !flow.knows("contact");
        let field_ty =
            catalog::CONTACT_FIELDS.iter().find(|(n, _)| *n == field).map(|(_, t)| *t).unwrap_or("String");
        let path = format!("contact.{field}");
        let field_missing = field_ty.ends_with('?') && !flow.knows(&path);
        if contact_missing || field_missing {
            let path = if contact_missing { "contact".into() } else { path };
            self.env.error(CheckError::DefaultMayBeNull {
                action: spec.full_name(),
                param,
                forgotten: flow.why_forgotten(&path),
                path,
                ty: catalog::catalog_type(ty),
                span: call.span,
            });
        }
    }

    /// `entry.add_tags` needs a trigger that carries `entry` (proven present if optional).
    fn needs_context(&mut self, needed: ContextName, call: &ActionCall, flow: &Flow) {
        match self.env.context_type(needed) {
            Err(CheckError::ContextNotCarried { name, trigger, carriers, .. }) => {
                self.env.error(CheckError::ContextNotCarried {
                    name,
                    trigger,
                    span: call.namespace.span,
                    carriers,
                });
            }
            Ok(t) if t.is_optional() && !flow.knows(needed.as_str()) => {
                let what = format!("`{}`", needed.as_str());
                self.env.error(CheckError::MaybeNull {
                    what,
                    span: call.namespace.span,
                    path: Some(needed.as_str().into()),
                    context: format!("`{}` needs it", call.full_name()),
                    forgotten: flow.why_forgotten(needed.as_str()),
                });
            }
            _ => {}
        }
    }

    fn modifiers<'m>(&mut self, modifiers: &'m [Spanned<Modifier>]) -> Modifiers<'m> {
        let mut out = Modifiers::default();
        let mut retry: Option<Span> = None;
        let mut timeout: Option<Span> = None;
        let mut success: Option<Span> = None;
        let mut failure: Option<Span> = None;
        for m in modifiers {
            let (slot, what) = match &m.node {
                Modifier::Retry { .. } => (&mut retry, "`retry`"),
                Modifier::Timeout(_) => (&mut timeout, "`timeout`"),
                Modifier::OnSuccess(_) => (&mut success, "`on success`"),
                _ => (&mut failure, "`on failure`"),
            };
            if let Some(first) = *slot {
                self.env.error(CheckError::DuplicateClause { what: what.into(), span: m.span, first });
                continue;
            }
            *slot = Some(m.span);
            match &m.node {
                Modifier::Retry { count, .. } if count.node > MAX_RETRY => {
                    self.env.error(CheckError::RetryOverLimit { count: count.node, span: count.span });
                }
                Modifier::Timeout(d) if d.node.millis > MAX_TIMEOUT_MS || d.node.millis <= 0 => {
                    self.env.error(CheckError::TimeoutOverLimit { span: d.span, zero: d.node.millis <= 0 });
                }
                Modifier::OnSuccess(route) => out.on_success = Some(route),
                Modifier::OnFailureRoute(_) | Modifier::OnFailureBlock(_) | Modifier::OnFailureContinue => {
                    out.on_failure = Some(m);
                }
                _ => {}
            }
        }
        out
    }
}

#[derive(Default)]
struct Modifiers<'m> {
    on_success: Option<&'m Ident>,
    on_failure: Option<&'m Spanned<Modifier>>,
}

/// Forgets the facts about the contact's fields that the action may write, per the
/// effect table (`ActionSpec::effects`); an action not in the catalog may write any.
fn forget_written(flow: &mut Flow, spec: Option<&ActionSpec>, call: &ActionCall) {
    let by = call.namespace.span.to(call.action.span);
    match spec {
        None => flow.forget_contact(by, &ForgetCause::Action { name: call.full_name(), known: false }),
        Some(spec) if spec.effects.writes_contact() => {
            let keys = if spec.effects.writes_set_keys { set_keys(spec, call) } else { None };
            let cause = ForgetCause::Action { name: spec.full_name(), known: true };
            flow.forget_contact_fields(by, &cause, |field| spec.effects.may_write(field, keys.as_deref()));
        }
        Some(_) => {}
    }
}

/// The keys an action's `set:` argument writes: none without one, its keys when it
/// is a record literal, `None` (unknown) otherwise.
fn set_keys(spec: &ActionSpec, call: &ActionCall) -> Option<Vec<String>> {
    let Some(mut set) = argument(spec, call, "set") else { return Some(Vec::new()) };
    while let ExprKind::Paren(inner) = &set.kind {
        set = inner;
    }
    match &set.kind {
        ExprKind::Record(fields) => Some(fields.iter().map(|f| f.key.node.clone()).collect()),
        _ => None,
    }
}

/// The value given for the parameter `param`: by name, or by its position.
fn argument<'c>(spec: &ActionSpec, call: &'c ActionCall, param: &str) -> Option<&'c Expr> {
    let position = spec.params.iter().position(|p| p.name == param)?;
    let named = call.args.iter().find(|a| a.name.as_ref().is_some_and(|n| n.node == param));
    named.or_else(|| call.args.iter().take_while(|a| a.name.is_none()).nth(position)).map(|a| &a.value)
}

/// The value of a duration literal (also `-2d` and `(2d)`).
pub fn literal_duration(e: &Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Duration(d) => Some(d.millis),
        ExprKind::Paren(inner) => literal_duration(inner),
        _ => None,
    }
}

fn check_method(env: &mut Env, value: &Expr) {
    if let ExprKind::String(lit) = &value.kind {
        if let Some(text) = lit.as_plain() {
            if !catalog::HTTP_METHODS.contains(&text.as_str()) {
                env.error(CheckError::InvalidLiteral {
                    kind: "HTTP method".into(),
                    text,
                    reason: "use `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD` or `OPTIONS`",
                    span: value.span,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::check::flow::Forgotten;
    use crate::check::project_catalog::ProjectCatalog;
    use crate::check::workflow::check_workflow;
    use crate::source::FileId;
    use crate::syntax::ast::Item;

    /// The source of a workflow with `body`, and what checking it finds.
    fn check(trigger: &str, body: &str, project_catalog: ProjectCatalog) -> (String, Vec<CheckError>) {
        let text = format!("workflow w {{\n  scope workspace\n  trigger {trigger}\n{body}\n}}\n");
        let parsed = crate::syntax::parse(FileId(0), &text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let Some(Item::Workflow(wf)) = parsed.file.items.first() else { unreachable!("no workflow") };
        let errors = check_workflow(FileId(0), wf, &Arc::new(project_catalog)).1;
        (text, errors)
    }

    /// For each finding: the text of the check and of the statement that forgot it.
    fn forgotten_texts(text: &str, errors: &[CheckError]) -> Vec<Option<(String, String, ForgetCause)>> {
        let at = |s: Span| text[s.start as usize..s.end as usize].to_string();
        errors
            .iter()
            .map(|e| match e {
                CheckError::MaybeNull { forgotten, .. } | CheckError::DefaultMayBeNull { forgotten, .. } => {
                    forgotten
                        .as_deref()
                        .map(|Forgotten { checked, by, cause }| (at(*checked), at(*by), cause.clone()))
                }
                other => unreachable!("unexpected finding {other:?}"),
            })
            .collect()
    }

    fn action(name: &str) -> ForgetCause {
        ForgetCause::Action { name: name.into(), known: true }
    }

    #[test]
    fn a_finding_about_a_forgotten_fact_says_where_it_was_checked_and_forgotten() {
        let body = "  if contact.email != null {\n    contact.update(set: { email: \"a@b.io\" })\n    contact.send_email(template: \"t\")\n  }";
        let (text, errors) = check("Contact.Identified", body, ProjectCatalog::default());
        let want = ("contact.email != null".into(), "contact.update".into(), action("contact.update"));
        assert_eq!(forgotten_texts(&text, &errors), vec![Some(want)]);

        let body = "  if not (contact.first_name == null) {\n    wait until now() + 1d\n    let n = lower(contact.first_name)\n  }";
        let (text, errors) = check("Contact.Identified", body, ProjectCatalog::default());
        let want = (
            "contact.first_name == null".into(),
            "wait until now() + 1d".into(),
            ForgetCause::Wait { until: true },
        );
        assert_eq!(forgotten_texts(&text, &errors), vec![Some(want)]);
    }

    #[test]
    fn a_fact_never_proven_has_nothing_to_point_at() {
        let (text, errors) =
            check("Contact.Identified", "  contact.send_email(template: \"t\")", ProjectCatalog::default());
        assert_eq!(forgotten_texts(&text, &errors), vec![None]);
        // proven again after it was forgotten: nothing to report
        let body = "  if contact.email != null {\n    wait 1d\n  }\n  if contact.email != null {\n    contact.send_email(template: \"t\")\n  }";
        assert!(check("Contact.Identified", body, ProjectCatalog::default()).1.is_empty());
    }

    #[test]
    fn a_fact_forgotten_on_one_branch_is_explained_after_the_join() {
        let body = "  if contact.email != null {\n    if contact.points > 10 {\n      wait 1d\n    }\n    contact.send_email(template: \"t\", to: contact.email)\n  }";
        let (text, errors) = check("Contact.Identified", body, ProjectCatalog::default());
        let want = ("contact.email != null".into(), "wait 1d".into(), ForgetCause::Wait { until: false });
        assert_eq!(forgotten_texts(&text, &errors), vec![Some(want)]);
    }

    #[test]
    fn a_custom_property_is_forgotten_only_by_its_own_key() {
        let props: BTreeMap<String, Type> =
            [("team".to_string(), Type::String), ("city".to_string(), Type::String)].into_iter().collect();
        let project_catalog = ProjectCatalog { properties: Some(props), ..ProjectCatalog::default() };
        let body = |update: &str| {
            format!(
                "  if contact.properties.team != null {{\n    {update}\n    let t = lower(contact.properties.team)\n  }}"
            )
        };
        let (_, errors) = check(
            "Contact.Identified",
            &body("contact.update(set: { city: \"Oslo\" })"),
            project_catalog.clone(),
        );
        assert_eq!(errors, vec![]);
        let (text, errors) = check(
            "Contact.Identified",
            &body("contact.update(set: { team: \"Reds\" })"),
            project_catalog.clone(),
        );
        let want =
            ("contact.properties.team != null".into(), "contact.update".into(), action("contact.update"));
        assert_eq!(forgotten_texts(&text, &errors), vec![Some(want.clone())]);
        // `set:` not a record literal: any property may be written
        let update = "let s = { city: \"Oslo\" }\n    contact.update(set: s)";
        let (text, errors) = check("Contact.Identified", &body(update), project_catalog);
        assert_eq!(forgotten_texts(&text, &errors), vec![Some(want)]);
    }

    #[test]
    fn an_unknown_action_may_write_anything() {
        let body = "  if contact.email != null {\n    contact.frobnicate()\n    contact.send_email(template: \"t\")\n  }";
        let (text, mut errors) = check("Contact.Identified", body, ProjectCatalog::default());
        assert!(matches!(errors.first(), Some(CheckError::UnknownAction { .. })));
        errors.remove(0);
        let cause = ForgetCause::Action { name: "contact.frobnicate".into(), known: false };
        let want = ("contact.email != null".into(), "contact.frobnicate".into(), cause);
        assert_eq!(forgotten_texts(&text, &errors), vec![Some(want)]);
    }
}

//! `test` items: the workflow they run, their sample event and contact, mocks and
//! assertions, type-checked like workflows.
//!
//! In: a parsed [`Test`] and the project's checked workflows. Out: findings.

use std::collections::HashMap;

use super::env::{Env, event_type};
use super::errors::CheckError;
use super::flow::{Flow, LetBinding};
use super::typed::ExprTypes;
use super::types::{RecordType, Type};
use super::workflow::{WorkflowInfo, resolve_trigger};
use crate::catalog::{self, TriggerSpec};
use crate::diagnostics::did_you_mean;
use crate::source::{FileId, Span};
use crate::syntax::ast::{Expectation, Expr, ExprKind, MockOutcome, Test, TestClause};

/// The workflows a test can name.
#[derive(Debug)]
pub struct TestScope<'p> {
    /// Every workflow of the project, by name.
    pub all: &'p HashMap<String, WorkflowInfo>,
    /// The workflows of the test's own file, in source order.
    pub in_file: Vec<&'p WorkflowInfo>,
}

/// Checks one test; returns the workflow it runs, if known, and the type of every
/// expression it checked.
pub fn check_test(
    file: FileId,
    test: &Test,
    scope: &TestScope<'_>,
    errors: &mut Vec<CheckError>,
) -> (Option<String>, ExprTypes) {
    let mut first: HashMap<&'static str, Span> = HashMap::new();
    let mut named = None;
    for clause in &test.clauses {
        let kind = match &clause.node {
            TestClause::Workflow(name) => {
                named = Some(name);
                "`workflow`"
            }
            TestClause::Event(_) => "`event`",
            TestClause::Contact(_) => "`contact`",
            _ => continue,
        };
        if let Some(f) = first.get(kind) {
            errors.push(CheckError::DuplicateClause { what: kind.into(), span: clause.span, first: *f });
        } else {
            first.insert(kind, clause.span);
        }
    }
    let workflow = match named {
        Some(name) => match scope.all.get(&name.node) {
            Some(wf) => Some(wf),
            None => {
                let suggestion = did_you_mean(&name.node, scope.all.keys()).map(str::to_string);
                errors.push(CheckError::UnknownWorkflow {
                    name: name.node.clone(),
                    span: name.span,
                    suggestion,
                });
                None
            }
        },
        None => match scope.in_file.as_slice() {
            [only] => Some(*only),
            others => {
                errors.push(CheckError::TestWorkflowAmbiguous {
                    span: test.name.span,
                    workflows: others.len(),
                });
                None
            }
        },
    };
    let mut env = match workflow {
        Some(wf) => {
            let mut env = Env::new(file, wf.trigger, wf.form.clone());
            env.steps = wf.steps.iter().map(|s| (s.name.clone(), s.clone())).collect();
            env
        }
        None => Env::new(file, None, None),
    };
    let known = workflow.is_some_and(|wf| wf.trigger.is_some());
    // After the run every step's output may be asserted on.
    let after = Flow { succeeded: env.steps.keys().cloned().collect(), ..Flow::default() };

    for clause in &test.clauses {
        match &clause.node {
            TestClause::Workflow(_) => {}
            TestClause::Event(record) => {
                if known {
                    check_event(&mut env, record);
                } else {
                    env.infer(record, &Flow::default());
                }
            }
            TestClause::Contact(record) => {
                let want = all_optional(&catalog::contact_type());
                env.expect(record, &want, &Flow::default(), "the test's `contact`");
            }
            TestClause::Mock(mock) => {
                let Some(spec) = env.resolve_action(&mock.namespace, &mock.action) else { continue };
                if let Some(filter) = &mock.filter {
                    let mut flow = Flow::default();
                    for p in spec.params {
                        let ty = catalog::catalog_type(p.ty);
                        flow.lets.insert(p.name.into(), LetBinding { ty, span: mock.namespace.span });
                    }
                    env.expect_bool(filter, &flow, "a mock's `where` filter");
                }
                match &mock.outcome {
                    MockOutcome::Ok(record) => {
                        let want = all_optional(&spec.output_type());
                        env.expect(
                            record,
                            &want,
                            &Flow::default(),
                            &format!("the output of `{}`", spec.full_name()),
                        );
                    }
                    MockOutcome::Fail { message, .. } => {
                        env.expect(message, &Type::String, &Flow::default(), "a mock failure")
                    }
                }
            }
            TestClause::Expect(expectation) => match expectation {
                Expectation::Run(_) | Expectation::NoRun | Expectation::Took(_) => {}
                Expectation::Step { step, .. } => {
                    if let Some(wf) = workflow {
                        known_step(wf, step, errors);
                    }
                }
                Expectation::CalledWith { step, args } => {
                    let action = workflow.and_then(|wf| known_step(wf, step, errors)).and_then(|s| s.action);
                    match action {
                        Some(spec) => called_with(&mut env, spec, args),
                        None => {
                            env.infer(args, &Flow::default());
                        }
                    }
                }
                Expectation::That(cond) => {
                    if known {
                        env.expect_bool(cond, &after, "an `expect`");
                    }
                }
                Expectation::Event { trigger, filter } => {
                    let spec = resolve_trigger(trigger, errors);
                    if let (Some(spec), Some(filter), true) = (spec, filter, known) {
                        check_caused_filter(&mut env, spec, trigger.span, filter, &after);
                    }
                }
                Expectation::NoEvent { trigger } => {
                    resolve_trigger(trigger, errors);
                }
            },
        }
    }
    errors.append(&mut env.errors);
    (workflow.map(|wf| wf.name.clone()), env.types)
}

fn known_step<'w>(
    wf: &'w WorkflowInfo,
    step: &crate::syntax::ast::Ident,
    errors: &mut Vec<CheckError>,
) -> Option<&'w super::env::StepDecl> {
    let found = wf.step(&step.node);
    if found.is_none() {
        let names: Vec<&str> = wf.steps.iter().map(|s| s.name.as_str()).collect();
        let suggestion = did_you_mean(&step.node, &names).map(str::to_string);
        errors.push(CheckError::UnknownTestStep {
            name: step.node.clone(),
            workflow: wf.name.clone(),
            span: step.span,
            suggestion,
        });
    }
    found
}

/// `expect step s called with { … }`: a partial record of the action's parameters.
fn called_with(env: &mut Env, spec: &'static catalog::ActionSpec, args: &Expr) {
    let ExprKind::Record(fields) = &args.kind else {
        env.infer(args, &Flow::default());
        return;
    };
    // Checked field by field below; as a whole it is compared with what the step was
    // given when the test runs, as `Json`.
    env.types.set(args.id, Type::Json);
    let full = spec.full_name();
    for field in fields {
        match spec.param(&field.key.node) {
            Some(p) => {
                let ty = Type::optional(catalog::catalog_type(p.ty));
                env.expect(&field.value, &ty, &Flow::default(), &format!("`{}` of `{full}`", p.name));
            }
            None => {
                let names: Vec<&'static str> = spec.params.iter().map(|p| p.name).collect();
                let suggestion = did_you_mean(&field.key.node, &names).map(str::to_string);
                env.error(CheckError::UnknownParameter {
                    action: full.clone(),
                    name: field.key.node.clone(),
                    span: field.key.span,
                    suggestion,
                    params: names,
                });
                env.infer(&field.value, &Flow::default());
            }
        }
    }
}

/// `event { … }`: the trigger's own fields and the context records it carries, side by
/// side, every one optional (omitted ones get defaults).
fn check_event(env: &mut Env, record: &Expr) {
    let Some(trigger) = env.trigger else { return };
    let ExprKind::Record(fields) = &record.kind else {
        let found = env.infer(record, &Flow::default());
        env.error(CheckError::TypeMismatch {
            expected: Type::record(Some("event record"), vec![]),
            found,
            span: record.span,
            context: "`event`".into(),
            help: Some("write the event as a record: `event { … }`".into()),
        });
        return;
    };
    // Checked field by field below; as a whole it is the `Json` the test's run starts
    // from (omitted fields get defaults then).
    env.types.set(record.id, Type::Json);
    let mut allowed: Vec<(String, Type)> = Vec::new();
    allowed.push(("id".into(), Type::optional(Type::String)));
    allowed.push(("occurred_at".into(), Type::optional(Type::Timestamp)));
    for (name, ty) in trigger.fields {
        allowed.push(((*name).to_string(), Type::optional(catalog::catalog_type(ty))));
    }
    if trigger.form_data {
        let fields_ty = match env.event_ty.clone() {
            Type::Record(rt) => rt.field("fields").cloned().unwrap_or(Type::Json),
            _ => Type::Json,
        };
        let fields_ty = match fields_ty {
            Type::Record(rt) => open_optional(&rt),
            other => other,
        };
        allowed.push(("fields".into(), fields_ty));
    }
    for carried in trigger.carries {
        allowed.push((carried.name.as_str().to_string(), all_optional(&carried.name.record_type())));
    }
    for field in fields {
        match allowed.iter().find(|(n, _)| *n == field.key.node) {
            Some((_, ty)) => {
                let context = format!("`{}` of the event", field.key.node);
                env.expect(&field.value, ty, &Flow::default(), &context);
            }
            None => {
                let suggestion =
                    did_you_mean(&field.key.node, allowed.iter().map(|(n, _)| n)).map(str::to_string);
                env.error(CheckError::UnknownEventField {
                    trigger: trigger.name,
                    field: field.key.node.clone(),
                    span: field.key.span,
                    suggestion,
                });
                env.infer(&field.value, &Flow::default());
            }
        }
    }
}

/// `expect event T where cond`: `cond` is checked as in a workflow listening to `T`
/// (its context records; a record `T` does not carry is reported as such), with the
/// event's fields bound by name, and the test's steps and final contact as in `expect`.
fn check_caused_filter(env: &mut Env, trigger: &'static TriggerSpec, at: Span, filter: &Expr, after: &Flow) {
    let mut scope = Env::new(env.file, Some(trigger), None);
    scope.contact_ty = env.contact_ty.clone();
    scope.steps = env.steps.clone();
    scope.project_catalog = std::sync::Arc::clone(&env.project_catalog);
    scope.types = std::mem::take(&mut env.types);
    let mut flow = after.clone();
    for (name, ty) in caused_event_scope(trigger) {
        flow.lets.insert(name, LetBinding { ty, span: at });
    }
    scope.expect_bool(filter, &flow, "an `expect event`'s `where` condition");
    env.types = std::mem::take(&mut scope.types);
    env.errors.append(&mut scope.errors);
}

/// The names `expect event <trigger> where …` binds, and their types: the event's fields
/// by name (`id`, `type`, `occurred_at`, the trigger's own, `fields` for form data), the
/// whole event as `event`, and the context records the trigger carries (`coupon`),
/// optional ones as optional. They shadow steps of the same name and the test's own
/// `event` and context records; `contact`, `run` and step outputs mean what they mean
/// in `expect <condition>`.
pub fn caused_event_scope(trigger: &'static TriggerSpec) -> Vec<(String, Type)> {
    let event = event_type(Some(trigger), None);
    let mut out: Vec<(String, Type)> = match &event {
        Type::Record(rt) => rt.fields.iter().map(|(n, t)| (n.clone(), t.clone())).collect(),
        _ => Vec::new(),
    };
    out.push(("event".into(), event));
    for carried in trigger.carries {
        let ty = carried.name.record_type();
        let ty = if carried.optional { Type::optional(ty) } else { ty };
        out.push((carried.name.as_str().to_string(), ty));
    }
    out
}

/// The same record type with every field optional.
fn all_optional(t: &Type) -> Type {
    match t {
        Type::Record(rt) => Type::Record(std::sync::Arc::new(RecordType {
            name: rt.name.clone(),
            fields: rt.fields.iter().map(|(n, t)| (n.clone(), Type::optional(t.clone()))).collect(),
            rest: rt.rest.clone(),
        })),
        other => other.clone(),
    }
}

/// Declared form fields, each optional, other submitted fields allowed as `Json`.
fn open_optional(rt: &RecordType) -> Type {
    let fields = rt.fields.iter().map(|(n, t)| (n.clone(), Type::optional(t.clone()))).collect();
    Type::open_record(Some("form fields"), fields, Type::Json)
}

//! What names mean inside one workflow (or one test of it).
//!
//! In: the workflow's trigger, `form`, steps and the current [`Flow`]. Out: the type of a
//! bare name (`event`, `contact`, `card`, a step, a `let`, `run`, `error`), or the
//! finding that explains why it cannot be used here. Findings are collected in
//! `errors`; the checker never stops at the first one.

use std::collections::HashMap;
use std::sync::Arc;

use super::errors::{Because, CheckError};
use super::flow::Flow;
use super::project_catalog::ProjectCatalog;
use super::typed::ExprTypes;
use super::types::Type;
use crate::catalog::{self, ActionSpec, ContextName, TriggerSpec};
use crate::diagnostics::did_you_mean;
use crate::source::{FileId, Span};
use crate::syntax::ast::Ident;

/// A step of the workflow: its name (given or generated), where it is, what it does.
#[derive(Clone, Debug)]
pub struct StepDecl {
    pub name: String,
    /// The step name if given, else the action call.
    pub span: Span,
    /// The action call (`ns.action(…)`), which identifies the statement.
    pub call: Span,
    pub action: Option<&'static ActionSpec>,
    /// Whether the name was generated (`send_email_1`).
    pub generated: bool,
}

impl StepDecl {
    pub fn output_type(&self) -> Type {
        self.action.map_or(Type::Error, ActionSpec::output_type)
    }
}

/// The names and types a workflow's expressions are checked against.
#[derive(Debug)]
pub struct Env {
    pub file: FileId,
    /// `None` when the trigger is unknown (already reported): context names are then
    /// accepted with an unknown type so one mistake is reported once.
    pub trigger: Option<&'static TriggerSpec>,
    pub event_ty: Type,
    pub contact_ty: Type,
    pub steps: HashMap<String, StepDecl>,
    /// Checking a trigger's `where` filter: no run exists yet.
    pub in_filter: bool,
    /// Every `let` name declared anywhere in the workflow (for "out of scope" notes).
    pub all_lets: std::collections::HashSet<String>,
    /// The type of every expression checked, by node id (for IR lowering and hover).
    pub types: ExprTypes,
    pub errors: Vec<CheckError>,
    /// The project's catalog (empty without one).
    pub project_catalog: Arc<ProjectCatalog>,
}

/// Names that are always there and cannot be rebound.
pub const BUILTIN_NAMES: &[&str] = &["event", "contact", "run", "error"];

impl Env {
    pub fn new(file: FileId, trigger: Option<&'static TriggerSpec>, form: Option<Type>) -> Env {
        Env {
            file,
            trigger,
            event_ty: event_type(trigger, form),
            contact_ty: contact_type(trigger),
            steps: HashMap::new(),
            in_filter: false,
            all_lets: std::collections::HashSet::new(),
            types: ExprTypes::default(),
            errors: Vec::new(),
            project_catalog: Arc::default(),
        }
    }

    /// Checks against the project's catalog: `contact.properties` gets the declared
    /// properties' types.
    pub fn set_project_catalog(&mut self, project_catalog: &Arc<ProjectCatalog>) {
        self.project_catalog = Arc::clone(project_catalog);
        if project_catalog.properties.is_some() {
            self.contact_ty = contact_type_in(self.trigger, project_catalog);
        }
    }

    pub fn error(&mut self, e: CheckError) {
        self.errors.push(e);
    }

    pub fn because(&self, span: Span, message: impl Into<String>) -> Because {
        Because { file: self.file, span, message: message.into() }
    }

    /// The catalog action `ns.action`, or a finding with a suggestion.
    pub fn resolve_action(&mut self, namespace: &Ident, action: &Ident) -> Option<&'static ActionSpec> {
        if let Some(spec) = catalog::action(&namespace.node, &action.node) {
            return Some(spec);
        }
        let full = format!("{}.{}", namespace.node, action.node);
        let names: Vec<String> = catalog::ACTIONS.iter().map(ActionSpec::full_name).collect();
        let suggestion = did_you_mean(&full, &names).map(str::to_string).or_else(|| {
            // a known namespace: suggest by the action's name alone
            let in_ns: Vec<&str> =
                catalog::ACTIONS.iter().filter(|a| a.namespace == namespace.node).map(|a| a.name).collect();
            did_you_mean(&action.node, &in_ns).map(|a| format!("{}.{a}", namespace.node))
        });
        let span = namespace.span.to(action.span);
        self.error(CheckError::UnknownAction { name: full, span, suggestion });
        None
    }

    /// The type of a context record, or why it is not available.
    pub fn context_type(&self, name: ContextName) -> Result<Type, CheckError> {
        let Some(trigger) = self.trigger else { return Ok(Type::Error) };
        match trigger.carried(name) {
            Some(c) if c.optional => Ok(Type::optional(name.record_type())),
            Some(_) => Ok(name.record_type()),
            None => Err(CheckError::ContextNotCarried {
                name,
                trigger: trigger.name,
                span: Span::default(),
                carriers: carriers_of(name),
            }),
        }
    }

    /// What a name refers to: a `let`, a built-in name, a context record or a step.
    pub fn resolve_name(&mut self, id: &Ident, flow: &Flow) -> Type {
        let name = id.node.as_str();
        let ty = if let Some(b) = flow.lets.get(name) {
            b.ty.clone()
        } else {
            match name {
                "event" => self.event_ty.clone(),
                "contact" => self.contact_ty.clone(),
                "run" if self.in_filter => {
                    self.error(CheckError::UnknownName {
                        name: name.into(),
                        span: id.span,
                        suggestion: None,
                        step: false,
                        note: Some("`run` does not exist yet when the trigger's `where` filter runs"),
                    });
                    Type::Error
                }
                "run" => catalog::record_of(Some("Run"), catalog::RUN_FIELDS),
                "error" => {
                    if flow.error.is_none() {
                        let why = flow.error_missing.clone();
                        self.error(CheckError::ErrorOutsideFailure { span: id.span, why });
                        return Type::Error;
                    }
                    catalog::record_of(Some("Error"), catalog::ERROR_FIELDS)
                }
                _ => return self.resolve_other(id, flow),
            }
        };
        narrowed(ty, name, flow)
    }

    fn resolve_other(&mut self, id: &Ident, flow: &Flow) -> Type {
        let name = id.node.as_str();
        if let Some(ctx) = ContextName::from_name(name) {
            return match self.context_type(ctx) {
                Ok(ty) => narrowed(ty, name, flow),
                Err(CheckError::ContextNotCarried { name, trigger, carriers, .. }) => {
                    self.error(CheckError::ContextNotCarried { name, trigger, span: id.span, carriers });
                    Type::Error
                }
                Err(other) => {
                    self.error(other);
                    Type::Error
                }
            };
        }
        if self.steps.contains_key(name) && self.in_filter {
            self.error(CheckError::UnknownName {
                name: name.into(),
                span: id.span,
                suggestion: None,
                step: true,
                note: Some("no step has run yet when the trigger's `where` filter runs"),
            });
            return Type::Error;
        }
        if let Some(step) = self.steps.get(name) {
            let output = step.output_type();
            if !flow.succeeded.contains(name) {
                let why = flow.missing.get(name).cloned();
                let defined = step.span;
                self.error(CheckError::StepMayNotHaveSucceeded {
                    step: name.into(),
                    span: id.span,
                    defined,
                    why,
                });
            }
            return output;
        }
        let mut candidates: Vec<&str> = flow.lets.keys().map(String::as_str).collect();
        candidates.extend(self.steps.keys().map(String::as_str));
        candidates.extend(["event", "contact", "run"]);
        if flow.error.is_some() {
            candidates.push("error");
        }
        if let Some(trigger) = self.trigger {
            candidates.extend(trigger.carries.iter().map(|c| c.name.as_str()));
        }
        let suggestion = did_you_mean(name, &candidates).map(str::to_string);
        let step = suggestion.as_ref().is_some_and(|s| self.steps.contains_key(s));
        let note = self
            .all_lets
            .contains(name)
            .then_some("a `let` is visible only after it, in its own block and the blocks inside it");
        self.error(CheckError::UnknownName { name: name.into(), span: id.span, suggestion, step, note });
        Type::Error
    }
}

/// A path's type, without `?` when the path is proven non-null.
pub fn narrowed(ty: Type, path: &str, flow: &Flow) -> Type {
    if ty.is_optional() && flow.knows(path) { ty.non_null() } else { ty }
}

/// The triggers that carry a context record, for help text.
pub fn carriers_of(name: ContextName) -> Vec<&'static str> {
    catalog::TRIGGERS.iter().filter(|t| t.carried(name).is_some()).map(|t| t.name).collect()
}

/// The type of `event` for a trigger (and its `form`).
pub fn event_type(trigger: Option<&'static TriggerSpec>, form: Option<Type>) -> Type {
    let Some(trigger) = trigger else { return Type::Error };
    let mut fields: Vec<(String, Type)> = catalog::EVENT_BASE_FIELDS
        .iter()
        .map(|(n, t)| ((*n).to_string(), catalog::catalog_type(t)))
        .collect();
    fields.extend(trigger.fields.iter().map(|(n, t)| ((*n).to_string(), catalog::catalog_type(t))));
    if trigger.form_data {
        fields.push(("fields".into(), form.unwrap_or(Type::Json)));
    }
    Type::record(Some(&format!("{} event", trigger.name)), fields)
}

/// `Contact`, or `Contact?` for triggers whose contact may be unknown.
pub fn contact_type(trigger: Option<&'static TriggerSpec>) -> Type {
    let contact = catalog::contact_type();
    if trigger.is_some_and(|t| t.contact_optional) { Type::optional(contact) } else { contact }
}

/// [`contact_type`] with `properties` typed by the project catalog's declarations.
pub fn contact_type_in(trigger: Option<&'static TriggerSpec>, project_catalog: &ProjectCatalog) -> Type {
    let fields = catalog::CONTACT_FIELDS
        .iter()
        .map(|(n, t)| {
            let ty =
                if *n == "properties" { project_catalog.properties_type() } else { catalog::catalog_type(t) };
            ((*n).to_string(), ty)
        })
        .collect();
    let contact = Type::record(Some("Contact"), fields);
    if trigger.is_some_and(|t| t.contact_optional) { Type::optional(contact) } else { contact }
}

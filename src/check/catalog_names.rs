//! Checks against the project catalog inside action calls: string literals naming
//! lists, programs, tiers, templates, offers, achievements, gift-card templates,
//! campaigns and Mailchimp lists; the keys of `contact.update(set: …)`; and the
//! variables an email template reads.
//!
//! In: an action call whose arguments were already type-checked, and the
//! [`ProjectCatalog`](super::project_catalog::ProjectCatalog) in the checker's environment. Out:
//! findings. Nothing is checked for a kind the project does not declare, nor for a name
//! that is not a plain string literal (it is only known at run time).

use super::errors::CheckError;
use super::project_catalog::{Kind, TemplateVar, named_param};
use super::stmt::FlowChecker;
use super::types::Type;
use crate::catalog::{self, ActionId, ActionSpec};
use crate::diagnostics::did_you_mean;
use crate::syntax::ast::{ActionCall, Expr, ExprKind};

impl FlowChecker {
    /// The argument given for `param` (named, or at its position).
    fn argument<'c>(spec: &ActionSpec, call: &'c ActionCall, param: &str) -> Option<&'c Expr> {
        let position = spec.params.iter().position(|p| p.name == param)?;
        call.args
            .iter()
            .find(|a| a.name.as_ref().is_some_and(|n| n.node == param))
            .or_else(|| call.args.iter().filter(|a| a.name.is_none()).nth(position))
            .map(|a| &a.value)
    }

    /// Every catalog check of one call.
    pub fn catalog_checks(&mut self, spec: &'static ActionSpec, call: &ActionCall) {
        let program = Self::argument(spec, call, "program")
            .and_then(plain_string)
            .map_or_else(|| "default".to_string(), |(name, _)| name);
        for param in spec.params {
            let Some(kind) = named_param(spec.id, param.name) else { continue };
            let Some(value) = Self::argument(spec, call, param.name) else { continue };
            let Some((name, _)) = plain_string(value) else { continue };
            let Some(declared) = self.env.project_catalog.names(kind, &program) else { continue };
            if declared.contains(&name.as_str()) {
                continue;
            }
            let suggestion = did_you_mean(&name, &declared).map(str::to_string);
            let declared = declared.iter().map(|d| (*d).to_string()).collect();
            let program = (kind == Kind::Tier).then(|| program.clone());
            self.env.error(CheckError::UnknownCatalogName {
                kind,
                name,
                span: value.span,
                suggestion,
                declared,
                program,
            });
        }
        if spec.id == ActionId::ContactUpdate {
            self.declared_properties(call);
        }
        if spec.id == ActionId::ContactSendEmail {
            self.template_variables(spec, call);
        }
    }

    /// With declared properties, every key of `set:` is a standard field or one of them.
    fn declared_properties(&mut self, call: &ActionCall) {
        let project_catalog = std::sync::Arc::clone(&self.env.project_catalog);
        let Some(props) = &project_catalog.properties else { return };
        let Some(set) = call.args.iter().find(|a| a.name.as_ref().is_some_and(|n| n.node == "set")) else {
            return;
        };
        let ExprKind::Record(fields) = &set.value.kind else { return };
        for f in fields {
            let key = f.key.node.as_str();
            let standard = catalog::CONTACT_SETTABLE_FIELDS.iter().any(|(n, _)| *n == key)
                || catalog::CONTACT_OWNED_FIELDS.iter().any(|(n, _)| *n == key);
            if standard || props.contains_key(key) {
                continue;
            }
            let mut candidates: Vec<&str> = props.keys().map(String::as_str).collect();
            candidates.extend(catalog::CONTACT_SETTABLE_FIELDS.iter().map(|(n, _)| *n));
            let suggestion = did_you_mean(key, &candidates).map(str::to_string);
            self.env.error(CheckError::UnknownField {
                owner: "contact.properties".into(),
                field: key.to_string(),
                span: f.key.span,
                suggestion,
            });
        }
    }

    /// The variables of the template (when its files are known) against what the send
    /// provides: `contact` and `event` by their types, `data` by the keys of the `data:`
    /// record literal (none when `data` is not given).
    fn template_variables(&mut self, spec: &'static ActionSpec, call: &ActionCall) {
        let Some(template) = Self::argument(spec, call, "template") else { return };
        let Some((name, _)) = plain_string(template) else { return };
        let project_catalog = std::sync::Arc::clone(&self.env.project_catalog);
        let Some(vars) = project_catalog.template_vars.get(&name) else { return };
        let data = Self::argument(spec, call, "data");
        let data_keys: Option<Vec<String>> = match data.map(|d| &d.kind) {
            None => Some(Vec::new()),
            Some(ExprKind::Record(fields)) => Some(fields.iter().map(|f| f.key.node.clone()).collect()),
            // A record from elsewhere: its keys are not known here.
            Some(_) => None,
        };
        for var in vars {
            let reason = match var.path.first().map(String::as_str) {
                Some("contact") => missing_field(&self.env.contact_ty, var),
                Some("event") => missing_field(&self.env.event_ty, var),
                Some("data") => match (&data_keys, var.path.get(1)) {
                    (Some(keys), Some(key)) if !keys.contains(key) => Some(if data.is_none() {
                        format!("the call gives no `data`, so `data.{key}` is undefined")
                    } else {
                        format!("`data` has no key `{key}`")
                    }),
                    _ => None,
                },
                _ => None,
            };
            if let Some(reason) = reason {
                self.env.error(CheckError::TemplateVariable {
                    template: name.clone(),
                    variable: var.path.join("."),
                    location: format!("{}:{}", var.file, var.line),
                    span: template.span,
                    reason,
                });
            }
        }
    }
}

/// The text of a string literal without interpolation, and its span.
fn plain_string(e: &Expr) -> Option<(String, crate::source::Span)> {
    match &e.kind {
        ExprKind::String(lit) => lit.as_plain().map(|s| (s, e.span)),
        _ => None,
    }
}

/// Why `var.path` (after its root) is not a field of `ty`, or `None` if it is, or if
/// the path goes through dynamic data (`Json`, a map) where nothing can be known.
fn missing_field(ty: &Type, var: &TemplateVar) -> Option<String> {
    let mut ty = ty.clone();
    let mut walked = var.path.first().cloned().unwrap_or_default();
    for part in var.path.iter().skip(1) {
        let record = match ty.non_null() {
            Type::Record(r) => r,
            _ => return None,
        };
        match record.field(part) {
            Some(next) => ty = next.clone(),
            None => {
                let names: Vec<&str> = record.field_names().collect();
                let hint =
                    did_you_mean(part, &names).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
                return Some(format!("`{walked}` has no field `{part}`{hint}"));
            }
        }
        walked = format!("{walked}.{part}");
    }
    None
}

//! The one place that words the checker's findings.
//!
//! In: a [`CheckError`] with its facts, and the file it is in. Out: a [`Diagnostic`]
//! with a stable code, a lowercase one-line message, labels and help, following the
//! message style of STYLE.md.

use super::CheckError;
use crate::catalog::ScopeKind;
use crate::check::flow::{ForgetCause, Forgotten};
use crate::check::types::Type;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::FileId;

/// The labels of a fact that was proven, then forgotten: where it was checked, and
/// what made the checker forget it.
fn with_forgotten(
    diag: Diagnostic,
    file: FileId,
    path: &str,
    forgotten: Option<Box<Forgotten>>,
) -> Diagnostic {
    let Some(f) = forgotten.map(|f| *f) else { return diag };
    let why = match f.cause {
        ForgetCause::Wait { until: false } => "`wait` reads the contact again".to_string(),
        ForgetCause::Wait { until: true } => "`wait until` reads the contact again".to_string(),
        ForgetCause::Action { name, known: true } => format!("`{name}` may write `{path}`"),
        ForgetCause::Action { name, known: false } => {
            format!("`{name}` is not a known action, so it may write `{path}`")
        }
    };
    diag.with_secondary(file, f.checked, "checked here").with_secondary(
        file,
        f.by,
        format!("forgotten here: {why}"),
    )
}

/// How to fix a use of `path` that may be null.
fn maybe_null_help(path: &str, forgotten: Option<&Forgotten>, alternative: &str) -> String {
    let check = match forgotten.map(|f| &f.cause) {
        None => "check it".to_string(),
        Some(ForgetCause::Wait { until: false }) => "check it again after the `wait`,".to_string(),
        Some(ForgetCause::Wait { until: true }) => "check it again after the `wait until`,".to_string(),
        Some(ForgetCause::Action { name, .. }) => format!("check it again after `{name}`,"),
    };
    format!("{check} with `if {path} != null {{ … }}`, or {alternative}")
}

fn join_names(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

impl CheckError {
    /// The diagnostic for this finding in `file`.
    pub fn into_diagnostic(self, file: FileId) -> Diagnostic {
        use CheckError as E;
        let d = |code, span, msg: String| Diagnostic::new(code, file, span, msg);
        match self {
            E::UnknownTrigger { name, span, suggestion } => {
                let diag = d(Code::UnknownTrigger, span, format!("unknown trigger `{name}`"))
                    .with_label("not a trigger of the catalog");
                match suggestion {
                    Some(s) => diag.with_help(format!("did you mean `{s}`?")).with_fix(span, s),
                    None => diag.with_help("see `komo explain K0301` for the list of triggers"),
                }
            }
            E::TriggerAlias { alias, canonical, span } => {
                d(Code::TriggerAlias, span, format!("`{alias}` is another name for `{canonical}`"))
                    .with_label("an alias")
                    .with_help(format!("write `{canonical}`"))
                    .with_fix(span, canonical)
            }
            E::MissingClause { clause, workflow, span } => {
                let example =
                    if clause == "scope" { "scope workspace" } else { "trigger Contact.Identified" };
                d(Code::MissingHeaderClause, span, format!("workflow `{workflow}` has no `{clause}`"))
                    .with_label(format!("needs a `{clause}` clause"))
                    .with_help(format!("add a line such as `{example}` at the top of the workflow"))
            }
            E::DuplicateClause { what, span, first } => {
                d(Code::DuplicateClause, span, format!("{what} is given more than once"))
                    .with_label("given again here")
                    .with_secondary(file, first, "first given here")
                    .with_help("keep only one")
            }
            E::TriggerNotAllowedAtScope { trigger, scope, span, scope_span, allowed, from_card } => {
                let why = if scope == ScopeKind::Card && !from_card {
                    format!("`{trigger}` does not come from a card, so it cannot be used at `card` scope")
                } else {
                    format!("`{trigger}` cannot be used at `{}` scope", scope.as_str())
                };
                let allowed: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                d(Code::TriggerNotAllowedAtScope, span, why)
                    .with_label(format!("not allowed at `{}` scope", scope.as_str()))
                    .with_secondary(file, scope_span, "the scope is set here")
                    .with_help(format!(
                        "use `scope {}`, or a trigger that fits this scope",
                        allowed.join("` or `scope ")
                    ))
            }
            E::ContextNotCarried { name, trigger, span, carriers } => {
                let what = name.as_str();
                let help = if carriers.is_empty() {
                    None
                } else {
                    Some(format!("triggers that carry `{what}`: {}", join_names(&carriers)))
                };
                d(Code::ContextNotCarried, span, format!("`{trigger}` does not carry `{what}`"))
                    .with_label(format!("no `{what}` for this trigger"))
                    .with_optional_help(help)
            }
            E::FormNotAllowed { trigger, span } => d(
                Code::FormNotAllowed,
                span,
                format!("`{trigger}` carries no form data"),
            )
            .with_label("`form` needs a trigger with form fields")
            .with_help(
                "`form` fits `Gameplay.DataCaptured` and `Gameplay.DataCapturedQualified`; remove it here",
            ),
            E::UnknownType { name, span, suggestion } => {
                let help = suggestion.map(|s| format!("did you mean `{s}`?")).unwrap_or_else(|| {
                    "the types are `String Int Float Bool Duration Timestamp Email Phone Url Json`, `List<T>`, `{ field: T }` and `T?`".into()
                });
                d(Code::UnknownType, span, format!("unknown type `{name}`"))
                    .with_label("not a type")
                    .with_help(help)
            }
            E::UnknownAction { name, span, suggestion } => {
                let diag = d(Code::UnknownAction, span, format!("unknown action `{name}`"))
                    .with_label("not an action of the catalog");
                match suggestion {
                    Some(s) => diag.with_help(format!("did you mean `{s}`?")).with_fix(span, s),
                    None => diag.with_help("see `docs/language.md` for the list of actions"),
                }
            }
            E::UnknownParameter { action, name, span, suggestion, params } => {
                let help = match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if params.is_empty() => format!("`{action}` takes no parameters"),
                    None => format!("`{action}` takes {}", join_names(&params)),
                };
                d(Code::UnknownParameter, span, format!("`{action}` has no parameter `{name}`"))
                    .with_label("unknown parameter")
                    .with_help(help)
            }
            E::DuplicateArgument { name, span, first } => {
                d(Code::DuplicateClause, span, format!("argument `{name}` is given more than once"))
                    .with_label("given again here")
                    .with_secondary(file, first, "first given here")
                    .with_help("keep only one")
            }
            E::TooManyArguments { callee, max, span } => {
                let takes = match max {
                    0 => "no positional arguments".to_string(),
                    1 => "1 positional argument".to_string(),
                    n => format!("{n} positional arguments"),
                };
                d(Code::TooManyArguments, span, format!("`{callee}` takes {takes}"))
                    .with_label("one too many")
                    .with_help("name the argument (`name: value`), or remove it")
            }
            E::PositionalAfterNamed { span } => {
                d(Code::MisplacedItem, span, "positional argument after a named one".into())
                    .with_label("positional")
                    .with_help("put positional arguments first, or name this one")
            }
            E::MissingArgument { callee, param, ty, span } => {
                d(Code::MissingArgument, span, format!("`{callee}` needs `{param}`"))
                    .with_label(format!("missing `{param}: {ty}`"))
                    .with_help(format!("add `{param}: …`"))
            }
            E::BadFunctionArgument { function, param, expected, found, span } => d(
                Code::TypeMismatch,
                span,
                format!("`{param}` of `{function}` expects {expected}, found `{found}`"),
            )
            .with_label(format!("this is `{found}`")),
            E::DefaultMayBeNull { action, param, path, ty, span, forgotten } => {
                let instead = format!("pass `{param}:` to `{action}`");
                let help = maybe_null_help(&path, forgotten.as_deref(), &instead);
                let msg = format!("`{path}` may be null; `{param}` expects `{ty}`");
                let diag = d(Code::MaybeNull, span, msg)
                    .with_label(format!("`{param}` defaults to `{path}`, which may be null here"));
                with_forgotten(diag, file, &path, forgotten).with_help(help)
            }
            E::NotSettable { field, span, hint } => {
                d(Code::UnknownField, span, format!("`{field}` cannot be set with `contact.update`"))
                    .with_label("not a settable field")
                    .with_help(hint)
            }
            E::UnknownRoute { name, span, suggestion } => {
                let diag = d(Code::UnknownRoute, span, format!("unknown route `{name}`"))
                    .with_label("no route of this name");
                match suggestion {
                    Some(s) => diag.with_help(format!("did you mean `{s}`?")).with_fix(span, s),
                    None => diag.with_help(format!("add `route {name} {{ … }}` after the main flow")),
                }
            }
            E::UnknownName { name, span, suggestion, step, note } => {
                let (code, msg) = if step {
                    (Code::UnknownStep, format!("unknown step `{name}`"))
                } else {
                    (Code::UnknownName, format!("unknown name `{name}`"))
                };
                let help = match (suggestion, note) {
                    (Some(s), _) => Some(format!("did you mean `{s}`?")),
                    (None, Some(n)) => Some(n.to_string()),
                    (None, None) => None,
                };
                let diag = d(code, span, msg).with_label("not defined here").with_optional_help(help.clone());
                match help
                    .as_deref()
                    .and_then(|h| h.strip_prefix("did you mean `"))
                    .and_then(|h| h.strip_suffix("`?"))
                {
                    Some(s) => {
                        let s = s.to_string();
                        diag.with_fix(span, s)
                    }
                    None => diag,
                }
            }
            E::UnknownField { owner, field, span, suggestion } => {
                let diag = d(Code::UnknownField, span, format!("`{owner}` has no field `{field}`"))
                    .with_label("unknown field");
                match suggestion {
                    Some(s) => diag.with_help(format!("did you mean `{s}`?")).with_fix(span, s),
                    None => diag,
                }
            }
            E::UnknownCatalogName { kind, name, span, suggestion, declared, program } => {
                let what = match &program {
                    Some(p) => format!("{} `{name}` does not exist in loyalty program `{p}`", kind.noun()),
                    None => format!("{} `{name}` does not exist", kind.noun()),
                };
                let diag = d(Code::UnknownCatalogName, span, what)
                    .with_label(format!("not declared in the workspace catalog ({})", kind.key()));
                match suggestion {
                    Some(s) => {
                        let fix = format!("{s:?}");
                        diag.with_help(format!("did you mean `{s}`?")).with_fix(span, fix)
                    }
                    None if declared.is_empty() => {
                        diag.with_help(format!("declare it in komo.toml under `{}`", kind.key()))
                    }
                    None => diag.with_help(format!(
                        "the declared names are {}; or declare it in komo.toml",
                        join_names(&declared.iter().map(String::as_str).collect::<Vec<_>>())
                    )),
                }
            }
            E::TemplateVariable { template, variable, location, span, reason } => d(
                Code::TemplateVariable,
                span,
                format!("template `{template}` reads `{variable}`, which this send does not provide"),
            )
            .with_label(reason)
            .with_help(format!(
                "`{{{{ {variable} }}}}` is at {location}: give it in `data: {{ … }}`, or change the template (a missing variable fails the send)"
            )),
            E::UnknownFunction { name, span, suggestion } => {
                let help = suggestion.map(|s| format!("did you mean `{s}`?")).unwrap_or_else(|| {
                    "the functions are `lower upper trim len starts_with ends_with now round floor ceil string int float secret`".into()
                });
                d(Code::UnknownFunction, span, format!("unknown function `{name}`"))
                    .with_label("not a built-in function")
                    .with_help(help)
            }
            E::DuplicateWorkflow { name, span, first } => Diagnostic::new(
                Code::DuplicateWorkflow,
                file,
                span,
                format!("workflow `{name}` is defined more than once"),
            )
            .with_label("defined again here")
            .with_secondary(first.file, first.span, first.message)
            .with_help("workflow names are unique across the project; rename one"),
            E::DuplicateStep { name, span, first } => Diagnostic::new(
                Code::DuplicateStep,
                file,
                span,
                format!("step `{name}` is defined more than once"),
            )
            .with_label("defined again here")
            .with_secondary(first.file, first.span, first.message)
            .with_help("step names are unique within a workflow; rename one"),
            E::DuplicateRoute { name, span, first } => {
                d(Code::DuplicateRoute, span, format!("route `{name}` is defined more than once"))
                    .with_label("defined again here")
                    .with_secondary(file, first, "first defined here")
                    .with_help("rename one, or merge their statements")
            }
            E::DuplicateLet { name, span, first, taken_by } => {
                let diag = d(Code::DuplicateLet, span, format!("`{name}` is already {taken_by}"))
                    .with_label("defined again here")
                    .with_help("choose another name");
                match first {
                    Some(first) => diag.with_secondary(file, first, "first defined here"),
                    None => diag,
                }
            }
            E::NamingConvention { kind, name, span, suggestion } => {
                d(Code::NamingConvention, span, format!("{kind} name `{name}` is not snake_case"))
                    .with_label("not snake_case")
                    .with_help(format!("rename it to `{suggestion}`"))
                    .with_fix(span, suggestion)
            }
            E::TypeMismatch { expected, found, span, context, help } => {
                d(Code::TypeMismatch, span, format!("{context} expects `{expected}`, found `{found}`"))
                    .with_label(format!("this is `{found}`"))
                    .with_optional_help(help)
            }
            E::InvalidLiteral { kind, text, reason, span } => {
                d(Code::InvalidLiteral, span, format!("`{text}` is not a valid {kind}")).with_label(reason)
            }
            E::MaybeNull { what, span, path, context, forgotten } => {
                let msg = format!("{what} may be null; {context}");
                let diag = d(Code::MaybeNull, span, msg).with_label("may be null");
                match path {
                    Some(p) => {
                        let instead = format!("give a default with `{p} ?? …`");
                        let help = maybe_null_help(&p, forgotten.as_deref(), &instead);
                        with_forgotten(diag, file, &p, forgotten).with_help(help)
                    }
                    None => diag.with_help("give a default with `?? …`"),
                }
            }
            E::Incomparable { op, left, right, span } => {
                d(Code::IncomparableTypes, span, format!("cannot compare `{left}` with `{right}`"))
                    .with_label(format!("`{op}` between unrelated types"))
                    .with_help("convert one side with `as`, or compare values of the same type")
            }
            E::NonBool { found, span, context } => {
                d(Code::NonBoolCondition, span, format!("{context} must be a `Bool`, found `{found}`"))
                    .with_label("not a `Bool`")
                    .with_help(match found {
                        Type::Json => "convert it with `as Bool`, or compare it: `… == true`".to_string(),
                        Type::Optional(_) => "compare it with null: `… != null`".to_string(),
                        _ => "use a comparison such as `… == …`".to_string(),
                    })
            }
            E::SecretMisuse { span, usage } => {
                d(Code::SecretMisuse, span, format!("a `Secret` cannot be {usage}"))
                    .with_label("this is a secret")
                    .with_help(
                        "secrets may only be passed where they are accepted, such as `http.request` headers",
                    )
            }
            E::InvalidOperands { op, left, right, span, help } => {
                let msg = match right {
                    Some(r) => format!("`{op}` cannot be applied to `{left}` and `{r}`"),
                    None => format!("`{op}` cannot be applied to `{left}`"),
                };
                d(Code::InvalidOperands, span, msg)
                    .with_label("unsupported operand types")
                    .with_optional_help(help)
            }
            E::InvalidCast { from, to, span, help } => {
                d(Code::InvalidCast, span, format!("cannot convert `{from}` to `{to}`"))
                    .with_label("no such conversion")
                    .with_optional_help(help)
            }
            E::StepMayNotHaveSucceeded { step, span, defined, why } => {
                let diag = d(
                    Code::StepMayNotHaveSucceeded,
                    span,
                    format!("`{step}` may not have succeeded on this path"),
                )
                .with_label(format!("`{step}` is used here"));
                let diag = match why {
                    Some(b) => diag.with_secondary(b.file, b.span, b.message),
                    None => diag,
                };
                diag.with_secondary(file, defined, format!("`{step}` is defined here")).with_help(format!(
                    "use `{step}` only where it has certainly succeeded: after it on the same path, without `on failure continue`"
                ))
            }
            E::ErrorOutsideFailure { span, why } => {
                let diag =
                    d(Code::ErrorOutsideFailure, span, "`error` is only available on a failure path".into())
                        .with_label("no failure leads here");
                let diag = match why {
                    Some(b) => diag.with_secondary(b.file, b.span, b.message),
                    None => diag,
                };
                diag.with_help(
                    "use `error` inside `on failure { … }` or in a route reached only by `on failure ->`",
                )
            }
            E::Unreachable { span, cause } => d(Code::Unreachable, span, "unreachable statement".into())
                .with_label("this never runs")
                .with_secondary(file, cause, "the run never gets past this")
                .with_help("remove it, or move it before the statement that ends this path"),
            E::RouteCycle { span, cycle } => {
                d(Code::RouteCycle, span, format!("routes jump in a cycle: {}", cycle.join(" → ")))
                    .with_label("this jump closes the cycle")
                    .with_help("routes must form an acyclic graph so every run ends; remove one jump")
            }
            E::UnusedRoute { name, span } => {
                d(Code::UnusedRoute, span, format!("route `{name}` is never used"))
                    .with_label("nothing jumps here")
                    .with_help(format!("jump to it with `-> {name}` or `on failure -> {name}`, or remove it"))
            }
            E::WaitTooLong { span } => d(Code::WaitTooLong, span, "`wait` is longer than 365 days".into())
                .with_label("over the limit")
                .with_help("wait at most `365d`; for longer delays, use a new trigger"),
            E::RetryOverLimit { count, span } => {
                d(Code::RetryOverLimit, span, format!("`retry {count}` is over the limit of 10"))
                    .with_label("at most 10")
                    .with_help("use `retry 10` or fewer; raise `backoff` to spread the attempts")
            }
            E::TimeoutOverLimit { span, zero } => {
                let msg = if zero {
                    "`timeout` must be longer than zero"
                } else {
                    "`timeout` is longer than 5 minutes"
                };
                d(Code::TimeoutOverLimit, span, msg.into())
                    .with_label("out of range")
                    .with_help("use a timeout between `1ms` and `5m`")
            }
            E::UnknownWorkflow { name, span, suggestion } => {
                let diag = d(Code::UnknownWorkflow, span, format!("unknown workflow `{name}`"))
                    .with_label("no workflow of this name");
                match suggestion {
                    Some(s) => diag.with_help(format!("did you mean `{s}`?")).with_fix(span, s),
                    None => diag,
                }
            }
            E::UnknownEventField { trigger, field, span, suggestion } => {
                d(Code::UnknownEventField, span, format!("`{trigger}` events have no field `{field}`"))
                    .with_label("not part of this trigger's event")
                    .with_optional_help(suggestion.map(|s| format!("did you mean `{s}`?")))
            }
            E::UnknownTestStep { name, workflow, span, suggestion } => {
                let diag =
                    d(Code::UnknownTestStep, span, format!("workflow `{workflow}` has no step `{name}`"))
                        .with_label("unknown step");
                match suggestion {
                    Some(s) => diag.with_help(format!("did you mean `{s}`?")).with_fix(span, s),
                    None => diag.with_help(
                        "unnamed steps are named after their action: `send_email_1`, `request_2`, …",
                    ),
                }
            }
            E::TestWorkflowAmbiguous { span, workflows } => {
                let msg = if workflows == 0 {
                    "this file has no workflow to test"
                } else {
                    "this file has several workflows"
                };
                d(Code::TestWorkflowAmbiguous, span, format!("{msg}; the test must name one"))
                    .with_label("which workflow?")
                    .with_help("add `workflow <name>` to the test")
            }
            E::DuplicateTest { name, span, first } => Diagnostic::new(
                Code::DuplicateTest,
                file,
                span,
                format!("test \"{name}\" is defined more than once"),
            )
            .with_label("defined again here")
            .with_secondary(first.file, first.span, first.message)
            .with_help("give each test its own name"),
        }
    }
}

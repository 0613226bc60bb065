//! Email templates: `templates/<name>.html` and, when present, `templates/<name>.txt`,
//! rendered with minijinja.
//!
//! In: the templates' texts (the CLI's project loader reads the project's
//! `templates/` directory), then a template name and the values in scope: `contact`,
//! `event` and `data` (the call's `data` argument, `{}` when absent). Out: the HTML
//! body (auto-escaped), the text body if there is a `.txt`, and the subject a template
//! sets with `{% set subject = "…" %}`. Undefined variables are errors (strict mode): a
//! path the call does not provide fails the step naming it (`data.order_id`); `null`
//! prints as nothing.

use std::collections::BTreeMap;
use std::fmt;

use minijinja::{Environment, UndefinedBehavior, Value as Jinja};

use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::Value;

/// The project's email templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    /// Names (without extension) with a `.html`, and whether a `.txt` exists.
    names: BTreeMap<String, bool>,
    /// Templates whose text does not parse, with minijinja's reason.
    broken: BTreeMap<String, String>,
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub text: Option<String>,
    /// What the template set as `subject`, if anything.
    pub subject: Option<String>,
}

impl Default for Templates {
    fn default() -> Templates {
        Templates::new(BTreeMap::new())
    }
}

/// Why a template could not be rendered. Each is an `invalid_request`: the same call
/// would fail the same way again.
#[derive(Debug)]
pub enum TemplateError {
    /// No `templates/<name>.html`; `suggestion` is the closest name there is.
    Unknown { name: String, suggestion: Option<String> },
    /// The file does not parse; `reason` is minijinja's, in words.
    Broken { file: String, reason: String },
    /// minijinja could not hand out the parsed file.
    Lookup { file: String, cause: minijinja::Error },
    /// The file uses `path` (`data.order_id`), which the call does not provide.
    Undefined { file: String, path: String },
    /// Rendering failed.
    Failed { file: String, cause: minijinja::Error },
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Unknown { name, suggestion } => {
                write!(f, "there is no template `{name}` (templates/{name}.html)")?;
                match suggestion {
                    Some(other) => write!(f, "; did you mean `{other}`?"),
                    None => Ok(()),
                }
            }
            TemplateError::Broken { file, reason } => write!(f, "template `{file}` does not parse: {reason}"),
            TemplateError::Lookup { file, cause } => write!(f, "template `{file}`: {}", describe(cause)),
            TemplateError::Undefined { file, path } => {
                write!(f, "template `{file}` uses `{path}`, which is not defined")
            }
            TemplateError::Failed { file, cause } => {
                write!(f, "template `{file}` failed: {}", describe(cause))
            }
        }
    }
}

impl std::error::Error for TemplateError {}

impl From<TemplateError> for ActionFailure {
    fn from(error: TemplateError) -> ActionFailure {
        ActionFailure::new(FailureKind::InvalidRequest, error.to_string())
    }
}

/// Whether `name` may name a template (letters, digits, `_`, `-`, `.`; no path).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Templates {
    /// From `(file name, text)` pairs such as `("welcome.html", "…")`; other extensions
    /// are ignored.
    pub fn new(files: BTreeMap<String, String>) -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_formatter(|out, state, value| {
            if value.is_none() { Ok(()) } else { minijinja::escape_formatter(out, state, value) }
        });
        let mut names = BTreeMap::new();
        let mut broken = BTreeMap::new();
        for (file, text) in &files {
            let Some((name, ext)) = file.rsplit_once('.') else { continue };
            if !matches!(ext, "html" | "txt") || !valid_name(name) {
                continue;
            }
            if let Err(e) = env.add_template_owned(file.clone(), text.clone()) {
                broken.insert(file.clone(), describe(&e));
            }
            if ext == "html" {
                names.entry(name.to_string()).or_insert(false);
            }
        }
        for (name, has_text) in names.iter_mut() {
            *has_text = files.contains_key(&format!("{name}.txt"));
        }
        Templates { env, names, broken }
    }

    /// Whether `templates/<name>.html` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// Renders `name` with `contact`, `event` and `data` in scope.
    pub fn render(
        &self,
        name: &str,
        contact: &Value,
        event: &Value,
        data: &Value,
    ) -> Result<Rendered, TemplateError> {
        let Some(&has_text) = self.names.get(name) else {
            let suggestion = crate::diagnostics::did_you_mean(name, self.names.keys()).map(str::to_string);
            return Err(TemplateError::Unknown { name: name.to_string(), suggestion });
        };
        let data = if data.is_null() { Value::Record(BTreeMap::new()) } else { data.clone() };
        let scope = Value::record([
            ("contact".to_string(), contact.clone()),
            ("event".to_string(), event.clone()),
            ("data".to_string(), data),
        ]);
        let (html, subject) = self.render_file(&format!("{name}.html"), &scope)?;
        let text = if has_text { Some(self.render_file(&format!("{name}.txt"), &scope)?.0) } else { None };
        Ok(Rendered { html, text, subject })
    }

    fn render_file(&self, file: &str, scope: &Value) -> Result<(String, Option<String>), TemplateError> {
        if let Some(reason) = self.broken.get(file) {
            return Err(TemplateError::Broken { file: file.to_string(), reason: reason.clone() });
        }
        let template = self
            .env
            .get_template(file)
            .map_err(|cause| TemplateError::Lookup { file: file.to_string(), cause })?;
        let mut missing: Vec<String> = template
            .undeclared_variables(true)
            .into_iter()
            .filter(|path| matches!(path.split('.').next(), Some("contact" | "event" | "data")))
            .filter(|path| !resolves(scope, path))
            .collect();
        missing.sort();
        if let Some(path) = missing.first() {
            return Err(TemplateError::Undefined { file: file.to_string(), path: path.clone() });
        }
        let captured = template
            .render_captured(to_jinja(scope))
            .map_err(|cause| TemplateError::Failed { file: file.to_string(), cause })?;
        let subject = captured
            .state()
            .lookup("subject")
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string().trim().to_string());
        Ok((captured.into_output(), subject))
    }
}

/// minijinja's error without its debug dump: the kind, the detail and the line.
fn describe(error: &minijinja::Error) -> String {
    let mut text = error.kind().to_string();
    if let Some(detail) = error.detail() {
        text.push_str(": ");
        text.push_str(detail);
    }
    if let Some(line) = error.line() {
        text.push_str(&format!(" (line {line})"));
    }
    text
}

/// Whether a dotted path names something in `scope` (a `null` value counts).
fn resolves(scope: &Value, path: &str) -> bool {
    let mut current = scope;
    for part in path.split('.') {
        match current {
            Value::Record(fields) => match fields.get(part) {
                Some(next) => current = next,
                None => return false,
            },
            Value::List(items) => match part.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(next) => current = next,
                None => return false,
            },
            _ => return false,
        }
    }
    true
}

/// A value as minijinja sees it (times and durations as their text, secrets redacted).
fn to_jinja(value: &Value) -> Jinja {
    match value {
        Value::Null => Jinja::from(()),
        Value::Bool(b) => Jinja::from(*b),
        Value::Int(i) => Jinja::from(*i),
        Value::Float(f) => Jinja::from(*f),
        Value::String(s) => Jinja::from(s.as_str()),
        Value::List(items) => Jinja::from(items.iter().map(to_jinja).collect::<Vec<_>>()),
        Value::Record(fields) => Jinja::from(
            fields.iter().map(|(k, v)| (k.clone(), to_jinja(v))).collect::<BTreeMap<String, Jinja>>(),
        ),
        Value::Duration(_) | Value::Timestamp(_) | Value::Secret(_) => Jinja::from(value.to_text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates(files: &[(&str, &str)]) -> Templates {
        Templates::new(files.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect())
    }

    fn contact() -> Value {
        Value::from_json(
            &serde_json::json!({ "first_name": "Ana", "last_name": null, "email": "ana@example.com" }),
        )
    }

    #[test]
    fn renders_html_text_and_the_subject() {
        let t = templates(&[
            (
                "welcome.html",
                "{% set subject = 'Welcome, ' ~ contact.first_name %}<p>Hi {{ contact.first_name }}{{ contact.last_name }} &amp; {{ data.code }}</p>",
            ),
            ("welcome.txt", "Hi {{ contact.first_name }}, code {{ data.code }}"),
            ("notes.md", "ignored"),
        ]);
        let data = Value::from_json(&serde_json::json!({ "code": "<X1>" }));
        let r = t.render("welcome", &contact(), &Value::Null, &data).unwrap();
        assert_eq!(r.html, "<p>Hi Ana &amp; &lt;X1&gt;</p>");
        assert_eq!(r.text.as_deref(), Some("Hi Ana, code <X1>"));
        assert_eq!(r.subject.as_deref(), Some("Welcome, Ana"));
    }

    #[test]
    fn a_missing_variable_fails_naming_it() {
        let t = templates(&[("order.html", "<p>{{ contact.first_name }} {{ data.order.id }}</p>")]);
        let f = ActionFailure::from(t.render("order", &contact(), &Value::Null, &Value::Null).unwrap_err());
        assert_eq!(f.kind, FailureKind::InvalidRequest);
        assert_eq!(f.message, "template `order.html` uses `data.order.id`, which is not defined");
        let f = templates(&[("x.html", "{{ nothing }}")]).render("x", &contact(), &Value::Null, &Value::Null);
        assert!(f.unwrap_err().to_string().starts_with("template `x.html` failed: undefined value"));
    }

    #[test]
    fn unknown_and_broken_templates_are_refused() {
        let t = templates(&[("welcome.html", "hi"), ("broken.html", "{% if %}")]);
        let f = ActionFailure::from(t.render("welcom", &contact(), &Value::Null, &Value::Null).unwrap_err());
        assert_eq!(
            f.message,
            "there is no template `welcom` (templates/welcom.html); did you mean `welcome`?"
        );
        let f = ActionFailure::from(t.render("broken", &contact(), &Value::Null, &Value::Null).unwrap_err());
        assert!(
            f.message.starts_with("template `broken.html` does not parse: syntax error"),
            "{}",
            f.message
        );
        assert!(!valid_name("../etc/passwd") && !valid_name(".hidden") && valid_name("spring-sale_2"));
    }
}

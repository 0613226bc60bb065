//! The project catalog: the named things a project declares (contact properties,
//! lists, loyalty programs and tiers, templates, offers, achievements, gift-card
//! templates, campaigns, Mailchimp lists), and the variables its email templates use.
//!
//! In: the `[catalog]` table of `komo.toml` (already read; this module does no I/O) and
//! the text of the project's `templates/*.html|txt`. Out: a [`ProjectCatalog`] the checker
//! consults: declared properties type `contact.properties.*`, and a string literal that
//! names an undeclared thing is an error with a suggestion. A kind that is not declared
//! at all is not checked (a project without a catalog checks as before).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

use super::types::{Type, named_type};
use crate::catalog::ActionId;

/// What a project declares. `None` for a kind means "not declared": anything goes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProjectCatalog {
    /// Custom contact properties and their types.
    pub properties: Option<BTreeMap<String, Type>>,
    pub lists: Option<BTreeSet<String>>,
    /// Loyalty programs and their tiers (`default` is always a program).
    pub programs: Option<BTreeMap<String, BTreeSet<String>>>,
    /// Email templates: declared names and those found in `templates/`.
    pub templates: Option<BTreeSet<String>>,
    pub offers: Option<BTreeSet<String>>,
    pub achievements: Option<BTreeSet<String>>,
    pub giftcard_templates: Option<BTreeSet<String>>,
    pub campaigns: Option<BTreeSet<String>>,
    pub mailchimp_lists: Option<BTreeSet<String>>,
    /// For each template found on disk, the `{{ … }}` variables it reads.
    pub template_vars: BTreeMap<String, Vec<TemplateVar>>,
    /// `[limits]`: the most one run may take and cause (K0702).
    pub limits: super::bounds::BoundLimits,
}

/// A kind of named thing, as the catalog and its diagnostics call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    List,
    Program,
    Tier,
    Template,
    Offer,
    Achievement,
    GiftcardTemplate,
    Campaign,
    MailchimpList,
}

impl Kind {
    /// How a message names the kind: "list", "loyalty program", …
    pub fn noun(self) -> &'static str {
        match self {
            Kind::List => "list",
            Kind::Program => "loyalty program",
            Kind::Tier => "tier",
            Kind::Template => "email template",
            Kind::Offer => "coupon offer",
            Kind::Achievement => "achievement",
            Kind::GiftcardTemplate => "gift-card template",
            Kind::Campaign => "campaign",
            Kind::MailchimpList => "Mailchimp list",
        }
    }

    /// Where it is declared in `komo.toml`.
    pub fn key(self) -> &'static str {
        match self {
            Kind::List => "catalog.lists",
            Kind::Program => "catalog.loyalty.<program>",
            Kind::Tier => "catalog.loyalty.<program>.tiers",
            Kind::Template => "catalog.templates (or templates/<name>.html)",
            Kind::Offer => "catalog.offers",
            Kind::Achievement => "catalog.achievements",
            Kind::GiftcardTemplate => "catalog.giftcard_templates",
            Kind::Campaign => "catalog.campaigns",
            Kind::MailchimpList => "catalog.mailchimp_lists",
        }
    }
}

/// Which action parameters name a catalog thing.
pub fn named_param(action: ActionId, param: &str) -> Option<Kind> {
    use ActionId::*;
    Some(match (action, param) {
        (ContactAddToList | ContactRemoveFromList, "list") => Kind::List,
        (ContactSendEmail, "template") => Kind::Template,
        (ContactIssueCoupon, "offer") => Kind::Offer,
        (ContactAssignAchievement, "achievement") => Kind::Achievement,
        (LoyaltyAwardPoints | LoyaltyAddToTier, "program") => Kind::Program,
        (LoyaltyAddToTier, "tier") => Kind::Tier,
        (GiftcardSendFromTemplate, "template") => Kind::GiftcardTemplate,
        (GiftcardGenerateCampaignGift, "campaign") => Kind::Campaign,
        (MailchimpUpsertSubscriber | MailchimpTagSubscriber, "list_id") => Kind::MailchimpList,
        _ => return None,
    })
}

/// A `{{ root.a.b }}` read in a template, with its line (1-based) in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateVar {
    pub file: String,
    pub line: usize,
    pub path: Vec<String>,
}

impl ProjectCatalog {
    /// The declared names of `kind` (`program` picks the tiers), or `None` when the
    /// kind is not declared.
    pub fn names(&self, kind: Kind, program: &str) -> Option<Vec<&str>> {
        fn set(s: &Option<BTreeSet<String>>) -> Option<Vec<&str>> {
            s.as_ref().map(|s| s.iter().map(String::as_str).collect())
        }
        match kind {
            Kind::List => set(&self.lists),
            Kind::Template => set(&self.templates),
            Kind::Offer => set(&self.offers),
            Kind::Achievement => set(&self.achievements),
            Kind::GiftcardTemplate => set(&self.giftcard_templates),
            Kind::Campaign => set(&self.campaigns),
            Kind::MailchimpList => set(&self.mailchimp_lists),
            Kind::Program => self.programs.as_ref().map(|p| {
                let mut names: Vec<&str> = p.keys().map(String::as_str).collect();
                if !p.contains_key("default") {
                    names.insert(0, "default");
                }
                names
            }),
            // Tiers of an undeclared program are not checked (the program is).
            Kind::Tier => self
                .programs
                .as_ref()
                .and_then(|p| p.get(program))
                .map(|t| t.iter().map(String::as_str).collect()),
        }
    }

    /// The type `contact.properties` has: the declared properties (each may be unset,
    /// so `T?`), or `Json` when none are declared.
    pub fn properties_type(&self) -> Type {
        match &self.properties {
            None => Type::Json,
            Some(props) => Type::record(
                Some("contact properties"),
                props.iter().map(|(n, t)| (n.clone(), Type::optional(t.clone()))).collect(),
            ),
        }
    }

    /// Builds the catalog from the `[catalog]` table and the project's templates
    /// (`(file name, text)` of `templates/*.html` and `*.txt`). Errors name the key.
    pub fn from_config(
        config: &CatalogConfig,
        templates: &[(String, String)],
    ) -> Result<ProjectCatalog, CatalogConfigError> {
        let mut catalog = ProjectCatalog::default();
        if let Some(props) = &config.properties {
            let mut typed = BTreeMap::new();
            for (name, text) in props {
                if !super::is_snake_case(name) {
                    return Err(CatalogConfigError::PropertyName { name: name.clone() });
                }
                let ty = property_type(text).ok_or_else(|| CatalogConfigError::PropertyType {
                    name: name.clone(),
                    text: text.clone(),
                })?;
                typed.insert(name.clone(), ty);
            }
            catalog.properties = Some(typed);
        }
        let set = |v: &Option<Vec<String>>| v.as_ref().map(|v| v.iter().cloned().collect::<BTreeSet<_>>());
        catalog.lists = set(&config.lists);
        catalog.offers = set(&config.offers);
        catalog.achievements = set(&config.achievements);
        catalog.giftcard_templates = set(&config.giftcard_templates);
        catalog.campaigns = set(&config.campaigns);
        catalog.mailchimp_lists = set(&config.mailchimp_lists);
        catalog.programs = config.loyalty.as_ref().map(|programs| {
            programs.iter().map(|(name, p)| (name.clone(), p.tiers.iter().cloned().collect())).collect()
        });
        // Templates: declared ones, plus every file found (a project with template files
        // has declared its templates by having them).
        let mut found = BTreeSet::new();
        for (file, text) in templates {
            let Some(name) = file.strip_suffix(".html").or_else(|| file.strip_suffix(".txt")) else {
                continue;
            };
            found.insert(name.to_string());
            let shown = format!("templates/{file}");
            catalog.template_vars.entry(name.to_string()).or_default().extend(template_vars(&shown, text));
        }
        catalog.templates = match (&config.templates, found.is_empty()) {
            (None, true) => None,
            (declared, _) => {
                Some(declared.iter().flatten().cloned().chain(found).collect::<BTreeSet<String>>())
            }
        };
        Ok(catalog)
    }
}

/// The `[catalog]` table of `komo.toml`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfig {
    /// Another TOML file (relative to `komo.toml`) holding this table instead.
    pub file: Option<String>,
    pub properties: Option<BTreeMap<String, String>>,
    pub lists: Option<Vec<String>>,
    pub loyalty: Option<BTreeMap<String, ProgramConfig>>,
    pub templates: Option<Vec<String>>,
    pub offers: Option<Vec<String>>,
    pub achievements: Option<Vec<String>>,
    pub giftcard_templates: Option<Vec<String>>,
    pub campaigns: Option<Vec<String>>,
    pub mailchimp_lists: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProgramConfig {
    #[serde(default)]
    pub tiers: Vec<String>,
}

/// A `[catalog]` entry that is wrong; the message names its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatalogConfigError {
    /// A declared property's name is not snake_case.
    PropertyName { name: String },
    /// A declared property's type (`text`) is not a type.
    PropertyType { name: String, text: String },
}

impl fmt::Display for CatalogConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatalogConfigError::PropertyName { name } => {
                write!(f, "catalog.properties: `{name}` is not a snake_case name")
            }
            CatalogConfigError::PropertyType { name, text } => write!(
                f,
                "catalog.properties.{name}: `{text}` is not a type (e.g. `String`, `Int`, `List<String>`)"
            ),
        }
    }
}

impl std::error::Error for CatalogConfigError {}

/// A property's type as written in `komo.toml`: a type name, `List<T>`, or `T?`.
pub fn property_type(text: &str) -> Option<Type> {
    let text = text.trim();
    if let Some(inner) = text.strip_suffix('?') {
        return property_type(inner).map(Type::optional);
    }
    if let Some(inner) = text.strip_prefix("List<").and_then(|t| t.strip_suffix('>')) {
        return property_type(inner).map(Type::list);
    }
    named_type(text).filter(|t| *t != Type::Secret)
}

/// The dotted paths read by `{{ … }}` and `{% … %}` in a template, for the roots a
/// send provides (`contact`, `event`, `data`). Filters, literals and other names (loop
/// variables, `{% set %}`) are skipped: only what can be known statically is checked.
pub fn template_vars(file: &str, text: &str) -> Vec<TemplateVar> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0usize;
    while let Some(start) = rest.find("{{").into_iter().chain(rest.find("{%")).min() {
        let close_tag = if rest.get(start..start + 2) == Some("{{") { "}}" } else { "%}" };
        let Some(inner_len) = rest.get(start + 2..).and_then(|r| r.find(close_tag)) else { break };
        let inner = rest.get(start + 2..start + 2 + inner_len).unwrap_or("");
        let line = text.get(..offset + start).map_or(1, |t| t.matches('\n').count() + 1);
        for path in dotted_paths(inner) {
            if matches!(path.first().map(String::as_str), Some("contact" | "event" | "data")) {
                out.push(TemplateVar { file: file.to_string(), line, path });
            }
        }
        let advance = start + 2 + inner_len + 2;
        offset += advance;
        rest = rest.get(advance..).unwrap_or("");
    }
    out
}

/// `a.b.c` chains of identifiers in an expression, outside string literals; a chain
/// that continues with `[` or `(` stops there (its last name is a method or index).
fn dotted_paths(expr: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut chars = expr.char_indices().peekable();
    let mut quote: Option<char> = None;
    let mut after_dot_or_pipe = false;
    while let Some((_, c)) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
            continue;
        }
        if c == '|' {
            // a filter name follows: not a variable
            after_dot_or_pipe = true;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut path = vec![String::from(c)];
            while let Some((_, n)) = chars.peek().copied() {
                if n.is_ascii_alphanumeric() || n == '_' {
                    if let Some(last) = path.last_mut() {
                        last.push(n);
                    }
                    chars.next();
                } else if n == '.' {
                    chars.next();
                    path.push(String::new());
                } else {
                    break;
                }
            }
            // `a.b.method()`: the last name is a method, not a field; `f()`: no variable.
            if chars.peek().is_some_and(|(_, n)| *n == '(') {
                path.pop();
            }
            path.retain(|p| !p.is_empty());
            if !after_dot_or_pipe && !path.is_empty() {
                paths.push(path);
            }
            after_dot_or_pipe = false;
            continue;
        }
        if !c.is_whitespace() {
            after_dot_or_pipe = false;
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_variables_are_found_with_their_lines() {
        let text = "Hi {{ contact.first_name | default('there') }}!\n{% if event.score > 10 %}\n{{ data.code }} {{ loop.index }} {{ \"contact.x\" }}{{ contact.email.lower() }}\n";
        let vars: Vec<(usize, String)> =
            template_vars("t.html", text).into_iter().map(|v| (v.line, v.path.join("."))).collect();
        assert_eq!(
            vars,
            vec![
                (1, "contact.first_name".to_string()),
                (2, "event.score".to_string()),
                (3, "data.code".to_string()),
                (3, "contact.email".to_string()),
            ]
        );
    }

    #[test]
    fn unterminated_tags_end_the_scan() {
        assert!(template_vars("t.html", "{{ contact.first_name").is_empty());
        assert!(template_vars("t.html", "{{").is_empty());
        assert_eq!(template_vars("t.html", "{{ data.a }}{%").len(), 1);
    }

    #[test]
    fn property_types_are_parsed() {
        assert_eq!(property_type("Int"), Some(Type::Int));
        assert_eq!(property_type("List<String>"), Some(Type::list(Type::String)));
        assert_eq!(property_type("Timestamp?"), Some(Type::optional(Type::Timestamp)));
        assert_eq!(property_type("Secret"), None);
        assert_eq!(property_type("Integer"), None);
    }

    #[test]
    fn undeclared_kinds_are_not_checked_and_default_is_a_program() {
        let config = CatalogConfig {
            lists: Some(vec!["VIP".into()]),
            loyalty: Some(BTreeMap::from([(
                "vip".to_string(),
                ProgramConfig { tiers: vec!["Gold".into()] },
            )])),
            ..CatalogConfig::default()
        };
        let catalog = ProjectCatalog::from_config(&config, &[]).unwrap();
        assert_eq!(catalog.names(Kind::List, ""), Some(vec!["VIP"]));
        assert_eq!(catalog.names(Kind::Offer, ""), None);
        assert_eq!(catalog.names(Kind::Program, ""), Some(vec!["default", "vip"]));
        assert_eq!(catalog.names(Kind::Tier, "vip"), Some(vec!["Gold"]));
        assert_eq!(catalog.names(Kind::Tier, "default"), None);
        assert_eq!(catalog.names(Kind::Template, ""), None);
        let with_files =
            ProjectCatalog::from_config(&config, &[("welcome.html".into(), "{{ data.x }}".into())]).unwrap();
        assert_eq!(with_files.names(Kind::Template, ""), Some(vec!["welcome"]));
        assert_eq!(with_files.template_vars.get("welcome").map(Vec::len), Some(1));
    }

    #[test]
    fn a_wrong_property_names_its_key() {
        let declare = |name: &str, text: &str| {
            let properties = BTreeMap::from([(name.to_string(), text.to_string())]);
            let config = CatalogConfig { properties: Some(properties), ..CatalogConfig::default() };
            ProjectCatalog::from_config(&config, &[]).map(|_| ()).map_err(|e| e.to_string())
        };
        assert_eq!(declare("vip", "Bool"), Ok(()));
        assert_eq!(
            declare("VIP", "Bool"),
            Err("catalog.properties: `VIP` is not a snake_case name".to_string())
        );
        assert_eq!(
            declare("vip", "Secret"),
            Err("catalog.properties.vip: `Secret` is not a type (e.g. `String`, `Int`, `List<String>`)"
                .to_string())
        );
    }
}

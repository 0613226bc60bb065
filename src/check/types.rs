//! The types of Komo values and the rules between them.
//!
//! In: types built from the catalog, from `form` declarations and from expressions.
//! Out: assignability ([`Type::accepts`]), display (`Email?`, `List<String>`,
//! `{ id: String }`) and the helpers the checker uses for operators.

use std::fmt;
use std::sync::Arc;

/// A Komo type.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    String,
    Int,
    Float,
    Bool,
    Duration,
    Timestamp,
    Email,
    Phone,
    Url,
    Json,
    Secret,
    /// The type of the `null` literal.
    Null,
    /// The element type of `[]`: fits any list.
    Never,
    /// A header value: `String` or `Secret` (`http.request`'s `headers`).
    StringOrSecret,
    List(Box<Type>),
    Record(Arc<RecordType>),
    /// A record with any keys whose values all fit the given type (`{ … }` in the catalog).
    Map(Box<Type>),
    Optional(Box<Type>),
    /// Stands for an expression that already has an error: accepted everywhere, so one
    /// mistake is reported once.
    Error,
}

/// A record type with known fields, optionally named (`Contact`, `Card`).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordType {
    pub name: Option<String>,
    pub fields: Vec<(String, Type)>,
    /// The type of keys not listed in `fields`, when other keys are allowed.
    pub rest: Option<Type>,
}

impl RecordType {
    pub fn field(&self, name: &str) -> Option<&Type> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(n, _)| n.as_str())
    }
}

impl Type {
    /// A record type from its fields.
    pub fn record(name: Option<&str>, fields: Vec<(String, Type)>) -> Type {
        Type::Record(Arc::new(RecordType { name: name.map(str::to_string), fields, rest: None }))
    }

    /// A record type with known fields that also takes other keys of type `rest`.
    pub fn open_record(name: Option<&str>, fields: Vec<(String, Type)>, rest: Type) -> Type {
        Type::Record(Arc::new(RecordType { name: name.map(str::to_string), fields, rest: Some(rest) }))
    }

    pub fn optional(inner: Type) -> Type {
        match inner {
            Type::Optional(_) | Type::Null | Type::Json | Type::Error => inner,
            other => Type::Optional(Box::new(other)),
        }
    }

    pub fn list(inner: Type) -> Type {
        Type::List(Box::new(inner))
    }

    /// The type without its `?`.
    pub fn non_null(&self) -> Type {
        match self {
            Type::Optional(inner) => (**inner).clone(),
            other => other.clone(),
        }
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_) | Type::Null)
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Type::Error)
    }

    /// `String` and the string types with a checked format.
    pub fn is_stringish(&self) -> bool {
        matches!(self, Type::String | Type::Email | Type::Phone | Type::Url)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Float)
    }

    /// Whether a value of this type holds a secret somewhere inside.
    pub fn contains_secret(&self) -> bool {
        match self {
            Type::Secret => true,
            Type::List(t) | Type::Optional(t) | Type::Map(t) => t.contains_secret(),
            Type::Record(r) => r.fields.iter().any(|(_, t)| t.contains_secret()),
            _ => false,
        }
    }

    /// Whether a value of type `found` may be used where `self` is expected.
    ///
    /// This is the whole subtyping relation: the format strings fit `String`, anything
    /// but a secret fits `Json`, `T` and `null` fit `T?`, `Int` fits `Float`, lists and
    /// records fit structurally. Optional-to-required is refused here; the checker
    /// reports it with its own code.
    pub fn accepts(&self, found: &Type) -> bool {
        use Type as T;
        match (self, found) {
            (T::Error, _) | (_, T::Error) | (_, T::Never) => true,
            (a, b) if a == b => true,
            (T::String, b) => b.is_stringish(),
            (T::Float, T::Int) => true,
            (T::StringOrSecret, b) => b.is_stringish() || *b == T::Secret,
            (T::Json, b) => !b.contains_secret(),
            (T::Optional(_), T::Null) => true,
            (T::Optional(a), T::Optional(b)) => a.accepts(b),
            (T::Optional(a), b) => a.accepts(b),
            (T::List(a), T::List(b)) => a.accepts(b),
            (T::Map(v), T::Record(r)) => r.fields.iter().all(|(_, t)| v.accepts(t)),
            (T::Map(a), T::Map(b)) => a.accepts(b),
            (T::Record(want), T::Record(have)) => record_accepts(want, have),
            _ => false,
        }
    }
}

/// A record literal fits a record type when every field it has exists there with a
/// fitting type, and every required (non-optional) field is present.
fn record_accepts(want: &RecordType, have: &RecordType) -> bool {
    let fields_fit = have.fields.iter().all(|(name, t)| match want.field(name) {
        Some(w) => w.accepts(t),
        None => want.rest.as_ref().is_some_and(|r| r.accepts(t)),
    });
    let required_present = want
        .fields
        .iter()
        .all(|(name, t)| t.is_optional() || matches!(t, Type::Json) || have.field(name).is_some());
    fields_fit && required_present
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("String"),
            Type::Int => f.write_str("Int"),
            Type::Float => f.write_str("Float"),
            Type::Bool => f.write_str("Bool"),
            Type::Duration => f.write_str("Duration"),
            Type::Timestamp => f.write_str("Timestamp"),
            Type::Email => f.write_str("Email"),
            Type::Phone => f.write_str("Phone"),
            Type::Url => f.write_str("Url"),
            Type::Json => f.write_str("Json"),
            Type::Secret => f.write_str("Secret"),
            Type::Null => f.write_str("null"),
            Type::Never => f.write_str("Never"),
            Type::StringOrSecret => f.write_str("String or Secret"),
            Type::List(t) => write!(f, "List<{t}>"),
            Type::Record(r) => match &r.name {
                Some(name) => f.write_str(name),
                None => {
                    if r.fields.is_empty() {
                        return f.write_str("{}");
                    }
                    f.write_str("{ ")?;
                    for (i, (name, t)) in r.fields.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{name}: {t}")?;
                    }
                    f.write_str(" }")
                }
            },
            Type::Map(v) if **v == Type::Json => f.write_str("{ … }"),
            Type::Map(v) => write!(f, "{{ …: {v} }}"),
            Type::Optional(t) => write!(f, "{t}?"),
            Type::Error => f.write_str("{unknown}"),
        }
    }
}

/// Parses a type name as written in source (`Email`, not `List`).
pub fn named_type(name: &str) -> Option<Type> {
    Some(match name {
        "String" => Type::String,
        "Int" => Type::Int,
        "Float" => Type::Float,
        "Bool" => Type::Bool,
        "Duration" => Type::Duration,
        "Timestamp" => Type::Timestamp,
        "Email" => Type::Email,
        "Phone" => Type::Phone,
        "Url" => Type::Url,
        "Json" => Type::Json,
        "Secret" => Type::Secret,
        _ => return None,
    })
}

/// The type names a user can write, for suggestions.
pub const TYPE_NAMES: &[&str] = &[
    "String",
    "Int",
    "Float",
    "Bool",
    "Duration",
    "Timestamp",
    "Email",
    "Phone",
    "Url",
    "Json",
    "Secret",
    "List",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_strings_fit_string_but_not_back() {
        assert!(Type::String.accepts(&Type::Email));
        assert!(!Type::Email.accepts(&Type::String));
        assert!(Type::optional(Type::String).accepts(&Type::Phone));
    }

    #[test]
    fn optional_is_not_required() {
        assert!(!Type::Phone.accepts(&Type::optional(Type::Phone)));
        assert!(Type::optional(Type::Phone).accepts(&Type::Null));
        assert!(!Type::Phone.accepts(&Type::Null));
    }

    #[test]
    fn json_takes_anything_but_secrets() {
        assert!(Type::Json.accepts(&Type::list(Type::Int)));
        assert!(!Type::Json.accepts(&Type::Secret));
        let with_secret = Type::record(None, vec![("token".into(), Type::Secret)]);
        assert!(!Type::Json.accepts(&with_secret));
        assert!(Type::Map(Box::new(Type::StringOrSecret)).accepts(&with_secret));
    }

    #[test]
    fn records_fit_structurally() {
        let want = Type::record(
            None,
            vec![("id".into(), Type::String), ("note".into(), Type::optional(Type::String))],
        );
        let have = Type::record(None, vec![("id".into(), Type::String)]);
        let extra = Type::record(None, vec![("id".into(), Type::String), ("x".into(), Type::Int)]);
        assert!(want.accepts(&have));
        assert!(!want.accepts(&extra));
        assert!(!want.accepts(&Type::record(None, vec![])));
    }

    #[test]
    fn displays_like_source() {
        assert_eq!(Type::optional(Type::list(Type::Email)).to_string(), "List<Email>?");
        assert_eq!(Type::record(None, vec![("id".into(), Type::String)]).to_string(), "{ id: String }");
        assert_eq!(Type::Map(Box::new(Type::Json)).to_string(), "{ … }");
    }
}

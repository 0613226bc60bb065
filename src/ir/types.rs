//! The static types the IR records on each expression, in a compact serde form.
//!
//! In: the checker's [`Type`]. Out: [`Ty`], where the catalog's named records (`Contact`,
//! `Card`, …) are kept by name only, so stored IR stays small; anonymous records keep
//! their fields (a cast like `x as { id: String }` needs them at run time).

use serde::{Deserialize, Serialize};

use crate::check::types::Type;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ty {
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
    Null,
    /// No value (an empty list's element); also stands for "unknown".
    Never,
    StringOrSecret,
    List(Box<Ty>),
    /// A catalog record, by name.
    Named(String),
    Record(Vec<(String, Ty)>),
    Map(Box<Ty>),
    Optional(Box<Ty>),
}

impl From<&Type> for Ty {
    fn from(t: &Type) -> Ty {
        match t {
            Type::String => Ty::String,
            Type::Int => Ty::Int,
            Type::Float => Ty::Float,
            Type::Bool => Ty::Bool,
            Type::Duration => Ty::Duration,
            Type::Timestamp => Ty::Timestamp,
            Type::Email => Ty::Email,
            Type::Phone => Ty::Phone,
            Type::Url => Ty::Url,
            Type::Json => Ty::Json,
            Type::Secret => Ty::Secret,
            Type::Null => Ty::Null,
            Type::Never | Type::Error => Ty::Never,
            Type::StringOrSecret => Ty::StringOrSecret,
            Type::List(t) => Ty::List(Box::new(Ty::from(&**t))),
            Type::Map(t) => Ty::Map(Box::new(Ty::from(&**t))),
            Type::Optional(t) => Ty::Optional(Box::new(Ty::from(&**t))),
            Type::Record(r) => match &r.name {
                Some(name) => Ty::Named(name.clone()),
                None => Ty::Record(r.fields.iter().map(|(n, t)| (n.clone(), Ty::from(t))).collect()),
            },
        }
    }
}

impl Ty {
    /// The type without its `?`.
    pub fn non_null(&self) -> &Ty {
        match self {
            Ty::Optional(inner) => inner,
            other => other,
        }
    }
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ty::List(t) => write!(f, "List<{t}>"),
            Ty::Optional(t) => write!(f, "{t}?"),
            Ty::Map(_) => f.write_str("{ … }"),
            Ty::Named(n) => f.write_str(n),
            Ty::Record(fields) => {
                f.write_str("{ ")?;
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n}: {t}")?;
                }
                f.write_str(" }")
            }
            Ty::StringOrSecret => f.write_str("String or Secret"),
            other => write!(f, "{other:?}"),
        }
    }
}

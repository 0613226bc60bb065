//! The catalog type notation (`"Email?"`, `"List<String>"`, `"{…}"`) and the record
//! types built from it.
//!
//! In: notation text and field tables. Out: the checker's [`Type`]s. This is the one
//! place the catalog depends on the checker's type module; nothing of the checker
//! proper is used here.

use super::records::{CONTACT_FIELDS, CONTACT_SETTABLE_FIELDS};
use crate::check::types::{Type, named_type};

/// A record type from catalog field pairs.
pub fn record_of(name: Option<&str>, fields: &[(&str, &str)]) -> Type {
    Type::record(name, fields.iter().map(|(n, t)| ((*n).to_string(), catalog_type(t))).collect())
}

/// The `Contact` record type.
pub fn contact_type() -> Type {
    record_of(Some("Contact"), CONTACT_FIELDS)
}

/// The record `contact.update(set: …)` accepts: known fields typed, other keys are
/// custom properties.
pub fn contact_set_type() -> Type {
    let fields = CONTACT_SETTABLE_FIELDS.iter().map(|(n, t)| ((*n).to_string(), catalog_type(t))).collect();
    Type::open_record(Some("contact fields"), fields, Type::Json)
}

/// Turns the catalog notation into a [`Type`]: a type name, `T?`, `List<T>`, `{…}`
/// (a record with any fields), `{…: String|Secret}` (header values) and `ContactSet`.
/// An unknown notation is a bug in this file; it becomes `Json` and a unit test fails.
pub fn catalog_type(text: &str) -> Type {
    if let Some(inner) = text.strip_suffix('?') {
        return Type::optional(catalog_type(inner));
    }
    if let Some(inner) = text.strip_prefix("List<").and_then(|t| t.strip_suffix('>')) {
        return Type::list(catalog_type(inner));
    }
    match text {
        "{…}" => Type::Map(Box::new(Type::Json)),
        "{…: String|Secret}" => Type::Map(Box::new(Type::StringOrSecret)),
        "ContactSet" => contact_set_type(),
        other => named_type(other).unwrap_or(Type::Json),
    }
}

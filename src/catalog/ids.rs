//! The text and JSON forms of the catalog's typed ids.
//!
//! In: an [`ActionId`] or a [`TriggerId`], or a name. Out: the name the IR, run records
//! and messages have always shown (`contact.send_email`, `Contact.Identified`), as
//! `Display` and as a JSON string; back from a name with `FromStr` and serde, where a
//! name the catalog does not know is an error that says so (a trigger's alias is not its
//! name: stored IR names triggers canonically).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::actions::ActionId;
use super::triggers::TriggerId;

/// A name that is not an id of the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// `action` or `trigger`.
    pub what: &'static str,
    pub name: String,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} `{}`: the catalog has no {} of that name", self.what, self.name, self.what)
    }
}

impl std::error::Error for UnknownName {}

/// Widths and alignment (`{:<12}`) are honoured, as for a `str`.
impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.spec();
        if f.width().is_none() && f.precision().is_none() {
            write!(f, "{}.{}", spec.namespace, spec.name)
        } else {
            f.pad(&format!("{}.{}", spec.namespace, spec.name))
        }
    }
}

/// Widths and alignment (`{:<12}`) are honoured, as for a `str`.
impl fmt::Display for TriggerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for ActionId {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<ActionId, UnknownName> {
        ActionId::from_name(name).ok_or_else(|| UnknownName { what: "action", name: name.to_string() })
    }
}

impl FromStr for TriggerId {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<TriggerId, UnknownName> {
        TriggerId::from_name(name).ok_or_else(|| UnknownName { what: "trigger", name: name.to_string() })
    }
}

impl Serialize for ActionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Serialize for TriggerId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ActionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ActionId, D::Error> {
        deserializer.deserialize_str(NameVisitor::<ActionId>::new("an action's full name (`ns.action`)"))
    }
}

impl<'de> Deserialize<'de> for TriggerId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TriggerId, D::Error> {
        deserializer.deserialize_str(NameVisitor::<TriggerId>::new("a trigger's canonical name"))
    }
}

/// Reads a name with `FromStr`, from borrowed or owned strings alike.
struct NameVisitor<T> {
    expecting: &'static str,
    id: std::marker::PhantomData<T>,
}

impl<T> NameVisitor<T> {
    fn new(expecting: &'static str) -> NameVisitor<T> {
        NameVisitor { expecting, id: std::marker::PhantomData }
    }
}

impl<T: FromStr<Err = UnknownName>> Visitor<'_> for NameVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<T, E> {
        name.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ACTIONS, TRIGGERS};

    /// `contact.send_email` → `ContactSendEmail`, `Contact.Verified.Sso` → `ContactVerifiedSso`.
    fn pascal(name: &str) -> String {
        name.split(['.', '_'])
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn each_id_is_its_entry_and_is_named_after_it() {
        assert_eq!(ActionId::ALL.len(), ACTIONS.len());
        for (id, spec) in ActionId::ALL.into_iter().zip(&ACTIONS) {
            assert_eq!(spec.id, id);
            assert!(std::ptr::eq(id.spec(), spec));
            assert_eq!(format!("{id:?}"), pascal(&format!("{}.{}", spec.namespace, spec.name)));
        }
        assert_eq!(TriggerId::ALL.len(), TRIGGERS.len());
        for (id, spec) in TriggerId::ALL.into_iter().zip(&TRIGGERS) {
            assert_eq!(spec.id, id);
            assert!(std::ptr::eq(id.spec(), spec));
            assert_eq!(format!("{id:?}"), pascal(spec.name));
        }
    }

    #[test]
    fn ids_are_their_names_in_json() {
        let json = serde_json::to_string(&(ActionId::ContactSendEmail, TriggerId::ContactIdentified));
        assert_eq!(json.ok().as_deref(), Some(r#"["contact.send_email","Contact.Identified"]"#));
        for id in ActionId::ALL {
            let json = serde_json::to_value(id).unwrap();
            assert_eq!(json, serde_json::Value::String(id.spec().full_name()));
            assert_eq!(serde_json::from_value::<ActionId>(json).unwrap(), id);
            assert_eq!(id.to_string().parse::<ActionId>(), Ok(id));
        }
        for id in TriggerId::ALL {
            let json = serde_json::to_value(id).unwrap();
            assert_eq!(json, serde_json::Value::String(id.name().into()));
            assert_eq!(serde_json::from_value::<TriggerId>(json).unwrap(), id);
            assert_eq!(id.to_string().parse::<TriggerId>(), Ok(id));
        }
    }

    #[test]
    fn ids_are_padded_as_text_is() {
        assert_eq!(format!("[{:<16}]", ActionId::HttpRequest), "[http.request    ]");
        assert_eq!(format!("[{:>20}]", TriggerId::PrizeAwarded), "[       Prize.Awarded]");
    }

    #[test]
    fn an_unknown_name_is_a_clear_error() {
        let action = serde_json::from_str::<ActionId>(r#""contact.send_mail""#).unwrap_err().to_string();
        assert!(action.contains("unknown action `contact.send_mail`"), "{action}");
        for name in ["contact", "contact.", ".send_email", "contactsend_email", "contact.send_email.x"] {
            assert!(name.parse::<ActionId>().is_err(), "{name}");
        }
        // An alias is how source may name a trigger, never how the IR does.
        let alias = serde_json::from_str::<TriggerId>(r#""Prize.Won""#).unwrap_err().to_string();
        assert!(alias.contains("unknown trigger `Prize.Won`"), "{alias}");
        let not_text = serde_json::from_str::<TriggerId>("3").unwrap_err().to_string();
        assert!(not_text.contains("a trigger's canonical name"), "{not_text}");
    }
}

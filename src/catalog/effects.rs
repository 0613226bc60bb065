//! The effect table: what each action may change on the contact, and the events the
//! engine raises for the changes it makes itself (`catalog.md`, "What actions change,
//! and the events they cause").
//!
//! In: an action's [`Effects`] row. Out: whether it may write a contact field (for
//! narrowing and the loop analysis) and the triggers of the events it causes (for the
//! sandbox and the engine).

use super::records::{CONTACT_SETTABLE_FIELDS, is_standard_field};
use super::triggers::TriggerId;

/// An event the engine raises for a change it made itself (`catalog.md`, "What actions
/// change, and the events they cause"). Each is raised only when something really
/// changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caused {
    /// `Contact.Identified`, for a contact the engine creates (`source`: the event type
    /// that created it).
    Identified,
    /// `Contact.PropertyUpdated` whose `changed` names the keys of the `set:` argument
    /// that really changed, and `tags` when the tags did.
    PropertyUpdatedFromSet,
    /// `Contact.PropertyUpdated` whose `changed` is these fields (those that changed).
    PropertyUpdated(&'static [&'static str]),
    /// `Contact.ListAdded`, `list` from the `list` argument, for a new membership.
    ListAdded,
    /// `Coupon.Issued`, one per code issued.
    CouponIssued,
}

impl Caused {
    /// The trigger the event is matched to.
    pub fn trigger_id(self) -> TriggerId {
        match self {
            Caused::Identified => TriggerId::ContactIdentified,
            Caused::PropertyUpdatedFromSet | Caused::PropertyUpdated(_) => TriggerId::ContactPropertyUpdated,
            Caused::ListAdded => TriggerId::ContactListAdded,
            Caused::CouponIssued => TriggerId::CouponIssued,
        }
    }

    /// The canonical name of the trigger the event is matched to (its `type`).
    pub fn trigger(self) -> &'static str {
        self.trigger_id().name()
    }
}

/// The row of the effect table for one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effects {
    /// Standard contact fields it may write.
    pub writes: &'static [&'static str],
    /// Whether it also writes the fields and properties its `set:` argument names.
    pub writes_set_keys: bool,
    /// The events it may cause.
    pub causes: &'static [Caused],
}

/// Actions that change nothing the engine keeps for the contact (external actions,
/// entry tags, gift cards).
pub const NO_EFFECTS: Effects = Effects { writes: &[], writes_set_keys: false, causes: &[] };

/// The row for ingest, a hook or the API creating a contact.
pub const CONTACT_CREATED: Effects =
    Effects { writes: &[], writes_set_keys: false, causes: &[Caused::Identified] };

impl Effects {
    /// Whether it may write the contact at all.
    pub fn writes_contact(&self) -> bool {
        !self.writes.is_empty() || self.writes_set_keys
    }

    /// Whether it may write `contact.<field>` (`field` may be a path such as
    /// `properties.team`): a standard field it names, or, for `set:`, a key of
    /// `set_keys` (`None` when the keys are not known, which may write any field that
    /// `set:` can write, and any property).
    pub fn may_write(&self, field: &str, set_keys: Option<&[String]>) -> bool {
        let head = field.split('.').next().unwrap_or(field);
        if self.writes.contains(&head) {
            return true;
        }
        if !self.writes_set_keys {
            return false;
        }
        let property = field.strip_prefix("properties.").map(|p| p.split('.').next().unwrap_or(p));
        match set_keys {
            None => head == "properties" || CONTACT_SETTABLE_FIELDS.iter().any(|(n, _)| *n == head),
            Some(keys) => keys.iter().any(|k| {
                k == head
                    || property.is_some_and(|p| p == k)
                    || (head == "properties" && property.is_none() && !is_standard_field(k))
            }),
        }
    }
}

//! The fields of the records a workflow reads (`contact`, the context records, `event`,
//! `run`, `error`), in the catalog type notation (see [`super::catalog_type`]), and which
//! contact fields `contact.update(set: …)` may write.

/// The `Contact` record's fields.
pub const CONTACT_FIELDS: &[(&str, &str)] = &[
    ("id", "String"),
    ("email", "Email?"),
    ("phone", "Phone?"),
    ("first_name", "String?"),
    ("last_name", "String?"),
    ("tags", "List<String>"),
    ("lists", "List<String>"),
    ("points", "Int"),
    ("tier", "String?"),
    ("achievements", "List<String>"),
    ("created_at", "Timestamp"),
    ("properties", "Json"),
];

/// The contact fields `contact.update(set: { … })` may write, with their types.
/// Other keys are custom properties (`Json` unless the workspace declares them).
pub const CONTACT_SETTABLE_FIELDS: &[(&str, &str)] =
    &[("email", "Email?"), ("phone", "Phone?"), ("first_name", "String?"), ("last_name", "String?")];

/// Contact fields that `contact.update(set: …)` cannot write, and what does.
pub const CONTACT_OWNED_FIELDS: &[(&str, &str)] = &[
    ("id", "the contact's id never changes"),
    ("created_at", "`created_at` is set when the contact is created"),
    ("tags", "use `contact.update(add_tags: […])` or `remove_tags: […]`"),
    ("lists", "use `contact.add_to_list(…)` or `contact.remove_from_list(…)`"),
    ("points", "use `loyalty.award_points(…)`"),
    ("tier", "use `loyalty.add_to_tier(…)`"),
    ("achievements", "use `contact.assign_achievement(…)`"),
    ("properties", "write custom properties as keys of `set` itself: `set: { favourite_team: \"Reds\" }`"),
];

pub(super) const HUB_FIELDS: &[(&str, &str)] = &[("id", "String"), ("name", "String")];
pub(super) const CARD_FIELDS: &[(&str, &str)] = &[("id", "String"), ("name", "String"), ("type", "String")];
pub(super) const ENTRY_FIELDS: &[(&str, &str)] = &[("id", "String"), ("tags", "List<String>")];
pub(super) const PRIZE_FIELDS: &[(&str, &str)] = &[("id", "String"), ("name", "String")];
pub(super) const COUPON_FIELDS: &[(&str, &str)] =
    &[("id", "String"), ("code", "String"), ("offer", "String")];
pub(super) const RECEIPT_FIELDS: &[(&str, &str)] =
    &[("id", "String"), ("retailer", "String?"), ("total", "Float?")];

/// Fields every event record has.
pub const EVENT_BASE_FIELDS: &[(&str, &str)] =
    &[("id", "String"), ("type", "String"), ("occurred_at", "Timestamp")];

/// `run`: the current run.
pub const RUN_FIELDS: &[(&str, &str)] =
    &[("id", "String"), ("workflow", "String"), ("version", "Int"), ("started_at", "Timestamp")];

/// `error`: the failure that led to an `on failure` block or route.
pub const ERROR_FIELDS: &[(&str, &str)] =
    &[("step", "String"), ("message", "String"), ("kind", "String"), ("status", "Int?")];

/// Whether `name` is a standard contact field (not a custom property).
pub fn is_standard_field(name: &str) -> bool {
    CONTACT_FIELDS.iter().any(|(n, _)| *n == name && *n != "properties")
}

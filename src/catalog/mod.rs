//! The platform's triggers, data types and actions, as data (from `catalog.md`).
//!
//! In: nothing; these are static tables. Out: lookups by name for the checker, the
//! lowering, the runtime, the engine and the language server, with types written in a
//! tiny notation (`"Email?"`, `"List<String>"`, `"{…}"`) that [`catalog_type`] turns
//! into the checker's [`Type`](crate::check::types::Type)s.
//!
//! - [`triggers`](self::TRIGGERS): what fires a workflow, the context records it
//!   carries, the scopes it fits; each has a typed id, [`TriggerId`];
//! - [`actions`](self::ACTIONS): what a step may call, with its parameters and output;
//!   each has a typed id, [`ActionId`] (the IR, the interpreter, the hosts and the
//!   connectors name actions by it; its JSON form is the full name, `"ns.action"`);
//! - the effect table ([`Effects`], [`Caused`]): what an action may change on the
//!   contact, and the events the engine raises for it;
//! - the kinds of an action's failure ([`FailureKind`], `error.kind`);
//! - the record field tables (`contact`, `event`, `run`, `error`, context records);
//! - the type notation ([`catalog_type`], [`record_of`]).
//!
//! The catalog depends on the checker's type module only; the checker, the runtime and
//! the engine depend on the catalog.

mod table;

mod actions;
mod effects;
mod failures;
mod ids;
mod notation;
mod records;
mod triggers;

#[cfg(test)]
mod tests;

pub use actions::{
    ACTIONS, ActionId, ActionKind, ActionSpec, HTTP_METHODS, ParamDefault, ParamSpec, action, namespaces,
};
pub use effects::{CONTACT_CREATED, Caused, Effects, NO_EFFECTS};
pub use failures::FailureKind;
pub use ids::UnknownName;
pub use notation::{catalog_type, contact_set_type, contact_type, record_of};
pub use records::{
    CONTACT_FIELDS, CONTACT_OWNED_FIELDS, CONTACT_SETTABLE_FIELDS, ERROR_FIELDS, EVENT_BASE_FIELDS,
    RUN_FIELDS, is_standard_field,
};
pub use triggers::{
    Carried, ContextName, ScopeKind, TRIGGERS, TriggerId, TriggerSpec, trigger, trigger_names,
};

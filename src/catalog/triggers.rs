//! Triggers: what fires a workflow, the context records it carries, where it may listen.
//!
//! In: nothing; [`TRIGGERS`] is a static table, [`TriggerId`] its typed id. Out: lookups
//! by name and alias, for the checker, the runtime's event admission, the engine and the
//! language server, and by id (for the IR and the interpreter).

use super::notation::record_of;
use super::records::{CARD_FIELDS, COUPON_FIELDS, ENTRY_FIELDS, HUB_FIELDS, PRIZE_FIELDS, RECEIPT_FIELDS};
use super::table::catalog_table;
use crate::check::types::Type;

/// A context record a trigger can carry besides `contact`, `event` and `run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContextName {
    Hub,
    Card,
    Entry,
    Prize,
    Coupon,
    Receipt,
}

impl ContextName {
    pub const ALL: [ContextName; 6] = [
        ContextName::Hub,
        ContextName::Card,
        ContextName::Entry,
        ContextName::Prize,
        ContextName::Coupon,
        ContextName::Receipt,
    ];

    /// The name used in source (`card`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContextName::Hub => "hub",
            ContextName::Card => "card",
            ContextName::Entry => "entry",
            ContextName::Prize => "prize",
            ContextName::Coupon => "coupon",
            ContextName::Receipt => "receipt",
        }
    }

    pub fn from_name(name: &str) -> Option<ContextName> {
        ContextName::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The record type's fields.
    pub fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ContextName::Hub => HUB_FIELDS,
            ContextName::Card => CARD_FIELDS,
            ContextName::Entry => ENTRY_FIELDS,
            ContextName::Prize => PRIZE_FIELDS,
            ContextName::Coupon => COUPON_FIELDS,
            ContextName::Receipt => RECEIPT_FIELDS,
        }
    }

    /// The record type's name (`Card`).
    pub fn type_name(self) -> &'static str {
        match self {
            ContextName::Hub => "Hub",
            ContextName::Card => "Card",
            ContextName::Entry => "Entry",
            ContextName::Prize => "Prize",
            ContextName::Coupon => "Coupon",
            ContextName::Receipt => "Receipt",
        }
    }

    pub fn record_type(self) -> Type {
        record_of(Some(self.type_name()), self.fields())
    }
}

/// Where a workflow may listen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    Workspace,
    Hub,
    Card,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Workspace => "workspace",
            ScopeKind::Hub => "hub",
            ScopeKind::Card => "card",
        }
    }
}

/// A context record a trigger carries, and whether it may be absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Carried {
    pub name: ContextName,
    pub optional: bool,
}

const fn req(name: ContextName) -> Carried {
    Carried { name, optional: false }
}

const fn opt(name: ContextName) -> Carried {
    Carried { name, optional: true }
}

/// One trigger of the catalog.
#[derive(Debug)]
pub struct TriggerSpec {
    pub id: TriggerId,
    /// The canonical name (`Contact.Identified`).
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// When it fires, for hover text and docs.
    pub fires_when: &'static str,
    pub carries: &'static [Carried],
    /// The trigger's own `event` fields besides id/type/occurred_at (`fields` excluded).
    pub fields: &'static [(&'static str, &'static str)],
    /// Whether the event carries form data in `event.fields` (and so allows `form`).
    pub form_data: bool,
    pub scopes: &'static [ScopeKind],
    /// `Webhook.Received`: the contact may be unknown.
    pub contact_optional: bool,
}

impl TriggerSpec {
    pub fn carried(&self, name: ContextName) -> Option<Carried> {
        self.carries.iter().copied().find(|c| c.name == name)
    }

    pub fn allows_scope(&self, scope: ScopeKind) -> bool {
        self.scopes.contains(&scope)
    }

    /// Whether the trigger comes from a card (and so fits a `card` scope).
    pub fn comes_from_card(&self) -> bool {
        self.carried(ContextName::Card).is_some_and(|c| !c.optional)
    }
}

use ContextName::{Card, Coupon, Entry, Hub, Prize, Receipt};
use ScopeKind::{Card as AtCard, Hub as AtHub, Workspace as AtWorkspace};

const ALL_SCOPES: &[ScopeKind] = &[AtWorkspace, AtHub, AtCard];
const CONTACT_SCOPES: &[ScopeKind] = &[AtWorkspace, AtHub];
const GAMEPLAY: &[Carried] = &[req(Hub), req(Card)];
const GAMEPLAY_ENTRY: &[Carried] = &[req(Hub), req(Card), req(Entry)];

catalog_table! {
    /// A trigger of the catalog: a `Copy` id whose [`spec`](TriggerId::spec) is its entry
    /// of [`TRIGGERS`]. In the IR and every JSON form it is its canonical name
    /// (`"Contact.Identified"`, never an alias): see its `Display`, `FromStr` and serde
    /// impls.
    pub enum TriggerId;
    /// Every trigger, in [`TriggerId`] order.
    pub static TRIGGERS: [TriggerSpec];
    ContactIdentified {
        name: "Contact.Identified",
        aliases: &["Contact.Created"],
        fires_when: "a contact is first created or identified",
        carries: &[opt(Hub)],
        fields: &[("source", "String?")],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    ContactPropertyUpdated {
        name: "Contact.PropertyUpdated",
        aliases: &[],
        fires_when: "a contact field changes",
        carries: &[opt(Hub)],
        fields: &[("changed", "List<String>"), ("old", "Json"), ("new", "Json")],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    ContactVerifiedSso {
        name: "Contact.Verified.Sso",
        aliases: &[],
        fires_when: "a contact verifies through SSO",
        carries: &[opt(Hub)],
        fields: &[("provider", "String")],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    ContactListAdded {
        name: "Contact.ListAdded",
        aliases: &[],
        fires_when: "a contact joins a list",
        carries: &[opt(Hub)],
        fields: &[("list", "String")],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    GameplayAction {
        name: "Gameplay.Action",
        aliases: &[],
        fires_when: "any action inside an experience",
        carries: GAMEPLAY,
        fields: &[("action", "String")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    GameplayEnded {
        name: "Gameplay.Ended",
        aliases: &[],
        fires_when: "the user completes or leaves an experience",
        carries: GAMEPLAY,
        fields: &[("completed", "Bool"), ("duration", "Duration"), ("score", "Int?")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    GameplayDataCaptured {
        name: "Gameplay.DataCaptured",
        aliases: &[],
        fires_when: "a form is submitted (all entries, disqualified too)",
        carries: GAMEPLAY_ENTRY,
        fields: &[("qualified", "Bool")],
        form_data: true,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    GameplayDataCapturedQualified {
        name: "Gameplay.DataCapturedQualified",
        aliases: &[],
        fires_when: "a qualified entry is submitted",
        carries: GAMEPLAY_ENTRY,
        fields: &[],
        form_data: true,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    CardCompleted {
        name: "Card.Completed",
        aliases: &[],
        fires_when: "an experience is finished",
        carries: GAMEPLAY,
        fields: &[("score", "Int?"), ("duration", "Duration?")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    PrizeAwarded {
        name: "Prize.Awarded",
        aliases: &["Prize.Won"],
        fires_when: "a prize is won",
        carries: &[req(Hub), req(Card), req(Prize), opt(Entry)],
        fields: &[],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    CouponIssued {
        name: "Coupon.Issued",
        aliases: &[],
        fires_when: "a coupon is issued",
        carries: &[opt(Hub), opt(Card), req(Coupon)],
        fields: &[],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    CouponRedeemed {
        name: "Coupon.Redeemed",
        aliases: &[],
        fires_when: "a coupon is redeemed",
        carries: &[opt(Hub), opt(Card), req(Coupon)],
        fields: &[],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    CompetitionEntryTagAdded {
        name: "CompetitionEntry.TagAdded",
        aliases: &[],
        fires_when: "a tag is added to an entry by hand",
        carries: GAMEPLAY_ENTRY,
        fields: &[("tag", "String")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    CompetitionEntryTagRemoved {
        name: "CompetitionEntry.TagRemoved",
        aliases: &[],
        fires_when: "a tag is removed from an entry by hand",
        carries: GAMEPLAY_ENTRY,
        fields: &[("tag", "String")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    ReceiptValidated {
        name: "Receipt.Validated",
        aliases: &[],
        fires_when: "an uploaded receipt passes validation",
        carries: &[req(Hub), req(Card), req(Receipt)],
        fields: &[],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    ReceiptRejected {
        name: "Receipt.Rejected",
        aliases: &[],
        fires_when: "an uploaded receipt fails validation",
        carries: &[req(Hub), req(Card), req(Receipt)],
        fields: &[("reason", "String")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    WebhookReceived {
        name: "Webhook.Received",
        aliases: &[],
        fires_when: "an outside system posts to the workflow's inbound URL",
        carries: &[],
        fields: &[("body", "Json"), ("headers", "Json")],
        form_data: false,
        scopes: &[AtWorkspace],
        contact_optional: true,
    },
}

/// The trigger named `name`, and whether the name was an alias.
pub fn trigger(name: &str) -> Option<(&'static TriggerSpec, bool)> {
    TRIGGERS.iter().find_map(|t| {
        if t.name == name {
            Some((t, false))
        } else if t.aliases.contains(&name) {
            Some((t, true))
        } else {
            None
        }
    })
}

impl TriggerId {
    /// The trigger whose canonical name is `name` (an alias is not one).
    pub fn from_name(name: &str) -> Option<TriggerId> {
        TRIGGERS.iter().find(|t| t.name == name).map(|t| t.id)
    }

    /// The canonical name (`Contact.Identified`).
    pub fn name(self) -> &'static str {
        self.spec().name
    }
}

/// Every trigger name and alias, for suggestions.
pub fn trigger_names() -> impl Iterator<Item = &'static str> {
    TRIGGERS.iter().flat_map(|t| std::iter::once(t.name).chain(t.aliases.iter().copied()))
}

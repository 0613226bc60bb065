//! The platform's triggers, data types and actions, as data (from `catalog.md`).
//!
//! In: nothing; these are static tables. Out: lookups by name for the checker (and
//! later the runtime and the language server), with types written in a tiny notation
//! (`"Email?"`, `"List<String>"`, `"{…}"`) that [`catalog_type`] turns into [`Type`]s.

use super::types::{Type, named_type};

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

const HUB_FIELDS: &[(&str, &str)] = &[("id", "String"), ("name", "String")];
const CARD_FIELDS: &[(&str, &str)] = &[("id", "String"), ("name", "String"), ("type", "String")];
const ENTRY_FIELDS: &[(&str, &str)] = &[("id", "String"), ("tags", "List<String>")];
const PRIZE_FIELDS: &[(&str, &str)] = &[("id", "String"), ("name", "String")];
const COUPON_FIELDS: &[(&str, &str)] = &[("id", "String"), ("code", "String"), ("offer", "String")];
const RECEIPT_FIELDS: &[(&str, &str)] = &[("id", "String"), ("retailer", "String?"), ("total", "Float?")];

/// Fields every event record has.
pub const EVENT_BASE_FIELDS: &[(&str, &str)] =
    &[("id", "String"), ("type", "String"), ("occurred_at", "Timestamp")];

/// `run`: the current run.
pub const RUN_FIELDS: &[(&str, &str)] =
    &[("id", "String"), ("workflow", "String"), ("version", "Int"), ("started_at", "Timestamp")];

/// `error`: the failure that led to an `on failure` block or route.
pub const ERROR_FIELDS: &[(&str, &str)] =
    &[("step", "String"), ("message", "String"), ("kind", "String"), ("status", "Int?")];

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

pub const TRIGGERS: &[TriggerSpec] = &[
    TriggerSpec {
        name: "Contact.Identified",
        aliases: &["Contact.Created"],
        fires_when: "a contact is first created or identified",
        carries: &[opt(Hub)],
        fields: &[("source", "String?")],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Contact.PropertyUpdated",
        aliases: &[],
        fires_when: "a contact field changes",
        carries: &[opt(Hub)],
        fields: &[("changed", "List<String>"), ("old", "Json"), ("new", "Json")],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Contact.Verified.Sso",
        aliases: &[],
        fires_when: "a contact verifies through SSO",
        carries: &[opt(Hub)],
        fields: &[("provider", "String")],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Contact.ListAdded",
        aliases: &[],
        fires_when: "a contact joins a list",
        carries: &[opt(Hub)],
        fields: &[("list", "String")],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Gameplay.Action",
        aliases: &[],
        fires_when: "any action inside an experience",
        carries: GAMEPLAY,
        fields: &[("action", "String")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Gameplay.Ended",
        aliases: &[],
        fires_when: "the user completes or leaves an experience",
        carries: GAMEPLAY,
        fields: &[("completed", "Bool"), ("duration", "Duration"), ("score", "Int?")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Gameplay.DataCaptured",
        aliases: &[],
        fires_when: "a form is submitted (all entries, disqualified too)",
        carries: GAMEPLAY_ENTRY,
        fields: &[("qualified", "Bool")],
        form_data: true,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Gameplay.DataCapturedQualified",
        aliases: &[],
        fires_when: "a qualified entry is submitted",
        carries: GAMEPLAY_ENTRY,
        fields: &[],
        form_data: true,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Card.Completed",
        aliases: &[],
        fires_when: "an experience is finished",
        carries: GAMEPLAY,
        fields: &[("score", "Int?"), ("duration", "Duration?")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Prize.Awarded",
        aliases: &["Prize.Won"],
        fires_when: "a prize is won",
        carries: &[req(Hub), req(Card), req(Prize), opt(Entry)],
        fields: &[],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Coupon.Issued",
        aliases: &[],
        fires_when: "a coupon is issued",
        carries: &[opt(Hub), opt(Card), req(Coupon)],
        fields: &[],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Coupon.Redeemed",
        aliases: &[],
        fires_when: "a coupon is redeemed",
        carries: &[opt(Hub), opt(Card), req(Coupon)],
        fields: &[],
        form_data: false,
        scopes: CONTACT_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "CompetitionEntry.TagAdded",
        aliases: &[],
        fires_when: "a tag is added to an entry by hand",
        carries: GAMEPLAY_ENTRY,
        fields: &[("tag", "String")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "CompetitionEntry.TagRemoved",
        aliases: &[],
        fires_when: "a tag is removed from an entry by hand",
        carries: GAMEPLAY_ENTRY,
        fields: &[("tag", "String")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Receipt.Validated",
        aliases: &[],
        fires_when: "an uploaded receipt passes validation",
        carries: &[req(Hub), req(Card), req(Receipt)],
        fields: &[],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Receipt.Rejected",
        aliases: &[],
        fires_when: "an uploaded receipt fails validation",
        carries: &[req(Hub), req(Card), req(Receipt)],
        fields: &[("reason", "String")],
        form_data: false,
        scopes: ALL_SCOPES,
        contact_optional: false,
    },
    TriggerSpec {
        name: "Webhook.Received",
        aliases: &[],
        fires_when: "an outside system posts to the workflow's inbound URL",
        carries: &[],
        fields: &[("body", "Json"), ("headers", "Json")],
        form_data: false,
        scopes: &[AtWorkspace],
        contact_optional: true,
    },
];

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

/// Every trigger name and alias, for suggestions.
pub fn trigger_names() -> impl Iterator<Item = &'static str> {
    TRIGGERS.iter().flat_map(|t| std::iter::once(t.name).chain(t.aliases.iter().copied()))
}

/// Whether an action acts on the engine's own store or calls an outside service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Exactly once, in the step's transaction.
    Internal,
    /// At least once, with an idempotency key.
    External,
}

/// What happens when a parameter is not given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamDefault {
    /// Must be given.
    Required,
    /// May be left out (its type is optional; absent means `null`).
    Absent,
    /// A literal default, written as Komo source (`"default"`, `1`).
    Literal(&'static str),
    /// Defaults to a field of the contact, read at the call (`contact.email`): the
    /// call then needs that field proven non-null when it is optional.
    ContactField(&'static str),
}

#[derive(Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    /// In the catalog notation (see [`catalog_type`]).
    pub ty: &'static str,
    pub default: ParamDefault,
    pub doc: &'static str,
}

const fn p(name: &'static str, ty: &'static str, default: ParamDefault, doc: &'static str) -> ParamSpec {
    ParamSpec { name, ty, default, doc }
}

/// One action of the catalog.
#[derive(Debug)]
pub struct ActionSpec {
    pub namespace: &'static str,
    pub name: &'static str,
    /// The platform's own module name (`ContactEmailSend`).
    pub module: &'static str,
    pub kind: ActionKind,
    pub params: &'static [ParamSpec],
    pub output: &'static [(&'static str, &'static str)],
    pub doc: &'static str,
    /// A context record the trigger must carry (`entry.add_tags` needs `entry`).
    pub needs: Option<ContextName>,
    /// What it may change on the contact, and the events it causes (`catalog.md`,
    /// "What actions change"): the one table narrowing, the loop analysis, the sandbox
    /// and the engine read.
    pub effects: Effects,
}

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
    pub fn trigger(self) -> &'static str {
        match self {
            Caused::Identified => "Contact.Identified",
            Caused::PropertyUpdatedFromSet | Caused::PropertyUpdated(_) => "Contact.PropertyUpdated",
            Caused::ListAdded => "Contact.ListAdded",
            Caused::CouponIssued => "Coupon.Issued",
        }
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

/// Whether `name` is a standard contact field (not a custom property).
pub fn is_standard_field(name: &str) -> bool {
    CONTACT_FIELDS.iter().any(|(n, _)| *n == name && *n != "properties")
}

impl ActionSpec {
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }

    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn output_type(&self) -> Type {
        record_of(None, self.output)
    }

    /// Whether it acts on the run's contact (so the run needs one).
    pub fn needs_contact(&self) -> bool {
        matches!(self.namespace, "contact" | "loyalty" | "giftcard")
    }
}

use ActionKind::{External, Internal};
use ParamDefault::{Absent, ContactField, Literal, Required};

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        namespace: "contact",
        name: "update",
        module: "ContactUpdate",
        kind: Internal,
        params: &[
            p(
                "set",
                "ContactSet?",
                Absent,
                "standard fields (`first_name`, `email`, …) or custom properties to write",
            ),
            p("add_tags", "List<String>?", Absent, "tags to add to the contact"),
            p("remove_tags", "List<String>?", Absent, "tags to remove from the contact"),
        ],
        output: &[],
        doc: "update the contact's fields, properties and tags",
        needs: None,
        effects: Effects {
            writes: &["tags"],
            writes_set_keys: true,
            causes: &[Caused::PropertyUpdatedFromSet],
        },
    },
    ActionSpec {
        namespace: "contact",
        name: "add_to_list",
        module: "ContactAddToList",
        kind: Internal,
        params: &[p("list", "String", Required, "the list to add the contact to")],
        output: &[],
        doc: "add the contact to a list",
        needs: None,
        effects: Effects { writes: &["lists"], writes_set_keys: false, causes: &[Caused::ListAdded] },
    },
    ActionSpec {
        namespace: "contact",
        name: "remove_from_list",
        module: "ContactRemoveFromList",
        kind: Internal,
        params: &[p("list", "String", Required, "the list to remove the contact from")],
        output: &[],
        doc: "remove the contact from a list",
        needs: None,
        effects: Effects { writes: &["lists"], writes_set_keys: false, causes: &[] },
    },
    ActionSpec {
        namespace: "contact",
        name: "send_email",
        module: "ContactEmailSend",
        kind: External,
        params: &[
            p("template", "String", Required, "the email template to render"),
            p("to", "Email", ContactField("email"), "the recipient; defaults to the contact's email"),
            p("subject", "String?", Absent, "the subject line; defaults to the template's"),
            p("data", "{…}?", Absent, "extra values for the template"),
        ],
        output: &[("message_id", "String")],
        doc: "send an email from a template (SMTP)",
        needs: None,
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "contact",
        name: "send_sms",
        module: "ContactSmsSend",
        kind: External,
        params: &[
            p("message", "String", Required, "the text of the message"),
            p("to", "Phone", ContactField("phone"), "the recipient; defaults to the contact's phone"),
        ],
        output: &[("message_id", "String")],
        doc: "send a text message through the SMS provider",
        needs: None,
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "contact",
        name: "issue_coupon",
        module: "ContactCouponIssue",
        kind: Internal,
        params: &[
            p("offer", "String", Required, "the coupon offer to issue from"),
            p("quantity", "Int", Literal("1"), "how many coupons to issue"),
        ],
        output: &[("codes", "List<String>")],
        doc: "issue coupons of an offer to the contact",
        needs: None,
        effects: Effects { writes: &[], writes_set_keys: false, causes: &[Caused::CouponIssued] },
    },
    ActionSpec {
        namespace: "contact",
        name: "assign_achievement",
        module: "AssignContactAchievement",
        kind: Internal,
        params: &[p("achievement", "String", Required, "the achievement to assign")],
        output: &[],
        doc: "assign an achievement to the contact",
        needs: None,
        effects: Effects { writes: &["achievements"], writes_set_keys: false, causes: &[] },
    },
    ActionSpec {
        namespace: "loyalty",
        name: "award_points",
        module: "LoyaltyAwardPoints",
        kind: Internal,
        params: &[
            p("points", "Int", Required, "how many points to award (negative to deduct)"),
            p("program", "String", Literal("\"default\""), "the loyalty program"),
            p("reason", "String?", Absent, "why, shown in the points history"),
        ],
        output: &[("balance", "Int")],
        doc: "award loyalty points; the output is the new balance",
        needs: None,
        effects: Effects {
            writes: &["points", "tier"],
            writes_set_keys: false,
            causes: &[Caused::PropertyUpdated(&["points"])],
        },
    },
    ActionSpec {
        namespace: "loyalty",
        name: "add_to_tier",
        module: "LoyaltyAddToTier",
        kind: Internal,
        params: &[
            p("tier", "String", Required, "the tier to move the contact to"),
            p("program", "String", Literal("\"default\""), "the loyalty program"),
        ],
        output: &[("tier", "String")],
        doc: "move the contact to a loyalty tier",
        needs: None,
        effects: Effects {
            writes: &["tier"],
            writes_set_keys: false,
            causes: &[Caused::PropertyUpdated(&["tier"])],
        },
    },
    ActionSpec {
        namespace: "entry",
        name: "add_tags",
        module: "CompetitionEntryAddTags",
        kind: Internal,
        params: &[p("tags", "List<String>", Required, "tags to add to the competition entry")],
        output: &[],
        doc: "tag the competition entry (does not fire `CompetitionEntry.TagAdded`)",
        needs: Some(ContextName::Entry),
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "giftcard",
        name: "send_from_template",
        module: "LocalCardSendCardFromTemplate",
        kind: Internal,
        params: &[p("template", "String", Required, "the gift-card template")],
        output: &[("card_id", "String")],
        doc: "send the contact a gift card made from a template",
        needs: None,
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "giftcard",
        name: "generate_campaign_gift",
        module: "LocalCardGenerateCampaignGift",
        kind: Internal,
        params: &[p("campaign", "String", Required, "the gift campaign")],
        output: &[("code", "String")],
        doc: "generate a gift code of a campaign",
        needs: None,
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "salesforce",
        name: "get_object",
        module: "Salesforce: Get Object",
        kind: External,
        params: &[
            p("object", "String", Required, "the sObject type, e.g. `Lead`"),
            p("id", "String", Required, "the record id"),
        ],
        output: &[("record", "Json")],
        doc: "read a Salesforce record",
        needs: None,
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "salesforce",
        name: "create_object",
        module: "SalesforceCreateObject",
        kind: External,
        params: &[
            p("object", "String", Required, "the sObject type, e.g. `Lead`"),
            p("fields", "{…}", Required, "the record's fields"),
        ],
        output: &[("id", "String")],
        doc: "create a Salesforce record",
        needs: None,
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "salesforce",
        name: "update_object",
        module: "Salesforce: Update Object",
        kind: External,
        params: &[
            p("object", "String", Required, "the sObject type, e.g. `Lead`"),
            p("id", "String", Required, "the record id"),
            p("fields", "{…}", Required, "the fields to change"),
        ],
        output: &[],
        doc: "update a Salesforce record",
        needs: None,
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "mailchimp",
        name: "upsert_subscriber",
        module: "Mailchimp: Upsert Subscriber",
        kind: External,
        params: &[
            p("list_id", "String", Required, "the audience (list) id"),
            p("email", "Email", ContactField("email"), "the subscriber; defaults to the contact's email"),
            p("merge_fields", "{…}?", Absent, "merge fields such as `FNAME`"),
            p("status", "String", Literal("\"subscribed\""), "the status if the subscriber is new"),
        ],
        output: &[("id", "String")],
        doc: "add or update a Mailchimp subscriber",
        needs: None,
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "mailchimp",
        name: "tag_subscriber",
        module: "Mailchimp: Tag Subscriber",
        kind: External,
        params: &[
            p("list_id", "String", Required, "the audience (list) id"),
            p("tags", "List<String>", Required, "tags to add"),
            p("email", "Email", ContactField("email"), "the subscriber; defaults to the contact's email"),
        ],
        output: &[],
        doc: "tag a Mailchimp subscriber",
        needs: None,
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "braze",
        name: "track_user",
        module: "Braze: Track User",
        kind: External,
        params: &[
            p("attributes", "{…}", Required, "user attributes to set"),
            p("external_id", "String", ContactField("id"), "the Braze user; defaults to the contact's id"),
        ],
        output: &[],
        doc: "set attributes of a Braze user",
        needs: None,
        effects: NO_EFFECTS,
    },
    ActionSpec {
        namespace: "http",
        name: "request",
        module: "HttpRequest",
        kind: External,
        params: &[
            p("method", "String", Required, "`GET`, `POST`, `PUT`, `PATCH` or `DELETE`"),
            p("url", "Url", Required, "the address to call"),
            p("headers", "{…: String|Secret}?", Absent, "request headers; values may be secrets"),
            p("query", "{…}?", Absent, "query parameters"),
            p("json", "Json?", Absent, "a JSON body"),
            p("body", "String?", Absent, "a text body"),
        ],
        output: &[("status", "Int"), ("headers", "Json"), ("body", "String"), ("json", "Json")],
        doc: "call a URL (\"Send webhook\"); a status outside 200–299 is a failure of kind `http_status`",
        needs: None,
        effects: NO_EFFECTS,
    },
];

/// The action `namespace.name`.
pub fn action(namespace: &str, name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|a| a.namespace == namespace && a.name == name)
}

/// The action namespaces, for suggestions.
pub fn namespaces() -> Vec<&'static str> {
    let mut out: Vec<&str> = ACTIONS.iter().map(|a| a.namespace).collect();
    out.dedup();
    out
}

/// Valid HTTP methods for `http.request`.
pub const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

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

#[cfg(test)]
mod tests {
    use super::*;

    fn known_notation(text: &str) -> bool {
        let base = text.trim_end_matches('?');
        let base = base.strip_prefix("List<").and_then(|t| t.strip_suffix('>')).unwrap_or(base);
        matches!(base, "{…}" | "{…: String|Secret}" | "ContactSet") || named_type(base).is_some()
    }

    #[test]
    fn every_type_in_the_tables_is_known() {
        let mut all: Vec<&str> = Vec::new();
        for a in ACTIONS {
            all.extend(a.params.iter().map(|p| p.ty));
            all.extend(a.output.iter().map(|(_, t)| *t));
        }
        for t in TRIGGERS {
            all.extend(t.fields.iter().map(|(_, t)| *t));
        }
        for c in ContextName::ALL {
            all.extend(c.fields().iter().map(|(_, t)| *t));
        }
        all.extend(CONTACT_FIELDS.iter().map(|(_, t)| *t));
        for t in all {
            assert!(known_notation(t), "unknown catalog type `{t}`");
        }
    }

    #[test]
    fn optional_params_are_absent_or_defaulted() {
        for a in ACTIONS {
            for p in a.params {
                let optional = p.ty.ends_with('?');
                assert_eq!(optional, p.default == Absent, "{}.{} `{}`", a.namespace, a.name, p.name);
            }
        }
    }

    #[test]
    fn the_effect_table_says_what_each_action_writes() {
        let effects = |ns: &str, name: &str| action(ns, name).map(|a| a.effects).unwrap_or(NO_EFFECTS);
        assert!(!effects("contact", "send_email").writes_contact());
        assert!(!effects("mailchimp", "upsert_subscriber").writes_contact());
        let update = effects("contact", "update");
        let email = ["email".to_string()];
        assert!(update.may_write("email", Some(&email)));
        assert!(!update.may_write("phone", Some(&email)));
        assert!(update.may_write("tags", Some(&email)));
        assert!(update.may_write("phone", None));
        assert!(!update.may_write("points", None));
        let team = ["team".to_string()];
        assert!(update.may_write("properties.team", Some(&team)));
        assert!(!update.may_write("properties.city", Some(&team)));
        assert!(!update.may_write("email", Some(&team)));
        assert!(effects("loyalty", "award_points").may_write("tier", None));
        assert!(effects("contact", "add_to_list").may_write("lists", None));
        for a in ACTIONS {
            if a.kind == ActionKind::External {
                assert_eq!(a.effects, NO_EFFECTS, "{}", a.full_name());
            }
            for c in a.effects.causes {
                assert!(trigger(c.trigger()).is_some_and(|(_, alias)| !alias), "{}", c.trigger());
            }
        }
    }

    #[test]
    fn lookups_resolve_aliases() {
        let (t, alias) = trigger("Prize.Won").unwrap_or_else(|| unreachable!());
        assert_eq!((t.name, alias), ("Prize.Awarded", true));
        assert!(trigger("Contact.Identified").is_some_and(|(_, alias)| !alias));
        assert!(action("contact", "send_email").is_some());
        assert!(action("contact", "send_mail").is_none());
    }

    #[test]
    fn card_scope_needs_a_card_trigger() {
        let ident = trigger("Contact.Identified").map(|(t, _)| t);
        assert!(ident.is_some_and(|t| !t.comes_from_card()));
        let coupon = trigger("Coupon.Issued").map(|(t, _)| t);
        assert!(coupon.is_some_and(|t| !t.comes_from_card()));
        let prize = trigger("Prize.Awarded").map(|(t, _)| t);
        assert!(prize.is_some_and(|t| t.comes_from_card() && t.allows_scope(ScopeKind::Card)));
    }
}

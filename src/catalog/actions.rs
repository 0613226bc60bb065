//! Actions: what a step may call, its parameters, output and effects.
//!
//! In: nothing; [`ACTIONS`] is a static table, [`ActionId`] its typed id. Out: lookups by
//! `namespace.name` (for the checker, the lowering and the language server) and by id
//! (for the IR, the interpreter, the sandbox, the engine's host and the connectors).

use super::effects::{Caused, Effects, NO_EFFECTS};
use super::notation::record_of;
use super::table::catalog_table;
use super::triggers::ContextName;
use crate::check::types::Type;

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
    /// In the catalog notation (see [`catalog_type`](super::catalog_type)).
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
    pub id: ActionId,
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

catalog_table! {
    /// An action of the catalog: a `Copy` id whose [`spec`](ActionId::spec) is its entry
    /// of [`ACTIONS`]. In the IR and every JSON form it is its full name
    /// (`"contact.send_email"`): see its `Display`, `FromStr` and serde impls.
    pub enum ActionId;
    /// Every action, in [`ActionId`] order.
    pub static ACTIONS: [ActionSpec];
    ContactUpdate {
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
    ContactAddToList {
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
    ContactRemoveFromList {
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
    ContactSendEmail {
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
    ContactSendSms {
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
    ContactIssueCoupon {
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
    ContactAssignAchievement {
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
    LoyaltyAwardPoints {
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
    LoyaltyAddToTier {
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
    EntryAddTags {
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
    GiftcardSendFromTemplate {
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
    GiftcardGenerateCampaignGift {
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
    SalesforceGetObject {
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
    SalesforceCreateObject {
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
    SalesforceUpdateObject {
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
    MailchimpUpsertSubscriber {
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
    MailchimpTagSubscriber {
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
    BrazeTrackUser {
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
    HttpRequest {
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
}

/// The action `namespace.name`. Names first: they differ more (in length, mostly), so
/// most entries are passed over without comparing bytes.
pub fn action(namespace: &str, name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|a| a.name == name && a.namespace == namespace)
}

impl ActionId {
    /// The action whose full name is `full_name` (`contact.send_email`).
    pub fn from_name(full_name: &str) -> Option<ActionId> {
        ACTIONS
            .iter()
            .find(|a| {
                full_name.strip_prefix(a.namespace).and_then(|rest| rest.strip_prefix('.')) == Some(a.name)
            })
            .map(|a| a.id)
    }

    /// Its kind: internal or external.
    pub fn kind(self) -> ActionKind {
        self.spec().kind
    }
}

/// The action namespaces, for suggestions.
pub fn namespaces() -> Vec<&'static str> {
    let mut out: Vec<&str> = ACTIONS.iter().map(|a| a.namespace).collect();
    out.dedup();
    out
}

/// Valid HTTP methods for `http.request`.
pub const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

//! A contact's state and the internal actions that act on it.
//!
//! In: the contact's record and entry, and internal action requests (`contact.*`,
//! `loyalty.*`, `entry.add_tags`, `giftcard.*`) with evaluated arguments. Out: the
//! actions' outputs, the new state and the events the changes cause, with the engine's
//! semantics: tags, lists and achievements keep their order and never repeat, the
//! `default` loyalty program is the contact's `points` and `tier`, coupon and gift codes
//! are deterministic. An action that fails changes nothing. The engine stores a
//! [`ContactState`] per contact (as JSON); the sandbox keeps one per run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{ActionId, CONTACT_OWNED_FIELDS, CONTACT_SETTABLE_FIELDS};
use crate::runtime::caused::{self, Change};
use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::Value;

type Record = BTreeMap<String, Value>;
type Args = BTreeMap<String, Value>;

/// The loyalty program that is the contact's `points` and `tier`.
pub const DEFAULT_PROGRAM: &str = "default";

/// The most coupons one `contact.issue_coupon` may issue.
pub const MAX_COUPONS_PER_CALL: i64 = 100;

/// A coupon issued to the contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCoupon {
    pub offer: String,
    pub code: String,
}

/// A gift card sent from a template or a campaign gift generated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gift {
    /// The template or the campaign.
    pub source: String,
    /// `gift_<n>` for a card, the code for a campaign gift.
    pub id: String,
}

/// The contact's standing in one loyalty program.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyState {
    pub points: i64,
    pub tier: Option<String>,
}

/// Everything internal actions act on for one contact: its record, the run's entry,
/// loyalty programs, coupons and gifts. Its serde form is what the engine stores.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ContactState {
    contact: Option<Record>,
    entry: Option<Record>,
    /// Programs other than `default`.
    programs: BTreeMap<String, LoyaltyState>,
    coupons: Vec<IssuedCoupon>,
    gifts: Vec<Gift>,
    /// Codes issued so far per code prefix (coupons and campaign gifts).
    counters: BTreeMap<String, u32>,
    gift_cards_sent: u32,
    /// Set by the engine to the contact's id: codes then carry a digest of it, so two
    /// contacts' codes differ (the sandbox's `PREFIX-0001` are only unique per contact).
    #[serde(skip)]
    code_scope: Option<String>,
    /// The events the actions performed since the last [`ContactState::take_changes`] caused.
    #[serde(skip)]
    changes: Vec<Change>,
}

impl ContactState {
    /// A state whose contact is a new one created at `created_at`.
    pub fn new(created_at: jiff::Timestamp) -> ContactState {
        ContactState { contact: Some(default_contact(created_at)), ..ContactState::default() }
    }

    /// Sets the run's contact: `Null` for none, else the given fields over a new
    /// contact's (`contact_1`, no email or phone, no tags, 0 points, created at
    /// `created_at`). Nothing is validated; a `created_at` in RFC 3339 text is read as
    /// a timestamp.
    pub fn set_contact(&mut self, partial: &Value, created_at: jiff::Timestamp) {
        let given = match partial {
            Value::Null => {
                self.contact = None;
                return;
            }
            Value::Record(given) => given.clone(),
            _ => BTreeMap::new(),
        };
        let mut contact = default_contact(created_at);
        for (key, value) in given {
            let value = match (key.as_str(), value) {
                ("created_at", Value::String(text)) => match text.parse::<jiff::Timestamp>() {
                    Ok(t) => Value::Timestamp(t),
                    Err(_) => Value::String(text),
                },
                (_, value) => value,
            };
            contact.insert(key, value);
        }
        self.contact = Some(contact);
    }

    /// Sets the run's competition entry (`Null` for none).
    pub fn set_entry(&mut self, entry: Value) {
        self.entry = match entry {
            Value::Record(entry) => Some(entry),
            _ => None,
        };
    }

    /// The contact as it is now (`Null` when the run has none).
    pub fn contact(&self) -> Value {
        self.contact.clone().map_or(Value::Null, Value::Record)
    }

    /// The entry as it is now (`Null` when the run has none).
    pub fn entry(&self) -> Value {
        self.entry.clone().map_or(Value::Null, Value::Record)
    }

    /// The contact's standing in a loyalty program (`default`: its points and tier).
    pub fn loyalty(&self, program: &str) -> LoyaltyState {
        if program == DEFAULT_PROGRAM {
            let contact = self.contact();
            let tier = contact.field("tier").as_str().map(str::to_string);
            LoyaltyState { points: contact.field("points").as_int().unwrap_or(0), tier }
        } else {
            self.programs.get(program).cloned().unwrap_or_default()
        }
    }

    /// Coupons issued in this run, in order.
    pub fn coupons(&self) -> &[IssuedCoupon] {
        &self.coupons
    }

    /// Gift cards sent and campaign gifts generated in this run, in order.
    pub fn gifts(&self) -> &[Gift] {
        &self.gifts
    }

    /// Performs an internal action. On failure the state is unchanged. What it really
    /// changed is kept as events it caused, for [`ContactState::take_changes`].
    pub fn perform(&mut self, action: ActionId, args: &Args) -> Result<Value, ActionFailure> {
        let Some(before) = caused::watched(action, args, self.contact.as_ref()) else {
            return self.apply(action, args);
        };
        let issued = self.coupons.len();
        let output = self.apply(action, args)?;
        let after = caused::watched(action, args, self.contact.as_ref()).unwrap_or(Value::Null);
        let coupons: Vec<(String, String)> =
            self.coupons.iter().skip(issued).map(|c| (c.offer.clone(), c.code.clone())).collect();
        self.changes.extend(caused::changes(action, args, &before, &after, &coupons));
        Ok(output)
    }

    /// The events caused since the last call, oldest first.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    fn apply(&mut self, action: ActionId, args: &Args) -> Result<Value, ActionFailure> {
        match action {
            ActionId::EntryAddTags => {
                let tags = string_list(args, "tags", true)?;
                let entry = self.entry.as_mut().ok_or_else(|| invalid("the run has no competition entry"))?;
                update_list(entry, "tags", |list| add_unique(list, &tags));
                Ok(empty())
            }
            ActionId::GiftcardSendFromTemplate => {
                let template = string(args, "template")?;
                self.contact_ref()?;
                self.gift_cards_sent = self.gift_cards_sent.saturating_add(1);
                let id = format!("gift_{}", self.gift_cards_sent);
                self.gifts.push(Gift { source: template.to_string(), id: id.clone() });
                Ok(one("card_id", Value::str(id)))
            }
            ActionId::GiftcardGenerateCampaignGift => {
                let campaign = string(args, "campaign")?;
                self.contact_ref()?;
                let code = self.next_code(&format!("GIFT-{}", code_prefix(campaign)));
                self.gifts.push(Gift { source: campaign.to_string(), id: code.clone() });
                Ok(one("code", Value::str(code)))
            }
            ActionId::ContactIssueCoupon => self.issue_coupon(args),
            ActionId::LoyaltyAwardPoints => self.award_points(args),
            ActionId::LoyaltyAddToTier => self.add_to_tier(args),
            _ => {
                // The rest act on the contact alone: change a copy, keep it on success.
                let mut contact = self.contact_ref()?.clone();
                let output = contact_action(&mut contact, action, args)?;
                self.contact = Some(contact);
                Ok(output)
            }
        }
    }

    fn contact_ref(&self) -> Result<&Record, ActionFailure> {
        self.contact.as_ref().ok_or_else(|| invalid("the run has no contact"))
    }

    fn contact_mut(&mut self) -> Result<&mut Record, ActionFailure> {
        self.contact.as_mut().ok_or_else(|| invalid("the run has no contact"))
    }

    fn issue_coupon(&mut self, args: &Args) -> Result<Value, ActionFailure> {
        let offer = string(args, "offer")?.to_string();
        let quantity = optional_int(args, "quantity")?.unwrap_or(1);
        if !(1..=MAX_COUPONS_PER_CALL).contains(&quantity) {
            let message = format!("`quantity` must be from 1 to {MAX_COUPONS_PER_CALL}, not {quantity}");
            return Err(ActionFailure::new(FailureKind::InvalidValue, message));
        }
        self.contact_ref()?;
        let prefix = code_prefix(&offer);
        let codes: Vec<String> = (0..quantity).map(|_| self.next_code(&prefix)).collect();
        for code in &codes {
            self.coupons.push(IssuedCoupon { offer: offer.clone(), code: code.clone() });
        }
        Ok(one("codes", Value::List(codes.into_iter().map(Value::String).collect())))
    }

    fn award_points(&mut self, args: &Args) -> Result<Value, ActionFailure> {
        let points = int(args, "points")?;
        let program = optional_string(args, "program")?.unwrap_or(DEFAULT_PROGRAM).to_string();
        let current = self.loyalty(&program).points;
        self.contact_ref()?;
        let balance =
            current.checked_add(points).ok_or_else(|| invalid("the points balance would overflow"))?;
        if balance < 0 {
            let message = format!(
                "cannot deduct {} points from program `{program}`: the balance is {current}",
                -points
            );
            return Err(invalid(&message));
        }
        if program == DEFAULT_PROGRAM {
            self.contact_mut()?.insert("points".to_string(), Value::Int(balance));
        } else {
            self.programs.entry(program).or_default().points = balance;
        }
        Ok(one("balance", Value::Int(balance)))
    }

    fn add_to_tier(&mut self, args: &Args) -> Result<Value, ActionFailure> {
        let tier = string(args, "tier")?.to_string();
        let program = optional_string(args, "program")?.unwrap_or(DEFAULT_PROGRAM).to_string();
        if program == DEFAULT_PROGRAM {
            self.contact_mut()?.insert("tier".to_string(), Value::str(&tier));
        } else {
            self.contact_ref()?;
            self.programs.entry(program).or_default().tier = Some(tier.clone());
        }
        Ok(one("tier", Value::String(tier)))
    }

    /// Makes issued codes unique across contacts: see [`ContactState::code_scope`].
    pub fn set_code_scope(&mut self, contact_id: &str) {
        self.code_scope = Some(contact_id.to_string());
    }

    /// `PREFIX-0001`, `PREFIX-0002`, … per prefix; with a code scope,
    /// `PREFIX-<10 characters of a digest of the contact, prefix and number>`.
    fn next_code(&mut self, prefix: &str) -> String {
        let counter = self.counters.entry(prefix.to_string()).or_insert(0);
        *counter = counter.saturating_add(1);
        match &self.code_scope {
            None => format!("{prefix}-{counter:04}"),
            Some(scope) => format!("{prefix}-{}", scoped_code(scope, prefix, *counter)),
        }
    }
}

/// The `contact.*` actions that change only the contact record.
fn contact_action(contact: &mut Record, action: ActionId, args: &Args) -> Result<Value, ActionFailure> {
    match action {
        ActionId::ContactUpdate => {
            if let Some(set) = args.get("set").filter(|v| !v.is_null()) {
                let Value::Record(set) = set else {
                    return Err(ActionFailure::new(FailureKind::InvalidValue, "`set` must be a record"));
                };
                for (key, value) in set {
                    set_field(contact, key, value)?;
                }
            }
            let add = string_list(args, "add_tags", false)?;
            let remove = string_list(args, "remove_tags", false)?;
            update_list(contact, "tags", |tags| {
                add_unique(tags, &add);
                tags.retain(|t| !t.as_str().is_some_and(|t| remove.iter().any(|r| r == t)));
            });
            Ok(empty())
        }
        ActionId::ContactAddToList => {
            let list = string(args, "list")?.to_string();
            update_list(contact, "lists", |lists| add_unique(lists, &[list]));
            Ok(empty())
        }
        ActionId::ContactRemoveFromList => {
            let list = string(args, "list")?;
            update_list(contact, "lists", |lists| lists.retain(|l| l.as_str() != Some(list)));
            Ok(empty())
        }
        ActionId::ContactAssignAchievement => {
            let achievement = string(args, "achievement")?.to_string();
            update_list(contact, "achievements", |list| add_unique(list, &[achievement]));
            Ok(empty())
        }
        other => Err(invalid(&format!("`{other}` is not an action of the sandbox store"))),
    }
}

/// One key of `contact.update(set: …)`: a standard field, or a custom property
/// (`null` removes it).
fn set_field(contact: &mut Record, key: &str, value: &Value) -> Result<(), ActionFailure> {
    if CONTACT_SETTABLE_FIELDS.iter().any(|(name, _)| *name == key) {
        contact.insert(key.to_string(), value.clone());
        return Ok(());
    }
    if let Some((_, why)) = CONTACT_OWNED_FIELDS.iter().find(|(name, _)| *name == key) {
        return Err(invalid(&format!("`{key}` cannot be set: {why}")));
    }
    let properties = contact.entry("properties".to_string()).or_insert_with(|| Value::Record(Record::new()));
    if !matches!(properties, Value::Record(_)) {
        *properties = Value::Record(Record::new());
    }
    if let Value::Record(properties) = properties {
        if value.is_null() {
            properties.remove(key);
        } else {
            properties.insert(key.to_string(), value.clone());
        }
    }
    Ok(())
}

/// A new contact: `contact_1`, no email, phone or names, nothing collected yet.
pub fn default_contact(created_at: jiff::Timestamp) -> Record {
    let list = || Value::List(Vec::new());
    [
        ("id", Value::str("contact_1")),
        ("email", Value::Null),
        ("phone", Value::Null),
        ("first_name", Value::Null),
        ("last_name", Value::Null),
        ("tags", list()),
        ("lists", list()),
        ("points", Value::Int(0)),
        ("tier", Value::Null),
        ("achievements", list()),
        ("created_at", Value::Timestamp(created_at)),
        ("properties", Value::Record(Record::new())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// `Welcome 10%` → `WELCOME-10`: upper case, runs of other characters as one `-`.
/// Ten characters (Crockford base 32, 50 bits) of SHA-256 over the scope, prefix and
/// number: deterministic, and unlikely to repeat across a workspace's contacts.
fn scoped_code(scope: &str, prefix: &str, counter: u32) -> String {
    use sha2::Digest;
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let digest = sha2::Sha256::digest(format!("{scope}\n{prefix}\n{counter}").as_bytes());
    let mut bits = digest.iter().take(8).fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let mut out = String::with_capacity(10);
    for _ in 0..10 {
        let index = usize::try_from(bits >> 59).unwrap_or(0);
        out.push(ALPHABET.get(index).map_or('0', |c| char::from(*c)));
        bits <<= 5;
    }
    out
}

pub fn code_prefix(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() { "CODE".to_string() } else { out.to_string() }
}

/// Changes a list field of a record (made a list if it was not one).
fn update_list(record: &mut Record, key: &str, change: impl FnOnce(&mut Vec<Value>)) {
    let mut items = match record.remove(key) {
        Some(Value::List(items)) => items,
        _ => Vec::new(),
    };
    change(&mut items);
    record.insert(key.to_string(), Value::List(items));
}

/// Appends the strings not yet in the list, in order.
fn add_unique(list: &mut Vec<Value>, items: &[String]) {
    for item in items {
        if !list.iter().any(|v| v.as_str() == Some(item)) {
            list.push(Value::str(item));
        }
    }
}

fn empty() -> Value {
    Value::Record(Record::new())
}

fn one(key: &str, value: Value) -> Value {
    Value::record([(key.to_string(), value)])
}

fn invalid(message: &str) -> ActionFailure {
    ActionFailure::new(FailureKind::InvalidRequest, message)
}

fn missing(name: &str) -> ActionFailure {
    invalid(&format!("missing argument `{name}`"))
}

fn wrong(name: &str, expected: &str, found: &Value) -> ActionFailure {
    ActionFailure::new(
        FailureKind::InvalidValue,
        format!("`{name}` must be {expected}, not {}", found.kind()),
    )
}

fn string<'a>(args: &'a Args, name: &str) -> Result<&'a str, ActionFailure> {
    optional_string(args, name)?.ok_or_else(|| missing(name))
}

fn optional_string<'a>(args: &'a Args, name: &str) -> Result<Option<&'a str>, ActionFailure> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(wrong(name, "a String", other)),
    }
}

fn int(args: &Args, name: &str) -> Result<i64, ActionFailure> {
    optional_int(args, name)?.ok_or_else(|| missing(name))
}

fn optional_int(args: &Args, name: &str) -> Result<Option<i64>, ActionFailure> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Int(i)) => Ok(Some(*i)),
        Some(other) => Err(wrong(name, "an Int", other)),
    }
}

/// A `List<String>` argument; a missing optional one is empty.
fn string_list(args: &Args, name: &str, required: bool) -> Result<Vec<String>, ActionFailure> {
    match args.get(name) {
        None | Some(Value::Null) if required => Err(missing(name)),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::List(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string).ok_or_else(|| wrong(name, "a List<String>", item)))
            .collect(),
        Some(other) => Err(wrong(name, "a List<String>", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_codes_differ_between_contacts_and_are_stable() {
        let code = |scope: Option<&str>| {
            let mut state = ContactState::new(jiff::Timestamp::UNIX_EPOCH);
            if let Some(s) = scope {
                state.set_code_scope(s);
            }
            (state.next_code("SAVE10"), state.next_code("SAVE10"))
        };
        assert_eq!(code(None), ("SAVE10-0001".to_string(), "SAVE10-0002".to_string()));
        let (a1, a2) = code(Some("ct_a"));
        let (b1, _) = code(Some("ct_b"));
        assert_ne!(a1, a2);
        assert_ne!(a1, b1);
        assert_eq!(code(Some("ct_a")).0, a1);
        assert!(a1.starts_with("SAVE10-") && a1.len() == "SAVE10-".len() + 10, "{a1}");
    }

    /// A contact's state as the engine stored it when the type was still the sandbox's
    /// `Store`: existing databases hold this form, so it must still read, and write back
    /// byte for byte.
    const STORED_BEFORE_THE_RENAME: &str = concat!(
        r#"{"contact":{"achievements":{"list":[]},"created_at":{"timestamp":"2024-05-01T09:30:00Z"},"#,
        r#""email":{"string":"ann@example.com"},"first_name":"null","id":{"string":"contact_1"},"#,
        r#""last_name":"null","lists":{"list":[]},"phone":"null","points":{"int":30},"#,
        r#""properties":{"record":{"team":{"string":"Reds"}}},"tags":{"list":[{"string":"new"}]},"#,
        r#""tier":"null"},"entry":{"id":{"string":"e1"},"tags":{"list":[{"string":"vip"}]}},"#,
        r#""programs":{"partners":{"points":5,"tier":null}},"#,
        r#""coupons":[{"offer":"Welcome 10%","code":"WELCOME-10-0001"},"#,
        r#"{"offer":"Welcome 10%","code":"WELCOME-10-0002"}],"#,
        r#""gifts":[{"source":"thanks","id":"gift_1"},{"source":"spring","id":"GIFT-SPRING-0001"}],"#,
        r#""counters":{"GIFT-SPRING":1,"WELCOME-10":2},"gift_cards_sent":1}"#,
    );

    #[test]
    fn a_state_stored_before_the_rename_still_reads_and_writes_back_the_same() {
        let state: ContactState = serde_json::from_str(STORED_BEFORE_THE_RENAME).unwrap();
        assert_eq!(state.contact().field("email").as_str(), Some("ann@example.com"));
        assert_eq!(state.contact().field("points").as_int(), Some(30));
        assert_eq!(state.loyalty("partners"), LoyaltyState { points: 5, tier: None });
        assert_eq!(state.coupons().len(), 2);
        assert_eq!(state.gifts().len(), 2);
        assert_eq!(serde_json::to_string(&state).unwrap(), STORED_BEFORE_THE_RENAME);
        let mut state = state;
        let args: Args = [("offer".to_string(), Value::str("Welcome 10%"))].into_iter().collect();
        let issued = state.perform(ActionId::ContactIssueCoupon, &args).unwrap();
        assert_eq!(issued.field("codes"), Value::List(vec![Value::str("WELCOME-10-0003")]));
    }
}

//! Events as the runtime sees them.
//!
//! In: an event envelope (engine.md §3: JSON from `komo run --event`, the ingest API or
//! a fixture) or a test's `event { … }` record. Out: a [`TriggerEvent`]: the canonical
//! trigger, the `event` record a workflow reads (trigger fields typed per the catalog),
//! the context records it carries (`hub`, `card`, …) and the contact as sent. Anything
//! that does not fit the trigger's type is an [`EnvelopeError`] naming the field's path
//! (`data.completed`, `card.id`). [`apply_form`] then types `event.fields` by a
//! workflow's `form`, and [`convert`] is the run-time conversion both use.

mod convert;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

pub use convert::{accepts_null, apply_form, convert, parse_duration, zero_value};

use crate::catalog::{self, CONTACT_FIELDS, ContextName, TriggerSpec, catalog_type};
use crate::diagnostics::did_you_mean;
use crate::ir::Ty;
use crate::runtime::value::Value;

/// When a test event happens unless it says otherwise: 2026-01-01T00:00:00Z.
pub const TEST_EPOCH: jiff::Timestamp = jiff::Timestamp::constant(1_767_225_600, 0);

/// The id a test event has unless it says otherwise.
pub const TEST_EVENT_ID: &str = "evt_test";

/// One event, checked against its trigger.
#[derive(Clone, Debug)]
pub struct TriggerEvent {
    pub id: String,
    /// The canonical trigger (aliases resolved).
    pub trigger: &'static TriggerSpec,
    pub occurred_at: jiff::Timestamp,
    /// What `event` is in a workflow: `id`, `type` (the canonical name), `occurred_at`,
    /// the trigger's own fields (absent optional ones `null`) and, for triggers with
    /// form data, `fields` as sent.
    pub event: Value,
    /// The context records the trigger carries, by name (`card`); an absent optional
    /// one is `Null`. Records the trigger does not carry have no key.
    pub context: BTreeMap<String, Value>,
    /// The envelope's contact record, typed but possibly partial; `Null` when none.
    pub contact: Value,
}

/// Why an event does not fit its trigger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeError {
    /// Where: `data.completed`, `card.id`, `fields.email`; empty for the whole envelope.
    pub path: String,
    pub message: String,
}

impl EnvelopeError {
    pub fn new(path: &str, message: impl Into<String>) -> EnvelopeError {
        EnvelopeError { path: path.to_string(), message: message.into() }
    }
}

impl PartialEq for TriggerEvent {
    /// Triggers are compared by name (the catalog holds each once).
    fn eq(&self, other: &TriggerEvent) -> bool {
        self.id == other.id
            && self.trigger.name == other.trigger.name
            && self.occurred_at == other.occurred_at
            && self.event == other.event
            && self.context == other.context
            && self.contact == other.contact
    }
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "`{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for EnvelopeError {}

/// The keys an envelope may have.
const ENVELOPE_KEYS: &[&str] =
    &["id", "type", "occurred_at", "contact", "hub", "card", "entry", "prize", "coupon", "receipt", "data"];

/// How missing parts are treated: an envelope must be complete, a test event gets
/// defaults.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Envelope,
    Test,
}

/// Checks an event envelope against its trigger's type.
///
/// `id` (non-empty), `type` (a trigger or an alias) and `occurred_at` (RFC 3339) are
/// required. `data` holds the trigger's fields: required ones must be present with
/// their type, optional and `Json` ones may be missing or `null`, unknown keys are
/// refused; `data.fields` (form data) is free. Context records the trigger carries
/// must be present unless optional, with their typed fields (a missing list field is
/// `[]`, a missing optional one `null`); records it does not carry are refused. The
/// contact may be partial; its fields are typed and unknown ones refused.
pub fn parse_envelope(json: &serde_json::Value) -> Result<TriggerEvent, EnvelopeError> {
    let serde_json::Value::Object(top) = json else {
        let message = format!("an event envelope is a JSON object, found {}", json_kind(json));
        return Err(EnvelopeError::new("", message));
    };
    if let Some(key) = top.keys().find(|k| !ENVELOPE_KEYS.contains(&k.as_str())) {
        return Err(unknown_field("", key, ENVELOPE_KEYS));
    }
    let given = |key: &str| top.get(key).map(Value::from_json).filter(|v| !v.is_null());

    let id = match given("id") {
        Some(Value::String(id)) if !id.trim().is_empty() => id,
        Some(Value::String(_)) => return Err(EnvelopeError::new("id", "the event id cannot be empty")),
        Some(other) => {
            let message = format!("expected a String, found {}", convert::found(&other));
            return Err(EnvelopeError::new("id", message));
        }
        None => return Err(missing_key("id")),
    };
    let type_name = match given("type") {
        Some(value) => convert(&value, &Ty::String, "type")?.as_str().unwrap_or_default().to_string(),
        None => return Err(missing_key("type")),
    };
    let trigger = find_trigger(&type_name, "type")?;
    let occurred_at = match given("occurred_at") {
        Some(value) => timestamp(&convert(&value, &Ty::Timestamp, "occurred_at")?),
        None => return Err(missing_key("occurred_at")),
    };
    let contact = match given("contact") {
        Some(value) => parse_contact(&value)?,
        None => Value::Null,
    };
    let context = context_records(trigger, |name| given(name), Mode::Envelope)?;
    let data = match given("data") {
        Some(Value::Record(data)) => data,
        Some(other) => {
            let message = format!("expected a record of `{}` fields, found {}", trigger.name, other.kind());
            return Err(EnvelopeError::new("data", message));
        }
        None => BTreeMap::new(),
    };
    let event = event_record(trigger, &id, occurred_at, &data, Mode::Envelope)?;
    Ok(TriggerEvent { id, trigger, occurred_at, event, context, contact })
}

/// A test's `event { … }` record (trigger fields and context records side by side,
/// every one optional) as an event, with defaults for what it leaves out: id
/// `evt_test`, `occurred_at` 2026-01-01T00:00:00Z, `false`, `0`, `""`, `[]`, `0s` for
/// required trigger fields, `null` for optional ones, an empty `fields` record, and
/// default context records (`hub_1`, `card_1`, …) under what it gives. Optional context
/// records (`hub?` on contact triggers, …) are present only when given. The contact
/// comes from the test's own `contact { … }` clause, so it is `Null` here.
pub fn from_test_record(
    trigger: &'static TriggerSpec,
    record: &Value,
) -> Result<TriggerEvent, EnvelopeError> {
    let given = match record {
        Value::Record(r) => r.clone(),
        Value::Null => BTreeMap::new(),
        other => {
            let message = format!("expected an event record, found {}", other.kind());
            return Err(EnvelopeError::new("", message));
        }
    };
    let (context_given, mut data): (BTreeMap<_, _>, BTreeMap<_, _>) =
        given.into_iter().partition(|(k, _)| ContextName::from_name(k).is_some());

    let id = match data.remove("id") {
        None | Some(Value::Null) => TEST_EVENT_ID.to_string(),
        Some(value) => convert(&value, &Ty::String, "id")?.as_str().unwrap_or_default().to_string(),
    };
    if let Some(value) = data.remove("type").filter(|v| !v.is_null()) {
        let name = convert(&value, &Ty::String, "type")?;
        let named = find_trigger(name.as_str().unwrap_or_default(), "type")?;
        if named.name != trigger.name {
            let message = format!("the test's workflow listens to `{}`, not `{}`", trigger.name, named.name);
            return Err(EnvelopeError::new("type", message));
        }
    }
    let occurred_at = match data.remove("occurred_at") {
        None | Some(Value::Null) => TEST_EPOCH,
        Some(value) => timestamp(&convert(&value, &Ty::Timestamp, "occurred_at")?),
    };
    let context = context_records(
        trigger,
        |name| context_given.get(name).filter(|v| !v.is_null()).cloned(),
        Mode::Test,
    )?;
    let event = event_record(trigger, &id, occurred_at, &data, Mode::Test)?;
    Ok(TriggerEvent { id, trigger, occurred_at, event, context, contact: Value::Null })
}

/// The trigger named `name` (an alias resolves to its trigger).
fn find_trigger(name: &str, path: &str) -> Result<&'static TriggerSpec, EnvelopeError> {
    if let Some((trigger, _)) = catalog::trigger(name) {
        return Ok(trigger);
    }
    let names: Vec<&str> = catalog::trigger_names().collect();
    let hint = did_you_mean(name, &names).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
    Err(EnvelopeError::new(path, format!("unknown trigger `{name}`{hint}")))
}

/// `event`: id, type, occurred_at, the trigger's fields typed, and `fields`.
fn event_record(
    trigger: &'static TriggerSpec,
    id: &str,
    occurred_at: jiff::Timestamp,
    data: &BTreeMap<String, Value>,
    mode: Mode,
) -> Result<Value, EnvelopeError> {
    let prefix = match mode {
        Mode::Envelope => "data",
        Mode::Test => "",
    };
    let known = trigger.fields.iter().map(|(n, _)| *n).chain(trigger.form_data.then_some("fields"));
    let known: Vec<&str> = known.collect();
    if let Some(key) = data.keys().find(|k| !known.contains(&k.as_str())) {
        let path = join(prefix, key);
        let message = if known.is_empty() {
            format!("unknown field; `{}` events have no fields of their own", trigger.name)
        } else {
            format!("unknown field; `{}` events have {}", trigger.name, list_names(&known))
        };
        return Err(EnvelopeError::new(&path, message));
    }
    let mut event = BTreeMap::new();
    event.insert("id".to_string(), Value::str(id));
    event.insert("type".to_string(), Value::str(trigger.name));
    event.insert("occurred_at".to_string(), Value::Timestamp(occurred_at));
    for (name, notation) in trigger.fields {
        let ty = field_ty(notation);
        let path = join(prefix, name);
        let value = match data.get(*name).filter(|v| !v.is_null()) {
            Some(value) => convert(value, &ty, &path)?,
            None if accepts_null(&ty) => Value::Null,
            None if mode == Mode::Test => zero_value(&ty),
            None => {
                let message = format!("missing; `{}` events need it ({ty})", trigger.name);
                return Err(EnvelopeError::new(&path, message));
            }
        };
        event.insert((*name).to_string(), value);
    }
    if trigger.form_data {
        let fields = match data.get("fields") {
            None | Some(Value::Null) => Value::Record(BTreeMap::new()),
            Some(fields @ Value::Record(_)) => fields.clone(),
            Some(other) => {
                let message = format!("expected a record of form fields, found {}", other.kind());
                return Err(EnvelopeError::new(&join(prefix, "fields"), message));
            }
        };
        event.insert("fields".to_string(), fields);
    }
    Ok(Value::Record(event))
}

/// The context records a trigger carries, checked (envelope) or defaulted (test).
fn context_records(
    trigger: &'static TriggerSpec,
    given: impl Fn(&str) -> Option<Value>,
    mode: Mode,
) -> Result<BTreeMap<String, Value>, EnvelopeError> {
    let mut out = BTreeMap::new();
    for name in ContextName::ALL {
        let key = name.as_str();
        let value = given(key);
        let Some(carried) = trigger.carried(name) else {
            if value.is_some() {
                let message = format!("`{}` events do not carry a {key}", trigger.name);
                return Err(EnvelopeError::new(key, message));
            }
            continue;
        };
        let record = match value {
            Some(value) => {
                let base = match mode {
                    Mode::Envelope => BTreeMap::new(),
                    Mode::Test => default_context(name),
                };
                context_record(name, &value, base)?
            }
            None if carried.optional => Value::Null,
            None if mode == Mode::Test => Value::Record(default_context(name)),
            None => {
                let message =
                    format!("missing; `{}` events carry a {} record", trigger.name, name.type_name());
                return Err(EnvelopeError::new(key, message));
            }
        };
        out.insert(key.to_string(), record);
    }
    Ok(out)
}

/// A context record from what was given, over `base`: each field typed, unknown ones
/// refused, missing lists `[]` and missing optional fields `null`.
fn context_record(
    name: ContextName,
    value: &Value,
    mut base: BTreeMap<String, Value>,
) -> Result<Value, EnvelopeError> {
    let key = name.as_str();
    let Value::Record(given) = value else {
        let message = format!("expected a {} record, found {}", name.type_name(), value.kind());
        return Err(EnvelopeError::new(key, message));
    };
    let fields = name.fields();
    for (field, v) in given {
        let path = join(key, field);
        let Some((_, notation)) = fields.iter().find(|(n, _)| n == field) else {
            let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            let message = format!("unknown field; a {} has {}", name.type_name(), list_names(&names));
            return Err(EnvelopeError::new(&path, message));
        };
        base.insert(field.clone(), convert(v, &field_ty(notation), &path)?);
    }
    for (field, notation) in fields {
        if base.contains_key(*field) {
            continue;
        }
        let ty = field_ty(notation);
        let filler = match ty {
            Ty::List(_) => Value::List(Vec::new()),
            _ if accepts_null(&ty) => Value::Null,
            _ => return Err(convert::missing(&join(key, field), &ty)),
        };
        base.insert((*field).to_string(), filler);
    }
    Ok(Value::Record(base))
}

/// What a test's context record is when it does not give one (or gives only part).
fn default_context(name: ContextName) -> BTreeMap<String, Value> {
    let s = |k: &str, v: &str| (k.to_string(), Value::str(v));
    let fields = match name {
        ContextName::Hub => vec![s("id", "hub_1"), s("name", "Hub")],
        ContextName::Card => vec![s("id", "card_1"), s("name", "Card"), s("type", "Quiz")],
        ContextName::Entry => vec![s("id", "entry_1"), ("tags".to_string(), Value::List(Vec::new()))],
        ContextName::Prize => vec![s("id", "prize_1"), s("name", "Prize")],
        ContextName::Coupon => vec![s("id", "coupon_1"), s("code", "CODE1"), s("offer", "offer")],
        ContextName::Receipt => {
            vec![
                s("id", "receipt_1"),
                ("retailer".to_string(), Value::Null),
                ("total".to_string(), Value::Null),
            ]
        }
    };
    fields.into_iter().collect()
}

/// The envelope's contact: known fields typed, unknown ones refused.
fn parse_contact(value: &Value) -> Result<Value, EnvelopeError> {
    let Value::Record(given) = value else {
        return Err(EnvelopeError::new(
            "contact",
            format!("expected a contact record, found {}", value.kind()),
        ));
    };
    let mut out = BTreeMap::new();
    for (field, v) in given {
        let path = join("contact", field);
        let Some((_, notation)) = CONTACT_FIELDS.iter().find(|(n, _)| n == field) else {
            let names: Vec<&str> = CONTACT_FIELDS.iter().map(|(n, _)| *n).collect();
            let hint = match did_you_mean(field, &names) {
                Some(c) => format!("did you mean `{c}`?"),
                None => "custom properties go in `contact.properties`".into(),
            };
            return Err(EnvelopeError::new(&path, format!("unknown contact field; {hint}")));
        };
        out.insert(field.clone(), convert(v, &field_ty(notation), &path)?);
    }
    Ok(Value::Record(out))
}

/// A catalog type notation (`"Int?"`) as an IR type.
fn field_ty(notation: &str) -> Ty {
    Ty::from(&catalog_type(notation))
}

fn timestamp(value: &Value) -> jiff::Timestamp {
    match value {
        Value::Timestamp(t) => *t,
        _ => TEST_EPOCH,
    }
}

fn missing_key(key: &str) -> EnvelopeError {
    EnvelopeError::new(key, "missing; every event envelope has it")
}

fn unknown_field(prefix: &str, key: &str, known: &[&str]) -> EnvelopeError {
    let message = match did_you_mean(key, known) {
        Some(c) => format!("unknown field; did you mean `{c}`?"),
        None => format!("unknown field; an envelope has {}", list_names(known)),
    };
    EnvelopeError::new(&join(prefix, key), message)
}

/// `a.b`, or `b` at the top.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// `` `a`, `b` and `c` ``.
fn list_names(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => "nothing".into(),
    }
}

fn json_kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a Bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a String",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

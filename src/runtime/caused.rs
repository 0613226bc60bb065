//! The events a run causes: what an internal action really changed, as the platform's
//! own events (`catalog.md`, "What actions change, and the events they cause").
//!
//! In: an internal action's name, its arguments and the contact before and after it
//! (or the coupons it issued). Out: [`CausedEvent`]s, only for what really changed: a
//! `contact.update` that writes a value the contact already had causes nothing, an
//! `add_to_list` for a list the contact is already on causes nothing. Which action may
//! cause which event is the catalog's effect table ([`crate::catalog::Caused`]);
//! this module fills in the event's data. The sandbox records them in the run; the
//! engine stores each one with its cause and matches it to workflows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{ActionId, Caused, is_standard_field};
use crate::runtime::value::Value;

/// One event a step caused, as the run's journal keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CausedEvent {
    /// The event's id: the run's id and its place among the run's caused events
    /// (`run_ab12.ev1`), the same however often the step is re-run after a crash.
    pub id: String,
    /// The step that caused it.
    pub step: String,
    /// The trigger (`Contact.ListAdded`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The trigger's own `event` fields (`list`, `changed`/`old`/`new`), as in an
    /// envelope's `data`.
    pub data: serde_json::Value,
    /// The coupon, for `Coupon.Issued`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<serde_json::Value>,
}

impl CausedEvent {
    /// What the event says, as one JSON object: its own fields (`data`) and, for
    /// `Coupon.Issued`, the `coupon` beside them (the names `expect event … where` sees).
    pub fn fields(&self) -> serde_json::Value {
        let mut fields = match &self.data {
            serde_json::Value::Object(data) => data.clone(),
            _ => serde_json::Map::new(),
        };
        if let Some(coupon) = &self.coupon {
            fields.insert("coupon".into(), coupon.clone());
        }
        serde_json::Value::Object(fields)
    }

    /// One line for people: `Contact.ListAdded {"list":"VIP"} (step add_vip)`.
    pub fn summary(&self) -> String {
        format!("{} {} (step {})", self.kind, self.fields(), self.step)
    }
}

/// What caused an event the engine raised: the run, its step and the run's own
/// trigger event (for a contact that ingest created: only the event that created it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CausedBy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    pub event: String,
    /// `workflow.step` of every cause up the chain, the oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
}

/// A change before it is tied to its step.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub kind: &'static str,
    pub data: serde_json::Value,
    pub coupon: Option<serde_json::Value>,
}

impl Change {
    pub fn into_event(self, id: String, step: &str) -> CausedEvent {
        CausedEvent {
            id,
            step: step.to_string(),
            kind: self.kind.to_string(),
            data: self.data,
            coupon: self.coupon,
        }
    }
}

/// The part of the contact that the events `action` may cause are computed from (the
/// fields and properties it may change, its lists), to take before and after it; `None`
/// when it causes nothing. Cheaper than copying the whole contact twice per action.
pub fn watched(
    action: ActionId,
    args: &BTreeMap<String, Value>,
    contact: Option<&BTreeMap<String, Value>>,
) -> Option<Value> {
    let spec = action.spec();
    if spec.effects.causes.is_empty() {
        return None;
    }
    let mut out = BTreeMap::new();
    let mut properties = BTreeMap::new();
    let field = |name: &str| contact.and_then(|c| c.get(name)).cloned().unwrap_or(Value::Null);
    let mut watch = |name: &str, out: &mut BTreeMap<String, Value>| {
        if is_standard_field(name) {
            out.insert(name.to_string(), field(name));
        } else {
            let value = contact.and_then(|c| c.get("properties")).map_or(Value::Null, |p| p.field(name));
            properties.insert(name.to_string(), value);
        }
    };
    for cause in spec.effects.causes {
        match *cause {
            Caused::PropertyUpdatedFromSet => {
                if let Some(Value::Record(set)) = args.get("set") {
                    set.keys().for_each(|k| watch(k, &mut out));
                }
                watch("tags", &mut out);
            }
            Caused::PropertyUpdated(fields) => fields.iter().for_each(|f| watch(f, &mut out)),
            Caused::ListAdded => watch("lists", &mut out),
            Caused::Identified | Caused::CouponIssued => {}
        }
    }
    out.insert("properties".to_string(), Value::Record(properties));
    Some(Value::Record(out))
}

/// The events `action` caused, from the contact (or its [`watched`] part) before and
/// after it and the coupons it issued (`offer`, `code`).
pub fn changes(
    action: ActionId,
    args: &BTreeMap<String, Value>,
    before: &Value,
    after: &Value,
    coupons: &[(String, String)],
) -> Vec<Change> {
    let spec = action.spec();
    let mut out = Vec::new();
    for cause in spec.effects.causes {
        match *cause {
            Caused::Identified => {}
            Caused::PropertyUpdatedFromSet => {
                let mut names: Vec<String> = match args.get("set") {
                    Some(Value::Record(set)) => set.keys().cloned().collect(),
                    _ => Vec::new(),
                };
                names.push("tags".to_string());
                out.extend(property_updated(cause.trigger(), &names, before, after));
            }
            Caused::PropertyUpdated(fields) => {
                let names: Vec<String> = fields.iter().map(|f| (*f).to_string()).collect();
                out.extend(property_updated(cause.trigger(), &names, before, after));
            }
            Caused::ListAdded => {
                let list = args.get("list").and_then(Value::as_str).unwrap_or_default();
                let member = |c: &Value| match c.field("lists") {
                    Value::List(items) => items.iter().any(|l| l.as_str() == Some(list)),
                    _ => false,
                };
                if !member(before) && member(after) {
                    out.push(Change {
                        kind: cause.trigger(),
                        data: serde_json::json!({ "list": list }),
                        coupon: None,
                    });
                }
            }
            Caused::CouponIssued => {
                for (offer, code) in coupons {
                    out.push(Change {
                        kind: cause.trigger(),
                        data: serde_json::json!({}),
                        coupon: Some(serde_json::json!({ "id": code, "code": code, "offer": offer })),
                    });
                }
            }
        }
    }
    out
}

/// `Contact.PropertyUpdated` for the names among `names` whose value differs between
/// `before` and `after` (a standard field, else a custom property), or nothing.
fn property_updated(kind: &'static str, names: &[String], before: &Value, after: &Value) -> Option<Change> {
    let read = |c: &Value, name: &str| {
        if is_standard_field(name) { c.field(name) } else { c.field("properties").field(name) }
    };
    let mut changed = Vec::new();
    let (mut old, mut new) = (serde_json::Map::new(), serde_json::Map::new());
    for name in names {
        if changed.contains(name) {
            continue;
        }
        let (was, now) = (read(before, name), read(after, name));
        if was != now {
            changed.push(name.clone());
            old.insert(name.clone(), was.to_json());
            new.insert(name.clone(), now.to_json());
        }
    }
    if changed.is_empty() {
        return None;
    }
    let data = serde_json::json!({ "changed": changed, "old": old, "new": new });
    Some(Change { kind, data, coupon: None })
}

/// `Contact.Identified` for a contact created by an event of type `source`.
pub fn identified(source: &str) -> Change {
    Change { kind: Caused::Identified.trigger(), data: serde_json::json!({ "source": source }), coupon: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(fields: serde_json::Value) -> Value {
        let mut base = crate::runtime::contact::default_contact(jiff::Timestamp::UNIX_EPOCH);
        if let Value::Record(extra) = Value::from_json(&fields) {
            base.extend(extra);
        }
        Value::Record(base)
    }

    fn args(json: serde_json::Value) -> BTreeMap<String, Value> {
        match Value::from_json(&json) {
            Value::Record(r) => r,
            _ => BTreeMap::new(),
        }
    }

    #[test]
    fn an_update_names_only_what_really_changed() {
        let before = contact(serde_json::json!({ "email": "a@x.io", "properties": { "vip": false } }));
        let after = contact(serde_json::json!({ "email": "a@x.io", "properties": { "vip": true } }));
        let set = args(serde_json::json!({ "set": { "email": "a@x.io", "vip": true } }));
        let out = changes(ActionId::ContactUpdate, &set, &before, &after, &[]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, "Contact.PropertyUpdated");
        assert_eq!(
            out[0].data,
            serde_json::json!({ "changed": ["vip"], "old": { "vip": false }, "new": { "vip": true } })
        );
        assert!(changes(ActionId::ContactUpdate, &set, &after, &after, &[]).is_empty());
    }

    #[test]
    fn tags_count_as_a_change() {
        let before = contact(serde_json::json!({}));
        let after = contact(serde_json::json!({ "tags": ["a"] }));
        let out = changes(
            ActionId::ContactUpdate,
            &args(serde_json::json!({ "add_tags": ["a"] })),
            &before,
            &after,
            &[],
        );
        assert_eq!(out[0].data["changed"], serde_json::json!(["tags"]));
    }

    #[test]
    fn a_list_is_added_only_once() {
        let before = contact(serde_json::json!({ "lists": ["A"] }));
        let after = contact(serde_json::json!({ "lists": ["A", "VIP"] }));
        let vip = args(serde_json::json!({ "list": "VIP" }));
        let out = changes(ActionId::ContactAddToList, &vip, &before, &after, &[]);
        assert_eq!(
            out.iter().map(|c| &c.data).collect::<Vec<_>>(),
            vec![&serde_json::json!({ "list": "VIP" })]
        );
        assert!(changes(ActionId::ContactAddToList, &vip, &after, &after, &[]).is_empty());
    }

    #[test]
    fn points_and_coupons() {
        let before = contact(serde_json::json!({}));
        let after = contact(serde_json::json!({ "points": 50 }));
        let out = changes(
            ActionId::LoyaltyAwardPoints,
            &args(serde_json::json!({ "points": 50 })),
            &before,
            &after,
            &[],
        );
        assert_eq!(out[0].data["changed"], serde_json::json!(["points"]));
        assert!(changes(ActionId::LoyaltyAwardPoints, &BTreeMap::new(), &after, &after, &[]).is_empty());
        let coupons = [("Save 10".to_string(), "C1".to_string()), ("Save 10".to_string(), "C2".to_string())];
        let out = changes(ActionId::ContactIssueCoupon, &BTreeMap::new(), &before, &before, &coupons);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].coupon, Some(serde_json::json!({ "id": "C2", "code": "C2", "offer": "Save 10" })));
        assert!(changes(ActionId::ContactSendEmail, &BTreeMap::new(), &before, &after, &[]).is_empty());
    }

    #[test]
    fn a_summary_shows_the_fields_and_the_coupon() {
        let coupon = Change {
            kind: "Coupon.Issued",
            data: serde_json::json!({}),
            coupon: Some(serde_json::json!({ "code": "C1" })),
        };
        assert_eq!(
            coupon.into_event("run_1.ev1".into(), "issue").summary(),
            r#"Coupon.Issued {"coupon":{"code":"C1"}} (step issue)"#
        );
        let list =
            Change { kind: "Contact.ListAdded", data: serde_json::json!({ "list": "VIP" }), coupon: None };
        assert_eq!(
            list.into_event("run_1.ev2".into(), "add").summary(),
            r#"Contact.ListAdded {"list":"VIP"} (step add)"#
        );
    }
}

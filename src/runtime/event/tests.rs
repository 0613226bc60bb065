use serde_json::json;

use super::*;
use crate::runtime::value::Secret;

fn trigger(name: &str) -> &'static TriggerSpec {
    catalog::trigger(name).map(|(t, _)| t).unwrap()
}

fn ts(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

fn rec(json: serde_json::Value) -> Value {
    Value::from_json(&json)
}

/// The sample envelope of engine.md §3.
fn sample() -> serde_json::Value {
    json!({ "id": "evt_01", "type": "Gameplay.DataCaptured", "occurred_at": "2026-11-29T09:00:00Z",
      "contact": { "email": "ana@example.com", "first_name": "Ana" },
      "hub": { "id": "h1", "name": "Sports" }, "card": { "id": "c1", "name": "Sponsor A Quiz", "type": "Quiz" },
      "entry": { "id": "e1", "tags": [] },
      "data": { "qualified": true, "fields": { "email": "ana@example.com", "company": "Acme" } } })
}

fn ended(data: serde_json::Value) -> serde_json::Value {
    json!({ "id": "evt_02", "type": "Gameplay.Ended", "occurred_at": "2026-11-29T09:00:00Z",
      "hub": { "id": "h1", "name": "Sports" }, "card": { "id": "c1", "name": "Quiz", "type": "Quiz" },
      "data": data })
}

fn error_of(json: serde_json::Value) -> EnvelopeError {
    parse_envelope(&json).unwrap_err()
}

#[test]
fn the_sample_envelope_parses() {
    let e = parse_envelope(&sample()).unwrap();
    assert_eq!(e.id, "evt_01");
    assert_eq!(e.trigger.name, "Gameplay.DataCaptured");
    assert_eq!(e.occurred_at, ts("2026-11-29T09:00:00Z"));
    let expected_event = Value::record([
        ("id".into(), Value::str("evt_01")),
        ("type".into(), Value::str("Gameplay.DataCaptured")),
        ("occurred_at".into(), Value::Timestamp(ts("2026-11-29T09:00:00Z"))),
        ("qualified".into(), Value::Bool(true)),
        ("fields".into(), rec(json!({ "email": "ana@example.com", "company": "Acme" }))),
    ]);
    assert_eq!(e.event, expected_event);
    assert_eq!(e.context.keys().collect::<Vec<_>>(), ["card", "entry", "hub"]);
    assert_eq!(e.context["card"], rec(json!({ "id": "c1", "name": "Sponsor A Quiz", "type": "Quiz" })));
    assert_eq!(e.context["entry"], rec(json!({ "id": "e1", "tags": [] })));
    assert_eq!(e.contact, rec(json!({ "email": "ana@example.com", "first_name": "Ana" })));
}

#[test]
fn a_field_of_the_wrong_type_is_named() {
    let mut j = sample();
    j["data"]["qualified"] = json!("yes");
    let e = error_of(j);
    assert_eq!(e.path, "data.qualified");
    assert_eq!(e.to_string(), "`data.qualified`: expected a Bool, found \"yes\"");
}

#[test]
fn unknown_triggers_are_refused_with_a_suggestion() {
    let mut j = sample();
    j["type"] = json!("Gameplay.DataCaptred");
    let e = error_of(j);
    assert_eq!(e.path, "type");
    assert_eq!(e.message, "unknown trigger `Gameplay.DataCaptred`; did you mean `Gameplay.DataCaptured`?");
}

#[test]
fn aliases_resolve_to_the_canonical_trigger() {
    let j = json!({ "id": "evt_3", "type": "Prize.Won", "occurred_at": "2026-11-29T09:00:00Z",
      "hub": { "id": "h1", "name": "Sports" }, "card": { "id": "c1", "name": "Spin", "type": "ScratchAndWin" },
      "prize": { "id": "p1", "name": "Ball" } });
    let e = parse_envelope(&j).unwrap();
    assert_eq!(e.trigger.name, "Prize.Awarded");
    assert_eq!(e.event.field("type"), Value::str("Prize.Awarded"));
    // `entry?` is carried but absent.
    assert_eq!(e.context["entry"], Value::Null);
    assert_eq!(e.contact, Value::Null);
}

#[test]
fn required_context_records_must_be_present() {
    let mut j = sample();
    j.as_object_mut().unwrap().remove("card");
    let e = error_of(j);
    assert_eq!(e.path, "card");
    assert_eq!(e.message, "missing; `Gameplay.DataCaptured` events carry a Card record");
}

#[test]
fn records_the_trigger_does_not_carry_are_refused() {
    let mut j = ended(json!({ "completed": true, "duration": "3m" }));
    j["prize"] = json!({ "id": "p1", "name": "Ball" });
    let e = error_of(j);
    assert_eq!(e.to_string(), "`prize`: `Gameplay.Ended` events do not carry a prize");
    // `null` is the same as absent.
    let mut j = ended(json!({ "completed": true, "duration": "3m" }));
    j["prize"] = json!(null);
    assert!(parse_envelope(&j).is_ok());
}

#[test]
fn context_record_fields_are_typed() {
    let mut j = sample();
    j["card"]["id"] = json!(7);
    assert_eq!(error_of(j).to_string(), "`card.id`: expected a String, found 7");
    let mut j = sample();
    j["card"].as_object_mut().unwrap().remove("name");
    assert_eq!(error_of(j).to_string(), "`card.name`: missing; expected a String");
    let mut j = sample();
    j["card"]["colour"] = json!("red");
    let e = error_of(j);
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        ("card.colour", "unknown field; a Card has `id`, `name` and `type`")
    );
    // A missing list is empty; a missing optional field is null; an Int fits a Float.
    let mut j = sample();
    j["entry"] = json!({ "id": "e1" });
    assert_eq!(parse_envelope(&j).unwrap().context["entry"], rec(json!({ "id": "e1", "tags": [] })));
    let j = json!({ "id": "r", "type": "Receipt.Validated", "occurred_at": "2026-11-29T09:00:00Z",
      "hub": { "id": "h1", "name": "Sports" }, "card": { "id": "c1", "name": "Upload", "type": "Receipt" },
      "receipt": { "id": "r1", "total": 12 } });
    let receipt = &parse_envelope(&j).unwrap().context["receipt"];
    assert_eq!(receipt.field("total"), Value::Float(12.0));
    assert_eq!(receipt.field("retailer"), Value::Null);
}

#[test]
fn durations_come_in_three_forms() {
    for (given, ms) in [
        (json!("3m"), 180_000),
        (json!("1h30m"), 5_400_000),
        (json!("PT3M"), 180_000),
        (json!("P1DT2H"), 93_600_000),
        (json!("PT1.5S"), 1500),
        (json!(180_000), 180_000),
    ] {
        let e = parse_envelope(&ended(json!({ "completed": true, "duration": given }))).unwrap();
        assert_eq!(e.event.field("duration"), Value::Duration(ms), "{given}");
        assert_eq!(e.event.field("score"), Value::Null);
    }
    let e = error_of(ended(json!({ "completed": true, "duration": "3 minutes" })));
    assert_eq!(
        e.to_string(),
        "`data.duration`: expected a Duration, found \"3 minutes\" (a duration is written like `90s`, `1h30m` or `PT1H30M`)"
    );
    let e = error_of(ended(json!({ "completed": true, "duration": "P1M" })));
    assert!(e.message.contains("years or months"), "{e}");
    let e = error_of(ended(json!({ "completed": true, "duration": -5 })));
    assert_eq!(e.path, "data.duration");
}

#[test]
fn data_is_checked_against_the_trigger() {
    let e = error_of(ended(json!({ "duration": "3m" })));
    assert_eq!(e.to_string(), "`data.completed`: missing; `Gameplay.Ended` events need it (Bool)");
    let e = error_of(ended(json!({ "completed": true, "duration": "3m", "bonus": 1 })));
    assert_eq!(e.path, "data.bonus");
    assert_eq!(e.message, "unknown field; `Gameplay.Ended` events have `completed`, `duration` and `score`");
    // Form data only where the trigger has it.
    let e = error_of(ended(json!({ "completed": true, "duration": "3m", "fields": {} })));
    assert_eq!(e.path, "data.fields");
    // Optional fields may be null; form data is free.
    let e = parse_envelope(&ended(json!({ "completed": false, "duration": "1s", "score": null }))).unwrap();
    assert_eq!(e.event.field("score"), Value::Null);
    let mut j = sample();
    j["data"]["fields"] = json!({ "anything": [1, { "x": null }] });
    assert!(parse_envelope(&j).is_ok());
}

#[test]
fn the_envelope_itself_is_checked() {
    let mut j = sample();
    j.as_object_mut().unwrap().remove("id");
    assert_eq!(error_of(j).to_string(), "`id`: missing; every event envelope has it");
    let mut j = sample();
    j["id"] = json!("");
    assert_eq!(error_of(j).path, "id");
    let mut j = sample();
    j["occurred_at"] = json!("yesterday");
    assert_eq!(error_of(j).path, "occurred_at");
    let mut j = sample();
    j.as_object_mut().unwrap().remove("occurred_at");
    assert_eq!(error_of(j).path, "occurred_at");
    let mut j = sample();
    j["dat"] = json!({});
    let e = error_of(j);
    assert_eq!(e.path, "dat");
    assert_eq!(e.message, "unknown field; did you mean `data`?");
    let mut j = sample();
    j["workspace"] = json!("acme");
    let e = error_of(j);
    assert_eq!(
        e.to_string(),
        "`workspace`: unknown field; an envelope has `id`, `type`, `occurred_at`, `contact`, `hub`, `card`, \
         `entry`, `prize`, `coupon`, `receipt` and `data`"
    );
    let e = error_of(json!([1]));
    assert_eq!(e.to_string(), "an event envelope is a JSON object, found a list");
}

#[test]
fn the_contact_is_typed_and_may_be_partial() {
    let mut j = sample();
    j["contact"] = json!({ "email": "not-an-email" });
    assert_eq!(error_of(j).path, "contact.email");
    let mut j = sample();
    j["contact"] = json!({ "emial": "ana@example.com" });
    assert_eq!(error_of(j).to_string(), "`contact.emial`: unknown contact field; did you mean `email`?");
    let mut j = sample();
    j["contact"] = json!({ "favourite_team": "Reds" });
    assert!(error_of(j).message.contains("`contact.properties`"));
    let mut j = sample();
    j["contact"] =
        json!({ "id": "c9", "created_at": "2025-01-01T00:00:00Z", "properties": { "team": "Reds" } });
    let contact = parse_envelope(&j).unwrap().contact;
    assert_eq!(contact.field("created_at"), Value::Timestamp(ts("2025-01-01T00:00:00Z")));
}

#[test]
fn optional_context_records_are_null_when_absent() {
    let j = json!({ "id": "evt_4", "type": "Contact.Created", "occurred_at": "2026-01-02T00:00:00Z",
      "contact": { "email": "ana@example.com" } });
    let e = parse_envelope(&j).unwrap();
    assert_eq!(e.trigger.name, "Contact.Identified");
    assert_eq!(e.context.keys().collect::<Vec<_>>(), ["hub"]);
    assert_eq!(e.context["hub"], Value::Null);
    assert_eq!(e.event.field("source"), Value::Null);
}

#[test]
fn test_records_get_defaults() {
    let e = from_test_record(trigger("Gameplay.Ended"), &rec(json!({}))).unwrap();
    assert_eq!(e.id, "evt_test");
    assert_eq!(e.occurred_at, ts("2026-01-01T00:00:00Z"));
    assert_eq!(e.event.field("completed"), Value::Bool(false));
    assert_eq!(e.event.field("duration"), Value::Duration(0));
    assert_eq!(e.event.field("score"), Value::Null);
    assert_eq!(e.context["hub"], rec(json!({ "id": "hub_1", "name": "Hub" })));
    assert_eq!(e.context["card"], rec(json!({ "id": "card_1", "name": "Card", "type": "Quiz" })));
    assert_eq!(e.contact, Value::Null);

    let e = from_test_record(trigger("Gameplay.DataCaptured"), &Value::Null).unwrap();
    assert_eq!(e.event.field("qualified"), Value::Bool(false));
    assert_eq!(e.event.field("fields"), rec(json!({})));
    assert_eq!(e.context["entry"], rec(json!({ "id": "entry_1", "tags": [] })));

    let e = from_test_record(trigger("Contact.PropertyUpdated"), &Value::Null).unwrap();
    assert_eq!(e.event.field("changed"), rec(json!([])));
    assert_eq!(e.event.field("old"), Value::Null);

    let e = from_test_record(trigger("Receipt.Rejected"), &Value::Null).unwrap();
    assert_eq!(e.event.field("reason"), Value::str(""));
    assert_eq!(e.context["receipt"], rec(json!({ "id": "receipt_1", "retailer": null, "total": null })));
}

#[test]
fn test_records_merge_over_the_defaults() {
    let record = Value::record([
        ("card".into(), rec(json!({ "name": "Sponsor A Quiz" }))),
        ("fields".into(), rec(json!({ "email": "ana@example.com" }))),
        ("occurred_at".into(), Value::str("2026-03-01T10:00:00Z")),
        ("qualified".into(), Value::Bool(true)),
    ]);
    let e = from_test_record(trigger("Gameplay.DataCaptured"), &record).unwrap();
    assert_eq!(e.occurred_at, ts("2026-03-01T10:00:00Z"));
    assert_eq!(e.event.field("occurred_at"), Value::Timestamp(ts("2026-03-01T10:00:00Z")));
    assert_eq!(e.event.field("qualified"), Value::Bool(true));
    assert_eq!(e.event.field("fields"), rec(json!({ "email": "ana@example.com" })));
    assert_eq!(e.context["card"], rec(json!({ "id": "card_1", "name": "Sponsor A Quiz", "type": "Quiz" })));

    // Optional records only when given.
    let coupon = trigger("Coupon.Issued");
    let e = from_test_record(coupon, &Value::Null).unwrap();
    assert_eq!(e.context["hub"], Value::Null);
    assert_eq!(e.context["card"], Value::Null);
    assert_eq!(e.context["coupon"], rec(json!({ "id": "coupon_1", "code": "CODE1", "offer": "offer" })));
    let e = from_test_record(coupon, &rec(json!({ "hub": { "name": "Sports" } }))).unwrap();
    assert_eq!(e.context["hub"], rec(json!({ "id": "hub_1", "name": "Sports" })));
    let e = from_test_record(trigger("Prize.Awarded"), &rec(json!({ "entry": { "tags": ["a"] } }))).unwrap();
    assert_eq!(e.context["entry"], rec(json!({ "id": "entry_1", "tags": ["a"] })));
}

#[test]
fn test_records_are_checked() {
    let ended = trigger("Gameplay.Ended");
    let e = from_test_record(ended, &rec(json!({ "scor": 3 }))).unwrap_err();
    assert_eq!(e.path, "scor");
    let e = from_test_record(ended, &rec(json!({ "score": "high" }))).unwrap_err();
    assert_eq!(e.to_string(), "`score`: expected an Int, found \"high\"");
    let e = from_test_record(ended, &rec(json!({ "entry": { "id": "e1" } }))).unwrap_err();
    assert_eq!(e.path, "entry");
    let e = from_test_record(ended, &rec(json!({ "card": { "kind": "Quiz" } }))).unwrap_err();
    assert_eq!(e.path, "card.kind");
    let e = from_test_record(ended, &rec(json!({ "type": "Card.Completed" }))).unwrap_err();
    assert_eq!(e.path, "type");
    assert!(from_test_record(ended, &rec(json!({ "type": "Gameplay.Ended", "id": "e7" }))).is_ok());
}

fn form(fields: &[(&str, Ty)]) -> Vec<(String, Ty)> {
    fields.iter().map(|(n, t)| ((*n).to_string(), t.clone())).collect()
}

#[test]
fn forms_type_the_declared_fields() {
    let declared =
        form(&[("email", Ty::Email), ("company", Ty::Optional(Box::new(Ty::String))), ("age", Ty::Int)]);
    let given = rec(json!({ "email": "ana@example.com", "age": 30.0, "optin": "true" }));
    let typed = apply_form(&declared, &given).unwrap();
    assert_eq!(
        typed,
        rec(json!({ "email": "ana@example.com", "company": null, "age": 30, "optin": "true" }))
    );
    assert_eq!(typed.field("age"), Value::Int(30));

    let e = apply_form(&declared, &rec(json!({ "age": 3 }))).unwrap_err();
    assert_eq!(e.to_string(), "`fields.email`: missing; the workflow's `form` declares it as Email");
    let e = apply_form(&declared, &rec(json!({ "email": "ana", "age": 3 }))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`fields.email`: expected an Email, found \"ana\" (an email address needs an `@`)"
    );
    let e = apply_form(&declared, &rec(json!({ "email": "a@b.co", "age": 3.5 }))).unwrap_err();
    assert_eq!(e.path, "fields.age");
    let e = apply_form(&declared, &rec(json!({ "email": "a@b.co", "age": 3, "company": 4 }))).unwrap_err();
    assert_eq!(e.to_string(), "`fields.company`: expected a String, found 4");
    assert!(apply_form(&[], &Value::Null).is_ok());
}

#[test]
fn conversions() {
    let list = Ty::List(Box::new(Ty::Phone));
    let e = convert(&rec(json!(["+61400000000", "0400"])), &list, "to").unwrap_err();
    assert_eq!(e.path, "to[1]");
    let record = Ty::Record(vec![("id".into(), Ty::String), ("at".into(), Ty::Timestamp)]);
    let v =
        convert(&rec(json!({ "id": "x", "at": "2026-01-01T00:00:00Z", "extra": 1 })), &record, "").unwrap();
    assert_eq!(v.field("at"), Value::Timestamp(TEST_EPOCH));
    assert_eq!(v.field("extra"), Value::Int(1));
    let e = convert(&rec(json!({ "at": "2026-01-01T00:00:00Z" })), &record, "r").unwrap_err();
    assert_eq!(e.to_string(), "`r.id`: missing; expected a String");
    assert_eq!(convert(&Value::Int(2), &Ty::Float, "").unwrap(), Value::Float(2.0));
    assert!(convert(&Value::Float(1e19), &Ty::Int, "").is_err());
    assert!(convert(&Value::str("true"), &Ty::Bool, "").is_err());
    let secret = Value::Secret(Secret::new("TOKEN"));
    assert!(convert(&secret, &Ty::Json, "").is_err());
    assert!(convert(&Value::List(vec![secret.clone()]), &Ty::Json, "").is_err());
    assert_eq!(convert(&secret, &Ty::StringOrSecret, "").unwrap(), secret);
    assert!(convert(&Value::str("https://x.example.com/a"), &Ty::Url, "").is_ok());
    assert!(convert(&Value::Int(1), &Ty::Named("Card".into()), "").is_err());
    assert_eq!(convert(&Value::Null, &Ty::Optional(Box::new(Ty::Email)), "").unwrap(), Value::Null);
}

#[test]
fn duration_text() {
    assert_eq!(parse_duration("90s"), Ok(90_000));
    assert_eq!(parse_duration("2d"), Ok(172_800_000));
    assert_eq!(parse_duration("1s500ms"), Ok(1500));
    assert_eq!(parse_duration("1w"), Ok(604_800_000));
    assert_eq!(parse_duration("pt2h30m"), Ok(9_000_000));
    assert_eq!(parse_duration("P2W"), Ok(1_209_600_000));
    assert_eq!(parse_duration("PT0.25S"), Ok(250));
    for bad in ["", "3", "m", "30s1m", "1h1h", "1.5h", "P", "PT", "PT1D", "P1Y", "P1.5D", "PT1H2", "-3m"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::catalog::FailureKind;
use crate::runtime::contact::{LoyaltyState, code_prefix};
use crate::runtime::event::TEST_EPOCH;
use crate::runtime::value::Secret;

fn rec(json: serde_json::Value) -> Value {
    Value::from_json(&json)
}

fn host() -> SandboxHost {
    SandboxHost::new(TEST_EPOCH, "run_1", 7)
}

fn args(json: serde_json::Value) -> BTreeMap<String, Value> {
    match Value::from_json(&json) {
        Value::Record(r) => r,
        _ => BTreeMap::new(),
    }
}

fn call_attempt(
    host: &mut SandboxHost,
    step: &str,
    action: ActionId,
    args: &BTreeMap<String, Value>,
    attempt: u32,
) -> Result<Value, ActionFailure> {
    let request = ActionRequest {
        run_id: "run_1",
        step,
        action,
        args,
        attempt,
        idempotency_key: "run_1:step",
        timeout_ms: None,
    };
    host.perform_now(&request)
}

fn call(host: &mut SandboxHost, action: ActionId, given: serde_json::Value) -> Result<Value, ActionFailure> {
    call_attempt(host, "step_1", action, &args(given), 1)
}

fn contact(host: &SandboxHost) -> Value {
    host.contact_state().contact()
}

fn kind(result: Result<Value, ActionFailure>) -> String {
    result.unwrap_err().kind.to_string()
}

#[test]
fn the_clock_only_moves_forward() {
    let mut h = host();
    assert_eq!(h.now(), TEST_EPOCH);
    let later = TEST_EPOCH.checked_add(jiff::SignedDuration::from_hours(2)).unwrap();
    h.advance_to(later);
    assert_eq!(h.now(), later);
    h.advance_to(TEST_EPOCH);
    assert_eq!(h.now(), later);
    assert_eq!(h.started_at(), TEST_EPOCH);
}

#[test]
fn jitter_is_seeded() {
    let sequence = |seed| {
        let mut h = SandboxHost::new(TEST_EPOCH, "r", seed);
        (0..5).map(|_| h.jitter()).collect::<Vec<f64>>()
    };
    let first = sequence(42);
    assert_eq!(first, sequence(42));
    assert_ne!(first, sequence(43));
    assert!(first.iter().all(|j| (0.0..1.0).contains(j)));
    assert!(first.windows(2).all(|w| w[0] != w[1]));
}

#[test]
fn secrets_exist_unless_configured() {
    assert_eq!(host().secret("ANY").as_deref(), Some(SANDBOX_SECRET));
    let only = host().with_secrets(BTreeMap::from([("TOKEN".to_string(), "t0k".to_string())]));
    assert_eq!(only.secret("TOKEN").as_deref(), Some("t0k"));
    assert_eq!(only.secret("OTHER"), None);
}

#[test]
fn the_contact_starts_from_defaults() {
    let mut h = host();
    let fresh = contact(&h);
    assert_eq!(fresh.field("id"), Value::str("contact_1"));
    assert_eq!(fresh.field("points"), Value::Int(0));
    assert_eq!(fresh.field("created_at"), Value::Timestamp(TEST_EPOCH));
    assert_eq!(fresh.field("email"), Value::Null);
    assert_eq!(fresh.field("properties"), rec(json!({})));
    h.set_contact(&rec(
        json!({ "email": "ana@example.com", "tags": ["vip"], "created_at": "2025-01-01T00:00:00Z" }),
    ));
    let c = contact(&h);
    assert_eq!(c.field("email"), Value::str("ana@example.com"));
    assert_eq!(c.field("tags"), rec(json!(["vip"])));
    assert_eq!(c.field("id"), Value::str("contact_1"));
    assert_eq!(c.field("created_at"), Value::Timestamp("2025-01-01T00:00:00Z".parse().unwrap()));
    h.set_contact(&Value::Null);
    assert_eq!(contact(&h), Value::Null);
    assert_eq!(kind(call(&mut h, ActionId::ContactAddToList, json!({ "list": "L" }))), "invalid_request");
    assert_eq!(h.contact_state().entry(), Value::Null);
}

#[test]
fn contact_update_sets_fields_properties_and_tags() {
    let mut h = host();
    h.set_contact(&rec(json!({ "tags": ["a", "b"], "properties": { "team": "Blues", "old": 1 } })));
    let out = call(
        &mut h,
        ActionId::ContactUpdate,
        json!({ "set": { "first_name": "Ana", "team": "Reds", "old": null },
                "add_tags": ["c", "a", "c"], "remove_tags": ["b"] }),
    );
    assert_eq!(out, Ok(rec(json!({}))));
    let c = contact(&h);
    assert_eq!(c.field("first_name"), Value::str("Ana"));
    assert_eq!(c.field("properties"), rec(json!({ "team": "Reds" })));
    assert_eq!(c.field("tags"), rec(json!(["a", "c"])));
    // Owned fields cannot be set, and a failed update changes nothing.
    let failed =
        call(&mut h, ActionId::ContactUpdate, json!({ "set": { "last_name": "Silva", "points": 5 } }));
    assert_eq!(kind(failed), "invalid_request");
    assert_eq!(contact(&h), c);
}

#[test]
fn lists_and_achievements_never_repeat() {
    let mut h = host();
    for list in ["News", "VIP", "News"] {
        assert_eq!(call(&mut h, ActionId::ContactAddToList, json!({ "list": list })), Ok(rec(json!({}))));
    }
    assert_eq!(contact(&h).field("lists"), rec(json!(["News", "VIP"])));
    call(&mut h, ActionId::ContactRemoveFromList, json!({ "list": "News" })).unwrap();
    call(&mut h, ActionId::ContactRemoveFromList, json!({ "list": "Absent" })).unwrap();
    assert_eq!(contact(&h).field("lists"), rec(json!(["VIP"])));
    for a in ["first_win", "first_win", "streak"] {
        call(&mut h, ActionId::ContactAssignAchievement, json!({ "achievement": a })).unwrap();
    }
    assert_eq!(contact(&h).field("achievements"), rec(json!(["first_win", "streak"])));
    assert_eq!(kind(call(&mut h, ActionId::ContactAddToList, json!({}))), "invalid_request");
    assert_eq!(kind(call(&mut h, ActionId::ContactAddToList, json!({ "list": 3 }))), "invalid_value");
}

#[test]
fn coupons_have_deterministic_codes() {
    let mut h = host();
    let out = call(&mut h, ActionId::ContactIssueCoupon, json!({ "offer": "welcome10", "quantity": 1 }));
    assert_eq!(out, Ok(rec(json!({ "codes": ["WELCOME10-0001"] }))));
    let out = call(&mut h, ActionId::ContactIssueCoupon, json!({ "offer": "welcome10", "quantity": 2 }));
    assert_eq!(out, Ok(rec(json!({ "codes": ["WELCOME10-0002", "WELCOME10-0003"] }))));
    let out = call(&mut h, ActionId::ContactIssueCoupon, json!({ "offer": "Summer sale 20%" }));
    assert_eq!(out, Ok(rec(json!({ "codes": ["SUMMER-SALE-20-0001"] }))));
    assert_eq!(h.contact_state().coupons().len(), 4);
    assert_eq!(
        kind(call(&mut h, ActionId::ContactIssueCoupon, json!({ "offer": "x", "quantity": 0 }))),
        "invalid_value"
    );
    assert_eq!(code_prefix("%%"), "CODE");
}

#[test]
fn the_default_program_is_the_contacts_points_and_tier() {
    let mut h = host();
    assert_eq!(
        call(&mut h, ActionId::LoyaltyAwardPoints, json!({ "points": 50 })),
        Ok(rec(json!({ "balance": 50 })))
    );
    let out = call(
        &mut h,
        ActionId::LoyaltyAwardPoints,
        json!({ "points": -20, "program": "default", "reason": "x" }),
    );
    assert_eq!(out, Ok(rec(json!({ "balance": 30 }))));
    assert_eq!(contact(&h).field("points"), Value::Int(30));
    let out = call(&mut h, ActionId::LoyaltyAwardPoints, json!({ "points": 5, "program": "partners" }));
    assert_eq!(out, Ok(rec(json!({ "balance": 5 }))));
    assert_eq!(contact(&h).field("points"), Value::Int(30));
    assert_eq!(h.contact_state().loyalty("partners").points, 5);
    // No overdraft.
    assert_eq!(kind(call(&mut h, ActionId::LoyaltyAwardPoints, json!({ "points": -31 }))), "invalid_request");
    assert_eq!(contact(&h).field("points"), Value::Int(30));

    assert_eq!(
        call(&mut h, ActionId::LoyaltyAddToTier, json!({ "tier": "Gold" })),
        Ok(rec(json!({ "tier": "Gold" })))
    );
    assert_eq!(contact(&h).field("tier"), Value::str("Gold"));
    call(&mut h, ActionId::LoyaltyAddToTier, json!({ "tier": "Silver", "program": "partners" })).unwrap();
    assert_eq!(contact(&h).field("tier"), Value::str("Gold"));
    assert_eq!(h.contact_state().loyalty("partners").tier.as_deref(), Some("Silver"));
    assert_eq!(h.contact_state().loyalty("default"), LoyaltyState { points: 30, tier: Some("Gold".into()) });
}

#[test]
fn entry_tags_need_an_entry() {
    let mut h = host();
    assert_eq!(kind(call(&mut h, ActionId::EntryAddTags, json!({ "tags": ["a"] }))), "invalid_request");
    h.set_entry(rec(json!({ "id": "e1", "tags": ["x"] })));
    assert_eq!(call(&mut h, ActionId::EntryAddTags, json!({ "tags": ["a", "x", "b"] })), Ok(rec(json!({}))));
    assert_eq!(h.contact_state().entry(), rec(json!({ "id": "e1", "tags": ["x", "a", "b"] })));
}

#[test]
fn gifts_are_numbered() {
    let mut h = host();
    let out = call(&mut h, ActionId::GiftcardSendFromTemplate, json!({ "template": "bday" }));
    assert_eq!(out, Ok(rec(json!({ "card_id": "gift_1" }))));
    let out = call(&mut h, ActionId::GiftcardSendFromTemplate, json!({ "template": "bday" }));
    assert_eq!(out, Ok(rec(json!({ "card_id": "gift_2" }))));
    let out = call(&mut h, ActionId::GiftcardGenerateCampaignGift, json!({ "campaign": "xmas" }));
    assert_eq!(out, Ok(rec(json!({ "code": "GIFT-XMAS-0001" }))));
    assert_eq!(h.contact_state().gifts().len(), 3);
    assert!(h.calls().is_empty(), "internal actions are not recorded");
}

#[test]
fn external_calls_are_recorded_with_plausible_outputs() {
    let mut h = host();
    let mut given = args(json!({ "method": "POST", "url": "https://hooks.example.com/x" }));
    given.insert(
        "headers".into(),
        Value::record([("Authorization".into(), Value::Secret(Secret::new("TOKEN")))]),
    );
    let out = call_attempt(&mut h, "post", ActionId::HttpRequest, &given, 1);
    assert_eq!(out, Ok(rec(json!({ "status": 200, "headers": {}, "body": "", "json": null }))));
    let email =
        call(&mut h, ActionId::ContactSendEmail, json!({ "template": "welcome", "to": "ana@example.com" }));
    assert_eq!(email, Ok(rec(json!({ "message_id": "msg_run_1_step_1" }))));

    let calls = h.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].step.as_str(), calls[0].action), ("post", ActionId::HttpRequest));
    assert_eq!(calls[0].args["headers"], json!({ "Authorization": "[redacted]" }));
    assert_eq!(calls[0].at, TEST_EPOCH);
    assert!(!calls[0].mocked);
    assert_eq!(calls[1].outcome, email);

    let lead = |h: &mut SandboxHost, step| {
        let given = args(json!({ "object": "Lead", "fields": { "Email": "ana@example.com" } }));
        call_attempt(h, step, ActionId::SalesforceCreateObject, &given, 1).unwrap().field("id")
    };
    let id = lead(&mut h, "lead");
    let text = id.as_str().unwrap();
    assert!(text.starts_with("00Q") && text.len() == 18 && text.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(lead(&mut h, "lead"), id);
    assert_ne!(lead(&mut h, "other"), id);

    let got = call(&mut h, ActionId::SalesforceGetObject, json!({ "object": "Lead", "id": "00Q1" }));
    assert_eq!(got, Ok(rec(json!({ "record": { "Id": "00Q1" } }))));
    let sub = |h: &mut SandboxHost, email| {
        call(h, ActionId::MailchimpUpsertSubscriber, json!({ "list_id": "a1", "email": email }))
            .unwrap()
            .field("id")
    };
    let id = sub(&mut h, "Ana@Example.com");
    assert_eq!(id, sub(&mut h, "ana@example.com"));
    assert!(id.as_str().is_some_and(|s| s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())));
    assert_eq!(call(&mut h, ActionId::BrazeTrackUser, json!({ "attributes": {} })), Ok(rec(json!({}))));
    assert_eq!(h.calls().len(), 9);
}

#[test]
fn the_first_matching_mock_wins() {
    let mut h = host();
    let to_sponsor = |a: &BTreeMap<String, Value>| {
        a.get("url").and_then(Value::as_str).is_some_and(|u| u.contains("sponsor-a"))
    };
    h.add_mock(
        MockRule::new(
            ActionId::HttpRequest,
            MockResult::Fail(ActionFailure::new(FailureKind::Error, "connection refused")),
        )
        .when(to_sponsor),
    );
    h.add_mock(MockRule::new(
        ActionId::HttpRequest,
        MockResult::Ok(rec(json!({ "status": 201, "body": "made" }))),
    ));
    h.add_mock(MockRule::new(ActionId::HttpRequest, MockResult::Ok(rec(json!({ "status": 500 })))));

    let sponsor = args(json!({ "method": "POST", "url": "https://sponsor-a.example.com/leads" }));
    for attempt in 1..=3 {
        let failure = call_attempt(&mut h, "post", ActionId::HttpRequest, &sponsor, attempt).unwrap_err();
        assert_eq!(failure.message, "connection refused");
    }
    let other = args(json!({ "method": "POST", "url": "https://default.example.com/leads" }));
    let out = call_attempt(&mut h, "post_default", ActionId::HttpRequest, &other, 1);
    assert_eq!(out, Ok(rec(json!({ "status": 201, "headers": {}, "body": "made", "json": null }))));
    assert_eq!(h.calls().len(), 4);
    assert!(h.calls().iter().all(|c| c.mocked));
    assert_eq!(h.calls()[2].attempt, 3);
}

#[test]
fn mocked_internal_actions_leave_the_contact_state_alone() {
    let mut h = host();
    h.add_mock(MockRule::new(ActionId::LoyaltyAwardPoints, MockResult::Ok(rec(json!({ "balance": 999 })))));
    h.add_mock(MockRule::new(ActionId::ContactIssueCoupon, MockResult::Ok(Value::Null)));
    h.add_mock(MockRule::new(
        ActionId::ContactAddToList,
        MockResult::Fail(ActionFailure::new(FailureKind::Error, "down")),
    ));
    assert_eq!(
        call(&mut h, ActionId::LoyaltyAwardPoints, json!({ "points": 5 })),
        Ok(rec(json!({ "balance": 999 })))
    );
    assert_eq!(contact(&h).field("points"), Value::Int(0));
    assert_eq!(
        call(&mut h, ActionId::ContactIssueCoupon, json!({ "offer": "x" })),
        Ok(rec(json!({ "codes": [] })))
    );
    assert!(h.contact_state().coupons().is_empty());
    assert_eq!(call(&mut h, ActionId::ContactAddToList, json!({ "list": "L" })).unwrap_err().message, "down");
    assert_eq!(contact(&h).field("lists"), rec(json!([])));
    assert_eq!(h.calls().len(), 3);
    // Unmocked actions still act on the contact state.
    call(&mut h, ActionId::ContactAssignAchievement, json!({ "achievement": "a" })).unwrap();
    assert_eq!(contact(&h).field("achievements"), rec(json!(["a"])));
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[tokio::test]
async fn the_host_trait_answers_at_once() {
    let mut h = host();
    h.set_entry(rec(json!({ "id": "e1", "tags": [] })));
    assert_eq!(assert_send(h.contact()).await.unwrap().field("id"), Value::str("contact_1"));
    assert_eq!(assert_send(h.entry()).await.unwrap().field("id"), Value::str("e1"));
    let given = args(json!({ "list": "News" }));
    let request = ActionRequest {
        run_id: "run_1",
        step: "add_to_list_1",
        action: ActionId::ContactAddToList,
        args: &given,
        attempt: 1,
        idempotency_key: "k",
        timeout_ms: Some(1000),
    };
    assert_eq!(assert_send(h.perform(request)).await, Ok(rec(json!({}))));
    assert_eq!(h.contact().await.unwrap().field("lists"), rec(json!(["News"])));
}

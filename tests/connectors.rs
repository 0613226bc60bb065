//! Each connector against a local server that speaks its protocol: an SMTP sink for
//! email, wiremock servers for the REST APIs. The servers assert the exact requests the
//! providers document (paths, methods, headers, auth, bodies); the tests assert what the
//! step gets back and which failures a `retry` would retry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use common::smtp::{Behaviour, SmtpSink};
use komo::catalog::{ActionId, FailureKind};
use komo::connectors::config::ConnectorsConfig;
use komo::connectors::template::Templates;
use komo::connectors::{CallContext, Connectors, ProjectFiles};
use komo::runtime::host::{ActionFailure, ActionRequest};
use komo::runtime::value::Value;
use serde_json::json;
use wiremock::matchers::{body_json, body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SMTP_PASSWORD: &str = "smtp-pass-Zq8";
const TWILIO_TOKEN: &str = "twilio-token-Lk3";
const SF_SECRET: &str = "sf-secret-Pw7";
const MC_KEY: &str = "0123456789abcdef0123456789abcdef-us21";
const BRAZE_KEY: &str = "braze-key-Vb2";

fn env(name: &str) -> Option<String> {
    Some(
        match name {
            "SMTP_USER" => "mailer",
            "SMTP_PASSWORD" => SMTP_PASSWORD,
            "SMS_SID" => "AC123",
            "SMS_TOKEN" => TWILIO_TOKEN,
            "SF_ID" => "sf-client",
            "SF_SECRET" => SF_SECRET,
            "MC_KEY" => MC_KEY,
            "BRAZE_KEY" => BRAZE_KEY,
            _ => return None,
        }
        .to_string(),
    )
}

/// Connectors from a `[connectors]` TOML text, allowed to reach `allow`.
fn connectors(toml_text: &str, allow: &[String], templates: &[(&str, &str)]) -> Connectors {
    let config: ConnectorsConfig = toml::from_str(toml_text).unwrap();
    let files = templates.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    let files = ProjectFiles { templates: Templates::new(files), smtp_ca_pem: None };
    Connectors::new(&config, allow, files, &env)
}

fn args(fields: serde_json::Value) -> BTreeMap<String, Value> {
    match Value::from_json(&fields) {
        Value::Record(record) => record,
        other => panic!("not a record: {other:?}"),
    }
}

fn contact() -> Value {
    Value::from_json(
        &json!({ "id": "c_1", "first_name": "Ana", "email": "ana@example.com", "phone": "+15550123" }),
    )
}

async fn call(c: &Connectors, action: ActionId, fields: serde_json::Value) -> Result<Value, ActionFailure> {
    call_as(c, action, fields, "run_1:step_1").await
}

async fn call_as(
    c: &Connectors,
    action: ActionId,
    fields: serde_json::Value,
    key: &str,
) -> Result<Value, ActionFailure> {
    let args = args(fields);
    let request = ActionRequest {
        run_id: "run_1",
        step: "step_1",
        action,
        args: &args,
        attempt: 1,
        idempotency_key: key,
        timeout_ms: Some(5_000),
    };
    let contact = contact();
    let event = Value::from_json(&json!({ "source": "signup-form" }));
    let secret = |_: &str| None;
    c.perform(&request, CallContext { contact: &contact, event: &event, secret: &secret }).await
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn host_of(server: &MockServer) -> String {
    server.address().to_string()
}

/// The failure, asserting that no configured secret is in its message.
fn failure(result: Result<Value, ActionFailure>) -> ActionFailure {
    let f = result.expect_err("the call must fail");
    for secret in [SMTP_PASSWORD, TWILIO_TOKEN, SF_SECRET, MC_KEY, BRAZE_KEY] {
        assert!(!f.message.contains(secret), "a secret in {f:?}");
    }
    f
}

// ---------------------------------------------------------------- email

const WELCOME_HTML: &str = "{% set subject = 'Welcome, ' ~ contact.first_name %}<p>Hi {{ contact.first_name }}, your code is {{ data.code }} (from {{ event.source }})</p>";
const WELCOME_TXT: &str = "Hi {{ contact.first_name }}, your code is {{ data.code }}";

fn email_config(sink: &SmtpSink, auth: bool) -> String {
    let auth = if auth { "username_env = \"SMTP_USER\"\npassword_env = \"SMTP_PASSWORD\"\n" } else { "" };
    format!(
        "[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"Acme <noreply@acme.example>\"\n{auth}",
        sink.addr.port()
    )
}

#[tokio::test]
async fn an_email_is_rendered_and_delivered_over_smtp() {
    let sink = SmtpSink::start(Behaviour {
        credentials: Some(("mailer".into(), SMTP_PASSWORD.into())),
        ..Behaviour::default()
    })
    .await;
    let c = connectors(
        &email_config(&sink, true),
        &[sink.addr.to_string()],
        &[("welcome.html", WELCOME_HTML), ("welcome.txt", WELCOME_TXT)],
    );
    let out = call(
        &c,
        ActionId::ContactSendEmail,
        json!({ "template": "welcome", "to": "ana@example.com", "data": { "code": "X1<" } }),
    )
    .await
    .unwrap();
    let message_id = out.field("message_id").as_str().unwrap().to_string();
    assert!(message_id.starts_with('<') && message_id.ends_with("@acme.example>"), "{message_id}");

    let got = sink.wait_for(1).await;
    assert_eq!(got.len(), 1);
    let mail = &got[0];
    assert_eq!(mail.auth, Some(("mailer".to_string(), SMTP_PASSWORD.to_string())));
    assert_eq!(mail.mail_from, "<noreply@acme.example>");
    assert_eq!(mail.rcpt_to, ["ana@example.com"]);
    assert_eq!(mail.header("From").as_deref(), Some("Acme <noreply@acme.example>"));
    assert_eq!(mail.header("To").as_deref(), Some("ana@example.com"));
    assert_eq!(mail.header("Subject").as_deref(), Some("Welcome, Ana"));
    assert_eq!(mail.header("Message-ID"), Some(message_id.clone()));
    assert!(mail.header("Content-Type").unwrap().starts_with("multipart/alternative"), "{}", mail.data);
    assert!(mail.data.contains("<p>Hi Ana, your code is X1&lt; (from signup-form)</p>"), "{}", mail.data);
    assert!(mail.data.contains("Hi Ana, your code is X1<"), "{}", mail.data);

    // The same (run, step) again: the same Message-ID; another step: another one.
    let again = call(&c, ActionId::ContactSendEmail, json!({ "template": "welcome", "to": "ana@example.com", "subject": "Hello", "data": { "code": "X1" } }))
        .await
        .unwrap();
    assert_eq!(again.field("message_id").as_str(), Some(message_id.as_str()));
    let other = call_as(
        &c,
        ActionId::ContactSendEmail,
        json!({ "template": "welcome", "to": "ana@example.com", "data": { "code": "X1" } }),
        "run_1:step_2",
    )
    .await
    .unwrap();
    assert_ne!(other.field("message_id").as_str(), Some(message_id.as_str()));
    let got = sink.wait_for(3).await;
    assert_eq!(got[1].header("Subject").as_deref(), Some("Hello"), "the argument wins over the template");
}

#[tokio::test]
async fn an_email_with_a_missing_variable_fails_naming_it_and_sends_nothing() {
    let sink = SmtpSink::start(Behaviour::default()).await;
    let c =
        connectors(&email_config(&sink, false), &[sink.addr.to_string()], &[("welcome.html", WELCOME_HTML)]);
    let f = failure(
        call(&c, ActionId::ContactSendEmail, json!({ "template": "welcome", "to": "ana@example.com" })).await,
    );
    assert_eq!(f.kind, FailureKind::InvalidRequest);
    assert_eq!(f.message, "template `welcome.html` uses `data.code`, which is not defined");
    assert!(!f.retryable());
    let f = failure(
        call(&c, ActionId::ContactSendEmail, json!({ "template": "welcom", "to": "ana@example.com" })).await,
    );
    assert!(f.message.contains("did you mean `welcome`?"), "{}", f.message);
    let plain =
        connectors(&email_config(&sink, false), &[sink.addr.to_string()], &[("plain.html", "<p>hi</p>")]);
    let f = failure(
        call(&plain, ActionId::ContactSendEmail, json!({ "template": "plain", "to": "ana@example.com" }))
            .await,
    );
    assert!(f.message.starts_with("no subject: pass `subject:`"), "{}", f.message);
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn smtp_refusals_are_kinds_a_retry_understands() {
    let sink = SmtpSink::start(Behaviour {
        credentials: Some(("mailer".into(), "another-password".into())),
        ..Behaviour::default()
    })
    .await;
    let templates = [("welcome.html", WELCOME_HTML)];
    let c = connectors(&email_config(&sink, true), &[sink.addr.to_string()], &templates);
    let send = json!({ "template": "welcome", "to": "ana@example.com", "data": { "code": "A" } });
    let f = failure(call(&c, ActionId::ContactSendEmail, send.clone()).await);
    assert_eq!(f.kind, FailureKind::Auth, "{f:?}");
    assert!(!f.retryable());

    let sink = SmtpSink::start(Behaviour {
        refuse_rcpt: vec!["gone@example.com".into()],
        defer_first: 1,
        ..Behaviour::default()
    })
    .await;
    let c = connectors(&email_config(&sink, false), &[sink.addr.to_string()], &templates);
    let f = failure(call(&c, ActionId::ContactSendEmail, send.clone()).await);
    assert_eq!(f.kind, FailureKind::Error, "a 451 is transient: {f:?}");
    assert!(f.retryable() && f.message.contains("451"), "{f:?}");
    call(&c, ActionId::ContactSendEmail, send).await.unwrap();
    let gone = json!({ "template": "welcome", "to": "gone@example.com", "data": { "code": "A" } });
    let f = failure(call(&c, ActionId::ContactSendEmail, gone).await);
    assert_eq!(f.kind, FailureKind::InvalidRequest, "{f:?}");
    assert!(!f.retryable() && f.message.contains("550"), "{f:?}");
    assert_eq!(sink.wait_for(1).await.len(), 1);
}

#[tokio::test]
async fn a_loopback_smtp_host_needs_allow_hosts() {
    let sink = SmtpSink::start(Behaviour::default()).await;
    let c = connectors(&email_config(&sink, false), &[], &[("welcome.html", WELCOME_HTML)]);
    let f = failure(
        call(
            &c,
            ActionId::ContactSendEmail,
            json!({ "template": "welcome", "to": "a@example.com", "data": { "code": "A" } }),
        )
        .await,
    );
    assert_eq!(f.kind, FailureKind::InvalidRequest);
    assert!(
        f.message.contains("is a loopback address; allow it in komo.toml [http] allow_hosts"),
        "{}",
        f.message
    );
    assert!(sink.received().is_empty());
}

// ---------------------------------------------------------------- SMS

fn sms_config(server: &MockServer) -> String {
    format!(
        "[sms]\nbase_url = \"{}\"\naccount_sid_env = \"SMS_SID\"\nauth_token_env = \"SMS_TOKEN\"\nfrom = \"+15550100\"\n",
        server.uri()
    )
}

#[tokio::test]
async fn an_sms_is_a_form_post_with_basic_auth_and_an_idempotency_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2010-04-01/Accounts/AC123/Messages.json"))
        .and(header("authorization", basic("AC123", TWILIO_TOKEN).as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("i-twilio-idempotency-token", "run_1:step_1"))
        .and(body_string("To=%2B15550123&From=%2B15550100&Body=You+won+%26+more%21"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "sid": "SM42", "status": "queued" })))
        .expect(1)
        .mount(&server)
        .await;
    let c = connectors(&sms_config(&server), &[host_of(&server)], &[]);
    let out = call(&c, ActionId::ContactSendSms, json!({ "message": "You won & more!", "to": "+15550123" }))
        .await
        .unwrap();
    assert_eq!(out, Value::from_json(&json!({ "message_id": "SM42" })));
}

#[tokio::test]
async fn sms_errors_quote_the_provider_and_stop_or_retry() {
    let server = MockServer::start().await;
    Mock::given(path("/2010-04-01/Accounts/AC123/Messages.json"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "code": 21211, "message": "The 'To' number is not valid.", "status": 400 }),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/2010-04-01/Accounts/AC123/Messages.json"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "code": 20003, "message": "Authenticate" })),
        )
        .mount(&server)
        .await;
    let c = connectors(&sms_config(&server), &[host_of(&server)], &[]);
    let f = failure(call(&c, ActionId::ContactSendSms, json!({ "message": "hi", "to": "+1" })).await);
    assert_eq!((f.kind.as_str(), f.status, f.retryable()), ("http_status", Some(400), false));
    assert_eq!(
        f.message,
        "the SMS provider answered HTTP 400 Bad Request: The 'To' number is not valid. (code 21211)"
    );
    let f = failure(call(&c, ActionId::ContactSendSms, json!({ "message": "hi", "to": "+1" })).await);
    assert_eq!((f.kind.as_str(), f.status, f.retryable()), ("auth", Some(401), false));
}

// ---------------------------------------------------------------- Salesforce

fn salesforce_config(server: &MockServer) -> String {
    format!(
        "[salesforce]\ninstance_url = \"{}\"\nclient_id_env = \"SF_ID\"\nclient_secret_env = \"SF_SECRET\"\napi_version = \"v61.0\"\n",
        server.uri()
    )
}

fn token_form() -> String {
    format!("grant_type=client_credentials&client_id=sf-client&client_secret={SF_SECRET}")
}

#[tokio::test]
async fn salesforce_objects_are_created_updated_and_read_with_one_cached_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(token_form()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "access_token": "tok-1", "token_type": "Bearer", "instance_url": server.uri() }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/services/data/v61.0/sobjects/Lead/"))
        .and(header("authorization", "Bearer tok-1"))
        .and(body_json(json!({ "Email": "ana@example.com", "Company": "Acme" })))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({ "id": "00Q5e000001", "success": true, "errors": [] })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/services/data/v61.0/sobjects/Lead/00Q5e000001"))
        .and(header("authorization", "Bearer tok-1"))
        .and(body_json(json!({ "Status": "Working" })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/services/data/v61.0/sobjects/Lead/00Q5e000001"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "Id": "00Q5e000001", "Status": "Working" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = connectors(&salesforce_config(&server), &[host_of(&server)], &[]);
    let created = call(
        &c,
        ActionId::SalesforceCreateObject,
        json!({ "object": "Lead", "fields": { "Email": "ana@example.com", "Company": "Acme" } }),
    )
    .await
    .unwrap();
    assert_eq!(created, Value::from_json(&json!({ "id": "00Q5e000001" })));
    let updated = call(
        &c,
        ActionId::SalesforceUpdateObject,
        json!({ "object": "Lead", "id": "00Q5e000001", "fields": { "Status": "Working" } }),
    )
    .await
    .unwrap();
    assert_eq!(updated, Value::from_json(&json!({})));
    let got = call(&c, ActionId::SalesforceGetObject, json!({ "object": "Lead", "id": "00Q5e000001" }))
        .await
        .unwrap();
    assert_eq!(got, Value::from_json(&json!({ "record": { "Id": "00Q5e000001", "Status": "Working" } })));
}

#[tokio::test]
async fn a_refused_salesforce_token_is_refreshed_once() {
    let server = MockServer::start().await;
    Mock::given(path("/services/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "access_token": "old", "expires_in": 3600 })),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/services/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "access_token": "new", "expires_in": 3600 })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(header("authorization", "Bearer old"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!([{ "errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid" }]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/services/data/v61.0/sobjects/Contact/003A"))
        .and(header("authorization", "Bearer new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "Id": "003A" })))
        .expect(2)
        .mount(&server)
        .await;
    let c = connectors(&salesforce_config(&server), &[host_of(&server)], &[]);
    for _ in 0..2 {
        let got = call(&c, ActionId::SalesforceGetObject, json!({ "object": "Contact", "id": "003A" }))
            .await
            .unwrap();
        assert_eq!(got.field("record").field("Id").as_str(), Some("003A"));
    }
}

#[tokio::test]
async fn salesforce_failures_name_the_error_code_and_choose_the_kind() {
    let server = MockServer::start().await;
    Mock::given(path("/services/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": "tok" })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!([{ "errorCode": "INVALID_FIELD", "message": "No such column 'Emial' on sobject of type Lead", "fields": [] }])))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!([{ "errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded." }]),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let c = connectors(&salesforce_config(&server), &[host_of(&server)], &[]);
    let f = failure(
        call(&c, ActionId::SalesforceCreateObject, json!({ "object": "Lead", "fields": { "Emial": "x" } }))
            .await,
    );
    assert_eq!((f.kind.as_str(), f.status, f.retryable()), ("http_status", Some(400), false));
    assert_eq!(
        f.message,
        "Salesforce answered HTTP 400 Bad Request: INVALID_FIELD: No such column 'Emial' on sobject of type Lead"
    );
    let f = failure(
        call(&c, ActionId::SalesforceUpdateObject, json!({ "object": "Lead", "id": "00Q1", "fields": {} }))
            .await,
    );
    assert_eq!((f.kind.as_str(), f.retryable()), ("rate_limited", true));
    let f = failure(call(&c, ActionId::SalesforceGetObject, json!({ "object": "Lead", "id": "00Q1" })).await);
    assert_eq!((f.kind.as_str(), f.status, f.retryable()), ("http_status", Some(503), true));
    let f = failure(
        call(&c, ActionId::SalesforceGetObject, json!({ "object": "Lead/../x", "id": "00Q1" })).await,
    );
    assert_eq!(f.kind, FailureKind::InvalidRequest);

    let refused = MockServer::start().await;
    Mock::given(path("/services/oauth2/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "error": "invalid_client", "error_description": "invalid client credentials" }),
        ))
        .mount(&refused)
        .await;
    let c = connectors(&salesforce_config(&refused), &[host_of(&refused)], &[]);
    let f = failure(call(&c, ActionId::SalesforceGetObject, json!({ "object": "Lead", "id": "00Q1" })).await);
    assert_eq!((f.kind.as_str(), f.retryable()), ("auth", false));
    assert_eq!(
        f.message,
        "Salesforce's token endpoint answered HTTP 400 Bad Request: invalid client credentials"
    );
}

// ---------------------------------------------------------------- Mailchimp

fn mailchimp_config(server: &MockServer) -> String {
    format!("[mailchimp]\napi_key_env = \"MC_KEY\"\nbase_url = \"{}\"\n", server.uri())
}

#[tokio::test]
async fn mailchimp_upserts_and_tags_the_member_by_the_hash_of_its_address() {
    let hash = komo::connectors::mailchimp::subscriber_hash("Ana@Example.com");
    assert_eq!(hash, komo::connectors::mailchimp::subscriber_hash("ana@example.com"));
    let server = MockServer::start().await;
    let member = format!("/3.0/lists/a1b2c3/members/{hash}");
    Mock::given(method("PUT"))
        .and(path(member.as_str()))
        .and(header("authorization", basic("komo", MC_KEY).as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({ "email_address": "Ana@Example.com", "status_if_new": "subscribed", "merge_fields": { "FNAME": "Ana" } })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": hash, "status": "subscribed" })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{member}/tags").as_str()))
        .and(header("authorization", basic("komo", MC_KEY).as_str()))
        .and(body_json(json!({ "tags": [{ "name": "vip", "status": "active" }, { "name": "quiz", "status": "active" }] })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let c = connectors(&mailchimp_config(&server), &[host_of(&server)], &[]);
    let out = call(&c, ActionId::MailchimpUpsertSubscriber, json!({ "list_id": "a1b2c3", "email": "Ana@Example.com", "status": "subscribed", "merge_fields": { "FNAME": "Ana" } }))
        .await
        .unwrap();
    assert_eq!(out.field("id").as_str(), Some(hash.as_str()));
    let out = call(
        &c,
        ActionId::MailchimpTagSubscriber,
        json!({ "list_id": "a1b2c3", "email": "Ana@Example.com", "tags": ["vip", "quiz"] }),
    )
    .await
    .unwrap();
    assert_eq!(out, Value::from_json(&json!({})));
}

#[tokio::test]
async fn mailchimp_rate_limits_carry_retry_after_and_client_errors_stop() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7").set_body_json(json!({ "title": "Too Many Requests", "detail": "You have exceeded the limit of 10 simultaneous connections." })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "title": "Member In Compliance State", "detail": "ana@example.com is in a compliance state.", "status": 400 })))
        .mount(&server)
        .await;
    let c = connectors(&mailchimp_config(&server), &[host_of(&server)], &[]);
    let upsert = json!({ "list_id": "a1b2c3", "email": "ana@example.com", "status": "subscribed" });
    let f = failure(call(&c, ActionId::MailchimpUpsertSubscriber, upsert.clone()).await);
    assert_eq!(
        (f.kind.as_str(), f.status, f.retry_after_ms, f.retryable()),
        ("rate_limited", Some(429), Some(7000), true)
    );
    let f = failure(call(&c, ActionId::MailchimpUpsertSubscriber, upsert).await);
    assert_eq!((f.kind.as_str(), f.retryable()), ("http_status", false));
    assert_eq!(
        f.message,
        "Mailchimp answered HTTP 400 Bad Request: Member In Compliance State: ana@example.com is in a compliance state."
    );
}

// ---------------------------------------------------------------- Braze

#[tokio::test]
async fn braze_tracks_attributes_with_the_external_id_and_a_bearer_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/users/track"))
        .and(header("authorization", format!("Bearer {BRAZE_KEY}").as_str()))
        .and(body_json(
            json!({ "attributes": [{ "external_id": "c_1", "last_offer": "save-10", "points": 40 }] }),
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({ "message": "success", "attributes_processed": 1 })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/users/track"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({ "message": "internal" })))
        .mount(&server)
        .await;
    let config = format!("[braze]\nbase_url = \"{}\"\napi_key_env = \"BRAZE_KEY\"\n", server.uri());
    let c = connectors(&config, &[host_of(&server)], &[]);
    let out = call(
        &c,
        ActionId::BrazeTrackUser,
        json!({ "external_id": "c_1", "attributes": { "last_offer": "save-10", "points": 40 } }),
    )
    .await
    .unwrap();
    assert_eq!(out, Value::from_json(&json!({})));
    let f =
        failure(call(&c, ActionId::BrazeTrackUser, json!({ "external_id": "c_2", "attributes": {} })).await);
    assert_eq!((f.kind.as_str(), f.status, f.retryable()), ("http_status", Some(500), true));
}

// ---------------------------------------------------------------- configuration

#[tokio::test]
async fn unconfigured_and_unusable_connectors_say_why() {
    let c = connectors("[mailchimp]\napi_key_env = \"UNSET_KEY\"\n", &[], &[]);
    assert_eq!(
        c.unavailable(ActionId::MailchimpUpsertSubscriber).unwrap(),
        "the Mailchimp connector ([connectors.mailchimp]) is not usable: the environment variable `UNSET_KEY` (`api_key_env`) is not set"
    );
    assert_eq!(
        c.unavailable(ActionId::BrazeTrackUser).unwrap(),
        "no Braze connector is configured (add [connectors.braze] to komo.toml)"
    );
    assert_eq!(c.unavailable(ActionId::HttpRequest), None);
    let f = failure(call(&c, ActionId::ContactSendSms, json!({ "message": "hi", "to": "+1" })).await);
    assert_eq!((f.kind.as_str(), f.retryable()), ("invalid_request", false));

    // A REST provider on loopback needs allow_hosts, like http.request.
    let server = MockServer::start().await;
    let config = format!("[braze]\nbase_url = \"{}\"\napi_key_env = \"BRAZE_KEY\"\n", server.uri());
    let c = connectors(&config, &[], &[]);
    let f =
        failure(call(&c, ActionId::BrazeTrackUser, json!({ "external_id": "c_1", "attributes": {} })).await);
    assert_eq!(f.kind, FailureKind::InvalidRequest);
    assert!(f.message.contains("allow it in komo.toml [http] allow_hosts"), "{}", f.message);
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ---------------------------------------------------------------- TLS and timeouts

#[tokio::test]
async fn starttls_is_never_downgraded_to_plain() {
    // The sink offers no STARTTLS: a connector told to use it must not send in clear.
    let sink = SmtpSink::start(Behaviour::default()).await;
    let config = format!(
        "[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"starttls\"\nfrom = \"a@acme.example\"\n",
        sink.addr.port()
    );
    let c = connectors(&config, &[sink.addr.to_string()], &[("welcome.html", WELCOME_HTML)]);
    let f = failure(
        call(
            &c,
            ActionId::ContactSendEmail,
            json!({ "template": "welcome", "to": "a@example.com", "data": { "code": "A" } }),
        )
        .await,
    );
    assert_eq!(f.kind, FailureKind::Error, "{f:?}");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn silent_servers_time_out() {
    // An SMTP server that accepts the connection and never greets.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let config = format!(
        "[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"a@acme.example\"\ntimeout_ms = 300\n",
        addr.port()
    );
    let c = connectors(&config, &[addr.to_string()], &[("welcome.html", WELCOME_HTML)]);
    let args = args(json!({ "template": "welcome", "to": "a@example.com", "data": { "code": "A" } }));
    let request = ActionRequest {
        run_id: "run_1",
        step: "step_1",
        action: ActionId::ContactSendEmail,
        args: &args,
        attempt: 1,
        idempotency_key: "run_1:step_1",
        timeout_ms: None,
    };
    let event = Value::from_json(&json!({ "source": "signup-form" }));
    let (contact, secret) = (contact(), |_: &str| None);
    let f =
        failure(c.perform(&request, CallContext { contact: &contact, event: &event, secret: &secret }).await);
    assert_eq!((f.kind.as_str(), f.retryable()), ("timeout", true), "{f:?}");

    // A REST provider that answers too late, with the step's own timeout.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(std::time::Duration::from_secs(5)))
        .mount(&server)
        .await;
    let config = format!("[braze]\nbase_url = \"{}\"\napi_key_env = \"BRAZE_KEY\"\n", server.uri());
    let c = connectors(&config, &[host_of(&server)], &[]);
    let args = self::args(json!({ "external_id": "c_1", "attributes": {} }));
    let request =
        ActionRequest { action: ActionId::BrazeTrackUser, args: &args, timeout_ms: Some(200), ..request };
    let f =
        failure(c.perform(&request, CallContext { contact: &contact, event: &event, secret: &secret }).await);
    assert_eq!((f.kind.as_str(), f.message.as_str()), ("timeout", "Braze did not answer within 200ms"));
}

#[tokio::test]
async fn starttls_upgrades_and_verifies_the_server_certificate() {
    use tokio_rustls::rustls::{self, ServerConfig, pki_types::PrivatePkcs8KeyDer};
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = PrivatePkcs8KeyDer::from(issued.signing_key.serialize_der());
    let tls = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![issued.cert.der().clone()], key.into())
        .unwrap();
    let sink = SmtpSink::start(Behaviour {
        credentials: Some(("mailer".into(), SMTP_PASSWORD.into())),
        tls: Some(Arc::new(tls)),
        ..Behaviour::default()
    })
    .await;
    let config: ConnectorsConfig = toml::from_str(&format!(
        "[email]\nsmtp_host = \"localhost\"\nsmtp_port = {}\ntls = \"starttls\"\nfrom = \"a@acme.example\"\nusername_env = \"SMTP_USER\"\npassword_env = \"SMTP_PASSWORD\"\nca_file = \"relay-ca.pem\"\n",
        sink.addr.port()
    ))
    .unwrap();
    let allow = [format!("localhost:{}", sink.addr.port())];
    let templates = || Templates::new([("welcome.html".to_string(), WELCOME_HTML.to_string())].into());
    let send = json!({ "template": "welcome", "to": "a@example.com", "data": { "code": "TLS" } });

    // Trusting the sink's certificate: the session is upgraded before AUTH and DATA.
    let files = ProjectFiles { templates: templates(), smtp_ca_pem: Some(issued.cert.pem().into_bytes()) };
    let c = Connectors::new(&config, &allow, files, &env);
    call(&c, ActionId::ContactSendEmail, send.clone()).await.unwrap();
    let got = sink.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].encrypted, "the message went over TLS");
    assert_eq!(got[0].auth, Some(("mailer".to_string(), SMTP_PASSWORD.to_string())));

    // Without the certificate the server is not trusted and nothing is sent.
    let mut untrusted = config.clone();
    untrusted.email.as_mut().unwrap().ca_file = None;
    let c =
        Connectors::new(&untrusted, &allow, ProjectFiles { templates: templates(), smtp_ca_pem: None }, &env);
    let f = failure(call(&c, ActionId::ContactSendEmail, send).await);
    assert_eq!(f.kind, FailureKind::Error, "{f:?}");
    assert!(f.message.contains("TLS") || f.message.contains("certificate"), "{}", f.message);
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn braze_errors_inside_a_success_fail_the_step() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/users/track"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "message": "success",
            "attributes_processed": 0,
            "errors": [{ "type": "'external_id' or 'braze_id' or 'user_alias' is required", "input_array": "attributes", "index": 0 }]
        })))
        .mount(&server)
        .await;
    let config = format!("[braze]\nbase_url = \"{}\"\napi_key_env = \"BRAZE_KEY\"\n", server.uri());
    let c = connectors(&config, &[host_of(&server)], &[]);
    let f = failure(
        call(&c, ActionId::BrazeTrackUser, json!({ "external_id": "c_1", "attributes": { "a": 1 } })).await,
    );
    assert_eq!((f.kind.as_str(), f.retryable()), ("invalid_request", false));
    assert_eq!(f.message, "Braze processed nothing: 'external_id' or 'braze_id' or 'user_alias' is required");
}

#[test]
fn no_secret_shows_in_the_connectors_debug_form() {
    let config = "[email]\nsmtp_host = \"smtp.acme.example\"\nfrom = \"a@acme.example\"\nusername_env = \"SMTP_USER\"\npassword_env = \"SMTP_PASSWORD\"\n\n\
                  [sms]\naccount_sid_env = \"SMS_SID\"\nauth_token_env = \"SMS_TOKEN\"\nfrom = \"+15550100\"\n\n\
                  [salesforce]\ninstance_url = \"https://acme.my.salesforce.com\"\nclient_id_env = \"SF_ID\"\nclient_secret_env = \"SF_SECRET\"\n\n\
                  [mailchimp]\napi_key_env = \"MC_KEY\"\n\n\
                  [braze]\nbase_url = \"https://rest.iad-01.braze.com\"\napi_key_env = \"BRAZE_KEY\"\n";
    let c = connectors(config, &[], &[]);
    for action in [
        ActionId::ContactSendEmail,
        ActionId::ContactSendSms,
        ActionId::SalesforceGetObject,
        ActionId::MailchimpTagSubscriber,
        ActionId::BrazeTrackUser,
    ] {
        assert_eq!(c.unavailable(action), None, "{action}");
    }
    let debug = format!("{c:?}");
    for secret in [SMTP_PASSWORD, TWILIO_TOKEN, SF_SECRET, MC_KEY, BRAZE_KEY] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(debug.contains("[redacted]"));
}

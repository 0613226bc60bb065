//! The public example workflows (`../shared/examples/*.komo`) run end to end on the real
//! binary: `examples/demo/run-public-examples.sh` makes a project of the demo's
//! `komo.toml` and templates with the examples as workflows, starts `stand-ins.py` (an
//! SMTP sink and the providers' HTTP endpoints) and `komo serve`, activates every
//! workflow, posts `examples/demo/public-events/*.json` and waits for the runs. This
//! test asserts that every workflow activated and ran to `succeeded`, and what the
//! stand-ins received: the emails over SMTP, the connectors' and `http.request`'s calls
//! (the latter through `[http] stand_ins`, with the original `Host`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn json_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn every_public_example_activates_and_runs_to_success_against_the_stand_ins() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let examples = root.join("../shared/examples");
    if !examples.is_dir() {
        eprintln!("skipped: {} is absent (CI always has it)", examples.display());
        return;
    }
    let mut workflows = BTreeSet::new();
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "komo") {
            let text = std::fs::read_to_string(&path).unwrap();
            workflows.extend(komo::engine::project::split_workflows(&text).into_iter().map(|(name, _)| name));
        }
    }
    assert!(workflows.len() >= 6, "{workflows:?}");
    let results = common::scratch("demo_public_examples", "results");

    let output = Command::new("bash")
        .arg(root.join("examples/demo/run-public-examples.sh"))
        .arg(&examples)
        .env("KOMO_BIN", env!("CARGO_BIN_EXE_komo"))
        .env("RESULTS_DIR", &results)
        .env_remove("KEEP")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the script failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(stdout.contains("all public examples activated and every run succeeded"), "{stdout}");
    assert!(!stdout.contains("REFUSED") && !stdout.contains("NO RUN"), "{stdout}");

    // Every workflow activated and has runs, all succeeded.
    let runs: Vec<(&str, &str)> = stdout
        .lines()
        .filter(|l| l.starts_with("run_"))
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            (fields[1], fields[2])
        })
        .collect();
    for wf in &workflows {
        assert!(stdout.contains(&format!("activated {wf}\n")), "{wf} not activated\n{stdout}");
        assert!(runs.iter().any(|(name, _)| name == wf), "no run of {wf}\n{stdout}");
    }
    assert!(runs.iter().all(|(_, status)| *status == "succeeded"), "{runs:?}");
    // One run per sample event, plus `welcome_new_contacts` for each event that creates
    // its contact (the engine raises `Contact.Identified` for it): five of the seven.
    let events = std::fs::read_dir(root.join("examples/demo/public-events")).unwrap().count();
    let welcomed =
        stdout.lines().filter(|l| l.contains(".json: ") && l.ends_with(", welcome_new_contacts")).count();
    assert_eq!(welcomed, 5, "{stdout}");
    assert_eq!(runs.len(), events + welcomed, "one run per sample event and per new contact\n{stdout}");
    assert!(stdout.contains("fast-forwarding"), "the waits were fast-forwarded\n{stdout}");

    // The SMTP sink got every email, rendered from the demo's templates.
    let mail = json_lines(&results.join("mail.jsonl"));
    let sent: BTreeSet<(String, String)> = mail
        .iter()
        .map(|m| (m["to"][0].as_str().unwrap().to_string(), m["subject"].as_str().unwrap().to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("ana@example.com", "Welcome, Ana!"),
        ("kim@example.com", "Still interested, Kim?"),
        ("lee@example.com", "Welcome to Gold"),
        ("sam@example.com", "How was Summer Fest?"),
        ("sam@example.com", "Thanks for coming!"),
        ("max@example.com", "You won Gift Card $50!"),
        // The welcome of each contact the sample events create (`Contact.Identified`
        // raised by the engine), by first name when the event gave one.
        ("jo@example.com", "Welcome, friend!"),
        ("kim@example.com", "Welcome, Kim!"),
        ("lee@example.com", "Welcome, friend!"),
        ("max@example.com", "Welcome, friend!"),
        ("sam@example.com", "Welcome, friend!"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(sent, expected);
    assert_eq!(mail.len(), expected.len());
    let gold = mail.iter().find(|m| m["subject"] == "Welcome to Gold").unwrap();
    assert!(gold["data"].as_str().unwrap().contains("With 1200 points"), "{gold}");
    let nudge = mail.iter().find(|m| m["subject"] == "Still interested, Kim?").unwrap();
    assert!(
        nudge["data"].as_str().unwrap().contains("Reference: 00Q"),
        "the lead id from the stand-in\n{nudge}"
    );
    assert!(mail.iter().all(|m| m["from"] == "demo@komo.example"));

    // The HTTP stand-in got the connectors' calls and the examples' webhooks.
    let http = json_lines(&results.join("http.jsonl"));
    let calls: Vec<(String, String, String)> = http
        .iter()
        .map(|r| {
            let host = r["host"].as_str().unwrap();
            let host = if host.starts_with("127.0.0.1:") { "stand-in" } else { host };
            (
                r["method"].as_str().unwrap().to_string(),
                host.to_string(),
                r["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |method: &str, host: &str, path: &str| {
        calls.iter().any(|(m, h, p)| m == method && h == host && p.starts_with(path))
    };
    assert!(has("POST", "stand-in", "/services/oauth2/token"), "{calls:?}");
    assert!(has("POST", "stand-in", "/services/data/v60.0/sobjects/Lead/"), "{calls:?}");
    assert!(has("PUT", "stand-in", "/3.0/lists/a1b2c3d4e5/members/"), "{calls:?}");
    assert!(has("POST", "stand-in", "/2010-04-01/Accounts/ACdemo/Messages.json"), "{calls:?}");
    assert!(has("POST", "hooks.sponsor-a.example.com", "/leads"), "{calls:?}");
    assert!(has("POST", "hooks.example.com", "/leads"), "{calls:?}");
    assert!(has("POST", "api.example.com", "/winners"), "{calls:?}");
    assert!(
        !calls.iter().any(|(_, host, _)| host == "ops.example.com"),
        "no alert: nothing failed\n{calls:?}"
    );
    let lead = http.iter().find(|r| r["path"] == "/services/data/v60.0/sobjects/Lead/").unwrap();
    assert_eq!(lead["body"]["Email"], "kim@example.com");
    assert_eq!(lead["body"]["LeadSource"], "Komo Spring Promo");
    let winner = http.iter().find(|r| r["path"] == "/winners").unwrap();
    assert_eq!(winner["body"]["prize"], "p1");
    assert!(winner["headers"]["idempotency-key"].as_str().is_some_and(|k| !k.is_empty()), "{winner}");
    let sms = http.iter().find(|r| r["path"].as_str().unwrap().ends_with("Messages.json")).unwrap();
    assert!(sms["body"].as_str().unwrap().contains("To=%2B61400111222"), "{sms}");

    // The server logged each stand-in use at debug, and no dummy secret anywhere.
    let log = std::fs::read_to_string(results.join("serve.log")).unwrap();
    assert!(log.contains("sent to its stand-in") && log.contains("origin=https://api.example.com"), "{log}");
    for secret in ["demo-sponsor-token", "demo-secret", "demo-sms-token", "demo-key-us1", "demo-braze-key"] {
        assert!(!log.contains(secret), "{secret} in the server's log");
        assert!(!stdout.contains(secret), "{secret} in the script's output");
        assert!(!http.iter().any(|r| r.to_string().contains(secret)), "{secret} in the stand-in's log");
    }
}

/// `stand-ins.py` on free ports, its logs in `dir`; killed on drop.
struct StandIns {
    child: std::process::Child,
    smtp: u16,
    http: u16,
}

impl StandIns {
    fn start(dir: &Path) -> StandIns {
        use std::io::{BufRead, BufReader};
        let ports: Vec<u16> = (0..2)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port())
            .collect();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo/stand-ins.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--smtp-port", &ports[0].to_string(), "--http-port", &ports[1].to_string()])
            .arg("--mail-log")
            .arg(dir.join("mail.jsonl"))
            .arg("--http-log")
            .arg(dir.join("http.jsonl"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(lines.any(|l| l.unwrap() == "ready"), "stand-ins.py did not start");
        // Keep reading its output so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        StandIns { child, smtp: ports[0], http: ports[1] }
    }
}

impl Drop for StandIns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_stand_ins_answer_every_connector_as_its_provider_does() {
    use komo::connectors::template::Templates;
    use komo::connectors::{CallContext, Connectors, ProjectFiles};
    use komo::runtime::host::ActionRequest;
    use komo::runtime::value::Value as KValue;

    let dir = common::scratch("demo_public_examples", "connectors");
    let stand_ins = StandIns::start(&dir);
    let base = format!("http://127.0.0.1:{}", stand_ins.http);
    let config: komo::connectors::config::ConnectorsConfig = toml::from_str(&format!(
        "[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"Demo <demo@komo.example>\"\n\
         username_env = \"USER\"\npassword_env = \"PASS\"\n\
         [sms]\nbase_url = \"{base}\"\naccount_sid_env = \"USER\"\nauth_token_env = \"PASS\"\nfrom = \"+15550100\"\n\
         [salesforce]\ninstance_url = \"{base}\"\nclient_id_env = \"USER\"\nclient_secret_env = \"PASS\"\n\
         [mailchimp]\napi_key_env = \"PASS\"\nbase_url = \"{base}\"\n\
         [braze]\nbase_url = \"{base}\"\napi_key_env = \"PASS\"\n",
        stand_ins.smtp
    ))
    .unwrap();
    let env = |name: &str| match name {
        "USER" => Some("demo-user".to_string()),
        "PASS" => Some("demo-pass-Xy1".to_string()),
        _ => None,
    };
    let templates =
        Templates::new([("hi.html".to_string(), "<p>Hi {{ contact.first_name }}</p>".to_string())].into());
    let allow = [format!("127.0.0.1:{}", stand_ins.smtp), format!("127.0.0.1:{}", stand_ins.http)];
    let connectors = Connectors::new(&config, &allow, ProjectFiles { templates, smtp_ca_pem: None }, &env);
    let contact = KValue::from_json(
        &serde_json::json!({ "id": "c_1", "first_name": "Ana", "email": "ana@example.com" }),
    );
    let event = KValue::from_json(&serde_json::json!({}));
    let secret = |_: &str| None;
    let call = |action: &'static str, fields: serde_json::Value| {
        let (connectors, contact, event) = (&connectors, &contact, &event);
        async move {
            let KValue::Record(args) = KValue::from_json(&fields) else { panic!("not a record") };
            let request = ActionRequest {
                run_id: "run_1",
                step: action,
                action: action.parse().expect("an action of the catalog"),
                args: &args,
                attempt: 1,
                idempotency_key: "run_1:step",
                timeout_ms: Some(10_000),
            };
            let context = CallContext { contact, event, secret: &secret };
            let out = connectors.perform(&request, context).await;
            out.unwrap_or_else(|f| panic!("{action}: {f:?}")).to_json()
        }
    };

    let mail = call(
        "contact.send_email",
        serde_json::json!({ "template": "hi", "to": "ana@example.com", "subject": "Hello" }),
    )
    .await;
    assert!(mail["message_id"].as_str().unwrap().ends_with("@komo.example>"), "{mail}");
    let sms = call("contact.send_sms", serde_json::json!({ "message": "Hi", "to": "+15550123" })).await;
    assert!(sms["message_id"].as_str().unwrap().starts_with("SM"), "{sms}");
    let created = call(
        "salesforce.create_object",
        serde_json::json!({ "object": "Lead", "fields": { "LastName": "Lee" } }),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    let updated = call(
        "salesforce.update_object",
        serde_json::json!({ "object": "Lead", "id": id, "fields": { "Company": "Acme" } }),
    )
    .await;
    assert_eq!(updated, serde_json::json!({}));
    let got = call("salesforce.get_object", serde_json::json!({ "object": "Lead", "id": id })).await;
    assert_eq!(got["record"]["Id"], serde_json::json!(id));
    let member = call(
        "mailchimp.upsert_subscriber",
        serde_json::json!({ "list_id": "a1b2c3d4e5", "email": "Ana@Example.com", "merge_fields": { "FNAME": "Ana" } }),
    )
    .await;
    // The member is addressed by the MD5 of the lower-cased address, which the stand-in
    // answers as its id.
    assert_eq!(member["id"], "cdb9d6a1dddc375a09cc83e3001598dc");
    let tagged = call(
        "mailchimp.tag_subscriber",
        serde_json::json!({ "list_id": "a1b2c3d4e5", "email": "ana@example.com", "tags": ["vip"] }),
    )
    .await;
    assert_eq!(tagged, serde_json::json!({}));
    let braze = call(
        "braze.track_user",
        serde_json::json!({ "external_id": "c_1", "attributes": { "tier": "Gold" } }),
    )
    .await;
    assert_eq!(braze, serde_json::json!({}));

    let mails = json_lines(&dir.join("mail.jsonl"));
    assert_eq!(mails.len(), 1);
    assert!(
        matches!(mails[0]["auth"].as_str(), Some("PLAIN" | "LOGIN")),
        "the client authenticated: {}",
        mails[0]
    );
    assert_eq!(
        (&mails[0]["to"][0], &mails[0]["subject"]),
        (&serde_json::json!("ana@example.com"), &serde_json::json!("Hello"))
    );
    let http = json_lines(&dir.join("http.jsonl"));
    let lines: Vec<String> = http
        .iter()
        .map(|r| format!("{} {} {}", r["method"].as_str().unwrap(), r["path"].as_str().unwrap(), r["status"]))
        .collect();
    assert_eq!(lines.len(), 8, "{lines:#?}");
    for expected in [
        "POST /2010-04-01/Accounts/demo-user/Messages.json 201",
        "POST /services/oauth2/token 200",
        "POST /services/data/v60.0/sobjects/Lead/ 201",
        "PATCH /services/data/v60.0/sobjects/Lead/",
        "GET /services/data/v60.0/sobjects/Lead/",
        "POST /3.0/lists/a1b2c3d4e5/members/",
        "POST /users/track 201",
    ] {
        assert!(lines.iter().any(|l| l.starts_with(expected)), "{expected} not in {lines:#?}");
    }
    assert!(
        !http.iter().any(|r| r.to_string().contains("demo-pass-Xy1")),
        "a credential in the stand-in's log"
    );
}

//! Connectors through the real binary: `komo serve` sending an email to an SMTP sink and
//! a Mailchimp upsert to a wiremock server for an ingested event; activation with and
//! without the connectors configured; `komo run --live-connectors` retrying what is
//! retryable (5xx, 429 with `Retry-After`) and stopping on a 4xx; and a secret canary:
//! a run failing inside every connector, with debug logging, leaves no trace of any
//! secret in the logs, the run records, the API's answers or the store file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::eventually;
use common::smtp::{Behaviour, SmtpSink};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const WELCOME_HTML: &str = "{% set subject = 'Welcome, ' ~ contact.first_name %}<p>Hi {{ contact.first_name }}, use {{ data.code }}.</p>\n";

const WELCOME: &str = r#"
workflow welcome_mail {
  scope workspace
  trigger Contact.Identified
  if contact.email != null {
    step mail = contact.send_email(template: "welcome", data: { code: "WELCOME10" }) retry 2 backoff 100ms
  }
  if contact.email != null {
    step sub = mailchimp.upsert_subscriber(list_id: "a1b2c3", merge_fields: { FNAME: contact.first_name ?? "" })
      retry 3 backoff 100ms
  }
}
"#;

fn event(id: &str) -> Value {
    json!({
        "id": id,
        "type": "Contact.Identified",
        "occurred_at": "2026-11-29T09:00:00Z",
        "contact": { "email": "Ana@Example.com", "first_name": "Ana", "phone": "+15550123" },
        "data": { "source": "signup-form" }
    })
}

/// A project: `komo.toml` (the given text after `[workspace]`), workflows, templates.
fn project(test: &str, config: &str, workflow: &str) -> PathBuf {
    let dir = common::project("connectors_engine", test, "acme", &[("main.komo", workflow)]);
    common::write(&dir, "komo.toml", format!("[workspace]\nid = \"acme\"\n\n{config}"));
    common::write(&dir, "templates/welcome.html", WELCOME_HTML);
    common::write(&dir, "templates/welcome.txt", "Hi {{ contact.first_name }}, use {{ data.code }}.\n");
    dir
}

/// A running `komo serve`, killed when dropped, with every stderr line kept.
struct Serve {
    child: Child,
    address: String,
    key: String,
    log: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(dir: &Path, env: &[(&str, &str)], rust_log: &str) -> Serve {
        let created = common::komo(dir, &["keys", "create"]);
        assert_eq!(created.status.code(), Some(0), "{}", common::stderr(&created));
        let key = common::stdout(&created).trim().to_string();
        let mut command = common::komo_command(dir, &["serve", "--listen", "127.0.0.1:0"]);
        command.env("RUST_LOG", rust_log).stdout(Stdio::null()).stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("komo serve: listening on http://") {
                    let _ = tx.send(rest.split(' ').next().unwrap_or_default().to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let address = rx.recv_timeout(Duration::from_secs(60)).expect("the listening line");
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Serve { child, address, key, log, http }
    }

    async fn send(&self, method: reqwest::Method, uri: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request =
            self.http.request(method, format!("http://{}{uri}", self.address)).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn post(&self, uri: &str, body: Option<&Value>) -> (u16, Value) {
        self.send(reqwest::Method::POST, uri, body).await
    }

    async fn get(&self, uri: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, uri, None).await
    }

    /// The run record once the run has finished.
    async fn finished(&self, id: &str) -> Value {
        eventually(&format!("run {id} finished"), async || {
            let (status, record) = self.get(&format!("/v1/runs/{id}")).await;
            assert_eq!(status, 200, "{record}");
            let done = matches!(record["status"].as_str(), Some("succeeded" | "failed"));
            if done { Ok(record) } else { Err(record) }
        })
        .await
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

fn email_table(sink: &SmtpSink) -> String {
    format!(
        "[connectors.email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"Acme <noreply@acme.example>\"\nusername_env = \"KOMO_T_SMTP_USER\"\npassword_env = \"KOMO_T_SMTP_PASSWORD\"\n",
        sink.addr.port()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_sends_a_real_email_and_a_mailchimp_upsert() {
    let sink = SmtpSink::start(Behaviour {
        credentials: Some(("mailer".into(), "smtp-secret".into())),
        ..Behaviour::default()
    })
    .await;
    let mailchimp = MockServer::start().await;
    let hash = komo::connectors::mailchimp::subscriber_hash("ana@example.com");
    Mock::given(method("PUT"))
        .and(path(format!("/3.0/lists/a1b2c3/members/{hash}").as_str()))
        .and(header("authorization", "Basic a29tbzpta2V5LXVzMjE="))
        .and(body_json(json!({ "email_address": "Ana@Example.com", "status_if_new": "subscribed", "merge_fields": { "FNAME": "Ana" } })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": hash, "status": "subscribed" })))
        .expect(1)
        .mount(&mailchimp)
        .await;
    let config = format!(
        "{}\n[connectors.mailchimp]\napi_key_env = \"KOMO_T_MC_KEY\"\nbase_url = \"{}\"\n\n[http]\nallow_hosts = [\"{}\", \"{}\"]\n",
        email_table(&sink),
        mailchimp.uri(),
        sink.addr,
        mailchimp.address()
    );
    let dir = project("end_to_end", &config, WELCOME);
    let env = [
        ("KOMO_T_SMTP_USER", "mailer"),
        ("KOMO_T_SMTP_PASSWORD", "smtp-secret"),
        ("KOMO_T_MC_KEY", "mkey-us21"),
    ];
    let serve = Serve::start(&dir, &env, "info");

    let (status, body) = serve.post("/v1/workflows/welcome_mail/activate", None).await;
    assert_eq!(status, 200, "{body}");
    let (status, answer) = serve.post("/v1/events", Some(&event("evt_1"))).await;
    assert_eq!(status, 202, "{answer}");
    let run = answer["runs"][0]["id"].as_str().unwrap().to_string();
    let record = serve.finished(&run).await;
    assert_eq!(record["status"], "succeeded", "{record:#}\n{}", serve.log());

    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.rcpt_to, ["Ana@Example.com"]);
    assert_eq!(mail.auth, Some(("mailer".to_string(), "smtp-secret".to_string())));
    assert_eq!(mail.header("Subject").as_deref(), Some("Welcome, Ana"));
    assert!(mail.data.contains("<p>Hi Ana, use WELCOME10.</p>"), "{}", mail.data);

    let steps = record["steps"].as_array().unwrap();
    let step = |name: &str| steps.iter().find(|s| s["name"] == name).unwrap().clone();
    let (sent, subscribed) = (step("mail"), step("sub"));
    assert_eq!((sent["status"].as_str(), sent["attempts"].as_u64()), (Some("succeeded"), Some(1)));
    assert_eq!(mail.header("Message-ID").as_deref(), sent["output"]["message_id"].as_str());
    assert_eq!(subscribed["status"], "succeeded");
    assert_eq!(subscribed["output"], json!({ "id": hash }));
    assert_eq!(mailchimp.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_needs_the_connectors_configured_and_usable() {
    let dir = project("activation", "", WELCOME);
    let serve = Serve::start(&dir, &[], "info");
    let (status, body) = serve.post("/v1/workflows/welcome_mail/activate", None).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["error"],
        "step `mail` uses `contact.send_email`: no email connector is configured (add [connectors.email] to komo.toml)"
    );
    drop(serve);

    let sink = SmtpSink::start(Behaviour::default()).await;
    let config =
        format!("{}\n[connectors.mailchimp]\napi_key_env = \"KOMO_T_UNSET_KEY\"\n", email_table(&sink));
    let dir = project("activation_unusable", &config, WELCOME);
    let env = [("KOMO_T_SMTP_USER", "u"), ("KOMO_T_SMTP_PASSWORD", "p")];
    let serve = Serve::start(&dir, &env, "info");
    let (status, body) = serve.post("/v1/workflows/welcome_mail/activate", None).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["error"],
        "step `sub` uses `mailchimp.upsert_subscriber`: the Mailchimp connector ([connectors.mailchimp]) is not usable: the environment variable `KOMO_T_UNSET_KEY` (`api_key_env`) is not set"
    );
    assert!(serve.log().contains("connector not usable"), "{}", serve.log());
}

// ---------------------------------------------------------------- komo run --live-connectors

const SUBSCRIBE: &str = r#"
workflow subscribe {
  scope workspace
  trigger Contact.Identified
  if contact.email != null {
    step sub = mailchimp.upsert_subscriber(list_id: "a1b2c3") retry 3 backoff 100ms
  }
}
"#;

/// `komo run main.komo --event event.json --live-connectors --format json` in `dir`.
async fn live_run(dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, Value, String) {
    common::write(dir, "event.json", event("evt_live").to_string());
    let dir = dir.to_path_buf();
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let output = tokio::task::spawn_blocking(move || {
        let mut command = common::komo_command(
            &dir,
            &["run", "workflows/main.komo", "--event", "event.json", "--live-connectors", "--format", "json"],
        );
        command.envs(env);
        command.output().unwrap()
    })
    .await
    .unwrap();
    let record = serde_json::from_str(&common::stdout(&output)).unwrap_or(Value::Null);
    (output.status.code(), record, common::stderr(&output))
}

fn mailchimp_project(test: &str, server: &MockServer) -> PathBuf {
    let config = format!(
        "[connectors.mailchimp]\napi_key_env = \"KOMO_T_MC_KEY\"\nbase_url = \"{}\"\n\n[http]\nallow_hosts = [\"{}\"]\n",
        server.uri(),
        server.address()
    );
    project(test, &config, SUBSCRIBE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_runs_retry_server_errors_and_rate_limits_then_succeed() {
    let server = MockServer::start().await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "abc" })))
        .mount(&server)
        .await;
    let dir = mailchimp_project("live_retry", &server);
    let (code, record, stderr) = live_run(&dir, &[("KOMO_T_MC_KEY", "k-us21")]).await;
    assert_eq!(code, Some(0), "{stderr}\n{record:#}");
    let step = &record["steps"][0];
    assert_eq!(
        (step["status"].as_str(), step["attempts"].as_u64()),
        (Some("succeeded"), Some(3)),
        "{record:#}"
    );
    assert_eq!(step["output"], json!({ "id": "abc" }));
    // The first retry waited the backoff (100 ms, plus at most 10% jitter); the second
    // the 1 s the provider asked for, not the doubled backoff (200 ms).
    let delays: Vec<i64> = record["waits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "retry")
        .map(|w| {
            let at = |f: &str| w[f].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_millisecond();
            at("until") - at("started_at")
        })
        .collect();
    assert_eq!(delays.len(), 2, "{record:#}");
    assert!((100..=110).contains(&delays[0]), "{delays:?}");
    assert!((1000..=1100).contains(&delays[1]), "{delays:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_runs_stop_on_a_client_error() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "title": "Invalid Resource", "detail": "Please provide a valid email address." }),
        ))
        .mount(&server)
        .await;
    let dir = mailchimp_project("live_stop", &server);
    let (code, record, stderr) = live_run(&dir, &[("KOMO_T_MC_KEY", "k-us21")]).await;
    assert_eq!(code, Some(1), "{stderr}\n{record:#}");
    let step = &record["steps"][0];
    assert_eq!((step["status"].as_str(), step["attempts"].as_u64()), (Some("failed"), Some(1)), "{record:#}");
    assert_eq!(step["error"]["kind"], "http_status");
    assert_eq!(step["error"]["status"], 400);
    assert_eq!(
        step["error"]["message"],
        "Mailchimp answered HTTP 400 Bad Request: Invalid Resource: Please provide a valid email address."
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    // Without the flag nothing is sent.
    common::write(&dir, "event.json", event("evt_sandbox").to_string());
    let output = common::komo(&dir, &["run", "workflows/main.komo", "--event", "event.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

// ---------------------------------------------------------------- secret canary

const CANARIES: [(&str, &str); 7] = [
    ("KOMO_C_SMTP_USER", "canary-smtp-user-4f1d"),
    ("KOMO_C_SMTP_PASSWORD", "canary-smtp-password-8e2b"),
    ("KOMO_C_SMS_SID", "ACcanarysid9c3a"),
    ("KOMO_C_SMS_TOKEN", "canary-sms-token-7d4e"),
    ("KOMO_C_SF_SECRET", "canary-sf-secret-2b6f"),
    ("KOMO_C_MC_KEY", "canary-mc-key-5a9c-us21"),
    ("KOMO_C_BRAZE_KEY", "canary-braze-key-1e8d"),
];

const EVERYTHING_FAILS: &str = r#"
workflow everything_fails {
  scope workspace
  trigger Contact.Identified
  if contact.email != null {
    contact.send_email(template: "welcome", subject: "Hi", data: { code: "C" }) on failure continue
  }
  if contact.phone != null {
    contact.send_sms("hello") on failure continue
  }
  salesforce.create_object("Lead", { LastName: "Doe" }) on failure continue
  if contact.email != null {
    mailchimp.upsert_subscriber(list_id: "a1b2c3") on failure continue
  }
  braze.track_user({ plan: "gold" }) on failure continue
  fail "all connectors were tried"
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_failing_in_every_connector_leaves_no_secret_anywhere() {
    // Every provider refuses, and each quotes the credentials it was sent back in its
    // error, as a careless provider might: the connectors must scrub them.
    let value = |name: &str| CANARIES.iter().find(|(n, _)| *n == name).unwrap().1;
    let sink = SmtpSink::start(Behaviour {
        credentials: Some(("someone-else".into(), "other".into())),
        ..Behaviour::default()
    })
    .await;
    let api = MockServer::start().await;
    let echo = CANARIES.iter().map(|(_, v)| *v).collect::<Vec<_>>().join(" ");
    Mock::given(path("/services/oauth2/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "error": "invalid_client", "error_description": format!("bad client {echo}") }),
        ))
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{}/Messages.json", value("KOMO_C_SMS_SID")).as_str()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({ "code": 20003, "message": format!("Authenticate {echo}") })),
        )
        .mount(&api)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({ "title": "API Key Invalid", "detail": format!("Your API key may be invalid: {echo}") }),
        ))
        .mount(&api)
        .await;
    Mock::given(path("/users/track"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({ "message": format!("Invalid API key: {echo}") })),
        )
        .mount(&api)
        .await;
    let config = format!(
        "[connectors.email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\ntls = \"none\"\nfrom = \"Acme <noreply@acme.example>\"\nusername_env = \"KOMO_C_SMTP_USER\"\npassword_env = \"KOMO_C_SMTP_PASSWORD\"\n\n\
         [connectors.sms]\nbase_url = \"{uri}\"\naccount_sid_env = \"KOMO_C_SMS_SID\"\nauth_token_env = \"KOMO_C_SMS_TOKEN\"\nfrom = \"+15550100\"\n\n\
         [connectors.salesforce]\ninstance_url = \"{uri}\"\nclient_id_env = \"KOMO_C_SF_ID\"\nclient_secret_env = \"KOMO_C_SF_SECRET\"\n\n\
         [connectors.mailchimp]\napi_key_env = \"KOMO_C_MC_KEY\"\nbase_url = \"{uri}\"\n\n\
         [connectors.braze]\nbase_url = \"{uri}\"\napi_key_env = \"KOMO_C_BRAZE_KEY\"\n\n\
         [http]\nallow_hosts = [\"{smtp}\", \"{api}\"]\n",
        port = sink.addr.port(),
        uri = api.uri(),
        smtp = sink.addr,
        api = api.address(),
    );
    let dir = project("canary", &config, EVERYTHING_FAILS);
    let mut env: Vec<(&str, &str)> = CANARIES.to_vec();
    env.push(("KOMO_C_SF_ID", "sf-client-id"));
    let serve = Serve::start(&dir, &env, "debug");

    let (status, body) = serve.post("/v1/workflows/everything_fails/activate", None).await;
    assert_eq!(status, 200, "{body}");
    let (status, answer) = serve.post("/v1/events", Some(&event("evt_canary"))).await;
    assert_eq!(status, 202, "{answer}");
    let run = answer["runs"][0]["id"].as_str().unwrap().to_string();
    let record = serve.finished(&run).await;
    assert_eq!(record["status"], "failed", "{record:#}");

    // Each connector was really reached and failed with its own kind.
    let kinds: Vec<(String, String)> = record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap_or_default().to_string(),
                s["error"]["kind"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("contact.send_email", "auth"),
        ("contact.send_sms", "auth"),
        ("salesforce.create_object", "auth"),
        ("mailchimp.upsert_subscriber", "auth"),
        ("braze.track_user", "auth"),
    ]
    .iter()
    .map(|(a, k)| (a.to_string(), k.to_string()))
    .collect();
    assert_eq!(kinds, expected, "{record:#}");
    assert!(record.to_string().contains("[redacted]"), "the echoed secrets were replaced: {record:#}");

    let (_, runs) = serve.get("/v1/runs").await;
    let (_, contact) = serve.get("/v1/contacts?email=Ana@Example.com").await;
    let (_, workflows) = serve.get("/v1/workflows/everything_fails").await;
    let db = std::fs::read(dir.join(".komo/komo.db")).unwrap_or_default();
    let wal = std::fs::read(dir.join(".komo/komo.db-wal")).unwrap_or_default();
    let log = serve.log();
    assert!(log.contains("DEBUG"), "debug logging is on: {log}");
    for (name, secret) in CANARIES {
        for (place, text) in [
            ("the log", log.as_str()),
            ("the run record", &record.to_string()),
            ("the runs list", &runs.to_string()),
            ("the contact", &contact.to_string()),
            ("the workflow", &workflows.to_string()),
            ("the event answer", &answer.to_string()),
        ] {
            assert!(!text.contains(secret), "{name} leaked into {place}: {text}");
        }
        for (place, bytes) in [("the store", &db), ("the store's WAL", &wal)] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{name} leaked into {place}"
            );
        }
    }
}

#[test]
fn live_connectors_need_a_project() {
    let dir = common::scratch("connectors_engine", "live_no_project");
    common::write(&dir, "main.komo", SUBSCRIBE);
    common::write(&dir, "event.json", event("evt_none").to_string());
    let output = common::komo(&dir, &["run", "main.komo", "--event", "event.json", "--live-connectors"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = common::stderr(&output);
    assert!(stderr.contains("--live-connectors needs a project: no `komo.toml` in"), "{stderr}");
}

#[test]
fn a_project_reads_its_templates_and_smtp_certificate() {
    let table = "[connectors.email]\nsmtp_host = \"smtp.acme.example\"\nfrom = \"a@acme.example\"\nca_file = \"certs/relay-ca.pem\"\n";
    let dir = project("project_files", table, WELCOME);
    let load = |dir: &Path| {
        komo::cli::project::LoadedProject::load(dir).unwrap().engine_project().unwrap().connectors
    };
    let reason = load(&dir).unavailable(komo::catalog::ActionId::ContactSendEmail).unwrap();
    assert!(reason.ends_with("`ca_file` (`certs/relay-ca.pem`) could not be read"), "{reason}");
    common::write(&dir, "certs/relay-ca.pem", "not a certificate");
    let reason = load(&dir).unavailable(komo::catalog::ActionId::ContactSendEmail).unwrap();
    assert!(reason.ends_with("`ca_file` (`certs/relay-ca.pem`) holds no PEM certificate"), "{reason}");
    let issued = rcgen::generate_simple_self_signed(vec!["smtp.acme.example".to_string()]).unwrap();
    common::write(&dir, "certs/relay-ca.pem", issued.cert.pem());
    let connectors = load(&dir);
    assert_eq!(connectors.unavailable(komo::catalog::ActionId::ContactSendEmail), None);
    assert!(connectors.templates().unwrap().contains("welcome"));
}

//! Changing a live workflow end to end, on a real `komo serve` (SQLite) with a real SMTP
//! sink and the real `komo` CLI: 200 runs parked in v1 (some in a branch v2 deletes),
//! `komo replay` against the edited file before activating it, `komo deploy --activate`,
//! `komo migrate --apply` while new events keep arriving, and then, once the waits are
//! over (real time: a 15 s `wait`), who got which email, exactly once.
//!
//! The effect counted per contact is the email the sink receives: an external action,
//! so a lost or doubled resume shows as a missing or second message for that address,
//! and its subject says which version sent it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::eventually;
use common::serve::{Api, Log, Server};
use common::smtp::{Behaviour, SmtpSink};
use serde_json::{Value, json};

/// Slow contacts wait in a branch and get another email; the others wait on the main
/// path for the reminder.
const V1: &str = r#"workflow reminder {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("Started")
  if ends_with(contact.email ?? "", "@slow.example.com") {
    wait 15s
    if contact.email != null {
      step late = contact.send_email(template: "reminder_slow")
    }
    stop
  }
  wait 15s
  if contact.email != null {
    step remind = contact.send_email(template: "reminder_v1")
  }
}
"#;

/// Tags the contact before the wait, drops the slow contacts' wait (their branch only
/// lists them now), and sends another template after the wait.
const V2: &str = r#"workflow reminder {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("Started")
  step tag = contact.update(add_tags: ["v2"])
  if ends_with(contact.email ?? "", "@slow.example.com") {
    contact.add_to_list("Slow")
  }
  wait 15s
  if contact.email != null {
    step remind = contact.send_email(template: "reminder_v2")
  }
}
"#;

const PARKED: usize = 200;

/// Every tenth contact is slow.
fn email(i: usize) -> String {
    if i % 10 == 0 { format!("c{i}@slow.example.com") } else { format!("c{i}@example.com") }
}

fn envelope(id: &str, email: &str) -> String {
    json!({
        "id": id,
        "type": "Contact.Identified",
        "occurred_at": "2026-11-29T09:00:00Z",
        "contact": { "email": email },
        "data": { "source": "form" }
    })
    .to_string()
}

fn template(dir: &Path, name: &str, subject: &str) {
    common::write(
        dir,
        &format!("templates/{name}.html"),
        format!("{{% set subject = '{subject}' %}}<p>{subject}</p>\n"),
    );
    common::write(dir, &format!("templates/{name}.txt"), format!("{subject}\n"));
}

/// Posts one event; the id of the one run it started.
async fn post(api: &Api, id: &str, email: &str) -> String {
    let (status, answer) = api.try_send("POST", "/v1/events", Some(envelope(id, email))).await.unwrap();
    assert_eq!(status, 202, "{answer}");
    answer["runs"][0]["id"].as_str().unwrap().to_owned()
}

async fn status_of(api: &Api, run: &str) -> Value {
    api.get(&format!("/v1/runs/{run}")).await
}

/// `(name, status)` of a run's steps, in order.
fn steps(record: &Value) -> Vec<(String, String)> {
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), s["status"].as_str().unwrap().to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_parked_in_v1_move_to_v2_while_events_keep_coming_and_each_contact_gets_one_email() {
    let sink = SmtpSink::start(Behaviour::default()).await;
    let dir = common::project("live_change", "sqlite", "acme", &[("reminder.komo", V1)]);
    common::write(
        &dir,
        "komo.toml",
        format!(
            "[workspace]\nid = \"acme\"\n\n[connectors.email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"Acme <noreply@acme.example>\"\n\n[http]\nallow_hosts = [\"{}\"]\n",
            sink.addr.port(),
            sink.addr
        ),
    );
    template(&dir, "reminder_v1", "Reminder v1");
    template(&dir, "reminder_v2", "Reminder v2");
    template(&dir, "reminder_slow", "Reminder slow");
    let created = common::komo(&dir, &["keys", "create"]);
    assert!(created.status.success(), "{}", common::stderr(&created));
    let key = common::stdout(&created).trim().to_owned();
    let log = Log::default();
    let server = Server::start(&dir, &[], "serve", &log).await;
    let api = Api::new(&reqwest::Client::new(), &server.address, &key);
    let url = server.base();
    let komo = {
        let (dir, key, url) = (dir.clone(), key.clone(), url.clone());
        move |args: &[&str]| {
            let mut command = common::komo_command(&dir, args);
            command.args(["--server", &url]).env("KOMO_KEY", &key);
            command.output().unwrap()
        }
    };
    let (status, body) = api.try_send("POST", "/v1/workflows/reminder/activate", None).await.unwrap();
    assert_eq!(status, 200, "{body}");

    // 200 contacts, each with one run parked in v1: the slow ones in the branch.
    let mut posters = Vec::new();
    for part in 0..4 {
        let api = api.clone();
        posters.push(tokio::spawn(async move {
            let mut runs = Vec::new();
            for i in (part..PARKED).step_by(4) {
                runs.push((i, post(&api, &format!("e{i}"), &email(i)).await));
            }
            runs
        }));
    }
    let mut parked: BTreeMap<usize, String> = BTreeMap::new();
    for poster in posters {
        parked.extend(poster.await.unwrap());
    }
    for run in parked.values() {
        eventually(&format!("run {run} waits"), async || {
            let record = status_of(&api, run).await;
            if record["status"] == "waiting" { Ok(()) } else { Err(record["status"].clone()) }
        })
        .await;
    }
    let slow: BTreeSet<&str> = parked.iter().filter(|(i, _)| *i % 10 == 0).map(|(_, r)| r.as_str()).collect();
    assert_eq!(slow.len(), PARKED / 10);

    // Before activating: replay the edited file. Every run would now be tagged before
    // its wait; the slow ones would also join "Slow" (and wait on the main path); what
    // comes after the waits is not reached yet by any of them.
    common::write(&dir, "workflows/reminder.komo", V2);
    let replayed = komo(&[
        "replay",
        "reminder",
        "--against",
        "workflows/reminder.komo",
        "--limit",
        "200",
        "--format",
        "json",
    ]);
    assert_eq!(replayed.status.code(), Some(0), "{}", common::stderr(&replayed));
    let report: Value = serde_json::from_slice(&replayed.stdout).unwrap();
    let changes: BTreeMap<&str, &Value> = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["run"].as_str().unwrap(), &r["changes"]))
        .collect();
    assert_eq!(
        changes.keys().copied().collect::<BTreeSet<_>>(),
        parked.values().map(String::as_str).collect()
    );
    let tagged = json!({ "kind": "step_added", "step": "tag", "action": "contact.update" });
    let listed = json!({ "kind": "step_added", "step": "add_to_list_2", "action": "contact.add_to_list" });
    for (run, change) in &changes {
        let expected = if slow.contains(run) { json!([tagged, listed]) } else { json!([tagged]) };
        assert_eq!(**change, expected, "run {run}");
    }
    assert_eq!(
        (&report["totals"]["changed"], &report["totals"]["unchanged"], &report["totals"]["errors"]),
        (&json!(PARKED), &json!(0), &json!(0)),
        "{:#}",
        report["totals"]
    );

    // Activate v2 with the real CLI, then keep posting new events while migrating.
    let deployed = komo(&["deploy", "--activate"]);
    assert_eq!(deployed.status.code(), Some(0), "{}", common::stderr(&deployed));
    assert!(
        common::stdout(&deployed).contains("reminder: active (version 2)"),
        "{}",
        common::stdout(&deployed)
    );
    let keep_posting = Arc::new(AtomicBool::new(true));
    let poster = {
        let (api, keep_posting) = (api.clone(), Arc::clone(&keep_posting));
        tokio::spawn(async move {
            let mut runs = Vec::new();
            while keep_posting.load(Ordering::SeqCst) || runs.len() < 3 {
                let i = runs.len();
                runs.push((
                    format!("new{i}@example.com"),
                    post(&api, &format!("n{i}"), &format!("new{i}@example.com")).await,
                ));
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            runs
        })
    };
    let migrate = komo.clone();
    let applied =
        tokio::task::spawn_blocking(move || migrate(&["migrate", "reminder", "--to", "v2", "--apply"]))
            .await
            .unwrap();
    keep_posting.store(false, Ordering::SeqCst);
    let fresh = poster.await.unwrap();
    assert_eq!(applied.status.code(), Some(0), "{}", common::stderr(&applied));
    let mut text = common::stdout(&applied);
    for run in &slow {
        text = text.replace(&format!("  {run}\n"), "");
    }
    assert_eq!(
        text,
        "20 runs of v1 at `wait 15s` (line 6) stay: `wait 15s` has no counterpart in v2\n\
         180 runs of v1 at `wait 15s` (line 12) → `wait 15s` (line 9) in v2\n\
         moved 180 runs to v2; 20 stayed\n"
    );
    for run in &slow {
        assert!(common::stdout(&applied).contains(&format!("  {run}\n")), "{run} listed as staying");
    }

    // Once the waits are over: every run succeeded, on the version it should have.
    let everyone: Vec<(String, String)> =
        parked.iter().map(|(i, run)| (email(*i), run.clone())).chain(fresh.iter().cloned()).collect();
    let mut records = BTreeMap::new();
    for (_, run) in &everyone {
        let record = eventually(&format!("run {run} succeeds"), async || {
            let record = status_of(&api, run).await;
            if record["status"] == "succeeded" { Ok(record) } else { Err(record["status"].clone()) }
        })
        .await;
        records.insert(run.clone(), record);
    }
    let mails = sink.wait_for(everyone.len()).await;
    let mut subjects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for mail in &mails {
        assert_eq!(mail.rcpt_to.len(), 1);
        subjects.entry(mail.rcpt_to[0].clone()).or_default().push(mail.header("Subject").unwrap());
    }
    let new_runs: BTreeSet<&str> = fresh.iter().map(|(_, r)| r.as_str()).collect();
    for (address, run) in &everyone {
        let record = &records[run];
        let contact = api.get(&format!("/v1/contacts?email={address}")).await;
        let (version, subject, tags, run_steps) = if slow.contains(run.as_str()) {
            // Pinned to v1: its branch's email.
            assert!(record.get("lifecycle").is_none(), "{record:#}");
            (
                1,
                "Reminder slow",
                json!([]),
                pairs(&[("add_to_list_1", "succeeded"), ("late", "succeeded"), ("remind", "skipped")]),
            )
        } else if new_runs.contains(run.as_str()) {
            // Started on v2: tagged, then v2's email.
            assert!(record.get("lifecycle").is_none(), "{record:#}");
            let run_steps = pairs(&[
                ("add_to_list_1", "succeeded"),
                ("tag", "succeeded"),
                ("add_to_list_2", "skipped"),
                ("remind", "succeeded"),
            ]);
            (2, "Reminder v2", json!(["v2"]), run_steps)
        } else {
            // Moved: v2's email after the wait, and v2's tag step never ran for it.
            assert_eq!(
                record["lifecycle"],
                json!([{ "kind": "moved", "at": record["lifecycle"][0]["at"], "from": 1, "to": 2, "point": "`wait 15s`" }]),
                "{record:#}"
            );
            let run_steps = pairs(&[
                ("add_to_list_1", "succeeded"),
                ("tag", "skipped"),
                ("add_to_list_2", "skipped"),
                ("remind", "succeeded"),
            ]);
            (2, "Reminder v2", json!([]), run_steps)
        };
        assert_eq!(record["version"], version, "{record:#}");
        assert_eq!(steps(record), run_steps, "run {run}");
        assert_eq!(subjects.get(address.as_str()), Some(&vec![subject.to_owned()]), "{address}");
        assert_eq!(contact["tags"], tags, "{address}: {contact:#}");
        assert_eq!(contact["lists"], json!(["Started"]), "{address}: {contact:#}");
    }
    // Nothing else was sent, nothing twice.
    assert_eq!(sink.received().len(), everyone.len());
    assert_eq!(subjects.len(), everyone.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn komo_migrate_prints_a_real_servers_plan_and_what_it_moved() {
    let dir = common::project("live_change", "migrate-cli", "acme", &[("nudge.komo", common::NUDGE_V1)]);
    let created = common::komo(&dir, &["keys", "create"]);
    assert!(created.status.success(), "{}", common::stderr(&created));
    let key = common::stdout(&created).trim().to_owned();
    let log = Log::default();
    let server = Server::start(&dir, &[], "serve", &log).await;
    let api = Api::new(&reqwest::Client::new(), &server.address, &key);
    let url = server.base();
    let migrate = |args: &[&str]| {
        let mut command = common::komo_command(&dir, &["migrate"]);
        command.args(args).args(["--server", &url]).env("KOMO_KEY", &key);
        command.output().unwrap()
    };
    let (status, body) = api.try_send("POST", "/v1/workflows/nudge/activate", None).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let mut runs = Vec::new();
    for (i, address) in ["ana@example.com", "bo@example.com", "slow@example.com"].iter().enumerate() {
        let run = post(&api, &format!("e{i}"), address).await;
        eventually(&format!("run {run} waits"), async || {
            let record = status_of(&api, &run).await;
            if record["status"] == "waiting" { Ok(()) } else { Err(record["status"].clone()) }
        })
        .await;
        runs.push(run);
    }
    let (status, body) =
        api.try_send("PUT", "/v1/workflows/nudge", Some(common::NUDGE_V2.to_owned())).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = api.try_send("POST", "/v1/workflows/nudge/activate", None).await.unwrap();
    assert_eq!((status, &body["version"]), (200, &json!(2)), "{body}");
    // Run ids are random: `run_1`, `run_2`, `run_3` in the order the events came.
    let stable = |output: &std::process::Output| {
        assert_eq!(output.status.code(), Some(0), "{}", common::stderr(output));
        let mut text = common::stdout(output);
        for (i, run) in runs.iter().enumerate() {
            text = text.replace(run.as_str(), &format!("run_{}", i + 1));
        }
        text
    };

    insta::assert_snapshot!("komo_migrate_plan_human", stable(&migrate(&["nudge", "--to", "v2"])));
    insta::assert_snapshot!(
        "komo_migrate_plan_json",
        stable(&migrate(&["nudge", "--to", "2", "--format", "json"]))
    );
    insta::assert_snapshot!(
        "komo_migrate_apply_human",
        stable(&migrate(&["nudge", "--to", "v2", "--apply"]))
    );
    // Applied again: nothing left to move, the slow run still stays.
    insta::assert_snapshot!(
        "komo_migrate_apply_again_json",
        stable(&migrate(&["nudge", "--to", "v2", "--apply", "--format", "json"]))
    );
    let moved = status_of(&api, &runs[0]).await;
    assert_eq!(
        (&moved["version"], &moved["lifecycle"][0]["kind"]),
        (&json!(2), &json!("moved")),
        "{moved:#}"
    );

    // No such workflow or version: 404 from the API, exit 1 and the server's reason
    // from the CLI.
    for path in ["/v1/workflows/nope/migration?to=2", "/v1/workflows/nudge/migration?to=9"] {
        let (status, body) = api.try_send("GET", path, None).await.unwrap();
        assert_eq!(status, 404, "GET {path}: {body}");
        insta::assert_json_snapshot!(format!("migration_404_{}", path.split('/').nth(3).unwrap()), body);
    }
    for (workflow, to) in [("nope", 2), ("nudge", 9)] {
        let (status, body) = api
            .try_send(
                "POST",
                &format!("/v1/workflows/{workflow}/migrate"),
                Some(json!({ "to": to }).to_string()),
            )
            .await
            .unwrap();
        assert_eq!(status, 404, "POST migrate {workflow} {to}: {body}");
        for apply in [false, true] {
            let to = format!("v{to}");
            let mut args = vec![workflow, "--to", &to];
            if apply {
                args.push("--apply");
            }
            let refused = migrate(&args);
            assert_eq!(refused.status.code(), Some(1), "{args:?}: {}", common::stderr(&refused));
            assert_eq!(common::stdout(&refused), "");
            insta::assert_snapshot!(
                format!("komo_migrate_refused_{workflow}_{apply}"),
                common::stderr(&refused)
            );
        }
    }
}

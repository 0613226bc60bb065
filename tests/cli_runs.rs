//! `komo runs list|show|follow|replay|cancel` against the real `komo serve`: a temporary
//! project, a key from `komo keys create`, the server on a free port, events posted to
//! its API, and the commands run as a user runs them. The timelines of `show` are
//! snapshots, with the ids and the times (the server runs on the real clock) replaced
//! by placeholders.

// Test helpers may fail loudly: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};

use common::serve::{Api, Log, Server};
use common::{eventually, komo_command as komo};
use serde_json::Value;

/// Three workflows on `Gameplay.Ended`, one per hub: `quick` finishes at once, `slow`
/// waits three days, `soon` waits a second (of real time: `komo serve` runs on the
/// real clock).
const WORKFLOWS: &str = r#"workflow quick {
  scope hub "quick"
  trigger Gameplay.Ended
  contact.add_to_list("Players")
  step award = loyalty.award_points(event.score ?? 1, reason: "played")
}

workflow slow {
  scope hub "slow"
  trigger Gameplay.Ended
  contact.add_to_list("Nurture")
  wait 3d
  contact.update(add_tags: ["nurtured"])
}

workflow soon {
  scope hub "soon"
  trigger Gameplay.Ended
  wait 1s
  loyalty.award_points(5)
}
"#;

fn project(name: &str) -> PathBuf {
    common::project("cli_runs", name, "acme", &[("main.komo", WORKFLOWS)])
}

/// A finished command: its exit code, stdout and stderr.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Ran {
    fn from(output: Output) -> Ran {
        Ran {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {:?}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// The server of one project, with a key of its workspace.
struct Served {
    dir: PathBuf,
    server: Server,
    key: String,
    api: Api,
}

impl Served {
    async fn start(name: &str) -> Served {
        let dir = project(name);
        let created: Ran = komo(&dir, &["keys", "create"]).output().unwrap().into();
        assert_eq!(created.code, Some(0), "{created:?}");
        let key = created.stdout.trim().to_owned();
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let server = Server::start(&dir, &[], name, &log).await;
        let api = Api::new(&reqwest::Client::new(), &server.address, &key);
        Served { dir, server, key, api }
    }

    /// `komo ARGS --server URL` with the key in `KOMO_KEY` (on a blocking thread).
    async fn run(&self, args: &[&str]) -> Ran {
        let mut command = self.command(args);
        tokio::task::spawn_blocking(move || command.output().unwrap().into()).await.unwrap()
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = komo(&self.dir, args);
        command.args(["--server", &self.server.base()]).env("KOMO_KEY", &self.key);
        command
    }

    async fn activate(&self, name: &str) {
        let (status, body) =
            self.api.try_send("POST", &format!("/v1/workflows/{name}/activate"), None).await.unwrap();
        assert_eq!(status, 200, "{body}");
    }

    /// Posts a `Gameplay.Ended` event in `hub`: the id of the one run it started.
    async fn play(&self, id: &str, hub: &str, email: &str) -> String {
        let event = format!(
            r#"{{ "id": "{id}", "type": "Gameplay.Ended", "occurred_at": "2026-11-29T09:00:00Z", "contact": {{ "email": "{email}" }}, "hub": {{ "id": "{hub}", "name": "H" }}, "card": {{ "id": "c1", "name": "Quiz", "type": "Quiz" }}, "data": {{ "completed": true, "duration": "1m", "score": 7 }} }}"#
        );
        let (status, body) = self.api.try_send("POST", "/v1/events", Some(event)).await.unwrap();
        assert_eq!(status, 202, "{body}");
        assert_eq!(body["runs"].as_array().map(Vec::len), Some(1), "{body}");
        body["runs"][0]["id"].as_str().unwrap().to_owned()
    }

    /// The run's record once its status is `status`.
    async fn reaches(&self, run: &str, status: &str) -> Value {
        let path = format!("/v1/runs/{run}");
        eventually(&format!("run {run} is {status}"), async || {
            let record = self.api.get(&path).await;
            if record["status"] == status { Ok(record) } else { Err(record["status"].clone()) }
        })
        .await
    }
}

/// The first column of each row of a `komo runs list` table, and its status column.
fn rows(table: &str) -> Vec<(String, String)> {
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("ID  "), "{table}");
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            (cells[0].to_owned(), cells[3].to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_listed_shown_followed_replayed_and_cancelled() {
    let served = Served::start("everything").await;
    for name in ["quick", "slow", "soon"] {
        served.activate(name).await;
    }
    let mut quick = Vec::new();
    for (i, email) in ["ana@example.com", "bo@example.com", "cy@example.com"].iter().enumerate() {
        let run = served.play(&format!("evt_quick_{i}"), "quick", email).await;
        served.reaches(&run, "succeeded").await;
        quick.push(run);
    }
    let slow = served.play("evt_slow", "slow", "dee@example.com").await;
    let parked = served.reaches(&slow, "waiting").await;

    // list: filters, and a cursor across two pages (newest first).
    let first = served.run(&["runs", "list", "--workflow", "quick", "--limit", "2"]).await;
    assert_eq!(first.code, Some(0), "{first:?}");
    let page: Vec<(String, String)> = rows(&first.stdout);
    let succeeded = |id: &String| (id.clone(), "succeeded".to_owned());
    assert_eq!(page, [succeeded(&quick[2]), succeeded(&quick[1])], "{first:?}");
    let cursor = first
        .stderr
        .strip_prefix("more runs: add `--cursor ")
        .and_then(|rest| rest.strip_suffix("` for the next page\n"))
        .unwrap_or_else(|| panic!("no cursor: {first:?}"));
    let second =
        served.run(&["runs", "list", "--workflow", "quick", "--limit", "2", "--cursor", cursor]).await;
    assert_eq!(second.code, Some(0), "{second:?}");
    assert_eq!(rows(&second.stdout), [succeeded(&quick[0])], "{second:?}");
    assert_eq!(second.stderr, "", "the last page names no cursor: {second:?}");

    let waiting = served.run(&["runs", "list", "--status", "waiting"]).await;
    assert_eq!(rows(&waiting.stdout), [(slow.clone(), "waiting".to_owned())], "{waiting:?}");
    assert!(waiting.stdout.lines().nth(1).unwrap().ends_with("Z  -"), "no duration yet: {waiting:?}");
    let none = served.run(&["runs", "list", "--hub", "nowhere"]).await;
    assert_eq!((none.code, none.stdout.as_str(), none.stderr.as_str()), (Some(0), "", "no runs\n"));
    let json = served.run(&["runs", "list", "--trigger", "Gameplay.Ended", "--format", "json"]).await;
    let answer: Value = serde_json::from_str(&json.stdout).unwrap();
    let ids: Vec<&str> =
        answer["runs"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [slow.as_str(), &quick[2], &quick[1], &quick[0]], "{json:?}");
    assert_eq!(answer["next_cursor"], Value::Null);
    let bad = served.run(&["runs", "list", "--since", "yesterday"]).await;
    assert_eq!(bad.code, Some(1), "{bad:?}");
    assert!(bad.stderr.contains("error: `yesterday` is not an RFC 3339 time"), "{bad:?}");

    // show: the timeline `komo run` prints, and the record.
    let record = served.api.get(&format!("/v1/runs/{}", quick[0])).await;
    let contact = record["contact"]["id"].as_str().unwrap().to_owned();
    let names = [(quick[0].as_str(), "<run>"), (contact.as_str(), "<contact>")];
    let shown = served.run(&["runs", "show", &quick[0]]).await;
    assert_eq!(shown.code, Some(0), "{shown:?}");
    insta::assert_snapshot!("show_succeeded", redact(&shown.stdout, &names));
    let shown = served.run(&["runs", "show", &quick[0], "--format", "json"]).await;
    assert_eq!(shown.code, Some(0), "{shown:?}");
    let printed: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(printed, record, "the record as the API answers it");
    insta::assert_snapshot!("show_succeeded_json", redact(&shown.stdout, &names));

    // follow: a waiting run, drawn once (not a terminal: each change printed whole),
    // then again when it is cancelled; exit 1.
    let mut following = served.command(&["runs", "follow", &slow, "--every", "0.05"]);
    let mut child = following.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut followed = Vec::new();
    while !followed.iter().any(|l: &String| l == "status    waiting") {
        followed.push(received.recv_timeout(common::BUDGET).expect("the first timeline"));
    }
    assert_eq!(parked["status"], "waiting");
    let cancelled = served.run(&["runs", "cancel", &slow]).await;
    assert_eq!(cancelled.code, Some(0), "{cancelled:?}");
    let line =
        cancelled.stdout.strip_prefix(&format!("{slow}: cancelled through the API (")).unwrap_or_default();
    assert!(line.ends_with(")\n") && line.starts_with("20"), "{cancelled:?}");
    let followed_to_end = tokio::task::spawn_blocking(move || {
        let output = child.wait_with_output().unwrap();
        followed.extend(received.iter());
        (output.status.code(), String::from_utf8(output.stderr).unwrap(), followed.join("\n"))
    });
    let (code, stderr, out) = followed_to_end.await.unwrap();
    assert_eq!((code, stderr.as_str()), (Some(1), "error: the run cancelled\n"), "{out}");
    let blocks: Vec<&str> = out.split("\n\nworkflow  ").collect();
    assert_eq!(blocks.len(), 2, "the waiting timeline, then the cancelled one:\n{out}");
    assert!(blocks[0].contains("status    waiting") && blocks[1].contains("status    cancelled"), "{out}");
    assert!(blocks[1].contains("↷ cancelled through the API"), "{out}");

    // show: the lifecycle line in the timeline.
    let record = served.api.get(&format!("/v1/runs/{slow}")).await;
    let contact = record["contact"]["id"].as_str().unwrap().to_owned();
    let shown = served.run(&["runs", "show", &slow]).await;
    assert_eq!(shown.code, Some(0), "{shown:?}");
    insta::assert_snapshot!(
        "show_cancelled",
        redact(&shown.stdout, &[(&slow, "<run>"), (&contact, "<contact>")])
    );

    // cancel again, or an unknown run: the server's refusal, exit 1.
    let again = served.run(&["runs", "cancel", &slow]).await;
    assert_eq!((again.code, again.stdout.as_str()), (Some(1), ""), "{again:?}");
    assert_eq!(
        again.stderr,
        format!(
            "error: run `{slow}` has finished (cancelled); only a pending or waiting run can be cancelled\n"
        )
    );
    for command in ["show", "follow", "cancel", "replay"] {
        let unknown = served.run(&["runs", command, "run_nope"]).await;
        assert_eq!((unknown.code, unknown.stdout.as_str()), (Some(1), ""), "{command}: {unknown:?}");
        assert_eq!(unknown.stderr, "error: no run `run_nope`\n", "{command}: {unknown:?}");
    }

    // follow: a run that finishes; exit 0, the last timeline is the succeeded one.
    let soon = served.play("evt_soon", "soon", "eve@example.com").await;
    let followed = served.run(&["runs", "follow", &soon, "--every", "0.05"]).await;
    assert_eq!((followed.code, followed.stderr.as_str()), (Some(0), ""), "{followed:?}");
    let last = followed.stdout.rsplit("\n\nworkflow  ").next().unwrap();
    assert!(last.contains("status    succeeded") && last.contains("⏸ wait 1s"), "{followed:?}");

    // replay: a new run of the same workflow on the same event.
    let replayed = served.run(&["runs", "replay", &quick[0]]).await;
    assert_eq!(replayed.code, Some(0), "{replayed:?}");
    let new = replayed.stdout.trim();
    assert!(new.starts_with("run_") && new != quick[0], "{replayed:?}");
    assert_eq!(replayed.stderr, format!("replayed {} as {new} (quick, version 1)\n", quick[0]));
    let record = served.reaches(new, "succeeded").await;
    assert_eq!(record["event"]["id"], "evt_quick_0");
}

/// Placeholders for the given ids and for every time: `<time>` for an RFC 3339 one,
/// `<date> <clock>` and `<clock>` for the timeline's time column, `<took>` for how long
/// the run and its steps took.
fn redact(text: &str, ids: &[(&str, &str)]) -> String {
    let mut text = text.to_owned();
    for (id, placeholder) in ids {
        text = text.replace(id, placeholder);
    }
    let text = mask(&text, "dddd-dd-ddTdd:dd:dd.dddZ", "<time>");
    let text = mask(&text, "dddd-dd-dd dd:dd:dd.ddd", "<date> <clock>");
    let text = mask(&text, "dd:dd:dd.ddd", "<clock>");
    text.lines()
        .map(|line| {
            if let Some(rest) = line.strip_prefix("took      ") {
                let after = rest.find(' ').map_or("", |at| &rest[at..]);
                format!("took      <took>{after}")
            } else if line.contains(" ✓ ") || line.contains(" ✗ ") {
                took_step(line)
            } else {
                line.to_owned()
            }
        })
        .map(|line| line + "\n")
        .collect()
}

/// A step line's duration (its last cell, before any `, N attempts`) as `<took>`.
fn took_step(line: &str) -> String {
    let (cells, attempts) = match line.find(", ") {
        Some(at) => (&line[..at], &line[at..]),
        None => (line, ""),
    };
    match cells.rsplit_once("  ") {
        Some((before, last)) if is_duration(last) => format!("{before}  <took>{attempts}"),
        _ => line.to_owned(),
    }
}

/// `0s`, `12ms`, `1s250ms`.
fn is_duration(text: &str) -> bool {
    let units = text.trim_start_matches(|c: char| c.is_ascii_digit() || c.is_ascii_alphabetic());
    units.is_empty()
        && text.starts_with(|c: char| c.is_ascii_digit())
        && text.ends_with(['s', 'm', 'h', 'd', 'w'])
}

/// Every part of `text` that fits `shape` (`d` a digit, any other character itself)
/// replaced by `placeholder`.
fn mask(text: &str, shape: &str, placeholder: &str) -> String {
    let shape: Vec<char> = shape.chars().collect();
    let chars: Vec<char> = text.chars().collect();
    let fits = |at: usize| {
        chars.get(at..at + shape.len()).is_some_and(|window| {
            window.iter().zip(&shape).all(|(c, s)| if *s == 'd' { c.is_ascii_digit() } else { c == s })
        })
    };
    let mut out = String::new();
    let mut at = 0;
    while at < chars.len() {
        if fits(at) {
            out.push_str(placeholder);
            at += shape.len();
        } else {
            out.push(chars[at]);
            at += 1;
        }
    }
    out
}

#[test]
fn the_redaction_keeps_the_shape() {
    let line = "2026-11-29 09:00:00.012  ✓ award  loyalty.award_points  1s250ms, 2 attempts";
    assert_eq!(redact(line, &[]), "<date> <clock>  ✓ award  loyalty.award_points  <took>, 2 attempts\n");
    assert_eq!(
        redact("           09:00:01.000  ⏸ wait 3d (until 2026-12-02T09:00:00.000Z)", &[]),
        "           <clock>  ⏸ wait 3d (until <time>)\n"
    );
    assert_eq!(redact("took      12ms (virtual time)", &[]), "took      <took> (virtual time)\n");
    assert_eq!(redact("run       run_01", &[("run_01", "<run>")]), "run       <run>\n");
}

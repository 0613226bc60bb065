//! `komo workflows …` and `komo deploy` against the real `komo serve`: a temporary
//! project, a key from `komo keys create`, the server on a free port, and the commands
//! run as a user runs them, asserting their output and exit codes.

// Test helpers may fail loudly: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::komo_command as komo;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A fresh project directory with a `komo.toml` and the given `workflows/*.komo` files.
fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    common::project("cli_workflows", name, "acme", files)
}

/// Internal actions only, so it activates without a connector.
const WELCOME: &str = r#"workflow welcome {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("New Users")
  loyalty.award_points(50)
}
"#;

/// A trigger misspelt: saved as a draft, refused on activation (K0301).
const TYPO: &str = r#"workflow typo {
  scope workspace
  trigger Contact.Identifed
  contact.add_to_list("New Users")
}
"#;

/// Two workflows, a doc comment and a test in one file.
const PROMO: &str = r#"/// Points for every prize.
/// Ten of them.
workflow promo {
  title "Prize points"
  scope workspace
  trigger Prize.Awarded
  loyalty.award_points(10)
}

test "a prize is worth ten points" {
  workflow promo
  contact { points: 5 }
  expect contact.points == 15
}

workflow promo_tagged {
  scope workspace
  trigger Prize.Awarded
  contact.add_to_list("Winners")
}
"#;

/// Checks clean, but needs the email connector, which activation refuses.
const MAIL: &str = r#"workflow mail {
  scope workspace
  trigger Contact.Identified
  if contact.email != null {
    contact.send_email(template: "welcome")
  }
}
"#;

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

/// The server, killed when the test ends however it ends.
struct Server {
    child: Child,
    url: String,
    key: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// A key for `dir`'s workspace, then `komo serve` on a free port.
    fn start(dir: &Path) -> Server {
        let created: Ran = komo(dir, &["keys", "create"]).output().unwrap().into();
        assert_eq!(created.code, Some(0), "{created:?}");
        let key = created.stdout.trim().to_owned();
        let mut child = komo(dir, &["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (lines, received) = std::sync::mpsc::channel();
        // Reads on to the end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut server = Server { child, url: String::new(), key };
        loop {
            let line = received.recv_timeout(Duration::from_secs(60)).expect("the listening line");
            if let Some(rest) = line.strip_prefix("komo serve: listening on ") {
                server.url = rest.split(' ').next().unwrap().to_owned();
                return server;
            }
        }
    }

    /// `komo ARGS --server URL` in `dir`, with the key in `KOMO_KEY`.
    fn run(&self, dir: &Path, args: &[&str]) -> Ran {
        let mut command = komo(dir, args);
        command.args(["--server", &self.url]).env("KOMO_KEY", &self.key);
        command.output().unwrap().into()
    }
}

/// Asserts an exit code and the exact stdout.
#[track_caller]
fn assert_ran(ran: &Ran, code: i32, stdout: &str) {
    assert_eq!(ran.code, Some(code), "{ran:?}");
    assert_eq!(ran.stdout, stdout, "{ran:?}");
}

#[test]
fn workflows_are_listed_and_moved_through_their_lifecycle() {
    let dir = project("lifecycle", &[("welcome.komo", WELCOME), ("typo.komo", TYPO)]);
    let server = Server::start(&dir);

    let listed = server.run(&dir, &["workflows", "list"]);
    assert_ran(
        &listed,
        0,
        "\
NAME     STATUS  VERSION  TRIGGER             SCOPE      RUNS  SUCCESS  P50  P95
typo     draft         -  Contact.Identifed   workspace     0        -    -    -
welcome  draft         -  Contact.Identified  workspace     0        -    -    -
",
    );
    let json = server.run(&dir, &["workflows", "list", "--format", "json"]);
    assert_eq!(json.code, Some(0), "{json:?}");
    let answer: Value = serde_json::from_str(&json.stdout).unwrap();
    let names: Vec<&str> =
        answer["workflows"].as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["typo", "welcome"]);
    assert_eq!(answer["workflows"][1]["metrics"]["runs"], 0);

    assert_ran(&server.run(&dir, &["workflows", "activate", "welcome"]), 0, "welcome: active (version 1)\n");
    assert_ran(&server.run(&dir, &["workflows", "pause", "welcome"]), 0, "welcome: paused (version 1)\n");
    let again = server.run(&dir, &["workflows", "pause", "welcome"]);
    assert_ran(&again, 1, "");
    assert!(again.stderr.contains("error: `welcome` is paused; it cannot become paused"), "{again:?}");
    assert_ran(&server.run(&dir, &["workflows", "resume", "welcome"]), 0, "welcome: active (version 1)\n");
    assert_ran(&server.run(&dir, &["workflows", "activate", "welcome"]), 0, "welcome: active (version 2)\n");
    assert_ran(
        &server.run(&dir, &["workflows", "deactivate", "welcome"]),
        0,
        "welcome: inactive (version 2)\n",
    );

    let cloned = server.run(&dir, &["workflows", "clone", "welcome", "--as", "welcome_b"]);
    assert_ran(&cloned, 0, "welcome_b: draft (a copy of welcome)\n");
    assert_ran(
        &server.run(&dir, &["workflows", "clone", "welcome"]),
        0,
        "welcome_copy: draft (a copy of welcome)\n",
    );
    let taken = server.run(&dir, &["workflows", "clone", "welcome", "--as", "welcome_b"]);
    assert_ran(&taken, 1, "");
    assert!(taken.stderr.contains("a workflow `welcome_b` exists already"), "{taken:?}");

    // A refused activation: the server's diagnostics, one short line each, and exit 1.
    let refused = server.run(&dir, &["workflows", "activate", "typo"]);
    assert_ran(&refused, 1, "");
    assert!(
        refused.stderr.contains("typo.komo:3:11: error[K0301]: unknown trigger `Contact.Identifed`"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("  help: did you mean `Contact.Identified`?"), "{refused:?}");
    assert!(
        refused.stderr.contains("error: `typo` was not activated: the workflow has errors"),
        "{refused:?}"
    );

    let missing = server.run(&dir, &["workflows", "activate", "nope"]);
    assert_ran(&missing, 1, "");
    assert!(missing.stderr.contains("error: `nope` was not activated: no workflow `nope`"), "{missing:?}");

    let listed = server.run(&dir, &["workflows", "list"]);
    let rows: Vec<&str> = listed.stdout.lines().map(|line| line.split_whitespace().next().unwrap()).collect();
    assert_eq!(rows, ["NAME", "typo", "welcome", "welcome_b", "welcome_copy"], "{listed:?}");
    assert!(listed.stdout.contains("welcome       inactive        2"), "{listed:?}");
}

#[test]
fn keys_and_servers_that_do_not_work_are_usage_errors() {
    let dir = project("access", &[("welcome.komo", WELCOME)]);
    let server = Server::start(&dir);

    // The key from `--key` wins over KOMO_KEY, and this one is not known.
    let wrong = server.run(&dir, &["workflows", "list", "--key", "komo_wrong"]);
    assert_ran(&wrong, 2, "");
    assert!(wrong.stderr.contains("error: the server refused the key"), "{wrong:?}");
    let deploy = server.run(&dir, &["deploy", "--key", "komo_wrong"]);
    assert_ran(&deploy, 2, "");
    assert!(deploy.stderr.contains("the server refused the key"), "{deploy:?}");

    let no_key = komo(&dir, &["workflows", "list", "--server", &server.url]).output().unwrap().into();
    assert_ran(&no_key, 2, "");
    assert!(no_key.stderr.contains("no API key") && no_key.stderr.contains("komo keys create"), "{no_key:?}");

    // KOMO_SERVER and KOMO_KEY are enough.
    let from_env: Ran = komo(&dir, &["workflows", "pause", "welcome"])
        .env("KOMO_SERVER", &server.url)
        .env("KOMO_KEY", &server.key)
        .output()
        .unwrap()
        .into();
    assert_ran(&from_env, 1, "");
    assert!(from_env.stderr.contains("`welcome` is draft; it cannot become paused"), "{from_env:?}");

    // Nothing listens on a port just freed.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let nobody = format!("http://{free}");
    let gone: Ran =
        komo(&dir, &["workflows", "list", "--server", &nobody, "--key", "k"]).output().unwrap().into();
    assert_ran(&gone, 2, "");
    assert!(gone.stderr.contains(&format!("error: no komo server at {nobody}")), "{gone:?}");

    let bad_url: Ran = komo(&dir, &["workflows", "list", "--server", "localhost:8080", "--key", "k"])
        .output()
        .unwrap()
        .into();
    assert_ran(&bad_url, 2, "");
}

#[test]
fn deploy_checks_first_then_saves_changed_workflows_and_activates_them() {
    let served = project("deploy_server", &[("welcome.komo", WELCOME)]);
    let server = Server::start(&served);

    // Errors: the diagnostics, exit 1, and nothing reaches the server.
    let broken = project("deploy_broken", &[("welcome.komo", WELCOME), ("typo.komo", TYPO)]);
    let refused = server.run(&broken, &["deploy"]);
    assert_ran(&refused, 1, "");
    assert!(refused.stderr.contains("K0301"), "{refused:?}");
    assert!(refused.stderr.contains("nothing was deployed: the workflows have 1 error"), "{refused:?}");
    let listed = server.run(&served, &["workflows", "list"]);
    assert_eq!(listed.stdout.lines().count(), 2, "only `welcome`: {listed:?}");

    // The same `welcome` as the server loaded is unchanged; `promo.komo` holds two new ones.
    let local = project("deploy_local", &[("welcome.komo", WELCOME), ("promo.komo", PROMO)]);
    let deployed = server.run(&local.join("workflows"), &["deploy", "--activate"]);
    assert_ran(
        &deployed,
        0,
        "\
saved promo (draft)
saved promo_tagged (draft)
unchanged welcome
promo: active (version 1)
promo_tagged: active (version 1)
welcome: active (version 1)
",
    );
    assert!(
        deployed
            .stderr
            .contains(&format!("deployed 3 workflows to {}: 2 saved, 1 unchanged, 3 activated", server.url))
    );

    // Each workflow's own text went, doc comment included and the test left out.
    let promo = http_get(&server, "/v1/workflows/promo");
    assert_eq!(
        promo["source"],
        "/// Points for every prize.\n/// Ten of them.\nworkflow promo {\n  title \"Prize points\"\n  scope workspace\n  trigger Prize.Awarded\n  loyalty.award_points(10)\n}\n"
    );
    assert_eq!(promo["title"], "Prize points");

    // Deploying again sends nothing new; a changed file is saved as a draft only.
    fs::write(local.join("workflows/welcome.komo"), WELCOME.replace("50", "75")).unwrap();
    let again = server.run(&served, &["deploy", "--project", local.to_str().unwrap()]);
    assert_ran(&again, 0, "unchanged promo\nunchanged promo_tagged\nsaved welcome (draft)\n");
    assert!(again.stderr.contains("2 unchanged") && !again.stderr.contains("activated"), "{again:?}");
    assert_ran(
        &server.run(&served, &["workflows", "activate", "welcome"]),
        0,
        "welcome: active (version 2)\n",
    );

    // A workflow the server will not activate: the others still are, and the exit is 1.
    fs::write(local.join("workflows/mail.komo"), MAIL).unwrap();
    let partly = server.run(&local, &["deploy", "--activate"]);
    assert_ran(
        &partly,
        1,
        "\
saved mail (draft)
unchanged promo
unchanged promo_tagged
unchanged welcome
promo: active (version 2)
promo_tagged: active (version 2)
welcome: active (version 3)
",
    );
    assert!(partly.stderr.contains("error: `mail` was not activated:"), "{partly:?}");
    assert!(
        partly.stderr.contains("1 saved, 3 unchanged, 3 activated; the server refused 1 request"),
        "{partly:?}"
    );

    let no_project = server.run(&served.join("workflows"), &["deploy", "--project", "nowhere"]);
    assert_ran(&no_project, 2, "");
    assert!(no_project.stderr.contains("is not a directory"), "{no_project:?}");
}

/// `GET path` with the server's key, by hand: the JSON answer.
fn http_get(server: &Server, path: &str) -> Value {
    use std::io::{Read, Write};
    let address = server.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        server.key
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{response}");
    serde_json::from_str(body).unwrap()
}

//! Helpers shared by the integration tests that drive the `komo` binary or build a
//! project on disk, and the polling helpers for whatever the engine does by itself.
//! Each test file uses a subset.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod postgres;
pub mod serve;
pub mod smtp;
pub mod stores;

use std::fmt::Display;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// How long [`eventually`] and [`eventually_blocking`] wait for something the engine
/// does by itself (the scheduler picking a run up and finishing it, a server answering)
/// before the test fails. Generous, because the machine may be busy with other tests; a
/// passing test waits only as long as the engine takes. Tests never wait for time to
/// pass: waits in workflows run on a manual clock that the test advances.
pub const BUDGET: Duration = Duration::from_secs(30);

/// How often a condition is checked again.
const POLL_EVERY: Duration = Duration::from_millis(10);

/// What a check answers: ready (with a value), or not yet (with what it saw, for the
/// failure message).
pub trait Check {
    type Ready;
    fn ready(self) -> Result<Self::Ready, String>;
}

impl Check for bool {
    type Ready = ();
    fn ready(self) -> Result<(), String> {
        if self { Ok(()) } else { Err("false".into()) }
    }
}

impl<T> Check for Option<T> {
    type Ready = T;
    fn ready(self) -> Result<T, String> {
        self.ok_or_else(|| "nothing yet".into())
    }
}

/// `Err` carries what was seen instead.
impl<T, E: Display> Check for Result<T, E> {
    type Ready = T;
    fn ready(self) -> Result<T, String> {
        self.map_err(|seen| seen.to_string())
    }
}

/// Checks `check` until it is ready and returns its value; fails the test, naming `what`
/// and what it saw last, after [`BUDGET`].
pub async fn eventually<C: Check>(what: &str, mut check: impl AsyncFnMut() -> C) -> C::Ready {
    let deadline = tokio::time::Instant::now() + BUDGET;
    loop {
        match check().await.ready() {
            Ok(ready) => return ready,
            Err(seen) if tokio::time::Instant::now() >= deadline => {
                panic!("{what}: not within {BUDGET:?}; last seen: {seen}")
            }
            Err(_) => tokio::time::sleep(POLL_EVERY).await,
        }
    }
}

/// [`eventually`] for tests on plain threads.
pub fn eventually_blocking<C: Check>(what: &str, mut check: impl FnMut() -> C) -> C::Ready {
    let deadline = std::time::Instant::now() + BUDGET;
    loop {
        match check().ready() {
            Ok(ready) => return ready,
            Err(seen) if std::time::Instant::now() >= deadline => {
                panic!("{what}: not within {BUDGET:?}; last seen: {seen}")
            }
            Err(_) => std::thread::sleep(POLL_EVERY),
        }
    }
}

/// A manual clock for an engine under test, reading the time the tests' events say they
/// occurred (2026-11-29T09:00:00Z).
pub fn manual_clock() -> komo::engine::ManualClock {
    komo::engine::ManualClock::starting_at("2026-11-29T09:00:00Z".parse().unwrap())
}

/// A fresh, empty directory for one test: `<cargo tmp>/<group>/<test>`.
pub fn scratch(group: &str, test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(group).join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `content` at `dir/relative`, creating directories.
pub fn write(dir: &Path, relative: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

/// A fresh project: `komo.toml` for `workspace` and the given `workflows/*.komo` files.
pub fn project(group: &str, test: &str, workspace: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = scratch(group, test);
    write(&dir, "komo.toml", format!("[workspace]\nid = \"{workspace}\"\n"));
    fs::create_dir_all(dir.join("workflows")).unwrap();
    for (name, source) in files {
        write(&dir, &format!("workflows/{name}"), source);
    }
    dir
}

/// `komo` with `args` in `dir`: no colour, info logs, and no server, key, proxy or
/// backtrace setting inherited from the environment of the test run.
pub fn komo_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_komo"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1").env("RUST_LOG", "info");
    for var in [
        "RUST_BACKTRACE",
        "KOMO_SERVER",
        "KOMO_KEY",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(var);
    }
    command
}

/// Runs `komo` with `args` in `dir` to the end.
pub fn komo(dir: &Path, args: &[&str]) -> Output {
    komo_command(dir, args).output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A copy of `examples/demo` (its `komo.toml` and the given folders, e.g. `workflows`)
/// in a fresh scratch directory, without its store.
pub fn demo_copy(group: &str, test: &str, folders: &[&str]) -> PathBuf {
    let dir = scratch(group, test);
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    for sub in folders {
        for entry in fs::read_dir(demo.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            write(&dir, &format!("{sub}/{name}"), fs::read(&path).unwrap());
        }
    }
    write(&dir, "komo.toml", fs::read(demo.join("komo.toml")).unwrap());
    dir
}

/// The migration example of `docs/changing-workflows.md` (engine, CLI, dashboard and
/// browser tests share it): a reminder an hour after the start; slow contacts wait two
/// hours more first.
pub const NUDGE_V1: &str = r#"workflow nudge {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("Started")
  if contact.email == "slow@example.com" {
    wait 2h
  }
  wait 1h
  contact.add_to_list("Reminded v1")
}
"#;

/// Its version 2: points before the wait, no extra wait for the slow contacts (so their
/// runs cannot move), another list after the wait.
pub const NUDGE_V2: &str = r#"workflow nudge {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("Started")
  step bonus = loyalty.award_points(5)
  if contact.email == "slow@example.com" {
    contact.add_to_list("Slow")
  }
  wait 1h
  contact.add_to_list("Reminded v2")
}
"#;

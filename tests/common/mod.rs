//! Helpers shared by the integration tests that drive the `komo` binary or build a
//! project on disk. Each test file uses a subset.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod smtp;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

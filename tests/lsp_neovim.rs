//! End to end with a real editor: headless Neovim (the Debian package `neovim`, which
//! `.ci/run` installs) opens a `.komo` file with an error after emoji and CJK text,
//! starts the built `komo lsp`, and writes the diagnostics it received to a file
//! (`tests/neovim/diagnostics.lua`). Neovim turns the server's UTF-16 columns into
//! byte columns, so the columns checked here also prove the UTF-16 conversion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const SOURCE: &str = "workflow welcome {\n  scope workspace\n  trigger Contact.Identified\n\n  contact.add_to_list(\"新しい 😀\") contact.send_emial(template: \"x\")\n}\n";

#[test]
fn neovim_receives_the_diagnostics_of_komo_lsp() {
    let dir = common::scratch("lsp_neovim", "diagnostics");
    common::write(&dir, "welcome.komo", SOURCE);
    let out = dir.join("diagnostics.json");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/neovim/diagnostics.lua");
    let mut child = Command::new("nvim")
        .args(["--headless", "--clean", "-n", "-i", "NONE", "welcome.komo", "-c"])
        .arg(format!("luafile {}", script.display()))
        .current_dir(&dir)
        .env("KOMO_BIN", env!("CARGO_BIN_EXE_komo"))
        .env("KOMO_OUT", &out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nvim is installed (Debian package `neovim`; .ci/run installs it)");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("nvim did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "nvim failed: {status}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["received"], true, "{report}");
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{report}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "K0101");
    assert_eq!(d["source"], "komo");
    assert_eq!(d["severity"], 1);
    assert!(d["message"].as_str().unwrap().starts_with("unknown action `contact.send_emial`"), "{d}");
    // Byte columns: the action starts after `"新しい 😀") ` on line 5 (0-based 4).
    let line = SOURCE.lines().nth(4).unwrap();
    let start = line.find("contact.send_emial").unwrap();
    assert_eq!((d["lnum"].as_u64(), d["col"].as_u64()), (Some(4), Some(start as u64)), "{d}");
    assert_eq!(d["end_col"].as_u64(), Some((start + "contact.send_emial".len()) as u64), "{d}");
}

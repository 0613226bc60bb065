//! Sample events under `examples/events/`: each `<workflow>[.<case>].json` is run
//! through `komo run examples/<workflow>.komo --format json`, and the run record (or
//! the no-run reason) is snapshotted. Runs are sandboxed on a virtual clock with run ids
//! derived from event ids, so records are deterministic and nothing needs redacting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn sample_events() {
    insta::glob!("../examples/events", "*.json", |path| {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let workflow = stem.split('.').next().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let source = root.join("examples").join(format!("{workflow}.komo"));
        let output = Command::new(env!("CARGO_BIN_EXE_komo"))
            .arg("run")
            .arg(&source)
            .arg("--event")
            .arg(path)
            .args(["--format", "json"])
            .current_dir(root)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let record: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document on stdout");
        if let Some(steps) = record.get("steps").and_then(|s| s.as_array()) {
            for step in steps {
                for key in [
                    "name",
                    "action",
                    "status",
                    "attempts",
                    "started_at",
                    "finished_at",
                    "input",
                    "output",
                    "error",
                    "route",
                ] {
                    assert!(step.get(key).is_some(), "{stem}: step without `{key}`");
                }
            }
            for key in [
                "id",
                "workflow",
                "version",
                "status",
                "trigger",
                "event",
                "started_at",
                "finished_at",
                "contact",
            ] {
                assert!(record.get(key).is_some(), "{stem}: record without `{key}`");
            }
        }
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(format!("exit: {}\n{stdout}", output.status.code().unwrap_or(-1)));
        });
    });
}

//! Stores `komo serve` must refuse to start on, with a clear message and exit 2, leaving
//! them as they were: a store written by a newer komo (a schema version this one does
//! not know).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::time::Duration;

#[test]
fn a_store_of_a_newer_schema_is_refused_with_exit_2_and_left_alone() {
    let dir = common::project("store_refusals", "newer", "acme", &[]);
    let created = common::komo(&dir, &["keys", "create"]);
    assert!(created.status.success(), "{}", common::stderr(&created));
    let db = dir.join(".komo/komo.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'", []).unwrap();
    }
    let mut serve = common::komo_command(&dir, &["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // It must end on its own, at once (a hung server would be a failure too).
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = serve.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = serve.kill();
            panic!("komo serve did not refuse the store");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(2));
    let output = common::komo(&dir, &["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(output.status.code(), Some(2));
    let err = common::stderr(&output);
    assert!(
        err.contains("the store's schema cannot be read: it is version 99, newer than this komo knows")
            && err.contains("upgrade komo"),
        "{err}"
    );
    // Nothing was migrated or rewritten.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: String =
        conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).unwrap();
    assert_eq!(version, "99");
}

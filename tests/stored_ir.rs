//! The engine checks the `ir_version` of every stored workflow it reads: IR written by
//! another version of komo is refused with both versions named, never misread. On both
//! stores (`common::stores`): the IR is rewritten with `rusqlite` in the SQLite file,
//! with `psql` in the Postgres database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;

use common::stores::{self, Backend};
use komo::cli::project::open_engine;
use komo::engine::store::StoreLocation;

const WELCOME: &str = "workflow welcome {\n  scope workspace\n  trigger Contact.Identified\n  contact.add_to_list(\"New\")\n}\n";

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    stored_ir_of_another_version_is_refused_by_name
);
async fn stored_ir_of_another_version_is_refused_by_name(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("komo-stored-ir-{backend}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    std::fs::write(dir.join("komo.toml"), "[workspace]\nid = \"acme\"\n").unwrap();
    std::fs::write(dir.join("workflows/welcome.komo"), WELCOME).unwrap();
    let store = backend.location(&dir).unwrap();
    {
        let engine = open_engine(&dir, Some(&store)).await.unwrap();
        engine.activate("acme", "welcome").await.unwrap();
    }
    let current = format!("\"ir_version\":{}", komo::ir::IR_VERSION);
    let older = |ir: &str| ir.replacen(&current, "\"ir_version\":7", 1);
    match &store {
        StoreLocation::Postgres(url) => {
            let ir = stores::psql(url, "SELECT ir FROM versions WHERE workflow = 'welcome'");
            let ir = ir.strip_suffix('\n').unwrap_or(&ir);
            assert!(ir.starts_with(&format!("{{{current},")), "the version is stored beside the IR: {ir}");
            let quoted = older(ir).replace('\'', "''");
            stores::psql(url, &format!("UPDATE versions SET ir = '{quoted}'"));
        }
        StoreLocation::Sqlite(file) => {
            let db = rusqlite::Connection::open(file).unwrap();
            let ir: String =
                db.query_row("SELECT ir FROM versions WHERE workflow = 'welcome'", [], |r| r.get(0)).unwrap();
            assert!(ir.starts_with(&format!("{{{current},")), "the version is stored beside the IR: {ir}");
            db.execute("UPDATE versions SET ir = ?1", [older(&ir)]).unwrap();
            drop(db);
        }
    }

    let engine = Arc::new(open_engine(&dir, Some(&store)).await.unwrap());
    let event = r#"{ "id": "e1", "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z", "contact": { "email": "a@example.com" }, "data": {} }"#;
    let error = engine.ingest("acme", event.as_bytes()).await.unwrap_err().to_string();
    assert!(
        error.contains("version 1 of `welcome`")
            && error.contains("stored IR is version 7")
            && error.contains(&format!("reads version {}", komo::ir::IR_VERSION)),
        "{error}"
    );
}

//! The store's schema: the embedded migrations and the code that applies them.
//!
//! In: a connection to a SQLite file, new or made by an earlier komo. Out: the file at
//! the newest schema. Migrations run in order, in one transaction, each once;
//! `meta.schema_version` records the last one applied. Their SQL never changes once
//! released (a file made by an older komo must migrate exactly as it did): a change
//! to the schema is a new migration at the end.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// Embedded migrations, applied in order; `meta.schema_version` records the last one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE workspaces (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE api_keys (
  hash TEXT PRIMARY KEY,
  workspace TEXT NOT NULL REFERENCES workspaces(id),
  created_at INTEGER NOT NULL
);
CREATE TABLE workflows (
  workspace TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  active_version INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, name)
);
CREATE TABLE versions (
  workspace TEXT NOT NULL,
  workflow TEXT NOT NULL,
  version INTEGER NOT NULL,
  source TEXT NOT NULL,
  ir TEXT NOT NULL,
  trigger TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, workflow, version)
);
CREATE TABLE events (
  workspace TEXT NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (workspace, id)
);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  workspace TEXT NOT NULL,
  workflow TEXT NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  trigger TEXT NOT NULL,
  hub TEXT,
  card TEXT,
  event_id TEXT NOT NULL,
  contact_id TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  due_at INTEGER,
  state TEXT NOT NULL
);
CREATE INDEX runs_due ON runs(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX runs_newest ON runs(workspace, started_at DESC, id DESC);
CREATE TABLE contacts (
  workspace TEXT NOT NULL,
  id TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  data TEXT NOT NULL,
  PRIMARY KEY (workspace, id)
);
CREATE INDEX contacts_email ON contacts(workspace, email);
CREATE INDEX contacts_phone ON contacts(workspace, phone);
"#,
    r#"
CREATE TABLE dashboard_sessions (
  id_hash TEXT PRIMARY KEY,
  workspace TEXT NOT NULL REFERENCES workspaces(id),
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
-- A workflow's runs newest first (the runs list filtered by workflow), and covering
-- for its metrics and counts (status and finish time ride along).
CREATE INDEX runs_workflow_newest ON runs(workspace, workflow, started_at DESC, id DESC, status, finished_at);
"#,
    r#"
-- Events the engine raises for its own changes (catalog.md "What actions change"):
-- what caused them (JSON: run, step, event, chain) and how deep in a chain they are
-- (an outside event is 0). A run copies its trigger event's depth and cause, and
-- `cause_run` finds the runs a run caused.
ALTER TABLE events ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN caused_by TEXT;
ALTER TABLE runs ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN caused_by TEXT;
ALTER TABLE runs ADD COLUMN cause_run TEXT;
CREATE INDEX runs_cause ON runs(workspace, cause_run) WHERE cause_run IS NOT NULL;
"#,
    r#"
-- The order runs were stored in: `seq` is one more than the largest at insert, so
-- "newest first" (start time, then arrival) is a total order that follows arrival even
-- for runs started in the same millisecond (before, their random ids decided).
-- Runs stored before this migration are numbered in the order they were inserted (their
-- rowid; no run is ever deleted). The two "newest" indexes break ties on `seq` now.
ALTER TABLE runs ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET seq = rowid;
CREATE UNIQUE INDEX runs_seq ON runs(seq);
DROP INDEX runs_newest;
CREATE INDEX runs_newest ON runs(workspace, started_at DESC, seq DESC);
DROP INDEX runs_workflow_newest;
CREATE INDEX runs_workflow_newest ON runs(workspace, workflow, started_at DESC, seq DESC, status, finished_at);
"#,
    r#"
-- The contact's blob as it was when the run started, written once at insert (the
-- state JSON is rewritten at every park; this is not): what `komo replay` starts a
-- recorded run's replay from. NULL for runs stored before.
ALTER TABLE runs ADD COLUMN start_contact TEXT;
"#,
];

/// Applies the migrations `conn` has not seen yet, in one transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", [])?;
    let current: i64 = tx
        .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let latest = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if current > latest {
        // A newer komo wrote this store: reading it with older code could misread it,
        // and writing to it could break it for the komo that made it.
        return Err(StoreError::corrupt(
            "the store's schema",
            format!("it is version {current}, newer than this komo knows ({latest}); upgrade komo"),
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(i).unwrap_or(i64::MAX) + 1;
        if version > current {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1",
                params![version.to_string()],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_version(conn: &Connection) -> String {
        conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).unwrap()
    }

    fn names(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn a_new_store_is_migrated_to_the_last_schema_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(schema_version(&conn), "5");
        let tables = names(&conn, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
        assert_eq!(
            tables,
            [
                "api_keys",
                "contacts",
                "dashboard_sessions",
                "events",
                "meta",
                "runs",
                "versions",
                "workflows",
                "workspaces"
            ]
        );
        // Opening it again applies nothing more.
        migrate(&mut conn).unwrap();
        assert_eq!(schema_version(&conn), "5");
    }

    #[test]
    fn a_store_of_a_newer_schema_is_refused_and_left_as_it_is() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'", []).unwrap();
        let refused = migrate(&mut conn).unwrap_err().to_string();
        assert!(refused.contains("version 99, newer than this komo knows (5); upgrade komo"), "{refused}");
        assert_eq!(schema_version(&conn), "99", "nothing was changed");
    }

    #[test]
    fn a_store_of_an_older_schema_gets_only_the_migrations_it_lacks() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)").unwrap();
        conn.execute_batch(MIGRATIONS.first().unwrap()).unwrap();
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')", []).unwrap();
        conn.execute(
            "INSERT INTO events (workspace, id, type, received_at, body) VALUES ('ws', 'e1', 'T', 1, '{}')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(schema_version(&conn), "5");
        assert!(
            names(&conn, "SELECT name FROM pragma_table_info('runs')").contains(&"cause_run".to_string())
        );
        let depth: i64 =
            conn.query_row("SELECT depth FROM events WHERE id = 'e1'", [], |r| r.get(0)).unwrap();
        assert_eq!(depth, 0, "rows stored before a migration are kept, with the new columns' defaults");
    }

    #[test]
    fn runs_stored_before_the_arrival_order_are_numbered_as_they_were_inserted() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)").unwrap();
        for sql in MIGRATIONS.get(..3).unwrap() {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '3')", []).unwrap();
        for id in ["run_z", "run_a", "run_m"] {
            conn.execute(
                "INSERT INTO runs (id, workspace, workflow, version, status, trigger, event_id, started_at, state)
                 VALUES (?1, 'ws', 'w', 1, 'succeeded', 'T', 'e', 5, '{}')",
                [id],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        assert_eq!(schema_version(&conn), "5");
        assert_eq!(
            names(&conn, "SELECT id FROM runs ORDER BY started_at DESC, seq DESC"),
            ["run_m", "run_a", "run_z"]
        );
    }
}

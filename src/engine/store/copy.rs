//! `komo store copy`: a whole store from one backend to another (SQLite ↔ Postgres).
//!
//! In: an open source store and an open, empty target. Out: every workspace, key,
//! workflow and version, event, contact and run (with its journal, due time and place
//! in the arrival order) in the target, table by table, a page at a time (each page one
//! transaction). Runs arrive unclaimed: no lease is copied. Dashboard sessions are not
//! copied (signing in again is cheap; a copy holds no live session).

use super::{Backend, Store, StoreError};

/// A stored value, as both backends read and write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// A column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
}

/// A table to copy: its columns and the ones its rows are paged by (a unique key).
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    pub key: &'static [&'static str],
}

use Kind::{Int, Text};

/// Every table a copy carries, parents first.
pub const TABLES: &[Table] = &[
    Table { name: "workspaces", columns: &[("id", Text), ("created_at", Int)], key: &["id"] },
    Table {
        name: "api_keys",
        columns: &[("hash", Text), ("workspace", Text), ("created_at", Int)],
        key: &["hash"],
    },
    Table {
        name: "workflows",
        columns: &[
            ("workspace", Text),
            ("name", Text),
            ("status", Text),
            ("source", Text),
            ("active_version", Int),
            ("updated_at", Int),
        ],
        key: &["workspace", "name"],
    },
    Table {
        name: "versions",
        columns: &[
            ("workspace", Text),
            ("workflow", Text),
            ("version", Int),
            ("source", Text),
            ("ir", Text),
            ("trigger", Text),
            ("created_at", Int),
        ],
        key: &["workspace", "workflow", "version"],
    },
    Table {
        name: "events",
        columns: &[
            ("workspace", Text),
            ("id", Text),
            ("type", Text),
            ("received_at", Int),
            ("body", Text),
            ("depth", Int),
            ("caused_by", Text),
        ],
        key: &["workspace", "id"],
    },
    Table {
        name: "contacts",
        columns: &[("workspace", Text), ("id", Text), ("email", Text), ("phone", Text), ("data", Text)],
        key: &["workspace", "id"],
    },
    Table {
        name: "runs",
        columns: &[
            ("id", Text),
            ("workspace", Text),
            ("workflow", Text),
            ("version", Int),
            ("status", Text),
            ("trigger", Text),
            ("hub", Text),
            ("card", Text),
            ("event_id", Text),
            ("contact_id", Text),
            ("started_at", Int),
            ("finished_at", Int),
            ("due_at", Int),
            ("state", Text),
            ("depth", Int),
            ("caused_by", Text),
            ("cause_run", Text),
            ("seq", Int),
            ("start_contact", Text),
        ],
        key: &["seq"],
    },
];

/// Rows per page.
const PAGE: u32 = 500;

impl Store {
    /// Whether the store holds nothing a copy would carry.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        for table in TABLES {
            let rows = match &self.backend {
                Backend::Sqlite(s) => s.page(table, None, 1)?,
                Backend::Postgres(p) => p.page(table, None, 1).await?,
            };
            if !rows.is_empty() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Copies every table into `target` (which must be empty: see [`Store::is_empty`]);
    /// answers `(table, rows)` for each.
    pub async fn copy_to(&self, target: &Store) -> Result<Vec<(&'static str, u64)>, StoreError> {
        let mut counts = Vec::new();
        for table in TABLES {
            let key_at: Vec<usize> =
                table.key.iter().filter_map(|k| table.columns.iter().position(|(c, _)| c == k)).collect();
            let mut after: Option<Vec<Cell>> = None;
            let mut copied = 0u64;
            loop {
                let rows = match &self.backend {
                    Backend::Sqlite(s) => s.page(table, after.as_deref(), PAGE)?,
                    Backend::Postgres(p) => p.page(table, after.as_deref(), PAGE).await?,
                };
                let Some(last) = rows.last() else { break };
                after = Some(key_at.iter().filter_map(|i| last.get(*i).cloned()).collect());
                copied += u64::try_from(rows.len()).unwrap_or(u64::MAX);
                match &target.backend {
                    Backend::Sqlite(s) => s.insert_rows(table, &rows)?,
                    Backend::Postgres(p) => p.insert_rows(table, &rows).await?,
                }
            }
            counts.push((table.name, copied));
        }
        if let Backend::Postgres(p) = &target.backend {
            p.after_copy().await?;
        }
        Ok(counts)
    }
}

/// `WHERE (k1, k2) > (?, ?)` for keyset paging over the key expressions `keys`, with
/// the placeholders `slot` makes of a 1-based index.
pub(super) fn after_clause(keys: &[String], slot: impl Fn(usize) -> String) -> String {
    let slots: Vec<String> = (1..=keys.len()).map(slot).collect();
    format!("WHERE ({}) > ({})", keys.join(", "), slots.join(", "))
}

//! A store copy's reads and writes on SQLite (see `store/copy.rs`).

use rusqlite::types::Value;

use super::{Sqlite, StoreError};
use crate::engine::store::copy::{Cell, Table, after_clause};

/// A cell as a SQLite value.
pub(super) fn to_value(cell: &Cell) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Int(i) => Value::Integer(*i),
        Cell::Text(t) => Value::Text(t.clone()),
    }
}

impl Sqlite {
    /// Up to `limit` rows of `table` after the key `after`, by its key.
    pub fn page(
        &self,
        table: &Table,
        after: Option<&[Cell]>,
        limit: u32,
    ) -> Result<Vec<Vec<Cell>>, StoreError> {
        let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        let keys: Vec<String> = table.key.iter().map(|k| (*k).to_string()).collect();
        let filter = after.map(|_| after_clause(&keys, |i| format!("?{i}"))).unwrap_or_default();
        let sql = format!(
            "SELECT {} FROM {} {filter} ORDER BY {} LIMIT {limit}",
            columns.join(", "),
            table.name,
            table.key.join(", ")
        );
        let conn = self.lock()?;
        let mut stmt = conn.prepare(&sql)?;
        let values: Vec<Value> = after.unwrap_or_default().iter().map(to_value).collect();
        let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), |r| {
            (0..columns.len())
                .map(|i| {
                    Ok(match r.get::<_, Value>(i)? {
                        Value::Integer(n) => Cell::Int(n),
                        Value::Text(t) => Cell::Text(t),
                        _ => Cell::Null,
                    })
                })
                .collect::<rusqlite::Result<Vec<Cell>>>()
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Inserts rows of `table` in one transaction.
    pub fn insert_rows(&self, table: &Table, rows: &[Vec<Cell>]) -> Result<(), StoreError> {
        let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        let slots: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql =
            format!("INSERT INTO {} ({}) VALUES ({})", table.name, columns.join(", "), slots.join(", "));
        self.transaction(|tx| {
            let mut stmt = tx.prepare(&sql)?;
            for row in rows {
                let values: Vec<Value> = row.iter().map(to_value).collect();
                stmt.execute(rusqlite::params_from_iter(values.iter()))?;
            }
            Ok(())
        })
    }
}

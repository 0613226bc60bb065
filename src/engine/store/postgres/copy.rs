//! A store copy's reads and writes on Postgres (see `store/copy.rs`).

use tokio_postgres::types::ToSql;

use super::{Postgres, StoreError, get};
use crate::engine::store::copy::{Cell, Kind, Table, after_clause};

/// A cell as a parameter of its column's type (a null's type is `kind`'s).
pub(super) fn param(cell: &Cell, kind: Kind) -> Box<dyn ToSql + Sync + Send> {
    match (cell, kind) {
        (Cell::Int(i), _) => Box::new(*i),
        (Cell::Text(t), _) => Box::new(t.clone()),
        (Cell::Null, Kind::Int) => Box::new(None::<i64>),
        (Cell::Null, Kind::Text) => Box::new(None::<String>),
    }
}

impl Postgres {
    /// Up to `limit` rows of `table` after the key `after`, by its key (compared in
    /// byte order, as SQLite does, whatever the database's collation).
    pub async fn page(
        &self,
        table: &Table,
        after: Option<&[Cell]>,
        limit: u32,
    ) -> Result<Vec<Vec<Cell>>, StoreError> {
        let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        let kind_of =
            |key: &str| table.columns.iter().find(|(c, _)| *c == key).map_or(Kind::Text, |(_, k)| *k);
        let collated: Vec<String> = table
            .key
            .iter()
            .map(|k| if kind_of(k) == Kind::Text { format!("{k} COLLATE \"C\"") } else { (*k).to_string() })
            .collect();
        let filter = after.map(|_| after_clause(&collated, |i| format!("${i}"))).unwrap_or_default();
        let sql = format!(
            "SELECT {} FROM {} {filter} ORDER BY {} LIMIT {limit}",
            columns.join(", "),
            table.name,
            collated.join(", ")
        );
        let params: Vec<Box<dyn ToSql + Sync + Send>> = after
            .unwrap_or_default()
            .iter()
            .zip(table.key)
            .map(|(cell, key)| param(cell, kind_of(key)))
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
        let rows = self.rows(&sql, &refs).await?;
        rows.iter()
            .map(|r| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        Ok(match kind {
                            Kind::Int => get::<Option<i64>>(r, i)?.map_or(Cell::Null, Cell::Int),
                            Kind::Text => get::<Option<String>>(r, i)?.map_or(Cell::Null, Cell::Text),
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// Inserts rows of `table` in one transaction.
    pub async fn insert_rows(&self, table: &Table, rows: &[Vec<Cell>]) -> Result<(), StoreError> {
        let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        let slots: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let sql =
            format!("INSERT INTO {} ({}) VALUES ({})", table.name, columns.join(", "), slots.join(", "));
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let statement = tx.prepare(&sql).await?;
        for row in rows {
            let params: Vec<Box<dyn ToSql + Sync + Send>> =
                row.iter().zip(table.columns).map(|(cell, (_, kind))| param(cell, *kind)).collect();
            let refs: Vec<&(dyn ToSql + Sync)> =
                params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
            tx.execute(&statement, &refs).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// After a copy: new runs continue the copied arrival order.
    pub async fn after_copy(&self) -> Result<(), StoreError> {
        self.execute(
            "SELECT setval(pg_get_serial_sequence('runs', 'seq'), GREATEST((SELECT MAX(seq) FROM runs), 1))",
            &[],
        )
        .await
        .map(|_| ())
    }
}

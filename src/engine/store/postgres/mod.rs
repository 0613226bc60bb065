//! The Postgres store: one database shared by any number of nodes (`komo serve --db
//! postgres://…`).
//!
//! In: the store's operations (see [`super::Store`]). Out: rows. Reads and
//! administrative writes use a pool of connections (deadpool-postgres over
//! tokio-postgres, statements prepared once per connection); the hot writes go to one
//! writer connection per node that commits them in groups (`writer.rs`). Due runs are
//! claimed with `FOR UPDATE SKIP LOCKED` and a lease with a fencing token (`runs.rs`);
//! nodes wake each other with `LISTEN/NOTIFY` (`notify.rs`). Lease times are the
//! database's clock, so nodes' clocks need not agree.
//!
//! The operations, by file: `reads.rs` (workspaces, keys, workflows, versions,
//! contacts, events, sessions), `runs.rs` (runs, claims, leases), `writer.rs` (the hot
//! writes), `schema.rs` (the embedded migrations), `notify.rs` (the listener).

mod cancel;
mod copy;
mod migrate;
mod notify;
mod reads;
mod replay;
mod runs;
mod schema;
mod writer;

use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use super::{Changes, Node, StoreError};

pub use notify::CHANNEL;

/// The database's clock, in milliseconds since the epoch (leases are measured on it).
const DB_NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// The Postgres store of one node.
pub struct Postgres {
    pool: Pool,
    writer: tokio::sync::mpsc::UnboundedSender<writer::Job>,
    node: Node,
    /// Where this store is, without its password.
    name: String,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("store", &self.name)
            .field("node", &self.node.name)
            .finish_non_exhaustive()
    }
}

/// Parameters of a statement.
type Params<'a> = [&'a (dyn ToSql + Sync)];

impl Postgres {
    /// Connects to the database at `url` (migrating it), as `node`; `changes` hears
    /// what other nodes announce.
    pub async fn open(
        url: &str,
        name: String,
        node: Node,
        changes: Arc<Changes>,
    ) -> Result<Postgres, StoreError> {
        let unreachable = |detail: String| StoreError::Unreachable { store: name.clone(), detail };
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| unreachable(format!("not a Postgres URL: {e}")))?;
        let (mut client, connection) = config.connect(NoTls).await.map_err(|e| unreachable(e.to_string()))?;
        let driver = tokio::spawn(connection);
        schema::migrate(&mut client).await?;
        drop(client);
        let _ = driver.await;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| unreachable(format!("cannot build the connection pool: {e}")))?;
        let writer = writer::start(pool.clone(), name.clone());
        notify::listen(config, name.clone(), changes);
        let store = Postgres { pool, writer, node, name };
        store.release_earlier_claims().await?;
        Ok(store)
    }

    /// Ends the leases an earlier process of this node's name still holds: it is gone
    /// (a node's name is its own), so its runs need not wait out their leases. Were it
    /// still running under the same name by mistake, its commits on those claims would
    /// be refused, not lost.
    async fn release_earlier_claims(&self) -> Result<(), StoreError> {
        let released: i64 = match self
            .row(
                "WITH mine AS (
                   UPDATE runs SET lease_until = 0 WHERE lease_owner = $1 AND lease_until IS NOT NULL
                   RETURNING lease_token),
                 contacts AS (UPDATE contact_leases SET until = 0 WHERE token IN (SELECT lease_token FROM mine))
                 SELECT COUNT(*) FROM mine",
                &[&self.node.name],
            )
            .await?
        {
            Some(row) => get(&row, 0)?,
            None => 0,
        };
        if released > 0 {
            tracing::info!(node = %self.node.name, runs = released, "ended the leases an earlier process of this node held");
        }
        Ok(())
    }

    /// A pooled connection.
    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unreachable { store: self.name.clone(), detail: e.to_string() })
    }

    /// The rows of one statement on a pooled connection.
    async fn rows(&self, sql: &str, params: &Params<'_>) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await?;
        super::count_statements(1);
        Ok(client.query(&statement, params).await?)
    }

    /// The first row of one statement, if any.
    async fn row(&self, sql: &str, params: &Params<'_>) -> Result<Option<tokio_postgres::Row>, StoreError> {
        Ok(self.rows(sql, params).await?.into_iter().next())
    }

    /// Runs one statement; answers how many rows it changed.
    async fn execute(&self, sql: &str, params: &Params<'_>) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await?;
        super::count_statements(1);
        Ok(client.execute(&statement, params).await?)
    }

    /// Tells every node (this one too) `what` changed, at once.
    pub async fn announce(&self, what: &str) -> Result<(), StoreError> {
        self.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &what]).await.map(|_| ())
    }
}

/// Reads a column, naming it in the error.
fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    i: usize,
) -> Result<T, StoreError> {
    row.try_get(i).map_err(StoreError::from)
}

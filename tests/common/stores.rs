//! One test body, run on each store the engine has: the embedded SQLite file and a
//! Postgres database (a fresh one in the throwaway cluster of [`super::postgres`]).
//!
//! A test that should hold on both stores is a plain function taking the [`Backend`],
//! with [`both_stores!`](crate::both_stores) above it naming the test attribute it
//! would have had and the function:
//!
//! ```ignore
//! both_stores!(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] restarts_resume_runs);
//! async fn restarts_resume_runs(backend: Backend) {
//!     let dir = project(&format!("restart-{backend}"));
//!     let db = backend.location(&dir);
//!     let engine = open_engine(&dir, db.as_ref()).await.unwrap();
//!     // ...
//! }
//! ```
//!
//! That makes two tests, `restarts_resume_runs::sqlite` and
//! `restarts_resume_runs::postgres`, each calling the function with its backend. The
//! Postgres one passes without running the body when PostgreSQL is not installed (see
//! [`super::postgres::cluster`]; `KOMO_REQUIRE_POSTGRES=1` makes that a failure).
//! `#[test]` (a plain function) and any `#[tokio::test(...)]` (an `async fn`) work.
//!
//! The body stays an ordinary function outside the macro, so rustfmt and clippy see it
//! as they see every other test.
//!
//! The two variants of a test run concurrently like any two tests: whatever they put on
//! disk goes in a directory named with the backend (`Backend` displays as `sqlite` or
//! `postgres`). Each call of [`Backend::location`], [`Backend::store`] or
//! [`Backend::db_arg`] is a store of its own on Postgres (a fresh database): a test that
//! opens the same store twice (a restart, a second workspace sharing it, the `komo`
//! binary started again) asks once and reuses the answer.

use std::fmt;
use std::path::Path;

use komo::engine::store::StoreLocation;

/// Which store a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The store of the project at `dir`: its default SQLite file
    /// (`<dir>/.komo/komo.db`, the one `open_engine(dir, None)` opens), or a fresh
    /// Postgres database. For `open_engine(dir, backend.location(dir).as_ref())`.
    pub fn location(self, dir: &Path) -> Option<StoreLocation> {
        Some(self.store(&dir.join(".komo/komo.db")))
    }

    /// The SQLite file at `sqlite_file`, or a fresh Postgres database.
    pub fn store(self, sqlite_file: &Path) -> StoreLocation {
        match self {
            Backend::Sqlite => StoreLocation::Sqlite(sqlite_file.to_path_buf()),
            Backend::Postgres => StoreLocation::Postgres(cluster().fresh_database()),
        }
    }

    /// The `--db` value for the `komo` binary on the project at `dir`: the path of its
    /// default SQLite file, or the URL of a fresh Postgres database.
    pub fn db_arg(self, dir: &Path) -> String {
        match self.store(&dir.join(".komo/komo.db")) {
            StoreLocation::Sqlite(path) => path.to_str().expect("a UTF-8 path").to_owned(),
            StoreLocation::Postgres(url) => url,
        }
    }

    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The cluster, which a Postgres variant only reaches when it is there.
fn cluster() -> &'static super::postgres::Cluster {
    super::postgres::cluster().expect("the Postgres variant of a test runs only with a cluster")
}

/// Runs `sql` with `psql` in the Postgres database at `url` (one [`Backend`] gave out)
/// and answers its rows, unaligned, tuples only (`psql -At`): for a test that reaches
/// into the store by hand, as its SQLite variant does with `rusqlite`.
pub fn psql(url: &str, sql: &str) -> String {
    cluster().psql(url, sql)
}

/// Two tests, `NAME::sqlite` and `NAME::postgres`, from the function `NAME(backend:
/// Backend)` that follows, under the test attribute given (`#[test]` for a plain
/// function, `#[tokio::test(...)]` for an `async fn`). The Postgres one returns at once,
/// passing, when PostgreSQL is not installed. See the [module](self) docs.
#[macro_export]
macro_rules! both_stores {
    (#[test] $name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::common::stores::Backend::Sqlite)
            }

            #[test]
            fn postgres() {
                if $crate::common::postgres::cluster().is_some() {
                    super::$name($crate::common::stores::Backend::Postgres)
                }
            }
        }
    };
    (#[$test:meta] $name:ident) => {
        mod $name {
            #[$test]
            async fn sqlite() {
                super::$name($crate::common::stores::Backend::Sqlite).await
            }

            #[$test]
            async fn postgres() {
                if $crate::common::postgres::cluster().is_some() {
                    super::$name($crate::common::stores::Backend::Postgres).await
                }
            }
        }
    };
}

//! The throwaway PostgreSQL of `tests/common/postgres.rs`: fresh databases are distinct
//! and accept queries, and concurrent tests share one cluster. Without PostgreSQL these
//! return early (`cluster()` says so on stderr), unless `KOMO_REQUIRE_POSTGRES=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::postgres::cluster;

#[test]
fn fresh_databases_are_distinct_and_answer() {
    let Some(cluster) = cluster() else { return };
    #[allow(clippy::print_stderr)]
    {
        eprintln!("PostgreSQL cluster on port {} started in {:?}", cluster.port(), cluster.startup());
    }
    let first = cluster.fresh_database();
    let second = cluster.fresh_database();
    assert_ne!(first, second);
    let prefix = format!("postgres://komo@127.0.0.1:{}/", cluster.port());
    for url in [&first, &second] {
        assert!(url.starts_with(&prefix), "{url} does not start with {prefix}");
        assert_eq!(cluster.psql(url, "SELECT 1").trim(), "1", "{url}");
    }
    let name = |url: &str| cluster.psql(url, "SELECT current_database()").trim().to_string();
    assert_eq!(name(&first), first.strip_prefix(&prefix).unwrap());
    assert_eq!(name(&second), second.strip_prefix(&prefix).unwrap());

    // A table in one is not in the other.
    cluster.psql(&first, "CREATE TABLE only_here (x int); INSERT INTO only_here VALUES (7)");
    assert_eq!(cluster.psql(&first, "SELECT x FROM only_here").trim(), "7");
    assert_eq!(
        cluster.psql(&second, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'").trim(),
        "0"
    );
}

#[test]
fn concurrent_tests_share_one_cluster() {
    let Some(cluster) = cluster() else { return };
    let ports: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            (0..4).map(|_| scope.spawn(|| common::postgres::cluster().unwrap().port())).collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    assert!(ports.iter().all(|&port| port == cluster.port()), "{ports:?}");
    let urls: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| cluster.fresh_database())).collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let mut unique = urls.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), urls.len(), "{urls:?}");
}

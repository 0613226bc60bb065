//! `komo serve [--project DIR] [--db URL] [--listen ADDR]`, and the project and store
//! lookup that `komo keys` shares.
//!
//! In: a project (the nearest directory with a `komo.toml`, from the current directory
//! up, or `--project`), a store (a SQLite file, by default `<project>/.komo/komo.db`)
//! and an address. Out: the engine, serving its HTTP API (`crate::server`) and running
//! its scheduler until SIGTERM or Ctrl-C; `komo serve: listening on http://ADDR
//! (workspace W)` and one log line per request on stderr (`RUST_LOG` sets the level,
//! `info` by default). On a signal it stops accepting, lets the requests in flight
//! finish, stops the scheduler and exits 0. Exit 2 when there is no project, the store
//! cannot be opened or the address cannot be bound; 101 when the scheduler fails.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{Console, Exit};
use crate::engine::Engine;
use crate::engine::store::{Node, StoreLocation};

/// How long, after a signal, requests in flight and the scheduler get to finish.
const GRACE: Duration = Duration::from_secs(10);

/// Where the project and its store are (`komo serve`, `komo keys create`).
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The project directory, with its komo.toml [default: the nearest directory with
    /// one, from the current directory up]
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,

    /// The store: a SQLite file (a path, or `sqlite://PATH`), or a Postgres database
    /// (`postgres://USER@HOST/DB`, shared by several nodes) [default:
    /// <project>/.komo/komo.db]
    #[arg(long, value_name = "URL")]
    db: Option<String>,
}

/// This process as a node of its store (`komo serve`).
#[derive(Debug, Args)]
struct NodeArgs {
    /// This node's name, on its leases, /metrics and the dashboard [default: <host>-<pid>]
    #[arg(long, value_name = "NAME")]
    node: Option<String>,

    /// How long this node's claims on runs last without being renewed, in seconds (on a
    /// Postgres store: after it, a node that died has its runs taken over)
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    lease: f64,
}

#[derive(Debug, Args)]
#[command(after_long_help = "\
The engine loads the project's workflows/*.komo (new or changed workflows are saved as
drafts; states and versions live in the store), answers the HTTP API (every /v1 call
needs `Authorization: Bearer <key>`, see `komo keys create`) and advances the runs
that are due. Logs go to stderr; RUST_LOG sets their level (default `info`).

Examples:
  komo serve                                  the project around the current directory
  komo serve --project acme --listen 0.0.0.0:8080
  komo serve --db /var/lib/komo/acme.db       the store somewhere else
  RUST_LOG=debug komo serve                   more logging

Stop it with Ctrl-C or SIGTERM: it stops accepting, finishes the requests in flight and
the steps being run, and exits 0.

Exit status: 0 stopped by a signal, 2 no project, an unusable store or address, 101
internal error.")]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,

    #[command(flatten)]
    node: NodeArgs,

    /// The address to listen on (port 0: any free port, printed on stderr)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// What to log, as `RUST_LOG` takes it (overrides it): `info` (the default) logs
    /// one line per finished run and every failure, `debug` every step and request
    #[arg(long, value_name = "FILTER")]
    log: Option<String>,
}

pub(crate) fn run(args: &ServeArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    if let Err(ignored) = init_tracing(args.log.as_deref(), console.color) {
        writeln!(console.err, "{} {ignored}", console.bold("warning:"))?;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            writeln!(console.err, "{} cannot start the runtime: {error}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let node = match node(&args.node) {
        Ok(node) => node,
        Err(error) => {
            writeln!(console.err, "{} {error}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let engine = match open_engine(&args.store, node, &runtime, console)? {
        Ok(engine) => Arc::new(engine),
        Err(exit) => return Ok(exit),
    };
    runtime.block_on(serve(engine, args.listen, console))
}

/// Why the project could not be found (`komo serve`, `komo keys`, `komo deploy`,
/// `komo run --live-connectors`), or its workflows not listed.
#[derive(Debug)]
pub(crate) enum ProjectLookupError {
    /// The current directory, where the search starts, cannot be told.
    NoCurrentDir { cause: io::Error },
    /// `--project` names something that is not a directory.
    NotADirectory { dir: PathBuf },
    /// `--project` names a directory without a `komo.toml`.
    NoConfig { dir: PathBuf },
    /// No directory from `cwd` up has a `komo.toml`.
    NoneAbove { cwd: PathBuf },
    /// The project's `workflows/` cannot be read.
    WorkflowsUnreadable { dir: PathBuf, cause: io::Error },
}

impl fmt::Display for ProjectLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProjectLookupError::NoCurrentDir { cause } => {
                write!(f, "cannot tell the current directory: {cause}")
            }
            ProjectLookupError::NotADirectory { dir } => {
                write!(f, "the project `{}` is not a directory", dir.display())
            }
            ProjectLookupError::NoConfig { dir } => write!(
                f,
                "no `komo.toml` in `{}`: a project needs one, with at least `[workspace]` and `id = \"…\"`",
                dir.display()
            ),
            ProjectLookupError::NoneAbove { cwd } => write!(
                f,
                "no `komo.toml` in `{}` or any directory above it; run in a project (a directory \
                 with a `komo.toml` holding `[workspace]` and `id = \"…\"`) or pass `--project DIR`",
                cwd.display()
            ),
            ProjectLookupError::WorkflowsUnreadable { dir, cause } => {
                f.write_str(&super::files::cannot_read(dir, cause))
            }
        }
    }
}

impl std::error::Error for ProjectLookupError {}

/// Why the engine could not be opened: no project, a `--db` that is not a SQLite file,
/// or the engine's own error.
#[derive(Debug)]
enum EngineOpenError {
    Project(ProjectLookupError),
    /// `--db sqlite://` with no path.
    NoStoreFile,
    /// `--node` or `--lease` cannot be used.
    BadNode {
        why: String,
    },
    /// `--db` with another scheme.
    UnknownStore {
        db: String,
    },
    Engine(super::project::OpenEngineError),
}

impl fmt::Display for EngineOpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineOpenError::Project(error) => error.fmt(f),
            EngineOpenError::NoStoreFile => f.write_str("`--db` names no file"),
            EngineOpenError::BadNode { why } => f.write_str(why),
            EngineOpenError::UnknownStore { db } => {
                write!(
                    f,
                    "`--db {db}` is not a store komo knows: give a SQLite file path or a `postgres://` URL"
                )
            }
            EngineOpenError::Engine(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for EngineOpenError {}

/// Opens the project's engine on `runtime` (a Postgres store connects on it), or says
/// on stderr why it cannot be opened.
pub(crate) fn open_engine(
    args: &StoreArgs,
    node: Node,
    runtime: &tokio::runtime::Runtime,
    console: &mut Console<'_>,
) -> io::Result<Result<Engine, Exit>> {
    let opened = std::env::current_dir()
        .map_err(|cause| EngineOpenError::Project(ProjectLookupError::NoCurrentDir { cause }))
        .and_then(|cwd| find_project(args.project.as_deref(), &cwd).map_err(EngineOpenError::Project))
        .and_then(|project| Ok((project, store_location(args.db.as_deref())?)))
        .and_then(|(project, db)| {
            runtime
                .block_on(super::project::open_engine_as(&project, db.as_ref(), node))
                .map_err(EngineOpenError::Engine)
        });
    match opened {
        Ok(engine) => Ok(Ok(engine)),
        Err(error) => {
            writeln!(console.err, "{} {error}", console.red("error:"))?;
            Ok(Err(Exit::Usage))
        }
    }
}

/// `given` if it has a `komo.toml`, or else the nearest directory with one from `cwd` up.
pub(crate) fn find_project(given: Option<&Path>, cwd: &Path) -> Result<PathBuf, ProjectLookupError> {
    let has_config = |dir: &Path| dir.join("komo.toml").is_file();
    match given {
        Some(dir) if has_config(dir) => Ok(dir.to_path_buf()),
        Some(dir) if !dir.is_dir() => Err(ProjectLookupError::NotADirectory { dir: dir.to_path_buf() }),
        Some(dir) => Err(ProjectLookupError::NoConfig { dir: dir.to_path_buf() }),
        None => super::project::find_root(cwd)
            .ok_or_else(|| ProjectLookupError::NoneAbove { cwd: cwd.to_path_buf() }),
    }
}

/// This node, as `--node` and `--lease` name it.
fn node(args: &NodeArgs) -> Result<Node, EngineOpenError> {
    let mut node = super::project::default_node();
    if let Some(name) = &args.node {
        if name.trim().is_empty() || name.len() > 200 {
            return Err(EngineOpenError::BadNode {
                why: "`--node` needs a name of 1 to 200 characters".into(),
            });
        }
        node.name = name.clone();
    }
    if !(args.lease.is_finite() && (0.1..=3600.0).contains(&args.lease)) {
        return Err(EngineOpenError::BadNode {
            why: format!("`--lease {}` is not between 0.1 and 3600 seconds", args.lease),
        });
    }
    // At most an hour: the product fits an i64 of milliseconds.
    #[allow(clippy::cast_possible_truncation)]
    let lease_ms = (args.lease * 1000.0).round() as i64;
    node.lease_ms = lease_ms;
    Ok(node)
}

/// The store `--db` names (none: the engine's default in the project).
fn store_location(db: Option<&str>) -> Result<Option<StoreLocation>, EngineOpenError> {
    let Some(db) = db else { return Ok(None) };
    match StoreLocation::parse(db) {
        Some(StoreLocation::Sqlite(path)) if path.as_os_str().is_empty() => Err(EngineOpenError::NoStoreFile),
        Some(location) => Ok(Some(location)),
        None => Err(EngineOpenError::UnknownStore { db: db.to_owned() }),
    }
}

/// `--log` or `RUST_LOG` did not parse: the text, and why (the level stays `info`).
#[derive(Debug)]
struct LogFilterError {
    spec: String,
    cause: tracing_subscriber::filter::ParseError,
}

impl fmt::Display for LogFilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ignoring the log filter `{}` (of --log or RUST_LOG): {}", self.spec, self.cause)
    }
}

impl std::error::Error for LogFilterError {}

/// Log lines on stderr; `--log` or else `RUST_LOG` sets the level (`info` when unset or
/// unreadable).
fn init_tracing(flag: Option<&str>, color: bool) -> Result<(), LogFilterError> {
    use tracing_subscriber::EnvFilter;
    let spec = flag.map(str::to_string).ok_or(()).or_else(|()| std::env::var("RUST_LOG"));
    let (filter, problem) = match spec {
        Ok(spec) if !spec.trim().is_empty() => match EnvFilter::try_new(&spec) {
            Ok(filter) => (filter, None),
            Err(cause) => (EnvFilter::new("info"), Some(LogFilterError { spec, cause })),
        },
        _ => (EnvFilter::new("info"), None),
    };
    // A second subscriber (in tests) is not an error: the first one stays.
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(io::stderr).with_ansi(color).try_init();
    problem.map_or(Ok(()), Err)
}

/// Binds, announces the address, and serves with the scheduler running beside the API
/// until a signal (or until the scheduler ends on its own, which is a bug).
async fn serve(engine: Arc<Engine>, listen: SocketAddr, console: &mut Console<'_>) -> io::Result<Exit> {
    let mut signals = match Signals::new() {
        Ok(signals) => signals,
        Err(error) => {
            writeln!(console.err, "{} cannot listen for signals: {error}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let listener = match TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(error) => {
            writeln!(console.err, "{} cannot listen on {listen}: {error}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let address = listener.local_addr().unwrap_or(listen);
    writeln!(console.err, "komo serve: listening on http://{address} (workspace {})", engine.workspace())?;
    console.err.flush()?;

    let (stop, stopped) = watch::channel(false);
    let scheduler_failed = Arc::new(AtomicBool::new(false));
    let (ended, scheduler_ended) = tokio::sync::oneshot::channel::<()>();
    let scheduler = tokio::spawn(Arc::clone(&engine).run_scheduler(stopped.clone()));
    let watcher = tokio::spawn(async move {
        let _ = scheduler.await;
        let _ = ended.send(());
    });
    let shutdown = {
        let (stop, failed) = (stop.clone(), Arc::clone(&scheduler_failed));
        async move {
            tokio::select! {
                () = signals.recv() => tracing::info!("shutting down"),
                _ = scheduler_ended => {
                    failed.store(true, Ordering::SeqCst);
                    tracing::error!("the scheduler stopped unexpectedly; shutting down");
                }
            }
            stop.send_replace(true);
        }
    };
    let served = tokio::select! {
        served = crate::server::serve_on(engine, listener, shutdown) => served,
        () = after_stop(stopped) => {
            tracing::warn!("requests still in flight after {} s; exiting anyway", GRACE.as_secs());
            Ok(())
        }
    };
    stop.send_replace(true);
    if tokio::time::timeout(GRACE, watcher).await.is_err() {
        tracing::warn!("the scheduler did not stop within {} s; exiting anyway", GRACE.as_secs());
    }
    if let Err(error) = served {
        writeln!(console.err, "{} the server failed: {error}", console.red("error:"))?;
        return Ok(Exit::Usage);
    }
    if scheduler_failed.load(Ordering::SeqCst) {
        writeln!(console.err, "{} internal error: the scheduler stopped", console.red("error:"))?;
        return Ok(Exit::Internal);
    }
    writeln!(console.err, "komo serve: stopped")?;
    Ok(Exit::Success)
}

/// Completes [`GRACE`] after the stop was requested.
async fn after_stop(mut stopped: watch::Receiver<bool>) {
    if stopped.wait_for(|stop| *stop).await.is_ok() {
        tokio::time::sleep(GRACE).await;
    } else {
        std::future::pending::<()>().await;
    }
}

/// SIGTERM and Ctrl-C, registered before the address is announced so that none is
/// missed.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> io::Result<Signals> {
        Ok(Signals {})
    }

    #[cfg(unix)]
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("komo-serve-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        dir
    }

    #[test]
    fn the_project_is_found_walking_up_or_given() {
        let dir = scratch("find");
        std::fs::write(dir.join("komo.toml"), "[workspace]\nid = \"acme\"\n").unwrap();
        assert_eq!(find_project(None, &dir.join("a/b")).unwrap(), dir);
        assert_eq!(find_project(Some(&dir), Path::new("/")).unwrap(), dir);
        let not_one = find_project(Some(&dir.join("a")), &dir).unwrap_err().to_string();
        assert!(not_one.starts_with("no `komo.toml` in"), "{not_one}");
        let missing = find_project(Some(&dir.join("nope")), &dir).unwrap_err().to_string();
        assert!(missing.contains("is not a directory"), "{missing}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_store_is_a_sqlite_file_or_a_postgres_url() {
        let sqlite = |p: &str| Some(StoreLocation::Sqlite(PathBuf::from(p)));
        assert_eq!(store_location(None).unwrap(), None);
        assert_eq!(store_location(Some("x/k.db")).unwrap(), sqlite("x/k.db"));
        assert_eq!(store_location(Some("sqlite:///tmp/k.db")).unwrap(), sqlite("/tmp/k.db"));
        for url in ["postgres://u@h/db", "postgresql://h/db"] {
            assert_eq!(store_location(Some(url)).unwrap(), Some(StoreLocation::Postgres(url.into())));
        }
        let mysql = store_location(Some("mysql://h/db")).unwrap_err().to_string();
        assert!(mysql.contains("not a store komo knows"), "{mysql}");
        assert!(store_location(Some("")).is_err());
        assert!(store_location(Some("sqlite://")).is_err());
    }
}

//! A real, throwaway PostgreSQL for the integration tests, started from the installed
//! binaries (Debian's `postgresql` package: `/usr/lib/postgresql/<version>/bin`), with no
//! system service and no Rust client: databases are created with `psql`.
//!
//! One cluster per test binary, started on first use by [`cluster`] and shared by its
//! tests (each takes its own [`Cluster::fresh_database`]). It lives in a fresh directory
//! under the system temp dir, listens on a free loopback port with trust auth for the
//! superuser `komo`, and runs with `fsync = off` (in its configuration file, so a benchmark can turn it on). A watchdog shell polls the test process
//! and, once it has exited (however it exited), stops the cluster (`-m immediate`) and
//! removes the directory, so nothing outlives the test run.
//!
//! PostgreSQL refuses to run as root. When the tests run as root (as here and in CI), the
//! server binaries run as the `postgres` system user (created by Debian's package), or
//! `nobody` without it, through `runuser`, and the directory is `chown`ed to that user.
//!
//! Without PostgreSQL installed, [`cluster`] answers `None` (and says so once on stderr),
//! and the tests that need it return early, unless `KOMO_REQUIRE_POSTGRES=1` (CI sets it):
//! then it panics, so a CI run can never silently skip them.

use std::fs;
use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The database superuser `initdb` creates; every URL connects as it.
const SUPERUSER: &str = "komo";

/// How many fresh ports to try when the one picked was taken before the server bound it.
const PORT_ATTEMPTS: usize = 5;

/// A running throwaway cluster, shared by every test of one test binary (started on first
/// use).
#[derive(Debug)]
pub struct Cluster {
    port: u16,
    /// The temp directory holding everything below; removed by the watchdog.
    root: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    log: PathBuf,
    psql: PathBuf,
    /// The system user the server runs as when the tests run as root.
    run_as: Option<String>,
    /// How long starting took (initdb and pg_ctl start).
    startup: Duration,
    databases: AtomicU32,
}

/// The cluster, or `None` when PostgreSQL is not installed (said once on stderr). With
/// `KOMO_REQUIRE_POSTGRES=1` a missing PostgreSQL panics instead. A PostgreSQL that is
/// installed but fails to start always panics, with the server log.
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Result<Option<Cluster>, String>> = OnceLock::new();
    match CLUSTER.get_or_init(start_or_skip) {
        Ok(cluster) => cluster.as_ref(),
        Err(message) => panic!("{message}"),
    }
}

impl Cluster {
    /// Creates a new empty database with a unique name and returns its URL,
    /// `postgres://komo@127.0.0.1:PORT/DBNAME` (TCP loopback, trust auth, no password).
    pub fn fresh_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("t_{}_{n}", std::process::id());
        let output = self.psql_command("postgres").arg("-c").arg(format!("CREATE DATABASE {name}")).output();
        match output {
            Ok(output) if output.status.success() => self.url(&name),
            Ok(output) => panic!("CREATE DATABASE {name}: {}", describe(&output)),
            Err(err) => panic!("running {}: {err}", self.psql.display()),
        }
    }

    /// The port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `name` in this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs `sql` with `psql` in the database at `url` (one this cluster gave out) and
    /// returns its output, unaligned and tuples only (`-At`); panics when psql fails.
    pub fn psql(&self, url: &str, sql: &str) -> String {
        let database = url.rsplit('/').next().unwrap_or_default();
        let output = self.psql_command(database).args(["-At", "-c", sql]).output();
        match output {
            Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout).into_owned(),
            Ok(output) => panic!("psql {url} -c {sql:?}: {}", describe(&output)),
            Err(err) => panic!("running {}: {err}", self.psql.display()),
        }
    }

    /// How long starting the cluster took (initdb and pg_ctl start).
    pub fn startup(&self) -> Duration {
        self.startup
    }

    /// The server log (its current content), for a failing test's message.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The directory of the server's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// `psql` connecting over TCP to `database`, without reading `~/.psqlrc`, stopping at
    /// the first error.
    fn psql_command(&self, database: &str) -> Command {
        let mut command = Command::new(&self.psql);
        clear_pg_env(&mut command);
        command
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", SUPERUSER])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-d")
            .arg(database)
            .stdin(Stdio::null());
        command
    }
}

/// The server binaries this cluster needs.
struct Binaries {
    initdb: PathBuf,
    pg_ctl: PathBuf,
    psql: PathBuf,
}

fn start_or_skip() -> Result<Option<Cluster>, String> {
    let Some(binaries) = find_binaries() else {
        if std::env::var("KOMO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
            return Err("PostgreSQL not installed (initdb/pg_ctl not found), and \
                        KOMO_REQUIRE_POSTGRES=1: install the `postgresql` package"
                .into());
        }
        // Straight to the process's stderr: `eprintln!` in a test is captured by the
        // harness and shown only when that test fails, and the skipping tests pass.
        let _ = writeln!(
            std::io::stderr(),
            "PostgreSQL not installed (initdb/pg_ctl not found): the Postgres tests are skipped"
        );
        return Ok(None);
    };
    start(&binaries).map(Some)
}

/// `initdb`, `pg_ctl` and `psql` from the newest `/usr/lib/postgresql/<version>/bin`, or
/// else from `PATH` (psql falls back to `PATH` on its own).
fn find_binaries() -> Option<Binaries> {
    let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            let bin = entry.path().join("bin");
            (is_executable(&bin.join("initdb")) && is_executable(&bin.join("pg_ctl")))
                .then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        let psql = bin.join("psql");
        let psql = if is_executable(&psql) { Some(psql) } else { on_path("psql") };
        return Some(Binaries { initdb: bin.join("initdb"), pg_ctl: bin.join("pg_ctl"), psql: psql? });
    }
    Some(Binaries { initdb: on_path("initdb")?, pg_ctl: on_path("pg_ctl")?, psql: on_path("psql")? })
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| is_executable(path))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.mode() & 0o111 != 0)
}

fn start(binaries: &Binaries) -> Result<Cluster, String> {
    let began = Instant::now();
    let run_as = if is_root() { Some(unprivileged_user()) } else { None };

    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or_default();
    let root = std::env::temp_dir().join(format!("komo-pg-{}-{nanos:08x}", std::process::id()));
    let data = root.join("data");
    let socket_dir = root.join("sock");
    let log = root.join("server.log");
    fs::create_dir_all(&socket_dir).map_err(|err| format!("creating {}: {err}", socket_dir.display()))?;
    // From here on the watchdog removes the directory, whatever happens next.
    spawn_watchdog(&binaries.pg_ctl, &root, &data, run_as.as_deref())?;
    if let Some(user) = &run_as {
        run(Command::new("chown").arg("-R").arg(format!("{user}:")).arg(&root), "chown")?;
    }

    let mut initdb = server_command(&binaries.initdb, run_as.as_deref(), &root);
    initdb.arg("-D").arg(&data).args([
        "-A",
        "trust",
        "-U",
        SUPERUSER,
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
    ]);
    run(&mut initdb, "initdb")?;
    // In the configuration file, not on the command line, so a benchmark can turn it
    // back on (`ALTER SYSTEM SET fsync = on` and a reload): settings given with `-c`
    // cannot be changed.
    let conf = data.join("postgresql.conf");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&conf)
        .and_then(|mut f| f.write_all(b"\n# Tests: no fsync (a throwaway cluster).\nfsync = off\n"))
        .map_err(|e| format!("cannot write {}: {e}", conf.display()))?;

    let mut failures = Vec::new();
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port()?;
        let options = format!(
            "-p {port} -k '{}' -c listen_addresses=127.0.0.1 -c max_connections=200",
            socket_dir.display()
        );
        let mut pg_ctl = server_command(&binaries.pg_ctl, run_as.as_deref(), &root);
        pg_ctl
            .arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(options)
            .args(["-w", "-t", "60", "-l"])
            .arg(&log)
            .arg("start");
        match run(&mut pg_ctl, "pg_ctl start") {
            Ok(()) => {
                return Ok(Cluster {
                    port,
                    root,
                    data,
                    socket_dir,
                    log,
                    psql: binaries.psql.clone(),
                    run_as,
                    startup: began.elapsed(),
                    databases: AtomicU32::new(0),
                });
            }
            Err(err) => {
                let server_log = fs::read_to_string(&log).unwrap_or_default();
                let clash = server_log.contains("could not bind") || server_log.contains("already in use");
                failures.push(format!("{err}\nserver log:\n{server_log}"));
                if !clash {
                    break;
                }
                // The next attempt appends to the same log; start it afresh.
                let _ = fs::remove_file(&log);
            }
        }
    }
    Err(format!("starting PostgreSQL in {} failed:\n{}", root.display(), failures.join("\n---\n")))
}

/// Whether this process runs as root (the owner of `/proc/self` is its effective uid).
fn is_root() -> bool {
    match fs::metadata("/proc/self") {
        Ok(meta) => meta.uid() == 0,
        Err(_) => Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0"),
    }
}

/// `postgres` (Debian's package creates it), else `nobody`.
fn unprivileged_user() -> String {
    let has_postgres = Command::new("id")
        .args(["-u", "postgres"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if has_postgres { "postgres" } else { "nobody" }.to_string()
}

/// `program`, run as `user` (through `runuser`) when given, in `dir` (the server user may
/// not be able to enter the test's working directory), without `PG*` variables.
fn server_command(program: &Path, user: Option<&str>, dir: &Path) -> Command {
    let mut command = match user {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(program);
            command
        }
        None => Command::new(program),
    };
    clear_pg_env(&mut command);
    command.current_dir(dir).stdin(Stdio::null());
    command
}

/// Removes the `PG*` variables (PGDATA, PGPORT, PGHOST, PGOPTIONS, ...) that would change
/// what a PostgreSQL program does.
fn clear_pg_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|name| name.starts_with("PG")) {
            command.env_remove(name);
        }
    }
}

/// Runs `command` to the end; `Err` with its output when it fails.
fn run(command: &mut Command, what: &str) -> Result<(), String> {
    match command.output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!("{what}: {}", describe(&output))),
        Err(err) => Err(format!("{what}: running {:?}: {err}", command.get_program())),
    }
}

fn describe(output: &Output) -> String {
    format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A loopback port nobody listened on a moment ago.
fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|err| format!("finding a free port: {err}"))
}

/// Starts a shell that waits for this process to exit, then stops the cluster and removes
/// `root`. Its stdio is /dev/null (holding the harness's pipes open would hang `cargo
/// test`), and it runs in its own process group, so a Ctrl-C on the test run does not
/// kill it before it has cleaned up.
fn spawn_watchdog(pg_ctl: &Path, root: &Path, data: &Path, run_as: Option<&str>) -> Result<(), String> {
    let stop = match run_as {
        Some(_) => r#"runuser -u "$4" -- "$1" -D "$2" -m immediate stop"#,
        None => r#""$1" -D "$2" -m immediate stop"#,
    };
    let script = format!(
        r#"trap '' HUP INT
while kill -0 "$5" 2>/dev/null; do sleep 0.5; done
[ -f "$2/postmaster.pid" ] && {stop}
rm -rf "$3""#
    );
    let mut watchdog = Command::new("sh");
    clear_pg_env(&mut watchdog);
    watchdog
        .arg("-c")
        .arg(script)
        .arg("komo-pg-watchdog")
        .arg(pg_ctl)
        .arg(data)
        .arg(root)
        .arg(run_as.unwrap_or(""))
        .arg(std::process::id().to_string())
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
        .map_err(|err| format!("starting the cleanup watchdog: {err}"))
}

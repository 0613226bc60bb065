//! `komo store copy --from URL --to URL`: a whole store from SQLite to Postgres (a
//! project outgrowing one machine) or back.
//!
//! In: two store locations (a SQLite path or `sqlite://PATH`, or a `postgres://` URL).
//! Out: the target holds everything the source held (workspaces, keys, workflows and
//! versions, events, contacts, runs with their journals and due times), and a line per
//! table on stderr; exit 0. Exit 2 when either store cannot be opened, or the target is
//! not empty (nothing is written to it then). Stop the engines on the source first: a
//! copy taken while they run may miss what they write meanwhile.

use std::fmt;
use std::io;

use clap::{Args, Subcommand};

use super::{Console, Exit};
use crate::engine::store::{Node, Store, StoreError, StoreLocation};

#[derive(Debug, Args)]
pub(crate) struct StoreCommandArgs {
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Copy a whole store into an empty one (SQLite ↔ Postgres)
    #[command(after_long_help = "\
Copies workspaces, API keys (their hashes), workflows and every version, events,
contacts and runs (journals, due times, arrival order) into the target, which is created
and migrated if needed and must hold nothing yet. Dashboard sessions are not copied.
Stop every `komo serve` on the source first; then serve on the target.

Examples:
  komo store copy --from .komo/komo.db --to postgres://komo@db.internal/acme
  komo store copy --from postgres://komo@db.internal/acme --to backup.db

Exit status: 0 copied, 2 a store cannot be opened or the target is not empty.")]
    Copy(CopyArgs),
}

#[derive(Debug, Args)]
struct CopyArgs {
    /// The store to copy: a SQLite file (a path, or `sqlite://PATH`) or a `postgres://` URL
    #[arg(long, value_name = "URL")]
    from: String,

    /// The empty store to copy into (created if it is a new SQLite file)
    #[arg(long, value_name = "URL")]
    to: String,
}

pub(crate) fn run(args: &StoreCommandArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    match &args.command {
        StoreCommand::Copy(copy) => copy_store(copy, console),
    }
}

fn copy_store(args: &CopyArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    match copy(args) {
        Ok((from, to, counts)) => {
            for (table, rows) in counts {
                writeln!(console.err, "{table:<12} {rows}")?;
            }
            writeln!(console.err, "copied `{from}` to `{to}`")?;
            Ok(Exit::Success)
        }
        Err(why) => {
            writeln!(console.err, "{} {why}", console.red("error:"))?;
            Ok(Exit::Usage)
        }
    }
}

/// The row count of each table copied.
type Copied = Vec<(&'static str, u64)>;

/// Copies `--from` into `--to`: the two stores and the rows copied.
fn copy(args: &CopyArgs) -> Result<(StoreLocation, StoreLocation, Copied), CopyError> {
    let unknown = |flag, given: &str| CopyError::UnknownStore { flag, given: given.to_string() };
    let from = StoreLocation::parse(&args.from).ok_or_else(|| unknown("--from", &args.from))?;
    let to = StoreLocation::parse(&args.to).ok_or_else(|| unknown("--to", &args.to))?;
    if from == to {
        return Err(CopyError::SameStore);
    }
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(CopyError::Runtime)?;
    let node = super::project::default_node();
    let counts = runtime.block_on(async {
        let source = open(&from, node.clone()).await?;
        let target = open(&to, node).await?;
        if !target.is_empty().await.map_err(CopyError::Read)? {
            return Err(CopyError::NotEmpty { store: to.clone() });
        }
        source.copy_to(&target).await.map_err(CopyError::Copy)
    })?;
    Ok((from, to, counts))
}

/// Opens (creating, migrating) the store `at`.
async fn open(at: &StoreLocation, node: Node) -> Result<Store, CopyError> {
    Store::open(at, node).await.map_err(|cause| CopyError::Open { store: at.clone(), cause })
}

/// Why nothing was copied; the CLI prints it after `error:` and exits 2.
#[derive(Debug)]
enum CopyError {
    /// `flag`'s value is neither a SQLite path nor a `postgres://` URL.
    UnknownStore { flag: &'static str, given: String },
    /// `--from` and `--to` are the same store.
    SameStore,
    /// The async runtime would not start.
    Runtime(io::Error),
    /// A store cannot be opened (or created, or migrated).
    Open { store: StoreLocation, cause: StoreError },
    /// The target cannot be read.
    Read(StoreError),
    /// The target holds something already.
    NotEmpty { store: StoreLocation },
    /// The copy itself failed.
    Copy(StoreError),
}

impl fmt::Display for CopyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopyError::UnknownStore { flag, given } => {
                write!(f, "`{flag} {given}` is not a store komo knows")
            }
            CopyError::SameStore => f.write_str("`--from` and `--to` name the same store"),
            CopyError::Runtime(error) => write!(f, "cannot start the runtime: {error}"),
            CopyError::Open { store, cause } => write!(f, "cannot open `{store}`: {cause}"),
            CopyError::Read(cause) => cause.fmt(f),
            CopyError::NotEmpty { store } => write!(f, "`{store}` is not empty: copy into a new store"),
            CopyError::Copy(cause) => write!(f, "the copy failed: {cause}"),
        }
    }
}

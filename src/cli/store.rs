//! `komo store copy --from URL --to URL`: a whole store from SQLite to Postgres (a
//! project outgrowing one machine) or back.
//!
//! In: two store locations (a SQLite path or `sqlite://PATH`, or a `postgres://` URL).
//! Out: the target holds everything the source held (workspaces, keys, workflows and
//! versions, events, contacts, runs with their journals and due times), and a line per
//! table on stderr; exit 0. Exit 2 when either store cannot be opened, or the target is
//! not empty (nothing is written to it then). Stop the engines on the source first: a
//! copy taken while they run may miss what they write meanwhile.

use std::io;

use clap::{Args, Subcommand};

use super::{Console, Exit};
use crate::engine::store::{Store, StoreLocation};

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
    let (from, to) = match (StoreLocation::parse(&args.from), StoreLocation::parse(&args.to)) {
        (Some(from), Some(to)) => (from, to),
        (None, _) => return refuse(console, &format!("`--from {}` is not a store komo knows", args.from)),
        (_, None) => return refuse(console, &format!("`--to {}` is not a store komo knows", args.to)),
    };
    if from == to {
        return refuse(console, "`--from` and `--to` name the same store");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return refuse(console, &format!("cannot start the runtime: {error}")),
    };
    let node = super::project::default_node();
    let copied = runtime.block_on(async {
        let source =
            Store::open(&from, node.clone()).await.map_err(|e| format!("cannot open `{from}`: {e}"))?;
        let target = Store::open(&to, node).await.map_err(|e| format!("cannot open `{to}`: {e}"))?;
        if !target.is_empty().await.map_err(|e| e.to_string())? {
            return Err(format!("`{to}` is not empty: copy into a new store"));
        }
        source.copy_to(&target).await.map_err(|e| format!("the copy failed: {e}"))
    });
    match copied {
        Ok(counts) => {
            for (table, rows) in counts {
                writeln!(console.err, "{table:<12} {rows}")?;
            }
            writeln!(console.err, "copied `{from}` to `{to}`")?;
            Ok(Exit::Success)
        }
        Err(why) => refuse(console, &why),
    }
}

fn refuse(console: &mut Console<'_>, why: &str) -> io::Result<Exit> {
    writeln!(console.err, "{} {why}", console.red("error:"))?;
    Ok(Exit::Usage)
}

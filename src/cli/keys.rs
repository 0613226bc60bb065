//! `komo keys create [--project DIR] [--db URL]`.
//!
//! In: a project and its store, found as `komo serve` finds them. Out: a new API key
//! for the project's workspace, alone on one line of stdout (only its hash is kept in
//! the store, so this is the one time it is shown); exit 0, or 2 when the project or
//! the store cannot be opened.

use std::io;

use clap::{Args, Subcommand};

use super::serve::{StoreArgs, open_engine};
use super::{Console, Exit};

#[derive(Debug, Args)]
pub(crate) struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create an API key for the project's workspace and print it on stdout
    #[command(after_long_help = "\
The key authenticates calls to the engine's API (`Authorization: Bearer <key>`) for the
workspace in komo.toml. Only its hash is stored: keep the printed key, it cannot be
shown again.

Examples:
  komo keys create                        a key for the project around the current directory
  KOMO_KEY=$(komo keys create --project acme)

Exit status: 0 created, 2 no project or an unusable store.")]
    Create(CreateArgs),
}

#[derive(Debug, Args)]
struct CreateArgs {
    #[command(flatten)]
    store: StoreArgs,
}

pub(crate) fn run(args: &KeysArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    match &args.command {
        KeysCommand::Create(create) => create_key(create, console),
    }
}

fn create_key(args: &CreateArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            writeln!(console.err, "{} cannot start the runtime: {error}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let engine = match open_engine(&args.store, super::project::default_node(), &runtime, console)? {
        Ok(engine) => engine,
        Err(exit) => return Ok(exit),
    };
    match runtime.block_on(engine.create_key()) {
        Ok(key) => {
            writeln!(console.out, "{key}")?;
            let workspace = engine.workspace();
            writeln!(
                console.err,
                "created an API key for workspace `{workspace}`; keep it: only its hash is stored"
            )?;
            Ok(Exit::Success)
        }
        Err(error) => {
            writeln!(console.err, "{} cannot create a key: {error}", console.red("error:"))?;
            Ok(Exit::Usage)
        }
    }
}

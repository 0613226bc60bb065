//! `komo lsp`: the language server on stdin and stdout (see `docs/lsp.md`).
//!
//! In: JSON-RPC from an editor on stdin. Out: JSON-RPC on stdout; nothing else is
//! written there. Exit 0 when the editor closes the connection, 2 if stdin/stdout
//! cannot be used.

use std::io;

use clap::Args;

use super::{Console, Exit};

#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  komo lsp            serve an editor on stdin/stdout (editors start it themselves)
  komo lsp --stdio    the same; the flag is accepted because some clients pass it")]
pub(crate) struct LspArgs {
    /// Talk over stdin/stdout (the only transport; accepted for clients that pass it)
    #[arg(long)]
    stdio: bool,
}

pub(crate) fn run(_args: &LspArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    match crate::lsp::run_stdio() {
        Ok(()) => Ok(Exit::Success),
        Err(error) => {
            writeln!(console.err, "{} cannot serve on stdin/stdout: {error}", console.red("error:"))?;
            Ok(Exit::Usage)
        }
    }
}

//! `komo lsp`: the language server on stdin and stdout (see `docs/lsp.md`).
//!
//! In: JSON-RPC from an editor on stdin. Out: JSON-RPC on stdout (nothing else is
//! written there, so this command runs without a [`Console`](super::Console), which
//! would lock stdout); problems on stderr. Exit 0 when the editor closes the
//! connection, 2 if stdin/stdout cannot be used.

use std::io::Write;

use clap::Args;

use super::Exit;

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

pub(crate) fn run(_args: &LspArgs) -> Exit {
    match crate::lsp::run_stdio() {
        Ok(()) => Exit::Success,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: cannot serve on stdin/stdout: {error}");
            Exit::Usage
        }
    }
}

//! `komo lsp`: the language server on stdin and stdout (see `docs/lsp.md`).
//!
//! In: JSON-RPC from an editor on stdin. Out: JSON-RPC on stdout (nothing else is
//! written there, so this command runs without a [`Console`](super::Console), which
//! would lock stdout); problems on stderr. Exit 0 when the editor closes the
//! connection, 2 if stdin/stdout cannot be used.

use std::io::Write;
use std::sync::Arc;

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
    match serve_stdio() {
        Ok(()) => Exit::Success,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: cannot serve on stdin/stdout: {error}");
            Exit::Usage
        }
    }
}

/// Serves the editor on stdin and stdout until it exits, reading the documents'
/// projects from disk.
fn serve_stdio() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let projects = Arc::new(super::project::DiskProjects);
    runtime.block_on(crate::lsp::serve(tokio::io::stdin(), tokio::io::stdout(), projects));
    // A read of stdin may still be blocked in tokio's thread pool after `exit`: do not
    // wait for it.
    runtime.shutdown_background();
    Ok(())
}

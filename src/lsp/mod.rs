//! The language server (`komo lsp`).
//!
//! In: an editor's JSON-RPC messages on stdin (or any byte stream). Out: diagnostics
//! (exactly those of `komo check` for the open documents, checked together), hover,
//! completion, go to definition, references, document symbols, formatting and quick
//! fixes.
//!
//! - `position.rs`: byte offsets ⇄ LSP positions (UTF-16), incremental edits;
//! - `documents.rs`: the open documents, parsed and checked; `incremental.rs` (with
//!   `shift.rs`) parses again only the items an edit touched;
//! - `diagnostics.rs`: diagnostics as LSP diagnostics, with links to their docs;
//! - `index.rs`: the names of a file (definitions and uses), for navigation and hover;
//! - `hover.rs`, `completion.rs` (over the tolerant token `scan.rs`),
//!   `navigation.rs`, `code_action.rs`, `formatting.rs`: one request each;
//! - `server.rs`: the tower-lsp-server transport; everything else is synchronous and
//!   pure, so tests and benchmarks can drive it directly.

pub mod code_action;
pub mod completion;
pub mod diagnostics;
pub mod documents;
pub mod formatting;
pub mod hover;
pub mod incremental;
pub mod index;
pub mod navigation;
pub mod position;
mod scan;
pub mod server;
mod shift;

pub use documents::Documents;
pub use server::{capabilities, serve};

/// Serves the editor on stdin and stdout until it exits.
pub fn run_stdio() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // A read of stdin may still be blocked in tokio's thread pool after `exit`: do not
    // wait for it.
    runtime.shutdown_background();
    Ok(())
}

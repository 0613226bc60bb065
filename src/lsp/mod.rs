//! The language server (`komo lsp`).
//!
//! In: an editor's JSON-RPC messages on any byte stream (`komo lsp` binds stdin and
//! stdout), and a [`ProjectAccess`] to the documents' projects. Out: diagnostics
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
//! - `project.rs`: [`ProjectAccess`], what the server asks of the documents' projects
//!   (the CLI reads them from disk);
//! - `server.rs`: the tower-lsp-server transport; everything else is synchronous and
//!   pure (no file, environment or terminal), so tests and benchmarks can drive it
//!   directly.

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
pub mod project;
mod scan;
pub mod server;
mod shift;

pub use documents::Documents;
pub use project::{NoProjects, ProjectAccess};
pub use server::{capabilities, serve};

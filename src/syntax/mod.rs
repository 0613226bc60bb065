//! Syntax: `.komo` text in, AST with spans and syntax diagnostics out.
//!
//! - `decode.rs` turns file bytes into text (BOM, invalid UTF-8);
//! - `prescan.rs` makes one byte-level pass first: it refuses files pest must not see
//!   (too large, nested too deep), finds unterminated strings and comments and
//!   unbalanced brackets with precise positions, and splits the file into items;
//! - `parser.rs` (and `parser/`) is the only code that touches pest: it parses each
//!   item on its own and builds the [`ast`];
//! - `literals.rs` decodes escapes, numbers and durations, `doc.rs` finds `///` doc
//!   comments, and `errors.rs` holds every syntax error and its wording;
//! - `visit.rs` lists the expressions of an item (for lookups by position).

pub mod ast;
mod decode;
mod doc;
mod errors;
mod literals;
mod parser;
mod prescan;
pub mod visit;

#[cfg(test)]
mod tests;

pub use decode::decode_source;
pub(crate) use doc::doc_before;
pub use parser::{Limits, ParseOutput, parse, parse_with};

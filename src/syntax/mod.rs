//! Syntax: `.komo` text in, AST with spans and syntax diagnostics out.
//!
//! `parser.rs` is the only file that touches pest; `prescan.rs` guards pest against
//! inputs that would make it recurse too deep (and finds unterminated strings and
//! unbalanced brackets with precise positions).

pub mod ast;
mod parser;

pub use parser::{ParseOutput, decode_source, parse};

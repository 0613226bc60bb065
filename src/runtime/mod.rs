//! The interpreter and what it runs against.
//!
//! In: IR workflows, events and a [`host::Host`]. Out: run states that can be parked at
//! any wait (plain, serialisable data), and run records. The interpreter reaches the
//! outside only through the host: the sandbox host for tests and `komo run`, the
//! engine's host in `komo serve`.

pub mod admit;
pub mod caused;
pub mod contact;
pub mod eval;
pub mod event;
pub mod host;
pub mod interp;
pub mod migrate;
pub mod record;
pub mod replay;
pub mod sandbox;
pub mod testing;
pub mod value;

//! Real connectors: the clients that external actions reach the outside world through.
//!
//! In: an action's evaluated arguments, the idempotency key of its step and a way to
//! resolve secrets by name. Out: the action's output value, or an
//! [`ActionFailure`](crate::runtime::host::ActionFailure) whose kind the engine's retry
//! policy reads. The engine's host holds one connector of each kind and calls it once per
//! attempt; the sandbox never does.

pub mod http;

//! Mocks: canned outcomes for actions, as a test's `mock` clauses declare them.
//!
//! In: the action's name, a predicate over its evaluated arguments (the `where`
//! clause) and an outcome. Out: the host consults them, in order, before anything else.

use std::collections::BTreeMap;
use std::fmt;

use crate::catalog::ActionId;
use crate::runtime::host::ActionFailure;
use crate::runtime::value::Value;

/// What a matching mock makes of an attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum MockResult {
    /// Success; the record's fields are merged over the action's default output.
    Ok(Value),
    /// That failure.
    Fail(ActionFailure),
}

/// A mock's `where`: whether it applies to a call's evaluated arguments.
pub type ArgsPredicate = Box<dyn Fn(&BTreeMap<String, Value>) -> bool + Send + Sync>;

/// One `mock <ns>.<action> [where <cond>] -> …` clause.
pub struct MockRule {
    /// The action it answers for.
    pub action: ActionId,
    /// Whether the mock applies to these arguments.
    pub matches: ArgsPredicate,
    pub outcome: MockResult,
}

impl MockRule {
    /// A mock of `action` that applies to every call.
    pub fn new(action: ActionId, outcome: MockResult) -> MockRule {
        MockRule { action, matches: Box::new(|_| true), outcome }
    }

    /// The same mock, applying only where `matches` holds.
    pub fn when(
        self,
        matches: impl Fn(&BTreeMap<String, Value>) -> bool + Send + Sync + 'static,
    ) -> MockRule {
        MockRule { matches: Box::new(matches), ..self }
    }

    /// Whether this mock answers the call.
    pub fn applies(&self, action: ActionId, args: &BTreeMap<String, Value>) -> bool {
        self.action == action && (self.matches)(args)
    }
}

impl fmt::Debug for MockRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockRule")
            .field("action", &self.action)
            .field("matches", &format_args!("<predicate>"))
            .field("outcome", &self.outcome)
            .finish()
    }
}

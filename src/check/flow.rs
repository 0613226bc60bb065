//! What is known at a point of a workflow: the facts that flow-sensitive checks need.
//!
//! In: updates from statements (a step succeeded, a path proven non-null, a `let`
//! bound, a failure being handled). Out: the state at each statement, and [`join`]
//! where paths meet (after an `if`, at a route entered from several places), which
//! keeps only what holds on every path and remembers which path lost a fact.

use std::collections::{BTreeMap, BTreeSet};

use super::errors::Because;
use super::types::Type;
use crate::source::Span;

/// A `let` binding in scope.
#[derive(Clone, Debug, PartialEq)]
pub struct LetBinding {
    pub ty: Type,
    pub span: Span,
}

/// The state of the checker at one point of one path.
#[derive(Clone, Debug, Default)]
pub struct Flow {
    /// Paths proven non-null (`contact.phone`, `x`, `event.fields.company`), each with
    /// the condition that proved it.
    pub facts: BTreeMap<String, Span>,
    /// Steps that have certainly succeeded on this path.
    pub succeeded: BTreeSet<String>,
    /// For steps that succeeded on some paths only: a path where they did not.
    pub missing: BTreeMap<String, Because>,
    /// The failing step, when `error` is available.
    pub error: Option<Span>,
    /// Why `error` is not available (a path that did not fail).
    pub error_missing: Option<Because>,
    /// `let` names bound on this path.
    pub lets: BTreeMap<String, LetBinding>,
}

impl Flow {
    /// Forgets what was proven about `contact.*`: the contact is read live, so a
    /// `wait` or an action on the contact may change it.
    pub fn forget_contact(&mut self) {
        self.facts.retain(|p, _| !p.starts_with("contact."));
    }

    /// Records paths proven non-null, each with the condition that proved it.
    pub fn add_facts(&mut self, facts: impl IntoIterator<Item = (String, Span)>) {
        self.facts.extend(facts);
    }

    /// Whether `path` is proven non-null here.
    pub fn knows(&self, path: &str) -> bool {
        self.facts.contains_key(path)
    }
}

/// Whether control goes on after a statement or block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    Continues,
    /// `stop`, `fail`, `->`, or every branch ends the path.
    Diverges,
}

/// The state where several paths meet; `None` if no path arrives. Each path comes
/// with a description used when a fact it lacks is needed later.
pub fn join(mut paths: Vec<(Flow, Because)>) -> Option<Flow> {
    if paths.len() <= 1 {
        return paths.pop().map(|(f, _)| f);
    }
    let mut iter = paths.iter();
    let (first, _) = iter.next()?;
    let mut out = first.clone();
    for (flow, _) in iter {
        out.facts.retain(|p, _| flow.knows(p));
        out.lets.retain(|name, b| flow.lets.get(name).is_some_and(|o| o == b));
    }
    let all_steps: BTreeSet<&String> = paths.iter().flat_map(|(f, _)| f.succeeded.iter()).collect();
    let mut succeeded = BTreeSet::new();
    let mut missing = BTreeMap::new();
    for (flow, _) in &paths {
        for (step, why) in &flow.missing {
            missing.entry(step.clone()).or_insert_with(|| why.clone());
        }
    }
    for step in all_steps {
        match paths.iter().find(|(f, _)| !f.succeeded.contains(step)) {
            None => {
                succeeded.insert(step.clone());
            }
            Some((f, because)) => {
                let why = f.missing.get(step).cloned().unwrap_or_else(|| because.clone());
                missing.insert(step.clone(), why);
            }
        }
    }
    missing.retain(|step, _| !succeeded.contains(step));
    out.succeeded = succeeded;
    out.missing = missing;
    match paths.iter().find(|(f, _)| f.error.is_none()) {
        None => out.error = paths.first().and_then(|(f, _)| f.error),
        Some((f, because)) => {
            out.error = None;
            out.error_missing = Some(f.error_missing.clone().unwrap_or_else(|| because.clone()));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn because(msg: &str) -> Because {
        Because { file: FileId(0), span: Span::new(0, 1), message: msg.into() }
    }

    fn fact(path: &str) -> (String, Span) {
        (path.to_string(), Span::new(0, 1))
    }

    #[test]
    fn join_keeps_what_holds_on_every_path() {
        let mut a = Flow::default();
        a.succeeded.insert("lookup".into());
        a.add_facts([fact("contact.phone"), fact("x")]);
        let mut b = Flow::default();
        b.add_facts([fact("x")]);
        let joined = join(vec![(a, because("then")), (b, because("else"))]).unwrap();
        assert!(joined.succeeded.is_empty());
        assert_eq!(joined.facts.keys().collect::<Vec<_>>(), vec!["x"]);
        assert_eq!(joined.missing.get("lookup").map(|b| b.message.as_str()), Some("else"));
    }

    #[test]
    fn error_needs_every_path_to_be_a_failure() {
        let a = Flow { error: Some(Span::new(3, 4)), ..Flow::default() };
        let b = Flow::default();
        let joined = join(vec![(a.clone(), because("first")), (b, because("jump"))]).unwrap();
        assert_eq!(joined.error, None);
        assert_eq!(joined.error_missing.map(|b| b.message), Some("jump".into()));
        let both = join(vec![(a.clone(), because("1")), (a, because("2"))]).unwrap();
        assert_eq!(both.error, Some(Span::new(3, 4)));
    }

    #[test]
    fn forgetting_the_contact_keeps_other_facts() {
        let mut f = Flow::default();
        f.add_facts([fact("contact.email"), fact("contact"), fact("event.fields.x")]);
        f.forget_contact();
        assert_eq!(f.facts.len(), 2);
        assert!(f.knows("contact"));
    }
}

//! What is known at a point of a workflow: the facts that flow-sensitive checks need.
//!
//! In: updates from statements (a step succeeded, a path proven non-null, a `let`
//! bound, a failure being handled, a fact about the contact forgotten). Out: the state
//! at each statement, and [`join`] where paths meet (after an `if`, at a route entered
//! from several places), which keeps only what holds on every path and remembers which
//! path lost a fact.

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

/// Why a fact proven earlier no longer holds: where it was proven, and what made the
/// checker forget it.
#[derive(Clone, Debug, PartialEq)]
pub struct Forgotten {
    /// The condition that proved it.
    pub checked: Span,
    /// The statement that made the checker forget it.
    pub by: Span,
    pub cause: ForgetCause,
}

/// What makes the checker forget facts about `contact.*`.
#[derive(Clone, Debug, PartialEq)]
pub enum ForgetCause {
    /// `wait` (or `wait until`, when `until`): the run reads the contact again when it
    /// resumes, and anything may have changed it meanwhile.
    Wait { until: bool },
    /// An action that may write the field, per the effect table (`catalog.md`, "What
    /// actions change"); `known` is false for an action not in the catalog, which may
    /// write anything.
    Action { name: String, known: bool },
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
    /// Paths that were proven non-null and then forgotten (and not proven again).
    pub forgotten: BTreeMap<String, Forgotten>,
}

impl Flow {
    /// Forgets everything proven about `contact.*` (the contact is read live, so after
    /// a `wait` anything may have changed it). The fact that the contact itself is
    /// known (`contact`) is kept: the run's contact is fixed when it starts.
    pub fn forget_contact(&mut self, by: Span, cause: &ForgetCause) {
        self.forget_contact_fields(by, cause, |_| true);
    }

    /// Forgets the facts about `contact.<field>` for the fields `may_write` accepts
    /// (`field` without the `contact.` prefix, such as `email` or `properties.team`).
    pub fn forget_contact_fields(&mut self, by: Span, cause: &ForgetCause, may_write: impl Fn(&str) -> bool) {
        let forgets = |path: &str| path.strip_prefix("contact.").is_some_and(&may_write);
        let (gone, kept): (BTreeMap<_, _>, BTreeMap<_, _>) =
            std::mem::take(&mut self.facts).into_iter().partition(|(path, _)| forgets(path));
        self.facts = kept;
        for (path, checked) in gone {
            self.forgotten.insert(path, Forgotten { checked, by, cause: cause.clone() });
        }
    }

    /// Records paths proven non-null, each with the condition that proved it.
    pub fn add_facts(&mut self, facts: impl IntoIterator<Item = (String, Span)>) {
        for (path, span) in facts {
            self.forgotten.remove(&path);
            self.facts.insert(path, span);
        }
    }

    /// Why `path`, proven non-null earlier on this path, is no longer known to be.
    pub fn why_forgotten(&self, path: &str) -> Option<Box<Forgotten>> {
        self.forgotten.get(path).cloned().map(Box::new)
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
    // A fact lost after the join and forgotten on some path: that path explains it.
    let mut forgotten = BTreeMap::new();
    for (flow, _) in &paths {
        for (path, why) in &flow.forgotten {
            forgotten.entry(path.clone()).or_insert_with(|| why.clone());
        }
    }
    forgotten.retain(|path, _| !out.knows(path));
    out.forgotten = forgotten;
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
        f.forget_contact(Span::new(5, 6), &ForgetCause::Wait { until: false });
        assert_eq!(f.facts.keys().collect::<Vec<_>>(), vec!["contact", "event.fields.x"]);
        let why = f.forgotten.get("contact.email");
        assert_eq!(why.map(|w| (w.checked, w.by)), Some((Span::new(0, 1), Span::new(5, 6))));
    }

    #[test]
    fn an_action_forgets_only_the_fields_it_may_write() {
        let mut f = Flow::default();
        f.add_facts([(String::from("contact.email"), Span::new(1, 2)), fact("contact.phone")]);
        let cause = ForgetCause::Action { name: "contact.update".into(), known: true };
        f.forget_contact_fields(Span::new(7, 8), &cause, |field| field == "phone");
        assert!(f.knows("contact.email"));
        assert!(!f.knows("contact.phone"));
        assert_eq!(f.forgotten.keys().collect::<Vec<_>>(), vec!["contact.phone"]);
    }

    #[test]
    fn proving_a_fact_again_clears_its_forgotten_record() {
        let mut f = Flow::default();
        f.add_facts([fact("contact.email")]);
        f.forget_contact(Span::new(5, 6), &ForgetCause::Wait { until: true });
        f.add_facts([(String::from("contact.email"), Span::new(9, 10))]);
        assert!(f.forgotten.is_empty());
        assert_eq!(f.facts.get("contact.email"), Some(&Span::new(9, 10)));
    }

    #[test]
    fn join_keeps_a_forgotten_record_only_for_lost_facts() {
        let wait = ForgetCause::Wait { until: false };
        let mut proven = Flow::default();
        proven.add_facts([fact("contact.email"), fact("contact.phone")]);
        let mut forgot = proven.clone();
        forgot.forget_contact(Span::new(5, 6), &wait);
        let mut proven_again = forgot.clone();
        proven_again.add_facts([fact("contact.phone")]);
        let joined = join(vec![(proven, because("a")), (proven_again, because("b"))]).unwrap();
        assert_eq!(joined.facts.keys().collect::<Vec<_>>(), vec!["contact.phone"]);
        assert_eq!(joined.forgotten.keys().collect::<Vec<_>>(), vec!["contact.email"]);
        let never = Flow::default();
        let joined = join(vec![(never, because("a")), (forgot, because("b"))]).unwrap();
        assert_eq!(joined.forgotten.keys().collect::<Vec<_>>(), vec!["contact.email", "contact.phone"]);
    }
}

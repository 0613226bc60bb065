//! What an action's caused event is known to carry, and whether a `where` filter can
//! let it through.
//!
//! In: an action statement (its literal arguments) and the catalog's effect table; a
//! trigger's `where` expression. Out: the [`CausedEvent`]s the action may raise, with
//! the facts known from its source (`changed` from the keys of a `set:` record literal,
//! `list` and `offer` from string literals), and the [`Outcomes`] a filter can have on
//! such an event. The analysis decides `"k" in event.changed`, `event.changed contains
//! "k"`, `event.list == "L"` (also `!=` and `in [..]`), `coupon.offer == "O"` and the
//! `and`/`or`/`not` of those; anything else may pass or fail.

use std::collections::BTreeSet;

use crate::catalog::{ActionSpec, Caused};
use crate::syntax::ast::{ActionCall, BinaryOp, Expr, ExprKind, UnaryOp};

/// An event an action may cause, with what its source fixes about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CausedEvent {
    /// The canonical trigger the event is matched to.
    pub trigger: &'static str,
    /// `event.changed` is a non-empty subset of these names (`None`: not known).
    pub changed: Option<BTreeSet<String>>,
    /// `event.list` (`None`: not known).
    pub list: Option<String>,
    /// `coupon.offer` (`None`: not known).
    pub offer: Option<String>,
}

impl CausedEvent {
    fn new(trigger: &'static str) -> CausedEvent {
        CausedEvent { trigger, changed: None, list: None, offer: None }
    }
}

/// The argument given for `param`: by name, or positionally at its declared place.
pub fn argument<'a>(call: &'a ActionCall, spec: &ActionSpec, param: &str) -> Option<&'a Expr> {
    if let Some(named) = call.args.iter().find(|a| a.name.as_ref().is_some_and(|n| n.node == param)) {
        return Some(&named.value);
    }
    let place = spec.params.iter().position(|p| p.name == param)?;
    call.args.iter().filter(|a| a.name.is_none()).nth(place).map(|a| &a.value)
}

/// The text of a plain string literal (parentheses allowed).
pub fn string_literal(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::String(s) => s.as_plain(),
        ExprKind::Paren(inner) => string_literal(inner),
        _ => None,
    }
}

/// The keys of a record literal (`null` has none); `None` for any other expression.
pub fn record_keys(expr: &Expr) -> Option<BTreeSet<String>> {
    match &expr.kind {
        ExprKind::Record(fields) => Some(fields.iter().map(|f| f.key.node.clone()).collect()),
        ExprKind::Null => Some(BTreeSet::new()),
        ExprKind::Paren(inner) => record_keys(inner),
        _ => None,
    }
}

/// The events `call` may cause, by the effect table of `spec`. A `contact.update` that
/// names nothing to change causes none.
pub fn caused_events(call: &ActionCall, spec: &ActionSpec) -> Vec<CausedEvent> {
    let mut out = Vec::new();
    for cause in spec.effects.causes {
        let mut event = CausedEvent::new(cause.trigger());
        match *cause {
            Caused::Identified => {}
            Caused::PropertyUpdatedFromSet => {
                let tags = ["add_tags", "remove_tags"].iter().any(|p| argument(call, spec, p).is_some());
                let mut keys = match argument(call, spec, "set") {
                    Some(set) => record_keys(set),
                    None => Some(BTreeSet::new()),
                };
                if let Some(keys) = &mut keys {
                    if tags {
                        keys.insert("tags".to_string());
                    }
                    if keys.is_empty() {
                        continue;
                    }
                }
                event.changed = keys;
            }
            Caused::PropertyUpdated(fields) => {
                event.changed = Some(fields.iter().map(|f| (*f).to_string()).collect());
            }
            Caused::ListAdded => event.list = argument(call, spec, "list").and_then(string_literal),
            Caused::CouponIssued => event.offer = argument(call, spec, "offer").and_then(string_literal),
        }
        out.push(event);
    }
    out
}

/// Whether a filter can evaluate to true, and to false, on a caused event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcomes {
    pub can_pass: bool,
    pub can_fail: bool,
}

impl Outcomes {
    /// Not decided: either may happen.
    pub const EITHER: Outcomes = Outcomes { can_pass: true, can_fail: true };

    fn exactly(value: bool) -> Outcomes {
        Outcomes { can_pass: value, can_fail: !value }
    }

    fn not(self) -> Outcomes {
        Outcomes { can_pass: self.can_fail, can_fail: self.can_pass }
    }
}

/// At most this many names in `changed` are tried one subset at a time; with more,
/// each test of a name is decided on its own.
const MAX_EXACT_NAMES: usize = 8;

/// What `filter` can evaluate to on `event`. When the names `changed` may hold are
/// known, every non-empty set of them is tried (so `not ("a" in event.changed or "b"
/// in event.changed)` cannot pass when `changed` holds only `a` or `b`).
pub fn outcomes(filter: &Expr, event: &CausedEvent) -> Outcomes {
    let names: Vec<&String> = match &event.changed {
        Some(names) if names.len() <= MAX_EXACT_NAMES => names.iter().collect(),
        Some(names) => return eval(filter, event, Changed::SubsetOf(names)),
        None => return eval(filter, event, Changed::Unknown),
    };
    let mut out = Outcomes { can_pass: false, can_fail: false };
    for mask in 1u32..(1 << names.len()) {
        let subset: BTreeSet<String> = names
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, n)| (*n).clone())
            .collect();
        let one = eval(filter, event, Changed::Exactly(&subset));
        out.can_pass |= one.can_pass;
        out.can_fail |= one.can_fail;
    }
    out
}

/// What is known of `event.changed` while a filter is evaluated.
#[derive(Clone, Copy)]
enum Changed<'a> {
    /// These names exactly.
    Exactly(&'a BTreeSet<String>),
    /// A non-empty subset of these names.
    SubsetOf(&'a BTreeSet<String>),
    Unknown,
}

fn eval(filter: &Expr, event: &CausedEvent, changed: Changed<'_>) -> Outcomes {
    match &filter.kind {
        ExprKind::Bool(b) => Outcomes::exactly(*b),
        ExprKind::Paren(inner) => eval(inner, event, changed),
        ExprKind::Unary { op, expr } if op.node == UnaryOp::Not => eval(expr, event, changed).not(),
        ExprKind::Binary { op, lhs, rhs } => binary(op.node, lhs, rhs, event, changed),
        _ => Outcomes::EITHER,
    }
}

fn binary(op: BinaryOp, lhs: &Expr, rhs: &Expr, event: &CausedEvent, changed: Changed<'_>) -> Outcomes {
    match op {
        BinaryOp::And => {
            let (a, b) = (eval(lhs, event, changed), eval(rhs, event, changed));
            Outcomes { can_pass: a.can_pass && b.can_pass, can_fail: a.can_fail || b.can_fail }
        }
        BinaryOp::Or => {
            let (a, b) = (eval(lhs, event, changed), eval(rhs, event, changed));
            Outcomes { can_pass: a.can_pass || b.can_pass, can_fail: a.can_fail && b.can_fail }
        }
        BinaryOp::In => match (string_literal(lhs), &rhs.kind) {
            (Some(name), _) if is_path(rhs, "event", "changed") => changed_has(changed, &name),
            (None, ExprKind::List(items)) => one_of(lhs, items, event),
            _ => Outcomes::EITHER,
        },
        BinaryOp::Contains => match string_literal(rhs) {
            Some(name) if is_path(lhs, "event", "changed") => changed_has(changed, &name),
            _ => Outcomes::EITHER,
        },
        BinaryOp::Eq => equals(lhs, rhs, event),
        BinaryOp::Ne => equals(lhs, rhs, event).not(),
        _ => Outcomes::EITHER,
    }
}

/// `"name" in event.changed`.
fn changed_has(changed: Changed<'_>, name: &str) -> Outcomes {
    match changed {
        Changed::Exactly(names) => Outcomes::exactly(names.contains(name)),
        Changed::SubsetOf(names) => {
            Outcomes { can_pass: names.contains(name), can_fail: names.iter().any(|n| n != name) }
        }
        Changed::Unknown => Outcomes::EITHER,
    }
}

/// `event.list` or `coupon.offer`, when `expr` is one of them and the event fixes it.
fn known_text<'e>(expr: &Expr, event: &'e CausedEvent) -> Option<&'e str> {
    if is_path(expr, "event", "list") {
        event.list.as_deref()
    } else if is_path(expr, "coupon", "offer") {
        event.offer.as_deref()
    } else {
        None
    }
}

fn equals(lhs: &Expr, rhs: &Expr, event: &CausedEvent) -> Outcomes {
    let (known, literal) = match (known_text(lhs, event), known_text(rhs, event)) {
        (Some(known), None) => (known, string_literal(rhs)),
        (None, Some(known)) => (known, string_literal(lhs)),
        _ => return Outcomes::EITHER,
    };
    match literal {
        Some(literal) => Outcomes::exactly(known == literal),
        None => Outcomes::EITHER,
    }
}

/// `event.list in ["A", "B"]`: decided when every item is a string literal.
fn one_of(lhs: &Expr, items: &[Expr], event: &CausedEvent) -> Outcomes {
    let Some(known) = known_text(lhs, event) else { return Outcomes::EITHER };
    let literals: Option<Vec<String>> = items.iter().map(string_literal).collect();
    match literals {
        Some(literals) => Outcomes::exactly(literals.iter().any(|l| l == known)),
        None => Outcomes::EITHER,
    }
}

/// Whether `expr` is `root.field` (parentheses allowed).
fn is_path(expr: &Expr, root: &str, field: &str) -> bool {
    match &expr.kind {
        ExprKind::Paren(inner) => is_path(inner, root, field),
        ExprKind::Field { target, field: f } => {
            f.node == field && matches!(&target.kind, ExprKind::Name(n) if n.node == root)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::syntax::ast::{HeaderClause, Item};

    /// The `where` filter of a workflow on `trigger`.
    fn filter(trigger: &str, text: &str) -> Expr {
        let source = format!("workflow w {{\n  scope workspace\n  trigger {trigger} where {text}\n}}\n");
        let parsed = crate::syntax::parse(FileId(0), &source);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let Some(Item::Workflow(wf)) = parsed.file.items.into_iter().next() else { panic!("no workflow") };
        wf.header
            .into_iter()
            .find_map(|c| match c.node {
                HeaderClause::Trigger { filter, .. } => filter,
                _ => None,
            })
            .expect("a filter")
    }

    fn changed(names: &[&str]) -> CausedEvent {
        let mut e = CausedEvent::new("Contact.PropertyUpdated");
        e.changed = Some(names.iter().map(|n| n.to_string()).collect());
        e
    }

    fn can_pass(trigger: &str, text: &str, event: &CausedEvent) -> bool {
        outcomes(&filter(trigger, text), event).can_pass
    }

    #[test]
    fn changed_names_are_decided_against_the_set_keys() {
        let t = "Contact.PropertyUpdated";
        let vip = changed(&["vip"]);
        assert!(can_pass(t, r#""vip" in event.changed"#, &vip));
        assert!(!can_pass(t, r#"not ("vip" in event.changed)"#, &vip));
        assert!(!can_pass(t, r#""tier" in event.changed"#, &vip));
        assert!(!can_pass(t, r#"event.changed contains "tier""#, &vip));
        // With two names, either may be the one that changed.
        let both = changed(&["vip", "team"]);
        assert!(can_pass(t, r#"not ("vip" in event.changed)"#, &both));
        // `and` fails when one part cannot pass; `or` only when every part cannot.
        assert!(!can_pass(t, r#"contact.email != null and "tier" in event.changed"#, &vip));
        assert!(can_pass(t, r#"contact.email != null or "tier" in event.changed"#, &vip));
        assert!(!can_pass(t, r#""tier" in event.changed or "points" in event.changed"#, &vip));
        // Every set of names is tried: one of the two has changed.
        assert!(!can_pass(t, r#"not ("vip" in event.changed or "team" in event.changed)"#, &both));
        assert!(can_pass(t, r#"not ("vip" in event.changed and "team" in event.changed)"#, &both));
        // Not known: kept.
        let unknown = CausedEvent::new("Contact.PropertyUpdated");
        assert!(can_pass(t, r#""tier" in event.changed"#, &unknown));
    }

    #[test]
    fn lists_and_offers_are_decided_against_literals() {
        let mut list = CausedEvent::new("Contact.ListAdded");
        list.list = Some("VIP".into());
        let t = "Contact.ListAdded";
        assert!(can_pass(t, r#"event.list == "VIP""#, &list));
        assert!(!can_pass(t, r#"event.list != "VIP""#, &list));
        assert!(!can_pass(t, r#""Newsletter" == event.list"#, &list));
        assert!(!can_pass(t, r#"event.list in ["A", "B"]"#, &list));
        assert!(can_pass(t, r#"event.list in ["A", "VIP"]"#, &list));
        assert!(can_pass(t, r#"lower(event.list) == "a""#, &list));
        let mut coupon = CausedEvent::new("Coupon.Issued");
        coupon.offer = Some("SAVE10".into());
        assert!(!can_pass("Coupon.Issued", r#"coupon.offer == "WELCOME""#, &coupon));
        assert!(can_pass("Coupon.Issued", r#"coupon.offer == "SAVE10""#, &coupon));
    }
}

//! The catalog's tables agree with themselves: every type notation is known, optional
//! parameters have defaults, the effect table is consistent, lookups resolve aliases.

use super::*;
use crate::check::types::named_type;

fn known_notation(text: &str) -> bool {
    let base = text.trim_end_matches('?');
    let base = base.strip_prefix("List<").and_then(|t| t.strip_suffix('>')).unwrap_or(base);
    matches!(base, "{…}" | "{…: String|Secret}" | "ContactSet") || named_type(base).is_some()
}

#[test]
fn every_type_in_the_tables_is_known() {
    let mut all: Vec<&str> = Vec::new();
    for a in &ACTIONS {
        all.extend(a.params.iter().map(|p| p.ty));
        all.extend(a.output.iter().map(|(_, t)| *t));
    }
    for t in &TRIGGERS {
        all.extend(t.fields.iter().map(|(_, t)| *t));
    }
    for c in ContextName::ALL {
        all.extend(c.fields().iter().map(|(_, t)| *t));
    }
    all.extend(CONTACT_FIELDS.iter().map(|(_, t)| *t));
    for t in all {
        assert!(known_notation(t), "unknown catalog type `{t}`");
    }
}

#[test]
fn optional_params_are_absent_or_defaulted() {
    for a in &ACTIONS {
        for p in a.params {
            let optional = p.ty.ends_with('?');
            assert_eq!(
                optional,
                p.default == ParamDefault::Absent,
                "{}.{} `{}`",
                a.namespace,
                a.name,
                p.name
            );
        }
    }
}

#[test]
fn the_effect_table_says_what_each_action_writes() {
    let effects = |ns: &str, name: &str| action(ns, name).map(|a| a.effects).unwrap_or(NO_EFFECTS);
    assert!(!effects("contact", "send_email").writes_contact());
    assert!(!effects("mailchimp", "upsert_subscriber").writes_contact());
    let update = effects("contact", "update");
    let email = ["email".to_string()];
    assert!(update.may_write("email", Some(&email)));
    assert!(!update.may_write("phone", Some(&email)));
    assert!(update.may_write("tags", Some(&email)));
    assert!(update.may_write("phone", None));
    assert!(!update.may_write("points", None));
    let team = ["team".to_string()];
    assert!(update.may_write("properties.team", Some(&team)));
    assert!(!update.may_write("properties.city", Some(&team)));
    assert!(!update.may_write("email", Some(&team)));
    assert!(effects("loyalty", "award_points").may_write("tier", None));
    assert!(effects("contact", "add_to_list").may_write("lists", None));
    for a in &ACTIONS {
        if a.kind == ActionKind::External {
            assert_eq!(a.effects, NO_EFFECTS, "{}", a.full_name());
        }
        for c in a.effects.causes {
            assert!(trigger(c.trigger()).is_some_and(|(_, alias)| !alias), "{}", c.trigger());
        }
    }
}

#[test]
fn lookups_resolve_aliases() {
    let (t, alias) = trigger("Prize.Won").unwrap_or_else(|| unreachable!());
    assert_eq!((t.name, alias), ("Prize.Awarded", true));
    assert!(trigger("Contact.Identified").is_some_and(|(_, alias)| !alias));
    assert!(action("contact", "send_email").is_some());
    assert!(action("contact", "send_mail").is_none());
}

#[test]
fn card_scope_needs_a_card_trigger() {
    let ident = trigger("Contact.Identified").map(|(t, _)| t);
    assert!(ident.is_some_and(|t| !t.comes_from_card()));
    let coupon = trigger("Coupon.Issued").map(|(t, _)| t);
    assert!(coupon.is_some_and(|t| !t.comes_from_card()));
    let prize = trigger("Prize.Awarded").map(|(t, _)| t);
    assert!(prize.is_some_and(|t| t.comes_from_card() && t.allows_scope(ScopeKind::Card)));
}

//! The loop analysis on small projects.

use super::*;

/// The K0701 messages of `sources` (one file each) checked together.
fn loops_of(sources: &[&str]) -> Vec<String> {
    report(sources).into_iter().map(|d| d.message).collect()
}

fn report(sources: &[&str]) -> Vec<Diagnostic> {
    let files: Vec<(FileId, ast::File)> = sources
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let id = FileId(i as u32);
            let parsed = crate::syntax::parse(id, text);
            assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
            (id, parsed.file)
        })
        .collect();
    trigger_loops(&files, &|_| true)
}

#[test]
fn a_workflow_that_updates_what_starts_it_loops() {
    let source = r#"
workflow touch {
  scope workspace
  trigger Contact.PropertyUpdated
  contact.update(set: { last_seen: "now" })
}"#;
    assert_eq!(
        loops_of(&[source]),
        vec![
            "workflow `touch` triggers itself: touch → contact.update(set: {last_seen}) → Contact.PropertyUpdated → touch"
        ]
    );
}

#[test]
fn two_workflows_in_two_files_loop_with_labels_in_both() {
    let welcome = r#"
workflow welcome {
  scope workspace
  trigger Contact.ListAdded
  contact.send_email(template: "welcome")
  contact.update(set: { vip: true })
}"#;
    let sync = r#"
workflow vip_sync {
  scope workspace
  trigger Contact.PropertyUpdated where "vip" in event.changed
  contact.add_to_list("VIP")
}"#;
    let diags = report(&[welcome, sync]);
    assert_eq!(diags.len(), 1);
    let d = &diags[0];
    assert_eq!(
        d.message,
        "workflows trigger each other in a loop: welcome → contact.update(set: {vip}) → Contact.PropertyUpdated → vip_sync → contact.add_to_list(\"VIP\") → Contact.ListAdded → welcome"
    );
    assert_eq!(d.code, Code::TriggerLoop);
    assert_eq!(
        (d.file(), d.primary.message.as_str()),
        (FileId(1), "causes `Contact.ListAdded`, which starts `welcome` again")
    );
    assert_eq!(d.secondary.len(), 1);
    assert_eq!(d.secondary[0].file, FileId(0));
    assert_eq!(d.secondary[0].message, "causes `Contact.PropertyUpdated`, which starts `vip_sync`");
    assert_eq!(
        d.help.as_deref(),
        Some(
            "give `welcome` a `where` filter that this change cannot pass, such as `where event.list != \"VIP\"`, or remove the action from the loop"
        )
    );
}

#[test]
fn a_filter_on_the_changed_names_breaks_the_loop() {
    let source = r#"
workflow touch {
  scope workspace
  trigger Contact.PropertyUpdated where not ("last_seen" in event.changed)
  contact.update(set: { last_seen: "now" })
}
workflow tiers {
  scope workspace
  trigger Contact.PropertyUpdated where event.changed contains "points"
  loyalty.add_to_tier("gold")
}"#;
    assert!(loops_of(&[source]).is_empty());
}

#[test]
fn a_filter_on_the_list_breaks_the_loop() {
    let source = r#"
workflow welcome {
  scope workspace
  trigger Contact.ListAdded where event.list == "Newsletter"
  contact.update(set: { vip: true })
}
workflow vip_sync {
  scope workspace
  trigger Contact.PropertyUpdated where "vip" in event.changed
  contact.add_to_list("VIP")
}"#;
    assert!(loops_of(&[source]).is_empty());
}

#[test]
fn what_cannot_be_decided_keeps_the_edge() {
    // A filter on the contact, and a `set:` that is not a record literal.
    let source = r#"
workflow welcome {
  scope workspace
  trigger Contact.ListAdded where contact.email != null
  let changes = { vip: true }
  contact.update(set: changes)
}
workflow vip_sync {
  scope workspace
  trigger Contact.PropertyUpdated where "vip" in event.changed
  contact.add_to_list(lower("VIP"))
}"#;
    assert_eq!(
        loops_of(&[source]),
        vec![
            "workflows trigger each other in a loop: welcome → contact.update(set: …) → Contact.PropertyUpdated → vip_sync → contact.add_to_list(…) → Contact.ListAdded → welcome"
        ]
    );
}

#[test]
fn events_of_one_hub_do_not_reach_another_hub() {
    let hubs = |a: &str, b: &str| {
        format!(
            r#"
workflow welcome {{
  scope {a}
  trigger Contact.ListAdded
  contact.update(set: {{ vip: true }})
}}
workflow vip_sync {{
  scope {b}
  trigger Contact.PropertyUpdated
  contact.add_to_list("VIP")
}}"#
        )
    };
    assert!(loops_of(&[&hubs(r#"hub "sports""#, r#"hub "music""#)]).is_empty());
    assert_eq!(loops_of(&[&hubs(r#"hub "sports""#, r#"hub "sports""#)]).len(), 1);
    // A workspace workflow may run on an event of any hub, and passes that hub on.
    assert_eq!(loops_of(&[&hubs("workspace", r#"hub "music""#)]).len(), 1);
}

#[test]
fn external_actions_and_actions_without_events_cause_nothing() {
    let source = r#"
workflow noisy {
  scope workspace
  trigger Contact.PropertyUpdated
  contact.send_email(template: "changed")
  http.request("POST", "https://example.com/hook", json: { id: contact.id })
  contact.remove_from_list("VIP")
  contact.assign_achievement("busy")
  contact.update(set: {})
}"#;
    assert!(loops_of(&[source]).is_empty());
}

#[test]
fn actions_in_branches_and_routes_count() {
    let source = r#"
workflow coupons {
  scope workspace
  trigger Coupon.Issued
  if coupon.offer == "SAVE10" {
    http.request("GET", "https://example.com") on failure -> again
  }
  route again {
    contact.issue_coupon("SAVE10")
  }
}"#;
    assert_eq!(loops_of(&[source]).len(), 1);
    let guarded =
        source.replace("trigger Coupon.Issued", "trigger Coupon.Issued where coupon.offer != \"SAVE10\"");
    assert!(loops_of(&[&guarded]).is_empty());
}

#[test]
fn one_report_per_group_with_its_shortest_loop() {
    // `a` triggers itself and also `b`, which triggers `a`: one group, the self-loop shown.
    let source = r#"
workflow a {
  scope workspace
  trigger Contact.PropertyUpdated
  contact.add_to_list("X")
  contact.update(set: { seen: true })
}
workflow b {
  scope workspace
  trigger Contact.ListAdded
  contact.update(set: { listed: true })
}"#;
    assert_eq!(
        loops_of(&[source]),
        vec!["workflow `a` triggers itself: a → contact.update(set: {seen}) → Contact.PropertyUpdated → a"]
    );
}

#[test]
fn only_loops_through_the_files_asked_about_are_reported() {
    let one = r#"
workflow one {
  scope workspace
  trigger Contact.PropertyUpdated
  contact.update(set: { seen: true })
}"#;
    let other = r#"
workflow other {
  scope workspace
  trigger Contact.ListAdded
  contact.add_to_list("X")
}"#;
    let files: Vec<(FileId, ast::File)> = [one, other]
        .iter()
        .enumerate()
        .map(|(i, t)| (FileId(i as u32), crate::syntax::parse(FileId(i as u32), t).file))
        .collect();
    let about_other = trigger_loops(&files, &|f| f == FileId(1));
    assert_eq!(about_other.iter().map(|d| d.file()).collect::<Vec<_>>(), vec![FileId(1)]);
    assert!(about_other[0].message.starts_with("workflow `other` triggers itself"));
}

#[test]
fn the_closing_action_is_in_a_file_asked_about() {
    let first = r#"
workflow first {
  scope workspace
  trigger Contact.ListAdded
  contact.update(set: { vip: true })
}"#;
    let second = r#"
workflow second {
  scope workspace
  trigger Contact.PropertyUpdated
  contact.add_to_list("VIP")
}"#;
    let files: Vec<(FileId, ast::File)> = [first, second]
        .iter()
        .enumerate()
        .map(|(i, t)| (FileId(i as u32), crate::syntax::parse(FileId(i as u32), t).file))
        .collect();
    let all = trigger_loops(&files, &|_| true);
    assert_eq!(all[0].file(), FileId(1), "starts at `first`, closed by `second`");
    let only_first = trigger_loops(&files, &|f| f == FileId(0));
    assert_eq!(only_first[0].file(), FileId(0));
    assert!(only_first[0].message.starts_with("workflows trigger each other in a loop: second →"));
}

#[test]
fn a_workflow_asked_about_replaces_one_of_the_same_name_elsewhere() {
    let open = r#"
workflow touch {
  scope workspace
  trigger Contact.PropertyUpdated where not ("seen" in event.changed)
  contact.update(set: { seen: true })
}"#;
    let on_disk = r#"
workflow touch {
  scope workspace
  trigger Contact.PropertyUpdated
  contact.update(set: { seen: true })
}"#;
    let files: Vec<(FileId, ast::File)> = [open, on_disk]
        .iter()
        .enumerate()
        .map(|(i, t)| (FileId(i as u32), crate::syntax::parse(FileId(i as u32), t).file))
        .collect();
    assert!(trigger_loops(&files, &|f| f == FileId(0)).is_empty());
    // Both asked about (two files given to `komo check`): both count.
    assert_eq!(trigger_loops(&files, &|_| true).len(), 1);
}

#[test]
fn strings_are_quoted_as_komo_writes_them() {
    assert_eq!(quoted("a \"b\" \\ ${c} $d"), r#""a \"b\" \\ \${c} $d""#);
}

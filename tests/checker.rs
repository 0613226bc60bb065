//! Small semantic facts of the checker, as exact expectations: each program must
//! produce exactly these codes on these lines (and nothing else).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use komo::source::SourceMap;

/// `(code, line)` of every diagnostic of `src`, in order.
fn findings(src: &str) -> Vec<(String, usize)> {
    let mut sources = SourceMap::new();
    sources.add("t.komo", src);
    let file = sources.get(komo::source::FileId(0)).unwrap().clone();
    komo::check_sources(&sources)
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str().to_string(), file.line_col(d.span().start as usize).line))
        .collect()
}

fn wf(trigger: &str, body: &str) -> String {
    format!("workflow w {{\n  scope workspace\n  trigger {trigger}\n{body}\n}}\n")
}

#[track_caller]
fn expect(src: &str, want: &[(&str, usize)]) {
    let got = findings(src);
    let want: Vec<(String, usize)> = want.iter().map(|(c, l)| (c.to_string(), *l)).collect();
    assert_eq!(got, want, "\n{src}");
}

#[test]
fn narrowing_through_if_and_early_exit() {
    // line 4 onwards is the body
    expect(&wf("Prize.Awarded", "  if contact.phone != null {\n    contact.send_sms(\"hi\")\n  }"), &[]);
    expect(&wf("Prize.Awarded", "  contact.send_sms(\"hi\")"), &[("K0204", 4)]);
    expect(&wf("Prize.Awarded", "  if contact.phone == null { stop }\n  contact.send_sms(\"hi\")"), &[]);
    expect(
        &wf("Prize.Awarded", "  if not (contact.phone == null) {\n    contact.send_sms(\"hi\")\n  }"),
        &[],
    );
    expect(
        &wf(
            "Prize.Awarded",
            "  if contact.phone != null and contact.email != null {\n    contact.send_sms(\"a\")\n  }",
        ),
        &[],
    );
    expect(
        &wf(
            "Prize.Awarded",
            "  if contact.phone != null or contact.email != null {\n    contact.send_sms(\"a\")\n  }",
        ),
        &[("K0204", 5)],
    );
    // else branch knows the opposite
    expect(
        &wf(
            "Prize.Awarded",
            "  if contact.phone == null {\n    stop\n  } else {\n    contact.send_sms(\"a\")\n  }",
        ),
        &[],
    );
}

#[test]
fn contact_facts_are_forgotten_after_wait_and_contact_actions() {
    let after_wait = "  if contact.phone != null {\n    wait 1d\n    contact.send_sms(\"a\")\n  }";
    expect(&wf("Prize.Awarded", after_wait), &[("K0204", 6)]);
    let after_wait_until = "  if contact.phone != null {\n    wait until \"2026-03-01T10:00:00Z\"\n    contact.send_sms(\"a\")\n  }";
    expect(&wf("Prize.Awarded", after_wait_until), &[("K0204", 6)]);
    // facts about other paths survive
    let let_fact =
        "  let p = contact.phone\n  if p != null {\n    wait 1d\n    contact.send_sms(\"a\", to: p)\n  }";
    expect(&wf("Prize.Awarded", let_fact), &[]);
}

#[test]
fn an_action_forgets_only_the_contact_fields_it_may_write() {
    let checked = |between: &str| {
        wf(
            "Prize.Awarded",
            &format!(
                "  if contact.email != null {{\n    {between}\n    contact.send_email(template: \"t\")\n  }}"
            ),
        )
    };
    // none of these may write `contact.email`
    expect(
        &checked(
            "contact.send_email(template: \"welcome\")\n    mailchimp.upsert_subscriber(list_id: \"L1\")",
        ),
        &[],
    );
    expect(&checked("contact.add_to_list(\"x\")"), &[]);
    expect(&checked("loyalty.award_points(5)"), &[]);
    expect(&checked("contact.update(set: { first_name: \"A\" })"), &[]);
    expect(&checked("contact.update(add_tags: [\"vip\"])"), &[]);
    expect(&checked("contact.update(set: { email: \"x@y.io\" })"), &[("K0204", 6)]);
    expect(&checked("contact.update({ email: \"x@y.io\" })"), &[("K0204", 6)]);
    // keys not known: any settable field may be written
    expect(&checked("let s = { first_name: \"A\" }\n    contact.update(set: s)"), &[("K0204", 7)]);
    // not in the catalog: anything may be written
    expect(&checked("contact.frobnicate()"), &[("K0101", 5), ("K0204", 6)]);
    let phone = "  if contact.phone != null {\n    contact.update(set: { phone: null })\n    contact.send_sms(\"a\")\n  }";
    expect(&wf("Prize.Awarded", phone), &[("K0204", 6)]);
}

#[test]
fn step_outputs_need_definite_success() {
    let inside_if = "  if true {\n    step a = loyalty.award_points(1)\n  }\n  let b = a.balance";
    expect(&wf("Contact.Identified", inside_if), &[("K0401", 7)]);
    let continued = "  step a = loyalty.award_points(1) on failure continue\n  let b = a.balance";
    expect(&wf("Contact.Identified", continued), &[("K0401", 5)]);
    let routed =
        "  step a = loyalty.award_points(1) on failure -> r\n  let b = a.balance\n  route r { stop }";
    expect(&wf("Contact.Identified", routed), &[]);
    let both_branches =
        "  if true {\n    step a = loyalty.award_points(1)\n  } else {\n    stop\n  }\n  let b = a.balance";
    expect(&wf("Contact.Identified", both_branches), &[]);
    let before = "  let b = a.balance\n  step a = loyalty.award_points(1)";
    expect(&wf("Contact.Identified", before), &[("K0401", 4)]);
}

#[test]
fn error_is_only_on_failure_paths() {
    let block =
        "  http.request(\"GET\", \"https://x.example.com/\") on failure {\n    fail error.message\n  }";
    expect(&wf("Contact.Identified", block), &[]);
    expect(&wf("Contact.Identified", "  fail error.message"), &[("K0402", 4)]);
    let mixed = "  http.request(\"GET\", \"https://x.example.com/\") on failure -> r\n  -> r\n  route r {\n    fail error.message\n  }";
    expect(&wf("Contact.Identified", mixed), &[("K0402", 7)]);
    let only_failure = "  http.request(\"GET\", \"https://x.example.com/\") on failure -> r\n  route r {\n    fail error.message\n  }";
    expect(&wf("Contact.Identified", only_failure), &[]);
}

#[test]
fn routes_unreachable_cycles_and_unused() {
    expect(&wf("Contact.Identified", "  stop\n  contact.add_to_list(\"x\")"), &[("K0403", 5)]);
    let cycle = "  -> a\n  route a { -> b }\n  route b { -> a }";
    expect(&wf("Contact.Identified", cycle), &[("K0404", 6)]);
    expect(&wf("Contact.Identified", "  stop\n  route spare { stop }"), &[("K0405", 5)]);
    expect(&wf("Contact.Identified", "  -> nowhere"), &[("K0104", 4)]);
    let on_success = "  loyalty.award_points(1) on success -> done\n  stop\n  route done { stop }";
    expect(&wf("Contact.Identified", on_success), &[("K0403", 5)]);
}

#[test]
fn limits() {
    expect(&wf("Contact.Identified", "  wait 366d"), &[("K0406", 4)]);
    expect(&wf("Contact.Identified", "  wait 365d"), &[]);
    expect(&wf("Contact.Identified", "  loyalty.award_points(1) retry 11"), &[("K0407", 4)]);
    expect(&wf("Contact.Identified", "  loyalty.award_points(1) retry 10 timeout 5m"), &[]);
    expect(&wf("Contact.Identified", "  loyalty.award_points(1) timeout 301s"), &[("K0408", 4)]);
}

#[test]
fn literals_and_types() {
    let bad = "  http.request(\"GET\", \"example.com\")\n  contact.send_email(template: \"t\", to: \"nope\")";
    expect(&wf("Contact.Identified", bad), &[("K0203", 4), ("K0203", 5)]);
    let interpolated_url = "  http.request(\"GET\", \"https://api.example.com/u/${contact.id}\")";
    expect(&wf("Contact.Identified", interpolated_url), &[]);
    let host_not_fixed = "  http.request(\"GET\", \"https://${contact.id}.example.com/\")";
    expect(&wf("Contact.Identified", host_not_fixed), &[("K0203", 4)]);
    expect(&wf("Contact.Identified", "  let x = 1 + \"a\""), &[("K0209", 4)]);
    expect(&wf("Contact.Identified", "  let x = contact.points == \"a\""), &[("K0205", 4)]);
    expect(&wf("Contact.Identified", "  if contact.points { stop }"), &[("K0206", 4)]);
    expect(&wf("Contact.Identified", "  wait until \"2026-03-01T10:00:00Z\""), &[]);
    expect(&wf("Contact.Identified", "  wait until \"tomorrow\""), &[("K0203", 4)]);
    expect(
        &wf(
            "Contact.Identified",
            "  let e = \"a@b.co\" as Email\n  contact.send_email(template: \"t\", to: e)",
        ),
        &[],
    );
}

#[test]
fn secrets_stay_in_headers() {
    let ok = "  http.request(\"GET\", \"https://x.example.com/\", headers: { Authorization: secret(\"T\") })";
    expect(&wf("Contact.Identified", ok), &[]);
    let in_body = "  http.request(\"POST\", \"https://x.example.com/\", json: { token: secret(\"T\") })";
    expect(&wf("Contact.Identified", in_body), &[("K0207", 4)]);
    expect(&wf("Contact.Identified", "  let t = \"${secret(\"T\")}\""), &[("K0207", 4)]);
    expect(&wf("Contact.Identified", "  let t = secret(\"T\") == \"x\""), &[("K0207", 4)]);
}

#[test]
fn scope_trigger_and_context() {
    let card = "workflow w {\n  scope card \"c\"\n  trigger Contact.Identified\n}\n";
    expect(card, &[("K0302", 3)]);
    let hook = "workflow w {\n  scope hub \"h\"\n  trigger Webhook.Received\n}\n";
    expect(hook, &[("K0302", 3)]);
    expect(&wf("Contact.Identified", "  let n = card.name"), &[("K0303", 4)]);
    expect(&wf("Contact.Identified", "  entry.add_tags([\"x\"])"), &[("K0303", 4)]);
    expect(&wf("Prize.Awarded", "  entry.add_tags([\"x\"])"), &[("K0204", 4)]);
    expect(&wf("Prize.Awarded", "  if entry != null {\n    entry.add_tags([\"x\"])\n  }"), &[]);
    expect(&wf("Webhook.Received", "  contact.add_to_list(\"x\")"), &[("K0204", 4)]);
    expect(&wf("Contact.Created", ""), &[("K0305", 3)]);
    let form = "workflow w {\n  scope workspace\n  trigger Contact.Identified\n  form { a: String }\n}\n";
    expect(form, &[("K0304", 4)]);
    let filter = "workflow w {\n  scope workspace\n  trigger Gameplay.Ended where event.score\n}\n";
    expect(filter, &[("K0206", 3)]);
}

#[test]
fn names_with_suggestions() {
    expect(&wf("Contact.Identified", "  contact.send_mail(template: \"t\")"), &[("K0101", 4)]);
    expect(&wf("Contact.Identified", "  contact.add_to_list(lst: \"x\")"), &[("K0202", 4), ("K0102", 4)]);
    expect(&wf("Contact.Identified", "  let x = contact.emial"), &[("K0106", 4)]);
    expect(&wf("Contact.Identified", "  let x = lowercase(\"A\")"), &[("K0107", 4)]);
    expect(&wf("Contact.Identified", "  let x = 1\n  let x = 2"), &[("K0113", 5)]);
    expect(&wf("Contact.Identified", "  if true { let x = 1 }\n  if true { let x = 2 }"), &[]);
    let dup_step = "  step a = loyalty.award_points(1)\n  step a = loyalty.award_points(2)";
    expect(&wf("Contact.Identified", dup_step), &[("K0111", 5)]);
    let two = format!("{}{}", wf("Contact.Identified", ""), wf("Contact.Identified", ""));
    expect(&two, &[("K0110", 6)]);
}

#[test]
fn tests_are_checked_against_their_workflow() {
    let base = wf("Gameplay.Ended", "  loyalty.award_points(event.score ?? 1)");
    let good = format!(
        "{base}test \"t\" {{\n  event {{ completed: true, score: 5, card: {{ id: \"c\" }} }}\n  expect step award_points_1 succeeded\n  expect contact.points == 5\n}}\n"
    );
    expect(&good, &[]);
    let bad_field = format!("{base}test \"t\" {{\n  event {{ scor: 5 }}\n}}\n");
    expect(&bad_field, &[("K0502", 7)]);
    let bad_step = format!("{base}test \"t\" {{\n  expect step award_points_2 succeeded\n}}\n");
    expect(&bad_step, &[("K0503", 7)]);
    let bad_workflow = format!("{base}test \"t\" {{\n  workflow v\n}}\n");
    expect(&bad_workflow, &[("K0501", 7)]);
    let mock = format!(
        "{base}test \"t\" {{\n  mock loyalty.award_points where points > 3 -> ok {{ balance: 9 }}\n  expect step award_points_1 called with {{ points: 5 }}\n}}\n"
    );
    expect(&mock, &[]);
}

#[test]
fn a_test_runs_its_own_files_workflow_even_when_the_name_is_taken() {
    let mut sources = SourceMap::new();
    let body = "workflow w {\n  scope workspace\n  trigger Contact.Identified\n  stop\n}\n";
    sources.add("a.komo", body);
    sources.add("b.komo", format!("{body}test \"t\" {{\n  expect run succeeded\n}}\n"));
    let codes: Vec<&str> =
        komo::check_sources(&sources).diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, vec!["K0110"]);
}

#[test]
fn expect_event_names_a_trigger_and_binds_its_fields_in_where() {
    // A step named like an event field: in `where`, the field wins.
    let base = wf("Coupon.Redeemed", "  step list = contact.issue_coupon(\"x\")");
    let test = |clauses: &str| format!("{base}test \"t\" {{\n{clauses}\n}}\n");
    expect(
        &test(
            "  expect event Coupon.Issued where coupon.code == list.codes[0]\n  expect event Contact.ListAdded where list == \"VIP\" and event.list == list and type == \"x\"",
        ),
        &[],
    );
    expect(&test("  expect event Contact.PropertyUpdated where \"points\" in changed"), &[]);
    expect(&test("  expect event Contact.ListAdded where list == 1"), &[("K0205", 7)]);
    expect(&test("  expect no event Contact.ListAdde"), &[("K0301", 7)]);
    expect(&test("  expect event Contact.Created where source == null"), &[("K0305", 7)]);
    expect(&test("  expect event Contact.ListAdded where list"), &[("K0206", 7)]);
    expect(&test("  expect event Contact.ListAdded where name == \"A\""), &[("K0105", 7)]);
    // `coupon` is the caused event's, and `Contact.ListAdded` carries none.
    expect(&test("  expect event Contact.ListAdded where coupon.code == \"A\""), &[("K0303", 7)]);
}

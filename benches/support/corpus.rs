//! A generated corpus for the front-end benchmark: realistic workflows of about 30
//! lines each, with the same content as JSON (the baseline `serde_json` parses).
//! Shared with `tests/corpus.rs`, which proves the corpus checks clean (so the
//! benchmark measures the normal path, not error recovery).

/// One workflow: its Komo source and an equivalent JSON document.
#[derive(Debug)]
pub struct Generated {
    pub komo: String,
    pub json: String,
}

const TRIGGERS: &[(&str, &str)] = &[
    ("Gameplay.DataCapturedQualified", "card \"quiz-{i}\""),
    ("Gameplay.Ended", "hub \"hub-{i}\""),
    ("Prize.Awarded", "workspace"),
    ("Card.Completed", "card \"card-{i}\""),
];

/// Workflow number `i` (about 30 lines).
pub fn workflow(i: usize) -> Generated {
    let (trigger, scope) =
        TRIGGERS.get(i % TRIGGERS.len()).copied().unwrap_or(("Prize.Awarded", "workspace"));
    let scope = scope.replace("{i}", &i.to_string());
    let komo = format!(
        r#"/// Generated workflow {i}: score the contact, tag them and tell the CRM.
workflow generated_{i} {{
  title "Generated workflow {i}"
  scope {scope}
  trigger {trigger}

  let bonus = {bonus}
  let label = "campaign-{i}"
  step award = loyalty.award_points(bonus * 2, reason: "Played ${{card.name}} ({i})")
  if award.balance >= {limit} and contact.tier != "Gold" {{
    loyalty.add_to_tier("Gold")
    contact.update(add_tags: ["gold-{i}", label])
  }} else if award.balance > 100 {{
    contact.add_to_list("Engaged {i}")
  }}
  if contact.email != null {{
    step mail = contact.send_email(template: "thanks-{i}", data: {{ points: award.balance, card: card.id }})
      retry 2 backoff 10s
      on failure continue
  }}
  step sync = http.request("POST", "https://crm.example.com/contacts/${{contact.id}}",
    json: {{ id: contact.id, points: award.balance, label: label, run: run.id }},
  ) retry 3 backoff 30s timeout 10s
    on failure -> report
  wait 1d
  contact.update(set: {{ first_name: lower(contact.first_name ?? "friend") }})

  route report {{
    contact.update(add_tags: ["crm-sync-failed"])
    fail "sync {i} failed at ${{error.step}}: ${{error.message}}"
  }}
}}
"#,
        bonus = 10 + i % 50,
        limit = 500 + i,
    );
    let json = serde_json::json!({
        "name": format!("generated_{i}"),
        "title": format!("Generated workflow {i}"),
        "scope": scope,
        "trigger": trigger,
        "body": [
            { "let": "bonus", "value": 10 + i % 50 },
            { "let": "label", "value": format!("campaign-{i}") },
            { "step": "award", "action": "loyalty.award_points", "args": [ { "op": "*", "lhs": { "name": "bonus" }, "rhs": 2 } ], "named": { "reason": { "interpolate": [ "Played ", { "path": ["card", "name"] }, format!(" ({i})") ] } } },
            { "if": { "op": "and", "lhs": { "op": ">=", "lhs": { "path": ["award", "balance"] }, "rhs": 500 + i }, "rhs": { "op": "!=", "lhs": { "path": ["contact", "tier"] }, "rhs": "Gold" } },
              "then": [ { "action": "loyalty.add_to_tier", "args": ["Gold"] }, { "action": "contact.update", "named": { "add_tags": [format!("gold-{i}"), { "name": "label" }] } } ],
              "else_if": [ { "cond": { "op": ">", "lhs": { "path": ["award", "balance"] }, "rhs": 100 }, "then": [ { "action": "contact.add_to_list", "args": [format!("Engaged {i}")] } ] } ] },
            { "if": { "op": "!=", "lhs": { "path": ["contact", "email"] }, "rhs": null },
              "then": [ { "step": "mail", "action": "contact.send_email", "named": { "template": format!("thanks-{i}"), "data": { "points": { "path": ["award", "balance"] }, "card": { "path": ["card", "id"] } } }, "retry": { "count": 2, "backoff_ms": 10000 }, "on_failure": "continue" } ] },
            { "step": "sync", "action": "http.request", "args": ["POST", { "interpolate": ["https://crm.example.com/contacts/", { "path": ["contact", "id"] }] }], "named": { "json": { "id": { "path": ["contact", "id"] }, "points": { "path": ["award", "balance"] }, "label": { "name": "label" }, "run": { "path": ["run", "id"] } } }, "retry": { "count": 3, "backoff_ms": 30000 }, "timeout_ms": 10000, "on_failure": { "route": "report" } },
            { "wait_ms": 86_400_000 },
            { "action": "contact.update", "named": { "set": { "first_name": { "call": "lower", "args": [ { "op": "??", "lhs": { "path": ["contact", "first_name"] }, "rhs": "friend" } ] } } } }
        ],
        "routes": { "report": [
            { "action": "contact.update", "named": { "add_tags": ["crm-sync-failed"] } },
            { "fail": { "interpolate": [format!("sync {i} failed at "), { "path": ["error", "step"] }, ": ", { "path": ["error", "message"] }] } }
        ] }
    })
    .to_string();
    Generated { komo, json }
}

/// `files` files holding `per_file` workflows each.
pub fn files(files: usize, per_file: usize) -> Vec<String> {
    (0..files)
        .map(|f| (0..per_file).map(|w| workflow(f * per_file + w).komo).collect::<Vec<_>>().join("\n"))
        .collect()
}

/// One file of at least `lines` lines.
pub fn one_file(lines: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.lines().count() < lines {
        out.push_str(&workflow(i).komo);
        out.push('\n');
        i += 1;
    }
    out
}

/// A JSON document of about `bytes` bytes built from the workflows' JSON forms.
pub fn json_of_size(bytes: usize) -> String {
    let mut parts = Vec::new();
    let mut len = 2;
    let mut i = 0;
    while len < bytes {
        let j = workflow(i).json;
        len += j.len() + 1;
        parts.push(j);
        i += 1;
    }
    format!("[{}]", parts.join(","))
}

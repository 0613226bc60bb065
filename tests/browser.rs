//! The dashboard in a real browser: the `komo` binary serving a copy of the demo
//! project (`examples/demo`), Debian's headless Chromium driven through chromedriver.
//! Sign in, activate a workflow, post an event, follow its run live to the end, read
//! the timeline and the run's path on its flowchart, replay it; the run page, its path
//! and the workflow page's flowchart are saved as screenshots (`target/artifacts/`:
//! `run-detail.png`, `run-path.png`, `workflow-graph.png`); every page fits a phone's
//! width.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;
mod webdriver;

use std::path::Path;
use std::time::Duration;

use common::serve::{Log, Server};
use webdriver::Browser;

/// Waits (up to `seconds`) until `check` holds.
async fn eventually<F, Fut>(seconds: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..seconds * 10 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// True when the page fits the viewport's width (no sideways scrolling).
async fn fits_width(browser: &Browser) -> bool {
    browser.execute("return document.documentElement.scrollWidth <= window.innerWidth + 1;").await == true
}

/// Every form control has a label.
async fn unlabelled_controls(browser: &Browser) -> u64 {
    let script = "return [...document.querySelectorAll('input:not([type=hidden]), select')]\
        .filter(e => !e.labels || e.labels.length === 0).length;";
    browser.execute(script).await.as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_activate_run_follow_the_timeline_and_replay() {
    let dir = common::demo_copy("browser", "demo", &["workflows", "events"]);
    let created = common::komo(&dir, &["keys", "create"]);
    assert!(created.status.success(), "{}", common::stderr(&created));
    let key = common::stdout(&created).trim().to_string();
    let log = Log::default();
    let server = Server::start_blocking(&dir, &[], "serve", &log);
    let address = server.address.clone();
    let site = format!("http://{address}");
    let browser = Browser::start(&dir.join("chromium-profile")).await;

    // Signing in: the dashboard sends to /login, then back.
    browser.goto(&format!("{site}/runs")).await;
    assert!(browser.url().await.starts_with(&format!("{site}/login?next=")), "{}", browser.url().await);
    assert_eq!(unlabelled_controls(&browser).await, 0);
    let field = browser.find("#key").await;
    browser.type_into(&field, &key).await;
    browser.click(&browser.find(".login button[type=submit]").await).await;
    eventually(10, "the runs page", || async { browser.url().await == format!("{site}/runs") }).await;
    browser.click(&browser.find("nav a[href='/']").await).await;
    eventually(10, "the workflows page", || async { browser.url().await == format!("{site}/") }).await;
    assert_eq!(unlabelled_controls(&browser).await, 0);

    // Activating `welcome` with its button.
    let badge = browser.find("tbody tr:has(a[href='/workflows/welcome']) .badge").await;
    assert_eq!(browser.text(&badge).await, "draft");
    browser.click(&browser.find("button[aria-label='Activate welcome']").await).await;
    eventually(10, "the notice", || async { browser.url().await.contains("done=activate") }).await;
    let notice = browser.find(".notice").await;
    assert_eq!(browser.text(&notice).await, "`welcome` activated.");
    let badge = browser.find("tbody tr:has(a[href='/workflows/welcome']) .badge").await;
    assert_eq!(browser.text(&badge).await, "active");

    // An event through the API starts a run.
    let event = std::fs::read(dir.join("events/01_new_contact.json")).unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let answer = http
        .post(format!("{site}/v1/events"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(event)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 202);
    let answer: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    let run = answer["runs"][0]["id"].as_str().unwrap().to_string();

    // The runs list shows it; its page follows it live through its 5 s wait.
    browser.click(&browser.find("nav a[href='/runs']").await).await;
    eventually(10, "the runs page", || async { browser.url().await == format!("{site}/runs") }).await;
    browser.click_css(&format!("a[href='/runs/{run}']")).await;
    eventually(10, "the run's page", || async { browser.url().await == format!("{site}/runs/{run}") }).await;
    let status = browser.text_of("#run-status").await;
    assert!(["pending", "running", "waiting"].contains(&status.as_str()), "{status}");
    let waiting_url = browser.url().await;
    eventually(30, "the run to succeed on the page, without reloading", || async {
        browser.text_of("#run-status").await == "succeeded"
    })
    .await;
    assert_eq!(browser.url().await, waiting_url);
    // The data context followed too: the contact as the last step left it.
    let contact = browser.text_of("#contact-title + pre").await;
    assert!(contact.contains("\"welcomed\"") && contact.contains("\"New Users\""), "{contact}");

    // The timeline: the steps and the wait between them, with their statuses.
    let rows = browser.find_all("ol.timeline > li").await;
    let mut seen = Vec::new();
    for row in &rows {
        let name = browser.text(&browser.find_in(row, "strong").await).await;
        let badge = browser.text(&browser.find_in(row, ".badge").await).await;
        seen.push(format!("{name}: {badge}"));
    }
    assert_eq!(seen, ["add_to_list_1: succeeded", "bonus: succeeded", "wait: waited", "update_1: succeeded"]);
    let wait = browser.text(&browser.find("ol.timeline > li.wait .dur").await).await;
    assert!(wait.starts_with("5.0"), "the wait lasted its 5 s: {wait}");
    let clock = browser.text(&browser.find("ol.timeline > li.step time").await).await;
    assert_eq!(clock.len(), "09:00:00.000".len(), "{clock}");
    assert_eq!(browser.find_all("ol.timeline svg rect:not(.track)").await.len(), 4);

    // The run's path on its version's flowchart: every step coloured by its status, the
    // edges it took marked, each step linked to its timeline row.
    assert_eq!(browser.find_all(".picture svg g.node.status-succeeded").await.len(), 3);
    assert_eq!(browser.find_all(".picture svg g.edge.taken").await.len(), 5);
    let bonus = browser.find(".picture svg a[href='#step-bonus'] text.title").await;
    browser.click(&bonus).await;
    eventually(10, "the bonus row as the target", || async { browser.url().await.ends_with("#step-bonus") })
        .await;
    let target = browser.execute("return document.querySelector(':target')?.id ?? '';").await;
    assert_eq!(target, "step-bonus");

    // A screenshot of the whole run page, and of its path alone, as test artifacts.
    let height = browser.execute("return document.documentElement.scrollHeight;").await.as_u64().unwrap();
    browser.resize(1280, u32::try_from(height.clamp(800, 4000)).unwrap() + 120).await;
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("artifacts");
    browser.screenshot(&artifacts.join("run-detail.png")).await;
    assert!(std::fs::metadata(artifacts.join("run-detail.png")).unwrap().len() > 10_000);
    browser.screenshot_of(&browser.find(".picture .graph svg").await, &artifacts.join("run-path.png")).await;
    assert!(std::fs::metadata(artifacts.join("run-path.png")).unwrap().len() > 3_000);
    browser.resize(1280, 1000).await;

    // The workflow page: the active version's flowchart and its bounds.
    browser.goto(&format!("{site}/workflows/welcome?version=1")).await;
    assert_eq!(browser.text_of("#graph-title").await, "Flowchart (version 1)");
    assert_eq!(browser.find_all(".picture svg g.node").await.len(), 6);
    let bounds = browser.text_of(".picture .bounds").await;
    assert!(bounds.contains("Longest run") && bounds.contains("5s") && bounds.contains("50"), "{bounds}");
    browser.screenshot_of(&browser.find(".picture").await, &artifacts.join("workflow-graph.png")).await;
    browser.goto(&format!("{site}/runs/{run}")).await;

    // Replay: a new run of the same event, and its page.
    let before = browser.url().await;
    browser.click(&browser.find("form.replay button").await).await;
    eventually(10, "the replayed run's page", || async { browser.url().await != before }).await;
    let replayed = browser.url().await;
    let new_run = replayed.strip_prefix(&format!("{site}/runs/")).unwrap().to_string();
    assert_ne!(new_run, run);
    assert!(browser.text_of("h1").await.contains(&new_run));
    let event_text = browser.text_of("pre.json").await;
    assert!(event_text.contains("demo_evt_1"), "{event_text}");
    eventually(30, "the replayed run to succeed", || async {
        browser.text_of("#run-status").await == "succeeded"
    })
    .await;

    browser.goto(&format!("{site}/")).await;
    browser.screenshot(&artifacts.join("workflows.png")).await;

    // Phone width: no page scrolls sideways.
    browser.resize(390, 844).await;
    let run_path = format!("/runs/{run}");
    for (name, path) in
        [("workflows", "/"), ("runs", "/runs"), ("run", &*run_path), ("workflow", "/workflows/welcome")]
    {
        browser.goto(&format!("{site}{path}")).await;
        browser.screenshot(&artifacts.join(format!("phone-{name}.png"))).await;
        if !fits_width(&browser).await {
            browser.screenshot(&artifacts.join("too-wide.png")).await;
            let widest = "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className).join(', ');";
            panic!("{path} is wider than a phone: {}", browser.execute(widest).await);
        }
    }
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_with_draft_shows_what_the_draft_would_change() {
    let dir = common::demo_copy("browser", "compare", &["workflows", "events"]);
    let created = common::komo(&dir, &["keys", "create"]);
    assert!(created.status.success(), "{}", common::stderr(&created));
    let key = common::stdout(&created).trim().to_string();
    let log = Log::default();
    let server = Server::start_blocking(&dir, &[], "serve", &log);
    let site = format!("http://{}", server.address);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let api = |method: reqwest::Method, path: &str, kind: &str, body: Vec<u8>| {
        http.request(method, format!("{site}{path}"))
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", kind)
            .body(body)
            .send()
    };

    // A run of `welcome`, recorded to its end.
    let activated =
        api(reqwest::Method::POST, "/v1/workflows/welcome/activate", "application/json", Vec::new());
    assert_eq!(activated.await.unwrap().status().as_u16(), 200);
    let event = std::fs::read(dir.join("events/01_new_contact.json")).unwrap();
    let answer = api(reqwest::Method::POST, "/v1/events", "application/json", event).await.unwrap();
    assert_eq!(answer.status().as_u16(), 202);
    let answer: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    let run = answer["runs"][0]["id"].as_str().unwrap().to_string();
    eventually(30, "the run to succeed", || async {
        let record = api(reqwest::Method::GET, &format!("/v1/runs/{run}"), "application/json", Vec::new());
        let record: serde_json::Value =
            serde_json::from_str(&record.await.unwrap().text().await.unwrap()).unwrap();
        record["status"] == "succeeded"
    })
    .await;

    let browser = Browser::start(&dir.join("chromium-profile")).await;
    browser.goto(&format!("{site}/login")).await;
    browser.type_into(&browser.find("#key").await, &key).await;
    browser.click(&browser.find(".login button[type=submit]").await).await;
    eventually(10, "the workflows page", || async { browser.url().await == format!("{site}/") }).await;

    // The draft is the active version: no comparison offered.
    browser.goto(&format!("{site}/workflows/welcome")).await;
    assert!(browser.find_all("#compare-with-draft").await.is_empty());

    // A saved draft with more points: the page offers the comparison, which shows it.
    let source = std::fs::read_to_string(dir.join("workflows/welcome.komo")).unwrap();
    let draft = source.replace("award_points(50,", "award_points(75,");
    assert_ne!(draft, source);
    let saved = api(reqwest::Method::PUT, "/v1/workflows/welcome", "text/plain", draft.into_bytes());
    assert_eq!(saved.await.unwrap().status().as_u16(), 200);
    browser.goto(&format!("{site}/workflows/welcome")).await;
    browser.click(&browser.find("#compare-with-draft").await).await;
    let compare = format!("{site}/workflows/welcome/compare");
    eventually(30, "the comparison", || async { browser.url().await == compare }).await;
    assert_eq!(
        browser.text_of("#compare-summary").await,
        "1 run replayed on the draft: 1 changed, 0 unchanged"
    );
    let mut totals = Vec::new();
    for line in browser.find_all(".compare-totals li").await {
        totals.push(browser.text(&line).await);
    }
    assert_eq!(
        totals,
        [
            "1 of 1 run would call `bonus` (loyalty.award_points) with other arguments",
            "1 of 1 run would call `update_1` (contact.update) with other arguments",
        ]
    );
    let rows = browser.find_all("table.compare tbody tr").await;
    assert_eq!(rows.len(), 1);
    // The new points, and the tag the workflow makes of the new balance.
    let changes = browser.text(&browser.find_in(&rows[0], "ul.changes").await).await;
    assert_eq!(
        changes,
        "~ bonus (loyalty.award_points): points: 50 → 75\n\
         ~ update_1 (contact.update): add_tags: [\"welcomed\",\"balance-50\"] → [\"welcomed\",\"balance-75\"]"
    );

    // Each row leads to its run; the page fits a phone.
    browser.click_css(&format!("table.compare a[href='/runs/{run}']")).await;
    eventually(10, "the run's page", || async { browser.url().await == format!("{site}/runs/{run}") }).await;
    browser.resize(390, 844).await;
    browser.goto(&compare).await;
    assert!(fits_width(&browser).await, "the comparison is wider than a phone");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workflow_page_moves_waiting_runs_to_the_active_version() {
    let dir = common::project("browser", "migrate", "acme", &[("nudge.komo", common::NUDGE_V1)]);
    let created = common::komo(&dir, &["keys", "create"]);
    assert!(created.status.success(), "{}", common::stderr(&created));
    let key = common::stdout(&created).trim().to_string();
    let log = Log::default();
    let server = Server::start_blocking(&dir, &[], "serve", &log);
    let site = format!("http://{}", server.address);
    let api = common::serve::Api::new(
        &reqwest::Client::builder().no_proxy().build().unwrap(),
        &server.address,
        &key,
    );

    // Two runs wait in v1: Ana at `wait 1h`, the slow one at `wait 2h`; then v2 (no
    // extra wait for the slow, another list after the wait) is activated.
    let (status, body) = api.try_send("POST", "/v1/workflows/nudge/activate", None).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let mut runs = Vec::new();
    for (id, email) in [("e1", "ana@example.com"), ("e2", "slow@example.com")] {
        let event = serde_json::json!({ "id": id, "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z",
            "contact": { "email": email }, "data": { "source": "form" } });
        let (status, answer) = api.try_send("POST", "/v1/events", Some(event.to_string())).await.unwrap();
        assert_eq!(status, 202, "{answer}");
        let run = answer["runs"][0]["id"].as_str().unwrap().to_string();
        eventually(30, "the run to wait", || async {
            api.get(&format!("/v1/runs/{run}")).await["status"] == "waiting"
        })
        .await;
        runs.push(run);
    }
    let v2 = common::NUDGE_V1
        .replace("    wait 2h\n", "    contact.add_to_list(\"Slow\")\n")
        .replace("Reminded v1", "Reminded v2");
    let (status, body) = api.try_send("PUT", "/v1/workflows/nudge", Some(v2)).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = api.try_send("POST", "/v1/workflows/nudge/activate", None).await.unwrap();
    assert_eq!(status, 200, "{body}");

    let browser = Browser::start(&dir.join("chromium-profile")).await;
    browser.goto(&format!("{site}/login")).await;
    browser.type_into(&browser.find("#key").await, &key).await;
    browser.click(&browser.find(".login button[type=submit]").await).await;
    eventually(10, "the workflows page", || async { browser.url().await == format!("{site}/") }).await;

    // The plan, by park point, and the button.
    browser.goto(&format!("{site}/workflows/nudge")).await;
    let mut plan = Vec::new();
    for item in browser.find_all("ul.migration > li").await {
        plan.push(browser.text(&item).await);
    }
    assert_eq!(
        plan,
        [
            format!("1 run of v1 at wait 2h (line 6) stays: `wait 2h` has no counterpart in v2\n{}", runs[1]),
            "1 run of v1 at wait 1h (line 8) → wait 1h (line 8) in v2".to_string(),
        ]
    );
    let button = browser.find("#migrate-runs").await;
    assert_eq!(browser.text(&button).await, "Move 1 run to v2");
    browser.click(&button).await;
    eventually(10, "the notice", || async { browser.url().await.contains("done=migrate") }).await;
    assert_eq!(browser.text_of(".notice").await, "Moved 1 run to v2; 1 stayed.");
    assert!(browser.find_all("#migrate-runs").await.is_empty(), "nothing left to move");

    // The moved run's page says so; the run that stayed links to its own.
    browser.goto(&format!("{site}/runs/{}", runs[0])).await;
    let lifecycle = browser.text_of("ul.lifecycle").await;
    assert!(lifecycle.ends_with("moved from v1 to v2 at `wait 1h`"), "{lifecycle}");
    browser.resize(390, 844).await;
    browser.goto(&format!("{site}/workflows/nudge")).await;
    assert!(fits_width(&browser).await, "the workflow page is wider than a phone");
    browser.quit().await;
}

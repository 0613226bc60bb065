//! The dashboard in process: the real router over a real store (two workspaces sharing
//! it), each test on both (a SQLite file and a Postgres database, `common::stores`), the
//! scheduler running runs to their end on a manual clock that the tests move past the
//! runs' waits, pages and actions called with `oneshot`. Every page and action, the
//! sign-in and its session cookie, CSRF refusals, and that a workspace never reaches
//! another's workflows or runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::eventually;
use common::stores::Backend;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use komo::engine::{Clock, Engine, ManualClock};
use serde_json::json;
use tower::ServiceExt;

/// Internal actions only (no connector), a short wait, and a branch not taken.
const WELCOME: &str = r#"/// Welcome new contacts.
workflow welcome {
  title "Welcome new contacts"
  scope workspace
  trigger Contact.Identified

  contact.add_to_list("New Users")
  step bonus = loyalty.award_points(50, reason: "Welcome bonus")
  wait 300ms
  if bonus.balance > 1000 {
    contact.update(add_tags: ["rich"])
  }
  contact.update(add_tags: ["welcomed"])
}
"#;

/// Names a list it does not declare: activation is refused.
const BROKEN: &str = r#"workflow broken {
  scope workspace
  trigger Contact.Identified
  contact.add_to_lst("New Users")
}
"#;

/// Started by the list add of `welcome` (an event the engine causes).
const LISTED: &str = r#"workflow listed {
  scope workspace
  trigger Contact.ListAdded where event.list == "New Users"
  contact.update(add_tags: ["listed"])
}
"#;

const OTHER: &str = r#"workflow other_only {
  scope workspace
  trigger Contact.Identified
  contact.update(add_tags: ["globex"])
}
"#;

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).map(|v| v.to_str().unwrap()).unwrap_or_default()
    }

    fn has(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    #[track_caller]
    fn assert_has(&self, text: &str) {
        assert!(self.has(text), "`{text}` not in the page ({}):\n{}", self.status, self.body);
    }

    fn csrf(&self) -> String {
        let at =
            self.body.find(r#"name="csrf" value=""#).unwrap_or_else(|| panic!("no csrf in {}", self.body));
        let rest = &self.body[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

/// A signed-in browser: its cookie and the session's CSRF token.
#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

/// The wait in `WELCOME`.
const WAIT: Duration = Duration::from_millis(300);

struct Dash {
    engine: Arc<Engine>,
    /// Both workspaces' engines run on it.
    clock: ManualClock,
    app: Router,
    key: String,
    /// A key of another workspace in the same store.
    other_key: String,
    _other: Arc<Engine>,
}

impl Dash {
    async fn open(test: &str, backend: Backend) -> Dash {
        let dir = common::project(
            "dashboard",
            &format!("{test}_{backend}"),
            "acme",
            &[("welcome.komo", WELCOME), ("broken.komo", BROKEN), ("listed.komo", LISTED)],
        );
        let db = backend.store(&dir.join("shared.db"));
        let clock = common::manual_clock();
        let open = async |dir: &std::path::Path| {
            Arc::new(
                komo::cli::project::open_engine_with_clock(dir, Some(&db), Clock::from(clock.clone()))
                    .await
                    .unwrap(),
            )
        };
        let engine = open(&dir).await;
        let other_dir = dir.join("globex");
        common::write(&other_dir, "komo.toml", "[workspace]\nid = \"globex\"\n");
        common::write(&other_dir, "workflows/other_only.komo", OTHER);
        let other = open(&other_dir).await;
        Dash {
            clock,
            key: engine.create_key().await.unwrap(),
            other_key: other.create_key().await.unwrap(),
            app: komo::server::router(Arc::clone(&engine)),
            engine,
            _other: other,
        }
    }

    async fn send(
        &self,
        method: &str,
        uri: &str,
        cookie: Option<&str>,
        form: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Page {
        let mut request = Request::builder().method(method).uri(uri).header(header::HOST, "dash.test");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, format!("komo_session={cookie}"));
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let request = match form {
            Some(form) => request
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form.to_string())),
            None => request.body(Body::empty()),
        };
        let response = self.app.clone().oneshot(request.unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Page { status, headers, body: String::from_utf8(bytes.to_vec()).unwrap() }
    }

    async fn sign_in_with(&self, key: &str) -> Session {
        let page = self.send("POST", "/login", None, Some(&format!("key={key}")), &[]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let set = page.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        let cookie = set.strip_prefix("komo_session=").unwrap().split(';').next().unwrap().to_string();
        let home = self.send("GET", "/", Some(&cookie), None, &[]).await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        Session { csrf: home.csrf(), cookie }
    }

    async fn sign_in(&self) -> Session {
        self.sign_in_with(&self.key.clone()).await
    }

    async fn get(&self, s: &Session, uri: &str) -> Page {
        self.send("GET", uri, Some(&s.cookie), None, &[]).await
    }

    /// Posts a form with the session's CSRF token (and `extra` fields).
    async fn post(&self, s: &Session, uri: &str, extra: &str) -> Page {
        let form =
            if extra.is_empty() { format!("csrf={}", s.csrf) } else { format!("csrf={}&{extra}", s.csrf) };
        self.send("POST", uri, Some(&s.cookie), Some(&form), &[]).await
    }

    async fn status_of(&self, name: &str) -> String {
        self.engine.workflow("acme", name).await.unwrap().summary.status.as_str().to_string()
    }

    fn scheduler(&self) -> tokio::sync::watch::Sender<bool> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(Arc::clone(&self.engine).run_scheduler(stopped));
        stop
    }

    /// Posts a `Contact.Identified` event; the ids of the runs it started.
    async fn event(&self, id: &str) -> Vec<String> {
        let body = json!({ "id": id, "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z",
            "contact": { "email": format!("{id}@example.com") }, "data": { "source": "form" } });
        let answer = self.engine.ingest("acme", body.to_string().as_bytes()).await.unwrap();
        answer.runs.into_iter().map(|r| r.id).collect()
    }

    /// Waits for the run to end, moving the clock past its wait once it parks there.
    async fn finished(&self, id: &str) {
        let status = eventually(&format!("run {id} parked or finished"), async || {
            let status = self.engine.run("acme", id).await.unwrap().status.as_str().to_string();
            if matches!(status.as_str(), "pending" | "running") { Err(status) } else { Ok(status) }
        })
        .await;
        if status == "waiting" {
            self.clock.advance(WAIT);
        }
        eventually(&format!("run {id} finished"), async || {
            self.engine.run("acme", id).await.unwrap().finished_at.is_some()
        })
        .await;
    }
}

both_stores!(
    #[tokio::test]
    without_a_session_every_page_and_action_sends_to_the_sign_in
);
async fn without_a_session_every_page_and_action_sends_to_the_sign_in(backend: Backend) {
    let dash = Dash::open("no_session", backend).await;
    for (method, uri, to) in [
        ("GET", "/", "/login"),
        ("GET", "/runs?status=failed", "/login?next=%2Fruns%3Fstatus%3Dfailed"),
        ("GET", "/workflows/welcome", "/login?next=%2Fworkflows%2Fwelcome"),
        ("GET", "/runs/r_1", "/login?next=%2Fruns%2Fr_1"),
        ("POST", "/workflows/welcome/activate", "/login"),
        ("POST", "/runs/r_1/replay", "/login"),
        ("POST", "/logout", "/login"),
    ] {
        for cookie in [None, Some("not-a-session")] {
            let page = dash.send(method, uri, cookie, Some("csrf=x"), &[]).await;
            assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, to), "{method} {uri}");
        }
    }
    assert_eq!(dash.status_of("welcome").await, "draft");
    let login = dash.send("GET", "/login?next=%2Fruns", None, None, &[]).await;
    assert_eq!(login.status, StatusCode::OK);
    login.assert_has(r#"<input id="key" name="key" type="password""#);
    login.assert_has(r#"name="next" value="/runs""#);
    login.assert_has(r#"<label for="key">API key</label>"#);
}

both_stores!(
    #[tokio::test]
    signing_in_sets_an_http_only_same_site_cookie_and_signing_out_ends_it
);
async fn signing_in_sets_an_http_only_same_site_cookie_and_signing_out_ends_it(backend: Backend) {
    let dash = Dash::open("sign_in", backend).await;
    let wrong = dash.send("POST", "/login", None, Some("key=komo_nope"), &[]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    wrong.assert_has("unknown API key");
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
    let empty = dash.send("POST", "/login", None, Some("key="), &[]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    let ok = dash.send("POST", "/login", None, Some(&format!("key={}&next=%2Fruns", dash.key)), &[]).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, "/runs"));
    let cookie = ok.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let id = cookie.strip_prefix("komo_session=").unwrap().split(';').next().unwrap();
    assert_eq!(id.len(), 64);
    assert!(!id.contains(&dash.key), "the cookie is not the key");
    // Behind a TLS proxy the cookie is Secure; never sent back to another site.
    let tls = dash
        .send("POST", "/login", None, Some(&format!("key={}", dash.key)), &[("x-forwarded-proto", "https")])
        .await;
    assert!(tls.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("; Secure"));
    let evil = dash
        .send("POST", "/login", None, Some(&format!("key={}&next=%2F%2Fevil.example", dash.key)), &[])
        .await;
    assert_eq!(evil.location(), "/");
    // A `next` that could not be a `Location` header goes home too.
    let header =
        dash.send("POST", "/login", None, Some(&format!("key={}&next=%2F%0Ax", dash.key)), &[]).await;
    assert_eq!((header.status, header.location()), (StatusCode::SEE_OTHER, "/"));
    let header = dash.send("GET", "/login?next=%2F%0Ax", None, None, &[]).await;
    header.assert_has(r#"name="next" value="/""#);
    let cross = dash
        .send(
            "POST",
            "/login",
            None,
            Some(&format!("key={}", dash.key)),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);

    let a = dash.sign_in().await;
    let b = dash.sign_in().await;
    assert_ne!(a.cookie, b.cookie);
    assert_ne!(a.csrf, b.csrf, "each session has its own CSRF token");
    let page = dash.get(&a, "/login").await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/"));

    let refused = dash.send("POST", "/logout", Some(&a.cookie), Some(&format!("csrf={}", b.csrf)), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let out = dash.post(&a, "/logout", "").await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/login"));
    assert!(out.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(dash.get(&a, "/").await.location(), "/login");
    assert_eq!(dash.get(&b, "/").await.status, StatusCode::OK, "the other session lives on");

    // An expired session is no session.
    let (expired, _) = dash.engine.sign_in(&dash.key, 0).await.unwrap().unwrap();
    assert_eq!(dash.send("GET", "/", Some(&expired), None, &[]).await.location(), "/login");
    assert!(dash.engine.session(&expired).await.unwrap().is_none());
    assert!(dash.engine.sign_in("komo_unknown", 1000).await.unwrap().is_none());
}

both_stores!(
    #[tokio::test]
    the_workflows_page_lists_filters_and_searches
);
async fn the_workflows_page_lists_filters_and_searches(backend: Backend) {
    let dash = Dash::open("workflows", backend).await;
    let s = dash.sign_in().await;
    let page = dash.get(&s, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has(
        r#"<a href="/workflows/welcome">welcome</a><span class="sub">Welcome new contacts</span>"#,
    );
    page.assert_has(r#"<a href="/workflows/broken">broken</a>"#);
    page.assert_has(r#"<span class="badge draft">draft</span>"#);
    page.assert_has("<code>Contact.Identified</code>");
    page.assert_has(r#"<td data-label="Scope">workspace</td>"#);
    page.assert_has(r#"aria-label="Activate welcome""#);
    assert!(!page.has("other_only"), "another workspace's workflow is not listed");
    assert_eq!(page.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(
        page.headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );

    let searched = dash.get(&s, "/?q=WELC").await;
    searched.assert_has("/workflows/welcome");
    assert!(!searched.has("/workflows/broken\""));
    searched.assert_has("1 of 3 workflows");
    let by_title = dash.get(&s, "/?q=new+contacts").await;
    by_title.assert_has("1 of 3 workflows");
    let active = dash.get(&s, "/?status=active").await;
    active.assert_has("0 of 3 workflows");
    active.assert_has(r#"<option value="active" selected>active</option>"#);

    // After a run: counts for today and 7 days, the success rate and durations.
    assert_eq!(dash.post(&s, "/workflows/welcome/activate", "back=list").await.status, StatusCode::SEE_OTHER);
    let stop = dash.scheduler();
    let runs = dash.event("evt_w1").await;
    dash.finished(&runs[0]).await;
    let page = dash.get(&s, "/?status=active").await;
    page.assert_has("1 of 3 workflows");
    page.assert_has(r#"<td data-label="Runs today" class="n">1</td>"#);
    page.assert_has(r#"<td data-label="7 days" class="n">1</td>"#);
    page.assert_has(r#"<td data-label="Success" class="n">100.0%</td>"#);
    page.assert_has(r#"<td data-label="Version">1</td>"#);
    assert!(!page.has(r#"<td data-label="p50" class="n">—</td>"#), "{}", page.body);
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test]
    lifecycle_actions_move_the_workflow_and_show_why_when_refused
);
async fn lifecycle_actions_move_the_workflow_and_show_why_when_refused(backend: Backend) {
    let dash = Dash::open("lifecycle", backend).await;
    let s = dash.sign_in().await;

    let refused = dash.post(&s, "/workflows/broken/activate", "back=list").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_has("`broken` was not activated: it has errors");
    refused.assert_has("add_to_lst");
    refused.assert_has("<code>broken.komo:4:");
    assert_eq!(dash.status_of("broken").await, "draft");

    let activated = dash.post(&s, "/workflows/welcome/activate", "back=list").await;
    assert_eq!(
        (activated.status, activated.location()),
        (StatusCode::SEE_OTHER, "/?done=activate&name=welcome")
    );
    assert_eq!(dash.status_of("welcome").await, "active");
    dash.get(&s, activated.location()).await.assert_has("`welcome` activated.");

    for (action, status) in [("pause", "paused"), ("resume", "active"), ("deactivate", "inactive")] {
        let page = dash.post(&s, &format!("/workflows/welcome/{action}"), "back=workflow").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{action}: {}", page.body);
        assert_eq!(page.location(), format!("/workflows/welcome?done={action}&name=welcome"));
        assert_eq!(dash.status_of("welcome").await, status);
    }
    let conflict = dash.post(&s, "/workflows/welcome/pause", "").await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    conflict.assert_has("`welcome` is inactive; it cannot become paused");

    let cloned = dash.post(&s, "/workflows/welcome/clone", "").await;
    assert_eq!(cloned.location(), "/workflows/welcome_copy?done=clone&name=welcome_copy");
    let named = dash.post(&s, "/workflows/welcome/clone", "name=greeting").await;
    assert_eq!(named.location(), "/workflows/greeting?done=clone&name=greeting");
    assert_eq!(dash.status_of("greeting").await, "draft");
    let bad_name = dash.post(&s, "/workflows/welcome/clone", "name=Not+Snake").await;
    assert_eq!(bad_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad_name.assert_has("is not a valid workflow name");

    let unknown = dash.post(&s, "/workflows/welcome/explode", "").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let missing = dash.post(&s, "/workflows/nope/activate", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

both_stores!(
    #[tokio::test]
    actions_without_the_session_token_are_refused
);
async fn actions_without_the_session_token_are_refused(backend: Backend) {
    let dash = Dash::open("csrf", backend).await;
    let s = dash.sign_in().await;
    let other = dash.sign_in().await;
    let stop = dash.scheduler();
    dash.post(&s, "/workflows/welcome/activate", "").await;
    let runs = dash.event("evt_c1").await;
    dash.finished(&runs[0]).await;
    for (uri, form) in [
        ("/workflows/welcome/pause", String::new()),
        ("/workflows/welcome/pause", "csrf=".to_string()),
        ("/workflows/welcome/pause", "csrf=0000".to_string()),
        ("/workflows/welcome/pause", format!("csrf={}", other.csrf)),
        ("/workflows/welcome/clone", format!("name=x&csrf={}x", s.csrf)),
        (&*format!("/runs/{}/replay", runs[0]), String::new()),
        ("/logout", "csrf=nope".to_string()),
    ] {
        let page = dash.send("POST", uri, Some(&s.cookie), Some(&form), &[]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{uri} {form}");
        page.assert_has("CSRF token mismatch");
    }
    // The right token from another site's page is refused too.
    let cross = dash
        .send(
            "POST",
            "/workflows/welcome/pause",
            Some(&s.cookie),
            Some(&format!("csrf={}", s.csrf)),
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert_eq!(dash.status_of("welcome").await, "active");
    assert_eq!(
        dash.engine.runs("acme", &Default::default()).await.unwrap().runs.len(),
        1,
        "nothing was replayed"
    );
    assert!(dash.engine.workflow("acme", "x").await.is_err());
    assert_eq!(dash.get(&s, "/").await.status, StatusCode::OK, "still signed in");
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test]
    the_workflow_page_shows_highlighted_source_versions_and_recent_runs
);
async fn the_workflow_page_shows_highlighted_source_versions_and_recent_runs(backend: Backend) {
    let dash = Dash::open("workflow_page", backend).await;
    let s = dash.sign_in().await;
    let draft = dash.get(&s, "/workflows/welcome").await;
    assert_eq!(draft.status, StatusCode::OK);
    draft.assert_has(r#"<span class="kw">workflow</span> welcome {"#);
    draft.assert_has(r#"<span class="str">&#34;New Users&#34;</span>"#);
    draft.assert_has(r#"<span class="com">/// Welcome new contacts.</span>"#);
    draft.assert_has("Source (draft)");
    draft.assert_has("Never activated.");
    // Every page names the node that served it (several may share a store).
    let node = dash.engine.node().name.clone();
    draft.assert_has(&format!(r#"<span class="node" title="The node that served this page">{node}</span>"#));
    // The whole page, reviewed once (the session's token and the node's name vary).
    insta::assert_snapshot!(
        "workflow_page_draft",
        draft.body.replace(&s.csrf, "[csrf]").replace(&node, "[node]")
    );

    let stop = dash.scheduler();
    dash.post(&s, "/workflows/welcome/activate", "back=workflow").await;
    let run = dash.event("evt_p1").await.remove(0);
    dash.finished(&run).await;
    dash.post(&s, "/workflows/welcome/activate", "back=workflow").await;
    let page = dash.get(&s, "/workflows/welcome").await;
    page.assert_has(r#"<a href="/workflows/welcome?version=2">version 2</a>"#);
    page.assert_has(r#"<a href="/workflows/welcome?version=1">version 1</a>"#);
    page.assert_has(&format!(r#"<a href="/runs/{run}"><code>{run}</code></a>"#));
    page.assert_has(r#"<span class="badge succeeded">succeeded</span>"#);
    page.assert_has(r#"aria-label="Pause welcome""#);
    page.assert_has(r#"<a href="/runs?workflow=welcome">"#);
    let v1 = dash.get(&s, "/workflows/welcome?version=1").await;
    v1.assert_has("Source (version 1)");
    assert_eq!(dash.get(&s, "/workflows/welcome?version=9").await.status, StatusCode::NOT_FOUND);
    assert_eq!(dash.get(&s, "/workflows/welcome?version=x").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(dash.get(&s, "/workflows/nope").await.status, StatusCode::NOT_FOUND);
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test]
    the_runs_page_filters_pages_and_serves_its_live_rows
);
async fn the_runs_page_filters_pages_and_serves_its_live_rows(backend: Backend) {
    let dash = Dash::open("runs", backend).await;
    let s = dash.sign_in().await;
    let empty = dash.get(&s, "/runs").await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.assert_has("No runs.");
    dash.post(&s, "/workflows/welcome/activate", "").await;
    let stop = dash.scheduler();
    let mut ids = Vec::new();
    for i in 0..55 {
        // All started at the same instant (the clock stands still): newest first is the
        // order they were posted in.
        ids.extend(dash.event(&format!("evt_r{i:02}")).await);
    }
    for id in &ids {
        dash.finished(id).await;
    }
    let first = dash.get(&s, "/runs").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body.matches("<a href=\"/runs/").count(), 50, "a page is 50 runs");
    let newest = first.body.find(&format!("/runs/{}\"", ids[54])).unwrap();
    let older = first.body.find(&format!("/runs/{}\"", ids[53])).unwrap();
    assert!(newest < older, "newest first");
    first.assert_has("data-live");
    let next_at = first.body.find(r#"rel="next""#).unwrap();
    let href_at = first.body[..next_at].rfind("href=\"").unwrap() + 6;
    let next = first.body[href_at..next_at - 2].replace("&amp;", "&");
    assert!(next.starts_with("/runs?cursor="), "{next}");
    let second = dash.get(&s, &next).await;
    assert_eq!(second.body.matches("<a href=\"/runs/").count(), 5);
    second.assert_has("« Newest");
    assert!(!second.has("data-live"), "only the first page follows new runs");

    let filtered =
        dash.get(&s, "/runs?workflow=welcome&status=succeeded&trigger=Contact.Identified&range=today").await;
    assert_eq!(filtered.body.matches("<a href=\"/runs/").count(), 50);
    filtered.assert_has("<option selected>welcome</option>");
    filtered.assert_has(r#"<option value="today" selected>today</option>"#);
    for query in [
        "status=failed",
        "workflow=broken",
        "hub=sports",
        "card=c1",
        "range=custom&since=2020-01-01&until=2020-01-31",
    ] {
        let page = dash.get(&s, &format!("/runs?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        page.assert_has("No runs.");
    }
    let custom = dash.get(&s, "/runs?since=2020-01-01").await;
    assert_eq!(custom.body.matches("<a href=\"/runs/").count(), 50);
    let bad = dash.get(&s, "/runs?range=custom&since=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    bad.assert_has("`from` must be a day (YYYY-MM-DD)");
    let bad_cursor = dash.get(&s, "/runs?cursor=garbage").await;
    assert_eq!(bad_cursor.status, StatusCode::BAD_REQUEST);
    bad_cursor.assert_has("unreadable cursor");

    let rows = dash.send("GET", "/runs", Some(&s.cookie), None, &[("x-komo-fragment", "1")]).await;
    assert_eq!(rows.status, StatusCode::OK);
    assert!(rows.body.trim_start().starts_with("<tr>"), "{}", rows.body);
    assert!(!rows.has("<html"));
    assert_eq!(rows.headers.get("x-komo-live").unwrap(), "1");
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test]
    the_run_page_draws_the_timeline_and_replays_the_run
);
async fn the_run_page_draws_the_timeline_and_replays_the_run(backend: Backend) {
    let dash = Dash::open("run_page", backend).await;
    let s = dash.sign_in().await;
    dash.post(&s, "/workflows/welcome/activate", "").await;
    let run = dash.event("evt_t1").await.remove(0);
    // Not started yet: the page follows it.
    let pending = dash.get(&s, &format!("/runs/{run}")).await;
    pending.assert_has("id=\"live\" data-live");
    let part =
        dash.send("GET", &format!("/runs/{run}"), Some(&s.cookie), None, &[("x-komo-fragment", "1")]).await;
    assert_eq!(part.headers.get("x-komo-live").unwrap(), "1");
    assert!(!part.has("<html"));

    let stop = dash.scheduler();
    dash.finished(&run).await;
    let page = dash.get(&s, &format!("/runs/{run}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.has("data-live"));
    page.assert_has(r#"<span class="badge succeeded" id="run-status">succeeded</span>"#);
    // One row a step, in source order, the wait between them, the branch not taken.
    let rows: Vec<&str> =
        page.body.match_indices("<li class=\"row ").map(|(at, _)| &page.body[at + 15..at + 40]).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.split('"').next().unwrap()).collect();
    assert_eq!(
        kinds,
        ["step succeeded", "step succeeded", "wait waited", "step skipped", "step succeeded"],
        "{}",
        page.body
    );
    page.assert_has("<code>contact.add_to_list</code>");
    page.assert_has("<code>loyalty.award_points</code>");
    page.assert_has("did not run");
    page.assert_has("1 attempt</span>");
    page.assert_has("<summary>Input</summary>");
    page.assert_has("<summary>Output</summary>");
    page.assert_has("&#34;Welcome bonus&#34;");
    page.assert_has(r#"<svg viewBox="0 0 1000 12""#);
    // The path on the flowchart: each step coloured by its status and linked to its
    // timeline row; the branch not taken is not marked.
    page.assert_has(
        r##"<a href="#step-bonus"><g class="node action status-succeeded" data-id="n2" data-step="bonus">"##,
    );
    page.assert_has(r#"<li class="row step succeeded" id="step-bonus">"#);
    page.assert_has(r#"<g class="node action status-skipped" data-id="n5" data-step="update_1">"#);
    page.assert_has(r#"<g class="edge no taken" data-from="n4" data-to="n6">"#);
    assert!(!page.has(r#"<g class="edge yes taken""#), "the yes branch was not taken");
    page.assert_has("<summary>The flowchart as a list</summary>");
    page.assert_has("update_1 · contact.update · add_tags: [&#34;rich&#34;] [skipped]");
    // Start times to the millisecond.
    let clock = page.body.find("<time datetime=\"20").unwrap();
    let shown = &page.body[clock..clock + 80];
    assert!(shown.contains(".") && shown.contains("Z\">"), "{shown}");
    // The data context: the event and the contact.
    page.assert_has("&#34;evt_t1&#34;");
    page.assert_has("evt_t1@example.com");
    page.assert_has("&#34;welcomed&#34;");

    let replayed = dash.post(&s, &format!("/runs/{run}/replay"), "").await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER, "{}", replayed.body);
    let new_id = replayed.location().strip_prefix("/runs/").unwrap().to_string();
    assert_ne!(new_id, run);
    dash.finished(&new_id).await;
    let new_page = dash.get(&s, replayed.location()).await;
    new_page.assert_has(r#"<span class="badge succeeded" id="run-status">succeeded</span>"#);
    new_page.assert_has("&#34;evt_t1&#34;");
    assert_eq!(dash.get(&s, "/runs/r_missing").await.status, StatusCode::NOT_FOUND);
    assert_eq!(dash.post(&s, "/runs/r_missing/replay", "").await.status, StatusCode::NOT_FOUND);
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test]
    a_waiting_run_is_cancelled_from_its_page
);
async fn a_waiting_run_is_cancelled_from_its_page(backend: Backend) {
    let dash = Dash::open("cancel_run", backend).await;
    let s = dash.sign_in().await;
    dash.post(&s, "/workflows/welcome/activate", "").await;
    let stop = dash.scheduler();
    let run = dash.event("evt_x1").await.remove(0);
    // Parked at its wait: the clock does not move until the test moves it.
    eventually("the run waits", async || {
        let status = dash.engine.run("acme", &run).await.unwrap().status;
        if status.as_str() == "waiting" { Ok(()) } else { Err(status.as_str()) }
    })
    .await;
    let page = dash.get(&s, &format!("/runs/{run}")).await;
    page.assert_has(&format!(r#"<form method="post" action="/runs/{run}/cancel" class="replay">"#));
    page.assert_has("<button type=\"submit\">Cancel run</button>");

    // Without the session's CSRF token, or from another workspace, nothing happens.
    let forged =
        dash.send("POST", &format!("/runs/{run}/cancel"), Some(&s.cookie), Some("csrf=0000"), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let globex = dash.sign_in_with(&dash.other_key.clone()).await;
    assert_eq!(dash.post(&globex, &format!("/runs/{run}/cancel"), "").await.status, StatusCode::NOT_FOUND);
    assert_eq!(dash.engine.run("acme", &run).await.unwrap().status.as_str(), "waiting");

    let cancelled = dash.post(&s, &format!("/runs/{run}/cancel"), "").await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER, "{}", cancelled.body);
    assert_eq!(cancelled.location(), format!("/runs/{run}"));
    let page = dash.get(&s, cancelled.location()).await;
    page.assert_has(r#"<span class="badge cancelled" id="run-status">cancelled</span>"#);
    page.assert_has("cancelled through the API</li>");
    assert!(!page.has("Cancel run") && !page.has("data-live"), "{}", page.body);

    // The wait passing does not resume it; cancelling it again is refused.
    dash.clock.advance(WAIT * 2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(dash.engine.run("acme", &run).await.unwrap().status.as_str(), "cancelled");
    let again = dash.post(&s, &format!("/runs/{run}/cancel"), "").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    again.assert_has("has finished (cancelled); only a pending or waiting run can be cancelled");
    assert_eq!(dash.post(&s, "/runs/r_missing/cancel", "").await.status, StatusCode::NOT_FOUND);
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test]
    a_run_page_links_the_run_that_caused_it_and_the_runs_it_caused
);
async fn a_run_page_links_the_run_that_caused_it_and_the_runs_it_caused(backend: Backend) {
    let dash = Dash::open("caused", backend).await;
    let s = dash.sign_in().await;
    dash.post(&s, "/workflows/welcome/activate", "").await;
    dash.post(&s, "/workflows/listed/activate", "").await;
    let stop = dash.scheduler();
    let welcome = dash.event("evt_c1").await.remove(0);
    dash.finished(&welcome).await;
    let caused = dash.engine.run("acme", &welcome).await.unwrap().caused_runs;
    assert_eq!(caused.len(), 1, "{caused:?}");
    let listed = caused[0].id.clone();
    dash.finished(&listed).await;

    let page = dash.get(&s, &format!("/runs/{welcome}")).await;
    page.assert_has(r#"<h2 id="caused-title">Events this run caused</h2>"#);
    page.assert_has(&format!(r#"<tr id="caused-{welcome}.ev1"><td data-label="Event"><code>Contact.ListAdded</code></td><td data-label="Step"><code>add_to_list_1</code></td>"#));
    page.assert_has(&format!(r#"<a href="/runs/{listed}">listed</a>"#));
    // The award raised Contact.PropertyUpdated, which no active workflow takes.
    page.assert_has(r#"<td data-label="Event"><code>Contact.PropertyUpdated</code></td><td data-label="Step"><code>bonus</code></td>"#);
    page.assert_has(r#"<span class="sub">none</span>"#);
    assert!(!page.has("Started by"), "an outside event started it");

    let page = dash.get(&s, &format!("/runs/{listed}")).await;
    page.assert_has(&format!(
        r#"<dd id="started-by">run <a href="/runs/{welcome}">{welcome}</a>, step <code>add_to_list_1</code></dd>"#
    ));
    // The event list shows the caused event the run started from.
    page.assert_has(&format!("&#34;{welcome}.ev1&#34;"));
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test]
    a_workspace_never_reaches_another_workspaces_workflows_or_runs
);
async fn a_workspace_never_reaches_another_workspaces_workflows_or_runs(backend: Backend) {
    let dash = Dash::open("isolation", backend).await;
    let acme = dash.sign_in().await;
    dash.post(&acme, "/workflows/welcome/activate", "").await;
    let run = dash.event("evt_i1").await.remove(0);
    let globex = dash.sign_in_with(&dash.other_key.clone()).await;

    let home = dash.get(&globex, "/").await;
    home.assert_has("other_only");
    home.assert_has(r#"<span class="workspace" title="Workspace">globex</span>"#);
    assert!(!home.has("welcome"));
    for uri in ["/workflows/welcome", "/workflows/welcome?version=1", &*format!("/runs/{run}")] {
        let page = dash.get(&globex, uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
    }
    for action in ["activate", "pause", "resume", "deactivate", "clone"] {
        let page = dash.post(&globex, &format!("/workflows/welcome/{action}"), "").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(dash.post(&globex, &format!("/runs/{run}/replay"), "").await.status, StatusCode::NOT_FOUND);
    let runs = dash.get(&globex, "/runs").await;
    assert!(!runs.has(&run));
    let by_name = dash.get(&globex, "/runs?workflow=welcome").await;
    by_name.assert_has("No runs.");
    assert_eq!(dash.status_of("welcome").await, "active");
    // The other way round too.
    assert_eq!(dash.get(&acme, "/workflows/other_only").await.status, StatusCode::NOT_FOUND);
    // A session's token does not work for another session.
    let page = dash
        .send(
            "POST",
            "/workflows/welcome/pause",
            Some(&acme.cookie),
            Some(&format!("csrf={}", globex.csrf)),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

both_stores!(
    #[tokio::test]
    assets_are_embedded
);
async fn assets_are_embedded(backend: Backend) {
    let dash = Dash::open("assets", backend).await;
    let css = dash.send("GET", "/assets/dashboard.css", None, None, &[]).await;
    assert_eq!(
        (css.status, css.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap()),
        (StatusCode::OK, "text/css; charset=utf-8")
    );
    css.assert_has("@media (max-width: 720px)");
    let js = dash.send("GET", "/assets/dashboard.js", None, None, &[]).await;
    js.assert_has("X-Komo-Fragment");
    assert_eq!(dash.send("GET", "/assets/nope.js", None, None, &[]).await.status, StatusCode::NOT_FOUND);
    let bare = dash.send("GET", "/workflows", None, None, &[]).await;
    assert_eq!((bare.status, bare.location()), (StatusCode::SEE_OTHER, "/"));
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    compare_with_draft_shows_what_the_saved_draft_would_change_on_recorded_runs
);
async fn compare_with_draft_shows_what_the_saved_draft_would_change_on_recorded_runs(backend: Backend) {
    let dash = Dash::open("compare", backend).await;
    let s = dash.sign_in().await;
    dash.engine.activate("acme", "welcome").await.unwrap();
    let stop = dash.scheduler();
    let run = dash.event("cmp1").await.remove(0);
    dash.finished(&run).await;
    stop.send(true).unwrap();
    // The draft is the active version's source: nothing to compare.
    assert!(!dash.get(&s, "/workflows/welcome").await.has("compare-with-draft"));

    let draft = WELCOME.replace("award_points(50,", "award_points(75,");
    dash.engine.save_draft("acme", "welcome", &draft).await.unwrap();
    let page = dash.get(&s, "/workflows/welcome").await;
    page.assert_has(r#"<a class="button" id="compare-with-draft" href="/workflows/welcome/compare">"#);
    let compare = dash.get(&s, "/workflows/welcome/compare").await;
    assert_eq!(compare.status, StatusCode::OK, "{}", compare.body);
    compare.assert_has("1 run replayed on the draft: 1 changed, 0 unchanged");
    compare.assert_has("1 of 1 run would call `bonus` (loyalty.award_points) with other arguments");
    compare.assert_has("~ bonus (loyalty.award_points): points: 50 → 75");
    compare.assert_has(&format!(r#"<a href="/runs/{run}">"#));

    // A draft with errors: its diagnostics, nothing compared.
    dash.engine.save_draft("acme", "welcome", &WELCOME.replace("add_to_list", "add_to_lst")).await.unwrap();
    let broken = dash.get(&s, "/workflows/welcome/compare").await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", broken.body);
    broken.assert_has("the draft has errors: nothing to compare");
    broken.assert_has("K0101");
}

/// Waits for a run to park at its wait (the clock is not moved).
async fn parked(dash: &Dash, run: &str) {
    eventually(&format!("run {run} waits"), async || {
        let status = dash.engine.run("acme", run).await.unwrap().status.as_str().to_string();
        if status == "waiting" { Ok(()) } else { Err(status) }
    })
    .await;
}

both_stores!(
    #[tokio::test]
    the_workflow_page_shows_the_migration_plan_and_moves_the_runs_that_can_move
);
async fn the_workflow_page_shows_the_migration_plan_and_moves_the_runs_that_can_move(backend: Backend) {
    let dash = Dash::open("migrate", backend).await;
    let s = dash.sign_in().await;
    let stop = dash.scheduler();
    // One run parks in v1 at its `wait`; v2 waits in a branch instead, and one run parks
    // there; v3 is v1 with another tag after the wait.
    dash.engine.activate("acme", "welcome").await.unwrap();
    let in_v1 = dash.event("mig1").await.remove(0);
    parked(&dash, &in_v1).await;
    assert!(!dash.get(&s, "/workflows/welcome").await.has("migration-title"), "no run of another version");
    let branch = WELCOME.replace("  wait 300ms\n", "  if contact.email != null {\n    wait 300ms\n  }\n");
    dash.engine.save_draft("acme", "welcome", &branch).await.unwrap();
    dash.engine.activate("acme", "welcome").await.unwrap();
    let in_v2 = dash.event("mig2").await.remove(0);
    parked(&dash, &in_v2).await;
    stop.send(true).unwrap();
    dash.engine
        .save_draft("acme", "welcome", &WELCOME.replace("[\"welcomed\"]", "[\"welcomed_v3\"]"))
        .await
        .unwrap();
    dash.engine.activate("acme", "welcome").await.unwrap();

    let page = dash.get(&s, "/workflows/welcome").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_has(r#"<h2 id="migration-title">Waiting runs of other versions</h2>"#);
    page.assert_has(
        "1 run of v1 at <code>wait 300ms</code> (line 9) → <code>wait 300ms</code> (line 9) in v3",
    );
    page.assert_has(
        "1 run of v2 at <code>wait 300ms</code> (line 10) stays: <span class=\"reason\">`wait 300ms` has no counterpart in v3</span>",
    );
    page.assert_has(&format!(r#"<a href="/runs/{in_v2}"><code>{in_v2}</code></a>"#));
    page.assert_has(r#"<form method="post" action="/workflows/welcome/migrate">"#);
    page.assert_has(r#"<input type="hidden" name="to" value="3">"#);
    page.assert_has(r#"<button type="submit" id="migrate-runs">Move 1 run to v3</button>"#);

    // Without the session's token nothing moves.
    let forged =
        dash.send("POST", "/workflows/welcome/migrate", Some(&s.cookie), Some("csrf=nope&to=3"), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    assert_eq!(dash.engine.run("acme", &in_v1).await.unwrap().version, 1);
    // No such workflow or version: not found.
    assert_eq!(dash.post(&s, "/workflows/nope/migrate", "to=3").await.status, StatusCode::NOT_FOUND);
    assert_eq!(dash.post(&s, "/workflows/welcome/migrate", "to=9").await.status, StatusCode::NOT_FOUND);

    let moved = dash.post(&s, "/workflows/welcome/migrate", "to=3").await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert!(moved.location().starts_with("/workflows/welcome?done=migrate"), "{}", moved.location());
    let back = dash.get(&s, moved.location()).await;
    back.assert_has("Moved 1 run to v3; 1 stayed.");
    back.assert_has("1 run of v2 at <code>wait 300ms</code> (line 10) stays");
    assert!(!back.has("1 run of v1"), "{}", back.body);
    assert!(!back.has("migrate-runs"), "nothing left to move:\n{}", back.body);
    back.assert_has("None can move to v3.");
    assert_eq!(dash.engine.run("acme", &in_v1).await.unwrap().version, 3);
    assert_eq!(dash.engine.run("acme", &in_v2).await.unwrap().version, 2);
    dash.get(&s, &format!("/runs/{in_v1}")).await.assert_has("moved from v1 to v3 at `wait 300ms`");
}

//! The runs list, a run's page, and replay.
//!
//! In: the session's workspace; the runs page's filters (`workflow`, `status`,
//! `trigger`, `hub`, `card`, `range` = `today` | `7d` | `30d` | `custom` with `since` and
//! `until` days, `cursor`). Out: the pages. Asked with `X-Komo-Fragment`, the runs page
//! answers only its rows and a run's page only its live part, with `X-Komo-Live: 0`
//! once there is nothing more to follow (the script in `assets/` polls with it).

use std::fmt;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::session::SignedIn;
use super::timeline::{duration_text, timeline};
use super::view::{
    self, RunHead, RunLiveFragment, RunPage, RunRow, RunRowsFragment, RunsFilterView, RunsPage,
};
use super::{call, failure, form};
use crate::engine::Engine;
use crate::engine::api::{RunFilter, RunSummary};
use crate::graph::svg::Overlay;
use crate::runtime::record::RunRecord;

const STATUSES: &[&str] = &["pending", "running", "waiting", "succeeded", "failed", "cancelled"];
const RANGES: &[(&str, &str)] = &[
    ("", "any time"),
    ("today", "today"),
    ("7d", "last 7 days"),
    ("30d", "last 30 days"),
    ("custom", "custom"),
];
const DAY_MS: i64 = 24 * 3600 * 1000;
/// Rows on a page of the runs list.
const PAGE: u32 = 50;

fn millis(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

fn span(started: &str, finished: Option<&str>) -> String {
    match (millis(started), finished.and_then(millis)) {
        (Some(s), Some(f)) => duration_text(f - s),
        _ => "—".to_string(),
    }
}

/// A row of a runs table.
pub fn run_row(run: &RunSummary) -> RunRow {
    let place = match (&run.hub, &run.card) {
        (Some(hub), Some(card)) => format!("{hub} / {card}"),
        (Some(hub), None) => hub.clone(),
        (None, Some(card)) => format!("— / {card}"),
        (None, None) => "—".to_string(),
    };
    RunRow {
        id: run.id.clone(),
        workflow: run.workflow.clone(),
        version: run.version,
        status: run.status.clone(),
        trigger: run.trigger.clone(),
        place,
        started_at: run.started_at.clone(),
        duration: span(&run.started_at, run.finished_at.as_deref()),
    }
}

/// Why the runs page's filter cannot be used; `field` is the form's label (`from`, `to`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum RunsFilterError {
    /// A custom range's day is not `YYYY-MM-DD`.
    NotADay { field: &'static str, day: String },
    /// A custom range's day has no timestamp.
    OutOfRange { field: &'static str },
    /// `range` is none of the known ones.
    UnknownRange { range: String },
}

impl fmt::Display for RunsFilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunsFilterError::NotADay { field, day } => {
                write!(f, "`{field}` must be a day (YYYY-MM-DD), not `{day}`")
            }
            RunsFilterError::OutOfRange { field } => write!(f, "`{field}` is out of range"),
            RunsFilterError::UnknownRange { range } => write!(f, "unknown date range `{range}`"),
        }
    }
}

impl std::error::Error for RunsFilterError {}

/// The midnight (UTC) starting `day` (`YYYY-MM-DD`), in milliseconds.
fn day_start(day: &str, field: &'static str) -> Result<i64, RunsFilterError> {
    let date: jiff::civil::Date =
        day.parse().map_err(|_| RunsFilterError::NotADay { field, day: day.to_string() })?;
    millis(&format!("{date}T00:00:00Z")).ok_or(RunsFilterError::OutOfRange { field })
}

/// The engine's filter from the page's, at `now`.
fn run_filter(view: &RunsFilterView, cursor: Option<&str>, now: i64) -> Result<RunFilter, RunsFilterError> {
    let text = |s: &str| if s.is_empty() { None } else { Some(s.to_string()) };
    let (since, until) = match view.range.as_str() {
        "" => (None, None),
        "today" => (Some(now - now.rem_euclid(DAY_MS)), None),
        "7d" => (Some(now - 7 * DAY_MS), None),
        "30d" => (Some(now - 30 * DAY_MS), None),
        "custom" => {
            let since = if view.since.is_empty() { None } else { Some(day_start(&view.since, "from")?) };
            // `until` names the last day shown: the range ends at the next midnight.
            let until =
                if view.until.is_empty() { None } else { Some(day_start(&view.until, "to")? + DAY_MS) };
            (since, until)
        }
        other => return Err(RunsFilterError::UnknownRange { range: other.to_string() }),
    };
    Ok(RunFilter {
        workflow: text(&view.workflow),
        status: text(&view.status),
        trigger: text(&view.trigger),
        hub: text(&view.hub),
        card: text(&view.card),
        since: since.map(rfc3339),
        until: until.map(rfc3339),
        cursor: cursor.map(str::to_string),
        limit: Some(PAGE),
    })
}

fn filter_view(pairs: &[(String, String)]) -> RunsFilterView {
    let get = |name: &str| form::value(pairs, name).unwrap_or_default().trim().to_string();
    let mut view = RunsFilterView {
        workflow: get("workflow"),
        status: get("status"),
        trigger: get("trigger"),
        hub: get("hub"),
        card: get("card"),
        range: get("range"),
        since: get("since"),
        until: get("until"),
    };
    if view.range.is_empty() && !(view.since.is_empty() && view.until.is_empty()) {
        view.range = "custom".into();
    }
    view
}

fn link(view: &RunsFilterView, cursor: Option<&str>) -> String {
    let custom = view.range == "custom";
    let query = form::query(&[
        ("workflow", &view.workflow),
        ("status", &view.status),
        ("trigger", &view.trigger),
        ("hub", &view.hub),
        ("card", &view.card),
        ("range", &view.range),
        ("since", if custom { &view.since } else { "" }),
        ("until", if custom { &view.until } else { "" }),
        ("cursor", cursor.unwrap_or_default()),
    ]);
    if query.is_empty() { "/runs".to_string() } else { format!("/runs?{query}") }
}

fn fragment(headers: &HeaderMap) -> bool {
    headers.contains_key("x-komo-fragment")
}

fn live_header(mut response: Response, live: bool) -> Response {
    response.headers_mut().insert("x-komo-live", HeaderValue::from_static(if live { "1" } else { "0" }));
    response
}

/// `GET /runs`.
pub async fn runs(
    State(engine): State<Arc<Engine>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = form::parse(query.unwrap_or_default().as_bytes());
    let filter = filter_view(&pairs);
    let cursor = form::value(&pairs, "cursor").map(str::to_string);
    let live = cursor.is_none();
    let wanted = run_filter(&filter, cursor.as_deref(), engine.clock().now_ms());
    let ws = signed_in.workspace();
    let rows_only = fragment(&headers);
    let loaded = call(&engine, async move |engine| {
        let page = match wanted {
            Ok(wanted) => Ok(engine.runs(&ws, &wanted).await?),
            Err(error) => Err(error.to_string()),
        };
        if rows_only {
            return Ok((page, Vec::new(), Vec::new()));
        }
        Ok((page, engine.workflow_names(&ws).await?, engine.known_triggers(&ws).await?))
    })
    .await;
    let (page, workflows, triggers) = match loaded {
        Ok(loaded) => loaded,
        Err(error @ crate::engine::error::EngineError::Invalid { .. }) => {
            (Err(error.to_string()), Vec::new(), Vec::new())
        }
        Err(error) => return failure(signed_in.chrome("runs"), &error),
    };
    let (rows, next, error) = match page {
        Ok(page) => (
            page.runs.iter().map(run_row).collect(),
            page.next_cursor.as_deref().map(|c| link(&filter, Some(c))),
            None,
        ),
        Err(message) => (Vec::new(), None, Some(message)),
    };
    if rows_only {
        return live_header(view::html(StatusCode::OK, &RunRowsFragment { rows }), live);
    }
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let first = cursor.as_ref().map(|_| link(&filter, None));
    let page = RunsPage {
        chrome: Some(signed_in.chrome("runs")),
        rows,
        filter,
        workflows,
        triggers,
        statuses: STATUSES,
        ranges: RANGES,
        next,
        first,
        live: live && error.is_none(),
        error,
    };
    view::html(status, &page)
}

fn head(record: &RunRecord) -> RunHead {
    RunHead {
        id: record.id.clone(),
        workflow: record.workflow.clone(),
        version: record.version,
        status: record.status.as_str().to_string(),
        trigger: record.trigger.to_string(),
        started_at: record.started_at.clone(),
        finished_at: record.finished_at.clone().unwrap_or_default(),
        duration: span(&record.started_at, record.finished_at.as_deref()),
        error: record.error.as_ref().map(|e| match &e.step {
            Some(step) => format!("failed at step `{step}`: {}", e.message),
            None => format!("failed: {}", e.message),
        }),
        cause: record.caused_by.as_ref().map(|c| view::CauseView {
            run: c.run.clone(),
            step: c.step.clone().unwrap_or_default(),
            event: c.event.clone(),
        }),
        caused: record
            .caused_events
            .iter()
            .map(|e| view::CausedView {
                id: e.id.clone(),
                kind: e.kind.clone(),
                step: e.step.clone(),
                data: serde_json::to_string(&e.data).unwrap_or_default(),
                runs: record
                    .caused_runs
                    .iter()
                    .filter(|r| r.event == e.id)
                    .map(|r| (r.id.clone(), r.workflow.clone()))
                    .collect(),
            })
            .collect(),
        lifecycle: record.lifecycle.iter().map(|l| (l.at().to_string(), l.describe())).collect(),
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `GET /runs/{id}`.
pub async fn run(
    State(engine): State<Arc<Engine>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let ws = signed_in.workspace();
    let loaded = call(&engine, async move |engine| {
        let record = engine.run(&ws, &id).await?;
        let source = engine.version_source(&ws, &record.workflow, record.version).await?;
        Ok((record, source))
    })
    .await;
    let (record, source) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return failure(signed_in.chrome("runs"), &error),
    };
    let live = record.finished_at.is_none();
    let timeline = timeline(&record, engine.clock().now_ms());
    let run = head(&record);
    let picture = source.and_then(|source| engine.picture(&record.workflow, &source)).map(|picture| {
        let overlay = Overlay {
            steps: record.steps.iter().map(|s| (s.name.clone(), s.status.as_str().to_string())).collect(),
            link_prefix: Some("#step-".to_string()),
        };
        view::PictureView::new(&picture, Some(&overlay))
    });
    if fragment(&headers) {
        let part = RunLiveFragment {
            run,
            timeline,
            axis: view::BAR_AXIS,
            event: pretty(&record.event),
            contact: pretty(&record.contact),
            picture,
        };
        return live_header(view::html(StatusCode::OK, &part), live);
    }
    let page = RunPage {
        chrome: Some(signed_in.chrome("runs")),
        csrf: signed_in.session.csrf.clone(),
        run,
        timeline,
        axis: view::BAR_AXIS,
        event: pretty(&record.event),
        contact: pretty(&record.contact),
        live,
        picture,
    };
    view::html(StatusCode::OK, &page)
}

/// `POST /runs/{id}/replay`: 303 to the new run.
pub async fn replay(
    State(engine): State<Arc<Engine>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = signed_in.accept_form(&headers, &body) {
        return *refused;
    }
    match engine.replay(&signed_in.workspace(), &id).await {
        Ok(started) => Redirect::to(&format!("/runs/{}", form::encode(&started.id))).into_response(),
        Err(error) => failure(signed_in.chrome("runs"), &error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(range: &str, since: &str, until: &str) -> RunsFilterView {
        RunsFilterView {
            range: range.into(),
            since: since.into(),
            until: until.into(),
            ..RunsFilterView::default()
        }
    }

    #[test]
    fn date_ranges_become_since_and_until() {
        let now = millis("2026-11-29T15:30:00Z").unwrap();
        let f = run_filter(&view("today", "", ""), None, now).unwrap();
        assert_eq!((f.since.as_deref(), f.until.as_deref()), (Some("2026-11-29T00:00:00Z"), None));
        let f = run_filter(&view("7d", "", ""), None, now).unwrap();
        assert_eq!(f.since.as_deref(), Some("2026-11-22T15:30:00Z"));
        let f = run_filter(&view("custom", "2026-11-01", "2026-11-02"), None, now).unwrap();
        assert_eq!(
            (f.since.as_deref(), f.until.as_deref()),
            (Some("2026-11-01T00:00:00Z"), Some("2026-11-03T00:00:00Z"))
        );
        let not_a_day = run_filter(&view("custom", "yesterday", ""), None, now).unwrap_err();
        assert!(not_a_day.to_string().contains("`from`"));
        assert!(run_filter(&view("fortnight", "", ""), None, now).is_err());
        let pairs = form::parse(b"since=2026-11-01&hub=sports");
        assert_eq!(filter_view(&pairs).range, "custom");
        assert_eq!(
            link(&filter_view(&pairs), Some("c")),
            "/runs?hub=sports&range=custom&since=2026-11-01&cursor=c"
        );
    }
}

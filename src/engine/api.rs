//! The engine's public data shapes: what the HTTP API answers (engine.md §4).
//!
//! In: rows and run records from the store. Out: serde types, so the server only
//! routes and serialises.

use serde::{Deserialize, Serialize};

/// A workflow's lifecycle state (`catalog.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowStatus {
    Draft,
    Active,
    Paused,
    Inactive,
}

impl WorkflowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowStatus::Draft => "draft",
            WorkflowStatus::Active => "active",
            WorkflowStatus::Paused => "paused",
            WorkflowStatus::Inactive => "inactive",
        }
    }

    pub fn parse(text: &str) -> Option<WorkflowStatus> {
        Some(match text {
            "draft" => WorkflowStatus::Draft,
            "active" => WorkflowStatus::Active,
            "paused" => WorkflowStatus::Paused,
            "inactive" => WorkflowStatus::Inactive,
            _ => return None,
        })
    }
}

/// Run counts and durations of one workflow.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkflowMetrics {
    pub runs: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub waiting: u64,
    pub running: u64,
    pub cancelled: u64,
    /// Succeeded over finished, `null` before any run finished.
    pub success_rate: Option<f64>,
    /// Of finished runs, in milliseconds.
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

/// `GET /v1/workflows` rows and `GET /v1/workflows/{name}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkflowSummary {
    pub name: String,
    pub status: WorkflowStatus,
    pub title: Option<String>,
    /// `workspace`, `hub "<id>"` or `card "<id>"`, when the source checks.
    pub scope: Option<String>,
    pub trigger: Option<String>,
    /// The active (or last activated) version.
    pub version: Option<i64>,
    pub metrics: WorkflowMetrics,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkflowDetail {
    #[serde(flatten)]
    pub summary: WorkflowSummary,
    /// The draft's source.
    pub source: String,
    /// Every version, oldest first.
    pub versions: Vec<i64>,
}

/// A run started by an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartedRun {
    pub id: String,
    pub workflow: String,
    pub version: i64,
}

/// `POST /v1/events` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestResponse {
    pub event_id: String,
    pub duplicate: bool,
    pub runs: Vec<StartedRun>,
}

/// A row of `GET /v1/runs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: String,
    pub workflow: String,
    pub version: i64,
    pub status: String,
    pub trigger: String,
    pub hub: Option<String>,
    pub card: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
}

/// `GET /v1/runs` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPage {
    pub runs: Vec<RunSummary>,
    pub next_cursor: Option<String>,
}

/// `GET /v1/runs` filters (all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFilter {
    pub workflow: Option<String>,
    pub status: Option<String>,
    pub trigger: Option<String>,
    pub hub: Option<String>,
    pub card: Option<String>,
    /// RFC 3339.
    pub since: Option<String>,
    pub until: Option<String>,
    pub cursor: Option<String>,
    /// At most 500; default 50.
    pub limit: Option<u32>,
}

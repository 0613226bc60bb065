//! The engine's [`Host`]: the real clock, randomness, configured secrets, and actions
//! on the store.
//!
//! In: one run's identity and its contact's state (the sandbox's store semantics,
//! persisted per contact as JSON). Out: action results. An internal action commits its
//! effect on the contact together with an effect record keyed by (run, step) in one
//! transaction, so a step replayed after a crash returns its recorded output instead of
//! acting twice: exactly once. External connectors come with a later issue; until then
//! activation refuses workflows that need them.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::EngineError;
use super::store::{self, Store};
use crate::check::catalog::{self, ActionKind};
use crate::connectors::http::HttpConnector;
use crate::ir::Workflow;
use crate::runtime::host::{ActionFailure, ActionRequest, Host, HostError};
use crate::runtime::sandbox::Store as ContactState;
use crate::runtime::value::Value;

/// Why a workflow cannot run in this engine yet, if it cannot.
pub fn unavailable_connector(wf: &Workflow) -> Option<String> {
    wf.steps.iter().find_map(|step| {
        let (ns, name) = step.action.split_once('.')?;
        let spec = catalog::action(ns, name)?;
        (spec.kind == ActionKind::External && step.action != "http.request").then(|| {
            format!(
                "step `{}` uses `{}`, an external action; this engine has no {} connector configured yet",
                step.name,
                step.action,
                connector_of(ns, name)
            )
        })
    })
}

fn connector_of(ns: &str, name: &str) -> &'static str {
    match (ns, name) {
        ("contact", "send_email") => "email",
        ("contact", "send_sms") => "SMS",
        ("salesforce", _) => "Salesforce",
        ("mailchimp", _) => "Mailchimp",
        ("braze", _) => "Braze",
        _ => "HTTP",
    }
}

/// A contact's state from its stored blob (a fresh one if unreadable).
pub fn blob_state(data: &str) -> ContactState {
    serde_json::from_str(data).unwrap_or_default()
}

/// The contact record inside a stored blob.
pub fn blob_contact(data: &str) -> Value {
    blob_state(data).contact()
}

/// The current contact record of `id`.
pub fn contact_value(store: &Store, ws: &str, id: &str) -> Result<Value, EngineError> {
    Ok(store.contact(ws, id)?.map_or(Value::Null, |row| blob_contact(&row.data)))
}

/// Serialises a contact's state, with the columns the store indexes.
pub fn blob_of(state: &ContactState) -> (String, Option<String>, Option<String>) {
    let contact = state.contact();
    let email = contact.field("email").as_str().map(str::to_string);
    let phone = contact.field("phone").as_str().map(str::to_string);
    (serde_json::to_string(state).unwrap_or_default(), email, phone)
}

/// The host of one run.
#[derive(Debug)]
pub struct EngineHost {
    store: Arc<Store>,
    workspace: String,
    run_id: String,
    contact_id: Option<String>,
    state: ContactState,
    secrets: Arc<BTreeMap<String, String>>,
    http: Arc<HttpConnector>,
}

impl EngineHost {
    pub fn new(
        store: Arc<Store>,
        workspace: &str,
        run_id: &str,
        contact_id: Option<String>,
        state: ContactState,
        secrets: Arc<BTreeMap<String, String>>,
        http: Arc<HttpConnector>,
    ) -> EngineHost {
        EngineHost {
            store,
            workspace: workspace.into(),
            run_id: run_id.into(),
            contact_id,
            state,
            secrets,
            http,
        }
    }
}

fn random_f64() -> f64 {
    let mut buf = [0u8; 8];
    if getrandom::fill(&mut buf).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(buf) >> 11) as f64 / (1u64 << 53) as f64
}

impl Host for EngineHost {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }

    fn jitter(&mut self) -> f64 {
        random_f64()
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.secrets.get(name).cloned()
    }

    async fn contact(&mut self) -> Result<Value, HostError> {
        Ok(self.state.contact())
    }

    async fn entry(&mut self) -> Result<Value, HostError> {
        Ok(self.state.entry())
    }

    async fn perform(&mut self, request: ActionRequest<'_>) -> Result<Value, ActionFailure> {
        let spec = request.action.split_once('.').and_then(|(ns, name)| catalog::action(ns, name));
        let Some(spec) = spec else {
            return Err(ActionFailure::new(
                "invalid_request",
                format!("unknown action `{}`", request.action),
            ));
        };
        if request.action == "http.request" {
            let secrets = Arc::clone(&self.secrets);
            let resolve = move |name: &str| secrets.get(name).cloned();
            return self
                .http
                .request(request.args, &resolve, request.idempotency_key, request.timeout_ms)
                .await;
        }
        if spec.kind == ActionKind::External {
            let (ns, name) = request.action.split_once('.').unwrap_or(("", ""));
            return Err(ActionFailure::new(
                "invalid_request",
                format!("no {} connector is configured", connector_of(ns, name)),
            ));
        }
        let mut next = self.state.clone();
        let (run, step, ws) = (self.run_id.clone(), request.step.to_string(), self.workspace.clone());
        let contact_id = self.contact_id.clone();
        let outcome = self.store.transaction(|tx| {
            if let Some(output) = store::effect(tx, &run, &step)? {
                // Applied before a restart: the same output, no second effect.
                let value =
                    serde_json::from_str(&output).map(|j| Value::from_json(&j)).unwrap_or(Value::Null);
                return Ok(Ok((value, None)));
            }
            match next.perform(request.action, request.args) {
                Ok(output) => {
                    if let Some(id) = &contact_id {
                        let (data, email, phone) = blob_of(&next);
                        store::save_contact(tx, &ws, id, email.as_deref(), phone.as_deref(), &data)?;
                    }
                    store::record_effect(tx, &run, &step, &output.to_json().to_string())?;
                    Ok(Ok((output, Some(next))))
                }
                Err(failure) => Ok(Err(failure)),
            }
        });
        match outcome {
            Ok(Ok((output, Some(state)))) => {
                self.state = state;
                Ok(output)
            }
            Ok(Ok((output, None))) => {
                // Reload what the earlier attempt committed.
                if let Some(id) = &self.contact_id {
                    if let Ok(Some(row)) = self.store.contact(&self.workspace, id) {
                        self.state = blob_state(&row.data);
                    }
                }
                Ok(output)
            }
            Ok(Err(failure)) => Err(failure),
            Err(e) => Err(ActionFailure::new("error", format!("the store failed: {e}"))),
        }
    }
}

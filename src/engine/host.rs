//! The engine's [`Host`]: the engine's clock, randomness, configured secrets, and actions
//! on the store.
//!
//! In: one run's identity and its contact's state (the sandbox's store semantics,
//! persisted per contact as JSON). Out: action results. Internal actions change the
//! run's view of its contact, which the scheduler commits in the same transaction as
//! the run's state (exactly once); `http.request` goes through the HTTP connector (at
//! least once, with an idempotency key), and so do the other external actions, through
//! the project's configured connectors; activation refuses a workflow whose connector
//! is not configured.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::clock::Clock;
use super::error::EngineError;
use super::store::{Store, StoreError};
use crate::catalog::ActionKind;
use crate::connectors::{CallContext, Connectors};
use crate::ir::Workflow;
use crate::runtime::caused::Change;
use crate::runtime::contact::ContactState;
use crate::runtime::host::{ActionFailure, ActionRequest, FailureKind, Host, HostError};
use crate::runtime::value::Value;

/// Why a workflow cannot run in this engine, if it cannot: a step needs a connector
/// that is not configured (or not usable), named with the reason.
pub fn unavailable_connector(wf: &Workflow, connectors: &Connectors) -> Option<String> {
    wf.steps.iter().find_map(|step| {
        if step.action.kind() != ActionKind::External {
            return None;
        }
        let reason = connectors.unavailable(step.action)?;
        Some(format!("step `{}` uses `{}`: {reason}", step.name, step.action))
    })
}

/// A contact's stored state, or why it cannot be read.
pub type ContactLoad = Result<ContactState, ContactUnreadable>;

/// Why a run's contact cannot be read: its steps that need the contact fail with
/// `contact_unreadable` and this message, which names the contact.
#[derive(Clone, Debug, PartialEq)]
pub enum ContactUnreadable {
    /// Its stored state does not decode: the store's [`StoreError::Corrupt`].
    Corrupt(StoreError),
    /// The run names a contact the store does not hold.
    NotStored { id: String },
}

impl fmt::Display for ContactUnreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactUnreadable::Corrupt(e) => e.fmt(f),
            ContactUnreadable::NotStored { id } => write!(f, "contact `{id}` is not in the store"),
        }
    }
}

/// A contact's state from its stored blob. An unreadable blob is an error that names
/// the contact and what is wrong; it never becomes a fresh contact (which a later save
/// would write over the stored one).
pub fn blob_state(id: &str, data: &str) -> ContactLoad {
    decode_blob(id, data).map_err(ContactUnreadable::Corrupt)
}

fn decode_blob(id: &str, data: &str) -> Result<ContactState, StoreError> {
    serde_json::from_str(data).map_err(|e| {
        StoreError::corrupt(
            format!("contact `{id}`"),
            format!("its stored state is not valid ({e}); the stored row is left as it is"),
        )
    })
}

/// The contact record inside a stored blob.
pub fn blob_contact(id: &str, data: &str) -> Result<Value, EngineError> {
    Ok(decode_blob(id, data)?.contact())
}

/// The current contact record of `id`.
pub async fn contact_value(store: &Store, ws: &str, id: &str) -> Result<Value, EngineError> {
    match store.contact(ws, id).await? {
        Some(row) => blob_contact(&row.id, &row.data),
        None => Ok(Value::Null),
    }
}

/// Serialises a contact's state, with the columns the store indexes; a state that
/// cannot be written is an error (nothing is written).
pub fn blob_of(state: &ContactState) -> Result<(String, Option<String>, Option<String>), EngineError> {
    let contact = state.contact();
    let email = contact.field("email").as_str().map(str::to_string);
    let phone = contact.field("phone").as_str().map(str::to_string);
    let id = contact.field("id").as_str().unwrap_or("?").to_string();
    let data = serde_json::to_string(state).map_err(|e| {
        StoreError::unwritable(format!("contact `{id}`"), format!("{e}; the stored row is left as it is"))
    })?;
    Ok((data, email, phone))
}

/// The host of one run.
#[derive(Debug)]
pub struct EngineHost {
    contact_id: Option<String>,
    state: ContactState,
    /// Why the contact's stored state cannot be read: every contact read and action then
    /// fails with it, and the host never hands back a state to save.
    unreadable: Option<ContactUnreadable>,
    secrets: Arc<BTreeMap<String, String>>,
    connectors: Arc<Connectors>,
    /// The engine's clock, which `now()` reads.
    clock: Clock,
    /// `event` as the workflow sees it, for email templates.
    event: Value,
    /// Whether an internal action changed the contact since the host was made.
    dirty: bool,
}

impl EngineHost {
    pub fn new(
        contact_id: Option<String>,
        state: ContactLoad,
        secrets: Arc<BTreeMap<String, String>>,
        connectors: Arc<Connectors>,
        clock: Clock,
    ) -> EngineHost {
        let (mut state, unreadable) = match state {
            Ok(state) => (state, None),
            Err(why) => (ContactState::default(), Some(why)),
        };
        if let Some(id) = &contact_id {
            state.set_code_scope(id);
        }
        EngineHost {
            contact_id,
            state,
            unreadable,
            secrets,
            connectors,
            clock,
            event: Value::Null,
            dirty: false,
        }
    }

    /// The run's `event`, which email templates see.
    pub fn set_event(&mut self, event: Value) {
        self.event = event;
    }

    /// The contact's state as the run sees it now.
    pub fn state(&self) -> &ContactState {
        &self.state
    }

    /// Marks the contact's state as committed: changes are counted afresh from here
    /// (a run that goes on in memory after a commit).
    pub fn committed(&mut self) {
        self.dirty = false;
    }

    /// The contact's new state, to commit with the run, if an action changed it.
    pub fn changed_contact(&self) -> Option<(&str, &ContactState)> {
        match (&self.contact_id, self.dirty, &self.unreadable) {
            (Some(id), true, None) => Some((id.as_str(), &self.state)),
            _ => None,
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
        self.clock.now()
    }

    fn jitter(&mut self) -> f64 {
        random_f64()
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.secrets.get(name).cloned()
    }

    async fn contact(&mut self) -> Result<Value, HostError> {
        match &self.unreadable {
            Some(why) => Err(HostError::fatal(why.to_string())),
            None => Ok(self.state.contact()),
        }
    }

    async fn entry(&mut self) -> Result<Value, HostError> {
        Ok(self.state.entry())
    }

    async fn perform(&mut self, request: ActionRequest<'_>) -> Result<Value, ActionFailure> {
        if let Some(why) = &self.unreadable {
            return Err(ActionFailure::new(FailureKind::ContactUnreadable, why.to_string()));
        }
        if request.action.kind() == ActionKind::External {
            let secrets = Arc::clone(&self.secrets);
            let resolve = move |name: &str| secrets.get(name).cloned();
            let contact = self.state.contact();
            let context = CallContext { contact: &contact, event: &self.event, secret: &resolve };
            return self.connectors.perform(&request, context).await;
        }
        // Internal effects apply to the run's view of its contact; the scheduler commits
        // them with the run's state when the run parks or ends (one transaction), so
        // they happen exactly once: a crash before that commit loses them together with
        // the run's progress, and the resumed run applies them again, once.
        let output = self.state.perform(request.action, request.args)?;
        self.dirty = true;
        Ok(output)
    }

    fn take_changes(&mut self) -> Vec<Change> {
        self.state.take_changes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_contact_says_which_and_why() {
        let corrupt = blob_state("ct_1", "{").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            corrupt.starts_with("contact `ct_1` cannot be read: its stored state is not valid ("),
            "{corrupt}"
        );
        assert!(corrupt.ends_with("); the stored row is left as it is"), "{corrupt}");
        let gone = ContactUnreadable::NotStored { id: "ct_1".into() };
        assert_eq!(gone.to_string(), "contact `ct_1` is not in the store");
    }
}

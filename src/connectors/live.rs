//! The host of `komo run --live-connectors`: the sandbox, except that external actions
//! are sent through the project's real connectors.
//!
//! In: a prepared [`SandboxHost`] (virtual clock, in-memory store, the run's contact),
//! the project's connectors and secrets, the run's event. Out: a [`Host`] whose
//! internal actions act on the in-memory store and whose external actions reach the
//! configured providers (with the same idempotency keys the engine would send). Waits
//! stay virtual; a retry really waits for its delay (at most [`MAX_RETRY_SLEEP`]), so a
//! provider's `Retry-After` is honoured.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::{CallContext, Connectors};
use crate::catalog::ActionKind;
use crate::runtime::host::{ActionFailure, ActionRequest, Host, HostError};
use crate::runtime::sandbox::SandboxHost;
use crate::runtime::value::Value;

/// The longest a live run sleeps before a retry.
pub const MAX_RETRY_SLEEP: Duration = Duration::from_secs(60);

/// The sandbox with real connectors.
#[derive(Debug)]
pub struct LiveHost {
    sandbox: SandboxHost,
    connectors: Arc<Connectors>,
    secrets: Arc<BTreeMap<String, String>>,
    event: Value,
}

impl LiveHost {
    pub fn new(
        sandbox: SandboxHost,
        connectors: Arc<Connectors>,
        secrets: BTreeMap<String, String>,
    ) -> LiveHost {
        LiveHost { sandbox, connectors, secrets: Arc::new(secrets), event: Value::Null }
    }

    /// The run's `event`, which email templates see.
    pub fn set_event(&mut self, event: Value) {
        self.event = event;
    }

    /// Moves the virtual clock to `until`; before a retry, first sleeps as long (capped).
    pub async fn advance_to(&mut self, until: jiff::Timestamp, retry: bool) {
        if retry {
            let ms = until.as_millisecond().saturating_sub(self.sandbox.now().as_millisecond());
            let delay = Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(MAX_RETRY_SLEEP);
            tokio::time::sleep(delay).await;
        }
        self.sandbox.advance_to(until);
    }
}

impl Host for LiveHost {
    fn now(&self) -> jiff::Timestamp {
        self.sandbox.now()
    }

    fn jitter(&mut self) -> f64 {
        self.sandbox.jitter()
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.secrets.get(name).cloned()
    }

    async fn contact(&mut self) -> Result<Value, HostError> {
        self.sandbox.contact().await
    }

    async fn entry(&mut self) -> Result<Value, HostError> {
        self.sandbox.entry().await
    }

    async fn perform(&mut self, request: ActionRequest<'_>) -> Result<Value, ActionFailure> {
        if request.action.kind() == ActionKind::External {
            let secrets = Arc::clone(&self.secrets);
            let resolve = move |name: &str| secrets.get(name).cloned();
            let contact = self.sandbox.contact_state().contact();
            let context = CallContext { contact: &contact, event: &self.event, secret: &resolve };
            return self.connectors.perform(&request, context).await;
        }
        self.sandbox.perform_now(&request)
    }
}

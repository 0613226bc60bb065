//! The `braze.track_user` connector: Braze's `POST /users/track`.
//!
//! In: the call's `attributes` (a record) and `external_id`, the step's timeout. Out:
//! `{}`. The request is `POST <base_url>/users/track` with
//! `Authorization: Bearer <key>` and `{ "attributes": [{ "external_id": …, … }] }`.
//! Setting attributes is idempotent, and Braze takes no idempotency key. A 2xx answer
//! whose `errors` say nothing was processed is an `invalid_request` (Braze answers 201
//! with per-object errors); other failures as [`super::rest::status_failure`] says,
//! quoting Braze's `message`.

use std::collections::BTreeMap;

use reqwest::{Method, Url};

use super::config::{BrazeConfig, ConnectorConfigError, Env, SecretValue, secret};
use super::rest::{self, Call, RestClient, status_failure, text_field};
use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::Value;

const PROVIDER: &str = "Braze";

/// Calls `braze.track_user`.
#[derive(Debug)]
pub struct BrazeConnector {
    base_url: Url,
    api_key: SecretValue,
    timeout_ms: Option<u64>,
}

fn invalid(message: impl Into<String>) -> ActionFailure {
    ActionFailure::new(FailureKind::InvalidRequest, message)
}

impl BrazeConnector {
    pub fn new(config: &BrazeConfig, env: Env<'_>) -> Result<BrazeConnector, ConnectorConfigError> {
        Ok(BrazeConnector {
            base_url: rest::base_url("base_url", &config.base_url)?,
            api_key: secret(env, "api_key_env", &config.api_key_env)?,
            timeout_ms: config.timeout_ms,
        })
    }

    pub fn secrets(&self) -> Vec<&str> {
        vec![self.api_key.expose()]
    }

    /// One attempt of `braze.track_user`.
    pub(super) async fn track_user(
        &self,
        client: &RestClient,
        args: &BTreeMap<String, Value>,
        timeout_ms: Option<u64>,
    ) -> Result<Value, ActionFailure> {
        let external_id = match args.get("external_id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => return Err(invalid("`external_id` is missing")),
        };
        let mut object = match args.get("attributes").map(Value::to_json) {
            Some(serde_json::Value::Object(fields)) => fields,
            _ => return Err(invalid("`attributes` is missing")),
        };
        object.insert("external_id".to_string(), serde_json::Value::String(external_id));
        let body = serde_json::json!({ "attributes": [serde_json::Value::Object(object)] });
        let call = Call::new(Method::POST, rest::join(&self.base_url, &["users", "track"]))
            .authorization(&format!("Bearer {}", self.api_key.expose()))?
            .json(body);
        let answer = client.send(PROVIDER, call, rest::timeout(self.timeout_ms, timeout_ms)).await?;
        let json = answer.json();
        if !answer.status.is_success() {
            return Err(status_failure(PROVIDER, &answer, text_field(&json, "message")));
        }
        let processed = json.get("attributes_processed").and_then(|v| v.as_u64());
        if let (Some(errors), Some(0) | None) = (json.get("errors").and_then(|e| e.as_array()), processed) {
            if let Some(first) = errors.first() {
                let detail = text_field(first, "type").unwrap_or_else(|| first.to_string());
                return Err(invalid(format!("Braze processed nothing: {detail}")));
            }
        }
        Ok(Value::Record(BTreeMap::new()))
    }
}

//! The `contact.send_sms` connector: a Twilio-compatible Messages API.
//!
//! In: the call's `message` and `to`, the step's idempotency key and timeout. Out:
//! `{ message_id }`, the provider's message `sid`. The request is
//! `POST <base_url>/2010-04-01/Accounts/<AccountSid>/Messages.json`, form-encoded `To`,
//! `From`, `Body`, with HTTP basic auth (account SID, auth token) and the idempotency
//! key in `I-Twilio-Idempotency-Token`. Failures as [`super::rest::status_failure`]
//! says, with the provider's `message` (and `code`) quoted.

use std::collections::BTreeMap;

use reqwest::{Method, Url};

use super::config::{ConnectorConfigError, Env, SecretValue, SmsConfig, secret};
use super::rest::{self, Call, RestClient, status_failure, text_field};
use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::Value;

const PROVIDER: &str = "the SMS provider";

/// Sends `contact.send_sms`.
#[derive(Debug)]
pub struct SmsConnector {
    base_url: Url,
    account_sid: SecretValue,
    auth_token: SecretValue,
    from: String,
    timeout_ms: Option<u64>,
}

fn invalid(message: impl Into<String>) -> ActionFailure {
    ActionFailure::new(FailureKind::InvalidRequest, message)
}

impl SmsConnector {
    pub fn new(config: &SmsConfig, env: Env<'_>) -> Result<SmsConnector, ConnectorConfigError> {
        Ok(SmsConnector {
            base_url: rest::base_url("base_url", &config.base_url)?,
            account_sid: secret(env, "account_sid_env", &config.account_sid_env)?,
            auth_token: secret(env, "auth_token_env", &config.auth_token_env)?,
            from: config.from.clone(),
            timeout_ms: config.timeout_ms,
        })
    }

    pub fn secrets(&self) -> Vec<&str> {
        vec![self.account_sid.expose(), self.auth_token.expose()]
    }

    pub(super) async fn send(
        &self,
        client: &RestClient,
        args: &BTreeMap<String, Value>,
        idempotency_key: &str,
        timeout_ms: Option<u64>,
    ) -> Result<Value, ActionFailure> {
        let body = match args.get("message") {
            Some(Value::String(text)) if !text.is_empty() => text.clone(),
            Some(Value::String(_)) => return Err(invalid("`message` is empty")),
            _ => return Err(invalid("`message` is missing")),
        };
        let to = match args.get("to") {
            Some(Value::String(to)) => to.clone(),
            _ => return Err(invalid("`to` is missing: the contact has no phone number")),
        };
        let sid = self.account_sid.expose();
        let url = rest::join(&self.base_url, &["2010-04-01", "Accounts", sid, "Messages.json"]);
        let call = Call::new(Method::POST, url)
            .basic_auth(sid, self.auth_token.expose())?
            .header("i-twilio-idempotency-token", idempotency_key)
            .form(vec![("To", to), ("From", self.from.clone()), ("Body", body)]);
        let answer = client.send(PROVIDER, call, rest::timeout(self.timeout_ms, timeout_ms)).await?;
        let json = answer.json();
        if !answer.status.is_success() {
            let detail = match (text_field(&json, "message"), json.get("code").and_then(|c| c.as_i64())) {
                (Some(message), Some(code)) => Some(format!("{message} (code {code})")),
                (message, _) => message,
            };
            return Err(status_failure(PROVIDER, &answer, detail));
        }
        let sid = text_field(&json, "sid").ok_or_else(|| {
            ActionFailure::new(FailureKind::Error, "the SMS provider's answer has no `sid`")
        })?;
        Ok(Value::record([("message_id".to_string(), Value::String(sid))]))
    }
}

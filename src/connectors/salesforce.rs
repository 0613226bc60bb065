//! The `salesforce.*` connector: the REST API's `sobjects` resource, authorised by the
//! OAuth 2.0 client-credentials flow.
//!
//! In: the call (`object`, `id`, `fields`), the step's timeout. Out: `get_object` →
//! `{ record }` (the object's JSON), `create_object` → `{ id }`, `update_object` →
//! `{}`. Requests: `GET|PATCH <instance>/services/data/<version>/sobjects/<object>/<id>`,
//! `POST <instance>/services/data/<version>/sobjects/<object>/`, with
//! `Authorization: Bearer <token>`. The token comes from
//! `POST <token_url>` (`grant_type=client_credentials`, `client_id`, `client_secret`,
//! form-encoded), is kept until it expires (`expires_in`, or `token_ttl_secs`) and is
//! fetched again at once when the API answers 401. Failures: a refused token request is
//! `auth`; `REQUEST_LIMIT_EXCEEDED` is `rate_limited`; other statuses as
//! [`super::rest::status_failure`] says, quoting Salesforce's `errorCode: message`.
//! Salesforce's REST API takes no idempotency key: `update_object` and `get_object`
//! are idempotent, a retried `create_object` may create twice.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, Url};
use tokio::sync::Mutex;

use super::config::{ConnectorConfigError, Env, SalesforceConfig, SecretValue, secret};
use super::rest::{self, Answer, Call, RestClient, status_failure, text_field};
use crate::catalog::ActionId;
use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::{REDACTED, Value};

const PROVIDER: &str = "Salesforce";

/// How long a token lives when neither the answer nor the table says.
const DEFAULT_TOKEN_TTL_SECS: u64 = 900;

/// Calls `salesforce.*`.
#[derive(Debug)]
pub struct SalesforceConnector {
    instance_url: Url,
    token_url: Url,
    api_version: String,
    client_id: SecretValue,
    client_secret: SecretValue,
    token_ttl: Duration,
    timeout_ms: Option<u64>,
    token: Mutex<Option<Token>>,
}

#[derive(Clone, Debug)]
struct Token {
    value: SecretValue,
    expires: Instant,
}

fn invalid(message: impl Into<String>) -> ActionFailure {
    ActionFailure::new(FailureKind::InvalidRequest, message)
}

/// An object's API name (`Lead`, `Custom_Object__c`).
fn object_name(args: &BTreeMap<String, Value>) -> Result<&str, ActionFailure> {
    match args.get("object") {
        Some(Value::String(name))
            if name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok(name)
        }
        Some(Value::String(name)) => Err(invalid(format!("`{name}` is not a Salesforce object name"))),
        _ => Err(invalid("`object` is missing")),
    }
}

/// A record id (15 or 18 characters, letters and digits).
fn record_id(args: &BTreeMap<String, Value>) -> Result<&str, ActionFailure> {
    match args.get("id") {
        Some(Value::String(id)) if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()) => Ok(id),
        Some(Value::String(id)) => Err(invalid(format!("`{id}` is not a Salesforce record id"))),
        _ => Err(invalid("`id` is missing")),
    }
}

fn fields(args: &BTreeMap<String, Value>) -> Result<serde_json::Value, ActionFailure> {
    match args.get("fields") {
        Some(value @ Value::Record(_)) => Ok(value.to_json()),
        _ => Err(invalid("`fields` is missing")),
    }
}

impl SalesforceConnector {
    pub fn new(config: &SalesforceConfig, env: Env<'_>) -> Result<SalesforceConnector, ConnectorConfigError> {
        let instance_url = rest::base_url("instance_url", &config.instance_url)?;
        let token_url = match &config.token_url {
            Some(url) => rest::base_url("token_url", url)?,
            None => rest::join(&instance_url, &["services", "oauth2", "token"]),
        };
        let version = config.api_version.trim();
        let number = version.strip_prefix('v').unwrap_or_default();
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(ConnectorConfigError::ApiVersion { value: version.to_string() });
        }
        Ok(SalesforceConnector {
            instance_url,
            token_url,
            api_version: version.to_string(),
            client_id: secret(env, "client_id_env", &config.client_id_env)?,
            client_secret: secret(env, "client_secret_env", &config.client_secret_env)?,
            token_ttl: Duration::from_secs(config.token_ttl_secs.unwrap_or(DEFAULT_TOKEN_TTL_SECS)),
            timeout_ms: config.timeout_ms,
            token: Mutex::new(None),
        })
    }

    pub fn secrets(&self) -> Vec<&str> {
        vec![self.client_id.expose(), self.client_secret.expose()]
    }

    /// One attempt of `salesforce.<action>`.
    pub(super) async fn perform(
        &self,
        client: &RestClient,
        action: ActionId,
        args: &BTreeMap<String, Value>,
        timeout_ms: Option<u64>,
    ) -> Result<Value, ActionFailure> {
        let object = object_name(args)?;
        let sobjects = ["services", "data", self.api_version.as_str(), "sobjects", object];
        let (method, url, body) = match action {
            ActionId::SalesforceGetObject => (Method::GET, self.url(&sobjects, Some(record_id(args)?)), None),
            ActionId::SalesforceCreateObject => {
                (Method::POST, self.url(&sobjects, Some("")), Some(fields(args)?))
            }
            ActionId::SalesforceUpdateObject => {
                (Method::PATCH, self.url(&sobjects, Some(record_id(args)?)), Some(fields(args)?))
            }
            other => return Err(invalid(format!("`{other}` is not a Salesforce action"))),
        };
        let timeout = rest::timeout(self.timeout_ms, timeout_ms);
        let mut token = self.token(client, timeout, false).await?;
        let mut answer = self.call(client, &method, &url, body.as_ref(), &token, timeout).await;
        if answer.as_ref().is_ok_and(|a| a.status == StatusCode::UNAUTHORIZED) {
            tracing::debug!("salesforce: the token was refused; fetching a new one");
            token = self.token(client, timeout, true).await?;
            answer = self.call(client, &method, &url, body.as_ref(), &token, timeout).await;
        }
        let answer = answer.map_err(|f| scrub_token(f, &token))?;
        let json = answer.json();
        if !answer.status.is_success() {
            return Err(scrub_token(api_failure(&answer, &json), &token));
        }
        Ok(match action {
            ActionId::SalesforceGetObject => Value::record([("record".to_string(), Value::from_json(&json))]),
            ActionId::SalesforceCreateObject => {
                let id = text_field(&json, "id").ok_or_else(|| {
                    ActionFailure::new(FailureKind::Error, "Salesforce's answer has no `id`")
                })?;
                Value::record([("id".to_string(), Value::String(id))])
            }
            _ => Value::Record(BTreeMap::new()),
        })
    }

    fn url(&self, path: &[&str], last: Option<&str>) -> Url {
        let mut segments = path.to_vec();
        segments.extend(last);
        rest::join(&self.instance_url, &segments)
    }

    async fn call(
        &self,
        client: &RestClient,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        token: &SecretValue,
        timeout: Duration,
    ) -> Result<Answer, ActionFailure> {
        let mut call =
            Call::new(method.clone(), url.clone()).authorization(&format!("Bearer {}", token.expose()))?;
        if let Some(body) = body {
            call = call.json(body.clone());
        }
        client.send(PROVIDER, call, timeout).await
    }

    /// The cached token, or a new one when there is none, it expired, or `renew`.
    async fn token(
        &self,
        client: &RestClient,
        timeout: Duration,
        renew: bool,
    ) -> Result<SecretValue, ActionFailure> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| !renew && t.expires > Instant::now()) {
            return Ok(token.value.clone());
        }
        *cached = None;
        let call = Call::new(Method::POST, self.token_url.clone()).form(vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", self.client_id.expose().to_string()),
            ("client_secret", self.client_secret.expose().to_string()),
        ]);
        let answer = client.send(PROVIDER, call, timeout).await?;
        let json = answer.json();
        if !answer.status.is_success() {
            let detail = text_field(&json, "error_description").or_else(|| text_field(&json, "error"));
            let mut failure = status_failure("Salesforce's token endpoint", &answer, detail);
            // A refused grant (`invalid_client`, `invalid_grant`) fails the same way again.
            if matches!(answer.status.as_u16(), 400 | 401 | 403) {
                failure.kind = FailureKind::Auth;
            }
            return Err(failure);
        }
        let value = text_field(&json, "access_token").filter(|t| !t.is_empty()).ok_or_else(|| {
            ActionFailure::new(FailureKind::Auth, "Salesforce's token answer has no `access_token`")
        })?;
        let ttl = json.get("expires_in").and_then(|v| v.as_u64()).map_or(self.token_ttl, Duration::from_secs);
        let token = Token { value: SecretValue::new(value), expires: Instant::now() + ttl };
        *cached = Some(token.clone());
        Ok(token.value)
    }
}

/// Salesforce's errors: `[{ "errorCode": "…", "message": "…" }]`.
fn api_failure(answer: &Answer, json: &serde_json::Value) -> ActionFailure {
    let first = json.as_array().and_then(|a| a.first()).unwrap_or(json);
    let code = text_field(first, "errorCode");
    let detail = match (&code, text_field(first, "message")) {
        (Some(code), Some(message)) => Some(format!("{code}: {message}")),
        (code, message) => message.or_else(|| code.clone()),
    };
    let mut failure = status_failure(PROVIDER, answer, detail);
    if code.as_deref() == Some("REQUEST_LIMIT_EXCEEDED") {
        failure.kind = FailureKind::RateLimited;
    }
    failure
}

fn scrub_token(mut failure: ActionFailure, token: &SecretValue) -> ActionFailure {
    if !token.expose().is_empty() && failure.message.contains(token.expose()) {
        failure.message = failure.message.replace(token.expose(), REDACTED);
    }
    failure
}

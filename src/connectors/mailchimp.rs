//! The `mailchimp.*` connector: the Marketing API 3.0.
//!
//! In: the call (`list_id`, `email`, `merge_fields`, `status`, `tags`), the step's
//! timeout. Out: `upsert_subscriber` → `{ id }` (the member's id, the MD5 of the
//! lower-cased address), `tag_subscriber` → `{}`. Requests, with HTTP basic auth
//! (`anystring`, the API key):
//! `PUT <base>/3.0/lists/<list_id>/members/<md5(lower(email))>` with
//! `{ email_address, status_if_new, merge_fields }` (an existing member keeps its
//! status: an unsubscribed contact is never resubscribed), and
//! `POST <base>/3.0/lists/<list_id>/members/<hash>/tags` with
//! `{ tags: [{ name, status: "active" }] }`. Both are idempotent, so the API's lack of
//! an idempotency key costs nothing. The base URL is `https://<dc>.api.mailchimp.com`,
//! `<dc>` from the key's `-us21`-style suffix, unless `base_url` is set. Failures quote
//! Mailchimp's `title: detail`.

use std::collections::BTreeMap;

use md5::Digest as _;
use reqwest::{Method, Url};

use super::config::{ConnectorConfigError, Env, MailchimpConfig, SecretValue, secret};
use super::rest::{self, Call, RestClient, status_failure, text_field};
use crate::catalog::ActionId;
use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::Value;

const PROVIDER: &str = "Mailchimp";

/// Calls `mailchimp.*`.
#[derive(Debug)]
pub struct MailchimpConnector {
    base_url: Url,
    api_key: SecretValue,
    timeout_ms: Option<u64>,
}

fn invalid(message: impl Into<String>) -> ActionFailure {
    ActionFailure::new(FailureKind::InvalidRequest, message)
}

/// The member id Mailchimp uses for an address: the MD5 of its lower-case form, in hex.
pub fn subscriber_hash(email: &str) -> String {
    hex::encode(md5::Md5::digest(email.trim().to_lowercase().as_bytes()))
}

fn string_arg<'a>(args: &'a BTreeMap<String, Value>, name: &str) -> Result<&'a str, ActionFailure> {
    match args.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        _ => Err(invalid(format!("`{name}` is missing"))),
    }
}

impl MailchimpConnector {
    pub fn new(config: &MailchimpConfig, env: Env<'_>) -> Result<MailchimpConnector, ConnectorConfigError> {
        let api_key = secret(env, "api_key_env", &config.api_key_env)?;
        let base_url = match &config.base_url {
            Some(url) => rest::base_url("base_url", url)?,
            None => {
                let dc = api_key
                    .expose()
                    .rsplit_once('-')
                    .map(|(_, dc)| dc)
                    .filter(|dc| !dc.is_empty() && dc.chars().all(|c| c.is_ascii_alphanumeric()))
                    .ok_or_else(|| ConnectorConfigError::NoDataCentre { var: config.api_key_env.clone() })?;
                rest::base_url("base_url", &format!("https://{dc}.api.mailchimp.com"))?
            }
        };
        Ok(MailchimpConnector { base_url, api_key, timeout_ms: config.timeout_ms })
    }

    pub fn secrets(&self) -> Vec<&str> {
        vec![self.api_key.expose()]
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// One attempt of `mailchimp.<action>`.
    pub(super) async fn perform(
        &self,
        client: &RestClient,
        action: ActionId,
        args: &BTreeMap<String, Value>,
        timeout_ms: Option<u64>,
    ) -> Result<Value, ActionFailure> {
        let list = string_arg(args, "list_id")?;
        let email = string_arg(args, "email")
            .map_err(|_| invalid("`email` is missing: the contact has no email address"))?;
        let hash = subscriber_hash(email);
        let member = ["3.0", "lists", list, "members", hash.as_str()];
        let call = match action {
            ActionId::MailchimpUpsertSubscriber => {
                let status = string_arg(args, "status").unwrap_or("subscribed");
                let merge_fields = match args.get("merge_fields") {
                    Some(fields @ Value::Record(_)) => fields.to_json(),
                    _ => serde_json::json!({}),
                };
                let body = serde_json::json!({
                    "email_address": email,
                    "status_if_new": status,
                    "merge_fields": merge_fields,
                });
                Call::new(Method::PUT, rest::join(&self.base_url, &member)).json(body)
            }
            ActionId::MailchimpTagSubscriber => {
                let tags: Vec<serde_json::Value> = match args.get("tags") {
                    Some(Value::List(tags)) => tags
                        .iter()
                        .map(|t| serde_json::json!({ "name": t.to_text(), "status": "active" }))
                        .collect(),
                    _ => return Err(invalid("`tags` is missing")),
                };
                let mut path = member.to_vec();
                path.push("tags");
                Call::new(Method::POST, rest::join(&self.base_url, &path))
                    .json(serde_json::json!({ "tags": tags }))
            }
            other => return Err(invalid(format!("`{other}` is not a Mailchimp action"))),
        };
        let call = call.basic_auth("komo", self.api_key.expose())?;
        let answer = client.send(PROVIDER, call, rest::timeout(self.timeout_ms, timeout_ms)).await?;
        let json = answer.json();
        if !answer.status.is_success() {
            let detail = match (text_field(&json, "title"), text_field(&json, "detail")) {
                (Some(title), Some(detail)) => Some(format!("{title}: {detail}")),
                (title, detail) => title.or(detail),
            };
            return Err(status_failure(PROVIDER, &answer, detail));
        }
        Ok(match action {
            ActionId::MailchimpUpsertSubscriber => {
                let id = text_field(&json, "id").unwrap_or(hash);
                Value::record([("id".to_string(), Value::String(id))])
            }
            _ => Value::Record(BTreeMap::new()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_member_id_is_the_md5_of_the_lower_cased_address() {
        // Mailchimp's documented example.
        assert_eq!(subscriber_hash("Urist.McVankab@freddiesjokes.com"), "62eeb292278cc15f5817cb78f7790b08");
    }

    #[test]
    fn the_base_url_comes_from_the_key_or_the_table() {
        let env = |name: &str| match name {
            "KEY" => Some("0123456789abcdef-us21".to_string()),
            "BARE" => Some("0123456789abcdef".to_string()),
            _ => None,
        };
        let config = |var: &str, base: Option<&str>| MailchimpConfig {
            api_key_env: var.into(),
            base_url: base.map(str::to_string),
            timeout_ms: None,
        };
        let c = MailchimpConnector::new(&config("KEY", None), &env).unwrap();
        assert_eq!(c.base_url().as_str(), "https://us21.api.mailchimp.com/");
        let c = MailchimpConnector::new(&config("BARE", Some("http://127.0.0.1:9/")), &env).unwrap();
        assert_eq!(c.base_url().as_str(), "http://127.0.0.1:9/");
        let e = MailchimpConnector::new(&config("BARE", None), &env).unwrap_err().to_string();
        assert!(e.contains("no data-centre suffix"), "{e}");
        assert!(!e.contains("0123456789abcdef"), "never the key: {e}");
    }
}

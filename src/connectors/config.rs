//! The `[connectors.*]` tables of `komo.toml`.
//!
//! In: the TOML tables (deserialised with the rest of the project file), then a way to
//! read environment variables. Out: each connector's settings with its secrets
//! resolved ([`SecretValue`], which never prints), or why the connector cannot be used
//! ([`ConnectorConfigError`]: an environment variable it names is not set, a URL or an
//! address that is not one). The file names secrets by their environment variable only:
//! no value is ever written in it.

use std::fmt;

use serde::Deserialize;

/// Every connector's table; an absent table is a connector that is not configured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorsConfig {
    pub email: Option<EmailConfig>,
    pub sms: Option<SmsConfig>,
    pub salesforce: Option<SalesforceConfig>,
    pub mailchimp: Option<MailchimpConfig>,
    pub braze: Option<BrazeConfig>,
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with `STARTTLS`, which the server must offer (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption at all (port 25; local relays and tests).
    None,
}

impl TlsMode {
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        }
    }
}

/// `[connectors.email]`: `contact.send_email` over SMTP.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub smtp_host: String,
    /// 587, 465 or 25 by `tls` when absent.
    pub smtp_port: Option<u16>,
    #[serde(default)]
    pub tls: TlsMode,
    /// `Acme <noreply@acme.example>`.
    pub from: String,
    pub username_env: Option<String>,
    pub password_env: Option<String>,
    /// A PEM file (relative to the project) of root certificates to trust for the
    /// server besides the public ones: a relay with a private CA.
    pub ca_file: Option<String>,
    pub timeout_ms: Option<u64>,
}

/// `[connectors.sms]`: `contact.send_sms` through a Twilio-compatible API.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    #[serde(default = "twilio_base_url")]
    pub base_url: String,
    pub account_sid_env: String,
    pub auth_token_env: String,
    /// The sender number (`+15550100`).
    pub from: String,
    pub timeout_ms: Option<u64>,
}

fn twilio_base_url() -> String {
    "https://api.twilio.com".to_string()
}

/// `[connectors.salesforce]`: `salesforce.*` with the OAuth 2.0 client-credentials flow.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesforceConfig {
    /// `https://acme.my.salesforce.com`.
    pub instance_url: String,
    pub client_id_env: String,
    pub client_secret_env: String,
    #[serde(default = "salesforce_api_version")]
    pub api_version: String,
    /// `<instance_url>/services/oauth2/token` when absent.
    pub token_url: Option<String>,
    /// How long a token is used when the token answer gives no `expires_in` (the
    /// org's session timeout; 15 minutes by default). A 401 refreshes it earlier.
    pub token_ttl_secs: Option<u64>,
    pub timeout_ms: Option<u64>,
}

fn salesforce_api_version() -> String {
    "v60.0".to_string()
}

/// `[connectors.mailchimp]`: `mailchimp.*` through the Marketing API 3.0.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailchimpConfig {
    pub api_key_env: String,
    /// `https://<dc>.api.mailchimp.com` from the key's `-<dc>` suffix when absent.
    pub base_url: Option<String>,
    pub timeout_ms: Option<u64>,
}

/// `[connectors.braze]`: `braze.track_user` through the REST API.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrazeConfig {
    /// The workspace's REST endpoint, `https://rest.iad-01.braze.com`.
    pub base_url: String,
    pub api_key_env: String,
    pub timeout_ms: Option<u64>,
}

/// A secret's value, read from the environment. It never prints: `Debug` and
/// `Display` show `[redacted]`; [`SecretValue::expose`] is for the wire only.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(value: impl Into<String>) -> SecretValue {
        SecretValue(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::runtime::value::REDACTED)
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::runtime::value::REDACTED)
    }
}

/// Reads environment variables by name (`std::env::var` in the binary, a map in tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Why a URL does not parse (`url::ParseError`, which `reqwest` does not re-export).
pub type UrlParseError = <reqwest::Url as std::str::FromStr>::Err;

/// Why a connector's table cannot be used. It names fields, variables and files, never
/// a secret's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectorConfigError {
    /// The environment variable `field` names is not set (or is empty).
    SecretNotSet { field: &'static str, var: String },
    /// `field` does not parse as a URL.
    NotAUrl { field: &'static str, cause: UrlParseError },
    /// `field` is a URL, but not an `http` or `https` one with a host.
    NotHttpUrl { field: &'static str },
    /// `field` (the sender) is not an email address.
    NotAnAddress { field: &'static str, value: String, cause: lettre::address::AddressError },
    /// Only one of `username_env` and `password_env` is set.
    HalfCredentials,
    /// `field` is empty or blank.
    Empty { field: &'static str },
    /// `ca_file` could not be read.
    CaFileUnreadable { file: String },
    /// `ca_file` holds no PEM certificate.
    CaFileNotPem { file: String },
    /// No `base_url`, and the Mailchimp key in `var` has no `-<dc>` suffix to derive one.
    NoDataCentre { var: String },
    /// `api_version` is not `v` and a version number.
    ApiVersion { value: String },
}

impl fmt::Display for ConnectorConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectorConfigError::SecretNotSet { field, var } => {
                write!(f, "the environment variable `{var}` (`{field}`) is not set")
            }
            ConnectorConfigError::NotAUrl { field, cause } => write!(f, "`{field}` is not a URL: {cause}"),
            ConnectorConfigError::NotHttpUrl { field } => {
                write!(f, "`{field}` must be an http or https URL with a host")
            }
            ConnectorConfigError::NotAnAddress { field, value, cause } => {
                write!(f, "`{field}` (`{value}`) is not an email address: {cause}")
            }
            ConnectorConfigError::HalfCredentials => {
                f.write_str("`username_env` and `password_env` go together")
            }
            ConnectorConfigError::Empty { field } => write!(f, "`{field}` is empty"),
            ConnectorConfigError::CaFileUnreadable { file } => {
                write!(f, "`ca_file` (`{file}`) could not be read")
            }
            ConnectorConfigError::CaFileNotPem { file } => {
                write!(f, "`ca_file` (`{file}`) holds no PEM certificate")
            }
            ConnectorConfigError::NoDataCentre { var } => {
                write!(f, "the key in `{var}` has no data-centre suffix (`…-us21`); set `base_url`")
            }
            ConnectorConfigError::ApiVersion { value } => {
                write!(f, "`api_version` must look like `v60.0`, not `{value}`")
            }
        }
    }
}

impl std::error::Error for ConnectorConfigError {}

/// The value of the variable `field` names, or why there is none.
pub(super) fn secret(
    env: Env<'_>,
    field: &'static str,
    var: &str,
) -> Result<SecretValue, ConnectorConfigError> {
    match env(var) {
        Some(value) if !value.is_empty() => Ok(SecretValue(value)),
        _ => Err(ConnectorConfigError::SecretNotSet { field, var: var.to_string() }),
    }
}

/// Like [`secret`] for an optional field.
pub(super) fn optional_secret(
    env: Env<'_>,
    field: &'static str,
    var: Option<&str>,
) -> Result<Option<SecretValue>, ConnectorConfigError> {
    var.map(|var| secret(env, field, var)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_parse_with_defaults_and_refuse_unknown_keys() {
        let config: ConnectorsConfig = toml::from_str(
            r#"
            [email]
            smtp_host = "smtp.acme.example"
            from = "Acme <noreply@acme.example>"

            [sms]
            account_sid_env = "SID"
            auth_token_env = "TOKEN"
            from = "+15550100"
            "#,
        )
        .unwrap();
        let email = config.email.unwrap();
        assert_eq!((email.tls, email.tls.default_port()), (TlsMode::Starttls, 587));
        assert_eq!(config.sms.unwrap().base_url, "https://api.twilio.com");
        assert!(config.salesforce.is_none());
        let typo = toml::from_str::<ConnectorsConfig>("[emial]\nsmtp_host = \"x\"\n").unwrap_err();
        assert!(typo.to_string().contains("unknown field `emial`"), "{typo}");
    }

    #[test]
    fn secrets_never_print() {
        let env = |name: &str| (name == "SET").then(|| "hunter2".to_string());
        let value = secret(&env, "password_env", "SET").unwrap();
        assert_eq!(format!("{value} {value:?}"), "[redacted] [redacted]");
        assert_eq!(value.expose(), "hunter2");
        let missing = secret(&env, "password_env", "UNSET").unwrap_err().to_string();
        assert_eq!(missing, "the environment variable `UNSET` (`password_env`) is not set");
    }
}

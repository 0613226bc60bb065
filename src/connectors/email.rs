//! The `contact.send_email` connector: SMTP (STARTTLS, implicit TLS or plain) with
//! lettre, bodies from the project's templates.
//!
//! In: the call's arguments (`template`, `to`, `subject`, `data`), the run's contact and
//! event, the step's idempotency key and timeout. Out: `{ message_id }`, the
//! `Message-ID` the message was sent with: `<hex(sha256(key))[..32]@<from's domain>>`,
//! the same for every attempt of the same (run, step), so a receiving system can drop a
//! duplicate. Failures: `invalid_request` (no such template, a variable the template
//! uses is not defined, no subject, a bad address, a permanent SMTP rejection, a host
//! the guard refuses), `auth` (the server refused the credentials), `timeout`, `error`
//! (could not connect, a transient SMTP error: retried).
//!
//! The SMTP host is checked like `http.request`'s hosts: when it resolves to a
//! loopback, private or other inner address it must be listed in `[http] allow_hosts`.

use std::collections::BTreeMap;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use reqwest::Url;

use super::ProjectFiles;
use super::config::{ConnectorConfigError, EmailConfig, Env, SecretValue, TlsMode, optional_secret};
use super::http::guard::{self, AllowList, Refused};
use super::http::refused;
use super::rest;
use super::template::{Templates, valid_name};
use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::{Value, format_duration};

/// Sends `contact.send_email`.
#[derive(Debug)]
pub struct EmailConnector {
    host: String,
    port: u16,
    tls: TlsMode,
    from: Mailbox,
    credentials: Option<(SecretValue, SecretValue)>,
    timeout_ms: Option<u64>,
    templates: Templates,
    /// Extra root certificates (PEM), checked when the connector was made.
    ca_pem: Option<Vec<u8>>,
    allow: AllowList,
}

fn invalid(message: impl Into<String>) -> ActionFailure {
    ActionFailure::new(FailureKind::InvalidRequest, message)
}

impl EmailConnector {
    /// The connector of `[connectors.email]`, or why it cannot be used.
    pub fn new(
        config: &EmailConfig,
        files: ProjectFiles,
        allow_hosts: &[String],
        env: Env<'_>,
    ) -> Result<EmailConnector, ConnectorConfigError> {
        let from: Mailbox = config.from.parse().map_err(|cause| ConnectorConfigError::NotAnAddress {
            field: "from",
            value: config.from.clone(),
            cause,
        })?;
        let username = optional_secret(env, "username_env", config.username_env.as_deref())?;
        let password = optional_secret(env, "password_env", config.password_env.as_deref())?;
        let credentials = match (username, password) {
            (Some(user), Some(password)) => Some((user, password)),
            (None, None) => None,
            _ => return Err(ConnectorConfigError::HalfCredentials),
        };
        if config.smtp_host.trim().is_empty() {
            return Err(ConnectorConfigError::Empty { field: "smtp_host" });
        }
        let ca_pem = match (&config.ca_file, files.smtp_ca_pem) {
            (Some(file), Some(pem)) => {
                let holds_one = pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----");
                if !holds_one || Certificate::from_pem(&pem).is_err() {
                    return Err(ConnectorConfigError::CaFileNotPem { file: file.clone() });
                }
                Some(pem)
            }
            (Some(file), None) => return Err(ConnectorConfigError::CaFileUnreadable { file: file.clone() }),
            (None, _) => None,
        };
        Ok(EmailConnector {
            host: config.smtp_host.trim().to_string(),
            port: config.smtp_port.unwrap_or(config.tls.default_port()),
            tls: config.tls,
            from,
            credentials,
            timeout_ms: config.timeout_ms,
            templates: files.templates,
            ca_pem,
            allow: AllowList::new(allow_hosts).0,
        })
    }

    /// The secret values, to scrub from failures.
    pub fn secrets(&self) -> Vec<&str> {
        self.credentials.iter().flat_map(|(u, p)| [u.expose(), p.expose()]).collect()
    }

    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// One attempt of `contact.send_email`.
    pub async fn send(
        &self,
        args: &BTreeMap<String, Value>,
        contact: &Value,
        event: &Value,
        idempotency_key: &str,
        timeout_ms: Option<u64>,
    ) -> Result<Value, ActionFailure> {
        let message_id = message_id(idempotency_key, self.from.email.domain());
        let message = self.message(args, contact, event, &message_id)?;
        let timeout = rest::timeout(self.timeout_ms, timeout_ms);
        let sending = async {
            self.check_host().await?;
            let transport = self.transport(timeout)?;
            transport.send(message).await.map_err(|e| self.smtp_failure(&e))
        };
        match tokio::time::timeout(timeout, sending).await {
            Ok(Ok(_response)) => Ok(Value::record([("message_id".to_string(), Value::String(message_id))])),
            Ok(Err(failure)) => Err(failure),
            Err(_) => Err(ActionFailure::new(
                FailureKind::Timeout,
                format!(
                    "the SMTP server did not accept the message within {}",
                    format_duration(i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX))
                ),
            )),
        }
    }

    /// The message: rendered template, subject, addresses and `Message-ID`.
    fn message(
        &self,
        args: &BTreeMap<String, Value>,
        contact: &Value,
        event: &Value,
        message_id: &str,
    ) -> Result<Message, ActionFailure> {
        let template = match args.get("template") {
            Some(Value::String(name)) if valid_name(name) => name,
            Some(Value::String(name)) => return Err(invalid(format!("`{name}` is not a template name"))),
            _ => return Err(invalid("`template` is missing")),
        };
        let to: Mailbox = match args.get("to") {
            Some(Value::String(to)) => {
                to.parse().map_err(|_| invalid(format!("`to` (`{to}`) is not an email address")))?
            }
            _ => return Err(invalid("`to` is missing: the contact has no email address")),
        };
        let data = args.get("data").cloned().unwrap_or(Value::Null);
        let rendered = self.templates.render(template, contact, event, &data)?;
        let subject = match args.get("subject") {
            Some(Value::String(subject)) => subject.clone(),
            _ => rendered.subject.clone().ok_or_else(|| {
                invalid(format!(
                    "no subject: pass `subject:` or set one in the template (`{{% set subject = \"…\" %}}` in templates/{template}.html)"
                ))
            })?,
        };
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.to_string()));
        let built = match rendered.text {
            Some(text) => builder.multipart(MultiPart::alternative_plain_html(text, rendered.html)),
            None => builder.header(ContentType::TEXT_HTML).body(rendered.html),
        };
        built.map_err(|e| invalid(format!("the message could not be built: {e}")))
    }

    /// Refuses a host that resolves to an inner address, unless allowed by name.
    async fn check_host(&self) -> Result<(), ActionFailure> {
        let canonical = Url::parse(&format!("http://{}/", self.host))
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .ok_or_else(|| invalid(format!("`{}` is not a host name", self.host)))?;
        if self.allow.allows(&canonical, self.port) {
            return Ok(());
        }
        let bare = canonical.trim_start_matches('[').trim_end_matches(']').to_string();
        let addrs: Vec<std::net::SocketAddr> = match guard::ip_literal(&canonical) {
            Some(ip) => vec![std::net::SocketAddr::new(ip, self.port)],
            None => tokio::net::lookup_host((bare.as_str(), self.port))
                .await
                .map_err(|e| {
                    ActionFailure::new(FailureKind::Error, format!("could not resolve `{}`: {e}", self.host))
                })?
                .collect(),
        };
        for addr in addrs {
            if let Some(class) = guard::classify(addr.ip()) {
                let refusal = Refused { host: canonical.clone(), ip: addr.ip(), class };
                return Err(refused(&canonical, self.port, &refusal));
            }
        }
        Ok(())
    }

    fn transport(
        &self,
        timeout: std::time::Duration,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, ActionFailure> {
        let tls = |host: &str| {
            let mut parameters = TlsParameters::builder(host.to_string());
            if let Some(pem) = &self.ca_pem {
                if let Ok(certificate) = Certificate::from_pem(pem) {
                    parameters = parameters.add_root_certificate(certificate);
                }
            }
            parameters
                .build_rustls()
                .map_err(|e| ActionFailure::new(FailureKind::Error, format!("TLS could not be set up: {e}")))
        };
        let mode = match self.tls {
            TlsMode::None => Tls::None,
            TlsMode::Starttls => Tls::Required(tls(&self.host)?),
            TlsMode::Tls => Tls::Wrapper(tls(&self.host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.as_str())
            .port(self.port)
            .tls(mode)
            .hello_name(ClientId::Domain(self.from.email.domain().to_string()))
            .timeout(Some(timeout));
        if let Some((user, password)) = &self.credentials {
            builder = builder
                .credentials(Credentials::new(user.expose().to_string(), password.expose().to_string()));
        }
        Ok(builder.build())
    }

    /// What an SMTP error means for a retry.
    fn smtp_failure(&self, error: &lettre::transport::smtp::Error) -> ActionFailure {
        let target = format!("{}:{}", self.host, self.port);
        let code = error.status().map(|c| c.to_string());
        if error.is_timeout() {
            return ActionFailure::new(FailureKind::Timeout, format!("the SMTP server `{target}` timed out"));
        }
        if error.is_permanent() {
            let auth = matches!(code.as_deref(), Some("530" | "534" | "535" | "538"));
            let kind = if auth { FailureKind::Auth } else { FailureKind::InvalidRequest };
            return ActionFailure::new(kind, format!("the SMTP server `{target}` refused: {error}"));
        }
        if error.is_transient() {
            return ActionFailure::new(
                FailureKind::Error,
                format!("the SMTP server `{target}` deferred: {error}"),
            );
        }
        if error.is_tls() {
            return ActionFailure::new(
                FailureKind::Error,
                format!("TLS with the SMTP server `{target}` failed: {error}"),
            );
        }
        ActionFailure::new(
            FailureKind::Error,
            format!("sending through the SMTP server `{target}` failed: {error}"),
        )
    }
}

/// The `Message-ID` of one (run, step): the same for each of its attempts.
pub fn message_id(idempotency_key: &str, domain: &str) -> String {
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(idempotency_key.as_bytes()));
    format!("<{}@{domain}>", digest.get(..32).unwrap_or(&digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_per_key() {
        let a = message_id("run_1:welcome", "acme.example");
        assert_eq!(a, message_id("run_1:welcome", "acme.example"));
        assert_ne!(a, message_id("run_1:reminder", "acme.example"));
        assert!(a.starts_with('<') && a.ends_with("@acme.example>") && a.len() == 1 + 32 + 14, "{a}");
    }

    #[test]
    fn configuration_problems_name_the_field() {
        let config = |from: &str, user: Option<&str>| EmailConfig {
            smtp_host: "smtp.acme.example".into(),
            smtp_port: None,
            tls: TlsMode::Starttls,
            from: from.into(),
            username_env: user.map(str::to_string),
            password_env: Some("PASS".into()),
            ca_file: None,
            timeout_ms: None,
        };
        let env = |name: &str| (name == "PASS" || name == "USER").then(|| "x".to_string());
        let bad = EmailConnector::new(&config("nobody", Some("USER")), ProjectFiles::default(), &[], &env);
        assert!(bad.unwrap_err().to_string().starts_with("`from` (`nobody`) is not an email address"));
        let half = EmailConnector::new(&config("a@acme.example", None), ProjectFiles::default(), &[], &env);
        assert_eq!(half.unwrap_err().to_string(), "`username_env` and `password_env` go together");
        let ok = EmailConnector::new(
            &config("Acme <a@acme.example>", Some("USER")),
            ProjectFiles::default(),
            &[],
            &env,
        );
        assert_eq!(ok.unwrap().port, 587);
    }
}

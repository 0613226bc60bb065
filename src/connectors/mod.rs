//! Real connectors: the clients that external actions reach the outside world through.
//!
//! In: an action's evaluated arguments, the idempotency key of its step and a way to
//! resolve secrets by name. Out: the action's output value, or an
//! [`ActionFailure`](crate::runtime::host::ActionFailure) whose kind the engine's retry
//! policy reads (`auth`, `invalid_request` and 4xx `http_status` stop; `timeout`,
//! `rate_limited` with its `Retry-After`, 5xx `http_status` and `error` are retried).
//! [`Connectors`] holds one connector of each kind, built from `komo.toml`
//! (`[connectors.*]`, secrets by environment-variable name, `[http] allow_hosts`) and
//! the project's `templates/`; the engine's host and `komo run --live-connectors` call
//! it once per attempt; the sandbox never does. No secret value reaches a failure's
//! message: each connector's secrets are scrubbed from every failure it returns.

pub mod braze;
pub mod config;
pub mod email;
pub mod http;
pub mod live;
pub mod mailchimp;
mod rest;

/// The time an attempt of a connector may take when neither the step nor the
/// connector's configuration says (the static bounds count it too).
pub use rest::DEFAULT_TIMEOUT_MS;
pub mod salesforce;
pub mod sms;
pub mod template;

use crate::catalog::ActionId;
use crate::runtime::host::{ActionFailure, ActionRequest, FailureKind};
use crate::runtime::value::{REDACTED, Value};

use braze::BrazeConnector;
use config::{ConnectorConfigError, ConnectorsConfig, Env, SecretValue};
use email::EmailConnector;
use http::{HttpConfig, HttpConnector};
use mailchimp::MailchimpConnector;
use rest::RestClient;
use salesforce::SalesforceConnector;
use sms::SmsConnector;
use template::Templates;

/// Secret values shorter than this are not scrubbed from messages.
const MIN_SCRUBBED_CHARS: usize = 4;

/// What connectors read from the project's directory.
#[derive(Debug, Default)]
pub struct ProjectFiles {
    /// `templates/*.html` and `*.txt`.
    pub templates: Templates,
    /// The contents of `[connectors.email] ca_file`, if set.
    pub smtp_ca_pem: Option<Vec<u8>>,
}

/// A connector of the project: absent (no table), unusable (with the reason), or ready.
type Slot<T> = Option<Result<T, ConnectorConfigError>>;

/// Every connector of one project.
#[derive(Debug)]
pub struct Connectors {
    http: HttpConnector,
    rest: RestClient,
    email: Slot<EmailConnector>,
    sms: Slot<SmsConnector>,
    salesforce: Slot<SalesforceConnector>,
    mailchimp: Slot<MailchimpConnector>,
    braze: Slot<BrazeConnector>,
    /// Every connector's secret values: scrubbed from every failure, whichever
    /// connector returned it.
    secrets: Vec<SecretValue>,
}

/// Why an external action cannot be sent through this project's connectors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectorUnavailable {
    /// The action is not one a connector sends.
    NoConnector { action: ActionId },
    /// The connector's table (`[connectors.<table>]`) is absent.
    NotConfigured { name: &'static str, table: &'static str },
    /// The connector's table is there but cannot be used.
    NotUsable { name: &'static str, table: &'static str, reason: ConnectorConfigError },
}

impl std::fmt::Display for ConnectorUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectorUnavailable::NoConnector { action } => write!(f, "`{action}` has no connector"),
            ConnectorUnavailable::NotConfigured { name, table } => {
                write!(f, "no {name} connector is configured (add [connectors.{table}] to komo.toml)")
            }
            ConnectorUnavailable::NotUsable { name, table, reason } => {
                write!(f, "the {name} connector ([connectors.{table}]) is not usable: {reason}")
            }
        }
    }
}

impl std::error::Error for ConnectorUnavailable {}

/// What a call sees besides its arguments.
#[derive(Clone, Copy)]
pub struct CallContext<'a> {
    /// The run's contact as it is now.
    pub contact: &'a Value,
    /// `event` as the workflow sees it.
    pub event: &'a Value,
    /// A configured secret's value by name (for `http.request`'s `Secret` headers).
    pub secret: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

impl std::fmt::Debug for CallContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext").finish_non_exhaustive()
    }
}

/// `(table in komo.toml, name in messages)` of the connector an external action uses;
/// `None` for an internal action.
pub fn connector_of(action: ActionId) -> Option<(&'static str, &'static str)> {
    use ActionId::*;
    Some(match action {
        ContactSendEmail => ("email", "email"),
        ContactSendSms => ("sms", "SMS"),
        SalesforceGetObject | SalesforceCreateObject | SalesforceUpdateObject => ("salesforce", "Salesforce"),
        MailchimpUpsertSubscriber | MailchimpTagSubscriber => ("mailchimp", "Mailchimp"),
        BrazeTrackUser => ("braze", "Braze"),
        HttpRequest => ("http", "HTTP"),
        ContactUpdate
        | ContactAddToList
        | ContactRemoveFromList
        | ContactIssueCoupon
        | ContactAssignAchievement
        | LoyaltyAwardPoints
        | LoyaltyAddToTier
        | EntryAddTags
        | GiftcardSendFromTemplate
        | GiftcardGenerateCampaignGift => return None,
    })
}

impl Connectors {
    /// The connectors `config` configures, reading secrets through `env`; `files` are
    /// the project's email templates and SMTP certificates. A connector whose table is
    /// wrong or whose secret is not set is kept with the reason, which activation
    /// reports.
    pub fn new(
        config: &ConnectorsConfig,
        allow_hosts: &[String],
        files: ProjectFiles,
        env: Env<'_>,
    ) -> Connectors {
        let mut connectors = Connectors {
            http: HttpConnector::new(HttpConfig { allow_hosts: allow_hosts.to_vec() }),
            rest: RestClient::new(allow_hosts),
            email: config.email.as_ref().map(|c| EmailConnector::new(c, files, allow_hosts, env)),
            sms: config.sms.as_ref().map(|c| SmsConnector::new(c, env)),
            salesforce: config.salesforce.as_ref().map(|c| SalesforceConnector::new(c, env)),
            mailchimp: config.mailchimp.as_ref().map(|c| MailchimpConnector::new(c, env)),
            braze: config.braze.as_ref().map(|c| BrazeConnector::new(c, env)),
            secrets: Vec::new(),
        };
        connectors.secrets = connectors.collect_secrets();
        for table in ["email", "sms", "salesforce", "mailchimp", "braze"] {
            match connectors.state(table) {
                Some(Err(reason)) => tracing::warn!(connector = table, %reason, "connector not usable"),
                Some(Ok(())) => tracing::info!(connector = table, "connector configured"),
                None => {}
            }
        }
        connectors
    }

    /// The connectors with `http.request`'s `[http] stand_ins`.
    pub fn with_http_stand_ins(mut self, stand_ins: http::StandIns) -> Connectors {
        self.http = self.http.with_stand_ins(stand_ins);
        self
    }

    fn collect_secrets(&self) -> Vec<SecretValue> {
        fn of<'a, T>(slot: &'a Slot<T>, secrets: impl Fn(&'a T) -> Vec<&'a str>) -> Vec<&'a str> {
            match slot {
                Some(Ok(connector)) => secrets(connector),
                _ => Vec::new(),
            }
        }
        let mut all = of(&self.email, EmailConnector::secrets);
        all.extend(of(&self.sms, SmsConnector::secrets));
        all.extend(of(&self.salesforce, SalesforceConnector::secrets));
        all.extend(of(&self.mailchimp, MailchimpConnector::secrets));
        all.extend(of(&self.braze, BrazeConnector::secrets));
        // Values this short would garble every message and protect nothing.
        let mut all: Vec<String> =
            all.into_iter().filter(|s| s.chars().count() >= MIN_SCRUBBED_CHARS).map(str::to_string).collect();
        // Longest first, so that a secret inside another is not half-replaced.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all.dedup();
        all.into_iter().map(SecretValue::new).collect()
    }

    pub fn http(&self) -> &HttpConnector {
        &self.http
    }

    /// The email connector's templates, when it is configured.
    pub fn templates(&self) -> Option<&Templates> {
        match &self.email {
            Some(Ok(email)) => Some(email.templates()),
            _ => None,
        }
    }

    /// `None`: no table; `Some(Err(reason))`: configured but unusable.
    fn state(&self, table: &str) -> Option<Result<(), &ConnectorConfigError>> {
        fn of<T>(slot: &Slot<T>) -> Option<Result<(), &ConnectorConfigError>> {
            slot.as_ref().map(|s| s.as_ref().map(|_| ()))
        }
        match table {
            "email" => of(&self.email),
            "sms" => of(&self.sms),
            "salesforce" => of(&self.salesforce),
            "mailchimp" => of(&self.mailchimp),
            "braze" => of(&self.braze),
            "http" => Some(Ok(())),
            _ => None,
        }
    }

    /// Why `action` (an external action) cannot be sent here, or `None` if it can.
    pub fn unavailability(&self, action: ActionId) -> Option<ConnectorUnavailable> {
        let Some((table, name)) = connector_of(action) else {
            return Some(ConnectorUnavailable::NoConnector { action });
        };
        match self.state(table) {
            Some(Ok(())) => None,
            Some(Err(reason)) => {
                Some(ConnectorUnavailable::NotUsable { name, table, reason: reason.clone() })
            }
            None => Some(ConnectorUnavailable::NotConfigured { name, table }),
        }
    }

    /// [`Connectors::unavailability`] in words.
    pub fn unavailable(&self, action: ActionId) -> Option<String> {
        self.unavailability(action).map(|reason| reason.to_string())
    }

    /// One attempt of an external action.
    pub async fn perform(
        &self,
        request: &ActionRequest<'_>,
        context: CallContext<'_>,
    ) -> Result<Value, ActionFailure> {
        if let Some(reason) = self.unavailability(request.action) {
            return Err(ActionFailure::new(FailureKind::InvalidRequest, reason.to_string()));
        }
        let (args, key, timeout) = (request.args, request.idempotency_key, request.timeout_ms);
        tracing::debug!(
            run = request.run_id,
            step = request.step,
            action = %request.action,
            attempt = request.attempt,
            "connector call"
        );
        use ActionId::*;
        let action = request.action;
        let result = match (action, &self.email, &self.sms, &self.salesforce, &self.mailchimp, &self.braze) {
            (HttpRequest, ..) => self.http.request(args, context.secret, key, timeout).await,
            (ContactSendEmail, Some(Ok(email)), ..) => {
                email.send(args, context.contact, context.event, key, timeout).await
            }
            (ContactSendSms, _, Some(Ok(sms)), ..) => sms.send(&self.rest, args, key, timeout).await,
            (
                SalesforceGetObject | SalesforceCreateObject | SalesforceUpdateObject,
                _,
                _,
                Some(Ok(sf)),
                ..,
            ) => sf.perform(&self.rest, action, args, timeout).await,
            (MailchimpUpsertSubscriber | MailchimpTagSubscriber, _, _, _, Some(Ok(mc)), _) => {
                mc.perform(&self.rest, action, args, timeout).await
            }
            (BrazeTrackUser, .., Some(Ok(braze))) => braze.track_user(&self.rest, args, timeout).await,
            _ => {
                let reason = ConnectorUnavailable::NoConnector { action };
                Err(ActionFailure::new(FailureKind::InvalidRequest, reason.to_string()))
            }
        };
        result.map_err(|mut failure| {
            for secret in &self.secrets {
                if failure.message.contains(secret.expose()) {
                    failure.message = failure.message.replace(secret.expose(), REDACTED);
                }
            }
            failure
        })
    }
}

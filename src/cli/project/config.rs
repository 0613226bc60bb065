//! The schema of `komo.toml`, every table of it, in one place.
//!
//! In: the text of `komo.toml`. Out: a [`ProjectConfig`], or serde's reason (with the
//! line) why the text does not fit. Unknown top-level tables are ignored; the tables the
//! engine alone needs (`[workspace]`, `[secrets]`, `[webhooks]`, `[http]`,
//! `[connectors.*]`, `[limits]`) are read here too, so every command agrees on what the
//! file says. Secrets are named by their environment variable only: no value is ever
//! written in the file.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::check::bounds::BoundLimits;
use crate::check::project_catalog::CatalogConfig;
use crate::connectors::config::ConnectorsConfig;

/// `komo.toml`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProjectConfig {
    /// `[workspace]`: the engine needs it; `komo check` does not.
    pub workspace: Option<WorkspaceConfig>,
    /// `[catalog]`: the names the project declares (or the file that holds them).
    pub catalog: Option<CatalogConfig>,
    /// `[secrets]`: secret name → the environment variable holding its value.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretRef>,
    /// `[webhooks]`: the signing secret of `POST /v1/hooks/{workflow}`.
    pub webhooks: Option<WebhooksConfig>,
    /// `[http]`: what `http.request` may reach.
    pub http: Option<HttpConfig>,
    /// `[connectors.*]`.
    #[serde(default)]
    pub connectors: ConnectorsConfig,
    /// `[limits]`: the engine reads `max_chain_depth`.
    pub limits: Option<LimitsConfig>,
}

/// `[workspace]`.
#[derive(Clone, Debug, Deserialize)]
pub struct WorkspaceConfig {
    /// The engine's workspace id: every stored workflow, run and key belongs to it.
    pub id: String,
}

/// A secret, by the environment variable that holds it.
#[derive(Clone, Debug, Deserialize)]
pub struct SecretRef {
    pub env: String,
}

/// `[webhooks]`.
#[derive(Clone, Debug, Deserialize)]
pub struct WebhooksConfig {
    pub secret: SecretRef,
}

/// `[http]`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct HttpConfig {
    /// Private or loopback hosts `http.request` may reach.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// Origin → the local stand-in its requests go to.
    #[serde(default)]
    pub stand_ins: BTreeMap<String, String>,
}

/// `[limits]`: the engine reads `max_chain_depth`; the checker holds each workflow's
/// bounds against the others (K0702).
#[derive(Clone, Debug, Deserialize)]
pub struct LimitsConfig {
    pub max_chain_depth: Option<u32>,
    /// A duration (`"7d"`, `"1h30m"`, `"PT2H"`), in milliseconds.
    #[serde(default, deserialize_with = "duration_ms")]
    pub max_run_duration: Option<u64>,
    pub max_emails_per_run: Option<u64>,
    pub max_sms_per_run: Option<u64>,
    pub max_points_per_run: Option<u64>,
}

impl LimitsConfig {
    /// The limits the checker holds the bounds against.
    pub fn bound_limits(&self) -> BoundLimits {
        BoundLimits {
            max_run_duration_ms: self.max_run_duration,
            max_emails_per_run: self.max_emails_per_run,
            max_sms_per_run: self.max_sms_per_run,
            max_points_per_run: self.max_points_per_run,
        }
    }
}

fn duration_ms<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let text = String::deserialize(deserializer)?;
    let ms = crate::runtime::event::parse_duration(&text).map_err(serde::de::Error::custom)?;
    u64::try_from(ms).map(Some).map_err(|_| serde::de::Error::custom("a limit cannot be negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_optional_but_a_wrong_one_is_refused() {
        let empty: ProjectConfig = toml::from_str("").unwrap();
        assert!(empty.workspace.is_none() && empty.catalog.is_none() && empty.secrets.is_empty());
        let full: ProjectConfig = toml::from_str(
            "[workspace]\nid = \"acme\"\n[secrets]\nTOKEN = { env = \"ACME_TOKEN\" }\n\
             [webhooks]\nsecret = { env = \"HOOKS\" }\n[http]\nallow_hosts = [\"127.0.0.1\"]\n\
             [limits]\nmax_chain_depth = 3\n[catalog]\nlists = [\"VIP\"]\n[elsewhere]\nx = 1\n",
        )
        .unwrap();
        assert_eq!(full.workspace.map(|w| w.id).as_deref(), Some("acme"));
        assert_eq!(full.secrets.get("TOKEN").map(|s| s.env.as_str()), Some("ACME_TOKEN"));
        assert_eq!(full.limits.and_then(|l| l.max_chain_depth), Some(3));
        let limits: ProjectConfig = toml::from_str(
            "[limits]\nmax_run_duration = \"1d12h\"\nmax_emails_per_run = 3\nmax_points_per_run = 500\n",
        )
        .unwrap();
        let limits = limits.limits.unwrap().bound_limits();
        assert_eq!(limits.max_run_duration_ms, Some(129_600_000));
        assert_eq!((limits.max_emails_per_run, limits.max_sms_per_run), (Some(3), None));
        let wrong = toml::from_str::<ProjectConfig>("[limits]\nmax_run_duration = \"7 days\"\n").unwrap_err();
        assert!(wrong.to_string().contains("a duration is written like"), "{wrong}");
        let typo = toml::from_str::<ProjectConfig>("[connectors.emial]\nsmtp_host = \"x\"\n").unwrap_err();
        assert!(typo.to_string().contains("unknown field `emial`"), "{typo}");
    }
}

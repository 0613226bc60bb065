//! Stand-ins: `[http] stand_ins`, origins whose `http.request`s go to a local server.
//!
//! In: the table (`"https://ops.example.com" = "http://127.0.0.1:8788"`: an origin, then
//! a base URL) and each request's URL. Out: for a URL on a configured origin (same
//! scheme, host and port), the URL on the stand-in (the base's path, then the request's
//! path and query) and the original authority for the `Host` header. Matching is by
//! origin, never by text prefix: `https://ops.example.com.evil.example` is not
//! `https://ops.example.com`. The stand-in's host is named by the operator in
//! `komo.toml`, so the SSRF guard lets it through like an `allow_hosts` entry.

use std::collections::BTreeMap;
use std::fmt;

use reqwest::Url;

use crate::connectors::config::UrlParseError;

/// The parsed `[http] stand_ins` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StandIns {
    entries: Vec<StandIn>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct StandIn {
    scheme: String,
    /// As [`Url::host_str`] gives it.
    host: String,
    port: u16,
    /// The stand-in's base URL, its path without a trailing `/`.
    base: Url,
}

/// Where a request goes instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::connectors) struct Redirected {
    pub url: Url,
    /// The original URL's authority (`ops.example.com`, or `host:port` for a port that
    /// is not the scheme's), for the `Host` header.
    pub authority: String,
    /// The configured origin, for the log line.
    pub origin: String,
}

impl StandIns {
    /// The table, or the first entry that is wrong and why.
    pub fn parse(table: &BTreeMap<String, String>) -> Result<StandIns, StandInError> {
        let mut entries = Vec::new();
        for (origin, target) in table {
            let parsed = parse_origin(origin)
                .map_err(|problem| StandInError::Origin { origin: origin.clone(), problem })?;
            let base = parse_base(target).map_err(|problem| StandInError::Target {
                origin: origin.clone(),
                target: target.clone(),
                problem,
            })?;
            entries.push(StandIn { base, ..parsed });
        }
        Ok(StandIns { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The stand-ins' `host:port`s, for the allow list.
    pub(in crate::connectors) fn targets(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|e| Some(format!("{}:{}", e.base.host_str()?, e.base.port_or_known_default()?)))
            .collect()
    }

    /// Where `url` goes, when its origin has a stand-in.
    pub(in crate::connectors) fn redirect(&self, url: &Url) -> Option<Redirected> {
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        let entry =
            self.entries.iter().find(|e| e.scheme == url.scheme() && e.host == host && e.port == port)?;
        let mut target = entry.base.clone();
        target.set_path(&format!("{}{}", entry.base.path().trim_end_matches('/'), url.path()));
        target.set_query(url.query());
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let origin = format!("{}://{authority}", url.scheme());
        Some(Redirected { url: target, authority, origin })
    }
}

/// A wrong entry of `[http] stand_ins`: which one, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StandInError {
    /// The key (the origin whose requests are redirected) is wrong.
    Origin { origin: String, problem: StandInUrlProblem },
    /// The value (the stand-in's base URL) is wrong.
    Target { origin: String, target: String, problem: StandInUrlProblem },
}

/// What is wrong with an origin or a stand-in's base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StandInUrlProblem {
    NotAUrl(UrlParseError),
    NotHttp,
    /// An origin with a path, query, fragment or credentials.
    NotAnOrigin,
    /// A base URL with a query, fragment or credentials.
    NotABase,
    NoHost,
    NoPort,
}

impl fmt::Display for StandInError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StandInError::Origin { origin, problem } => write!(f, "stand-in origin `{origin}`: {problem}"),
            StandInError::Target { origin, target, problem } => {
                write!(f, "stand-in for `{origin}` (`{target}`): {problem}")
            }
        }
    }
}

impl fmt::Display for StandInUrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StandInUrlProblem::NotAUrl(cause) => write!(f, "not a URL ({cause})"),
            StandInUrlProblem::NotHttp => f.write_str("must start with `http://` or `https://`"),
            StandInUrlProblem::NotAnOrigin => {
                f.write_str("must be an origin alone (scheme, host and port, no path)")
            }
            StandInUrlProblem::NotABase => {
                f.write_str("must be a base URL (no query, fragment or credentials)")
            }
            StandInUrlProblem::NoHost => f.write_str("has no host"),
            StandInUrlProblem::NoPort => f.write_str("has no port"),
        }
    }
}

impl std::error::Error for StandInError {}

fn parse_origin(text: &str) -> Result<StandIn, StandInUrlProblem> {
    let url = Url::parse(text).map_err(StandInUrlProblem::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(StandInUrlProblem::NotHttp);
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(StandInUrlProblem::NotAnOrigin);
    }
    let host = url.host_str().ok_or(StandInUrlProblem::NoHost)?.to_string();
    let port = url.port_or_known_default().ok_or(StandInUrlProblem::NoPort)?;
    Ok(StandIn { scheme: url.scheme().to_string(), host, port, base: url })
}

fn parse_base(text: &str) -> Result<Url, StandInUrlProblem> {
    let mut url = Url::parse(text).map_err(StandInUrlProblem::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(StandInUrlProblem::NotHttp);
    }
    if url.host_str().is_none() {
        return Err(StandInUrlProblem::NoHost);
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(StandInUrlProblem::NotABase);
    }
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stand_ins(pairs: &[(&str, &str)]) -> Result<StandIns, StandInError> {
        StandIns::parse(&pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())
    }

    fn redirect(s: &StandIns, url: &str) -> Option<(String, String)> {
        s.redirect(&Url::parse(url).unwrap()).map(|r| (r.url.to_string(), r.authority))
    }

    #[test]
    fn a_url_on_the_origin_keeps_its_path_and_query() {
        let s = stand_ins(&[("https://ops.example.com", "http://127.0.0.1:8788")]).unwrap();
        assert_eq!(
            redirect(&s, "https://ops.example.com/alerts?a=1&b=x%20y"),
            Some(("http://127.0.0.1:8788/alerts?a=1&b=x%20y".into(), "ops.example.com".into()))
        );
        assert_eq!(
            redirect(&s, "https://OPS.example.com:443/"),
            Some(("http://127.0.0.1:8788/".into(), "ops.example.com".into()))
        );
        assert_eq!(s.targets(), vec!["127.0.0.1:8788".to_string()]);
    }

    #[test]
    fn matching_is_by_origin_not_by_text() {
        let s = stand_ins(&[("https://ops.example.com", "http://127.0.0.1:8788")]).unwrap();
        assert_eq!(redirect(&s, "https://ops.example.com.evil.example/alerts"), None);
        assert_eq!(redirect(&s, "http://ops.example.com/alerts"), None, "another scheme");
        assert_eq!(redirect(&s, "https://ops.example.com:8443/alerts"), None, "another port");
        assert_eq!(redirect(&s, "https://api.example.com/alerts"), None);
    }

    #[test]
    fn a_base_path_is_a_prefix_and_a_port_stays_in_the_authority() {
        let s = stand_ins(&[("http://api.example.com:8080/", "http://[::1]:9000/api/")]).unwrap();
        assert_eq!(
            redirect(&s, "http://api.example.com:8080/winners?x=1"),
            Some(("http://[::1]:9000/api/winners?x=1".into(), "api.example.com:8080".into()))
        );
        assert_eq!(s.targets(), vec!["[::1]:9000".to_string()]);
    }

    #[test]
    fn wrong_entries_are_refused_with_the_reason() {
        let err =
            stand_ins(&[("https://ops.example.com/alerts", "http://127.0.0.1:1")]).unwrap_err().to_string();
        assert!(err.contains("origin alone"), "{err}");
        let err = stand_ins(&[("ops.example.com", "http://127.0.0.1:1")]).unwrap_err().to_string();
        assert!(err.contains("not a URL"), "{err}");
        let err = stand_ins(&[("https://ops.example.com", "ftp://127.0.0.1")]).unwrap_err().to_string();
        assert!(err.contains("http://"), "{err}");
        let err = stand_ins(&[("https://ops.example.com", "http://127.0.0.1:1/?q")]).unwrap_err().to_string();
        assert!(err.contains("base URL"), "{err}");
        assert!(stand_ins(&[]).unwrap().is_empty());
    }
}

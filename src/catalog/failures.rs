//! Why an action's attempt failed, as a kind: [`FailureKind`].
//!
//! In: a connector's, a host's or a test mock's verdict. Out: the kind the retry policy
//! reads ([`ActionFailure::retryable`](crate::runtime::host::ActionFailure::retryable)),
//! and the name run records, `error.kind` and logs show (`"http_status"`): in JSON (run
//! records, run state, the IR of a test's mock) a kind is that name, as it always was.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kind of an [`ActionFailure`](crate::runtime::host::ActionFailure).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// Anything else that went wrong (the connection dropped, the answer was not
    /// understood): retried.
    Error,
    /// No answer in time: retried.
    Timeout,
    /// The provider answered with a status outside 200–299 (the status is beside it):
    /// retried for 5xx, 408, 409, 425 and 429, not for other 4xx.
    HttpStatus,
    /// The provider refused the credentials: not retried.
    Auth,
    /// The provider asked to slow down (perhaps with `Retry-After`): retried.
    RateLimited,
    /// The request cannot succeed as it is (a missing connector, a bad argument the
    /// provider or the store refuses): not retried.
    InvalidRequest,
    /// An argument did not evaluate or convert: not retried.
    InvalidValue,
    /// The engine cannot read the contact's stored state: not retried.
    ContactUnreadable,
    /// A kind that a test's mock names and that is none of the above
    /// (`mock http.request -> fail "boom" kind "network"`): free text, retried.
    Other(String),
}

impl FailureKind {
    /// The kinds komo itself gives, each with its name.
    const NAMED: [(FailureKind, &'static str); 8] = [
        (FailureKind::Error, "error"),
        (FailureKind::Timeout, "timeout"),
        (FailureKind::HttpStatus, "http_status"),
        (FailureKind::Auth, "auth"),
        (FailureKind::RateLimited, "rate_limited"),
        (FailureKind::InvalidRequest, "invalid_request"),
        (FailureKind::InvalidValue, "invalid_value"),
        (FailureKind::ContactUnreadable, "contact_unreadable"),
    ];

    /// Its name (`http_status`).
    pub fn as_str(&self) -> &str {
        match self {
            FailureKind::Error => "error",
            FailureKind::Timeout => "timeout",
            FailureKind::HttpStatus => "http_status",
            FailureKind::Auth => "auth",
            FailureKind::RateLimited => "rate_limited",
            FailureKind::InvalidRequest => "invalid_request",
            FailureKind::InvalidValue => "invalid_value",
            FailureKind::ContactUnreadable => "contact_unreadable",
            FailureKind::Other(name) => name,
        }
    }

    /// The kind named `name`: one of komo's, or else [`FailureKind::Other`].
    pub fn from_name(name: &str) -> FailureKind {
        FailureKind::NAMED
            .into_iter()
            .find_map(|(kind, known)| (known == name).then_some(kind))
            .unwrap_or_else(|| FailureKind::Other(name.to_string()))
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Never fails: a name that is not one of komo's kinds is [`FailureKind::Other`].
impl FromStr for FailureKind {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> Result<FailureKind, Self::Err> {
        Ok(FailureKind::from_name(name))
    }
}

impl Serialize for FailureKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FailureKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FailureKind, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(FailureKind::from_name(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_their_names_in_json() {
        for (kind, name) in FailureKind::NAMED {
            assert_eq!(kind.as_str(), name);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<FailureKind>(&json).unwrap(), kind);
            assert_eq!(name.parse::<FailureKind>(), Ok(kind));
        }
    }

    #[test]
    fn a_mocked_kind_of_its_own_is_kept_as_written() {
        let network = FailureKind::from_name("network");
        assert_eq!(network, FailureKind::Other("network".into()));
        assert_eq!(serde_json::to_string(&network).unwrap(), r#""network""#);
        assert_eq!(serde_json::from_str::<FailureKind>(r#""network""#).unwrap(), network);
        assert_eq!(format!("[{network:<8}]"), "[network ]");
    }
}

//! Signing in and out, the session cookie, and the checks every action passes.
//!
//! In: the `komo_session` cookie; posted forms. Out: [`SignedIn`] (the session's
//! workspace and CSRF token) for the page handlers, or a redirect to `/login`.
//!
//! - `POST /login` with a workspace API key (`key`) creates a server-side session (see
//!   `engine::sessions`) and sets `komo_session=<random id>; HttpOnly; SameSite=Lax;
//!   Path=/` (and `Secure` when the request came over HTTPS through a proxy that says
//!   so with `X-Forwarded-Proto`).
//! - Every `POST` but `/login` must carry the session's CSRF token in the `csrf` field
//!   (compared in constant time); and no `POST`, `/login` included, is taken from a
//!   page of another origin (`Origin` or `Sec-Fetch-Site`). Refusals are 403.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::view::{self, LoginPage};
use super::{call, form};
use crate::engine::Engine;
use crate::engine::sessions::Session;

/// The session cookie's name.
pub const COOKIE: &str = "komo_session";

/// How long a session lasts after signing in.
pub const LIFETIME_MS: i64 = 12 * 3600 * 1000;

/// A request with a live session.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub id: String,
    pub session: Session,
    /// The node that serves the page (several may share a store).
    pub node: String,
}

impl SignedIn {
    pub fn workspace(&self) -> String {
        self.session.workspace.clone()
    }

    pub fn chrome(&self, nav: &'static str) -> view::Chrome {
        view::Chrome {
            workspace: self.session.workspace.clone(),
            csrf: self.session.csrf.clone(),
            nav,
            node: self.node.clone(),
        }
    }

    /// A form posted to an action: its fields, or the refusal (403) of one sent from
    /// another origin or without this session's CSRF token.
    pub fn accept_form(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, Box<Response>> {
        if !same_origin(headers) {
            return Err(Box::new(cross_origin()));
        }
        let pairs = form::parse(body);
        match self.csrf_refusal(&pairs) {
            Some(refused) => Err(Box::new(refused)),
            None => Ok(pairs),
        }
    }

    /// The refusal (403) of a form whose `csrf` field is not this session's token.
    fn csrf_refusal(&self, pairs: &[(String, String)]) -> Option<Response> {
        let sent = form::value(pairs, "csrf").unwrap_or_default();
        if constant_time_eq(sent.as_bytes(), self.session.csrf.as_bytes()) {
            None
        } else {
            Some(view::error(
                Some(self.chrome("")),
                StatusCode::FORBIDDEN,
                "this form has expired or did not come from this dashboard (CSRF token mismatch); reload the page and try again",
            ))
        }
    }
}

impl FromRequestParts<Arc<Engine>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, engine: &Arc<Engine>) -> Result<SignedIn, Response> {
        let back = if parts.method == axum::http::Method::GET {
            parts.uri.path_and_query().map(|pq| pq.as_str().to_string()).unwrap_or_default()
        } else {
            String::new()
        };
        let to_login = || {
            let target = if back.is_empty() || back == "/" {
                "/login".to_string()
            } else {
                format!("/login?next={}", form::encode(&back))
            };
            Redirect::to(&target).into_response()
        };
        let Some(id) = cookie(&parts.headers, COOKIE) else {
            return Err(to_login());
        };
        let lookup = id.clone();
        match call(engine, async move |engine| engine.session(&lookup).await).await {
            Ok(Some(session)) => Ok(SignedIn { id, session, node: engine.node().name.clone() }),
            Ok(None) => Err(to_login()),
            Err(error) => Err(view::error(None, StatusCode::INTERNAL_SERVER_ERROR, error.to_string())),
        }
    }
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// False for a request sent by a page of another origin: an `Origin` whose host is not
/// the `Host`, or `Sec-Fetch-Site: cross-site`. Requests without either header (not
/// from a browser, or an old one) pass: the CSRF token still guards them.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if text(header::HeaderName::from_static("sec-fetch-site")) == Some("cross-site") {
        return false;
    }
    match text(header::ORIGIN) {
        None => true,
        Some(origin) => {
            let host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            text(header::HOST).is_some_and(|expected| expected.eq_ignore_ascii_case(host))
        }
    }
}

/// The answer to a form sent from another origin (403).
fn cross_origin() -> Response {
    view::error(None, StatusCode::FORBIDDEN, "this form was sent from another site; it was not accepted")
}

/// A local path to go back to after signing in (never another site, and only visible
/// ASCII, so it is always a valid `Location`).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && path.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// `GET /login`: the sign-in form (or home, when already signed in).
pub async fn login_form(
    signed_in: Result<SignedIn, Response>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let pairs = form::parse(query.unwrap_or_default().as_bytes());
    let next = safe_next(form::value(&pairs, "next"));
    if signed_in.is_ok() {
        return Redirect::to(&next).into_response();
    }
    view::html(StatusCode::OK, &LoginPage { chrome: None, next, error: None })
}

/// `POST /login`: a key in, a session cookie out (303 to `next`); 401 with the form
/// again for a key the store does not know.
pub async fn login(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Bytes) -> Response {
    if !same_origin(&headers) {
        return cross_origin();
    }
    let pairs = form::parse(&body);
    let next = safe_next(form::value(&pairs, "next"));
    let key = form::value(&pairs, "key").unwrap_or_default().to_string();
    if key.is_empty() {
        let error = Some("enter an API key".to_string());
        return view::html(StatusCode::BAD_REQUEST, &LoginPage { chrome: None, next, error });
    }
    match call(&engine, async move |engine| engine.sign_in(&key, LIFETIME_MS).await).await {
        Ok(Some((id, _))) => {
            let secure = headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.eq_ignore_ascii_case("https"));
            let cookie = format!(
                "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
                LIFETIME_MS / 1000,
                if secure { "; Secure" } else { "" }
            );
            with_cookie(Redirect::to(&next).into_response(), &cookie)
        }
        Ok(None) => {
            let error = Some("unknown API key".to_string());
            view::html(StatusCode::UNAUTHORIZED, &LoginPage { chrome: None, next, error })
        }
        Err(error) => view::error(None, StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
    }
}

/// `POST /logout`: ends the session and clears the cookie.
pub async fn logout(
    State(engine): State<Arc<Engine>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = signed_in.accept_form(&headers, &body) {
        return *refused;
    }
    let id = signed_in.id.clone();
    if let Err(error) = call(&engine, async move |engine| engine.sign_out(&id).await).await {
        return view::error(None, StatusCode::INTERNAL_SERVER_ERROR, error.to_string());
    }
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    with_cookie(Redirect::to("/login").into_response(), &cookie)
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn reads_the_session_cookie() {
        let h = headers(&[("cookie", "a=1; komo_session=abc ; b=2")]);
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers(&[("cookie", "komo_session=")]), COOKIE), None);
        assert_eq!(cookie(&HeaderMap::new(), COOKIE), None);
    }

    #[test]
    fn refuses_other_origins_and_open_redirects() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "https://evil.example")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(same_origin(&HeaderMap::new()));
        assert_eq!(safe_next(Some("/runs?status=failed")), "/runs?status=failed");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("/runs\nSet-Cookie: x")), "/");
        assert_eq!(safe_next(Some("/runs é")), "/");
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}

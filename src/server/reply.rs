//! Error answers: every failure the API reports is JSON `{ "error": message, … }`.
//!
//! In: engine errors, extractor rejections, a lost blocking task. Out: [`ApiError`], a
//! status and a JSON body, and [`blocking`], which runs a synchronous engine call off
//! the async workers.

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::engine::Engine;
use crate::engine::error::EngineError;

/// An error answer: its status and its JSON body.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

impl ApiError {
    /// `{ "error": message }` with `status`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, body: serde_json::json!({ "error": message.into() }) }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401: no key, or a key the store does not know.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 413: the body is over the limit.
    pub fn too_large(limit: usize) -> ApiError {
        let mib = limit / (1024 * 1024);
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is over the {mib} MiB limit"))
    }

    /// An extractor's rejection (a body that could not be read, a bad query string),
    /// with its status and text, as JSON.
    pub fn rejected(status: StatusCode, text: String) -> ApiError {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::too_large(super::MAX_BODY_BYTES);
        }
        ApiError::new(status, text)
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> ApiError {
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %error, "engine error");
        }
        ApiError { status, body: error.body() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Runs an engine call on the blocking pool (see [`Engine::off_thread`]), its error
/// as the API's.
pub(crate) async fn blocking<T, F>(engine: &Arc<Engine>, call: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: AsyncFnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
{
    Engine::off_thread(engine, call).await.map_err(ApiError::from)
}

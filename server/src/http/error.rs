//! The HTTP layer's one error type: every failure leaves as a 4xx/5xx with a JSON body
//! `{"error": {"code", "message", "index"?, "field"?}}`. 5xx bodies say nothing internal; the
//! cause is logged once, here.

use crate::ingest::writer::WriteError;
use crate::ingest::ItemError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Invalid(ItemError),
    /// The body (or one NDJSON line of it) is not JSON at all.
    #[error("{0}")]
    Malformed(ItemError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// A write refused by the responsibility rules, naming the item and field.
    #[error("{0}")]
    Refused(ItemError),
    /// No credentials, or credentials this server does not accept.
    #[error("{0}")]
    Unauthenticated(String),
    /// A cookie-authenticated write without the session's CSRF token.
    #[error("{0}")]
    Csrf(String),
    /// The account still has its one-time password.
    #[error("{0}")]
    PasswordChangeRequired(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A throttle: try again after this many seconds (sent as `Retry-After`).
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    #[error("{0}")]
    Conflict(String),
    /// What was asked for existed but no longer holds (an expired link).
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the service cannot take writes right now; nothing was kept, retry")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// invalid, bad_request, unauthenticated, not_found, method_not_allowed, forbidden, csrf, password_change_required, too_many_requests, conflict, expired, too_large, unsupported_media_type, unavailable, internal.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::Malformed(_) | ApiError::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Forbidden(_) | ApiError::Refused(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Csrf(_) => (StatusCode::FORBIDDEN, "csrf"),
            ApiError::PasswordChangeRequired(_) => {
                (StatusCode::FORBIDDEN, "password_change_required")
            }
            ApiError::TooManyRequests(_) | ApiError::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Gone(_) => (StatusCode::GONE, "expired"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            ApiError::Unavailable(e) | ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "request failed");
            }
            _ => {}
        }
        let (index, field) = match &self {
            ApiError::Invalid(e) | ApiError::Malformed(e) | ApiError::Refused(e) => {
                (e.index, Some(e.field.clone()).filter(|f| !f.is_empty()))
            }
            _ => (None, None),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
                index,
                field,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::RateLimited { retry_after, .. } = &self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, (*retry_after).into());
        }
        if matches!(self, ApiError::Unauthenticated(_)) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"ioc\""),
            );
        }
        response
    }
}

impl From<crate::auth::Denied> for ApiError {
    fn from(e: crate::auth::Denied) -> Self {
        match e {
            crate::auth::Denied::NotFound(m) => ApiError::NotFound(m),
            crate::auth::Denied::Forbidden(m) => ApiError::Forbidden(m),
        }
    }
}

impl From<ItemError> for ApiError {
    fn from(e: ItemError) -> Self {
        ApiError::Invalid(e)
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Invalid(e) => ApiError::Invalid(e),
            WriteError::Forbidden(e) => ApiError::Refused(e),
            WriteError::Conflict(m) => ApiError::Conflict(m),
            WriteError::Store(e) => ApiError::Unavailable(e.into()),
            WriteError::Closed => ApiError::Unavailable(anyhow::anyhow!("the writer has stopped")),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(e: axum::extract::rejection::BytesRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge("the body is over this server's limit (--max-body-bytes)".into())
        } else {
            ApiError::BadRequest(format!("the body could not be read: {}", e.body_text()))
        }
    }
}

/// axum's own refusals (a query string or a path segment that does not decode, a method the
/// route does not take) leave as plain text or with no body; this gives them the JSON body every
/// other refusal has, keeping their status and headers (`Allow` on a 405).
pub async fn json_refusals(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Rejection texts are a line or two; a longer body is not one of them.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = match (status, text.is_empty()) {
        (StatusCode::METHOD_NOT_ALLOWED, _) => {
            "this route does not take that method; see /api/openapi.json".to_string()
        }
        (_, true) => status
            .canonical_reason()
            .unwrap_or("refused")
            .to_lowercase(),
        (_, false) => text,
    };
    let body = serde_json::to_vec(&ErrorBody {
        error: ErrorDetail {
            code,
            message,
            index: None,
            field: None,
        },
    })
    .unwrap_or_default();
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

//! The HTTP layer's one error type: every failure leaves as a 4xx/5xx with a JSON body
//! `{"error": {"code", "message", "index"?, "field"?}}`. 5xx bodies say nothing internal; the
//! cause is logged once, here.

use crate::i18n::{request_lang, Lang, Msg};
use crate::ingest::writer::WriteError;
use crate::ingest::ItemError;
use crate::msg;
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
    BadRequest(Msg),
    #[error("{0}")]
    NotFound(Msg),
    #[error("{0}")]
    Forbidden(Msg),
    /// A write refused by the responsibility rules, naming the item and field.
    #[error("{0}")]
    Refused(ItemError),
    /// No credentials, or credentials this server does not accept.
    #[error("{0}")]
    Unauthenticated(Msg),
    /// A cookie-authenticated write without the session's CSRF token.
    #[error("{0}")]
    Csrf(Msg),
    /// The account still has its one-time password.
    #[error("{0}")]
    PasswordChangeRequired(Msg),
    #[error("{0}")]
    TooManyRequests(Msg),
    /// A throttle: try again after this many seconds (sent as `Retry-After`).
    #[error("{message}")]
    RateLimited { message: Msg, retry_after: u64 },
    #[error("{0}")]
    Conflict(Msg),
    /// What was asked for existed but no longer holds (an expired link).
    #[error("{0}")]
    Gone(Msg),
    /// An item of the request clashes with what exists, naming its index and field.
    #[error("{0}")]
    ConflictItem(ItemError),
    #[error("{0}")]
    TooLarge(Msg),
    #[error("{0}")]
    UnsupportedMediaType(Msg),
    #[error("the service cannot take writes right now; nothing was kept, retry")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// An import refused, with every problem found (file, sheet, row, column, field, reason).
    #[error("{}", super::import::refusal_words(.1))]
    Import(super::import::ImportRefusal, crate::import::ImportError),
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// invalid, bad_request, unauthenticated, not_found, method_not_allowed, forbidden, csrf, password_change_required, too_many_requests, conflict, expired, too_large, unsupported_media_type, unavailable, internal.
    pub code: &'static str,
    /// What is wrong, in the request's language (`Accept-Language`: `vi` or `en`; English when
    /// it names neither). Vietnamese only where `reason` is present.
    pub message: String,
    /// The message's stable key (e.g. `outside_scope`) when the server words it in both
    /// languages; absent for a message in English only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The message's parameters by name, with `reason`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<std::collections::BTreeMap<&'static str, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// An import's problems, each naming its file, sheet, row (`line`), column and field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<crate::import::Problem>>,
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
            ApiError::Conflict(_) | ApiError::ConflictItem(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Gone(_) => (StatusCode::GONE, "expired"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ApiError::Import(how, _) => match how {
                super::import::ImportRefusal::Invalid => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
                }
                super::import::ImportRefusal::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
                super::import::ImportRefusal::Conflict => (StatusCode::CONFLICT, "conflict"),
            },
        }
    }
}

impl ApiError {
    /// What the person is told, as a message to word in their language.
    fn msg(&self) -> Msg {
        match self {
            ApiError::Invalid(e)
            | ApiError::Malformed(e)
            | ApiError::Refused(e)
            | ApiError::ConflictItem(e) => e.msg.clone(),
            ApiError::BadRequest(m)
            | ApiError::NotFound(m)
            | ApiError::Forbidden(m)
            | ApiError::Unauthenticated(m)
            | ApiError::Csrf(m)
            | ApiError::PasswordChangeRequired(m)
            | ApiError::TooManyRequests(m)
            | ApiError::RateLimited { message: m, .. }
            | ApiError::Conflict(m)
            | ApiError::Gone(m)
            | ApiError::TooLarge(m)
            | ApiError::UnsupportedMediaType(m) => m.clone(),
            ApiError::Unavailable(_) => msg!("unavailable"),
            ApiError::Internal(_) => msg!("internal"),
            ApiError::Import(..) => self.to_string().into(),
        }
    }

    /// The body's `message`: English keeps the item and field in front (`item 1: progress:
    /// …`), as programs have read it; other languages say the reason (the page shows it next to
    /// the field named in `field`).
    fn message(&self, lang: Lang) -> String {
        let m = self.msg();
        match (lang, self) {
            (Lang::En, _) => self.to_string(),
            (_, _) if !m.is_keyed() => self.to_string(),
            _ => m.render(lang),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let lang = request_lang();
        let msg = self.msg();
        match &self {
            ApiError::Unavailable(e) | ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "request failed");
            }
            _ => {}
        }
        let (index, field) = match &self {
            ApiError::Invalid(e)
            | ApiError::Malformed(e)
            | ApiError::Refused(e)
            | ApiError::ConflictItem(e) => {
                (e.index, Some(e.field.clone()).filter(|f| !f.is_empty()))
            }
            _ => (None, None),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.message(lang),
                reason: msg.key().filter(|_| msg.is_keyed()),
                params: msg
                    .key()
                    .filter(|_| msg.is_keyed())
                    .map(|_| msg.params(lang).into_iter().collect()),
                index,
                field,
                problems: match &self {
                    ApiError::Import(_, e) => Some(e.problems.clone()),
                    _ => None,
                },
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
            WriteError::Conflict(m) => ApiError::Conflict(m.into()),
            WriteError::ConflictItem(e) => ApiError::ConflictItem(e),
            WriteError::Store(e) => ApiError::Unavailable(e.into()),
            WriteError::Closed => ApiError::Unavailable(anyhow::anyhow!("the writer has stopped")),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        // A database that does not answer is a 503 the client retries, not a server bug.
        if e.is_unavailable() {
            ApiError::Unavailable(e.into())
        } else {
            ApiError::Internal(e.into())
        }
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(e: axum::extract::rejection::BytesRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge("the body is over this server's limit (--max-body-bytes)".into())
        } else {
            ApiError::BadRequest(format!("the body could not be read: {}", e.body_text()).into())
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
            reason: None,
            params: None,
            message,
            index: None,
            field: None,
            problems: None,
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

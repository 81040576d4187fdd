//! The gate every request passes before its handler: it reads the credentials (bearer header or
//! session cookie), refuses what needs a signed-in caller and has none (401), enforces CSRF on
//! cookie writes and the WebSocket's origin, the one-time password, what API tokens may reach,
//! and the per-credential request rate; then hands the `Principal` to the handler, which asks
//! `can_view` or `access` about the particular unit.

use super::error::ApiError;
use crate::auth::{secret, ClientIp, Principal};
use crate::domain::time::now_ms;
use crate::Node;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

pub const COOKIE: &str = "ioc_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a route needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// The web UI's files, health, metrics, the OpenAPI document, the dashboard settings and
    /// signing in.
    Public,
    /// The caller's own session: open to a signed-in person whose password must change.
    OwnSession,
    /// Everything else below `/api/v1`, and `/ws`.
    SignedIn,
}

fn classify(method: &Method, path: &str) -> Class {
    if path == "/api/v1/session" && method == Method::POST {
        return Class::Public;
    }
    if path == "/api/v1/session" || path == "/api/v1/session/password" {
        return Class::OwnSession;
    }
    if path == "/ws" || path == "/api/v1" || path.starts_with("/api/v1/") {
        if path == "/api/v1/dashboard" && method == Method::GET {
            return Class::Public;
        }
        return Class::SignedIn;
    }
    Class::Public
}

/// Routes an API token may write to: sending events, as events or a task's REST form, and the
/// files a task event's submission refers to.
fn event_route(method: &Method, path: &str) -> bool {
    (method == Method::POST && (path == "/api/v1/events" || path == "/api/v1/attachments"))
        || (method == Method::PUT && path.starts_with("/api/v1/tasks/"))
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn session_cookie(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_string())
}

/// A browser's WebSocket carries the cookie of this server whichever page opened it; only a
/// page of this server may use it (cross-site WebSocket hijacking).
fn same_origin(req: &Request) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true; // not a browser
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

pub async fn authenticate(State(node): State<Node>, mut req: Request, next: Next) -> Response {
    match check(&node, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check(node: &Node, req: &mut Request) -> Result<(), ApiError> {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
    req.extensions_mut().insert(ClientIp(ip));
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    // The public tree never reads a session or a token: citizens have none, and a signed-in
    // official's cookie must not change what a public page shows (`http/public.rs`).
    if path == "/cong-khai" || path.starts_with("/cong-khai/") || path.starts_with("/public/") {
        req.extensions_mut().insert(Principal::Anonymous);
        return Ok(());
    }
    let class = classify(&method, &path);
    // A bearer header wins; the cookie is parsed only without one.
    let attempt = match bearer(req) {
        Some(b) => Some(node.auth.authenticate(b, false, now_ms())),
        None => session_cookie(req).map(|c| node.auth.authenticate(&c, true, now_ms())),
    };
    let principal = match (attempt, class) {
        (Some(Ok(p)), _) => p,
        // A stale cookie must not stop anyone from loading the sign-in page or signing in.
        (_, Class::Public) | (None, _) => Principal::Anonymous,
        (Some(Err(bad)), _) => return Err(ApiError::Unauthenticated(bad.0.into())),
    };
    if class == Class::Public {
        req.extensions_mut().insert(principal);
        return Ok(());
    }
    if matches!(principal, Principal::Anonymous) {
        return Err(ApiError::Unauthenticated(
            "sign in (POST /api/v1/session) or send Authorization: Bearer <token>".into(),
        ));
    }
    node.auth
        .check_rate(&principal.actor_id())
        .await
        .map_err(|wait| ApiError::RateLimited {
            message: crate::msg!("rate_limited", seconds = wait.as_secs().max(1) as i64),
            retry_after: wait.as_secs().max(1),
        })?;
    match &principal {
        Principal::Account {
            account,
            session,
            via_cookie,
        } => {
            if *via_cookie {
                if path == "/ws" && !same_origin(req) {
                    return Err(ApiError::Forbidden(
                        "a live connection signed in by cookie must come from this server's pages"
                            .into(),
                    ));
                }
                let safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
                let sent = req
                    .headers()
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !safe && !secret::same(sent, &session.csrf) {
                    return Err(ApiError::Csrf(format!(
                        "a write signed in by cookie must carry the session's CSRF token in {CSRF_HEADER} (from GET /api/v1/session)"
                    ).into()));
                }
            }
            if account.must_change_password && class != Class::OwnSession {
                return Err(ApiError::PasswordChangeRequired(
                    "change the one-time password first (POST /api/v1/session/password)".into(),
                ));
            }
        }
        Principal::Token(t) => {
            if class == Class::OwnSession {
                return Err(ApiError::Forbidden(
                    "an API token has no session; sessions belong to people".into(),
                ));
            }
            let reading = method == Method::GET || method == Method::HEAD;
            if !event_route(&method, &path) && !reading {
                return Err(ApiError::Forbidden(
                    "API tokens send events (POST /api/v1/events, PUT /api/v1/tasks/{id}, POST /api/v1/attachments); this change needs a person's session".into(),
                ));
            }
            if reading && !principal.may_read() {
                return Err(ApiError::Forbidden(
                    format!(
                        "API token '{}' may only send events ({}); it has no read permission",
                        t.id,
                        t.permissions
                            .iter()
                            .map(|p| serde_json::to_value(p)
                                .ok()
                                .and_then(|v| v.as_str().map(String::from))
                                .unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                    .into(),
                ));
            }
        }
        Principal::Anonymous | Principal::System(_) => {}
    }
    req.extensions_mut().insert(principal);
    Ok(())
}

/// Security headers for every answer (SECURITY.md); HSTS only when served over TLS.
pub async fn security_headers(State(node): State<Node>, req: Request, next: Next) -> Response {
    use axum::http::HeaderValue;
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if node.auth.config().secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

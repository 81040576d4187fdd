//! HTTP: one `app(node) -> Router`, each area with its own `router()`. Handlers are thin:
//! extract, convert wire to domain, call one function, map the result.

pub mod alerts;
pub mod asof;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod backtest;
pub mod board;
mod body;
pub mod catalog;
pub mod client_addr;
pub mod entry;
pub mod error;
pub mod evaluation;
pub mod events;
pub mod explanations;
pub mod forward;
pub mod gate;
pub mod import;
pub mod live;
pub mod meetings;
pub mod notify;
pub mod okr;
pub mod ops;
pub mod public;
pub mod report;
pub mod templates;
pub mod views;
pub mod web;
pub mod work;

use crate::Node;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::time::Instant;
use tower_http::trace::TraceLayer;

#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// The live endpoint's tick, heartbeat and limits.
    pub live: crate::live::LiveConfig,
    /// Sessions, request rates and sign-in throttling.
    pub auth: crate::auth::AuthConfig,
    /// The load balancers whose `X-Forwarded-For` names the client (`client_addr.rs`).
    pub trusted_proxies: std::sync::Arc<[ipnet::IpNet]>,
    /// The public boards' services and limits (`[public]`).
    pub public: std::sync::Arc<crate::public::PublicConfig>,
    /// How the past is checkpointed and how many past moments are kept (`[history]`).
    pub history: crate::asof::HistoryConfig,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 8 * 1024 * 1024,
            live: crate::live::LiveConfig::default(),
            auth: crate::auth::AuthConfig::default(),
            trusted_proxies: std::sync::Arc::new([]),
            public: std::sync::Arc::default(),
            history: crate::asof::HistoryConfig::default(),
        }
    }
}

pub fn app(node: Node) -> Router {
    let limits = node.limits.clone();
    let api = Router::new()
        .merge(events::router())
        .merge(catalog::router())
        .merge(views::router())
        .merge(alerts::router())
        .merge(auth::router())
        .merge(audit::router())
        .merge(board::router())
        .merge(okr::router())
        .merge(evaluation::router())
        .merge(report::router())
        .merge(notify::router())
        .merge(work::router())
        .merge(attachments::router())
        .merge(explanations::router())
        .merge(meetings::router())
        .merge(backtest::router())
        .merge(import::router())
        .merge(entry::router())
        .merge(templates::router())
        .merge(public::card_router())
        .merge(web::api_router())
        .merge(ops::clock_router());
    Router::new()
        .nest("/api/v1", api)
        .merge(ops::router())
        .merge(live::router())
        .merge(public::router(node.clone()))
        .fallback(web::fallback)
        .route_layer(middleware::from_fn(record_request))
        .layer(middleware::from_fn(error::json_refusals))
        .layer(middleware::from_fn_with_state(
            node.clone(),
            gate::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            node.clone(),
            gate::security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            limits.max_body_bytes,
            refuse_declared_oversize,
        ))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("-", |p| p.as_str())
                .to_string();
            tracing::info_span!("http", method = %req.method(), route, uri = %req.uri())
        }))
        .layer(middleware::from_fn_with_state(
            node.clone(),
            forward::forward,
        ))
        .layer(middleware::from_fn(in_request_language))
        .layer(middleware::from_fn_with_state(
            limits.trusted_proxies.clone(),
            client_addr::from_trusted_proxies,
        ))
        .with_state(node)
}

/// Everything said while answering a request (errors above all) is worded in the language its
/// `Accept-Language` asks for; the pages send theirs.
async fn in_request_language(req: Request, next: Next) -> Response {
    let lang = crate::i18n::Lang::from_accept_language(
        req.headers()
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    crate::i18n::REQUEST_LANG.scope(lang, next.run(req)).await
}

/// Refuses a body whose declared length is over the limit before reading it, naming the limit
/// (a body sent in chunks is cut off by `DefaultBodyLimit` while it is read).
async fn refuse_declared_oversize(
    axum::extract::State(max): axum::extract::State<usize>,
    req: Request,
    next: Next,
) -> Response {
    use axum::response::IntoResponse;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > max as u64 => error::ApiError::TooLarge(
            format!(
                "the body is {n} bytes, over this server's limit of {max} bytes (--max-body-bytes)"
            )
            .into(),
        )
        .into_response(),
        _ => next.run(req).await,
    }
}

/// Counts and times requests by route template (not raw path, which would explode the labels).
async fn record_request(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("ioc_http_request_duration_seconds", "route" => route.clone(), "method" => method.clone(), "status" => status.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("ioc_http_requests_total", "route" => route, "method" => method, "status" => status).increment(1);
    response
}

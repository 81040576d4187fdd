//! `GET /ws`: the upgrade to a live WebSocket. Admission (connections per client and in all)
//! and the socket's buffer limits are set here; the connection itself lives in `live::conn`.
//!
//! The handshake is done here rather than by axum's `WebSocketUpgrade` because axum's socket
//! can only send whole messages, and a connection keeps a write buffer as large as the largest
//! message it ever sent (a city's snapshot is ~50 KB): with the tungstenite socket itself the
//! connection sends large frames in fragments and its buffer stays small (LIVE.md, "Memory").

use super::error::ApiError;
use crate::auth::Principal;
use crate::live::conn::{self, ConnCtx};
use crate::live::Refused;
use crate::Node;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Version};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

pub fn router() -> Router<Node> {
    Router::new().route("/ws", get(upgrade))
}

fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The checks of RFC 6455's opening handshake (HTTP/1.1); the client's key on success, else
/// what is missing.
fn handshake(req: &Request) -> Result<String, &'static str> {
    if req.version() > Version::HTTP_11 || req.method() != Method::GET {
        return Err("an HTTP/1.1 GET upgrade is expected");
    }
    let h = req.headers();
    if !has_token(h, header::CONNECTION, "upgrade") {
        return Err("the Connection header does not say upgrade");
    }
    if !has_token(h, header::UPGRADE, "websocket") {
        return Err("the Upgrade header does not say websocket");
    }
    if h.get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err("Sec-WebSocket-Version must be 13");
    }
    h.get(header::SEC_WEBSOCKET_KEY)
        .map(|k| derive_accept_key(k.as_bytes()))
        .ok_or("no Sec-WebSocket-Key header")
}

async fn upgrade(
    State(node): State<Node>,
    who: Principal,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
) -> Result<Response, ApiError> {
    let refuse = |why: &str| {
        ApiError::BadRequest(
            format!("GET /ws is a WebSocket endpoint ({why}); the protocol is in LIVE.md").into(),
        )
    };
    let accept = handshake(&req).map_err(refuse)?;
    let on_upgrade = req
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>()
        .ok_or_else(|| refuse("this connection cannot be upgraded"))?;
    let slot = node.live.admit(peer.ip()).map_err(|e| match e {
        Refused::PerClient(_) => ApiError::TooManyRequests(e.to_string().into()),
        Refused::Full(_) => ApiError::Unavailable(anyhow::anyhow!(e.to_string())),
    })?;
    let cfg = node.live.config;
    let ctx = ConnCtx {
        live: node.live.clone(),
        rollup: node.rollup.clone(),
        store: node.store.clone(),
        principal: who,
        clock: node.clock,
        auth: node.auth.clone(),
    };
    // A small read buffer: a wall display sends a few short messages, and 10,000 idle
    // connections must fit in memory. Frames are written once `conn::FRAGMENT` bytes are
    // buffered (and at the end of each drain), and no frame is larger, so the write buffer
    // a connection keeps stays near twice that whatever it has sent.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(conn::FRAGMENT)
        .max_write_buffer_size(cfg.hard_message_bytes.max(64 * 1024 * 1024))
        .max_message_size(Some(cfg.hard_message_bytes))
        .max_frame_size(Some(cfg.hard_message_bytes));
    tokio::spawn(async move {
        // A failed upgrade (the client went away) drops the slot with the task.
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let socket = WebSocketStream::from_raw_socket(
            hyper_util::rt::TokioIo::new(upgraded),
            Role::Server,
            Some(config),
        )
        .await;
        conn::run(socket, ctx, slot).await;
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .map_err(|e| ApiError::Internal(e.into()))
}

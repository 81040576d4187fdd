//! `GET /ws`: the upgrade to a live WebSocket. Admission (connections per client and in all)
//! and the socket's buffer limits are set here; the connection itself lives in `live::conn`.

use super::error::ApiError;
use crate::auth::Principal;
use crate::live::conn::{self, ConnCtx};
use crate::live::Refused;
use crate::Node;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;

pub fn router() -> Router<Node> {
    Router::new().route("/ws", get(upgrade))
}

async fn upgrade(
    State(node): State<Node>,
    who: Principal,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let ws = ws.map_err(|e| {
        ApiError::BadRequest(
            format!("GET /ws is a WebSocket endpoint ({e}); the protocol is in LIVE.md").into(),
        )
    })?;
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
    Ok(ws
        // A small read buffer: a wall display sends a few short messages, and 10,000 idle
        // connections must fit in memory. The frames of one drain go out in one write (the
        // writer flushes after each drain), not a syscall each.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(64 * 1024)
        .max_write_buffer_size(cfg.hard_message_bytes.max(64 * 1024 * 1024))
        .max_message_size(cfg.hard_message_bytes)
        .max_frame_size(cfg.hard_message_bytes)
        .on_upgrade(move |socket| conn::run(socket, ctx, slot)))
}

//! The web UI: the files of `dashboard-web/`, embedded in the binary at build time (so the
//! README's run command needs nothing else), or read from a folder on disk with `--web-dir`
//! while someone works on them; and the dashboard settings the pages read (`/api/v1/dashboard`).

use crate::Node;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use utoipa::ToSchema;

/// `debug-embed` makes debug builds embed too, so tests serve exactly what a release serves.
#[derive(rust_embed::Embed)]
#[folder = "../dashboard-web/"]
#[exclude = "*.md"]
struct Assets;

/// What the pages need from the server's configuration (`[dashboard]` in a config file).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DashboardConfig {
    /// The unit the city board opens on (default: the root of the org tree).
    #[serde(default)]
    pub root_unit: Option<String>,
    /// The boards a wall display rotates through, in order (default: the root unit alone).
    #[serde(default)]
    pub wall_boards: Vec<String>,
    /// Seconds each wall board stays on screen.
    #[serde(default = "default_rotate")]
    pub wall_rotate_seconds: u32,
    /// Screens say their data is stale after this many seconds with no news from the server, or
    /// when the server's data clock is this far behind (`lag_ms` in the live `pong`).
    #[serde(default = "default_stale")]
    pub stale_after_seconds: u32,
    /// Serve the web UI from this folder instead of the embedded copy (development).
    #[serde(default, skip_serializing)]
    pub web_dir: Option<PathBuf>,
    /// With `--demo`: the demo accounts, listed on the sign-in page (not a config key).
    #[serde(skip)]
    pub demo_accounts: Option<Vec<crate::demo::DemoAccount>>,
}

fn default_rotate() -> u32 {
    20
}

fn default_stale() -> u32 {
    30
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            root_unit: None,
            wall_boards: Vec::new(),
            wall_rotate_seconds: default_rotate(),
            stale_after_seconds: default_stale(),
            web_dir: None,
            demo_accounts: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardOut {
    pub root_unit: Option<String>,
    pub time_zone: &'static str,
    /// See `DashboardConfig::stale_after_seconds`.
    pub stale_after_seconds: u32,
    pub wall: WallOut,
    /// Set when the server runs the demo (`--demo`): its accounts, for the sign-in page. Demo
    /// only: a real server has none.
    pub demo: Option<DemoOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DemoOut {
    /// The password of every demo account (published in the README).
    pub password: &'static str,
    pub accounts: Vec<crate::demo::DemoAccount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WallOut {
    pub boards: Vec<String>,
    pub rotate_seconds: u32,
}

pub fn api_router() -> Router<Node> {
    Router::new().route("/dashboard", get(dashboard))
}

async fn dashboard(State(node): State<Node>) -> Json<DashboardOut> {
    let c = &node.dashboard;
    let root = c.root_unit.clone().or_else(|| node.rollup.root_unit());
    let boards = if c.wall_boards.is_empty() {
        root.iter().cloned().collect()
    } else {
        c.wall_boards.clone()
    };
    Json(DashboardOut {
        root_unit: root,
        time_zone: "Asia/Ho_Chi_Minh",
        stale_after_seconds: c.stale_after_seconds,
        wall: WallOut {
            boards,
            rotate_seconds: c.wall_rotate_seconds,
        },
        demo: c.demo_accounts.as_ref().map(|accounts| DemoOut {
            password: crate::demo::DEMO_PASSWORD,
            accounts: accounts.clone(),
        }),
    })
}

/// Everything no route took: a web UI file for a GET outside `/api`, else the JSON 404.
pub async fn fallback(State(node): State<Node>, req: Request) -> Response {
    let path = req.uri().path();
    if (req.method() != Method::GET && req.method() != Method::HEAD) || path.starts_with("/api/") {
        return super::ops::not_found().await.into_response();
    }
    let name = match path.trim_start_matches('/') {
        "" => "index.html".to_string(),
        // The public pages (`http/public.rs`): one board page for every unit, one form.
        p if p == "cong-khai" || p.starts_with("cong-khai/") => {
            if p.trim_end_matches('/').ends_with("/danh-gia") {
                "rate.html".to_string()
            } else {
                "public.html".to_string()
            }
        }
        p if p.ends_with('/') => format!("{p}index.html"),
        p => p.to_string(),
    };
    let found = match &node.dashboard.web_dir {
        Some(dir) => from_disk(dir, &name).await,
        None => Assets::get(&name).map(|f| (f.data.into_owned(), Some(etag_of(&f.metadata)))),
    };
    match found {
        Some((body, etag)) => file_response(&name, body, etag, req.headers()),
        None => super::ops::not_found().await.into_response(),
    }
}

fn etag_of(m: &rust_embed::Metadata) -> String {
    m.sha256_hash()
        .iter()
        .fold(String::from("\""), |s, b| s + &format!("{b:02x}"))
        + "\""
}

async fn from_disk(dir: &std::path::Path, name: &str) -> Option<(Vec<u8>, Option<String>)> {
    // Only plain names below the folder: no `..`, no absolute paths.
    if name
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return None;
    }
    tokio::fs::read(dir.join(name))
        .await
        .ok()
        .map(|b| (b, None))
}

fn file_response(name: &str, body: Vec<u8>, etag: Option<String>, headers: &HeaderMap) -> Response {
    if let (Some(tag), Some(sent)) = (&etag, headers.get(header::IF_NONE_MATCH)) {
        if sent.as_bytes() == tag.as_bytes() {
            return StatusCode::NOT_MODIFIED.into_response();
        }
    }
    let mime = mime_for(name);
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    // Screens run for weeks: revalidate every load so a new release reaches them on their next
    // reload, at the cost of a 304.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        h.insert(header::ETAG, tag);
    }
    resp
}

/// The types the UI uses; anything else is served as bytes. A short table rather than a MIME
/// crate: the folder holds a handful of kinds, and JavaScript modules must be `text/javascript`
/// or browsers refuse them.
fn mime_for(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

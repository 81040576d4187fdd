//! Writes reaching a node that is not the writer: forwarded whole (method, path, headers,
//! body) over HTTP to the writer the lease row names, and its answer passed back as it came,
//! so a client sees the same answers and errors from every node. The forwarded request carries
//! the client's address and the writer's forward key (from the lease row, which only nodes
//! read), so the writer throttles and audits the client, not the node. Reads, and the live
//! socket, are answered here. After a write's answer, this node waits (up to two seconds) until
//! it has applied the commit the writer reached, so a read sent here next includes the write.

use crate::cluster::Role;
use crate::Node;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The client's address, as the forwarding node saw it.
pub const FORWARDED_FOR: &str = "x-ioc-forwarded-for";
/// The writer's forward key: proves the request came from a node.
pub const FORWARD_KEY: &str = "x-ioc-forward-key";
/// On a forwarded write's answer: the change log number the writer had reached.
pub const COMMIT: &str = "x-ioc-commit";
/// How long a forwarded write may take at the writer (an import of a large workbook included).
const WITHIN: Duration = Duration::from_secs(120);
/// How long this node waits to have applied the write before answering anyway.
const READ_YOUR_WRITE: Duration = Duration::from_secs(2);

fn is_write(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();

/// The writer's address and key, as the lease row says (read again after a second, or when
/// `fresh`).
async fn writer_seat(node: &Node, fresh: bool) -> Option<(String, String)> {
    if !fresh {
        if let Some(seat) = node.cluster.writer_seat(Duration::from_secs(1)) {
            return Some(seat);
        }
    }
    let (_, address, key) = node.store.writer_seat().await.ok().flatten()?;
    if address.is_empty() {
        return None;
    }
    node.cluster
        .remember_writer_seat(address.clone(), key.clone());
    Some((address, key))
}

/// Outermost on every node. A follower forwards writes; the writer takes the client's address
/// from a forwarded request whose key is its own, and says on the answer how far it committed.
pub async fn forward(State(node): State<Node>, mut req: Request, next: Next) -> Response {
    let forwarded = accept_forwarded(&node, &mut req);
    if forwarded || !is_write(req.method()) || node.cluster.writes_here() {
        let mut res = next.run(req).await;
        if forwarded {
            // The change log's number, which every record counts (the rollup's counts only
            // those that change figures): the forwarding node waits for it.
            if let Ok(v) = HeaderValue::from_str(&node.store.log_written().to_string()) {
                res.headers_mut().insert(COMMIT, v);
            }
        }
        return res;
    }
    if node.cluster.role() == Role::TakingOver {
        return unavailable("this node is taking over as the writer; send the request again");
    }
    match send(&node, req).await {
        Ok(res) => res,
        Err(why) => unavailable(&why),
    }
}

/// On the writer: a request forwarded by a node (its key matches) gets its client's address;
/// the headers are removed from any other request, so a client cannot claim an address.
fn accept_forwarded(node: &Node, req: &mut Request) -> bool {
    let key = req.headers_mut().remove(FORWARD_KEY);
    let client = req.headers_mut().remove(FORWARDED_FOR);
    let (Some(key), Some(client), Some(lease)) = (key, client, node.lease.as_ref()) else {
        return false;
    };
    // A node alone on its database has no key: nothing it receives is forwarded.
    if !lease.held()
        || lease.seat_key().is_empty()
        || !crate::auth::secret::same(key.to_str().unwrap_or(""), lease.seat_key())
    {
        return false;
    }
    if let Some(addr) = client
        .to_str()
        .ok()
        .and_then(|c| c.parse::<SocketAddr>().ok())
    {
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    true
}

async fn send(node: &Node, req: Request) -> Result<Response, String> {
    let client_addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, node.limits.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return Ok(super::error::ApiError::TooLarge(
                format!(
                    "the body is over this server's limit of {} bytes (--max-body-bytes)",
                    node.limits.max_body_bytes
                )
                .into(),
            )
            .into_response())
        }
    };
    let client = CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(WITHIN)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client")
    });
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let mut last_error = String::new();
    // Twice at most: the second time with the seat read again (the writer may have changed).
    for attempt in 0..2 {
        let Some((address, key)) = writer_seat(node, attempt > 0).await else {
            return Err("no node is the writer now; send the request again".into());
        };
        let mut headers = HeaderMap::new();
        for (name, value) in parts.headers.iter() {
            if !hop_by_hop(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        if let Some(a) = &client_addr {
            if let Ok(v) = HeaderValue::from_str(a) {
                headers.insert(FORWARDED_FOR, v);
            }
        }
        if let Ok(v) = HeaderValue::from_str(&key) {
            headers.insert(FORWARD_KEY, v);
        }
        let sent = client
            .request(parts.method.clone(), format!("{address}{path}"))
            .headers(headers)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(res) => return Ok(answer(node, res).await),
            // Not connected: the request never reached the writer, so sending it to the
            // writer read again cannot do it twice.
            Err(e) if e.is_connect() => {
                last_error = format!("the writer ({address}) cannot be reached: {e}");
                metrics::counter!("ioc_forward_failures_total").increment(1);
            }
            // Sent, and no answer: whether it committed is unknown; the client retries with
            // the same event ids, which the writer keeps once.
            Err(e) => {
                metrics::counter!("ioc_forward_failures_total").increment(1);
                return Err(format!("the writer ({address}) did not answer: {e}"));
            }
        }
    }
    Err(last_error)
}

async fn answer(node: &Node, res: reqwest::Response) -> Response {
    metrics::counter!("ioc_forwarded_total").increment(1);
    let status = res.status();
    let mut headers = HeaderMap::new();
    for (name, value) in res.headers() {
        if !hop_by_hop(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let commit = headers
        .remove(COMMIT)
        .and_then(|v| v.to_str().ok().and_then(|v| v.parse::<u64>().ok()));
    let body = res.bytes().await.unwrap_or_default();
    if let Some(c) = commit {
        let waited = Instant::now();
        while node.cluster.applied() < c && waited.elapsed() < READ_YOUR_WRITE {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let mut out = Response::new(Body::from(body));
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    out
}

fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "upgrade"
            | "te"
            | "trailer"
            | "host"
            | "content-length"
    ) || name == header::CONTENT_LENGTH
}

/// 503 with `Retry-After: 1`: the client sends the write again (with the same event ids, so a
/// write that did commit is kept once).
fn unavailable(why: &str) -> Response {
    let mut res =
        super::error::ApiError::Unavailable(anyhow::anyhow!(why.to_string())).into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

//! The benchmarks' servers: `ioc serve` run as processes of their own (so their memory and CPU
//! are theirs), one on a fresh SQLite file, or several on one PostgreSQL and one Redis, with
//! the demo city and a token that reads and sends every event kind.

use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The first-run admin's password in the benchmarks' servers.
pub(super) const ADMIN_PASSWORD: &str = "bench-admin-password";

pub(super) struct Server {
    pub child: std::process::Child,
    pub pid: u32,
    pub base: String,
    pub ws: String,
    /// An API token with read and every event kind over the whole tree.
    pub token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Several nodes: the shared database and Redis.
#[derive(Debug, Clone)]
pub(super) struct Shared {
    pub database_url: String,
    pub redis_url: String,
}

/// Starts `ioc serve` on a free loopback port: on `shared` (a node of several) or on a fresh
/// SQLite file in `dir`; with the demo city seeded (`demo`) and `extra` arguments. `log` names
/// its log file in `dir`. Returns once it answers `/healthz`, without a token yet.
pub(super) async fn start(
    dir: &std::path::Path,
    log: &str,
    shared: Option<&Shared>,
    demo: bool,
    extra: &[&str],
) -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log_path = dir.join(log);
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.args([
        "serve",
        "--log-format",
        "json",
        "--rate-limit-per-minute",
        "0",
    ])
    .args(["--bind", &format!("127.0.0.1:{port}")])
    .args(extra)
    .env("IOC_ADMIN_PASSWORD", ADMIN_PASSWORD)
    .env("RUST_LOG", "warn")
    .stdout(std::process::Stdio::null())
    .stderr(std::fs::File::create(&log_path)?);
    match shared {
        Some(s) => cmd.args([
            "--database-url",
            &s.database_url,
            "--redis-url",
            &s.redis_url,
        ]),
        None => cmd.args([
            "--database-url",
            &format!("sqlite://{}/{log}.db", dir.display()),
        ]),
    };
    if demo {
        cmd.args(["--demo", "--simulate-rate", "0"]);
    }
    let child = cmd.spawn()?;
    let pid = child.id();
    let server = Server {
        child,
        pid,
        base: format!("http://127.0.0.1:{port}"),
        ws: format!("ws://127.0.0.1:{port}/ws"),
        token: String::new(),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await {
            if r.status().is_success() {
                return Ok(server);
            }
        }
        if Instant::now() > deadline {
            anyhow::bail!("the server did not come up; see {}", log_path.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The servers of a run: one on SQLite, or `nodes` on `shared` (the first one the writer, the
/// others following it once it has seeded the demo city), all holding the same token.
pub(super) async fn start_all(
    dir: &std::path::Path,
    shared: Option<&Shared>,
    nodes: usize,
    extra: &[&str],
) -> anyhow::Result<Vec<Server>> {
    let mut servers = vec![start(dir, "node-0", shared, true, extra).await?];
    let token = admin_token(&servers[0].base, "bench").await?;
    servers[0].token = token.clone();
    for i in 1..nodes.max(1) {
        let mut s = start(dir, &format!("node-{i}"), shared, false, extra).await?;
        s.token = token.clone();
        servers.push(s);
    }
    Ok(servers)
}

/// Signs the admin in and issues a token named `name` with read and every event kind over the
/// whole tree.
pub(super) async fn admin_token(base: &str, name: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::new();
    let session: Value = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"login": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let admin = session["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("the admin could not sign in: {session}"))?;
    let token: Value = client
        .post(format!("{base}/api/v1/tokens"))
        .bearer_auth(admin)
        .json(&json!({"name": name, "units": ["*"], "permissions": crate::auth::ALL_PERMISSIONS}))
        .send()
        .await?
        .json()
        .await?;
    token["token"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| anyhow::anyhow!("no token issued: {token}"))
}

/// A client that sends the benchmark's token.
pub(super) fn authed(token: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .build()?)
}

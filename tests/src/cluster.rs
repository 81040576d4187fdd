//! Nodes of one cluster inside a test: each binds its loopback listener first (its address is
//! what the others forward writes to), opens on the shared PostgreSQL and Redis and serves until
//! stopped. They share nothing in memory but what any two processes would.

use serde_json::{json, Value};
use std::net::SocketAddr;
use tokio::sync::oneshot;

pub struct ClusterNode {
    pub addr: SocketAddr,
    pub base: String,
    pub node: ioc::Node,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

/// Opens a node of the cluster on `url` (PostgreSQL) and `redis`, with a manual clock.
pub async fn cluster_node(url: &str, redis: &str) -> ClusterNode {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (node, tasks) = ioc::open_cluster(
        url,
        ioc::clock::ClockMode::Manual,
        crate::test_limits(),
        &[],
        crate::test_notify(),
        ioc::ClusterOptions {
            redis_url: redis.to_string(),
            address: format!("http://{addr}"),
        },
    )
    .await
    .expect("a cluster node opens");
    if node.cluster.writes_here() {
        ioc::ingest::accounts::first_run(
            &node.writer,
            &node.auth,
            Some(crate::ADMIN_PASSWORD.to_string()),
        )
        .await
        .expect("the first admin");
    }
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = node.clone();
    let server = tokio::spawn(async move {
        ioc::serve(listener, serving.clone(), async {
            let _ = stopped.await;
        })
        .await
        .expect("serve");
        ioc::close(serving, tasks).await;
    });
    ClusterNode {
        addr,
        base: format!("http://{addr}"),
        node,
        stop: Some(stop),
        server: Some(server),
    }
}

impl ClusterNode {
    /// Stops serving and closes the node (its writer commits what is queued, its lease goes).
    pub async fn stop(mut self) {
        let node = self.node.clone();
        drop(node);
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let server = self.server.take();
        drop(self);
        if let Some(s) = server {
            let _ = s.await;
        }
    }

    pub async fn ready(&self) -> (u16, Value) {
        let r = reqwest::get(format!("{}/readyz", self.base))
            .await
            .expect("GET /readyz");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn role(&self) -> String {
        self.ready().await.1["role"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits (up to 10 s) until this node has applied the change log up to `n` (records that
    /// change no figure included: accounts, tokens, silences).
    pub async fn wait_for_log(&self, n: u64) {
        let start = std::time::Instant::now();
        while self.node.cluster.applied() < n {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "{} stayed at record {} waiting for {n}",
                self.base,
                self.node.cluster.applied()
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Waits (up to 10 s) until this node has applied commit `n`.
    pub async fn wait_for_commit(&self, n: u64) {
        let start = std::time::Instant::now();
        while self.node.rollup.commit() < n {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "{} stayed at commit {} waiting for {n}",
                self.base,
                self.node.rollup.commit()
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// A GET with a bearer credential: (status, JSON).
pub async fn get_as(base: &str, cred: &str, path: &str) -> (u16, Value) {
    let r = crate::bearer_client(cred)
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("GET");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A POST with a bearer credential: (status, JSON).
pub async fn post_as(base: &str, cred: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = crate::bearer_client(cred)
        .post(format!("{base}{path}"))
        .json(body)
        .send()
        .await
        .expect("POST");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Sets the clock and loads `fixture_catalog()` through `base` as `admin`.
pub async fn load_fixture_through(base: &str, admin: &str) {
    let (status, body) = post_as(base, admin, "/api/v1/clock", &json!({"now": crate::START})).await;
    assert_eq!(status, 200, "clock: {body}");
    let c = crate::fixture_catalog();
    for (path, key) in [
        ("/api/v1/units", "units"),
        ("/api/v1/people", "people"),
        ("/api/v1/kpis", "kpis"),
        ("/api/v1/objectives", "objectives"),
        ("/api/v1/key-results", "key_results"),
    ] {
        for item in c[key].as_array().expect("array") {
            let (status, body) = post_as(base, admin, path, item).await;
            assert_eq!(status, 201, "POST {path} {item}: {body}");
        }
    }
}

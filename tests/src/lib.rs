//! Helpers for the end-to-end tests: start the real server on port 0 with its own database,
//! talk to it over real sockets, load a small fixture city, and reach PostgreSQL when present.

pub mod access;
pub mod browser;
pub mod cluster;
pub mod notify;
pub mod redis;

use ioc::clock::ClockMode;
use serde_json::{json, Value};
use std::net::SocketAddr;
use tokio::sync::oneshot;

pub const START: &str = "2026-11-02T08:00:00+07:00";

/// The first-run admin's password in every test server (login `admin`, admin of the whole
/// tree); processes get it through `IOC_ADMIN_PASSWORD`.
pub const ADMIN_PASSWORD: &str = "test-admin-password-1";

/// A running server with its own SQLite file (or a given database URL).
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    /// Sends `Authorization: Bearer <token>` (the admin's session) with every request.
    pub client: reqwest::Client,
    /// The admin's session token (also valid as the `ioc_session` cookie).
    pub token: String,
    /// An API token for every event kind over the whole tree, with read: the integration feed
    /// the tests' events come through (`post_events`, `ingest`, PUT of tasks use it), since the
    /// admin may not change numbers it is not responsible for.
    pub feed_token: String,
    pub feed: reqwest::Client,
    /// A leader of the whole tree linked to no person: accepts, returns, judges, cancels and
    /// reopens the tasks that name no accountable person (SECURITY.md: a person decides these,
    /// never an integration's token, and never the task's responsible person). `ingest` sends
    /// such events through it.
    pub acceptor: reqwest::Client,
    pub database_url: String,
    /// The notification settings it runs with (kept by a restart).
    pub notify: ioc::notify::NotifyConfig,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let mut app = spawn_app_on(&url).await;
    app._dir = Some(dir);
    app
}

/// Starts a node on `url` with a manual clock, bound to 127.0.0.1:0.
pub async fn spawn_app_on(url: &str) -> TestApp {
    spawn_app_with_rules(url, &[]).await
}

/// As `spawn_app_on`, with alert rules from these files (none: the default pack).
pub async fn spawn_app_with_rules(url: &str, rules: &[std::path::PathBuf]) -> TestApp {
    spawn_app_full(url, rules, test_limits()).await
}

/// The limits most tests run with: a 1 MiB body and no request-rate limit (tests send bursts
/// a person never would; `limits.rs` tests the rate limit itself).
pub fn test_limits() -> ioc::http::Limits {
    ioc::http::Limits {
        max_body_bytes: 1024 * 1024,
        auth: ioc::auth::AuthConfig {
            rate_per_minute: 0,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The notification settings of test servers: receivers on loopback over plain HTTP are
/// allowed (they are what the tests start), retries come quickly (the backoff is about the
/// network, in real time).
pub fn test_notify() -> ioc::notify::NotifyConfig {
    ioc::notify::NotifyConfig {
        allow_private_addresses: true,
        allow_plain_http: true,
        retry_min: std::time::Duration::from_millis(20),
        retry_max: std::time::Duration::from_millis(200),
        timeout: std::time::Duration::from_secs(5),
        // Reminders add notices of their own as the clock moves; the tests that count notices
        // were written without them, and `tests/tests/reminders.rs` turns them on.
        reminders: ioc::notify::remind::Reminders {
            enabled: false,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A server with its own SQLite file and these notification settings.
pub async fn spawn_app_notify(notify: ioc::notify::NotifyConfig) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let mut app = spawn_app_notify_on(&url, notify).await;
    app._dir = Some(dir);
    app
}

/// A server on `url` (SQLite or a fresh PostgreSQL database) with these notification settings.
pub async fn spawn_app_notify_on(url: &str, notify: ioc::notify::NotifyConfig) -> TestApp {
    spawn_app_notify_with(url, &[], notify).await
}

/// As `spawn_app_notify_on`, with the rules of these files.
pub async fn spawn_app_notify_with(
    url: &str,
    rules: &[std::path::PathBuf],
    notify: ioc::notify::NotifyConfig,
) -> TestApp {
    spawn_app_at(
        url,
        rules,
        test_limits(),
        "127.0.0.1:0",
        ClockMode::Manual,
        Default::default(),
        notify,
    )
    .await
}

/// A server with its own SQLite file and these limits (live tick, queues, timeouts).
pub async fn spawn_app_with_limits(limits: ioc::http::Limits) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let mut app = spawn_app_full(&url, &[], limits).await;
    app._dir = Some(dir);
    app
}

/// A server on `url` (e.g. a fresh PostgreSQL database) with these limits.
pub async fn spawn_app_with_limits_on(url: &str, limits: ioc::http::Limits) -> TestApp {
    spawn_app_full(url, &[], limits).await
}

async fn spawn_app_full(
    url: &str,
    rules: &[std::path::PathBuf],
    limits: ioc::http::Limits,
) -> TestApp {
    spawn_app_at(
        url,
        rules,
        limits,
        "127.0.0.1:0",
        ClockMode::Manual,
        Default::default(),
        test_notify(),
    )
    .await
}

/// A server with its own SQLite file on the system clock (ticking every second, as in
/// production) and these web UI settings.
pub async fn spawn_app_on_system_clock(dashboard: ioc::http::web::DashboardConfig) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let mut app = spawn_app_at(
        &url,
        &[],
        Default::default(),
        "127.0.0.1:0",
        ClockMode::System,
        dashboard,
        test_notify(),
    )
    .await;
    app._dir = Some(dir);
    app
}

async fn spawn_app_at(
    url: &str,
    rules: &[std::path::PathBuf],
    limits: ioc::http::Limits,
    bind: &str,
    clock: ClockMode,
    dashboard: ioc::http::web::DashboardConfig,
    notify: ioc::notify::NotifyConfig,
) -> TestApp {
    let (mut node, tasks) = ioc::open_with(url, clock, limits, rules, notify.clone())
        .await
        .expect("node opens");
    node.dashboard = std::sync::Arc::new(dashboard);
    ioc::ingest::accounts::first_run(&node.writer, &node.auth, Some(ADMIN_PASSWORD.into()))
        .await
        .expect("the first-run admin");
    let listener = tokio::net::TcpListener::bind(bind).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        ioc::serve(listener, node.clone(), async {
            let _ = stopped.await;
        })
        .await
        .expect("serve");
        ioc::close(node, tasks).await;
    });
    let base = format!("http://{addr}");
    let (token, feed_token) = credentials(&base).await;
    let acceptor = acceptor_session(&base, &token).await;
    TestApp {
        addr,
        client: bearer_client(&token),
        feed: bearer_client(&feed_token),
        acceptor: bearer_client(&acceptor),
        token,
        feed_token,
        base,
        database_url: url.to_string(),
        notify,
        stop: Some(stop),
        server: Some(server),
        _dir: None,
    }
}

impl TestApp {
    /// Graceful stop: waits until the writer has committed everything and the node is closed.
    /// Returns the temp dir (if any) so the database outlives the stop.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.server.take() {
            h.await.expect("server task");
        }
        self._dir.take()
    }

    /// Stops and starts again on the same database: the rollup is rebuilt from the store.
    pub async fn restart(self) -> TestApp {
        let url = self.database_url.clone();
        let notify = self.notify.clone();
        let dir = self.stop().await;
        let mut app = spawn_app_notify_on(&url, notify).await;
        app._dir = dir;
        app
    }

    /// Stops the server but keeps its database and address, to start it again later as an
    /// operator restarting it would: screens that were connected find it where they left it.
    pub async fn stop_keeping_database(self) -> Stopped {
        let url = self.database_url.clone();
        let addr = self.addr.to_string();
        let notify = self.notify.clone();
        let dir = self.stop().await;
        Stopped {
            url,
            addr,
            dir,
            notify,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Keeps this folder (the database, rule files) for as long as the app lives.
    pub fn set_dir(&mut self, dir: tempfile::TempDir) {
        self._dir = Some(dir);
    }

    /// The upgrade request for `/ws`, signed in as the admin (for raw tungstenite clients).
    pub fn ws_request(&self) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        ws_request(
            &self.addr.to_string(),
            &[("authorization", format!("Bearer {}", self.token))],
        )
    }

    /// Opens a live WebSocket as the admin and reads its `hello`.
    pub async fn ws(&self) -> Ws {
        match self.ws_with(Some(&self.token)).await {
            Ok(ws) => ws,
            Err(status) => panic!("WebSocket upgrade refused with {status}"),
        }
    }

    /// Opens a live WebSocket with these credentials (a bearer token; none: anonymous) and
    /// reads its `hello`; `Err(status)` when the upgrade is refused.
    pub async fn ws_with(&self, credential: Option<&str>) -> Result<Ws, u16> {
        let headers: Vec<(&str, String)> = credential
            .map(|c| ("authorization", format!("Bearer {c}")))
            .into_iter()
            .collect();
        ws_connect(&self.addr.to_string(), &headers)
            .await
            .map_err(|(status, _)| status)
    }

    /// A client that sends no credentials.
    pub fn anonymous_client(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    /// Creates an account through the API (as the admin) with the password
    /// `"{id}-password-1"`, linked to `person`, with these (role, unit) grants; signs it in and
    /// returns its session token.
    pub async fn account(&self, id: &str, person: Option<&str>, grants: &[(&str, &str)]) -> String {
        let grants: Vec<Value> = grants
            .iter()
            .map(|(role, unit)| json!({"role": role, "unit": unit}))
            .collect();
        let password = format!("{id}-password-1");
        let (status, body) = self
            .post(
                "/api/v1/accounts",
                &json!({"id": id, "name": id, "person": person, "password": password, "grants": grants}),
            )
            .await;
        assert_eq!(status, 201, "creating account {id}: {body}");
        sign_in(&self.base, id, &password)
            .await
            .unwrap_or_else(|e| panic!("account {id} signs in: {e}"))
    }

    /// Sends a request with these credentials (none: anonymous): (status, JSON body).
    pub async fn send_as(
        &self,
        credential: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut r = reqwest::Client::new().request(method, self.url(path));
        if let Some(c) = credential {
            r = r.bearer_auth(c);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let r = r.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).send().await.expect("GET");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Sends as the admin, or, for events and task changes, through the feed token.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let event = path.starts_with("/api/v1/events")
            || (method == reqwest::Method::PUT && path.starts_with("/api/v1/tasks/"));
        let client = if event { &self.feed } else { &self.client };
        let r = client
            .request(method, self.url(path))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    pub async fn post_events(&self, events: &Value) -> (u16, Value) {
        self.post("/api/v1/events", events).await
    }

    /// Posts events and insists they were accepted: the integration feed sends them, except
    /// the decisions only a person takes (acceptance, return, quality, cancelling), which the
    /// acceptor sends; runs of each go in order, one request per run. Answers the last request's
    /// report with `accepted` and `duplicates` summed over the runs.
    /// Ingests `events` (one request) and checks each was new: all accepted, none a duplicate.
    pub async fn ingest_new(&self, events: Value) -> Value {
        let n = events.as_array().map_or(1, Vec::len) as u64;
        let report = self.ingest(events).await;
        assert_eq!(
            (report["accepted"].as_u64(), report["duplicates"].as_u64()),
            (Some(n), Some(0)),
            "every event new: {report}"
        );
        report
    }

    pub async fn ingest(&self, events: Value) -> Value {
        let decides = |e: &Value| {
            matches!(
                e["status"].as_str(),
                Some("accepted" | "returned" | "cancelled")
            ) || !e["quality"].is_null()
        };
        let list = events.as_array().cloned().unwrap_or_else(|| vec![events]);
        let mut runs: Vec<(bool, Vec<Value>)> = Vec::new();
        for e in list {
            let d = decides(&e);
            match runs.last_mut() {
                Some((kind, run)) if *kind == d => run.push(e),
                _ => runs.push((d, vec![e])),
            }
        }
        let (mut accepted, mut duplicates) = (0, 0);
        let mut last = Value::Null;
        for (decision, run) in runs {
            let client = if decision { &self.acceptor } else { &self.feed };
            let r = client
                .post(self.url("/api/v1/events"))
                .json(&run)
                .send()
                .await
                .expect("POST /api/v1/events");
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert_eq!(status, 200, "ingest refused: {body}");
            accepted += body["accepted"].as_u64().unwrap_or(0);
            duplicates += body["duplicates"].as_u64().unwrap_or(0);
            last = body;
        }
        if last.is_object() {
            last["accepted"] = accepted.into();
            last["duplicates"] = duplicates.into();
        }
        last
    }

    /// Whose ids the feed token's events carry (`token:<id>`), to read them back from the log.
    pub fn feed_source(&self) -> String {
        source_of_token(&self.feed_token)
    }

    /// Posts events with this session (a person's own decisions) and insists they were accepted.
    pub async fn ingest_as(&self, session: &str, events: Value) -> Value {
        let (status, body) = self
            .send_as(
                Some(session),
                reqwest::Method::POST,
                "/api/v1/events",
                Some(&events),
            )
            .await;
        assert_eq!(status, 200, "ingest refused: {body}");
        body
    }

    pub async fn set_clock(&self, now: &str) {
        let (status, body) = self.post("/api/v1/clock", &json!({ "now": now })).await;
        assert_eq!(status, 200, "clock: {body}");
    }

    /// Loads `fixture_catalog()` through the REST API.
    pub async fn load_fixture(&self) {
        cluster::load_fixture_through(&self.base, &self.token).await;
    }
}

/// A stopped server's database and address.
pub struct Stopped {
    url: String,
    addr: String,
    dir: Option<tempfile::TempDir>,
    notify: ioc::notify::NotifyConfig,
}

impl Stopped {
    /// Starts the server again on the same database and address.
    pub async fn start_again(self) -> TestApp {
        let mut app = spawn_app_at(
            &self.url,
            &[],
            test_limits(),
            &self.addr,
            ClockMode::Manual,
            Default::default(),
            self.notify,
        )
        .await;
        app._dir = self.dir;
        app
    }
}

/// The upgrade request for `/ws` on `addr` with these headers.
pub fn ws_request(
    addr: &str,
    headers: &[(&str, String)],
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/ws")
        .into_client_request()
        .expect("a WebSocket request");
    for (name, value) in headers {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                .expect("a header name"),
            value.parse().expect("a header value"),
        );
    }
    request
}

/// Opens `/ws` on `addr` with these request headers and reads `hello`; a refused upgrade gives
/// its status and JSON body (status 0: the connection itself failed).
pub async fn ws_connect(addr: &str, headers: &[(&str, String)]) -> Result<Ws, (u16, Value)> {
    match tokio_tungstenite::connect_async(ws_request(addr, headers)).await {
        Ok((stream, _)) => {
            let mut ws = Ws::new(stream);
            let hello = ws.next().await;
            assert_eq!(hello["type"], "hello", "{hello}");
            Ok(ws)
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            let body = r
                .body()
                .as_ref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Err((r.status().as_u16(), body))
        }
        Err(e) => Err((0, json!({"transport": e.to_string()}))),
    }
}

/// Signs in with a password and returns the session token.
pub async fn sign_in(base: &str, login: &str, password: &str) -> Result<String, String> {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body: Value = r.json().await.map_err(|e| e.to_string())?;
    match body["token"].as_str() {
        Some(t) if status.is_success() => Ok(t.to_string()),
        _ => Err(format!("{status}: {body}")),
    }
}

/// Signs the admin in on a test server and issues the feed token: (admin session, feed token).
pub async fn credentials(base: &str) -> (String, String) {
    let admin = sign_in(base, "admin", ADMIN_PASSWORD)
        .await
        .expect("the admin signs in");
    let r = bearer_client(&admin)
        .post(format!("{base}/api/v1/tokens"))
        .json(&json!({
            "name": "test feed",
            "units": ["*"],
            "permissions": ["read", "task", "kr_checkin", "kpi_observation", "satisfaction_rating"]
        }))
        .send()
        .await
        .expect("POST /api/v1/tokens");
    let body: Value = r.json().await.expect("a JSON answer");
    let feed = body["token"]
        .as_str()
        .unwrap_or_else(|| panic!("the feed token: {body}"))
        .to_string();
    (admin, feed)
}

/// Whose ids an API token's events carry when it declares no source: `token:<id>`.
pub fn source_of_token(token: &str) -> String {
    let id = token
        .trim_start_matches("ioct_")
        .split('_')
        .next()
        .unwrap_or_default();
    format!("token:{id}")
}

/// The acceptor's session (a leader of the whole tree linked to no person), made once per
/// database and signed in again after a restart.
pub async fn acceptor_session(base: &str, admin: &str) -> String {
    let password = "acceptor-password-1";
    let r = bearer_client(admin)
        .post(format!("{base}/api/v1/accounts"))
        .json(
            &json!({"id": "acceptor", "name": "Người nghiệm thu (kiểm thử)", "password": password,
                      "grants": [{"role": "leader", "unit": "*"}]}),
        )
        .send()
        .await
        .expect("POST /api/v1/accounts");
    assert!(
        r.status().as_u16() == 201 || r.status().as_u16() == 409,
        "the acceptor account: {}",
        r.status()
    );
    sign_in(base, "acceptor", password)
        .await
        .expect("the acceptor signs in")
}

/// A client that sends this bearer token with every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("a header value"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client")
}

/// A small city: hn > (so-a > so-a.p1), (p-1 > p-1.vh), p-2; two people per leaf unit; KPIs for
/// each index group; one city objective with two key results and a ward objective aligned to it.
pub fn fixture_catalog() -> Value {
    json!({
        "units": [
            {"id": "hn", "name": "Thành phố Hà Nội", "level": "city"},
            {"id": "so-a", "name": "Sở Tài chính", "level": "department", "parent": "hn"},
            {"id": "so-a.p1", "name": "Phòng Ngân sách", "level": "division", "parent": "so-a"},
            {"id": "p-1", "name": "Phường Hoàn Kiếm", "level": "ward", "parent": "hn"},
            {"id": "p-1.vh", "name": "Phòng Văn hóa - Xã hội", "level": "division", "parent": "p-1"},
            {"id": "p-2", "name": "Phường Ba Đình", "level": "ward", "parent": "hn"}
        ],
        "people": [
            {"id": "a1", "name": "Nguyễn Văn An", "unit": "so-a", "position": "Giám đốc Sở"},
            {"id": "a2", "name": "Trần Thị Bình", "unit": "so-a.p1", "position": "Chuyên viên"},
            {"id": "w1", "name": "Lê Văn Cường", "unit": "p-1", "position": "Chủ tịch UBND phường"},
            {"id": "w2", "name": "Phạm Thị Dung", "unit": "p-1.vh", "position": "Chuyên viên"},
            {"id": "w3", "name": "Hoàng Minh Đức", "unit": "p-2", "position": "Chủ tịch UBND phường"},
            {"id": "w4", "name": "Vũ Thu Hà", "unit": "p-2", "position": "Cán bộ"}
        ],
        "kpis": [
            {"code": "TTHC", "name": "Tỷ lệ hồ sơ giải quyết đúng hạn", "formula": "đúng hạn / tổng", "data_source": "Một cửa", "unit_of_measure": "%",
             "thresholds": {"direction": "higher_is_better", "green": 95, "red": 85}, "frequency": "monthly", "group": "service",
             "leading_unit": "so-a", "measured_units": ["p-1", "p-2"]},
            {"code": "KN", "name": "Số đơn khiếu nại tồn đọng", "unit_of_measure": "đơn",
             "thresholds": {"direction": "lower_is_better", "green": 2, "red": 5}, "frequency": "monthly", "group": "internal",
             "leading_unit": "p-1"},
            {"code": "DT", "name": "Tỷ lệ thực hiện dự toán", "unit_of_measure": "%",
             "thresholds": {"direction": "in_band", "green_low": 95, "green_high": 105, "red_low": 90, "red_high": 110}, "frequency": "quarterly", "group": "development",
             "leading_unit": "so-a"},
            {"code": "DV", "name": "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ", "unit_of_measure": "%",
             "thresholds": {"direction": "higher_is_better", "green": 90, "red": 80}, "frequency": "yearly", "group": "party",
             "leading_unit": "hn"}
        ],
        "objectives": [
            {"id": "o-city", "unit": "hn", "title": "Chính quyền phục vụ", "period": "2026"},
            {"id": "o-p1", "unit": "p-1", "title": "Giải quyết hồ sơ đúng hạn", "period": "2026-Q4", "parent": "o-city", "owner": "w1"}
        ],
        "key_results": [
            {"id": "kr-1", "objective": "o-city", "title": "Hồ sơ trực tuyến", "start": 40, "target": 80, "unit_of_measure": "%"},
            {"id": "kr-2", "objective": "o-city", "title": "Thời gian xử lý", "start": 10, "target": 5, "unit_of_measure": "ngày"},
            {"id": "kr-3", "objective": "o-p1", "title": "Hồ sơ đúng hạn", "start": 80, "target": 100, "unit_of_measure": "%"}
        ]
    })
}

/// Gives the fixture's city and wards their leaders (alerts are addressed to them).
pub async fn with_leaders(app: &TestApp) {
    for (id, name, level, parent, leader) in [
        ("hn", "Thành phố Hà Nội", "city", None, "a1"),
        ("p-2", "Phường Ba Đình", "ward", Some("hn"), "w3"),
        ("p-1", "Phường Hoàn Kiếm", "ward", Some("hn"), "w1"),
    ] {
        let (status, body) = app
            .send(reqwest::Method::PUT, &format!("/api/v1/units/{id}"), &json!({"id": id, "name": name, "level": level, "parent": parent, "leader": leader}))
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

/// A task-creation event.
pub fn task_event(id: &str, task: &str, responsible: &str, deadline: &str, at: &str) -> Value {
    json!({"type": "task", "id": id, "at": at, "task_id": task, "title": format!("Nhiệm vụ {task}"),
           "responsible": responsible, "deadline": deadline})
}

/// The PostgreSQL server the tests may use: `IOC_TEST_POSTGRES_URL` (an admin URL; each test
/// makes its own database). Without it the test says loudly that it skipped, unless
/// `IOC_REQUIRE_POSTGRES=1` (set by `.ci/run`), where a missing server is a failure.
pub fn postgres_admin_url(test: &str) -> Option<String> {
    match std::env::var("IOC_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("IOC_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("{test}: IOC_REQUIRE_POSTGRES=1 but IOC_TEST_POSTGRES_URL is not set");
            }
            eprintln!("\n!!! SKIPPED {test}: PostgreSQL not configured (set IOC_TEST_POSTGRES_URL, as .ci/run does) !!!\n");
            None
        }
    }
}

/// Creates a fresh database on the PostgreSQL server and returns its URL.
pub async fn fresh_postgres_db(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("ioc_test_{}_{}", std::process::id(), rand_suffix());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let (base, _) = admin_url.rsplit_once('/').expect("URL has a database part");
    let query = admin_url
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{base}/{name}{query}")
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    t * 1000 + N.fetch_add(1, Ordering::Relaxed)
}

/// Reads a child's output on a thread (to the end, so the child never blocks on a full pipe)
/// and sends the first value `pick` finds in a line.
pub fn first_in_output<T: Send + 'static>(
    out: impl std::io::Read + Send + 'static,
    pick: impl Fn(&str) -> Option<T> + Send + 'static,
) -> std::sync::mpsc::Receiver<T> {
    use std::io::{BufRead, BufReader};
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if !sent {
                if let Some(v) = pick(&line) {
                    let _ = tx.send(v);
                    sent = true;
                }
            }
        }
    });
    rx
}

/// Starts the real binary (`bin`: the test's `CARGO_BIN_EXE_ioc-e2e`) on `url` with a manual
/// clock and returns it with its base URL, read from its "listening" log line. Address and
/// database come from the environment, as an operator would set them.
pub fn start_process(bin: &str, url: &str, extra: &[&str]) -> (std::process::Child, String) {
    // No request-rate limit: these tests ingest far faster than any person.
    let mut args = vec!["--clock", "manual", "--rate-limit-per-minute", "0"];
    args.extend_from_slice(extra);
    start_server_process(bin, url, &args, std::time::Duration::from_secs(60))
}

/// `ioc serve` with these arguments on `url`, bound to a free loopback port; waits up to `wait`
/// (a demo seed takes a while) for the address it logs.
pub fn start_server_process(
    bin: &str,
    url: &str,
    args: &[&str],
    wait: std::time::Duration,
) -> (std::process::Child, String) {
    let mut child = std::process::Command::new(bin)
        .args(["serve", "--log-format", "json"])
        .args(args)
        .env("IOC_BIND", "127.0.0.1:0")
        .env("IOC_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start ioc");
    let stderr = child.stderr.take().expect("stderr");
    let rx = first_in_output(stderr, |line| {
        let v = serde_json::from_str::<Value>(line).ok()?;
        v["addr"].as_str().map(String::from)
    });
    let addr = rx.recv_timeout(wait).expect("the server logs its address");
    (child, format!("http://{addr}"))
}

/// Waits for a server process that must refuse to start to exit; kills it and fails the test if
/// it is still running after `wait`.
pub fn exits_within(
    child: &mut std::process::Child,
    wait: std::time::Duration,
) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > wait {
            let _ = child.kill();
            panic!("the server kept running: it should have refused to start");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A live WebSocket client for tests: JSON in, JSON out, pings answered by tungstenite.
pub struct Ws {
    pub stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// Each view's state (seq, data), kept whole by applying patches as a screen does.
    views: std::collections::HashMap<(String, String), (u64, Value)>,
    /// Patch frames applied so far.
    pub patches: usize,
    /// Of those, the ones that carried a unit's summary whole rather than its changed fields.
    pub whole_summaries: usize,
    /// Changed child lines that named their unit with more than its id.
    pub named_lines: usize,
}

/// How long a test waits for a message that must come; a failure, not a timing claim.
pub const WS_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

impl Ws {
    pub fn new(
        stream: tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> Ws {
        Ws {
            stream,
            views: Default::default(),
            patches: 0,
            whole_summaries: 0,
            named_lines: 0,
        }
    }

    /// Keeps the view state: a `view` frame replaces it, a `patch` applies to it (and must name
    /// the seq this client has as its base). Patches come back as the whole view they make.
    fn track(&mut self, v: Value) -> Value {
        let key = (
            v["view"].as_str().unwrap_or_default().to_string(),
            v["id"].as_str().unwrap_or_default().to_string(),
        );
        if v["type"] == "view" {
            self.views
                .insert(key, (v["seq"].as_u64().unwrap(), v["data"].clone()));
            return v;
        }
        if v["type"] != "patch" {
            return v;
        }
        let (seq, data) = self
            .views
            .get_mut(&key)
            .unwrap_or_else(|| panic!("a patch for a view this client has no state of: {v}"));
        assert_eq!(
            Some(*seq),
            v["base"].as_u64(),
            "a patch whose base is not the state this client has: {v}"
        );
        let mut named_lines = 0;
        for (k, new) in v["data"].as_object().expect("patch data").iter() {
            if let Some(list) = k.strip_suffix("_changed") {
                let id_of = |line: &Value| match list {
                    "children" => line["unit"]["id"].clone(),
                    "groups" => line["key"].clone(),
                    _ => line["code"].clone(),
                };
                let lines = data[list].as_array_mut().expect("a keyed list");
                for line in new.as_array().expect("changed lines") {
                    let at = lines
                        .iter()
                        .position(|l| id_of(l) == id_of(line))
                        .unwrap_or_else(|| {
                            panic!("a changed line that is not in the view: {line}")
                        });
                    if list == "children" && line["unit"].as_object().is_some_and(|u| u.len() > 1) {
                        named_lines += 1;
                    }
                    // A changed line carries its key and the fields that changed; a child's
                    // unit is named by its id only, so the line keeps its name and level.
                    for (field, value) in line.as_object().expect("a line") {
                        if !(list == "children" && field == "unit") {
                            lines[at][field] = value.clone();
                        }
                    }
                }
            } else if let Some(field) = k.strip_suffix("_fields") {
                // Only the changed fields of an object, nested objects likewise.
                fn set_fields(target: &mut Value, part: &Value) {
                    for (f, x) in part.as_object().expect("changed fields") {
                        if x.is_object() && target[f].is_object() {
                            set_fields(&mut target[f], x);
                        } else {
                            target[f] = x.clone();
                        }
                    }
                }
                assert!(
                    data[field].is_object(),
                    "changed fields of a field that is not an object: {v}"
                );
                set_fields(&mut data[field], new);
            } else {
                data[k] = new.clone();
            }
        }
        *seq = v["seq"].as_u64().unwrap();
        self.patches += 1;
        self.named_lines += named_lines;
        if v["data"].get("summary").is_some() {
            self.whole_summaries += 1;
        }
        json!({"type": "view", "view": key.0, "id": key.1, "seq": *seq, "commit": v["commit"], "data": data.clone(), "patched": true})
    }

    pub async fn send_json(&mut self, v: &Value) {
        self.send_text(&v.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        use futures_util::SinkExt;
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
            .await
            .expect("send");
    }

    pub async fn subscribe(&mut self, view: &str, id: &str) {
        self.send_json(&json!({"op": "subscribe", "view": view, "id": id}))
            .await;
    }

    /// The next text message as JSON; panics on close or after `WS_WAIT`.
    pub async fn next(&mut self) -> Value {
        match self.next_message().await {
            WsEvent::Json(v) => v,
            WsEvent::Closed(code) => panic!("the server closed the WebSocket ({code:?})"),
        }
    }

    /// The next text message, or the close code if the server closed instead.
    pub async fn next_message(&mut self) -> WsEvent {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let msg = tokio::time::timeout(WS_WAIT, self.stream.next())
                .await
                .expect("a message within the wait");
            match msg {
                Some(Ok(Message::Text(t))) => {
                    let v = serde_json::from_str(t.as_str()).expect("JSON text");
                    return WsEvent::Json(self.track(v));
                }
                Some(Ok(Message::Close(frame))) => {
                    return WsEvent::Closed(frame.map(|f| u16::from(f.code)))
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return WsEvent::Closed(None),
            }
        }
    }

    /// Reads until a message matches; returns it.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WS_WAIT;
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no message matching {what} within the wait"
            );
            let v = self.next().await;
            if pred(&v) {
                return v;
            }
        }
    }

    /// Reads `n` more alert frames into `ids`, checking each id is above the one before (no
    /// alert out of order or twice).
    pub async fn read_alerts(&mut self, ids: &mut Vec<i64>, n: usize) {
        let mut read = 0;
        while read < n {
            let v = self.next().await;
            if v["type"] == "alert" {
                let id = v["id"].as_i64().expect("an alert's id");
                if let Some(prev) = ids.last() {
                    assert!(id > *prev, "alert {id} after {prev}: out of order or twice");
                }
                ids.push(id);
                read += 1;
            }
        }
    }

    /// Reads alert frames until the newest of `history` (`GET /api/v1/alerts/history`) after
    /// `start` has come, and checks that `ids` then holds exactly those entries, in order: the
    /// feed lost none and sent none twice. At least `at_least` are expected.
    pub async fn read_alerts_to_history(
        &mut self,
        ids: &mut Vec<i64>,
        history: &Value,
        start: i64,
        at_least: usize,
    ) {
        let mut expected: Vec<i64> = history
            .as_array()
            .expect("the history")
            .iter()
            .map(|h| h["seq"].as_i64().expect("seq"))
            .filter(|s| *s > start)
            .collect();
        expected.sort();
        assert!(
            expected.len() >= at_least,
            "every flip is a transition: {}",
            expected.len()
        );
        let newest = *expected.last().expect("a transition");
        while ids.last() != Some(&newest) {
            self.read_alerts(ids, 1).await;
        }
        assert_eq!(
            *ids, expected,
            "the feed delivered exactly the history, in order"
        );
    }

    /// The view (view, id) as of `commit` or later: from what this client already received, or
    /// by reading until it arrives. Frames of different views come in no set order.
    pub async fn view_at(&mut self, view: &str, id: &str, commit: u64) -> Value {
        if let Some((seq, data)) = self.views.get(&(view.to_string(), id.to_string())) {
            if data["commit"].as_u64().unwrap_or(0) >= commit {
                return json!({"type": "view", "view": view, "id": id, "seq": seq, "commit": data["commit"], "data": data});
            }
        }
        self.until(&format!("{view} {id} at commit {commit}"), |v| {
            v["type"] == "view"
                && v["view"] == view
                && v["id"] == id
                && v["commit"].as_u64().unwrap_or(0) >= commit
        })
        .await
    }
}

#[derive(Debug)]
pub enum WsEvent {
    Json(Value),
    Closed(Option<u16>),
}

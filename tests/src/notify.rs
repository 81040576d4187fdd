//! Real receivers on loopback for the notification tests: a webhook receiver (axum on a real
//! socket) that keeps every request, checks its signature and can fail, answer slowly or hang on
//! demand; and an SMTP server in the test process (`mailin-embedded`: real SMTP over a real
//! socket) that keeps every message it is given, as sent.

use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a test waits for a delivery that must come: a failure, not a timing claim.
pub const WAIT: Duration = Duration::from_secs(30);

/// One request the webhook receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// The path it was sent to (one receiver serves several contact points by path).
    pub path: String,
    /// `X-IOC-Delivery` (also the body's `id` for webhooks).
    pub delivery: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether `X-IOC-Signature` matched the body (None: the receiver has no secret).
    pub signature_ok: Option<bool>,
    /// What the receiver answered (0: it never answered).
    pub status: u16,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct HookState {
    received: Mutex<Vec<Received>>,
    /// Requests still to answer with 500.
    fail: AtomicUsize,
    /// Answer (from now on) with this JSON body instead of `{"ok": true}`.
    answer: Mutex<Option<Value>>,
    /// Never answer (the sender's timeout must end it).
    hang: std::sync::atomic::AtomicBool,
    /// Answer after this many ms.
    delay_ms: AtomicU64,
    /// Requests being answered right now.
    active: AtomicUsize,
    secret: Option<String>,
    seen: tokio::sync::Notify,
}

/// A webhook receiver on 127.0.0.1.
pub struct Hook {
    pub addr: SocketAddr,
    state: Arc<HookState>,
}

fn signature(secret: &str, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn take(
    axum::extract::State(state): axum::extract::State<Arc<HookState>>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, String) {
    state.active.fetch_add(1, Ordering::SeqCst);
    // A request under way is something to wait for too (`until` looks again).
    state.seen.notify_waiters();
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let signature_ok = state
        .secret
        .as_ref()
        .map(|s| find("x-ioc-signature").as_deref() == Some(signature(s, &body).as_str()));
    let mut r = Received {
        path: uri.path().to_string(),
        delivery: find("x-ioc-delivery").unwrap_or_default(),
        headers,
        body: body.to_vec(),
        signature_ok,
        status: 0,
    };
    if state.hang.load(Ordering::SeqCst) {
        state.received.lock().unwrap().push(r.clone());
        state.seen.notify_waiters();
        // The sender's timeout ends this request; the receiver never answers it.
        std::future::pending::<()>().await;
    }
    let delay = state.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let failing = state
        .fail
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let (status, text) = if failing {
        (500, "{\"error\":\"not now\"}".to_string())
    } else {
        let answer = state.answer.lock().unwrap().clone();
        (
            200,
            answer.map_or_else(|| "{\"ok\":true}".into(), |v| v.to_string()),
        )
    };
    r.status = status;
    state.received.lock().unwrap().push(r);
    state.active.fetch_sub(1, Ordering::SeqCst);
    state.seen.notify_waiters();
    (
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK),
        text,
    )
}

impl Hook {
    /// Starts a receiver; with a secret it checks `X-IOC-Signature` on every request.
    pub async fn start(secret: Option<&str>) -> Hook {
        let state = Arc::new(HookState {
            secret: secret.map(String::from),
            ..HookState::default()
        });
        let app = axum::Router::new()
            .fallback(axum::routing::any(take))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the webhook receiver");
        let addr = listener.local_addr().expect("its address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Hook { addr, state }
    }

    /// The receiver's URL at `path` (`/hook`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers the next `n` requests with 500.
    pub fn fail_next(&self, n: usize) {
        self.state.fail.store(n, Ordering::SeqCst);
    }

    /// Never answers from now on (or answers again).
    pub fn hang(&self, on: bool) {
        self.state.hang.store(on, Ordering::SeqCst);
    }

    pub fn delay(&self, ms: u64) {
        self.state.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// The JSON it answers successful requests with.
    pub fn answer(&self, body: Value) {
        *self.state.answer.lock().unwrap() = Some(body);
    }

    /// Requests being answered now.
    pub fn active(&self) -> usize {
        self.state.active.load(Ordering::SeqCst)
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// The requests it answered with 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }

    /// Waits until `pick` of the received requests holds, up to `WAIT`.
    pub async fn until(&self, what: &str, pick: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let seen = self.state.seen.notified();
            let now = self.received();
            if pick(&now) {
                return now;
            }
            if tokio::time::timeout_at(deadline, seen).await.is_err() {
                let now = self.received();
                assert!(
                    pick(&now),
                    "the webhook receiver never saw {what}; it got {} requests: {:?}",
                    now.len(),
                    now.iter()
                        .map(|r| (&r.path, r.status, &r.delivery))
                        .collect::<Vec<_>>()
                );
                return now;
            }
        }
    }

    /// Waits for `n` requests answered with 2xx.
    pub async fn wait_accepted(&self, n: usize) -> Vec<Received> {
        self.until(&format!("{n} accepted requests"), |r| {
            r.iter().filter(|x| (200..300).contains(&x.status)).count() >= n
        })
        .await;
        self.accepted()
    }
}

/// A message the SMTP server was given.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and MIME body).
    pub data: Vec<u8>,
}

#[derive(Clone)]
struct Keep {
    mails: Arc<Mutex<Vec<Mail>>>,
    current: Option<Mail>,
}

impl mailin_embedded::Handler for Keep {
    fn data_start(
        &mut self,
        _domain: &str,
        from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::Response {
        self.current = Some(Mail {
            from: from.to_string(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(m) = &mut self.current {
            m.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        if let Some(m) = self.current.take() {
            self.mails.lock().unwrap().push(m);
        }
        mailin_embedded::response::OK
    }
}

/// An SMTP server on 127.0.0.1, in a thread of the test process.
pub struct Smtp {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl Smtp {
    pub fn start() -> Smtp {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the SMTP server");
        let port = listener.local_addr().expect("its address").port();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let mut server = mailin_embedded::Server::new(Keep {
            mails: mails.clone(),
            current: None,
        });
        server
            .with_name("mail.test.vn")
            .with_ssl(mailin_embedded::SslConfig::None)
            .expect("plain SMTP")
            .with_num_threads(2)
            .with_tcp_listener(listener);
        // It serves until the test process ends.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Smtp { port, mails }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits for `n` messages, polling (the server runs on its own threads), up to `WAIT`.
    pub async fn wait(&self, n: usize) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let m = self.mails();
            if m.len() >= n {
                return m;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the SMTP server got {} messages, not {n}",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Puts a person's contact points and policy as the admin; insists it was accepted.
pub async fn set_contact_points(app: &crate::TestApp, person: &str, body: Value) -> Value {
    let (status, answer) = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/people/{person}/contact-points"),
            &body,
        )
        .await;
    assert_eq!(status, 200, "PUT contact points of {person}: {answer}");
    answer
}

/// How many notices of `person` wait (all severities), as the admin sees the queue.
pub async fn waiting(app: &crate::TestApp, person: &str) -> i64 {
    let q = app.get_ok("/api/v1/notify/queue").await;
    q["waiting"]
        .as_array()
        .expect("waiting")
        .iter()
        .filter(|w| w["person"] == person)
        .map(|w| w["count"].as_i64().unwrap_or(0))
        .sum()
}

/// A KPI value event.
pub fn value(id: &str, kpi: &str, unit: &str, v: f64) -> Value {
    serde_json::json!({"type": "kpi_observation", "id": id, "at": crate::START, "kpi": kpi, "unit": unit, "period": "2026-10", "value": v})
}

/// Reads `path` as the admin until `pred` holds (what is recorded follows what receivers saw
/// by a moment), up to `WAIT`.
pub async fn read_until(
    app: &crate::TestApp,
    path: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let v = app.get_ok(path).await;
        if pred(&v) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path} never showed {what}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A server whose only rules are the built-in ones (every KPI's thresholds, staleness, task
/// deadlines), over the fixture's units, people (with the leaders) and KPIs but no objectives:
/// the notices a test sees are the ones it causes.
pub async fn quiet_city(notify: ioc::notify::NotifyConfig) -> crate::TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("builtin-only.toml");
    std::fs::write(&rules, "# Only the built-in rules.\n").expect("write the rule file");
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let mut app = crate::spawn_app_notify_with(&url, &[rules], notify).await;
    app.set_dir(dir);
    app.set_clock(crate::START).await;
    let c = crate::fixture_catalog();
    for (path, key) in [
        ("/api/v1/units", "units"),
        ("/api/v1/people", "people"),
        ("/api/v1/kpis", "kpis"),
    ] {
        for item in c[key].as_array().expect("array") {
            let (status, body) = app.post(path, item).await;
            assert_eq!(status, 201, "POST {path} {item}: {body}");
        }
    }
    crate::with_leaders(&app).await;
    app
}

//! The limits and browser protections of SECURITY.md, against the real server over HTTP: body and
//! batch sizes, the per-credential rate limit, sign-in throttling, security headers, the session
//! cookie, CSRF on cookie-authenticated writes, and the WebSocket's limits for an authenticated
//! connection.
//!
//! Already covered in `live.rs` and not repeated here: a WebSocket message over 16 KiB answered
//! `message_too_large` with the connection still usable afterwards, a frame over 1 MiB closed with
//! 1009, the subscription limit at a lowered setting, and connections per address (429)
//! (`malformed_and_oversized_messages_are_answered_and_survived`,
//! `connections_per_client_are_limited_and_silent_ones_are_closed`). Here: the 33rd subscription
//! at the default limit of 32.

use ioc_tests::{spawn_app, spawn_app_with_limits, TestApp, Ws, WsEvent, START};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

/// What came back: status, headers, JSON body (or the text as a string).
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Retry-After` as whole seconds, at least 1.
    fn retry_after(&self) -> Result<u64, String> {
        let raw = self
            .header("retry-after")
            .ok_or_else(|| "no Retry-After header".to_string())?;
        match raw.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!("Retry-After is not whole seconds >= 1: {raw:?}")),
        }
    }
}

async fn answer(r: reqwest::RequestBuilder) -> Answer {
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

fn plain() -> reqwest::Client {
    reqwest::Client::new()
}

fn bearer(r: reqwest::RequestBuilder, token: &str) -> reqwest::RequestBuilder {
    r.header("authorization", format!("Bearer {token}"))
}

async fn sign_in(app: &TestApp, login: &str, password: &str) -> Answer {
    answer(
        plain()
            .post(app.url("/api/v1/session"))
            .json(&json!({"login": login, "password": password})),
    )
    .await
}

/// Records a disagreement instead of stopping, so one run shows all of a test's.
macro_rules! check {
    ($faults:expr, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            $faults.push(format!($($msg)+));
        }
    };
}

fn no_faults(faults: Vec<String>) {
    assert!(
        faults.is_empty(),
        "{} disagreement(s) with SECURITY.md:\n{}",
        faults.len(),
        faults.join("\n")
    );
}

fn mentions_any(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

/// A data-entry account over the whole tree (the harness's admin holds the admin role, which
/// enters no figures).
async fn data_entry(app: &TestApp) -> String {
    app.account("de", None, &[("data_entry", "*")]).await
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_naming_the_limit() {
    let mut limits = ioc::http::Limits {
        max_body_bytes: 64 * 1024,
        ..Default::default()
    };
    limits.auth.rate_per_minute = 100_000;
    limits.auth.rate_burst = 100_000;
    let app = spawn_app_with_limits(limits).await;
    app.load_fixture().await;
    let de = data_entry(&app).await;
    let rating = json!({"type": "satisfaction_rating", "id": "r", "at": START, "unit": "p-1", "service": "s", "score": 5});
    let big: Vec<Value> = (0..2000)
        .map(|i| {
            let mut r = rating.clone();
            r["id"] = json!(format!("r{i}"));
            r
        })
        .collect();
    let text = serde_json::to_string(&big).unwrap();
    assert!(text.len() > 64 * 1024);
    let mut faults = Vec::new();
    for (path, ct) in [
        ("/api/v1/events", "application/json"),
        ("/api/v1/events", "application/x-ndjson"),
        ("/api/v1/units", "application/json"),
    ] {
        // The catalog is the admin's; events are the data entry's.
        let who = if path == "/api/v1/units" {
            &app.token
        } else {
            &de
        };
        let a = answer(
            bearer(plain().post(app.url(path)), who)
                .header("content-type", ct)
                .body(text.clone()),
        )
        .await;
        check!(
            faults,
            a.status == 413 && a.code() == "too_large",
            "POST {path} ({ct}) of {} bytes: expected 413 too_large, got {} {}",
            text.len(),
            a.status,
            a.body
        );
        check!(
            faults,
            mentions_any(a.message(), &["65536", "65,536", "64 KiB", "64KiB"]),
            "POST {path} ({ct}): the answer does not name the limit (64 KiB = 65536 bytes): {}",
            a.body
        );
    }
    let view = app.get_ok("/api/v1/units/hn/view").await;
    check!(
        faults,
        view["summary"]["satisfaction"]["ratings"] == 0,
        "an oversized body was kept"
    );
    app.stop().await;
    no_faults(faults);
}

#[tokio::test]
async fn more_than_ten_thousand_events_in_one_request_is_413_and_nothing_is_kept() {
    // The default body limit (8 MiB), so the item count and not the byte count refuses it.
    let mut limits = ioc::http::Limits::default();
    limits.auth.rate_per_minute = 100_000;
    limits.auth.rate_burst = 100_000;
    let app = spawn_app_with_limits(limits).await;
    app.load_fixture().await;
    let de = data_entry(&app).await;
    let ratings = |n: usize, prefix: &str| -> Vec<String> {
        (0..n)
            .map(|i| {
                json!({"type": "satisfaction_rating", "id": format!("{prefix}{i}"), "at": START, "unit": "p-1", "service": "s", "score": 5})
                    .to_string()
            })
            .collect()
    };
    let over = ratings(10_001, "o");
    let mut faults = Vec::new();
    for (ct, body) in [
        ("application/x-ndjson", over.join("\n")),
        ("application/json", format!("[{}]", over.join(","))),
    ] {
        assert!(body.len() < 8 * 1024 * 1024);
        let a = answer(
            bearer(plain().post(app.url("/api/v1/events")), &de)
                .header("content-type", ct)
                .body(body),
        )
        .await;
        check!(
            faults,
            a.status == 413 && a.code() == "too_large",
            "10,001 events ({ct}): expected 413 too_large, got {} {}",
            a.status,
            a.body
        );
        check!(
            faults,
            mentions_any(a.message(), &["10000", "10,000", "10 000"]),
            "10,001 events ({ct}): the answer does not name the limit: {}",
            a.body
        );
    }
    let view = app.get_ok("/api/v1/units/hn/view").await;
    check!(
        faults,
        view["summary"]["satisfaction"]["ratings"] == 0,
        "a refused batch was kept"
    );
    // Exactly at the limit: taken.
    let a = answer(
        bearer(plain().post(app.url("/api/v1/events")), &de)
            .header("content-type", "application/x-ndjson")
            .body(ratings(10_000, "k").join("\n")),
    )
    .await;
    check!(
        faults,
        a.status == 200 && a.body["accepted"] == 10_000,
        "10,000 events: {} {}",
        a.status,
        a.body
    );
    app.stop().await;
    no_faults(faults);
}

#[tokio::test]
async fn a_credential_over_its_rate_gets_429_with_retry_after_while_another_is_served() {
    let mut limits = ioc::http::Limits::default();
    limits.auth.rate_per_minute = 60;
    limits.auth.rate_burst = 10;
    let app = spawn_app_with_limits(limits).await;
    let busy = app.account("busy", None, &[("viewer", "*")]).await;
    let calm = app.account("calm", None, &[("viewer", "*")]).await;
    // Far more requests than a burst of 10 and one a second allow, as fast as they go.
    let mut refused = None;
    for i in 0..500 {
        let a = answer(bearer(plain().get(app.url("/api/v1/clock")), &busy)).await;
        if a.status == 429 {
            refused = Some((i, a));
            break;
        }
        assert_eq!(a.status, 200, "request {i}: {}", a.body);
    }
    let (i, a) = refused.expect("500 requests in a row were never limited");
    assert!(i >= 5, "refused after only {i} requests: the burst is 10");
    assert_eq!(a.code(), "too_many_requests", "a JSON body: {}", a.body);
    assert!(!a.message().is_empty(), "{}", a.body);
    if let Err(e) = a.retry_after() {
        panic!("{e}: {:?}", a.headers);
    }
    // Another credential is still served, and so is an anonymous public route.
    let b = answer(bearer(plain().get(app.url("/api/v1/clock")), &calm)).await;
    assert_eq!(b.status, 200, "another session: {}", b.body);
    let h = answer(plain().get(app.url("/healthz"))).await;
    assert_eq!(h.status, 200, "{}", h.body);
    app.stop().await;
}

#[tokio::test]
async fn five_bad_passwords_for_a_login_throttle_the_next_attempt_even_with_the_right_one() {
    let app = spawn_app().await;
    app.account("victim", None, &[("viewer", "*")]).await;
    app.account("bystander", None, &[("viewer", "*")]).await;
    let mut faults = Vec::new();
    for i in 0..5 {
        let a = sign_in(&app, "victim", &format!("wrong-password-{i}")).await;
        assert_eq!(a.status, 401, "bad password {i}: {}", a.body);
        assert!(a.body.get("token").is_none());
        check!(
            faults,
            a.code() == "unauthenticated"
                && a.body["error"]["message"] == "wrong login or password",
            "bad password {i}: expected 401 unauthenticated, \"wrong login or password\", got 401 {}",
            a.body
        );
    }
    let a = sign_in(&app, "victim", "victim-password-1").await;
    assert_eq!(
        a.status, 429,
        "the 6th attempt, with the right password: {}",
        a.body
    );
    assert_eq!(a.code(), "too_many_requests", "{}", a.body);
    assert!(a.body.get("token").is_none(), "no session while throttled");
    if let Err(e) = a.retry_after() {
        panic!("{e}: {:?}", a.headers);
    }
    // The throttle is for that login: another one signs in from the same address.
    let b = sign_in(&app, "bystander", "bystander-password-1").await;
    assert_eq!(b.status, 200, "{}", b.body);
    assert!(
        b.body["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("iocs_")),
        "{}",
        b.body
    );
    app.stop().await;
    no_faults(faults);
}

#[tokio::test]
async fn twenty_failures_from_one_address_throttle_every_login_from_it() {
    let app = spawn_app().await;
    app.account("bystander", None, &[("viewer", "*")]).await;
    // Four logins, five failures each: no login reaches its own limit, the address reaches 20.
    for login in ["u0", "u1", "u2", "u3"] {
        for i in 0..5 {
            let a = sign_in(&app, login, &format!("wrong-password-{i}")).await;
            assert_eq!(a.status, 401, "{login} attempt {i}: {}", a.body);
        }
    }
    let a = sign_in(&app, "bystander", "bystander-password-1").await;
    assert_eq!(
        a.status, 429,
        "the 21st attempt from the address: {}",
        a.body
    );
    if let Err(e) = a.retry_after() {
        panic!("{e}: {:?}", a.headers);
    }
    app.stop().await;
}

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Every documented security header, or what is wrong with them.
fn header_faults(a: &Answer) -> Vec<String> {
    let mut faults = Vec::new();
    match a.header("content-security-policy") {
        None => faults.push("no Content-Security-Policy".to_string()),
        Some(csp) => {
            let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            let got: Vec<String> = csp.split(';').map(norm).filter(|d| !d.is_empty()).collect();
            for d in CSP.split(';').map(norm) {
                if !got.contains(&d) {
                    faults.push(format!("CSP lacks \"{d}\": {csp}"));
                }
            }
        }
    }
    for (name, want) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ] {
        match a.header(name) {
            Some(v) if v.eq_ignore_ascii_case(want) => {}
            other => faults.push(format!("{name}: {other:?}, expected {want}")),
        }
    }
    faults
}

#[tokio::test]
async fn security_headers_are_on_pages_scripts_and_api_answers() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let token = app.token.clone();
    let mut faults = Vec::new();
    for (what, req, status) in [
        ("the page /", plain().get(app.url("/")), 200),
        ("a script", plain().get(app.url("/js/api.js")), 200),
        ("a missing page", plain().get(app.url("/nope.html")), 404),
        (
            "an API answer",
            bearer(plain().get(app.url("/api/v1/units/hn/view")), &token),
            200,
        ),
        (
            "a refused API call",
            plain().get(app.url("/api/v1/units/hn/view")),
            401,
        ),
        ("/healthz", plain().get(app.url("/healthz")), 200),
        (
            "/api/openapi.json",
            plain().get(app.url("/api/openapi.json")),
            200,
        ),
    ] {
        let a = answer(req).await;
        assert_eq!(a.status, status, "{what}: {}", a.body);
        for f in header_faults(&a) {
            faults.push(format!("{what}: {f}"));
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
    app.stop().await;
}

/// The `ioc_session` cookie of a response: (value, attributes).
fn session_cookie(a: &Answer) -> Option<(String, Vec<String>)> {
    a.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.trim_start().starts_with("ioc_session="))
        .map(|c| {
            let mut parts = c.split(';').map(|p| p.trim().to_string());
            let value = parts.next().unwrap()["ioc_session=".len()..].to_string();
            (value, parts.collect())
        })
}

fn has_attr(attrs: &[String], want: &str) -> bool {
    attrs
        .iter()
        .any(|a| a.replace(' ', "").eq_ignore_ascii_case(want))
}

#[tokio::test]
async fn the_session_cookie_is_httponly_and_strict_and_cookie_writes_need_the_csrf_token() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.account("clerk", None, &[("data_entry", "p-1")]).await;
    let login = sign_in(&app, "clerk", "clerk-password-1").await;
    assert_eq!(login.status, 200, "{}", login.body);
    for field in ["account", "csrf", "token", "expires_at"] {
        assert!(
            !login.body[field].is_null(),
            "sign-in answers {field}: {}",
            login.body
        );
    }
    let csrf = login.body["csrf"].as_str().expect("csrf").to_string();
    let token = login.body["token"].as_str().expect("token").to_string();
    let (cookie, attrs) = session_cookie(&login).expect("the sign-in sets ioc_session");
    assert!(!cookie.is_empty());
    for want in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(has_attr(&attrs, want), "the cookie lacks {want}: {attrs:?}");
    }
    let with_cookie =
        |r: reqwest::RequestBuilder| r.header("cookie", format!("ioc_session={cookie}"));

    // Reads by cookie need no CSRF token; the session says what it is.
    let me = answer(with_cookie(plain().get(app.url("/api/v1/session")))).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["csrf"], csrf.as_str());
    assert_eq!(me.body["account"]["id"], "clerk", "{}", me.body);
    let read = answer(with_cookie(plain().get(app.url("/api/v1/units/p-1/view")))).await;
    assert_eq!(read.status, 200, "{}", read.body);

    let rating = |id: &str| json!([{"type": "satisfaction_rating", "id": id, "at": START, "unit": "p-1", "service": "Khai sinh", "score": 5}]);
    let post = |id: &str| with_cookie(plain().post(app.url("/api/v1/events"))).json(&rating(id));
    // A write by cookie without the token, or with a wrong one: 403 csrf, nothing kept.
    for (id, req) in [
        ("c1", post("c1")),
        ("c2", post("c2").header("x-csrf-token", "not-the-token")),
    ] {
        let a = answer(req).await;
        assert_eq!(a.status, 403, "{id}: {}", a.body);
        assert_eq!(a.code(), "csrf", "{id}: {}", a.body);
        let (status, _) = app.get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(status, 404, "a write refused for CSRF was kept");
    }
    // With the token: taken.
    let a = answer(post("c3").header("x-csrf-token", &csrf)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // The same session as a bearer token needs none.
    let a =
        answer(bearer(plain().post(app.url("/api/v1/events")), &token).json(&rating("c4"))).await;
    assert_eq!(a.status, 200, "{}", a.body);

    // The WebSocket by cookie: only from this server's origin.
    let origin_ok = format!("http://{}", app.addr);
    for (origin, admitted) in [("http://evil.example", false), (origin_ok.as_str(), true)] {
        let got = ws_with_cookie(&app, &cookie, origin).await;
        match (got, admitted) {
            (Ok(_), true) => {}
            (Err(status), false) => assert!(
                status == 401 || status == 403,
                "a cookie from {origin}: {status}"
            ),
            (Ok(_), false) => panic!("a WebSocket by cookie from {origin} was admitted"),
            (Err(status), true) => panic!("a WebSocket by cookie from {origin}: {status}"),
        }
    }

    // Signing out is a write too; then the cookie is cleared and the session gone.
    let a = answer(with_cookie(plain().delete(app.url("/api/v1/session")))).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(a.code(), "csrf", "{}", a.body);
    let a = answer(
        with_cookie(plain().delete(app.url("/api/v1/session"))).header("x-csrf-token", &csrf),
    )
    .await;
    assert_eq!(a.status, 204, "{}", a.body);
    let (value, attrs) = session_cookie(&a).expect("signing out clears the cookie");
    assert!(
        value.is_empty()
            || attrs
                .iter()
                .any(|x| x.replace(' ', "").eq_ignore_ascii_case("Max-Age=0"))
            || attrs
                .iter()
                .any(|x| x.to_ascii_lowercase().starts_with("expires=")),
        "the cookie is not cleared: {value} {attrs:?}"
    );
    let me = answer(with_cookie(plain().get(app.url("/api/v1/session")))).await;
    assert_eq!(me.status, 401, "{}", me.body);
    assert_eq!(me.code(), "unauthenticated", "{}", me.body);
    let me = answer(bearer(plain().get(app.url("/api/v1/session")), &token)).await;
    assert_eq!(
        me.status, 401,
        "the bearer form of a signed-out session: {}",
        me.body
    );
    app.stop().await;
}

async fn ws_with_cookie(app: &TestApp, cookie: &str, origin: &str) -> Result<Ws, u16> {
    let headers = [
        ("cookie", format!("ioc_session={cookie}")),
        ("origin", origin.to_string()),
    ];
    ioc_tests::ws_connect(&app.addr.to_string(), &headers)
        .await
        .map_err(|(status, _)| status)
}

async fn ws_bearer(app: &TestApp, token: &str) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{}/ws", app.addr)
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (stream, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("WebSocket upgrade");
    let mut ws = Ws::new(stream);
    let hello = ws.next().await;
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(hello["max_subscriptions"], 32, "{hello}");
    ws
}

/// Reads until the answer to a subscription of (view, id): its snapshot or an error.
async fn answer_to(ws: &mut Ws, view: &str, id: &str) -> Value {
    loop {
        let v = match ws.next_message().await {
            WsEvent::Json(v) => v,
            WsEvent::Closed(code) => panic!("closed ({code:?}) while subscribing to {view} {id}"),
        };
        if v["type"] == "error" || (v["type"] == "view" && v["view"] == view && v["id"] == id) {
            return v;
        }
    }
}

#[tokio::test]
async fn the_thirty_third_subscription_is_refused_and_the_connection_stays_usable() {
    let app = spawn_app().await;
    app.load_fixture().await;
    for i in 0..30 {
        let (status, body) = app
            .post(
                "/api/v1/units",
                &json!({"id": format!("d-{i}"), "name": format!("Tổ {i}"), "level": "division", "parent": "hn"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let viewer = app.account("wall", None, &[("viewer", "*")]).await;
    let mut ws = ws_bearer(&app, &viewer).await;
    let units: Vec<String> = ["hn", "so-a", "p-1"]
        .iter()
        .map(|s| s.to_string())
        .chain((0..30).map(|i| format!("d-{i}")))
        .collect();
    for id in &units[..32] {
        ws.subscribe("unit", id).await;
        let v = answer_to(&mut ws, "unit", id).await;
        assert_eq!(v["type"], "view", "subscription to {id}: {v}");
    }
    ws.subscribe("unit", &units[32]).await;
    let v = answer_to(&mut ws, "unit", &units[32]).await;
    assert_eq!(v["type"], "error", "{v}");
    assert_eq!(v["code"], "too_many_subscriptions", "{v}");
    assert!(
        v["message"].as_str().unwrap_or("").contains("32"),
        "the refusal names the limit: {v}"
    );
    // Still usable: a ping is answered, and freeing a slot lets the 33rd in.
    ws.send_json(&json!({"op": "ping", "nonce": 33})).await;
    let pong = ws.until("pong", |v| v["type"] == "pong").await;
    assert_eq!(pong["nonce"], 33);
    ws.send_json(&json!({"op": "unsubscribe", "view": "unit", "id": "hn"}))
        .await;
    ws.until("unsubscribed", |v| v["type"] == "unsubscribed")
        .await;
    ws.subscribe("unit", &units[32]).await;
    let v = answer_to(&mut ws, "unit", &units[32]).await;
    assert_eq!(v["type"], "view", "{v}");
    app.stop().await;
}

async fn sign_in_from(app: &TestApp, login: &str, password: &str, forwarded_for: &str) -> Answer {
    answer(
        plain()
            .post(app.url("/api/v1/session"))
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({"login": login, "password": password})),
    )
    .await
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_throttled_as_itself() {
    // The test's own connections come from 127.0.0.1: the "load balancer".
    let app = spawn_app_with_limits(ioc::http::Limits {
        trusted_proxies: std::sync::Arc::from(vec!["127.0.0.1/32".parse().unwrap()]),
        ..ioc_tests::test_limits()
    })
    .await;
    app.account("bystander", None, &[("viewer", "*")]).await;
    // Twenty failures from one client, each with another forged address at the left of the
    // header: what the balancer appended (the right) is what counts.
    for (n, login) in ["u0", "u1", "u2", "u3"].iter().enumerate() {
        for i in 0..5 {
            let forged = format!("198.51.100.{}, 203.0.113.7", n * 5 + i);
            let a = sign_in_from(&app, login, &format!("wrong-password-{i}"), &forged).await;
            assert_eq!(a.status, 401, "{login} attempt {i}: {}", a.body);
        }
    }
    let a = sign_in_from(&app, "bystander", "bystander-password-1", "203.0.113.7").await;
    assert_eq!(
        a.status, 429,
        "the 21st attempt from 203.0.113.7: {}",
        a.body
    );
    // Another client behind the same balancer is not that one, and neither is the balancer.
    let b = sign_in_from(&app, "bystander", "bystander-password-1", "203.0.113.8").await;
    assert_eq!(b.status, 200, "another client: {}", b.body);
    let c = sign_in(&app, "bystander", "bystander-password-1").await;
    assert_eq!(c.status, 200, "the balancer's own address: {}", c.body);
    // The audit trail names the client, not the balancer.
    let (status, trail) = app.get("/api/v1/audit?limit=1000").await;
    assert_eq!(status, 200, "{trail}");
    let addresses: Vec<&str> = trail["entries"]
        .as_array()
        .or_else(|| trail.as_array())
        .expect("the entries")
        .iter()
        .filter(|e| e["action"] == "session.create")
        .filter_map(|e| e["ip"].as_str())
        .collect();
    assert!(
        addresses.contains(&"203.0.113.8"),
        "the sign-in through the balancer is the client's: {addresses:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn without_a_trusted_proxy_x_forwarded_for_changes_nothing() {
    let app = spawn_app().await;
    app.account("bystander", None, &[("viewer", "*")]).await;
    // Twenty failures, each claiming another address: they are all the peer's.
    for (n, login) in ["u0", "u1", "u2", "u3"].iter().enumerate() {
        for i in 0..5 {
            let claimed = format!("203.0.113.{}", n * 5 + i);
            let a = sign_in_from(&app, login, &format!("wrong-password-{i}"), &claimed).await;
            assert_eq!(a.status, 401, "{login} attempt {i}: {}", a.body);
        }
    }
    let a = sign_in_from(&app, "bystander", "bystander-password-1", "203.0.113.99").await;
    assert_eq!(a.status, 429, "the 21st attempt from the peer: {}", a.body);
    app.stop().await;
}

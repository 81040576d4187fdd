//! Notifications off the screens, with real receivers on loopback: a red KPI reaches its ward's
//! leader as one signed webhook delivery even when the receiver fails the first three attempts
//! (on SQLite and PostgreSQL); the Vietnamese email arrives over real SMTP, encoded right, with a
//! plain-text and an HTML part; a receiver that hangs or a mail relay that is unreachable is a
//! recorded failure (then a dead letter) that slows neither ingest nor the other channels.

use ioc_tests::notify::{read_until, set_contact_points, value, Hook, Smtp};
use ioc_tests::{
    fresh_postgres_db, postgres_admin_url, spawn_app_notify, spawn_app_notify_on, test_notify,
    with_leaders, TestApp,
};
use mail_parser::MimeHeaders;
use serde_json::{json, Value};

fn health_of<'a>(health: &'a Value, contact_point: &str) -> &'a Value {
    health
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["contact_point"] == contact_point)
        .unwrap_or_else(|| panic!("no health of {contact_point} in {health}"))
}

async fn one_delivery_through_three_failures(app: TestApp) {
    app.load_fixture().await;
    with_leaders(&app).await;
    let hook = Hook::start(Some("bí-mật-của-phường")).await;
    set_contact_points(
        &app,
        "w1",
        json!({"contact_points": [{"id": "hook", "kind": "webhook", "url": hook.url("/ioc"), "secret": "bí-mật-của-phường"}],
               "policy": {"group_wait_seconds": 0}}),
    )
    .await;
    hook.fail_next(3);
    // The on-time rate of Phường Hoàn Kiếm falls to 80 %: red (green from 95 %, red below 85 %).
    app.ingest(json!([value("o1", "TTHC", "p-1", 80.0)])).await;
    let accepted = hook.wait_accepted(1).await;
    let all = hook.received();
    assert_eq!(
        all.len(),
        4,
        "three refusals, then the one accepted: {all:?}"
    );
    assert!(all[..3].iter().all(|r| r.status == 500));
    // Every attempt is the same delivery: one id, one body, signed.
    let id = &accepted[0].delivery;
    assert!(id.starts_with("ioc-"), "{id}");
    for r in &all {
        assert_eq!(&r.delivery, id);
        assert_eq!(r.body, all[0].body, "a retry sends the same body");
        assert_eq!(r.signature_ok, Some(true), "X-IOC-Signature of {r:?}");
    }
    let body = accepted[0].json();
    assert_eq!(body["id"], *id);
    assert_eq!(body["alert"]["rule"], "builtin.kpi_thresholds");
    assert_eq!(body["alert"]["subject"], "TTHC@p-1");
    assert_eq!(body["alert"]["unit"], "p-1");
    assert_eq!(body["alert"]["severity"], "red");
    assert_eq!(body["alert"]["kind"], "fired");
    assert_eq!(body["alert"]["value"], 80.0);
    assert_eq!(body["alert"]["threshold"], 85.0);
    assert!(body["alert"]["started_at"]
        .as_str()
        .unwrap()
        .ends_with("+07:00"));
    assert_eq!(body["group"]["key"], "p-1|builtin.kpi_thresholds");
    assert_eq!(body["recipient"]["id"], "w1");
    assert_eq!(body["recipient"]["name"], "Lê Văn Cường");
    assert!(
        body["text_vi"]
            .as_str()
            .unwrap()
            .contains("Phường Hoàn Kiếm"),
        "{body}"
    );
    assert!(
        body["text_en"]
            .as_str()
            .unwrap()
            .starts_with("Dear Lê Văn Cường"),
        "{body}"
    );
    assert!(
        body["link"]
            .as_str()
            .unwrap()
            .contains("/alerts.html?unit=p-1&msg="),
        "{body}"
    );

    // Its health says so, and nothing is left to send: exactly one delivery for the transition.
    let health = read_until(
        &app,
        "/api/v1/notify/health",
        "the delivery recorded",
        |h| {
            h.as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x["contact_point"] == "hook" && x["delivered"] == 1)
            })
        },
    )
    .await;
    let h = health_of(&health, "hook");
    assert_eq!(h["failures"], 3, "{h}");
    assert_eq!(h["consecutive_failures"], 0, "{h}");
    assert!(
        h["last_error"].as_str().unwrap().contains("HTTP 500"),
        "{h}"
    );
    assert!(h["last_success_at"].is_string());
    let q = app.get_ok("/api/v1/notify/queue").await;
    assert_eq!(q["pending"], 0, "{q}");
    assert_eq!(app.get_ok("/api/v1/notify/dead").await, json!([]));
    // The same value again changes nothing, so nothing more is sent; a new transition is a new
    // delivery with another id (the barrier that shows the first was not sent again).
    app.ingest(json!([value("o2", "TTHC", "p-1", 80.0)])).await;
    app.ingest(json!([value("o3", "TTHC", "p-1", 97.0)])).await;
    let accepted = hook.wait_accepted(2).await;
    assert_eq!(accepted.len(), 2, "{accepted:?}");
    assert_ne!(accepted[1].delivery, *id);
    assert_eq!(accepted[1].json()["alert"]["kind"], "resolved");
    app.stop().await;
}

#[tokio::test]
async fn a_red_kpi_reaches_the_leaders_webhook_once_signed_through_three_failed_attempts() {
    one_delivery_through_three_failures(spawn_app_notify(test_notify()).await).await;
}

#[tokio::test]
async fn on_postgresql_too_a_red_kpi_is_delivered_once_through_three_failed_attempts() {
    let Some(admin) = postgres_admin_url("notify on PostgreSQL") else {
        return;
    };
    let url = fresh_postgres_db(&admin).await;
    one_delivery_through_three_failures(spawn_app_notify_on(&url, test_notify()).await).await;
}

#[tokio::test]
async fn the_vietnamese_email_of_a_red_kpi_arrives_over_smtp_with_its_encoding_right() {
    let smtp = Smtp::start();
    let mut cfg = test_notify();
    cfg.smtp = Some(ioc::notify::SmtpConfig {
        host: "127.0.0.1".into(),
        port: smtp.port,
        security: ioc::notify::SmtpSecurity::None,
        username: None,
        password: None,
        from: "IOC Hà Nội <ioc@hanoi.gov.vn>".into(),
    });
    cfg.public_url = Some("https://ioc.hanoi.gov.vn".into());
    let app = spawn_app_notify(cfg).await;
    app.load_fixture().await;
    with_leaders(&app).await;
    set_contact_points(
        &app,
        "w1",
        json!({"contact_points": [{"kind": "email", "address": "ct.hoankiem@hanoi.gov.vn", "name": "Thư công vụ"}],
               "policy": {"group_wait_seconds": 0}}),
    )
    .await;
    app.ingest(json!([value("o1", "TTHC", "p-1", 80.0)])).await;
    let mails = smtp.wait(1).await;
    let mail = &mails[0];
    assert_eq!(mail.to, ["ct.hoankiem@hanoi.gov.vn"]);
    assert_eq!(mail.from, "ioc@hanoi.gov.vn");
    let raw = String::from_utf8_lossy(&mail.data).to_string();
    // The subject travels as an RFC 2047 encoded word (headers are ASCII), the sender's name too.
    let subject_line = raw
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .unwrap_or_default();
    assert!(subject_line.contains("=?utf-8?"), "{subject_line}");
    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.data)
        .expect("a MIME message");
    let subject = parsed.subject().unwrap_or_default();
    assert!(
        subject.starts_with("[IOC] Cảnh báo đỏ: "),
        "the subject reads in Vietnamese: {subject}"
    );
    assert!(subject.contains("Phường Hoàn Kiếm"), "{subject}");
    let from = parsed.from().and_then(|f| f.first()).unwrap();
    assert_eq!(from.name(), Some("IOC Hà Nội"));
    assert_eq!(parsed.text_body_count(), 1, "{raw}");
    assert_eq!(parsed.html_body_count(), 1, "{raw}");
    let text = parsed.body_text(0).unwrap_or_default();
    assert!(text.starts_with("Kính gửi Lê Văn Cường,"), "{text}");
    assert!(text.contains("[ĐỎ]"), "{text}");
    assert!(
        text.contains("https://ioc.hanoi.gov.vn/alerts.html?unit=p-1&msg="),
        "{text}"
    );
    assert!(text.contains("cần đăng nhập"), "{text}");
    let html = parsed.body_html(0).unwrap_or_default();
    assert!(html.contains("Phường Hoàn Kiếm"), "{html}");
    assert!(html.contains("Mở trong Trung tâm cảnh báo"), "{html}");
    // Both parts say they are UTF-8.
    for part in parsed.parts.iter().filter(|p| p.is_text()) {
        let ct = part.content_type().expect("a content type");
        assert_eq!(
            ct.attribute("charset").map(|c| c.to_ascii_lowercase()),
            Some("utf-8".into()),
            "{raw}"
        );
    }
    let message_id = parsed.message_id().unwrap_or_default();
    assert!(
        message_id.starts_with("ioc-"),
        "the delivery id as Message-ID: {message_id}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_hanging_receiver_and_an_unreachable_relay_are_recorded_failures_that_slow_nothing_else()
{
    // A mail relay nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut cfg = test_notify();
    cfg.max_attempts = 2;
    cfg.smtp = Some(ioc::notify::SmtpConfig {
        host: "127.0.0.1".into(),
        port: dead_port,
        security: ioc::notify::SmtpSecurity::None,
        username: None,
        password: None,
        from: "IOC <ioc@hanoi.gov.vn>".into(),
    });
    let app = spawn_app_notify(cfg).await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let stuck = Hook::start(None).await;
    stuck.hang(true);
    let fine = Hook::start(None).await;
    set_contact_points(
        &app,
        "w1",
        json!({"contact_points": [
                {"id": "stuck", "kind": "webhook", "url": stuck.url("/"), "timeout_ms": 300},
                {"id": "mail", "kind": "email", "address": "w1@hanoi.gov.vn"},
                {"id": "fine", "kind": "webhook", "url": fine.url("/")}],
               "policy": {"group_wait_seconds": 0}}),
    )
    .await;
    app.ingest(json!([value("o1", "TTHC", "p-1", 80.0)])).await;
    // The working channel is served while the other two fail.
    fine.wait_accepted(1).await;
    stuck.until("the first attempt", |r| !r.is_empty()).await;
    // Ingest is answered all along.
    for i in 0..5 {
        app.ingest(json!([value(
            &format!("p2-{i}"),
            "TTHC",
            "p-2",
            90.0 + f64::from(i)
        )]))
        .await;
    }
    // Both failing channels use up their two attempts and become dead letters, with the reason.
    let dead = read_until(&app, "/api/v1/notify/dead", "two dead letters", |d| {
        d.as_array().is_some_and(|a| a.len() >= 2)
    })
    .await;
    let mut by_point: Vec<(String, String)> = dead
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["attempts"], 2, "{d}");
            (
                d["contact_point"].as_str().unwrap().to_string(),
                d["last_error"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    by_point.sort();
    assert_eq!(by_point[0].0, "mail");
    assert!(by_point[0].1.starts_with("SMTP"), "{by_point:?}");
    assert_eq!(by_point[1].0, "stuck");
    assert!(
        by_point[1].1.contains("did not answer in time"),
        "{by_point:?}"
    );
    let health = read_until(
        &app,
        "/api/v1/notify/health",
        "the good channel's delivery",
        |h| {
            h.as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x["contact_point"] == "fine" && x["delivered"] == 1)
            })
        },
    )
    .await;
    let stuck_health = health_of(&health, "stuck");
    assert_eq!(stuck_health["dead"], 1, "{stuck_health}");
    assert_eq!(stuck_health["consecutive_failures"], 2, "{stuck_health}");
    // The inbox got it too.
    let w1 = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    let (status, inbox) = app
        .send_as(Some(&w1), reqwest::Method::GET, "/api/v1/inbox", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1, "{inbox}");
    // /metrics counts them by kind and outcome.
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("ioc_notify_deliveries_total{kind=\"webhook\",outcome=\"dead\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("ioc_notify_contact_point_consecutive_failures"));
    app.stop().await;
}

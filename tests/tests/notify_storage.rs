//! How a message is stored between its making and its deliveries: the worker keeps the composed
//! content in memory, but nothing depends on that. A delivery still to be made after a restart
//! (nothing in memory) goes out with the same content under the same id; the inbox keeps a
//! reference to its message, not a copy, and shows the same message live, over REST and after
//! the restart; an inbox row written with its own copy (before the reference) still reads; a
//! notice written before its content had a table of its own keeps its content.

use ioc_tests::notify::{set_contact_points, value, Hook};
use ioc_tests::{fixture_catalog, spawn_app_notify_with, with_leaders, TestApp, START};
use serde_json::{json, Value};

/// A server on `url` with only the built-in rules, the fixture's city and its leaders.
async fn city(url: &str, rules: &std::path::Path, notify: ioc::notify::NotifyConfig) -> TestApp {
    let app = spawn_app_notify_with(url, &[rules.to_path_buf()], notify).await;
    app.set_clock(START).await;
    let c = fixture_catalog();
    for (path, key) in [
        ("/api/v1/units", "units"),
        ("/api/v1/people", "people"),
        ("/api/v1/kpis", "kpis"),
    ] {
        for item in c[key].as_array().unwrap() {
            let (status, body) = app.post(path, item).await;
            assert_eq!(status, 201, "POST {path} {item}: {body}");
        }
    }
    with_leaders(&app).await;
    app
}

async fn inbox_page(app: &TestApp, session: &str) -> Value {
    let (status, page) = app
        .send_as(Some(session), reqwest::Method::GET, "/api/v1/inbox", None)
        .await;
    assert_eq!(status, 200, "{page}");
    page
}

async fn live_inbox(app: &TestApp, session: &str, unread: i64) -> Value {
    let mut ws = app.ws_with(Some(session)).await.expect("w1's socket");
    ws.subscribe("inbox", "w1").await;
    let view = ws
        .until("w1's inbox", |v| {
            v["type"] == "view" && v["view"] == "inbox" && v["data"]["unread"] == unread
        })
        .await;
    view["data"]["items"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_not_delivered_before_a_restart_goes_out_after_it_the_same_and_the_inbox_shows_it_the_same(
) {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("builtin-only.toml");
    std::fs::write(&rules, "# Only the built-in rules.\n").unwrap();
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    // An attempt that hangs ends at the timeout, so the stop below records it as failed; links
    // name the public address, not the test server's port (a new one after the restart).
    let notify = ioc::notify::NotifyConfig {
        timeout: std::time::Duration::from_millis(500),
        public_url: Some("https://ioc.hanoi.gov.vn".into()),
        ..ioc_tests::test_notify()
    };
    let app = city(&url, &rules, notify.clone()).await;
    let hook = Hook::start(Some("s3cret")).await;
    hook.hang(true);
    set_contact_points(
        &app,
        "w1",
        json!({"contact_points": [{"id": "hook", "kind": "webhook", "url": hook.url("/w1"), "secret": "s3cret"}],
               "policy": {"group_wait_seconds": 0}}),
    )
    .await;
    let w1 = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    app.ingest(json!([value("o1", "TTHC", "p-1", 80.0)])).await;
    // The inbox took it at once, shown live from the content the worker holds ...
    let live = live_inbox(&app, &w1, 1).await;
    assert_eq!(live.as_array().unwrap().len(), 1, "{live}");
    let shown = live[0].clone();
    assert_eq!(shown["severity"], "red");
    assert_eq!(shown["items"][0]["subject"], "TTHC@p-1", "{shown}");
    // ... and the same over REST, read from the store.
    let page = inbox_page(&app, &w1).await;
    assert_eq!(page["items"], live, "the inbox over REST and live");
    // The inbox row references its message instead of copying it.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (inbox_body, message_body): (String, String) = sqlx::query_as(
        "SELECT i.body, m.body FROM inbox i JOIN notify_deliveries d ON d.id = i.delivery_id JOIN notify_messages m ON m.id = d.message_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let row: Value = serde_json::from_str(&inbox_body).unwrap();
    assert!(
        row.get("message").is_none(),
        "the inbox row copies its message: {row}"
    );
    assert!(row["title_vi"].as_str().is_some_and(|t| !t.is_empty()));

    // The webhook hangs: its first attempt (content from memory) is under way when the server
    // stops, and is recorded as failed.
    let first = hook.until("the first attempt", |r| !r.is_empty()).await[0].clone();
    let dir_kept = app.stop().await;
    let pending: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, state, attempts FROM notify_deliveries WHERE kind = 'webhook'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].0, first.delivery);
    assert_eq!(pending[0].1, "pending", "{pending:?}");

    // After the restart nothing is in memory: the delivery reads its message from the store and
    // says the same thing under the same id.
    hook.hang(false);
    let mut app = city_again(&url, &rules, notify).await;
    if let Some(d) = dir_kept {
        app.set_dir(d);
    }
    let accepted = hook.wait_accepted(1).await;
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0].delivery, first.delivery);
    assert_eq!(accepted[0].signature_ok, Some(true));
    assert_eq!(
        accepted[0].json(),
        first.json(),
        "the delivery after the restart differs from the attempt before it"
    );
    let sent = accepted[0].json();
    assert_eq!(sent["group"]["count"], 1, "{sent}");
    assert_eq!(sent["alerts"][0]["subject"], "TTHC@p-1", "{sent}");
    // The message does not copy its items: they are the notices it carries.
    let stored: Value = serde_json::from_str(&message_body).unwrap();
    assert_eq!(stored["items"], json!([]), "{stored}");
    assert_eq!(stored["items_are_notices"], true, "{stored}");
    let (message_id, notice): (i64, String) = sqlx::query_as(
        "SELECT d.message_id, b.body FROM notify_deliveries d JOIN notices n ON n.message_id = d.message_id JOIN notice_bodies b ON b.id = n.id WHERE d.kind = 'webhook'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // The content as it was stored before: the items in the message.
    let mut whole = stored.clone();
    whole["items"] = json!([serde_json::from_str::<Value>(&notice).unwrap()]);
    whole.as_object_mut().unwrap().remove("items_are_notices");

    // The inbox after the restart (loaded from the store) shows the same message.
    let after = live_inbox(&app, &w1, 1).await;
    assert_eq!(after, live, "the live inbox after the restart");
    assert_eq!(inbox_page(&app, &w1).await["items"], live);

    // A message stored with its items (before they were its notices) reads the same.
    sqlx::query("UPDATE notify_messages SET body = $1 WHERE id = $2")
        .bind(whole.to_string())
        .bind(message_id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(inbox_page(&app, &w1).await["items"], live);

    // A row written when the inbox kept its own copy of the message still reads the same.
    let mut old = row.clone();
    old["message"] = whole;
    sqlx::query("INSERT INTO inbox (person_id, delivery_id, at, severity, body) SELECT person_id, 'ioc-before-the-reference', at, severity, $1 FROM inbox")
        .bind(old.to_string())
        .execute(&pool)
        .await
        .unwrap();
    let page = inbox_page(&app, &w1).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    let mut older = items[0].clone();
    assert_ne!(older["id"], live[0]["id"]);
    older["id"] = live[0]["id"].clone();
    assert_eq!(older, live[0], "the row with its own copy reads the same");
    app.stop().await;
}

/// The worker takes the content of a notice committed since it started from memory, and of one
/// committed before a restart from the store: one message carrying one of each has both whole,
/// and says what the store says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_of_notices_from_before_and_after_a_restart_carries_both_whole() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("builtin-only.toml");
    std::fs::write(&rules, "# Only the built-in rules.\n").unwrap();
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let notify = ioc::notify::NotifyConfig {
        public_url: Some("https://ioc.hanoi.gov.vn".into()),
        ..ioc_tests::test_notify()
    };
    let app = city(&url, &rules, notify.clone()).await;
    let hook = Hook::start(Some("s3cret")).await;
    set_contact_points(
        &app,
        "w1",
        json!({"contact_points": [{"id": "hook", "kind": "webhook", "url": hook.url("/w1"), "secret": "s3cret"}],
               "policy": {"group_wait_seconds": 60, "quiet_hours": "off"}}),
    )
    .await;
    // Red before the restart: it waits for its group (a minute on the server's clock).
    app.ingest(json!([value("o1", "TTHC", "p-1", 80.0)])).await;
    let dir_kept = app.stop().await;
    let mut app = city_again(&url, &rules, notify).await;
    if let Some(d) = dir_kept {
        app.set_dir(d);
    }
    let w1 = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    // Red after it, in the same group wait.
    app.ingest(json!([value("o2", "KN", "p-1", 9.0)])).await;
    assert!(hook.received().is_empty(), "sent before its group wait");
    let t0 = ioc::domain::time::parse_ts(ioc_tests::START, false).unwrap();
    app.set_clock(&ioc::domain::time::format_ts(t0 + 61_000))
        .await;
    let got = hook.wait_accepted(1).await;
    let sent = got[0].json();
    let mut alerts: Vec<Value> = sent["alerts"].as_array().unwrap().clone();
    alerts.sort_by_key(|a| a["subject"].as_str().unwrap_or_default().to_string());
    assert_eq!(alerts.len(), 2, "{sent}");
    for (a, (subject, value, threshold)) in alerts
        .iter()
        .zip([("KN@p-1", 9.0, 5.0), ("TTHC@p-1", 80.0, 85.0)])
    {
        assert_eq!(a["subject"], subject, "{sent}");
        assert_eq!(a["severity"], "red", "{a}");
        assert_eq!(a["value"], value, "{a}");
        assert_eq!(a["threshold"], threshold, "{a}");
        assert_eq!(a["unit"], "p-1", "{a}");
        assert_eq!(a["unit_name"], "Phường Hoàn Kiếm", "{a}");
        assert!(a["started_at"].is_string(), "{a}");
        assert!(
            a["summary_vi"].as_str().is_some_and(|t| !t.is_empty()),
            "{a}"
        );
    }
    // The live inbox shows the worker's content; REST reads the message's notices from the store.
    let live = live_inbox(&app, &w1, 1).await;
    assert_eq!(live[0]["items"].as_array().unwrap().len(), 2, "{live}");
    assert_eq!(inbox_page(&app, &w1).await["items"], live);
    app.stop().await;
}

/// The same server started again on its database (the catalog is there already).
async fn city_again(
    url: &str,
    rules: &std::path::Path,
    notify: ioc::notify::NotifyConfig,
) -> TestApp {
    spawn_app_notify_with(url, &[rules.to_path_buf()], notify).await
}

/// Migration 0019 moves each notice's content to `notice_bodies` under the notice's id: a
/// database with a waiting notice from before it is opened by the server, and the notice still
/// reads whole.
#[tokio::test]
async fn a_notice_stored_before_its_content_had_a_table_of_its_own_keeps_it() {
    use sqlx::migrate::Migrator;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ioc.db?mode=rwc", dir.path().display());
    // The migrations before 0019, as a database of that time had them.
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite");
    let before = dir.path().join("migrations");
    std::fs::create_dir(&before).unwrap();
    for f in std::fs::read_dir(&all).unwrap() {
        let f = f.unwrap();
        let name = f.file_name().into_string().unwrap();
        if name.as_str() < "0019" {
            std::fs::copy(f.path(), before.join(&name)).unwrap();
        }
    }
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    Migrator::new(before.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let body = json!({"rule": "kpi-red", "subject": "TTHC@p-1", "title": "Tỷ lệ hồ sơ đúng hạn"})
        .to_string();
    sqlx::query("INSERT INTO notices (source, person_id, group_key, severity, kind, at, body) VALUES ('alert:7', 'w1', 'p-1|kpi-red', 'red', 'fired', 1, $1)")
        .bind(&body)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let store = ioc::store::connect(&url)
        .await
        .expect("the server opens the older database");
    let waiting = store
        .notify()
        .waiting_notices(&["w1".to_string()])
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    let content = store
        .notify()
        .notice_bodies(&[waiting[0].id])
        .await
        .unwrap();
    assert_eq!(
        content,
        [(waiting[0].id, body.to_string())],
        "the notice's content after the migration"
    );
}

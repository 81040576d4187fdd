//! A real `ioc` process killed with SIGKILL while it delivers notifications loses none and sends
//! none twice except under the same id: after a restart on the same database every notice of
//! every transition is in a message, every delivery was received, and the only ids a receiver
//! saw twice are deliveries that were under way at the kill, each time with the same body.

use ioc_tests::notify::{Hook, Received};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: &Value,
) -> Value {
    let r = client
        .request(method, &url)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{url}: {status} {v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_mid_delivery_loses_no_notification_and_repeats_only_by_the_same_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notify.db");
    let url = format!("sqlite://{}", db.display());
    let config = dir.path().join("ioc.toml");
    std::fs::write(
        &config,
        "[notify]\npublic_url = \"https://ioc.hanoi.gov.vn\"\nallow_private_addresses = true\nallow_plain_http = true\nretry_min_ms = 20\nretry_max_ms = 200\n",
    )
    .unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "# Only the built-in rules.\n").unwrap();
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
    ];
    let bin = env!("CARGO_BIN_EXE_ioc-e2e");
    let (mut child, base) = ioc_tests::start_process(bin, &url, &args);
    let (admin, feed) = ioc_tests::credentials(&base).await;
    let admin = ioc_tests::bearer_client(&admin);
    let feed = ioc_tests::bearer_client(&feed);
    call(
        &admin,
        reqwest::Method::POST,
        format!("{base}/api/v1/clock"),
        &json!({"now": ioc_tests::START}),
    )
    .await;
    let c = ioc_tests::fixture_catalog();
    for (path, key) in [
        ("/api/v1/units", "units"),
        ("/api/v1/people", "people"),
        ("/api/v1/kpis", "kpis"),
    ] {
        for item in c[key].as_array().unwrap() {
            call(&admin, reqwest::Method::POST, format!("{base}{path}"), item).await;
        }
    }
    for (id, name, parent, leader) in [
        ("p-1", "Phường Hoàn Kiếm", "hn", "w1"),
        ("p-2", "Phường Ba Đình", "hn", "w3"),
    ] {
        call(
            &admin,
            reqwest::Method::PUT,
            format!("{base}/api/v1/units/{id}"),
            &json!({"id": id, "name": name, "level": "ward", "parent": parent, "leader": leader}),
        )
        .await;
    }
    // Each ward leader: five webhooks on one slow receiver, and the inbox.
    let hook = Hook::start(Some("s3cret")).await;
    hook.delay(300);
    for person in ["w1", "w3"] {
        let points: Vec<Value> = (0..5)
            .map(|i| json!({"id": format!("h{i}"), "kind": "webhook", "url": hook.url(&format!("/{person}/h{i}")), "secret": "s3cret"}))
            .collect();
        call(&admin, reqwest::Method::PUT, format!("{base}/api/v1/people/{person}/contact-points"),
            &json!({"contact_points": points, "policy": {"group_wait_seconds": 0, "quiet_hours": "off"}})).await;
    }
    // Thirty transitions: each ward's on-time rate flips between red and green. How many
    // messages they make depends on how fast the worker keeps up (what waits together goes
    // together), so the kill waits for what it needs: deliveries accepted from the first ten,
    // then one of the later ones under way at the receiver.
    let events = format!("{base}/api/v1/events");
    let mut first = 0;
    let transition = |i: i64| {
        let unit = if i % 2 == 0 { "p-1" } else { "p-2" };
        let v = if (i / 2) % 2 == 0 { 80.0 } else { 97.0 };
        let at = ioc::domain::time::format_ts(1_793_581_200_000 + i * 1000);
        json!([{"type": "kpi_observation", "id": format!("f{i}"), "at": at, "kpi": "TTHC", "unit": unit, "period": "2026-10", "value": v}])
    };
    for i in 0..30 {
        call(&feed, reqwest::Method::POST, events.clone(), &transition(i)).await;
        if i == 9 {
            // The first ten's deliveries accepted before the rest come in.
            first = hook.wait_accepted(10).await.len();
        }
    }
    // Pull the plug while deliveries are under way.
    hook.until("deliveries under way", |r| {
        r.iter().filter(|x| x.status == 200).count() >= first && hook.active() > 0
    })
    .await;
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let at_kill: BTreeSet<String> = hook.received().into_iter().map(|r| r.delivery).collect();

    let (mut child, base) = ioc_tests::start_process(bin, &url, &args);
    // Everything is sent in the end: nothing waits, nothing is pending.
    let deadline = tokio::time::Instant::now() + ioc_tests::notify::WAIT;
    loop {
        let q: Value = admin
            .get(format!("{base}/api/v1/notify/queue"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if q["pending"] == 0 && q["waiting"].as_array().is_some_and(|w| w.is_empty()) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still to send: {q}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    // Every transition with someone to tell has its notice, and every notice is in a message.
    let untold: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM alert_history h WHERE h.kind IN ('fired', 'resolved') AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.source = 'alert:' || h.seq)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(untold, 0, "transitions without their notice");
    let transitions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM alert_history WHERE kind IN ('fired', 'resolved')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(transitions, 30);
    let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notices WHERE state <> 'sent'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(unsent, 0);
    // Every webhook delivery was received with success, and nothing else was.
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, state FROM notify_deliveries WHERE kind = 'webhook'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(rows.iter().all(|(_, s)| s == "delivered"), "{rows:?}");
    let stored: BTreeSet<String> = rows.into_iter().map(|(id, _)| id).collect();
    let accepted = hook.accepted();
    let seen: BTreeSet<String> = accepted.iter().map(|r| r.delivery.clone()).collect();
    assert_eq!(
        seen, stored,
        "every delivery received, none that was not made"
    );
    // The same id twice only for deliveries under way at the kill, with the same body each time;
    // every request was signed.
    let mut by_id: BTreeMap<&str, Vec<&Received>> = BTreeMap::new();
    for r in &accepted {
        by_id.entry(&r.delivery).or_default().push(r);
    }
    let repeated: Vec<&&str> = by_id
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, _)| k)
        .collect();
    for id in &repeated {
        assert!(
            at_kill.contains(**id),
            "{id} came twice though it was not under way at the kill"
        );
        let copies = &by_id[**id];
        assert!(
            copies.iter().all(|c| c.body == copies[0].body),
            "{id}: a repeat with another body"
        );
    }
    assert!(hook.received().iter().all(|r| r.signature_ok == Some(true)));
    eprintln!(
        "{} deliveries, {} repeated under the same id after the kill",
        stored.len(),
        repeated.len()
    );
    let notices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notices")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(notices, 30, "one notice per transition and person");
}

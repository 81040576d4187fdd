//! Early warnings end to end: a threshold crossed by an ingested event fires in the same step,
//! `for` runs on the clock, people acknowledge, assign and silence, everything is in the
//! history, a restart neither re-fires nor forgets, and a bad rule file never replaces good ones.

use ioc_tests::{spawn_app, spawn_app_with_rules, task_event, with_leaders, START};
use serde_json::{json, Value};

fn find<'a>(alerts: &'a Value, rule: &str, subject: &str) -> Option<&'a Value> {
    alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == rule && a["subject"] == subject)
}

fn observation(id: &str, at: &str, value: f64) -> Value {
    json!({"type": "kpi_observation", "id": id, "at": at, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": value})
}

#[tokio::test]
async fn a_red_kpi_value_fires_in_the_same_step_and_survives_a_restart_without_refiring() {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.ingest(json!([observation("o1", START, 80.0)])).await;
    // No waiting: the alert is there as soon as the ingest is acknowledged.
    let alerts = app.get_ok("/api/v1/alerts?unit=p-2").await;
    let a = find(&alerts, "builtin.kpi_thresholds", "TTHC@p-2")
        .unwrap_or_else(|| panic!("no alert in {alerts}"))
        .clone();
    assert_eq!(a["state"], "firing");
    assert_eq!(a["severity"], "red");
    assert_eq!(a["unit"], "p-2");
    assert!(
        a["summary_vi"].as_str().unwrap().contains("Phường Ba Đình"),
        "{a}"
    );
    assert!(!a["summary_en"].as_str().unwrap().is_empty());
    // Scoped to the subtree: the city sees it, the other ward does not.
    assert!(find(
        &app.get_ok("/api/v1/alerts?unit=hn&severity=red").await,
        "builtin.kpi_thresholds",
        "TTHC@p-2"
    )
    .is_some());
    assert!(find(
        &app.get_ok("/api/v1/alerts?unit=p-1").await,
        "builtin.kpi_thresholds",
        "TTHC@p-2"
    )
    .is_none());
    assert!(find(
        &app.get_ok("/api/v1/alerts?group=service").await,
        "builtin.kpi_thresholds",
        "TTHC@p-2"
    )
    .is_some());

    // The ward's leader acknowledges, signed in as themselves.
    let w3 = app.account("w3", Some("w3"), &[("leader", "p-2")]).await;
    let (status, body) = app
        .send_as(Some(&w3), reqwest::Method::POST, "/api/v1/alerts/ack", Some(&json!({"rule": "builtin.kpi_thresholds", "subject": "TTHC@p-2", "comment": "Đang xử lý"})))
        .await;
    assert_eq!(status, 204, "{body}");
    let history = app.get_ok("/api/v1/alerts/history?kpi=TTHC").await;
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["acknowledged", "fired"], "{history}");

    let app = app.restart().await;
    let alerts = app.get_ok("/api/v1/alerts?unit=p-2").await;
    let a = find(&alerts, "builtin.kpi_thresholds", "TTHC@p-2")
        .expect("the alert survives the restart");
    assert_eq!(a["acknowledged_by"], "w3");
    assert_eq!(a["ack_comment"], "Đang xử lý");
    assert_eq!(
        app.get_ok("/api/v1/alerts/history?kpi=TTHC")
            .await
            .as_array()
            .unwrap()
            .len(),
        2,
        "a restart must not re-fire"
    );

    // Back to green: resolved and gone from the active list.
    app.ingest(json!([observation(
        "o2",
        "2026-11-03T08:00:00+07:00",
        97.0
    )]))
    .await;
    assert!(find(
        &app.get_ok("/api/v1/alerts").await,
        "builtin.kpi_thresholds",
        "TTHC@p-2"
    )
    .is_none());
    let history = app
        .get_ok("/api/v1/alerts/history?unit=p-2&rule=builtin.kpi_thresholds")
        .await;
    assert_eq!(history[0]["kind"], "resolved", "{history}");
    app.stop().await;
}

#[tokio::test]
async fn a_unit_rule_with_for_fires_only_once_the_clock_has_run_its_duration() {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.ingest(json!([
        task_event("e1", "t1", "w4", "2026-11-10", START),
        task_event("e2", "t2", "w3", "2026-11-10", START)
    ]))
    .await;
    let state = |alerts: &Value| {
        find(alerts, "overdue_ratio_ward", "p-2").map(|a| a["state"].as_str().unwrap().to_string())
    };
    assert_eq!(state(&app.get_ok("/api/v1/alerts").await), None);
    // Deadlines pass: 100 % overdue in p-2, above red (25 %), but `for = 10m` has not run.
    app.set_clock("2026-11-11T00:00:00+07:00").await;
    assert_eq!(
        state(&app.get_ok("/api/v1/alerts").await).as_deref(),
        Some("pending")
    );
    app.set_clock("2026-11-11T00:09:00+07:00").await;
    assert_eq!(
        state(&app.get_ok("/api/v1/alerts").await).as_deref(),
        Some("pending")
    );
    app.set_clock("2026-11-11T00:10:00+07:00").await;
    let alerts = app.get_ok("/api/v1/alerts?unit=p-2").await;
    assert_eq!(state(&alerts).as_deref(), Some("firing"), "{alerts}");
    assert_eq!(
        find(&alerts, "overdue_ratio_ward", "p-2").unwrap()["severity"],
        "red"
    );
    // The tasks themselves are overdue too (built-in task rule).
    assert!(
        find(&alerts, "builtin.task_overdue", "t1").is_some(),
        "{alerts}"
    );
    app.stop().await;
}

#[tokio::test]
async fn alerts_are_assigned_and_silenced_and_bad_actions_are_refused() {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.ingest(json!([observation("o1", START, 80.0)])).await;
    let w3 = app.account("w3", Some("w3"), &[("leader", "p-2")]).await;
    let a1 = app.account("a1", Some("a1"), &[("leader", "hn")]).await;
    let w1 = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    let post = |who: &str, path: &str, body: Value| {
        let (who, path) = (who.to_string(), path.to_string());
        let app = &app;
        async move {
            app.send_as(Some(&who), reqwest::Method::POST, &path, Some(&body))
                .await
        }
    };
    let (status, body) = post(
        &w3,
        "/api/v1/alerts/assign",
        json!({"rule": "builtin.kpi_thresholds", "subject": "TTHC@p-2", "person": "w4"}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = post(&a1, "/api/v1/silences", json!({"unit": "p-2", "until": "2026-11-05T00:00:00+07:00", "reason": "Đang bảo trì hệ thống một cửa"})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["created_by"], "a1",
        "the silence names who set it: {body}"
    );
    let a = find(
        &app.get_ok("/api/v1/alerts").await,
        "builtin.kpi_thresholds",
        "TTHC@p-2",
    )
    .unwrap()
    .clone();
    assert_eq!(a["assigned_to"], "w4");
    assert_eq!(a["silenced"], true);
    assert!(find(
        &app.get_ok("/api/v1/alerts?silenced=false").await,
        "builtin.kpi_thresholds",
        "TTHC@p-2"
    )
    .is_none());
    let listed = app.get_ok("/api/v1/silences").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(body["id"].as_i64().unwrap() > 0);
    assert_eq!(
        listed[0]["id"], body["id"],
        "the answer names the silence that was stored"
    );
    let history = app.get_ok("/api/v1/alerts/history?unit=p-2").await;
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["kind"] == "assigned" && h["detail"]["action"]["by"] == "w3"),
        "{history}"
    );

    let (status, _) = post(
        &w3,
        "/api/v1/alerts/ack",
        json!({"rule": "nope", "subject": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    // The actor comes from the session, never from the body.
    let (status, body) = post(
        &w3,
        "/api/v1/alerts/ack",
        json!({"rule": "builtin.kpi_thresholds", "subject": "TTHC@p-2", "by": "ghost"}),
    )
    .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("by")));
    // Another ward's leader may not touch this ward's alert.
    let (status, body) = post(
        &w1,
        "/api/v1/alerts/ack",
        json!({"rule": "builtin.kpi_thresholds", "subject": "TTHC@p-2"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Phường Ba Đình"),
        "{body}"
    );
    let (status, body) = post(
        &a1,
        "/api/v1/silences",
        json!({"until": "2026-11-05", "reason": "x"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("rule"))
    );
    let (status, body) = post(
        &a1,
        "/api/v1/silences",
        json!({"unit": "p-2", "until": "2030-01-01", "reason": "x"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("until"))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_bad_rule_file_is_refused_at_reload_and_the_running_rules_and_alerts_stay() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let pack =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../alert-rules/rules/default.toml");
    std::fs::copy(&pack, rules.join("default.toml")).unwrap();
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let app = spawn_app_with_rules(&url, std::slice::from_ref(&rules)).await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.ingest(json!([observation("o1", START, 80.0)])).await;
    let before = app.get_ok("/api/v1/rules").await["rules"]
        .as_array()
        .unwrap()
        .len();
    let (status, body) = app.post("/api/v1/rules/reload", &json!({})).await;
    assert_eq!(status, 200, "{body}");

    std::fs::write(rules.join("extra.toml"), "[[rule]]\nname = \"x\"\nmetric = \"tasks.overdue_ratio\"\nyellow = \"> 0.3\"\nred = \"> 0.2\"\n").unwrap();
    let (status, body) = app.post("/api/v1/rules/reload", &json!({})).await;
    assert_eq!(status, 422, "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("extra.toml:5"), "{msg}");
    assert!(find(
        &app.get_ok("/api/v1/alerts").await,
        "builtin.kpi_thresholds",
        "TTHC@p-2"
    )
    .is_some());
    // The good file plus a good extra rule: reloaded, and the unchanged alert keeps its state.
    std::fs::write(rules.join("extra.toml"), "[[rule]]\nname = \"x\"\nmetric = \"tasks.overdue_ratio\"\nyellow = \"> 0.2\"\nred = \"> 0.3\"\nsummary_vi = \"Quá hạn {value}\"\nsummary_en = \"Overdue {value}\"\n").unwrap();
    let (status, body) = app.post("/api/v1/rules/reload", &json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.get_ok("/api/v1/rules").await["rules"]
            .as_array()
            .unwrap()
            .len(),
        before + 1
    );
    let history = app.get_ok("/api/v1/alerts/history?kpi=TTHC").await;
    assert_eq!(
        history.as_array().unwrap().len(),
        1,
        "reloading must not re-fire unchanged alerts: {history}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unacknowledged_red_escalates_to_the_parent_leader_and_an_acknowledged_one_does_not() {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.ingest(json!([
        task_event("e1", "t1", "w4", "2026-11-10", START),
        task_event("e2", "t2", "w1", "2026-11-10", START),
    ]))
    .await;
    // Both wards go red (100 % overdue) and fire after `for = 10m`.
    app.set_clock("2026-11-11T00:00:00+07:00").await;
    app.set_clock("2026-11-11T00:10:00+07:00").await;
    let w1 = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    let (status, body) = app
        .send_as(
            Some(&w1),
            reqwest::Method::POST,
            "/api/v1/alerts/ack",
            Some(&json!({"rule": "overdue_ratio_ward", "subject": "p-1"})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    // `escalate_after = 4h`, counted from the red's start.
    app.set_clock("2026-11-11T04:11:00+07:00").await;
    let escalations: Vec<Value> = app
        .get_ok("/api/v1/alerts/history?unit=hn&rule=overdue_ratio_ward")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "escalated")
        .cloned()
        .collect();
    assert_eq!(escalations.len(), 1, "{escalations:?}");
    assert_eq!(escalations[0]["subject"], "p-2");
    let notify = &escalations[0]["detail"]["notify"];
    assert_eq!(
        notify[0]["person"], "a1",
        "the city's leader hears of it: {notify}"
    );
    let a = find(
        &app.get_ok("/api/v1/alerts?unit=p-2").await,
        "overdue_ratio_ward",
        "p-2",
    )
    .unwrap()
    .clone();
    assert!(a["escalated_at"].is_string(), "{a}");
    app.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_for_progress_so_a_pending_alert_fires_on_time() {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.ingest(json!([task_event("e1", "t1", "w4", "2026-11-10", START)]))
        .await;
    app.set_clock("2026-11-11T00:00:00+07:00").await;
    app.set_clock("2026-11-11T00:06:00+07:00").await;
    let pending = find(
        &app.get_ok("/api/v1/alerts").await,
        "overdue_ratio_ward",
        "p-2",
    )
    .unwrap()["state"]
        .clone();
    assert_eq!(pending, "pending");
    let app = app.restart().await;
    // 10 minutes after the condition began, not 10 minutes after the restart.
    app.set_clock("2026-11-11T00:10:00+07:00").await;
    let a = find(
        &app.get_ok("/api/v1/alerts").await,
        "overdue_ratio_ward",
        "p-2",
    )
    .unwrap()
    .clone();
    assert_eq!(a["state"], "firing", "{a}");
    assert_eq!(a["fired_at"], "2026-11-11T00:10:00.000+07:00");
    app.stop().await;
}

#[tokio::test]
async fn a_kpi_value_past_its_frequency_and_grace_turns_no_data_and_warns_its_data_entry() {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.ingest(json!([{"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 97.0, "entered_by": "w2"}])).await;
    let service = |v: &Value| v["summary"]["kpis"]["service"].clone();
    assert_eq!(
        service(&app.get_ok("/api/v1/units/hn/view").await),
        json!({"green": 1, "yellow": 0, "red": 0, "no_data": 1})
    );
    // Monthly: current for 31 days plus 3 days of grace after it was entered.
    app.set_clock("2026-12-06T07:00:00+07:00").await;
    assert_eq!(
        service(&app.get_ok("/api/v1/units/hn/view").await)["green"],
        1
    );
    app.set_clock("2026-12-06T09:00:00+07:00").await;
    assert_eq!(
        service(&app.get_ok("/api/v1/units/hn/view").await),
        json!({"green": 0, "yellow": 0, "red": 0, "no_data": 2})
    );
    let board = app.get_ok("/api/v1/units/p-1/kpis").await;
    let line = board["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == "TTHC")
        .unwrap()
        .clone();
    assert_eq!(
        (
            line["status"].as_str(),
            line["stale"].as_bool(),
            line["value"].as_f64()
        ),
        (Some("no_data"), Some(true), Some(97.0))
    );
    let stale = find(
        &app.get_ok("/api/v1/alerts?unit=p-1").await,
        "builtin.kpi_stale",
        "TTHC@p-1",
    )
    .cloned()
    .expect("a stale-data alert");
    assert_eq!(stale["state"], "firing");
    // A fresh value brings the series back.
    app.ingest(json!([{"type": "kpi_observation", "id": "o2", "at": "2026-12-06T09:30:00+07:00", "kpi": "TTHC", "unit": "p-1", "period": "2026-11", "value": 96.0}])).await;
    assert_eq!(
        service(&app.get_ok("/api/v1/units/hn/view").await)["green"],
        1
    );
    let app = app.restart().await;
    assert_eq!(
        service(&app.get_ok("/api/v1/units/hn/view").await)["green"],
        1
    );
    app.stop().await;
}

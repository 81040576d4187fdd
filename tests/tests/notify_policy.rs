//! Who is told when, on the server's clock (the manual clock drives it; nothing sleeps): a
//! month-end burst of 30 yellow KPIs in a ward waits its group wait and goes as one message;
//! quiet hours hold yellow and let red through unless the person says otherwise; an
//! unacknowledged red is repeated until someone acknowledges it; a leader's daily digest comes
//! once a day at their hour, whatever the restarts.
//!
//! A "barrier" makes negative checks sound: the ward leader of Ba Đình (w3) is told at once, so
//! when their delivery arrives, the worker has looked at everything committed before it, and
//! what it did not send for someone else then, it held.

use ioc_tests::notify::{quiet_city, read_until, set_contact_points, value, waiting, Hook};
use ioc_tests::{task_event, test_notify, TestApp, START};
use serde_json::{json, Value};

const T0: i64 = 1_793_581_200_000; // START, 2026-11-02T08:00:00+07:00

fn at(ms_after_start: i64) -> String {
    ioc::domain::time::format_ts(T0 + ms_after_start)
}

const SEC: i64 = 1000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;

/// The fixture with its leaders, a webhook for w1 and one for w3 (the barrier, told at once).
async fn setup(w1_policy: Value) -> (TestApp, Hook, Hook) {
    let app = quiet_city(test_notify()).await;
    let w1 = Hook::start(None).await;
    let w3 = Hook::start(None).await;
    set_contact_points(
        &app,
        "w1",
        json!({"contact_points": [{"id": "hook", "kind": "webhook", "url": w1.url("/w1"), "digest": true}], "policy": w1_policy}),
    )
    .await;
    set_contact_points(
        &app,
        "w3",
        json!({"contact_points": [{"id": "hook", "kind": "webhook", "url": w3.url("/w3")}],
               "policy": {"group_wait_seconds": 0, "quiet_hours": "off"}}),
    )
    .await;
    (app, w1, w3)
}

/// A red (then green, then red…) value for Ba Đình: one more delivery to w3; returns once it
/// has arrived.
async fn barrier(app: &TestApp, w3: &Hook, n: usize) {
    let v = if n % 2 == 1 { 80.0 } else { 97.0 };
    app.ingest(json!([value(&format!("barrier-{n}"), "TTHC", "p-2", v)]))
        .await;
    w3.wait_accepted(n).await;
}

/// KPIs led by Phường Hoàn Kiếm, yellow at 90 (green from 95, red below 85).
async fn ward_kpis(app: &TestApp, n: usize) {
    for i in 0..n {
        let (status, body) = app
            .post(
                "/api/v1/kpis",
                &json!({"code": format!("PHK-{i:02}"), "name": format!("Chỉ tiêu {i} của phường"), "unit_of_measure": "%",
                        "thresholds": {"direction": "higher_is_better", "green": 95, "red": 85}, "frequency": "monthly",
                        "group": "service", "leading_unit": "p-1"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

#[tokio::test]
async fn a_month_end_burst_of_30_yellow_kpis_waits_its_group_wait_and_goes_as_one_message() {
    let (app, w1, w3) =
        setup(json!({"yellow": "immediate", "quiet_hours": "off", "group_wait_seconds": 30})).await;
    ward_kpis(&app, 30).await;
    // Thirty values turn yellow over ten seconds, in three requests.
    for part in 0..3 {
        app.set_clock(&at(part * 5 * SEC)).await;
        let events: Vec<Value> = (part * 10..part * 10 + 10)
            .map(|i| value(&format!("v{i}"), &format!("PHK-{i:02}"), "p-1", 90.0))
            .collect();
        app.ingest(json!(events)).await;
    }
    barrier(&app, &w3, 1).await;
    assert_eq!(waiting(&app, "w1").await, 30, "held for the group wait");
    assert!(w1.received().is_empty());
    // 29 s after the first: still held. 30 s: one message with all thirty.
    app.set_clock(&at(29 * SEC)).await;
    barrier(&app, &w3, 2).await;
    assert_eq!(waiting(&app, "w1").await, 30);
    app.set_clock(&at(30 * SEC)).await;
    let got = w1.wait_accepted(1).await;
    let body = got[0].json();
    assert_eq!(body["alerts"].as_array().unwrap().len(), 30, "{body}");
    assert_eq!(body["group"]["count"], 30);
    assert_eq!(body["group"]["yellow"], 30);
    assert_eq!(
        body["title_vi"],
        "[IOC] 30 thông báo (30 vàng) tại Phường Hoàn Kiếm"
    );
    barrier(&app, &w3, 3).await;
    assert_eq!(w1.received().len(), 1, "one message, not thirty");
    assert_eq!(waiting(&app, "w1").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn quiet_hours_hold_yellow_until_morning_and_let_red_through_unless_the_person_says_no() {
    let (app, w1, w3) =
        setup(json!({"yellow": "immediate", "group_wait_seconds": 0, "repeat_minutes": 0})).await;
    // w3 keeps the default quiet hours and says red waits too.
    set_contact_points(&app, "w3", json!({"contact_points": [{"id": "hook", "kind": "webhook", "url": w3.url("/w3")}],
        "policy": {"group_wait_seconds": 0, "red_bypasses_quiet_hours": false, "repeat_minutes": 0}}))
    .await;
    ward_kpis(&app, 1).await;
    app.set_clock("2026-11-02T23:00:00+07:00").await;
    app.ingest(json!([value("b-red", "TTHC", "p-2", 80.0)]))
        .await; // w3: red, held
    app.ingest(json!([value("w-yellow", "PHK-00", "p-1", 90.0)]))
        .await; // w1: yellow, held
    app.ingest(json!([value("w-red", "TTHC", "p-1", 80.0)]))
        .await; // w1: red, passes
    let got = w1.wait_accepted(1).await;
    let body = got[0].json();
    let alerts = body["alerts"].as_array().unwrap();
    assert_eq!(
        alerts.len(),
        1,
        "only the red passes the quiet hours: {body}"
    );
    assert_eq!(alerts[0]["severity"], "red");
    assert_eq!(
        waiting(&app, "w1").await,
        1,
        "the yellow waits for the morning"
    );
    assert_eq!(waiting(&app, "w3").await, 1, "w3's red waits: they said so");
    assert!(w3.received().is_empty());
    // 06:29 is still night; 06:30 is morning: both held messages go.
    app.set_clock("2026-11-03T06:29:00+07:00").await;
    app.ingest(json!([value("w-red-2", "TTHC", "p-1", 97.0)]))
        .await; // resolved: red ends
    w1.wait_accepted(2).await;
    assert_eq!(waiting(&app, "w3").await, 1);
    app.set_clock("2026-11-03T06:30:00+07:00").await;
    let got = w3.wait_accepted(1).await;
    assert_eq!(got[0].json()["alert"]["severity"], "red");
    let got = w1.wait_accepted(3).await;
    let morning = got[2].json();
    assert_eq!(morning["alerts"].as_array().unwrap().len(), 1, "{morning}");
    assert_eq!(morning["alert"]["severity"], "yellow");
    assert_eq!(waiting(&app, "w1").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn an_unacknowledged_red_is_repeated_until_acknowledged() {
    let (app, w1, w3) =
        setup(json!({"repeat_minutes": 60, "group_wait_seconds": 0, "quiet_hours": "off"})).await;
    app.set_clock(&at(0)).await;
    app.ingest(json!([value("o1", "TTHC", "p-1", 80.0)])).await;
    w1.wait_accepted(1).await;
    // 59 minutes: no repeat. 60: the first.
    app.set_clock(&at(59 * MIN)).await;
    barrier(&app, &w3, 1).await;
    assert_eq!(w1.received().len(), 1);
    app.set_clock(&at(60 * MIN)).await;
    let got = w1.wait_accepted(2).await;
    let repeat = got[1].json();
    assert_eq!(repeat["kind"], "repeat");
    assert_eq!(repeat["alert"]["kind"], "repeat");
    assert!(
        repeat["title_vi"]
            .as_str()
            .unwrap()
            .starts_with("[IOC] Nhắc lại, chưa được xác nhận (đỏ): "),
        "{repeat}"
    );
    // The clock jumping past two more intervals gives one repeat, not two.
    app.set_clock(&at(3 * HOUR + MIN)).await;
    w1.wait_accepted(3).await;
    barrier(&app, &w3, 2).await;
    assert_eq!(w1.received().len(), 3);
    // The leader acknowledges: no more repeats.
    let token = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    let (status, body) = app
        .send_as(
            Some(&token),
            reqwest::Method::POST,
            "/api/v1/alerts/ack",
            Some(&json!({"rule": "builtin.kpi_thresholds", "subject": "TTHC@p-1"})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    app.set_clock(&at(6 * HOUR)).await;
    barrier(&app, &w3, 3).await;
    assert_eq!(w1.received().len(), 3, "acknowledged: not repeated");
    assert_eq!(waiting(&app, "w1").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_leaders_daily_digest_comes_once_at_their_hour_whatever_the_restarts() {
    // No repeats here (the red stays red for days): the digest is what is tested.
    let (app, w1, w3) =
        setup(json!({"group_wait_seconds": 0, "quiet_hours": "off", "repeat_minutes": 0})).await;
    ward_kpis(&app, 1).await;
    app.set_clock(&at(0)).await;
    // A yellow (kept for the digest by a leader's defaults), a red (told at once), and a task
    // submitted for w1's acceptance.
    app.ingest(json!([
        value("y", "PHK-00", "p-1", 90.0),
        value("r", "TTHC", "p-1", 80.0)
    ]))
    .await;
    let mut task = task_event("t", "t-1", "w2", "2026-11-30", START);
    task["accountable"] = json!("w1");
    app.ingest(json!([task])).await;
    app.ingest(json!([{"type": "task", "id": "t2", "at": START, "task_id": "t-1", "progress": 100, "status": "submitted"}]))
        .await;
    let got = w1.wait_accepted(1).await;
    assert_eq!(
        got[0].json()["alerts"].as_array().unwrap().len(),
        1,
        "{}",
        got[0].json()
    );
    assert_eq!(got[0].json()["alert"]["severity"], "red");
    barrier(&app, &w3, 1).await;
    assert_eq!(
        waiting(&app, "w1").await,
        1,
        "the yellow waits for the digest"
    );
    // The next morning at 07:00.
    app.set_clock("2026-11-03T06:59:00+07:00").await;
    barrier(&app, &w3, 2).await;
    assert_eq!(w1.received().len(), 1);
    app.set_clock("2026-11-03T07:00:00+07:00").await;
    let got = w1.wait_accepted(2).await;
    let digest = got[1].json();
    assert_eq!(digest["kind"], "digest", "{digest}");
    assert_eq!(
        digest["title_vi"],
        "[IOC] Bản tin ngày 03/11/2026: 1 đang đỏ, 1 mới chuyển đỏ, 0 chưa nhập số liệu, 1 chờ nghiệm thu"
    );
    assert_eq!(digest["digest"]["red_now"]["total"], 1);
    assert_eq!(
        digest["digest"]["red_now"]["items"][0]["subject"],
        "TTHC@p-1"
    );
    assert_eq!(digest["digest"]["turned_red"]["total"], 1);
    assert_eq!(digest["digest"]["awaiting"]["total"], 1);
    assert_eq!(
        digest["digest"]["awaiting"]["items"][0]["title"],
        "Nhiệm vụ t-1"
    );
    assert_eq!(
        digest["digest"]["awaiting"]["items"][0]["responsible_name"],
        "Phạm Thị Dung"
    );
    let held = digest["alerts"].as_array().unwrap();
    assert_eq!(held.len(), 1, "{digest}");
    assert_eq!(held[0]["severity"], "yellow");
    let text = digest["text_vi"].as_str().unwrap();
    assert!(text.contains("Chờ đồng chí nghiệm thu (1)"), "{text}");
    assert_eq!(waiting(&app, "w1").await, 0);
    // Later that day, and after a restart: no second digest.
    let app = app.restart().await;
    app.set_clock("2026-11-03T09:00:00+07:00").await;
    barrier(&app, &w3, 3).await;
    let ids = |hook: &Hook| {
        hook.accepted()
            .into_iter()
            .map(|r| r.delivery)
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(ids(&w1).len(), 2, "{:?}", ids(&w1));
    // The day after, the next one (nothing turned red since the last).
    app.set_clock("2026-11-04T07:30:00+07:00").await;
    let got = w1
        .until("the next day's digest", |r| {
            r.iter()
                .any(|x| x.json()["created_at"] == "2026-11-04T07:30:00.000+07:00")
        })
        .await;
    let next = got
        .iter()
        .map(|r| r.json())
        .find(|b| b["created_at"] == "2026-11-04T07:30:00.000+07:00")
        .unwrap();
    assert_eq!(next["kind"], "digest");
    assert_eq!(next["digest"]["turned_red"]["total"], 0, "{next}");
    assert_eq!(next["digest"]["red_now"]["total"], 1);
    // The inbox holds both digests and the red.
    read_until(
        &app,
        "/api/v1/notify/health",
        "three inbox deliveries",
        |h| {
            h.as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x["person"] == "w1" && x["kind"] == "inbox" && x["delivered"] == 3)
            })
        },
    )
    .await;
    app.stop().await;
}

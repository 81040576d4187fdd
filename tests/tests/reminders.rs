//! Reminders (issue 18 item 5) against the real server, its notification outbox and the manual
//! clock: a KPI series not entered 3 days before and 1 and 3 days after its due date, a task due
//! in 3 days below 50 % progress, a submission waiting 2 days on its acceptor: each step is
//! exactly one notice for the person responsible, none for an entered series, a progressed task
//! or an accepted submission, none again after further ticks or a restart; and the reminder
//! reaches the person's inbox in Vietnamese, naming the thing and its due date.

use ioc::notify::policy::PolicyIn;
use ioc::notify::remind::Reminders;
use ioc_tests::{spawn_app_notify, test_notify, with_leaders, TestApp, START};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn config() -> ioc::notify::NotifyConfig {
    let at_once = PolicyIn {
        group_wait_seconds: Some(0),
        quiet_hours: Some("off".into()),
        ..Default::default()
    };
    ioc::notify::NotifyConfig {
        reminders: Reminders::default(),
        leader: at_once.clone(),
        official: at_once,
        ..test_notify()
    }
}

/// The reminder notices of w1 and w2 in the outbox, as (person, source), sorted. Read from the
/// database: they are committed with the clock's move, so this is exact with no waiting.
async fn notices(app: &TestApp) -> Vec<(String, String)> {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .expect("the test database");
    let mut rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT person_id, source FROM notices WHERE source LIKE 'reminder:%' AND person_id IN ('w1', 'w2')",
    )
    .fetch_all(&mut conn)
    .await
    .expect("notices");
    rows.sort();
    rows
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect();
    v.sort();
    v
}

fn ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .unwrap()
        .timestamp_millis()
}

#[tokio::test]
async fn each_reminder_step_is_one_notice_to_the_person_responsible_whatever_the_ticks_and_restarts(
) {
    let app = spawn_app_notify(config()).await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let w1 = app.account("cuong", Some("w1"), &[("leader", "p-1")]).await;
    // KN (monthly, led by p-1, whose leader w1 enters it) has October's value.
    let submitted = "2026-11-10T08:00:00+07:00";
    app.ingest(json!([
        {"type": "kpi_observation", "id": "kn-10", "at": START, "kpi": "KN", "unit": "p-1", "period": "2026-10", "value": 1.0},
        {"type": "task", "id": "slow", "at": START, "task_id": "t-slow", "title": "Rà soát hồ sơ tồn", "responsible": "w2", "deadline": "2026-11-20"},
        {"type": "task", "id": "fast", "at": START, "task_id": "t-fast", "title": "Cập nhật danh bạ", "responsible": "w2", "deadline": "2026-11-20", "progress": 60},
        {"type": "task", "id": "sub", "at": START, "task_id": "t-sub", "title": "Báo cáo an ninh trật tự", "responsible": "w2", "accountable": "w1", "deadline": "2026-12-31"},
        {"type": "task", "id": "acc", "at": START, "task_id": "t-acc", "title": "Báo cáo môi trường", "responsible": "w2", "deadline": "2026-12-31"}
    ]))
    .await;
    assert_eq!(
        notices(&app).await,
        [],
        "nothing is due a reminder at the start"
    );

    app.set_clock(submitted).await;
    app.ingest(json!([
        {"type": "task", "id": "sub-s", "at": submitted, "task_id": "t-sub", "status": "submitted", "progress": 100},
        {"type": "task", "id": "acc-s", "at": submitted, "task_id": "t-acc", "status": "submitted", "progress": 100}
    ]))
    .await;
    app.set_clock("2026-11-11T08:00:00+07:00").await;
    app.ingest(json!([{"type": "task", "id": "acc-a", "at": "2026-11-11T08:00:00+07:00", "task_id": "t-acc", "status": "accepted", "quality": 90}]))
        .await;
    assert_eq!(notices(&app).await, []);

    // Two days after the submission: its accountable person, once.
    let sub = format!("reminder:accept:t-sub:{}:wait2", ms(submitted));
    app.set_clock("2026-11-12T08:00:00+07:00").await;
    assert_eq!(notices(&app).await, pairs(&[("w1", &sub)]));

    // Three days before the deadline: the task below 50 %, not the one at 60 %.
    let slow = format!(
        "reminder:task:t-slow:{}:due3",
        ms("2026-11-20T23:59:59.999+07:00")
    );
    app.set_clock("2026-11-17T08:00:00+07:00").await;
    app.set_clock("2026-11-17T10:00:00+07:00").await;
    let mut want = vec![("w1", sub.as_str()), ("w2", slow.as_str())];
    assert_eq!(notices(&app).await, pairs(&want));

    // KN for November is due 3 December (the month's end plus 3 days): 3 days before, then 1
    // and 3 days late; October's, entered, is never reminded.
    app.set_clock("2026-11-29T08:00:00+07:00").await;
    assert_eq!(notices(&app).await, pairs(&want));
    app.set_clock("2026-11-30T08:00:00+07:00").await;
    want.push(("w1", "reminder:series:KN@p-1:2026-11:before3"));
    assert_eq!(notices(&app).await, pairs(&want));
    app.set_clock("2026-12-01T08:00:00+07:00").await;
    assert_eq!(
        notices(&app).await,
        pairs(&want),
        "the same step is not sent again"
    );
    app.set_clock("2026-12-04T08:00:00+07:00").await;
    want.push(("w1", "reminder:series:KN@p-1:2026-11:after1"));
    assert_eq!(notices(&app).await, pairs(&want));
    let app = app.restart().await;
    app.set_clock("2026-12-04T09:00:00+07:00").await;
    assert_eq!(
        notices(&app).await,
        pairs(&want),
        "a restart sends nothing twice"
    );
    app.set_clock("2026-12-06T08:00:00+07:00").await;
    want.push(("w1", "reminder:series:KN@p-1:2026-11:after3"));
    assert_eq!(notices(&app).await, pairs(&want));
    // Entered now: nothing more for it.
    app.ingest(json!([{"type": "kpi_observation", "id": "kn-11", "at": "2026-12-06T08:00:00+07:00", "kpi": "KN", "unit": "p-1", "period": "2026-11", "value": 1.0}]))
        .await;
    let app = app.restart().await;
    app.set_clock("2026-12-09T08:00:00+07:00").await;
    assert_eq!(notices(&app).await, pairs(&want));

    // The reminders reached w1's inbox in Vietnamese, naming the KPI, the unit and the date.
    let deadline = Instant::now() + Duration::from_secs(30);
    let texts = loop {
        let (status, inbox) = app
            .send_as(
                Some(&w1),
                reqwest::Method::GET,
                "/api/v1/inbox?limit=200",
                None,
            )
            .await;
        assert_eq!(status, 200, "{inbox}");
        let texts: Vec<String> = inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["items"].as_array().cloned().unwrap_or_default())
            .filter(|i| i["kind"] == "reminder")
            .map(|i| i["summary_vi"].as_str().unwrap_or_default().to_string())
            .collect();
        if texts.len() >= 4 || Instant::now() > deadline {
            break texts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let all = texts.join("\n");
    assert!(all.contains("Nhập số liệu Số đơn khiếu nại tồn đọng của Phường Hoàn Kiếm kỳ 2026-11, hạn 03/12/2026"), "{all}");
    assert!(
        all.contains("Chưa nhập số liệu Số đơn khiếu nại tồn đọng"),
        "{all}"
    );
    assert!(all.contains("“Báo cáo an ninh trật tự” của Phạm Thị Dung, nộp ngày 10/11/2026, đã chờ anh/chị nghiệm thu 2 ngày"), "{all}");
    let _: Value = json!(null);
}

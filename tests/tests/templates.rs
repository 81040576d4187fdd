//! Recurring tasks from a template (issue 18 item 3) against the real server and the manual
//! clock: a leader makes a monthly template; when the clock reaches the creation day the writer
//! makes that period's task once (RACI, due date, title naming the period, audit entry naming
//! the template), whatever the further ticks and restarts; a pause stops the next one and a
//! resume makes the current one; a server down over several periods makes only the current one
//! and names the missed ones; people outside the leader's subtree, other wards' leaders, tokens
//! and bad values are refused naming the field, and nothing is kept.

use ioc_tests::{
    fresh_postgres_db, postgres_admin_url, spawn_app, spawn_app_on, with_leaders, TestApp,
};
use reqwest::Method;
use serde_json::{json, Value};

struct People {
    /// Lê Văn Cường (w1), leader of ward p-1.
    leader: String,
    /// Phạm Thị Dung (w2), an official of p-1.vh.
    official: String,
    /// Hoàng Minh Đức (w3), leader of ward p-2.
    outsider: String,
}

async fn city(app: &TestApp) -> People {
    app.load_fixture().await;
    with_leaders(app).await;
    People {
        leader: app.account("cuong", Some("w1"), &[("leader", "p-1")]).await,
        official: app
            .account("dung", Some("w2"), &[("viewer", "p-1.vh")])
            .await,
        outsider: app.account("duc", Some("w3"), &[("leader", "p-2")]).await,
    }
}

async fn as_(app: &TestApp, who: &str, m: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    app.send_as(Some(who), m, path, body.as_ref()).await
}

fn monthly() -> Value {
    json!({
        "id": "bc-thang", "unit": "p-1", "title": "Báo cáo", "expected_output": "Báo cáo tổng hợp tình hình phường",
        "responsible": "w2", "accountable": "w1", "key_result": "kr-3",
        "every": "monthly", "day": 25, "lead_days": 5
    })
}

async fn task(app: &TestApp, id: &str) -> Option<Value> {
    let (status, body) = app.get(&format!("/api/v1/tasks/{id}")).await;
    match status {
        200 => Some(body),
        404 => None,
        _ => panic!("GET task {id}: {status} {body}"),
    }
}

async fn history_len(app: &TestApp, id: &str) -> usize {
    app.get_ok(&format!("/api/v1/tasks/{id}/history"))
        .await
        .as_array()
        .map_or(0, Vec::len)
}

/// The template's tasks that exist, of the months the test moves through.
async fn instances(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for month in [
        "2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04",
    ] {
        let id = format!("bc-thang-{month}");
        if task(app, &id).await.is_some() {
            ids.push(id);
        }
    }
    ids
}

async fn template_entries(app: &TestApp, task: &str) -> Vec<Value> {
    let audit = app.get_ok("/api/v1/audit?unit=p-1&limit=1000").await;
    audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == format!("task:{task}"))
        .cloned()
        .collect()
}

async fn made_once_per_period(app: TestApp) {
    let p = city(&app).await;
    let (status, t) = as_(
        &app,
        &p.leader,
        Method::POST,
        "/api/v1/task-templates",
        Some(monthly()),
    )
    .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["next"]["period"], "2026-11", "{t}");
    assert_eq!(t["next"]["title"], "Báo cáo tháng 11/2026");
    assert_eq!(t["next"]["due"], "2026-11-25");
    assert_eq!(t["next"]["created_at"], "2026-11-20T00:00:00.000+07:00");
    assert_eq!(t["names"]["w2"], "Phạm Thị Dung");

    // The day before the creation day: nothing yet.
    app.set_clock("2026-11-19T23:59:00+07:00").await;
    assert!(task(&app, "bc-thang-2026-11").await.is_none());

    // The creation day: the task, as a leader assigning it would have made it.
    app.set_clock("2026-11-20T00:00:30+07:00").await;
    let made = task(&app, "bc-thang-2026-11")
        .await
        .expect("November's report is made");
    assert_eq!(made["title"], "Báo cáo tháng 11/2026");
    assert_eq!(made["responsible"], "w2");
    assert_eq!(made["accountable"], "w1");
    assert_eq!(made["key_result"], "kr-3");
    assert_eq!(
        made["unit"], "p-1.vh",
        "a task belongs to its responsible person's unit"
    );
    assert_eq!(made["deadline"], "2026-11-25T23:59:59.999+07:00");
    assert_eq!(made["expected_output"], "Báo cáo tổng hợp tình hình phường");
    assert_eq!(made["status"], "todo");
    // It is on the responsible person's own list.
    let (_, mine) = as_(&app, &p.official, Method::GET, "/api/v1/me/tasks", None).await;
    assert!(mine.to_string().contains("bc-thang-2026-11"), "{mine}");
    let entries = template_entries(&app, "bc-thang-2026-11").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["action"], "task.create");
    assert_eq!(entries[0]["actor"], "system:task-template");
    assert_eq!(entries[0]["new"]["template"], "bc-thang");
    assert_eq!(entries[0]["new"]["period"], "2026-11");

    // Another tick, then a restart and a tick: still one task, one event, one entry.
    app.set_clock("2026-11-20T09:00:00+07:00").await;
    let app = app.restart().await;
    app.set_clock("2026-11-21T09:00:00+07:00").await;
    assert_eq!(history_len(&app, "bc-thang-2026-11").await, 1);
    assert_eq!(template_entries(&app, "bc-thang-2026-11").await.len(), 1);
    assert_eq!(instances(&app).await, ["bc-thang-2026-11"]);
    let listed = app.get_ok("/api/v1/task-templates").await;
    assert_eq!(
        listed[0]["current"]["task_id"], "bc-thang-2026-11",
        "{listed}"
    );
    assert_eq!(listed[0]["current"]["made"], true);
    assert_eq!(listed[0]["next"]["period"], "2026-12");

    // Paused: December's creation day passes without a task.
    let (status, body) = as_(
        &app,
        &p.leader,
        Method::PUT,
        "/api/v1/task-templates/bc-thang",
        Some(json!({"paused": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["paused"], true);
    assert!(body["next"].is_null(), "{body}");
    app.set_clock("2026-12-21T08:00:00+07:00").await;
    assert!(task(&app, "bc-thang-2026-12").await.is_none());
    // Resumed: the current period's task is made at the next move of the clock.
    let (status, body) = as_(
        &app,
        &p.leader,
        Method::PUT,
        "/api/v1/task-templates/bc-thang",
        Some(json!({"paused": false})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    app.set_clock("2026-12-21T08:00:01+07:00").await;
    let dec = task(&app, "bc-thang-2026-12")
        .await
        .expect("December's, after the resume");
    assert_eq!(dec["title"], "Báo cáo tháng 12/2026");

    // A change with its reason applies to the periods to come, not to the tasks made.
    let (status, body) = as_(&app, &p.leader, Method::PUT, "/api/v1/task-templates/bc-thang",
        Some(json!({"title": "Báo cáo kết quả", "reason": "Đổi tên theo chỉ đạo của UBND thành phố"}))).await;
    assert_eq!(status, 200, "{body}");
    let audit = app.get_ok("/api/v1/audit?unit=p-1&limit=1000").await;
    let change = audit
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["entity"] == "task_template:bc-thang" && e["action"] == "task_template.change")
        .cloned()
        .expect("the change is audited");
    assert_eq!(
        change["new"]["reason"],
        "Đổi tên theo chỉ đạo của UBND thành phố"
    );
    assert_eq!(change["new"]["title"], "Báo cáo kết quả");
    assert_eq!(change["old"]["title"], "Báo cáo");
    assert_eq!(
        task(&app, "bc-thang-2026-12").await.unwrap()["title"],
        "Báo cáo tháng 12/2026"
    );

    // Down over January and February: March's task only, the missed periods named.
    let app = app.restart().await;
    app.set_clock("2027-03-21T08:00:00+07:00").await;
    assert_eq!(
        instances(&app).await,
        ["bc-thang-2026-11", "bc-thang-2026-12", "bc-thang-2027-03"]
    );
    let march = task(&app, "bc-thang-2027-03").await.unwrap();
    assert_eq!(march["title"], "Báo cáo kết quả tháng 3/2027");
    let entries = template_entries(&app, "bc-thang-2027-03").await;
    assert_eq!(
        entries[0]["new"]["missed_periods"],
        json!(["2027-02", "2027-01"])
    );
}

#[tokio::test]
async fn a_monthly_template_makes_each_periods_task_once_through_ticks_pauses_and_restarts() {
    made_once_per_period(spawn_app().await).await;
}

#[tokio::test]
async fn a_monthly_template_makes_each_periods_task_once_on_postgres() {
    let Some(admin) = postgres_admin_url("a_monthly_template_on_postgres") else {
        return;
    };
    let url = fresh_postgres_db(&admin).await;
    made_once_per_period(spawn_app_on(&url).await).await;
}

#[tokio::test]
async fn templates_are_refused_naming_the_field_and_nothing_is_kept() {
    let app = spawn_app().await;
    let p = city(&app).await;
    let post = |who: &str, body: Value| {
        let who = who.to_string();
        let app = &app;
        async move {
            as_(
                app,
                &who,
                Method::POST,
                "/api/v1/task-templates",
                Some(body),
            )
            .await
        }
    };
    let with = |k: &str, v: Value| {
        let mut b = monthly();
        b[k] = v;
        b
    };
    for (body, status, field) in [
        (with("day", json!(0)), 422, "day"),
        (with("day", json!(32)), 422, "day"),
        (with("lead_days", json!(40)), 422, "lead_days"),
        (with("key_result", json!("kr-khong-co")), 422, "key_result"),
        (with("responsible", json!("w4")), 403, "responsible"),
        (with("responsible", json!("khong-co")), 422, "responsible"),
        (with("accountable", json!("w2")), 422, "accountable"),
        (with("informed", json!(["a2"])), 403, "informed[0]"),
        (with("every", json!("daily")), 422, "every"),
        (with("active_from", json!("25/11/2026")), 422, "active_from"),
        (with("title", json!("  ")), 422, "title"),
        (with("colour", json!("red")), 422, "colour"),
    ] {
        let (got, answer) = post(&p.leader, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
        assert!(!answer["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    let mut weekly = monthly();
    weekly["every"] = json!("weekly");
    weekly["day"] = json!(8);
    let (got, answer) = post(&p.leader, weekly).await;
    assert_eq!(
        (got, answer["error"]["field"].as_str()),
        (422, Some("day")),
        "{answer}"
    );

    // Another ward's leader, an official and a token may not make p-1's templates.
    for who in [&p.outsider, &p.official] {
        let (got, answer) = post(who, monthly()).await;
        assert_eq!(got, 403, "{answer}");
    }
    let r = app
        .feed
        .post(app.url("/api/v1/task-templates"))
        .json(&monthly())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(
        app.get_ok("/api/v1/task-templates")
            .await
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing kept"
    );

    // Made by its leader; the same id again is a conflict.
    let (got, body) = post(&p.leader, monthly()).await;
    assert_eq!(got, 201, "{body}");
    let (got, body) = post(&p.leader, monthly()).await;
    assert_eq!(
        (got, body["error"]["field"].as_str()),
        (409, Some("id")),
        "{body}"
    );
    // Changed only by a leader over its unit, with a reason unless it only pauses.
    let put = |who: &str, body: Value| {
        let who = who.to_string();
        let app = &app;
        async move {
            as_(
                app,
                &who,
                Method::PUT,
                "/api/v1/task-templates/bc-thang",
                Some(body),
            )
            .await
        }
    };
    let (got, body) = put(&p.leader, json!({})).await;
    assert_eq!(
        (got, body["error"]["code"].as_str()),
        (422, Some("invalid")),
        "{body}"
    );
    assert!(
        body["error"]["field"].is_null(),
        "the whole body is at fault: {body}"
    );
    let (got, body) = put(&p.outsider, json!({"paused": true})).await;
    assert_eq!(got, 403, "{body}");
    let (got, body) = put(&p.leader, json!({"day": 26})).await;
    assert_eq!(
        (got, body["error"]["field"].as_str()),
        (422, Some("reason")),
        "{body}"
    );
    let (got, body) = put(&p.leader, json!({"day": 32, "reason": "lùi hạn"})).await;
    assert_eq!(
        (got, body["error"]["field"].as_str()),
        (422, Some("day")),
        "{body}"
    );
    let (got, _) = as_(
        &app,
        &p.leader,
        Method::PUT,
        "/api/v1/task-templates/khong-co",
        Some(json!({"paused": true})),
    )
    .await;
    assert_eq!(got, 404);
    let kept = app.get_ok("/api/v1/task-templates/bc-thang").await;
    assert_eq!(
        (kept["day"].as_u64(), kept["paused"].as_bool()),
        (Some(25), Some(false)),
        "{kept}"
    );
    // The outsider does not even see it.
    let (got, _) = as_(
        &app,
        &p.outsider,
        Method::GET,
        "/api/v1/task-templates/bc-thang",
        None,
    )
    .await;
    assert_eq!(got, 403);
    let (_, theirs) = as_(
        &app,
        &p.outsider,
        Method::GET,
        "/api/v1/task-templates",
        None,
    )
    .await;
    assert_eq!(theirs, json!([]));
}

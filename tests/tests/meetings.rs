//! Review meetings (giao ban) end to end against the real server and its SQLite store: a ward
//! leader opens the week's review as a meeting, the agenda holds what turned red, the key result
//! behind pace and the overdue official; notes are taken, the wall follows the presenter over the
//! WebSocket; conclusions become tasks with their RACI roles, an adjusted key-result target
//! (audited with the meeting as its reason), an explanation request and a reasoned silence, each
//! committed with the meeting; a retry is a duplicate. The closed record refuses changes; a
//! correction is audited. Next week's review opens with last week's conclusions and where each
//! stands (done, late, open), the next meeting's agenda starts with them, and a restart keeps all.

use ioc_tests::{spawn_app, task_event, with_leaders, TestApp, START};
use serde_json::{json, Value};

const WEEK: &str = "2026-W46";
const MEETING: &str = "gb-p-1-2026-W46";

async fn send(
    app: &TestApp,
    who: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    app.send_as(Some(who), method, path, body).await
}

async fn post(app: &TestApp, who: &str, path: &str, body: &Value) -> (u16, Value) {
    send(app, who, reqwest::Method::POST, path, Some(body)).await
}

async fn get(app: &TestApp, who: &str, path: &str) -> (u16, Value) {
    send(app, who, reqwest::Method::GET, path, None).await
}

/// The fixture city in week 46: TTHC of Phường Hoàn Kiếm green last week and red this week,
/// kr-3 (Q4) not moved since the quarter began, T1 of Phạm Thị Dung (w2) overdue since the 5th.
/// Sessions: the ward's leader w1 (also its admin), a viewer of the ward w4, Ba Đình's leader w3.
async fn ward_in_week_46() -> (TestApp, String, String, String) {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.set_clock(START).await;
    app.ingest(json!([
        task_event("t1-new", "T1", "w2", "2026-11-05", START),
        {"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 96.0}
    ]))
    .await;
    app.set_clock("2026-11-11T09:00:00+07:00").await;
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o2", "at": "2026-11-11T09:00:00+07:00", "kpi": "TTHC", "unit": "p-1", "period": "2026-11", "value": 81.0}
    ]))
    .await;
    let w1 = app
        .account("w1", Some("w1"), &[("leader", "p-1"), ("admin", "p-1")])
        .await;
    let w4 = app.account("w4", Some("w4"), &[("viewer", "p-1")]).await;
    let w3 = app.account("w3", Some("w3"), &[("leader", "p-2")]).await;
    (app, w1, w4, w3)
}

fn keys(m: &Value) -> Vec<String> {
    m["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect()
}

fn conclusion<'a>(m: &'a Value, id: &str) -> &'a Value {
    m["conclusions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no conclusion {id}: {m}"))
}

async fn audit(app: &TestApp, action: &str) -> Vec<Value> {
    let entries = app.get_ok("/api/v1/audit?limit=1000").await;
    entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

async fn conclude(app: &TestApp, who: &str, body: Value) -> (u16, Value) {
    post(
        app,
        who,
        &format!("/api/v1/meetings/{MEETING}/conclusions"),
        &body,
    )
    .await
}

#[tokio::test]
async fn a_ward_holds_its_weekly_review_as_a_meeting_and_next_week_follows_it_up() {
    let (app, w1, w4, w3) = ward_in_week_46().await;

    // Refusals first: nothing of them is kept.
    let open = |chair: &str, period: &str| json!({"unit": "p-1", "period": period, "chair": chair, "attendees": ["w2", "w4"]});
    let (status, body) = post(&app, &w4, "/api/v1/meetings", &open("w1", WEEK)).await;
    assert_eq!(status, 403, "a viewer does not hold the meeting: {body}");
    let (status, body) = post(&app, &w3, "/api/v1/meetings", &open("w1", WEEK)).await;
    assert_eq!(status, 403, "another ward's leader does not either: {body}");
    let (status, body) = post(&app, &w1, "/api/v1/meetings", &open("nobody", WEEK)).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("chair")),
        "{body}"
    );
    let (status, body) = post(&app, &w1, "/api/v1/meetings", &open("w1", "2026-W99")).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("period")),
        "{body}"
    );
    let (status, body) = post(&app, &w1, "/api/v1/meetings", &open("w1", "2027-W10")).await;
    assert_eq!(status, 422, "a week not begun: {body}");
    let (_, list) = get(&app, &w1, "/api/v1/meetings?unit=p-1").await;
    assert_eq!(list["meetings"], json!([]), "refusals kept nothing");

    // Opened: the agenda is generated from the review.
    let (status, m) = post(&app, &w1, "/api/v1/meetings", &open("w1", WEEK)).await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(m["id"], MEETING);
    assert_eq!(m["state"], "open");
    assert_eq!(m["chair"]["name"], "Lê Văn Cường");
    assert_eq!(m["attendees"].as_array().unwrap().len(), 2);
    assert_eq!(m["may_edit"], true);
    let agenda = keys(&m);
    for k in ["red:TTHC@p-1", "kr:kr-3", "overdue:w2"] {
        assert!(
            agenda.contains(&k.to_string()),
            "{k} missing from {agenda:?}"
        );
    }
    let red = m["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "red:TTHC@p-1")
        .unwrap();
    assert_eq!(red["title"], "Tỷ lệ hồ sơ giải quyết đúng hạn");
    assert!(red["detail"].as_str().unwrap().contains("96"), "{red}");
    assert!(red["detail"].as_str().unwrap().contains("81"), "{red}");
    let (status, again) = post(&app, &w1, "/api/v1/meetings", &open("w1", WEEK)).await;
    assert_eq!(
        (status, &again["duplicate"]),
        (200, &json!(true)),
        "{again}"
    );
    assert_eq!(audit(&app, "meeting.open").await.len(), 1);
    let (status, read) = get(&app, &w4, &format!("/api/v1/meetings/{MEETING}")).await;
    assert_eq!(
        status, 200,
        "the ward's viewer reads the conclusions: {read}"
    );
    assert_eq!(read["may_edit"], false);
    let (status, _) = get(&app, &w3, &format!("/api/v1/meetings/{MEETING}")).await;
    assert_eq!(status, 403, "outside the ward's scope");
    // The review of the week names its meeting.
    let (_, review) = get(&app, &w1, &format!("/api/v1/units/p-1/review?week={WEEK}")).await;
    assert_eq!(review["meeting"]["id"], MEETING, "{}", review["meeting"]);
    assert_eq!(review["follow_up"], Value::Null);

    // The wall follows the presenter.
    let mut wall = app.ws().await;
    wall.subscribe("meeting", MEETING).await;
    let first = wall
        .until("the meeting's frame", |f| {
            f["type"] == "view" && f["view"] == "meeting"
        })
        .await;
    assert_eq!(first["data"]["current"], 0, "{first}");
    let kr_index = agenda.iter().position(|k| k == "kr:kr-3").unwrap();
    let (status, body) = post(
        &app,
        &w1,
        &format!("/api/v1/meetings/{MEETING}/present"),
        &json!({"item": kr_index}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let moved = wall
        .until("the wall to move", |f| {
            f["view"] == "meeting" && f["data"]["current"] == kr_index
        })
        .await;
    assert_eq!(moved["data"]["item"]["key"], "kr:kr-3");
    assert_eq!(moved["data"]["key_result"]["target"], 100.0, "{moved}");
    let (status, body) = post(
        &app,
        &w4,
        &format!("/api/v1/meetings/{MEETING}/present"),
        &json!({"item": 0}),
    )
    .await;
    assert_eq!(status, 403, "a viewer does not drive the wall: {body}");
    let (status, body) = post(
        &app,
        &w1,
        &format!("/api/v1/meetings/{MEETING}/present"),
        &json!({"item": 999}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("item")),
        "{body}"
    );

    // Notes per item.
    let (status, body) = send(
        &app,
        &w1,
        reqwest::Method::PUT,
        &format!("/api/v1/meetings/{MEETING}/items/red:TTHC@p-1/note"),
        Some(&json!({"note": "Bộ phận một cửa thiếu người tuần này"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let red = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "red:TTHC@p-1")
        .unwrap()
        .clone();
    assert_eq!(red["note"], "Bộ phận một cửa thiếu người tuần này");
    let (status, body) = send(
        &app,
        &w1,
        reqwest::Method::PUT,
        &format!("/api/v1/meetings/{MEETING}/items/nope/note"),
        Some(&json!({"note": "x"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("item")),
        "{body}"
    );

    // Two conclusions become tasks with their RACI roles.
    let (status, m) = conclude(&app, &w1, json!({
        "id": "c1", "item": "overdue:w2", "text": "Đồng chí Dung hoàn thành hồ sơ tồn trước thứ Sáu",
        "action": "task",
        "task": {"responsible": "w2", "accountable": "w1", "consulted": ["w4"], "informed": ["w1"], "deadline": "2026-11-20"}
    })).await;
    assert_eq!(status, 201, "{m}");
    let (status, m) = conclude(&app, &w1, json!({
        "id": "c2", "item": "red:TTHC@p-1", "text": "Bổ sung người cho bộ phận một cửa",
        "action": "task",
        "task": {"title": "Điều động thêm 2 cán bộ cho bộ phận một cửa", "responsible": "w2", "accountable": "w1", "deadline": "2026-11-14"}
    })).await;
    assert_eq!(status, 201, "{m}");
    let c1 = conclusion(&m, "c1").clone();
    assert_eq!(c1["action"], "task");
    assert_eq!(c1["status"], "open");
    assert_eq!(c1["task"]["responsible"]["id"], "w2");
    assert_eq!(c1["task"]["accountable"]["id"], "w1");
    assert_eq!(c1["task"]["consulted"][0]["id"], "w4");
    assert_eq!(c1["task"]["informed"][0]["id"], "w1");
    let t1 = c1["task"]["id"].as_str().unwrap().to_string();
    let t2 = conclusion(&m, "c2")["task"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let task = app.get_ok(&format!("/api/v1/tasks/{t2}")).await;
    assert_eq!(
        task["title"], "Điều động thêm 2 cán bộ cho bộ phận một cửa",
        "{task}"
    );
    assert_eq!(task["responsible"], "w2");
    assert_eq!(task["accountable"], "w1");
    // The same conclusion again: nothing new (one task, one audit entry).
    let (status, again) = conclude(&app, &w1, json!({
        "id": "c1", "item": "overdue:w2", "text": "Đồng chí Dung hoàn thành hồ sơ tồn trước thứ Sáu",
        "action": "task",
        "task": {"responsible": "w2", "accountable": "w1", "consulted": ["w4"], "informed": ["w1"], "deadline": "2026-11-20"}
    })).await;
    assert_eq!(
        (status, &again["duplicate"]),
        (200, &json!(true)),
        "{again}"
    );
    assert_eq!(again["conclusions"].as_array().unwrap().len(), 2);
    // A task the responsibility rules refuse (a person outside the leader's ward) keeps nothing.
    let (status, body) = conclude(
        &app,
        &w1,
        json!({
            "id": "c-bad", "text": "Giao cho phường bên", "action": "task",
            "task": {"responsible": "w3", "deadline": "2026-11-20"}
        }),
    )
    .await;
    assert!(status == 403 || status == 422, "{status} {body}");
    let (status, body) = conclude(
        &app,
        &w1,
        json!({
            "id": "c-bad2", "text": "Hạn sai", "action": "task",
            "task": {"responsible": "w2", "deadline": "thứ Sáu"}
        }),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("task.deadline")),
        "{body}"
    );
    let (_, m) = get(&app, &w1, &format!("/api/v1/meetings/{MEETING}")).await;
    assert_eq!(
        m["conclusions"].as_array().unwrap().len(),
        2,
        "refused conclusions kept nothing"
    );

    // A key result's target adjusted through the catalog's rules: a leader who is not also an
    // admin of the ward is refused and nothing is kept; the ward's admin-leader adjusts it,
    // audited with the meeting as the reason.
    let leader_only = app
        .account("w1-lead", Some("w1"), &[("leader", "p-1")])
        .await;
    let (status, body) = conclude(
        &app,
        &leader_only,
        json!({
            "id": "c3", "item": "kr:kr-3", "text": "Hạ chỉ tiêu quý IV xuống 95% do thiếu người",
            "action": "adjust", "adjust": {"key_result": "kr-3", "target": 95}
        }),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        app.get_ok("/api/v1/key-results/kr-3").await["target"],
        100.0
    );
    let (status, m) = conclude(
        &app,
        &w1,
        json!({
            "id": "c3", "item": "kr:kr-3", "text": "Hạ chỉ tiêu quý IV xuống 95% do thiếu người",
            "action": "adjust", "adjust": {"key_result": "kr-3", "target": 95}
        }),
    )
    .await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(conclusion(&m, "c3")["adjust"]["from"], 100.0);
    assert_eq!(app.get_ok("/api/v1/key-results/kr-3").await["target"], 95.0);
    let changed: Vec<Value> = app
        .get_ok("/api/v1/audit?limit=1000")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"].as_str().is_some_and(|s| s.contains("kr-3")))
        .cloned()
        .collect();
    assert!(
        changed
            .iter()
            .any(|e| e["new"]["reason"] == format!("meeting:{MEETING}")),
        "the adjustment's entry names the meeting: {changed:?}"
    );
    // An explanation requested, and a silence with its reason.
    let (status, m) = conclude(&app, &w1, json!({
        "id": "c4", "item": "red:TTHC@p-1", "text": "Giải trình vì sao tỷ lệ đúng hạn giảm",
        "action": "explain", "explain": {"subject_kind": "kpi", "subject": "TTHC", "unit": "p-1", "addressee": "w2", "due": "2026-11-13"}
    })).await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(conclusion(&m, "c4")["explanation"]["state"], "open");
    let (status, body) = conclude(
        &app,
        &w1,
        json!({"id": "c5", "text": "Không xử lý", "action": "silence", "reason": ""}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("reason")),
        "{body}"
    );
    let (status, m) = conclude(&app, &w1, json!({"id": "c5", "text": "Chưa điều chỉnh chỉ tiêu KN", "action": "silence", "reason": "Chờ số liệu quý"})).await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(conclusion(&m, "c5")["reason"], "Chờ số liệu quý");

    // A correction is for closed records; the meeting closes; then it is read-only.
    let (status, body) = post(
        &app,
        &w1,
        &format!("/api/v1/meetings/{MEETING}/corrections"),
        &json!({"conclusion": "c5", "text": "x", "reason": "y"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, m) = post(
        &app,
        &w1,
        &format!("/api/v1/meetings/{MEETING}/close"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["state"], "closed");
    assert_eq!(m["may_correct"], true);
    let (status, body) = conclude(
        &app,
        &w1,
        json!({"id": "c6", "text": "Muộn", "action": "silence", "reason": "x"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = send(
        &app,
        &w1,
        reqwest::Method::PUT,
        &format!("/api/v1/meetings/{MEETING}/items/red:TTHC@p-1/note"),
        Some(&json!({"note": "sửa sau"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = post(
        &app,
        &w4,
        &format!("/api/v1/meetings/{MEETING}/corrections"),
        &json!({"conclusion": "c5", "text": "x", "reason": "y"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, m) = post(&app, &w1, &format!("/api/v1/meetings/{MEETING}/corrections"), &json!({"conclusion": "c5", "text": "Chưa điều chỉnh chỉ tiêu KN quý IV", "reason": "Ghi thiếu kỳ"})).await;
    assert_eq!(status, 200, "{m}");
    let c5 = conclusion(&m, "c5");
    assert_eq!(c5["text"], "Chưa điều chỉnh chỉ tiêu KN quý IV");
    assert_eq!(
        c5["corrections"][0]["old_text"],
        "Chưa điều chỉnh chỉ tiêu KN"
    );
    assert_eq!(audit(&app, "meeting.correct").await.len(), 1);
    assert_eq!(audit(&app, "meeting.conclude").await.len(), 5);

    // Next week: T1's conclusion task is done, the staffing task is late, the explanation
    // went unanswered past its date.
    app.set_clock("2026-11-17T09:00:00+07:00").await;
    let w2 = app.account("w2", Some("w2"), &[("viewer", "p-1")]).await;
    app.ingest_as(&w2, json!([
        {"type": "task", "id": "t-sub", "at": "2026-11-16T10:00:00+07:00", "task_id": t1, "status": "submitted", "progress": 100, "output": "Đã xử lý 12 hồ sơ tồn"}
    ]))
    .await;
    app.ingest_as(&w1, json!([
        {"type": "task", "id": "t-acc", "at": "2026-11-16T11:00:00+07:00", "task_id": t1, "status": "accepted", "quality": 90}
    ]))
    .await;
    let (_, review) = get(&app, &w1, "/api/v1/units/p-1/review?week=2026-W47").await;
    let follow = &review["follow_up"];
    assert_eq!(follow["meeting"]["id"], MEETING, "{follow}");
    let status_of = |id: &str| -> String {
        follow["conclusions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["status"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(status_of("c1"), "done");
    assert_eq!(status_of("c2"), "late");
    assert_eq!(status_of("c3"), "done");
    assert_eq!(status_of("c4"), "late");
    assert_eq!(status_of("c5"), "done");
    let (status, next) = post(
        &app,
        &w1,
        "/api/v1/meetings",
        &json!({"unit": "p-1", "period": "2026-W47", "chair": "w1"}),
    )
    .await;
    assert_eq!(status, 201, "{next}");
    let first: Vec<Value> = next["items"]
        .as_array()
        .unwrap()
        .iter()
        .take(5)
        .cloned()
        .collect();
    assert!(
        first.iter().all(|i| i["section"] == "follow_up"),
        "{first:?}"
    );
    assert_eq!(first[0]["key"], "follow:c1");
    assert_eq!(first[0]["status"], "done");
    assert_eq!(first[1]["status"], "late");

    // The printable report carries the conclusions and their follow-up.
    let html = reqwest::Client::new()
        .get(app.url("/api/v1/units/p-1/report?week=2026-W47"))
        .bearer_auth(&w1)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Bổ sung người cho bộ phận một cửa"),
        "the report lacks last week's conclusions"
    );
    assert!(html.contains("Trễ hạn"), "the report lacks their status");

    // A restart keeps the record whole.
    let app = app.restart().await;
    let w1 = ioc_tests::sign_in(&app.url(""), "w1", "w1-password-1")
        .await
        .unwrap();
    let (status, kept) = get(&app, &w1, &format!("/api/v1/meetings/{MEETING}")).await;
    assert_eq!(status, 200);
    assert_eq!(kept["state"], "closed");
    assert_eq!(kept["conclusions"].as_array().unwrap().len(), 5);
    assert_eq!(
        conclusion(&kept, "c5")["corrections"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, list) = get(&app, &w1, "/api/v1/meetings?unit=p-1").await;
    assert_eq!(list["meetings"].as_array().unwrap().len(), 2);
    app.stop().await;
}

//! Explanations (giải trình), end to end against the real server and its SQLite store: a city
//! leader asks the official responsible for a task to explain it by a date; the official is told
//! and answers; the leader sees the answer and is told of it; a retry with the same id is a
//! duplicate; people outside the subject's unit are refused and nothing is kept. A request not
//! answered by its due date escalates to the leader of the unit above the official's, once: the
//! manual clock passes the date again, and the server restarts, without a second escalation.

use ioc_tests::notify::quiet_city;
use ioc_tests::{task_event, test_notify, TestApp, START};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The task T1 of Phường Hoàn Kiếm's culture division, with Phạm Thị Dung (w2) responsible;
/// sessions for the city leader (a1), for w2, for Ba Đình's leader (w3) and for a viewer of
/// Hoàn Kiếm linked to Vũ Thu Hà (w4).
async fn setup() -> (TestApp, String, String, String, String) {
    let app = quiet_city(test_notify()).await;
    app.ingest(json!([task_event(
        "t1-new",
        "T1",
        "w2",
        "2026-11-20",
        START
    )]))
    .await;
    let a1 = app.account("a1", Some("a1"), &[("leader", "hn")]).await;
    let w2 = app.account("w2", Some("w2"), &[("viewer", "p-1")]).await;
    let w3 = app.account("w3", Some("w3"), &[("leader", "p-2")]).await;
    let w4 = app.account("w4", Some("w4"), &[("viewer", "p-1")]).await;
    (app, a1, w2, w3, w4)
}

fn ask_body(id: &str, question: &str, due: &str) -> Value {
    json!({"id": id, "subject_kind": "task", "subject": "T1", "question": question, "due": due})
}

async fn post(app: &TestApp, who: &str, path: &str, body: &Value) -> (u16, Value) {
    app.send_as(Some(who), reqwest::Method::POST, path, Some(body))
        .await
}

async fn get(app: &TestApp, who: &str, path: &str) -> (u16, Value) {
    app.send_as(Some(who), reqwest::Method::GET, path, None)
        .await
}

/// The items of a person's inbox of this kind, read until there are `n` (the delivery worker
/// puts them there after the commit).
async fn inbox_items(app: &TestApp, who: &str, kind: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, page) = get(app, who, "/api/v1/inbox").await;
        assert_eq!(status, 200, "{page}");
        let items: Vec<Value> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["items"].as_array().cloned().unwrap_or_default())
            .filter(|i| i["kind"] == kind)
            .collect();
        if items.len() >= n {
            return items;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{kind} never reached the inbox {n} times: {page}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn audit_actions(app: &TestApp, action: &str) -> Vec<Value> {
    let entries = app.get_ok("/api/v1/audit?limit=1000").await;
    entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

async fn count(app: &TestApp, who: &str) -> usize {
    let (status, list) = get(
        app,
        who,
        "/api/v1/explanations?subject_kind=task&subject=T1",
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list["explanations"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_leader_asks_the_official_answers_and_the_leader_sees_it_once() {
    let (app, a1, w2, w3, w4) = setup().await;

    // Refused, and nothing kept: outside the asker's scope, a due date passed, an unknown task,
    // an empty question.
    let (status, body) = post(
        &app,
        &w3,
        "/api/v1/explanations",
        &ask_body("x0", "Vì sao?", "2026-11-05"),
    )
    .await;
    assert_eq!(status, 403, "a leader of another ward: {body}");
    assert_eq!(body["error"]["field"], "subject", "{body}");
    let (status, body) = post(
        &app,
        &a1,
        "/api/v1/explanations",
        &ask_body("x0", "Vì sao?", "2026-11-01"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "due", "{body}");
    let mut unknown = ask_body("x0", "Vì sao?", "2026-11-05");
    unknown["subject"] = json!("T-none");
    let (status, body) = post(&app, &a1, "/api/v1/explanations", &unknown).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "subject", "{body}");
    let (status, body) = post(
        &app,
        &a1,
        "/api/v1/explanations",
        &ask_body("x0", "  ", "2026-11-05"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "question", "{body}");
    assert_eq!(count(&app, &a1).await, 0, "nothing was kept");

    // Asked: the responsible official is the addressee, and is told.
    let (status, x) = post(
        &app,
        &a1,
        "/api/v1/explanations",
        &ask_body("x1", "Vì sao nhiệm vụ chậm?", "2026-11-05"),
    )
    .await;
    assert_eq!(status, 201, "{x}");
    assert_eq!(x["state"], "open");
    assert_eq!(x["addressee"]["id"], "w2");
    assert_eq!(x["addressee"]["name"], "Phạm Thị Dung");
    assert_eq!(x["asker"]["id"], "a1");
    assert_eq!(x["title"], "Nhiệm vụ T1");
    assert_eq!(x["unit"]["id"], "p-1.vh");
    assert_eq!(x["duplicate"], false);
    assert_eq!(x["may_answer"], false, "the asker does not answer");
    // Notices wait the person's group wait (30 s by default) on the server's clock.
    app.set_clock("2026-11-02T08:01:00+07:00").await;
    let told = inbox_items(&app, &w2, "explanation_asked", 1).await;
    let summary = told[0]["summary_vi"].as_str().unwrap();
    assert!(
        summary.contains("Nguyễn Văn An yêu cầu giải trình"),
        "{summary}"
    );
    assert!(summary.contains("Vì sao nhiệm vụ chậm?"), "{summary}");

    // The same request again is a duplicate; the same id with another question a conflict.
    let (status, again) = post(
        &app,
        &a1,
        "/api/v1/explanations",
        &ask_body("x1", "Vì sao nhiệm vụ chậm?", "2026-11-05"),
    )
    .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["duplicate"], true);
    let (status, body) = post(
        &app,
        &a1,
        "/api/v1/explanations",
        &ask_body("x1", "Câu hỏi khác", "2026-11-05"),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["field"], "id", "{body}");
    assert_eq!(count(&app, &a1).await, 1);

    // Someone who may read it but is not the addressee may not answer; an empty answer is refused.
    let (status, body) = post(
        &app,
        &w4,
        "/api/v1/explanations/x1/messages",
        &json!({"id": "m0", "text": "Tôi trả lời thay"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = post(
        &app,
        &w2,
        "/api/v1/explanations/x1/messages",
        &json!({"id": "m0", "text": ""}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "text", "{body}");
    let (_, seen) = get(&app, &a1, "/api/v1/explanations/x1").await;
    assert_eq!(seen["messages"], json!([]), "nothing was kept: {seen}");

    // The official sees it as theirs to answer, and answers; a retry is a duplicate.
    let (status, mine) = get(&app, &w2, "/api/v1/explanations?mine=true").await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["explanations"][0]["id"], "x1");
    assert_eq!(mine["explanations"][0]["may_answer"], true);
    let answer = json!({"id": "m1", "text": "Do thiếu hồ sơ của người dân, sẽ xong trước 10/11."});
    let (status, after) = post(&app, &w2, "/api/v1/explanations/x1/messages", &answer).await;
    assert_eq!(status, 201, "{after}");
    assert_eq!(after["state"], "answered");
    assert_eq!(after["messages"].as_array().unwrap().len(), 1);
    assert_eq!(after["messages"][0]["role"], "answer");
    assert_eq!(after["messages"][0]["author"]["id"], "w2");
    let (status, again) = post(&app, &w2, "/api/v1/explanations/x1/messages", &answer).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(
        again["messages"].as_array().unwrap().len(),
        1,
        "one answer, not two"
    );

    // The leader sees the answer and is told of it.
    let (status, seen) = get(&app, &a1, "/api/v1/explanations/x1").await;
    assert_eq!(status, 200);
    assert_eq!(seen["state"], "answered");
    assert_eq!(
        seen["messages"][0]["text"],
        "Do thiếu hồ sơ của người dân, sẽ xong trước 10/11."
    );
    app.set_clock("2026-11-02T08:02:00+07:00").await;
    let told = inbox_items(&app, &a1, "explanation_answered", 1).await;
    assert!(
        told[0]["summary_vi"]
            .as_str()
            .unwrap()
            .contains("Phạm Thị Dung đã giải trình"),
        "{}",
        told[0]
    );

    // Another ward's leader may not read it.
    let (status, body) = get(&app, &w3, "/api/v1/explanations/x1").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(count(&app, &w3).await, 0);

    // Audited like every change, the chain still whole.
    assert_eq!(audit_actions(&app, "explanation.ask").await.len(), 1);
    assert_eq!(audit_actions(&app, "explanation.message").await.len(), 1);
    assert_eq!(app.get_ok("/api/v1/audit/verify").await["ok"], true);
    app.stop().await;
}

#[tokio::test]
async fn an_unanswered_request_escalates_once_to_the_leader_above_across_ticks_and_restarts() {
    let (app, a1, w2, _, _) = setup().await;
    let w1 = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    let (status, x) = post(
        &app,
        &a1,
        "/api/v1/explanations",
        &ask_body("x2", "Báo cáo tiến độ?", "2026-11-03"),
    )
    .await;
    assert_eq!(status, 201, "{x}");

    // Before the end of the due day: still open.
    app.set_clock("2026-11-03T23:00:00+07:00").await;
    let (_, seen) = get(&app, &a1, "/api/v1/explanations/x2").await;
    assert_eq!(seen["state"], "open", "{seen}");

    // The day is over: overdue, escalated to the leader of the ward above the division (w1).
    app.set_clock("2026-11-04T00:00:01+07:00").await;
    let (_, seen) = get(&app, &a1, "/api/v1/explanations/x2").await;
    assert_eq!(seen["state"], "overdue", "{seen}");
    assert_eq!(seen["escalated_to"]["id"], "w1");
    // Told in the morning: the night is everyone's quiet hours by default.
    app.set_clock("2026-11-04T08:00:00+07:00").await;
    let told = inbox_items(&app, &w1, "explanation_overdue", 1).await;
    let summary = told[0]["summary_vi"].as_str().unwrap();
    assert!(
        summary.contains("Phạm Thị Dung chưa giải trình"),
        "{summary}"
    );
    inbox_items(&app, &a1, "explanation_overdue", 1).await;

    // More ticks, then a restart and more ticks: no second escalation.
    app.set_clock("2026-11-05T08:00:00+07:00").await;
    let app = app.restart().await;
    app.set_clock("2026-11-06T08:00:00+07:00").await;
    let (_, seen) = get(&app, &a1, "/api/v1/explanations/x2").await;
    assert_eq!(seen["state"], "overdue");
    assert_eq!(audit_actions(&app, "explanation.escalate").await.len(), 1);
    // The ask of a later request is the barrier: when w2 has it, the worker has passed w1's
    // queue too.
    let (status, _) = post(
        &app,
        &a1,
        "/api/v1/explanations",
        &ask_body("x3", "Còn vướng gì?", "2026-11-09"),
    )
    .await;
    assert_eq!(status, 201);
    app.set_clock("2026-11-06T08:01:00+07:00").await;
    inbox_items(&app, &w2, "explanation_asked", 2).await;
    let q = app.get_ok("/api/v1/notify/queue").await;
    let waiting_w1: i64 = q["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["person"] == "w1")
        .map(|w| w["count"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(waiting_w1, 0, "{q}");
    assert_eq!(
        inbox_items(&app, &w1, "explanation_overdue", 1).await.len(),
        1,
        "told once"
    );

    // A late answer still counts: the request is answered.
    let (status, after) = post(
        &app,
        &w2,
        "/api/v1/explanations/x2/messages",
        &json!({"id": "m2", "text": "Xin lỗi vì trả lời muộn."}),
    )
    .await;
    assert_eq!(status, 201, "{after}");
    assert_eq!(after["state"], "answered");
    app.stop().await;
}

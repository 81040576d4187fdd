//! Officials' own work against the real server (issue 18): My work sorted by what needs the
//! person, progress with a note, a submission with its output, link and an uploaded file, the
//! acceptance queue of the accountable leader, a return with its reason shown back, an
//! acceptance with quality 40 that the evaluation explains, a retry that changes nothing, the
//! task's history and audit; attachments refused for their type, size or sender and served only
//! to people who may see the task; the people a leader may assign; reasons on deadline changes.

use ioc_tests::{
    fresh_postgres_db, postgres_admin_url, spawn_app, spawn_app_on, with_leaders, TestApp, START,
};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const NOW: &str = "2026-11-20T10:00:00+07:00";

/// A small but real PDF header: what the server sniffs.
fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {tag}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

struct People {
    /// Phạm Thị Dung (w2), official of p-1.vh: the responsible person.
    official: String,
    /// Lê Văn Cường (w1), leader of ward p-1: the accountable leader.
    leader: String,
    /// Hoàng Minh Đức (w3), leader of ward p-2: outside.
    outsider: String,
}

async fn city(app: &TestApp) -> People {
    app.load_fixture().await;
    with_leaders(app).await;
    People {
        official: app
            .account("dung", Some("w2"), &[("viewer", "p-1.vh")])
            .await,
        leader: app.account("cuong", Some("w1"), &[("leader", "p-1")]).await,
        outsider: app.account("duc", Some("w3"), &[("leader", "p-2")]).await,
    }
}

async fn as_(app: &TestApp, who: &str, m: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    app.send_as(Some(who), m, path, body.as_ref()).await
}

async fn get_as(app: &TestApp, who: &str, path: &str) -> Value {
    let (status, body) = as_(app, who, Method::GET, path, None).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

async fn events_as(app: &TestApp, who: &str, events: Value) -> (u16, Value) {
    as_(app, who, Method::POST, "/api/v1/events", Some(events)).await
}

/// Uploads bytes for a task as `who`: (status, body).
async fn upload(app: &TestApp, who: &str, task: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/attachments"))
        .query(&[("task", task), ("name", name)])
        .bearer_auth(who)
        .header("accept-language", "vi")
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn download(app: &TestApp, who: &str, sha: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(who)
        .send()
        .await
        .expect("download")
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect()
}

/// The leader's three tasks for the official: one late, one due soon (she is only informed),
/// one a report due at the end of the month.
async fn assign_work(app: &TestApp, p: &People) {
    let (status, body) = events_as(app, &p.leader, json!([
        {"type": "task", "id": "a-1", "at": START, "task_id": "t-report", "title": "Báo cáo tình hình hồ sơ tháng 11",
         "responsible": "w2", "accountable": "w1", "start": "2026-11-02", "deadline": "2026-11-30",
         "expected_output": "Báo cáo có số liệu từng lĩnh vực", "key_result": "kr-3"},
        {"type": "task", "id": "a-2", "at": START, "task_id": "t-late", "title": "Rà soát hồ sơ tồn đọng",
         "responsible": "w2", "accountable": "w1", "deadline": "2026-11-10"},
        {"type": "task", "id": "a-3", "at": START, "task_id": "t-info", "title": "Chuẩn bị họp giao ban",
         "responsible": "w1", "informed": ["w2"], "deadline": "2026-11-25"}
    ])).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_official_works_a_task_through_to_acceptance_and_the_evaluation_explains_the_quality() {
    let app = spawn_app().await;
    let p = city(&app).await;

    // Bad assignments are refused with the field named, and nothing is kept.
    let (status, body) = events_as(&app, &p.leader, json!([
        {"type": "task", "id": "x-1", "at": START, "task_id": "t-away", "title": "Việc ở phường khác",
         "responsible": "w4", "deadline": "2026-11-30"}
    ])).await;
    assert_eq!(
        status, 403,
        "a task for someone outside the leader's subtree: {body}"
    );
    let (status, body) = events_as(&app, &p.leader, json!([
        {"type": "task", "id": "x-2", "at": START, "task_id": "t-back", "title": "Ngược thời gian",
         "responsible": "w2", "start": "2026-11-20", "deadline": "2026-11-10"}
    ])).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("deadline")),
        "{body}"
    );
    for t in ["t-away", "t-back"] {
        assert_eq!(
            app.get(&format!("/api/v1/tasks/{t}")).await.0,
            404,
            "{t} was kept"
        );
    }

    assign_work(&app, &p).await;
    app.set_clock(NOW).await;

    // My work: overdue first, then due soon, then the rest; each with her roles.
    let mine = get_as(&app, &p.official, "/api/v1/me/tasks").await;
    assert_eq!(mine["person"]["name"], "Phạm Thị Dung", "{mine}");
    let tasks = &mine["tasks"];
    assert_eq!(ids(tasks), ["t-late", "t-info", "t-report"], "{mine}");
    let needs: Vec<&str> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["need"].as_str().unwrap())
        .collect();
    assert_eq!(needs, ["overdue", "due_soon", "open"]);
    assert_eq!(tasks[1]["roles"], json!(["I"]));
    assert_eq!(tasks[2]["roles"], json!(["R"]));
    assert_eq!(tasks[2]["accountable"]["name"], "Lê Văn Cường");
    assert_eq!(mine["leads"], false);

    // Progress outside 0-100: refused, naming the field, nothing kept.
    let (status, body) = events_as(&app, &p.official, json!([
        {"type": "task", "id": "web-0", "at": "2026-11-20T10:01:00+07:00", "task_id": "t-report", "progress": 120, "note": "quá"}
    ])).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("progress")),
        "{body}"
    );
    // A note alone changes nothing, so it is refused too.
    let (status, body) = events_as(&app, &p.official, json!([
        {"type": "task", "id": "web-00", "at": "2026-11-20T10:01:00+07:00", "task_id": "t-report", "note": "chỉ ghi chú", "title": null}
    ])).await;
    assert_eq!(status, 422, "{body}");

    // Progress with a note; the same event again (a retry after a lost answer) is a duplicate.
    let progress = json!([{"type": "task", "id": "web-1", "at": "2026-11-20T10:02:00+07:00", "task_id": "t-report",
        "progress": 40, "status": "in_progress", "note": "Đã tổng hợp 3/7 lĩnh vực"}]);
    let (status, first) = events_as(&app, &p.official, progress.clone()).await;
    assert_eq!(
        (status, first["accepted"].as_u64()),
        (200, Some(1)),
        "{first}"
    );
    let (status, again) = events_as(&app, &p.official, progress).await;
    assert_eq!(
        (
            status,
            again["accepted"].as_u64(),
            again["duplicates"].as_u64()
        ),
        (200, Some(0), Some(1)),
        "{again}"
    );
    let task = get_as(&app, &p.official, "/api/v1/tasks/t-report").await;
    assert_eq!(task["progress"], 40.0);
    let history = get_as(&app, &p.official, "/api/v1/tasks/t-report/history").await;
    let notes: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["fields"]["note"].is_string())
        .collect();
    assert_eq!(notes.len(), 1, "the retry left one entry: {history}");
    assert_eq!(notes[0]["by"], "Phạm Thị Dung");
    assert_eq!(notes[0]["fields"]["note"], "Đã tổng hợp 3/7 lĩnh vực");

    // The submission: output, link and a file uploaded first.
    let bytes = pdf("bao-cao");
    let (status, file) = upload(
        &app,
        &p.official,
        "t-report",
        "Báo cáo tháng 11.pdf",
        bytes.clone(),
    )
    .await;
    assert_eq!(status, 201, "{file}");
    let sha = file["sha256"].as_str().unwrap().to_string();
    assert_eq!(
        sha,
        hex::encode(Sha256::digest(&bytes)),
        "kept by its content hash"
    );
    assert_eq!(file["content_type"], "application/pdf");
    let submit = |id: &str, at: &str, output: &str| {
        json!([{"type": "task", "id": id, "at": at, "task_id": "t-report",
        "status": "submitted", "progress": 100, "output": output, "link": "https://vanban.hanoi.gov.vn/bc-11",
        "attachments": [{"sha256": sha, "name": "Báo cáo tháng 11.pdf"}]}])
    };
    let (status, body) = events_as(
        &app,
        &p.official,
        submit("web-2", "2026-11-20T10:05:00+07:00", "Báo cáo 7 lĩnh vực"),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The queue: the accountable leader sees it with its output and file; she does not (her
    // own work), nor the leader of another ward.
    let queue = get_as(&app, &p.leader, "/api/v1/me/acceptance").await;
    assert_eq!(ids(&queue["tasks"]), ["t-report"], "{queue}");
    let sub = &queue["tasks"][0]["submission"];
    assert_eq!(sub["output"], "Báo cáo 7 lĩnh vực");
    assert_eq!(sub["link"], "https://vanban.hanoi.gov.vn/bc-11");
    assert_eq!(sub["attachments"][0]["sha256"], sha.as_str());
    assert_eq!(sub["by"], "Phạm Thị Dung");
    assert_eq!(queue["tasks"][0]["responsible"]["name"], "Phạm Thị Dung");
    for who in [&p.official, &p.outsider] {
        let q = get_as(&app, who, "/api/v1/me/acceptance").await;
        assert_eq!(ids(&q["tasks"]), Vec::<&str>::new(), "{q}");
    }
    // The leader may open the file; the other ward's leader may not.
    let r = download(&app, &p.leader, &sha).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);
    assert_eq!(
        download(&app, &p.outsider, &sha).await.status().as_u16(),
        403
    );

    // She cannot accept her own work.
    let (status, body) = events_as(
        &app,
        &p.official,
        json!([{"type": "task", "id": "web-3", "at": "2026-11-20T10:06:00+07:00",
        "task_id": "t-report", "status": "accepted", "quality": 100}]),
    )
    .await;
    assert_eq!(status, 403, "{body}");

    // The leader returns it with a reason; My work shows it first, with the reason.
    let (status, body) = events_as(&app, &p.leader, json!([{"type": "task", "id": "acc-1", "at": "2026-11-20T11:00:00+07:00",
        "task_id": "t-report", "status": "returned", "reason": "Thiếu số liệu lĩnh vực đất đai", "comment": "Bổ sung trước thứ Sáu"}])).await;
    assert_eq!(status, 200, "{body}");
    let mine = get_as(&app, &p.official, "/api/v1/me/tasks").await;
    assert_eq!(mine["tasks"][0]["id"], "t-report", "{mine}");
    assert_eq!(mine["tasks"][0]["need"], "returned");
    assert_eq!(
        mine["tasks"][0]["returned"]["reason"],
        "Thiếu số liệu lĩnh vực đất đai"
    );
    assert_eq!(
        mine["tasks"][0]["returned"]["comment"],
        "Bổ sung trước thứ Sáu"
    );
    assert_eq!(mine["tasks"][0]["returned"]["by"], "Lê Văn Cường");
    let queue = get_as(&app, &p.leader, "/api/v1/me/acceptance").await;
    assert_eq!(
        ids(&queue["tasks"]),
        Vec::<&str>::new(),
        "a returned task waits on nobody"
    );

    // Submitted again; accepted with quality 40 and a comment.
    let (status, body) = events_as(
        &app,
        &p.official,
        submit(
            "web-4",
            "2026-11-21T09:00:00+07:00",
            "Báo cáo đủ 7 lĩnh vực",
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let queue = get_as(&app, &p.leader, "/api/v1/me/acceptance").await;
    assert_eq!(
        queue["tasks"][0]["submission"]["output"], "Báo cáo đủ 7 lĩnh vực",
        "the newest submission"
    );
    let (status, body) = events_as(&app, &p.leader, json!([{"type": "task", "id": "acc-2", "at": "2026-11-21T10:00:00+07:00",
        "task_id": "t-report", "status": "accepted", "quality": 40, "comment": "Số liệu chưa phân tích"}])).await;
    assert_eq!(status, 200, "{body}");

    // The official's evaluation: the item lost 25 % for quality below 50.
    let eval = get_as(
        &app,
        &p.official,
        "/api/v1/evaluations/people/w2?period=2026-11",
    )
    .await;
    let items = eval["score"]["tasks"]["own"]["items"]
        .as_array()
        .expect("items");
    let item = items
        .iter()
        .find(|i| i["task"] == "t-report")
        .expect("t-report scored");
    assert_eq!(item["quality"], 40.0);
    let deductions: Vec<&str> = item["deductions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reason"].as_str().unwrap())
        .collect();
    assert_eq!(deductions, ["quality"], "{item}");
    let (possible, earned) = (
        item["possible"].as_f64().unwrap(),
        item["earned"].as_f64().unwrap(),
    );
    assert!((earned - possible * 0.75).abs() < 0.01, "{item}");

    // The history tells the whole story, oldest first, as the official reads it.
    let history = get_as(&app, &p.official, "/api/v1/tasks/t-report/history").await;
    let said: Vec<String> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let f = &h["fields"];
            format!(
                "{}|{}|{}",
                h["by"].as_str().unwrap(),
                f["status"].as_str().unwrap_or("-"),
                ["note", "output", "reason", "comment"]
                    .iter()
                    .find_map(|k| f[*k].as_str())
                    .unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            "Lê Văn Cường|-|-",
            "Phạm Thị Dung|in_progress|Đã tổng hợp 3/7 lĩnh vực",
            "Phạm Thị Dung|submitted|Báo cáo 7 lĩnh vực",
            "Lê Văn Cường|returned|Thiếu số liệu lĩnh vực đất đai",
            "Phạm Thị Dung|submitted|Báo cáo đủ 7 lĩnh vực",
            "Lê Văn Cường|accepted|Số liệu chưa phân tích",
        ]
    );
    // The audit trail holds the words with the change.
    let (_, audit) = app.get("/api/v1/audit?unit=p-1&limit=1000").await;
    let entries = audit.as_array().expect("audit entries");
    assert!(
        entries.iter().any(|e| e["entity"] == "task:t-report"
            && e["new"]["reason"] == "Thiếu số liệu lĩnh vực đất đai"),
        "{audit}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "attachment.upload" && e["new"]["sha256"] == sha.as_str()),
        "{audit}"
    );
    // Done work goes to the end of My work.
    let mine = get_as(&app, &p.official, "/api/v1/me/tasks").await;
    assert_eq!(ids(&mine["tasks"]), ["t-late", "t-info", "t-report"]);
    assert_eq!(mine["tasks"][2]["need"], "done");
}

/// Refusals of files, each leaving nothing behind; the store's copy is the bytes sent.
async fn attachments_are_checked_and_served_only_to_those_who_may_see(app: &TestApp) {
    let p = city(app).await;
    assign_work(app, &p).await;
    let html = b"<html><body><script>alert(1)</script></body></html>".to_vec();
    let (status, body) = upload(app, &p.official, "t-report", "bao-cao.pdf", html.clone()).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("file")),
        "a page named .pdf: {body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("chỉ nhận PDF"),
        "in Vietnamese: {body}"
    );
    let html_sha = hex::encode(Sha256::digest(&html));
    assert_eq!(
        download(app, &p.official, &html_sha)
            .await
            .status()
            .as_u16(),
        404,
        "nothing kept"
    );
    let (status, body) = upload(app, &p.official, "t-report", "rong.pdf", Vec::new()).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("file")),
        "{body}"
    );
    let mut big = pdf("big");
    big.resize(1024 * 1024 + 1, b' ');
    let (status, body) = upload(app, &p.official, "t-report", "lon.pdf", big).await;
    assert_eq!(status, 413, "over the limit: {body}");
    // Not hers to submit: the other ward's leader, and a task she is only informed of.
    let (status, body) = upload(app, &p.outsider, "t-report", "x.pdf", pdf("x")).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (403, Some("file")),
        "{body}"
    );
    let (status, _) = upload(app, &p.official, "t-info", "x.pdf", pdf("x")).await;
    assert_eq!(status, 403);
    let (status, body) = upload(app, &p.official, "t-nowhere", "x.pdf", pdf("x")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        download(app, &p.official, &hex::encode(Sha256::digest(pdf("x"))))
            .await
            .status()
            .as_u16(),
        404
    );

    // The same file twice is kept once, under one hash.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde".to_vec();
    let (s1, a) = upload(app, &p.official, "t-report", "anh.png", png.clone()).await;
    let (s2, b) = upload(app, &p.official, "t-report", "anh.png", png.clone()).await;
    assert_eq!((s1, s2), (201, 201), "{a} {b}");
    assert_eq!(a["sha256"], b["sha256"]);
    let sha = a["sha256"].as_str().unwrap();
    for who in [&p.official, &p.leader] {
        let r = download(app, who, sha).await;
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["content-type"], "image/png");
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"anh.png\"; filename*=UTF-8''anh.png"
        );
        assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    }
    assert_eq!(download(app, &p.outsider, sha).await.status().as_u16(), 403);
    assert_eq!(
        download(app, &p.official, &"0".repeat(64))
            .await
            .status()
            .as_u16(),
        404
    );
    // A submission names files by their hash: anything else is refused, naming the item.
    let (status, body) = events_as(
        app,
        &p.official,
        json!([{"type": "task", "id": "s-1", "at": NOW, "task_id": "t-report",
        "status": "submitted", "attachments": [{"sha256": "not-a-hash", "name": "x.pdf"}]}]),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("attachments[0].sha256")),
        "{body}"
    );
}

#[tokio::test]
async fn attachments_on_sqlite() {
    attachments_are_checked_and_served_only_to_those_who_may_see(&spawn_app().await).await;
}

#[tokio::test]
async fn attachments_on_postgres() {
    let Some(admin) = postgres_admin_url("attachments_on_postgres") else {
        return;
    };
    let app = spawn_app_on(&fresh_postgres_db(&admin).await).await;
    attachments_are_checked_and_served_only_to_those_who_may_see(&app).await;
}

#[tokio::test]
async fn a_leader_picks_people_of_the_subtree_and_a_new_deadline_carries_its_reason() {
    let app = spawn_app().await;
    let p = city(&app).await;
    assign_work(&app, &p).await;
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_string())
            .collect()
    };
    // Typed without diacritics, as on a phone.
    let found = get_as(&app, &p.leader, "/api/v1/me/people?q=dung").await;
    assert_eq!(names(&found), ["Phạm Thị Dung"]);
    let found = get_as(&app, &p.leader, "/api/v1/me/people?q=").await;
    assert_eq!(
        names(&found),
        ["Lê Văn Cường", "Phạm Thị Dung"],
        "only ward p-1's people"
    );
    let found = get_as(&app, &p.leader, "/api/v1/me/people?q=vu%20thu").await;
    assert!(names(&found).is_empty(), "Vũ Thu Hà is in p-2: {found}");
    let (status, _) = as_(
        &app,
        &p.official,
        Method::GET,
        "/api/v1/me/people?q=a",
        None,
    )
    .await;
    assert_eq!(status, 403, "an official assigns nobody");
    let mine = get_as(&app, &p.leader, "/api/v1/me/tasks").await;
    assert_eq!(mine["leads"], true);

    // A reason with nothing it explains is refused; with a new deadline it is kept.
    let (status, body) = events_as(
        &app,
        &p.leader,
        json!([{"type": "task", "id": "d-0", "at": NOW,
        "task_id": "t-report", "title": "Báo cáo", "reason": "vì sao"}]),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("reason")),
        "{body}"
    );
    let (status, body) = events_as(&app, &p.leader, json!([{"type": "task", "id": "d-1", "at": NOW,
        "task_id": "t-report", "deadline": "2026-12-05", "reason": "Chờ số liệu của Sở Tài chính"}])).await;
    assert_eq!(status, 200, "{body}");
    let history = get_as(&app, &p.official, "/api/v1/tasks/t-report/history").await;
    let last = history.as_array().unwrap().last().unwrap();
    assert_eq!(last["fields"]["deadline"], "2026-12-05");
    assert_eq!(last["fields"]["reason"], "Chờ số liệu của Sở Tài chính");
    assert_eq!(last["by"], "Lê Văn Cường");
    // The official cannot move her own deadline.
    let (status, _) = events_as(
        &app,
        &p.official,
        json!([{"type": "task", "id": "d-2", "at": NOW,
        "task_id": "t-report", "deadline": "2026-12-31", "reason": "xin lùi"}]),
    )
    .await;
    assert_eq!(status, 403);
    // The history is the task's: the other ward's leader does not see it.
    let (status, _) = as_(
        &app,
        &p.outsider,
        Method::GET,
        "/api/v1/tasks/t-report/history",
        None,
    )
    .await;
    assert_eq!(status, 403);
}

//! The unit board's lists, the unit score, the dashboard settings and the web UI's files, against
//! the real server over HTTP.

use ioc_tests::*;
use serde_json::{json, Value};

/// The fixture with work in it at 2026-11-20 10:00: overdue tasks in p-1's subtree and p-2,
/// due-soon ones, one accepted on time, KPI values over three months, a key-result check-in.
async fn board_app() -> TestApp {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([
        task_event("e1", "t-old", "w2", "2026-11-05", START),
        task_event("e2", "t-newer", "w1", "2026-11-10", START),
        task_event("e3", "t-p2", "w4", "2026-11-12", START),
        task_event("e4", "t-soon", "w2", "2026-11-22", START),
        task_event("e5", "t-later", "w1", "2026-12-20", START),
        task_event("e6", "t-done", "w3", "2026-11-15", START),
        {"type": "task", "id": "e7", "at": "2026-11-14T09:00:00+07:00", "task_id": "t-done", "status": "accepted", "progress": 100},
        {"type": "kpi_observation", "id": "o1", "at": "2026-09-05T08:00:00+07:00", "kpi": "TTHC", "unit": "p-1", "period": "2026-08", "value": 97.0},
        {"type": "kpi_observation", "id": "o2", "at": "2026-10-05T08:00:00+07:00", "kpi": "TTHC", "unit": "p-1", "period": "2026-09", "value": 90.0},
        {"type": "kpi_observation", "id": "o3", "at": "2026-11-05T08:00:00+07:00", "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 80.0},
        {"type": "kpi_observation", "id": "o4", "at": "2026-11-05T08:00:00+07:00", "kpi": "KN", "unit": "p-1", "period": "2026-10", "value": 1.0},
        {"type": "kpi_observation", "id": "o5", "at": "2026-11-05T08:00:00+07:00", "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": 99.0},
        {"type": "kr_checkin", "id": "c1", "at": "2026-11-06T08:00:00+07:00", "key_result": "kr-3", "value": 90, "confidence": 6, "by": "w1"}
    ]))
    .await;
    app.set_clock("2026-11-20T10:00:00+07:00").await;
    app
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn overdue_and_due_soon_tasks_list_the_subtree_with_the_responsible_person() {
    let app = board_app().await;
    let city = app.get_ok("/api/v1/units/hn/tasks?due=overdue").await;
    assert_eq!(city["due"], "overdue");
    assert_eq!(city["total"], 3);
    assert_eq!(
        ids(&city, "tasks"),
        ["t-old", "t-newer", "t-p2"],
        "oldest deadline first"
    );
    let first = &city["tasks"][0];
    assert_eq!(
        first["responsible"],
        json!({"id": "w2", "name": "Phạm Thị Dung"})
    );
    assert_eq!(first["unit"]["id"], "p-1.vh");
    assert_eq!(first["overdue"], true);

    let ward = app.get_ok("/api/v1/units/p-1/tasks").await;
    assert_eq!(
        ids(&ward, "tasks"),
        ["t-old", "t-newer"],
        "p-1's subtree only"
    );
    let limited = app.get_ok("/api/v1/units/hn/tasks?limit=1").await;
    assert_eq!(limited["total"], 3, "total counts beyond the limit");
    assert_eq!(ids(&limited, "tasks"), ["t-old"]);

    let soon = app.get_ok("/api/v1/units/hn/tasks?due=soon&days=7").await;
    assert_eq!(ids(&soon, "tasks"), ["t-soon"]);
    assert_eq!(soon["tasks"][0]["overdue"], false);
    let month = app.get_ok("/api/v1/units/hn/tasks?due=soon&days=31").await;
    assert_eq!(ids(&month, "tasks"), ["t-soon", "t-later"], "nearest first");

    // The list agrees with the rollup's own count.
    let view = app.get_ok("/api/v1/units/hn/view").await;
    assert_eq!(view["summary"]["tasks"]["overdue"], city["total"]);
    app.stop().await;
}

#[tokio::test]
async fn people_come_most_overdue_first_with_workload_and_on_time_rate() {
    let app = board_app().await;
    let list = app.get_ok("/api/v1/units/hn/people").await;
    assert_eq!(list["total"], 6);
    let people = list["people"].as_array().unwrap();
    // w2: two open, one overdue; w1: two open, one overdue; w4: one overdue.
    assert_eq!(ids(&list, "people")[..3], ["w1", "w2", "w4"]);
    let w3 = people.iter().find(|p| p["id"] == "w3").unwrap();
    assert_eq!(w3["workload"], 0);
    assert_eq!(w3["on_time_rate"], 1.0);
    assert_eq!(w3["unit"]["name"], "Phường Ba Đình");
    let w2 = people.iter().find(|p| p["id"] == "w2").unwrap();
    assert_eq!(
        (w2["workload"].as_i64(), w2["overdue"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(w2["on_time_rate"], Value::Null, "no accepted task yet");
    let ward = app.get_ok("/api/v1/units/p-2/people?limit=1").await;
    assert_eq!(
        (ward["total"].as_i64(), ids(&ward, "people")),
        (Some(2), vec!["w4".to_string()])
    );
    app.stop().await;
}

#[tokio::test]
async fn objectives_show_key_results_against_the_time_elapsed() {
    let app = board_app().await;
    let okrs = app.get_ok("/api/v1/units/p-1/okrs").await;
    let objectives = okrs["objectives"].as_array().unwrap();
    assert_eq!(objectives.len(), 1);
    let o = &objectives[0];
    assert_eq!(o["id"], "o-p1");
    assert_eq!(o["owner"], json!({"id": "w1", "name": "Lê Văn Cường"}));
    assert_eq!(o["parent"], "o-city");
    let kr = &o["key_results"][0];
    assert_eq!(kr["id"], "kr-3");
    assert_eq!(kr["current"], 90.0);
    assert_eq!(kr["progress"], 0.5, "80 -> 90 of 80 -> 100");
    assert_eq!(kr["confidence"], 6);
    // 2026-Q4 from 1 Oct to 20 Nov 10:00 (+07:00): 50 days 10 hours of 92 days.
    let expected = (50.0 * 24.0 + 10.0) / (92.0 * 24.0);
    assert!(
        (kr["expected"].as_f64().unwrap() - expected).abs() < 1e-4,
        "{kr}"
    );
    assert!((kr["pace_gap"].as_f64().unwrap() - (0.5 - expected)).abs() < 1e-4);
    assert_eq!(o["progress"], 0.5, "one key result: its progress");
    let city = app.get_ok("/api/v1/units/hn/okrs").await;
    assert_eq!(
        city["objectives"][0]["key_results"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    app.stop().await;
}

#[tokio::test]
async fn red_kpis_and_kpi_history_read_the_subtree_and_the_periods() {
    let app = board_app().await;
    let red = app.get_ok("/api/v1/units/hn/kpis/red").await;
    assert_eq!(red["total"], 1);
    assert_eq!(red["kpis"][0]["code"], "TTHC");
    assert_eq!(red["kpis"][0]["unit"]["id"], "p-1");
    assert_eq!(red["kpis"][0]["value"], 80.0);
    assert_eq!(red["kpis"][0]["period"], "2026-10");
    let none = app.get_ok("/api/v1/units/p-2/kpis/red").await;
    assert_eq!(none["total"], 0);

    let history = app.get_ok("/api/v1/units/p-1/kpis/history").await;
    let tthc: Vec<(String, f64, String)> = history["series"]["TTHC"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["period"].as_str().unwrap().into(),
                p["value"].as_f64().unwrap(),
                p["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        tthc,
        [
            ("2026-08".to_string(), 97.0, "green".to_string()),
            ("2026-09".into(), 90.0, "yellow".into()),
            ("2026-10".into(), 80.0, "red".into())
        ]
    );
    assert_eq!(history["series"]["KN"][0]["status"], "green");
    let last_two = app.get_ok("/api/v1/units/p-1/kpis/history?points=2").await;
    assert_eq!(last_two["series"]["TTHC"].as_array().unwrap().len(), 2);
    assert_eq!(last_two["series"]["TTHC"][0]["period"], "2026-09");
    app.stop().await;
}

#[tokio::test]
async fn the_unit_score_is_the_weighted_mean_of_its_parts_at_every_level() {
    let app = board_app().await;
    let city = app.get_ok("/api/v1/units/hn/view").await;
    for line in city["children"].as_array().unwrap() {
        let id = line["unit"]["id"].as_str().unwrap();
        let own = app.get_ok(&format!("/api/v1/units/{id}/view")).await;
        assert_eq!(
            line["score"], own["summary"]["score"],
            "{id}: the city's line equals the unit's own"
        );
    }
    // p-2: KPI TTHC green (health 1.0); t-done on time (1.0); t-p2 overdue of 1 open (0.0).
    let p2 = app.get_ok("/api/v1/units/p-2/view").await;
    assert_eq!(
        p2["summary"]["score"],
        json!({"value": 70.0, "band": "yellow"})
    );
    // p-1: TTHC red, KN green (0.5); no accepted task, so the on-time part drops out; 2 of
    // its 4 open tasks overdue (0.5). (0.4 * 0.5 + 0.3 * 0.5) / 0.7 = 0.5
    let p1 = app.get_ok("/api/v1/units/p-1/view").await;
    assert_eq!(
        p1["summary"]["score"],
        json!({"value": 50.0, "band": "red"})
    );
    // so-a's subtree (so-a, so-a.p1) holds no task and no KPI value: no score at all.
    let dept = app.get_ok("/api/v1/units/so-a/view").await;
    assert_eq!(dept["summary"]["score"]["band"], "no_data");
    let empty = app.get_ok("/api/v1/units/so-a.p1/view").await;
    assert_eq!(
        empty["summary"]["score"],
        json!({"value": null, "band": "no_data"})
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_board_queries_get_json_errors_naming_the_parameter() {
    let app = board_app().await;
    for (path, status, needle) in [
        ("/api/v1/units/hn/tasks?due=late", 400, "'due'"),
        ("/api/v1/units/hn/tasks?limit=0", 400, "'limit'"),
        ("/api/v1/units/hn/tasks?limit=abc", 400, "'limit'"),
        ("/api/v1/units/hn/tasks?due=soon&days=365", 400, "'days'"),
        ("/api/v1/units/hn/tasks?days=3", 400, "'days'"),
        ("/api/v1/units/hn/people?sort=name", 400, "'sort'"),
        ("/api/v1/units/hn/kpis/history?points=0", 400, "'points'"),
        ("/api/v1/units/nowhere/tasks", 404, "nowhere"),
        ("/api/v1/units/nowhere/okrs", 404, "nowhere"),
        ("/api/v1/units/nowhere/kpis/history", 404, "nowhere"),
    ] {
        let (got, body) = app.get(path).await;
        assert_eq!(got, status, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{path}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_web_ui_is_served_from_the_binary_and_api_misses_stay_json() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let etag = page.headers()["etag"].to_str().unwrap().to_string();
    let html = page.text().await.unwrap();
    assert!(html.contains("lang=\"vi\""), "Vietnamese first");
    // Every module the pages import is served as JavaScript (browsers refuse other types).
    let mut modules = 0;
    for page in [
        "index.html",
        "unit.html",
        "alerts.html",
        "wall.html",
        "review.html",
        "person.html",
        "task.html",
        "inbox.html",
        "me.html",
        "accept.html",
        "assign.html",
    ] {
        let html = app
            .client
            .get(app.url(&format!("/{page}")))
            .send()
            .await
            .unwrap();
        assert_eq!(html.status(), 200, "{page}");
        let html = html.text().await.unwrap();
        for src in html
            .split("src=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|s| s.ends_with(".js"))
        {
            let js = app.client.get(app.url(src)).send().await.unwrap();
            assert_eq!(js.status(), 200, "{page} -> {src}");
            assert!(
                js.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/javascript"),
                "{src}"
            );
            modules += 1;
        }
    }
    assert!(modules >= 7, "each page loads its module");
    let again = app
        .client
        .get(app.url("/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        304,
        "an unchanged file is revalidated, not resent"
    );

    let (status, body) = app.get("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    for path in [
        "/nothing.html",
        "/js/../../Cargo.toml",
        "/%2e%2e/Cargo.toml",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let dashboard = app.get_ok("/api/v1/dashboard").await;
    assert_eq!(dashboard["time_zone"], "Asia/Ho_Chi_Minh");
    assert_eq!(dashboard["wall"]["rotate_seconds"], 20);
    app.stop().await;
}

//! The real server over real sockets: ingest, views at every level, idempotency, ordering,
//! the clock, restarts, and bad input that changes nothing.

use ioc_tests::{spawn_app, task_event, TestApp, START};
use serde_json::{json, Value};

async fn city_tasks(app: &TestApp) -> Value {
    app.get_ok("/api/v1/units/hn/view").await["summary"]["tasks"].clone()
}

#[tokio::test]
async fn an_ingested_task_shows_the_same_numbers_at_ward_department_and_city() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let report = app
        .ingest(json!([
            task_event("e1", "t1", "w2", "2026-11-30", START),
            task_event("e2", "t2", "a2", "2026-11-30", START),
            {"type": "task", "id": "e3", "at": START, "task_id": "t1", "progress": 40, "status": "in_progress"}
        ]))
        .await;
    assert_eq!(report["accepted"], 3);
    assert_eq!(report["duplicates"], 0);

    let division = app.get_ok("/api/v1/units/p-1.vh/view").await;
    let ward = app.get_ok("/api/v1/units/p-1/view").await;
    let city = app.get_ok("/api/v1/units/hn/view").await;
    assert_eq!(division["summary"]["tasks"]["by_status"]["in_progress"], 1);
    assert_eq!(ward["summary"]["tasks"]["by_status"]["in_progress"], 1);
    assert_eq!(ward["summary"]["tasks"]["avg_progress"], 40.0);
    assert_eq!(city["summary"]["tasks"]["total"], 2);
    assert_eq!(city["summary"]["tasks"]["avg_progress"], 20.0);
    // The city's line for the ward carries the ward's own figures.
    let line = city["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unit"]["id"] == "p-1")
        .unwrap()
        .clone();
    assert_eq!(line["tasks_total"], ward["summary"]["tasks"]["total"]);
    assert_eq!(line["avg_progress"], 40.0);
    assert_eq!(ward["path"][0]["id"], "hn");
    assert_eq!(city["summary"]["people"], 6);

    let person = app.get_ok("/api/v1/people/w2/view").await;
    assert_eq!(person["workload"], 1);
    assert_eq!(person["task_list"][0]["id"], "t1");
    assert_eq!(person["task_list"][0]["progress"], 40.0);
    let task = app.get_ok("/api/v1/tasks/t1").await;
    assert_eq!(task["unit"], "p-1.vh");
    assert_eq!(task["status"], "in_progress");
    app.stop().await;
}

#[tokio::test]
async fn a_replayed_event_is_reported_as_a_duplicate_and_changes_nothing() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([task_event("e1", "t1", "w2", "2026-11-30", START)]))
        .await;
    let before = city_tasks(&app).await;
    // The same event again (a retry after a lost answer): a duplicate, kept once.
    let replay = app
        .ingest(json!([task_event("e1", "t1", "w2", "2026-11-30", START)]))
        .await;
    assert_eq!(replay["accepted"], 0);
    assert_eq!(replay["duplicates"], 1);
    assert_eq!(replay["duplicate_ids"][0], "e1");
    assert_eq!(city_tasks(&app).await, before);
    // The same id saying something else is not a duplicate: a 409 naming it (issue 15).
    let (status, body) = app
        .post_events(
            &json!([{"type": "task", "id": "e1", "at": START, "task_id": "t1", "progress": 90}]),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (409, &json!("id")),
        "{body}"
    );
    assert_eq!(city_tasks(&app).await, before);
    let logged = app
        .get_ok(&format!("/api/v1/events/e1?source={}", app.feed_source()))
        .await;
    assert_eq!(logged["body"]["deadline"], "2026-11-30");
    // A duplicate inside one request counts once.
    let twice = app
        .ingest(json!([
            {"type": "satisfaction_rating", "id": "r1", "at": START, "unit": "p-1", "service": "Khai sinh", "score": 5},
            {"type": "satisfaction_rating", "id": "r1", "at": START, "unit": "p-1", "service": "Khai sinh", "score": 5}
        ]))
        .await;
    assert_eq!(
        (twice["accepted"].as_u64(), twice["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        app.get_ok("/api/v1/units/hn/view").await["summary"]["satisfaction"]["ratings"],
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn a_late_older_update_never_overwrites_a_newer_one() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([task_event(
        "e1",
        "t1",
        "w2",
        "2026-11-30",
        "2026-11-01T08:00:00+07:00"
    )]))
    .await;
    app.ingest(json!([{"type": "task", "id": "e3", "at": "2026-11-02T10:00:00+07:00", "task_id": "t1", "progress": 70}])).await;
    // Sent later, happened earlier: ignored for progress...
    app.ingest(json!([{"type": "task", "id": "e2", "at": "2026-11-02T09:00:00+07:00", "task_id": "t1", "progress": 30, "status": "in_progress"}])).await;
    let t = app.get_ok("/api/v1/tasks/t1").await;
    assert_eq!(t["progress"], 70.0);
    // ...but its status group had no newer change, so it applies.
    assert_eq!(t["status"], "in_progress");
    // Same for KPI values of one period.
    let obs = |id: &str, at: &str, v: f64| json!({"type": "kpi_observation", "id": id, "at": at, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": v});
    app.ingest(json!([obs("o2", "2026-11-02T09:00:00+07:00", 97.0)]))
        .await;
    app.ingest(json!([obs("o1", "2026-11-01T09:00:00+07:00", 80.0)]))
        .await;
    let board = app.get_ok("/api/v1/units/p-1/kpis").await;
    let line = board["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == "TTHC")
        .unwrap()
        .clone();
    assert_eq!(line["value"], 97.0);
    assert_eq!(line["status"], "green");
    app.stop().await;
}

#[tokio::test]
async fn the_clock_makes_a_task_overdue_at_every_level_without_any_task_event() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([
        task_event("e1", "t1", "w4", "2026-11-10", START),
        task_event("e2", "t2", "w4", "2026-12-10", START),
        task_event("e3", "t3", "a1", "2026-11-10", START),
        {"type": "task", "id": "e4", "at": "2026-11-05T08:00:00+07:00", "task_id": "t3", "status": "submitted"}
    ]))
    .await;
    assert_eq!(city_tasks(&app).await["overdue"], 0);
    app.set_clock("2026-11-11T00:00:00+07:00").await;
    let city = city_tasks(&app).await;
    assert_eq!(
        city["overdue"], 1,
        "submitted tasks wait on the acceptor and are not overdue"
    );
    assert_eq!(
        app.get_ok("/api/v1/units/p-2/view").await["summary"]["tasks"]["overdue"],
        1
    );
    assert_eq!(
        app.get_ok("/api/v1/people/w4/view").await["tasks"]["overdue"],
        1
    );
    // Accepted after the deadline, but submitted before it: done on time.
    app.ingest(json!([{"type": "task", "id": "e5", "at": "2026-11-11T09:00:00+07:00", "task_id": "t3", "status": "accepted", "quality": 90}])).await;
    // Finishing the overdue one late.
    app.ingest(json!([{"type": "task", "id": "e6", "at": "2026-11-11T09:00:00+07:00", "task_id": "t1", "status": "accepted"}])).await;
    let city = city_tasks(&app).await;
    assert_eq!(city["overdue"], 0);
    assert_eq!(city["done_on_time"], 1);
    assert_eq!(city["done_late"], 1);
    assert_eq!(city["on_time_rate"], 0.5);
    // The clock never goes back.
    let (status, body) = app.post("/api/v1/clock", &json!({"now": START})).await;
    assert_eq!(status, 409, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn kpi_statuses_and_key_result_pace_roll_up_by_index_group() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 96.0, "source": "Một cửa", "entered_by": "w2"},
        {"type": "kpi_observation", "id": "o2", "at": START, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": 80.0},
        {"type": "kpi_observation", "id": "o3", "at": START, "kpi": "DT", "unit": "so-a", "period": "2026-Q3", "value": 93.0},
        {"type": "kr_checkin", "id": "c1", "at": START, "key_result": "kr-1", "value": 60, "confidence": 7, "comment": "đúng tiến độ", "by": "w1"}
    ]))
    .await;
    let city = app.get_ok("/api/v1/units/hn/view").await;
    let kpis = &city["summary"]["kpis"];
    assert_eq!(
        kpis["service"],
        json!({"green": 1, "yellow": 0, "red": 1, "no_data": 0})
    );
    assert_eq!(
        kpis["development"],
        json!({"green": 0, "yellow": 1, "red": 0, "no_data": 0})
    );
    assert_eq!(kpis["total"]["no_data"], 2);
    let year = city["summary"]["key_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["period"] == "2026")
        .unwrap()
        .clone();
    assert_eq!(year["count"], 2);
    // kr-1 went half way (40 -> 60 of 40 -> 80), kr-2 not at all.
    assert!(
        (year["avg_progress"].as_f64().unwrap() - 0.25).abs() < 1e-9,
        "{year}"
    );
    assert!(year["pace_gap"].as_f64().unwrap() < 0.0);
    let ward_board = app.get_ok("/api/v1/units/p-2/kpis").await;
    assert_eq!(ward_board["kpis"][0]["status"], "red");
    assert_eq!(
        app.get_ok("/api/v1/key-results/kr-1").await["confidence"],
        7
    );
    app.stop().await;
}

#[tokio::test]
async fn ndjson_bodies_are_accepted_like_arrays() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let body = format!(
        "{}\n{}\n",
        task_event("e1", "t1", "w2", "2026-11-30", START),
        task_event("e2", "t2", "w3", "2026-11-30", START)
    );
    let r = app
        .feed
        .post(app.url("/api/v1/events"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(city_tasks(&app).await["total"], 2);
    app.stop().await;
}

#[tokio::test]
async fn a_restart_rebuilds_the_same_views_from_the_store() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([
        task_event("e1", "t1", "w2", "2026-11-10", START),
        task_event("e2", "t2", "a2", "2026-12-10", START),
        {"type": "task", "id": "e3", "at": START, "task_id": "t2", "progress": 55.5, "status": "in_progress"},
        {"type": "kpi_observation", "id": "o1", "at": START, "kpi": "KN", "unit": "p-1", "period": "2026-10", "value": 4},
        {"type": "satisfaction_rating", "id": "r1", "at": START, "unit": "p-2", "service": "Chứng thực", "score": 4}
    ]))
    .await;
    app.set_clock("2026-11-20T00:00:00+07:00").await;
    let mut before = Vec::new();
    for path in [
        "/api/v1/units/hn/view",
        "/api/v1/units/p-1/view",
        "/api/v1/units/so-a/view",
        "/api/v1/units/p-1/kpis",
        "/api/v1/people/a2/view",
    ] {
        before.push(app.get_ok(path).await);
    }
    let app = app.restart().await;
    let mut after = Vec::new();
    for path in [
        "/api/v1/units/hn/view",
        "/api/v1/units/p-1/view",
        "/api/v1/units/so-a/view",
        "/api/v1/units/p-1/kpis",
        "/api/v1/people/a2/view",
    ] {
        after.push(app.get_ok(path).await);
    }
    // `commit` counts batches applied by this process; everything else must be identical.
    for v in before.iter_mut().chain(after.iter_mut()) {
        v.as_object_mut().unwrap().remove("commit");
    }
    assert_eq!(before, after);
    assert_eq!(after[0]["summary"]["tasks"]["overdue"], 1);
    app.stop().await;
}

async fn assert_refused(
    app: &TestApp,
    events: Value,
    status: u16,
    index: Option<u64>,
    field: &str,
) -> Value {
    let before = app.get_ok("/api/v1/units/hn/view").await;
    let (got, body) = app.post_events(&events).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"]["index"].as_u64(), index, "{body}");
    assert_eq!(
        body["error"]["field"].as_str().unwrap_or(""),
        field,
        "{body}"
    );
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    assert_eq!(
        app.get_ok("/api/v1/units/hn/view").await,
        before,
        "a refused request changed something"
    );
    body
}

#[tokio::test]
async fn bad_events_are_refused_naming_item_and_field_and_nothing_is_kept() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let good = task_event("ok1", "t-ok", "w2", "2026-11-30", START);
    let bad = |patch: Value| {
        let mut e = task_event("bad", "t-bad", "w2", "2026-11-30", START);
        for (k, v) in patch.as_object().unwrap() {
            e[k] = v.clone();
        }
        json!([good.clone(), e])
    };
    assert_refused(
        &app,
        bad(json!({"responsible": "nobody"})),
        422,
        Some(1),
        "responsible",
    )
    .await;
    assert_refused(
        &app,
        bad(json!({"progress": 120})),
        422,
        Some(1),
        "progress",
    )
    .await;
    assert_refused(&app, bad(json!({"progress": -1})), 422, Some(1), "progress").await;
    assert_refused(
        &app,
        bad(json!({"start": "2026-12-01"})),
        422,
        Some(1),
        "deadline",
    )
    .await;
    assert_refused(
        &app,
        bad(json!({"deadline": "31/12/2026"})),
        422,
        Some(1),
        "deadline",
    )
    .await;
    assert_refused(
        &app,
        bad(json!({"key_result": "kr-none"})),
        422,
        Some(1),
        "key_result",
    )
    .await;
    assert_refused(&app, bad(json!({"status": "done"})), 422, Some(1), "status").await;
    assert_refused(&app, json!([good.clone(), {"type": "task", "id": "x", "at": START, "task_id": "t-new", "progress": 5}]), 422, Some(1), "title").await;
    assert_refused(&app, json!([{"type": "kpi_observation", "id": "x", "at": START, "kpi": "NOPE", "unit": "p-1", "period": "2026-10", "value": 1}]), 422, Some(0), "kpi").await;
    assert_refused(&app, json!([{"type": "kpi_observation", "id": "x", "at": START, "kpi": "TTHC", "unit": "p-9", "period": "2026-10", "value": 1}]), 422, Some(0), "unit").await;
    assert_refused(&app, json!([{"type": "kpi_observation", "id": "x", "at": START, "kpi": "TTHC", "unit": "so-a", "period": "2026-10", "value": 1}]), 422, Some(0), "unit").await;
    assert_refused(&app, json!([{"type": "kpi_observation", "id": "x", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-Q4", "value": 1}]), 422, Some(0), "period").await;
    assert_refused(
        &app,
        json!([{"type": "kr_checkin", "id": "x", "at": START, "key_result": "kr-9", "value": 1}]),
        422,
        Some(0),
        "key_result",
    )
    .await;
    assert_refused(&app, json!([{"type": "kr_checkin", "id": "x", "at": START, "key_result": "kr-1", "value": 1, "confidence": 11}]), 422, Some(0), "confidence").await;
    assert_refused(&app, json!([{"type": "satisfaction_rating", "id": "x", "at": START, "unit": "p-1", "service": "s", "score": 0}]), 422, Some(0), "score").await;
    assert_refused(&app, json!([{"type": "satisfaction_rating", "id": "x", "at": START, "unit": "p-1", "service": "s", "score": 3, "extra": 1}]), 422, Some(0), "extra").await;
    assert_refused(&app, json!([]), 422, None, "").await;
    // The good item of each refused request was not kept either.
    assert_eq!(app.get("/api/v1/tasks/t-ok").await.0, 404);
    assert_eq!(app.get("/api/v1/events/ok1").await.0, 404);
    app.stop().await;
}

#[tokio::test]
async fn malformed_oversized_and_overlong_requests_get_json_errors() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let raw = |body: String, ct: &'static str| {
        let client = app.feed.clone();
        let url = app.url("/api/v1/events");
        async move {
            let r = client
                .post(url)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = raw("[{\"type\": \"task\",".into(), "application/json").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    let (status, body) = raw("[1e999]".into(), "application/json").await;
    assert!(status == 400 || status == 422, "{status} {body}");
    let (status, body) = raw("hello".into(), "text/plain").await;
    assert_eq!(status, 415, "{body}");
    // The test server accepts 1 MiB bodies.
    let big = format!(
        "[{}]",
        vec![task_event("e", "t", "w2", "2026-11-30", START).to_string(); 8000].join(",")
    );
    assert!(big.len() > 1024 * 1024);
    let (status, body) = raw(big, "application/json").await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too_large");
    let many: Vec<Value> = (0..10_001).map(|i| json!({"type": "satisfaction_rating", "id": i.to_string(), "at": START, "unit": "p-1", "service": "s", "score": 5})).collect();
    let (status, body) = raw(
        serde_json::to_string(&many).unwrap().replace(' ', ""),
        "application/json",
    )
    .await;
    assert!(status == 422 || status == 413, "{status} {body}");
    let (status, body) = app.get("/api/v1/units/nowhere/view").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, _) = app.get("/no/such/route").await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn a_batch_over_the_item_limit_is_refused_whole() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let many: Vec<Value> = (0..10_001)
        .map(|i| json!({"type":"satisfaction_rating","id":format!("r{i}"),"at":START,"unit":"p-1","service":"s","score":5}))
        .collect();
    let r = app
        .feed
        .post(app.url("/api/v1/events"))
        .header("content-type", "application/x-ndjson")
        .body(
            many.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        )
        .send()
        .await
        .unwrap();
    // ~1.1 MB: either the byte limit or the item limit refuses it; both keep nothing.
    assert!(r.status() == 422 || r.status() == 413);
    assert_eq!(
        app.get_ok("/api/v1/units/hn/view").await["summary"]["satisfaction"]["ratings"],
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn the_catalog_refuses_a_sixth_key_result_unknown_references_and_cycles() {
    let app = spawn_app().await;
    app.load_fixture().await;
    for i in 3..=5 {
        let (status, body) = app
            .post("/api/v1/key-results", &json!({"id": format!("kr-c{i}"), "objective": "o-city", "title": "KR", "start": 0, "target": 10, "unit_of_measure": "%"}))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = app
        .post("/api/v1/key-results", &json!({"id": "kr-c6", "objective": "o-city", "title": "KR", "start": 0, "target": 10, "unit_of_measure": "%"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "objective");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at most 5"));
    assert_eq!(app.get("/api/v1/key-results/kr-c6").await.0, 404);

    let (status, body) = app
        .post(
            "/api/v1/people",
            &json!({"id": "x", "name": "X", "unit": "nowhere", "position": "Cán bộ"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("unit"))
    );
    let (status, _) = app
        .post(
            "/api/v1/units",
            &json!({"id": "hn", "name": "again", "level": "city"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/units/so-a",
            &json!({"id": "so-a", "name": "Sở", "level": "department", "parent": "so-a.p1"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "parent");
    let (status, body) = app
        .post("/api/v1/kpis", &json!({"code": "BAD", "name": "x", "unit_of_measure": "%", "thresholds": {"direction": "higher_is_better", "green": 50, "red": 80}, "frequency": "monthly", "group": "service", "leading_unit": "hn"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "thresholds");
    let (status, body) = app
        .post(
            "/api/v1/units",
            &json!({"id": "u", "name": "U", "level": "planet", "parent": "hn"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "level");
    app.stop().await;
}

#[tokio::test]
async fn moving_a_unit_carries_its_figures_to_the_new_parent() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([task_event("e1", "t1", "w2", "2026-11-30", START)]))
        .await;
    assert_eq!(
        app.get_ok("/api/v1/units/p-1/view").await["summary"]["tasks"]["total"],
        1
    );
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/units/p-1.vh",
            &json!({"id": "p-1.vh", "name": "Phòng Văn hóa", "level": "division", "parent": "p-2"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.get_ok("/api/v1/units/p-1/view").await["summary"]["tasks"]["total"],
        0
    );
    assert_eq!(
        app.get_ok("/api/v1/units/p-2/view").await["summary"]["tasks"]["total"],
        1
    );
    assert_eq!(
        app.get_ok("/api/v1/units/hn/view").await["summary"]["tasks"]["total"],
        1
    );
    let app = app.restart().await;
    assert_eq!(
        app.get_ok("/api/v1/units/p-2/view").await["summary"]["tasks"]["total"],
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn tasks_can_be_created_and_changed_over_rest() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let (status, body) = app
        .send(reqwest::Method::PUT, "/api/v1/tasks/T-9", &json!({"title": "Báo cáo quý", "responsible": "w3", "deadline": "2026-12-31", "at": START}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/tasks/T-9",
            &json!({"progress": 35, "at": "2026-11-03T08:00:00+07:00"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.get_ok("/api/v1/tasks/T-9").await["progress"], 35.0);
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/tasks/T-9",
            &json!({"progress": 135}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("progress"))
    );
    app.stop().await;
}

#[tokio::test]
async fn operations_endpoints_answer_and_every_documented_path_is_routed() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([task_event("e1", "t1", "w2", "2026-11-30", START)]))
        .await;
    let health = app.get_ok("/healthz").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["backend"], "sqlite");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("ioc_events_committed_total"), "{metrics}");
    assert!(metrics.contains("ioc_http_requests_total"));
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/periods/2026",
            &json!({"state": "active"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The caller's own work is read as a ward leader linked to a person; a file is read back
    // after the integration feed uploaded it for t1.
    let leader = app
        .account("api-leader", Some("w1"), &[("leader", "p-1")])
        .await;
    let file: Value = app
        .feed
        .post(app.url("/api/v1/attachments?task=t1&name=t1.pdf"))
        .body(b"%PDF-1.4\n% t1\n%%EOF\n".to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sha = file["sha256"]
        .as_str()
        .expect("the file's hash")
        .to_string();
    // An explanation request about t1, for its routes.
    let (status, body) = app
        .post(
            "/api/v1/explanations",
            &json!({"id": "x1", "subject_kind": "task", "subject": "t1", "question": "Vì sao chậm?", "due": "2030-12-31"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .send_as(
            Some(&leader),
            reqwest::Method::POST,
            "/api/v1/task-templates",
            Some(&json!({"id": "bc-thang", "unit": "p-1", "title": "Báo cáo", "responsible": "w2", "every": "monthly", "day": 25})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // A review meeting of p-1, for its routes.
    let (status, body) = app
        .post(
            "/api/v1/meetings",
            &json!({"unit": "p-1", "period": "2026-W45", "chair": "w1"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let doc = app.get_ok("/api/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["components"]["schemas"]["UnitView"].is_object());
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let id = [
                ("/api/v1/people", "w2"),
                ("/api/v1/tasks", "t1"),
                ("/api/v1/events", "e1"),
                ("/api/v1/kpis", "TTHC"),
                ("/api/v1/objectives", "o-city"),
                ("/api/v1/key-results", "kr-1"),
                ("/api/v1/accounts", "admin"),
                ("/api/v1/tokens", "no-such-token"),
                ("/api/v1/evaluations/people", "w2"),
                ("/api/v1/task-templates", "bc-thang"),
                ("/api/v1/explanations", "x1"),
                ("/api/v1/meetings", "gb-p-1-2026-W45"),
            ]
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map_or("hn", |(_, id)| id);
            if path.starts_with("/public/v1/units/{unit}/") && method == "get" {
                continue; // the live stream and the month files: tests/tests/public.rs
            }
            let id = if path.contains("/public-") { "p-1" } else { id };
            let mut concrete = path
                .replace("{id}", id)
                .replace("{unit}", "p-1")
                .replace("{file}", "overdue.svg")
                .replace("{label}", "2026")
                .replace("{key}", "other")
                .replace("{sha256}", &sha);
            if path.contains("/public-") {
                concrete.push_str("?service=khai-sinh");
            }
            if path.ends_with("/as-of") {
                // A moment is required: the clock's own (history reaches it).
                let now = app.get_ok("/api/v1/clock").await["now"]
                    .as_str()
                    .unwrap()
                    .replace('+', "%2B");
                concrete.push_str(&format!("?at={now}"));
            }
            if path == "/api/v1/events/{id}" {
                // Ids are their source's: e1 came through the integration feed.
                concrete.push_str(&format!("?source={}", app.feed_source()));
            }
            if ops[method]["responses"]["101"].is_object() {
                // A WebSocket endpoint: a plain GET is refused as such (the live tests use it).
                let (status, body) = app.get(&concrete).await;
                assert_eq!(status, 400, "GET {concrete}: {body}");
            } else if method == "get" && concrete.starts_with("/api/v1/me/") {
                let (status, body) = app
                    .send_as(Some(&leader), reqwest::Method::GET, &concrete, None)
                    .await;
                assert_eq!(status, 200, "GET {concrete}: {body}");
            } else if method == "get"
                && (concrete.starts_with("/api/v1/attachments/") || concrete.contains("/public-"))
            {
                // Not JSON: a stored file, a card or a QR code.
                let r = app.client.get(app.url(&concrete)).send().await.unwrap();
                assert_eq!(r.status(), 200, "GET {concrete}");
            } else if method == "get" {
                let (status, body) = app.get(&concrete).await;
                assert_eq!(status, 200, "GET {concrete}: {body}");
            } else if method == "delete" {
                // Signing out would end this test's session; access.rs covers it.
                if concrete != "/api/v1/session" {
                    let (status, body) = app
                        .send(reqwest::Method::DELETE, &concrete, &json!({}))
                        .await;
                    assert_eq!(status, 404, "DELETE {concrete}: {body}");
                    assert_ne!(
                        body["error"]["message"],
                        "no such route; see /api/openapi.json"
                    );
                }
            } else if concrete == "/api/v1/rules/reload" {
                let (status, body) = app.post(&concrete, &json!({})).await;
                assert_eq!(status, 200, "POST {concrete}: {body}");
            } else if concrete == "/api/v1/meetings/gb-p-1-2026-W45/close" {
                // Takes no body: the meeting closes (the other meeting routes refuse `{}`).
                let (status, body) = app.post(&concrete, &json!({})).await;
                assert_eq!(status, 200, "POST {concrete}: {body}");
                assert_eq!(body["state"], "closed");
            } else if concrete == "/api/v1/notify/link-key/rotate" {
                // Takes no body: it rotates (links already sent stay valid until the next).
                let (status, body) = app.post(&concrete, &json!({})).await;
                assert_eq!(status, 204, "POST {concrete}: {body}");
            } else {
                // An empty object is refused by validation, never by routing.
                let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let (status, body) = app.send(m, &concrete, &json!({})).await;
                assert!(
                    status == 422 || status == 400,
                    "{method} {concrete}: {status} {body}"
                );
            }
        }
    }
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_creates_of_one_id_make_one_entry_and_conflicts() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let posts = (0..8).map(|i| {
        let (client, url) = (app.client.clone(), app.url("/api/v1/units"));
        async move {
            let body = json!({"id": "p-9", "name": format!("Phường {i}"), "level": "ward", "parent": "hn"});
            client.post(url).json(&body).send().await.unwrap().status().as_u16()
        }
    });
    let mut statuses: Vec<u16> = Vec::new();
    for h in posts.map(tokio::spawn).collect::<Vec<_>>() {
        statuses.push(h.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    app.stop().await;
}

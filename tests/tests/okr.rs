//! The OKR cycle end to end over HTTP: periods and their states (a closed period is read-only
//! except for an admin, audited), the alignment tree with its weighted roll-up, check-in
//! history, and per-unit targets set from the level above.

use ioc_tests::*;
use reqwest::Method;
use serde_json::{json, Value};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-4
}

async fn put_period(app: &TestApp, as_: Option<&str>, label: &str, state: &str) -> (u16, Value) {
    let body = json!({ "state": state });
    match as_ {
        Some(t) => {
            app.send_as(
                Some(t),
                Method::PUT,
                &format!("/api/v1/periods/{label}"),
                Some(&body),
            )
            .await
        }
        None => {
            app.send(Method::PUT, &format!("/api/v1/periods/{label}"), &body)
                .await
        }
    }
}

/// Posts events with these credentials: (status, body).
async fn events_as(app: &TestApp, token: &str, events: &Value) -> (u16, Value) {
    app.send_as(Some(token), Method::POST, "/api/v1/events", Some(events))
        .await
}

fn checkin(id: &str, kr: &str, value: f64, at: &str, comment: &str) -> Value {
    json!({"type": "kr_checkin", "id": id, "at": at, "key_result": kr, "value": value,
           "confidence": 7, "comment": comment})
}

#[tokio::test]
async fn periods_move_through_their_lifecycle_and_a_closed_one_is_read_only_but_for_an_admin() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let ward_leader = app.account("wl", Some("w1"), &[("leader", "p-1")]).await;
    let ward_data = app.account("wd", None, &[("data_entry", "p-1")]).await;
    let ward_admin = app.account("wa", None, &[("admin", "p-1")]).await;
    let dept_data = app.account("dd", None, &[("data_entry", "so-a")]).await;

    // Only the whole tree's admin manages periods; only quarters and years are OKR periods.
    let (status, body) = put_period(&app, Some(&ward_admin), "2026-Q4", "active").await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = put_period(&app, None, "2026-11", "active").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "period", "{body}");
    let (status, body) = put_period(&app, None, "2026-Q4", "planning").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "planning");
    assert_eq!(body["kind"], "quarter");

    // Planning: key results are set, not checked in.
    let (status, body) = events_as(
        &app,
        &ward_leader,
        &json!([checkin(
            "c0",
            "kr-3",
            85.0,
            "2026-11-02T09:00:00+07:00",
            "sớm"
        )]),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("being planned"),
        "{body}"
    );
    // Planning cannot jump to closed.
    let (status, body) = put_period(&app, None, "2026-Q4", "closed").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(put_period(&app, None, "2026-Q4", "active").await.0, 200);

    let (status, body) = events_as(
        &app,
        &ward_leader,
        &json!([checkin(
            "c1",
            "kr-3",
            85.0,
            "2026-11-02T09:00:00+07:00",
            "Đã rà soát hồ sơ tồn"
        )]),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Close the quarter: the ward leader's check-in and a KPI value of a month inside it are
    // refused and change nothing.
    let (status, body) = put_period(&app, None, "2026-Q4", "closed").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "closed");
    let (status, body) = events_as(
        &app,
        &ward_leader,
        &json!([checkin(
            "c2",
            "kr-3",
            99.0,
            "2026-11-02T10:00:00+07:00",
            "muộn"
        )]),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-Q4 is closed"),
        "{body}"
    );
    let kpi_value = json!([{"type": "kpi_observation", "id": "v1", "at": "2026-11-02T10:00:00+07:00",
                            "kpi": "TTHC", "unit": "p-1", "period": "2026-11", "value": 97}]);
    let (status, body) = events_as(&app, &dept_data, &kpi_value).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["field"], "period", "{body}");
    let kr = app.get_ok("/api/v1/key-results/kr-3").await;
    assert_eq!(kr["current"], 85.0);
    // Data entry outside the closed period is untouched by it: a yearly KPI of 2027 is fine.
    let _ = ward_data;

    // An admin of the ward corrects the closed quarter; the correction is audited.
    let (status, body) = events_as(
        &app,
        &ward_admin,
        &json!([checkin(
            "c3",
            "kr-3",
            90.0,
            "2026-11-02T11:00:00+07:00",
            "Điều chỉnh sau khi khóa kỳ"
        )]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.get_ok("/api/v1/key-results/kr-3").await["current"],
        90.0
    );
    let audit = app.get_ok("/api/v1/audit?unit=p-1&limit=1000").await;
    let entries = audit.as_array().expect("entries");
    let correction = entries
        .iter()
        .find(|e| e["action"] == "key_result.checkin" && e["actor"].to_string().contains("wa"))
        .unwrap_or_else(|| panic!("the admin's correction is in the audit trail: {audit}"));
    assert_eq!(correction["new"]["value"], 90.0, "{correction}");
    let period_entry = app
        .get_ok("/api/v1/audit?limit=1000")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "period.state")
        .count();
    assert_eq!(
        period_entry, 3,
        "planning, active, closed; the refused changes left no entry"
    );

    // Reopened, the usual rules apply again.
    assert_eq!(put_period(&app, None, "2026-Q4", "active").await.0, 200);
    let (status, body) = events_as(
        &app,
        &ward_leader,
        &json!([checkin(
            "c4",
            "kr-3",
            95.0,
            "2026-11-02T12:00:00+07:00",
            "Mở lại kỳ"
        )]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let periods = app.get_ok("/api/v1/periods").await;
    assert_eq!(periods.as_array().unwrap().len(), 1, "{periods}");
    assert_eq!(periods[0]["state"], "active");

    // One spelling per period: 2026-Q04 is 2026-Q4, not a second quarter.
    let (status, body) = put_period(&app, None, "2026-Q04", "active").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["period"], "2026-Q4");
    assert_eq!(
        app.get_ok("/api/v1/periods")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A period starts planned or active, and closing twice does not freeze again.
    let (status, body) = put_period(&app, None, "2026-Q3", "closed").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(put_period(&app, None, "2026-Q3", "active").await.0, 200);
    assert_eq!(put_period(&app, None, "2026-Q3", "closed").await.0, 200);
    let before = app
        .get_ok("/api/v1/audit?limit=1000")
        .await
        .as_array()
        .unwrap()
        .len();
    assert_eq!(put_period(&app, None, "2026-Q3", "closed").await.0, 200);
    let after = app
        .get_ok("/api/v1/audit?limit=1000")
        .await
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "closing a closed period changes nothing");

    // A week straddling the end of the closed quarter holds days of it: refused too.
    let (status, body) = app
        .post("/api/v1/kpis", &json!({"code": "TUAN", "name": "Phản ánh xử lý đúng hạn", "unit_of_measure": "%",
            "thresholds": {"direction": "higher_is_better", "green": 90, "red": 75}, "frequency": "weekly",
            "group": "internal", "leading_unit": "so-a"}))
        .await;
    assert_eq!(status, 201, "{body}");
    let weekly = |id: &str, week: &str| {
        json!([{"type": "kpi_observation", "id": id, "at": "2026-11-02T10:00:00+07:00",
                "kpi": "TUAN", "unit": "so-a", "period": week, "value": 95}])
    };
    let (status, body) = events_as(&app, &dept_data, &weekly("w40", "2026-W40")).await;
    assert_eq!(status, 403, "2026-W40 runs 28 Sep - 4 Oct: {body}");
    let (status, body) = events_as(&app, &dept_data, &weekly("w45", "2026-W45")).await;
    assert_eq!(status, 200, "{body}");

    // An admin of one ward cannot take a key result of the city over by moving it.
    let (status, body) = app
        .send_as(Some(&ward_admin), Method::PUT, "/api/v1/key-results/kr-1", Some(&json!({
            "id": "kr-1", "objective": "o-p1", "title": "Hồ sơ trực tuyến", "start": 40, "target": 80,
            "unit_of_measure": "%"})))
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        app.get_ok("/api/v1/key-results/kr-1").await["objective"],
        "o-city"
    );
}

#[tokio::test]
async fn a_closed_quarter_leaves_the_year_around_it_open() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let city_leader = app.account("cl", None, &[("leader", "hn")]).await;
    assert_eq!(put_period(&app, None, "2026", "active").await.0, 200);
    assert_eq!(put_period(&app, None, "2026-Q3", "active").await.0, 200);
    assert_eq!(put_period(&app, None, "2026-Q3", "closed").await.0, 200);
    // A check-in on the year's objective (o-city, period 2026) is the year's, not Q3's.
    let (status, body) = events_as(
        &app,
        &city_leader,
        &json!([checkin(
            "y1",
            "kr-1",
            55.0,
            "2026-11-02T09:00:00+07:00",
            "cả năm"
        )]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.get_ok("/api/v1/key-results/kr-1").await["current"],
        55.0
    );
    let tree = app
        .get_ok("/api/v1/objectives/o-city/tree")
        .await
        .to_string();
    assert!(
        !tree.contains("\"period_state\":\"closed\""),
        "the year's objective is not shown closed: {tree}"
    );
    // What lies inside the closed quarter stays read-only, and so does a week across its end.
    let (status, body) = app
        .post("/api/v1/kpis", &json!({"code": "TUAN", "name": "Phản ánh xử lý đúng hạn", "unit_of_measure": "%",
            "thresholds": {"direction": "higher_is_better", "green": 90, "red": 75}, "frequency": "weekly",
            "group": "internal", "leading_unit": "so-a"}))
        .await;
    assert_eq!(status, 201, "{body}");
    let dept_data = app.account("dd", None, &[("data_entry", "so-a")]).await;
    for (week, expected) in [("2026-W38", 403), ("2026-W40", 403), ("2026-W41", 200)] {
        let (status, body) = events_as(
            &app,
            &dept_data,
            &json!([{"type": "kpi_observation", "id": week, "at": "2026-11-02T10:00:00+07:00",
                     "kpi": "TUAN", "unit": "so-a", "period": week, "value": 95}]),
        )
        .await;
        assert_eq!(status, expected, "{week}: {body}");
    }
}

#[tokio::test]
async fn the_alignment_tree_rolls_progress_up_by_weight_within_scope() {
    let app = spawn_app().await;
    app.load_fixture().await;
    // A second ward objective aligned to the city's, weighing twice as much.
    let (status, body) = app
        .post("/api/v1/objectives", &json!({"id": "o-p2", "unit": "p-2", "title": "Cải cách hành chính", "period": "2026-Q4", "parent": "o-city", "weight": 2}))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .post("/api/v1/key-results", &json!({"id": "kr-4", "objective": "o-p2", "title": "Thủ tục rút gọn", "start": 0, "target": 10, "unit_of_measure": "thủ tục"}))
        .await;
    assert_eq!(status, 201, "{body}");
    // kr-1: 40 -> 80, at 60 is 0.5; kr-2: 10 -> 5, at 10 is 0; kr-3: 80 -> 100, at 95 is 0.75;
    // kr-4: 0 -> 10, at 2 is 0.2.
    app.ingest(json!([
        checkin("k1", "kr-1", 60.0, "2026-11-02T09:00:00+07:00", "a"),
        checkin("k3", "kr-3", 95.0, "2026-11-02T09:00:00+07:00", "b"),
        checkin("k4", "kr-4", 2.0, "2026-11-02T09:00:00+07:00", "c"),
    ]))
    .await;
    let tree = app.get_ok("/api/v1/objectives/o-city/tree").await;
    let t = &tree["tree"];
    // Own: (0.5 + 0) / 2 = 0.25. Rolled up: (0.5 + 0 + 1 x 0.75 + 2 x 0.2) / (1 + 1 + 1 + 2)
    // = 1.65 / 5 = 0.33.
    assert!(close(t["progress"].as_f64().unwrap(), 0.25), "{t}");
    assert!(close(t["rolled_up"].as_f64().unwrap(), 0.33), "{t}");
    let children: Vec<&str> = t["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["o-p2", "o-p1"], "furthest behind first: {t}");
    assert_eq!(t["children"][0]["weight"], 2.0);
    assert_eq!(tree["up"].as_array().unwrap().len(), 0);

    // Up from the ward: the city objective it contributes to.
    let up = app.get_ok("/api/v1/objectives/o-p1/tree").await;
    assert_eq!(up["up"][0]["id"], "o-city", "{up}");
    assert!(
        close(up["up"][0]["rolled_up"].as_f64().unwrap(), 0.33),
        "{up}"
    );

    // Scope: a ward-1 viewer sees its objective, the title of what it aligns to but not its
    // figures, and cannot open the city's tree; a city viewer sees both wards.
    let viewer = app.account("v1", None, &[("viewer", "p-1")]).await;
    let (status, mine) = app
        .send_as(
            Some(&viewer),
            Method::GET,
            "/api/v1/objectives/o-p1/tree",
            None,
        )
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["up"][0]["title"], "Chính quyền phục vụ");
    assert!(mine["up"][0]["rolled_up"].is_null(), "{mine}");
    let (status, body) = app
        .send_as(
            Some(&viewer),
            Method::GET,
            "/api/v1/objectives/o-city/tree",
            None,
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let ward2 = app.account("v2", None, &[("viewer", "p-2")]).await;
    let city = app.account("vc", None, &[("viewer", "hn")]).await;
    let (_, whole) = app
        .send_as(
            Some(&city),
            Method::GET,
            "/api/v1/objectives/o-city/tree",
            None,
        )
        .await;
    assert_eq!(
        whole["tree"]["children"].as_array().unwrap().len(),
        2,
        "{whole}"
    );
    let _ = ward2;

    // Alignment follows the org tree and the calendar, and has no cycles.
    let (status, body) = app
        .post("/api/v1/objectives", &json!({"id": "o-x", "unit": "p-1", "title": "x", "period": "2026-Q4", "parent": "o-p2"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "parent");
    let (status, body) = app
        .post(
            "/api/v1/objectives",
            &json!({"id": "o-y", "unit": "p-1", "title": "y", "period": "2026", "parent": "o-p1"}),
        )
        .await;
    assert_eq!(status, 422, "a year inside a quarter: {body}");
    let (status, body) = app
        .send(Method::PUT, "/api/v1/objectives/o-city", &json!({"id": "o-city", "unit": "hn", "title": "Chính quyền phục vụ", "period": "2026", "parent": "o-p1"}))
        .await;
    assert_eq!(status, 422, "a cycle: {body}");

    // Objective progress on the unit's OKR list is the weighted mean of its key results.
    let okrs = app.get_ok("/api/v1/units/hn/okrs").await;
    assert!(
        close(okrs["objectives"][0]["progress"].as_f64().unwrap(), 0.25),
        "{okrs}"
    );
}

#[tokio::test]
async fn check_in_history_is_kept_with_comments_and_confidence() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([
        checkin(
            "h1",
            "kr-3",
            84.0,
            "2026-11-02T09:00:00+07:00",
            "Tuần 1: rà soát"
        ),
        checkin(
            "h2",
            "kr-3",
            90.0,
            "2026-11-09T09:00:00+07:00",
            "Tuần 2: đẩy nhanh"
        ),
    ]))
    .await;
    // An older check-in arriving late is history, not the current value.
    app.ingest(json!([checkin(
        "h0",
        "kr-3",
        82.0,
        "2026-11-01T09:00:00+07:00",
        "Bổ sung"
    )]))
    .await;
    let h = app.get_ok("/api/v1/key-results/kr-3/check-ins").await;
    let list = h["check_ins"].as_array().unwrap();
    let values: Vec<f64> = list.iter().map(|c| c["value"].as_f64().unwrap()).collect();
    assert_eq!(
        values,
        [82.0, 84.0, 90.0],
        "oldest first by the time at the source: {h}"
    );
    assert_eq!(list[2]["comment"], "Tuần 2: đẩy nhanh");
    assert_eq!(list[2]["confidence"], 7);
    assert!(close(list[2]["progress"].as_f64().unwrap(), 0.5), "{h}");
    assert_eq!(
        app.get_ok("/api/v1/key-results/kr-3").await["current"],
        90.0
    );
    let outsider = app.account("o2", None, &[("viewer", "p-2")]).await;
    let (status, _) = app
        .send_as(
            Some(&outsider),
            Method::GET,
            "/api/v1/key-results/kr-3/check-ins",
            None,
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn targets_are_handed_down_by_the_level_above() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let city_leader = app.account("cl", None, &[("leader", "hn")]).await;
    let ward_leader = app.account("wl", None, &[("leader", "p-1")]).await;
    let body = json!([{"unit": "p-1", "period": "2026", "target": 96}, {"unit": "p-2", "period": "2026-11", "target": 92}]);
    let (status, out) = app
        .send_as(
            Some(&ward_leader),
            Method::PUT,
            "/api/v1/kpis/TTHC/targets",
            Some(&body),
        )
        .await;
    assert_eq!(status, 403, "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("level above"),
        "{out}"
    );
    let (status, out) = app
        .send_as(
            Some(&city_leader),
            Method::PUT,
            "/api/v1/kpis/TTHC/targets",
            Some(&body),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out.as_array().unwrap().len(), 2, "{out}");
    // Nothing half-done: a bad second item refuses the first.
    let bad = json!([{"unit": "p-1", "period": "2027", "target": 97}, {"unit": "so-a", "period": "2027", "target": 1}]);
    let (status, out) = app
        .send_as(
            Some(&city_leader),
            Method::PUT,
            "/api/v1/kpis/TTHC/targets",
            Some(&bad),
        )
        .await;
    assert_eq!(status, 422, "so-a does not measure TTHC: {out}");
    assert_eq!(out["error"]["index"], 1, "{out}");
    let (status, out) = app
        .send_as(
            Some(&city_leader),
            Method::PUT,
            "/api/v1/kpis/TTHC/targets",
            Some(&json!([{"unit": "p-1", "period": "2026-13", "target": 1}])),
        )
        .await;
    assert_eq!(status, 422, "{out}");
    assert_eq!(out["error"]["field"], "period");
    let ward_viewer = app.account("wv", None, &[("viewer", "p-2")]).await;
    let (_, seen) = app
        .send_as(
            Some(&ward_viewer),
            Method::GET,
            "/api/v1/kpis/TTHC/targets",
            None,
        )
        .await;
    let units: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["unit"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["p-2"], "{seen}");
    let all = app.get_ok("/api/v1/kpis/TTHC/targets").await;
    assert_eq!(
        all.as_array().unwrap().len(),
        2,
        "the refused request kept nothing: {all}"
    );
}

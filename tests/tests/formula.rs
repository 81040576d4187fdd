//! Computed KPIs end to end: a formula over other KPIs is computed in the writer with the value
//! that caused it; a missing input or a division by zero gives no value (and says why); a
//! formula referring to itself, directly or through others, is refused; a parent unit's board
//! aggregates its units' series by the KPI's roll-up rule and shows targets and attainment.

use ioc_tests::*;
use reqwest::Method;
use serde_json::{json, Value};

fn kpi(code: &str, name: &str, extra: Value) -> Value {
    let mut k = json!({"code": code, "name": name, "unit_of_measure": "hồ sơ",
        "thresholds": {"direction": "higher_is_better", "green": 0, "red": 0},
        "frequency": "monthly", "group": "service", "leading_unit": "hn",
        "measured_units": ["p-1", "p-2"]});
    for (key, v) in extra.as_object().unwrap() {
        k[key] = v.clone();
    }
    k
}

fn value(id: &str, code: &str, unit: &str, v: f64) -> Value {
    json!({"type": "kpi_observation", "id": id, "at": "2026-11-02T09:00:00+07:00",
           "kpi": code, "unit": unit, "period": "2026-11", "value": v})
}

fn line<'a>(board: &'a Value, code: &str) -> &'a Value {
    board["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == code)
        .unwrap_or_else(|| panic!("{code} on the board: {board}"))
}

fn aggregate<'a>(board: &'a Value, code: &str) -> &'a Value {
    board["aggregates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == code)
        .unwrap_or_else(|| panic!("{code} among the aggregates: {board}"))
}

async fn setup(app: &TestApp) {
    app.load_fixture().await;
    for k in [
        kpi(
            "HS-TONG",
            "Tổng số hồ sơ tiếp nhận",
            json!({"rollup": {"rule": "sum"}}),
        ),
        kpi(
            "HS-DUNGHAN",
            "Số hồ sơ giải quyết đúng hạn",
            json!({"rollup": {"rule": "sum"}}),
        ),
        kpi(
            "TL-DUNGHAN",
            "Tỷ lệ hồ sơ đúng hạn",
            json!({
            "unit_of_measure": "%", "expression": "{HS-DUNGHAN} / {HS-TONG} * 100",
            "thresholds": {"direction": "higher_is_better", "green": 95, "red": 85},
            "rollup": {"rule": "weighted_mean", "weight": "HS-TONG"}}),
        ),
    ] {
        let (status, body) = app.post("/api/v1/kpis", &k).await;
        assert_eq!(status, 201, "{body}");
    }
}

#[tokio::test]
async fn a_computed_kpi_follows_its_inputs_and_gives_no_data_on_division_by_zero() {
    let app = spawn_app().await;
    setup(&app).await;
    app.ingest(json!([
        value("a1", "HS-TONG", "p-1", 50.0),
        value("a2", "HS-DUNGHAN", "p-1", 45.0),
        value("b1", "HS-TONG", "p-2", 150.0),
        value("b2", "HS-DUNGHAN", "p-2", 150.0),
    ]))
    .await;
    let p1 = app.get_ok("/api/v1/units/p-1/kpis").await;
    let computed = line(&p1, "TL-DUNGHAN");
    assert_eq!(computed["value"], 90.0, "45 / 50 x 100: {computed}");
    assert_eq!(computed["status"], "yellow");
    assert_eq!(computed["expression"], "{HS-DUNGHAN} / {HS-TONG} * 100");
    assert!(computed["no_data"].is_null(), "{computed}");
    assert!(
        computed["source"].as_str().unwrap().starts_with("formula"),
        "{computed}"
    );

    // The city's board rolls the wards up: sums for the counts, the rate weighted by the
    // number of dossiers: (90 x 50 + 100 x 150) / 200 = 97.5.
    let city = app.get_ok("/api/v1/units/hn/kpis").await;
    assert_eq!(aggregate(&city, "HS-TONG")["value"], 200.0);
    assert_eq!(aggregate(&city, "HS-DUNGHAN")["value"], 195.0);
    let rate = aggregate(&city, "TL-DUNGHAN");
    assert_eq!(rate["value"], 97.5, "{rate}");
    assert_eq!(rate["status"], "green");
    assert_eq!(rate["counted"], 2);
    assert_eq!(rate["period"], "2026-11");

    // December: p-1 received nothing. 0 / 0 is no value, not a number, and says why.
    app.ingest(json!([
        {"type": "kpi_observation", "id": "d1", "at": "2026-12-01T09:00:00+07:00", "kpi": "HS-TONG", "unit": "p-1", "period": "2026-12", "value": 0},
        {"type": "kpi_observation", "id": "d2", "at": "2026-12-01T09:00:00+07:00", "kpi": "HS-DUNGHAN", "unit": "p-1", "period": "2026-12", "value": 0},
    ]))
    .await;
    let p1 = app.get_ok("/api/v1/units/p-1/kpis").await;
    let computed = line(&p1, "TL-DUNGHAN");
    assert_eq!(
        computed["period"], "2026-11",
        "no December value was made up: {computed}"
    );
    assert_eq!(
        computed["no_data"]["kind"], "division_by_zero",
        "{computed}"
    );
    // A missing input is named the same way.
    app.ingest(json!([
        {"type": "kpi_observation", "id": "j1", "at": "2027-01-02T09:00:00+07:00", "kpi": "HS-TONG", "unit": "p-2", "period": "2027-01", "value": 10},
    ]))
    .await;
    let p2 = app.get_ok("/api/v1/units/p-2/kpis").await;
    let gap = &line(&p2, "TL-DUNGHAN")["no_data"];
    assert_eq!(gap["kind"], "missing_input", "{p2}");
    assert_eq!(gap["code"], "HS-DUNGHAN", "{p2}");

    // A computed KPI takes no value of its own.
    let (status, body) = app
        .post_events(&json!([value("x1", "TL-DUNGHAN", "p-1", 99.0)]))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("computed"),
        "{body}"
    );

    // The computed values are stored and survive a restart.
    let app = app.restart().await;
    let p1 = app.get_ok("/api/v1/units/p-1/kpis").await;
    assert_eq!(line(&p1, "TL-DUNGHAN")["value"], 90.0);
}

#[tokio::test]
async fn formulas_that_refer_to_themselves_or_to_nothing_are_refused() {
    let app = spawn_app().await;
    setup(&app).await;
    let put = |k: Value| {
        let app = &app;
        async move {
            let code = k["code"].as_str().unwrap().to_string();
            app.send(Method::PUT, &format!("/api/v1/kpis/{code}"), &k)
                .await
        }
    };
    // Directly.
    let (status, body) = put(kpi(
        "SELF",
        "Tự tham chiếu",
        json!({"expression": "{SELF} + 1"}),
    ))
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "expression");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("refers to itself"),
        "{body}"
    );
    // Through another KPI: HS-TONG computed from TL-DUNGHAN, which uses HS-TONG.
    let (status, body) = put(kpi(
        "HS-TONG",
        "Tổng",
        json!({"expression": "{TL-DUNGHAN} * 2"}),
    ))
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("cycle"),
        "{body}"
    );
    // An unknown input, a syntax error, a bare name, a KPI of another frequency.
    for (expression, word) in [
        ("{KHONG-CO} / 2", "unknown KPI"),
        ("{HS-TONG} / ", ""),
        ("x + {HS-TONG}", "x"),
        ("{DT} * 2", "quarterly"),
    ] {
        let (status, body) = put(kpi("BAD", "Sai", json!({"expression": expression}))).await;
        assert_eq!(status, 422, "{expression}: {body}");
        assert_eq!(body["error"]["field"], "expression", "{expression}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(word),
            "{expression}: {body}"
        );
    }
    let (status, body) = put(kpi(
        "W",
        "Trọng số",
        json!({"rollup": {"rule": "weighted_mean", "weight": "KHONG-CO"}}),
    ))
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "rollup.weight");
    // Nothing was kept: HS-TONG is still entered, SELF and BAD do not exist.
    assert!(app.get_ok("/api/v1/kpis/HS-TONG").await["expression"].is_null());
    assert_eq!(app.get("/api/v1/kpis/SELF").await.0, 404);
    assert_eq!(app.get("/api/v1/kpis/BAD").await.0, 404);
}

#[tokio::test]
async fn targets_show_on_the_boards_with_attainment() {
    let app = spawn_app().await;
    setup(&app).await;
    let city_leader = app.account("cl", None, &[("leader", "hn")]).await;
    let (status, body) = app
        .send_as(
            Some(&city_leader),
            Method::PUT,
            "/api/v1/kpis/TL-DUNGHAN/targets",
            Some(&json!([
                {"unit": "p-1", "period": "2026", "target": 96},
                {"unit": "hn", "period": "2026-11", "target": 98}
            ])),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.ingest(json!([
        value("a1", "HS-TONG", "p-1", 50.0),
        value("a2", "HS-DUNGHAN", "p-1", 48.0),
    ]))
    .await;
    let p1 = app.get_ok("/api/v1/units/p-1/kpis").await;
    let l = line(&p1, "TL-DUNGHAN");
    // 48 / 50 = 96 %, against the year's target of 96: 100 %.
    assert_eq!(
        l["target"], 96.0,
        "the year's target holds for its months: {l}"
    );
    assert_eq!(l["attainment"], 100.0, "{l}");
    let city = app.get_ok("/api/v1/units/hn/kpis").await;
    let a = aggregate(&city, "TL-DUNGHAN");
    assert_eq!(a["target"], 98.0, "{a}");
    // 96 / 98 = 97.96 %, rounded to a tenth.
    assert_eq!(a["attainment"], 98.0, "{a}");
    assert_eq!(a["missing"], json!(["p-2"]), "{a}");
}

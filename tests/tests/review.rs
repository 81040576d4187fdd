//! The review meeting report end to end: a small city whose two weeks are known by hand (a KPI
//! series that turned red, one that recovered, tasks that became overdue, were done or were
//! cancelled on known days, a key result checked in), read back as JSON and as charts.

use chrono::DateTime;
use ioc_tests::{spawn_app, task_event, TestApp, START};
use serde_json::{json, Value};

/// Friday of 2026-W47: the review of the current week runs Monday 16 to now.
const NOW: &str = "2026-11-20T10:00:00+07:00";

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn obs(id: &str, at: &str, kpi: &str, unit: &str, period: &str, value: f64) -> Value {
    json!({"type": "kpi_observation", "id": id, "at": at, "kpi": kpi, "unit": unit, "period": period, "value": value})
}

fn status(id: &str, at: &str, task: &str, status: &str) -> Value {
    json!({"type": "task", "id": id, "at": at, "task_id": task, "status": status})
}

fn with_start(mut e: Value, start: &str) -> Value {
    e["start"] = start.into();
    e
}

/// The fixture city through two weeks, the clock left at `NOW`:
/// - TTHC@p-1 green in October (entered in W46), red for November (entered in W47): turned red;
/// - TTHC@p-2 red in October, green for November: recovered; KN@p-1 green throughout;
/// - t1 (p-1.vh) due 17 Nov, still open: overdue from the end of the 17th;
/// - t2 (p-2) due 12 Nov, submitted 11 Nov and accepted: on time;
/// - t3 (so-a.p1) due 10 Nov, submitted 19 Nov and accepted: overdue 10-18 Nov, then late;
/// - t4 (p-1) starts 17 Nov, due in December: open this week, absent last week;
/// - t5 (p-2) without a start, due 11 Nov, cancelled 13 Nov at 09:00;
/// - kr-1 checked in on 10 Nov (50 of 40 -> 80), kr-3 on 18 Nov (90 of 80 -> 100), kr-2 never.
async fn two_weeks() -> TestApp {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([
        with_start(
            task_event("e-t1", "t1", "w2", "2026-11-17", START),
            "2026-11-02"
        ),
        with_start(
            task_event("e-t2", "t2", "w3", "2026-11-12", START),
            "2026-11-02"
        ),
        with_start(
            task_event("e-t3", "t3", "a2", "2026-11-10", START),
            "2026-11-02"
        ),
        with_start(
            task_event("e-t4", "t4", "w1", "2026-12-15", START),
            "2026-11-17"
        ),
        task_event("e-t5", "t5", "w4", "2026-11-11", START),
    ]))
    .await;

    app.set_clock("2026-11-10T09:00:00+07:00").await;
    app.ingest(json!([
        obs("o1", "2026-11-10T09:00:00+07:00", "TTHC", "p-1", "2026-10", 96.0),
        obs("o2", "2026-11-10T09:00:00+07:00", "TTHC", "p-2", "2026-10", 80.0),
        obs("o3", "2026-11-10T09:00:00+07:00", "KN", "p-1", "2026-10", 1.0),
        {"type": "kr_checkin", "id": "c1", "at": "2026-11-10T09:00:00+07:00", "key_result": "kr-1", "value": 50, "confidence": 5},
    ]))
    .await;
    for (id, at, task, to) in [
        ("s-t2a", "2026-11-11T10:00:00+07:00", "t2", "submitted"),
        ("s-t2b", "2026-11-12T10:00:00+07:00", "t2", "accepted"),
        ("s-t5", "2026-11-13T09:00:00+07:00", "t5", "cancelled"),
    ] {
        app.set_clock(at).await;
        app.ingest(json!([status(id, at, task, to)])).await;
    }

    app.set_clock("2026-11-18T10:00:00+07:00").await;
    app.ingest(json!([
        obs("o4", "2026-11-18T10:00:00+07:00", "TTHC", "p-1", "2026-11", 80.0),
        obs("o5", "2026-11-18T10:00:00+07:00", "TTHC", "p-2", "2026-11", 97.0),
        {"type": "kr_checkin", "id": "c2", "at": "2026-11-18T10:00:00+07:00", "key_result": "kr-3", "value": 90, "confidence": 6},
    ]))
    .await;
    for (id, at, task, to) in [
        ("s-t3a", "2026-11-19T09:00:00+07:00", "t3", "submitted"),
        ("s-t3b", "2026-11-19T15:00:00+07:00", "t3", "accepted"),
    ] {
        app.set_clock(at).await;
        app.ingest(json!([status(id, at, task, to)])).await;
    }
    app.set_clock(NOW).await;
    app
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|l| l["unit"]["id"].as_str().unwrap())
        .collect()
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

#[tokio::test]
async fn the_review_compares_this_week_with_last_week_as_known_by_hand() {
    let app = two_weeks().await;
    let r = app.get_ok("/api/v1/units/hn/review").await;

    assert_eq!(r["unit"]["id"], "hn");
    assert_eq!(r["week"], "2026-W47", "the clock's week by default");
    assert_eq!(r["previous_week"], "2026-W46");
    assert_eq!(r["this_week"]["from"], "2026-11-16T00:00:00.000+07:00");
    assert_eq!(r["this_week"]["to"], "2026-11-20T10:00:00.000+07:00");
    assert_eq!(r["last_week"]["from"], "2026-11-09T00:00:00.000+07:00");
    assert_eq!(r["last_week"]["to"], "2026-11-16T00:00:00.000+07:00");

    // Last week's end: t1 open, t2 done on time, t3 overdue, t5 cancelled, t4 not started;
    // KPIs green 2, red 1, no data 2. Score 0.4 x 2/3 + 0.3 x 1 + 0.3 x (1 - 1/2) = 71.7.
    let last = &r["figures"]["last"];
    assert_eq!(last["tasks"], 4, "{last}");
    assert_eq!(last["open"], 2);
    assert_eq!(last["overdue"], 1);
    assert_eq!(last["overdue_ratio"], 0.5);
    assert_eq!(last["on_time_rate"], 1.0);
    assert_eq!(
        last["kpis"],
        json!({"green": 2, "yellow": 0, "red": 1, "no_data": 2})
    );
    assert_eq!(last["score"], json!({"value": 71.7, "band": "yellow"}));
    // Now: t1 overdue, t4 open, t3 done late. 0.4 x 2/3 + 0.3 x 1/2 + 0.3 x 1/2 = 56.7.
    let this = &r["figures"]["this"];
    assert_eq!(this["tasks"], 5, "{this}");
    assert_eq!(this["open"], 2);
    assert_eq!(this["overdue"], 1);
    assert_eq!(this["overdue_ratio"], 0.5);
    assert_eq!(this["on_time_rate"], 0.5);
    assert_eq!(
        this["kpis"],
        json!({"green": 2, "yellow": 0, "red": 1, "no_data": 2})
    );
    assert_eq!(this["score"], json!({"value": 56.7, "band": "red"}));
    // The current week's end is now: the live board says the same.
    let view = app.get_ok("/api/v1/units/hn/view").await;
    assert_eq!(this["score"], view["summary"]["score"]);
    assert_eq!(this["overdue"], view["summary"]["tasks"]["overdue"]);

    assert_eq!(
        r["turned_red"],
        json!([{"code": "TTHC", "name": "Tỷ lệ hồ sơ giải quyết đúng hạn", "group": "service",
                "unit": {"id": "p-1", "name": "Phường Hoàn Kiếm", "level": "ward"},
                "before": {"status": "green", "value": 96.0, "period": "2026-10"},
                "after": {"status": "red", "value": 80.0, "period": "2026-11"}}])
    );
    assert_eq!(
        r["recovered"],
        json!([{"code": "TTHC", "name": "Tỷ lệ hồ sơ giải quyết đúng hạn", "group": "service",
                "unit": {"id": "p-2", "name": "Phường Ba Đình", "level": "ward"},
                "before": {"status": "red", "value": 80.0, "period": "2026-10"},
                "after": {"status": "green", "value": 97.0, "period": "2026-11"}}])
    );

    let trend: Vec<(String, String, i64, i64)> = r["overdue_trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["day"].as_str().unwrap().to_string(),
                p["week"].as_str().unwrap().to_string(),
                p["open"].as_i64().unwrap(),
                p["overdue"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, i64, i64)> = [
        ("2026-11-09", "last", 4, 0),
        ("2026-11-10", "last", 4, 1), // t3 past its deadline
        ("2026-11-11", "last", 3, 2), // t2 handed in and accepted; t5 past its deadline
        ("2026-11-12", "last", 3, 2),
        ("2026-11-13", "last", 2, 1), // t5 cancelled
        ("2026-11-14", "last", 2, 1),
        ("2026-11-15", "last", 2, 1),
        ("2026-11-16", "this", 3, 1), // t4 starts at midnight
        ("2026-11-17", "this", 3, 2), // t1 past its deadline
        ("2026-11-18", "this", 3, 2),
        ("2026-11-19", "this", 2, 1), // t3 handed in
        ("2026-11-20", "this", 2, 1), // today, read at the clock
    ]
    .iter()
    .map(|(d, w, o, od)| (d.to_string(), w.to_string(), *o, *od))
    .collect();
    assert_eq!(trend, expected);

    // Key results: kr-2 never checked in (0), kr-1 at 25 % both weeks, kr-3 from 0 to 50 %.
    let now = ms(NOW);
    let year = (now - ms("2026-01-01T00:00:00+07:00")) as f64
        / (ms("2027-01-01T00:00:00+07:00") - ms("2026-01-01T00:00:00+07:00")) as f64;
    let q4 = (now - ms("2026-10-01T00:00:00+07:00")) as f64
        / (ms("2027-01-01T00:00:00+07:00") - ms("2026-10-01T00:00:00+07:00")) as f64;
    let krs = r["key_results"].as_array().unwrap();
    let got: Vec<(&str, f64, f64, f64, f64, Value)> = krs
        .iter()
        .map(|k| {
            (
                k["id"].as_str().unwrap(),
                k["progress"].as_f64().unwrap(),
                k["progress_last_week"].as_f64().unwrap(),
                k["expected"].as_f64().unwrap(),
                k["pace_gap"].as_f64().unwrap(),
                k["confidence"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("kr-2", 0.0, 0.0, round4(year), round4(-year), Value::Null),
            (
                "kr-1",
                0.25,
                0.25,
                round4(year),
                round4(0.25 - year),
                json!(5)
            ),
            ("kr-3", 0.5, 0.0, round4(q4), round4(0.5 - q4), json!(6)),
        ],
        "worst pace first"
    );
    assert_eq!(krs[2]["unit"]["id"], "p-1");
    assert_eq!(krs[2]["objective"], "o-p1");
    assert_eq!(r["key_results_total"], 3);
    assert_eq!(this["key_results_avg_progress"], 0.25);
    assert_eq!(last["key_results_avg_progress"], 0.0833);

    // Children: p-2 recovered (42.9 -> 100), p-1 turned (100 -> 50), so-a 0 both weeks.
    assert_eq!(ids(&r["units"]), ["p-2", "p-1", "so-a"]);
    let units = r["units"].as_array().unwrap();
    let line = |i: usize| {
        let u = &units[i];
        (
            u["score"]["value"].as_f64(),
            u["score_last_week"]["value"].as_f64(),
            u["delta"].as_f64(),
            u["overdue"].as_i64(),
            u["overdue_last_week"].as_i64(),
            u["kpis_red"].as_i64(),
        )
    };
    assert_eq!(
        line(0),
        (
            Some(100.0),
            Some(42.9),
            Some(57.1),
            Some(0),
            Some(0),
            Some(0)
        )
    );
    assert_eq!(
        line(1),
        (
            Some(50.0),
            Some(100.0),
            Some(-50.0),
            Some(1),
            Some(0),
            Some(1)
        )
    );
    // so-a measures no KPI: its red count is "no data", not 0.
    assert_eq!(
        line(2),
        (Some(0.0), Some(0.0), Some(0.0), Some(0), Some(1), None)
    );
    assert_eq!(units[1]["score"]["band"], "red");
    assert_eq!(ids(&r["top"]), ["p-2", "p-1"]);
    assert_eq!(ids(&r["bottom"]), ["so-a"]);

    // Alerts fired in each week are the history's fired entries (a turn to red counts as red).
    let history = app
        .get_ok("/api/v1/alerts/history?unit=hn&limit=1000")
        .await;
    let mut fired = json!({"last": {"red": 0, "yellow": 0}, "this": {"red": 0, "yellow": 0}});
    for h in history.as_array().unwrap() {
        let at = ms(h["at"].as_str().unwrap());
        let week = if at >= ms("2026-11-16T00:00:00+07:00") {
            "this"
        } else if at >= ms("2026-11-09T00:00:00+07:00") {
            "last"
        } else {
            continue;
        };
        let sev = h["severity"].as_str().unwrap();
        let counts = matches!(
            (h["kind"].as_str().unwrap(), sev),
            ("fired", _) | ("severity_changed", "red")
        );
        if counts {
            let n = fired[week][sev].as_i64().unwrap();
            fired[week][sev] = json!(n + 1);
        }
    }
    assert_eq!(last["alerts_fired"], fired["last"], "{history}");
    assert_eq!(this["alerts_fired"], fired["this"], "{history}");
    assert!(
        this["alerts_fired"]["red"].as_i64().unwrap() >= 1,
        "TTHC@p-1 turning red raised a red alert: {history}"
    );

    assert_eq!(
        r["charts"]["overdue"]["svg"],
        "/api/v1/units/hn/review/charts/overdue.svg?week=2026-W47"
    );
    assert_eq!(
        r["charts"]["units"]["png"],
        "/api/v1/units/hn/review/charts/units.png?week=2026-W47"
    );
}

#[tokio::test]
async fn a_past_week_is_reviewed_whole_and_a_ward_only_over_its_subtree() {
    let app = two_weeks().await;
    let r = app.get_ok("/api/v1/units/hn/review?week=2026-W46").await;
    assert_eq!(r["week"], "2026-W46");
    assert_eq!(r["previous_week"], "2026-W45");
    assert_eq!(r["this_week"]["to"], "2026-11-16T00:00:00.000+07:00");
    assert_eq!(r["overdue_trend"].as_array().unwrap().len(), 14);
    assert_eq!(r["figures"]["this"]["overdue"], 1);
    // Nothing of October was entered before 9 November: TTHC@p-2 turned red in W46.
    assert_eq!(r["turned_red"][0]["unit"]["id"], "p-2");
    assert_eq!(r["turned_red"][0]["before"], Value::Null);

    let ward = app.get_ok("/api/v1/units/p-1/review").await;
    assert_eq!(ward["figures"]["this"]["tasks"], 2, "t1 and t4: {ward}");
    assert_eq!(ward["figures"]["this"]["overdue"], 1);
    assert_eq!(ward["figures"]["this"]["score"]["value"], 50.0);
    assert_eq!(ids(&ward["units"]), ["p-1.vh"]);
    let krs: Vec<&str> = ward["key_results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(krs, ["kr-3"], "only the ward's own objectives");
    assert_eq!(ward["recovered"], json!([]));
}

#[tokio::test]
async fn a_period_before_the_data_began_reads_no_data_not_zero() {
    let app = two_weeks().await;
    // October against September: no KPI value had been entered and the server kept no alert
    // history yet (its first entry is from November). The board's history reaches back to the
    // server's first start (this test's clock began at 0), so both ends are read as the board
    // stood then: it held no task yet (t5 has no start date; rebuilt from task dates it would
    // count as existing, which is what a period before history began still gets).
    let r = app.get_ok("/api/v1/units/hn/review?period=2026-10").await;
    let since = r["data_began"]["alerts"]
        .as_str()
        .expect("alert history began");
    assert!(ms(since) >= ms(START), "{since}");
    assert_eq!(
        r["ends_exact"],
        json!({"last": true, "this": true}),
        "{}",
        r["ends_exact"]
    );
    assert!(
        r["data_began"]["history"].is_string(),
        "{}",
        r["data_began"]
    );
    for which in ["this", "last"] {
        let f = &r["figures"][which];
        for field in ["kpis", "alerts_fired", "tasks"] {
            assert_eq!(f[field], Value::Null, "{which}.{field}: {f}");
        }
    }
    for u in r["units"].as_array().unwrap() {
        assert_eq!(u["kpis_red_last_week"], Value::Null, "{u}");
    }
    // Ward p-1's tasks start in November: in October it had none, so no task figure either.
    let ward = app.get_ok("/api/v1/units/p-1/review?period=2026-10").await;
    for field in ["tasks", "open", "overdue", "on_time_rate"] {
        assert_eq!(
            ward["figures"]["this"][field],
            Value::Null,
            "{field}: {ward}"
        );
    }
    // November against October: October has no alert history and no task of p-1; November has.
    let ward = app.get_ok("/api/v1/units/p-1/review?period=2026-11").await;
    assert_eq!(ward["figures"]["last"]["tasks"], Value::Null, "{ward}");
    assert_eq!(ward["figures"]["this"]["tasks"], 2, "{ward}");
    assert_eq!(
        ward["figures"]["last"]["alerts_fired"],
        Value::Null,
        "{ward}"
    );
    assert!(ward["figures"]["this"]["alerts_fired"]["red"]
        .as_i64()
        .is_some());
    // The printable report says so in words, never 0.
    let page = app
        .client
        .get(app.url("/api/v1/units/p-1/report?period=2026-11&format=html"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("chưa có dữ liệu"), "{page}");
    assert!(
        !page.contains("<td>Nhiệm vụ</td><td class=\"num\">2</td><td class=\"num\">0</td>"),
        "October's tasks are not a 0: {page}"
    );
}

#[tokio::test]
async fn charts_come_as_svg_and_png_with_vietnamese_text() {
    let app = two_weeks().await;
    for name in ["overdue", "kpis", "key_results", "units"] {
        let url = app.url(&format!(
            "/api/v1/units/hn/review/charts/{name}.svg?week=2026-W47"
        ));
        let res = app.client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{name}.svg");
        assert_eq!(res.headers()["content-type"], "image/svg+xml");
        let svg = res.text().await.unwrap();
        assert!(
            svg.starts_with("<svg"),
            "{name}: {}",
            &svg[..svg.len().min(200)]
        );
        assert!(svg.contains("Thành phố Hà Nội"), "{name}: the unit's name");
        assert!(svg.contains("Tuần trước"), "{name}: a Vietnamese label");

        let url = app.url(&format!("/api/v1/units/hn/review/charts/{name}.png"));
        let res = app.client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{name}.png");
        assert_eq!(res.headers()["content-type"], "image/png");
        let png = res.bytes().await.unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}: the PNG signature");
        assert_eq!(&png[12..16], b"IHDR");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), (960, 540), "{name}");
    }
    let svg = app
        .client
        .get(app.url("/api/v1/units/hn/review/charts/overdue.svg"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(svg.contains("Quá hạn"), "the overdue axis in Vietnamese");
    assert!(svg.contains("Tuần này"));
    let en = app
        .client
        .get(app.url("/api/v1/units/hn/review/charts/overdue.svg?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("Overdue") && en.contains("This week") && !en.contains("Quá hạn"));
    // The bitmap draws the labels itself: the two languages give different pixels.
    let png = |lang: &'static str| {
        let url = app.url(&format!(
            "/api/v1/units/hn/review/charts/kpis.png?lang={lang}"
        ));
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().bytes().await.unwrap() }
    };
    assert_ne!(png("vi").await, png("en").await);
}

#[tokio::test]
async fn bad_weeks_unknown_units_and_unknown_charts_are_refused() {
    let app = two_weeks().await;
    for week in ["2026-47", "2026-W7", "2025-W53", "soon"] {
        let (status, body) = app
            .get(&format!("/api/v1/units/hn/review?week={week}"))
            .await;
        assert_eq!(status, 400, "{week}: {body}");
        assert_eq!(body["error"]["field"], "week", "{body}");
        assert_eq!(body["error"]["code"], "bad_request");
    }
    let (status, body) = app.get("/api/v1/units/hn/review?week=2026-W48").await;
    assert_eq!(status, 400, "a week that has not begun: {body}");
    assert_eq!(body["error"]["field"], "week");
    let (status, body) = app
        .get("/api/v1/units/hn/review/charts/overdue.svg?week=W47")
        .await;
    assert_eq!((status, &body["error"]["field"]), (400, &json!("week")));
    let (status, body) = app
        .get("/api/v1/units/hn/review/charts/overdue.svg?lang=fr")
        .await;
    assert_eq!((status, &body["error"]["field"]), (400, &json!("lang")));

    let (status, body) = app.get("/api/v1/units/nowhere/review").await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = app
        .get("/api/v1/units/nowhere/review/charts/overdue.svg")
        .await;
    assert_eq!(status, 404);
    for file in ["pie.svg", "overdue.gif", "overdue"] {
        let (status, body) = app
            .get(&format!("/api/v1/units/hn/review/charts/{file}"))
            .await;
        assert_eq!(status, 404, "{file}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
}

//! The alert center as each unit's screen reads it, end to end on the real server with the
//! default rule pack: alerts grouped by unit (one level down) and rule, ranked red first and
//! oldest first, worded with titles and people; a ward's overdue warning rolling its task alerts
//! up on the city's screen while the ward still lists them; and one alert count that the unit
//! view, the alert center, the review and the live views all give alike, through acknowledgments
//! and silences.

use ioc_tests::{spawn_app, task_event, with_leaders, TestApp, START};
use serde_json::{json, Value};

/// Tasks overdue in a division of p-1 (two, for w2), in p-2 (one, for w4) and in a division of
/// so-a (one, for a2), and a red KPI value in p-2.
async fn city_with_overdue_work() -> TestApp {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.ingest(json!([
        task_event("e1", "t1", "w2", "2026-11-05", START),
        task_event("e2", "t2", "w2", "2026-11-06", START),
        task_event("e3", "t3", "w4", "2026-11-04", START),
        task_event("e4", "t4", "a2", "2026-11-07", START),
        {"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": 80.0}
    ]))
    .await;
    app
}

fn group<'a>(groups: &'a Value, key: &str) -> &'a Value {
    groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("no group {key} in {groups}"))
}

fn keys(groups: &Value) -> Vec<&str> {
    groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_citys_alert_center_groups_by_ward_and_rule_red_first_oldest_first_with_titles_and_people(
) {
    let app = city_with_overdue_work().await;
    // Deadlines passed days ago; the wards' ratio warnings wait for their `for` (10 min).
    app.set_clock("2026-11-13T00:00:00+07:00").await;
    let city = app.get_ok("/api/v1/alerts/groups?unit=hn").await;
    // Red before yellow; among the red, the oldest trouble first: the KPI red since 2 November,
    // then p-2's task overdue since 4 November, then p-1's since 5 November. (The fixture's key
    // results, behind pace, are groups of their own.)
    let ours: Vec<&str> = keys(&city)
        .into_iter()
        .filter(|k| k.ends_with("task_overdue") || k.ends_with("kpi_thresholds"))
        .collect();
    assert_eq!(
        ours,
        [
            "p-2|builtin.kpi_thresholds",
            "p-2|builtin.task_overdue",
            "p-1|builtin.task_overdue",
            "so-a|builtin.task_overdue"
        ],
        "{city}"
    );
    // Firing red, then firing yellow, then the pending ones (not warnings yet).
    let tiers: Vec<u8> = city["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| match (g["state"].as_str(), g["severity"].as_str()) {
            (Some("firing"), Some("red")) => 0,
            (Some("firing"), _) => 1,
            _ => 2,
        })
        .collect();
    assert!(tiers.windows(2).all(|w| w[0] <= w[1]), "{tiers:?}");
    let firing_red = tiers.iter().filter(|t| **t == 0).count();
    // One group per ward and rule: p-1's two tasks (in its division) are one group, named by
    // the ward, with its worst severity, its counts, its oldest deadline and who answers.
    let p1 = group(&city, "p-1|builtin.task_overdue");
    assert_eq!(p1["unit"]["name"], "Phường Hoàn Kiếm");
    assert_eq!(p1["severity"], "red");
    assert_eq!(
        p1["count"],
        json!({"total": 2, "red": 1, "yellow": 1, "pending": 0, "acknowledged": 0, "silenced": 0})
    );
    assert_eq!(p1["since"], "2026-11-05T23:59:59.999+07:00");
    assert_eq!(
        p1["people"],
        json!([{"id": "w2", "name": "Phạm Thị Dung", "count": 2}])
    );
    assert!(p1["alert"].is_null(), "a group of two is no single alert");
    // The yellow group last.
    assert_eq!(
        group(&city, "so-a|builtin.task_overdue")["severity"],
        "yellow"
    );
    // The ward's own screen splits the same tasks by its division.
    let ward = app.get_ok("/api/v1/alerts/groups?unit=p-1").await;
    assert_eq!(
        group(&ward, "p-1.vh|builtin.task_overdue")["count"]["total"],
        2
    );

    // The group opens to its alerts, red first, each worded with its title and person, its
    // duration counting from the deadline; the ids stay in the data.
    let page = app
        .get_ok("/api/v1/alerts/group?unit=hn&key=p-1%7Cbuiltin.task_overdue")
        .await;
    assert_eq!(page["total"], 2);
    let alerts = page["alerts"].as_array().unwrap();
    assert_eq!(
        alerts
            .iter()
            .map(|a| a["subject"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["t1", "t2"]
    );
    let t1 = &alerts[0];
    assert_eq!(t1["severity"], "red");
    assert_eq!(t1["title"], "Nhiệm vụ t1");
    assert_eq!(
        t1["responsible"],
        json!({"id": "w2", "name": "Phạm Thị Dung"})
    );
    assert_eq!(t1["duration_from"], "2026-11-05T23:59:59.999+07:00");
    assert_eq!(t1["unit_name"], "Phòng Văn hóa - Xã hội");
    assert_eq!(
        t1["summary_vi"],
        "Nhiệm vụ “Nhiệm vụ t1” của Phạm Thị Dung (Phòng Văn hóa - Xã hội) quá hạn"
    );
    // A group of one is shown as its alert: the KPI, by its name, its value against its threshold.
    let kpi = &group(&city, "p-2|builtin.kpi_thresholds")["alert"];
    assert_eq!(kpi["title"], "Tỷ lệ hồ sơ giải quyết đúng hạn");
    assert_eq!(
        (kpi["value"].as_f64(), kpi["threshold"].as_f64()),
        (Some(80.0), Some(85.0))
    );
    assert!(
        !kpi["summary_vi"].as_str().unwrap().contains("TTHC"),
        "no KPI code in the words: {kpi}"
    );

    // The wall's question: the newest red groups first.
    let newest = app
        .get_ok("/api/v1/alerts/groups?unit=hn&severity=red&order=newest&limit=2")
        .await;
    let red_groups = city["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["severity"] == "red")
        .count();
    assert!(red_groups >= firing_red);
    assert_eq!(newest["total_groups"], red_groups, "{newest}");
    assert_eq!(newest["groups"].as_array().unwrap().len(), 2);
    let fired: Vec<&str> = newest["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["newest"].as_str().unwrap())
        .collect();
    assert!(fired[0] >= fired[1], "{newest}");
    app.stop().await;
}

#[tokio::test]
async fn a_wards_overdue_warning_rolls_its_task_alerts_up_on_the_citys_screen_and_the_ward_still_lists_them(
) {
    let app = city_with_overdue_work().await;
    app.set_clock("2026-11-13T00:00:00+07:00").await;
    let before = app.get_ok("/api/v1/alerts/groups?unit=hn").await;
    assert_eq!(before["held"], 0);
    // Ten minutes on, every open task of both wards overdue: their ratio warnings fire, red.
    app.set_clock("2026-11-13T00:10:00+07:00").await;
    let city = app.get_ok("/api/v1/alerts/groups?unit=hn").await;
    let p1 = group(&city, "p-1|overdue_ratio_ward");
    assert_eq!(p1["severity"], "red");
    assert_eq!(
        p1["held"],
        json!({"total": 2, "red": 1, "yellow": 1, "since": "2026-11-05T23:59:59.999+07:00"})
    );
    // Who answers for what it rolls up: the tasks' person, and the ward's leader for the warning.
    let people: Vec<&str> = p1["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(people, ["w2", "w1"], "{p1}");
    assert_eq!(
        city["held"], 3,
        "t1, t2 under p-1's warning, t3 under p-2's"
    );
    assert!(
        !keys(&city).contains(&"p-1|builtin.task_overdue"),
        "the tasks are not listed again: {city}"
    );
    // so-a has no unit-level warning: its task stays a group of its own.
    assert!(keys(&city).contains(&"so-a|builtin.task_overdue"));
    // Opened, the warning's group lists what it rolls up after itself.
    let page = app
        .get_ok("/api/v1/alerts/group?unit=hn&key=p-1%7Coverdue_ratio_ward")
        .await;
    let subjects: Vec<(&str, bool)> = page["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["subject"].as_str().unwrap(), a["held_by"].is_object()))
        .collect();
    assert_eq!(subjects, [("p-1", false), ("t1", true), ("t2", true)]);
    assert_eq!(page["alerts"][1]["held_by"]["unit"], "p-1");

    // The ward's own screen lists its tasks beside its warning, and counts them.
    let ward = app.get_ok("/api/v1/alerts/groups?unit=p-1").await;
    assert_eq!(ward["held"], 0);
    assert_eq!(
        group(&ward, "p-1.vh|builtin.task_overdue")["count"]["total"],
        2
    );
    assert_eq!(group(&ward, "p-1|overdue_ratio_ward")["held"]["total"], 0);
    let all_p1 = app.get_ok("/api/v1/alerts?unit=p-1").await;
    assert_eq!(ward["count"], recount(&all_p1, &["p-1.vh"]));
    // The city counts the warnings, not the tasks they stand for: t1 and t3 red, t2 yellow.
    let all = app.get_ok("/api/v1/alerts?unit=hn").await;
    let below = ["p-1", "p-2", "so-a", "so-a.p1", "p-1.vh"];
    assert_eq!(city["count"], recount(&all, &below));
    let everything = recount(&all, &[]);
    assert_eq!(
        (
            everything["red"].as_u64().unwrap() - city["count"]["red"].as_u64().unwrap(),
            everything["yellow"].as_u64().unwrap() - city["count"]["yellow"].as_u64().unwrap()
        ),
        (2, 1),
        "{city}"
    );
    // Integrations see every alert, each saying what holds it back.
    let t3 = all
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["subject"] == "t3")
        .unwrap();
    assert_eq!(t3["held_by"]["rule"], "overdue_ratio_ward");
    assert_eq!(t3["held_by"]["inhibit"], "overdue_tasks_roll_up");
    app.stop().await;
}

/// The one count of `unit` recounted from the flat list: firing, not silenced, not held back
/// by an alert of a unit below `unit` (`below` names them).
fn recount(all: &Value, below: &[&str]) -> Value {
    let mut c = json!({"red": 0, "yellow": 0, "red_acknowledged": 0, "yellow_acknowledged": 0});
    for a in all.as_array().unwrap() {
        let held_below = a["held_by"]["unit"]
            .as_str()
            .is_some_and(|u| below.contains(&u));
        if a["state"] != "firing" || a["silenced"] == true || held_below {
            continue;
        }
        let sev = a["severity"].as_str().unwrap().to_string();
        c[&sev] = json!(c[&sev].as_u64().unwrap() + 1);
        if a["acknowledged_by"].is_string() {
            let k = format!("{sev}_acknowledged");
            c[&k] = json!(c[&k].as_u64().unwrap() + 1);
        }
    }
    c
}

/// The count of `unit` as every reader gets it: the unit view, the alert center, the review,
/// and the live unit and alert-center views of one screen; all must be the same.
async fn counts_everywhere(app: &TestApp, ws: &mut ioc_tests::Ws, unit: &str) -> Value {
    let view = app.get_ok(&format!("/api/v1/units/{unit}/view")).await["alerts"].clone();
    let center = app
        .get_ok(&format!("/api/v1/alerts/groups?unit={unit}"))
        .await["count"]
        .clone();
    let review = app.get_ok(&format!("/api/v1/units/{unit}/review")).await["alerts_active"].clone();
    // The live views reach the same count (a unit's alert center at most a second later).
    let live_view = ws
        .until("the unit view with this count", |v| {
            v["type"] == "view"
                && v["view"] == "unit"
                && v["id"] == unit
                && v["data"]["alerts"] == view
        })
        .await;
    let live_center = ws
        .until("the alert center with this count", |v| {
            v["type"] == "view"
                && v["view"] == "alert_groups"
                && v["id"] == unit
                && v["data"]["count"] == view
        })
        .await;
    assert_eq!(center, view, "alert center and unit view");
    assert_eq!(review, view, "review and unit view");
    assert_eq!(live_view["data"]["alerts"], view);
    assert_eq!(live_center["data"]["count"], view);
    view
}

#[tokio::test]
async fn one_alert_count_is_the_same_in_the_unit_view_the_alert_center_the_review_and_the_live_views(
) {
    let app = city_with_overdue_work().await;
    app.set_clock("2026-11-13T00:10:00+07:00").await;
    let mut ws = app.ws().await;
    ws.subscribe("unit", "hn").await;
    ws.subscribe("alert_groups", "hn").await;
    let all = app.get_ok("/api/v1/alerts?unit=hn").await;
    let first = counts_everywhere(&app, &mut ws, "hn").await;
    assert_eq!(
        first,
        recount(&all, &["p-1", "p-2", "so-a", "so-a.p1", "p-1.vh"])
    );
    assert!(first["red"].as_u64().unwrap() >= 3, "{first}");
    let red = |c: &Value| c["red"].as_u64().unwrap();

    // A leader acknowledges the red KPI: still counted, and told apart.
    let w3 = app.account("w3", Some("w3"), &[("leader", "p-2")]).await;
    let (status, body) = app
        .send_as(
            Some(&w3),
            reqwest::Method::POST,
            "/api/v1/alerts/ack",
            Some(&json!({"rule": "builtin.kpi_thresholds", "subject": "TTHC@p-2"})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let c = counts_everywhere(&app, &mut ws, "hn").await;
    assert_eq!(
        (red(&c), c["red_acknowledged"].as_u64()),
        (red(&first), Some(1))
    );

    // A silence of p-2 takes its warning and its KPI out of every count at once.
    let a1 = app.account("a1", Some("a1"), &[("leader", "hn")]).await;
    let (status, body) = app
        .send_as(
            Some(&a1),
            reqwest::Method::POST,
            "/api/v1/silences",
            Some(
                &json!({"unit": "p-2", "until": "2026-11-14T00:00:00+07:00", "reason": "Bảo trì"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let all = app.get_ok("/api/v1/alerts?unit=hn").await;
    let c = counts_everywhere(&app, &mut ws, "hn").await;
    assert_eq!(
        c,
        recount(&all, &["p-1", "p-2", "so-a", "so-a.p1", "p-1.vh"])
    );
    assert_eq!(
        red(&c),
        red(&first) - 2,
        "p-2's warning and KPI are silenced: {c}"
    );
    assert_eq!(c["red_acknowledged"], 0);
    // The silence runs out: back in, without a transition of their own.
    app.set_clock("2026-11-14T00:00:01+07:00").await;
    let all = app.get_ok("/api/v1/alerts?unit=hn").await;
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["silenced"] == false));
    let c = counts_everywhere(&app, &mut ws, "hn").await;
    assert_eq!(
        c,
        recount(&all, &["p-1", "p-2", "so-a", "so-a.p1", "p-1.vh"])
    );
    assert!(red(&c) >= red(&first), "{c}");
    app.stop().await;
}

#[tokio::test]
async fn the_live_alert_center_follows_a_new_alert_with_a_patch_of_its_line() {
    let app = city_with_overdue_work().await;
    app.set_clock("2026-11-13T00:00:00+07:00").await;
    let mut ws = app.ws().await;
    ws.subscribe("alert_groups", "hn").await;
    let first = ws
        .until("the alert center", |v| {
            v["type"] == "view" && v["view"] == "alert_groups"
        })
        .await;
    let before = first["data"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "p-2|builtin.task_overdue")
        .unwrap()["count"]["total"]
        .clone();
    assert_eq!(before, 1);
    // A second overdue task in p-2: its group's line changes, sent as a patch of that line.
    let report = app
        .ingest(json!([task_event("e5", "t5", "w4", "2026-11-10", START)]))
        .await;
    let after = ws
        .until("the task group of p-2 with two alerts", |v| {
            v["type"] == "view"
                && v["view"] == "alert_groups"
                && v["data"]["groups"].as_array().is_some_and(|gs| {
                    gs.iter()
                        .any(|g| g["key"] == "p-2|builtin.task_overdue" && g["count"]["total"] == 2)
                })
        })
        .await;
    assert_eq!(
        after["patched"], true,
        "a patch on the snapshot, not a new snapshot"
    );
    assert!(after["commit"].as_u64() >= report["commit"].as_u64());
    app.stop().await;
}

#[tokio::test]
async fn a_screen_of_alerts_is_refused_clearly_and_only_within_scope() {
    let app = city_with_overdue_work().await;
    app.set_clock("2026-11-13T00:00:00+07:00").await;
    // A ward's leader: their ward by default, not the city, not another ward.
    let w1 = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    let (status, body) = app
        .send_as(
            Some(&w1),
            reqwest::Method::GET,
            "/api/v1/alerts/groups",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["unit"]["id"], "p-1",
        "the ward's own screen by default"
    );
    for unit in ["hn", "p-2"] {
        let (status, body) = app
            .send_as(
                Some(&w1),
                reqwest::Method::GET,
                &format!("/api/v1/alerts/groups?unit={unit}"),
                None,
            )
            .await;
        assert_eq!(status, 403, "{body}");
    }
    let (status, body) = app.get("/api/v1/alerts/groups?unit=nowhere").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, body) = app
        .get("/api/v1/alerts/groups?unit=hn&severity=orange")
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "severity");
    let (status, body) = app.get("/api/v1/alerts/groups?unit=hn&limit=99999").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("limit")),
        "{body}"
    );
    let (status, body) = app
        .get("/api/v1/alerts/group?unit=hn&key=p-9%7Cbuiltin.task_overdue")
        .await;
    assert_eq!(status, 404, "{body}");
    // Without a key: the screen's first group in rank order.
    let top = app.get_ok("/api/v1/alerts/group?unit=hn").await;
    assert_eq!(top["group"]["key"], "p-2|builtin.kpi_thresholds");
    // Live, the same scope: the ward's leader may not follow the city's alert center.
    let mut ws = app.ws_with(Some(&w1)).await.expect("a connection");
    ws.subscribe("alert_groups", "hn").await;
    let refused = ws.until("a refusal", |v| v["type"] == "error").await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    app.stop().await;
}

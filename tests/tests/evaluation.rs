//! The evaluation of officials over HTTP, against a hand-worked case: four tasks due in
//! November (on time, late, poor quality, not done) and the leader's criteria give
//! 28 + 43.75 = 71.75, "good"; the override forces "not complete"; who may score whom; the unit's
//! quota and rankings within scope; a closed quarter freezes its scores.

use ioc_tests::*;
use reqwest::Method;
use serde_json::{json, Value};

fn task(id: &str, task: &str, at: &str, fields: Value) -> Value {
    let mut e = json!({"type": "task", "id": id, "at": at, "task_id": task});
    for (k, v) in fields.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

/// w2 (p-1.vh): t1 on time and good, t2 late, t3 quality 40, t4 not done; w5 (same division,
/// same position): one task on time; both due in November 2026. The tasks' accountable leader,
/// w1, accepts them with its own session (`lead`), which is returned.
async fn november(app: &TestApp) -> String {
    app.load_fixture().await;
    with_leaders(app).await;
    let (status, body) = app
        .post("/api/v1/people", &json!({"id": "w5", "name": "Đỗ Văn Giang", "unit": "p-1.vh", "position": "Chuyên viên"}))
        .await;
    assert_eq!(status, 201, "{body}");
    let new = |t: &str, who: &str| {
        task(
            &format!("c-{t}"),
            t,
            "2026-11-02T08:00:00+07:00",
            json!({
            "title": format!("Nhiệm vụ {t}"), "responsible": who, "accountable": "w1", "deadline": "2026-11-10"}),
        )
    };
    app.ingest(json!([
        new("t1", "w2"),
        new("t2", "w2"),
        new("t3", "w2"),
        new("t4", "w2"),
        new("t5", "w5"),
        task(
            "s1",
            "t1",
            "2026-11-08T10:00:00+07:00",
            json!({"status": "submitted", "progress": 100})
        ),
        task(
            "s2",
            "t2",
            "2026-11-15T10:00:00+07:00",
            json!({"status": "submitted", "progress": 100})
        ),
        task(
            "s3",
            "t3",
            "2026-11-09T10:00:00+07:00",
            json!({"status": "submitted", "progress": 100})
        ),
        task(
            "p4",
            "t4",
            "2026-11-05T10:00:00+07:00",
            json!({"status": "in_progress", "progress": 60})
        ),
        task(
            "s5",
            "t5",
            "2026-11-09T10:00:00+07:00",
            json!({"status": "submitted", "progress": 100})
        ),
    ]))
    .await;
    let lead = app.account("lead", Some("w1"), &[("leader", "p-1")]).await;
    app.ingest_as(
        &lead,
        json!([
            task(
                "a1",
                "t1",
                "2026-11-12T10:00:00+07:00",
                json!({"status": "accepted", "quality": 90})
            ),
            task(
                "a2",
                "t2",
                "2026-11-16T10:00:00+07:00",
                json!({"status": "accepted", "quality": 80})
            ),
            task(
                "a3",
                "t3",
                "2026-11-11T10:00:00+07:00",
                json!({"status": "accepted", "quality": 40})
            ),
            task(
                "a5",
                "t5",
                "2026-11-09T11:00:00+07:00",
                json!({"status": "accepted", "quality": 95})
            ),
        ]),
    )
    .await;
    app.set_clock("2026-11-25T08:00:00+07:00").await;
    lead
}

fn criteria(points: [f64; 5]) -> Value {
    json!({"scores": {"politics": points[0], "ethics": points[1], "work_style": points[2],
                      "discipline": points[3], "learning": points[4]},
           "comment": "Đánh giá tháng 11"})
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap_or(f64::NAN) - b).abs() < 1e-9
}

#[tokio::test]
async fn a_score_explains_itself_item_by_item_and_the_leader_scores_the_criteria() {
    let app = spawn_app().await;
    let leader = november(&app).await;
    let official = app
        .account("w2acc", Some("w2"), &[("viewer", "p-1.vh")])
        .await;
    let outsider = app.account("out", None, &[("leader", "p-2")]).await;

    // Before the leader scores: provisional, general 0, tasks 43.75.
    let (status, before) = app
        .send_as(
            Some(&official),
            Method::GET,
            "/api/v1/evaluations/people/w2?period=2026-11",
            None,
        )
        .await;
    assert_eq!(status, 200, "the official sees their own score: {before}");
    let s = &before["score"];
    assert_eq!(s["provisional"], true, "{s}");
    // 4 items of 70 / 4 = 17.5: on time 17.5; late 17.5 - 25 % = 13.125; quality 40 < 50:
    // 13.125; not completed 0. 43.75.
    assert!(close(&s["tasks"]["points"], 43.75), "{s}");
    let items = s["tasks"]["own"]["items"].as_array().expect("items");
    assert_eq!(items.len(), 4, "{s}");
    let earned: Vec<f64> = ["t1", "t2", "t3", "t4"]
        .iter()
        .map(|t| {
            items.iter().find(|i| i["task"] == *t).unwrap()["earned"]
                .as_f64()
                .unwrap()
        })
        .collect();
    // Shown to two decimals; the total is computed from the unrounded 13.125.
    assert_eq!(earned, [17.5, 13.13, 13.13, 0.0], "{s}");
    let reasons: Vec<&str> = items
        .iter()
        .flat_map(|i| i["deductions"].as_array().unwrap())
        .map(|d| d["reason"].as_str().unwrap())
        .collect();
    for r in ["late", "quality", "not_completed"] {
        assert!(reasons.contains(&r), "{r} among {reasons:?}");
    }
    assert_eq!(s["tasks"]["own"]["counts"]["late"], 1);
    assert_eq!(s["tasks"]["own"]["counts"]["quality_failed"], 1);
    assert_eq!(s["tasks"]["own"]["counts"]["not_completed"], 1);

    // Who scores: not the official, not a leader elsewhere, not with a criterion out of range.
    let path = "/api/v1/evaluations/people/w2/criteria?period=2026-11";
    let body = criteria([6.0, 6.0, 6.0, 5.0, 5.0]);
    let (status, _) = app
        .send_as(Some(&official), Method::PUT, path, Some(&body))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .send_as(Some(&outsider), Method::PUT, path, Some(&body))
        .await;
    assert_eq!(status, 403);
    let (status, bad) = app
        .send_as(
            Some(&leader),
            Method::PUT,
            path,
            Some(&criteria([7.0, 6.0, 6.0, 5.0, 5.0])),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("politics"),
        "{bad}"
    );
    let (status, bad) = app
        .send_as(
            Some(&leader),
            Method::PUT,
            "/api/v1/evaluations/people/w2/criteria?period=2026-Q4",
            Some(&body),
        )
        .await;
    assert_eq!(status, 400, "evaluated by month: {bad}");

    let (status, after) = app
        .send_as(Some(&leader), Method::PUT, path, Some(&body))
        .await;
    assert_eq!(status, 200, "{after}");
    let s = &after["score"];
    // 28 + 43.75 = 71.75: good (70-89.99).
    assert!(close(&s["total"], 71.75), "{s}");
    assert_eq!(s["class"], "good");
    assert_eq!(s["provisional"], false);
    assert_eq!(
        s["general"]["by"], "w1",
        "recorded as the signed-in leader: {s}"
    );
    assert!(close(&s["general"]["points"], 28.0));

    // The override forces "not complete" whatever the points, and says why.
    let mut forced = body.clone();
    forced["force_not_complete"] = json!("Vi phạm kỷ luật");
    let (status, over) = app
        .send_as(Some(&leader), Method::PUT, path, Some(&forced))
        .await;
    assert_eq!(status, 200, "{over}");
    assert_eq!(over["score"]["class"], "not_complete");
    assert_eq!(over["score"]["class_by_points"], "good");
    assert_eq!(over["score"]["overridden"], "Vi phạm kỷ luật");
    let (status, _) = app
        .send_as(Some(&leader), Method::PUT, path, Some(&body))
        .await;
    assert_eq!(status, 200);

    // Scope: a leader of another ward cannot read it.
    let (status, _) = app
        .send_as(
            Some(&outsider),
            Method::GET,
            "/api/v1/evaluations/people/w2?period=2026-11",
            None,
        )
        .await;
    assert_eq!(status, 403);

    // The audit trail has the criteria with their author.
    let audit = app.get_ok("/api/v1/audit?unit=p-1.vh&limit=1000").await;
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "evaluation.criteria"),
        "{audit}"
    );
}

#[tokio::test]
async fn a_unit_shows_its_quota_and_ranks_peers_within_scope() {
    let app = spawn_app().await;
    let leader = november(&app).await;
    for (who, pts) in [
        ("w2", [6.0, 6.0, 6.0, 5.0, 5.0]),
        ("w5", [6.0, 6.0, 6.0, 6.0, 6.0]),
    ] {
        let (status, body) = app
            .send_as(
                Some(&leader),
                Method::PUT,
                &format!("/api/v1/evaluations/people/{who}/criteria?period=2026-11"),
                Some(&criteria(pts)),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let unit = app
        .get_ok("/api/v1/evaluations/units/p-1?period=2026-11")
        .await;
    let people = unit["people"].as_array().unwrap();
    // w5: 30 + 70 = 100, excellent; w2: 71.75, good; w1 (leader) leads p-1: scored on the unit.
    assert_eq!(people[0]["person"], "w5", "{unit}");
    assert!(close(&people[0]["total"], 100.0), "{unit}");
    assert_eq!(unit["quota"]["counts"]["excellent"], 1, "{unit}");
    // One good (w2) at most: 20 % of 1 is 0, so w5's excellent is above the cap, shown and not
    // applied.
    assert_eq!(unit["quota"]["cap"], 0, "{unit}");
    assert_eq!(unit["quota"]["above_cap"], json!(["w5"]), "{unit}");
    assert_eq!(
        people[0]["class"], "excellent",
        "the cap is not applied: {unit}"
    );

    let r = app
        .get_ok("/api/v1/evaluations/units/p-1/rankings?period=2026-11&by=position")
        .await;
    let peers = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["position"] == "Chuyên viên")
        .unwrap_or_else(|| panic!("{r}"));
    let order: Vec<&str> = peers["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["person"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["w5", "w2"], "{r}");
    assert_eq!(peers["lines"][0]["rank"], 1);
    assert_eq!(peers["lines"][1]["rank"], 2);

    // A viewer of the division sees the rankings of the division only.
    let division = app.account("dv", None, &[("viewer", "p-1.vh")]).await;
    let (status, _) = app
        .send_as(
            Some(&division),
            Method::GET,
            "/api/v1/evaluations/units/p-1/rankings?period=2026-11",
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (status, mine) = app
        .send_as(
            Some(&division),
            Method::GET,
            "/api/v1/evaluations/units/p-1.vh/rankings?period=2026-11",
            None,
        )
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(
        mine["groups"][0]["lines"].as_array().unwrap().len(),
        2,
        "{mine}"
    );
    let (status, body) = app
        .get("/api/v1/evaluations/units/p-1/rankings?by=age")
        .await;
    assert_eq!(status, 400, "{body}");

    // The year so far: November is the only evaluated month for w5 (October had no task).
    let year = app
        .get_ok("/api/v1/evaluations/people/w5/annual?year=2026")
        .await;
    assert!(close(&year["total"], 100.0), "{year}");
    assert_eq!(year["class"], "excellent", "{year}");
}

#[tokio::test]
async fn closing_the_quarter_freezes_its_scores() {
    let app = spawn_app().await;
    let leader = november(&app).await;
    let path = "/api/v1/evaluations/people/w2/criteria?period=2026-11";
    let (status, _) = app
        .send_as(
            Some(&leader),
            Method::PUT,
            path,
            Some(&criteria([6.0, 6.0, 6.0, 5.0, 5.0])),
        )
        .await;
    assert_eq!(status, 200);
    for state in ["active", "closed"] {
        let (status, body) = app
            .send(
                Method::PUT,
                "/api/v1/periods/2026-Q4",
                &json!({ "state": state }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // The late task done now would change a live score; the frozen one stays.
    app.ingest(json!([task(
        "s4",
        "t4",
        "2026-11-25T09:00:00+07:00",
        json!({"status": "submitted", "progress": 100})
    )]))
    .await;
    app.ingest_as(
        &leader,
        json!([task(
            "a4",
            "t4",
            "2026-11-25T10:00:00+07:00",
            json!({"status": "accepted", "quality": 70})
        )]),
    )
    .await;
    let frozen = app
        .get_ok("/api/v1/evaluations/people/w2?period=2026-11")
        .await;
    assert!(frozen["frozen_at"].is_string(), "{frozen}");
    assert!(close(&frozen["score"]["total"], 71.75), "{frozen}");
    let (status, body) = app
        .send_as(Some(&leader), Method::PUT, path, Some(&criteria([6.0; 5])))
        .await;
    assert_eq!(status, 403, "a closed quarter is read-only: {body}");
    // An admin of the ward corrects the criteria: the frozen score follows the correction
    // (30 + 43.75 = 73.75), still frozen, and the correction is in the audit trail.
    let admin = app.account("wadmin", None, &[("admin", "p-1")]).await;
    let (status, fixed) = app
        .send_as(Some(&admin), Method::PUT, path, Some(&criteria([6.0; 5])))
        .await;
    assert_eq!(status, 200, "{fixed}");
    assert!(close(&fixed["score"]["total"], 73.75), "{fixed}");
    assert!(fixed["frozen_at"].is_string(), "{fixed}");
    let again = app
        .get_ok("/api/v1/evaluations/people/w2?period=2026-11")
        .await;
    assert!(close(&again["score"]["total"], 73.75), "{again}");
    // Reopened, the score is live again and follows the task.
    let (status, _) = app
        .send(
            Method::PUT,
            "/api/v1/periods/2026-Q4",
            &json!({"state": "active"}),
        )
        .await;
    assert_eq!(status, 200);
    let live = app
        .get_ok("/api/v1/evaluations/people/w2?period=2026-11")
        .await;
    assert!(live["frozen_at"].is_null(), "{live}");
    assert_eq!(
        live["score"]["tasks"]["own"]["counts"]["not_completed"], 0,
        "{live}"
    );
    assert_eq!(live["score"]["tasks"]["own"]["counts"]["late"], 2, "{live}");
    // 17.5 + 3 x 13.125 = 56.875 + 30 (the corrected criteria) = 86.875, shown 86.88.
    assert!(close(&live["score"]["total"], 86.88), "{live}");
}

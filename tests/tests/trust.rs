//! Issue 15, "Trust": sequences of allowed steps that must not add up to something forbidden,
//! each reproduced against the server before its fix. Accounts and sessions here; the
//! responsibility rules of task writes in `responsibility.rs`, the route matrix in `access.rs`.

use ioc_tests::{sign_in, spawn_app_with_limits, test_limits, WsEvent};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn a_ward_admin_cannot_take_over_an_account_outside_its_ward() {
    let app = ioc_tests::spawn_app().await;
    app.load_fixture().await;
    let ward_admin = app.account("p1-admin", None, &[("admin", "p-1")]).await;
    // An account of the other ward's official with no grant yet, and one linked to nobody.
    for (id, person) in [("w3-login", Some("w3")), ("orphan", None)] {
        let (status, body) = app
            .post(
                "/api/v1/accounts",
                &json!({"id": id, "name": id, "person": person, "password": format!("{id}-password-1"), "grants": []}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    for id in ["w3-login", "orphan"] {
        let (status, body) = app
            .send_as(
                Some(&ward_admin),
                Method::GET,
                &format!("/api/v1/accounts/{id}"),
                None,
            )
            .await;
        assert_eq!(status, 403, "reading {id}: {body}");
        // The takeover of the issue: a new password and a grant in the admin's own ward.
        let (status, body) = app
            .send_as(
                Some(&ward_admin),
                Method::PUT,
                &format!("/api/v1/accounts/{id}"),
                Some(&json!({"id": id, "name": id, "password": "taken-over-password-1", "grants": [{"role": "viewer", "unit": "p-1"}]})),
            )
            .await;
        assert_eq!(status, 403, "replacing {id}: {body}");
        assert!(
            sign_in(&app.base, id, &format!("{id}-password-1"))
                .await
                .is_ok(),
            "{id}'s owner still signs in"
        );
    }
    let (status, list) = app
        .send_as(Some(&ward_admin), Method::GET, "/api/v1/accounts", None)
        .await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"p1-admin"), "{ids:?}");
    assert!(
        !ids.contains(&"w3-login") && !ids.contains(&"orphan"),
        "{ids:?}"
    );
    // The admin of the whole tree still manages both.
    for id in ["w3-login", "orphan"] {
        let (status, body) = app.get(&format!("/api/v1/accounts/{id}")).await;
        assert_eq!(status, 200, "{body}");
    }
    // The ward admin still manages an account of its own ward's official.
    let (status, body) = app
        .send_as(
            Some(&ward_admin),
            Method::POST,
            "/api/v1/accounts",
            Some(&json!({"id": "w2-login", "name": "w2", "person": "w2", "password": "w2-password-12", "grants": [{"role": "viewer", "unit": "p-1"}]})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .send_as(
            Some(&ward_admin),
            Method::GET,
            "/api/v1/accounts/w2-login",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// A short heartbeat, so a socket whose session ended closes within the test's wait.
fn quick_heartbeat() -> ioc::http::Limits {
    let mut limits = test_limits();
    limits.live.heartbeat = Duration::from_millis(300);
    limits
}

async fn expect_closed_4001(ws: &mut ioc_tests::Ws) {
    loop {
        match ws.next_message().await {
            WsEvent::Json(_) => continue,
            WsEvent::Closed(code) => {
                assert_eq!(code, Some(4001), "closed as no longer signed in");
                return;
            }
        }
    }
}

#[tokio::test]
async fn changing_a_password_ends_the_other_sessions_and_their_sockets() {
    let app = spawn_app_with_limits(quick_heartbeat()).await;
    app.load_fixture().await;
    let first = app
        .account("w1-login", Some("w1"), &[("leader", "p-1")])
        .await;
    let second = sign_in(&app.base, "w1-login", "w1-login-password-1")
        .await
        .unwrap();
    let mut second_ws = app.ws_with(Some(&second)).await.expect("a live socket");
    let (status, body) = app
        .send_as(
            Some(&first),
            Method::POST,
            "/api/v1/session/password",
            Some(&json!({"current": "w1-login-password-1", "new": "a-new-password-1"})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    // The session that made the change goes on; the other one is over, socket included.
    let (status, _) = app
        .send_as(Some(&first), Method::GET, "/api/v1/session", None)
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .send_as(Some(&second), Method::GET, "/api/v1/units/p-1/view", None)
        .await;
    assert_eq!(status, 401, "{body}");
    expect_closed_4001(&mut second_ws).await;
    // After a restart too: the ended session is gone from the store, not only from memory.
    let app = app.restart().await;
    let (status, _) = app
        .send_as(Some(&second), Method::GET, "/api/v1/session", None)
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .send_as(Some(&first), Method::GET, "/api/v1/session", None)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_admins_reset_ends_every_session_of_the_account() {
    let app = spawn_app_with_limits(quick_heartbeat()).await;
    app.load_fixture().await;
    let session = app
        .account("w3-login", Some("w3"), &[("leader", "p-2")])
        .await;
    let mut ws = app.ws_with(Some(&session)).await.expect("a live socket");
    let (status, body) = app
        .send(
            Method::PUT,
            "/api/v1/accounts/w3-login",
            &json!({"id": "w3-login", "name": "w3", "person": "w3", "password": "reset-by-admin-1", "grants": [{"role": "leader", "unit": "p-2"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .send_as(Some(&session), Method::GET, "/api/v1/session", None)
        .await;
    assert_eq!(status, 401);
    expect_closed_4001(&mut ws).await;
    assert!(sign_in(&app.base, "w3-login", "reset-by-admin-1")
        .await
        .is_ok());
    // A change that sets no password leaves the sessions alone.
    let fresh = sign_in(&app.base, "w3-login", "reset-by-admin-1")
        .await
        .unwrap();
    let (status, body) = app
        .send(
            Method::PUT,
            "/api/v1/accounts/w3-login",
            &json!({"id": "w3-login", "name": "Hoàng Minh Đức", "person": "w3", "grants": [{"role": "leader", "unit": "p-2"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body): (u16, Value) = app
        .send_as(Some(&fresh), Method::GET, "/api/v1/session", None)
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn event_ids_are_their_sources_own_and_a_reused_id_is_a_conflict_not_a_duplicate() {
    let app = ioc_tests::spawn_app().await;
    app.load_fixture().await;
    let p1 = app.account("de-p1", None, &[("data_entry", "p-1")]).await;
    let token = |units: &str, source: Option<&str>| json!({"name": "một cửa", "units": [units], "permissions": ["read", "satisfaction_rating"], "source": source});
    let (status, p2) = app.post("/api/v1/tokens", &token("p-2", None)).await;
    assert_eq!(status, 201, "{p2}");
    let p2 = p2["token"].as_str().unwrap().to_string();
    let rating = |unit: &str, score: u8| {
        json!([{"type": "satisfaction_rating", "id": "X", "at": "2026-11-03T08:00:00+07:00",
                "unit": unit, "service": "Cấp giấy khai sinh", "score": score}])
    };
    let send = |cred: String, body: Value| {
        let app = &app;
        async move {
            app.send_as(Some(&cred), Method::POST, "/api/v1/events", Some(&body))
                .await
        }
    };
    let (status, body) = send(p1.clone(), rating("p-1", 5)).await;
    assert_eq!(
        (status, body["accepted"].as_u64()),
        (200, Some(1)),
        "{body}"
    );
    // Another ward's token with the same id: its own event, kept and counted.
    let (status, body) = send(p2.clone(), rating("p-2", 2)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(1), Some(0)),
        "{body}"
    );
    let view = app.get_ok("/api/v1/units/p-2/view").await;
    assert_eq!(view["summary"]["satisfaction"]["ratings"], 1, "{view}");
    // The same source again: the same event is a duplicate, kept once ...
    let (status, body) = send(p1.clone(), rating("p-1", 5)).await;
    assert_eq!(
        (
            status,
            body["accepted"].as_u64(),
            body["duplicates"].as_u64()
        ),
        (200, Some(0), Some(1)),
        "{body}"
    );
    // ... and the same id saying something else is refused, naming it, keeping nothing.
    let (status, body) = send(p1.clone(), rating("p-1", 1)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(body["error"]["index"], 0);
    assert_eq!(body["error"]["field"], "id");
    let view = app.get_ok("/api/v1/units/p-1/view").await;
    assert_eq!(view["summary"]["satisfaction"]["ratings"], 1, "{view}");
    assert_eq!(view["summary"]["satisfaction"]["average"], 5.0, "{view}");
    // Within one request too.
    let (status, body) = send(
        p1.clone(),
        json!([
            {"type": "satisfaction_rating", "id": "Y", "at": "2026-11-03T09:00:00+07:00", "unit": "p-1", "service": "s", "score": 4},
            {"type": "satisfaction_rating", "id": "Y", "at": "2026-11-03T09:00:00+07:00", "unit": "p-1", "service": "s", "score": 3}
        ]),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["index"]),
        (409, &json!(1)),
        "{body}"
    );
    // Each source reads its own event X back; another source's is named with ?source=.
    let mine = app
        .send_as(Some(&p1), Method::GET, "/api/v1/events/X", None)
        .await
        .1;
    assert_eq!(mine["body"]["unit"], "p-1", "{mine}");
    let theirs = app
        .send_as(Some(&p2), Method::GET, "/api/v1/events/X", None)
        .await
        .1;
    assert_eq!(theirs["body"]["unit"], "p-2", "{theirs}");
    let by_admin = app
        .get_ok(&format!(
            "/api/v1/events/X?source={}",
            mine["source"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_admin["body"]["score"], 5);
}

#[tokio::test]
async fn a_rotated_token_keeps_its_declared_sources_ids() {
    let app = ioc_tests::spawn_app().await;
    app.load_fixture().await;
    let issue = |units: &str| {
        let app = &app;
        let body = json!({"name": "một cửa", "units": [units], "permissions": ["satisfaction_rating"], "source": "mot-cua"});
        async move {
            let (status, t) = app.post("/api/v1/tokens", &body).await;
            assert_eq!(status, 201, "{t}");
            (
                t["id"].as_str().unwrap().to_string(),
                t["token"].as_str().unwrap().to_string(),
            )
        }
    };
    let rating = json!([{"type": "satisfaction_rating", "id": "R-1", "at": "2026-11-03T08:00:00+07:00",
                         "unit": "p-1", "service": "s", "score": 4}]);
    let (old_id, old) = issue("p-1").await;
    let (status, body) = app
        .send_as(Some(&old), Method::POST, "/api/v1/events", Some(&rating))
        .await;
    assert_eq!(
        (status, body["accepted"].as_u64()),
        (200, Some(1)),
        "{body}"
    );
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/tokens/{old_id}"),
            &json!(null),
        )
        .await;
    assert_eq!(status, 204);
    let (_, new) = issue("p-1").await;
    let (status, body) = app
        .send_as(Some(&new), Method::POST, "/api/v1/events", Some(&rating))
        .await;
    assert_eq!(
        (status, body["duplicates"].as_u64()),
        (200, Some(1)),
        "the rotated token's replay is a duplicate: {body}"
    );
    // Another ward declaring the same source name has ids of its own.
    let (_, other) = issue("p-2").await;
    let mut theirs = rating.clone();
    theirs[0]["unit"] = "p-2".into();
    let (status, body) = app
        .send_as(Some(&other), Method::POST, "/api/v1/events", Some(&theirs))
        .await;
    assert_eq!(
        (status, body["accepted"].as_u64()),
        (200, Some(1)),
        "{body}"
    );
}

#[tokio::test]
async fn the_tree_keeps_one_root_whether_a_unit_is_created_or_moved() {
    let app = ioc_tests::spawn_app().await;
    app.load_fixture().await;
    let units_before = app.get_ok("/api/v1/units").await;
    // A second root beside the city: refused, naming `parent`, in the caller's language.
    let (status, body) = app
        .post(
            "/api/v1/units",
            &json!({"id": "root2", "name": "r", "level": "city"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "parent", "{body}");
    assert_eq!(body["error"]["reason"], "second_root", "{body}");
    // Nothing was created, so nothing can be put under it either.
    assert_eq!(app.get("/api/v1/units/root2").await.0, 404);
    let (status, body) = app
        .post(
            "/api/v1/units",
            &json!({"id": "under-root2", "name": "u", "level": "ward", "parent": "root2"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "parent", "{body}");
    // The second step of the same hole: an existing ward sent again without its parent.
    let ward = app.get_ok("/api/v1/units/p-1").await;
    let mut orphaned = ward.clone();
    orphaned["parent"] = Value::Null;
    let (status, body) = app.send(Method::PUT, "/api/v1/units/p-1", &orphaned).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "parent", "{body}");
    assert_eq!(
        app.get_ok("/api/v1/units/p-1").await["parent"],
        ward["parent"]
    );
    // The root itself, sent again as it is, is still its own business.
    let root = units_before["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["parent"].is_null())
        .expect("the fixture has a root")
        .clone();
    let (status, body) = app
        .send(
            Method::PUT,
            &format!("/api/v1/units/{}", root["id"].as_str().unwrap()),
            &root,
        )
        .await;
    assert!(status == 200 || status == 201, "{status} {body}");
    assert_eq!(app.get_ok("/api/v1/units").await, units_before);
}

/// Tasks done on time and late in the city's summary.
async fn city_done(app: &ioc_tests::TestApp) -> (i64, i64) {
    let view = app.get_ok("/api/v1/units/hn/view").await;
    let t = &view["summary"]["tasks"];
    (
        t["done_on_time"].as_i64().unwrap(),
        t["done_late"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn on_time_means_the_accepted_submission_was_in_time_whatever_order_events_arrive() {
    use ioc_tests::task_event;
    let app = ioc_tests::spawn_app().await;
    app.load_fixture().await;
    let ev = |id: &str, task: &str, at: &str, status: &str| json!({"type": "task", "id": id, "at": at, "task_id": task, "status": status});
    // Deadline the 10th. Submitted in time, returned, then accepted on the 12th with no new
    // submission: the work that was accepted came after the deadline.
    app.ingest(json!([
        task_event(
            "r0",
            "returned-then-accepted",
            "w4",
            "2026-11-10",
            ioc_tests::START
        ),
        ev(
            "r1",
            "returned-then-accepted",
            "2026-11-05T08:00:00+07:00",
            "submitted"
        ),
    ]))
    .await;
    app.ingest(json!([ev(
        "r2",
        "returned-then-accepted",
        "2026-11-06T08:00:00+07:00",
        "returned"
    )]))
    .await;
    // The return is kept across a restart (it decides what the acceptance below means).
    let app = app.restart().await;
    app.set_clock("2026-11-12T10:00:00+07:00").await;
    app.ingest(json!([ev(
        "r3",
        "returned-then-accepted",
        "2026-11-12T09:00:00+07:00",
        "accepted"
    )]))
    .await;
    assert_eq!(
        city_done(&app).await,
        (0, 1),
        "a return voids the submission before it"
    );
    let w4 = app.get_ok("/api/v1/people/w4/view").await;
    assert_eq!(w4["tasks"]["on_time_rate"], 0.0, "{w4}");

    // Submitted on the 8th, but that event reaches the server after the acceptance of the
    // 12th (an integration's late batch): the work was handed in on time.
    app.ingest(json!([
        task_event(
            "l0",
            "submitted-late-arrival",
            "w3",
            "2026-11-10",
            ioc_tests::START
        ),
        ev(
            "l2",
            "submitted-late-arrival",
            "2026-11-12T09:30:00+07:00",
            "accepted"
        ),
    ]))
    .await;
    assert_eq!(
        city_done(&app).await,
        (0, 2),
        "accepted with no submission known: late"
    );
    app.ingest(json!([ev(
        "l1",
        "submitted-late-arrival",
        "2026-11-08T08:00:00+07:00",
        "submitted"
    )]))
    .await;
    assert_eq!(city_done(&app).await, (1, 1));
    let task = app.get_ok("/api/v1/tasks/submitted-late-arrival").await;
    assert_eq!(
        task["status"], "accepted",
        "the older submission does not undo the acceptance"
    );
    assert_eq!(task["done_at"], task["submitted_at"], "{task}");
    // A restart rebuilds the same figures from the store.
    let app = app.restart().await;
    assert_eq!(city_done(&app).await, (1, 1));
}

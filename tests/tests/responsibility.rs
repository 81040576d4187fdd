//! Responsibility, as the writer checks it against the task or KPI exactly as the change finds
//! it (SECURITY.md "Responsibility"): the responsible person's progress, the accountable
//! person's acceptance (else a leader over the unit), data entry of a KPI's leading unit. The
//! scenario is a table of steps, each sent by one caller and either taken or refused; a refused
//! step is a 403 naming its reason and leaves nothing behind: the task or value it aimed at is
//! as before and none of its events is in the log.

use ioc_tests::access::{city, error_code, error_message, generous, ok_as, send_as};
use ioc_tests::{spawn_app_with_limits, task_event, TestApp, START};
use serde_json::{json, Value};

/// What a step sends.
enum Send {
    /// `PUT /api/v1/tasks/{id}` with this body.
    Task(&'static str, Value),
    /// `POST /api/v1/events` with these events.
    Events(Value),
}

/// What a step aims at: read before and after it.
#[derive(Clone, Copy)]
enum Aim {
    /// The task's REST form.
    Task(&'static str),
    /// The current value of a KPI's series of a unit (null when none): (unit, KPI).
    Kpi(&'static str, &'static str),
}

enum Outcome {
    /// 200, and afterwards the aimed-at task has these fields (a KPI: `value`).
    Taken(Vec<(&'static str, Value)>),
    /// 403 `forbidden` with a reason, naming the refused item when `index` is given; the aim is
    /// unchanged and none of these event ids is in the log.
    Refused {
        index: Option<i64>,
        not_kept: &'static [&'static str],
    },
}

struct Step {
    what: &'static str,
    /// The account sending it.
    by: &'static str,
    send: Send,
    aim: Aim,
    outcome: Outcome,
}

fn taken(fields: &[(&'static str, Value)]) -> Outcome {
    Outcome::Taken(fields.to_vec())
}

fn refused(index: Option<i64>, not_kept: &'static [&'static str]) -> Outcome {
    Outcome::Refused { index, not_kept }
}

fn observation(id: &str, kpi: &str, unit: &str, v: f64) -> Value {
    json!({"type": "kpi_observation", "id": id, "at": START, "kpi": kpi, "unit": unit, "period": "2026-10", "value": v})
}

/// The scenario, in order: each step finds what the steps before it left.
fn steps() -> Vec<Step> {
    use Aim::{Kpi, Task as T};
    use Send::{Events, Task};
    vec![
        Step {
            what: "progress by the responsible person",
            by: "w2",
            send: Task(
                "t-r",
                json!({"progress": 30, "at": "2026-11-02T09:00:00+07:00"}),
            ),
            aim: T("t-r"),
            outcome: taken(&[("progress", json!(30.0))]),
        },
        Step {
            what: "progress by a viewer of the same unit",
            by: "w5",
            send: Task(
                "t-r",
                json!({"progress": 60, "at": "2026-11-02T10:00:00+07:00"}),
            ),
            aim: T("t-r"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "a progress event by a viewer of the same unit",
            by: "w5",
            send: Events(json!([
                {"type": "task", "id": "r-w5-1", "at": "2026-11-02T10:00:00+07:00", "task_id": "t-r", "progress": 60}
            ])),
            aim: T("t-r"),
            outcome: refused(Some(0), &["r-w5-1"]),
        },
        Step {
            what: "progress by the whole-tree admin (admins do not bypass responsibility)",
            by: "root",
            send: Task(
                "t-r",
                json!({"progress": 70, "at": "2026-11-02T10:30:00+07:00"}),
            ),
            aim: T("t-r"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "submission by the responsible person",
            by: "w2",
            send: Task(
                "t-r",
                json!({"status": "submitted", "progress": 100, "at": "2026-11-02T11:00:00+07:00"}),
            ),
            aim: T("t-r"),
            outcome: taken(&[("status", json!("submitted"))]),
        },
        Step {
            what: "acceptance by the responsible person",
            by: "w2",
            send: Task(
                "t-r",
                json!({"status": "accepted", "quality": 95, "at": "2026-11-02T12:00:00+07:00"}),
            ),
            aim: T("t-r"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "acceptance by a leader when an accountable person is named",
            by: "leader",
            send: Task(
                "t-r",
                json!({"status": "accepted", "quality": 95, "at": "2026-11-02T12:00:00+07:00"}),
            ),
            aim: T("t-r"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "acceptance by the accountable person",
            by: "w1",
            send: Task(
                "t-r",
                json!({"status": "accepted", "quality": 90, "at": "2026-11-02T13:00:00+07:00"}),
            ),
            aim: T("t-r"),
            outcome: taken(&[("status", json!("accepted")), ("quality", json!(90.0))]),
        },
        Step {
            what: "submission of a task without an accountable person",
            by: "w2",
            send: Task(
                "t-r3",
                json!({"status": "submitted", "at": "2026-11-02T11:00:00+07:00"}),
            ),
            aim: T("t-r3"),
            outcome: taken(&[]),
        },
        Step {
            what: "acceptance by a person who is not accountable (no one is named)",
            by: "w1",
            send: Task(
                "t-r3",
                json!({"status": "accepted", "at": "2026-11-02T12:00:00+07:00"}),
            ),
            aim: T("t-r3"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "acceptance by a leader when no accountable person is named",
            by: "leader",
            send: Task(
                "t-r3",
                json!({"status": "accepted", "at": "2026-11-02T12:30:00+07:00"}),
            ),
            aim: T("t-r3"),
            outcome: taken(&[("status", json!("accepted"))]),
        },
        Step {
            what: "a KPI value by data entry of its leading unit",
            by: "de-p1",
            send: Events(json!([observation("k1", "KN", "p-1", 3.0)])),
            aim: Kpi("p-1", "KN"),
            outcome: taken(&[("value", json!(3.0))]),
        },
        Step {
            what: "a KPI value by data entry of another unit",
            by: "de-p2",
            send: Events(json!([observation("k2", "KN", "p-1", 9.0)])),
            aim: Kpi("p-1", "KN"),
            outcome: refused(None, &["k2"]),
        },
        Step {
            // TTHC is measured in p-1 but led by so-a.
            what: "a value of a KPI led elsewhere",
            by: "de-p1",
            send: Events(json!([observation("k3", "TTHC", "p-1", 99.0)])),
            aim: Kpi("p-1", "TTHC"),
            outcome: refused(None, &["k3"]),
        },
        Step {
            what: "a value by data entry of the leading unit",
            by: "de-so-a",
            send: Events(json!([observation("k4", "TTHC", "p-1", 99.0)])),
            aim: Kpi("p-1", "TTHC"),
            outcome: taken(&[("value", json!(99.0))]),
        },
        Step {
            // One refused item refuses the whole request, naming it; the good one is not kept.
            what: "a batch with one item outside the caller's responsibility",
            by: "de-p1",
            send: Events(json!([
                observation("k5", "KN", "p-1", 4.0),
                observation("k6", "KN2", "p-2", 4.0)
            ])),
            aim: Kpi("p-1", "KN"),
            outcome: refused(Some(1), &["k5", "k6"]),
        },
        // Issue 15: two allowed steps in a row must not add up to something forbidden.
        Step {
            what: "the accountable person reassigns within the task's unit",
            by: "w1",
            send: Task(
                "t-m",
                json!({"responsible": "w5", "at": "2026-11-03T08:00:00+07:00"}),
            ),
            aim: T("t-m"),
            outcome: taken(&[("responsible", json!("w5")), ("unit", json!("p-1.vh"))]),
        },
        Step {
            what: "the accountable person (a viewer) moves the task into an unrelated ward",
            by: "w1",
            send: Task(
                "t-m",
                json!({"responsible": "w4", "at": "2026-11-03T09:00:00+07:00"}),
            ),
            aim: T("t-m"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "a leader of one of the two units moves it",
            by: "leader",
            send: Task(
                "t-m",
                json!({"responsible": "w4", "at": "2026-11-03T09:00:00+07:00"}),
            ),
            aim: T("t-m"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "a leader over both units moves it",
            by: "city",
            send: Task(
                "t-m",
                json!({"responsible": "w4", "at": "2026-11-03T10:00:00+07:00"}),
            ),
            aim: T("t-m"),
            outcome: taken(&[("responsible", json!("w4")), ("unit", json!("p-2"))]),
        },
        Step {
            what: "a ward leader names themselves accountable for their own task",
            by: "w1-leader",
            send: Task(
                "t-s",
                json!({"accountable": "w1", "at": "2026-11-03T08:00:00+07:00"}),
            ),
            aim: T("t-s"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "then accepts their own task",
            by: "w1-leader",
            send: Task(
                "t-s",
                json!({"status": "accepted", "quality": 100, "at": "2026-11-03T09:00:00+07:00"}),
            ),
            aim: T("t-s"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "a leader accepts their own task that names no accountable person",
            by: "w1-leader",
            send: Task(
                "t-s2",
                json!({"status": "accepted", "quality": 100, "at": "2026-11-03T09:00:00+07:00"}),
            ),
            aim: T("t-s2"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "another leader of the unit accepts it",
            by: "leader",
            send: Task(
                "t-s2",
                json!({"status": "accepted", "quality": 80, "at": "2026-11-03T10:00:00+07:00"}),
            ),
            aim: T("t-s2"),
            outcome: taken(&[("status", json!("accepted")), ("quality", json!(80.0))]),
        },
        Step {
            what: "data entry reopens accepted work",
            by: "de-p1",
            send: Task(
                "t-r",
                json!({"status": "in_progress", "at": "2026-11-04T08:00:00+07:00"}),
            ),
            aim: T("t-r"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "the responsible person reopens their accepted work",
            by: "w2",
            send: Task(
                "t-r",
                json!({"status": "submitted", "at": "2026-11-04T08:00:00+07:00"}),
            ),
            aim: T("t-r"),
            outcome: refused(None, &[]),
        },
        Step {
            what: "the accountable person returns accepted work",
            by: "w1",
            send: Task(
                "t-r",
                json!({"status": "returned", "quality": 50, "at": "2026-11-04T09:00:00+07:00"}),
            ),
            aim: T("t-r"),
            outcome: taken(&[("status", json!("returned"))]),
        },
        Step {
            what: "an integration's token reports progress of a task of its ward",
            by: "token",
            send: Events(json!([
                {"type": "task", "id": "tok-1", "at": "2026-11-04T08:00:00+07:00", "task_id": "t-tok", "status": "submitted", "progress": 100}
            ])),
            aim: T("t-tok"),
            outcome: taken(&[("status", json!("submitted"))]),
        },
        Step {
            what: "an admin's own token accepts a task (admins do not change numbers)",
            by: "token",
            send: Events(json!([
                {"type": "task", "id": "tok-2", "at": "2026-11-04T09:00:00+07:00", "task_id": "t-tok", "status": "accepted", "quality": 100}
            ])),
            aim: T("t-tok"),
            outcome: refused(Some(0), &["tok-2"]),
        },
    ]
}

async fn task(app: &TestApp, id: &str) -> Value {
    ok_as(app, &app.token, "GET", &format!("/api/v1/tasks/{id}"), None).await
}

async fn kpi_value(app: &TestApp, unit: &str, code: &str) -> Value {
    let board = ok_as(
        app,
        &app.token,
        "GET",
        &format!("/api/v1/units/{unit}/kpis"),
        None,
    )
    .await;
    board["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["code"] == code)
        .map(|k| k["value"].clone())
        .unwrap_or(Value::Null)
}

/// The aim as it stands: a task's REST form, or `{"value": …}` for a KPI series.
async fn read(app: &TestApp, aim: Aim) -> Value {
    match aim {
        Aim::Task(id) => task(app, id).await,
        Aim::Kpi(unit, code) => json!({"value": kpi_value(app, unit, code).await}),
    }
}

/// Whether the log holds event `id` of `source` (ids are their source's).
async fn event_kept(app: &TestApp, source: &str, id: &str) -> bool {
    let (status, body) = send_as(
        app,
        &app.token,
        "GET",
        &format!("/api/v1/events/{id}?source={source}"),
        None,
    )
    .await;
    assert!(status == 200 || status == 404, "{body}");
    status == 200
}

#[tokio::test]
async fn responsibility_is_checked_against_the_task_and_kpi_and_a_refusal_keeps_nothing() {
    let app = spawn_app_with_limits(generous()).await;
    let city = city(&app).await;
    // w2 is responsible for t-r, w1 accountable; t-r3 names no accountable person. w5 works in
    // the same division as w2.
    ok_as(
        &app,
        &city.ops,
        "POST",
        "/api/v1/events",
        Some(json!([
            {"type": "task", "id": "r1", "at": START, "task_id": "t-r", "title": "Báo cáo tuần",
             "responsible": "w2", "accountable": "w1", "deadline": "2026-12-31"},
            task_event("r3", "t-r3", "w2", "2026-12-31", START),
            {"type": "task", "id": "r-m", "at": START, "task_id": "t-m", "title": "Kiểm tra hồ sơ",
             "responsible": "w2", "accountable": "w1", "deadline": "2026-12-31"},
            {"type": "task", "id": "r-s", "at": START, "task_id": "t-s", "title": "Báo cáo phường",
             "responsible": "w1", "accountable": "a1", "deadline": "2026-12-31", "status": "submitted"},
            {"type": "task", "id": "r-s2", "at": START, "task_id": "t-s2", "title": "Kế hoạch phường",
             "responsible": "w1", "deadline": "2026-12-31", "status": "submitted"},
            task_event("r-tok", "t-tok", "w2", "2026-12-31", START)
        ])),
    )
    .await;
    let mut callers = std::collections::HashMap::new();
    // Whose ids each caller's events carry, to look them up in the log.
    let mut sources = std::collections::HashMap::new();
    for (key, id, person, grants) in [
        ("w2", "r-w2", Some("w2"), [("viewer", "p-1.vh")]),
        ("w5", "r-w5", Some("w5"), [("viewer", "p-1.vh")]),
        ("w1", "r-w1", Some("w1"), [("viewer", "p-1")]),
        ("leader", "r-leader", None, [("leader", "p-1")]),
        ("de-p1", "r-de-p1", None, [("data_entry", "p-1")]),
        ("de-p2", "r-de-p2", None, [("data_entry", "p-2")]),
        ("de-so-a", "r-de-so-a", None, [("data_entry", "so-a")]),
        ("root", "r-root", None, [("admin", "*")]),
        ("city", "r-city", None, [("leader", "hn")]),
        ("w1-leader", "r-w1-leader", Some("w1"), [("leader", "p-1")]),
    ] {
        callers.insert(key, app.account(id, person, &grants).await);
        sources.insert(key, format!("account:{id}"));
    }
    // A ward admin issues itself a token for task events of its ward.
    let ward_admin = app.account("r-p1-admin", None, &[("admin", "p-1")]).await;
    let token = ok_as(
        &app,
        &ward_admin,
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "my own", "units": ["p-1"], "permissions": ["read", "task"]})),
    )
    .await;
    callers.insert("token", token["token"].as_str().unwrap().to_string());
    sources.insert("token", format!("token:{}", token["id"].as_str().unwrap()));

    for step in steps() {
        let what = step.what;
        let before = read(&app, step.aim).await;
        let cred = &callers[step.by];
        let (status, body) = match &step.send {
            Send::Task(id, body) => {
                let path = format!("/api/v1/tasks/{id}");
                send_as(&app, cred, "PUT", &path, Some(body.clone())).await
            }
            Send::Events(events) => {
                send_as(&app, cred, "POST", "/api/v1/events", Some(events.clone())).await
            }
        };
        let after = read(&app, step.aim).await;
        match step.outcome {
            Outcome::Taken(fields) => {
                assert_eq!(status, 200, "{what}: {body}");
                for (field, value) in fields {
                    assert_eq!(after[field], value, "{what}: {field} in {after}");
                }
            }
            Outcome::Refused { index, not_kept } => {
                assert_eq!(status, 403, "{what}: {body}");
                assert_eq!(error_code(&body), "forbidden", "{what}: {body}");
                assert!(
                    !error_message(&body).trim().is_empty(),
                    "{what}: a 403 names its reason: {body}"
                );
                if let Some(i) = index {
                    assert_eq!(
                        body["error"]["index"], i,
                        "{what}: the refused item is named: {body}"
                    );
                }
                assert_eq!(after, before, "{what}: a refused change left a trace");
                for id in not_kept {
                    assert!(
                        !event_kept(&app, &sources[step.by], id).await,
                        "{what}: event {id} was kept"
                    );
                }
            }
        }
    }
    app.stop().await;
}

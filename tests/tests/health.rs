//! Health that tells the truth (issue 15): `/livez` says the process answers; `/readyz` (and
//! `/healthz`) answer at once, whatever the database does, and say "degraded" with the reason
//! while the writer cannot commit or the database does not answer, until a commit succeeds
//! again. A read that cannot reach the database is a quick 503, not a 500 after 30 s.

use ioc_tests::{
    fresh_postgres_db, postgres_admin_url, spawn_app, spawn_app_on, task_event, START,
};
use serde_json::{json, Value};
use sqlx::Connection;

async fn readyz(app: &ioc_tests::TestApp) -> (u16, Value) {
    app.get("/readyz").await
}

fn reasons(body: &Value) -> String {
    body["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// Another process (here: another connection) takes SQLite's write lock and keeps it until
/// the connection rolls back.
async fn hold_write_lock(app: &ioc_tests::TestApp) -> sqlx::SqliteConnection {
    let mut holder = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .expect("a second connection");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .expect("the write lock");
    holder
}

/// POST /api/v1/events without waiting for the answer.
fn post_events(app: &ioc_tests::TestApp, events: Value) -> tokio::task::JoinHandle<(u16, Value)> {
    let feed = app.feed.clone();
    let url = app.url("/api/v1/events");
    tokio::spawn(async move {
        let r = feed.post(url).json(&events).send().await.expect("POST");
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    })
}

#[tokio::test]
async fn while_another_process_holds_sqlites_write_lock_readiness_says_the_writer_cannot_commit() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ok")),
        "{body}"
    );
    let (status, _) = app.get("/livez").await;
    assert_eq!(status, 200);

    let mut holder = hold_write_lock(&app).await;
    let writing = post_events(
        &app,
        json!([task_event("e1", "t1", "w2", "2026-12-01", START)]),
    );
    // Readiness answers while the lock is held (it never waits on it), and turns degraded.
    let mut degraded = None;
    for _ in 0..300 {
        let (status, body) = readyz(&app).await;
        assert!(
            !writing.is_finished() || status == 503,
            "the write failed, so readiness must say so: {body}"
        );
        if status == 503 {
            degraded = Some(body);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let degraded = degraded.expect("readiness turns degraded while the writer is stuck");
    assert_eq!(degraded["status"], "degraded", "{degraded}");
    assert!(reasons(&degraded).contains("writer"), "{degraded}");
    // Liveness stays up: the process answers.
    assert_eq!(app.get("/livez").await.0, 200);
    let (status, body) = writing.await.unwrap();
    assert_eq!(status, 503, "the write is refused as unavailable: {body}");
    assert_eq!(body["error"]["code"], "unavailable");
    // Reads are served from memory meanwhile.
    assert_eq!(app.get("/api/v1/units/hn/view").await.0, 200);
    // Still degraded after the failed commit, until one succeeds.
    let (status, body) = app.get("/healthz").await;
    assert_eq!(status, 503, "{body}");

    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    drop(holder);
    app.ingest(json!([task_event("e2", "t2", "w2", "2026-12-01", START)]))
        .await;
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 200, "a commit went through: {body}");
    assert!(body["last_commit"].is_string(), "{body}");
}

/// The writer plans the next requests while a group commits (ARCHITECTURE.md, "Why two groups at
/// a time"). A request planned on a group whose commit then fails was planned on changes that
/// never happened: it is refused too, nothing of either is left in memory, and both go through
/// when sent again.
#[tokio::test]
async fn a_request_planned_behind_a_commit_that_fails_is_refused_with_it_and_leaves_nothing() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let before = app.get_ok("/api/v1/units/hn/view").await;

    let mut holder = hold_write_lock(&app).await;
    let post = |events: Value| post_events(&app, events);
    // A creates t1; its commit waits for the lock.
    let creating = post(json!([task_event("e1", "t1", "w2", "2026-12-01", START)]));
    let mut stuck = false;
    for _ in 0..300 {
        if readyz(&app).await.0 == 503 {
            stuck = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        stuck,
        "readiness says the writer is stuck on the first commit"
    );
    assert!(!creating.is_finished(), "the first commit is still waiting");
    // B only makes sense on top of A: t1 exists nowhere but in A's uncommitted group.
    let updating = post(json!([
        {"type": "task", "id": "e2", "at": START, "task_id": "t1", "progress": 40, "status": "in_progress"}
    ]));
    let (status, body) = creating.await.unwrap();
    assert_eq!(status, 503, "the first request's commit failed: {body}");
    let (status, body) = updating.await.unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("unavailable")),
        "the request planned on the failed group is refused with it (a 422 here would mean it was planned alone): {body}"
    );
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    drop(holder);

    // Nothing of either request is in memory or in the store.
    assert_eq!(app.get("/api/v1/tasks/t1").await.0, 404);
    let after = app.get_ok("/api/v1/units/hn/view").await;
    assert_eq!(
        after["summary"]["tasks"], before["summary"]["tasks"],
        "the city's task figures are as before"
    );
    // Sent again, both are new (their ids were not kept as seen) and both land, in order.
    app.ingest_new(json!([task_event("e1", "t1", "w2", "2026-12-01", START)]))
        .await;
    app.ingest_new(json!([{"type": "task", "id": "e2", "at": START, "task_id": "t1", "progress": 40, "status": "in_progress"}])).await;
    let task = app.get_ok("/api/v1/tasks/t1").await;
    assert_eq!(task["progress"], 40.0, "{task}");
    assert_eq!(task["status"], "in_progress", "{task}");
}

#[tokio::test]
async fn when_postgresql_refuses_connections_readiness_and_reads_answer_503_quickly() {
    let Some(admin) = postgres_admin_url("health: PostgreSQL unreachable") else {
        return;
    };
    let url = fresh_postgres_db(&admin).await;
    let app = spawn_app_on(&url).await;
    app.load_fixture().await;
    assert_eq!(readyz(&app).await.0, 200);
    // The database stops taking connections and drops the ones it has: as unreachable as a
    // stopped server, from the node's side.
    let name = url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let mut pg = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&mut pg)
        .await
        .unwrap();
    sqlx::query(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut pg)
    .await
    .unwrap();
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 503, "{body}");
    assert!(reasons(&body).contains("database"), "{body}");
    // A read that needs the store: a 503 naming the cause, not a 500.
    let (status, body) = app.get("/api/v1/alerts/history?unit=hn").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");

    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&mut pg)
        .await
        .unwrap();
    // The pool reconnects by itself; readiness follows.
    let mut ok = false;
    for _ in 0..50 {
        if readyz(&app).await.0 == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok, "ready again once the database takes connections");
}

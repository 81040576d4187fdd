//! Several nodes on one PostgreSQL (issue 20), first part: one writer at a time, chosen through
//! PostgreSQL. A second node on the same database refuses to start and names the writer; the
//! database is free again the moment the writer stops or is killed; a node whose lock connection
//! was cut takes the lease again; a writer whose lease another node took has its writes refused
//! (the fence) until it takes the lease back. Real PostgreSQL (`IOC_TEST_POSTGRES_URL`), real
//! processes.

use ioc::clock::ClockMode;
use ioc_tests::{
    fresh_postgres_db, postgres_admin_url, spawn_app_on, start_process, task_event, test_limits,
    START,
};
use serde_json::{json, Value};
use sqlx::Connection;
use std::time::Duration;

async fn lease_row(url: &str) -> (i64, String) {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::query_as("SELECT epoch, node FROM writer_lease WHERE id = 1")
        .fetch_one(&mut conn)
        .await
        .expect("the lease row")
}

/// Ends the session that holds the writer's advisory lock on this database.
const END_THE_LOCK_SESSION: &str =
    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted \
     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";

/// A node with the fixture on a fresh PostgreSQL database (`None`: no PostgreSQL, said loudly).
async fn node_on_postgres(test: &str) -> Option<(String, ioc_tests::TestApp)> {
    let admin = postgres_admin_url(test)?;
    let url = fresh_postgres_db(&admin).await;
    let app = spawn_app_on(&url).await;
    app.load_fixture().await;
    Some((url, app))
}

#[tokio::test]
async fn a_second_node_on_the_same_postgresql_refuses_naming_the_writer_and_starts_once_it_stopped()
{
    let Some(admin) = postgres_admin_url("many nodes: a second node refused") else {
        return;
    };
    let url = fresh_postgres_db(&admin).await;
    let first = spawn_app_on(&url).await;
    first.load_fixture().await;
    first
        .ingest(json!([task_event("e1", "t1", "w2", "2026-12-01", START)]))
        .await;
    let (epoch, holder) = lease_row(&url).await;
    assert_eq!(epoch, 1, "the first taking");
    assert!(
        holder.contains(&format!("pid {}", std::process::id())),
        "{holder}"
    );

    let refused = match ioc::open(&url, ClockMode::Manual, test_limits()).await {
        Ok(_) => panic!("a second node opened on a database that has a writer"),
        Err(e) => e.to_string(),
    };
    assert!(refused.contains("already the writer"), "{refused}");
    assert!(refused.contains(&holder), "names the writer: {refused}");
    assert!(refused.contains("lease 1"), "{refused}");

    // The refusal changed nothing: the first node is still the writer and still takes writes.
    assert_eq!(lease_row(&url).await.0, 1);
    first
        .ingest(json!([task_event("e2", "t2", "w2", "2026-12-01", START)]))
        .await;
    let (status, ready) = first.get("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    let tasks = ready["tasks_cached"].as_u64().expect("tasks_cached");

    // Stopped, it lets the lease go (after its writer committed everything): the next node
    // starts, takes the lease (epoch 2) and has every task.
    first.stop().await;
    let (node, node_tasks) = ioc::open(&url, ClockMode::Manual, test_limits())
        .await
        .expect("a node starts once the writer stopped");
    let lease = node
        .lease
        .clone()
        .expect("a PostgreSQL node holds the lease");
    assert!(lease.held());
    assert_eq!(lease.epoch(), 2);
    assert_eq!(lease_row(&url).await.0, 2);
    assert_eq!(node.rollup.task_count() as u64, tasks);
    ioc::close(node, node_tasks).await;
}

#[tokio::test]
async fn the_binary_refuses_a_second_node_and_a_killed_writer_frees_the_database_at_once() {
    let Some(admin) = postgres_admin_url("many nodes: kill -9 of the writer") else {
        return;
    };
    let url = fresh_postgres_db(&admin).await;
    let bin = env!("CARGO_BIN_EXE_ioc-e2e");
    let (mut first, base) = start_process(bin, &url, &[]);
    let client = reqwest::Client::new();
    let ready = |base: String| {
        let client = client.clone();
        async move {
            let r = client
                .get(format!("{base}/readyz"))
                .send()
                .await
                .expect("GET");
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    assert_eq!(ready(base.clone()).await.0, 200);
    let holder = lease_row(&url).await.1;
    assert!(holder.contains(&format!("pid {}", first.id())), "{holder}");

    // A second process on the same database: it exits with an error naming the writer.
    let mut second = std::process::Command::new(bin)
        .args(["serve", "--clock", "manual"])
        .env("IOC_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", &url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start a second node");
    let status = ioc_tests::exits_within(&mut second, Duration::from_secs(60));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "refused with a failure status: {stderr}");
    assert!(stderr.contains("already the writer"), "{stderr}");
    assert!(stderr.contains(&holder), "names the writer: {stderr}");

    // kill -9 of the writer: PostgreSQL ends its session, and with it the lock. A new node
    // starts on the same database without waiting for any timeout.
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    let (mut third, base) = start_process(bin, &url, &[]);
    let (status, body) = ready(base.clone()).await;
    assert_eq!(status, 200, "{body}");
    let (epoch, holder) = lease_row(&url).await;
    assert_eq!(epoch, 2, "taken a second time");
    assert!(holder.contains(&format!("pid {}", third.id())), "{holder}");
    let _ = third.kill();
    let _ = third.wait();
}

#[tokio::test]
async fn a_node_whose_lock_connection_was_cut_takes_the_lease_again() {
    let Some((url, app)) = node_on_postgres("many nodes: the lock connection cut").await else {
        return;
    };
    // End the lease's own session from outside (as a database restart or a cut network would).
    let cut: Vec<bool> = sqlx::query_scalar(END_THE_LOCK_SESSION)
        .fetch_all(&mut sqlx::PgConnection::connect(&url).await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        cut,
        vec![true],
        "the one session holding the lock was ended"
    );
    // The node notices within its check interval and takes the lease again: epoch 2, held by
    // the same node, and readiness 200 again.
    let mut back = false;
    for _ in 0..200 {
        let (status, _) = app.get("/readyz").await;
        if status == 200 && lease_row(&url).await.0 == 2 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(back, "the node took the lease again");
    assert!(lease_row(&url)
        .await
        .1
        .contains(&format!("pid {}", std::process::id())));
    app.ingest(json!([task_event("e9", "t9", "w2", "2026-12-01", START)]))
        .await;
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
}

/// Ends the session holding the writer's lock and takes the lock on `intruder` before the node
/// takes it back (it checks once a second; if it wins a round, the test tries again).
async fn take_the_lock_from_the_node(url: &str, intruder: &mut sqlx::PgConnection) {
    sqlx::query("SET lock_timeout = '3s'")
        .execute(&mut *intruder)
        .await
        .unwrap();
    for _ in 0..5 {
        let mut other = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(END_THE_LOCK_SESSION)
            .execute(&mut other)
            .await
            .unwrap();
        let taken = sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(ioc::store::lease::KEY)
            .execute(&mut *intruder)
            .await;
        if taken.is_ok() {
            return;
        }
    }
    panic!("the node took its lock back first five times in a row");
}

#[tokio::test]
async fn a_node_whose_lease_another_node_took_refuses_writes_until_it_takes_it_back() {
    let Some((url, app)) = node_on_postgres("many nodes: the fence").await else {
        return;
    };
    let events = |url: String| async move {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM events")
            .fetch_one(&mut c)
            .await
            .unwrap()
    };
    let before = events(url.clone()).await;

    // Another node takes the lease over while this one still runs (its lock connection was cut,
    // as a network partition would): it holds the lock and bumps the epoch.
    let mut other_node = sqlx::PgConnection::connect(&url).await.unwrap();
    take_the_lock_from_the_node(&url, &mut other_node).await;
    let epoch: i64 = sqlx::query_scalar(
        "UPDATE writer_lease SET epoch = epoch + 1, node = 'node-b (pid 1)' WHERE id = 1 RETURNING epoch",
    )
    .fetch_one(&mut other_node)
    .await
    .unwrap();
    assert_eq!(epoch, 2);

    // The old writer's next write is refused as unavailable (a client retries; the reason is in
    // the node's log and on its readiness, below) and stores nothing.
    let (status, body) = app
        .post(
            "/api/v1/events",
            &json!([task_event("e1", "t1", "w2", "2026-12-01", START)]),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert_eq!(events(url.clone()).await, before, "nothing was stored");
    assert_eq!(app.get("/api/v1/tasks/t1").await.0, 404, "nor applied");
    // Its readiness says who the writer is.
    let mut named = false;
    for _ in 0..100 {
        let (status, body) = app.get("/readyz").await;
        if status == 503 && body["reasons"].to_string().contains("node-b") {
            named = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(named, "readiness names the node that holds the lease");

    // The other node goes away: this one takes the lease back (epoch 3) and writes again; the
    // refused event is new to it.
    other_node.close().await.unwrap();
    let mut back = false;
    for _ in 0..200 {
        if lease_row(&url).await.0 == 3 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(back, "the node took the lease back");
    app.ingest_new(json!([task_event("e1", "t1", "w2", "2026-12-01", START)]))
        .await;
    assert_eq!(events(url.clone()).await, before + 1);
    // Readiness is clear again once a commit went through.
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
}

//! The board at a past moment (`?at=`): the demo simulator runs with the clock moving while the
//! live views are saved at random moments; afterwards each saved view equals the view as of its
//! moment, field by field, with checkpoints taken in between and again after a restart. Then
//! the refusals: a moment to come, a moment before history began (a database from before history
//! was kept), a malformed moment, and a unit outside the caller's scope.

use chrono::{DateTime, SecondsFormat, Utc};
use ioc::clock::ClockMode;
use ioc_tests::{bearer_client, credentials, sign_in, ADMIN_PASSWORD};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const START: &str = "2026-03-02T08:00:00+07:00";

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn rfc(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ts)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

struct Server {
    node: ioc::Node,
    base: String,
    client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

/// Checkpoints after every 15 history rows, looked for every second: several are taken during
/// the run.
fn limits() -> ioc::http::Limits {
    let mut limits = ioc_tests::test_limits();
    limits.history = ioc::asof::HistoryConfig {
        checkpoint_commits: 15,
        checkpoint_minutes: 100_000,
        cached_moments: 2,
        check_seconds: 1,
    };
    limits
}

async fn start(url: &str) -> Server {
    let (node, tasks) = ioc::open(url, ClockMode::Manual, limits())
        .await
        .expect("node opens");
    ioc::ingest::accounts::first_run(&node.writer, &node.auth, Some(ADMIN_PASSWORD.into()))
        .await
        .expect("the first-run admin");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = node.clone();
    let server = tokio::spawn(async move {
        ioc::serve(listener, served.clone(), async {
            let _ = stopped.await;
        })
        .await
        .expect("serve");
        ioc::close(served, tasks).await;
    });
    let (admin, _) = credentials(&base).await;
    Server {
        node,
        client: bearer_client(&admin),
        base,
        stop,
        server,
    }
}

impl Server {
    async fn get(&self, path: &str) -> (u16, Value) {
        get_with(&self.client, &self.base, path).await
    }

    async fn stop(self) {
        drop(self.node);
        let _ = self.stop.send(());
        self.server.await.expect("server task");
    }

    async fn clock(&self, now: i64) {
        let r = self
            .client
            .post(format!("{}/api/v1/clock", self.base))
            .json(&json!({ "now": rfc(now) }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the clock moves");
    }

    async fn checkpoints(&self) -> u64 {
        let h = self.node.store.history();
        let first = h
            .first_checkpoint()
            .await
            .unwrap()
            .expect("a first checkpoint");
        let last = h
            .last_checkpoint()
            .await
            .unwrap()
            .expect("a last checkpoint");
        // Not a count of rows, but enough to tell "one" from "more than one".
        if last.seq > first.seq {
            2
        } else {
            1
        }
    }
}

async fn get_with(client: &reqwest::Client, base: &str, path: &str) -> (u16, Value) {
    let r = client.get(format!("{base}{path}")).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// What a view carries that says when it was read, not what it showed: the live rollup's
/// batch count. The as-of view carries the history row's number instead.
fn shown(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("commit");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    // The live unit view carries the alert count of its screens; a past one carries none yet
    // (the alerts active then are not replayed: said in the README).
    if let Some(m) = v.as_object_mut() {
        m.remove("alerts");
    }
    v
}

fn with_at(path: &str, at: i64) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}at={}", urlencode(&rfc(at)))
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_saved_view_equals_the_view_as_of_its_moment_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    the_past_equals_what_was_shown(&format!("sqlite://{}/ioc.db", dir.path().display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_saved_view_equals_the_view_as_of_its_moment_on_postgres() {
    let Some(admin) = ioc_tests::postgres_admin_url("asof on PostgreSQL") else {
        return;
    };
    the_past_equals_what_was_shown(&ioc_tests::fresh_postgres_db(&admin).await).await;
}

/// Deletes the kept past, as a database from before history was kept would have none.
async fn wipe_history(url: &str) {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query("DELETE FROM history")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("DELETE FROM checkpoints")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query("DELETE FROM history")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("DELETE FROM checkpoints")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}

async fn the_past_equals_what_was_shown(url: &str) {
    let url = url.to_string();
    let t0 = ms(START);
    let server = start(&url).await;
    server.node.writer.tick(t0).await.unwrap();
    ioc::demo::seed(
        &server.node.writer,
        &server.node.rollup,
        &ioc::demo::DemoSize::small(),
        t0,
        21,
    )
    .await
    .expect("the demo city");
    let root = server
        .node
        .rollup
        .units()
        .into_iter()
        .find(|u| u.parent.is_none())
        .unwrap()
        .id;
    let mut units = server.node.rollup.unit_ids();
    units.sort();
    let mut people = server.node.rollup.person_ids();
    people.sort();

    // The run: the clock moves by hours to days, the simulator writes, views are saved.
    let mut rng = SmallRng::seed_from_u64(2026);
    let mut sim = ioc::demo::Simulator::new(7);
    let mut now = t0;
    let mut saved: Vec<(i64, String, Value)> = Vec::new();
    let mut scores: Vec<(i64, ioc::domain::Id, Value)> = Vec::new();
    for step in 0..40 {
        now += rng.gen_range(1..=36) * 3_600_000 + rng.gen_range(0..3_600_000);
        server.clock(now).await;
        let events = sim.batch(&server.node.rollup, rng.gen_range(20..80), now);
        server
            .node
            .writer
            .ingest(events, &ioc::auth::Actor::system("demo-simulator"))
            .await
            .unwrap_or_else(|e| panic!("step {step}: {e}"));
        if rng.gen_bool(0.6) {
            let unit = &units[rng.gen_range(0..units.len())];
            let person = &people[rng.gen_range(0..people.len())];
            let paths = [
                format!("/api/v1/units/{root}/view"),
                format!("/api/v1/units/{unit}/view"),
                format!("/api/v1/units/{unit}/kpis"),
                format!("/api/v1/people/{person}/view"),
                format!("/api/v1/units/{root}/tasks?limit=20"),
                format!("/api/v1/units/{unit}/tasks?due=soon&days=14"),
                format!("/api/v1/units/{unit}/people?limit=30"),
                format!("/api/v1/units/{root}/okrs"),
                format!("/api/v1/units/{root}/kpis/red?limit=40"),
            ];
            for p in paths {
                let (status, body) = server.get(&p).await;
                assert_eq!(status, 200, "{p}: {body}");
                saved.push((now, p, body));
            }
            // The person's score as the evaluation screen showed it then, for an appeal.
            let (status, body) = server
                .get(&format!("/api/v1/evaluations/people/{person}"))
                .await;
            assert_eq!(status, 200, "{body}");
            scores.push((now, person.clone(), body));
        }
    }
    assert!(saved.len() > 100, "only {} views saved", saved.len());
    // Checkpoints were taken during the run (every 15 history rows, checked every second).
    let mut waited = 0;
    while server.checkpoints().await < 2 && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(
        server.checkpoints().await,
        2,
        "no checkpoint after the first"
    );

    let compare = |label: &'static str, base: String, client: reqwest::Client| {
        let saved = saved.clone();
        async move {
            let mut overdue_seen = false;
            for (at, path, live) in &saved {
                let (status, past) = get_with(&client, &base, &with_at(path, *at)).await;
                assert_eq!(status, 200, "{label}: {path} at {}: {past}", rfc(*at));
                assert_eq!(
                    shown(past.clone()),
                    shown(live.clone()),
                    "{label}: {path} at {} differs from what the board showed then",
                    rfc(*at)
                );
                overdue_seen |= live["tasks"]["overdue"].as_i64().unwrap_or(0) > 0;
            }
            assert!(
                overdue_seen,
                "{label}: no saved view had overdue work: the clock did not matter"
            );
        }
    };
    compare("after the run", server.base.clone(), server.client.clone()).await;
    // The views differ between moments: the equality above is not the same view every time.
    let first_root = &saved[0].2;
    let last_root = saved
        .iter()
        .rev()
        .find(|(_, p, _)| p == &saved[0].1)
        .unwrap();
    assert_ne!(
        shown(first_root.clone()),
        shown(last_root.2.clone()),
        "the board never moved"
    );

    // Evaluations as they stood: the score then equals what the screen showed then, beside the
    // score now (which moved on: later work counts too).
    let mut moved = false;
    for (at, person, live) in &scores {
        let period = live["score"]["period"].as_str().unwrap();
        let (status, out) = server
            .get(&with_at(
                &format!("/api/v1/evaluations/people/{person}/as-of?period={period}"),
                *at,
            ))
            .await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["then"], *live, "{person} at {}", rfc(*at));
        assert_eq!(out["frozen"], Value::Null, "the period is open");
        assert_eq!(out["now"]["person"], live["score"]["person"]);
        moved |= out["now"] != live["score"];
    }
    assert!(!scores.is_empty());
    assert!(
        moved,
        "no score moved since its moment: the comparison proves nothing"
    );

    server.stop().await;
    let server = start(&url).await;
    compare(
        "after a restart",
        server.base.clone(),
        server.client.clone(),
    )
    .await;

    // A moment to come, and one that is not a time: 422 naming `at`, nothing else said.
    let path = format!("/api/v1/units/{root}/view");
    let (status, body) = server.get(&with_at(&path, now + 60_000)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "at", "{body}");
    assert_eq!(body["error"]["reason"], "at_future", "{body}");
    let (status, body) = server.get(&format!("{path}?at=yesterday")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["reason"], "at_invalid", "{body}");

    // Scope: a ward's leader reads its own ward as of a moment, not another ward's (403).
    let ward = units
        .iter()
        .find(|u| {
            server
                .node
                .rollup
                .unit(u)
                .is_some_and(|x| x.parent.as_ref() != Some(&root) && x.parent.is_some())
        })
        .cloned()
        .unwrap();
    let above_ward = server.node.rollup.ancestors(&ward);
    let other = units
        .iter()
        .find(|u| {
            **u != ward
                && !above_ward.contains(u)
                && !server.node.rollup.ancestors(u).contains(&ward)
        })
        .cloned()
        .unwrap();
    let r = server
        .client
        .post(format!("{}/api/v1/accounts", server.base))
        .json(&json!({"id": "ward-viewer", "name": "ward-viewer", "password": "ward-viewer-password-1", "grants": [{"role": "viewer", "unit": ward}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let viewer = bearer_client(
        &sign_in(&server.base, "ward-viewer", "ward-viewer-password-1")
            .await
            .unwrap(),
    );
    let moment = saved[saved.len() / 2].0;
    let (status, body) = get_with(
        &viewer,
        &server.base,
        &with_at(&format!("/api/v1/units/{ward}/view"), moment),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get_with(
        &viewer,
        &server.base,
        &with_at(&format!("/api/v1/units/{other}/view"), moment),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    server.stop().await;

    // A database from before history was kept: history begins when the server starts on it,
    // and an earlier moment is refused with where history begins, not guessed.
    wipe_history(&url).await;
    let server = start(&url).await;
    let (status, body) = server.get(&with_at(&path, moment)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["reason"], "history_missing", "{body}");
    let (status, body) = server.get(&with_at(&path, now)).await;
    assert_eq!(status, 200, "history begins at the restart's clock: {body}");
    assert_eq!(
        shown(body),
        shown(server.get(&path).await.1),
        "the moment history began"
    );
    server.stop().await;
}

//! Several nodes on one PostgreSQL and one Redis (issue 20): any node serves any screen, a write
//! sent to any node lands once on every node, a writer killed with -9 is replaced within
//! seconds with nothing acknowledged lost (an alert feed moving off it included), Redis
//! restarted empty costs nothing but a read of the change log, and a node cut off from Redis or
//! from PostgreSQL recovers alone. Real PostgreSQL (`IOC_TEST_POSTGRES_URL`), a real `redis-server`, real
//! sockets and, for the kill, real processes.

use ioc_tests::cluster::{cluster_node, get_as, load_fixture_through, post_as, ClusterNode};
use ioc_tests::redis::redis_server;
use ioc_tests::{
    credentials, fresh_postgres_db, postgres_admin_url, task_event, ws_connect, START,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The three nodes agree on `unit`'s view at commit `commit` or later.
async fn views_agree(nodes: &[&ClusterNode], cred: &str, unit: &str, commit: u64) -> Value {
    let mut seen: Vec<Value> = Vec::new();
    for n in nodes {
        n.wait_for_commit(commit).await;
    }
    let top = nodes
        .iter()
        .map(|n| n.node.rollup.commit())
        .max()
        .unwrap_or(0);
    for n in nodes {
        n.wait_for_commit(top).await;
        let (status, body) = get_as(&n.base, cred, &format!("/api/v1/units/{unit}/view")).await;
        assert_eq!(status, 200, "{}: {body}", n.base);
        // Whole: with the manual clock even `as_of` is the same on every node.
        seen.push(body);
    }
    for (i, v) in seen.iter().enumerate().skip(1) {
        assert_eq!(
            v, &seen[0],
            "node {} and node {} disagree on {unit} at commit {top}",
            nodes[i].base, nodes[0].base
        );
    }
    seen.remove(0)
}

/// The nodes agree on the city's view at `commit` or later, and each holds what the store does.
async fn settled(nodes: &[&ClusterNode], feed: &str, commit: u64) {
    views_agree(nodes, feed, "hn", commit).await;
    each_equals_the_store(nodes).await;
}

/// The first admin's and the feed's credentials, signed in on the writer `a`, with the fixture
/// loaded through it and applied on the follower `b`.
async fn loaded(a: &ClusterNode, b: &ClusterNode) -> (String, String) {
    let (admin, feed) = credentials(&a.base).await;
    load_fixture_through(&a.base, &admin).await;
    b.wait_for_log(a.node.store.log_written()).await;
    (admin, feed)
}

/// A fresh PostgreSQL database and a Redis of the test's own, with `n` nodes on them (the first
/// the writer), or `None` when either is missing here (said loudly).
async fn cluster_of(
    test: &str,
    n: usize,
) -> Option<(String, ioc_tests::redis::RedisServer, Vec<ClusterNode>)> {
    let admin_url = postgres_admin_url(test)?;
    let redis = redis_server(test)?;
    let url = fresh_postgres_db(&admin_url).await;
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(cluster_node(&url, &redis.url()).await);
    }
    Some((url, redis, nodes))
}

/// Each node's rollup is exactly what the store recomputes.
async fn each_equals_the_store(nodes: &[&ClusterNode]) {
    for n in nodes {
        let recomputed = ioc::rollup::check::recompute(&*n.node.store, n.node.rollup.now())
            .await
            .expect("recompute");
        assert_eq!(
            n.node.rollup.dump(),
            recomputed,
            "{} differs from the store",
            n.base
        );
    }
}

#[tokio::test]
async fn three_nodes_follow_one_writer_and_a_write_on_any_node_reaches_every_screen() {
    let Some((_, _redis, nodes)) = cluster_of("three nodes: follow and forward", 3).await else {
        return;
    };
    let [a, b, c]: [ClusterNode; 3] = nodes.try_into().ok().expect("the nodes");
    assert_eq!(a.role().await, "writer");
    assert_eq!(b.role().await, "follower");
    assert_eq!(c.role().await, "follower");

    // Everything through a follower: the sign-in, the token, the clock, the catalog are writes
    // it forwards, answered as the writer answers them.
    let (admin, feed) = credentials(&b.base).await;
    load_fixture_through(&b.base, &admin).await;
    let (status, refused) = post_as(&c.base, &admin, "/api/v1/units", &json!({"id": "hn"})).await;
    assert_eq!(
        status, 422,
        "a bad write through a follower keeps its answer: {refused}"
    );

    // A browser signs in on C with a password: the cookie set by the writer comes back through
    // C, and a cookie write carrying the CSRF token goes through C too (without it, refused).
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/session", c.base))
        .json(&json!({"login": "admin", "password": ioc_tests::ADMIN_PASSWORD}))
        .send()
        .await
        .expect("sign in");
    let cookie = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("ioc_session="))
        .and_then(|v| v.split(';').next())
        .expect("the sign-in through C sets the session cookie")
        .to_string();
    let signed: Value = answer.json().await.expect("JSON");
    let csrf = signed["csrf"].as_str().expect("csrf").to_string();
    let browser = reqwest::Client::builder()
        .default_headers({
            let mut h = reqwest::header::HeaderMap::new();
            h.insert("cookie", format!("ioc_session={cookie}").parse().unwrap());
            h
        })
        .build()
        .expect("a client");
    let unit = json!({"id": "p-9", "name": "Phường Chín", "level": "ward", "parent": "hn"});
    let refused = browser
        .post(format!("{}/api/v1/units", c.base))
        .json(&unit)
        .send()
        .await
        .expect("POST");
    assert_eq!(
        refused.status().as_u16(),
        403,
        "a cookie write without the CSRF token"
    );
    let made = browser
        .post(format!("{}/api/v1/units", c.base))
        .header("x-csrf-token", &csrf)
        .json(&unit)
        .send()
        .await
        .expect("POST");
    assert_eq!(
        made.status().as_u16(),
        201,
        "a cookie write through a follower"
    );
    let (status, got) = get_as(&c.base, &admin, "/api/v1/units/p-9/view").await;
    assert_eq!(status, 200, "the follower has the unit it forwarded: {got}");

    // A screen on C watches the ward; the event goes to B.
    let mut ws = ws_connect(
        &c.addr.to_string(),
        &[("authorization", format!("Bearer {admin}"))],
    )
    .await
    .expect("a WebSocket on a follower");
    ws.subscribe("unit", "p-1").await;
    let before = ws.view_at("unit", "p-1", 0).await;
    let tasks_before = before["data"]["summary"]["tasks"]["total"]
        .as_u64()
        .expect("task total");

    let (status, ack) = post_as(
        &b.base,
        &feed,
        "/api/v1/events",
        &json!([task_event("e1", "t1", "w2", "2026-12-01", START)]),
    )
    .await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(ack["accepted"], 1, "{ack}");
    let commit = ack["commit"].as_u64().expect("the ack's commit");
    // B answered only once it had the write itself: a read there includes it at once.
    assert!(
        b.node.rollup.commit() >= commit,
        "B answered before applying its own write"
    );
    let (_, on_b) = get_as(&b.base, &feed, "/api/v1/units/p-1/view").await;
    assert_eq!(
        on_b["summary"]["tasks"]["total"].as_u64(),
        Some(tasks_before + 1),
        "{on_b}"
    );

    let frame = ws.view_at("unit", "p-1", commit).await;
    assert_eq!(
        frame["data"]["summary"]["tasks"]["total"].as_u64(),
        Some(tasks_before + 1),
        "the screen on C shows the event sent to B: {frame}"
    );
    let agreed = views_agree(&[&a, &b, &c], &feed, "p-1", commit).await;
    assert_eq!(
        agreed["summary"]["tasks"]["total"].as_u64(),
        Some(tasks_before + 1)
    );

    // A replay through another node is a duplicate, not a second task.
    let (status, again) = post_as(
        &c.base,
        &feed,
        "/api/v1/events",
        &json!([task_event("e1", "t1", "w2", "2026-12-01", START)]),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["duplicates"], 1, "{again}");

    // A revoked token stops working on every node, not only the one that revoked it.
    let (status, token) = post_as(
        &a.base,
        &admin,
        "/api/v1/tokens",
        &json!({"name": "short-lived", "units": ["p-1"], "permissions": ["read"]}),
    )
    .await;
    assert_eq!(status, 201, "{token}");
    let secret = token["token"].as_str().expect("token").to_string();
    let id = token["id"].as_str().expect("id").to_string();
    // Made on A, used on C: C has it once it applied A's record of it.
    c.wait_for_log(a.node.store.log_written()).await;
    let mut watched = ws_connect(
        &c.addr.to_string(),
        &[("authorization", format!("Bearer {secret}"))],
    )
    .await
    .expect("the token opens a socket on C");
    watched.subscribe("unit", "p-1").await;
    watched.view_at("unit", "p-1", 0).await;
    let revoked = ioc_tests::bearer_client(&admin)
        .delete(format!("{}/api/v1/tokens/{id}", b.base))
        .send()
        .await
        .expect("DELETE");
    assert!(revoked.status().is_success(), "revoke through B");
    let start = Instant::now();
    loop {
        let (status, _) = get_as(&c.base, &secret, "/api/v1/units/p-1/view").await;
        if status == 401 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "C still takes a token revoked on B"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    match watched.next_message().await {
        ioc_tests::WsEvent::Closed(code) => assert_eq!(code, Some(4001), "closed as revoked"),
        ioc_tests::WsEvent::Json(v) => {
            // Frames already under way may come first; the close follows at the heartbeat.
            let _ = v;
            loop {
                if let ioc_tests::WsEvent::Closed(code) = watched.next_message().await {
                    assert_eq!(code, Some(4001), "closed as revoked");
                    break;
                }
            }
        }
    }

    // Each follower's rollup is exactly what the store recomputes.
    each_equals_the_store(&[&a, &b, &c]).await;
    c.stop().await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn redis_restarted_empty_mid_load_costs_the_followers_nothing() {
    let Some((_, mut redis, nodes)) = cluster_of("three nodes: redis restarted", 2).await else {
        return;
    };
    let [a, b]: [ClusterNode; 2] = nodes.try_into().ok().expect("the nodes");
    let (admin, feed) = credentials(&a.base).await;
    load_fixture_through(&a.base, &admin).await;
    let mut last = 0;
    for i in 0..60 {
        if i == 20 {
            redis.kill();
        }
        if i == 39 {
            // Redis has been down for 19 events: B has each of them all the same, read from
            // the change log.
            b.wait_for_commit(last).await;
            assert_eq!(b.node.cluster.source(), ioc::cluster::Source::Log);
        }
        if i == 40 {
            redis.restart();
        }
        let id = format!("r{i}");
        let (status, ack) = post_as(
            &b.base,
            &feed,
            "/api/v1/events",
            &json!([task_event(
                &id,
                &format!("rt{i}"),
                "w2",
                "2026-12-01",
                START
            )]),
        )
        .await;
        assert_eq!(status, 200, "event {i}: {ack}");
        last = ack["commit"].as_u64().expect("commit");
    }
    settled(&[&a, &b], &feed, last).await;
    // After the restart the stream carries commits again.
    let (status, ack) = post_as(
        &b.base,
        &feed,
        "/api/v1/events",
        &json!([task_event("after", "rt-after", "w2", "2026-12-01", START)]),
    )
    .await;
    assert_eq!(status, 200, "{ack}");
    b.wait_for_commit(ack["commit"].as_u64().unwrap()).await;
    b.stop().await;
    a.stop().await;
}

/// Posts `events` to `bases` in turn until one acknowledges them, sending the same ids again
/// after a 503 or a broken connection, as a client of a load balancer does.
async fn post_until_acknowledged(bases: &[String], feed: &str, events: &Value) -> Value {
    let client = ioc_tests::bearer_client(feed);
    let start = Instant::now();
    let mut turn = 0;
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no node took {events}"
        );
        let base = &bases[turn % bases.len()];
        turn += 1;
        match client
            .post(format!("{base}/api/v1/events"))
            .json(events)
            .timeout(Duration::from_secs(10))
            .send()
            .await
        {
            Ok(r) if r.status().as_u16() == 200 => return r.json().await.expect("JSON"),
            Ok(r) if r.status().as_u16() == 503 => {
                assert!(
                    r.headers().contains_key("retry-after"),
                    "a 503 says when to retry"
                );
            }
            Ok(r) => {
                let status = r.status();
                panic!("{status}: {}", r.text().await.unwrap_or_default())
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_writer_killed_under_load_is_replaced_and_nothing_acknowledged_is_lost() {
    let Some(admin_url) = postgres_admin_url("three nodes: kill -9 of the writer") else {
        return;
    };
    let Some(redis) = redis_server("three nodes: kill -9 of the writer") else {
        return;
    };
    let url = fresh_postgres_db(&admin_url).await;
    let bin = env!("CARGO_BIN_EXE_ioc-e2e");
    let args = ["--redis-url", &redis.url()];
    let (mut writer, wa) = ioc_tests::start_process(bin, &url, &args);
    let (mut f1, fb) = ioc_tests::start_process(bin, &url, &args);
    let (mut f2, fc) = ioc_tests::start_process(bin, &url, &args);
    let (admin, feed) = credentials(&fb).await;
    load_fixture_through(&fc, &admin).await;
    let role = |base: String| async move {
        let v: Value = reqwest::get(format!("{base}/readyz"))
            .await
            .expect("readyz")
            .json()
            .await
            .unwrap_or(Value::Null);
        v["role"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(role(wa.clone()).await, "writer");

    // A screen on each follower, kept through the kill.
    let mut screens = Vec::new();
    for base in [&fb, &fc] {
        let addr = base.trim_start_matches("http://").to_string();
        let mut ws = ws_connect(&addr, &[("authorization", format!("Bearer {admin}"))])
            .await
            .expect("a socket");
        ws.subscribe("unit", "hn").await;
        ws.view_at("unit", "hn", 0).await;
        screens.push(ws);
    }

    // An alert feed on the writer, which will move to a survivor when the writer dies.
    let mut alerts_ws = ws_connect(
        wa.trim_start_matches("http://"),
        &[("authorization", format!("Bearer {admin}"))],
    )
    .await
    .expect("an alert socket on the writer");
    alerts_ws
        .send_json(&json!({"op": "subscribe", "view": "alerts", "id": "hn"}))
        .await;
    let ok = alerts_ws
        .until("subscribed_alerts", |v| v["type"] == "subscribed_alerts")
        .await;
    let start = ok["last_id"].as_i64().expect("last_id");
    let mut ids = Vec::new();

    let followers = vec![fb.clone(), fc.clone()];
    let mut acked = Vec::new();
    let mut killed_at = None;
    let mut took_over_in = None;
    for i in 0..120 {
        if i == 40 {
            // Forty flips are in: the feed on the writer has its first alerts.
            alerts_ws.read_alerts(&mut ids, 10).await;
            writer.kill().expect("kill -9 the writer");
            let _ = writer.wait();
            killed_at = Some(Instant::now());
        }
        let events = json!([
            task_event(
                &format!("k{i}"),
                &format!("kt{i}"),
                "w2",
                "2026-12-01",
                START
            ),
            flip(i)
        ]);
        let ack = post_until_acknowledged(&followers, &feed, &events).await;
        assert_eq!(
            ack["accepted"].as_u64().unwrap_or(0) + ack["duplicates"].as_u64().unwrap_or(0),
            2,
            "{ack}"
        );
        if let (Some(k), None) = (killed_at, took_over_in) {
            took_over_in = Some(k.elapsed());
        }
        acked.push(ack["commit"].as_u64().expect("commit"));
    }
    let took = took_over_in.expect("writes went on after the kill");
    assert!(
        took < Duration::from_secs(5),
        "the first write after the kill was acknowledged {took:?} later"
    );
    let roles = [role(fb.clone()).await, role(fc.clone()).await];
    assert!(
        roles.contains(&"writer".to_string()),
        "a follower took over: {roles:?}"
    );
    assert!(
        roles.contains(&"follower".to_string()),
        "the other follows it: {roles:?}"
    );

    // Every acknowledged task is on both surviving nodes, and the screens kept receiving.
    let last = *acked.iter().max().unwrap();
    let mut totals = Vec::new();
    for (ws, base) in screens.iter_mut().zip([&fb, &fc]) {
        let frame = ws.view_at("unit", "hn", last).await;
        totals.push(
            frame["data"]["summary"]["tasks"]["total"]
                .as_u64()
                .expect("total"),
        );
        for i in [0, 39, 40, 41, 119] {
            let (status, body) = get_as(base, &feed, &format!("/api/v1/tasks/kt{i}")).await;
            assert_eq!(status, 200, "task kt{i} on {base}: {body}");
        }
    }
    assert_eq!(totals[0], totals[1], "the two screens agree");
    assert_eq!(totals[0], 120, "every acknowledged task, once");

    // The alert feed moves to a survivor with the last id it had: it then delivers exactly the
    // history after its start, the old writer's transitions and the new one's, none twice.
    drop(alerts_ws);
    let mut moved = ws_connect(
        fc.trim_start_matches("http://"),
        &[("authorization", format!("Bearer {admin}"))],
    )
    .await
    .expect("an alert socket on a survivor");
    let after = *ids.last().expect("alerts read on the writer");
    moved
        .send_json(&json!({"op": "subscribe", "view": "alerts", "id": "hn", "after": after}))
        .await;
    moved
        .until("subscribed_alerts", |v| v["type"] == "subscribed_alerts")
        .await;
    let (status, history) = get_as(&fb, &admin, "/api/v1/alerts/history?unit=hn&limit=5000").await;
    assert_eq!(status, 200, "{history}");
    moved
        .read_alerts_to_history(&mut ids, &history, start, 100)
        .await;

    // The audit chain verifies: no fork across the takeover.
    let (status, verdict) = get_as(&fb, &admin, "/api/v1/audit/verify").await;
    assert_eq!(status, 200, "{verdict}");
    assert_eq!(verdict["ok"], true, "{verdict}");
    let _ = f1.kill();
    let _ = f2.kill();
    let _ = f1.wait();
    let _ = f2.wait();
}

#[tokio::test]
async fn a_follower_that_cannot_follow_says_so_on_readiness_and_to_its_screens() {
    let Some((_, _redis, nodes)) = cluster_of("three nodes: a follower behind", 2).await else {
        return;
    };
    let [a, b]: [ClusterNode; 2] = nodes.try_into().ok().expect("the nodes");
    let (admin, _) = credentials(&a.base).await;
    b.wait_for_log(a.node.store.log_written()).await;
    let (status, ready) = b.ready().await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["role"], "follower");
    let mut ws = ws_connect(
        &b.addr.to_string(),
        &[("authorization", format!("Bearer {admin}"))],
    )
    .await
    .expect("a socket on the follower");
    ws.send_json(&json!({"op": "ping"})).await;
    let pong = ws.until("a pong", |v| v["type"] == "pong").await;
    assert!(
        pong.get("behind").is_none(),
        "a follower in step says nothing: {pong}"
    );

    b.node
        .cluster
        .break_with("the change log no longer holds the commits after 7 (test)".into());
    let (status, ready) = b.ready().await;
    assert_eq!(status, 503, "{ready}");
    let reasons = ready["reasons"].to_string();
    assert!(
        reasons.contains("no longer holds the commits after 7"),
        "{reasons}"
    );
    // The screens hear it with their next pong, once the follower's loop passed it on (≤ 1 s).
    let start = Instant::now();
    loop {
        ws.send_json(&json!({"op": "ping"})).await;
        let pong = ws.until("a pong", |v| v["type"] == "pong").await;
        if let Some(why) = pong["behind"].as_str() {
            assert!(
                why.contains("no longer holds the commits after 7"),
                "{pong}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no pong said the node is behind"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // It stood down: with the writer gone it does not take its place (it lacks commits).
    a.stop().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        b.role().await,
        "follower",
        "a node that cannot follow never becomes the writer"
    );
    assert!(!b.node.lease.as_ref().expect("a lease").held());
    b.stop().await;
}

/// A KPI value of p-2 that turns its alert red (even `i`) or clears it (odd): one transition each.
fn flip(i: u64) -> Value {
    let value = if i % 2 == 0 { 80.0 } else { 99.0 };
    let at = format!("2026-11-02T09:{:02}:{:02}+07:00", i / 60, i % 60);
    json!({"type": "kpi_observation", "id": format!("flip-{i}"), "at": at, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": value})
}

#[tokio::test]
async fn an_alert_feed_resumes_on_another_node_and_a_restarted_follower_rejoins() {
    let Some((url, redis, nodes)) = cluster_of("three nodes: alert feed across nodes", 3).await
    else {
        return;
    };
    let [a, b, c]: [ClusterNode; 3] = nodes.try_into().ok().expect("the nodes");
    let (admin, feed) = loaded(&a, &b).await;

    let mut ws = ws_connect(
        &b.addr.to_string(),
        &[("authorization", format!("Bearer {admin}"))],
    )
    .await
    .expect("a socket on B");
    ws.send_json(&json!({"op": "subscribe", "view": "alerts", "id": "hn"}))
        .await;
    let ok = ws
        .until("subscribed_alerts", |v| v["type"] == "subscribed_alerts")
        .await;
    let start = ok["last_id"].as_i64().expect("last_id");

    // Values stream in through C while the screen moves from B to C.
    let stream = {
        let (feed, base) = (feed.clone(), c.base.clone());
        tokio::spawn(async move {
            for i in 0..40 {
                let (status, ack) =
                    post_as(&base, &feed, "/api/v1/events", &json!([flip(i)])).await;
                assert_eq!(status, 200, "{ack}");
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
        })
    };
    let mut ids = Vec::new();
    ws.read_alerts(&mut ids, 8).await;
    drop(ws);
    let mut ws = ws_connect(
        &c.addr.to_string(),
        &[("authorization", format!("Bearer {admin}"))],
    )
    .await
    .expect("a socket on C");
    let after = *ids.last().expect("alerts read on B");
    ws.send_json(&json!({"op": "subscribe", "view": "alerts", "id": "hn", "after": after}))
        .await;
    ws.until("subscribed_alerts", |v| v["type"] == "subscribed_alerts")
        .await;
    stream.await.expect("the stream");

    let (status, history) =
        get_as(&a.base, &admin, "/api/v1/alerts/history?unit=hn&limit=5000").await;
    assert_eq!(status, 200, "{history}");
    // B then C delivered exactly the history, in order.
    ws.read_alerts_to_history(&mut ids, &history, start, 40)
        .await;

    // B stops; the city goes on; B's successor on the same database rejoins as a follower and
    // agrees with the writer, live alerts included.
    b.stop().await;
    let (status, ack) = post_as(
        &c.base,
        &feed,
        "/api/v1/events",
        &json!([
            task_event("late", "t-late", "w2", "2026-12-01", START),
            flip(41)
        ]),
    )
    .await;
    assert_eq!(status, 200, "{ack}");
    let b2 = cluster_node(&url, &redis.url()).await;
    assert_eq!(b2.role().await, "follower");
    let commit = ack["commit"].as_u64().expect("commit");
    views_agree(&[&a, &b2, &c], &feed, "hn", commit).await;
    b2.wait_for_log(a.node.store.log_written()).await;
    let alerts = |n: &ClusterNode| {
        n.node
            .alerts
            .read(|board| board.alerts.keys().cloned().collect::<Vec<_>>())
    };
    assert_eq!(
        alerts(&b2),
        alerts(&a),
        "the rejoined follower shows the writer's alerts"
    );
    assert_eq!(alerts(&c), alerts(&a));
    b2.stop().await;
    c.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_node_with_redis_refuses_to_follow_a_writer_that_runs_without_it() {
    let Some((url, redis, nodes)) = cluster_of("three nodes: a writer without redis", 0).await
    else {
        return;
    };
    assert!(nodes.is_empty());
    let alone = ioc_tests::spawn_app_on(&url).await;
    let refused = match ioc::open_cluster(
        &url,
        ioc::clock::ClockMode::Manual,
        ioc_tests::test_limits(),
        &[],
        ioc_tests::test_notify(),
        ioc::ClusterOptions {
            redis_url: redis.url(),
            address: "http://127.0.0.1:9".into(),
        },
    )
    .await
    {
        Ok(_) => panic!("a node followed a writer that publishes nothing"),
        Err(e) => e.to_string(),
    };
    assert!(refused.contains("runs without REDIS_URL"), "{refused}");
    alone.stop().await;
    // Once that writer is gone, the same node starts, as the writer.
    let node = cluster_node(&url, &redis.url()).await;
    assert_eq!(node.role().await, "writer");
    node.stop().await;
}

/// The port of a PostgreSQL URL on loopback.
fn postgres_port(url: &str) -> u16 {
    url.split_once('@')
        .and_then(|(_, r)| r.split_once('/'))
        .and_then(|(h, _)| h.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .expect("the PostgreSQL port")
}

/// A loopback TCP proxy to `to` that can cut every connection through it and refuse new ones
/// for a while: a network partition between one node and Redis.
struct Cuttable {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    conns: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Cuttable {
    async fn to(to: u16) -> Cuttable {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let conns = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (c, k) = (cut.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if c.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: refused while cut
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", to)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                k.lock().unwrap().push(task);
            }
        });
        Cuttable { port, cut, conns }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// `url` (a PostgreSQL URL on loopback) through this link.
    fn postgres_url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("@").expect("user@host");
        let (_, path) = rest.split_once('/').expect("host/database");
        format!("{scheme}@127.0.0.1:{}/{path}", self.port)
    }

    fn cut(&self, on: bool) {
        self.cut.store(on, std::sync::atomic::Ordering::SeqCst);
        if on {
            for t in self.conns.lock().unwrap().drain(..) {
                t.abort();
            }
        }
    }
}

#[tokio::test]
async fn a_follower_cut_off_from_redis_for_30_s_follows_from_the_log_and_recovers_alone() {
    let Some((url, redis, nodes)) = cluster_of("three nodes: a partition from redis", 1).await
    else {
        return;
    };
    let [a]: [ClusterNode; 1] = nodes.try_into().ok().expect("the writer");
    // B reaches Redis only through a link the test can cut.
    let link = Cuttable::to(redis.port).await;
    let b = cluster_node(&url, &link.url()).await;
    assert_eq!(b.role().await, "follower");
    let (_, feed) = loaded(&a, &b).await;

    link.cut(true);
    // The cut takes effect once the proxy's tasks are cancelled: a record already on its way
    // may still arrive through the stream, so the first event of the cut is not asked about.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cut_at = Instant::now();
    let mut i = 0;
    let mut last;
    while cut_at.elapsed() < Duration::from_secs(30) {
        let commit = one_event(&a.base, &feed, &format!("p{i}")).await;
        last = commit;
        i += 1;
        // B keeps up through the log all along, and stays ready.
        b.wait_for_commit(last).await;
        if i > 1 {
            assert_eq!(
                b.node.cluster.source(),
                ioc::cluster::Source::Log,
                "event {i}"
            );
        }
        let (status, ready) = b.ready().await;
        assert_eq!(status, 200, "cut off from Redis, B still serves: {ready}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    link.cut(false);
    // Healed: B goes back to the stream by itself.
    let healed = Instant::now();
    loop {
        let commit = one_event(&a.base, &feed, &format!("h{i}")).await;
        i += 1;
        last = commit;
        b.wait_for_commit(last).await;
        if b.node.cluster.source() == ioc::cluster::Source::Stream {
            break;
        }
        assert!(
            healed.elapsed() < Duration::from_secs(15),
            "B never went back to the stream"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    settled(&[&a, &b], &feed, last).await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn two_cities_sharing_one_redis_never_read_each_others_changes() {
    let Some((url, redis, nodes)) = cluster_of("three nodes: two cities on one redis", 2).await
    else {
        return;
    };
    let [a, b]: [ClusterNode; 2] = nodes.try_into().ok().expect("two nodes");
    let admin_url = postgres_admin_url("three nodes: two cities on one redis").expect("postgres");
    let other_url = fresh_postgres_db(&admin_url).await;
    assert_ne!(url, other_url);
    let other = cluster_node(&other_url, &redis.url()).await;
    assert_eq!(
        other.role().await,
        "writer",
        "the other city's node writes its own database"
    );
    let (admin, feed) = credentials(&a.base).await;
    load_fixture_through(&a.base, &admin).await;
    let (other_admin, other_feed) = credentials(&other.base).await;
    load_fixture_through(&other.base, &other_admin).await;
    // The other city runs far ahead of this one on the same Redis.
    for i in 0..30 {
        let (status, ack) = post_as(
            &other.base,
            &other_feed,
            "/api/v1/events",
            &json!([task_event(
                &format!("o{i}"),
                &format!("ot{i}"),
                "w2",
                "2026-12-01",
                START
            )]),
        )
        .await;
        assert_eq!(status, 200, "{ack}");
    }
    let (status, ack) = post_as(
        &a.base,
        &feed,
        "/api/v1/events",
        &json!([task_event("mine", "t-mine", "w2", "2026-12-01", START)]),
    )
    .await;
    assert_eq!(status, 200, "{ack}");
    let commit = ack["commit"].as_u64().expect("commit");
    let agreed = views_agree(&[&a, &b], &feed, "hn", commit).await;
    assert_eq!(
        agreed["summary"]["tasks"]["total"].as_u64(),
        Some(1),
        "{agreed}"
    );
    each_equals_the_store(&[&a, &b]).await;
    other.stop().await;
    b.stop().await;
    a.stop().await;
}

/// Posts one task event to `base` and returns its commit.
async fn one_event(base: &str, feed: &str, id: &str) -> u64 {
    let (status, ack) = post_as(
        base,
        feed,
        "/api/v1/events",
        &json!([task_event(
            id,
            &format!("t-{id}"),
            "w2",
            "2026-12-01",
            START
        )]),
    )
    .await;
    assert_eq!(status, 200, "{id}: {ack}");
    ack["commit"].as_u64().expect("commit")
}

#[tokio::test]
async fn a_writer_cut_off_from_redis_keeps_writing_and_its_followers_read_the_log() {
    let Some(admin_url) = postgres_admin_url("three nodes: the writer cut off from redis") else {
        return;
    };
    let Some(redis) = redis_server("three nodes: the writer cut off from redis") else {
        return;
    };
    let url = fresh_postgres_db(&admin_url).await;
    // The writer reaches Redis only through a link the test can cut; its follower directly.
    let link = Cuttable::to(redis.port).await;
    let a = cluster_node(&url, &link.url()).await;
    assert_eq!(a.role().await, "writer");
    let b = cluster_node(&url, &redis.url()).await;
    assert_eq!(b.role().await, "follower");
    let (_, feed) = loaded(&a, &b).await;

    link.cut(true);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut last = 0;
    for i in 0..20 {
        // Writes keep being acknowledged, on the writer and through the follower; its throttles
        // fall back to its own counters while Redis is away.
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        last = one_event(base, &feed, &format!("wc{i}")).await;
        b.wait_for_commit(last).await;
        if i > 1 {
            assert_eq!(
                b.node.cluster.source(),
                ioc::cluster::Source::Log,
                "event {i}"
            );
        }
        let (status, ready) = a.ready().await;
        assert_eq!(
            status, 200,
            "cut off from Redis, the writer still serves: {ready}"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(a.role().await, "writer", "still the writer");
    link.cut(false);
    // Healed: the writer publishes again and B goes back to the stream by itself.
    let healed = Instant::now();
    let mut i = 0;
    while b.node.cluster.source() != ioc::cluster::Source::Stream {
        assert!(
            healed.elapsed() < Duration::from_secs(15),
            "B never went back to the stream"
        );
        last = one_event(&a.base, &feed, &format!("wh{i}")).await;
        b.wait_for_commit(last).await;
        i += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    settled(&[&a, &b], &feed, last).await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_follower_cut_off_from_postgresql_keeps_following_and_is_taken_out_of_rotation() {
    let Some((url, redis, nodes)) =
        cluster_of("three nodes: a follower cut off from postgresql", 1).await
    else {
        return;
    };
    let [a]: [ClusterNode; 1] = nodes.try_into().ok().expect("the writer");
    let port = postgres_port(&url);
    let link = Cuttable::to(port).await;
    let b = cluster_node(&link.postgres_url(&url), &redis.url()).await;
    assert_eq!(b.role().await, "follower");
    let (_, feed) = loaded(&a, &b).await;

    link.cut(true);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut last = 0;
    let cut_at = Instant::now();
    let mut i = 0;
    while cut_at.elapsed() < Duration::from_secs(10) {
        last = one_event(&a.base, &feed, &format!("pc{i}")).await;
        i += 1;
        // The stream still reaches B: its screens stay current.
        b.wait_for_commit(last).await;
        assert_eq!(b.node.cluster.source(), ioc::cluster::Source::Stream);
        let (status, view) = get_as(&b.base, &feed, "/api/v1/units/hn/view").await;
        assert_eq!(status, 200, "{view}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Still cut off, B shows what the writer shows.
    views_agree(&[&a, &b], &feed, "hn", last).await;
    // Without its database B is not ready, so a load balancer sends it nothing new; it neither
    // took the lease nor gave up following.
    let (status, ready) = b.ready().await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(a.role().await, "writer");
    assert_eq!(b.node.cluster.role(), ioc::cluster::Role::Follower);
    assert!(!b.node.cluster.is_broken(), "B still follows");

    link.cut(false);
    let healed = Instant::now();
    loop {
        let (status, ready) = b.ready().await;
        if status == 200 {
            break;
        }
        assert!(
            healed.elapsed() < Duration::from_secs(15),
            "B never became ready again: {ready}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Writes through B are forwarded again, and both nodes hold what the store holds.
    last = one_event(&b.base, &feed, "after-the-cut").await;
    settled(&[&a, &b], &feed, last).await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_burst_of_token_writes_through_a_follower_holds_there_the_moment_each_is_answered() {
    let Some((_, _redis, nodes)) = cluster_of("three nodes: a burst of token writes", 2).await
    else {
        return;
    };
    let [a, b]: [ClusterNode; 2] = nodes.try_into().ok().expect("the nodes");
    let (admin, _) = loaded(&a, &b).await;

    // Twenty tokens made at once through the follower: each works there as soon as its answer
    // came, though B applies their records in batches and reads the accounts once per batch.
    let made = futures_util::future::join_all((0..20).map(|i| {
        let (base, admin) = (b.base.clone(), admin.clone());
        async move {
            let (status, token) = post_as(
                &base,
                &admin,
                "/api/v1/tokens",
                &json!({"name": format!("burst-{i}"), "units": ["p-1"], "permissions": ["read"]}),
            )
            .await;
            assert_eq!(status, 201, "{token}");
            let secret = token["token"].as_str().expect("token").to_string();
            let (status, view) = get_as(&base, &secret, "/api/v1/units/p-1/view").await;
            assert_eq!(status, 200, "token {i} on B right after its answer: {view}");
            (token["id"].as_str().expect("id").to_string(), secret)
        }
    }))
    .await;

    // Half of them revoked at once through B: each is refused there as soon as its revocation
    // is answered, and the others still work.
    let (gone, kept) = made.split_at(10);
    futures_util::future::join_all(gone.iter().map(|(id, secret)| {
        let (base, admin) = (b.base.clone(), admin.clone());
        async move {
            let revoked = ioc_tests::bearer_client(&admin)
                .delete(format!("{base}/api/v1/tokens/{id}"))
                .send()
                .await
                .expect("DELETE");
            assert!(revoked.status().is_success(), "revoke {id} through B");
            let (status, body) = get_as(&base, secret, "/api/v1/units/p-1/view").await;
            assert_eq!(status, 401, "{id} on B right after its revocation: {body}");
        }
    }))
    .await;
    for (id, secret) in kept {
        for base in [&a.base, &b.base] {
            let (status, body) = get_as(base, secret, "/api/v1/units/p-1/view").await;
            assert_eq!(status, 200, "{id} on {base}: {body}");
        }
    }
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_follower_whose_missed_commits_are_gone_from_stream_and_log_stops_instead_of_skipping() {
    let Some((url, redis, nodes)) =
        cluster_of("three nodes: commits gone from stream and log", 1).await
    else {
        return;
    };
    let [a]: [ClusterNode; 1] = nodes.try_into().ok().expect("the writer");
    let port = postgres_port(&url);
    let (to_pg, to_redis) = (Cuttable::to(port).await, Cuttable::to(redis.port).await);
    let b = cluster_node(&to_pg.postgres_url(&url), &to_redis.url()).await;
    let (_, feed) = loaded(&a, &b).await;

    // B is cut off from both while the writer goes on.
    to_pg.cut(true);
    to_redis.cut(true);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stuck = b.node.cluster.applied();
    let mut last = 0;
    for i in 0..10 {
        last = one_event(&a.base, &feed, &format!("gone{i}")).await;
    }
    // Meanwhile the stream is trimmed to its last 3 entries and the log pruned below them, as
    // retention would after long enough: the commits between B's point and those are nowhere.
    let trimmed = std::process::Command::new("redis-cli")
        .args([
            "-p",
            &redis.port.to_string(),
            "XTRIM",
            a.node.cluster.stream(),
            "MAXLEN",
            "3",
        ])
        .output()
        .expect("redis-cli");
    assert!(trimmed.status.success(), "{trimmed:?}");
    {
        use sqlx::Connection;
        let mut db = sqlx::PgConnection::connect(&url)
            .await
            .expect("the database");
        sqlx::query("DELETE FROM bus_log WHERE seq > $1 AND seq <= $2")
            .bind(stuck as i64)
            .bind(last as i64 - 3)
            .execute(&mut db)
            .await
            .expect("pruned");
    }
    assert_eq!(b.node.cluster.applied(), stuck, "B was cut off all along");
    to_pg.cut(false);
    to_redis.cut(false);
    // B reads the stream's 3 entries, finds the gap, and the log cannot fill it: it says so and
    // stops, rather than applying the 3 over a hole.
    let start = Instant::now();
    while !b.node.cluster.is_broken() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "B never said it cannot follow (applied {} of {last})",
            b.node.cluster.applied()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        b.node.cluster.applied() <= last - 3,
        "B applied past the hole: {} of {last}",
        b.node.cluster.applied()
    );
    let (status, ready) = b.ready().await;
    assert_eq!(status, 503, "{ready}");
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_meeting_opened_through_a_follower_moves_the_wall_watching_another_node() {
    let Some((_, _redis, nodes)) = cluster_of("three nodes: a meeting across nodes", 2).await
    else {
        return;
    };
    let [a, b]: [ClusterNode; 2] = nodes.try_into().ok().expect("the nodes");
    let (admin, _) = loaded(&a, &b).await;

    // Opened and concluded through the follower B (forwarded to the writer A).
    let (status, m) = post_as(
        &b.base,
        &admin,
        "/api/v1/meetings",
        &json!({"unit": "p-1", "period": "2026-W45", "chair": "w1", "attendees": ["w2"]}),
    )
    .await;
    assert_eq!(status, 201, "{m}");
    let id = m["id"].as_str().expect("the meeting's id").to_string();
    let items = m["items"].as_array().expect("agenda").len();
    assert!(items >= 1, "{m}");

    // A wall on B follows what the presenter does on A.
    let mut wall = ws_connect(
        &b.addr.to_string(),
        &[("authorization", format!("Bearer {admin}"))],
    )
    .await
    .expect("a WebSocket on the follower");
    wall.subscribe("meeting", &id).await;
    let first = wall
        .until("the meeting's frame on B", |f| {
            f["type"] == "view" && f["view"] == "meeting"
        })
        .await;
    assert_eq!(first["data"]["current"], 0, "{first}");
    let (status, c) = post_as(
        &a.base,
        &admin,
        &format!("/api/v1/meetings/{id}/conclusions"),
        &json!({"id": "c1", "item": "other", "text": "Giữ nguyên kế hoạch", "action": "silence", "reason": "Đúng tiến độ"}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    let last = items - 1;
    let (status, body) = post_as(
        &a.base,
        &admin,
        &format!("/api/v1/meetings/{id}/present"),
        &json!({"item": last}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let moved = wall
        .until("B's wall to move", |f| {
            f["type"] == "view" && f["data"]["current"] == last
        })
        .await;
    assert_eq!(moved["data"]["item"]["key"], "other");
    assert_eq!(moved["data"]["conclusions"][0]["id"], "c1", "{moved}");
    // Both nodes read the same record, and each rollup equals what the store rebuilds.
    let (_, on_a) = get_as(&a.base, &admin, &format!("/api/v1/meetings/{id}")).await;
    let (_, on_b) = get_as(&b.base, &admin, &format!("/api/v1/meetings/{id}")).await;
    assert_eq!(on_a, on_b);
    each_equals_the_store(&[&a, &b]).await;
    b.stop().await;
    a.stop().await;
}

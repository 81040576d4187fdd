//! Live screens end to end over real WebSockets: views at every level agree after an ingest, the
//! alert feed resumes by id with nothing lost or doubled, a client that stops reading neither
//! delays others nor escapes its backlog limit, and bad messages are answered, not fatal.

use ioc::http::Limits;
use ioc::live::LiveConfig;
use ioc_tests::{
    fresh_postgres_db, postgres_admin_url, spawn_app, spawn_app_with_limits,
    spawn_app_with_limits_on, task_event, with_leaders, TestApp, Ws, WsEvent, START,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

fn at(seconds: i64) -> String {
    let start = chrono::DateTime::parse_from_rfc3339(START).unwrap();
    (start + chrono::Duration::seconds(seconds)).to_rfc3339()
}

/// The i-th value of a series that flips between red and green: every one is an alert transition.
fn flip(i: i64, unit: &str) -> Value {
    let value = if i % 2 == 0 { 80.0 } else { 99.0 };
    json!({"type": "kpi_observation", "id": format!("f-{unit}-{i}"), "at": at(i), "kpi": "TTHC", "unit": unit, "period": "2026-10", "value": value})
}

/// The view without the fields that move with time alone.
fn figures(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("as_of");
        o.remove("commit");
    }
    v
}

async fn subscribed_snapshot(ws: &mut Ws, view: &str, id: &str) -> Value {
    ws.subscribe(view, id).await;
    let ok = ws
        .until("subscribed", |v| {
            v["type"] == "subscribed" && v["view"] == view && v["id"] == id
        })
        .await;
    let seq = ok["seq"].as_u64().expect("seq");
    let frame = ws
        .until("snapshot", |v| {
            v["type"] == "view" && v["view"] == view && v["id"] == id
        })
        .await;
    assert_eq!(
        frame["seq"].as_u64(),
        Some(seq),
        "the snapshot carries the announced seq"
    );
    frame
}

#[tokio::test]
async fn every_level_sees_an_ingested_change_with_consistent_numbers() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut ws = app.ws().await;
        for id in ["p-1", "so-a", "hn"] {
            let snap = subscribed_snapshot(&mut ws, "unit", id).await;
            assert_eq!(snap["data"]["summary"]["tasks"]["total"], 0);
        }
        clients.push(ws);
    }
    let mut person = app.ws().await;
    subscribed_snapshot(&mut person, "person", "w2").await;
    let mut board = app.ws().await;
    subscribed_snapshot(&mut board, "kpis", "p-2").await;

    // One task in a division of ward p-1: the ward and the city move, the department does not.
    let ack = app
        .ingest(json!([task_event(
            "e1",
            "t1",
            "w2",
            "2026-11-20T17:00:00+07:00",
            START
        )]))
        .await;
    let commit = ack["commit"]
        .as_u64()
        .expect("the ingest report names its commit");
    let ward_rest = app.get_ok("/api/v1/units/p-1/view").await;
    let city_rest = app.get_ok("/api/v1/units/hn/view").await;
    for ws in &mut clients {
        let ward = ws.view_at("unit", "p-1", commit).await;
        let city = ws.view_at("unit", "hn", commit).await;
        assert_eq!(ward["data"]["summary"]["tasks"]["total"], 1);
        assert_eq!(city["data"]["summary"]["tasks"]["total"], 1);
        let line = city["data"]["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["unit"]["id"] == "p-1")
            .expect("the ward's line in the city view")
            .clone();
        assert_eq!(
            line["tasks_total"],
            ward["data"]["summary"]["tasks"]["total"]
        );
        assert_eq!(line["tasks_open"], ward["data"]["summary"]["tasks"]["open"]);
        // Exactly what REST serves for the same state, though it came as a patch: only what
        // changed since the snapshot.
        assert!(ws.patches >= 2, "the ward and the city came as patches");
        // A task moves a few task figures: the summaries come as their changed fields only.
        assert_eq!(ws.whole_summaries, 0, "a summary resent whole");
        // A changed child line names its unit by id; the names above still match REST.
        assert_eq!(ws.named_lines, 0, "a changed line resent its unit's name");
        assert_eq!(figures(ward["data"].clone()), figures(ward_rest.clone()));
        assert_eq!(figures(city["data"].clone()), figures(city_rest.clone()));
    }
    let p = person.view_at("person", "w2", commit).await;
    assert_eq!(p["data"]["task_list"][0]["id"], "t1");

    let ack = app
        .ingest(json!([{"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": 80.0}]))
        .await;
    let b = board
        .view_at("kpis", "p-2", ack["commit"].as_u64().unwrap())
        .await;
    let line = b["data"]["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == "TTHC")
        .unwrap()
        .clone();
    assert_eq!(line["status"], "red");
    assert_eq!(line["value"], 80.0);

    // Unsubscribed: no more frames of that view, while the others keep coming.
    let ws = &mut clients[1];
    ws.send_json(&json!({"op": "unsubscribe", "view": "unit", "id": "hn"}))
        .await;
    ws.until("unsubscribed", |v| {
        v["type"] == "unsubscribed" && v["id"] == "hn"
    })
    .await;
    let mut last = 0;
    for (i, id) in ["e2", "e3"].iter().enumerate() {
        let ack = app
            .ingest(json!([task_event(
                id,
                &format!("t{}", i + 2),
                "w2",
                "2026-11-20T17:00:00+07:00",
                START
            )]))
            .await;
        last = ack["commit"].as_u64().unwrap();
        let frame = ws
            .until("the ward's next frame", |v| {
                assert!(
                    !(v["type"] == "view" && v["id"] == "hn"),
                    "a frame of an unsubscribed view: {v}"
                );
                v["type"] == "view" && v["id"] == "p-1" && v["commit"].as_u64() >= Some(last)
            })
            .await;
        assert_eq!(frame["data"]["summary"]["tasks"]["total"], i as i64 + 2);
    }

    // A reconnecting screen subscribes again and gets a fresh snapshot at the newest state.
    drop(clients.pop());
    let mut again = app.ws().await;
    let snap = subscribed_snapshot(&mut again, "unit", "hn").await;
    assert!(snap["commit"].as_u64().unwrap() >= last);
    assert_eq!(snap["data"]["summary"]["tasks"]["total"], 3);
    app.stop().await;
}

/// Reads alert frames until `stop` says so, checking order and collecting ids.
/// A small memory, so resumes reach into the store as well as memory.
fn small_alert_memory() -> Limits {
    Limits {
        live: LiveConfig {
            alert_memory: 8,
            ..LiveConfig::default()
        },
        ..Limits::default()
    }
}

#[tokio::test]
async fn the_alert_feed_resumes_by_id_across_disconnects_under_a_steady_stream() {
    resumes_without_gaps(spawn_app_with_limits(small_alert_memory()).await).await;
}

#[tokio::test]
async fn the_alert_feed_resumes_from_postgres_too() {
    let Some(admin) = postgres_admin_url("the_alert_feed_resumes_from_postgres_too") else {
        return;
    };
    let url = fresh_postgres_db(&admin).await;
    resumes_without_gaps(spawn_app_with_limits_on(&url, small_alert_memory()).await).await;
}

async fn resumes_without_gaps(app: TestApp) {
    app.load_fixture().await;
    with_leaders(&app).await;

    let mut ws = app.ws().await;
    ws.send_json(&json!({"op": "subscribe", "view": "alerts", "id": "hn"}))
        .await;
    let ok = ws
        .until("subscribed_alerts", |v| v["type"] == "subscribed_alerts")
        .await;
    let start = ok["last_id"].as_i64().unwrap();
    let snap = ws
        .until("alert_snapshot", |v| v["type"] == "alert_snapshot")
        .await;
    assert_eq!(snap["last_id"].as_i64(), Some(start));

    let stream = {
        let (client, url) = (app.feed.clone(), app.url("/api/v1/events"));
        tokio::spawn(async move {
            for i in 0..120 {
                let unit = if i % 3 == 0 { "p-1" } else { "p-2" };
                let r = client
                    .post(&url)
                    .json(&json!([flip(i, unit)]))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
        })
    };
    let mut ids: Vec<i64> = Vec::new();
    for round in 0..6 {
        ws.read_alerts(&mut ids, 3 + round * 2).await;
        // Dropped without a goodbye, as a wall display losing its network.
        drop(ws);
        tokio::time::sleep(Duration::from_millis(40)).await;
        ws = app.ws().await;
        let after = *ids.last().unwrap();
        ws.send_json(&json!({"op": "subscribe", "view": "alerts", "id": "hn", "after": after}))
            .await;
        let ok = ws
            .until("subscribed_alerts", |v| v["type"] == "subscribed_alerts")
            .await;
        assert!(ok["last_id"].as_i64().unwrap() >= after);
    }
    stream.await.unwrap();
    let history = app
        .get_ok("/api/v1/alerts/history?unit=hn&limit=5000")
        .await;
    ws.read_alerts_to_history(&mut ids, &history, start, 120)
        .await;
    let newest = *ids.last().expect("alerts read");

    // A feed of a ward's subtree carries only that subtree, replayed from the store.
    let mut ward = app.ws().await;
    ward.send_json(&json!({"op": "subscribe", "view": "alerts", "id": "p-1", "after": start}))
        .await;
    let mut units = BTreeSet::new();
    let mut ward_ids = Vec::new();
    loop {
        let v = ward.next().await;
        if v["type"] == "alert" {
            units.insert(v["unit"].as_str().unwrap().to_string());
            ward_ids.push(v["id"].as_i64().unwrap());
        }
        if v["type"] == "caught_up" {
            break;
        }
    }
    assert!(!ward_ids.is_empty());
    assert!(
        units.iter().all(|u| u == "p-1" || u == "p-1.vh"),
        "{units:?}"
    );
    let ward_expected: Vec<i64> = {
        let mut v: Vec<i64> = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["unit"] == "p-1" || h["unit"] == "p-1.vh")
            .map(|h| h["seq"].as_i64().unwrap())
            .filter(|s| *s > start)
            .collect();
        v.sort();
        v
    };
    assert_eq!(ward_ids, ward_expected);

    // An id beyond the newest is refused by name; the connection stays.
    ward.send_json(
        &json!({"op": "subscribe", "view": "alerts", "id": "hn", "after": newest + 1000}),
    )
    .await;
    let e = ward.until("error", |v| v["type"] == "error").await;
    assert_eq!(e["code"], "after_ahead");
    ward.send_json(&json!({"op": "unsubscribe", "view": "alerts", "id": "hn"}))
        .await;
    let u = ward
        .until("unsubscribed", |v| v["type"] == "unsubscribed")
        .await;
    assert_eq!(u["view"], "alerts");
    app.stop().await;
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A client whose socket reads almost nothing: it subscribes, then never reads.
async fn stalled_client(app: &TestApp) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(1024).unwrap();
    let stream = socket.connect(app.addr).await.unwrap();
    let (stream, _) = tokio_tungstenite::client_async(
        app.ws_request(),
        tokio_tungstenite::MaybeTlsStream::Plain(stream),
    )
    .await
    .unwrap();
    let mut ws = Ws::new(stream);
    assert_eq!(ws.next().await["type"], "hello");
    ws.subscribe("unit", "hn").await;
    ws.send_json(&json!({"op": "subscribe", "view": "alerts", "id": "hn"}))
        .await;
    ws.until("subscribed_alerts", |v| v["type"] == "subscribed_alerts")
        .await;
    ws
}

#[tokio::test]
async fn a_client_that_stops_reading_neither_delays_others_nor_escapes_its_backlog_limit() {
    let app = spawn_app_with_limits(Limits {
        live: LiveConfig {
            alert_queue: 32,
            // Small kernel buffers, so a client that stops reading is felt at once.
            tcp_send_buffer: 4096,
            tick: Duration::from_millis(20),
            ..LiveConfig::default()
        },
        ..Limits::default()
    })
    .await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let mut stalled = stalled_client(&app).await;
    let mut healthy = app.ws().await;
    subscribed_snapshot(&mut healthy, "unit", "hn").await;
    healthy
        .send_json(&json!({"op": "subscribe", "view": "alerts", "id": "hn"}))
        .await;
    let ok = healthy
        .until("subscribed_alerts", |v| v["type"] == "subscribed_alerts")
        .await;
    let start = ok["last_id"].as_i64().unwrap();

    // Flip series in batches while the stalled client reads nothing, until the server reports
    // that a connection's alert backlog overflowed. The healthy client keeps up all along.
    let mut ids = Vec::new();
    let mut i = 0;
    let mut overflowed = false;
    for _round in 0..200 {
        let batch: Vec<Value> = (0..25)
            .map(|k| flip(i + k, if k % 2 == 0 { "p-1" } else { "p-2" }))
            .collect();
        i += 25;
        let ack = app.ingest(Value::Array(batch)).await;
        let commit = ack["commit"].as_u64().unwrap();
        // The city frame with this batch, taking the alerts that come on the way.
        loop {
            let v = healthy.next().await;
            if v["type"] == "alert" {
                let id = v["id"].as_i64().unwrap();
                assert!(ids.last().is_none_or(|p| id > *p), "{id} out of order");
                ids.push(id);
            }
            if v["type"] == "view" && v["id"] == "hn" && v["commit"].as_u64() >= Some(commit) {
                break;
            }
        }
        if metric(&app, "ioc_ws_alert_overflows_total").await >= 1.0 {
            overflowed = true;
            break;
        }
    }
    assert!(
        overflowed,
        "the stalled client's alert backlog never overflowed"
    );
    let newest = {
        let h = app.get_ok("/api/v1/alerts/history?unit=hn&limit=1").await;
        h[0]["seq"].as_i64().unwrap()
    };
    while ids.last() != Some(&newest) {
        healthy.read_alerts(&mut ids, 1).await;
    }
    assert_eq!(ids.first().copied(), Some(start + 1), "no gap at the start");
    assert_eq!(
        ids.len() as i64,
        newest - start,
        "the healthy client missed nothing"
    );

    // The stalled client finds, after what was already in flight, the reason and the close code.
    let mut seen: Vec<i64> = Vec::new();
    let mut error = None;
    let code = loop {
        match stalled.next_message().await {
            WsEvent::Json(v) if v["type"] == "alert" => seen.push(v["id"].as_i64().unwrap()),
            WsEvent::Json(v) if v["type"] == "error" => error = Some(v),
            WsEvent::Json(_) => {}
            WsEvent::Closed(code) => break code,
        }
    };
    assert_eq!(code, Some(4008));
    assert_eq!(
        error.expect("an error message before the close")["code"],
        "alert_backlog_overflow"
    );
    // It resumes from the last id it saw and gets everything after, nothing twice.
    let last_seen = seen.last().copied().unwrap_or(start);
    let mut again = app.ws().await;
    again
        .send_json(&json!({"op": "subscribe", "view": "alerts", "id": "hn", "after": last_seen}))
        .await;
    let mut resumed = seen.clone();
    loop {
        let v = again.next().await;
        if v["type"] == "alert" {
            let id = v["id"].as_i64().unwrap();
            assert!(resumed.last().is_none_or(|p| id > *p), "{id} out of order");
            resumed.push(id);
        }
        if v["type"] == "caught_up" {
            break;
        }
    }
    let all: Vec<i64> = (start + 1..=newest).collect();
    assert_eq!(resumed, all, "the resumed feed is whole");
    app.stop().await;
}

#[tokio::test]
async fn malformed_and_oversized_messages_are_answered_and_survived() {
    let app = spawn_app_with_limits(Limits {
        live: LiveConfig {
            max_subscriptions: 3,
            ..LiveConfig::default()
        },
        ..Limits::default()
    })
    .await;
    app.load_fixture().await;
    let mut ws = app.ws().await;
    let cases: Vec<(String, &str, &str)> = vec![
        ("not json".into(), "bad_message", "expected"),
        (json!({"op": "dance"}).to_string(), "bad_message", "dance"),
        (
            json!({"op": "subscribe", "view": "unit"}).to_string(),
            "bad_message",
            "id",
        ),
        (
            json!({"op": "subscribe", "view": "map", "id": "hn"}).to_string(),
            "bad_message",
            "map",
        ),
        (
            json!({"op": "subscribe", "view": "unit", "id": "hn", "colour": "red"}).to_string(),
            "bad_message",
            "colour",
        ),
        (
            json!({"op": "subscribe", "view": "unit", "id": "nowhere"}).to_string(),
            "not_found",
            "nowhere",
        ),
        (
            json!({"op": "subscribe", "view": "person", "id": "nobody"}).to_string(),
            "not_found",
            "nobody",
        ),
        (
            json!({"op": "subscribe", "view": "unit", "id": "hn", "after": 3}).to_string(),
            "bad_message",
            "after",
        ),
        (
            json!({"op": "subscribe", "view": "alerts", "id": "hn", "after": -1}).to_string(),
            "bad_message",
            "after",
        ),
        (
            json!({"op": "unsubscribe", "view": "unit", "id": "p-1"}).to_string(),
            "not_subscribed",
            "subscription",
        ),
        (
            format!("{{\"op\":\"ping\",\"nonce\":\"{}\"}}", "x".repeat(20_000)),
            "message_too_large",
            "16384",
        ),
    ];
    for (text, code, names) in &cases {
        ws.send_text(text).await;
        let e = ws.next().await;
        assert_eq!(e["type"], "error", "{text:.60}: {e}");
        assert_eq!(e["code"], *code, "{text:.60}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(names),
            "{text:.60}: the message should name '{names}': {e}"
        );
    }
    use futures_util::SinkExt;
    ws.stream
        .send(tokio_tungstenite::tungstenite::Message::Binary(
            vec![1, 2, 3].into(),
        ))
        .await
        .unwrap();
    assert_eq!(ws.next().await["code"], "binary_not_supported");
    // The limit on subscriptions, and the connection is still up and useful after all that.
    for id in ["hn", "p-1", "p-2"] {
        subscribed_snapshot(&mut ws, "unit", id).await;
    }
    ws.subscribe("unit", "so-a").await;
    let e = ws.until("error", |v| v["type"] == "error").await;
    assert_eq!(e["code"], "too_many_subscriptions");
    ws.send_json(&json!({"op": "ping", "nonce": 7})).await;
    let pong = ws.until("pong", |v| v["type"] == "pong").await;
    assert_eq!(pong["nonce"], 7);
    // The pong says how current the data is; a manual clock has no lag to report.
    assert!(
        pong["as_of"]
            .as_str()
            .is_some_and(|t| t.ends_with("+07:00")),
        "{pong}"
    );
    assert!(pong["commit"].as_u64().is_some(), "{pong}");
    assert!(pong.get("lag_ms").is_none(), "{pong}");
    // Past the hard limit the connection is closed as the protocol says (1009).
    let mut big = app.ws().await;
    big.send_text(&"x".repeat(2 * 1024 * 1024)).await;
    let code = loop {
        if let WsEvent::Closed(code) = big.next_message().await {
            break code;
        }
    };
    assert_eq!(code, Some(1009));
    // A plain GET is told what the endpoint is, as JSON.
    let (status, body) = app.get("/ws").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("WebSocket"));
    app.stop().await;
}

#[tokio::test]
async fn connections_per_client_are_limited_and_silent_ones_are_closed() {
    let app = spawn_app_with_limits(Limits {
        live: LiveConfig {
            max_connections_per_client: 2,
            heartbeat: Duration::from_millis(300),
            idle_timeout: Duration::from_secs(1),
            ..LiveConfig::default()
        },
        ..Limits::default()
    })
    .await;
    let mut a = app.ws().await;
    let _b = app.ws().await;
    let refused = tokio_tungstenite::connect_async(app.ws_request()).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status().as_u16(), 429);
            let body = String::from_utf8(r.body().clone().unwrap_or_default()).unwrap();
            assert!(body.contains("too_many_requests"), "{body}");
        }
        other => panic!("a third connection was not refused: {other:?}"),
    }
    // `a` says nothing (not even pongs: it does not read) for longer than the idle timeout.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut error = None;
    let code = loop {
        match a.next_message().await {
            WsEvent::Json(v) if v["type"] == "error" => error = Some(v),
            WsEvent::Json(_) => {}
            WsEvent::Closed(code) => break code,
        }
    };
    assert_eq!(code, Some(4000));
    assert_eq!(error.unwrap()["code"], "idle_timeout");
    // Its slot is free again.
    let mut c = None;
    for _ in 0..50 {
        if let Ok((s, _)) = tokio_tungstenite::connect_async(app.ws_request()).await {
            c = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(c.is_some(), "the closed connection's slot was never freed");
    app.stop().await;
}

#[tokio::test]
async fn a_server_shutdown_closes_live_connections_as_going_away() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let mut ws = app.ws().await;
    subscribed_snapshot(&mut ws, "unit", "hn").await;
    app.stop().await;
    let code = loop {
        if let WsEvent::Closed(code) = ws.next_message().await {
            break code;
        }
    };
    assert_eq!(code, Some(1001));
}

#[tokio::test]
async fn a_large_alert_snapshot_comes_in_parts_that_add_up() {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    // 260 tasks already past their deadline: each is an overdue-task alert.
    let tasks: Vec<serde_json::Value> = (0..260)
        .map(|i| {
            task_event(
                &format!("e{i}"),
                &format!("t{i}"),
                "w2",
                "2026-10-01",
                START,
            )
        })
        .collect();
    app.ingest(serde_json::Value::Array(tasks)).await;
    let rest = app.get_ok("/api/v1/alerts?unit=hn").await;
    let expected = rest.as_array().unwrap().len();
    assert!(expected > 200, "only {expected} alerts");
    let mut ws = app.ws().await;
    ws.send_json(&json!({"op": "subscribe", "view": "alerts", "id": "hn"}))
        .await;
    let mut parts = 0;
    let mut got = Vec::new();
    loop {
        let v = ws
            .until("alert_snapshot", |v| v["type"] == "alert_snapshot")
            .await;
        parts += 1;
        got.extend(v["alerts"].as_array().unwrap().iter().cloned());
        if v["more"] == false {
            break;
        }
    }
    assert!(parts >= 2, "{parts} part(s)");
    assert_eq!(got.len(), expected);
    let key = |a: &serde_json::Value| format!("{}|{}", a["rule"], a["subject"]);
    let mut a: Vec<String> = got.iter().map(key).collect();
    let mut b: Vec<String> = rest.as_array().unwrap().iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "the parts hold exactly the live alerts");
    app.stop().await;
}

/// A live connection keeps the identity it was opened with only while that identity holds: a
/// revoked token's and a signed-out session's screens are closed (4001) at the next heartbeat,
/// and a new upgrade with them is refused with 401.
#[tokio::test]
async fn live_connections_close_when_their_credentials_end() {
    let app = spawn_app_with_limits(Limits {
        live: LiveConfig {
            heartbeat: Duration::from_millis(200),
            ..LiveConfig::default()
        },
        ..ioc_tests::test_limits()
    })
    .await;
    app.load_fixture().await;
    let (status, token) = app
        .post(
            "/api/v1/tokens",
            &json!({"name": "wall p-1", "units": ["p-1"], "permissions": ["read"]}),
        )
        .await;
    assert_eq!(status, 201, "{token}");
    let secret = token["token"].as_str().unwrap().to_string();
    let session = app.account("p1-viewer", None, &[("viewer", "p-1")]).await;
    let mut by_token = app
        .ws_with(Some(&secret))
        .await
        .expect("the token opens a live view");
    subscribed_snapshot(&mut by_token, "unit", "p-1").await;
    let mut by_session = app
        .ws_with(Some(&session))
        .await
        .expect("the session opens one");
    subscribed_snapshot(&mut by_session, "unit", "p-1").await;

    let id = token["id"].as_str().unwrap();
    let (status, body) = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = app
        .send_as(
            Some(&session),
            reqwest::Method::DELETE,
            "/api/v1/session",
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    for ws in [&mut by_token, &mut by_session] {
        let mut error = None;
        let code = loop {
            match ws.next_message().await {
                WsEvent::Json(v) if v["type"] == "error" => error = Some(v),
                WsEvent::Json(_) => {}
                WsEvent::Closed(code) => break code,
            }
        };
        assert_eq!(code, Some(4001));
        assert_eq!(
            error.expect("an error before the close")["code"],
            "unauthenticated"
        );
    }
    assert_eq!(app.ws_with(Some(&secret)).await.err(), Some(401));
    assert_eq!(app.ws_with(Some(&session)).await.err(), Some(401));
    assert_eq!(app.ws_with(None).await.err(), Some(401));
    app.stop().await;
}

//! Results published to citizens (issue 22), against the real server over HTTP: a KPI made
//! public by an admin (audited) and only it on the board, a citizen's rating through the public
//! form in sequences (accepted, the same receipt refused, bad input refused with nothing kept, a
//! flood throttled), a dissatisfied rating as an alert for the ward, the board's cache and live
//! stream, the month's summary once the month has closed, and every public route of the demo
//! city walked for anything private.

use ioc_tests::{spawn_app, spawn_app_with_limits, test_limits, TestApp, START};
use serde_json::{json, Value};
use std::time::Duration;

/// What came back: status, `Retry-After`, JSON body (or the text as a string).
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

async fn answer(r: reqwest::RequestBuilder) -> Answer {
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let retry_after = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let text = r.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        retry_after,
        body,
    }
}

/// A citizen: no credentials at all.
fn citizen() -> reqwest::Client {
    reqwest::Client::new()
}

async fn rate(app: &TestApp, unit: &str, form: Value) -> Answer {
    answer(
        citizen()
            .post(app.url(&format!("/public/v1/units/{unit}/ratings")))
            .json(&form),
    )
    .await
}

async fn board(app: &TestApp, unit: &str) -> Value {
    let a = answer(citizen().get(app.url(&format!("/public/v1/units/{unit}")))).await;
    assert_eq!(a.status, 200, "board of {unit}: {}", a.body);
    a.body
}

/// The board once `ready` holds: boards are served from a cache rebuilt at most once a second,
/// so a change shows within a few seconds, not on the next read. Gives up after ten seconds and
/// returns the board as it then is, for the caller's assertion to name what is wrong.
async fn board_once(app: &TestApp, unit: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let mut b = board(app, unit).await;
    for _ in 0..50 {
        if ready(&b) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        b = board(app, unit).await;
    }
    b
}

/// The fixture with TTHC made public by the admin (KN stays internal), and values of both.
async fn city_with_a_public_kpi(app: &TestApp) {
    app.load_fixture().await;
    let mut kpi = app.get_ok("/api/v1/kpis/TTHC").await;
    assert_eq!(
        kpi["public"], false,
        "KPIs are internal until an admin says otherwise"
    );
    kpi["public"] = json!(true);
    let (status, body) = app
        .send(reqwest::Method::PUT, "/api/v1/kpis/TTHC", &kpi)
        .await;
    assert_eq!(status, 200, "{body}");
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 96.5, "entered_by": "w2"},
        {"type": "kpi_observation", "id": "o2", "at": START, "kpi": "KN", "unit": "p-1", "period": "2026-10", "value": 7.0}
    ]))
    .await;
}

#[tokio::test]
async fn an_admin_makes_a_kpi_public_audited_and_only_public_kpis_reach_the_board() {
    let app = spawn_app().await;
    city_with_a_public_kpi(&app).await;
    let audit = app.get_ok("/api/v1/audit?limit=1000").await;
    let entries = audit["entries"]
        .as_array()
        .or(audit.as_array())
        .expect("entries");
    let change = entries
        .iter()
        .find(|e| {
            e["entity"].as_str().is_some_and(|s| s.contains("TTHC")) && e["new"]["public"] == true
        })
        .unwrap_or_else(|| panic!("no audit entry makes TTHC public: {audit}"));
    assert_eq!(change["old"]["public"], false, "{change}");

    let b = board(&app, "p-1").await;
    let codes: Vec<&str> = b["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["TTHC"], "{b}");
    assert_eq!(b["kpis"][0]["value"], 96.5);
    assert_eq!(b["kpis"][0]["status"], "green");
    assert_eq!(b["on_time"]["code"], "TTHC");
    // Vietnamese unless asked otherwise, thresholds in words.
    assert_eq!(
        b["kpis"][0]["thresholds"],
        "Đạt khi ≥ 95; chưa đạt khi < 85"
    );
    let en = answer(citizen().get(app.url("/public/v1/units/p-1?lang=en"))).await;
    assert_eq!(
        en.body["kpis"][0]["thresholds"],
        "Met at ≥ 95; not met below 85"
    );
    let text = b.to_string();
    assert!(
        !text.contains("KN") && !text.contains("khiếu nại"),
        "an internal KPI leaked: {b}"
    );
    assert!(
        !text.contains("w2") && !text.contains("Phạm Thị Dung"),
        "who entered it leaked: {b}"
    );

    // Made internal again, it leaves the board at its next build.
    let mut kpi = app.get_ok("/api/v1/kpis/TTHC").await;
    kpi["public"] = json!(false);
    let (status, _) = app
        .send(reqwest::Method::PUT, "/api/v1/kpis/TTHC", &kpi)
        .await;
    assert_eq!(status, 200);
    let b = board_once(&app, "p-1", |b| b["kpis"] == json!([])).await;
    assert_eq!(b["kpis"], json!([]), "{b}");

    // Only wards, communes, departments and agencies have a board; the rest is a 404 in words.
    for missing in ["p-1.vh", "hn", "nowhere"] {
        let a = answer(citizen().get(app.url(&format!("/public/v1/units/{missing}")))).await;
        assert_eq!(a.status, 404, "{missing}: {}", a.body);
        assert!(
            a.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Không tìm thấy"),
            "{}",
            a.body
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_citizen_rates_once_per_receipt_and_bad_ratings_change_nothing() {
    let app = spawn_app().await;
    city_with_a_public_kpi(&app).await;
    let ok = rate(&app, "p-1", json!({"service": "khai-sinh", "score": 5, "comment": "Cán bộ   hướng dẫn tận tình", "receipt": "H12.34-2611-0007"})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["comment_shown"], true);
    assert!(
        ok.body["message"].as_str().unwrap().starts_with("Cảm ơn"),
        "{}",
        ok.body
    );

    // Two allowed steps in a row: the same receipt again (another score, other case) is refused.
    for again in [
        json!({"service": "khai-sinh", "score": 1, "receipt": "h12.34-2611-0007"}),
        json!({"service": "khai-sinh", "score": 5, "comment": "Cán bộ   hướng dẫn tận tình", "receipt": "H12.34-2611-0007"}),
    ] {
        let a = rate(&app, "p-1", again).await;
        assert_eq!(a.status, 409, "{}", a.body);
        assert_eq!(a.body["error"]["field"], "receipt");
        assert!(
            a.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Mã biên nhận này đã được dùng"),
            "{}",
            a.body
        );
    }
    // The same code at another ward is another dossier.
    assert_eq!(
        rate(
            &app,
            "p-2",
            json!({"service": "khai-sinh", "score": 4, "receipt": "H12.34-2611-0007"})
        )
        .await
        .status,
        201
    );

    let bad = [
        (
            json!({"service": "bay-bong", "score": 5}),
            422,
            "service",
            "Không có dịch vụ",
        ),
        (
            json!({"service": "khai-sinh", "score": 6}),
            422,
            "score",
            "1 đến 5 sao",
        ),
        (
            json!({"service": "khai-sinh", "score": 0}),
            422,
            "score",
            "1 đến 5 sao",
        ),
        (
            json!({"service": "khai-sinh", "score": 4, "comment": "ý".repeat(501)}),
            422,
            "comment",
            "501 ký tự",
        ),
        (
            json!({"service": "khai-sinh", "score": 4, "receipt": "<script>"}),
            422,
            "receipt",
            "Mã biên nhận gồm",
        ),
        (
            json!({"service": "khai-sinh", "score": "năm"}),
            400,
            "score",
            "Không đọc được",
        ),
        (
            json!({"service": "khai-sinh", "score": 4, "name": "Nguyễn Văn A"}),
            400,
            "name",
            "Không đọc được",
        ),
    ];
    for (form, status, field, words) in bad {
        let a = rate(&app, "p-1", form.clone()).await;
        assert_eq!(a.status, status, "{form}: {}", a.body);
        assert_eq!(a.body["error"]["field"], field, "{form}: {}", a.body);
        assert!(
            a.body["error"]["message"].as_str().unwrap().contains(words),
            "{form}: {}",
            a.body
        );
    }
    let unknown = rate(&app, "p-9", json!({"service": "khai-sinh", "score": 5})).await;
    assert_eq!(unknown.status, 404);

    // Only the two accepted ratings count; the comment shows with its spaces collapsed.
    let b = board(&app, "p-1").await;
    assert_eq!(b["satisfaction"]["count"], 1, "{b}");
    assert_eq!(b["satisfaction"]["stars"], json!([0, 0, 0, 0, 1]));
    let service = b["satisfaction"]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "khai-sinh")
        .unwrap()
        .clone();
    assert_eq!(service["count"], 1);
    assert_eq!(b["comments"][0]["comment"], "Cán bộ hướng dẫn tận tình");

    // A comment with a phone number is kept but never shown.
    let held = rate(
        &app,
        "p-1",
        json!({"service": "ket-hon", "score": 4, "comment": "Gọi lại cho tôi số 0912 345 678"}),
    )
    .await;
    assert_eq!(held.status, 201);
    assert_eq!(held.body["comment_shown"], false);
    let b = board_once(&app, "p-1", |b| b["satisfaction"]["count"] == 2).await;
    assert_eq!(b["satisfaction"]["count"], 2, "{b}");
    assert!(!b.to_string().contains("0912"), "{b}");

    // The log keeps no receipt code; the audit trail no citizen's address.
    let audit = app.get_ok("/api/v1/audit?limit=1000").await.to_string();
    assert!(
        !audit.contains("H12.34") && !audit.contains("h12.34"),
        "a receipt code was kept"
    );
    assert!(
        audit.contains("system:citizen"),
        "ratings are audited as citizens'"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_dissatisfied_rating_is_an_alert_for_the_ward_and_a_restart_keeps_it() {
    let app = spawn_app().await;
    city_with_a_public_kpi(&app).await;
    let alert = |alerts: &Value| {
        alerts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["rule"] == "citizen_dissatisfied" && a["subject"] == "p-1")
            .cloned()
    };
    assert_eq!(
        rate(&app, "p-1", json!({"service": "khai-sinh", "score": 4}))
            .await
            .status,
        201
    );
    assert!(
        alert(&app.get_ok("/api/v1/alerts").await).is_none(),
        "four stars are no alert"
    );
    assert_eq!(
        rate(
            &app,
            "p-1",
            json!({"service": "khai-sinh", "score": 2, "comment": "Chờ quá lâu"})
        )
        .await
        .status,
        201
    );
    let a = alert(&app.get_ok("/api/v1/alerts").await).expect("a 2-star rating alerts the ward");
    assert_eq!(a["severity"], "yellow", "{a}");
    assert!(
        a["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("không hài lòng")
            || a["summary_vi"]
                .as_str()
                .unwrap_or_default()
                .contains("không hài lòng"),
        "{a}"
    );
    for _ in 0..2 {
        assert_eq!(
            rate(&app, "p-1", json!({"service": "ket-hon", "score": 1}))
                .await
                .status,
            201
        );
    }
    assert_eq!(
        alert(&app.get_ok("/api/v1/alerts").await).unwrap()["severity"],
        "red"
    );

    // A restart reads the day's dissatisfied ratings back: the alert stays, nothing re-fires.
    let app = app.restart().await;
    assert_eq!(
        alert(&app.get_ok("/api/v1/alerts").await).unwrap()["severity"],
        "red"
    );
    let fired = app
        .get_ok("/api/v1/alerts/history?unit=p-1&rule=citizen_dissatisfied")
        .await;
    let firings = fired
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "fired")
        .count();
    assert_eq!(firings, 1, "{fired}");

    // A day later the window is empty and the alert resolves.
    app.set_clock("2026-11-03T09:00:00+07:00").await;
    assert!(alert(&app.get_ok("/api/v1/alerts").await).is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_flood_from_one_address_is_throttled_with_nothing_kept() {
    let mut limits = test_limits();
    limits.public = std::sync::Arc::new(ioc::public::PublicConfig {
        ratings_per_address_hour: 5,
        ..Default::default()
    });
    let app = spawn_app_with_limits(limits).await;
    city_with_a_public_kpi(&app).await;
    let mut accepted = 0;
    let mut throttled = None;
    for i in 0..12 {
        let a = rate(
            &app,
            "p-1",
            json!({"service": "khai-sinh", "score": 5, "device": format!("d-{i}")}),
        )
        .await;
        match a.status {
            201 => accepted += 1,
            429 => throttled = Some(a),
            other => panic!("rating {i}: {other} {}", a.body),
        }
    }
    assert_eq!(accepted, 5, "the address's allowance is 5 an hour");
    let t = throttled.expect("the flood is refused");
    assert!(t
        .retry_after
        .as_deref()
        .and_then(|s| s.parse::<u64>().ok())
        .is_some_and(|s| s >= 1));
    assert!(
        t.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("quá nhiều đánh giá"),
        "{}",
        t.body
    );
    let b = board_once(&app, "p-1", |b| b["satisfaction"]["count"] == 5).await;
    assert_eq!(b["satisfaction"]["count"], 5, "{b}");
    // Signed-in work is not counted against the public allowance.
    assert_eq!(app.get("/api/v1/units/p-1/view").await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn the_board_is_served_from_its_cache_and_its_stream_brings_a_new_rating() {
    let app = spawn_app().await;
    city_with_a_public_kpi(&app).await;
    let first = citizen()
        .get(app.url("/public/v1/units/p-1"))
        .send()
        .await
        .unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(first.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("public"));
    let again = citizen()
        .get(app.url("/public/v1/units/p-1"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304, "an unchanged board is not sent twice");

    // The live stream: the board at once, then the board with the new rating.
    let mut stream = citizen()
        .get(app.url("/public/v1/units/p-1/events"))
        .send()
        .await
        .unwrap();
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut seen = String::new();
    let mut boards = Vec::new();
    let mut rated = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while boards.len() < 2 {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("the stream sends within 10 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = seen.find("\n\n") {
            let event: String = seen.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) {
                boards.push(serde_json::from_str::<Value>(data.trim()).expect("a board"));
            }
        }
        if boards.len() == 1 && !rated {
            assert_eq!(boards[0]["satisfaction"]["count"], 0);
            assert_eq!(
                rate(&app, "p-1", json!({"service": "khai-sinh", "score": 3}))
                    .await
                    .status,
                201
            );
            rated = true;
        }
    }
    assert_eq!(boards[1]["satisfaction"]["count"], 1, "{}", boards[1]);
    // A server that stops ends its streams instead of waiting on them.
    app.stop().await;
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(end.is_ok(), "the stream ended when the server stopped");
}

#[tokio::test]
async fn a_months_summary_is_published_once_the_month_has_closed() {
    let app = spawn_app().await;
    city_with_a_public_kpi(&app).await;
    app.ingest(json!([{"type": "kpi_observation", "id": "o3", "at": "2026-11-20T08:00:00+07:00", "kpi": "TTHC", "unit": "p-1", "period": "2026-11", "value": 88.0}])).await;
    assert_eq!(
        rate(&app, "p-1", json!({"service": "khai-sinh", "score": 4}))
            .await
            .status,
        201
    );
    let running = answer(citizen().get(app.url("/public/v1/units/p-1/months/2026-11.html"))).await;
    assert_eq!(
        running.status, 404,
        "November is still running: {}",
        running.body
    );
    assert!(running.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("khi tháng kết thúc"));

    app.set_clock("2026-12-01T00:05:00+07:00").await;
    let b = board(&app, "p-1").await;
    assert_eq!(b["months"][0], "2026-11", "{b}");
    let html = citizen()
        .get(app.url("/public/v1/units/p-1/months/2026-11.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 200);
    let page = html.text().await.unwrap();
    assert!(
        page.contains("Phường Hoàn Kiếm") && page.contains("88"),
        "{page}"
    );
    let json = answer(citizen().get(app.url("/public/v1/units/p-1/months/2026-11.json"))).await;
    assert_eq!(json.body["satisfaction"]["count"], 1, "{}", json.body);
    assert_eq!(json.body["kpis"][0]["value"], 88.0);
    assert_eq!(json.body["kpis"][0]["status"], "yellow");
    let csv = citizen()
        .get(app.url("/public/v1/units/p-1/months/2026-11.csv"))
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("2026-11.csv"));
    let xlsx = citizen()
        .get(app.url("/public/v1/units/p-1/months/2026-11.xlsx"))
        .send()
        .await
        .unwrap();
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let odd = answer(citizen().get(app.url("/public/v1/units/p-1/months/2026-11.pdf"))).await;
    assert_eq!(odd.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn the_staff_print_a_qr_card_per_service_within_their_scope() {
    let app = spawn_app().await;
    city_with_a_public_kpi(&app).await;
    let r = app
        .client
        .get(app.url("/api/v1/units/p-1/public-card?service=khai-sinh"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let card = r.text().await.unwrap();
    assert!(
        card.contains("<svg") && card.contains("/cong-khai/p-1/danh-gia?dv=khai-sinh"),
        "{card}"
    );
    assert!(card.contains("Cấp giấy khai sinh") && card.contains("Phường Hoàn Kiếm"));
    let (status, _) = app
        .get("/api/v1/units/p-1/public-card?service=bay-bong")
        .await;
    assert_eq!(status, 422);
    // A citizen cannot print the staff's cards, and a ward's viewer not another ward's.
    let a = answer(citizen().get(app.url("/api/v1/units/p-1/public-card?service=khai-sinh"))).await;
    assert_eq!(a.status, 401);
    let viewer = app.account("viewer-p2", None, &[("viewer", "p-2")]).await;
    let a = answer(
        ioc_tests::bearer_client(&viewer)
            .get(app.url("/api/v1/units/p-1/public-card?service=khai-sinh")),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);
    app.stop().await;
}

/// Every public route of the demo city (the small size, seeded with its history), walked as a
/// citizen: no person's name or id, no task id and no internal KPI may appear in any answer.
#[tokio::test]
async fn walking_every_public_route_of_the_demo_city_finds_nothing_private() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00+07:00")
        .unwrap()
        .timestamp_millis();
    let (node, tasks) = ioc::open(&url, ioc::clock::ClockMode::Manual, test_limits())
        .await
        .expect("node opens");
    ioc::demo::seed(
        &node.writer,
        &node.rollup,
        &ioc::demo::DemoSize::small(),
        now,
        7,
    )
    .await
    .expect("the demo city");
    let kpis = node.rollup.kpis();
    let public_names: Vec<String> = kpis
        .iter()
        .filter(|k| k.public)
        .map(|k| k.name.clone())
        .collect();
    assert!(
        !public_names.is_empty(),
        "the demo publishes its service KPIs"
    );
    let mut private: Vec<String> = Vec::new();
    for p in node.rollup.people() {
        private.push(p.id.to_string());
        private.push(p.name.clone());
    }
    for t in node.rollup.tasks_matching(|_| true) {
        private.push(t.id.to_string());
    }
    for k in kpis.iter().filter(|k| !k.public) {
        private.push(format!("\"{}\"", k.code));
        if !public_names.contains(&k.name) {
            private.push(k.name.clone());
        }
    }
    assert!(
        private.len() > 100,
        "a city's worth of private strings: {}",
        private.len()
    );
    ioc::close(node, tasks).await;
    let mut app = ioc_tests::spawn_app_on(&url).await;
    app.set_dir(dir);
    app.set_clock("2026-11-20T10:00:00+07:00").await;
    // A citizen's comment, so the comments part of the board is walked too.
    let units = answer(citizen().get(app.url("/public/v1/units")))
        .await
        .body;
    let ids: Vec<String> = units["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 4, "{units}");
    // A citizen scans the list for a name: wards and communes first, then the offices, each
    // alphabetically as Vietnamese is read (Ô among the O's).
    let keys: Vec<(bool, String)> = units["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let office = u["level"] == "department" || u["level"] == "agency";
            (office, ioc::i18n::folded(u["name"].as_str().unwrap()))
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "the list of boards is not in reading order");
    assert!(keys.iter().any(|k| k.0) && keys.iter().any(|k| !k.0));
    let ward = units["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["level"] == "ward")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        rate(
            &app,
            &ward,
            json!({"service": "khai-sinh", "score": 5, "comment": "Nhanh gọn"})
        )
        .await
        .status,
        201
    );

    let mut pages = vec!["/public/v1/units".to_string(), "/cong-khai".to_string()];
    for id in &ids {
        pages.push(format!("/public/v1/units/{id}"));
        pages.push(format!("/public/v1/units/{id}?lang=en"));
        pages.push(format!("/cong-khai/{id}"));
        pages.push(format!("/cong-khai/{id}/danh-gia"));
        let b = board(&app, id).await;
        for m in b["months"].as_array().unwrap().iter().take(2) {
            for ext in ["html", "csv", "json"] {
                pages.push(format!(
                    "/public/v1/units/{id}/months/{}.{ext}",
                    m.as_str().unwrap()
                ));
            }
        }
    }
    let mut walked = 0;
    for path in &pages {
        let r = citizen().get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let text = r.text().await.unwrap();
        for p in &private {
            assert!(!text.contains(p.as_str()), "{path} shows '{p}'");
        }
        walked += 1;
    }
    // The live stream's first board, too.
    let mut stream = citizen()
        .get(app.url(&format!("/public/v1/units/{ward}/events")))
        .send()
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let first = String::from_utf8_lossy(&first).into_owned();
    assert!(first.contains("Nhanh gọn"));
    for p in &private {
        assert!(!first.contains(p.as_str()), "the stream shows '{p}'");
    }
    drop(stream);
    assert!(walked > 20, "{walked} routes walked");
    app.stop().await;
}

//! The IOC screens in a real browser (headless Chromium over DevTools) against the real server:
//! the city board renders and follows an ingest on the right tile, the alert center shows a new
//! alert and acknowledges it as the signed-in account, wall mode rotates, the connection banner
//! comes when the server stops and goes when it returns, the unit board drills down, sign-in
//! and sign-out go through the real form and a ward leader sees only the ward, a one-time
//! password is changed before anything else shows, and no page logs
//! an error (the Content-Security-Policy's refusals included). Screenshots of every screen go
//! to `target/screenshots/`.
//!
//! Tests that are not about signing in start signed in: the session cookie is set in the
//! browser before the first page (`Page::set_session_cookie`).

use ioc_tests::browser::{Browser, Page};
use ioc_tests::{spawn_app, task_event, with_leaders, TestApp, START};
use serde_json::{json, Value};

/// A browser page signed in with this session token.
async fn signed_in_page(browser: &Browser, app: &TestApp, token: &str) -> Page {
    let mut page = browser.page().await;
    page.set_session_cookie(&app.base, token).await;
    page
}

/// The account a session token belongs to, as the server reports it (GET /api/v1/session).
async fn account_of(app: &TestApp, token: &str) -> Value {
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/session"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET /api/v1/session");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("JSON");
    body["account"].clone()
}

/// Who an alert action is recorded as taken by (SECURITY.md): the person linked to the
/// account, else `account:<id>`.
fn acting_as(account: &Value) -> String {
    match account["person"].as_str() {
        Some(p) => p.to_string(),
        None => format!("account:{}", account["id"].as_str().expect("account id")),
    }
}

/// The text of a field of a unit's tile.
fn tile_field(unit: &str, field: &str) -> String {
    format!(
        "document.querySelector('[data-unit=\"{unit}\"] [data-field=\"{field}\"]')?.textContent.trim()"
    )
}

async fn expect_no_errors(page: &Page, screen: &str) {
    assert!(
        page.console_errors.is_empty(),
        "{screen}: console errors: {:?}",
        page.console_errors
    );
}

async fn screen_size(page: &mut Page, width: u32, height: u32) {
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
    )
    .await;
}

/// The fixture with work in it: overdue tasks in p-1's subtree, one in p-2, a due-soon one, a
/// KPI history for p-1, at 2026-11-20 10:00.
async fn fixture_with_work() -> TestApp {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.ingest(json!([
        task_event("e1", "t-old", "w2", "2026-11-05", START),
        task_event("e2", "t-newer", "w1", "2026-11-10", START),
        task_event("e3", "t-p2", "w4", "2026-11-12", START),
        task_event("e4", "t-soon", "w2", "2026-11-22", START),
        {"type": "kpi_observation", "id": "o1", "at": "2026-09-05T08:00:00+07:00", "kpi": "TTHC", "unit": "p-1", "period": "2026-08", "value": 97.0},
        {"type": "kpi_observation", "id": "o2", "at": "2026-10-05T08:00:00+07:00", "kpi": "TTHC", "unit": "p-1", "period": "2026-09", "value": 90.0},
        {"type": "kpi_observation", "id": "o3", "at": "2026-11-05T08:00:00+07:00", "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 80.0},
        {"type": "kr_checkin", "id": "c1", "at": "2026-11-06T08:00:00+07:00", "key_result": "kr-3", "value": 90, "confidence": 6, "by": "w1"}
    ]))
    .await;
    app.set_clock("2026-11-20T10:00:00+07:00").await;
    app
}

#[tokio::test]
async fn the_city_board_follows_an_ingest_on_the_right_tile_and_its_banner_follows_the_server() {
    let test =
        "the_city_board_follows_an_ingest_on_the_right_tile_and_its_banner_follows_the_server";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = spawn_app().await;
    app.load_fixture().await;
    let mut page = signed_in_page(&browser, &app, &app.token).await;
    screen_size(&mut page, 1600, 1000).await;
    // The root unit comes from /api/v1/dashboard: no parameter needed.
    page.navigate(&app.url("/")).await;
    page.wait_for(
        "['so-a', 'p-1', 'p-2'].every(id => document.querySelector(`[data-unit=\"${id}\"]`))",
        "a tile for each of the city's three children",
    )
    .await;
    assert_eq!(page.eval(&tile_field("p-1", "open")).await, json!("0"));
    assert_eq!(
        page.eval("document.documentElement.lang").await,
        json!("vi")
    );
    assert!(page
        .eval("document.body.textContent.includes('Quá hạn')")
        .await
        .as_bool()
        .unwrap());

    // A task for a division of ward p-1 shows on p-1's tile, and only there, with no reload.
    app.ingest(json!([task_event("e1", "t1", "w2", "2026-11-20", START)]))
        .await;
    page.wait_for(
        &format!("{} === '1'", tile_field("p-1", "open")),
        "p-1's open task",
    )
    .await;
    assert_eq!(page.eval(&tile_field("p-2", "open")).await, json!("0"));
    assert_eq!(page.eval(&tile_field("so-a", "open")).await, json!("0"));
    // The patch carried only the summary's changed fields and p-1's line by its id: the city's
    // own figure moves with it, and the tile keeps its name.
    let name = page.eval(&tile_field("p-1", "name")).await;
    page.wait_for(
        "document.querySelector('#figures [data-field=\"unit-open\"]')?.textContent.trim() === '1'",
        "the city's open tasks from the patch's summary fields",
    )
    .await;
    assert!(
        name.as_str().is_some_and(|n| n.contains("Hoàn Kiếm")),
        "p-1's tile shows a name: {name}"
    );
    // The deadline passes: the tile turns its overdue count without any task event.
    app.set_clock("2026-11-21T09:00:00+07:00").await;
    page.wait_for(
        &format!("{} === '1'", tile_field("p-1", "overdue")),
        "p-1's overdue task",
    )
    .await;
    // p-1 now has one open task, overdue, and nothing else: score 0, red.
    page.wait_for(
        "document.querySelector('[data-unit=\"p-1\"]').classList.contains('band-red')",
        "p-1's tile turning red",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('banner').hidden").await,
        json!(true)
    );
    page.screenshot("city-board").await;
    expect_no_errors(&page, "city board").await;

    // English on the toggle; numbers keep their values.
    page.eval("document.querySelector('[data-action=\"lang\"]').click()")
        .await;
    page.wait_for("document.documentElement.lang === 'en'", "the English page")
        .await;
    page.wait_for(
        "document.body.textContent.includes('Overdue')",
        "English labels",
    )
    .await;
    assert_eq!(page.eval(&tile_field("p-1", "open")).await, json!("1"));
    page.screenshot("city-board-en").await;
    page.eval("document.querySelector('[data-action=\"lang\"]').click()")
        .await;
    page.wait_for("document.documentElement.lang === 'vi'", "Vietnamese again")
        .await;

    // The server stops: the banner says so. It comes back at the same address: the banner goes
    // and the board shows the data again, without a reload.
    let app_addr = app.addr;
    let before_stop = page
        .eval("performance.getEntriesByType('navigation').length")
        .await;
    let app = {
        let stopped = app.stop_keeping_database().await;
        page.wait_for(
            "document.getElementById('banner').hidden === false",
            "the connection banner",
        )
        .await;
        page.screenshot("city-board-disconnected").await;
        stopped.start_again().await
    };
    assert_eq!(app.addr, app_addr);
    page.wait_for(
        "document.getElementById('banner').hidden === true",
        "the banner clearing when the server is back",
    )
    .await;
    assert_eq!(page.eval(&tile_field("p-1", "open")).await, json!("1"));
    assert_eq!(
        page.eval("performance.getEntriesByType('navigation').length")
            .await,
        before_stop,
        "no reload"
    );
    app.ingest(json!([task_event("e2", "t2", "w4", "2026-12-20", START)]))
        .await;
    page.wait_for(
        &format!("{} === '1'", tile_field("p-2", "open")),
        "a change after the return",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_new_alert_appears_in_the_alert_center_and_is_acknowledged_there() {
    let test = "a_new_alert_appears_in_the_alert_center_and_is_acknowledged_there";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    // The ward p-2's leader, signed in as Hoàng Minh Đức (w3): sees the city, acts in the ward.
    let token = app
        .account(
            "p2-leader",
            Some("w3"),
            &[("viewer", "hn"), ("leader", "p-2")],
        )
        .await;
    let account = account_of(&app, &token).await;
    let mut page = signed_in_page(&browser, &app, &token).await;
    screen_size(&mut page, 1600, 1000).await;
    page.navigate(&app.url("/alerts.html?unit=hn")).await;
    let row = "document.querySelector('[data-alert-key=\"builtin.kpi_thresholds|TTHC@p-2\"]')";
    // A red value for p-2: the alert arrives over the live feed, no reload.
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": 80.0},
        {"type": "kpi_observation", "id": "o2", "at": START, "kpi": "KN", "unit": "p-1", "period": "2026-10", "value": 9.0}
    ]))
    .await;
    page.wait_for(&format!("!!{row}"), "the new alert's row")
        .await;
    assert_eq!(
        page.eval(&format!("{row}.dataset.severity")).await,
        json!("red")
    );
    assert!(page
        .eval(&format!("{row}.textContent.includes('Phường Ba Đình')"))
        .await
        .as_bool()
        .unwrap());
    page.screenshot("alert-center").await;

    // Acknowledge as the ward's leader (the session says who; the request names no one), with a
    // comment. The dialog's write carries the session's CSRF token, or the server refuses it.
    assert_eq!(
        page.eval("!!document.getElementById('actor')").await,
        json!(false),
        "no 'acting as' field: the session is the actor"
    );
    page.eval(&format!(
        "{row}.querySelector('[data-action=\"ack\"]').click()"
    ))
    .await;
    page.wait_for(
        "document.getElementById('dlg-ack').open",
        "the acknowledge dialog",
    )
    .await;
    page.eval("const f = document.querySelector('#dlg-ack form'); f.comment.value = 'Đang xử lý'; f.querySelector('button[type=\"submit\"]').click(); 0")
        .await;
    page.wait_for(
        &format!("!!{row}?.querySelector('[data-field=\"acked\"]')"),
        "the acknowledgment on the row",
    )
    .await;
    let alerts = app.get_ok("/api/v1/alerts?unit=p-2").await;
    let alert = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["subject"] == "TTHC@p-2")
        .expect("the alert")
        .clone();
    assert_eq!(
        alert["acknowledged_by"],
        json!(acting_as(&account)),
        "{alert}"
    );
    assert_eq!(alert["ack_comment"], "Đang xử lý");
    // The row names who acknowledged: the person's name when the account has one.
    if account["person"].is_string() {
        page.wait_for(
            &format!("{row}.querySelector('[data-field=\"acked\"]').textContent.includes('Hoàng Minh Đức')"),
            "the acknowledging person's name on the row",
        )
        .await;
    }
    page.screenshot("alert-center-acknowledged").await;
    expect_no_errors(&page, "alert center").await;

    // A ward's alert center does not show another ward's alerts.
    page.navigate(&app.url("/alerts.html?unit=p-1")).await;
    page.wait_for(
        "!!document.querySelector('[data-alert-key=\"builtin.kpi_thresholds|KN@p-1\"]')",
        "the ward's own alert",
    )
    .await;
    assert_eq!(page.eval(&format!("!!{row}")).await, json!(false));
    app.stop().await;
}

#[tokio::test]
async fn wall_mode_rotates_its_boards_fits_the_screen_and_shows_the_clock() {
    let test = "wall_mode_rotates_its_boards_fits_the_screen_and_shows_the_clock";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = fixture_with_work().await;
    let mut page = signed_in_page(&browser, &app, &app.token).await;
    screen_size(&mut page, 1920, 1080).await;
    page.navigate(&app.url("/wall.html?boards=hn,p-1&rotate=2"))
        .await;
    page.wait_for("document.body.dataset.board === 'hn'", "the first board")
        .await;
    page.wait_for(
        "!!document.querySelector('[data-unit=\"p-1\"] [data-field=\"score\"]')",
        "the city's tiles",
    )
    .await;
    page.screenshot("wall-city").await;
    page.wait_for(
        "document.body.dataset.board === 'p-1'",
        "rotation to the second board",
    )
    .await;
    page.screenshot("wall-ward").await;
    page.wait_for(
        "document.body.dataset.board === 'hn'",
        "rotation back to the first",
    )
    .await;
    let clock = page
        .eval("document.getElementById('clock').textContent")
        .await;
    assert!(
        clock.as_str().is_some_and(|c| c.contains(':')),
        "a clock: {clock}"
    );
    let ago = page
        .eval("document.querySelector('[data-field=\"updated-ago\"]')?.textContent")
        .await;
    assert!(
        ago.as_str().is_some_and(|s| !s.is_empty()),
        "updated-ago: {ago}"
    );
    // Kiosk: no scrolling, no controls.
    let fits = page
        .eval("document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")
        .await;
    assert_eq!(fits, json!(true), "the wall fits one 1920x1080 screen");
    assert_eq!(
        page.eval("document.querySelectorAll('button, input, select, nav').length")
            .await,
        json!(0),
        "no controls on a wall"
    );
    expect_no_errors(&page, "wall").await;
    screen_size(&mut page, 1280, 720).await;
    page.wait_for(
        "document.body.dataset.board === 'p-1'",
        "a rotation at 1280x720",
    )
    .await;
    let fits = page
        .eval("document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")
        .await;
    assert_eq!(fits, json!(true), "the wall fits a 1280x720 screen too");

    // The server goes: the wall says so on its own.
    app.stop().await;
    page.wait_for(
        "document.getElementById('banner').hidden === false",
        "the wall's connection banner",
    )
    .await;
    page.screenshot("wall-disconnected").await;
}

#[tokio::test]
async fn the_unit_board_drills_down_to_tasks_and_people_and_the_review_shows_its_charts() {
    let test = "the_unit_board_drills_down_to_tasks_and_people_and_the_review_shows_its_charts";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = fixture_with_work().await;
    let mut page = signed_in_page(&browser, &app, &app.token).await;
    screen_size(&mut page, 1600, 1000).await;
    page.navigate(&app.url("/unit.html?id=p-1")).await;
    for (what, selector) in [
        ("the overdue tasks", "#tasks-overdue [data-id=\"t-old\"]"),
        (
            "the second overdue task",
            "#tasks-overdue [data-id=\"t-newer\"]",
        ),
        ("the due-soon task", "#tasks-soon [data-id=\"t-soon\"]"),
        ("the people", "#people [data-id=\"w2\"]"),
        ("the KPI line", "#kpis [data-id=\"TTHC\"]"),
        ("the key result", "#okrs [data-id=\"kr-3\"]"),
        ("the child division", "#children [data-id=\"p-1.vh\"]"),
    ] {
        page.wait_for(&format!("!!document.querySelector('{selector}')"), what)
            .await;
    }
    // The responsible person is named on the task line.
    assert!(page
        .eval("document.querySelector('#tasks-overdue [data-id=\"t-old\"]').textContent.includes('Phạm Thị Dung')")
        .await
        .as_bool()
        .unwrap());
    // A sparkline for the KPI with three periods.
    page.wait_for(
        "!!document.querySelector('#kpis [data-id=\"TTHC\"] svg')",
        "the KPI's sparkline",
    )
    .await;
    page.screenshot("unit-board").await;
    expect_no_errors(&page, "unit board").await;

    // Drill down: task line -> the task; person -> the person view.
    let task_link: Value = page
        .eval("document.querySelector('#tasks-overdue [data-id=\"t-old\"] a[href*=\"task.html\"]')?.getAttribute('href')")
        .await;
    let task_link = task_link.as_str().expect("a link to the task").to_string();
    page.navigate(&app.url(&format!("/{}", task_link.trim_start_matches('/'))))
        .await;
    page.wait_for(
        "document.body.textContent.includes('Nhiệm vụ t-old') && document.body.textContent.includes('Phạm Thị Dung')",
        "the task with its responsible person",
    )
    .await;
    page.screenshot("task").await;
    page.navigate(&app.url("/person.html?id=w2")).await;
    page.wait_for(
        "document.body.textContent.includes('Phạm Thị Dung') && document.body.textContent.includes('Nhiệm vụ t-soon')",
        "the person with their tasks",
    )
    .await;
    page.screenshot("person").await;
    expect_no_errors(&page, "task and person").await;

    // Review meeting mode for the city and this week: figures and the server's charts.
    page.navigate(&app.url("/review.html?unit=hn&week=2026-W47"))
        .await;
    page.wait_for(
        "document.querySelectorAll('img').length >= 4 && [...document.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)",
        "the review's four charts",
    )
    .await;
    let images: Value = page
        .eval("[...document.querySelectorAll('img')].map(i => i.getAttribute('src'))")
        .await;
    for src in images.as_array().unwrap() {
        let src = src.as_str().unwrap();
        assert!(src.contains(".svg"), "the page shows SVG charts: {src}");
    }
    let png_links: Value = page
        .eval("[...document.querySelectorAll('a[href*=\".png\"]')].length")
        .await;
    assert!(
        png_links.as_u64().unwrap() >= 4,
        "PNG downloads: {png_links}"
    );
    page.screenshot("review").await;
    expect_no_errors(&page, "review").await;
    app.stop().await;
}

#[tokio::test]
async fn a_wall_says_its_data_is_stale_when_the_server_stops_updating_and_clears_when_it_resumes() {
    let test =
        "a_wall_says_its_data_is_stale_when_the_server_stops_updating_and_clears_when_it_resumes";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    // The system clock, as in production: the server's data clock moves every second through
    // the writer, so a writer that cannot commit shows as a data clock falling behind.
    let app = ioc_tests::spawn_app_on_system_clock(ioc::http::web::DashboardConfig {
        stale_after_seconds: 5,
        ..Default::default()
    })
    .await;
    for unit in ioc_tests::fixture_catalog()["units"].as_array().unwrap() {
        let (status, body) = app.post("/api/v1/units", unit).await;
        assert_eq!(status, 201, "{body}");
    }
    let mut page = signed_in_page(&browser, &app, &app.token).await;
    screen_size(&mut page, 1920, 1080).await;
    page.navigate(&app.url("/wall.html?boards=hn")).await;
    page.wait_for(
        "document.body.dataset.board === 'hn' && !!document.querySelector('[data-unit=\"p-1\"]')",
        "the wall",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('stale-banner').hidden")
            .await,
        json!(true)
    );

    // Another connection holds SQLite's write lock: the server answers, its link is fine, but
    // it cannot commit, so its figures stop moving.
    use sqlx::Connection;
    let mut lock = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .expect("a second connection");
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut lock)
        .await
        .expect("the write lock");
    page.wait_for(
        "document.getElementById('stale-banner').hidden === false",
        "the stale-data banner",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('banner').hidden").await,
        json!(true),
        "the link itself is up"
    );
    let text = page
        .eval("document.getElementById('stale-banner').textContent")
        .await;
    assert!(
        text.as_str().is_some_and(|t| t.contains("chưa cập nhật")),
        "it says the figures are behind: {text}"
    );
    page.screenshot("wall-stale").await;
    sqlx::query("ROLLBACK")
        .execute(&mut lock)
        .await
        .expect("release");
    page.wait_for(
        "document.getElementById('stale-banner').hidden === true",
        "the stale banner clearing once the server commits again",
    )
    .await;
    expect_no_errors(&page, "stale wall").await;
    app.stop().await;
}

/// The answer to a REST call made with a session token as a bearer token: status and body.
async fn get_as(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// As `get_as`, asking for the server's messages in `lang` (`Accept-Language`).
async fn get_in(app: &TestApp, token: &str, path: &str, lang: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .header("accept-language", lang)
        .send()
        .await
        .expect("GET");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Fills the sign-in form and submits it (the page's own submit handler does the rest).
async fn submit_login(page: &mut Page, login: &str, password: &str) {
    page.eval(&format!(
        // A function scope: a top-level `const` would clash with the next call's on this page.
        "(() => {{ const f = document.getElementById('login-form'); f.login.value = {}; f.password.value = {}; f.querySelector('button[type=\"submit\"]').click(); return 0; }})()",
        json!(login),
        json!(password)
    ))
    .await;
}

#[tokio::test]
async fn signing_in_through_the_form_shows_a_ward_leader_only_the_ward_and_signing_out_ends_it() {
    let test =
        "signing_in_through_the_form_shows_a_ward_leader_only_the_ward_and_signing_out_ends_it";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = fixture_with_work().await;
    // A red alert in each ward: the leader of p-1 must see p-1's and not p-2's.
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o-red-p2", "at": START, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": 80.0},
        {"type": "kpi_observation", "id": "o-red-p1", "at": START, "kpi": "KN", "unit": "p-1", "period": "2026-10", "value": 9.0}
    ]))
    .await;
    let token = app
        .account("p1-leader", Some("w1"), &[("leader", "p-1")])
        .await;
    let password = "p1-leader-password-1";
    let mut page = browser.page().await;
    screen_size(&mut page, 1600, 1000).await;

    // No cookie: the city board sends the reader to sign in, coming back to "/" afterwards.
    page.navigate(&app.url("/")).await;
    page.wait_for(
        "location.pathname === '/login.html' && document.readyState === 'complete'",
        "the sign-in page",
    )
    .await;
    assert_eq!(
        page.eval("new URLSearchParams(location.search).get('next')")
            .await,
        json!("/")
    );
    assert_eq!(
        page.eval("document.documentElement.lang").await,
        json!("vi")
    );
    page.eval("document.querySelector('[data-action=\"lang\"]').click()")
        .await;
    page.wait_for(
        "document.querySelector('#login h1').textContent === 'Sign in'",
        "the sign-in page in English",
    )
    .await;
    page.eval("document.querySelector('[data-action=\"lang\"]').click()")
        .await;
    page.wait_for(
        "document.querySelector('#login h1').textContent === 'Đăng nhập'",
        "the sign-in page in Vietnamese again",
    )
    .await;

    // A wrong password: the server's refusal on the form, and still no session.
    submit_login(&mut page, "p1-leader", "not-the-password-at-all").await;
    page.wait_for(
        "!document.getElementById('login-error').hidden && document.getElementById('login-error').textContent.trim().length > 0",
        "the sign-in error",
    )
    .await;
    assert_eq!(page.eval("location.pathname").await, json!("/login.html"));
    page.screenshot("login-refused").await;

    // The right password: back on the city board, which for a ward leader is the ward.
    submit_login(&mut page, "p1-leader", password).await;
    page.wait_for(
        "location.pathname === '/' && document.getElementById('title')?.textContent === 'Phường Hoàn Kiếm'",
        "the ward's board after signing in",
    )
    .await;
    page.wait_for(
        "!!document.querySelector('[data-unit=\"p-1.vh\"]')",
        "the ward's division tile",
    )
    .await;
    let who = page
        .eval("document.querySelector('[data-field=\"account\"]')?.textContent || ''")
        .await;
    let account = account_of(&app, &token).await;
    let name = account["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .or(account["id"].as_str())
        .unwrap()
        .to_string();
    assert!(
        who.as_str().is_some_and(|w| w.contains(&name)),
        "the nav bar names the account ({name}): {who}"
    );
    // Its grant in words, never a role id.
    page.wait_for(
        "document.querySelector('[data-field=\"grants\"]')?.textContent === 'Lãnh đạo · Phường Hoàn Kiếm'",
        "the account's grant in words",
    )
    .await;
    page.screenshot("signed-in-ward-board").await;

    // The ward's alert center: p-1's alerts, not p-2's. Its two red KPIs are one group on its
    // own screen (the ward's, KPI thresholds), which opens to them.
    page.navigate(&app.url("/alerts.html")).await;
    let kpis = "document.querySelector('[data-group-key=\"p-1|builtin.kpi_thresholds\"]')";
    page.wait_for(&format!("!!{kpis}"), "the ward's own KPI group")
        .await;
    page.eval(&format!(
        "{kpis}.querySelector('button[data-action=\"open\"]').click()"
    ))
    .await;
    page.wait_for(
        "!!document.querySelector('[data-alert-key=\"builtin.kpi_thresholds|KN@p-1\"]')",
        "the ward's own alert",
    )
    .await;
    assert_eq!(
        page.eval(
            "!!document.querySelector('[data-alert-key=\"builtin.kpi_thresholds|TTHC@p-2\"]')"
        )
        .await,
        json!(false),
        "another ward's alert"
    );

    // Another ward's board: a refusal instead of its data, in Vietnamese throughout (the
    // server's reason is English unless it answers in the page's language).
    let (status, refusal) = get_in(
        &app,
        &token,
        "/api/v1/units/p-2/tasks?due=overdue&limit=50",
        "en",
    )
    .await;
    assert_eq!(status, 403, "{refusal}");
    let reason = refusal["error"]["message"]
        .as_str()
        .expect("a reason")
        .to_string();
    page.navigate(&app.url("/unit.html?id=p-2")).await;
    page.wait_for(
        "document.querySelector('#tasks-overdue [data-field=\"error\"]')?.textContent.startsWith('Không có quyền')",
        "the refusal on the other ward's task list",
    )
    .await;
    page.wait_for(
        "document.getElementById('title').textContent.startsWith('Không có quyền')",
        "the refusal as the page's title",
    )
    .await;
    assert_eq!(
        page.eval("document.querySelectorAll('#tasks-overdue [data-id], #people [data-id], #children [data-unit]').length")
            .await,
        json!(0),
        "no data of the other ward"
    );
    let english = page.english_words(&[&reason], FIXTURE_DATA).await;
    assert!(
        english.is_empty(),
        "English on a Vietnamese page after a refusal: {english:?}"
    );
    page.screenshot("unit-board-forbidden").await;
    // An English page shows the server's own reason.
    page.navigate(&app.url("/unit.html?id=p-2&lang=en")).await;
    page.wait_for(
        &format!(
            "document.querySelector('#tasks-overdue').textContent.includes({})",
            json!(reason)
        ),
        "the server's reason on the English page",
    )
    .await;

    // Sign out: back to the sign-in page, the cookie gone, and the session it held revoked on
    // the server (not only forgotten by the browser).
    page.navigate(&app.url("/")).await;
    page.wait_for(
        "!!document.querySelector('[data-action=\"signout\"]')",
        "the sign-out button",
    )
    .await;
    let browser_session = page
        .session_cookie(&app.base)
        .await
        .expect("the session cookie the sign-in set");
    assert_eq!(
        get_as(&app, &browser_session, "/api/v1/session").await.0,
        200
    );
    page.eval("document.querySelector('[data-action=\"signout\"]').click()")
        .await;
    page.wait_for(
        "location.pathname === '/login.html' && document.readyState === 'complete'",
        "the sign-in page after signing out",
    )
    .await;
    assert_eq!(
        page.eval("fetch('/api/v1/units').then(r => r.status)")
            .await,
        json!(401)
    );
    assert_eq!(
        get_as(&app, &browser_session, "/api/v1/session").await.0,
        401,
        "the signed-out session is revoked"
    );
    assert_eq!(
        page.session_cookie(&app.base).await,
        None,
        "the cookie is cleared"
    );
    page.navigate(&app.url("/unit.html?id=p-1")).await;
    page.wait_for(
        "location.pathname === '/login.html' && new URLSearchParams(location.search).get('next') === '/unit.html?id=p-1'",
        "the sign-in page again, coming back to the unit board",
    )
    .await;
    // The wall has no sign-out of its own (kiosk), but without a session it goes to sign-in too.
    page.navigate(&app.url("/wall.html?boards=p-1")).await;
    page.wait_for(
        "location.pathname === '/login.html' && new URLSearchParams(location.search).get('next') === '/wall.html?boards=p-1'",
        "the sign-in page, coming back to the wall",
    )
    .await;

    // Refusals the server gave on purpose (401 signed out, 403 out of scope) are logged by the
    // browser; anything else (a script error, a Content-Security-Policy refusal) is a fault.
    let errors = page.unexpected_console_errors(&[401, 403]);
    assert!(errors.is_empty(), "console errors: {errors:?}");

    // The server's Content-Security-Policy is in force here, and a page breaking it is caught by
    // the console check every test ends with: an inline style is refused, and said so.
    page.eval("document.body.insertAdjacentHTML('beforeend', '<div id=\"csp-probe\" style=\"width: 7px\"></div>'); 0")
        .await;
    assert_ne!(
        page.eval("getComputedStyle(document.getElementById('csp-probe')).width")
            .await,
        json!("7px"),
        "an inline style attribute must be refused"
    );
    page.wait_for("true", "a round trip for the console").await;
    assert!(
        page.console_errors
            .iter()
            .any(|e| e.contains("Content Security Policy")),
        "the refusal is a console error: {:?}",
        page.console_errors
    );
    app.stop().await;
}

#[tokio::test]
async fn an_account_with_a_one_time_password_changes_it_before_seeing_anything() {
    let test = "an_account_with_a_one_time_password_changes_it_before_seeing_anything";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = fixture_with_work().await;
    // Accounts created without a password get a one-time one, to be changed at first sign-in.
    let mut one_time = Vec::new();
    for id in ["p1-new", "p1-new-2"] {
        let (status, body) = app
            .post(
                "/api/v1/accounts",
                &json!({"id": id, "name": format!("Cán bộ {id}"), "grants": [{"role": "viewer", "unit": "p-1"}]}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["must_change_password"], true, "{body}");
        one_time.push(
            body["one_time_password"]
                .as_str()
                .expect("a one-time password")
                .to_string(),
        );
    }
    let new_password = "a-new-password-of-mine";
    let mut page = browser.page().await;
    screen_size(&mut page, 1600, 1000).await;

    // Through the form: the sign-in answer says the password must change, so the change form
    // comes instead of the page, without asking for the password just typed.
    page.navigate(&app.url("/unit.html?id=p-1")).await;
    page.wait_for(
        "location.pathname === '/login.html' && document.readyState === 'complete'",
        "the sign-in page",
    )
    .await;
    submit_login(&mut page, "p1-new", &one_time[0]).await;
    page.wait_for(
        "!document.getElementById('change').hidden && document.getElementById('login').hidden",
        "the change-password form",
    )
    .await;
    assert_eq!(
        page.eval("document.querySelector('#password-form [data-field=\"current\"]').hidden")
            .await,
        json!(true),
        "the password just typed is not asked again"
    );
    page.screenshot("login-change-password").await;
    // Two different new passwords: refused on the page, nothing sent.
    page.eval(&format!(
        "(() => {{ const f = document.getElementById('password-form'); f.new.value = {}; f.repeat.value = 'something-else-entirely'; f.querySelector('button[type=\"submit\"]').click(); return 0; }})()",
        json!(new_password)
    ))
    .await;
    page.wait_for(
        "!document.getElementById('password-error').hidden",
        "the mismatch said",
    )
    .await;
    page.eval(&format!(
        "(() => {{ const f = document.getElementById('password-form'); f.new.value = {0}; f.repeat.value = {0}; f.querySelector('button[type=\"submit\"]').click(); return 0; }})()",
        json!(new_password)
    ))
    .await;
    page.wait_for(
        "location.pathname === '/unit.html' && document.getElementById('title')?.textContent.startsWith('Phường Hoàn Kiếm')",
        "the unit board after the change",
    )
    .await;
    // The new password is the one that works now, and it needs no further change.
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&json!({"login": "p1-new", "password": new_password}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["account"]["must_change_password"], false, "{body}");

    // A session whose password must change, opening a page: sent to the change form, which
    // asks for the current password as well (this page did not see it).
    page.clear_cookies().await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&json!({"login": "p1-new-2", "password": one_time[1]}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("JSON");
    let token = body["token"].as_str().expect("token").to_string();
    page.set_session_cookie(&app.base, &token).await;
    page.navigate(&app.url("/review.html?unit=p-1")).await;
    page.wait_for(
        "location.pathname === '/login.html' && new URLSearchParams(location.search).get('change') === '1' && !document.getElementById('change').hidden",
        "the change form for the session's account",
    )
    .await;
    assert_eq!(
        page.eval("document.querySelector('#password-form [data-field=\"current\"]').hidden")
            .await,
        json!(false),
        "the current password is asked"
    );
    page.eval(&format!(
        "(() => {{ const f = document.getElementById('password-form'); f.current.value = {}; f.new.value = {1}; f.repeat.value = {1}; f.querySelector('button[type=\"submit\"]').click(); return 0; }})()",
        json!(one_time[1]),
        json!(new_password)
    ))
    .await;
    page.wait_for(
        "location.pathname === '/review.html' && document.getElementById('title')?.textContent === 'Phường Hoàn Kiếm'",
        "the review after the change",
    )
    .await;
    let errors = page.unexpected_console_errors(&[401]);
    assert!(errors.is_empty(), "console errors: {errors:?}");
    app.stop().await;
}

// ---- the OKR tree and the evaluation pages ---------------------------------------------------

/// A percentage as the pages show a 0..1 figure (`fmt.pct`: Intl, at most one decimal), in
/// the page's own formatter for `locale`, so the test compares with what the API computed.
async fn pct_in_page(page: &mut Page, locale: &str, v: f64) -> String {
    page.eval(&format!(
        "new Intl.NumberFormat('{locale}', {{style: 'percent', maximumFractionDigits: 1}}).format({v})"
    ))
    .await
    .as_str()
    .expect("a string")
    .to_string()
}

/// Points as the evaluation page shows them (`fmt.num`: at most two decimals).
async fn points_in_page(page: &mut Page, locale: &str, v: f64) -> String {
    page.eval(&format!(
        "new Intl.NumberFormat('{locale}', {{maximumFractionDigits: 2}}).format({v})"
    ))
    .await
    .as_str()
    .expect("a string")
    .to_string()
}

async fn text_of(page: &mut Page, selector: &str) -> String {
    page.eval(&format!(
        "document.querySelector({})?.textContent.trim() ?? null",
        json!(selector)
    ))
    .await
    .as_str()
    .unwrap_or_else(|| panic!("no element {selector}"))
    .to_string()
}

/// Three levels of aligned objectives with weights and check-ins, in an active quarter:
/// o-city (hn, 2026) <- o-p1 (p-1, weight 1) <- o-vh (p-1.vh, weight 3); o-city <- o-p2 (p-2,
/// weight 2). The clock at 2026-11-25.
async fn okr_fixture() -> TestApp {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    for state in ["planning", "active"] {
        let (status, body) = app
            .send(
                reqwest::Method::PUT,
                "/api/v1/periods/2026-Q4",
                &json!({ "state": state }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    for (path, item) in [
        (
            "/api/v1/objectives",
            json!({"id": "o-p2", "unit": "p-2", "title": "Cải cách hành chính", "period": "2026-Q4", "parent": "o-city", "weight": 2, "owner": "w3"}),
        ),
        (
            "/api/v1/key-results",
            json!({"id": "kr-4", "objective": "o-p2", "title": "Thủ tục rút gọn", "start": 0, "target": 10, "unit_of_measure": "thủ tục"}),
        ),
        (
            "/api/v1/objectives",
            json!({"id": "o-vh", "unit": "p-1.vh", "title": "Số hóa hồ sơ văn hóa", "period": "2026-Q4", "parent": "o-p1", "weight": 3, "owner": "w2"}),
        ),
        (
            "/api/v1/key-results",
            json!({"id": "kr-5", "objective": "o-vh", "title": "Hồ sơ đã số hóa", "start": 0, "target": 200, "unit_of_measure": "hồ sơ"}),
        ),
    ] {
        let (status, body) = app.post(path, &item).await;
        assert_eq!(status, 201, "POST {path}: {body}");
    }
    let checkin =
        |id: &str, kr: &str, value: f64, at: &str, confidence: u8, comment: &str, by: &str| {
            json!({"type": "kr_checkin", "id": id, "at": at, "key_result": kr, "value": value,
               "confidence": confidence, "comment": comment, "by": by})
        };
    app.ingest(json!([
        checkin(
            "k1",
            "kr-1",
            60.0,
            "2026-11-03T09:00:00+07:00",
            8,
            "Cổng dịch vụ công mới",
            "a1"
        ),
        checkin(
            "k3a",
            "kr-3",
            88.0,
            "2026-11-04T09:00:00+07:00",
            5,
            "Rà soát hồ sơ tồn",
            "w1"
        ),
        checkin(
            "k3b",
            "kr-3",
            95.0,
            "2026-11-18T09:00:00+07:00",
            7,
            "Đã xử lý xong hồ sơ tồn",
            "w1"
        ),
        checkin(
            "k4",
            "kr-4",
            2.0,
            "2026-11-05T09:00:00+07:00",
            4,
            "Chậm",
            "w3"
        ),
        checkin(
            "k5",
            "kr-5",
            50.0,
            "2026-11-10T09:00:00+07:00",
            6,
            "Đợt một",
            "w2"
        ),
    ]))
    .await;
    app.set_clock("2026-11-25T10:00:00+07:00").await;
    app
}

#[tokio::test]
async fn the_okr_page_shows_the_alignment_tree_with_the_apis_roll_up_and_a_key_results_check_ins() {
    let test =
        "the_okr_page_shows_the_alignment_tree_with_the_apis_roll_up_and_a_key_results_check_ins";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = okr_fixture().await;
    let api = app.get_ok("/api/v1/objectives/o-city/tree").await;
    let mut page = signed_in_page(&browser, &app, &app.token).await;
    screen_size(&mut page, 1600, 1000).await;
    page.navigate(&app.url("/okr.html?objective=o-city")).await;
    page.wait_for(
        "!!document.querySelector('.okr-node[data-id=\"o-vh\"] [data-field=\"rolled-up\"]')",
        "the third level of the tree",
    )
    .await;
    // Each node's own and rolled-up progress as the API computed them, in the page's format.
    let nodes = [
        ("o-city", &api["tree"]),
        ("o-p1", find_child(&api["tree"], "o-p1")),
        ("o-p2", find_child(&api["tree"], "o-p2")),
        ("o-vh", find_child(find_child(&api["tree"], "o-p1"), "o-vh")),
    ];
    for (id, node) in nodes {
        for (field, key) in [("rolled-up", "rolled_up"), ("progress", "progress")] {
            let v = node[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{id}.{key}: {node}"));
            let want = pct_in_page(&mut page, "vi-VN", v).await;
            let sel = format!(
                ".okr-node[data-id=\"{id}\"] > .okr-card > .okr-bars [data-field=\"{field}\"]"
            );
            assert_eq!(text_of(&mut page, &sel).await, want, "{id} {field} ({v})");
        }
    }
    // The roll-up is not the own progress (the tree below counts), as the API says.
    assert_ne!(api["tree"]["rolled_up"], api["tree"]["progress"], "{api}");
    // Weight, owner, the period and its state.
    assert!(text_of(
        &mut page,
        ".okr-node[data-id=\"o-p2\"] [data-field=\"weight\"]"
    )
    .await
    .contains('2'));
    assert_eq!(
        page.eval("document.querySelector('.okr-node[data-id=\"o-vh\"] [data-field=\"state\"]').dataset.state")
            .await,
        json!("active")
    );
    assert!(text_of(&mut page, ".okr-node[data-id=\"o-vh\"] .okr-meta")
        .await
        .contains("Phạm Thị Dung"));

    // A key result opens its check-in history: value, confidence, comment, who, newest first.
    page.eval(
        "document.querySelector('li.okr-kr[data-kr=\"kr-3\"] [data-action=\"checkins\"]').click()",
    )
    .await;
    page.wait_for(
        "document.querySelectorAll('li.okr-kr[data-kr=\"kr-3\"] tr[data-event]').length === 2",
        "kr-3's two check-ins",
    )
    .await;
    let history = app.get_ok("/api/v1/key-results/kr-3/check-ins").await;
    assert_eq!(history["check_ins"].as_array().unwrap().len(), 2);
    let first_row = "li.okr-kr[data-kr=\"kr-3\"] tr[data-event]";
    assert_eq!(
        text_of(&mut page, &format!("{first_row} [data-field=\"comment\"]")).await,
        "Đã xử lý xong hồ sơ tồn"
    );
    assert_eq!(
        text_of(
            &mut page,
            &format!("{first_row} [data-field=\"confidence\"]")
        )
        .await,
        "7/10"
    );
    page.wait_for(
        &format!(
            "document.querySelector('{}')?.textContent.trim() === 'Lê Văn Cường'",
            format!("{first_row} [data-field=\"by\"] a").replace('\'', "\\'")
        ),
        "the name of who checked in",
    )
    .await;
    page.screenshot("okr-tree").await;
    expect_no_errors(&page, "OKR tree").await;

    // The unit's objectives, each expanding into its tree; in English with ?lang=en.
    page.navigate(&app.url("/okr.html?unit=p-1&lang=en")).await;
    page.wait_for(
        "!!document.querySelector('details.okr-obj[data-id=\"o-p1\"]')",
        "the unit's objective",
    )
    .await;
    page.eval("document.querySelector('details.okr-obj[data-id=\"o-p1\"] summary').click()")
        .await;
    page.wait_for(
        "!!document.querySelector('details.okr-obj[data-id=\"o-p1\"] .okr-node[data-id=\"o-vh\"]')",
        "the expanded tree",
    )
    .await;
    assert_eq!(
        page.eval("document.documentElement.lang").await,
        json!("en")
    );
    assert!(page
        .eval("document.body.textContent.includes('Rolled up') && document.body.textContent.includes('Objectives of the unit') && !document.body.textContent.includes('Tổng hợp')")
        .await
        .as_bool()
        .unwrap());
    let p1 = find_child(&api["tree"], "o-p1");
    let want = pct_in_page(&mut page, "en-GB", p1["rolled_up"].as_f64().unwrap()).await;
    assert_eq!(
        text_of(
            &mut page,
            ".okr-node[data-id=\"o-p1\"] > .okr-card > .okr-bars [data-field=\"rolled-up\"]"
        )
        .await,
        want
    );
    page.screenshot("okr-unit-en").await;
    expect_no_errors(&page, "OKR of a unit, English").await;

    // A ward viewer sees the chain up, without the city's figures ("—"), and the tree below.
    let viewer = app.account("ward-viewer", None, &[("viewer", "p-1")]).await;
    let (_, mine) = get_as(&app, &viewer, "/api/v1/objectives/o-p1/tree").await;
    assert!(mine["up"][0]["rolled_up"].is_null(), "{mine}");
    // The same tab, now signed in as the viewer.
    page.set_session_cookie(&app.base, &viewer).await;
    page.navigate(&app.url("/okr.html?objective=o-p1")).await;
    page
        .wait_for(
            "!!document.querySelector('#okr-up li[data-id=\"o-city\"]') && !!document.querySelector('.okr-node[data-id=\"o-vh\"]')",
            "the chain up and the tree down",
        )
        .await;
    assert_eq!(
        text_of(
            &mut page,
            "#okr-up li[data-id=\"o-city\"] [data-field=\"rolled-up\"]"
        )
        .await,
        "—"
    );
    expect_no_errors(&page, "OKR tree of a ward").await;

    app.stop().await;
}

fn find_child<'a>(node: &'a Value, id: &str) -> &'a Value {
    node["children"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no child {id} in {node}"))
}

/// November 2026 in ward p-1 (as `tests/evaluation.rs`): w2 has four tasks due on the 10th (on
/// time, late, poor quality, not done), w5 one on time; the clock at 2026-11-25.
async fn evaluation_fixture() -> TestApp {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let (status, body) = app
        .post("/api/v1/people", &json!({"id": "w5", "name": "Đỗ Văn Giang", "unit": "p-1.vh", "position": "Chuyên viên"}))
        .await;
    assert_eq!(status, 201, "{body}");
    let ev = |id: &str, t: &str, at: &str, fields: Value| {
        let mut e = json!({"type": "task", "id": id, "at": at, "task_id": t});
        for (k, v) in fields.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
    };
    let new = |t: &str, who: &str| {
        ev(
            &format!("c-{t}"),
            t,
            START,
            json!({"title": format!("Nhiệm vụ {t}"), "responsible": who, "accountable": "w1", "deadline": "2026-11-10"}),
        )
    };
    let done = |id: &str, t: &str, at: &str, status: &str, extra: Value| {
        let mut f = json!({ "status": status });
        for (k, v) in extra.as_object().unwrap() {
            f[k] = v.clone();
        }
        ev(id, t, at, f)
    };
    app.ingest(json!([
        new("t1", "w2"),
        new("t2", "w2"),
        new("t3", "w2"),
        new("t4", "w2"),
        new("t5", "w5"),
        done(
            "s1",
            "t1",
            "2026-11-08T10:00:00+07:00",
            "submitted",
            json!({"progress": 100})
        ),
        done(
            "s2",
            "t2",
            "2026-11-15T10:00:00+07:00",
            "submitted",
            json!({"progress": 100})
        ),
        done(
            "s3",
            "t3",
            "2026-11-09T10:00:00+07:00",
            "submitted",
            json!({"progress": 100})
        ),
        done(
            "p4",
            "t4",
            "2026-11-05T10:00:00+07:00",
            "in_progress",
            json!({"progress": 60})
        ),
        done(
            "s5",
            "t5",
            "2026-11-09T10:00:00+07:00",
            "submitted",
            json!({"progress": 100})
        ),
    ]))
    .await;
    // The accountable leader, w1, accepts with its own session.
    let w1 = app
        .account("w1-accepts", Some("w1"), &[("leader", "p-1")])
        .await;
    app.ingest_as(
        &w1,
        json!([
            done(
                "a1",
                "t1",
                "2026-11-12T10:00:00+07:00",
                "accepted",
                json!({"quality": 90})
            ),
            done(
                "a2",
                "t2",
                "2026-11-16T10:00:00+07:00",
                "accepted",
                json!({"quality": 80})
            ),
            done(
                "a3",
                "t3",
                "2026-11-11T10:00:00+07:00",
                "accepted",
                json!({"quality": 40})
            ),
            done(
                "a5",
                "t5",
                "2026-11-09T11:00:00+07:00",
                "accepted",
                json!({"quality": 95})
            ),
        ]),
    )
    .await;
    app.set_clock("2026-11-25T08:00:00+07:00").await;
    app
}

/// Fills the criteria form with these scores and submits it through the page's own handler.
async fn submit_criteria(page: &mut Page, scores: &Value) {
    page.eval(&format!(
        "(() => {{ const f = document.getElementById('criteria-form'); const s = {scores};
           for (const [k, v] of Object.entries(s)) f.querySelector(`input[data-criterion=\"${{k}}\"]`).value = String(v);
           f.comment.value = 'Đánh giá tháng 11'; f.querySelector('button[type=\"submit\"]').click(); return 0; }})()"
    ))
    .await;
}

#[tokio::test]
async fn the_evaluation_page_explains_scores_and_takes_a_leaders_criteria() {
    let test = "the_evaluation_page_explains_scores_and_takes_a_leaders_criteria";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = evaluation_fixture().await;
    let leader = app.account("lead", Some("w1"), &[("leader", "p-1")]).await;
    let mut page = signed_in_page(&browser, &app, &leader).await;
    screen_size(&mut page, 1600, 1000).await;
    // Without a period the page opens on the last finished one: the clock is in November, so
    // October, with no provisional note.
    page.navigate(&app.url("/evaluation.html?unit=p-1")).await;
    page.wait_for(
        "document.getElementById('period-pick').value === '2026-10' && !!document.querySelector('#counts [data-class]')",
        "October, the last finished period",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('provisional').hidden")
            .await,
        json!(true),
        "a finished period is not provisional"
    );
    // November is still running: provisional, said so, and no class in its colour.
    page.navigate(&app.url("/evaluation.html?unit=p-1&period=2026-11"))
        .await;
    page.wait_for(
        "!document.getElementById('provisional').hidden && document.getElementById('provisional').textContent.includes('tạm tính')",
        "the running period said to be provisional",
    )
    .await;
    let (status, unit) = get_as(
        &app,
        &leader,
        "/api/v1/evaluations/units/p-1?period=2026-11",
    )
    .await;
    assert_eq!(status, 200, "{unit}");
    let people = unit["people"].as_array().expect("people");
    assert!(people.len() >= 3, "{unit}");
    page.wait_for(
        &format!(
            "document.querySelectorAll('#people tr[data-person]').length === {}",
            people.len()
        ),
        "a row per person",
    )
    .await;
    // Every class chip says "tạm tính" and takes no class colour (all the same grey).
    let chips = page
        .eval("[...document.querySelectorAll('#people tr[data-person] [data-class]')].map(c => [c.textContent.includes('(tạm tính)'), getComputedStyle(c).color])")
        .await;
    let chips = chips.as_array().expect("chips").clone();
    assert_eq!(chips.len(), people.len());
    assert!(chips.iter().all(|c| c[0] == true), "{chips:?}");
    assert!(
        chips.iter().all(|c| c[1] == chips[0][1]),
        "one colour for every class while provisional: {chips:?}"
    );
    // Every total as the API gives it.
    for p in people {
        let id = p["person"].as_str().unwrap();
        let shown = text_of(
            &mut page,
            &format!("#people tr[data-person=\"{id}\"] [data-field=\"total\"]"),
        )
        .await;
        let want = match p["total"].as_f64() {
            Some(v) => points_in_page(&mut page, "vi-VN", v).await,
            None => "—".to_string(),
        };
        assert_eq!(shown, want, "{id}: {p}");
    }
    // The quota box: the cap, and that it is not applied.
    let cap = unit["quota"]["cap"].as_u64().unwrap();
    let quota = text_of(&mut page, "#quota [data-field=\"quota\"]").await;
    assert!(
        quota.starts_with(&format!("Tối đa {cap} xuất sắc")),
        "{quota}"
    );
    assert!(text_of(&mut page, "#quota [data-field=\"not-applied\"]")
        .await
        .contains("không được áp dụng tự động"));
    // The period picker holds the period.
    assert_eq!(
        page.eval("document.getElementById('period-pick').value")
            .await,
        json!("2026-11")
    );

    // w2's panel: each task item with its deductions.
    page.eval("document.querySelector('#people tr[data-person=\"w2\"] td:nth-child(2)').click()")
        .await;
    page.wait_for(
        "document.querySelectorAll('#person-panel tr[data-task]').length === 4",
        "w2's four task items",
    )
    .await;
    for (task, reason) in [("t2", "late"), ("t3", "quality"), ("t4", "not_completed")] {
        assert_eq!(
            page.eval(&format!(
                "!!document.querySelector('#person-panel tr[data-task=\"{task}\"] [data-reason=\"{reason}\"]')"
            ))
            .await,
            json!(true),
            "{task}: {reason}"
        );
    }
    let (_, before) = get_as(
        &app,
        &leader,
        "/api/v1/evaluations/people/w2?period=2026-11",
    )
    .await;
    let t2 = before["score"]["tasks"]["own"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["task"] == "t2")
        .unwrap()
        .clone();
    let want = points_in_page(&mut page, "vi-VN", t2["earned"].as_f64().unwrap()).await;
    assert_eq!(
        text_of(
            &mut page,
            "#person-panel tr[data-task=\"t2\"] [data-field=\"earned\"]"
        )
        .await,
        want
    );
    // The server's notes (English before it words them in the page's language) read in
    // Vietnamese: "awaiting the leader's criteria scores…" is among them.
    let notes: Vec<String> = before["score"]["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n.as_str().map(String::from))
        .collect();
    assert!(!notes.is_empty(), "{before}");
    page.wait_for(
        "document.querySelectorAll('#person-panel [data-part=\"notes\"] li').length > 0",
        "the panel's notes",
    )
    .await;
    let note_refs: Vec<&str> = notes.iter().map(String::as_str).collect();
    let english = page.english_words(&note_refs, FIXTURE_DATA).await;
    assert!(english.is_empty(), "English in w2's panel: {english:?}");
    assert!(page
        .eval("location.search.includes('person=w2')")
        .await
        .as_bool()
        .unwrap());

    // A criterion above its max: the server's refusal, word for word.
    let too_much =
        json!({"politics": 7, "ethics": 6, "work_style": 6, "discipline": 5, "learning": 5});
    let (status, refusal) = app
        .send_as(
            Some(&leader),
            reqwest::Method::PUT,
            "/api/v1/evaluations/people/w2/criteria?period=2026-11",
            Some(&json!({ "scores": too_much })),
        )
        .await;
    assert_eq!(status, 422, "{refusal}");
    let message = refusal["error"]["message"].as_str().unwrap().to_string();
    page.wait_for(
        "!!document.getElementById('criteria-form')",
        "the criteria form",
    )
    .await;
    submit_criteria(&mut page, &too_much).await;
    // In Vietnamese, naming the criterion over its maximum by its name (the server's English
    // message is not shown on a Vietnamese page).
    let (_, config) = get_as(&app, &leader, "/api/v1/evaluations/config").await;
    let politics = config["criteria"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "politics"))
        .and_then(|c| c["name_vi"].as_str())
        .expect("the politics criterion's name")
        .to_string();
    page.wait_for(
        &format!(
            "document.getElementById('criteria-error')?.textContent.startsWith('Dữ liệu không hợp lệ') && document.getElementById('criteria-error').textContent.includes({})",
            json!(politics)
        ),
        "the refusal in Vietnamese, naming the criterion",
    )
    .await;
    let english = page.english_words(&[&message], FIXTURE_DATA).await;
    assert!(
        english.is_empty(),
        "English on the evaluation page: {english:?}"
    );
    page.screenshot("evaluation-refused").await;

    // Within bounds: the total shown becomes the one the API then gives, in the panel and table.
    submit_criteria(
        &mut page,
        &json!({"politics": 6, "ethics": 6, "work_style": 6, "discipline": 5, "learning": 5}),
    )
    .await;
    page.wait_for(
        "!!document.getElementById('criteria-saved')",
        "the saved scores",
    )
    .await;
    let (_, after) = get_as(
        &app,
        &leader,
        "/api/v1/evaluations/people/w2?period=2026-11",
    )
    .await;
    let total = after["score"]["total"].as_f64().expect("a total");
    assert!((total - 71.75).abs() < 1e-9, "{after}");
    let want = points_in_page(&mut page, "vi-VN", total).await;
    page.wait_for(
        &format!(
            "document.querySelector('#person-panel [data-field=\"total\"]')?.textContent.trim() === {0} && document.querySelector('#people tr[data-person=\"w2\"] [data-field=\"total\"]')?.textContent.trim() === {0}",
            json!(want)
        ),
        "the new total in the panel and the table",
    )
    .await;
    assert_eq!(
        page.eval(
            "document.querySelector('#people tr[data-person=\"w2\"] [data-class]').dataset.class"
        )
        .await,
        after["score"]["class"]
    );

    // Rankings by position: the peers of w2 (same position) in one group.
    page.eval("document.querySelector('#people [data-by=\"position\"]').click()")
        .await;
    page.wait_for(
        "!!document.querySelector('#people .rank-group[data-position=\"Chuyên viên\"] tr[data-person=\"w2\"]') && !!document.querySelector('#people .rank-group[data-position=\"Chuyên viên\"] tr[data-person=\"w5\"]')",
        "the peer group of the Chuyên viên",
    )
    .await;
    page.screenshot("evaluation").await;
    // The refused PUT logs the browser's own "422" line; nothing else may be logged.
    let errors = page.unexpected_console_errors(&[422]);
    assert!(errors.is_empty(), "evaluation page: {errors:?}");
    page.console_errors.clear();

    // w5 scored full marks (70 + 30 = 100, excellent) against one good (w2): the cap is 0, and
    // the quota box says who is above it.
    let (status, body) = app
        .send_as(
            Some(&leader),
            reqwest::Method::PUT,
            "/api/v1/evaluations/people/w5/criteria?period=2026-11",
            Some(&json!({"scores": {"politics": 6, "ethics": 6, "work_style": 6, "discipline": 6, "learning": 6}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, unit) = get_as(
        &app,
        &leader,
        "/api/v1/evaluations/units/p-1?period=2026-11",
    )
    .await;
    let over = unit["quota"]["over_by"].as_u64().unwrap();
    assert!(over >= 1, "{unit}");
    assert_eq!(unit["quota"]["above_cap"], json!(["w5"]), "{unit}");

    // English with ?lang=en, the person panel from the address; the server's clock's period by
    // default.
    page.navigate(&app.url("/evaluation.html?unit=p-1&period=2026-11&person=w5&lang=en"))
        .await;
    page.wait_for(
        "document.querySelectorAll('#person-panel tr[data-task]').length === 1",
        "w5's panel",
    )
    .await;
    assert_eq!(
        page.eval("document.documentElement.lang").await,
        json!("en")
    );
    assert_eq!(
        page.eval("document.getElementById('period-pick').value")
            .await,
        json!("2026-11")
    );
    assert!(page
        .eval("document.body.textContent.includes('Evaluation of officials') && document.body.textContent.includes('Excellent quota') && !document.body.textContent.includes('Tiêu chí chung')")
        .await
        .as_bool()
        .unwrap());
    let quota = text_of(&mut page, "#quota [data-field=\"quota\"]").await;
    assert!(
        quota.starts_with(&format!("At most {} excellent", unit["quota"]["cap"]))
            && quota.ends_with(&format!("{over} over")),
        "{quota}"
    );
    assert_eq!(
        page.eval(
            "[...document.querySelectorAll('#quota .quota-above li')].map(li => li.dataset.person)"
        )
        .await,
        json!(["w5"])
    );
    page.screenshot("evaluation-en").await;
    expect_no_errors(&page, "evaluation page, English").await;

    // The unit board links to both pages; the review to the report and its exports.
    page.navigate(&app.url("/unit.html?id=p-1")).await;
    page.wait_for(
        "document.querySelector('#unit-links [data-link=\"evaluation\"]')?.getAttribute('href')?.includes('unit=p-1')",
        "the unit board's links",
    )
    .await;
    assert!(page
        .eval("document.querySelector('#unit-links [data-link=\"okr\"]').getAttribute('href').startsWith('/okr.html?unit=p-1')")
        .await
        .as_bool()
        .unwrap());
    page.navigate(&app.url("/review.html?unit=p-1&week=2026-W47"))
        .await;
    page.wait_for(
        "document.querySelector('#report-links [data-link=\"xlsx\"]')?.getAttribute('href')?.includes('format=xlsx')",
        "the report links",
    )
    .await;
    let report: Value = page
        .eval("document.querySelector('#report-links [data-link=\"report\"]').getAttribute('href')")
        .await;
    let report = report.as_str().unwrap();
    assert!(
        report.contains("period=2026-W47") && report.contains("format=html"),
        "{report}"
    );
    let res = reqwest::Client::new()
        .get(app.url(report))
        .bearer_auth(&leader)
        .send()
        .await
        .expect("GET the report");
    assert_eq!(res.status(), 200, "{report}");
    // November is still running at the clock: the printable report marks its evaluation
    // provisional, as the page does.
    let html = res.text().await.expect("the report's HTML");
    assert!(html.contains("2026-11 (tạm tính)"), "{html}");
    expect_no_errors(&page, "unit board and review links").await;
    app.stop().await;
}

// ---- the screens as a ward leader and the city's duty officer read them ------------------------

/// Names the tests give their accounts and tasks (`p1-leader`, `Nhiệm vụ t-newer`): data the
/// pages show as they are, not English of the UI.
const FIXTURE_DATA: &[&str] = &["p1-leader lead", "t-old t-newer t-p2 t-soon t-own"];

/// The leader of ward p-1 (linked to its chair, w1): sees the ward and nothing else.
async fn ward_leader(app: &TestApp) -> String {
    app.account("p1-leader", Some("w1"), &[("leader", "p-1")])
        .await
}

/// True when every visible tile name shows whole: no text cut at the end of a line or after
/// the second line. The names that are cut, if any.
const CUT_TILE_NAMES: &str = "[...document.querySelectorAll('[data-unit] [data-field=\"name\"]')].filter(n => n.checkVisibility() && (n.scrollWidth > n.clientWidth + 1 || n.scrollHeight > n.clientHeight + 1)).map(n => n.textContent)";

#[tokio::test]
async fn a_ward_accounts_bare_wall_shows_its_ward_and_keeps_its_title_clock_and_list_readable_when_the_link_drops(
) {
    let test = "a_ward_accounts_bare_wall_shows_its_ward_and_keeps_its_title_clock_and_list_readable_when_the_link_drops";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = fixture_with_work().await;
    let token = ward_leader(&app).await;
    let mut page = signed_in_page(&browser, &app, &token).await;
    screen_size(&mut page, 1920, 1080).await;
    // The configured wall is the city's, which a ward's account may not see: its own ward.
    page.navigate(&app.url("/wall.html")).await;
    page.wait_for(
        "document.body.dataset.board === 'p-1' && document.getElementById('title').textContent === 'Phường Hoàn Kiếm'",
        "the ward's own board",
    )
    .await;
    page.wait_for(
        "!!document.querySelector('[data-unit=\"p-1.vh\"]') && !!document.querySelector('#red-kpis li[data-id=\"TTHC@p-1\"]')",
        "the ward's division and its red KPI",
    )
    .await;
    assert_eq!(
        page.eval("document.body.textContent.includes('không có đơn vị trực thuộc')")
            .await,
        json!(false)
    );
    let english = page.english_words(&[], FIXTURE_DATA).await;
    assert!(
        english.is_empty(),
        "English on the ward's wall: {english:?}"
    );
    page.screenshot("wall-ward-account").await;

    // The link drops: the banner comes above the board, the title and the clock stay on
    // screen below it, and the red KPI list stays, greyed, with the time it is from.
    let stopped = app.stop_keeping_database().await;
    page.wait_for(
        "document.getElementById('banner').hidden === false",
        "the connection banner",
    )
    .await;
    let readable = page
        .eval(
            "(() => { const b = document.getElementById('banner').getBoundingClientRect();
               return ['title', 'clock'].map(id => { const r = document.getElementById(id).getBoundingClientRect();
                 return r.height > 0 && r.top >= b.bottom - 0.5 && r.bottom <= innerHeight; }); })()",
        )
        .await;
    assert_eq!(
        readable,
        json!([true, true]),
        "the title and the clock below the banner, on screen"
    );
    page.wait_for(
        "document.getElementById('red-kpis').classList.contains('stale') && document.querySelector('[data-field=\"kept-as-of\"]')?.textContent.startsWith('Số liệu lúc')",
        "the red KPIs kept, greyed and dated",
    )
    .await;
    assert_eq!(
        page.eval("!!document.querySelector('#red-kpis li[data-id=\"TTHC@p-1\"]')")
            .await,
        json!(true),
        "the list is kept"
    );
    let fits = page
        .eval("document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")
        .await;
    assert_eq!(fits, json!(true), "the wall still fits with its banner");
    let english = page.english_words(&[], FIXTURE_DATA).await;
    assert!(english.is_empty(), "English during the outage: {english:?}");
    page.screenshot("wall-ward-account-disconnected").await;

    // Back: the list is fresh again, and follows a new red value.
    let app = stopped.start_again().await;
    page.wait_for(
        "document.getElementById('banner').hidden === true && !document.getElementById('red-kpis').classList.contains('stale')",
        "the list fresh once the link is back",
    )
    .await;
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o-kn", "at": START, "kpi": "KN", "unit": "p-1", "period": "2026-10", "value": 9.0}
    ]))
    .await;
    page.wait_for(
        "!!document.querySelector('#red-kpis li[data-id=\"KN@p-1\"]')",
        "the new red KPI",
    )
    .await;
    let errors = page.console_errors_beside_outage();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    app.stop().await;
}

#[tokio::test]
async fn the_city_boards_red_list_survives_a_dropped_link_in_vietnamese_and_refreshes_when_it_is_back(
) {
    let test = "the_city_boards_red_list_survives_a_dropped_link_in_vietnamese_and_refreshes_when_it_is_back";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = fixture_with_work().await;
    let mut page = signed_in_page(&browser, &app, &app.token).await;
    screen_size(&mut page, 1920, 1080).await;
    page.navigate(&app.url("/")).await;
    let red_p1 = "!!document.querySelector('#red-kpis li[data-id=\"TTHC@p-1\"]')";
    page.wait_for(red_p1, "p-1's red KPI on the city board")
        .await;

    // The list's requests cannot reach the server (the socket still can): a new red value
    // comes over the socket, the list is asked again, and that fails.
    page.fail_requests("*/api/v1/units/*/kpis/red*").await;
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o-red-p2", "at": START, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": 80.0}
    ]))
    .await;
    page.wait_for(
        "document.getElementById('red-kpis').classList.contains('stale') && document.querySelector('[data-field=\"kept-as-of\"]')?.textContent.startsWith('Số liệu lúc')",
        "the list kept, greyed and dated",
    )
    .await;
    assert_eq!(page.eval(red_p1).await, json!(true), "the last list stays");
    let english = page
        .english_words(&["Failed to fetch", "network error"], FIXTURE_DATA)
        .await;
    assert!(
        english.is_empty(),
        "English while the list cannot load: {english:?}"
    );
    assert_eq!(
        page.eval("document.getElementById('red-kpis').textContent.includes('Lỗi')")
            .await,
        json!(false)
    );
    page.screenshot("city-board-list-kept").await;

    // The server is reachable again: the list is asked again by itself and shows p-2's.
    page.stop_failing_requests().await;
    page.wait_for(
        "!!document.querySelector('#red-kpis li[data-id=\"TTHC@p-2\"]') && !document.getElementById('red-kpis').classList.contains('stale')",
        "the list refreshed, no longer greyed",
    )
    .await;

    // A real outage: greyed while the socket is down, fresh once it is back.
    let stopped = app.stop_keeping_database().await;
    page.wait_for(
        "document.getElementById('banner').hidden === false && document.getElementById('red-kpis').classList.contains('stale')",
        "the list greyed during the outage",
    )
    .await;
    let english = page.english_words(&[], FIXTURE_DATA).await;
    assert!(english.is_empty(), "English during the outage: {english:?}");
    let app = stopped.start_again().await;
    page.wait_for(
        "document.getElementById('banner').hidden === true && !document.getElementById('red-kpis').classList.contains('stale')",
        "the list fresh once the link is back",
    )
    .await;
    let errors = page.console_errors_beside_outage();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    app.stop().await;
}

#[tokio::test]
async fn tile_names_are_readable_on_the_city_board_and_the_wall_and_tile_numbers_say_what_they_are()
{
    let test =
        "tile_names_are_readable_on_the_city_board_and_the_wall_and_tile_numbers_say_what_they_are";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = spawn_app().await;
    app.load_fixture().await;
    // Two boards whose names differ only far along; the org data gives them short names.
    for (id, name, short) in [
        (
            "bql-ctn",
            "Ban Quản lý dự án đầu tư xây dựng công trình cấp nước, thoát nước và môi trường",
            "BQL DA cấp thoát nước và MT",
        ),
        (
            "bql-dd",
            "Ban Quản lý dự án đầu tư xây dựng công trình dân dụng và công nghiệp",
            "BQL DA dân dụng và CN",
        ),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/units",
                &json!({"id": id, "name": name, "short_name": short, "level": "agency", "parent": "hn"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let mut page = signed_in_page(&browser, &app, &app.token).await;
    for (path, width, height) in [
        ("/", 1280, 720),
        ("/", 1920, 1080),
        ("/wall.html?boards=hn", 1280, 720),
        ("/wall.html?boards=hn", 1920, 1080),
    ] {
        screen_size(&mut page, width, height).await;
        page.navigate(&app.url(path)).await;
        page.wait_for(
            "!!document.querySelector('[data-unit=\"bql-ctn\"] [data-field=\"name\"]') && !!document.querySelector('[data-unit=\"bql-dd\"] [data-field=\"name\"]')",
            "both boards' tiles",
        )
        .await;
        // Names are fitted once the tiles are laid out: read them after a frame.
        page.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            .await;
        let cut = page.eval(CUT_TILE_NAMES).await;
        assert_eq!(cut, json!([]), "{path} at {width}×{height}: names cut");
        let shown = page
            .eval("['bql-ctn', 'bql-dd'].map(id => document.querySelector(`[data-unit=\"${id}\"] [data-field=\"name\"]`).textContent)")
            .await;
        assert_ne!(shown[0], shown[1], "{path}: the two can be told apart");
        page.screenshot(&format!(
            "tiles-{}-{width}x{height}",
            if path == "/" { "city" } else { "wall" }
        ))
        .await;
    }

    // On the city board a tile's KPI counts are labelled, a legend says what the numbers are,
    // and the worst list names its columns.
    screen_size(&mut page, 1920, 1080).await;
    page.navigate(&app.url("/")).await;
    page.wait_for(
        "!!document.querySelector('[data-unit=\"p-1\"] .kpi .lbl')",
        "p-1's tile",
    )
    .await;
    assert_eq!(
        text_of(&mut page, "[data-unit=\"p-1\"] .kpi .lbl").await,
        "KPI"
    );
    assert!(text_of(&mut page, ".legend")
        .await
        .contains("số KPI đỏ, vàng, xanh"));
    assert_eq!(
        page.eval("[...document.querySelectorAll('.worst-head span')].map(s => s.textContent)")
            .await,
        json!(["Đơn vị", "Điểm", "Quá hạn"])
    );
    expect_no_errors(&page, "tiles").await;
    app.stop().await;
}

#[tokio::test]
async fn a_wards_board_puts_red_kpis_first_shows_counters_without_thresholds_formulas_in_words_and_the_wards_own_work(
) {
    let test = "a_wards_board_puts_red_kpis_first_shows_counters_without_thresholds_formulas_in_words_and_the_wards_own_work";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = fixture_with_work().await;
    // Two counts of the one-stop counter (no thresholds that could colour them) and the rate
    // computed from them.
    let count = |code: &str, name: &str| {
        json!({"code": code, "name": name, "unit_of_measure": "hồ sơ",
               "thresholds": {"direction": "higher_is_better", "green": 0, "red": 0},
               "frequency": "monthly", "group": "service", "leading_unit": "p-1", "measured_units": ["p-1"]})
    };
    for kpi in [
        count("HSGQ", "Số hồ sơ đã giải quyết"),
        count("HSDH", "Số hồ sơ đúng hạn"),
        json!({"code": "TLDH", "name": "Tỷ lệ hồ sơ đúng hạn", "unit_of_measure": "%",
               "thresholds": {"direction": "higher_is_better", "green": 95, "red": 85},
               "frequency": "monthly", "group": "service", "leading_unit": "p-1", "measured_units": ["p-1"],
               "expression": "{HSDH} / {HSGQ} * 100"}),
    ] {
        let (status, body) = app.post("/api/v1/kpis", &kpi).await;
        assert_eq!(status, 201, "{body}");
    }
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o-hsgq", "at": START, "kpi": "HSGQ", "unit": "p-1", "period": "2026-11", "value": 100.0},
        {"type": "kpi_observation", "id": "o-hsdh", "at": START, "kpi": "HSDH", "unit": "p-1", "period": "2026-11", "value": 80.0}
    ]))
    .await;
    let token = ward_leader(&app).await;
    let mut page = signed_in_page(&browser, &app, &token).await;
    screen_size(&mut page, 1920, 1080).await;
    page.navigate(&app.url("/unit.html")).await;
    page.wait_for(
        "!!document.querySelector('#kpis tr[data-id=\"TLDH\"][data-status=\"red\"]') && !!document.querySelector('#kpis tr[data-id=\"HSGQ\"]')",
        "the ward's KPI board with the computed rate in red",
    )
    .await;
    // Red first, then yellow, green, no data, counters.
    let statuses = page
        .eval("[...document.querySelectorAll('#kpis tr[data-id]')].map(tr => tr.dataset.status)")
        .await;
    let rank = |s: &Value| {
        ["red", "yellow", "green", "no_data", "counter"]
            .iter()
            .position(|x| s == x)
            .unwrap_or_else(|| panic!("a status: {s}"))
    };
    let ranks: Vec<usize> = statuses.as_array().unwrap().iter().map(rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{statuses}");
    assert_eq!(ranks[0], 0, "a red KPI first: {statuses}");
    assert_eq!(
        ranks.iter().filter(|r| **r == 4).count(),
        2,
        "two counters: {statuses}"
    );
    // A counter: its value, and no target or threshold rule.
    for field in ["target", "thr"] {
        assert_eq!(
            text_of(
                &mut page,
                &format!("#kpis tr[data-id=\"HSGQ\"] [data-field=\"{field}\"]")
            )
            .await,
            "—"
        );
    }
    assert!(text_of(
        &mut page,
        "#kpis tr[data-id=\"HSGQ\"] [data-field=\"value\"]"
    )
    .await
    .starts_with("100"));
    // The computed KPI's formula in words.
    assert_eq!(
        text_of(
            &mut page,
            "#kpis tr[data-id=\"TLDH\"] [data-field=\"formula\"]"
        )
        .await,
        "Công thức: Số hồ sơ đúng hạn / Số hồ sơ đã giải quyết × 100"
    );
    assert_eq!(
        page.eval("document.getElementById('kpis').textContent.includes('{')")
            .await,
        json!(false)
    );

    // The ward's own work has a tile, so the tiles add up to the ward's figures.
    let view = get_as(&app, &token, "/api/v1/units/p-1/view").await.1;
    let open = |line: &Value| line["tasks_open"].as_i64().expect("open tasks");
    let children: i64 = view["children"].as_array().unwrap().iter().map(open).sum();
    let own = open(&view["own"]);
    assert_eq!(
        own + children,
        view["summary"]["tasks"]["open"].as_i64().unwrap(),
        "{view}"
    );
    page.wait_for(
        &format!(
            "document.querySelector('#children [data-own] [data-field=\"open\"]')?.textContent === '{own}'"
        ),
        "the ward's own tile",
    )
    .await;
    // It follows the ward's own work live.
    app.ingest(json!([task_event(
        "e-own",
        "t-own",
        "w1",
        "2026-12-20",
        START
    )]))
    .await;
    page.wait_for(
        &format!(
            "document.querySelector('#children [data-own] [data-field=\"open\"]')?.textContent === '{}'",
            own + 1
        ),
        "the own tile after a task of the ward itself",
    )
    .await;
    // The ward's division under its own heading, one word for open work, the nav's board.
    assert_eq!(
        text_of(
            &mut page,
            "#children [data-section=\"divisions\"] .tiles-head"
        )
        .await
        .trim_end_matches(char::is_numeric)
        .trim(),
        "Phòng, ban chuyên môn"
    );
    assert_eq!(
        page.eval("!!document.querySelector('#children [data-section=\"divisions\"] [data-unit=\"p-1.vh\"]')")
            .await,
        json!(true)
    );
    assert_eq!(
        text_of(&mut page, "[data-fig=\"unit-open\"] .fig-label").await,
        "Nhiệm vụ đang mở"
    );
    assert_eq!(
        page.eval("document.body.innerText.includes('Đang làm')")
            .await,
        json!(false)
    );
    assert_eq!(text_of(&mut page, "#nav .links a").await, "Bảng điều hành");
    let english = page.english_words(&[], FIXTURE_DATA).await;
    assert!(
        english.is_empty(),
        "English on the ward's board: {english:?}"
    );
    page.screenshot("unit-board-ward").await;
    expect_no_errors(&page, "the ward's board").await;
    app.stop().await;
}

#[tokio::test]
async fn the_review_says_no_data_for_a_week_before_the_data_began_and_share_changes_in_points() {
    let test =
        "the_review_says_no_data_for_a_week_before_the_data_began_and_share_changes_in_points";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = fixture_with_work().await;
    // Alerts began on 2 November: the week before W45 has no alert history.
    let review = app.get_ok("/api/v1/units/hn/review?week=2026-W45").await;
    assert!(
        review["figures"]["last"]["alerts_fired"].is_null(),
        "{}",
        review["figures"]
    );
    let mut page = signed_in_page(&browser, &app, &app.token).await;
    screen_size(&mut page, 1920, 1080).await;
    page.navigate(&app.url("/review.html?unit=hn&week=2026-W45"))
        .await;
    page.wait_for(
        "!!document.querySelector('#headline [data-field=\"alerts_red\"] [data-field=\"last\"]')",
        "the headline figures",
    )
    .await;
    assert_eq!(
        text_of(
            &mut page,
            "#headline [data-field=\"alerts_red\"] [data-field=\"last\"]"
        )
        .await,
        "Tuần trước: chưa có dữ liệu"
    );
    assert_eq!(
        page.eval("!!document.querySelector('#headline [data-field=\"alerts_red\"] .delta')")
            .await,
        json!(false),
        "no change against no data"
    );
    let english = page.english_words(&[], FIXTURE_DATA).await;
    assert!(english.is_empty(), "English on the review: {english:?}");
    // A share's change in percentage points, on the clock's week: the board held tasks at both
    // its ends (W45's end is read as the board stood then, and it held none yet).
    let now = app.get_ok("/api/v1/units/hn/review").await;
    for end in ["this", "last"] {
        assert!(
            now["figures"][end]["overdue_ratio"].is_number(),
            "{end}: {}",
            now["figures"]
        );
    }
    page.navigate(&app.url("/review.html?unit=hn")).await;
    page.wait_for(
        "!!document.querySelector('#headline [data-field=\"overdue_ratio\"] .delta')",
        "the overdue ratio's change",
    )
    .await;
    let ratio = text_of(&mut page, "#headline [data-field=\"overdue_ratio\"] .delta").await;
    assert!(ratio.ends_with("điểm %"), "{ratio}");
    let english = page.english_words(&[], FIXTURE_DATA).await;
    assert!(english.is_empty(), "English on the review: {english:?}");
    page.screenshot("review-no-data").await;
    expect_no_errors(&page, "review").await;
    app.stop().await;
}

#[tokio::test]
async fn a_demo_servers_sign_in_page_lists_its_accounts_as_demo_only() {
    let test = "a_demo_servers_sign_in_page_lists_its_accounts_as_demo_only";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = ioc_tests::spawn_app_on_system_clock(ioc::http::web::DashboardConfig {
        demo_accounts: Some(vec![ioc::demo::DemoAccount {
            login: "ward-leader".into(),
            role: ioc::auth::Role::Leader,
            unit: "p-1".into(),
            unit_name: "Phường Hoàn Kiếm".into(),
            person: Some("w1".into()),
        }]),
        ..Default::default()
    })
    .await;
    let mut page = browser.page().await;
    screen_size(&mut page, 1280, 720).await;
    page.navigate(&app.url("/login.html")).await;
    page.wait_for(
        "!document.getElementById('demo').hidden && !!document.querySelector('#demo button[data-login=\"ward-leader\"]')",
        "the demo accounts",
    )
    .await;
    assert!(text_of(&mut page, "#demo-intro")
        .await
        .contains("chỉ để dùng thử"));
    assert!(text_of(&mut page, "#demo-intro")
        .await
        .contains(ioc::demo::DEMO_PASSWORD));
    assert!(
        text_of(&mut page, "#demo button[data-login=\"ward-leader\"]")
            .await
            .contains("Lãnh đạo · Phường Hoàn Kiếm")
    );
    page.eval("document.querySelector('#demo button[data-login=\"ward-leader\"]').click()")
        .await;
    assert_eq!(
        page.eval("[document.getElementById('login-form').login.value, document.getElementById('login-form').password.value]")
            .await,
        json!(["ward-leader", ioc::demo::DEMO_PASSWORD])
    );
    page.screenshot("login-demo").await;
    expect_no_errors(&page, "sign-in with demo accounts").await;
    app.stop().await;
}

/// The demo city (small), started as an operator would (`ioc serve --demo`), on the system clock.
fn demo_city(dir: &std::path::Path) -> (std::process::Child, String) {
    ioc_tests::start_server_process(
        env!("CARGO_BIN_EXE_ioc-e2e"),
        &format!("sqlite://{}/ioc.db", dir.display()),
        &["--demo", "--demo-size", "small", "--simulate-rate", "0"],
        std::time::Duration::from_secs(120),
    )
}

/// Ids as the demo writes them (tasks t000123, officials cb000123, units hn.x, rules builtin.x):
/// none may be read on a screen outside an alert's closed details line.
const DEMO_IDS: &str = r"/\b(t\d{6}|cb\d{6})\b|\bbuiltin\.|\bhn\.[a-z]|\|/";

/// The one alert count as a screen shows it (`alertCountHtml`): "red / yellow".
fn count_shown(root: &str) -> String {
    format!(
        "(() => {{ const r = document.querySelector('{root} [data-field=\"alerts-red\"]'), y = document.querySelector('{root} [data-field=\"alerts-yellow\"]'); return r && y ? r.textContent + ' / ' + y.textContent : null; }})()"
    )
}

#[tokio::test]
async fn the_citys_alert_center_with_the_demo_shows_groups_red_first_with_titles_and_people_and_no_ids(
) {
    let test = "the_citys_alert_center_with_the_demo_shows_groups_red_first_with_titles_and_people_and_no_ids";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut server, base) = demo_city(dir.path());
    let token = ioc_tests::sign_in(&base, "city-leader", ioc::demo::DEMO_PASSWORD)
        .await
        .expect("the demo's city leader signs in");
    let api = |path: &str| {
        let client = ioc_tests::bearer_client(&token);
        let url = format!("{base}/api/v1{path}");
        async move {
            let res = client.get(&url).send().await.expect("GET");
            assert_eq!(res.status(), 200, "{url}");
            res.json::<Value>().await.expect("JSON")
        }
    };
    // What the server ranks first among the firing groups, and the count it gives.
    let groups = api("/alerts/groups?unit=hn&state=firing&limit=500").await;
    let firing = groups["groups"].as_array().expect("groups");
    assert!(firing.len() >= 5, "the demo has trouble to show: {groups}");
    let count = format!("{} / {}", groups["count"]["red"], groups["count"]["yellow"]);
    let mut page = browser.page().await;
    page.set_session_cookie(&base, &token).await;
    screen_size(&mut page, 1920, 1080).await;
    // No unit named: the city leader's home, the city.
    page.navigate(&format!("{base}/alerts.html")).await;
    page.wait_for(
        "document.querySelectorAll('#groups [data-group-key]').length > 0",
        "the city's alert groups",
    )
    .await;
    // Groups clustered by the unit (one level down) they arise in, each unit where its best
    // group ranks and its groups in rank order (SCREENS.md): the server's ranking, clustered.
    let shown = page
        .eval("[...document.querySelectorAll('#groups [data-group-key]')].map(g => ({key: g.dataset.groupKey, severity: g.dataset.severity, unit: g.closest('[data-unit]').dataset.unit}))")
        .await;
    let shown = shown.as_array().expect("lines");
    let mut clustered: Vec<(&str, Vec<&str>)> = Vec::new();
    for g in firing {
        let unit = g["unit"]["id"].as_str().unwrap();
        let key = g["key"].as_str().unwrap();
        match clustered.iter_mut().find(|(u, _)| *u == unit) {
            Some((_, keys)) => keys.push(key),
            None => clustered.push((unit, vec![key])),
        }
    }
    let expected: Vec<&str> = clustered.iter().flat_map(|(_, k)| k.clone()).collect();
    let keys: Vec<&str> = shown.iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys, expected,
        "every firing group once, in rank order under its unit"
    );
    for g in shown {
        let unit = g["key"].as_str().unwrap().split('|').next().unwrap();
        assert_eq!(g["unit"], unit, "a group sits under its unit: {g}");
    }
    // Red first: the units with a red group before those with only yellow ones, and within a
    // unit its red groups before its yellow ones.
    let heads: Vec<&str> = clustered
        .iter()
        .map(|(_, k)| {
            shown.iter().find(|g| g["key"] == k[0]).unwrap()["severity"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(heads[0], "red");
    assert!(
        heads
            .windows(2)
            .all(|w| !(w[0] == "yellow" && w[1] == "red")),
        "units with red first: {heads:?}"
    );
    for (_, k) in &clustered {
        let sev: Vec<&str> = k
            .iter()
            .map(|key| {
                shown.iter().find(|g| g["key"] == *key).unwrap()["severity"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert!(
            sev.windows(2).all(|w| !(w[0] == "yellow" && w[1] == "red")),
            "red before yellow in a unit: {k:?} {sev:?}"
        );
    }
    // The one count, as the server gives it.
    page.wait_for(
        &format!("{} === '{count}'", count_shown("#alert-total")),
        "the city's alert count",
    )
    .await;
    // Each group line names its unit in words and its people by name.
    let text = page
        .eval("document.getElementById('groups').innerText")
        .await;
    let text = text.as_str().unwrap().to_string();
    for g in firing {
        assert!(
            text.contains(g["unit"]["name"].as_str().unwrap()),
            "unit name of {}",
            g["key"]
        );
        for p in g["people"].as_array().unwrap() {
            assert!(text.contains(p["name"].as_str().unwrap()), "{p} in {text}");
        }
    }
    page.screenshot("alerts-demo-city-1920").await;
    // Many groups: the screen opens with the kinds of trouble, one line per rule with its
    // units, and a line shows only that rule's groups (pressed again, all of them).
    // (The small demo city has more firing groups than a screen holds: SUMMARY_ABOVE, 12.)
    assert!(
        firing.len() > 12,
        "the demo shows a summary: {}",
        firing.len()
    );
    {
        let mut by_rule: Vec<(&str, std::collections::HashSet<&str>)> = Vec::new();
        for g in firing {
            let rule = g["rule"].as_str().unwrap();
            let unit = g["unit"]["id"].as_str().unwrap();
            match by_rule.iter_mut().find(|(r, _)| *r == rule) {
                Some((_, units)) => {
                    units.insert(unit);
                }
                None => by_rule.push((rule, [unit].into_iter().collect())),
            }
        }
        let lines = page
            .eval("[...document.querySelectorAll('#rule-summary button[data-rule]')].map(b => ({rule: b.dataset.rule, text: b.innerText}))")
            .await;
        let lines = lines.as_array().expect("summary lines");
        assert_eq!(lines.len(), by_rule.len(), "one line per rule: {lines:?}");
        for (rule, units) in &by_rule {
            let line = lines
                .iter()
                .find(|l| l["rule"] == *rule)
                .unwrap_or_else(|| panic!("no summary line of {rule}"));
            assert!(
                line["text"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("{} đơn vị", units.len())),
                "{rule}: {} units in {line}",
                units.len()
            );
        }
        let pick = lines[0]["rule"].as_str().unwrap().to_string();
        let button =
            format!("document.querySelector('#rule-summary button[data-rule=\"{pick}\"]')");
        page.eval(&format!("{button}.click()")).await;
        page.wait_for(
            &format!("[...document.querySelectorAll('#groups [data-group-key]')].every(g => g.dataset.groupKey.split('|')[1] === '{pick}')"),
            "only the picked rule's groups",
        )
        .await;
        page.screenshot("alerts-demo-city-1920-one-rule").await;
        page.eval(&format!("{button}.click()")).await;
        page.wait_for(
            &format!(
                "document.querySelectorAll('#groups [data-group-key]').length === {}",
                shown.len()
            ),
            "every group again",
        )
        .await;
    }
    // The first group of several tasks opens to its alerts, each by its title and person.
    let top_key = firing
        .iter()
        .find(|g| g["subject_kind"] == "task" && g["count"]["total"].as_u64() > Some(1))
        .expect("a group of several tasks in the demo")["key"]
        .as_str()
        .unwrap()
        .to_string();
    let top = format!("document.querySelector('[data-group-key=\"{top_key}\"]')");
    page.eval(&format!(
        "{top}.querySelector('button[data-action=\"open\"]').click()"
    ))
    .await;
    page.wait_for(
        &format!("{top}.querySelectorAll('.alert-row').length > 0"),
        "the first group's alerts",
    )
    .await;
    let opened = api(&format!(
        "/alerts/group?unit=hn&key={}",
        top_key.replace('|', "%7C")
    ))
    .await;
    let rows = page
        .eval(&format!(
            "[...{top}.querySelectorAll('.alert-row')].map(r => r.innerText)"
        ))
        .await;
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    for (row, alert) in rows.iter().zip(opened["alerts"].as_array().unwrap()) {
        let row = row.as_str().unwrap();
        if let Some(title) = alert["title"].as_str() {
            assert!(row.contains(title), "the title in {row}");
        }
        if let Some(name) = alert["responsible"]["name"].as_str() {
            assert!(row.contains(name), "the person in {row}");
        }
    }
    // No ids on screen: only in the closed details lines, which innerText leaves out.
    let ids = page
        .eval(&format!(
            "document.querySelector('main').innerText.match({DEMO_IDS})"
        ))
        .await;
    assert!(ids.is_null(), "ids on the alert center: {ids}");
    let english = page.english_words(&[], &[]).await;
    assert!(
        english.is_empty(),
        "English on the alert center: {english:?}"
    );
    page.screenshot("alerts-demo-city-1920-opened").await;
    for (w, h) in [(1280, 720), (390, 844)] {
        screen_size(&mut page, w, h).await;
        page.screenshot(&format!("alerts-demo-city-{w}")).await;
    }

    // The same count on the city board and the wall; the wall's strip shows red groups.
    screen_size(&mut page, 1920, 1080).await;
    page.navigate(&format!("{base}/")).await;
    page.wait_for(
        &format!("{} === '{count}'", count_shown("body")),
        "the city board's alert count",
    )
    .await;
    page.screenshot("board-demo-city-1920").await;
    page.navigate(&format!("{base}/wall.html?boards=hn")).await;
    page.wait_for(
        &format!("{} === '{count}'", count_shown("body")),
        "the wall's alert count",
    )
    .await;
    page.wait_for(
        "document.querySelectorAll('#alert-strip .strip-item').length > 0",
        "the wall's alert strip",
    )
    .await;
    let strip = page
        .eval("[...document.querySelectorAll('#alert-strip .strip-item')].map(i => i.dataset.groupKey)")
        .await;
    for key in strip.as_array().unwrap() {
        let g = firing
            .iter()
            .find(|g| g["key"] == *key)
            .unwrap_or_else(|| panic!("{key} on the strip is a firing group"));
        assert_eq!(g["severity"], "red", "only red groups on the strip: {key}");
    }
    let ids = page
        .eval(&format!("document.body.innerText.match({DEMO_IDS})"))
        .await;
    assert!(ids.is_null(), "ids on the wall: {ids}");
    page.screenshot("wall-demo-city-1920").await;
    for (w, h) in [(1280, 720), (390, 844)] {
        screen_size(&mut page, w, h).await;
        page.screenshot(&format!("wall-demo-city-{w}")).await;
        page.navigate(&format!("{base}/")).await;
        page.wait_for(
            &format!("{} === '{count}'", count_shown("body")),
            "the board",
        )
        .await;
        page.screenshot(&format!("board-demo-city-{w}")).await;
        page.navigate(&format!("{base}/wall.html?boards=hn")).await;
        page.wait_for(
            "document.querySelectorAll('#alert-strip .strip-item').length > 0",
            "the strip",
        )
        .await;
    }
    expect_no_errors(&page, "alert center, board and wall of the demo city").await;

    // A ward's leader: the ward's own screen by default, its divisions' groups, no city.
    let ward_token = ioc_tests::sign_in(&base, "ward-leader", ioc::demo::DEMO_PASSWORD)
        .await
        .expect("the demo's ward leader signs in");
    let mut ward = browser.page().await;
    ward.set_session_cookie(&base, &ward_token).await;
    for (w, h) in [(1920, 1080), (1280, 720), (390, 844)] {
        screen_size(&mut ward, w, h).await;
        ward.navigate(&format!("{base}/alerts.html")).await;
        ward.wait_for(
            "document.querySelectorAll('#groups [data-group-key]').length > 0 || !document.getElementById('live-note').hidden && !!window.__ioc?.firstRenderMs",
            "the ward's alert center",
        )
        .await;
        let units = ward
            .eval("[...document.querySelectorAll('#groups [data-unit]')].map(u => u.dataset.unit)")
            .await;
        for u in units.as_array().unwrap() {
            assert!(
                u.as_str().unwrap().starts_with("hn.p-cuanam"),
                "only the ward's units: {units}"
            );
        }
        let ids = ward
            .eval(&format!(
                "document.querySelector('main').innerText.match({DEMO_IDS})"
            ))
            .await;
        assert!(ids.is_null(), "ids on the ward's alert center: {ids}");
        ward.screenshot(&format!("alerts-demo-ward-{w}")).await;
        ward.navigate(&format!("{base}/wall.html")).await;
        ward.wait_for(
            "document.body.dataset.board === 'hn.p-cuanam'",
            "the ward's wall",
        )
        .await;
        ward.screenshot(&format!("wall-demo-ward-{w}")).await;
        ward.navigate(&format!("{base}/")).await;
        ward.wait_for(
            &format!(
                "{} !== null && !{}.includes('…')",
                count_shown("body"),
                count_shown("body")
            ),
            "the ward's board with its count",
        )
        .await;
        ward.screenshot(&format!("board-demo-ward-{w}")).await;
    }
    let english = ward.english_words(&[], &[]).await;
    assert!(
        english.is_empty(),
        "English on the ward's board: {english:?}"
    );
    expect_no_errors(&ward, "the ward's screens").await;
    let _ = server.kill();
    let _ = server.wait();
}

/// The number on the nav bar's inbox link ("" when there is none).
const NAV_UNREAD: &str =
    "document.querySelector('#nav [data-link=\"inbox\"] [data-field=\"unread\"]')?.textContent.trim() ?? ''";

/// True when nothing on the page is wider than the screen.
const FITS_WIDTH: &str = "document.documentElement.scrollWidth <= innerWidth";

#[tokio::test]
async fn the_inbox_turns_live() {
    let test = "the_inbox_turns_live";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = ioc_tests::notify::quiet_city(ioc_tests::test_notify()).await;
    for person in ["w1", "a1"] {
        ioc_tests::notify::set_contact_points(
            &app,
            person,
            json!({"contact_points": [], "policy": {"group_wait_seconds": 0}}),
        )
        .await;
    }
    let ward = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    let mut page = signed_in_page(&browser, &app, &ward).await;
    screen_size(&mut page, 1920, 1080).await;
    page.navigate(&app.url("/inbox.html")).await;
    page.wait_for(
        "document.getElementById('inbox-note').textContent === 'Chưa có thông báo nào.' && !document.getElementById('settings').hidden",
        "an empty inbox and the settings",
    )
    .await;
    assert_eq!(page.eval(NAV_UNREAD).await, json!(""), "no badge at 0");

    // A red KPI of the ward: its message comes in without a reload, with the badge.
    app.ingest(json!([ioc_tests::notify::value("o1", "TTHC", "p-1", 80.0)]))
        .await;
    page.wait_for(
        "document.querySelectorAll('#inbox-list .inbox-item.unread').length === 1",
        "the first message, live",
    )
    .await;
    page.wait_for(&format!("({NAV_UNREAD}) === '1'"), "the badge at 1")
        .await;
    let first = text_of(&mut page, "#inbox-list .inbox-item").await;
    assert!(first.contains("Phường Hoàn Kiếm"), "{first}");
    assert!(first.contains("Đỏ"), "{first}");
    assert!(
        !first.contains("TTHC@p-1"),
        "a name, not an internal id: {first}"
    );
    app.ingest(json!([ioc_tests::notify::value("o2", "KN", "p-1", 9.0)]))
        .await;
    page.wait_for(
        &format!("document.querySelectorAll('#inbox-list .inbox-item.unread').length === 2 && ({NAV_UNREAD}) === '2'"),
        "the second message and the badge at 2",
    )
    .await;
    assert_eq!(
        text_of(&mut page, "#inbox [data-field=\"unread\"]").await,
        "2 chưa đọc"
    );
    let english = page.english_words(&[], FIXTURE_DATA).await;
    assert!(english.is_empty(), "English in the inbox: {english:?}");
    page.screenshot("inbox-ward-1920").await;

    // The older message read by its button: the badge and the server follow.
    page.eval("document.querySelector('#inbox-list .inbox-item:last-child [data-action=\"read\"]').click()")
        .await;
    page.wait_for(
        &format!("({NAV_UNREAD}) === '1' && document.querySelectorAll('#inbox-list .inbox-item.unread').length === 1 && !!document.querySelector('#inbox-list .inbox-item:last-child [data-field=\"read\"]')"),
        "one read, one unread",
    )
    .await;
    let (_, inbox) = get_as(&app, &ward, "/api/v1/inbox").await;
    assert_eq!(inbox["unread"], 1, "{inbox}");
    assert_eq!(inbox["items"][1]["read"], true, "{inbox}");
    assert_eq!(inbox["items"][0]["read"], false, "{inbox}");

    // Settings: yellow alerts at once from now on; only that differs from the role's defaults.
    page.eval("(() => { const f = document.getElementById('settings-form'); f.yellow.value = 'immediate'; f.requestSubmit(); })()")
        .await;
    page.wait_for(
        "!document.getElementById('settings-saved').hidden",
        "the settings saved",
    )
    .await;
    let (_, points) = get_as(&app, &ward, "/api/v1/people/w1/contact-points").await;
    assert_eq!(points["effective"]["yellow"], "immediate", "{points}");
    assert_eq!(points["policy"]["group_wait_seconds"], 0, "kept: {points}");

    screen_size(&mut page, 1280, 720).await;
    page.screenshot("inbox-ward-1280").await;
    screen_size(&mut page, 390, 844).await;
    page.wait_for(FITS_WIDTH, "the inbox within a phone's width")
        .await;
    page.screenshot("inbox-ward-390").await;
    // The unread message's link opens the alert center on its alerts only, acknowledging
    // nothing; the nav bar there shows the count and follows it live: all read elsewhere, then
    // a yellow (at once now, by the settings just saved).
    let link = page
        .eval("document.querySelector('#inbox-list .inbox-item.unread [data-action=\"open\"]').getAttribute('href')")
        .await;
    let link = link.as_str().expect("the message's link").to_string();
    assert!(link.starts_with("/alerts.html?unit=p-1&msg="), "{link}");
    page.navigate(&app.url(&link)).await;
    // The alert center shows groups (unit × rule): with the message's filter on, only the group
    // holding the message's alert; unticked, every firing group the server has for the ward.
    page.wait_for(
        "document.querySelector('#from-msg [data-field=\"msg-title\"]')?.textContent.startsWith('Từ thông báo lúc') && document.querySelectorAll('#groups [data-group-key]').length === 1",
        "the group of the message's alert",
    )
    .await;
    let shown = page
        .eval("document.querySelector('#groups [data-group-key]').dataset.groupKey")
        .await;
    let groups = app.get_ok("/api/v1/alerts/groups?unit=p-1").await;
    let firing: Vec<&Value> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["state"] == "firing")
        .collect();
    let holding = firing
        .iter()
        .find(|g| g["rule"] == "builtin.kpi_thresholds")
        .unwrap_or_else(|| panic!("the KPI group: {groups}"));
    assert_eq!(shown, holding["key"], "{groups}");
    page.wait_for(
        &format!("({NAV_UNREAD}) === '1'"),
        "the badge on another page",
    )
    .await;
    page.screenshot("alerts-from-message-390").await;
    page.eval("document.getElementById('f-msg').click()").await;
    page.wait_for(
        &format!(
            "document.querySelectorAll('#groups [data-group-key]').length === {}",
            firing.len()
        ),
        "every firing group of the ward once unticked",
    )
    .await;
    let alerts = app.get_ok("/api/v1/alerts?unit=p-1").await;
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["acknowledged_by"].is_null()),
        "the link acknowledged nothing: {alerts}"
    );
    let (status, _) = app
        .send_as(
            Some(&ward),
            reqwest::Method::POST,
            "/api/v1/inbox/read",
            Some(&json!({"all": true})),
        )
        .await;
    assert_eq!(status, 200);
    page.wait_for(&format!("({NAV_UNREAD}) === ''"), "the badge gone, live")
        .await;
    app.ingest(json!([ioc_tests::notify::value("o3", "KN", "p-1", 3.0)]))
        .await;
    page.wait_for(
        &format!("({NAV_UNREAD}) === '1'"),
        "the yellow's badge, live",
    )
    .await;
    // All read from the phone's inbox: the badge goes.
    page.navigate(&app.url("/inbox.html")).await;
    page.wait_for(
        "!document.querySelector('[data-action=\"read-all\"]').hidden",
        "the button to read all",
    )
    .await;
    page.eval("document.querySelector('[data-action=\"read-all\"]').click()")
        .await;
    page.wait_for(
        &format!("({NAV_UNREAD}) === '' && !document.querySelector('#inbox-list .inbox-item.unread') && document.querySelector('[data-action=\"read-all\"]').hidden"),
        "everything read",
    )
    .await;
    let (_, inbox) = get_as(&app, &ward, "/api/v1/inbox").await;
    assert_eq!(inbox["unread"], 0, "{inbox}");
    expect_no_errors(&page, "the ward's inbox").await;

    // The city's leader: the morning's digest of the city, in Vietnamese, at the three sizes.
    let city = app.account("a1", Some("a1"), &[("leader", "hn")]).await;
    let mut page = signed_in_page(&browser, &app, &city).await;
    app.set_clock("2026-11-03T07:00:00+07:00").await;
    for (w, h) in [(1920, 1080), (1280, 720), (390, 844)] {
        screen_size(&mut page, w, h).await;
        page.navigate(&app.url("/inbox.html")).await;
        page.wait_for(
            "!!document.querySelector('#inbox-list .inbox-item.unread .inbox-body h4')",
            "the city's digest",
        )
        .await;
        page.wait_for(FITS_WIDTH, "the inbox within the screen")
            .await;
        let english = page.english_words(&[], FIXTURE_DATA).await;
        assert!(
            english.is_empty(),
            "English in the city's inbox: {english:?}"
        );
        page.screenshot(&format!("inbox-city-{w}")).await;
    }
    expect_no_errors(&page, "the city's inbox").await;
    app.stop().await;
}

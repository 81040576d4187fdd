//! The board as of a past moment (`?at=`, issue 21 point 4) in real Chromium (headless, over
//! DevTools) against the real server on a manual clock. The fixture city gets three tasks; at
//! T1 none is overdue, and the live city board says so; at T2 two are overdue and a fourth task
//! is open, and the live board follows. Then the city board at T1 shows T1's figures under the
//! past banner with its moment, opens no WebSocket, and "Về trực tiếp" returns to the live board
//! with T2's figures. The unit board and the person view at T1 likewise, their links carrying
//! the moment; the picker used as a person would (the URL gets `at`); a moment to come and, after
//! the history is wiped, a moment before it, each refused in the server's words in the banner;
//! the review page read only in the past. Vietnamese pages with no English and no sideways
//! scroll at 390x844, 1280x720 and 1920x1080; screenshots go to `target/screenshots/`.

use ioc_tests::browser::{Browser, Page};
use ioc_tests::{sign_in, spawn_app, task_event, with_leaders, TestApp, START};
use serde_json::json;

/// No task is overdue yet (the first deadline is the 6th).
const T1: &str = "2026-11-04T09:00:00+07:00";
/// Two deadlines have passed; a fourth task came in.
const T2: &str = "2026-11-10T09:00:00+07:00";
/// After the clock: a moment to come.
const LATER: &str = "2026-11-12T09:00:00+07:00";
/// T1 as the banner words it.
const T1_WORDS: &str = "09:00 ngày 04/11/2026";

/// Counts the WebSockets a page creates: installed before any of its scripts runs.
const COUNT_SOCKETS: &str = "window.__sockets = 0; { const W = window.WebSocket; \
    window.WebSocket = class extends W { constructor(...a) { super(...a); window.__sockets++; } }; }";

/// English words that must not show on a Vietnamese page: the server's English wordings of the
/// refusals, beside the UI's own English strings.
const SERVER_ENGLISH: &[&str] = &[
    "is after the server's clock: the board of a moment to come is not known",
    "the server keeps the board's history from; is before it, and is not guessed",
    "unknown query parameter; this route takes",
];

/// What the test named its account (shown as it is).
const DATA: &[&str] = &["a1"];

fn at(moment: &str) -> String {
    moment.replace(':', "%3A").replace('+', "%2B")
}

async fn screen(page: &mut Page, width: u32, height: u32) {
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500}),
    )
    .await;
}

fn js(s: &str) -> String {
    json!(s).to_string()
}

/// The visible text of what `expr` finds ("" when nothing).
async fn text(page: &mut Page, expr: &str) -> String {
    page.eval(&format!("(({expr}) || {{}}).textContent || ''"))
        .await
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// A headline figure of a board (`unit-open`, `unit-overdue`).
fn figure(field: &str) -> String {
    format!("document.querySelector('#figures [data-field={field}]')?.textContent")
}

/// Waits until the board's open and overdue figures read these.
async fn board_shows(page: &mut Page, open: &str, overdue: &str, what: &str) {
    page.wait_for(
        &format!(
            "{} === {} && {} === {}",
            figure("unit-open"),
            js(open),
            figure("unit-overdue"),
            js(overdue)
        ),
        what,
    )
    .await;
}

/// Asserts that the page does not scroll sideways on a screen `width` wide. Measured against
/// that width, not `innerWidth`: a phone (mobile emulation) zooms out to fit a page that is too
/// wide, and its `innerWidth` grows with the page.
async fn fits(page: &mut Page, width: u32, what: &str) {
    let wide = page
        .eval("[document.documentElement.scrollWidth, window.innerWidth]")
        .await;
    assert!(
        wide[0].as_f64().unwrap() <= f64::from(width)
            && wide[1].as_f64().unwrap() <= f64::from(width),
        "{what} scrolls sideways: scrollWidth and innerWidth {wide} on a screen {width} wide"
    );
}

async fn no_english(page: &mut Page, what: &str) {
    let english = page.english_words(SERVER_ENGLISH, DATA).await;
    assert!(english.is_empty(), "English on {what}: {english:?}");
}

/// No sideways scroll and no English at the three sizes; a screenshot of each.
async fn at_every_size(page: &mut Page, what: &str, shot: &str) {
    for (w, h) in [(390, 844), (1280, 720), (1920, 1080)] {
        screen(page, w, h).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        fits(page, w, &format!("{what} at {w}x{h}")).await;
        no_english(page, &format!("{what} at {w}x{h}")).await;
        page.screenshot(&format!("{shot}-{w}")).await;
    }
    screen(page, 1920, 1080).await;
}

/// The past banner is up, naming this moment, with "Về trực tiếp".
async fn past_banner(page: &mut Page, words: &str, what: &str) {
    page.wait_for(
        "!!document.querySelector('#past-banner [data-field=past-text]') && !!document.getElementById('past-live')",
        &format!("the past banner on {what}"),
    )
    .await;
    let said = text(
        page,
        "document.querySelector('#past-banner [data-field=past-text]')",
    )
    .await;
    assert!(
        said.contains(words) && said.contains("không cập nhật trực tiếp"),
        "{what}'s banner: {said}"
    );
    assert_eq!(
        text(page, "document.getElementById('past-live')").await,
        "Về trực tiếp"
    );
    assert_eq!(
        page.eval("document.body.classList.contains('past-mode') && document.getElementById('conn-state')?.dataset.state")
            .await,
        json!("past"),
        "{what}: the page is marked past and its dot does not say live"
    );
}

/// No WebSocket was created by the page, a second after it drew (a live page opens one at once).
async fn no_socket(page: &mut Page, what: &str) {
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(
        page.eval("window.__sockets").await,
        json!(0),
        "{what} opened a WebSocket"
    );
    assert_eq!(
        page.eval("window.__ioc?.past?.live").await,
        json!(false),
        "{what}: window.__ioc.past"
    );
}

/// The error line of the past banner, once shown.
async fn past_error(page: &mut Page, what: &str) -> String {
    let line = "document.querySelector('#past-banner [data-field=past-error]')";
    page.wait_for(
        &format!("!!{line} && !{line}.hidden && {line}.textContent.length > 0"),
        &format!("the refusal in the banner ({what})"),
    )
    .await;
    text(page, line).await
}

/// The fixture city with its leaders, three tasks at START; the clock at T1.
async fn city_at_t1() -> TestApp {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.set_clock(START).await;
    app.ingest(json!([
        task_event("t1-new", "T1", "w2", "2026-11-06", START),
        task_event("t2-new", "T2", "w4", "2026-11-07", START),
        task_event("t3-new", "T3", "a2", "2026-11-20", START)
    ]))
    .await;
    app.set_clock(T1).await;
    app
}

#[tokio::test]
async fn a_past_moment_shows_its_figures_marked_past_and_back_to_live_shows_now() {
    let test = "a_past_moment_shows_its_figures_marked_past_and_back_to_live_shows_now";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = city_at_t1().await;
    // The city's leader (a leader may open the review's meeting: not from a past review).
    let leader = app.account("a1", Some("a1"), &[("leader", "hn")]).await;
    let mut page = browser.page().await;
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": COUNT_SOCKETS }),
    )
    .await;
    page.set_session_cookie(&app.base, &leader).await;
    screen(&mut page, 1920, 1080).await;

    // 1. Live at T1: three open, none overdue; the page follows the clock over its socket.
    page.navigate(&app.url("/index.html?unit=hn")).await;
    board_shows(&mut page, "3", "0", "T1's figures on the live board").await;
    assert!(page.eval("window.__sockets").await.as_i64().unwrap() >= 1);
    assert_eq!(
        page.eval("!!document.getElementById('past-banner')").await,
        json!(false),
        "a live board has no past banner"
    );
    app.set_clock(T2).await;
    app.ingest(json!([task_event("t4-new", "T4", "w3", "2026-11-30", T2)]))
        .await;
    board_shows(&mut page, "4", "2", "T2's figures on the live board").await;

    // 2. The city board at T1: T1's figures, marked past, no socket.
    page.navigate(&app.url(&format!("/index.html?unit=hn&at={}", at(T1))))
        .await;
    board_shows(&mut page, "3", "0", "T1's figures on the past board").await;
    past_banner(&mut page, T1_WORDS, "the past city board").await;
    no_socket(&mut page, "the past city board").await;
    let view = app
        .get_ok(&format!("/api/v1/units/hn/view?at={}", at(T1)))
        .await;
    if view.get("alerts").is_none() {
        assert_eq!(
            text(
                &mut page,
                "document.querySelector('[data-fig=alerts] [data-field=alerts-past]')"
            )
            .await,
            "—",
            "a past view without an alert count shows a dash"
        );
    }
    // A child's tile and the red KPIs' links stay at the moment.
    let tile = page
        .eval("document.querySelector('a.tile[data-unit=\"p-2\"]')?.getAttribute('href')")
        .await;
    assert!(
        tile.as_str().is_some_and(|h| h.contains("at=")),
        "the tile of p-2 links to its board at the moment: {tile}"
    );
    page.wait_for(
        "document.querySelectorAll('#red-kpis li').length > 0",
        "the red KPIs list (at the moment)",
    )
    .await;
    at_every_size(&mut page, "the past city board", "asof-city").await;
    // The trend is asked of the review at the moment; a server whose review does not take
    // `at` yet refuses it with 400 (the tiles then show no trend).
    assert!(
        page.unexpected_console_errors(&[400]).is_empty(),
        "{:?}",
        page.console_errors
    );

    // 3. "Về trực tiếp": the live board, with T2's figures, and a socket.
    page.eval("document.getElementById('past-live').click()")
        .await;
    page.wait_for(
        "location.pathname === '/index.html' && !new URLSearchParams(location.search).has('at') && new URLSearchParams(location.search).get('unit') === 'hn'",
        "the live city board's address",
    )
    .await;
    board_shows(&mut page, "4", "2", "T2's figures after Về trực tiếp").await;
    assert_eq!(
        page.eval("!!document.getElementById('past-banner') || document.body.classList.contains('past-mode')")
            .await,
        json!(false)
    );
    page.wait_for("window.__sockets >= 1", "the live board's socket")
        .await;

    // 4. The picker, as a person uses it: 09:00 on the 4th, Vietnam time.
    page.eval("document.getElementById('past-open').click()")
        .await;
    page.wait_for(
        "!document.getElementById('past-form').hidden && document.getElementById('past-input').max !== ''",
        "the picker, with the server's clock as its latest moment",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('past-input').max").await,
        json!("2026-11-10T09:00"),
        "the latest moment is the server's clock, in Vietnam's time"
    );
    no_english(&mut page, "the picker").await;
    page.screenshot("asof-picker-1920").await;
    page.eval(
        "(() => { const i = document.getElementById('past-input'); i.value = '2026-11-04T09:00'; \
         i.dispatchEvent(new Event('input', {bubbles: true})); i.dispatchEvent(new Event('change', {bubbles: true})); return 0; })()",
    )
    .await;
    // The moment in the page's words beside the browser's own drawing of the input.
    assert_eq!(
        text(
            &mut page,
            "document.querySelector('[data-field=past-form-moment]')"
        )
        .await,
        format!("= {T1_WORDS}")
    );
    page.eval("document.querySelector('#past-form button[type=submit]').click()")
        .await;
    page.wait_for(
        &format!(
            "new URLSearchParams(location.search).get('at') === {} && new URLSearchParams(location.search).get('unit') === 'hn'",
            js(T1)
        ),
        "the address with the moment picked",
    )
    .await;
    board_shows(&mut page, "3", "0", "T1's figures from the picker").await;
    past_banner(&mut page, T1_WORDS, "the board picked").await;
    no_socket(&mut page, "the board picked").await;

    // 5. The unit board of p-2 at T1 (reached from the tile): its task not overdue then.
    page.eval("document.querySelector('a.tile[data-unit=\"p-2\"]').click()")
        .await;
    page.wait_for(
        &format!(
            "location.pathname === '/unit.html' && new URLSearchParams(location.search).get('at') === {}",
            js(T1)
        ),
        "the unit board at the moment, from the tile",
    )
    .await;
    board_shows(&mut page, "1", "0", "p-2's figures at T1").await;
    page.wait_for(
        "document.querySelector('#tasks-overdue [data-field=count]')?.textContent === '(0)' && document.querySelector('#tasks-soon [data-field=count]')?.textContent === '(1)'",
        "p-2's task lists at T1",
    )
    .await;
    past_banner(&mut page, T1_WORDS, "the past unit board").await;
    no_socket(&mut page, "the past unit board").await;
    assert_eq!(
        page.eval("document.querySelectorAll('#kpis [data-field=spark]').length")
            .await,
        json!(0),
        "no sparklines on a past board (their history runs to now)"
    );
    page.wait_for(
        "!!document.querySelector('#people a[href*=\"person.html\"]')",
        "p-2's people",
    )
    .await;
    let person = page
        .eval("document.querySelector('#people tr[data-id=w4] a[href*=\"person.html\"]')?.getAttribute('href')")
        .await;
    assert!(
        person.as_str().is_some_and(|h| h.contains("at=")),
        "the person's link stays at the moment: {person}"
    );
    at_every_size(&mut page, "the past unit board", "asof-unit").await;
    page.navigate(&app.url("/unit.html?id=p-2")).await;
    page.wait_for(
        "document.querySelector('#tasks-overdue [data-field=count]')?.textContent === '(1)'",
        "p-2's overdue task on the live unit board",
    )
    .await;

    // 6. The person at T1: one open task, not overdue (live: overdue).
    page.navigate(&app.url(&format!("/person.html?id=w4&at={}", at(T1))))
        .await;
    page.wait_for(
        "document.querySelector('#figures [data-field=open]')?.textContent === '1' && document.querySelector('#figures [data-field=overdue]')?.textContent === '0'",
        "w4's figures at T1",
    )
    .await;
    past_banner(&mut page, T1_WORDS, "the past person view").await;
    no_socket(&mut page, "the past person view").await;
    no_english(&mut page, "the past person view").await;
    page.navigate(&app.url("/person.html?id=w4")).await;
    page.wait_for(
        "document.querySelector('#figures [data-field=overdue]')?.textContent === '1'",
        "w4's overdue task live",
    )
    .await;

    // 7. A moment to come: the server's refusal, in Vietnamese, in the banner.
    page.navigate(&app.url(&format!("/index.html?unit=hn&at={}", at(LATER))))
        .await;
    let refusal = past_error(&mut page, "a moment to come").await;
    assert!(
        refusal.contains("sau giờ của máy chủ") && refusal.contains("09:00 ngày 12/11/2026"),
        "the refusal of a moment to come: {refusal}"
    );
    past_banner(&mut page, "09:00 ngày 12/11/2026", "a moment to come").await;
    assert_eq!(
        page.eval("document.getElementById('figures').checkVisibility()")
            .await,
        json!(false),
        "a refused moment shows no empty figures"
    );
    no_socket(&mut page, "a refused moment").await;
    at_every_size(&mut page, "a moment to come", "asof-future").await;

    // 8. The review at T1 is read only: no meeting opened from it (the live one offers it).
    page.navigate(&app.url("/review.html?unit=hn")).await;
    page.wait_for(
        "!!document.getElementById('open-meeting')",
        "the leader's button that opens the meeting, live",
    )
    .await;
    page.navigate(&app.url(&format!("/review.html?unit=hn&at={}", at(T1))))
        .await;
    past_banner(&mut page, "", "the past review").await;
    page.wait_for(
        "!!document.querySelector('#headline') || !!document.querySelector('#past-banner [data-field=past-error]:not([hidden])')",
        "the past review, or why the server cannot show it",
    )
    .await;
    assert_eq!(
        page.eval("!!document.getElementById('open-meeting')").await,
        json!(false),
        "no meeting is opened from a past review"
    );
    no_english(&mut page, "the past review").await;
    page.screenshot("asof-review-1920").await;

    // 9. Before history: a database whose history was wiped keeps it from the restart (T2).
    let url = app.database_url.clone();
    let stopped = app.stop_keeping_database().await;
    wipe_history(&url).await;
    let app = stopped.start_again().await;
    let leader = sign_in(&app.base, "a1", "a1-password-1").await.unwrap();
    page.set_session_cookie(&app.base, &leader).await;
    page.navigate(&app.url(&format!("/index.html?unit=hn&at={}", at(T1))))
        .await;
    let refusal = past_error(&mut page, "a moment before history").await;
    assert!(
        refusal.contains("lưu lịch sử bảng điều hành từ")
            && refusal.contains("09:00 ngày 10/11/2026"),
        "the refusal of a moment before history: {refusal}"
    );
    no_english(&mut page, "a moment before history").await;
    page.screenshot("asof-before-history-1920").await;
    // Its way to the earliest moment kept: T2, with T2's figures.
    page.eval("document.querySelector('#past-banner [data-field=past-earliest]').click()")
        .await;
    board_shows(&mut page, "4", "2", "the earliest moment kept").await;
    past_banner(&mut page, "09:00 ngày 10/11/2026", "the earliest moment").await;
    assert!(
        page.unexpected_console_errors(&[400, 422]).is_empty(),
        "{:?}",
        page.console_errors
    );
}

/// Deletes the kept past, as a database from before history was kept would have none.
async fn wipe_history(url: &str) {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    for table in ["history", "checkpoints"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

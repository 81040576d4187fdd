//! The public pages in real Chromium against the real server, with no sign-in: a ward's board
//! on a phone (390x844) shows its public KPIs and satisfaction and changes live when a citizen
//! rates through the form in a second tab; the same receipt code is refused on the page in
//! Vietnamese; a flood is throttled on the page; no English on the Vietnamese screens; keyboard
//! reachable controls. Screenshots at 390x844, 1280x720 and 1920x1080.

use ioc_tests::browser::{Browser, Page};
use ioc_tests::{spawn_app_with_limits, test_limits, TestApp, START};
use serde_json::{json, Value};

async fn screen_size(page: &mut Page, width: u32, height: u32, mobile: bool) {
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
    )
    .await;
}

/// The fixture city with TTHC public and a value for Phường Hoàn Kiếm (p-1).
async fn ward_with_a_public_board() -> TestApp {
    let mut limits = test_limits();
    limits.public = std::sync::Arc::new(ioc::public::PublicConfig {
        ratings_per_address_hour: 4,
        ..Default::default()
    });
    let app = spawn_app_with_limits(limits).await;
    app.load_fixture().await;
    let mut kpi = app.get_ok("/api/v1/kpis/TTHC").await;
    kpi["public"] = json!(true);
    let (status, body) = app
        .send(reqwest::Method::PUT, "/api/v1/kpis/TTHC", &kpi)
        .await;
    assert_eq!(status, 200, "{body}");
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 93.5}
    ]))
    .await;
    app
}

async fn text(page: &mut Page, selector: &str) -> String {
    page.eval(&format!(
        "(document.querySelector({}) || {{}}).textContent || ''",
        json!(selector)
    ))
    .await
    .as_str()
    .unwrap_or_default()
    .trim()
    .to_string()
}

/// Fills the form and sends it; returns the result region's class and text once it has one.
async fn rate_on_page(
    page: &mut Page,
    app: &TestApp,
    score: u8,
    receipt: &str,
) -> (String, String) {
    page.navigate(&app.url("/cong-khai/p-1/danh-gia?dv=khai-sinh"))
        .await;
    page.wait_for("document.body.dataset.ready === '1'", "the form")
        .await;
    let selected = page
        .eval("document.querySelector('#rate-form [name=service]').value")
        .await;
    assert_eq!(selected, "khai-sinh", "the QR code's service is chosen");
    page.eval(&format!(
        "(() => {{ const f = document.getElementById('rate-form');
           f.querySelector('[name=score][value=\"{score}\"]').click();
           const r = f.querySelector('[name=receipt]'); r.value = {receipt}; r.dispatchEvent(new Event('input', {{bubbles: true}}));
           const c = f.querySelector('[name=comment]'); c.value = 'Hướng dẫn rõ ràng'; c.dispatchEvent(new Event('input', {{bubbles: true}}));
           f.querySelector('[type=submit]').click(); }})()",
        receipt = json!(receipt)
    ))
    .await;
    page.wait_for(
        "(() => { const r = document.getElementById('rate-result'); return r && (r.classList.contains('ok') || r.classList.contains('error')); })()",
        "the form's answer",
    )
    .await;
    let class = page
        .eval("document.getElementById('rate-result').classList.contains('ok') ? 'ok' : 'error'")
        .await;
    let words = page
        .eval("document.getElementById('rate-result').textContent + ' ' + [...document.querySelectorAll('[id^=err-]')].map(e => e.textContent).join(' ')")
        .await;
    (
        class.as_str().unwrap().to_string(),
        words.as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_citizen_reads_the_ward_board_on_a_phone_and_it_changes_when_someone_rates() {
    let test = "a_citizen_reads_the_ward_board_on_a_phone_and_it_changes_when_someone_rates";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = ward_with_a_public_board().await;
    let mut board = browser.page().await;
    screen_size(&mut board, 390, 844, true).await;
    board.navigate(&app.url("/cong-khai/p-1")).await;
    board
        .wait_for("document.body.dataset.ready === '1'", "the board")
        .await;
    assert!(text(&mut board, "h1").await.contains("Phường Hoàn Kiếm"));
    assert!(text(&mut board, "[data-kpi=\"TTHC\"] [data-field=value]")
        .await
        .contains("93,5"));
    assert_eq!(text(&mut board, "[data-field=sat-count]").await, "0");
    let wide = board
        .eval("document.documentElement.scrollWidth - window.innerWidth")
        .await;
    assert!(
        wide.as_f64().unwrap() <= 0.0,
        "the board scrolls sideways by {wide}"
    );
    let english = board.english_words(&[], &[]).await;
    assert!(
        english.is_empty(),
        "English on the Vietnamese board: {english:?}"
    );
    // Every control is reachable by keyboard and labelled.
    let unlabelled = board
        .eval("[...document.querySelectorAll('a, button')].filter(e => e.checkVisibility() && !(e.textContent.trim() || e.getAttribute('aria-label'))).map(e => e.outerHTML.slice(0, 80))")
        .await;
    assert_eq!(unlabelled, json!([]));
    board.screenshot("public-board-390").await;

    // A citizen rates in another tab; the board changes by itself.
    let mut form = browser.new_page().await;
    screen_size(&mut form, 390, 844, true).await;
    let (class, words) = rate_on_page(&mut form, &app, 4, "HS-0001").await;
    assert_eq!(class, "ok", "{words}");
    assert!(words.contains("Cảm ơn"), "{words}");
    assert!(form.english_words(&[], &[]).await.is_empty());
    form.screenshot("public-rated-390").await;
    board
        .wait_for(
            "document.querySelector('[data-field=sat-count]').textContent.trim() === '1'",
            "the board to show the new rating",
        )
        .await;
    assert!(text(&mut board, "[data-field=sat-average]")
        .await
        .contains('4'));

    // The same receipt code again: refused on the page, next to its field, in Vietnamese.
    let (class, words) = rate_on_page(&mut form, &app, 1, "HS-0001").await;
    assert_eq!(class, "error", "{words}");
    assert!(words.contains("Mã biên nhận này đã được dùng"), "{words}");
    form.screenshot("public-receipt-used-390").await;

    // A flood from this address: past the allowance (4 attempts an hour here; the refused
    // receipt was one) the page says so, and only the accepted ones count.
    let mut last = String::new();
    let mut accepted = 1;
    for i in 0..4 {
        let (class, words) = rate_on_page(&mut form, &app, 5, &format!("HS-1{i:03}")).await;
        last = words;
        if class == "error" {
            break;
        }
        accepted += 1;
    }
    assert!(last.contains("quá nhiều đánh giá"), "{last}");
    assert_eq!(
        accepted, 3,
        "one, the refused receipt, then two more fit in four"
    );
    form.screenshot("public-flood-390").await;
    // The public board is served from a cache rebuilt at most once a second, so the last
    // rating shows within a few seconds, not necessarily on the next read.
    let mut kept = Value::Null;
    for _ in 0..50 {
        kept = reqwest::get(app.url("/public/v1/units/p-1"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if kept["satisfaction"]["count"] == accepted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(kept["satisfaction"]["count"], accepted, "{kept}");

    for (w, h) in [(1280, 720), (1920, 1080)] {
        screen_size(&mut board, w, h, false).await;
        board.navigate(&app.url("/cong-khai/p-1")).await;
        board
            .wait_for("document.body.dataset.ready === '1'", "the board")
            .await;
        let wide = board
            .eval("document.documentElement.scrollWidth - window.innerWidth")
            .await;
        assert!(wide.as_f64().unwrap() <= 0.0, "{w}x{h}: scrolls sideways");
        board.screenshot(&format!("public-board-{w}")).await;
    }
    let errors: Vec<String> = board
        .unexpected_console_errors(&[])
        .into_iter()
        .chain(form.unexpected_console_errors(&[409, 429]))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    app.stop().await;
}

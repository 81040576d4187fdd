//! The data-entry and import pages in real Chromium against the real server: a data officer's
//! red value shows red before it is saved, survives a dropped answer without a second value,
//! and its alert reaches the alert center; an XLSX with a bad cell is refused naming sheet, row
//! and column, a good one imports after a preview and shows without a restart, and a confirm
//! whose answer was dropped, sent again, changes nothing. At 1920x1080, 1280x720 and 390x844.

use ioc_tests::browser::{Browser, Page};
use ioc_tests::{spawn_app, with_leaders, TestApp};
use rust_xlsxwriter::Workbook;
use serde_json::{json, Value};

async fn signed_in_page(browser: &Browser, app: &TestApp, token: &str) -> Page {
    let mut page = browser.page().await;
    page.set_session_cookie(&app.base, token).await;
    page
}

async fn screen_size(page: &mut Page, width: u32, height: u32, mobile: bool) {
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
    )
    .await;
}

fn expect_no_errors(page: &Page, screen: &str) {
    assert!(
        page.console_errors.is_empty(),
        "{screen}: console errors: {:?}",
        page.console_errors
    );
}

/// On a phone: nothing wider than the screen, and every visible button, input and select at
/// least 44 px tall.
async fn fits_a_thumb(page: &mut Page, screen: &str) {
    let wide = page
        .eval("document.documentElement.scrollWidth - window.innerWidth")
        .await;
    assert!(
        wide.as_f64().unwrap() <= 0.0,
        "{screen}: scrolls sideways by {wide}"
    );
    let small = page
        .eval(
            "[...document.querySelectorAll('main button, main input, main select, main .button-link')]
              .filter(e => e.checkVisibility() && e.type !== 'file' && e.getBoundingClientRect().height < 44)
              .map(e => e.outerHTML.slice(0, 80))",
        )
        .await;
    assert_eq!(small, json!([]), "{screen}: tap targets under 44 px");
}

/// Audit entries about one entity (`kpi:HS@p-1/2026-11`, `unit:p-3`).
async fn audit_of(app: &TestApp, entity: &str) -> usize {
    app.get_ok("/api/v1/audit?limit=1000")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == entity)
        .count()
}

/// p-1 leads HS (monthly, higher is better: green 95, red 85); its data officer signs in.
async fn ward_with_a_kpi() -> (TestApp, String) {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/kpis/HS",
            &json!({"code": "HS", "name": "Tỷ lệ hồ sơ giải quyết đúng hạn của phường", "data_source": "Phần mềm một cửa",
                    "unit_of_measure": "%", "thresholds": {"direction": "higher_is_better", "green": 95, "red": 85},
                    "frequency": "monthly", "group": "service", "leading_unit": "p-1"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.set_clock("2026-11-20T10:00:00+07:00").await;
    let officer = app.account("p1-data", None, &[("data_entry", "p-1")]).await;
    (app, officer)
}

const CARD: &str = "document.querySelector('li[data-series=\"HS@p-1\"]')";

async fn enter_red_value_and_see_the_alert(page: &mut Page, app: &TestApp, screen: &str) {
    page.navigate(&app.url("/entry.html")).await;
    page.wait_for(&format!("!!{CARD}"), "the HS card").await;
    // October has no value and was due on 3 November: late, listed first.
    assert_eq!(
        page.eval(&format!("{CARD}.dataset.state")).await,
        json!("late")
    );
    page.screenshot(&format!("entry-{screen}")).await;
    let words = page.english_words(&[], &["p1-data"]).await;
    assert!(
        words.is_empty(),
        "{screen}: English on the Vietnamese page: {words:?}"
    );

    // Typed, not saved: red shows at once, and nothing reached the server.
    page.eval(&format!(
        "const i = {CARD}.querySelector('[name=\"value\"]'); i.value = '70,5'; i.dispatchEvent(new Event('input')); 0"
    ))
    .await;
    assert_eq!(
        page.eval(&format!(
            "{CARD}.querySelector('[data-field=\"band\"]').dataset.band"
        ))
        .await,
        json!("red")
    );
    assert!(page
        .eval(&format!(
            "{CARD}.querySelector('[name=\"value\"]').classList.contains('band-red')"
        ))
        .await
        .as_bool()
        .unwrap());
    page.screenshot(&format!("entry-red-before-save-{screen}"))
        .await;
    const ENTITY: &str = "kpi:HS@p-1/2026-11";
    assert_eq!(audit_of(app, ENTITY).await, 0);
    assert!(app
        .get_ok("/api/v1/alerts?unit=p-1")
        .await
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["subject"] != "HS@p-1"));

    // Save, with the answer dropped: the value is kept by the server, the page hears nothing
    // and says so; saving again sends the same event id, a duplicate, not a second value.
    page.drop_answers("*/api/v1/events*").await;
    page.eval(&format!(
        "{CARD}.querySelector('[data-action=\"save\"]').click(); 0"
    ))
    .await;
    page.wait_for(
        &format!("!{CARD}.querySelector('[data-field=\"error\"]').hidden"),
        "the network error on the form",
    )
    .await;
    page.stop_failing_requests().await;
    assert_eq!(
        audit_of(app, ENTITY).await,
        1,
        "the dropped save was kept once"
    );
    page.eval(&format!(
        "{CARD}.querySelector('[data-action=\"save\"]').click(); 0"
    ))
    .await;
    page.wait_for(
        &format!("{CARD}?.querySelector('[data-field=\"saved\"]')?.textContent.length > 0"),
        "the saved note",
    )
    .await;
    assert_eq!(audit_of(app, ENTITY).await, 1, "the retry changed nothing");
    let entry = app.get_ok("/api/v1/units/p-1/kpis").await;
    let hs = entry["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == "HS")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(hs["status"], "red", "{entry}");

    // The alert reaches the alert center.
    page.navigate(&app.url("/alerts.html?unit=p-1")).await;
    page.wait_for(
        "!!document.querySelector('[data-alert-key=\"builtin.kpi_thresholds|HS@p-1\"]')",
        "the red KPI's alert in the alert center",
    )
    .await;
    page.screenshot(&format!("entry-alert-{screen}")).await;
}

#[tokio::test]
async fn a_data_officer_enters_a_red_value_and_its_alert_reaches_the_alert_center() {
    let test = "a_data_officer_enters_a_red_value_and_its_alert_reaches_the_alert_center";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let (app, officer) = ward_with_a_kpi().await;
    let mut page = signed_in_page(&browser, &app, &officer).await;
    screen_size(&mut page, 1920, 1080, false).await;
    enter_red_value_and_see_the_alert(&mut page, &app, "1920").await;
    // The dropped answer is the one network error the browser logs.
    let errors = page.console_errors_beside_outage();
    assert!(
        errors.is_empty(),
        "entry at 1920x1080: console errors: {errors:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_data_officer_enters_a_red_value_on_a_phone() {
    let test = "a_data_officer_enters_a_red_value_on_a_phone";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let (app, officer) = ward_with_a_kpi().await;
    let mut page = signed_in_page(&browser, &app, &officer).await;
    screen_size(&mut page, 390, 844, true).await;
    page.navigate(&app.url("/entry.html")).await;
    page.wait_for(&format!("!!{CARD}"), "the HS card").await;
    fits_a_thumb(&mut page, "entry at 390x844").await;
    enter_red_value_and_see_the_alert(&mut page, &app, "390").await;
    // The 1280x720 look, for the record.
    screen_size(&mut page, 1280, 720, false).await;
    page.navigate(&app.url("/entry.html")).await;
    page.wait_for(&format!("!!{CARD}"), "the HS card").await;
    page.screenshot("entry-1280").await;
    let errors = page.console_errors_beside_outage();
    assert!(
        errors.is_empty(),
        "entry at 390x844: console errors: {errors:?}"
    );
    app.stop().await;
}

/// A workbook adding ward p-3 (and its KPI's red cell, a number or a bad text).
fn ward_workbook(red: &str) -> Vec<u8> {
    let mut book = Workbook::new();
    let s = book.add_worksheet();
    s.set_name("Đơn vị").unwrap();
    s.write_row(0, 0, ["Mã đơn vị", "Tên đơn vị", "Cấp", "Đơn vị cấp trên"])
        .unwrap();
    s.write_row(1, 0, ["p-3", "Phường Tây Hồ", "Phường", "hn"])
        .unwrap();
    let s = book.add_worksheet();
    s.set_name("Chỉ số").unwrap();
    s.write_row(
        0,
        0,
        [
            "Mã chỉ số",
            "Tên chỉ số",
            "Đơn vị tính",
            "Chiều đánh giá",
            "Ngưỡng xanh",
            "Ngưỡng đỏ",
            "Tần suất",
            "Nhóm",
            "Đơn vị chủ trì",
        ],
    )
    .unwrap();
    s.write_row(1, 0, ["HS3", "Hồ sơ đúng hạn", "%", "Càng cao càng tốt"])
        .unwrap();
    s.write_number(1, 4, 95.0).unwrap();
    match red.parse::<f64>() {
        Ok(x) => s.write_number(1, 5, x).unwrap(),
        Err(_) => s.write_string(1, 5, red).unwrap(),
    };
    s.write_row(1, 6, ["Hằng tháng", "Phục vụ chính quyền", "p-3"])
        .unwrap();
    book.save_to_buffer().unwrap()
}

async fn choose_file(page: &mut Page, path: &std::path::Path) {
    let doc = page.call("DOM.getDocument", json!({})).await;
    let node = page
        .call(
            "DOM.querySelector",
            json!({"nodeId": doc["root"]["nodeId"], "selector": "#file"}),
        )
        .await;
    page.call(
        "DOM.setFileInputFiles",
        json!({"files": [path], "nodeId": node["nodeId"]}),
    )
    .await;
}

#[tokio::test]
async fn an_xlsx_is_checked_previewed_and_imported_from_the_upload_page() {
    let test = "an_xlsx_is_checked_previewed_and_imported_from_the_upload_page";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = spawn_app().await;
    app.load_fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("so-lieu-loi.xlsx");
    std::fs::write(&bad, ward_workbook("abc")).unwrap();
    let good = dir.path().join("so-lieu.xlsx");
    std::fs::write(&good, ward_workbook("85")).unwrap();
    let token = app.token.clone();
    for (width, height, mobile) in [(1920, 1080, false), (1280, 720, false), (390, 844, true)] {
        let mut page = signed_in_page(&browser, &app, &token).await;
        screen_size(&mut page, width, height, mobile).await;
        page.navigate(&app.url("/import.html")).await;
        page.wait_for(
            "!!document.querySelector('#nav a[href=\"/import.html\"]')",
            "the import link for an admin",
        )
        .await;
        if mobile {
            fits_a_thumb(&mut page, "import at 390x844").await;
        }
        // A bad cell: the page lists it by sheet, row and column, in Vietnamese.
        choose_file(&mut page, &bad).await;
        page.eval("document.getElementById('check').click(); 0")
            .await;
        page.wait_for(
            "document.getElementById('result').dataset.state === 'refused'",
            "the problems",
        )
        .await;
        let row = page
            .eval("(r => [r.dataset.sheet, r.dataset.row, r.dataset.column, r.querySelector('[data-field=\"reason\"]').textContent])(document.querySelector('#problem-rows tr'))")
            .await;
        assert_eq!(row, json!(["Chỉ số", "2", "F", "'abc' không phải là số"]));
        assert_eq!(
            page.eval(
                "document.querySelector('#problem-rows tr [data-field=\"field\"]').textContent"
            )
            .await,
            json!("Ngưỡng đỏ"),
            "the column as its header names it"
        );
        let words = page
            .english_words(&[], &["so", "lieu", "loi", "xlsx", "admin"])
            .await;
        assert!(
            words.is_empty(),
            "English on the Vietnamese page: {words:?}"
        );
        page.screenshot(&format!("import-refused-{width}")).await;
        if width == 1920 {
            assert_eq!(app.get("/api/v1/units/p-3").await.0, 404, "nothing kept");
        }
        if mobile {
            fits_a_thumb(&mut page, "import problems at 390x844").await;
        }
        page.eval("document.getElementById('cancel').click(); 0")
            .await;

        // The good file: a preview, nothing written until confirmed.
        choose_file(&mut page, &good).await;
        page.eval("document.getElementById('check').click(); 0")
            .await;
        page.wait_for(
            "document.getElementById('result').dataset.state === 'preview'",
            "the preview",
        )
        .await;
        page.screenshot(&format!("import-preview-{width}")).await;
        if width == 1920 {
            assert_eq!(
                page.eval("document.querySelector('#preview-rows tr[data-kind=\"units\"] [data-field=\"new\"]').textContent").await,
                json!("1")
            );
            assert_eq!(
                app.get("/api/v1/units/p-3").await.0,
                404,
                "the preview writes nothing"
            );
            // Confirm, the answer dropped: the server imported it, the page did not hear.
            page.drop_answers("*/api/v1/import*").await;
            page.eval("document.getElementById('confirm').click(); 0")
                .await;
            page.wait_for(
                "!document.getElementById('confirm-error').hidden",
                "the lost answer, with the confirm still there",
            )
            .await;
            page.stop_failing_requests().await;
            page.screenshot("import-lost-answer").await;
            assert_eq!(
                app.get_ok("/api/v1/units/p-3").await["name"],
                "Phường Tây Hồ",
                "shows without a restart"
            );
            assert_eq!(audit_of(&app, "unit:p-3").await, 1);
            assert_eq!(audit_of(&app, "kpi:HS3").await, 1);
            // The same submission again: it goes through and changes nothing.
            page.eval("document.getElementById('confirm').click(); 0")
                .await;
            page.wait_for(
                "document.getElementById('result').dataset.state === 'done'",
                "the import's answer",
            )
            .await;
            assert_eq!(
                page.eval("document.querySelector('#preview-rows tr[data-kind=\"units\"] [data-field=\"unchanged\"]').textContent").await,
                json!("1")
            );
            assert_eq!(
                audit_of(&app, "unit:p-3").await,
                1,
                "the retry changed nothing"
            );
            assert_eq!(audit_of(&app, "kpi:HS3").await, 1);
            page.screenshot("import-done").await;
        }
        // The refusal of the bad file (422) and the dropped answer are the browser's own logs.
        let refused = page.unexpected_console_errors(&[422]);
        let errors: Vec<String> = page
            .console_errors_beside_outage()
            .into_iter()
            .filter(|e| refused.contains(e))
            .collect();
        assert!(
            errors.is_empty(),
            "import at {width}: console errors: {errors:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_city_sees_entry_and_import_in_the_nav_and_the_city_leader_has_nothing_to_enter() {
    let test = "the_city_sees_entry_and_import_in_the_nav_and_the_city_leader_has_nothing_to_enter";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    // The city's leader, linked to a1: owns no objective with key results in the fixture.
    let leader = app
        .account("city-leader", Some("w1"), &[("leader", "hn")])
        .await;
    for (width, height, mobile) in [(1920, 1080, false), (1280, 720, false), (390, 844, true)] {
        let mut page = signed_in_page(&browser, &app, &leader).await;
        screen_size(&mut page, width, height, mobile).await;
        page.navigate(&app.url("/entry.html")).await;
        page.wait_for("!document.getElementById('kpi-empty').hidden && document.getElementById('kpi-empty').textContent.includes('Không có')", "the empty state").await;
        // Linked to w1, the owner of o-p1: its key result is here to check in.
        page.wait_for(
            "!!document.querySelector('li[data-kr=\"kr-3\"]')",
            "the owner's key result",
        )
        .await;
        assert_eq!(
            page.eval("!!document.querySelector('#nav a[href=\"/import.html\"]')")
                .await,
            json!(false),
            "no import link without an admin grant"
        );
        page.screenshot(&format!("entry-city-leader-{width}")).await;
        if mobile {
            fits_a_thumb(&mut page, "city entry at 390x844").await;
        }
        let words = page.english_words(&[], &["city", "leader"]).await;
        assert!(
            words.is_empty(),
            "English on the Vietnamese page: {words:?}"
        );
        // A check-in with a comment goes through the event path.
        if width == 1920 {
            page.eval("const f = document.querySelector('li[data-kr=\"kr-3\"] form'); f.value.value = '90'; f.confidence.value = '7'; f.comment.value = 'đúng tiến độ'; f.querySelector('[data-action=\"save\"]').click(); 0").await;
            page.wait_for("document.querySelector('li[data-kr=\"kr-3\"] [data-field=\"current\"]')?.textContent.includes('90')", "the new current value").await;
            let kr = app.get_ok("/api/v1/key-results/kr-3").await;
            assert_eq!(kr["current"], 90.0, "{kr}");
        }
        expect_no_errors(&page, &format!("city entry at {width}"));
    }
    app.stop().await;
}

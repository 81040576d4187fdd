//! Recurring work on the assign page in a real browser (headless Chromium) against the real
//! server (issue 18): a ward leader, on a phone, chooses "Lặp lại: Hằng tháng", the 25th, picks
//! the responsible official and creates the template; the page lists it with its next task in
//! Vietnamese, pauses and resumes it; the server's clock makes the period's task. The page is
//! looked at (screenshots in `target/screenshots/`) at three sizes as the ward leader and as
//! the city, with no English and nothing wider than a phone.

use ioc_tests::browser::{Browser, Page};
use ioc_tests::{spawn_app, with_leaders, TestApp};
use serde_json::json;

const NOW: &str = "2026-11-20T10:00:00+07:00";

async fn page_as(browser: &Browser, app: &TestApp, token: &str, width: u32, height: u32) -> Page {
    let mut page = browser.page().await;
    page.set_session_cookie(&app.base, token).await;
    size(&mut page, width, height).await;
    page
}

async fn size(page: &mut Page, width: u32, height: u32) {
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500}),
    )
    .await;
}

/// Nothing wider than the screen, and every control people tap in `main` at least 44 px tall.
async fn fits_a_thumb(page: &mut Page, screen: &str) {
    let wide = page
        .eval("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(wide, json!(0), "{screen} scrolls sideways by {wide} px");
    let small = page
        .eval("[...document.querySelectorAll('main button, main input, main textarea, main select, main summary')].filter(e => e.checkVisibility() && e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 80))")
        .await;
    assert_eq!(small, json!([]), "{screen}: tap targets under 44 px");
}

#[tokio::test]
async fn a_ward_leader_makes_monthly_recurring_work_on_the_assign_page_of_a_phone() {
    let Some(browser) = Browser::launch("a_ward_leader_makes_monthly_recurring_work") else {
        return;
    };
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let leader = app.account("cuong", Some("w1"), &[("leader", "p-1")]).await;
    app.set_clock(NOW).await;

    let mut page = page_as(&browser, &app, &leader, 390, 844).await;
    page.navigate(&app.url("/assign.html")).await;
    page.wait_for(
        "!!document.querySelector('form.assign-form select[name=every]')",
        "the repeat choice",
    )
    .await;
    page.wait_for(
        "!!document.querySelector('#templates:not([hidden])')",
        "the list of recurring work",
    )
    .await;
    page.eval("(() => { const f = document.querySelector('form.assign-form'); f.elements.every.value = 'monthly'; f.elements.every.dispatchEvent(new Event('change')); })()").await;
    page.wait_for("!document.querySelector('form.assign-form .repeat').hidden && document.querySelector('form.assign-form .dates').hidden", "the recurrence's fields instead of the dates").await;
    fits_a_thumb(&mut page, "assign, recurring").await;
    // A day the month cannot have, refused next to the field.
    page.eval("(() => { const i = document.querySelector('[data-search=\"responsible\"]'); i.value = 'dung'; i.dispatchEvent(new Event('input')); })()").await;
    page.wait_for(
        "!!document.querySelector('[data-add=\"responsible\"][data-id=\"w2\"]')",
        "Phạm Thị Dung found",
    )
    .await;
    page.eval("document.querySelector('[data-add=\"responsible\"][data-id=\"w2\"]').click()")
        .await;
    page.eval("(() => { const f = document.querySelector('form.assign-form'); f.elements.title.value = 'Báo cáo'; f.elements.day.value = '32'; f.querySelector('button[type=submit]').click(); })()").await;
    page.wait_for(
        "!document.querySelector('[data-error-for=\"day\"]').hidden",
        "the day refused",
    )
    .await;
    page.screenshot("recur-assign-leader-390-refused").await;
    assert_eq!(
        app.get_ok("/api/v1/task-templates").await,
        json!([]),
        "nothing kept"
    );
    page.eval("(() => { const f = document.querySelector('form.assign-form'); f.elements.day.value = '25'; f.elements.expected_output.value = 'Báo cáo tổng hợp tình hình phường'; f.querySelector('button[type=submit]').click(); })()").await;
    page.wait_for(
        "document.querySelector('#toast').textContent.startsWith('Đã tạo việc lặp lại')",
        "the template made",
    )
    .await;
    page.wait_for(
        "!!document.querySelector('#templates li.template-line')",
        "the template listed",
    )
    .await;
    let line = page.eval("document.querySelector('#templates li.template-line').textContent.replace(/\\s+/g, ' ')").await;
    let line = line.as_str().unwrap_or_default().to_string();
    assert!(line.contains("Hằng tháng, ngày 25"), "{line}");
    assert!(
        line.contains("Lần tới: “Báo cáo tháng 12/2026”, hạn 25/12/2026, giao ngày 20/12/2026"),
        "{line}"
    );
    assert!(line.contains("Phạm Thị Dung"), "{line}");
    let made = app.get_ok("/api/v1/task-templates").await;
    assert_eq!(made.as_array().unwrap().len(), 1, "{made}");
    let id = made[0]["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("bao-cao-"), "{id}");
    assert_eq!(
        (made[0]["unit"].as_str(), made[0]["accountable"].as_str()),
        (Some("p-1.vh"), Some("w1"))
    );
    fits_a_thumb(&mut page, "assign with recurring work").await;
    page.eval("document.querySelector('#templates').scrollIntoView()")
        .await;
    page.screenshot("recur-assign-leader-390-list").await;

    // The clock's next move makes November's task (its creation day, the 20th, is today).
    app.set_clock("2026-11-20T10:05:00+07:00").await;
    let task = app.get_ok(&format!("/api/v1/tasks/{id}-2026-11")).await;
    assert_eq!(task["title"], "Báo cáo tháng 11/2026");
    assert_eq!(task["responsible"], "w2");

    // Paused and resumed from the list.
    page.eval("document.querySelector('#templates [data-pause]').click()")
        .await;
    page.wait_for(
        "!!document.querySelector('#templates li.is-paused .chip')",
        "paused",
    )
    .await;
    assert_eq!(
        app.get_ok(&format!("/api/v1/task-templates/{id}")).await["paused"],
        true
    );
    page.eval("document.querySelector('#templates [data-pause]').click()")
        .await;
    page.wait_for(
        "!!document.querySelector('#templates li.template-line:not(.is-paused)')",
        "resumed",
    )
    .await;
    assert_eq!(
        app.get_ok(&format!("/api/v1/task-templates/{id}")).await["paused"],
        false
    );
    let english = page.english_words(&[], &["cuong dung bao cao"]).await;
    assert!(english.is_empty(), "English on assign: {english:?}");
    // The refused day's 422 is the only error the page met.
    assert!(
        page.unexpected_console_errors(&[422]).is_empty(),
        "{:?}",
        page.console_errors
    );
    drop(page);
    drop(browser);

    // Looked at, at three sizes, as the ward leader and as the city.
    let city = app.account("thanhpho", None, &[("leader", "hn")]).await;
    for (who, token) in [("leader", &leader), ("city", &city)] {
        let Some(browser) = Browser::launch(who) else {
            return;
        };
        let mut p = page_as(&browser, &app, token, 1920, 1080).await;
        for (w, h) in [(1920, 1080), (1280, 720), (390, 844)] {
            size(&mut p, w, h).await;
            p.navigate(&app.url("/assign.html")).await;
            p.wait_for(
                "!!document.querySelector('#templates li.template-line')",
                "the list",
            )
            .await;
            p.eval("(() => { const f = document.querySelector('form.assign-form'); f.elements.every.value = 'weekly'; f.elements.every.dispatchEvent(new Event('change')); })()").await;
            if w < 500 {
                fits_a_thumb(&mut p, &format!("assign as {who}")).await;
            }
            let english = p.english_words(&[], &["thanhpho cuong dung bao cao"]).await;
            assert!(
                english.is_empty(),
                "English on assign as {who} at {w}: {english:?}"
            );
            p.screenshot(&format!("recur-assign-{who}-{w}")).await;
            p.eval("document.querySelector('#templates').scrollIntoView()")
                .await;
            p.screenshot(&format!("recur-assign-{who}-{w}-list")).await;
        }
    }
}

/// A reminder as the official reads it in the inbox: Vietnamese, the task by its title, the due
/// date and the progress, tagged "Nhắc việc"; looked at on a phone and a laptop.
#[tokio::test]
async fn a_reminder_reads_in_vietnamese_in_the_officials_inbox() {
    let Some(browser) = Browser::launch("a_reminder_reads_in_vietnamese_in_the_officials_inbox")
    else {
        return;
    };
    let at_once = ioc::notify::policy::PolicyIn {
        group_wait_seconds: Some(0),
        quiet_hours: Some("off".into()),
        ..Default::default()
    };
    let app = ioc_tests::spawn_app_notify(ioc::notify::NotifyConfig {
        reminders: ioc::notify::remind::Reminders::default(),
        leader: at_once.clone(),
        official: at_once,
        ..ioc_tests::test_notify()
    })
    .await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let official = app
        .account("dung", Some("w2"), &[("viewer", "p-1.vh")])
        .await;
    app.ingest(json!([{"type": "task", "id": "slow", "at": NOW, "task_id": "t-slow", "title": "Rà soát hồ sơ tồn đọng",
        "responsible": "w2", "deadline": "2026-11-25", "progress": 20}]))
        .await;
    app.set_clock("2026-11-22T08:00:00+07:00").await;
    let mut page = page_as(&browser, &app, &official, 390, 844).await;
    page.navigate(&app.url("/inbox.html")).await;
    page.wait_for(
        "document.querySelector('main').textContent.includes('Nhắc việc · Nhiệm vụ “Rà soát hồ sơ tồn đọng” đến hạn 25/11/2026, mới đạt 20%')",
        "the reminder in the inbox",
    )
    .await;
    let wide = page
        .eval("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(wide, json!(0), "the inbox scrolls sideways");
    let english = page.english_words(&[], &["dung"]).await;
    assert!(english.is_empty(), "English in the inbox: {english:?}");
    page.screenshot("recur-inbox-official-390").await;
    size(&mut page, 1280, 720).await;
    page.screenshot("recur-inbox-official-1280").await;
    // Its button leads to the task it is about, not to the alert center.
    let open = page
        .eval("(() => { const a = document.querySelector('#inbox-list [data-action=\"open\"]'); return [a.textContent, new URL(a.href).pathname + new URL(a.href).search]; })()")
        .await;
    assert_eq!(
        open,
        json!(["Mở nhiệm vụ", "/task.html?id=t-slow"]),
        "{open}"
    );
    page.eval("document.querySelector('#inbox-list [data-action=\"open\"]').click()")
        .await;
    page.wait_for(
        "location.pathname === '/task.html' && document.querySelector('main').textContent.includes('Rà soát hồ sơ tồn đọng')",
        "the task the reminder is about",
    )
    .await;
}

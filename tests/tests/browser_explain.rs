//! Explanations (giải trình) in a real browser (headless Chromium over DevTools) against the real
//! server: the city leader asks, on a red alert group of the alert center, the official of the
//! ward to explain it by a date; the official finds the request on My work and answers with a
//! file; the alert center shows the request and its answer on the alert. Vietnamese pages with no
//! English, at 1920x1080, 1280x720 and 390x844; screenshots go to `target/screenshots/`.

use ioc_tests::browser::{Browser, Page};
use ioc_tests::{spawn_app, with_leaders, TestApp, START};
use serde_json::json;

/// Names the test gives its accounts and files: data, not English words of the page.
const DATA: &[&str] = &["city dung", "giai trinh pdf"];

async fn page_as(browser: &Browser, app: &TestApp, token: &str, width: u32, height: u32) -> Page {
    let mut page = browser.page().await;
    page.set_session_cookie(&app.base, token).await;
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500}),
    )
    .await;
    page
}

const ROW: &str = "document.querySelector('[data-alert-key=\"builtin.kpi_thresholds|TTHC@p-1\"]')";

async fn the_flow(
    leader_browser: &Browser,
    official_browser: &Browser,
    width: u32,
    height: u32,
    tag: &str,
) {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let city = app.account("city", Some("a1"), &[("leader", "hn")]).await;
    let official = app
        .account("dung", Some("w2"), &[("data_entry", "p-1")])
        .await;
    // Hoàn Kiếm's processing rate turns red.
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 80.0}
    ]))
    .await;

    // The city leader asks, from the alert's line, Phạm Thị Dung (w2) to explain.
    let mut leader = page_as(leader_browser, &app, &city, width, height).await;
    leader.navigate(&app.url("/alerts.html?unit=hn")).await;
    leader
        .wait_for(
            &format!("!!{ROW}?.querySelector('[data-action=\"explain\"]')"),
            "the alert's ask button",
        )
        .await;
    leader
        .eval(&format!(
            "{ROW}.querySelector('[data-action=\"explain\"]').click()"
        ))
        .await;
    leader
        .wait_for(
            "document.getElementById('dlg-explain')?.open === true",
            "the ask dialog",
        )
        .await;
    leader
        .wait_for("!!document.querySelector('#dlg-explain select[name=\"addressee\"] option[value=\"w2\"]')", "the ward's people to pick from")
        .await;
    leader
        .screenshot(&format!("explain-ask-dialog-{tag}"))
        .await;
    let english = leader.english_words(&[], DATA).await;
    assert!(english.is_empty(), "English in the ask dialog: {english:?}");
    // An empty question is refused next to the field, nothing kept.
    leader.eval("(() => { const f = document.querySelector('#dlg-explain form'); f.question.value = ' '; f.addressee.value = 'w2'; f.requestSubmit(); return 0; })()").await;
    leader.wait_for("(() => { const e = document.querySelector('#dlg-explain [data-error-for=\"question\"]'); return !!e && !e.hidden; })()", "the question's refusal").await;
    assert_eq!(
        app.get_ok("/api/v1/explanations").await["explanations"],
        json!([])
    );
    leader.eval("(() => { const f = document.querySelector('#dlg-explain form'); f.question.value = 'Vì sao tỷ lệ hồ sơ đúng hạn của phường chỉ 80%?'; f.requestSubmit(); return 0; })()").await;
    leader.wait_for(&format!("{ROW}?.querySelector('.xp[data-state=\"open\"] [data-field=\"question\"]')?.textContent.includes('chỉ 80%') === true"), "the request on the alert").await;
    assert_eq!(
        leader
            .eval(&format!(
                "{ROW}.querySelector('.xp [data-field=\"addressee\"]').textContent"
            ))
            .await,
        json!("Phạm Thị Dung")
    );
    let listed = app.get_ok("/api/v1/explanations").await;
    assert_eq!(
        listed["explanations"].as_array().unwrap().len(),
        1,
        "one request: {listed}"
    );
    assert_eq!(listed["explanations"][0]["subject_kind"], "alert_group");

    // The official finds it on My work and answers, with a file.
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("giai-trinh.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n% giai trinh\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
    )
    .unwrap();
    let mut me = page_as(official_browser, &app, &official, width, height).await;
    me.navigate(&app.url("/me.html")).await;
    me.wait_for(
        "!!document.querySelector('#explain-mine form.xp-answer')",
        "the request to answer on My work",
    )
    .await;
    me.screenshot(&format!("explain-me-asked-{tag}")).await;
    me.set_files(
        "document.querySelector('#explain-mine form.xp-answer input[type=file]')",
        &[&pdf],
    )
    .await;
    me.eval("(() => { const f = document.querySelector('#explain-mine form.xp-answer'); f.text.value = 'Do hệ thống một cửa gián đoạn 5 ngày; phường đã bố trí thêm cán bộ.'; f.requestSubmit(); return 0; })()").await;
    me.wait_for(
        "document.querySelector('#explain-mine .xp')?.dataset.state === 'answered'",
        "the answer kept",
    )
    .await;
    assert_eq!(
        me.eval("document.querySelector('#explain-mine .xp-files a')?.textContent")
            .await,
        json!("giai-trinh.pdf")
    );
    let english = me.english_words(&[], DATA).await;
    assert!(english.is_empty(), "English on My work: {english:?}");
    me.screenshot(&format!("explain-me-answered-{tag}")).await;

    // The alert shows the request and the answer.
    leader.navigate(&app.url("/alerts.html?unit=hn")).await;
    leader.wait_for(&format!("{ROW}?.querySelector('.xp[data-state=\"answered\"] .xp-msg [data-field=\"text\"]') != null"), "the answer on the alert").await;
    let shown = leader
        .eval(&format!("{ROW}.querySelector('.xp').textContent"))
        .await;
    let shown = shown.as_str().unwrap();
    assert!(shown.contains("chỉ 80%"), "{shown}");
    assert!(shown.contains("bố trí thêm cán bộ"), "{shown}");
    assert!(shown.contains("Đã giải trình"), "{shown}");
    assert!(shown.contains("giai-trinh.pdf"), "{shown}");
    let english = leader.english_words(&[], DATA).await;
    assert!(
        english.is_empty(),
        "English on the alert center: {english:?}"
    );
    leader
        .screenshot(&format!("explain-alert-answered-{tag}"))
        .await;

    // The week's review lists it with its answer.
    leader.navigate(&app.url("/review.html?unit=hn")).await;
    leader
        .wait_for(
            "!!document.querySelector('#explanations tr[data-id]')",
            "the request in the review",
        )
        .await;
    let row = leader
        .eval("document.querySelector('#explanations tr[data-id]').textContent")
        .await;
    let row = row.as_str().unwrap();
    assert!(
        row.contains("Đã giải trình")
            && row.contains("bố trí thêm cán bộ")
            && row.contains("Phạm Thị Dung"),
        "{row}"
    );
    let english = leader.english_words(&[], DATA).await;
    assert!(english.is_empty(), "English on the review: {english:?}");
    leader
        .eval("window.scrollTo(0, document.getElementById('explanations').getBoundingClientRect().top + window.scrollY - 120)")
        .await;
    leader.screenshot(&format!("explain-review-{tag}")).await;

    // A task's request, answered on the task's page.
    app.ingest(json!([{"type": "task", "id": "t-new", "at": START, "task_id": "t-bc", "title": "Báo cáo hồ sơ tồn đọng",
                       "responsible": "w2", "deadline": "2026-11-20"}]))
        .await;
    let (status, body) = app
        .send_as(Some(&city), reqwest::Method::POST, "/api/v1/explanations", Some(&json!({
            "id": "x-task", "subject_kind": "task", "subject": "t-bc", "question": "Khi nào xong báo cáo?", "due": "2026-11-10"})))
        .await;
    assert_eq!(status, 201, "{body}");
    me.navigate(&app.url("/task.html?id=t-bc")).await;
    me.wait_for(
        "!!document.querySelector('#task-explain form.xp-answer')",
        "the answer form on the task",
    )
    .await;
    me.eval("(() => { const f = document.querySelector('#task-explain form.xp-answer'); f.text.value = 'Xong trước ngày 09/11.'; f.requestSubmit(); return 0; })()").await;
    me.wait_for(
        "document.querySelector('#task-explain .xp')?.dataset.state === 'answered'",
        "the task's answer kept",
    )
    .await;
    assert_eq!(
        me.eval("document.getElementById('explain-ask').hidden")
            .await,
        json!(true),
        "a viewer is not offered to ask"
    );
    let english = me.english_words(&[], DATA).await;
    assert!(english.is_empty(), "English on the task page: {english:?}");
    me.screenshot(&format!("explain-task-{tag}")).await;
    leader.navigate(&app.url("/task.html?id=t-bc")).await;
    leader.wait_for("document.querySelector('#task-explain .xp')?.dataset.state === 'answered' && !document.getElementById('explain-ask').hidden", "the answer, and the ask button, for the leader").await;
    leader
        .screenshot(&format!("explain-task-leader-{tag}"))
        .await;

    // A KPI line's request, answered on the data-entry page where the official enters it.
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
    let (status, body) = app
        .send_as(
            Some(&city),
            reqwest::Method::POST,
            "/api/v1/explanations",
            Some(&json!({
            "id": "x-kpi", "subject_kind": "kpi", "subject": "HS", "unit": "p-1", "addressee": "w2",
            "question": "Vì sao tỷ lệ tháng này thấp?", "due": "2026-11-10"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    me.navigate(&app.url("/entry.html")).await;
    me.wait_for(
        "!!document.querySelector('li[data-kpi=\"HS\"] form.xp-answer')",
        "the answer form on the KPI's card",
    )
    .await;
    me.eval("(() => { const f = document.querySelector('li[data-kpi=\"HS\"] form.xp-answer'); f.text.value = 'Tháng này đạt 80% do thiếu cán bộ một cửa.'; f.requestSubmit(); return 0; })()").await;
    me.wait_for(
        "document.querySelector('li[data-kpi=\"HS\"] .xp')?.dataset.state === 'answered'",
        "the KPI's answer kept",
    )
    .await;
    let english = me.english_words(&[], DATA).await;
    assert!(
        english.is_empty(),
        "English on the data-entry page: {english:?}"
    );
    me.eval("window.scrollTo(0, document.querySelector('li[data-kpi=\"HS\"] .xp').getBoundingClientRect().top + window.scrollY - 300)").await;
    me.screenshot(&format!("explain-entry-{tag}")).await;

    // The KPI's line on the ward's board shows the request and its answer, and offers to ask.
    leader.navigate(&app.url("/unit.html?id=p-1")).await;
    leader
        .wait_for(
            "document.querySelector('tr.xp-row[data-xp-for=\"HS\"] .xp')?.dataset.state === 'answered' && !!document.querySelector('tr[data-id=\"HS\"] [data-action=\"explain-kpi\"]')",
            "the KPI line's thread on the unit board",
        )
        .await;
    let english = leader.english_words(&[], DATA).await;
    assert!(english.is_empty(), "English on the unit board: {english:?}");
    leader
        .eval("window.scrollTo(0, document.querySelector('tr[data-id=\"HS\"]').getBoundingClientRect().top + window.scrollY - 150)")
        .await;
    leader.screenshot(&format!("explain-unit-kpi-{tag}")).await;

    if width < 500 {
        leader.navigate(&app.url("/alerts.html?unit=hn")).await;
        leader
            .wait_for(
                &format!("!!{ROW}?.querySelector('.xp')"),
                "the thread on the alert",
            )
            .await;
        let wide = leader
            .eval("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            .await;
        assert_eq!(
            wide,
            json!(0),
            "the alert center scrolls sideways by {wide} px"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn an_explanation_request_and_its_answer_show_on_the_alert() {
    let test = "an_explanation_request_and_its_answer_show_on_the_alert";
    let (Some(leader), Some(official)) = (Browser::launch(test), Browser::launch(test)) else {
        return;
    };
    the_flow(&leader, &official, 1920, 1080, "1920").await;
}

#[tokio::test]
async fn the_explanation_flow_fits_a_laptop_and_a_phone() {
    let test = "the_explanation_flow_fits_a_laptop_and_a_phone";
    let (Some(leader), Some(official)) = (Browser::launch(test), Browser::launch(test)) else {
        return;
    };
    the_flow(&leader, &official, 1280, 720, "1280").await;
    the_flow(&leader, &official, 390, 844, "390").await;
}

//! Officials' own work in a real browser (headless Chromium over DevTools) against the real
//! server (issue 18): an official updates progress and submits from My work while the city
//! board follows live on another page; a submission with a file survives a dropped answer
//! (the retry is a duplicate, not a second change); the accountable leader accepts it with
//! quality 40 on the acceptance page and the official's evaluation shows the deduction; a
//! leader assigns work with the people picker; refusals show next to their field; the same at
//! 390x844 with one thumb (no sideways scrolling, tap targets of 44 px). Screenshots of each
//! screen as the official, the leader and the city go to `target/screenshots/`.

use ioc_tests::browser::{Browser, Page};
use ioc_tests::{spawn_app, with_leaders, TestApp, START};
use reqwest::Method;
use serde_json::{json, Value};

const NOW: &str = "2026-11-20T10:00:00+07:00";
/// Names the tests give their accounts and tasks: data, not English words of the page.
const DATA: &[&str] = &[
    "dung cuong",
    "t-report t-late",
    "https vanban hanoi gov vn bc pdf png",
];

struct City {
    app: TestApp,
    official: String,
    leader: String,
}

/// The fixture with a ward leader (w1) and an official of his ward (w2) who has two tasks: a
/// report due at the end of the month and a review that is overdue.
async fn city() -> City {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let official = app
        .account("dung", Some("w2"), &[("viewer", "p-1.vh")])
        .await;
    let leader = app.account("cuong", Some("w1"), &[("leader", "p-1")]).await;
    let (status, body) = app
        .send_as(Some(&leader), Method::POST, "/api/v1/events", Some(&json!([
            {"type": "task", "id": "a-1", "at": START, "task_id": "t-report", "title": "Báo cáo tình hình hồ sơ tháng 11",
             "responsible": "w2", "accountable": "w1", "start": "2026-11-02", "deadline": "2026-11-30",
             "expected_output": "Báo cáo có số liệu từng lĩnh vực"},
            {"type": "task", "id": "a-2", "at": START, "task_id": "t-late", "title": "Rà soát hồ sơ tồn đọng",
             "responsible": "w2", "accountable": "w1", "deadline": "2026-11-10"}
        ])))
        .await;
    assert_eq!(status, 200, "{body}");
    app.set_clock(NOW).await;
    City {
        app,
        official,
        leader,
    }
}

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

/// Sets a form field of a task's card and tells the page, as typing would.
async fn fill(page: &mut Page, card: &str, kind: &str, name: &str, value: &str) {
    let js = format!(
        "(() => {{ const f = document.querySelector('[data-task=\"{card}\"] form[data-kind=\"{kind}\"]'); f.closest('details').open = true; const el = f.elements['{name}']; el.value = {value}; el.dispatchEvent(new Event('input', {{bubbles: true}})); return true; }})()",
        value = json!(value)
    );
    assert_eq!(page.eval(&js).await, json!(true), "{card} {kind} {name}");
}

async fn submit(page: &mut Page, card: &str, kind: &str) {
    page.eval(&format!(
        "document.querySelector('[data-task=\"{card}\"] form[data-kind=\"{kind}\"] button[type=submit]').click()"
    ))
    .await;
}

fn field_error(card: &str, kind: &str, field: &str) -> String {
    format!("(() => {{ const e = document.querySelector('[data-task=\"{card}\"] form[data-kind=\"{kind}\"] [data-error-for=\"{field}\"]'); return e && !e.hidden ? e.textContent : null; }})()")
}

fn tile(unit: &str, field: &str) -> String {
    format!("document.querySelector('[data-unit=\"{unit}\"] [data-field=\"{field}\"]')?.textContent.trim()")
}

/// Nothing wider than the screen, and every control people tap in `main` at least 44 px tall.
async fn fits_a_thumb(page: &mut Page, screen: &str) {
    let wide = page
        .eval("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(wide, json!(0), "{screen} scrolls sideways by {wide} px");
    let small = page
        .eval("[...document.querySelectorAll('main button, main input, main textarea, main select, main summary, main a.file, main .work-count')].filter(e => e.checkVisibility() && e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 80))")
        .await;
    assert_eq!(small, json!([]), "{screen}: tap targets under 44 px");
}

async fn history_of(app: &TestApp, task: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/tasks/{task}/history")).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

/// One browser per account: a browser's cookies are shared by its tabs, and each Chromium here
/// drives one tab.
struct Browsers {
    board: Browser,
    official: Browser,
    leader: Browser,
}

fn browsers(test: &str) -> Option<Browsers> {
    Some(Browsers {
        board: Browser::launch(test)?,
        official: Browser::launch(test)?,
        leader: Browser::launch(test)?,
    })
}

async fn the_flow(b: &Browsers, width: u32, height: u32, tag: &str) {
    let City {
        app,
        official,
        leader,
    } = city().await;
    let phone = width < 500;
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("bao-cao-thang-11.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n% bao cao\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
    )
    .unwrap();
    let html = dir.path().join("trang.pdf");
    std::fs::write(&html, b"<html><script>alert(1)</script></html>").unwrap();

    // The city board, on another page: ward p-1 has one overdue task.
    let mut board = page_as(&b.board, &app, &app.token, 1280, 720).await;
    board.navigate(&app.url("/?unit=hn")).await;
    board
        .wait_for(
            &format!("{} === '1'", tile("p-1", "overdue")),
            "p-1's overdue task",
        )
        .await;
    let progress_before = board
        .eval("document.querySelector('[data-field=\"unit-progress\"]').textContent")
        .await;

    // My work: the overdue review first, then the report.
    let mut me = page_as(&b.official, &app, &official, width, height).await;
    me.navigate(&app.url("/me.html")).await;
    me.wait_for(
        "document.querySelectorAll('.work-card').length === 2",
        "the official's two tasks",
    )
    .await;
    assert_eq!(
        me.eval("[...document.querySelectorAll('.work-card')].map(c => c.dataset.task + ':' + c.dataset.need)").await,
        json!(["t-late:overdue", "t-report:open"])
    );
    if phone {
        fits_a_thumb(&mut me, "My work").await;
    }

    // A progress outside 0-100: the reason next to the field, nothing sent.
    fill(&mut me, "t-report", "progress", "progress", "150").await;
    submit(&mut me, "t-report", "progress").await;
    me.wait_for(
        &format!(
            "{} !== null",
            field_error("t-report", "progress", "progress")
        ),
        "the progress refusal",
    )
    .await;
    assert_eq!(
        me.eval(&field_error("t-report", "progress", "progress"))
            .await,
        json!("Tiến độ phải là số từ 0 đến 100.")
    );
    // Progress 40 with a note: the city board moves on the other page.
    fill(&mut me, "t-report", "progress", "progress", "40").await;
    fill(
        &mut me,
        "t-report",
        "progress",
        "note",
        "Đã tổng hợp 3/7 lĩnh vực",
    )
    .await;
    submit(&mut me, "t-report", "progress").await;
    me.wait_for(
        "document.querySelector('#toast').textContent.startsWith('Đã ghi nhận')",
        "the saved note",
    )
    .await;
    board.wait_for(&format!("document.querySelector('[data-field=\"unit-progress\"]').textContent !== {progress_before}"), "the city's progress moving").await;
    me.wait_for("document.querySelector('[data-task=\"t-report\"] [data-field=\"progress\"]').textContent.includes('40')", "the card's new progress").await;

    // The overdue review submitted with its output: p-1's tile has nothing overdue any more.
    me.wait_for(
        "!!document.querySelector('[data-task=\"t-late\"] form[data-kind=\"submit\"]')",
        "the review's submit form",
    )
    .await;
    fill(
        &mut me,
        "t-late",
        "submit",
        "output",
        "Đã rà soát 120 hồ sơ",
    )
    .await;
    // A link the server refuses: its reason shows next to the link.
    fill(&mut me, "t-late", "submit", "link", "ftp://kho/ho-so").await;
    submit(&mut me, "t-late", "submit").await;
    me.wait_for(
        &format!("{} !== null", field_error("t-late", "submit", "link")),
        "the link refusal",
    )
    .await;
    fill(&mut me, "t-late", "submit", "link", "").await;
    submit(&mut me, "t-late", "submit").await;
    board
        .wait_for(
            &format!("{} === '0'", tile("p-1", "overdue")),
            "p-1's tile with nothing overdue",
        )
        .await;

    // A file of the wrong type is refused next to the file input, in Vietnamese.
    me.wait_for(
        "!!document.querySelector('[data-task=\"t-report\"] form[data-kind=\"submit\"]')",
        "the report's submit form",
    )
    .await;
    fill(
        &mut me,
        "t-report",
        "submit",
        "output",
        "Báo cáo 7 lĩnh vực",
    )
    .await;
    me.set_files("document.querySelector('[data-task=\"t-report\"] form[data-kind=\"submit\"] input[type=file]')", &[&html]).await;
    submit(&mut me, "t-report", "submit").await;
    me.wait_for(
        &format!("{} !== null", field_error("t-report", "submit", "file")),
        "the file refusal",
    )
    .await;
    let said = me.eval(&field_error("t-report", "submit", "file")).await;
    assert!(said.as_str().unwrap().contains("chỉ nhận PDF"), "{said}");
    // The real report, and the answer lost on the way back: the page says so and keeps the
    // event; sent again, it is a duplicate and the task has one submission.
    me.set_files("document.querySelector('[data-task=\"t-report\"] form[data-kind=\"submit\"] input[type=file]')", &[&pdf]).await;
    me.drop_answers("*/api/v1/events*").await;
    submit(&mut me, "t-report", "submit").await;
    me.wait_for(&format!("{} === 'Mất kết nối tới máy chủ, chưa rõ đã lưu hay chưa. Bấm gửi lại: nội dung sẽ không bị ghi hai lần.'", field_error("t-report", "submit", "")), "the lost answer").await;
    me.stop_failing_requests().await;
    let submitted = |h: &Vec<Value>| {
        h.iter()
            .filter(|e| e["fields"]["status"] == "submitted")
            .count()
    };
    assert_eq!(
        submitted(&history_of(&app, "t-report").await),
        1,
        "the server kept the first try"
    );
    submit(&mut me, "t-report", "submit").await;
    me.wait_for(
        "document.querySelector('#toast').textContent.startsWith('Đã ghi nhận từ lần gửi trước')",
        "the retry recognised",
    )
    .await;
    let history = history_of(&app, "t-report").await;
    assert_eq!(
        submitted(&history),
        1,
        "the retry changed nothing: {history:?}"
    );
    assert_eq!(
        history.last().unwrap()["fields"]["attachments"][0]["name"],
        "bao-cao-thang-11.pdf"
    );
    me.wait_for(
        "document.querySelector('[data-task=\"t-report\"]').dataset.need === 'waiting'",
        "the report waiting",
    )
    .await;
    let english = me.english_words(&[], DATA).await;
    assert!(english.is_empty(), "English on My work: {english:?}");
    me.screenshot(&format!("work-flow-me-official-{tag}")).await;

    // The leader's queue: both, oldest submission first, with the file.
    let mut accept = page_as(&b.leader, &app, &leader, width, height).await;
    accept.navigate(&app.url("/accept.html")).await;
    accept
        .wait_for(
            "document.querySelectorAll('.work-card').length === 2",
            "two submissions",
        )
        .await;
    assert_eq!(
        accept
            .eval("[...document.querySelectorAll('.work-card')].map(c => c.dataset.task)")
            .await,
        json!(["t-late", "t-report"])
    );
    let file = accept.eval("(async () => { const a = document.querySelector('[data-task=\"t-report\"] a.file'); const r = await fetch(a.href); return [a.textContent, r.status, r.headers.get('content-disposition').startsWith('attachment')]; })()").await;
    assert_eq!(file, json!(["bao-cao-thang-11.pdf", 200, true]));
    if phone {
        fits_a_thumb(&mut accept, "the acceptance queue").await;
    }
    accept
        .screenshot(&format!("work-flow-accept-leader-{tag}"))
        .await;
    // Quality out of range, then 40 with a comment.
    fill(&mut accept, "t-report", "accept", "quality", "140").await;
    submit(&mut accept, "t-report", "accept").await;
    accept
        .wait_for(
            &format!(
                "{} === 'Chất lượng phải là số từ 0 đến 100.'",
                field_error("t-report", "accept", "quality")
            ),
            "the quality refusal",
        )
        .await;
    fill(&mut accept, "t-report", "accept", "quality", "40").await;
    fill(
        &mut accept,
        "t-report",
        "accept",
        "comment",
        "Số liệu chưa phân tích",
    )
    .await;
    submit(&mut accept, "t-report", "accept").await;
    accept
        .wait_for(
            "document.querySelectorAll('.work-card').length === 1",
            "the report leaving the queue",
        )
        .await;
    // The review goes back with a reason, which the official reads on My work.
    fill(
        &mut accept,
        "t-late",
        "return",
        "reason",
        "Thiếu biên bản rà soát",
    )
    .await;
    submit(&mut accept, "t-late", "return").await;
    accept
        .wait_for(
            "document.querySelectorAll('.work-card').length === 0",
            "an empty queue",
        )
        .await;
    let english = accept.english_words(&[], DATA).await;
    assert!(
        english.is_empty(),
        "English on the acceptance page: {english:?}"
    );
    me.wait_for(
        "document.querySelector('.work-card')?.dataset.need === 'returned'",
        "the returned review first on My work",
    )
    .await;
    assert!(me
        .eval("document.querySelector('[data-task=\"t-late\"] [data-field=\"returned\"]').textContent.includes('Thiếu biên bản rà soát')")
        .await
        .as_bool()
        .unwrap());

    // The official's evaluation shows the report's deduction for quality 40.
    me.navigate(&app.url("/evaluation.html?unit=p-1.vh&person=w2&period=2026-11"))
        .await;
    me.wait_for("!!document.querySelector('tr[data-task=\"t-report\"] .deduction[data-reason=\"quality\"]')", "the quality deduction").await;
    // Dated by the server's clock, the submission was on time: quality is the only deduction.
    assert_eq!(
        me.eval("[...document.querySelectorAll('tr[data-task=\"t-report\"] .deduction')].map(d => d.dataset.reason)").await,
        json!(["quality"])
    );
    // The refusals the test asked for (422) and the answer it dropped are the only errors.
    let unexpected: Vec<String> = me
        .unexpected_console_errors(&[422])
        .into_iter()
        .filter(|e| !e.contains("ERR_CONNECTION_REFUSED"))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
    assert!(
        accept.unexpected_console_errors(&[]).is_empty(),
        "{:?}",
        accept.console_errors
    );
    assert!(
        board.console_errors.is_empty(),
        "{:?}",
        board.console_errors
    );
}

#[tokio::test]
async fn an_official_works_from_my_work_and_the_leader_accepts_on_a_desktop() {
    let Some(b) = browsers("an_official_works_from_my_work_and_the_leader_accepts_on_a_desktop")
    else {
        return;
    };
    the_flow(&b, 1280, 720, "1280").await;
}

#[tokio::test]
async fn an_official_works_from_my_work_and_the_leader_accepts_on_a_phone() {
    let Some(b) = browsers("an_official_works_from_my_work_and_the_leader_accepts_on_a_phone")
    else {
        return;
    };
    the_flow(&b, 390, 844, "390").await;
}

#[tokio::test]
async fn a_leader_assigns_work_to_a_person_picked_from_the_ward_and_the_screens_read_well() {
    let Some(browser) = Browser::launch(
        "a_leader_assigns_work_to_a_person_picked_from_the_ward_and_the_screens_read_well",
    ) else {
        return;
    };
    let City {
        app,
        official,
        leader,
    } = city().await;
    let mut page = page_as(&browser, &app, &leader, 390, 844).await;
    page.navigate(&app.url("/assign.html")).await;
    page.wait_for(
        "!!document.querySelector('form.assign-form')",
        "the assign form",
    )
    .await;
    // The leader is the accountable person by default.
    page.wait_for("document.querySelector('[data-field=\"picked-accountable\"]').textContent.includes('Lê Văn Cường')", "the leader as accountable").await;
    fits_a_thumb(&mut page, "assign").await;
    // No responsible person yet: the reason by the picker.
    page.eval("(() => { const f = document.querySelector('form.assign-form'); f.elements.title.value = 'Báo cáo tháng 12'; f.elements.deadline.value = '2026-12-31'; f.querySelector('button[type=submit]').click(); })()").await;
    page.wait_for(
        "!document.querySelector('[data-error-for=\"responsible\"]').hidden",
        "the missing person",
    )
    .await;
    // Typed without diacritics, as on a phone.
    page.eval("(() => { const i = document.querySelector('[data-search=\"responsible\"]'); i.value = 'dung'; i.dispatchEvent(new Event('input')); })()").await;
    page.wait_for(
        "!!document.querySelector('[data-add=\"responsible\"][data-id=\"w2\"]')",
        "Phạm Thị Dung found",
    )
    .await;
    page.screenshot("work-assign-leader-390-search").await;
    page.eval("document.querySelector('[data-add=\"responsible\"][data-id=\"w2\"]').click()")
        .await;
    page.eval("(() => { const f = document.querySelector('form.assign-form'); f.elements.expected_output.value = 'Báo cáo có số liệu'; f.querySelector('button[type=submit]').click(); })()").await;
    page.wait_for(
        "document.querySelector('#toast').textContent.startsWith('Đã giao')",
        "the task assigned",
    )
    .await;
    let (_, mine) = app
        .send_as(Some(&official), Method::GET, "/api/v1/me/tasks", None)
        .await;
    let new: Vec<&Value> = mine["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"] == "Báo cáo tháng 12")
        .collect();
    assert_eq!(new.len(), 1, "{mine}");
    assert_eq!(new[0]["accountable"]["name"], "Lê Văn Cường");
    assert_eq!(new[0]["expected_output"], "Báo cáo có số liệu");
    let id = new[0]["id"].as_str().unwrap().to_string();

    // Changing the deadline asks for a reason, then keeps it in the history.
    page.navigate(&app.url(&format!("/assign.html?task={id}")))
        .await;
    page.wait_for(
        "!!document.querySelector('form.assign-form [name=reason]')",
        "the change form",
    )
    .await;
    page.eval("(() => { const f = document.querySelector('form.assign-form'); f.elements.deadline.value = '2027-01-15'; f.querySelector('button[type=submit]').click(); })()").await;
    page.wait_for(
        "!document.querySelector('[data-error-for=\"reason\"]').hidden",
        "the reason asked",
    )
    .await;
    page.eval("(() => { const f = document.querySelector('form.assign-form'); f.elements.reason.value = 'Chờ số liệu của Sở'; f.querySelector('button[type=submit]').click(); })()").await;
    page.wait_for(
        "document.querySelector('#toast').textContent.startsWith('Đã lưu')",
        "the change saved",
    )
    .await;
    let history = history_of(&app, &id).await;
    assert_eq!(
        history.last().unwrap()["fields"]["reason"],
        "Chờ số liệu của Sở",
        "{history:?}"
    );
    let english = page.english_words(&[], DATA).await;
    assert!(english.is_empty(), "English on assign: {english:?}");
    assert!(page.console_errors.is_empty(), "{:?}", page.console_errors);

    // Some work in every state for the pictures: a returned review, a report waiting.
    for (who, events) in [
        (
            &official,
            json!([{"type": "task", "id": "s-1", "at": "2026-11-20T10:10:00+07:00", "task_id": "t-late", "status": "submitted", "progress": 100, "output": "Đã rà soát 120 hồ sơ"}]),
        ),
        (
            &leader,
            json!([{"type": "task", "id": "s-2", "at": "2026-11-20T10:20:00+07:00", "task_id": "t-late", "status": "returned", "reason": "Thiếu biên bản rà soát", "comment": "Bổ sung trong tuần"}]),
        ),
        (
            &official,
            json!([{"type": "task", "id": "s-3", "at": "2026-11-20T10:30:00+07:00", "task_id": "t-report", "status": "submitted", "progress": 100,
            "output": "Báo cáo 7 lĩnh vực, có so sánh với tháng 10", "link": "https://vanban.hanoi.gov.vn/bc-11", "note": "Số liệu chốt ngày 19/11"}]),
        ),
    ] {
        let (status, body) = app
            .send_as(Some(who), Method::POST, "/api/v1/events", Some(&events))
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // The screens at three sizes, as the official, the leader and the city.
    let city_acc = app.account("thanhpho", None, &[("leader", "hn")]).await;
    drop(page);
    drop(browser);
    for (who, token) in [
        ("official", &official),
        ("leader", &leader),
        ("city", &city_acc),
    ] {
        let Some(browser) = Browser::launch(who) else {
            return;
        };
        let mut p = page_as(&browser, &app, token, 1920, 1080).await;
        for (w, h) in [(1920, 1080), (1280, 720), (390, 844)] {
            size(&mut p, w, h).await;
            for screen in ["me", "accept", "assign"] {
                p.navigate(&app.url(&format!("/{screen}.html"))).await;
                p.wait_for("document.querySelector('#title') && document.querySelector('#title').textContent !== 'Đang tải…'", "the page").await;
                p.wait_for(
                    "!document.querySelector('main').textContent.includes('Đang tải…')",
                    "the content",
                )
                .await;
                if w < 500 {
                    let wide = p.eval("document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
                    assert_eq!(wide, json!(0), "{screen} as {who} scrolls sideways");
                }
                let english = p.english_words(&[], &["thanhpho dung cuong", "T"]).await;
                assert!(
                    english.is_empty(),
                    "English on {screen} as {who} at {w}: {english:?}"
                );
                p.screenshot(&format!("work-{screen}-{who}-{w}")).await;
                if screen == "me" && w == 1920 {
                    // Who returned a task is named by the server; one that is no person (the
                    // demo's seed, an integration) reaches the page as its source id, and the
                    // page words it instead of showing the id.
                    let named = p
                        .eval("import('/js/i18n.js').then(m => [m.actorName('system:demo-seed'), m.actorName('source:hcc@hn,hn-bm'), m.actorName('Lê Văn An')])")
                        .await;
                    assert_eq!(named, json!(["Hệ thống", "hcc", "Lê Văn An"]));
                }
            }
            assert!(
                p.unexpected_console_errors(&[403]).is_empty(),
                "{who} at {w}: {:?}",
                p.console_errors
            );
        }
    }
}

//! A review meeting (giao ban) in real Chromium (headless, over DevTools) against the real
//! server: the ward's leader opens the week's review as a meeting from the review page, picking
//! the attendees in the form; the agenda holds the indicator that turned red, the key result
//! behind pace and the overdue official. A wall in a second tab follows the presenter without
//! reloading. Two conclusions become tasks with their RACI roles through the page's forms (a
//! missing responsible person and a mistyped year refused next to their fields, nothing kept);
//! the meeting closes and its page turns read-only. A week later the review lists both
//! conclusions with where they stand, in words. Vietnamese pages with no English; screenshots
//! of the meeting page (1920x1080, 1280x720, 390x844), the wall (1920x1080, 1280x720) and the
//! follow-up go to `target/screenshots/`.

use ioc_tests::browser::{Browser, Page};
use ioc_tests::{spawn_app, task_event, with_leaders, TestApp, START};
use serde_json::{json, Value};

const WEEK: &str = "2026-W46";
const MEETING: &str = "gb-p-1-2026-W46";

/// The scenario of `tests/meetings.rs`: the fixture city in week 46, TTHC of Phường Hoàn Kiếm
/// (p-1) green last week and red this week, kr-3 not moved since the quarter began, T1 of Phạm
/// Thị Dung (w2) overdue since the 5th; and a deputy chair of the ward, Đỗ Thị Hoa (w5), to
/// attend and be consulted. The session of the ward's leader w1 (leader and admin of p-1).
async fn ward_in_week_46() -> (TestApp, String) {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let (status, body) = app
        .post(
            "/api/v1/people",
            &json!({"id": "w5", "name": "Đỗ Thị Hoa", "unit": "p-1", "position": "Phó Chủ tịch UBND phường"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.set_clock(START).await;
    app.ingest(json!([
        task_event("t1-new", "T1", "w2", "2026-11-05", START),
        {"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 96.0}
    ]))
    .await;
    app.set_clock("2026-11-11T09:00:00+07:00").await;
    app.ingest(json!([
        {"type": "kpi_observation", "id": "o2", "at": "2026-11-11T09:00:00+07:00", "kpi": "TTHC", "unit": "p-1", "period": "2026-11", "value": 81.0}
    ]))
    .await;
    let w1 = app
        .account("w1", Some("w1"), &[("leader", "p-1"), ("admin", "p-1")])
        .await;
    (app, w1)
}

async fn screen(page: &mut Page, width: u32, height: u32) {
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500}),
    )
    .await;
}

/// A string as a JavaScript literal.
fn js(s: &str) -> String {
    json!(s).to_string()
}

/// The agenda item `key`'s block on the meeting page.
fn item(key: &str) -> String {
    format!(
        "document.querySelector('article.mt-item[data-item=' + {} + ']')",
        js(&js(key))
    )
}

const FORM: &str = "document.getElementById('conclusion-form')";

/// The visible text of what `expr` finds ("" when nothing).
async fn text(page: &mut Page, expr: &str) -> String {
    page.eval(&format!("(({expr}) || {{}}).textContent || ''"))
        .await
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Chooses `id` in the people select `name` of `form`, once the server's candidates are in it.
async fn choose(page: &mut Page, form: &str, name: &str, id: &str) {
    let select = format!("{form}.querySelector('select[name={name}]')");
    page.wait_for(
        &format!(
            "!!{select}?.querySelector('option[value=' + {} + ']')",
            js(&js(id))
        ),
        &format!("{id} among the choices for {name}"),
    )
    .await;
    page.eval(&format!(
        "(() => {{ const s = {select}; s.value = {id}; s.dispatchEvent(new Event('change', {{bubbles: true}})); return s.value; }})()",
        id = js(id)
    ))
    .await;
}

/// Picks a person in the chip picker `role` of `form` as a person would: types `query` in its
/// search box, then clicks the person `id` among the results; waits for the chip.
async fn pick(page: &mut Page, form: &str, role: &str, query: &str, id: &str) {
    page.eval(&format!(
        "(() => {{ const i = {form}.querySelector('[data-search={role}]'); i.value = {q}; i.dispatchEvent(new Event('input', {{bubbles: true}})); return 0; }})()",
        q = js(query)
    ))
    .await;
    let button = format!(
        "{form}.querySelector('[data-results={role}] [data-add={role}][data-id=' + {} + ']')",
        js(&js(id))
    );
    page.wait_for(
        &format!("!!{button}"),
        &format!("{id} found by '{query}' for {role}"),
    )
    .await;
    page.eval(&format!("{button}.click()")).await;
    page.wait_for(
        &format!(
            "!!{form}.querySelector('[data-field=picked-{role}] [data-id=' + {} + ']')",
            js(&js(id))
        ),
        &format!("{id} picked as {role}"),
    )
    .await;
}

/// Sets a field of the conclusion form as typing would.
async fn fill(page: &mut Page, name: &str, value: &str) {
    page.eval(&format!(
        "(() => {{ const e = {FORM}.elements[{name}]; e.value = {value}; e.dispatchEvent(new Event('input', {{bubbles: true}})); e.dispatchEvent(new Event('change', {{bubbles: true}})); return e.value; }})()",
        name = js(name),
        value = js(value)
    ))
    .await;
}

/// Whether the error box of `field` in the conclusion form shows, and its words.
async fn field_error(page: &mut Page, field: &str) -> (bool, String) {
    let box_ = format!("{FORM}.querySelector('[data-error-for={field}]')");
    let shown = page
        .eval(&format!(
            "!!{box_} && !{box_}.hidden && {box_}.checkVisibility()"
        ))
        .await;
    (shown == json!(true), text(page, &box_).await)
}

async fn submit_conclusion(page: &mut Page) {
    page.eval(&format!(
        "{FORM}.querySelector('button[type=submit]').click()"
    ))
    .await;
}

/// Opens the conclusion form of the agenda item `key`.
async fn open_form(page: &mut Page, key: &str) {
    page.eval(&format!(
        "{}.querySelector('.add-conclusion').click()",
        item(key)
    ))
    .await;
    page.wait_for(
        &format!("{FORM}?.dataset.forItem === {}", js(key)),
        &format!("the conclusion form of {key}"),
    )
    .await;
}

/// The meeting's conclusion on the agenda item `key`.
fn conclusion_on<'a>(m: &'a Value, key: &str) -> &'a Value {
    m["conclusions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["item"] == key)
        .unwrap_or_else(|| panic!("no conclusion on {key}: {m}"))
}

fn ids(people: &Value) -> Vec<String> {
    people
        .as_array()
        .unwrap_or_else(|| panic!("a list of people: {people}"))
        .iter()
        .map(|p| {
            p["id"]
                .as_str()
                .unwrap_or(p.as_str().unwrap_or(""))
                .to_string()
        })
        .collect()
}

/// Asserts that the page does not scroll sideways.
async fn fits(page: &mut Page, what: &str) {
    let wide = page
        .eval("[document.documentElement.scrollWidth, window.innerWidth]")
        .await;
    assert!(
        wide[0].as_f64().unwrap() <= wide[1].as_f64().unwrap(),
        "{what} scrolls sideways: scrollWidth and innerWidth {wide}"
    );
}

async fn no_english(page: &mut Page, what: &str) {
    let english = page.english_words(&[], &[]).await;
    assert!(english.is_empty(), "English on {what}: {english:?}");
}

#[tokio::test]
async fn a_ward_leader_runs_the_weekly_meeting_in_the_browser_and_next_week_follows_it_up() {
    let test = "a_ward_leader_runs_the_weekly_meeting_in_the_browser_and_next_week_follows_it_up";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let started = std::time::Instant::now();
    let (app, w1) = ward_in_week_46().await;
    let mut page = browser.page().await;
    page.set_session_cookie(&app.base, &w1).await;
    screen(&mut page, 1920, 1080).await;

    // 1. The leader opens the week's review as a meeting, chairing it, with two attendees.
    page.navigate(&app.url(&format!("/review.html?unit=p-1&week={WEEK}")))
        .await;
    page.wait_for(
        "!!document.getElementById('open-meeting') && !document.getElementById('meeting-bar').hidden",
        "the button that opens the meeting",
    )
    .await;
    assert_eq!(
        page.eval("document.querySelector('[data-field=follow-up]') === null")
            .await,
        json!(true),
        "no earlier meeting: nothing to follow up"
    );
    no_english(&mut page, "the review page").await;
    page.eval("document.getElementById('open-meeting').click()")
        .await;
    let form = "document.getElementById('meeting-form')";
    page.wait_for(
        &format!("!{form}.hidden && {form}.elements.chair.value === 'w1'"),
        "the form, with the leader as the chair",
    )
    .await;
    pick(&mut page, form, "attendees", "Dung", "w2").await;
    pick(&mut page, form, "attendees", "Hoa", "w5").await;
    no_english(&mut page, "the open-meeting form").await;
    page.screenshot("meeting-open-form-1920").await;
    page.eval(&format!(
        "{form}.querySelector('button[type=submit]').click()"
    ))
    .await;
    page.wait_for(
        &format!(
            "location.pathname === '/meeting.html' && new URLSearchParams(location.search).get('id') === {} && !!document.querySelector('article.mt-item')",
            js(MEETING)
        ),
        "the meeting page with its agenda",
    )
    .await;
    let m = app.get_ok(&format!("/api/v1/meetings/{MEETING}")).await;
    assert_eq!(m["state"], "open", "{m}");
    assert_eq!(m["chair"]["id"], "w1", "{m}");
    let mut attendees = ids(&m["attendees"]);
    attendees.sort();
    assert_eq!(attendees, ["w2", "w5"], "the attendees picked in the form");
    let items = m["items"].as_array().unwrap().clone();
    let keys: Vec<String> = items
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect();
    let shown: Vec<String> = serde_json::from_value(
        page.eval("[...document.querySelectorAll('article.mt-item')].map(a => a.dataset.item)")
            .await,
    )
    .unwrap();
    assert_eq!(shown, keys, "the page shows the agenda in its order");
    for k in ["red:TTHC@p-1", "kr:kr-3", "overdue:w2"] {
        assert!(shown.contains(&k.to_string()), "{k} missing from {shown:?}");
    }
    assert_eq!(shown.last().map(String::as_str), Some("other"));
    let red = items.iter().find(|i| i["key"] == "red:TTHC@p-1").unwrap();
    assert_eq!(
        text(
            &mut page,
            &format!(
                "{}.querySelector('[data-field=title]')",
                item("red:TTHC@p-1")
            )
        )
        .await,
        red["title"].as_str().unwrap()
    );
    let detail = text(
        &mut page,
        &format!(
            "{}.querySelector('[data-field=detail]')",
            item("red:TTHC@p-1")
        ),
    )
    .await;
    assert!(
        detail.contains("96") && detail.contains("81"),
        "the red item's figures: {detail}"
    );
    assert!(text(
        &mut page,
        &format!("{}.querySelector('[data-field=title]')", item("overdue:w2"))
    )
    .await
    .contains("Phạm Thị Dung"));
    assert!(
        text(&mut page, "document.querySelector('[data-field=chair]')")
            .await
            .contains("Lê Văn Cường")
    );
    let people = text(
        &mut page,
        "document.querySelector('[data-field=attendees]')",
    )
    .await;
    assert!(
        people.contains("Phạm Thị Dung") && people.contains("Đỗ Thị Hoa"),
        "{people}"
    );
    no_english(&mut page, "the meeting page").await;

    // 2. The wall follows the presenter, without reloading.
    let title = |i: usize| items[i]["title"].as_str().unwrap().to_string();
    let n = items.len();
    let mut wall = browser.new_page().await;
    wall.set_session_cookie(&app.base, &w1).await;
    screen(&mut wall, 1920, 1080).await;
    wall.navigate(&app.url(&format!("/wall.html?meeting={MEETING}")))
        .await;
    let on_wall = |i: usize| {
        format!(
            "document.querySelector('[data-field=current-title]')?.textContent === {} && document.querySelector('[data-field=item-of]')?.textContent === {}",
            js(&title(i)),
            js(&format!("Mục {}/{}", i + 1, n))
        )
    };
    // The item's own figure: the KPI now, the key result against its target, the person's work.
    let figure = |i: usize| match items[i]["section"].as_str().unwrap() {
        "turned_red" => "kpi",
        "key_result" => "key-result",
        "overdue" => "person",
        other => panic!("no figure expected for a {other} item"),
    };
    let figure_shown = |i: usize| {
        format!(
            "!!document.querySelector('#wm-figs [data-fig={}]')",
            figure(i)
        )
    };
    wall.wait_for(&on_wall(0), "item 1 on the wall").await;
    wall.wait_for(&figure_shown(0), "item 1's figure on the wall")
        .await;
    wall.eval("window.sameDocument = 'yes'").await;
    page.eval("document.getElementById('present-next').click()")
        .await;
    page.wait_for(
        &format!(
            "document.querySelector('article.mt-item.is-current')?.dataset.item === {}",
            js(&keys[1])
        ),
        "item 2 marked as shown on the meeting page",
    )
    .await;
    wall.wait_for(&on_wall(1), "the wall to follow to item 2")
        .await;
    wall.wait_for(&figure_shown(1), "item 2's figure on the wall")
        .await;
    let overdue = keys.iter().position(|k| k == "overdue:w2").unwrap();
    assert_ne!(overdue, 1);
    page.eval(&format!(
        "{}.querySelector('.present-item').click()",
        item("overdue:w2")
    ))
    .await;
    wall.wait_for(
        &on_wall(overdue),
        "the wall to follow to the overdue official",
    )
    .await;
    wall.wait_for(&figure_shown(overdue), "the person's figure on the wall")
        .await;
    wall.wait_for(
        "document.querySelector('[data-fig=person] [data-field=person-overdue]')?.textContent === '1'",
        "Phạm Thị Dung's overdue work on the wall",
    )
    .await;
    assert_eq!(
        wall.eval("window.sameDocument").await,
        json!("yes"),
        "the wall moved without reloading"
    );
    assert_eq!(
        page.eval("document.querySelector('article.mt-item.is-current')?.dataset.item")
            .await,
        json!("overdue:w2")
    );
    assert_eq!(
        app.get_ok(&format!("/api/v1/meetings/{MEETING}")).await["current"],
        json!(overdue)
    );

    // 3. Conclusions through the forms. On the red indicator: no responsible person, then a
    // mistyped year, both refused next to their field with nothing kept; then kept.
    open_form(&mut page, "red:TTHC@p-1").await;
    page.wait_for(
        &format!("!!{FORM}.querySelector('select[name=responsible] option[value=w2]')"),
        "the people to choose from",
    )
    .await;
    assert_eq!(
        page.eval(&format!("{FORM}.elements.action.value")).await,
        json!("task")
    );
    fill(&mut page, "text", "Bổ sung người cho bộ phận một cửa").await;
    fill(
        &mut page,
        "title",
        "Điều động thêm 2 cán bộ cho bộ phận một cửa",
    )
    .await;
    fill(&mut page, "deadline", "2026-11-14").await;
    submit_conclusion(&mut page).await;
    page.wait_for(
        &format!("!{FORM}.querySelector('[data-error-for=responsible]').hidden"),
        "the refusal of a task with nobody responsible",
    )
    .await;
    let (shown, words) = field_error(&mut page, "responsible").await;
    assert!(shown && !words.is_empty(), "{words}");
    assert_eq!(
        page.eval(&format!("{FORM}.querySelector('[data-error-for=responsible]').closest('[data-pick]')?.dataset.pick"))
            .await,
        json!("responsible"),
        "the refusal shows next to the responsible person's field"
    );
    assert_eq!(
        page.eval(&format!(
            "{FORM}.elements.responsible.getAttribute('aria-invalid')"
        ))
        .await,
        json!("true")
    );
    no_english(&mut page, "the refused conclusion form").await;
    choose(&mut page, FORM, "responsible", "w2").await;
    choose(&mut page, FORM, "accountable", "w1").await;
    fill(&mut page, "deadline", "3026-11-14").await;
    submit_conclusion(&mut page).await;
    page.wait_for(
        &format!("!{FORM}.querySelector('[data-error-for=deadline]').hidden"),
        "the server's refusal of the mistyped year",
    )
    .await;
    let (shown, words) = field_error(&mut page, "deadline").await;
    assert!(shown && !words.is_empty(), "{words}");
    assert_eq!(
        page.eval(&format!("{FORM}.querySelector('[data-error-for=deadline]').previousElementSibling?.querySelector('[name=deadline]') === {FORM}.elements.deadline"))
            .await,
        json!(true),
        "the refusal shows right under the deadline's field"
    );
    assert!(
        !field_error(&mut page, "responsible").await.0,
        "the earlier refusal is cleared"
    );
    assert_eq!(
        page.eval(&format!(
            "{FORM}.elements.deadline.getAttribute('aria-invalid')"
        ))
        .await,
        json!("true")
    );
    no_english(&mut page, "the server's refusal").await;
    page.screenshot("meeting-refusal-1920").await;
    let kept = app.get_ok(&format!("/api/v1/meetings/{MEETING}")).await;
    assert_eq!(kept["conclusions"], json!([]), "refusals kept nothing");
    fill(&mut page, "deadline", "2026-11-14").await;
    submit_conclusion(&mut page).await;
    page.wait_for(
        &format!(
            "!{FORM} && !!{}.querySelector('[data-conclusion]')",
            item("red:TTHC@p-1")
        ),
        "the red indicator's conclusion listed",
    )
    .await;

    // On the overdue official: she answers for it (chosen beforehand), the leader is
    // accountable, the deputy consulted and the leader informed, by the 20th.
    open_form(&mut page, "overdue:w2").await;
    page.wait_for(
        &format!("{FORM}.elements.responsible.value === 'w2' && !!{FORM}.querySelector('select[name=accountable] option[value=w1]')"),
        "the overdue official chosen as responsible",
    )
    .await;
    fill(
        &mut page,
        "text",
        "Đồng chí Dung hoàn thành hồ sơ tồn trước thứ Sáu",
    )
    .await;
    choose(&mut page, FORM, "accountable", "w1").await;
    pick(&mut page, FORM, "consulted", "Hoa", "w5").await;
    pick(&mut page, FORM, "informed", "Cường", "w1").await;
    fill(&mut page, "deadline", "2026-11-20").await;
    no_english(&mut page, "the conclusion form").await;
    page.screenshot("meeting-conclusion-form-1920").await;
    submit_conclusion(&mut page).await;
    page.wait_for(
        &format!(
            "!{FORM} && !!{}.querySelector('[data-conclusion]')",
            item("overdue:w2")
        ),
        "the overdue official's conclusion listed",
    )
    .await;

    assert_eq!(
        page.eval("[...document.querySelectorAll('.conclusion.is-new')].map(li => li.closest('[data-item]')?.dataset.item)")
            .await,
        json!(["overdue:w2"]),
        "only the conclusion just recorded is marked as new"
    );
    let m = app.get_ok(&format!("/api/v1/meetings/{MEETING}")).await;
    assert_eq!(m["conclusions"].as_array().unwrap().len(), 2, "{m}");
    let on_red = conclusion_on(&m, "red:TTHC@p-1").clone();
    let on_late = conclusion_on(&m, "overdue:w2").clone();
    for (c, deadline, text_) in [
        (&on_red, "2026-11-14", "Bổ sung người cho bộ phận một cửa"),
        (
            &on_late,
            "2026-11-20",
            "Đồng chí Dung hoàn thành hồ sơ tồn trước thứ Sáu",
        ),
    ] {
        assert_eq!(c["action"], "task", "{c}");
        assert_eq!(c["text"], text_, "{c}");
        assert_eq!(c["status"], "open", "{c}");
        assert_eq!(c["task"]["responsible"]["id"], "w2", "{c}");
        assert_eq!(c["task"]["accountable"]["id"], "w1", "{c}");
        assert!(
            c["task"]["deadline"]
                .as_str()
                .unwrap()
                .starts_with(deadline),
            "{c}"
        );
        let id = c["task"]["id"].as_str().unwrap();
        let task = app.get_ok(&format!("/api/v1/tasks/{id}")).await;
        assert_eq!(task["responsible"], "w2", "{task}");
        assert_eq!(task["accountable"], "w1", "{task}");
        assert!(
            task["deadline"].as_str().unwrap().starts_with(deadline),
            "{task}"
        );
    }
    assert_eq!(
        on_red["task"]["title"],
        "Điều động thêm 2 cán bộ cho bộ phận một cửa"
    );
    assert_eq!(ids(&on_red["task"]["consulted"]), Vec::<String>::new());
    assert_eq!(ids(&on_late["task"]["consulted"]), ["w5"]);
    assert_eq!(ids(&on_late["task"]["informed"]), ["w1"]);
    let late_task = on_late["task"]["id"].as_str().unwrap().to_string();
    let task = app.get_ok(&format!("/api/v1/tasks/{late_task}")).await;
    assert_eq!(task["consulted"], json!(["w5"]), "{task}");
    assert_eq!(task["informed"], json!(["w1"]), "{task}");
    // The page lists both with who answers for each by when.
    for (key, c, date) in [
        ("red:TTHC@p-1", &on_red, "14/11/2026"),
        ("overdue:w2", &on_late, "20/11/2026"),
    ] {
        let li = format!(
            "{}.querySelector('[data-conclusion=' + {} + ']')",
            item(key),
            js(&js(c["id"].as_str().unwrap()))
        );
        let owner = text(
            &mut page,
            &format!("{li}.querySelector('[data-field=owner]')"),
        )
        .await;
        assert!(
            owner.contains("Phạm Thị Dung") && owner.contains(date),
            "{key}'s owner: {owner}"
        );
        assert_eq!(
            text(
                &mut page,
                &format!("{li}.querySelector('[data-field=text]')")
            )
            .await,
            c["text"].as_str().unwrap()
        );
        assert_eq!(
            page.eval(&format!(
                "{li}.querySelector('[data-status]')?.dataset.status"
            ))
            .await,
            json!("open")
        );
    }
    // The wall shows the conclusion made on the item it shows.
    wall.wait_for(
        &format!(
            "!!document.querySelector('[data-field=conclusions] [data-conclusion=' + {} + ']')",
            js(&js(on_late["id"].as_str().unwrap()))
        ),
        "the conclusion on the wall",
    )
    .await;
    no_english(&mut wall, "the wall").await;
    wall.screenshot("meeting-wall-1920").await;
    fits(&mut wall, "the wall at 1920x1080").await;
    screen(&mut wall, 1280, 720).await;
    wall.wait_for("window.innerWidth === 1280", "the wall at 1280x720")
        .await;
    fits(&mut wall, "the wall at 1280x720").await;
    wall.screenshot("meeting-wall-1280").await;

    // The meeting page at three sizes.
    no_english(&mut page, "the meeting page with its conclusions").await;
    page.eval("window.scrollTo(0, 0)").await;
    page.screenshot("meeting-page-1920").await;
    fits(&mut page, "the meeting page at 1920x1080").await;
    screen(&mut page, 1280, 720).await;
    page.wait_for("window.innerWidth === 1280", "the page at 1280x720")
        .await;
    fits(&mut page, "the meeting page at 1280x720").await;
    page.eval(&format!(
        "{}.scrollIntoView({{block: 'start'}})",
        item("red:TTHC@p-1")
    ))
    .await;
    page.screenshot("meeting-page-1280").await;
    screen(&mut page, 390, 844).await;
    page.wait_for("window.innerWidth === 390", "the page at 390x844")
        .await;
    let wide = page
        .eval("document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(
        wide,
        json!(true),
        "the meeting page scrolls sideways on a phone: {}",
        page.eval("[document.documentElement.scrollWidth, window.innerWidth]")
            .await
    );
    page.eval(&format!(
        "{}.scrollIntoView({{block: 'start'}})",
        item("overdue:w2")
    ))
    .await;
    page.screenshot("meeting-page-390").await;
    screen(&mut page, 1920, 1080).await;

    // 4. The leader closes the meeting: the record turns read-only.
    page.eval("document.getElementById('close-meeting').click()")
        .await;
    page.wait_for(
        "document.getElementById('close-dialog').open === true",
        "the closing dialog",
    )
    .await;
    no_english(&mut page, "the closing dialog").await;
    page.eval("document.getElementById('close-confirm').click()")
        .await;
    page.wait_for(
        "!document.getElementById('closed-banner').hidden && document.querySelector('[data-field=state]')?.dataset.state === 'closed'",
        "the closed banner",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('close-dialog').open")
            .await,
        json!(false)
    );
    let left = page
        .eval(
            "({add: [...document.querySelectorAll('.add-conclusion')].filter(b => b.checkVisibility()).length,
               notes: document.querySelectorAll('.note-form, textarea').length,
               present: document.querySelectorAll('.present-item').length,
               presenter: document.getElementById('presenter').hidden,
               close: document.getElementById('close-meeting').hidden,
               listed: document.querySelectorAll('#agenda li.conclusion').length})",
        )
        .await;
    assert_eq!(
        left,
        json!({"add": 0, "notes": 0, "present": 0, "presenter": true, "close": true, "listed": 2}),
        "a closed meeting is read-only, its conclusions still listed"
    );
    assert!(text(&mut page, "document.getElementById('closed-banner')")
        .await
        .contains("chỉ đọc"));
    assert_eq!(
        app.get_ok(&format!("/api/v1/meetings/{MEETING}")).await["state"],
        "closed"
    );
    wall.wait_for(
        "!document.querySelector('[data-field=closed]').hidden",
        "the wall to say the meeting is over",
    )
    .await;
    no_english(&mut page, "the closed meeting").await;
    page.screenshot("meeting-closed-1920").await;

    // 5. A week later: the first task was done and accepted, the other is past its deadline.
    app.set_clock("2026-11-17T09:00:00+07:00").await;
    let w2 = app.account("w2", Some("w2"), &[("viewer", "p-1")]).await;
    app.ingest_as(&w2, json!([
        {"type": "task", "id": "t-sub", "at": "2026-11-16T10:00:00+07:00", "task_id": late_task, "status": "submitted", "progress": 100, "output": "Đã xử lý 12 hồ sơ tồn"}
    ]))
    .await;
    app.ingest_as(&w1, json!([
        {"type": "task", "id": "t-acc", "at": "2026-11-16T11:00:00+07:00", "task_id": late_task, "status": "accepted", "quality": 90}
    ]))
    .await;
    let review = app.get_ok("/api/v1/units/p-1/review?week=2026-W47").await;
    assert_eq!(review["follow_up"]["meeting"]["id"], MEETING, "{review}");
    page.navigate(&app.url("/review.html?unit=p-1&week=2026-W47"))
        .await;
    page.wait_for(
        "document.querySelectorAll('[data-field=follow-up] [data-conclusion]').length === 2",
        "last week's conclusions on the review",
    )
    .await;
    for (c, status, words) in [(&on_late, "done", "Đã xong"), (&on_red, "late", "Trễ hạn")] {
        let id = c["id"].as_str().unwrap();
        let by_server = review["follow_up"]["conclusions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap_or_else(|| panic!("{id} not followed up: {review}"));
        assert_eq!(by_server["status"], status, "{by_server}");
        let li = format!(
            "document.querySelector('[data-field=follow-up] [data-conclusion=' + {} + ']')",
            js(&js(id))
        );
        assert_eq!(
            page.eval(&format!(
                "{li}.querySelector('[data-status]')?.dataset.status"
            ))
            .await,
            json!(status),
            "{id}"
        );
        assert_eq!(
            text(&mut page, &format!("{li}.querySelector('[data-status]')")).await,
            words
        );
        let row = text(&mut page, &li).await;
        assert!(
            row.contains(c["text"].as_str().unwrap()) && row.contains("Phạm Thị Dung"),
            "{row}"
        );
    }
    let counts = text(
        &mut page,
        "document.querySelector('[data-field=follow-up-counts]')",
    )
    .await;
    assert!(
        counts.contains("1 đã xong") && counts.contains("1 trễ hạn"),
        "{counts}"
    );
    assert!(page
        .eval("document.querySelector('[data-field=follow-up-meeting]')?.getAttribute('href')")
        .await
        .as_str()
        .unwrap_or_default()
        .contains(MEETING));
    no_english(&mut page, "next week's review").await;
    page.eval("window.scrollTo(0, document.querySelector('[data-field=follow-up]').getBoundingClientRect().top + window.scrollY - 80)")
        .await;
    page.screenshot("meeting-follow-up-1920").await;

    // 6. Nothing went wrong in the pages beside the refusal the test asked for.
    assert_eq!(page.unexpected_console_errors(&[422]), Vec::<String>::new());
    assert_eq!(wall.unexpected_console_errors(&[]), Vec::<String>::new());
    eprintln!("{test}: {:.1} s", started.elapsed().as_secs_f64());
    app.stop().await;
}

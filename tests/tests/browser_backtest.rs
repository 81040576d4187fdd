//! "Thử thay đổi" in the alert center (issue 21 point 5) in real Chromium against the real
//! server: a rule file with one `kpi.value` line on KPI `TTHC` (`red = "< 90"`), and a week of
//! values 92, 87, 92, 88, 92, 80, 92 for ward `p-2` (as `backtest.rs` builds it). The city's
//! leader opens the alert center's rules, presses "Thử thay đổi" on `tthc_line`, opens the running
//! rule file (the server's `GET /api/v1/rules` names rules, not their text), reads the default
//! window, is refused a window before the kept history next to "Từ ngày", runs the rule as it
//! is (nothing differs), moves the line to 85 and reads what a person sees: the chart, 3 → 1
//! fires for the rule, the two alerts (87 and 88) only the running line raised, with their
//! moments; then a broken threshold refused under the text box in Vietnamese while the result
//! stays. A rule's block built from a definition (`ruleToml`, for a server that sends them) is
//! the running rule exactly. An administrator of the whole tree reloads the rules from the
//! panel; a viewer sees the rules without "Thử thay đổi". Vietnamese pages with no English
//! and no sideways scroll at 390x844, 1280x720 and 1920x1080; screenshots go to
//! `target/screenshots/`.

use ioc_tests::browser::{Browser, Page};
use ioc_tests::{spawn_app_with_rules, with_leaders, TestApp};
use serde_json::json;

/// What the test named things (shown as they are: a rule's id, its file, the accounts); the
/// running rules' ids are added from the server (ids are data, shown beside their words).
const DATA: &[&str] = &[
    "tthc_line",
    "tthc.toml",
    "kpi.value",
    "TTHC",
    "bt-lead",
    "bt-admin",
    "bt-viewer",
];

fn rule(red: &str) -> String {
    format!(
        r#"# The line of on-time dossiers (TTHC).
[[rule]]
name = "tthc_line"
metric = "kpi.value"
kpi = "TTHC"
red = "< {red}"
recover = ">= {red}"
summary_vi = "TTHC của {{unit_name}} là {{value}}"
summary_en = "TTHC of {{unit_name}} is {{value}}"
"#
    )
}

/// Day `d` of the week, 09:00 Vietnam time.
fn day(d: u32) -> String {
    format!("2026-11-{:02}T09:00:00+07:00", 2 + d)
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

/// Asserts that the page does not scroll sideways on a screen `width` wide, measured against
/// that width (a phone zooms out to fit a page that is too wide, and `innerWidth` grows).
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
    let ids = page
        .eval("fetch('/api/v1/rules').then(r => r.json()).then(r => r.rules.map(x => x.name))")
        .await;
    let mut data: Vec<&str> = DATA.to_vec();
    data.extend(ids.as_array().unwrap().iter().filter_map(|v| v.as_str()));
    let english = page.english_words(&[], &data).await;
    assert!(english.is_empty(), "English on {what}: {english:?}");
}

/// No sideways scroll and no English at the three sizes; screenshots of the panel from `from`
/// (a selector scrolled to the top of the screen) down.
async fn at_every_size(page: &mut Page, what: &str, shot: &str, from: &str) {
    for (w, h) in [(390, 844), (1280, 720), (1920, 1080)] {
        screen(page, w, h).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        fits(page, w, &format!("{what} at {w}x{h}")).await;
        no_english(page, &format!("{what} at {w}x{h}")).await;
        page.eval(&format!(
            "document.querySelector({}).scrollIntoView({{block: 'start'}})",
            js(from)
        ))
        .await;
        page.screenshot(&format!("{shot}-{w}")).await;
        // The rest of the panel, a screen further down.
        page.eval("window.scrollBy(0, window.innerHeight - 60)")
            .await;
        page.screenshot(&format!("{shot}-{w}-more")).await;
    }
    screen(page, 1920, 1080).await;
}

/// Sets a form field as a person typing would (the page sees `input` and `change`).
async fn set_value(page: &mut Page, selector: &str, value: &str) {
    page.eval(&format!(
        "(() => {{ const i = document.querySelector({}); i.value = {}; \
         i.dispatchEvent(new Event('input', {{bubbles: true}})); i.dispatchEvent(new Event('change', {{bubbles: true}})); return 0; }})()",
        js(selector),
        js(value)
    ))
    .await;
}

const PANEL: &str = "#bt-panel";
const RESULT: &str = "#bt-panel [data-field=bt-result]";
const RULES_ERROR: &str = "#bt-panel [data-error-for=rules]";
const FROM_ERROR: &str = "#bt-panel [data-error-for=from]";
const TO_ERROR: &str = "#bt-panel [data-error-for=to]";

/// Presses "Chạy thử trên dữ liệu lịch sử"; what the panel shows at once: the button disabled
/// and "Đang chạy thử…" (the request is under way).
async fn run(page: &mut Page) -> serde_json::Value {
    page.eval(
        "(() => { const b = document.querySelector('#bt-panel [data-action=run]'); b.click(); \
         const busy = document.querySelector('#bt-panel [data-field=bt-busy]'); \
         return [b.disabled, !busy.hidden && busy.checkVisibility(), busy.textContent]; })()",
    )
    .await
}

/// Waits until the run ended (the button is back).
async fn ran(page: &mut Page, what: &str) {
    page.wait_for(
        "!document.querySelector('#bt-panel [data-action=run]').disabled && document.querySelector('#bt-panel [data-field=bt-busy]').hidden",
        what,
    )
    .await;
}

/// The rules tab of the city's alert center, its list drawn.
async fn rules_tab(page: &mut Page, app: &TestApp) {
    page.navigate(&app.url("/alerts.html?unit=hn")).await;
    page.wait_for(
        "!!document.querySelector('[data-tab=rules]')",
        "the alert center's tabs",
    )
    .await;
    page.eval("document.querySelector('[data-tab=rules]').click()")
        .await;
    page.wait_for(
        "!!document.querySelector('#rules-list li[data-rule=tthc_line]')",
        "the rule tthc_line in the rules tab",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_tries_a_moved_red_line_on_history_and_reads_what_changes() {
    let test = "a_leader_tries_a_moved_red_line_on_history_and_reads_what_changes";
    let Some(browser) = Browser::launch(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rules_file = dir.path().join("tthc.toml");
    std::fs::write(&rules_file, rule("90")).unwrap();
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let app = spawn_app_with_rules(&url, std::slice::from_ref(&rules_file)).await;
    app.load_fixture().await;
    with_leaders(&app).await;
    app.set_clock(&day(0)).await;
    let values = [92.0, 87.0, 92.0, 88.0, 92.0, 80.0, 92.0];
    for (i, v) in values.iter().enumerate() {
        let at = day(i as u32 + 1);
        app.set_clock(&at).await;
        app.ingest(json!([{"type": "kpi_observation", "id": format!("o{i}"), "at": at, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": v}]))
            .await;
    }
    app.set_clock(&day(9)).await;

    let leader = app.account("bt-lead", None, &[("leader", "hn")]).await;
    let mut page = browser.page().await;
    page.set_session_cookie(&app.base, &leader).await;
    screen(&mut page, 1920, 1080).await;

    // 1. The rules tab: tthc_line in words with its file; "Thử thay đổi" for a leader.
    rules_tab(&mut page, &app).await;
    let line = text(
        &mut page,
        "document.querySelector('#rules-list li[data-rule=tthc_line]')",
    )
    .await;
    assert!(
        line.contains("Ngưỡng chỉ số KPI")
            && line.contains("tthc.toml, dòng 2")
            && line.contains("Thử thay đổi"),
        "the rule's line: {line}"
    );
    assert_eq!(
        page.eval("document.querySelectorAll('#rules-list li[data-builtin] button[data-action=try]').length")
            .await,
        json!(0),
        "a built-in rule has no file to change"
    );
    page.eval("document.querySelector('#rules-list li[data-rule=tthc_line] button[data-action=try]').click()")
        .await;
    page.wait_for(
        &format!("!!document.querySelector('{PANEL} textarea') && document.querySelector('{PANEL} input[name=to]').value !== ''"),
        "the panel, with its window",
    )
    .await;
    // The default window: the last 30 days up to the server's clock (the 11th).
    assert_eq!(
        page.eval(&format!("[document.querySelector('{PANEL} input[name=from]').value, document.querySelector('{PANEL} input[name=to]').value, document.querySelector('{PANEL} select[name=unit]').value]")).await,
        json!(["2026-10-12", "2026-11-11", "hn"])
    );
    no_english(&mut page, "the panel before the file").await;

    // 2. The running file, as the server sends it: the rule's block as written, the rest kept.
    page.wait_for(
        &format!("document.querySelector('{PANEL} textarea').value.includes('red = \"< 90\"')"),
        "the rule's block from the file",
    )
    .await;
    let block = page
        .eval(&format!("document.querySelector('{PANEL} textarea').value"))
        .await;
    assert!(
        block
            .as_str()
            .unwrap()
            .starts_with("[[rule]]\nname = \"tthc_line\""),
        "the block, without the file's comment: {block}"
    );
    assert_eq!(
        page.eval(&format!(
            "document.querySelector('{PANEL} [data-field=bt-source]').dataset.source"
        ))
        .await,
        json!("files")
    );
    assert_eq!(
        page.eval(&format!(
            "document.querySelector('{PANEL} [data-field=bt-files-check]').hidden"
        ))
        .await,
        json!(true),
        "the file holds the running rules exactly"
    );

    // 3. A window longer than the server takes: refused next to "Đến ngày" (the field the
    // server names), in its words.
    set_value(
        &mut page,
        &format!("{PANEL} input[name=from]"),
        "2026-07-01",
    )
    .await;
    let busy = run(&mut page).await;
    assert_eq!(
        busy,
        json!([true, true, "Đang chạy thử…"]),
        "the busy state"
    );
    ran(&mut page, "the refused run").await;
    page.wait_for(
        &format!("!document.querySelector('{TO_ERROR}').hidden"),
        "the refusal of the window next to Đến ngày",
    )
    .await;
    let refusal = text(&mut page, &format!("document.querySelector('{TO_ERROR}')")).await;
    assert!(
        refusal.contains("tối đa 93 ngày"),
        "the server's words on a window too long: {refusal}"
    );
    assert_eq!(
        page.eval(&format!("[document.querySelector('{RESULT}').hidden, document.querySelector('{FROM_ERROR}').hidden, document.querySelector('{RULES_ERROR}').hidden]")).await,
        json!([true, true, true])
    );
    page.eval(&format!(
        "document.querySelector('{PANEL} input[name=to]').scrollIntoView({{block: 'center'}})"
    ))
    .await;
    page.screenshot("backtest-window-refused-1920").await;

    // 4. The rule as it runs, on the week: nothing differs.
    set_value(
        &mut page,
        &format!("{PANEL} input[name=from]"),
        "2026-11-03",
    )
    .await;
    run(&mut page).await;
    ran(&mut page, "the run of the unchanged rule").await;
    page.wait_for(
        &format!("document.querySelector('{RESULT}')?.dataset.differingTotal === '0'"),
        "the unchanged rule's result",
    )
    .await;
    assert_eq!(
        page.eval(&format!("document.querySelector('{FROM_ERROR}').hidden"))
            .await,
        json!(true),
        "no refusal of the window"
    );
    assert_eq!(
        text(
            &mut page,
            &format!("document.querySelector('{RESULT} [data-field=bt-differing-title]')")
        )
        .await,
        "Không có cảnh báo nào khác nhau giữa hai bộ luật."
    );
    assert_eq!(
        text(
            &mut page,
            &format!(
                "document.querySelector('{RESULT} tr[data-rule=tthc_line] [data-field=arrow]')"
            )
        )
        .await,
        "3 → 3"
    );

    // 5. The line moved to 85 (red and recover).
    page.eval(&format!(
        "(() => {{ const t = document.querySelector('{PANEL} textarea'); t.value = t.value.replace('< 90', '< 85').replace('>= 90', '>= 85'); return 0; }})()"
    ))
    .await;
    run(&mut page).await;
    ran(&mut page, "the run of the moved line").await;
    page.wait_for(
        &format!("document.querySelector('{RESULT}')?.dataset.differingTotal === '2'"),
        "the moved line's result",
    )
    .await;
    // The chart, drawn, as wide as the panel allows.
    assert_eq!(
        page.eval(&format!("(() => {{ const i = document.querySelector('{RESULT} [data-field=bt-chart] img'); return i.complete && i.naturalWidth > 0 && i.checkVisibility(); }})()")).await,
        json!(true),
        "the chart is shown"
    );
    // The two sides (the built-in rules fire on both): two fires fewer, both red.
    for row in ["fires", "red"] {
        let cells = page
            .eval(&format!("[...document.querySelectorAll('{RESULT} [data-field=bt-sides] tr[data-row={row}] td')].map(td => td.textContent)"))
            .await;
        let n = |i: usize| cells[i].as_str().unwrap().parse::<i64>().unwrap();
        assert_eq!(n(0) - n(1), 2, "{row}: {cells}");
        assert_eq!(cells[2], json!("−2"), "{row}: {cells}");
    }
    assert_eq!(
        text(
            &mut page,
            &format!(
                "document.querySelector('{RESULT} tr[data-rule=tthc_line] [data-field=arrow]')"
            )
        )
        .await,
        "3 → 1"
    );
    assert_eq!(
        text(
            &mut page,
            &format!("document.querySelector('{RESULT} [data-field=bt-differing-title]')")
        )
        .await,
        "Cảnh báo khác nhau giữa hai bộ luật (2)"
    );
    let differing = page
        .eval(&format!(
            "[...document.querySelectorAll('{RESULT} [data-field=bt-differing] > li')].map(li => [\
             li.querySelector('[data-field=at]').textContent, li.querySelector('[data-field=only-in]').textContent, \
             li.querySelector('[data-field=value]')?.textContent, li.querySelector('[data-field=summary]').textContent])"
        ))
        .await;
    assert_eq!(
        differing,
        json!([
            [
                "09:00 ngày 04/11/2026",
                "Chỉ luật đang chạy",
                "87 · ngưỡng 90",
                "TTHC của Phường Ba Đình là 87"
            ],
            [
                "09:00 ngày 06/11/2026",
                "Chỉ luật đang chạy",
                "88 · ngưỡng 90",
                "TTHC của Phường Ba Đình là 88"
            ]
        ]),
        "the two alerts only the running line raised"
    );
    assert_eq!(
        page.eval(&format!(
            "!!document.querySelector('{RESULT} [data-field=bt-more]')"
        ))
        .await,
        json!(false),
        "two alerts: no 'và N cảnh báo khác'"
    );
    // A leader is shown how a change is adopted, the file to hand over, no reload.
    let adopt = text(
        &mut page,
        &format!("document.querySelector('{PANEL} [data-field=bt-adopt]')"),
    )
    .await;
    assert!(
        adopt.contains("Nạp lại luật")
            && adopt.contains("nhật ký kiểm toán")
            && adopt.contains("Tải tệp luật"),
        "{adopt}"
    );
    assert_eq!(
        page.eval(&format!(
            "document.querySelector('{PANEL} [data-action=reload]').checkVisibility()"
        ))
        .await,
        json!(false),
        "a leader does not reload the server's rules"
    );
    at_every_size(&mut page, "the result", "backtest-result", PANEL).await;

    // 6. A broken threshold: the server's refusal under the text box, the result unchanged.
    page.eval(&format!(
        "(() => {{ const t = document.querySelector('{PANEL} textarea'); t.value = t.value.replace('< 85', '< abc'); return 0; }})()"
    ))
    .await;
    run(&mut page).await;
    ran(&mut page, "the refused rule").await;
    page.wait_for(
        &format!("!document.querySelector('{RULES_ERROR}').hidden"),
        "the refusal under the text box",
    )
    .await;
    let refusal = text(
        &mut page,
        &format!("document.querySelector('{RULES_ERROR}')"),
    )
    .await;
    assert!(
        refusal.contains("không hợp lệ")
            && refusal.contains("Bộ luật thử nghiệm không hợp lệ")
            && refusal.contains("Dòng 5, cột 7 · red:")
            && refusal.contains("'abc' không phải là số"),
        "the refusal of the rule: {refusal}"
    );
    assert_eq!(
        page.eval(&format!("[document.querySelector('{FROM_ERROR}').hidden, document.querySelector('{PANEL} [data-error-for=to]').hidden, document.querySelector('{RESULT}').dataset.differingTotal, document.querySelector('{RESULT} tr[data-rule=tthc_line] [data-field=arrow]').textContent]")).await,
        json!([true, true, "2", "3 → 1"]),
        "nothing else changes"
    );
    no_english(&mut page, "the refused rule").await;
    page.eval(&format!(
        "document.querySelector('{PANEL} textarea').scrollIntoView({{block: 'start'}})"
    ))
    .await;
    page.screenshot("backtest-refused-1920").await;
    screen(&mut page, 390, 844).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    fits(&mut page, 390, "the refused rule at 390x844").await;
    page.eval(&format!(
        "document.querySelector('{RULES_ERROR}').scrollIntoView({{block: 'center'}})"
    ))
    .await;
    page.screenshot("backtest-refused-390").await;
    screen(&mut page, 1920, 1080).await;

    // 7. A rule's block from a definition (a server that sends them) is the running rule:
    // nothing differs.
    let same = page
        .eval(
            "(async () => { const m = await import('/js/backtest.js'); const { api } = await import('/js/api.js'); \
             const text = m.ruleToml({ name: 'tthc_line', metric: 'kpi.value', kpi: 'TTHC', red: '< 90', recover: '>= 90', \
               summary_vi: 'TTHC của {unit_name} là {value}', summary_en: 'TTHC of {unit_name} is {value}' }); \
             const r = await api('/rules/backtest', { method: 'POST', body: { from: '2026-11-03T00:00:00+07:00', \
               to: '2026-11-11T09:00:00+07:00', unit: 'hn', rules: [{ name: 'x.toml', text }] } }); \
             return [r.report.differing_total, r.report.rules.find(l => l.rule === 'tthc_line').candidate]; })()",
        )
        .await;
    assert_eq!(same, json!([0, 3]), "ruleToml gives the running rule");
    assert!(
        page.unexpected_console_errors(&[422]).is_empty(),
        "{:?}",
        page.console_errors
    );

    // 8. An administrator of the whole tree reloads the rules from the panel (audited).
    let admin = app.account("bt-admin", None, &[("admin", "*")]).await;
    page.set_session_cookie(&app.base, &admin).await;
    rules_tab(&mut page, &app).await;
    page.eval("document.querySelector('#rules-list li[data-rule=tthc_line] button[data-action=try]').click()")
        .await;
    page.wait_for(
        &format!(
            "document.querySelector('{PANEL} [data-action=reload]')?.checkVisibility() === true"
        ),
        "the reload button for an administrator",
    )
    .await;
    page.eval(&format!(
        "document.querySelector('{PANEL} [data-action=reload]').click()"
    ))
    .await;
    page.wait_for(
        &format!("!document.querySelector('{PANEL} [data-field=bt-reload-result]').hidden"),
        "the reload's answer",
    )
    .await;
    let reloaded = text(
        &mut page,
        &format!("document.querySelector('{PANEL} [data-field=bt-reload-result]')"),
    )
    .await;
    assert!(reloaded.starts_with("Đã nạp lại"), "{reloaded}");
    no_english(&mut page, "the administrator's panel").await;

    // 9. A viewer reads the rules, without "Thử thay đổi".
    let viewer = app.account("bt-viewer", None, &[("viewer", "hn")]).await;
    page.set_session_cookie(&app.base, &viewer).await;
    rules_tab(&mut page, &app).await;
    assert_eq!(
        page.eval("document.querySelectorAll('#rules-list button[data-action=try]').length")
            .await,
        json!(0),
        "a viewer has no Thử thay đổi"
    );
    no_english(&mut page, "the viewer's rules").await;
    assert!(
        page.unexpected_console_errors(&[422]).is_empty(),
        "{:?}",
        page.console_errors
    );
}

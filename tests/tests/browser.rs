//! The web page in a real browser (headless Chromium over DevTools) against the real server:
//! it renders the city from the live WebSocket, follows an ingested change without a reload,
//! logs no errors, and shows its banner when the server goes away.

use ioc_tests::browser::Browser;
use ioc_tests::{spawn_app, task_event, START};
use serde_json::json;

/// The text of a cell of the row for a child unit in the page's table.
fn cell(unit_name: &str, column: usize) -> String {
    format!(
        "(() => {{ const r = [...document.querySelectorAll('#rows tr')].find(r => r.textContent.includes('{unit_name}')); return r ? r.children[{column}].textContent : null; }})()"
    )
}

#[tokio::test]
async fn the_live_page_follows_an_ingest_and_shows_when_the_server_is_gone() {
    let Some(browser) =
        Browser::launch("the_live_page_follows_an_ingest_and_shows_when_the_server_is_gone")
    else {
        return;
    };
    let app = spawn_app().await;
    app.load_fixture().await;
    let mut page = browser.page().await;
    page.navigate(&app.url("/?unit=hn")).await;
    page.wait_for(
        "document.getElementById('title').textContent === 'Thành phố Hà Nội' && document.querySelectorAll('#rows tr').length === 3",
        "the city with its three children",
    )
    .await;
    assert_eq!(page.eval(&cell("Hoàn Kiếm", 2)).await, json!("0"));

    // An event for a division of ward p-1 shows in the ward's row, with no reload.
    app.ingest(json!([task_event("e1", "t1", "w2", "2026-11-20", START)]))
        .await;
    page.wait_for(
        &format!("{} === '1'", cell("Hoàn Kiếm", 2)),
        "the ward's open task",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('banner').hidden").await,
        json!(true)
    );
    let shot = page.screenshot("live-city-page").await;
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a real image"
    );
    assert!(
        page.console_errors.is_empty(),
        "console errors: {:?}",
        page.console_errors
    );

    // The server goes away: the banner says so.
    app.stop().await;
    page.wait_for(
        "document.getElementById('banner').hidden === false",
        "the connection banner",
    )
    .await;
    page.screenshot("live-city-page-disconnected").await;
}

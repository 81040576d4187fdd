//! How fast the city board opens and how much work it does under a live stream, in a real
//! headless Chromium against the real `ioc` binary with the full demo city (678 units, 100,000
//! tasks) and its simulator: `cargo bench -p ioc-tests --bench city_board`.
//!
//! Opening: from navigation start to the first render of live data (the page's own
//! `window.__ioc.firstRenderMs`, a `performance.now()` reading), five loads in a row.
//! Under the stream: for each simulator rate, 30 s of frames: how many patches the page applied,
//! how long each took to apply and paint its DOM changes (`__ioc.patchMs`), how many long tasks
//! (> 50 ms, the browser's own PerformanceObserver) the main thread had, and the renderer's
//! script, layout and style time per second (DevTools `Performance.getMetrics`).
//! Prints figures; asserts nothing about speed (CI machines are shared).
//!
//! The server is started with `IOC_ADMIN_PASSWORD` (the harness sets it to
//! `ioc_tests::ADMIN_PASSWORD`); the bench signs in as `admin` over REST and hands the session
//! to the browser as its cookie, so the pages open signed in, as a reader's would.

use ioc_tests::browser::Browser;
use serde_json::{json, Value};
use std::time::Duration;

const RATES: &[u32] = &[50, 500];
const SECONDS: u64 = 30;
const LOADS: usize = 5;

fn start_demo(rate: u32, dir: &std::path::Path) -> (std::process::Child, String) {
    ioc_tests::start_server_process(
        env!("CARGO_BIN_EXE_ioc-e2e"),
        &format!("sqlite://{}/ioc.db", dir.display()),
        &["--demo", "--simulate-rate", &rate.to_string()],
        Duration::from_secs(180),
    )
}

/// Signs in as `admin` (POST /api/v1/session) and returns the session token.
async fn sign_in(base: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"login": "admin", "password": ioc_tests::ADMIN_PASSWORD}))
        .send()
        .await
        .expect("POST /api/v1/session");
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "sign-in as admin: {status} {body}");
    body["token"]
        .as_str()
        .expect("the session token in the sign-in answer")
        .to_string()
}

fn metric(metrics: &Value, name: &str) -> f64 {
    metrics["metrics"]
        .as_array()
        .and_then(|m| m.iter().find(|x| x["name"] == name))
        .and_then(|x| x["value"].as_f64())
        .unwrap_or(0.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(browser) = Browser::launch("city_board bench") else {
        return;
    };
    println!("city board in headless Chromium, full demo city, {SECONDS} s per rate");
    println!(
        "{:>9} | {:>22} | {:>8} | {:>24} | {:>9} | {:>29}",
        "events/s",
        "open ms (min/median/max)",
        "patches",
        "patch ms p50 / p99 / max",
        "long tasks",
        "script / layout / style ms/s"
    );
    for &rate in RATES {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut server, base) = start_demo(rate, dir.path());
        let token = sign_in(&base).await;
        let mut page = browser.page().await;
        page.set_session_cookie(&base, &token).await;
        page.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": "window.__bench = {longTasks: 0, longTaskMs: 0}; new PerformanceObserver(l => { for (const e of l.getEntries()) { window.__bench.longTasks++; window.__bench.longTaskMs += e.duration; } }).observe({type: 'longtask', buffered: true});"}),
        )
        .await;
        page.call("Performance.enable", json!({})).await;
        let mut opens = Vec::new();
        for i in 0..LOADS {
            page.navigate(&format!("{base}/?load={i}")).await;
            page.wait_for(
                "window.__ioc && window.__ioc.firstRenderMs > 0",
                "the city board's first live render",
            )
            .await;
            opens.push(
                page.eval("window.__ioc.firstRenderMs")
                    .await
                    .as_f64()
                    .unwrap(),
            );
        }
        let tiles = page
            .eval("document.querySelectorAll('[data-unit]').length")
            .await;
        // Steady state: count from here.
        page.eval("window.__ioc.patchMs = []; window.__ioc.patches = 0; window.__ioc.fullRenders = 0; window.__bench.longTasks = 0; window.__bench.longTaskMs = 0; 0")
            .await;
        let before = page.call("Performance.getMetrics", json!({})).await;
        tokio::time::sleep(Duration::from_secs(SECONDS)).await;
        let after = page.call("Performance.getMetrics", json!({})).await;
        let state = page
            .eval("({patches: window.__ioc.patches, full: window.__ioc.fullRenders, ms: window.__ioc.patchMs, lt: window.__bench.longTasks, ltms: window.__bench.longTaskMs})")
            .await;
        let mut ms: Vec<f64> = state["ms"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        ms.sort_by(f64::total_cmp);
        let per_s =
            |name: &str| (metric(&after, name) - metric(&before, name)) * 1000.0 / SECONDS as f64;
        let mut sorted = opens.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "{:>9} | {:>6.0} / {:>6.0} / {:>6.0} | {:>8} | {:>6.2} / {:>6.2} / {:>6.2} | {:>4} ({:>4.0} ms) | {:>7.1} / {:>7.1} / {:>7.1}",
            rate,
            sorted[0],
            sorted[sorted.len() / 2],
            sorted[sorted.len() - 1],
            state["patches"],
            percentile(&ms, 0.5),
            percentile(&ms, 0.99),
            ms.last().copied().unwrap_or(f64::NAN),
            state["lt"],
            state["ltms"].as_f64().unwrap_or(0.0),
            per_s("ScriptDuration"),
            per_s("LayoutDuration"),
            per_s("RecalcStyleDuration"),
        );
        println!(
            "          ({tiles} tiles; full re-renders after the first: {}; console errors: {})",
            state["full"],
            page.console_errors.len()
        );
        // The other screens: from navigation start to their first render of server data.
        let mut others = Vec::new();
        for (name, path) in [
            ("unit board (ward)", "/unit.html?id=hn.p-vinhtuy"),
            ("unit board (department)", "/unit.html?id=hn.so-xd"),
            ("alert center (city)", "/alerts.html?unit=hn"),
            ("wall (city)", "/wall.html?boards=hn"),
            ("review (city)", "/review.html?unit=hn"),
        ] {
            page.navigate(&format!("{base}{path}")).await;
            page.wait_for("window.__ioc && window.__ioc.firstRenderMs > 0", name)
                .await;
            let ms = page
                .eval("window.__ioc.firstRenderMs")
                .await
                .as_f64()
                .unwrap();
            others.push(format!("{name} {ms:.0} ms"));
        }
        println!("          first render: {}", others.join(", "));
        // Leave the page before its server goes, so its reconnect attempts do not run on into
        // the next rate's figures.
        page.navigate("about:blank").await;
        for e in &page.console_errors {
            println!(
                "          console error: {}",
                e.chars().take(300).collect::<String>()
            );
        }
        let _ = server.kill();
        let _ = server.wait();
    }
}

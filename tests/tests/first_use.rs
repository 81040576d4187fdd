//! Issue 14, "First use": what a newcomer meets in the first ten minutes. The first start says
//! what is happening and where to go, in a block that stands out; the one-shot commands say
//! what they did in words; a unit's view adds up.

use ioc_tests::{first_in_output, spawn_app, task_event, START};
use serde_json::{json, Value};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ioc-e2e");

/// Runs `ioc serve --demo --demo-size small` on `url` until its welcome block is out; returns
/// (standard output up to the block's end, the base URL, the child).
fn first_screen(url: &str) -> (String, String, std::process::Child) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--demo",
            "--demo-size",
            "small",
            "--simulate-rate",
            "0",
        ])
        .env("IOC_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", url)
        .env_remove("IOC_ADMIN_PASSWORD")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ioc");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    // Standard output up to the block's last line, collected in order.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader};
        let mut seen = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("Ctrl-C") {
                let _ = tx.send(seen.clone());
            }
        }
    });
    let logs = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let kept = logs.clone();
    std::thread::spawn(move || {
        let mut all = String::new();
        let mut err = stderr;
        let _ = err.read_to_string(&mut all);
        *kept.lock().unwrap() = all;
    });
    let out = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the welcome block within two minutes");
    let base = out
        .lines()
        .find_map(|l| l.split("open  ").nth(1))
        .expect("the address to open")
        .trim()
        .to_string();
    (out, base, child)
}

#[tokio::test]
async fn the_first_start_says_what_is_happening_and_where_to_go() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let (out, base, mut child) = first_screen(&url);
    assert!(
        out.starts_with("Đang tạo dữ liệu demo"),
        "seeding is said first: {out}"
    );
    assert!(out.contains("Dữ liệu demo đã sẵn sàng"), "{out}");
    assert!(base.starts_with("http://127.0.0.1:"), "{out}");
    assert!(
        out.contains("mật khẩu một lần / one-time password:"),
        "{out}"
    );
    for login in [
        "city-leader",
        "dept-leader",
        "ward-leader",
        "ward-data",
        "ward-official",
    ] {
        assert!(out.contains(login), "{login} listed: {out}");
    }
    assert!(out.contains("demo-password-2026"), "{out}");
    for dump in ["Settings {", "SeedReport", "ImportReport", "SecretUrl("] {
        assert!(
            !out.contains(dump),
            "no debug dump on the first screen: {out}"
        );
    }
    // The sign-in page reads the demo accounts from the dashboard settings.
    let dash: Value = reqwest::get(format!("{base}/api/v1/dashboard"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dash["demo"]["password"], "demo-password-2026", "{dash}");
    let accounts = dash["demo"]["accounts"].as_array().expect("demo accounts");
    let leader = accounts
        .iter()
        .find(|a| a["login"] == "ward-leader")
        .expect("ward-leader");
    assert_eq!(leader["role"], "leader");
    assert!(
        leader["unit_name"].as_str().unwrap().starts_with("Phường"),
        "{leader}"
    );
    let token = ioc_tests::sign_in(&base, "city-leader", "demo-password-2026")
        .await
        .expect("a listed account signs in with the listed password");
    let me: Value = ioc_tests::bearer_client(&token)
        .get(format!("{base}/api/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["account"]["name"], "Lãnh đạo Thành phố Hà Nội", "{me}");
    let _ = child.kill();
    let _ = child.wait();

    // A restart seeds nothing and shows no password again, but still says where to go.
    let (out, _, mut child) = first_screen(&url);
    assert!(!out.contains("Đang tạo dữ liệu demo"), "{out}");
    assert!(!out.contains("one-time password"), "shown once only: {out}");
    assert!(out.contains("ward-leader"), "{out}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_log_says_one_summary_line_and_keeps_the_settings_for_debugging() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let mut child = Command::new(BIN)
        .args(["serve", "--clock", "manual"])
        .env("IOC_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", &url)
        .env("IOC_ADMIN_PASSWORD", ioc_tests::ADMIN_PASSWORD)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ioc");
    let stderr = child.stderr.take().unwrap();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let kept = lines.clone();
    let rx = first_in_output(stderr, move |line| {
        kept.lock().unwrap().push(line.to_string());
        line.contains("listening on").then_some(())
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the server starts");
    let _ = child.kill();
    let _ = child.wait();
    let lines = lines.lock().unwrap();
    let text = lines.join("\n");
    assert!(
        !text.contains("Settings {"),
        "settings only at DEBUG: {text}"
    );
    let summary: Vec<&String> = lines.iter().filter(|l| l.contains("starting:")).collect();
    assert_eq!(summary.len(), 1, "{text}");
    for part in [
        "database sqlite://",
        "clock manual",
        "rules built-in pack",
        "demo off",
    ] {
        assert!(summary[0].contains(part), "{part}: {}", summary[0]);
    }
}

#[test]
fn ioc_import_says_what_it_did_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let catalog = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/catalog.json");
    let run = || {
        Command::new(BIN)
            .args(["import", "--no-progress", catalog])
            .env("DATABASE_URL", &url)
            .env_remove("RUST_LOG")
            .output()
            .expect("ioc import runs")
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("imported 1 file: 5 units, 5 people, "),
        "{stdout}"
    );
    assert!(
        !stdout.contains("ImportReport") && !stdout.contains('{'),
        "{stdout}"
    );
    assert!(!stderr.contains("INFO"), "no server log lines: {stderr}");
    // Again: the events are there already, and it says so.
    let again = run();
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success());
    assert!(stdout.contains("already present, unchanged"), "{stdout}");
}

#[tokio::test]
async fn a_unit_view_has_a_line_for_its_own_work_and_its_lines_add_up() {
    let app = spawn_app().await;
    app.load_fixture().await;
    // Work held at the ward itself (w1 belongs to p-1) and at its division (w2, p-1.vh).
    app.ingest(json!([
        task_event("e1", "t1", "w1", "2026-12-01", START),
        task_event("e2", "t2", "w1", "2026-11-01", START),
        task_event("e3", "t3", "w2", "2026-12-01", START),
    ]))
    .await;
    let view = app.get_ok("/api/v1/units/p-1/view").await;
    let own = &view["own"];
    assert_eq!(own["unit"]["id"], "p-1", "{view}");
    assert_eq!(own["tasks_open"], 2, "{own}");
    assert_eq!(own["overdue"], 1, "{own}");
    for (field, summary) in [
        ("tasks_open", "open"),
        ("overdue", "overdue"),
        ("tasks_total", "total"),
    ] {
        let children: i64 = view["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[field].as_i64().unwrap())
            .sum();
        assert_eq!(
            children + own[field].as_i64().unwrap(),
            view["summary"]["tasks"][summary].as_i64().unwrap(),
            "{field}: {view}"
        );
    }
    assert_eq!(own["people"], 1, "w1 is the ward's own official");
    // A unit with no children has no separate line: its summary is its own.
    let leaf = app.get_ok("/api/v1/units/p-1.vh/view").await;
    assert_eq!(leaf["own"], Value::Null, "{leaf}");
}

#[tokio::test]
async fn a_short_name_travels_to_the_tiles_and_is_kept_short() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let unit = json!({"id": "so-a", "name": "Sở Tài chính", "level": "department", "parent": "hn", "short_name": "STC"});
    let (status, body) = app
        .send(reqwest::Method::PUT, "/api/v1/units/so-a", &unit)
        .await;
    assert_eq!(status, 200, "{body}");
    let city = app.get_ok("/api/v1/units/hn/view").await;
    let line = city["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unit"]["id"] == "so-a")
        .unwrap()
        .clone();
    assert_eq!(line["unit"]["short_name"], "STC", "{line}");
    assert_eq!(app.get_ok("/api/v1/units/so-a").await["short_name"], "STC");
    let long = json!({"id": "so-a", "name": "Sở Tài chính", "level": "department", "parent": "hn", "short_name": "x".repeat(41)});
    let (status, body) = app
        .send(reqwest::Method::PUT, "/api/v1/units/so-a", &long)
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "short_name");
    let app = app.restart().await;
    assert_eq!(
        app.get_ok("/api/v1/units/so-a").await["short_name"],
        "STC",
        "kept across a restart"
    );
}

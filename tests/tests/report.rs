//! Weekly, monthly and quarterly reviews and their exports end to end: the demo city's review
//! checked against independent counts of the live API, the XLSX read back with calamine, the
//! CSV parsed, the printable page checked for its figures and its CSP cleanliness, and the real
//! `ioc report` binary run against a database a test filled.

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use chrono::DateTime;
use ioc::clock::ClockMode;
use ioc_tests::{spawn_app, spawn_app_on, task_event, TestApp, START};
use serde_json::{json, Value};

/// Friday of 2026-W47.
const NOW: &str = "2026-11-20T10:00:00+07:00";

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

/// The small demo city seeded into a fresh database, served with the clock at `NOW`.
async fn demo_city() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let (node, tasks) = ioc::open(&url, ClockMode::Manual, ioc_tests::test_limits())
        .await
        .expect("node opens");
    ioc::demo::seed(
        &node.writer,
        &node.rollup,
        &ioc::demo::DemoSize::small(),
        ms(NOW),
        7,
    )
    .await
    .expect("the demo city");
    ioc::close(node, tasks).await;
    let app = spawn_app_on(&url).await;
    app.set_clock(NOW).await;
    (app, dir)
}

async fn get_bytes(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = app.client.get(app.url(path)).send().await.expect("GET");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.expect("a body").to_vec())
}

/// Fields of a CSV body (RFC 4180 quoting), after its byte-order mark.
fn parse_csv(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

/// The row whose first field is `label`.
fn row_of<'a>(rows: &'a [Vec<String>], label: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == label)
        .unwrap_or_else(|| panic!("no row '{label}' in {rows:?}"))
}

fn vi_number(x: f64) -> String {
    // Whole numbers and one-decimal scores: the decimal comma is the only difference.
    format!("{x}").replace('.', ",")
}

#[tokio::test]
async fn monthly_and_quarterly_reviews_of_the_demo_city_agree_with_the_live_figures() {
    let (app, _dir) = demo_city().await;
    let overdue_total = |unit: String| {
        let app = &app;
        async move {
            app.get_ok(&format!("/api/v1/units/{unit}/tasks?due=overdue&limit=1"))
                .await["total"]
                .clone()
        }
    };
    for (period, previous, days) in [
        ("2026-11", "2026-10", 31 + 20),
        ("2026-Q4", "2026-Q3", 92 + 31 + 20),
    ] {
        let r = app
            .get_ok(&format!("/api/v1/units/hn/review?period={period}"))
            .await;
        assert_eq!(r["period"], period);
        assert_eq!(r["previous_period"], previous);
        assert_eq!(
            r["kind"],
            if period.contains('Q') {
                "quarter"
            } else {
                "month"
            }
        );
        assert_eq!(r["this_period"]["to"], "2026-11-20T10:00:00.000+07:00");
        assert_eq!(r["this_period"], r["this_week"], "the weekly fields stay");
        // The evaluation section is the month holding the period's last day (here the clock's),
        // and agrees with the evaluation API's own count of the subtree.
        let e = &r["evaluation"];
        assert_eq!(e["period"], "2026-11", "{e}");
        let direct = app
            .get_ok("/api/v1/evaluations/units/hn?period=2026-11")
            .await;
        assert_eq!(
            e["people"],
            direct["people"].as_array().unwrap().len(),
            "{e}"
        );
        for class in [
            "excellent",
            "good",
            "complete",
            "not_complete",
            "not_evaluated",
        ] {
            assert_eq!(e[class], direct["quota"]["counts"][class], "{class}: {e}");
        }
        assert_eq!(e["excellent_cap"], direct["quota"]["cap"], "{e}");
        let evaluated: Vec<f64> = direct["people"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["total"].as_f64())
            .collect();
        assert_eq!(e["evaluated"], evaluated.len(), "{e}");
        assert!(
            !evaluated.is_empty(),
            "the demo city's officials have tasks due: {e}"
        );
        let lowest = evaluated.iter().cloned().fold(f64::INFINITY, f64::min);
        assert_eq!(e["lowest"][0]["total"].as_f64(), Some(lowest), "{e}");
        assert_eq!(
            r["overdue_trend"].as_array().unwrap().len(),
            days,
            "{period}: one point a day over both periods"
        );
        let this = &r["figures"]["this"];
        assert!(
            this["tasks"].as_i64().unwrap() > 100,
            "the demo has work: {this}"
        );
        assert_eq!(
            this["overdue"],
            overdue_total("hn".into()).await,
            "{period}"
        );
        let view = app.get_ok("/api/v1/units/hn/view").await;
        let s = &view["summary"];
        assert_eq!(this["tasks"], s["tasks"]["total"], "{period}");
        assert_eq!(this["open"], s["tasks"]["open"], "{period}");
        assert_eq!(this["overdue"], s["tasks"]["overdue"], "{period}");
        assert_eq!(this["score"], s["score"], "{period}");
        let last_day = r["overdue_trend"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last_day["overdue"], this["overdue"]);
        assert_eq!(last_day["period"], "this");
        // A child unit's line agrees with its own board.
        let child = &r["units"][0];
        let id = child["unit"]["id"].as_str().unwrap().to_string();
        let board = app.get_ok(&format!("/api/v1/units/{id}/view")).await;
        assert_eq!(
            child["overdue"], board["summary"]["tasks"]["overdue"],
            "{id}"
        );
        assert_eq!(child["overdue"], overdue_total(id.clone()).await, "{id}");
        assert_eq!(child["score"], board["summary"]["score"], "{id}");
        assert_eq!(
            r["charts"]["overdue"]["svg"],
            format!("/api/v1/units/hn/review/charts/overdue.svg?period={period}")
        );
    }
    let week = app.get_ok("/api/v1/units/hn/review?period=2026-W47").await;
    assert_eq!(
        (&week["week"], &week["kind"]),
        (&json!("2026-W47"), &json!("week"))
    );
    assert_eq!(week["overdue_trend"].as_array().unwrap().len(), 12);
    assert_eq!(
        week,
        app.get_ok("/api/v1/units/hn/review?week=2026-W47").await
    );
}

#[tokio::test]
async fn the_exports_of_the_demo_city_hold_the_reviews_numbers() {
    let (app, _dir) = demo_city().await;
    let r = app.get_ok("/api/v1/units/hn/review?period=2026-11").await;
    let (this, last) = (&r["figures"]["this"], &r["figures"]["last"]);
    let name = r["unit"]["name"].as_str().unwrap().to_string();
    assert!(name.contains("Hà Nội"), "{name}");

    // XLSX: a sheet per table, the title row, the header row, numbers as numbers.
    let (status, headers, body) = get_bytes(
        &app,
        "/api/v1/units/hn/report?period=2026-11&format=xlsx&lang=en",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"hn_2026-11.xlsx\""
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(body)).expect("an XLSX");
    assert_eq!(
        book.sheet_names(),
        [
            "Summary",
            "KPI changes",
            "Key results",
            "Units",
            "Overdue by day",
            "Evaluation"
        ]
    );
    let summary = book.worksheet_range("Summary").expect("the summary sheet");
    let cell = |range: &calamine::Range<Data>, r: usize, c: usize| range.get((r, c)).cloned();
    let Some(Data::String(title)) = cell(&summary, 0, 0) else {
        panic!("a title row: {:?}", cell(&summary, 0, 0));
    };
    assert!(
        title.contains(&name)
            && title.contains("November 2026")
            && title.contains("2026-11-20 10:00"),
        "{title}"
    );
    assert_eq!(
        cell(&summary, 1, 1),
        Some(Data::String("This period".into()))
    );
    let line = |label: &str| {
        (2..summary.height())
            .find(|&i| cell(&summary, i, 0) == Some(Data::String(label.into())))
            .unwrap_or_else(|| panic!("no row {label}"))
    };
    let num = |v: &Value| Some(Data::Float(v.as_f64().unwrap()));
    for (label, key) in [
        ("Tasks", "tasks"),
        ("Open tasks", "open"),
        ("Overdue tasks", "overdue"),
        ("Overdue share", "overdue_ratio"),
    ] {
        let i = line(label);
        assert_eq!(cell(&summary, i, 1), num(&this[key]), "{label}");
        assert_eq!(cell(&summary, i, 2), num(&last[key]), "{label}");
    }
    assert_eq!(
        cell(&summary, line("Score"), 1),
        num(&this["score"]["value"])
    );
    let e = &r["evaluation"];
    for (label, key) in [
        ("People", "people"),
        ("Evaluated", "evaluated"),
        ("Good", "good"),
        ("Excellent cap", "excellent_cap"),
    ] {
        assert_eq!(cell(&summary, line(label), 1), num(&e[key]), "{label}");
    }
    let units = book.worksheet_range("Units").expect("the units sheet");
    let lines = r["units"].as_array().unwrap();
    assert_eq!(units.height(), 2 + lines.len());
    for (i, u) in lines.iter().enumerate() {
        assert_eq!(
            cell(&units, 2 + i, 1),
            Some(Data::String(u["unit"]["id"].as_str().unwrap().into()))
        );
        assert_eq!(cell(&units, 2 + i, 6), num(&u["overdue"]));
    }

    // CSV: one table, BOM, the header in the chosen language, the same numbers.
    let (status, headers, body) = get_bytes(
        &app,
        "/api/v1/units/hn/report?period=2026-11&format=csv&table=units",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"hn_2026-11_units.csv\""
    );
    let rows = parse_csv(&body);
    assert_eq!(rows[0][..3], ["Hạng", "Mã đơn vị", "Đơn vị"]);
    assert_eq!(rows.len(), 1 + lines.len());
    for (row, u) in rows[1..].iter().zip(lines) {
        assert_eq!(row[1], u["unit"]["id"].as_str().unwrap());
        assert_eq!(
            row[2],
            u["unit"]["name"].as_str().unwrap(),
            "diacritics intact"
        );
        assert_eq!(
            row[6].parse::<i64>().unwrap(),
            u["overdue"].as_i64().unwrap()
        );
        let score = u["score"]["value"]
            .as_f64()
            .map(|v| v.to_string())
            .unwrap_or_default();
        assert_eq!(row[3], score);
    }
    let (_, _, body) = get_bytes(&app, "/api/v1/units/hn/report?period=2026-11&format=csv").await;
    let rows = parse_csv(&body);
    assert_eq!(rows[0], ["Nội dung", "Kỳ này", "Kỳ trước", "Thay đổi"]);
    let overdue = row_of(&rows, "Nhiệm vụ quá hạn");
    assert_eq!(overdue[1], this["overdue"].to_string());
    assert_eq!(overdue[2], last["overdue"].to_string());
    assert_eq!(
        overdue[3],
        (this["overdue"].as_i64().unwrap() - last["overdue"].as_i64().unwrap()).to_string()
    );
    let (_, _, body) = get_bytes(
        &app,
        "/api/v1/units/hn/report?period=2026-11&format=csv&table=overdue&lang=en",
    )
    .await;
    let rows = parse_csv(&body);
    assert_eq!(rows[0], ["Day", "Period", "Open", "Overdue"]);
    assert_eq!(rows.len() - 1, r["overdue_trend"].as_array().unwrap().len());
    let (_, _, body) = get_bytes(
        &app,
        "/api/v1/units/hn/report?period=2026-11&format=csv&table=evaluation",
    )
    .await;
    let rows = parse_csv(&body);
    let lowest = r["evaluation"]["lowest"].as_array().unwrap();
    assert_eq!(rows.len(), 1 + lowest.len(), "the lowest totals: {rows:?}");
    assert_eq!(rows[1][0], lowest[0]["person"].as_str().unwrap());

    // The page: Vietnamese, the unit's name, its figures, inline SVG, nothing the CSP refuses.
    let (status, headers, body) = get_bytes(&app, "/api/v1/units/hn/report?period=2026-11").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("style-src 'self'"));
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("<html lang=\"vi\">"));
    assert!(
        page.contains(&format!("<h1>{name}</h1>")),
        "the unit's name with diacritics"
    );
    assert!(page.contains("Tháng 11/2026") && page.contains("Tháng 10/2026"));
    assert!(page.contains("<link rel=\"stylesheet\" href=\"/css/report.css\">"));
    assert_eq!(page.matches("<svg").count(), 4, "the four charts inline");
    assert!(page.contains("Tháng trước"), "the charts speak of months");
    assert!(!page.contains("style="), "no style attribute");
    assert!(!page.contains("<style"), "no style element");
    assert!(!page.contains("<script"), "no script");
    // The evaluation section names the lowest total's official with their diacritics.
    let lowest = r["evaluation"]["lowest"][0]["name"].as_str().unwrap();
    assert!(page.contains(lowest), "{lowest} in the evaluation section");
    assert!(page.contains("Hoàn thành tốt nhiệm vụ"));
    for (label, v) in [
        ("Nhiệm vụ", &this["tasks"]),
        ("Nhiệm vụ quá hạn", &this["overdue"]),
        ("Điểm tổng hợp", &this["score"]["value"]),
    ] {
        let shown = format!(
            "<td>{label}</td><td class=\"num\">{}</td>",
            vi_number(v.as_f64().unwrap())
        );
        assert!(page.contains(&shown), "{shown}");
    }
    let css = app
        .client
        .get(app.url("/css/report.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.text().await.unwrap().contains("size: A4"));
    let en = app
        .client
        .get(app.url("/api/v1/units/hn/report?period=2026-Q4&lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        en.contains("<html lang=\"en\">") && en.contains("Q4 2026") && en.contains("Last quarter")
    );

    // Charts of a quarter.
    let (status, headers, png) = get_bytes(
        &app,
        "/api/v1/units/hn/review/charts/overdue.png?period=2026-Q4",
    )
    .await;
    assert_eq!(
        (status, &headers["content-type"]),
        (200, &"image/png".parse().unwrap())
    );
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[tokio::test]
async fn bad_parameters_are_refused_by_name_and_other_wards_are_out_of_scope() {
    let (app, _dir) = demo_city().await;
    for (path, field) in [
        ("/api/v1/units/hn/report?period=2026-13", "period"),
        ("/api/v1/units/hn/review?period=2026-13", "period"),
        ("/api/v1/units/hn/review?period=2026-12", "period"),
        (
            "/api/v1/units/hn/review/charts/kpis.svg?period=2026-Q5",
            "period",
        ),
        ("/api/v1/units/hn/report?format=pdf", "format"),
        ("/api/v1/units/hn/report?format=csv&table=x", "table"),
        ("/api/v1/units/hn/report?lang=fr", "lang"),
        ("/api/v1/units/hn/review?week=2026-W48", "week"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["field"], field, "{path}: {body}");
    }
    // A misspelt parameter is refused by name, not ignored for the default period; a review
    // of 1900 has no period before it.
    for (path, word) in [
        ("/api/v1/units/hn/report?perod=2026-11", "perod"),
        ("/api/v1/units/hn/review?period=1900-01", "1900-01"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(word),
            "{path}: {body}"
        );
    }
    let (status, _) = app.get("/api/v1/units/nowhere/report").await;
    assert_eq!(status, 404);

    let r = app.get_ok("/api/v1/units/hn/review").await;
    let wards: Vec<String> = r["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["unit"]["level"] == "ward")
        .map(|u| u["unit"]["id"].as_str().unwrap().to_string())
        .collect();
    assert!(wards.len() >= 2, "{wards:?}");
    let viewer = app
        .account("ward-viewer", None, &[("viewer", &wards[0])])
        .await;
    for (ward, expected) in [(&wards[0], 200), (&wards[1], 403)] {
        for format in ["html", "csv", "xlsx"] {
            let res = reqwest::Client::new()
                .get(app.url(&format!("/api/v1/units/{ward}/report?format={format}")))
                .bearer_auth(&viewer)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), expected, "{ward} {format}");
        }
    }
}

/// A small city with a few tasks, the clock at `NOW`; returns the database's folder (the
/// server stopped) and the monthly review the server gave.
async fn filled_database() -> (tempfile::TempDir, String, Value) {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([
        task_event("e-t1", "t1", "w2", "2026-11-10", START),
        task_event("e-t2", "t2", "w3", "2026-12-12", START),
        task_event("e-t3", "t3", "a2", "2026-11-05", START),
    ]))
    .await;
    app.set_clock(NOW).await;
    let review = app.get_ok("/api/v1/units/hn/review?period=2026-11").await;
    assert_eq!(review["figures"]["this"]["overdue"], 2);
    let url = app.database_url.clone();
    let dir = app.stop().await.expect("the database folder");
    (dir, url, review)
}

fn ioc_report(url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ioc-e2e"))
        .arg("report")
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .expect("ioc report runs")
}

#[tokio::test]
async fn ioc_report_writes_the_files_of_a_unit_and_its_subtree() {
    let (dir, url, review) = filled_database().await;
    let out = dir.path().join("reports");
    let out_s = out.to_str().unwrap();
    let run = ioc_report(
        &url,
        &[
            "--unit",
            "hn",
            "--period",
            "2026-11",
            "--format",
            "html,csv,xlsx,png",
            "--subtree",
            "--clock",
            "manual",
            "--out",
            out_s,
        ],
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stdout}\n{stderr}");
    for file in [
        "hn_2026-11.html",
        "hn_2026-11.xlsx",
        "hn_2026-11_summary.csv",
        "hn_2026-11_evaluation.csv",
        "hn_2026-11_overdue.png",
        "p-1.vh_2026-11.html",
        "so-a.p1_2026-11_units.csv",
    ] {
        let path = out.join(file);
        assert!(path.is_file(), "{file} written: {stdout}");
        assert!(
            stdout.contains(path.to_str().unwrap()),
            "{file} listed: {stdout}"
        );
    }
    // 6 units: an HTML page, 6 CSV tables, a workbook and 4 charts each, under a line that
    // says so in words (no debug dump, no log lines on standard output).
    assert_eq!(stdout.lines().count(), 1 + 6 * 12, "{stdout}");
    assert_eq!(
        stdout.lines().next(),
        Some("wrote 72 files of the 2026-11 report for 6 units:"),
        "{stdout}"
    );
    assert!(!stderr.contains("INFO"), "no server log lines: {stderr}");
    let page = std::fs::read_to_string(out.join("hn_2026-11.html")).unwrap();
    assert!(page.contains("<h1>Thành phố Hà Nội</h1>"));
    assert!(page.contains("<style>"), "a file carries its styles");
    assert!(page.contains("<td>Nhiệm vụ quá hạn</td><td class=\"num\">2</td>"));
    let rows = parse_csv(&std::fs::read(out.join("hn_2026-11_summary.csv")).unwrap());
    assert_eq!(
        row_of(&rows, "Nhiệm vụ quá hạn")[1],
        review["figures"]["this"]["overdue"].to_string()
    );
    assert_eq!(
        row_of(&rows, "Nhiệm vụ")[1],
        review["figures"]["this"]["tasks"].to_string()
    );
    let png = std::fs::read(out.join("hn_2026-11_overdue.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // Defaults: the clock's month, HTML and XLSX, one unit.
    let run = ioc_report(
        &url,
        &[
            "--unit", "p-1", "--clock", "manual", "--lang", "en", "--out", out_s,
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stdout.starts_with("wrote 2 files of the 2026-11 report for 1 unit:"));
    assert!(stdout.contains("p-1_2026-11.html") && stdout.contains("p-1_2026-11.xlsx"));
}

#[tokio::test]
async fn ioc_report_names_the_flag_or_the_unit_it_refuses() {
    let (_dir, url, _) = filled_database().await;
    let run = ioc_report(&url, &["--unit", "hn", "--period", "2026-13"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--period") && stderr.contains("2026-13"),
        "{stderr}"
    );
    let run = ioc_report(&url, &["--unit", "hn", "--format", "pdf"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--format"), "{stderr}");
    let run = ioc_report(&url, &["--unit", "nowhere", "--clock", "manual"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nowhere"), "{stderr}");
    let run = ioc_report(
        &url,
        &["--unit", "hn", "--period", "2027-01", "--clock", "manual"],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--period") && stderr.contains("not begun"),
        "{stderr}"
    );
}

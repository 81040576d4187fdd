//! Rule backtest on a hand-built history with known answers: a KPI's red line at 90 in the
//! running rules and at 85 in the candidate; the values posted over a week are 92, 87, 92, 88,
//! 92, 80, 92, so the candidate removes exactly the two alerts between the lines (87 and 88) and
//! keeps the one below both (80). The same through `POST /api/v1/rules/backtest` and through
//! `ioc rules backtest`; then who may run it, a window too long and rules that do not load (a
//! window before history began is refused as `?at=` refuses it: `asof.rs`).

use ioc_tests::{spawn_app_with_rules, with_leaders, TestApp};
use serde_json::{json, Value};

fn rule(red: &str) -> String {
    format!(
        r#"[[rule]]
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

async fn post(app: &TestApp, credential: Option<&str>, body: &Value) -> (u16, Value) {
    app.send_as(
        credential,
        reqwest::Method::POST,
        "/api/v1/rules/backtest",
        Some(body),
    )
    .await
}

fn body(from: &str, to: &str, unit: Option<&str>, text: &str) -> Value {
    json!({"from": from, "to": to, "unit": unit, "rules": [{"name": "candidate.toml", "text": text}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_red_line_moved_from_90_to_85_removes_exactly_the_alerts_between_the_two() {
    let dir = tempfile::tempdir().unwrap();
    let running_file = dir.path().join("running.toml");
    std::fs::write(&running_file, rule("90")).unwrap();
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let app = spawn_app_with_rules(&url, std::slice::from_ref(&running_file)).await;
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

    // The running rules are what the server runs; the candidate moves the line to 85.
    let (status, out) = post(
        &app,
        Some(&app.token),
        &body(&day(0), &day(9), None, &rule("85")),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let r = &out["report"];
    let line = |side: &str| {
        r["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rule"] == "tthc_line")
            .map_or(0, |l| l[side].as_u64().unwrap())
    };
    assert_eq!(
        line("running"),
        3,
        "the running line fires at 87, 88 and 80: {r}"
    );
    assert_eq!(line("candidate"), 1, "the candidate fires at 80 only: {r}");
    let differing = r["differing"].as_array().unwrap();
    assert_eq!(r["differing_total"], 2, "{r}");
    let mut seen: Vec<(f64, &str)> = differing
        .iter()
        .map(|d| (d["value"].as_f64().unwrap(), d["only_in"].as_str().unwrap()))
        .collect();
    seen.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(seen, vec![(87.0, "running"), (88.0, "running")]);
    for d in differing {
        assert_eq!(d["rule"], "tthc_line");
        assert_eq!(d["subject"], "TTHC@p-2");
        assert_eq!(d["severity"], "red");
    }
    // The moments are those of the values that caused them.
    let at_87 = differing.iter().find(|d| d["value"] == 87.0).unwrap();
    assert!(
        at_87["at"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-04T09:00"),
        "{at_87}"
    );
    // Time in red: 87 held a day, 88 a day, 80 a day on the running side; 80's day alone on
    // the candidate's (within the step of the clock between commits).
    let red = |side: &str| r[side]["hours_in_red"].as_f64().unwrap();
    assert!(
        (red("running") - red("candidate") - 48.0).abs() < 0.6,
        "{r}"
    );
    // Per day: the two days the lines disagree.
    let days = r["days"].as_array().unwrap();
    let differs: Vec<&str> = days
        .iter()
        .filter(|d| d["running_red"] != d["candidate_red"])
        .map(|d| d["day"].as_str().unwrap())
        .collect();
    assert_eq!(differs, vec!["2026-11-04", "2026-11-06"], "{r}");
    assert!(
        out["chart_svg"].as_str().unwrap().contains("<svg"),
        "a chart"
    );
    assert!(
        out["chart_svg"]
            .as_str()
            .unwrap()
            .contains("Luật thử nghiệm"),
        "a Vietnamese chart"
    );

    // Deterministic: the same history and rules give the same report.
    let (_, again) = post(
        &app,
        Some(&app.token),
        &body(&day(0), &day(9), None, &rule("85")),
    )
    .await;
    assert_eq!(again["report"], out["report"]);
    // The same rules as running: nothing differs.
    let (_, same) = post(
        &app,
        Some(&app.token),
        &body(&day(0), &day(9), None, &rule("90")),
    )
    .await;
    assert_eq!(same["report"]["differing_total"], 0, "{same}");
    // Counted for one ward's subtree only: p-1 holds none of them.
    let (status, p1) = post(
        &app,
        Some(&app.token),
        &body(&day(0), &day(9), Some("p-1"), &rule("85")),
    )
    .await;
    assert_eq!(status, 200, "{p1}");
    assert_eq!(p1["report"]["differing_total"], 0, "{p1}");

    // Refusals, each naming its field, nothing run.
    let (status, e) = post(
        &app,
        Some(&app.token),
        &body(&day(0), "2027-06-01", None, &rule("85")),
    )
    .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("to")),
        "{e}"
    );
    let (status, e) = post(
        &app,
        Some(&app.token),
        &body("2026-06-01", &day(9), None, &rule("85")),
    )
    .await;
    assert_eq!(
        (status, e["error"]["reason"].as_str()),
        (422, Some("backtest_window")),
        "{e}"
    );
    let (status, e) = post(
        &app,
        Some(&app.token),
        &body(&day(0), &day(9), None, "[[rule]]\nname = 1"),
    )
    .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("rules")),
        "{e}"
    );

    // Who: a viewer may not; a ward's leader may for the ward, not for the city.
    let viewer = app.account("bt-viewer", None, &[("viewer", "hn")]).await;
    let (status, e) = post(
        &app,
        Some(&viewer),
        &body(&day(0), &day(9), None, &rule("85")),
    )
    .await;
    assert_eq!(status, 403, "{e}");
    let leader = app.account("bt-leader", None, &[("leader", "p-2")]).await;
    let (status, e) = post(
        &app,
        Some(&leader),
        &body(&day(0), &day(9), Some("p-2"), &rule("85")),
    )
    .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["report"]["differing_total"], 2);
    let (status, e) = post(
        &app,
        Some(&leader),
        &body(&day(0), &day(9), None, &rule("85")),
    )
    .await;
    assert_eq!(status, 403, "{e}");
    let (status, e) = post(
        &app,
        Some(&leader),
        &body(&day(0), &day(9), Some("p-1"), &rule("85")),
    )
    .await;
    assert_eq!(status, 403, "{e}");
    app.stop().await;

    // The command line, on the stopped server's database: the same answer, in words.
    let candidate = dir.path().join("candidate.toml");
    std::fs::write(&candidate, rule("85")).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ioc-e2e"))
        .args([
            "rules",
            "backtest",
            "--from",
            &day(0),
            "--to",
            &day(9),
            "--running",
        ])
        .arg(&running_file)
        .arg(&candidate)
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("2 alert(s) differ"), "{stdout}");
    assert!(stdout.contains("tthc_line"), "{stdout}");
    assert!(
        stderr.contains("replaying: 100 %"),
        "progress on the command line: {stderr}"
    );
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ioc-e2e"))
        .args(["rules", "backtest", "--from", &day(0), "--to", "2027-03-01"])
        .arg(&candidate)
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("93"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(dir);
}

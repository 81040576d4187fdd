//! Import into a running server (`POST /api/v1/import`, `ioc import --server`) and the data
//! entry read (`GET /api/v1/me/kpi-entry`), against the real server over real sockets with a
//! real SQLite store.

use ioc_tests::{spawn_app, TestApp};
use rust_xlsxwriter::Workbook;
use serde_json::{json, Value};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A workbook adding ward p-3 with a person and a KPI it leads; `red` is the KPI's red cell
/// (a number, or text for a bad cell).
fn ward_workbook(red: &str) -> Vec<u8> {
    let mut book = Workbook::new();
    let s = book.add_worksheet();
    s.set_name("Đơn vị").unwrap();
    s.write_row(0, 0, ["Mã đơn vị", "Tên đơn vị", "Cấp", "Đơn vị cấp trên"])
        .unwrap();
    s.write_row(1, 0, ["p-3", "Phường Tây Hồ", "Phường", "hn"])
        .unwrap();
    let s = book.add_worksheet();
    s.set_name("Cán bộ").unwrap();
    s.write_row(0, 0, ["Mã cán bộ", "Họ và tên", "Đơn vị", "Chức vụ"])
        .unwrap();
    s.write_row(1, 0, ["w9", "Đỗ Văn Khoa", "p-3", "Chuyên viên"])
        .unwrap();
    let s = book.add_worksheet();
    s.set_name("Chỉ số").unwrap();
    s.write_row(
        0,
        0,
        [
            "Mã chỉ số",
            "Tên chỉ số",
            "Đơn vị tính",
            "Chiều đánh giá",
            "Ngưỡng xanh",
            "Ngưỡng đỏ",
            "Tần suất",
            "Nhóm",
            "Đơn vị chủ trì",
        ],
    )
    .unwrap();
    s.write_row(1, 0, ["HS3", "Hồ sơ đúng hạn", "%", "Càng cao càng tốt"])
        .unwrap();
    s.write_number(1, 4, 95.0).unwrap();
    match red.parse::<f64>() {
        Ok(x) => s.write_number(1, 5, x).unwrap(),
        Err(_) => s.write_string(1, 5, red).unwrap(),
    };
    s.write_row(1, 6, ["Hằng tháng", "Phục vụ chính quyền", "p-3"])
        .unwrap();
    let s = book.add_worksheet();
    s.set_name("Nhiệm vụ").unwrap();
    s.write_row(
        0,
        0,
        [
            "Mã nhiệm vụ",
            "Tên nhiệm vụ",
            "Người thực hiện",
            "Hạn hoàn thành",
        ],
    )
    .unwrap();
    s.write_row(1, 0, ["T-p3", "Rà soát hồ sơ", "w9", "15/12/2026"])
        .unwrap();
    book.save_to_buffer().unwrap()
}

async fn upload(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/import?{query}")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .header("accept-language", "vi")
        .body(body)
        .send()
        .await
        .expect("POST /api/v1/import");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn audit_len(app: &TestApp) -> usize {
    let mut n = 0;
    let mut after = 0;
    loop {
        let page = app
            .get_ok(&format!("/api/v1/audit?after={after}&limit=1000"))
            .await;
        let page = page.as_array().expect("entries").clone();
        n += page.len();
        match page.last() {
            Some(last) if page.len() == 1000 => after = last["seq"].as_i64().unwrap(),
            _ => return n,
        }
    }
}

#[tokio::test]
async fn an_xlsx_with_a_bad_cell_is_refused_then_a_dry_run_then_the_import_shows_without_a_restart()
{
    let app = spawn_app().await;
    app.load_fixture().await;
    // The city's operations: the catalog (admin) and the tasks it assigns (leader).
    let token = app
        .account("city-ops", None, &[("admin", "hn"), ("leader", "hn")])
        .await;
    let before = audit_len(&app).await;

    // A bad cell: refused, naming the sheet, the row and the column, in Vietnamese.
    let (status, body) = upload(
        &app,
        &token,
        "name=so-lieu.xlsx",
        XLSX,
        ward_workbook("abc"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let problems = body["error"]["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{body}");
    let p = &problems[0];
    assert_eq!(
        (
            &p["file"],
            &p["sheet"],
            &p["line"],
            &p["column"],
            &p["field"]
        ),
        (
            &json!("so-lieu.xlsx"),
            &json!("Chỉ số"),
            &json!(2),
            &json!("F"),
            &json!("red")
        ),
        "{body}"
    );
    assert_eq!(p["message"], "'abc' không phải là số", "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("so-lieu.xlsx:Chỉ số:2:F: red"));
    assert_eq!(app.get("/api/v1/units/p-3").await.0, 404, "nothing kept");
    assert_eq!(audit_len(&app).await, before);

    // A dry run: what would change, and nothing written.
    let (status, body) = upload(
        &app,
        &token,
        "name=so-lieu.xlsx&dry_run=true",
        XLSX,
        ward_workbook("85"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dry_run"], true);
    assert_eq!(
        body["units"],
        json!({"new": 1, "changed": 0, "unchanged": 0})
    );
    assert_eq!(body["people"]["new"], 1);
    assert_eq!(body["kpis"]["new"], 1);
    assert_eq!(body["events"], json!({"new": 1, "duplicates": 0}));
    assert_eq!(
        app.get("/api/v1/units/p-3").await.0,
        404,
        "a dry run writes nothing"
    );
    assert_eq!(app.get("/api/v1/tasks/T-p3").await.0, 404);
    assert_eq!(audit_len(&app).await, before);

    // For real: the running server shows it at once, the task naming the new person.
    let (status, body) = upload(&app, &token, "name=so-lieu.xlsx", XLSX, ward_workbook("85")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dry_run"], false);
    let unit = app.get_ok("/api/v1/units/p-3").await;
    assert_eq!(unit["name"], "Phường Tây Hồ");
    assert_eq!(unit["level"], "ward");
    let kpi = app.get_ok("/api/v1/kpis/HS3").await;
    assert_eq!(
        kpi["thresholds"],
        json!({"direction": "higher_is_better", "green": 95.0, "red": 85.0})
    );
    let task = app.get_ok("/api/v1/tasks/T-p3").await;
    assert_eq!(task["responsible"], "w9", "{task}");
    let view = app.get_ok("/api/v1/units/hn/view").await;
    assert!(
        view["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["unit"]["id"] == "p-3" || c["id"] == "p-3"),
        "the city's board lists the new ward: {view}"
    );
    let after_import = audit_len(&app).await;
    assert_eq!(
        after_import,
        before + 4,
        "one audit entry per entry and event"
    );

    // The same submission again (its answer lost): nothing changes.
    let (status, body) = upload(&app, &token, "name=so-lieu.xlsx", XLSX, ward_workbook("85")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["units"],
        json!({"new": 0, "changed": 0, "unchanged": 1})
    );
    assert_eq!(body["events"], json!({"new": 0, "duplicates": 1}));
    assert_eq!(audit_len(&app).await, after_import);
    app.stop().await;
}

#[tokio::test]
async fn imports_are_checked_by_the_catalog_rules_and_the_content_type() {
    let app = spawn_app().await;
    app.load_fixture().await;
    // A ward admin may import into the ward, not into another ward.
    let ward_admin = app.account("p1-admin", None, &[("admin", "p-1")]).await;
    let csv = "Mã cán bộ,Họ và tên,Đơn vị,Chức vụ\nw7,Ngô Thị Lan,p-1,Cán bộ\nw8,Lý Văn Minh,p-2,Cán bộ\n";
    let (status, body) = upload(
        &app,
        &ward_admin,
        "kind=people&name=can-bo.csv",
        "text/csv",
        csv.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["problems"][0]["line"], 3, "{body}");
    assert_eq!(
        app.get("/api/v1/people/w7").await.0,
        404,
        "the allowed row is not kept alone"
    );
    let mine = "Mã cán bộ,Họ và tên,Đơn vị,Chức vụ\nw7,Ngô Thị Lan,p-1,Cán bộ\n";
    let (status, body) = upload(
        &app,
        &ward_admin,
        "kind=people&name=can-bo.csv",
        "text/csv",
        mine.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.get_ok("/api/v1/people/w7").await["name"], "Ngô Thị Lan");

    // The type names the format; CSV needs its kind; an API token may not import.
    let (status, body) = upload(&app, &app.token, "", "image/png", vec![1, 2, 3]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (status, _) = upload(&app, &app.token, "", "text/csv", mine.as_bytes().to_vec()).await;
    assert_eq!(status, 415);
    let (status, body) = upload(
        &app,
        &app.feed_token,
        "kind=people",
        "text/csv",
        mine.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    // An empty document imports nothing: refused as the mistake it is.
    let (status, body) = upload(
        &app,
        &app.token,
        "name=empty.json",
        "application/json",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["error"]["problems"][0]["key"], "import_nothing",
        "{body}"
    );
    // Not a workbook at all: refused naming the file.
    let (status, body) = upload(&app, &app.token, "name=x.xlsx", XLSX, b"not a zip".to_vec()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["problems"][0]["file"], "x.xlsx");

    // The template downloads as a workbook.
    let r = app
        .client
        .get(app.url("/api/v1/import/template.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], XLSX);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let bytes = r.bytes().await.unwrap();
    use calamine::Reader;
    let book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert!(book.sheet_names().iter().any(|n| n == "Chỉ số"));
    app.stop().await;
}

#[tokio::test]
async fn ioc_import_with_server_goes_through_the_running_server() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let token = app
        .account("city-ops", None, &[("admin", "hn"), ("leader", "hn")])
        .await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.xlsx");
    std::fs::write(&bad, ward_workbook("abc")).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ioc-e2e"))
        .args([
            "import",
            "--no-progress",
            "--server",
            &app.base,
            "--token",
            &token,
        ])
        .arg(&bad)
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("bad.xlsx:Chỉ số:2:F: red: 'abc' is not a number"),
        "{err}"
    );
    assert_eq!(app.get("/api/v1/units/p-3").await.0, 404);

    let good = dir.path().join("good.xlsx");
    std::fs::write(&good, ward_workbook("85")).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ioc-e2e"))
        .args([
            "import",
            "--no-progress",
            "--dry-run",
            "--server",
            &app.base,
            "--token",
            &token,
        ])
        .arg(&good)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("dry run"));
    assert_eq!(app.get("/api/v1/units/p-3").await.0, 404);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ioc-e2e"))
        .args([
            "import",
            "--no-progress",
            "--server",
            &app.base,
            "--token",
            &token,
        ])
        .arg(&good)
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("units: 1 new"), "{said}");
    assert_eq!(
        app.get_ok("/api/v1/units/p-3").await["name"],
        "Phường Tây Hồ"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_data_officer_sees_what_is_due_and_enters_a_value_and_a_correction() {
    let app = spawn_app().await;
    app.load_fixture().await;
    // p-1 leads KN (monthly, lower is better, green 2, red 5).
    let officer = app.account("p1-data", None, &[("data_entry", "p-1")]).await;
    app.set_clock("2026-11-20T10:00:00+07:00").await;
    let (status, entry) = app
        .send_as(
            Some(&officer),
            reqwest::Method::GET,
            "/api/v1/me/kpi-entry",
            None,
        )
        .await;
    assert_eq!(status, 200, "{entry}");
    let series = entry["series"].as_array().unwrap();
    let codes: Vec<&str> = series.iter().map(|s| s["kpi"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        vec!["KN"],
        "only the KPIs led inside the grant: {entry}"
    );
    let kn = &series[0];
    assert_eq!(kn["unit_name"], "Phường Hoàn Kiếm");
    assert_eq!(kn["periods"][0]["period"], "2026-11");
    assert_eq!(kn["periods"][0]["due"], "2026-12-03T23:59:59.999+07:00");
    assert_eq!(kn["periods"][1]["period"], "2026-10");
    assert_eq!(
        kn["periods"][1]["late"], true,
        "October was due on 3 November"
    );
    assert_eq!(kn["state"], "late");

    // The value for October, late, with a source and a comment.
    let event = |id: &str, period: &str, value: f64| {
        json!([{"type": "kpi_observation", "id": id, "at": "2026-11-20T10:00:00+07:00", "kpi": "KN",
                "unit": "p-1", "period": period, "value": value, "source": "Sổ theo dõi", "comment": "nhập muộn"}])
    };
    let (status, body) = app
        .send_as(
            Some(&officer),
            reqwest::Method::POST,
            "/api/v1/events",
            Some(&event("e1", "2026-10", 3.0)),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // A correction of the same period: a second value, the first kept in the audit trail.
    let (status, body) = app
        .send_as(
            Some(&officer),
            reqwest::Method::POST,
            "/api/v1/events",
            Some(&event("e2", "2026-10", 4.0)),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, entry) = app
        .send_as(
            Some(&officer),
            reqwest::Method::GET,
            "/api/v1/me/kpi-entry",
            None,
        )
        .await;
    let oct = &entry["series"][0]["periods"][1];
    assert_eq!(oct["value"]["value"], 4.0, "{entry}");
    assert_eq!(oct["late"], false);
    assert_eq!(
        entry["series"][0]["state"], "due",
        "November is still to enter"
    );
    let audit = app.get_ok("/api/v1/audit?limit=1000").await;
    let correction = audit
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["action"] == "kpi.value")
        .expect("the correction's audit entry");
    assert_eq!(correction["old"]["value"], 3.0, "{correction}");
    assert_eq!(correction["new"]["comment"], "nhập muộn", "{correction}");

    // A KPI the officer does not enter: refused, naming the field, nothing kept.
    let other = json!([{"type": "kpi_observation", "id": "e3", "at": "2026-11-20T10:00:00+07:00",
                        "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 90.0}]);
    let (status, body) = app
        .send_as(
            Some(&officer),
            reqwest::Method::POST,
            "/api/v1/events",
            Some(&other),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["field"], "kpi");

    // A closed period: refused for the officer.
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/periods/2026-Q3",
            &json!({"state": "active"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/periods/2026-Q3",
            &json!({"state": "closed"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .send_as(
            Some(&officer),
            reqwest::Method::POST,
            "/api/v1/events",
            Some(&event("e4", "2026-09", 1.0)),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["field"], "period");
    app.stop().await;
}

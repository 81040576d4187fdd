//! XLSX workbooks and imports sent to a running server (the upload path), into a real SQLite
//! store through a real writer.

use super::*;
use crate::auth::Actor;
use crate::rollup::Rollup;
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
use std::sync::Arc;

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Env {
    dir: tempfile::TempDir,
    rollup: Arc<Rollup>,
    writer: Writer,
    store: Arc<dyn crate::store::Store>,
}

async fn env() -> Result<Env, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let store = crate::store::connect(&url).await?;
    let rollup = Arc::new(Rollup::new(crate::domain::time::now_ms()));
    let (bus, _) = tokio::sync::broadcast::channel(16);
    let (writer, _task) = Writer::spawn(store.clone(), rollup.clone(), bus, Default::default());
    Ok(Env {
        dir,
        rollup,
        writer,
        store,
    })
}

/// A workbook the way an office fills in the template: Vietnamese sheet names and headers,
/// list values by their Vietnamese labels, a decimal comma in a text cell, an Excel date and a
/// `dd/mm/yyyy` date in text.
fn office_workbook(red: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let date = CellFormat::new().set_num_format("dd/mm/yyyy");
    let s = book.add_worksheet();
    s.set_name("Đơn vị")?;
    for (j, h) in ["Mã đơn vị", "Tên đơn vị", "Cấp", "Đơn vị cấp trên"]
        .iter()
        .enumerate()
    {
        s.write_string(0, j as u16, *h)?;
    }
    s.write_row(1, 0, ["hn", "Thành phố Hà Nội", "Thành phố"])?;
    s.write_row(2, 0, ["p-hk", "Phường Hoàn Kiếm", "Phường", "hn"])?;
    let s = book.add_worksheet();
    s.set_name("Cán bộ")?;
    s.write_row(0, 0, ["Mã cán bộ", "Họ và tên", "Đơn vị", "Chức vụ"])?;
    s.write_row(1, 0, ["cb1", "Nguyễn Văn An", "p-hk", "Chuyên viên"])?;
    let s = book.add_worksheet();
    s.set_name("Chỉ số")?;
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
    )?;
    s.write_row(1, 0, ["DVC", "Hồ sơ đúng hạn", "%", "Càng cao càng tốt"])?;
    // Green as a text cell with a decimal comma; red as given (a number, or a bad cell).
    s.write_string(1, 4, "92,5")?;
    match red.parse::<f64>() {
        Ok(x) => s.write_number(1, 5, x)?,
        Err(_) => s.write_string(1, 5, red)?,
    };
    s.write_row(1, 6, ["Hằng tháng", "Phục vụ chính quyền", "p-hk"])?;
    let s = book.add_worksheet();
    s.set_name("Nhiệm vụ")?;
    s.write_row(
        0,
        0,
        [
            "Mã nhiệm vụ",
            "Tên nhiệm vụ",
            "Người thực hiện",
            "Ngày bắt đầu",
            "Hạn hoàn thành",
        ],
    )?;
    s.write_row(1, 0, ["T1", "Số hoá hồ sơ", "cb1", "01/11/2026"])?;
    s.write_datetime_with_format(1, 4, ExcelDateTime::from_ymd(2026, 12, 15)?, &date)?;
    // A sheet that is not a table (notes): skipped.
    book.add_worksheet()
        .set_name("Ghi chú")?
        .write_string(0, 0, "Hướng dẫn")?;
    book.save_to_buffer()
}

#[tokio::test]
async fn an_office_workbook_imports_with_vietnamese_names_commas_and_dates() -> TestResult {
    let env = env().await?;
    let path = env.dir.path().join("so-lieu.xlsx");
    std::fs::write(&path, office_workbook("85")?)?;
    let report = import_files(&env.writer, &[path], &ImportOptions { progress: false }).await?;
    assert_eq!(
        (report.units, report.people, report.kpis, report.events),
        (2, 1, 1, 1)
    );
    let kpi = env.rollup.kpi("DVC").ok_or("no KPI")?;
    assert_eq!(
        kpi.thresholds,
        crate::domain::Thresholds::HigherIsBetter {
            green: 92.5,
            red: 85.0
        }
    );
    assert_eq!(kpi.frequency, crate::domain::Frequency::Monthly);
    assert_eq!(
        env.rollup.unit("p-hk").ok_or("no ward")?.level,
        crate::domain::UnitLevel::Ward
    );
    let task = env.rollup.task("T1").ok_or("no task")?;
    assert_eq!(
        crate::domain::time::format_ts(task.deadline)[..10],
        *"2026-12-15"
    );
    assert_eq!(
        crate::domain::time::format_ts(task.start.ok_or("no start")?)[..10],
        *"2026-11-01"
    );
    Ok(())
}

#[tokio::test]
async fn a_bad_cell_is_named_by_file_sheet_row_and_column_and_nothing_is_written() -> TestResult {
    let env = env().await?;
    let path = env.dir.path().join("so-lieu.xlsx");
    std::fs::write(&path, office_workbook("abc")?)?;
    let e = match import_files(
        &env.writer,
        std::slice::from_ref(&path),
        &ImportOptions { progress: false },
    )
    .await
    {
        Ok(r) => return Err(format!("imported a bad cell: {r}").into()),
        Err(e) => e,
    };
    let shown = e.to_string();
    assert!(
        shown.ends_with("so-lieu.xlsx:Chỉ số:2:F: red: 'abc' is not a number"),
        "{shown}"
    );
    assert_eq!(e.problems.len(), 1, "{shown}");
    assert!(env.rollup.unit_ids().is_empty(), "nothing is written");
    Ok(())
}

#[tokio::test]
async fn a_dry_run_counts_and_writes_nothing_then_the_import_writes_once() -> TestResult {
    let env = env().await?;
    let admin = Actor::system("test");
    let kind = UploadType::of_file_name("book.xlsx").ok_or("xlsx")?.0;
    let upload = read_upload("book.xlsx", kind, office_workbook("85")?)?;
    let counts = import_upload(&env.writer, upload, &admin, true)
        .await
        .map_err(|e| format!("{e:?}"))?;
    assert_eq!(
        (counts.units.new, counts.people.new, counts.kpis.new),
        (2, 1, 1)
    );
    assert_eq!(counts.events.new, 1);
    assert!(env.rollup.unit_ids().is_empty(), "a dry run writes nothing");
    assert!(env
        .store
        .events_of("task", &["T1".into()])
        .await?
        .is_empty());

    // For real: the task names a person created by the same workbook, in one change.
    let upload = read_upload("book.xlsx", kind, office_workbook("85")?)?;
    let counts = import_upload(&env.writer, upload, &admin, false)
        .await
        .map_err(|e| format!("{e:?}"))?;
    assert_eq!((counts.units.new, counts.events.new), (2, 1));
    assert!(counts.commit > 0);
    assert!(env.rollup.task("T1").is_some());

    // The same file again (a retry after a lost answer): nothing changes.
    let upload = read_upload("book.xlsx", kind, office_workbook("85")?)?;
    let again = import_upload(&env.writer, upload, &admin, false)
        .await
        .map_err(|e| format!("{e:?}"))?;
    assert_eq!(
        (again.units.new, again.units.changed, again.units.unchanged),
        (0, 0, 2)
    );
    assert_eq!((again.events.new, again.events.duplicates), (0, 1));
    Ok(())
}

#[tokio::test]
async fn an_upload_refused_by_its_last_record_writes_none_of_the_others() -> TestResult {
    let env = env().await?;
    let doc = r#"{
  "units": [{"id": "hn", "name": "Hà Nội", "level": "city"}],
  "key_results": [
    {"id": "KR1", "objective": "O-missing", "title": "x", "start": 0, "target": 1, "unit_of_measure": "%"}
  ]
}"#;
    let kind = UploadType::parse("application/json", None)?;
    let upload = read_upload("cat.json", kind, doc.as_bytes().to_vec())?;
    let e = match import_upload(&env.writer, upload, &Actor::system("test"), false).await {
        Err(UploadError::Invalid(e)) => e,
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    };
    assert_eq!(
        e.to_string(),
        "cat.json:4: objective: unknown objective 'O-missing'"
    );
    assert!(
        env.rollup.unit("hn").is_none(),
        "the unit before it is not written"
    );
    Ok(())
}

#[test]
fn upload_types_come_from_the_content_type() {
    assert!(UploadType::parse(XLSX_TYPE, None).is_ok());
    assert!(UploadType::parse("text/csv; charset=utf-8", Some("units")).is_ok());
    assert!(UploadType::parse("text/csv", None)
        .unwrap_err()
        .contains("?kind="));
    assert!(UploadType::parse("text/csv", Some("budget")).is_err());
    assert!(UploadType::parse("image/png", None).is_err());
}

#[test]
fn the_template_has_a_sheet_per_table_and_lists() -> TestResult {
    use calamine::Reader;
    let bytes = template::workbook()?;
    let book = calamine::Xlsx::new(std::io::Cursor::new(bytes))?;
    let names = book.sheet_names();
    for (_, t) in table::Table::ALL {
        assert!(names.iter().any(|n| n == t.vietnamese()), "{names:?}");
    }
    assert!(names.iter().any(|n| n == "Danh sách"));
    Ok(())
}

#[tokio::test]
async fn the_template_filled_in_imports() -> TestResult {
    // The template's headers read back as its columns: an empty template is a valid import.
    let env = env().await?;
    let path = env.dir.path().join("mau.xlsx");
    std::fs::write(&path, template::workbook()?)?;
    let report = import_files(&env.writer, &[path], &ImportOptions { progress: false }).await?;
    assert_eq!(report.units + report.events, 0);
    Ok(())
}

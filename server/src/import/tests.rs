//! Imports into a real SQLite store through a real writer.

use super::*;
use crate::rollup::Rollup;
use std::path::Path;
use std::sync::Arc;

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Env {
    dir: tempfile::TempDir,
    rollup: Arc<Rollup>,
    writer: Writer,
}

async fn env() -> Result<Env, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let store = crate::store::connect(&url).await?;
    let rollup = Arc::new(Rollup::new(crate::domain::time::now_ms()));
    let (bus, _) = tokio::sync::broadcast::channel(16);
    let (writer, _task) = Writer::spawn(store, rollup.clone(), bus, Default::default());
    Ok(Env {
        dir,
        rollup,
        writer,
    })
}

impl Env {
    fn file(&self, name: &str, text: &str) -> Result<PathBuf, std::io::Error> {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    }

    async fn import(&self, files: &[PathBuf]) -> Result<ImportReport, ImportError> {
        import_files(&self.writer, files, &ImportOptions { progress: false }).await
    }

    fn unit_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .rollup
            .unit_ids()
            .iter()
            .map(|s| s.to_string())
            .collect();
        ids.sort();
        ids
    }
}

fn err_of(r: Result<ImportReport, ImportError>) -> ImportError {
    match r {
        Ok(report) => panic!("expected the import to fail, got {report:?}"),
        Err(e) => e,
    }
}

/// Units listed child first, to show the import orders them.
const CATALOG: &str = r#"{
  "units": [
    {"id": "p-hk", "name": "Phường Hoàn Kiếm", "level": "ward", "parent": "hn"},
    {"id": "hn", "name": "Thành phố Hà Nội", "level": "city"}
  ],
  "people": [
    {"id": "cb1", "name": "Nguyễn Văn An", "unit": "p-hk", "position": "Chuyên viên"},
    {"id": "cb2", "name": "Trần Thị Bình", "unit": "hn", "position": "Chánh Văn phòng"}
  ],
  "kpis": [
    {"code": "DVC-DH", "name": "Tỷ lệ hồ sơ giải quyết đúng hạn", "unit_of_measure": "%",
     "thresholds": {"direction": "higher_is_better", "green": 95, "red": 85},
     "frequency": "monthly", "group": "service", "leading_unit": "hn", "measured_units": ["p-hk"]}
  ],
  "objectives": [
    {"id": "O2", "unit": "p-hk", "title": "Cải cách hành chính phường", "period": "2026", "parent": "O1"},
    {"id": "O1", "unit": "hn", "title": "Chính quyền số", "period": "2026", "owner": "cb2"}
  ],
  "key_results": [
    {"id": "KR1", "objective": "O2", "title": "Hồ sơ trực tuyến", "start": 40, "target": 90, "unit_of_measure": "%"}
  ],
  "events": [
    {"type": "task", "id": "imp-1", "at": "2026-11-01T08:00:00+07:00", "task_id": "T1",
     "title": "Số hoá hồ sơ", "responsible": "cb1", "deadline": "2026-12-01", "key_result": "KR1"},
    {"type": "task", "id": "imp-2", "at": "2026-11-01T08:00:00+07:00", "task_id": "T2",
     "title": "Báo cáo tháng", "responsible": "cb2", "deadline": "2026-12-05"}
  ]
}
"#;

#[tokio::test]
async fn json_catalog_and_events_import() -> TestResult {
    let env = env().await?;
    let file = env.file("catalog.json", CATALOG)?;
    let report = env.import(std::slice::from_ref(&file)).await?;
    assert_eq!(
        (
            report.files,
            report.units,
            report.people,
            report.kpis,
            report.objectives,
            report.key_results,
            report.events
        ),
        (1, 2, 2, 1, 2, 1, 2)
    );
    assert_eq!(report.duplicates, 0);
    let view = env.rollup.unit_view("hn").ok_or("no view of hn")?;
    assert_eq!(view.summary.people, 2);
    assert_eq!(view.summary.tasks.total, 2);
    assert_eq!(view.children.len(), 1);
    assert_eq!(view.children[0].tasks_total, 1);

    // Catalog entries are replaced and events kept once: a second run changes nothing.
    let again = env.import(&[file]).await?;
    assert_eq!((again.events, again.duplicates), (0, 2));
    Ok(())
}

#[tokio::test]
async fn ndjson_records_import() -> TestResult {
    let env = env().await?;
    let text = [
        r#"{"kind":"unit","id":"hn","name":"Hà Nội","level":"city"}"#,
        "",
        r#"{"kind":"person","id":"cb1","name":"An","unit":"hn","position":"Chuyên viên"}"#,
        r#"{"kind":"event","type":"task","id":"e1","at":"2026-11-01","task_id":"T1","title":"x","responsible":"cb1","deadline":"2026-12-01"}"#,
    ]
    .join("\n");
    let report = env.import(&[env.file("a.ndjson", &text)?]).await?;
    assert_eq!((report.units, report.people, report.events), (1, 1, 1));

    let bad = env.file(
        "b.jsonl",
        "{\"kind\":\"unit\",\"id\":\"x\",\"name\":\"X\",\"level\":\"town\"}\n{\"kind\":\"team\"}\n",
    )?;
    let e = err_of(env.import(&[bad]).await);
    assert_eq!(e.problems.len(), 2, "{e}");
    assert_eq!(
        (e.problems[0].line, e.problems[0].field.as_str()),
        (1, "level")
    );
    assert_eq!(
        (e.problems[1].line, e.problems[1].field.as_str()),
        (2, "kind")
    );
    Ok(())
}

const UNITS_CSV: &str =
    "id,name,level,parent\np-hk,Phường Hoàn Kiếm,ward,hn\nhn,Thành phố Hà Nội,city,\n";
const PEOPLE_CSV: &str = "id,name,unit,position\ncb1,Nguyễn Văn An,p-hk,Chuyên viên\ncb2,Trần Thị Bình,hn,Chánh Văn phòng\n";
const KPIS_CSV: &str = "code,name,unit_of_measure,direction,green,red,green_low,green_high,red_low,red_high,frequency,group,leading_unit,measured_units\n\
DVC-DH,Hồ sơ đúng hạn,%,higher_is_better,95,85,,,,,monthly,service,hn,hn;p-hk\n\
NS-GN,Giải ngân,%,in_band,,,40,60,30,70,quarterly,development,hn,\n";
const OBJECTIVES_CSV: &str = "id,unit,title,period,parent,owner\nO2,p-hk,Cải cách hành chính,2026,O1,cb1\nO1,hn,Chính quyền số,2026,,cb2\n";
const KEY_RESULTS_CSV: &str = "id,objective,title,start,target,unit_of_measure,weight\nKR1,O2,Hồ sơ trực tuyến,40,90,%,2\nKR2,O2,Thời gian chờ,30,10,phút,\n";
const TASKS_CSV: &str = "task_id,title,responsible,consulted,key_result,deadline,progress,status\n\
T1,Số hoá hồ sơ,cb1,cb2,KR1,2026-12-01,25,in_progress\n\
T2,\"Báo cáo, tổng hợp\",cb2,,,2026-12-05,,\n";

async fn csv_env() -> Result<(Env, Vec<PathBuf>), Box<dyn std::error::Error>> {
    let env = env().await?;
    // In the order a shell glob gives: dependencies last.
    let files = vec![
        env.file("key_results.csv", KEY_RESULTS_CSV)?,
        env.file("kpis.csv", KPIS_CSV)?,
        env.file("objectives.csv", OBJECTIVES_CSV)?,
        env.file("people.csv", PEOPLE_CSV)?,
        env.file("tasks.csv", TASKS_CSV)?,
        env.file("2026-units.csv", UNITS_CSV)?,
    ];
    Ok((env, files))
}

#[tokio::test]
async fn csv_files_of_each_kind_import() -> TestResult {
    let (env, files) = csv_env().await?;
    let report = env.import(&files).await?;
    assert_eq!(
        (
            report.files,
            report.units,
            report.people,
            report.kpis,
            report.objectives,
            report.key_results,
            report.events
        ),
        (6, 2, 2, 2, 2, 2, 2)
    );
    let view = env.rollup.unit_view("hn").ok_or("no view of hn")?;
    assert_eq!(view.summary.people, 2);
    assert_eq!(view.summary.tasks.total, 2);
    assert_eq!(view.summary.tasks.by_status.in_progress, 1);
    let kpi = env.rollup.kpi("NS-GN").ok_or("no KPI")?;
    assert_eq!(
        kpi.thresholds,
        crate::domain::Thresholds::InBand {
            green_low: 40.0,
            green_high: 60.0,
            red_low: 30.0,
            red_high: 70.0
        }
    );
    assert_eq!(
        env.rollup
            .kpi("DVC-DH")
            .ok_or("no KPI")?
            .measured_units
            .len(),
        2
    );
    let kr = env.rollup.key_result("KR1").ok_or("no KR")?;
    assert_eq!((kr.weight, kr.current), (2.0, 40.0));
    let task = env.rollup.task("T1").ok_or("no task")?;
    assert_eq!(task.consulted.len(), 1);
    assert_eq!(task.key_result.as_deref(), Some("KR1"));
    assert_eq!(
        env.rollup.task("T2").ok_or("no task")?.title,
        "Báo cáo, tổng hợp"
    );
    Ok(())
}

#[tokio::test]
async fn reimported_tasks_csv_is_reported_as_duplicates() -> TestResult {
    let (env, files) = csv_env().await?;
    env.import(&files).await?;
    let tasks = files
        .iter()
        .filter(|f| f.ends_with("tasks.csv"))
        .cloned()
        .collect::<Vec<_>>();
    let again = env.import(&tasks).await?;
    assert_eq!((again.events, again.duplicates), (0, 2));
    assert_eq!(env.rollup.task_count(), 2);

    // A changed row is a new event: the change applies.
    let changed = TASKS_CSV.replace(",25,in_progress", ",60,in_progress");
    let report = env.import(&[env.file("tasks.csv", &changed)?]).await?;
    assert_eq!((report.events, report.duplicates), (1, 1));
    assert_eq!(env.rollup.task("T1").ok_or("no task")?.progress, 6000);
    Ok(())
}

#[tokio::test]
async fn bad_json_items_are_all_reported_and_nothing_is_written() -> TestResult {
    let env = env().await?;
    env.import(&[env.file(
        "base.json",
        r#"{"units":[{"id":"hn","name":"Hà Nội","level":"city"}]}"#,
    )?])
    .await?;
    let before = env.unit_ids();
    let text = r#"{
  "units": [
    {"id": "p1", "name": "Phường 1", "level": "ward", "parent": "hn"},
    {"id": "p2", "name": "Phường 2", "level": "town", "parent": "hn"},
    {"id": "p3", "name": "", "level": "ward", "parent": "hn"}
  ],
  "people": [
    {
      "id": "cb1",
      "name": "An",
      "unit": "p1",
      "posiiton": "Chuyên viên"
    }
  ]
}"#;
    let file = env.file("bad.json", text)?;
    let e = err_of(env.import(std::slice::from_ref(&file)).await);
    let name = file.display().to_string();
    let got: Vec<(usize, &str)> = e
        .problems
        .iter()
        .map(|p| (p.line, p.field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![(4, "level"), (5, "name"), (12, "posiiton")],
        "{e}"
    );
    assert!(
        e.to_string().starts_with(&format!("{name}:4: level: ")),
        "{e}"
    );
    assert_eq!(e.to_string().lines().count(), 3);
    assert_eq!(env.unit_ids(), before);
    Ok(())
}

#[tokio::test]
async fn a_bad_file_stops_every_file_from_being_written() -> TestResult {
    let env = env().await?;
    let good = env.file("units.csv", UNITS_CSV)?;
    let bad = env.file("people.csv", "id,name,unit,position\ncb1,An,,Chuyên viên\n")?;
    let e = err_of(env.import(&[good, bad]).await);
    assert_eq!(e.problems.len(), 1, "{e}");
    assert_eq!(
        (e.problems[0].line, e.problems[0].field.as_str()),
        (2, "unit")
    );
    assert!(env.unit_ids().is_empty());
    Ok(())
}

#[tokio::test]
async fn a_bad_csv_number_names_line_and_column() -> TestResult {
    let env = env().await?;
    let text = "id,objective,title,start,target,unit_of_measure\nKR1,O1,a,0,10,%\nKR2,O1,b,0,mười,%\nKR3,O1,c,x,\"1,5\",%\n";
    let file = env.file("key_results.csv", text)?;
    let e = err_of(env.import(std::slice::from_ref(&file)).await);
    let got: Vec<(usize, &str)> = e
        .problems
        .iter()
        .map(|p| (p.line, p.field.as_str()))
        .collect();
    assert_eq!(got, vec![(3, "target"), (4, "start"), (4, "target")], "{e}");
    assert!(e.problems[2].reason.contains("dot"), "{e}");
    assert!(
        e.to_string().starts_with(&format!(
            "{}:3: target: 'mười' is not a number",
            file.display()
        )),
        "{e}"
    );
    Ok(())
}

#[tokio::test]
async fn windows_line_endings_keep_the_line_numbers_an_editor_shows() -> TestResult {
    // Excel saves CSV with \r\n; the bad value sits on line 3, a multi-line quoted title on
    // lines 4-5 does not shift what follows, and the bad start on line 6 is named there.
    let env = env().await?;
    let text = "id,objective,title,start,target,unit_of_measure\r\nKR1,O1,a,0,10,%\r\nKR2,O1,b,0,mười,%\r\nKR3,O1,\"hai\r\ndòng\",0,10,%\r\nKR4,O1,d,x,10,%\r\n";
    let file = env.file("key_results.csv", text)?;
    let e = err_of(env.import(std::slice::from_ref(&file)).await);
    let got: Vec<(usize, &str)> = e
        .problems
        .iter()
        .map(|p| (p.line, p.field.as_str()))
        .collect();
    assert_eq!(got, vec![(3, "target"), (6, "start")], "{e}");
    assert!(
        e.to_string()
            .starts_with(&format!("{}:3: target:", file.display())),
        "{e}"
    );
    Ok(())
}

#[tokio::test]
async fn csv_header_and_threshold_problems_name_columns() -> TestResult {
    let env = env().await?;
    let e = err_of(
        env.import(&[env.file("units.csv", "id,name,levle\nhn,Hà Nội,city\n")?])
            .await,
    );
    let got: Vec<(usize, &str)> = e
        .problems
        .iter()
        .map(|p| (p.line, p.field.as_str()))
        .collect();
    assert_eq!(got, vec![(1, "levle"), (1, "level")], "{e}");

    let kpis = "code,name,unit_of_measure,direction,green,frequency,group,leading_unit\nK1,x,%,higher_is_better,90,monthly,service,hn\n";
    let e = err_of(env.import(&[env.file("kpis.csv", kpis)?]).await);
    assert_eq!(
        (e.problems[0].line, e.problems[0].field.as_str()),
        (2, "red"),
        "{e}"
    );

    let e = err_of(
        env.import(&[env.file("units.csv", "id,name,level\nhn,Hà Nội\n")?])
            .await,
    );
    assert_eq!(e.problems[0].line, 2, "{e}");
    Ok(())
}

#[tokio::test]
async fn a_sixth_key_result_is_refused_on_its_line() -> TestResult {
    let env = env().await?;
    let mut text = String::from(
        "{\"units\":[{\"id\":\"hn\",\"name\":\"Hà Nội\",\"level\":\"city\"}],\n\"objectives\":[{\"id\":\"O1\",\"unit\":\"hn\",\"title\":\"t\",\"period\":\"2026\"}],\n\"key_results\":[\n",
    );
    for i in 1..=6 {
        let sep = if i < 6 { "," } else { "" };
        text.push_str(&format!(
            "{{\"id\":\"KR{i}\",\"objective\":\"O1\",\"title\":\"k{i}\",\"start\":0,\"target\":10,\"unit_of_measure\":\"%\"}}{sep}\n"
        ));
    }
    text.push_str("]}\n");
    let e = err_of(env.import(&[env.file("krs.json", &text)?]).await);
    assert_eq!(e.problems.len(), 1, "{e}");
    assert_eq!(
        (e.problems[0].line, e.problems[0].field.as_str()),
        (9, "objective"),
        "{e}"
    );
    Ok(())
}

#[tokio::test]
async fn writer_refusals_point_at_the_field_line() -> TestResult {
    let env = env().await?;
    let text = "{\n  \"units\": [{\"id\": \"hn\", \"name\": \"Hà Nội\", \"level\": \"city\"}],\n  \"events\": [\n    {\n      \"type\": \"task\", \"id\": \"e1\", \"at\": \"2026-11-01\", \"task_id\": \"T1\",\n      \"title\": \"x\",\n      \"responsible\": \"nobody\",\n      \"deadline\": \"2026-12-01\"\n    }\n  ]\n}\n";
    let e = err_of(env.import(&[env.file("ev.json", text)?]).await);
    assert_eq!(
        (e.problems[0].line, e.problems[0].field.as_str()),
        (7, "responsible"),
        "{e}"
    );
    Ok(())
}

#[tokio::test]
async fn json_syntax_and_shape_errors_report_the_line() -> TestResult {
    let env = env().await?;
    let e = err_of(
        env.import(&[env.file(
            "a.json",
            "{\n  \"units\": [\n    {\"id\": \"hn\",}\n  ]\n}\n",
        )?])
        .await,
    );
    assert_eq!(e.problems.len(), 1);
    assert_eq!(e.problems[0].line, 3, "{e}");
    assert!(e.problems[0].reason.starts_with("invalid JSON"), "{e}");

    let e = err_of(
        env.import(&[env.file("b.json", "{\n  \"units\": [],\n  \"tasks\": []\n}\n")?])
            .await,
    );
    assert_eq!(
        (e.problems[0].line, e.problems[0].field.as_str()),
        (3, "tasks"),
        "{e}"
    );

    let e = err_of(
        env.import(&[env.file("c.json", "{\n  \"units\": {}\n}\n")?])
            .await,
    );
    assert_eq!(
        (e.problems[0].line, e.problems[0].field.as_str()),
        (2, "units"),
        "{e}"
    );

    let e = err_of(env.import(&[env.file("d.json", "{}\n{}\n")?]).await);
    assert_eq!(e.problems[0].line, 2, "{e}");

    let e = err_of(env.import(&[env.file("e.json", "\n[[], []]")?]).await);
    assert_eq!(e.problems[0].line, 2, "{e}");
    Ok(())
}

#[tokio::test]
async fn file_level_problems() -> TestResult {
    let env = env().await?;
    let missing = env.dir.path().join("missing.json");
    let e = err_of(
        env.import(&[
            missing,
            env.file("notes.txt", "")?,
            env.file("budget.csv", "a\n1\n")?,
        ])
        .await,
    );
    assert_eq!(e.problems.len(), 3, "{e}");
    assert!(e.problems.iter().all(|p| p.line == 0), "{e}");

    let path = env.dir.path().join("latin1-units.csv");
    std::fs::write(&path, b"id,name,level\nhn,H\xe0 N\xf4i,city\n")?;
    let e = err_of(env.import(&[path]).await);
    assert_eq!(e.problems[0].line, 2, "{e}");
    Ok(())
}

#[tokio::test]
async fn problems_are_capped_per_file() -> TestResult {
    let env = env().await?;
    let mut text = String::from("id,name,level\n");
    for i in 0..80 {
        text.push_str(&format!("u{i},Unit {i},town\n"));
    }
    let e = err_of(env.import(&[env.file("units.csv", &text)?]).await);
    assert_eq!(e.problems.len(), MAX_LISTED + 1);
    assert_eq!(e.problems[0].line, 2);
    assert_eq!(e.problems[MAX_LISTED].reason, "30 more problems not listed");
    Ok(())
}

#[tokio::test]
async fn byte_order_mark_and_semicolons_are_accepted() -> TestResult {
    let env = env().await?;
    let units = "\u{feff}id;name;level;parent\nhn;Hà Nội;city;\np1;Phường 1;ward;hn\n";
    let report = env.import(&[env.file("units.csv", units)?]).await?;
    assert_eq!(report.units, 2);
    Ok(())
}

#[tokio::test]
async fn the_examples_import() -> TestResult {
    let env = env().await?;
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut csv: Vec<PathBuf> = std::fs::read_dir(examples.join("csv"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    csv.sort();
    let report = env.import(&csv).await?;
    assert!(report.units > 0 && report.events > 0, "{report:?}");
    let report = env.import(&[examples.join("catalog.json")]).await?;
    assert!(report.units > 0 && report.events > 0, "{report:?}");
    Ok(())
}

#[test]
fn parents_come_first_and_cycles_last() {
    let unit = |id: &str, parent: Option<&str>, line: usize| {
        (
            Origin {
                file: 0,
                line,
                span: None,
                sheet: None,
            },
            CatalogItem::Unit(crate::domain::Unit {
                id: id.into(),
                name: id.to_string(),
                level: crate::domain::UnitLevel::Ward,
                parent: parent.map(Into::into),
                leader: None,
                short_name: None,
            }),
        )
    };
    let items = vec![
        unit("c", Some("b"), 1),
        unit("x", Some("y"), 2),
        unit("b", Some("a"), 3),
        unit("a", None, 4),
        unit("y", Some("x"), 5),
        unit("d", Some("outside"), 6),
    ];
    let lines: Vec<usize> = parents_first(items).iter().map(|(o, _)| o.line).collect();
    assert_eq!(lines, vec![4, 3, 1, 6, 2, 5]);
}

#[test]
fn locate_finds_nested_fields() {
    let raw = "{\"a\": 1,\n \"t\": {\"green\":\n 5},\n \"l\": [\"x\",\n \"y\"]}";
    assert_eq!(json::locate(raw, "t.green"), "5");
    assert_eq!(json::locate(raw, "l[1]"), "\"y\"");
    assert_eq!(json::locate(raw, "t.missing"), "{\"green\":\n 5}");
    assert_eq!(json::locate(raw, ""), raw);
}

#[test]
fn problems_display_as_file_line_field_reason() {
    let p = |line, field: &str| Problem {
        file: "a.csv".into(),
        sheet: None,
        line,
        column: None,
        header: None,
        field: field.into(),
        reason: "bad".into(),
        message: "bad".into(),
        key: None,
    };
    let e = ImportError {
        problems: vec![p(3, "target"), p(4, ""), p(0, "")],
    };
    assert_eq!(
        e.to_string(),
        "a.csv:3: target: bad\na.csv:4: bad\na.csv: bad"
    );
}

#[test]
fn the_progress_template_parses() {
    assert!(ProgressStyle::with_template(BAR_TEMPLATE).is_ok());
}

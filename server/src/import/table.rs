//! The tables an import reads (units, people, KPIs, objectives, key results, tasks): their
//! columns, the Vietnamese names a sheet, a header or a list value may use instead, and turning
//! one row of cells into the REST wire record. CSV files and XLSX sheets share all of it, so
//! both accept the same columns, aliases and values.

use super::{Batch, Found, Kind, Origin};
use crate::ingest::ItemError;
use serde_json::{Map, Number, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Table {
    Units,
    People,
    Kpis,
    Objectives,
    KeyResults,
    Tasks,
}

const KPI_THRESHOLDS: [&str; 7] = [
    "direction",
    "green",
    "red",
    "green_low",
    "green_high",
    "red_low",
    "red_high",
];

impl Table {
    pub(super) const ALL: [(&'static str, Table); 6] = [
        ("units", Table::Units),
        ("people", Table::People),
        ("kpis", Table::Kpis),
        ("objectives", Table::Objectives),
        ("key_results", Table::KeyResults),
        ("tasks", Table::Tasks),
    ];

    pub(super) const NAME_HINT: &'static str =
        "a CSV file's name says what its rows are: it must end in units.csv, \
         people.csv, kpis.csv, objectives.csv, key_results.csv or tasks.csv";

    /// The table a lower-case file name (`2026-units.csv`) holds.
    pub(super) fn from_file_name(name: &str) -> Option<Table> {
        let stem = name.strip_suffix(".csv")?;
        Self::ALL
            .iter()
            .find(|(suffix, _)| stem.ends_with(suffix))
            .map(|(_, t)| *t)
    }

    pub(super) fn kind(self) -> Kind {
        match self {
            Table::Units => Kind::Unit,
            Table::People => Kind::Person,
            Table::Kpis => Kind::Kpi,
            Table::Objectives => Kind::Objective,
            Table::KeyResults => Kind::KeyResult,
            Table::Tasks => Kind::Event,
        }
    }

    pub(super) fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Units => &["id", "name", "level", "parent"],
            Table::People => &["id", "name", "unit", "position"],
            Table::Kpis => &[
                "code",
                "name",
                "formula",
                "data_source",
                "unit_of_measure",
                "direction",
                "green",
                "red",
                "green_low",
                "green_high",
                "red_low",
                "red_high",
                "frequency",
                "group",
                "leading_unit",
                "coordinating_units",
                "measured_units",
                "expression",
                "rollup",
            ],
            Table::Objectives => &["id", "unit", "title", "period", "parent", "owner", "weight"],
            Table::KeyResults => &[
                "id",
                "objective",
                "title",
                "start",
                "target",
                "current",
                "unit_of_measure",
                "direction",
                "weight",
            ],
            Table::Tasks => &[
                "id",
                "at",
                "task_id",
                "title",
                "responsible",
                "accountable",
                "consulted",
                "informed",
                "key_result",
                "start",
                "deadline",
                "expected_output",
                "progress",
                "status",
                "quality",
            ],
        }
    }

    /// Columns every row needs: missing from the header, every row would fail the same way.
    pub(super) fn required(self) -> &'static [&'static str] {
        match self {
            Table::Units => &["id", "name", "level"],
            Table::People => &["id", "name", "unit", "position"],
            Table::Kpis => &[
                "code",
                "name",
                "unit_of_measure",
                "direction",
                "frequency",
                "group",
                "leading_unit",
            ],
            Table::Objectives => &["id", "unit", "title", "period"],
            Table::KeyResults => &[
                "id",
                "objective",
                "title",
                "start",
                "target",
                "unit_of_measure",
            ],
            Table::Tasks => &["task_id"],
        }
    }

    pub(super) fn is_number(self, column: &str) -> bool {
        match self {
            Table::Kpis => KPI_THRESHOLDS[1..].contains(&column),
            Table::Objectives => column == "weight",
            Table::KeyResults => ["start", "target", "current", "weight"].contains(&column),
            Table::Tasks => ["progress", "quality"].contains(&column),
            _ => false,
        }
    }

    /// The Vietnamese name of the table: a template's sheet name, accepted on import.
    pub(super) fn vietnamese(self) -> &'static str {
        match self {
            Table::Units => "Đơn vị",
            Table::People => "Cán bộ",
            Table::Kpis => "Chỉ số",
            Table::Objectives => "Mục tiêu",
            Table::KeyResults => "Kết quả then chốt",
            Table::Tasks => "Nhiệm vụ",
        }
    }

    /// The English name (`key_results`): a CSV file's name ends in it, a sheet may be named it.
    pub(super) fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("", |(n, _)| *n)
    }

    /// The table a sheet's name holds: the English or the Vietnamese name, case aside.
    pub(super) fn from_sheet_name(name: &str) -> Option<Table> {
        let name = folded(name);
        Self::ALL
            .iter()
            .map(|(_, t)| *t)
            .find(|t| name == t.name() || name == folded(t.vietnamese()))
            .or_else(|| (name == "kpi").then_some(Table::Kpis))
    }

    /// The column a header cell names: the English name or a Vietnamese alias.
    pub(super) fn column(self, header: &str) -> Option<&'static str> {
        let header = folded(header);
        self.columns()
            .iter()
            .copied()
            .find(|c| *c == header || self.aliases(c).iter().any(|a| folded(a) == header))
    }

    /// Vietnamese names of a column, the first one the templates' header.
    pub(super) fn aliases(self, column: &str) -> &'static [&'static str] {
        use Table::*;
        match (self, column) {
            (Units, "id") => &["Mã đơn vị", "Mã"],
            (Units, "name") => &["Tên đơn vị", "Tên"],
            (Units, "level") => &["Cấp"],
            (Units, "parent") => &["Đơn vị cấp trên"],
            (People, "id") => &["Mã cán bộ", "Mã"],
            (People, "name") => &["Họ và tên", "Tên"],
            (People, "unit") => &["Đơn vị"],
            (People, "position") => &["Chức vụ"],
            (Kpis, "code") => &["Mã chỉ số", "Mã"],
            (Kpis, "name") => &["Tên chỉ số", "Tên"],
            (Kpis, "formula") => &["Công thức"],
            (Kpis, "data_source") => &["Nguồn dữ liệu"],
            (Kpis, "unit_of_measure") | (KeyResults, "unit_of_measure") => &["Đơn vị tính"],
            (Kpis, "direction") | (KeyResults, "direction") => &["Chiều đánh giá"],
            (Kpis, "green") => &["Ngưỡng xanh"],
            (Kpis, "red") => &["Ngưỡng đỏ"],
            (Kpis, "green_low") => &["Xanh từ"],
            (Kpis, "green_high") => &["Xanh đến"],
            (Kpis, "red_low") => &["Đỏ dưới"],
            (Kpis, "red_high") => &["Đỏ trên"],
            (Kpis, "frequency") => &["Tần suất"],
            (Kpis, "group") => &["Nhóm"],
            (Kpis, "leading_unit") => &["Đơn vị chủ trì"],
            (Kpis, "coordinating_units") => &["Đơn vị phối hợp"],
            (Kpis, "measured_units") => &["Đơn vị được đo"],
            (Kpis, "expression") => &["Biểu thức"],
            (Kpis, "rollup") => &["Cách tổng hợp"],
            (Objectives, "id") => &["Mã mục tiêu", "Mã"],
            (Objectives, "unit") => &["Đơn vị"],
            (Objectives, "title") => &["Tên mục tiêu", "Tên"],
            (Objectives, "period") => &["Kỳ"],
            (Objectives, "parent") => &["Mục tiêu cấp trên"],
            (Objectives, "owner") => &["Người phụ trách"],
            (Objectives, "weight") | (KeyResults, "weight") => &["Trọng số"],
            (KeyResults, "id") => &["Mã kết quả", "Mã"],
            (KeyResults, "objective") => &["Mục tiêu"],
            (KeyResults, "title") => &["Tên kết quả", "Tên"],
            (KeyResults, "start") => &["Giá trị đầu kỳ"],
            (KeyResults, "target") => &["Giá trị mục tiêu"],
            (KeyResults, "current") => &["Giá trị hiện tại"],
            (Tasks, "id") => &["Mã sự kiện"],
            (Tasks, "at") => &["Thời điểm"],
            (Tasks, "task_id") => &["Mã nhiệm vụ"],
            (Tasks, "title") => &["Tên nhiệm vụ"],
            (Tasks, "responsible") => &["Người thực hiện"],
            (Tasks, "accountable") => &["Người chịu trách nhiệm"],
            (Tasks, "consulted") => &["Người được tham vấn"],
            (Tasks, "informed") => &["Người được thông báo"],
            (Tasks, "key_result") => &["Kết quả then chốt"],
            (Tasks, "start") => &["Ngày bắt đầu"],
            (Tasks, "deadline") => &["Hạn hoàn thành"],
            (Tasks, "expected_output") => &["Sản phẩm đầu ra"],
            (Tasks, "progress") => &["Tiến độ"],
            (Tasks, "status") => &["Trạng thái"],
            (Tasks, "quality") => &["Chất lượng"],
            _ => &[],
        }
    }

    /// The values a list column takes: (wire value, Vietnamese label). The templates offer the
    /// labels in a drop-down; the import takes either.
    pub(super) fn choices(self, column: &str) -> &'static [(&'static str, &'static str)] {
        match (self, column) {
            (Table::Units, "level") => &[
                ("city", "Thành phố"),
                ("department", "Sở"),
                ("agency", "Cơ quan"),
                ("ward", "Phường"),
                ("commune", "Xã"),
                ("division", "Phòng/Ban"),
            ],
            (Table::Kpis, "group") => &[
                ("development", "Kết quả phát triển"),
                ("service", "Phục vụ chính quyền"),
                ("party", "Công tác Đảng"),
                ("internal", "Nội chính, PCTN, dư luận"),
            ],
            (Table::Kpis, "frequency") => &[
                ("daily", "Hằng ngày"),
                ("weekly", "Hằng tuần"),
                ("monthly", "Hằng tháng"),
                ("quarterly", "Hằng quý"),
                ("yearly", "Hằng năm"),
            ],
            (Table::Kpis, "direction") | (Table::KeyResults, "direction") => &[
                ("higher_is_better", "Càng cao càng tốt"),
                ("lower_is_better", "Càng thấp càng tốt"),
                ("in_band", "Trong khoảng"),
            ],
            _ => &[],
        }
    }

    /// A list cell's wire value: a Vietnamese label becomes its value; anything else is left
    /// for the record's own check to accept or refuse.
    fn value<'a>(self, column: &str, cell: &'a str) -> &'a str {
        let wanted = folded(cell);
        self.choices(column)
            .iter()
            .find(|(_, label)| folded(label) == wanted)
            .map_or(cell, |(value, _)| *value)
    }

    /// Columns holding a calendar day: `dd/mm/yyyy` is accepted besides `yyyy-mm-dd`.
    pub(super) fn is_date(self, column: &str) -> bool {
        self == Table::Tasks && ["start", "deadline"].contains(&column)
    }

    /// Columns holding an instant.
    pub(super) fn is_instant(self, column: &str) -> bool {
        self == Table::Tasks && column == "at"
    }

    fn is_list(self, column: &str) -> bool {
        match self {
            Table::Kpis => ["coordinating_units", "measured_units"].contains(&column),
            Table::Tasks => ["consulted", "informed"].contains(&column),
            _ => false,
        }
    }
}

/// The CSV column a wire field path comes from: KPI thresholds are flat columns in CSV.
pub(super) fn column_of(field: &str) -> &str {
    field.strip_prefix("thresholds.").unwrap_or(field)
}

/// Checks a header row (cells trimmed) and names the column of each position: its English
/// name or one of its Vietnamese aliases, case and spacing aside. `None` when any header cell is
/// unknown, repeated or a required column is missing (each reported): every row would fail.
pub(super) fn check_header(
    headers: &[String],
    table: Table,
    origin: Origin,
    found: &mut Found,
) -> Option<Vec<&'static str>> {
    let known = table.columns();
    let before = found.len();
    let mut columns: Vec<&'static str> = Vec::with_capacity(headers.len());
    for (i, name) in headers.iter().enumerate() {
        let column = table.column(name);
        if name.is_empty() {
            found.push((
                origin,
                ItemError::new("", format!("column {} has no name", i + 1)),
            ));
        } else if let Some(column) = column {
            if columns.contains(&column) {
                found.push((
                    origin,
                    ItemError::new(name.as_str(), crate::msg!("import_column_twice")),
                ));
            }
        } else {
            found.push((
                origin,
                ItemError::new(
                    name.as_str(),
                    crate::msg!("import_unknown_column", columns = known.join(", ")),
                ),
            ));
        }
        columns.push(column.unwrap_or(""));
    }
    for name in table.required() {
        if !columns.contains(name) {
            found.push((
                origin,
                ItemError::new(*name, crate::msg!("import_missing_column")),
            ));
        }
    }
    (found.len() == before).then_some(columns)
}

/// Checks one row and, when every cell is good, hands its record to the batch. `cells` are
/// (column, trimmed text) pairs of the non-empty cells.
pub(super) fn load_row(
    table: Table,
    cells: &[(&str, &str)],
    now: &str,
    origin: Origin,
    batch: &mut Batch,
    found: &mut Found,
) {
    let Some(object) = row_object(table, cells, now, origin, found) else {
        return;
    };
    if let Err(e) = batch.accept(table.kind(), Value::Object(object), origin) {
        found.push((origin, e));
    }
}

/// Lower case with single spaces, for comparing names a person typed.
fn folded(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The wire object of one row; `None` when a cell is bad, each bad cell reported.
fn row_object(
    table: Table,
    cells: &[(&str, &str)],
    now: &str,
    origin: Origin,
    found: &mut Found,
) -> Option<Map<String, Value>> {
    let mut object = Map::new();
    let mut thresholds = Map::new();
    let mut bad = false;
    for &(column, cell) in cells {
        let value = if table.is_number(column) {
            match number(cell) {
                Ok(n) => n,
                Err(reason) => {
                    found.push((origin, ItemError::new(column, reason)));
                    bad = true;
                    continue;
                }
            }
        } else if table.is_list(column) {
            Value::Array(
                cell.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            )
        } else if table.is_date(column) {
            Value::String(day_first_date(cell).unwrap_or_else(|| cell.to_string()))
        } else {
            Value::String(table.value(column, cell).to_string())
        };
        if table == Table::Kpis && KPI_THRESHOLDS.contains(&column) {
            thresholds.insert(column.to_string(), value);
        } else if table == Table::Kpis && column == "rollup" {
            // `sum`, `mean`, `min`, `max`, `worst_status` or `weighted_mean:CODE` in a cell.
            if cell.trim().is_empty() {
                continue;
            }
            match crate::domain::aggregate::RollupRule::parse_text(cell.trim()) {
                Ok(rule) => {
                    object.insert(
                        "rollup".to_string(),
                        serde_json::to_value(rule).expect("a roll-up rule serializes"),
                    );
                }
                Err(reason) => {
                    found.push((origin, ItemError::new(column, reason)));
                    bad = true;
                }
            }
        } else {
            object.insert(column.to_string(), value);
        }
    }
    if bad {
        return None;
    }
    if !thresholds.is_empty() {
        object.insert("thresholds".to_string(), Value::Object(thresholds));
    }
    if table == Table::Tasks {
        object.insert("type".to_string(), Value::String("task".to_string()));
        if !object.contains_key("id") {
            let task_id = object
                .get("task_id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            // Event ids are at most 128 characters; the hash covers the whole task id anyway.
            let short: String = task_id.chars().take(100).collect();
            object.insert(
                "id".to_string(),
                Value::String(format!("import:{short}:{:016x}", row_hash(cells))),
            );
        }
        if !object.contains_key("at") {
            object.insert("at".to_string(), Value::String(now.to_string()));
        }
    }
    Some(object)
}

pub(super) fn number(cell: &str) -> Result<Value, crate::i18n::Msg> {
    let x: f64 = cell.parse().map_err(|_| {
        if cell.contains(',') {
            crate::msg!("import_not_number_comma", cell = cell)
        } else {
            crate::msg!("import_not_number", cell = cell)
        }
    })?;
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| format!("'{cell}' is not a finite number").into())
}

/// A hash of a row's non-empty cells that does not depend on column order or on the Rust
/// version (std's hasher may change between releases): FNV-1a, 64 bits.
pub(super) fn row_hash(cells: &[(&str, &str)]) -> u64 {
    let mut sorted = cells.to_vec();
    sorted.sort_unstable();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (column, cell) in sorted {
        for b in column
            .bytes()
            .chain([0x1f])
            .chain(cell.bytes())
            .chain([0x1e])
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// `31/12/2026` (or `1/2/2026`), as Vietnamese offices write dates, as `2026-12-31`.
pub(super) fn day_first_date(cell: &str) -> Option<String> {
    let mut parts = cell.trim().split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
    Some(date.format("%Y-%m-%d").to_string())
}

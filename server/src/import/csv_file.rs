//! CSV files: one kind of record per file, named by the file name, one record per row, the
//! header row naming the fields of the REST wire type.
//!
//! * The file name must end in `units.csv`, `people.csv`, `kpis.csv`, `objectives.csv`,
//!   `key_results.csv` or `tasks.csv` (case does not matter).
//! * Cells are separated by `,`, or by `;` when the header row holds `;` and no `,`. Cells are
//!   trimmed; an empty cell means the field is absent; rows whose cells are all empty are skipped.
//! * Numbers (`start`, `target`, `current`, `weight`, `progress`, `quality` and the KPI
//!   thresholds) are written with a dot for decimals.
//! * Lists (`coordinating_units`, `measured_units`, `consulted`, `informed`) separate their
//!   ids with `;` (quote the cell when the file itself is `;`-separated).
//! * KPI thresholds are the columns `direction` (`higher_is_better`, `lower_is_better`,
//!   `in_band`) with `green,red`, or for `in_band` `green_low,green_high,red_low,red_high`.
//! * `tasks.csv` rows are task events (the task's first row creates it, so it needs `title`,
//!   `responsible` and `deadline`). A row without `id` gets the event id
//!   `import:<task_id>:<16 hex digits hashing the row's non-empty cells>`, so importing the same
//!   file again is reported as duplicates and changes nothing; a row without `at` happened at
//!   the time of the import.
//!
//! A header with an unknown or duplicated column, or without a required one, is reported once
//! on line 1 and the rows are not checked.

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
    const ALL: [(&'static str, Table); 6] = [
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

    fn kind(self) -> Kind {
        match self {
            Table::Units => Kind::Unit,
            Table::People => Kind::Person,
            Table::Kpis => Kind::Kpi,
            Table::Objectives => Kind::Objective,
            Table::KeyResults => Kind::KeyResult,
            Table::Tasks => Kind::Event,
        }
    }

    fn columns(self) -> &'static [&'static str] {
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
    fn required(self) -> &'static [&'static str] {
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

    fn is_number(self, column: &str) -> bool {
        match self {
            Table::Kpis => KPI_THRESHOLDS[1..].contains(&column),
            Table::Objectives => column == "weight",
            Table::KeyResults => ["start", "target", "current", "weight"].contains(&column),
            Table::Tasks => ["progress", "quality"].contains(&column),
            _ => false,
        }
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

pub(super) fn load(
    text: &str,
    table: Table,
    file: usize,
    now: &str,
    batch: &mut Batch,
    found: &mut Found,
) {
    let header_line = Origin {
        file,
        line: 1,
        span: None,
    };
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            found.push((
                at(file, &e).unwrap_or(header_line),
                ItemError::new("", reason(&e)),
            ));
            return;
        }
    };
    if headers.iter().all(str::is_empty) {
        found.push((
            header_line,
            ItemError::new("", "has no header row naming the columns"),
        ));
        return;
    }
    let before = found.len();
    check_header(&headers, table, header_line, found);
    if found.len() > before {
        return;
    }
    let mut lines = Lines::new(text);
    for row in reader.records() {
        let record = match row {
            Ok(r) => r,
            Err(e) => {
                let origin = e.position().map_or(header_line, |p| Origin {
                    file,
                    line: lines.at(p.byte() as usize),
                    span: None,
                });
                found.push((origin, ItemError::new("", reason(&e))));
                if e.is_io_error() {
                    break;
                }
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map_or(0, |p| lines.at(p.byte() as usize));
        let origin = Origin {
            file,
            line,
            span: None,
        };
        let cells: Vec<(&str, &str)> = headers
            .iter()
            .zip(record.iter())
            .filter(|(_, cell)| !cell.is_empty())
            .collect();
        let Some(object) = row_object(table, &cells, now, origin, found) else {
            continue;
        };
        if let Err(e) = batch.accept(table.kind(), Value::Object(object), origin) {
            found.push((origin, e));
        }
    }
}

fn check_header(headers: &csv::StringRecord, table: Table, origin: Origin, found: &mut Found) {
    let known = table.columns();
    for (i, name) in headers.iter().enumerate() {
        if name.is_empty() {
            found.push((
                origin,
                ItemError::new("", format!("column {} has no name", i + 1)),
            ));
        } else if !known.contains(&name) {
            found.push((
                origin,
                ItemError::new(
                    name,
                    format!("is not a column of this file: use {}", known.join(", ")),
                ),
            ));
        } else if headers.iter().take(i).any(|h| h == name) {
            found.push((origin, ItemError::new(name, "appears twice in the header")));
        }
    }
    for name in table.required() {
        if !headers.iter().any(|h| h == *name) {
            found.push((
                origin,
                ItemError::new(*name, "column is missing from the header"),
            ));
        }
    }
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
        } else {
            Value::String(cell.to_string())
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

fn number(cell: &str) -> Result<Value, String> {
    let hint = if cell.contains(',') {
        " (write decimals with a dot)"
    } else {
        ""
    };
    let x: f64 = cell
        .parse()
        .map_err(|_| format!("'{cell}' is not a number{hint}"))?;
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| format!("'{cell}' is not a finite number"))
}

/// A hash of a row's non-empty cells that does not depend on column order or on the Rust
/// version (std's hasher may change between releases): FNV-1a, 64 bits.
fn row_hash(cells: &[(&str, &str)]) -> u64 {
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

/// Line numbers from byte offsets, as an editor counts them: the `csv` crate's own count comes
/// out one too low after Windows line endings (`\r\n`, Excel's default).
struct Lines<'a> {
    text: &'a [u8],
    /// The line holding `byte`, for the last offset asked; records come in order.
    byte: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The 1-based line of the record starting at byte offset `byte`. After `\r\n` the csv
    /// crate starts the next record at the `\n` (it ends records at the `\r`): that `\n` still
    /// belongs to the line before.
    fn at(&mut self, byte: usize) -> usize {
        let mut byte = byte.min(self.text.len());
        if self.text.get(byte) == Some(&b'\n') {
            byte += 1;
        }
        if byte < self.byte {
            self.byte = 0;
            self.line = 1;
        }
        self.line += self.text[self.byte..byte]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.byte = byte;
        self.line
    }
}

fn at(file: usize, e: &csv::Error) -> Option<Origin> {
    e.position().map(|p| Origin {
        file,
        line: p.line() as usize,
        span: None,
    })
}

fn reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("the row has {len} cells but the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_pick_the_table() {
        assert_eq!(Table::from_file_name("units.csv"), Some(Table::Units));
        assert_eq!(
            Table::from_file_name("2026-key_results.csv"),
            Some(Table::KeyResults)
        );
        assert_eq!(Table::from_file_name("hn_tasks.csv"), Some(Table::Tasks));
        assert_eq!(Table::from_file_name("budget.csv"), None);
    }

    #[test]
    fn row_hash_ignores_column_order() {
        let a = [("task_id", "T1"), ("title", "x")];
        let b = [("title", "x"), ("task_id", "T1")];
        assert_eq!(row_hash(&a), row_hash(&b));
        assert_ne!(row_hash(&a), row_hash(&[("task_id", "T1"), ("title", "y")]));
    }

    #[test]
    fn numbers_are_finite_and_dotted() {
        assert!(number("92.5").is_ok());
        assert!(number("92,5").unwrap_err().contains("dot"));
        assert!(number("inf").is_err());
        assert!(number("abc").is_err());
    }
}

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
//! * Headers may be the Vietnamese names of the columns (`Mã đơn vị`, `Cấp`...), and list
//!   columns (level, group, frequency, direction) their Vietnamese labels; dates of tasks may be
//!   `dd/mm/yyyy` (see [`super::table`], shared with XLSX sheets).
//!
//! A header with an unknown or duplicated column, or without a required one, is reported once
//! on line 1 and the rows are not checked.

use super::table::{self, Table};
use super::{Batch, Found, Origin};
use crate::ingest::ItemError;

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
        sheet: None,
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
    let names: Vec<String> = headers.iter().map(str::to_string).collect();
    let Some(columns) = table::check_header(&names, table, header_line, found) else {
        return;
    };
    let mut lines = Lines::new(text);
    for row in reader.records() {
        let record = match row {
            Ok(r) => r,
            Err(e) => {
                let origin = e.position().map_or(header_line, |p| Origin {
                    file,
                    line: lines.at(p.byte() as usize),
                    span: None,
                    sheet: None,
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
            sheet: None,
        };
        let cells: Vec<(&str, &str)> = columns
            .iter()
            .copied()
            .zip(record.iter())
            .filter(|(_, cell)| !cell.is_empty())
            .collect();
        table::load_row(table, &cells, now, origin, batch, found);
    }
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
        sheet: None,
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
    use crate::import::table::{number, row_hash};

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
        assert!(number("92,5").unwrap_err().to_string().contains("dot"));
        assert!(number("inf").is_err());
        assert!(number("abc").is_err());
    }
}

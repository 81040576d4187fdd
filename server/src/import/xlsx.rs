//! XLSX workbooks (read with `calamine`): one sheet per table, named like the CSV files
//! (`units`, `people`, `kpis`, `objectives`, `key_results`, `tasks`) or by their Vietnamese
//! names (`Đơn vị`, `Cán bộ`, `Chỉ số`, `Mục tiêu`, `Kết quả then chốt`, `Nhiệm vụ`); other
//! sheets (notes, lists for drop-downs) are skipped. The first used row of a sheet is its header,
//! with the columns and aliases of [`super::table`].
//!
//! Cells keep their type: a number cell is a number, a date cell a date. Where a sheet holds
//! text instead, numbers may use a decimal comma (`92,5`) and dates of tasks `dd/mm/yyyy`.
//! A problem names the sheet, the row and the column letter of the cell at fault.

use super::table::{self, day_first_date, Table};
use super::{Batch, Found, Origin};
use crate::i18n::Msg;
use crate::ingest::ItemError;
use crate::msg;
use calamine::{Data, Reader};

/// A sheet as read: its name and the column letter of each header, for naming cells.
#[derive(Debug, Clone)]
pub(super) struct SheetColumns {
    pub(super) name: String,
    /// (header as written or its column's English name, column letter).
    letters: Vec<(String, String)>,
    /// (column's English name, header as written), to name a cell as its sheet does.
    headers: Vec<(String, String)>,
}

impl SheetColumns {
    /// The column letter of a field (`thresholds.green` is the `green` column).
    pub(super) fn letter(&self, field: &str) -> Option<String> {
        let field = column_name(field);
        self.letters
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, letter)| letter.clone())
    }

    /// The header of a field's column as the sheet writes it (`Ngưỡng đỏ` for `red`).
    pub(super) fn header(&self, field: &str) -> Option<String> {
        let field = column_name(field);
        self.headers
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, header)| header.clone())
    }
}

/// The column a field path comes from: `coordinating_units[1]` is the `coordinating_units` cell.
fn column_name(field: &str) -> &str {
    let field = table::column_of(field);
    field.split('[').next().unwrap_or(field)
}

/// Excel's name of a 0-based column: A..Z, AA..
fn column_letter(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

pub(super) fn load(
    bytes: Vec<u8>,
    file: usize,
    now: &str,
    batch: &mut Batch,
    found: &mut Found,
) -> Vec<SheetColumns> {
    let whole = Origin {
        file,
        line: 0,
        span: None,
        sheet: None,
    };
    let mut book = match calamine::Xlsx::new(std::io::Cursor::new(bytes)) {
        Ok(book) => book,
        Err(e) => {
            found.push((
                whole,
                ItemError::new(
                    "",
                    format!("is not an XLSX workbook ({e}): save it from Excel as .xlsx"),
                ),
            ));
            return Vec::new();
        }
    };
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let Some(table) = Table::from_sheet_name(&name) else {
            continue;
        };
        let index = sheets.len();
        sheets.push(SheetColumns {
            name: name.clone(),
            letters: Vec::new(),
            headers: Vec::new(),
        });
        let at_sheet = Origin {
            sheet: Some(index),
            ..whole
        };
        let range = match book.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                found.push((at_sheet, ItemError::new("", format!("cannot be read: {e}"))));
                continue;
            }
        };
        let Some((first_row, first_col)) = range.start() else {
            continue;
        };
        let mut rows = range.rows();
        let Some(header) = rows.next() else { continue };
        let header_row = first_row as usize + 1;
        let headers: Vec<String> = header
            .iter()
            .map(|c| c.to_string().trim().to_string())
            .collect();
        let header_origin = Origin {
            line: header_row,
            ..at_sheet
        };
        if headers.iter().all(String::is_empty) {
            found.push((
                header_origin,
                ItemError::new("", "has no header row naming the columns"),
            ));
            continue;
        }
        let mut letters = Vec::new();
        let mut named = Vec::new();
        for (j, h) in headers.iter().enumerate() {
            let letter = column_letter(first_col as usize + j);
            if let Some(column) = table.column(h) {
                letters.push((column.to_string(), letter.clone()));
                named.push((column.to_string(), h.clone()));
            }
            letters.push((h.clone(), letter));
        }
        sheets[index].letters = letters;
        sheets[index].headers = named;
        let Some(columns) = table::check_header(&headers, table, header_origin, found) else {
            continue;
        };
        for (i, row) in rows.enumerate() {
            let origin = Origin {
                line: header_row + 1 + i,
                ..at_sheet
            };
            let mut texts: Vec<(&str, String)> = Vec::new();
            let mut bad = false;
            for (j, cell) in row.iter().enumerate() {
                let column = columns.get(j).copied().unwrap_or("");
                match cell_text(table, column, cell) {
                    Ok(Some(text)) => texts.push((column, text)),
                    Ok(None) => {}
                    Err(reason) => {
                        found.push((origin, ItemError::new(column, reason)));
                        bad = true;
                    }
                }
            }
            if bad || texts.is_empty() {
                continue;
            }
            let cells: Vec<(&str, &str)> = texts.iter().map(|(c, t)| (*c, t.as_str())).collect();
            table::load_row(table, &cells, now, origin, batch, found);
        }
    }
    if sheets.is_empty() {
        let names: Vec<String> = Table::ALL
            .iter()
            .map(|(_, t)| format!("{} ({})", t.name(), t.vietnamese()))
            .collect();
        found.push((
            whole,
            ItemError::new("", msg!("import_no_sheet", names = names.join(", "))),
        ));
    }
    sheets
}

/// The text of one cell as the shared row checks read it; `None` for an empty cell.
fn cell_text(table: Table, column: &str, cell: &Data) -> Result<Option<String>, Msg> {
    let text = match cell {
        Data::Empty => return Ok(None),
        Data::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            if table.is_number(column) {
                decimal_comma(s)
            } else if table.is_date(column) {
                day_first_date(s).unwrap_or_else(|| s.to_string())
            } else {
                s.to_string()
            }
        }
        Data::Float(x) => {
            if table.is_date(column) || table.is_instant(column) {
                return Err(msg!("import_number_not_date", cell = x.to_string()));
            }
            if x.fract() == 0.0 && x.abs() < 1e15 {
                format!("{}", *x as i64)
            } else {
                x.to_string()
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            let Some(when) = dt.as_datetime() else {
                return Err("is not a date Excel can read".into());
            };
            if table.is_number(column) {
                return Err(msg!(
                    "import_date_not_number",
                    cell = when.format("%d/%m/%Y").to_string()
                ));
            }
            if table.is_instant(column) {
                // Offices write local times: Vietnam keeps UTC+7 all year.
                when.format("%Y-%m-%dT%H:%M:%S+07:00").to_string()
            } else {
                when.format("%Y-%m-%d").to_string()
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(msg!("import_cell_error", error = e.to_string())),
    };
    Ok(Some(text))
}

/// `92,5` as `92.5`, where a sheet holds a number as text written the Vietnamese way.
fn decimal_comma(s: &str) -> String {
    let is_comma_decimal = s.matches(',').count() == 1
        && !s.contains('.')
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '-');
    if is_comma_decimal {
        s.replace(',', ".")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_go_past_z() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }

    #[test]
    fn text_numbers_take_a_decimal_comma() {
        assert_eq!(decimal_comma("92,5"), "92.5");
        assert_eq!(decimal_comma("92.5"), "92.5");
        assert_eq!(decimal_comma("1,234.5"), "1,234.5");
    }
}

//! The import template (`GET /api/v1/import/template.xlsx`): one workbook with a sheet per
//! table under its Vietnamese name, the columns' Vietnamese headers (required ones shaded
//! orange), and drop-down lists for levels, groups, frequencies and directions read from a sheet
//! of lists, so what an office fills in is what the import accepts.

use super::table::Table;
use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook, XlsxError};

/// Rows of a sheet that carry the drop-down lists (the header is row 1).
const LIST_ROWS: u32 = 5_000;
/// The sheet holding the lists' values; the import skips it (no table has this name).
const LISTS: &str = "Danh sách";

/// The template workbook's bytes.
pub fn workbook() -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let header = Format::new().set_bold().set_background_color(0xDDEBF7);
    let required = Format::new().set_bold().set_background_color(0xFCE4D6);
    // Each list's column on the lists sheet, by (table, column).
    let mut lists: Vec<(Table, &'static str, u16, usize)> = Vec::new();
    for (_, table) in Table::ALL {
        for column in table.columns() {
            let choices = table.choices(column);
            if !choices.is_empty() && !lists.iter().any(|l| l.0 == table && l.1 == *column) {
                let at = lists.len() as u16;
                lists.push((table, *column, at, choices.len()));
            }
        }
    }
    for (_, table) in Table::ALL {
        let sheet = book.add_worksheet();
        sheet.set_name(table.vietnamese())?;
        for (j, column) in table.columns().iter().enumerate() {
            let j = j as u16;
            let title = table.aliases(column).first().copied().unwrap_or(*column);
            let format = if table.required().contains(column) {
                &required
            } else {
                &header
            };
            sheet.write_string_with_format(0, j, title, format)?;
            sheet.set_column_width(j, (title.chars().count() as f64 + 4.0).max(14.0))?;
            if let Some((_, _, at, n)) = lists.iter().find(|l| l.0 == table && l.1 == *column) {
                let letter = (b'A' + *at as u8) as char;
                let range = format!("='{LISTS}'!${letter}$2:${letter}${}", n + 1);
                let rule = DataValidation::new()
                    .allow_list_formula(Formula::new(range))
                    .set_error_message("Chọn một giá trị trong danh sách")?;
                sheet.add_data_validation(1, j, LIST_ROWS, j, &rule)?;
            }
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    let sheet = book.add_worksheet();
    sheet.set_name(LISTS)?;
    for (table, column, at, _) in &lists {
        let title = table.aliases(column).first().copied().unwrap_or(*column);
        sheet.write_string_with_format(0, *at, title, &header)?;
        sheet.set_column_width(*at, 28)?;
        for (i, (_, label)) in table.choices(column).iter().enumerate() {
            sheet.write_string(i as u32 + 1, *at, *label)?;
        }
    }
    book.save_to_buffer()
}

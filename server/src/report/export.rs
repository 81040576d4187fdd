//! The review as files: one table as CSV (UTF-8 with a byte-order mark so Excel reads the
//! diacritics), every table as one XLSX workbook (a sheet each, numbers as numbers), and the
//! names the files go by. CPU work: callers on the runtime use a blocking thread.

use super::lang::{no_evaluation, period_title, pick, Lang};
use super::review::Review;
use super::tables::{table, Cell, Table};
use super::ReportError;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The title row of a workbook sheet and the heading of the page.
pub fn title(r: &Review, lang: Lang) -> String {
    format!(
        "{} · {} · {} · {} {}",
        pick(lang, "Báo cáo giao ban", "Review meeting report"),
        r.unit.name,
        period_title(r.kind, &r.period, lang),
        pick(lang, "số liệu lúc", "as of"),
        as_of(&r.as_of, lang)
    )
}

/// `2026-11-20T10:00:00.000+07:00` as `10:00 20/11/2026` (vi) or `2026-11-20 10:00` (en).
pub fn as_of(ts: &str, lang: Lang) -> String {
    let part = |a: usize, b: usize| ts.get(a..b).unwrap_or("");
    match lang {
        Lang::Vi => format!(
            "{} {}/{}/{}",
            part(11, 16),
            part(8, 10),
            part(5, 7),
            part(0, 4)
        ),
        Lang::En => format!("{} {}", part(0, 10), part(11, 16)),
    }
}

/// A file name for the unit and period: `hn.p-hoankiem_2026-11`, then a suffix; anything but
/// letters, digits, `.`, `-` and `_` becomes `_`.
pub fn file_stem(r: &Review) -> String {
    format!("{}_{}", r.unit.id, r.period)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One table as CSV: BOM, header row in `lang`, CRLF lines. Numbers are written as the JSON
/// has them (a dot for decimals, shares 0..1) so a program reads them back exactly.
pub fn csv(r: &Review, t: Table, lang: Lang) -> Vec<u8> {
    let sheet = table(r, t, lang);
    let mut out = String::from("\u{feff}");
    let line = |out: &mut String, cells: Vec<String>| {
        let quoted: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    };
    line(
        &mut out,
        sheet.headers.iter().map(|h| h.to_string()).collect(),
    );
    for row in &sheet.rows {
        line(&mut out, row.iter().map(raw).collect());
    }
    out.into_bytes()
}

fn raw(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Num(x) | Cell::Share(x) | Cell::Points(x) => x.to_string(),
        Cell::Empty | Cell::NoData => String::new(),
    }
}

/// RFC 4180 quoting; a field a spreadsheet would run as a formula gets a leading apostrophe.
fn csv_field(s: &str) -> String {
    // A cell a spreadsheet would run as a formula (OWASP's list) is made text.
    let s = if s.starts_with(['=', '+', '@', '\t', '\r'])
        || (s.starts_with('-') && s.parse::<f64>().is_err())
    {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Every table in one workbook: a sheet per table, the title row (unit, period, as-of time)
/// first, the bold header row second, the data under it.
pub fn xlsx(r: &Review, lang: Lang) -> Result<Vec<u8>, ReportError> {
    build_xlsx(r, lang).map_err(|e| ReportError::Internal(format!("writing the workbook: {e}")))
}

/// The row the header is on (0-based); data starts on the next.
pub const XLSX_HEADER_ROW: u32 = 1;

fn build_xlsx(r: &Review, lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let title_format = Format::new().set_bold().set_font_size(13);
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let heading = title(r, lang);
    for t in Table::ALL {
        let sheet = table(r, t, lang);
        let ws = book.add_worksheet();
        ws.set_name(t.title(lang))?;
        ws.write_string_with_format(0, 0, &heading, &title_format)?;
        for (c, (h, w)) in sheet.headers.iter().zip(&sheet.widths).enumerate() {
            let c = c as u16;
            ws.write_string_with_format(XLSX_HEADER_ROW, c, *h, &bold)?;
            ws.set_column_width(c, *w)?;
        }
        ws.set_freeze_panes(XLSX_HEADER_ROW + 1, 0)?;
        for (i, row) in sheet.rows.iter().enumerate() {
            let y = XLSX_HEADER_ROW + 1 + i as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(y, c, s)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(y, c, *n as f64)?;
                    }
                    Cell::Num(x) => {
                        ws.write_number(y, c, *x)?;
                    }
                    Cell::Share(x) | Cell::Points(x) => {
                        ws.write_number_with_format(y, c, *x, &percent)?;
                    }
                    Cell::Empty | Cell::NoData => {}
                }
            }
        }
        if t == Table::Evaluation && r.evaluation.is_none() {
            ws.write_string(XLSX_HEADER_ROW + 1, 0, no_evaluation(lang))?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Sở Tài chính"), "Sở Tài chính");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-15"), "-15");
        assert_eq!(csv_field("-x"), "'-x");
        assert_eq!(csv_field("\t=1"), "'\t=1");
    }

    #[test]
    fn as_of_reads_as_a_local_time() {
        let t = "2026-11-20T10:00:00.000+07:00";
        assert_eq!(as_of(t, Lang::Vi), "10:00 20/11/2026");
        assert_eq!(as_of(t, Lang::En), "2026-11-20 10:00");
    }
}

//! A unit's month as published at its close: the page, the CSV and the workbook.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_xlsxwriter::{Format, FormatBorder, Workbook, Worksheet, XlsxError};

use super::print::escape;
use super::wire::{PublicKpi, PublicMonthSummary};
use crate::i18n::Lang;

/// Every word a reader sees is a [Vietnamese, English] pair indexed by [`ix`], so the
/// Vietnamese page has no way to show an English word.
type Words = [&'static str; 2];
const RATINGS: Words = ["Lượt đánh giá", "Ratings"];
const AVERAGE: Words = ["Điểm trung bình", "Average score"];
const AVERAGE_1_5: Words = ["Điểm trung bình (1–5)", "Average score (1–5)"];
const SATISFIED: Words = ["Hài lòng (4–5 sao)", "Satisfied (4–5 stars)"];
const PREV_COUNT: Words = ["Lượt đánh giá tháng trước", "Ratings, last month"];
const PREV_AVERAGE: Words = ["Điểm trung bình tháng trước", "Average score, last month"];
const SATISFACTION: Words = ["Hài lòng", "PublicSatisfaction"];
const SAT_HEAD: Words = ["Mức độ hài lòng của người dân", "Citizen satisfaction"];
const BY_STARS: Words = ["Số lượt đánh giá theo số sao", "Ratings by number of stars"];
const STARS: Words = ["Số sao", "Stars"];
const SHARE: Words = ["Tỉ lệ", "Share"];
const SERVICE: Words = ["Dịch vụ", "Service"];
const BY_SERVICE: Words = ["Theo dịch vụ", "By service"];
const NOT_RATED: Words = ["chưa có", "none"];
const NO_RATINGS: Words = [
    "Trong tháng chưa có lượt đánh giá nào.",
    "No ratings this month.",
];
const KPI: Words = ["Chỉ tiêu", "KPI"];
const KPIS: Words = ["Chỉ tiêu", "KPIs"];
const KPI_HEAD: Words = ["Chỉ tiêu công khai", "Public indicators"];
const NO_KPIS: Words = [
    "Chưa có chỉ tiêu nào được công khai.",
    "No indicators are published.",
];
const AS_OF: Words = ["Kết quả đến hết", "Results at the end of"];
const INDICATOR: Words = ["Chỉ tiêu", "Indicator"];
const VALUE: Words = ["Giá trị", "Value"];
const UOM: Words = ["Đơn vị tính", "Unit of measure"];
const PERIOD: Words = ["Kỳ số liệu", "Period"];
const STATUS: Words = ["Đánh giá", "Status"];
const THRESHOLDS: Words = ["Ngưỡng", "Thresholds"];
/// The one satisfaction figure with a unit of measure.
const PERCENT: &str = "satisfied_percent";
const CODE: Words = ["Mã", "Code"];
const FIGURE: Words = ["Chỉ số", "Figure"];
const GENERATED: Words = ["Lập lúc", "Generated"];
const NOTE: Words = [
    "Hài lòng: đánh giá 4 hoặc 5 sao. Số liệu công bố khi kết thúc tháng bởi",
    "Satisfied means a rating of 4 or 5 stars. Published at the close of the month by",
];
/// Comma-separated, in the two languages; the column order is the same.
const CSV_HEADER: Words = [
    "Đơn vị,Tháng,Mục,Mã,Tên,Số lượt,Giá trị,Đơn vị tính,Kỳ,Trạng thái,Ngưỡng",
    "Unit,Month,Section,Code,Name,Count,Value,Unit of measure,Period,Status,Thresholds",
];
fn ix(lang: Lang) -> usize {
    usize::from(lang == Lang::En)
}

/// Vietnamese writes 1.234,5 and English 1,234.5.
fn num(v: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    let (group, point) = [('.', ','), (',', '.')][ix(lang)];
    // No "-0,0" when a tiny negative rounds to zero.
    let negative = v < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let mut out = String::from(if negative { "-" } else { "" });
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

fn count(n: i64, lang: Lang) -> String {
    num(n as f64, 0, lang)
}

/// A KPI value: as many decimals as it has, at most two.
fn value(v: f64, lang: Lang) -> String {
    let s = num(v, 2, lang);
    let s = s.trim_end_matches('0');
    s.strip_suffix([',', '.']).unwrap_or(s).to_string()
}

fn avg5(v: Option<f64>, lang: Lang) -> String {
    v.map_or("—".into(), |a| format!("{}/5", num(a, 1, lang)))
}

fn stars(n: usize, lang: Lang) -> String {
    let word = ["sao", if n == 1 { "star" } else { "stars" }][ix(lang)];
    format!("{n} {word}")
}

/// `2026-11` as "tháng 11/2026" or "November 2026"; anything else is shown as given.
fn month_words(ym: &str, lang: Lang) -> String {
    match NaiveDate::parse_from_str(&format!("{ym}-01"), "%Y-%m-%d") {
        Ok(d) if lang == Lang::Vi => format!("tháng {}", d.format("%-m/%Y")),
        Ok(d) => d.format("%B %Y").to_string(),
        Err(_) => ym.to_string(),
    }
}

/// A KPI period (`2026-11`, `2026-W48`, `2026-Q4`, `2026`) in words, so no "W48" reaches a
/// Vietnamese reader.
fn period_words(p: &str, lang: Lang) -> String {
    let vi = lang == Lang::Vi;
    match p.split_once('-') {
        None if vi => format!("Năm {p}"),
        None => p.to_string(),
        Some((y, r)) => match (r.strip_prefix('W'), r.strip_prefix('Q')) {
            (Some(n), _) if vi => format!("Tuần {n}/{y}"),
            (Some(n), _) => format!("Week {n}, {y}"),
            (_, Some(n)) if vi => format!("Quý {n}/{y}"),
            (_, Some(n)) => format!("Q{n} {y}"),
            _ if vi => format!("{r}/{y}"),
            _ => month_words(p, lang),
        },
    }
}

/// The clock and date people read ("00:05 01/12/2026"). Vietnam keeps +07:00 all year, so
/// whatever offset the server wrote, the instant is shown at +07:00.
fn generated_words(at: &str, lang: Lang) -> String {
    let label = GENERATED[ix(lang)];
    let vietnam = FixedOffset::east_opt(7 * 3600).expect("a valid offset");
    match DateTime::parse_from_rfc3339(at) {
        Ok(t) => {
            let format = ["%H:%M %d/%m/%Y", "%H:%M, %-d %B %Y"][ix(lang)];
            format!("{label} {}", t.with_timezone(&vietnam).format(format))
        }
        Err(_) => format!("{label} {at}"),
    }
}

/// The mark keeps the status readable on a black-and-white print.
fn status_words(status: &str, lang: Lang) -> (&'static str, &'static str) {
    let (mark, words) = match status {
        "green" => ("✓", ["Đạt", "Met"]),
        "yellow" => ("!", ["Cần chú ý", "Needs attention"]),
        "red" => ("✗", ["Chưa đạt", "Not met"]),
        _ => ("–", ["Chưa có số liệu", "No data"]),
    };
    (mark, words[ix(lang)])
}

fn title(s: &PublicMonthSummary, lang: Lang) -> String {
    let when = month_words(&s.month, lang);
    match lang {
        Lang::Vi => format!("Kết quả phục vụ người dân {when}"),
        Lang::En => format!("Public service results, {when}"),
    }
}

/// "tăng 0,2 điểm so với tháng trước", compared on the rounded figures people see.
fn comparison(s: &PublicMonthSummary, lang: Lang) -> Option<String> {
    let (now, before) = (s.satisfaction.average?, s.satisfaction.previous_average?);
    let diff = (now * 10.0).round() - (before * 10.0).round();
    let size = num(diff.abs() / 10.0, 1, lang);
    let way = if diff > 0.0 {
        ["tăng", "up"]
    } else {
        ["giảm", "down"]
    };
    Some(match lang {
        _ if diff == 0.0 => ["không đổi so với tháng trước", "same as last month"][ix(lang)].into(),
        Lang::Vi => format!("{} {size} điểm so với tháng trước", way[0]),
        Lang::En => format!("{} {size} points on last month", way[1]),
    })
}

/// A share as a bar: an SVG, so its length can be an attribute (the CSP forbids style="").
fn bar(percent: f64) -> String {
    format!(
        "<svg class=\"bar\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" aria-hidden=\"true\">\
         <rect width=\"100\" height=\"10\" fill=\"#e4e4e4\"/>\
         <rect width=\"{percent:.1}\" height=\"10\" fill=\"#333\"/></svg>"
    )
}

/// A table whose column headings are given as `(label, is_number)`; the first cell of each
/// row (already HTML) heads the row. It scrolls sideways on a phone rather than squeeze the
/// KPI names to a word a line, so the box is a named, focusable region for keyboard users.
fn table(class: &str, caption: &str, cols: &[(&str, bool)], rows: &str) -> String {
    let mut h = format!(
        "<div class=\"scroll {class}\" role=\"region\" tabindex=\"0\" aria-label=\"{caption}\">\n\
         <table>\n<caption>{caption}</caption>\n<thead><tr>"
    );
    for (label, number) in cols {
        let class = if *number { " class=\"num\"" } else { "" };
        let _ = write!(h, "<th scope=\"col\"{class}>{label}</th>");
    }
    h + "</tr></thead>\n<tbody>\n" + rows + "</tbody>\n</table>\n</div>\n"
}

/// The month's page: a whole, accessible HTML document styled only by `/css/summary.css`
/// ([`SUMMARY_CSS`]), since the server's CSP refuses inline styles.
pub fn html(s: &PublicMonthSummary, lang: Lang) -> String {
    let (i, sat) = (ix(lang), &s.satisfaction);
    let code = ["vi", "en"][i];
    let unit = escape(&s.unit.name);
    let head = escape(&title(s, lang));
    let parent = s
        .unit
        .parent_name
        .iter()
        .map(|p| format!(", {}", escape(p)));
    let parent: String = parent.collect();
    let made = escape(&generated_words(&s.generated_at, lang));
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{head} · {unit}</title>\n<link rel=\"stylesheet\" href=\"/css/summary.css\">\n\
         </head>\n<body>\n<header>\n<h1>{head}</h1>\n<p class=\"unit\">{unit}{parent}</p>\n\
         <p class=\"generated\">{made}</p>\n</header>\n<main>\n"
    );

    let delta = comparison(s, lang).map(|c| format!("<span class=\"delta\">{c}</span>"));
    let delta = delta.unwrap_or_default();
    let n = count(sat.count, lang);
    let avg = avg5(sat.average, lang);
    let pct = sat.satisfied_percent.map(|p| num(p, 1, lang) + "%");
    let pct = pct.unwrap_or("—".into());
    let prev_n = count(sat.previous_count, lang);
    let prev_avg = avg5(sat.previous_average, lang);
    let previous = match lang {
        Lang::Vi => format!("Tháng trước: {prev_n} lượt đánh giá, điểm trung bình {prev_avg}."),
        Lang::En => format!("Last month: {prev_n} ratings, average score {prev_avg}."),
    };
    let [sh, l1, l2, l3] = [SAT_HEAD[i], RATINGS[i], AVERAGE[i], SATISFIED[i]];
    let _ = write!(
        h,
        "<section aria-labelledby=\"sat\">\n<h2 id=\"sat\">{sh}</h2>\n<dl class=\"figures\">\n\
         <div><dt>{l1}</dt><dd>{n}</dd></div>\n<div><dt>{l2}</dt><dd>{avg} {delta}</dd></div>\n\
         <div><dt>{l3}</dt><dd>{pct}</dd></div>\n</dl>\n<p class=\"previous\">{previous}</p>\n"
    );
    if sat.count == 0 {
        let _ = writeln!(h, "<p>{}</p>", NO_RATINGS[i]);
    } else {
        let mut rows = String::new();
        for star in (1..=5).rev() {
            let n = sat.stars[star - 1];
            let share = 100.0 * n as f64 / sat.count as f64;
            let (label, n) = (stars(star, lang), count(n, lang));
            let (pct, bar) = (num(share, 1, lang), bar(share));
            let _ = writeln!(
                rows,
                "<tr><th scope=\"row\">{label}</th><td class=\"num\">{n}</td>\
                 <td class=\"num\">{pct}%{bar}</td></tr>"
            );
        }
        let cols = [(STARS[i], false), (RATINGS[i], true), (SHARE[i], true)];
        h += &table("stars", BY_STARS[i], &cols, &rows);
    }
    if !sat.services.is_empty() {
        let mut rows = String::new();
        for f in &sat.services {
            let (name, n) = (escape(&f.name), count(f.count, lang));
            let avg = f.average.map(|a| avg5(Some(a), lang));
            let avg = avg.unwrap_or(NOT_RATED[i].into());
            let _ = writeln!(
                rows,
                "<tr><th scope=\"row\">{name}</th><td class=\"num\">{n}</td><td class=\"num\">{avg}</td></tr>"
            );
        }
        let cols = [(SERVICE[i], false), (RATINGS[i], true), (AVERAGE[i], true)];
        h += &table("services", BY_SERVICE[i], &cols, &rows);
    }

    let kh = KPI_HEAD[i];
    let _ = writeln!(
        h,
        "</section>\n<section aria-labelledby=\"kpi\">\n<h2 id=\"kpi\">{kh}</h2>"
    );
    if s.kpis.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", NO_KPIS[i]);
    } else {
        let mut rows = String::new();
        for k in &s.kpis {
            let (mark, word) = status_words(&k.status, lang);
            let class = if mark == "–" { "none" } else { &k.status };
            let v = match (k.value, k.unit_of_measure.as_str()) {
                (None, _) => "—".to_string(),
                (Some(v), uom @ ("" | "%")) => value(v, lang) + uom,
                (Some(v), uom) => format!("{} {uom}", value(v, lang)),
            };
            let period = k.period.as_ref().map(|p| escape(&period_words(p, lang)));
            let (name, v, period) = (escape(&k.name), escape(&v), period.unwrap_or("—".into()));
            // Each rule stays on one line ("đỏ khi" apart from "< 85" reads as a different rule).
            let rules = k
                .thresholds
                .split("; ")
                .map(|r| format!("<span>{}</span>", escape(r)));
            let thresholds = rules.collect::<Vec<_>>().join("; ");
            let _ = writeln!(
                rows,
                "<tr><th scope=\"row\">{name}</th><td class=\"num\">{v}</td><td class=\"period\">{period}</td>\
                 <td class=\"status s-{class}\"><span aria-hidden=\"true\">{mark}</span> {word}</td>\
                 <td class=\"rules\">{thresholds}</td></tr>"
            );
        }
        let caption = format!("{} {}", AS_OF[i], escape(&month_words(&s.month, lang)));
        let cols = [INDICATOR, VALUE, PERIOD, STATUS, THRESHOLDS].map(|c| (c[i], c == VALUE));
        h += &table("kpis", &caption, &cols, &rows);
    }
    let note = NOTE[i];
    h + &format!(
        "</section>\n</main>\n<footer>\n<p>{note} {unit}.</p>\n</footer>\n</body>\n</html>\n"
    )
}

/// One line of figures as the CSV and the workbook list them: a count, a value or, for a
/// service, both.
struct Figure {
    code: String,
    name: String,
    count: Option<i64>,
    value: Option<f64>,
}

fn fig(code: &str, name: &str, count: Option<i64>, value: Option<f64>) -> Figure {
    let (code, name) = (code.to_string(), name.to_string());
    Figure {
        code,
        name,
        count,
        value,
    }
}

/// The month's satisfaction figures, then one line a service.
fn figures(s: &PublicMonthSummary, lang: Lang) -> (Vec<Figure>, Vec<Figure>) {
    let (i, sat) = (ix(lang), &s.satisfaction);
    let mut v = vec![fig("count", RATINGS[i], Some(sat.count), None)];
    v.push(fig("average", AVERAGE_1_5[i], None, sat.average));
    v.push(fig(PERCENT, SATISFIED[i], None, sat.satisfied_percent));
    for n in (1..=5).rev() {
        let (code, name) = (format!("stars_{n}"), stars(n, lang));
        v.push(fig(&code, &name, Some(sat.stars[n - 1]), None));
    }
    v.push(fig(
        "previous_count",
        PREV_COUNT[i],
        Some(sat.previous_count),
        None,
    ));
    v.push(fig(
        "previous_average",
        PREV_AVERAGE[i],
        None,
        sat.previous_average,
    ));
    let services = sat.services.iter();
    let services = services.map(|f| fig(&f.code, &f.name, Some(f.count), f.average));
    (v, services.collect())
}

/// Spreadsheet programs run a cell starting with = + - @ as a formula; names come from admins'
/// input, so such text gets a leading apostrophe (OWASP's advice). Numbers are not touched.
fn text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// The month as one CSV table (UTF-8 with a BOM so Excel reads the diacritics, CRLF as RFC 4180
/// says); a section column tells the satisfaction figures, the services and the KPIs apart,
/// and numbers use a dot with no grouping so programs read them whatever the language.
pub fn csv(s: &PublicMonthSummary, lang: Lang) -> Vec<u8> {
    let i = ix(lang);
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut builder = csv::WriterBuilder::new();
    let crlf = builder.terminator(csv::Terminator::CRLF);
    let mut w = crlf.from_writer(&mut out);
    // Writing to memory cannot fail, and every record has the header's width.
    let ok = "CSV into memory";
    w.write_record(CSV_HEADER[i].split(',')).expect(ok);
    let (sat, services) = figures(s, lang);
    let kpis = s
        .kpis
        .iter()
        .map(|k| (KPI, fig(&k.code, &k.name, None, k.value), Some(k)));
    let sat = sat.into_iter().map(|f| (SATISFACTION, f, None));
    let services = services.into_iter().map(|f| (SERVICE, f, None));
    for (section, f, k) in sat.chain(services).chain(kpis) {
        let k: Option<&PublicKpi> = k;
        let count = f.count.map(|c| c.to_string()).unwrap_or_default();
        let value = f.value.filter(|v| v.is_finite()).map(|v| v.to_string());
        let value = value.unwrap_or_default();
        let uom = k.map_or(if f.code == PERCENT { "%" } else { "" }, |k| {
            &k.unit_of_measure
        });
        let period = k.and_then(|k| k.period.clone()).unwrap_or_default();
        let status = k.map_or("", |k| status_words(&k.status, lang).1);
        let thresholds = k.map(|k| text(&k.thresholds)).unwrap_or_default();
        let (unit, month, section) = (text(&s.unit.id), s.month.as_str(), section[i]);
        let (code, name, uom) = (text(&f.code), text(&f.name), text(uom));
        let row = [&unit, month, section, &code, &name, &count, &value, &uom];
        let row = row
            .into_iter()
            .chain([period.as_str(), status, &thresholds]);
        w.write_record(row).expect(ok);
    }
    w.flush().expect(ok);
    drop(w);
    out
}

/// A bold header row, which also sets the columns' widths.
fn header(ws: &mut Worksheet, row: u32, cols: &[(&str, f64)]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold().set_text_wrap();
    let bold = bold.set_border_bottom(FormatBorder::Thin);
    for (c, (label, width)) in (0u16..).zip(cols) {
        ws.write_string_with_format(row, c, *label, &bold)?;
        ws.set_column_width(c, *width)?;
    }
    Ok(())
}

/// The title and the time it was made, above each sheet.
fn top(ws: &mut Worksheet, s: &PublicMonthSummary, lang: Lang) -> Result<(), XlsxError> {
    let heading = format!("{} · {}", title(s, lang), s.unit.name);
    let big = Format::new().set_bold().set_font_size(14);
    ws.write_string_with_format(0, 0, heading, &big)?;
    ws.write_string(1, 0, generated_words(&s.generated_at, lang))?;
    Ok(())
}

/// No figure stays an empty cell, so sums and charts over the column still work. Averages and
/// percentages keep one decimal even when whole ("4,0"); counts are grouped.
fn number(ws: &mut Worksheet, r: u32, c: u16, v: Option<f64>, one: bool) -> Result<(), XlsxError> {
    let format = Format::new().set_num_format(if one { "0.0" } else { "#,##0" });
    if let Some(v) = v.filter(|v| v.is_finite()) {
        ws.write_number_with_format(r, c, v, &format)?;
    }
    Ok(())
}

/// The month as a workbook: the satisfaction figures and services on one sheet, the KPIs on
/// another, every figure a number cell (formatted, never turned into text).
pub fn xlsx(s: &PublicMonthSummary, lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let i = ix(lang);
    let (sat, services) = figures(s, lang);
    let mut wb = Workbook::new();

    let ws = wb.add_worksheet().set_name(SATISFACTION[i])?;
    top(ws, s, lang)?;
    header(ws, 3, &[(FIGURE[i], 42.0), (VALUE[i], 16.0)])?;
    let mut r = 3;
    for f in sat {
        r += 1;
        let pct = if f.code == PERCENT { " (%)" } else { "" };
        ws.write_string(r, 0, f.name + pct)?;
        let v = f.count.map(|c| c as f64).or(f.value);
        number(ws, r, 1, v, f.count.is_none())?;
    }
    r += 2;
    let cols = [SERVICE, RATINGS, AVERAGE, CODE].map(|c| c[i]);
    header(
        ws,
        r,
        &cols
            .into_iter()
            .zip([42.0, 16.0, 16.0, 16.0])
            .collect::<Vec<_>>(),
    )?;
    for f in services {
        r += 1;
        ws.write_string(r, 0, f.name)?;
        number(ws, r, 1, f.count.map(|c| c as f64), false)?;
        number(ws, r, 2, f.value, true)?;
        ws.write_string(r, 3, f.code)?;
    }

    let ws = wb.add_worksheet().set_name(KPIS[i])?;
    top(ws, s, lang)?;
    let cols = [INDICATOR, VALUE, UOM, PERIOD, STATUS, THRESHOLDS, CODE].map(|c| c[i]);
    let widths = [42.0, 12.0, 14.0, 12.0, 18.0, 40.0, 12.0];
    header(ws, 3, &cols.into_iter().zip(widths).collect::<Vec<_>>())?;
    ws.set_freeze_panes(4, 0)?;
    for (r, k) in (4u32..).zip(&s.kpis) {
        ws.write_string(r, 0, &k.name)?;
        if let Some(v) = k.value.filter(|v| v.is_finite()) {
            ws.write_number(r, 1, v)?;
        }
        ws.write_string(r, 2, &k.unit_of_measure)?;
        ws.write_string(r, 3, k.period.as_deref().unwrap_or(""))?;
        ws.write_string(r, 4, status_words(&k.status, lang).1)?;
        ws.write_string(r, 5, &k.thresholds)?;
        ws.write_string(r, 6, &k.code)?;
    }
    wb.save_to_buffer()
}

pub const SUMMARY_CSS: &str = include_str!("../../../dashboard-web/css/summary.css");

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;

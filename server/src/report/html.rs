//! The review as one printable HTML page: Vietnamese first (English on request), A4 print
//! styles, the charts inline as SVG so a printed or saved page is whole. The page obeys the
//! server's Content-Security-Policy: no inline script, no `style` attribute; plotters' SVG uses
//! presentation attributes only. Every text from the data is escaped here.

use super::charts::Chart;
use super::export::{as_of, title};
use super::lang::{no_evaluation, period_title, pick, Lang};
use super::review::Review;
use super::tables::{evaluation_rows, figure_rows, format_cell, table, Cell, Sheet, Table};
use std::fmt::Write;

/// The page's styles, also served as `/css/report.css`.
pub const CSS: &str = include_str!("../../../dashboard-web/css/report.css");

/// Where the page finds its styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Styles {
    /// `<link>` to `/css/report.css`: the server's page, under its CSP.
    Linked,
    /// In a `<style>` element: a file written by `ioc report`, read without the server.
    Embedded,
}

pub use crate::i18n::escape_html as escape;

/// The page. `charts` are the review's SVG charts (drawn by `charts::render`), in order.
pub fn page(r: &Review, charts: &[(Chart, String)], lang: Lang, styles: Styles) -> String {
    let t = |vi: &'static str, en: &'static str| pick(lang, vi, en);
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n",
        lang.code(),
        escape(&title(r, lang))
    );
    match styles {
        Styles::Linked => h.push_str("<link rel=\"stylesheet\" href=\"/css/report.css\">\n"),
        Styles::Embedded => {
            let _ = write!(h, "<style>\n{CSS}</style>\n");
        }
    }
    h.push_str("</head>\n<body class=\"report\">\n<header class=\"report-head\">\n");
    let _ = write!(
        h,
        "<p class=\"kicker\">{}</p>\n<h1>{}</h1>\n<p class=\"period\">{} <span class=\"label\">({})</span> {} {} <span class=\"label\">({})</span></p>\n<p class=\"as-of\">{} {}</p>\n</header>\n",
        t("Báo cáo giao ban", "Review meeting report"),
        escape(&r.unit.name),
        escape(&period_title(r.kind, &r.period, lang)),
        escape(&r.period),
        t("so với", "against"),
        escape(&period_title(r.kind, &r.previous_period, lang)),
        escape(&r.previous_period),
        t("Số liệu lúc", "Figures as of"),
        escape(&as_of(&r.as_of, lang)),
    );

    let this = lang.this_period(r.kind);
    let last = lang.last_period(r.kind);
    section(&mut h, t("Tổng hợp", "Summary"), "summary");
    grid(
        &mut h,
        &[t("Nội dung", "Figure"), this, last, t("Thay đổi", "Change")],
        &figure_rows(r, lang),
        lang,
    );
    h.push_str("</section>\n");

    section(&mut h, t("Biểu đồ", "Charts"), "charts");
    for (chart, svg) in charts {
        let _ = write!(
            h,
            "<figure class=\"chart chart-{}\">\n{}\n</figure>\n",
            chart.name(),
            svg.trim()
        );
    }
    h.push_str("</section>\n");

    for tbl in [Table::Kpis, Table::KeyResults, Table::Units, Table::Overdue] {
        let sheet = table(r, tbl, lang);
        section(&mut h, tbl.title(lang), tbl.name());
        if tbl == Table::KeyResults && r.key_results_total > r.key_results.len() {
            let _ = writeln!(
                h,
                "<p class=\"note\">{} {} / {}</p>",
                t("Hiển thị", "Showing"),
                r.key_results.len(),
                r.key_results_total
            );
        }
        sheet_html(&mut h, &sheet, lang);
        h.push_str("</section>\n");
    }

    section(&mut h, Table::Evaluation.title(lang), "evaluation");
    match &r.evaluation {
        None => {
            let _ = writeln!(h, "<p class=\"empty\">{}</p>", no_evaluation(lang));
        }
        Some(e) => {
            let rows: Vec<Vec<Cell>> = evaluation_rows(Some(e), lang)
                .into_iter()
                .map(|(label, value)| vec![Cell::Text(label.to_string()), value])
                .collect();
            grid(
                &mut h,
                &[t("Nội dung", "Figure"), t("Số liệu", "Value")],
                &rows,
                lang,
            );
            let _ = writeln!(h, "<h3>{}</h3>", t("Điểm thấp nhất", "Lowest totals"));
            sheet_html(&mut h, &table(r, Table::Evaluation, lang), lang);
        }
    }
    h.push_str("</section>\n");
    super::explanations::html(&mut h, &r.explanations, lang);
    super::meeting::html(&mut h, r, lang);
    let _ = write!(
        h,
        "<footer class=\"report-foot\">{} · {}</footer>\n</body>\n</html>\n",
        escape(&r.unit.id),
        escape(&title(r, lang))
    );
    h
}

fn section(h: &mut String, heading: &str, class: &str) {
    let _ = write!(
        h,
        "<section class=\"block block-{class}\">\n<h2>{}</h2>\n",
        escape(heading)
    );
}

fn sheet_html(h: &mut String, sheet: &Sheet, lang: Lang) {
    if sheet.rows.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"empty\">{}</p>",
            pick(lang, "Không có dữ liệu", "Nothing to show")
        );
        return;
    }
    grid(h, &sheet.headers, &sheet.rows, lang);
}

fn grid(h: &mut String, headers: &[&str], rows: &[Vec<Cell>], lang: Lang) {
    h.push_str("<table>\n<thead><tr>");
    for head in headers {
        let _ = write!(h, "<th>{}</th>", escape(head));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        h.push_str("<tr>");
        for c in row {
            let class = match c {
                Cell::Text(_) | Cell::Empty | Cell::NoData => "",
                Cell::Int(_) | Cell::Num(_) | Cell::Share(_) | Cell::Points(_) => " class=\"num\"",
            };
            let _ = write!(h, "<td{class}>{}</td>", escape(&format_cell(c, lang)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_the_data_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(escape("Phường Hoàn Kiếm"), "Phường Hoàn Kiếm");
    }

    #[test]
    fn the_stylesheet_prints_on_a4() {
        assert!(CSS.contains("@page") && CSS.contains("A4"));
    }
}

//! The review laid out as tables, a header row over rows of typed cells, in Vietnamese or
//! English: one source for the CSV, the XLSX workbook and the printable page, so the three never
//! disagree. Cells keep the JSON's numbers (shares stay 0..1); each writer formats them.

use super::lang::{class_label, class_pick, no_evaluation, pick, status_label, Lang};
use super::review::{EvaluationSummary, Figures, Review, SeriesPoint};
use crate::domain::KpiStatus;
use crate::rollup::view::round4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Summary,
    Kpis,
    KeyResults,
    Units,
    Overdue,
    Evaluation,
}

impl Table {
    pub const ALL: [Table; 6] = [
        Table::Summary,
        Table::Kpis,
        Table::KeyResults,
        Table::Units,
        Table::Overdue,
        Table::Evaluation,
    ];

    pub fn parse(s: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            Table::Summary => "summary",
            Table::Kpis => "kpis",
            Table::KeyResults => "key_results",
            Table::Units => "units",
            Table::Overdue => "overdue",
            Table::Evaluation => "evaluation",
        }
    }

    /// The table's title (also its worksheet's name: 31 characters at most, no `[]:*?/\`).
    pub fn title(self, lang: Lang) -> &'static str {
        let (vi, en) = match self {
            Table::Summary => ("Tổng hợp", "Summary"),
            Table::Kpis => ("KPI đổi trạng thái", "KPI changes"),
            Table::KeyResults => ("Kết quả then chốt", "Key results"),
            Table::Units => ("Đơn vị trực thuộc", "Units"),
            Table::Overdue => ("Quá hạn theo ngày", "Overdue by day"),
            Table::Evaluation => ("Đánh giá xếp loại", "Evaluation"),
        };
        pick(lang, vi, en)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    /// A share 0..1, shown as a percentage.
    Share(f64),
    /// A change of a share, in percentage points (0.012 reads "+1,2 điểm %").
    Points(f64),
    Empty,
    /// A figure with nothing under it at the time ("chưa có dữ liệu"), never shown as 0.
    NoData,
}

impl Cell {
    fn num(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Num)
    }
    /// A count, or "no data" where there was nothing to count.
    fn int(v: Option<i64>) -> Cell {
        v.map_or(Cell::NoData, Cell::Int)
    }

    fn share(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Share)
    }

    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// `self - other` for two numbers of the same kind; empty otherwise.
    fn minus(&self, other: &Cell) -> Cell {
        match (self, other) {
            (Cell::Int(a), Cell::Int(b)) => Cell::Int(a - b),
            (Cell::Num(a), Cell::Num(b)) => Cell::Num(round4(a - b)),
            (Cell::Share(a), Cell::Share(b)) => Cell::Points(round4(a - b)),
            _ => Cell::Empty,
        }
    }
}

/// One column: its header in each language and its width in characters (for the workbook).
type Column = (&'static str, &'static str, f64);

#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub table: Table,
    pub headers: Vec<&'static str>,
    pub widths: Vec<f64>,
    pub rows: Vec<Vec<Cell>>,
}

fn sheet(table: Table, lang: Lang, columns: &[Column], rows: Vec<Vec<Cell>>) -> Sheet {
    Sheet {
        table,
        headers: columns.iter().map(|c| pick(lang, c.0, c.1)).collect(),
        widths: columns.iter().map(|c| c.2).collect(),
        rows,
    }
}

/// A table of the review.
pub fn table(r: &Review, table: Table, lang: Lang) -> Sheet {
    match table {
        Table::Summary => summary(r, lang),
        Table::Kpis => kpis(r, lang),
        Table::KeyResults => key_results(r, lang),
        Table::Units => units(r, lang),
        Table::Overdue => overdue(r, lang),
        Table::Evaluation => evaluation(r, lang),
    }
}

/// The figures at both ends, each with its change.
pub fn figure_rows(r: &Review, lang: Lang) -> Vec<Vec<Cell>> {
    type Get = fn(&Figures, Lang) -> Cell;
    let lines: [(&str, &str, Get); 14] = [
        ("Điểm tổng hợp", "Score", |f, _| {
            Cell::num(f.score.value)
        }),
        ("Mức điểm", "Score band", |f, l| {
            Cell::text(status_label(f.score.band, l))
        }),
        ("Nhiệm vụ", "Tasks", |f, _| Cell::int(f.tasks)),
        ("Nhiệm vụ đang mở", "Open tasks", |f, _| {
            Cell::int(f.open)
        }),
        ("Nhiệm vụ quá hạn", "Overdue tasks", |f, _| {
            Cell::int(f.overdue)
        }),
        ("Tỷ lệ quá hạn", "Overdue share", |f, _| {
            Cell::share(f.overdue_ratio)
        }),
        ("Tỷ lệ đúng hạn", "On-time rate", |f, _| {
            Cell::share(f.on_time_rate)
        }),
        ("KPI xanh", "KPIs green", |f, _| {
            Cell::int(f.kpis.as_ref().map(|k| k.green))
        }),
        ("KPI vàng", "KPIs yellow", |f, _| {
            Cell::int(f.kpis.as_ref().map(|k| k.yellow))
        }),
        ("KPI đỏ", "KPIs red", |f, _| {
            Cell::int(f.kpis.as_ref().map(|k| k.red))
        }),
        ("KPI không có dữ liệu", "KPIs without data", |f, _| {
            Cell::int(f.kpis.as_ref().map(|k| k.no_data))
        }),
        (
            "Cảnh báo đỏ phát sinh",
            "Red alerts fired",
            |f, _| Cell::int(f.alerts_fired.map(|a| a.red)),
        ),
        (
            "Cảnh báo vàng phát sinh",
            "Yellow alerts fired",
            |f, _| Cell::int(f.alerts_fired.map(|a| a.yellow)),
        ),
        (
            "Tiến độ trung bình kết quả then chốt",
            "Key results, mean progress",
            |f, _| Cell::share(f.key_results_avg_progress),
        ),
    ];
    let (this, last) = (&r.figures.this, &r.figures.last);
    lines
        .iter()
        .map(|(vi, en, get)| {
            let (a, b) = (get(this, lang), get(last, lang));
            let change = a.minus(&b);
            vec![Cell::text(pick(lang, vi, en)), a, b, change]
        })
        .collect()
}

/// The evaluation's counts as (label, value) rows; one row saying so when there is none.
pub fn evaluation_rows(e: Option<&EvaluationSummary>, lang: Lang) -> Vec<(&'static str, Cell)> {
    let Some(e) = e else {
        return vec![(
            pick(lang, "Đánh giá xếp loại", "Evaluation"),
            Cell::text(no_evaluation(lang)),
        )];
    };
    let n = |v: usize| Cell::Int(v as i64);
    vec![
        (
            pick(lang, "Kỳ đánh giá", "Evaluation period"),
            Cell::Text(provisional(&e.period, e.provisional, lang)),
        ),
        (pick(lang, "Số người", "People"), n(e.people)),
        (pick(lang, "Đã đánh giá", "Evaluated"), n(e.evaluated)),
        (class_pick("excellent", lang), n(e.excellent)),
        (class_pick("good", lang), n(e.good)),
        (class_pick("complete", lang), n(e.complete)),
        (class_pick("not_complete", lang), n(e.not_complete)),
        (class_pick("not_evaluated", lang), n(e.not_evaluated)),
        (
            pick(lang, "Tối đa được xếp xuất sắc", "Excellent cap"),
            n(e.excellent_cap),
        ),
        (
            pick(lang, "Xuất sắc vượt tỷ lệ", "Excellent above the cap"),
            n(e.above_cap),
        ),
        (
            pick(lang, "Điểm trung bình", "Mean total"),
            Cell::num(e.mean_total),
        ),
    ]
}

fn summary(r: &Review, lang: Lang) -> Sheet {
    let columns: [Column; 4] = [
        ("Nội dung", "Figure", 40.0),
        ("Kỳ này", "This period", 16.0),
        ("Kỳ trước", "Previous period", 16.0),
        ("Thay đổi", "Change", 12.0),
    ];
    let mut rows = figure_rows(r, lang);
    for (label, value) in evaluation_rows(r.evaluation.as_ref(), lang) {
        rows.push(vec![Cell::text(label), value, Cell::Empty, Cell::Empty]);
    }
    sheet(Table::Summary, lang, &columns, rows)
}

fn kpis(r: &Review, lang: Lang) -> Sheet {
    let columns: [Column; 11] = [
        ("Thay đổi", "Change", 14.0),
        ("Mã KPI", "KPI code", 12.0),
        ("Chỉ số", "KPI", 40.0),
        ("Mã đơn vị", "Unit code", 16.0),
        ("Đơn vị", "Unit", 30.0),
        ("Trạng thái trước", "Status before", 16.0),
        ("Giá trị trước", "Value before", 12.0),
        ("Kỳ số liệu trước", "Data period before", 14.0),
        ("Trạng thái sau", "Status after", 16.0),
        ("Giá trị sau", "Value after", 12.0),
        ("Kỳ số liệu sau", "Data period after", 14.0),
    ];
    let point = |p: &Option<SeriesPoint>| match p {
        Some(p) => [
            Cell::text(status_label(p.status, lang)),
            Cell::Num(p.value),
            Cell::text(&p.period),
        ],
        None => [
            Cell::text(status_label(KpiStatus::NoData, lang)),
            Cell::Empty,
            Cell::Empty,
        ],
    };
    let changes = [
        (pick(lang, "Chuyển đỏ", "Turned red"), &r.turned_red),
        (pick(lang, "Phục hồi", "Recovered"), &r.recovered),
    ];
    let rows = changes
        .iter()
        .flat_map(|(what, list)| {
            list.iter().map(move |c| {
                let mut row = vec![
                    Cell::text(*what),
                    Cell::text(&c.code),
                    Cell::text(&c.name),
                    Cell::text(&c.unit.id),
                    Cell::text(&c.unit.name),
                ];
                row.extend(point(&c.before));
                row.extend(point(&c.after));
                row
            })
        })
        .collect();
    sheet(Table::Kpis, lang, &columns, rows)
}

fn key_results(r: &Review, lang: Lang) -> Sheet {
    let columns: [Column; 11] = [
        ("Mã", "ID", 12.0),
        ("Kết quả then chốt", "Key result", 40.0),
        ("Mục tiêu", "Objective", 36.0),
        ("Đơn vị", "Unit", 28.0),
        ("Kỳ", "Period", 10.0),
        ("Giá trị", "Value", 10.0),
        ("Tiến độ", "Progress", 10.0),
        ("Tiến độ kỳ trước", "Progress before", 14.0),
        ("Tiến độ kỳ vọng", "Expected", 14.0),
        ("Chênh lệch", "Pace gap", 12.0),
        ("Độ tin cậy", "Confidence", 11.0),
    ];
    let rows = r
        .key_results
        .iter()
        .map(|k| {
            vec![
                Cell::text(&k.id),
                Cell::text(&k.title),
                Cell::text(&k.objective_title),
                Cell::text(&k.unit.name),
                Cell::text(&k.period),
                Cell::Num(k.value),
                Cell::Share(k.progress),
                Cell::Share(k.progress_last_week),
                Cell::Share(k.expected),
                Cell::Share(k.pace_gap),
                k.confidence.map_or(Cell::Empty, |c| Cell::Int(c.into())),
            ]
        })
        .collect();
    sheet(Table::KeyResults, lang, &columns, rows)
}

fn units(r: &Review, lang: Lang) -> Sheet {
    let columns: [Column; 10] = [
        ("Hạng", "Rank", 7.0),
        ("Mã đơn vị", "Unit code", 18.0),
        ("Đơn vị", "Unit", 34.0),
        ("Điểm", "Score", 9.0),
        ("Điểm kỳ trước", "Score before", 13.0),
        ("Thay đổi", "Change", 10.0),
        ("Quá hạn", "Overdue", 10.0),
        ("Quá hạn kỳ trước", "Overdue before", 15.0),
        ("KPI đỏ", "KPIs red", 9.0),
        ("KPI đỏ kỳ trước", "KPIs red before", 15.0),
    ];
    let rows = r
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            vec![
                Cell::Int(i as i64 + 1),
                Cell::text(&u.unit.id),
                Cell::text(&u.unit.name),
                Cell::num(u.score.value),
                Cell::num(u.score_last_week.value),
                Cell::num(u.delta),
                Cell::int(u.overdue),
                Cell::int(u.overdue_last_week),
                Cell::int(u.kpis_red),
                Cell::int(u.kpis_red_last_week),
            ]
        })
        .collect();
    sheet(Table::Units, lang, &columns, rows)
}

fn overdue(r: &Review, lang: Lang) -> Sheet {
    let columns: [Column; 4] = [
        ("Ngày", "Day", 12.0),
        ("Kỳ", "Period", 12.0),
        ("Đang mở", "Open", 10.0),
        ("Quá hạn", "Overdue", 10.0),
    ];
    let rows = r
        .overdue_trend
        .iter()
        .map(|p| {
            let which = if p.period == "this" {
                pick(lang, "Kỳ này", "This period")
            } else {
                pick(lang, "Kỳ trước", "Previous period")
            };
            vec![
                Cell::text(&p.day),
                Cell::text(which),
                Cell::Int(p.open),
                Cell::Int(p.overdue),
            ]
        })
        .collect();
    sheet(Table::Overdue, lang, &columns, rows)
}

fn evaluation(r: &Review, lang: Lang) -> Sheet {
    let columns: [Column; 6] = [
        ("Mã", "ID", 12.0),
        ("Họ và tên", "Name", 28.0),
        ("Đơn vị", "Unit", 30.0),
        ("Chức vụ", "Position", 26.0),
        ("Tổng điểm", "Total", 10.0),
        ("Xếp loại", "Class", 30.0),
    ];
    let rows = r
        .evaluation
        .iter()
        .flat_map(|e| e.lowest.iter().map(move |l| (e.provisional, l)))
        .map(|(running, l)| {
            vec![
                Cell::text(&l.person),
                Cell::text(&l.name),
                Cell::text(&l.unit),
                Cell::text(&l.position),
                Cell::num(l.total),
                Cell::Text(provisional(&class_label(&l.class, lang), running, lang)),
            ]
        })
        .collect();
    sheet(Table::Evaluation, lang, &columns, rows)
}

/// A period's label or a class, marked provisional ("tạm tính") while the period runs.
fn provisional(text: &str, running: bool, lang: Lang) -> String {
    if running {
        format!("{text} ({})", pick(lang, "tạm tính", "provisional"))
    } else {
        text.to_string()
    }
}

/// A number as people read it (`i18n::number`) in the report's language.
pub fn format_number(x: f64, decimals: usize, lang: Lang) -> String {
    let lang = match lang {
        Lang::Vi => crate::i18n::Lang::Vi,
        Lang::En => crate::i18n::Lang::En,
    };
    crate::i18n::number(x, decimals, lang)
}

/// A cell as text for people (the page): numbers in the language's style, shares as percents.
pub fn format_cell(c: &Cell, lang: Lang) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => format_number(*n as f64, 0, lang),
        Cell::Num(x) => format_number(*x, 2, lang),
        Cell::Share(x) => {
            let p = format_number(x * 100.0, 1, lang);
            match lang {
                Lang::Vi => format!("{p} %"),
                Lang::En => format!("{p}%"),
            }
        }
        Cell::Points(x) => {
            let p = format_number(x * 100.0, 1, lang);
            let sign = if *x > 0.0 { "+" } else { "" };
            match lang {
                Lang::Vi => format!("{sign}{p} điểm %"),
                Lang::En => format!("{sign}{p} pp"),
            }
        }
        Cell::Empty => String::new(),
        Cell::NoData => match lang {
            Lang::Vi => "chưa có dữ liệu".to_string(),
            Lang::En => "no data".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_vietnamese_way_in_vietnamese() {
        assert_eq!(format_number(1234.5, 1, Lang::Vi), "1.234,5");
        assert_eq!(format_number(1234.5, 1, Lang::En), "1,234.5");
        assert_eq!(format_number(1234567.0, 0, Lang::Vi), "1.234.567");
        assert_eq!(format_number(-15.0, 2, Lang::Vi), "-15");
        assert_eq!(format_number(-0.001, 1, Lang::Vi), "0");
        assert_eq!(format_number(56.7, 2, Lang::Vi), "56,7");
        assert_eq!(format_cell(&Cell::Share(0.0833), Lang::Vi), "8,3 %");
        assert_eq!(format_cell(&Cell::Share(0.5), Lang::En), "50%");
        assert_eq!(format_cell(&Cell::Int(100_000), Lang::Vi), "100.000");
    }

    #[test]
    fn tables_are_named_by_their_parameter_and_titles_fit_a_sheet_name() {
        for t in Table::ALL {
            assert_eq!(Table::parse(t.name()), Some(t));
            for lang in [Lang::Vi, Lang::En] {
                let title = t.title(lang);
                assert!(
                    title.chars().count() <= 31
                        && !title.contains(['[', ']', ':', '*', '?', '/', '\\'])
                );
            }
        }
        assert_eq!(Table::parse("x"), None);
    }
}

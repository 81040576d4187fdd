//! The report's two languages and the words it says in both: the language a report is made in,
//! the charts' labels, KPI statuses, the evaluation classes, period names and the "no data"
//! lines. Column headers stay with the tables they head (`tables.rs`), each in both languages;
//! `pick` chooses between a pair anywhere else.

use super::period::ReviewKind;
use crate::domain::KpiStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// "This week" / "this month" / "this quarter", capitalised.
    pub fn this_period(self, kind: ReviewKind) -> &'static str {
        let l = labels(self);
        l.this[kind_index(kind)]
    }

    /// "Last week" / "last month" / "last quarter", capitalised.
    pub fn last_period(self, kind: ReviewKind) -> &'static str {
        let l = labels(self);
        l.last[kind_index(kind)]
    }
}

pub(super) fn kind_index(kind: ReviewKind) -> usize {
    match kind {
        ReviewKind::Week => 0,
        ReviewKind::Month => 1,
        ReviewKind::Quarter => 2,
    }
}

pub(super) fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

pub(super) struct Labels {
    pub(super) overdue_title: &'static str,
    pub(super) kpis_title: &'static str,
    pub(super) key_results_title: &'static str,
    pub(super) units_title: &'static str,
    /// This week, month, quarter.
    pub(super) this: [&'static str; 3],
    pub(super) last: [&'static str; 3],
    pub(super) overdue: &'static str,
    pub(super) series: &'static str,
    pub(super) progress: &'static str,
    pub(super) expected: &'static str,
    pub(super) score: &'static str,
    pub(super) statuses: [&'static str; 4],
    pub(super) weekdays: [&'static str; 7],
    pub(super) no_data: &'static str,
}

const VI: Labels = Labels {
    overdue_title: "Nhiệm vụ quá hạn theo ngày",
    kpis_title: "Chỉ số KPI theo trạng thái",
    key_results_title: "Kết quả then chốt chậm tiến độ nhất",
    units_title: "Điểm các đơn vị: cao nhất và thấp nhất",
    this: ["Tuần này", "Tháng này", "Quý này"],
    last: ["Tuần trước", "Tháng trước", "Quý trước"],
    overdue: "Quá hạn",
    series: "Số chỉ số",
    progress: "Tiến độ",
    expected: "Kỳ vọng",
    score: "Điểm",
    statuses: ["Xanh", "Vàng", "Đỏ", "Không có dữ liệu"],
    weekdays: ["T2", "T3", "T4", "T5", "T6", "T7", "CN"],
    no_data: "Không có dữ liệu",
};

const EN: Labels = Labels {
    overdue_title: "Overdue tasks by day",
    kpis_title: "KPI series by status",
    key_results_title: "Key results furthest behind pace",
    units_title: "Unit scores: top and bottom",
    this: ["This week", "This month", "This quarter"],
    last: ["Last week", "Last month", "Last quarter"],
    overdue: "Overdue",
    series: "Series",
    progress: "Progress",
    expected: "Expected",
    score: "Score",
    statuses: ["Green", "Yellow", "Red", "No data"],
    weekdays: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    no_data: "No data",
};

pub fn pick(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

pub fn status_label(s: KpiStatus, lang: Lang) -> &'static str {
    match s {
        KpiStatus::Green => pick(lang, "Xanh", "Green"),
        KpiStatus::Yellow => pick(lang, "Vàng", "Yellow"),
        KpiStatus::Red => pick(lang, "Đỏ", "Red"),
        KpiStatus::NoData => pick(lang, "Không có dữ liệu", "No data"),
    }
}

/// The official classes of the evaluation of cadres and civil servants, by their wire name.
fn class_words(class: &str) -> Option<(&'static str, &'static str)> {
    match class {
        "excellent" => Some(("Hoàn thành xuất sắc nhiệm vụ", "Excellent")),
        "good" => Some(("Hoàn thành tốt nhiệm vụ", "Good")),
        "complete" => Some(("Hoàn thành nhiệm vụ", "Complete")),
        "not_complete" => Some(("Không hoàn thành nhiệm vụ", "Not complete")),
        "not_evaluated" => Some(("Chưa đánh giá", "Not evaluated")),
        _ => None,
    }
}

/// A class's official name; an unknown one as it is.
pub fn class_label(class: &str, lang: Lang) -> String {
    match class_words(class) {
        Some((vi, en)) => pick(lang, vi, en).to_string(),
        None => class.to_string(),
    }
}

/// A class's official name; an unknown one reads as not evaluated.
pub fn class_pick(class: &str, lang: Lang) -> &'static str {
    let (vi, en) = class_words(class).unwrap_or(("Chưa đánh giá", "Not evaluated"));
    pick(lang, vi, en)
}

/// "Tuần 47/2026", "Tháng 11/2026", "Quý 4/2026" (or in English) from a period label.
pub fn period_title(kind: ReviewKind, label: &str, lang: Lang) -> String {
    let year = label.get(..4).unwrap_or(label);
    let n = label
        .get(5..)
        .unwrap_or("")
        .trim_start_matches(['W', 'Q'])
        .trim_start_matches('0');
    match (kind, lang) {
        (ReviewKind::Week, Lang::Vi) => format!("Tuần {n}/{year}"),
        (ReviewKind::Month, Lang::Vi) => format!("Tháng {n}/{year}"),
        (ReviewKind::Quarter, Lang::Vi) => format!("Quý {n}/{year}"),
        (ReviewKind::Week, Lang::En) => format!("Week {n} of {year}"),
        (ReviewKind::Month, Lang::En) => {
            const MONTHS: [&str; 12] = [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ];
            let m: usize = n.parse().unwrap_or(1);
            format!("{} {year}", MONTHS[m.clamp(1, 12) - 1])
        }
        (ReviewKind::Quarter, Lang::En) => format!("Q{n} {year}"),
    }
}

pub fn no_evaluation(lang: Lang) -> &'static str {
    pick(lang, "Chưa có dữ liệu đánh giá", "No evaluation data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_get_their_names() {
        assert_eq!(
            period_title(ReviewKind::Week, "2026-W07", Lang::Vi),
            "Tuần 7/2026"
        );
        assert_eq!(
            period_title(ReviewKind::Month, "2026-11", Lang::Vi),
            "Tháng 11/2026"
        );
        assert_eq!(
            period_title(ReviewKind::Month, "2026-01", Lang::En),
            "January 2026"
        );
        assert_eq!(
            period_title(ReviewKind::Quarter, "2026-Q4", Lang::Vi),
            "Quý 4/2026"
        );
    }
}

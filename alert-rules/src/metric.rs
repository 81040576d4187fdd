//! The metrics a rule can watch: their names, which subject carries them, their value range
//! and how their values read in a Vietnamese or English summary.

use crate::duration::{DAY, HOUR, MINUTE};
use crate::model::SubjectKind;
use serde::{Deserialize, Serialize};

/// A metric a rule watches. Unit metrics come from the rollup of a unit's subtree; the others are
/// per KPI series, per key result or per task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Metric {
    #[serde(rename = "tasks.overdue")]
    TasksOverdue,
    #[serde(rename = "tasks.overdue_ratio")]
    TasksOverdueRatio,
    #[serde(rename = "tasks.on_time_rate")]
    TasksOnTimeRate,
    #[serde(rename = "tasks.avg_progress")]
    TasksAvgProgress,
    #[serde(rename = "kr.pace_gap")]
    KrPaceGap,
    #[serde(rename = "satisfaction.average")]
    SatisfactionAverage,
    /// Ratings of 1 or 2 stars the unit itself received in the last 24 hours.
    #[serde(rename = "satisfaction.dissatisfied_24h")]
    SatisfactionDissatisfied,
    #[serde(rename = "kpi.red")]
    KpiRed,
    #[serde(rename = "kpi.yellow")]
    KpiYellow,
    #[serde(rename = "kpi.no_data")]
    KpiNoData,
    /// A KPI series' current value.
    #[serde(rename = "kpi.value")]
    KpiValue,
    /// Time since a KPI series was last updated.
    #[serde(rename = "kpi.staleness")]
    KpiStaleness,
    /// A key result's progress minus elapsed share of its period.
    #[serde(rename = "key_result.pace_gap")]
    KeyResultPaceGap,
    /// How long an open task has been past its deadline (absent when not overdue).
    #[serde(rename = "task.overdue")]
    TaskOverdue,
    /// The progress (percent) of an open task whose deadline falls within the rule's `within`
    /// window (absent outside the window).
    #[serde(rename = "task.due_soon")]
    TaskDueSoon,
}

/// How a metric's values are bounded and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    /// 0..1, shown as a percentage.
    Ratio,
    /// -1..1, shown as signed percentage points.
    Gap,
    /// 0..100 percent.
    Percent,
    /// Whole number >= 0.
    Count,
    /// A 1..5 rating.
    Score,
    /// Any number (a KPI's own unit of measure).
    Number,
    /// Milliseconds, written as durations in rules and read as days/hours in summaries.
    Duration,
}

/// The language of a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Vi,
    En,
}

/// Value of a staleness metric for a series never updated: large enough to pass any threshold
/// and still a finite number, so it survives JSON (where infinity would become null).
pub(crate) const NEVER: f64 = f64::MAX;

impl Metric {
    /// Every metric.
    pub const ALL: [Metric; 15] = [
        Metric::TasksOverdue,
        Metric::TasksOverdueRatio,
        Metric::TasksOnTimeRate,
        Metric::TasksAvgProgress,
        Metric::KrPaceGap,
        Metric::SatisfactionAverage,
        Metric::SatisfactionDissatisfied,
        Metric::KpiRed,
        Metric::KpiYellow,
        Metric::KpiNoData,
        Metric::KpiValue,
        Metric::KpiStaleness,
        Metric::KeyResultPaceGap,
        Metric::TaskOverdue,
        Metric::TaskDueSoon,
    ];

    /// The name used in rule files.
    pub fn name(self) -> &'static str {
        match self {
            Metric::TasksOverdue => "tasks.overdue",
            Metric::TasksOverdueRatio => "tasks.overdue_ratio",
            Metric::TasksOnTimeRate => "tasks.on_time_rate",
            Metric::TasksAvgProgress => "tasks.avg_progress",
            Metric::KrPaceGap => "kr.pace_gap",
            Metric::SatisfactionAverage => "satisfaction.average",
            Metric::SatisfactionDissatisfied => "satisfaction.dissatisfied_24h",
            Metric::KpiRed => "kpi.red",
            Metric::KpiYellow => "kpi.yellow",
            Metric::KpiNoData => "kpi.no_data",
            Metric::KpiValue => "kpi.value",
            Metric::KpiStaleness => "kpi.staleness",
            Metric::KeyResultPaceGap => "key_result.pace_gap",
            Metric::TaskOverdue => "task.overdue",
            Metric::TaskDueSoon => "task.due_soon",
        }
    }

    /// The inverse of [`Metric::name`].
    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == s)
    }

    /// The kind of subject that carries this metric (and that alert instances are keyed by).
    pub fn subject(self) -> SubjectKind {
        match self {
            Metric::KpiValue | Metric::KpiStaleness => SubjectKind::Series,
            Metric::KeyResultPaceGap => SubjectKind::KeyResult,
            Metric::TaskOverdue | Metric::TaskDueSoon => SubjectKind::Task,
            _ => SubjectKind::Unit,
        }
    }

    /// Metrics whose value moves with the clock alone, so the engine schedules their crossings.
    pub(crate) fn time_driven(self) -> bool {
        matches!(
            self,
            Metric::KpiStaleness | Metric::TaskOverdue | Metric::TaskDueSoon
        )
    }

    pub(crate) fn scale(self) -> Scale {
        match self {
            Metric::TasksOverdueRatio | Metric::TasksOnTimeRate => Scale::Ratio,
            Metric::KrPaceGap | Metric::KeyResultPaceGap => Scale::Gap,
            Metric::TasksAvgProgress | Metric::TaskDueSoon => Scale::Percent,
            Metric::TasksOverdue
            | Metric::KpiRed
            | Metric::KpiYellow
            | Metric::KpiNoData
            | Metric::SatisfactionDissatisfied => Scale::Count,
            Metric::SatisfactionAverage => Scale::Score,
            Metric::KpiValue => Scale::Number,
            Metric::KpiStaleness | Metric::TaskOverdue => Scale::Duration,
        }
    }
}

impl Scale {
    /// The values the metric can take, used to catch thresholds written on the wrong scale
    /// (`"> 15"` for a 0..1 ratio).
    pub(crate) fn range(self) -> Option<(f64, f64, &'static str)> {
        match self {
            Scale::Ratio => Some((0.0, 1.0, "a ratio between 0 and 1 (write 0.15 for 15 %)")),
            Scale::Gap => Some((
                -1.0,
                1.0,
                "a gap between -1 and 1 (write -0.2 for 20 points behind)",
            )),
            Scale::Percent => Some((0.0, 100.0, "a percentage between 0 and 100")),
            Scale::Count => Some((0.0, f64::MAX, "a count (0 or more)")),
            Scale::Score => Some((1.0, 5.0, "a rating between 1 and 5")),
            Scale::Number | Scale::Duration => None,
        }
    }

    /// Renders a value for a summary in the reader's language (Vietnamese uses a decimal comma).
    pub(crate) fn render(self, value: f64, lang: Lang) -> String {
        match self {
            Scale::Ratio | Scale::Gap => format!("{}%", number(value * 100.0, 1, lang)),
            Scale::Percent => format!("{}%", number(value, 1, lang)),
            Scale::Count => number(value, 0, lang),
            Scale::Score => number(value, 2, lang),
            Scale::Number => number(value, 2, lang),
            Scale::Duration => human_duration(value, lang),
        }
    }
}

/// A number with at most `decimals` decimals, trailing zeros trimmed.
pub(crate) fn number(value: f64, decimals: usize, lang: Lang) -> String {
    let mut s = format!("{value:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
    }
}

/// "3 ngày 4 giờ" / "3 days 4 hours": the two largest non-zero units, which is as precise as a
/// leader reading a warning needs.
pub(crate) fn human_duration(ms: f64, lang: Lang) -> String {
    if ms >= NEVER {
        return match lang {
            Lang::Vi => "chưa từng có dữ liệu".into(),
            Lang::En => "no value ever entered".into(),
        };
    }
    // Float-to-int `as` saturates, so absurd values cannot wrap.
    let ms = ms.max(0.0) as i64;
    let parts = [
        (ms / DAY, 0),
        ((ms % DAY) / HOUR, 1),
        ((ms % HOUR) / MINUTE, 2),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .take(2)
        .map(|&(n, unit)| match lang {
            Lang::Vi => format!("{n} {}", ["ngày", "giờ", "phút"][unit]),
            Lang::En => {
                let name = ["day", "hour", "minute"][unit];
                if n == 1 {
                    format!("1 {name}")
                } else {
                    format!("{n} {name}s")
                }
            }
        })
        .collect();
    if words.is_empty() {
        return match lang {
            Lang::Vi => "dưới 1 phút".into(),
            Lang::En => "under a minute".into(),
        };
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_values_per_language() {
        assert_eq!(Scale::Ratio.render(0.255, Lang::Vi), "25,5%");
        assert_eq!(Scale::Ratio.render(0.25, Lang::En), "25%");
        assert_eq!(Scale::Gap.render(-0.3, Lang::En), "-30%");
        assert_eq!(Scale::Count.render(3.0, Lang::Vi), "3");
        assert_eq!(Scale::Score.render(3.456, Lang::Vi), "3,46");
        assert_eq!(
            Scale::Duration.render((35 * DAY + 4 * HOUR) as f64, Lang::Vi),
            "35 ngày 4 giờ"
        );
        assert_eq!(
            Scale::Duration.render((DAY + 30 * MINUTE) as f64, Lang::En),
            "1 day 30 minutes"
        );
        assert_eq!(
            Scale::Duration.render(NEVER, Lang::En),
            "no value ever entered"
        );
    }

    #[test]
    fn names_round_trip() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Some(m));
        }
    }
}

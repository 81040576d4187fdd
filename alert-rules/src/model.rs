//! The subjects the server describes to the engine (units, KPI series, key results, tasks) and
//! the shared vocabulary (levels, index groups, frequencies, severities).

use serde::{Deserialize, Serialize};

/// Organisation level of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    City,
    Department,
    Agency,
    Ward,
    Commune,
    Division,
}

impl Level {
    /// Every level, in the order rule files document them.
    pub const ALL: [Level; 6] = [
        Level::City,
        Level::Department,
        Level::Agency,
        Level::Ward,
        Level::Commune,
        Level::Division,
    ];

    /// The spelling used in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::City => "city",
            Level::Department => "department",
            Level::Agency => "agency",
            Level::Ward => "ward",
            Level::Commune => "commune",
            Level::Division => "division",
        }
    }

    /// The inverse of [`Level::as_str`].
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// One of the four KPI index groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Kết quả phát triển.
    Development,
    /// Phục vụ chính quyền.
    Service,
    /// Công tác Đảng.
    Party,
    /// Nội chính, phòng chống tham nhũng, dư luận.
    Internal,
}

impl Group {
    /// Every group.
    pub const ALL: [Group; 4] = [
        Group::Development,
        Group::Service,
        Group::Party,
        Group::Internal,
    ];

    /// The spelling used in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Development => "development",
            Group::Service => "service",
            Group::Party => "party",
            Group::Internal => "internal",
        }
    }

    /// The inverse of [`Group::as_str`].
    pub fn parse(s: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// How often a KPI is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

impl Frequency {
    /// Every frequency.
    pub const ALL: [Frequency; 5] = [
        Frequency::Daily,
        Frequency::Weekly,
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::Yearly,
    ];

    /// The spelling used in rule and test files.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
        }
    }

    /// The inverse of [`Frequency::as_str`].
    pub fn parse(s: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Alert severity; `Red` is the more severe, so `Ord` puts it last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Yellow,
    Red,
}

impl Severity {
    /// `"yellow"` or `"red"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Yellow => "yellow",
            Severity::Red => "red",
        }
    }

    /// The inverse of [`Severity::as_str`].
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "yellow" => Some(Severity::Yellow),
            "red" => Some(Severity::Red),
            _ => None,
        }
    }
}

/// A KPI's direction with its thresholds (the server's model, same serde shape), so a threshold
/// is never read with the wrong direction. Green and red are the edges of their bands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "direction", rename_all = "snake_case")]
pub enum Thresholds {
    /// Green when value >= green, red when value < red, yellow between.
    HigherIsBetter { green: f64, red: f64 },
    /// Green when value <= green, red when value > red, yellow between.
    LowerIsBetter { green: f64, red: f64 },
    /// Green inside [green_low, green_high], red outside [red_low, red_high], yellow between.
    InBand {
        green_low: f64,
        green_high: f64,
        red_low: f64,
        red_high: f64,
    },
}

impl Thresholds {
    /// The severity of a value, `None` when it is green. Same cut points as the server's
    /// `KpiStatus`, so a board and an alert never disagree about a colour.
    pub fn severity(&self, value: f64) -> Option<Severity> {
        match *self {
            Thresholds::HigherIsBetter { green, red } => {
                if value >= green {
                    None
                } else if value < red {
                    Some(Severity::Red)
                } else {
                    Some(Severity::Yellow)
                }
            }
            Thresholds::LowerIsBetter { green, red } => {
                if value <= green {
                    None
                } else if value > red {
                    Some(Severity::Red)
                } else {
                    Some(Severity::Yellow)
                }
            }
            Thresholds::InBand {
                green_low,
                green_high,
                red_low,
                red_high,
            } => {
                if (green_low..=green_high).contains(&value) {
                    None
                } else if value < red_low || value > red_high {
                    Some(Severity::Red)
                } else {
                    Some(Severity::Yellow)
                }
            }
        }
    }

    /// The threshold a value crossed to reach `severity` (for `{threshold}` in summaries); for an
    /// in-band KPI the side is the one the value is on.
    pub(crate) fn edge(&self, severity: Option<Severity>, value: Option<f64>) -> f64 {
        match (*self, severity) {
            (Thresholds::HigherIsBetter { red, .. }, Some(Severity::Red))
            | (Thresholds::LowerIsBetter { red, .. }, Some(Severity::Red)) => red,
            (Thresholds::HigherIsBetter { green, .. }, _)
            | (Thresholds::LowerIsBetter { green, .. }, _) => green,
            (
                Thresholds::InBand {
                    green_low,
                    green_high,
                    red_low,
                    red_high,
                },
                sev,
            ) => {
                let low_side = value.is_some_and(|v| v < green_low);
                match (sev, low_side) {
                    (Some(Severity::Red), true) => red_low,
                    (Some(Severity::Red), false) => red_high,
                    (_, true) => green_low,
                    (_, false) => green_high,
                }
            }
        }
    }

    /// Checks the ordering the server also enforces, so a bad KPI cannot silently never fire.
    pub fn validate(&self) -> Result<(), String> {
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        match *self {
            Thresholds::HigherIsBetter { green, red } => {
                if !finite(&[green, red]) {
                    return Err("thresholds must be finite numbers".into());
                }
                if green < red {
                    return Err(format!(
                        "higher_is_better needs green ({green}) >= red ({red})"
                    ));
                }
            }
            Thresholds::LowerIsBetter { green, red } => {
                if !finite(&[green, red]) {
                    return Err("thresholds must be finite numbers".into());
                }
                if green > red {
                    return Err(format!(
                        "lower_is_better needs green ({green}) <= red ({red})"
                    ));
                }
            }
            Thresholds::InBand {
                green_low,
                green_high,
                red_low,
                red_high,
            } => {
                if !finite(&[green_low, green_high, red_low, red_high]) {
                    return Err("thresholds must be finite numbers".into());
                }
                if !(red_low <= green_low && green_low <= green_high && green_high <= red_high) {
                    return Err(format!(
                        "in_band needs red_low <= green_low <= green_high <= red_high, got {red_low}, {green_low}, {green_high}, {red_high}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A unit of the organisation tree as the engine needs it: where it sits (for scopes and
/// escalation) and who leads it (for notification).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: String,
    /// Display name, used by `{unit_name}`.
    pub name: String,
    pub level: Level,
    /// Ancestor ids, root first; the last one is the parent.
    pub ancestors: Vec<String>,
    /// The person who leads the unit (gets `unit_leader` notifications).
    pub leader: Option<String>,
}

/// A unit's current rollup figures (over its subtree). `None` means "no data": value conditions
/// do not fire on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnitMetrics {
    /// `tasks.overdue`: number of overdue tasks.
    pub tasks_overdue: u64,
    /// `tasks.overdue_ratio`: overdue / tasks that can be overdue, 0..1.
    pub tasks_overdue_ratio: Option<f64>,
    /// `tasks.on_time_rate`: share of finished tasks finished on time, 0..1.
    pub tasks_on_time_rate: Option<f64>,
    /// `tasks.avg_progress`: mean progress of open tasks, percent 0..100.
    pub tasks_avg_progress: Option<f64>,
    /// `kr.pace_gap`: mean key-result progress minus the elapsed share of the period, -1..1.
    pub kr_pace_gap: Option<f64>,
    /// `satisfaction.average`: citizens' mean rating, 1..5.
    pub satisfaction_average: Option<f64>,
    /// `kpi.red`: KPI series of the subtree that are red.
    pub kpi_red: u32,
    /// `kpi.yellow`: KPI series of the subtree that are yellow.
    pub kpi_yellow: u32,
    /// `kpi.no_data`: KPI series of the subtree without a value.
    pub kpi_no_data: u32,
}

/// A KPI definition (the parts alerting reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub thresholds: Thresholds,
    pub frequency: Frequency,
    pub group: Group,
    pub leading_unit: String,
}

/// One KPI measured for one unit. Its subject id is `"CODE@unit"` ([`Series::subject_id`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The KPI's code; the KPI must have been given to the engine with [`crate::Engine::kpi`].
    pub kpi: String,
    pub unit: String,
    /// The current value (the newest period's observation), `None` when nothing was entered.
    pub value: Option<f64>,
    /// When a value was last entered.
    pub last_updated: Option<i64>,
    /// When data was first expected (the series' creation or its first period's end). Staleness
    /// of a series that was never updated counts from here; with neither this nor
    /// `last_updated` the series counts as never updated and is red-stale at once.
    pub expected_from: Option<i64>,
    /// Who enters the values (gets `kpi_data_entry` notifications).
    pub data_entry: Option<String>,
}

impl Series {
    /// The subject id of a series: `"CODE@unit"`.
    pub fn subject_id(&self) -> String {
        series_id(&self.kpi, &self.unit)
    }
}

/// The subject id of the series of KPI `kpi` for unit `unit`.
pub fn series_id(kpi: &str, unit: &str) -> String {
    format!("{kpi}@{unit}")
}

/// A key result with its pace inputs; pace gap = `progress - elapsed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyResult {
    pub id: String,
    pub objective: String,
    pub unit: String,
    /// Progress towards the target, 0..1.
    pub progress: f64,
    /// Elapsed share of the objective's period, 0..1.
    pub elapsed: f64,
}

/// Task status, as in the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Todo,
    InProgress,
    Submitted,
    Accepted,
    Returned,
    Cancelled,
}

impl TaskStatus {
    /// Every status.
    pub const ALL: [TaskStatus; 6] = [
        TaskStatus::Todo,
        TaskStatus::InProgress,
        TaskStatus::Submitted,
        TaskStatus::Accepted,
        TaskStatus::Returned,
        TaskStatus::Cancelled,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "todo",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Submitted => "submitted",
            TaskStatus::Accepted => "accepted",
            TaskStatus::Returned => "returned",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// The inverse of [`TaskStatus::as_str`].
    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Work still lies with the responsible person. A submitted task waits on its acceptor, so
    /// like the server's rollup it is neither overdue nor "due soon".
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TaskStatus::Todo | TaskStatus::InProgress | TaskStatus::Returned
        )
    }
}

/// A task, as the engine needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub unit: String,
    pub responsible: String,
    pub accountable: Option<String>,
    /// Overdue when `deadline < now` while open.
    pub deadline: i64,
    pub status: TaskStatus,
    /// Percent, 0..100.
    pub progress: f64,
}

/// What kind of subject an alert is about; ids are unique within a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Unit,
    Series,
    KeyResult,
    Task,
}

impl SubjectKind {
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

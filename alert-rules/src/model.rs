//! The subjects the server describes to the engine (units, KPI series, key results, tasks). The
//! words they use (levels, index groups, frequencies, thresholds, severities, task statuses) are
//! the `vocabulary` crate's, the server's own: the server hands them over as they are.

use serde::{Deserialize, Serialize};
pub use vocabulary::{Frequency, IndexGroup, Severity, TaskStatus, Thresholds, UnitLevel};

/// A unit of the organisation tree as the engine needs it: where it sits (for scopes and
/// escalation) and who leads it (for notification).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: String,
    /// Display name, used by `{unit_name}`.
    pub name: String,
    pub level: UnitLevel,
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
    /// `satisfaction.dissatisfied_24h`: ratings of 1 or 2 stars the unit itself received in
    /// the last 24 hours (not its subtree's: each ward answers for its own counter).
    pub satisfaction_dissatisfied_24h: u32,
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
    pub group: IndexGroup,
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
    /// What people call it, for `{title}` (the id when empty).
    #[serde(default)]
    pub title: String,
    pub objective: String,
    pub unit: String,
    /// Progress towards the target, 0..1.
    pub progress: f64,
    /// Elapsed share of the objective's period, 0..1.
    pub elapsed: f64,
}

/// A task, as the engine needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    /// What people call it, for `{title}` (the id when empty).
    #[serde(default)]
    pub title: String,
    pub unit: String,
    pub responsible: String,
    pub accountable: Option<String>,
    /// Overdue when `deadline < now` while open.
    pub deadline: i64,
    pub status: TaskStatus,
    /// Percent, 0..100.
    pub progress: f64,
}

/// A person the engine may name in a summary (`{responsible}`): who leads a unit, enters a
/// series' values or is responsible for a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
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

//! The domain model: the org tree, people, objectives and key results, KPIs, tasks, KPI
//! observations and citizen ratings, with the rules that hold for each value. No I/O here; wire
//! and row types live with the HTTP and store layers and convert into these. Levels, index
//! groups, frequencies, thresholds and statuses are the `vocabulary` crate's, shared with the
//! alert engine.

pub mod aggregate;
pub mod cycle;
pub mod explanation;
pub mod formula;
pub mod meeting;
pub mod security;
pub mod template;
pub mod time;
pub mod week;

pub use cycle::{CriteriaRecord, FrozenScore, OkrPeriod, PeriodState, Target};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
pub use time::{Period, PeriodKind, Ts};
use utoipa::ToSchema;
/// The words shared with the alert engine, defined once in the `vocabulary` crate.
pub use vocabulary::{Frequency, IndexGroup, KpiStatus, TaskStatus, Thresholds, UnitLevel};

/// Identifiers are given by the source (the city's data dictionary: unit codes, staff numbers,
/// task numbers), so they are strings; `Arc<str>` because the rollup holds each id many times.
pub type Id = Arc<str>;

/// At most this many key results per objective (the city's method, step 2).
pub const MAX_KEY_RESULTS: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: Id,
    pub name: String,
    pub level: UnitLevel,
    /// `None` only for a root (the city or province).
    pub parent: Option<Id>,
    /// The person who leads the unit: warned about its alerts, escalated to from below.
    pub leader: Option<Id>,
    /// What a tile shows when the full name cannot fit ("BQL DA dân dụng"); the full name
    /// everywhere else.
    pub short_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: Id,
    pub name: String,
    pub unit: Id,
    pub position: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    pub id: Id,
    pub unit: Id,
    pub title: String,
    pub period: Period,
    /// The objective one level up that this one is aligned to (city -> department -> ward).
    pub parent: Option<Id>,
    pub owner: Option<Id>,
    /// Its weight in the parent objective's roll-up, where it counts like a key result.
    pub weight: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KrDirection {
    Increase,
    Decrease,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyResult {
    pub id: Id,
    pub objective: Id,
    pub title: String,
    pub start: f64,
    pub target: f64,
    pub current: f64,
    pub unit_of_measure: String,
    pub direction: KrDirection,
    pub weight: f64,
    /// Confidence (0-10) of the latest check-in.
    pub confidence: Option<u8>,
    /// Time of the check-in that set `current`; later check-ins with an older time lose.
    pub current_at: Ts,
}

impl KeyResult {
    /// Progress from start to target in parts per million, clamped to 0..=1,000,000. Integer so
    /// that sums kept incrementally equal a recomputation to the unit.
    pub fn progress_ppm(&self) -> i64 {
        let span = self.target - self.start;
        if span == 0.0 {
            return 0;
        }
        let p = ((self.current - self.start) / span).clamp(0.0, 1.0);
        (p * 1_000_000.0).round() as i64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    pub code: Id,
    pub name: String,
    pub formula: String,
    pub data_source: String,
    pub unit_of_measure: String,
    pub thresholds: Thresholds,
    pub frequency: Frequency,
    pub group: IndexGroup,
    pub leading_unit: Id,
    pub coordinating_units: Vec<Id>,
    /// The units this KPI is measured for, one series each. Empty means the leading unit only.
    pub measured_units: Vec<Id>,
    /// Computed from other KPIs of the same unit and period instead of entered.
    pub expression: Option<formula::Formula>,
    /// How a parent unit aggregates its units' series of this KPI.
    pub rollup: aggregate::RollupRule,
    /// An admin's choice: the KPI's values appear on the public board of each unit measured.
    #[serde(default)]
    pub public: bool,
}

impl Kpi {
    /// The status of a series whose current value is `obs`, at `now`: no data when there is no
    /// value or it went stale.
    pub fn status_at(&self, obs: Option<&Observation>, now: Ts) -> KpiStatus {
        match obs {
            Some(o) if now <= o.at + self.frequency.stale_after() => {
                self.thresholds.status(o.value)
            }
            _ => KpiStatus::NoData,
        }
    }

    /// Whether `unit` has a series of this KPI (without building the list).
    pub fn measures(&self, unit: &str) -> bool {
        if self.measured_units.is_empty() {
            &*self.leading_unit == unit
        } else {
            self.measured_units.iter().any(|u| &**u == unit)
        }
    }

    pub fn series_units(&self) -> Vec<Id> {
        if self.measured_units.is_empty() {
            vec![self.leading_unit.clone()]
        } else {
            self.measured_units.clone()
        }
    }
}

/// Progress in hundredths of a percent (0..=10,000): integer so aggregates stay exact.
pub type Progress = i64;
pub const PROGRESS_FULL: Progress = 10_000;

/// The time of the event that last set each group of a task's fields. An event older than the
/// group's time leaves that group alone, so late and out-of-order updates never win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskVersions {
    pub plan: Ts,
    pub assignment: Ts,
    pub progress: Ts,
    pub status: Ts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: Id,
    pub title: String,
    /// The unit that owns the task: the responsible person's unit when it was assigned.
    pub unit: Id,
    pub responsible: Id,
    pub accountable: Option<Id>,
    pub consulted: Vec<Id>,
    pub informed: Vec<Id>,
    pub key_result: Option<Id>,
    pub start: Option<Ts>,
    pub deadline: Ts,
    pub expected_output: String,
    pub progress: Progress,
    pub status: TaskStatus,
    /// Quality judged at acceptance, 0-100.
    pub quality: Option<f64>,
    /// The latest submission's `at`, kept even when it arrived after a later status.
    pub submitted_at: Option<Ts>,
    /// The latest return's `at`: it voids the submissions before it.
    pub returned_at: Option<Ts>,
    /// When the accepted work was done: the accepted submission's time (the latest one after
    /// the last return, not after the acceptance), else the acceptance time.
    pub done_at: Option<Ts>,
    pub versions: TaskVersions,
}

impl Task {
    pub fn is_overdue(&self, now: Ts) -> bool {
        self.status.can_be_overdue() && self.deadline < now
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub kpi: Id,
    pub unit: Id,
    pub period: Period,
    pub value: f64,
    pub source: String,
    pub entered_by: Option<Id>,
    pub at: Ts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub event_id: Id,
    pub unit: Id,
    pub service: String,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    pub at: Ts,
    /// What a citizen wrote with the rating (the public form); none from integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The comment passed screening and may be shown on the public board.
    #[serde(default)]
    pub comment_shown: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_result_progress_works_both_ways_and_is_clamped() {
        let mut kr = KeyResult {
            id: "kr".into(),
            objective: "o".into(),
            title: String::new(),
            start: 100.0,
            target: 50.0,
            current: 75.0,
            unit_of_measure: "days".into(),
            direction: KrDirection::Decrease,
            weight: 1.0,
            confidence: None,
            current_at: 0,
        };
        assert_eq!(kr.progress_ppm(), 500_000);
        kr.current = 10.0;
        assert_eq!(kr.progress_ppm(), 1_000_000);
        kr.current = 120.0;
        assert_eq!(kr.progress_ppm(), 0);
    }
}

/// A committed change to one entity, carrying its whole new state. This is what travels on the
/// bus and what the rollup applies: the same value whether it came from this node's writer, from
/// another node, or from a rebuild, so there is one apply path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    Unit(Unit),
    Person(Person),
    Kpi(Kpi),
    Objective(Objective),
    KeyResult(KeyResult),
    Task(Task),
    Observation(Observation),
    Rating(Rating),
    /// An OKR period was declared or changed state.
    Period(OkrPeriod),
    Target(Target),
    /// Stored only: evaluations are computed on demand, not kept in the rollup.
    Criteria(CriteriaRecord),
    /// Stored only, like `Criteria`.
    Frozen(Vec<FrozenScore>),
    /// A review meeting as it now stands (kept whole by the rollup: meetings are few).
    Meeting(Box<meeting::Meeting>),
    /// The clock moved forward: deadlines that passed make their tasks overdue.
    Clock(Ts),
}

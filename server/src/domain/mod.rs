//! The domain model: the org tree, people, objectives and key results, KPIs, tasks, KPI
//! observations and citizen ratings, with the rules that hold for each value. No I/O here; wire
//! and row types live with the HTTP and store layers and convert into these.

pub mod aggregate;
pub mod cycle;
pub mod formula;
pub mod time;

pub use cycle::{CriteriaRecord, FrozenScore, OkrPeriod, PeriodState, Target};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
pub use time::{Period, PeriodKind, Ts};
use utoipa::ToSchema;

/// Identifiers are given by the source (the city's data dictionary: unit codes, staff numbers,
/// task numbers), so they are strings; `Arc<str>` because the rollup holds each id many times.
pub type Id = Arc<str>;

/// At most this many key results per objective (the city's method, step 2).
pub const MAX_KEY_RESULTS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    City,
    Department,
    Agency,
    Ward,
    Commune,
    Division,
}

impl UnitLevel {
    pub const ALL: [UnitLevel; 6] = [
        UnitLevel::City,
        UnitLevel::Department,
        UnitLevel::Agency,
        UnitLevel::Ward,
        UnitLevel::Commune,
        UnitLevel::Division,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            UnitLevel::City => "city",
            UnitLevel::Department => "department",
            UnitLevel::Agency => "agency",
            UnitLevel::Ward => "ward",
            UnitLevel::Commune => "commune",
            UnitLevel::Division => "division",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
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

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: Id,
    pub name: String,
    pub unit: Id,
    pub position: String,
}

#[derive(Debug, Clone, PartialEq)]
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

#[derive(Debug, Clone, PartialEq)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndexGroup {
    /// Kết quả phát triển: development results.
    Development,
    /// Phục vụ chính quyền: government service.
    Service,
    /// Công tác Đảng: Party work.
    Party,
    /// Nội chính, phòng chống tham nhũng, dư luận: internal affairs, anti-corruption, opinion.
    Internal,
}

impl IndexGroup {
    pub const ALL: [IndexGroup; 4] = [
        IndexGroup::Development,
        IndexGroup::Service,
        IndexGroup::Party,
        IndexGroup::Internal,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn as_str(self) -> &'static str {
        match self {
            IndexGroup::Development => "development",
            IndexGroup::Service => "service",
            IndexGroup::Party => "party",
            IndexGroup::Internal => "internal",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
        }
    }
    /// How long a value stays current: the longest period of this frequency plus a grace for
    /// entering it (the same defaults as the built-in stale-data alert). Older, the series counts
    /// as "no data" on every board, whatever its last value said.
    pub fn stale_after(self) -> Ts {
        const DAY: Ts = 86_400_000;
        match self {
            Frequency::Daily => 2 * DAY,
            Frequency::Weekly => 9 * DAY,
            Frequency::Monthly => 34 * DAY,
            Frequency::Quarterly => 99 * DAY,
            Frequency::Yearly => 381 * DAY,
        }
    }

    /// The kind of period an observation of a KPI with this frequency must name.
    pub fn period_kind(self) -> time::PeriodKind {
        match self {
            Frequency::Daily => time::PeriodKind::Day,
            Frequency::Weekly => time::PeriodKind::Week,
            Frequency::Monthly => time::PeriodKind::Month,
            Frequency::Quarterly => time::PeriodKind::Quarter,
            Frequency::Yearly => time::PeriodKind::Year,
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Daily,
            Self::Weekly,
            Self::Monthly,
            Self::Quarterly,
            Self::Yearly,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

/// A KPI's direction together with its thresholds, so that a threshold can never be read with
/// the wrong direction. Green and red are the edges of their bands; yellow lies between.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "direction", rename_all = "snake_case")]
pub enum Thresholds {
    /// Green when value >= green, red when value < red.
    HigherIsBetter { green: f64, red: f64 },
    /// Green when value <= green, red when value > red.
    LowerIsBetter { green: f64, red: f64 },
    /// Green inside [green_low, green_high], red outside [red_low, red_high].
    InBand {
        green_low: f64,
        green_high: f64,
        red_low: f64,
        red_high: f64,
    },
}

impl Thresholds {
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

    pub fn status(&self, value: f64) -> KpiStatus {
        match *self {
            Thresholds::HigherIsBetter { green, red } => {
                if value >= green {
                    KpiStatus::Green
                } else if value < red {
                    KpiStatus::Red
                } else {
                    KpiStatus::Yellow
                }
            }
            Thresholds::LowerIsBetter { green, red } => {
                if value <= green {
                    KpiStatus::Green
                } else if value > red {
                    KpiStatus::Red
                } else {
                    KpiStatus::Yellow
                }
            }
            Thresholds::InBand {
                green_low,
                green_high,
                red_low,
                red_high,
            } => {
                if (green_low..=green_high).contains(&value) {
                    KpiStatus::Green
                } else if value < red_low || value > red_high {
                    KpiStatus::Red
                } else {
                    KpiStatus::Yellow
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiStatus {
    Green,
    Yellow,
    Red,
    NoData,
}

impl KpiStatus {
    pub const ALL: [KpiStatus; 4] = [
        KpiStatus::Green,
        KpiStatus::Yellow,
        KpiStatus::Red,
        KpiStatus::NoData,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, PartialEq)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
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
    pub const ALL: [TaskStatus; 6] = [
        TaskStatus::Todo,
        TaskStatus::InProgress,
        TaskStatus::Submitted,
        TaskStatus::Accepted,
        TaskStatus::Returned,
        TaskStatus::Cancelled,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
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
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// Still the official's to do: counts as workload and can become overdue. A submitted task
    /// waits on its acceptor, not its assignee, so it is open but never overdue.
    pub fn is_open(self) -> bool {
        !matches!(self, TaskStatus::Accepted | TaskStatus::Cancelled)
    }
    pub fn can_be_overdue(self) -> bool {
        matches!(
            self,
            TaskStatus::Todo | TaskStatus::InProgress | TaskStatus::Returned
        )
    }
}

/// Progress in hundredths of a percent (0..=10,000): integer so aggregates stay exact.
pub type Progress = i64;
pub const PROGRESS_FULL: Progress = 10_000;

/// The time of the event that last set each group of a task's fields. An event older than the
/// group's time leaves that group alone, so late and out-of-order updates never win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskVersions {
    pub plan: Ts,
    pub assignment: Ts,
    pub progress: Ts,
    pub status: Ts,
}

#[derive(Debug, Clone, PartialEq)]
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
    pub submitted_at: Option<Ts>,
    /// When the accepted work was done: its submission time, else the acceptance time.
    pub done_at: Option<Ts>,
    pub versions: TaskVersions,
}

impl Task {
    pub fn is_overdue(&self, now: Ts) -> bool {
        self.status.can_be_overdue() && self.deadline < now
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub kpi: Id,
    pub unit: Id,
    pub period: Period,
    pub value: f64,
    pub source: String,
    pub entered_by: Option<Id>,
    pub at: Ts,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub event_id: Id,
    pub unit: Id,
    pub service: String,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    pub at: Ts,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi_status_respects_direction_and_band() {
        let hi = Thresholds::HigherIsBetter {
            green: 90.0,
            red: 70.0,
        };
        assert_eq!(hi.status(90.0), KpiStatus::Green);
        assert_eq!(hi.status(80.0), KpiStatus::Yellow);
        assert_eq!(hi.status(70.0), KpiStatus::Yellow);
        assert_eq!(hi.status(69.9), KpiStatus::Red);
        let lo = Thresholds::LowerIsBetter {
            green: 2.0,
            red: 5.0,
        };
        assert_eq!(lo.status(1.0), KpiStatus::Green);
        assert_eq!(lo.status(5.0), KpiStatus::Yellow);
        assert_eq!(lo.status(5.1), KpiStatus::Red);
        let band = Thresholds::InBand {
            green_low: 4.0,
            green_high: 6.0,
            red_low: 2.0,
            red_high: 8.0,
        };
        assert_eq!(band.status(5.0), KpiStatus::Green);
        assert_eq!(band.status(3.0), KpiStatus::Yellow);
        assert_eq!(band.status(8.5), KpiStatus::Red);
        assert!(Thresholds::HigherIsBetter {
            green: 1.0,
            red: 2.0
        }
        .validate()
        .is_err());
        assert!(Thresholds::LowerIsBetter {
            green: 3.0,
            red: 2.0
        }
        .validate()
        .is_err());
        assert!(Thresholds::HigherIsBetter {
            green: f64::NAN,
            red: 2.0
        }
        .validate()
        .is_err());
    }

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
#[derive(Debug, Clone, PartialEq)]
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
    /// The clock moved forward: deadlines that passed make their tasks overdue.
    Clock(Ts),
}

//! Row types: how the domain is laid out in tables, and the conversions both ways. Lists and
//! thresholds are JSON text so both dialects store them alike.

use super::StoreError;
use crate::domain::{
    Frequency, Id, IndexGroup, KeyResult, Kpi, KrDirection, Objective, Observation, Period, Person,
    Task, TaskStatus, TaskVersions, Thresholds, Unit, UnitLevel,
};

fn corrupt(what: &str, id: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} '{id}': {detail}"))
}

pub fn ids_json(xs: &[Id]) -> String {
    serde_json::to_string(&xs.iter().map(|x| &**x).collect::<Vec<&str>>())
        .expect("strings serialize")
}

fn ids_from_json(what: &str, id: &str, s: &str) -> Result<Vec<Id>, StoreError> {
    let v: Vec<String> = serde_json::from_str(s).map_err(|e| corrupt(what, id, e))?;
    Ok(v.into_iter().map(Id::from).collect())
}

#[derive(sqlx::FromRow)]
pub struct UnitRow {
    pub id: String,
    pub name: String,
    pub level: String,
    pub parent_id: Option<String>,
    pub leader_id: Option<String>,
    pub short_name: Option<String>,
}

impl TryFrom<UnitRow> for Unit {
    type Error = StoreError;
    fn try_from(r: UnitRow) -> Result<Self, StoreError> {
        let level = UnitLevel::parse(&r.level)
            .ok_or_else(|| corrupt("unit", &r.id, format!("level '{}'", r.level)))?;
        Ok(Unit {
            id: r.id.into(),
            name: r.name,
            level,
            parent: r.parent_id.map(Id::from),
            leader: r.leader_id.map(Id::from),
            short_name: r.short_name,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct PersonRow {
    pub id: String,
    pub name: String,
    pub unit_id: String,
    pub position: String,
}

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Self {
        Person {
            id: r.id.into(),
            name: r.name,
            unit: r.unit_id.into(),
            position: r.position,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct KpiRow {
    pub code: String,
    pub name: String,
    pub formula: String,
    pub data_source: String,
    pub unit_of_measure: String,
    pub thresholds: String,
    pub frequency: String,
    pub index_group: String,
    pub leading_unit: String,
    pub coordinating_units: String,
    pub measured_units: String,
    pub expression: Option<String>,
    pub rollup_rule: String,
    pub public: bool,
}

impl TryFrom<KpiRow> for Kpi {
    type Error = StoreError;
    fn try_from(r: KpiRow) -> Result<Self, StoreError> {
        let thresholds: Thresholds =
            serde_json::from_str(&r.thresholds).map_err(|e| corrupt("kpi", &r.code, e))?;
        let expression = r
            .expression
            .as_deref()
            .map(crate::domain::formula::Formula::parse)
            .transpose()
            .map_err(|e| corrupt("kpi", &r.code, e))?;
        let rollup =
            serde_json::from_str(&r.rollup_rule).map_err(|e| corrupt("kpi", &r.code, e))?;
        Ok(Kpi {
            frequency: Frequency::parse(&r.frequency)
                .ok_or_else(|| corrupt("kpi", &r.code, "frequency"))?,
            group: IndexGroup::parse(&r.index_group)
                .ok_or_else(|| corrupt("kpi", &r.code, "index group"))?,
            coordinating_units: ids_from_json("kpi", &r.code, &r.coordinating_units)?,
            measured_units: ids_from_json("kpi", &r.code, &r.measured_units)?,
            code: r.code.into(),
            name: r.name,
            formula: r.formula,
            data_source: r.data_source,
            unit_of_measure: r.unit_of_measure,
            thresholds,
            expression,
            rollup,
            leading_unit: r.leading_unit.into(),
            public: r.public,
        })
    }
}

pub fn thresholds_json(t: &Thresholds) -> String {
    serde_json::to_string(t).expect("thresholds serialize")
}

#[derive(sqlx::FromRow)]
pub struct ObjectiveRow {
    pub id: String,
    pub unit_id: String,
    pub title: String,
    pub period: String,
    pub parent_id: Option<String>,
    pub owner_id: Option<String>,
    pub weight: f64,
}

impl TryFrom<ObjectiveRow> for Objective {
    type Error = StoreError;
    fn try_from(r: ObjectiveRow) -> Result<Self, StoreError> {
        Ok(Objective {
            period: Period::parse(&r.period).map_err(|e| corrupt("objective", &r.id, e))?,
            id: r.id.into(),
            unit: r.unit_id.into(),
            title: r.title,
            parent: r.parent_id.map(Id::from),
            owner: r.owner_id.map(Id::from),
            weight: r.weight,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct KeyResultRow {
    pub id: String,
    pub objective_id: String,
    pub title: String,
    pub start_value: f64,
    pub target_value: f64,
    pub current_value: f64,
    pub unit_of_measure: String,
    pub direction: String,
    pub weight: f64,
    pub confidence: Option<i64>,
    pub current_at: i64,
}

pub fn kr_direction_str(d: KrDirection) -> &'static str {
    match d {
        KrDirection::Increase => "increase",
        KrDirection::Decrease => "decrease",
    }
}

impl TryFrom<KeyResultRow> for KeyResult {
    type Error = StoreError;
    fn try_from(r: KeyResultRow) -> Result<Self, StoreError> {
        let direction = match r.direction.as_str() {
            "increase" => KrDirection::Increase,
            "decrease" => KrDirection::Decrease,
            other => return Err(corrupt("key result", &r.id, format!("direction '{other}'"))),
        };
        Ok(KeyResult {
            id: r.id.into(),
            objective: r.objective_id.into(),
            title: r.title,
            start: r.start_value,
            target: r.target_value,
            current: r.current_value,
            unit_of_measure: r.unit_of_measure,
            direction,
            weight: r.weight,
            confidence: r.confidence.and_then(|c| u8::try_from(c).ok()),
            current_at: r.current_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct TaskRow {
    pub id: String,
    pub title: String,
    pub unit_id: String,
    pub responsible_id: String,
    pub accountable_id: Option<String>,
    pub consulted: String,
    pub informed: String,
    pub key_result_id: Option<String>,
    pub start_at: Option<i64>,
    pub deadline: i64,
    pub expected_output: String,
    pub progress: i64,
    pub status: String,
    pub quality: Option<f64>,
    pub submitted_at: Option<i64>,
    pub returned_at: Option<i64>,
    pub done_at: Option<i64>,
    pub plan_v: i64,
    pub assignment_v: i64,
    pub progress_v: i64,
    pub status_v: i64,
}

impl TryFrom<TaskRow> for Task {
    type Error = StoreError;
    fn try_from(r: TaskRow) -> Result<Self, StoreError> {
        let status = TaskStatus::parse(&r.status)
            .ok_or_else(|| corrupt("task", &r.id, format!("status '{}'", r.status)))?;
        Ok(Task {
            consulted: ids_from_json("task", &r.id, &r.consulted)?,
            informed: ids_from_json("task", &r.id, &r.informed)?,
            id: r.id.into(),
            title: r.title,
            unit: r.unit_id.into(),
            responsible: r.responsible_id.into(),
            accountable: r.accountable_id.map(Id::from),
            key_result: r.key_result_id.map(Id::from),
            start: r.start_at,
            deadline: r.deadline,
            expected_output: r.expected_output,
            progress: r.progress,
            status,
            quality: r.quality,
            submitted_at: r.submitted_at,
            returned_at: r.returned_at,
            done_at: r.done_at,
            versions: TaskVersions {
                plan: r.plan_v,
                assignment: r.assignment_v,
                progress: r.progress_v,
                status: r.status_v,
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ObservationRow {
    pub kpi_code: String,
    pub unit_id: String,
    pub period: String,
    pub value: f64,
    pub source: String,
    pub entered_by: Option<String>,
    pub at: i64,
}

impl TryFrom<ObservationRow> for Observation {
    type Error = StoreError;
    fn try_from(r: ObservationRow) -> Result<Self, StoreError> {
        Ok(Observation {
            period: Period::parse(&r.period).map_err(|e| corrupt("observation", &r.kpi_code, e))?,
            kpi: r.kpi_code.into(),
            unit: r.unit_id.into(),
            value: r.value,
            source: r.source,
            entered_by: r.entered_by.map(Id::from),
            at: r.at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub source: String,
    pub event_id: String,
    pub kind: String,
    pub entity_id: String,
    pub at: i64,
    pub received_at: i64,
    pub body: String,
}

/// One row of `GROUP BY key, status` over tasks.
#[derive(sqlx::FromRow)]
pub struct TaskGroupRow {
    pub key: String,
    pub status: String,
    pub n: i64,
    pub overdue: i64,
    pub on_time: i64,
    pub late: i64,
    pub progress_sum: i64,
    pub progress_n: i64,
}

#[derive(sqlx::FromRow)]
pub struct PeriodRow {
    pub label: String,
    pub state: String,
    pub changed_at: i64,
    pub changed_by: String,
}

impl TryFrom<PeriodRow> for crate::domain::OkrPeriod {
    type Error = StoreError;
    fn try_from(r: PeriodRow) -> Result<Self, StoreError> {
        Ok(crate::domain::OkrPeriod {
            period: Period::parse(&r.label).map_err(|e| corrupt("okr period", &r.label, e))?,
            state: crate::domain::PeriodState::parse(&r.state)
                .ok_or_else(|| corrupt("okr period", &r.label, "state"))?,
            changed_at: r.changed_at,
            changed_by: r.changed_by,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct TargetRow {
    pub kpi_code: String,
    pub unit_id: String,
    pub period: String,
    pub target: f64,
    pub set_at: i64,
    pub set_by: String,
}

impl TryFrom<TargetRow> for crate::domain::Target {
    type Error = StoreError;
    fn try_from(r: TargetRow) -> Result<Self, StoreError> {
        Ok(crate::domain::Target {
            period: Period::parse(&r.period).map_err(|e| corrupt("kpi target", &r.kpi_code, e))?,
            kpi: r.kpi_code.into(),
            unit: r.unit_id.into(),
            target: r.target,
            set_at: r.set_at,
            set_by: r.set_by,
        })
    }
}

/// A stored JSON record of one person and period: general-criteria scores or a frozen score.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PersonRecordRow {
    pub person_id: String,
    pub period: String,
    pub body: String,
}

//! Catalog entries as they arrive over REST or from an import file: units, people, KPIs,
//! objectives and key results. Checked on their own here; references to other entries are
//! checked by the writer against the rollup (`plan.rs`), so a catalog and its events agree.

pub(crate) mod plan;

use super::{check_finite, check_id, check_text, ItemError};
use crate::domain::{
    Frequency, Id, IndexGroup, KeyResult, Kpi, KrDirection, Objective, Period, Person, Thresholds,
    Unit, UnitLevel,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UnitIn {
    pub id: String,
    pub name: String,
    pub level: UnitLevel,
    /// Parent unit id; omitted only for the root (city or province).
    #[serde(default)]
    pub parent: Option<String>,
    /// The person who leads the unit (gets its alerts); set once the person exists.
    #[serde(default)]
    pub leader: Option<String>,
    /// A short name for tiles on walls and boards where the full name cannot fit, e.g.
    /// "BQL DA dân dụng"; at most 40 characters. Without it, screens show the full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PersonIn {
    pub id: String,
    pub name: String,
    pub unit: String,
    /// Job position (chức vụ), e.g. "Chủ tịch UBND phường", "Chuyên viên".
    pub position: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KpiIn {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub formula: String,
    #[serde(default)]
    pub data_source: String,
    pub unit_of_measure: String,
    /// Direction and thresholds together: `{"direction":"higher_is_better","green":90,"red":70}`,
    /// `lower_is_better` likewise, or `{"direction":"in_band","green_low":..,"green_high":..,"red_low":..,"red_high":..}`.
    pub thresholds: Thresholds,
    pub frequency: Frequency,
    pub group: IndexGroup,
    pub leading_unit: String,
    #[serde(default)]
    pub coordinating_units: Vec<String>,
    /// Units measured by this KPI, one series each; empty means the leading unit only.
    #[serde(default)]
    pub measured_units: Vec<String>,
    /// Makes the KPI computed, not entered: a formula over other KPIs of the same unit and
    /// period, codes in braces: `{HS-DUNGHAN} / {HS-TONG} * 100`. Operators + - * / % ^,
    /// functions min, max, abs, floor, ceil, round, sqrt. A missing input or a division by zero
    /// gives no value. (`formula` stays the human description.)
    #[serde(default)]
    pub expression: Option<String>,
    /// How a parent unit aggregates its units' series: `{"rule": "sum" | "mean" | "min" | "max"
    /// | "worst_status"}` or `{"rule": "weighted_mean", "weight": "KPI-CODE"}` (default
    /// worst_status).
    #[serde(default)]
    pub rollup: Option<crate::domain::aggregate::RollupRule>,
    /// Shown on the public board of each unit it is measured for (results published to
    /// citizens); an admin's choice, audited like every catalog change. Default false.
    #[serde(default)]
    pub public: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveIn {
    pub id: String,
    pub unit: String,
    pub title: String,
    /// 2026, 2026-Q4, ...
    pub period: String,
    /// The objective one level up this one is aligned to.
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    /// Its weight in the parent objective's roll-up (default 1), where it counts like a key
    /// result of that weight.
    #[serde(default)]
    pub weight: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyResultIn {
    pub id: String,
    pub objective: String,
    pub title: String,
    pub start: f64,
    pub target: f64,
    /// Defaults to `start` for a new key result and to the last check-in for an existing one.
    #[serde(default)]
    pub current: Option<f64>,
    pub unit_of_measure: String,
    /// increase or decrease; defaults to what start and target imply.
    #[serde(default)]
    pub direction: Option<KrDirection>,
    #[serde(default)]
    pub weight: Option<f64>,
    /// Read-only: confidence of the latest check-in, 0..10. Accepted and ignored in a write, so
    /// a read can be sent back; check-ins set it.
    #[serde(default)]
    #[schema(read_only, maximum = 10)]
    pub confidence: Option<u8>,
}

/// A validated catalog entry.
#[derive(Debug, Clone, PartialEq)]
pub enum CatalogItem {
    Unit(Unit),
    Person(Person),
    Kpi(Kpi),
    Objective(Objective),
    /// `current` is `None` when the entry did not set it: the writer keeps the existing value.
    KeyResult(KeyResult, Option<f64>),
}

fn opt_id(field: &str, s: &Option<String>) -> Result<Option<Id>, ItemError> {
    match s {
        Some(s) => {
            check_id(field, s)?;
            Ok(Some(s.as_str().into()))
        }
        None => Ok(None),
    }
}

fn ids(field: &str, xs: &[String]) -> Result<Vec<Id>, ItemError> {
    xs.iter()
        .enumerate()
        .map(|(i, x)| check_id(&format!("{field}[{i}]"), x).map(|_| Id::from(x.as_str())))
        .collect()
}

/// A roll-up weight: above 0 and at most 100, 1 when not given.
fn check_weight(weight: Option<f64>) -> Result<f64, ItemError> {
    let weight = weight.unwrap_or(1.0);
    check_finite("weight", weight)?;
    if weight <= 0.0 || weight > 100.0 {
        return Err(ItemError::new("weight", "must be above 0 and at most 100"));
    }
    Ok(weight)
}

impl UnitIn {
    pub fn validate(&self) -> Result<CatalogItem, ItemError> {
        check_id("id", &self.id)?;
        check_text("name", &self.name, 300)?;
        let parent = opt_id("parent", &self.parent)?;
        if parent.as_deref() == Some(self.id.as_str()) {
            return Err(ItemError::new("parent", "a unit cannot be its own parent"));
        }
        Ok(CatalogItem::Unit(Unit {
            id: self.id.as_str().into(),
            name: self.name.clone(),
            level: self.level,
            parent,
            leader: opt_id("leader", &self.leader)?,
            short_name: match &self.short_name {
                Some(s) if !s.trim().is_empty() => {
                    check_text("short_name", s, 40)?;
                    Some(s.trim().to_string())
                }
                _ => None,
            },
        }))
    }
}

impl From<&Unit> for UnitIn {
    fn from(u: &Unit) -> Self {
        UnitIn {
            id: u.id.to_string(),
            name: u.name.clone(),
            level: u.level,
            parent: u.parent.as_ref().map(|p| p.to_string()),
            leader: u.leader.as_ref().map(|p| p.to_string()),
            short_name: u.short_name.clone(),
        }
    }
}

impl PersonIn {
    pub fn validate(&self) -> Result<CatalogItem, ItemError> {
        check_id("id", &self.id)?;
        check_text("name", &self.name, 300)?;
        check_id("unit", &self.unit)?;
        check_text("position", &self.position, 300)?;
        Ok(CatalogItem::Person(Person {
            id: self.id.as_str().into(),
            name: self.name.clone(),
            unit: self.unit.as_str().into(),
            position: self.position.clone(),
        }))
    }
}

impl From<&Person> for PersonIn {
    fn from(p: &Person) -> Self {
        PersonIn {
            id: p.id.to_string(),
            name: p.name.clone(),
            unit: p.unit.to_string(),
            position: p.position.clone(),
        }
    }
}

impl KpiIn {
    pub fn validate(&self) -> Result<CatalogItem, ItemError> {
        check_id("code", &self.code)?;
        check_text("name", &self.name, 500)?;
        check_text("unit_of_measure", &self.unit_of_measure, 100)?;
        if self.formula.chars().count() > 2000 {
            return Err(ItemError::new("formula", "is longer than 2000 characters"));
        }
        self.thresholds
            .validate()
            .map_err(|e| ItemError::new("thresholds", e))?;
        check_id("leading_unit", &self.leading_unit)?;
        let expression = match self.expression.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                crate::domain::formula::Formula::parse(text)
                    .map_err(|e| ItemError::new("expression", e))?,
            ),
        };
        let rollup = self.rollup.clone().unwrap_or_default();
        if let crate::domain::aggregate::RollupRule::WeightedMean { weight } = &rollup {
            check_id("rollup.weight", weight)?;
        }
        Ok(CatalogItem::Kpi(Kpi {
            code: self.code.as_str().into(),
            name: self.name.clone(),
            formula: self.formula.clone(),
            data_source: self.data_source.clone(),
            unit_of_measure: self.unit_of_measure.clone(),
            thresholds: self.thresholds,
            frequency: self.frequency,
            group: self.group,
            leading_unit: self.leading_unit.as_str().into(),
            coordinating_units: ids("coordinating_units", &self.coordinating_units)?,
            measured_units: ids("measured_units", &self.measured_units)?,
            expression,
            rollup,
            public: self.public,
        }))
    }
}

impl From<&Kpi> for KpiIn {
    fn from(k: &Kpi) -> Self {
        KpiIn {
            code: k.code.to_string(),
            name: k.name.clone(),
            formula: k.formula.clone(),
            data_source: k.data_source.clone(),
            unit_of_measure: k.unit_of_measure.clone(),
            thresholds: k.thresholds,
            frequency: k.frequency,
            group: k.group,
            leading_unit: k.leading_unit.to_string(),
            coordinating_units: k.coordinating_units.iter().map(|u| u.to_string()).collect(),
            measured_units: k.measured_units.iter().map(|u| u.to_string()).collect(),
            expression: k.expression.as_ref().map(|f| f.text().to_string()),
            rollup: Some(k.rollup.clone()),
            public: k.public,
        }
    }
}

impl ObjectiveIn {
    pub fn validate(&self) -> Result<CatalogItem, ItemError> {
        check_id("id", &self.id)?;
        check_id("unit", &self.unit)?;
        check_text("title", &self.title, 500)?;
        let period = Period::parse(&self.period).map_err(|e| ItemError::new("period", e))?;
        let parent = opt_id("parent", &self.parent)?;
        if parent.as_deref() == Some(self.id.as_str()) {
            return Err(ItemError::new(
                "parent",
                "an objective cannot be aligned to itself",
            ));
        }
        let weight = check_weight(self.weight)?;
        Ok(CatalogItem::Objective(Objective {
            id: self.id.as_str().into(),
            unit: self.unit.as_str().into(),
            title: self.title.clone(),
            period,
            parent,
            owner: opt_id("owner", &self.owner)?,
            weight,
        }))
    }
}

impl From<&Objective> for ObjectiveIn {
    fn from(o: &Objective) -> Self {
        ObjectiveIn {
            id: o.id.to_string(),
            unit: o.unit.to_string(),
            title: o.title.clone(),
            period: o.period.label().to_string(),
            parent: o.parent.as_ref().map(|p| p.to_string()),
            owner: o.owner.as_ref().map(|p| p.to_string()),
            weight: Some(o.weight),
        }
    }
}

impl KeyResultIn {
    pub fn validate(&self) -> Result<CatalogItem, ItemError> {
        check_id("id", &self.id)?;
        check_id("objective", &self.objective)?;
        check_text("title", &self.title, 500)?;
        check_text("unit_of_measure", &self.unit_of_measure, 100)?;
        check_finite("start", self.start)?;
        check_finite("target", self.target)?;
        if let Some(c) = self.current {
            check_finite("current", c)?;
        }
        if self.start == self.target {
            return Err(ItemError::new("target", "must differ from start"));
        }
        let implied = if self.target > self.start {
            KrDirection::Increase
        } else {
            KrDirection::Decrease
        };
        let direction = self.direction.unwrap_or(implied);
        if direction != implied {
            return Err(ItemError::new(
                "direction",
                format!(
                    "is {direction:?} but target {} lies the other way from start {}",
                    self.target, self.start
                ),
            ));
        }
        let weight = check_weight(self.weight)?;
        Ok(CatalogItem::KeyResult(
            KeyResult {
                id: self.id.as_str().into(),
                objective: self.objective.as_str().into(),
                title: self.title.clone(),
                start: self.start,
                target: self.target,
                current: self.current.unwrap_or(self.start),
                unit_of_measure: self.unit_of_measure.clone(),
                direction,
                weight,
                confidence: None,
                current_at: i64::MIN,
            },
            self.current,
        ))
    }
}

impl From<&KeyResult> for KeyResultIn {
    fn from(k: &KeyResult) -> Self {
        KeyResultIn {
            id: k.id.to_string(),
            objective: k.objective.to_string(),
            title: k.title.clone(),
            start: k.start,
            target: k.target,
            current: Some(k.current),
            unit_of_measure: k.unit_of_measure.clone(),
            direction: Some(k.direction),
            weight: Some(k.weight),
            confidence: k.confidence,
        }
    }
}

/// A whole catalog in one document: what `ioc import` reads from JSON and the demo builds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogDoc {
    #[serde(default)]
    pub units: Vec<UnitIn>,
    #[serde(default)]
    pub people: Vec<PersonIn>,
    #[serde(default)]
    pub kpis: Vec<KpiIn>,
    #[serde(default)]
    pub objectives: Vec<ObjectiveIn>,
    #[serde(default)]
    pub key_results: Vec<KeyResultIn>,
}

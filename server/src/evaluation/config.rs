//! The evaluation model as configured: the `[evaluation]` table of the server's TOML config.
//! The default is Decree 335/2025/ND-CP: 30 points of general criteria, 70 of task results.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EvaluationConfig {
    /// Points for the general criteria scored by the leader.
    pub general_max: f64,
    /// Points for the results of the person's tasks; with `general_max` it makes 100.
    pub tasks_max: f64,
    /// The general criteria; their `max_points` sum to `general_max`.
    pub criteria: Vec<Criterion>,
    /// Share of an item's points taken when it was done after its deadline.
    pub late_deduction: f64,
    /// Share of an item's points taken when its accepted quality is below `quality_pass`.
    pub quality_deduction: f64,
    /// Accepted quality (0-100) below this is a quality failure.
    pub quality_pass: f64,
    pub excellent_from: f64,
    pub good_from: f64,
    pub complete_from: f64,
    /// The number classified excellent in a unit may not exceed this share of the number who
    /// reach good (good or excellent: the excellent are chosen among them); shown, never
    /// applied.
    pub excellent_quota: f64,
    /// Share of a unit leader's task points that comes from the unit's results.
    pub leader_unit_share: f64,
    /// Workload norm: with fewer own items than this, task points scale by count / min_items.
    /// 0 disables it.
    pub min_items: u32,
    /// The kind of period officials are evaluated over.
    pub period: EvaluationPeriod,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub name_vi: String,
    pub name_en: String,
    pub max_points: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationPeriod {
    #[default]
    Month,
    Quarter,
}

impl EvaluationPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            EvaluationPeriod::Month => "month",
            EvaluationPeriod::Quarter => "quarter",
        }
    }
    pub fn kind(self) -> crate::domain::PeriodKind {
        match self {
            EvaluationPeriod::Month => crate::domain::PeriodKind::Month,
            EvaluationPeriod::Quarter => crate::domain::PeriodKind::Quarter,
        }
    }
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        let criterion = |id: &str, name_vi: &str, name_en: &str| Criterion {
            id: id.into(),
            name_vi: name_vi.into(),
            name_en: name_en.into(),
            max_points: 6.0,
        };
        EvaluationConfig {
            general_max: 30.0,
            tasks_max: 70.0,
            criteria: vec![
                criterion("politics", "Chính trị, tư tưởng", "Political ideology"),
                criterion("ethics", "Đạo đức, lối sống", "Ethics and lifestyle"),
                criterion("work_style", "Tác phong, lề lối làm việc", "Working style"),
                criterion("discipline", "Ý thức tổ chức kỷ luật", "Discipline"),
                criterion(
                    "learning",
                    "Tinh thần học tập, đổi mới, sáng tạo",
                    "Learning and innovation",
                ),
            ],
            late_deduction: 0.25,
            quality_deduction: 0.25,
            quality_pass: 50.0,
            excellent_from: 90.0,
            good_from: 70.0,
            complete_from: 50.0,
            excellent_quota: 0.20,
            leader_unit_share: 0.5,
            min_items: 0,
            period: EvaluationPeriod::Month,
        }
    }
}

/// Sums of configured points are compared with this slack, so that 6 + 6 + 6 + 6 + 6 written as
/// decimals still makes 30.
const EPS: f64 = 1e-9;

impl EvaluationConfig {
    /// The first problem found, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        let numbers = [
            ("general_max", self.general_max),
            ("tasks_max", self.tasks_max),
            ("late_deduction", self.late_deduction),
            ("quality_deduction", self.quality_deduction),
            ("quality_pass", self.quality_pass),
            ("excellent_from", self.excellent_from),
            ("good_from", self.good_from),
            ("complete_from", self.complete_from),
            ("excellent_quota", self.excellent_quota),
            ("leader_unit_share", self.leader_unit_share),
        ];
        if let Some((name, v)) = numbers.iter().find(|(_, v)| !v.is_finite()) {
            return Err(format!(
                "evaluation.{name} must be a finite number, got {v}"
            ));
        }
        for (name, v) in [
            ("general_max", self.general_max),
            ("tasks_max", self.tasks_max),
        ] {
            if v < 0.0 {
                return Err(format!("evaluation.{name} must not be negative, got {v}"));
            }
        }
        if (self.general_max + self.tasks_max - 100.0).abs() > EPS {
            return Err(format!(
                "evaluation.general_max ({}) and evaluation.tasks_max ({}) must sum to 100",
                self.general_max, self.tasks_max
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.criteria.iter().enumerate() {
            if c.id.trim().is_empty() {
                return Err(format!("evaluation.criteria[{i}].id must not be empty"));
            }
            if !seen.insert(c.id.as_str()) {
                return Err(format!(
                    "evaluation.criteria[{i}].id '{}' is used twice",
                    c.id
                ));
            }
            if c.name_vi.trim().is_empty() {
                return Err(format!(
                    "evaluation.criteria[{i}].name_vi ('{}') must not be empty",
                    c.id
                ));
            }
            if !c.max_points.is_finite() || c.max_points <= 0.0 {
                return Err(format!(
                    "evaluation.criteria[{i}].max_points ('{}') must be a positive number, got {}",
                    c.id, c.max_points
                ));
            }
        }
        let sum: f64 = self.criteria.iter().map(|c| c.max_points).sum();
        if (sum - self.general_max).abs() > EPS {
            return Err(format!(
                "evaluation.criteria: max_points sum to {sum}, evaluation.general_max is {}",
                self.general_max
            ));
        }
        for (name, v) in [
            ("late_deduction", self.late_deduction),
            ("quality_deduction", self.quality_deduction),
            ("excellent_quota", self.excellent_quota),
            ("leader_unit_share", self.leader_unit_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "evaluation.{name} must be between 0 and 1, got {v}"
                ));
            }
        }
        if !(0.0..=100.0).contains(&self.quality_pass) {
            return Err(format!(
                "evaluation.quality_pass must be between 0 and 100, got {}",
                self.quality_pass
            ));
        }
        // Strictly increasing, so that no band is empty.
        if self.complete_from < 0.0 {
            return Err(format!(
                "evaluation.complete_from must not be negative, got {}",
                self.complete_from
            ));
        }
        if self.good_from <= self.complete_from {
            return Err(format!(
                "evaluation.good_from ({}) must be above evaluation.complete_from ({}): bands out of order",
                self.good_from, self.complete_from
            ));
        }
        if self.excellent_from <= self.good_from {
            return Err(format!(
                "evaluation.excellent_from ({}) must be above evaluation.good_from ({}): bands out of order",
                self.excellent_from, self.good_from
            ));
        }
        if self.excellent_from > 100.0 {
            return Err(format!(
                "evaluation.excellent_from must be at most 100, got {}",
                self.excellent_from
            ));
        }
        Ok(())
    }
}

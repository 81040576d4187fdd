//! The 100-point evaluation of officials (Decree 335/2025/ND-CP, configurable): each person's
//! score for a period from their tasks and their leader's criteria scores, the excellent quota of
//! a unit, the annual result and the ranking. Pure: the caller gathers the tasks and people.

mod annual;
mod config;
pub mod freeze;
pub mod gather;
mod quota;
mod rank;
mod score;
#[cfg(test)]
mod tests;

pub use annual::{annual, AnnualScore, PeriodOverride, PeriodResult};
pub use config::{Criterion, EvaluationConfig, EvaluationPeriod};
pub use quota::{quota, ClassCounts, Quota, QuotaLine};
pub use rank::{rank, RankLine};
pub use score::{
    score, with_criteria, CriteriaInput, CriterionScore, Deduction, DeductionReason, GeneralPoints,
    ItemCounts, ItemScore, ItemsPart, PersonInput, PersonScore, TaskPoints, Workload,
};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The class of a period's (or a year's) result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Excellent,
    Good,
    Complete,
    NotComplete,
    /// Nothing to evaluate in the period (no items).
    NotEvaluated,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::Excellent,
        Class::Good,
        Class::Complete,
        Class::NotComplete,
        Class::NotEvaluated,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Excellent => "excellent",
            Class::Good => "good",
            Class::Complete => "complete",
            Class::NotComplete => "not_complete",
            Class::NotEvaluated => "not_evaluated",
        }
    }
    /// The name used in the decree's forms.
    pub fn label_vi(self) -> &'static str {
        match self {
            Class::Excellent => "Hoàn thành xuất sắc nhiệm vụ",
            Class::Good => "Hoàn thành tốt nhiệm vụ",
            Class::Complete => "Hoàn thành nhiệm vụ",
            Class::NotComplete => "Không hoàn thành nhiệm vụ",
            Class::NotEvaluated => "Chưa đánh giá",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The class a total earns by the configured bands. Classify the rounded total, the one shown.
pub fn classify(cfg: &EvaluationConfig, total: f64) -> Class {
    if total >= cfg.excellent_from {
        Class::Excellent
    } else if total >= cfg.good_from {
        Class::Good
    } else if total >= cfg.complete_from {
        Class::Complete
    } else {
        Class::NotComplete
    }
}

/// The thresholds a score was computed with, so that it can be read without the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvaluationBands {
    pub general_max: f64,
    pub tasks_max: f64,
    pub excellent_from: f64,
    pub good_from: f64,
    pub complete_from: f64,
    pub late_deduction: f64,
    pub quality_deduction: f64,
    pub quality_pass: f64,
    pub leader_unit_share: f64,
    pub min_items: u32,
}

impl EvaluationBands {
    pub fn of(cfg: &EvaluationConfig) -> Self {
        EvaluationBands {
            general_max: cfg.general_max,
            tasks_max: cfg.tasks_max,
            excellent_from: cfg.excellent_from,
            good_from: cfg.good_from,
            complete_from: cfg.complete_from,
            late_deduction: cfg.late_deduction,
            quality_deduction: cfg.quality_deduction,
            quality_pass: cfg.quality_pass,
            leader_unit_share: cfg.leader_unit_share,
            min_items: cfg.min_items,
        }
    }
}

/// Points are shown to two decimals; a total is rounded once, from unrounded parts.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

//! The OKR cycle's own records: periods (quarters and years) with their state, per-unit KPI
//! targets, the leaders' general-criteria scores and the evaluation scores frozen at a close.
//! Criteria and frozen scores travel as JSON text: their shape belongs to `evaluation`, and the
//! rollup and the store only carry them.

use super::{Id, Period, Ts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a period is in its cycle. Objectives and key results are set while it is planned,
/// checked in while it is active, and a closed period is read-only except for an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodState {
    Planning,
    Active,
    Closed,
}

impl PeriodState {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodState::Planning => "planning",
            PeriodState::Active => "active",
            PeriodState::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Planning, Self::Active, Self::Closed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// The lifecycle: planning -> active -> closed, and an admin may reopen a closed period.
    /// Planning straight to closed is refused: a period that never ran has nothing to freeze.
    pub fn may_become(self, next: PeriodState) -> bool {
        use PeriodState::*;
        matches!(
            (self, next),
            (Planning, Active) | (Active, Closed) | (Closed, Active) | (Active, Planning)
        ) || self == next
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OkrPeriod {
    /// A quarter or a year.
    pub period: Period,
    pub state: PeriodState,
    pub changed_at: Ts,
    /// The account (or system part) that last changed the state.
    pub changed_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub kpi: Id,
    pub unit: Id,
    /// The period the target is for; it also holds for each shorter period within it.
    pub period: Period,
    pub target: f64,
    pub set_at: Ts,
    pub set_by: String,
}

/// A leader's general-criteria scores for one person and evaluation period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriteriaRecord {
    pub person: Id,
    pub period: Period,
    /// `evaluation::CriteriaInput` as JSON.
    pub body: String,
    pub set_by: String,
    pub set_at: Ts,
}

/// A person's score for an evaluation period, frozen when its OKR period closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenScore {
    pub person: Id,
    pub unit: Id,
    pub period: Period,
    /// `evaluation::PersonScore` as JSON.
    pub body: String,
    pub frozen_at: Ts,
}

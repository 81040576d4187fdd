//! A unit's score (0-100) and its colour: the one figure the city board ranks units by and the
//! review compares week on week. Computed from figures every unit view already has, so the live
//! board, the REST views and the review report (which rebuilds the figures as of a past day)
//! cannot disagree.
//!
//! score = 100 x weighted mean of the parts that have data:
//! - KPI health, weight 0.4: (green + yellow / 2) / (green + yellow + red) over the subtree's
//!   series with a current value;
//! - on-time rate, weight 0.3: accepted on time / accepted;
//! - work not overdue, weight 0.3: 1 - overdue / tasks that can be overdue.
//!
//! A part without data drops out and the others' weights are scaled up; no part at all gives
//! no score. Colour: green from 80, yellow from 60, red below.

use crate::domain::KpiStatus;
use serde::Serialize;
use utoipa::ToSchema;

pub const KPI_WEIGHT: f64 = 0.4;
pub const ON_TIME_WEIGHT: f64 = 0.3;
pub const NOT_OVERDUE_WEIGHT: f64 = 0.3;
pub const GREEN_FROM: f64 = 80.0;
pub const YELLOW_FROM: f64 = 60.0;

/// The inputs of a score, as counts and ratios any view or reconstruction has.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScoreInputs {
    pub kpi_green: i64,
    pub kpi_yellow: i64,
    pub kpi_red: i64,
    /// Accepted on time / accepted, 0..1.
    pub on_time_rate: Option<f64>,
    /// Overdue / tasks that can be overdue, 0..1.
    pub overdue_ratio: Option<f64>,
}

/// The score, 0..100 to one decimal, or None when the unit has no data at all.
pub fn score(i: &ScoreInputs) -> Option<f64> {
    let with_value = i.kpi_green + i.kpi_yellow + i.kpi_red;
    let kpi = (with_value > 0)
        .then(|| (i.kpi_green as f64 + i.kpi_yellow as f64 / 2.0) / with_value as f64);
    let parts = [
        (kpi, KPI_WEIGHT),
        (i.on_time_rate, ON_TIME_WEIGHT),
        (i.overdue_ratio.map(|r| 1.0 - r), NOT_OVERDUE_WEIGHT),
    ];
    let (sum, weight) = parts
        .iter()
        .filter_map(|(v, w)| v.map(|v| (v.clamp(0.0, 1.0) * w, *w)))
        .fold((0.0, 0.0), |(s, ws), (v, w)| (s + v, ws + w));
    (weight > 0.0).then(|| (sum / weight * 1000.0).round() / 10.0)
}

/// The colour of a score; no score is "no data".
pub fn band(score: Option<f64>) -> KpiStatus {
    match score {
        Some(s) if s >= GREEN_FROM => KpiStatus::Green,
        Some(s) if s >= YELLOW_FROM => KpiStatus::Yellow,
        Some(_) => KpiStatus::Red,
        None => KpiStatus::NoData,
    }
}

/// A score with its colour, as views carry it.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq)]
pub struct Scored {
    /// 0..100, one decimal; null without any data.
    pub value: Option<f64>,
    pub band: KpiStatus,
}

impl Scored {
    pub fn of(i: &ScoreInputs) -> Scored {
        let value = score(i);
        Scored {
            value,
            band: band(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_with_every_part_is_the_weighted_mean() {
        let i = ScoreInputs {
            kpi_green: 2,
            kpi_yellow: 1,
            kpi_red: 1,
            on_time_rate: Some(0.8),
            overdue_ratio: Some(0.1),
        };
        // kpi 2.5/4 = 0.625; 0.4*0.625 + 0.3*0.8 + 0.3*0.9 = 0.76
        assert_eq!(score(&i), Some(76.0));
        assert_eq!(band(score(&i)), KpiStatus::Yellow);
    }

    #[test]
    fn missing_parts_drop_out_and_the_rest_is_rescaled() {
        let only_tasks = ScoreInputs {
            on_time_rate: Some(0.9),
            overdue_ratio: Some(0.3),
            ..Default::default()
        };
        // (0.3*0.9 + 0.3*0.7) / 0.6 = 0.8
        assert_eq!(score(&only_tasks), Some(80.0));
        assert_eq!(band(score(&only_tasks)), KpiStatus::Green);
        assert_eq!(score(&ScoreInputs::default()), None);
        assert_eq!(band(None), KpiStatus::NoData);
    }

    #[test]
    fn bands_start_at_their_threshold() {
        assert_eq!(band(Some(80.0)), KpiStatus::Green);
        assert_eq!(band(Some(79.9)), KpiStatus::Yellow);
        assert_eq!(band(Some(60.0)), KpiStatus::Yellow);
        assert_eq!(band(Some(59.9)), KpiStatus::Red);
    }
}

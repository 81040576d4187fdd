//! A KPI's figures beyond one series: the target a series is held to and how far it has come,
//! why a computed series has no value, and a parent unit's aggregate of its units' series by the
//! KPI's roll-up rule (sum, mean, weighted mean, min, max, worst status).

use super::State;
use crate::domain::aggregate::{aggregate, Part, RollupRule};
use crate::domain::formula::NoData;
use crate::domain::{Id, Kpi, KpiStatus, Observation, Thresholds, Ts};
use serde::Serialize;
use std::collections::HashSet;
use utoipa::ToSchema;

/// A unit's aggregate of one KPI over the units below it that measure it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct KpiAggregateLine {
    pub code: String,
    pub name: String,
    pub unit_of_measure: String,
    pub rule: RollupRule,
    /// Null for worst_status, and when no unit has a current value.
    pub value: Option<f64>,
    /// By the KPI's thresholds on `value`, or the worst of the units' statuses.
    pub status: KpiStatus,
    /// The newest period among the values counted.
    pub period: Option<String>,
    /// Units whose current value was counted.
    pub counted: usize,
    /// Units that measure the KPI but have no current value for that period (or no weight).
    pub missing: Vec<String>,
    /// The target this unit was handed for that period, and `value` against it (percent).
    pub target: Option<f64>,
    pub attainment: Option<f64>,
}

/// How far `value` has come against `target`, in percent: value / target for higher-is-better,
/// target / value for lower-is-better; none for a band or a zero denominator.
pub fn attainment(thresholds: &Thresholds, value: f64, target: f64) -> Option<f64> {
    let ratio = match thresholds {
        Thresholds::HigherIsBetter { .. } if target != 0.0 => value / target,
        Thresholds::LowerIsBetter { .. } if value != 0.0 => target / value,
        Thresholds::LowerIsBetter { .. } if target >= 0.0 => 1.0,
        _ => return None,
    };
    ratio.is_finite().then(|| (ratio * 1000.0).round() / 10.0)
}

impl State {
    /// Why a computed series has no value for its inputs' newest period, if it has none.
    pub(crate) fn formula_gap(&self, k: &Kpi, unit: &Id) -> Option<NoData> {
        let f = k.expression.as_ref()?;
        let newest = f
            .inputs()
            .iter()
            .filter_map(|i| self.series.get(&(i.clone(), unit.clone())))
            .max_by_key(|o| o.period.start)?;
        let label = newest.period.label().to_string();
        let own = self.series.get(&(k.code.clone(), unit.clone()));
        if own.is_some_and(|o| o.period.label() == label) {
            return None;
        }
        f.eval(|i| {
            self.series
                .get(&(Id::from(i), unit.clone()))
                .filter(|o| o.period.label() == label)
                .map(|o| o.value)
        })
        .err()
    }

    /// The aggregates of KPIs measured strictly below `unit`, by code.
    pub(crate) fn kpi_aggregates(&self, unit: &Id, now: Ts) -> Vec<KpiAggregateLine> {
        let below: HashSet<Id> = self.subtree(unit).into_iter().skip(1).collect();
        if below.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for k in self.kpis.values() {
            let measured: HashSet<Id> = k
                .series_units()
                .into_iter()
                .filter(|u| below.contains(u))
                .collect();
            // The top-most measuring units only: a department's series already stands for its
            // wards', and adding both would count them twice.
            let mut units: Vec<Id> = measured
                .iter()
                .filter(|u| {
                    !self
                        .chain(u)
                        .iter()
                        .skip(1)
                        .take_while(|a| *a != unit)
                        .any(|a| measured.contains(a))
                })
                .cloned()
                .collect();
            units.sort();
            if units.is_empty() {
                continue;
            }
            let current = |u: &Id| -> Option<&Observation> {
                self.series
                    .get(&(k.code.clone(), u.clone()))
                    .filter(|o| k.status_at(Some(o), now) != KpiStatus::NoData)
            };
            // Only values of the newest period are combined: last month's value next to this
            // month's would add different months together.
            let newest = units
                .iter()
                .filter_map(current)
                .max_by_key(|o| o.period.start)
                .map(|o| o.period.clone());
            let parts: Vec<Part> = units
                .iter()
                .map(|u| {
                    let obs = current(u).filter(|o| Some(&o.period) == newest.as_ref());
                    // A weight of the same period, or of one containing it (a year's population
                    // weighs its months); another period's would weigh this month by last's.
                    let weight = match &k.rollup {
                        RollupRule::WeightedMean { weight } => self
                            .series
                            .get(&(Id::from(weight.as_str()), u.clone()))
                            .filter(|w| newest.as_ref().is_some_and(|p| w.period.contains(p)))
                            .map(|o| o.value),
                        _ => None,
                    };
                    Part {
                        unit: u.to_string(),
                        value: obs.map(|o| o.value),
                        weight,
                        status: obs.map_or(KpiStatus::NoData, |o| k.thresholds.status(o.value)),
                    }
                })
                .collect();
            let agg = aggregate(&k.rollup, &k.thresholds, &parts);
            let target = newest
                .as_ref()
                .and_then(|p| self.target_for(&k.code, unit, p))
                .map(|t| t.target);
            out.push(KpiAggregateLine {
                code: k.code.to_string(),
                name: k.name.clone(),
                unit_of_measure: k.unit_of_measure.clone(),
                rule: k.rollup.clone(),
                attainment: match (agg.value, target) {
                    (Some(v), Some(t)) => attainment(&k.thresholds, v, t),
                    _ => None,
                },
                value: agg.value.map(|v| (v * 10_000.0).round() / 10_000.0),
                status: agg.status,
                period: newest.map(|p| p.label().to_string()),
                counted: agg.counted,
                missing: agg.missing,
                target,
            });
        }
        out.sort_by(|a, b| a.code.cmp(&b.code));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attainment_follows_the_direction() {
        let hi = Thresholds::HigherIsBetter {
            green: 90.0,
            red: 80.0,
        };
        assert_eq!(attainment(&hi, 45.0, 50.0), Some(90.0));
        assert_eq!(attainment(&hi, 1.0, 0.0), None);
        let lo = Thresholds::LowerIsBetter {
            green: 2.0,
            red: 5.0,
        };
        assert_eq!(attainment(&lo, 4.0, 2.0), Some(50.0));
        assert_eq!(attainment(&lo, 0.0, 2.0), Some(100.0));
        let band = Thresholds::InBand {
            green_low: 1.0,
            green_high: 2.0,
            red_low: 0.0,
            red_high: 3.0,
        };
        assert_eq!(attainment(&band, 1.5, 1.5), None);
    }
}

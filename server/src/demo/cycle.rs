//! The demo city's OKR cycle: the year and its quarters declared (the past ones closed, the
//! current one active), and yearly targets handed to every measured unit of each KPI.

use super::period_label;
use crate::domain::{Frequency, Period, PeriodState, Thresholds, Ts};
use crate::ingest::catalog::KpiIn;
use crate::ingest::cycle::CycleItem;

/// The year and each of its quarters up to the current one: past quarters closed (without
/// frozen scores here; the seed closes them through the same path as an admin), the current
/// quarter and the year active.
pub fn periods(now: Ts) -> Vec<(Period, PeriodState)> {
    let year = period_label(Frequency::Yearly, now, 0);
    let current = period_label(Frequency::Quarterly, now, 0);
    let mut out = vec![(
        Period::parse(&year).expect("a year label parses"),
        PeriodState::Active,
    )];
    for q in 1..=4 {
        let label = format!("{year}-Q{q}");
        let p = Period::parse(&label).expect("a quarter label parses");
        if label == current {
            out.push((p, PeriodState::Active));
            break;
        }
        out.push((p, PeriodState::Closed));
    }
    out
}

/// A yearly target per measured unit: the KPI's green threshold nudged by the unit's position
/// in the list, so targets differ between units as they do when a city hands them down.
pub fn targets(kpis: &[KpiIn], now: Ts) -> Vec<CycleItem> {
    let year = Period::parse(&period_label(Frequency::Yearly, now, 0)).expect("a year parses");
    let mut out = Vec::new();
    for k in kpis {
        let green = match k.thresholds {
            Thresholds::HigherIsBetter { green, .. } | Thresholds::LowerIsBetter { green, .. } => {
                green
            }
            Thresholds::InBand { .. } => continue,
        };
        let units = if k.measured_units.is_empty() {
            vec![k.leading_unit.clone()]
        } else {
            k.measured_units.clone()
        };
        for (i, u) in units.iter().enumerate() {
            let step = (i % 3) as f64 * 0.01 * green.abs().max(1.0);
            let target = match k.thresholds {
                Thresholds::LowerIsBetter { .. } => (green - step).max(0.0),
                _ => green + step,
            };
            out.push(CycleItem::Target {
                kpi: k.code.as_str().into(),
                unit: u.as_str().into(),
                period: year.clone(),
                target: (target * 100.0).round() / 100.0,
            });
        }
    }
    out
}

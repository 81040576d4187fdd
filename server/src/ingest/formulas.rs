//! Computed KPIs: when a value arrives, the KPIs whose formula uses it are computed again for
//! the same unit and period, in the writer, so the computed values are committed with the value
//! that caused them and flow through the rollup, rules and screens like entered ones.

use crate::domain::{Id, Observation, Ts};
use crate::rollup::Rollup;
use std::collections::HashMap;

/// A series' value for one period: (kpi, unit, period label).
pub type SeriesKey = (Id, Id, String);

/// Formulas can chain (a computed KPI feeding another); catalog checks refuse cycles, and this
/// bounds the work one value can cause whatever the catalog holds.
const MAX_DERIVED: usize = 1_000;

/// The computed values that follow from `first`. `local` holds the values of the request and
/// group so far (time, value), and receives the computed ones; older values come from the
/// rollup's current value of each series when it is for the same period. A formula whose input
/// is missing or that divides by zero yields nothing: "no data", not a number.
pub fn derive(
    first: &Observation,
    rollup: &Rollup,
    local: &mut HashMap<SeriesKey, (Ts, f64)>,
    group: &HashMap<SeriesKey, (Ts, f64)>,
    behind: Option<&HashMap<SeriesKey, (Ts, f64)>>,
) -> Vec<Observation> {
    // Most values feed no formula: answer those without building anything.
    let first_dependents = rollup.computed_from(&first.kpi);
    if first_dependents.is_empty() {
        return Vec::new();
    }
    let unit = &first.unit;
    let label = first.period.label().to_string();
    let mut out = Vec::new();
    let mut pending = vec![first_dependents];
    while let Some(dependents) = pending.pop() {
        for k in dependents {
            if out.len() >= MAX_DERIVED {
                tracing::warn!(kpi = %first.kpi, "computed KPIs cut at {MAX_DERIVED} for one value");
                return out;
            }
            let Some(f) = &k.expression else { continue };
            if !k.measures(unit) || crate::domain::PeriodKind::of(k.frequency) != first.period.kind
            {
                continue;
            }
            // The computed value is as new as its newest input, so the store's newest-wins rule
            // keeps the value computed from the latest inputs whatever order they came in.
            let newest = std::cell::Cell::new(first.at);
            let value = f.eval(|input| {
                let key = (Id::from(input), unit.clone(), label.clone());
                let (at, v) = local
                    .get(&key)
                    .or_else(|| group.get(&key))
                    .or_else(|| behind.and_then(|b| b.get(&key)))
                    .copied()
                    .or_else(|| {
                        rollup
                            .latest_observation(input, unit)
                            .filter(|o| o.period.label() == label)
                            .map(|o| (o.at, o.value))
                    })?;
                newest.set(newest.get().max(at));
                Some(v)
            });
            let Ok(value) = value else { continue };
            let at = newest.get();
            local.insert((k.code.clone(), unit.clone(), label.clone()), (at, value));
            out.push(Observation {
                kpi: k.code.clone(),
                unit: unit.clone(),
                period: first.period.clone(),
                value,
                source: format!("formula: {}", f.text()),
                entered_by: None,
                at,
            });
            pending.push(rollup.computed_from(&k.code));
        }
    }
    out
}

//! The rollup recomputed from scratch from the store: task figures by SQL `GROUP BY` over the
//! tasks table, the rest from the stored rows, then summed up the tree. The incrementally kept
//! rollup must equal this exactly; the property test and `ioc bench` hold it to that.

use super::{RollupDump, UnitAgg};
use crate::domain::{Id, Ts};
use crate::store::{Store, StoreError};
use std::collections::{BTreeMap, HashMap};

pub async fn recompute(store: &dyn Store, now: Ts) -> Result<RollupDump, StoreError> {
    let snap = store.load().await?;
    let (by_unit, by_person) = store.task_aggregates(now).await?;
    let parent: HashMap<Id, Option<Id>> = snap
        .units
        .iter()
        .map(|u| (u.id.clone(), u.parent.clone()))
        .collect();
    let mut units: BTreeMap<String, UnitAgg> = snap
        .units
        .iter()
        .map(|u| (u.id.to_string(), UnitAgg::default()))
        .collect();
    // Adds to a unit and each ancestor; stops at a missing parent or a cycle.
    let mut up = |unit: &str, f: &dyn Fn(&mut UnitAgg)| {
        let mut cur: Option<Id> = parent.contains_key(unit).then(|| Id::from(unit));
        let mut seen = Vec::new();
        while let Some(u) = cur {
            if seen.contains(&u) {
                break;
            }
            if let Some(a) = units.get_mut(&*u) {
                f(a);
            }
            cur = parent.get(&u).cloned().flatten();
            seen.push(u);
        }
    };
    for (unit, agg) in &by_unit {
        up(unit, &|a| a.tasks.add(agg, 1));
    }
    for p in &snap.people {
        up(&p.unit, &|a| a.people += 1);
    }
    let latest: HashMap<(Id, Id), &crate::domain::Observation> = snap
        .observations
        .iter()
        .map(|o| ((o.kpi.clone(), o.unit.clone()), o))
        .collect();
    for k in &snap.kpis {
        for unit in k.series_units() {
            let status = k.status_at(latest.get(&(k.code.clone(), unit.clone())).copied(), now);
            up(&unit, &|a| a.kpi[k.group.index()][status.index()] += 1);
        }
    }
    let objectives: HashMap<Id, &crate::domain::Objective> =
        snap.objectives.iter().map(|o| (o.id.clone(), o)).collect();
    for kr in &snap.key_results {
        if let Some(o) = objectives.get(&kr.objective) {
            let ppm = kr.progress_ppm();
            up(&o.unit, &|a| a.add_kr(&o.period, 1, ppm));
        }
    }
    for (unit, n, sum) in &snap.rating_totals {
        up(unit, &|a| {
            a.ratings += n;
            a.rating_sum += sum;
        });
    }
    let mut people: BTreeMap<String, super::TaskAgg> = snap
        .people
        .iter()
        .map(|p| (p.id.to_string(), super::TaskAgg::default()))
        .collect();
    for (person, agg) in by_person {
        if let Some(a) = people.get_mut(&person) {
            a.add(&agg, 1);
        }
    }
    Ok(RollupDump { now, units, people })
}

//! The rollup's whole state written back out as a `Snapshot`, the form it is rebuilt from: what
//! a checkpoint of the past keeps (`asof/`). Rebuilding from it gives the same rollup.

use super::{Rollup, Snapshot};

impl Rollup {
    /// Everything this rollup holds, as the store would give it to rebuild the same rollup.
    /// Copies the whole state under the read lock (and the task table's): for a checkpoint taken
    /// off the writer's path, not for live requests.
    pub fn snapshot(&self) -> Snapshot {
        let st = self.read();
        let mut units: Vec<_> = st.units.values().map(|n| n.unit.clone()).collect();
        units.sort_by(|a, b| a.id.cmp(&b.id));
        // The aggregates hold a unit's ratings with its subtree's; the snapshot holds its own.
        let rating_totals = st
            .units
            .iter()
            .filter_map(|(id, n)| {
                let (mut count, mut sum) = (n.agg.ratings, n.agg.rating_sum);
                for c in &n.children {
                    if let Some(child) = st.units.get(c) {
                        count -= child.agg.ratings;
                        sum -= child.agg.rating_sum;
                    }
                }
                (count != 0 || sum != 0).then(|| (id.clone(), count, sum))
            })
            .collect();
        let mut people: Vec<_> = st.people.values().map(|n| n.person.clone()).collect();
        people.sort_by(|a, b| a.id.cmp(&b.id));
        let mut kpis: Vec<_> = st.kpis.values().cloned().collect();
        kpis.sort_by(|a, b| a.code.cmp(&b.code));
        let mut objectives: Vec<_> = st
            .objectives
            .values()
            .map(|o| o.objective.clone())
            .collect();
        objectives.sort_by(|a, b| a.id.cmp(&b.id));
        let mut key_results: Vec<_> = st.key_results.values().cloned().collect();
        key_results.sort_by(|a, b| a.id.cmp(&b.id));
        let mut observations: Vec<_> = st.series.values().cloned().collect();
        observations.sort_by(|a, b| (&a.kpi, &a.unit).cmp(&(&b.kpi, &b.unit)));
        let periods = st.periods.values().cloned().collect();
        let mut targets: Vec<_> = st.targets.values().flatten().cloned().collect();
        targets.sort_by(|a, b| {
            (&a.kpi, &a.unit, a.period.start).cmp(&(&b.kpi, &b.unit, b.period.start))
        });
        let mut meetings: Vec<_> = st.meetings.values().map(|m| (**m).clone()).collect();
        meetings.sort_by(|a, b| a.id.cmp(&b.id));
        let clock = Some(st.now);
        drop(st);
        let mut tasks = self.tasks_matching(|_| true);
        tasks.sort_by(|a, b| a.id.cmp(&b.id));
        Snapshot {
            clock,
            units,
            people,
            kpis,
            objectives,
            key_results,
            task_count: tasks.len(),
            tasks,
            observations,
            rating_totals,
            periods,
            targets,
            meetings,
        }
    }
}

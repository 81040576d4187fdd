//! The in-memory rollup: every unit's aggregates kept current from the person up to the city,
//! updated incrementally by applying committed `Change`s, and the views read from it.
//!
//! Concurrency: the org tree, people, KPI series and key results sit under one `RwLock`, taken
//! for writing once per committed batch, so a reader never sees a batch applied at the ward but
//! not yet at the city: every view is consistent across levels. Tasks, the bulk (millions), sit
//! in a table of their own beside it (`tasks.rs`) so a task lookup never waits on the tree.
//! Only the writer task mutates either; no lock is ever held across an `.await` (nothing here is
//! async).

mod agg;
mod cached;
pub mod check;
pub mod history;
pub mod kpi_agg;
pub mod lists;
mod meetings;
pub mod okr;
pub mod score;
mod snapshot;
mod tasks;
pub mod view;
pub mod work;

/// What the rollup is rebuilt from: the store's current state, read at start.
pub use crate::store::Snapshot;
pub use agg::{KrPeriodAgg, TaskAgg, UnitAgg};

use crate::domain::{
    Change, Id, KeyResult, Kpi, KpiStatus, Objective, Observation, Person, Rating, Task, Ts, Unit,
};
use cached::CachedTask;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use tasks::TaskTable;

pub struct Rollup {
    state: RwLock<State>,
    /// Apart from the tree's lock (`tasks.rs`): a task lookup never waits on a batch applied to
    /// the tree.
    tasks: TaskTable,
}

/// The hasher of the maps a rebuild fills per task (millions of lookups at start): foldhash,
/// seeded per map at random like std's SipHash (ids come from clients, so a fixed seed would
/// let them pick colliding ids), at a fraction of SipHash's cost on short keys.
pub(crate) type FastHash = foldhash::fast::RandomState;
pub(crate) type FastMap<K, V> = HashMap<K, V, FastHash>;
pub(crate) type FastSet<K> = HashSet<K, FastHash>;

/// What `task` adds to its units and person, `overdue` or not: a cached task keeps the flag
/// it was added with instead of the 88-byte `TaskAgg`.
fn contribution(task: &Task, overdue: bool) -> TaskAgg {
    TaskAgg::of_parts(
        task.status,
        task.progress,
        task.deadline,
        task.done_at,
        overdue,
    )
}

/// What `tasks_where` asks about a task without unpacking it.
pub struct TaskFacts<'a> {
    pub unit: &'a Id,
    pub responsible: &'a Id,
    pub deadline: Ts,
    pub status: crate::domain::TaskStatus,
    pub progress: i64,
    pub submitted_at: Option<Ts>,
}

#[derive(Default, Clone)]
pub(crate) struct State {
    pub now: Ts,
    /// Batches applied since this process started: views carry it, so a client can tell that a
    /// view includes the write whose ingest report named the same number or a smaller one.
    pub commit: u64,
    pub units: FastMap<Id, UnitNode>,
    pub people: FastMap<Id, PersonNode>,
    pub kpis: HashMap<Id, Kpi>,
    /// Latest observation (the newest period) of each (KPI, unit) series.
    pub series: HashMap<(Id, Id), Observation>,
    pub objectives: HashMap<Id, ObjectiveNode>,
    pub key_results: HashMap<Id, KeyResult>,
    /// Computed KPIs by the codes their formulas use.
    pub dependents: HashMap<Id, Vec<Id>>,
    /// Declared OKR periods by label.
    pub periods: std::collections::BTreeMap<String, crate::domain::OkrPeriod>,
    /// KPI targets per (KPI, unit) series, one per period.
    pub targets: HashMap<(Id, Id), Vec<crate::domain::Target>>,
    /// Review meetings by id.
    pub meetings: HashMap<String, std::sync::Arc<crate::domain::meeting::Meeting>>,
    /// Tasks that can still become overdue, by deadline: a clock tick takes the passed ones.
    deadlines: BTreeSet<(Ts, Id)>,
    /// KPI series whose value is still current, by the time it goes stale ("no data").
    stale_at: BTreeSet<(Ts, Id, Id)>,
}

#[derive(Clone)]
pub(crate) struct UnitNode {
    pub unit: Unit,
    pub children: Vec<Id>,
    /// KPI codes measured for this unit, for its KPI board.
    pub kpis: Vec<Id>,
    pub objectives: Vec<Id>,
    /// Totals over the unit and its whole subtree.
    pub agg: UnitAgg,
}

#[derive(Clone)]
pub(crate) struct PersonNode {
    pub person: Person,
    pub agg: TaskAgg,
    pub tasks: FastSet<Id>,
}

#[derive(Clone)]
pub(crate) struct ObjectiveNode {
    pub objective: Objective,
    pub key_results: Vec<Id>,
}

impl Default for Rollup {
    fn default() -> Self {
        Self::new(0)
    }
}

impl Rollup {
    pub fn new(now: Ts) -> Self {
        Rollup {
            state: RwLock::new(State {
                now,
                ..State::default()
            }),
            tasks: TaskTable::with_capacity(0),
        }
    }

    /// A copy to plan against without touching this one: an import checks its events against
    /// the catalog as its own entries will leave it, before anything is committed. It costs a
    /// copy of the whole state, so only imports that carry both catalog entries and events use it.
    pub fn scratch_copy(&self) -> Rollup {
        let state = self.read().clone();
        Rollup {
            state: RwLock::new(state),
            tasks: self.tasks.copy(),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        // A panic while applying would leave half a batch; the process is restarted and rebuilt
        // from the store rather than served from a poisoned cache.
        self.state.read().expect("rollup lock poisoned")
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().expect("rollup lock poisoned")
    }

    pub fn now(&self) -> Ts {
        self.read().now
    }

    pub fn task(&self, id: &str) -> Option<Task> {
        self.tasks.get(id, |t, names| t.task(names))
    }

    /// Reads a task (a copy unpacked from the cache, dropped after `f`).
    pub fn with_task<R>(&self, id: &str, f: impl FnOnce(&Task) -> R) -> Option<R> {
        self.task(id).map(|t| f(&t))
    }

    /// The unit a task belongs to now.
    pub fn task_unit(&self, id: &str) -> Option<Id> {
        self.tasks.get(id, |t, names| t.unit(names).clone())
    }

    /// The unit and the responsible person of a task now.
    pub fn task_owner(&self, id: &str) -> Option<(Id, Id)> {
        self.tasks.get(id, |t, names| {
            (t.unit(names).clone(), t.responsible(names).clone())
        })
    }

    /// Copies of the tasks `keep` accepts (a scan of every task: for reports and evaluations,
    /// not for hot paths). `keep` runs under the task table's locks and must not read the
    /// rollup (`tasks.rs`).
    pub fn tasks_matching(&self, keep: impl Fn(&Task) -> bool) -> Vec<Task> {
        let mut out = Vec::new();
        self.tasks.each(|t, names| {
            let t = t.task(names);
            if keep(&t) {
                out.push(t);
            }
        });
        out
    }

    /// Copies of the tasks whose facts `keep` accepts. The facts are read from the packed cache
    /// as they are; only the tasks kept are unpacked (`tasks_matching` unpacks every task to
    /// ask, which a scan of a million tasks pays in allocations). `keep` must not read the
    /// rollup either.
    pub fn tasks_where(&self, keep: impl Fn(&TaskFacts) -> bool) -> Vec<Task> {
        let mut out = Vec::new();
        self.tasks.each(|t, names| {
            let facts = TaskFacts {
                unit: t.unit(names),
                responsible: t.responsible(names),
                deadline: t.deadline,
                status: t.status,
                progress: t.progress,
                submitted_at: t.submitted_at(),
            };
            if keep(&facts) {
                out.push(t.task(names));
            }
        });
        out
    }

    pub fn task_count(&self) -> usize {
        self.tasks.len()
    }

    /// Applies committed changes in order, all under one write lock: readers see all or none.
    /// Returns the batch's commit number.
    pub fn apply(&self, changes: &[Change]) -> u64 {
        self.apply_numbered(changes, None)
    }

    /// As `apply`, with the batch's number given: with several nodes it is the change log's
    /// (`store/bus_log.rs`), the same on every node, so it may jump over records that changed
    /// nothing here. `None` counts one up, as a lone node does.
    pub fn apply_numbered(&self, changes: &[Change], number: Option<u64>) -> u64 {
        let mut st = self.write();
        for change in changes {
            self.apply_one(&mut st, change);
        }
        st.commit = number.unwrap_or(st.commit + 1).max(st.commit);
        st.commit
    }

    /// Starts the count at the change log's number the rollup was read at (several nodes).
    pub fn set_commit(&self, number: u64) {
        self.write().commit = number;
    }

    /// The number of the last batch applied.
    pub fn commit(&self) -> u64 {
        self.read().commit
    }

    fn apply_one(&self, st: &mut State, change: &Change) {
        match change {
            Change::Unit(u) => st.upsert_unit(u.clone()),
            Change::Person(p) => st.upsert_person(p.clone()),
            Change::Kpi(k) => st.upsert_kpi(k.clone()),
            Change::Objective(o) => st.upsert_objective(o.clone()),
            Change::KeyResult(kr) => st.upsert_key_result(kr.clone()),
            Change::Task(t) => self.upsert_task(st, t.clone()),
            Change::Observation(o) => st.observe(o.clone()),
            Change::Rating(r) => st.rate(r),
            Change::Period(p) => st.set_period(p.clone()),
            Change::Target(t) => st.set_target(t.clone()),
            Change::Criteria(_) | Change::Frozen(_) => {}
            Change::Meeting(m) => st.set_meeting(m),
            Change::Clock(now) => self.advance_clock(st, *now),
        }
    }

    fn upsert_task(&self, st: &mut State, mut task: Task) {
        let now = st.now;
        st.share_ids(&mut task);
        let overdue = task.is_overdue(now);
        let new_contribution = contribution(&task, overdue);
        // Only what the old state contributed and where: no copy of the whole task.
        let old = self.tasks.get(&task.id, |t, names| {
            (
                t.unit(names).clone(),
                t.responsible(names).clone(),
                t.deadline,
                t.contribution(),
            )
        });
        if let Some((unit, responsible, deadline, contribution)) = &old {
            st.add_task_contribution(unit, responsible, contribution, -1);
            if *responsible != task.responsible {
                if let Some(p) = st.people.get_mut(responsible) {
                    p.tasks.remove(&task.id);
                }
            }
            st.deadlines.remove(&(*deadline, task.id.clone()));
        }
        st.add_task_contribution(&task.unit, &task.responsible, &new_contribution, 1);
        if let Some(p) = st.people.get_mut(&task.responsible) {
            p.tasks.insert(task.id.clone());
        }
        if task.status.can_be_overdue() && task.deadline >= now {
            st.deadlines.insert((task.deadline, task.id.clone()));
        }
        self.tasks
            .insert(CachedTask::new(task, overdue, self.tasks.names()));
    }

    fn advance_clock(&self, st: &mut State, now: Ts) {
        if now <= st.now {
            return;
        }
        st.now = now;
        // Overdue means deadline < now: keep the entries with deadline >= now.
        let still_pending = st.deadlines.split_off(&(now, Id::from("")));
        let passed = std::mem::replace(&mut st.deadlines, still_pending);
        for (_, id) in passed {
            if let Some(entry) = self.task(&id) {
                self.upsert_task(st, entry);
            }
        }
        // Values that went stale turn "no data" on every board (stale means now > stale time).
        let fresh = st.stale_at.split_off(&(now, Id::from(""), Id::from("")));
        let passed = std::mem::replace(&mut st.stale_at, fresh);
        for (t, kpi, unit) in passed {
            let Some((status, group, measured, stale_after)) = st.kpis.get(&kpi).and_then(|k| {
                let o = st.series.get(&(kpi.clone(), unit.clone()))?;
                Some((
                    k.thresholds.status(o.value),
                    k.group,
                    k.measures(&unit),
                    o.at + k.frequency.stale_after(),
                ))
            }) else {
                continue;
            };
            // An entry left behind by a newer value or a changed frequency is not this one.
            if stale_after != t || !measured || status == KpiStatus::NoData {
                continue;
            }
            st.for_chain(&unit, |a| {
                a.kpi[group.index()][status.index()] -= 1;
                a.kpi[group.index()][KpiStatus::NoData.index()] += 1;
            });
        }
        // Key-result pace depends on `now` too, but it is derived at read time from the period,
        // so nothing else needs touching here.
    }

    /// Every unit's and person's aggregates, for comparison with a recomputation from the store.
    pub fn dump(&self) -> RollupDump {
        let st = self.read();
        RollupDump {
            now: st.now,
            units: st
                .units
                .iter()
                .map(|(id, n)| (id.to_string(), n.agg.clone()))
                .collect(),
            people: st
                .people
                .iter()
                .map(|(id, n)| (id.to_string(), n.agg))
                .collect(),
        }
    }

    pub fn unit_ids(&self) -> Vec<Id> {
        self.read().units.keys().cloned().collect()
    }
    pub fn person_ids(&self) -> Vec<Id> {
        self.read().people.keys().cloned().collect()
    }
    pub fn kpi(&self, code: &str) -> Option<Kpi> {
        self.read().kpis.get(code).cloned()
    }
    /// Reads a KPI in place: the hot paths need a field or two, not a copy of its unit lists.
    pub fn with_kpi<R>(&self, code: &str, f: impl FnOnce(&Kpi) -> R) -> Option<R> {
        self.read().kpis.get(code).map(f)
    }
    pub fn unit(&self, id: &str) -> Option<Unit> {
        self.read().units.get(id).map(|n| n.unit.clone())
    }
    pub fn person(&self, id: &str) -> Option<Person> {
        self.read().people.get(id).map(|n| n.person.clone())
    }
    pub fn objective(&self, id: &str) -> Option<Objective> {
        self.read().objectives.get(id).map(|n| n.objective.clone())
    }
    pub fn key_result(&self, id: &str) -> Option<KeyResult> {
        self.read().key_results.get(id).cloned()
    }
    pub fn key_results_of(&self, objective: &str) -> Vec<Id> {
        self.read()
            .objectives
            .get(objective)
            .map(|n| n.key_results.clone())
            .unwrap_or_default()
    }
    /// The chain from `id` up to its root, `id` first.
    pub fn ancestors(&self, id: &str) -> Vec<Id> {
        self.read().chain(id)
    }
    /// `id` and every unit below it, each before its children (empty for an unknown unit).
    pub fn subtree(&self, id: &str) -> Vec<Id> {
        self.read().subtree(id)
    }
    /// The computed KPIs whose formula uses `code`.
    pub fn computed_from(&self, code: &str) -> Vec<Kpi> {
        let st = self.read();
        st.dependents
            .get(code)
            .into_iter()
            .flatten()
            .filter_map(|c| st.kpis.get(c).cloned())
            .collect()
    }

    /// The inputs of a KPI's formula (`None` when it has none or does not exist).
    pub fn formula_inputs(&self, code: &str) -> Option<Vec<Id>> {
        self.read()
            .kpis
            .get(code)
            .and_then(|k| k.expression.as_ref())
            .map(|f| f.inputs().to_vec())
    }

    pub fn kpis(&self) -> Vec<Kpi> {
        self.read().kpis.values().cloned().collect()
    }
    pub fn objectives(&self) -> Vec<Objective> {
        self.read()
            .objectives
            .values()
            .map(|n| n.objective.clone())
            .collect()
    }
    pub fn key_results(&self) -> Vec<KeyResult> {
        self.read().key_results.values().cloned().collect()
    }
    pub fn units(&self) -> Vec<Unit> {
        self.read().units.values().map(|n| n.unit.clone()).collect()
    }
    pub fn people(&self) -> Vec<Person> {
        self.read()
            .people
            .values()
            .map(|n| n.person.clone())
            .collect()
    }
    /// A unit's totals over its subtree.
    pub fn unit_agg(&self, id: &str) -> Option<UnitAgg> {
        self.read().units.get(id).map(|n| n.agg.clone())
    }
    /// Tasks still open (not accepted or cancelled).
    pub fn open_tasks(&self) -> Vec<Task> {
        let mut out = Vec::new();
        self.tasks.each(|t, names| {
            if t.status.is_open() {
                out.push(t.task(names));
            }
        });
        out
    }
    /// Latest observation of a series, if any.
    pub fn latest_observation(&self, kpi: &str, unit: &str) -> Option<Observation> {
        self.read()
            .series
            .get(&(Id::from(kpi), Id::from(unit)))
            .cloned()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RollupDump {
    pub now: Ts,
    pub units: std::collections::BTreeMap<String, UnitAgg>,
    pub people: std::collections::BTreeMap<String, TaskAgg>,
}

impl State {
    /// Points a task's unit, people and key result at the rollup's own copies of those ids, so
    /// a million tasks share a few thousand strings instead of holding one each.
    fn share_ids(&self, task: &mut Task) {
        fn share<V, S: std::hash::BuildHasher>(map: &HashMap<Id, V, S>, id: &mut Id) {
            if let Some((shared, _)) = map.get_key_value(&**id) {
                *id = shared.clone();
            }
        }
        share(&self.units, &mut task.unit);
        share(&self.people, &mut task.responsible);
        for id in task
            .accountable
            .iter_mut()
            .chain(&mut task.consulted)
            .chain(&mut task.informed)
        {
            share(&self.people, id);
        }
        if let Some(kr) = &mut task.key_result {
            share(&self.key_results, kr);
        }
    }

    /// `id` and every unit below it, depth first, each before its children and siblings in id
    /// order (empty for an unknown unit).
    pub(crate) fn subtree(&self, id: &str) -> Vec<Id> {
        let mut out = Vec::new();
        let mut stack: Vec<&Id> = self.units.get(id).map(|n| &n.unit.id).into_iter().collect();
        while let Some(u) = stack.pop() {
            if let Some(n) = self.units.get(u) {
                // Reversed so the stack hands out children in id order.
                stack.extend(n.children.iter().rev());
                out.push(u.clone());
            }
        }
        out
    }

    /// The chain from `id` up to its root, `id` first. Depth is small (city, department,
    /// division), so walking parents beats keeping ancestor lists current through moves.
    pub fn chain(&self, id: &str) -> Vec<Id> {
        let mut out = Vec::with_capacity(4);
        let mut cur = self.units.get(id).map(|n| n.unit.id.clone());
        while let Some(u) = cur {
            if out.contains(&u) {
                break; // validation refuses cycles; never loop if one slipped in
            }
            cur = self.units.get(&u).and_then(|n| n.unit.parent.clone());
            out.push(u);
        }
        out
    }

    fn for_chain(&mut self, unit: &str, mut f: impl FnMut(&mut UnitAgg)) {
        for id in self.chain(unit) {
            if let Some(n) = self.units.get_mut(&id) {
                f(&mut n.agg);
            }
        }
    }

    fn add_task_contribution(&mut self, unit: &str, person: &str, c: &TaskAgg, sign: i64) {
        self.for_chain(unit, |a| a.tasks.add(c, sign));
        if let Some(p) = self.people.get_mut(person) {
            p.agg.add(c, sign);
        }
    }

    fn upsert_unit(&mut self, unit: Unit) {
        let id = unit.id.clone();
        let old_parent = match self.units.get_mut(&id) {
            Some(node) => {
                let old_parent = node.unit.parent.clone();
                node.unit = unit.clone();
                if old_parent == unit.parent {
                    return;
                }
                old_parent
            }
            None => {
                self.units.insert(
                    id.clone(),
                    UnitNode {
                        unit: unit.clone(),
                        children: Vec::new(),
                        kpis: Vec::new(),
                        objectives: Vec::new(),
                        agg: UnitAgg::default(),
                    },
                );
                if let Some(parent) = &unit.parent {
                    if let Some(p) = self.units.get_mut(parent) {
                        insert_sorted(&mut p.children, id);
                    }
                }
                return;
            }
        };
        // A move (wards are merged and re-parented): carry the subtree's totals across.
        let subtree = self.units[&id].agg.clone();
        if let Some(op) = &old_parent {
            if let Some(p) = self.units.get_mut(op) {
                p.children.retain(|c| c != &id);
            }
            self.for_chain(op, |a| a.add(&subtree, -1));
        }
        if let Some(np) = &unit.parent {
            if let Some(p) = self.units.get_mut(np) {
                insert_sorted(&mut p.children, id.clone());
            }
            self.for_chain(np, |a| a.add(&subtree, 1));
        }
    }

    fn upsert_person(&mut self, person: Person) {
        let old_unit = self.people.get(&person.id).map(|p| p.person.unit.clone());
        if old_unit.as_ref() != Some(&person.unit) {
            if let Some(u) = &old_unit {
                self.for_chain(u, |a| a.people -= 1);
            }
            self.for_chain(&person.unit, |a| a.people += 1);
        }
        match self.people.get_mut(&person.id) {
            Some(node) => node.person = person,
            None => {
                self.people.insert(
                    person.id.clone(),
                    PersonNode {
                        person,
                        agg: TaskAgg::default(),
                        tasks: FastSet::default(),
                    },
                );
            }
        }
    }

    fn series_status(&self, kpi: &Kpi, unit: &Id) -> KpiStatus {
        kpi.status_at(self.series.get(&(kpi.code.clone(), unit.clone())), self.now)
    }

    fn add_kpi(&mut self, kpi: &Kpi, sign: i64) {
        for unit in kpi.series_units() {
            let status = self.series_status(kpi, &unit);
            if let Some(o) = self.series.get(&(kpi.code.clone(), unit.clone())) {
                let entry = (
                    o.at + kpi.frequency.stale_after(),
                    kpi.code.clone(),
                    unit.clone(),
                );
                if sign < 0 {
                    self.stale_at.remove(&entry);
                } else if status != KpiStatus::NoData {
                    self.stale_at.insert(entry);
                }
            }
            self.for_chain(&unit, |a| a.kpi[kpi.group.index()][status.index()] += sign);
            if let Some(n) = self.units.get_mut(&unit) {
                if sign > 0 {
                    n.kpis.push(kpi.code.clone());
                } else {
                    n.kpis.retain(|k| k != &kpi.code);
                }
            }
        }
    }

    fn upsert_kpi(&mut self, kpi: Kpi) {
        if let Some(old) = self.kpis.get(&kpi.code).cloned() {
            self.add_kpi(&old, -1);
        }
        self.add_kpi(&kpi, 1);
        let formulas_change = kpi.expression.is_some()
            || self
                .kpis
                .get(&kpi.code)
                .is_some_and(|k| k.expression.is_some());
        self.kpis.insert(kpi.code.clone(), kpi);
        if formulas_change {
            // Formulas change rarely: rebuilding the whole index keeps it simple and exact.
            self.dependents.clear();
            for k in self.kpis.values() {
                for input in k.expression.iter().flat_map(|f| f.inputs()) {
                    self.dependents
                        .entry(input.clone())
                        .or_default()
                        .push(k.code.clone());
                }
            }
        }
    }

    fn observe(&mut self, obs: Observation) {
        let key = (obs.kpi.clone(), obs.unit.clone());
        if let Some(cur) = self.series.get(&key) {
            // Only the newest period is the series' current value; an older period's value is
            // history (kept in the store) and a same-period value that lost to a newer entry
            // never reaches here.
            let older_period = obs.period.start < cur.period.start;
            let older_entry = obs.period.start == cur.period.start && obs.at < cur.at;
            if older_period || older_entry {
                return;
            }
        }
        let now = self.now;
        let Some((before, after, group, measured, stale_after)) =
            self.kpis.get(&obs.kpi).map(|k| {
                (
                    k.status_at(self.series.get(&key), now),
                    k.status_at(Some(&obs), now),
                    k.group,
                    k.measures(&obs.unit),
                    k.frequency.stale_after(),
                )
            })
        else {
            return;
        };
        if let Some(cur) = self.series.get(&key) {
            self.stale_at
                .remove(&(cur.at + stale_after, key.0.clone(), key.1.clone()));
        }
        if after != KpiStatus::NoData {
            self.stale_at
                .insert((obs.at + stale_after, key.0.clone(), key.1.clone()));
        }
        self.series.insert(key, obs.clone());
        if measured && before != after {
            let g = group.index();
            self.for_chain(&obs.unit, |a| {
                a.kpi[g][before.index()] -= 1;
                a.kpi[g][after.index()] += 1;
            });
        }
    }

    fn rate(&mut self, r: &Rating) {
        let score = i64::from(r.score);
        self.for_chain(&r.unit, |a| {
            a.ratings += 1;
            a.rating_sum += score;
        });
    }

    /// Rebuild only: totals of ratings read back from the store, per unit.
    pub fn add_rating_totals(&mut self, unit: &str, count: i64, sum: i64) {
        self.for_chain(unit, |a| {
            a.ratings += count;
            a.rating_sum += sum;
        });
    }

    fn kr_contribution(&self, kr: &KeyResult) -> Option<(Id, crate::domain::Period, i64)> {
        let o = self.objectives.get(&kr.objective)?;
        Some((
            o.objective.unit.clone(),
            o.objective.period.clone(),
            kr.progress_ppm(),
        ))
    }

    fn add_kr(&mut self, kr: &KeyResult, sign: i64) {
        if let Some((unit, period, ppm)) = self.kr_contribution(kr) {
            self.for_chain(&unit, |a| a.add_kr(&period, sign, sign * ppm));
        }
    }

    fn upsert_key_result(&mut self, kr: KeyResult) {
        let old = self.key_results.get(&kr.id).cloned();
        if let Some(old) = &old {
            self.add_kr(old, -1);
            if old.objective != kr.objective {
                if let Some(o) = self.objectives.get_mut(&old.objective) {
                    o.key_results.retain(|k| k != &kr.id);
                }
            }
        }
        if old.as_ref().is_none_or(|o| o.objective != kr.objective) {
            if let Some(o) = self.objectives.get_mut(&kr.objective) {
                o.key_results.push(kr.id.clone());
            }
        }
        self.add_kr(&kr, 1);
        self.key_results.insert(kr.id.clone(), kr);
    }

    fn upsert_objective(&mut self, objective: Objective) {
        let krs = match self.objectives.get(&objective.id) {
            Some(old) => {
                let krs = old.key_results.clone();
                let old_unit = old.objective.unit.clone();
                for id in &krs {
                    if let Some(kr) = self.key_results.get(id).cloned() {
                        self.add_kr(&kr, -1);
                    }
                }
                if old_unit != objective.unit {
                    if let Some(n) = self.units.get_mut(&old_unit) {
                        n.objectives.retain(|o| o != &objective.id);
                    }
                    if let Some(n) = self.units.get_mut(&objective.unit) {
                        n.objectives.push(objective.id.clone());
                    }
                }
                krs
            }
            None => {
                if let Some(n) = self.units.get_mut(&objective.unit) {
                    n.objectives.push(objective.id.clone());
                }
                Vec::new()
            }
        };
        self.objectives.insert(
            objective.id.clone(),
            ObjectiveNode {
                objective,
                key_results: krs.clone(),
            },
        );
        for id in &krs {
            if let Some(kr) = self.key_results.get(id).cloned() {
                self.add_kr(&kr, 1);
            }
        }
    }
}

impl Rollup {
    /// Builds the cache from the store's current state through the same apply path as live
    /// changes, at the clock time `now`.
    pub fn rebuild(snapshot: Snapshot, now: Ts) -> Rollup {
        let rollup = Rollup {
            state: RwLock::new(State {
                now,
                ..State::default()
            }),
            tasks: TaskTable::with_capacity(snapshot.tasks.len().max(snapshot.task_count)),
        };
        {
            let mut st = rollup.write();
            for u in order_units(snapshot.units) {
                st.upsert_unit(u);
            }
            for p in snapshot.people {
                st.upsert_person(p);
            }
            for k in snapshot.kpis {
                st.upsert_kpi(k);
            }
            for o in snapshot.objectives {
                st.upsert_objective(o);
            }
            for kr in snapshot.key_results {
                st.upsert_key_result(kr);
            }
            for o in snapshot.observations {
                st.observe(o);
            }
            for p in snapshot.periods {
                st.set_period(p);
            }
            for t in snapshot.targets {
                st.set_target(t);
            }
            for m in snapshot.meetings {
                st.set_meeting(&m);
            }
            for (unit, count, sum) in snapshot.rating_totals {
                st.add_rating_totals(&unit, count, sum);
            }
            for t in snapshot.tasks {
                rollup.upsert_task(&mut st, t);
            }
        }
        rollup
    }

    /// Rebuild only: adds tasks read from the store after the rest of the snapshot (`rebuild`
    /// with the snapshot's tasks left out), one batch under one write lock.
    pub fn add_loaded_tasks(&self, tasks: Vec<Task>) {
        let mut st = self.write();
        for t in tasks {
            self.upsert_task(&mut st, t);
        }
    }
}

/// Children stay sorted by id, so a view lists them in the same order however the tree was built.
fn insert_sorted(children: &mut Vec<Id>, id: Id) {
    if let Err(i) = children.binary_search(&id) {
        children.insert(i, id);
    }
}

/// Parents before children, so each unit finds its parent when it is added.
pub fn order_units(units: Vec<Unit>) -> Vec<Unit> {
    let mut by_parent: HashMap<Option<Id>, Vec<Unit>> = HashMap::new();
    let ids: HashSet<Id> = units.iter().map(|u| u.id.clone()).collect();
    for u in units {
        // A unit whose parent is missing is treated as a root rather than dropped.
        let key = u.parent.clone().filter(|p| ids.contains(p));
        by_parent.entry(key).or_default().push(u);
    }
    let mut out = Vec::with_capacity(ids.len());
    let mut queue: Vec<Unit> = by_parent.remove(&None).unwrap_or_default();
    while let Some(u) = queue.pop() {
        if let Some(children) = by_parent.remove(&Some(u.id.clone())) {
            queue.extend(children);
        }
        out.push(u);
    }
    // Whatever is left sits on a cycle; keep it rather than lose it.
    out.extend(by_parent.into_values().flatten());
    out
}

//! Lists behind a unit board: overdue and due-soon tasks with the responsible person, the people
//! with their workload, the unit's objectives and key results against pace, and the red KPI
//! series of a subtree. Read from the rollup like the views; each is a scan of one map filtered
//! by the subtree (about 10 ms for the demo city's 100,000 tasks), so the pages fetch them when a
//! figure they summarise changes, not on every frame.

use super::view::{round4, UnitRef};
use super::{Rollup, State};
use crate::domain::time::format_ts;
use crate::domain::{
    Id, IndexGroup, KeyResult, KpiStatus, KrDirection, TaskStatus, Thresholds, Ts,
};
use serde::Serialize;
use std::collections::HashSet;
use utoipa::ToSchema;

/// Which tasks a board lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Past their deadline and not done: oldest deadline first.
    Overdue,
    /// Deadline within this many milliseconds from now, not done: nearest first.
    Soon(Ts),
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct BoardTask {
    pub id: String,
    pub title: String,
    pub status: TaskStatus,
    /// Percent, 0..100.
    pub progress: f64,
    pub deadline: String,
    pub overdue: bool,
    pub responsible: PersonRef,
    pub unit: UnitRef,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TaskList {
    pub unit: UnitRef,
    /// `overdue` or `soon`.
    pub due: &'static str,
    /// All matching tasks in the subtree; `tasks` holds the first `limit`.
    pub total: usize,
    pub tasks: Vec<BoardTask>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PersonLine {
    pub id: String,
    pub name: String,
    pub position: String,
    pub unit: UnitRef,
    /// Open tasks.
    pub workload: i64,
    pub tasks_total: i64,
    pub overdue: i64,
    pub on_time_rate: Option<f64>,
    /// Mean progress of their tasks that are not cancelled, in percent.
    pub avg_progress: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PeopleList {
    pub unit: UnitRef,
    pub total: usize,
    pub people: Vec<PersonLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct KrLine {
    pub id: String,
    pub title: String,
    pub start: f64,
    pub target: f64,
    pub current: f64,
    pub unit_of_measure: String,
    pub direction: KrDirection,
    pub weight: f64,
    /// From start to target, 0..1.
    pub progress: f64,
    /// Share of the period elapsed: where progress should be by now, 0..1.
    pub expected: f64,
    /// progress - expected: negative is behind pace.
    pub pace_gap: f64,
    pub confidence: Option<u8>,
    /// When the last check-in was made; null before any.
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ObjectiveLine {
    pub id: String,
    pub title: String,
    pub period: String,
    pub parent: Option<String>,
    pub owner: Option<PersonRef>,
    /// Weighted mean of its key results' progress, 0..1 (0 without key results).
    pub progress: f64,
    pub expected: f64,
    pub pace_gap: f64,
    pub key_results: Vec<KrLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct OkrList {
    pub unit: UnitRef,
    pub as_of: String,
    pub objectives: Vec<ObjectiveLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct RedKpi {
    pub code: String,
    pub name: String,
    pub group: IndexGroup,
    pub unit: UnitRef,
    pub value: f64,
    pub unit_of_measure: String,
    pub thresholds: Thresholds,
    pub period: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct RedKpis {
    pub unit: UnitRef,
    pub total: usize,
    pub kpis: Vec<RedKpi>,
}

/// A key result's line: progress against `expected`, the share of its period elapsed.
pub(crate) fn kr_line(kr: &KeyResult, expected: f64) -> KrLine {
    let progress = kr.progress_ppm() as f64 / 1e6;
    KrLine {
        id: kr.id.to_string(),
        title: kr.title.clone(),
        start: kr.start,
        target: kr.target,
        current: kr.current,
        unit_of_measure: kr.unit_of_measure.clone(),
        direction: kr.direction,
        weight: kr.weight,
        progress: round4(progress),
        expected: round4(expected),
        pace_gap: round4(progress - expected),
        confidence: kr.confidence,
        updated_at: (kr.current_at != Ts::MIN).then(|| format_ts(kr.current_at)),
    }
}

impl State {
    fn subtree_set(&self, id: &str) -> HashSet<Id> {
        self.subtree(id).into_iter().collect()
    }

    pub(crate) fn person_ref(&self, id: &Id) -> PersonRef {
        PersonRef {
            id: id.to_string(),
            name: self
                .people
                .get(id)
                .map(|p| p.person.name.clone())
                .unwrap_or_default(),
        }
    }
}

impl Rollup {
    /// A unit's reference (id, name, level), if it exists.
    pub fn unit_ref(&self, id: &str) -> Option<UnitRef> {
        self.read().unit_ref(&Id::from(id))
    }

    /// The unit without a parent (the city); the first by id when there are several roots.
    pub fn root_unit(&self) -> Option<String> {
        let st = self.read();
        st.units
            .values()
            .filter(|n| n.unit.parent.is_none())
            .map(|n| n.unit.id.to_string())
            .min()
    }

    /// Overdue or due-soon tasks of a unit's subtree, with the responsible person.
    pub fn unit_tasks(&self, id: &str, due: Due, limit: usize) -> Option<TaskList> {
        let (unit, units, now) = {
            let st = self.read();
            (st.unit_ref(&Id::from(id))?, st.subtree_set(id), st.now)
        };
        // The task map is apart from the tree lock: collect under neither, then name people.
        let mut found: Vec<crate::domain::Task> = Vec::new();
        self.tasks.each(|t, names| {
            let due = match due {
                Due::Overdue => t.is_overdue(now),
                Due::Soon(within) => {
                    t.status.can_be_overdue() && t.deadline >= now && t.deadline < now + within
                }
            };
            if due && units.contains(t.unit(names)) {
                found.push(t.task(names));
            }
        });
        found.sort_by(|a, b| (a.deadline, &a.id).cmp(&(b.deadline, &b.id)));
        let total = found.len();
        found.truncate(limit);
        let st = self.read();
        let tasks = found
            .into_iter()
            .map(|t| BoardTask {
                overdue: t.is_overdue(now),
                responsible: st.person_ref(&t.responsible),
                unit: st.unit_ref(&t.unit).unwrap_or_else(|| unit.clone()),
                id: t.id.to_string(),
                title: t.title,
                status: t.status,
                progress: t.progress as f64 / 100.0,
                deadline: format_ts(t.deadline),
            })
            .collect();
        Some(TaskList {
            unit,
            due: match due {
                Due::Overdue => "overdue",
                Due::Soon(_) => "soon",
            },
            total,
            tasks,
        })
    }

    /// The people of a unit's subtree: the most overdue first, then the heaviest workload.
    pub fn unit_people(&self, id: &str, limit: usize) -> Option<PeopleList> {
        let st = self.read();
        let unit = st.unit_ref(&Id::from(id))?;
        let units = st.subtree_set(id);
        let mut people: Vec<PersonLine> = st
            .people
            .values()
            .filter(|p| units.contains(&p.person.unit))
            .map(|p| PersonLine {
                id: p.person.id.to_string(),
                name: p.person.name.clone(),
                position: p.person.position.clone(),
                unit: st.unit_ref(&p.person.unit).unwrap_or_else(|| unit.clone()),
                workload: p.agg.open(),
                tasks_total: p.agg.total(),
                overdue: p.agg.overdue,
                on_time_rate: p.agg.on_time_rate().map(round4),
                avg_progress: p.agg.avg_progress().map(round4),
            })
            .collect();
        people.sort_by(|a, b| (b.overdue, b.workload, &a.id).cmp(&(a.overdue, a.workload, &b.id)));
        let total = people.len();
        people.truncate(limit);
        Some(PeopleList {
            unit,
            total,
            people,
        })
    }

    /// The unit's own objectives with their key results, progress against the time elapsed.
    pub fn unit_okrs(&self, id: &str) -> Option<OkrList> {
        let st = self.read();
        let node = st.units.get(id)?;
        let unit = st.unit_ref(&node.unit.id)?;
        let mut objectives: Vec<ObjectiveLine> = node
            .objectives
            .iter()
            .filter_map(|o| st.objectives.get(o))
            .map(|o| {
                let expected = o.objective.period.elapsed(st.now);
                let krs: Vec<KrLine> = o
                    .key_results
                    .iter()
                    .filter_map(|k| st.key_results.get(k))
                    .map(|kr| kr_line(kr, expected))
                    .collect();
                let weight: f64 = krs.iter().map(|k| k.weight).sum();
                let progress = if weight > 0.0 {
                    krs.iter().map(|k| k.progress * k.weight).sum::<f64>() / weight
                } else {
                    0.0
                };
                ObjectiveLine {
                    id: o.objective.id.to_string(),
                    title: o.objective.title.clone(),
                    period: o.objective.period.label().to_string(),
                    parent: o.objective.parent.as_ref().map(|p| p.to_string()),
                    owner: o.objective.owner.as_ref().map(|p| st.person_ref(p)),
                    progress: round4(progress),
                    expected: round4(expected),
                    pace_gap: round4(progress - expected),
                    key_results: krs,
                }
            })
            .collect();
        // Furthest behind first: what a leader has to act on.
        objectives.sort_by(|a, b| a.pace_gap.total_cmp(&b.pace_gap).then(a.id.cmp(&b.id)));
        Some(OkrList {
            unit,
            as_of: format_ts(st.now),
            objectives,
        })
    }

    /// Red KPI series anywhere in a unit's subtree, by KPI code then unit (how far past its red
    /// threshold a series is cannot be compared across KPIs, so there is no "worst" order).
    pub fn red_kpis(&self, id: &str, limit: usize) -> Option<RedKpis> {
        let st = self.read();
        let unit = st.unit_ref(&Id::from(id))?;
        let units = st.subtree_set(id);
        let mut kpis: Vec<RedKpi> = st
            .series
            .iter()
            .filter(|((_, u), _)| units.contains(u))
            .filter_map(|((code, u), obs)| {
                let k = st.kpis.get(code)?;
                if k.status_at(Some(obs), st.now) != KpiStatus::Red {
                    return None;
                }
                Some(RedKpi {
                    code: k.code.to_string(),
                    name: k.name.clone(),
                    group: k.group,
                    unit: st.unit_ref(u)?,
                    value: obs.value,
                    unit_of_measure: k.unit_of_measure.clone(),
                    thresholds: k.thresholds,
                    period: obs.period.label().to_string(),
                    updated_at: format_ts(obs.at),
                })
            })
            .collect();
        kpis.sort_by(|a, b| (&a.code, &a.unit.id).cmp(&(&b.code, &b.unit.id)));
        let total = kpis.len();
        kpis.truncate(limit);
        Some(RedKpis { unit, total, kpis })
    }
}

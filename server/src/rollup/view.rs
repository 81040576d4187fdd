//! Read models served to screens: a unit view (its aggregates plus one line per child), a person
//! view and a unit's KPI board. Built from the rollup under one read lock, never from tasks in
//! the store, so a city view costs as much as a ward view.

use super::score::{ScoreInputs, Scored};
use super::{KrPeriodAgg, Rollup, State, TaskAgg, UnitAgg};
use crate::domain::time::format_ts;
use crate::domain::{
    Frequency, Id, IndexGroup, KpiStatus, Progress, TaskStatus, Thresholds, Ts, Unit, UnitLevel,
};
use serde::Serialize;
use utoipa::ToSchema;

/// Ratios, means and pace on the wire to 4 decimals (0.01 % of a ratio): what a person can
/// read, and a city view a sixth smaller than with every float's 17 digits.
pub(crate) fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn round4_ser<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(round4(*x))
}

fn round4_opt<S: serde::Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(v) => s.serialize_some(&round4(*v)),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct UnitRef {
    pub id: String,
    pub name: String,
    pub level: UnitLevel,
    /// What a tile shows when the name cannot fit; absent when the org data gives none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct StatusCounts {
    pub todo: i64,
    pub in_progress: i64,
    pub submitted: i64,
    pub accepted: i64,
    pub returned: i64,
    pub cancelled: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TaskSummary {
    pub total: i64,
    /// Not accepted and not cancelled: the workload still on people's desks.
    pub open: i64,
    pub overdue: i64,
    /// Overdue share of the tasks that can be overdue, 0..1.
    #[serde(serialize_with = "round4_opt")]
    pub overdue_ratio: Option<f64>,
    pub by_status: StatusCounts,
    pub done_on_time: i64,
    pub done_late: i64,
    /// On-time share of accepted tasks, 0..1.
    #[serde(serialize_with = "round4_opt")]
    pub on_time_rate: Option<f64>,
    /// Mean progress of tasks that are not cancelled, in percent.
    #[serde(serialize_with = "round4_opt")]
    pub avg_progress: Option<f64>,
}

impl From<&TaskAgg> for TaskSummary {
    fn from(a: &TaskAgg) -> Self {
        let s = |st: TaskStatus| a.by_status[st.index()];
        let can_be_overdue: i64 = TaskStatus::ALL
            .iter()
            .filter(|x| x.can_be_overdue())
            .map(|x| s(*x))
            .sum();
        TaskSummary {
            total: a.total(),
            open: a.open(),
            overdue: a.overdue,
            overdue_ratio: (can_be_overdue > 0).then(|| a.overdue as f64 / can_be_overdue as f64),
            by_status: StatusCounts {
                todo: s(TaskStatus::Todo),
                in_progress: s(TaskStatus::InProgress),
                submitted: s(TaskStatus::Submitted),
                accepted: s(TaskStatus::Accepted),
                returned: s(TaskStatus::Returned),
                cancelled: s(TaskStatus::Cancelled),
            },
            done_on_time: a.done_on_time,
            done_late: a.done_late,
            on_time_rate: a.on_time_rate(),
            avg_progress: a.avg_progress(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct KrPace {
    pub period: String,
    pub count: i64,
    /// Mean progress from start to target, 0..1.
    #[serde(serialize_with = "round4_ser")]
    pub avg_progress: f64,
    /// Share of the period elapsed, 0..1: where progress should be by now.
    pub elapsed: f64,
    /// avg_progress - elapsed: negative means behind pace.
    #[serde(serialize_with = "round4_ser")]
    pub pace_gap: f64,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct KpiCounts {
    pub green: i64,
    pub yellow: i64,
    pub red: i64,
    pub no_data: i64,
}

impl KpiCounts {
    pub(crate) fn from_row(row: &[i64; 4]) -> Self {
        KpiCounts {
            green: row[KpiStatus::Green.index()],
            yellow: row[KpiStatus::Yellow.index()],
            red: row[KpiStatus::Red.index()],
            no_data: row[KpiStatus::NoData.index()],
        }
    }
    fn add(&mut self, o: &KpiCounts) {
        self.green += o.green;
        self.yellow += o.yellow;
        self.red += o.red;
        self.no_data += o.no_data;
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct KpiSummary {
    pub total: KpiCounts,
    pub development: KpiCounts,
    pub service: KpiCounts,
    pub party: KpiCounts,
    pub internal: KpiCounts,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Satisfaction {
    pub ratings: i64,
    /// Mean score, 1..5.
    #[serde(serialize_with = "round4_opt")]
    pub average: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct UnitSummary {
    /// The unit's score and colour (`rollup/score.rs`).
    pub score: Scored,
    /// Officials in the unit and its subtree.
    pub people: i64,
    pub tasks: TaskSummary,
    pub key_results: Vec<KrPace>,
    pub kpis: KpiSummary,
    pub satisfaction: Satisfaction,
}

fn summarize(a: &UnitAgg, now: Ts) -> UnitSummary {
    let group = |g: IndexGroup| KpiCounts::from_row(&a.kpi[g.index()]);
    let total = kpi_total(a);
    let tasks = TaskSummary::from(&a.tasks);
    UnitSummary {
        score: score_of(&total, &tasks),
        people: a.people,
        tasks,
        key_results: a
            .kr
            .iter()
            .map(|k| {
                let avg = kr_average(k);
                let elapsed = kr_elapsed(k, now);
                KrPace {
                    period: k.period.label().to_string(),
                    count: k.count,
                    avg_progress: avg,
                    elapsed,
                    pace_gap: avg - elapsed,
                }
            })
            .collect(),
        kpis: KpiSummary {
            total,
            development: group(IndexGroup::Development),
            service: group(IndexGroup::Service),
            party: group(IndexGroup::Party),
            internal: group(IndexGroup::Internal),
        },
        satisfaction: Satisfaction {
            ratings: a.ratings,
            average: a.satisfaction(),
        },
    }
}

fn kpi_total(a: &UnitAgg) -> KpiCounts {
    let mut total = KpiCounts::default();
    for g in IndexGroup::ALL {
        total.add(&KpiCounts::from_row(&a.kpi[g.index()]));
    }
    total
}

fn score_of(kpis: &KpiCounts, tasks: &TaskSummary) -> Scored {
    Scored::of(&ScoreInputs {
        kpi_green: kpis.green,
        kpi_yellow: kpis.yellow,
        kpi_red: kpis.red,
        on_time_rate: tasks.on_time_rate,
        overdue_ratio: tasks.overdue_ratio,
    })
}

fn kr_average(k: &KrPeriodAgg) -> f64 {
    k.progress_ppm_sum as f64 / k.count.max(1) as f64 / 1e6
}

/// To 0.01 %: finer than anyone reads, and it keeps a view from changing with every clock
/// second, so live screens get a frame only when a figure moves.
fn kr_elapsed(k: &KrPeriodAgg, now: Ts) -> f64 {
    round4(k.period.elapsed(now))
}

/// One unit's line in a unit view: a child's whole subtree, or the unit's own work. Built
/// straight from the aggregate rather than through `summarize`: a city view has a line per
/// child, and the summary's key-result labels are allocations no line shows.
fn line(unit: UnitRef, agg: &UnitAgg, now: Ts) -> ChildLine {
    let tasks = TaskSummary::from(&agg.tasks);
    let kpis = kpi_total(agg);
    let kr_count: i64 = agg.kr.iter().map(|k| k.count).sum();
    let pace_gap = (kr_count > 0).then(|| {
        agg.kr
            .iter()
            .map(|k| (kr_average(k) - kr_elapsed(k, now)) * k.count as f64)
            .sum::<f64>()
            / kr_count as f64
    });
    ChildLine {
        unit,
        score: score_of(&kpis, &tasks),
        people: agg.people,
        tasks_total: tasks.total,
        tasks_open: tasks.open,
        overdue: tasks.overdue,
        on_time_rate: tasks.on_time_rate,
        avg_progress: tasks.avg_progress,
        kpis,
        pace_gap,
        satisfaction: agg.satisfaction(),
    }
}

/// One line per child unit in a unit view.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ChildLine {
    pub unit: UnitRef,
    pub score: Scored,
    pub people: i64,
    pub tasks_total: i64,
    pub tasks_open: i64,
    pub overdue: i64,
    #[serde(serialize_with = "round4_opt")]
    pub on_time_rate: Option<f64>,
    #[serde(serialize_with = "round4_opt")]
    pub avg_progress: Option<f64>,
    pub kpis: KpiCounts,
    /// Mean key-result progress minus elapsed time over its periods (None without key results).
    #[serde(serialize_with = "round4_opt")]
    pub pace_gap: Option<f64>,
    #[serde(serialize_with = "round4_opt")]
    pub satisfaction: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct UnitView {
    pub unit: UnitRef,
    /// Ancestors, root first: the breadcrumb from the city down.
    pub path: Vec<UnitRef>,
    /// The rollup's clock when the view was read.
    pub as_of: String,
    /// The rollup's commit number when the view was read (see the ingest report's `commit`).
    pub commit: u64,
    pub summary: UnitSummary,
    pub children: Vec<ChildLine>,
    /// The unit's own work (its tasks, people, series and ratings, not its children's), so the
    /// lines add up to the summary; absent for a unit without children (its summary is its own).
    pub own: Option<Box<ChildLine>>,
    /// The one alert count of the unit's screens, filled by alerting (the rollup knows no
    /// alerts); absent where alerting does not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<AlertCount>,
}

/// The one alert count, the same on the boards, the alert center, the wall and the review:
/// the firing alerts of a unit's subtree that are not silenced and not held back by an
/// inhibition below the unit, by severity; acknowledged ones are counted, and told apart.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct AlertCount {
    pub red: u32,
    pub yellow: u32,
    /// Of the red ones, those a leader has acknowledged.
    pub red_acknowledged: u32,
    /// Of the yellow ones, those a leader has acknowledged.
    pub yellow_acknowledged: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TaskLine {
    pub id: String,
    pub title: String,
    pub status: TaskStatus,
    /// Percent, 0..100.
    pub progress: f64,
    pub deadline: String,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PersonView {
    pub id: String,
    pub name: String,
    pub position: String,
    pub unit: UnitRef,
    pub as_of: String,
    /// The rollup's commit number when the view was read (see the ingest report's `commit`).
    pub commit: u64,
    pub tasks: TaskSummary,
    /// Open tasks: the person's current workload.
    pub workload: i64,
    /// Their tasks, open ones first by deadline, then the rest (newest deadline first).
    pub task_list: Vec<TaskLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct KpiLine {
    pub code: String,
    pub name: String,
    pub group: IndexGroup,
    pub unit_of_measure: String,
    pub frequency: Frequency,
    pub thresholds: Thresholds,
    pub status: KpiStatus,
    /// The last value is older than the KPI's frequency plus its grace: shown, but "no data".
    pub stale: bool,
    pub value: Option<f64>,
    pub period: Option<String>,
    pub updated_at: Option<String>,
    pub source: Option<String>,
    /// The target set for this unit and the value's period (or a period containing it), and
    /// the value against it in percent.
    pub target: Option<f64>,
    pub attainment: Option<f64>,
    /// A computed KPI's formula.
    pub expression: Option<String>,
    /// Why a computed KPI has no value for its inputs' newest period (a missing input, a
    /// division by zero).
    pub no_data: Option<crate::domain::formula::NoData>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct KpiBoard {
    pub unit: UnitRef,
    pub as_of: String,
    /// The rollup's commit number when the view was read (see the ingest report's `commit`).
    pub commit: u64,
    /// Counts over this unit's own series (the unit view counts the whole subtree).
    pub counts: KpiSummary,
    pub kpis: Vec<KpiLine>,
    /// KPIs measured by units below this one, aggregated by each KPI's roll-up rule.
    pub aggregates: Vec<super::kpi_agg::KpiAggregateLine>,
}

impl From<&Unit> for UnitRef {
    fn from(u: &Unit) -> Self {
        UnitRef {
            id: u.id.to_string(),
            name: u.name.clone(),
            level: u.level,
            short_name: u.short_name.clone(),
        }
    }
}

impl State {
    pub(crate) fn unit_ref(&self, id: &Id) -> Option<UnitRef> {
        self.units.get(id).map(|n| UnitRef::from(&n.unit))
    }
}

fn progress_pct(p: Progress) -> f64 {
    p as f64 / 100.0
}

impl Rollup {
    pub fn unit_view(&self, id: &str) -> Option<UnitView> {
        let st = self.read();
        let node = st.units.get(id)?;
        let unit = st.unit_ref(&node.unit.id)?;
        let mut path: Vec<UnitRef> = st
            .chain(id)
            .iter()
            .skip(1)
            .filter_map(|a| st.unit_ref(a))
            .collect();
        path.reverse();
        let children: Vec<ChildLine> = node
            .children
            .iter()
            .filter_map(|c| st.units.get(c))
            .map(|n| line(UnitRef::from(&n.unit), &n.agg, st.now))
            .collect();
        // The subtree's figures less its children's: the work held at the unit itself, so the
        // lines of a view add up to its summary.
        let own = (!node.children.is_empty()).then(|| {
            let mut agg = node.agg.clone();
            for c in &node.children {
                if let Some(n) = st.units.get(c) {
                    agg.add(&n.agg, -1);
                }
            }
            Box::new(line(unit.clone(), &agg, st.now))
        });
        Some(UnitView {
            unit,
            path,
            as_of: format_ts(st.now),
            commit: st.commit,
            summary: summarize(&node.agg, st.now),
            children,
            own,
            alerts: None,
        })
    }

    pub fn person_view(&self, id: &str) -> Option<PersonView> {
        let (person, agg, ids, unit, now, commit) = {
            let st = self.read();
            let n = st.people.get(id)?;
            let unit = st.unit_ref(&n.person.unit).unwrap_or(UnitRef {
                id: n.person.unit.to_string(),
                name: String::new(),
                level: UnitLevel::Division,
                short_name: None,
            });
            (
                n.person.clone(),
                n.agg,
                n.tasks.iter().cloned().collect::<Vec<_>>(),
                unit,
                st.now,
                st.commit,
            )
        };
        let mut tasks: Vec<_> = ids.iter().filter_map(|t| self.task(t)).collect();
        // Ties by id: the set the ids come from has no order, and the same moment must read
        // the same list every time (a past view is compared with what was shown).
        tasks.sort_by(|a, b| {
            let key = |t: &crate::domain::Task| {
                (
                    !t.status.is_open(),
                    if t.status.is_open() {
                        t.deadline
                    } else {
                        -t.deadline
                    },
                )
            };
            key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
        });
        Some(PersonView {
            id: person.id.to_string(),
            name: person.name,
            position: person.position,
            unit,
            as_of: format_ts(now),
            commit,
            tasks: TaskSummary::from(&agg),
            workload: agg.open(),
            task_list: tasks
                .iter()
                .map(|t| TaskLine {
                    id: t.id.to_string(),
                    title: t.title.clone(),
                    status: t.status,
                    progress: progress_pct(t.progress),
                    deadline: format_ts(t.deadline),
                    overdue: t.is_overdue(now),
                })
                .collect(),
        })
    }

    pub fn kpi_board(&self, id: &str) -> Option<KpiBoard> {
        let st = self.read();
        let node = st.units.get(id)?;
        let mut own = UnitAgg::default();
        let mut kpis = Vec::with_capacity(node.kpis.len());
        for code in &node.kpis {
            let Some(k) = st.kpis.get(code) else { continue };
            let obs = st.series.get(&(code.clone(), node.unit.id.clone()));
            let status = k.status_at(obs, st.now);
            own.kpi[k.group.index()][status.index()] += 1;
            let target = obs
                .and_then(|o| st.target_for(code, &node.unit.id, &o.period))
                .map(|t| t.target);
            kpis.push(KpiLine {
                target,
                attainment: match (obs, target) {
                    (Some(o), Some(t)) => super::kpi_agg::attainment(&k.thresholds, o.value, t),
                    _ => None,
                },
                expression: k.expression.as_ref().map(|f| f.text().to_string()),
                no_data: st.formula_gap(k, &node.unit.id),
                code: k.code.to_string(),
                name: k.name.clone(),
                group: k.group,
                unit_of_measure: k.unit_of_measure.clone(),
                frequency: k.frequency,
                thresholds: k.thresholds,
                status,
                stale: obs.is_some() && status == KpiStatus::NoData,
                value: obs.map(|o| o.value),
                period: obs.map(|o| o.period.label().to_string()),
                updated_at: obs.map(|o| format_ts(o.at)),
                source: obs.map(|o| o.source.clone()),
            });
        }
        kpis.sort_by(|a, b| a.code.cmp(&b.code));
        Some(KpiBoard {
            unit: st.unit_ref(&node.unit.id)?,
            as_of: format_ts(st.now),
            commit: st.commit,
            counts: summarize(&own, st.now).kpis,
            kpis,
            aggregates: st.kpi_aggregates(&node.unit.id, st.now),
        })
    }
}

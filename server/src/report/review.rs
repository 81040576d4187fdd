//! The review of a unit over a week, a month or a quarter: its figures at the end of the period
//! before against this period's (up to the clock), the KPI series that turned red or recovered, key results against their pace, the
//! overdue trend day by day and its child units ranked by score. Read from the rollup (tasks,
//! catalog) and the store (KPI values, check-ins, alert history), rebuilt as of each instant
//! by `figures.rs`, scored by `rollup::score` so a review of the current week agrees with the
//! live board. The evaluation of officials is not computed here: the caller passes its summary.

use super::figures::{
    key_result_at, key_result_progress, series_status_at, series_value_at, task_at, Checkin,
    TaskTally,
};
use super::period::{ReviewKind, ReviewPeriod, ReviewPeriods};
use super::ReportError;
use crate::domain::time::format_ts;
use crate::domain::{Id, KeyResult, Kpi, KpiStatus, Objective, Observation, Unit};
use crate::rollup::history::TaskDates;
use crate::rollup::score::{ScoreInputs, Scored};
use crate::rollup::view::{round4, KpiCounts, UnitRef};
use crate::rollup::Rollup;
use crate::store::{AlertHistoryRow, Store};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use utoipa::ToSchema;

/// Key results listed in the review, worst pace first; `key_results_total` counts them all.
pub const KEY_RESULTS_LISTED: usize = 50;
/// Units in `top` and in `bottom`.
pub const TOP_BOTTOM: usize = 5;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Review {
    pub unit: UnitRef,
    /// What the review compares: weeks, months or quarters.
    pub kind: ReviewKind,
    /// The reviewed period: `2026-W47`, `2026-11` or `2026-Q4`.
    pub period: String,
    /// The period of the same kind before it.
    pub previous_period: String,
    /// The period's start to min(its end, the clock).
    pub this_period: Span,
    /// The whole period before.
    pub last_period: Span,
    /// Same as `period` (kept for clients of the weekly review).
    pub week: String,
    /// Same as `previous_period`.
    pub previous_week: String,
    /// Same as `this_period`.
    pub this_week: Span,
    /// Same as `last_period`.
    pub last_week: Span,
    /// The server's clock when the review was read.
    pub as_of: String,
    pub figures: FiguresPair,
    /// KPI series of the subtree red at `this_period.to` that were not at `last_period.to`.
    /// (Below, "last week" and "this week" in field names mean the two periods compared.)
    pub turned_red: Vec<SeriesChange>,
    /// KPI series red at `last_week.to` and green or yellow at `this_week.to`.
    pub recovered: Vec<SeriesChange>,
    /// Key results of the subtree's objectives whose period overlaps the two periods, worst pace
    /// gap first, at most 50.
    pub key_results: Vec<KeyResultLine>,
    pub key_results_total: usize,
    /// One point per day of both periods up to today, read at the day's end (today: the clock).
    pub overdue_trend: Vec<TrendPoint>,
    /// Child units by score this period, best first (units without a score last).
    pub units: Vec<UnitLine>,
    /// Up to 5 best of `units`.
    pub top: Vec<UnitLine>,
    /// Up to 5 worst of `units`, worst first, none of them in `top`.
    pub bottom: Vec<UnitLine>,
    pub charts: ChartLinks,
    /// The evaluation of the subtree's officials for the period; null when none was made.
    pub evaluation: Option<EvaluationSummary>,
    pub data_began: DataBegan,
    pub ends_exact: EndsExact,
    /// The one alert count of the unit's screens now, as the boards, the alert center and the
    /// wall show it, when the reviewed period holds the clock; null for a period already over
    /// (the live alerts are not rebuilt as of a past instant: `alerts_fired` covers the past).
    pub alerts_active: Option<crate::rollup::view::AlertCount>,
    /// Explanations (giải trình) asked in the reviewed period about the subtree, newest first,
    /// with where each stands and its answers (at most 200).
    pub explanations: Vec<super::explanations::ExplanationLine>,
    /// This period's review meeting (giao ban), once opened.
    pub meeting: Option<crate::meeting::MeetingRecord>,
    /// The last meeting of an earlier period of the same kind, with where each of its
    /// conclusions stands now: what this review opens with.
    pub follow_up: Option<crate::meeting::FollowUp>,
}

/// How the officials of the subtree were classified for the period.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct EvaluationSummary {
    /// The evaluation period's label.
    pub period: String,
    /// The period had not ended at the server's clock: its scores and classes are provisional
    /// ("tạm tính") until it closes.
    pub provisional: bool,
    pub people: usize,
    pub evaluated: usize,
    pub excellent: usize,
    pub good: usize,
    pub complete: usize,
    pub not_complete: usize,
    pub not_evaluated: usize,
    /// How many may be classed excellent under the quota.
    pub excellent_cap: usize,
    /// Excellent classifications beyond the cap.
    pub above_cap: usize,
    pub mean_total: Option<f64>,
    /// The lowest totals, lowest first.
    pub lowest: Vec<EvaluationLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct EvaluationLine {
    /// The person's id.
    pub person: String,
    pub name: String,
    /// The person's unit (its name).
    pub unit: String,
    pub position: String,
    pub total: Option<f64>,
    /// `excellent`, `good`, `complete`, `not_complete` or `not_evaluated`.
    pub class: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Span {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FiguresPair {
    pub this: Figures,
    pub last: Figures,
}

/// A unit's figures over its subtree at one instant. A figure with nothing under it then (no
/// task yet, no KPI value yet, alerts before the server kept their history) is null, "no
/// data", never a 0 a reader would compare with.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Figures {
    pub score: Scored,
    /// Tasks that existed (started) by then; null when none had.
    pub tasks: Option<i64>,
    pub open: Option<i64>,
    pub overdue: Option<i64>,
    /// Overdue share of the open work that can be overdue, 0..1.
    pub overdue_ratio: Option<f64>,
    /// On-time share of the work accepted by then, 0..1.
    pub on_time_rate: Option<f64>,
    /// KPI series by status; null when no series had a value by then.
    pub kpis: Option<KpiCounts>,
    /// Alerts that fired in the period (a yellow alert turning red counts as red); null when
    /// the period ended before the alert history began (`data_began.alerts`).
    pub alerts_fired: Option<AlertCounts>,
    /// Mean progress of the listed key results, 0..1.
    pub key_results_avg_progress: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema, PartialEq)]
pub struct AlertCounts {
    pub red: i64,
    pub yellow: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct SeriesChange {
    pub code: String,
    pub name: String,
    pub group: crate::domain::IndexGroup,
    pub unit: UnitRef,
    /// At the end of last week; null without any value yet.
    pub before: Option<SeriesPoint>,
    pub after: Option<SeriesPoint>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct SeriesPoint {
    /// `no_data` when the value had gone stale.
    pub status: KpiStatus,
    pub value: f64,
    pub period: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct KeyResultLine {
    pub id: String,
    pub title: String,
    /// The objective's id.
    pub objective: String,
    pub objective_title: String,
    /// The objective's period.
    pub period: String,
    /// The objective's unit.
    pub unit: UnitRef,
    /// Value at `this_week.to`.
    pub value: f64,
    /// Progress 0..1 at `this_week.to`.
    pub progress: f64,
    /// Progress 0..1 at `last_week.to`.
    pub progress_last_week: f64,
    /// Share of the objective's period elapsed at `this_week.to`, 0..1: the pace.
    pub expected: f64,
    /// progress - expected: negative is behind pace.
    pub pace_gap: f64,
    /// Confidence (0..10) of the last check-in by `this_week.to`.
    pub confidence: Option<u8>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TrendPoint {
    /// The date in Vietnam, `2026-11-09`.
    pub day: String,
    /// `last` or `this`: which of the two periods the day belongs to.
    pub period: &'static str,
    /// Same as `period`.
    pub week: &'static str,
    pub overdue: i64,
    pub open: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct UnitLine {
    pub unit: UnitRef,
    pub score: Scored,
    pub score_last_week: Scored,
    /// score - score_last_week, one decimal; null unless both have a value.
    pub delta: Option<f64>,
    /// Null when the unit had no task (or no KPI value) by then, as in `Figures`.
    pub overdue: Option<i64>,
    pub overdue_last_week: Option<i64>,
    pub kpis_red: Option<i64>,
    pub kpis_red_last_week: Option<i64>,
}

/// When each kind of data began in the store, so a reader knows why an older figure is null.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct DataBegan {
    /// The alert history's first entry (alerts are recorded from the server's first start).
    pub alerts: Option<String>,
    /// Where the board's history begins (`?at=`): a period end from then on is read from the
    /// board as it stood, an earlier one rebuilt from task dates (`ends_exact`).
    pub history: Option<String>,
}

/// How each period end's task figures were read: `true`, from the board as it stood at that
/// moment (replayed from history, or the live board when the end is now); `false`, rebuilt from
/// the tasks' dates as they stand now (before history began: a task's progress then is not known,
/// its status is inferred from when it was submitted and finished).
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema, PartialEq)]
pub struct EndsExact {
    pub last: bool,
    pub this: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ChartLinks {
    pub overdue: ChartLink,
    pub kpis: ChartLink,
    pub key_results: ChartLink,
    pub units: ChartLink,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ChartLink {
    pub svg: String,
    pub png: String,
}

/// Everything a review is computed from, read first so that the computation is a function.
pub struct Inputs {
    pub periods: ReviewPeriods,
    /// The subtree, the reviewed unit first, each unit before its children.
    pub units: Vec<Unit>,
    pub tasks: Vec<TaskDates>,
    pub kpis: Vec<Kpi>,
    pub observations: Vec<Observation>,
    pub key_results: Vec<(KeyResult, Objective)>,
    pub checkins: HashMap<Id, Vec<Checkin>>,
    /// Alert history of the subtree over both periods.
    pub alerts: Vec<AlertHistoryRow>,
    /// When the alert history began (its first entry anywhere), if it has.
    pub alerts_since: Option<crate::domain::Ts>,
    /// Per end (last, this), the subtree's tasks as the board held them at that end, where
    /// history reaches it: their state then, not their dates read back.
    pub tasks_then: [Option<Vec<TaskDates>>; 2],
    /// Where the board's history begins.
    pub history_since: Option<crate::domain::Ts>,
}

/// The fields of a logged `kr_checkin` event the review reads (its time is the record's).
#[derive(Deserialize)]
struct CheckinBody {
    value: f64,
    confidence: Option<u8>,
}

/// Reads the review's inputs for `unit` and `period` (None: the week of the clock), then
/// computes it off the async runtime (a city's review walks every task for every day).
pub async fn review(
    store: &Arc<dyn Store>,
    rollup: &Arc<Rollup>,
    past: &crate::asof::Past,
    unit: &str,
    period: Option<ReviewPeriod>,
) -> Result<Review, ReportError> {
    let now = rollup.now();
    let weeks = ReviewPeriods::new(period, now).map_err(ReportError::Period)?;
    let units = rollup.subtree_units(unit);
    let Some(root) = units.first() else {
        return Err(ReportError::NoUnit(unit.to_string()));
    };
    // A root's subtree is everything: ask the store for any unit rather than bind hundreds.
    let unit_filter: Vec<String> = if root.parent.is_none() {
        Vec::new()
    } else {
        units.iter().map(|u| u.id.to_string()).collect()
    };
    let in_subtree: HashSet<Id> = units.iter().map(|u| u.id.clone()).collect();
    let objectives: HashMap<Id, Objective> = rollup
        .objectives()
        .into_iter()
        .filter(|o| in_subtree.contains(&o.unit))
        .filter(|o| o.period.start < weeks.this.to && o.period.end > weeks.last.from)
        .map(|o| (o.id.clone(), o))
        .collect();
    let key_results: Vec<(KeyResult, Objective)> = rollup
        .key_results()
        .into_iter()
        .filter_map(|kr| {
            let o = objectives.get(&kr.objective)?.clone();
            Some((kr, o))
        })
        .collect();
    let kpis: Vec<Kpi> = rollup
        .kpis()
        .into_iter()
        .filter(|k| k.series_units().iter().any(|u| in_subtree.contains(u)))
        .collect();
    let kr_ids: Vec<String> = key_results.iter().map(|(k, _)| k.id.to_string()).collect();
    let observations = store.observations_of(&unit_filter).await?;
    // To the week's end rather than the clock: what fired at the clock's very instant counts.
    let alerts = store
        .alert_history_between(&unit_filter, weeks.last.from, weeks.period.end())
        .await?;
    let alerts_since = store.first_alert_at().await?;
    let mut checkins: HashMap<Id, Vec<Checkin>> = HashMap::new();
    if !kr_ids.is_empty() {
        for e in store.events_of("kr_checkin", &kr_ids).await? {
            // A body that does not read back is skipped, not fatal: the rest of the review
            // still stands.
            let Ok(b) = serde_json::from_str::<CheckinBody>(&e.body) else {
                tracing::warn!(event = %e.id, "a logged check-in does not read back");
                continue;
            };
            checkins
                .entry(Id::from(e.entity))
                .or_default()
                .push(Checkin {
                    at: e.at,
                    value: b.value,
                    confidence: b.confidence,
                });
        }
    }
    let explanations =
        super::explanations::of_period(store.as_ref(), rollup, &unit_filter, &weeks).await?;
    let history_since = past.begins().await?;
    // Each end before the clock is read from the board as it stood then, where history reaches
    // it; an end at the clock is the board now (its tasks' state is exact already).
    let mut ends_then: [Option<Arc<Rollup>>; 2] = [None, None];
    for (e, end) in [weeks.last.to, weeks.this.to].into_iter().enumerate() {
        if end >= now {
            ends_then[e] = Some(rollup.clone());
        } else if history_since.is_some_and(|b| b <= end) {
            match past.rollup_at(end, now).await {
                Ok(r) => ends_then[e] = Some(r),
                Err(crate::asof::AsOfError::Store(e)) => return Err(e.into()),
                Err(_) => {}
            }
        }
    }
    let held = rollup.clone();
    let mut review = tokio::task::spawn_blocking(move || {
        let tasks = held.task_dates_of(&in_subtree);
        let tasks_then = ends_then.map(|r| r.map(|r| r.task_dates_of(&in_subtree)));
        build(Inputs {
            periods: weeks,
            units,
            tasks,
            kpis,
            observations,
            key_results,
            checkins,
            alerts,
            alerts_since,
            tasks_then,
            history_since,
        })
    })
    .await
    .map_err(|e| ReportError::Internal(format!("the review computation failed: {e}")))?;
    review.explanations = explanations;
    let (meeting, follow_up) =
        crate::meeting::for_review(rollup, store.as_ref(), unit, &review.period).await?;
    review.meeting = meeting;
    review.follow_up = follow_up;
    Ok(review)
}

fn scored(tasks: &TaskTally, kpi: &[i64; 4]) -> Scored {
    Scored::of(&ScoreInputs {
        kpi_green: kpi[KpiStatus::Green.index()],
        kpi_yellow: kpi[KpiStatus::Yellow.index()],
        kpi_red: kpi[KpiStatus::Red.index()],
        on_time_rate: tasks.on_time_rate(),
        overdue_ratio: tasks.overdue_ratio(),
    })
}

/// One unit's own figures (its tasks and series, not its subtree's) at both ends.
#[derive(Default, Clone)]
struct Own {
    tasks: [TaskTally; 2],
    kpi: [[i64; 4]; 2],
}

/// A unit's tasks at end `e`, if any task existed then.
fn tasks_then(s: &Own, e: usize) -> Option<&TaskTally> {
    (s.tasks[e].total > 0).then_some(&s.tasks[e])
}

/// A unit's KPI series by status at end `e`, if any series had a value then.
fn kpis_then(s: &Own, e: usize) -> Option<&[i64; 4]> {
    let k = &s.kpi[e];
    let valued =
        k[KpiStatus::Green.index()] + k[KpiStatus::Yellow.index()] + k[KpiStatus::Red.index()];
    (valued > 0).then_some(k)
}

const LAST: usize = 0;
const THIS: usize = 1;

/// Computes the review from its inputs. Pure: the same inputs give the same review.
pub fn build(i: Inputs) -> Review {
    let w = &i.periods;
    let ends = [w.last.to, w.this.to];
    let root = &i.units[0];
    let refs: HashMap<&Id, UnitRef> = i.units.iter().map(|u| (&u.id, UnitRef::from(u))).collect();
    let mut own: HashMap<&Id, Own> = i.units.iter().map(|u| (&u.id, Own::default())).collect();
    let mut children: HashMap<&Id, Vec<&Id>> = HashMap::new();
    for u in &i.units[1..] {
        if let Some(p) = &u.parent {
            children.entry(p).or_default().push(&u.id);
        }
    }

    // Tasks, at both ends and at each day's end.
    let days = w.days();
    let mut trend = vec![TaskTally::default(); days.len()];
    for t in &i.tasks {
        if let Some(o) = own.get_mut(&t.unit) {
            for (k, at) in ends.iter().enumerate() {
                if i.tasks_then[k].is_none() {
                    o.tasks[k].count(task_at(t, *at));
                }
            }
        }
        for (d, day) in days.iter().enumerate() {
            trend[d].count(task_at(t, day.at));
        }
    }
    for (k, at) in ends.iter().enumerate() {
        for t in i.tasks_then[k].iter().flatten() {
            if let Some(o) = own.get_mut(&t.unit) {
                o.tasks[k].count(task_at(t, *at));
            }
        }
    }

    // KPI series of the subtree, at both ends.
    let mut by_series: HashMap<(&str, &str), Vec<&Observation>> = HashMap::new();
    for o in &i.observations {
        by_series.entry((&o.kpi, &o.unit)).or_default().push(o);
    }
    let mut turned_red = Vec::new();
    let mut recovered = Vec::new();
    let mut kpis: Vec<&Kpi> = i.kpis.iter().collect();
    kpis.sort_by(|a, b| a.code.cmp(&b.code));
    for k in kpis {
        let mut series = k.series_units();
        series.sort();
        for unit in series {
            let Some(o) = own.get_mut(&unit) else {
                continue;
            };
            let values = by_series
                .get(&(&*k.code, &*unit))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let at = ends.map(|t| series_value_at(values, t));
            let status = [0, 1].map(|e| series_status_at(k, at[e], ends[e]));
            for e in [LAST, THIS] {
                o.kpi[e][status[e].index()] += 1;
            }
            let red = |s: KpiStatus| s == KpiStatus::Red;
            let change = || SeriesChange {
                code: k.code.to_string(),
                name: k.name.clone(),
                group: k.group,
                unit: refs[&unit].clone(),
                before: at[LAST].map(|v| point(v, status[LAST])),
                after: at[THIS].map(|v| point(v, status[THIS])),
            };
            if red(status[THIS]) && !red(status[LAST]) {
                turned_red.push(change());
            } else if red(status[LAST])
                && matches!(status[THIS], KpiStatus::Green | KpiStatus::Yellow)
            {
                recovered.push(change());
            }
        }
    }

    // Each unit's figures over its subtree: its own plus its descendants', summed bottom-up
    // (`units` lists parents first, so walking it backwards meets children first).
    let mut sub: HashMap<&Id, Own> = HashMap::new();
    for u in i.units.iter().rev() {
        let mut total = own.remove(&u.id).unwrap_or_default();
        if let Some(cs) = children.get(&u.id) {
            for c in cs {
                if let Some(s) = sub.get(c) {
                    for e in [LAST, THIS] {
                        total.tasks[e].add(&s.tasks[e]);
                        for st in 0..4 {
                            total.kpi[e][st] += s.kpi[e][st];
                        }
                    }
                }
            }
        }
        sub.insert(&u.id, total);
    }

    // Key results.
    let mut krs: Vec<KeyResultLine> = i
        .key_results
        .iter()
        .map(|(kr, o)| {
            let checkins = i
                .checkins
                .get(&kr.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let (value, confidence) = key_result_at(kr, checkins, w.this.to);
            let (value_last, _) = key_result_at(kr, checkins, w.last.to);
            let progress = key_result_progress(kr, value);
            let expected = o.period.elapsed(w.this.to);
            KeyResultLine {
                id: kr.id.to_string(),
                title: kr.title.clone(),
                objective: o.id.to_string(),
                objective_title: o.title.clone(),
                period: o.period.label().to_string(),
                unit: refs
                    .get(&o.unit)
                    .cloned()
                    .unwrap_or_else(|| UnitRef::from(root)),
                value,
                progress: round4(progress),
                progress_last_week: round4(key_result_progress(kr, value_last)),
                expected: round4(expected),
                pace_gap: round4(progress - expected),
                confidence,
            }
        })
        .collect();
    let kr_avg = |last: bool| {
        (!krs.is_empty()).then(|| {
            let sum: f64 = krs
                .iter()
                .map(|k| {
                    if last {
                        k.progress_last_week
                    } else {
                        k.progress
                    }
                })
                .sum();
            round4(sum / krs.len() as f64)
        })
    };
    let kr_avg = [kr_avg(true), kr_avg(false)];
    krs.sort_by(|a, b| a.pace_gap.total_cmp(&b.pace_gap).then(a.id.cmp(&b.id)));
    let key_results_total = krs.len();
    krs.truncate(KEY_RESULTS_LISTED);

    // Alerts fired in each period.
    let mut alerts = [AlertCounts::default(); 2];
    for a in &i.alerts {
        let e = if a.at >= w.this.from { THIS } else { LAST };
        match (a.kind.as_str(), a.severity.as_str()) {
            ("fired", "red") | ("severity_changed", "red") => alerts[e].red += 1,
            ("fired", "yellow") => alerts[e].yellow += 1,
            _ => {}
        }
    }

    let whole = &sub[&root.id];
    let alerts_kept = |e: usize| i.alerts_since.is_some_and(|since| since < ends[e]);
    let figures = |e: usize| Figures {
        score: scored(&whole.tasks[e], &whole.kpi[e]),
        tasks: tasks_then(whole, e).map(|t| t.total),
        open: tasks_then(whole, e).map(|t| t.open),
        overdue: tasks_then(whole, e).map(|t| t.overdue),
        overdue_ratio: whole.tasks[e].overdue_ratio().map(round4),
        on_time_rate: whole.tasks[e].on_time_rate().map(round4),
        kpis: kpis_then(whole, e).map(KpiCounts::from_row),
        alerts_fired: alerts_kept(e).then_some(alerts[e]),
        key_results_avg_progress: kr_avg[e],
    };

    // Child units, best score first.
    let mut lines: Vec<UnitLine> = children
        .get(&root.id)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            let s = sub.get(c)?;
            let score = scored(&s.tasks[THIS], &s.kpi[THIS]);
            let score_last_week = scored(&s.tasks[LAST], &s.kpi[LAST]);
            Some(UnitLine {
                unit: refs.get(c)?.clone(),
                score,
                score_last_week,
                delta: score
                    .value
                    .zip(score_last_week.value)
                    .map(|(a, b)| ((a - b) * 10.0).round() / 10.0),
                overdue: tasks_then(s, THIS).map(|t| t.overdue),
                overdue_last_week: tasks_then(s, LAST).map(|t| t.overdue),
                kpis_red: kpis_then(s, THIS).map(|k| k[KpiStatus::Red.index()]),
                kpis_red_last_week: kpis_then(s, LAST).map(|k| k[KpiStatus::Red.index()]),
            })
        })
        .collect();
    lines.sort_by(|a, b| {
        let key = |l: &UnitLine| l.score.value.unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a)).then(a.unit.id.cmp(&b.unit.id))
    });
    let ranked: Vec<&UnitLine> = lines.iter().filter(|l| l.score.value.is_some()).collect();
    // Half each at most, so a unit is never both at the top and at the bottom.
    let n_top = TOP_BOTTOM.min(ranked.len().div_ceil(2));
    let top_lines: Vec<UnitLine> = ranked[..n_top].iter().map(|l| (*l).clone()).collect();
    let bottom_lines: Vec<UnitLine> = ranked[n_top..]
        .iter()
        .rev()
        .take(TOP_BOTTOM)
        .map(|l| (*l).clone())
        .collect();

    let this_span = Span {
        from: format_ts(w.this.from),
        to: format_ts(w.this.to),
    };
    let last_span = Span {
        from: format_ts(w.last.from),
        to: format_ts(w.last.to),
    };
    Review {
        unit: UnitRef::from(root),
        kind: w.period.kind(),
        period: w.period.to_string(),
        previous_period: w.previous.to_string(),
        this_period: this_span.clone(),
        last_period: last_span.clone(),
        week: w.period.to_string(),
        previous_week: w.previous.to_string(),
        this_week: this_span,
        last_week: last_span,
        as_of: format_ts(w.now),
        figures: FiguresPair {
            this: figures(THIS),
            last: figures(LAST),
        },
        turned_red,
        recovered,
        key_results: krs,
        key_results_total,
        overdue_trend: days
            .iter()
            .zip(&trend)
            .map(|(d, t)| TrendPoint {
                day: d.day.clone(),
                period: if d.this_period { "this" } else { "last" },
                week: if d.this_period { "this" } else { "last" },
                overdue: t.overdue,
                open: t.open,
            })
            .collect(),
        units: lines,
        top: top_lines,
        bottom: bottom_lines,
        charts: chart_links(&root.id, w.period),
        // Set by the caller that computed it (`report::evaluation::review_with_evaluation`).
        evaluation: None,
        data_began: DataBegan {
            alerts: i.alerts_since.map(format_ts),
            history: i.history_since.map(format_ts),
        },
        ends_exact: EndsExact {
            last: i.tasks_then[LAST].is_some(),
            this: i.tasks_then[THIS].is_some(),
        },
        alerts_active: None,
        explanations: Vec::new(),
        meeting: None,
        follow_up: None,
    }
}

fn point(o: &Observation, status: KpiStatus) -> SeriesPoint {
    SeriesPoint {
        status,
        value: o.value,
        period: o.period.label().to_string(),
    }
}

fn chart_links(unit: &str, period: ReviewPeriod) -> ChartLinks {
    // A week keeps the `week` parameter the weekly review has always linked with.
    let param = match period.kind() {
        ReviewKind::Week => "week",
        _ => "period",
    };
    let link = |name: &str| {
        let base = format!(
            "/api/v1/units/{}/review/charts/{name}",
            percent_encode(unit)
        );
        ChartLink {
            svg: format!("{base}.svg?{param}={period}"),
            png: format!("{base}.png?{param}={period}"),
        }
    };
    ChartLinks {
        overdue: link("overdue"),
        kpis: link("kpis"),
        key_results: link("key_results"),
        units: link("units"),
    }
}

/// Unit ids are data-dictionary codes (`hn.p-hoankiem`); anything else is escaped for a path.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

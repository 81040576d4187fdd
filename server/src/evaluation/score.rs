//! One person's score for one period: task points from their items (and, for a unit leader, the
//! unit's), general points from the leader's criteria scores, the class, and every step shown.

use super::{classify, round2, Class, EvaluationBands, EvaluationConfig};
use crate::domain::time::format_ts;
use crate::domain::{Period, Person, Task, TaskStatus, Ts, Unit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The leader's general-criteria scores for one person and period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriteriaInput {
    /// Points per criterion id, each 0..=the criterion's max_points; every criterion scored.
    pub scores: BTreeMap<String, f64>,
    /// A reason (a discipline measure, for instance) that forces NotComplete whatever the points.
    #[serde(default)]
    pub force_not_complete: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// Filled by the server (the signed-in leader); whatever a client sends is overwritten.
    /// Deserialized so that a stored input reads back whole.
    #[serde(default)]
    pub by: Option<String>,
    /// Filled by the server (RFC 3339), like `by`.
    #[serde(default)]
    pub at: Option<String>,
}

impl CriteriaInput {
    /// The first problem found, naming the criterion.
    pub fn validate(&self, cfg: &EvaluationConfig) -> Result<(), String> {
        for id in self.scores.keys() {
            if !cfg.criteria.iter().any(|c| &c.id == id) {
                return Err(format!("criterion '{id}' is not in the evaluation model"));
            }
        }
        for c in &cfg.criteria {
            let Some(&v) = self.scores.get(&c.id) else {
                return Err(format!("criterion '{}' has no score", c.id));
            };
            if !v.is_finite() || v < 0.0 || v > c.max_points {
                return Err(format!(
                    "criterion '{}' must score between 0 and {}, got {v}",
                    c.id, c.max_points
                ));
            }
        }
        if let Some(reason) = &self.force_not_complete {
            if reason.trim().is_empty() {
                return Err("force_not_complete needs a reason".into());
            }
        }
        Ok(())
    }
}

/// What one person's score is computed from. The caller gathers it; nothing here reads storage.
#[derive(Debug, Clone)]
pub struct PersonInput<'a> {
    pub person: &'a Person,
    /// The unit the person leads, if any: part of their task points come from its results.
    pub leads: Option<&'a Unit>,
    /// The person's tasks (others' are ignored); any period, filtered here.
    pub tasks: Vec<&'a Task>,
    /// The tasks of the led unit's subtree (the leader's own included, if the caller includes
    /// them); ignored when `leads` is None.
    pub unit_tasks: Vec<&'a Task>,
    pub criteria: Option<&'a CriteriaInput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonScore {
    pub person: String,
    pub name: String,
    pub unit: String,
    pub position: String,
    /// The unit the person leads.
    pub leads: Option<String>,
    /// The period's label (`2026-11`, `2026-Q4`).
    pub period: String,
    /// The class after any override.
    pub class: Class,
    /// The class the total earns by the bands.
    pub class_by_points: Class,
    /// general + tasks, rounded to 2 decimals once; None when not evaluated.
    pub total: Option<f64>,
    pub general: GeneralPoints,
    /// None when the person had no items (not evaluated).
    pub tasks: Option<TaskPoints>,
    /// The leader's criteria scores are missing: general counts 0 until they come.
    pub provisional: bool,
    /// The reason the leader forced NotComplete.
    pub overridden: Option<String>,
    /// Why the person was not evaluated.
    pub not_evaluated: Option<String>,
    pub notes: Vec<String>,
    pub bands: EvaluationBands,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GeneralPoints {
    pub points: f64,
    pub max: f64,
    pub criteria: Vec<CriterionScore>,
    pub by: Option<String>,
    pub at: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CriterionScore {
    pub id: String,
    pub name_vi: String,
    pub name_en: String,
    pub max: f64,
    /// None while the leader has not scored.
    pub points: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskPoints {
    /// 0..=max.
    pub points: f64,
    pub max: f64,
    /// The person's own items; None when they had none (a leader judged on the unit alone).
    pub own: Option<ItemsPart>,
    /// The led unit's items; None for a person who leads no unit or a unit without items.
    pub unit: Option<ItemsPart>,
    /// Present when the workload norm scaled the own part down.
    pub workload: Option<Workload>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItemsPart {
    /// Earned over possible, 0..=1.
    pub ratio: f64,
    /// Share of the task points this part carries, 0..=1.
    pub share: f64,
    /// tasks_max × share × ratio (× the workload factor for the own part).
    pub points: f64,
    pub counts: ItemCounts,
    /// Each item with its points. Empty for the unit part, which only shows counts: a
    /// department holds thousands of tasks.
    pub items: Vec<ItemScore>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemCounts {
    /// Items counted in the period.
    pub assigned: u32,
    /// Accepted.
    pub done: u32,
    /// Accepted after the deadline.
    pub late: u32,
    /// Accepted with quality below the pass mark.
    pub quality_failed: u32,
    /// Due and not accepted by the time of scoring.
    pub not_completed: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItemScore {
    pub task: String,
    pub title: String,
    pub deadline: String,
    pub done_at: Option<String>,
    pub status: TaskStatus,
    pub quality: Option<f64>,
    pub possible: f64,
    pub deductions: Vec<Deduction>,
    pub earned: f64,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Deduction {
    pub reason: DeductionReason,
    pub points: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeductionReason {
    Late,
    Quality,
    NotCompleted,
}

/// The workload norm applied: the own part scaled by items / min_items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Workload {
    pub items: u32,
    pub min_items: u32,
    pub factor: f64,
}

/// A task counts in the period when its deadline lies in it, it is not cancelled, and it is
/// either due by `now` or already accepted (done early counts, not yet due does not).
fn counts_in(period: &Period, now: Ts, t: &Task) -> bool {
    t.status != TaskStatus::Cancelled
        && period.start <= t.deadline
        && t.deadline < period.end
        && (t.deadline <= now || t.status == TaskStatus::Accepted)
}

/// Items of one part scored with unrounded points, before display rounding.
struct Part {
    earned: f64,
    possible: f64,
    counts: ItemCounts,
    items: Vec<ItemScore>,
}

impl Part {
    fn ratio(&self) -> f64 {
        if self.possible > 0.0 {
            self.earned / self.possible
        } else {
            0.0
        }
    }
}

/// Scores `tasks` with each item worth `points / n`. With `points` 0 (a part carrying no share)
/// the ratio is still computed from equal unit weights.
fn score_part(cfg: &EvaluationConfig, tasks: &[&Task], points: f64, keep_items: bool) -> Part {
    // In deadline order, ties by id: the tasks come from a set with no order, and the same
    // moment must read the same items (and the same float sums) every time.
    let mut tasks = tasks.to_vec();
    tasks.sort_by(|a, b| (a.deadline, &a.id).cmp(&(b.deadline, &b.id)));
    let n = tasks.len() as f64;
    let mut part = Part {
        earned: 0.0,
        possible: 0.0,
        counts: ItemCounts::default(),
        items: Vec::new(),
    };
    for t in tasks {
        // The ratio is kept in item units (each item 1) so it does not depend on `points`.
        let item_points = points / n;
        let mut notes = Vec::new();
        let mut deductions = Vec::new();
        let mut fraction = 1.0;
        part.counts.assigned += 1;
        if t.status == TaskStatus::Accepted {
            part.counts.done += 1;
            let late = match t.done_at {
                Some(d) => d > t.deadline,
                None => {
                    notes.push("no done time recorded: counted as on time".to_string());
                    false
                }
            };
            let quality_failed = match t.quality {
                Some(q) => q < cfg.quality_pass,
                None => {
                    notes.push("no quality recorded at acceptance: counted as passed".to_string());
                    false
                }
            };
            // Deductions never take an item below 0: the last one is cut to what is left.
            let mut take = |reason, share: f64, fraction: &mut f64| {
                let cut = share.min(*fraction);
                *fraction -= cut;
                deductions.push(Deduction {
                    reason,
                    points: round2(cut * item_points),
                });
            };
            if late {
                part.counts.late += 1;
                take(DeductionReason::Late, cfg.late_deduction, &mut fraction);
            }
            if quality_failed {
                part.counts.quality_failed += 1;
                take(
                    DeductionReason::Quality,
                    cfg.quality_deduction,
                    &mut fraction,
                );
            }
        } else {
            part.counts.not_completed += 1;
            fraction = 0.0;
            deductions.push(Deduction {
                reason: DeductionReason::NotCompleted,
                points: round2(item_points),
            });
        }
        part.earned += fraction;
        part.possible += 1.0;
        if keep_items {
            part.items.push(ItemScore {
                task: t.id.to_string(),
                title: t.title.clone(),
                deadline: format_ts(t.deadline),
                done_at: t.done_at.map(format_ts),
                status: t.status,
                quality: t.quality,
                possible: round2(item_points),
                deductions,
                earned: round2(fraction * item_points),
                notes,
            });
        }
    }
    part
}

fn items_part(cfg: &EvaluationConfig, part: Part, share: f64, factor: f64) -> ItemsPart {
    ItemsPart {
        ratio: round4(part.ratio()),
        share,
        points: round2(cfg.tasks_max * share * part.ratio() * factor),
        counts: part.counts,
        items: part.items,
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The person's score for `period` as of `now`. Criteria input that fails
/// `CriteriaInput::validate` is treated as missing (and said so): validate it when it arrives.
pub fn score(cfg: &EvaluationConfig, period: &Period, now: Ts, input: &PersonInput) -> PersonScore {
    let person = input.person;
    let mut notes = Vec::new();
    if period.kind != cfg.period.kind() {
        notes.push(format!(
            "{} is not a {}, the period the model evaluates by",
            period.label(),
            cfg.period.as_str()
        ));
    }

    // General points.
    let criteria = match input.criteria.map(|c| (c, c.validate(cfg))) {
        Some((c, Ok(()))) => Some(c),
        Some((_, Err(e))) => {
            notes.push(format!("the criteria scores are not valid ({e}): ignored"));
            None
        }
        None => None,
    };
    let provisional = criteria.is_none();
    if provisional {
        notes.push("awaiting the leader's criteria scores: general points count 0".to_string());
    }
    let (general_raw, general) = general_points(cfg, criteria);
    let overridden = criteria.and_then(|c| c.force_not_complete.clone());

    // Task points.
    let own: Vec<&Task> = input
        .tasks
        .iter()
        .copied()
        .filter(|t| t.responsible == person.id && counts_in(period, now, t))
        .collect();
    let unit: Vec<&Task> = match input.leads {
        Some(_) => input
            .unit_tasks
            .iter()
            .copied()
            .filter(|t| counts_in(period, now, t))
            .collect(),
        None => Vec::new(),
    };
    let (own_share, unit_share) = match (own.is_empty(), unit.is_empty()) {
        (false, false) => (1.0 - cfg.leader_unit_share, cfg.leader_unit_share),
        (false, true) => (1.0, 0.0),
        (true, false) => (0.0, 1.0),
        (true, true) => (0.0, 0.0),
    };
    if let Some(u) = input.leads {
        match (own.is_empty(), unit.is_empty()) {
            (true, false) => notes.push(format!(
                "no own items: the results of {} carry all task points",
                u.name
            )),
            (false, true) => notes.push(format!(
                "{} had no items in the period: own results carry all task points",
                u.name
            )),
            _ => {}
        }
    }
    let tasks_raw;
    let tasks = if own.is_empty() && unit.is_empty() {
        tasks_raw = 0.0;
        None
    } else {
        let n_own = own.len() as u32;
        // The norm judges the person's own workload; a leader judged on the unit alone is not
        // scaled by it.
        let workload = (cfg.min_items > 0 && n_own > 0 && n_own < cfg.min_items).then(|| {
            let factor = n_own as f64 / cfg.min_items as f64;
            notes.push(format!(
                "{n_own} items against a workload norm of {}: own task points × {n_own}/{}",
                cfg.min_items, cfg.min_items
            ));
            Workload {
                items: n_own,
                min_items: cfg.min_items,
                factor: round4(factor),
            }
        });
        let factor = if workload.is_some() {
            n_own as f64 / cfg.min_items as f64
        } else {
            1.0
        };
        let own_part = score_part(cfg, &own, cfg.tasks_max * own_share, true);
        let unit_part = score_part(cfg, &unit, cfg.tasks_max * unit_share, false);
        tasks_raw = cfg.tasks_max
            * (own_share * own_part.ratio() * factor + unit_share * unit_part.ratio());
        Some(TaskPoints {
            points: round2(tasks_raw),
            max: cfg.tasks_max,
            own: (!own.is_empty()).then(|| items_part(cfg, own_part, own_share, factor)),
            unit: (!unit.is_empty()).then(|| items_part(cfg, unit_part, unit_share, 1.0)),
            workload,
        })
    };

    let (total, class_by_points, class, not_evaluated) = match &tasks {
        None => {
            let reason = format!(
                "no tasks due or accepted with a deadline in {}",
                period.label()
            );
            if let Some(r) = &overridden {
                notes.push(format!(
                    "the leader's override ({r}) has no result to apply to in this period; the annual result carries it"
                ));
            }
            (None, Class::NotEvaluated, Class::NotEvaluated, Some(reason))
        }
        Some(_) => {
            let total = round2(general_raw + tasks_raw);
            let by_points = classify(cfg, total);
            let class = if let Some(r) = &overridden {
                notes.push(format!("forced to not complete by the leader: {r}"));
                Class::NotComplete
            } else {
                by_points
            };
            (Some(total), by_points, class, None)
        }
    };

    PersonScore {
        person: person.id.to_string(),
        name: person.name.clone(),
        unit: person.unit.to_string(),
        position: person.position.clone(),
        leads: input.leads.map(|u| u.id.to_string()),
        period: period.label().to_string(),
        class,
        class_by_points,
        total,
        general,
        tasks,
        provisional,
        overridden,
        not_evaluated,
        notes,
        bands: EvaluationBands::of(cfg),
    }
}

/// The general points of valid criteria (none: 0), unrounded and as shown.
fn general_points(
    cfg: &EvaluationConfig,
    criteria: Option<&CriteriaInput>,
) -> (f64, GeneralPoints) {
    let points = |c: &CriteriaInput, id: &str| c.scores.get(id).copied().unwrap_or(0.0);
    let raw: f64 = criteria
        .map(|c| cfg.criteria.iter().map(|k| points(c, &k.id)).sum())
        .unwrap_or(0.0);
    let general = GeneralPoints {
        points: round2(raw),
        max: cfg.general_max,
        criteria: cfg
            .criteria
            .iter()
            .map(|k| CriterionScore {
                id: k.id.clone(),
                name_vi: k.name_vi.clone(),
                name_en: k.name_en.clone(),
                max: k.max_points,
                points: criteria.map(|c| points(c, &k.id)),
            })
            .collect(),
        by: criteria.and_then(|c| c.by.clone()),
        at: criteria.and_then(|c| c.at.clone()),
        comment: criteria.and_then(|c| c.comment.clone()),
    };
    (raw, general)
}

/// A frozen score with the leader's criteria corrected (an admin's correction after the close):
/// the task part stays as frozen (the task data of the closed period, not today's), the general
/// part, total and class follow the new criteria. The task part is taken as shown, to two
/// decimals.
pub fn with_criteria(
    cfg: &EvaluationConfig,
    frozen: &PersonScore,
    input: &CriteriaInput,
) -> PersonScore {
    let mut s = frozen.clone();
    let (general_raw, general) = general_points(cfg, Some(input));
    s.general = general;
    s.provisional = false;
    s.overridden = input.force_not_complete.clone();
    s.notes.retain(|n| {
        !n.starts_with("awaiting the leader's criteria") && !n.starts_with("forced to not complete")
    });
    s.notes
        .push("criteria corrected after the period closed; the task part is as frozen".to_string());
    if let Some(tasks) = &s.tasks {
        let total = round2(general_raw + tasks.points);
        s.total = Some(total);
        s.class_by_points = classify(cfg, total);
        s.class = match &s.overridden {
            Some(r) => {
                s.notes
                    .push(format!("forced to not complete by the leader: {r}"));
                Class::NotComplete
            }
            None => s.class_by_points,
        };
    }
    s
}

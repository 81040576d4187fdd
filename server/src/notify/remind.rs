//! Reminders (issue 18 item 5): on a move of the server's clock, what is due a reminder and to
//! whom. A KPI series not entered some days before or after its due date (to whoever enters
//! it: the person who entered its last value, else the leader of the KPI's leading unit, as the
//! alert rules say), an open task due within some days with little progress (to its responsible
//! person), a submission waiting on its acceptor for some days (to the accountable person, else
//! the unit's leader). Each becomes a notice whose source names the cause and the step
//! (`reminder:task:<id>:<deadline>:due3`), so the outbox keeps it once per person however often
//! the clock moves or the server restarts. When the clock jumps over several steps, only the
//! latest one reached is sent: a late "3 days before" adds nothing to "1 day late".
//! The writer calls this on its ticks (`ingest/writer/task.rs`) and commits the notices with
//! the clock's move.

use super::notice::{enqueue, Item, Notice};
use crate::domain::template::vn_date;
use crate::domain::time::{day_start, entry_due, period_label, Period, DAY};
use crate::domain::{PeriodState, TaskStatus, Ts, PROGRESS_FULL};
use crate::msg;
use crate::rollup::Rollup;
use crate::store::NoticeRow;

/// The `[notify.reminders]` settings (README "Reminders").
#[derive(Debug, Clone, PartialEq)]
pub struct Reminders {
    pub enabled: bool,
    /// Days before a series' due date to remind its data entry (e.g. `[3]`).
    pub series_before_days: Vec<u16>,
    /// Days after a series' due date, while it is still not entered (e.g. `[1, 3]`).
    pub series_after_days: Vec<u16>,
    /// Days before an open task's deadline to remind its responsible person (e.g. `[3]`)...
    pub task_due_days: Vec<u16>,
    /// ...when its progress is below this percent.
    pub task_progress_below: f64,
    /// Days a submission has waited on its acceptor (e.g. `[2]`).
    pub acceptance_days: Vec<u16>,
}

impl Default for Reminders {
    fn default() -> Self {
        Reminders {
            enabled: true,
            series_before_days: vec![3],
            series_after_days: vec![1, 3],
            task_due_days: vec![3],
            task_progress_below: 50.0,
            acceptance_days: vec![2],
        }
    }
}

impl Reminders {
    /// Each list's days between 1 and 90, the progress between 1 and 100.
    pub fn validate(&self) -> Result<(), super::Invalid> {
        for (field, days) in [
            ("series_before_days", &self.series_before_days),
            ("series_after_days", &self.series_after_days),
            ("task_due_days", &self.task_due_days),
            ("acceptance_days", &self.acceptance_days),
        ] {
            if days.iter().any(|d| !(1..=90).contains(d)) {
                return Err(super::Invalid::new(
                    format!("notify.reminders.{field}"),
                    "days are between 1 and 90",
                ));
            }
        }
        if !(1.0..=100.0).contains(&self.task_progress_below) {
            return Err(super::Invalid::new(
                "notify.reminders.task_progress_below",
                "a percent between 1 and 100",
            ));
        }
        Ok(())
    }
}

/// A day as people read it: 25/11/2026.
fn day_words(t: Ts) -> String {
    vn_date(t).format("%d/%m/%Y").to_string()
}

/// The latest of `steps` (name, time) reached at `now`.
fn latest(steps: impl IntoIterator<Item = (String, Ts)>, now: Ts) -> Option<(String, Ts)> {
    steps
        .into_iter()
        .filter(|(_, at)| *at <= now)
        .max_by_key(|(_, at)| *at)
}

fn item(
    rollup: &Rollup,
    unit: &str,
    subject: String,
    kind: &str,
    at: Ts,
    text: crate::i18n::Msg,
) -> Item {
    use crate::i18n::Lang;
    Item {
        kind: "reminder".into(),
        severity: "info".into(),
        unit: unit.to_string(),
        unit_name: rollup
            .unit(unit)
            .map_or_else(|| unit.to_string(), |u| u.name),
        rule: None,
        subject: Some(subject),
        subject_kind: Some(kind.into()),
        value: None,
        threshold: None,
        started_at: None,
        at,
        summary_vi: text.render(Lang::Vi),
        summary_en: text.render(Lang::En),
        role: None,
    }
}

/// The notices due at `now`: one per (cause, person, step); the store drops any it holds.
pub fn due(rollup: &Rollup, cfg: &Reminders, now: Ts) -> Vec<NoticeRow> {
    let mut out = Vec::new();
    if !cfg.enabled {
        return out;
    }
    series(rollup, cfg, now, &mut out);
    tasks(rollup, cfg, now, &mut out);
    out
}

fn series(rollup: &Rollup, cfg: &Reminders, now: Ts, out: &mut Vec<NoticeRow>) {
    if cfg.series_before_days.is_empty() && cfg.series_after_days.is_empty() {
        return;
    }
    for k in rollup.kpis() {
        if k.expression.is_some() {
            continue;
        }
        for unit in k.series_units() {
            let last = rollup.latest_observation(&k.code, &unit);
            // The current period and the one before (still in its grace, or late).
            for back in 0..2 {
                let Ok(p) = Period::parse(&period_label(k.frequency, now, back)) else {
                    continue;
                };
                if last.as_ref().is_some_and(|o| o.period.start >= p.start)
                    || matches!(rollup.cycle_state(&p), Some((PeriodState::Closed, _)))
                {
                    continue;
                }
                let due = entry_due(&p, k.frequency);
                let due_day = day_start(vn_date(due));
                let steps = cfg
                    .series_before_days
                    .iter()
                    .map(|d| (format!("before{d}"), due_day - i64::from(*d) * DAY))
                    .filter(|(_, at)| *at >= p.start)
                    .chain(
                        cfg.series_after_days
                            .iter()
                            .map(|d| (format!("after{d}"), due_day + i64::from(*d) * DAY)),
                    );
                let Some((step, _)) = latest(steps, now) else {
                    continue;
                };
                // Who enters it: whoever entered the last value, else the leading unit's leader.
                let Some(person) = last
                    .as_ref()
                    .and_then(|o| o.entered_by.clone())
                    .or_else(|| rollup.unit(&k.leading_unit).and_then(|u| u.leader))
                else {
                    continue;
                };
                let unit_name = rollup
                    .unit(&unit)
                    .map_or_else(|| unit.to_string(), |u| u.name);
                let text = if now <= due {
                    msg!(
                        "reminder_series_due",
                        kpi = k.name.as_str(),
                        unit = unit_name,
                        period = p.label(),
                        due = day_words(due)
                    )
                } else {
                    msg!(
                        "reminder_series_late",
                        kpi = k.name.as_str(),
                        unit = unit_name,
                        period = p.label(),
                        due = day_words(due),
                        days = (now - due) / DAY + 1
                    )
                };
                enqueue(
                    out,
                    Notice {
                        person: person.to_string(),
                        source: format!("reminder:series:{}@{}:{}:{step}", k.code, unit, p.label()),
                        item: item(
                            rollup,
                            &unit,
                            format!("{}@{}", k.code, unit),
                            "series",
                            now,
                            text,
                        ),
                    },
                );
            }
        }
    }
}

fn tasks(rollup: &Rollup, cfg: &Reminders, now: Ts, out: &mut Vec<NoticeRow>) {
    let below = (cfg.task_progress_below * PROGRESS_FULL as f64 / 100.0).round() as i64;
    let ahead = cfg
        .task_due_days
        .iter()
        .max()
        .map_or(0, |d| i64::from(*d) + 1)
        * DAY;
    let waited = cfg
        .acceptance_days
        .iter()
        .min()
        .map(|d| i64::from(*d) * DAY);
    let wanted = |t: &crate::rollup::TaskFacts| {
        (t.status.can_be_overdue()
            && t.progress < below
            && t.deadline >= now
            && t.deadline - ahead <= now)
            || (t.status == TaskStatus::Submitted
                && waited.is_some_and(|w| t.submitted_at.is_some_and(|s| s + w <= now)))
    };
    for t in rollup.tasks_where(wanted) {
        if t.status == TaskStatus::Submitted {
            let Some(s) = t.submitted_at else { continue };
            let steps = cfg
                .acceptance_days
                .iter()
                .map(|d| (format!("wait{d}"), s + i64::from(*d) * DAY));
            let Some((step, _)) = latest(steps, now) else {
                continue;
            };
            let acceptor = t
                .accountable
                .clone()
                .or_else(|| rollup.unit(&t.unit).and_then(|u| u.leader));
            let Some(person) = acceptor else { continue };
            let by = rollup
                .person(&t.responsible)
                .map_or_else(|| t.responsible.to_string(), |p| p.name);
            let text = msg!(
                "reminder_acceptance",
                task = t.title.as_str(),
                person = by,
                days = (now - s) / DAY,
                at = day_words(s)
            );
            enqueue(
                out,
                Notice {
                    person: person.to_string(),
                    source: format!("reminder:accept:{}:{s}:{step}", t.id),
                    item: item(rollup, &t.unit, t.id.to_string(), "task", now, text),
                },
            );
        } else {
            let due_day = day_start(vn_date(t.deadline));
            let steps = cfg
                .task_due_days
                .iter()
                .map(|d| (format!("due{d}"), due_day - i64::from(*d) * DAY));
            let Some((step, _)) = latest(steps, now) else {
                continue;
            };
            let text = msg!(
                "reminder_task_due",
                task = t.title.as_str(),
                due = day_words(t.deadline),
                progress = t.progress / 100
            );
            enqueue(
                out,
                Notice {
                    person: t.responsible.to_string(),
                    source: format!("reminder:task:{}:{}:{step}", t.id, t.deadline),
                    item: item(rollup, &t.unit, t.id.to_string(), "task", now, text),
                },
            );
        }
    }
}

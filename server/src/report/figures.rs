//! A unit's figures as of a past instant `T`, rebuilt from what is kept. The store keeps every
//! KPI value and every key-result check-in with its time, but a task only as it stands now
//! (its progress history is not kept), so tasks are rebuilt from their dates:
//!
//! - a task existed at `T` if it has no start or `start <= T`;
//! - it was cancelled at `T` if it is cancelled now and its status was set at or before `T`
//!   (before that it counts as open work);
//! - it was done at `T` if it is accepted now and `done_at <= T`; done on time if
//!   `done_at <= deadline` (the live rule: submission time, else acceptance time);
//! - it was handed in (waiting on its acceptor, open but never overdue) if it was submitted at
//!   or before `T` and is submitted now, or was returned only after `T`;
//! - otherwise it was open, and overdue if `deadline < T`.
//!
//! At `T` = the clock this gives the live board's figures exactly. What cannot be rebuilt: a
//! task returned and resubmitted counts as waiting since its last submission, and its progress
//! at `T` is not known (so the review reports no progress of tasks).
//!
//! A KPI series at `T`: among its values entered at or before `T` (`at <= T`), the one of the
//! newest period, with the status its KPI's thresholds and staleness give at `T`. A key result
//! at `T`: its newest check-in at or before `T`; without one, its value now if it was never
//! checked in (set by the catalog), else its start value.

use crate::domain::{KeyResult, Kpi, KpiStatus, Observation, TaskStatus, Ts};
use crate::rollup::history::TaskDates;

/// What a task was at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskAt {
    NotYet,
    Cancelled,
    Done {
        on_time: bool,
    },
    /// Submitted, waiting on the acceptor: open, never overdue.
    HandedIn,
    Open {
        overdue: bool,
    },
}

pub fn task_at(t: &TaskDates, at: Ts) -> TaskAt {
    if t.start.is_some_and(|s| s > at) {
        return TaskAt::NotYet;
    }
    let submitted_by = |at: Ts| t.submitted_at.is_some_and(|s| s <= at);
    match t.status {
        TaskStatus::Cancelled if t.status_at <= at => return TaskAt::Cancelled,
        TaskStatus::Accepted => {
            // An accepted task without a done time counts as late, as on the live board.
            let done = t.done_at.unwrap_or(t.status_at);
            if done <= at {
                return TaskAt::Done {
                    on_time: t.done_at.is_some_and(|d| d <= t.deadline),
                };
            }
            if submitted_by(at) {
                return TaskAt::HandedIn;
            }
        }
        TaskStatus::Submitted if t.submitted_at.unwrap_or(t.status_at) <= at => {
            return TaskAt::HandedIn
        }
        TaskStatus::Returned if submitted_by(at) && t.status_at > at => return TaskAt::HandedIn,
        _ => {}
    }
    TaskAt::Open {
        overdue: t.deadline < at,
    }
}

/// Task counts at one instant, summed over units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskTally {
    pub total: i64,
    /// Not done and not cancelled (handed-in work included).
    pub open: i64,
    /// Open work that can be overdue (not handed in).
    pub can_be_overdue: i64,
    pub overdue: i64,
    pub done_on_time: i64,
    pub done_late: i64,
}

impl TaskTally {
    pub fn count(&mut self, s: TaskAt) {
        match s {
            TaskAt::NotYet => return,
            TaskAt::Cancelled => {}
            TaskAt::Done { on_time: true } => self.done_on_time += 1,
            TaskAt::Done { on_time: false } => self.done_late += 1,
            TaskAt::HandedIn => self.open += 1,
            TaskAt::Open { overdue } => {
                self.open += 1;
                self.can_be_overdue += 1;
                self.overdue += i64::from(overdue);
            }
        }
        self.total += 1;
    }

    pub fn add(&mut self, o: &TaskTally) {
        self.total += o.total;
        self.open += o.open;
        self.can_be_overdue += o.can_be_overdue;
        self.overdue += o.overdue;
        self.done_on_time += o.done_on_time;
        self.done_late += o.done_late;
    }

    pub fn overdue_ratio(&self) -> Option<f64> {
        (self.can_be_overdue > 0).then(|| self.overdue as f64 / self.can_be_overdue as f64)
    }

    pub fn on_time_rate(&self) -> Option<f64> {
        let done = self.done_on_time + self.done_late;
        (done > 0).then(|| self.done_on_time as f64 / done as f64)
    }
}

/// The value a series showed at `at`: of its observations (any order) entered by then, the
/// newest period's (the newest entry of it on a tie).
pub fn series_value_at<'a>(observations: &[&'a Observation], at: Ts) -> Option<&'a Observation> {
    observations
        .iter()
        .filter(|o| o.at <= at)
        .max_by_key(|o| (o.period.start, o.at))
        .copied()
}

/// The status of a series at `at`, stale values counting as no data.
pub fn series_status_at(kpi: &Kpi, value: Option<&Observation>, at: Ts) -> KpiStatus {
    kpi.status_at(value, at)
}

/// One check-in of a key result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Checkin {
    pub at: Ts,
    pub value: f64,
    pub confidence: Option<u8>,
}

/// A key result's value and confidence at `at`, from its check-ins oldest first (rule above).
pub fn key_result_at(kr: &KeyResult, checkins: &[Checkin], at: Ts) -> (f64, Option<u8>) {
    match checkins.iter().rev().find(|c| c.at <= at) {
        Some(c) => (c.value, c.confidence),
        None if checkins.is_empty() => (kr.current, kr.confidence),
        None => (kr.start, None),
    }
}

/// Progress 0..1 of a key result standing at `value`.
pub fn key_result_progress(kr: &KeyResult, value: f64) -> f64 {
    let at = KeyResult {
        current: value,
        ..kr.clone()
    };
    at.progress_ppm() as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{KrDirection, Period};

    const H: Ts = 3_600_000;

    fn task(status: TaskStatus) -> TaskDates {
        TaskDates {
            unit: "u".into(),
            start: Some(10 * H),
            deadline: 100 * H,
            status,
            status_at: 0,
            submitted_at: None,
            done_at: None,
        }
    }

    #[test]
    fn a_task_is_open_then_overdue_once_its_deadline_passes() {
        let t = task(TaskStatus::InProgress);
        assert_eq!(task_at(&t, 5 * H), TaskAt::NotYet);
        assert_eq!(task_at(&t, 100 * H), TaskAt::Open { overdue: false });
        assert_eq!(task_at(&t, 100 * H + 1), TaskAt::Open { overdue: true });
    }

    #[test]
    fn accepted_work_was_open_until_it_was_done() {
        let t = TaskDates {
            status_at: 130 * H,
            submitted_at: Some(120 * H),
            done_at: Some(120 * H),
            ..task(TaskStatus::Accepted)
        };
        assert_eq!(task_at(&t, 110 * H), TaskAt::Open { overdue: true });
        assert_eq!(task_at(&t, 125 * H), TaskAt::Done { on_time: false });
        let early = TaskDates {
            done_at: Some(90 * H),
            submitted_at: Some(90 * H),
            ..t
        };
        assert_eq!(task_at(&early, 95 * H), TaskAt::Done { on_time: true });
    }

    #[test]
    fn cancelled_and_handed_in_work_is_never_overdue_from_then_on() {
        let c = TaskDates {
            status_at: 150 * H,
            ..task(TaskStatus::Cancelled)
        };
        assert_eq!(task_at(&c, 140 * H), TaskAt::Open { overdue: true });
        assert_eq!(task_at(&c, 150 * H), TaskAt::Cancelled);
        let s = TaskDates {
            status_at: 120 * H,
            submitted_at: Some(120 * H),
            ..task(TaskStatus::Submitted)
        };
        assert_eq!(task_at(&s, 119 * H), TaskAt::Open { overdue: true });
        assert_eq!(task_at(&s, 121 * H), TaskAt::HandedIn);
        let r = TaskDates {
            status_at: 140 * H,
            submitted_at: Some(120 * H),
            ..task(TaskStatus::Returned)
        };
        assert_eq!(task_at(&r, 130 * H), TaskAt::HandedIn);
        assert_eq!(task_at(&r, 141 * H), TaskAt::Open { overdue: true });
    }

    #[test]
    fn tallies_give_the_live_ratios() {
        let mut t = TaskTally::default();
        for s in [
            TaskAt::NotYet,
            TaskAt::Open { overdue: true },
            TaskAt::Open { overdue: false },
            TaskAt::HandedIn,
            TaskAt::Done { on_time: true },
            TaskAt::Cancelled,
        ] {
            t.count(s);
        }
        assert_eq!((t.total, t.open, t.can_be_overdue, t.overdue), (5, 3, 2, 1));
        assert_eq!(t.overdue_ratio(), Some(0.5));
        assert_eq!(t.on_time_rate(), Some(1.0));
    }

    fn obs(period: &str, at: Ts, value: f64) -> Observation {
        Observation {
            kpi: "K".into(),
            unit: "u".into(),
            period: Period::parse(period).unwrap(),
            value,
            source: String::new(),
            entered_by: None,
            at,
        }
    }

    #[test]
    fn a_series_shows_its_newest_period_entered_by_then() {
        let oct = obs("2026-10", 100 * H, 1.0);
        let nov = obs("2026-11", 200 * H, 2.0);
        // A late value for October entered after November's does not replace November's.
        let late_oct = obs("2026-10", 300 * H, 3.0);
        let all = [&oct, &nov, &late_oct];
        assert_eq!(series_value_at(&all, 50 * H), None);
        assert_eq!(series_value_at(&all, 150 * H).map(|o| o.value), Some(1.0));
        assert_eq!(series_value_at(&all, 400 * H).map(|o| o.value), Some(2.0));
    }

    #[test]
    fn a_key_result_stands_at_its_last_check_in() {
        let kr = KeyResult {
            id: "kr".into(),
            objective: "o".into(),
            title: String::new(),
            start: 40.0,
            target: 80.0,
            current: 60.0,
            unit_of_measure: "%".into(),
            direction: KrDirection::Increase,
            weight: 1.0,
            confidence: Some(7),
            current_at: 200 * H,
        };
        let c = [
            Checkin {
                at: 100 * H,
                value: 50.0,
                confidence: Some(5),
            },
            Checkin {
                at: 200 * H,
                value: 60.0,
                confidence: Some(7),
            },
        ];
        assert_eq!(key_result_at(&kr, &c, 50 * H), (40.0, None));
        assert_eq!(key_result_at(&kr, &c, 150 * H), (50.0, Some(5)));
        assert_eq!(key_result_at(&kr, &c, 250 * H), (60.0, Some(7)));
        assert_eq!(key_result_at(&kr, &[], 0), (60.0, Some(7)));
        assert_eq!(key_result_progress(&kr, 50.0), 0.25);
    }
}

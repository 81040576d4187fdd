//! Reads of the rollup for history: a subtree's units and the dates of its tasks as they stand,
//! from which the review (`report/`) rebuilds a past day's figures. Copies out small values
//! under the locks and computes nothing, so the tree lock and the task shards are held for a
//! scan, never across an `.await`.

use super::Rollup;
use crate::domain::{Id, TaskStatus, Ts, Unit};
use std::collections::HashSet;

/// What the review needs of one task to tell its state at a past time.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDates {
    pub unit: Id,
    pub start: Option<Ts>,
    pub deadline: Ts,
    /// Its status now.
    pub status: TaskStatus,
    /// The time of the event that set its status now (the status group's version).
    pub status_at: Ts,
    pub submitted_at: Option<Ts>,
    pub done_at: Option<Ts>,
}

impl Rollup {
    /// `id` and every unit below it, each before its children; empty for an unknown unit.
    pub fn subtree_units(&self, id: &str) -> Vec<Unit> {
        let st = self.read();
        st.subtree(id)
            .iter()
            .filter_map(|u| st.units.get(u).map(|n| n.unit.clone()))
            .collect()
    }

    /// The dates of every task owned by one of `units`. One pass over the task map: a city
    /// holds most tasks anyway, and a ward's scan costs milliseconds.
    pub fn task_dates_of(&self, units: &HashSet<Id>) -> Vec<TaskDates> {
        let mut out = Vec::new();
        self.tasks.each(|t, names| {
            let unit = t.unit(names);
            if units.contains(unit) {
                out.push(TaskDates {
                    unit: unit.clone(),
                    start: t.start(),
                    deadline: t.deadline,
                    status: t.status,
                    status_at: t.versions.status,
                    submitted_at: t.submitted_at(),
                    done_at: t.done_at(),
                });
            }
        });
        out
    }
}

//! An official's own work: the tasks that name a person (responsible, accountable, consulted,
//! informed), each with the roles it gives them and what it needs from them, ordered so the
//! most pressing comes first: returned, overdue, due soon, the rest open, waiting on the
//! acceptor, then done.

use super::Rollup;
use crate::domain::{Task, TaskStatus, Ts};
use serde::Serialize;
use utoipa::ToSchema;

/// A deadline this near (7 days) makes an open task "due soon".
pub const DUE_SOON_MS: Ts = 7 * 24 * 3600 * 1000;

/// Done tasks shown after the open ones (the newest).
const DONE_SHOWN: usize = 20;

/// What a task needs from the people it names, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Sent back by the acceptor: to be redone and submitted again.
    Returned,
    /// Past its deadline and not submitted.
    Overdue,
    /// Deadline within 7 days, not submitted.
    DueSoon,
    /// Open, deadline further away.
    Open,
    /// Submitted: waiting on the acceptor.
    Waiting,
    /// Accepted or cancelled.
    Done,
}

impl Need {
    pub fn of(t: &Task, now: Ts) -> Need {
        match t.status {
            TaskStatus::Returned => Need::Returned,
            TaskStatus::Submitted => Need::Waiting,
            TaskStatus::Accepted | TaskStatus::Cancelled => Need::Done,
            TaskStatus::Todo | TaskStatus::InProgress if t.deadline < now => Need::Overdue,
            TaskStatus::Todo | TaskStatus::InProgress if t.deadline < now + DUE_SOON_MS => {
                Need::DueSoon
            }
            TaskStatus::Todo | TaskStatus::InProgress => Need::Open,
        }
    }
}

/// The roles a task gives a person, in RACI order (`R`, `A`, `C`, `I`).
pub fn roles(t: &Task, person: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if &*t.responsible == person {
        out.push("R");
    }
    if t.accountable.as_deref() == Some(person) {
        out.push("A");
    }
    if t.consulted.iter().any(|p| &**p == person) {
        out.push("C");
    }
    if t.informed.iter().any(|p| &**p == person) {
        out.push("I");
    }
    out
}

impl Rollup {
    /// The tasks naming `person`, most pressing first: by need, then the nearest deadline (done
    /// ones newest first, only the last few). A scan of every task, as a person's page is
    /// opened, not on every tick.
    pub fn work_of(&self, person: &str) -> Vec<(Task, Need)> {
        let now = self.now();
        let mut tasks: Vec<(Task, Need)> = self
            .tasks_matching(|t| !roles(t, person).is_empty())
            .into_iter()
            .map(|t| {
                let need = Need::of(&t, now);
                (t, need)
            })
            .collect();
        tasks.sort_by(|(a, na), (b, nb)| {
            na.cmp(nb)
                .then_with(|| match na {
                    Need::Done => b.done_at.cmp(&a.done_at).then(b.deadline.cmp(&a.deadline)),
                    Need::Waiting => a.submitted_at.cmp(&b.submitted_at),
                    _ => a.deadline.cmp(&b.deadline),
                })
                .then_with(|| a.id.cmp(&b.id))
        });
        let open = tasks.iter().filter(|(_, n)| *n != Need::Done).count();
        tasks.truncate(open + DONE_SHOWN);
        tasks
    }

    /// Submitted tasks, oldest submission first: what waits on acceptors. (The caller filters
    /// them by who may accept, outside the scan: that asks the rollup again.)
    pub fn submitted_tasks(&self) -> Vec<Task> {
        let mut out = self.tasks_where(|t| t.status == TaskStatus::Submitted);
        out.sort_by(|a, b| {
            a.submitted_at
                .cmp(&b.submitted_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(status: TaskStatus, deadline: Ts) -> Task {
        Task {
            id: "t".into(),
            title: "t".into(),
            unit: "u".into(),
            responsible: "an".into(),
            accountable: Some("binh".into()),
            consulted: vec!["chi".into()],
            informed: vec!["an".into()],
            key_result: None,
            start: None,
            deadline,
            expected_output: String::new(),
            progress: 0,
            status,
            quality: None,
            submitted_at: None,
            returned_at: None,
            done_at: None,
            versions: Default::default(),
        }
    }

    #[test]
    fn needs_order_returned_overdue_soon_open_waiting_done() {
        let now = 1_000_000_000;
        let day = 24 * 3600 * 1000;
        let needs = [
            Need::of(&task(TaskStatus::Returned, now + 30 * day), now),
            Need::of(&task(TaskStatus::InProgress, now - 1), now),
            Need::of(&task(TaskStatus::Todo, now + day), now),
            Need::of(&task(TaskStatus::Todo, now + 30 * day), now),
            Need::of(&task(TaskStatus::Submitted, now - day), now),
            Need::of(&task(TaskStatus::Accepted, now - day), now),
        ];
        assert_eq!(
            needs,
            [
                Need::Returned,
                Need::Overdue,
                Need::DueSoon,
                Need::Open,
                Need::Waiting,
                Need::Done
            ]
        );
        let mut sorted = needs;
        sorted.sort();
        assert_eq!(sorted, needs);
    }

    #[test]
    fn roles_follow_raci_order() {
        let t = task(TaskStatus::Todo, 0);
        assert_eq!(roles(&t, "an"), ["R", "I"]);
        assert_eq!(roles(&t, "binh"), ["A"]);
        assert_eq!(roles(&t, "chi"), ["C"]);
        assert!(roles(&t, "dung").is_empty());
    }
}

//! The form a task takes in the rollup's cache: the domain `Task` packed into 128 bytes (less
//! than half its size), since a city keeps a million of them in memory. Readers get a `Task`
//! back.

use super::tasks::Names;
use crate::domain::aggregate::TaskAgg;
use crate::domain::{Id, Task, TaskStatus, TaskVersions, Ts};

/// The optional dates are kept as plain times, `NONE` standing for "not set": no accepted date
/// is that early (it is hundreds of millions of years before our era).
const NONE: Ts = Ts::MIN;

/// A key result that is not set.
const NO_NAME: u32 = u32::MAX;

/// Unit, people and key result are numbers into the task table's `Names`; what most tasks leave
/// unset sits apart in `rare`, one pointer when none of it is set.
#[derive(Debug, Clone)]
pub(crate) struct CachedTask {
    pub id: Id,
    title: Box<str>,
    rare: Option<Box<Rare>>,
    unit: u32,
    responsible: u32,
    key_result: u32,
    pub deadline: Ts,
    start: Ts,
    submitted_at: Ts,
    done_at: Ts,
    pub progress: i64,
    pub versions: TaskVersions,
    pub status: TaskStatus,
    /// Whether the task counted as overdue when it was last added to its unit chain and its
    /// person: with the task that is all of what it added, subtracted on its next change.
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Rare {
    /// The accountable person (first, when `accountable`), then the consulted, then the
    /// informed: one allocation for the three lists.
    raci: Box<[u32]>,
    consulted: u32,
    accountable: bool,
    expected_output: Box<str>,
    returned_at: Option<Ts>,
    quality: Option<f64>,
}

fn pack(t: Option<Ts>) -> Ts {
    t.unwrap_or(NONE)
}

fn unpack(t: Ts) -> Option<Ts> {
    (t != NONE).then_some(t)
}

impl CachedTask {
    /// Numbers the ids the task names in `names` (new ones are added).
    pub fn new(task: Task, overdue: bool, names: &Names) -> CachedTask {
        let accountable = task.accountable.is_some();
        let rare = (accountable
            || !task.consulted.is_empty()
            || !task.informed.is_empty()
            || !task.expected_output.is_empty()
            || task.returned_at.is_some()
            || task.quality.is_some())
        .then(|| {
            let raci = task
                .accountable
                .iter()
                .chain(&task.consulted)
                .chain(&task.informed)
                .map(|p| names.number(p))
                .collect();
            Box::new(Rare {
                raci,
                consulted: task.consulted.len() as u32,
                accountable,
                expected_output: task.expected_output.into_boxed_str(),
                returned_at: task.returned_at,
                quality: task.quality,
            })
        });
        CachedTask {
            unit: names.number(&task.unit),
            responsible: names.number(&task.responsible),
            key_result: task
                .key_result
                .as_ref()
                .map_or(NO_NAME, |k| names.number(k)),
            id: task.id,
            title: task.title.into_boxed_str(),
            rare,
            deadline: task.deadline,
            start: pack(task.start),
            submitted_at: pack(task.submitted_at),
            done_at: pack(task.done_at),
            progress: task.progress,
            versions: task.versions,
            status: task.status,
            overdue,
        }
    }

    pub fn unit<'a>(&self, names: &'a [Id]) -> &'a Id {
        &names[self.unit as usize]
    }

    pub fn responsible<'a>(&self, names: &'a [Id]) -> &'a Id {
        &names[self.responsible as usize]
    }

    pub fn start(&self) -> Option<Ts> {
        unpack(self.start)
    }

    pub fn submitted_at(&self) -> Option<Ts> {
        unpack(self.submitted_at)
    }

    pub fn done_at(&self) -> Option<Ts> {
        unpack(self.done_at)
    }

    pub fn is_overdue(&self, now: Ts) -> bool {
        self.status.can_be_overdue() && self.deadline < now
    }

    /// What the task added to its unit chain and its person (`TaskAgg::of` when it was added),
    /// read from the packed fields: an update subtracts it without unpacking the task.
    pub fn contribution(&self) -> TaskAgg {
        TaskAgg::of_parts(
            self.status,
            self.progress,
            self.deadline,
            self.done_at(),
            self.overdue,
        )
    }

    /// The task as the rest of the server knows it.
    pub fn task(&self, names: &[Id]) -> Task {
        let name = |n: &u32| names[*n as usize].clone();
        let (accountable, consulted, informed) = match &self.rare {
            Some(r) => {
                let people = &r.raci[usize::from(r.accountable)..];
                let (consulted, informed) = people.split_at(r.consulted as usize);
                (
                    r.accountable.then(|| name(&r.raci[0])),
                    consulted.iter().map(name).collect(),
                    informed.iter().map(name).collect(),
                )
            }
            None => (None, Vec::new(), Vec::new()),
        };
        let rare = self.rare.as_deref();
        Task {
            id: self.id.clone(),
            title: self.title.to_string(),
            unit: name(&self.unit),
            responsible: name(&self.responsible),
            accountable,
            consulted,
            informed,
            key_result: (self.key_result != NO_NAME).then(|| name(&self.key_result)),
            start: self.start(),
            deadline: self.deadline,
            expected_output: rare.map_or_else(String::new, |r| r.expected_output.to_string()),
            progress: self.progress,
            status: self.status,
            quality: rare.and_then(|r| r.quality),
            submitted_at: self.submitted_at(),
            returned_at: rare.and_then(|r| r.returned_at),
            done_at: self.done_at(),
            versions: self.versions,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A bare task: no RACI, no dates but the deadline (the task table's tests use it too).
    pub(in crate::rollup) fn task() -> Task {
        Task {
            id: "T1".into(),
            title: "Rà soát hồ sơ".into(),
            unit: "W1".into(),
            responsible: "P1".into(),
            accountable: None,
            consulted: vec![],
            informed: vec![],
            key_result: None,
            start: None,
            deadline: 1_700_000_000_000,
            expected_output: String::new(),
            progress: 0,
            status: TaskStatus::Todo,
            quality: None,
            submitted_at: None,
            returned_at: None,
            done_at: None,
            versions: TaskVersions::default(),
        }
    }

    #[test]
    fn a_cached_task_gives_back_the_task_it_was_made_from() {
        let bare = task();
        let full = Task {
            accountable: Some("P2".into()),
            consulted: vec!["P3".into(), "P4".into()],
            informed: vec!["P5".into()],
            key_result: Some("KR1".into()),
            start: Some(0),
            expected_output: "Báo cáo".into(),
            progress: 4250,
            status: TaskStatus::Accepted,
            quality: Some(87.5),
            submitted_at: Some(-5),
            returned_at: Some(1),
            done_at: Some(2),
            versions: TaskVersions {
                plan: 1,
                assignment: 2,
                progress: 3,
                status: 4,
            },
            ..task()
        };
        let no_accountable = Task {
            accountable: None,
            ..full.clone()
        };
        let only_informed = Task {
            informed: vec!["P5".into(), "P6".into()],
            quality: Some(0.0),
            ..bare.clone()
        };
        let names = Names::default();
        let key_result_only = Task {
            key_result: Some("KR1".into()),
            start: Some(3),
            ..bare.clone()
        };
        for t in [bare, full, no_accountable, only_informed, key_result_only] {
            let cached = CachedTask::new(t.clone(), true, &names);
            assert_eq!(cached.task(&names.read()), t);
            assert!(cached.overdue);
        }
    }

    #[test]
    fn a_cached_task_adds_what_the_task_adds() {
        for status in TaskStatus::ALL {
            for done_at in [None, Some(0), Some(2_000_000_000_000)] {
                for overdue in [false, true] {
                    let t = Task {
                        status,
                        done_at,
                        progress: 3300,
                        ..task()
                    };
                    let now = if overdue { Ts::MAX } else { Ts::MIN };
                    let mut expected = TaskAgg::of(&t, now);
                    expected.overdue = i64::from(overdue);
                    let cached = CachedTask::new(t, overdue, &Names::default());
                    assert_eq!(cached.contribution(), expected);
                }
            }
        }
    }

    #[test]
    fn a_cached_task_is_smaller_than_the_task() {
        // 128 is an allocator size class: one byte more and each task costs the next (160).
        assert!(std::mem::size_of::<CachedTask>() <= 128);
        assert!(std::mem::size_of::<CachedTask>() < std::mem::size_of::<Task>() * 3 / 4);
    }
}

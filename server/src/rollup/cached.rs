//! The form a task takes in the rollup's cache: the domain `Task` packed (about two thirds of
//! its size), since a city keeps a million of them in memory. Readers get a `Task` back.

use crate::domain::aggregate::TaskAgg;
use crate::domain::{Id, Task, TaskStatus, TaskVersions, Ts};

/// The optional dates are kept as plain times, `NONE` standing for "not set": no accepted date
/// is that early (it is hundreds of millions of years before our era).
const NONE: Ts = Ts::MIN;

/// A quality that is not set: a NaN bit pattern no accepted quality (0-100) can have.
const NO_QUALITY: u64 = 0x7ff8_dead_beef_0001;

#[derive(Debug, Clone)]
pub(crate) struct CachedTask {
    pub id: Id,
    pub unit: Id,
    pub responsible: Id,
    pub key_result: Option<Id>,
    /// The accountable person (first, when `accountable`), then the consulted, then the
    /// informed: one allocation for the three lists, none when all are empty.
    raci: Box<[Id]>,
    title: Box<str>,
    expected_output: Box<str>,
    pub deadline: Ts,
    start: Ts,
    submitted_at: Ts,
    returned_at: Ts,
    done_at: Ts,
    pub progress: i64,
    quality: u64,
    pub versions: TaskVersions,
    consulted: u32,
    pub status: TaskStatus,
    accountable: bool,
    /// Whether the task counted as overdue when it was last added to its unit chain and its
    /// person: with the task that is all of what it added, subtracted on its next change.
    pub overdue: bool,
}

fn pack(t: Option<Ts>) -> Ts {
    t.unwrap_or(NONE)
}

fn unpack(t: Ts) -> Option<Ts> {
    (t != NONE).then_some(t)
}

impl CachedTask {
    pub fn new(task: Task, overdue: bool) -> CachedTask {
        let consulted = task.consulted.len() as u32;
        let accountable = task.accountable.is_some();
        let mut raci = Vec::with_capacity(
            usize::from(accountable) + task.consulted.len() + task.informed.len(),
        );
        raci.extend(task.accountable);
        raci.extend(task.consulted);
        raci.extend(task.informed);
        CachedTask {
            id: task.id,
            unit: task.unit,
            responsible: task.responsible,
            key_result: task.key_result,
            raci: raci.into_boxed_slice(),
            title: task.title.into_boxed_str(),
            expected_output: task.expected_output.into_boxed_str(),
            deadline: task.deadline,
            start: pack(task.start),
            submitted_at: pack(task.submitted_at),
            returned_at: pack(task.returned_at),
            done_at: pack(task.done_at),
            progress: task.progress,
            quality: task.quality.map_or(NO_QUALITY, f64::to_bits),
            versions: task.versions,
            consulted,
            status: task.status,
            accountable,
            overdue,
        }
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
    pub fn task(&self) -> Task {
        let people = &self.raci[usize::from(self.accountable)..];
        let (consulted, informed) = people.split_at(self.consulted as usize);
        Task {
            id: self.id.clone(),
            title: self.title.to_string(),
            unit: self.unit.clone(),
            responsible: self.responsible.clone(),
            accountable: self.accountable.then(|| self.raci[0].clone()),
            consulted: consulted.to_vec(),
            informed: informed.to_vec(),
            key_result: self.key_result.clone(),
            start: self.start(),
            deadline: self.deadline,
            expected_output: self.expected_output.to_string(),
            progress: self.progress,
            status: self.status,
            quality: (self.quality != NO_QUALITY).then(|| f64::from_bits(self.quality)),
            submitted_at: self.submitted_at(),
            returned_at: unpack(self.returned_at),
            done_at: self.done_at(),
            versions: self.versions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> Task {
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
        for t in [bare, full, no_accountable, only_informed] {
            let cached = CachedTask::new(t.clone(), true);
            assert_eq!(cached.task(), t);
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
                    assert_eq!(CachedTask::new(t, overdue).contribution(), expected);
                }
            }
        }
    }

    #[test]
    fn a_cached_task_is_smaller_than_the_task() {
        assert!(std::mem::size_of::<CachedTask>() <= 216);
        assert!(std::mem::size_of::<CachedTask>() < std::mem::size_of::<Task>() * 3 / 4);
    }
}

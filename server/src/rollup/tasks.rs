//! The rollup's task table: every task packed (`cached.rs`) in the shards of a hash table keyed
//! by the id each task carries, and the names (numbered ids) of the units, people and key
//! results the packed tasks refer to.
//!
//! Why not a `DashMap<Id, Box<CachedTask>>` as before: a map keeps the key beside the value
//! (16 bytes of `Arc<str>` per bucket, and a table keeps up to twice the room of its entries),
//! while the task already carries its id; a table of the boxes alone costs 8 bytes per bucket.
//! A city keeps a million tasks, so that is tens of megabytes (`ioc bench`, memory per task).
//!
//! Locks: a reader takes the names, then one shard, both for reading; the writer numbers new
//! names (taking the names for writing) before it takes a shard, never while it holds one, and
//! no closure given to `each` or `get` reads the table or the rollup's tree again: the writer
//! holds the tree's lock while it numbers names, so a closure waiting on the tree under the
//! names' read lock would wait for ever.

use super::cached::CachedTask;
use super::{FastHash, FastMap};
use crate::domain::Id;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::{Mutex, RwLock, RwLockReadGuard};

/// Shards, so a reader of one task waits only on a write to tasks of the same shard.
const SHARDS: usize = 16;
const SHARD_BITS: u32 = SHARDS.trailing_zeros();

pub(crate) struct TaskTable {
    shards: Box<[RwLock<HashTable<Box<CachedTask>>>]>,
    hasher: FastHash,
    names: Names,
}

/// Ids given numbers in the order they are first met: a packed task names its unit, people and
/// key result with 4-byte numbers instead of 16-byte pointers. Numbers are never taken back (an
/// id seen once stays, as the units and people it names do).
#[derive(Default)]
pub(crate) struct Names {
    ids: RwLock<Vec<Id>>,
    numbers: Mutex<FastMap<Id, u32>>,
}

impl Names {
    /// The number of `id`, given it when it has none.
    pub fn number(&self, id: &Id) -> u32 {
        let mut numbers = self.numbers.lock().expect("names lock poisoned");
        if let Some(n) = numbers.get(id) {
            return *n;
        }
        let mut ids = self.ids.write().expect("names lock poisoned");
        let n = u32::try_from(ids.len()).expect("fewer than 4 billion names");
        ids.push(id.clone());
        numbers.insert(id.clone(), n);
        n
    }

    /// Every id by its number.
    pub fn read(&self) -> RwLockReadGuard<'_, Vec<Id>> {
        self.ids.read().expect("names lock poisoned")
    }

    fn copy(&self) -> Names {
        Names {
            ids: RwLock::new(self.read().clone()),
            numbers: Mutex::new(self.numbers.lock().expect("names lock poisoned").clone()),
        }
    }
}

impl TaskTable {
    pub fn with_capacity(tasks: usize) -> TaskTable {
        TaskTable {
            shards: (0..SHARDS)
                .map(|_| RwLock::new(HashTable::with_capacity(tasks.div_ceil(SHARDS))))
                .collect(),
            hasher: FastHash::default(),
            names: Names::default(),
        }
    }

    pub fn names(&self) -> &Names {
        &self.names
    }

    /// Below the 7 top bits the table keeps as tags, as dashmap does: the shard's tasks still
    /// differ in every bit the table uses.
    fn shard(&self, hash: u64) -> &RwLock<HashTable<Box<CachedTask>>> {
        &self.shards[((hash << 7) >> (64 - SHARD_BITS)) as usize]
    }

    /// `f` of the task `id` and the names it refers to.
    pub fn get<R>(&self, id: &str, f: impl FnOnce(&CachedTask, &[Id]) -> R) -> Option<R> {
        let names = self.names.read();
        let hash = self.hasher.hash_one(id);
        let shard = self.shard(hash).read().expect("task table lock poisoned");
        shard.find(hash, |t| &*t.id == id).map(|t| f(t, &names))
    }

    /// Adds the task or replaces the one with its id, in the same allocation.
    pub fn insert(&self, task: CachedTask) {
        let hash = self.hasher.hash_one(&*task.id);
        let mut shard = self.shard(hash).write().expect("task table lock poisoned");
        match shard.find_mut(hash, |t| t.id == task.id) {
            Some(slot) => **slot = task,
            None => {
                shard.insert_unique(hash, Box::new(task), |t| self.hasher.hash_one(&*t.id));
            }
        }
    }

    /// `f` of every task, one shard at a time (a task changed meanwhile is seen before or after).
    pub fn each(&self, mut f: impl FnMut(&CachedTask, &[Id])) {
        let names = self.names.read();
        for shard in self.shards.iter() {
            let shard = shard.read().expect("task table lock poisoned");
            for t in shard.iter() {
                f(t, &names);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().expect("task table lock poisoned").len())
            .sum()
    }

    /// A copy of every task and name (an import's scratch rollup).
    pub fn copy(&self) -> TaskTable {
        let names = self.names.copy();
        let shards = self
            .shards
            .iter()
            .map(|s| RwLock::new(s.read().expect("task table lock poisoned").clone()))
            .collect();
        TaskTable {
            shards,
            hasher: self.hasher.clone(),
            names,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Task;

    fn task(id: &str, unit: &str, person: &str) -> Task {
        Task {
            id: id.into(),
            title: format!("Việc {id}"),
            unit: unit.into(),
            responsible: person.into(),
            ..crate::rollup::cached::tests::task()
        }
    }

    #[test]
    fn a_task_replaced_is_read_back_as_replaced_and_counted_once() {
        let table = TaskTable::with_capacity(0);
        for i in 0..1000 {
            let t = task(&format!("T{i}"), &format!("U{}", i % 7), "P1");
            table.insert(CachedTask::new(t, false, table.names()));
        }
        let moved = Task {
            progress: 5000,
            ..task("T17", "U-new", "P2")
        };
        table.insert(CachedTask::new(moved.clone(), true, table.names()));
        assert_eq!(table.len(), 1000);
        assert_eq!(table.get("T17", |t, n| t.task(n)), Some(moved));
        assert_eq!(
            table.get("T18", |t, n| t.unit(n).clone()).as_deref(),
            Some("U4")
        );
        assert!(table.get("T1000", |_, _| ()).is_none());
        let mut seen = 0;
        let mut moved_seen = 0;
        table.each(|t, n| {
            seen += 1;
            if &**t.unit(n) == "U-new" {
                moved_seen += 1;
            }
        });
        assert_eq!((seen, moved_seen), (1000, 1));
        let copy = table.copy();
        table.insert(CachedTask::new(
            task("T17", "U1", "P1"),
            false,
            table.names(),
        ));
        assert_eq!(
            copy.get("T17", |t, n| t.unit(n).clone()).as_deref(),
            Some("U-new")
        );
    }

    #[test]
    fn a_reader_never_misses_a_task_being_replaced() {
        let table = TaskTable::with_capacity(0);
        for i in 0..200 {
            table.insert(CachedTask::new(
                task(&format!("T{i}"), "U0", "P0"),
                false,
                table.names(),
            ));
        }
        std::thread::scope(|s| {
            s.spawn(|| {
                // Every task moved to new units and people, names numbered on the way.
                for round in 1..=50 {
                    for i in 0..200 {
                        let t = task(&format!("T{i}"), &format!("U{round}"), &format!("P{i}"));
                        table.insert(CachedTask::new(t, false, table.names()));
                    }
                }
            });
            for _ in 0..50 {
                for i in 0..200 {
                    let id = format!("T{i}");
                    let read = table.get(&id, |t, n| t.task(n));
                    assert_eq!(read.map(|t| t.id), Some(Id::from(id.as_str())));
                }
            }
        });
        assert_eq!(table.len(), 200);
        assert_eq!(
            table.get("T7", |t, n| (t.unit(n).clone(), t.responsible(n).clone())),
            Some((Id::from("U50"), Id::from("P7")))
        );
    }

    #[test]
    fn names_keep_their_numbers() {
        let names = Names::default();
        let a = names.number(&Id::from("A"));
        let b = names.number(&Id::from("B"));
        assert_ne!(a, b);
        assert_eq!(names.number(&Id::from("A")), a);
        assert_eq!(&*names.read()[b as usize], "B");
    }
}

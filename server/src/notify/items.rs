//! The items of alert notices the writer committed, kept by notice id until the worker takes
//! them: the worker selects waiting notices by the store's index alone and takes their items
//! from here. A month-end burst is ~21,000 notices; reading their content back from the store
//! (~600 bytes each) and parsing it, on the same two cores ingest runs on, was the largest part
//! of the worker's pass. The writer made each item to store it, so keeping it costs the writer
//! only the hand-over (a map insert per notice, after its commit). Only a shortcut: every
//! notice's content is in the store (`notice_bodies`), and what is not here (a restart, an
//! explanation's or a reminder's notice, the cap reached) is read from there.

use super::notice::Item;
use super::Notifier;
use crate::store::notify::{AddedNotice, StoredNotice};
use crate::store::{Store, StoreError};
use std::collections::{BTreeMap, HashMap};

/// Items kept at most (each some hundred bytes): twice a month-end burst of the demo city.
/// Past it the oldest notice (lowest id) goes: one held for a digest, or one the worker read
/// from the store in the moment between its commit and the writer handing it here.
pub const ITEMS_KEPT: usize = 50_000;

/// Notices' items by id.
pub struct KeptItems {
    by_id: BTreeMap<i64, Item>,
    cap: usize,
}

impl KeptItems {
    pub fn new(cap: usize) -> KeptItems {
        KeptItems {
            by_id: BTreeMap::new(),
            cap,
        }
    }

    /// The items of the notices a commit added (`added` names them by their place in `items`,
    /// the items of the rows the store was given, in order).
    pub fn add(&mut self, items: Vec<Item>, added: &[AddedNotice]) {
        let mut items: Vec<Option<Item>> = items.into_iter().map(Some).collect();
        for a in added {
            if let Some(item) = items.get_mut(a.index).and_then(Option::take) {
                self.keep(a.id, item);
            }
        }
    }

    fn keep(&mut self, id: i64, item: Item) {
        if self.cap == 0 {
            return;
        }
        self.by_id.insert(id, item);
        while self.by_id.len() > self.cap {
            self.by_id.pop_first();
        }
    }

    /// Takes the items of these notices, where kept (in the order asked).
    pub fn take(&mut self, ids: impl Iterator<Item = i64>) -> Vec<(i64, Option<Item>)> {
        ids.map(|id| (id, self.by_id.remove(&id))).collect()
    }

    /// Puts back the items of notices that still wait (held by quiet hours, for a digest).
    pub fn put_back(&mut self, items: impl IntoIterator<Item = (i64, Item)>) {
        for (id, item) in items {
            self.keep(id, item);
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }
}

/// Waiting notices with their items: taken from those kept since their commit, or read from
/// the store (a restart, another path); `None` when the stored content does not parse. The
/// caller puts back the items of notices that still wait (`Notifier::put_back_items`).
pub async fn of(
    store: &dyn Store,
    notifier: &Notifier,
    notices: Vec<StoredNotice>,
) -> Result<Vec<(StoredNotice, Option<Item>)>, StoreError> {
    let mut items = notifier.take_items(notices.iter().map(|n| n.id));
    let missing: Vec<i64> = items
        .iter()
        .filter(|(_, i)| i.is_none())
        .map(|(id, _)| *id)
        .collect();
    if !missing.is_empty() {
        let mut read: HashMap<i64, Item> = HashMap::new();
        for (id, body) in store.notify().notice_bodies(&missing).await? {
            if let Ok(item) = serde_json::from_str(&body) {
                read.insert(id, item);
            }
        }
        for (id, item) in &mut items {
            if item.is_none() {
                *item = read.remove(id);
            }
        }
    }
    Ok(notices
        .into_iter()
        .zip(items)
        .map(|(n, (_, item))| (n, item))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(subject: &str) -> Item {
        Item {
            kind: "fired".into(),
            severity: "red".into(),
            unit: "p-1".into(),
            unit_name: "Phường Hoàn Kiếm".into(),
            rule: Some("kpi-red".into()),
            subject: Some(subject.into()),
            subject_kind: None,
            value: None,
            threshold: None,
            started_at: None,
            at: 0,
            summary_vi: String::new(),
            summary_en: String::new(),
            role: None,
        }
    }

    #[test]
    fn keeps_what_the_store_added_until_taken_the_oldest_going_past_its_cap() {
        let mut b = KeptItems::new(2);
        // The second row was a cause already told: the store did not add it.
        b.add(
            vec![item("a"), item("b"), item("c")],
            &[
                AddedNotice { id: 10, index: 0 },
                AddedNotice { id: 11, index: 2 },
            ],
        );
        // Full: a third pushes out the oldest (read from the store if it is ever asked for).
        b.add(vec![item("d")], &[AddedNotice { id: 12, index: 0 }]);
        assert_eq!(b.len(), 2);
        let got = b.take([10, 11, 12].into_iter());
        assert_eq!(got[0].1, None, "the oldest went");
        assert_eq!(
            got[1].1,
            Some(item("c")),
            "matched by its place in the rows"
        );
        assert_eq!(got[2].1, Some(item("d")));
        assert_eq!(b.take([11].into_iter())[0].1, None, "taken once");
        // One that still waits goes back.
        b.put_back([(11, item("c"))]);
        assert_eq!(b.len(), 1);
        assert_eq!(b.take([11].into_iter())[0].1, Some(item("c")));
    }
}

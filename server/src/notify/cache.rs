//! The composed messages the delivery worker keeps between making and sending them, so a
//! delivery does not read back and parse a body the worker wrote a moment ago (a month-end
//! burst's message carries hundreds of alerts). Only a shortcut: the store keeps every message,
//! and a miss (after a restart, or once an entry was evicted) reads it from there.

use super::compose::Content;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Messages kept at most; the oldest (lowest id) goes first. A burst makes one message per
/// person (some hundreds), each sent within seconds.
pub const KEPT: usize = 512;

struct Entry {
    content: Arc<Content>,
    /// Deliveries not yet finished (delivered or dead); the entry goes with the last.
    left: usize,
}

/// Composed messages by id.
pub struct Composed {
    entries: BTreeMap<i64, Entry>,
    cap: usize,
}

impl Composed {
    pub fn new(cap: usize) -> Composed {
        Composed {
            entries: BTreeMap::new(),
            cap,
        }
    }

    /// A message just made, with how many deliveries it has.
    pub fn insert(&mut self, id: i64, content: Arc<Content>, deliveries: usize) {
        if deliveries == 0 || self.cap == 0 {
            return;
        }
        self.entries.insert(
            id,
            Entry {
                content,
                left: deliveries,
            },
        );
        while self.entries.len() > self.cap {
            self.entries.pop_first();
        }
    }

    pub fn get(&self, id: i64) -> Option<Arc<Content>> {
        self.entries.get(&id).map(|e| e.content.clone())
    }

    /// One of the message's deliveries is finished for good.
    pub fn finished(&mut self, id: i64) {
        if let Some(e) = self.entries.get_mut(&id) {
            e.left = e.left.saturating_sub(1);
            if e.left == 0 {
                self.entries.remove(&id);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(person: &str) -> Arc<Content> {
        Arc::new(Content::new(
            "alerts",
            person,
            person,
            0,
            "hn".into(),
            Vec::new(),
        ))
    }

    #[test]
    fn a_message_is_kept_until_its_last_delivery_finishes() {
        let mut c = Composed::new(8);
        c.insert(1, content("a"), 2);
        c.finished(1);
        assert_eq!(c.get(1).map(|m| m.person.clone()), Some("a".into()));
        c.finished(1);
        assert!(c.get(1).is_none());
        // Nothing to send: nothing kept.
        c.insert(2, content("b"), 0);
        assert!(c.get(2).is_none());
    }

    #[test]
    fn the_oldest_message_goes_first_when_full() {
        let mut c = Composed::new(2);
        c.insert(1, content("a"), 1);
        c.insert(2, content("b"), 1);
        c.insert(3, content("c"), 1);
        assert_eq!(c.len(), 2);
        assert!(c.get(1).is_none());
        assert_eq!(c.get(3).map(|m| m.person.clone()), Some("c".into()));
    }
}

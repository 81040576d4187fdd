//! The alert feed: the newest alert-history entries kept in memory with their ids (the store's
//! `seq`), each already rendered as the frame screens receive. The writer appends after the
//! history rows are committed, so every id here is also in the store; a screen that resumes from
//! an id older than memory reaches back into the store, and gets the very same frames.

use crate::domain::time::format_ts;
use crate::domain::Id;
use crate::store::AlertHistoryRow;
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::sync::{Arc, RwLock};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// One alert-history entry as the live feed carries it.
#[derive(Debug)]
pub struct FeedEntry {
    pub id: i64,
    pub unit: Id,
    pub frame: Utf8Bytes,
}

#[derive(Serialize)]
struct AlertFrame<'a> {
    r#type: &'static str,
    /// The history entry's `seq`: increasing, never reused.
    id: i64,
    rule: &'a str,
    subject: &'a str,
    unit: &'a str,
    kind: &'a str,
    severity: &'a str,
    at: String,
    detail: &'a RawValue,
}

impl FeedEntry {
    pub fn from_row(row: &AlertHistoryRow) -> FeedEntry {
        let null = RawValue::from_string("null".into()).expect("null is JSON");
        let detail = RawValue::from_string(row.body.clone()).unwrap_or(null);
        let frame = AlertFrame {
            r#type: "alert",
            id: row.seq,
            rule: &row.rule,
            subject: &row.subject,
            unit: &row.unit,
            kind: &row.kind,
            severity: &row.severity,
            at: format_ts(row.at),
            detail: &detail,
        };
        FeedEntry {
            id: row.seq,
            unit: row.unit.as_str().into(),
            frame: serde_json::to_string(&frame)
                .expect("alert frames serialize")
                .into(),
        }
    }
}

/// The entries after an id could not all be served from memory: the oldest kept is newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OlderThanMemory;

pub struct AlertFeed {
    inner: RwLock<Inner>,
}

struct Inner {
    entries: VecDeque<Arc<FeedEntry>>,
    /// The newest id appended (or in the store at start).
    last: i64,
    capacity: usize,
}

impl AlertFeed {
    /// A feed that starts after `last`, the newest id in the store.
    pub fn new(last: i64, capacity: usize) -> AlertFeed {
        AlertFeed {
            inner: RwLock::new(Inner {
                entries: VecDeque::new(),
                last,
                capacity: capacity.max(1),
            }),
        }
    }

    /// Appends committed history rows, `seqs` being the ids the store gave them.
    pub fn append(&self, rows: &[AlertHistoryRow], seqs: &[i64]) {
        let entries: Vec<Arc<FeedEntry>> = rows
            .iter()
            .zip(seqs)
            .map(|(r, seq)| {
                let mut r = r.clone();
                r.seq = *seq;
                Arc::new(FeedEntry::from_row(&r))
            })
            .collect();
        let mut inner = self.inner.write().expect("alert feed lock");
        for e in entries {
            if e.id <= inner.last {
                // Ids only grow; a smaller one would break every resume.
                tracing::error!(
                    id = e.id,
                    last = inner.last,
                    "alert id out of order; not fed"
                );
                continue;
            }
            inner.last = e.id;
            inner.entries.push_back(e);
            if inner.entries.len() > inner.capacity {
                inner.entries.pop_front();
            }
        }
    }

    pub fn last_id(&self) -> i64 {
        self.inner.read().expect("alert feed lock").last
    }

    /// Entries with an id above `after`, at most `max`, oldest first; or `OlderThanMemory` when
    /// some of them are only in the store.
    pub fn after(&self, after: i64, max: usize) -> Result<Vec<Arc<FeedEntry>>, OlderThanMemory> {
        let inner = self.inner.read().expect("alert feed lock");
        if after >= inner.last {
            return Ok(Vec::new());
        }
        let Some(first) = inner.entries.front() else {
            return Err(OlderThanMemory);
        };
        if after < first.id - 1 {
            return Err(OlderThanMemory);
        }
        // Ids are increasing but may skip (rows written while the feed was not running).
        let start = inner.entries.partition_point(|e| e.id <= after);
        Ok(inner.entries.range(start..).take(max).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: &str) -> AlertHistoryRow {
        AlertHistoryRow {
            seq: 0,
            rule: "r".into(),
            subject: unit.into(),
            unit: unit.into(),
            kind: "fired".into(),
            severity: "red".into(),
            at: 0,
            body: "{\"x\":1}".into(),
        }
    }

    #[test]
    fn serves_from_memory_and_says_when_it_cannot() {
        let feed = AlertFeed::new(10, 3);
        assert_eq!(feed.after(10, 100).unwrap().len(), 0);
        feed.append(&[row("a"), row("b")], &[11, 12]);
        let got = feed.after(10, 100).unwrap();
        assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), [11, 12]);
        assert!(got[0].frame.as_str().contains("\"detail\":{\"x\":1}"));
        feed.append(&[row("c"), row("d")], &[13, 14]);
        // Capacity 3: 11 fell out, so "after 10" needs the store; "after 11" does not.
        assert!(matches!(feed.after(10, 100), Err(OlderThanMemory)));
        assert_eq!(
            feed.after(11, 100)
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            [12, 13, 14]
        );
        assert_eq!(feed.after(12, 1).unwrap()[0].id, 13);
        assert_eq!(feed.last_id(), 14);
        // An id that does not grow is refused.
        feed.append(&[row("e")], &[14]);
        assert_eq!(feed.last_id(), 14);
    }
}

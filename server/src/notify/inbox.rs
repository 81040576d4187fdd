//! The inbox as screens see it live: every person's unread count and newest messages, held in
//! memory (loaded from the store at start, then kept by the delivery worker, which adds what it
//! delivers, and by marking read), so the live hub can render a person's inbox without waiting
//! on the store. Older messages are paged from the store over REST. People whose inbox changed
//! are collected for the hub, which re-renders their views on its tick.

use super::compose::{Content, TaskLine};
use super::notice::ItemOut;
use crate::domain::time::format_ts;
use crate::domain::Ts;
use crate::store::notify::InboxRow;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, PoisonError};
use utoipa::ToSchema;

/// Messages per person kept in memory (and sent in the live view).
pub const RECENT: usize = 20;

/// What an inbox row keeps of its message (JSON in the store). The message's content is not
/// copied: the row's delivery names the message, read with the row. Rows written before that
/// carry a copy, still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxBody {
    pub kind: String,
    pub title_vi: String,
    pub title_en: String,
    pub link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Content>,
}

/// A message in the inbox, as the API and the live view send it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InboxItem {
    pub id: i64,
    /// When the message was made (the server's clock).
    pub at: String,
    pub read: bool,
    /// The message's highest severity: red, yellow or info.
    pub severity: String,
    /// alerts, repeat or digest.
    pub kind: String,
    pub title_vi: String,
    pub title_en: String,
    /// The signed link to the alert center.
    pub link: String,
    pub items: Vec<ItemOut>,
    /// A digest's sections.
    #[schema(value_type = Option<Object>)]
    pub digest: Option<DigestOut>,
}

/// A digest's sections as sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigestOut {
    pub date: String,
    pub red_now: SectionOut<ItemOut>,
    pub turned_red: SectionOut<ItemOut>,
    pub not_entered: SectionOut<ItemOut>,
    pub awaiting: SectionOut<TaskOut>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionOut<T> {
    pub total: usize,
    pub items: Vec<T>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskOut {
    pub id: String,
    pub title: String,
    pub unit: String,
    pub unit_name: String,
    pub responsible_name: String,
    pub submitted_at: Option<String>,
}

fn task_out(t: &TaskLine) -> TaskOut {
    TaskOut {
        id: t.id.clone(),
        title: t.title.clone(),
        unit: t.unit.clone(),
        unit_name: t.unit_name.clone(),
        responsible_name: t.responsible_name.clone(),
        submitted_at: t.submitted_at.map(format_ts),
    }
}

/// A digest's sections as sent (times as RFC 3339).
pub fn digest_out(d: &super::compose::Digest) -> DigestOut {
    let items = |s: &super::compose::Section<super::notice::Item>| SectionOut {
        total: s.total,
        items: s.items.iter().map(|i| i.out()).collect(),
    };
    DigestOut {
        date: d.date.clone(),
        red_now: items(&d.red_now),
        turned_red: items(&d.turned_red),
        not_entered: items(&d.not_entered),
        awaiting: SectionOut {
            total: d.awaiting.total,
            items: d.awaiting.items.iter().map(task_out).collect(),
        },
    }
}

/// An inbox row as sent, its message read from the row (its own copy in an older row, else the
/// message read with it).
pub fn item(row: &InboxRow) -> InboxItem {
    item_with(row, None)
}

/// An inbox row as sent, with its message's content when the caller has it already (the worker
/// that just delivered it).
pub fn item_with(row: &InboxRow, content: Option<&Content>) -> InboxItem {
    let body: Option<InboxBody> = serde_json::from_str(&row.body).ok();
    let (kind, title_vi, title_en, link, items, digest) = match body {
        Some(b) => {
            let read;
            let message = match (content, &b.message) {
                (Some(c), _) => Some(c),
                (None, Some(c)) => Some(c),
                (None, None) => {
                    read = row
                        .message
                        .as_deref()
                        .and_then(|m| Content::read(m, &row.notices));
                    read.as_ref()
                }
            };
            (
                b.kind,
                b.title_vi,
                b.title_en,
                b.link,
                message.map_or_else(Vec::new, |m| m.items.iter().map(|i| i.out()).collect()),
                message.and_then(|m| m.digest.as_ref().map(digest_out)),
            )
        }
        None => Default::default(),
    };
    InboxItem {
        id: row.id,
        at: format_ts(row.at),
        read: row.read_at.is_some(),
        severity: row.severity.clone(),
        kind,
        title_vi,
        title_en,
        link,
        items,
        digest,
    }
}

/// A person's inbox as the live view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InboxView {
    pub person: String,
    pub unread: i64,
    /// The newest messages, newest first.
    pub items: Vec<InboxItem>,
    pub as_of: String,
    pub commit: u64,
}

#[derive(Default)]
struct PersonInbox {
    unread: i64,
    recent: VecDeque<InboxItem>,
}

/// Every person's inbox in memory. Plain mutexes, held for a copy or an insert, never across an
/// `.await`.
#[derive(Default)]
pub struct Inbox {
    people: Mutex<HashMap<String, PersonInbox>>,
    changed: Mutex<HashSet<String>>,
}

impl Inbox {
    /// From the store at start: the newest rows per person and the unread counts.
    pub fn load(recent: Vec<InboxRow>, unread: Vec<(String, i64)>) -> Inbox {
        let mut people: HashMap<String, PersonInbox> = HashMap::new();
        for row in recent {
            let p = people.entry(row.person.clone()).or_default();
            if p.recent.len() < RECENT {
                p.recent.push_back(item(&row));
            }
        }
        for (person, n) in unread {
            people.entry(person).or_default().unread = n;
        }
        Inbox {
            people: Mutex::new(people),
            changed: Mutex::default(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, PersonInbox>) -> R) -> R {
        f(&mut self.people.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn mark(&self, person: &str) {
        self.changed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(person.to_string());
    }

    /// A message delivered to a person's inbox (once committed), with its content.
    pub fn added(&self, row: &InboxRow, content: Option<&Content>) {
        let item = item_with(row, content);
        self.with(|people| {
            let p = people.entry(row.person.clone()).or_default();
            if p.recent.iter().any(|i| i.id == row.id) {
                return;
            }
            if row.read_at.is_none() {
                p.unread += 1;
            }
            p.recent.push_front(item);
            p.recent.truncate(RECENT);
        });
        self.mark(&row.person);
    }

    /// Messages marked read (their ids), once committed.
    pub fn read(&self, person: &str, ids: &[i64]) {
        if ids.is_empty() {
            return;
        }
        self.with(|people| {
            let p = people.entry(person.to_string()).or_default();
            p.unread = (p.unread - ids.len() as i64).max(0);
            for i in p.recent.iter_mut() {
                if ids.contains(&i.id) {
                    i.read = true;
                }
            }
        });
        self.mark(person);
    }

    /// A person's inbox as the store holds it now (a node following the writer, told that it
    /// changed): the newest rows and the unread count.
    pub fn replace(&self, person: &str, newest: Vec<InboxRow>, unread: i64) {
        self.with(|people| {
            let p = people.entry(person.to_string()).or_default();
            p.recent = newest.iter().take(RECENT).map(item).collect();
            p.unread = unread;
        });
        self.mark(person);
    }

    pub fn unread(&self, person: &str) -> i64 {
        self.with(|people| people.get(person).map_or(0, |p| p.unread))
    }

    /// A person's live inbox (empty for someone never sent anything).
    pub fn view(&self, person: &str, now: Ts, commit: u64) -> InboxView {
        let (unread, items) = self.with(|people| {
            people.get(person).map_or((0, Vec::new()), |p| {
                (p.unread, p.recent.iter().cloned().collect())
            })
        });
        InboxView {
            person: person.to_string(),
            unread,
            items,
            as_of: format_ts(now),
            commit,
        }
    }

    /// The people whose inbox changed since the last call.
    pub fn take_changed(&self) -> Vec<String> {
        let mut c = self.changed.lock().unwrap_or_else(PoisonError::into_inner);
        c.drain().collect()
    }
}

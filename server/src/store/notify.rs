//! What the store keeps for notifications (issue 17): contact points and policies, the outbox of
//! notices, messages and their deliveries, the inbox, each contact point's health and the
//! server's link-signing keys. Row types and the `NotifyStore` interface; the SQL both backends
//! share is in `notify_sql.rs`. Notices are also written by `Store::commit_with` and
//! `Store::save_alerts_with`, inside the transaction of what causes them.

use crate::domain::Ts;
use async_trait::async_trait;

use super::StoreError;

/// One notice for one person, as the writer hands it to the store with what causes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeRow {
    /// What caused it, unique per person (a second notice of the same cause for the same person
    /// is dropped): `alert:<history seq>`, `repeat:…`, or another kind's key. Ignored when
    /// `history` is set.
    pub source: String,
    /// The index of the alert-history row written in the same call that causes it: the store
    /// writes `alert:<its seq>` as the source.
    pub history: Option<usize>,
    pub person: String,
    /// How alerts are arranged inside a message: by unit, then by rule.
    pub group_key: String,
    /// red, yellow or info.
    pub severity: String,
    /// fired, severity_changed, resolved, escalated, repeat, or another kind's word.
    pub kind: String,
    /// The server's clock when it was caused.
    pub at: Ts,
    /// The notice's item as JSON (what a message shows of it).
    pub body: String,
}

/// A notice the store added: its id and its place in the rows it was given (a notice of a
/// cause the person was told already is not added).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddedNotice {
    pub id: i64,
    pub index: usize,
}

/// A waiting notice as the worker selects it, without its content (read by id from
/// `notice_bodies`, or kept in memory since its commit).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredNotice {
    pub id: i64,
    pub person: String,
    pub severity: String,
    pub at: Ts,
}

/// What waits for one person at one severity: the oldest notice's time and how many.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingRow {
    pub person: String,
    pub severity: String,
    pub first_at: Ts,
    pub count: i64,
}

/// A message to make: its row, the notices it sends and drops, and its deliveries
/// (contact point, kind).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub message: MessageRow,
    pub sent: Vec<i64>,
    pub dropped: Vec<i64>,
    pub deliveries: Vec<(String, String)>,
}

/// A person's contact point as stored: its settings as JSON, secrets included.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactPointRow {
    pub id: String,
    pub person: String,
    pub kind: String,
    pub body: String,
}

/// A message: what one person is sent at once.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    /// Given by the store.
    pub id: i64,
    pub person: String,
    /// alerts, repeat or digest.
    pub kind: String,
    /// The server's clock.
    pub created_at: Ts,
    /// Makes the message once (a day's digest); `None` for batches of notices.
    pub dedup: Option<String>,
    /// The composed content, JSON. A message of notices leaves its items out (they are the
    /// notices it carries, stored already) and says so; older rows carry them.
    pub body: String,
    /// The bodies of the notices it carries, oldest first: read with the message, never
    /// written (a message's notices name it).
    pub notices: Vec<String>,
}

/// One message over one contact point.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    /// The idempotency key receivers see: `ioc-<message>-<contact point>`.
    pub id: String,
    pub message_id: i64,
    pub person: String,
    pub contact_point: String,
    pub kind: String,
    /// pending, delivered or dead.
    pub state: String,
    pub attempts: i64,
    /// Wall clock: when the next attempt is due.
    pub next_at: Ts,
    pub last_error: Option<String>,
    pub created_at: Ts,
    pub delivered_at: Option<Ts>,
}

/// How an attempt ended (wall-clock times).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered {
        at: Ts,
    },
    /// Failed; tried again at `next_at`.
    Failed {
        error: String,
        at: Ts,
        next_at: Ts,
    },
    /// Failed for the last time: the dead letter.
    Dead {
        error: String,
        at: Ts,
    },
}

/// A message in a person's inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRow {
    pub id: i64,
    pub person: String,
    pub delivery_id: String,
    /// The server's clock when the message was made.
    pub at: Ts,
    pub severity: String,
    /// What the inbox keeps of the message (titles, link); rows written before the inbox
    /// referenced its messages carry the message's content too.
    pub body: String,
    pub read_at: Option<Ts>,
    /// The message's content (its `MessageRow::body`), read with the row through its delivery;
    /// not written (the row references its message instead of copying it).
    pub message: Option<String>,
    /// The bodies of the notices that message carries, oldest first (see `MessageRow::notices`).
    pub notices: Vec<String>,
}

/// A contact point's delivery record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HealthRow {
    pub contact_point: String,
    pub person: String,
    pub kind: String,
    pub delivered: i64,
    pub failures: i64,
    pub consecutive_failures: i64,
    pub dead: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<Ts>,
    pub last_success_at: Option<Ts>,
}

/// The notification tables. Reached through `Store::notify`.
#[async_trait]
pub trait NotifyStore: Send + Sync {
    /// The contact points of these people, in each person's order.
    async fn contact_points(&self, persons: &[String]) -> Result<Vec<ContactPointRow>, StoreError>;

    /// The own policies (JSON) of these people; people without one are left out.
    async fn policies(&self, persons: &[String]) -> Result<Vec<(String, String)>, StoreError>;

    /// Replaces a person's contact points and policy (`None`: the role's defaults again) with
    /// the audit entry of the change, in one transaction.
    async fn put_contact_points(
        &self,
        person: &str,
        points: &[ContactPointRow],
        policy: Option<&str>,
        at: Ts,
        audit: &crate::audit::Entry,
    ) -> Result<(), StoreError>;

    /// Adds notices that no transition carries (repeats); a cause already noticed for a person
    /// is skipped. Returns how many were new.
    async fn add_notices(&self, notices: &[NoticeRow]) -> Result<u64, StoreError>;

    /// What waits, per person and severity.
    async fn waiting(&self) -> Result<Vec<WaitingRow>, StoreError>;

    /// The waiting notices of these people, by person, each person's oldest first (one read
    /// for all the people a pass acts for).
    async fn waiting_notices(&self, persons: &[String]) -> Result<Vec<StoredNotice>, StoreError>;

    /// The content of these notices, by id (ids not found are left out).
    async fn notice_bodies(&self, ids: &[i64]) -> Result<Vec<(i64, String)>, StoreError>;

    /// Makes messages, each of its `sent` notices (marking `dropped` ones as going nowhere) with
    /// one pending delivery per (contact point, kind), all in one transaction: a pass's messages
    /// cost one write. Each is in its own savepoint: a message with an existing `dedup`, or
    /// whose notices another worker took, is `None` and leaves the others whole.
    async fn create_messages(
        &self,
        messages: &[NewMessage],
        now_wall: Ts,
    ) -> Result<Vec<Option<i64>>, StoreError>;

    /// Marks notices as going nowhere (no channel takes them).
    async fn drop_notices(&self, ids: &[i64]) -> Result<(), StoreError>;

    /// Pending deliveries due at `now` (wall clock), oldest first.
    async fn due_deliveries(&self, now: Ts, limit: i64) -> Result<Vec<DeliveryRow>, StoreError>;

    /// When the next pending delivery is due.
    async fn next_delivery_at(&self) -> Result<Option<Ts>, StoreError>;

    async fn message(&self, id: i64) -> Result<Option<MessageRow>, StoreError>;

    /// The newest message of this kind made for a person: when (server clock).
    async fn last_message_at(&self, person: &str, kind: &str) -> Result<Option<Ts>, StoreError>;

    /// Records attempts' outcomes and their contact points' health, in one transaction (the
    /// worker records what finished since its last pass at once, not one write per delivery);
    /// a delivered inbox message lands in the inbox in the same transaction (once per delivery
    /// id). Returns, per attempt, the inbox row's id when one was added.
    async fn finish_deliveries(
        &self,
        done: &[(DeliveryRow, Outcome, Option<InboxRow>)],
    ) -> Result<Vec<Option<i64>>, StoreError>;

    /// Deliveries by state (`pending`, `delivered`, `dead`) of these people (empty: everyone),
    /// newest first.
    async fn deliveries(
        &self,
        state: &str,
        persons: &[String],
        limit: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError>;

    /// How many deliveries are pending.
    async fn pending_count(&self) -> Result<i64, StoreError>;

    /// A person's inbox, newest first, before an id (paging).
    async fn inbox(
        &self,
        person: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<InboxRow>, StoreError>;

    /// The newest `per_person` inbox rows of every person (the live inbox at start).
    async fn inbox_recent(&self, per_person: i64) -> Result<Vec<InboxRow>, StoreError>;

    /// Unread messages per person.
    async fn inbox_unread(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// One person's unread count.
    async fn inbox_unread_of(&self, person: &str) -> Result<i64, StoreError>;

    /// Marks a person's messages read (`None`: all); returns the ids marked now.
    async fn inbox_mark_read(
        &self,
        person: &str,
        ids: Option<&[i64]>,
        at: Ts,
    ) -> Result<Vec<i64>, StoreError>;

    /// Every contact point's health (of these people; empty: everyone).
    async fn health(&self, persons: &[String]) -> Result<Vec<HealthRow>, StoreError>;

    /// A server key (its secret and when it was made).
    async fn server_key(&self, name: &str) -> Result<Option<(String, Ts)>, StoreError>;

    /// Stores a key unless one of that name exists; returns the one that is stored.
    async fn init_server_key(
        &self,
        name: &str,
        secret: &str,
        at: Ts,
    ) -> Result<(String, Ts), StoreError>;

    /// The link key becomes the previous one and `secret` the new one, with the audit entry.
    async fn rotate_link_key(
        &self,
        secret: &str,
        at: Ts,
        audit: &crate::audit::Entry,
    ) -> Result<(), StoreError>;
}

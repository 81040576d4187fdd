//! The store: the system of record. One `Store` interface, two implementations (SQLite, the
//! zero-set-up default, and PostgreSQL), sharing their SQL through `sql.rs`.

pub mod bus_log;
pub mod explain;
pub mod history;
pub mod lease;
pub mod notify;
mod notify_sql;
mod postgres;
mod postgres_arrays;
pub mod public;
mod rows;
mod sql;
mod sqlite;
mod sqlite_checkpoint;
mod sqlite_direct;

pub use notify::{NoticeRow, NotifyStore};
pub use postgres::PgStore;
pub use rows::PersonRecordRow;
pub use sqlite::SqliteStore;

use crate::domain::aggregate::TaskAgg;
use crate::domain::{Id, Ts};
use crate::domain::{KeyResult, Kpi, Objective, Observation, Person, Task, Unit};
use async_trait::async_trait;
use std::sync::Arc;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
    #[error("migration failed: {0}")]
    Migrate(Arc<sqlx::migrate::MigrateError>),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Config(String),
    /// Another node holds the writer's lease: this one must not write (`lease.rs`).
    #[error("{0}")]
    NotWriter(String),
}

impl StoreError {
    /// The database cannot be reached or is busy (no connection within the pool's wait, the
    /// connection broke, SQLite locked by another process): worth a retry, not a bug.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::NotWriter(_) => true,
            StoreError::Database(e) => match &**e {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(d) => {
                    // SQLITE_BUSY / SQLITE_LOCKED; PostgreSQL: connection exceptions (08…),
                    // shutdowns (57P…), too many connections, and a database that does not
                    // accept connections (55000 is what a connect to it answers).
                    let code = d.code().unwrap_or_default();
                    matches!(&*code, "5" | "6" | "53300" | "55000")
                        || code.starts_with("08")
                        || code.starts_with("57P")
                }
                _ => false,
            },
            _ => false,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(Arc::new(e))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(Arc::new(e))
    }
}

/// Commits held for a node reading the store (`Store::hold_commits`): they go on when dropped.
pub struct CommitHold(#[allow(dead_code)] Box<dyn std::any::Any + Send>);

impl CommitHold {
    pub(crate) fn new(inner: impl std::any::Any + Send) -> CommitHold {
        CommitHold(Box::new(inner))
    }
}

/// One accepted event as kept in the append-only log.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// Whose id `id` is: the credential that sent it (`account:…`, `token:…`, `system:…`) or the
    /// source its token declares; empty for events logged before sources were kept.
    pub source: String,
    pub id: Id,
    pub kind: String,
    pub entity: String,
    pub at: Ts,
    pub received_at: Ts,
    /// The event as received (JSON).
    pub body: String,
}

/// One live alert as stored: its key and unit, and the server's JSON of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlertRow {
    pub rule: String,
    pub subject: String,
    pub unit: String,
    pub body: String,
}

/// One entry of the alert history.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlertHistoryRow {
    /// Assigned by the store, in commit order; 0 when writing.
    pub seq: i64,
    pub rule: String,
    pub subject: String,
    pub unit: String,
    pub kind: String,
    pub severity: String,
    pub at: Ts,
    pub body: String,
}

/// A silence: a rule, a unit's subtree, or both, muted until `until`.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceRow {
    pub id: i64,
    pub rule: Option<String>,
    pub unit: Option<String>,
    pub until: Ts,
    pub reason: String,
    pub created_by: String,
    pub created_at: Ts,
}

/// Which history to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// Entries of these units (a subtree); empty means any unit.
    pub units: Vec<String>,
    pub rule: Option<String>,
    pub subject: Option<String>,
    /// Entries older than this seq (paging backwards).
    pub before: Option<i64>,
    pub limit: i64,
}

/// Everything the store holds that the rollup needs, read back at start; kept as a checkpoint
/// (`history.rs`).
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Snapshot {
    pub clock: Option<Ts>,
    pub units: Vec<Unit>,
    pub people: Vec<Person>,
    pub kpis: Vec<Kpi>,
    pub objectives: Vec<Objective>,
    pub key_results: Vec<KeyResult>,
    pub tasks: Vec<Task>,
    /// How many tasks the store held when the catalog was read: the rollup makes room for them
    /// at once when they come apart from the snapshot (`load_catalog`, then `load_tasks`).
    pub task_count: usize,
    /// The newest-period observation of each series.
    pub observations: Vec<Observation>,
    /// Per unit: number of ratings and the sum of their scores.
    pub rating_totals: Vec<(Id, i64, i64)>,
    pub periods: Vec<crate::domain::OkrPeriod>,
    pub targets: Vec<crate::domain::Target>,
    pub meetings: Vec<crate::domain::meeting::Meeting>,
}

/// Which evaluation records `Store::person_records` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// The leaders' general-criteria scores.
    Criteria,
    /// Scores frozen when their OKR period closed.
    FrozenScore,
}

/// Task aggregates grouped by one key (a unit or a person), computed by SQL.
pub type GroupedTaskAggs = Vec<(String, TaskAgg)>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// From now on every write transaction checks that the writer's lease still has this
    /// epoch (`lease.rs`; PostgreSQL only) and refuses with `NotWriter` otherwise.
    fn fence_writes(&self, epoch: Arc<std::sync::atomic::AtomicI64>);

    /// The database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Which of these ids of `source` are already in the log (or in it from before sources were
    /// kept), with the bodies they were logged with.
    async fn existing_events(
        &self,
        source: &str,
        ids: &[Id],
    ) -> Result<std::collections::HashMap<Id, String>, StoreError>;

    /// Appends the events to the log and writes the changes' new states, in one transaction.
    async fn commit(
        &self,
        events: &[EventRecord],
        changes: &[crate::domain::Change],
        audit: &[crate::audit::Entry],
    ) -> Result<Option<u64>, StoreError> {
        Ok(self.commit_with(events, changes, audit, &[]).await?.1)
    }

    /// As `commit`, with the notices the changes cause (the notification outbox) in the same
    /// transaction: committed together or not at all. Returns the notices added.
    async fn commit_with(
        &self,
        events: &[EventRecord],
        changes: &[crate::domain::Change],
        audit: &[crate::audit::Entry],
        notices: &[NoticeRow],
    ) -> Result<(Vec<notify::AddedNotice>, Option<u64>), StoreError>;

    /// From now on, every write transaction that changes what nodes hold in memory also appends
    /// a record to the change log (`bus_log.rs`), whose number it returns. PostgreSQL only: a
    /// SQLite file is one node's, and this does nothing there.
    fn log_changes(&self);

    /// The last change log number this node appended (0: none); its transaction may still be
    /// committing. A write answered by the writer is at or below it.
    fn log_written(&self) -> u64;

    /// Appends a record in a transaction of its own (a rules reload: nothing else is written).
    async fn log_record(&self, record: &bus_log::Outgoing<'_>) -> Result<Option<u64>, StoreError>;

    /// The change log's last number (0: none yet).
    async fn log_head(&self) -> Result<u64, StoreError>;

    /// Up to `limit` records after `after`, in order: (number, when, body).
    async fn log_after(&self, after: u64, limit: i64)
        -> Result<Vec<(u64, Ts, String)>, StoreError>;

    /// Says how far `node` has applied the change log (a follower, every few seconds).
    async fn report_applied(&self, node: &str, applied: u64) -> Result<(), StoreError>;

    /// The applied points of the nodes that reported since `since`.
    async fn log_readers(&self, since: Ts) -> Result<Vec<(String, u64)>, StoreError>;

    /// Deletes the records numbered `below` and older that are also older than `before`.
    async fn prune_log(&self, below: u64, before: Ts) -> Result<u64, StoreError>;

    /// This database's own id, kept in `meta` from its first use with several nodes (`proposed`
    /// then becomes it): it names the Redis stream of its change log.
    async fn cluster_id(&self, proposed: &str) -> Result<String, StoreError>;

    /// The writer as the lease row names it: (node, address, forward key), for forwarding.
    async fn writer_seat(&self) -> Result<Option<(String, String, String)>, StoreError>;

    /// Holds every commit that appends to the change log until the returned guard is dropped,
    /// and says the number they stopped at: a node reading the store meanwhile reads exactly
    /// what that number includes. `None` where there is no change log (SQLite).
    async fn hold_commits(&self) -> Result<Option<(CommitHold, u64)>, StoreError>;

    /// The notification tables (contact points, outbox, deliveries, inbox, health, keys).
    fn notify(&self) -> &dyn NotifyStore;

    /// The explanation requests, their threads and files.
    fn explain(&self) -> &dyn explain::ExplainStore;

    /// What the public board reads of ratings.
    fn public(&self) -> &dyn public::PublicStore;

    /// The commits and checkpoints views as of a past moment are replayed from.
    fn history(&self) -> &dyn history::HistoryStore;

    /// Everything the rollup is built from.
    async fn load(&self) -> Result<Snapshot, StoreError> {
        let mut snapshot = self.load_catalog().await?;
        snapshot.tasks.reserve(snapshot.task_count);
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let (read, ()) = tokio::join!(self.load_tasks(tx), async {
            while let Some(batch) = rx.recv().await {
                snapshot.tasks.extend(batch);
            }
        });
        read?;
        Ok(snapshot)
    }

    /// As `load` without the tasks (`tasks` is left empty): what the rollup needs before the
    /// first task can be applied.
    async fn load_catalog(&self) -> Result<Snapshot, StoreError>;

    /// Every task, sent into `into` in batches as the rows are read, so the caller applies one
    /// batch while the next is read instead of holding every row at once. Stops early (without
    /// an error) when the receiver is gone.
    async fn load_tasks(
        &self,
        into: tokio::sync::mpsc::Sender<Vec<Task>>,
    ) -> Result<(), StoreError>;

    /// The event `id` of `source`.
    async fn event(&self, source: &str, id: &str) -> Result<Option<EventRecord>, StoreError>;

    async fn event_count(&self) -> Result<i64, StoreError>;

    /// Task aggregates per owning unit and per responsible person, computed by SQL over the
    /// tasks table at `now`: the independent recomputation the rollup is checked against.
    async fn task_aggregates(
        &self,
        now: Ts,
    ) -> Result<(GroupedTaskAggs, GroupedTaskAggs), StoreError>;

    /// Writes alert changes in one transaction: live alerts replaced or deleted, history appended.
    async fn save_alerts(
        &self,
        upserts: &[AlertRow],
        deletes: &[(String, String)],
        history: &[AlertHistoryRow],
        audit: &[crate::audit::Entry],
    ) -> Result<Vec<i64>, StoreError> {
        Ok(self
            .save_alerts_with(upserts, deletes, history, audit, &[])
            .await?
            .0)
    }

    /// As `save_alerts`, with the notices the transitions cause in the same transaction (a
    /// notice naming a history row by index gets that row's seq in its source); also returns
    /// the notices added.
    async fn save_alerts_with(
        &self,
        upserts: &[AlertRow],
        deletes: &[(String, String)],
        history: &[AlertHistoryRow],
        audit: &[crate::audit::Entry],
        notices: &[NoticeRow],
    ) -> Result<(Vec<i64>, Vec<notify::AddedNotice>), StoreError>;

    /// History entries after `after` (exclusive), oldest first, of these units (empty: any):
    /// how a live alert feed resumes from the last id a screen saw.
    async fn alert_history_after(
        &self,
        after: i64,
        units: &[String],
        limit: i64,
    ) -> Result<Vec<AlertHistoryRow>, StoreError>;

    /// History entries with `from <= at < to`, oldest first, of these units (empty: any): what
    /// happened in a review's week.
    async fn alert_history_between(
        &self,
        units: &[String],
        from: Ts,
        to: Ts,
    ) -> Result<Vec<AlertHistoryRow>, StoreError>;

    /// Every stored observation (all periods, not only the newest) of these units (empty: any),
    /// by KPI, unit and period: the series behind sparklines and week-on-week comparisons.
    async fn observations_of(
        &self,
        units: &[String],
    ) -> Result<Vec<crate::domain::Observation>, StoreError>;

    /// The logged events of one kind (`task`, `kr_checkin`, ...) about these entities, oldest
    /// first by event time: e.g. a key result's check-in history.
    async fn events_of(
        &self,
        kind: &str,
        entities: &[String],
    ) -> Result<Vec<EventRecord>, StoreError>;

    /// Stored evaluation records of these periods (labels) and persons (empty: everyone), by
    /// period then person.
    async fn person_records(
        &self,
        kind: RecordKind,
        periods: &[String],
        persons: &[String],
    ) -> Result<Vec<PersonRecordRow>, StoreError>;

    /// The newest history seq (0 when there is none).
    async fn last_alert_seq(&self) -> Result<i64, StoreError>;

    /// When the alert history began: the time of its first entry, if any.
    async fn first_alert_at(&self) -> Result<Option<Ts>, StoreError>;

    async fn load_alerts(&self) -> Result<Vec<AlertRow>, StoreError>;

    async fn alert_history(&self, q: &HistoryQuery) -> Result<Vec<AlertHistoryRow>, StoreError>;

    /// Stores a silence and returns its id.
    async fn add_silence(
        &self,
        s: &SilenceRow,
        audit: &[crate::audit::Entry],
    ) -> Result<i64, StoreError>;

    /// Writes an account, session or token change and its audit entry in one transaction.
    async fn save_security(
        &self,
        write: &crate::domain::security::SecurityWrite,
        audit: &crate::audit::Entry,
    ) -> Result<(), StoreError>;

    /// Accounts with their grants, sessions that end after `now`, and every API token.
    async fn load_security(
        &self,
        now: Ts,
    ) -> Result<crate::domain::security::SecuritySnapshot, StoreError>;

    /// The audit chain's last entry (the genesis head when there is none).
    async fn audit_head(&self) -> Result<crate::audit::Head, StoreError>;

    /// Entries after `after`, oldest first; `units`: only entries of these units (`None`: all,
    /// entries without a unit included).
    async fn audit_entries(
        &self,
        after: i64,
        units: Option<&[String]>,
        limit: i64,
    ) -> Result<Vec<crate::audit::Entry>, StoreError>;

    /// Silences that end after `now`.
    async fn silences(&self, now: Ts) -> Result<Vec<SilenceRow>, StoreError>;

    /// Adds the index the SQL form of a view needs. Benchmarks only: the ingest path stays lean.
    async fn add_view_index(&self) -> Result<(), StoreError>;

    /// The best SQL form of a unit view's task figures: a recursive walk of the subtree, then
    /// one aggregate over its tasks. What the rollup replaces, kept for the benchmark.
    async fn sql_unit_tasks(&self, unit: &str, now: Ts) -> Result<TaskAgg, StoreError>;

    /// Keeps a file (once per SHA-256) and its link to the task it was uploaded for, with the
    /// upload's audit entry, in one transaction. A second upload of the same file for the same
    /// task changes nothing.
    async fn save_attachment(
        &self,
        a: &AttachmentRecord,
        audit: &crate::audit::Entry,
    ) -> Result<(), StoreError>;

    /// A kept file's type, size and bytes.
    async fn attachment(&self, sha256: &str) -> Result<Option<AttachmentFile>, StoreError>;

    /// The tasks a file was uploaded for, with the name and uploader of each link.
    async fn attachment_links(&self, sha256: &str) -> Result<Vec<AttachmentLink>, StoreError>;

    /// Keeps a task template (new or changed) with its audit entry, in one transaction.
    async fn save_template(
        &self,
        t: &crate::domain::template::TaskTemplate,
        audit: &crate::audit::Entry,
    ) -> Result<(), StoreError>;

    /// Every task template, by id.
    async fn templates(&self) -> Result<Vec<crate::domain::template::TaskTemplate>, StoreError>;
}

/// A file uploaded for a task, as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRecord {
    pub file: AttachmentFile,
    pub link: AttachmentLink,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentFile {
    pub sha256: String,
    /// Sniffed from the bytes at upload.
    pub content_type: String,
    pub size: i64,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentLink {
    pub sha256: String,
    pub task_id: String,
    pub name: String,
    /// `account:…` or `token:…`.
    pub uploaded_by: String,
    pub at: Ts,
}

/// Opens the store a `DATABASE_URL` names (`sqlite://path` or `postgres://...`), creating the
/// SQLite file and its folder when missing, and runs the migrations.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PgStore::open(url).await?))
    } else {
        Err(StoreError::Config(format!(
            "DATABASE_URL must start with sqlite: or postgres:, got '{}'",
            redact_url(url)
        )))
    }
}

/// A database URL fit for logs: any password replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Walks the whole stored audit chain, a page at a time.
pub async fn verify_audit(store: &dyn Store) -> Result<crate::audit::Verdict, StoreError> {
    const PAGE: i64 = 5000;
    let mut v = crate::audit::Verifier::default();
    let mut after = 0;
    loop {
        let page = store.audit_entries(after, None, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        if !v.feed(&page) || (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok(v.finish())
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            super::redact_url("postgres://ioc:s3cret@localhost/ioc"),
            "postgres://ioc:***@localhost/ioc"
        );
        assert_eq!(
            super::redact_url("sqlite://data/ioc.db"),
            "sqlite://data/ioc.db"
        );
    }
}

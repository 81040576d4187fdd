//! The single writer: every change to the store passes through it. Callers hold a `Writer`
//! handle and send it commands on a bounded channel; the one writer task (`task.rs`) takes what
//! is waiting as one group, has each request planned against the catalog (`plan.rs` for events,
//! with task updates merged last-writer-wins by `merge.rs`; `catalog/plan.rs`, `cycle.rs` and
//! the alerting's actions for the rest), commits the group in one transaction (group commit),
//! applies the committed changes to the rollup, publishes them on the bus and only then answers
//! each request: an answer means durable, and the next read sees it.
//!
//! One writer keeps merges free of races without row locks. Requests queue on a bounded channel
//! so a flood of ingest waits at the HTTP edge instead of growing memory.

mod events;
mod explain;
mod meeting;
mod task;

use super::catalog::CatalogItem;
use super::event::Event;
use super::plan::AuditDetail;
use super::ItemError;
use crate::alerting::actions::{AlertAction, AlertError};
use crate::alerting::Alerting;
use crate::audit::{Draft, Head};
use crate::auth::registry::SecurityWrite;
use crate::auth::{Actor, Auth};
use crate::bus::Committed;
use crate::domain::time::now_ms;
use crate::domain::Ts;
use crate::live::AlertFeed;
use crate::notify::Notifier;
use crate::rollup::Rollup;
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot};
use utoipa::ToSchema;

/// Requests waiting for the writer. Past this, callers wait in `send` (backpressure).
const QUEUE: usize = 1024;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct IngestReport {
    /// Events committed by this request.
    pub accepted: usize,
    /// Events whose id was already committed (replays): kept once, changed nothing.
    pub duplicates: usize,
    pub duplicate_ids: Vec<String>,
    /// The rollup's commit number once this request is applied: a view (REST or live) whose
    /// `commit` is at least this includes it.
    pub commit: u64,
}

/// What an import changes (or, in a dry run, would change), per kind of entry.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct ImportCounts {
    pub units: EntryCounts,
    pub people: EntryCounts,
    pub kpis: EntryCounts,
    pub objectives: EntryCounts,
    pub key_results: EntryCounts,
    /// Events (task rows, observations...): new ones, and ids already committed.
    pub events: EventCounts,
    /// The rollup's commit number once the import is applied; 0 for a dry run.
    pub commit: u64,
}

/// Catalog entries of one kind in an import.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema, PartialEq)]
pub struct EntryCounts {
    /// Not in the catalog yet.
    pub new: usize,
    /// In the catalog with other values: replaced.
    pub changed: usize,
    /// In the catalog with the same values.
    pub unchanged: usize,
}

#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema, PartialEq)]
pub struct EventCounts {
    pub new: usize,
    /// Already committed with the same content (a re-import): kept once, changed nothing.
    pub duplicates: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Conflict(String),
    /// An item that clashes with what exists (an event id reused with other content).
    #[error("{0}")]
    ConflictItem(ItemError),
    #[error("{0}")]
    Invalid(ItemError),
    /// The caller is not the one responsible for this change (SECURITY.md).
    #[error("{0}")]
    Forbidden(ItemError),
    #[error("the store refused the commit")]
    Store(#[from] StoreError),
    #[error("the writer has stopped")]
    Closed,
}

enum Command {
    Alert {
        action: AlertAction,
        actor: Actor,
        /// The id the action created (a silence's), if any.
        reply: oneshot::Sender<Result<Option<i64>, AlertError>>,
    },
    Events {
        events: Vec<Event>,
        actor: Actor,
        detail: AuditDetail,
        reply: oneshot::Sender<Result<IngestReport, WriteError>>,
    },
    Security {
        // Boxed: an account with its grants is far larger than the other commands.
        write: Box<SecurityWrite>,
        draft: Draft,
        reply: oneshot::Sender<Result<(), WriteError>>,
    },
    /// A file uploaded for a task: stored with its audit entry, in turn with every other write.
    Attachment {
        record: Box<crate::store::AttachmentRecord>,
        draft: Draft,
        reply: oneshot::Sender<Result<(), WriteError>>,
    },
    Catalog {
        items: Vec<CatalogItem>,
        actor: Actor,
        /// Refuse entries that exist already (POST), checked here where no other write can race.
        create_only: bool,
        reply: oneshot::Sender<Result<usize, WriteError>>,
    },
    Cycle {
        items: Vec<crate::ingest::cycle::CycleItem>,
        actor: Actor,
        reply: oneshot::Sender<Result<usize, WriteError>>,
    },
    Import {
        items: Vec<CatalogItem>,
        events: Vec<Event>,
        actor: Actor,
        dry_run: bool,
        reply: oneshot::Sender<Result<ImportCounts, WriteError>>,
    },
    Tick {
        now: Ts,
        reply: Option<oneshot::Sender<()>>,
    },
    Notify {
        write: NotifyWrite,
        draft: Draft,
        reply: oneshot::Sender<Result<(), WriteError>>,
    },
    /// A task template made or changed (issue 18): checked and committed with its audit entry.
    Template {
        write: crate::ingest::templates::TemplateWrite,
        actor: Actor,
        reply: oneshot::Sender<Result<crate::domain::template::TaskTemplate, WriteError>>,
    },
    /// An explanation request or a message of its thread; answers the thread as it then stands
    /// and whether the write was a retry of a kept one.
    Explain {
        write: Box<crate::ingest::explain::ExplainWrite>,
        actor: Actor,
        reply: oneshot::Sender<Result<(crate::domain::explanation::Thread, bool), WriteError>>,
    },
    /// A review meeting's write on meeting `id`, with the work a conclusion sets in motion;
    /// answers the meeting as it then stands and whether the write was a retry.
    Meeting {
        id: String,
        write: Box<crate::ingest::meeting::MeetingWrite>,
        actor: Actor,
        reply: oneshot::Sender<
            Result<(std::sync::Arc<crate::domain::meeting::Meeting>, bool), WriteError>,
        >,
    },
    /// A file uploaded for an explanation's thread, with its audit entry.
    ExplainAttachment {
        record: Box<crate::store::explain::ExplainAttachment>,
        draft: Draft,
        reply: oneshot::Sender<Result<(), WriteError>>,
    },
}

/// A change of the notification settings, committed with its audit entry.
#[derive(Debug, Clone)]
pub enum NotifyWrite {
    /// A person's contact points (stored form, secrets included) and own policy (`None`: the
    /// role's defaults).
    ContactPoints {
        person: String,
        points: Vec<crate::store::notify::ContactPointRow>,
        policy: Option<String>,
    },
    /// A new key signs the links from now on; the previous one stays valid.
    RotateLinkKey { secret: String },
}

impl Command {
    fn events(&self) -> usize {
        match self {
            Command::Events { events, .. } => events.len(),
            Command::Catalog { items, .. } => items.len(),
            Command::Cycle { items, .. } => items.len(),
            Command::Import { items, events, .. } => items.len() + events.len(),
            Command::Tick { .. }
            | Command::Alert { .. }
            | Command::Security { .. }
            | Command::Notify { .. }
            | Command::Template { .. }
            | Command::Explain { .. }
            | Command::Meeting { .. }
            | Command::ExplainAttachment { .. }
            | Command::Attachment { .. } => 1,
        }
    }
}

/// A cheap, cloneable way to reach the writer.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Command>,
    health: Arc<WriterHealth>,
}

/// How the writer's commits are going, for the readiness check: whether one is under way and
/// since when, the last that succeeded, and the failure of the last attempt if it failed (the
/// node is degraded from a failed commit until the next one succeeds).
#[derive(Debug, Default)]
pub struct WriterHealth {
    /// Wall-clock ms when the commit under way started; 0 when idle.
    committing_since: std::sync::atomic::AtomicI64,
    last_success: std::sync::atomic::AtomicI64,
    failure: std::sync::Mutex<Option<(Ts, String)>>,
}

impl WriterHealth {
    fn begin(&self) {
        self.committing_since
            .store(now_ms(), std::sync::atomic::Ordering::Relaxed);
    }

    fn end<T, E: std::fmt::Display>(&self, r: &Result<T, E>) {
        use std::sync::atomic::Ordering::Relaxed;
        let now = now_ms();
        self.committing_since.store(0, Relaxed);
        // A poisoned lock only means a panic elsewhere mid-update: the value is still ours.
        let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        match r {
            Ok(_) => {
                self.last_success.store(now, Relaxed);
                *failure = None;
            }
            Err(e) => *failure = Some((now, e.to_string())),
        }
    }

    /// Since when a commit has been under way, if one is.
    pub fn committing_since(&self) -> Option<Ts> {
        Some(
            self.committing_since
                .load(std::sync::atomic::Ordering::Relaxed),
        )
        .filter(|t| *t > 0)
    }

    /// The last commit that succeeded (wall-clock ms), if any did since the start.
    pub fn last_success(&self) -> Option<Ts> {
        Some(self.last_success.load(std::sync::atomic::Ordering::Relaxed)).filter(|t| *t > 0)
    }

    /// When the last attempt failed and why, while no commit has succeeded since.
    pub fn failure(&self) -> Option<(Ts, String)> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The writer's queue before its task runs (`Writer::queue`).
pub struct Queue {
    rx: mpsc::Receiver<Command>,
    health: Arc<WriterHealth>,
}

impl Queue {
    /// Starts the writer task on this queue. It stops when every `Writer` handle is dropped,
    /// after finishing what is queued.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        self,
        store: Arc<dyn Store>,
        rollup: Arc<Rollup>,
        bus: broadcast::Sender<Arc<Committed>>,
        alerting: Option<Alerting>,
        feed: Arc<AlertFeed>,
        auth: Auth,
        audit: Head,
        notifier: Option<Notifier>,
    ) -> tokio::task::JoinHandle<()> {
        let Queue { rx, health } = self;
        tokio::spawn(
            task::WriterTask {
                health,
                next_explanation_due: None,
                store,
                rollup,
                bus,
                rx,
                alerting,
                feed,
                auth,
                audit,
                notifier,
                templates: Default::default(),
                templates_loaded: false,
                template_failures: Default::default(),
                reminded: None,
            }
            .run(),
        )
    }
}

impl Writer {
    /// Starts the writer task. It stops when every `Writer` handle is dropped, after finishing
    /// what is queued: nothing acknowledged is lost on shutdown.
    pub fn spawn(
        store: Arc<dyn Store>,
        rollup: Arc<Rollup>,
        bus: broadcast::Sender<Arc<Committed>>,
        audit: Head,
    ) -> (Writer, tokio::task::JoinHandle<()>) {
        Self::spawn_with_alerting(
            store,
            rollup,
            bus,
            None,
            Arc::new(AlertFeed::new(0, 1)),
            Auth::new(Default::default(), Default::default()),
            audit,
            None,
        )
    }

    /// As `spawn`, with the rule engine evaluated after every apply and its transitions'
    /// notices written with them (`notifier` is woken after each such commit).
    #[allow(clippy::too_many_arguments)]
    pub fn spawn_with_alerting(
        store: Arc<dyn Store>,
        rollup: Arc<Rollup>,
        bus: broadcast::Sender<Arc<Committed>>,
        alerting: Option<Alerting>,
        feed: Arc<AlertFeed>,
        auth: Auth,
        audit: Head,
        notifier: Option<Notifier>,
    ) -> (Writer, tokio::task::JoinHandle<()>) {
        let (writer, queue) = Writer::queue();
        let task = queue.start(store, rollup, bus, alerting, feed, auth, audit, notifier);
        (writer, task)
    }

    /// The handle and its queue, without the task: a node that follows another writer takes
    /// requests into nothing until it becomes the writer and starts the queue (`Queue::start`).
    pub fn queue() -> (Writer, Queue) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let health = Arc::new(WriterHealth::default());
        (
            Writer {
                tx,
                health: health.clone(),
            },
            Queue { rx, health },
        )
    }

    /// How the writer's commits are going (the readiness check reads it).
    pub fn health(&self) -> &WriterHealth {
        &self.health
    }

    /// Acknowledges, assigns, silences or reloads rules.
    pub async fn alert(
        &self,
        action: AlertAction,
        actor: &Actor,
    ) -> Result<Option<i64>, AlertError> {
        self.ask(|reply| Command::Alert {
            action,
            actor: actor.clone(),
            reply,
        })
        .await
        .unwrap_or(Err(AlertError::Closed))
    }

    /// Checks, commits and applies events sent by `actor`, each one audited.
    pub async fn ingest(
        &self,
        events: Vec<Event>,
        actor: &Actor,
    ) -> Result<IngestReport, WriteError> {
        self.events_command(events, actor.clone(), AuditDetail::Each)
            .await
    }

    /// The demo seed: generated events by the system, one audit entry per request.
    pub async fn seed(&self, events: Vec<Event>) -> Result<IngestReport, WriteError> {
        self.events_command(events, Actor::system("demo-seed"), AuditDetail::Batch)
            .await
    }

    async fn events_command(
        &self,
        events: Vec<Event>,
        actor: Actor,
        detail: AuditDetail,
    ) -> Result<IngestReport, WriteError> {
        self.ask(|reply| Command::Events {
            events,
            actor,
            detail,
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// Commits an account, session or token change with its audit entry, then applies it to
    /// the node's registry.
    pub async fn security(&self, write: SecurityWrite, draft: Draft) -> Result<(), WriteError> {
        self.ask(|reply| Command::Security {
            write: Box::new(write),
            draft,
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// Keeps a file uploaded for a task, with the upload's audit entry.
    pub async fn attachment(
        &self,
        record: crate::store::AttachmentRecord,
        draft: Draft,
    ) -> Result<(), WriteError> {
        self.ask(|reply| Command::Attachment {
            record: Box::new(record),
            draft,
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// Asks for an explanation or adds a message to a thread, audited, with its notices; a
    /// retry with a kept id answers the thread as it stands and `true`.
    pub async fn explain(
        &self,
        write: crate::ingest::explain::ExplainWrite,
        actor: &Actor,
    ) -> Result<(crate::domain::explanation::Thread, bool), WriteError> {
        self.ask(|reply| Command::Explain {
            write: Box::new(write),
            actor: actor.clone(),
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// A review meeting's write (`ingest::meeting`): the meeting as it then stands, and whether
    /// the write was a retry of a kept one.
    pub async fn meeting(
        &self,
        id: String,
        write: crate::ingest::meeting::MeetingWrite,
        actor: &Actor,
    ) -> Result<(std::sync::Arc<crate::domain::meeting::Meeting>, bool), WriteError> {
        self.ask(|reply| Command::Meeting {
            id,
            write: Box::new(write),
            actor: actor.clone(),
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// Keeps a file uploaded for an explanation's thread, with the upload's audit entry.
    pub async fn explain_attachment(
        &self,
        record: crate::store::explain::ExplainAttachment,
        draft: Draft,
    ) -> Result<(), WriteError> {
        self.ask(|reply| Command::ExplainAttachment {
            record: Box::new(record),
            draft,
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// Adds or replaces catalog entries, all or nothing; returns how many were written.
    pub async fn catalog(
        &self,
        items: Vec<CatalogItem>,
        actor: &Actor,
    ) -> Result<usize, WriteError> {
        self.catalog_command(items, false, actor).await
    }

    /// Adds catalog entries that must not exist yet; an existing one is a `Conflict`.
    pub async fn create(
        &self,
        items: Vec<CatalogItem>,
        actor: &Actor,
    ) -> Result<usize, WriteError> {
        self.catalog_command(items, true, actor).await
    }

    async fn catalog_command(
        &self,
        items: Vec<CatalogItem>,
        create_only: bool,
        actor: &Actor,
    ) -> Result<usize, WriteError> {
        self.ask(|reply| Command::Catalog {
            items,
            create_only,
            actor: actor.clone(),
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// Commits OKR-cycle writes (periods, targets, criteria), all or nothing; returns how many
    /// changes were written.
    pub async fn cycle(
        &self,
        items: Vec<crate::ingest::cycle::CycleItem>,
        actor: &Actor,
    ) -> Result<usize, WriteError> {
        self.ask(|reply| Command::Cycle {
            items,
            actor: actor.clone(),
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// Commits a change of the notification settings with its audit entry.
    pub async fn notify(&self, write: NotifyWrite, draft: Draft) -> Result<(), WriteError> {
        self.ask(|reply| Command::Notify {
            write,
            draft,
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// Makes or changes a task template, checked like an assignment, with its audit entry;
    /// answers the template as kept.
    pub async fn template(
        &self,
        write: crate::ingest::templates::TemplateWrite,
        actor: &Actor,
    ) -> Result<crate::domain::template::TaskTemplate, WriteError> {
        self.ask(|reply| Command::Template {
            write,
            actor: actor.clone(),
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// Catalog entries and events as one change: all planned against the catalog as it is,
    /// committed in one transaction with an audit entry per change, or nothing. A refused item's
    /// `index` counts `items` first, then `events`. A dry run plans and answers without writing.
    pub async fn import(
        &self,
        items: Vec<CatalogItem>,
        events: Vec<Event>,
        actor: &Actor,
        dry_run: bool,
    ) -> Result<ImportCounts, WriteError> {
        self.ask(|reply| Command::Import {
            items,
            events,
            actor: actor.clone(),
            dry_run,
            reply,
        })
        .await
        .unwrap_or(Err(WriteError::Closed))
    }

    /// Moves the clock to `now` (never backwards) and waits until it is applied.
    pub async fn tick(&self, now: Ts) -> Result<(), WriteError> {
        self.ask(|reply| Command::Tick {
            now,
            reply: Some(reply),
        })
        .await
        .ok_or(WriteError::Closed)
    }

    /// Queues a command and waits for its answer; `None` when the writer has stopped.
    async fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(command(reply)).await.ok()?;
        rx.await.ok()
    }

    /// Fire-and-forget tick for the clock task: a tick that finds the queue full is dropped,
    /// the next one carries a later time anyway.
    pub fn try_tick(&self, now: Ts) {
        let _ = self.tx.try_send(Command::Tick { now, reply: None });
    }
}

impl From<ItemError> for WriteError {
    fn from(e: ItemError) -> Self {
        WriteError::Invalid(e)
    }
}

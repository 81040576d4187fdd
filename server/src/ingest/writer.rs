//! The single writer task: every change to the store passes through it. It takes what is
//! waiting in its queue as one group, checks each request against the catalog, merges task and
//! key-result updates last-writer-wins by their `at` time, commits the group in one transaction
//! (group commit), applies the committed changes to the rollup, publishes them on the bus and
//! only then answers each request: an answer means durable, and the next read sees it.
//!
//! One writer keeps merges free of races without row locks. Requests queue on a bounded channel
//! so a flood of ingest waits at the HTTP edge instead of growing memory.

use super::catalog::CatalogItem;
use super::event::{Event, EventBody, TaskPatch};
use super::ItemError;
use crate::audit::{changed_fields, Draft, Head};
use crate::auth::registry::SecurityWrite;
use crate::auth::{access, Actor, Auth, Denied};
use crate::domain::{
    time::now_ms, Change, Id, KeyResult, Observation, PeriodState, Rating, Task, TaskStatus,
    TaskVersions, Ts, MAX_KEY_RESULTS,
};
use crate::live::{AlertFeed, Touched};
use crate::rollup::Rollup;
use crate::rules::{AlertWrites, Alerting};
use crate::store::{EventRecord, Store, StoreError};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot};
use utoipa::ToSchema;

/// Most events committed in one transaction; more waiting requests go in the next group.
const GROUP_MAX_EVENTS: usize = 20_000;
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

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{0}")]
    NotFound(String),
    #[error("alerting is not running on this node")]
    Disabled,
    #[error("the store refused the write")]
    Store(#[from] StoreError),
    #[error("the writer has stopped")]
    Closed,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Conflict(String),
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

/// A batch of committed changes, as published on the bus.
#[derive(Debug, Clone)]
pub struct Committed {
    pub changes: Vec<Change>,
    /// The rollup's commit number after this batch.
    pub commit: u64,
    /// What the batch changed, for the live views.
    pub touched: crate::live::Touched,
}

/// What people do to alerts, through the writer so it is ordered with everything else.
pub enum AlertAction {
    Acknowledge {
        rule: String,
        subject: String,
        by: String,
        comment: Option<String>,
    },
    Assign {
        rule: String,
        subject: String,
        person: String,
        by: String,
    },
    Silence(crate::store::SilenceRow),
    ReloadRules(alert_rules::RuleSet),
}

/// How a request's events are recorded in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuditDetail {
    /// One entry per change, with the fields' old and new values.
    Each,
    /// One entry for the whole request (the demo seed: a hundred thousand generated tasks).
    Batch,
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
        write: SecurityWrite,
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
        items: Vec<super::cycle::CycleItem>,
        actor: Actor,
        reply: oneshot::Sender<Result<usize, WriteError>>,
    },
    Tick {
        now: Ts,
        reply: Option<oneshot::Sender<()>>,
    },
}

impl Command {
    fn events(&self) -> usize {
        match self {
            Command::Events { events, .. } => events.len(),
            Command::Catalog { items, .. } => items.len(),
            Command::Cycle { items, .. } => items.len(),
            Command::Tick { .. } | Command::Alert { .. } | Command::Security { .. } => 1,
        }
    }
}

/// A cheap, cloneable way to reach the writer.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Command>,
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
        )
    }

    /// As `spawn`, with the rule engine evaluated after every apply.
    pub fn spawn_with_alerting(
        store: Arc<dyn Store>,
        rollup: Arc<Rollup>,
        bus: broadcast::Sender<Arc<Committed>>,
        alerting: Option<Alerting>,
        feed: Arc<AlertFeed>,
        auth: Auth,
        audit: Head,
    ) -> (Writer, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(
            WriterTask {
                store,
                rollup,
                bus,
                rx,
                alerting,
                feed,
                auth,
                audit,
            }
            .run(),
        );
        (Writer { tx }, task)
    }

    /// Acknowledges, assigns, silences or reloads rules.
    pub async fn alert(
        &self,
        action: AlertAction,
        actor: &Actor,
    ) -> Result<Option<i64>, AlertError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Alert {
                action,
                actor: actor.clone(),
                reply,
            })
            .await
            .map_err(|_| AlertError::Closed)?;
        rx.await.map_err(|_| AlertError::Closed)?
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
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Events {
                events,
                actor,
                detail,
                reply,
            })
            .await
            .map_err(|_| WriteError::Closed)?;
        rx.await.map_err(|_| WriteError::Closed)?
    }

    /// Commits an account, session or token change with its audit entry, then applies it to
    /// the node's registry.
    pub async fn security(&self, write: SecurityWrite, draft: Draft) -> Result<(), WriteError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Security {
                write,
                draft,
                reply,
            })
            .await
            .map_err(|_| WriteError::Closed)?;
        rx.await.map_err(|_| WriteError::Closed)?
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
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Catalog {
                items,
                create_only,
                actor: actor.clone(),
                reply,
            })
            .await
            .map_err(|_| WriteError::Closed)?;
        rx.await.map_err(|_| WriteError::Closed)?
    }

    /// Commits OKR-cycle writes (periods, targets, criteria), all or nothing; returns how many
    /// changes were written.
    pub async fn cycle(
        &self,
        items: Vec<super::cycle::CycleItem>,
        actor: &Actor,
    ) -> Result<usize, WriteError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Cycle {
                items,
                actor: actor.clone(),
                reply,
            })
            .await
            .map_err(|_| WriteError::Closed)?;
        rx.await.map_err(|_| WriteError::Closed)?
    }

    /// Moves the clock to `now` (never backwards) and waits until it is applied.
    pub async fn tick(&self, now: Ts) -> Result<(), WriteError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Tick {
                now,
                reply: Some(reply),
            })
            .await
            .map_err(|_| WriteError::Closed)?;
        rx.await.map_err(|_| WriteError::Closed)
    }

    /// Fire-and-forget tick for the clock task: a tick that finds the queue full is dropped,
    /// the next one carries a later time anyway.
    pub fn try_tick(&self, now: Ts) {
        let _ = self.tx.try_send(Command::Tick { now, reply: None });
    }
}

struct WriterTask {
    store: Arc<dyn Store>,
    rollup: Arc<Rollup>,
    bus: broadcast::Sender<Arc<Committed>>,
    rx: mpsc::Receiver<Command>,
    alerting: Option<Alerting>,
    /// Alert-history entries with their ids, for the live feed.
    feed: Arc<AlertFeed>,
    /// Accounts, sessions and tokens, changed here after their commit.
    auth: Auth,
    /// The audit chain's head; entries are chained here, in commit order.
    audit: Head,
}

/// Entities changed by requests earlier in the current group, not yet in the rollup.
#[derive(Default)]
struct Overlay {
    tasks: HashMap<Id, Task>,
    key_results: HashMap<Id, KeyResult>,
    /// Newest observation per (kpi, unit, period) within the group: its time and value.
    observations: HashMap<(Id, Id, String), (Ts, f64)>,
    seen: HashSet<Id>,
}

struct Pending {
    changes: Vec<Change>,
    records: Vec<EventRecord>,
    audit: Vec<crate::audit::Entry>,
    replies: Vec<(
        oneshot::Sender<Result<IngestReport, WriteError>>,
        IngestReport,
    )>,
    tick_replies: Vec<oneshot::Sender<()>>,
}

impl WriterTask {
    async fn run(mut self) {
        while let Some(first) = self.rx.recv().await {
            let mut n = first.events();
            let mut group = vec![first];
            while n < GROUP_MAX_EVENTS {
                match self.rx.try_recv() {
                    Ok(c) => {
                        n += c.events();
                        group.push(c);
                    }
                    Err(_) => break,
                }
            }
            self.process(group).await;
        }
        tracing::info!("writer stopped: queue drained");
    }

    async fn process(&mut self, group: Vec<Command>) {
        let mut batch: Vec<Command> = Vec::new();
        for cmd in group {
            match cmd {
                Command::Alert {
                    action,
                    actor,
                    reply,
                } => {
                    self.commit_events(std::mem::take(&mut batch)).await;
                    let _ = reply.send(self.alert_action(action, &actor).await);
                }
                Command::Catalog {
                    items,
                    create_only,
                    actor,
                    reply,
                } => {
                    // Catalog changes are rare and reshape what events are checked against:
                    // commit what came before, then the catalog change on its own.
                    self.commit_events(std::mem::take(&mut batch)).await;
                    let result = self.commit_catalog(items, create_only, &actor).await;
                    let _ = reply.send(result);
                }
                Command::Security {
                    write,
                    draft,
                    reply,
                } => {
                    self.commit_events(std::mem::take(&mut batch)).await;
                    let _ = reply.send(self.commit_security(write, draft).await);
                }
                Command::Cycle {
                    items,
                    actor,
                    reply,
                } => {
                    self.commit_events(std::mem::take(&mut batch)).await;
                    let _ = reply.send(self.commit_cycle(items, &actor).await);
                }
                other => batch.push(other),
            }
        }
        self.commit_events(batch).await;
    }

    async fn commit_events(&mut self, cmds: Vec<Command>) {
        if cmds.is_empty() {
            return;
        }
        let ids: Vec<Id> = cmds
            .iter()
            .filter_map(|c| match c {
                Command::Events { events, .. } => Some(events.iter().map(|e| e.id.clone())),
                _ => None,
            })
            .flatten()
            .collect();
        let checking = std::time::Instant::now();
        let existing = if ids.is_empty() {
            HashSet::new()
        } else {
            match self.store.existing_event_ids(&ids).await {
                Ok(x) => x,
                Err(e) => {
                    tracing::error!(error = %e, "checking event ids failed; group refused");
                    fail_all(cmds, e);
                    return;
                }
            }
        };
        let dedup_time = checking.elapsed();
        let received_at = now_ms();
        let planning = std::time::Instant::now();
        let mut overlay = Overlay::default();
        let mut pending = Pending {
            changes: Vec::new(),
            records: Vec::new(),
            audit: Vec::new(),
            replies: Vec::new(),
            tick_replies: Vec::new(),
        };
        // The group's entries chain after the head; it moves only if the group commits.
        let mut next = self.audit.clone();
        for cmd in cmds {
            match cmd {
                Command::Events {
                    events,
                    actor,
                    detail,
                    reply,
                } => {
                    let planned = plan_events(
                        &events,
                        &self.rollup,
                        &mut overlay,
                        &existing,
                        &actor,
                        detail,
                    );
                    match planned {
                        Ok((changes, report, drafts)) => {
                            pending
                                .audit
                                .extend(drafts.into_iter().map(|d| next.append(d)));
                            if detail == AuditDetail::Batch && report.accepted > 0 {
                                let draft = batch_draft(&actor, &events, &report);
                                pending.audit.push(next.append(draft));
                            }
                            let dup: HashSet<&str> =
                                report.duplicate_ids.iter().map(|s| s.as_str()).collect();
                            // The request is done with its events: move their text into the log.
                            for e in events {
                                if !dup.contains(&*e.id) {
                                    pending.records.push(EventRecord {
                                        kind: e.body.kind().to_string(),
                                        entity: e.body.entity(),
                                        id: e.id,
                                        at: e.at,
                                        received_at,
                                        body: e.raw,
                                    });
                                }
                            }
                            pending.changes.extend(changes);
                            pending.replies.push((reply, report));
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    }
                }
                Command::Tick { now, reply } => {
                    pending.changes.push(Change::Clock(now));
                    pending.tick_replies.extend(reply);
                }
                Command::Catalog { .. }
                | Command::Alert { .. }
                | Command::Security { .. }
                | Command::Cycle { .. } => {
                    unreachable!("split off in process")
                }
            }
        }
        let plan_time = planning.elapsed();
        let committing = std::time::Instant::now();
        if let Err(e) = self
            .store
            .commit(&pending.records, &pending.changes, &pending.audit)
            .await
        {
            tracing::error!(error = %e, events = pending.records.len(), "commit failed; nothing applied");
            for (reply, _) in pending.replies {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            return;
        }
        let commit_time = committing.elapsed();
        self.audit = next;
        metrics::counter!("ioc_events_committed_total").increment(pending.records.len() as u64);
        metrics::counter!("ioc_commits_total").increment(1);
        metrics::histogram!("ioc_commit_seconds").record(commit_time.as_secs_f64());
        let applying = std::time::Instant::now();
        let commit = self.publish(pending.changes).await;
        tracing::debug!(
            events = pending.records.len(),
            dedup_us = dedup_time.as_micros() as u64,
            plan_us = plan_time.as_micros() as u64,
            commit_us = commit_time.as_micros() as u64,
            apply_us = applying.elapsed().as_micros() as u64,
            "group committed"
        );
        for (reply, mut report) in pending.replies {
            report.commit = commit;
            metrics::counter!("ioc_events_duplicate_total").increment(report.duplicates as u64);
            let _ = reply.send(Ok(report));
        }
        for r in pending.tick_replies {
            let _ = r.send(());
        }
    }

    /// Applies committed changes, evaluates the rules on what they changed (the same step, so an
    /// alert fires with the event that crossed its threshold), then publishes them.
    async fn publish(&mut self, changes: Vec<Change>) -> u64 {
        if changes.is_empty() {
            return self.rollup.commit();
        }
        let applying = std::time::Instant::now();
        let touched = Touched::of(&changes, &self.rollup);
        if let Some(a) = &mut self.alerting {
            a.before_apply(&touched);
        }
        let commit = self.rollup.apply(&changes);
        if let Some(a) = &mut self.alerting {
            let writes = a.after_apply(&changes, &self.rollup);
            let transitions = writes.history.len();
            self.save_alerts(writes).await;
            if transitions > 0 {
                // From the apply of the batch to its alerts being recorded in the store.
                metrics::histogram!("ioc_alert_apply_to_record_seconds")
                    .record(applying.elapsed().as_secs_f64());
            }
        }
        // No subscriber yet is fine: the bus is for live views and other nodes.
        let _ = self.bus.send(Arc::new(Committed {
            changes,
            commit,
            touched,
        }));
        commit
    }

    /// Alert rows are written after the events they follow from; if this write fails the alerts
    /// are derived again from the committed data at the next start, so nothing is lost. Only
    /// committed history reaches the live feed, so every id a screen sees is in the store.
    async fn save_alerts(&self, w: AlertWrites) {
        if w.is_empty() {
            return;
        }
        match self
            .store
            .save_alerts(&w.upserts, &w.deletes, &w.history, &[])
            .await
        {
            Ok(seqs) => self.feed.append(&w.history, &seqs),
            Err(e) => {
                tracing::error!(error = %e, "saving alert transitions failed; they will be derived again at start")
            }
        }
    }

    async fn alert_action(
        &mut self,
        action: AlertAction,
        actor: &Actor,
    ) -> Result<Option<i64>, AlertError> {
        let now = self.rollup.now();
        let Some(alerting) = &mut self.alerting else {
            return Err(AlertError::Disabled);
        };
        let draft = |action: &str, entity: String, unit: Option<String>, new: serde_json::Value| {
            Draft::new(actor, action, entity, unit, None, Some(new))
        };
        let (writes, draft) = match action {
            AlertAction::Acknowledge {
                rule,
                subject,
                by,
                comment,
            } => {
                let w = alerting
                    .acknowledge(&rule, &subject, &by, comment.clone(), now)
                    .map_err(AlertError::NotFound)?;
                let unit = w.upserts.first().map(|a| a.unit.clone());
                let d = draft(
                    "alert.acknowledge",
                    format!("alert:{rule}/{subject}"),
                    unit,
                    serde_json::json!({"acknowledged_by": by, "comment": comment}),
                );
                (w, d)
            }
            AlertAction::Assign {
                rule,
                subject,
                person,
                by,
            } => {
                let w = alerting
                    .assign(&rule, &subject, &person, &by, now)
                    .map_err(AlertError::NotFound)?;
                let unit = w.upserts.first().map(|a| a.unit.clone());
                let d = draft(
                    "alert.assign",
                    format!("alert:{rule}/{subject}"),
                    unit,
                    serde_json::json!({"assigned_to": person, "by": by}),
                );
                (w, d)
            }
            AlertAction::Silence(mut s) => {
                let d = draft(
                    "alert.silence",
                    format!("silence:{}", s.rule.as_deref().unwrap_or("*")),
                    s.unit.clone(),
                    serde_json::json!({"rule": s.rule, "unit": s.unit, "until": crate::domain::time::format_ts(s.until), "reason": s.reason, "by": s.created_by}),
                );
                let (next, entries) = self.audit.chain([d]);
                s.id = self.store.add_silence(&s, &entries).await?;
                self.audit = next;
                let id = s.id;
                alerting.add_silence(s);
                return Ok(Some(id));
            }
            AlertAction::ReloadRules(rules) => {
                let n = rules.rules().count();
                let w = alerting.set_rules(rules, &self.rollup);
                let d = draft(
                    "rules.reload",
                    "rules".into(),
                    None,
                    serde_json::json!({"rules": n}),
                );
                (w, d)
            }
        };
        let (next, entries) = self.audit.chain([draft]);
        let seqs = self
            .store
            .save_alerts(&writes.upserts, &writes.deletes, &writes.history, &entries)
            .await?;
        self.audit = next;
        self.feed.append(&writes.history, &seqs);
        // Nothing was applied, but the live feed has news: wake the hub.
        let _ = self.bus.send(Arc::new(Committed {
            changes: Vec::new(),
            commit: self.rollup.commit(),
            touched: Touched::default(),
        }));
        Ok(None)
    }

    async fn commit_catalog(
        &mut self,
        items: Vec<CatalogItem>,
        create_only: bool,
        actor: &Actor,
    ) -> Result<usize, WriteError> {
        if create_only {
            if let Some(id) = items.iter().find_map(|i| existing_id(i, &self.rollup)) {
                return Err(WriteError::Conflict(format!(
                    "'{id}' exists already; PUT replaces it"
                )));
            }
        }
        let mut drafts = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let (what, units, before, after, unit) = catalog_audit(item, &self.rollup);
            let units: Vec<Option<&str>> = units.iter().map(|u| u.as_deref()).collect();
            access::catalog(&actor.principal, &self.rollup, &what, &units)
                .map_err(|d| WriteError::Forbidden(denied(d, "").at(i)))?;
            let (old, new) = changed_fields(before.as_ref(), Some(&after));
            let action = if before.is_some() {
                "catalog.replace"
            } else {
                "catalog.create"
            };
            drafts.push(Draft::new(actor, action, what, unit, old, new));
        }
        let changes = plan_catalog(&items, &self.rollup).map_err(WriteError::Invalid)?;
        let (next, entries) = self.audit.chain(drafts);
        self.store.commit(&[], &changes, &entries).await?;
        self.audit = next;
        let n = changes.len();
        self.publish(changes).await;
        Ok(n)
    }

    async fn commit_cycle(
        &mut self,
        items: Vec<super::cycle::CycleItem>,
        actor: &Actor,
    ) -> Result<usize, WriteError> {
        let (changes, drafts) = super::cycle::plan(&items, &self.rollup, actor, self.rollup.now())?;
        let (next, entries) = self.audit.chain(drafts);
        self.store.commit(&[], &changes, &entries).await?;
        self.audit = next;
        let n = changes.len();
        self.publish(changes).await;
        Ok(n)
    }

    async fn commit_security(&mut self, write: SecurityWrite, d: Draft) -> Result<(), WriteError> {
        let (next, entries) = self.audit.chain([d]);
        self.store.save_security(&write, &entries[0]).await?;
        self.audit = next;
        self.auth.apply(&write);
        Ok(())
    }
}

/// The id of a catalog entry that exists already, if it does.
fn existing_id(item: &CatalogItem, rollup: &Rollup) -> Option<Id> {
    match item {
        CatalogItem::Unit(u) => rollup.unit(&u.id).map(|_| u.id.clone()),
        CatalogItem::Person(p) => rollup.person(&p.id).map(|_| p.id.clone()),
        CatalogItem::Kpi(k) => rollup.with_kpi(&k.code, |_| k.code.clone()),
        CatalogItem::Objective(o) => rollup.objective(&o.id).map(|_| o.id.clone()),
        CatalogItem::KeyResult(k, _) => rollup.key_result(&k.id).map(|_| k.id.clone()),
    }
}

fn fail_all(cmds: Vec<Command>, e: StoreError) {
    for c in cmds {
        match c {
            Command::Events { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Catalog { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Alert { reply, .. } => {
                let _ = reply.send(Err(AlertError::Store(e.clone())));
            }
            Command::Security { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Cycle { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Tick { .. } => {}
        }
    }
}

/// Checks one request against the catalog and merges it; on error nothing of it is kept.
fn plan_events(
    events: &[Event],
    rollup: &Rollup,
    overlay: &mut Overlay,
    existing: &HashSet<Id>,
    actor: &Actor,
    detail: AuditDetail,
) -> Result<(Vec<Change>, IngestReport, Vec<Draft>), WriteError> {
    let who = &actor.principal;
    // Per-change entries only when they are kept: the seed's requests get one entry each.
    let each = detail == AuditDetail::Each;
    let mut drafts = Vec::new();
    // Work on a request-local layer so a bad item leaves the group's overlay untouched.
    let mut tasks: HashMap<Id, Task> = HashMap::new();
    let mut krs: HashMap<Id, KeyResult> = HashMap::new();
    let mut obs: HashMap<(Id, Id, String), (Ts, f64)> = HashMap::new();
    let mut seen: HashSet<Id> = HashSet::new();
    let mut changes = Vec::with_capacity(events.len());
    let mut report = IngestReport {
        accepted: 0,
        duplicates: 0,
        duplicate_ids: Vec::new(),
        commit: 0,
    };
    for (i, e) in events.iter().enumerate() {
        let mut derived: Vec<Change> = Vec::new();
        let dup =
            existing.contains(&e.id) || overlay.seen.contains(&e.id) || !seen.insert(e.id.clone());
        // A duplicate is still checked: a replay must be as valid as the original was.
        let change = match &e.body {
            EventBody::Task(patch) => {
                let current = tasks
                    .get(&patch.task_id)
                    .cloned()
                    .or_else(|| overlay.tasks.get(&patch.task_id).cloned())
                    .or_else(|| rollup.task(&patch.task_id));
                let merged =
                    merge_task(current.as_ref(), patch, e.at, rollup).map_err(|err| err.at(i))?;
                let (touch, field) = task_touch(patch);
                if let Some(after) = merged.as_ref().or(current.as_ref()) {
                    access::task_change(who, rollup, current.as_ref(), after, touch)
                        .map_err(|d| WriteError::Forbidden(denied(d, field).at(i)))?;
                }
                if let (false, true, Some(after)) = (dup, each, &merged) {
                    let (old, new) = changed_fields(
                        current.as_ref().map(task_json).as_ref(),
                        Some(&task_json(after)),
                    );
                    let action = if current.is_some() {
                        "task.change"
                    } else {
                        "task.create"
                    };
                    drafts.push(Draft::new(
                        actor,
                        action,
                        format!("task:{}", after.id),
                        Some(after.unit.to_string()),
                        old,
                        new,
                    ));
                }
                merged
                    .inspect(|t| {
                        if !dup {
                            tasks.insert(t.id.clone(), t.clone());
                        }
                    })
                    .map(Change::Task)
            }
            EventBody::KrCheckin {
                key_result,
                value,
                confidence,
                by,
            } => {
                let current = krs
                    .get(key_result)
                    .cloned()
                    .or_else(|| overlay.key_results.get(key_result).cloned())
                    .or_else(|| rollup.key_result(key_result))
                    .ok_or_else(|| {
                        ItemError::new("key_result", format!("unknown key result '{key_result}'"))
                            .at(i)
                    })?;
                if let Some(by) = by {
                    if rollup.person(by).is_none() {
                        return Err(ItemError::new("by", format!("unknown person '{by}'"))
                            .at(i)
                            .into());
                    }
                }
                let objective = rollup.objective(&current.objective);
                if objective.is_none() && !matches!(who, crate::auth::Principal::System(_)) {
                    return Err(WriteError::Forbidden(
                        ItemError::new("key_result", format!("key result '{key_result}' has no objective, so nobody answers for it")).at(i),
                    ));
                }
                if let Some(o) = objective {
                    let cycle = access::period_write(
                        who,
                        rollup,
                        &o.period,
                        &o.unit,
                        "a key-result check-in",
                    )
                    .map_err(|d| WriteError::Forbidden(denied(d, "key_result").at(i)))?;
                    if let Some((PeriodState::Planning, planned)) = rollup.cycle_state(&o.period) {
                        return Err(ItemError::new(
                            "key_result",
                            format!("period {planned} is still being planned: check-ins of key result '{key_result}' open when it is active"),
                        )
                        .at(i)
                        .into());
                    }
                    if cycle == access::PeriodWrite::Open {
                        access::kr_checkin(who, rollup, key_result, &o.unit, o.owner.as_ref())
                            .map_err(|d| WriteError::Forbidden(denied(d, "key_result").at(i)))?;
                    }
                    if each && !dup && e.at >= current.current_at {
                        drafts.push(Draft::new(
                            actor,
                            "key_result.checkin",
                            format!("key_result:{key_result}"),
                            Some(o.unit.to_string()),
                            Some(serde_json::json!({"value": current.current, "confidence": current.confidence})),
                            Some(serde_json::json!({"value": value, "confidence": confidence})),
                        ));
                    }
                }
                if e.at >= current.current_at {
                    let mut kr = current;
                    kr.current = *value;
                    kr.confidence = *confidence;
                    kr.current_at = e.at;
                    if !dup {
                        krs.insert(kr.id.clone(), kr.clone());
                    }
                    Some(Change::KeyResult(kr))
                } else {
                    None
                }
            }
            EventBody::Observation {
                kpi,
                unit,
                period,
                value,
                source,
                entered_by,
            } => {
                let (frequency, measured, leading, computed) = rollup
                    .with_kpi(kpi, |k| {
                        (
                            k.frequency,
                            k.measures(unit),
                            k.leading_unit.clone(),
                            k.expression.as_ref().map(|f| f.text().to_string()),
                        )
                    })
                    .ok_or_else(|| ItemError::new("kpi", format!("unknown KPI '{kpi}'")).at(i))?;
                if let Some(f) = computed {
                    return Err(ItemError::new(
                        "kpi",
                        format!("KPI '{kpi}' is computed by its formula {f}: send the values of its inputs"),
                    )
                    .at(i)
                    .into());
                }
                if rollup.unit(unit).is_none() {
                    return Err(ItemError::new("unit", format!("unknown unit '{unit}'"))
                        .at(i)
                        .into());
                }
                if !measured {
                    return Err(ItemError::new(
                        "unit",
                        format!("KPI '{kpi}' is not measured for unit '{unit}'"),
                    )
                    .at(i)
                    .into());
                }
                if period.kind != frequency.period_kind() {
                    return Err(ItemError::new(
                        "period",
                        format!(
                            "KPI '{kpi}' is reported {}; '{period}' is not such a period",
                            frequency.as_str()
                        ),
                    )
                    .at(i)
                    .into());
                }
                if let Some(p) = entered_by {
                    if rollup.person(p).is_none() {
                        return Err(
                            ItemError::new("entered_by", format!("unknown person '{p}'"))
                                .at(i)
                                .into(),
                        );
                    }
                }
                let cycle = access::period_write(who, rollup, period, unit, "a KPI value")
                    .map_err(|d| WriteError::Forbidden(denied(d, "period").at(i)))?;
                if cycle == access::PeriodWrite::Open {
                    access::kpi_value(who, rollup, kpi, &leading, unit)
                        .map_err(|d| WriteError::Forbidden(denied(d, "kpi").at(i)))?;
                }
                if each && !dup {
                    let old = rollup
                        .latest_observation(kpi, unit)
                        .filter(|o| o.period == *period)
                        .map(|o| serde_json::json!({"value": o.value}));
                    drafts.push(Draft::new(
                        actor,
                        "kpi.value",
                        format!("kpi:{kpi}@{unit}/{}", period.label()),
                        Some(unit.to_string()),
                        old,
                        Some(serde_json::json!({"value": value, "source": source, "entered_by": entered_by.as_deref()})),
                    ));
                }
                // Within the group the newest entry of a period wins; the store applies the same
                // rule against what it holds, and the rollup against the series' current value.
                let key = (kpi.clone(), unit.clone(), period.label().to_string());
                let newest = obs
                    .get(&key)
                    .or_else(|| overlay.observations.get(&key))
                    .copied();
                if newest.is_some_and(|(t, _)| e.at < t) {
                    None
                } else {
                    let o = Observation {
                        kpi: kpi.clone(),
                        unit: unit.clone(),
                        period: period.clone(),
                        value: *value,
                        source: source.clone(),
                        entered_by: entered_by.clone(),
                        at: e.at,
                    };
                    if !dup {
                        obs.insert(key, (e.at, *value));
                        let computed =
                            super::formulas::derive(&o, rollup, &mut obs, &overlay.observations);
                        for c in &computed {
                            if each {
                                drafts.push(Draft::new(
                                    actor,
                                    "kpi.computed",
                                    format!("kpi:{}@{}/{}", c.kpi, c.unit, c.period.label()),
                                    Some(c.unit.to_string()),
                                    None,
                                    Some(serde_json::json!({"value": c.value, "source": c.source})),
                                ));
                            }
                        }
                        derived.extend(computed.into_iter().map(Change::Observation));
                    }
                    Some(Change::Observation(o))
                }
            }
            EventBody::Rating {
                unit,
                service,
                score,
            } => {
                if rollup.unit(unit).is_none() {
                    return Err(ItemError::new("unit", format!("unknown unit '{unit}'"))
                        .at(i)
                        .into());
                }
                access::rating(who, rollup, unit)
                    .map_err(|d| WriteError::Forbidden(denied(d, "unit").at(i)))?;
                if each && !dup {
                    drafts.push(Draft::new(
                        actor,
                        "rating.add",
                        format!("rating:{unit}"),
                        Some(unit.to_string()),
                        None,
                        Some(serde_json::json!({"service": service, "score": score})),
                    ));
                }
                Some(Change::Rating(Rating {
                    event_id: e.id.clone(),
                    unit: unit.clone(),
                    service: service.clone(),
                    score: *score,
                    at: e.at,
                }))
            }
        };
        if dup {
            report.duplicates += 1;
            report.duplicate_ids.push(e.id.to_string());
        } else {
            report.accepted += 1;
            changes.extend(change);
            changes.append(&mut derived);
        }
    }
    overlay.tasks.extend(tasks);
    overlay.key_results.extend(krs);
    overlay.observations.extend(obs);
    overlay.seen.extend(seen);
    Ok((changes, report, drafts))
}

impl From<ItemError> for WriteError {
    fn from(e: ItemError) -> Self {
        WriteError::Invalid(e)
    }
}

/// One entry for a whole seeded request: how many events, of which kinds, first and last id.
fn batch_draft(actor: &Actor, events: &[Event], report: &IngestReport) -> Draft {
    let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in events {
        *kinds.entry(e.body.kind()).or_default() += 1;
    }
    Draft::new(
        actor,
        "events.seed",
        format!(
            "events:{}..{}",
            events.first().map_or("", |e| &*e.id),
            events.last().map_or("", |e| &*e.id)
        ),
        None,
        None,
        Some(serde_json::json!({"accepted": report.accepted, "kinds": kinds})),
    )
}

fn denied(d: Denied, field: &str) -> ItemError {
    match d {
        Denied::Forbidden(m) | Denied::NotFound(m) => ItemError::new(field, m),
    }
}

/// Which parts of a task an event touches, and the field a refusal names.
fn task_touch(p: &TaskPatch) -> (access::TaskTouch, &'static str) {
    let touch = access::TaskTouch {
        plan_or_assignment: p.plan.is_some() || p.assignment.is_some(),
        progress: p.progress.is_some(),
        status: p.status.as_ref().map(|s| s.status),
        quality: p.status.as_ref().is_some_and(|s| s.quality.is_some()),
    };
    let field = if touch.quality {
        "quality"
    } else if touch.status.is_some() {
        "status"
    } else if touch.progress {
        "progress"
    } else if p.assignment.is_some() {
        "responsible"
    } else {
        "title"
    };
    (touch, field)
}

/// A task as the audit trail records it (the fields people change).
fn task_json(t: &Task) -> serde_json::Value {
    use crate::domain::time::format_ts;
    serde_json::json!({
        "title": t.title,
        "unit": &*t.unit,
        "responsible": &*t.responsible,
        "accountable": t.accountable.as_deref(),
        "consulted": t.consulted.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        "informed": t.informed.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        "key_result": t.key_result.as_deref(),
        "start": t.start.map(format_ts),
        "deadline": format_ts(t.deadline),
        "expected_output": t.expected_output,
        "progress": t.progress as f64 / 100.0,
        "status": t.status.as_str(),
        "quality": t.quality,
    })
}

/// For a catalog entry: its audit name, the units whose admin may change it (`None`: the top
/// of the tree), its JSON before and after, and the unit its entry belongs to.
type CatalogAudit = (
    String,
    Vec<Option<String>>,
    Option<serde_json::Value>,
    serde_json::Value,
    Option<String>,
);

fn catalog_audit(item: &CatalogItem, rollup: &Rollup) -> CatalogAudit {
    use super::catalog::{KeyResultIn, KpiIn, ObjectiveIn, PersonIn, UnitIn};
    fn json<T: Serialize>(t: T) -> serde_json::Value {
        serde_json::to_value(t).unwrap_or_default()
    }
    let s = |id: &Id| Some(id.to_string());
    match item {
        CatalogItem::Unit(u) => {
            let old = rollup.unit(&u.id);
            let mut units = Vec::new();
            if let Some(o) = &old {
                units.push(s(&o.id));
            }
            if old.as_ref().map(|o| &o.parent) != Some(&u.parent) {
                units.push(u.parent.as_ref().and_then(s));
            }
            let before = old.as_ref().map(|o| json(UnitIn::from(o)));
            (
                format!("unit:{}", u.id),
                units,
                before,
                json(UnitIn::from(u)),
                s(&u.id),
            )
        }
        CatalogItem::Person(p) => {
            let old = rollup.person(&p.id);
            let mut units: Vec<_> = old.iter().map(|o| s(&o.unit)).collect();
            units.push(s(&p.unit));
            let before = old.as_ref().map(|o| json(PersonIn::from(o)));
            (
                format!("person:{}", p.id),
                units,
                before,
                json(PersonIn::from(p)),
                s(&p.unit),
            )
        }
        CatalogItem::Kpi(k) => {
            let old = rollup.kpi(&k.code);
            let mut units: Vec<_> = old.iter().map(|o| s(&o.leading_unit)).collect();
            units.push(s(&k.leading_unit));
            let before = old.as_ref().map(|o| json(KpiIn::from(o)));
            (
                format!("kpi:{}", k.code),
                units,
                before,
                json(KpiIn::from(k)),
                s(&k.leading_unit),
            )
        }
        CatalogItem::Objective(o) => {
            let old = rollup.objective(&o.id);
            let mut units: Vec<_> = old.iter().map(|x| s(&x.unit)).collect();
            units.push(s(&o.unit));
            let before = old.as_ref().map(|x| json(ObjectiveIn::from(x)));
            (
                format!("objective:{}", o.id),
                units,
                before,
                json(ObjectiveIn::from(o)),
                s(&o.unit),
            )
        }
        CatalogItem::KeyResult(kr, _) => {
            let unit = rollup.objective(&kr.objective).map(|o| o.unit.to_string());
            let old = rollup.key_result(&kr.id);
            // Where it is as well as where it goes: an admin elsewhere must not take it over.
            let mut units = vec![unit.clone()];
            if let Some(o) = &old {
                if o.objective != kr.objective {
                    units.push(rollup.objective(&o.objective).map(|x| x.unit.to_string()));
                }
            }
            let before = old.as_ref().map(|x| json(KeyResultIn::from(x)));
            // An objective not yet in the catalog: only an admin of the whole tree vouches.
            (
                format!("key_result:{}", kr.id),
                units,
                before,
                json(KeyResultIn::from(kr)),
                unit,
            )
        }
    }
}

fn check_person(rollup: &Rollup, field: &str, id: &Id) -> Result<(), ItemError> {
    match rollup.person(id) {
        Some(_) => Ok(()),
        None => Err(ItemError::new(field, format!("unknown person '{id}'"))),
    }
}

/// Applies a task event to the task's current state, group by group, last writer wins by `at`
/// (on equal times the later arrival wins). Returns `None` when nothing changes.
pub fn merge_task(
    current: Option<&Task>,
    p: &TaskPatch,
    at: Ts,
    rollup: &Rollup,
) -> Result<Option<Task>, ItemError> {
    let mut t = match current {
        Some(t) => t.clone(),
        None => {
            let plan = p.plan.as_ref();
            let title = plan.and_then(|x| x.title.clone());
            let deadline = plan.and_then(|x| x.deadline);
            let responsible = p.assignment.as_ref().and_then(|a| a.responsible.clone());
            let missing: Vec<&str> = [
                ("title", title.is_none()),
                ("responsible", responsible.is_none()),
                ("deadline", deadline.is_none()),
            ]
            .into_iter()
            .filter_map(|(f, m)| m.then_some(f))
            .collect();
            if let Some(first) = missing.first() {
                return Err(ItemError::new(
                    *first,
                    format!("task '{}' is new, so its first event must carry title, responsible and deadline (missing: {})", p.task_id, missing.join(", ")),
                ));
            }
            let responsible = responsible.expect("checked above");
            Task {
                id: p.task_id.clone(),
                title: title.expect("checked above"),
                unit: responsible.clone(),
                responsible,
                accountable: None,
                consulted: Vec::new(),
                informed: Vec::new(),
                key_result: None,
                start: None,
                deadline: deadline.expect("checked above"),
                expected_output: String::new(),
                progress: 0,
                status: TaskStatus::Todo,
                quality: None,
                submitted_at: None,
                done_at: None,
                versions: TaskVersions {
                    plan: i64::MIN,
                    assignment: i64::MIN,
                    progress: i64::MIN,
                    status: i64::MIN,
                },
            }
        }
    };
    let before = current.cloned();
    if let Some(plan) = &p.plan {
        if let Some(kr) = &plan.key_result {
            if rollup.key_result(kr).is_none() {
                return Err(ItemError::new(
                    "key_result",
                    format!("unknown key result '{kr}'"),
                ));
            }
        }
        if at >= t.versions.plan {
            if let Some(x) = &plan.title {
                t.title = x.clone();
            }
            if let Some(x) = &plan.key_result {
                t.key_result = Some(x.clone());
            }
            if let Some(x) = plan.start {
                t.start = Some(x);
            }
            if let Some(x) = plan.deadline {
                t.deadline = x;
            }
            if let Some(x) = &plan.expected_output {
                t.expected_output = x.clone();
            }
            t.versions.plan = at;
        }
    }
    if let Some(a) = &p.assignment {
        if let Some(r) = &a.responsible {
            check_person(rollup, "responsible", r)?;
        }
        if let Some(r) = &a.accountable {
            check_person(rollup, "accountable", r)?;
        }
        for (field, list) in [("consulted", &a.consulted), ("informed", &a.informed)] {
            for (i, id) in list.iter().flatten().enumerate() {
                check_person(rollup, &format!("{field}[{i}]"), id)?;
            }
        }
        if at >= t.versions.assignment {
            if let Some(r) = &a.responsible {
                t.responsible = r.clone();
            }
            if let Some(r) = &a.accountable {
                t.accountable = Some(r.clone());
            }
            if let Some(x) = &a.consulted {
                t.consulted = x.clone();
            }
            if let Some(x) = &a.informed {
                t.informed = x.clone();
            }
            t.versions.assignment = at;
        }
    }
    // The task belongs to its responsible person's unit.
    if before.as_ref().map(|b| &b.responsible) != Some(&t.responsible) {
        t.unit = rollup
            .person(&t.responsible)
            .map(|p| p.unit)
            .ok_or_else(|| {
                ItemError::new("responsible", format!("unknown person '{}'", t.responsible))
            })?;
    }
    if let Some(progress) = p.progress {
        if at >= t.versions.progress {
            t.progress = progress;
            t.versions.progress = at;
        }
    }
    if let Some(s) = &p.status {
        if at >= t.versions.status {
            t.status = s.status;
            if s.quality.is_some() {
                t.quality = s.quality;
            }
            match s.status {
                TaskStatus::Submitted => t.submitted_at = Some(at),
                TaskStatus::Accepted => t.done_at = Some(t.submitted_at.unwrap_or(at)),
                _ => t.done_at = None,
            }
            t.versions.status = at;
        }
    }
    if let Some(start) = t.start {
        if t.deadline < start {
            return Err(ItemError::new(
                "deadline",
                "would fall before the task's start",
            ));
        }
    }
    Ok((before.as_ref() != Some(&t)).then_some(t))
}

/// A computed KPI's formula uses KPIs that exist and are reported as often (a value is
/// computed per unit and period), never itself, directly or through others; a weighted roll-up
/// names a KPI that exists.
fn check_formula(
    k: &crate::domain::Kpi,
    batch: &HashMap<Id, crate::domain::Kpi>,
    rollup: &Rollup,
) -> Result<(), ItemError> {
    let frequency_of = |code: &str| {
        batch
            .get(code)
            .map(|x| x.frequency)
            .or_else(|| rollup.with_kpi(code, |x| x.frequency))
    };
    if let crate::domain::aggregate::RollupRule::WeightedMean { weight } = &k.rollup {
        if *weight != *k.code && frequency_of(weight).is_none() {
            return Err(ItemError::new(
                "rollup.weight",
                format!("unknown KPI '{weight}'"),
            ));
        }
    }
    // The KPIs computed from this one keep combining values of one period.
    for d in rollup.computed_from(&k.code) {
        let d_frequency = batch.get(&d.code).map_or(d.frequency, |x| x.frequency);
        if d_frequency != k.frequency {
            return Err(ItemError::new(
                "frequency",
                format!(
                    "'{}' is computed from '{}' and reported {}: change both together",
                    d.code,
                    k.code,
                    d_frequency.as_str()
                ),
            ));
        }
    }
    let Some(f) = &k.expression else {
        return Ok(());
    };
    // Cycles first: a formula naming its own KPI is about itself, not about an unknown input.
    let formulas_of = |code: &str| -> Option<Vec<Id>> {
        if code == &*k.code {
            return Some(f.inputs().to_vec());
        }
        match batch.get(code) {
            Some(x) => x.expression.as_ref().map(|g| g.inputs().to_vec()),
            None => rollup.formula_inputs(code),
        }
    };
    crate::domain::formula::check_cycles(&k.code, f.inputs(), formulas_of)
        .map_err(|e| ItemError::new("expression", e))?;
    for input in f.inputs() {
        match frequency_of(input) {
            None => {
                return Err(ItemError::new(
                    "expression",
                    format!("unknown KPI '{input}' in the formula"),
                ))
            }
            Some(freq) if freq != k.frequency => {
                return Err(ItemError::new(
                    "expression",
                    format!(
                        "'{input}' is reported {} but '{}' {}: a formula combines values of the same period",
                        freq.as_str(),
                        k.code,
                        k.frequency.as_str()
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Alignment follows the org tree and the calendar: an objective aligns to one of its own unit or
/// of a unit above, for a period containing its own, and never to one aligned below it.
fn check_alignment(
    o: &crate::domain::Objective,
    parent: &crate::domain::Objective,
    units: &HashMap<Id, Option<Id>>,
    objectives: &HashMap<Id, crate::domain::Objective>,
    rollup: &Rollup,
) -> Result<(), String> {
    if !chain_reaches(&o.unit, &parent.unit, |u| {
        batch_unit_parent(units, rollup, u)
    }) {
        return Err(format!(
            "objective '{}' belongs to unit '{}', which is neither '{}' nor above it: an objective aligns to one of its own unit or a unit above",
            parent.id, parent.unit, o.unit
        ));
    }
    if !parent.period.contains(&o.period) {
        return Err(format!(
            "objective '{}' is for {}, which does not contain {}",
            parent.id, parent.period, o.period
        ));
    }
    let objective_parent = |id: &Id| match objectives.get(id) {
        Some(x) => x.parent.clone(),
        None => rollup.objective(id).and_then(|x| x.parent),
    };
    if chain_reaches(&parent.id, &o.id, objective_parent) {
        return Err(format!(
            "objective '{}' is aligned below '{}': that would make a cycle",
            parent.id, o.id
        ));
    }
    Ok(())
}

/// A unit's parent as this batch leaves it (the batch first, then the catalog).
fn batch_unit_parent(units: &HashMap<Id, Option<Id>>, rollup: &Rollup, u: &Id) -> Option<Id> {
    match units.get(u) {
        Some(p) => p.clone(),
        None => rollup.unit(u).and_then(|x| x.parent),
    }
}

/// Whether walking up from `start` by `parent_of` reaches `target` (`start` itself included).
/// Bounded: a catalog deeper than 64 levels, or a cycle that slipped in, ends the walk.
fn chain_reaches(start: &Id, target: &Id, parent_of: impl Fn(&Id) -> Option<Id>) -> bool {
    let mut cur = Some(start.clone());
    for _ in 0..64 {
        let Some(c) = cur else { return false };
        if c == *target {
            return true;
        }
        cur = parent_of(&c);
    }
    false
}

/// Checks catalog entries against the catalog (and each other) and turns them into changes.
fn plan_catalog(items: &[CatalogItem], rollup: &Rollup) -> Result<Vec<Change>, ItemError> {
    let mut units: HashMap<Id, Option<Id>> = HashMap::new();
    let mut people: HashSet<Id> = HashSet::new();
    // Objectives of this batch, so later entries can align to them and key results find them.
    let mut objectives: HashMap<Id, crate::domain::Objective> = HashMap::new();
    let mut new_krs: HashMap<Id, usize> = HashMap::new();
    // KPIs of this batch, so formulas may refer to KPIs defined alongside them.
    let mut kpis: HashMap<Id, crate::domain::Kpi> = HashMap::new();
    let mut kr_ids: HashSet<Id> = HashSet::new();
    let unit_known = |units: &HashMap<Id, Option<Id>>, id: &Id| {
        units.contains_key(id) || rollup.unit(id).is_some()
    };
    let mut changes = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let change = match item {
            CatalogItem::Unit(u) => {
                if let Some(p) = &u.parent {
                    if !unit_known(&units, p) {
                        return Err(ItemError::new("parent", format!("unknown unit '{p}'")).at(i));
                    }
                    // Refuse a parent that lies below the unit itself.
                    if chain_reaches(p, &u.id, |c| batch_unit_parent(&units, rollup, c)) {
                        return Err(ItemError::new(
                            "parent",
                            format!("'{p}' lies inside unit '{}': that would make a cycle", u.id),
                        )
                        .at(i));
                    }
                }
                if let Some(l) = &u.leader {
                    if !people.contains(l) && rollup.person(l).is_none() {
                        return Err(ItemError::new("leader", format!("unknown person '{l}'")).at(i));
                    }
                }
                units.insert(u.id.clone(), u.parent.clone());
                Change::Unit(u.clone())
            }
            CatalogItem::Person(p) => {
                if !unit_known(&units, &p.unit) {
                    return Err(ItemError::new("unit", format!("unknown unit '{}'", p.unit)).at(i));
                }
                people.insert(p.id.clone());
                Change::Person(p.clone())
            }
            CatalogItem::Kpi(k) => {
                let fields = std::iter::once(("leading_unit".to_string(), &k.leading_unit))
                    .chain(
                        k.coordinating_units
                            .iter()
                            .enumerate()
                            .map(|(j, u)| (format!("coordinating_units[{j}]"), u)),
                    )
                    .chain(
                        k.measured_units
                            .iter()
                            .enumerate()
                            .map(|(j, u)| (format!("measured_units[{j}]"), u)),
                    );
                for (field, u) in fields {
                    if !unit_known(&units, u) {
                        return Err(ItemError::new(field, format!("unknown unit '{u}'")).at(i));
                    }
                }
                check_formula(k, &kpis, rollup).map_err(|e| e.at(i))?;
                kpis.insert(k.code.clone(), k.clone());
                Change::Kpi(k.clone())
            }
            CatalogItem::Objective(o) => {
                if !unit_known(&units, &o.unit) {
                    return Err(ItemError::new("unit", format!("unknown unit '{}'", o.unit)).at(i));
                }
                if let Some(p) = &o.parent {
                    let Some(parent) = objectives.get(p).cloned().or_else(|| rollup.objective(p))
                    else {
                        return Err(
                            ItemError::new("parent", format!("unknown objective '{p}'")).at(i)
                        );
                    };
                    check_alignment(o, &parent, &units, &objectives, rollup)
                        .map_err(|reason| ItemError::new("parent", reason).at(i))?;
                }
                if let Some(p) = &o.owner {
                    if !people.contains(p) && rollup.person(p).is_none() {
                        return Err(ItemError::new("owner", format!("unknown person '{p}'")).at(i));
                    }
                }
                objectives.insert(o.id.clone(), o.clone());
                Change::Objective(o.clone())
            }
            CatalogItem::KeyResult(kr, current) => {
                let existing = rollup.key_result(&kr.id);
                if !objectives.contains_key(&kr.objective)
                    && rollup.objective(&kr.objective).is_none()
                {
                    return Err(ItemError::new(
                        "objective",
                        format!("unknown objective '{}'", kr.objective),
                    )
                    .at(i));
                }
                let moving = existing
                    .as_ref()
                    .is_none_or(|e| e.objective != kr.objective);
                if moving && kr_ids.insert(kr.id.clone()) {
                    let n = new_krs
                        .entry(kr.objective.clone())
                        .or_insert_with(|| rollup.key_results_of(&kr.objective).len());
                    *n += 1;
                    if *n > MAX_KEY_RESULTS {
                        return Err(ItemError::new(
                            "objective",
                            format!("objective '{}' already has {MAX_KEY_RESULTS} key results; the method allows at most {MAX_KEY_RESULTS}", kr.objective),
                        )
                        .at(i));
                    }
                }
                let mut kr = kr.clone();
                // Without `current`, or with the one it has (a read sent back), it keeps its
                // last check-in: value, time and confidence.
                if let Some(e) = existing
                    .as_ref()
                    .filter(|e| current.is_none_or(|c| c == e.current))
                {
                    kr.current = e.current;
                    kr.current_at = e.current_at;
                    kr.confidence = e.confidence;
                }
                Change::KeyResult(kr)
            }
        };
        changes.push(change);
    }
    Ok(changes)
}

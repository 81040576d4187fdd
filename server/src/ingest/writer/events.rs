//! The writer's event groups, two at a time: while one group's transaction commits on a task of
//! its own, the next waiting group is checked and planned against the rollup and the overlay of
//! the group still committing (what that one changes is not in the rollup yet). A group is
//! applied, published and answered only after its own commit, in queue order; if a commit fails,
//! the group planned behind it is refused too, since it was planned on what did not happen. A
//! group with a clock tick, and every other command (`task.rs`), waits for the one before it.

use super::task::WriterTask;
use super::{Command, IngestReport, WriteError};
use crate::alerting::AlertWrites;
use crate::audit::{Entry, Head};
use crate::bus::{Committed, Touched};
use crate::domain::{time::now_ms, Change, Id, Ts};
use crate::ingest::plan::{batch_draft, plan_events, AuditDetail, Overlay};
use crate::store::{EventRecord, NoticeRow, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::{JoinError, JoinHandle};

type Reply = oneshot::Sender<Result<IngestReport, WriteError>>;

/// A group's writes, planned and not committed yet.
pub(super) struct Pending {
    pub(super) changes: Vec<Change>,
    pub(super) records: Vec<EventRecord>,
    pub(super) audit: Vec<Entry>,
    replies: Vec<(Reply, IngestReport)>,
    tick_replies: Vec<oneshot::Sender<()>>,
}

/// A group whose transaction is committing on a task of its own.
pub(super) struct InFlight {
    commit: JoinHandle<Outcome>,
    replies: Vec<(Reply, IngestReport)>,
    tick_replies: Vec<oneshot::Sender<()>>,
    group: Group,
}

/// What a planned group leaves for the writer, from its plan to its landing.
struct Group {
    /// What the group changed, for planning the next group while this one commits.
    overlay: Overlay,
    /// The audit chain's head after the group's entries: it becomes the head at its commit.
    next: Head,
    /// The hour of the reminders made in the group, if it made them.
    hour: Option<Ts>,
    /// The group moved the clock: the next one is planned after it is applied.
    ticked: bool,
    events: usize,
    dedup: Duration,
    plan: Duration,
}

impl InFlight {
    /// The commit's task ending; polled again after a cancelled `select!`, it still ends once.
    pub(super) async fn committed(&mut self) -> Result<Outcome, JoinError> {
        (&mut self.commit).await
    }
}

/// What the writer's loop waits for while a group commits.
// One value a loop turn, moved once: boxing the command would cost an allocation per request.
#[allow(clippy::large_enum_variant)]
pub(super) enum Next {
    Command(Option<Command>),
    Landed(Result<Outcome, JoinError>),
}

/// Answers a group planned on a commit that failed with that commit's error.
fn refuse(pending: Pending, e: &StoreError) {
    for (reply, _) in pending.replies {
        let _ = reply.send(Err(WriteError::Store(e.clone())));
    }
    for r in pending.tick_replies {
        let _ = r.send(());
    }
}

/// The commit task's outcome. A panic in it is the writer's: whether it committed is unknown,
/// so the writer stops the way it would have had the panic been its own (a restart reads the
/// truth from the store).
fn outcome_of(joined: Result<Outcome, JoinError>) -> Outcome {
    match joined {
        Ok(o) => o,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Outcome {
            result: Err(StoreError::Config("the commit was cancelled".into())),
            changes: Vec::new(),
            notices: Vec::new(),
            took: Duration::ZERO,
        },
    }
}

/// What a commit task hands back: its result, and the changes and notices it committed.
pub(super) struct Outcome {
    /// The change log's number of the commit, with several nodes.
    result: Result<Option<u64>, StoreError>,
    changes: Vec<Change>,
    notices: Vec<NoticeRow>,
    took: Duration,
}

impl WriterTask {
    /// Plans a group of event requests and clock ticks and starts its commit. The group before
    /// it, if still committing, lands first when either moves the clock, otherwise after this
    /// one is planned. Returns the group now in flight.
    pub(super) async fn commit_events(
        &mut self,
        cmds: Vec<Command>,
        mut flight: Option<InFlight>,
    ) -> Option<InFlight> {
        if cmds.is_empty() {
            return flight;
        }
        let ticks = cmds.iter().any(|c| matches!(c, Command::Tick { .. }));
        if ticks || flight.as_ref().is_some_and(|f| f.group.ticked) {
            // Instances, reminders and the next plan read the clock as the tick leaves it.
            let _ = self.land(flight.take()).await;
        }
        let planned = self.plan_group(cmds, &mut flight).await;
        let Some(mut f) = flight else {
            return planned.map(|p| self.launch(p));
        };
        let outcome = outcome_of(f.committed().await);
        self.health.end(&outcome.result);
        let next = match (&outcome.result, planned) {
            // Started before the landed group is applied: its apply runs while this one commits.
            // (Applying first, then starting it, measured slower with rules and without.)
            (Ok(_), Some(p)) => Some(self.launch(p)),
            // Planned on what the failed group would have changed: refused, nothing kept.
            (Err(e), Some(p)) => {
                refuse(p.pending, e);
                None
            }
            (_, None) => None,
        };
        let _ = self.finish(f, outcome).await;
        next
    }

    /// Checks the group's ids against the log and plans each request, against the rollup, the
    /// group in flight's overlay and the earlier requests of this group. If the group in flight
    /// commits meanwhile, it lands between two requests (its answers do not wait for this plan)
    /// and its overlay stays beneath this group's: the ids it carried were read before it
    /// committed. `None` when the id check failed or the group in flight did not commit (the
    /// group's requests are answered with the error).
    async fn plan_group(
        &mut self,
        cmds: Vec<Command>,
        flight: &mut Option<InFlight>,
    ) -> Option<Planned> {
        // Ids are their source's: one query per source in the group (usually one or two).
        let mut ids: HashMap<String, Vec<Id>> = HashMap::new();
        for c in &cmds {
            if let Command::Events { events, actor, .. } = c {
                ids.entry(actor.principal.event_source())
                    .or_default()
                    .extend(events.iter().map(|e| e.id.clone()));
            }
        }
        let checking = Instant::now();
        let mut existing: HashMap<String, HashMap<Id, String>> = HashMap::new();
        for (source, ids) in ids {
            match self.store.existing_events(&source, &ids).await {
                Ok(found) => {
                    existing.insert(source, found);
                }
                Err(e) => {
                    tracing::error!(error = %e, "checking event ids failed; group refused");
                    super::task::fail_all(cmds, e);
                    return None;
                }
            }
        }
        let none = HashMap::new();
        let dedup = checking.elapsed();
        let received_at = now_ms();
        let planning = Instant::now();
        let mut overlay = Overlay::default();
        let mut pending = Pending {
            changes: Vec::new(),
            records: Vec::new(),
            audit: Vec::new(),
            replies: Vec::new(),
            tick_replies: Vec::new(),
        };
        // The group's entries chain after the head; it moves only if the group commits.
        let mut next = flight
            .as_ref()
            .map_or_else(|| self.audit.clone(), |f| f.group.next.clone());
        let mut landed: Option<Overlay> = None;
        let mut tick: Option<Ts> = None;
        let mut events = 0;
        let mut cmds = cmds.into_iter();
        while let Some(cmd) = cmds.next() {
            if flight.as_ref().is_some_and(|f| f.commit.is_finished()) {
                let mut f = flight.take().expect("a group in flight");
                let overlay = std::mem::take(&mut f.group.overlay);
                let outcome = outcome_of(f.committed().await);
                self.health.end(&outcome.result);
                if let Err(e) = self.finish(f, outcome).await {
                    // Planned on what the failed group would have changed: refused, nothing kept.
                    refuse(pending, &e);
                    super::task::fail_all(std::iter::once(cmd).chain(cmds).collect(), e);
                    return None;
                }
                landed = Some(overlay);
            }
            let behind_overlay = flight
                .as_ref()
                .map(|f| &f.group.overlay)
                .or(landed.as_ref());
            match cmd {
                Command::Events {
                    events: list,
                    actor,
                    detail,
                    reply,
                } => {
                    let source = actor.principal.event_source();
                    let planned = plan_events(
                        &list,
                        &self.rollup,
                        &mut overlay,
                        behind_overlay,
                        existing.get(&source).unwrap_or(&none),
                        &actor,
                        detail,
                    );
                    match planned {
                        Ok((changes, report, drafts)) => {
                            pending
                                .audit
                                .extend(drafts.into_iter().map(|d| next.append(d)));
                            if detail == AuditDetail::Batch && report.accepted > 0 {
                                let draft = batch_draft(&actor, &list, &report);
                                pending.audit.push(next.append(draft));
                            }
                            let dup: HashSet<&str> =
                                report.duplicate_ids.iter().map(|s| s.as_str()).collect();
                            // The request is done with its events: move their text into the log.
                            for e in list {
                                if !dup.contains(&*e.id) {
                                    events += 1;
                                    pending.records.push(EventRecord {
                                        source: source.clone(),
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
                    tick = Some(tick.map_or(now, |t: Ts| t.max(now)));
                }
                _ => unreachable!("only events and ticks are grouped"),
            }
        }
        // The clock moved: the templates' instances now due and the reminders, in this commit.
        let mut notices: Vec<NoticeRow> = Vec::new();
        let mut hour = None;
        if let Some(now) = tick.filter(|now| *now >= self.rollup.now()) {
            self.make_instances(now, &mut overlay, &mut pending, &mut next, received_at)
                .await;
            if let Some(n) = &self.notifier {
                let h = now.div_euclid(3_600_000);
                if self.reminded != Some(h) {
                    notices = crate::notify::remind::due(&self.rollup, &n.config.reminders, now);
                    hour = Some(h);
                }
            }
        }
        let ticked = !pending.tick_replies.is_empty()
            || pending
                .changes
                .iter()
                .any(|c| matches!(c, Change::Clock(_)));
        Some(Planned {
            pending,
            notices,
            group: Group {
                overlay,
                next,
                hour,
                ticked,
                events,
                dedup,
                plan: planning.elapsed(),
            },
        })
    }

    /// Starts the planned group's transaction on a task of its own.
    fn launch(&mut self, p: Planned) -> InFlight {
        let Pending {
            changes,
            records,
            audit,
            replies,
            tick_replies,
        } = p.pending;
        let store = self.store.clone();
        let notices = p.notices;
        self.health.begin();
        // On a thread of the blocking pool: SQLite's rows are written on the committing thread
        // (`store/sqlite_direct.rs`), which must not be one of the runtime's two workers that
        // parse the next requests and apply the group before.
        let runtime = tokio::runtime::Handle::current();
        let commit = tokio::task::spawn_blocking(move || {
            runtime.block_on(async move {
                let started = Instant::now();
                let result = store
                    .commit_with(&records, &changes, &audit, &notices)
                    .await
                    .map(|(_, logged)| logged);
                Outcome {
                    result,
                    changes,
                    notices,
                    took: started.elapsed(),
                }
            })
        });
        InFlight {
            commit,
            replies,
            tick_replies,
            group: p.group,
        }
    }

    /// Waits for the group in flight, if any, to commit; then moves the audit head, applies and
    /// publishes it and answers its requests. A failed commit answers them with its error.
    pub(super) async fn land(&mut self, flight: Option<InFlight>) -> Result<(), StoreError> {
        let Some(mut f) = flight else { return Ok(()) };
        let joined = f.committed().await;
        self.landed(f, joined).await
    }

    /// As `land`, once the commit's task has ended.
    pub(super) async fn landed(
        &mut self,
        f: InFlight,
        joined: Result<Outcome, JoinError>,
    ) -> Result<(), StoreError> {
        let outcome = outcome_of(joined);
        self.health.end(&outcome.result);
        self.finish(f, outcome).await
    }

    /// After a group's commit: on success the audit head moves, the group is applied and
    /// published and its requests answered; on failure they are answered with the error.
    async fn finish(&mut self, f: InFlight, outcome: Outcome) -> Result<(), StoreError> {
        let logged = match outcome.result {
            Ok(logged) => logged,
            Err(e) => {
                tracing::error!(error = %e, events = f.group.events, "commit failed; nothing applied");
                for (reply, _) in f.replies {
                    let _ = reply.send(Err(WriteError::Store(e.clone())));
                }
                for r in f.tick_replies {
                    let _ = r.send(());
                }
                return Err(e);
            }
        };
        self.audit = f.group.next;
        if f.group.hour.is_some() {
            self.reminded = f.group.hour;
        }
        if !outcome.notices.is_empty() {
            metrics::counter!("ioc_notify_notices_total").increment(outcome.notices.len() as u64);
            // Reminders: their items are read from the store when their message is made.
            if let Some(n) = &self.notifier {
                n.wake_for(&outcome.notices, Vec::new(), &[]);
            }
        }
        metrics::counter!("ioc_events_committed_total").increment(f.group.events as u64);
        metrics::counter!("ioc_commits_total").increment(1);
        metrics::histogram!("ioc_commit_seconds").record(outcome.took.as_secs_f64());
        let applying = Instant::now();
        let commit = self.publish(outcome.changes, logged).await;
        tracing::debug!(
            events = f.group.events,
            dedup_us = f.group.dedup.as_micros() as u64,
            plan_us = f.group.plan.as_micros() as u64,
            commit_us = outcome.took.as_micros() as u64,
            apply_us = applying.elapsed().as_micros() as u64,
            "group committed"
        );
        for (reply, mut report) in f.replies {
            report.commit = commit;
            metrics::counter!("ioc_events_duplicate_total").increment(report.duplicates as u64);
            let _ = reply.send(Ok(report));
        }
        if f.group.ticked {
            self.escalate_explanations().await;
        }
        for r in f.tick_replies {
            let _ = r.send(());
        }
        Ok(())
    }

    /// Applies committed changes, evaluates the rules on what they changed (the same step, so an
    /// alert fires with the event that crossed its threshold), then publishes them.
    /// `logged` is the change log's number of their commit (several nodes), which the rollup
    /// takes as its own.
    pub(super) async fn publish(&mut self, changes: Vec<Change>, logged: Option<u64>) -> u64 {
        if changes.is_empty() {
            return self.rollup.commit();
        }
        let applying = Instant::now();
        let touched = Touched::of(&changes, &self.rollup);
        if let Some(a) = &mut self.alerting {
            a.before_apply(&touched);
        }
        let commit = self.rollup.apply_numbered(&changes, logged);
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

    /// Alert rows are written after the events they follow from, with the notices of their
    /// transitions (the notification outbox) in the same transaction; if this write fails the
    /// alerts are derived again from the committed data at the next start, and their notices
    /// with them, so nothing is lost. Only committed history reaches the live feed, so every id
    /// a screen sees is in the store.
    async fn save_alerts(&self, w: AlertWrites) {
        if w.is_empty() {
            return;
        }
        let (notices, items) = crate::notify::alert_notices(&w.notify, &self.rollup);
        match self
            .store
            .save_alerts_with(&w.upserts, &w.deletes, &w.history, &[], &notices)
            .await
        {
            Ok((seqs, added)) => {
                self.feed.append(&w.history, &seqs);
                if !notices.is_empty() {
                    metrics::counter!("ioc_notify_notices_total").increment(notices.len() as u64);
                    if let Some(n) = &self.notifier {
                        n.wake_for(&notices, items, &added);
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "saving alert transitions failed; they will be derived again at start")
            }
        }
    }
}

/// A group checked and planned, ready to commit.
struct Planned {
    pending: Pending,
    notices: Vec<NoticeRow>,
    group: Group,
}

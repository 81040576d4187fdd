//! The writer task: it takes what waits in the queue as one group (up to 20,000 events), and
//! commits it in queue order: event requests and clock ticks together in one transaction, planned
//! while the group before commits (`events.rs`); catalog, cycle, security and alert commands on
//! their own, after the group before them has landed.

use super::events::{InFlight, Next, Pending};
use super::{Command, ImportCounts, NotifyWrite, WriteError};
use crate::alerting::actions::{Acted, AlertAction, AlertError};
use crate::alerting::Alerting;
use crate::audit::{Draft, Head};
use crate::auth::registry::SecurityWrite;
use crate::auth::{Actor, Auth};
use crate::bus::Committed;
use crate::domain::template::TaskTemplate;
use crate::domain::{time::now_ms, Id, Ts};
use crate::ingest::catalog::CatalogItem;
use crate::ingest::event::Event;
use crate::ingest::plan::{plan_events, AuditDetail, Overlay};
use crate::live::AlertFeed;
use crate::notify::Notifier;
use crate::rollup::Rollup;
use crate::store::{EventRecord, Store, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};

/// Most events committed in one transaction; more waiting requests go in the next group.
const GROUP_MAX_EVENTS: usize = 20_000;

pub(super) struct WriterTask {
    pub(super) store: Arc<dyn Store>,
    pub(super) rollup: Arc<Rollup>,
    pub(super) bus: broadcast::Sender<Arc<Committed>>,
    pub(super) rx: mpsc::Receiver<Command>,
    pub(super) alerting: Option<Alerting>,
    /// Alert-history entries with their ids, for the live feed.
    pub(super) feed: Arc<AlertFeed>,
    /// Accounts, sessions and tokens, changed here after their commit.
    pub(super) auth: Auth,
    /// The audit chain's head; entries are chained here, in commit order.
    pub(super) audit: Head,
    /// Woken after notices are committed; holds the link keys a rotation changes.
    pub(super) notifier: Option<Notifier>,
    /// Commits' outcomes, for the readiness check.
    pub(super) health: Arc<super::WriterHealth>,
    /// The task templates, read from the store at the first tick or template write.
    pub(super) templates: HashMap<Id, TaskTemplate>,
    pub(super) templates_loaded: bool,
    /// Instances refused (a person gone...), logged once each.
    pub(super) template_failures: HashSet<String>,
    /// The hour (of the server's clock) of the last reminder pass.
    pub(super) reminded: Option<Ts>,
    /// The earliest due date of an open explanation request (`None`: not read yet), so a tick
    /// asks the store only once one may be due.
    pub(super) next_explanation_due: Option<crate::domain::Ts>,
}

impl WriterTask {
    pub(super) async fn run(mut self) {
        let mut flight: Option<InFlight> = None;
        loop {
            // While a group commits, the next requests are taken in to be planned meanwhile.
            let next = match flight.as_mut() {
                None => Next::Command(self.rx.recv().await),
                Some(f) => tokio::select! {
                    biased;
                    joined = f.committed() => Next::Landed(joined),
                    c = self.rx.recv() => Next::Command(c),
                },
            };
            let first = match next {
                Next::Landed(joined) => {
                    let f = flight.take().expect("a group in flight");
                    let _ = self.landed(f, joined).await;
                    continue;
                }
                Next::Command(None) => break,
                Next::Command(Some(c)) => c,
            };
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
            flight = self.process(group, flight.take()).await;
        }
        let _ = self.land(flight).await;
        tracing::info!("writer stopped: queue drained");
    }

    /// Commits a group of commands in queue order; returns the event group left committing.
    async fn process(
        &mut self,
        group: Vec<Command>,
        mut flight: Option<InFlight>,
    ) -> Option<InFlight> {
        let mut batch: Vec<Command> = Vec::new();
        for cmd in group {
            if matches!(cmd, Command::Events { .. } | Command::Tick { .. }) {
                batch.push(cmd);
                continue;
            }
            // Everything else is rare and may reshape what events are checked against (the
            // catalog, accounts, the cycle): commit what came before, then it on its own.
            flight = self.commit_events(std::mem::take(&mut batch), flight).await;
            let _ = self.land(flight.take()).await;
            self.commit_alone(cmd).await;
        }
        self.commit_events(batch, flight).await
    }

    /// A command that is committed on its own, not grouped with events.
    async fn commit_alone(&mut self, cmd: Command) {
        match cmd {
            Command::Alert {
                action,
                actor,
                reply,
            } => {
                let _ = reply.send(self.alert_action(action, &actor).await);
            }
            Command::Catalog {
                items,
                create_only,
                actor,
                reply,
            } => {
                let _ = reply.send(self.commit_catalog(items, create_only, &actor).await);
            }
            Command::Security {
                write,
                draft,
                reply,
            } => {
                let _ = reply.send(self.commit_security(*write, draft).await);
            }
            Command::Attachment {
                record,
                draft,
                reply,
            } => {
                let _ = reply.send(self.commit_attachment(*record, draft).await);
            }
            Command::Cycle {
                items,
                actor,
                reply,
            } => {
                let _ = reply.send(self.commit_cycle(items, &actor).await);
            }
            Command::Notify {
                write,
                draft,
                reply,
            } => {
                let _ = reply.send(self.commit_notify(write, draft).await);
            }
            Command::Import {
                items,
                events,
                actor,
                dry_run,
                reply,
            } => {
                let result = self.commit_import(items, events, &actor, dry_run).await;
                let _ = reply.send(result);
            }
            Command::Template {
                write,
                actor,
                reply,
            } => {
                let _ = reply.send(self.commit_template(write, &actor).await);
            }
            Command::Explain {
                write,
                actor,
                reply,
            } => {
                let _ = reply.send(self.commit_explain(*write, &actor).await);
            }
            Command::Meeting {
                id,
                write,
                actor,
                reply,
            } => {
                let _ = reply.send(self.commit_meeting(&id, *write, &actor).await);
            }
            Command::ExplainAttachment {
                record,
                draft,
                reply,
            } => {
                let _ = reply.send(self.commit_explain_attachment(*record, draft).await);
            }
            Command::Events { .. } | Command::Tick { .. } => {
                unreachable!("events and ticks are grouped by process")
            }
        }
    }

    /// A change of the notification settings, with its audit entry.
    async fn commit_notify(&mut self, write: NotifyWrite, d: Draft) -> Result<(), WriteError> {
        let (next, entries) = self.audit.chain([d]);
        let store = self.store.notify();
        let at = now_ms();
        match &write {
            NotifyWrite::ContactPoints {
                person,
                points,
                policy,
            } => {
                store
                    .put_contact_points(person, points, policy.as_deref(), at, &entries[0])
                    .await?
            }
            NotifyWrite::RotateLinkKey { secret } => {
                store.rotate_link_key(secret, at, &entries[0]).await?
            }
        }
        self.audit = next;
        if let Some(n) = &self.notifier {
            if let NotifyWrite::RotateLinkKey { secret } = &write {
                let previous = store.server_key("link_previous").await?.map(|(s, _)| s);
                n.keys.set(secret, previous.as_deref());
            }
            n.wake();
        }
        Ok(())
    }

    /// An alert action, committed with its audit entry; returns the id it created (a silence's).
    async fn alert_action(
        &mut self,
        action: AlertAction,
        actor: &Actor,
    ) -> Result<Option<i64>, AlertError> {
        let Some(alerting) = &mut self.alerting else {
            return Err(AlertError::Disabled);
        };
        let reload = matches!(action, AlertAction::ReloadRules(_));
        match alerting.act(action, actor.who(), &self.rollup)? {
            Acted::Silence(mut s, draft) => {
                let (next, entries) = self.audit.chain([draft]);
                s.id = self.store.add_silence(&s, &entries).await?;
                self.audit = next;
                let id = s.id;
                alerting.add_silence(s);
                // No transition, but counts and groups leave out what it mutes now.
                let _ = self
                    .bus
                    .send(Arc::new(Committed::alerts_changed(self.rollup.commit())));
                Ok(Some(id))
            }
            Acted::Writes(writes, draft) => {
                let (next, entries) = self.audit.chain([draft]);
                let seqs = self
                    .store
                    .save_alerts(&writes.upserts, &writes.deletes, &writes.history, &entries)
                    .await?;
                self.audit = next;
                self.feed.append(&writes.history, &seqs);
                if reload {
                    // The other nodes read their copies of the rule files again.
                    use crate::store::bus_log::{Outgoing, Reload};
                    if let Err(e) = self
                        .store
                        .log_record(&Outgoing::reload(&[Reload::Rules]))
                        .await
                    {
                        tracing::error!(error = %e, "the rules reload could not be told to the other nodes");
                    }
                }
                // Nothing was applied, but the live feed has news (and a reload may regroup
                // alerts without a transition): wake the hub.
                let _ = self
                    .bus
                    .send(Arc::new(Committed::alerts_changed(self.rollup.commit())));
                Ok(None)
            }
        }
    }

    async fn commit_catalog(
        &mut self,
        items: Vec<CatalogItem>,
        create_only: bool,
        actor: &Actor,
    ) -> Result<usize, WriteError> {
        let (changes, drafts) =
            crate::ingest::catalog::plan::plan(&items, create_only, &self.rollup, actor)?;
        let (next, entries) = self.audit.chain(drafts);
        self.health.begin();
        let committed = self.store.commit(&[], &changes, &entries).await;
        self.health.end(&committed);
        let logged = committed?;
        self.audit = next;
        let n = changes.len();
        self.publish(changes, logged).await;
        Ok(n)
    }

    /// An import: its catalog entries planned against the catalog as it stands, its events
    /// against the catalog as those entries leave it, then one commit, or none for a dry run.
    async fn commit_import(
        &mut self,
        items: Vec<CatalogItem>,
        events: Vec<Event>,
        actor: &Actor,
        dry_run: bool,
    ) -> Result<ImportCounts, WriteError> {
        let (mut changes, drafts) =
            crate::ingest::catalog::plan::plan(&items, false, &self.rollup, actor)?;
        let mut counts = ImportCounts::default();
        let mut kept = Vec::with_capacity(drafts.len());
        for (item, draft) in items.iter().zip(drafts) {
            let entry = match item {
                CatalogItem::Unit(_) => &mut counts.units,
                CatalogItem::Person(_) => &mut counts.people,
                CatalogItem::Kpi(_) => &mut counts.kpis,
                CatalogItem::Objective(_) => &mut counts.objectives,
                CatalogItem::KeyResult(..) => &mut counts.key_results,
            };
            let same = draft.action == "catalog.replace"
                && draft
                    .new
                    .as_ref()
                    .is_none_or(|n| n.as_object().is_some_and(|o| o.is_empty()));
            if draft.action == "catalog.create" {
                entry.new += 1;
            } else if same {
                entry.unchanged += 1;
            } else {
                entry.changed += 1;
            }
            // An entry imported again as it is changes nothing worth an audit line.
            if !same {
                kept.push(draft);
            }
        }
        let source = actor.principal.event_source();
        let ids: Vec<Id> = events.iter().map(|e| e.id.clone()).collect();
        let existing = if ids.is_empty() {
            HashMap::new()
        } else {
            self.store.existing_events(&source, &ids).await?
        };
        let mut overlay = Overlay::default();
        // Events may name entries this import creates (a task of a new person): they are
        // checked against a copy with the import's catalog applied.
        let scratch = (!changes.is_empty() && !events.is_empty()).then(|| {
            let copy = self.rollup.scratch_copy();
            copy.apply(&changes);
            copy
        });
        let (event_changes, report, event_drafts) = plan_events(
            &events,
            scratch.as_ref().unwrap_or(self.rollup.as_ref()),
            &mut overlay,
            None,
            &existing,
            actor,
            AuditDetail::Each,
        )
        .map_err(|e| shift_index(e, items.len()))?;
        counts.events.new = report.accepted;
        counts.events.duplicates = report.duplicates;
        if dry_run {
            return Ok(counts);
        }
        let received_at = now_ms();
        let dup: HashSet<&str> = report.duplicate_ids.iter().map(|s| s.as_str()).collect();
        let records: Vec<EventRecord> = events
            .iter()
            .filter(|e| !dup.contains(&*e.id))
            .map(|e| EventRecord {
                source: source.clone(),
                kind: e.body.kind().to_string(),
                entity: e.body.entity(),
                id: e.id.clone(),
                at: e.at,
                received_at,
                body: e.raw.clone(),
            })
            .collect();
        changes.extend(event_changes);
        kept.extend(event_drafts);
        let (next, entries) = self.audit.chain(kept);
        self.health.begin();
        let committed = self.store.commit(&records, &changes, &entries).await;
        self.health.end(&committed);
        let logged = committed?;
        self.audit = next;
        counts.commit = self.publish(changes, logged).await;
        Ok(counts)
    }

    async fn commit_cycle(
        &mut self,
        items: Vec<crate::ingest::cycle::CycleItem>,
        actor: &Actor,
    ) -> Result<usize, WriteError> {
        let (changes, drafts) =
            crate::ingest::cycle::plan(&items, &self.rollup, actor, self.rollup.now())?;
        let (next, entries) = self.audit.chain(drafts);
        self.health.begin();
        let committed = self.store.commit(&[], &changes, &entries).await;
        self.health.end(&committed);
        let logged = committed?;
        self.audit = next;
        let n = changes.len();
        self.publish(changes, logged).await;
        Ok(n)
    }

    async fn commit_security(&mut self, write: SecurityWrite, d: Draft) -> Result<(), WriteError> {
        let (next, entries) = self.audit.chain([d]);
        self.health.begin();
        let committed = self.store.save_security(&write, &entries[0]).await;
        self.health.end(&committed);
        committed?;
        self.audit = next;
        self.auth.apply(&write);
        Ok(())
    }

    async fn commit_attachment(
        &mut self,
        record: crate::store::AttachmentRecord,
        d: Draft,
    ) -> Result<(), WriteError> {
        let (next, entries) = self.audit.chain([d]);
        self.health.begin();
        let committed = self.store.save_attachment(&record, &entries[0]).await;
        self.health.end(&committed);
        committed?;
        self.audit = next;
        Ok(())
    }
}

impl WriterTask {
    /// Reads the templates from the store once; a failure is logged and tried again later.
    async fn load_templates(&mut self) -> Result<(), StoreError> {
        if !self.templates_loaded {
            let all = self.store.templates().await?;
            self.templates = all.into_iter().map(|t| (t.id.clone(), t)).collect();
            self.templates_loaded = true;
        }
        Ok(())
    }

    async fn commit_template(
        &mut self,
        write: crate::ingest::templates::TemplateWrite,
        actor: &Actor,
    ) -> Result<TaskTemplate, WriteError> {
        self.load_templates().await?;
        let (t, draft) = crate::ingest::templates::plan(
            write,
            &self.templates,
            &self.rollup,
            actor,
            self.rollup.now(),
        )?;
        let (next, entries) = self.audit.chain([draft]);
        self.health.begin();
        let committed = self.store.save_template(&t, &entries[0]).await;
        self.health.end(&committed);
        committed?;
        self.audit = next;
        self.templates.insert(t.id.clone(), t.clone());
        Ok(t)
    }

    /// Plans each template's instance due at `now` and not made yet into the group, as a task
    /// event of the server's own source (`system:task-template`) with an audit entry naming the
    /// template, its period and the periods missed before it. An instance refused (its
    /// responsible person removed, say) is logged once and left out: the group goes on.
    pub(super) async fn make_instances(
        &mut self,
        now: Ts,
        overlay: &mut Overlay,
        pending: &mut Pending,
        next: &mut crate::audit::Head,
        received_at: Ts,
    ) {
        if let Err(e) = self.load_templates().await {
            tracing::error!(error = %e, "reading the task templates failed; instances wait for the next tick");
            return;
        }
        let actor = Actor::system("task-template");
        let mut list: Vec<TaskTemplate> = self.templates.values().cloned().collect();
        list.sort_by(|a, b| a.id.cmp(&b.id));
        for t in &list {
            let Some(o) = crate::ingest::templates::due_period(t, now) else {
                continue;
            };
            let task_id = t.instance_id(&o);
            if self.rollup.task(&task_id).is_some() || self.template_failures.contains(&task_id) {
                continue;
            }
            let planned = crate::ingest::templates::instance_event(t, &o, now)
                .map_err(WriteError::Invalid)
                .and_then(|event| {
                    plan_events(
                        std::slice::from_ref(&event),
                        &self.rollup,
                        overlay,
                        None,
                        &HashMap::new(),
                        &actor,
                        AuditDetail::Each,
                    )
                    .map(|p| (event, p))
                });
            let (event, (changes, _, drafts)) = match planned {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(template = %t.id, period = %o.label, error = %e, "a template's instance was refused");
                    self.template_failures.insert(task_id);
                    continue;
                }
            };
            let missed = crate::ingest::templates::missed(t, &o, &self.rollup);
            if !missed.is_empty() {
                tracing::warn!(template = %t.id, period = %o.label, missed = ?missed, "periods missed while the server was down or the template paused are not made afterwards");
            }
            for mut d in drafts {
                if let Some(serde_json::Value::Object(m)) = &mut d.new {
                    m.insert("template".into(), serde_json::json!(t.id));
                    m.insert("period".into(), serde_json::json!(o.label));
                    if !missed.is_empty() {
                        m.insert("missed_periods".into(), serde_json::json!(missed));
                    }
                }
                pending.audit.push(next.append(d));
            }
            pending.records.push(EventRecord {
                source: actor.principal.event_source(),
                kind: event.body.kind().to_string(),
                entity: event.body.entity(),
                id: event.id,
                at: event.at,
                received_at,
                body: event.raw,
            });
            pending.changes.extend(changes);
        }
    }
}

pub(super) fn fail_all(cmds: Vec<Command>, e: StoreError) {
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
            Command::Security { reply, .. }
            | Command::Attachment { reply, .. }
            | Command::ExplainAttachment { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Cycle { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Notify { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Import { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Template { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Explain { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Meeting { reply, .. } => {
                let _ = reply.send(Err(WriteError::Store(e.clone())));
            }
            Command::Tick { .. } => {}
        }
    }
}

/// An event's refusal, its index moved past the import's catalog entries.
fn shift_index(e: WriteError, by: usize) -> WriteError {
    let shift = |mut item: crate::ingest::ItemError| {
        item.index = item.index.map(|i| i + by);
        item
    };
    match e {
        WriteError::Invalid(i) => WriteError::Invalid(shift(i)),
        WriteError::Forbidden(i) => WriteError::Forbidden(shift(i)),
        WriteError::ConflictItem(i) => WriteError::ConflictItem(shift(i)),
        other => other,
    }
}

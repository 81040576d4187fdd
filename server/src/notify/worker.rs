//! The delivery worker: a task fed from the store (not from memory, so another node or a
//! restart finds the same work). Between full looks at the store (at start, when the clock
//! moves, when settings change, every 2 s) it follows the writer's hints: whose notices a
//! commit added, so a commit costs it a look at those people only. Each pass it
//!
//! 1. on a move of the server's clock, adds repeats of unacknowledged reds and makes the daily
//!    digests that came due (`digest.rs`);
//! 2. makes messages of what waits: per person, once the oldest waiting notice is `group_wait`
//!    old (server clock) and quiet hours do not hold it, everything of theirs that may go now
//!    becomes one message, with one delivery per contact point that takes it;
//! 3. starts the deliveries that are due (wall clock; `dispatch.rs`), each as its own task with
//!    its own timeout, at most `concurrency` in all and `per_contact_point` per contact point:
//!    a receiver that hangs holds its own slots only, never ingest or the other channels.
//!
//! An attempt that fails is tried again after a backoff (`backon`'s exponential schedule with
//! jitter, indexed by the attempts stored with the delivery, so a restart resumes it); after
//! `max_attempts` the delivery is dead (the dead letter) and the contact point's health says
//! so. A delivery is marked delivered only after it was (the outcomes of the attempts that
//! ended since the last pass are written together, first thing in a pass, before anything is
//! started again); a crash in between sends it again with the same id, which receivers drop.
//! A pass's messages are written in one transaction too: on SQLite the store's single writer is
//! ingest's.

use super::cache::{Composed, KEPT};
use super::compose::Content;
use super::contact::{with_inbox, ContactPoint};
use super::dispatch::Done;
use super::notice::Item;
use super::policy::{Policy, PolicyIn, Route};
use super::send::Channels;
use super::{roles_of, Notifier};
use crate::alerting::LiveAlerts;
use crate::bus::Committed;
use crate::domain::time::now_ms;
use crate::domain::Ts;
use crate::rollup::Rollup;
use crate::store::notify::{DeliveryRow, InboxRow, MessageRow, NewMessage, Outcome, StoredNotice};
use crate::store::{Store, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinSet;

pub(super) struct Worker {
    pub(super) store: Arc<dyn Store>,
    pub(super) rollup: Arc<Rollup>,
    pub(super) alerts: LiveAlerts,
    pub(super) notifier: Notifier,
    pub(super) channels: Arc<Channels>,
    pub(super) in_flight: HashSet<String>,
    pub(super) per_cp: HashMap<String, usize>,
    pub(super) done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
    pub(super) tasks: JoinSet<()>,
    /// The server's clock at the last pass (0: not seen yet).
    last_clock: Ts,
    /// When the next pending delivery not in flight is due.
    pub(super) next_due: Option<tokio::time::Instant>,
    /// Repeat causes already added (the store refuses a second anyway; this saves the query).
    pub(super) repeats_seen: HashSet<String>,
    /// What waits, per person and severity: the oldest notice's time. Read from the store on a
    /// full look (start, the clock moving, settings changed, the safety poll), kept up to date
    /// between them from the writer's hints.
    waiting: HashMap<String, HashMap<String, Ts>>,
    /// Policies read since the last full look (settings changes ask for one).
    policy_cache: HashMap<String, Policy>,
    /// The next pass must read a full picture from the store.
    full: bool,
    /// The next pass must look for deliveries to start.
    pub(super) dispatch_due: bool,
    /// Attempts finished and not yet recorded (recorded first thing in a pass, before any
    /// delivery is started again), and their messages' content (for the live inbox).
    pub(super) outcomes: Vec<(DeliveryRow, Outcome, Option<InboxRow>)>,
    pub(super) contents: Vec<Option<Arc<Content>>>,
    /// The messages made and not yet sent everywhere, as composed: a delivery reads its
    /// message from the store only when it is not here (a restart, an eviction).
    pub(super) composed: Composed,
}

impl Worker {
    pub(super) fn new(
        store: Arc<dyn Store>,
        rollup: Arc<Rollup>,
        alerts: LiveAlerts,
        notifier: Notifier,
        channels: Arc<Channels>,
        start_clock: Ts,
    ) -> Worker {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Worker {
            store,
            rollup,
            alerts,
            notifier,
            channels,
            in_flight: HashSet::new(),
            per_cp: HashMap::new(),
            done_tx,
            done_rx,
            tasks: JoinSet::new(),
            last_clock: start_clock,
            next_due: None,
            repeats_seen: HashSet::new(),
            waiting: HashMap::new(),
            policy_cache: HashMap::new(),
            full: true,
            dispatch_due: true,
            outcomes: Vec::new(),
            contents: Vec::new(),
            composed: Composed::new(KEPT),
        }
    }

    pub(super) async fn run(
        mut self,
        mut bus: broadcast::Receiver<Arc<Committed>>,
        mut shutdown: watch::Receiver<bool>,
        wake: Arc<tokio::sync::Notify>,
    ) {
        if !self.notifier.config.enabled {
            tracing::info!(
                "notifications off ([notify] enabled = false): notices are kept, nothing is sent"
            );
            let _ = shutdown.changed().await;
            return;
        }
        // A safety net: the store is the source, so anything missed is found within this.
        let mut poll = tokio::time::interval(Duration::from_secs(2));
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let due = self.next_due;
            let sleep = async move {
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = wake.notified() => {}
                m = bus.recv() => match m {
                    // Commits carry no notices the writer did not wake us for: only the clock
                    // moving matters here.
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        if self.rollup.now() == self.last_clock {
                            continue;
                        }
                    }
                    Err(RecvError::Closed) => break,
                },
                Some(done) = self.done_rx.recv() => self.finished(done),
                _ = sleep => self.dispatch_due = true,
                _ = poll.tick() => self.full = true,
            }
            while let Ok(done) = self.done_rx.try_recv() {
                self.finished(done);
            }
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "notification pass failed; retried on the next");
            }
        }
        // Attempts under way may finish (each has its timeout), so a clean restart sends nothing
        // twice; what does not finish in time is dropped: it is still pending in the store and
        // goes again, with the same id, after the restart.
        let grace = self.notifier.config.timeout + Duration::from_secs(1);
        let drained = tokio::time::timeout(grace, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        while let Ok(done) = self.done_rx.try_recv() {
            self.finished(done);
        }
        self.record_outcomes().await;
        if drained.is_err() {
            tracing::info!(
                in_flight = self.tasks.len(),
                "notification attempts cut short by the shutdown; they go again after the restart"
            );
        }
        self.tasks.shutdown().await;
        tracing::info!("notification worker stopped");
    }

    async fn pass(&mut self) -> Result<(), StoreError> {
        self.record_outcomes().await;
        let now = self.rollup.now();
        let hints = self.notifier.take_hints();
        if now != self.last_clock {
            let before = self.last_clock;
            self.last_clock = now;
            // Held notices may go now (group wait, quiet hours): everything is looked at.
            self.full = true;
            // A first clock (a new database) is a start, not time passing.
            if before > 0 {
                self.repeats(now).await?;
                self.digests(before, now).await?;
            }
        }
        let full = self.full || hints.full;
        let persons: Vec<String> = if full {
            self.full = false;
            self.dispatch_due = true;
            self.policy_cache.clear();
            self.waiting.clear();
            for w in self.store.notify().waiting().await? {
                self.waiting
                    .entry(w.person)
                    .or_default()
                    .insert(w.severity, w.first_at);
            }
            self.waiting.keys().cloned().collect()
        } else {
            let mut persons: Vec<String> = Vec::new();
            for (person, severity, at) in hints.notices {
                let first = self
                    .waiting
                    .entry(person.clone())
                    .or_default()
                    .entry(severity)
                    .or_insert(at);
                *first = (*first).min(at);
                persons.push(person);
            }
            persons.sort_unstable();
            persons.dedup();
            persons
        };
        if self.batch(now, persons, full).await? {
            self.dispatch_due = true;
        }
        if self.dispatch_due {
            self.dispatch().await?;
        }
        Ok(())
    }

    /// The policies of these people: their own settings over their role's defaults.
    pub(super) async fn policies(
        &self,
        persons: &[String],
    ) -> Result<HashMap<String, Policy>, StoreError> {
        let own: HashMap<String, PolicyIn> = self
            .store
            .notify()
            .policies(persons)
            .await?
            .into_iter()
            .filter_map(|(p, body)| Some((p, serde_json::from_str(&body).ok()?)))
            .collect();
        Ok(roles_of(&self.rollup, persons)
            .into_iter()
            .map(|(p, role)| {
                let policy = self.notifier.policy(role, own.get(&p));
                (p, policy)
            })
            .collect())
    }

    /// A person's contact points, the inbox among them.
    pub(super) async fn contact_points(
        &self,
        person: &str,
    ) -> Result<Vec<ContactPoint>, StoreError> {
        let mut of = self.contact_points_of(&[person.to_string()]).await?;
        Ok(of.remove(person).unwrap_or_else(|| with_inbox(Vec::new())))
    }

    /// The contact points of these people, the inbox among each one's, in one read.
    pub(super) async fn contact_points_of(
        &self,
        persons: &[String],
    ) -> Result<HashMap<String, Vec<ContactPoint>>, StoreError> {
        let mut own: HashMap<String, Vec<ContactPoint>> = HashMap::new();
        for r in self.store.notify().contact_points(persons).await? {
            if let Ok(point) = serde_json::from_str(&r.body) {
                own.entry(r.person).or_default().push(point);
            }
        }
        Ok(persons
            .iter()
            .map(|p| (p.clone(), with_inbox(own.remove(p).unwrap_or_default())))
            .collect())
    }

    pub(super) fn person_name(&self, person: &str) -> String {
        self.rollup
            .person(person)
            .map_or_else(|| person.to_string(), |p| p.name)
    }

    /// The unit a link opens on: the deepest unit holding every item's unit.
    pub(super) fn common_unit(&self, items: &[Item]) -> String {
        let mut common: Option<Vec<crate::domain::Id>> = None;
        // A burst's message has hundreds of items of a few units: each unit's chain once.
        let units: HashSet<&str> = items.iter().map(|i| i.unit.as_str()).collect();
        for unit in units {
            let chain = self.rollup.ancestors(unit);
            common = Some(match common {
                None => chain,
                Some(c) => c.into_iter().filter(|u| chain.contains(u)).collect(),
            });
        }
        // `ancestors` runs from the unit up; the first shared one is the deepest.
        common
            .and_then(|c| c.first().map(|u| u.to_string()))
            .or_else(|| items.first().map(|i| i.unit.clone()))
            .unwrap_or_default()
    }

    /// Makes the messages whose time has come for these people; says whether it made any.
    /// Notices routed nowhere (`off`) are dropped on a full look only: dropping is a write, and
    /// between full looks the store's single writer belongs to ingest.
    async fn batch(
        &mut self,
        now: Ts,
        persons: Vec<String>,
        full: bool,
    ) -> Result<bool, StoreError> {
        let persons: Vec<String> = persons
            .into_iter()
            .filter(|p| self.waiting.contains_key(p))
            .collect();
        if persons.is_empty() {
            return Ok(false);
        }
        let missing: Vec<String> = persons
            .iter()
            .filter(|p| !self.policy_cache.contains_key(*p))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let read = self.policies(&missing).await?;
            self.policy_cache.extend(read);
        }
        let mut acting: Vec<(String, Policy)> = Vec::new();
        for person in &persons {
            let Some(policy) = self.policy_cache.get(person).cloned() else {
                continue;
            };
            let mut act = false;
            for (severity, first_at) in self.waiting.get(person).into_iter().flatten() {
                match policy.route(severity) {
                    Route::Immediate => {
                        act |=
                            now >= first_at + policy.group_wait_ms && !policy.holds(severity, now)
                    }
                    Route::Off => act |= full,
                    Route::Digest => {}
                }
            }
            if act {
                acting.push((person.clone(), policy));
            }
        }
        if acting.is_empty() {
            return Ok(false);
        }
        // One read of their notices and one of their contact points for the whole pass: a
        // month-end burst acts for every ward's leader at once.
        let names: Vec<String> = acting.iter().map(|(p, _)| p.clone()).collect();
        let mut notices: HashMap<String, Vec<(StoredNotice, Option<Item>)>> = HashMap::new();
        let waiting = self.store.notify().waiting_notices(&names).await?;
        for n in self.with_items(waiting).await? {
            notices.entry(n.0.person.clone()).or_default().push(n);
        }
        let mut points = self.contact_points_of(&names).await?;
        let mut messages = Vec::new();
        for (person, policy) in acting {
            let notices = notices.remove(&person).unwrap_or_default();
            let points = points.remove(&person).unwrap_or_default();
            messages.extend(
                self.make_message(&person, &policy, now, notices, points)
                    .await?,
            );
            // What stays waits for the clock (held, digest, a later group wait), and the clock
            // moving brings a full look.
            self.waiting.remove(&person);
        }
        // One write for the pass's messages.
        let made = self.save_messages(messages).await?;
        Ok(made.iter().any(Option::is_some))
    }

    /// Waiting notices with their items (`items::of`).
    pub(super) async fn with_items(
        &self,
        notices: Vec<StoredNotice>,
    ) -> Result<Vec<(StoredNotice, Option<Item>)>, StoreError> {
        super::items::of(&*self.store, &self.notifier, notices).await
    }

    /// A message of these waiting notices of a person, to these contact points.
    async fn make_message(
        &mut self,
        person: &str,
        policy: &Policy,
        now: Ts,
        notices: Vec<(StoredNotice, Option<Item>)>,
        points: Vec<ContactPoint>,
    ) -> Result<Option<(NewMessage, Arc<Content>)>, StoreError> {
        let mut take: Vec<(i64, Item)> = Vec::new();
        let mut drop: Vec<i64> = Vec::new();
        let mut held: Vec<(i64, Item)> = Vec::new();
        for (n, item) in notices {
            let Some(item) = item else {
                drop.push(n.id);
                continue;
            };
            match policy.route(&n.severity) {
                Route::Off => drop.push(n.id),
                Route::Immediate if item.is_end() && !policy.send_resolved => drop.push(n.id),
                Route::Immediate if !policy.holds(&n.severity, now) => take.push((n.id, item)),
                _ => held.push((n.id, item)),
            }
        }
        self.notifier.put_back_items(held);
        if take.is_empty() {
            if !drop.is_empty() {
                self.store.notify().drop_notices(&drop).await?;
            }
            return Ok(None);
        }
        let kind = if take.iter().all(|(_, i)| i.kind == "repeat") {
            "repeat"
        } else {
            "alerts"
        };
        let ids: Vec<i64> = take.iter().map(|(id, _)| *id).collect();
        let items: Vec<Item> = take.into_iter().map(|(_, i)| i).collect();
        let content = Content::new(
            kind,
            person,
            &self.person_name(person),
            now,
            self.common_unit(&items),
            items,
        );
        Ok(Some(self.prepare_message(content, None, ids, drop, points)))
    }

    /// Stores a message with a delivery per contact point that takes it.
    pub(super) async fn save_message(
        &mut self,
        content: Content,
        dedup: Option<String>,
        sent: &[i64],
        dropped: &[i64],
    ) -> Result<Option<i64>, StoreError> {
        let points = self.contact_points(&content.person).await?;
        let m = self.prepare_message(content, dedup, sent.to_vec(), dropped.to_vec(), points);
        Ok(self.save_messages(vec![m]).await?.pop().flatten())
    }

    /// Stores messages in one transaction; per message, its id when it was made. The content of
    /// those made is kept for their deliveries.
    async fn save_messages(
        &mut self,
        messages: Vec<(NewMessage, Arc<Content>)>,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let (rows, contents): (Vec<NewMessage>, Vec<Arc<Content>>) = messages.into_iter().unzip();
        let made = self.store.notify().create_messages(&rows, now_ms()).await?;
        for ((m, content), id) in rows.iter().zip(contents).zip(&made) {
            if let Some(id) = id {
                metrics::counter!("ioc_notify_messages_total", "kind" => m.message.kind.clone())
                    .increment(1);
                metrics::counter!("ioc_notify_notices_sent_total").increment(m.sent.len() as u64);
                self.composed.insert(*id, content, m.deliveries.len());
            }
        }
        Ok(made)
    }

    /// A message's row and its deliveries: one per contact point that takes it; and its content.
    fn prepare_message(
        &self,
        content: Content,
        dedup: Option<String>,
        sent: Vec<i64>,
        dropped: Vec<i64>,
        points: Vec<ContactPoint>,
    ) -> (NewMessage, Arc<Content>) {
        let severities = content.severities();
        let digest = content.digest.is_some();
        let deliveries: Vec<(String, String)> = points
            .iter()
            .filter(|p| p.takes(&severities) && (!digest || p.digest))
            .map(|p| (p.id.clone(), p.channel.kind().to_string()))
            .collect();
        let message = MessageRow {
            id: 0,
            person: content.person.clone(),
            kind: content.kind.clone(),
            created_at: content.created_at,
            dedup,
            body: content.stored(),
            notices: Vec::new(),
        };
        (
            NewMessage {
                message,
                sent,
                dropped,
                deliveries,
            },
            Arc::new(content),
        )
    }
}

//! What a node runs as, besides its HTTP: the writer's parts (started at open, or when a
//! follower takes over) and a follower's life until it takes over. `open` in `lib.rs` decides
//! which.

use crate::bus::Committed;
use crate::clock::ClockMode;
use crate::ingest::writer::Writer;
use crate::rollup::Rollup;
use crate::store::Store;
use crate::{alerting, auth, cluster, domain, ingest, live, notify, store};
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// What a node needs to become the writer: at its start, or when it takes over.
pub(crate) struct Writing {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) rollup: Arc<Rollup>,
    pub(crate) bus: broadcast::Sender<Arc<Committed>>,
    pub(crate) alerts: alerting::LiveAlerts,
    pub(crate) feed: Arc<live::AlertFeed>,
    pub(crate) auth: auth::Auth,
    pub(crate) notifier: notify::Notifier,
    pub(crate) writer: Writer,
    pub(crate) clock: ClockMode,
    pub(crate) stored_clock: Option<domain::Ts>,
    pub(crate) cluster: cluster::Cluster,
    pub(crate) history: crate::asof::HistoryConfig,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl Writing {
    /// Restores the rule engine from the stored alerts against the rollup, reads the audit
    /// chain's head, and starts the writer on its queue, the notification worker, the clock's
    /// ticker and (several nodes) the relay. Returns the writer's task and the others.
    pub(crate) async fn start(
        self,
        queue: ingest::writer::Queue,
        rules: Option<alert_rules::RuleSet>,
    ) -> anyhow::Result<(
        tokio::task::JoinHandle<()>,
        Vec<tokio::task::JoinHandle<()>>,
    )> {
        let store = self.store;
        // Before anything is committed: the state just read is where history begins when the
        // store has none yet.
        crate::asof::checkpoints::ensure_base(store.as_ref(), &self.rollup).await?;
        let restoring = std::time::Instant::now();
        let now = self.rollup.now();
        let alerting = match rules {
            Some(rules) => {
                let (alerting, writes) = alerting::Alerting::start(
                    rules,
                    store.load_alerts().await?,
                    store.silences(now).await?,
                    store
                        .public()
                        .low_ratings_since(now - alerting::DISSATISFIED_WINDOW)
                        .await?,
                    &self.rollup,
                    self.alerts.clone(),
                );
                // Transitions of the start itself are told like any other.
                let (notices, _) = notify::alert_notices(&writes.notify, &self.rollup);
                let (seqs, _) = store
                    .save_alerts_with(
                        &writes.upserts,
                        &writes.deletes,
                        &writes.history,
                        &[],
                        &notices,
                    )
                    .await?;
                self.feed.append(&writes.history, &seqs);
                // Most of a takeover's time (the stored alerts read, every rule evaluated
                // over the rollup): said so an operator can tell.
                tracing::info!(
                    rules = alerting.engine().rules().count(),
                    alerts = self.alerts.len(),
                    restore_ms = restoring.elapsed().as_millis() as u64,
                    "alert rules running"
                );
                Some(alerting)
            }
            None => None,
        };
        let audit_head = store.audit_head().await?;
        let mut background = Vec::new();
        // Subscribed before the writer runs, so no commit is missed by either.
        let notify_bus = self.bus.subscribe();
        let relay_bus = self.bus.subscribe();
        let writer_task = queue.start(
            store.clone(),
            self.rollup.clone(),
            self.bus.clone(),
            alerting,
            self.feed.clone(),
            self.auth.clone(),
            audit_head,
            Some(self.notifier.clone()),
        );
        background.push(self.notifier.spawn_worker(
            store.clone(),
            self.rollup.clone(),
            self.alerts.clone(),
            notify_bus,
            self.shutdown.clone(),
            self.stored_clock,
        )?);
        background.push(crate::asof::checkpoints::spawn(
            store.clone(),
            self.history.clone(),
            self.shutdown.clone(),
        ));
        if self.clock == ClockMode::System {
            background.push(ingest::ticker::spawn(
                self.writer.clone(),
                self.shutdown.clone(),
            ));
        }
        if self.cluster.role() != cluster::Role::Alone {
            background.push(cluster::relay::spawn(
                store,
                self.cluster.clone(),
                relay_bus,
                self.shutdown.clone(),
            ));
            self.cluster.set_role(cluster::Role::Writer);
        }
        Ok((writer_task, background))
    }
}

/// A follower's life: it applies the writer's commits until it takes the lease over (the
/// writer went) or the node shuts down; taking over, it applies what the change log holds
/// beyond, then starts writing on the queue that requests were waiting in.
pub(crate) async fn follow_then_take_over(
    follower: cluster::follow::Follower,
    lease: store::lease::Lease,
    writing: Writing,
    queue: ingest::writer::Queue,
    rules: alert_rules::RuleSet,
    writer_slot: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
) {
    let mut shutdown = writing.shutdown.clone();
    let (stop, stopped) = watch::channel(false);
    let following = cluster::follow::spawn(follower.clone(), stopped);
    let mut held = lease.watch_held();
    let took = loop {
        if *held.borrow() {
            break true;
        }
        tokio::select! {
            _ = shutdown.changed() => if *shutdown.borrow() { break false },
            changed = held.changed() => if changed.is_err() { break false },
        }
    };
    let _ = stop.send(true);
    let _ = following.await;
    if !took {
        return;
    }
    let cluster = writing.cluster.clone();
    let started = std::time::Instant::now();
    cluster.set_role(cluster::Role::TakingOver);
    tracing::warn!("the writer is gone; this node takes over");
    // The lease is this node's: nothing commits any more but what this node will write, so
    // the log's end is the end.
    let mut caught = follower.from_log(None).await;
    while let Err(e) = caught {
        if cluster.behind(domain::time::now_ms()).is_some() {
            // The log lacks commits this node never had: it stood down (`break_with`), and
            // another node takes the lease.
            cluster.set_role(cluster::Role::Follower);
            return;
        }
        tracing::error!(error = %e, "reading the change log to take over failed; trying again");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if *shutdown.borrow() {
            return;
        }
        caught = follower.from_log(None).await;
    }
    match writing.start(queue, Some(rules)).await {
        Ok((handle, background)) => {
            *writer_slot.lock().expect("writer slot") = Some(handle);
            follower.live.set_behind(None);
            metrics::histogram!("ioc_takeover_seconds").record(started.elapsed().as_secs_f64());
            tracing::warn!(
                took_ms = started.elapsed().as_millis() as u64,
                commit = cluster.applied(),
                "this node is the writer now"
            );
            for task in background {
                let _ = task.await;
            }
        }
        Err(e) => {
            cluster.break_with(format!(
                "this node took the writer's lease but could not start writing: {e}"
            ));
        }
    }
}

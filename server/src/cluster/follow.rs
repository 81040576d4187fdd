//! A follower: applies the writer's commits, strictly in the change log's order, to this
//! node's rollup, live alerts, alert feed and accounts, and tells its live hub. Records come
//! from the Redis stream (`XREAD BLOCK`); a gap in it (a trimmed or restarted stream, a record
//! the relay has not published yet) is filled from the change log, and while Redis does not
//! answer the change log is read every half second instead.

use super::{Cluster, Source};
use crate::alerting::LiveAlerts;
use crate::auth::Auth;
use crate::bus::{Committed, Touched};
use crate::live::AlertFeed;
use crate::rollup::Rollup;
use crate::store::bus_log::{self, BusRecord, Reload};
use crate::store::{Store, StoreError};
use redis::aio::MultiplexedConnection;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// How long one `XREAD` waits for news before the change log is looked at instead.
const BLOCK: Duration = Duration::from_secs(1);
/// Records read at once, from the stream or the change log.
const BATCH: usize = 1_000;
/// The pause between reads of the change log while Redis does not answer.
const POLL: Duration = Duration::from_millis(500);

/// What a follower applies records to.
#[derive(Clone)]
pub struct Follower {
    pub store: Arc<dyn Store>,
    pub rollup: Arc<Rollup>,
    pub alerts: LiveAlerts,
    pub feed: Arc<AlertFeed>,
    pub auth: Auth,
    /// The people's web inboxes of notifications.
    pub inbox: Arc<crate::notify::inbox::Inbox>,
    pub bus: broadcast::Sender<Arc<Committed>>,
    /// This node's copies of the rule files, read again when the writer reloaded its own.
    pub rule_files: Arc<Vec<PathBuf>>,
    pub cluster: Cluster,
    /// The live screens of this node, told when its data falls behind.
    pub live: crate::live::Live,
}

impl Follower {
    /// Applies one record numbered `seq`. A reload that cannot be read leaves the record
    /// unapplied (it is tried again); everything else cannot fail.
    pub async fn apply(&self, seq: u64, record: BusRecord) -> Result<(), StoreError> {
        for r in &record.reload {
            let what = match r {
                Reload::Security => "security",
                Reload::Silences => "silences",
                Reload::Inbox(_) => "inbox",
                Reload::Rules => "rules",
            };
            metrics::counter!("ioc_bus_reloads_total", "what" => what).increment(1);
            match r {
                Reload::Security => {
                    let snapshot = self
                        .store
                        .load_security(crate::domain::time::now_ms())
                        .await?;
                    self.auth.reload(snapshot);
                }
                Reload::Silences => {
                    let silences = self.store.silences(self.rollup.now()).await?;
                    self.alerts.write(|b| b.silences = silences);
                }
                Reload::Inbox(people) => {
                    let store = self.store.notify();
                    for person in people {
                        let newest = store
                            .inbox(person, None, crate::notify::inbox::RECENT as i64)
                            .await?;
                        let unread = store.inbox_unread_of(person).await?;
                        self.inbox.replace(person, newest, unread);
                    }
                }
                Reload::Rules => match crate::alerting::files::load(&self.rule_files) {
                    Ok(set) => crate::alerting::show_rules(&self.alerts, set),
                    Err(errors) => tracing::error!(
                        errors = errors.join("; "),
                        "the writer reloaded its rules; this node's copies are not valid and the rules shown here stay as they were"
                    ),
                },
            }
        }
        let mut alerts_changed = !record.reload.is_empty();
        if !record.changes.is_empty() {
            let touched = Touched::of(&record.changes, &self.rollup);
            let commit = self.rollup.apply_numbered(&record.changes, Some(seq));
            let _ = self.bus.send(Arc::new(Committed {
                changes: record.changes,
                commit,
                touched,
            }));
        }
        if let Some(d) = record.alerts {
            let seqs: Vec<i64> = d.history.iter().map(|h| h.seq).collect();
            crate::alerting::apply_alert_rows(&self.alerts, d.upserts, d.deletes);
            self.feed.append(&d.history, &seqs);
            alerts_changed = true;
        }
        if alerts_changed {
            let _ = self
                .bus
                .send(Arc::new(Committed::alerts_changed(self.rollup.commit())));
        }
        self.cluster.applied_to(seq);
        Ok(())
    }

    /// Applies what the change log holds after what is applied, up to `upto` (everything when
    /// `None`). Returns how many records it applied. A record missing below `upto` means the
    /// log was pruned past this node: it cannot follow any more.
    pub async fn from_log(&self, upto: Option<u64>) -> Result<usize, StoreError> {
        let mut done = 0;
        loop {
            let after = self.cluster.applied();
            if upto.is_some_and(|u| after >= u) {
                return Ok(done);
            }
            let rows = self.store.log_after(after, BATCH as i64).await?;
            if rows.is_empty() {
                if let Some(u) = upto {
                    // The stream has `u`, the log has nothing after `after`: not yet committed
                    // is impossible (the stream only carries committed records), so pruned.
                    let why = format!(
                        "the change log no longer holds the commits after {after} (the stream is at {u})"
                    );
                    self.cluster.break_with(why.clone());
                    return Err(StoreError::Corrupt(why));
                }
                return Ok(done);
            }
            let mut records = Vec::with_capacity(rows.len());
            for (expected, (seq, _, body)) in (after + 1..).zip(rows) {
                // Up to `upto`, every number must be there: a log whose first record is past
                // it was pruned below it, and applying the stream's records over that hole
                // would leave this node wrong without a word.
                if upto.is_some_and(|u| expected > u) {
                    break;
                }
                if seq != expected {
                    let why = format!(
                        "the change log jumps from {} to {seq}: the commits between were pruned",
                        expected - 1
                    );
                    self.cluster.break_with(why.clone());
                    return Err(StoreError::Corrupt(why));
                }
                records.push((seq, bus_log::decode(seq, &body)?));
            }
            if records.is_empty() {
                return Ok(done);
            }
            bus_log::coalesce(&mut records);
            for (seq, record) in records {
                self.cluster.saw_head(seq);
                self.apply(seq, record).await?;
                done += 1;
            }
        }
    }
}

/// Follows the writer until `stop` turns true (this node became the writer, or shuts down).
pub fn spawn(f: Follower, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(f, stop))
}

async fn run(f: Follower, mut stop: watch::Receiver<bool>) {
    let client = f
        .cluster
        .redis_url()
        .and_then(|u| redis::Client::open(u).ok());
    let mut conn: Option<MultiplexedConnection> = None;
    let mut warned_at = 0i64;
    let mut reported = std::time::Instant::now() - super::REPORT_EVERY;
    loop {
        if *stop.borrow() {
            return;
        }
        f.live
            .set_behind(f.cluster.behind(crate::domain::time::now_ms()));
        if f.cluster.is_broken() {
            // It cannot follow (the log lacks what it needs): it waits for its restart.
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(POLL) => {}
            }
            continue;
        }
        if reported.elapsed() >= super::REPORT_EVERY {
            reported = std::time::Instant::now();
            // Not worth a warning each time: the writer then keeps the log longer, that is all.
            let _ = f
                .store
                .report_applied(f.cluster.name(), f.cluster.applied())
                .await;
        }
        if conn.is_none() {
            if let Some(c) = &client {
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(2)))
                    .set_response_timeout(Some(BLOCK + Duration::from_secs(2)));
                conn = c
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .ok();
            }
        }
        let read = match conn.as_mut() {
            Some(c) => tokio::select! {
                _ = stop.changed() => return,
                r = read_stream(c, f.cluster.stream(), f.cluster.applied()) => Some(r),
            },
            None => None,
        };
        let outcome = match read {
            Some(Ok(entries)) if !entries.is_empty() => {
                apply_entries(&f, entries).await.map(|_| true)
            }
            Some(Ok(_)) => Ok(false),
            Some(Err(e)) => {
                let now = crate::domain::time::now_ms();
                if now - warned_at > 10_000 {
                    warned_at = now;
                    tracing::warn!(error = %e, "the change stream does not answer; following the change log");
                }
                conn = None;
                Ok(false)
            }
            None => Ok(false),
        };
        match outcome {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                // A record that reads something back (accounts, silences, inboxes) while the
                // database does not answer: the same record again after a pause, not at once.
                tracing::error!(error = %e, "applying the writer's commits failed; trying again");
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        }
        // Nothing new from the stream (or no stream): whatever the log holds beyond what is
        // applied was missed (not published yet, or Redis lost it).
        match f.from_log(None).await {
            Ok(n) if n > 0 => f.cluster.set_source(Source::Log),
            Ok(_) => f.cluster.caught_up(),
            Err(e) => tracing::warn!(error = %e, "reading the change log failed"),
        }
        if conn.is_none() {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

async fn apply_entries(f: &Follower, entries: Vec<(u64, String)>) -> Result<(), StoreError> {
    if let Some((top, _)) = entries.last() {
        f.cluster.saw_head(*top);
    }
    let applied = f.cluster.applied();
    let mut records = Vec::with_capacity(entries.len());
    let mut bad = None;
    for (seq, body) in entries.into_iter().filter(|(seq, _)| *seq > applied) {
        match bus_log::decode(seq, &body) {
            Ok(record) => records.push((seq, record)),
            Err(e) => {
                bad = Some(e);
                break;
            }
        }
    }
    bus_log::coalesce(&mut records);
    for (seq, record) in records {
        let applied = f.cluster.applied();
        if seq > applied + 1 {
            // A gap: the stream was trimmed or restarted, or a commit took over on another
            // node. The log has every committed record.
            f.from_log(Some(seq - 1)).await?;
        }
        f.apply(seq, record).await?;
        f.cluster.set_source(Source::Stream);
    }
    bad.map_or(Ok(()), Err)
}

/// Reads the stream after `applied`, waiting up to `BLOCK`: (number, body) in order.
async fn read_stream(
    conn: &mut MultiplexedConnection,
    stream: &str,
    applied: u64,
) -> Result<Vec<(u64, String)>, redis::RedisError> {
    // A block that times out answers nil.
    let reply: Option<redis::streams::StreamReadReply> = redis::cmd("XREAD")
        .arg("COUNT")
        .arg(BATCH)
        .arg("BLOCK")
        .arg(BLOCK.as_millis() as u64)
        .arg("STREAMS")
        .arg(stream)
        .arg(format!("{applied}-0"))
        .query_async(conn)
        .await?;
    let Some(reply) = reply else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for key in reply.keys {
        for entry in key.ids {
            let Some(seq) = entry
                .id
                .split('-')
                .next()
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            let body: Option<String> = entry.get("r");
            if let Some(body) = body {
                out.push((seq, body));
            }
        }
    }
    Ok(out)
}

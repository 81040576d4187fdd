//! The writer's relay: publishes the change log to the Redis stream, in order, each record as
//! the entry `<number>-0`. It reads the records back from the log rather than taking them from
//! the writer, so what it publishes is exactly what committed and in commit order; it is woken
//! by each commit on the node's bus and looks anyway every 100 ms (commits that publish nothing
//! here: accounts, silences). Publishing the same number twice (after a restart or a
//! takeover) is refused by Redis as an id not above the last, and is skipped.

use super::{Cluster, LOG_KEEP, READER_GONE_AFTER, STREAM_KEEP};
use crate::bus::Committed;
use crate::store::Store;
use redis::aio::MultiplexedConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

const EVERY: Duration = Duration::from_millis(100);
/// How often the change log is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Records published per round trip.
const BATCH: i64 = 500;

pub fn spawn(
    store: Arc<dyn Store>,
    cluster: Cluster,
    wake: broadcast::Receiver<Arc<Committed>>,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(store, cluster, wake, shutdown))
}

async fn run(
    store: Arc<dyn Store>,
    cluster: Cluster,
    mut wake: broadcast::Receiver<Arc<Committed>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(client) = cluster
        .redis_url()
        .and_then(|u| redis::Client::open(u).ok())
    else {
        return;
    };
    let mut conn: Option<MultiplexedConnection> = None;
    // The last number the stream is known to hold; read from it after each (re)connect.
    let mut published: Option<u64> = None;
    let mut warned_at = 0i64;
    let mut pruned_at = std::time::Instant::now();
    loop {
        tokio::select! {
            _ = shutdown.changed() => {}
            _ = wake.recv() => {}
            _ = tokio::time::sleep(EVERY) => {}
        }
        if *shutdown.borrow() {
            return;
        }
        if pruned_at.elapsed() > PRUNE_EVERY {
            pruned_at = std::time::Instant::now();
            prune(store.as_ref(), cluster.applied()).await;
        }
        if conn.is_none() {
            let config = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(2)))
                .set_response_timeout(Some(Duration::from_secs(2)));
            conn = client
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .ok();
            published = None;
        }
        let Some(c) = conn.as_mut() else { continue };
        match publish(store.as_ref(), &cluster, c, &mut published).await {
            Ok(()) => {}
            Err(e) => {
                let now = crate::domain::time::now_ms();
                if now - warned_at > 10_000 {
                    warned_at = now;
                    tracing::warn!(error = %e, "publishing to the change stream failed; the other nodes read the change log meanwhile");
                }
                conn = None;
            }
        }
    }
}

async fn publish(
    store: &dyn Store,
    cluster: &Cluster,
    conn: &mut MultiplexedConnection,
    published: &mut Option<u64>,
) -> Result<(), anyhow::Error> {
    let mut last = match *published {
        Some(n) => n,
        None => {
            let top: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
                .arg(cluster.stream())
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(1)
                .query_async(conn)
                .await?;
            match top.ids.first() {
                Some(e) => {
                    e.id.split('-')
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0)
                }
                // An empty stream (Redis restarted empty): start at the log's head; the nodes
                // read what came before from the log.
                None => store.log_head().await?,
            }
        }
    };
    *published = Some(last);
    loop {
        let rows = store.log_after(last, BATCH).await?;
        if rows.is_empty() {
            cluster.applied_to(last.max(cluster.applied()));
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (seq, _, body) in &rows {
            pipe.add_command(xadd(cluster.stream(), *seq, body))
                .ignore();
        }
        if let Err(e) = pipe.query_async::<()>(conn).await {
            if !e.to_string().contains("equal or smaller") {
                return Err(e.into());
            }
            // Some were there already (published before a restart): add the rest one by one.
            for (seq, _, body) in &rows {
                let added: Result<String, _> =
                    xadd(cluster.stream(), *seq, body).query_async(conn).await;
                if let Err(e) = added {
                    if !e.to_string().contains("equal or smaller") {
                        return Err(e.into());
                    }
                }
            }
        }
        last = rows.last().map(|r| r.0).unwrap_or(last);
        *published = Some(last);
        metrics::gauge!("ioc_bus_published_commit").set(last as f64);
    }
}

/// The record numbered `seq` as a stream entry `<seq>-0`, the stream trimmed to about
/// `STREAM_KEEP` entries.
fn xadd(stream: &str, seq: u64, body: &str) -> redis::Cmd {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(stream)
        .arg("MAXLEN")
        .arg("~")
        .arg(STREAM_KEEP)
        .arg(format!("{seq}-0"))
        .arg("r")
        .arg(body);
    cmd
}

/// Deletes the records every live node has applied that are older than `LOG_KEEP`.
async fn prune(store: &dyn Store, committed: u64) {
    let now = crate::domain::time::now_ms();
    let readers = match store
        .log_readers(now - READER_GONE_AFTER.as_millis() as i64)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "pruning the change log: the readers could not be read");
            return;
        }
    };
    let below = prune_below(committed, &readers);
    match store
        .prune_log(below, now - LOG_KEEP.as_millis() as i64)
        .await
    {
        Ok(n) if n > 0 => tracing::info!(pruned = n, below, "change log pruned"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "pruning the change log failed"),
    }
}

/// The highest number every live reader has applied (the writer's own when none reported).
fn prune_below(committed: u64, readers: &[(String, u64)]) -> u64 {
    readers
        .iter()
        .map(|(_, applied)| *applied)
        .min()
        .unwrap_or(committed)
        .min(committed)
}

#[cfg(test)]
mod tests {
    use super::prune_below;

    #[test]
    fn the_log_is_pruned_only_below_what_every_live_reader_applied() {
        assert_eq!(prune_below(100, &[]), 100);
        assert_eq!(prune_below(100, &[("a".into(), 70), ("b".into(), 90)]), 70);
        // A reader ahead of what the relay saw (it read the log itself) prunes nothing more.
        assert_eq!(prune_below(100, &[("a".into(), 120)]), 100);
    }
}

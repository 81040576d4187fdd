//! The writer's lease on a PostgreSQL database: at most one node writes to it at a time.
//!
//! The lock is a session advisory lock taken on a connection of its own, held for as long as the
//! node runs: PostgreSQL frees it the moment that connection ends, whether the node stopped, was
//! killed or lost the network, so a dead writer never keeps the database. The `writer_lease` row
//! (migration 0020) says who holds it and since when, for the message a second node gives, and
//! counts the takings (`epoch`). SQLite needs none of this: its file is one node's.
//!
//! A node that loses its lock connection (the database restarted, its connections were cut)
//! takes the lock again as soon as it can; until then its readiness says it is not the writer.
//! Should another node have taken it meanwhile, this node's writes are refused: every write
//! transaction first checks the row's epoch under a share lock (`PgStore::begin_write`, the
//! fence), and a taking bumps it. The audit chain's `seq` key stays the last fence behind that.

use super::StoreError;
use sqlx::{Connection, PgConnection};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The advisory lock's key: the same for every node of every version, so they exclude each
/// other ("ioc!writ" as eight bytes). Advisory locks are per database, so other databases on
/// the same server (each test's own) do not collide.
pub const KEY: i64 = 0x696f_6321_7772_6974;
/// How often the held connection is checked, and a lost lock tried again.
const EVERY: Duration = Duration::from_secs(1);
/// How often a follower asks for the lock (on a connection it keeps for that): a dead writer is
/// replaced within about this long.
const FOLLOWER_ASKS_EVERY: Duration = Duration::from_millis(200);
/// How long a check or a connect may take before it counts as failed.
const WITHIN: Duration = Duration::from_secs(3);

/// This node's hold on the writer's lease, shared with readiness and `/metrics`.
#[derive(Clone)]
pub struct Lease {
    state: Arc<State>,
}

struct State {
    node: String,
    /// Where this node answers the writes other nodes forward, and the key they prove they are
    /// nodes with: written to the row when it takes the lease.
    seat: Seat,
    held: AtomicBool,
    /// Set when this node must not write or become the writer any more (it cannot follow):
    /// the keeper lets the lock go and stops asking.
    stood_down: AtomicBool,
    /// Waiting its turn behind another node's lease (several nodes), as opposed to having lost
    /// a lease it held: the keeper then asks quietly and often, on a connection it keeps.
    following: AtomicBool,
    /// Follows `held`, for a node waiting to become the writer.
    held_tx: watch::Sender<bool>,
    /// Shared with the store, whose write transactions check it against the row (the fence).
    epoch: Arc<AtomicI64>,
    /// Why the lease is not held, when it is not (who holds it, or what failed).
    lost: Mutex<Option<String>>,
}

/// Where the writer answers forwarded writes (`http://host:port`) and the key forwarded
/// requests carry; both empty for a node alone on its database.
#[derive(Debug, Clone, Default)]
pub struct Seat {
    pub address: String,
    pub key: String,
}

/// Who holds the lease, as the row says.
struct Holder {
    node: String,
    since_ms: i64,
    epoch: i64,
}

impl Lease {
    pub fn node(&self) -> &str {
        &self.state.node
    }

    pub fn held(&self) -> bool {
        self.state.held.load(Ordering::Acquire)
    }

    /// Lets the lock go (within a second) and never asks for it again: a node that can neither
    /// follow nor catch up must leave the writer's role to another.
    pub fn stand_down(&self) {
        self.state.stood_down.store(true, Ordering::Release);
    }

    /// The key forwarded requests must carry to this node while it is the writer.
    pub fn seat_key(&self) -> &str {
        &self.state.seat.key
    }

    /// Turns true when this node takes the lease (and false when it loses it).
    pub fn watch_held(&self) -> watch::Receiver<bool> {
        self.state.held_tx.subscribe()
    }

    /// The epoch of this node's latest taking.
    pub fn epoch(&self) -> i64 {
        self.state.epoch.load(Ordering::Acquire)
    }

    /// The epoch as the store's write transactions read it (`Store::fence_writes`).
    pub fn epoch_cell(&self) -> Arc<AtomicI64> {
        self.state.epoch.clone()
    }

    /// Why this node does not hold the lease now (`None` while it does).
    pub fn lost(&self) -> Option<String> {
        if self.held() {
            return None;
        }
        Some(
            self.state
                .lost
                .lock()
                .expect("lease state")
                .clone()
                .unwrap_or_else(|| "the writer's lease is not held".into()),
        )
    }

    fn set(&self, held: bool, epoch: Option<i64>, lost: Option<String>) {
        if let Some(e) = epoch {
            self.state.epoch.store(e, Ordering::Release);
        }
        *self.state.lost.lock().expect("lease state") = lost;
        self.state.following.store(false, Ordering::Release);
        self.state.held.store(held, Ordering::Release);
        self.state.held_tx.send_replace(held);
        metrics::gauge!("ioc_writer_lease_held").set(if held { 1.0 } else { 0.0 });
        metrics::gauge!("ioc_writer_lease_epoch").set(self.epoch() as f64);
    }

    /// Not held: `holder` has it, and this node waits its turn.
    fn set_following(&self, holder: &Holder) {
        self.set(false, None, Some(following(holder)));
        self.state.following.store(true, Ordering::Release);
    }
}

/// The name a node gives itself in the lease row: its host and process id.
pub fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown host".into());
    format!("{host} (pid {})", std::process::id())
}

/// Takes the writer's lease of the PostgreSQL database at `url` for `node`, or refuses with a
/// message naming the node that holds it. The returned task keeps it (checks the connection,
/// takes the lock again after a loss) until `shutdown`, then lets it go.
pub async fn claim(
    url: &str,
    node: String,
    shutdown: watch::Receiver<bool>,
) -> Result<(Lease, tokio::task::JoinHandle<()>), StoreError> {
    claim_with(url, node, Seat::default(), false, shutdown).await
}

/// As `claim`; with `wait` (several nodes), a lease held by another node is not a refusal: the
/// returned lease is not held and its task tries to take it every second, so this node becomes
/// the writer when the writer goes (`Lease::watch_held`).
pub async fn claim_with(
    url: &str,
    node: String,
    seat: Seat,
    wait: bool,
    shutdown: watch::Receiver<bool>,
) -> Result<(Lease, tokio::task::JoinHandle<()>), StoreError> {
    let mut conn = PgConnection::connect(url).await?;
    let taken = take(&mut conn, &node, &seat).await?;
    let (held_tx, _) = watch::channel(false);
    let lease = Lease {
        state: Arc::new(State {
            node,
            seat,
            held: AtomicBool::new(false),
            stood_down: AtomicBool::new(false),
            following: AtomicBool::new(false),
            held_tx,
            epoch: Arc::new(AtomicI64::new(0)),
            lost: Mutex::new(None),
        }),
    };
    let conn = match taken {
        Ok(epoch) => {
            lease.set(true, Some(epoch), None);
            tracing::info!(
                node = lease.node(),
                epoch,
                "this node is the writer (lease taken)"
            );
            Some(conn)
        }
        Err(holder) if wait => {
            let _ = conn.close().await;
            tracing::info!(node = lease.node(), writer = %holder.node, "this node follows the writer");
            lease.set_following(&holder);
            None
        }
        Err(holder) => {
            let _ = conn.close().await;
            return Err(StoreError::Config(refusal(&holder)));
        }
    };
    let keeper = tokio::spawn(keep(lease.clone(), url.to_string(), conn, shutdown));
    Ok((lease, keeper))
}

fn following(holder: &Holder) -> String {
    format!(
        "this node follows the writer, {} (lease {})",
        holder.node, holder.epoch
    )
}

fn refusal(holder: &Holder) -> String {
    format!(
        "another ioc node is already the writer of this PostgreSQL database: {}, since {} (lease {}). \
         One node writes to a database; several nodes on one database share a Redis (REDIS_URL) \
         and follow the writer. Give this node the same REDIS_URL, stop that node, or give this one \
         a database of its own.",
        holder.node,
        crate::domain::time::format_ts(holder.since_ms),
        holder.epoch
    )
}

/// The lock and the row on `conn`: `Ok(epoch)` when taken, `Err(holder)` when another node has it.
async fn take(
    conn: &mut PgConnection,
    node: &str,
    seat: &Seat,
) -> Result<Result<i64, Holder>, StoreError> {
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(KEY)
        .fetch_one(&mut *conn)
        .await?;
    if !got {
        let row: Option<(String, i64, i64)> =
            sqlx::query_as("SELECT node, since_ms, epoch FROM writer_lease WHERE id = 1")
                .fetch_optional(&mut *conn)
                .await?;
        let (node, since_ms, epoch) = row.unwrap_or_else(|| {
            (
                "a node starting up".into(),
                crate::domain::time::now_ms(),
                0,
            )
        });
        return Ok(Err(Holder {
            node,
            since_ms,
            epoch,
        }));
    }
    let epoch: i64 = sqlx::query_scalar(
        "INSERT INTO writer_lease (id, epoch, node, since_ms, address, forward_key) \
         VALUES (1, 1, $1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET epoch = writer_lease.epoch + 1, node = EXCLUDED.node, \
         since_ms = EXCLUDED.since_ms, address = EXCLUDED.address, \
         forward_key = EXCLUDED.forward_key RETURNING epoch",
    )
    .bind(node)
    .bind(crate::domain::time::now_ms())
    .bind(&seat.address)
    .bind(&seat.key)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Ok(epoch))
}

async fn keep(
    lease: Lease,
    url: String,
    mut conn: Option<PgConnection>,
    mut shutdown: watch::Receiver<bool>,
) {
    // A follower's connection for asking, kept between asks.
    let mut asking: Option<PgConnection> = None;
    loop {
        let following = lease.state.following.load(Ordering::Acquire);
        let pause = if following {
            FOLLOWER_ASKS_EVERY
        } else {
            EVERY
        };
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tokio::time::sleep(pause) => {}
        }
        if *shutdown.borrow() {
            break;
        }
        if lease.state.stood_down.load(Ordering::Acquire) {
            for c in [conn.take(), asking.take()].into_iter().flatten() {
                let _ = c.close().await;
            }
            lease.set(false, None, Some("this node stood down: it cannot follow the writer and does not take its place; restart it".into()));
            let _ = shutdown.changed().await;
            break;
        }
        if let Some(c) = conn.as_mut() {
            let row = tokio::time::timeout(
                WITHIN,
                sqlx::query_as::<_, (i64, String)>(
                    "SELECT epoch, node FROM writer_lease WHERE id = 1",
                )
                .fetch_one(&mut *c),
            )
            .await;
            match row {
                Ok(Ok((epoch, _))) if epoch == lease.epoch() => continue,
                Ok(Ok((epoch, node))) => {
                    // Only a node without the lock could have written this; the lock decides,
                    // so this node lets it go and takes it again (its writes are refused meanwhile).
                    tracing::error!(node = lease.node(), holder = %node, epoch, "the lease row names another node while this one holds the lock");
                    lease.set(false, None, Some(format!("this node is not the writer: {node} holds the writer's lease (lease {epoch})")));
                }
                _ => {
                    tracing::warn!(
                        node = lease.node(),
                        "lost the connection that holds the writer's lease; taking it again"
                    );
                    lease.set(false, None, Some("this node lost its hold on the writer's lease (its connection to the database ended) and is taking it again".into()));
                }
            }
            if let Some(c) = conn.take() {
                let _ = c.close().await;
            }
        }
        let taken = match asking.take() {
            Some(mut c) => {
                match tokio::time::timeout(WITHIN, take(&mut c, lease.node(), &lease.state.seat))
                    .await
                {
                    Ok(Ok(t)) => Ok((c, t)),
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(StoreError::Config(format!(
                        "no answer within {} s",
                        WITHIN.as_secs()
                    ))),
                }
            }
            None => retake(&url, lease.node(), &lease.state.seat).await,
        };
        match taken {
            Ok((c, Ok(epoch))) => {
                if following {
                    tracing::info!(
                        node = lease.node(),
                        epoch,
                        "this node takes over as the writer"
                    );
                } else {
                    tracing::info!(node = lease.node(), epoch, "the writer's lease taken again");
                }
                lease.set(true, Some(epoch), None);
                conn = Some(c);
            }
            Ok((c, Err(holder))) => {
                if following {
                    // A follower waiting its turn: nothing to tell each time; it asks again on
                    // the same connection.
                    lease.set_following(&holder);
                    asking = Some(c);
                    continue;
                }
                let why = if holder.node == lease.node() {
                    // The database has not yet noticed that the old connection is gone.
                    "the database still counts this node's previous connection as the writer; waiting for it to end".to_string()
                } else {
                    tracing::error!(node = lease.node(), holder = %holder.node, "another node took the writer's lease");
                    format!(
                        "this node is not the writer: {} took the writer's lease (lease {})",
                        holder.node, holder.epoch
                    )
                };
                lease.set(false, None, Some(why));
                let _ = c.close().await;
            }
            Err(e) if following => {
                // The database is away; the next ask connects again.
                tracing::debug!(error = %e, "asking for the writer's lease failed");
            }
            Err(e) => {
                lease.set(false, None, Some(format!("this node lost its hold on the writer's lease and cannot take it again: {e}")));
            }
        }
    }
    for c in [conn, asking].into_iter().flatten() {
        // Closing ends the session, which frees the lock at once for the next node.
        let _ = c.close().await;
    }
}

async fn retake(
    url: &str,
    node: &str,
    seat: &Seat,
) -> Result<(PgConnection, Result<i64, Holder>), StoreError> {
    let mut conn = tokio::time::timeout(WITHIN, PgConnection::connect(url))
        .await
        .map_err(|_| {
            StoreError::Config(format!("no connection within {} s", WITHIN.as_secs()))
        })??;
    let taken = take(&mut conn, node, seat).await?;
    Ok((conn, taken))
}

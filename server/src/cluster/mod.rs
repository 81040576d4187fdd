//! Several nodes on one PostgreSQL and one Redis: which role this node plays, the change
//! bus between them (the writer's relay from the change log to a Redis stream, `relay.rs`; the
//! other nodes following it, `follow.rs`) and what `/metrics` and readiness say about both.
//! It applies records to the rollup, the alerts and the accounts; it never imports the writer
//! or HTTP (the forwarding of writes is HTTP's, `http/forward.rs`).

pub mod follow;
pub mod relay;

use crate::domain::time::now_ms;
use crate::domain::Ts;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The Redis streams the writers publish change logs to are named this and the database's own
/// id (`Store::cluster_id`), so two databases sharing a Redis (two cities, or a database reset
/// while Redis kept its stream) never read each other's records; entry ids are `<number>-0`.
pub const STREAM: &str = "ioc:changes";
/// Entries the stream keeps (about; Redis trims by whole nodes): older ones are read from the
/// change log by a node that needs them.
pub const STREAM_KEEP: u64 = 100_000;
/// A follower that has applied nothing for this long while the writer is ahead says it is
/// behind (readiness, the screens' banner).
pub const BEHIND_AFTER: Duration = Duration::from_secs(5);
/// How long the change log keeps a record every node has applied: a node restarted within it
/// follows on from the log; older records are pruned by the writer.
pub const LOG_KEEP: Duration = Duration::from_secs(3600);
/// A node that has not said how far it applied for this long is taken to be gone: the log is
/// pruned without waiting for it (it rebuilds from the store when it comes back).
pub const READER_GONE_AFTER: Duration = Duration::from_secs(600);
/// How often a follower says how far it applied.
pub const REPORT_EVERY: Duration = Duration::from_secs(5);

/// What this node is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Alone on its database (SQLite, or PostgreSQL without Redis).
    Alone,
    /// Writes, and publishes its commits on the bus.
    Writer,
    /// Applies the writer's commits and forwards writes to it.
    Follower,
    /// Was a follower, holds the lease now, and is rebuilding what the writer owns.
    TakingOver,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Alone => "alone",
            Role::Writer => "writer",
            Role::Follower => "follower",
            Role::TakingOver => "taking_over",
        }
    }

    fn from_u8(v: u8) -> Role {
        match v {
            1 => Role::Writer,
            2 => Role::Follower,
            3 => Role::TakingOver,
            _ => Role::Alone,
        }
    }

    fn as_u8(self) -> u8 {
        match self {
            Role::Alone => 0,
            Role::Writer => 1,
            Role::Follower => 2,
            Role::TakingOver => 3,
        }
    }
}

/// Where a follower's records came from last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Stream,
    /// The change log itself: Redis down, or entries missing from the stream.
    Log,
}

/// This node's place among the nodes, shared by the follower, the relay, readiness, `/metrics`
/// and the forwarding of writes. Cheap to clone.
#[derive(Clone)]
pub struct Cluster {
    state: Arc<State>,
}

struct State {
    /// This node's name (host and process), as in the lease row.
    name: String,
    /// The stream of this database's change log.
    stream: String,
    role: AtomicU8,
    /// The last change log number applied here (a follower) or committed (the writer).
    applied: AtomicU64,
    /// The highest number this node knows the writer reached.
    head: AtomicU64,
    /// When `applied` last moved, or the follower last found nothing to apply (ms).
    progressed_at: AtomicI64,
    source: AtomicU8,
    redis_url: Option<String>,
    /// This node's hold on the writer's lease, to let it go when the node cannot follow.
    lease: std::sync::OnceLock<crate::store::lease::Lease>,
    /// The writer's address and forward key as last read from the lease row, and when.
    seat: std::sync::Mutex<Option<(String, String, std::time::Instant)>>,
    /// Why this node cannot follow any more (a record it cannot read, a gap the log no longer
    /// holds): it needs a restart, which rebuilds it from the store.
    broken: std::sync::Mutex<Option<String>>,
}

impl Cluster {
    /// `database_id`: the store's `cluster_id`, which names the stream.
    pub fn new(role: Role, redis_url: Option<String>, name: String, database_id: &str) -> Cluster {
        let c = Cluster {
            state: Arc::new(State {
                name,
                stream: format!("{STREAM}:{database_id}"),
                role: AtomicU8::new(role.as_u8()),
                applied: AtomicU64::new(0),
                head: AtomicU64::new(0),
                progressed_at: AtomicI64::new(now_ms()),
                source: AtomicU8::new(0),
                redis_url,
                broken: std::sync::Mutex::new(None),
                seat: std::sync::Mutex::new(None),
                lease: std::sync::OnceLock::new(),
            }),
        };
        c.set_role(role);
        c
    }

    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// The Redis stream of this database's change log.
    pub fn stream(&self) -> &str {
        &self.state.stream
    }

    pub fn role(&self) -> Role {
        Role::from_u8(self.state.role.load(Ordering::Acquire))
    }

    pub fn set_role(&self, role: Role) {
        self.state.role.store(role.as_u8(), Ordering::Release);
        for r in [Role::Alone, Role::Writer, Role::Follower, Role::TakingOver] {
            metrics::gauge!("ioc_node_role", "role" => r.name()).set(if r == role {
                1.0
            } else {
                0.0
            });
        }
    }

    /// Whether this node takes writes itself (alone, or the writer).
    pub fn writes_here(&self) -> bool {
        matches!(self.role(), Role::Alone | Role::Writer)
    }

    pub fn redis_url(&self) -> Option<&str> {
        self.state.redis_url.as_deref()
    }

    pub fn applied(&self) -> u64 {
        self.state.applied.load(Ordering::Acquire)
    }

    pub fn head(&self) -> u64 {
        self.state.head.load(Ordering::Acquire).max(self.applied())
    }

    /// Records that `n` is applied (or committed, on the writer).
    pub fn applied_to(&self, n: u64) {
        self.state.applied.fetch_max(n, Ordering::AcqRel);
        self.saw_head(n);
        self.state.progressed_at.store(now_ms(), Ordering::Release);
        metrics::gauge!("ioc_bus_applied_commit").set(self.applied() as f64);
        metrics::gauge!("ioc_bus_lag_commits").set(self.lag() as f64);
    }

    /// The writer is known to have reached `n`.
    pub fn saw_head(&self, n: u64) {
        self.state.head.fetch_max(n, Ordering::AcqRel);
        metrics::gauge!("ioc_bus_writer_commit").set(self.head() as f64);
        metrics::gauge!("ioc_bus_lag_commits").set(self.lag() as f64);
    }

    /// The follower looked and found nothing new: it is not behind, however long ago it last
    /// applied something.
    pub fn caught_up(&self) {
        if self.lag() == 0 {
            self.state.progressed_at.store(now_ms(), Ordering::Release);
        }
    }

    /// Commits the writer has and this node does not.
    pub fn lag(&self) -> u64 {
        self.head().saturating_sub(self.applied())
    }

    pub fn set_source(&self, s: Source) {
        let v = match s {
            Source::Stream => 0,
            Source::Log => 1,
        };
        self.state.source.store(v, Ordering::Release);
        metrics::gauge!("ioc_bus_source", "source" => "stream").set(if v == 0 { 1.0 } else { 0.0 });
        metrics::gauge!("ioc_bus_source", "source" => "log").set(if v == 1 { 1.0 } else { 0.0 });
    }

    pub fn source(&self) -> Source {
        match self.state.source.load(Ordering::Acquire) {
            0 => Source::Stream,
            _ => Source::Log,
        }
    }

    /// The writer's (address, forward key) if read within `fresh`.
    pub fn writer_seat(&self, fresh: Duration) -> Option<(String, String)> {
        let seat = self.state.seat.lock().unwrap_or_else(|p| p.into_inner());
        seat.as_ref()
            .filter(|s| s.2.elapsed() < fresh)
            .map(|s| (s.0.clone(), s.1.clone()))
    }

    pub fn remember_writer_seat(&self, address: String, key: String) {
        *self.state.seat.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((address, key, std::time::Instant::now()));
    }

    /// Whether this node has found it cannot follow (`break_with`).
    pub fn is_broken(&self) -> bool {
        self.state
            .broken
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    pub fn set_lease(&self, lease: crate::store::lease::Lease) {
        let _ = self.state.lease.set(lease);
    }

    /// This node cannot follow any more: it says so (readiness, screens) and lets the writer's
    /// lease go, so it never becomes a writer that lacks commits.
    pub fn break_with(&self, why: String) {
        tracing::error!(reason = %why, "this node stopped following the writer; restart it");
        if let Some(l) = self.state.lease.get() {
            l.stand_down();
        }
        *self.state.broken.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
    }

    /// Why this node's data is behind the writer's, if it is (a follower only): it has not
    /// applied anything for `BEHIND_AFTER` while commits were waiting, or it cannot follow.
    pub fn behind(&self, now: Ts) -> Option<String> {
        if let Some(why) = self
            .state
            .broken
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Some(why);
        }
        if self.role() != Role::Follower {
            return None;
        }
        let since = self.state.progressed_at.load(Ordering::Acquire);
        let quiet = now - since;
        if self.lag() > 0 && quiet > BEHIND_AFTER.as_millis() as i64 {
            return Some(format!(
                "this node's data is behind the writer's: {} commits not applied, nothing applied for {} s",
                self.lag(),
                quiet / 1000
            ));
        }
        if quiet > 3 * BEHIND_AFTER.as_millis() as i64 {
            return Some(format!(
                "this node has not heard from the change bus or the change log for {} s",
                quiet / 1000
            ));
        }
        None
    }
}

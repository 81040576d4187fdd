//! Live screens over WebSocket: which views and alert feeds each connection follows, views
//! re-rendered once per tick when what they show changed and pushed to every subscriber as the
//! same shared frame, and a lossless, ordered alert feed that resumes by id. The protocol is
//! written down in LIVE.md; `protocol` holds its types.
//!
//! Shape: the writer publishes each applied batch (with what it touched) on the bus; one hub
//! task marks the affected views dirty, renders them on its tick and puts the frames into each
//! connection's `Outbox`; each connection's task drains its outbox to the socket. Nothing here
//! can slow the writer: the bus is a broadcast channel (a lagging hub re-renders everything),
//! and a slow socket only makes its own outbox coalesce.

pub mod conn;
pub mod feed;
mod hub;
pub mod outbox;
pub mod patch;
pub mod protocol;

use crate::alerting::LiveAlerts;
use crate::bus::Committed;
use crate::notify::Inbox;
use crate::rollup::Rollup;
use dashmap::DashMap;
pub use feed::AlertFeed;
use hub::HubCmd;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};

/// Timing and limits of the live endpoint (`ioc serve --help` names the flags).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveConfig {
    /// Views changed within one tick are sent once, with their newest state.
    pub tick: Duration,
    /// How often the server pings each connection.
    pub heartbeat: Duration,
    /// A connection that sends nothing (not even a pong) for this long is closed.
    pub idle_timeout: Duration,
    /// Largest client message answered; larger ones get `message_too_large` and the
    /// connection stays. Frames beyond `hard_message_bytes` close it (1009).
    pub max_message_bytes: usize,
    pub hard_message_bytes: usize,
    /// View and alert subscriptions per connection.
    pub max_subscriptions: usize,
    /// Open connections per client address.
    pub max_connections_per_client: usize,
    pub max_connections: usize,
    /// Alert frames queued for one connection before it is closed as too slow (4008).
    pub alert_queue: usize,
    /// Newest alert-history entries kept in memory for resuming clients.
    pub alert_memory: usize,
    /// Kernel send buffer per accepted connection, in bytes (0: the OS default, autotuned up
    /// to `net.ipv4.tcp_wmem`). A cap bounds what a stalled screen holds in the kernel.
    pub tcp_send_buffer: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            tick: Duration::from_millis(150),
            heartbeat: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            max_message_bytes: 16 * 1024,
            hard_message_bytes: 1024 * 1024,
            max_subscriptions: 32,
            max_connections_per_client: 256,
            max_connections: 20_000,
            alert_queue: 4096,
            alert_memory: 20_000,
            tcp_send_buffer: 0,
        }
    }
}

/// The handle handlers and connections use: cheap to clone.
#[derive(Clone)]
pub struct Live {
    hub: mpsc::Sender<HubCmd>,
    pub feed: Arc<AlertFeed>,
    pub config: LiveConfig,
    clients: Arc<DashMap<IpAddr, usize>>,
    open: Arc<AtomicUsize>,
    next_conn: Arc<AtomicU64>,
    /// Why this node's data is behind the writer's (a follower of several nodes), told to
    /// screens in every pong so they show it.
    behind: Arc<std::sync::RwLock<Option<String>>>,
}

/// Why a new connection was refused before the upgrade.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("this client has {0} live connections open already (the limit)")]
    PerClient(usize),
    #[error("the server holds {0} live connections (the limit); retry later")]
    Full(usize),
}

/// A held connection slot: counted while it lives.
pub struct Slot {
    ip: IpAddr,
    clients: Arc<DashMap<IpAddr, usize>>,
    open: Arc<AtomicUsize>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
        self.clients.remove_if_mut(&self.ip, |_, n| {
            *n -= 1;
            *n == 0
        });
        metrics::gauge!("ioc_ws_connections").decrement(1.0);
    }
}

impl Live {
    /// Starts the hub. It stops on `shutdown` and then closes every connection (1001).
    pub fn start(
        config: LiveConfig,
        rollup: Arc<Rollup>,
        alerts: LiveAlerts,
        feed: Arc<AlertFeed>,
        inbox: Arc<Inbox>,
        bus: broadcast::Receiver<Arc<Committed>>,
        shutdown: watch::Receiver<bool>,
    ) -> (Live, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(4096);
        let task = tokio::spawn(
            hub::Hub::new(config, rollup, alerts, feed.clone(), inbox).run(rx, bus, shutdown),
        );
        (
            Live {
                hub: tx,
                feed,
                config,
                clients: Arc::new(DashMap::new()),
                open: Arc::new(AtomicUsize::new(0)),
                next_conn: Arc::new(AtomicU64::new(1)),
                behind: Arc::default(),
            },
            task,
        )
    }

    /// Sets (or clears) why this node's data is behind the writer's.
    pub fn set_behind(&self, why: Option<String>) {
        *self.behind.write().unwrap_or_else(|p| p.into_inner()) = why;
    }

    pub fn behind(&self) -> Option<String> {
        self.behind
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Takes a connection slot for a client, or says which limit refuses it.
    pub fn admit(&self, ip: IpAddr) -> Result<Slot, Refused> {
        let open = self.open.fetch_add(1, Ordering::Relaxed);
        if open >= self.config.max_connections {
            self.open.fetch_sub(1, Ordering::Relaxed);
            return Err(Refused::Full(open));
        }
        let mut n = self.clients.entry(ip).or_insert(0);
        if *n >= self.config.max_connections_per_client {
            let held = *n;
            drop(n);
            self.open.fetch_sub(1, Ordering::Relaxed);
            return Err(Refused::PerClient(held));
        }
        *n += 1;
        drop(n);
        metrics::gauge!("ioc_ws_connections").increment(1.0);
        Ok(Slot {
            ip,
            clients: self.clients.clone(),
            open: self.open.clone(),
        })
    }

    pub fn connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    fn next_conn(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Closes every live connection (1001, going away) and refuses new ones: the first step
    /// of a shutdown, since HTTP's graceful stop waits for open connections.
    pub async fn close_all(&self) {
        self.send(HubCmd::CloseAll).await;
    }

    async fn send(&self, cmd: HubCmd) -> bool {
        self.hub.send(cmd).await.is_ok()
    }
}

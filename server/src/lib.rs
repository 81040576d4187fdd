//! The operations-center server as a library: `open` a node (store, rollup rebuilt from it,
//! writer), `serve` it on a listener until a shutdown signal, `close` it without losing what was
//! acknowledged. The `ioc` binary, the tests and the benchmarks all start it this way.

pub mod alerting;
pub mod asof;
pub mod audit;
pub mod auth;
pub mod backtest;
pub mod bench;
pub mod bus;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod domain;
pub mod evaluation;
pub mod http;
pub mod i18n;
pub mod import;
pub mod ingest;
pub mod live;
pub mod meeting;
pub mod notify;
pub mod public;
pub mod report;
mod roles;
pub mod rollup;
pub mod store;
pub mod telemetry;

use bus::Committed;
use clock::ClockMode;
use ingest::writer::Writer;
use roles::Writing;
use rollup::Rollup;
use std::future::Future;
use std::sync::Arc;
use store::Store;
use tokio::sync::{broadcast, watch};

/// Everything a running node shares between its tasks and handlers: cheap handles only.
#[derive(Clone)]
pub struct Node {
    pub store: Arc<dyn Store>,
    pub rollup: Arc<Rollup>,
    pub writer: Writer,
    pub bus: broadcast::Sender<Arc<Committed>>,
    pub clock: ClockMode,
    pub limits: http::Limits,
    /// Live alerts and silences, kept by the writer's rule engine.
    pub alerts: alerting::LiveAlerts,
    /// Where the rules come from (empty: the built-in default pack), for reloads.
    pub rule_files: Arc<Vec<std::path::PathBuf>>,
    /// The WebSocket hub and the alert feed.
    pub live: live::Live,
    /// The web UI's settings (wall boards, root unit, files from disk).
    pub dashboard: Arc<http::web::DashboardConfig>,
    /// Accounts, sessions, API tokens and the throttles.
    pub auth: auth::Auth,
    /// The evaluation model of officials (the `[evaluation]` table; Decree 335 by default).
    pub evaluation: Arc<evaluation::EvaluationConfig>,
    /// Notifications: the settings, the live inboxes, the link keys, the worker's wake-up.
    pub notifier: notify::Notifier,
    /// This node's hold on the writer's lease (PostgreSQL only; `None` on SQLite).
    pub lease: Option<store::lease::Lease>,
    /// Its role among several nodes, and how far it follows the writer.
    pub cluster: cluster::Cluster,
    /// Past moments of the board, rebuilt from history (`asof/`).
    pub past: asof::Past,
    /// The public boards citizens read, cached (`public/`).
    pub public: public::PublicBoards,
}

/// The parts of a node that outlive its handlers: the writer task and the shutdown signal.
pub struct NodeTasks {
    /// The writer's task once it runs (a follower's starts when it takes over).
    writer: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
    shutdown: watch::Sender<bool>,
    background: Vec<tokio::task::JoinHandle<()>>,
    /// The task that keeps the writer's lease (PostgreSQL), and its own stop: it lets the lease
    /// go only after the writer has committed everything queued.
    lease: Option<(watch::Sender<bool>, tokio::task::JoinHandle<()>)>,
}

impl NodeTasks {
    /// A receiver that turns true when the node shuts down, for background tasks.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn add_background(&mut self, task: tokio::task::JoinHandle<()>) {
        self.background.push(task);
    }
}

/// Opens the store, rebuilds the rollup from it and starts the writer with the default rule
/// pack (and, for the system clock, the ticker).
pub async fn open(
    database_url: &str,
    clock: ClockMode,
    limits: http::Limits,
) -> anyhow::Result<(Node, NodeTasks)> {
    open_with_rules(database_url, clock, limits, &[]).await
}

/// As `open`, with the rules read from these files and folders (none: the default pack).
pub async fn open_with_rules(
    database_url: &str,
    clock: ClockMode,
    limits: http::Limits,
    rule_files: &[std::path::PathBuf],
) -> anyhow::Result<(Node, NodeTasks)> {
    open_with(
        database_url,
        clock,
        limits,
        rule_files,
        notify::NotifyConfig::default(),
    )
    .await
}

/// As `open_with_rules`, with these notification settings (the `[notify]` table).
pub async fn open_with(
    database_url: &str,
    clock: ClockMode,
    limits: http::Limits,
    rule_files: &[std::path::PathBuf],
    notify: notify::NotifyConfig,
) -> anyhow::Result<(Node, NodeTasks)> {
    open_checked(database_url, clock, limits, rule_files, notify, None).await
}

/// Reads and checks the rule files, then opens the node.
async fn open_checked(
    database_url: &str,
    clock: ClockMode,
    limits: http::Limits,
    rule_files: &[std::path::PathBuf],
    notify: notify::NotifyConfig,
    cluster: Option<ClusterOptions>,
) -> anyhow::Result<(Node, NodeTasks)> {
    let rules = alerting::files::load(rule_files).map_err(|errors| {
        anyhow::anyhow!("the rule files are not valid:\n{}", errors.join("\n"))
    })?;
    open_node(
        database_url,
        clock,
        limits,
        Some(rules),
        rule_files,
        notify,
        cluster,
    )
    .await
}

/// As `open`, with no alerting at all (benchmarks compare against it).
pub async fn open_without_rules(
    database_url: &str,
    clock: ClockMode,
    limits: http::Limits,
) -> anyhow::Result<(Node, NodeTasks)> {
    open_node(
        database_url,
        clock,
        limits,
        None,
        &[],
        notify::NotifyConfig::default(),
        None,
    )
    .await
}

/// Several nodes on one PostgreSQL: the Redis they share and where this node answers the
/// writes the others forward to it when it is the writer.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub redis_url: String,
    /// `http://host:port` the other nodes reach this one at.
    pub address: String,
}

/// As `open_with`, as one of several nodes on one PostgreSQL and one Redis: the writer if no
/// node holds the writer's lease, else a follower that applies the writer's commits, forwards
/// writes to it and takes over when it goes. On SQLite this is `open_with`.
pub async fn open_cluster(
    database_url: &str,
    clock: ClockMode,
    limits: http::Limits,
    rule_files: &[std::path::PathBuf],
    notify: notify::NotifyConfig,
    cluster: ClusterOptions,
) -> anyhow::Result<(Node, NodeTasks)> {
    open_checked(
        database_url,
        clock,
        limits,
        rule_files,
        notify,
        Some(cluster),
    )
    .await
}

async fn open_node(
    database_url: &str,
    clock: ClockMode,
    limits: http::Limits,
    rules: Option<alert_rules::RuleSet>,
    rule_files: &[std::path::PathBuf],
    notify_config: notify::NotifyConfig,
    options: Option<ClusterOptions>,
) -> anyhow::Result<(Node, NodeTasks)> {
    // Install the metrics recorder before anything counts.
    telemetry::prometheus();
    let store = store::connect(database_url).await?;
    let options = options.filter(|_| store.backend() == "postgres");
    if options.is_some() {
        store.log_changes();
    }
    // Before anything is written or even read: a second node on the same PostgreSQL stops here,
    // naming the writer, instead of rebuilding a rollup it would then fork; with Redis it
    // becomes a follower.
    let (shutdown, _) = watch::channel(false);
    let (lease, lease_task) = if store.backend() == "postgres" {
        let (stop, stopped) = watch::channel(false);
        let seat = match &options {
            Some(o) => store::lease::Seat {
                address: o.address.clone(),
                key: auth::secret::random_secret(),
            },
            None => store::lease::Seat::default(),
        };
        let (lease, keeper) = store::lease::claim_with(
            database_url,
            store::lease::node_name(),
            seat,
            options.is_some(),
            stopped,
        )
        .await?;
        store.fence_writes(lease.epoch_cell());
        (Some(lease), Some((stop, keeper)))
    } else {
        (None, None)
    };
    let role = match (&options, &lease) {
        (Some(_), Some(l)) if !l.held() => cluster::Role::Follower,
        (Some(_), _) => cluster::Role::Writer,
        (None, _) => cluster::Role::Alone,
    };
    // The stream is named after this database, so databases sharing a Redis stay apart.
    let database_id = match role {
        cluster::Role::Alone => String::new(),
        _ => store.cluster_id(&auth::secret::random_id()).await?,
    };
    let cluster = cluster::Cluster::new(
        role,
        options.as_ref().map(|o| o.redis_url.clone()),
        lease
            .as_ref()
            .map(|l| l.node().to_string())
            .unwrap_or_default(),
        &database_id,
    );
    if role == cluster::Role::Follower {
        // A writer started without Redis writes no change log: following it would show a city
        // that never moves.
        if let Some((writer, address, _)) = store.writer_seat().await? {
            if address.is_empty() {
                anyhow::bail!(
                    "the writer of this PostgreSQL database, {writer}, runs without REDIS_URL: it \
                     publishes no changes for other nodes to follow. Restart it with the same \
                     REDIS_URL as this node, then start this one again."
                );
            }
        }
    }
    if let Some(l) = &lease {
        cluster.set_lease(l.clone());
    }
    // A follower reads the store while the writer's commits wait (`hold_commits`), so what it
    // reads is exactly what one change log number includes, and it follows from there.
    let hold = if role == cluster::Role::Follower {
        store.hold_commits().await?
    } else {
        None
    };
    let started = std::time::Instant::now();
    let snapshot = store.load_catalog().await?;
    let stored_clock = snapshot.clock;
    let now = clock.start_time(snapshot.clock);
    let rollup = Arc::new(Rollup::rebuild(snapshot, now));
    // The tasks (the bulk) stream in: a blocking thread applies each batch while the next is
    // read and decoded, and no vector of every row is ever held.
    let (batches, mut received) = tokio::sync::mpsc::channel(4);
    let apply = tokio::task::spawn_blocking({
        let rollup = rollup.clone();
        move || {
            while let Some(batch) = received.blocking_recv() {
                rollup.add_loaded_tasks(batch);
            }
        }
    });
    let read = store.load_tasks(batches).await;
    apply.await?;
    read?;
    let loaded = started.elapsed();
    let tasks = rollup.task_count();
    tracing::info!(
        backend = store.backend(),
        tasks,
        load_ms = loaded.as_millis() as u64,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "rollup rebuilt from the store"
    );
    let alerts = alerting::LiveAlerts::default();
    let auth = auth::Auth::new(
        limits.auth,
        store.load_security(domain::time::now_ms()).await?,
    );
    let feed = Arc::new(live::AlertFeed::new(
        store.last_alert_seq().await?,
        limits.live.alert_memory,
    ));
    if role != cluster::Role::Alone {
        let head = match &hold {
            Some((_, at)) => *at,
            None => store.log_head().await?,
        };
        rollup.set_commit(head);
        cluster.applied_to(head);
    }
    let (bus, _) = broadcast::channel(1024);
    let hub_bus = bus.subscribe();
    let notifier = notify::Notifier::open(store.as_ref(), notify_config).await?;
    let (writer, queue) = Writer::queue();
    let writer_slot = Arc::new(std::sync::Mutex::new(None));
    let mut node_tasks = NodeTasks {
        writer: writer_slot.clone(),
        shutdown,
        background: Vec::new(),
        lease: lease_task,
    };
    let (live, hub) = live::Live::start(
        limits.live,
        rollup.clone(),
        alerts.clone(),
        feed.clone(),
        notifier.inbox.clone(),
        hub_bus,
        node_tasks.shutdown_signal(),
    );
    node_tasks.add_background(hub);
    let public = public::PublicBoards::new(rollup.clone(), store.clone(), limits.public.clone());
    node_tasks.add_background(public.spawn(bus.subscribe(), node_tasks.shutdown_signal()));
    let rule_files = Arc::new(rule_files.to_vec());
    let past = asof::Past::new(store.clone(), &limits.history);
    let writing = Writing {
        store: store.clone(),
        rollup: rollup.clone(),
        bus: bus.clone(),
        alerts: alerts.clone(),
        feed: feed.clone(),
        auth: auth.clone(),
        notifier: notifier.clone(),
        writer: writer.clone(),
        clock,
        stored_clock,
        cluster: cluster.clone(),
        history: limits.history.clone(),
        shutdown: node_tasks.shutdown_signal(),
    };
    if role == cluster::Role::Follower {
        let rules = rules.unwrap_or_default();
        alerting::board_from_store(
            &alerts,
            store.load_alerts().await?,
            store.silences(now).await?,
            rules.clone(),
        );
        drop(hold);
        let follower = cluster::follow::Follower {
            store: store.clone(),
            rollup: rollup.clone(),
            alerts: alerts.clone(),
            feed: feed.clone(),
            auth: auth.clone(),
            inbox: notifier.inbox.clone(),
            bus: bus.clone(),
            rule_files: rule_files.clone(),
            cluster: cluster.clone(),
            live: live.clone(),
        };
        let lease = lease.clone().expect("a follower has a lease to wait for");
        node_tasks.add_background(tokio::spawn(roles::follow_then_take_over(
            follower,
            lease,
            writing,
            queue,
            rules,
            writer_slot,
        )));
    } else {
        let (handle, background) = writing.start(queue, rules).await?;
        *writer_slot.lock().expect("writer slot") = Some(handle);
        for task in background {
            node_tasks.add_background(task);
        }
    }
    Ok((
        Node {
            store,
            rollup,
            writer,
            bus,
            clock,
            limits,
            alerts,
            rule_files,
            live,
            dashboard: Arc::default(),
            auth,
            evaluation: Arc::default(),
            notifier,
            lease,
            cluster,
            public,
            past,
        },
        node_tasks,
    ))
}

/// Serves HTTP on `listener` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    node: Node,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    if let Ok(addr) = listener.local_addr() {
        node.notifier.listening_on(addr);
    }
    let send_buffer = node.limits.live.tcp_send_buffer;
    // Graceful shutdown waits for every connection, live ones included: tell screens first.
    let live = node.live.clone();
    let public = node.public.clone();
    let shutdown = async move {
        shutdown.await;
        public.close_streams();
        live.close_all().await;
    };
    let app = http::app(node);
    // Live frames are small and must not wait for Nagle; a capped send buffer bounds the kernel
    // memory a slow screen can hold (0 keeps the OS's autotuning).
    let listener = listener.tap_io(move |tcp| {
        let _ = tcp.set_nodelay(true);
        if send_buffer > 0 {
            let _ = socket2::SockRef::from(&*tcp).set_send_buffer_size(send_buffer);
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Stops background tasks, then waits for the writer to commit everything queued. Call after
/// `serve` returned and every other `Node` clone is dropped.
pub async fn close(node: Node, tasks: NodeTasks) {
    let _ = tasks.shutdown.send(true);
    for t in tasks.background {
        let _ = t.await;
    }
    drop(node);
    let writer = tasks.writer.lock().expect("writer slot").take();
    if let Some(writer) = writer {
        let _ = writer.await;
    }
    if let Some((stop, keeper)) = tasks.lease {
        let _ = stop.send(true);
        let _ = keeper.await;
    }
}

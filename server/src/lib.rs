//! The operations-center server as a library: `open` a node (store, rollup rebuilt from it,
//! writer), `serve` it on a listener until a shutdown signal, `close` it without losing what was
//! acknowledged. The `ioc` binary, the tests and the benchmarks all start it this way.

pub mod alerting;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod bus;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod evaluation;
pub mod http;
pub mod i18n;
pub mod import;
pub mod ingest;
pub mod live;
pub mod notify;
pub mod report;
pub mod rollup;
pub mod store;
pub mod telemetry;

use bus::Committed;
use clock::ClockMode;
use ingest::writer::Writer;
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
}

/// The parts of a node that outlive its handlers: the writer task and the shutdown signal.
pub struct NodeTasks {
    writer: tokio::task::JoinHandle<()>,
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
    let rules = alerting::files::load(rule_files).map_err(|errors| {
        anyhow::anyhow!("the rule files are not valid:\n{}", errors.join("\n"))
    })?;
    open_node(database_url, clock, limits, Some(rules), rule_files, notify).await
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
) -> anyhow::Result<(Node, NodeTasks)> {
    // Install the metrics recorder before anything counts.
    telemetry::prometheus();
    let store = store::connect(database_url).await?;
    // Before anything is written or even read: a second node on the same PostgreSQL stops here,
    // naming the writer, instead of rebuilding a rollup it would then fork.
    let (lease, lease_task) = if store.backend() == "postgres" {
        let (stop, stopped) = watch::channel(false);
        let (lease, keeper) =
            store::lease::claim(database_url, store::lease::node_name(), stopped).await?;
        store.fence_writes(lease.epoch_cell());
        (Some(lease), Some((stop, keeper)))
    } else {
        (None, None)
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
    let alerting = match rules {
        Some(rules) => {
            let (alerting, writes) = alerting::Alerting::start(
                rules,
                store.load_alerts().await?,
                store.silences(now).await?,
                &rollup,
                alerts.clone(),
            );
            // Transitions of the start itself are told like any other.
            let (notices, _) = notify::alert_notices(&writes.notify, &rollup);
            store
                .save_alerts_with(
                    &writes.upserts,
                    &writes.deletes,
                    &writes.history,
                    &[],
                    &notices,
                )
                .await?;
            tracing::info!(
                rules = alerting.engine().rules().count(),
                alerts = alerts.len(),
                "alert rules running"
            );
            Some(alerting)
        }
        None => None,
    };
    let auth = auth::Auth::new(
        limits.auth,
        store.load_security(domain::time::now_ms()).await?,
    );
    let audit_head = store.audit_head().await?;
    let (bus, _) = broadcast::channel(1024);
    let feed = Arc::new(live::AlertFeed::new(
        store.last_alert_seq().await?,
        limits.live.alert_memory,
    ));
    let hub_bus = bus.subscribe();
    let notify_bus = bus.subscribe();
    let notifier = notify::Notifier::open(store.as_ref(), notify_config).await?;
    let (writer, writer_task) = Writer::spawn_with_alerting(
        store.clone(),
        rollup.clone(),
        bus.clone(),
        alerting,
        feed.clone(),
        auth.clone(),
        audit_head,
        Some(notifier.clone()),
    );
    let (shutdown, _) = watch::channel(false);
    let mut node_tasks = NodeTasks {
        writer: writer_task,
        shutdown,
        background: Vec::new(),
        lease: lease_task,
    };
    let (live, hub) = live::Live::start(
        limits.live,
        rollup.clone(),
        alerts.clone(),
        feed,
        notifier.inbox.clone(),
        hub_bus,
        node_tasks.shutdown_signal(),
    );
    node_tasks.add_background(hub);
    node_tasks.add_background(notifier.spawn_worker(
        store.clone(),
        rollup.clone(),
        alerts.clone(),
        notify_bus,
        node_tasks.shutdown_signal(),
        stored_clock,
    )?);
    if clock == ClockMode::System {
        let ticker = ingest::ticker::spawn(writer.clone(), node_tasks.shutdown_signal());
        node_tasks.add_background(ticker);
    }
    let rule_files = Arc::new(rule_files.to_vec());
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
    let shutdown = async move {
        shutdown.await;
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
    let _ = tasks.writer.await;
    if let Some((stop, keeper)) = tasks.lease {
        let _ = stop.send(true);
        let _ = keeper.await;
    }
}

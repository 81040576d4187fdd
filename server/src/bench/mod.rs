//! `ioc bench`: figures for the Foundation's targets, measured on this machine and printed:
//! sustained durable ingest over real HTTP (1,000-event batches), the rebuild of the rollup from
//! N tasks at start, resident memory per cached task, and a city/ward view read from the rollup
//! against the same figures computed by SQL; with `--live`, the WebSocket screens under load
//! (`live`); with `--notify`, notifications (`notify`). Benchmarks print; they never assert.

mod access;
mod alert;
mod asof;
pub mod figures;
mod holders;
mod live;
mod nodes;
mod notify;
mod okr;
mod public;
mod server;

use crate::clock::ClockMode;
use crate::demo::DemoSize;
use crate::domain::time::{format_ts, now_ms};
use figures::Better;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Tasks to ingest (then rebuild from).
    #[arg(long, default_value_t = 1_000_000)]
    pub tasks: usize,
    /// Events per request.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Database to benchmark; default a fresh SQLite file in a temp folder.
    #[arg(long)]
    pub database_url: Option<String>,
    /// KPI observations for the rules comparison (0 skips it).
    #[arg(long, default_value_t = 200_000)]
    pub rule_events: usize,
    /// KPI series active in the rules comparison.
    #[arg(long, default_value_t = 10_000)]
    pub series: usize,
    /// Only the rules comparison.
    #[arg(long)]
    pub rules_only: bool,
    /// Only the rebuild at start, from the existing database of `--database-url` (one a
    /// previous run left, e.g. `--database-url sqlite://FILE`): no ingest, no views.
    #[arg(long, requires = "database_url")]
    pub rebuild_only: bool,
    /// Only the live-screens benchmark (WebSocket fan-out under load; see --screens, --rates).
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub live_args: live::LiveArgs,
    /// Only the access benchmark: sign-in, the gate per request, the audit trail on ingest.
    #[arg(long)]
    pub access: bool,
    /// The public boards: 1,000 concurrent citizens reading ward boards while ratings stream
    /// in; their requests a second and latency, and what they cost ingest.
    #[arg(long)]
    pub public: bool,
    /// Only the OKR-cycle benchmark: evaluations, freezing a quarter, KPI roll-ups, the
    /// alignment tree and the reviews with their evaluation section, on the full demo city.
    #[arg(long)]
    pub okr: bool,
    /// Only the notifications benchmark: crossing -> webhook latency over `--trials`, and a
    /// month-end burst of 10,000 crossings (messages after grouping, delivery time, ingest
    /// throughput with notifications on and off).
    #[arg(long)]
    pub notify: bool,
    /// Only the alert-path benchmark: a KPI value posted across its red line, timed to the
    /// `alert` frame on a WebSocket subscribed to the ward's alerts, over `--trials`.
    #[arg(long)]
    pub alert: bool,
    /// Only the several-nodes benchmark: this many `ioc serve` processes on `--database-url`
    /// (an empty PostgreSQL database) and `--redis-url`; the live screens spread over them,
    /// failover over `--trials` (at least 10) and a follower's catch-up of `--backlog` commits
    /// from the stream and from the change log. With `--live`, the live screens only.
    #[arg(long)]
    pub nodes: Option<usize>,
    /// The Redis the nodes of `--nodes` share.
    #[arg(long)]
    pub redis_url: Option<String>,
    /// The ingest with the change log on, as the writer of several nodes writes it
    /// (PostgreSQL), for its cost against a run without.
    #[arg(long)]
    pub change_log: bool,
    /// Commits a stopped follower has to catch up with (`--nodes`).
    #[arg(long, default_value_t = 100_000)]
    pub backlog: usize,
    /// Only the past-moment benchmark: a year of demo history simulated, the city and a ward
    /// as of random moments, and what checkpoints cost ingest.
    #[arg(long)]
    pub asof: bool,
    /// Days of history `--asof` simulates.
    #[arg(long, default_value_t = 365)]
    pub asof_days: i64,
    /// Crossings timed by `--notify` and `--alert`.
    #[arg(long, default_value_t = 100)]
    pub trials: usize,
    /// Task events for the audit comparison of `--access`.
    #[arg(long, default_value_t = 100_000)]
    pub access_events: usize,
    /// Also write the figures as JSON into FILE, merged with the figures already there (one
    /// file gathers the runs of several parts: `bench/reference.json`).
    #[arg(long, value_name = "FILE")]
    pub json: Option<std::path::PathBuf>,
    /// A helper of `--live` and `--nodes`: holds the screens the plan in FILE names until its
    /// standard input closes (`holders.rs`).
    #[arg(long, value_name = "FILE", hide = true)]
    pub hold_screens: Option<std::path::PathBuf>,
    /// Compare the figures with those of FILE (e.g. `bench/reference.json`): each figure's
    /// change, flagged when more than 15 % worse.
    #[arg(long, value_name = "FILE")]
    pub compare: Option<std::path::PathBuf>,
}

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// CPU time this process has used so far (user and system, `/proc/self/stat`, in clock ticks of
/// 10 ms): over a window of a second, how many of the machine's cores the window kept busy.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces; the fields after it are plain.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let Some(plan) = &args.hold_screens {
        // Its standard output is the bench's channel: no log lines there.
        return holders::hold(plan).await;
    }
    crate::telemetry::init_tracing(crate::telemetry::LogFormat::Pretty);
    // A reference that cannot be read is said before minutes of measuring, not after.
    let reference = match &args.compare {
        Some(path) => Some(figures::load(path)?),
        None => None,
    };
    run_parts(&args).await?;
    if let (Some(reference), Some(path)) = (&reference, &args.compare) {
        figures::print_comparison(&figures::compare(&figures::recorded(), reference), path);
    }
    if let Some(path) = &args.json {
        let n = figures::write(path, &format_ts(now_ms()))?;
        println!("\n{n} figures written into {}", path.display());
    }
    Ok(())
}

async fn run_parts(args: &BenchArgs) -> anyhow::Result<()> {
    if let Some(n) = args.nodes {
        let (Some(db), Some(redis)) = (&args.database_url, &args.redis_url) else {
            anyhow::bail!("--nodes needs --database-url postgres://… (an empty database) and --redis-url redis://…");
        };
        return nodes::run(n, args, db, redis).await;
    }
    if args.live {
        return live::run(&args.live_args).await;
    }
    if args.public {
        return public::run().await;
    }
    if args.access {
        return access::run(args.access_events).await;
    }
    if args.okr {
        return okr::run().await;
    }
    if args.asof {
        return asof::run(args.asof_days).await;
    }
    if args.notify {
        return notify::run(args.trials).await;
    }
    if args.rebuild_only {
        let url = args.database_url.as_deref().unwrap_or_default();
        return rebuild_at_start(url, db_label(url), false).await;
    }
    if args.alert {
        return alert::run(args.trials).await;
    }
    if !args.rules_only {
        tasks_and_views(args).await?;
    }
    if args.rule_events > 0 {
        rules_comparison(args).await?;
    }
    Ok(())
}

async fn tasks_and_views(args: &BenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.path().display()));
    println!(
        "ioc bench: {} tasks, batches of {}, {} clients, {}",
        args.tasks,
        args.batch,
        args.clients,
        crate::store::redact_url(&url)
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // A city catalog without tasks, then tasks through the real HTTP ingest path. No alert
    // rules here: this is the ingest path itself; `rules_comparison` measures what rules add.
    let (node, tasks) = crate::open_without_rules(&url, ClockMode::Manual, bench_limits()).await?;
    if args.change_log {
        // As the writer of several nodes: each commit also appends its change log record
        // (PostgreSQL; SQLite keeps none). Nothing follows here; it is the commit's cost.
        node.store.log_changes();
        println!("change log: on (each commit also appends its record, as with several nodes)");
    }
    let now = now_ms();
    node.writer.tick(now).await?;
    let size = DemoSize {
        tasks: 0,
        ..DemoSize::full()
    };
    crate::demo::seed(&node.writer, &node.rollup, &size, now, 1).await?;
    let people: Vec<String> = node
        .rollup
        .person_ids()
        .iter()
        .map(|p| p.to_string())
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve(listener, node.clone(), async {
        let _ = stop_rx.await;
    }));

    // Request bodies are built before the clock starts: the figure is the server's, not the
    // load generator's (which shares this machine's two cores).
    let bodies: Vec<(usize, Vec<u8>)> = (0..args.tasks.div_ceil(args.batch))
        .map(|b| {
            let events: Vec<Value> = (b * args.batch..((b + 1) * args.batch).min(args.tasks))
                .map(|i| {
                    let status = ["todo", "in_progress", "submitted", "accepted"][i % 4];
                    json!({"type": "task", "id": format!("b-{i}"), "at": format_ts(now - 86_400_000), "task_id": format!("T{i:07}"),
                           "title": "Rà soát hồ sơ", "responsible": people[i % people.len()],
                           "deadline": format_ts(now + ((i % 90) as i64 - 20) * 86_400_000),
                           "progress": (i % 101) as f64, "status": status})
                })
                .collect();
            (events.len(), serde_json::to_vec(&events).expect("serialize"))
        })
        .collect();
    let token = feed_session(&node, addr).await?;
    let (sent, elapsed, hist) = drive(addr, &token, bodies, args.clients).await?;
    println!("\n== ingest (HTTP, durable: answered after commit, synchronous=FULL for SQLite; no alert rules)");
    println!(
        "events: {sent} in {:.2} s = {:.0} events/s",
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64()
    );
    println!(
        "request latency ({} events each): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        args.batch,
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.max() as f64 / 1000.0
    );
    let db = db_label(&url);
    figures::record(
        format!("ingest.{db}.events_per_s"),
        sent as f64 / elapsed.as_secs_f64(),
        "events/s",
        Better::Higher,
    );
    figures::record(
        format!("ingest.{db}.request_p99_ms"),
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        "ms",
        Better::Lower,
    );

    // Views: the rollup against the best SQL form of the same figures (with its index).
    node.store.add_view_index().await?;
    let view_now = node.rollup.now();
    let ward = node
        .rollup
        .unit_view("hn")
        .and_then(|v| {
            v.children
                .iter()
                .find(|c| c.unit.level == crate::domain::UnitLevel::Ward)
                .map(|c| c.unit.id.clone())
        })
        .unwrap_or_else(|| "hn".into());
    println!("\n== views with {} tasks cached", node.rollup.task_count());
    for (label, unit) in [("city", "hn".to_string()), ("ward", ward.clone())] {
        let mut h = Histogram::<u64>::new(3)?;
        for _ in 0..10_000 {
            let t = Instant::now();
            let v = node.rollup.unit_view(&unit);
            h.record(t.elapsed().as_nanos() as u64).ok();
            std::hint::black_box(v);
        }
        println!(
            "{label} view from the rollup: mean {:.1} µs, p99 {:.1} µs ({} children)",
            h.mean() / 1000.0,
            h.value_at_quantile(0.99) as f64 / 1000.0,
            node.rollup.unit_view(&unit).map_or(0, |v| v.children.len())
        );
        figures::record(
            format!("view.{label}.mean_us@{}", args.tasks),
            h.mean() / 1000.0,
            "µs",
            Better::Lower,
        );
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let agg = node.store.sql_unit_tasks(&unit, view_now).await?;
            times.push(t.elapsed());
            std::hint::black_box(agg);
        }
        times.sort();
        println!("{label} task figures by SQL (recursive subtree + aggregate): median {:.1} ms, best {:.1} ms", ms(times[2]), ms(times[0]));
    }
    let _ = stop_tx.send(());
    server.await??;
    crate::close(node, tasks).await;
    rebuild_at_start(&url, db, true).await?;
    memory_in_a_fresh_process(&url).await
}

fn db_label(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
}

/// What an open in a process of its own (this binary with `--rebuild-only`) printed: its line
/// on memory, the tasks it cached and the growth of its resident memory.
struct FreshOpen {
    line: String,
    tasks: usize,
    growth: u64,
}

async fn open_in_a_fresh_process(url: &str) -> anyhow::Result<FreshOpen> {
    let out = tokio::process::Command::new(std::env::current_exe()?)
        .args(["bench", "--rebuild-only", "--database-url", url])
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains("bytes per cached task"));
    let growth = text.lines().find_map(|l| {
        l.strip_prefix("resident growth: ")?
            .split_whitespace()
            .next()?
            .parse::<u64>()
            .ok()
    });
    let tasks = text.lines().find_map(|l| {
        let (n, rest) = l.split_once(' ')?;
        rest.starts_with("tasks in ")
            .then(|| n.parse::<usize>().ok())?
    });
    match (line, growth, tasks) {
        (Some(line), Some(growth), Some(tasks)) => Ok(FreshOpen {
            line: line.to_string(),
            tasks,
            growth,
        }),
        _ => anyhow::bail!(
            "the fresh process measuring memory printed no figure: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ),
    }
}

/// The memory of the cached tasks, from opens in processes of their own (a process that held
/// the tasks before reuses the pages it freed and cannot measure it). Two figures: the whole
/// resident growth of the open divided by the tasks (`rebuild.bytes_per_task`), and what a
/// cached task adds (`rebuild.task_bytes`): that growth less the growth of an open of the same
/// catalog without tasks (a copy of the SQLite file with its tasks deleted), so what an open
/// costs whatever the tasks (the catalog, the connection pool, the threads) is not charged to
/// them. The second of a SQLite file only.
async fn memory_in_a_fresh_process(url: &str) -> anyhow::Result<()> {
    let full = match open_in_a_fresh_process(url).await {
        Ok(open) => open,
        Err(e) => {
            println!("({e})");
            return Ok(());
        }
    };
    let n = full.tasks.max(1);
    println!("in a fresh process: {}", full.line);
    figures::record(
        format!("rebuild.bytes_per_task@{}", full.tasks),
        full.growth as f64 / n as f64,
        "B",
        Better::Lower,
    );
    let file = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|f| f.split('?').next().unwrap_or(f).to_string())
        .filter(|f| std::path::Path::new(f).is_file());
    let Some(file) = file else {
        println!("(what a cached task adds, apart from the open's fixed cost, is measured on a SQLite file only)");
        return Ok(());
    };
    match catalog_without_tasks(file, &full).await {
        Ok(adds) => figures::record(
            format!("rebuild.task_bytes@{}", full.tasks),
            adds,
            "B",
            Better::Lower,
        ),
        Err(e) => println!("(what a cached task adds could not be measured: {e})"),
    }
    Ok(())
}

/// Opens a copy of the SQLite `file` with its tasks deleted in a fresh process; returns what
/// each task of `full` (the open with them) added to the resident memory.
async fn catalog_without_tasks(file: String, full: &FreshOpen) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("catalog.db");
    let without_tasks = copy.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        std::fs::copy(&file, &without_tasks)?;
        let wal = format!("{file}-wal");
        if std::path::Path::new(&wal).exists() {
            std::fs::copy(&wal, format!("{}-wal", without_tasks.display()))?;
        }
        rusqlite::Connection::open(&without_tasks)?.execute("DELETE FROM tasks", [])?;
        Ok(())
    })
    .await??;
    let base = open_in_a_fresh_process(&format!("sqlite://{}", copy.display())).await?;
    let adds = full.growth.saturating_sub(base.growth) as f64 / full.tasks.max(1) as f64;
    println!(
        "what a cached task adds: {adds:.0} bytes (the same open without its tasks grew {:.0} MiB: the catalog, the connection pool, the threads)",
        base.growth as f64 / 1_048_576.0
    );
    Ok(adds)
}

/// Opens the node again from the store the run left: the load and the rollup's rebuild, the
/// memory it keeps (a fresh process's only: `same_process` says the ingest ran here before), and
/// the check against the SQL recomputation.
async fn rebuild_at_start(url: &str, db: &str, same_process: bool) -> anyhow::Result<()> {
    let rss_before = rss_bytes();
    let t = Instant::now();
    let (node, tasks) =
        crate::open_without_rules(url, ClockMode::Manual, crate::http::Limits::default()).await?;
    let rebuild = t.elapsed();
    let rss_after = rss_bytes();
    let n = node.rollup.task_count();
    println!("\n== rebuild at start (load from the store + apply; no alert rules)");
    println!("{n} tasks in {:.2} s", rebuild.as_secs_f64());
    figures::record(
        format!("rebuild.{db}.seconds@{n}"),
        rebuild.as_secs_f64(),
        "s",
        Better::Lower,
    );
    if let (Some(a), Some(b)) = (rss_before, rss_after) {
        let per_task = b.saturating_sub(a) as f64 / n.max(1) as f64;
        if same_process {
            // After the ingest's own node was closed, the allocator reuses the pages it freed:
            // the growth here says how much more the rebuild needed at its peak, not what the
            // tasks take. The figure is a fresh process's (`memory_in_a_fresh_process`).
            println!(
                "resident memory in this process: +{:.0} MiB ({per_task:.0} bytes per task; low, since the ingest's freed pages are reused)",
                b.saturating_sub(a) as f64 / 1_048_576.0
            );
        } else {
            println!(
                "resident memory: +{:.0} MiB for the rollup = {per_task:.0} bytes per cached task (a fresh process: includes the catalog, the connection pool and SQLite's caches)",
                b.saturating_sub(a) as f64 / 1_048_576.0
            );
            println!("resident growth: {} bytes", b.saturating_sub(a));
            figures::record(
                format!("rebuild.bytes_per_task@{n}"),
                per_task,
                "B",
                Better::Lower,
            );
        }
    }
    let check = Instant::now();
    let equal = crate::rollup::check::recompute(&*node.store, node.rollup.now()).await?
        == node.rollup.dump();
    println!(
        "rebuilt rollup equals the SQL recomputation: {equal} (checked in {:.2} s)",
        check.elapsed().as_secs_f64()
    );
    crate::close(node, tasks).await;
    Ok(())
}

/// Sends pre-built bodies from `clients` concurrent connections; returns events sent, elapsed
/// time and the per-request latency histogram (µs).
/// Large bodies, and no request-rate limit: the load generator is one credential.
fn bench_limits() -> crate::http::Limits {
    crate::http::Limits {
        max_body_bytes: 64 * 1024 * 1024,
        auth: crate::auth::AuthConfig {
            rate_per_minute: 0,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The task load's credential: a person's session (leader and data entry over the whole tree),
/// since the mix includes acceptances, which only a person decides (an API token may not).
async fn feed_session(node: &crate::Node, addr: std::net::SocketAddr) -> anyhow::Result<String> {
    use crate::auth::{secret, Account, Grant, Role, EVERYWHERE};
    let password = secret::one_time_password();
    let hash = tokio::task::spawn_blocking({
        let p = password.clone();
        move || secret::hash_password(&p)
    })
    .await?;
    let grant = |role| Grant {
        role,
        unit: EVERYWHERE.into(),
    };
    let account = Account {
        id: "bench-feed".into(),
        name: "Bench feed".into(),
        person: None,
        password_hash: hash,
        must_change_password: false,
        disabled: false,
        created_at: now_ms(),
        grants: vec![grant(Role::Leader), grant(Role::DataEntry)],
    };
    crate::ingest::accounts::put_system_account(&node.writer, account, "bench").await?;
    let answer: Value = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/session"))
        .json(&json!({"login": "bench-feed", "password": password}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    answer["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("the bench's sign-in answered no token: {answer}"))
}

/// An integration's token: every event kind over the whole tree.
async fn feed_token(node: &crate::Node) -> anyhow::Result<String> {
    crate::ingest::accounts::issue_token(
        &node.writer,
        "bench feed",
        vec![crate::auth::EVERYWHERE.into()],
        crate::auth::ALL_PERMISSIONS.to_vec(),
        Duration::from_secs(3600),
    )
    .await
}

async fn drive(
    addr: std::net::SocketAddr,
    token: &str,
    bodies: Vec<(usize, Vec<u8>)>,
    clients: usize,
) -> anyhow::Result<(usize, Duration, Histogram<u64>)> {
    let mut queues: Vec<Vec<(usize, Vec<u8>)>> = (0..clients).map(|_| Vec::new()).collect();
    for (i, b) in bodies.into_iter().enumerate() {
        queues[i % clients].push(b);
    }
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut handles = Vec::new();
    for queue in queues {
        let client = client.clone();
        let token = token.to_string();
        let url = format!("http://{addr}/api/v1/events");
        handles.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new(3).expect("histogram");
            let mut sent = 0usize;
            for (n, body) in queue {
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                if !r.status().is_success() {
                    return Err(anyhow::anyhow!(
                        "ingest refused: {} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    ));
                }
                hist.record(t.elapsed().as_micros() as u64).ok();
                sent += n;
            }
            Ok::<_, anyhow::Error>((sent, hist))
        }));
    }
    let mut sent = 0;
    let mut hist = Histogram::<u64>::new(3)?;
    for h in handles {
        let (n, h) = h.await??;
        sent += n;
        hist.add(h)?;
    }
    Ok((sent, started.elapsed(), hist))
}

/// Ingest of KPI values over `args.series` active series, with the default rule pack and
/// without rules, on fresh databases; every value flips its series between green and red, so
/// nearly every event makes an alert transition: the engine's worst case.
async fn rules_comparison(args: &BenchArgs) -> anyhow::Result<()> {
    use crate::ingest::catalog::{CatalogItem, KpiIn};
    println!(
        "\n== alert rules: {} KPI values over {} series, 1,000-event batches",
        args.rule_events, args.series
    );
    let mut figures = Vec::new();
    for with_rules in [false, true] {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/rules.db", dir.path().display());
        let limits = bench_limits();
        let (node, tasks) = if with_rules {
            crate::open(&url, ClockMode::Manual, limits).await?
        } else {
            crate::open_without_rules(&url, ClockMode::Manual, limits).await?
        };
        let now = now_ms();
        node.writer.tick(now).await?;
        crate::demo::seed(
            &node.writer,
            &node.rollup,
            &DemoSize {
                tasks: 0,
                ..DemoSize::full()
            },
            now,
            1,
        )
        .await?;
        // Extra monthly ward KPIs until `series` series exist.
        let wards: Vec<String> = node
            .rollup
            .units()
            .into_iter()
            .filter(|u| {
                matches!(
                    u.level,
                    crate::domain::UnitLevel::Ward | crate::domain::UnitLevel::Commune
                )
            })
            .map(|u| u.id.to_string())
            .collect();
        let existing: usize = node
            .rollup
            .kpis()
            .iter()
            .map(|k| k.series_units().len())
            .sum();
        let extra = args
            .series
            .saturating_sub(existing)
            .div_ceil(wards.len().max(1));
        let items: Vec<CatalogItem> = (0..extra)
            .map(|i| {
                KpiIn {
                    code: format!("BENCH-{i:03}"),
                    name: format!("Chỉ số thử tải {i}"),
                    formula: String::new(),
                    data_source: "bench".into(),
                    unit_of_measure: "%".into(),
                    thresholds: crate::domain::Thresholds::HigherIsBetter {
                        green: 90.0,
                        red: 70.0,
                    },
                    frequency: crate::domain::Frequency::Monthly,
                    group: crate::domain::IndexGroup::Service,
                    leading_unit: "hn".into(),
                    coordinating_units: Vec::new(),
                    measured_units: wards.clone(),
                    expression: None,
                    rollup: None,
                    public: false,
                }
                .validate()
                .map_err(|e| anyhow::anyhow!("bench KPI: {e}"))
            })
            .collect::<anyhow::Result<_>>()?;
        node.writer
            .catalog(items, &crate::auth::Actor::system("bench"))
            .await?;
        let series: Vec<(String, String)> = node
            .rollup
            .kpis()
            .into_iter()
            // A computed KPI takes no value of its own (its inputs make it).
            .filter(|k| k.frequency == crate::domain::Frequency::Monthly && k.expression.is_none())
            .flat_map(|k| {
                k.series_units()
                    .into_iter()
                    .map(move |u| (k.code.to_string(), u.to_string()))
            })
            .collect();
        let period = {
            use chrono::TimeZone;
            chrono::Utc
                .timestamp_millis_opt(now)
                .single()
                .map(|t| {
                    t.with_timezone(&crate::domain::time::vn())
                        .format("%Y-%m")
                        .to_string()
                })
                .unwrap_or_default()
        };
        let bodies: Vec<(usize, Vec<u8>)> = (0..args.rule_events.div_ceil(1000))
            .map(|b| {
                let events: Vec<Value> = (b * 1000..((b + 1) * 1000).min(args.rule_events))
                    .map(|i| {
                        let (kpi, unit) = &series[i % series.len()];
                        let round = i / series.len();
                        // Alternate far sides of every KPI's thresholds so statuses flip each round.
                        let k = node.rollup.kpi(kpi).expect("kpi exists");
                        let value = match k.thresholds {
                            crate::domain::Thresholds::HigherIsBetter { green, red } => if round % 2 == 0 { green + 1.0 } else { red - 1.0 },
                            crate::domain::Thresholds::LowerIsBetter { green, red } => if round % 2 == 0 { green - 1.0 } else { red + 1.0 },
                            crate::domain::Thresholds::InBand { green_low, green_high, red_high, .. } => if round % 2 == 0 { (green_low + green_high) / 2.0 } else { red_high + 1.0 },
                        };
                        json!({"type": "kpi_observation", "id": format!("r-{i}"), "at": format_ts(now + i as i64), "kpi": kpi, "unit": unit, "period": period, "value": value})
                    })
                    .collect();
                (events.len(), serde_json::to_vec(&events).expect("serialize"))
            })
            .collect();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crate::serve(listener, node.clone(), async {
            let _ = stop_rx.await;
        }));
        let token = feed_token(&node).await?;
        let (sent, elapsed, hist) = drive(addr, &token, bodies, args.clients).await?;
        let rate = sent as f64 / elapsed.as_secs_f64();
        let live = node.alerts.len();
        println!(
            "{}: {} series, {sent} events in {:.2} s = {rate:.0} events/s; request p50 {:.1} ms, p99 {:.1} ms; live alerts at the end: {live}",
            if with_rules { "with the default pack + built-ins" } else { "without rules" },
            series.len(),
            elapsed.as_secs_f64(),
            hist.value_at_quantile(0.5) as f64 / 1000.0,
            hist.value_at_quantile(0.99) as f64 / 1000.0,
        );
        figures.push(rate);
        let _ = stop_tx.send(());
        server.await??;
        crate::close(node, tasks).await;
    }
    if let [without, with] = figures[..] {
        println!("ratio with/without rules: {:.2}", with / without);
        figures::record(
            "rules.ingest_ratio_with_without",
            with / without,
            "ratio",
            Better::Higher,
        );
    }
    let rendered = crate::telemetry::prometheus().render();
    let quantiles: Vec<String> = rendered
        .lines()
        .filter(|l| l.starts_with("ioc_alert_apply_to_record_seconds{quantile="))
        .filter_map(|l| {
            let q = l.split('"').nth(1)?;
            let v: f64 = l.rsplit(' ').next()?.parse().ok()?;
            Some(format!(
                "p{} {:.2} ms",
                (q.parse::<f64>().ok()? * 100.0).round(),
                v * 1000.0
            ))
        })
        .collect();
    println!(
        "apply of a crossing batch -> its alerts recorded in the store: {}",
        quantiles.join(", ")
    );
    Ok(())
}

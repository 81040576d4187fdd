//! The `ioc` command line: `serve`, `import`, `bench`, `rules`, `audit`, `report`. `main.rs`
//! only calls `cli::main`.

use crate::config::{DemoSizeArg, ServeArgs, Settings};
use crate::demo::DemoSize;
use crate::domain::time::now_ms;
use crate::report::files::{FileKind, ReportRequest};
use crate::report::lang::Lang;
use crate::report::period::ReviewPeriod;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ioc",
    version,
    about = "Real-time operations-center server for OKR/KPI governance"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Load a catalog (units, people, KPIs, objectives, key results) and events from XLSX,
    /// JSON, NDJSON or CSV files: into the database (first set-up, server stopped), or with
    /// --server through a running server's import route (one audited change per file).
    Import {
        files: Vec<PathBuf>,
        #[arg(long, env = "DATABASE_URL", default_value = crate::config::DEFAULT_DATABASE_URL)]
        database_url: String,
        #[arg(long)]
        no_progress: bool,
        /// A running server's base URL (http://host:port): import through it.
        #[arg(long, requires = "token")]
        server: Option<String>,
        /// With --server: a session token (iocs_…) of an account allowed to change the entries.
        #[arg(long, env = "IOC_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// With --server: check the files and say what would change; write nothing.
        #[arg(long, requires = "server")]
        dry_run: bool,
    },
    /// Measure ingest, rebuild and view reads; prints figures.
    Bench(crate::bench::BenchArgs),
    /// Check alert rule files, or run rule tests.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a unit's review report (HTML, CSV, XLSX, chart images) from the database.
    Report(ReportArgs),
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The unit whose report is written (its id).
    #[arg(long)]
    unit: String,
    /// A week (2026-W47), a month (2026-11) or a quarter (2026-Q4); default: the current month.
    #[arg(long, value_parser = parse_period)]
    period: Option<ReviewPeriod>,
    /// The files to write, comma-separated: html, csv (one file per table), xlsx, svg and png
    /// (one file per chart).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "html,xlsx")]
    format: Vec<FileKind>,
    #[arg(long, value_enum, default_value = "vi")]
    lang: LangArg,
    /// The folder the files go to (created if missing).
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Also write a report for every unit below the unit.
    #[arg(long)]
    subtree: bool,
    #[arg(long, env = "DATABASE_URL", default_value = crate::config::DEFAULT_DATABASE_URL)]
    database_url: String,
    /// system: the report is as of now (or of the stored clock when it is ahead); manual: as of
    /// the clock stored in the database, as a server with a manual clock would be.
    #[arg(long, value_enum, default_value = "system")]
    clock: crate::clock::ClockMode,
    /// The server's TOML config file, for its `[evaluation]` table (default: Decree 335's model).
    #[arg(long, env = "IOC_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LangArg {
    Vi,
    En,
}

fn parse_period(s: &str) -> Result<ReviewPeriod, String> {
    ReviewPeriod::parse(s)
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; print the entry count and head hash, or the first entry that was
    /// changed, removed or reordered (exit 1).
    Verify {
        #[arg(long, env = "DATABASE_URL", default_value = crate::config::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Validate rule files (errors name file, line and field); exit 1 on any error.
    Check { files: Vec<PathBuf> },
    /// Run rule test files (promtool-style: input series over time, alerts expected at given times).
    Test { files: Vec<PathBuf> },
    /// Replay the stored history of a window through candidate rules and the running ones, side
    /// by side: alerts by rule, unit and severity per day, time in red, flapping, and the alerts
    /// that differ with the moment and value that caused them.
    Backtest(BacktestArgs),
}

#[derive(Debug, clap::Args)]
struct BacktestArgs {
    /// The window's start: a date (its start, Vietnam time) or an RFC 3339 time.
    #[arg(long)]
    from: String,
    /// The window's end: a date (its end) or an RFC 3339 time; at most 93 days after `--from`.
    #[arg(long)]
    to: String,
    /// Count only the alerts of this unit's subtree.
    #[arg(long)]
    unit: Option<String>,
    /// The rules running now (files or folders, as `ioc serve --rules`); default the built-in pack.
    #[arg(long, env = "IOC_RULES", value_delimiter = ',')]
    running: Vec<PathBuf>,
    #[arg(long, env = "DATABASE_URL", default_value = crate::config::DEFAULT_DATABASE_URL)]
    database_url: String,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// The candidate rule files or folders.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ioc: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(*args).await,
            Command::Import {
                files,
                database_url,
                no_progress,
                server,
                token,
                dry_run,
            } => match (server, token) {
                (Some(server), Some(token)) => {
                    import_remote(files, &server, &token, dry_run, !no_progress).await
                }
                _ => import(files, &database_url, !no_progress).await,
            },
            Command::Bench(args) => crate::bench::run(args).await,
            Command::Rules(RulesCommand::Check { files }) => rules_check(&files),
            Command::Rules(RulesCommand::Test { files }) => rules_test(&files),
            Command::Rules(RulesCommand::Backtest(args)) => rules_backtest(args).await,
            Command::Audit(AuditCommand::Verify { database_url }) => {
                audit_verify(&database_url).await
            }
            Command::Report(args) => report(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ioc: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn audit_verify(database_url: &str) -> anyhow::Result<()> {
    crate::telemetry::init_quiet_tracing();
    let store = crate::store::connect(database_url).await?;
    let verdict = crate::store::verify_audit(&*store).await?;
    if verdict.ok {
        println!(
            "audit trail intact: {} entries; head {}",
            verdict.entries, verdict.head
        );
        Ok(())
    } else {
        anyhow::bail!(
            "audit trail broken at entry {}: {} ({} entries verified before it; last good head {})",
            verdict.broken_at.unwrap_or_default(),
            verdict.reason.unwrap_or_default(),
            verdict.entries,
            verdict.head
        )
    }
}

async fn report(args: ReportArgs) -> anyhow::Result<()> {
    crate::telemetry::init_quiet_tracing();
    let evaluation = match &args.config {
        None => crate::evaluation::EvaluationConfig::default(),
        Some(path) => crate::config::evaluation_table(path)?,
    };
    let written = crate::report::files::write_reports(ReportRequest {
        evaluation,
        unit: args.unit,
        period: args.period,
        kinds: args.format,
        lang: match args.lang {
            LangArg::Vi => Lang::Vi,
            LangArg::En => Lang::En,
        },
        out: args.out,
        subtree: args.subtree,
        database_url: args.database_url,
        clock: args.clock,
    })
    .await?;
    println!(
        "wrote {} {} of the {} report for {} {}:",
        written.files.len(),
        if written.files.len() == 1 {
            "file"
        } else {
            "files"
        },
        written.period,
        written.units,
        if written.units == 1 { "unit" } else { "units" }
    );
    for path in &written.files {
        println!("  {}", path.display());
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = Settings::resolve(&args)?;
    crate::telemetry::init_tracing(settings.log_format);
    // The whole configuration is for whoever debugs; a person starting the server reads one line.
    tracing::debug!(?settings, "settings");
    tracing::info!(
        "starting: database {}, clock {}, rules {}, demo {}",
        settings.database_url,
        match settings.clock {
            crate::clock::ClockMode::System => "system",
            crate::clock::ClockMode::Manual => "manual",
        },
        if settings.rules.is_empty() {
            "built-in pack".to_string()
        } else {
            settings
                .rules
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        },
        match (settings.demo, settings.demo_size) {
            (false, _) => "off",
            (true, DemoSizeArg::Full) => "full city",
            (true, DemoSizeArg::Small) => "small city",
        }
    );
    // Before the node opens: a Redis URL that does not answer stops the start here.
    let shared = match &settings.redis_url {
        Some(url) => Some(
            crate::auth::shared::SharedCounters::connect(url.expose(), url.to_string())
                .await
                .map_err(|e| anyhow::anyhow!("REDIS_URL {url} does not answer: {e}"))?,
        ),
        None => None,
    };
    // With Redis, several nodes may share the database: the listener is bound first, so the
    // address the others forward writes to is known when this node takes the writer's lease.
    let early = match &settings.redis_url {
        Some(_) => Some(
            tokio::net::TcpListener::bind(&settings.bind)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?,
        ),
        None => None,
    };
    let (mut node, mut tasks) = match (&settings.redis_url, &early) {
        (Some(redis), Some(listener)) => {
            let address = node_address(settings.node_address.as_deref(), listener)?;
            crate::open_cluster(
                settings.database_url.expose(),
                settings.clock,
                settings.limits,
                &settings.rules,
                settings.notify.clone(),
                crate::ClusterOptions {
                    redis_url: redis.expose().to_string(),
                    address,
                },
            )
            .await?
        }
        _ => {
            crate::open_with(
                settings.database_url.expose(),
                settings.clock,
                settings.limits,
                &settings.rules,
                settings.notify.clone(),
            )
            .await?
        }
    };
    if let Some(shared) = shared {
        node.auth.share_counters(shared);
    }
    let role = node.cluster.role();
    if role == crate::cluster::Role::Follower {
        say(&format!(
            "Nút này theo nút ghi / this node follows the writer ({}); writes sent here are forwarded to it",
            node.lease
                .as_ref()
                .and_then(|l| l.lost())
                .unwrap_or_default()
        ));
    }
    let mut dashboard = settings.dashboard.clone();
    node.dashboard = std::sync::Arc::new(dashboard.clone());
    node.evaluation = std::sync::Arc::new(settings.evaluation.clone());
    tasks.add_background(spawn_reload_on_sighup(
        node.clone(),
        tasks.shutdown_signal(),
    ));
    let admin_password = std::env::var("IOC_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    // Standard output, once, never into the logs; printed after the start-up lines so it is
    // the last thing on screen with the address.
    // A follower's writer is another node, which made the first accounts and the demo.
    let writes_here = node.cluster.writes_here();
    let one_time = if writes_here {
        crate::ingest::accounts::first_run(&node.writer, &node.auth, admin_password).await?
    } else {
        None
    };
    if settings.demo && writes_here {
        let size = match settings.demo_size {
            DemoSizeArg::Full => DemoSize::full(),
            DemoSizeArg::Small => DemoSize::small(),
        };
        let fresh = node.rollup.unit_ids().is_empty();
        if fresh {
            say(&format!(
                "Đang tạo dữ liệu demo… / seeding the demo city ({} officials, {} tasks), about {} s",
                size.people,
                size.tasks,
                demo_seconds(&size)
            ));
        }
        let started = std::time::Instant::now();
        let report = crate::demo::seed(
            &node.writer,
            &node.rollup,
            &size,
            node.rollup.now().max(now_ms()),
            2026,
        )
        .await?;
        // Only right after seeding: a restarted demo keeps what its leaders scored since.
        if report.units > 0 {
            crate::demo::seed_evaluations(
                &node.writer,
                &node.rollup,
                node.store.as_ref(),
                &node.evaluation,
                node.rollup.now().max(now_ms()),
                2026,
            )
            .await?;
        }
        if fresh {
            say(&format!(
                "Dữ liệu demo đã sẵn sàng / demo city ready: {} units, {} officials, {} tasks, {} KPI values in {:.1} s",
                report.units,
                report.people,
                report.tasks,
                report.observations,
                started.elapsed().as_secs_f64()
            ));
        }
        dashboard.demo_accounts = Some(crate::demo::create_accounts(&node).await?);
        node.dashboard = std::sync::Arc::new(dashboard.clone());
        if settings.simulate_rate > 0 {
            let sim = crate::demo::spawn_simulator(
                node.writer.clone(),
                node.rollup.clone(),
                settings.simulate_rate,
                tasks.shutdown_signal(),
            );
            tasks.add_background(sim);
        }
    }
    let listener = match early {
        Some(l) => l,
        None => tokio::net::TcpListener::bind(&settings.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?,
    };
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening on http://{addr}");
    println!("{}", welcome(addr, &dashboard, one_time.as_deref()));
    crate::serve(listener, node.clone(), shutdown_signal()).await?;
    tracing::info!("HTTP stopped; committing what is queued");
    crate::close(node, tasks).await;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Where the other nodes reach this one: the setting, or http:// and the bound address.
fn node_address(
    setting: Option<&str>,
    listener: &tokio::net::TcpListener,
) -> anyhow::Result<String> {
    if let Some(a) = setting {
        let url = reqwest::Url::parse(a)
            .map_err(|e| anyhow::anyhow!("IOC_NODE_ADDRESS '{a}' is not a URL ({e})"))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            anyhow::bail!("IOC_NODE_ADDRESS '{a}' must be http or https");
        }
        return Ok(a.trim_end_matches('/').to_string());
    }
    let addr = listener.local_addr()?;
    if addr.ip().is_unspecified() {
        anyhow::bail!(
            "this node listens on {addr}, which other nodes cannot reach it at: set IOC_NODE_ADDRESS \
             (--node-address) to the http://host:port they should forward writes to"
        );
    }
    Ok(format!("http://{addr}"))
}

fn role_words(role: crate::auth::Role) -> &'static str {
    use crate::auth::Role;
    match role {
        Role::Viewer => "theo dõi / viewer",
        Role::DataEntry => "nhập liệu / data entry",
        Role::Leader => "lãnh đạo / leader",
        Role::Admin => "quản trị / admin",
    }
}

/// A line for the person at the terminal (standard output, not a log line).
fn say(line: &str) {
    println!("{line}");
}

/// About how long seeding takes on a 2-core machine, from the size (measured: the full city
/// in 8-11 s, the small one in well under a second).
fn demo_seconds(size: &DemoSize) -> u64 {
    size.tasks as u64 / 10_000 + 1
}

/// What to open and how to sign in, in a block that stands out from the log lines.
fn welcome(
    addr: std::net::SocketAddr,
    dashboard: &crate::http::web::DashboardConfig,
    one_time: Option<&str>,
) -> String {
    let host = if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    };
    let rule = "=".repeat(72);
    let mut out = format!("\n{rule}\n  Mở / open  http://{host}\n");
    if let Some(password) = one_time {
        out.push_str(&format!(
            "\n  Lần chạy đầu / first run: tài khoản quản trị / admin account\n      đăng nhập / login:  admin\n      mật khẩu một lần / one-time password:  {password}\n  Đổi mật khẩu khi đăng nhập lần đầu; mật khẩu này không hiện lại.\n  Choose a new one at the first sign-in; it is not shown again.\n"
        ));
    }
    if let Some(accounts) = &dashboard.demo_accounts {
        out.push_str(&format!(
            "\n  Tài khoản demo (chỉ để thử) / demo accounts (demo only), mật khẩu / password: {}\n",
            crate::demo::DEMO_PASSWORD
        ));
        for a in accounts {
            out.push_str(&format!(
                "      {:<14} {:<22} {}\n",
                a.login,
                role_words(a.role),
                a.unit_name
            ));
        }
    }
    out.push_str(&format!(
        "{rule}\n  Ctrl-C dừng máy chủ / stops the server; mọi dữ liệu đã xác nhận được giữ.\n"
    ));
    out
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}

async fn import(files: Vec<PathBuf>, database_url: &str, progress: bool) -> anyhow::Result<()> {
    crate::telemetry::init_quiet_tracing();
    if files.is_empty() {
        anyhow::bail!("name at least one file: ioc import catalog.json [more.csv ...]");
    }
    let (node, tasks) = crate::open(
        database_url,
        crate::clock::ClockMode::Manual,
        crate::http::Limits::default(),
    )
    .await?;
    let result = crate::import::import_files(
        &node.writer,
        &files,
        &crate::import::ImportOptions { progress },
    )
    .await;
    crate::close(node, tasks).await;
    let report =
        result.map_err(|e| anyhow::anyhow!("nothing of the failing file was written:\n{e}"))?;
    println!("{report}");
    Ok(())
}

async fn import_remote(
    files: Vec<PathBuf>,
    server: &str,
    token: &str,
    dry_run: bool,
    progress: bool,
) -> anyhow::Result<()> {
    if files.is_empty() {
        anyhow::bail!("name at least one file: ioc import --server URL --token TOKEN book.xlsx");
    }
    for line in crate::import::import_remote(server, token, &files, dry_run, progress).await? {
        println!("{line}");
    }
    Ok(())
}

/// SIGHUP reloads the rule files; a bad file is refused (logged with its errors) and the running
/// rules stay.
fn spawn_reload_on_sighup(
    node: crate::Node,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let Ok(mut hup) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            else {
                return;
            };
            loop {
                tokio::select! {
                    _ = hup.recv() => match crate::alerting::files::load(&node.rule_files) {
                        Ok(_) if !node.cluster.writes_here() => tracing::warn!("SIGHUP on a follower: rules are reloaded by the writer (send it SIGHUP or POST /api/v1/rules/reload), and every node then reads its own copies"),
                        Ok(set) => {
                            let n = set.len();
                            match node.writer.alert(crate::alerting::actions::AlertAction::ReloadRules(set), &crate::auth::Actor::system("rules-reload")).await {
                                Ok(_) => tracing::info!(rules = n, "rules reloaded on SIGHUP"),
                                Err(e) => tracing::error!(error = %e, "rule reload failed"),
                            }
                        }
                        Err(errors) => tracing::error!(errors = errors.join("; "), "rule files refused on SIGHUP; the running rules stay"),
                    },
                    _ = shutdown.changed() => break,
                }
            }
        }
        #[cfg(not(unix))]
        let _ = shutdown.changed().await;
    })
}

fn rules_check(files: &[PathBuf]) -> anyhow::Result<()> {
    if files.is_empty() {
        anyhow::bail!("name at least one rule file or folder: ioc rules check rules/");
    }
    match crate::alerting::files::check(files) {
        Ok(n) => {
            println!("ok: {n} rules (with the built-in ones)");
            Ok(())
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            anyhow::bail!("{} problem(s); nothing loaded", errors.len())
        }
    }
}

async fn rules_backtest(a: BacktestArgs) -> anyhow::Result<()> {
    use crate::domain::time::parse_ts;
    let from = parse_ts(&a.from, false).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to = parse_ts(&a.to, true).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let load = |what: &str, files: &[PathBuf]| {
        crate::alerting::files::load(files).map_err(|errors| {
            anyhow::anyhow!(
                "{what}: {} problem(s):\n{}",
                errors.len(),
                errors.join("\n")
            )
        })
    };
    let candidate = load("the candidate rules", &a.files)?;
    let running = load("the running rules", &a.running)?;
    let store = crate::store::connect(&a.database_url).await?;
    let window = crate::backtest::Window {
        from,
        to,
        unit: a.unit.clone().map(Into::into),
    };
    let mut shown = std::time::Instant::now();
    let report = crate::backtest::run(
        store.as_ref(),
        &window,
        running,
        candidate,
        |from, now, to| {
            if shown.elapsed().as_millis() >= 500 || now >= to {
                let done = (now - from) as f64 / (to - from).max(1) as f64;
                eprint!(
                    "\rreplaying: {:.0} % ({})",
                    done * 100.0,
                    crate::domain::time::format_ts(now)
                );
                shown = std::time::Instant::now();
            }
        },
    )
    .await?;
    eprintln!();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", crate::backtest::report::text(&report));
    }
    Ok(())
}

fn rules_test(files: &[PathBuf]) -> anyhow::Result<()> {
    if files.is_empty() {
        anyhow::bail!("name at least one test file: ioc rules test rules/default.test.toml");
    }
    let (report, ok) = crate::alerting::files::test(files);
    print!("{report}");
    if ok {
        Ok(())
    } else {
        anyhow::bail!("rule tests failed")
    }
}

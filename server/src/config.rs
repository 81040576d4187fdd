//! Typed configuration for `ioc serve`, layered: built-in defaults, then an optional TOML file
//! (`--config` / `IOC_CONFIG`), then environment variables, then flags.

use crate::clock::ClockMode;
use crate::http::web::DashboardConfig;
use crate::http::Limits;
use crate::live::LiveConfig;
use crate::telemetry::LogFormat;
use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/ioc.db";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum DemoSizeArg {
    Full,
    Small,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// TOML file with any of the settings below (keys as the flags, with underscores).
    #[arg(long, env = "IOC_CONFIG")]
    pub config: Option<PathBuf>,
    /// Listen address; port 0 picks a free port (the bound address is logged).
    #[arg(long, env = "IOC_BIND")]
    pub bind: Option<String>,
    /// sqlite://path/to/file.db or postgres://user:pass@host/db.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// redis://host:6379: the Redis the nodes share. Request rates and sign-in throttles are
    /// then counted there, across nodes (default: none, each node counts its own).
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// With several nodes (PostgreSQL and REDIS_URL): the http://host:port the other nodes reach
    /// this one at, when it is the writer, to forward writes (default: http:// and the address
    /// it listens on, which must then not be 0.0.0.0).
    #[arg(long, env = "IOC_NODE_ADDRESS")]
    pub node_address: Option<String>,
    /// A load balancer's address or network (`10.0.0.5`, `10.0.0.0/24`; repeat, or commas in
    /// the variable): a request from it is taken to come from the client its
    /// `X-Forwarded-For` names, read from the right (default: none, the peer is the client).
    #[arg(
        long = "trusted-proxy",
        env = "IOC_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// Seed a demo city on an empty database and stream simulated updates.
    #[arg(long, env = "IOC_DEMO")]
    pub demo: bool,
    #[arg(long, env = "IOC_DEMO_SIZE", value_enum)]
    pub demo_size: Option<DemoSizeArg>,
    /// Simulated events per second with --demo (0 turns the simulator off).
    #[arg(long, env = "IOC_SIMULATE_RATE")]
    pub simulate_rate: Option<u32>,
    /// system: the clock follows the wall time; manual: only POST /api/v1/clock moves it.
    #[arg(long, env = "IOC_CLOCK", value_enum)]
    pub clock: Option<ClockMode>,
    #[arg(long, env = "IOC_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Largest request body in bytes.
    #[arg(long, env = "IOC_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Alert rule files or folders (repeat, or comma-separate in IOC_RULES); default: the
    /// built-in pack. Reloaded on SIGHUP and by POST /api/v1/rules/reload.
    #[arg(long, env = "IOC_RULES", value_delimiter = ',')]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub dashboard: DashboardArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// The address people reach the web UI at (https://ioc.example.gov.vn), for the links in
    /// messages; default: the address the server listens on.
    #[arg(long, env = "IOC_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// The `[notify]` table of a config file (README "Notifications"); the SMTP password may come
/// from `IOC_SMTP_PASSWORD` instead.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyTable {
    pub enabled: Option<bool>,
    pub public_url: Option<String>,
    pub link_ttl_hours: Option<u32>,
    pub allow_private_addresses: Option<bool>,
    pub allow_plain_http: Option<bool>,
    pub max_attempts: Option<u32>,
    pub retry_min_ms: Option<u64>,
    pub retry_max_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub concurrency: Option<usize>,
    pub per_contact_point: Option<usize>,
    pub smtp: Option<SmtpTable>,
    pub leader: Option<crate::notify::policy::PolicyIn>,
    pub official: Option<crate::notify::policy::PolicyIn>,
    pub reminders: Option<RemindersTable>,
}

/// `[notify.reminders]`: what is reminded and when (README "Reminders"); each key left out
/// keeps its default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemindersTable {
    pub enabled: Option<bool>,
    pub series_before_days: Option<Vec<u16>>,
    pub series_after_days: Option<Vec<u16>>,
    pub task_due_days: Option<Vec<u16>>,
    pub task_progress_below: Option<f64>,
    pub acceptance_days: Option<Vec<u16>>,
}

impl RemindersTable {
    fn resolve(&self) -> crate::notify::remind::Reminders {
        let d = crate::notify::remind::Reminders::default();
        crate::notify::remind::Reminders {
            enabled: self.enabled.unwrap_or(d.enabled),
            series_before_days: self
                .series_before_days
                .clone()
                .unwrap_or(d.series_before_days),
            series_after_days: self
                .series_after_days
                .clone()
                .unwrap_or(d.series_after_days),
            task_due_days: self.task_due_days.clone().unwrap_or(d.task_due_days),
            task_progress_below: self.task_progress_below.unwrap_or(d.task_progress_below),
            acceptance_days: self.acceptance_days.clone().unwrap_or(d.acceptance_days),
        }
    }
}

/// `[notify.smtp]`: the mail relay.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpTable {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub security: Option<crate::notify::SmtpSecurity>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: Option<String>,
}

impl fmt::Debug for SmtpTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTable")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl NotifyTable {
    /// The table over the defaults, checked; `public_url` (a flag) wins over the file's.
    pub fn resolve(
        &self,
        public_url: Option<&str>,
        smtp_password: Option<String>,
    ) -> anyhow::Result<crate::notify::NotifyConfig> {
        use crate::notify::{NotifyConfig, SmtpConfig, SmtpSecurity};
        use std::time::Duration;
        let d = NotifyConfig::default();
        let smtp = match &self.smtp {
            None => None,
            Some(t) => {
                let host = t
                    .host
                    .clone()
                    .filter(|h| !h.trim().is_empty())
                    .ok_or_else(|| {
                        anyhow::anyhow!("[notify.smtp] host: the mail relay's name is needed")
                    })?;
                let from = t
                    .from
                    .clone()
                    .ok_or_else(|| anyhow::anyhow!("[notify.smtp] from: the sender is needed, e.g. \"IOC <ioc@example.gov.vn>\""))?;
                from.parse::<lettre::message::Mailbox>().map_err(|e| {
                    anyhow::anyhow!("[notify.smtp] from: '{from}' is not a mailbox ({e})")
                })?;
                let security = t.security.unwrap_or(SmtpSecurity::Starttls);
                Some(SmtpConfig {
                    host,
                    port: t.port.unwrap_or(match security {
                        SmtpSecurity::None => 25,
                        SmtpSecurity::Starttls => 587,
                        SmtpSecurity::Tls => 465,
                    }),
                    security,
                    username: t.username.clone(),
                    password: smtp_password.or_else(|| t.password.clone()),
                    from,
                })
            }
        };
        let public_url = public_url
            .map(str::to_string)
            .or_else(|| self.public_url.clone());
        if let Some(u) = &public_url {
            let parsed = url::Url::parse(u)
                .map_err(|e| anyhow::anyhow!("public_url: '{u}' is not a URL ({e})"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                anyhow::bail!("public_url: '{u}' must be http or https");
            }
        }
        let hours = self.link_ttl_hours.unwrap_or(7 * 24);
        if !(1..=24 * 90).contains(&hours) {
            anyhow::bail!("[notify] link_ttl_hours must be between 1 and 2160");
        }
        let timeout = self.timeout_ms.unwrap_or(d.timeout.as_millis() as u64);
        if !(100..=60_000).contains(&timeout) {
            anyhow::bail!("[notify] timeout_ms must be between 100 and 60000");
        }
        let c = NotifyConfig {
            enabled: self.enabled.unwrap_or(d.enabled),
            public_url,
            link_ttl_ms: i64::from(hours) * 3_600_000,
            allow_private_addresses: self
                .allow_private_addresses
                .unwrap_or(d.allow_private_addresses),
            allow_plain_http: self.allow_plain_http.unwrap_or(d.allow_plain_http),
            max_attempts: self.max_attempts.unwrap_or(d.max_attempts),
            retry_min: self.retry_min_ms.map_or(d.retry_min, Duration::from_millis),
            retry_max: self.retry_max_ms.map_or(d.retry_max, Duration::from_millis),
            timeout: Duration::from_millis(timeout),
            smtp,
            leader: self.leader.clone().unwrap_or_default(),
            official: self.official.clone().unwrap_or_default(),
            concurrency: self.concurrency.unwrap_or(d.concurrency),
            per_contact_point: self.per_contact_point.unwrap_or(d.per_contact_point),
            reminders: self.reminders.clone().unwrap_or_default().resolve(),
        };
        c.validate()
            .map_err(|e| anyhow::anyhow!("[notify] {}: {}", e.field, e.message))?;
        Ok(c)
    }
}

/// Sessions and throttles; in a config file they sit in an `[auth]` table.
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthArgs {
    /// Hours a sign-in lasts (default 12).
    #[arg(long, env = "IOC_SESSION_HOURS")]
    pub session_hours: Option<u32>,
    /// Requests per minute per credential (default 600; 0 turns the limit off).
    #[arg(long, env = "IOC_RATE_LIMIT_PER_MINUTE")]
    pub rate_limit_per_minute: Option<u32>,
    /// Requests a credential may make at once above that pace (default 120).
    #[arg(long, env = "IOC_RATE_LIMIT_BURST")]
    pub rate_limit_burst: Option<u32>,
    /// Mark the session cookie Secure and send HSTS: set it when clients reach the server
    /// over HTTPS (a TLS proxy in front).
    #[arg(long, env = "IOC_SECURE_COOKIES")]
    #[serde(default)]
    pub secure_cookies: bool,
}

impl AuthArgs {
    fn resolve(&self, file: &AuthArgs) -> anyhow::Result<crate::auth::AuthConfig> {
        let d = crate::auth::AuthConfig::default();
        let hours = self.session_hours.or(file.session_hours).unwrap_or(12);
        if !(1..=24 * 30).contains(&hours) {
            anyhow::bail!("session_hours must be between 1 and 720");
        }
        Ok(crate::auth::AuthConfig {
            session_ttl: std::time::Duration::from_secs(u64::from(hours) * 3600),
            rate_per_minute: self
                .rate_limit_per_minute
                .or(file.rate_limit_per_minute)
                .unwrap_or(d.rate_per_minute),
            rate_burst: self
                .rate_limit_burst
                .or(file.rate_limit_burst)
                .unwrap_or(d.rate_burst),
            secure_cookies: self.secure_cookies || file.secure_cookies,
            ..d
        })
    }
}

/// The web UI's settings; in a config file they sit in a `[dashboard]` table (`root_unit`,
/// `wall_boards`, `wall_rotate_seconds`, `web_dir`).
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardArgs {
    /// The unit the city board opens on (default: the root of the org tree).
    #[arg(long, env = "IOC_ROOT_UNIT")]
    pub root_unit: Option<String>,
    /// Unit ids a wall display rotates through (comma-separated; default: the root unit).
    #[arg(long, env = "IOC_WALL_BOARDS", value_delimiter = ',')]
    #[serde(default)]
    pub wall_boards: Vec<String>,
    /// Seconds each wall board stays on screen (default 20).
    #[arg(long, env = "IOC_WALL_ROTATE_SECONDS")]
    pub wall_rotate_seconds: Option<u32>,
    /// Seconds without news, or of the server's data clock lagging, before screens say their
    /// data is stale (default 30).
    #[arg(long, env = "IOC_STALE_AFTER_SECONDS")]
    pub stale_after_seconds: Option<u32>,
    /// Serve the web UI from this folder instead of the copy built into the binary
    /// (for working on dashboard-web/ without rebuilding).
    #[arg(long, env = "IOC_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
}

impl DashboardArgs {
    /// Flags over the file's `[dashboard]` table over the defaults.
    pub fn resolve(&self, file: &DashboardArgs) -> anyhow::Result<DashboardConfig> {
        let rotate = self
            .wall_rotate_seconds
            .or(file.wall_rotate_seconds)
            .unwrap_or(DashboardConfig::default().wall_rotate_seconds);
        if rotate == 0 {
            anyhow::bail!("wall_rotate_seconds must be above 0");
        }
        let stale = self
            .stale_after_seconds
            .or(file.stale_after_seconds)
            .unwrap_or(DashboardConfig::default().stale_after_seconds);
        if stale < 5 {
            anyhow::bail!("stale_after_seconds must be at least 5");
        }
        Ok(DashboardConfig {
            root_unit: self.root_unit.clone().or_else(|| file.root_unit.clone()),
            wall_boards: if self.wall_boards.is_empty() {
                file.wall_boards.clone()
            } else {
                self.wall_boards.clone()
            },
            wall_rotate_seconds: rotate,
            stale_after_seconds: stale,
            web_dir: self.web_dir.clone().or_else(|| file.web_dir.clone()),
            demo_accounts: None,
        })
    }
}

/// The live WebSocket endpoint's settings; in a config file they sit in a `[live]` table with
/// the names after `--ws-` (e.g. `tick_ms = 200`).
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveArgs {
    /// Coalescing tick of live views, in milliseconds (default 150).
    #[arg(long = "ws-tick-ms", env = "IOC_WS_TICK_MS")]
    pub tick_ms: Option<u64>,
    /// Seconds between the server's pings (default 20).
    #[arg(long = "ws-heartbeat-secs", env = "IOC_WS_HEARTBEAT_SECS")]
    pub heartbeat_secs: Option<u64>,
    /// Seconds of silence (no message, no pong) before a connection is closed (default 60).
    #[arg(long = "ws-idle-timeout-secs", env = "IOC_WS_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Largest client message answered (default 16384 bytes).
    #[arg(long = "ws-max-message-bytes", env = "IOC_WS_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Subscriptions per connection (default 32).
    #[arg(long = "ws-max-subscriptions", env = "IOC_WS_MAX_SUBSCRIPTIONS")]
    pub max_subscriptions: Option<usize>,
    /// Live connections per client address (default 256).
    #[arg(
        long = "ws-max-connections-per-client",
        env = "IOC_WS_MAX_CONNECTIONS_PER_CLIENT"
    )]
    pub max_connections_per_client: Option<usize>,
    /// Live connections in all (default 20000; mind the open-file limit).
    #[arg(long = "ws-max-connections", env = "IOC_WS_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Alert frames queued per connection before it is closed as too slow (default 4096).
    #[arg(long = "ws-alert-queue", env = "IOC_WS_ALERT_QUEUE")]
    pub alert_queue: Option<usize>,
    /// Kernel send buffer per connection in bytes (default 0: the OS default).
    #[arg(long = "tcp-send-buffer", env = "IOC_TCP_SEND_BUFFER")]
    pub tcp_send_buffer: Option<usize>,
}

impl LiveArgs {
    /// Flags (self) over the file's values over the defaults.
    fn resolve(&self, file: &LiveArgs) -> anyhow::Result<LiveConfig> {
        let d = LiveConfig::default();
        let pick = |a: Option<u64>, b: Option<u64>| a.or(b);
        let c = LiveConfig {
            tick: pick(self.tick_ms, file.tick_ms).map_or(d.tick, std::time::Duration::from_millis),
            heartbeat: pick(self.heartbeat_secs, file.heartbeat_secs)
                .map_or(d.heartbeat, std::time::Duration::from_secs),
            idle_timeout: pick(self.idle_timeout_secs, file.idle_timeout_secs)
                .map_or(d.idle_timeout, std::time::Duration::from_secs),
            max_message_bytes: self
                .max_message_bytes
                .or(file.max_message_bytes)
                .unwrap_or(d.max_message_bytes),
            max_subscriptions: self
                .max_subscriptions
                .or(file.max_subscriptions)
                .unwrap_or(d.max_subscriptions),
            max_connections_per_client: self
                .max_connections_per_client
                .or(file.max_connections_per_client)
                .unwrap_or(d.max_connections_per_client),
            max_connections: self
                .max_connections
                .or(file.max_connections)
                .unwrap_or(d.max_connections),
            alert_queue: self
                .alert_queue
                .or(file.alert_queue)
                .unwrap_or(d.alert_queue),
            tcp_send_buffer: self
                .tcp_send_buffer
                .or(file.tcp_send_buffer)
                .unwrap_or(d.tcp_send_buffer),
            ..d
        };
        if !(10..=10_000).contains(&c.tick.as_millis()) {
            anyhow::bail!("ws tick_ms must be between 10 and 10000");
        }
        if c.heartbeat.is_zero() || c.idle_timeout <= c.heartbeat {
            anyhow::bail!(
                "ws idle_timeout_secs must be longer than heartbeat_secs (and both above 0)"
            );
        }
        if c.max_message_bytes < 256 || c.max_message_bytes > c.hard_message_bytes {
            anyhow::bail!(
                "ws max_message_bytes must be between 256 and {}",
                c.hard_message_bytes
            );
        }
        if c.max_subscriptions == 0
            || c.max_connections_per_client == 0
            || c.max_connections == 0
            || c.alert_queue == 0
        {
            anyhow::bail!("ws limits must be above 0");
        }
        Ok(c)
    }
}

/// The `[evaluation]` table of a server config file (the defaults when it has none), checked.
pub fn evaluation_table(
    path: &std::path::Path,
) -> anyhow::Result<crate::evaluation::EvaluationConfig> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("--config: cannot read {}: {e}", path.display()))?;
    let file: FileConfig =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("--config {}: {e}", path.display()))?;
    let cfg = file.evaluation.unwrap_or_default();
    cfg.validate()
        .map_err(|e| anyhow::anyhow!("--config {}: {e}", path.display()))?;
    Ok(cfg)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    database_url: Option<String>,
    redis_url: Option<String>,
    node_address: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    demo: Option<bool>,
    demo_size: Option<DemoSizeArg>,
    simulate_rate: Option<u32>,
    clock: Option<ClockMode>,
    log_format: Option<LogFormat>,
    max_body_bytes: Option<usize>,
    rules: Option<Vec<PathBuf>>,
    live: Option<LiveArgs>,
    dashboard: Option<DashboardArgs>,
    auth: Option<AuthArgs>,
    evaluation: Option<crate::evaluation::EvaluationConfig>,
    notify: Option<NotifyTable>,
    public: Option<crate::public::PublicConfig>,
    history: Option<crate::asof::HistoryConfig>,
}

/// A URL that may carry a password (the database's, Redis's): `Debug` and `Display` show it
/// redacted.
#[derive(Clone)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", crate::store::redact_url(&self.0))
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::store::redact_url(&self.0))
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database_url: SecretUrl,
    /// The Redis the nodes share (`None`: each node counts its own throttles).
    pub redis_url: Option<SecretUrl>,
    /// Where the other nodes reach this one (`None`: from the bound address).
    pub node_address: Option<String>,
    pub demo: bool,
    pub demo_size: DemoSizeArg,
    pub simulate_rate: u32,
    pub clock: ClockMode,
    pub log_format: LogFormat,
    pub limits: Limits,
    pub rules: Vec<PathBuf>,
    pub dashboard: DashboardConfig,
    /// The `[evaluation]` table: the evaluation model of officials.
    pub evaluation: crate::evaluation::EvaluationConfig,
    /// The `[notify]` table: notifications.
    pub notify: crate::notify::NotifyConfig,
}

impl Settings {
    pub fn resolve(args: &ServeArgs) -> anyhow::Result<Settings> {
        let file: FileConfig = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("cannot read config file {}: {e}", path.display())
                })?;
                toml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let max_body_bytes = args
            .max_body_bytes
            .or(file.max_body_bytes)
            .unwrap_or(Limits::default().max_body_bytes);
        if max_body_bytes < 1024 {
            anyhow::bail!("max_body_bytes must be at least 1024");
        }
        let evaluation = file.evaluation.unwrap_or_default();
        evaluation
            .validate()
            .map_err(|e| anyhow::anyhow!("config file: {e}"))?;
        let mut public = file.public.unwrap_or_default();
        public
            .check()
            .map_err(|e| anyhow::anyhow!("config file: {e}"))?;
        if public.base_url.is_none() {
            public.base_url = args.public_url.clone();
        }
        let notify = file.notify.unwrap_or_default().resolve(
            args.public_url.as_deref(),
            std::env::var("IOC_SMTP_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty()),
        )?;
        Ok(Settings {
            bind: args
                .bind
                .clone()
                .or(file.bind)
                .unwrap_or_else(|| DEFAULT_BIND.into()),
            database_url: SecretUrl(
                args.database_url
                    .clone()
                    .or(file.database_url)
                    .unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            ),
            redis_url: args
                .redis_url
                .clone()
                .or(file.redis_url)
                .filter(|u| !u.is_empty())
                .map(SecretUrl),
            node_address: args
                .node_address
                .clone()
                .or(file.node_address)
                .filter(|u| !u.is_empty()),
            demo: args.demo || file.demo.unwrap_or(false),
            demo_size: args
                .demo_size
                .or(file.demo_size)
                .unwrap_or(DemoSizeArg::Full),
            simulate_rate: args.simulate_rate.or(file.simulate_rate).unwrap_or(50),
            clock: args.clock.or(file.clock).unwrap_or(ClockMode::System),
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Pretty),
            limits: Limits {
                max_body_bytes,
                live: args.live.resolve(&file.live.unwrap_or_default())?,
                auth: args.auth.resolve(&file.auth.unwrap_or_default())?,
                trusted_proxies: trusted_proxies(if args.trusted_proxies.is_empty() {
                    file.trusted_proxies.unwrap_or_default()
                } else {
                    args.trusted_proxies.clone()
                })?,
                public: std::sync::Arc::new(public),
                history: file.history.unwrap_or_default(),
            },
            rules: if args.rules.is_empty() {
                file.rules.unwrap_or_default()
            } else {
                args.rules.clone()
            },
            dashboard: args
                .dashboard
                .resolve(&file.dashboard.unwrap_or_default())?,
            evaluation,
            notify,
        })
    }
}

/// `--trusted-proxy` values as networks; a bare address is a network of one.
fn trusted_proxies(list: Vec<String>) -> anyhow::Result<std::sync::Arc<[ipnet::IpNet]>> {
    list.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "--trusted-proxy '{s}': not an address or a network (10.0.0.5, 10.0.0.0/24, 2001:db8::/32)"
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(config: Option<PathBuf>) -> ServeArgs {
        ServeArgs {
            config,
            bind: None,
            database_url: None,
            redis_url: None,
            node_address: None,
            trusted_proxies: Vec::new(),
            demo: false,
            demo_size: None,
            simulate_rate: None,
            clock: None,
            log_format: None,
            max_body_bytes: None,
            rules: Vec::new(),
            live: LiveArgs::default(),
            dashboard: DashboardArgs::default(),
            auth: AuthArgs::default(),
            public_url: None,
        }
    }

    #[test]
    fn defaults_then_file_then_flags() {
        let s = Settings::resolve(&args(None)).unwrap();
        assert_eq!(s.bind, DEFAULT_BIND);
        assert_eq!(s.database_url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(s.clock, ClockMode::System);

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ioc.toml");
        std::fs::write(&file, "bind = \"127.0.0.1:0\"\ndatabase_url = \"postgres://ioc:pw@db/ioc\"\nredis_url = \"redis://:rpw@cache:6379/\"\nclock = \"manual\"\nsimulate_rate = 5\n[live]\ntick_ms = 200\nmax_subscriptions = 8\n").unwrap();
        let s = Settings::resolve(&args(Some(file.clone()))).unwrap();
        assert_eq!(s.limits.live.tick, std::time::Duration::from_millis(200));
        assert_eq!(s.limits.live.max_subscriptions, 8);
        assert_eq!(s.bind, "127.0.0.1:0");
        assert_eq!(s.clock, ClockMode::Manual);
        assert_eq!(s.simulate_rate, 5);
        assert_eq!(
            s.redis_url.as_ref().map(|u| u.expose()),
            Some("redis://:rpw@cache:6379/")
        );
        assert!(
            !format!("{s:?}").contains("pw"),
            "a password reached Debug output"
        );
        assert!(!s.redis_url.as_ref().unwrap().to_string().contains("rpw"));

        // Flags (and the environment, which clap folds into them) win over the file.
        let mut a = args(Some(file));
        a.bind = Some("127.0.0.1:9999".into());
        a.clock = Some(ClockMode::System);
        a.live.tick_ms = Some(100);
        a.redis_url = Some("redis://127.0.0.1:6390/".into());
        let s = Settings::resolve(&a).unwrap();
        assert_eq!(
            s.redis_url.as_ref().map(|u| u.expose()),
            Some("redis://127.0.0.1:6390/")
        );
        assert_eq!(s.limits.live.tick, std::time::Duration::from_millis(100));
        assert_eq!(s.limits.live.max_subscriptions, 8, "the file's value stays");
        assert_eq!(s.bind, "127.0.0.1:9999");
        assert_eq!(s.clock, ClockMode::System);
        assert_eq!(s.database_url.expose(), "postgres://ioc:pw@db/ioc");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks_and_a_bad_one_is_named() {
        let mut a = args(None);
        a.trusted_proxies = vec![
            "10.0.0.5".into(),
            "10.1.0.0/16".into(),
            "2001:db8::/32".into(),
        ];
        let s = Settings::resolve(&a).unwrap();
        let nets: Vec<String> = s
            .limits
            .trusted_proxies
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(nets, ["10.0.0.5/32", "10.1.0.0/16", "2001:db8::/32"]);
        // The file's list, when no flag gives one.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ioc.toml");
        std::fs::write(&file, "trusted_proxies = [\"192.0.2.0/24\"]\n").unwrap();
        let s = Settings::resolve(&args(Some(file))).unwrap();
        assert_eq!(s.limits.trusted_proxies[0].to_string(), "192.0.2.0/24");
        a.trusted_proxies = vec!["10.0.0.0/8".into(), "the-balancer".into()];
        let e = Settings::resolve(&a).unwrap_err().to_string();
        assert!(e.contains("--trusted-proxy 'the-balancer'"), "{e}");
    }

    #[test]
    fn a_bad_config_file_is_refused_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ioc.toml");
        std::fs::write(&file, "bnid = \"x\"\n").unwrap();
        let err = Settings::resolve(&args(Some(file.clone())))
            .unwrap_err()
            .to_string();
        assert!(err.contains("bnid"), "{err}");
        std::fs::write(&file, "[notify.leader]\nquiet_hours = \"22h\"\n").unwrap();
        let err = Settings::resolve(&args(Some(file.clone())))
            .unwrap_err()
            .to_string();
        assert!(err.contains("notify.leader.quiet_hours"), "{err}");
        std::fs::write(&file, "[notify.smtp]\nhost = \"relay\"\n").unwrap();
        let err = Settings::resolve(&args(Some(file.clone())))
            .unwrap_err()
            .to_string();
        assert!(err.contains("from"), "{err}");
        std::fs::write(&file, "[live]\ntick_ms = 1\n").unwrap();
        let err = Settings::resolve(&args(Some(file.clone())))
            .unwrap_err()
            .to_string();
        assert!(err.contains("tick_ms"), "{err}");
        let err = Settings::resolve(&args(Some(dir.path().join("missing.toml"))))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.toml"), "{err}");
    }
}

//! Typed configuration for `ioc serve`, layered: built-in defaults, then an optional TOML file
//! (`--config` / `IOC_CONFIG`), then environment variables, then flags.

use crate::clock::ClockMode;
use crate::http::Limits;
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
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    database_url: Option<String>,
    demo: Option<bool>,
    demo_size: Option<DemoSizeArg>,
    simulate_rate: Option<u32>,
    clock: Option<ClockMode>,
    log_format: Option<LogFormat>,
    max_body_bytes: Option<usize>,
    rules: Option<Vec<PathBuf>>,
}

/// A value that must not reach logs: `Debug` and `Display` show it redacted.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", crate::store::redact_url(&self.0))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::store::redact_url(&self.0))
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database_url: DatabaseUrl,
    pub demo: bool,
    pub demo_size: DemoSizeArg,
    pub simulate_rate: u32,
    pub clock: ClockMode,
    pub log_format: LogFormat,
    pub limits: Limits,
    pub rules: Vec<PathBuf>,
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
        Ok(Settings {
            bind: args
                .bind
                .clone()
                .or(file.bind)
                .unwrap_or_else(|| DEFAULT_BIND.into()),
            database_url: DatabaseUrl(
                args.database_url
                    .clone()
                    .or(file.database_url)
                    .unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            ),
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
            limits: Limits { max_body_bytes },
            rules: if args.rules.is_empty() {
                file.rules.unwrap_or_default()
            } else {
                args.rules.clone()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(config: Option<PathBuf>) -> ServeArgs {
        ServeArgs {
            config,
            bind: None,
            database_url: None,
            demo: false,
            demo_size: None,
            simulate_rate: None,
            clock: None,
            log_format: None,
            max_body_bytes: None,
            rules: Vec::new(),
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
        std::fs::write(&file, "bind = \"127.0.0.1:0\"\ndatabase_url = \"postgres://ioc:pw@db/ioc\"\nclock = \"manual\"\nsimulate_rate = 5\n").unwrap();
        let s = Settings::resolve(&args(Some(file.clone()))).unwrap();
        assert_eq!(s.bind, "127.0.0.1:0");
        assert_eq!(s.clock, ClockMode::Manual);
        assert_eq!(s.simulate_rate, 5);
        assert!(
            !format!("{s:?}").contains("pw"),
            "the password reached Debug output"
        );

        // Flags (and the environment, which clap folds into them) win over the file.
        let mut a = args(Some(file));
        a.bind = Some("127.0.0.1:9999".into());
        a.clock = Some(ClockMode::System);
        let s = Settings::resolve(&a).unwrap();
        assert_eq!(s.bind, "127.0.0.1:9999");
        assert_eq!(s.clock, ClockMode::System);
        assert_eq!(s.database_url.expose(), "postgres://ioc:pw@db/ioc");
    }

    #[test]
    fn a_bad_config_file_is_refused_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ioc.toml");
        std::fs::write(&file, "bnid = \"x\"\n").unwrap();
        let err = Settings::resolve(&args(Some(file)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("bnid"), "{err}");
        let err = Settings::resolve(&args(Some(dir.path().join("missing.toml"))))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.toml"), "{err}");
    }
}

//! `POST /api/v1/rules/backtest`: candidate rules tried on the stored history of a window, side
//! by side with the running ones (`backtest/`), with the chart of fires per day. One backtest
//! runs at a time on a node (it replays a quarter of a city: seconds of CPU); another is told to
//! wait. Adopting the candidate is the existing rule reload (files on the server), audited.

use super::asof::parse_at;
use super::body::JsonBody;
use super::error::ApiError;
use super::ops::{Answer, Body, Operation};
use crate::auth::{access, Actor};
use crate::backtest::{self, BacktestError, BacktestReport, Window};
use crate::ingest::ItemError;
use crate::msg;
use crate::Node;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use tokio::sync::Semaphore;
use utoipa::{OpenApi, ToSchema};

pub fn router() -> Router<Node> {
    Router::new().route("/rules/backtest", post(run))
}

pub const OPERATIONS: &[Operation] = &[Operation::post(
    "/api/v1/rules/backtest",
    "Try candidate rules on history: the window (at most 93 days) replayed through the running rules and the candidate side by side: fires by rule, unit, severity and day, hours in red, flapping, the fires that differ with their moment and value, and an SVG chart of fires per day. A leader or admin over the unit (the whole tree without one); one backtest at a time (429 while another runs)",
    Body::Json("BacktestIn"),
    Answer::Json("BacktestOut"),
)];

#[derive(OpenApi)]
#[openapi(components(schemas(
    BacktestIn,
    RuleFileIn,
    BacktestOut,
    BacktestReport,
    backtest::Side,
    backtest::report::CountLine,
    backtest::report::DayLine,
    backtest::report::RuleLine,
    backtest::report::Differing
)))]
pub struct Schemas;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestIn {
    /// The window's start: RFC 3339, or a date (its start would be its end: give a time).
    pub from: String,
    /// The window's end: RFC 3339 or a date (its end), not after the server's clock.
    pub to: String,
    /// Count only this unit's subtree's alerts.
    #[serde(default)]
    pub unit: Option<String>,
    /// The candidate rule files, as `ioc serve --rules` reads them (TOML, `RULES.md`).
    pub rules: Vec<RuleFileIn>,
    /// `vi` (default) or `en`: the chart's words.
    #[serde(default)]
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFileIn {
    /// A name for errors to point at (e.g. `candidate.toml`).
    pub name: String,
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BacktestOut {
    pub report: BacktestReport,
    /// Fires per day, running and candidate, as an SVG image.
    pub chart_svg: String,
}

fn one_at_a_time() -> &'static Semaphore {
    static RUNNING: OnceLock<Semaphore> = OnceLock::new();
    RUNNING.get_or_init(|| Semaphore::new(1))
}

fn invalid(field: &str, m: crate::i18n::Msg) -> ApiError {
    ApiError::Invalid(ItemError::new(field, m))
}

async fn run(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(b): JsonBody<BacktestIn>,
) -> Result<Json<BacktestOut>, ApiError> {
    let who = &actor.principal;
    let unit = b.unit.as_deref().map(str::trim).filter(|u| !u.is_empty());
    if let Some(u) = unit {
        crate::auth::can_view(who, &node.rollup, crate::auth::Target::Unit(u))?;
    }
    access::backtest(who, &node.rollup, unit)?;
    // A date alone: the start of its day for `from`, the end for `to`.
    let from = crate::domain::time::parse_ts(&b.from, false)
        .map_err(|_| invalid("from", msg!("at_invalid", at = b.from.clone())))?;
    let to = parse_at(Some(&b.to))?
        .ok_or_else(|| invalid("to", msg!("at_invalid", at = b.to.clone())))?;
    let now = node.rollup.now();
    if to > now {
        return Err(invalid(
            "to",
            msg!(
                "at_future",
                at = super::asof::moment(to),
                now = super::asof::moment(now)
            ),
        ));
    }
    if to <= from || to - from > backtest::MAX_DAYS * 86_400_000 {
        return Err(invalid(
            "to",
            msg!("backtest_window", days = backtest::MAX_DAYS),
        ));
    }
    let sources: Vec<(&str, &str)> = b
        .rules
        .iter()
        .map(|f| (f.name.as_str(), f.text.as_str()))
        .collect();
    let candidate = alert_rules::RuleSet::load(&alert_rules::Builtins::default(), &sources)
        .map_err(|errors| {
            let words: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            invalid("rules", msg!("backtest_rules", errors = words.join("; ")))
        })?;
    let running = node.alerts.read(|board| board.ruleset.clone());
    let Ok(_permit) = one_at_a_time().try_acquire() else {
        return Err(ApiError::TooManyRequests(msg!("backtest_busy")));
    };
    let window = Window {
        from,
        to,
        unit: unit.map(Into::into),
    };
    let report = backtest::run(
        node.store.as_ref(),
        &window,
        running,
        candidate,
        |_, _, _| {},
    )
    .await
    .map_err(|e| match e {
        // The replay starts at `from`: a window before history began is `from`'s fault.
        BacktestError::AsOf(crate::asof::AsOfError::Missing { begins }) => invalid(
            "from",
            match begins {
                Some(b) => msg!(
                    "history_missing",
                    begins = super::asof::moment(b),
                    at = super::asof::moment(from)
                ),
                None => msg!("history_none"),
            },
        ),
        BacktestError::AsOf(e) => super::asof::refusal(e, from),
        BacktestError::Reversed | BacktestError::TooLong { .. } => {
            invalid("to", msg!("backtest_window", days = backtest::MAX_DAYS))
        }
        BacktestError::Store(e) => ApiError::Internal(e.into()),
    })?;
    let lang = b.lang.as_deref().unwrap_or("vi").to_string();
    let (report, chart_svg) = tokio::task::spawn_blocking(move || {
        let svg = backtest::chart::svg(&report, &lang);
        (report, svg)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    let chart_svg = chart_svg.map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    tracing::info!(account = %actor.principal.actor_id(), fires_running = report.running.fires, fires_candidate = report.candidate.fires, "rule backtest run");
    Ok(Json(BacktestOut { report, chart_svg }))
}

//! `?at=` on the board's views: the rollup a request reads, live or as it stood at a past
//! moment (`asof/`), and the refusals of a moment that cannot be shown.

use super::error::ApiError;
use crate::asof::AsOfError;
use crate::domain::Ts;
use crate::ingest::ItemError;
use crate::msg;
use crate::rollup::Rollup;
use crate::Node;
use std::sync::Arc;

/// A moment as the API writes it: RFC 3339 in Vietnam's time.
pub fn moment(ts: Ts) -> String {
    chrono::DateTime::from_timestamp_millis(ts)
        .map(|t| {
            t.with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7"))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        })
        .unwrap_or_else(|| ts.to_string())
}

/// The `at` query parameter: an RFC 3339 time, or a date meaning its end in Vietnam.
pub fn parse_at(at: Option<&String>) -> Result<Option<Ts>, ApiError> {
    let Some(at) = at else { return Ok(None) };
    crate::domain::time::parse_ts(at, true)
        .map(Some)
        .map_err(|_| ApiError::Invalid(ItemError::new("at", msg!("at_invalid", at = at.clone()))))
}

/// The rollup to read: the live one, or the one of `at`.
pub async fn rollup(node: &Node, at: Option<Ts>) -> Result<Arc<Rollup>, ApiError> {
    let Some(at) = at else {
        return Ok(node.rollup.clone());
    };
    node.past
        .rollup_at(at, node.rollup.now())
        .await
        .map_err(|e| refusal(e, at))
}

pub fn refusal(e: AsOfError, at: Ts) -> ApiError {
    let field = |m| ApiError::Invalid(ItemError::new("at", m));
    match e {
        AsOfError::Future { now } => field(msg!("at_future", at = moment(at), now = moment(now))),
        AsOfError::Missing { begins: Some(b) } => {
            field(msg!("history_missing", begins = moment(b), at = moment(at)))
        }
        AsOfError::Missing { begins: None } => field(msg!("history_none")),
        AsOfError::Store(e) => ApiError::Internal(e.into()),
    }
}

/// 404 for a unit the past rollup did not hold (the live one does: the scope check passed).
pub fn unit_not_then(id: &str, at: Option<Ts>) -> ApiError {
    match at {
        Some(at) => ApiError::NotFound(msg!("unit_not_then", id = id.to_string(), at = moment(at))),
        None => ApiError::NotFound(format!("no unit '{id}'").into()),
    }
}

pub fn person_not_then(id: &str, at: Option<Ts>) -> ApiError {
    match at {
        Some(at) => ApiError::NotFound(msg!(
            "person_not_then",
            id = id.to_string(),
            at = moment(at)
        )),
        None => ApiError::NotFound(format!("no person '{id}'").into()),
    }
}

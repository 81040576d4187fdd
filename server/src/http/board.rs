//! The lists behind a unit board (overdue and due-soon tasks, people, objectives and key
//! results, red KPI series, KPI value history for sparklines). Thin: parse the query, check
//! scope, read the rollup (or the store, for history).

use super::error::ApiError;
use super::ops::{Answer, Kind, Operation, Param};
use crate::auth::{can_view, Principal, Target};
use crate::domain::time::DAY;
use crate::domain::KpiStatus;
use crate::rollup::lists::{Due, OkrList, PeopleList, RedKpis, TaskList};
use crate::rollup::view::UnitRef;
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::{OpenApi, ToSchema};

pub fn router() -> Router<Node> {
    Router::new()
        .route("/units/{id}/tasks", get(tasks))
        .route("/units/{id}/people", get(people))
        .route("/units/{id}/okrs", get(okrs))
        .route("/units/{id}/kpis/red", get(red_kpis))
        .route("/units/{id}/kpis/history", get(kpi_history))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/units/{id}/tasks", "Overdue (oldest deadline first) or due-soon (nearest first) tasks of the subtree with the responsible person; total counts all", Answer::Json("TaskList")).params(&[
        Param::query("due", Kind::OneOf(&["overdue", "soon"]), "overdue (default) or soon"),
        Param::query("days", Kind::Int(1, 90), "With due=soon only: due within this many days (default 7)"),
        Param::query("limit", Kind::Int(1, 500), "At most this many tasks (default 50)"),
        super::ops::AT_PARAM,
    ]),
    Operation::get("/api/v1/units/{id}/people", "People of the subtree with workload, overdue and on-time rate, most overdue first", Answer::Json("PeopleList")).params(&[
        Param::query("limit", Kind::Int(1, 1000), "At most this many people (default 100)"),
        super::ops::AT_PARAM,
    ]),
    Operation::get("/api/v1/units/{id}/okrs", "The unit's own objectives and key results with progress against the time elapsed (pace), furthest behind first", Answer::Json("OkrList")).params(super::ops::AT),
    Operation::get("/api/v1/units/{id}/kpis/red", "Red KPI series anywhere in the subtree", Answer::Json("RedKpis")).params(&[
        Param::query("limit", Kind::Int(1, 1000), "At most this many series (default 50)"),
        super::ops::AT_PARAM,
    ]),
    Operation::get("/api/v1/units/{id}/kpis/history", "The unit's own KPI series over their last periods, oldest first: sparklines", Answer::Json("KpiHistory")).params(&[
        Param::query("points", Kind::Int(1, 60), "Periods per series (default 8)"),
    ]),
    Operation::get("/api/v1/dashboard", "Web UI settings: the root unit, the time zone, the wall display's boards and rotation, and the demo accounts under --demo", Answer::Json("DashboardOut")).public(),
];

#[derive(OpenApi)]
#[openapi(components(schemas(
    TaskList,
    PeopleList,
    OkrList,
    RedKpis,
    KpiHistory,
    HistoryPoint,
    super::web::DashboardOut,
    super::web::DemoOut,
    crate::demo::DemoAccount
)))]
pub struct Schemas;

#[derive(Debug, Serialize, ToSchema)]
pub struct KpiHistory {
    pub unit: UnitRef,
    /// By KPI code: the last periods' values, oldest first.
    pub series: BTreeMap<String, Vec<HistoryPoint>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPoint {
    pub period: String,
    pub value: f64,
    /// The value's colour by the KPI's thresholds (a past value is never "stale").
    pub status: KpiStatus,
}

/// Query parameters, checked by name: an unknown or malformed one is refused, not ignored.
pub(crate) struct Params(pub(crate) HashMap<String, String>);

impl Params {
    pub(crate) fn new(q: HashMap<String, String>, allowed: &[&str]) -> Result<Params, ApiError> {
        if let Some(k) = q.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::BadRequest(
                format!(
                    "unknown query parameter '{k}'; this route takes: {}",
                    allowed.join(", ")
                )
                .into(),
            ));
        }
        Ok(Params(q))
    }

    pub(super) fn int(
        &self,
        name: &str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Result<i64, ApiError> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "query parameter '{name}' must be a whole number from {min} to {max}, got '{v}'"
                    ).into())
                }),
        }
    }
}

fn no_unit(id: &str) -> ApiError {
    ApiError::NotFound(format!("no unit '{id}'").into())
}

async fn tasks(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<TaskList>, ApiError> {
    let p = Params::new(q, &["due", "days", "limit", "at"])?;
    let at = super::asof::parse_at(p.0.get("at"))?;
    let limit = p.int("limit", 50, 1, 500)? as usize;
    let due = match p.0.get("due").map(String::as_str) {
        None | Some("overdue") => {
            if p.0.contains_key("days") {
                return Err(ApiError::BadRequest(
                    "query parameter 'days' goes with due=soon only".into(),
                ));
            }
            Due::Overdue
        }
        Some("soon") => Due::Soon(p.int("days", 7, 1, 90)? * DAY),
        Some(other) => {
            return Err(ApiError::BadRequest(
                format!("query parameter 'due' must be 'overdue' or 'soon', got '{other}'").into(),
            ))
        }
    };
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    super::asof::rollup(&node, at)
        .await?
        .unit_tasks(&id, due, limit)
        .map(Json)
        .ok_or_else(|| super::asof::unit_not_then(&id, at))
}

async fn people(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<PeopleList>, ApiError> {
    let p = Params::new(q, &["limit", "at"])?;
    let limit = p.int("limit", 100, 1, 1000)? as usize;
    let at = super::asof::parse_at(p.0.get("at"))?;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    super::asof::rollup(&node, at)
        .await?
        .unit_people(&id, limit)
        .map(Json)
        .ok_or_else(|| super::asof::unit_not_then(&id, at))
}

async fn okrs(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<OkrList>, ApiError> {
    let at = super::asof::parse_at(Params::new(q, &["at"])?.0.get("at"))?;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    super::asof::rollup(&node, at)
        .await?
        .unit_okrs(&id)
        .map(Json)
        .ok_or_else(|| super::asof::unit_not_then(&id, at))
}

async fn red_kpis(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<RedKpis>, ApiError> {
    let p = Params::new(q, &["limit", "at"])?;
    let limit = p.int("limit", 50, 1, 1000)? as usize;
    let at = super::asof::parse_at(p.0.get("at"))?;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    super::asof::rollup(&node, at)
        .await?
        .red_kpis(&id, limit)
        .map(Json)
        .ok_or_else(|| super::asof::unit_not_then(&id, at))
}

async fn kpi_history(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<KpiHistory>, ApiError> {
    let points = Params::new(q, &["points"])?.int("points", 8, 1, 60)? as usize;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    let unit = node.rollup.unit_ref(&id).ok_or_else(|| no_unit(&id))?;
    let observations = node
        .store
        .observations_of(std::slice::from_ref(&id))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    // One value per period (the store's key); ordered by KPI, unit and period start.
    let mut series: BTreeMap<String, Vec<HistoryPoint>> = BTreeMap::new();
    for o in observations {
        let Some(status) = node
            .rollup
            .with_kpi(&o.kpi, |k| k.thresholds.status(o.value))
        else {
            continue;
        };
        series
            .entry(o.kpi.to_string())
            .or_default()
            .push(HistoryPoint {
                period: o.period.label().to_string(),
                value: o.value,
                status,
            });
    }
    for points_of in series.values_mut() {
        let drop = points_of.len().saturating_sub(points);
        points_of.drain(..drop);
    }
    Ok(Json(KpiHistory { unit, series }))
}

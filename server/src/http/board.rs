//! The lists behind a unit board (overdue and due-soon tasks, people, objectives and key
//! results, red KPI series, KPI value history for sparklines). Thin: parse the query, check
//! scope, read the rollup (or the store, for history).

use super::error::ApiError;
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
pub const OPERATIONS: &[super::ops::Operation] = &[
    ("/api/v1/units/{id}/tasks", "get", "Overdue (?due=overdue, oldest deadline first) or due-soon (?due=soon&days=7, nearest first) tasks of the subtree with the responsible person; ?limit= (default 50, at most 500); total counts all", None, "TaskList"),
    ("/api/v1/units/{id}/people", "get", "People of the subtree with workload, overdue and on-time rate, most overdue first; ?limit= (default 100, at most 1000)", None, "PeopleList"),
    ("/api/v1/units/{id}/okrs", "get", "The unit's own objectives and key results with progress against the time elapsed (pace), furthest behind first", None, "OkrList"),
    ("/api/v1/units/{id}/kpis/red", "get", "Red KPI series anywhere in the subtree; ?limit= (default 50, at most 1000)", None, "RedKpis"),
    ("/api/v1/units/{id}/kpis/history", "get", "The unit's own KPI series over their last periods (?points=, default 8, at most 60), oldest first: sparklines", None, "KpiHistory"),
    ("/api/v1/dashboard", "get", "Web UI settings: the root unit, the time zone, the wall display's boards and rotation", None, "DashboardOut"),
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
pub(super) struct Params(pub(super) HashMap<String, String>);

impl Params {
    pub(super) fn new(q: HashMap<String, String>, allowed: &[&str]) -> Result<Params, ApiError> {
        if let Some(k) = q.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::BadRequest(format!(
                "unknown query parameter '{k}'; this route takes: {}",
                allowed.join(", ")
            )));
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
                    ))
                }),
        }
    }
}

fn no_unit(id: &str) -> ApiError {
    ApiError::NotFound(format!("no unit '{id}'"))
}

async fn tasks(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<TaskList>, ApiError> {
    let p = Params::new(q, &["due", "days", "limit"])?;
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
            return Err(ApiError::BadRequest(format!(
                "query parameter 'due' must be 'overdue' or 'soon', got '{other}'"
            )))
        }
    };
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    node.rollup
        .unit_tasks(&id, due, limit)
        .map(Json)
        .ok_or_else(|| no_unit(&id))
}

async fn people(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<PeopleList>, ApiError> {
    let limit = Params::new(q, &["limit"])?.int("limit", 100, 1, 1000)? as usize;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    node.rollup
        .unit_people(&id, limit)
        .map(Json)
        .ok_or_else(|| no_unit(&id))
}

async fn okrs(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<OkrList>, ApiError> {
    Params::new(q, &[])?;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    node.rollup
        .unit_okrs(&id)
        .map(Json)
        .ok_or_else(|| no_unit(&id))
}

async fn red_kpis(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<RedKpis>, ApiError> {
    let limit = Params::new(q, &["limit"])?.int("limit", 50, 1, 1000)? as usize;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    node.rollup
        .red_kpis(&id, limit)
        .map(Json)
        .ok_or_else(|| no_unit(&id))
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

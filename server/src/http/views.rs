//! Views read from the rollup: a unit (aggregates plus a line per child, and the one alert count
//! of its screens), a unit's KPI board, a person. Never computed from the tasks table. Each
//! passes the scope check first (on today's tree and grants), then reads the live rollup or,
//! with `?at=`, the rollup as it stood then (`asof.rs`).

use super::asof;
use super::board::Params;
use super::error::ApiError;
use crate::auth::{can_view, Principal, Target};
use crate::rollup::view::{KpiBoard, PersonView, UnitView};
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::HashMap;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/units/{id}/view", get(unit_view))
        .route("/units/{id}/kpis", get(kpi_board))
        .route("/people/{id}/view", get(person_view))
}

async fn unit_view(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<UnitView>, ApiError> {
    let at = asof::parse_at(Params::new(q, &["at"])?.0.get("at"))?;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    let rollup = asof::rollup(&node, at).await?;
    let mut view = rollup
        .unit_view(&id)
        .ok_or_else(|| asof::unit_not_then(&id, at))?;
    // A past view carries no alert count yet: the alerts active then are not replayed here.
    if at.is_none() {
        view.alerts = Some(node.alerts.count(&node.rollup, &id));
    }
    Ok(Json(view))
}

async fn kpi_board(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<KpiBoard>, ApiError> {
    let at = asof::parse_at(Params::new(q, &["at"])?.0.get("at"))?;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    asof::rollup(&node, at)
        .await?
        .kpi_board(&id)
        .map(Json)
        .ok_or_else(|| asof::unit_not_then(&id, at))
}

async fn person_view(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<PersonView>, ApiError> {
    let at = asof::parse_at(Params::new(q, &["at"])?.0.get("at"))?;
    can_view(&who, &node.rollup, Target::Person(&id))?;
    asof::rollup(&node, at)
        .await?
        .person_view(&id)
        .map(Json)
        .ok_or_else(|| asof::person_not_then(&id, at))
}

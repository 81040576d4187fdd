//! Views read from the rollup: a unit (aggregates plus a line per child, and the one alert count
//! of its screens), a unit's KPI board, a person. Never computed from the tasks table. Each
//! passes the scope check first.

use super::error::ApiError;
use crate::auth::{can_view, Principal, Target};
use crate::rollup::view::{KpiBoard, PersonView, UnitView};
use crate::Node;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

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
) -> Result<Json<UnitView>, ApiError> {
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    let mut view = node
        .rollup
        .unit_view(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no unit '{id}'").into()))?;
    view.alerts = Some(node.alerts.count(&node.rollup, &id));
    Ok(Json(view))
}

async fn kpi_board(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<KpiBoard>, ApiError> {
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    node.rollup
        .kpi_board(&id)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no unit '{id}'").into()))
}

async fn person_view(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<PersonView>, ApiError> {
    can_view(&who, &node.rollup, Target::Person(&id))?;
    node.rollup
        .person_view(&id)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no person '{id}'").into()))
}

//! Review meeting mode: a unit's week against the week before (`report/review.rs`) as JSON,
//! and its charts as SVG or PNG (`report/charts.rs`, drawn on a blocking thread). Thin: parse
//! the query, pass the scope check, call the report, map its error.

use super::error::ApiError;
use crate::auth::{can_view, Principal, Target};
use crate::ingest::ItemError;
use crate::report::charts::{self, Lang};
use crate::report::review::{self, Review};
use crate::report::week::IsoWeek;
use crate::report::ReportError;
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::OpenApi;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/units/{id}/review", get(review_of_unit))
        .route("/units/{id}/review/charts/{file}", get(chart))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[super::ops::Operation] = &[
    ("/api/v1/units/{id}/review", "get", "Review meeting: the unit's ISO week (?week=2026-W47, default the clock's week; Monday 00:00 Asia/Ho_Chi_Minh, up to the clock) against the week before: figures and scores at both ends, KPI series that turned red or recovered, key results against pace, the daily overdue trend, child units ranked, chart links. Past figures are rebuilt from task dates, KPI values and check-ins.", None, "Review"),
    ("/api/v1/units/{id}/review/charts/{file}", "get", "A chart of the review as image/svg+xml or image/png (960x540): file is overdue, kpis, key_results or units with .svg or .png; ?week= as for the review, ?lang=vi|en (default vi) for the labels", None, "image"),
];

#[derive(OpenApi)]
#[openapi(components(schemas(
    Review,
    review::Span,
    review::FiguresPair,
    review::Figures,
    review::AlertCounts,
    review::SeriesChange,
    review::SeriesPoint,
    review::KeyResultLine,
    review::TrendPoint,
    review::UnitLine,
    review::ChartLinks,
    review::ChartLink,
)))]
pub struct Schemas;

#[derive(Debug, Deserialize)]
struct ReviewQuery {
    week: Option<String>,
    lang: Option<String>,
}

impl ReviewQuery {
    fn week(&self) -> Result<Option<IsoWeek>, ApiError> {
        self.week
            .as_deref()
            .map(IsoWeek::parse)
            .transpose()
            .map_err(|e| ApiError::Malformed(ItemError::new("week", e)))
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Week(m) => ApiError::Malformed(ItemError::new("week", m)),
            ReportError::NoUnit(id) => ApiError::NotFound(format!("no unit '{id}'")),
            ReportError::Store(e) => e.into(),
            ReportError::Internal(m) => ApiError::Internal(anyhow::anyhow!(m)),
        }
    }
}

async fn review_of_unit(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<ReviewQuery>,
) -> Result<Json<Review>, ApiError> {
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    let week = q.week()?;
    Ok(Json(
        review::review(&node.store, &node.rollup, &id, week).await?,
    ))
}

async fn chart(
    State(node): State<Node>,
    who: Principal,
    Path((id, file)): Path<(String, String)>,
    Query(q): Query<ReviewQuery>,
) -> Result<Response, ApiError> {
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    let (chart, format) = charts::parse_file(&file).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no chart '{file}': use overdue, kpis, key_results or units with .svg or .png"
        ))
    })?;
    let lang = match q.lang.as_deref() {
        None => Lang::default(),
        Some(s) => Lang::parse(s).ok_or_else(|| {
            ApiError::Malformed(ItemError::new("lang", format!("'{s}' is not vi or en")))
        })?,
    };
    let week = q.week()?;
    let review = review::review(&node.store, &node.rollup, &id, week).await?;
    let bytes = tokio::task::spawn_blocking(move || charts::render(&review, chart, format, lang))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("chart rendering stopped: {e}")))??;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type()),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response())
}

//! Review meeting mode: a unit's week, month or quarter against the one before
//! (`report/review.rs`) as JSON, its charts as SVG or PNG (`report/charts.rs`), and the printable
//! report as HTML, CSV or XLSX (`report/html.rs`, `report/export.rs`), drawn on a blocking
//! thread. Thin: parse the query, pass the scope check, call the report, map its error.

use super::error::ApiError;
use super::ops::{Answer, Kind, Operation, Param};
use crate::auth::{can_view, Principal, Target};
use crate::domain::week::IsoWeek;
use crate::ingest::ItemError;
use crate::report::charts::{self, Chart};
use crate::report::export;
use crate::report::html::{self, Styles};
use crate::report::lang::Lang;
use crate::report::period::{ReviewKind, ReviewPeriod};
use crate::report::review::{self, Review};
use crate::report::tables::Table;
use crate::report::ReportError;
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::HashMap;
use utoipa::OpenApi;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/units/{id}/review", get(review_of_unit))
        .route("/units/{id}/review/charts/{file}", get(chart))
        .route("/units/{id}/report", get(report_of_unit))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/units/{id}/review", "Review meeting: the unit's period (default the clock's week; Asia/Ho_Chi_Minh calendar, up to the clock) against the period before: figures and scores at both ends, KPI series that turned red or recovered, key results against pace, the daily overdue trend, child units ranked, the evaluation summary, chart links. The task figures at a period end are the board as it stood then where history reaches it (`ends_exact`), else rebuilt from task dates; KPI values and check-ins from their log. `at`: the review as it stood at a past moment.", Answer::Json("Review")).params(&[REVIEW_PERIOD, REVIEW_WEEK, super::ops::AT_PARAM]),
    Operation::get("/api/v1/units/{id}/review/charts/{file}", "A chart of the review as image/svg+xml or image/png (960x540)", Answer::Image).params(&[
        Param::path("file", Kind::OneOf(&["overdue.svg", "overdue.png", "kpis.svg", "kpis.png", "key_results.svg", "key_results.png", "units.svg", "units.png"]), "The chart and its format"),
        REVIEW_PERIOD,
        REVIEW_WEEK,
        LANG,
    ]),
    Operation::get("/api/v1/units/{id}/report", "The printable review report: an A4 HTML page with inline SVG charts (default), one table as CSV (UTF-8 with BOM, as an attachment), or every table as an XLSX workbook (a sheet each, as an attachment)", Answer::Document).params(&[
        Param::query("period", Kind::Text, "As for the review (default the clock's month)"),
        REVIEW_WEEK,
        LANG,
        Param::query("format", Kind::OneOf(&["html", "csv", "xlsx"]), "html (default), csv or xlsx"),
        Param::query("table", Kind::OneOf(&["summary", "kpis", "key_results", "units", "overdue", "evaluation"]), "The table of a CSV (default summary)"),
    ]),
];

const REVIEW_PERIOD: Param = Param::query(
    "period",
    Kind::Text,
    "A week (2026-W47), month (2026-11) or quarter (2026-Q4); not with week",
);
const REVIEW_WEEK: Param = Param::query(
    "week",
    Kind::Text,
    "An ISO week (2026-W47); not with period",
);
const LANG: Param = Param::query(
    "lang",
    Kind::OneOf(&["vi", "en"]),
    "Labels' language (default vi)",
);

#[derive(OpenApi)]
#[openapi(components(schemas(
    Review,
    review::Span,
    crate::report::explanations::ExplanationLine,
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
    review::EvaluationSummary,
    review::EvaluationLine,
    crate::report::period::ReviewKind,
)))]
pub struct Schemas;

#[derive(Debug)]
struct ReviewQuery {
    /// `?at=`: the review as it stood at a past moment (its clock then).
    at: Option<String>,
    week: Option<String>,
    period: Option<String>,
    lang: Option<String>,
    format: Option<String>,
    table: Option<String>,
}

/// The period asked for, and the parameter that asked (errors name it).
struct Asked {
    period: Option<ReviewPeriod>,
    field: &'static str,
}

impl ReviewQuery {
    /// The query checked by name: an unknown parameter is refused, not ignored (a misspelt
    /// `perod=` must not silently serve the default period).
    fn of(raw: HashMap<String, String>, allowed: &[&str]) -> Result<ReviewQuery, ApiError> {
        let mut p = super::board::Params::new(raw, allowed)?.0;
        Ok(ReviewQuery {
            at: p.remove("at"),
            week: p.remove("week"),
            period: p.remove("period"),
            lang: p.remove("lang"),
            format: p.remove("format"),
            table: p.remove("table"),
        })
    }

    /// `?period=` (a week, month or quarter) or `?week=` (an ISO week); None: the default.
    fn period(&self) -> Result<Asked, ApiError> {
        let bad = |field: &'static str, e: String| ApiError::Malformed(ItemError::new(field, e));
        match (&self.period, &self.week) {
            (Some(_), Some(_)) => Err(bad("period", "give period or week, not both".to_string())),
            (Some(p), None) => Ok(Asked {
                period: Some(ReviewPeriod::parse(p).map_err(|e| bad("period", e))?),
                field: "period",
            }),
            (None, Some(w)) => Ok(Asked {
                period: Some(IsoWeek::parse(w).map_err(|e| bad("week", e))?.into()),
                field: "week",
            }),
            (None, None) => Ok(Asked {
                period: None,
                field: "period",
            }),
        }
    }

    fn lang(&self) -> Result<Lang, ApiError> {
        match self.lang.as_deref() {
            None => Ok(Lang::default()),
            Some(s) => Lang::parse(s).ok_or_else(|| {
                ApiError::Malformed(ItemError::new("lang", format!("'{s}' is not vi or en")))
            }),
        }
    }
}

/// A report error; a period that has not begun names the parameter that asked for it.
fn report_error(e: ReportError, field: &'static str) -> ApiError {
    match e {
        ReportError::Period(m) => ApiError::Malformed(ItemError::new(field, m)),
        ReportError::NoUnit(id) => ApiError::NotFound(format!("no unit '{id}'").into()),
        ReportError::Store(e) => e.into(),
        ReportError::Internal(m) => ApiError::Internal(anyhow::anyhow!(m)),
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        report_error(e, "period")
    }
}

/// The review; with its evaluation section unless only a chart is drawn from it (charts do not
/// show it, and it is the dearest part).
async fn review_for(
    node: &Node,
    id: &str,
    asked: &Asked,
    with_evaluation: bool,
    at: Option<&String>,
) -> Result<Review, ApiError> {
    let at = super::asof::parse_at(at)?;
    // As of a past moment: the review computed on the board as it stood then, its clock then.
    let rollup = super::asof::rollup(node, at).await?;
    if rollup.unit(id).is_none() {
        return Err(super::asof::unit_not_then(id, at));
    }
    let review = if with_evaluation {
        crate::report::evaluation::review_with_evaluation(
            &node.store,
            &rollup,
            &node.past,
            &node.evaluation,
            id,
            asked.period,
        )
        .await
    } else {
        review::review(&node.store, &rollup, &node.past, id, asked.period).await
    };
    let mut review = review.map_err(|e| report_error(e, asked.field))?;
    // The period runs up to the clock: the alerts active now belong to it (not a past review's:
    // the alerts active then are not replayed).
    if at.is_none() && review.this_period.to == review.as_of {
        review.alerts_active = Some(node.alerts.count(&node.rollup, id));
    }
    Ok(review)
}

/// CPU work (drawing, writing a workbook) off the runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ReportError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("report rendering stopped: {e}")))?
        .map_err(ApiError::from)
}

async fn review_of_unit(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<Review>, ApiError> {
    let q = ReviewQuery::of(raw, &["period", "week", "at"])?;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    let asked = q.period()?;
    Ok(Json(
        review_for(&node, &id, &asked, true, q.at.as_ref()).await?,
    ))
}

async fn chart(
    State(node): State<Node>,
    who: Principal,
    Path((id, file)): Path<(String, String)>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let q = ReviewQuery::of(raw, &["period", "week", "lang", "at"])?;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    let (chart, format) = charts::parse_file(&file).ok_or_else(|| {
        ApiError::NotFound(
            format!("no chart '{file}': use overdue, kpis, key_results or units with .svg or .png")
                .into(),
        )
    })?;
    let lang = q.lang()?;
    let asked = q.period()?;
    let review = review_for(&node, &id, &asked, false, q.at.as_ref()).await?;
    let bytes = blocking(move || charts::render(&review, chart, format, lang)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type()),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReportFormat {
    Html,
    Csv,
    Xlsx,
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The printable report: an A4 HTML page (default), one table as CSV, or a workbook.
async fn report_of_unit(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let q = ReviewQuery::of(raw, &["period", "week", "lang", "format", "table", "at"])?;
    can_view(&who, &node.rollup, Target::Unit(&id))?;
    let bad = |field: &'static str, e: String| ApiError::Malformed(ItemError::new(field, e));
    let format = match q.format.as_deref() {
        None | Some("html") => ReportFormat::Html,
        Some("csv") => ReportFormat::Csv,
        Some("xlsx") => ReportFormat::Xlsx,
        Some(f) => return Err(bad("format", format!("'{f}' is not html, csv or xlsx"))),
    };
    let table = match q.table.as_deref() {
        None => Table::Summary,
        Some(t) => Table::parse(t).ok_or_else(|| {
            bad(
                "table",
                format!("'{t}' is not summary, kpis, key_results, units, overdue or evaluation"),
            )
        })?,
    };
    let lang = q.lang()?;
    let mut asked = q.period()?;
    if asked.period.is_none() {
        asked.period = Some(ReviewPeriod::containing(
            ReviewKind::Month,
            node.rollup.now(),
        ));
    }
    let review = review_for(&node, &id, &asked, true, q.at.as_ref()).await?;
    let stem = export::file_stem(&review);
    let (content_type, disposition, body) = match format {
        ReportFormat::Html => {
            let page = blocking(move || {
                let charts = Chart::ALL
                    .into_iter()
                    .map(|c| {
                        let svg = charts::render(&review, c, charts::Format::Svg, lang)?;
                        Ok((c, String::from_utf8_lossy(&svg).into_owned()))
                    })
                    .collect::<Result<Vec<_>, ReportError>>()?;
                Ok(html::page(&review, &charts, lang, Styles::Linked))
            })
            .await?;
            ("text/html; charset=utf-8", None, page.into_bytes())
        }
        ReportFormat::Csv => (
            "text/csv; charset=utf-8",
            Some(format!("{stem}_{}.csv", table.name())),
            export::csv(&review, table, lang),
        ),
        ReportFormat::Xlsx => (
            XLSX_TYPE,
            Some(format!("{stem}.xlsx")),
            blocking(move || export::xlsx(&review, lang)).await?,
        ),
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response();
    if let Some(name) = disposition {
        // The stem keeps only ASCII letters, digits, '.', '-' and '_': a valid header value.
        if let Ok(v) = format!("attachment; filename=\"{name}\"").parse() {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response)
}

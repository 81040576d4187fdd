//! Operations: `/healthz`, `/metrics` (Prometheus), `/api/openapi.json`, the clock, the
//! dashboard page and the JSON 404.

use super::error::ApiError;
use crate::clock::ClockMode;
use crate::domain::time::{format_ts, parse_ts};
use crate::Node;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn router() -> Router<Node> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(prometheus_metrics))
        .route("/api/openapi.json", get(openapi))
}

pub fn clock_router() -> Router<Node> {
    Router::new().route("/clock", get(clock).post(set_clock))
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /api/openapi.json".into())
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub backend: &'static str,
    pub clock: String,
    pub tasks_cached: usize,
}

async fn healthz(State(node): State<Node>) -> Result<Json<Health>, ApiError> {
    node.store
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(e.into()))?;
    Ok(Json(Health {
        status: "ok",
        backend: node.store.backend(),
        clock: format_ts(node.rollup.now()),
        tasks_cached: node.rollup.task_count(),
    }))
}

async fn prometheus_metrics(State(node): State<Node>) -> impl IntoResponse {
    metrics::gauge!("ioc_rollup_tasks").set(node.rollup.task_count() as f64);
    metrics::gauge!("ioc_rollup_clock_seconds").set(node.rollup.now() as f64 / 1000.0);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::prometheus().render(),
    )
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ClockState {
    /// RFC 3339.
    pub now: String,
    #[serde(default, skip_deserializing)]
    pub mode: Option<ClockMode>,
}

async fn clock(State(node): State<Node>) -> Json<ClockState> {
    Json(ClockState {
        now: format_ts(node.rollup.now()),
        mode: Some(node.clock),
    })
}

/// Moves a manual clock forward (tests and rehearsals); refused for the system clock.
async fn set_clock(
    State(node): State<Node>,
    who: crate::auth::Principal,
    super::body::JsonBody(body): super::body::JsonBody<ClockState>,
) -> Result<Json<ClockState>, ApiError> {
    crate::auth::access::operator(&who, "moving the clock")?;
    if node.clock != ClockMode::Manual {
        return Err(ApiError::Conflict(
            "the clock follows the system time; start with --clock manual to set it".into(),
        ));
    }
    let now = parse_ts(&body.now, false)
        .map_err(|e| ApiError::Invalid(crate::ingest::ItemError::new("now", e)))?;
    if now < node.rollup.now() {
        return Err(ApiError::Conflict(format!(
            "the clock never moves backwards; it reads {}",
            format_ts(node.rollup.now())
        )));
    }
    node.writer.tick(now).await?;
    Ok(Json(ClockState {
        now: format_ts(node.rollup.now()),
        mode: Some(node.clock),
    }))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "IOC operations-center server",
        description = "Task and KPI updates in, live unit views out. Errors: {\"error\": {\"code\", \"message\", \"index\"?, \"field\"?}}."
    ),
    components(schemas(
        crate::ingest::event::EventIn,
        crate::ingest::event::TaskEventIn,
        crate::ingest::event::KrCheckinIn,
        crate::ingest::event::ObservationIn,
        crate::ingest::event::RatingIn,
        crate::ingest::writer::IngestReport,
        crate::ingest::catalog::UnitIn,
        crate::ingest::catalog::PersonIn,
        crate::ingest::catalog::KpiIn,
        crate::ingest::catalog::ObjectiveIn,
        crate::ingest::catalog::KeyResultIn,
        crate::http::catalog::TaskOut,
        crate::http::events::EventOut,
        crate::rollup::view::UnitView,
        crate::rollup::view::PersonView,
        crate::rollup::view::KpiBoard,
        crate::http::error::ErrorBody,
        Health,
        ClockState,
    ))
)]
struct ApiDoc;

/// One operation: (path, method, summary, request schema, response schema or "image").
pub type Operation = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

/// The operations, by path and method.
const OPERATIONS: &[Operation] = &[
    ("/api/v1/events", "post", "Ingest events (JSON array, or NDJSON with Content-Type application/x-ndjson). Answered after commit; replays reported as duplicates; one bad item refuses the whole request (422 naming index and field).", Some("EventIn"), "IngestReport"),
    ("/api/v1/events/{id}", "get", "An event from the log, as received", None, "EventOut"),
    ("/api/v1/units", "get", "Units (?unit= children of a unit, ?limit=, ?offset=)", None, "UnitIn"),
    ("/api/v1/units", "post", "Create a unit (409 if it exists)", Some("UnitIn"), "UnitIn"),
    ("/api/v1/units/{id}", "get", "A unit", None, "UnitIn"),
    ("/api/v1/units/{id}", "put", "Create or replace a unit (moving it carries its subtree's figures)", Some("UnitIn"), "UnitIn"),
    ("/api/v1/units/{id}/view", "get", "Unit view: aggregates over the subtree plus one line per child unit", None, "UnitView"),
    ("/api/v1/units/{id}/kpis", "get", "KPI board of a unit: its own series with value, status and thresholds", None, "KpiBoard"),
    ("/api/v1/people", "get", "People (?unit=)", None, "PersonIn"),
    ("/api/v1/people", "post", "Create a person", Some("PersonIn"), "PersonIn"),
    ("/api/v1/people/{id}", "get", "A person", None, "PersonIn"),
    ("/api/v1/people/{id}", "put", "Create or replace a person", Some("PersonIn"), "PersonIn"),
    ("/api/v1/people/{id}/view", "get", "Person view: workload, on-time rate, overdue, task list", None, "PersonView"),
    ("/api/v1/kpis", "get", "KPIs (?unit= leading unit)", None, "KpiIn"),
    ("/api/v1/kpis", "post", "Create a KPI", Some("KpiIn"), "KpiIn"),
    ("/api/v1/kpis/{id}", "get", "A KPI by code", None, "KpiIn"),
    ("/api/v1/kpis/{id}", "put", "Create or replace a KPI", Some("KpiIn"), "KpiIn"),
    ("/api/v1/objectives", "get", "Objectives (?unit=)", None, "ObjectiveIn"),
    ("/api/v1/objectives", "post", "Create an objective", Some("ObjectiveIn"), "ObjectiveIn"),
    ("/api/v1/objectives/{id}", "get", "An objective", None, "ObjectiveIn"),
    ("/api/v1/objectives/{id}", "put", "Create or replace an objective", Some("ObjectiveIn"), "ObjectiveIn"),
    ("/api/v1/key-results", "get", "Key results", None, "KeyResultIn"),
    ("/api/v1/key-results", "post", "Create a key result (at most 5 per objective)", Some("KeyResultIn"), "KeyResultIn"),
    ("/api/v1/key-results/{id}", "get", "A key result", None, "KeyResultIn"),
    ("/api/v1/key-results/{id}", "put", "Create or replace a key result (keeps the last check-in unless current is given)", Some("KeyResultIn"), "KeyResultIn"),
    ("/api/v1/tasks/{id}", "get", "A task", None, "TaskOut"),
    ("/api/v1/tasks/{id}", "put", "Create or change a task: a task event's fields without task_id; id and at default to generated and now", Some("TaskEventIn"), "IngestReport"),
    ("/api/v1/clock", "get", "The rollup's clock", None, "ClockState"),
    ("/api/v1/clock", "post", "Move a manual clock forward", Some("ClockState"), "ClockState"),
    ("/healthz", "get", "Health: the store answers", None, "Health"),
];

/// The OpenAPI document: schemas derived from the wire types, operations from the table above.
pub fn openapi_document() -> serde_json::Value {
    let mut api = ApiDoc::openapi();
    api.merge(super::board::Schemas::openapi());
    api.merge(super::report::Schemas::openapi());
    api.merge(super::alerts::Schemas::openapi());
    api.merge(super::auth::Schemas::openapi());
    api.merge(super::audit::Schemas::openapi());
    api.merge(super::okr::Schemas::openapi());
    api.merge(super::evaluation::Schemas::openapi());
    let mut doc = serde_json::to_value(api).expect("the OpenAPI document serializes");
    let mut paths = serde_json::Map::new();
    let operations = OPERATIONS
        .iter()
        .chain(super::board::OPERATIONS)
        .chain(super::report::OPERATIONS)
        .chain(super::alerts::OPERATIONS)
        .chain(super::auth::OPERATIONS)
        .chain(super::audit::OPERATIONS)
        .chain(super::okr::OPERATIONS)
        .chain(super::evaluation::OPERATIONS);
    for (path, method, summary, request, response) in operations {
        // "image": a chart, as SVG or PNG by the path's extension; "document": the printable
        // report or an export (HTML, CSV, XLSX); "none": 204; "json": any object.
        let ok = match *response {
            "image" => serde_json::json!({"200": {"description": "OK", "content": {
                "image/svg+xml": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}}
            }}}),
            "none" => serde_json::json!({"204": {"description": "Done"}}),
            "document" => serde_json::json!({"200": {"description": "OK", "content": {
                "text/html; charset=utf-8": {"schema": {"type": "string"}},
                "text/csv; charset=utf-8": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}
            }}}),
            "json" => {
                serde_json::json!({"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}})
            }
            _ => {
                serde_json::json!({"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{response}")}}}}})
            }
        };
        let mut responses = ok;
        responses["4XX"] = serde_json::json!({"description": "Refused (401 no or bad credentials, 403 outside your scope or not yours to change, 429 slow down); nothing was changed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}});
        let mut op = serde_json::json!({
            "summary": summary,
            "responses": responses
        });
        let parameters: Vec<serde_json::Value> = path
            .split('{')
            .skip(1)
            .filter_map(|p| p.split('}').next())
            .map(|name| serde_json::json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !parameters.is_empty() {
            op["parameters"] = serde_json::Value::Array(parameters);
        }
        if let Some(req) = request {
            op["requestBody"] = serde_json::json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{req}")}}}});
        }
        let entry = paths
            .entry(path.to_string())
            .or_insert_with(|| serde_json::json!({}));
        entry[*method] = op;
    }
    paths.insert(
        "/ws".into(),
        serde_json::json!({"get": {
            "summary": "Live screens: upgrade to a WebSocket carrying JSON messages (subscribe to unit views, KPI boards, person views and alert feeds; coalesced view frames; an alert feed that resumes by id). The protocol, with examples, error and close codes, is in LIVE.md.",
            "responses": {
                "101": {"description": "Switching to the WebSocket protocol"},
                "400": {"description": "Not a WebSocket upgrade", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}},
                "429": {"description": "Too many live connections from this client", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}},
                "503": {"description": "The server holds its maximum of live connections", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
            }
        }}),
    );
    doc["paths"] = serde_json::Value::Object(paths);
    // Every route but the public ones (SECURITY.md) takes one of these.
    doc["components"]["securitySchemes"] = serde_json::json!({
        "bearer": {"type": "http", "scheme": "bearer", "description": "A session (iocs_…) or API token (ioct_…)"},
        "session": {"type": "apiKey", "in": "cookie", "name": "ioc_session", "description": "Writes also send X-CSRF-Token"}
    });
    doc["security"] = serde_json::json!([{"bearer": []}, {"session": []}]);
    doc
}

async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_document())
}

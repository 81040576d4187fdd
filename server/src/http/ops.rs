//! Operations: `/healthz`, `/metrics` (Prometheus), `/api/openapi.json`, the clock, the
//! dashboard page and the JSON 404.

use super::error::ApiError;
use crate::clock::ClockMode;
use crate::domain::time::{format_ts, parse_ts};
use crate::Node;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{OpenApi, ToSchema};

pub fn router() -> Router<Node> {
    Router::new()
        .route("/healthz", get(readyz))
        .route("/readyz", get(readyz))
        .route("/livez", get(livez))
        .route("/metrics", get(prometheus_metrics))
        .route("/api/openapi.json", get(openapi))
}

pub fn clock_router() -> Router<Node> {
    Router::new().route("/clock", get(clock).post(set_clock))
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /api/openapi.json".into())
}

/// Is this node up and able to take writes? `status` is `ok` or `degraded`, with the reasons.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` (answered 503) with `reasons`.
    pub status: &'static str,
    /// Why the node cannot take writes now, in words: the database does not answer, the writer
    /// cannot commit, this node does not hold the writer's lease (PostgreSQL), the clock is
    /// behind.
    pub reasons: Vec<String>,
    pub backend: &'static str,
    /// The rollup's clock.
    pub clock: String,
    /// How far the rollup's clock is behind the wall clock, in ms (system clock only).
    pub clock_lag_ms: Option<i64>,
    /// The rollup's commit number.
    pub commit: u64,
    pub tasks_cached: usize,
    /// The last commit that succeeded.
    pub last_commit: Option<String>,
    /// Among several nodes: `writer`, `follower` (applies the writer's commits and forwards
    /// writes to it) or `taking_over`; `alone` on a database of its own.
    pub role: &'static str,
    /// A follower's commits not applied yet (0 on the writer and alone).
    pub lag: u64,
}

/// How long the database may take to answer a readiness check: the whole check answers within
/// a second whatever the database does.
const PING_WITHIN: std::time::Duration = std::time::Duration::from_millis(800);
/// A commit under way this long, or a rollup clock this far behind the wall clock (which ticks
/// through the writer every second), means the writer is stuck.
const STUCK_AFTER_MS: i64 = 5_000;

/// Liveness: the process answers (nothing else is asked, so a slow database never gets a live
/// node restarted).
async fn livez() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "alive"}))
}

/// Readiness (`/readyz`, and `/healthz` as before): 200 when the database answers and the writer
/// commits (a follower: keeps up with the writer); 503 with the reasons otherwise, within a
/// second.
async fn readyz(State(node): State<Node>) -> (StatusCode, Json<Health>) {
    let now = crate::domain::time::now_ms();
    let mut reasons = Vec::new();
    match tokio::time::timeout(PING_WITHIN, node.store.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => reasons.push(format!("the database does not answer: {e}")),
        Err(_) => reasons.push(format!(
            "the database does not answer within {} ms",
            PING_WITHIN.as_millis()
        )),
    }
    let writer = node.writer.health();
    if let Some(since) = writer
        .committing_since()
        .filter(|s| now - s > STUCK_AFTER_MS)
    {
        reasons.push(format!(
            "the writer has been committing for {} s",
            (now - since) / 1000
        ));
    }
    if let Some((at, why)) = writer.failure() {
        reasons.push(format!(
            "the writer cannot commit (last attempt {}): {why}",
            format_ts(at)
        ));
    }
    use crate::cluster::Role;
    match node.cluster.role() {
        // A follower forwards writes; it is ready while it keeps up with the writer.
        Role::Follower => {}
        Role::TakingOver => reasons.push("this node is taking over as the writer".into()),
        Role::Alone | Role::Writer => {
            if let Some(lost) = node.lease.as_ref().and_then(|l| l.lost()) {
                reasons.push(lost);
            }
        }
    }
    if let Some(behind) = node.cluster.behind(now) {
        reasons.push(behind);
    }
    let clock_lag_ms = (node.clock == ClockMode::System).then(|| now - node.rollup.now());
    if let Some(lag) = clock_lag_ms.filter(|l| *l > STUCK_AFTER_MS) {
        reasons.push(format!("the clock is behind by {} s", lag / 1000));
    }
    let status = if reasons.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if reasons.is_empty() { "ok" } else { "degraded" },
            reasons,
            backend: node.store.backend(),
            clock: format_ts(node.rollup.now()),
            clock_lag_ms,
            commit: node.rollup.commit(),
            tasks_cached: node.rollup.task_count(),
            last_commit: writer.last_success().map(format_ts),
            role: node.cluster.role().name(),
            lag: node.cluster.lag(),
        }),
    )
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
    /// RFC 3339 (or a date: its start).
    #[schema(schema_with = crate::ingest::time_schema)]
    pub now: String,
    /// Read-only: `system` or `manual` (accepted and ignored in a POST, so a read can be sent
    /// back).
    #[serde(default)]
    #[schema(read_only)]
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
    crate::auth::access::operator(&who, crate::auth::access::Operation::Clock)?;
    if node.clock != ClockMode::Manual {
        return Err(ApiError::Conflict(
            "the clock follows the system time; start with --clock manual to set it".into(),
        ));
    }
    let now = parse_ts(&body.now, false)
        .map_err(|e| ApiError::Invalid(crate::ingest::ItemError::new("now", e)))?;
    if now < node.rollup.now() {
        return Err(ApiError::Conflict(
            format!(
                "the clock never moves backwards; it reads {}",
                format_ts(node.rollup.now())
            )
            .into(),
        ));
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
        ClockMode,
    ))
)]
struct ApiDoc;

/// One documented operation. Each HTTP module keeps a table of its own (`OPERATIONS`), next to
/// its router, and `openapi_document` turns the tables into the document's paths; a test walks
/// the routers against the document so the two cannot drift.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// Query parameters, and path parameters that are more than a non-empty string.
    pub params: &'static [Param],
    pub body: Body,
    pub answer: Answer,
    /// Needs no credentials (SECURITY.md's public routes).
    pub public: bool,
}

/// What a request carries.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    None,
    /// A JSON object of this schema.
    Json(&'static str),
    /// A JSON array of objects of this schema.
    JsonArray(&'static str),
    /// Events: a JSON array of `EventIn` (or one event), or NDJSON.
    Events,
    /// A file's raw bytes (an attachment).
    Bytes,
    /// A file as the body, its type in `Content-Type`: XLSX, CSV, JSON or NDJSON.
    File,
}

/// What a request gets when it succeeds.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// 200 with an object of this schema.
    Json(&'static str),
    /// 201 with the created object, of this schema.
    Created(&'static str),
    /// 201 with the created object, or 200 with the one kept when the request was a retry.
    CreatedOrKept(&'static str),
    /// 200 with `{"total", "items": [this schema]}`.
    Page(&'static str),
    /// 200 with an array of this schema.
    Array(&'static str),
    /// 204, no body.
    NoContent,
    /// 200 with a chart, SVG or PNG by the path's extension.
    Image,
    /// 200 with the printable report or an export: HTML, CSV or XLSX.
    Document,
    /// 200 with a stored file as a download, of the type sniffed at upload.
    File,
    /// 200 with Prometheus' text format.
    Metrics,
    /// 200 with any JSON object (this document).
    AnyObject,
    /// 101: a WebSocket.
    Upgrade,
    /// 200 with server-sent events, each one's data an object of this schema.
    EventStream(&'static str),
    /// 200 with a published summary: HTML, CSV, XLSX, or JSON of this schema, by the path's
    /// extension.
    Summary(&'static str),
    /// 200 or 503, both with this schema (the readiness check says why it is not ready).
    Readiness(&'static str),
}

/// A query or path parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub in_path: bool,
    pub kind: Kind,
    pub description: &'static str,
}

/// A parameter's values.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text,
    /// A whole number within these bounds.
    Int(i64, i64),
    Bool,
    /// One of these words.
    OneOf(&'static [&'static str]),
}

/// `?at=`: the view as it stood at a past moment (`asof/`).
pub const AT_PARAM: Param = Param::query(
    "at",
    Kind::Text,
    "A past moment (RFC 3339, or a date meaning its end in Vietnam): the view as the board showed it then, replayed from history. 422 for a moment after the server's clock, before history begins, or not a time",
);
pub const AT: &[Param] = &[AT_PARAM];

impl Operation {
    const fn new(method: &'static str, path: &'static str, summary: &'static str) -> Self {
        Operation {
            method,
            path,
            summary,
            params: &[],
            body: Body::None,
            answer: Answer::NoContent,
            public: false,
        }
    }
    pub const fn get(path: &'static str, summary: &'static str, answer: Answer) -> Self {
        Operation {
            answer,
            ..Self::new("get", path, summary)
        }
    }
    pub const fn post(
        path: &'static str,
        summary: &'static str,
        body: Body,
        answer: Answer,
    ) -> Self {
        Operation {
            body,
            answer,
            ..Self::new("post", path, summary)
        }
    }
    pub const fn put(
        path: &'static str,
        summary: &'static str,
        body: Body,
        answer: Answer,
    ) -> Self {
        Operation {
            body,
            answer,
            ..Self::new("put", path, summary)
        }
    }
    pub const fn delete(path: &'static str, summary: &'static str) -> Self {
        Self::new("delete", path, summary)
    }
    pub const fn params(self, params: &'static [Param]) -> Self {
        Operation { params, ..self }
    }
    pub const fn public(self) -> Self {
        Operation {
            public: true,
            ..self
        }
    }
}

impl Param {
    pub const fn query(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Param {
            name,
            in_path: false,
            kind,
            description,
        }
    }
    pub const fn path(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Param {
            name,
            in_path: true,
            kind,
            description,
        }
    }
}

const LIMIT: Param = Param::query(
    "limit",
    Kind::Int(0, 10_000),
    "At most this many items (default 1000)",
);
const OFFSET: Param = Param::query(
    "offset",
    Kind::Int(0, i64::MAX),
    "Skip this many items first",
);

/// `?unit=&limit=&offset=` of the catalog lists.
const LIST: &[Param] = &[
    Param::query(
        "unit",
        Kind::Text,
        "Only entries of this unit (for units: its children)",
    ),
    LIMIT,
    OFFSET,
];

/// The operations, by path and method.
const OPERATIONS: &[Operation] = &[
    Operation::post("/api/v1/events", "Ingest events: a JSON array of events (or one event), or NDJSON with Content-Type application/x-ndjson, at most 10,000. Answered after commit; replays reported as duplicates; one bad item refuses the whole request (422 naming index and field), one not the caller's to send likewise (403).", Body::Events, Answer::Json("IngestReport")),
    Operation::get("/api/v1/events/{id}", "An event from the log, as received: ids are their source's (the caller's own by default)", Answer::Json("EventOut")).params(&[
        Param::query("source", Kind::Text, "Whose event id it is: `account:…`, `token:…`, `source:NAME@UNITS`, `system:…`; default the caller's own source, then events logged before sources were kept"),
    ]),
    Operation::get("/api/v1/units", "Units the caller may see, by id (?unit= children of a unit)", Answer::Page("UnitIn")).params(LIST),
    Operation::post("/api/v1/units", "Create a unit (409 if it exists)", Body::Json("UnitIn"), Answer::Created("UnitIn")),
    Operation::get("/api/v1/units/{id}", "A unit", Answer::Json("UnitIn")),
    Operation::put("/api/v1/units/{id}", "Create or replace a unit (moving it carries its subtree's figures)", Body::Json("UnitIn"), Answer::Json("UnitIn")),
    Operation::get("/api/v1/units/{id}/view", "Unit view: aggregates over the subtree plus one line per child unit", Answer::Json("UnitView")).params(AT),
    Operation::get("/api/v1/units/{id}/kpis", "KPI board of a unit: its own series with value, status and thresholds", Answer::Json("KpiBoard")).params(AT),
    Operation::get("/api/v1/people", "People the caller may see, by id (?unit= people of a unit)", Answer::Page("PersonIn")).params(LIST),
    Operation::post("/api/v1/people", "Create a person (409 if it exists)", Body::Json("PersonIn"), Answer::Created("PersonIn")),
    Operation::get("/api/v1/people/{id}", "A person", Answer::Json("PersonIn")),
    Operation::put("/api/v1/people/{id}", "Create or replace a person", Body::Json("PersonIn"), Answer::Json("PersonIn")),
    Operation::get("/api/v1/people/{id}/view", "Person view: workload, on-time rate, overdue, task list", Answer::Json("PersonView")).params(AT),
    Operation::get("/api/v1/kpis", "KPIs the caller may see, by code (?unit= KPIs led by a unit)", Answer::Page("KpiIn")).params(LIST),
    Operation::post("/api/v1/kpis", "Create a KPI (409 if it exists)", Body::Json("KpiIn"), Answer::Created("KpiIn")),
    Operation::get("/api/v1/kpis/{id}", "A KPI by code", Answer::Json("KpiIn")),
    Operation::put("/api/v1/kpis/{id}", "Create or replace a KPI", Body::Json("KpiIn"), Answer::Json("KpiIn")),
    Operation::get("/api/v1/objectives", "Objectives the caller may see, by id (?unit= objectives of a unit)", Answer::Page("ObjectiveIn")).params(LIST),
    Operation::post("/api/v1/objectives", "Create an objective (409 if it exists)", Body::Json("ObjectiveIn"), Answer::Created("ObjectiveIn")),
    Operation::get("/api/v1/objectives/{id}", "An objective", Answer::Json("ObjectiveIn")),
    Operation::put("/api/v1/objectives/{id}", "Create or replace an objective", Body::Json("ObjectiveIn"), Answer::Json("ObjectiveIn")),
    Operation::get("/api/v1/key-results", "Key results the caller may see, by id", Answer::Page("KeyResultIn")).params(&[LIMIT, OFFSET]),
    Operation::post("/api/v1/key-results", "Create a key result (at most 5 per objective; 409 if it exists)", Body::Json("KeyResultIn"), Answer::Created("KeyResultIn")),
    Operation::get("/api/v1/key-results/{id}", "A key result", Answer::Json("KeyResultIn")),
    Operation::put("/api/v1/key-results/{id}", "Create or replace a key result (keeps the last check-in unless current is given; confidence is read-only and ignored)", Body::Json("KeyResultIn"), Answer::Json("KeyResultIn")),
    Operation::get("/api/v1/tasks/{id}", "A task", Answer::Json("TaskOut")),
    Operation::put("/api/v1/tasks/{id}", "Create or change a task: a task event's fields without type and task_id; id and at default to generated and now", Body::Json("TaskChange"), Answer::Json("IngestReport")),
    Operation::get("/api/v1/clock", "The rollup's clock", Answer::Json("ClockState")),
    Operation::post("/api/v1/clock", "Move a manual clock forward (admin of the whole tree); 409 for the system clock or a time before the clock", Body::Json("ClockState"), Answer::Json("ClockState")),
    Operation::get("/healthz", "Readiness, as /readyz (kept for existing probes)", Answer::Readiness("Health")).public(),
    Operation::get("/readyz", "Readiness: the database answers and the writer commits; 503 with the reasons otherwise (the database not answering within 800 ms, a commit that failed until one succeeds, a commit under way for over 5 s, the clock behind by over 5 s); answers within a second", Answer::Readiness("Health")).public(),
    Operation::get("/livez", "Liveness: the process answers (asks nothing of the database)", Answer::AnyObject).public(),
    Operation::get("/metrics", "Prometheus metrics", Answer::Metrics).public(),
    Operation::get("/api/openapi.json", "This document", Answer::AnyObject).public(),
    Operation::get("/ws", "Live screens: upgrade to a WebSocket carrying JSON messages (subscribe to unit views, KPI boards, person views and alert feeds; coalesced view frames; an alert feed that resumes by id). The protocol, with examples, error and close codes, is in LIVE.md. A plain GET is refused (400); 429 too many live connections from this client, 503 the server holds its maximum.", Answer::Upgrade),
];

/// Every module's operations.
pub fn operations() -> impl Iterator<Item = &'static Operation> {
    OPERATIONS
        .iter()
        .chain(super::board::OPERATIONS)
        .chain(super::report::OPERATIONS)
        .chain(super::alerts::OPERATIONS)
        .chain(super::auth::OPERATIONS)
        .chain(super::audit::OPERATIONS)
        .chain(super::okr::OPERATIONS)
        .chain(super::evaluation::OPERATIONS)
        .chain(super::notify::OPERATIONS)
        .chain(super::work::OPERATIONS)
        .chain(super::attachments::OPERATIONS)
        .chain(super::explanations::OPERATIONS)
        .chain(super::meetings::OPERATIONS)
        .chain(super::backtest::OPERATIONS)
        .chain(super::import::OPERATIONS)
        .chain(super::entry::OPERATIONS)
        .chain(super::templates::OPERATIONS)
        .chain(super::public::OPERATIONS)
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn param_schema(kind: Kind, in_path: bool) -> Value {
    match kind {
        Kind::Text if in_path => json!({"type": "string", "minLength": 1}),
        Kind::Text => json!({"type": "string"}),
        Kind::Int(min, max) => {
            json!({"type": "integer", "format": "int64", "minimum": min, "maximum": max})
        }
        Kind::Bool => json!({"type": "boolean"}),
        Kind::OneOf(words) => json!({"type": "string", "enum": words}),
    }
}

/// The document's answers of one operation: its success, and the refusals every operation has.
fn responses(answer: Answer) -> Value {
    let ok =
        |status: &str, content: Value| json!({status: {"description": "OK", "content": content}});
    let mut out = match answer {
        Answer::Json(s) => ok("200", json_content(schema_ref(s))),
        Answer::Created(s) => {
            json!({"201": {"description": "Created", "content": json_content(schema_ref(s))}})
        }
        Answer::CreatedOrKept(s) => json!({
            "201": {"description": "Created", "content": json_content(schema_ref(s))},
            "200": {"description": "A retry: the one kept", "content": json_content(schema_ref(s))}
        }),
        Answer::Page(s) => ok("200", json_content(schema_ref(&format!("{s}Page")))),
        Answer::Array(s) => ok(
            "200",
            json_content(json!({"type": "array", "items": schema_ref(s)})),
        ),
        Answer::NoContent => json!({"204": {"description": "Done"}}),
        Answer::Image => ok(
            "200",
            json!({
                "image/svg+xml": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}}
            }),
        ),
        Answer::Document => ok(
            "200",
            json!({
                "text/html": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}
            }),
        ),
        Answer::File => ok(
            "200",
            Value::Object(
                super::attachments::ALLOWED
                    .iter()
                    .map(|t| {
                        (
                            t.to_string(),
                            json!({"schema": {"type": "string", "format": "binary"}}),
                        )
                    })
                    .collect(),
            ),
        ),
        Answer::Metrics => ok("200", json!({"text/plain": {"schema": {"type": "string"}}})),
        Answer::AnyObject => ok("200", json_content(json!({"type": "object"}))),
        Answer::Upgrade => json!({"101": {"description": "Switching to the WebSocket protocol"}}),
        Answer::EventStream(s) => ok(
            "200",
            json!({"text/event-stream": {"schema": {"type": "string", "description": format!("Server-sent events `board`, each one's data a {s} as JSON; the first at once, then one per change (at most one a second); a comment every 15 s keeps the stream open")}}}),
        ),
        Answer::Summary(s) => ok(
            "200",
            json!({
                "text/html": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": schema_ref(s)}
            }),
        ),
        Answer::Readiness(s) => json!({
            "200": {"description": "Ready", "content": json_content(schema_ref(s))},
            "503": {"description": "Not ready: the reasons are listed", "content": json_content(schema_ref(s))}
        }),
    };
    out["4XX"] = json!({
        "description": "Refused, and nothing was changed: 400 malformed (not JSON, a bad query parameter), 401 no or bad credentials, 403 outside your scope or not yours to change, 404 no such entry, 405 method not allowed, 409 conflict, 410 expired (a link in a message), 413 too large, 415 wrong content type, 422 a value or reference is wrong (naming index and field), 429 slow down (Retry-After)",
        "content": json_content(schema_ref("ErrorBody"))
    });
    if out.get("503").is_none() {
        out["503"] = json!({
            "description": "The store could not answer or commit; nothing was kept, retry",
            "content": json_content(schema_ref("ErrorBody"))
        });
    }
    out
}

/// The events' request body, with an example of each kind.
fn events_body() -> Value {
    let examples = crate::ingest::event::examples();
    let ndjson = examples
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let mut named = serde_json::Map::new();
    named.insert("all kinds".into(), json!({"value": examples}));
    for e in &examples {
        named.insert(
            e["type"].as_str().unwrap_or_default().to_string(),
            json!({"value": [e]}),
        );
    }
    json!({"required": true, "content": {
        "application/json": {
            "schema": {"oneOf": [
                {"type": "array", "items": schema_ref("EventIn"), "minItems": 1, "maxItems": crate::ingest::event::MAX_BATCH},
                schema_ref("EventIn")
            ]},
            "examples": named
        },
        "application/x-ndjson": {
            "schema": {"type": "string", "description": "One event (EventIn) per line"},
            "example": ndjson
        }
    }})
}

fn operation(op: &Operation) -> Value {
    let mut out = json!({
        "operationId": operation_id(op),
        "summary": op.summary,
        "responses": responses(op.answer),
    });
    let mut parameters: Vec<Value> = op
        .path
        .split('{')
        .skip(1)
        .filter_map(|p| p.split('}').next())
        .map(|name| {
            let given = op.params.iter().find(|p| p.in_path && p.name == name);
            let mut p = json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": param_schema(given.map_or(Kind::Text, |p| p.kind), true),
            });
            if let Some(g) = given {
                p["description"] = g.description.into();
            }
            p
        })
        .collect();
    parameters.extend(op.params.iter().filter(|p| !p.in_path).map(|p| {
        json!({
            "name": p.name,
            "in": "query",
            "required": false,
            "description": p.description,
            "schema": param_schema(p.kind, false),
        })
    }));
    if !parameters.is_empty() {
        out["parameters"] = Value::Array(parameters);
    }
    match op.body {
        Body::None => {}
        Body::Json(s) => {
            out["requestBody"] = json!({"required": true, "content": json_content(schema_ref(s))})
        }
        Body::JsonArray(s) => {
            out["requestBody"] = json!({"required": true, "content": json_content(json!({"type": "array", "items": schema_ref(s)}))})
        }
        Body::Events => out["requestBody"] = events_body(),
        Body::Bytes => {
            out["requestBody"] = json!({"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}})
        }
        Body::File => {
            out["requestBody"] = json!({"required": true, "content": {
                crate::import::XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
                "application/x-ndjson": {"schema": {"type": "string"}}
            }})
        }
    }
    if op.public {
        out["security"] = json!([]);
    }
    out
}

/// `get_api_v1_units_id_view`: unique per method and path, stable for generated clients.
fn operation_id(op: &Operation) -> String {
    let path: String = op
        .path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut id = format!("{}_{}", op.method, path.trim_matches('_'));
    while id.contains("__") {
        id = id.replace("__", "_");
    }
    id
}

/// The document: schemas derived from the wire types, operations from the modules' tables.
pub fn openapi_document() -> Value {
    let mut api = ApiDoc::openapi();
    api.merge(super::board::Schemas::openapi());
    api.merge(super::public::Schemas::openapi());
    api.merge(super::report::Schemas::openapi());
    api.merge(super::meetings::Schemas::openapi());
    api.merge(super::backtest::Schemas::openapi());
    api.merge(super::alerts::Schemas::openapi());
    api.merge(super::auth::Schemas::openapi());
    api.merge(super::audit::Schemas::openapi());
    api.merge(super::okr::Schemas::openapi());
    api.merge(super::evaluation::Schemas::openapi());
    api.merge(super::notify::Schemas::openapi());
    api.merge(super::work::Schemas::openapi());
    api.merge(super::attachments::Schemas::openapi());
    api.merge(super::explanations::Schemas::openapi());
    api.merge(super::import::Schemas::openapi());
    api.merge(super::entry::Schemas::openapi());
    api.merge(super::templates::Schemas::openapi());
    let mut doc = serde_json::to_value(api).expect("the OpenAPI document serializes");
    let mut paths = serde_json::Map::new();
    for op in operations() {
        let entry = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        entry[op.method] = operation(op);
        if let Answer::Page(s) = op.answer {
            doc["components"]["schemas"][format!("{s}Page")] = json!({
                "type": "object",
                "description": "One page of a list: `total` counts every entry the caller may see, `items` those from ?offset=, at most ?limit=.",
                "required": ["total", "items"],
                "properties": {
                    "total": {"type": "integer", "minimum": 0},
                    "items": {"type": "array", "items": schema_ref(s)}
                },
                "additionalProperties": false
            });
        }
    }
    doc["paths"] = Value::Object(paths);
    let schemas = &mut doc["components"]["schemas"];
    schemas["TaskChange"] = task_change(&schemas["TaskEventIn"]);
    schemas["RulesOut"] = json!({
        "type": "object",
        "required": ["files", "rules", "sources"],
        "properties": {
            "files": {"type": "array", "items": {"type": "string"}, "description": "The rule files loaded (empty: the built-in pack)"},
            "rules": {"type": "array", "items": {"type": "object"}, "description": "The rules running now, as in their TOML (alert-rules/RULES.md)"},
            "sources": {"type": "array", "description": "The rule files' text as on disk now (the built-in pack's when none are named): what a candidate in \"try a change\" edits", "items": {"type": "object", "required": ["name", "text"], "properties": {"name": {"type": "string"}, "text": {"type": "string"}}}}
        }
    });
    schemas["ReloadOut"] = json!({
        "type": "object",
        "required": ["reloaded"],
        "properties": {"reloaded": {"type": "integer", "minimum": 0, "description": "Rules running after the reload"}}
    });
    // Every route but the public ones (SECURITY.md) takes one of these.
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer", "description": "A session (iocs_…) or API token (ioct_…)"},
        "session": {"type": "apiKey", "in": "cookie", "name": "ioc_session", "description": "Writes also send X-CSRF-Token"}
    });
    doc["security"] = json!([{"bearer": []}, {"session": []}]);
    doc
}

/// `PUT /api/v1/tasks/{id}`'s body: a task event without `type` and `task_id` (the path names
/// the task), whose `id` and `at` may be left out.
fn task_change(task_event: &Value) -> Value {
    let mut s = task_event.clone();
    if let Some(props) = s["properties"].as_object_mut() {
        props.remove("type");
        props.remove("task_id");
    }
    if let Some(required) = s["required"].as_array_mut() {
        required.retain(|r| !matches!(r.as_str(), Some("type" | "task_id" | "id" | "at")));
    }
    if s["required"].as_array().is_some_and(Vec::is_empty) {
        s.as_object_mut().map(|o| o.remove("required"));
    }
    s["description"] = "A task event's fields without type and task_id (the path names the task); id defaults to a generated one, at to now.".into();
    s.as_object_mut().map(|o| o.remove("examples"));
    s
}

async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_document())
}

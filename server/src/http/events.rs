//! `POST /api/v1/events` (JSON array or NDJSON) and `GET /api/v1/events/{id}`.

use super::error::ApiError;
use crate::auth::{can_view, Actor, Principal, Target};
use crate::domain::time::format_ts;
use crate::ingest::event::{parse_events, split_body, MAX_BATCH};
use crate::ingest::writer::IngestReport;
use crate::Node;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/events", post(ingest))
        .route("/events/{id}", get(event))
}

/// Answers only once the events are committed: a 200 means durable.
async fn ingest(
    State(node): State<Node>,
    actor: Actor,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestReport>, ApiError> {
    let body = body?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ndjson = ct.contains("ndjson") || ct.contains("jsonl");
    if !ndjson && !ct.starts_with("application/json") {
        return Err(ApiError::UnsupportedMediaType(
            "send events as application/json (an array) or application/x-ndjson".into(),
        ));
    }
    let items = split_body(&body, ndjson).map_err(ApiError::Malformed)?;
    if items.len() > MAX_BATCH {
        return Err(ApiError::TooLarge(
            format!(
                "the request holds {} events; at most {MAX_BATCH} are taken at once",
                items.len()
            )
            .into(),
        ));
    }
    let events = parse_events(items)?;
    Ok(Json(node.writer.ingest(events, &actor).await?))
}

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    /// Whose id it is (`account:…`, `token:…`, `source:…@…`, `system:…`; empty for events
    /// logged before sources were kept).
    pub source: String,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub entity: String,
    pub at: String,
    pub received_at: String,
    /// The event as it was received.
    pub body: serde_json::Value,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Whose event id it is; default the caller's own (then events from before sources).
    source: Option<String>,
}

async fn event(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<EventQuery>,
) -> Result<Json<EventOut>, ApiError> {
    let sources = match q.source {
        Some(s) => vec![s],
        None => vec![who.event_source(), String::new()],
    };
    let mut found = None;
    for source in &sources {
        if let Some(e) = node.store.event(source, &id).await? {
            found = Some(e);
            break;
        }
    }
    let e = found.ok_or_else(|| {
        ApiError::NotFound(crate::msg!(
            "no_event",
            id = id.as_str(),
            source = sources[0].as_str()
        ))
    })?;
    let body: serde_json::Value =
        serde_json::from_str(&e.body).unwrap_or(serde_json::Value::String(e.body.clone()));
    let unit = event_unit(&node, &e.kind, &e.entity, &body).ok_or_else(|| {
        ApiError::Forbidden(format!(
            "event '{id}' is about '{}', which no longer belongs to a unit; only the whole tree's viewers see it",
            e.entity
        ).into())
    });
    match unit {
        Ok(u) => can_view(&who, &node.rollup, Target::Unit(&u))?,
        Err(e) if !matches!(who.scope(&node.rollup), crate::auth::Scope::All) => return Err(e),
        Err(_) => {}
    }
    Ok(Json(EventOut {
        source: e.source,
        id: e.id.to_string(),
        kind: e.kind,
        entity: e.entity,
        at: format_ts(e.at),
        received_at: format_ts(e.received_at),
        body,
    }))
}

/// The unit a logged event belongs to, for the scope check: a task's unit, a key result's
/// objective's unit, the unit of a KPI value or rating.
fn event_unit(node: &Node, kind: &str, entity: &str, body: &serde_json::Value) -> Option<String> {
    match kind {
        "task" => node.rollup.task(entity).map(|t| t.unit.to_string()),
        "kr_checkin" => node
            .rollup
            .key_result(entity)
            .and_then(|k| node.rollup.objective(&k.objective))
            .map(|o| o.unit.to_string()),
        _ => body["unit"].as_str().map(String::from),
    }
}

//! The audit trail over HTTP: entries of the units in the caller's scope, oldest first, and
//! the walk of the hash chain that says whether any entry was changed or removed.

use super::error::ApiError;
use super::ops::{Answer, Kind, Operation, Param};
use crate::audit::Verdict;
use crate::auth::{access, visible_units, Principal, Scope};
use crate::domain::time::format_ts;
use crate::Node;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/audit", get(audit))
        .route("/audit/verify", get(verify))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::get(
        "/api/v1/audit",
        "Audit entries of units in the caller's scope, oldest first",
        Answer::Array("AuditEntryOut"),
    )
    .params(&[
        Param::query(
            "unit",
            Kind::Text,
            "Entries of this unit's subtree (default: everything in scope)",
        ),
        Param::query(
            "after",
            Kind::Int(i64::MIN, i64::MAX),
            "Entries after this seq (paging)",
        ),
        Param::query(
            "limit",
            Kind::Int(1, 1000),
            "At most this many entries (default 100)",
        ),
    ]),
    Operation::get(
        "/api/v1/audit/verify",
        "Walk the audit hash chain (admin of the whole tree)",
        Answer::Json("Verdict"),
    ),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(AuditEntryOut, Verdict)))]
pub struct Schemas;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries of this unit's subtree (default: everything in the caller's scope).
    unit: Option<String>,
    /// Entries after this seq (for paging).
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    100
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub ip: String,
    pub action: String,
    pub entity: String,
    pub unit: Option<String>,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    pub prev_hash: String,
    pub hash: String,
}

async fn audit(
    State(node): State<Node>,
    who: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntryOut>>, ApiError> {
    if !(1..=1000).contains(&q.limit) {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 1000".into(),
        ));
    }
    let units: Option<Vec<String>> = match visible_units(&who, &node.rollup, q.unit.as_deref())? {
        Scope::All => None,
        Scope::Units(set) => Some(set.into_iter().collect()),
    };
    let rows = node
        .store
        .audit_entries(q.after, units.as_deref(), q.limit)
        .await?;
    let parse = |s: Option<String>| {
        s.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
    };
    Ok(Json(
        rows.into_iter()
            .map(|e| AuditEntryOut {
                seq: e.seq,
                at: format_ts(e.at),
                actor: e.actor,
                ip: e.ip,
                action: e.action,
                entity: e.entity,
                unit: e.unit,
                old: parse(e.old),
                new: parse(e.new),
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect(),
    ))
}

async fn verify(State(node): State<Node>, who: Principal) -> Result<Json<Verdict>, ApiError> {
    access::operator(&who, access::Operation::AuditVerify)?;
    Ok(Json(crate::store::verify_audit(&*node.store).await?))
}

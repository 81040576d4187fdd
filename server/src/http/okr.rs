//! The OKR cycle over HTTP: periods and their states, the alignment tree of an objective,
//! a key result's check-in history, and per-unit KPI targets. Thin: parse, check scope, ask the
//! rollup or the writer (which decides who may change what).

use super::board::Params;
use super::body::JsonBody;
use super::error::ApiError;
use super::ops::{Answer, Body, Kind, Operation, Param};
use crate::auth::{can_view, Actor, Principal, Target as Scope};
use crate::domain::time::format_ts;
use crate::domain::{Period, PeriodState};
use crate::ingest::cycle::CycleItem;
use crate::ingest::event::KrCheckinIn;
use crate::ingest::ItemError;
use crate::rollup::okr::{AlignmentTree, PeriodLine, TargetLine, TreeNode, TreeStep};
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{OpenApi, ToSchema};

pub fn router() -> Router<Node> {
    Router::new()
        .route("/periods", get(periods))
        .route("/periods/{label}", get(period).put(set_period))
        .route("/objectives/{id}/tree", get(tree))
        .route("/key-results/{id}/check-ins", get(check_ins))
        .route("/kpis/{id}/targets", get(targets).put(set_targets))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/periods", "OKR periods (quarters and years) with their state: planning, active or closed", Answer::Array("PeriodLine")),
    Operation::get("/api/v1/periods/{label}", "One OKR period", Answer::Json("PeriodLine")).params(&[PERIOD_LABEL]),
    Operation::put("/api/v1/periods/{label}", "Declare a quarter (2026-Q4) or a year (2026) or move it along planning -> active -> closed (a closed one may be reopened to active); admin of the whole tree; closing freezes the evaluation scores of the periods inside it; audited", Body::Json("PeriodIn"), Answer::Json("PeriodLine")).params(&[PERIOD_LABEL]),
    Operation::get("/api/v1/objectives/{id}/tree", "The alignment tree around an objective: the chain it contributes to (up) and the objectives aligned below it, each with its own progress (weighted key results) and rolled-up progress (key results and aligned objectives by weight); objectives outside the caller's scope are counted, not listed", Answer::Json("AlignmentTree")).params(&[
        Param::query("depth", Kind::Int(1, crate::rollup::okr::MAX_DEPTH as i64), "Levels below the objective (default 6)"),
    ]),
    Operation::get("/api/v1/key-results/{id}/check-ins", "A key result's check-in history, oldest first: value, confidence, comment, who, when, and the progress it meant", Answer::Json("CheckinHistory")),
    Operation::get("/api/v1/kpis/{id}/targets", "The KPI's per-unit targets per period, for units in the caller's scope", Answer::Array("TargetLine")),
    Operation::put("/api/v1/kpis/{id}/targets", "Set 1 to 10,000 targets all or nothing: by a leader of the level above each unit; a closed period only by an admin; audited. Answers the KPI's targets in the caller's scope", Body::JsonArray("TargetIn"), Answer::Array("TargetLine")),
];

const PERIOD_LABEL: Param =
    Param::path("label", Kind::Text, "A year (2026) or a quarter (2026-Q4)");

#[derive(OpenApi)]
#[openapi(components(schemas(
    PeriodLine,
    PeriodIn,
    AlignmentTree,
    TreeNode,
    TreeStep,
    CheckinHistory,
    CheckinLine,
    TargetLine,
    TargetIn
)))]
pub struct Schemas;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodIn {
    pub state: PeriodState,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetIn {
    pub unit: String,
    /// A year, quarter, month or week label; the target also holds for shorter periods in it.
    pub period: String,
    pub target: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinHistory {
    pub key_result: String,
    pub objective: String,
    pub start: f64,
    pub target: f64,
    pub check_ins: Vec<CheckinLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinLine {
    pub event_id: String,
    /// When the check-in was made at the source.
    pub at: String,
    pub received_at: String,
    pub value: f64,
    /// 0..10.
    pub confidence: Option<u8>,
    pub comment: Option<String>,
    pub by: Option<String>,
    /// From start to target at this value, 0..1.
    pub progress: f64,
}

fn parse_period(s: &str, field: &str) -> Result<Period, ApiError> {
    Period::parse(s).map_err(|e| ApiError::Invalid(ItemError::new(field, e)))
}

async fn periods(
    State(node): State<Node>,
    who: Principal,
) -> Result<Json<Vec<PeriodLine>>, ApiError> {
    if !who.may_read() {
        return Err(ApiError::Refused(ItemError::new(
            "",
            "these credentials may not read (an ingest-only token)",
        )));
    }
    Ok(Json(
        node.rollup.periods().iter().map(PeriodLine::from).collect(),
    ))
}

async fn period(
    State(node): State<Node>,
    who: Principal,
    Path(label): Path<String>,
) -> Result<Json<PeriodLine>, ApiError> {
    // Any spelling of the period finds it (2026-Q04 is 2026-Q4).
    let canonical = Period::parse(&label).map_or(label.clone(), |p| p.label().to_string());
    let Json(all) = periods(State(node), who).await?;
    all.into_iter()
        .find(|p| p.period == canonical)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no OKR period '{label}'").into()))
}

async fn set_period(
    State(node): State<Node>,
    actor: Actor,
    Path(label): Path<String>,
    JsonBody(body): JsonBody<PeriodIn>,
) -> Result<Json<PeriodLine>, ApiError> {
    let period =
        Period::parse(&label).map_err(|e| ApiError::Malformed(ItemError::new("label", e)))?;
    // Cheap refusals before the expensive part: the writer checks all of this again, where
    // nothing can change in between.
    crate::auth::access::operator(&actor.principal, crate::auth::access::Operation::OkrPeriods)?;
    let canonical = period.label().to_string();
    let old = node.rollup.period(&canonical).map(|p| p.state);
    let closing = body.state == PeriodState::Closed && old == Some(PeriodState::Active);
    let frozen = if closing {
        crate::evaluation::freeze::scores_to_freeze(
            node.store.as_ref(),
            &node.rollup,
            &node.evaluation,
            &period,
        )
        .await?
    } else {
        Vec::new()
    };
    node.writer
        .cycle(
            vec![CycleItem::Period {
                period,
                state: body.state,
                frozen,
            }],
            &actor,
        )
        .await?;
    node.rollup
        .period(&canonical)
        .map(|p| Json(PeriodLine::from(&p)))
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("period vanished after commit")))
}

async fn tree(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<AlignmentTree>, ApiError> {
    let p = Params::new(q, &["depth"])?;
    let depth = p.int("depth", 6, 1, crate::rollup::okr::MAX_DEPTH as i64)? as usize;
    let objective = node
        .rollup
        .objective(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no objective '{id}'").into()))?;
    can_view(&who, &node.rollup, Scope::Unit(&objective.unit))?;
    // Decided before the tree is read: `can_view` reads the rollup, and the tree holds its
    // lock while it walks (a second read behind a waiting writer would deadlock).
    let seen: std::collections::HashSet<String> = node
        .rollup
        .unit_ids()
        .into_iter()
        .filter(|u| can_view(&who, &node.rollup, Scope::Unit(u)).is_ok())
        .map(|u| u.to_string())
        .collect();
    let visible = |unit: &str| seen.contains(unit);
    node.rollup
        .alignment_tree(&id, depth, &visible)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no objective '{id}'").into()))
}

async fn check_ins(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<CheckinHistory>, ApiError> {
    let kr = node
        .rollup
        .key_result(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no key result '{id}'").into()))?;
    let objective = node
        .rollup
        .objective(&kr.objective)
        .ok_or_else(|| ApiError::NotFound(format!("key result '{id}' has no objective").into()))?;
    can_view(&who, &node.rollup, Scope::Unit(&objective.unit))?;
    let records = node
        .store
        .events_of("kr_checkin", std::slice::from_ref(&id))
        .await?;
    let mut check_ins = Vec::with_capacity(records.len());
    for r in records {
        let c: KrCheckinIn = crate::ingest::decode_str(&r.body)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored check-in {}: {e}", r.id)))?;
        let mut at_value = kr.clone();
        at_value.current = c.value;
        check_ins.push(CheckinLine {
            event_id: r.id.to_string(),
            at: format_ts(r.at),
            received_at: format_ts(r.received_at),
            value: c.value,
            confidence: c.confidence,
            comment: c.comment,
            by: c.by,
            progress: crate::rollup::view::round4(at_value.progress_ppm() as f64 / 1e6),
        });
    }
    Ok(Json(CheckinHistory {
        key_result: id,
        objective: kr.objective.to_string(),
        start: kr.start,
        target: kr.target,
        check_ins,
    }))
}

async fn targets(
    State(node): State<Node>,
    who: Principal,
    Path(code): Path<String>,
) -> Result<Json<Vec<TargetLine>>, ApiError> {
    if !who.may_read() {
        return Err(ApiError::Refused(ItemError::new(
            "",
            "these credentials may not read (an ingest-only token)",
        )));
    }
    if node.rollup.kpi(&code).is_none() {
        return Err(ApiError::NotFound(format!("no KPI '{code}'").into()));
    }
    Ok(Json(
        node.rollup
            .targets_of(&code)
            .iter()
            .filter(|t| can_view(&who, &node.rollup, Scope::Unit(&t.unit)).is_ok())
            .map(TargetLine::from)
            .collect(),
    ))
}

async fn set_targets(
    State(node): State<Node>,
    actor: Actor,
    Path(code): Path<String>,
    JsonBody(body): JsonBody<Vec<TargetIn>>,
) -> Result<Json<Vec<TargetLine>>, ApiError> {
    if body.is_empty() || body.len() > 10_000 {
        return Err(ApiError::BadRequest("send from 1 to 10,000 targets".into()));
    }
    let mut items = Vec::with_capacity(body.len());
    for (i, t) in body.iter().enumerate() {
        let period = parse_period(&t.period, "period").map_err(|e| match e {
            ApiError::Invalid(e) => ApiError::Invalid(e.at(i)),
            other => other,
        })?;
        items.push(CycleItem::Target {
            kpi: code.as_str().into(),
            unit: t.unit.as_str().into(),
            period,
            target: t.target,
        });
    }
    node.writer.cycle(items, &actor).await?;
    let who = &actor.principal;
    Ok(Json(
        node.rollup
            .targets_of(&code)
            .iter()
            .filter(|t| can_view(who, &node.rollup, Scope::Unit(&t.unit)).is_ok())
            .map(TargetLine::from)
            .collect(),
    ))
}

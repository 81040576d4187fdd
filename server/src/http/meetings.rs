//! Review meetings (giao ban) over HTTP: a leader opens a unit's review as a meeting
//! (`POST /meetings`, the agenda generated from the review), takes notes per item, records
//! conclusions that become tasks, adjusted targets, explanation requests or reasoned silences,
//! moves the wall from item to item, closes the record, and corrects a closed record with a
//! reason. Anyone who may see the unit reads its meetings. Handlers check the shape of a request
//! and build what a conclusion sets in motion; the writer checks it and commits it.

use super::body::JsonBody;
use super::error::ApiError;
use super::ops::{Answer, Body, Kind, Operation, Param};
use crate::auth::{access, can_view, visible_units, Actor, Principal, Target};
use crate::domain::explanation::SubjectKind;
use crate::domain::meeting::Meeting;
use crate::domain::time::{format_ts, parse_ts, Period};
use crate::ingest::cycle::CycleItem;
use crate::ingest::event::parse_event;
use crate::ingest::explain::AskIn;
use crate::ingest::meeting::{ActionIn, ConcludeIn, MeetingWrite, OpenIn};
use crate::ingest::ItemError;
use crate::meeting::{self as read, MeetingOut};
use crate::msg;
use crate::report::period::{ReviewKind, ReviewPeriod, ReviewPeriods};
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::sync::Arc;
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/meetings", post(open).get(list))
        .route("/meetings/{id}", get(one))
        .route("/meetings/{id}/items/{key}/note", put(note))
        .route("/meetings/{id}/conclusions", post(conclude))
        .route("/meetings/{id}/present", post(present))
        .route("/meetings/{id}/close", post(close))
        .route("/meetings/{id}/corrections", post(correct))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::post(
        "/api/v1/meetings",
        "Open a unit's review (week, month or quarter; default this week) as a meeting: chair, attendees, and the agenda generated from the review (the last meeting's conclusions and where they stand, KPI series that turned red, key results behind pace, overdue work by person, explanations). By a leader over the unit. One meeting per review: opening it again answers the kept one with `duplicate: true` (200).",
        Body::Json("MeetingIn"),
        Answer::CreatedOrKept("MeetingOut"),
    ),
    Operation::get(
        "/api/v1/meetings",
        "Review meetings of the caller's read scope (or of a unit's subtree), newest first: conclusions are published to everyone who may see the unit",
        Answer::Json("MeetingList"),
    )
    .params(&[
        Param::query("unit", Kind::Text, "Meetings of this unit and the units below it"),
        Param::query("limit", Kind::Int(1, 200), "At most this many (50 by default)"),
    ]),
    Operation::get("/api/v1/meetings/{id}", "A review meeting: agenda, notes, conclusions and where each conclusion's work stands", Answer::Json("MeetingOut")),
    Operation::put(
        "/api/v1/meetings/{id}/items/{key}/note",
        "The notes of an agenda item (open meetings; a leader over the unit)",
        Body::Json("MeetingNoteIn"),
        Answer::Json("MeetingOut"),
    )
    .params(&[Param::path("key", Kind::Text, "The agenda item's key")]),
    Operation::post(
        "/api/v1/meetings/{id}/conclusions",
        "A conclusion of an open meeting and what it sets in motion, committed together: a task with its RACI roles and deadline, a key result's or a KPI's target adjusted (the cycle's rules apply; the audit entry names the meeting), an explanation request, or nothing with a reason. `id` is the client's: sending it again answers the meeting with `duplicate: true`.",
        Body::Json("ConclusionIn"),
        Answer::CreatedOrKept("MeetingOut"),
    ),
    Operation::post(
        "/api/v1/meetings/{id}/present",
        "Show an agenda item on the walls following the meeting (the live `meeting` view)",
        Body::Json("MeetingPresentIn"),
        Answer::Json("MeetingOut"),
    ),
    Operation::post(
        "/api/v1/meetings/{id}/close",
        "Close the meeting: its record is read-only from then on",
        Body::None,
        Answer::Json("MeetingOut"),
    ),
    Operation::post(
        "/api/v1/meetings/{id}/corrections",
        "Correct a conclusion of a closed meeting, with a reason: audited, and kept with the conclusion",
        Body::Json("MeetingCorrectionIn"),
        Answer::Json("MeetingOut"),
    ),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    MeetingIn,
    MeetingNoteIn,
    MeetingPresentIn,
    MeetingCorrectionIn,
    ConclusionIn,
    ConclusionTaskIn,
    ConclusionAdjustIn,
    ConclusionExplainIn,
    MeetingList,
    read::MeetingOut,
    read::AgendaItemOut,
    read::ConclusionOut,
    read::ConclusionTask,
    read::ConclusionAdjust,
    read::ConclusionExplanation,
    read::CorrectionOut,
    read::MeetingRef,
    read::MeetingRecord,
    read::FollowUp
)))]
pub struct Schemas;

/// A review opened as a meeting.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingIn {
    pub unit: String,
    /// A week (2026-W49), month (2026-12) or quarter (2026-Q4) that has begun; default this week.
    #[serde(default)]
    pub period: Option<String>,
    /// The person who chairs.
    pub chair: String,
    #[serde(default)]
    pub attendees: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingNoteIn {
    /// Up to 4,000 characters; empty clears the note.
    pub note: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingPresentIn {
    /// The agenda item's index (0-based).
    pub item: usize,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingCorrectionIn {
    pub conclusion: String,
    /// The corrected text (up to 2,000 characters).
    pub text: String,
    /// Why (up to 2,000 characters).
    pub reason: String,
}

/// A conclusion, with the part its `action` needs.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConclusionIn {
    /// The client's id for it (1 to 100 letters, digits, `.`, `_`, `:` or `-`).
    pub id: String,
    /// The agenda item it concludes; none for a general conclusion.
    #[serde(default)]
    pub item: Option<String>,
    /// What was decided (up to 2,000 characters).
    pub text: String,
    /// task, adjust, explain or silence.
    pub action: String,
    #[serde(default)]
    pub task: Option<ConclusionTaskIn>,
    #[serde(default)]
    pub adjust: Option<ConclusionAdjustIn>,
    #[serde(default)]
    pub explain: Option<ConclusionExplainIn>,
    /// A silence's reason.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The task a conclusion assigns (the "6 clear": who, what, output, deadline, with whom).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConclusionTaskIn {
    /// Default: the conclusion's text (first 200 characters).
    #[serde(default)]
    pub title: Option<String>,
    pub responsible: String,
    #[serde(default)]
    pub accountable: Option<String>,
    #[serde(default)]
    pub consulted: Vec<String>,
    #[serde(default)]
    pub informed: Vec<String>,
    /// A date (the end of that day in Vietnam) or an RFC 3339 time.
    pub deadline: String,
    #[serde(default)]
    pub expected_output: Option<String>,
}

/// A target adjusted: a key result's (`key_result`), or a unit's KPI target for a period.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConclusionAdjustIn {
    #[serde(default)]
    pub key_result: Option<String>,
    #[serde(default)]
    pub kpi: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    /// The KPI target's period: a year (2026) or a quarter (2026-Q4).
    #[serde(default)]
    pub period: Option<String>,
    pub target: f64,
}

/// An explanation requested by the meeting (the conclusion's text is the question).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConclusionExplainIn {
    /// kpi, alert_group or task.
    pub subject_kind: String,
    pub subject: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub addressee: Option<String>,
    /// A date or an RFC 3339 time, after the server's clock.
    pub due: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeetingList {
    pub meetings: Vec<MeetingOut>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    unit: Option<String>,
    limit: Option<usize>,
}

fn invalid(field: &str, m: impl Into<crate::i18n::Msg>) -> ApiError {
    ApiError::Invalid(ItemError::new(field, m))
}

fn lang() -> crate::i18n::Lang {
    crate::i18n::request_lang()
}

/// The meeting `m` as `who` reads it.
async fn out(
    node: &Node,
    who: &Principal,
    m: &Meeting,
    duplicate: bool,
) -> Result<MeetingOut, ApiError> {
    let lead = access::meeting_lead(who, &node.rollup, &m.unit).is_ok();
    let mut o = read::meeting_out(m, &node.rollup, node.store.as_ref(), lang(), lead).await?;
    o.duplicate = duplicate;
    Ok(o)
}

/// A meeting the caller may read.
fn readable(node: &Node, who: &Principal, id: &str) -> Result<Arc<Meeting>, ApiError> {
    let m = node
        .rollup
        .meeting(id)
        .ok_or_else(|| ApiError::NotFound(msg!("no_meeting", id = id)))?;
    can_view(who, &node.rollup, Target::Unit(&m.unit))?;
    Ok(m)
}

async fn open(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(b): JsonBody<MeetingIn>,
) -> Result<(StatusCode, Json<MeetingOut>), ApiError> {
    let who = &actor.principal;
    let unit = b.unit.trim().to_string();
    can_view(who, &node.rollup, Target::Unit(&unit))?;
    access::meeting_lead(who, &node.rollup, &unit)?;
    let now = node.rollup.now();
    let period = match b.period.as_deref().map(str::trim) {
        None | Some("") => ReviewPeriod::containing(ReviewKind::Week, now),
        Some(p) => ReviewPeriod::parse(p).map_err(|_| invalid("period", msg!("meeting_period")))?,
    };
    ReviewPeriods::new(Some(period), now).map_err(|_| invalid("period", msg!("meeting_period")))?;
    let label = period.to_string();
    let id = Meeting::id_for(&unit, &label);
    let items = match node.rollup.meeting(&id) {
        // Opened already: the writer answers the kept one.
        Some(_) => Vec::new(),
        None => {
            let review = crate::report::review::review(
                &node.store,
                &node.rollup,
                &node.past,
                &unit,
                Some(period),
            )
            .await
            .map_err(|e| ApiError::Invalid(ItemError::new("period", e.to_string())))?;
            let previous = read::previous(&node.rollup, &unit, &label);
            crate::report::meeting::agenda(&review, previous.as_deref(), &node.rollup)
        }
    };
    let write = MeetingWrite::Open(OpenIn {
        unit: unit.as_str().into(),
        period: label,
        chair: b.chair.trim().into(),
        attendees: b.attendees.iter().map(|a| a.trim().into()).collect(),
        items,
    });
    let (m, duplicate) = node.writer.meeting(id, write, &actor).await?;
    let status = if duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(out(&node, who, &m, duplicate).await?)))
}

async fn list(
    State(node): State<Node>,
    who: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<MeetingList>, ApiError> {
    let scope = visible_units(&who, &node.rollup, q.unit.as_deref())?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let mut meetings = Vec::new();
    for m in node.rollup.meetings() {
        if meetings.len() == limit {
            break;
        }
        if scope.contains(&m.unit) {
            meetings.push(out(&node, &who, &m, false).await?);
        }
    }
    Ok(Json(MeetingList { meetings }))
}

async fn one(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<MeetingOut>, ApiError> {
    let m = readable(&node, &who, &id)?;
    Ok(Json(out(&node, &who, &m, false).await?))
}

/// Commits `write` on a meeting the caller may read, and answers the meeting as it then is.
async fn write(
    node: &Node,
    actor: &Actor,
    id: &str,
    write: MeetingWrite,
) -> Result<MeetingOut, ApiError> {
    readable(node, &actor.principal, id)?;
    let (m, duplicate) = node.writer.meeting(id.to_string(), write, actor).await?;
    out(node, &actor.principal, &m, duplicate).await
}

async fn note(
    State(node): State<Node>,
    actor: Actor,
    Path((id, key)): Path<(String, String)>,
    JsonBody(b): JsonBody<MeetingNoteIn>,
) -> Result<Json<MeetingOut>, ApiError> {
    let w = MeetingWrite::Note {
        item: key,
        note: b.note,
    };
    Ok(Json(write(&node, &actor, &id, w).await?))
}

async fn present(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<MeetingPresentIn>,
) -> Result<Json<MeetingOut>, ApiError> {
    let w = MeetingWrite::Present { item: b.item };
    Ok(Json(write(&node, &actor, &id, w).await?))
}

async fn close(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<MeetingOut>, ApiError> {
    Ok(Json(write(&node, &actor, &id, MeetingWrite::Close).await?))
}

async fn correct(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<MeetingCorrectionIn>,
) -> Result<Json<MeetingOut>, ApiError> {
    let w = MeetingWrite::Correct {
        conclusion: b.conclusion,
        text: b.text,
        reason: b.reason,
    };
    Ok(Json(write(&node, &actor, &id, w).await?))
}

async fn conclude(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ConclusionIn>,
) -> Result<(StatusCode, Json<MeetingOut>), ApiError> {
    let c = conclusion_in(&id, b, node.rollup.now())?;
    let o = write(&node, &actor, &id, MeetingWrite::Conclude(c)).await?;
    let status = if o.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(o)))
}

/// The id of what a conclusion creates (a task, an explanation request): derived from the
/// meeting's and the conclusion's ids, so a retry finds what the first try made.
fn derived_id(meeting: &str, conclusion: &str) -> String {
    let h = sha2::Sha256::digest(format!("{meeting}\n{conclusion}"));
    format!("kl-{}", &hex::encode(h)[..16])
}

/// A conclusion as asked, with what it sets in motion built from its part.
fn conclusion_in(
    meeting: &str,
    b: ConclusionIn,
    now: crate::domain::Ts,
) -> Result<ConcludeIn, ApiError> {
    super::explanations::client_id("id", &b.id)?;
    let text = b.text.trim().to_string();
    let made = derived_id(meeting, &b.id);
    let action = match b.action.as_str() {
        "task" => {
            let t = b
                .task
                .ok_or_else(|| invalid("task", msg!("meeting_part", action = "task")))?;
            let deadline = parse_ts(t.deadline.trim(), true)
                .map_err(|_| invalid("task.deadline", msg!("meeting_date")))?;
            let title = t
                .title
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| text.chars().take(200).collect());
            let event = serde_json::json!({
                "type": "task",
                "id": format!("{made}:assign"),
                "at": format_ts(now),
                "task_id": made,
                "title": title,
                "responsible": t.responsible.trim(),
                "accountable": t.accountable.as_deref().map(str::trim),
                "consulted": t.consulted,
                "informed": t.informed,
                "deadline": format_ts(deadline),
                "expected_output": t.expected_output.unwrap_or_else(|| text.clone()),
                "status": "todo",
            });
            let event = parse_event(event).map_err(|e| {
                let field = if e.field.is_empty() {
                    "task".to_string()
                } else {
                    format!("task.{}", e.field)
                };
                ApiError::Invalid(ItemError { field, ..e })
            })?;
            ActionIn::Task {
                task: made.as_str().into(),
                event: Box::new(event),
            }
        }
        "adjust" => {
            let a = b
                .adjust
                .ok_or_else(|| invalid("adjust", msg!("meeting_part", action = "adjust")))?;
            if !a.target.is_finite() {
                return Err(invalid("adjust.target", msg!("meeting_target")));
            }
            match (a.key_result, a.kpi) {
                (Some(kr), None) => ActionIn::AdjustKeyResult {
                    key_result: kr.trim().into(),
                    target: a.target,
                },
                (None, Some(kpi)) => {
                    let unit = a
                        .unit
                        .ok_or_else(|| invalid("adjust.unit", msg!("meeting_adjust_which")))?;
                    let period = a
                        .period
                        .ok_or_else(|| invalid("adjust.period", msg!("meeting_adjust_which")))?;
                    let period = Period::parse(period.trim())
                        .map_err(|_| invalid("adjust.period", msg!("meeting_target_period")))?;
                    ActionIn::AdjustTarget(CycleItem::Target {
                        kpi: kpi.trim().into(),
                        unit: unit.trim().into(),
                        period,
                        target: a.target,
                    })
                }
                _ => return Err(invalid("adjust", msg!("meeting_adjust_which"))),
            }
        }
        "explain" => {
            let e = b
                .explain
                .ok_or_else(|| invalid("explain", msg!("meeting_part", action = "explain")))?;
            let subject_kind = SubjectKind::parse(&e.subject_kind)
                .ok_or_else(|| invalid("explain.subject_kind", msg!("meeting_subject_kind")))?;
            let due_at = parse_ts(e.due.trim(), true)
                .map_err(|_| invalid("explain.due", msg!("meeting_date")))?;
            ActionIn::Explain(Box::new(AskIn {
                id: made,
                subject_kind,
                subject: e.subject.trim().to_string(),
                unit: e.unit.map(|u| u.trim().to_string()),
                addressee: e.addressee.map(|p| p.trim().to_string()),
                question: text.clone(),
                due_at,
                title: None,
            }))
        }
        "silence" => ActionIn::Silence {
            reason: b.reason.unwrap_or_default(),
        },
        _ => return Err(invalid("action", msg!("meeting_action"))),
    };
    Ok(ConcludeIn {
        id: b.id,
        item: b.item,
        text,
        action,
    })
}

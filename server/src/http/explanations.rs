//! Explanations (giải trình) over HTTP: a leader asks (`POST /explanations`), the addressee
//! answers and the asker follows up in the thread (`POST /explanations/{id}/messages`), and
//! anyone who may see the unit reads the requests of an alert group, a task, a KPI line or a
//! unit (`GET /explanations`, `GET /explanations/{id}`). Handlers check the shape of a request;
//! the writer checks it against the catalog and the responsibility rules and commits it.

use super::body::JsonBody;
use super::error::ApiError;
use super::ops::{Answer, Body, Kind, Operation, Param};
use crate::auth::{access, Actor, Principal, Scope};
use crate::domain::explanation::{ExplainState, FileRef, MessageRole, SubjectKind, Thread};
use crate::domain::time::{format_ts, parse_ts};
use crate::ingest::explain::{AskIn, ExplainWrite, MessageIn};
use crate::ingest::ItemError;
use crate::msg;
use crate::rollup::lists::PersonRef;
use crate::rollup::view::UnitRef;
use crate::rollup::Rollup;
use crate::store::explain::ExplainQuery;
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/explanations", post(ask).get(list))
        .route("/explanations/{id}", get(one))
        .route("/explanations/{id}/messages", post(message))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::post(
        "/api/v1/explanations",
        "Ask for an explanation (giải trình) of a KPI series of a unit, an alert group or a task, by a due date: by a leader (or an admin) over the subject's unit. The addressee is the person named, else the one the subject names (a task's responsible person, whoever enters the series' values, the unit's leader); they are notified at once. `id` is the client's: sending it again answers the kept request with `duplicate: true`.",
        Body::Json("ExplanationIn"),
        Answer::Created("ExplanationOut"),
    ),
    Operation::get(
        "/api/v1/explanations",
        "Explanation requests with their threads, newest first: of the caller's read scope (or of a unit's subtree), filtered by subject, state, or (`mine=true`) those the caller answers or asked",
        Answer::Json("ExplanationList"),
    )
    .params(&[
        Param::query("subject_kind", Kind::OneOf(&["kpi", "alert_group", "task"]), "What they are about"),
        Param::query("subject", Kind::Text, "The KPI's code, the alert group's key or the task's id"),
        Param::query("unit", Kind::Text, "Requests about this unit and the units below it"),
        Param::query("state", Kind::OneOf(&["open", "answered", "overdue"]), "Where they stand"),
        Param::query("mine", Kind::Bool, "Only those the caller is to answer or asked"),
        Param::query("limit", Kind::Int(1, 500), "At most this many (100 by default)"),
    ]),
    Operation::get(
        "/api/v1/explanations/{id}",
        "One explanation request and its thread: to whoever may see its unit, its addressee and its asker",
        Answer::Json("ExplanationOut"),
    ),
    Operation::post(
        "/api/v1/explanations/{id}/messages",
        "Add to a thread: an answer by the addressee (or the leader of the addressee's unit), which marks the request answered and tells the asker; or a follow-up by a leader over its unit, which tells the addressee. Text and files uploaded for it (`POST /api/v1/attachments?explanation=`). `id` is the client's: sending it again answers the thread with `duplicate: true`.",
        Body::Json("ExplanationMessageIn"),
        Answer::Created("ExplanationOut"),
    ),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    ExplanationIn,
    ExplanationMessageIn,
    ExplanationOut,
    ExplanationMessageOut,
    ExplanationList,
    FileOut
)))]
pub struct Schemas;

/// An explanation request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplanationIn {
    /// The client's id for it (1 to 100 letters, digits, `.`, `_`, `:` or `-`).
    pub id: String,
    /// kpi, alert_group or task.
    pub subject_kind: String,
    /// The KPI's code, the alert group's key (`unit|rule…`) or the task's id.
    pub subject: String,
    /// The unit of a KPI series (required with `kpi`).
    #[serde(default)]
    pub unit: Option<String>,
    /// The person to answer (a person of the subject's unit or below); by default the one the
    /// subject names.
    #[serde(default)]
    pub addressee: Option<String>,
    /// What is to be explained (up to 2,000 characters).
    pub question: String,
    /// The due date: a date (the end of that day in Vietnam) or an RFC 3339 time, after the
    /// server's clock.
    pub due: String,
    /// How the screen words an alert group (up to 200 characters); its rule otherwise.
    #[serde(default)]
    pub title: Option<String>,
}

/// A message of a thread.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplanationMessageIn {
    /// The client's id for it (as a request's).
    pub id: String,
    /// Up to 4,000 characters.
    pub text: String,
    /// SHA-256 of files uploaded for this request.
    #[serde(default)]
    pub attachments: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FileOut {
    pub sha256: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExplanationMessageOut {
    pub id: String,
    /// answer (the addressee's side) or asker (a follow-up).
    pub role: String,
    /// The person who wrote it, when the account is linked to one.
    pub author: Option<PersonRef>,
    pub text: String,
    pub attachments: Vec<FileOut>,
    pub at: String,
}

/// An explanation request with its thread.
#[derive(Serialize, ToSchema)]
pub struct ExplanationOut {
    pub id: String,
    /// kpi, alert_group or task.
    pub subject_kind: String,
    pub subject: String,
    /// The subject as people read it when it was asked.
    pub title: String,
    pub unit: Option<UnitRef>,
    pub addressee: PersonRef,
    pub asker: Option<PersonRef>,
    pub question: String,
    pub due_at: String,
    /// open, answered or overdue (escalated).
    pub state: String,
    pub created_at: String,
    pub answered_at: Option<String>,
    pub escalated_at: Option<String>,
    /// The leader told when it went overdue.
    pub escalated_to: Option<PersonRef>,
    pub messages: Vec<ExplanationMessageOut>,
    /// The caller may answer it (the screens show the answer form).
    pub may_answer: bool,
    /// This was a retry of a kept request or message: nothing new was written.
    pub duplicate: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ExplanationList {
    pub explanations: Vec<ExplanationOut>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    subject_kind: Option<String>,
    subject: Option<String>,
    unit: Option<String>,
    state: Option<String>,
    mine: Option<bool>,
    limit: Option<i64>,
}

fn person_ref(rollup: &Rollup, id: &str) -> PersonRef {
    PersonRef {
        id: id.to_string(),
        name: rollup.person(id).map_or_else(|| id.to_string(), |p| p.name),
    }
}

/// A thread as the API shows it to `who`.
pub fn thread_out(rollup: &Rollup, who: &Principal, t: Thread, duplicate: bool) -> ExplanationOut {
    let e = t.explanation;
    let may_answer = matches!(
        access::explain_message(who, rollup, &e),
        Ok(MessageRole::Answer)
    );
    ExplanationOut {
        may_answer,
        duplicate,
        subject_kind: e.subject_kind.as_str().to_string(),
        unit: rollup.unit(&e.unit).as_ref().map(UnitRef::from),
        addressee: person_ref(rollup, &e.addressee),
        asker: e.asker_person.as_deref().map(|p| person_ref(rollup, p)),
        due_at: format_ts(e.due_at),
        state: e.state.as_str().to_string(),
        created_at: format_ts(e.created_at),
        answered_at: e.answered_at.map(format_ts),
        escalated_at: e.escalated_at.map(format_ts),
        escalated_to: e.escalated_to.as_deref().map(|p| person_ref(rollup, p)),
        messages: t
            .messages
            .into_iter()
            .map(|m| ExplanationMessageOut {
                id: m.id,
                role: m.role.as_str().to_string(),
                author: m.author_person.as_deref().map(|p| person_ref(rollup, p)),
                text: m.text,
                attachments: m
                    .attachments
                    .into_iter()
                    .map(|f| FileOut {
                        sha256: f.sha256,
                        name: f.name,
                    })
                    .collect(),
                at: format_ts(m.at),
            })
            .collect(),
        id: e.id,
        subject: e.subject,
        title: e.title,
        question: e.question,
    }
}

fn invalid(field: &str, m: impl Into<crate::i18n::Msg>) -> ApiError {
    ApiError::Invalid(ItemError::new(field, m))
}

/// A client's id for what it writes (a retry sends it again): 1 to 100 letters, digits, `.`,
/// `_`, `:` or `-`.
pub(super) fn client_id(field: &str, id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            "must be 1 to 100 letters, digits, '.', '_', ':' or '-'",
        ))
    }
}

fn text(field: &str, s: &str, max: usize) -> Result<String, ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(invalid(field, msg!("explain_text_empty")));
    }
    if s.chars().count() > max {
        return Err(invalid(field, msg!("explain_text_long", max = max)));
    }
    Ok(s.to_string())
}

async fn ask(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(b): JsonBody<ExplanationIn>,
) -> Result<(StatusCode, Json<ExplanationOut>), ApiError> {
    client_id("id", &b.id)?;
    let subject_kind = SubjectKind::parse(&b.subject_kind)
        .ok_or_else(|| invalid("subject_kind", "must be kpi, alert_group or task"))?;
    if b.subject.trim().is_empty() {
        return Err(invalid("subject", msg!("explain_text_empty")));
    }
    let question = text("question", &b.question, 2000)?;
    let due_at = parse_ts(b.due.trim(), true).map_err(|e| invalid("due", e))?;
    let title = match b.title {
        Some(t) => Some(text("title", &t, 200)?),
        None => None,
    };
    let write = ExplainWrite::Ask(AskIn {
        id: b.id,
        subject_kind,
        subject: b.subject.trim().to_string(),
        unit: b.unit.map(|u| u.trim().to_string()),
        addressee: b.addressee.map(|p| p.trim().to_string()),
        question,
        due_at,
        title,
    });
    let (thread, duplicate) = node.writer.explain(write, &actor).await?;
    Ok((
        StatusCode::CREATED,
        Json(thread_out(
            &node.rollup,
            &actor.principal,
            thread,
            duplicate,
        )),
    ))
}

/// A request, if the caller may read it.
async fn readable(node: &Node, who: &Principal, id: &str) -> Result<Thread, ApiError> {
    let t = node
        .store
        .explain()
        .thread(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(msg!("no_explanation", id = id)))?;
    access::explain_read(who, &node.rollup, &t.explanation)?;
    Ok(t)
}

async fn one(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<ExplanationOut>, ApiError> {
    let t = readable(&node, &who, &id).await?;
    Ok(Json(thread_out(&node.rollup, &who, t, false)))
}

async fn message(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ExplanationMessageIn>,
) -> Result<(StatusCode, Json<ExplanationOut>), ApiError> {
    client_id("id", &b.id)?;
    let body = text("text", &b.text, 4000)?;
    if b.attachments.len() > 10 {
        return Err(invalid("attachments", "at most 10 files"));
    }
    // Unknown or unreadable requests answer 404/403 here, before the writer is asked.
    readable(&node, &actor.principal, &id).await?;
    let write = ExplainWrite::Message(MessageIn {
        explanation: id,
        id: b.id,
        text: body,
        attachments: b
            .attachments
            .into_iter()
            .map(|sha256| FileRef {
                sha256,
                name: String::new(),
            })
            .collect(),
    });
    let (thread, duplicate) = node.writer.explain(write, &actor).await?;
    Ok((
        StatusCode::CREATED,
        Json(thread_out(
            &node.rollup,
            &actor.principal,
            thread,
            duplicate,
        )),
    ))
}

/// The requests a reader may see, by the query's filters.
pub async fn read_threads(
    node: &Node,
    who: &Principal,
    mut q: ExplainQuery,
    unit: Option<&str>,
    mine: bool,
) -> Result<Vec<Thread>, ApiError> {
    if !who.may_read() {
        return Err(ApiError::Forbidden(msg!("may_not_read")));
    }
    if mine {
        let me = who
            .person()
            .ok_or_else(|| ApiError::Forbidden(msg!("may_not_read")))?;
        q.person = Some(me.to_string());
    }
    let scope = crate::auth::visible_units(who, &node.rollup, unit)?;
    q.units = match scope {
        Scope::All => None,
        Scope::Units(_) if mine && unit.is_none() => None,
        Scope::Units(u) => Some(u.into_iter().collect()),
    };
    let threads = node.store.explain().threads(&q).await?;
    Ok(threads
        .into_iter()
        .filter(|t| access::explain_read(who, &node.rollup, &t.explanation).is_ok())
        .collect())
}

async fn list(
    State(node): State<Node>,
    who: Principal,
    Query(p): Query<ListQuery>,
) -> Result<Json<ExplanationList>, ApiError> {
    let subject_kind = match p.subject_kind.as_deref() {
        Some(k) => Some(
            SubjectKind::parse(k)
                .ok_or_else(|| invalid("subject_kind", "must be kpi, alert_group or task"))?,
        ),
        None => None,
    };
    let state = match p.state.as_deref() {
        Some(s) => Some(
            ExplainState::parse(s)
                .ok_or_else(|| invalid("state", "must be open, answered or overdue"))?,
        ),
        None => None,
    };
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(invalid("limit", "must be 1 to 500"));
    }
    let q = ExplainQuery {
        subject_kind,
        subject: p.subject,
        state,
        limit,
        ..Default::default()
    };
    let threads = read_threads(&node, &who, q, p.unit.as_deref(), p.mine.unwrap_or(false)).await?;
    Ok(Json(ExplanationList {
        explanations: threads
            .into_iter()
            .map(|t| thread_out(&node.rollup, &who, t, false))
            .collect(),
    }))
}

//! Task templates over HTTP (issue 18, recurring work): list and read the templates of the units
//! the caller sees, with each one's next instance; make and change them (a leader or admin over
//! the template's unit, people from the subtrees they lead) through the writer, which checks and
//! audits them. The instances are made by the writer on the clock's ticks
//! (`ingest/templates.rs`), not here.

use super::body::JsonBody;
use super::error::ApiError;
use super::ops::{Answer, Body, Kind, Operation, Param};
use crate::auth::{can_view, Actor, Principal, Target};
use crate::domain::template::{Every, TaskTemplate};
use crate::domain::time::format_ts;
use crate::ingest::templates::{due_period, TemplateIn, TemplatePatch, TemplateWrite};
use crate::rollup::Rollup;
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/task-templates", get(list).post(create))
        .route("/task-templates/{id}", get(one).put(change))
}

pub const OPERATIONS: &[Operation] = &[
    Operation::get(
        "/api/v1/task-templates",
        "Task templates (recurring work) of the units the caller sees, by unit then title, each with its next instance and the current period's task (?unit= those of a unit's subtree)",
        Answer::Array("TemplateOut"),
    )
    .params(&[Param::query(
        "unit",
        Kind::Text,
        "Only templates of this unit's subtree",
    )]),
    Operation::post(
        "/api/v1/task-templates",
        "Make a task template: a leader or admin over its unit, the R/A/C/I people from subtrees the caller leads (R inside the unit), a monthly, quarterly or weekly recurrence. Each period's task is made by the server's clock `lead_days` before its due day, with the id <template>-<period>; audited. A wrong field is named (422); 409 if the id exists.",
        Body::Json("TemplateIn"),
        Answer::Created("TemplateOut"),
    ),
    Operation::get(
        "/api/v1/task-templates/{id}",
        "A task template, with its next instance",
        Answer::Json("TemplateOut"),
    ),
    Operation::put(
        "/api/v1/task-templates/{id}",
        "Change a task template (the fields given; `paused` pauses or resumes it): a leader or admin over its unit, a `reason` for any change but a pause or resume; audited. Tasks already made are left as they are.",
        Body::Json("TemplatePatch"),
        Answer::Json("TemplateOut"),
    ),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    TemplateIn,
    TemplatePatch,
    TemplateOut,
    NextInstance,
    CurrentInstance,
    Every
)))]
pub struct Schemas;

/// A template as read.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateOut {
    pub id: String,
    pub unit: String,
    pub unit_name: String,
    pub title: String,
    pub expected_output: String,
    pub responsible: String,
    pub accountable: Option<String>,
    pub consulted: Vec<String>,
    pub informed: Vec<String>,
    /// The names of the people above, by id.
    pub names: BTreeMap<String, String>,
    pub key_result: Option<String>,
    pub every: Every,
    pub day: u8,
    pub lead_days: u16,
    pub active_from: Option<String>,
    pub active_until: Option<String>,
    pub paused: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// The next period whose task is still to be made; absent when paused or past its dates.
    pub next: Option<NextInstance>,
    /// The current period's task, when the template makes one now.
    pub current: Option<CurrentInstance>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NextInstance {
    /// `2026-12`, `2026-Q1`, `2026-W49`.
    pub period: String,
    /// The task's title: "Báo cáo tháng 12/2026".
    pub title: String,
    /// The due day (YYYY-MM-DD).
    pub due: String,
    /// When the task will be made (server clock).
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentInstance {
    pub period: String,
    pub task_id: String,
    /// Made already (false until the clock's next move makes it).
    pub made: bool,
    pub status: Option<crate::domain::TaskStatus>,
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    unit: Option<String>,
}

fn out(t: &TaskTemplate, rollup: &Rollup) -> TemplateOut {
    let now = rollup.now();
    let mut names = BTreeMap::new();
    let ids = std::iter::once(&t.responsible)
        .chain(t.accountable.iter())
        .chain(t.consulted.iter())
        .chain(t.informed.iter());
    for id in ids {
        let name = rollup.person(id).map_or_else(|| id.to_string(), |p| p.name);
        names.insert(id.to_string(), name);
    }
    let paused = t.paused;
    TemplateOut {
        id: t.id.to_string(),
        unit: t.unit.to_string(),
        unit_name: rollup
            .unit(&t.unit)
            .map_or_else(|| t.unit.to_string(), |u| u.name),
        title: t.title.clone(),
        expected_output: t.expected_output.clone(),
        responsible: t.responsible.to_string(),
        accountable: t.accountable.as_ref().map(|a| a.to_string()),
        consulted: t.consulted.iter().map(|c| c.to_string()).collect(),
        informed: t.informed.iter().map(|c| c.to_string()).collect(),
        names,
        key_result: t.key_result.as_ref().map(|k| k.to_string()),
        every: t.recurrence.every,
        day: t.recurrence.day,
        lead_days: t.recurrence.lead_days,
        active_from: t.active_from.map(|d| d.to_string()),
        active_until: t.active_until.map(|d| d.to_string()),
        paused,
        created_by: t.created_by.clone(),
        created_at: format_ts(t.created_at),
        updated_at: format_ts(t.updated_at),
        next: (!paused)
            .then(|| t.upcoming(now))
            .flatten()
            .map(|(o, at)| NextInstance {
                title: t.instance_title(&o),
                due: o.due.to_string(),
                created_at: format_ts(at),
                period: o.label,
            }),
        current: due_period(t, now).map(|o| {
            let task_id = t.instance_id(&o);
            let status = rollup.with_task(&task_id, |k| k.status);
            CurrentInstance {
                period: o.label,
                made: status.is_some(),
                status,
                task_id,
            }
        }),
    }
}

/// Templates are managed by people: a token makes none.
fn person_only(who: &Principal) -> Result<(), ApiError> {
    match who {
        Principal::Token(_) => Err(ApiError::Forbidden(crate::msg!("templates_by_people"))),
        _ => Ok(()),
    }
}

async fn list(
    State(node): State<Node>,
    who: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<TemplateOut>>, ApiError> {
    let rollup = &node.rollup;
    if let Some(u) = q.unit.as_deref() {
        can_view(&who, rollup, Target::Unit(u))?;
    } else if !who.may_read() {
        return Err(ApiError::Forbidden(crate::msg!("may_not_read")));
    }
    let mut found: Vec<TemplateOut> = node
        .store
        .templates()
        .await?
        .iter()
        .filter(|t| can_view(&who, rollup, Target::Unit(&t.unit)).is_ok())
        .filter(|t| {
            q.unit
                .as_deref()
                .is_none_or(|u| rollup.ancestors(&t.unit).iter().any(|a| &**a == u))
        })
        .map(|t| out(t, rollup))
        .collect();
    found.sort_by(|a, b| (&a.unit_name, &a.title, &a.id).cmp(&(&b.unit_name, &b.title, &b.id)));
    Ok(Json(found))
}

async fn find(node: &Node, who: &Principal, id: &str) -> Result<TaskTemplate, ApiError> {
    let t = node
        .store
        .templates()
        .await?
        .into_iter()
        .find(|t| &*t.id == id)
        .ok_or_else(|| ApiError::NotFound(crate::msg!("template_not_found", id = id)))?;
    can_view(who, &node.rollup, Target::Unit(&t.unit))?;
    Ok(t)
}

async fn one(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<TemplateOut>, ApiError> {
    let t = find(&node, &who, &id).await?;
    Ok(Json(out(&t, &node.rollup)))
}

async fn create(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(body): JsonBody<TemplateIn>,
) -> Result<(StatusCode, Json<TemplateOut>), ApiError> {
    person_only(&actor.principal)?;
    let t = node
        .writer
        .template(TemplateWrite::Create(body), &actor)
        .await?;
    Ok((StatusCode::CREATED, Json(out(&t, &node.rollup))))
}

async fn change(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<TemplatePatch>,
) -> Result<Json<TemplateOut>, ApiError> {
    person_only(&actor.principal)?;
    find(&node, &actor.principal, &id).await?;
    let t = node
        .writer
        .template(TemplateWrite::Change { id, patch }, &actor)
        .await?;
    Ok(Json(out(&t, &node.rollup)))
}

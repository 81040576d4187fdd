//! Officials' own work over HTTP: the signed-in person's tasks by role (`/me/tasks`), the
//! submissions waiting on them as acceptor (`/me/acceptance`), the people a leader may assign
//! (`/me/people`), and a task's history (`/tasks/{id}/history`) read from the event log. Every
//! write these pages make goes through `POST /api/v1/events`, as integrations' do.

use super::error::ApiError;
use super::ops::{Answer, Kind, Operation, Param};
use crate::auth::{access, can_view, Principal, Role, Target};
use crate::domain::time::format_ts;
use crate::domain::{Task, TaskStatus};
use crate::rollup::lists::PersonRef;
use crate::rollup::view::UnitRef;
use crate::rollup::work::{roles, Need};
use crate::rollup::Rollup;
use crate::store::EventRecord;
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/me/tasks", get(my_tasks))
        .route("/me/acceptance", get(my_acceptance))
        .route("/me/people", get(my_people))
        .route("/tasks/{id}/history", get(history))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::get(
        "/api/v1/me/tasks",
        "My work: the tasks naming the signed-in person (R, A, C, I), most pressing first: returned (with the reason), overdue, due within 7 days, open, waiting on the acceptor, then the 20 newest done. 403 for an account linked to no person or a token.",
        Answer::Json("MyWork"),
    ),
    Operation::get(
        "/api/v1/me/acceptance",
        "The acceptance queue: submitted tasks the caller decides (their accountable person; a leader over the unit when none is named; never their own), oldest submission first, each with its output and files",
        Answer::Json("AcceptanceQueue"),
    ),
    Operation::get(
        "/api/v1/me/people",
        "People the caller may assign work to (in the subtrees they lead), matched by name, id or position without regard to case or Vietnamese diacritics; at most 20",
        Answer::Array("PersonPick"),
    )
    .params(&[Param::query(
        "q",
        Kind::Text,
        "Words to match (empty: the first 20 by name)",
    )]),
    Operation::get(
        "/api/v1/tasks/{id}/history",
        "A task's history, oldest first: every change as logged, who made it, and the words and files that came with it (notes, outputs, comments, reasons)",
        Answer::Array("TaskHistoryEntry"),
    ),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    MyWork,
    MyTask,
    Need,
    AcceptanceQueue,
    WaitingTask,
    Submission,
    PersonPick,
    TaskHistoryEntry,
    crate::ingest::event::AttachmentRefIn
)))]
pub struct Schemas;

/// The signed-in person's work.
#[derive(Serialize, ToSchema)]
pub struct MyWork {
    pub person: PersonRef,
    pub unit: Option<UnitRef>,
    /// The server's clock (RFC 3339): what "overdue" and "due soon" are judged against.
    pub now: String,
    /// Whether the caller leads a unit (may assign work): the pages show the assign link.
    pub leads: bool,
    pub tasks: Vec<MyTask>,
}

#[derive(Serialize, ToSchema)]
pub struct MyTask {
    pub id: String,
    pub title: String,
    pub unit: Option<UnitRef>,
    /// The person's roles on it, in RACI order: `R`, `A`, `C`, `I`.
    pub roles: Vec<&'static str>,
    pub need: Need,
    pub status: TaskStatus,
    /// Percent, 0..100.
    pub progress: f64,
    pub start: Option<String>,
    pub deadline: String,
    pub expected_output: String,
    pub overdue: bool,
    pub quality: Option<f64>,
    pub responsible: PersonRef,
    pub accountable: Option<PersonRef>,
    pub key_result: Option<String>,
    pub submitted_at: Option<String>,
    /// The last return's reason and comment, while the task is returned.
    pub returned: Option<Submission>,
}

/// Submitted tasks waiting on the caller's decision.
#[derive(Serialize, ToSchema)]
pub struct AcceptanceQueue {
    pub now: String,
    pub tasks: Vec<WaitingTask>,
}

#[derive(Serialize, ToSchema)]
pub struct WaitingTask {
    pub id: String,
    pub title: String,
    pub unit: Option<UnitRef>,
    pub responsible: PersonRef,
    pub deadline: String,
    pub expected_output: String,
    /// Percent, 0..100.
    pub progress: f64,
    pub submitted_at: Option<String>,
    /// Submitted after the deadline.
    pub late: bool,
    /// The latest submission's words, link and files.
    pub submission: Option<Submission>,
}

/// What came with one change: by whom, when, and the words and files sent.
#[derive(Serialize, ToSchema, Default)]
pub struct Submission {
    pub at: String,
    /// The person (or account, or integration) who sent it, by name.
    pub by: String,
    pub note: Option<String>,
    pub output: Option<String>,
    pub link: Option<String>,
    pub attachments: Vec<crate::ingest::event::AttachmentRefIn>,
    pub comment: Option<String>,
    pub reason: Option<String>,
    pub quality: Option<f64>,
}

/// A person a leader may name on a task.
#[derive(Serialize, ToSchema)]
pub struct PersonPick {
    pub id: String,
    pub name: String,
    pub position: String,
    pub unit: Option<UnitRef>,
}

/// One logged change of a task.
#[derive(Serialize, ToSchema)]
pub struct TaskHistoryEntry {
    /// When it happened at the source.
    pub at: String,
    /// When the server received it.
    pub received_at: String,
    pub by: String,
    /// The fields the event carried (status, progress, deadline, responsible, note, output,
    /// comment, reason, attachments...), as sent.
    pub fields: Value,
    /// The people the fields name, by id: their names.
    pub people: std::collections::BTreeMap<String, String>,
}

fn person_ref(rollup: &Rollup, id: &str) -> PersonRef {
    PersonRef {
        id: id.to_string(),
        name: rollup.person(id).map_or_else(|| id.to_string(), |p| p.name),
    }
}

/// Who sent a logged event, as a person reads it: the linked person's name, else the account's
/// or the token's name.
fn sender(node: &Node, source: &str) -> String {
    if let Some(id) = source.strip_prefix("account:") {
        if let Some(a) = node.auth.account(id) {
            return match a.person.as_ref().and_then(|p| node.rollup.person(p)) {
                Some(p) => p.name,
                None => a.name.clone(),
            };
        }
    }
    if let Some(id) = source.strip_prefix("token:") {
        if let Some(t) = node.auth.token(id) {
            return t.name.clone();
        }
    }
    source.to_string()
}

fn submission_of(node: &Node, e: &EventRecord, body: &Value) -> Submission {
    let text = |k: &str| body[k].as_str().map(String::from);
    Submission {
        at: format_ts(e.at),
        by: sender(node, &e.source),
        note: text("note"),
        output: text("output"),
        link: text("link"),
        attachments: serde_json::from_value(body["attachments"].clone()).unwrap_or_default(),
        comment: text("comment"),
        reason: text("reason"),
        quality: body["quality"].as_f64(),
    }
}

/// The newest logged event of each task whose status is `status`, with what came with it.
async fn latest_with_status(
    node: &Node,
    tasks: &[&Task],
    status: &str,
) -> Result<HashMap<String, Submission>, ApiError> {
    if tasks.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = tasks.iter().map(|t| t.id.to_string()).collect();
    let mut out = HashMap::new();
    for e in node.store.events_of("task", &ids).await? {
        let Ok(body) = serde_json::from_str::<Value>(&e.body) else {
            continue;
        };
        if body["status"].as_str() == Some(status) {
            // Oldest first: the last one kept is the newest.
            out.insert(e.entity.clone(), submission_of(node, &e, &body));
        }
    }
    Ok(out)
}

fn own_person(who: &Principal) -> Result<crate::domain::Id, ApiError> {
    who.person()
        .cloned()
        .ok_or_else(|| ApiError::Forbidden(crate::msg!("no_person_linked")))
}

async fn my_tasks(State(node): State<Node>, who: Principal) -> Result<Json<MyWork>, ApiError> {
    let me = own_person(&who)?;
    let rollup = &node.rollup;
    let now = rollup.now();
    let work = rollup.work_of(&me);
    let returned: Vec<&Task> = work
        .iter()
        .filter(|(_, n)| *n == Need::Returned)
        .map(|(t, _)| t)
        .collect();
    let mut reasons = latest_with_status(&node, &returned, "returned").await?;
    let leads = who.holds_anywhere(Role::Leader);
    let tasks = work
        .iter()
        .map(|(t, need)| MyTask {
            id: t.id.to_string(),
            title: t.title.clone(),
            unit: rollup.unit_ref(&t.unit),
            roles: roles(t, &me),
            need: *need,
            status: t.status,
            progress: t.progress as f64 / 100.0,
            start: t.start.map(format_ts),
            deadline: format_ts(t.deadline),
            expected_output: t.expected_output.clone(),
            overdue: t.is_overdue(now),
            quality: t.quality,
            responsible: person_ref(rollup, &t.responsible),
            accountable: t.accountable.as_ref().map(|a| person_ref(rollup, a)),
            key_result: t.key_result.as_ref().map(|k| k.to_string()),
            submitted_at: t.submitted_at.map(format_ts),
            returned: reasons.remove(&*t.id),
        })
        .collect();
    Ok(Json(MyWork {
        person: person_ref(rollup, &me),
        unit: rollup.person(&me).and_then(|p| rollup.unit_ref(&p.unit)),
        now: format_ts(now),
        leads,
        tasks,
    }))
}

async fn my_acceptance(
    State(node): State<Node>,
    who: Principal,
) -> Result<Json<AcceptanceQueue>, ApiError> {
    if !matches!(who, Principal::Account { .. }) {
        return Err(ApiError::Forbidden(crate::msg!("acceptance_by_people")));
    }
    let rollup = &node.rollup;
    // The same rule the writer asks when the acceptance arrives: whoever it lets accept.
    let mut waiting = rollup.submitted_tasks();
    waiting.retain(|t| {
        let mut after = t.clone();
        after.status = TaskStatus::Accepted;
        let touch = access::TaskTouch {
            status: Some(TaskStatus::Accepted),
            quality: true,
            ..Default::default()
        };
        access::task_change(&who, rollup, Some(t), &after, touch).is_ok()
    });
    let refs: Vec<&Task> = waiting.iter().collect();
    let mut subs = latest_with_status(&node, &refs, "submitted").await?;
    let tasks = waiting
        .iter()
        .map(|t| WaitingTask {
            id: t.id.to_string(),
            title: t.title.clone(),
            unit: rollup.unit_ref(&t.unit),
            responsible: person_ref(rollup, &t.responsible),
            deadline: format_ts(t.deadline),
            expected_output: t.expected_output.clone(),
            progress: t.progress as f64 / 100.0,
            submitted_at: t.submitted_at.map(format_ts),
            late: t.submitted_at.is_some_and(|s| s > t.deadline),
            submission: subs.remove(&*t.id),
        })
        .collect();
    Ok(Json(AcceptanceQueue {
        now: format_ts(rollup.now()),
        tasks,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeopleQuery {
    #[serde(default)]
    q: String,
}

async fn my_people(
    State(node): State<Node>,
    who: Principal,
    Query(q): Query<PeopleQuery>,
) -> Result<Json<Vec<PersonPick>>, ApiError> {
    if !who.holds_anywhere(Role::Leader) {
        return Err(ApiError::Forbidden(crate::msg!("assign_by_leaders")));
    }
    let rollup = &node.rollup;
    let words: Vec<String> = crate::i18n::folded(&q.q)
        .split_whitespace()
        .map(String::from)
        .collect();
    let mut found: Vec<PersonPick> = rollup
        .people()
        .into_iter()
        .filter(|p| who.holds(rollup, &p.unit, &[Role::Leader]))
        .filter(|p| {
            let hay = crate::i18n::folded(&format!("{} {} {}", p.name, p.id, p.position));
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .map(|p| PersonPick {
            id: p.id.to_string(),
            name: p.name.clone(),
            position: p.position.clone(),
            unit: rollup.unit_ref(&p.unit),
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    found.truncate(20);
    Ok(Json(found))
}

async fn history(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Vec<TaskHistoryEntry>>, ApiError> {
    let t = node
        .rollup
        .task(&id)
        .ok_or_else(|| ApiError::NotFound(crate::msg!("no_task", task = id.as_str())))?;
    can_view(&who, &node.rollup, Target::Task(&t))?;
    let events = node
        .store
        .events_of("task", std::slice::from_ref(&id))
        .await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| {
                let mut fields = serde_json::from_str::<Value>(&e.body).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut fields {
                    for k in ["type", "id", "at", "task_id"] {
                        m.remove(k);
                    }
                }
                let mut people = std::collections::BTreeMap::new();
                for k in ["responsible", "accountable", "consulted", "informed"] {
                    let ids: Vec<&str> = match &fields[k] {
                        Value::String(s) => vec![s.as_str()],
                        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                        _ => vec![],
                    };
                    for id in ids {
                        people.insert(id.to_string(), person_ref(&node.rollup, id).name);
                    }
                }
                TaskHistoryEntry {
                    people,
                    at: format_ts(e.at),
                    received_at: format_ts(e.received_at),
                    by: sender(&node, &e.source),
                    fields,
                }
            })
            .collect(),
    ))
}

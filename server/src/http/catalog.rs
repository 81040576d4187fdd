//! REST for the catalog: units, people, KPIs, objectives and key results (list, create, read,
//! replace), and tasks (read, create or change through the same path as ingested events).

use super::body::JsonBody;
use super::error::ApiError;
use crate::auth::{can_view, Actor, Principal, Scope, Target};
use crate::domain::time::{format_ts, now_ms};
use crate::domain::{Task, TaskStatus};
use crate::ingest::catalog::{CatalogItem, KeyResultIn, KpiIn, ObjectiveIn, PersonIn, UnitIn};
use crate::ingest::event::parse_event;
use crate::ingest::writer::IngestReport;
use crate::ingest::ItemError;
use crate::rollup::Rollup;
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/units", get(list::<UnitIn>).post(create::<UnitIn>))
        .route("/units/{id}", get(read::<UnitIn>).put(replace::<UnitIn>))
        .route("/people", get(list::<PersonIn>).post(create::<PersonIn>))
        .route(
            "/people/{id}",
            get(read::<PersonIn>).put(replace::<PersonIn>),
        )
        .route("/kpis", get(list::<KpiIn>).post(create::<KpiIn>))
        .route("/kpis/{id}", get(read::<KpiIn>).put(replace::<KpiIn>))
        .route(
            "/objectives",
            get(list::<ObjectiveIn>).post(create::<ObjectiveIn>),
        )
        .route(
            "/objectives/{id}",
            get(read::<ObjectiveIn>).put(replace::<ObjectiveIn>),
        )
        .route(
            "/key-results",
            get(list::<KeyResultIn>).post(create::<KeyResultIn>),
        )
        .route(
            "/key-results/{id}",
            get(read::<KeyResultIn>).put(replace::<KeyResultIn>),
        )
        .route("/tasks/{id}", get(task).put(change_task))
}

/// What the generic catalog handlers need of each kind of entry.
pub trait Entry: Serialize + DeserializeOwned + Send + 'static {
    const KIND: &'static str;
    fn id(&self) -> &str;
    fn validate(&self) -> Result<CatalogItem, ItemError>;
    fn get(rollup: &Rollup, id: &str) -> Option<Self>;
    fn all(rollup: &Rollup) -> Vec<Self>;
    /// For `?unit=` filtering of lists.
    fn unit(&self) -> Option<&str>;
    /// The units whose viewers may see the entry (any one of them suffices).
    fn homes(&self, rollup: &Rollup) -> Vec<String>;
}

macro_rules! entry {
    ($t:ty, $kind:literal, $id:ident, $validate:expr, $get:expr, $all:expr, $unit:expr, $homes:expr) => {
        impl Entry for $t {
            const KIND: &'static str = $kind;
            fn id(&self) -> &str {
                &self.$id
            }
            fn validate(&self) -> Result<CatalogItem, ItemError> {
                $validate(self)
            }
            fn get(rollup: &Rollup, id: &str) -> Option<Self> {
                $get(rollup, id).as_ref().map(Self::from)
            }
            fn all(rollup: &Rollup) -> Vec<Self> {
                $all(rollup).iter().map(Self::from).collect()
            }
            fn unit(&self) -> Option<&str> {
                let f: fn(&Self) -> Option<&str> = $unit;
                f(self)
            }
            fn homes(&self, rollup: &Rollup) -> Vec<String> {
                let f: fn(&Self, &Rollup) -> Vec<String> = $homes;
                f(self, rollup)
            }
        }
    };
}

entry!(
    UnitIn,
    "unit",
    id,
    UnitIn::validate,
    Rollup::unit,
    Rollup::units,
    |u: &UnitIn| u.parent.as_deref(),
    |u: &UnitIn, _: &Rollup| vec![u.id.clone()]
);
entry!(
    PersonIn,
    "person",
    id,
    PersonIn::validate,
    Rollup::person,
    Rollup::people,
    |p: &PersonIn| Some(p.unit.as_str()),
    |p: &PersonIn, _: &Rollup| vec![p.unit.clone()]
);
entry!(
    KpiIn,
    "KPI",
    code,
    KpiIn::validate,
    Rollup::kpi,
    Rollup::kpis,
    |k: &KpiIn| Some(k.leading_unit.as_str()),
    // A KPI is seen by its leading unit and by every unit measured on it or helping with it.
    |k: &KpiIn, _: &Rollup| std::iter::once(&k.leading_unit)
        .chain(&k.coordinating_units)
        .chain(&k.measured_units)
        .cloned()
        .collect()
);
entry!(
    ObjectiveIn,
    "objective",
    id,
    ObjectiveIn::validate,
    Rollup::objective,
    Rollup::objectives,
    |o: &ObjectiveIn| Some(o.unit.as_str()),
    |o: &ObjectiveIn, _: &Rollup| vec![o.unit.clone()]
);
entry!(
    KeyResultIn,
    "key result",
    id,
    KeyResultIn::validate,
    Rollup::key_result,
    Rollup::key_results,
    |_: &KeyResultIn| None,
    |k: &KeyResultIn, r: &Rollup| r
        .objective(&k.objective)
        .map(|o| vec![o.unit.to_string()])
        .unwrap_or_default()
);

#[derive(Deserialize)]
pub struct ListQuery {
    /// Only entries of this unit (for units: children of it).
    unit: Option<String>,
    #[serde(default = "default_limit")]
    limit: usize,
    #[serde(default)]
    offset: usize,
}

fn default_limit() -> usize {
    1000
}

#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub total: usize,
    pub items: Vec<T>,
}

/// Lists entries the caller may see (`total` counts those only).
async fn list<T: Entry>(
    State(node): State<Node>,
    who: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<T>>, ApiError> {
    if q.limit > 10_000 {
        return Err(ApiError::BadRequest("limit must be at most 10000".into()));
    }
    let mut all = T::all(&node.rollup);
    if let Scope::Units(scope) = who.scope(&node.rollup) {
        all.retain(|e| e.homes(&node.rollup).iter().any(|u| scope.contains(u)));
    }
    if let Some(unit) = &q.unit {
        all.retain(|e| e.unit() == Some(unit.as_str()));
    }
    all.sort_by(|a, b| a.id().cmp(b.id()));
    let total = all.len();
    let items = all.into_iter().skip(q.offset).take(q.limit).collect();
    Ok(Json(Page { total, items }))
}

async fn read<T: Entry>(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<T>, ApiError> {
    let entry = T::get(&node.rollup, &id)
        .ok_or_else(|| ApiError::NotFound(format!("no {} '{id}'", T::KIND).into()))?;
    // Seen if any of its units is in scope; otherwise the first refusal says why.
    let verdicts: Vec<_> = entry
        .homes(&node.rollup)
        .iter()
        .map(|u| can_view(&who, &node.rollup, Target::Unit(u)))
        .collect();
    if !verdicts.iter().any(Result::is_ok) && !matches!(who.scope(&node.rollup), Scope::All) {
        let reason = verdicts
            .into_iter()
            .find_map(Result::err)
            .unwrap_or_else(|| {
                crate::auth::Denied::Forbidden(crate::msg!(
                    "entry_outside_scope",
                    kind = T::KIND,
                    id = id.as_str()
                ))
            });
        return Err(reason.into());
    }
    Ok(Json(entry))
}

async fn create<T: Entry>(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(entry): JsonBody<T>,
) -> Result<(StatusCode, Json<T>), ApiError> {
    let item = entry.validate()?;
    node.writer.create(vec![item], &actor).await?;
    let stored = T::get(&node.rollup, entry.id())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("entry vanished after commit")))?;
    Ok((StatusCode::CREATED, Json(stored)))
}

async fn replace<T: Entry>(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(entry): JsonBody<T>,
) -> Result<Json<T>, ApiError> {
    if entry.id() != id {
        return Err(ApiError::Invalid(ItemError::new(
            "id",
            format!("'{}' differs from the id in the path '{id}'", entry.id()),
        )));
    }
    let item = entry.validate()?;
    node.writer.catalog(vec![item], &actor).await?;
    T::get(&node.rollup, &id)
        .map(Json)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("entry vanished after commit")))
}

#[derive(Serialize, ToSchema)]
pub struct TaskOut {
    pub id: String,
    pub title: String,
    pub unit: String,
    pub responsible: String,
    pub accountable: Option<String>,
    pub consulted: Vec<String>,
    pub informed: Vec<String>,
    pub key_result: Option<String>,
    pub start: Option<String>,
    pub deadline: String,
    pub expected_output: String,
    /// Percent, 0..100.
    pub progress: f64,
    pub status: TaskStatus,
    pub quality: Option<f64>,
    pub submitted_at: Option<String>,
    pub done_at: Option<String>,
    pub overdue: bool,
}

pub(super) fn task_out(t: &Task, now: i64) -> TaskOut {
    let ids = |xs: &[crate::domain::Id]| xs.iter().map(|x| x.to_string()).collect();
    TaskOut {
        id: t.id.to_string(),
        title: t.title.clone(),
        unit: t.unit.to_string(),
        responsible: t.responsible.to_string(),
        accountable: t.accountable.as_ref().map(|x| x.to_string()),
        consulted: ids(&t.consulted),
        informed: ids(&t.informed),
        key_result: t.key_result.as_ref().map(|x| x.to_string()),
        start: t.start.map(format_ts),
        deadline: format_ts(t.deadline),
        expected_output: t.expected_output.clone(),
        progress: t.progress as f64 / 100.0,
        status: t.status,
        quality: t.quality,
        submitted_at: t.submitted_at.map(format_ts),
        done_at: t.done_at.map(format_ts),
        overdue: t.is_overdue(now),
    }
}

/// A task: seen by its unit's viewers and by the people it names (R, A, C, I).
async fn task(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<TaskOut>, ApiError> {
    let t = node
        .rollup
        .task(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no task '{id}'").into()))?;
    can_view(&who, &node.rollup, Target::Task(&t))?;
    Ok(Json(task_out(&t, node.rollup.now())))
}

/// Creates or changes a task: the body is a task event's fields without `task_id` (taken from
/// the path); `id` and `at` default to a generated id and the current time.
async fn change_task(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<IngestReport>, ApiError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let mut body = body;
    if body.contains_key("task_id") || body.contains_key("type") {
        return Err(ApiError::Invalid(ItemError::new(
            "task_id",
            "comes from the path; leave task_id and type out of the body",
        )));
    }
    body.insert("type".into(), "task".into());
    body.insert("task_id".into(), id.clone().into());
    let now = now_ms();
    body.entry("at").or_insert_with(|| format_ts(now).into());
    body.entry("id").or_insert_with(|| {
        format!("rest:{id}:{now}:{}", SEQ.fetch_add(1, Ordering::Relaxed)).into()
    });
    let event = parse_event(serde_json::Value::Object(body))?;
    Ok(Json(node.writer.ingest(vec![event], &actor).await?))
}

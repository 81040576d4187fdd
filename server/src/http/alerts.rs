//! Alerts over REST: the alert center of a unit (its one count and its groups, a group's alerts),
//! the active alerts of a subtree (filtered by severity, index group, rule), the history of a
//! unit, a KPI or one alert, and what people do: acknowledge, assign, silence, reload the rules.
//! Actions go through the writer, so they are ordered and recorded.

use super::body::JsonBody;
use super::error::ApiError;
use super::ops::{Answer, Body, Kind, Operation, Param};
use crate::alerting::actions::{AlertAction, AlertError};
use crate::alerting::{wire_name, AlertGroupsOut, AlertOut, GroupPage};
use crate::auth::{access, can_view, visible_units, Actor, Principal, Role, Scope, Target};
use crate::domain::time::{format_ts, parse_ts};
use crate::ingest::ItemError;
use crate::store::{HistoryQuery, SilenceRow};
use crate::Node;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/alerts", get(active))
        .route("/alerts/groups", get(groups))
        .route("/alerts/group", get(group))
        .route("/alerts/history", get(history))
        .route("/alerts/ack", post(acknowledge))
        .route("/alerts/assign", post(assign))
        .route("/silences", get(silences).post(silence))
        .route("/rules", get(rules))
        .route("/rules/reload", post(reload))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/alerts", "Live alerts in the caller's scope, red first, newest first", Answer::Array("AlertOut")).params(&[
        Param::query("unit", Kind::Text, "Alerts of this unit's subtree (default: everything in scope)"),
        Param::query("severity", Kind::OneOf(&["yellow", "red"]), "Only this severity"),
        Param::query("group", Kind::OneOf(&["development", "service", "party", "internal"]), "Index group of KPI alerts"),
        Param::query("rule", Kind::Text, "Only this rule's alerts"),
        Param::query("state", Kind::OneOf(&["pending", "firing"]), "Only this state (default both)"),
        Param::query("silenced", Kind::Bool, "false leaves silenced alerts out (default: included, flagged)"),
    ]),
    Operation::get("/api/v1/alerts/groups", "A unit's alert center: the one alert count of its screens and its alerts grouped by unit (one level down) and rule, ranked red first, oldest first; alerts held back by an inhibition count in the group of the alert that holds them", Answer::Json("AlertGroupsOut")).params(&[
        Param::query("unit", Kind::Text, "The unit whose screen is read (default: the root of the tree when the caller sees it, else the unit of its first grant)"),
        Param::query("severity", Kind::OneOf(&["yellow", "red"]), "Only groups whose worst severity is this"),
        Param::query("state", Kind::OneOf(&["pending", "firing"]), "Only groups in this state (firing: any of its alerts fires)"),
        Param::query("order", Kind::OneOf(&["rank", "newest"]), "rank (default): red first, then the oldest trouble, then the furthest past the threshold; newest: the group whose alert fired last first"),
        Param::query("limit", Kind::Int(0, 5000), "At most this many groups (default 200)"),
        Param::query("offset", Kind::Int(0, i64::MAX), "Skip this many groups first"),
    ]),
    Operation::get("/api/v1/alerts/group", "One group of a unit's alert center and a page of its alerts: its own in rank order, then those it holds back (with held_by)", Answer::Json("GroupPage")).params(&[
        Param::query("unit", Kind::Text, "The unit whose screen the group is on (default as for /alerts/groups)"),
        Param::query("key", Kind::Text, "The group's key, as in /alerts/groups (default: the unit's first group in rank order)"),
        Param::query("limit", Kind::Int(1, 1000), "At most this many alerts (default 50)"),
        Param::query("offset", Kind::Int(0, i64::MAX), "Skip this many alerts first"),
    ]),
    Operation::get("/api/v1/alerts/history", "Alert history, newest first, within the caller's scope", Answer::Array("HistoryEntry")).params(&[
        Param::query("unit", Kind::Text, "History of this unit's subtree"),
        Param::query("kpi", Kind::Text, "History of this KPI's series (with unit: that unit's series only)"),
        Param::query("rule", Kind::Text, "Only this rule"),
        Param::query("subject", Kind::Text, "Only this subject (a unit id, KPI@unit, a key-result or task id)"),
        Param::query("before", Kind::Int(i64::MIN, i64::MAX), "Entries before this seq (paging)"),
        Param::query("limit", Kind::Int(1, 5000), "At most this many entries (default 200)"),
    ]),
    Operation::post("/api/v1/alerts/ack", "Acknowledge a live alert as the signed-in person (a leader of its unit)", Body::Json("AckIn"), Answer::NoContent),
    Operation::post("/api/v1/alerts/assign", "Assign a live alert to a person (a leader of its unit)", Body::Json("AssignIn"), Answer::NoContent),
    Operation::get("/api/v1/silences", "Silences in force in the caller's scope, and those without a unit", Answer::Array("SilenceOut")),
    Operation::post("/api/v1/silences", "Mute a rule and/or a unit's subtree until a time, at most 90 days ahead (a leader of the unit; without a unit, of the whole tree)", Body::Json("SilenceIn"), Answer::Created("SilenceOut")),
    Operation::get("/api/v1/rules", "The rules running now and the files they come from", Answer::Json("RulesOut")),
    Operation::post("/api/v1/rules/reload", "Reload the rule files (admin of the whole tree); a bad file is refused with all its errors (422) and the running rules stay", Body::None, Answer::Json("ReloadOut")),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    AlertOut,
    crate::alerting::HeldBy,
    crate::alerting::PersonRef,
    AlertGroupsOut,
    crate::alerting::AlertGroup,
    crate::alerting::GroupCount,
    crate::alerting::HeldCount,
    crate::alerting::PersonCount,
    crate::rollup::view::AlertCount,
    GroupPage,
    HistoryEntry,
    AckIn,
    AssignIn,
    SilenceIn,
    SilenceOut
)))]
pub struct Schemas;

impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::NotFound(m) => ApiError::NotFound(m.into()),
            AlertError::Disabled => ApiError::Conflict(e.to_string().into()),
            AlertError::Store(s) => ApiError::Unavailable(s.into()),
            AlertError::Closed => ApiError::Unavailable(anyhow::anyhow!("the writer has stopped")),
        }
    }
}

#[derive(Deserialize)]
pub struct ActiveQuery {
    /// Alerts of this unit's subtree (default: everything).
    unit: Option<String>,
    severity: Option<String>,
    /// Index group of KPI alerts: development, service, party, internal.
    group: Option<String>,
    rule: Option<String>,
    /// pending or firing (default: both).
    state: Option<String>,
    /// Include silenced alerts (default: true; they are flagged).
    silenced: Option<bool>,
}

async fn active(
    State(node): State<Node>,
    who: Principal,
    Query(q): Query<ActiveQuery>,
) -> Result<Json<Vec<AlertOut>>, ApiError> {
    let visible = visible_units(&who, &node.rollup, q.unit.as_deref())?;
    let out = node.alerts.list(&node.rollup, |a| {
        q.rule.as_ref().is_none_or(|r| &a.engine.rule == r)
            && q.severity
                .as_ref()
                .is_none_or(|s| &wire_name(&a.engine.severity) == s)
            && q.state
                .as_ref()
                .is_none_or(|s| &wire_name(&a.engine.state) == s)
            && q.group
                .as_ref()
                .is_none_or(|g| a.labels.get("group") == Some(g))
            && visible.contains(&a.engine.unit)
    });
    Ok(Json(
        out.into_iter()
            .filter(|a| q.silenced.unwrap_or(true) || !a.silenced)
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct GroupsQuery {
    unit: Option<String>,
    severity: Option<String>,
    state: Option<String>,
    order: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// The unit a screen of alerts is read for: given (or the caller's home unit), known, and in
/// the caller's scope.
fn screen_unit(node: &Node, who: &Principal, unit: Option<&str>) -> Result<String, ApiError> {
    let home = who.home_unit(&node.rollup);
    let unit = unit.or(home.as_deref()).ok_or_else(|| {
        ApiError::Malformed(ItemError::new(
            "unit",
            "missing: name the unit whose alerts to read (?unit=)",
        ))
    })?;
    if node.rollup.unit(unit).is_none() {
        return Err(ApiError::NotFound(format!("no unit '{unit}'").into()));
    }
    can_view(who, &node.rollup, Target::Unit(unit))?;
    Ok(unit.to_string())
}

fn bounded(
    name: &str,
    v: Option<i64>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<usize, ApiError> {
    let v = v.unwrap_or(default);
    if !range.contains(&v) {
        return Err(ApiError::Invalid(ItemError::new(
            name,
            format!("must be between {} and {}", range.start(), range.end()),
        )));
    }
    Ok(v as usize)
}

fn one_of(name: &str, v: Option<&str>, words: &[&str]) -> Result<(), ApiError> {
    match v {
        Some(w) if !words.contains(&w) => Err(ApiError::Invalid(ItemError::new(
            name,
            format!("unknown value '{w}'; one of: {}", words.join(", ")),
        ))),
        _ => Ok(()),
    }
}

/// A unit's alert center: its one count and its groups, ranked (or newest first), filtered
/// and paged; the count is the whole screen's whatever the filter.
async fn groups(
    State(node): State<Node>,
    who: Principal,
    Query(q): Query<GroupsQuery>,
) -> Result<Json<AlertGroupsOut>, ApiError> {
    let unit = screen_unit(&node, &who, q.unit.as_deref())?;
    one_of("severity", q.severity.as_deref(), &["yellow", "red"])?;
    one_of("state", q.state.as_deref(), &["pending", "firing"])?;
    one_of("order", q.order.as_deref(), &["rank", "newest"])?;
    let limit = bounded("limit", q.limit, 200, 0..=5000)?;
    let offset = bounded("offset", q.offset, 0, 0..=i64::MAX)?;
    let mut out = node
        .alerts
        .groups(&node.rollup, &unit, true)
        .ok_or_else(|| ApiError::NotFound(format!("no unit '{unit}'").into()))?;
    out.groups.retain(|g| {
        q.severity.as_ref().is_none_or(|s| &g.severity == s)
            && q.state.as_ref().is_none_or(|s| &g.state == s)
    });
    if q.order.as_deref() == Some("newest") {
        // Newest firing first; groups that never fired (pending) last.
        out.groups
            .sort_by(|a, b| b.newest.cmp(&a.newest).then_with(|| a.key.cmp(&b.key)));
    }
    out.total_groups = out.groups.len() as u32;
    out.groups = out.groups.into_iter().skip(offset).take(limit).collect();
    Ok(Json(out))
}

#[derive(Deserialize)]
pub struct GroupQuery {
    unit: Option<String>,
    key: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// One group of a unit's alert center with a page of its alerts.
async fn group(
    State(node): State<Node>,
    who: Principal,
    Query(q): Query<GroupQuery>,
) -> Result<Json<GroupPage>, ApiError> {
    let unit = screen_unit(&node, &who, q.unit.as_deref())?;
    let key = match q.key {
        Some(k) => k,
        None => node
            .alerts
            .groups(&node.rollup, &unit, true)
            .and_then(|g| g.groups.into_iter().next())
            .map(|g| g.key)
            .ok_or_else(|| {
                ApiError::NotFound(format!("no alerts on the screen of '{unit}'").into())
            })?,
    };
    let limit = bounded("limit", q.limit, 50, 1..=1000)?;
    let offset = bounded("offset", q.offset, 0, 0..=i64::MAX)?;
    node.alerts
        .group(&node.rollup, &unit, &key, offset, limit)
        .map(Json)
        .ok_or_else(|| {
            ApiError::NotFound(
                format!(
                "no alerts in group '{key}' on the screen of '{unit}' (it may have just cleared)"
            )
                .into(),
            )
        })
}

#[derive(Deserialize)]
pub struct HistoryParams {
    /// History of this unit's subtree.
    unit: Option<String>,
    /// History of this KPI's series (all units, or with `unit` only that unit's series).
    kpi: Option<String>,
    rule: Option<String>,
    subject: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    pub seq: i64,
    pub rule: String,
    pub subject: String,
    pub unit: String,
    /// pending, cancelled, fired, severity_changed, resolved, escalated, acknowledged, assigned.
    pub kind: String,
    pub severity: String,
    pub at: String,
    pub detail: serde_json::Value,
}

async fn history(
    State(node): State<Node>,
    who: Principal,
    Query(p): Query<HistoryParams>,
) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    let limit = p.limit.unwrap_or(200);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::Invalid(ItemError::new(
            "limit",
            "must be between 1 and 5000",
        )));
    }
    let mut q = HistoryQuery {
        rule: p.rule,
        subject: p.subject,
        before: p.before,
        limit,
        ..HistoryQuery::default()
    };
    if let Some(u) = &p.unit {
        can_view(&who, &node.rollup, Target::Unit(u))?;
        q.units = node
            .rollup
            .subtree(u)
            .iter()
            .map(|x| x.to_string())
            .collect();
    }
    if let Some(k) = &p.kpi {
        let kpi = node
            .rollup
            .kpi(k)
            .ok_or_else(|| ApiError::NotFound(format!("no KPI '{k}'").into()))?;
        if let Some(u) = &p.unit {
            q.subject = Some(format!("{k}@{u}"));
            q.units.clear();
        } else {
            q.units = kpi.series_units().iter().map(|u| u.to_string()).collect();
        }
    }
    if let Scope::Units(scope) = who.scope(&node.rollup) {
        if q.units.is_empty() {
            // Everything the caller may see (with `unit`, the unit was checked above).
            if p.unit.is_none() {
                q.units = scope.into_iter().collect();
            }
        } else {
            q.units.retain(|u| scope.contains(u));
            if q.units.is_empty() {
                return Ok(Json(Vec::new()));
            }
        }
    }
    let rows = node.store.alert_history(&q).await?;
    let kpi_prefix = p.kpi.map(|k| format!("{k}@"));
    Ok(Json(
        rows.into_iter()
            .filter(|r| {
                kpi_prefix
                    .as_ref()
                    .is_none_or(|pre| r.subject.starts_with(pre.as_str()))
            })
            .map(|r| HistoryEntry {
                seq: r.seq,
                rule: r.rule,
                subject: r.subject,
                unit: r.unit,
                kind: r.kind,
                severity: r.severity,
                at: format_ts(r.at),
                detail: serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckIn {
    pub rule: String,
    pub subject: String,
    pub comment: Option<String>,
}

/// The unit of a live alert, for the scope check of an action on it.
fn alert_unit(node: &Node, rule: &str, subject: &str) -> Result<String, ApiError> {
    node.alerts.unit_of(rule, subject).ok_or_else(|| {
        ApiError::NotFound(format!("no live alert of rule '{rule}' on '{subject}'").into())
    })
}

/// Acknowledges a live alert as the signed-in person (the account's person, else the account).
async fn acknowledge(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(b): JsonBody<AckIn>,
) -> Result<StatusCode, ApiError> {
    let unit = alert_unit(&node, &b.rule, &b.subject)?;
    access::alert_action(&actor.principal, &node.rollup, &unit)?;
    node.writer
        .alert(
            AlertAction::Acknowledge {
                rule: b.rule,
                subject: b.subject,
                by: actor.principal.acting_as(),
                comment: b.comment,
            },
            &actor,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignIn {
    pub rule: String,
    pub subject: String,
    /// Who is to handle it.
    pub person: String,
}

async fn assign(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(b): JsonBody<AssignIn>,
) -> Result<StatusCode, ApiError> {
    if node.rollup.person(&b.person).is_none() {
        return Err(ApiError::Invalid(ItemError::new(
            "person",
            format!("unknown person '{}'", b.person),
        )));
    }
    let unit = alert_unit(&node, &b.rule, &b.subject)?;
    access::alert_action(&actor.principal, &node.rollup, &unit)?;
    node.writer
        .alert(
            AlertAction::Assign {
                rule: b.rule,
                subject: b.subject,
                person: b.person,
                by: actor.principal.acting_as(),
            },
            &actor,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SilenceIn {
    /// Mute this rule (with `unit`: only in that subtree).
    pub rule: Option<String>,
    /// Mute this unit's subtree.
    pub unit: Option<String>,
    /// Until when (RFC 3339, or a date: the end of that day); at most 90 days ahead.
    #[schema(schema_with = crate::ingest::time_schema)]
    pub until: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct SilenceOut {
    pub id: i64,
    pub rule: Option<String>,
    pub unit: Option<String>,
    pub until: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: String,
}

async fn silence(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(b): JsonBody<SilenceIn>,
) -> Result<(StatusCode, Json<SilenceOut>), ApiError> {
    if b.rule.is_none() && b.unit.is_none() {
        return Err(ApiError::Invalid(ItemError::new(
            "rule",
            "name a rule, a unit or both",
        )));
    }
    if let Some(u) = &b.unit {
        if node.rollup.unit(u).is_none() {
            return Err(ApiError::Invalid(ItemError::new(
                "unit",
                format!("unknown unit '{u}'"),
            )));
        }
    }
    if b.reason.trim().is_empty() {
        return Err(ApiError::Invalid(ItemError::new(
            "reason",
            "must not be empty",
        )));
    }
    match &b.unit {
        Some(u) => access::alert_action(&actor.principal, &node.rollup, u)?,
        None if actor.principal.holds_everywhere(&[Role::Leader]) => {}
        None => {
            return Err(ApiError::Forbidden(
                "a silence without a unit mutes the whole tree: it needs a leader of the whole tree; name your unit".into(),
            ))
        }
    }
    let now = node.rollup.now();
    let until =
        parse_ts(&b.until, true).map_err(|e| ApiError::Invalid(ItemError::new("until", e)))?;
    if until <= now || until > now + 90 * 86_400_000 {
        return Err(ApiError::Invalid(ItemError::new(
            "until",
            "must lie in the future, at most 90 days ahead",
        )));
    }
    let row = SilenceRow {
        id: 0,
        rule: b.rule,
        unit: b.unit,
        until,
        reason: b.reason,
        created_by: actor.principal.acting_as(),
        created_at: now,
    };
    let id = node
        .writer
        .alert(AlertAction::Silence(row.clone()), &actor)
        .await?
        .unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(silence_out(&SilenceRow { id, ..row })),
    ))
}

fn silence_out(s: &SilenceRow) -> SilenceOut {
    SilenceOut {
        id: s.id,
        rule: s.rule.clone(),
        unit: s.unit.clone(),
        until: format_ts(s.until),
        reason: s.reason.clone(),
        created_by: s.created_by.clone(),
        created_at: format_ts(s.created_at),
    }
}

/// Silences in force: the caller's subtree's, and those without a unit (they mute everywhere).
async fn silences(
    State(node): State<Node>,
    who: Principal,
) -> Result<Json<Vec<SilenceOut>>, ApiError> {
    let scope = who.scope(&node.rollup);
    let now = node.rollup.now();
    Ok(Json(node.alerts.read(|board| {
        board
            .silences
            .iter()
            .filter(|s| s.until > now)
            .filter(|s| s.unit.as_ref().is_none_or(|u| scope.contains(u)))
            .map(silence_out)
            .collect()
    })))
}

/// The rules running now (a changed file counts only once reloaded).
async fn rules(State(node): State<Node>) -> Result<Json<serde_json::Value>, ApiError> {
    let rules = node.alerts.read(|board| board.rules.clone());
    let files: Vec<String> = node
        .rule_files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    // The rule files' text (the built-in pack's when none are named), for "try a change" in the
    // alert center: a candidate is the running files with one rule edited. Read as they are on
    // disk now (an edit not yet reloaded shows here before it runs); unreadable files are left out.
    let sources: Vec<serde_json::Value> = if node.rule_files.is_empty() {
        let (name, text) = crate::alerting::files::DEFAULT_PACK;
        vec![serde_json::json!({ "name": name, "text": text })]
    } else {
        crate::alerting::files::read_sources(&node.rule_files)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, text)| serde_json::json!({ "name": name, "text": text }))
            .collect()
    };
    Ok(Json(
        serde_json::json!({ "files": files, "rules": rules, "sources": sources }),
    ))
}

/// Reloads the rule files. A bad file is refused with all its errors and the running rules stay.
async fn reload(
    State(node): State<Node>,
    actor: Actor,
) -> Result<Json<serde_json::Value>, ApiError> {
    access::operator(&actor.principal, access::Operation::RulesReload)?;
    let set = crate::alerting::files::load(&node.rule_files).map_err(|errors| {
        ApiError::Invalid(ItemError::new(
            "rules",
            format!("the rules were not reloaded:\n{}", errors.join("\n")),
        ))
    })?;
    let n = set.len();
    node.writer
        .alert(AlertAction::ReloadRules(set), &actor)
        .await?;
    Ok(Json(serde_json::json!({ "reloaded": n })))
}

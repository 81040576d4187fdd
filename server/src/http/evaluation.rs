//! Evaluation of officials over HTTP: a person's explained score for a period and their year,
//! the leader's general-criteria scores, a unit's classes with the excellent quota, and rankings
//! within a unit and among peers of the same position. Thin: parse, check scope, ask
//! `evaluation::gather` or `evaluation::freeze` (which read the rollup and store) or the writer.

use super::board::Params;
use super::body::JsonBody;
use super::error::ApiError;
use super::ops::{Answer, Body, Kind, Operation, Param};
use crate::auth::{can_view, Actor, Principal, Target as Scope};
use crate::domain::time::format_ts;
use crate::domain::Period;
use crate::evaluation::freeze;
use crate::evaluation::gather::{self, evaluation_period, periods_within};
use crate::evaluation::{
    annual, quota, rank, AnnualScore, Class, CriteriaInput, EvaluationConfig, PersonScore, Quota,
    RankLine,
};
use crate::ingest::cycle::CycleItem;
use crate::ingest::ItemError;
use crate::rollup::view::UnitRef;
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::{OpenApi, ToSchema};

pub fn router() -> Router<Node> {
    Router::new()
        .route("/evaluations/config", get(config))
        .route("/evaluations/people/{id}", get(person))
        .route("/evaluations/people/{id}/criteria", put(set_criteria))
        .route("/evaluations/people/{id}/annual", get(person_annual))
        .route("/evaluations/people/{id}/as-of", get(person_as_of))
        .route("/evaluations/units/{id}", get(unit))
        .route("/evaluations/units/{id}/rankings", get(rankings))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/evaluations/config", "The evaluation model in force: points, criteria, deductions, class bands, the excellent quota, the leader's unit share, the period kind", Answer::Json("EvaluationConfig")),
    Operation::get("/api/v1/evaluations/people/{id}", "A person's score for an evaluation period, explained: each task item with its deductions, each criterion, the class and why; frozen when its period closed", Answer::Json("PersonScoreOut")).params(&[PERIOD]),
    Operation::put("/api/v1/evaluations/people/{id}/criteria", "The leader's general-criteria scores for the person: every criterion 0..its max, an optional force_not_complete reason and a comment; by a leader over the person's unit other than the person; a closed period only by an admin; audited", Body::Json("CriteriaInput"), Answer::Json("PersonScoreOut")).params(&[PERIOD]),
    Operation::get("/api/v1/evaluations/people/{id}/as-of", "For an appeal: a person's score for a period as the screen showed it at a past moment (the board as it stood then: its tasks, its clock, whether the period was closed), beside the score frozen when the period closed and the score computed now", Answer::Json("ScoreAsOfOut")).params(&[PERIOD, Param::query("at", Kind::Text, "The past moment (RFC 3339, or a date meaning its end); required")]),
    Operation::get("/api/v1/evaluations/people/{id}/annual", "A person's year: the mean of the evaluated period totals, classified, with any override carried", Answer::Json("AnnualScore")).params(&[
        Param::query("year", Kind::Text, "A year, e.g. 2026 (default the clock's)"),
    ]),
    Operation::get("/api/v1/evaluations/units/{id}", "The scores of the people of a unit's subtree for a period: one line each, the class counts and the excellent quota (the cap shown, not applied)", Answer::Json("UnitEvaluation")).params(&[PERIOD]),
    Operation::get("/api/v1/evaluations/units/{id}/rankings", "Rankings within the unit's subtree for a period: everyone, or peers of the same job position (one ranking each); only people in the caller's scope", Answer::Json("Rankings")).params(&[
        PERIOD,
        Param::query("by", Kind::OneOf(&["unit", "position"]), "unit (default) or position"),
    ]),
];

/// `?period=`: an evaluation period of the configured kind.
const PERIOD: Param = Param::query(
    "period",
    Kind::Text,
    "An evaluation period of the configured kind, e.g. 2026-11 or 2026-Q4 (default the clock's)",
);

#[derive(OpenApi)]
#[openapi(components(schemas(
    EvaluationConfig,
    PersonScoreOut,
    ScoreAsOfOut,
    CriteriaInput,
    AnnualScore,
    UnitEvaluation,
    ScoreLine,
    Rankings,
    RankGroup
)))]
pub struct Schemas;

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonScoreOut {
    /// When the score was frozen at its period's close; null when computed now.
    pub frozen_at: Option<String>,
    pub score: PersonScore,
}

/// A person's score for a period three ways, for an appeal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreAsOfOut {
    pub period: String,
    /// The moment asked, as the API writes moments.
    pub at: String,
    /// What the screen showed at `at`: computed on the board as it stood then (or the frozen
    /// score, when the period had closed by then). The leaders' general-criteria scores are those
    /// in force now (their earlier values are in the audit trail).
    pub then: PersonScoreOut,
    /// The score frozen when the period closed; null while it is open.
    pub frozen: Option<PersonScoreOut>,
    /// Computed now from the live board, whatever was frozen.
    pub now: PersonScore,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreLine {
    pub person: String,
    pub name: String,
    pub unit: String,
    pub position: String,
    pub leads: Option<String>,
    pub total: Option<f64>,
    pub general: f64,
    pub tasks: Option<f64>,
    pub class: Class,
    pub provisional: bool,
    pub overridden: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitEvaluation {
    pub unit: UnitRef,
    pub period: String,
    pub frozen_at: Option<String>,
    pub quota: Quota,
    /// Highest total first; the not evaluated last.
    pub people: Vec<ScoreLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rankings {
    pub unit: UnitRef,
    pub period: String,
    /// `unit` or `position`.
    pub by: String,
    pub groups: Vec<RankGroup>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankGroup {
    /// The job position of the peers (null when ranking the whole unit).
    pub position: Option<String>,
    pub lines: Vec<RankLine>,
}

fn line(s: &PersonScore) -> ScoreLine {
    ScoreLine {
        person: s.person.clone(),
        name: s.name.clone(),
        unit: s.unit.clone(),
        position: s.position.clone(),
        leads: s.leads.clone(),
        total: s.total,
        general: s.general.points,
        tasks: s.tasks.as_ref().map(|t| t.points),
        class: s.class,
        provisional: s.provisional,
        overridden: s.overridden.clone(),
    }
}

/// `?period=`, of the configured kind; default the period holding the clock.
fn period_param(node: &Node, p: &Params) -> Result<Period, ApiError> {
    let label = match p.0.get("period") {
        Some(l) => l.clone(),
        None => gather::period_containing(&node.evaluation, node.rollup.now())
            .label()
            .to_string(),
    };
    evaluation_period(&node.evaluation, &label)
        .map_err(|e| ApiError::Malformed(ItemError::new("period", e)))
}

fn reader(who: &Principal) -> Result<(), ApiError> {
    if who.may_read() {
        Ok(())
    } else {
        Err(ApiError::Refused(ItemError::new(
            "",
            "these credentials may not read (an ingest-only token)",
        )))
    }
}

async fn config(
    State(node): State<Node>,
    who: Principal,
) -> Result<Json<EvaluationConfig>, ApiError> {
    reader(&who)?;
    Ok(Json(node.evaluation.as_ref().clone()))
}

async fn score_of(node: &Node, id: &str, period: &Period) -> Result<PersonScoreOut, ApiError> {
    let person = node
        .rollup
        .person(id)
        .ok_or_else(|| ApiError::NotFound(format!("no person '{id}'").into()))?;
    let s = gather::people_scores(
        node.store.as_ref(),
        &node.rollup,
        &node.evaluation,
        period,
        vec![person],
    )
    .await?;
    let score = s
        .scores
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no score for '{id}'")))?;
    Ok(PersonScoreOut {
        frozen_at: s.frozen_at.map(format_ts),
        score,
    })
}

async fn person(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<PersonScoreOut>, ApiError> {
    let p = Params::new(q, &["period"])?;
    can_view(&who, &node.rollup, Scope::Person(&id))?;
    let period = period_param(&node, &p)?;
    Ok(Json(score_of(&node, &id, &period).await?))
}

async fn person_as_of(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<ScoreAsOfOut>, ApiError> {
    let p = Params::new(q, &["period", "at"])?;
    let at = super::asof::parse_at(p.0.get("at"))?.ok_or_else(|| {
        ApiError::Invalid(ItemError::new(
            "at",
            crate::msg!("at_invalid", at = String::new()),
        ))
    })?;
    can_view(&who, &node.rollup, Scope::Person(&id))?;
    let period = period_param(&node, &p)?;
    let past = super::asof::rollup(&node, Some(at)).await?;
    let then_person = past
        .person(&id)
        .ok_or_else(|| super::asof::person_not_then(&id, Some(at)))?;
    let then = gather::people_scores(
        node.store.as_ref(),
        &past,
        &node.evaluation,
        &period,
        vec![then_person],
    )
    .await?;
    let person = node
        .rollup
        .person(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no person '{id}'").into()))?;
    let frozen = score_of(&node, &id, &period).await?;
    let mut now = gather::compute(
        node.store.as_ref(),
        &node.rollup,
        &node.evaluation,
        &period,
        std::slice::from_ref(&person),
    )
    .await?;
    let only = |scores: Vec<PersonScore>| {
        scores
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no score for '{id}'")))
    };
    Ok(Json(ScoreAsOfOut {
        period: period.label().to_string(),
        at: super::asof::moment(at),
        then: PersonScoreOut {
            frozen_at: then.frozen_at.map(format_ts),
            score: only(then.scores)?,
        },
        frozen: frozen.frozen_at.is_some().then_some(frozen),
        now: only(std::mem::take(&mut now))?,
    }))
}

async fn set_criteria(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    JsonBody(mut input): JsonBody<CriteriaInput>,
) -> Result<Json<PersonScoreOut>, ApiError> {
    let p = Params::new(q, &["period"])?;
    let period = period_param(&node, &p)?;
    let person = node
        .rollup
        .person(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no person '{id}'").into()))?;
    input
        .validate(&node.evaluation)
        .map_err(|e| ApiError::Invalid(ItemError::new("scores", e)))?;
    // Who scored and when come from the session, never from the body.
    input.by = Some(actor.principal.acting_as());
    input.at = Some(format_ts(crate::domain::time::now_ms()));
    let body = serde_json::to_string(&input).expect("criteria serialize");
    let refreeze = freeze::refreeze(
        node.store.as_ref(),
        &node.rollup,
        &node.evaluation,
        &period,
        person,
        &input,
    )
    .await?;
    node.writer
        .cycle(
            vec![CycleItem::Criteria {
                person: id.as_str().into(),
                period: period.clone(),
                body,
                refreeze,
            }],
            &actor,
        )
        .await?;
    Ok(Json(score_of(&node, &id, &period).await?))
}

async fn person_annual(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<AnnualScore>, ApiError> {
    let p = Params::new(q, &["year"])?;
    can_view(&who, &node.rollup, Scope::Person(&id))?;
    let now = node.rollup.now();
    let label = match p.0.get("year") {
        Some(y) => y.clone(),
        None => gather::year_containing(now).label().to_string(),
    };
    let year = Period::parse(&label)
        .ok()
        .filter(|y| y.kind == crate::domain::PeriodKind::Year)
        .ok_or_else(|| {
            ApiError::Malformed(ItemError::new(
                "year",
                format!("must be a year (2026), got '{label}'"),
            ))
        })?;
    let person = node
        .rollup
        .person(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no person '{id}'").into()))?;
    let mut scores = Vec::new();
    for period in periods_within(&node.evaluation, &year, now) {
        let s = gather::people_scores(
            node.store.as_ref(),
            &node.rollup,
            &node.evaluation,
            &period,
            vec![person.clone()],
        )
        .await?;
        scores.extend(s.scores);
    }
    Ok(Json(annual(&node.evaluation, &year, &scores)))
}

async fn unit_scores(
    node: &Node,
    id: &str,
    period: &Period,
) -> Result<(UnitRef, gather::Scores), ApiError> {
    let unit = node
        .rollup
        .unit_ref(id)
        .ok_or_else(|| ApiError::NotFound(format!("no unit '{id}'").into()))?;
    let scores = gather::unit_scores(
        node.store.as_ref(),
        &node.rollup,
        &node.evaluation,
        period,
        id,
    )
    .await?;
    Ok((unit, scores))
}

async fn unit(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<UnitEvaluation>, ApiError> {
    let p = Params::new(q, &["period"])?;
    can_view(&who, &node.rollup, Scope::Unit(&id))?;
    let period = period_param(&node, &p)?;
    let (unit, s) = unit_scores(&node, &id, &period).await?;
    let q = quota(&node.evaluation, &s.scores);
    let mut people: Vec<ScoreLine> = s.scores.iter().map(line).collect();
    people.sort_by(|a, b| {
        b.total
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.total.unwrap_or(f64::NEG_INFINITY))
            .then(a.name.cmp(&b.name))
    });
    Ok(Json(UnitEvaluation {
        unit,
        period: period.label().to_string(),
        frozen_at: s.frozen_at.map(format_ts),
        quota: q,
        people,
    }))
}

async fn rankings(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Rankings>, ApiError> {
    let p = Params::new(q, &["period", "by"])?;
    can_view(&who, &node.rollup, Scope::Unit(&id))?;
    let by = match p.0.get("by").map(String::as_str) {
        None | Some("unit") => "unit",
        Some("position") => "position",
        Some(other) => {
            return Err(ApiError::Malformed(ItemError::new(
                "by",
                format!("must be 'unit' or 'position', got '{other}'"),
            )))
        }
    };
    let period = period_param(&node, &p)?;
    let (unit, s) = unit_scores(&node, &id, &period).await?;
    // The unit is in scope, so is everyone of its subtree: no one from elsewhere is ranked here.
    let visible: Vec<&PersonScore> = s.scores.iter().collect();
    let groups = if by == "unit" {
        vec![RankGroup {
            position: None,
            lines: rank(&visible),
        }]
    } else {
        let mut peers: BTreeMap<&str, Vec<&PersonScore>> = BTreeMap::new();
        for x in &visible {
            peers.entry(x.position.as_str()).or_default().push(x);
        }
        peers
            .into_iter()
            .map(|(position, xs)| RankGroup {
                position: Some(position.to_string()),
                lines: rank(&xs),
            })
            .collect()
    };
    Ok(Json(Rankings {
        unit,
        period: period.label().to_string(),
        by: by.to_string(),
        groups,
    }))
}

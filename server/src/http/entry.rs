//! `GET /api/v1/me/kpi-entry`: what the signed-in person enters — the KPI series their
//! `data_entry` grants cover (KPIs led by a unit in the grant's subtree, one series per measured
//! unit, computed KPIs left out), each with its current and previous period, the due date and
//! whether it is late, the last value, the target and the thresholds; and the key results they
//! check in (objectives they own, or of a unit under their `data_entry` grant, in a period that is
//! not closed). The values themselves are sent as events (`POST /api/v1/events`).
//!
//! Due rule: a period's value is due at the end of the period plus a grace for entering it
//! (daily 1 day, weekly 2, monthly 3, quarterly 7, yearly 15: the same grace the stale-data rule
//! allows, `Frequency::stale_after`), and late after that while no value exists.

use super::error::ApiError;
use super::ops::{Answer, Operation};
use crate::auth::{Principal, Role};
use crate::domain::time::{format_ts, period_label};
use crate::domain::{Frequency, KpiStatus, Period, PeriodState, Thresholds, Ts};
use crate::Node;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new().route("/me/kpi-entry", get(kpi_entry))
}

pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/me/kpi-entry", "What the caller enters: the KPI series of their data_entry grants (KPIs led inside the grant's subtree, one per measured unit, computed KPIs left out), each with its current and previous period (due at the period's end plus a grace: daily 1 day, weekly 2, monthly 3, quarterly 7, yearly 15; late after that without a value), the value entered for each, the target and the thresholds; late series first. And the key results they check in (objectives they own or of a unit under their data_entry grant, in a period that is not closed). Values are sent as kpi_observation / kr_checkin events.", Answer::Json("KpiEntry")),
];

/// Most series and key results listed: a grant over the whole city lists the first ones.
const MAX_LISTED: usize = 500;

#[derive(Serialize, ToSchema)]
pub struct KpiEntry {
    /// The server's clock.
    pub now: String,
    pub series: Vec<EntrySeries>,
    pub key_results: Vec<EntryKeyResult>,
    /// True when more series or key results exist than are listed (500 each).
    pub truncated: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EntrySeries {
    pub kpi: String,
    pub kpi_name: String,
    pub unit: String,
    pub unit_name: String,
    pub unit_of_measure: String,
    pub frequency: Frequency,
    /// The KPI's usual source of data, to offer as the value's source.
    pub data_source: String,
    #[schema(value_type = Object)]
    pub thresholds: Thresholds,
    /// `late` (the previous period has no value and its due date passed), `due` (a value is
    /// still to enter for the current or, within its grace, the previous period) or `done`.
    pub state: String,
    /// The current period first, then the previous one (a late entry or a correction).
    pub periods: Vec<EntryPeriod>,
    /// The newest value of the series, whatever its period.
    pub last: Option<EntryValue>,
}

#[derive(Serialize, ToSchema)]
pub struct EntryPeriod {
    /// Its label, as an observation names it: 2026-11, 2026-Q4, 2026-W47...
    pub period: String,
    pub due: String,
    /// No value and the due date has passed.
    pub late: bool,
    /// A closed OKR period contains it: values are refused (an admin's correction aside).
    pub closed: bool,
    /// The value entered for this period, if any: entering again is a correction.
    pub value: Option<EntryValue>,
    /// The unit's target for the period (or a period around it), if set.
    pub target: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct EntryValue {
    pub period: String,
    pub value: f64,
    pub status: KpiStatus,
    pub at: String,
    pub source: String,
}

#[derive(Serialize, ToSchema)]
pub struct EntryKeyResult {
    pub id: String,
    pub title: String,
    pub objective: String,
    pub objective_title: String,
    pub unit: String,
    pub unit_name: String,
    pub period: String,
    pub start: f64,
    pub target: f64,
    pub current: f64,
    pub unit_of_measure: String,
    pub confidence: Option<u8>,
    /// When `current` was last checked in; absent before the first check-in.
    pub checked_in_at: Option<String>,
}

/// The end of the grace, as the last millisecond of its day (`domain::time::entry_due`).
fn due_of(p: &Period, f: Frequency) -> Ts {
    crate::domain::time::entry_due(p, f)
}

async fn kpi_entry(State(node): State<Node>, who: Principal) -> Result<Json<KpiEntry>, ApiError> {
    let rollup = &node.rollup;
    let now = rollup.now();
    let mut truncated = false;
    // A person's page: tokens send values through their permissions, not through this list.
    if matches!(who, Principal::Token(_)) {
        return Ok(Json(KpiEntry {
            now: format_ts(now),
            series: Vec::new(),
            key_results: Vec::new(),
            truncated,
        }));
    }
    // Series the caller enters: KPIs led inside a data_entry grant, each measured unit.
    let mut wanted: Vec<(crate::domain::Kpi, crate::domain::Id)> = Vec::new();
    for k in rollup.kpis() {
        if k.expression.is_some() || !who.holds(rollup, &k.leading_unit, &[Role::DataEntry]) {
            continue;
        }
        for unit in k.series_units() {
            wanted.push((k.clone(), unit));
        }
    }
    wanted.sort_by(|a, b| (&a.1, &a.0.code).cmp(&(&b.1, &b.0.code)));
    if wanted.len() > MAX_LISTED {
        wanted.truncate(MAX_LISTED);
        truncated = true;
    }
    let units: Vec<String> = wanted
        .iter()
        .map(|(_, u)| u.to_string())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let stored = if units.is_empty() {
        Vec::new()
    } else {
        node.store.observations_of(&units).await?
    };
    let mut values: HashMap<(String, String, String), crate::domain::Observation> = HashMap::new();
    for o in stored {
        values.insert(
            (
                o.kpi.to_string(),
                o.unit.to_string(),
                o.period.label().to_string(),
            ),
            o,
        );
    }
    let shown = |k: &crate::domain::Kpi, o: &crate::domain::Observation| EntryValue {
        period: o.period.label().to_string(),
        value: o.value,
        status: k.thresholds.status(o.value),
        at: format_ts(o.at),
        source: o.source.clone(),
    };
    let mut series = Vec::with_capacity(wanted.len());
    for (k, unit) in wanted {
        let mut periods = Vec::with_capacity(2);
        for back in 0..2 {
            let label = period_label(k.frequency, now, back);
            let Ok(p) = Period::parse(&label) else {
                continue;
            };
            let value = values.get(&(k.code.to_string(), unit.to_string(), label.clone()));
            let due = due_of(&p, k.frequency);
            let closed = matches!(rollup.cycle_state(&p), Some((PeriodState::Closed, _)));
            periods.push(EntryPeriod {
                due: format_ts(due),
                late: value.is_none() && now > due,
                closed,
                value: value.map(|o| shown(&k, o)),
                target: rollup.target_for(&k.code, &unit, &p).map(|t| t.target),
                period: label,
            });
        }
        let state = if periods.iter().any(|p| p.late && !p.closed) {
            "late"
        } else if periods.iter().any(|p| p.value.is_none() && !p.closed) {
            "due"
        } else {
            "done"
        };
        let last = rollup
            .latest_observation(&k.code, &unit)
            .map(|o| shown(&k, &o));
        series.push(EntrySeries {
            kpi: k.code.to_string(),
            kpi_name: k.name.clone(),
            unit_name: rollup
                .unit_ref(&unit)
                .map_or_else(|| unit.to_string(), |u| u.name),
            unit: unit.to_string(),
            unit_of_measure: k.unit_of_measure.clone(),
            frequency: k.frequency,
            data_source: k.data_source.clone(),
            thresholds: k.thresholds,
            state: state.to_string(),
            periods,
            last,
        });
    }
    // Late first, then due (soonest due first), then done.
    let rank = |s: &EntrySeries| match s.state.as_str() {
        "late" => 0,
        "due" => 1,
        _ => 2,
    };
    let due = |s: &EntrySeries| s.periods.first().map(|p| p.due.clone());
    series.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| due(a).cmp(&due(b))));
    let key_results = key_results(&node, &who, &mut truncated);
    Ok(Json(KpiEntry {
        now: format_ts(now),
        series,
        key_results,
        truncated,
    }))
}

/// Key results the caller checks in: of objectives they own, or of a unit under their
/// data_entry grant, in a period neither closed nor still in planning.
fn key_results(node: &Node, who: &Principal, truncated: &mut bool) -> Vec<EntryKeyResult> {
    let rollup = &node.rollup;
    let me = who.person();
    let mut out = Vec::new();
    let mut objectives: Vec<_> = rollup
        .objectives()
        .into_iter()
        .filter(|o| {
            (me.is_some() && o.owner.as_ref() == me)
                || who.holds(rollup, &o.unit, &[Role::DataEntry])
        })
        .filter(|o| {
            !matches!(
                rollup.cycle_state(&o.period),
                Some((PeriodState::Closed | PeriodState::Planning, _))
            )
        })
        .collect();
    objectives.sort_by(|a, b| (&a.unit, &a.id).cmp(&(&b.unit, &b.id)));
    for o in objectives {
        for id in rollup.key_results_of(&o.id) {
            let Some(kr) = rollup.key_result(&id) else {
                continue;
            };
            if out.len() >= MAX_LISTED {
                *truncated = true;
                return out;
            }
            out.push(EntryKeyResult {
                id: kr.id.to_string(),
                title: kr.title.clone(),
                objective: o.id.to_string(),
                objective_title: o.title.clone(),
                unit: o.unit.to_string(),
                unit_name: rollup
                    .unit_ref(&o.unit)
                    .map_or_else(|| o.unit.to_string(), |u| u.name),
                period: o.period.label().to_string(),
                start: kr.start,
                target: kr.target,
                current: kr.current,
                unit_of_measure: kr.unit_of_measure.clone(),
                confidence: kr.confidence,
                checked_in_at: (kr.current_at > 0).then(|| format_ts(kr.current_at)),
            });
        }
    }
    out
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(KpiEntry, EntrySeries, EntryPeriod, EntryValue, EntryKeyResult)))]
pub struct Schemas;

//! Writes of the OKR cycle, checked by the writer against the state they change: a period's
//! state, a unit's KPI target, a leader's general-criteria scores, the scores frozen at a close.
//! Who may do each is decided here (with `auth::access`), so no other write slips in between.

use super::writer::WriteError;
use super::ItemError;
use crate::audit::Draft;
use crate::auth::{access, Actor, Denied, Principal, Role};
use crate::domain::{
    Change, CriteriaRecord, FrozenScore, Id, OkrPeriod, Period, PeriodKind, PeriodState, Target,
};
use crate::rollup::Rollup;

/// One write of the cycle.
#[derive(Debug, Clone)]
pub enum CycleItem {
    /// Declare a quarter or a year, or move it along its lifecycle. Closing carries the
    /// evaluation scores to freeze, computed just before.
    Period {
        period: Period,
        state: PeriodState,
        frozen: Vec<FrozenScore>,
    },
    Target {
        kpi: Id,
        unit: Id,
        period: Period,
        target: f64,
    },
    /// `body`: `evaluation::CriteriaInput` as JSON, already validated against the config.
    /// `refreeze`: in a closed period (an admin's correction), the person's score with these
    /// criteria, replacing the frozen one in the same commit.
    Criteria {
        person: Id,
        period: Period,
        body: String,
        refreeze: Option<FrozenScore>,
    },
}

fn forbidden(index: usize, field: &str, d: Denied) -> WriteError {
    match d {
        Denied::Forbidden(m) | Denied::NotFound(m) => {
            WriteError::Forbidden(ItemError::new(field, m).at(index))
        }
    }
}

fn invalid(index: usize, field: &str, reason: impl Into<crate::i18n::Msg>) -> WriteError {
    WriteError::Invalid(ItemError::new(field, reason).at(index))
}

/// Checks the items in order against the rollup and returns their changes and audit drafts;
/// on any refusal nothing of the request is kept.
pub fn plan(
    items: &[CycleItem],
    rollup: &Rollup,
    actor: &Actor,
    now: crate::domain::Ts,
) -> Result<(Vec<Change>, Vec<Draft>), WriteError> {
    let who = &actor.principal;
    let by = who.actor_id();
    let mut changes = Vec::new();
    let mut drafts = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            CycleItem::Period {
                period,
                state,
                frozen,
            } => {
                access::operator(who, access::Operation::OkrPeriods)
                    .map_err(|d| forbidden(i, "state", d))?;
                if !matches!(period.kind, PeriodKind::Quarter | PeriodKind::Year) {
                    return Err(invalid(
                        i,
                        "period",
                        format!("'{period}' is not a quarter (2026-Q4) or a year (2026): OKR periods are quarters and years"),
                    ));
                }
                let old = rollup.period(period.label());
                if old.is_none() && *state == PeriodState::Closed {
                    return Err(WriteError::Conflict(format!(
                        "period {period} is not declared: declare it planning or active, then close it"
                    )));
                }
                if let Some(o) = &old {
                    if o.state == *state {
                        // Nothing changes: in particular a closed period is not frozen again.
                        continue;
                    }
                    if !o.state.may_become(*state) {
                        return Err(WriteError::Conflict(format!(
                            "period {period} is {}: it cannot become {} (planning -> active -> closed; a closed period may be reopened to active)",
                            o.state.as_str(),
                            state.as_str()
                        )));
                    }
                }
                drafts.push(Draft::new(
                    actor.who(),
                    "period.state",
                    format!("period:{period}"),
                    None,
                    old.as_ref()
                        .map(|o| serde_json::json!({"state": o.state.as_str()})),
                    Some(
                        serde_json::json!({"state": state.as_str(), "frozen_scores": frozen.len()}),
                    ),
                ));
                changes.push(Change::Period(OkrPeriod {
                    period: period.clone(),
                    state: *state,
                    changed_at: now,
                    changed_by: by.clone(),
                }));
                if !frozen.is_empty() {
                    changes.push(Change::Frozen(frozen.clone()));
                }
            }
            CycleItem::Target {
                kpi,
                unit,
                period,
                target,
            } => {
                // The subtree first: asking the rollup again inside `with_kpi` would take its
                // read lock twice.
                let below = rollup.subtree(unit);
                let Some(measured) = rollup.with_kpi(kpi, |k| below.iter().any(|u| k.measures(u)))
                else {
                    return Err(invalid(i, "kpi", format!("unknown KPI '{kpi}'")));
                };
                let Some(u) = rollup.unit(unit) else {
                    return Err(invalid(i, "unit", format!("unknown unit '{unit}'")));
                };
                if !measured {
                    return Err(invalid(
                        i,
                        "unit",
                        format!("KPI '{kpi}' is measured neither for unit '{unit}' nor below it"),
                    ));
                }
                if !target.is_finite() {
                    return Err(invalid(i, "target", "must be a finite number"));
                }
                // Targets are handed down: set by a leader of the level above (the root's by
                // its own leader).
                let assigner = u.parent.clone().unwrap_or_else(|| u.id.clone());
                let cycle =
                    access::period_write(who, rollup, period, unit, access::PeriodThing::KpiTarget)
                        .map_err(|d| forbidden(i, "period", d))?;
                if cycle == access::PeriodWrite::Open
                    && (matches!(who, Principal::Token(_))
                        || !who.holds(rollup, &assigner, &[Role::Leader]))
                {
                    return Err(forbidden(
                        i,
                        "unit",
                        Denied::Forbidden(crate::msg!(
                            "targets_by_level_above",
                            unit = rollup
                                .unit(unit)
                                .map_or_else(|| unit.to_string(), |u| u.name),
                            assigner = rollup
                                .unit(&assigner)
                                .map_or_else(|| assigner.to_string(), |u| u.name)
                        )),
                    ));
                }
                let old = rollup.target_exact(kpi, unit, period);
                drafts.push(Draft::new(
                    actor.who(),
                    "kpi.target",
                    format!("kpi:{kpi}@{unit}/{period}"),
                    Some(unit.to_string()),
                    old.map(|t| serde_json::json!({"target": t.target})),
                    Some(serde_json::json!({"target": target})),
                ));
                changes.push(Change::Target(Target {
                    kpi: kpi.clone(),
                    unit: unit.clone(),
                    period: period.clone(),
                    target: *target,
                    set_at: now,
                    set_by: by.clone(),
                }));
            }
            CycleItem::Criteria {
                person,
                period,
                body,
                refreeze,
            } => {
                let Some(p) = rollup.person(person) else {
                    return Err(invalid(i, "person", format!("unknown person '{person}'")));
                };
                let cycle = access::period_write(
                    who,
                    rollup,
                    period,
                    &p.unit,
                    access::PeriodThing::Evaluation,
                )
                .map_err(|d| forbidden(i, "period", d))?;
                if cycle == access::PeriodWrite::Open {
                    let leader = !matches!(who, Principal::Token(_))
                        && who.holds(rollup, &p.unit, &[Role::Leader]);
                    if !leader || who.person() == Some(person) {
                        return Err(forbidden(
                            i,
                            "person",
                            Denied::Forbidden(crate::msg!(
                                "criteria_by_leader",
                                person = p.name.as_str(),
                                unit = rollup
                                    .unit(&p.unit)
                                    .map_or_else(|| p.unit.to_string(), |u| u.name)
                            )),
                        ));
                    }
                }
                let value: serde_json::Value =
                    serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
                drafts.push(Draft::new(
                    actor.who(),
                    "evaluation.criteria",
                    format!("evaluation:{person}/{period}"),
                    Some(p.unit.to_string()),
                    None,
                    Some(value),
                ));
                changes.push(Change::Criteria(CriteriaRecord {
                    person: person.clone(),
                    period: period.clone(),
                    body: body.clone(),
                    set_by: by.clone(),
                    set_at: now,
                }));
                if let (access::PeriodWrite::AdminCorrection, Some(f)) = (cycle, refreeze) {
                    changes.push(Change::Frozen(vec![f.clone()]));
                }
            }
        }
    }
    Ok((changes, drafts))
}

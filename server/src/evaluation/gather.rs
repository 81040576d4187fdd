//! Gathering what scores are computed from: a unit's people, their tasks and the tasks of the
//! units they lead (one pass over the rollup's tasks), the leaders' criteria from the store, and
//! the scores frozen when a period closed. With `freeze.rs`, the only part of `evaluation` that
//! reads state.

use super::{score, CriteriaInput, EvaluationConfig, PersonInput, PersonScore};
use crate::domain::{Id, Period, PeriodKind, Task, Unit};
use crate::rollup::Rollup;
use crate::store::{RecordKind, Store, StoreError};
use chrono::{Datelike, TimeZone};
use std::collections::{HashMap, HashSet};

/// A period's scores for a set of people, and whether they were frozen at a close.
pub struct Scores {
    pub scores: Vec<PersonScore>,
    /// When the scores were frozen (`None`: computed now from the live data).
    pub frozen_at: Option<crate::domain::Ts>,
}

/// Past this many people a read of criteria or frozen scores takes the whole period instead of
/// an id list: a city's id list would make a statement too large for the database.
const BY_ID_MAX: usize = 2_000;

/// The evaluation period (a month or a quarter, as configured) holding the instant `ts`.
pub fn period_containing(cfg: &EvaluationConfig, ts: crate::domain::Ts) -> Period {
    let d = local_date(ts);
    let label = match cfg.period.kind() {
        PeriodKind::Quarter => format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
        _ => format!("{}-{:02}", d.year(), d.month()),
    };
    Period::parse(&label).expect("a month or quarter of a date parses")
}

/// The year holding the instant `ts`.
pub fn year_containing(ts: crate::domain::Ts) -> Period {
    Period::parse(&local_date(ts).year().to_string()).expect("the year of a date parses")
}

fn local_date(ts: crate::domain::Ts) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc
        .timestamp_millis_opt(ts)
        .single()
        .unwrap_or_default()
        .with_timezone(&crate::domain::time::vn())
}

/// The evaluation period a label names, if it is of the configured kind.
pub fn evaluation_period(cfg: &EvaluationConfig, label: &str) -> Result<Period, String> {
    let p = Period::parse(label)?;
    if p.kind != cfg.period.kind() {
        return Err(format!(
            "'{label}' is not a {}: officials are evaluated by {} ({})",
            cfg.period.as_str(),
            cfg.period.as_str(),
            if cfg.period.kind() == PeriodKind::Month {
                "2026-11"
            } else {
                "2026-Q4"
            }
        ));
    }
    Ok(p)
}

/// The evaluation periods of a year (or any longer period) that have begun by `now`.
pub fn periods_within(
    cfg: &EvaluationConfig,
    outer: &Period,
    now: crate::domain::Ts,
) -> Vec<Period> {
    let year = local_date(outer.start).year();
    let labels: Vec<String> = match cfg.period.kind() {
        PeriodKind::Quarter => (1..=4).map(|q| format!("{year}-Q{q}")).collect(),
        _ => (1..=12).map(|m| format!("{year}-{m:02}")).collect(),
    };
    labels
        .iter()
        .filter_map(|l| Period::parse(l).ok())
        .filter(|p| outer.contains(p) && p.start <= now)
        .collect()
}

/// The people of `unit`'s subtree.
fn people_of(rollup: &Rollup, unit: &str) -> Vec<crate::domain::Person> {
    let units: HashSet<Id> = rollup.subtree(unit).into_iter().collect();
    rollup
        .people()
        .into_iter()
        .filter(|p| units.contains(&p.unit))
        .collect()
}

async fn criteria_of(
    store: &dyn Store,
    period: &Period,
    people: &[String],
) -> Result<HashMap<String, CriteriaInput>, StoreError> {
    let rows = store
        .person_records(RecordKind::Criteria, &[period.label().to_string()], people)
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        // A stored input always parsed when it was written; one that no longer does (a newer
        // model dropped a criterion) is skipped and the score is provisional, with a log line.
        match serde_json::from_str::<CriteriaInput>(&r.body) {
            Ok(c) => {
                out.insert(r.person_id, c);
            }
            Err(e) => {
                tracing::warn!(person = %r.person_id, period = %r.period, error = %e, "stored criteria unreadable")
            }
        }
    }
    Ok(out)
}

/// Who leads which unit. A person leading several units answers for the highest of them (the
/// fewest ancestors).
fn leaders(rollup: &Rollup) -> HashMap<Id, Unit> {
    let mut leads: HashMap<Id, (usize, Unit)> = HashMap::new();
    for u in rollup.units() {
        if let Some(l) = u.leader.clone() {
            let depth = rollup.ancestors(&u.id).len();
            if leads.get(&l).is_none_or(|(d, _)| depth < *d) {
                leads.insert(l, (depth, u));
            }
        }
    }
    leads.into_iter().map(|(k, (_, u))| (k, u)).collect()
}

/// Scores computed now for `people` from the rollup's tasks and the stored criteria.
pub async fn compute(
    store: &dyn Store,
    rollup: &Rollup,
    cfg: &EvaluationConfig,
    period: &Period,
    people: &[crate::domain::Person],
) -> Result<Vec<PersonScore>, StoreError> {
    let ids: Vec<String> = people.iter().map(|p| p.id.to_string()).collect();
    let criteria = if ids.len() > BY_ID_MAX {
        criteria_of(store, period, &[]).await?
    } else {
        criteria_of(store, period, &ids).await?
    };
    let now = rollup.now();
    let leads = leaders(rollup);
    // Only tasks due in the period can count (the scoring filters again, exactly); for a few
    // people, only theirs and their led units', so one person's score costs no city-wide copy.
    let wanted: Option<(HashSet<Id>, HashSet<Id>)> = (people.len() <= 50).then(|| {
        let who: HashSet<Id> = people.iter().map(|p| p.id.clone()).collect();
        let units: HashSet<Id> = people
            .iter()
            .filter_map(|p| leads.get(&p.id))
            .flat_map(|u| rollup.subtree(&u.id))
            .collect();
        (who, units)
    });
    let tasks = rollup.tasks_where(|t| {
        t.deadline >= period.start
            && t.deadline < period.end
            && wanted
                .as_ref()
                .is_none_or(|(who, units)| who.contains(t.responsible) || units.contains(t.unit))
    });
    let mut by_person: HashMap<&Id, Vec<&Task>> = HashMap::new();
    let mut by_unit: HashMap<&Id, Vec<&Task>> = HashMap::new();
    for t in &tasks {
        by_person.entry(&t.responsible).or_default().push(t);
        by_unit.entry(&t.unit).or_default().push(t);
    }
    let mut out = Vec::with_capacity(people.len());
    for p in people {
        let led = leads.get(&p.id);
        let unit_tasks: Vec<&Task> = match led {
            Some(u) => rollup
                .subtree(&u.id)
                .iter()
                .flat_map(|x| by_unit.get(x).into_iter().flatten().copied())
                .collect(),
            None => Vec::new(),
        };
        let input = PersonInput {
            person: p,
            leads: led,
            tasks: by_person.get(&p.id).cloned().unwrap_or_default(),
            unit_tasks,
            criteria: criteria.get(&*p.id),
        };
        out.push(score(cfg, period, now, &input));
    }
    Ok(out)
}

/// The period's scores of the people of `unit`'s subtree: the frozen ones when the period's
/// OKR period closed (people added since are computed), else computed now.
pub async fn unit_scores(
    store: &dyn Store,
    rollup: &Rollup,
    cfg: &EvaluationConfig,
    period: &Period,
    unit: &str,
) -> Result<Scores, StoreError> {
    people_scores(store, rollup, cfg, period, people_of(rollup, unit)).await
}

/// The period's scores of these people: frozen when the period closed, else computed now.
pub async fn people_scores(
    store: &dyn Store,
    rollup: &Rollup,
    cfg: &EvaluationConfig,
    period: &Period,
    people: Vec<crate::domain::Person>,
) -> Result<Scores, StoreError> {
    let closed = matches!(
        rollup.cycle_state(period),
        Some((crate::domain::PeriodState::Closed, _))
    );
    let mut frozen: HashMap<String, PersonScore> = HashMap::new();
    let mut frozen_at = None;
    if closed {
        let ids: Vec<String> = if people.len() > BY_ID_MAX {
            Vec::new()
        } else {
            people.iter().map(|p| p.id.to_string()).collect()
        };
        for r in store
            .person_records(RecordKind::FrozenScore, &[period.label().to_string()], &ids)
            .await?
        {
            match serde_json::from_str::<super::freeze::FrozenBody>(&r.body) {
                Ok(b) => {
                    frozen_at = Some(b.frozen_at);
                    frozen.insert(r.person_id, b.score);
                }
                Err(e) => {
                    tracing::warn!(person = %r.person_id, error = %e, "frozen score unreadable")
                }
            }
        }
    }
    let missing: Vec<crate::domain::Person> = people
        .iter()
        .filter(|p| !frozen.contains_key(&*p.id))
        .cloned()
        .collect();
    let mut computed = compute(store, rollup, cfg, period, &missing).await?;
    let mut scores: Vec<PersonScore> = people
        .iter()
        .filter_map(|p| frozen.remove(&*p.id))
        .collect();
    scores.append(&mut computed);
    scores.sort_by(|a, b| a.person.cmp(&b.person));
    Ok(Scores { scores, frozen_at })
}

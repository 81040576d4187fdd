//! Planning one request's events inside the writer: each event checked against the catalog as
//! the rollup and the earlier requests of the group (the overlay) leave it, task events merged
//! (`merge.rs`), the caller's responsibility for the change checked against the entity exactly
//! as the change finds it (`auth::access`), and an audit draft made for each accepted change.
//! Nothing here writes: the writer commits what this returns.

use super::event::{Event, EventBody, TaskPatch};
use super::merge::merge_task;
use super::writer::{IngestReport, WriteError};
use super::{denied, ItemError};
use crate::audit::{changed_fields, Draft};
use crate::auth::{access, Actor};
use crate::domain::{Change, Id, KeyResult, Observation, PeriodState, Rating, Task, Ts};
use crate::rollup::Rollup;
use std::collections::HashMap;

/// How a request's events are recorded in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuditDetail {
    /// One entry per change, with the fields' old and new values.
    Each,
    /// One entry for the whole request (the demo seed: a hundred thousand generated tasks).
    Batch,
}

/// Entities changed by requests earlier in the current group, not yet in the rollup.
#[derive(Default)]
pub(super) struct Overlay {
    tasks: HashMap<Id, Task>,
    key_results: HashMap<Id, KeyResult>,
    /// Newest observation per (kpi, unit, period) within the group: its time and value.
    observations: HashMap<(Id, Id, String), (Ts, f64)>,
    /// Event ids earlier requests of the group carried, by source, with a hash of their text:
    /// a repeat is a duplicate when it says the same, a conflict when it does not.
    seen: HashMap<(String, Id), u64>,
}

/// A cheap fingerprint of an event's text, to tell a repeat from a reuse of its id within one
/// group (a retry sends the same text); the log's own copies are compared by content
/// (`same_event`), which only replays pay for.
fn fingerprint(raw: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    raw.trim().hash(&mut h);
    h.finish()
}

/// Whether a logged event says the same as `e`: the same content, whatever the spelling of its
/// JSON. Its time is left out: an import stamps rows that carry none with the time it ran, so a
/// re-import of the same file repeats the rows at a later `at`, and is still the same events.
fn same_event(logged: &str, e: &Event) -> bool {
    match super::event::parse_event_str(logged) {
        Ok(old) => old.body == e.body,
        Err(_) => logged.trim() == e.raw.trim(),
    }
}

fn reused_id(i: usize, id: &Id) -> WriteError {
    WriteError::ConflictItem(ItemError::new("id", crate::msg!("event_id_reused", id = id)).at(i))
}

/// Checks one request against the catalog and merges it; on error nothing of it is kept.
/// `behind` is the overlay of the group still committing when this one is planned (the writer
/// plans the next group meanwhile): what it changed is not in the rollup yet.
pub(super) fn plan_events(
    events: &[Event],
    rollup: &Rollup,
    overlay: &mut Overlay,
    behind: Option<&Overlay>,
    existing: &HashMap<Id, String>,
    actor: &Actor,
    detail: AuditDetail,
) -> Result<(Vec<Change>, IngestReport, Vec<Draft>), WriteError> {
    let who = &actor.principal;
    let source = who.event_source();
    // Per-change entries only when they are kept: the seed's requests get one entry each.
    let each = detail == AuditDetail::Each;
    let mut drafts = Vec::new();
    // Work on a request-local layer so a bad item leaves the group's overlay untouched.
    let mut tasks: HashMap<Id, Task> = HashMap::new();
    let mut krs: HashMap<Id, KeyResult> = HashMap::new();
    let mut obs: HashMap<(Id, Id, String), (Ts, f64)> = HashMap::new();
    let mut seen: HashMap<Id, u64> = HashMap::new();
    let mut changes = Vec::with_capacity(events.len());
    let mut report = IngestReport {
        accepted: 0,
        duplicates: 0,
        duplicate_ids: Vec::new(),
        commit: 0,
    };
    for (i, e) in events.iter().enumerate() {
        let mut derived: Vec<Change> = Vec::new();
        // A repeated id of this source is a duplicate when it says what it said before (a retry
        // after a lost answer), and refused when it says something else: never silently dropped.
        let print = fingerprint(&e.raw);
        let key = (source.clone(), e.id.clone());
        let earlier = seen
            .get(&e.id)
            .or_else(|| overlay.seen.get(&key))
            .or_else(|| behind.and_then(|b| b.seen.get(&key)));
        let dup = match (existing.get(&e.id), earlier) {
            (Some(logged), _) if !same_event(logged, e) => return Err(reused_id(i, &e.id)),
            (_, Some(p)) if *p != print => return Err(reused_id(i, &e.id)),
            (Some(_), _) | (_, Some(_)) => true,
            (None, None) => {
                seen.insert(e.id.clone(), print);
                false
            }
        };
        // A duplicate is still checked: a replay must be as valid as the original was.
        let change = match &e.body {
            EventBody::Task(patch) => {
                let current = tasks
                    .get(&patch.task_id)
                    .cloned()
                    .or_else(|| overlay.tasks.get(&patch.task_id).cloned())
                    .or_else(|| behind.and_then(|b| b.tasks.get(&patch.task_id).cloned()))
                    .or_else(|| rollup.task(&patch.task_id));
                let merged =
                    merge_task(current.as_ref(), patch, e.at, rollup).map_err(|err| err.at(i))?;
                let (touch, field) = task_touch(patch);
                if let Some(after) = merged.as_ref().or(current.as_ref()) {
                    access::task_change(who, rollup, current.as_ref(), after, touch)
                        .map_err(|d| WriteError::Forbidden(denied(d, field).at(i)))?;
                }
                if let (false, true, Some(after)) = (dup, each, &merged) {
                    let (old, mut new) = changed_fields(
                        current.as_ref().map(task_json).as_ref(),
                        Some(&task_json(after)),
                    );
                    // The words and files that came with the change are part of what was done.
                    if !patch.remarks.is_empty() {
                        let mut fields = match new.take() {
                            Some(serde_json::Value::Object(m)) => m,
                            _ => serde_json::Map::new(),
                        };
                        fields.extend(patch.remarks.to_json());
                        new = Some(serde_json::Value::Object(fields));
                    }
                    let action = if current.is_some() {
                        "task.change"
                    } else {
                        "task.create"
                    };
                    drafts.push(Draft::new(
                        actor.who(),
                        action,
                        format!("task:{}", after.id),
                        Some(after.unit.to_string()),
                        old,
                        new,
                    ));
                }
                merged
                    .inspect(|t| {
                        if !dup {
                            tasks.insert(t.id.clone(), t.clone());
                        }
                    })
                    .map(Change::Task)
            }
            EventBody::KrCheckin {
                key_result,
                value,
                confidence,
                by,
            } => {
                let current = krs
                    .get(key_result)
                    .cloned()
                    .or_else(|| overlay.key_results.get(key_result).cloned())
                    .or_else(|| behind.and_then(|b| b.key_results.get(key_result).cloned()))
                    .or_else(|| rollup.key_result(key_result))
                    .ok_or_else(|| {
                        ItemError::new("key_result", format!("unknown key result '{key_result}'"))
                            .at(i)
                    })?;
                if let Some(by) = by {
                    if rollup.person(by).is_none() {
                        return Err(ItemError::new(
                            "by",
                            crate::msg!("unknown_person", id = by.to_string()),
                        )
                        .at(i)
                        .into());
                    }
                }
                let objective = rollup.objective(&current.objective);
                if objective.is_none() && !matches!(who, crate::auth::Principal::System(_)) {
                    return Err(WriteError::Forbidden(
                        ItemError::new("key_result", format!("key result '{key_result}' has no objective, so nobody answers for it")).at(i),
                    ));
                }
                if let Some(o) = objective {
                    let cycle = access::period_write(
                        who,
                        rollup,
                        &o.period,
                        &o.unit,
                        access::PeriodThing::Checkin,
                    )
                    .map_err(|d| WriteError::Forbidden(denied(d, "key_result").at(i)))?;
                    if let Some((PeriodState::Planning, planned)) = rollup.cycle_state(&o.period) {
                        return Err(ItemError::new(
                            "key_result",
                            format!("period {planned} is still being planned: check-ins of key result '{key_result}' open when it is active"),
                        )
                        .at(i)
                        .into());
                    }
                    if cycle == access::PeriodWrite::Open {
                        access::kr_checkin(who, rollup, key_result, &o.unit, o.owner.as_ref())
                            .map_err(|d| WriteError::Forbidden(denied(d, "key_result").at(i)))?;
                    }
                    if each && !dup && e.at >= current.current_at {
                        drafts.push(Draft::new(
                            actor.who(),
                            "key_result.checkin",
                            format!("key_result:{key_result}"),
                            Some(o.unit.to_string()),
                            Some(serde_json::json!({"value": current.current, "confidence": current.confidence})),
                            Some(serde_json::json!({"value": value, "confidence": confidence})),
                        ));
                    }
                }
                if e.at >= current.current_at {
                    let mut kr = current;
                    kr.current = *value;
                    kr.confidence = *confidence;
                    kr.current_at = e.at;
                    if !dup {
                        krs.insert(kr.id.clone(), kr.clone());
                    }
                    Some(Change::KeyResult(kr))
                } else {
                    None
                }
            }
            EventBody::Observation {
                kpi,
                unit,
                period,
                value,
                source,
                entered_by,
                comment,
            } => {
                let (frequency, measured, leading, computed) = rollup
                    .with_kpi(kpi, |k| {
                        (
                            k.frequency,
                            k.measures(unit),
                            k.leading_unit.clone(),
                            k.expression.as_ref().map(|f| f.text().to_string()),
                        )
                    })
                    .ok_or_else(|| ItemError::new("kpi", format!("unknown KPI '{kpi}'")).at(i))?;
                if let Some(f) = computed {
                    return Err(ItemError::new(
                        "kpi",
                        format!("KPI '{kpi}' is computed by its formula {f}: send the values of its inputs"),
                    )
                    .at(i)
                    .into());
                }
                if rollup.unit(unit).is_none() {
                    return Err(ItemError::new(
                        "unit",
                        crate::msg!("unknown_unit", id = unit.to_string()),
                    )
                    .at(i)
                    .into());
                }
                if !measured {
                    return Err(ItemError::new(
                        "unit",
                        format!("KPI '{kpi}' is not measured for unit '{unit}'"),
                    )
                    .at(i)
                    .into());
                }
                if period.kind != crate::domain::PeriodKind::of(frequency) {
                    return Err(ItemError::new(
                        "period",
                        format!(
                            "KPI '{kpi}' is reported {}; '{period}' is not such a period",
                            frequency.as_str()
                        ),
                    )
                    .at(i)
                    .into());
                }
                if let Some(p) = entered_by {
                    if rollup.person(p).is_none() {
                        return Err(ItemError::new(
                            "entered_by",
                            crate::msg!("unknown_person", id = p.to_string()),
                        )
                        .at(i)
                        .into());
                    }
                }
                let cycle =
                    access::period_write(who, rollup, period, unit, access::PeriodThing::KpiValue)
                        .map_err(|d| WriteError::Forbidden(denied(d, "period").at(i)))?;
                if cycle == access::PeriodWrite::Open {
                    access::kpi_value(who, rollup, kpi, &leading, unit)
                        .map_err(|d| WriteError::Forbidden(denied(d, "kpi").at(i)))?;
                }
                // Within the group the newest entry of a period wins; the store applies the same
                // rule against what it holds, and the rollup against the series' current value.
                let key = (kpi.clone(), unit.clone(), period.label().to_string());
                let newest = obs
                    .get(&key)
                    .or_else(|| overlay.observations.get(&key))
                    .or_else(|| behind.and_then(|b| b.observations.get(&key)))
                    .copied();
                if each && !dup {
                    // The value it replaces: an earlier request's not yet applied, else the rollup's.
                    let old = newest
                        .map(|(_, v)| v)
                        .or_else(|| {
                            rollup
                                .latest_observation(kpi, unit)
                                .filter(|o| o.period == *period)
                                .map(|o| o.value)
                        })
                        .map(|v| serde_json::json!({ "value": v }));
                    drafts.push(Draft::new(
                        actor.who(),
                        "kpi.value",
                        format!("kpi:{kpi}@{unit}/{}", period.label()),
                        Some(unit.to_string()),
                        old,
                        Some(serde_json::json!({"value": value, "source": source, "entered_by": entered_by.as_deref(), "comment": comment.as_deref()})),
                    ));
                }
                if newest.is_some_and(|(t, _)| e.at < t) {
                    None
                } else {
                    let o = Observation {
                        kpi: kpi.clone(),
                        unit: unit.clone(),
                        period: period.clone(),
                        value: *value,
                        source: source.clone(),
                        entered_by: entered_by.clone(),
                        at: e.at,
                    };
                    if !dup {
                        obs.insert(key, (e.at, *value));
                        let computed = super::formulas::derive(
                            &o,
                            rollup,
                            &mut obs,
                            &overlay.observations,
                            behind.map(|b| &b.observations),
                        );
                        for c in &computed {
                            if each {
                                drafts.push(Draft::new(
                                    actor.who(),
                                    "kpi.computed",
                                    format!("kpi:{}@{}/{}", c.kpi, c.unit, c.period.label()),
                                    Some(c.unit.to_string()),
                                    None,
                                    Some(serde_json::json!({"value": c.value, "source": c.source})),
                                ));
                            }
                        }
                        derived.extend(computed.into_iter().map(Change::Observation));
                    }
                    Some(Change::Observation(o))
                }
            }
            EventBody::Rating {
                unit,
                service,
                score,
                comment,
                comment_shown,
            } => {
                if rollup.unit(unit).is_none() {
                    return Err(ItemError::new(
                        "unit",
                        crate::msg!("unknown_unit", id = unit.to_string()),
                    )
                    .at(i)
                    .into());
                }
                access::rating(who, rollup, unit)
                    .map_err(|d| WriteError::Forbidden(denied(d, "unit").at(i)))?;
                if each && !dup {
                    drafts.push(Draft::new(
                        actor.who(),
                        "rating.add",
                        format!("rating:{unit}"),
                        Some(unit.to_string()),
                        None,
                        Some(serde_json::json!({"service": service, "score": score})),
                    ));
                }
                Some(Change::Rating(Rating {
                    event_id: e.id.clone(),
                    unit: unit.clone(),
                    service: service.clone(),
                    score: *score,
                    at: e.at,
                    comment: comment.clone(),
                    comment_shown: *comment_shown,
                }))
            }
        };
        if dup {
            report.duplicates += 1;
            report.duplicate_ids.push(e.id.to_string());
        } else {
            report.accepted += 1;
            changes.extend(change);
            changes.append(&mut derived);
        }
    }
    overlay.tasks.extend(tasks);
    overlay.key_results.extend(krs);
    overlay.observations.extend(obs);
    overlay
        .seen
        .extend(seen.into_iter().map(|(id, p)| ((source.clone(), id), p)));
    Ok((changes, report, drafts))
}

/// One entry for a whole seeded request: how many events, of which kinds, first and last id.
pub(super) fn batch_draft(actor: &Actor, events: &[Event], report: &IngestReport) -> Draft {
    let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in events {
        *kinds.entry(e.body.kind()).or_default() += 1;
    }
    Draft::new(
        actor.who(),
        "events.seed",
        format!(
            "events:{}..{}",
            events.first().map_or("", |e| &*e.id),
            events.last().map_or("", |e| &*e.id)
        ),
        None,
        None,
        Some(serde_json::json!({"accepted": report.accepted, "kinds": kinds})),
    )
}

/// Which parts of a task an event touches, and the field a refusal names.
fn task_touch(p: &TaskPatch) -> (access::TaskTouch, &'static str) {
    let touch = access::TaskTouch {
        plan_or_assignment: p.plan.is_some() || p.assignment.is_some(),
        progress: p.progress.is_some(),
        status: p.status.as_ref().map(|s| s.status),
        quality: p.status.as_ref().is_some_and(|s| s.quality.is_some()),
    };
    let field = if touch.quality {
        "quality"
    } else if touch.status.is_some() {
        "status"
    } else if touch.progress {
        "progress"
    } else if p.assignment.is_some() {
        "responsible"
    } else {
        "title"
    };
    (touch, field)
}

/// A task as the audit trail records it (the fields people change).
fn task_json(t: &Task) -> serde_json::Value {
    use crate::domain::time::format_ts;
    serde_json::json!({
        "title": t.title,
        "unit": &*t.unit,
        "responsible": &*t.responsible,
        "accountable": t.accountable.as_deref(),
        "consulted": t.consulted.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        "informed": t.informed.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        "key_result": t.key_result.as_deref(),
        "start": t.start.map(format_ts),
        "deadline": format_ts(t.deadline),
        "expected_output": t.expected_output,
        "progress": t.progress as f64 / 100.0,
        "status": t.status.as_str(),
        "quality": t.quality,
    })
}

#[cfg(test)]
mod tests {
    //! A request planned while the group before it commits sees that group's changes through
    //! `behind`: the writer's pipeline (`writer/events.rs`) depends on it.
    use super::*;
    use crate::domain::{Person, Unit, UnitLevel};
    use crate::ingest::event::parse_event;
    use crate::rollup::Snapshot;
    use serde_json::json;

    fn rollup() -> Rollup {
        Rollup::rebuild(
            Snapshot {
                units: vec![Unit {
                    id: "p-1".into(),
                    name: "Phường 1".into(),
                    level: UnitLevel::Ward,
                    parent: None,
                    leader: None,
                    short_name: None,
                }],
                people: vec![Person {
                    id: "an".into(),
                    name: "An".into(),
                    unit: "p-1".into(),
                    position: String::new(),
                }],
                ..Snapshot::default()
            },
            0,
        )
    }

    type Planned = Result<(Vec<Change>, IngestReport, Vec<Draft>), WriteError>;

    fn plan(
        events: serde_json::Value,
        rollup: &Rollup,
        behind: Option<&Overlay>,
    ) -> (Overlay, Planned) {
        let events: Vec<Event> = events
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| parse_event(e.clone()).expect("a valid event"))
            .collect();
        let mut overlay = Overlay::default();
        let planned = plan_events(
            &events,
            rollup,
            &mut overlay,
            behind,
            &HashMap::new(),
            &Actor::system("test"),
            AuditDetail::Each,
        );
        (overlay, planned)
    }

    const AT: &str = "2026-11-20T08:00:00+07:00";

    #[test]
    fn a_group_planned_behind_one_still_committing_builds_on_its_changes() {
        let rollup = rollup();
        let create = json!([{"type": "task", "id": "e1", "at": AT, "task_id": "t-1",
            "title": "Báo cáo", "responsible": "an", "deadline": "2026-11-30"}]);
        let (first, planned) = plan(create, &rollup, None);
        planned.expect("the task is created");
        assert!(rollup.task("t-1").is_none(), "not applied yet");

        // The task created by the group in flight is found, and its creation is not repeated.
        let progress =
            json!([{"type": "task", "id": "e2", "at": AT, "task_id": "t-1", "progress": 40}]);
        let (_, planned) = plan(progress.clone(), &rollup, Some(&first));
        let (changes, report, drafts) = planned.expect("the update finds the task");
        assert_eq!(report.accepted, 1);
        match &changes[..] {
            [Change::Task(t)] => {
                assert_eq!(t.title, "Báo cáo");
                assert_eq!(t.progress, 4_000);
            }
            other => panic!("one task change expected, got {other:?}"),
        }
        assert_eq!(
            drafts[0].action, "task.change",
            "a change of the task, not its creation"
        );
        // Without the group in flight the same request names a task nobody created.
        let (_, alone) = plan(progress, &rollup, None);
        assert!(alone.is_err(), "an update of an unknown task is refused");

        // An id the group in flight carried: the same text again is a duplicate, other text
        // under that id is refused.
        let repeat = json!([{"type": "task", "id": "e1", "at": AT, "task_id": "t-1",
            "title": "Báo cáo", "responsible": "an", "deadline": "2026-11-30"}]);
        let (_, planned) = plan(repeat, &rollup, Some(&first));
        let (_, report, _) = planned.expect("a replay is answered");
        assert_eq!((report.accepted, report.duplicates), (0, 1));
        let reused =
            json!([{"type": "task", "id": "e1", "at": AT, "task_id": "t-1", "progress": 90}]);
        let (_, planned) = plan(reused, &rollup, Some(&first));
        assert!(
            matches!(planned, Err(WriteError::ConflictItem(_))),
            "{planned:?}"
        );
    }
}

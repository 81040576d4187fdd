//! Task templates inside the writer: a template written by a leader (checked like an assignment:
//! the unit and every person in a subtree the caller leads, a known key result, a day the
//! recurrence has), and each period's instance made on a clock tick as a task event through the
//! same planning as an assigned task (`plan.rs`), with an id naming the template and the period
//! so a second tick or a restart finds it made. Past periods missed while the server was down
//! are not made afterwards: only the current one, with the missed ones named in its audit entry
//! and the log.

use super::event::{parse_event, Event};
use super::{check_id, check_text, ItemError};
use crate::audit::{changed_fields, Draft};
use crate::auth::{Actor, Principal, Role};
use crate::domain::template::{vn_date, Every, Occurrence, Recurrence, TaskTemplate};
use crate::domain::time::format_ts;
use crate::domain::{Id, Ts};
use crate::msg;
use crate::rollup::Rollup;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use utoipa::ToSchema;

use super::writer::WriteError;

/// A new template (`POST /api/v1/task-templates`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateIn {
    /// Letters, digits, `-`, `_`, `.` (at most 60); left out, one is made from the title.
    pub id: Option<String>,
    /// The unit whose leaders manage the template; left out, the responsible person's unit.
    pub unit: Option<String>,
    /// The work without its period: instances are titled "<title> tháng 11/2026".
    pub title: String,
    pub expected_output: Option<String>,
    /// R: a person of `unit`'s subtree.
    pub responsible: String,
    pub accountable: Option<String>,
    pub consulted: Option<Vec<String>>,
    pub informed: Option<Vec<String>>,
    pub key_result: Option<String>,
    pub every: Every,
    /// The day each instance is due: 1-31 of the month (monthly; of the quarter's last month for
    /// quarterly), 1 (Monday) to 7 (Sunday) for weekly.
    pub day: i64,
    /// Days before the due day the instance is made (default 5; less than one period).
    pub lead_days: Option<i64>,
    /// A date (YYYY-MM-DD): periods due before it make no instance.
    pub active_from: Option<String>,
    /// A date: periods due after it make no instance.
    pub active_until: Option<String>,
    pub paused: Option<bool>,
}

/// A change of a template (`PUT /api/v1/task-templates/{id}`): the fields given replace the
/// stored ones; `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    pub title: Option<String>,
    pub expected_output: Option<String>,
    pub responsible: Option<String>,
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub accountable: Option<Option<String>>,
    pub consulted: Option<Vec<String>>,
    pub informed: Option<Vec<String>>,
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub key_result: Option<Option<String>>,
    pub every: Option<Every>,
    pub day: Option<i64>,
    pub lead_days: Option<i64>,
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub active_from: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub active_until: Option<Option<String>>,
    /// Paused templates make no instance; pausing or resuming alone needs no reason.
    pub paused: Option<bool>,
    /// Why the template changes (kept in the audit trail); needed for any change but a pause.
    pub reason: Option<String>,
}

/// A field that may be given as `null` (cleared) or left out (kept): `Some(None)` and `None`.
fn given<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl TemplatePatch {
    /// Names no field at all (a `null` that clears one is a field named).
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.expected_output.is_none()
            && self.responsible.is_none()
            && self.accountable.is_none()
            && self.consulted.is_none()
            && self.informed.is_none()
            && self.key_result.is_none()
            && self.every.is_none()
            && self.day.is_none()
            && self.lead_days.is_none()
            && self.active_from.is_none()
            && self.active_until.is_none()
            && self.paused.is_none()
            && self.reason.is_none()
    }
}

/// What the writer is asked to do with a template.
#[derive(Debug, Clone)]
pub enum TemplateWrite {
    Create(TemplateIn),
    Change { id: String, patch: TemplatePatch },
}

fn invalid(field: &str, m: crate::i18n::Msg) -> WriteError {
    WriteError::Invalid(ItemError::new(field, m))
}

fn forbidden(field: &str, m: crate::i18n::Msg) -> WriteError {
    WriteError::Forbidden(ItemError::new(field, m))
}

fn date(field: &str, s: Option<&str>) -> Result<Option<NaiveDate>, WriteError> {
    s.filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| invalid(field, msg!("template_date", value = s)))
        })
        .transpose()
}

/// An id made from a title: its letters without diacritics, joined by `-`.
fn slug(title: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    for c in title
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
    {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "mau".into()
    } else {
        out
    }
}

/// Checks a write against the catalog and the caller's rights; the template as it will be
/// kept, with its audit entry.
pub(super) fn plan(
    write: TemplateWrite,
    existing: &HashMap<Id, TaskTemplate>,
    rollup: &Rollup,
    actor: &Actor,
    now: Ts,
) -> Result<(TaskTemplate, Draft), WriteError> {
    let who = &actor.principal;
    let (before, mut t, reason) = match write {
        TemplateWrite::Create(i) => {
            let id = match i.id.as_deref().filter(|s| !s.is_empty()) {
                Some(id) => {
                    if id.len() > 60
                        || !id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                    {
                        return Err(invalid("id", msg!("template_id")));
                    }
                    if existing.contains_key(id) {
                        return Err(WriteError::ConflictItem(ItemError::new(
                            "id",
                            msg!("template_exists", id = id),
                        )));
                    }
                    id.to_string()
                }
                None => {
                    let base = slug(&i.title);
                    let mut id = base.clone();
                    let mut n = 2;
                    while existing.contains_key(id.as_str()) {
                        id = format!("{base}-{n}");
                        n += 1;
                    }
                    id
                }
            };
            let unit = match i.unit.as_deref().filter(|u| !u.is_empty()) {
                Some(u) => u.into(),
                None => rollup
                    .person(&i.responsible)
                    .map(|p| p.unit)
                    .ok_or_else(|| {
                        invalid(
                            "responsible",
                            msg!("unknown_person", id = i.responsible.as_str()),
                        )
                    })?,
            };
            let t = TaskTemplate {
                id: id.into(),
                unit,
                title: i.title.trim().to_string(),
                expected_output: i.expected_output.unwrap_or_default(),
                responsible: i.responsible.as_str().into(),
                accountable: i.accountable.filter(|s| !s.is_empty()).map(Into::into),
                consulted: i
                    .consulted
                    .unwrap_or_default()
                    .iter()
                    .map(|s| s.as_str().into())
                    .collect(),
                informed: i
                    .informed
                    .unwrap_or_default()
                    .iter()
                    .map(|s| s.as_str().into())
                    .collect(),
                key_result: i.key_result.filter(|s| !s.is_empty()).map(Into::into),
                recurrence: Recurrence {
                    every: i.every,
                    day: day_of(i.every, i.day)?,
                    lead_days: lead_of(i.every, i.lead_days.unwrap_or(5))?,
                },
                active_from: date("active_from", i.active_from.as_deref())?,
                active_until: date("active_until", i.active_until.as_deref())?,
                paused: i.paused.unwrap_or(false),
                created_by: who.actor_id(),
                created_at: now,
                updated_at: now,
            };
            (None, t, None)
        }
        TemplateWrite::Change { id, patch: p } => {
            if p.is_empty() {
                return Err(invalid("", msg!("template_nothing")));
            }
            let Some(before) = existing.get(id.as_str()).cloned() else {
                // The handler answers 404 before asking; this is a template gone since.
                return Err(invalid("id", msg!("template_not_found", id = id.as_str())));
            };
            // Whoever changes a template leads its unit now, before and after the change.
            may_manage(who, rollup, &before.unit)?;
            let mut t = before.clone();
            if let Some(s) = p.title {
                t.title = s.trim().to_string();
            }
            if let Some(s) = p.expected_output {
                t.expected_output = s;
            }
            if let Some(s) = p.responsible {
                t.responsible = s.as_str().into();
            }
            if let Some(s) = p.accountable {
                t.accountable = s.filter(|s| !s.is_empty()).map(|s| s.as_str().into());
            }
            if let Some(v) = p.consulted {
                t.consulted = v.iter().map(|s| s.as_str().into()).collect();
            }
            if let Some(v) = p.informed {
                t.informed = v.iter().map(|s| s.as_str().into()).collect();
            }
            if let Some(s) = p.key_result {
                t.key_result = s.filter(|s| !s.is_empty()).map(|s| s.as_str().into());
            }
            let every = p.every.unwrap_or(t.recurrence.every);
            t.recurrence = Recurrence {
                every,
                day: day_of(every, p.day.unwrap_or(i64::from(t.recurrence.day)))?,
                lead_days: lead_of(
                    every,
                    p.lead_days.unwrap_or(i64::from(t.recurrence.lead_days)),
                )?,
            };
            if let Some(s) = p.active_from {
                t.active_from = date("active_from", s.as_deref())?;
            }
            if let Some(s) = p.active_until {
                t.active_until = date("active_until", s.as_deref())?;
            }
            if let Some(b) = p.paused {
                t.paused = b;
            }
            t.updated_at = now;
            let only_pause = TaskTemplate {
                paused: before.paused,
                updated_at: before.updated_at,
                ..t.clone()
            } == before;
            let reason = p
                .reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty());
            if reason.is_none() && !only_pause {
                return Err(invalid("reason", msg!("template_reason")));
            }
            if let Some(r) = &reason {
                check_text("reason", r, 2000)?;
            }
            (Some(before), t, reason)
        }
    };
    check(who, rollup, &mut t)?;
    let (old, new) = changed_fields(before.as_ref().map(json_of).as_ref(), Some(&json_of(&t)));
    let mut new = match new {
        Some(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    if let Some(r) = reason {
        new.insert("reason".into(), Value::String(r));
    }
    let action = if before.is_some() {
        "task_template.change"
    } else {
        "task_template.create"
    };
    let draft = Draft::new(
        actor.who(),
        action,
        format!("task_template:{}", t.id),
        Some(t.unit.to_string()),
        old,
        Some(Value::Object(new)),
    );
    Ok((t, draft))
}

fn day_of(every: Every, day: i64) -> Result<u8, WriteError> {
    if !(1..=i64::from(every.max_day())).contains(&day) {
        return Err(invalid(
            "day",
            msg!("template_day", max = i64::from(every.max_day())),
        ));
    }
    Ok(day as u8)
}

fn lead_of(every: Every, lead: i64) -> Result<u16, WriteError> {
    let max = i64::from(every.max_lead_days());
    if !(0..=max).contains(&lead) {
        return Err(invalid("lead_days", msg!("template_lead_days", max = max)));
    }
    Ok(lead as u16)
}

fn may_manage(who: &Principal, rollup: &Rollup, unit: &str) -> Result<(), WriteError> {
    if rollup.unit(unit).is_none() {
        return Err(invalid("unit", msg!("unknown_unit", id = unit)));
    }
    if !who.holds(rollup, unit, &[Role::Leader, Role::Admin]) {
        let name = rollup
            .unit(unit)
            .map_or_else(|| unit.to_string(), |u| u.name);
        return Err(forbidden("unit", msg!("template_managed_by", unit = name)));
    }
    Ok(())
}

/// The same rules as assigning a task: every person known and in a subtree the caller leads
/// (R inside the template's unit), R never also A, a key result that exists.
fn check(who: &Principal, rollup: &Rollup, t: &mut TaskTemplate) -> Result<(), WriteError> {
    check_text("title", &t.title, 200)?;
    if t.expected_output.chars().count() > 2000 {
        return Err(ItemError::new("expected_output", "is longer than 2000 characters").into());
    }
    may_manage(who, rollup, &t.unit)?;
    let person = |field: &str, id: &Id| -> Result<(), WriteError> {
        check_id(field, id)?;
        let Some(p) = rollup.person(id) else {
            return Err(invalid(field, msg!("unknown_person", id = id)));
        };
        if !who.holds(rollup, &p.unit, &[Role::Leader, Role::Admin]) {
            return Err(forbidden(
                field,
                msg!("template_person_outside", person = p.name),
            ));
        }
        Ok(())
    };
    person("responsible", &t.responsible)?;
    let r_unit = rollup
        .person(&t.responsible)
        .map(|p| p.unit)
        .unwrap_or_default();
    if !rollup.ancestors(&r_unit).contains(&t.unit) {
        let name = rollup
            .unit(&t.unit)
            .map_or_else(|| t.unit.to_string(), |u| u.name);
        return Err(forbidden(
            "responsible",
            msg!("template_responsible_unit", unit = name),
        ));
    }
    if let Some(a) = &t.accountable {
        person("accountable", a)?;
        if *a == t.responsible {
            return Err(invalid("accountable", msg!("template_own_acceptor")));
        }
    }
    for (i, c) in t.consulted.iter().enumerate() {
        person(&format!("consulted[{i}]"), c)?;
    }
    for (i, c) in t.informed.iter().enumerate() {
        person(&format!("informed[{i}]"), c)?;
    }
    if let Some(kr) = &t.key_result {
        if rollup.key_result(kr).is_none() {
            return Err(invalid("key_result", msg!("template_unknown_kr", id = kr)));
        }
    }
    if let (Some(f), Some(u)) = (t.active_from, t.active_until) {
        if u < f {
            return Err(invalid("active_until", msg!("template_dates")));
        }
    }
    t.consulted.dedup();
    t.informed.dedup();
    Ok(())
}

/// A template as its audit entries show it.
pub fn json_of(t: &TaskTemplate) -> Value {
    json!({
        "unit": t.unit,
        "title": t.title,
        "expected_output": t.expected_output,
        "responsible": t.responsible,
        "accountable": t.accountable,
        "consulted": t.consulted,
        "informed": t.informed,
        "key_result": t.key_result,
        "every": t.recurrence.every.as_str(),
        "day": t.recurrence.day,
        "lead_days": t.recurrence.lead_days,
        "active_from": t.active_from.map(|d| d.to_string()),
        "active_until": t.active_until.map(|d| d.to_string()),
        "paused": t.paused,
    })
}

/// The period whose instance is due to exist at `now`, if the template makes one: not paused,
/// in its active dates, and not due before the day the template was made (a template made on
/// the 28th does not start with an overdue task for the 25th).
pub fn due_period(t: &TaskTemplate, now: Ts) -> Option<Occurrence> {
    if t.paused {
        return None;
    }
    let o = t.recurrence.current(now);
    (t.active_for(&o) && o.due >= vn_date(t.created_at)).then_some(o)
}

/// The instance of `o` as a task event from the template: what a leader assigning it by hand
/// would send.
pub(super) fn instance_event(
    t: &TaskTemplate,
    o: &Occurrence,
    now: Ts,
) -> Result<Event, ItemError> {
    let mut body = json!({
        "type": "task",
        "id": format!("template:{}:{}", t.id, o.label),
        "at": format_ts(now),
        "task_id": t.instance_id(o),
        "title": t.instance_title(o),
        "responsible": t.responsible,
        "consulted": t.consulted,
        "informed": t.informed,
        "start": format_ts(t.recurrence.creation(o).min(now)),
        "deadline": format_ts(t.deadline(o)),
        "expected_output": t.expected_output,
    });
    if let Some(a) = &t.accountable {
        body["accountable"] = json!(a);
    }
    if let Some(k) = &t.key_result {
        body["key_result"] = json!(k);
    }
    parse_event(body)
}

/// Periods before `o` whose instance was never made (the server was down, or the template
/// paused), newest first, at most 12: named in the audit entry of the one that is made.
pub(super) fn missed(t: &TaskTemplate, o: &Occurrence, rollup: &Rollup) -> Vec<String> {
    let mut out = Vec::new();
    let mut p = t.recurrence.previous(o);
    let since = vn_date(t.created_at);
    while out.len() < 12 && p.due >= since && t.active_for(&p) {
        if rollup.task(&t.instance_id(&p)).is_some() {
            break;
        }
        out.push(p.label.clone());
        p = t.recurrence.previous(&p);
    }
    out
}

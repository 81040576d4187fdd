//! Review meetings as the writer plans them: opening a review as a meeting, its notes, its
//! conclusions (each with what it sets in motion: a task, a target adjusted, an explanation
//! asked, or nothing with a reason), the presenter's item, closing, and the audited corrections
//! of a closed record. Checked against the meeting as the rollup holds it at commit (only the
//! writer changes it); the work a conclusion sets in motion is planned by its own planner (task
//! events, catalog, cycle, explanations) so the same rules hold as anywhere else.

use super::catalog::CatalogItem;
use super::cycle::CycleItem;
use super::event::Event;
use super::explain::AskIn;
use super::writer::WriteError;
use super::ItemError;
use crate::audit::Draft;
use crate::auth::{access, Actor, Denied};
use crate::domain::meeting::{Action, AgendaItem, Conclusion, Correction, Meeting, MeetingState};
use crate::domain::{Id, Ts};
use crate::i18n::Msg;
use crate::msg;
use crate::rollup::Rollup;
use serde_json::json;
use std::sync::Arc;

/// Longest note of an agenda item, conclusion text, reason.
pub const NOTE_MAX: usize = 4000;
pub const TEXT_MAX: usize = 2000;

#[derive(Debug, Clone)]
pub struct OpenIn {
    pub unit: Id,
    pub period: String,
    pub chair: Id,
    pub attendees: Vec<Id>,
    /// The agenda, generated from the review by the caller (`report::meeting::agenda`).
    pub items: Vec<AgendaItem>,
}

/// What a conclusion sets in motion, as asked; the ids of what it creates are the caller's
/// (derived from the conclusion's id, so a retry finds them).
#[derive(Debug, Clone)]
pub enum ActionIn {
    Task { task: Id, event: Box<Event> },
    AdjustKeyResult { key_result: Id, target: f64 },
    AdjustTarget(CycleItem),
    Explain(Box<AskIn>),
    Silence { reason: String },
}

#[derive(Debug, Clone)]
pub struct ConcludeIn {
    pub id: String,
    pub item: Option<String>,
    pub text: String,
    pub action: ActionIn,
}

#[derive(Debug, Clone)]
pub enum MeetingWrite {
    Open(OpenIn),
    Note {
        item: String,
        note: String,
    },
    Conclude(ConcludeIn),
    Present {
        item: usize,
    },
    Close,
    Correct {
        conclusion: String,
        text: String,
        reason: String,
    },
}

/// The work a conclusion sets in motion, for the writer to plan with its own planner and commit
/// with the meeting.
#[derive(Debug, Clone)]
pub enum Sub {
    Task(Box<Event>),
    KeyResult(CatalogItem),
    Target(CycleItem),
    Explain(Box<AskIn>),
}

pub enum Outcome {
    New(Box<Planned>),
    /// A retry of what is kept (the meeting already open, the conclusion already made).
    Duplicate(Arc<Meeting>),
}

pub struct Planned {
    pub meeting: Meeting,
    pub draft: Draft,
    pub sub: Option<Sub>,
}

fn refused(field: &str, d: Denied) -> WriteError {
    match d {
        Denied::Forbidden(m) | Denied::NotFound(m) => {
            WriteError::Forbidden(ItemError::new(field, m))
        }
    }
}

fn invalid(field: &str, m: impl Into<Msg>) -> WriteError {
    WriteError::Invalid(ItemError::new(field, m))
}

fn person(rollup: &Rollup, field: &str, id: &str) -> Result<(), WriteError> {
    rollup
        .person(id)
        .map(|_| ())
        .ok_or_else(|| invalid(field, msg!("meeting_person", id = id)))
}

fn text(field: &str, s: &str, max: usize) -> Result<String, WriteError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > max {
        return Err(invalid(field, msg!("meeting_text", max = max)));
    }
    Ok(s.to_string())
}

/// Plans `write` on meeting `id` (for `Open`, the id the review's meeting has).
pub fn plan(
    id: &str,
    write: MeetingWrite,
    rollup: &Rollup,
    actor: &Actor,
    now: Ts,
) -> Result<Outcome, WriteError> {
    let who = &actor.principal;
    if let MeetingWrite::Open(o) = write {
        access::meeting_lead(who, rollup, &o.unit).map_err(|d| refused("unit", d))?;
        if let Some(m) = rollup.meeting(id) {
            return Ok(Outcome::Duplicate(m));
        }
        person(rollup, "chair", &o.chair)?;
        for a in &o.attendees {
            person(rollup, "attendees", a)?;
        }
        let mut attendees: Vec<Id> = Vec::new();
        for a in o.attendees {
            if !attendees.contains(&a) {
                attendees.push(a);
            }
        }
        let m = Meeting {
            id: id.to_string(),
            unit: o.unit,
            period: o.period,
            chair: o.chair,
            attendees,
            state: MeetingState::Open,
            opened_at: now,
            opened_by: actor.principal.actor_id(),
            closed_at: None,
            current: 0,
            items: o.items,
            conclusions: Vec::new(),
            version: 1,
        };
        let draft = Draft::new(
            actor.who(),
            "meeting.open",
            format!("meeting:{id}"),
            Some(m.unit.to_string()),
            None,
            Some(
                json!({"period": m.period, "chair": m.chair, "attendees": m.attendees, "items": m.items.len()}),
            ),
        );
        return Ok(Outcome::New(Box::new(Planned {
            meeting: m,
            draft,
            sub: None,
        })));
    }
    let old = rollup
        .meeting(id)
        .ok_or_else(|| invalid("meeting", msg!("no_meeting", id = id)))?;
    access::meeting_lead(who, rollup, &old.unit).map_err(|d| refused("meeting", d))?;
    let mut m: Meeting = (*old).clone();
    m.version += 1;
    let closed = m.state == MeetingState::Closed;
    let entity = format!("meeting:{id}");
    let unit = Some(m.unit.to_string());
    let draft = |action: &str, old: Option<serde_json::Value>, new: serde_json::Value| {
        Draft::new(
            actor.who(),
            action,
            entity.clone(),
            unit.clone(),
            old,
            Some(new),
        )
    };
    let (draft, sub) = match write {
        MeetingWrite::Open(_) => unreachable!("handled above"),
        MeetingWrite::Correct {
            conclusion,
            text: new_text,
            reason,
        } => {
            if !closed {
                return Err(WriteError::ConflictItem(ItemError::new(
                    "conclusion",
                    msg!("meeting_open_correct"),
                )));
            }
            let new_text = text("text", &new_text, TEXT_MAX)?;
            let reason = text("reason", &reason, TEXT_MAX)?;
            let c = m
                .conclusions
                .iter_mut()
                .find(|c| c.id == conclusion)
                .ok_or_else(|| {
                    invalid(
                        "conclusion",
                        msg!("meeting_no_conclusion", id = &*conclusion),
                    )
                })?;
            let old_text = std::mem::replace(&mut c.text, new_text.clone());
            c.corrections.push(Correction {
                at: now,
                by: actor.principal.actor_id(),
                reason: reason.clone(),
                old_text: old_text.clone(),
                new_text: new_text.clone(),
            });
            (
                draft(
                    "meeting.correct",
                    Some(json!({"conclusion": conclusion, "text": old_text})),
                    json!({"conclusion": conclusion, "text": new_text, "reason": reason}),
                ),
                None,
            )
        }
        // Closed already: nothing to do (a second laptop's click, a retry).
        MeetingWrite::Close if closed => return Ok(Outcome::Duplicate(old)),
        _ if closed => {
            return Err(WriteError::ConflictItem(ItemError::new(
                "meeting",
                msg!("meeting_closed"),
            )))
        }
        MeetingWrite::Note { item, note } => {
            let note = note.trim().to_string();
            if note.chars().count() > NOTE_MAX {
                return Err(invalid("note", msg!("meeting_text", max = NOTE_MAX)));
            }
            let it = m
                .items
                .iter_mut()
                .find(|i| i.key == item)
                .ok_or_else(|| invalid("item", msg!("meeting_no_item", item = &*item)))?;
            let old_note = std::mem::replace(&mut it.note, note.clone());
            if old_note == note {
                return Ok(Outcome::Duplicate(old));
            }
            (
                draft(
                    "meeting.note",
                    Some(json!({"item": item, "note": old_note})),
                    json!({"item": item, "note": note}),
                ),
                None,
            )
        }
        MeetingWrite::Present { item } => {
            if item >= m.items.len().max(1) {
                return Err(invalid(
                    "item",
                    msg!("meeting_item_range", last = m.items.len().saturating_sub(1)),
                ));
            }
            if m.current == item {
                return Ok(Outcome::Duplicate(old));
            }
            let from = std::mem::replace(&mut m.current, item);
            (
                draft(
                    "meeting.present",
                    Some(json!({"item": from})),
                    json!({"item": item}),
                ),
                None,
            )
        }
        MeetingWrite::Close => {
            m.state = MeetingState::Closed;
            m.closed_at = Some(now);
            (
                draft(
                    "meeting.close",
                    Some(json!({"state": "open"})),
                    json!({"state": "closed", "conclusions": m.conclusions.len()}),
                ),
                None,
            )
        }
        MeetingWrite::Conclude(c) => {
            if let Some(kept) = m.conclusions.iter().find(|k| k.id == c.id) {
                return if kept.text == c.text.trim() {
                    Ok(Outcome::Duplicate(old))
                } else {
                    Err(WriteError::ConflictItem(ItemError::new(
                        "id",
                        msg!("meeting_conclusion_taken", id = &*c.id),
                    )))
                };
            }
            if let Some(item) = &c.item {
                if !m.items.iter().any(|i| &i.key == item) {
                    return Err(invalid("item", msg!("meeting_no_item", item = &**item)));
                }
            }
            let words = text("text", &c.text, TEXT_MAX)?;
            let (action, sub) = conclude_action(c.action, &m, rollup)?;
            let conclusion = Conclusion {
                id: c.id.clone(),
                item: c.item,
                text: words,
                action,
                made_at: now,
                made_by: actor.principal.actor_id(),
                corrections: Vec::new(),
            };
            let d = draft(
                "meeting.conclude",
                None,
                serde_json::to_value(&conclusion).unwrap_or_default(),
            );
            m.conclusions.push(conclusion);
            (d, sub)
        }
    };
    Ok(Outcome::New(Box::new(Planned {
        meeting: m,
        draft,
        sub,
    })))
}

/// The conclusion's action as kept, and the work to commit with it.
fn conclude_action(
    a: ActionIn,
    m: &Meeting,
    rollup: &Rollup,
) -> Result<(Action, Option<Sub>), WriteError> {
    Ok(match a {
        ActionIn::Task { task, event } => (Action::Task { task }, Some(Sub::Task(event))),
        ActionIn::AdjustKeyResult { key_result, target } => {
            let kr = rollup
                .key_result(&key_result)
                .filter(|kr| {
                    rollup
                        .objective(&kr.objective)
                        .is_some_and(|o| rollup.ancestors(&o.unit).contains(&m.unit))
                })
                .ok_or_else(|| {
                    invalid(
                        "adjust.key_result",
                        msg!(
                            "meeting_key_result",
                            id = &*key_result,
                            unit = rollup.unit(&m.unit).map_or(m.unit.to_string(), |u| u.name)
                        ),
                    )
                })?;
            let from = kr.target;
            let mut changed = kr.clone();
            changed.target = target;
            (
                Action::Adjust {
                    key_result: Some(key_result),
                    kpi: None,
                    unit: None,
                    period: None,
                    from: Some(from),
                    to: target,
                },
                Some(Sub::KeyResult(CatalogItem::KeyResult(changed, None))),
            )
        }
        ActionIn::AdjustTarget(item) => {
            let CycleItem::Target {
                kpi,
                unit,
                period,
                target,
            } = &item
            else {
                unreachable!("the caller gives a target");
            };
            let from = rollup.target_exact(kpi, unit, period).map(|t| t.target);
            (
                Action::Adjust {
                    key_result: None,
                    kpi: Some(kpi.clone()),
                    unit: Some(unit.clone()),
                    period: Some(period.label().to_string()),
                    from,
                    to: *target,
                },
                Some(Sub::Target(item)),
            )
        }
        ActionIn::Explain(ask) => (
            Action::Explain {
                explanation: ask.id.clone(),
            },
            Some(Sub::Explain(ask)),
        ),
        ActionIn::Silence { reason } => (
            Action::Silence {
                reason: text("reason", &reason, TEXT_MAX)?,
            },
            None,
        ),
    })
}

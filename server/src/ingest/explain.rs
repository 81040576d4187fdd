//! Explanation requests as the writer plans them: what a request is about and who answers it,
//! checked against the catalog and the responsibility rules (`auth::access`) as they stand at
//! commit; the thread's messages; the escalation of a request not answered by its due date.
//! Each plan is the request's new state, the message, its audit entry and the notices it causes,
//! for one transaction.

use super::writer::WriteError;
use super::ItemError;
use crate::audit::Draft;
use crate::auth::{access, Actor, Denied};
use crate::domain::explanation::{
    ExplainMessage, ExplainState, Explanation, FileRef, MessageRole, SubjectKind, Thread,
};
use crate::domain::Ts;
use crate::i18n::{Lang, Msg};
use crate::msg;
use crate::notify::compose::time_words;
use crate::notify::notice::{enqueue, Item, Notice};
use crate::rollup::Rollup;
use crate::store::NoticeRow;

/// A request as asked.
#[derive(Debug, Clone, PartialEq)]
pub struct AskIn {
    pub id: String,
    pub subject_kind: SubjectKind,
    pub subject: String,
    /// The unit of a KPI series (required for `kpi`; read from the subject otherwise).
    pub unit: Option<String>,
    /// Who is to answer; by default the person the subject names (a task's responsible person,
    /// a series' data entry, a unit's leader).
    pub addressee: Option<String>,
    pub question: String,
    pub due_at: Ts,
    /// How the asking screen words an alert group; the rule's name otherwise.
    pub title: Option<String>,
}

/// A message added to a thread.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageIn {
    pub explanation: String,
    pub id: String,
    pub text: String,
    pub attachments: Vec<FileRef>,
}

#[derive(Debug, Clone)]
pub enum ExplainWrite {
    Ask(AskIn),
    Message(MessageIn),
}

/// What a write comes to.
// One per write, moved once: its size costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    New(Planned),
    /// A retry of what is already kept: the thread as it stands.
    Duplicate(Thread),
}

/// A write ready to commit.
pub struct Planned {
    pub explanation: Explanation,
    pub message: Option<ExplainMessage>,
    pub draft: Draft,
    pub notices: Vec<NoticeRow>,
}

fn refused(field: &str, d: Denied) -> WriteError {
    match d {
        Denied::Forbidden(m) | Denied::NotFound(m) => {
            WriteError::Forbidden(ItemError::new(field, m))
        }
    }
}

fn invalid(field: &str, m: Msg) -> WriteError {
    WriteError::Invalid(ItemError::new(field, m))
}

fn unit_name(rollup: &Rollup, id: &str) -> String {
    rollup.unit(id).map_or_else(|| id.to_string(), |u| u.name)
}

fn person_name(rollup: &Rollup, id: &str) -> String {
    rollup.person(id).map_or_else(|| id.to_string(), |p| p.name)
}

/// The asker as people read them: the linked person's name, else the account's.
fn actor_name(rollup: &Rollup, actor: &Actor) -> String {
    match &actor.principal {
        crate::auth::Principal::Account { account, .. } => account
            .person
            .as_ref()
            .map_or_else(|| account.name.clone(), |p| person_name(rollup, p)),
        other => other.actor_id(),
    }
}

/// The leader of the nearest unit with one, walking up from `unit`, who is not `not`.
fn leader_up(rollup: &Rollup, unit: &str, not: &str) -> Option<String> {
    rollup
        .ancestors(unit)
        .iter()
        .filter_map(|u| rollup.unit(u).and_then(|u| u.leader))
        .map(|p| p.to_string())
        .find(|p| p != not)
}

/// What the subject is: its unit, its title, who answers it by default.
fn subject_of(
    a: &AskIn,
    rollup: &Rollup,
    rule_known: &dyn Fn(&str) -> bool,
) -> Result<(String, String, Option<String>), WriteError> {
    match a.subject_kind {
        SubjectKind::Task => {
            let t = rollup
                .task(&a.subject)
                .ok_or_else(|| invalid("subject", msg!("explain_no_task", task = &*a.subject)))?;
            Ok((
                t.unit.to_string(),
                t.title.clone(),
                Some(t.responsible.to_string()),
            ))
        }
        SubjectKind::Kpi => {
            let unit = a
                .unit
                .clone()
                .filter(|u| rollup.unit(u).is_some())
                .ok_or_else(|| {
                    invalid(
                        "unit",
                        msg!("unknown_unit", id = a.unit.as_deref().unwrap_or_default()),
                    )
                })?;
            let (name, leading) = rollup
                .with_kpi(&a.subject, |k| (k.name.clone(), k.leading_unit.clone()))
                .ok_or_else(|| {
                    invalid(
                        "subject",
                        msg!(
                            "explain_no_kpi",
                            kpi = &*a.subject,
                            unit = unit_name(rollup, &unit)
                        ),
                    )
                })?;
            // Who enters the values answers for them, as the alert rules tell them: whoever
            // entered the last one, else the unit's leader, else the KPI's leading unit's.
            let by = rollup
                .latest_observation(&a.subject, &unit)
                .and_then(|o| o.entered_by)
                .or_else(|| rollup.unit(&unit).and_then(|u| u.leader))
                .or_else(|| rollup.unit(&leading).and_then(|u| u.leader))
                .map(|p| p.to_string());
            Ok((unit, name, by))
        }
        SubjectKind::AlertGroup => {
            let mut parts = a.subject.split('|');
            let unit = parts.next().unwrap_or_default().to_string();
            let rule = parts.next().unwrap_or_default();
            if rollup.unit(&unit).is_none() || !rule_known(rule) {
                return Err(invalid(
                    "subject",
                    msg!("explain_no_group", key = &*a.subject),
                ));
            }
            let title = a
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| rule.to_string());
            let by = rollup
                .unit(&unit)
                .and_then(|u| u.leader)
                .map(|p| p.to_string());
            Ok((unit, title, by))
        }
    }
}

/// A notice of an explanation for one person.
fn notice(
    e: &Explanation,
    rollup: &Rollup,
    person: &str,
    source: String,
    kind: &str,
    text: &Msg,
    now: Ts,
) -> Notice {
    Notice {
        person: person.to_string(),
        source,
        item: Item {
            kind: kind.to_string(),
            severity: "info".into(),
            unit: e.unit.clone(),
            unit_name: unit_name(rollup, &e.unit),
            rule: None,
            subject: Some(e.subject.clone()),
            subject_kind: Some(e.subject_kind.as_str().to_string()),
            value: None,
            threshold: None,
            started_at: None,
            at: now,
            summary_vi: text.render(Lang::Vi),
            summary_en: text.render(Lang::En),
            role: None,
        },
    }
}

/// A new request: its subject and addressee checked, the caller a leader over its unit, the
/// due date still ahead; a retry of a kept one is a duplicate.
pub fn plan_ask(
    a: &AskIn,
    existing: Option<Thread>,
    rollup: &Rollup,
    rule_known: &dyn Fn(&str) -> bool,
    actor: &Actor,
    now: Ts,
) -> Result<Outcome, WriteError> {
    if let Some(t) = existing {
        let e = &t.explanation;
        return if e.asked_by == actor.principal.actor_id()
            && e.subject_kind == a.subject_kind
            && e.subject == a.subject
            && e.question == a.question
        {
            Ok(Outcome::Duplicate(t))
        } else {
            Err(WriteError::ConflictItem(ItemError::new(
                "id",
                msg!("explain_id_reused", id = &*a.id),
            )))
        };
    }
    let (unit, title, by_default) = subject_of(a, rollup, rule_known)?;
    access::explain_ask(&actor.principal, rollup, &unit).map_err(|d| refused("subject", d))?;
    let addressee = match &a.addressee {
        Some(p) => {
            let person = rollup
                .person(p)
                .ok_or_else(|| invalid("addressee", msg!("unknown_person", id = &**p)))?;
            if !rollup.ancestors(&person.unit).iter().any(|u| **u == *unit) {
                return Err(invalid(
                    "addressee",
                    msg!(
                        "explain_addressee_outside",
                        person = &*person.name,
                        unit = unit_name(rollup, &unit)
                    ),
                ));
            }
            p.clone()
        }
        None => by_default.ok_or_else(|| {
            invalid(
                "addressee",
                msg!("explain_nobody", unit = unit_name(rollup, &unit)),
            )
        })?,
    };
    if a.due_at <= now {
        return Err(invalid(
            "due",
            msg!("explain_due_past", due = time_words(a.due_at, Lang::Vi)),
        ));
    }
    let e = Explanation {
        id: a.id.clone(),
        subject_kind: a.subject_kind,
        subject: a.subject.clone(),
        title,
        unit,
        addressee,
        asked_by: actor.principal.actor_id(),
        asker_person: actor.principal.person().map(|p| p.to_string()),
        question: a.question.clone(),
        due_at: a.due_at,
        state: ExplainState::Open,
        created_at: now,
        answered_at: None,
        escalated_at: None,
        escalated_to: None,
    };
    let draft = Draft::new(
        actor.who(),
        "explanation.ask",
        format!("explanation:{}", e.id),
        Some(e.unit.clone()),
        None,
        Some(serde_json::json!({
            "subject_kind": e.subject_kind.as_str(),
            "subject": &e.subject,
            "addressee": &e.addressee,
            "question": &e.question,
            "due_at": e.due_at,
        })),
    );
    let text = msg!(
        "explain_asked_notice",
        asker = actor_name(rollup, actor),
        title = &*e.title,
        unit = unit_name(rollup, &e.unit),
        due = time_words(e.due_at, Lang::Vi),
        question = &*e.question
    );
    let mut notices = Vec::new();
    enqueue(
        &mut notices,
        notice(
            &e,
            rollup,
            &e.addressee,
            format!("explanation:{}:asked", e.id),
            "explanation_asked",
            &text,
            now,
        ),
    );
    Ok(Outcome::New(Planned {
        explanation: e,
        message: None,
        draft,
        notices,
    }))
}

/// A message: an answer by the addressee (or their unit's leader), or the asker's side's
/// follow-up; the other side is told.
pub fn plan_message(
    m: &MessageIn,
    thread: Thread,
    existing: Option<ExplainMessage>,
    rollup: &Rollup,
    actor: &Actor,
    now: Ts,
) -> Result<Outcome, WriteError> {
    if let Some(old) = existing {
        return if old.explanation == m.explanation
            && old.author == actor.principal.actor_id()
            && old.text == m.text
        {
            Ok(Outcome::Duplicate(thread))
        } else {
            Err(WriteError::ConflictItem(ItemError::new(
                "id",
                msg!("explain_id_reused", id = &*m.id),
            )))
        };
    }
    let mut e = thread.explanation;
    let role =
        access::explain_message(&actor.principal, rollup, &e).map_err(|d| refused("text", d))?;
    let message = ExplainMessage {
        id: m.id.clone(),
        explanation: e.id.clone(),
        author: actor.principal.actor_id(),
        author_person: actor.principal.person().map(|p| p.to_string()),
        role,
        text: m.text.clone(),
        attachments: m.attachments.clone(),
        at: now,
    };
    let before = e.state;
    let author = actor_name(rollup, actor);
    let mut notices = Vec::new();
    let source = format!("explanation-message:{}", message.id);
    match role {
        MessageRole::Answer => {
            e.state = ExplainState::Answered;
            e.answered_at = e.answered_at.or(Some(now));
            let text = msg!(
                "explain_answered_notice",
                person = &*author,
                title = &*e.title,
                unit = unit_name(rollup, &e.unit),
                text = &*m.text
            );
            if let Some(asker) = e
                .asker_person
                .clone()
                .filter(|p| Some(p) != message.author_person.as_ref())
            {
                enqueue(
                    &mut notices,
                    notice(
                        &e,
                        rollup,
                        &asker,
                        source,
                        "explanation_answered",
                        &text,
                        now,
                    ),
                );
            }
        }
        MessageRole::Asker => {
            let text = msg!(
                "explain_asked_notice",
                asker = &*author,
                title = &*e.title,
                unit = unit_name(rollup, &e.unit),
                due = time_words(e.due_at, Lang::Vi),
                question = &*m.text
            );
            if Some(&e.addressee) != message.author_person.as_ref() {
                enqueue(
                    &mut notices,
                    notice(
                        &e,
                        rollup,
                        &e.addressee,
                        source,
                        "explanation_asked",
                        &text,
                        now,
                    ),
                );
            }
        }
    }
    let draft = Draft::new(
        actor.who(),
        "explanation.message",
        format!("explanation:{}", e.id),
        Some(e.unit.clone()),
        Some(serde_json::json!({ "state": before.as_str() })),
        Some(serde_json::json!({
            "message": &message.id,
            "role": role.as_str(),
            "text": &message.text,
            "attachments": &message.attachments,
            "state": e.state.as_str(),
        })),
    );
    Ok(Outcome::New(Planned {
        explanation: e,
        message: Some(message),
        draft,
        notices,
    }))
}

/// A request past its due date with no answer: overdue, and the leader of the unit above the
/// addressee's (and the asker) told once; the notices' source is the request's, so a second
/// attempt adds none.
pub fn plan_overdue(e: &Explanation, rollup: &Rollup, now: Ts) -> Planned {
    let mut after = e.clone();
    let home = rollup
        .person(&e.addressee)
        .map(|p| p.unit.to_string())
        .unwrap_or_else(|| e.unit.clone());
    let above = rollup.unit(&home).and_then(|u| u.parent);
    let leader = above.and_then(|u| leader_up(rollup, &u, &e.addressee));
    after.state = ExplainState::Overdue;
    after.escalated_at = Some(now);
    after.escalated_to = leader.clone();
    let asker = rollup
        .person(e.asker_person.as_deref().unwrap_or_default())
        .map_or_else(|| String::from("—"), |p| p.name);
    let text = msg!(
        "explain_overdue_notice",
        person = person_name(rollup, &e.addressee),
        title = &*e.title,
        unit = unit_name(rollup, &e.unit),
        due = time_words(e.due_at, Lang::Vi),
        asker = asker
    );
    let source = format!("explanation:{}:overdue", e.id);
    let mut notices = Vec::new();
    let mut told: Vec<&String> = leader.iter().collect();
    if let Some(a) = &e.asker_person {
        if !told.contains(&a) {
            told.push(a);
        }
    }
    for p in told {
        enqueue(
            &mut notices,
            notice(
                &after,
                rollup,
                p,
                source.clone(),
                "explanation_overdue",
                &text,
                now,
            ),
        );
    }
    let draft = Draft::new(
        Actor::system("explanations").who(),
        "explanation.escalate",
        format!("explanation:{}", e.id),
        Some(e.unit.clone()),
        Some(serde_json::json!({ "state": e.state.as_str() })),
        Some(serde_json::json!({
            "state": after.state.as_str(),
            "escalated_to": &after.escalated_to,
            "due_at": e.due_at,
        })),
    );
    Planned {
        explanation: after,
        message: None,
        draft,
        notices,
    }
}

//! Review meetings as people read them: each agenda item worded in the reader's language, each
//! conclusion with where its work stands now (done, late, open, cancelled), the follow-up a
//! review opens with, and the frame a wall shows while the presenter
//! moves through the agenda (`now.rs`). The agenda itself is generated from the review by
//! `report::meeting`.

pub mod now;

use crate::domain::explanation::ExplainState;
use crate::domain::meeting::{Action, AgendaItem, Conclusion, Meeting, Section};
use crate::domain::time::format_ts;
use crate::domain::{TaskStatus, Ts};
use crate::i18n::Lang;
use crate::rollup::lists::PersonRef;
use crate::rollup::view::UnitRef;
use crate::rollup::Rollup;
use crate::store::{Store, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct MeetingRef {
    pub id: String,
    pub period: String,
    /// open or closed.
    pub state: String,
}

/// This period's meeting in its review: what it concluded, and where each stands now.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct MeetingRecord {
    pub id: String,
    pub period: String,
    /// open or closed.
    pub state: String,
    pub conclusions: Vec<ConclusionOut>,
}

/// What the review opens with: the last meeting of an earlier period of the same kind, and
/// where each of its conclusions stands now.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FollowUp {
    pub meeting: MeetingRef,
    pub conclusions: Vec<ConclusionOut>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct AgendaItemOut {
    /// Stable: `follow:<conclusion>`, `red:<kpi>@<unit>`, `kr:<id>`, `overdue:<person>`,
    /// `explain:<id>`, `other`.
    pub key: String,
    /// follow_up, turned_red, key_result, overdue, explanation or other (always last).
    pub section: String,
    pub title: String,
    /// A short line of figures in the reader's language.
    pub detail: String,
    pub unit: Option<UnitRef>,
    pub kpi: Option<String>,
    pub key_result: Option<String>,
    pub person: Option<PersonRef>,
    pub task: Option<String>,
    pub explanation: Option<String>,
    /// Follow-up items: the followed conclusion's status now (done, late, open, cancelled).
    pub status: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ConclusionTask {
    pub id: String,
    pub title: String,
    pub responsible: PersonRef,
    pub accountable: Option<PersonRef>,
    pub consulted: Vec<PersonRef>,
    pub informed: Vec<PersonRef>,
    pub deadline: String,
    /// The task's own status (todo, in_progress, submitted, accepted, returned, cancelled).
    pub status: TaskStatus,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ConclusionAdjust {
    pub key_result: Option<String>,
    pub kpi: Option<String>,
    pub unit: Option<String>,
    pub period: Option<String>,
    /// The target before; null when none was set.
    pub from: Option<f64>,
    pub to: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ConclusionExplanation {
    pub id: String,
    /// open, answered or overdue.
    pub state: String,
    pub addressee: PersonRef,
    pub due_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CorrectionOut {
    pub at: String,
    pub by: String,
    pub reason: String,
    pub old_text: String,
    pub new_text: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ConclusionOut {
    pub id: String,
    /// The agenda item it concludes; null for a general conclusion.
    pub item: Option<String>,
    pub text: String,
    /// task, adjust, explain or silence.
    pub action: String,
    /// Where its work stands now: done (a task accepted, an explanation answered, an adjustment
    /// or a silence from the start), late (past its deadline or due date and not done), open,
    /// or cancelled (its task was cancelled).
    pub status: String,
    pub task: Option<ConclusionTask>,
    pub adjust: Option<ConclusionAdjust>,
    pub explanation: Option<ConclusionExplanation>,
    /// A silence's reason.
    pub reason: Option<String>,
    pub made_at: String,
    pub made_by: String,
    pub corrections: Vec<CorrectionOut>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct MeetingOut {
    pub id: String,
    pub unit: UnitRef,
    /// week, month or quarter.
    pub kind: String,
    pub period: String,
    /// open or closed.
    pub state: String,
    pub chair: PersonRef,
    pub attendees: Vec<PersonRef>,
    pub opened_at: String,
    pub opened_by: String,
    pub closed_at: Option<String>,
    /// The agenda item the presenter shows (an index into `items`).
    pub current: usize,
    pub items: Vec<AgendaItemOut>,
    pub conclusions: Vec<ConclusionOut>,
    /// The caller may take notes, conclude, present and close (an open meeting, a leader over
    /// the unit).
    pub may_edit: bool,
    /// The caller may correct a conclusion of the closed record.
    pub may_correct: bool,
    /// The review page of this meeting's period.
    pub review_url: String,
    /// This was a retry of a kept write: nothing new was written.
    pub duplicate: bool,
}

/// The kind of review a period label names: week, month or quarter.
pub fn kind_of(period: &str) -> &'static str {
    if period.contains("-W") {
        "week"
    } else if period.contains("-Q") {
        "quarter"
    } else {
        "month"
    }
}

/// Words in the reader's language.
fn pick(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// The last meeting of `unit` for an earlier period of the same kind as `period`.
pub fn previous(rollup: &Rollup, unit: &str, period: &str) -> Option<std::sync::Arc<Meeting>> {
    let kind = kind_of(period);
    rollup
        .meetings_of(unit)
        .into_iter()
        .filter(|m| kind_of(&m.period) == kind && m.period.len() == period.len())
        .filter(|m| m.period.as_str() < period)
        .max_by(|a, b| a.period.cmp(&b.period))
}

fn person_ref(rollup: &Rollup, id: &str) -> PersonRef {
    PersonRef {
        id: id.to_string(),
        name: rollup.person(id).map_or_else(|| id.to_string(), |p| p.name),
    }
}

fn num(x: f64, lang: Lang) -> String {
    crate::i18n::number(x, 1, lang)
}

/// A query value in a link (unit ids and period labels are letters, digits, `.`, `-`, `_`).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An agenda item in `lang`, with a followed-up conclusion's status (`status`).
pub fn item_out(
    it: &AgendaItem,
    rollup: &Rollup,
    lang: Lang,
    status: Option<String>,
) -> AgendaItemOut {
    let mut status = status;
    let (title, detail) = match it.section {
        Section::FollowUp => {
            let (words, now_status) = followed(it, rollup, lang);
            if status.is_none() {
                status = now_status.map(str::to_string);
            }
            (it.text.clone(), words)
        }
        Section::TurnedRed => {
            let kpi = it.kpi.as_deref().and_then(|k| rollup.kpi(k));
            let unit_name = it
                .unit
                .as_deref()
                .and_then(|u| rollup.unit(u))
                .map_or_else(String::new, |u| u.name);
            let uom = kpi.as_ref().map_or("", |k| k.unit_of_measure.as_str());
            let name = kpi.as_ref().map_or_else(
                || it.kpi.clone().unwrap_or_default().to_string(),
                |k| k.name.clone(),
            );
            let detail = match (it.from, it.to) {
                (Some(a), Some(b)) => format!(
                    "{unit_name}: {} {} {} {} {uom}",
                    pick(lang, "từ", "from"),
                    num(a, lang),
                    pick(lang, "xuống", "to"),
                    num(b, lang)
                ),
                (None, Some(b)) => format!(
                    "{unit_name}: {} {} {uom}",
                    pick(lang, "đỏ ngay kỳ đầu,", "red from the start,"),
                    num(b, lang)
                ),
                _ => unit_name,
            };
            (name, detail.trim_end().to_string())
        }
        Section::KeyResult => {
            let kr = it.key_result.as_deref().and_then(|k| rollup.key_result(k));
            let title = kr.map_or_else(
                || it.key_result.clone().unwrap_or_default().to_string(),
                |k| k.title,
            );
            let detail = format!(
                "{} {}% · {} {}%",
                pick(lang, "Tiến độ", "Progress"),
                num(it.from.unwrap_or(0.0) * 100.0, lang),
                pick(lang, "chậm so với kế hoạch", "behind pace by"),
                num(-it.to.unwrap_or(0.0) * 100.0, lang)
            );
            (title, detail)
        }
        Section::Overdue => {
            let p = it.person.as_deref().map(|p| person_ref(rollup, p));
            let n = it.to.unwrap_or(0.0) as i64;
            let detail = match lang {
                Lang::Vi => format!("{n} việc quá hạn"),
                Lang::En => format!("{n} overdue task{}", if n == 1 { "" } else { "s" }),
            };
            (p.map_or_else(String::new, |p| p.name), detail)
        }
        Section::Explanation => (it.text.clone(), String::new()),
        Section::Other => (
            pick(lang, "Các nội dung khác", "Other business").to_string(),
            String::new(),
        ),
    };
    AgendaItemOut {
        key: it.key.clone(),
        section: it.section.as_str().to_string(),
        title,
        detail,
        unit: it.unit.as_deref().and_then(|u| rollup.unit_ref(u)),
        kpi: it.kpi.as_ref().map(|k| k.to_string()),
        key_result: it.key_result.as_ref().map(|k| k.to_string()),
        person: it.person.as_deref().map(|p| person_ref(rollup, p)),
        task: it.task.as_ref().map(|t| t.to_string()),
        explanation: it.explanation.clone(),
        status,
        note: it.note.clone(),
    }
}

/// A date as people write it, `05/12/2026`, in Vietnam's time.
fn date_words(ts: Ts) -> String {
    chrono::DateTime::from_timestamp_millis(ts)
        .map(|d| {
            d.with_timezone(&crate::domain::time::vn())
                .format("%d/%m/%Y")
                .to_string()
        })
        .unwrap_or_default()
}

/// A followed-up conclusion's work in words (who, by when) and its status where the rollup
/// alone tells it (an explanation's is read from the store by `meeting_out`).
fn followed(it: &AgendaItem, rollup: &Rollup, lang: Lang) -> (String, Option<&'static str>) {
    let Some((meeting, id)) = &it.follows else {
        return (String::new(), None);
    };
    let Some(c) = rollup
        .meeting(meeting)
        .and_then(|m| m.conclusions.iter().find(|c| &c.id == id).cloned())
    else {
        return (String::new(), None);
    };
    match &c.action {
        Action::Task { task } => match rollup.task(task) {
            Some(t) => (
                format!(
                    "{}: {} · {} {}",
                    pick(lang, "Giao việc", "Task"),
                    person_ref(rollup, &t.responsible).name,
                    pick(lang, "hạn", "due"),
                    date_words(t.deadline)
                ),
                Some(task_status(t.status, t.deadline, rollup.now())),
            ),
            None => (String::new(), Some("open")),
        },
        Action::Adjust { from, to, .. } => (
            format!(
                "{}: {} → {}",
                pick(lang, "Điều chỉnh chỉ tiêu", "Target adjusted"),
                from.map_or_else(|| "—".to_string(), |f| num(f, lang)),
                num(*to, lang)
            ),
            Some("done"),
        ),
        Action::Explain { .. } => (
            pick(lang, "Yêu cầu giải trình", "Explanation asked").to_string(),
            None,
        ),
        Action::Silence { reason } => (
            format!("{}: {reason}", pick(lang, "Không xử lý", "No action")),
            Some("done"),
        ),
    }
}

/// Where a task stands as a conclusion's work.
fn task_status(s: TaskStatus, deadline: Ts, now: Ts) -> &'static str {
    match s {
        TaskStatus::Accepted => "done",
        TaskStatus::Cancelled => "cancelled",
        _ if deadline < now => "late",
        _ => "open",
    }
}

/// A conclusion with where its work stands now (an explanation read from the store).
pub async fn conclusion_out(
    c: &Conclusion,
    rollup: &Rollup,
    store: &dyn Store,
) -> Result<ConclusionOut, StoreError> {
    let now = rollup.now();
    let mut out = ConclusionOut {
        id: c.id.clone(),
        item: c.item.clone(),
        text: c.text.clone(),
        action: c.action.as_str().to_string(),
        status: "done".into(),
        task: None,
        adjust: None,
        explanation: None,
        reason: None,
        made_at: format_ts(c.made_at),
        made_by: c.made_by.clone(),
        corrections: c
            .corrections
            .iter()
            .map(|k| CorrectionOut {
                at: format_ts(k.at),
                by: k.by.clone(),
                reason: k.reason.clone(),
                old_text: k.old_text.clone(),
                new_text: k.new_text.clone(),
            })
            .collect(),
    };
    match &c.action {
        Action::Task { task } => {
            if let Some(t) = rollup.task(task) {
                out.status = task_status(t.status, t.deadline, now).into();
                out.task = Some(ConclusionTask {
                    id: t.id.to_string(),
                    title: t.title.clone(),
                    responsible: person_ref(rollup, &t.responsible),
                    accountable: t.accountable.as_deref().map(|p| person_ref(rollup, p)),
                    consulted: t.consulted.iter().map(|p| person_ref(rollup, p)).collect(),
                    informed: t.informed.iter().map(|p| person_ref(rollup, p)).collect(),
                    deadline: format_ts(t.deadline),
                    status: t.status,
                });
            } else {
                out.status = "open".into();
            }
        }
        Action::Adjust {
            key_result,
            kpi,
            unit,
            period,
            from,
            to,
        } => {
            out.adjust = Some(ConclusionAdjust {
                key_result: key_result.as_ref().map(|k| k.to_string()),
                kpi: kpi.as_ref().map(|k| k.to_string()),
                unit: unit.as_ref().map(|u| u.to_string()),
                period: period.clone(),
                from: *from,
                to: *to,
            });
        }
        Action::Explain { explanation } => {
            out.status = "open".into();
            if let Some(t) = store.explain().thread(explanation).await? {
                let e = t.explanation;
                out.status = match e.state {
                    ExplainState::Answered => "done",
                    ExplainState::Overdue => "late",
                    ExplainState::Open if e.due_at < now => "late",
                    ExplainState::Open => "open",
                }
                .into();
                out.explanation = Some(ConclusionExplanation {
                    id: e.id,
                    state: e.state.as_str().to_string(),
                    addressee: person_ref(rollup, &e.addressee),
                    due_at: format_ts(e.due_at),
                });
            }
        }
        Action::Silence { reason } => out.reason = Some(reason.clone()),
    }
    Ok(out)
}

/// The meeting of the review of `unit` for `period`, and what the review opens with.
pub async fn for_review(
    rollup: &Rollup,
    store: &dyn Store,
    unit: &str,
    period: &str,
) -> Result<(Option<MeetingRecord>, Option<FollowUp>), StoreError> {
    let this = match rollup.meeting(&Meeting::id_for(unit, period)) {
        Some(m) => {
            let mut conclusions = Vec::with_capacity(m.conclusions.len());
            for c in &m.conclusions {
                conclusions.push(conclusion_out(c, rollup, store).await?);
            }
            Some(MeetingRecord {
                id: m.id.clone(),
                period: m.period.clone(),
                state: m.state.as_str().to_string(),
                conclusions,
            })
        }
        None => None,
    };
    let Some(p) = previous(rollup, unit, period) else {
        return Ok((this, None));
    };
    let mut conclusions = Vec::with_capacity(p.conclusions.len());
    for c in &p.conclusions {
        conclusions.push(conclusion_out(c, rollup, store).await?);
    }
    Ok((
        this,
        Some(FollowUp {
            meeting: MeetingRef {
                id: p.id.clone(),
                period: p.period.clone(),
                state: p.state.as_str().to_string(),
            },
            conclusions,
        }),
    ))
}

/// A meeting as `lang` reads it; `may_edit`/`may_correct` are the caller's rights.
pub async fn meeting_out(
    m: &Meeting,
    rollup: &Rollup,
    store: &dyn Store,
    lang: Lang,
    may_lead: bool,
) -> Result<MeetingOut, StoreError> {
    let mut conclusions = Vec::with_capacity(m.conclusions.len());
    for c in &m.conclusions {
        conclusions.push(conclusion_out(c, rollup, store).await?);
    }
    let mut items = Vec::with_capacity(m.items.len());
    for it in &m.items {
        let status = match &it.follows {
            Some((meeting, conclusion)) => {
                let followed = rollup
                    .meeting(meeting)
                    .and_then(|p| p.conclusions.iter().find(|c| &c.id == conclusion).cloned());
                match followed {
                    Some(c) => Some(conclusion_out(&c, rollup, store).await?.status),
                    None => None,
                }
            }
            None => None,
        };
        items.push(item_out(it, rollup, lang, status));
    }
    let open = m.state == crate::domain::meeting::MeetingState::Open;
    let kind = kind_of(&m.period);
    let query = if kind == "week" { "week" } else { "period" };
    Ok(MeetingOut {
        id: m.id.clone(),
        unit: rollup.unit_ref(&m.unit).unwrap_or(UnitRef {
            id: m.unit.to_string(),
            name: m.unit.to_string(),
            level: crate::domain::UnitLevel::Ward,
            short_name: None,
        }),
        kind: kind.to_string(),
        period: m.period.clone(),
        state: m.state.as_str().to_string(),
        chair: person_ref(rollup, &m.chair),
        attendees: m.attendees.iter().map(|p| person_ref(rollup, p)).collect(),
        opened_at: format_ts(m.opened_at),
        opened_by: m.opened_by.clone(),
        closed_at: m.closed_at.map(format_ts),
        current: m.current,
        items,
        conclusions,
        may_edit: may_lead && open,
        may_correct: may_lead && !open,
        review_url: format!(
            "/review.html?unit={}&{query}={}",
            percent_encode(&m.unit),
            percent_encode(&m.period)
        ),
        duplicate: false,
    })
}

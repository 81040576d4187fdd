//! The review's section on explanations (giải trình): the requests asked in the period about the
//! subtree, each with where it stands, who was to answer and what they answered, read from the
//! store; and how the printable page shows them.

use super::html::escape;
use super::lang::{pick, Lang};
use super::period::ReviewPeriods;
use crate::domain::explanation::{ExplainState, MessageRole, Thread};
use crate::domain::time::format_ts;
use crate::rollup::Rollup;
use crate::store::explain::ExplainQuery;
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::fmt::Write;
use utoipa::ToSchema;

/// Most requests a review lists.
pub const LISTED: i64 = 200;

/// One explanation request of the period.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ExplanationLine {
    pub id: String,
    /// kpi, alert_group or task.
    pub subject_kind: String,
    /// The subject as worded when asked.
    pub title: String,
    pub unit_name: String,
    pub addressee: String,
    pub asker: Option<String>,
    pub question: String,
    pub asked_at: String,
    pub due_at: String,
    #[serde(skip)]
    pub due_ms: crate::domain::Ts,
    /// open, answered or overdue.
    pub state: String,
    pub answered_at: Option<String>,
    /// The leader told when it went overdue.
    pub escalated_to: Option<String>,
    /// The answers, oldest first.
    pub answers: Vec<String>,
}

fn name(rollup: &Rollup, person: &str) -> String {
    rollup
        .person(person)
        .map_or_else(|| person.to_string(), |p| p.name)
}

fn line(rollup: &Rollup, t: Thread) -> ExplanationLine {
    let e = t.explanation;
    ExplanationLine {
        subject_kind: e.subject_kind.as_str().to_string(),
        unit_name: rollup
            .unit(&e.unit)
            .map_or_else(|| e.unit.clone(), |u| u.name),
        addressee: name(rollup, &e.addressee),
        asker: e.asker_person.as_deref().map(|p| name(rollup, p)),
        asked_at: format_ts(e.created_at),
        due_at: format_ts(e.due_at),
        due_ms: e.due_at,
        state: e.state.as_str().to_string(),
        answered_at: e.answered_at.map(format_ts),
        escalated_to: e.escalated_to.as_deref().map(|p| name(rollup, p)),
        answers: t
            .messages
            .into_iter()
            .filter(|m| m.role == MessageRole::Answer)
            .map(|m| m.text)
            .collect(),
        id: e.id,
        title: e.title,
        question: e.question,
    }
}

/// The requests asked in the reviewed period about these units (empty: any), newest first.
pub async fn of_period(
    store: &dyn Store,
    rollup: &Rollup,
    units: &[String],
    periods: &ReviewPeriods,
) -> Result<Vec<ExplanationLine>, StoreError> {
    let q = ExplainQuery {
        units: (!units.is_empty()).then(|| units.to_vec()),
        from: Some(periods.this.from),
        to: Some(periods.this.to.max(periods.this.from) + 1),
        limit: LISTED,
        ..Default::default()
    };
    let threads = store.explain().threads(&q).await?;
    Ok(threads.into_iter().map(|t| line(rollup, t)).collect())
}

/// "17:00 05/12/2026" or "2026-12-05 17:00", in Vietnam's time.
fn due_words(t: crate::domain::Ts, lang: Lang) -> String {
    use chrono::TimeZone;
    match chrono::Utc.timestamp_millis_opt(t).single() {
        Some(d) => {
            let d = d.with_timezone(&crate::domain::time::vn());
            match lang {
                Lang::Vi => d.format("%H:%M %d/%m/%Y").to_string(),
                Lang::En => d.format("%Y-%m-%d %H:%M").to_string(),
            }
        }
        None => t.to_string(),
    }
}

fn state_words(l: &ExplanationLine, lang: Lang) -> String {
    match ExplainState::parse(&l.state) {
        Some(ExplainState::Answered) => pick(lang, "Đã giải trình", "Explained").to_string(),
        Some(ExplainState::Overdue) => match &l.escalated_to {
            Some(p) => format!("{} · {p}", pick(lang, "Quá hạn, đã báo", "Overdue, told")),
            None => pick(lang, "Quá hạn", "Overdue").to_string(),
        },
        _ => pick(lang, "Chờ giải trình", "Waiting").to_string(),
    }
}

/// The section of the printable review.
pub fn html(h: &mut String, lines: &[ExplanationLine], lang: Lang) {
    let t = |vi, en| pick(lang, vi, en);
    let _ = write!(
        h,
        "<section class=\"block block-explanations\">\n<h2>{}</h2>\n",
        escape(t("Giải trình trong kỳ", "Explanations in the period"))
    );
    if lines.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"empty\">{}</p>",
            escape(t(
                "Không có yêu cầu giải trình nào trong kỳ.",
                "No explanation was asked for in the period."
            ))
        );
        h.push_str("</section>\n");
        return;
    }
    h.push_str("<table>\n<thead><tr>");
    for head in [
        t("Nội dung", "Subject"),
        t("Đơn vị", "Unit"),
        t("Người giải trình", "Who answers"),
        t("Hạn", "Due"),
        t("Tình trạng", "State"),
        t("Giải trình", "Answer"),
    ] {
        let _ = write!(h, "<th>{}</th>", escape(head));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for l in lines {
        let due = due_words(l.due_ms, lang);
        let _ = writeln!(
            h,
            "<tr data-explanation=\"{}\"><td><b>{}</b><br>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&l.id),
            escape(&l.title),
            escape(&l.question),
            escape(&l.unit_name),
            escape(&l.addressee),
            escape(&due),
            escape(&state_words(l, lang)),
            escape(&l.answers.join(" / ")),
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

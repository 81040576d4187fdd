//! The agenda of a review meeting, generated from the review when the meeting opens: the last
//! meeting's conclusions (to follow up), KPI series that turned red, key results behind pace,
//! overdue work by person and the explanations of the period. The meeting itself, as people
//! read it, is the `meeting` room's; the printable report's meeting sections are here.

use super::lang::{pick, Lang};
use super::review::Review;
use super::tables::format_number;
use crate::domain::meeting::{Action, AgendaItem, Meeting, Section};
use crate::i18n::escape_html as escape;
use crate::meeting::ConclusionOut;
use crate::rollup::Rollup;
use std::fmt::Write as _;

/// People listed under "overdue work by person", most overdue first.
const OVERDUE_PEOPLE: usize = 10;
/// Key results listed as behind pace, worst first.
const BEHIND_KEY_RESULTS: usize = 10;
/// Turned-red series listed.
const TURNED_RED: usize = 20;
/// Explanations listed.
const EXPLANATIONS: usize = 10;

/// The agenda of a meeting on `review`: the previous meeting's conclusions first, then what
/// turned red, key results behind pace, overdue work by person and the explanations.
pub fn agenda(review: &Review, previous: Option<&Meeting>, rollup: &Rollup) -> Vec<AgendaItem> {
    let blank = |key: String, section: Section| AgendaItem {
        key,
        section,
        unit: None,
        kpi: None,
        key_result: None,
        person: None,
        task: None,
        explanation: None,
        follows: None,
        from: None,
        to: None,
        text: String::new(),
        note: String::new(),
    };
    let mut items = Vec::new();
    if let Some(p) = previous {
        for c in &p.conclusions {
            let mut it = blank(format!("follow:{}", c.id), Section::FollowUp);
            it.unit = Some(p.unit.clone());
            it.follows = Some((p.id.clone(), c.id.clone()));
            it.text = c.text.clone();
            if let Action::Task { task } = &c.action {
                it.task = Some(task.clone());
            }
            if let Action::Explain { explanation } = &c.action {
                it.explanation = Some(explanation.clone());
            }
            items.push(it);
        }
    }
    for s in review.turned_red.iter().take(TURNED_RED) {
        let mut it = blank(format!("red:{}@{}", s.code, s.unit.id), Section::TurnedRed);
        it.unit = Some(s.unit.id.as_str().into());
        it.kpi = Some(s.code.as_str().into());
        it.from = s.before.as_ref().map(|p| p.value);
        it.to = s.after.as_ref().map(|p| p.value);
        items.push(it);
    }
    let mut behind: Vec<_> = review
        .key_results
        .iter()
        .filter(|k| k.pace_gap < 0.0)
        .collect();
    behind.sort_by(|a, b| a.pace_gap.total_cmp(&b.pace_gap));
    for k in behind.into_iter().take(BEHIND_KEY_RESULTS) {
        let mut it = blank(format!("kr:{}", k.id), Section::KeyResult);
        it.unit = Some(k.unit.id.as_str().into());
        it.key_result = Some(k.id.as_str().into());
        it.from = Some(k.progress);
        it.to = Some(k.pace_gap);
        items.push(it);
    }
    if let Some(people) = rollup.unit_people(&review.unit.id, OVERDUE_PEOPLE) {
        for p in people.people.into_iter().filter(|p| p.overdue > 0) {
            let mut it = blank(format!("overdue:{}", p.id), Section::Overdue);
            it.unit = Some(p.unit.id.as_str().into());
            it.person = Some(p.id.as_str().into());
            it.to = Some(p.overdue as f64);
            items.push(it);
        }
    }
    for e in review.explanations.iter().take(EXPLANATIONS) {
        let mut it = blank(format!("explain:{}", e.id), Section::Explanation);
        it.explanation = Some(e.id.clone());
        it.text = format!("{} — {}", e.title, e.question);
        items.push(it);
    }
    items.push(blank("other".into(), Section::Other));
    items
}

/// A conclusion's status in words, and the class the page colours it by.
fn status_words(status: &str, lang: Lang) -> &'static str {
    match status {
        "done" => pick(lang, "Đã xong", "Done"),
        "late" => pick(lang, "Trễ hạn", "Late"),
        "cancelled" => pick(lang, "Đã hủy", "Cancelled"),
        _ => pick(lang, "Đang thực hiện", "Open"),
    }
}

fn action_words(action: &str, lang: Lang) -> &'static str {
    match action {
        "task" => pick(lang, "Giao việc", "Task"),
        "adjust" => pick(lang, "Điều chỉnh chỉ tiêu", "Target adjusted"),
        "explain" => pick(lang, "Yêu cầu giải trình", "Explanation asked"),
        _ => pick(lang, "Không xử lý (có lý do)", "No action (with a reason)"),
    }
}

/// Who carries a conclusion's work and by when, in words.
fn owner_words(c: &ConclusionOut, lang: Lang) -> String {
    if let Some(t) = &c.task {
        let due = t.deadline.get(..10).unwrap_or(&t.deadline);
        return format!(
            "{} · {} {due}",
            t.responsible.name,
            pick(lang, "hạn", "due")
        );
    }
    if let Some(e) = &c.explanation {
        let due = e.due_at.get(..10).unwrap_or(&e.due_at);
        return format!("{} · {} {due}", e.addressee.name, pick(lang, "hạn", "due"));
    }
    if let Some(a) = &c.adjust {
        let from = a
            .from
            .map_or_else(|| "—".to_string(), |f| format_number(f, 2, lang));
        return format!("{from} → {}", format_number(a.to, 2, lang));
    }
    c.reason.clone().unwrap_or_default()
}

fn conclusions_table(h: &mut String, list: &[ConclusionOut], lang: Lang) {
    let t = |vi, en| pick(lang, vi, en);
    if list.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"empty\">{}</p>",
            escape(t("Chưa có kết luận nào.", "No conclusion yet."))
        );
        return;
    }
    h.push_str("<table>\n<thead><tr>");
    for head in [
        t("Kết luận", "Conclusion"),
        t("Hình thức", "Action"),
        t("Người thực hiện / nội dung", "Who / what"),
        t("Tình trạng", "Status"),
    ] {
        let _ = write!(h, "<th>{}</th>", escape(head));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for c in list {
        let _ = writeln!(
            h,
            "<tr data-conclusion=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"status-{}\">{}</td></tr>",
            escape(&c.id),
            escape(&c.text),
            escape(action_words(&c.action, lang)),
            escape(&owner_words(c, lang)),
            escape(&c.status),
            escape(status_words(&c.status, lang)),
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// The printable report's meeting sections: last meeting's conclusions and where they stand,
/// then this period's meeting's conclusions.
pub fn html(h: &mut String, r: &Review, lang: Lang) {
    let t = |vi, en| pick(lang, vi, en);
    if let Some(f) = &r.follow_up {
        let _ = write!(
            h,
            "<section class=\"block block-follow-up\">\n<h2>{} ({})</h2>\n",
            escape(t(
                "Theo dõi kết luận giao ban kỳ trước",
                "Follow-up of the last meeting's conclusions"
            )),
            escape(&f.meeting.period)
        );
        conclusions_table(h, &f.conclusions, lang);
        h.push_str("</section>\n");
    }
    let _ = write!(
        h,
        "<section class=\"block block-conclusions\">\n<h2>{}</h2>\n",
        escape(t(
            "Kết luận cuộc họp giao ban kỳ này",
            "This period's meeting: conclusions"
        ))
    );
    match &r.meeting {
        Some(m) => conclusions_table(h, &m.conclusions, lang),
        None => {
            let _ = writeln!(
                h,
                "<p class=\"empty\">{}</p>",
                escape(t(
                    "Kỳ này chưa họp giao ban.",
                    "No review meeting was held for this period."
                ))
            );
        }
    }
    h.push_str("</section>\n");
}

//! The frame a wall following a review meeting shows: the agenda item the presenter is on, with
//! the live figures of its unit, its KPI series, key result or person, and the conclusions made
//! on it so far. Rendered by the live hub from the rollup alone (the words in Vietnamese: a
//! meeting room's wall).

use super::{item_out, kind_of, AgendaItemOut};
use crate::domain::time::format_ts;
use crate::i18n::Lang;
use crate::rollup::view::{AlertCount, UnitRef, UnitSummary};
use crate::rollup::Rollup;
use serde::Serialize;

/// What a wall following a meeting shows: the item on show with the live figures of its unit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MeetingNow {
    pub id: String,
    pub unit: Option<UnitRef>,
    pub kind: &'static str,
    pub period: String,
    pub state: String,
    pub current: usize,
    pub total: usize,
    pub item: Option<AgendaItemOut>,
    pub summary: Option<UnitSummary>,
    pub alerts: Option<AlertCount>,
    pub kpi: Option<NowKpi>,
    pub key_result: Option<NowKeyResult>,
    pub person: Option<NowPerson>,
    /// The conclusions made on this item so far (their work's status is on the meeting page).
    pub conclusions: Vec<NowConclusion>,
    pub as_of: String,
    pub commit: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NowKpi {
    pub code: String,
    pub name: String,
    pub value: Option<f64>,
    pub unit_of_measure: String,
    pub status: crate::domain::KpiStatus,
    pub period: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NowKeyResult {
    pub id: String,
    pub title: String,
    pub start: f64,
    pub current: f64,
    pub target: f64,
    pub unit_of_measure: String,
    /// 0..1.
    pub progress: f64,
    /// Progress minus the share of its period elapsed, when the meeting opened (negative:
    /// behind pace).
    pub pace_gap: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NowPerson {
    pub id: String,
    pub name: String,
    pub open: i64,
    pub overdue: i64,
    pub on_time_rate: Option<f64>,
}

/// A conclusion as the wall shows it: its work's owner, deadline and status where the rollup
/// tells them (an explanation's status is on the meeting page, read from the store).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NowConclusion {
    pub id: String,
    pub text: String,
    pub action: String,
    pub status: Option<&'static str>,
    pub task: Option<NowTask>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NowTask {
    pub id: String,
    pub title: String,
    pub responsible: crate::rollup::lists::PersonRef,
    pub deadline: String,
}

/// The wall's frame of meeting `id`; `alerts` gives a unit's one alert count. `None` when
/// there is no such meeting.
pub fn now_view(
    rollup: &Rollup,
    id: &str,
    alerts: impl Fn(&str) -> Option<AlertCount>,
) -> Option<MeetingNow> {
    let m = rollup.meeting(id)?;
    let it = m.items.get(m.current);
    let unit = it
        .and_then(|i| i.unit.clone())
        .unwrap_or_else(|| m.unit.clone());
    let kpi = it
        .and_then(|i| Some((i.kpi.clone()?, i.unit.clone()?)))
        .and_then(|(code, u)| {
            let board = rollup.kpi_board(&u)?;
            let line = board.kpis.into_iter().find(|l| *l.code == *code)?;
            Some(NowKpi {
                code: line.code.to_string(),
                name: line.name,
                value: line.value,
                unit_of_measure: line.unit_of_measure,
                status: line.status,
                period: line.period,
            })
        });
    let key_result = it
        .and_then(|i| i.key_result.as_deref())
        .and_then(|k| rollup.key_result(k))
        .map(|k| NowKeyResult {
            progress: k.progress_ppm() as f64 / 1_000_000.0,
            id: k.id.to_string(),
            title: k.title,
            start: k.start,
            current: k.current,
            target: k.target,
            unit_of_measure: k.unit_of_measure,
            pace_gap: it.and_then(|i| i.to),
        });
    let person = it
        .and_then(|i| i.person.as_deref())
        .and_then(|p| rollup.person_view(p))
        .map(|v| NowPerson {
            id: v.id.clone(),
            name: v.name.clone(),
            open: v.tasks.open,
            overdue: v.tasks.overdue,
            on_time_rate: v.tasks.on_time_rate,
        });
    let conclusions = m
        .conclusions
        .iter()
        .filter(|c| it.is_some_and(|i| c.item.as_deref() == Some(i.key.as_str())))
        .map(|c| {
            let (status, task) = match &c.action {
                crate::domain::meeting::Action::Task { task } => match rollup.task(task) {
                    Some(t) => (
                        Some(super::task_status(t.status, t.deadline, rollup.now())),
                        Some(NowTask {
                            id: t.id.to_string(),
                            title: t.title.clone(),
                            responsible: super::person_ref(rollup, &t.responsible),
                            deadline: format_ts(t.deadline),
                        }),
                    ),
                    None => (Some("open"), None),
                },
                crate::domain::meeting::Action::Explain { .. } => (None, None),
                _ => (Some("done"), None),
            };
            NowConclusion {
                id: c.id.clone(),
                text: c.text.clone(),
                action: c.action.as_str().to_string(),
                status,
                task,
            }
        })
        .collect();
    Some(MeetingNow {
        id: m.id.clone(),
        unit: rollup.unit_ref(&m.unit),
        kind: kind_of(&m.period),
        period: m.period.clone(),
        state: m.state.as_str().to_string(),
        current: m.current,
        total: m.items.len(),
        item: it.map(|i| item_out(i, rollup, Lang::Vi, None)),
        summary: rollup.unit_view(&unit).map(|v| v.summary),
        alerts: alerts(&unit),
        kpi,
        key_result,
        person,
        conclusions,
        as_of: format_ts(rollup.now()),
        commit: rollup.commit(),
    })
}

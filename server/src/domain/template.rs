//! Task templates (issue 18, recurring work such as the monthly report): what a template is, its
//! recurrence in Vietnam's calendar (weekly, monthly, quarterly; the day each instance is due
//! and how many days before it the instance is made), and each period's instance: its id,
//! title, start and deadline. Pure: the writer decides when to make them (`ingest/templates.rs`).

use super::time::{day_start, vn, Ts, DAY};
use super::Id;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// How often a template makes a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    /// ISO weeks; `day` is the weekday the task is due (1 Monday … 7 Sunday).
    Weekly,
    /// `day` of each month (1-31; a month shorter than `day` is due on its last day).
    Monthly,
    /// `day` of the quarter's last month (March, June, September, December).
    Quarterly,
}

impl Every {
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Weekly => "weekly",
            Every::Monthly => "monthly",
            Every::Quarterly => "quarterly",
        }
    }

    /// The highest `day` allowed.
    pub fn max_day(self) -> u8 {
        match self {
            Every::Weekly => 7,
            _ => 31,
        }
    }

    /// The most days before the due date an instance may be made: less than one period, so
    /// two periods' instances are never due to be made on the same day.
    pub fn max_lead_days(self) -> u16 {
        match self {
            Every::Weekly => 6,
            Every::Monthly => 27,
            Every::Quarterly => 89,
        }
    }
}

/// A template's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    pub every: Every,
    pub day: u8,
    /// The instance is made this many days before its due date (at 00:00 Vietnam time).
    pub lead_days: u16,
}

/// A recurring task: the RACI people and the work, made again each period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskTemplate {
    pub id: Id,
    /// The unit the template belongs to: its leaders (and admins) manage it.
    pub unit: Id,
    /// The work, without its period: an instance is titled "<title> tháng 11/2026".
    pub title: String,
    pub expected_output: String,
    pub responsible: Id,
    pub accountable: Option<Id>,
    pub consulted: Vec<Id>,
    pub informed: Vec<Id>,
    pub key_result: Option<Id>,
    pub recurrence: Recurrence,
    /// Periods due before this day (Vietnam) make no instance.
    pub active_from: Option<NaiveDate>,
    /// Periods due after this day make no instance.
    pub active_until: Option<NaiveDate>,
    pub paused: bool,
    /// Who made it (`account:…`), and when (server clock).
    pub created_by: String,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// One period of a recurrence: its label and the day its instance is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// `2026-11`, `2026-Q4`, `2026-W47`.
    pub label: String,
    /// How people read the period: `tháng 11/2026`, `quý 4/2026`, `tuần 47/2026`.
    pub words: String,
    pub due: NaiveDate,
    /// Position in the sequence of periods (months, quarters or weeks since year 0).
    index: i64,
}

/// The calendar day in Vietnam at `t`.
pub fn vn_date(t: Ts) -> NaiveDate {
    Utc.timestamp_millis_opt(t)
        .single()
        .map(|d| d.with_timezone(&vn()).date_naive())
        .unwrap_or_default()
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.map_or(28, |d| (d - Duration::days(1)).day())
}

impl Recurrence {
    /// The period with this position in the sequence.
    fn at(&self, index: i64) -> Occurrence {
        let day = u32::from(self.day.max(1));
        match self.every {
            Every::Monthly | Every::Quarterly => {
                let (year, month, label, words) = if self.every == Every::Monthly {
                    let (y, m) = (index.div_euclid(12), index.rem_euclid(12) + 1);
                    (y, m, format!("{y}-{m:02}"), format!("tháng {m}/{y}"))
                } else {
                    let (y, q) = (index.div_euclid(4), index.rem_euclid(4) + 1);
                    (y, q * 3, format!("{y}-Q{q}"), format!("quý {q}/{y}"))
                };
                let (year, month) = (year as i32, month as u32);
                let d = day.min(last_day_of_month(year, month));
                Occurrence {
                    label,
                    words,
                    due: NaiveDate::from_ymd_opt(year, month, d).unwrap_or_default(),
                    index,
                }
            }
            Every::Weekly => {
                // Index: days since 0001-01-01 (a Monday) divided by 7.
                let monday = NaiveDate::from_num_days_from_ce_opt((index * 7 + 1) as i32)
                    .unwrap_or_default();
                let due = monday + Duration::days(i64::from(day.min(7)) - 1);
                let w = monday.iso_week();
                Occurrence {
                    label: format!("{}-W{:02}", w.year(), w.week()),
                    words: format!("tuần {}/{}", w.week(), w.year()),
                    due,
                    index,
                }
            }
        }
    }

    /// The position of the period holding `date`.
    fn index_of(&self, date: NaiveDate) -> i64 {
        match self.every {
            Every::Monthly => i64::from(date.year()) * 12 + i64::from(date.month0()),
            Every::Quarterly => i64::from(date.year()) * 4 + i64::from(date.month0() / 3),
            Every::Weekly => (i64::from(date.num_days_from_ce()) - 1).div_euclid(7),
        }
    }

    /// When the instance of `o` is made: 00:00 Vietnam time, `lead_days` before its due day.
    pub fn creation(&self, o: &Occurrence) -> Ts {
        day_start(o.due) - i64::from(self.lead_days) * DAY
    }

    /// The period whose instance is to exist at `now`: the latest one whose creation time has
    /// come (a lead time may make next period's instance inside this period).
    pub fn current(&self, now: Ts) -> Occurrence {
        let i = self.index_of(vn_date(now));
        (i - 1..=i + 1)
            .rev()
            .map(|k| self.at(k))
            .find(|o| self.creation(o) <= now)
            .unwrap_or_else(|| self.at(i - 2))
    }

    /// The period after `o`.
    pub fn next(&self, o: &Occurrence) -> Occurrence {
        self.at(o.index + 1)
    }

    /// The period before `o`.
    pub fn previous(&self, o: &Occurrence) -> Occurrence {
        self.at(o.index - 1)
    }
}

impl TaskTemplate {
    /// Whether the period `o` lies in the template's active dates.
    pub fn active_for(&self, o: &Occurrence) -> bool {
        self.active_from.is_none_or(|f| o.due >= f) && self.active_until.is_none_or(|u| o.due <= u)
    }

    /// The task id of the instance of `o`: `<template>-<period>`, e.g. `bc-thang-2026-11`, so
    /// a second tick or a restart names the same task.
    pub fn instance_id(&self, o: &Occurrence) -> String {
        format!("{}-{}", self.id, o.label.to_lowercase())
    }

    /// The instance's title: the template's with its period, "Báo cáo tháng 11/2026".
    pub fn instance_title(&self, o: &Occurrence) -> String {
        format!("{} {}", self.title, o.words)
    }

    /// The instance's deadline: the end of its due day, Vietnam time.
    pub fn deadline(&self, o: &Occurrence) -> Ts {
        day_start(o.due) + DAY - 1
    }

    /// The next period whose instance is still to be made at `now` (not paused, in the active
    /// dates), with when it will be made; `None` when no period is left.
    pub fn upcoming(&self, now: Ts) -> Option<(Occurrence, Ts)> {
        let mut o = self.recurrence.current(now);
        if self.recurrence.creation(&o) <= now {
            o = self.recurrence.next(&o);
        }
        for _ in 0..600 {
            if self.active_until.is_some_and(|u| o.due > u) {
                return None;
            }
            if self.active_for(&o) {
                let at = self.recurrence.creation(&o);
                return Some((o, at));
            }
            o = self.recurrence.next(&o);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_ts;

    fn rec(every: Every, day: u8, lead_days: u16) -> Recurrence {
        Recurrence {
            every,
            day,
            lead_days,
        }
    }

    fn at(s: &str) -> Ts {
        parse_ts(s, false).unwrap()
    }

    #[test]
    fn a_monthly_instance_is_made_lead_days_before_its_due_day() {
        let r = rec(Every::Monthly, 25, 5);
        // On 19 November the November instance is not due to be made yet: October's is current.
        let o = r.current(at("2026-11-19T23:59:00+07:00"));
        assert_eq!(
            (o.label.as_str(), o.words.as_str()),
            ("2026-10", "tháng 10/2026")
        );
        let o = r.current(at("2026-11-20T00:00:00+07:00"));
        assert_eq!(o.label, "2026-11");
        assert_eq!(o.due, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        assert_eq!(r.creation(&o), at("2026-11-20T00:00:00+07:00"));
        // 31st of a 30-day month: its last day.
        let r = rec(Every::Monthly, 31, 0);
        assert_eq!(
            r.current(at("2026-11-30T08:00:00+07:00")).due,
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        // A lead crossing into the previous month.
        let r = rec(Every::Monthly, 2, 5);
        assert_eq!(r.current(at("2026-11-28T08:00:00+07:00")).label, "2026-12");
    }

    #[test]
    fn quarters_and_weeks() {
        let r = rec(Every::Quarterly, 20, 10);
        let o = r.current(at("2026-12-10T00:00:00+07:00"));
        assert_eq!(
            (o.label.as_str(), o.words.as_str()),
            ("2026-Q4", "quý 4/2026")
        );
        assert_eq!(o.due, NaiveDate::from_ymd_opt(2026, 12, 20).unwrap());
        assert_eq!(r.next(&o).label, "2027-Q1");
        let r = rec(Every::Weekly, 5, 2);
        // Wednesday 18 November 2026 (week 47): Friday's instance is made that day.
        let o = r.current(at("2026-11-18T00:00:00+07:00"));
        assert_eq!(
            (o.label.as_str(), o.words.as_str()),
            ("2026-W47", "tuần 47/2026")
        );
        assert_eq!(o.due, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(r.previous(&o).label, "2026-W46");
    }

    #[test]
    fn instances_are_named_by_template_and_period() {
        let t = TaskTemplate {
            id: "bc-thang".into(),
            unit: "p-1".into(),
            title: "Báo cáo".into(),
            expected_output: String::new(),
            responsible: "w2".into(),
            accountable: None,
            consulted: vec![],
            informed: vec![],
            key_result: None,
            recurrence: rec(Every::Monthly, 25, 5),
            active_from: None,
            active_until: NaiveDate::from_ymd_opt(2026, 12, 31),
            paused: false,
            created_by: "account:x".into(),
            created_at: 0,
            updated_at: 0,
        };
        let now = at("2026-11-21T08:00:00+07:00");
        let o = t.recurrence.current(now);
        assert_eq!(t.instance_id(&o), "bc-thang-2026-11");
        assert_eq!(t.instance_title(&o), "Báo cáo tháng 11/2026");
        assert_eq!(t.deadline(&o), at("2026-11-25T23:59:59.999+07:00"));
        let (next, made) = t.upcoming(now).unwrap();
        assert_eq!(next.label, "2026-12");
        assert_eq!(made, at("2026-12-20T00:00:00+07:00"));
        assert!(t.upcoming(at("2026-12-21T00:00:00+07:00")).is_none());
    }
}

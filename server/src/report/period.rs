//! The periods a review compares: an ISO week, a month or a quarter in Vietnam's calendar
//! (UTC+7, no DST), against the period of the same kind before it. "This period" stops at the
//! server's clock while it is still running, so a review on the 20th shows the 1st to now.

use crate::domain::time::{vn, Period, DAY};
use crate::domain::week::{date_label, IsoWeek};
use crate::domain::Ts;
use chrono::{Datelike, TimeZone, Utc};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    Week,
    Month,
    Quarter,
}

/// A reviewable period: `2026-W47`, `2026-11` or `2026-Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewPeriod {
    Week(IsoWeek),
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

impl ReviewPeriod {
    /// Parses a week (`2026-W47`), a month (`2026-11`) or a quarter (`2026-Q4`), written in
    /// full (two-digit weeks and months).
    pub fn parse(s: &str) -> Result<ReviewPeriod, String> {
        let bad = || {
            format!(
                "'{s}' is not a review period: use a week (2026-W47), a month (2026-11) or a quarter (2026-Q4)"
            )
        };
        if s.contains("-W") {
            return IsoWeek::parse(s).map(ReviewPeriod::Week);
        }
        let (y, rest) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        // The review compares with the period before, which must be a period too (from 1900).
        if !(1901..=2999).contains(&year) {
            return Err(bad());
        }
        let number = |d: &str| {
            (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .then(|| d.parse::<u32>().ok())
                .flatten()
        };
        if let Some(q) = rest.strip_prefix('Q') {
            match number(q) {
                Some(quarter @ 1..=4) if q.len() == 1 => {
                    Ok(ReviewPeriod::Quarter { year, quarter })
                }
                _ => Err(bad()),
            }
        } else {
            match number(rest) {
                Some(month @ 1..=12) if rest.len() == 2 => Ok(ReviewPeriod::Month { year, month }),
                _ => Err(bad()),
            }
        }
    }

    pub fn kind(self) -> ReviewKind {
        match self {
            ReviewPeriod::Week(_) => ReviewKind::Week,
            ReviewPeriod::Month { .. } => ReviewKind::Month,
            ReviewPeriod::Quarter { .. } => ReviewKind::Quarter,
        }
    }

    /// The period of `kind` that holds the instant `ts`, in Vietnam's calendar.
    pub fn containing(kind: ReviewKind, ts: Ts) -> ReviewPeriod {
        let d = Utc
            .timestamp_millis_opt(ts)
            .single()
            .unwrap_or_default()
            .with_timezone(&vn())
            .date_naive();
        match kind {
            ReviewKind::Week => ReviewPeriod::Week(IsoWeek::containing(ts)),
            ReviewKind::Month => ReviewPeriod::Month {
                year: d.year(),
                month: d.month(),
            },
            ReviewKind::Quarter => ReviewPeriod::Quarter {
                year: d.year(),
                quarter: d.month0() / 3 + 1,
            },
        }
    }

    /// The period of the same kind just before.
    pub fn previous(self) -> ReviewPeriod {
        match self {
            ReviewPeriod::Week(w) => ReviewPeriod::Week(w.previous()),
            ReviewPeriod::Month { year, month: 1 } => ReviewPeriod::Month {
                year: year - 1,
                month: 12,
            },
            ReviewPeriod::Month { year, month } => ReviewPeriod::Month {
                year,
                month: month - 1,
            },
            ReviewPeriod::Quarter { year, quarter: 1 } => ReviewPeriod::Quarter {
                year: year - 1,
                quarter: 4,
            },
            ReviewPeriod::Quarter { year, quarter } => ReviewPeriod::Quarter {
                year,
                quarter: quarter - 1,
            },
        }
    }

    /// The calendar period (start inclusive, end exclusive) of the domain.
    fn span(self) -> Period {
        Period::parse(&self.to_string()).expect("a review period is a valid period label")
    }

    pub fn start(self) -> Ts {
        self.span().start
    }

    pub fn end(self) -> Ts {
        self.span().end
    }
}

impl From<IsoWeek> for ReviewPeriod {
    fn from(w: IsoWeek) -> Self {
        ReviewPeriod::Week(w)
    }
}

impl fmt::Display for ReviewPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewPeriod::Week(w) => w.fmt(f),
            ReviewPeriod::Month { year, month } => write!(f, "{year}-{month:02}"),
            ReviewPeriod::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
        }
    }
}

/// The two periods of a review, cut at the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewPeriods {
    pub period: ReviewPeriod,
    pub previous: ReviewPeriod,
    /// The reviewed period up to min(its end, now).
    pub this: Window,
    /// The whole period before.
    pub last: Window,
    pub now: Ts,
}

impl ReviewPeriods {
    /// The periods for `period` (None: the week holding `now`). A period that has not begun at
    /// `now` has nothing to review and is refused.
    pub fn new(period: Option<ReviewPeriod>, now: Ts) -> Result<ReviewPeriods, String> {
        let period = period.unwrap_or_else(|| ReviewPeriod::containing(ReviewKind::Week, now));
        if period.start() > now {
            return Err(format!(
                "{period} has not begun yet: the server's clock is in {}",
                ReviewPeriod::containing(period.kind(), now)
            ));
        }
        let previous = period.previous();
        Ok(ReviewPeriods {
            period,
            previous,
            this: Window {
                from: period.start(),
                to: period.end().min(now),
            },
            last: Window {
                from: previous.start(),
                to: previous.end(),
            },
            now,
        })
    }

    /// The days of both periods that have begun by `now`, oldest first, each read at its end
    /// (or at `now` for today). Every day is `DAY` long: Vietnam keeps no daylight saving.
    pub fn days(&self) -> Vec<DayPoint> {
        (0..)
            .map(|i| self.last.from + i * DAY)
            .take_while(|&start| start < self.this.to)
            .map(|start| DayPoint {
                day: date_label(start),
                at: (start + DAY).min(self.now),
                this_period: start >= self.this.from,
            })
            .collect()
    }
}

/// `[from, to)`: instants in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Ts,
    pub to: Ts,
}

/// One day of the overdue trend: the figures are read at `at` (the day's end, or the clock for
/// today).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPoint {
    pub day: String,
    pub at: Ts,
    /// Whether the day belongs to the reviewed period (else to the period before).
    pub this_period: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::{format_ts, parse_ts};

    fn ts(s: &str) -> Ts {
        parse_ts(s, false).unwrap()
    }

    fn p(s: &str) -> ReviewPeriod {
        ReviewPeriod::parse(s).unwrap()
    }

    #[test]
    fn the_month_before_january_is_last_years_december() {
        assert_eq!(p("2026-01").previous().to_string(), "2025-12");
        assert_eq!(p("2026-11").previous().to_string(), "2026-10");
        assert_eq!(
            format_ts(p("2026-01").start()),
            "2026-01-01T00:00:00.000+07:00"
        );
        assert_eq!(
            format_ts(p("2025-12").end()),
            "2026-01-01T00:00:00.000+07:00"
        );
        assert_eq!(p("2026-02").end() - p("2026-02").start(), 28 * DAY);
    }

    #[test]
    fn the_quarter_before_q1_is_last_years_q4() {
        assert_eq!(p("2026-Q1").previous().to_string(), "2025-Q4");
        assert_eq!(p("2026-Q4").previous().to_string(), "2026-Q3");
        assert_eq!(
            format_ts(p("2025-Q4").start()),
            "2025-10-01T00:00:00.000+07:00"
        );
        assert_eq!(p("2025-Q4").end(), p("2026-Q1").start());
    }

    #[test]
    fn week_one_follows_the_last_week_of_the_year_before() {
        assert_eq!(p("2026-W01").previous().to_string(), "2025-W52");
        assert_eq!(p("2027-W01").previous().to_string(), "2026-W53");
        assert_eq!(
            format_ts(p("2026-W01").start()),
            "2025-12-29T00:00:00.000+07:00"
        );
        assert_eq!(p("2026-W01").kind(), ReviewKind::Week);
    }

    #[test]
    fn periods_are_found_in_vietnams_calendar() {
        // 31 December 18:00 UTC is already 1 January in Hanoi.
        let t = ts("2026-12-31T18:00:00Z");
        assert_eq!(
            ReviewPeriod::containing(ReviewKind::Month, t).to_string(),
            "2027-01"
        );
        assert_eq!(
            ReviewPeriod::containing(ReviewKind::Quarter, t).to_string(),
            "2027-Q1"
        );
        assert_eq!(
            ReviewPeriod::containing(ReviewKind::Week, t).to_string(),
            "2026-W53"
        );
        let nov = ts("2026-11-20T10:00:00+07:00");
        assert_eq!(
            ReviewPeriod::containing(ReviewKind::Quarter, nov).to_string(),
            "2026-Q4"
        );
    }

    #[test]
    fn only_full_labels_of_weeks_months_and_quarters_are_review_periods() {
        for s in ["2026-W47", "2026-11", "2026-Q4", "2026-01", "2026-Q1"] {
            assert_eq!(p(s).to_string(), s);
        }
        for s in [
            "",
            "2026",
            "2026-13",
            "2026-00",
            "2026-1",
            "2026-Q5",
            "2026-Q0",
            "2026-Q04",
            "2026-W7",
            "2025-W53",
            "26-11",
            "2026-11-20",
            "soon",
            "2026-+1",
            "2026-Q",
        ] {
            assert!(ReviewPeriod::parse(s).is_err(), "{s:?} was accepted");
        }
        assert!(ReviewPeriod::parse("2026-13")
            .unwrap_err()
            .contains("2026-13"));
    }

    #[test]
    fn this_month_stops_at_the_clock_and_days_cover_both_months() {
        let now = ts("2026-11-20T10:00:00+07:00");
        let r = ReviewPeriods::new(Some(p("2026-11")), now).unwrap();
        assert_eq!(r.previous.to_string(), "2026-10");
        assert_eq!(r.this.to, now);
        assert_eq!(r.last.to, r.this.from);
        let days = r.days();
        assert_eq!(days.len(), 31 + 20);
        assert_eq!(days[0].day, "2026-10-01");
        assert!(!days[30].this_period && days[31].this_period);
        assert_eq!(days[50].at, now);
        // A whole past quarter: 91 days of Q2 and 92 of Q3.
        let q = ReviewPeriods::new(Some(p("2026-Q3")), now).unwrap();
        assert_eq!(q.days().len(), 92 + 91);
        assert_eq!(q.this.to, ts("2026-10-01"));
        let err = ReviewPeriods::new(Some(p("2026-12")), now).unwrap_err();
        assert!(
            err.contains("2026-12 has not begun") && err.contains("2026-11"),
            "{err}"
        );
    }

    #[test]
    fn this_week_stops_at_the_clock_and_days_stop_at_today() {
        let now = ts("2026-11-18T10:00:00+07:00"); // Wednesday of W47
        let r = ReviewPeriods::new(None, now).unwrap();
        assert_eq!(r.period.to_string(), "2026-W47");
        assert_eq!(r.this.to, now);
        assert_eq!(format_ts(r.last.from), "2026-11-09T00:00:00.000+07:00");
        assert_eq!(r.last.to, r.this.from);
        let days = r.days();
        assert_eq!(
            days.len(),
            10,
            "7 days of last week and Monday to Wednesday"
        );
        assert_eq!(days[0].day, "2026-11-09");
        assert!(!days[6].this_period && days[7].this_period);
        assert_eq!(days[9].day, "2026-11-18");
        assert_eq!(days[9].at, now);
        assert_eq!(days[8].at, ts("2026-11-18"));
        // A past week is whole; a future one is refused.
        let past = ReviewPeriods::new(Some(p("2026-W45")), now).unwrap();
        assert_eq!(past.this.to, ts("2026-11-09"));
        assert_eq!(past.days().len(), 14);
        assert!(ReviewPeriods::new(Some(p("2026-W48")), now).is_err());
    }
}

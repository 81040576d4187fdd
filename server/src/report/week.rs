//! The weeks a review compares: an ISO week (`2026-W47`) runs from Monday 00:00 to the next
//! Monday 00:00 in Vietnam's time (UTC+7 all year, no DST), and "this week" stops at the server's
//! clock when the week is still running, so a Wednesday review shows Monday to now.

use crate::domain::time::vn;
use crate::domain::Ts;
use chrono::{Datelike, NaiveDate, TimeZone, Utc, Weekday};
use std::fmt;

use crate::domain::time::DAY;

/// An ISO 8601 week: the year that owns its Thursday and its number, 1 to 52 or 53.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IsoWeek {
    year: i32,
    week: u32,
}

impl IsoWeek {
    /// Parses `YYYY-Www` (two-digit week). Week 53 only in the years that have one.
    pub fn parse(s: &str) -> Result<IsoWeek, String> {
        let bad = || format!("'{s}' is not an ISO week: use YYYY-Www, e.g. 2026-W47");
        let (y, w) = s.split_once("-W").ok_or_else(bad)?;
        if y.len() != 4 || w.len() != 2 || !(y.bytes().chain(w.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        if !(1900..=2999).contains(&year) {
            return Err(bad());
        }
        // chrono refuses week 0, week 54 and week 53 of a 52-week year.
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .ok_or_else(|| format!("{year} has no ISO week {week}"))?;
        Ok(IsoWeek { year, week })
    }

    /// The week that holds the instant `ts`, in Vietnam's calendar.
    pub fn containing(ts: Ts) -> IsoWeek {
        let local = Utc
            .timestamp_millis_opt(ts)
            .single()
            .unwrap_or_default()
            .with_timezone(&vn())
            .date_naive();
        let iso = local.iso_week();
        IsoWeek {
            year: iso.year(),
            week: iso.week(),
        }
    }

    fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .expect("an IsoWeek is valid by construction")
    }

    /// Monday 00:00 in Vietnam.
    pub fn start(self) -> Ts {
        day_start(self.monday())
    }

    /// The next Monday 00:00 in Vietnam (exclusive).
    pub fn end(self) -> Ts {
        self.start() + 7 * DAY
    }

    pub fn previous(self) -> IsoWeek {
        IsoWeek::containing(self.start() - DAY)
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// Midnight starting `d` in Vietnam.
fn day_start(d: NaiveDate) -> Ts {
    vn().from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("a fixed offset has no gaps")
        .timestamp_millis()
}

/// The calendar date (Vietnam) of an instant, as `YYYY-MM-DD`.
pub fn date_label(ts: Ts) -> String {
    Utc.timestamp_millis_opt(ts)
        .single()
        .unwrap_or_default()
        .with_timezone(&vn())
        .format("%Y-%m-%d")
        .to_string()
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
    /// Whether the day belongs to the reviewed week (else to the week before).
    pub this_week: bool,
}

/// The two weeks of a review, cut at the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewWeeks {
    pub week: IsoWeek,
    pub previous: IsoWeek,
    /// The reviewed week up to min(its end, now).
    pub this: Window,
    /// The whole week before.
    pub last: Window,
    pub now: Ts,
}

impl ReviewWeeks {
    /// The weeks for `week` (None: the week holding `now`). A week that has not begun at `now`
    /// has nothing to review and is refused.
    pub fn new(week: Option<IsoWeek>, now: Ts) -> Result<ReviewWeeks, String> {
        let week = week.unwrap_or_else(|| IsoWeek::containing(now));
        if week.start() > now {
            return Err(format!(
                "{week} has not begun yet: the server's clock is in {}",
                IsoWeek::containing(now)
            ));
        }
        let previous = week.previous();
        Ok(ReviewWeeks {
            week,
            previous,
            this: Window {
                from: week.start(),
                to: week.end().min(now),
            },
            last: Window {
                from: previous.start(),
                to: previous.end(),
            },
            now,
        })
    }

    /// The days of both weeks that have begun by `now`, oldest first, each read at its end (or
    /// at `now` for today).
    pub fn days(&self) -> Vec<DayPoint> {
        (0..14)
            .map(|i| self.last.from + i * DAY)
            .take_while(|&start| start < self.now)
            .map(|start| DayPoint {
                day: date_label(start),
                at: (start + DAY).min(self.now),
                this_week: start >= self.this.from,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::{format_ts, parse_ts};

    fn ts(s: &str) -> Ts {
        parse_ts(s, false).unwrap()
    }

    #[test]
    fn a_week_starts_on_monday_midnight_in_vietnam() {
        let w = IsoWeek::parse("2026-W47").unwrap();
        assert_eq!(format_ts(w.start()), "2026-11-16T00:00:00.000+07:00");
        assert_eq!(format_ts(w.end()), "2026-11-23T00:00:00.000+07:00");
        assert_eq!(w.previous().to_string(), "2026-W46");
        assert_eq!(w.to_string(), "2026-W47");
    }

    #[test]
    fn week_one_may_begin_in_the_year_before() {
        // 1 January 2026 is a Thursday: week 1 begins on Monday 29 December 2025.
        let w = IsoWeek::parse("2026-W01").unwrap();
        assert_eq!(format_ts(w.start()), "2025-12-29T00:00:00.000+07:00");
        assert_eq!(IsoWeek::containing(ts("2025-12-29")), w);
        assert_eq!(
            IsoWeek::containing(ts("2025-12-28")).to_string(),
            "2025-W52"
        );
        assert_eq!(w.previous().to_string(), "2025-W52");
        // 1 January 2027 is a Friday: it still belongs to 2026's last week.
        assert_eq!(
            IsoWeek::containing(ts("2027-01-01")).to_string(),
            "2026-W53"
        );
        assert_eq!(
            IsoWeek::containing(ts("2027-01-04")).to_string(),
            "2027-W01"
        );
        assert_eq!(
            IsoWeek::parse("2027-W01").unwrap().previous().to_string(),
            "2026-W53"
        );
    }

    #[test]
    fn week_53_exists_only_in_long_years() {
        assert!(IsoWeek::parse("2026-W53").is_ok());
        assert!(IsoWeek::parse("2020-W53").is_ok());
        let err = IsoWeek::parse("2025-W53").unwrap_err();
        assert!(err.contains("no ISO week 53"), "{err}");
        assert!(IsoWeek::parse("2026-W00").is_err());
        assert!(IsoWeek::parse("2026-W54").is_err());
    }

    #[test]
    fn malformed_weeks_are_refused() {
        for s in [
            "",
            "2026",
            "2026-47",
            "2026-W7",
            "2026-w47",
            "26-W47",
            "2026-W047",
            "2026-W4a",
            "+026-W47",
            "2026-W47 ",
        ] {
            assert!(IsoWeek::parse(s).is_err(), "{s:?} was accepted");
        }
    }

    #[test]
    fn the_week_turns_at_midnight_vietnam_time_not_utc() {
        // Sunday 23:59 in Hanoi is Sunday 16:59 UTC; Monday 00:00 in Hanoi is still Sunday in UTC.
        let sunday_late = ts("2026-11-22T23:59:59.999+07:00");
        let monday = ts("2026-11-23T00:00:00+07:00");
        assert_eq!(IsoWeek::containing(sunday_late).to_string(), "2026-W47");
        assert_eq!(IsoWeek::containing(monday).to_string(), "2026-W48");
        assert_eq!(
            IsoWeek::containing(ts("2026-11-22T17:00:00Z")).to_string(),
            "2026-W48"
        );
        assert_eq!(IsoWeek::parse("2026-W48").unwrap().start(), monday);
    }

    #[test]
    fn this_week_stops_at_the_clock_and_days_stop_at_today() {
        let now = ts("2026-11-18T10:00:00+07:00"); // Wednesday of W47
        let r = ReviewWeeks::new(None, now).unwrap();
        assert_eq!(r.week.to_string(), "2026-W47");
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
        assert!(!days[6].this_week && days[7].this_week);
        assert_eq!(days[9].day, "2026-11-18");
        assert_eq!(days[9].at, now);
        assert_eq!(days[8].at, ts("2026-11-18"));
        // A past week is whole; a future one is refused.
        let past = ReviewWeeks::new(Some(IsoWeek::parse("2026-W45").unwrap()), now).unwrap();
        assert_eq!(past.this.to, ts("2026-11-09"));
        assert_eq!(past.days().len(), 14);
        assert!(ReviewWeeks::new(Some(IsoWeek::parse("2026-W48").unwrap()), now).is_err());
    }
}

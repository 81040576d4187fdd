//! A backtest's report: for the running and the candidate rule set, the alerts that fired by
//! rule, unit and severity and per day, time in red, flapping (fires per series), and the fires
//! that differ between the two, each with its moment and the value that caused it.

use super::Window;
use crate::domain::time::format_ts;
use crate::domain::Ts;
use crate::rollup::Rollup;
use alert_rules::{Severity, Transition, TransitionKind};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use utoipa::ToSchema;

/// The differing fires listed in full; the count says how many there were.
const DIFFERING_LISTED: usize = 500;
/// Vietnam's offset: days are the days the board's readers live by.
const VN: Ts = 7 * 3_600_000;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct BacktestReport {
    pub from: String,
    pub to: String,
    /// The subtree counted (all units when absent).
    pub unit: Option<String>,
    /// The clock's step between commits, in minutes.
    pub step_minutes: i64,
    pub running: Side,
    pub candidate: Side,
    /// Fires per day (Vietnam's calendar), both sides, every day of the window.
    pub days: Vec<DayLine>,
    /// Fires by rule, both sides.
    pub rules: Vec<RuleLine>,
    /// Fires of one side with no fire of the other for the same rule, subject, severity and
    /// moment, in time order (at most 500 listed).
    pub differing: Vec<Differing>,
    pub differing_total: usize,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct Side {
    /// Alerts that fired (a pending alert that never fired is not counted).
    pub fires: usize,
    pub red: usize,
    pub yellow: usize,
    /// Hours alerts spent in red, summed over alerts, within the window.
    pub hours_in_red: f64,
    /// Series (rule and subject) that fired at least once.
    pub series: usize,
    /// The most fires of one series: a rule that flaps fires the same series again and again.
    pub max_fires_per_series: usize,
    /// Series that fired three times or more.
    pub flapping_series: usize,
    /// Fires by rule, unit and severity, most first (at most 200 lines).
    pub by: Vec<CountLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CountLine {
    pub rule: String,
    pub unit: String,
    pub severity: String,
    pub fires: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct DayLine {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub running_red: usize,
    pub running_yellow: usize,
    pub candidate_red: usize,
    pub candidate_yellow: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct RuleLine {
    pub rule: String,
    pub running: usize,
    pub candidate: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Differing {
    /// `running` or `candidate`: the side that fired.
    pub only_in: String,
    pub rule: String,
    pub subject: String,
    pub unit: String,
    pub severity: String,
    pub at: String,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub summary_vi: String,
    pub summary_en: String,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Red => "red",
        Severity::Yellow => "yellow",
    }
}

fn day_of(at: Ts) -> String {
    chrono::DateTime::from_timestamp_millis(at + VN)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The key two sides' fires are matched on.
type FireKey = (String, String, &'static str, Ts);

fn fires<'a>(seen: &'a [Transition], keep: &HashSet<String>, all: bool) -> Vec<&'a Transition> {
    seen.iter()
        .filter(|t| t.kind == TransitionKind::Fired && (all || keep.contains(&t.unit)))
        .collect()
}

fn side(seen: &[Transition], keep: &HashSet<String>, all: bool, to: Ts) -> Side {
    let fired = fires(seen, keep, all);
    let mut s = Side {
        fires: fired.len(),
        red: fired.iter().filter(|t| t.severity == Severity::Red).count(),
        ..Side::default()
    };
    s.yellow = s.fires - s.red;
    let mut per_series: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut by: BTreeMap<(&str, &str, &'static str), usize> = BTreeMap::new();
    for t in &fired {
        *per_series.entry((&t.rule, &t.subject)).or_default() += 1;
        *by.entry((&t.rule, &t.unit, severity(t.severity)))
            .or_default() += 1;
    }
    s.series = per_series.len();
    s.max_fires_per_series = per_series.values().copied().max().unwrap_or(0);
    s.flapping_series = per_series.values().filter(|n| **n >= 3).count();
    let mut lines: Vec<CountLine> = by
        .into_iter()
        .map(|((rule, unit, sev), fires)| CountLine {
            rule: rule.to_string(),
            unit: unit.to_string(),
            severity: sev.to_string(),
            fires,
        })
        .collect();
    lines.sort_by(|a, b| {
        b.fires
            .cmp(&a.fires)
            .then_with(|| (&a.rule, &a.unit).cmp(&(&b.rule, &b.unit)))
    });
    lines.truncate(200);
    s.by = lines;
    // Time in red: from a fire or a change to red until it ends, ends its red, or the window.
    let mut red_since: BTreeMap<(&str, &str), Ts> = BTreeMap::new();
    let mut red_ms: i64 = 0;
    for t in seen.iter().filter(|t| all || keep.contains(&t.unit)) {
        let key = (t.rule.as_str(), t.subject.as_str());
        let to_red = matches!(
            t.kind,
            TransitionKind::Fired | TransitionKind::SeverityChanged
        ) && t.severity == Severity::Red;
        let ends = matches!(t.kind, TransitionKind::Resolved | TransitionKind::Cancelled)
            || (t.kind == TransitionKind::SeverityChanged && t.severity != Severity::Red);
        if to_red {
            red_since.entry(key).or_insert(t.at);
        } else if ends {
            if let Some(since) = red_since.remove(&key) {
                red_ms += t.at - since;
            }
        }
    }
    red_ms += red_since.values().map(|since| to - since).sum::<i64>();
    s.hours_in_red = (red_ms as f64 / 3_600_000.0 * 10.0).round() / 10.0;
    s
}

/// The report of a replayed window from what each side raised; `rollup` is the state at its end.
pub fn build(
    window: &Window,
    rollup: &Rollup,
    running: Vec<Transition>,
    candidate: Vec<Transition>,
) -> BacktestReport {
    let all = window.unit.is_none();
    let keep: HashSet<String> = window
        .unit
        .as_ref()
        .map(|u| rollup.subtree(u).iter().map(|u| u.to_string()).collect())
        .unwrap_or_default();
    let r = fires(&running, &keep, all);
    let c = fires(&candidate, &keep, all);
    // Every day of the window has its line, fires or not: a chart shows quiet days as zero.
    let mut days: BTreeMap<String, DayLine> = BTreeMap::new();
    let quiet = |day: String| DayLine {
        day,
        running_red: 0,
        running_yellow: 0,
        candidate_red: 0,
        candidate_yellow: 0,
    };
    let mut day_at = window.from;
    while day_at < window.to {
        let day = day_of(day_at);
        days.entry(day.clone()).or_insert_with(|| quiet(day));
        day_at += 86_400_000;
    }
    let last = day_of(window.to);
    days.entry(last.clone()).or_insert_with(|| quiet(last));
    let mut rules: BTreeMap<String, RuleLine> = BTreeMap::new();
    for (list, is_running) in [(&r, true), (&c, false)] {
        for t in list.iter() {
            let day = day_of(t.at);
            let line = days.entry(day.clone()).or_insert_with(|| DayLine {
                day,
                running_red: 0,
                running_yellow: 0,
                candidate_red: 0,
                candidate_yellow: 0,
            });
            let red = t.severity == Severity::Red;
            match (is_running, red) {
                (true, true) => line.running_red += 1,
                (true, false) => line.running_yellow += 1,
                (false, true) => line.candidate_red += 1,
                (false, false) => line.candidate_yellow += 1,
            }
            let rule = rules.entry(t.rule.clone()).or_insert_with(|| RuleLine {
                rule: t.rule.clone(),
                running: 0,
                candidate: 0,
            });
            if is_running {
                rule.running += 1;
            } else {
                rule.candidate += 1;
            }
        }
    }
    let key = |t: &Transition| -> FireKey {
        (
            t.rule.clone(),
            t.subject.clone(),
            severity(t.severity),
            t.at,
        )
    };
    let mut differing: Vec<Differing> = Vec::new();
    for (mine, theirs, name) in [(&r, &c, "running"), (&c, &r, "candidate")] {
        // A multiset: the same series firing twice at one moment is two fires.
        let mut other: BTreeMap<FireKey, usize> = BTreeMap::new();
        for t in theirs.iter() {
            *other.entry(key(t)).or_default() += 1;
        }
        for t in mine.iter() {
            match other.get_mut(&key(t)) {
                Some(n) if *n > 0 => *n -= 1,
                _ => differing.push(Differing {
                    only_in: name.to_string(),
                    rule: t.rule.clone(),
                    subject: t.subject.clone(),
                    unit: t.unit.clone(),
                    severity: severity(t.severity).to_string(),
                    at: format_ts(t.at),
                    value: t.value,
                    threshold: t.threshold,
                    summary_vi: t.summary_vi.clone(),
                    summary_en: t.summary_en.clone(),
                }),
            }
        }
    }
    differing.sort_by(|a, b| (&a.at, &a.rule, &a.subject).cmp(&(&b.at, &b.rule, &b.subject)));
    let differing_total = differing.len();
    differing.truncate(DIFFERING_LISTED);
    BacktestReport {
        from: format_ts(window.from),
        to: format_ts(window.to),
        unit: window.unit.as_ref().map(|u| u.to_string()),
        step_minutes: super::STEP / 60_000,
        running: side(&running, &keep, all, window.to),
        candidate: side(&candidate, &keep, all, window.to),
        days: days.into_values().collect(),
        rules: rules.into_values().collect(),
        differing,
        differing_total,
    }
}

/// The report as the command line prints it: the two sides, fires by rule, per day, and the
/// first differing fires.
pub fn text(r: &BacktestReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let unit = r.unit.as_deref().unwrap_or("all units");
    let _ = writeln!(
        out,
        "backtest {} .. {} ({unit}), clock steps of {} min",
        r.from, r.to, r.step_minutes
    );
    let _ = writeln!(
        out,
        "\n{:<12} {:>7} {:>7} {:>7} {:>12} {:>8} {:>9}",
        "", "fires", "red", "yellow", "hours red", "series", "flapping"
    );
    for (name, s) in [("running", &r.running), ("candidate", &r.candidate)] {
        let _ = writeln!(
            out,
            "{name:<12} {:>7} {:>7} {:>7} {:>12.1} {:>8} {:>9}",
            s.fires, s.red, s.yellow, s.hours_in_red, s.series, s.flapping_series
        );
    }
    let _ = writeln!(out, "\nby rule: running -> candidate");
    for l in &r.rules {
        let _ = writeln!(
            out,
            "  {:<40} {:>6} -> {:<6}",
            l.rule, l.running, l.candidate
        );
    }
    let _ = writeln!(out, "\nper day (red+yellow): running -> candidate");
    for d in &r.days {
        let _ = writeln!(
            out,
            "  {}  {:>5} -> {:<5}",
            d.day,
            d.running_red + d.running_yellow,
            d.candidate_red + d.candidate_yellow
        );
    }
    let _ = writeln!(out, "\n{} alert(s) differ", r.differing_total);
    for d in r.differing.iter().take(50) {
        let value = d.value.map_or("-".to_string(), |v| format!("{v}"));
        let _ = writeln!(
            out,
            "  {} only in {:<9} {:<6} {} {} value {value}",
            d.at, d.only_in, d.severity, d.rule, d.subject
        );
    }
    out
}

//! The alert engine: what it knows of each subject, the state of every alert instance
//! (rule, subject), the transitions between states, and the clock-driven wake-ups (`for`,
//! `keep_firing_for`, staleness and deadlines crossing, escalation).

use crate::metric::{Lang, Metric, NEVER};
use crate::model::{
    KeyResult, Kpi, Person, Series, Severity, SubjectKind, Task, Unit, UnitMetrics,
};
use crate::rule::{Role, Rule, RuleSet};
use crate::template::Placeholder;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Where an alert instance is in its life.
///
/// "Firing yellow" and "firing red" are `Firing` with [`Alert::severity`] / [`Transition::severity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// No condition holds (an instance in this state is not stored).
    Inactive,
    /// A firing condition holds, its `for` has not elapsed yet.
    Pending,
    /// Yellow or red.
    Firing,
    /// Ended: the recovery condition held (for `keep_firing_for`), or the subject went away.
    Resolved,
}

/// What happened in a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// inactive -> pending.
    Pending,
    /// pending -> inactive: the condition stopped holding before `for` elapsed.
    Cancelled,
    /// inactive or pending -> firing.
    Fired,
    /// firing -> firing with the other severity (yellow -> red or red -> yellow).
    SeverityChanged,
    /// firing -> resolved.
    Resolved,
    /// A red alert was not acknowledged within `escalate_after`; notifies the parent unit's
    /// leader. The alert stays firing.
    Escalated,
}

/// An acknowledgment of a firing alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub by: String,
    pub at: i64,
}

/// One live alert instance (pending or firing), keyed by (rule, subject). Serializable so the
/// server can persist it and restore it after a restart ([`EngineState`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub rule: String,
    pub subject: String,
    pub subject_kind: SubjectKind,
    /// The unit the subject belongs to (the unit itself for unit metrics).
    pub unit: String,
    /// `Pending` or `Firing`.
    pub state: State,
    /// The severity it fires (or will fire) with.
    pub severity: Severity,
    /// When the firing condition started to hold (the start of `for`).
    pub active_since: i64,
    /// When it started firing.
    pub fired_at: Option<i64>,
    /// When the current severity began (escalation counts from a red's start).
    pub severity_since: i64,
    /// While firing: since when the recovery condition holds (`keep_firing_for` counts from it).
    pub recovering_since: Option<i64>,
    /// The last value seen.
    pub value: Option<f64>,
    pub acknowledged: Option<Ack>,
    /// When this red was escalated.
    pub escalated_at: Option<i64>,
}

/// A person to notify and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub role: Role,
    pub person: String,
}

/// A change of an alert instance, with what the server needs to record, show and notify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub kind: TransitionKind,
    pub rule: String,
    pub subject: String,
    pub subject_kind: SubjectKind,
    pub unit: String,
    pub from: State,
    pub to: State,
    pub severity: Severity,
    pub value: Option<f64>,
    /// The bound `value` was held to (this severity's, or the recovery bound when it ends), in
    /// the metric's own units like `value`; `None` when the rule has none to name.
    #[serde(default)]
    pub threshold: Option<f64>,
    pub at: i64,
    pub summary_vi: String,
    pub summary_en: String,
    /// Resolved through the org tree, one entry per person (first role wins). Empty for
    /// `Pending` and `Cancelled`, which nobody needs to hear about; for `Escalated` it is the
    /// leader of the nearest ancestor unit that has one.
    pub notify: Vec<Recipient>,
    /// The rule's labels plus `unit`, `level`, `metric` and, for KPI series, `kpi` and `group`.
    pub labels: BTreeMap<String, String>,
}

/// Everything needed to continue after a restart: the clock and every live alert instance.
/// Subjects are not included: after [`Engine::restore`], give the engine the current units, KPIs,
/// series, key results and open tasks again (as at start-up); unchanged values cause no
/// transition, so nothing re-fires and `for` progress is kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    pub now: i64,
    pub alerts: Vec<Alert>,
}

/// Why an acknowledgment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    #[error("no alert of rule '{rule}' for '{subject}'")]
    NotFound { rule: String, subject: String },
    #[error("the alert of rule '{rule}' for '{subject}' is pending, not firing")]
    NotFiring { rule: String, subject: String },
}

#[derive(Debug, Clone, Default)]
struct UnitEntry {
    info: Option<Unit>,
    /// `None` until the server gives figures: a unit described but not yet measured is unknown
    /// to unit-metric rules, not "zero", so restoring and then describing units before their
    /// figures does not cancel their alerts.
    metrics: Option<UnitMetrics>,
}

/// What a rule sees of a subject at an instant.
enum Obs {
    /// In scope, with this value (`None`: no data).
    Value(Option<f64>),
    /// Out of scope, filtered out, or being removed: its alert ends now.
    Gone,
    /// Not known to the engine (after a restore, before the subject is given again): keep the
    /// last value.
    Unknown,
}

struct Event {
    kind: TransitionKind,
    from: State,
    to: State,
    severity: Severity,
    value: Option<f64>,
}

/// The alert engine. Deterministic: the same calls with the same `now` values give the same
/// transitions. `now` is milliseconds since the Unix epoch and never goes back: an older `now`
/// is treated as the latest one seen.
///
/// Every call first runs what the clock made due up to `now` (each at its own due time), then
/// applies its change, and returns the transitions in order.
#[derive(Debug, Default)]
pub struct Engine {
    rules: Vec<Arc<Rule>>,
    /// Kept for [`Engine::rule_set`]: inhibitions act when alerts are read, not here.
    inhibits: Vec<Arc<crate::inhibit::Inhibit>>,
    by_kind: [Vec<usize>; 4],
    units: HashMap<String, UnitEntry>,
    kpis: HashMap<String, Arc<Kpi>>,
    series: HashMap<String, Series>,
    key_results: HashMap<String, KeyResult>,
    tasks: HashMap<String, Task>,
    /// Names of the people summaries may name (`{responsible}`), by id.
    people: HashMap<String, String>,
    alerts: BTreeMap<Arc<str>, BTreeMap<String, Alert>>,
    wake: BTreeSet<(i64, SubjectKind, String)>,
    wake_at: HashMap<(SubjectKind, String), i64>,
    now: i64,
}

impl Engine {
    /// An engine with these rules and nothing known yet.
    pub fn new(rules: RuleSet) -> Engine {
        let mut e = Engine::default();
        e.install(rules);
        e
    }

    /// An engine continuing from a saved state. Alerts of rules that no longer exist end: their
    /// `Resolved` (or `Cancelled`) transitions are returned.
    pub fn restore(rules: RuleSet, state: EngineState) -> (Engine, Vec<Transition>) {
        let mut e = Engine::new(rules);
        e.now = state.now;
        let mut out = Vec::new();
        let mut subjects = BTreeSet::new();
        for alert in state.alerts {
            let rule = e
                .rules
                .iter()
                .find(|r| *r.name == *alert.rule && r.metric.subject() == alert.subject_kind)
                .cloned();
            match rule {
                Some(rule) => {
                    subjects.insert((alert.subject_kind, alert.subject.clone()));
                    e.alerts
                        .entry(rule.name.clone())
                        .or_default()
                        .insert(alert.subject.clone(), alert);
                }
                None => {
                    let ev = ended(&alert, alert.value);
                    out.push(e.render_orphan(&alert, ev, state.now));
                }
            }
        }
        for (kind, id) in subjects {
            e.reschedule(kind, &id, e.now);
        }
        (e, out)
    }

    /// Everything needed to continue after a restart.
    pub fn state(&self) -> EngineState {
        EngineState {
            now: self.now,
            alerts: self.alerts().cloned().collect(),
        }
    }

    /// The latest time the engine has seen.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Live alerts (pending and firing), by rule name then subject.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values().flat_map(|m| m.values())
    }

    /// The live alert of a rule for a subject.
    pub fn alert(&self, rule: &str, subject: &str) -> Option<&Alert> {
        self.alerts.get(rule).and_then(|m| m.get(subject))
    }

    /// The rules in force.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|r| r.as_ref())
    }

    /// Replaces the rules (a reload). Alerts of rules that are unchanged (same name, same
    /// definition) are kept as they are; alerts of removed or changed rules end, and changed or
    /// new rules are evaluated at once against everything the engine knows.
    pub fn set_rules(&mut self, rules: RuleSet, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        let now = self.advance(now, &mut out);
        let old: Vec<Arc<Rule>> = std::mem::take(&mut self.rules);
        for rule in &old {
            let kept = rules.rules.iter().any(|r| **r == **rule);
            if kept {
                continue;
            }
            if let Some(alerts) = self.alerts.remove(&rule.name) {
                for alert in alerts.into_values() {
                    let ev = ended(&alert, alert.value);
                    out.push(self.render(rule, &alert, ev, now));
                }
            }
        }
        self.install(rules);
        self.wake.clear();
        self.wake_at.clear();
        for (kind, id) in self.all_subjects() {
            self.eval(kind, &id, now, false, &mut out);
        }
        out
    }

    /// Runs what the clock made due up to `now`: `for` elapsing, `keep_firing_for` elapsing,
    /// staleness and deadlines crossing thresholds, escalations.
    pub fn tick(&mut self, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        self.advance(now, &mut out);
        out
    }

    /// A unit was created or changed (name, level, place in the tree, leader).
    pub fn unit(&mut self, unit: Unit, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        let now = self.advance(now, &mut out);
        let id = unit.id.clone();
        let entry = self.units.entry(id.clone()).or_default();
        let moved = match &entry.info {
            None => true,
            Some(old) => old.level != unit.level || old.ancestors != unit.ancestors,
        };
        let existed = entry.info.is_some();
        entry.info = Some(unit);
        self.eval(SubjectKind::Unit, &id, now, false, &mut out);
        if moved {
            // Scopes of the unit's series, key results (and, on a real move, tasks) may change.
            let mut subjects: Vec<(SubjectKind, String)> = Vec::new();
            subjects.extend(
                self.series
                    .iter()
                    .filter(|(_, s)| s.unit == id)
                    .map(|(k, _)| (SubjectKind::Series, k.clone())),
            );
            subjects.extend(
                self.key_results
                    .iter()
                    .filter(|(_, k)| k.unit == id)
                    .map(|(k, _)| (SubjectKind::KeyResult, k.clone())),
            );
            if existed {
                subjects.extend(
                    self.tasks
                        .iter()
                        .filter(|(_, t)| t.unit == id)
                        .map(|(k, _)| (SubjectKind::Task, k.clone())),
                );
            }
            subjects.sort();
            for (kind, sid) in subjects {
                self.eval(kind, &sid, now, false, &mut out);
            }
        }
        out
    }

    /// A person's name, for summaries that name who is responsible. Causes no transition: a
    /// new name shows from the next transition on.
    pub fn person(&mut self, person: Person) {
        self.people.insert(person.id, person.name);
    }

    /// A unit's rollup figures changed.
    pub fn unit_metrics(&mut self, unit: &str, metrics: UnitMetrics, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        let now = self.advance(now, &mut out);
        self.units.entry(unit.to_owned()).or_default().metrics = Some(metrics);
        self.eval(SubjectKind::Unit, unit, now, false, &mut out);
        out
    }

    /// A KPI definition was created or changed; its series are evaluated again.
    pub fn kpi(&mut self, kpi: Kpi, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        let now = self.advance(now, &mut out);
        let code = kpi.code.clone();
        self.kpis.insert(code.clone(), Arc::new(kpi));
        let mut ids: Vec<String> = self
            .series
            .iter()
            .filter(|(_, s)| s.kpi == code)
            .map(|(k, _)| k.clone())
            .collect();
        ids.sort();
        for id in ids {
            self.eval(SubjectKind::Series, &id, now, false, &mut out);
        }
        out
    }

    /// A KPI series' value, update time or data-entry person changed.
    pub fn series(&mut self, series: Series, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        let now = self.advance(now, &mut out);
        let id = series.subject_id();
        self.series.insert(id.clone(), series);
        self.eval(SubjectKind::Series, &id, now, false, &mut out);
        out
    }

    /// A key result's progress or elapsed share changed.
    pub fn key_result(&mut self, kr: KeyResult, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        let now = self.advance(now, &mut out);
        let id = kr.id.clone();
        self.key_results.insert(id.clone(), kr);
        self.eval(SubjectKind::KeyResult, &id, now, false, &mut out);
        out
    }

    /// A task was created or changed. A task that is no longer open (submitted, accepted,
    /// cancelled) ends its alerts and is forgotten.
    pub fn task(&mut self, task: Task, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        let now = self.advance(now, &mut out);
        let id = task.id.clone();
        let open = task.status.can_be_overdue();
        self.tasks.insert(id.clone(), task);
        self.eval(SubjectKind::Task, &id, now, !open, &mut out);
        if !open {
            self.forget(SubjectKind::Task, &id);
        }
        out
    }

    /// A unit, series (`"CODE@unit"`), key result or task was removed: its alerts end.
    pub fn remove(&mut self, kind: SubjectKind, id: &str, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        let now = self.advance(now, &mut out);
        self.eval(kind, id, now, true, &mut out);
        self.forget(kind, id);
        out
    }

    /// A KPI definition was removed: every series of it ends its alerts.
    pub fn remove_kpi(&mut self, code: &str, now: i64) -> Vec<Transition> {
        let mut out = Vec::new();
        let now = self.advance(now, &mut out);
        let mut ids: Vec<String> = self
            .series
            .iter()
            .filter(|(_, s)| s.kpi == code)
            .map(|(k, _)| k.clone())
            .collect();
        ids.sort();
        for id in ids {
            self.eval(SubjectKind::Series, &id, now, true, &mut out);
            self.forget(SubjectKind::Series, &id);
        }
        self.kpis.remove(code);
        out
    }

    /// Records that `by` acknowledged a firing alert at `at`: a red acknowledged after it
    /// turned red is not escalated. A later turn to red (after yellow) needs a new
    /// acknowledgment.
    pub fn acknowledge(
        &mut self,
        rule: &str,
        subject: &str,
        by: &str,
        at: i64,
    ) -> Result<(), AckError> {
        let Some(alert) = self.alerts.get_mut(rule).and_then(|m| m.get_mut(subject)) else {
            return Err(AckError::NotFound {
                rule: rule.to_owned(),
                subject: subject.to_owned(),
            });
        };
        if alert.state != State::Firing {
            return Err(AckError::NotFiring {
                rule: rule.to_owned(),
                subject: subject.to_owned(),
            });
        }
        alert.acknowledged = Some(Ack {
            by: by.to_owned(),
            at,
        });
        let kind = alert.subject_kind;
        self.reschedule(kind, subject, self.now);
        Ok(())
    }

    /// The rules in force with their inhibitions, as loaded (cheap: shared).
    pub fn rule_set(&self) -> RuleSet {
        RuleSet {
            rules: self.rules.clone(),
            inhibits: self.inhibits.clone(),
        }
    }

    fn install(&mut self, rules: RuleSet) {
        self.inhibits = rules.inhibits;
        self.rules = rules.rules;
        self.by_kind = Default::default();
        for (i, r) in self.rules.iter().enumerate() {
            self.by_kind[r.metric.subject().index()].push(i);
        }
    }

    /// Every subject known or alerted on, in a fixed order.
    fn all_subjects(&self) -> BTreeSet<(SubjectKind, String)> {
        let mut s = BTreeSet::new();
        s.extend(self.units.keys().map(|k| (SubjectKind::Unit, k.clone())));
        s.extend(self.series.keys().map(|k| (SubjectKind::Series, k.clone())));
        s.extend(
            self.key_results
                .keys()
                .map(|k| (SubjectKind::KeyResult, k.clone())),
        );
        s.extend(self.tasks.keys().map(|k| (SubjectKind::Task, k.clone())));
        s.extend(self.alerts().map(|a| (a.subject_kind, a.subject.clone())));
        s
    }

    fn forget(&mut self, kind: SubjectKind, id: &str) {
        match kind {
            SubjectKind::Unit => {
                self.units.remove(id);
            }
            SubjectKind::Series => {
                self.series.remove(id);
            }
            SubjectKind::KeyResult => {
                self.key_results.remove(id);
            }
            SubjectKind::Task => {
                self.tasks.remove(id);
            }
        }
        self.schedule(kind, id, None);
    }

    /// Runs every wake-up due by `now` at its own time, in time order, and returns the
    /// effective `now`.
    fn advance(&mut self, now: i64, out: &mut Vec<Transition>) -> i64 {
        let now = now.max(self.now);
        while let Some(first) = self.wake.first() {
            if first.0 > now {
                break;
            }
            let (t, kind, id) = first.clone();
            self.wake.remove(&(t, kind, id.clone()));
            self.wake_at.remove(&(kind, id.clone()));
            self.now = self.now.max(t);
            self.eval(kind, &id, t, false, out);
        }
        self.now = now;
        now
    }

    /// Evaluates every rule of the subject's kind at `t` (`gone`: the subject is going away)
    /// and schedules its next wake-up.
    fn eval(&mut self, kind: SubjectKind, id: &str, t: i64, gone: bool, out: &mut Vec<Transition>) {
        for i in 0..self.by_kind[kind.index()].len() {
            let rule = self.rules[self.by_kind[kind.index()][i]].clone();
            let obs = if gone {
                Obs::Gone
            } else {
                self.observe(&rule, kind, id, t)
            };
            let prev = self.alerts.get(&rule.name).and_then(|m| m.get(id)).cloned();
            let (value, gone) = match obs {
                Obs::Value(v) => (v, false),
                Obs::Gone => (None, true),
                Obs::Unknown => match &prev {
                    Some(a) => (a.value, false),
                    None => continue,
                },
            };
            let kpi = self.kpi_of(kind, id);
            let fresh = || Alert {
                rule: rule.name.to_string(),
                subject: id.to_owned(),
                subject_kind: kind,
                unit: self.unit_of(kind, id).unwrap_or(id).to_owned(),
                state: State::Inactive,
                severity: Severity::Yellow,
                active_since: t,
                fired_at: None,
                severity_since: t,
                recovering_since: None,
                value: None,
                acknowledged: None,
                escalated_at: None,
            };
            let (next, events) = step(&rule, prev, value, gone, kpi, t, fresh);
            for ev in events {
                let shown = next
                    .as_ref()
                    .map_or_else(|| self.alert(&rule.name, id).cloned(), |a| Some(a.clone()));
                if let Some(alert) = shown {
                    out.push(self.render(&rule, &alert, ev, t));
                }
            }
            match next {
                Some(a) => {
                    self.alerts
                        .entry(rule.name.clone())
                        .or_default()
                        .insert(id.to_owned(), a);
                }
                None => {
                    if let Some(m) = self.alerts.get_mut(&rule.name) {
                        m.remove(id);
                        if m.is_empty() {
                            self.alerts.remove(&rule.name);
                        }
                    }
                }
            }
        }
        self.reschedule(kind, id, t);
    }

    fn kpi_of(&self, kind: SubjectKind, id: &str) -> Option<&Kpi> {
        match kind {
            SubjectKind::Series => self
                .series
                .get(id)
                .and_then(|s| self.kpis.get(&s.kpi).map(Arc::as_ref))
                .or_else(|| {
                    // A restored series alert before the series is given again: "CODE@unit".
                    id.split_once('@')
                        .and_then(|(code, _)| self.kpis.get(code).map(Arc::as_ref))
                }),
            _ => None,
        }
    }

    fn unit_of<'a>(&'a self, kind: SubjectKind, id: &'a str) -> Option<&'a str> {
        match kind {
            SubjectKind::Unit => Some(id),
            SubjectKind::Series => self.series.get(id).map(|s| s.unit.as_str()),
            SubjectKind::KeyResult => self.key_results.get(id).map(|k| k.unit.as_str()),
            SubjectKind::Task => self.tasks.get(id).map(|t| t.unit.as_str()),
        }
    }

    fn unit_info(&self, id: &str) -> Option<&Unit> {
        self.units.get(id).and_then(|u| u.info.as_ref())
    }

    fn observe(&self, rule: &Rule, kind: SubjectKind, id: &str, t: i64) -> Obs {
        let Some(unit_id) = self.unit_of(kind, id) else {
            return Obs::Unknown;
        };
        if kind == SubjectKind::Unit && self.units.get(id).and_then(|u| u.metrics).is_none() {
            return Obs::Unknown;
        }
        if !rule.scope.matches(unit_id, self.unit_info(unit_id)) {
            return Obs::Gone;
        }
        let value = match kind {
            SubjectKind::Unit => {
                let m = self
                    .units
                    .get(id)
                    .and_then(|u| u.metrics)
                    .unwrap_or_default();
                match rule.metric {
                    Metric::TasksOverdue => Some(m.tasks_overdue as f64),
                    Metric::TasksOverdueRatio => m.tasks_overdue_ratio,
                    Metric::TasksOnTimeRate => m.tasks_on_time_rate,
                    Metric::TasksAvgProgress => m.tasks_avg_progress,
                    Metric::KrPaceGap => m.kr_pace_gap,
                    Metric::SatisfactionAverage => m.satisfaction_average,
                    Metric::SatisfactionDissatisfied => {
                        Some(f64::from(m.satisfaction_dissatisfied_24h))
                    }
                    Metric::KpiRed => Some(f64::from(m.kpi_red)),
                    Metric::KpiYellow => Some(f64::from(m.kpi_yellow)),
                    Metric::KpiNoData => Some(f64::from(m.kpi_no_data)),
                    _ => None,
                }
            }
            SubjectKind::Series => {
                let Some(s) = self.series.get(id) else {
                    return Obs::Unknown;
                };
                let kpi = self.kpis.get(&s.kpi).map(Arc::as_ref);
                if !rule.accepts_kpi(kpi, &s.kpi) {
                    return Obs::Gone;
                }
                match rule.metric {
                    Metric::KpiValue => s.value,
                    Metric::KpiStaleness => Some(match s.last_updated.or(s.expected_from) {
                        Some(since) => (t - since) as f64,
                        None => NEVER,
                    }),
                    _ => None,
                }
            }
            SubjectKind::KeyResult => self.key_results.get(id).map(|k| k.progress - k.elapsed),
            SubjectKind::Task => {
                let Some(task) = self.tasks.get(id) else {
                    return Obs::Unknown;
                };
                if !task.status.can_be_overdue() {
                    None
                } else {
                    match rule.metric {
                        Metric::TaskOverdue => {
                            (task.deadline < t).then(|| (t - task.deadline) as f64)
                        }
                        Metric::TaskDueSoon => (task.deadline >= t
                            && task.deadline - t <= rule.within)
                            .then_some(task.progress),
                        _ => None,
                    }
                }
            }
        };
        Obs::Value(value.filter(|v| !v.is_nan()))
    }

    /// The earliest time after `t` at which any rule of the subject could change its mind.
    fn next_wake(&self, rule: &Rule, kind: SubjectKind, id: &str, t: i64) -> Option<i64> {
        let mut times: Vec<i64> = Vec::new();
        if let Some(a) = self.alert(&rule.name, id) {
            match a.state {
                State::Pending => times.push(a.active_since.saturating_add(rule.for_ms)),
                State::Firing => {
                    if let Some(rs) = a.recovering_since {
                        times.push(rs.saturating_add(rule.keep_firing_for));
                    }
                    if let Some(d) = rule.escalate_after {
                        if a.severity == Severity::Red
                            && a.escalated_at.is_none()
                            && !acked_since(a)
                        {
                            times.push(a.severity_since.saturating_add(d));
                        }
                    }
                }
                State::Inactive | State::Resolved => {}
            }
        }
        if rule.metric.time_driven() {
            match kind {
                SubjectKind::Series => {
                    if let Some(since) = self
                        .series
                        .get(id)
                        .and_then(|s| s.last_updated.or(s.expected_from))
                    {
                        for cut in rule.cut_points(self.kpi_of(kind, id)) {
                            let at = since.saturating_add(cut as i64);
                            times.extend([at, at.saturating_add(1)]);
                        }
                    }
                }
                SubjectKind::Task => {
                    if let Some(task) = self.tasks.get(id).filter(|t| t.status.can_be_overdue()) {
                        let d = task.deadline;
                        times.push(d.saturating_add(1));
                        match rule.metric {
                            Metric::TaskDueSoon => times.push(d.saturating_sub(rule.within)),
                            _ => {
                                for cut in rule.cut_points(None) {
                                    let at = d.saturating_add(cut as i64);
                                    times.extend([at, at.saturating_add(1)]);
                                }
                            }
                        }
                    }
                }
                SubjectKind::Unit | SubjectKind::KeyResult => {}
            }
        }
        times.into_iter().filter(|&w| w > t).min()
    }

    fn reschedule(&mut self, kind: SubjectKind, id: &str, t: i64) {
        let next = self.by_kind[kind.index()]
            .iter()
            .filter_map(|&i| self.next_wake(&self.rules[i], kind, id, t))
            .min();
        self.schedule(kind, id, next);
    }

    fn schedule(&mut self, kind: SubjectKind, id: &str, at: Option<i64>) {
        let key = (kind, id.to_owned());
        if let Some(old) = self.wake_at.get(&key) {
            if Some(*old) == at {
                return;
            }
            self.wake.remove(&(*old, kind, key.1.clone()));
        }
        match at {
            Some(at) => {
                self.wake.insert((at, kind, key.1.clone()));
                self.wake_at.insert(key, at);
            }
            None => {
                self.wake_at.remove(&key);
            }
        }
    }

    /// A transition for an alert whose rule is gone (restore).
    fn render_orphan(&self, alert: &Alert, ev: Event, t: i64) -> Transition {
        Transition {
            kind: ev.kind,
            rule: alert.rule.clone(),
            subject: alert.subject.clone(),
            subject_kind: alert.subject_kind,
            unit: alert.unit.clone(),
            from: ev.from,
            to: ev.to,
            severity: ev.severity,
            value: ev.value,
            threshold: None,
            at: t,
            summary_vi: format!(
                "Quy tắc {} không còn tồn tại; cảnh báo kết thúc",
                alert.rule
            ),
            summary_en: format!("Rule {} no longer exists; the alert ends", alert.rule),
            notify: Vec::new(),
            labels: BTreeMap::new(),
        }
    }

    fn render(&self, rule: &Rule, alert: &Alert, ev: Event, t: i64) -> Transition {
        let unit = self.unit_info(&alert.unit);
        let kpi = self.kpi_of(alert.subject_kind, &alert.subject);
        let kpi_code = match alert.subject_kind {
            SubjectKind::Series => self
                .series
                .get(&alert.subject)
                .map(|s| s.kpi.clone())
                .or_else(|| alert.subject.split_once('@').map(|(c, _)| c.to_owned())),
            _ => None,
        };
        let scale = rule.metric.scale();
        let threshold_sev = match ev.kind {
            TransitionKind::Resolved | TransitionKind::Cancelled => None,
            _ => Some(ev.severity),
        };
        let threshold = rule.threshold(threshold_sev, ev.value, kpi);
        let fill = |lang: Lang, p: Placeholder| -> String {
            match p {
                Placeholder::Unit => alert.unit.clone(),
                Placeholder::UnitName => {
                    unit.map_or_else(|| alert.unit.clone(), |u| u.name.clone())
                }
                Placeholder::Value => match ev.value {
                    Some(v) => scale.render(v, lang),
                    None => match lang {
                        Lang::Vi => "không có dữ liệu".into(),
                        Lang::En => "no data".into(),
                    },
                },
                Placeholder::Threshold => {
                    threshold.map_or_else(|| "—".into(), |x| scale.render(x, lang))
                }
                Placeholder::Kpi => kpi_code.clone().unwrap_or_default(),
                Placeholder::KpiName => kpi
                    .map(|k| k.name.clone())
                    .or_else(|| kpi_code.clone())
                    .unwrap_or_default(),
                Placeholder::Severity => match (lang, ev.severity) {
                    (Lang::Vi, Severity::Red) => "đỏ".into(),
                    (Lang::Vi, Severity::Yellow) => "vàng".into(),
                    (Lang::En, s) => s.as_str().into(),
                },
                Placeholder::Rule => rule.name.to_string(),
                Placeholder::Subject => alert.subject.clone(),
                Placeholder::Title => self.title_of(alert, kpi),
                Placeholder::Responsible => match self.responsible_of(alert) {
                    Some(id) => self.people.get(&id).cloned().unwrap_or(id),
                    None => match lang {
                        Lang::Vi => "chưa có người phụ trách".into(),
                        Lang::En => "no one responsible".into(),
                    },
                },
            }
        };
        let summary_vi = rule.summary_vi.render(|p| fill(Lang::Vi, p));
        let summary_en = rule.summary_en.render(|p| fill(Lang::En, p));
        let labels = self.labels_with(rule, alert, kpi_code, kpi);

        let notify = match ev.kind {
            TransitionKind::Pending | TransitionKind::Cancelled => Vec::new(),
            TransitionKind::Escalated => self.resolve(&[Role::ParentLeader], alert),
            _ => self.resolve(&rule.notify, alert),
        };

        Transition {
            kind: ev.kind,
            rule: rule.name.to_string(),
            subject: alert.subject.clone(),
            subject_kind: alert.subject_kind,
            unit: alert.unit.clone(),
            from: ev.from,
            to: ev.to,
            severity: ev.severity,
            value: ev.value,
            threshold,
            at: t,
            summary_vi,
            summary_en,
            notify,
            labels,
        }
    }

    /// The summaries of a live alert as its rule words it now, with the names and titles the
    /// engine knows now, without a transition: for alerts kept from before a rule's wording or a
    /// subject's name changed (a restart, a reload). `None` when its rule is not loaded.
    pub fn summaries(&self, alert: &Alert) -> Option<(String, String)> {
        let rule = self.rules.iter().find(|r| *r.name == *alert.rule)?;
        let ev = Event {
            kind: TransitionKind::Fired,
            from: alert.state,
            to: alert.state,
            severity: alert.severity,
            value: alert.value,
        };
        let t = self.render(rule, alert, ev, self.now);
        Some((t.summary_vi, t.summary_en))
    }

    /// The labels of a live alert: its rule's labels plus `unit`, `metric`, `level` and, for a
    /// KPI series, `kpi` and `group` (what grouping and inhibition match on).
    pub fn labels(&self, alert: &Alert) -> BTreeMap<String, String> {
        let Some(rule) = self.rules.iter().find(|r| *r.name == *alert.rule) else {
            return BTreeMap::new();
        };
        let kpi = self.kpi_of(alert.subject_kind, &alert.subject);
        let code = match alert.subject_kind {
            SubjectKind::Series => self
                .series
                .get(&alert.subject)
                .map(|s| s.kpi.clone())
                .or_else(|| alert.subject.split_once('@').map(|(c, _)| c.to_owned())),
            _ => None,
        };
        self.labels_with(rule, alert, code, kpi)
    }

    fn labels_with(
        &self,
        rule: &Rule,
        alert: &Alert,
        kpi_code: Option<String>,
        kpi: Option<&Kpi>,
    ) -> BTreeMap<String, String> {
        let mut labels = rule.labels.clone();
        labels.insert("unit".into(), alert.unit.clone());
        labels.insert("metric".into(), rule.metric.name().into());
        if let Some(u) = self.unit_info(&alert.unit) {
            labels.insert("level".into(), u.level.as_str().into());
        }
        if let Some(code) = kpi_code {
            labels.insert("kpi".into(), code);
        }
        if let Some(k) = kpi {
            labels.insert("group".into(), k.group.as_str().into());
        }
        labels
    }

    /// The units above `unit`, root first, as the engine was told.
    pub fn ancestors_of(&self, unit: &str) -> &[String] {
        self.unit_info(unit).map_or(&[], |u| u.ancestors.as_slice())
    }

    /// What the alert is about, as people call it: the task's or key result's title, the KPI's
    /// name, the unit's name; the subject id when the engine knows no better.
    fn title_of(&self, alert: &Alert, kpi: Option<&Kpi>) -> String {
        let named = match alert.subject_kind {
            SubjectKind::Task => self.tasks.get(&alert.subject).map(|t| t.title.clone()),
            SubjectKind::KeyResult => self
                .key_results
                .get(&alert.subject)
                .map(|k| k.title.clone()),
            SubjectKind::Series => kpi.map(|k| k.name.clone()),
            SubjectKind::Unit => self.unit_info(&alert.unit).map(|u| u.name.clone()),
        };
        named
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| alert.subject.clone())
    }

    /// Who answers for the subject: a task's responsible person, whoever enters a series'
    /// values, else the leader of the unit.
    fn responsible_of(&self, alert: &Alert) -> Option<String> {
        let leader = || self.unit_info(&alert.unit).and_then(|u| u.leader.clone());
        match alert.subject_kind {
            SubjectKind::Task => self
                .tasks
                .get(&alert.subject)
                .map(|t| t.responsible.clone()),
            SubjectKind::Series => self
                .series
                .get(&alert.subject)
                .and_then(|s| s.data_entry.clone())
                .or_else(leader),
            SubjectKind::Unit | SubjectKind::KeyResult => leader(),
        }
    }

    /// Roles to people, through the org tree; roles nobody fills are skipped.
    fn resolve(&self, roles: &[Role], alert: &Alert) -> Vec<Recipient> {
        let mut out: Vec<Recipient> = Vec::new();
        for &role in roles {
            let person = match role {
                Role::UnitLeader => self.unit_info(&alert.unit).and_then(|u| u.leader.clone()),
                Role::ParentLeader => self.unit_info(&alert.unit).and_then(|u| {
                    u.ancestors
                        .iter()
                        .rev()
                        .find_map(|a| self.unit_info(a).and_then(|p| p.leader.clone()))
                }),
                Role::TaskResponsible => self
                    .tasks
                    .get(&alert.subject)
                    .map(|t| t.responsible.clone()),
                Role::TaskAccountable => self
                    .tasks
                    .get(&alert.subject)
                    .and_then(|t| t.accountable.clone()),
                Role::KpiDataEntry => self
                    .series
                    .get(&alert.subject)
                    .and_then(|s| s.data_entry.clone()),
            };
            if let Some(person) = person {
                if !out.iter().any(|r| r.person == person) {
                    out.push(Recipient { role, person });
                }
            }
        }
        out
    }
}

fn acked_since(a: &Alert) -> bool {
    a.acknowledged
        .as_ref()
        .is_some_and(|k| k.at >= a.severity_since)
}

/// The event that ends an alert without a new value (removed rule or subject).
fn ended(alert: &Alert, value: Option<f64>) -> Event {
    match alert.state {
        State::Pending => Event {
            kind: TransitionKind::Cancelled,
            from: State::Pending,
            to: State::Inactive,
            severity: alert.severity,
            value,
        },
        _ => Event {
            kind: TransitionKind::Resolved,
            from: State::Firing,
            to: State::Resolved,
            severity: alert.severity,
            value,
        },
    }
}

/// The state machine of one alert instance: a pure function of its previous state, the value
/// at `t` (`gone`: the subject left the rule's reach) and `t`.
fn step(
    rule: &Rule,
    prev: Option<Alert>,
    value: Option<f64>,
    gone: bool,
    kpi: Option<&Kpi>,
    t: i64,
    fresh: impl FnOnce() -> Alert,
) -> (Option<Alert>, Vec<Event>) {
    let mut events = Vec::new();
    let severity = if gone {
        None
    } else {
        value.and_then(|v| rule.severity(v, kpi))
    };
    let ev = |kind, from, to, severity| Event {
        kind,
        from,
        to,
        severity,
        value,
    };
    let Some(mut a) = prev else {
        let Some(s) = severity else {
            return (None, events);
        };
        let mut a = fresh();
        a.severity = s;
        a.value = value;
        if rule.for_ms == 0 {
            a.state = State::Firing;
            a.fired_at = Some(t);
            events.push(ev(TransitionKind::Fired, State::Inactive, State::Firing, s));
            escalate(rule, &mut a, t, &mut events);
        } else {
            a.state = State::Pending;
            events.push(ev(
                TransitionKind::Pending,
                State::Inactive,
                State::Pending,
                s,
            ));
        }
        return (Some(a), events);
    };
    if a.state == State::Pending {
        let Some(s) = severity else {
            events.push(ev(
                TransitionKind::Cancelled,
                State::Pending,
                State::Inactive,
                a.severity,
            ));
            return (None, events);
        };
        a.severity = s;
        a.value = value;
        if t - a.active_since >= rule.for_ms {
            a.state = State::Firing;
            a.fired_at = Some(t);
            a.severity_since = t;
            events.push(ev(TransitionKind::Fired, State::Pending, State::Firing, s));
            escalate(rule, &mut a, t, &mut events);
        }
        return (Some(a), events);
    }
    // Firing.
    if gone {
        events.push(ev(
            TransitionKind::Resolved,
            State::Firing,
            State::Resolved,
            a.severity,
        ));
        return (None, events);
    }
    let recovered = value.is_none_or(|v| rule.recovered(v, kpi));
    if value.is_some() {
        a.value = value;
    }
    if recovered {
        let since = *a.recovering_since.get_or_insert(t);
        if t - since >= rule.keep_firing_for {
            events.push(ev(
                TransitionKind::Resolved,
                State::Firing,
                State::Resolved,
                a.severity,
            ));
            return (None, events);
        }
    } else {
        a.recovering_since = None;
        // Between the firing and the recovery thresholds the alert keeps firing at the rule's
        // mildest severity: still a warning, no longer the red one.
        let s = severity.unwrap_or_else(|| a.severity.min(rule.mildest()));
        if s != a.severity {
            events.push(ev(
                TransitionKind::SeverityChanged,
                State::Firing,
                State::Firing,
                s,
            ));
            a.severity = s;
            a.severity_since = t;
            if s == Severity::Red {
                a.escalated_at = None;
            }
        }
    }
    escalate(rule, &mut a, t, &mut events);
    (Some(a), events)
}

fn escalate(rule: &Rule, a: &mut Alert, t: i64, events: &mut Vec<Event>) {
    let Some(after) = rule.escalate_after else {
        return;
    };
    if a.state == State::Firing
        && a.severity == Severity::Red
        && a.escalated_at.is_none()
        && !acked_since(a)
        && t - a.severity_since >= after
    {
        a.escalated_at = Some(t);
        events.push(Event {
            kind: TransitionKind::Escalated,
            from: State::Firing,
            to: State::Firing,
            severity: Severity::Red,
            value: a.value,
        });
    }
}

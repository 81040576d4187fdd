//! Alerting inside the server (the engine itself is the `alert-rules` crate): the engine, owned
//! by the writer task, fed from the rollup right after each apply (so an alert fires in the same
//! step as the event that crossed the threshold) and on clock ticks; its transitions turned into
//! stored alerts and history rows. The live alerts and the read model screens and the REST API
//! are given are in `board.rs`, what people do to alerts in `actions.rs`, rule files in
//! `files.rs`.

pub mod actions;
mod board;
pub mod files;
mod groups;
mod reading;
mod wording;

pub use board::{
    group_of, is_silenced, wire_name, AlertOut, Board, HeldBy, LiveAlerts, RuleInfo, StoredAlert,
};
pub use groups::{
    groups_out, rank_alerts, rank_groups, AlertGroup, AlertGroupsOut, GroupCount, GroupPage,
    HeldCount, PersonCount,
};
pub use reading::{AlertsNow, Reading};
pub use wording::PersonRef;

use crate::domain::{Change, Id, KpiStatus, Ts};
use crate::rollup::view::TaskSummary;
use crate::rollup::{Rollup, UnitAgg};
use crate::store::{AlertHistoryRow, AlertRow, SilenceRow};
use alert_rules::{Engine, EngineState, RuleSet, Transition, TransitionKind};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

/// The writer's rows for one evaluation: live alerts to replace or delete, history to append,
/// and the transitions people are to be told about (the writer turns them into notices of the
/// same transaction).
#[derive(Default)]
pub struct AlertWrites {
    pub upserts: Vec<AlertRow>,
    pub deletes: Vec<(String, String)>,
    pub history: Vec<AlertHistoryRow>,
    pub notify: Vec<Notifiable>,
}

/// A transition with people to tell (not silenced): the history row it is recorded as (its
/// index in `AlertWrites::history`), when the alert began, and the transition itself.
#[derive(Debug, Clone)]
pub struct Notifiable {
    pub history: usize,
    pub started_at: Ts,
    pub transition: Transition,
}

impl AlertWrites {
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.deletes.is_empty() && self.history.is_empty()
    }
}

pub struct Alerting {
    engine: Engine,
    live: LiveAlerts,
    /// Units the batch being applied touched, before their chains are expanded (collected
    /// before the apply too, so a task that moved units marks its old unit).
    dirty_units: BTreeSet<Id>,
    /// When each unit received its ratings of 1 or 2 stars, the last day's only: the
    /// `satisfaction.dissatisfied_24h` metric (a ward sees each dissatisfied citizen as an alert).
    dissatisfied: HashMap<Id, VecDeque<Ts>>,
}

/// How far back `satisfaction.dissatisfied_24h` counts.
pub const DISSATISFIED_WINDOW: Ts = 24 * 3_600_000;

impl Alerting {
    /// Restores the engine from the stored alerts and describes the whole rollup to it, as at
    /// every start: unchanged values cause no transition, so nothing re-fires and `for` progress
    /// is kept. Returns the transitions the start itself caused (e.g. alerts whose rule is gone).
    pub fn start(
        rules: RuleSet,
        stored: Vec<AlertRow>,
        silences: Vec<SilenceRow>,
        dissatisfied: Vec<(String, Ts)>,
        rollup: &Rollup,
        live: LiveAlerts,
    ) -> (Alerting, AlertWrites) {
        let now = rollup.now();
        let mut kept = BTreeMap::new();
        let mut alerts = Vec::new();
        for row in stored {
            match serde_json::from_str::<StoredAlert>(&row.body) {
                Ok(a) => {
                    alerts.push(a.engine.clone());
                    kept.insert((row.rule, row.subject), a);
                }
                Err(e) => {
                    tracing::warn!(rule = row.rule, subject = row.subject, error = %e, "stored alert unreadable; dropped")
                }
            }
        }
        let (engine, mut transitions) = Engine::restore(rules, EngineState { now, alerts });
        live.write(|board| {
            *board = Board {
                alerts: kept.into_iter().map(|(k, a)| (k, Arc::new(a))).collect(),
                silences,
                rules: Vec::new(),
                ruleset: RuleSet::default(),
            }
        });
        let mut me = Alerting {
            engine,
            live,
            dirty_units: BTreeSet::new(),
            dissatisfied: HashMap::new(),
        };
        for (unit, at) in dissatisfied {
            me.dissatisfied
                .entry(unit.into())
                .or_default()
                .push_back(at);
        }
        me.publish_rules();
        transitions.extend(me.describe_everything(rollup, now));
        let writes = me.record(transitions, rollup);
        me.reword();
        (me, writes)
    }

    /// Words every live alert again as its rule and its subject read now: alerts kept from an
    /// older wording (ids where titles now stand, a renamed task) read like new ones. Memory
    /// only: the stored rows take the new words with their next transition.
    fn reword(&mut self) {
        let engine = &self.engine;
        self.live.write(|board| {
            for stored in board.alerts.values_mut() {
                if let Some((vi, en)) = engine.summaries(&stored.engine) {
                    if stored.summary_vi != vi || stored.summary_en != en {
                        let s = Arc::make_mut(stored);
                        s.summary_vi = vi;
                        s.summary_en = en;
                    }
                }
            }
        });
    }

    fn describe_everything(&mut self, rollup: &Rollup, now: Ts) -> Vec<Transition> {
        let mut out = Vec::new();
        let mut units = rollup.units();
        // Parents before children: the engine resolves scopes and escalation through ancestors.
        units.sort_by_key(|u| rollup.ancestors(&u.id).len());
        for p in rollup.people() {
            self.feed_person(&p);
        }
        for u in &units {
            out.extend(self.feed_unit(rollup, &u.id, now));
        }
        for k in rollup.kpis() {
            out.extend(self.feed_kpi(rollup, &k, now));
        }
        for kr in rollup.key_results() {
            out.extend(self.feed_key_result(rollup, &kr.id, now));
        }
        for t in rollup.open_tasks() {
            out.extend(self.feed_task(&t, now));
        }
        for u in &units {
            out.extend(self.feed_unit_metrics(rollup, &u.id, now));
        }
        out
    }

    fn publish_rules(&self) {
        show_rules(&self.live, self.engine.rule_set());
    }

    pub fn live(&self) -> &LiveAlerts {
        &self.live
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Notes which units a batch touches, read before it is applied (so a task that moved
    /// units marks its old unit too): the same reading the live views use.
    pub fn before_apply(&mut self, touched: &crate::bus::Touched) {
        self.dirty_units.extend(touched.units.iter().cloned());
    }

    /// Feeds the engine what the applied batch changed; returns the rows to write.
    pub fn after_apply(&mut self, changes: &[Change], rollup: &Rollup) -> AlertWrites {
        let now = rollup.now();
        let mut out = Vec::new();
        let mut clock = false;
        for c in changes {
            match c {
                Change::Unit(u) => {
                    out.extend(self.feed_unit(rollup, &u.id, now));
                    self.dirty_units.insert(u.id.clone());
                }
                Change::Kpi(k) => {
                    out.extend(self.feed_kpi(rollup, k, now));
                    for u in k.series_units() {
                        self.dirty_units.insert(u.clone());
                    }
                }
                Change::Task(t) => {
                    out.extend(self.feed_task(t, now));
                    self.dirty_units.insert(t.unit.clone());
                }
                Change::Observation(o) => {
                    let kpi = rollup.with_kpi(&o.kpi, |k| (k.code.clone(), k.leading_unit.clone()));
                    if let Some((code, leading)) = kpi {
                        out.extend(self.feed_series(rollup, &code, &leading, &o.unit, now));
                    }
                    self.dirty_units.insert(o.unit.clone());
                }
                Change::KeyResult(kr) => {
                    out.extend(self.feed_key_result(rollup, &kr.id, now));
                    if let Some(o) = rollup.objective(&kr.objective) {
                        self.dirty_units.insert(o.unit.clone());
                    }
                }
                Change::Objective(o) => {
                    for kr in rollup.key_results_of(&o.id) {
                        out.extend(self.feed_key_result(rollup, &kr, now));
                    }
                    self.dirty_units.insert(o.unit.clone());
                }
                Change::Rating(r) => {
                    if r.score <= 2 {
                        self.dissatisfied
                            .entry(r.unit.clone())
                            .or_default()
                            .push_back(r.at);
                    }
                    self.dirty_units.insert(r.unit.clone());
                }
                Change::Person(p) => self.feed_person(p),
                Change::Period(_)
                | Change::Target(_)
                | Change::Criteria(_)
                | Change::Frozen(_)
                | Change::Meeting(_) => {}
                Change::Clock(_) => clock = true,
            }
        }
        if clock {
            out.extend(self.engine.tick(now));
            // Overdue counts and key-result pace move with time alone: look at every unit and
            // key result again (cheap: units and key results number in the thousands).
            for u in rollup.unit_ids() {
                self.dirty_units.insert(u);
            }
            for kr in rollup.key_results() {
                out.extend(self.feed_key_result(rollup, &kr.id, now));
            }
        }
        // A batch touches few units many times: expand each distinct one to its chain once.
        let mut chains = BTreeSet::new();
        for u in std::mem::take(&mut self.dirty_units) {
            chains.extend(rollup.ancestors(&u));
        }
        for u in chains {
            out.extend(self.feed_unit_metrics(rollup, &u, now));
        }
        self.record(out, rollup)
    }

    fn feed_unit(&mut self, rollup: &Rollup, id: &str, now: Ts) -> Vec<Transition> {
        let Some(u) = rollup.unit(id) else {
            return Vec::new();
        };
        let mut ancestors: Vec<String> = rollup
            .ancestors(id)
            .iter()
            .skip(1)
            .map(|a| a.to_string())
            .collect();
        ancestors.reverse();
        self.engine.unit(
            alert_rules::Unit {
                id: u.id.to_string(),
                name: u.name,
                level: u.level,
                ancestors,
                leader: u.leader.map(|l| l.to_string()),
            },
            now,
        )
    }

    /// Summaries name the people responsible; a new name shows from the next transition.
    fn feed_person(&mut self, p: &crate::domain::Person) {
        self.engine.person(alert_rules::Person {
            id: p.id.to_string(),
            name: p.name.clone(),
        });
    }

    fn feed_unit_metrics(&mut self, rollup: &Rollup, id: &str, now: Ts) -> Vec<Transition> {
        match rollup.unit_agg(id) {
            Some(agg) => {
                let mut m = unit_metrics(&agg, now);
                m.satisfaction_dissatisfied_24h = self.dissatisfied_in_window(id, now);
                self.engine.unit_metrics(id, m, now)
            }
            None => Vec::new(),
        }
    }

    /// Ratings of 1 or 2 stars `id` received in the window ending `now`; older ones are let go.
    fn dissatisfied_in_window(&mut self, id: &str, now: Ts) -> u32 {
        let Some(times) = self.dissatisfied.get_mut(id) else {
            return 0;
        };
        let from = now - DISSATISFIED_WINDOW;
        times.retain(|&t| t > from);
        let n = times.iter().filter(|&&t| t <= now).count();
        if times.is_empty() {
            self.dissatisfied.remove(id);
        }
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn feed_kpi(&mut self, rollup: &Rollup, k: &crate::domain::Kpi, now: Ts) -> Vec<Transition> {
        let mut out = self.engine.kpi(engine_kpi(k), now);
        for unit in k.series_units() {
            out.extend(self.feed_series(rollup, &k.code, &k.leading_unit, &unit, now));
        }
        out
    }

    fn feed_series(
        &mut self,
        rollup: &Rollup,
        code: &str,
        leading_unit: &str,
        unit: &str,
        now: Ts,
    ) -> Vec<Transition> {
        let obs = rollup.latest_observation(code, unit);
        // Who enters the values: whoever entered the last one, else the leader of the leading unit.
        let data_entry = obs
            .as_ref()
            .and_then(|o| o.entered_by.clone())
            .or_else(|| rollup.unit(leading_unit).and_then(|u| u.leader))
            .map(|p| p.to_string());
        self.engine.series(
            alert_rules::Series {
                kpi: code.to_string(),
                unit: unit.to_string(),
                value: obs.as_ref().map(|o| o.value),
                last_updated: obs.as_ref().map(|o| o.at),
                // A series never filled in is expected from when this server first knew it.
                expected_from: Some(self.engine.now().max(now)),
                data_entry,
            },
            now,
        )
    }

    fn feed_key_result(&mut self, rollup: &Rollup, id: &str, now: Ts) -> Vec<Transition> {
        let Some(kr) = rollup.key_result(id) else {
            return Vec::new();
        };
        let Some(o) = rollup.objective(&kr.objective) else {
            return Vec::new();
        };
        self.engine.key_result(
            alert_rules::KeyResult {
                id: kr.id.to_string(),
                title: kr.title.clone(),
                objective: o.id.to_string(),
                unit: o.unit.to_string(),
                progress: kr.progress_ppm() as f64 / 1e6,
                elapsed: o.period.elapsed(now),
            },
            now,
        )
    }

    fn feed_task(&mut self, t: &crate::domain::Task, now: Ts) -> Vec<Transition> {
        self.engine.task(
            alert_rules::Task {
                id: t.id.to_string(),
                title: t.title.clone(),
                unit: t.unit.to_string(),
                responsible: t.responsible.to_string(),
                accountable: t.accountable.as_ref().map(|a| a.to_string()),
                deadline: t.deadline,
                status: t.status,
                progress: t.progress as f64 / 100.0,
            },
            now,
        )
    }

    pub fn add_silence(&mut self, s: SilenceRow) {
        self.live.write(|board| board.silences.push(s));
    }

    /// Reloads rules; alerts of unchanged rules keep their state.
    pub fn set_rules(&mut self, rules: RuleSet, rollup: &Rollup) -> AlertWrites {
        let now = rollup.now();
        let mut out = self.engine.set_rules(rules, now);
        self.publish_rules();
        out.extend(self.describe_everything(rollup, now));
        let writes = self.record(out, rollup);
        self.reword();
        writes
    }

    /// Records an acknowledgment (by whom, when, with what comment); stops escalation.
    pub fn acknowledge(
        &mut self,
        rule: &str,
        subject: &str,
        by: &str,
        comment: Option<String>,
        at: Ts,
    ) -> Result<AlertWrites, String> {
        self.engine
            .acknowledge(rule, subject, by, at)
            .map_err(|e| e.to_string())?;
        let action = serde_json::json!({"by": by, "comment": comment});
        self.update_action(rule, subject, at, "acknowledged", action, |a| {
            a.ack_comment = comment.clone()
        })
    }

    /// Assigns the alert to a person to handle it.
    pub fn assign(
        &mut self,
        rule: &str,
        subject: &str,
        person: &str,
        by: &str,
        at: Ts,
    ) -> Result<AlertWrites, String> {
        let action = serde_json::json!({"by": by, "person": person});
        self.update_action(rule, subject, at, "assigned", action, |a| {
            a.assigned_to = Some(person.to_string())
        })
    }

    fn update_action(
        &mut self,
        rule: &str,
        subject: &str,
        at: Ts,
        kind: &str,
        action: serde_json::Value,
        change: impl FnOnce(&mut StoredAlert),
    ) -> Result<AlertWrites, String> {
        let key = (rule.to_string(), subject.to_string());
        let engine_alert = self.engine.alert(rule, subject).cloned();
        self.live.write(|board| {
            let Some(stored) = board.alerts.get_mut(&key) else {
                return Err(format!("no active alert of rule '{rule}' for '{subject}'"));
            };
            let stored = Arc::make_mut(stored);
            if let Some(e) = engine_alert {
                stored.engine = e;
            }
            change(stored);
            let body = serde_json::to_string(stored).map_err(|e| e.to_string())?;
            let unit = stored.engine.unit.clone();
            let severity = wire_name(&stored.engine.severity);
            Ok(AlertWrites {
                notify: Vec::new(),
                upserts: vec![AlertRow {
                    rule: rule.into(),
                    subject: subject.into(),
                    unit: unit.clone(),
                    body: body.clone(),
                }],
                deletes: Vec::new(),
                history: vec![AlertHistoryRow {
                    seq: 0,
                    rule: rule.into(),
                    subject: subject.into(),
                    unit,
                    kind: kind.into(),
                    severity,
                    at,
                    body:
                        serde_json::json!({"kind": kind, "at": at, "action": action, "alert": stored})
                            .to_string(),
                }],
            })
        })
    }

    /// Applies transitions to the live alerts and turns them into rows: one row per alert (its
    /// last state in the batch), every transition in the history, and the ones with people to
    /// tell (unless a silence covers the alert) for the notification outbox.
    fn record(&mut self, transitions: Vec<Transition>, rollup: &Rollup) -> AlertWrites {
        let mut w = AlertWrites::default();
        if transitions.is_empty() {
            return w;
        }
        let now = rollup.now();
        // Keyed, so thousands of transitions at once (a start with many overdue tasks) stay linear.
        let mut last: BTreeMap<(String, String), Option<AlertRow>> = BTreeMap::new();
        self.live.write(|board| {
            let live = &mut board.alerts;
            for t in transitions {
                let key = (t.rule.clone(), t.subject.clone());
                if !t.notify.is_empty()
                    && !is_silenced(&board.silences, rollup, &t.rule, &t.unit, now)
                {
                    // Before the live entry goes: a resolved alert's start is read from it.
                    let began = |a: &alert_rules::Alert| a.fired_at.unwrap_or(a.active_since);
                    let started_at = self
                        .engine
                        .alert(&t.rule, &t.subject)
                        .map(began)
                        .or_else(|| live.get(&key).map(|p| began(&p.engine)))
                        .unwrap_or(t.at);
                    w.notify.push(Notifiable {
                        history: w.history.len(),
                        started_at,
                        transition: t.clone(),
                    });
                }
                w.history.push(AlertHistoryRow {
                    seq: 0,
                    rule: t.rule.clone(),
                    subject: t.subject.clone(),
                    unit: t.unit.clone(),
                    kind: wire_name(&t.kind),
                    severity: wire_name(&t.severity),
                    at: t.at,
                    body: serde_json::to_string(&t).unwrap_or_default(),
                });
                match (t.kind, self.engine.alert(&t.rule, &t.subject)) {
                    (TransitionKind::Resolved | TransitionKind::Cancelled, _) | (_, None) => {
                        live.remove(&key);
                        last.insert(key, None);
                    }
                    (_, Some(engine)) => {
                        let previous = live.get(&key);
                        let mut notify: Vec<String> =
                            previous.map(|p| p.notify.clone()).unwrap_or_default();
                        if t.kind != TransitionKind::Escalated && !t.notify.is_empty() {
                            notify.clear();
                        }
                        for r in &t.notify {
                            if !notify.contains(&r.person) {
                                notify.push(r.person.clone());
                            }
                        }
                        let stored = StoredAlert {
                            engine: engine.clone(),
                            summary_vi: t.summary_vi.clone(),
                            summary_en: t.summary_en.clone(),
                            labels: t.labels.clone(),
                            assigned_to: previous.and_then(|p| p.assigned_to.clone()),
                            ack_comment: previous.and_then(|p| p.ack_comment.clone()),
                            notify,
                        };
                        let row = AlertRow {
                            rule: key.0.clone(),
                            subject: key.1.clone(),
                            unit: t.unit.clone(),
                            body: serde_json::to_string(&stored).unwrap_or_default(),
                        };
                        live.insert(key.clone(), Arc::new(stored));
                        last.insert(key, Some(row));
                    }
                }
            }
        });
        for (key, row) in last {
            match row {
                Some(r) => w.upserts.push(r),
                None => w.deletes.push(key),
            }
        }
        metrics::counter!("ioc_alert_transitions_total").increment(w.history.len() as u64);
        w
    }
}

/// A KPI as the engine reads it. The thresholds, frequency and group are the same types on both
/// sides (`vocabulary`), so every KPI reaches the engine: none can drop out of alerting.
/// Puts the rules a board is read with (grouping, inhibition, the alert center's list).
pub fn show_rules(live: &LiveAlerts, ruleset: RuleSet) {
    let rules = ruleset
        .rules()
        .map(|r| RuleInfo {
            name: r.name().to_string(),
            metric: wire_name(&r.metric()),
            origin: r.origin().to_string(),
        })
        .collect();
    live.write(|board| {
        board.rules = rules;
        board.ruleset = ruleset;
    });
}

/// A board as the store holds it, for a node that follows the writer's alerts instead of
/// running the engine: the stored alerts, the silences and the rules.
pub fn board_from_store(
    live: &LiveAlerts,
    stored: Vec<AlertRow>,
    silences: Vec<SilenceRow>,
    ruleset: RuleSet,
) {
    live.write(|board| {
        board.alerts.clear();
        board.silences = silences;
    });
    apply_alert_rows(live, stored, Vec::new());
    show_rules(live, ruleset);
}

/// Applies a commit's alert rows to a board kept by a follower: ended alerts leave, changed
/// ones are replaced whole (each row carries the alert's full record).
pub fn apply_alert_rows(live: &LiveAlerts, upserts: Vec<AlertRow>, deletes: Vec<(String, String)>) {
    live.write(|board| {
        for key in deletes {
            board.alerts.remove(&key);
        }
        for row in upserts {
            match serde_json::from_str::<StoredAlert>(&row.body) {
                Ok(a) => {
                    board.alerts.insert((row.rule, row.subject), Arc::new(a));
                }
                Err(e) => {
                    tracing::warn!(rule = row.rule, subject = row.subject, error = %e, "stored alert unreadable; dropped")
                }
            }
        }
    });
}

pub fn engine_kpi(k: &crate::domain::Kpi) -> alert_rules::Kpi {
    alert_rules::Kpi {
        code: k.code.to_string(),
        name: k.name.clone(),
        thresholds: k.thresholds,
        frequency: k.frequency,
        group: k.group,
        leading_unit: k.leading_unit.to_string(),
    }
}

/// A unit's figures as the engine reads them.
pub fn unit_metrics(a: &UnitAgg, now: Ts) -> alert_rules::UnitMetrics {
    let t = TaskSummary::from(&a.tasks);
    let kr_count: i64 = a.kr.iter().map(|k| k.count).sum();
    let kr_pace_gap = (kr_count > 0).then(|| {
        a.kr.iter()
            .map(|k| (k.progress_ppm_sum as f64 / 1e6) - k.period.elapsed(now) * k.count as f64)
            .sum::<f64>()
            / kr_count as f64
    });
    let count =
        |s: KpiStatus| -> u32 { a.kpi.iter().map(|g| g[s.index()]).sum::<i64>().max(0) as u32 };
    alert_rules::UnitMetrics {
        tasks_overdue: a.tasks.overdue.max(0) as u64,
        tasks_overdue_ratio: t.overdue_ratio,
        tasks_on_time_rate: t.on_time_rate,
        tasks_avg_progress: t.avg_progress,
        kr_pace_gap,
        satisfaction_average: a.satisfaction(),
        // Counted by `Alerting` itself (a window in time, not a total the rollup keeps).
        satisfaction_dissatisfied_24h: 0,
        kpi_red: count(KpiStatus::Red),
        kpi_yellow: count(KpiStatus::Yellow),
        kpi_no_data: count(KpiStatus::NoData),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{aggregate::RollupRule, Frequency, IndexGroup, Kpi, Thresholds, UnitLevel};
    use alert_rules::{Builtins, Severity};

    const T0: Ts = 1_767_225_600_000;

    /// Every kind of threshold and every frequency reaches the engine unchanged, and a red value
    /// of such a KPI fires the built-in threshold rule: no KPI drops out of alerting.
    #[test]
    fn every_threshold_kind_and_frequency_reaches_the_engine_and_a_red_value_alerts() {
        let rules = RuleSet::load(&Builtins::default(), &[]).expect("the built-in rules");
        let kinds = [
            (
                Thresholds::HigherIsBetter {
                    green: 90.0,
                    red: 70.0,
                },
                50.0,
            ),
            (
                Thresholds::LowerIsBetter {
                    green: 2.0,
                    red: 5.0,
                },
                9.0,
            ),
            (
                Thresholds::InBand {
                    green_low: 4.0,
                    green_high: 6.0,
                    red_low: 2.0,
                    red_high: 8.0,
                },
                0.5,
            ),
        ];
        for (thresholds, red_value) in kinds {
            for frequency in Frequency::ALL {
                for group in IndexGroup::ALL {
                    let kpi = Kpi {
                        code: "K".into(),
                        name: "K".into(),
                        formula: String::new(),
                        data_source: String::new(),
                        unit_of_measure: String::new(),
                        thresholds,
                        frequency,
                        group,
                        leading_unit: "p-1".into(),
                        coordinating_units: Vec::new(),
                        measured_units: Vec::new(),
                        expression: None,
                        rollup: RollupRule::default(),
                        public: false,
                    };
                    let seen = engine_kpi(&kpi);
                    let case = format!("{thresholds:?} {} {}", frequency.as_str(), group.as_str());
                    assert_eq!(
                        (seen.thresholds, seen.frequency, seen.group),
                        (thresholds, frequency, group),
                        "{case}"
                    );
                    let mut engine = Engine::new(rules.clone());
                    engine.unit(
                        alert_rules::Unit {
                            id: "p-1".into(),
                            name: "Phường 1".into(),
                            level: UnitLevel::Ward,
                            ancestors: Vec::new(),
                            leader: Some("ct-p1".into()),
                        },
                        T0,
                    );
                    engine.kpi(seen, T0);
                    let fired = engine.series(
                        alert_rules::Series {
                            kpi: "K".into(),
                            unit: "p-1".into(),
                            value: Some(red_value),
                            last_updated: Some(T0),
                            expected_from: Some(T0),
                            data_entry: None,
                        },
                        T0,
                    );
                    assert!(
                        fired.iter().any(|t| t.rule == "builtin.kpi_thresholds"
                            && t.subject == "K@p-1"
                            && t.severity == Severity::Red),
                        "{case}: {fired:?}"
                    );
                }
            }
        }
    }
}

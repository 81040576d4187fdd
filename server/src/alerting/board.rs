//! The live alerts as everyone reads them: the board the writer's rule engine keeps (every live
//! alert by rule and subject, the silences in force, the rules running) behind one lock, and the
//! alert read model screens and the REST API are given (`AlertOut`): silenced and held-back
//! alerts flagged, worded with titles and names (`wording.rs`), red first.

use super::groups::{groups_out, AlertGroupsOut, GroupPage};
use super::reading::{AlertsNow, Entry, Reading};
use super::wording::{since, Facts, PersonRef};
use crate::domain::time::format_ts;
use crate::domain::{Id, Ts};
use crate::rollup::view::AlertCount;
use crate::rollup::Rollup;
use crate::store::SilenceRow;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};
use utoipa::ToSchema;

/// An alert as the server keeps it: the engine's record (to restore it after a restart) and what
/// people need to see and act on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredAlert {
    pub engine: alert_rules::Alert,
    pub summary_vi: String,
    pub summary_en: String,
    pub labels: BTreeMap<String, String>,
    pub assigned_to: Option<String>,
    pub ack_comment: Option<String>,
}

/// What handlers read while the writer changes it: the live alerts by (rule, subject) and the
/// active silences. Replaced entry by entry after each evaluation.
#[derive(Default)]
pub struct Board {
    /// `Arc`s, so a reader copies the board out in one short lock and works without it.
    pub alerts: BTreeMap<(String, String), Arc<StoredAlert>>,
    pub silences: Vec<SilenceRow>,
    /// The rules the engine is running now (not what the files say until they are reloaded).
    pub rules: Vec<RuleInfo>,
    /// The same rules, for grouping and inhibition when alerts are read.
    pub ruleset: alert_rules::RuleSet,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleInfo {
    pub name: String,
    pub metric: String,
    /// The file it came from, or `builtin`.
    pub origin: String,
}

/// The shared board: the writer's rule engine changes it, handlers, the hub and the start-up
/// read it. Reached only through closures, so no guard can be held across an `.await`.
///
/// One poisoning policy: a poisoned lock is used as it is. Only the writer writes, entry by
/// entry, so a panic there leaves every entry whole (at worst one transition not yet shown);
/// the alert center and the live feed keep serving what the board holds rather than fail.
#[derive(Clone, Default)]
pub struct LiveAlerts(Arc<RwLock<Board>>);

impl LiveAlerts {
    pub fn read<R>(&self, f: impl FnOnce(&Board) -> R) -> R {
        f(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// For the rule engine, in the writer.
    pub(crate) fn write<R>(&self, f: impl FnOnce(&mut Board) -> R) -> R {
        f(&mut self.0.write().unwrap_or_else(PoisonError::into_inner))
    }

    /// How many alerts are live.
    pub fn len(&self) -> usize {
        self.read(|b| b.alerts.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The unit of a live alert, for the scope check of an action on it.
    pub fn unit_of(&self, rule: &str, subject: &str) -> Option<String> {
        self.read(|b| {
            b.alerts
                .get(&(rule.to_string(), subject.to_string()))
                .map(|a| a.engine.unit.clone())
        })
    }

    /// The live alerts, placed for reading (silences, inhibitions, each unit's chain); the
    /// board's lock is held only to copy it.
    pub fn reading(&self, rollup: &Rollup) -> Reading {
        Reading::new(self.read(AlertsNow::of), rollup)
    }

    /// The live alerts that pass `keep`, flagged if silenced or held back; red before yellow,
    /// newest first.
    pub fn list(&self, rollup: &Rollup, keep: impl Fn(&StoredAlert) -> bool) -> Vec<AlertOut> {
        let reading = self.reading(rollup);
        let mut look = super::wording::Lookup::new(rollup, &reading.rules);
        let mut out: Vec<AlertOut> = reading
            .entries
            .iter()
            .filter(|e| keep(&e.alert))
            .map(|e| alert_out(e, &look.facts(&e.alert, true)))
            .collect();
        out.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.active_since.cmp(&a.active_since))
        });
        out
    }

    /// The live alerts of a unit's subtree: the alert feed's snapshot.
    pub fn of_subtree(&self, rollup: &Rollup, unit: &str) -> Vec<AlertOut> {
        let subtree: std::collections::HashSet<String> =
            rollup.subtree(unit).iter().map(|x| x.to_string()).collect();
        self.list(rollup, |a| subtree.contains(&a.engine.unit))
    }

    /// The one alert count of a unit's screens.
    pub fn count(&self, rollup: &Rollup, unit: &str) -> AlertCount {
        self.reading(rollup).count(unit)
    }

    /// The one alert count of every unit (for the live views, once per pass).
    pub fn counts(&self, rollup: &Rollup) -> HashMap<Id, AlertCount> {
        self.reading(rollup).counts()
    }

    /// The alert center of a unit: its count and its groups (`ranked`: in the screens' order,
    /// else by key), `None` for an unknown unit.
    pub fn groups(&self, rollup: &Rollup, unit: &str, ranked: bool) -> Option<AlertGroupsOut> {
        groups_out(&self.reading(rollup), rollup, unit, ranked)
    }

    /// One group of a unit's alert center with a page of its alerts.
    pub fn group(
        &self,
        rollup: &Rollup,
        unit: &str,
        key: &str,
        offset: usize,
        limit: usize,
    ) -> Option<GroupPage> {
        self.reading(rollup)
            .group_page(rollup, unit, key, offset, limit)
    }
}

/// The group an alert is shown in on the screen of `view` (a unit at or above the alert's):
/// the unit one level below `view` on the way to the alert's unit (`view` itself for its own
/// alerts) and the alert's rule, split further by the rule's `group_by`. `None` when `view` is
/// not at or above the alert's unit. For messages that gather a person's alerts by unit, then by
/// rule, pass the unit the person is told about (e.g. the unit they lead).
pub fn group_of(
    rules: &alert_rules::RuleSet,
    rollup: &Rollup,
    view: &str,
    alert: &StoredAlert,
) -> Option<alert_rules::GroupKey> {
    let chain = rollup.ancestors(&alert.engine.unit);
    rules.group_of(
        view,
        &alert_rules::AlertFacts {
            rule: &alert.engine.rule,
            subject: &alert.engine.subject,
            chain: &chain,
            firing: alert.engine.state == alert_rules::State::Firing,
            severity: alert.engine.severity,
            labels: &alert.labels,
        },
    )
}

/// Whether a silence covers an alert of `rule` in `unit` at `now`.
pub fn is_silenced(
    silences: &[SilenceRow],
    rollup: &Rollup,
    rule: &str,
    unit: &str,
    now: Ts,
) -> bool {
    silences.iter().any(|s| {
        s.until > now
            && s.rule.as_deref().is_none_or(|r| r == rule)
            && s.unit
                .as_deref()
                .is_none_or(|u| rollup.ancestors(unit).iter().any(|a| &**a == u))
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AlertOut {
    pub rule: String,
    /// The unit id, `KPI@unit` for a KPI series, a key-result or task id (for links and the
    /// details line; screens show `title`).
    pub subject: String,
    pub subject_kind: String,
    /// What the rule watches (`task.overdue`, `kpi.value`, ...).
    pub metric: String,
    pub unit: String,
    /// The unit's name.
    pub unit_name: String,
    /// What it is about: the task's or key result's title, the KPI's name, the unit's name.
    pub title: String,
    /// Who answers for it: the task's responsible person, whoever enters the series' values, the
    /// key result's owner, else the unit's leader.
    pub responsible: Option<PersonRef>,
    /// pending or firing.
    pub state: String,
    /// yellow or red.
    pub severity: String,
    pub value: Option<f64>,
    /// The threshold behind its severity (in the rule's units; a KPI's own unit of measure).
    pub threshold: Option<f64>,
    /// How far past that threshold the value lies, on the bad side.
    pub excess: Option<f64>,
    /// A KPI's unit of measure.
    pub unit_of_measure: Option<String>,
    /// For `task.overdue` the task's deadline, for `kpi.staleness` the series' last update
    /// (absent: never filled in): screens count the duration from it, live.
    pub duration_from: Option<String>,
    pub active_since: String,
    /// When its trouble began: `duration_from` when earlier, else `active_since` (ranking).
    pub since: String,
    pub fired_at: Option<String>,
    pub summary_vi: String,
    pub summary_en: String,
    pub labels: BTreeMap<String, String>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    pub ack_comment: Option<String>,
    pub assigned_to: Option<String>,
    pub escalated_at: Option<String>,
    pub silenced: bool,
    /// The alert that holds this one back (an `[[inhibit]]`): the screens of the units above
    /// `held_by.unit` count this one in that alert's group instead of showing it.
    pub held_by: Option<HeldBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct HeldBy {
    pub rule: String,
    pub subject: String,
    pub unit: String,
    /// The `[[inhibit]]` that says so.
    pub inhibit: String,
}

/// How an engine value (a state, a severity, a subject kind) is spelled on the wire.
pub fn wire_name<T: Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

pub(crate) fn alert_out(entry: &Entry, f: &Facts) -> AlertOut {
    let a = &entry.alert;
    let e = &a.engine;
    AlertOut {
        rule: e.rule.clone(),
        subject: e.subject.clone(),
        subject_kind: wire_name(&e.subject_kind),
        metric: f
            .metric
            .map(|m| m.name().to_string())
            .or_else(|| a.labels.get("metric").cloned())
            .unwrap_or_default(),
        unit: e.unit.clone(),
        unit_name: f.unit_name.clone(),
        title: f.title.clone(),
        responsible: f.responsible.clone(),
        state: wire_name(&e.state),
        severity: wire_name(&e.severity),
        value: e.value,
        threshold: f.threshold,
        excess: f.excess,
        unit_of_measure: f.unit_of_measure.clone(),
        duration_from: f.duration_from.map(format_ts),
        active_since: format_ts(e.active_since),
        since: format_ts(since(a, f)),
        fired_at: e.fired_at.map(format_ts),
        summary_vi: a.summary_vi.clone(),
        summary_en: a.summary_en.clone(),
        labels: a.labels.clone(),
        acknowledged_by: e.acknowledged.as_ref().map(|k| k.by.clone()),
        acknowledged_at: e.acknowledged.as_ref().map(|k| format_ts(k.at)),
        ack_comment: a.ack_comment.clone(),
        assigned_to: a.assigned_to.clone(),
        escalated_at: e.escalated_at.map(format_ts),
        silenced: entry.silenced,
        held_by: entry.held_by.as_ref().map(|h| HeldBy {
            rule: h.rule.clone(),
            subject: h.subject.clone(),
            unit: h.unit.clone(),
            inhibit: h.inhibit.clone(),
        }),
    }
}

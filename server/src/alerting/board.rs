//! The live alerts as everyone reads them: the board the writer's rule engine keeps (every live
//! alert by rule and subject, the silences in force, the rules running) behind one lock, and the
//! alert read model screens and the REST API are given (`AlertOut`), silenced alerts flagged,
//! red first.

use crate::domain::time::format_ts;
use crate::domain::Ts;
use crate::rollup::Rollup;
use crate::store::SilenceRow;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
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
    /// The people its last transitions were addressed to (repeats of an unacknowledged red go
    /// to them).
    #[serde(default)]
    pub notify: Vec<String>,
}

/// What handlers read while the writer changes it: the live alerts by (rule, subject) and the
/// active silences. Replaced entry by entry after each evaluation.
#[derive(Default)]
pub struct Board {
    pub alerts: BTreeMap<(String, String), StoredAlert>,
    pub silences: Vec<SilenceRow>,
    /// The rules the engine is running now (not what the files say until they are reloaded).
    pub rules: Vec<RuleInfo>,
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

    /// The live alerts that pass `keep`, flagged if silenced; red before yellow, newest first.
    pub fn list(&self, rollup: &Rollup, keep: impl Fn(&StoredAlert) -> bool) -> Vec<AlertOut> {
        let now = rollup.now();
        let mut out: Vec<AlertOut> = self.read(|board| {
            board
                .alerts
                .values()
                .filter(|a| keep(a))
                .map(|a| {
                    alert_out(
                        a,
                        is_silenced(&board.silences, rollup, &a.engine.rule, &a.engine.unit, now),
                    )
                })
                .collect()
        });
        out.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.active_since.cmp(&a.active_since))
        });
        out
    }

    /// The live alerts of a unit's subtree: the alert feed's snapshot.
    pub fn of_subtree(&self, rollup: &Rollup, unit: &str) -> Vec<AlertOut> {
        let subtree: HashSet<String> = rollup.subtree(unit).iter().map(|x| x.to_string()).collect();
        self.list(rollup, |a| subtree.contains(&a.engine.unit))
    }
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

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertOut {
    pub rule: String,
    /// The unit id, `KPI@unit` for a KPI series, a key-result or task id.
    pub subject: String,
    pub subject_kind: String,
    pub unit: String,
    /// pending or firing.
    pub state: String,
    /// yellow or red.
    pub severity: String,
    pub value: Option<f64>,
    pub active_since: String,
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
}

/// How an engine value (a state, a severity, a subject kind) is spelled on the wire.
pub fn wire_name<T: Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn alert_out(a: &StoredAlert, silenced: bool) -> AlertOut {
    let e = &a.engine;
    AlertOut {
        rule: e.rule.clone(),
        subject: e.subject.clone(),
        subject_kind: wire_name(&e.subject_kind),
        unit: e.unit.clone(),
        state: wire_name(&e.state),
        severity: wire_name(&e.severity),
        value: e.value,
        active_since: format_ts(e.active_since),
        fired_at: e.fired_at.map(format_ts),
        summary_vi: a.summary_vi.clone(),
        summary_en: a.summary_en.clone(),
        labels: a.labels.clone(),
        acknowledged_by: e.acknowledged.as_ref().map(|k| k.by.clone()),
        acknowledged_at: e.acknowledged.as_ref().map(|k| format_ts(k.at)),
        ack_comment: a.ack_comment.clone(),
        assigned_to: a.assigned_to.clone(),
        escalated_at: e.escalated_at.map(format_ts),
        silenced,
    }
}

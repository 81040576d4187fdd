//! The live alerts as each unit's screen sees them: where every alert's unit sits in the tree,
//! which alerts a silence mutes, which a firing alert below holds back (the rules'
//! `[[inhibit]]`s), and so what each unit counts and in which group each alert is shown. One
//! reading per request or per pass of the live hub; the one alert count and the groups both come
//! from it, so the board, the alert center, the wall and the review cannot disagree.
//!
//! A reading works on a copy of the board taken in one short read lock (the alerts are `Arc`s),
//! so the writer, which records transitions under the write lock, never waits for it.

use super::board::{Board, StoredAlert};
use crate::domain::{Id, Ts};
use crate::rollup::view::AlertCount;
use crate::rollup::Rollup;
use crate::store::SilenceRow;
use alert_rules::{AlertFacts, GroupKey, Inhibitor, RuleSet, Severity, State};
use std::collections::HashMap;
use std::sync::Arc;

/// What a reading needs of the board, copied out under its lock.
#[derive(Clone, Default)]
pub struct AlertsNow {
    pub alerts: Vec<Arc<StoredAlert>>,
    pub silences: Vec<SilenceRow>,
    pub rules: RuleSet,
}

impl AlertsNow {
    pub(crate) fn of(board: &Board) -> AlertsNow {
        AlertsNow {
            alerts: board.alerts.values().cloned().collect(),
            silences: board.silences.clone(),
            rules: board.ruleset.clone(),
        }
    }
}

/// One live alert, placed in the tree.
pub struct Entry {
    pub alert: Arc<StoredAlert>,
    /// Its unit and every unit above it, its own first.
    pub chain: Arc<[Id]>,
    pub silenced: bool,
    /// The lowest firing alert that holds this one back: the units above that alert's unit do
    /// not show this one (its own unit and those below it do).
    pub held_by: Option<Inhibitor>,
}

impl Entry {
    /// Where `unit` sits on the alert's chain (0: its own unit), if it is above or at it.
    pub fn depth_of(&self, unit: &str) -> Option<usize> {
        self.chain.iter().position(|u| &**u == unit)
    }

    /// Whether the screen of `unit` shows this alert: it is in the unit's subtree and no alert
    /// below the unit holds it back.
    pub fn shown_at(&self, unit: &str) -> bool {
        self.depth_of(unit)
            .is_some_and(|d| self.held_by.as_ref().is_none_or(|h| h.depth >= d))
    }

    pub fn firing(&self) -> bool {
        self.alert.engine.state == State::Firing
    }

    /// Whether it adds to the one alert count: firing and not silenced.
    pub fn counts(&self) -> bool {
        self.firing() && !self.silenced
    }

    pub fn facts(&self) -> AlertFacts<'_, Id> {
        facts(&self.alert, &self.chain)
    }
}

fn facts<'a>(a: &'a StoredAlert, chain: &'a [Id]) -> AlertFacts<'a, Id> {
    AlertFacts {
        rule: &a.engine.rule,
        subject: &a.engine.subject,
        chain,
        firing: a.engine.state == State::Firing,
        severity: a.engine.severity,
        labels: &a.labels,
    }
}

/// Every live alert placed, with the rules that group them.
pub struct Reading {
    pub entries: Vec<Entry>,
    pub rules: RuleSet,
    pub now: Ts,
    by_key: HashMap<(String, String), usize>,
}

impl Reading {
    pub fn new(now_alerts: AlertsNow, rollup: &Rollup) -> Reading {
        let now = rollup.now();
        let AlertsNow {
            alerts,
            silences,
            rules,
        } = now_alerts;
        let silences: Vec<SilenceRow> = silences.into_iter().filter(|s| s.until > now).collect();
        // Few units, many alerts: each chain is read from the rollup once.
        let mut chains: HashMap<String, Arc<[Id]>> = HashMap::new();
        let mut entries: Vec<Entry> = alerts
            .into_iter()
            .map(|alert| {
                let chain = chains
                    .entry(alert.engine.unit.clone())
                    .or_insert_with(|| {
                        let c = rollup.ancestors(&alert.engine.unit);
                        if c.is_empty() {
                            // A unit gone from the tree: the alert still belongs to its id.
                            Arc::from(vec![Id::from(alert.engine.unit.as_str())])
                        } else {
                            Arc::from(c)
                        }
                    })
                    .clone();
                let silenced = silenced(&silences, &alert.engine.rule, &chain);
                Entry {
                    alert,
                    chain,
                    silenced,
                    held_by: None,
                }
            })
            .collect();
        let inhibition = rules.inhibition(entries.iter().map(|e| facts(&e.alert, &e.chain)));
        for e in &mut entries {
            e.held_by = inhibition.inhibited_by(&facts(&e.alert, &e.chain));
        }
        let by_key = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                (
                    (e.alert.engine.rule.clone(), e.alert.engine.subject.clone()),
                    i,
                )
            })
            .collect();
        Reading {
            entries,
            rules,
            now,
            by_key,
        }
    }

    pub fn entry(&self, rule: &str, subject: &str) -> Option<&Entry> {
        self.by_key
            .get(&(rule.to_string(), subject.to_string()))
            .map(|&i| &self.entries[i])
    }

    /// The group an alert is shown in on the screen of `view` (`None`: outside its subtree).
    pub fn group_of(&self, view: &str, e: &Entry) -> Option<GroupKey> {
        self.rules.group_of(view, &e.facts())
    }

    /// The one alert count of a unit's screen: its subtree's firing alerts that are neither
    /// silenced nor held back below it, by severity, acknowledged ones among them.
    pub fn count(&self, unit: &str) -> AlertCount {
        let mut c = AlertCount::default();
        for e in &self.entries {
            if e.counts() && e.shown_at(unit) {
                add(&mut c, e);
            }
        }
        c
    }

    /// The one alert count of every unit at once (for the live views): each alert adds to the
    /// units of its chain whose screens show it.
    pub fn counts(&self) -> HashMap<Id, AlertCount> {
        let mut out: HashMap<Id, AlertCount> = HashMap::new();
        for e in self.entries.iter().filter(|e| e.counts()) {
            let top = e.held_by.as_ref().map_or(e.chain.len(), |h| h.depth + 1);
            for u in e.chain.iter().take(top) {
                add(out.entry(u.clone()).or_default(), e);
            }
        }
        out
    }
}

fn add(c: &mut AlertCount, e: &Entry) {
    let acked = e.alert.engine.acknowledged.is_some();
    match e.alert.engine.severity {
        Severity::Red => {
            c.red += 1;
            c.red_acknowledged += u32::from(acked);
        }
        Severity::Yellow => {
            c.yellow += 1;
            c.yellow_acknowledged += u32::from(acked);
        }
    }
}

/// Whether a silence in force covers an alert of `rule` whose unit has this chain.
fn silenced(silences: &[SilenceRow], rule: &str, chain: &[Id]) -> bool {
    silences.iter().any(|s| {
        s.rule.as_deref().is_none_or(|r| r == rule)
            && s.unit
                .as_deref()
                .is_none_or(|u| chain.iter().any(|a| &**a == u))
    })
}

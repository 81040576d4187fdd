//! The alert center's groups: a unit's live alerts as its screen shows them, gathered by unit
//! (the unit one level down on the way to each alert, the unit itself for its own) and by rule
//! (`group_by` in the rules), each with its worst severity, counts, oldest start, newest firing,
//! the people responsible, and what its alerts hold back below it; a group opens to its alerts,
//! paged. The order screens rank them in (SCREENS.md) is [`rank_groups`] and [`rank_alerts`].

use super::board::{alert_out, AlertOut};
use super::reading::{Entry, Reading};
use super::wording::{since, Lookup, PersonRef};
use crate::domain::time::format_ts;
use crate::domain::Ts;
use crate::rollup::view::{AlertCount, UnitRef};
use crate::rollup::Rollup;
use alert_rules::{GroupKey, Severity, State};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// How many people a group names; `people_total` says how many there are. A city's alert center
/// has a thousand groups: three names each is what a line has room for.
const PEOPLE_SHOWN: usize = 3;

/// A unit's screen of alerts: the one count and the groups.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct AlertGroupsOut {
    pub unit: UnitRef,
    pub as_of: String,
    /// The rollup's commit number when it was read (as in the unit views).
    pub commit: u64,
    /// The one alert count (the unit view's `alerts`).
    pub count: AlertCount,
    /// Alerts of the subtree held back by inhibitions below this unit: counted in the groups of
    /// the alerts that hold them (`held`), not as groups of their own.
    pub held: u32,
    /// The groups: ranked (SCREENS.md) over REST; in key order on the live view, where lines
    /// keep their place between patches and the page ranks them.
    pub groups: Vec<AlertGroup>,
    /// Groups in all (REST pages them).
    pub total_groups: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct AlertGroup {
    /// `unit|rule`, then `|name=value` per further `group_by` key of the rule: names the group
    /// for `GET /api/v1/alerts/group`.
    pub key: String,
    /// The unit the group stands for.
    pub unit: UnitRef,
    pub rule: String,
    pub metric: String,
    /// task, series, key_result or unit: what its alerts are about.
    pub subject_kind: String,
    /// The worst severity of its firing alerts (of its pending ones when none fires).
    pub severity: String,
    /// firing when any of its alerts fires, else pending.
    pub state: String,
    pub count: GroupCount,
    /// When the oldest trouble began: the oldest deadline of overdue tasks, the oldest last
    /// update of stale series, else the earliest start of a condition. Screens count from it.
    pub since: String,
    /// When its newest alert fired.
    pub newest: Option<String>,
    /// How far past its threshold its worst alert lies, in the rule's units (ranking).
    pub excess: Option<f64>,
    /// Who answers for its alerts and for those they hold back, most alerts first.
    pub people: Vec<PersonCount>,
    pub people_total: u32,
    /// What its alerts hold back below this unit.
    pub held: HeldCount,
    /// A group of one alert: that alert (screens show it as it is, with its actions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<Box<AlertOut>>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct GroupCount {
    pub total: u32,
    /// Firing red (silenced ones included; see `silenced`).
    pub red: u32,
    pub yellow: u32,
    pub pending: u32,
    /// Firing and acknowledged.
    pub acknowledged: u32,
    pub silenced: u32,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct HeldCount {
    pub total: u32,
    pub red: u32,
    pub yellow: u32,
    /// When the oldest of them began (as `since`).
    pub since: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct PersonCount {
    pub id: String,
    pub name: String,
    /// Alerts of the group (and held back by it) this person answers for.
    pub count: u32,
}

/// One group with a page of its alerts: its own first, then those it holds back (each with
/// `held_by`), each part in rank order.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupPage {
    pub group: AlertGroup,
    /// Its alerts and those it holds back.
    pub total: u32,
    pub offset: u32,
    pub alerts: Vec<AlertOut>,
}

/// A group being gathered.
#[derive(Default)]
struct Acc<'e> {
    own: Vec<(&'e Entry, Ts, Option<f64>)>,
    held: Vec<(&'e Entry, Ts)>,
    people: HashMap<crate::domain::Id, u32>,
}

/// Rank of a state and severity: firing red, firing yellow, then pending ones.
fn tier(state: State, severity: Severity) -> u8 {
    match (state, severity) {
        (State::Firing, Severity::Red) => 0,
        (State::Firing, Severity::Yellow) => 1,
        (_, Severity::Red) => 2,
        (_, Severity::Yellow) => 3,
    }
}

/// Larger excess first; none last.
fn by_excess(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

impl Reading {
    /// The groups of the screen of `view`, in key order.
    pub fn groups(&self, rollup: &Rollup, view: &str) -> Vec<AlertGroup> {
        let mut look = Lookup::new(rollup, &self.rules);
        let mut acc: BTreeMap<GroupKey, Acc> = BTreeMap::new();
        let mut held: Vec<&Entry> = Vec::new();
        for e in &self.entries {
            let Some(d) = e.depth_of(view) else { continue };
            if e.held_by.as_ref().is_some_and(|h| h.depth < d) {
                held.push(e);
                continue;
            }
            let Some(key) = self.group_of(view, e) else {
                continue;
            };
            let f = look.facts(&e.alert, false);
            let g = acc.entry(key).or_default();
            g.own.push((e, since(&e.alert, &f), f.excess));
            if let Some(p) = f.responsible {
                *g.people.entry(p.id.as_str().into()).or_default() += 1;
            }
        }
        for e in held {
            let Some(h) = &e.held_by else { continue };
            let Some(source) = self.entry(&h.rule, &h.subject) else {
                continue;
            };
            let Some(key) = self.group_of(view, source) else {
                continue;
            };
            let f = look.facts(&e.alert, false);
            if let Some(g) = acc.get_mut(&key) {
                g.held.push((e, since(&e.alert, &f)));
                if let Some(p) = f.responsible {
                    *g.people.entry(p.id.as_str().into()).or_default() += 1;
                }
            }
        }
        acc.into_iter()
            .map(|(key, g)| self.group(rollup, &mut look, &key, g))
            .collect()
    }

    fn group(&self, rollup: &Rollup, look: &mut Lookup, key: &GroupKey, mut g: Acc) -> AlertGroup {
        g.own
            .sort_by(|a, b| rank_entries((a.0, a.1, a.2), (b.0, b.1, b.2)));
        let mut count = GroupCount::default();
        for (e, _, _) in &g.own {
            let a = &e.alert.engine;
            count.total += 1;
            match (a.state, a.severity) {
                (State::Firing, Severity::Red) => count.red += 1,
                (State::Firing, Severity::Yellow) => count.yellow += 1,
                _ => count.pending += 1,
            }
            if e.firing() && a.acknowledged.is_some() {
                count.acknowledged += 1;
            }
            count.silenced += u32::from(e.silenced);
        }
        let (first, _, excess) = g.own[0];
        let lead = &first.alert;
        let since = g
            .own
            .iter()
            .map(|x| x.1)
            .min()
            .unwrap_or(lead.engine.active_since);
        let newest = g.own.iter().filter_map(|x| x.0.alert.engine.fired_at).max();
        let mut held = HeldCount::default();
        for (e, s) in &g.held {
            held.total += 1;
            if e.firing() {
                match e.alert.engine.severity {
                    Severity::Red => held.red += 1,
                    Severity::Yellow => held.yellow += 1,
                }
            }
            let s = format_ts(*s);
            if held.since.as_ref().is_none_or(|h| s < *h) {
                held.since = Some(s);
            }
        }
        let mut people: Vec<(crate::domain::Id, u32)> = g.people.into_iter().collect();
        people.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let people_total = people.len() as u32;
        let people = people
            .into_iter()
            .take(PEOPLE_SHOWN)
            .map(|(id, count)| {
                let PersonRef { id, name } = look.person(&id);
                PersonCount { id, name, count }
            })
            .collect();
        let single = g.own.len() == 1;
        let alert = single.then(|| Box::new(alert_out(first, &look.facts(lead, true))));
        let metric = self
            .rules
            .get(&key.rule)
            .map(|r| r.metric().name().to_string())
            .or_else(|| lead.labels.get("metric").cloned())
            .unwrap_or_default();
        let unit = rollup
            .unit(&key.unit)
            .map(|u| UnitRef::from(&u))
            .unwrap_or_else(|| UnitRef {
                id: key.unit.clone(),
                name: key.unit.clone(),
                level: alert_rules::UnitLevel::Division,
                short_name: None,
            });
        AlertGroup {
            key: key.to_string(),
            unit,
            rule: key.rule.clone(),
            metric,
            subject_kind: super::wire_name(&lead.engine.subject_kind),
            severity: super::wire_name(&lead.engine.severity),
            state: super::wire_name(&lead.engine.state),
            count,
            since: format_ts(since),
            newest: newest.map(format_ts),
            excess,
            people,
            people_total,
            held,
            alert,
        }
    }

    /// One group of the screen of `view` and a page of its alerts, `None` when it has none.
    pub fn group_page(
        &self,
        rollup: &Rollup,
        view: &str,
        key: &str,
        offset: usize,
        limit: usize,
    ) -> Option<GroupPage> {
        let group = self
            .groups(rollup, view)
            .into_iter()
            .find(|g| g.key == key)?;
        let mut look = Lookup::new(rollup, &self.rules);
        let mut own = Vec::new();
        let mut held = Vec::new();
        for e in &self.entries {
            let Some(d) = e.depth_of(view) else { continue };
            match &e.held_by {
                Some(h) if h.depth < d => {
                    let in_group = self
                        .entry(&h.rule, &h.subject)
                        .and_then(|s| self.group_of(view, s))
                        .is_some_and(|k| k.to_string() == key);
                    if in_group {
                        held.push(e);
                    }
                }
                _ => {
                    if self.group_of(view, e).is_some_and(|k| k.to_string() == key) {
                        own.push(e);
                    }
                }
            }
        }
        let total = own.len() + held.len();
        let mut out = Vec::new();
        for part in [own, held] {
            let mut part: Vec<AlertOut> = part
                .into_iter()
                .map(|e| alert_out(e, &look.facts(&e.alert, true)))
                .collect();
            rank_alerts(&mut part);
            out.extend(part);
        }
        let alerts = out.into_iter().skip(offset).take(limit).collect();
        Some(GroupPage {
            group,
            total: total as u32,
            offset: offset as u32,
            alerts,
        })
    }
}

fn rank_entries(a: (&Entry, Ts, Option<f64>), b: (&Entry, Ts, Option<f64>)) -> Ordering {
    let (x, y) = (&a.0.alert.engine, &b.0.alert.engine);
    tier(x.state, x.severity)
        .cmp(&tier(y.state, y.severity))
        .then(a.1.cmp(&b.1))
        .then_with(|| by_excess(a.2, b.2))
        .then_with(|| (&x.rule, &x.subject).cmp(&(&y.rule, &y.subject)))
}

fn state_of(s: &str) -> State {
    if s == "firing" {
        State::Firing
    } else {
        State::Pending
    }
}

fn severity_of(s: &str) -> Severity {
    if s == "red" {
        Severity::Red
    } else {
        Severity::Yellow
    }
}

/// Groups in the screens' order: firing red, firing yellow, then pending; within each, the
/// oldest trouble first (`since`), then the furthest past its threshold, then by key.
pub fn rank_groups(groups: &mut [AlertGroup]) {
    groups.sort_by(|a, b| {
        tier(state_of(&a.state), severity_of(&a.severity))
            .cmp(&tier(state_of(&b.state), severity_of(&b.severity)))
            .then_with(|| a.since.cmp(&b.since))
            .then_with(|| by_excess(a.excess, b.excess))
            .then_with(|| a.key.cmp(&b.key))
    });
}

/// Alerts in the screens' order, as groups: firing red, firing yellow, pending; the oldest
/// trouble first (`duration_from`, else `active_since`); the furthest past its threshold.
pub fn rank_alerts(alerts: &mut [AlertOut]) {
    alerts.sort_by(|a, b| {
        tier(state_of(&a.state), severity_of(&a.severity))
            .cmp(&tier(state_of(&b.state), severity_of(&b.severity)))
            .then_with(|| a.since.cmp(&b.since))
            .then_with(|| by_excess(a.excess, b.excess))
            .then_with(|| (&a.rule, &a.subject).cmp(&(&b.rule, &b.subject)))
    });
}

/// The groups of the screen of `view` with its count, ranked (REST) or in key order (live).
pub fn groups_out(
    reading: &Reading,
    rollup: &Rollup,
    view: &str,
    ranked: bool,
) -> Option<AlertGroupsOut> {
    let unit = rollup.unit(view).map(|u| UnitRef::from(&u))?;
    let mut groups = reading.groups(rollup, view);
    if ranked {
        rank_groups(&mut groups);
    }
    let held = reading
        .entries
        .iter()
        .filter(|e| {
            e.depth_of(view)
                .is_some_and(|d| e.held_by.as_ref().is_some_and(|h| h.depth < d))
        })
        .count() as u32;
    Some(AlertGroupsOut {
        unit,
        as_of: format_ts(reading.now),
        commit: rollup.commit(),
        count: reading.count(view),
        held,
        total_groups: groups.len() as u32,
        groups,
    })
}

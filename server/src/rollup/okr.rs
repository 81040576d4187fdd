//! The OKR cycle as the rollup holds it: periods and their states, per-unit KPI targets, and the
//! alignment tree of objectives (city -> department -> ward -> person) with its weighted roll-up.

use super::lists::{KrLine, PersonRef};
use super::view::{round4, UnitRef};
use super::{Rollup, State};
use crate::domain::time::format_ts;
use crate::domain::{Id, OkrPeriod, Period, PeriodState, Target, Ts};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// Deeper trees are cut here (a city's cascade is four or five levels): a bound on the work
/// one request can cause, whatever the catalog holds.
pub const MAX_DEPTH: usize = 12;

/// An objective in the alignment tree.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TreeNode {
    pub id: String,
    pub title: String,
    pub unit: UnitRef,
    pub period: String,
    /// The state of the period's OKR cycle (`active` when the period is not managed).
    pub period_state: PeriodState,
    pub owner: Option<PersonRef>,
    /// Its weight in its parent's roll-up.
    pub weight: f64,
    /// Weighted mean of its own key results, 0..1; null without key results.
    pub progress: Option<f64>,
    /// Weighted mean of its key results and its aligned objectives' rolled-up progress (each
    /// counting like a key result of its weight), 0..1; null when nothing below has data.
    pub rolled_up: Option<f64>,
    /// Share of the period elapsed: where progress should be by now.
    pub expected: f64,
    pub key_results: Vec<KrLine>,
    /// Aligned objectives the caller may see, best rolled-up progress last (behind first).
    #[schema(no_recursion)]
    pub children: Vec<TreeNode>,
    /// Aligned objectives outside the caller's scope: counted in `rolled_up`, not listed.
    pub hidden_children: usize,
    /// The tree was cut at the depth limit below this node.
    pub truncated: bool,
}

/// One step up the alignment: what an objective contributes to.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TreeStep {
    pub id: String,
    pub title: String,
    pub unit: UnitRef,
    pub period: String,
    pub weight: f64,
    /// Null when the caller may not see that unit's figures.
    pub rolled_up: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct AlignmentTree {
    pub as_of: String,
    /// From the top (the city's objective) down to the asked objective's parent.
    pub up: Vec<TreeStep>,
    pub tree: TreeNode,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PeriodLine {
    pub period: String,
    /// quarter or year.
    pub kind: String,
    pub state: PeriodState,
    pub start: String,
    pub end: String,
    pub changed_at: String,
    pub changed_by: String,
}

impl From<&OkrPeriod> for PeriodLine {
    fn from(p: &OkrPeriod) -> Self {
        PeriodLine {
            period: p.period.label().to_string(),
            kind: p.period.kind.as_str().to_string(),
            state: p.state,
            start: format_ts(p.period.start),
            end: format_ts(p.period.end),
            changed_at: format_ts(p.changed_at),
            changed_by: p.changed_by.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TargetLine {
    pub kpi: String,
    pub unit: String,
    pub period: String,
    pub target: f64,
    pub set_at: String,
    pub set_by: String,
}

impl From<&Target> for TargetLine {
    fn from(t: &Target) -> Self {
        TargetLine {
            kpi: t.kpi.to_string(),
            unit: t.unit.to_string(),
            period: t.period.label().to_string(),
            target: t.target,
            set_at: format_ts(t.set_at),
            set_by: t.set_by.clone(),
        }
    }
}

impl State {
    pub(crate) fn set_period(&mut self, p: OkrPeriod) {
        self.periods.insert(p.period.label().to_string(), p);
    }

    pub(crate) fn set_target(&mut self, t: Target) {
        let list = self
            .targets
            .entry((t.kpi.clone(), t.unit.clone()))
            .or_default();
        list.retain(|x| x.period != t.period);
        list.push(t);
    }

    /// The state that governs writes to `p`: closed when a closed declared period contains it or
    /// overlaps it in part; else the state of the shortest declared period containing it;
    /// `None` when no declared period contains it (the period is not managed: open to writes).
    pub(crate) fn cycle_state(&self, p: &Period) -> Option<(PeriodState, &OkrPeriod)> {
        // Closed wins over a partial overlap: a week straddling the end of a closed quarter holds
        // days of it, and must not reopen them. A longer period that merely contains a closed
        // one (the year, once Q1 is closed) stays open: its check-ins and values are the year's,
        // and Q1's scores were frozen when it closed.
        if let Some(c) = self.periods.values().find(|c| {
            let overlaps = c.period.start < p.end && p.start < c.period.end;
            let inside_p = p.contains(&c.period) && p.end - p.start > c.period.end - c.period.start;
            c.state == PeriodState::Closed && overlaps && !inside_p
        }) {
            return Some((PeriodState::Closed, c));
        }
        let containing = self.periods.values().filter(|c| c.period.contains(p));
        let mut best: Option<&OkrPeriod> = None;
        for c in containing {
            if best.is_none_or(|b| c.period.end - c.period.start < b.period.end - b.period.start) {
                best = Some(c);
            }
        }
        best.map(|b| (b.state, b))
    }

    /// The target of a series for `p`: the one set for that period, else for the shortest
    /// period containing it (a year's target holds for each month of a rate or an average).
    pub(crate) fn target_for(&self, kpi: &Id, unit: &Id, p: &Period) -> Option<&Target> {
        let list = self.targets.get(&(kpi.clone(), unit.clone()))?;
        list.iter()
            .filter(|t| t.period.contains(p))
            .min_by_key(|t| t.period.end - t.period.start)
    }

    /// Own progress (weighted key results) and rolled-up progress of an objective, walking the
    /// aligned objectives below it. `children` maps an objective to those aligned to it.
    fn rolled_up(
        &self,
        id: &Id,
        children: &HashMap<Id, Vec<Id>>,
        seen: &mut HashSet<Id>,
        depth: usize,
    ) -> (Option<f64>, Option<f64>) {
        let Some(node) = self.objectives.get(id) else {
            return (None, None);
        };
        let (mut sum, mut weight) = (0.0, 0.0);
        for kr in node
            .key_results
            .iter()
            .filter_map(|k| self.key_results.get(k))
        {
            sum += kr.weight * kr.progress_ppm() as f64 / 1e6;
            weight += kr.weight;
        }
        let own = (weight > 0.0).then(|| sum / weight);
        if depth < MAX_DEPTH && seen.insert(id.clone()) {
            for c in children.get(id).into_iter().flatten() {
                if let (_, Some(r)) = self.rolled_up(c, children, seen, depth + 1) {
                    let w = self.objectives.get(c).map_or(1.0, |n| n.objective.weight);
                    sum += w * r;
                    weight += w;
                }
            }
        }
        (own, (weight > 0.0).then(|| sum / weight))
    }

    fn alignment_children(&self) -> HashMap<Id, Vec<Id>> {
        let mut children: HashMap<Id, Vec<Id>> = HashMap::new();
        for n in self.objectives.values() {
            if let Some(p) = &n.objective.parent {
                children
                    .entry(p.clone())
                    .or_default()
                    .push(n.objective.id.clone());
            }
        }
        for c in children.values_mut() {
            c.sort();
        }
        children
    }

    #[allow(clippy::too_many_arguments)]
    fn tree_node(
        &self,
        id: &Id,
        children: &HashMap<Id, Vec<Id>>,
        visible: &dyn Fn(&str) -> bool,
        depth: usize,
        max_depth: usize,
        seen: &mut HashSet<Id>,
        now: Ts,
    ) -> Option<TreeNode> {
        let node = self.objectives.get(id)?;
        let o = &node.objective;
        let (progress, rolled_up) = self.rolled_up(id, children, &mut HashSet::new(), 0);
        let expected = o.period.elapsed(now);
        let key_results = node
            .key_results
            .iter()
            .filter_map(|k| self.key_results.get(k))
            .map(|kr| super::lists::kr_line(kr, expected))
            .collect();
        let mut out = Vec::new();
        let mut hidden = 0;
        let mut truncated = false;
        let first_visit = seen.insert(id.clone());
        for c in children.get(id).into_iter().flatten() {
            let Some(cn) = self.objectives.get(c) else {
                continue;
            };
            if !visible(&cn.objective.unit) {
                hidden += 1;
            } else if depth + 1 >= max_depth || !first_visit {
                truncated = true;
            } else if let Some(n) =
                self.tree_node(c, children, visible, depth + 1, max_depth, seen, now)
            {
                out.push(n);
            }
        }
        out.sort_by(|a, b| {
            a.rolled_up
                .unwrap_or(-1.0)
                .total_cmp(&b.rolled_up.unwrap_or(-1.0))
                .then(a.id.cmp(&b.id))
        });
        Some(TreeNode {
            id: o.id.to_string(),
            title: o.title.clone(),
            unit: self.unit_ref(&o.unit)?,
            period: o.period.label().to_string(),
            period_state: self
                .cycle_state(&o.period)
                .map_or(PeriodState::Active, |(s, _)| s),
            owner: o.owner.as_ref().map(|p| self.person_ref(p)),
            weight: o.weight,
            progress: progress.map(round4),
            rolled_up: rolled_up.map(round4),
            expected: round4(expected),
            key_results,
            children: out,
            hidden_children: hidden,
            truncated,
        })
    }
}

impl Rollup {
    pub fn periods(&self) -> Vec<OkrPeriod> {
        let st = self.read();
        let mut v: Vec<OkrPeriod> = st.periods.values().cloned().collect();
        v.sort_by(|a, b| {
            a.period
                .start
                .cmp(&b.period.start)
                .then(b.period.end.cmp(&a.period.end))
        });
        v
    }

    pub fn period(&self, label: &str) -> Option<OkrPeriod> {
        self.read().periods.get(label).cloned()
    }

    /// The state governing writes to `p` and the declared period it comes from (see
    /// `State::cycle_state`); `None`: not managed, open.
    pub fn cycle_state(&self, p: &Period) -> Option<(PeriodState, String)> {
        self.read()
            .cycle_state(p)
            .map(|(s, c)| (s, c.period.label().to_string()))
    }

    pub fn targets_of(&self, kpi: &str) -> Vec<Target> {
        let st = self.read();
        let mut v: Vec<Target> = st
            .targets
            .iter()
            .filter(|((k, _), _)| &**k == kpi)
            .flat_map(|(_, l)| l.iter().cloned())
            .collect();
        v.sort_by(|a, b| {
            a.unit
                .cmp(&b.unit)
                .then(a.period.start.cmp(&b.period.start))
        });
        v
    }

    /// The target set for exactly this period, if any.
    pub fn target_exact(&self, kpi: &str, unit: &str, p: &Period) -> Option<Target> {
        self.read()
            .targets
            .get(&(Id::from(kpi), Id::from(unit)))?
            .iter()
            .find(|t| t.period == *p)
            .cloned()
    }

    pub fn target_for(&self, kpi: &str, unit: &str, p: &Period) -> Option<Target> {
        self.read()
            .target_for(&Id::from(kpi), &Id::from(unit), p)
            .cloned()
    }

    /// Own and rolled-up progress of an objective (see `TreeNode`).
    pub fn objective_progress(&self, id: &str) -> (Option<f64>, Option<f64>) {
        let st = self.read();
        let children = st.alignment_children();
        st.rolled_up(&Id::from(id), &children, &mut HashSet::new(), 0)
    }

    /// The alignment tree around an objective: the chain it contributes to, and what is aligned
    /// below it down to `depth` levels, listing only objectives of units `visible` says the
    /// caller may see. `None` when there is no such objective.
    pub fn alignment_tree(
        &self,
        id: &str,
        depth: usize,
        visible: &dyn Fn(&str) -> bool,
    ) -> Option<AlignmentTree> {
        let st = self.read();
        let id = Id::from(id);
        st.objectives.get(&id)?;
        let children = st.alignment_children();
        let tree = st.tree_node(
            &id,
            &children,
            visible,
            0,
            depth.clamp(1, MAX_DEPTH),
            &mut HashSet::new(),
            st.now,
        )?;
        let mut up = Vec::new();
        let mut seen = HashSet::from([id.clone()]);
        let mut cur = st
            .objectives
            .get(&id)
            .and_then(|n| n.objective.parent.clone());
        while let Some(p) = cur {
            if !seen.insert(p.clone()) || up.len() >= MAX_DEPTH {
                break;
            }
            let Some(n) = st.objectives.get(&p) else {
                break;
            };
            let o = &n.objective;
            let rolled = visible(&o.unit)
                .then(|| st.rolled_up(&p, &children, &mut HashSet::new(), 0).1)
                .flatten();
            up.push(TreeStep {
                id: o.id.to_string(),
                title: o.title.clone(),
                unit: st.unit_ref(&o.unit)?,
                period: o.period.label().to_string(),
                weight: o.weight,
                rolled_up: rolled.map(round4),
            });
            cur = o.parent.clone();
        }
        up.reverse();
        Some(AlignmentTree {
            as_of: format_ts(st.now),
            up,
            tree,
        })
    }
}

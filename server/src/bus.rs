//! The bus: what a commit publishes (the committed changes, the commit number and what they
//! touched) for everything that follows the writer: the live hub on this node and, with several
//! nodes, the nodes that apply commits read from a stream. It sits below the writer and the live
//! views, so either can be built and tested without the other.

use crate::domain::{Change, Id};
use crate::rollup::Rollup;
use std::collections::HashSet;

/// A batch of committed changes, as published on the bus.
#[derive(Debug, Clone)]
pub struct Committed {
    pub changes: Vec<Change>,
    /// The rollup's commit number after this batch.
    pub commit: u64,
    /// What the batch changed, for the live views.
    pub touched: Touched,
}

impl Committed {
    /// No figure changed, but the alerts, the silences or the rules did: the views that show
    /// alerts are read again (`commit`: the rollup's, unchanged).
    pub fn alerts_changed(commit: u64) -> Committed {
        Committed {
            changes: Vec::new(),
            commit,
            touched: Touched {
                alerts: true,
                ..Touched::default()
            },
        }
    }
}

/// What an applied batch changed, as the views see it: read before the apply, so a task or a
/// person that moved marks the old unit as well as the new one.
#[derive(Debug, Default, Clone)]
pub struct Touched {
    /// Structure or time changed: every view may differ.
    pub everything: bool,
    /// Units whose own figures changed (their chains are derived by the hub).
    pub units: HashSet<Id>,
    pub people: HashSet<Id>,
    /// Units whose own KPI series changed (their KPI boards).
    pub kpi_units: HashSet<Id>,
    /// The live alerts, the silences or the rules changed other than by a transition on the
    /// alert feed (a silence, a rule reload): every view that shows alerts may differ.
    pub alerts: bool,
    /// Review meetings that changed (their live view: the wall following the presenter).
    pub meetings: HashSet<String>,
}

impl Touched {
    pub fn of(changes: &[Change], rollup: &Rollup) -> Touched {
        let mut t = Touched::default();
        for c in changes {
            match c {
                Change::Task(task) => {
                    if let Some((unit, person)) = rollup.task_owner(&task.id) {
                        t.units.insert(unit);
                        t.people.insert(person);
                    }
                    t.units.insert(task.unit.clone());
                    t.people.insert(task.responsible.clone());
                }
                Change::Observation(o) => {
                    t.units.insert(o.unit.clone());
                    t.kpi_units.insert(o.unit.clone());
                }
                Change::Kpi(k) => {
                    for u in k.series_units() {
                        t.units.insert(u.clone());
                        t.kpi_units.insert(u.clone());
                    }
                    // A KPI that stops measuring a unit leaves its board.
                    if let Some(old) = rollup.kpi(&k.code) {
                        for u in old.series_units() {
                            t.units.insert(u.clone());
                            t.kpi_units.insert(u.clone());
                        }
                    }
                }
                Change::Person(p) => {
                    if let Some(old) = rollup.person(&p.id) {
                        t.units.insert(old.unit);
                    }
                    t.units.insert(p.unit.clone());
                    t.people.insert(p.id.clone());
                }
                Change::Objective(o) => {
                    if let Some(old) = rollup.objective(&o.id) {
                        t.units.insert(old.unit);
                    }
                    t.units.insert(o.unit.clone());
                }
                Change::KeyResult(kr) => match rollup.objective(&kr.objective) {
                    Some(o) => {
                        t.units.insert(o.unit);
                    }
                    // Its objective arrives in the same batch: rare enough to redo everything.
                    None => t.everything = true,
                },
                Change::Rating(r) => {
                    t.units.insert(r.unit.clone());
                }
                Change::Unit(u) => {
                    t.units.insert(u.id.clone());
                    t.everything = true;
                }
                Change::Target(x) => {
                    t.units.insert(x.unit.clone());
                }
                // A period's state shows on every OKR line of every unit; periods change rarely.
                Change::Clock(_) | Change::Period(_) => t.everything = true,
                Change::Criteria(_) | Change::Frozen(_) => {}
                Change::Meeting(m) => {
                    t.meetings.insert(m.id.clone());
                }
            }
        }
        t
    }
}

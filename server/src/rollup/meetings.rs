//! The review meetings the rollup keeps: every meeting whole, by id (a unit holds one a week at
//! most, so a city's year is a few thousand small records), for the review, the meeting pages and
//! the wall that follows one.

use super::{Rollup, State};
use crate::domain::meeting::Meeting;
use std::sync::Arc;

impl State {
    /// Keeps the newest version of a meeting (a change log replayed twice changes nothing).
    pub(crate) fn set_meeting(&mut self, m: &Meeting) {
        if self
            .meetings
            .get(&m.id)
            .is_none_or(|old| old.version <= m.version)
        {
            self.meetings.insert(m.id.clone(), Arc::new(m.clone()));
        }
    }
}

impl Rollup {
    pub fn meeting(&self, id: &str) -> Option<Arc<Meeting>> {
        self.read().meetings.get(id).cloned()
    }

    /// The meetings of `unit`, newest period first.
    pub fn meetings_of(&self, unit: &str) -> Vec<Arc<Meeting>> {
        let st = self.read();
        let mut v: Vec<Arc<Meeting>> = st
            .meetings
            .values()
            .filter(|m| &*m.unit == unit)
            .cloned()
            .collect();
        v.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
        v
    }

    /// Every meeting, newest first (a leader's list is filtered by scope by the caller).
    pub fn meetings(&self) -> Vec<Arc<Meeting>> {
        let st = self.read();
        let mut v: Vec<Arc<Meeting>> = st.meetings.values().cloned().collect();
        v.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
        v
    }
}

//! Review meetings (giao ban): a unit's review held as a meeting, with its chair, attendees,
//! agenda, notes and conclusions. A plain record, kept whole (one row, one change) because a
//! meeting is small and read whole; who may write what is `ingest::meeting`'s.

use super::{Id, Ts};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingState {
    Open,
    /// The record is read-only; only audited corrections change it.
    Closed,
}

impl MeetingState {
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingState::Open => "open",
            MeetingState::Closed => "closed",
        }
    }
}

/// The parts of the agenda, in the order they are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// The previous meeting's conclusions and where they stand.
    FollowUp,
    TurnedRed,
    KeyResult,
    Overdue,
    Explanation,
    /// Other business: always last, so a meeting has a place for what the review did not raise.
    Other,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::FollowUp => "follow_up",
            Section::TurnedRed => "turned_red",
            Section::KeyResult => "key_result",
            Section::Overdue => "overdue",
            Section::Explanation => "explanation",
            Section::Other => "other",
        }
    }
}

/// One item of the agenda: what it points at, and the figures it was opened with (the words
/// are made when it is read, in the reader's language).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaItem {
    pub key: String,
    pub section: Section,
    pub unit: Option<Id>,
    pub kpi: Option<Id>,
    pub key_result: Option<Id>,
    pub person: Option<Id>,
    pub task: Option<Id>,
    pub explanation: Option<String>,
    /// Follow-up items: the meeting and conclusion followed up.
    pub follows: Option<(String, String)>,
    /// Turned red: the values at the ends of the two periods; a key result: its progress and
    /// its gap to pace (0..1); overdue: the person's overdue tasks (`to`).
    pub from: Option<f64>,
    pub to: Option<f64>,
    /// A text kept as it was (an explanation's question, a followed-up conclusion's text).
    pub text: String,
    pub note: String,
}

/// What a conclusion sets in motion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// A task created in the same commit (its id `task`).
    Task { task: Id },
    /// A key result's target, or a unit's KPI target for a period, changed in the same commit.
    Adjust {
        key_result: Option<Id>,
        kpi: Option<Id>,
        unit: Option<Id>,
        period: Option<String>,
        from: Option<f64>,
        to: f64,
    },
    /// An explanation request (its id `explanation`).
    Explain { explanation: String },
    /// Nothing is to be done, and why.
    Silence { reason: String },
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Task { .. } => "task",
            Action::Adjust { .. } => "adjust",
            Action::Explain { .. } => "explain",
            Action::Silence { .. } => "silence",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub at: Ts,
    pub by: String,
    pub reason: String,
    pub old_text: String,
    pub new_text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conclusion {
    pub id: String,
    pub item: Option<String>,
    pub text: String,
    pub action: Action,
    pub made_at: Ts,
    pub made_by: String,
    pub corrections: Vec<Correction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    /// `gb-<unit>-<period>`: one meeting per review.
    pub id: String,
    pub unit: Id,
    /// `2026-W49`, `2026-12` or `2026-Q4`.
    pub period: String,
    pub chair: Id,
    pub attendees: Vec<Id>,
    pub state: MeetingState,
    pub opened_at: Ts,
    pub opened_by: String,
    pub closed_at: Option<Ts>,
    /// The item the presenter shows.
    pub current: usize,
    pub items: Vec<AgendaItem>,
    pub conclusions: Vec<Conclusion>,
    /// Bumped by every change: the live view and the store's upsert keep the newest.
    pub version: u64,
}

impl Meeting {
    pub fn id_for(unit: &str, period: &str) -> String {
        format!("gb-{unit}-{period}")
    }
}

//! Explanations (giải trình): a leader's request that the person answerable for a red KPI, a
//! red alert group or an overdue task explain it by a due date, and the thread of messages that
//! follows. Plain records; who may ask and answer is `auth::access`, the writes the writer's.

use super::Ts;

/// What an explanation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// A KPI series of a unit: the subject is the KPI's code.
    Kpi,
    /// An alert group of the alert center: the subject is its key (`unit|rule…`).
    AlertGroup,
    /// A task: the subject is its id.
    Task,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Kpi => "kpi",
            SubjectKind::AlertGroup => "alert_group",
            SubjectKind::Task => "task",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "kpi" => Some(SubjectKind::Kpi),
            "alert_group" => Some(SubjectKind::AlertGroup),
            "task" => Some(SubjectKind::Task),
            _ => None,
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExplainState {
    /// Asked, not answered, not yet due.
    Open,
    /// The addressee answered (late or not).
    Answered,
    /// Due and not answered: escalated to the leader above.
    Overdue,
}

impl ExplainState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExplainState::Open => "open",
            ExplainState::Answered => "answered",
            ExplainState::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(ExplainState::Open),
            "answered" => Some(ExplainState::Answered),
            "overdue" => Some(ExplainState::Overdue),
            _ => None,
        }
    }
}

/// An explanation request.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The client's id: a retry with it is a duplicate.
    pub id: String,
    pub subject_kind: SubjectKind,
    /// The KPI's code, the alert group's key or the task's id.
    pub subject: String,
    /// The subject as people read it when asked (the KPI's name, the group's rule, the task's
    /// title), so the thread reads the same after the subject changes or ends.
    pub title: String,
    /// The unit it is about (read scope follows it).
    pub unit: String,
    /// The person who is to answer.
    pub addressee: String,
    /// Who asked: `account:…`.
    pub asked_by: String,
    /// The asker's person, told of the answer.
    pub asker_person: Option<String>,
    pub question: String,
    pub due_at: Ts,
    pub state: ExplainState,
    /// The server's clock when asked.
    pub created_at: Ts,
    pub answered_at: Option<Ts>,
    pub escalated_at: Option<Ts>,
    /// The leader told when it went overdue.
    pub escalated_to: Option<String>,
}

/// Who wrote a message of the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageRole {
    /// The asker's follow-up.
    Asker,
    /// An answer (by the addressee or the leader of the addressee's unit).
    Answer,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::Asker => "asker",
            MessageRole::Answer => "answer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "asker" => Some(MessageRole::Asker),
            "answer" => Some(MessageRole::Answer),
            _ => None,
        }
    }
}

/// A file a message carries, by the attachments store's key.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileRef {
    pub sha256: String,
    pub name: String,
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainMessage {
    /// The client's id: a retry with it is a duplicate.
    pub id: String,
    pub explanation: String,
    /// `account:…`.
    pub author: String,
    pub author_person: Option<String>,
    pub role: MessageRole,
    pub text: String,
    pub attachments: Vec<FileRef>,
    /// The server's clock.
    pub at: Ts,
}

/// A request with its thread, oldest message first.
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    pub explanation: Explanation,
    pub messages: Vec<ExplainMessage>,
}

//! The WebSocket wire format (written down for people in LIVE.md): what clients send, what the
//! server answers, the error codes and the close codes. Serde types only; no behaviour.

use serde::{Deserialize, Serialize};

/// What a view subscription is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ViewKind {
    /// A unit's aggregates and one line per child (`GET /api/v1/units/{id}/view`).
    Unit,
    /// A unit's KPI board (`GET /api/v1/units/{id}/kpis`).
    Kpis,
    /// A person's view (`GET /api/v1/people/{id}/view`).
    Person,
    /// The alert feed of a unit's subtree.
    Alerts,
    /// A unit's alert center: its one alert count and its alerts grouped by unit and rule (as
    /// `GET /api/v1/alerts/groups`, the groups in key order), re-rendered at most once a second.
    AlertGroups,
    /// The signed-in person's inbox (their own only): unread count and newest messages.
    Inbox,
    /// A review meeting as its wall shows it: the agenda item the presenter is on, with the
    /// live figures of its unit (`report::meeting::MeetingNow`).
    Meeting,
}

/// A client message. `deny_unknown_fields` so a misspelt field is named, not ignored.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    Subscribe {
        view: ViewKind,
        id: String,
        /// Alerts only: the last alert id the client saw; everything after it is replayed.
        #[serde(default)]
        after: Option<i64>,
    },
    Unsubscribe {
        view: ViewKind,
        id: String,
    },
    /// An application-level ping for clients that cannot see WebSocket pings (browsers).
    Ping {
        #[serde(default)]
        nonce: Option<serde_json::Value>,
    },
}

/// Server messages other than view frames and alert frames (those are built once and shared,
/// see `hub` and `feed`).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg<'a> {
    /// Sent first on every connection.
    Hello {
        /// The coalescing tick, in milliseconds.
        tick_ms: u64,
        heartbeat_s: u64,
        max_message_bytes: usize,
        max_subscriptions: usize,
    },
    /// A view subscription took; the snapshot frame with this `seq` follows.
    Subscribed {
        view: ViewKind,
        id: &'a str,
        seq: u64,
    },
    /// The alert subscription took; `last_id` is the newest alert id at that moment.
    SubscribedAlerts {
        id: &'a str,
        last_id: i64,
    },
    /// The live alerts of the subtree when the subscription took (subscriptions without
    /// `after`), in parts of at most `SNAPSHOT_PART` alerts; the last part has `more: false`.
    AlertSnapshot {
        id: &'a str,
        last_id: i64,
        alerts: &'a [crate::alerting::AlertOut],
        more: bool,
    },
    /// The replay asked for with `after` is complete: live alert frames follow.
    CaughtUp {
        id: &'a str,
        last_id: i64,
    },
    Unsubscribed {
        view: ViewKind,
        id: &'a str,
    },
    /// Also how a screen knows its data is current: the rollup's clock and commit, and with the
    /// system clock how far the rollup's clock is behind the wall clock (a stalled writer or
    /// store shows here while the link itself is fine).
    Pong {
        #[serde(skip_serializing_if = "Option::is_none")]
        nonce: Option<serde_json::Value>,
        as_of: String,
        commit: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        lag_ms: Option<i64>,
        /// Why this node's data is behind the writer's (several nodes), when it is.
        #[serde(skip_serializing_if = "Option::is_none")]
        behind: Option<String>,
    },
    Error {
        code: ErrorCode,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        view: Option<ViewKind>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
    },
}

/// Alerts per `alert_snapshot` message: a city's thousands of alerts in one message would leave
/// a buffer that size behind on the connection for good.
pub const SNAPSHOT_PART: usize = 200;

impl ServerMsg<'_> {
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("server messages serialize")
    }
}

/// Error codes in `{"type":"error"}` messages. None of them closes the connection except
/// `alert_backlog_overflow` and `idle_timeout`, which precede a close with their close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or not a known message: the message names the field or the problem.
    BadMessage,
    /// Larger than `max_message_bytes`.
    MessageTooLarge,
    /// Binary frames are not part of the protocol.
    BinaryNotSupported,
    /// No such unit or person.
    NotFound,
    /// The caller may not see it (the scope check).
    Forbidden,
    TooManySubscriptions,
    NotSubscribed,
    /// `after` is newer than the newest alert id: subscribe without it for a fresh snapshot.
    AfterAhead,
    /// The alert queue of this connection overflowed; resume with `after` = the last id seen.
    AlertBacklogOverflow,
    IdleTimeout,
    /// The server could not read the alert history to replay it; try again.
    Unavailable,
    /// The connection's session ended (signed out, expired) or its token was revoked.
    Unauthenticated,
}

/// Close codes the server uses (1000-1015 are the protocol's, 4000-4999 the application's).
pub mod close {
    /// The server is shutting down: reconnect later.
    pub const GOING_AWAY: u16 = 1001;
    /// A client message over the hard limit (`hard_message_bytes`, 1 MiB).
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The client sent no message and no pong for `idle_timeout`.
    pub const IDLE_TIMEOUT: u16 = 4000;
    /// The credentials the connection was opened with ended (sign-out, expiry, revocation):
    /// sign in again before reconnecting.
    pub const CREDENTIALS_ENDED: u16 = 4001;
    /// The alert backlog overflowed (the client reads too slowly): reconnect and resume.
    pub const ALERT_BACKLOG_OVERFLOW: u16 = 4008;
}

//! The security records: accounts with their grants (a role at a unit, covering its subtree),
//! sessions and API tokens, and the changes made to them. Data only, as the store keeps them;
//! what they allow is decided in `auth`.

use super::time::Ts;
use super::Id;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The whole tree, as a grant's or token's unit.
pub const EVERYWHERE: &str = "*";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    DataEntry,
    Leader,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::DataEntry => "data_entry",
            Role::Leader => "leader",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Viewer, Role::DataEntry, Role::Leader, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// A role at a unit, covering its whole subtree (`*`: the whole tree).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub role: Role,
    pub unit: String,
}

/// What an API token may do: read, or send events of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    Read,
    Task,
    KrCheckin,
    KpiObservation,
    SatisfactionRating,
}

impl Permission {
    /// The permission an event kind (`EventBody::kind`) needs.
    pub fn for_event_kind(kind: &str) -> Option<Permission> {
        match kind {
            "task" => Some(Permission::Task),
            "kr_checkin" => Some(Permission::KrCheckin),
            "kpi_observation" => Some(Permission::KpiObservation),
            "satisfaction_rating" => Some(Permission::SatisfactionRating),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub person: Option<Id>,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: Ts,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub token_hash: String,
    pub account: String,
    pub csrf: String,
    pub created_at: Ts,
    pub expires_at: Ts,
    pub ip: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub created_by: String,
    pub secret_hash: String,
    pub units: Vec<String>,
    pub permissions: Vec<Permission>,
    pub created_at: Ts,
    pub expires_at: Ts,
    pub revoked_at: Option<Ts>,
    /// The source its events come from (their ids are that source's), when the token declares
    /// one: an integration keeps its ids across a rotated token. Else the token is its own.
    pub source: Option<String>,
}

pub const ALL_ROLES: [Role; 4] = [Role::Viewer, Role::DataEntry, Role::Leader, Role::Admin];

/// Every permission an API token can hold.
pub const ALL_PERMISSIONS: [Permission; 5] = [
    Permission::Read,
    Permission::Task,
    Permission::KrCheckin,
    Permission::KpiObservation,
    Permission::SatisfactionRating,
];

/// What the store holds of accounts, sessions and tokens.
#[derive(Debug, Default)]
pub struct SecuritySnapshot {
    pub accounts: Vec<Account>,
    pub sessions: Vec<Session>,
    pub tokens: Vec<ApiToken>,
}

/// A change to accounts, sessions or tokens, committed with its audit entry.
#[derive(Debug, Clone)]
pub enum SecurityWrite {
    /// Creates or replaces an account and its grants.
    PutAccount(Account),
    /// Replaces an account whose password changed, and ends its sessions but `keep` (the session
    /// that made the change, when the owner did): whoever knew the old password is signed out.
    PutAccountEndingSessions {
        account: Account,
        keep: Option<String>,
    },
    AddSession(Session),
    DeleteSession {
        token_hash: String,
    },
    AddToken(ApiToken),
    RevokeToken {
        id: String,
        at: Ts,
    },
}

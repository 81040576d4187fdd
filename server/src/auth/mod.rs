//! Who may see and change what: the caller of a request (`Principal`) with the accounts, sessions
//! and API tokens it comes from (their records are `domain::security`'s), and the one set of
//! decisions every REST route, WebSocket subscription and write passes through (`can_view`,
//! `scope`, and `access` for writes). SECURITY.md is the contract.

pub mod access;
pub mod registry;
pub mod secret;
pub mod shared;

use crate::domain::Id;
use crate::i18n::Msg;
use crate::msg;
use crate::rollup::Rollup;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;

pub use crate::domain::security::{
    Account, ApiToken, Grant, Permission, Role, Session, ALL_PERMISSIONS, ALL_ROLES, EVERYWHERE,
};
pub use registry::{Auth, AuthConfig};

/// The caller of a request or the owner of a WebSocket connection.
#[derive(Debug, Clone)]
pub enum Principal {
    /// No credentials: only public routes.
    Anonymous,
    /// A person signed in; `via_cookie` writes must carry the session's CSRF token.
    Account {
        account: Arc<Account>,
        session: Arc<Session>,
        via_cookie: bool,
    },
    Token(Arc<ApiToken>),
    /// The server itself (the demo seed and simulator, command-line imports): trusted.
    System(&'static str),
}

impl Principal {
    /// How the audit trail names the caller: `account:…`, `token:…`, `system:…`.
    pub fn actor_id(&self) -> String {
        match self {
            Principal::Anonymous => "anonymous".into(),
            Principal::Account { account, .. } => format!("account:{}", account.id),
            Principal::Token(t) => format!("token:{}", t.id),
            Principal::System(name) => format!("system:{name}"),
        }
    }

    /// Whose ids the caller's events carry: a replay is a repeat of an id of the same source
    /// (SECURITY.md). The credential itself, or the source its token declares.
    pub fn event_source(&self) -> String {
        match self {
            // A declared source is the token's units' own: another subtree's token declaring the
            // same name has ids of its own.
            Principal::Token(t) => match &t.source {
                Some(s) => {
                    let mut units = t.units.clone();
                    units.sort();
                    format!("source:{s}@{}", units.join(","))
                }
                None => self.actor_id(),
            },
            _ => self.actor_id(),
        }
    }

    /// The person acting, for an account linked to one.
    pub fn person(&self) -> Option<&Id> {
        match self {
            Principal::Account { account, .. } => account.person.as_ref(),
            _ => None,
        }
    }

    /// Who an alert action is recorded as taken by: the linked person, else the account.
    pub fn acting_as(&self) -> String {
        match self.person() {
            Some(p) => p.to_string(),
            None => self.actor_id(),
        }
    }

    /// Units (subtree roots) where the caller holds one of `roles`; `None` for "everywhere".
    fn roots(&self, roles: &[Role]) -> Option<HashSet<&str>> {
        match self {
            Principal::Anonymous => Some(HashSet::new()),
            Principal::System(_) => None,
            Principal::Account { account, .. } => {
                let mut roots = HashSet::new();
                for g in account.grants.iter().filter(|g| roles.contains(&g.role)) {
                    if g.unit == EVERYWHERE {
                        return None;
                    }
                    roots.insert(g.unit.as_str());
                }
                Some(roots)
            }
            Principal::Token(t) => {
                // A token's units are where it acts; which acts, its permissions say.
                if t.units.iter().any(|u| u == EVERYWHERE) {
                    return None;
                }
                Some(t.units.iter().map(String::as_str).collect())
            }
        }
    }

    /// Whether the caller holds one of `roles` over `unit` (at it or an ancestor).
    pub fn holds(&self, rollup: &Rollup, unit: &str, roles: &[Role]) -> bool {
        match self.roots(roles) {
            None => true,
            Some(roots) if roots.is_empty() => false,
            Some(roots) => rollup.ancestors(unit).iter().any(|a| roots.contains(&**a)),
        }
    }

    /// Whether the caller may read at all (an ingest-only token may not).
    pub fn may_read(&self) -> bool {
        match self {
            Principal::Anonymous => false,
            Principal::Token(t) => t.permissions.contains(&Permission::Read),
            _ => true,
        }
    }

    /// The unit a screen opens on when the caller names none: the root of the tree when the
    /// caller sees it, else the unit of its first grant (as the web pages do).
    pub fn home_unit(&self, rollup: &Rollup) -> Option<String> {
        let root = rollup.root_unit()?;
        if self.scope(rollup).contains(&root) {
            return Some(root);
        }
        match self {
            Principal::Account { account, .. } => account.grants.first().map(|g| g.unit.clone()),
            Principal::Token(t) => t.units.first().cloned(),
            _ => None,
        }
    }

    /// The units the caller may see, for filtering lists.
    pub fn scope(&self, rollup: &Rollup) -> Scope {
        if !self.may_read() {
            return Scope::Units(HashSet::new());
        }
        match self.roots(&ALL_ROLES) {
            None => Scope::All,
            Some(roots) => Scope::Units(
                roots
                    .into_iter()
                    .flat_map(|r| rollup.subtree(r))
                    .map(|id| id.to_string())
                    .collect(),
            ),
        }
    }

    /// What the caller may act on, in words: "leader at p-1, viewer at hn".
    fn scope_words(&self, rollup: &Rollup) -> Msg {
        match self {
            Principal::Account { account, .. } if !account.grants.is_empty() => {
                let grants: Vec<Msg> = account
                    .grants
                    .iter()
                    .map(|g| {
                        let role = match g.role {
                            Role::Viewer => msg!("role_viewer"),
                            Role::DataEntry => msg!("role_data_entry"),
                            Role::Leader => msg!("role_leader"),
                            Role::Admin => msg!("role_admin"),
                        };
                        if g.unit == EVERYWHERE {
                            msg!("grant_everywhere", role = role)
                        } else {
                            let unit = rollup
                                .unit(&g.unit)
                                .map_or_else(|| g.unit.clone(), |u| u.name);
                            msg!("grant_at", role = role, unit = unit)
                        }
                    })
                    .collect();
                Msg::list(grants)
            }
            Principal::Account { .. } => msg!("no_role_anywhere"),
            Principal::Token(t) => msg!("token_for_units", units = t.units.join(", ")),
            _ => msg!("no_role_anywhere"),
        }
    }
}

/// The units a caller may see: everything, or this set (a subtree or several).
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Units(HashSet<String>),
}

impl Scope {
    pub fn contains(&self, unit: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Units(set) => set.contains(unit),
        }
    }
}

/// What a caller asks to see.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A unit's view, KPI board, alert feed, report or audit entries (all of its subtree).
    Unit(&'a str),
    /// A person's view.
    Person(&'a str),
    /// A task, its history and its files: its unit's viewers and the people it names (R, A,
    /// C, I) see it.
    Task(&'a crate::domain::Task),
}

/// A refusal of the scope or responsibility rules, worded for the person refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Denied {
    #[error("{0}")]
    NotFound(Msg),
    #[error("{0}")]
    Forbidden(Msg),
}

/// The scope check: may `who` see `what`? Also answers "no such unit/person", so callers need
/// no lookup of their own before asking. A person may always see their own view.
pub fn can_view(who: &Principal, rollup: &Rollup, what: Target<'_>) -> Result<(), Denied> {
    if !who.may_read() {
        return Err(Denied::Forbidden(msg!("may_not_read")));
    }
    let unit = match what {
        Target::Unit(id) => {
            if rollup.unit(id).is_none() {
                return Err(Denied::NotFound(msg!("no_unit", unit = id)));
            }
            id.to_string()
        }
        Target::Person(id) => {
            let person = rollup
                .person(id)
                .ok_or_else(|| Denied::NotFound(msg!("no_person", person = id)))?;
            if who.person().is_some_and(|p| &**p == id) {
                return Ok(());
            }
            person.unit.to_string()
        }
        Target::Task(t) => {
            let named = who.person().is_some_and(|p| {
                &t.responsible == p
                    || t.accountable.as_ref() == Some(p)
                    || t.consulted.contains(p)
                    || t.informed.contains(p)
            });
            if named {
                return Ok(());
            }
            if rollup.unit(&t.unit).is_none() {
                return Err(Denied::NotFound(msg!("no_unit", unit = &*t.unit)));
            }
            t.unit.to_string()
        }
    };
    if who.holds(rollup, &unit, &ALL_ROLES) {
        Ok(())
    } else {
        Err(Denied::Forbidden(msg!(
            "outside_scope",
            unit = rollup.unit(&unit).map_or(unit, |u| u.name),
            scope = who.scope_words(rollup)
        )))
    }
}

/// The units `who` may see under `unit` (its subtree, once `can_view` allows the unit) or,
/// without one, everywhere the caller may look: how a list is filtered by unit.
pub fn visible_units(
    who: &Principal,
    rollup: &Rollup,
    unit: Option<&str>,
) -> Result<Scope, Denied> {
    match unit {
        Some(u) => {
            can_view(who, rollup, Target::Unit(u))?;
            Ok(Scope::Units(
                rollup.subtree(u).iter().map(|x| x.to_string()).collect(),
            ))
        }
        None => Ok(who.scope(rollup)),
    }
}

/// Handlers take the principal the gate (`http::gate::authenticate`) put on the request.
impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Principal>()
            .cloned()
            .unwrap_or(Principal::Anonymous))
    }
}

/// Who did something and from where, as the writer and the audit trail record it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub ip: String,
}

impl Actor {
    pub fn system(name: &'static str) -> Actor {
        Actor {
            principal: Principal::System(name),
            ip: "local".into(),
        }
    }

    /// The actor as the audit trail names it.
    pub fn who(&self) -> crate::audit::Who {
        crate::audit::Who {
            actor: self.principal.actor_id(),
            ip: self.ip.clone(),
        }
    }
}

/// The client's address, as the gate saw it.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        let ip = parts
            .extensions
            .get::<ClientIp>()
            .map_or_else(|| "unknown".to_string(), |c| c.0.clone());
        Ok(Actor { principal, ip })
    }
}

//! Who may see what: the one scope check every REST view and every live subscription passes
//! through. Accounts, roles and tokens arrive with the security issue; until then every caller
//! is an anonymous operator who may see the whole tree, but the question is already asked here
//! and only here, so filling it in changes one file.

use crate::rollup::Rollup;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::convert::Infallible;

/// The caller of a request or the owner of a WebSocket connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials: today's only kind, allowed to see everything.
    Anonymous,
}

/// What a caller asks to see.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A unit's view, KPI board or alert feed (all of its subtree).
    Unit(&'a str),
    /// A person's view.
    Person(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
}

/// The scope check: may `who` see `what`? Also answers "no such unit/person", so callers need
/// no lookup of their own before asking.
pub fn can_view(who: &Principal, rollup: &Rollup, what: Target<'_>) -> Result<(), Denied> {
    match what {
        Target::Unit(id) => {
            if rollup.unit(id).is_none() {
                return Err(Denied::NotFound(format!("no unit '{id}'")));
            }
        }
        Target::Person(id) => {
            if rollup.person(id).is_none() {
                return Err(Denied::NotFound(format!("no person '{id}'")));
            }
        }
    }
    match who {
        Principal::Anonymous => Ok(()),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Principal::Anonymous)
    }
}

//! Signing in and out, changing one's password, accounts with their grants and API tokens. The
//! decisions are `auth::access`'s; every change goes through the writer with its audit entry.

use super::body::JsonBody;
use super::error::ApiError;
use super::gate::COOKIE;
use super::ops::{Answer, Body, Operation};
use crate::audit::Draft;
use crate::auth::registry::{SecurityWrite, SESSION_PREFIX, TOKEN_PREFIX};
use crate::auth::secret::{
    check_new_password, hash_password, one_time_password, random_id, random_secret, sha256_hex,
    verify_password,
};
use crate::auth::{
    access, Account, Actor, ApiToken, Grant, Permission, Principal, Role, Session, EVERYWHERE,
};
use crate::domain::time::{format_ts, now_ms, parse_ts, DAY};
use crate::ingest::{check_id, check_text, ItemError};
use crate::Node;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/session", post(sign_in).get(whoami).delete(sign_out))
        .route("/session/password", post(change_password))
        .route("/accounts", get(accounts).post(create_account))
        .route("/accounts/{id}", get(account).put(replace_account))
        .route("/tokens", get(tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::post("/api/v1/session", "Sign in: sets the HttpOnly session cookie and returns the session as a bearer token and its CSRF token; 401 on a wrong login or password, 429 with Retry-After after repeated failures", Body::Json("SignIn"), Answer::Json("SessionOut")).public(),
    Operation::get("/api/v1/session", "The signed-in account, its grants and the session's CSRF token", Answer::Json("SessionOut")),
    Operation::delete("/api/v1/session", "Sign out: the session ends and the cookie is cleared"),
    Operation::post("/api/v1/session/password", "Change one's password (needed once after a one-time password); the account's other sessions end", Body::Json("PasswordChange"), Answer::NoContent),
    Operation::get("/api/v1/accounts", "Accounts an admin may manage (every grant within the admin's scope)", Answer::Array("AccountOut")),
    Operation::post("/api/v1/accounts", "Create an account with grants within the admin's scope; without a password a one-time password is returned once (409 if it exists)", Body::Json("AccountIn"), Answer::Created("AccountOut")),
    Operation::get("/api/v1/accounts/{id}", "An account", Answer::Json("AccountOut")),
    Operation::put("/api/v1/accounts/{id}", "Replace an account's name, person, grants or disabled flag, and its password if one is given", Body::Json("AccountIn"), Answer::Json("AccountOut")),
    Operation::get("/api/v1/tokens", "API tokens an admin may manage", Answer::Array("TokenOut")),
    Operation::post("/api/v1/tokens", "Issue an API token scoped to units and permissions, with an expiry; the token is shown once", Body::Json("TokenIn"), Answer::Created("TokenOut")),
    Operation::delete("/api/v1/tokens/{id}", "Revoke an API token; it is refused from the next request on (409 if revoked already)"),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    SignIn,
    SessionOut,
    AccountOut,
    AccountIn,
    PasswordChange,
    TokenIn,
    TokenOut,
    Grant,
    Role,
    Permission
)))]
pub struct Schemas;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub login: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccountOut {
    pub id: String,
    pub name: String,
    pub person: Option<String>,
    pub grants: Vec<Grant>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: String,
    /// Shown once, when the server chose the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

impl From<&Account> for AccountOut {
    fn from(a: &Account) -> Self {
        AccountOut {
            id: a.id.clone(),
            name: a.name.clone(),
            person: a.person.as_ref().map(|p| p.to_string()),
            grants: a.grants.clone(),
            must_change_password: a.must_change_password,
            disabled: a.disabled,
            created_at: format_ts(a.created_at),
            one_time_password: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    pub account: AccountOut,
    /// Send it as `X-CSRF-Token` with every write made with the cookie.
    pub csrf: Option<String>,
    /// The session as a bearer token; shown at sign-in only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub expires_at: Option<String>,
}

/// The unit an account's audit entries belong to: its person's unit, else its first grant's.
fn account_unit(node: &Node, a: &Account) -> Option<String> {
    a.person
        .as_ref()
        .and_then(|p| node.rollup.person(p))
        .map(|p| p.unit.to_string())
        .or_else(|| {
            a.grants
                .iter()
                .find(|g| g.unit != EVERYWHERE)
                .map(|g| g.unit.clone())
        })
}

/// An account, session or token change records what it set (never a secret).
fn draft(
    actor: &Actor,
    action: &str,
    entity: String,
    unit: Option<String>,
    new: serde_json::Value,
) -> Draft {
    Draft::new(actor.who(), action, entity, unit, None, Some(new))
}

/// Password hashing is slow by design: off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.into()))
}

fn cookie(node: &Node, value: &str, max_age_secs: i64) -> HeaderValue {
    let mut c = cookie::Cookie::build((COOKIE, value.to_string()))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .secure(node.auth.config().secure_cookies)
        .build();
    if value.is_empty() {
        c.make_removal();
    }
    HeaderValue::from_str(&c.to_string()).expect("a cookie is a valid header value")
}

async fn sign_in(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<Response, ApiError> {
    let ip = actor.ip.clone();
    if let Some(wait) = node.auth.login_blocked(&body.login, &ip).await {
        return Err(ApiError::RateLimited {
            message: crate::msg!("signin_throttled", seconds = wait.as_secs().max(1) as i64),
            retry_after: wait.as_secs().max(1),
        });
    }
    let account = node.auth.account(&body.login);
    // An unknown login costs the same hash as a known one, so timing does not tell them apart.
    let phc = account
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let password = body.password.clone();
    let matches = blocking(move || verify_password(&password, &phc)).await?;
    let account = match account {
        Some(a) if matches && !a.disabled => a,
        _ => {
            node.auth.login_failed(&body.login, &ip).await;
            return Err(ApiError::Unauthenticated("wrong login or password".into()));
        }
    };
    node.auth.login_succeeded(&body.login).await;
    let token = format!("{SESSION_PREFIX}{}", random_secret());
    let now = now_ms();
    let ttl = node.auth.config().session_ttl;
    let session = Session {
        token_hash: sha256_hex(&token),
        account: account.id.clone(),
        csrf: random_secret(),
        created_at: now,
        expires_at: now + ttl.as_millis() as i64,
        ip,
    };
    let signed_in = Actor {
        principal: Principal::Account {
            account: account.clone(),
            session: Arc::new(session.clone()),
            via_cookie: false,
        },
        ip: actor.ip,
    };
    node.writer
        .security(
            SecurityWrite::AddSession(session.clone()),
            draft(
                &signed_in,
                "session.create",
                format!("account:{}", account.id),
                account_unit(&node, &account),
                serde_json::json!({"expires_at": format_ts(session.expires_at)}),
            ),
        )
        .await?;
    let out = SessionOut {
        account: AccountOut::from(&*account),
        csrf: Some(session.csrf.clone()),
        token: Some(token.clone()),
        expires_at: Some(format_ts(session.expires_at)),
    };
    let mut response = Json(out).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&node, &token, ttl.as_secs() as i64),
    );
    Ok(response)
}

/// An Argon2id hash of a random password nobody knows, checked against for unknown logins.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&random_secret()));

fn signed_in(
    who: &Principal,
) -> Result<(&Arc<Account>, &Arc<crate::auth::Session>, bool), ApiError> {
    match who {
        Principal::Account {
            account,
            session,
            via_cookie,
        } => Ok((account, session, *via_cookie)),
        _ => Err(ApiError::Forbidden(
            "only a person's session has this; API tokens have none".into(),
        )),
    }
}

async fn whoami(who: Principal) -> Result<Json<SessionOut>, ApiError> {
    let (account, session, _) = signed_in(&who)?;
    Ok(Json(SessionOut {
        account: AccountOut::from(&**account),
        csrf: Some(session.csrf.clone()),
        token: None,
        expires_at: Some(format_ts(session.expires_at)),
    }))
}

async fn sign_out(State(node): State<Node>, actor: Actor) -> Result<Response, ApiError> {
    let (account, session, _) = signed_in(&actor.principal)?;
    node.writer
        .security(
            SecurityWrite::DeleteSession {
                token_hash: session.token_hash.clone(),
            },
            draft(
                &actor,
                "session.delete",
                format!("account:{}", account.id),
                account_unit(&node, account),
                serde_json::json!({}),
            ),
        )
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&node, "", 0));
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

async fn change_password(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let (account, session, _) = signed_in(&actor.principal)?;
    check_new_password(&body.new).map_err(|r| ApiError::Invalid(ItemError::new("new", r)))?;
    if body.new == body.current {
        return Err(ApiError::Invalid(ItemError::new(
            "new",
            "must differ from the current password",
        )));
    }
    let phc = account.password_hash.clone();
    let current = body.current.clone();
    if !blocking(move || verify_password(&current, &phc)).await? {
        return Err(ApiError::Invalid(ItemError::new(
            "current",
            "is not the account's password",
        )));
    }
    let new = body.new.clone();
    let hash = blocking(move || hash_password(&new)).await?;
    let mut changed = (**account).clone();
    changed.password_hash = hash;
    changed.must_change_password = false;
    node.writer
        .security(
            // Every other session of the account ends: whoever knew the old password is out.
            SecurityWrite::PutAccountEndingSessions {
                account: changed,
                keep: Some(session.token_hash.clone()),
            },
            draft(
                &actor,
                "account.password",
                format!("account:{}", account.id),
                account_unit(&node, account),
                // Never the hash: only that it changed.
                serde_json::json!({"password": "changed"}),
            ),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountIn {
    pub id: String,
    pub name: String,
    pub person: Option<String>,
    /// At least 12 characters; leave it out and the server makes a one-time password.
    pub password: Option<String>,
    #[serde(default)]
    pub grants: Vec<Grant>,
    #[serde(default)]
    pub disabled: bool,
}

/// May `who` manage an account with these grants? Every grant must be in the admin's scope.
fn may_manage(node: &Node, who: &Principal, grants: &[Grant]) -> Result<(), ApiError> {
    if !matches!(who, Principal::Account { account, .. } if account.grants.iter().any(|g| g.role == Role::Admin))
        && !matches!(who, Principal::System(_))
    {
        return Err(ApiError::Forbidden(
            "accounts and tokens are managed by an admin".into(),
        ));
    }
    for g in grants {
        access::administer(who, &node.rollup, &g.unit)?;
    }
    Ok(())
}

/// May `who` manage this existing account? Its scope must cover every grant the account holds
/// and the person it is linked to (who acts with that person's responsibilities); an account
/// with neither is managed only by an admin of the whole tree, since nothing places it in a
/// subtree.
fn may_manage_account(node: &Node, who: &Principal, a: &Account) -> Result<(), ApiError> {
    may_manage(node, who, &a.grants)?;
    match a.person.as_ref().and_then(|p| node.rollup.person(p)) {
        Some(person) => access::administer(who, &node.rollup, &person.unit)?,
        // A link to a person no longer in the catalog places the account nowhere either.
        None if a.grants.is_empty() || a.person.is_some() => {
            access::administer(who, &node.rollup, EVERYWHERE)?
        }
        None => {}
    }
    Ok(())
}

/// Checks an account's fields; linking it to a person needs an admin of that person's unit,
/// since a linked account acts with the person's responsibilities (their tasks, acceptances).
fn check_account(node: &Node, who: &Principal, a: &AccountIn) -> Result<(), ApiError> {
    check_id("id", &a.id)?;
    check_text("name", &a.name, 200)?;
    if let Some(p) = &a.person {
        let person = node
            .rollup
            .person(p)
            .ok_or_else(|| ItemError::new("person", format!("unknown person '{p}'")))?;
        access::administer(who, &node.rollup, &person.unit)?;
    }
    for (i, g) in a.grants.iter().enumerate() {
        if g.unit != EVERYWHERE && node.rollup.unit(&g.unit).is_none() {
            return Err(ItemError::new(
                format!("grants[{i}].unit"),
                format!("unknown unit '{}'", g.unit),
            )
            .into());
        }
    }
    if let Some(p) = &a.password {
        check_new_password(p).map_err(|r| ItemError::new("password", r))?;
    }
    Ok(())
}

async fn accounts(
    State(node): State<Node>,
    who: Principal,
) -> Result<Json<Vec<AccountOut>>, ApiError> {
    may_manage(&node, &who, &[])?;
    Ok(Json(
        node.auth
            .accounts()
            .iter()
            .filter(|a| may_manage_account(&node, &who, a).is_ok())
            .map(|a| AccountOut::from(&**a))
            .collect(),
    ))
}

async fn account(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<AccountOut>, ApiError> {
    may_manage(&node, &who, &[])?;
    let a = node
        .auth
        .account(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no account '{id}'").into()))?;
    may_manage_account(&node, &who, &a)?;
    Ok(Json(AccountOut::from(&*a)))
}

async fn create_account(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(body): JsonBody<AccountIn>,
) -> Result<(StatusCode, Json<AccountOut>), ApiError> {
    may_manage(&node, &actor.principal, &body.grants)?;
    check_account(&node, &actor.principal, &body)?;
    if node.auth.account(&body.id).is_some() {
        return Err(ApiError::Conflict(
            format!(
                "account '{}' exists already; PUT /api/v1/accounts/{} changes it",
                body.id, body.id
            )
            .into(),
        ));
    }
    let (account, one_time) = put_account(&node, &actor, body, None).await?;
    let mut out = AccountOut::from(&account);
    out.one_time_password = one_time;
    Ok((StatusCode::CREATED, Json(out)))
}

async fn replace_account(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AccountIn>,
) -> Result<Json<AccountOut>, ApiError> {
    if body.id != id {
        return Err(ItemError::new(
            "id",
            format!("'{}' differs from the id in the path '{id}'", body.id),
        )
        .into());
    }
    let existing = node
        .auth
        .account(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no account '{id}'; POST creates one").into()))?;
    may_manage_account(&node, &actor.principal, &existing)?;
    may_manage(&node, &actor.principal, &body.grants)?;
    check_account(&node, &actor.principal, &body)?;
    let (account, _) = put_account(&node, &actor, body, Some(existing)).await?;
    Ok(Json(AccountOut::from(&account)))
}

/// Writes an account (new, or replacing `existing`), hashing a given password; a new account
/// without one gets a one-time password, returned once.
async fn put_account(
    node: &Node,
    actor: &Actor,
    body: AccountIn,
    existing: Option<Arc<Account>>,
) -> Result<(Account, Option<String>), ApiError> {
    let (password, one_time) = match (&body.password, &existing) {
        (Some(p), _) => (Some(p.clone()), None),
        (None, None) => {
            let p = one_time_password();
            (Some(p.clone()), Some(p))
        }
        (None, Some(_)) => (None, None),
    };
    let hash = match password {
        Some(p) => Some(blocking(move || hash_password(&p)).await?),
        None => None,
    };
    let account = Account {
        id: body.id.clone(),
        name: body.name.clone(),
        person: body.person.as_deref().map(Into::into),
        password_hash: hash
            .clone()
            .or_else(|| existing.as_ref().map(|e| e.password_hash.clone()))
            .unwrap_or_default(),
        must_change_password: match (&hash, &existing) {
            (Some(_), _) => one_time.is_some(),
            (None, Some(e)) => e.must_change_password,
            (None, None) => true,
        },
        disabled: body.disabled,
        created_at: existing.as_ref().map_or_else(now_ms, |e| e.created_at),
        grants: body.grants.clone(),
    };
    let describe = |a: &Account| {
        serde_json::json!({
            "name": a.name,
            "person": a.person.as_deref(),
            "grants": a.grants,
            "disabled": a.disabled,
            "password": if hash.is_some() { "set" } else { "unchanged" },
        })
    };
    let (old, new) = crate::audit::changed_fields(
        existing
            .as_ref()
            .map(|e| {
                let mut v = describe(e);
                v["password"] = "unchanged".into();
                v
            })
            .as_ref(),
        Some(&describe(&account)),
    );
    let mut d = draft(
        actor,
        if existing.is_some() {
            "account.replace"
        } else {
            "account.create"
        },
        format!("account:{}", account.id),
        account_unit(node, &account),
        serde_json::Value::Null,
    );
    d.old = old;
    d.new = new;
    // A password set by an admin ends the account's sessions (all of them, unless the admin
    // reset its own, keeping the session that did it).
    let write = match (&existing, &hash) {
        (Some(_), Some(_)) => SecurityWrite::PutAccountEndingSessions {
            account: account.clone(),
            keep: match &actor.principal {
                Principal::Account {
                    account: me,
                    session,
                    ..
                } if me.id == account.id => Some(session.token_hash.clone()),
                _ => None,
            },
        },
        _ => SecurityWrite::PutAccount(account.clone()),
    };
    node.writer.security(write, d).await?;
    Ok((account, one_time))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    pub name: String,
    /// Unit ids (subtrees) the token acts in; `*` for the whole tree.
    pub units: Vec<String>,
    /// `read` and/or event kinds: task, kr_checkin, kpi_observation, satisfaction_rating.
    pub permissions: Vec<Permission>,
    /// RFC 3339 (or a date: its start); default 90 days from now, at most a year.
    #[schema(schema_with = crate::ingest::optional_time_schema)]
    pub expires_at: Option<String>,
    /// The source its events' ids belong to (a name such as `mot-cua`): a token rotated with
    /// the same source and units keeps deduplicating against its predecessor's events. Without
    /// one, the token is its own source.
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: String,
    pub name: String,
    pub created_by: String,
    pub units: Vec<String>,
    pub permissions: Vec<Permission>,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub source: Option<String>,
    /// The whole token (`Authorization: Bearer …`), shown once at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<&ApiToken> for TokenOut {
    fn from(t: &ApiToken) -> Self {
        TokenOut {
            id: t.id.clone(),
            name: t.name.clone(),
            created_by: t.created_by.clone(),
            units: t.units.clone(),
            permissions: t.permissions.clone(),
            created_at: format_ts(t.created_at),
            expires_at: format_ts(t.expires_at),
            revoked_at: t.revoked_at.map(format_ts),
            source: t.source.clone(),
            token: None,
        }
    }
}

fn token_grants(t: &[String]) -> Vec<Grant> {
    t.iter()
        .map(|u| Grant {
            role: Role::Admin,
            unit: u.clone(),
        })
        .collect()
}

async fn tokens(State(node): State<Node>, who: Principal) -> Result<Json<Vec<TokenOut>>, ApiError> {
    may_manage(&node, &who, &[])?;
    Ok(Json(
        node.auth
            .tokens()
            .iter()
            .filter(|t| may_manage(&node, &who, &token_grants(&t.units)).is_ok())
            .map(|t| TokenOut::from(&**t))
            .collect(),
    ))
}

async fn create_token(
    State(node): State<Node>,
    actor: Actor,
    JsonBody(body): JsonBody<TokenIn>,
) -> Result<(StatusCode, Json<TokenOut>), ApiError> {
    check_text("name", &body.name, 200)?;
    if body.units.is_empty() {
        return Err(ItemError::new("units", "name at least one unit (or \"*\")").into());
    }
    if let Some(s) = &body.source {
        check_id("source", s)?;
    }
    if body.permissions.is_empty() {
        return Err(ItemError::new(
            "permissions",
            "name at least one: read, task, kr_checkin, kpi_observation, satisfaction_rating",
        )
        .into());
    }
    may_manage(&node, &actor.principal, &token_grants(&body.units))?;
    let now = now_ms();
    let expires_at = match &body.expires_at {
        Some(s) => parse_ts(s, false).map_err(|e| ItemError::new("expires_at", e))?,
        None => now + 90 * DAY,
    };
    if expires_at <= now {
        return Err(ItemError::new("expires_at", "lies in the past").into());
    }
    if expires_at > now + 366 * DAY {
        return Err(ItemError::new("expires_at", "lies more than a year ahead").into());
    }
    let secret = random_secret();
    let mut permissions = body.permissions.clone();
    permissions.dedup();
    let token = ApiToken {
        id: random_id(),
        name: body.name.clone(),
        created_by: actor.principal.actor_id(),
        secret_hash: sha256_hex(&secret),
        units: body.units.clone(),
        permissions,
        created_at: now,
        expires_at,
        revoked_at: None,
        source: body.source.clone(),
    };
    let out = TokenOut::from(&token);
    node.writer
        .security(
            SecurityWrite::AddToken(token.clone()),
            draft(
                &actor,
                "token.create",
                format!("token:{}", token.id),
                token.units.iter().find(|u| *u != EVERYWHERE).cloned(),
                serde_json::json!({"name": token.name, "units": token.units, "permissions": token.permissions, "expires_at": out.expires_at}),
            ),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenOut {
            token: Some(format!("{TOKEN_PREFIX}{}_{secret}", token.id)),
            ..out
        }),
    ))
}

async fn revoke_token(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let token = node
        .auth
        .token(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no API token '{id}'").into()))?;
    if token.created_by != actor.principal.actor_id() {
        may_manage(&node, &actor.principal, &token_grants(&token.units))?;
    }
    if token.revoked_at.is_some() {
        return Err(ApiError::Conflict(
            format!("API token '{id}' is revoked already").into(),
        ));
    }
    let at = now_ms();
    node.writer
        .security(
            SecurityWrite::RevokeToken { id: id.clone(), at },
            draft(
                &actor,
                "token.revoke",
                format!("token:{id}"),
                token.units.iter().find(|u| *u != EVERYWHERE).cloned(),
                serde_json::json!({"revoked_at": format_ts(at)}),
            ),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Accounts and API tokens the server makes as itself, committed through the writer with their
//! audit entries like any other security change: the first administrator, the demo's accounts,
//! the tokens benchmarks and tooling use.

use super::writer::Writer;
use crate::audit::Draft;
use crate::auth::registry::{SecurityWrite, TOKEN_PREFIX};
use crate::auth::{secret, Account, Actor, ApiToken, Auth, Grant, Permission, Role, EVERYWHERE};
use crate::domain::time::now_ms;

/// First run: with no account at all, creates `admin` (the admin role over the whole tree).
/// Its password is `password` if given, else a one-time password returned for printing once
/// and to be changed at first sign-in. Returns the one-time password, if one was made.
pub async fn first_run(
    writer: &Writer,
    auth: &Auth,
    password: Option<String>,
) -> anyhow::Result<Option<String>> {
    if auth.has_accounts() {
        return Ok(None);
    }
    let one_time = password.is_none();
    let password = password.unwrap_or_else(secret::one_time_password);
    secret::check_new_password(&password).map_err(|e| anyhow::anyhow!("IOC_ADMIN_PASSWORD {e}"))?;
    let hash = tokio::task::spawn_blocking({
        let p = password.clone();
        move || secret::hash_password(&p)
    })
    .await?;
    let account = Account {
        id: "admin".into(),
        name: "Quản trị hệ thống".into(),
        person: None,
        password_hash: hash,
        must_change_password: one_time,
        disabled: false,
        created_at: now_ms(),
        grants: vec![Grant {
            role: Role::Admin,
            unit: EVERYWHERE.into(),
        }],
    };
    put_system_account(writer, account, "first-run").await?;
    Ok(one_time.then_some(password))
}

/// Creates or replaces an account as the server itself (first run, demo accounts).
pub async fn put_system_account(
    writer: &Writer,
    account: Account,
    by: &'static str,
) -> anyhow::Result<()> {
    let actor = Actor::system(by);
    let draft = Draft::new(
        actor.who(),
        "account.create",
        format!("account:{}", account.id),
        account
            .grants
            .iter()
            .find(|g| g.unit != EVERYWHERE)
            .map(|g| g.unit.clone()),
        None,
        Some(serde_json::json!({
            "name": account.name,
            "person": account.person.as_deref(),
            "grants": account.grants,
        })),
    );
    writer
        .security(SecurityWrite::PutAccount(account), draft)
        .await?;
    Ok(())
}

/// Issues an API token as the server itself (benchmarks, tooling) and returns the whole token.
pub async fn issue_token(
    writer: &Writer,
    name: &str,
    units: Vec<String>,
    permissions: Vec<Permission>,
    lifetime: std::time::Duration,
) -> anyhow::Result<String> {
    let now = now_ms();
    let secret = secret::random_secret();
    let token = ApiToken {
        id: secret::random_id(),
        name: name.into(),
        created_by: Actor::system("tooling").principal.actor_id(),
        secret_hash: secret::sha256_hex(&secret),
        units,
        permissions,
        created_at: now,
        expires_at: now + lifetime.as_millis() as i64,
        revoked_at: None,
        source: None,
    };
    let actor = Actor::system("tooling");
    let draft = Draft::new(
        actor.who(),
        "token.create",
        format!("token:{}", token.id),
        None,
        None,
        Some(
            serde_json::json!({"name": token.name, "units": token.units, "permissions": token.permissions}),
        ),
    );
    let whole = format!("{}{}_{secret}", TOKEN_PREFIX, token.id);
    writer
        .security(SecurityWrite::AddToken(token), draft)
        .await?;
    Ok(whole)
}

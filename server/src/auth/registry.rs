//! The node's memory of accounts, sessions and API tokens (loaded from the store at start,
//! changed only after the writer committed a change), and the throttles: a per-credential
//! request rate and sign-in failures per login and per address, counted in Redis when the nodes
//! share one (`shared.rs`), else (and while Redis does not answer) by this node.

use super::secret::{same, sha256_hex};
use super::shared::{SharedCounters, ANSWER_WITHIN};
use super::{Account, ApiToken, Principal, Session};
pub use crate::domain::security::{SecuritySnapshot, SecurityWrite};
use crate::domain::time::Ts;
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct AuthConfig {
    /// How long a sign-in lasts.
    pub session_ttl: Duration,
    /// Requests per minute per credential (0: no limit), and the burst allowed above the pace.
    pub rate_per_minute: u32,
    pub rate_burst: u32,
    /// Failed sign-ins tolerated per login and per address within `login_window`.
    pub login_failures_per_login: u32,
    pub login_failures_per_address: u32,
    pub login_window: Duration,
    /// Mark the cookie `Secure` and send HSTS (behind TLS).
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl: Duration::from_secs(12 * 3600),
            rate_per_minute: 600,
            rate_burst: 120,
            login_failures_per_login: 5,
            login_failures_per_address: 20,
            login_window: Duration::from_secs(15 * 60),
            secure_cookies: false,
        }
    }
}

/// Why presented credentials are not accepted (answered 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadCredentials(pub String);

#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    config: AuthConfig,
    accounts: DashMap<String, Arc<Account>>,
    /// By the SHA-256 of the session token.
    sessions: DashMap<String, Arc<Session>>,
    tokens: DashMap<String, Arc<ApiToken>>,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    /// The public routes' allowances, one limiter per (period in ms, burst) they ask for.
    quotas: DashMap<(u64, u32), Arc<DefaultKeyedRateLimiter<String>>>,
    checks: AtomicU64,
    failures: DashMap<String, VecDeque<Instant>>,
    /// The counters in Redis, when the nodes share one (`share_counters`).
    shared: OnceLock<SharedCounters>,
    /// When a Redis failure was last logged (ms), so an outage logs every 10 s, not per request.
    shared_warned: AtomicI64,
}

pub const SESSION_PREFIX: &str = "iocs_";
pub const TOKEN_PREFIX: &str = "ioct_";

impl Auth {
    pub fn new(config: AuthConfig, snapshot: SecuritySnapshot) -> Auth {
        let limiter = NonZeroU32::new(config.rate_per_minute).map(|pace| {
            let burst = NonZeroU32::new(config.rate_burst).unwrap_or(pace);
            RateLimiter::keyed(Quota::per_minute(pace).allow_burst(burst))
        });
        let auth = Auth {
            inner: Arc::new(Inner {
                config,
                accounts: DashMap::new(),
                sessions: DashMap::new(),
                tokens: DashMap::new(),
                limiter,
                quotas: DashMap::new(),
                checks: AtomicU64::new(0),
                failures: DashMap::new(),
                shared: OnceLock::new(),
                shared_warned: AtomicI64::new(0),
            }),
        };
        for a in snapshot.accounts {
            auth.inner.accounts.insert(a.id.clone(), Arc::new(a));
        }
        for s in snapshot.sessions {
            auth.inner
                .sessions
                .insert(s.token_hash.clone(), Arc::new(s));
        }
        for t in snapshot.tokens {
            auth.inner.tokens.insert(t.id.clone(), Arc::new(t));
        }
        auth
    }

    /// Replaces the accounts, sessions and tokens with the store's (a node that follows the
    /// writer, after a record says they changed): what is gone is gone here too, so a revoked
    /// token's sockets close at their next heartbeat on this node as on the writer's.
    pub fn reload(&self, snapshot: SecuritySnapshot) {
        let i = &self.inner;
        let accounts: std::collections::HashSet<String> =
            snapshot.accounts.iter().map(|a| a.id.clone()).collect();
        let sessions: std::collections::HashSet<String> = snapshot
            .sessions
            .iter()
            .map(|s| s.token_hash.clone())
            .collect();
        let tokens: std::collections::HashSet<String> =
            snapshot.tokens.iter().map(|t| t.id.clone()).collect();
        i.accounts.retain(|k, _| accounts.contains(k));
        i.sessions.retain(|k, _| sessions.contains(k));
        i.tokens.retain(|k, _| tokens.contains(k));
        for a in snapshot.accounts {
            i.accounts.insert(a.id.clone(), Arc::new(a));
        }
        for s in snapshot.sessions {
            i.sessions.insert(s.token_hash.clone(), Arc::new(s));
        }
        for t in snapshot.tokens {
            i.tokens.insert(t.id.clone(), Arc::new(t));
        }
    }

    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    pub fn has_accounts(&self) -> bool {
        !self.inner.accounts.is_empty()
    }

    pub fn account(&self, id: &str) -> Option<Arc<Account>> {
        self.inner.accounts.get(id).map(|a| a.clone())
    }

    pub fn accounts(&self) -> Vec<Arc<Account>> {
        let mut all: Vec<_> = self.inner.accounts.iter().map(|a| a.clone()).collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    pub fn token(&self, id: &str) -> Option<Arc<ApiToken>> {
        self.inner.tokens.get(id).map(|t| t.clone())
    }

    pub fn tokens(&self) -> Vec<Arc<ApiToken>> {
        let mut all: Vec<_> = self.inner.tokens.iter().map(|t| t.clone()).collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// Applies a committed change (the writer calls this right after the commit).
    pub fn apply(&self, write: &SecurityWrite) {
        match write {
            SecurityWrite::PutAccount(a) => {
                self.inner
                    .accounts
                    .insert(a.id.clone(), Arc::new(a.clone()));
            }
            SecurityWrite::PutAccountEndingSessions { account, keep } => {
                self.inner
                    .accounts
                    .insert(account.id.clone(), Arc::new(account.clone()));
                // Live connections of the ended sessions close at their next heartbeat (4001):
                // `still_valid` no longer finds the session.
                self.inner.sessions.retain(|hash, s| {
                    s.account != account.id || keep.as_deref() == Some(hash.as_str())
                });
            }
            SecurityWrite::AddSession(s) => {
                self.inner
                    .sessions
                    .insert(s.token_hash.clone(), Arc::new(s.clone()));
            }
            SecurityWrite::DeleteSession { token_hash } => {
                self.inner.sessions.remove(token_hash);
            }
            SecurityWrite::AddToken(t) => {
                self.inner.tokens.insert(t.id.clone(), Arc::new(t.clone()));
            }
            SecurityWrite::RevokeToken { id, at } => {
                if let Some(mut t) = self.inner.tokens.get_mut(id) {
                    let mut changed = (**t).clone();
                    changed.revoked_at = Some(*at);
                    *t = Arc::new(changed);
                }
            }
        }
    }

    /// Who a session token (cookie or bearer `iocs_…`) or API token (`ioct_<id>_<secret>`)
    /// belongs to, at `now` (wall-clock milliseconds).
    pub fn authenticate(
        &self,
        credential: &str,
        via_cookie: bool,
        now: Ts,
    ) -> Result<Principal, BadCredentials> {
        if let Some(rest) = credential.strip_prefix(TOKEN_PREFIX) {
            if via_cookie {
                return Err(BadCredentials(
                    "an API token is not a session cookie".into(),
                ));
            }
            let (id, secret) = rest
                .split_once('_')
                .ok_or_else(|| BadCredentials("malformed API token".into()))?;
            let token = self
                .token(id)
                .ok_or_else(|| BadCredentials("unknown API token".into()))?;
            if !same(&sha256_hex(secret), &token.secret_hash) {
                return Err(BadCredentials("unknown API token".into()));
            }
            if token.revoked_at.is_some() {
                return Err(BadCredentials(format!("API token '{id}' has been revoked")));
            }
            if token.expires_at <= now {
                return Err(BadCredentials(format!("API token '{id}' has expired")));
            }
            return Ok(Principal::Token(token));
        }
        if !credential.starts_with(SESSION_PREFIX) {
            return Err(BadCredentials(
                "not a credential this server issues (iocs_… or ioct_…)".into(),
            ));
        }
        let hash = sha256_hex(credential);
        let session = self
            .inner
            .sessions
            .get(&hash)
            .map(|s| s.clone())
            .ok_or_else(|| BadCredentials("unknown or signed-out session".into()))?;
        if session.expires_at <= now {
            self.inner.sessions.remove(&hash);
            return Err(BadCredentials(
                "the session has expired: sign in again".into(),
            ));
        }
        let account = self
            .account(&session.account)
            .ok_or_else(|| BadCredentials("the session's account no longer exists".into()))?;
        if account.disabled {
            return Err(BadCredentials(format!(
                "account '{}' is disabled",
                account.id
            )));
        }
        Ok(Principal::Account {
            account,
            session,
            via_cookie,
        })
    }

    /// Whether the credentials behind `principal` still hold at `now`, with the same grants (a
    /// live connection asks at each heartbeat, and reconnects to pick up changed grants).
    pub fn still_valid(&self, principal: &Principal, now: Ts) -> bool {
        match principal {
            Principal::Account {
                account, session, ..
            } => {
                session.expires_at > now
                    && self.inner.sessions.contains_key(&session.token_hash)
                    && self
                        .account(&account.id)
                        .is_some_and(|a| !a.disabled && a.grants == account.grants)
            }
            Principal::Token(t) => self
                .token(&t.id)
                .is_some_and(|t| t.revoked_at.is_none() && t.expires_at > now),
            Principal::Anonymous | Principal::System(_) => true,
        }
    }

    /// From now on the throttles count in Redis, shared with every node that uses it.
    pub fn share_counters(&self, shared: SharedCounters) {
        tracing::info!(
            redis = shared.shown(),
            "request rates and sign-in throttles are counted in Redis, across nodes"
        );
        let _ = self.inner.shared.set(shared);
    }

    /// One Redis check, given `ANSWER_WITHIN`; `None` (logged, counted) when Redis did not
    /// answer, and the caller counts on this node instead.
    async fn in_redis<T>(
        &self,
        check: impl std::future::Future<Output = Result<T, redis::RedisError>>,
    ) -> Option<T> {
        match tokio::time::timeout(ANSWER_WITHIN, check).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.shared_failed(&e.to_string());
                None
            }
            Err(_) => {
                self.shared_failed("no answer in time");
                None
            }
        }
    }

    /// Redis did not answer a throttle: this request is counted here instead.
    fn shared_failed(&self, why: &str) {
        metrics::counter!("ioc_shared_counters_fallbacks_total").increment(1);
        let now = crate::domain::time::now_ms();
        let last = self.inner.shared_warned.load(Ordering::Relaxed);
        if now - last >= 10_000
            && self
                .inner
                .shared_warned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                error = why,
                "Redis does not answer: throttles count on this node until it does"
            );
        }
    }

    /// Takes one request from `key`'s allowance; `Err(wait)` when it is spent.
    pub async fn check_rate(&self, key: &str) -> Result<(), Duration> {
        let c = &self.inner.config;
        if self.inner.limiter.is_none() {
            return Ok(());
        }
        if let Some(shared) = self.inner.shared.get() {
            let burst = if c.rate_burst == 0 {
                c.rate_per_minute
            } else {
                c.rate_burst
            };
            if let Some(taken) = self
                .in_redis(shared.take(key, c.rate_per_minute, burst))
                .await
            {
                return taken;
            }
        }
        self.check_rate_here(key)
    }

    /// Takes one from `key`'s allowance of one every `every`, `burst` at once (the public
    /// routes' limits per address and per device); in Redis when the nodes share one.
    pub async fn check_quota(
        &self,
        key: &str,
        every: Duration,
        burst: u32,
    ) -> Result<(), Duration> {
        if let Some(shared) = self.inner.shared.get() {
            if let Some(taken) = self.in_redis(shared.take_every(key, every, burst)).await {
                return taken;
            }
        }
        let class = (every.as_millis() as u64, burst);
        let limiter = self
            .inner
            .quotas
            .entry(class)
            .or_insert_with(|| {
                let quota = Quota::with_period(every.max(Duration::from_millis(1)))
                    .expect("a period above zero")
                    .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
                Arc::new(RateLimiter::keyed(quota))
            })
            .clone();
        if self.inner.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn check_rate_here(&self, key: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.inner.limiter else {
            return Ok(());
        };
        // Forget idle keys now and then, so one-off clients do not accumulate.
        if self.inner.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn failure_keys(&self, login: &str, ip: &str) -> [(String, u32); 2] {
        let c = &self.inner.config;
        [
            (format!("login:{login}"), c.login_failures_per_login),
            (format!("addr:{ip}"), c.login_failures_per_address),
        ]
    }

    /// How long sign-ins for `login` from `ip` are refused, if they are.
    pub async fn login_blocked(&self, login: &str, ip: &str) -> Option<Duration> {
        let keys = self.failure_keys(login, ip);
        if let Some(shared) = self.inner.shared.get() {
            let window = self.inner.config.login_window;
            if let Some(blocked) = self.in_redis(shared.blocked(&keys, window)).await {
                return blocked;
            }
        }
        keys.into_iter()
            .filter_map(|(key, max)| self.blocked_for(&key, max))
            .max()
    }

    fn blocked_for(&self, key: &str, max: u32) -> Option<Duration> {
        let window = self.inner.config.login_window;
        let mut entry = self.inner.failures.get_mut(key)?;
        while entry.front().is_some_and(|t| t.elapsed() >= window) {
            entry.pop_front();
        }
        if entry.len() >= max as usize {
            let oldest = *entry.front()?;
            Some(
                window
                    .saturating_sub(oldest.elapsed())
                    .max(Duration::from_secs(1)),
            )
        } else {
            None
        }
    }

    /// Counts a failed sign-in here (the fallback's memory) and, when shared, in Redis.
    pub async fn login_failed(&self, login: &str, ip: &str) {
        if let Some(shared) = self.inner.shared.get() {
            let keys = self.failure_keys(login, ip).map(|(k, _)| k);
            let window = self.inner.config.login_window;
            self.in_redis(shared.failed(&keys, window)).await;
        }
        // Forget old failures now and then, so made-up logins do not accumulate.
        if self.inner.checks.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            let window = self.inner.config.login_window;
            self.inner
                .failures
                .retain(|_, times| times.back().is_some_and(|t| t.elapsed() < window));
        }
        for key in [format!("login:{login}"), format!("addr:{ip}")] {
            self.inner
                .failures
                .entry(key)
                .or_default()
                .push_back(Instant::now());
        }
    }

    pub async fn login_succeeded(&self, login: &str) {
        let key = format!("login:{login}");
        if let Some(shared) = self.inner.shared.get() {
            self.in_redis(shared.clear(&key)).await;
        }
        self.inner.failures.remove(&key);
    }
}

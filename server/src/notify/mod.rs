//! Notifications (issue 17): telling people where they are, off the screens. The path:
//!
//! ```text
//! alert transition ─> notices (the outbox; same transaction as the transition, `notice.rs`)
//!   ─> the delivery worker (`worker.rs`, fed from the store): group wait, quiet hours, routing
//!      by severity (`policy.rs`), repeats of unacknowledged reds and the daily digest
//!      (`digest.rs`) on the server's clock ─> a message (`compose.rs`) with one delivery per
//!      contact point (`contact.rs`), each with its idempotency key
//!   ─> channels (`send.rs`: email, webhook, http_template; the inbox in the store and live,
//!      `inbox.rs`), retried with backoff, dead after N failures, health per contact point.
//! ```
//!
//! Any commit can add notices for a person with `enqueue` (explanation requests and reminders
//! will); the links in messages are signed (`link.rs`); where the server may send is guarded
//! (`guard.rs`); template placeholders are in `template.rs`. What the worker keeps in memory
//! between steps is a shortcut over the store: the items of committed alert notices
//! (`items.rs`) and the messages it composed (`cache.rs`).

mod cache;
pub mod compose;
pub mod contact;
mod digest;
mod dispatch;
pub mod guard;
pub mod inbox;
mod items;
pub mod link;
pub mod notice;
pub mod policy;
pub mod remind;
pub mod send;
pub mod template;
mod worker;

pub use inbox::Inbox;
pub use link::LinkKeys;
pub use notice::{alert_notices, enqueue, Item, Notice};

use crate::alerting::LiveAlerts;
use crate::bus::Committed;
use crate::domain::Ts;
use crate::rollup::Rollup;
use crate::store::{Store, StoreError};
use policy::{Policy, PolicyIn, Role};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// A value refused, naming its field (`contact_points[1].url`, `policy.quiet_hours`).
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub field: String,
    /// Worded in the reader's language at the HTTP edge; English in the config's errors.
    pub message: crate::i18n::Msg,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<crate::i18n::Msg>) -> Invalid {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// How the SMTP relay is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on the same host or a closed network).
    None,
    /// SMTP upgraded with STARTTLS (port 587).
    Starttls,
    /// SMTP inside TLS (port 465).
    Tls,
}

/// The mail relay emails go through.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `IOC Hà Nội <ioc@hanoi.gov.vn>`.
    pub from: String,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .finish()
    }
}

/// The `[notify]` settings (README "Notifications").
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// Run the delivery worker (off: notices are still written, nothing is sent).
    pub enabled: bool,
    /// The address people reach the web UI at, for the links in messages.
    pub public_url: Option<String>,
    /// How long a link works (server clock).
    pub link_ttl_ms: Ts,
    pub allow_private_addresses: bool,
    pub allow_plain_http: bool,
    /// Attempts before a delivery is dead.
    pub max_attempts: u32,
    /// The backoff between attempts: from `retry_min`, doubling, at most `retry_max`, jittered.
    pub retry_min: Duration,
    pub retry_max: Duration,
    /// One attempt's timeout (webhooks and templates may set their own).
    pub timeout: Duration,
    pub smtp: Option<SmtpConfig>,
    /// Overrides of the leaders' and the officials' defaults.
    pub leader: PolicyIn,
    pub official: PolicyIn,
    /// Deliveries in flight at once, in all and per contact point (so one slow receiver cannot
    /// take every slot).
    pub concurrency: usize,
    pub per_contact_point: usize,
    /// `[notify.reminders]`: what is reminded, how many days ahead or late.
    pub reminders: remind::Reminders,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            enabled: true,
            public_url: None,
            link_ttl_ms: 7 * 24 * 3_600_000,
            allow_private_addresses: false,
            allow_plain_http: false,
            max_attempts: 8,
            retry_min: Duration::from_secs(2),
            retry_max: Duration::from_secs(600),
            timeout: Duration::from_secs(10),
            smtp: None,
            leader: PolicyIn::default(),
            official: PolicyIn::default(),
            concurrency: 32,
            per_contact_point: 4,
            reminders: remind::Reminders::default(),
        }
    }
}

impl NotifyConfig {
    /// Checks the role overrides (a wrong one names its `[notify.leader]` field).
    pub fn validate(&self) -> Result<(), Invalid> {
        Role::Leader
            .defaults()
            .patched(&self.leader, "notify.leader.")?;
        Role::Official
            .defaults()
            .patched(&self.official, "notify.official.")?;
        if self.max_attempts == 0 || self.concurrency == 0 || self.per_contact_point == 0 {
            return Err(Invalid::new(
                "notify",
                "max_attempts, concurrency and per_contact_point must be above 0",
            ));
        }
        self.reminders.validate()?;
        if self.retry_min.is_zero() || self.retry_max < self.retry_min {
            return Err(Invalid::new(
                "notify.retry_max_ms",
                "retry_min_ms must be above 0 and retry_max_ms at least retry_min_ms",
            ));
        }
        Ok(())
    }

    /// A role's defaults with the config's overrides.
    pub fn defaults(&self, role: Role) -> Policy {
        let base = role.defaults();
        let patch = match role {
            Role::Leader => &self.leader,
            Role::Official => &self.official,
        };
        base.patched(patch, "").unwrap_or(base)
    }

    pub fn allow(&self) -> contact::Allow {
        contact::Allow {
            plain_http: self.allow_plain_http,
            private_addresses: self.allow_private_addresses,
        }
    }
}

/// The node's handle on notifications: cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    pub config: Arc<NotifyConfig>,
    pub inbox: Arc<Inbox>,
    pub keys: LinkKeys,
    public_url: Arc<RwLock<String>>,
    wake: Arc<tokio::sync::Notify>,
    hints: Arc<Mutex<Hints>>,
    /// The items of committed notices not yet sent, for the worker.
    items: Arc<Mutex<items::KeptItems>>,
}

/// What the worker was woken for since its last pass. A commit of notices says whose and how
/// old they are, so the worker looks at those people only instead of reading every waiting
/// notice again on every commit (a month-end burst commits many times a second); anything else
/// (settings changed, notices from another path) asks for a full look at the store.
#[derive(Debug, Default)]
pub(crate) struct Hints {
    pub(crate) full: bool,
    /// (person, severity, time) of each committed notice.
    pub(crate) notices: Vec<(String, String, Ts)>,
}

impl Notifier {
    /// Loads the link keys (made at the first start) and the live inbox from the store.
    pub async fn open(store: &dyn Store, config: NotifyConfig) -> Result<Notifier, StoreError> {
        let n = store.notify();
        let now = crate::domain::time::now_ms();
        let (current, _) = n.init_server_key("link", &link::new_key(), now).await?;
        let previous = n.server_key("link_previous").await?.map(|(s, _)| s);
        let keys = LinkKeys::default();
        keys.set(&current, previous.as_deref());
        let inbox = Inbox::load(
            n.inbox_recent(inbox::RECENT as i64).await?,
            n.inbox_unread().await?,
        );
        Ok(Notifier {
            public_url: Arc::new(RwLock::new(
                config
                    .public_url
                    .clone()
                    .unwrap_or_else(|| "http://127.0.0.1:8080".into()),
            )),
            config: Arc::new(config),
            inbox: Arc::new(inbox),
            keys,
            wake: Arc::default(),
            hints: Arc::default(),
            items: Arc::new(Mutex::new(items::KeptItems::new(items::ITEMS_KEPT))),
        })
    }

    /// Tells the worker that something changed that it must read from the store (settings,
    /// notices committed by any path): its next pass looks at everything waiting.
    pub fn wake(&self) {
        self.hints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .full = true;
        self.wake.notify_one();
    }

    /// Tells the worker that these notices were committed: its next pass looks at their
    /// people only. `items`, when given, are the notices' items in order; the worker keeps
    /// those of the notices the store added (`added`) instead of reading them back.
    pub fn wake_for(
        &self,
        notices: &[crate::store::notify::NoticeRow],
        items: Vec<Item>,
        added: &[crate::store::notify::AddedNotice],
    ) {
        if items.len() == notices.len() && !added.is_empty() && self.config.enabled {
            self.items
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .add(items, added);
        }
        {
            let mut h = self.hints.lock().unwrap_or_else(PoisonError::into_inner);
            h.notices.extend(
                notices
                    .iter()
                    .map(|n| (n.person.clone(), n.severity.clone(), n.at)),
            );
        }
        self.wake.notify_one();
    }

    /// Takes the items kept of these notices (`None`: read it from the store).
    pub(crate) fn take_items(&self, ids: impl Iterator<Item = i64>) -> Vec<(i64, Option<Item>)> {
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take(ids)
    }

    /// Keeps again the items of notices that still wait.
    pub(crate) fn put_back_items(&self, items: Vec<(i64, Item)>) {
        if items.is_empty() {
            return;
        }
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put_back(items);
    }

    /// The hints gathered since the last call.
    pub(crate) fn take_hints(&self) -> Hints {
        std::mem::take(&mut *self.hints.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Where links point when the config names no `public_url`: the address the server
    /// listens on, known once it is bound.
    pub fn listening_on(&self, addr: std::net::SocketAddr) {
        if self.config.public_url.is_none() {
            let host = if addr.ip().is_unspecified() {
                std::net::SocketAddr::new([127, 0, 0, 1].into(), addr.port())
            } else {
                addr
            };
            *self
                .public_url
                .write()
                .unwrap_or_else(PoisonError::into_inner) = format!("http://{host}");
        }
    }

    /// The signed link of a message.
    pub fn link(&self, message: i64, person: &str, unit: &str, created_at: Ts) -> compose::Link {
        let expires_at = created_at + self.config.link_ttl_ms;
        let sig = self.keys.sign(message, person, expires_at);
        compose::Link {
            url: link::url(&self.public_url(), unit, message, expires_at, &sig),
            expires_at,
        }
    }

    /// A person's policy: their own settings over their role's defaults.
    pub fn policy(&self, role: Role, own: Option<&PolicyIn>) -> Policy {
        let base = self.config.defaults(role);
        match own {
            Some(p) => base.patched(p, "").unwrap_or(base),
            None => base,
        }
    }

    /// Starts the delivery worker (one per node today; with several nodes it will run on the
    /// writer). `start_clock`: the clock the store held at start, so a digest time passed while
    /// the server was down is caught up.
    pub fn spawn_worker(
        &self,
        store: Arc<dyn Store>,
        rollup: Arc<Rollup>,
        alerts: LiveAlerts,
        bus: broadcast::Receiver<Arc<Committed>>,
        shutdown: watch::Receiver<bool>,
        start_clock: Option<Ts>,
    ) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        let w = worker::Worker::new(
            store,
            rollup,
            alerts,
            self.clone(),
            Arc::new(send::Channels::new(&self.config)?),
            start_clock.unwrap_or(0),
        );
        Ok(tokio::spawn(w.run(bus, shutdown, self.wake.clone())))
    }
}

/// Whose defaults apply to a person: a leader when they lead a unit.
pub fn role_of(rollup: &Rollup, person: &str) -> Role {
    if rollup
        .units()
        .iter()
        .any(|u| u.leader.as_deref() == Some(person))
    {
        Role::Leader
    } else {
        Role::Official
    }
}

/// The roles of these people, the units read once (`role_of` reads them per person: a pass of
/// a month-end burst asks for hundreds of people).
pub fn roles_of(rollup: &Rollup, persons: &[String]) -> HashMap<String, Role> {
    let leaders: HashSet<String> = rollup
        .units()
        .into_iter()
        .filter_map(|u| u.leader.map(|l| l.to_string()))
        .collect();
    persons
        .iter()
        .map(|p| {
            let role = if leaders.contains(p) {
                Role::Leader
            } else {
                Role::Official
            };
            (p.clone(), role)
        })
        .collect()
}

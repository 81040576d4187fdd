//! Notifications over REST: a person's contact points and policy (the person, or an admin over
//! their unit; secrets write-only; every change audited through the writer), the signed-in
//! person's inbox, the link in a message opened (signature and expiry checked, sign-in and scope
//! still required, nothing acknowledged), and for admins the contact points' health, the dead
//! letters, and the rotation of the link key.

use super::body::JsonBody;
use super::error::ApiError;
use super::ops::{Answer, Body, Kind, Operation, Param};
use crate::auth::{can_view, Actor, Principal, Role, Target};
use crate::domain::time::format_ts;
use crate::ingest::writer::NotifyWrite;
use crate::ingest::ItemError;
use crate::notify::contact::{self, ContactPoint, ContactPointIn, ContactPointOut};
use crate::notify::inbox::{self as inbox_view, InboxItem};
use crate::notify::link::LinkError;
use crate::notify::notice::ItemOut;
use crate::notify::policy::PolicyIn;
use crate::notify::{compose::Content, role_of, Invalid};
use crate::store::notify::{ContactPointRow, DeliveryRow, HealthRow};
use crate::Node;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route(
            "/people/{id}/contact-points",
            get(contact_points).put(put_contact_points),
        )
        .route("/inbox", get(inbox))
        .route("/inbox/read", post(mark_read))
        .route("/notify/link", post(open_link))
        .route("/notify/health", get(health))
        .route("/notify/dead", get(dead))
        .route("/notify/queue", get(queue))
        .route("/notify/link-key/rotate", post(rotate))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/people/{id}/contact-points", "A person's contact points (secrets shown only as set) and notification policy: their own settings, their role's defaults and the result. The person themselves or an admin over their unit.", Answer::Json("ContactPointsOut")),
    Operation::put("/api/v1/people/{id}/contact-points", "Replace a person's contact points and policy (the person, or an admin over their unit). Secrets left out keep the stored ones of the same id, \"\" clears them; a wrong field is named (422); audited.", Body::Json("ContactPointsIn"), Answer::Json("ContactPointsOut")),
    Operation::get("/api/v1/inbox", "The signed-in person's inbox, newest first, with the unread count (an account linked to no person has an empty one)", Answer::Json("InboxPage")).params(&[
        Param::query("before", Kind::Int(0, i64::MAX), "Messages before this id (paging)"),
        Param::query("limit", Kind::Int(1, 200), "At most this many (default 50)"),
    ]),
    Operation::post("/api/v1/inbox/read", "Mark messages of the signed-in person's inbox read: these ids, or all", Body::Json("ReadIn"), Answer::Json("ReadOut")),
    Operation::post("/api/v1/notify/link", "Open the link of a message: its signature and expiry are checked (403 not signed by this server, 410 expired), then the reader must be the message's person or see its unit. Shows the message; acknowledges nothing.", Body::Json("LinkIn"), Answer::Json("NotifyMessageOut")),
    Operation::get("/api/v1/notify/health", "Each contact point's deliveries, failures, last error and last success, of the people the admin administers", Answer::Array("HealthOut")),
    Operation::get("/api/v1/notify/dead", "Dead letters (deliveries whose attempts ran out), newest first, of the people the admin administers", Answer::Array("DeliveryOut")).params(&[
        Param::query("limit", Kind::Int(1, 1000), "At most this many (default 100)"),
    ]),
    Operation::get("/api/v1/notify/queue", "What waits to be sent, per person and severity (held by the group wait, quiet hours or for the digest), and how many deliveries are pending, of the people the admin administers", Answer::Json("QueueOut")),
    Operation::post("/api/v1/notify/link-key/rotate", "Sign the links of new messages with a new key (admin of the whole tree); links already sent stay valid until the next rotation or their expiry; audited", Body::None, Answer::NoContent),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    ContactPointsIn,
    ContactPointsOut,
    ContactPointIn,
    ContactPointOut,
    contact::Expect,
    PolicyIn,
    crate::notify::policy::Route,
    InboxPage,
    InboxItem,
    ItemOut,
    ReadIn,
    ReadOut,
    LinkIn,
    NotifyMessageOut,
    HealthOut,
    DeliveryOut,
    QueueOut,
    WaitingOut
)))]
pub struct Schemas;

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::Invalid(ItemError::new(e.field, e.message))
    }
}

/// A person's contact points and policy, as written.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPointsIn {
    /// The whole list: what is not in it is removed (the inbox stays: every person has one).
    pub contact_points: Vec<ContactPointIn>,
    /// The person's own settings over their role's defaults (null or left out: the defaults).
    #[serde(default)]
    pub policy: Option<PolicyIn>,
}

/// A person's contact points and policy, as read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPointsOut {
    pub person: String,
    pub person_name: String,
    /// Whose defaults apply: leader (leads a unit) or official.
    pub role: String,
    /// The inbox first unless placed; secrets as `secret_set` / `token_set`.
    pub contact_points: Vec<ContactPointOut>,
    /// The person's own settings (null: none, the role's defaults apply).
    pub policy: Option<PolicyIn>,
    /// The role's defaults (with the server's `[notify]` overrides).
    pub defaults: PolicyIn,
    /// What applies: the own settings over the defaults.
    pub effective: PolicyIn,
}

/// The person's contact points and policy may be read and changed by the person or an admin over
/// their unit; a token never.
fn may_manage(node: &Node, who: &Principal, person: &str) -> Result<String, ApiError> {
    let p = node
        .rollup
        .person(person)
        .ok_or_else(|| ApiError::NotFound(format!("no person '{person}'").into()))?;
    if matches!(who, Principal::Token(_)) {
        return Err(ApiError::Forbidden(
            "contact points are managed by people: sign in; API tokens cannot".into(),
        ));
    }
    if who.person().is_some_and(|me| &**me == person)
        || who.holds(&node.rollup, &p.unit, &[Role::Admin])
    {
        Ok(p.unit.to_string())
    } else {
        Err(ApiError::Forbidden(
            format!(
            "the contact points of '{person}' are managed by that person or an admin of unit '{}'",
            p.unit
        )
            .into(),
        ))
    }
}

async fn stored(
    node: &Node,
    person: &str,
) -> Result<(Vec<ContactPoint>, Option<PolicyIn>), ApiError> {
    let n = node.store.notify();
    let points = n
        .contact_points(&[person.to_string()])
        .await?
        .into_iter()
        .filter_map(|r| serde_json::from_str(&r.body).ok())
        .collect();
    let policy = n
        .policies(&[person.to_string()])
        .await?
        .into_iter()
        .next()
        .and_then(|(_, b)| serde_json::from_str(&b).ok());
    Ok((points, policy))
}

fn answer(
    node: &Node,
    person: &str,
    points: &[ContactPoint],
    own: Option<PolicyIn>,
) -> ContactPointsOut {
    let role = role_of(&node.rollup, person);
    let defaults = node.notifier.config.defaults(role);
    let effective = node.notifier.policy(role, own.as_ref());
    ContactPointsOut {
        person: person.to_string(),
        person_name: node
            .rollup
            .person(person)
            .map_or_else(|| person.to_string(), |p| p.name),
        role: role.as_str().into(),
        contact_points: contact::with_inbox(points.to_vec())
            .iter()
            .map(ContactPoint::out)
            .collect(),
        policy: own,
        defaults: defaults.as_settings(),
        effective: effective.as_settings(),
    }
}

async fn contact_points(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<ContactPointsOut>, ApiError> {
    may_manage(&node, &who, &id)?;
    let (points, policy) = stored(&node, &id).await?;
    Ok(Json(answer(&node, &id, &points, policy)))
}

/// What the audit trail keeps of a person's settings: everything but the secrets, which it says
/// are set or not.
fn audited(points: &[ContactPoint], policy: &Option<PolicyIn>) -> serde_json::Value {
    serde_json::json!({
        "contact_points": points.iter().map(ContactPoint::out).collect::<Vec<_>>(),
        "policy": policy,
    })
}

async fn put_contact_points(
    State(node): State<Node>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ContactPointsIn>,
) -> Result<Json<ContactPointsOut>, ApiError> {
    let unit = may_manage(&node, &actor.principal, &id)?;
    let (old_points, old_policy) = stored(&node, &id).await?;
    let mut new_id = || format!("cp-{}", &crate::notify::link::new_key()[..12]);
    let points = contact::check_all(
        &b.contact_points,
        &old_points,
        node.notifier.config.allow(),
        &mut new_id,
    )?;
    if let Some(p) = &b.policy {
        node.notifier
            .config
            .defaults(role_of(&node.rollup, &id))
            .patched(p, "policy.")?;
    }
    let rows: Vec<ContactPointRow> = points
        .iter()
        .map(|p| ContactPointRow {
            id: p.id.clone(),
            person: id.clone(),
            kind: p.channel.kind().into(),
            body: serde_json::to_string(p).unwrap_or_default(),
        })
        .collect();
    let draft = crate::audit::Draft::new(
        actor.who(),
        "notify.contact_points",
        format!("person:{id}"),
        Some(unit),
        Some(audited(&old_points, &old_policy)),
        Some(audited(&points, &b.policy)),
    );
    node.writer
        .notify(
            NotifyWrite::ContactPoints {
                person: id.clone(),
                points: rows,
                policy: b
                    .policy
                    .as_ref()
                    .map(|p| serde_json::to_string(p).unwrap_or_default()),
            },
            draft,
        )
        .await?;
    Ok(Json(answer(&node, &id, &points, b.policy)))
}

#[derive(Deserialize)]
pub struct InboxQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

/// A page of an inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage {
    /// The signed-in person (null for an account linked to no person).
    pub person: Option<String>,
    pub unread: i64,
    pub items: Vec<InboxItem>,
}

async fn inbox(
    State(node): State<Node>,
    who: Principal,
    Query(q): Query<InboxQuery>,
) -> Result<Json<InboxPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::Invalid(ItemError::new(
            "limit",
            crate::msg!("notify_between", min = 1i64, max = 200i64),
        )));
    }
    let Some(person) = who.person().map(|p| p.to_string()) else {
        return Ok(Json(InboxPage {
            person: None,
            unread: 0,
            items: Vec::new(),
        }));
    };
    let rows = node.store.notify().inbox(&person, q.before, limit).await?;
    Ok(Json(InboxPage {
        unread: node.notifier.inbox.unread(&person),
        items: rows.iter().map(inbox_view::item).collect(),
        person: Some(person),
    }))
}

/// Which messages to mark read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadIn {
    /// These messages (ids of the inbox).
    #[serde(default)]
    pub ids: Option<Vec<i64>>,
    /// Every message.
    #[serde(default)]
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadOut {
    /// Messages marked read now (those already read are not counted).
    pub marked: usize,
    pub unread: i64,
}

async fn mark_read(
    State(node): State<Node>,
    who: Principal,
    JsonBody(b): JsonBody<ReadIn>,
) -> Result<Json<ReadOut>, ApiError> {
    let ids = match (&b.ids, b.all) {
        (Some(ids), None | Some(false)) if !ids.is_empty() && ids.len() <= 1000 => {
            Some(ids.as_slice())
        }
        (None, Some(true)) => None,
        (Some(_), None | Some(false)) => {
            return Err(ApiError::Invalid(ItemError::new(
                "ids",
                crate::msg!("notify_read_ids"),
            )))
        }
        _ => {
            return Err(ApiError::Invalid(ItemError::new(
                "ids",
                crate::msg!("notify_read_ids_or_all"),
            )))
        }
    };
    // The body is checked first: a bad one is named whoever sends it.
    let person = who.person().map(|p| p.to_string()).ok_or_else(|| {
        ApiError::Forbidden("this account is linked to no person, so it has no inbox".into())
    })?;
    let marked = node
        .store
        .notify()
        .inbox_mark_read(&person, ids, crate::domain::time::now_ms())
        .await?;
    node.notifier.inbox.read(&person, &marked);
    Ok(Json(ReadOut {
        marked: marked.len(),
        unread: node.notifier.inbox.unread(&person),
    }))
}

/// A link's parts, as its URL carries them (`msg`, `exp`, `sig`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    pub msg: i64,
    pub exp: i64,
    pub sig: String,
}

/// The message a link opens.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifyMessageOut {
    pub id: i64,
    /// alerts, repeat or digest.
    pub kind: String,
    pub person: String,
    pub person_name: String,
    pub created_at: String,
    /// The unit the alert center opens on.
    pub unit: String,
    pub title_vi: String,
    pub title_en: String,
    pub items: Vec<ItemOut>,
    pub expires_at: String,
}

async fn open_link(
    State(node): State<Node>,
    who: Principal,
    JsonBody(b): JsonBody<LinkIn>,
) -> Result<Json<NotifyMessageOut>, ApiError> {
    let bad = || ApiError::Forbidden(LinkError::BadSignature.to_string().into());
    // An unknown message answers as a bad signature: links do not tell which ids exist.
    let m = node.store.notify().message(b.msg).await?.ok_or_else(bad)?;
    node.notifier
        .keys
        .verify(b.msg, &m.person, b.exp, &b.sig, node.rollup.now())
        .map_err(|e| match e {
            LinkError::Expired => ApiError::Gone(e.to_string().into()),
            LinkError::BadSignature => bad(),
        })?;
    let c: Content = Content::read(&m.body, &m.notices).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "message {}: its stored content does not parse",
            m.id
        ))
    })?;
    if who.person().is_none_or(|p| **p != *m.person) {
        can_view(&who, &node.rollup, Target::Unit(&c.unit))?;
    }
    Ok(Json(NotifyMessageOut {
        id: m.id,
        kind: c.kind.clone(),
        person: m.person.clone(),
        person_name: c.person_name.clone(),
        created_at: format_ts(c.created_at),
        unit: c.unit.clone(),
        title_vi: c.title(crate::i18n::Lang::Vi),
        title_en: c.title(crate::i18n::Lang::En),
        items: c.items.iter().map(|i| i.out()).collect(),
        expires_at: format_ts(b.exp),
    }))
}

/// The people whose contact points an admin sees (`None`: everyone).
fn administered(node: &Node, who: &Principal) -> Result<Option<Vec<String>>, ApiError> {
    if matches!(who, Principal::Token(_)) {
        return Err(ApiError::Forbidden(
            "notification health is for admins signed in; API tokens cannot".into(),
        ));
    }
    if who.holds_everywhere(&[Role::Admin]) {
        return Ok(None);
    }
    let people: Vec<String> = node
        .rollup
        .people()
        .into_iter()
        .filter(|p| who.holds(&node.rollup, &p.unit, &[Role::Admin]))
        .map(|p| p.id.to_string())
        .collect();
    if people.is_empty() {
        return Err(ApiError::Forbidden(
            "notification health is for an admin of some unit".into(),
        ));
    }
    Ok(Some(people))
}

/// A contact point's delivery record.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOut {
    pub contact_point: String,
    pub person: String,
    pub person_name: String,
    /// email, webhook, http_template or inbox.
    pub kind: String,
    pub delivered: i64,
    /// Attempts that failed.
    pub failures: i64,
    /// Failed attempts since the last success.
    pub consecutive_failures: i64,
    /// Deliveries whose attempts ran out.
    pub dead: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub last_success_at: Option<String>,
}

async fn health(
    State(node): State<Node>,
    who: Principal,
) -> Result<Json<Vec<HealthOut>>, ApiError> {
    let people = administered(&node, &who)?;
    let rows = node
        .store
        .notify()
        .health(people.as_deref().unwrap_or(&[]))
        .await?;
    Ok(Json(rows.iter().map(|r| health_out(&node, r)).collect()))
}

fn health_out(node: &Node, r: &HealthRow) -> HealthOut {
    HealthOut {
        contact_point: r.contact_point.clone(),
        person: r.person.clone(),
        person_name: node
            .rollup
            .person(&r.person)
            .map_or_else(|| r.person.clone(), |p| p.name),
        kind: r.kind.clone(),
        delivered: r.delivered,
        failures: r.failures,
        consecutive_failures: r.consecutive_failures,
        dead: r.dead,
        last_error: r.last_error.clone(),
        last_error_at: r.last_error_at.map(format_ts),
        last_success_at: r.last_success_at.map(format_ts),
    }
}

#[derive(Deserialize)]
pub struct DeadQuery {
    limit: Option<i64>,
}

/// A delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    /// The idempotency key receivers saw.
    pub id: String,
    pub message: i64,
    pub person: String,
    pub contact_point: String,
    pub kind: String,
    /// pending, delivered or dead.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
}

async fn dead(
    State(node): State<Node>,
    who: Principal,
    Query(q): Query<DeadQuery>,
) -> Result<Json<Vec<DeliveryOut>>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::Invalid(ItemError::new(
            "limit",
            crate::msg!("notify_between", min = 1i64, max = 1000i64),
        )));
    }
    let people = administered(&node, &who)?;
    let rows = node
        .store
        .notify()
        .deliveries("dead", people.as_deref().unwrap_or(&[]), limit)
        .await?;
    Ok(Json(rows.iter().map(delivery_out).collect()))
}

fn delivery_out(d: &DeliveryRow) -> DeliveryOut {
    DeliveryOut {
        id: d.id.clone(),
        message: d.message_id,
        person: d.person.clone(),
        contact_point: d.contact_point.clone(),
        kind: d.kind.clone(),
        state: d.state.clone(),
        attempts: d.attempts,
        last_error: d.last_error.clone(),
        created_at: format_ts(d.created_at),
    }
}

/// What waits.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueOut {
    pub waiting: Vec<WaitingOut>,
    /// Deliveries not yet delivered nor dead (of every person: the worker's backlog).
    pub pending: i64,
}

/// Notices of one person and severity waiting for a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingOut {
    pub person: String,
    pub severity: String,
    pub count: i64,
    /// The oldest one's time (the server's clock).
    pub since: String,
}

async fn queue(State(node): State<Node>, who: Principal) -> Result<Json<QueueOut>, ApiError> {
    let people = administered(&node, &who)?;
    let n = node.store.notify();
    let waiting = n
        .waiting()
        .await?
        .into_iter()
        .filter(|w| people.as_ref().is_none_or(|p| p.contains(&w.person)))
        .map(|w| WaitingOut {
            person: w.person,
            severity: w.severity,
            count: w.count,
            since: format_ts(w.first_at),
        })
        .collect();
    Ok(Json(QueueOut {
        waiting,
        pending: n.pending_count().await?,
    }))
}

async fn rotate(State(node): State<Node>, actor: Actor) -> Result<StatusCode, ApiError> {
    crate::auth::access::operator(
        &actor.principal,
        crate::auth::access::Operation::NotifyLinkKey,
    )?;
    let draft = crate::audit::Draft::new(
        actor.who(),
        "notify.link_key.rotate",
        "server:link-key".into(),
        None,
        None,
        Some(serde_json::json!({"rotated": true})),
    );
    node.writer
        .notify(
            NotifyWrite::RotateLinkKey {
                secret: crate::notify::link::new_key(),
            },
            draft,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

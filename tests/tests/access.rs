//! Who may see and change what (SECURITY.md), as one table: every REST route and every live
//! subscription, asked by every kind of caller — no credentials, forged, malformed, expired and
//! revoked ones, each role granted at ward p-1 aiming inside (p-1) and outside (p-2) its
//! subtree, the whole-tree admin, and API tokens — with the class of answer each must get.
//! A route in the OpenAPI document without a row here fails the test, so a new route cannot
//! slip past. Every disagreement is collected and listed before the test fails.
//!
//! Then the responsibility rules the writer checks against the task or KPI as it stands: the
//! responsible person's progress, the accountable person's acceptance, data entry of a KPI's
//! leading unit; a refused change leaves nothing behind.

use ioc_tests::{spawn_app_with_limits, task_event, with_leaders, TestApp, Ws, WsEvent, START};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Callers
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Viewer,
    DataEntry,
    Leader,
    Admin,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::DataEntry => "data_entry",
            Role::Leader => "leader",
            Role::Admin => "admin",
        }
    }
}

/// What a caller is, as far as the expected answer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// No credentials at all.
    Anon,
    /// A forged, malformed, expired or revoked credential: 401, never anonymous.
    Bad,
    /// An account with one grant: the role at p-1 (false) or over the whole tree (true).
    Role(Role, bool),
    /// An API token with `read` over p-1.
    ReadToken,
    /// An API token with `kpi_observation` over p-1: writes KPI values, reads nothing.
    IngestToken,
    /// An API token with `task` over p-1: writes task events, reads nothing.
    TaskToken,
}

struct Principal {
    label: &'static str,
    who: Who,
    /// Sent as `Authorization: Bearer …`.
    cred: Option<String>,
    /// The account's id (its password is `{id}-password-1`), for fresh sign-ins.
    account: Option<String>,
    /// The server asked (the expired session lives on a server of its own).
    base: String,
    addr: String,
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// Aimed at ward p-1 (inside the p-1 grants' subtree).
    In,
    /// Aimed at ward p-2 (outside it).
    Out,
    /// Not aimed at a unit (lists, global routes).
    Any,
}

impl Side {
    fn tag(self) -> &'static str {
        match self {
            Side::In => "in",
            Side::Out => "out",
            Side::Any => "",
        }
    }
}

/// The rule a route follows (SECURITY.md "Roles", "Who sees what", "Routes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `/`, web files, `/healthz`, `/metrics`, `/api/openapi.json`, `/api/v1/dashboard`,
    /// `POST /api/v1/session`.
    Public,
    /// A list filtered to the caller's scope: any reader.
    List,
    /// A single item or unit: a reader whose scope holds it.
    Read,
    /// A list narrowed by `?unit=`: inside allowed; outside refused or empty.
    UnitFilter,
    /// The catalog: admin over the entry's unit.
    Catalog,
    /// The clock, rule reloads, the audit verification: admin over `*`.
    GlobalAdmin,
    /// Listing accounts or tokens: an admin (filtered to the admin's scope).
    AccountsList,
    /// Accounts and tokens within the admin's scope.
    AccountsWrite,
    /// Task progress/status up to submitted: data_entry over the task's unit (or a `task` token).
    TaskProgress,
    /// Creating and planning tasks: a leader over the unit (or a `task` token).
    TaskLeader,
    /// KPI values: data_entry over the KPI's leading unit (or a `kpi_observation` token).
    KpiValue,
    /// Key-result check-ins: data_entry/leader over the objective's unit.
    KrCheckin,
    /// Satisfaction ratings: data_entry over the rating's unit.
    Rating,
    /// Acknowledge, assign, silence: a leader over the alert's unit.
    AlertAction,
    /// The caller's own session and password: any account.
    Session,
    /// KPI targets: a leader over the level above the unit (p-1 grants never reach it).
    TargetSet,
    /// A person's general-criteria scores: a leader over the person's unit.
    Criteria,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Root,
    WebJs,
    Healthz,
    Metrics,
    OpenApi,
    Dashboard,
    Login,
    UnitsList,
    UnitGet,
    UnitView,
    UnitKpis,
    UnitTasks,
    UnitPeople,
    UnitOkrs,
    UnitRedKpis,
    UnitKpiHistory,
    Review,
    ReviewChart,
    Report,
    PeopleList,
    PersonGet,
    PersonView,
    KpisList,
    KpiGet,
    ObjectivesList,
    ObjectiveGet,
    KeyResultsList,
    KeyResultGet,
    TaskGet,
    EventGet,
    ClockGet,
    AlertsList,
    AlertsOfUnit,
    AlertHistory,
    AlertHistoryOfUnit,
    SilencesList,
    RulesList,
    AuditList,
    AuditOfUnit,
    UnitPost,
    UnitPut,
    PersonPost,
    PersonPut,
    KpiPost,
    KpiPut,
    ObjectivePost,
    ObjectivePut,
    KeyResultPost,
    KeyResultPut,
    TaskCreatePut,
    TaskProgressPut,
    TaskPlanPut,
    TaskCreateEvent,
    TaskProgressEvent,
    KpiValueEvent,
    KrCheckinEvent,
    RatingEvent,
    Ack,
    Assign,
    SilencePost,
    ClockPost,
    RulesReload,
    AuditVerify,
    AccountsGet,
    AccountGet,
    AccountPost,
    AccountPut,
    TokensGet,
    TokenPost,
    TokenDelete,
    SessionGet,
    SessionDelete,
    PasswordChange,
    PeriodsList,
    PeriodGet,
    PeriodPut,
    ObjectiveTree,
    CheckIns,
    TargetsGet,
    TargetsPut,
    EvalConfig,
    EvalPerson,
    EvalCriteria,
    EvalAnnual,
    EvalUnit,
    EvalRankings,
}

struct Spec {
    op: Op,
    method: &'static str,
    /// The route's template, as in the OpenAPI document.
    path: &'static str,
    kind: Kind,
    sides: &'static [Side],
}

const IO: &[Side] = &[Side::In, Side::Out];
const ANY: &[Side] = &[Side::Any];

macro_rules! spec {
    ($op:ident, $m:literal, $p:literal, $k:ident, $s:ident) => {
        Spec {
            op: Op::$op,
            method: $m,
            path: $p,
            kind: Kind::$k,
            sides: $s,
        }
    };
}

/// Every route, in the order the matrix runs them. Session routes come last (a sign-out and a
/// password change must not cut the other rows' credentials); the password change is the very
/// last.
const SPECS: &[Spec] = &[
    spec!(Root, "GET", "/", Public, ANY),
    spec!(WebJs, "GET", "/js/api.js", Public, ANY),
    spec!(Healthz, "GET", "/healthz", Public, ANY),
    spec!(Metrics, "GET", "/metrics", Public, ANY),
    spec!(OpenApi, "GET", "/api/openapi.json", Public, ANY),
    spec!(Dashboard, "GET", "/api/v1/dashboard", Public, ANY),
    spec!(Login, "POST", "/api/v1/session", Public, ANY),
    spec!(UnitsList, "GET", "/api/v1/units", List, ANY),
    spec!(UnitGet, "GET", "/api/v1/units/{id}", Read, IO),
    spec!(UnitView, "GET", "/api/v1/units/{id}/view", Read, IO),
    spec!(UnitKpis, "GET", "/api/v1/units/{id}/kpis", Read, IO),
    spec!(UnitTasks, "GET", "/api/v1/units/{id}/tasks", Read, IO),
    spec!(UnitPeople, "GET", "/api/v1/units/{id}/people", Read, IO),
    spec!(UnitOkrs, "GET", "/api/v1/units/{id}/okrs", Read, IO),
    spec!(UnitRedKpis, "GET", "/api/v1/units/{id}/kpis/red", Read, IO),
    spec!(
        UnitKpiHistory,
        "GET",
        "/api/v1/units/{id}/kpis/history",
        Read,
        IO
    ),
    spec!(Review, "GET", "/api/v1/units/{id}/review", Read, IO),
    spec!(
        ReviewChart,
        "GET",
        "/api/v1/units/{id}/review/charts/{file}",
        Read,
        IO
    ),
    spec!(Report, "GET", "/api/v1/units/{id}/report", Read, IO),
    spec!(PeopleList, "GET", "/api/v1/people", List, ANY),
    spec!(PersonGet, "GET", "/api/v1/people/{id}", Read, IO),
    spec!(PersonView, "GET", "/api/v1/people/{id}/view", Read, IO),
    spec!(KpisList, "GET", "/api/v1/kpis", List, ANY),
    spec!(KpiGet, "GET", "/api/v1/kpis/{id}", Read, IO),
    spec!(ObjectivesList, "GET", "/api/v1/objectives", List, ANY),
    spec!(ObjectiveGet, "GET", "/api/v1/objectives/{id}", Read, IO),
    spec!(KeyResultsList, "GET", "/api/v1/key-results", List, ANY),
    spec!(KeyResultGet, "GET", "/api/v1/key-results/{id}", Read, IO),
    spec!(TaskGet, "GET", "/api/v1/tasks/{id}", Read, IO),
    spec!(EventGet, "GET", "/api/v1/events/{id}", Read, IO),
    spec!(ClockGet, "GET", "/api/v1/clock", List, ANY),
    spec!(AlertsList, "GET", "/api/v1/alerts", List, ANY),
    spec!(AlertsOfUnit, "GET", "/api/v1/alerts", UnitFilter, IO),
    spec!(AlertHistory, "GET", "/api/v1/alerts/history", List, ANY),
    spec!(
        AlertHistoryOfUnit,
        "GET",
        "/api/v1/alerts/history",
        UnitFilter,
        IO
    ),
    spec!(SilencesList, "GET", "/api/v1/silences", List, ANY),
    spec!(RulesList, "GET", "/api/v1/rules", List, ANY),
    spec!(AuditList, "GET", "/api/v1/audit", List, ANY),
    spec!(AuditOfUnit, "GET", "/api/v1/audit", UnitFilter, IO),
    spec!(UnitPost, "POST", "/api/v1/units", Catalog, IO),
    spec!(UnitPut, "PUT", "/api/v1/units/{id}", Catalog, IO),
    spec!(PersonPost, "POST", "/api/v1/people", Catalog, IO),
    spec!(PersonPut, "PUT", "/api/v1/people/{id}", Catalog, IO),
    spec!(KpiPost, "POST", "/api/v1/kpis", Catalog, IO),
    spec!(KpiPut, "PUT", "/api/v1/kpis/{id}", Catalog, IO),
    spec!(ObjectivePost, "POST", "/api/v1/objectives", Catalog, IO),
    spec!(ObjectivePut, "PUT", "/api/v1/objectives/{id}", Catalog, IO),
    spec!(KeyResultPost, "POST", "/api/v1/key-results", Catalog, IO),
    spec!(KeyResultPut, "PUT", "/api/v1/key-results/{id}", Catalog, IO),
    spec!(TaskCreatePut, "PUT", "/api/v1/tasks/{id}", TaskLeader, IO),
    spec!(
        TaskProgressPut,
        "PUT",
        "/api/v1/tasks/{id}",
        TaskProgress,
        IO
    ),
    spec!(TaskPlanPut, "PUT", "/api/v1/tasks/{id}", TaskLeader, IO),
    spec!(TaskCreateEvent, "POST", "/api/v1/events", TaskLeader, IO),
    spec!(
        TaskProgressEvent,
        "POST",
        "/api/v1/events",
        TaskProgress,
        IO
    ),
    spec!(KpiValueEvent, "POST", "/api/v1/events", KpiValue, IO),
    spec!(KrCheckinEvent, "POST", "/api/v1/events", KrCheckin, IO),
    spec!(RatingEvent, "POST", "/api/v1/events", Rating, IO),
    spec!(Ack, "POST", "/api/v1/alerts/ack", AlertAction, IO),
    spec!(Assign, "POST", "/api/v1/alerts/assign", AlertAction, IO),
    spec!(SilencePost, "POST", "/api/v1/silences", AlertAction, IO),
    spec!(ClockPost, "POST", "/api/v1/clock", GlobalAdmin, ANY),
    spec!(
        RulesReload,
        "POST",
        "/api/v1/rules/reload",
        GlobalAdmin,
        ANY
    ),
    spec!(AuditVerify, "GET", "/api/v1/audit/verify", GlobalAdmin, ANY),
    spec!(PeriodsList, "GET", "/api/v1/periods", List, ANY),
    spec!(PeriodGet, "GET", "/api/v1/periods/{label}", List, ANY),
    spec!(
        PeriodPut,
        "PUT",
        "/api/v1/periods/{label}",
        GlobalAdmin,
        ANY
    ),
    spec!(
        ObjectiveTree,
        "GET",
        "/api/v1/objectives/{id}/tree",
        Read,
        IO
    ),
    spec!(
        CheckIns,
        "GET",
        "/api/v1/key-results/{id}/check-ins",
        Read,
        IO
    ),
    spec!(TargetsGet, "GET", "/api/v1/kpis/{id}/targets", List, ANY),
    spec!(
        TargetsPut,
        "PUT",
        "/api/v1/kpis/{id}/targets",
        TargetSet,
        IO
    ),
    spec!(EvalConfig, "GET", "/api/v1/evaluations/config", List, ANY),
    spec!(
        EvalPerson,
        "GET",
        "/api/v1/evaluations/people/{id}",
        Read,
        IO
    ),
    spec!(
        EvalCriteria,
        "PUT",
        "/api/v1/evaluations/people/{id}/criteria",
        Criteria,
        IO
    ),
    spec!(
        EvalAnnual,
        "GET",
        "/api/v1/evaluations/people/{id}/annual",
        Read,
        IO
    ),
    spec!(EvalUnit, "GET", "/api/v1/evaluations/units/{id}", Read, IO),
    spec!(
        EvalRankings,
        "GET",
        "/api/v1/evaluations/units/{id}/rankings",
        Read,
        IO
    ),
    spec!(AccountsGet, "GET", "/api/v1/accounts", AccountsList, ANY),
    spec!(
        AccountGet,
        "GET",
        "/api/v1/accounts/{id}",
        AccountsWrite,
        IO
    ),
    spec!(AccountPost, "POST", "/api/v1/accounts", AccountsWrite, IO),
    spec!(
        AccountPut,
        "PUT",
        "/api/v1/accounts/{id}",
        AccountsWrite,
        IO
    ),
    spec!(TokensGet, "GET", "/api/v1/tokens", AccountsList, ANY),
    spec!(TokenPost, "POST", "/api/v1/tokens", AccountsWrite, IO),
    spec!(
        TokenDelete,
        "DELETE",
        "/api/v1/tokens/{id}",
        AccountsWrite,
        IO
    ),
    spec!(SessionGet, "GET", "/api/v1/session", Session, ANY),
    spec!(SessionDelete, "DELETE", "/api/v1/session", Session, ANY),
    spec!(
        PasswordChange,
        "POST",
        "/api/v1/session/password",
        Session,
        ANY
    ),
];

/// The WebSocket upgrade, counted with the routes for the OpenAPI comparison.
const WS_ROUTE: (&str, &str) = ("GET", "/ws");

// ---------------------------------------------------------------------------------------------
// Expected answers
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// 2xx (101 for the WebSocket upgrade; a `view`/snapshot frame for a subscription).
    Ok,
    /// 401 `unauthenticated`.
    Unauth,
    /// 403 `forbidden` with a non-empty reason.
    Forbidden,
    /// 401 `unauthenticated` or 403 `forbidden`: SECURITY.md does not say which (an API token
    /// asking for the session routes).
    Denied,
    /// A public route with a bad credential: SECURITY.md says a bad credential is never treated
    /// as anonymous, but also that the route needs none; either answer is taken.
    PublicOrUnauth,
    /// A `?unit=` outside the scope: 403, or a 2xx with nothing in it.
    ForbiddenOrEmpty,
    /// An ingest-only token at `/ws`: refused (403), or admitted with every subscription refused.
    UpgradeOrForbidden,
}

fn in_scope(who: Who, side: Side) -> bool {
    match who {
        Who::Role(_, true) => true,
        Who::Role(_, false) | Who::ReadToken | Who::IngestToken | Who::TaskToken => {
            side != Side::Out
        }
        Who::Anon | Who::Bad => false,
    }
}

fn expect(kind: Kind, who: Who, side: Side) -> Expect {
    use Expect::*;
    match who {
        Who::Anon => {
            return if kind == Kind::Public { Ok } else { Unauth };
        }
        Who::Bad => {
            return if kind == Kind::Public {
                PublicOrUnauth
            } else {
                Unauth
            };
        }
        _ => {}
    }
    let reader = matches!(who, Who::Role(..) | Who::ReadToken);
    let scope = in_scope(who, side);
    let role = |r: Role| matches!(who, Who::Role(x, _) if x == r);
    let allow = |yes: bool| if yes { Ok } else { Forbidden };
    match kind {
        Kind::Public => Ok,
        Kind::List => allow(reader),
        Kind::Read => allow(reader && scope),
        Kind::UnitFilter => {
            if !reader {
                Forbidden
            } else if scope {
                Ok
            } else {
                ForbiddenOrEmpty
            }
        }
        Kind::Catalog => allow(role(Role::Admin) && scope),
        Kind::GlobalAdmin => allow(who == Who::Role(Role::Admin, true)),
        Kind::AccountsList => allow(role(Role::Admin)),
        Kind::AccountsWrite => allow(role(Role::Admin) && scope),
        Kind::TaskProgress => allow((role(Role::DataEntry) || who == Who::TaskToken) && scope),
        Kind::TaskLeader => allow((role(Role::Leader) || who == Who::TaskToken) && scope),
        Kind::KpiValue => allow((role(Role::DataEntry) || who == Who::IngestToken) && scope),
        Kind::KrCheckin => allow((role(Role::DataEntry) || role(Role::Leader)) && scope),
        Kind::Rating => allow(role(Role::DataEntry) && scope),
        Kind::AlertAction => allow(role(Role::Leader) && scope),
        Kind::TargetSet => allow(who == Who::Role(Role::Leader, true)),
        Kind::Criteria => allow(role(Role::Leader) && scope),
        Kind::Session => {
            if matches!(who, Who::Role(..)) {
                Ok
            } else {
                Denied
            }
        }
    }
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn error_message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or("")
}

/// The list a body carries: the body itself, or its `items`/`entries`/`tasks`/… array.
fn list_of(body: &Value) -> Option<&Vec<Value>> {
    if let Some(a) = body.as_array() {
        return Some(a);
    }
    ["items", "entries", "alerts", "accounts", "tokens"]
        .iter()
        .find_map(|k| body[*k].as_array())
}

fn is_empty_list(body: &Value) -> bool {
    list_of(body).is_some_and(|l| l.is_empty())
}

fn meets(e: Expect, status: u16, body: &Value) -> bool {
    let ok = (200..300).contains(&status) || status == 101;
    let unauth = status == 401 && error_code(body) == "unauthenticated";
    let forbidden =
        status == 403 && error_code(body) == "forbidden" && !error_message(body).trim().is_empty();
    match e {
        Expect::Ok => ok,
        Expect::Unauth => unauth,
        Expect::Forbidden => forbidden,
        Expect::Denied => unauth || forbidden,
        Expect::PublicOrUnauth => ok || unauth,
        Expect::ForbiddenOrEmpty => forbidden || (ok && is_empty_list(body)),
        Expect::UpgradeOrForbidden => ok || forbidden,
    }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn next_n() -> usize {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// Random hex without a random-number crate: std's per-instance SipHash keys.
fn random_hex(len: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut s = String::new();
    while s.len() < len {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(next_n());
        s.push_str(&format!("{:016x}", h.finish()));
    }
    s.truncate(len);
    s
}

struct Probe {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).expect("method")
}

/// One request with this bearer credential (none: anonymous) on a client that adds nothing.
async fn call(base: &str, cred: Option<&str>, p: &Probe) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut r = client.request(p.method.clone(), format!("{base}{}", p.path));
    if let Some(c) = cred {
        r = r.header("authorization", format!("Bearer {c}"));
    }
    if let Some(b) = &p.body {
        r = r.json(b);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text.chars().take(300).collect())),
    )
}

async fn send_as(
    app: &TestApp,
    cred: &str,
    m: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call(
        &app.base,
        Some(cred),
        &Probe {
            method: method(m),
            path: path.to_string(),
            body,
        },
    )
    .await
}

async fn ok_as(app: &TestApp, cred: &str, m: &str, path: &str, body: Option<Value>) -> Value {
    let (status, got) = send_as(app, cred, m, path, body.clone()).await;
    assert!(
        (200..300).contains(&status),
        "setup {m} {path} {}: {status} {got}",
        body.unwrap_or(Value::Null)
    );
    got
}

/// Signs in with a login and password; the session token.
async fn sign_in(base: &str, login: &str, password: &str) -> Result<String, (u16, Value)> {
    let (status, body) = call(
        base,
        None,
        &Probe {
            method: Method::POST,
            path: "/api/v1/session".into(),
            body: Some(json!({"login": login, "password": password})),
        },
    )
    .await;
    match body["token"].as_str() {
        Some(t) if status == 200 => Ok(t.to_string()),
        _ => Err((status, body)),
    }
}

/// The body of `POST /api/v1/accounts`.
fn account_body(id: &str, person: Option<&str>, grants: &[(&str, &str)]) -> Value {
    json!({
        "id": id,
        "name": format!("Tài khoản {id}"),
        "password": format!("{id}-password-1"),
        "person": person,
        "grants": grants.iter().map(|(role, unit)| json!({"role": role, "unit": unit})).collect::<Vec<_>>(),
    })
}

/// The body of `POST /api/v1/tokens`.
fn token_body(
    name: &str,
    units: &[&str],
    permissions: &[&str],
    expires_at: Option<String>,
) -> Value {
    json!({"name": name, "units": units, "permissions": permissions, "expires_at": expires_at})
}

/// Creates an API token as `admin`: (id, the bearer secret `ioct_<id>_<secret>`).
async fn create_token(
    app: &TestApp,
    admin: &str,
    units: &[&str],
    permissions: &[&str],
    expires_at: Option<String>,
) -> (String, String) {
    let name = format!("token-{}", next_n());
    let body = ok_as(
        app,
        admin,
        "POST",
        "/api/v1/tokens",
        Some(token_body(&name, units, permissions, expires_at)),
    )
    .await;
    let id = match &body["id"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("a token without an id: {other} in {body}"),
    };
    let secret = body["token"]
        .as_str()
        .or_else(|| body["secret"].as_str())
        .unwrap_or_else(|| panic!("the token's secret is shown once: {body}"))
        .to_string();
    assert!(secret.starts_with("ioct_"), "{secret}");
    (id, secret)
}

// ---------------------------------------------------------------------------------------------
// The city the matrix runs on
// ---------------------------------------------------------------------------------------------

/// The fixture plus what p-2 lacks to be aimed at: a KPI led by p-2, an objective and key result
/// of p-2, a task in each ward, a red KPI alert in each ward; and a person w5 next to w2.
struct City {
    /// Admin, leader and data entry over the whole tree: the setup's hands.
    ops: String,
    clock: String,
}

fn kn2() -> Value {
    json!({"code": "KN2", "name": "Số đơn khiếu nại tồn đọng (Ba Đình)", "unit_of_measure": "đơn",
           "thresholds": {"direction": "lower_is_better", "green": 2, "red": 5}, "frequency": "monthly",
           "group": "internal", "leading_unit": "p-2"})
}

fn kn() -> Value {
    json!({"code": "KN", "name": "Số đơn khiếu nại tồn đọng", "unit_of_measure": "đơn",
           "thresholds": {"direction": "lower_is_better", "green": 2, "red": 5}, "frequency": "monthly",
           "group": "internal", "leading_unit": "p-1"})
}

fn o_p1() -> Value {
    json!({"id": "o-p1", "unit": "p-1", "title": "Giải quyết hồ sơ đúng hạn", "period": "2026-Q4", "parent": "o-city", "owner": "w1"})
}

fn o_p2() -> Value {
    json!({"id": "o-p2", "unit": "p-2", "title": "Giảm đơn tồn đọng", "period": "2026-Q4", "owner": "w3"})
}

fn kr3() -> Value {
    json!({"id": "kr-3", "objective": "o-p1", "title": "Hồ sơ đúng hạn", "start": 80, "target": 100, "unit_of_measure": "%"})
}

fn kr4() -> Value {
    json!({"id": "kr-4", "objective": "o-p2", "title": "Đơn tồn đọng", "start": 10, "target": 2, "unit_of_measure": "đơn"})
}

/// Generous rate limits: the matrix sends well over a thousand requests from one address.
fn generous() -> ioc::http::Limits {
    ioc::http::Limits {
        max_body_bytes: 8 * 1024 * 1024,
        ..ioc_tests::test_limits()
    }
}

async fn city(app: &TestApp) -> City {
    app.load_fixture().await;
    with_leaders(app).await;
    let admin = app.token.clone();
    for (path, body) in [
        (
            "/api/v1/people",
            json!({"id": "w5", "name": "Đỗ Văn Giang", "unit": "p-1.vh", "position": "Cán bộ"}),
        ),
        ("/api/v1/kpis", kn2()),
        ("/api/v1/objectives", o_p2()),
        ("/api/v1/key-results", kr4()),
    ] {
        ok_as(app, &admin, "POST", path, Some(body)).await;
    }
    let ops = app
        .account(
            "ops",
            None,
            &[("admin", "*"), ("leader", "*"), ("data_entry", "*")],
        )
        .await;
    ok_as(
        app,
        &ops,
        "POST",
        "/api/v1/events",
        Some(json!([
            task_event("e-in", "t-in", "w2", "2026-12-31", START),
            task_event("e-out", "t-out", "w4", "2026-12-31", START),
            {"type": "kpi_observation", "id": "red-in", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 80.0},
            {"type": "kpi_observation", "id": "red-out", "at": START, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": 80.0}
        ])),
    )
    .await;
    let alerts = ok_as(app, &ops, "GET", "/api/v1/alerts?unit=hn", None).await;
    for subject in ["TTHC@p-1", "TTHC@p-2"] {
        assert!(
            list_of(&alerts)
                .unwrap()
                .iter()
                .any(|a| a["subject"] == subject),
            "setup: no alert for {subject} in {alerts}"
        );
    }
    ok_as(
        app,
        &admin,
        "PUT",
        "/api/v1/periods/2026",
        Some(json!({"state": "active"})),
    )
    .await;
    let clock = ok_as(app, &ops, "GET", "/api/v1/clock", None).await["now"]
        .as_str()
        .expect("the clock")
        .to_string();
    City { ops, clock }
}

/// The request a row sends. `n` makes ids unique across rows.
fn probe(op: Op, side: Side, n: usize, city: &City) -> Probe {
    let inside = side != Side::Out;
    let pick = |a: &str, b: &str| if inside { a.to_string() } else { b.to_string() };
    let ward = pick("p-1", "p-2");
    let at = format!("2026-11-02T09:{:02}:{:02}+07:00", (n / 60) % 60, n % 60);
    use Op::*;
    let (m, path, body): (&str, String, Option<Value>) = match op {
        Root => ("GET", "/".into(), None),
        WebJs => ("GET", "/js/api.js".into(), None),
        Healthz => ("GET", "/healthz".into(), None),
        Metrics => ("GET", "/metrics".into(), None),
        OpenApi => ("GET", "/api/openapi.json".into(), None),
        Dashboard => ("GET", "/api/v1/dashboard".into(), None),
        Login => (
            "POST",
            "/api/v1/session".into(),
            // The first-run admin exists on every test server (the expired session's too).
            Some(json!({"login": "admin", "password": ioc_tests::ADMIN_PASSWORD})),
        ),
        UnitsList => ("GET", "/api/v1/units".into(), None),
        UnitGet => ("GET", format!("/api/v1/units/{ward}"), None),
        UnitView => ("GET", format!("/api/v1/units/{ward}/view"), None),
        UnitKpis => ("GET", format!("/api/v1/units/{ward}/kpis"), None),
        UnitTasks => ("GET", format!("/api/v1/units/{ward}/tasks"), None),
        UnitPeople => ("GET", format!("/api/v1/units/{ward}/people"), None),
        UnitOkrs => ("GET", format!("/api/v1/units/{ward}/okrs"), None),
        UnitRedKpis => ("GET", format!("/api/v1/units/{ward}/kpis/red"), None),
        UnitKpiHistory => ("GET", format!("/api/v1/units/{ward}/kpis/history"), None),
        Review => ("GET", format!("/api/v1/units/{ward}/review"), None),
        ReviewChart => (
            "GET",
            format!("/api/v1/units/{ward}/review/charts/overdue.svg"),
            None,
        ),
        Report => ("GET", format!("/api/v1/units/{ward}/report"), None),
        PeopleList => ("GET", "/api/v1/people".into(), None),
        PersonGet => ("GET", format!("/api/v1/people/{}", pick("w1", "w3")), None),
        PersonView => (
            "GET",
            format!("/api/v1/people/{}/view", pick("w2", "w3")),
            None,
        ),
        KpisList => ("GET", "/api/v1/kpis".into(), None),
        KpiGet => ("GET", format!("/api/v1/kpis/{}", pick("KN", "KN2")), None),
        ObjectivesList => ("GET", "/api/v1/objectives".into(), None),
        ObjectiveGet => (
            "GET",
            format!("/api/v1/objectives/{}", pick("o-p1", "o-p2")),
            None,
        ),
        KeyResultsList => ("GET", "/api/v1/key-results".into(), None),
        KeyResultGet => (
            "GET",
            format!("/api/v1/key-results/{}", pick("kr-3", "kr-4")),
            None,
        ),
        TaskGet => (
            "GET",
            format!("/api/v1/tasks/{}", pick("t-in", "t-out")),
            None,
        ),
        EventGet => (
            "GET",
            format!("/api/v1/events/{}", pick("e-in", "e-out")),
            None,
        ),
        ClockGet => ("GET", "/api/v1/clock".into(), None),
        AlertsList => ("GET", "/api/v1/alerts".into(), None),
        AlertsOfUnit => ("GET", format!("/api/v1/alerts?unit={ward}"), None),
        AlertHistory => ("GET", "/api/v1/alerts/history".into(), None),
        AlertHistoryOfUnit => ("GET", format!("/api/v1/alerts/history?unit={ward}"), None),
        SilencesList => ("GET", "/api/v1/silences".into(), None),
        RulesList => ("GET", "/api/v1/rules".into(), None),
        AuditList => ("GET", "/api/v1/audit".into(), None),
        AuditOfUnit => ("GET", format!("/api/v1/audit?unit={ward}"), None),
        UnitPost => (
            "POST",
            "/api/v1/units".into(),
            Some(
                json!({"id": format!("u-{n}"), "name": format!("Tổ {n}"), "level": "division", "parent": ward}),
            ),
        ),
        UnitPut => {
            let body = if inside {
                json!({"id": "p-1.vh", "name": "Phòng Văn hóa - Xã hội", "level": "division", "parent": "p-1"})
            } else {
                json!({"id": "p-2", "name": "Phường Ba Đình", "level": "ward", "parent": "hn", "leader": "w3"})
            };
            let id = body["id"].as_str().unwrap().to_string();
            ("PUT", format!("/api/v1/units/{id}"), Some(body))
        }
        PersonPost => (
            "POST",
            "/api/v1/people".into(),
            Some(
                json!({"id": format!("x{n}"), "name": format!("Cán bộ {n}"), "unit": ward, "position": "Cán bộ"}),
            ),
        ),
        PersonPut => {
            let body = if inside {
                json!({"id": "w1", "name": "Lê Văn Cường", "unit": "p-1", "position": "Chủ tịch UBND phường"})
            } else {
                json!({"id": "w3", "name": "Hoàng Minh Đức", "unit": "p-2", "position": "Chủ tịch UBND phường"})
            };
            let id = body["id"].as_str().unwrap().to_string();
            ("PUT", format!("/api/v1/people/{id}"), Some(body))
        }
        KpiPost => (
            "POST",
            "/api/v1/kpis".into(),
            Some(
                json!({"code": format!("KX{n}"), "name": format!("Chỉ số {n}"), "unit_of_measure": "%",
                        "thresholds": {"direction": "higher_is_better", "green": 90, "red": 80},
                        "frequency": "monthly", "group": "internal", "leading_unit": ward}),
            ),
        ),
        KpiPut => {
            let body = if inside { kn() } else { kn2() };
            let id = body["code"].as_str().unwrap().to_string();
            ("PUT", format!("/api/v1/kpis/{id}"), Some(body))
        }
        ObjectivePost => (
            "POST",
            "/api/v1/objectives".into(),
            Some(
                json!({"id": format!("o-{n}"), "unit": ward, "title": format!("Mục tiêu {n}"), "period": "2026"}),
            ),
        ),
        ObjectivePut => {
            let body = if inside { o_p1() } else { o_p2() };
            let id = body["id"].as_str().unwrap().to_string();
            ("PUT", format!("/api/v1/objectives/{id}"), Some(body))
        }
        KeyResultPost => (
            "POST",
            "/api/v1/key-results".into(),
            Some(
                json!({"id": format!("kr-x{n}"), "objective": pick("o-p1", "o-p2"), "title": format!("Kết quả {n}"),
                        "start": 0, "target": 10, "unit_of_measure": "%"}),
            ),
        ),
        KeyResultPut => {
            let body = if inside { kr3() } else { kr4() };
            let id = body["id"].as_str().unwrap().to_string();
            ("PUT", format!("/api/v1/key-results/{id}"), Some(body))
        }
        TaskCreatePut => (
            "PUT",
            format!("/api/v1/tasks/tn-{n}"),
            Some(
                json!({"title": format!("Nhiệm vụ {n}"), "responsible": pick("w2", "w4"), "deadline": "2026-12-31", "at": START}),
            ),
        ),
        TaskProgressPut => (
            "PUT",
            format!("/api/v1/tasks/{}", pick("t-in", "t-out")),
            Some(json!({"progress": (n % 90) + 1, "at": at})),
        ),
        TaskPlanPut => (
            "PUT",
            format!("/api/v1/tasks/{}", pick("t-in", "t-out")),
            Some(json!({"deadline": format!("2026-12-{:02}", 10 + n % 20), "at": at})),
        ),
        TaskCreateEvent => (
            "POST",
            "/api/v1/events".into(),
            Some(json!([task_event(
                &format!("ev-{n}"),
                &format!("te-{n}"),
                &pick("w2", "w4"),
                "2026-12-31",
                START
            )])),
        ),
        TaskProgressEvent => (
            "POST",
            "/api/v1/events".into(),
            Some(
                json!([{"type": "task", "id": format!("ev-{n}"), "at": at, "task_id": pick("t-in", "t-out"), "progress": (n % 90) + 1}]),
            ),
        ),
        KpiValueEvent => (
            "POST",
            "/api/v1/events".into(),
            Some(
                json!([{"type": "kpi_observation", "id": format!("ev-{n}"), "at": at, "kpi": pick("KN", "KN2"),
                         "unit": ward, "period": "2026-10", "value": (n % 4) as f64}]),
            ),
        ),
        KrCheckinEvent => (
            "POST",
            "/api/v1/events".into(),
            Some(
                json!([{"type": "kr_checkin", "id": format!("ev-{n}"), "at": at, "key_result": pick("kr-3", "kr-4"), "value": if inside { 85 } else { 5 }}]),
            ),
        ),
        RatingEvent => (
            "POST",
            "/api/v1/events".into(),
            Some(
                json!([{"type": "satisfaction_rating", "id": format!("ev-{n}"), "at": at, "unit": ward, "service": "Khai sinh", "score": 4}]),
            ),
        ),
        Ack => (
            "POST",
            "/api/v1/alerts/ack".into(),
            Some(
                json!({"rule": "builtin.kpi_thresholds", "subject": pick("TTHC@p-1", "TTHC@p-2"), "comment": "Đang xử lý"}),
            ),
        ),
        Assign => (
            "POST",
            "/api/v1/alerts/assign".into(),
            Some(
                json!({"rule": "builtin.kpi_thresholds", "subject": pick("TTHC@p-1", "TTHC@p-2"), "person": pick("w2", "w4")}),
            ),
        ),
        SilencePost => (
            "POST",
            "/api/v1/silences".into(),
            Some(
                json!({"unit": ward, "until": "2026-11-09T08:00:00+07:00", "reason": "Họp giao ban"}),
            ),
        ),
        ClockPost => (
            "POST",
            "/api/v1/clock".into(),
            Some(json!({"now": city.clock})),
        ),
        RulesReload => ("POST", "/api/v1/rules/reload".into(), None),
        AuditVerify => ("GET", "/api/v1/audit/verify".into(), None),
        AccountsGet => ("GET", "/api/v1/accounts".into(), None),
        AccountPost => (
            "POST",
            "/api/v1/accounts".into(),
            Some(account_body(
                &format!("acc-{n}"),
                None,
                &[("viewer", ward.as_str())],
            )),
        ),
        AccountGet => (
            "GET",
            format!("/api/v1/accounts/{}", pick("acc-in", "acc-out")),
            None,
        ),
        AccountPut => {
            let id = pick("acc-in", "acc-out");
            (
                "PUT",
                format!("/api/v1/accounts/{id}"),
                Some(account_body(&id, None, &[("viewer", ward.as_str())])),
            )
        }
        TokensGet => ("GET", "/api/v1/tokens".into(), None),
        TokenPost => (
            "POST",
            "/api/v1/tokens".into(),
            Some(token_body(
                &format!("tok-{n}"),
                &[ward.as_str()],
                &["read"],
                None,
            )),
        ),
        // The id is filled in with a fresh token before the row runs.
        TokenDelete => ("DELETE", "/api/v1/tokens/{id}".into(), None),
        PeriodsList => ("GET", "/api/v1/periods".into(), None),
        PeriodGet => ("GET", "/api/v1/periods/2026".into(), None),
        PeriodPut => (
            "PUT",
            "/api/v1/periods/2026".into(),
            Some(json!({"state": "active"})),
        ),
        ObjectiveTree => (
            "GET",
            format!("/api/v1/objectives/{}/tree", pick("o-p1", "o-p2")),
            None,
        ),
        CheckIns => (
            "GET",
            format!("/api/v1/key-results/{}/check-ins", pick("kr-3", "kr-4")),
            None,
        ),
        TargetsGet => ("GET", "/api/v1/kpis/TTHC/targets".into(), None),
        TargetsPut => (
            "PUT",
            "/api/v1/kpis/TTHC/targets".into(),
            Some(json!([{"unit": ward, "period": "2026", "target": 95}])),
        ),
        EvalConfig => ("GET", "/api/v1/evaluations/config".into(), None),
        EvalPerson => (
            "GET",
            format!(
                "/api/v1/evaluations/people/{}?period=2026-11",
                pick("w2", "w3")
            ),
            None,
        ),
        EvalCriteria => (
            "PUT",
            format!(
                "/api/v1/evaluations/people/{}/criteria?period=2026-11",
                pick("w2", "w4")
            ),
            Some(
                json!({"scores": {"politics": 6, "ethics": 6, "work_style": 5, "discipline": 5, "learning": 5}}),
            ),
        ),
        EvalAnnual => (
            "GET",
            format!("/api/v1/evaluations/people/{}/annual", pick("w2", "w3")),
            None,
        ),
        EvalUnit => ("GET", format!("/api/v1/evaluations/units/{ward}"), None),
        EvalRankings => (
            "GET",
            format!("/api/v1/evaluations/units/{ward}/rankings?by=position"),
            None,
        ),
        SessionGet => ("GET", "/api/v1/session".into(), None),
        SessionDelete => ("DELETE", "/api/v1/session".into(), None),
        // The body is filled in with the account's password before the row runs.
        PasswordChange => ("POST", "/api/v1/session/password".into(), None),
    };
    // Routes that take a body get one even when the row builds none, so an answer is about
    // credentials and never about a missing body.
    let body = body.or_else(|| (m == "POST" || m == "PUT").then(|| json!({})));
    Probe {
        method: method(m),
        path,
        body,
    }
}

/// Fields that must not show what lies outside p-1 in a list served to a p-1 caller.
fn leak_check(op: Op) -> Option<(&'static str, &'static str)> {
    match op {
        Op::UnitsList => Some(("id", "p-2")),
        Op::PeopleList => Some(("unit", "p-2")),
        Op::KpisList => Some(("leading_unit", "p-2")),
        Op::ObjectivesList => Some(("unit", "p-2")),
        Op::KeyResultsList => Some(("objective", "o-p2")),
        Op::AlertsList | Op::AlertHistory => Some(("unit", "p-2")),
        Op::AuditList => Some(("unit", "p-2")),
        Op::TargetsGet => Some(("unit", "p-2")),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

struct Matrix {
    rows: usize,
    mismatches: Vec<String>,
    /// For the summary: row label -> principal label -> cell.
    grid: BTreeMap<(usize, String), BTreeMap<&'static str, String>>,
}

impl Matrix {
    fn record(
        &mut self,
        order: usize,
        row: &str,
        who: &'static str,
        e: Expect,
        (status, body): (u16, &Value),
        extra: Option<String>,
    ) {
        self.rows += 1;
        let ok = meets(e, status, body) && extra.is_none();
        let cell = format!("{status}{}", if ok { "" } else { "!" });
        self.grid
            .entry((order, row.to_string()))
            .or_default()
            .insert(who, cell);
        if !ok {
            let body: String = body.to_string().chars().take(400).collect();
            self.mismatches.push(format!(
                "{row} as {who}: expected {e:?}, got {status} {}{}",
                body,
                extra.map(|x| format!(" ({x})")).unwrap_or_default()
            ));
        }
    }

    fn print(&self, principals: &[&'static str]) {
        let width = 10;
        let mut out = format!("{:<58}", "route \\ caller");
        for p in principals {
            let short: String = p.chars().take(width - 1).collect();
            out.push_str(&format!("{short:>width$}"));
        }
        out.push('\n');
        for ((_, row), cells) in &self.grid {
            let short: String = row.chars().take(57).collect();
            out.push_str(&format!("{short:<58}"));
            for p in principals {
                out.push_str(&format!(
                    "{:>width$}",
                    cells.get(p).map(String::as_str).unwrap_or("-")
                ));
            }
            out.push('\n');
        }
        println!("{out}");
        println!(
            "access matrix: {} rows checked, {} mismatches ('!' marks them)",
            self.rows,
            self.mismatches.len()
        );
    }
}

/// Subscribes and reads the answer: (200, frame) for a snapshot, or the error frame as an
/// HTTP-like (status, {"error": {code, message}}) so one check serves both.
async fn ws_subscribe(ws: &mut Ws, view: &str, id: &str) -> (u16, Value) {
    ws.subscribe(view, id).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = match tokio::time::timeout(left, ws.next_message()).await {
            Ok(m) => m,
            Err(_) => return (0, json!({"no answer": format!("{view} {id}")})),
        };
        let v = match msg {
            WsEvent::Json(v) => v,
            WsEvent::Closed(code) => return (0, json!({"closed": code})),
        };
        let same = v["id"] == id && (v["view"] == view || v.get("view").is_none());
        match v["type"].as_str().unwrap_or("") {
            "view" if view != "alerts" && same => return (200, v),
            "alert_snapshot" if view == "alerts" && v["id"] == id => return (200, v),
            "error" if same || v.get("id").is_none() => {
                let code = v["code"].as_str().unwrap_or("").to_string();
                let status = match code.as_str() {
                    "forbidden" => 403,
                    "not_found" => 404,
                    _ => 400,
                };
                return (
                    status,
                    json!({"error": {"code": code, "message": v["message"]}, "frame": v}),
                );
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_and_subscription_answers_each_caller_as_security_md_says() {
    // A server whose sessions last four seconds, for the expired session; started first so its
    // session has expired by the time the matrix runs.
    let short = {
        let mut limits = generous();
        limits.auth.session_ttl = Duration::from_secs(4);
        spawn_app_with_limits(limits).await
    };
    let expired_session = short.token.clone();
    let short_started = Instant::now();

    let app = spawn_app_with_limits(generous()).await;
    let city = city(&app).await;
    let admin = app.token.clone();

    // (label, who, account id, session token)
    let mut accounts: Vec<(&'static str, Who, String, String)> = Vec::new();
    for (label, role, unit, id) in [
        ("viewer", Role::Viewer, "p-1", "m-viewer"),
        ("d_entry", Role::DataEntry, "p-1", "m-data-entry"),
        ("leader", Role::Leader, "p-1", "m-leader"),
        ("admin", Role::Admin, "p-1", "m-admin"),
        ("root", Role::Admin, "*", "m-root"),
    ] {
        let token = app.account(id, None, &[(role.name(), unit)]).await;
        accounts.push((label, Who::Role(role, unit == "*"), id.to_string(), token));
    }
    // Targets of the account routes and the sign-in row.
    app.account("acc-in", None, &[("viewer", "p-1")]).await;
    app.account("acc-out", None, &[("viewer", "p-2")]).await;
    app.account("m-probe", None, &[("viewer", "p-1")]).await;

    let (read_id, read_token) = create_token(&app, &admin, &["p-1"], &["read"], None).await;
    let (_, ingest_token) = create_token(&app, &admin, &["p-1"], &["kpi_observation"], None).await;
    let (_, task_token) = create_token(&app, &admin, &["p-1"], &["task"], None).await;
    let expires = chrono::Utc::now() + chrono::Duration::seconds(3);
    let (_, expired_token) = create_token(
        &app,
        &admin,
        &["p-1"],
        &["read"],
        Some(expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)),
    )
    .await;
    let (revoked_id, revoked_token) = create_token(&app, &admin, &["p-1"], &["read"], None).await;
    // The tokens work before they are revoked or expire.
    for t in [&read_token, &revoked_token] {
        let (status, body) = send_as(&app, t, "GET", "/api/v1/units/p-1/view", None).await;
        assert_eq!(status, 200, "a fresh read token: {body}");
    }
    let (status, body) = send_as(
        &app,
        &admin,
        "DELETE",
        &format!("/api/v1/tokens/{revoked_id}"),
        None,
    )
    .await;
    assert!((200..300).contains(&status), "revoking: {status} {body}");

    let here =
        |label: &'static str, who: Who, cred: Option<String>, account: Option<String>| Principal {
            label,
            who,
            cred,
            account,
            base: app.base.clone(),
            addr: app.addr.to_string(),
        };
    let mut principals = vec![
        here("anon", Who::Anon, None, None),
        here(
            "forged-s",
            Who::Bad,
            Some(format!("iocs_{}", random_hex(43))),
            None,
        ),
        here(
            "forged-t",
            Who::Bad,
            Some(format!("ioct_{read_id}_{}", random_hex(40))),
            None,
        ),
        here("malformed", Who::Bad, Some("not-a-credential".into()), None),
        here("expired-t", Who::Bad, Some(expired_token), None),
        Principal {
            label: "expired-s",
            who: Who::Bad,
            cred: Some(expired_session),
            account: None,
            base: short.base.clone(),
            addr: short.addr.to_string(),
        },
        here("revoked-t", Who::Bad, Some(revoked_token), None),
    ];
    for (label, who, id, token) in &accounts {
        principals.push(here(label, *who, Some(token.clone()), Some(id.clone())));
    }
    principals.push(here("read-t", Who::ReadToken, Some(read_token), None));
    principals.push(here("ingest-t", Who::IngestToken, Some(ingest_token), None));
    principals.push(here("task-t", Who::TaskToken, Some(task_token), None));
    let labels: Vec<&'static str> = principals.iter().map(|p| p.label).collect();

    // Past the token's expiry and the short server's session lifetime (not a timing claim:
    // a generous wait so both are surely over).
    let until_expired = (expires + chrono::Duration::seconds(1)) - chrono::Utc::now();
    if let Ok(d) = until_expired.to_std() {
        tokio::time::sleep(d).await;
    }
    let session_over = Duration::from_secs(5);
    if short_started.elapsed() < session_over {
        tokio::time::sleep(session_over - short_started.elapsed()).await;
    }

    let mut m = Matrix {
        rows: 0,
        mismatches: Vec::new(),
        grid: BTreeMap::new(),
    };

    // Every route the server documents has a row.
    let doc = ok_as(&app, &admin, "GET", "/api/openapi.json", None).await;
    let normal = |p: &str| {
        let mut out = String::new();
        let mut skip = false;
        for c in p.chars() {
            match c {
                '{' => {
                    skip = true;
                    out.push_str("{}");
                }
                '}' => skip = false,
                _ if skip => {}
                _ => out.push(c),
            }
        }
        out
    };
    let covered: BTreeSet<(String, String)> = SPECS
        .iter()
        .map(|s| (s.method.to_lowercase(), normal(s.path)))
        .chain(std::iter::once((
            WS_ROUTE.0.to_lowercase(),
            WS_ROUTE.1.to_string(),
        )))
        .collect();
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            documented.insert((method.to_lowercase(), normal(path)));
            if !covered.contains(&(method.to_lowercase(), normal(path))) {
                m.mismatches.push(format!(
                    "{} {path}: documented in /api/openapi.json but has no row in the access matrix",
                    method.to_uppercase()
                ));
            }
        }
    }
    let undocumented: Vec<String> = covered
        .difference(&documented)
        .filter(|(_, p)| p.starts_with("/api/v1") && p != "/api/v1/dashboard")
        .map(|(m, p)| format!("{} {p}", m.to_uppercase()))
        .collect();
    if !undocumented.is_empty() {
        println!("routes checked here that /api/openapi.json does not list: {undocumented:?}");
    }

    // The REST routes, all but the password change.
    for (order, s) in SPECS.iter().enumerate() {
        if s.op == Op::PasswordChange {
            continue;
        }
        for &side in s.sides {
            let row = format!("{} {} {}", s.method, s.path, side.tag())
                .trim()
                .to_string();
            let row = match s.op {
                Op::AlertsOfUnit | Op::AlertHistoryOfUnit | Op::AuditOfUnit => {
                    format!("{} {}?unit= {}", s.method, s.path, side.tag())
                }
                Op::TaskCreatePut | Op::TaskCreateEvent => format!("{row} (create)"),
                Op::TaskProgressPut | Op::TaskProgressEvent => format!("{row} (progress)"),
                Op::TaskPlanPut => format!("{row} (plan)"),
                Op::KpiValueEvent => format!("{row} (KPI value)"),
                Op::KrCheckinEvent => format!("{row} (check-in)"),
                Op::RatingEvent => format!("{row} (rating)"),
                _ => row,
            };
            for p in &principals {
                let e = expect(s.kind, p.who, side);
                let mut pr = probe(s.op, side, next_n(), &city);
                let mut cred = p.cred.clone();
                match s.op {
                    Op::TokenDelete => {
                        let ward = if side == Side::Out { "p-2" } else { "p-1" };
                        let (id, _) = create_token(&app, &admin, &[ward], &["read"], None).await;
                        pr.path = format!("/api/v1/tokens/{id}");
                    }
                    Op::SessionDelete => {
                        // A session of its own, so the row signs out nothing the others use.
                        if let Some(acct) = &p.account {
                            match sign_in(&p.base, acct, &format!("{acct}-password-1")).await {
                                Ok(t) => cred = Some(t),
                                Err((status, body)) => {
                                    m.record(
                                        order,
                                        &row,
                                        p.label,
                                        e,
                                        (status, &body),
                                        Some("could not sign in for the row".into()),
                                    );
                                    continue;
                                }
                            }
                        }
                    }
                    _ => {}
                }
                let (status, body) = call(&p.base, cred.as_deref(), &pr).await;
                // A p-1 caller's lists hold nothing of p-2.
                let mut extra = None;
                if (200..300).contains(&status)
                    && matches!(p.who, Who::Role(_, false) | Who::ReadToken)
                {
                    if let (Some((field, value)), Some(list)) = (leak_check(s.op), list_of(&body)) {
                        if let Some(x) = list.iter().find(|x| x[field] == value) {
                            extra = Some(format!("lists {x} from outside its scope"));
                        }
                    }
                }
                m.record(order, &row, p.label, e, (status, &body), extra);
            }
        }
    }

    // The WebSocket: the upgrade, then each kind of subscription inside and outside the scope.
    let ws_order = SPECS.len();
    for p in &principals {
        let e = match p.who {
            Who::Anon | Who::Bad => Expect::Unauth,
            Who::IngestToken | Who::TaskToken => Expect::UpgradeOrForbidden,
            _ => Expect::Ok,
        };
        let headers: Vec<(&str, String)> = p
            .cred
            .as_deref()
            .map(|c| ("authorization", format!("Bearer {c}")))
            .into_iter()
            .collect();
        let mut ws = match ioc_tests::ws_connect(&p.addr, &headers).await {
            Ok(ws) => {
                m.record(
                    ws_order,
                    "GET /ws (upgrade)",
                    p.label,
                    e,
                    (101, &Value::Null),
                    None,
                );
                ws
            }
            Err((status, body)) => {
                m.record(
                    ws_order,
                    "GET /ws (upgrade)",
                    p.label,
                    e,
                    (status, &body),
                    None,
                );
                continue;
            }
        };
        for (i, (view, inside, outside)) in [
            ("unit", "p-1", "p-2"),
            ("kpis", "p-1", "p-2"),
            ("person", "w2", "w3"),
            ("alerts", "p-1", "p-2"),
        ]
        .into_iter()
        .enumerate()
        {
            for (side, id) in [(Side::In, inside), (Side::Out, outside)] {
                let e = expect(Kind::Read, p.who, side);
                let (status, body) = ws_subscribe(&mut ws, view, id).await;
                let row = format!("WS subscribe {view} {}", side.tag());
                m.record(ws_order + 1 + i, &row, p.label, e, (status, &body), None);
            }
        }
    }

    // Last: each caller changes its own password.
    let order = SPECS
        .iter()
        .position(|s| s.op == Op::PasswordChange)
        .unwrap();
    for p in &principals {
        let e = expect(Kind::Session, p.who, Side::Any);
        let mut pr = probe(Op::PasswordChange, Side::Any, next_n(), &city);
        let acct = p.account.clone().unwrap_or_else(|| "m-probe".into());
        pr.body = Some(
            json!({"current": format!("{acct}-password-1"), "new": format!("{acct}-password-2")}),
        );
        let (status, body) = call(&p.base, p.cred.as_deref(), &pr).await;
        m.record(
            order,
            "POST /api/v1/session/password",
            p.label,
            e,
            (status, &body),
            None,
        );
    }
    // The changed password is the one that signs in now.
    let id = accounts[0].2.clone();
    let old = sign_in(&app.base, &id, &format!("{id}-password-1")).await;
    let new = sign_in(&app.base, &id, &format!("{id}-password-2")).await;
    if old.is_ok() || new.is_err() {
        m.mismatches.push(format!(
            "after POST /api/v1/session/password for {id}: the old password signs in: {}, the new one: {}",
            old.is_ok(),
            new.is_ok()
        ));
    }

    m.print(&labels);
    assert!(
        m.mismatches.is_empty(),
        "{} of {} rows disagree with SECURITY.md:\n{}",
        m.mismatches.len(),
        m.rows,
        m.mismatches.join("\n")
    );
    app.stop().await;
    short.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Responsibility: checked against the task or KPI as it stands
// ---------------------------------------------------------------------------------------------

async fn task(app: &TestApp, id: &str) -> Value {
    ok_as(app, &app.token, "GET", &format!("/api/v1/tasks/{id}"), None).await
}

async fn kpi_value(app: &TestApp, unit: &str, code: &str) -> Value {
    let board = ok_as(
        app,
        &app.token,
        "GET",
        &format!("/api/v1/units/{unit}/kpis"),
        None,
    )
    .await;
    board["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["code"] == code)
        .map(|k| k["value"].clone())
        .unwrap_or(Value::Null)
}

/// Asserts a 403 `forbidden` with a reason; returns the body.
fn assert_forbidden(what: &str, status: u16, body: &Value) -> Value {
    assert_eq!(status, 403, "{what}: {body}");
    assert_eq!(error_code(body), "forbidden", "{what}: {body}");
    assert!(
        !error_message(body).trim().is_empty(),
        "{what}: a 403 names its reason: {body}"
    );
    body.clone()
}

async fn event_kept(app: &TestApp, id: &str) -> bool {
    send_as(
        app,
        &app.token,
        "GET",
        &format!("/api/v1/events/{id}"),
        None,
    )
    .await
    .0 == 200
}

#[tokio::test]
async fn responsibility_is_checked_against_the_task_and_kpi_and_a_refusal_keeps_nothing() {
    let app = spawn_app_with_limits(generous()).await;
    let city = city(&app).await;
    // w2 is responsible for t-r, w1 accountable; w5 works in the same division as w2.
    ok_as(
        &app,
        &city.ops,
        "POST",
        "/api/v1/events",
        Some(json!([
            {"type": "task", "id": "r1", "at": START, "task_id": "t-r", "title": "Báo cáo tuần",
             "responsible": "w2", "accountable": "w1", "deadline": "2026-12-31"},
            task_event("r3", "t-r3", "w2", "2026-12-31", START)
        ])),
    )
    .await;
    let w2 = app
        .account("r-w2", Some("w2"), &[("viewer", "p-1.vh")])
        .await;
    let w5 = app
        .account("r-w5", Some("w5"), &[("viewer", "p-1.vh")])
        .await;
    let w1 = app.account("r-w1", Some("w1"), &[("viewer", "p-1")]).await;
    let leader = app.account("r-leader", None, &[("leader", "p-1")]).await;
    let de_p1 = app.account("r-de-p1", None, &[("data_entry", "p-1")]).await;
    let de_p2 = app.account("r-de-p2", None, &[("data_entry", "p-2")]).await;
    let de_so_a = app
        .account("r-de-so-a", None, &[("data_entry", "so-a")])
        .await;
    let root = app.account("r-root", None, &[("admin", "*")]).await;

    // Progress by the responsible person: taken.
    let (status, body) = send_as(
        &app,
        &w2,
        "PUT",
        "/api/v1/tasks/t-r",
        Some(json!({"progress": 30, "at": "2026-11-02T09:00:00+07:00"})),
    )
    .await;
    assert_eq!(status, 200, "progress by the responsible person: {body}");
    assert_eq!(task(&app, "t-r").await["progress"], 30.0);

    // By another person of the same unit who is only a viewer: refused, nothing changes.
    let before = task(&app, "t-r").await;
    let (status, body) = send_as(
        &app,
        &w5,
        "PUT",
        "/api/v1/tasks/t-r",
        Some(json!({"progress": 60, "at": "2026-11-02T10:00:00+07:00"})),
    )
    .await;
    assert_forbidden("progress by a viewer of the same unit", status, &body);
    let (status, body) = send_as(&app, &w5, "POST", "/api/v1/events", Some(json!([
        {"type": "task", "id": "r-w5-1", "at": "2026-11-02T10:00:00+07:00", "task_id": "t-r", "progress": 60}
    ]))).await;
    let body = assert_forbidden(
        "a progress event by a viewer of the same unit",
        status,
        &body,
    );
    assert_eq!(
        body["error"]["index"], 0,
        "the refused item is named: {body}"
    );
    assert_eq!(
        task(&app, "t-r").await,
        before,
        "a refused change left a trace"
    );
    assert!(!event_kept(&app, "r-w5-1").await);

    // Admins do not bypass responsibility.
    let (status, body) = send_as(
        &app,
        &root,
        "PUT",
        "/api/v1/tasks/t-r",
        Some(json!({"progress": 70, "at": "2026-11-02T10:30:00+07:00"})),
    )
    .await;
    assert_forbidden("progress by the whole-tree admin", status, &body);
    assert_eq!(task(&app, "t-r").await, before);

    // The responsible person submits; acceptance is the accountable person's.
    let (status, body) = send_as(
        &app,
        &w2,
        "PUT",
        "/api/v1/tasks/t-r",
        Some(json!({"status": "submitted", "progress": 100, "at": "2026-11-02T11:00:00+07:00"})),
    )
    .await;
    assert_eq!(status, 200, "submission by the responsible person: {body}");
    let submitted = task(&app, "t-r").await;
    assert_eq!(submitted["status"], "submitted");
    let (status, body) = send_as(
        &app,
        &w2,
        "PUT",
        "/api/v1/tasks/t-r",
        Some(json!({"status": "accepted", "quality": 95, "at": "2026-11-02T12:00:00+07:00"})),
    )
    .await;
    assert_forbidden("acceptance by the responsible person", status, &body);
    assert_eq!(
        task(&app, "t-r").await,
        submitted,
        "a refused acceptance left a trace"
    );
    // A leader over the unit may not accept when the task names an accountable person.
    let (status, body) = send_as(
        &app,
        &leader,
        "PUT",
        "/api/v1/tasks/t-r",
        Some(json!({"status": "accepted", "quality": 95, "at": "2026-11-02T12:00:00+07:00"})),
    )
    .await;
    assert_forbidden(
        "acceptance by a leader when an accountable person is named",
        status,
        &body,
    );
    assert_eq!(task(&app, "t-r").await, submitted);
    let (status, body) = send_as(
        &app,
        &w1,
        "PUT",
        "/api/v1/tasks/t-r",
        Some(json!({"status": "accepted", "quality": 90, "at": "2026-11-02T13:00:00+07:00"})),
    )
    .await;
    assert_eq!(status, 200, "acceptance by the accountable person: {body}");
    let accepted = task(&app, "t-r").await;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["quality"], 90.0);

    // With no accountable person named, a leader over the unit accepts.
    let (status, body) = send_as(
        &app,
        &w2,
        "PUT",
        "/api/v1/tasks/t-r3",
        Some(json!({"status": "submitted", "at": "2026-11-02T11:00:00+07:00"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send_as(
        &app,
        &w1,
        "PUT",
        "/api/v1/tasks/t-r3",
        Some(json!({"status": "accepted", "at": "2026-11-02T12:00:00+07:00"})),
    )
    .await;
    assert_forbidden(
        "acceptance by a person who is not accountable (no one is named)",
        status,
        &body,
    );
    let (status, body) = send_as(
        &app,
        &leader,
        "PUT",
        "/api/v1/tasks/t-r3",
        Some(json!({"status": "accepted", "at": "2026-11-02T12:30:00+07:00"})),
    )
    .await;
    assert_eq!(
        status, 200,
        "acceptance by a leader when no accountable person is named: {body}"
    );
    assert_eq!(task(&app, "t-r3").await["status"], "accepted");

    // KPI values: data entry of the KPI's leading unit.
    let obs = |id: &str, kpi: &str, unit: &str, v: f64| json!([{"type": "kpi_observation", "id": id, "at": START, "kpi": kpi, "unit": unit, "period": "2026-10", "value": v}]);
    let (status, body) = send_as(
        &app,
        &de_p1,
        "POST",
        "/api/v1/events",
        Some(obs("k1", "KN", "p-1", 3.0)),
    )
    .await;
    assert_eq!(
        status, 200,
        "a KPI value by data entry of its leading unit: {body}"
    );
    assert_eq!(kpi_value(&app, "p-1", "KN").await, 3.0);
    let (status, body) = send_as(
        &app,
        &de_p2,
        "POST",
        "/api/v1/events",
        Some(obs("k2", "KN", "p-1", 9.0)),
    )
    .await;
    assert_forbidden("a KPI value by data entry of another unit", status, &body);
    assert_eq!(
        kpi_value(&app, "p-1", "KN").await,
        3.0,
        "a refused value changed the board"
    );
    assert!(!event_kept(&app, "k2").await);
    // TTHC is measured in p-1 but led by so-a: p-1's data entry may not enter it, so-a's may.
    let before = kpi_value(&app, "p-1", "TTHC").await;
    let (status, body) = send_as(
        &app,
        &de_p1,
        "POST",
        "/api/v1/events",
        Some(obs("k3", "TTHC", "p-1", 99.0)),
    )
    .await;
    assert_forbidden("a value of a KPI led elsewhere", status, &body);
    assert_eq!(kpi_value(&app, "p-1", "TTHC").await, before);
    let (status, body) = send_as(
        &app,
        &de_so_a,
        "POST",
        "/api/v1/events",
        Some(obs("k4", "TTHC", "p-1", 99.0)),
    )
    .await;
    assert_eq!(
        status, 200,
        "a value by data entry of the leading unit: {body}"
    );
    assert_eq!(kpi_value(&app, "p-1", "TTHC").await, 99.0);

    // One refused item refuses the whole request, naming it; the good one is not kept either.
    let (status, body) = send_as(&app, &de_p1, "POST", "/api/v1/events", Some(json!([
        {"type": "kpi_observation", "id": "k5", "at": START, "kpi": "KN", "unit": "p-1", "period": "2026-10", "value": 4.0},
        {"type": "kpi_observation", "id": "k6", "at": START, "kpi": "KN2", "unit": "p-2", "period": "2026-10", "value": 4.0}
    ]))).await;
    let body = assert_forbidden(
        "a batch with one item outside the caller's responsibility",
        status,
        &body,
    );
    assert_eq!(body["error"]["index"], 1, "{body}");
    assert!(
        !event_kept(&app, "k5").await,
        "the good item of a refused batch was kept"
    );
    assert_eq!(kpi_value(&app, "p-1", "KN").await, 3.0);
    app.stop().await;
}

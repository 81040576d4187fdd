//! Who may see and change what (SECURITY.md), as one table: every REST route and every live
//! subscription, asked by every kind of caller — no credentials, forged, malformed, expired and
//! revoked ones, each role granted at ward p-1 aiming inside (p-1) and outside (p-2) its
//! subtree, the whole-tree admin, and API tokens — with the class of answer each must get.
//! A route in the OpenAPI document without a row here fails the test, so a new route cannot
//! slip past. Every disagreement is collected and listed before the test fails. The city it
//! runs on and the request each row sends are in `ioc_tests::access`; the responsibility rules
//! the writer checks are played in `responsibility.rs`.

use ioc_tests::access::*;
use ioc_tests::{spawn_app_with_limits, Ws, WsEvent};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
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
    /// The caller's own person (marking their inbox read, opening a message's link with a
    /// signature that is not the server's): the matrix's accounts are linked to no person and
    /// the link is forged, so every caller is refused.
    OwnPerson,
    /// KPI targets: a leader over the level above the unit (p-1 grants never reach it).
    TargetSet,
    /// A person's general-criteria scores: a leader over the person's unit.
    Criteria,
    /// Accepting, returning, judging quality: a person leading the unit (the task names no
    /// accountable one), never a token, data entry or an admin.
    TaskDecision,
    /// My work: an account linked to a person (the matrix's accounts are linked to nobody, so
    /// every one is refused; `own_work.rs` plays the linked ones).
    OwnWork,
    /// The acceptance queue: any account (a token decides nothing).
    AccountOnly,
    /// People to assign: a leader, over the units it leads.
    Leads,
    /// Task templates: a leader or an admin over the template's unit; never a token.
    TemplateManage,
    /// Trying rules on history: a leader or an admin over the unit, as an account.
    Backtest,
    /// Asking for an explanation, or following one up: a leader or an admin over the subject's
    /// unit, as an account (the matrix's accounts answer nothing: they are linked to no person).
    Explain,
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
    spec!(Readyz, "GET", "/readyz", Public, ANY),
    spec!(Livez, "GET", "/livez", Public, ANY),
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
    spec!(
        PublicCard,
        "GET",
        "/api/v1/units/{id}/public-card",
        Read,
        IO
    ),
    spec!(
        PublicQr,
        "GET",
        "/api/v1/units/{id}/public-qr.svg",
        Read,
        IO
    ),
    // The public tree reads no credentials: every caller, a bad one included, is a citizen.
    spec!(PublicUnits, "GET", "/public/v1/units", Public, ANY),
    spec!(PublicBoard, "GET", "/public/v1/units/{unit}", Public, ANY),
    spec!(
        PublicEvents,
        "GET",
        "/public/v1/units/{unit}/events",
        Public,
        ANY
    ),
    spec!(
        PublicMonth,
        "GET",
        "/public/v1/units/{unit}/months/{file}",
        Public,
        ANY
    ),
    spec!(
        PublicRate,
        "POST",
        "/public/v1/units/{unit}/ratings",
        Public,
        ANY
    ),
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
    spec!(AlertGroups, "GET", "/api/v1/alerts/groups", Read, IO),
    spec!(AlertGroup, "GET", "/api/v1/alerts/group", Read, IO),
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
    spec!(TaskDecideEvent, "POST", "/api/v1/events", TaskDecision, IO),
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
    spec!(
        ContactPointsGet,
        "GET",
        "/api/v1/people/{id}/contact-points",
        AccountsWrite,
        IO
    ),
    spec!(
        ContactPointsPut,
        "PUT",
        "/api/v1/people/{id}/contact-points",
        AccountsWrite,
        IO
    ),
    spec!(InboxGet, "GET", "/api/v1/inbox", List, ANY),
    spec!(InboxRead, "POST", "/api/v1/inbox/read", OwnPerson, ANY),
    spec!(NotifyLink, "POST", "/api/v1/notify/link", OwnPerson, ANY),
    spec!(
        NotifyHealth,
        "GET",
        "/api/v1/notify/health",
        AccountsList,
        ANY
    ),
    spec!(NotifyDead, "GET", "/api/v1/notify/dead", AccountsList, ANY),
    spec!(
        NotifyQueue,
        "GET",
        "/api/v1/notify/queue",
        AccountsList,
        ANY
    ),
    spec!(
        LinkKeyRotate,
        "POST",
        "/api/v1/notify/link-key/rotate",
        GlobalAdmin,
        ANY
    ),
    spec!(PeriodsList, "GET", "/api/v1/periods", List, ANY),
    // Import: every entry by the catalog rules (admin over its unit); tokens never import.
    spec!(ImportPost, "POST", "/api/v1/import", Catalog, IO),
    spec!(
        ImportTemplate,
        "GET",
        "/api/v1/import/template.xlsx",
        List,
        ANY
    ),
    // What the caller enters: any reader (empty lists for those who enter nothing).
    spec!(KpiEntry, "GET", "/api/v1/me/kpi-entry", List, ANY),
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
    spec!(
        EvalAsOf,
        "GET",
        "/api/v1/evaluations/people/{id}/as-of",
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
    spec!(MyTasks, "GET", "/api/v1/me/tasks", OwnWork, ANY),
    spec!(
        MyAcceptance,
        "GET",
        "/api/v1/me/acceptance",
        AccountOnly,
        ANY
    ),
    spec!(MyPeople, "GET", "/api/v1/me/people", Leads, ANY),
    spec!(TemplatesList, "GET", "/api/v1/task-templates", List, ANY),
    spec!(TemplateGet, "GET", "/api/v1/task-templates/{id}", Read, IO),
    spec!(
        TemplatePost,
        "POST",
        "/api/v1/task-templates",
        TemplateManage,
        IO
    ),
    spec!(
        TemplatePut,
        "PUT",
        "/api/v1/task-templates/{id}",
        TemplateManage,
        IO
    ),
    spec!(TaskHistory, "GET", "/api/v1/tasks/{id}/history", Read, IO),
    spec!(
        AttachmentPost,
        "POST",
        "/api/v1/attachments",
        TaskProgress,
        IO
    ),
    spec!(
        AttachmentGet,
        "GET",
        "/api/v1/attachments/{sha256}",
        Read,
        IO
    ),
    spec!(
        RulesBacktest,
        "POST",
        "/api/v1/rules/backtest",
        Backtest,
        IO
    ),
    spec!(ExplainAsk, "POST", "/api/v1/explanations", Explain, IO),
    spec!(ExplainList, "GET", "/api/v1/explanations", List, ANY),
    spec!(ExplainGet, "GET", "/api/v1/explanations/{id}", Read, IO),
    spec!(
        ExplainMessage,
        "POST",
        "/api/v1/explanations/{id}/messages",
        Explain,
        IO
    ),
    // Review meetings: held by a leader (or an admin) over the unit; read by whoever sees it.
    spec!(MeetingOpen, "POST", "/api/v1/meetings", Explain, IO),
    spec!(MeetingList, "GET", "/api/v1/meetings", List, ANY),
    spec!(MeetingGet, "GET", "/api/v1/meetings/{id}", Read, IO),
    spec!(
        MeetingNote,
        "PUT",
        "/api/v1/meetings/{id}/items/{key}/note",
        Explain,
        IO
    ),
    spec!(
        MeetingConclude,
        "POST",
        "/api/v1/meetings/{id}/conclusions",
        Explain,
        IO
    ),
    spec!(
        MeetingPresent,
        "POST",
        "/api/v1/meetings/{id}/present",
        Explain,
        IO
    ),
    spec!(
        MeetingClose,
        "POST",
        "/api/v1/meetings/{id}/close",
        Explain,
        IO
    ),
    spec!(
        MeetingCorrect,
        "POST",
        "/api/v1/meetings/{id}/corrections",
        Explain,
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
    // An account linked to nobody and holding no grant: only an admin over `*` manages it.
    spec!(
        AccountBlankGet,
        "GET",
        "/api/v1/accounts/{id}",
        GlobalAdmin,
        ANY
    ),
    spec!(
        AccountBlankPut,
        "PUT",
        "/api/v1/accounts/{id}",
        GlobalAdmin,
        ANY
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
        Kind::TaskDecision => allow(role(Role::Leader) && scope),
        Kind::OwnPerson => Forbidden,
        Kind::OwnWork => Forbidden,
        Kind::AccountOnly => allow(matches!(who, Who::Role(..))),
        Kind::Leads => allow(role(Role::Leader)),
        Kind::TemplateManage => allow((role(Role::Leader) || role(Role::Admin)) && scope),
        Kind::Explain => allow((role(Role::Leader) || role(Role::Admin)) && scope),
        Kind::Backtest => allow((role(Role::Leader) || role(Role::Admin)) && scope),
        Kind::Session => {
            if matches!(who, Who::Role(..)) {
                Ok
            } else {
                Denied
            }
        }
    }
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
        Op::TemplatesList => Some(("unit", "p-2")),
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
        let app = spawn_app_with_limits(limits).await;
        // The public tree answers from the catalog whatever the credential: the same city.
        app.load_fixture().await;
        app
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
    app.account("acc-blank", None, &[]).await;

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
                Op::TaskDecideEvent => format!("{row} (acceptance)"),
                Op::AccountBlankGet | Op::AccountBlankPut => format!("{row} (blank account)"),
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
            ("alert_groups", "p-1", "p-2"),
            ("meeting", MEETING_IN, MEETING_OUT),
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

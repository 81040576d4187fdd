//! The city the access tests run on and the requests they send: the fixture plus what ward p-2
//! lacks to be aimed at (`city`), one request per route aimed inside or outside ward p-1
//! (`probe`), and sending it as any caller (`send_as`, `call`). `tests/access.rs` asks every
//! route as every caller; `tests/responsibility.rs` plays the responsibility scenarios.

use crate::{task_event, with_leaders, TestApp, START};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Aimed at ward p-1 (inside the p-1 grants' subtree).
    In,
    /// Aimed at ward p-2 (outside it).
    Out,
    /// Not aimed at a unit (lists, global routes).
    Any,
}

impl Side {
    pub fn tag(self) -> &'static str {
        match self {
            Side::In => "in",
            Side::Out => "out",
            Side::Any => "",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Root,
    WebJs,
    Healthz,
    Readyz,
    Livez,
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
    PublicCard,
    PublicQr,
    PublicUnits,
    PublicBoard,
    PublicEvents,
    PublicMonth,
    PublicRate,
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
    AlertGroups,
    AlertGroup,
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
    TaskDecideEvent,
    KpiValueEvent,
    KrCheckinEvent,
    RatingEvent,
    Ack,
    Assign,
    SilencePost,
    ClockPost,
    RulesReload,
    AuditVerify,
    ContactPointsGet,
    ContactPointsPut,
    InboxGet,
    InboxRead,
    NotifyLink,
    NotifyHealth,
    NotifyDead,
    NotifyQueue,
    LinkKeyRotate,
    AccountsGet,
    AccountGet,
    AccountPost,
    AccountPut,
    AccountBlankGet,
    AccountBlankPut,
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
    EvalAsOf,
    EvalUnit,
    EvalRankings,
    MyTasks,
    MyAcceptance,
    MyPeople,
    TemplatesList,
    TemplateGet,
    TemplatePost,
    TemplatePut,
    TaskHistory,
    AttachmentPost,
    AttachmentGet,
    RulesBacktest,
    ExplainAsk,
    ExplainList,
    ExplainGet,
    ExplainMessage,
    MeetingOpen,
    MeetingList,
    MeetingGet,
    MeetingNote,
    MeetingConclude,
    MeetingPresent,
    MeetingClose,
    MeetingCorrect,
    ImportPost,
    ImportTemplate,
    KpiEntry,
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

pub fn error_message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or("")
}

/// The list a body carries: the body itself, or its `items`/`entries`/`tasks`/… array.
pub fn list_of(body: &Value) -> Option<&Vec<Value>> {
    if let Some(a) = body.as_array() {
        return Some(a);
    }
    [
        "items",
        "entries",
        "alerts",
        "accounts",
        "tokens",
        "explanations",
    ]
    .iter()
    .find_map(|k| body[*k].as_array())
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

static SEQ: AtomicUsize = AtomicUsize::new(0);

pub fn next_n() -> usize {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// Random hex without a random-number crate: std's per-instance SipHash keys.
pub fn random_hex(len: usize) -> String {
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

pub struct Probe {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
}

pub fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).expect("method")
}

/// One request with this bearer credential (none: anonymous) on a client that adds nothing.
pub async fn call(base: &str, cred: Option<&str>, p: &Probe) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut r = client.request(p.method.clone(), format!("{base}{}", p.path));
    if let Some(c) = cred {
        r = r.header("authorization", format!("Bearer {c}"));
    }
    match &p.body {
        // A string body is sent as its raw bytes (a file upload).
        Some(Value::String(raw)) => r = r.body(raw.clone()),
        Some(b) => r = r.json(b),
        None => {}
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let stream = r
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if stream {
        // A live stream never ends: its status is the answer.
        return (status, Value::Null);
    }
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text.chars().take(300).collect())),
    )
}

pub async fn send_as(
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

pub async fn ok_as(app: &TestApp, cred: &str, m: &str, path: &str, body: Option<Value>) -> Value {
    let (status, got) = send_as(app, cred, m, path, body.clone()).await;
    assert!(
        (200..300).contains(&status),
        "setup {m} {path} {}: {status} {got}",
        body.unwrap_or(Value::Null)
    );
    got
}

/// Signs in with a login and password; the session token.
pub async fn sign_in(base: &str, login: &str, password: &str) -> Result<String, (u16, Value)> {
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
pub fn account_body(id: &str, person: Option<&str>, grants: &[(&str, &str)]) -> Value {
    json!({
        "id": id,
        "name": format!("Tài khoản {id}"),
        "password": format!("{id}-password-1"),
        "person": person,
        "grants": grants.iter().map(|(role, unit)| json!({"role": role, "unit": unit})).collect::<Vec<_>>(),
    })
}

/// The body of `POST /api/v1/tokens`.
pub fn token_body(
    name: &str,
    units: &[&str],
    permissions: &[&str],
    expires_at: Option<String>,
) -> Value {
    json!({"name": name, "units": units, "permissions": permissions, "expires_at": expires_at})
}

/// Creates an API token as `admin`: (id, the bearer secret `ioct_<id>_<secret>`).
pub async fn create_token(
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
pub struct City {
    /// Admin, leader and data entry over the whole tree: the setup's hands.
    pub ops: String,
    pub clock: String,
    /// The SHA-256 of a file uploaded for t-in, and of one for t-out.
    pub attachment_in: String,
    pub attachment_out: String,
}

/// The explanation requests the setup asks about t-in and t-out.
pub const EXPLANATION_IN: &str = "xp-in";
pub const EXPLANATION_OUT: &str = "xp-out";
/// Review meetings of each ward: open (notes, conclusions, presenting), open until a row closes
/// it (closing again changes nothing), and closed with a conclusion (corrections).
pub const MEETING_IN: &str = "gb-p-1-2026-W45";
pub const MEETING_OUT: &str = "gb-p-2-2026-W45";
pub const MEETING_CLOSE_IN: &str = "gb-p-1-2026-W44";
pub const MEETING_CLOSE_OUT: &str = "gb-p-2-2026-W44";
pub const MEETING_CLOSED_IN: &str = "gb-p-1-2026-W43";
pub const MEETING_CLOSED_OUT: &str = "gb-p-2-2026-W43";

/// A file the server takes (its type is read from the bytes): a PDF header and a tag.
pub fn small_pdf(tag: &str) -> String {
    format!("%PDF-1.4\n% {tag}\n%%EOF\n")
}

pub fn kn2() -> Value {
    json!({"code": "KN2", "name": "Số đơn khiếu nại tồn đọng (Ba Đình)", "unit_of_measure": "đơn",
           "thresholds": {"direction": "lower_is_better", "green": 2, "red": 5}, "frequency": "monthly",
           "group": "internal", "leading_unit": "p-2"})
}

pub fn kn() -> Value {
    json!({"code": "KN", "name": "Số đơn khiếu nại tồn đọng", "unit_of_measure": "đơn",
           "thresholds": {"direction": "lower_is_better", "green": 2, "red": 5}, "frequency": "monthly",
           "group": "internal", "leading_unit": "p-1"})
}

pub fn o_p1() -> Value {
    json!({"id": "o-p1", "unit": "p-1", "title": "Giải quyết hồ sơ đúng hạn", "period": "2026-Q4", "parent": "o-city", "owner": "w1"})
}

pub fn o_p2() -> Value {
    json!({"id": "o-p2", "unit": "p-2", "title": "Giảm đơn tồn đọng", "period": "2026-Q4", "owner": "w3"})
}

pub fn kr3() -> Value {
    json!({"id": "kr-3", "objective": "o-p1", "title": "Hồ sơ đúng hạn", "start": 80, "target": 100, "unit_of_measure": "%"})
}

pub fn kr4() -> Value {
    json!({"id": "kr-4", "objective": "o-p2", "title": "Đơn tồn đọng", "start": 10, "target": 2, "unit_of_measure": "đơn"})
}

/// Generous rate limits: the matrix sends well over a thousand requests from one address.
pub fn generous() -> ioc::http::Limits {
    ioc::http::Limits {
        max_body_bytes: 8 * 1024 * 1024,
        ..crate::test_limits()
    }
}

pub async fn city(app: &TestApp) -> City {
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
            task_event("e-acc-in", "t-acc-in", "w2", "2026-12-31", START),
            task_event("e-acc-out", "t-acc-out", "w4", "2026-12-31", START),
            {"type": "kpi_observation", "id": "red-in", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 80.0},
            {"type": "kpi_observation", "id": "red-out", "at": START, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": 80.0}
        ])),
    )
    .await;
    for (id, unit, r) in [("tpl-in", "p-1", "w2"), ("tpl-out", "p-2", "w4")] {
        ok_as(
            app,
            &ops,
            "POST",
            "/api/v1/task-templates",
            Some(
                json!({"id": id, "unit": unit, "title": "Báo cáo tháng", "responsible": r, "every": "monthly", "day": 25}),
            ),
        )
        .await;
    }
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
    let mut shas = Vec::new();
    for task in ["t-in", "t-out"] {
        let body = ok_as(
            app,
            &ops,
            "POST",
            &format!("/api/v1/attachments?task={task}&name={task}.pdf"),
            Some(Value::String(small_pdf(task))),
        )
        .await;
        shas.push(body["sha256"].as_str().expect("a file's hash").to_string());
    }
    for (id, task) in [(EXPLANATION_IN, "t-in"), (EXPLANATION_OUT, "t-out")] {
        ok_as(
            app,
            &ops,
            "POST",
            "/api/v1/explanations",
            Some(json!({"id": id, "subject_kind": "task", "subject": task, "question": "Vì sao chậm?", "due": "2026-12-31"})),
        )
        .await;
    }
    for (ward, chair) in [("p-1", "w1"), ("p-2", "w3")] {
        for week in ["2026-W45", "2026-W44", "2026-W43"] {
            ok_as(
                app,
                &ops,
                "POST",
                "/api/v1/meetings",
                Some(json!({"unit": ward, "period": week, "chair": chair})),
            )
            .await;
        }
        let closed = format!("gb-{ward}-2026-W43");
        ok_as(
            app,
            &ops,
            "POST",
            &format!("/api/v1/meetings/{closed}/conclusions"),
            Some(json!({"id": "c0", "text": "Giữ nguyên kế hoạch", "action": "silence", "reason": "Đúng tiến độ"})),
        )
        .await;
        ok_as(
            app,
            &ops,
            "POST",
            &format!("/api/v1/meetings/{closed}/close"),
            None,
        )
        .await;
    }
    City {
        ops,
        clock,
        attachment_out: shas.pop().unwrap_or_default(),
        attachment_in: shas.pop().unwrap_or_default(),
    }
}

/// The request a row sends. `n` makes ids unique across rows.
pub fn probe(op: Op, side: Side, n: usize, city: &City) -> Probe {
    let inside = side != Side::Out;
    let pick = |a: &str, b: &str| if inside { a.to_string() } else { b.to_string() };
    let ward = pick("p-1", "p-2");
    let at = format!("2026-11-02T09:{:02}:{:02}+07:00", (n / 60) % 60, n % 60);
    use Op::*;
    let (m, path, body): (&str, String, Option<Value>) = match op {
        Root => ("GET", "/".into(), None),
        WebJs => ("GET", "/js/api.js".into(), None),
        Healthz => ("GET", "/healthz".into(), None),
        Readyz => ("GET", "/readyz".into(), None),
        Livez => ("GET", "/livez".into(), None),
        Metrics => ("GET", "/metrics".into(), None),
        OpenApi => ("GET", "/api/openapi.json".into(), None),
        Dashboard => ("GET", "/api/v1/dashboard".into(), None),
        Login => (
            "POST",
            "/api/v1/session".into(),
            // The first-run admin exists on every test server (the expired session's too).
            Some(json!({"login": "admin", "password": crate::ADMIN_PASSWORD})),
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
        PublicCard => (
            "GET",
            format!("/api/v1/units/{ward}/public-card?service=khai-sinh"),
            None,
        ),
        PublicQr => (
            "GET",
            format!("/api/v1/units/{ward}/public-qr.svg?service=khai-sinh"),
            None,
        ),
        PublicUnits => ("GET", "/public/v1/units".into(), None),
        PublicBoard => ("GET", "/public/v1/units/p-1".into(), None),
        PublicEvents => ("GET", "/public/v1/units/p-1/events".into(), None),
        // October has closed by the matrix's clock (early November).
        PublicMonth => (
            "GET",
            "/public/v1/units/p-1/months/2026-10.json".into(),
            None,
        ),
        PublicRate => (
            "POST",
            "/public/v1/units/p-1/ratings".into(),
            Some(json!({"service": "khai-sinh", "score": 4})),
        ),
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
            // Ids are their source's: the setup's account sent these.
            format!(
                "/api/v1/events/{}?source=account:ops",
                pick("e-in", "e-out")
            ),
            None,
        ),
        ClockGet => ("GET", "/api/v1/clock".into(), None),
        AlertsList => ("GET", "/api/v1/alerts".into(), None),
        AlertsOfUnit => ("GET", format!("/api/v1/alerts?unit={ward}"), None),
        AlertGroups => ("GET", format!("/api/v1/alerts/groups?unit={ward}"), None),
        // The ward's red KPI (the setup's) is a group of its screen.
        AlertGroup => (
            "GET",
            format!("/api/v1/alerts/group?unit={ward}&key={ward}%7Cbuiltin.kpi_thresholds"),
            None,
        ),
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
        // An acceptance with a quality new at every row, so each row is a real decision.
        TaskDecideEvent => (
            "POST",
            "/api/v1/events".into(),
            Some(
                json!([{"type": "task", "id": format!("ev-{n}"), "at": at, "task_id": pick("t-acc-in", "t-acc-out"),
                         "status": "accepted", "quality": 1 + n % 99}]),
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
        ContactPointsGet => (
            "GET",
            format!("/api/v1/people/{}/contact-points", pick("w2", "w4")),
            None,
        ),
        ContactPointsPut => (
            "PUT",
            format!("/api/v1/people/{}/contact-points", pick("w2", "w4")),
            Some(json!({"contact_points": [], "policy": {"group_wait_seconds": 60}})),
        ),
        InboxGet => ("GET", "/api/v1/inbox".into(), None),
        InboxRead => (
            "POST",
            "/api/v1/inbox/read".into(),
            Some(json!({"all": true})),
        ),
        NotifyLink => (
            "POST",
            "/api/v1/notify/link".into(),
            Some(json!({"msg": 1, "exp": 1, "sig": "00"})),
        ),
        NotifyHealth => ("GET", "/api/v1/notify/health".into(), None),
        NotifyDead => ("GET", "/api/v1/notify/dead".into(), None),
        NotifyQueue => ("GET", "/api/v1/notify/queue".into(), None),
        LinkKeyRotate => ("POST", "/api/v1/notify/link-key/rotate".into(), None),
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
        AccountBlankGet => ("GET", "/api/v1/accounts/acc-blank".into(), None),
        // Kept blank (no grant), so the row means the same for every caller.
        AccountBlankPut => (
            "PUT",
            "/api/v1/accounts/acc-blank".into(),
            Some(account_body("acc-blank", None, &[])),
        ),
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
        EvalAsOf => (
            "GET",
            format!(
                "/api/v1/evaluations/people/{}/as-of?at={}",
                pick("w2", "w3"),
                city.clock.replace('+', "%2B")
            ),
            None,
        ),
        EvalUnit => ("GET", format!("/api/v1/evaluations/units/{ward}"), None),
        EvalRankings => (
            "GET",
            format!("/api/v1/evaluations/units/{ward}/rankings?by=position"),
            None,
        ),
        MyTasks => ("GET", "/api/v1/me/tasks".into(), None),
        MyAcceptance => ("GET", "/api/v1/me/acceptance".into(), None),
        MyPeople => ("GET", "/api/v1/me/people?q=".into(), None),
        TemplatesList => ("GET", "/api/v1/task-templates".into(), None),
        TemplateGet => (
            "GET",
            format!("/api/v1/task-templates/{}", pick("tpl-in", "tpl-out")),
            None,
        ),
        TemplatePost => (
            "POST",
            "/api/v1/task-templates".into(),
            Some(
                json!({"id": format!("tpl-{n}"), "unit": ward, "title": format!("Báo cáo {n}"), "responsible": pick("w2", "w4"), "every": "monthly", "day": 25}),
            ),
        ),
        TemplatePut => (
            "PUT",
            format!("/api/v1/task-templates/{}", pick("tpl-in", "tpl-out")),
            Some(json!({"paused": true})),
        ),
        TaskHistory => (
            "GET",
            format!("/api/v1/tasks/{}/history", pick("t-in", "t-out")),
            None,
        ),
        AttachmentPost => (
            "POST",
            format!(
                "/api/v1/attachments?task={}&name=probe-{n}.pdf",
                pick("t-in", "t-out")
            ),
            Some(Value::String(small_pdf(&format!("probe-{n}")))),
        ),
        AttachmentGet => (
            "GET",
            format!(
                "/api/v1/attachments/{}",
                if inside {
                    &city.attachment_in
                } else {
                    &city.attachment_out
                }
            ),
            None,
        ),
        RulesBacktest => (
            "POST",
            "/api/v1/rules/backtest".into(),
            Some(
                json!({"from": "2026-11-01T00:00:00+07:00", "to": city.clock, "unit": ward,
                        "rules": [{"name": "candidate.toml", "text": "[[rule]]\nname = \"few_open\"\nmetric = \"tasks.overdue\"\nred = \">= 1\"\n"}]}),
            ),
        ),
        ExplainAsk => (
            "POST",
            "/api/v1/explanations".into(),
            Some(
                json!({"id": format!("xq-{n}"), "subject_kind": "task", "subject": pick("t-in", "t-out"),
                       "question": format!("Câu hỏi {n}"), "due": "2026-12-31"}),
            ),
        ),
        ExplainList => ("GET", "/api/v1/explanations".into(), None),
        ExplainGet => (
            "GET",
            format!(
                "/api/v1/explanations/{}",
                pick(EXPLANATION_IN, EXPLANATION_OUT)
            ),
            None,
        ),
        ExplainMessage => (
            "POST",
            format!(
                "/api/v1/explanations/{}/messages",
                pick(EXPLANATION_IN, EXPLANATION_OUT)
            ),
            Some(json!({"id": format!("xm-{n}"), "text": format!("Hỏi thêm {n}")})),
        ),
        MeetingOpen => (
            "POST",
            "/api/v1/meetings".into(),
            Some(json!({"unit": ward, "period": "2026-W42", "chair": pick("w1", "w3")})),
        ),
        MeetingList => ("GET", "/api/v1/meetings".into(), None),
        MeetingGet => (
            "GET",
            format!("/api/v1/meetings/{}", pick(MEETING_IN, MEETING_OUT)),
            None,
        ),
        MeetingNote => (
            "PUT",
            format!(
                "/api/v1/meetings/{}/items/other/note",
                pick(MEETING_IN, MEETING_OUT)
            ),
            Some(json!({"note": format!("Ghi chú {n}")})),
        ),
        MeetingConclude => (
            "POST",
            format!(
                "/api/v1/meetings/{}/conclusions",
                pick(MEETING_IN, MEETING_OUT)
            ),
            Some(
                json!({"id": format!("kl-{n}"), "text": format!("Kết luận {n}"), "action": "silence", "reason": "Theo dõi thêm"}),
            ),
        ),
        MeetingPresent => (
            "POST",
            format!("/api/v1/meetings/{}/present", pick(MEETING_IN, MEETING_OUT)),
            Some(json!({"item": 0})),
        ),
        MeetingClose => (
            "POST",
            format!(
                "/api/v1/meetings/{}/close",
                pick(MEETING_CLOSE_IN, MEETING_CLOSE_OUT)
            ),
            None,
        ),
        MeetingCorrect => (
            "POST",
            format!(
                "/api/v1/meetings/{}/corrections",
                pick(MEETING_CLOSED_IN, MEETING_CLOSED_OUT)
            ),
            Some(
                json!({"conclusion": "c0", "text": format!("Giữ nguyên kế hoạch ({n})"), "reason": "Đính chính"}),
            ),
        ),
        // A dry run: checked as the import would be (the catalog rules), nothing written.
        ImportPost => (
            "POST",
            "/api/v1/import?dry_run=true".into(),
            Some(
                json!({"units": [{"id": format!("u-{n}"), "name": format!("Tổ {n}"), "level": "division", "parent": ward}]}),
            ),
        ),
        ImportTemplate => ("GET", "/api/v1/import/template.xlsx".into(), None),
        KpiEntry => ("GET", "/api/v1/me/kpi-entry".into(), None),
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

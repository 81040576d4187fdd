//! The API contract: the OpenAPI document the server serves (`/api/openapi.json`) describes what
//! it answers. The routers' routes and the document's operations are the same set; what the
//! reads answer over the fixture city satisfies their documented schemas (a small JSON Schema
//! check below: types, required fields, closed objects, enums, oneOf/anyOf); events satisfy
//! `EventIn`; a read can be sent back; axum's own refusals leave as the documented JSON error.
//! `.ci/api-contract` runs schemathesis over the same document for everything else.

use ioc_tests::{spawn_app, task_event, TestApp, START};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Routes the routers mount at the root; every other route is nested under `/api/v1`
/// (`http::app`). A new root route must be added here, or the test fails.
const ROOT_ROUTES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/livez",
    "/metrics",
    "/api/openapi.json",
    "/ws",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.route("path", get(..).post(..))` of the server's HTTP code: (METHOD, full path).
fn routed() -> BTreeSet<(String, String)> {
    let http = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src/http");
    let mut files = Vec::new();
    rust_files(&http, &mut files);
    let mut out = BTreeSet::new();
    for file in files {
        let src = std::fs::read_to_string(&file).expect("read a source file");
        let mut rest = src.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            // The call's arguments, up to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map(|(i, _)| i)
                .unwrap_or_else(|| panic!("an unclosed .route( in {}", file.display()));
            let call = &rest[..end];
            let mut parts = call.splitn(3, '"');
            let (_, path, handlers) = (parts.next(), parts.next(), parts.next());
            let (Some(path), Some(handlers)) = (path, handlers) else {
                panic!(
                    "a .route( without a literal path in {}: {call}",
                    file.display()
                );
            };
            let full = if ROOT_ROUTES.contains(&path) || path.starts_with("/public/") {
                path.to_string()
            } else {
                format!("/api/v1{path}")
            };
            let mut methods = 0;
            for method in ["get", "post", "put", "delete", "patch"] {
                let needle = format!("{method}(");
                let mut from = 0;
                while let Some(i) = handlers[from..].find(&needle) {
                    let i = from + i;
                    let before = handlers[..i].chars().next_back();
                    if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                        out.insert((method.to_uppercase(), full.clone()));
                        methods += 1;
                    }
                    from = i + needle.len();
                }
            }
            assert!(methods > 0, "no method found in .route({call})");
        }
    }
    out
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .expect("operations")
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

#[tokio::test]
async fn every_route_of_the_routers_is_documented_and_every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let doc = app.get_ok("/api/openapi.json").await;
    let routes = routed();
    let ops = documented(&doc);
    assert!(routes.len() > 60, "the scan found only {routes:?}");
    let undocumented: Vec<_> = routes.difference(&ops).collect();
    let unrouted: Vec<_> = ops.difference(&routes).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routes missing from /api/openapi.json: {undocumented:?}; documented operations no router has: {unrouted:?}"
    );
    // And the server itself agrees: each documented operation reaches a handler (the router's
    // fallback and method refusals would say so), ids that do not exist notwithstanding.
    for (method, path) in &ops {
        if method == "DELETE" && path == "/api/v1/session" {
            continue; // would end this test's session; access.rs signs out
        }
        let concrete = path
            .replace("{file}", "overdue.svg")
            .replace(['{', '}'], "");
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let (status, body) = app.send(m, &concrete, &json!({})).await;
        assert_ne!(status, 405, "{method} {concrete}: {body}");
        assert_ne!(
            body["error"]["message"], "no such route; see /api/openapi.json",
            "{method} {concrete}"
        );
    }
    app.stop().await;
}

/// A small JSON Schema check (the subset the document uses): the errors, by JSON path.
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "{r} is not in the document");
        return violations(doc, target, value, at, out);
    }
    let passes = |s: &Value| {
        let mut e = Vec::new();
        violations(doc, s, value, at, &mut e);
        e.is_empty()
    };
    if let Some(branches) = schema["oneOf"].as_array() {
        let n = branches.iter().filter(|s| passes(s)).count();
        if n != 1 {
            out.push(format!("{at}: matches {n} of oneOf's branches: {value}"));
        }
    }
    if let Some(branches) = schema["anyOf"].as_array() {
        if !branches.iter().any(passes) {
            out.push(format!("{at}: matches none of anyOf's branches: {value}"));
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        for s in parts {
            violations(doc, s, value, at, out);
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let type_ok = types.is_empty()
        || types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        });
    if !type_ok {
        out.push(format!("{at}: {value} is not of type {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            out.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(obj) = value.as_object() {
        let props = schema["properties"].as_object();
        for r in schema["required"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap_or_default();
            if !obj.contains_key(r) {
                out.push(format!("{at}: the required '{r}' is missing"));
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => violations(doc, s, v, &format!("{at}.{k}"), out),
                None if schema["additionalProperties"] == false => {
                    out.push(format!("{at}: '{k}' is not a documented property"))
                }
                None => {
                    if schema["additionalProperties"].is_object() {
                        violations(
                            doc,
                            &schema["additionalProperties"],
                            v,
                            &format!("{at}.{k}"),
                            out,
                        );
                    }
                }
            }
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, v) in values.iter().enumerate() {
            violations(doc, items, v, &format!("{at}[{i}]"), out);
        }
    }
}

/// The documented schema of an answer: `status` (or its class, `4XX`) as JSON.
fn answer_schema(doc: &Value, method: &str, path: &str, status: u16) -> Value {
    let responses = &doc["paths"][path][method.to_lowercase()]["responses"];
    let r = match &responses[status.to_string()] {
        Value::Null => &responses[format!("{}XX", status / 100)],
        r => r,
    };
    assert!(
        r.is_object(),
        "{method} {path} answered {status}, which the document does not list: {responses}"
    );
    r["content"]["application/json"]["schema"].clone()
}

/// Sends, then checks the answer against the document: its status is listed, its body fits.
async fn conforms(
    app: &TestApp,
    method: &str,
    template: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    conforms_as(app, None, method, template, path, body).await
}

/// As `conforms`, with these credentials (a session of a person) instead of the admin's.
async fn conforms_as(
    app: &TestApp,
    cred: Option<&str>,
    method: &str,
    template: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let (status, answer) = match (body, cred) {
        (_, Some(c)) => app.send_as(Some(c), m, path, body).await,
        (Some(b), None) => app.send(m, path, b).await,
        (None, None) => {
            let r = app.client.request(m, app.url(path)).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
    };
    let doc = app.get_ok("/api/openapi.json").await;
    let schema = answer_schema(&doc, method, template, status);
    let mut errors = Vec::new();
    if !schema.is_null() {
        violations(&doc, &schema, &answer, "$", &mut errors);
    }
    assert!(
        errors.is_empty(),
        "{method} {path} ({status}) breaks its documented schema:\n{}\n{answer}",
        errors.join("\n")
    );
    (status, answer)
}

#[tokio::test]
async fn every_read_over_the_fixture_city_answers_what_the_document_says() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([
        task_event("e1", "t1", "w2", "2026-11-30", START),
        {"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 80},
        {"type": "kr_checkin", "id": "c1", "at": START, "key_result": "kr-1", "value": 60, "confidence": 7},
        {"type": "satisfaction_rating", "id": "r1", "at": START, "unit": "p-1", "service": "Khai sinh", "score": 4}
    ]))
    .await;
    app.set_clock("2026-12-05T08:00:00+07:00").await;
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/periods/2026",
            &json!({"state": "active"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The caller's own work is read as a ward leader linked to a person, who has some.
    let leader = app
        .account("contract-leader", Some("w1"), &[("leader", "p-1")])
        .await;
    // An explanation request with an answer, for the explanation reads.
    let (status, body) = app
        .post(
            "/api/v1/explanations",
            &json!({"id": "x1", "subject_kind": "task", "subject": "t1", "question": "Vì sao chậm?", "due": "2026-12-31"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // A task template, made and then made due by the clock: its reads have something to show.
    let (status, body) = app
        .send_as(
            Some(&leader),
            reqwest::Method::POST,
            "/api/v1/task-templates",
            Some(&json!({"id": "bc-thang", "unit": "p-1", "title": "Báo cáo", "responsible": "w2", "every": "monthly", "day": 25})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // A closed review meeting of the city with two conclusions: its reads, and the review's
    // follow-up once the clock has moved on.
    let (status, body) = app
        .post(
            "/api/v1/meetings",
            &json!({"unit": "hn", "period": "2026-W45", "chair": "a1", "attendees": ["w1"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    for conclusion in [
        json!({"id": "k1", "text": "Giữ nguyên kế hoạch", "action": "silence", "reason": "Đúng tiến độ"}),
        json!({"id": "k2", "text": "Giải trình việc chậm", "action": "explain",
               "explain": {"subject_kind": "task", "subject": "t1", "due": "2026-12-31"}}),
    ] {
        let (status, body) = app
            .post("/api/v1/meetings/gb-hn-2026-W45/conclusions", &conclusion)
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = app
        .post("/api/v1/meetings/gb-hn-2026-W45/close", &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    app.set_clock("2026-12-21T08:00:00+07:00").await;
    let doc = app.get_ok("/api/openapi.json").await;
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(op) = ops.get("get") else { continue };
        if op["responses"]["200"]["content"]["application/json"].is_null()
            || path.contains("/months/")
        {
            continue; // charts, the report, metrics, the WebSocket, a month's files
        }
        let id = [
            ("/api/v1/people", "w2"),
            ("/api/v1/evaluations/people", "w2"),
            ("/api/v1/tasks", "t1"),
            ("/api/v1/events", "e1"),
            ("/api/v1/kpis", "TTHC"),
            ("/api/v1/objectives", "o-city"),
            ("/api/v1/key-results", "kr-1"),
            ("/api/v1/accounts", "admin"),
            ("/api/v1/task-templates", "bc-thang"),
            ("/api/v1/explanations", "x1"),
            ("/api/v1/meetings", "gb-hn-2026-W45"),
        ]
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map_or("hn", |(_, id)| id);
        let mut concrete = path
            .replace("{id}", id)
            .replace("{label}", "2026")
            .replace("{unit}", "p-1");
        if path == "/api/v1/units/{id}/review" {
            // A week after the meeting's: the review opens with its conclusions.
            concrete.push_str("?week=2026-W46");
        }
        if path == "/api/v1/events/{id}" {
            // Ids are their source's: e1 came through the integration feed.
            concrete.push_str(&format!("?source={}", app.feed_source()));
        }
        if path.ends_with("/as-of") {
            // A moment is required: the clock's own (history reaches it).
            let now = app.get_ok("/api/v1/clock").await["now"]
                .as_str()
                .unwrap()
                .replace('+', "%2B");
            concrete.push_str(&format!("?at={now}"));
        }
        let cred = path.starts_with("/api/v1/me/").then_some(leader.as_str());
        let (status, _) = conforms_as(&app, cred, "GET", path, &concrete, None).await;
        assert_eq!(status, 200, "GET {concrete}");
        checked += 1;
    }
    assert!(checked > 40, "only {checked} reads checked");
    // The check itself tells a wrong shape: a bare array is not a page, an undocumented field
    // is not part of a closed object.
    let mut errors = Vec::new();
    violations(
        &doc,
        &json!({"$ref": "#/components/schemas/UnitInPage"}),
        &json!([]),
        "$",
        &mut errors,
    );
    assert!(!errors.is_empty());
    let unit = json!({"id": "hn", "name": "Hà Nội", "level": "city", "colour": "red"});
    let mut errors = Vec::new();
    violations(
        &doc,
        &json!({"$ref": "#/components/schemas/UnitIn"}),
        &unit,
        "$",
        &mut errors,
    );
    assert_eq!(errors, ["$: 'colour' is not a documented property"]);
    // Lists are pages or arrays, as documented; refusals are ErrorBody.
    conforms(
        &app,
        "GET",
        "/api/v1/units",
        "/api/v1/units?limit=2&offset=1",
        None,
    )
    .await;
    let (status, _) = conforms(
        &app,
        "GET",
        "/api/v1/units/{id}",
        "/api/v1/units/nowhere",
        None,
    )
    .await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn creations_answer_201_with_the_documented_body() {
    let app = spawn_app().await;
    app.load_fixture().await;
    for (path, body) in [
        (
            "/api/v1/units",
            json!({"id": "p-3", "name": "Phường Tây Hồ", "level": "ward", "parent": "hn"}),
        ),
        (
            "/api/v1/people",
            json!({"id": "w5", "name": "Đỗ Văn Em", "unit": "p-3", "position": "Cán bộ"}),
        ),
        (
            "/api/v1/objectives",
            json!({"id": "o-p3", "unit": "p-3", "title": "Một cửa", "period": "2026"}),
        ),
        (
            "/api/v1/key-results",
            json!({"id": "kr-9", "objective": "o-p3", "title": "Hồ sơ", "start": 0, "target": 10, "unit_of_measure": "hồ sơ"}),
        ),
        (
            "/api/v1/accounts",
            json!({"id": "p3-leader", "name": "Lãnh đạo", "grants": [{"role": "leader", "unit": "p-3"}]}),
        ),
        (
            "/api/v1/tokens",
            json!({"name": "Một cửa", "units": ["p-3"], "permissions": ["kpi_observation"]}),
        ),
    ] {
        let (status, answer) = conforms(&app, "POST", path, path, Some(&body)).await;
        assert_eq!(status, 201, "POST {path}: {answer}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_key_result_and_the_clock_as_read_are_taken_back_by_put_and_post() {
    let app = spawn_app().await;
    app.load_fixture().await;
    app.ingest(json!([{"type": "kr_checkin", "id": "c1", "at": START, "key_result": "kr-1", "value": 60, "confidence": 7}]))
        .await;
    let read = app.get_ok("/api/v1/key-results/kr-1").await;
    assert_eq!(read["confidence"], 7, "{read}");
    let (status, written) = conforms(
        &app,
        "PUT",
        "/api/v1/key-results/{id}",
        "/api/v1/key-results/kr-1",
        Some(&read),
    )
    .await;
    assert_eq!(status, 200, "{written}");
    assert_eq!(written, read, "sending a read back changes nothing");
    // Confidence comes from check-ins only: a write's is ignored.
    let mut changed = read.clone();
    changed["confidence"] = json!(2);
    let (status, written) = app
        .send(reqwest::Method::PUT, "/api/v1/key-results/kr-1", &changed)
        .await;
    assert_eq!(status, 200, "{written}");
    assert_eq!(written["confidence"], 7);

    let clock = app.get_ok("/api/v1/clock").await;
    assert_eq!(clock["mode"], "manual");
    let (status, moved) =
        conforms(&app, "POST", "/api/v1/clock", "/api/v1/clock", Some(&clock)).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved, clock);
    app.stop().await;
}

#[tokio::test]
async fn axum_refusals_of_queries_paths_and_methods_leave_as_json_errors() {
    let app = spawn_app().await;
    app.load_fixture().await;
    for (method, template, path, status) in [
        ("GET", "/api/v1/units", "/api/v1/units?limit=many", 400),
        ("GET", "/api/v1/units", "/api/v1/units?offset=-1", 400),
        (
            "GET",
            "/api/v1/alerts",
            "/api/v1/alerts?silenced=maybe",
            400,
        ),
        (
            "GET",
            "/api/v1/alerts/history",
            "/api/v1/alerts/history?before=yesterday",
            400,
        ),
        ("GET", "/api/v1/audit", "/api/v1/audit?limit=ten", 400),
        (
            "GET",
            "/api/v1/units/{id}/view",
            "/api/v1/units/%FF/view",
            400,
        ),
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{method} {path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("application/json"), "{path}: {ct}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request", "{path}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
        conforms(&app, method, template, path, None).await;
    }
    // A method the route does not take: 405 naming the ones it does, in JSON.
    let r = app
        .client
        .delete(app.url("/api/v1/units"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let allow = r.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
    // A refusal already in JSON keeps its own body.
    let (status, body) = app.get("/api/v1/units/nowhere").await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("not_found")));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'nowhere'"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn events_satisfy_the_documented_event_schema_and_the_examples_are_events() {
    let app = spawn_app().await;
    let doc = app.get_ok("/api/openapi.json").await;
    let event_in = &doc["components"]["schemas"]["EventIn"];
    assert_eq!(
        event_in["discriminator"]["propertyName"], "type",
        "{event_in}"
    );
    let kinds: BTreeSet<&str> = event_in["discriminator"]["mapping"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "task",
            "kr_checkin",
            "kpi_observation",
            "satisfaction_rating"
        ])
    );
    let examples = event_in["examples"].as_array().expect("examples");
    let shown: BTreeSet<&str> = examples.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(shown, kinds, "an example of each kind");
    let event = json!({"$ref": "#/components/schemas/EventIn"});
    let mut events: Vec<Value> = examples.clone();
    events.extend([
        task_event("e1", "t1", "w2", "2026-11-30", START),
        json!({"type": "task", "id": "e2", "at": START, "task_id": "t1", "progress": 40, "status": "in_progress", "start": "2026-11-01", "consulted": ["a1"]}),
        json!({"type": "kr_checkin", "id": "c1", "at": START, "key_result": "kr-1", "value": 60}),
        json!({"type": "kpi_observation", "id": "o1", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 80, "entered_by": "w2"}),
    ]);
    for e in &events {
        let mut errors = Vec::new();
        violations(&doc, &event, e, "$", &mut errors);
        assert!(
            errors.is_empty(),
            "{e} does not satisfy EventIn: {errors:?}"
        );
    }
    // What the schema refuses the server refuses too.
    for bad in [
        json!({"id": "x", "at": START, "task_id": "t1"}),
        json!({"type": "task", "id": "x", "at": START, "task_id": "t1", "colour": "red"}),
        json!({"type": "rating", "id": "x", "at": START}),
    ] {
        let mut errors = Vec::new();
        violations(&doc, &event, &bad, "$", &mut errors);
        assert!(!errors.is_empty(), "{bad} satisfies EventIn");
        let (status, body) = app.post_events(&json!([bad])).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_document_lists_each_operations_parameters_with_their_types() {
    let app = spawn_app().await;
    let doc = app.get_ok("/api/openapi.json").await;
    let param = |path: &str, name: &str| -> Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {path} has no parameters"))
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("GET {path} has no parameter {name}"))
            .clone()
    };
    assert_eq!(param("/api/v1/units", "limit")["schema"]["maximum"], 10_000);
    assert_eq!(param("/api/v1/units/{id}", "id")["in"], "path");
    assert_eq!(
        param("/api/v1/units/{id}/tasks", "due")["schema"]["enum"],
        json!(["overdue", "soon"])
    );
    assert_eq!(
        param("/api/v1/alerts", "silenced")["schema"]["type"],
        "boolean"
    );
    assert_eq!(
        param("/api/v1/units/{id}/report", "format")["schema"]["enum"],
        json!(["html", "csv", "xlsx"])
    );
    // The public routes need no credentials; the rest take a bearer token or the cookie.
    assert_eq!(doc["paths"]["/healthz"]["get"]["security"], json!([]));
    assert_eq!(
        doc["paths"]["/api/v1/session"]["post"]["security"],
        json!([])
    );
    assert!(doc["paths"]["/api/v1/units"]["get"]["security"].is_null());
    assert!(doc["security"].as_array().is_some_and(|s| !s.is_empty()));
    // NDJSON is a documented body of POST /events.
    let body = &doc["paths"]["/api/v1/events"]["post"]["requestBody"]["content"];
    assert!(body["application/x-ndjson"].is_object(), "{body}");
    app.stop().await;
}

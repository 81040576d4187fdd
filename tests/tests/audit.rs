//! The audit trail (SECURITY.md "Audit trail"): every change made through the API is an entry
//! naming who, from where, what, on which entity, and the old and new values; a ward's viewer
//! reads its ward's entries only; an entry edited or deleted by going around the database's
//! trigger breaks the hash chain, and `ioc audit verify` (the real binary) finds it by seq, on
//! SQLite and on PostgreSQL. And a revoked API token stops working at once, WebSocket included.

use ioc_tests::{
    fresh_postgres_db, postgres_admin_url, spawn_app, spawn_app_with_limits_on, task_event,
    with_leaders, TestApp, START,
};
use serde_json::{json, Value};

async fn send_as(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            app.url(path),
        )
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = &body {
        r = r.json(b);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn ok_as(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let (status, got) = send_as(app, token, method, path, body).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {got}"
    );
    got
}

/// Every entry the caller may read, oldest first, page by page.
async fn audit_all(app: &TestApp, token: &str) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    let mut after = 0;
    loop {
        let page = ok_as(
            app,
            token,
            "GET",
            &format!("/api/v1/audit?after={after}&limit=1000"),
            None,
        )
        .await;
        let page = page.as_array().expect("a list of entries").clone();
        let n = page.len();
        if let Some(last) = page.last() {
            after = last["seq"].as_i64().expect("seq");
        }
        all.extend(page);
        if n < 1000 {
            return all;
        }
    }
}

/// A field as text (strings as they are, the rest as JSON).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Whether `v` holds, at any depth, `key` with the number `x`.
fn has_number(v: &Value, key: &str, x: f64) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, val)| (k == key && val.as_f64() == Some(x)) || has_number(val, key, x)),
        Value::Array(a) => a.iter().any(|val| has_number(val, key, x)),
        _ => false,
    }
}

fn find<'a>(entries: &'a [Value], what: &str, pred: impl Fn(&Value) -> bool) -> &'a Value {
    entries.iter().find(|e| pred(e)).unwrap_or_else(|| {
        panic!(
            "no audit entry for {what} among {} entries:\n{}",
            entries.len(),
            entries
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// The entry names its actor and address and what happened.
fn assert_attributed(what: &str, e: &Value, actor: &str) {
    assert!(
        text(&e["actor"]).contains(actor),
        "{what}: actor {actor} expected: {e}"
    );
    assert!(
        text(&e["ip"]).contains("127.0.0.1"),
        "{what}: the caller's address expected: {e}"
    );
    assert!(!text(&e["action"]).is_empty(), "{what}: no action: {e}");
    assert!(!text(&e["entity"]).is_empty(), "{what}: no entity: {e}");
}

async fn create_token(app: &TestApp, units: &[&str], permissions: &[&str]) -> (String, String) {
    let body = ok_as(
        app,
        &app.token,
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "Cổng dữ liệu", "units": units, "permissions": permissions})),
    )
    .await;
    (
        text(&body["id"]),
        body["token"]
            .as_str()
            .expect("the token, shown once")
            .to_string(),
    )
}

#[tokio::test]
async fn changes_through_the_api_are_audited_with_actor_address_and_values_and_scoped_by_unit() {
    let app = spawn_app().await;
    app.load_fixture().await;
    with_leaders(&app).await;
    let admin = app.token.clone();
    let ops = app
        .account("ops", None, &[("leader", "*"), ("data_entry", "*")])
        .await;

    // A task event: created, then its progress.
    ok_as(
        &app,
        &ops,
        "POST",
        "/api/v1/events",
        Some(json!([task_event("a1", "a-t1", "w2", "2026-12-31", START)])),
    )
    .await;
    ok_as(&app, &ops, "POST", "/api/v1/events", Some(json!([
        {"type": "task", "id": "a2", "at": "2026-11-02T09:00:00+07:00", "task_id": "a-t1", "progress": 40, "status": "in_progress"}
    ]))).await;
    // A KPI value in p-1 and one in p-2; red values fire alerts.
    ok_as(&app, &ops, "POST", "/api/v1/events", Some(json!([
        {"type": "kpi_observation", "id": "a3", "at": START, "kpi": "KN", "unit": "p-1", "period": "2026-10", "value": 3},
        {"type": "kpi_observation", "id": "a4", "at": START, "kpi": "TTHC", "unit": "p-1", "period": "2026-10", "value": 80},
        {"type": "kpi_observation", "id": "a5", "at": START, "kpi": "TTHC", "unit": "p-2", "period": "2026-10", "value": 81.5}
    ]))).await;
    // A catalog entry replaced.
    ok_as(&app, &admin, "PUT", "/api/v1/units/p-1.vh", Some(json!({"id": "p-1.vh", "name": "Phòng Văn hóa và Thông tin", "level": "division", "parent": "p-1"}))).await;
    // An alert acknowledged.
    let (status, body) = send_as(&app, &ops, "POST", "/api/v1/alerts/ack", Some(json!({"rule": "builtin.kpi_thresholds", "subject": "TTHC@p-1", "comment": "Đang xử lý"}))).await;
    assert_eq!(status, 204, "{body}");
    // Accounts created, a token created and revoked.
    let viewer_p1 = app.account("a-viewer", None, &[("viewer", "p-1")]).await;
    let viewer_p2 = app.account("b-viewer", None, &[("viewer", "p-2")]).await;
    let (token_id, secret) = create_token(&app, &["p-1"], &["read"]).await;
    let (status, body) = send_as(
        &app,
        &admin,
        "DELETE",
        &format!("/api/v1/tokens/{token_id}"),
        None,
    )
    .await;
    assert!((200..300).contains(&status), "revoke: {status} {body}");

    let entries = audit_all(&app, &admin).await;
    let mut last = 0;
    for e in &entries {
        let seq = e["seq"]
            .as_i64()
            .unwrap_or_else(|| panic!("an entry without seq: {e}"));
        assert!(
            seq > last,
            "seq {seq} after {last}: entries come oldest first, once"
        );
        last = seq;
        for field in ["at", "actor", "ip", "action", "entity", "hash"] {
            assert!(!text(&e[field]).is_empty(), "an entry without {field}: {e}");
        }
    }

    let task = find(&entries, "the task's progress", |e| {
        text(e).contains("a-t1") && has_number(&e["new"], "progress", 40.0)
    });
    assert_attributed("the task's progress", task, "account:ops");
    assert!(
        !task["old"].is_null(),
        "a change names the old value of what it changed: {task}"
    );
    assert!(
        text(&task["unit"]) == "p-1.vh",
        "the task's entry belongs to its unit: {task}"
    );

    let kpi = find(&entries, "the KPI value", |e| {
        text(e).contains("KN") && text(&e["unit"]) == "p-1" && has_number(&e["new"], "value", 3.0)
    });
    assert_attributed("the KPI value", kpi, "account:ops");

    let unit = find(&entries, "the catalog PUT", |e| {
        text(&e["entity"]).contains("p-1.vh")
            && text(&e["new"]).contains("Phòng Văn hóa và Thông tin")
    });
    assert_attributed("the catalog PUT", unit, "account:admin");
    assert!(
        text(&unit["old"]).contains("Phòng Văn hóa - Xã hội"),
        "the old name: {unit}"
    );
    assert!(
        !text(&unit["new"]).contains("\"level\"") && !text(&unit["old"]).contains("\"level\""),
        "old and new carry the fields that changed, not the whole entry: {unit}"
    );

    let ack = find(&entries, "the alert acknowledgement", |e| {
        text(e).contains("TTHC@p-1") && text(&e["action"]).to_lowercase().contains("ack")
    });
    assert_attributed("the alert acknowledgement", ack, "account:ops");

    let account = find(&entries, "the account creation", |e| {
        text(&e["entity"]).contains("a-viewer") && text(&e["action"]).contains("create")
    });
    assert_attributed("the account creation", account, "account:admin");
    assert!(
        text(&account["new"]).contains("viewer"),
        "the new account's grants: {account}"
    );

    let revoked = find(&entries, "the token revocation", |e| {
        text(&e["entity"]).contains(&token_id) && text(&e["action"]).contains("revok")
    });
    assert_attributed("the token revocation", revoked, "account:admin");

    for (what, e) in [
        ("task", task),
        ("KPI value", kpi),
        ("catalog PUT", unit),
        ("alert ack", ack),
        ("account", account),
        ("token revocation", revoked),
    ] {
        println!("{what}: {e}");
    }

    // No secret ever reaches the trail.
    let dump = serde_json::to_string(&entries).unwrap();
    // The secret after `ioct_<id>_` (it may itself hold underscores).
    let token_secret = secret
        .strip_prefix(&format!("ioct_{token_id}_"))
        .unwrap_or_else(|| panic!("a token of the form ioct_<id>_<secret>: {secret}"));
    assert!(token_secret.len() >= 16, "a short secret: {secret}");
    for (what, secret) in [
        ("a password", "-password-1"),
        ("a password hash", "$argon2"),
        ("a token secret", token_secret),
    ] {
        assert!(!dump.contains(secret), "{what} in the audit trail");
    }

    // A ward's viewer reads its ward's entries and no other's.
    let p1_units = ["p-1", "p-1.vh"];
    let seen = audit_all(&app, &viewer_p1).await;
    assert!(
        seen.iter().any(|e| e["seq"] == kpi["seq"]) && seen.iter().any(|e| e["seq"] == unit["seq"]),
        "the p-1 viewer sees its ward's entries"
    );
    for e in &seen {
        assert!(
            p1_units.contains(&text(&e["unit"]).as_str()),
            "the p-1 viewer sees an entry of another unit: {e}"
        );
    }
    let p2 = find(&entries, "the KPI value in p-2", |e| {
        text(&e["unit"]) == "p-2" && has_number(&e["new"], "value", 81.5)
    });
    assert!(!seen.iter().any(|e| e["seq"] == p2["seq"]));
    let seen2 = audit_all(&app, &viewer_p2).await;
    assert!(
        seen2.iter().any(|e| e["seq"] == p2["seq"]),
        "the p-2 viewer sees its own"
    );
    assert!(
        seen2.iter().all(|e| text(&e["unit"]) == "p-2"),
        "the p-2 viewer sees another unit's entries"
    );
    let (status, body) = send_as(&app, &viewer_p1, "GET", "/api/v1/audit?unit=p-2", None).await;
    assert!(
        status == 403 || (status == 200 && body.as_array().is_some_and(|a| a.is_empty())),
        "another ward's entries asked by name: {status} {body}"
    );
    app.stop().await;
}

/// A server with a few audited changes of every kind; the API's verdict on its chain and the
/// entries.
async fn audited(app: &TestApp) -> (Value, Vec<Value>) {
    app.load_fixture().await;
    with_leaders(app).await;
    let ops = app
        .account("ops", None, &[("leader", "*"), ("data_entry", "*")])
        .await;
    ok_as(app, &ops, "POST", "/api/v1/events", Some(json!([
        task_event("v1", "v-t1", "w2", "2026-12-31", START),
        {"type": "kpi_observation", "id": "v2", "at": START, "kpi": "KN", "unit": "p-1", "period": "2026-10", "value": 3}
    ]))).await;
    for name in ["Phòng Văn hóa", "Phòng Văn hóa - Thông tin"] {
        ok_as(
            app,
            &app.token,
            "PUT",
            "/api/v1/units/p-1.vh",
            Some(json!({"id": "p-1.vh", "name": name, "level": "division", "parent": "p-1"})),
        )
        .await;
    }
    app.account("v-viewer", None, &[("viewer", "p-1")]).await;
    let verdict = ok_as(app, &app.token, "GET", "/api/v1/audit/verify", None).await;
    assert_eq!(verdict["ok"], true, "an untouched chain: {verdict}");
    let entries = audit_all(app, &app.token).await;
    assert!(entries.len() >= 10, "only {} entries", entries.len());
    assert_eq!(
        verdict["entries"].as_u64(),
        Some(entries.len() as u64),
        "the verdict counts every entry: {verdict}"
    );
    assert_eq!(
        text(&verdict["head"]),
        text(&entries.last().unwrap()["hash"]),
        "the head is the newest entry's hash"
    );
    (verdict, entries)
}

/// `ioc audit verify` on this database: (success, stdout and stderr).
async fn run_verify(url: &str) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ioc-e2e"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run ioc audit verify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("ioc audit verify ({}):\n{text}", out.status);
    (out.status.success(), text)
}

/// Whether `n` appears in `text` as a whole number.
fn mentions_number(text: &str, n: i64) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .any(|w| w == n.to_string())
}

/// Before tampering: exit 0, the entry count and the head hash.
async fn verify_clean(url: &str, verdict: &Value) {
    let (ok, out) = run_verify(url).await;
    assert!(ok, "ioc audit verify on an untouched chain failed:\n{out}");
    let entries = verdict["entries"].as_i64().unwrap();
    assert!(
        mentions_number(&out, entries),
        "the output names the entry count {entries}:\n{out}"
    );
    let head = text(&verdict["head"]);
    assert!(
        out.contains(&head),
        "the output names the head hash {head}:\n{out}"
    );
}

/// A seq from the middle of the chain (neither the first nor the newest).
fn middle(entries: &[Value]) -> i64 {
    entries[entries.len() / 2]["seq"].as_i64().unwrap()
}

/// SQLite: the trigger refuses `sql` on the audit table; an attacker drops the triggers and runs it.
async fn tamper_sqlite(url: &str, sql: &str, seq: i64) {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::SqliteConnection::connect(url)
        .await
        .expect("open the database file");
    let refused = sqlx::query(sql).bind(seq).execute(&mut conn).await;
    assert!(
        refused.is_err(),
        "the audit table took `{sql}` through its front door"
    );
    let triggers: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>("name"))
    .collect();
    assert!(!triggers.is_empty(), "no trigger guards audit_log");
    for t in &triggers {
        sqlx::query(&format!("DROP TRIGGER \"{t}\""))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let done = sqlx::query(sql).bind(seq).execute(&mut conn).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "`{sql}` for seq {seq}");
    conn.close().await.unwrap();
}

const EDIT: &str =
    "UPDATE audit_log SET new_value = '{\"name\":\"Phòng Tài chính\"}' WHERE seq = $1";
const DELETE: &str = "DELETE FROM audit_log WHERE seq = $1";

#[tokio::test]
async fn an_edited_audit_entry_is_found_by_seq_by_ioc_audit_verify() {
    let app = spawn_app().await;
    let (verdict, entries) = audited(&app).await;
    let url = app.database_url.clone();
    let stopped = app.stop_keeping_database().await;
    verify_clean(&url, &verdict).await;

    let seq = middle(&entries);
    tamper_sqlite(&url, EDIT, seq).await;
    let (ok, out) = run_verify(&url).await;
    assert!(!ok, "ioc audit verify passed a tampered chain:\n{out}");
    assert!(
        mentions_number(&out, seq),
        "the output names the edited entry's seq {seq}:\n{out}"
    );
    drop(stopped);
}

#[tokio::test]
async fn a_deleted_audit_entry_breaks_the_next_link_and_is_found() {
    let app = spawn_app().await;
    let (verdict, entries) = audited(&app).await;
    let url = app.database_url.clone();
    let stopped = app.stop_keeping_database().await;
    verify_clean(&url, &verdict).await;

    let seq = middle(&entries);
    let next = entries
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .find(|s| *s > seq)
        .unwrap();
    tamper_sqlite(&url, DELETE, seq).await;
    let (ok, out) = run_verify(&url).await;
    assert!(!ok, "ioc audit verify passed a chain with a hole:\n{out}");
    assert!(
        mentions_number(&out, seq) || mentions_number(&out, next),
        "the output names the deleted entry's seq {seq} or the next one's {next}:\n{out}"
    );
    drop(stopped);
}

#[tokio::test]
async fn an_edited_audit_entry_is_found_on_postgres_too() {
    let test = "an_edited_audit_entry_is_found_on_postgres_too";
    let Some(admin) = postgres_admin_url(test) else {
        return;
    };
    let url = fresh_postgres_db(&admin).await;
    let app = spawn_app_with_limits_on(&url, ioc::http::Limits::default()).await;
    let (verdict, entries) = audited(&app).await;
    app.stop().await;
    verify_clean(&url, &verdict).await;

    use sqlx::{Connection, Row};
    let seq = middle(&entries);
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    let refused = sqlx::query(EDIT).bind(seq).execute(&mut conn).await;
    assert!(
        refused.is_err(),
        "the audit table took an UPDATE through its front door"
    );
    let triggers: Vec<String> = sqlx::query(
        "SELECT DISTINCT trigger_name::text AS name FROM information_schema.triggers WHERE event_object_table = 'audit_log'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>("name"))
    .collect();
    assert!(!triggers.is_empty(), "no trigger guards audit_log");
    for t in &triggers {
        sqlx::query(&format!("DROP TRIGGER \"{t}\" ON audit_log"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let done = sqlx::query(EDIT)
        .bind(seq)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
    // And a hole further on: the first break is still the edited entry.
    let later = entries[entries.len() - 2]["seq"].as_i64().unwrap();
    sqlx::query(DELETE)
        .bind(later)
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (ok, out) = run_verify(&url).await;
    assert!(!ok, "ioc audit verify passed a tampered chain:\n{out}");
    assert!(
        mentions_number(&out, seq),
        "the output names the edited entry's seq {seq}:\n{out}"
    );
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once_also_at_the_websocket() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let (id, token) = create_token(&app, &["p-1"], &["read"]).await;
    let (status, body) = send_as(&app, &token, "GET", "/api/v1/units/p-1/view", None).await;
    assert_eq!(status, 200, "{body}");
    let mut open = app
        .ws_with(Some(&token))
        .await
        .expect("the token opens a WebSocket");
    open.subscribe("unit", "p-1").await;
    open.until("the snapshot", |v| v["type"] == "view").await;

    let (status, body) = send_as(
        &app,
        &app.token,
        "DELETE",
        &format!("/api/v1/tokens/{id}"),
        None,
    )
    .await;
    assert!((200..300).contains(&status), "revoke: {status} {body}");
    let (status, body) = send_as(&app, &token, "GET", "/api/v1/units/p-1/view", None).await;
    assert_eq!(status, 401, "the next request with a revoked token: {body}");
    assert_eq!(body["error"]["code"], "unauthenticated", "{body}");
    match app.ws_with(Some(&token)).await {
        Err(status) => assert_eq!(status, 401, "a WebSocket upgrade with a revoked token"),
        Ok(_) => panic!("a revoked token opened a WebSocket"),
    }
    // The token list says so.
    let list = ok_as(&app, &app.token, "GET", "/api/v1/tokens", None).await;
    let t = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| text(&t["id"]) == id)
        .unwrap_or_else(|| panic!("the revoked token is still listed: {list}"));
    assert!(!t["revoked_at"].is_null(), "{t}");
    assert!(
        t.get("token").is_none(),
        "the secret is shown once only: {t}"
    );
    app.stop().await;
}

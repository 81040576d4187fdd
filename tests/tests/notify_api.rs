//! Notifications over the API: contact points belong to their person (or an admin over their
//! unit), secrets are write-only, every change is audited, and bad input is refused naming the
//! field with nothing changed; the inbox is its person's, read over REST and live over the
//! WebSocket; a message's link opens it for its person or their scope, expires, survives one key
//! rotation, and never acknowledges; a Zalo ZNS template is filled and a refusal in a 200 answer
//! counts as a failure.

use ioc_tests::notify::{quiet_city, read_until, set_contact_points, value, Hook};
use ioc_tests::test_notify;
use serde_json::{json, Value};

const CP: &str = "/api/v1/people/w1/contact-points";

async fn put(
    app: &ioc_tests::TestApp,
    who: Option<&str>,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    app.send_as(who, reqwest::Method::PUT, path, Some(body))
        .await
}

#[tokio::test]
async fn contact_points_are_their_persons_or_an_admins_with_secrets_write_only_and_every_change_audited(
) {
    // A city's settings: https to public addresses only.
    let mut cfg = test_notify();
    cfg.allow_plain_http = false;
    cfg.allow_private_addresses = false;
    let app = quiet_city(cfg).await;
    let w1 = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    let w2 = app
        .account("w2", Some("w2"), &[("data_entry", "p-1.vh")])
        .await;
    let admin_p1 = app.account("adm-p1", None, &[("admin", "p-1")]).await;
    let admin_p2 = app.account("adm-p2", None, &[("admin", "p-2")]).await;

    let (status, mine) = app.send_as(Some(&w1), reqwest::Method::GET, CP, None).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["role"], "leader");
    assert_eq!(mine["person_name"], "Lê Văn Cường");
    assert_eq!(
        mine["contact_points"],
        json!([{"id": "inbox", "kind": "inbox", "name": null, "address": null, "url": null, "method": null, "headers": null, "body": null, "expect": null, "timeout_ms": null, "secret_set": null, "token_set": null, "severities": ["red", "yellow", "info"], "digest": true, "enabled": true}])
    );
    assert_eq!(mine["policy"], Value::Null);
    assert_eq!(
        mine["effective"]["yellow"], "digest",
        "a leader's yellow waits for the digest"
    );
    assert_eq!(mine["effective"]["quiet_hours"], "22:00-06:30");
    assert_eq!(mine["effective"]["digest_at"], "07:00");
    for (who, name) in [
        (&w2, "another official"),
        (&admin_p2, "another ward's admin"),
        (&app.feed_token, "an API token"),
    ] {
        let (status, body) = app.send_as(Some(who), reqwest::Method::GET, CP, None).await;
        assert_eq!(status, 403, "{name}: {body}");
    }
    let (status, _) = app
        .send_as(Some(&admin_p1), reqwest::Method::GET, CP, None)
        .await;
    assert_eq!(status, 200, "the ward's admin");

    let settings = json!({
        "contact_points": [
            {"id": "hook", "kind": "webhook", "url": "https://hooks.hanoi.gov.vn/ioc", "secret": "hook-secret-7f3a"},
            {"id": "zalo", "kind": "http_template", "name": "Zalo ZNS", "url": "https://business.openapi.zalo.me/message/template",
             "headers": {"access_token": "{token}"}, "token": "zalo-token-91c2", "address": "84912345678",
             "body": {"phone": "{address}", "template_id": "250001", "template_data": {"noi_dung": "{summary_vi:100}"}, "tracking_id": "{id}"},
             "expect": {"field": "error", "equals": 0}, "severities": ["red"]}
        ],
        "policy": {"quiet_hours": "21:30-06:00", "digest_at": "06:45"}
    });
    let (status, body) = put(&app, Some(&w1), CP, &settings).await;
    assert_eq!(status, 200, "{body}");
    let text = body.to_string();
    assert!(
        !text.contains("hook-secret-7f3a") && !text.contains("zalo-token-91c2"),
        "secrets are never read back: {text}"
    );
    assert_eq!(body["contact_points"][1]["secret_set"], true);
    assert_eq!(body["contact_points"][2]["token_set"], true);
    assert_eq!(body["effective"]["quiet_hours"], "21:30-06:00");
    assert_eq!(
        body["policy"],
        json!({"quiet_hours": "21:30-06:00", "digest_at": "06:45"})
    );

    // Bad input, each refused naming its field; nothing changes.
    let bad = [
        (
            json!({"contact_points": [{"kind": "webhook", "url": "http://hooks.hanoi.gov.vn/ioc"}]}),
            "contact_points[0].url",
            "https",
        ),
        (
            json!({"contact_points": [{"kind": "webhook", "url": "https://10.1.2.3/ioc"}]}),
            "contact_points[0].url",
            "private",
        ),
        (
            json!({"contact_points": [{"kind": "webhook", "url": "https://169.254.169.254/latest/meta-data"}]}),
            "contact_points[0].url",
            "private",
        ),
        (
            json!({"contact_points": [{"kind": "inbox"}, {"kind": "http_template", "url": "https://sms.vn/send", "body": {"template_data": {"ten_don_vi": "{ten_don_vi}"}}}]}),
            "contact_points[1].body.template_data.ten_don_vi",
            "unknown placeholder '{ten_don_vi}'",
        ),
        (
            json!({"contact_points": [{"kind": "email", "address": "ct@@hanoi"}]}),
            "contact_points[0].address",
            "not a mailbox",
        ),
        (
            json!({"contact_points": [], "policy": {"quiet_hours": "22h-6h30"}}),
            "policy.quiet_hours",
            "HH:MM-HH:MM",
        ),
        (
            json!({"contact_points": [], "policy": {"red": "digest", "digest_at": "off"}}),
            "policy.red",
            "set digest_at",
        ),
    ];
    for (body, field, words) in bad {
        let (status, answer) = put(&app, Some(&w1), CP, &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(words),
            "{answer}"
        );
        // A Vietnamese page reads the same refusal in Vietnamese, keyed so it can word it.
        let r = reqwest::Client::new()
            .put(app.url(CP))
            .bearer_auth(&w1)
            .header("accept-language", "vi")
            .json(&body)
            .send()
            .await
            .expect("put");
        assert_eq!(r.status().as_u16(), 422);
        let vi: Value = r.json().await.expect("json");
        assert_eq!(vi["error"]["field"], field, "{vi}");
        assert!(vi["error"]["reason"].is_string(), "not keyed: {vi}");
        assert_ne!(vi["error"]["message"], answer["error"]["message"], "{vi}");
    }
    let (status, answer) = put(&app, Some(&admin_p2), CP, &json!({"contact_points": []})).await;
    assert_eq!(status, 403, "{answer}");
    let (_, now) = app.send_as(Some(&w1), reqwest::Method::GET, CP, None).await;
    assert_eq!(
        now["contact_points"].as_array().unwrap().len(),
        3,
        "refused writes changed nothing: {now}"
    );

    // The ward's admin keeps the secrets by leaving them out, and removes the template.
    let (status, body) = put(&app, Some(&admin_p1), CP, &json!({"contact_points": [{"id": "hook", "kind": "webhook", "url": "https://hooks.hanoi.gov.vn/ioc2"}]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["contact_points"][1]["secret_set"], true, "{body}");
    assert_eq!(
        body["policy"],
        Value::Null,
        "no policy given: the defaults again"
    );

    // Both changes are in the audit trail, by whom, without a secret.
    let audit = app.get_ok("/api/v1/audit?unit=p-1").await;
    let entries: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "notify.contact_points")
        .collect();
    assert_eq!(entries.len(), 2, "{audit}");
    assert_eq!(entries[0]["actor"], "account:w1");
    assert_eq!(entries[0]["entity"], "person:w1");
    assert_eq!(entries[1]["actor"], "account:adm-p1");
    assert_eq!(
        entries[1]["old"]["contact_points"][0]["url"],
        "https://hooks.hanoi.gov.vn/ioc"
    );
    assert_eq!(
        entries[1]["new"]["contact_points"][0]["url"],
        "https://hooks.hanoi.gov.vn/ioc2"
    );
    let trail = serde_json::to_string(&entries).unwrap();
    assert!(
        !trail.contains("hook-secret-7f3a") && !trail.contains("zalo-token-91c2"),
        "{trail}"
    );
    let (status, verdict) = app
        .send_as(
            Some(&app.token),
            reqwest::Method::GET,
            "/api/v1/audit/verify",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(verdict["ok"], true, "{verdict}");
    app.stop().await;
}

#[tokio::test]
async fn the_inbox_is_its_persons_counts_unread_and_turns_live_over_the_websocket() {
    let app = quiet_city(test_notify()).await;
    set_contact_points(
        &app,
        "w1",
        json!({"contact_points": [], "policy": {"group_wait_seconds": 0}}),
    )
    .await;
    let w1 = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    let w3 = app.account("w3", Some("w3"), &[("leader", "p-2")]).await;
    let mut ws = app.ws_with(Some(&w1)).await.expect("w1's socket");
    ws.subscribe("inbox", "w1").await;
    let first = ws
        .until("w1's inbox", |v| {
            v["type"] == "view" && v["view"] == "inbox"
        })
        .await;
    assert_eq!(first["data"]["unread"], 0);
    assert_eq!(first["data"]["items"], json!([]));
    // Another person's inbox is not to be read, not even by a leader above it.
    let mut other = app.ws_with(Some(&w3)).await.expect("w3's socket");
    other.subscribe("inbox", "w1").await;
    let refused = other.until("a refusal", |v| v["type"] == "error").await;
    assert_eq!(refused["code"], "forbidden", "{refused}");

    app.ingest(json!([value("o1", "TTHC", "p-1", 80.0)])).await;
    let live = ws
        .until("the message, live", |v| {
            v["type"] == "view" && v["data"]["unread"] == 1
        })
        .await;
    let item = &live["data"]["items"][0];
    assert_eq!(item["severity"], "red");
    assert_eq!(item["kind"], "alerts");
    assert!(
        item["title_vi"]
            .as_str()
            .unwrap()
            .starts_with("[IOC] Cảnh báo đỏ: "),
        "{item}"
    );
    assert_eq!(item["items"][0]["subject"], "TTHC@p-1");
    assert_eq!(item["read"], false);

    let (status, page) = app
        .send_as(Some(&w1), reqwest::Method::GET, "/api/v1/inbox", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["person"], "w1");
    assert_eq!(page["unread"], 1);
    let id = page["items"][0]["id"].clone();
    assert_eq!(id, item["id"]);
    // The admin is linked to no person: an empty inbox, not an error.
    let admin = app.get_ok("/api/v1/inbox").await;
    assert_eq!(admin, json!({"person": null, "unread": 0, "items": []}));
    let read = |body: Value| {
        let app = &app;
        let w1 = w1.clone();
        async move {
            app.send_as(
                Some(&w1),
                reqwest::Method::POST,
                "/api/v1/inbox/read",
                Some(&body),
            )
            .await
        }
    };
    let (status, bad) = read(json!({"ids": []})).await;
    assert_eq!(
        (status, bad["error"]["field"].clone()),
        (422, json!("ids")),
        "{bad}"
    );
    let (status, done) = read(json!({"ids": [id]})).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done, json!({"marked": 1, "unread": 0}));
    let (_, again) = read(json!({"ids": [id]})).await;
    assert_eq!(again, json!({"marked": 0, "unread": 0}), "already read");
    let live = ws
        .until("read, live", |v| {
            v["type"] == "view" && v["data"]["unread"] == 0 && v["data"]["items"][0]["read"] == true
        })
        .await;
    assert_eq!(live["data"]["items"].as_array().unwrap().len(), 1);
    // Another person's messages cannot be marked through one's own inbox.
    let (_, none) = app
        .send_as(
            Some(&w3),
            reqwest::Method::POST,
            "/api/v1/inbox/read",
            Some(&json!({"all": true})),
        )
        .await;
    assert_eq!(none["marked"], 0);
    app.stop().await;
}

#[tokio::test]
async fn a_link_opens_its_message_for_its_person_or_their_scope_expires_and_never_acknowledges() {
    let mut cfg = test_notify();
    cfg.link_ttl_ms = 24 * 3_600_000;
    cfg.public_url = Some("https://ioc.hanoi.gov.vn".into());
    let app = quiet_city(cfg).await;
    set_contact_points(
        &app,
        "w1",
        json!({"contact_points": [], "policy": {"group_wait_seconds": 0}}),
    )
    .await;
    let w1 = app.account("w1", Some("w1"), &[("leader", "p-1")]).await;
    let w3 = app.account("w3", Some("w3"), &[("leader", "p-2")]).await;
    let city = app.account("a1", Some("a1"), &[("leader", "hn")]).await;
    app.ingest(json!([value("o1", "TTHC", "p-1", 80.0)])).await;
    let page = read_until(&app, "/api/v1/notify/health", "the inbox delivery", |h| {
        h.as_array()
            .is_some_and(|a| a.iter().any(|x| x["person"] == "w1" && x["delivered"] == 1))
    })
    .await;
    assert!(!page.as_array().unwrap().is_empty());
    let (_, inbox) = app
        .send_as(Some(&w1), reqwest::Method::GET, "/api/v1/inbox", None)
        .await;
    let link = inbox["items"][0]["link"].as_str().unwrap().to_string();
    assert!(
        link.starts_with("https://ioc.hanoi.gov.vn/alerts.html?unit=p-1&msg="),
        "{link}"
    );
    let url = reqwest::Url::parse(&link).unwrap();
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let parts = json!({"msg": q["msg"].parse::<i64>().unwrap(), "exp": q["exp"].parse::<i64>().unwrap(), "sig": q["sig"]});
    let open = |who: Option<String>, body: Value| {
        let app = &app;
        async move {
            app.send_as(
                who.as_deref(),
                reqwest::Method::POST,
                "/api/v1/notify/link",
                Some(&body),
            )
            .await
        }
    };
    let (status, msg) = open(Some(w1.clone()), parts.clone()).await;
    assert_eq!(status, 200, "{msg}");
    assert_eq!(msg["unit"], "p-1");
    assert_eq!(msg["items"][0]["subject"], "TTHC@p-1");
    assert_eq!(
        open(Some(city.clone()), parts.clone()).await.0,
        200,
        "the city's leader sees p-1"
    );
    assert_eq!(
        open(Some(app.token.clone()), parts.clone()).await.0,
        200,
        "the admin sees everything"
    );
    assert_eq!(
        open(Some(w3.clone()), parts.clone()).await.0,
        403,
        "another ward"
    );
    assert_eq!(
        open(None, parts.clone()).await.0,
        401,
        "sign-in is still required"
    );
    let mut tampered = parts.clone();
    tampered["exp"] = json!(parts["exp"].as_i64().unwrap() + 3_600_000);
    let (status, body) = open(Some(w1.clone()), tampered).await;
    assert_eq!(status, 403, "{body}");
    let mut other = parts.clone();
    other["msg"] = json!(999);
    assert_eq!(
        open(Some(w1.clone()), other).await.0,
        403,
        "an unknown message looks like a bad link"
    );
    // Opening it acknowledged nothing.
    let alerts = app.get_ok("/api/v1/alerts?unit=p-1").await;
    assert_eq!(alerts[0]["acknowledged_by"], Value::Null, "{alerts}");

    // A rotated key keeps links already sent; a second rotation ends them.
    let (status, _) = app.post("/api/v1/notify/link-key/rotate", &json!({})).await;
    assert_eq!(status, 204);
    assert_eq!(open(Some(w1.clone()), parts.clone()).await.0, 200);
    let (status, denied) = app
        .send_as(
            Some(&w1),
            reqwest::Method::POST,
            "/api/v1/notify/link-key/rotate",
            None,
        )
        .await;
    assert_eq!(
        status, 403,
        "only an admin of the whole tree rotates: {denied}"
    );
    // Expired on the server's clock.
    app.set_clock("2026-11-03T08:00:01+07:00").await;
    let (status, gone) = open(Some(w1.clone()), parts.clone()).await;
    assert_eq!(status, 410, "{gone}");
    assert_eq!(gone["error"]["code"], "expired");
    let (status, _) = app.post("/api/v1/notify/link-key/rotate", &json!({})).await;
    assert_eq!(status, 204);
    assert_eq!(
        open(Some(w1.clone()), parts.clone()).await.0,
        403,
        "two rotations later the old key is gone"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_zalo_zns_template_is_filled_and_a_refusal_in_a_200_answer_counts_as_a_failure() {
    let app = quiet_city(test_notify()).await;
    let zalo = Hook::start(None).await;
    zalo.answer(json!({"error": 0, "message": "Success", "data": {"msg_id": "a1b2"}}));
    set_contact_points(
        &app,
        "w1",
        json!({"contact_points": [{"id": "zalo", "kind": "http_template", "name": "Zalo ZNS",
            "url": zalo.url("/message/template"),
            "headers": {"access_token": "{token}"}, "token": "zalo-oauth-token", "address": "84912345678",
            "body": {"phone": "{address}", "template_id": "250001",
                     "template_data": {"don_vi": "{unit_name:30}", "muc_do": "{severity}", "so_canh_bao": "{count}", "noi_dung": "{summary_vi:100}", "lien_ket": "{link}"},
                     "tracking_id": "{id}"},
            "expect": {"field": "error", "equals": 0}, "severities": ["red"]}],
            "policy": {"group_wait_seconds": 0}}),
    )
    .await;
    app.ingest(json!([value("o1", "TTHC", "p-1", 80.0)])).await;
    let got = zalo.wait_accepted(1).await;
    let r = &got[0];
    assert_eq!(r.path, "/message/template");
    assert_eq!(r.header("access_token"), Some("zalo-oauth-token"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["phone"], "84912345678");
    assert_eq!(body["template_id"], "250001");
    assert_eq!(body["tracking_id"], r.delivery.as_str());
    assert_eq!(body["template_data"]["don_vi"], "Phường Hoàn Kiếm");
    assert_eq!(body["template_data"]["muc_do"], "đỏ");
    assert_eq!(body["template_data"]["so_canh_bao"], "1");
    let content = body["template_data"]["noi_dung"].as_str().unwrap();
    assert!(
        // The alert as worded for people: the KPI's name and the unit's, not their codes.
        content.chars().count() <= 100
            && content.starts_with("Tỷ lệ hồ sơ giải quyết đúng hạn")
            && !content.contains("TTHC"),
        "{content}"
    );
    assert!(body["template_data"]["lien_ket"]
        .as_str()
        .unwrap()
        .contains("/alerts.html?unit=p-1&msg="));
    // Zalo refuses with HTTP 200 and an error code: that is a failed attempt, with its words.
    zalo.answer(json!({"error": -124, "message": "Access token invalid"}));
    let mut back = value("o2", "TTHC", "p-1", 97.0);
    back["at"] = json!("2026-11-02T08:05:00+07:00");
    app.ingest(json!([back])).await;
    let health = read_until(&app, "/api/v1/notify/health", "the refusal recorded", |h| {
        h.as_array().is_some_and(|a| {
            a.iter()
                .any(|x| x["contact_point"] == "zalo" && x["failures"].as_i64() > Some(0))
        })
    })
    .await;
    let h = health
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["contact_point"] == "zalo")
        .unwrap();
    assert_eq!(h["delivered"], 1, "{h}");
    let error = h["last_error"].as_str().unwrap();
    assert!(
        error.contains("Access token invalid") && error.contains("expected error = 0"),
        "{error}"
    );
    app.stop().await;
}

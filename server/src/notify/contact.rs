//! Contact points: where a person is told. `email` (through the server's SMTP relay), `webhook`
//! (a signed JSON POST), `http_template` (a configurable HTTPS JSON request: SMS brand-name
//! gateways, Zalo ZNS) and `inbox` (the person's own list in the web UI, always there). The wire
//! form (`ContactPointIn`/`Out`: secrets write-only), the stored form (`ContactPoint`), and the
//! check that turns one into the other, naming the field that is wrong.

use super::guard::check_url;
use super::template;
use super::Invalid;
use crate::i18n::msg;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Most contact points a person may have (the inbox included).
pub const MAX_PER_PERSON: usize = 10;

/// The id of the inbox every person has.
pub const INBOX: &str = "inbox";

/// An `http_template`'s test of the answer beyond its 2xx status: the JSON answer's `field`
/// must equal `equals` (Zalo answers 200 with `{"error": -124, …}` when it refuses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A top-level field of the JSON answer.
    pub field: String,
    #[schema(value_type = Value)]
    pub equals: Value,
}

/// How a contact point delivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Channel {
    Email {
        address: String,
    },
    Webhook {
        url: String,
        #[serde(default)]
        secret: Option<String>,
        #[serde(default)]
        timeout_ms: Option<u64>,
    },
    HttpTemplate {
        url: String,
        method: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        body: Value,
        #[serde(default)]
        address: Option<String>,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        expect: Option<Expect>,
        #[serde(default)]
        timeout_ms: Option<u64>,
    },
    Inbox,
}

impl Channel {
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Email { .. } => "email",
            Channel::Webhook { .. } => "webhook",
            Channel::HttpTemplate { .. } => "http_template",
            Channel::Inbox => "inbox",
        }
    }
}

/// A contact point as stored (secrets included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactPoint {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(flatten)]
    pub channel: Channel,
    /// The severities it takes (red, yellow, info).
    pub severities: Vec<String>,
    /// Whether it takes the daily digest.
    pub digest: bool,
    pub enabled: bool,
}

impl ContactPoint {
    /// The inbox as it is when the person says nothing of it.
    pub fn inbox() -> ContactPoint {
        ContactPoint {
            id: INBOX.into(),
            name: None,
            channel: Channel::Inbox,
            severities: SEVERITIES.iter().map(|s| s.to_string()).collect(),
            digest: true,
            enabled: true,
        }
    }

    /// Whether it takes a message with these severities (one is enough: the message goes
    /// whole).
    pub fn takes(&self, severities: &[&str]) -> bool {
        self.enabled
            && severities
                .iter()
                .any(|s| self.severities.iter().any(|x| x == s))
    }
}

/// A person's contact points with the inbox always among them (first, unless placed).
pub fn with_inbox(mut points: Vec<ContactPoint>) -> Vec<ContactPoint> {
    if !points.iter().any(|p| p.channel == Channel::Inbox) {
        points.insert(0, ContactPoint::inbox());
    }
    points
}

const SEVERITIES: [&str; 3] = ["red", "yellow", "info"];

/// A contact point as written: fields by kind; secrets (`secret`, `token`) left out keep the
/// stored ones of the same id, an empty string clears them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPointIn {
    /// Keep a stored contact point's id (and its secrets); new ones get an id.
    pub id: Option<String>,
    /// email, webhook, http_template or inbox.
    pub kind: String,
    /// A label for people ("Thư công vụ", "Zalo").
    pub name: Option<String>,
    /// email: the mailbox. http_template: the recipient's address for `{address}` (a phone).
    pub address: Option<String>,
    /// webhook, http_template: where to send (https; `{placeholders}` in a template's URL).
    pub url: Option<String>,
    /// webhook: the key of the `X-IOC-Signature` HMAC (write-only).
    pub secret: Option<String>,
    /// http_template: a secret for `{token}`, e.g. an OAuth access token (write-only).
    pub token: Option<String>,
    /// http_template: POST (default) or PUT.
    pub method: Option<String>,
    /// http_template: header values may hold placeholders.
    pub headers: Option<BTreeMap<String, String>>,
    /// http_template: the JSON body; its strings may hold placeholders.
    #[schema(value_type = Option<Value>)]
    pub body: Option<Value>,
    /// http_template: what a successful answer's JSON says.
    pub expect: Option<Expect>,
    /// webhook, http_template: per-attempt timeout in ms (100 to 30000; default the server's).
    pub timeout_ms: Option<u64>,
    /// The severities it takes: red, yellow, info (default all).
    pub severities: Option<Vec<String>>,
    /// Whether it takes the daily digest (default: email and inbox yes, the others no).
    pub digest: Option<bool>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// A contact point as read back: secrets shown only as set or not.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactPointOut {
    pub id: String,
    pub kind: String,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
    pub method: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    #[schema(value_type = Option<Value>)]
    pub body: Option<Value>,
    pub expect: Option<Expect>,
    pub timeout_ms: Option<u64>,
    /// webhook: whether a signing secret is set.
    pub secret_set: Option<bool>,
    /// http_template: whether a token is set.
    pub token_set: Option<bool>,
    pub severities: Vec<String>,
    pub digest: bool,
    pub enabled: bool,
}

impl ContactPoint {
    pub fn out(&self) -> ContactPointOut {
        let mut o = ContactPointOut {
            id: self.id.clone(),
            kind: self.channel.kind().into(),
            name: self.name.clone(),
            address: None,
            url: None,
            method: None,
            headers: None,
            body: None,
            expect: None,
            timeout_ms: None,
            secret_set: None,
            token_set: None,
            severities: self.severities.clone(),
            digest: self.digest,
            enabled: self.enabled,
        };
        match &self.channel {
            Channel::Email { address } => o.address = Some(address.clone()),
            Channel::Webhook {
                url,
                secret,
                timeout_ms,
            } => {
                o.url = Some(url.clone());
                o.secret_set = Some(secret.is_some());
                o.timeout_ms = *timeout_ms;
            }
            Channel::HttpTemplate {
                url,
                method,
                headers,
                body,
                address,
                token,
                expect,
                timeout_ms,
            } => {
                o.url = Some(url.clone());
                o.method = Some(method.clone());
                o.headers = Some(headers.clone());
                o.body = Some(body.clone());
                o.address = address.clone();
                o.token_set = Some(token.is_some());
                o.expect = expect.clone();
                o.timeout_ms = *timeout_ms;
            }
            Channel::Inbox => {}
        }
        o
    }
}

/// What the checks allow (the `[notify]` switches).
#[derive(Debug, Clone, Copy)]
pub struct Allow {
    pub plain_http: bool,
    pub private_addresses: bool,
}

/// Checks a person's new contact points against the stored ones (for kept secrets): every
/// field that is wrong is named as `contact_points[i].field`.
pub fn check_all(
    input: &[ContactPointIn],
    stored: &[ContactPoint],
    allow: Allow,
    new_id: &mut dyn FnMut() -> String,
) -> Result<Vec<ContactPoint>, Invalid> {
    if input.len() > MAX_PER_PERSON {
        return Err(Invalid::new(
            "contact_points",
            msg!("notify_too_many_points", max = MAX_PER_PERSON),
        ));
    }
    let mut out: Vec<ContactPoint> = Vec::with_capacity(input.len());
    for (i, cp) in input.iter().enumerate() {
        let at = |f: &str| format!("contact_points[{i}].{f}");
        let id = match &cp.id {
            Some(id) => {
                if id.is_empty()
                    || id.len() > 64
                    || !id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(Invalid::new(at("id"), msg!("notify_point_id")));
                }
                id.clone()
            }
            None if cp.kind == "inbox" => INBOX.to_string(),
            None => new_id(),
        };
        if cp.kind == "inbox" && out.iter().any(|p| matches!(p.channel, Channel::Inbox)) {
            return Err(Invalid::new(at("kind"), msg!("notify_one_inbox")));
        }
        if out.iter().any(|p| p.id == id) {
            return Err(Invalid::new(at("id"), msg!("notify_id_twice", id = &id)));
        }
        let kept = stored.iter().find(|p| p.id == id);
        let point = check_one(cp, id, kept, allow, &at)?;
        if matches!(point.channel, Channel::Inbox) && point.id != INBOX {
            return Err(Invalid::new(at("id"), msg!("notify_inbox_id", id = INBOX)));
        }
        out.push(point);
    }
    Ok(out)
}

fn check_one(
    cp: &ContactPointIn,
    id: String,
    kept: Option<&ContactPoint>,
    allow: Allow,
    at: &dyn Fn(&str) -> String,
) -> Result<ContactPoint, Invalid> {
    let no = |field: &str, present: bool| -> Result<(), Invalid> {
        if present {
            Err(Invalid::new(
                at(field),
                msg!("notify_not_a_field", kind = &cp.kind),
            ))
        } else {
            Ok(())
        }
    };
    let need = |field: &str, v: &Option<String>| -> Result<String, Invalid> {
        match v.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => Ok(s.to_string()),
            _ => Err(Invalid::new(
                at(field),
                msg!("notify_field_needed", kind = &cp.kind),
            )),
        }
    };
    let timeout = |t: Option<u64>| -> Result<Option<u64>, Invalid> {
        match t {
            Some(ms) if !(100..=30_000).contains(&ms) => Err(Invalid::new(
                at("timeout_ms"),
                msg!("notify_between", min = 100i64, max = 30_000i64),
            )),
            t => Ok(t),
        }
    };
    // A secret left out keeps the stored one of the same id and kind; "" clears it.
    let secret = |given: &Option<String>, stored: Option<&Option<String>>| -> Option<String> {
        match given {
            Some(s) if s.is_empty() => None,
            Some(s) => Some(s.clone()),
            None => stored.cloned().flatten(),
        }
    };
    let channel = match cp.kind.as_str() {
        "email" => {
            for (f, p) in [
                ("url", cp.url.is_some()),
                ("secret", cp.secret.is_some()),
                ("token", cp.token.is_some()),
                ("method", cp.method.is_some()),
                ("headers", cp.headers.is_some()),
                ("body", cp.body.is_some()),
                ("expect", cp.expect.is_some()),
                ("timeout_ms", cp.timeout_ms.is_some()),
            ] {
                no(f, p)?;
            }
            let address = need("address", &cp.address)?;
            address.parse::<lettre::Address>().map_err(|e| {
                Invalid::new(
                    at("address"),
                    msg!(
                        "notify_not_mailbox",
                        address = &address,
                        error = e.to_string()
                    ),
                )
            })?;
            Channel::Email { address }
        }
        "webhook" => {
            for (f, p) in [
                ("address", cp.address.is_some()),
                ("token", cp.token.is_some()),
                ("method", cp.method.is_some()),
                ("headers", cp.headers.is_some()),
                ("body", cp.body.is_some()),
                ("expect", cp.expect.is_some()),
            ] {
                no(f, p)?;
            }
            let url = need("url", &cp.url)?;
            check_url(&url, allow.plain_http, allow.private_addresses)
                .map_err(|e| Invalid::new(at("url"), e))?;
            if cp.secret.as_ref().is_some_and(|s| s.len() > 256) {
                return Err(Invalid::new(
                    at("secret"),
                    msg!("notify_at_most_chars", max = 256i64),
                ));
            }
            let stored = kept.and_then(|k| match &k.channel {
                Channel::Webhook { secret, .. } => Some(secret),
                _ => None,
            });
            Channel::Webhook {
                url,
                secret: secret(&cp.secret, stored),
                timeout_ms: timeout(cp.timeout_ms)?,
            }
        }
        "http_template" => {
            no("secret", cp.secret.is_some())?;
            let url = need("url", &cp.url)?;
            template::check(&url).map_err(|e| Invalid::new(at("url"), e))?;
            // The URL as it will be sent, placeholders aside.
            let probe = template::fill(&url, &|_| "x".into());
            check_url(&probe, allow.plain_http, allow.private_addresses)
                .map_err(|e| Invalid::new(at("url"), e))?;
            let method = cp
                .method
                .clone()
                .unwrap_or_else(|| "POST".into())
                .to_uppercase();
            if method != "POST" && method != "PUT" {
                return Err(Invalid::new(at("method"), msg!("notify_method")));
            }
            let headers = cp.headers.clone().unwrap_or_default();
            for (name, value) in &headers {
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err(Invalid::new(
                        at(&format!("headers.{name}")),
                        msg!("notify_header_name"),
                    ));
                }
                template::check(value)
                    .map_err(|e| Invalid::new(at(&format!("headers.{name}")), e))?;
            }
            let body = match &cp.body {
                Some(b @ (Value::Object(_) | Value::Array(_))) => b.clone(),
                _ => return Err(Invalid::new(at("body"), msg!("notify_template_body"))),
            };
            template::check_json(&body, &at("body")).map_err(|(f, e)| Invalid::new(f, e))?;
            if let Some(e) = &cp.expect {
                if e.field.trim().is_empty() {
                    return Err(Invalid::new(at("expect.field"), msg!("notify_not_empty")));
                }
            }
            let stored = kept.and_then(|k| match &k.channel {
                Channel::HttpTemplate { token, .. } => Some(token),
                _ => None,
            });
            Channel::HttpTemplate {
                url,
                method,
                headers,
                body,
                address: cp.address.clone().filter(|a| !a.trim().is_empty()),
                token: secret(&cp.token, stored),
                expect: cp.expect.clone(),
                timeout_ms: timeout(cp.timeout_ms)?,
            }
        }
        "inbox" => {
            for (f, p) in [
                ("address", cp.address.is_some()),
                ("url", cp.url.is_some()),
                ("secret", cp.secret.is_some()),
                ("token", cp.token.is_some()),
                ("method", cp.method.is_some()),
                ("headers", cp.headers.is_some()),
                ("body", cp.body.is_some()),
                ("expect", cp.expect.is_some()),
                ("timeout_ms", cp.timeout_ms.is_some()),
            ] {
                no(f, p)?;
            }
            Channel::Inbox
        }
        other => {
            return Err(Invalid::new(
                at("kind"),
                msg!("notify_unknown_kind", kind = other),
            ))
        }
    };
    let severities = match &cp.severities {
        None => SEVERITIES.iter().map(|s| s.to_string()).collect(),
        Some(list) => {
            if list.is_empty() {
                return Err(Invalid::new(
                    at("severities"),
                    msg!("notify_severities_empty"),
                ));
            }
            for s in list {
                if !SEVERITIES.contains(&s.as_str()) {
                    return Err(Invalid::new(
                        at("severities"),
                        msg!("notify_unknown_severity", severity = s),
                    ));
                }
            }
            list.clone()
        }
    };
    let digest = cp
        .digest
        .unwrap_or(matches!(channel, Channel::Email { .. } | Channel::Inbox));
    if let Some(n) = &cp.name {
        if n.chars().count() > 100 {
            return Err(Invalid::new(
                at("name"),
                msg!("notify_at_most_chars", max = 100i64),
            ));
        }
    }
    Ok(ContactPoint {
        id,
        name: cp.name.clone().filter(|n| !n.trim().is_empty()),
        channel,
        severities,
        digest,
        enabled: cp.enabled.unwrap_or(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OPEN: Allow = Allow {
        plain_http: true,
        private_addresses: true,
    };

    fn input(v: Value) -> Vec<ContactPointIn> {
        serde_json::from_value(v).unwrap()
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("cp-{n}")
        }
    }

    #[test]
    fn secrets_left_out_are_kept_and_an_empty_one_clears() {
        let first = check_all(
            &input(json!([{"kind": "webhook", "url": "http://127.0.0.1:1/h", "secret": "s1"}])),
            &[],
            OPEN,
            &mut ids(),
        )
        .unwrap();
        assert_eq!(first[0].id, "cp-1");
        let again = check_all(
            &input(json!([{"id": "cp-1", "kind": "webhook", "url": "http://127.0.0.1:1/h2"}])),
            &first,
            OPEN,
            &mut ids(),
        )
        .unwrap();
        assert!(matches!(&again[0].channel, Channel::Webhook { secret: Some(s), .. } if s == "s1"));
        assert_eq!(again[0].out().secret_set, Some(true));
        let cleared = check_all(
            &input(json!([{"id": "cp-1", "kind": "webhook", "url": "http://127.0.0.1:1/h2", "secret": ""}])),
            &first,
            OPEN,
            &mut ids(),
        )
        .unwrap();
        assert_eq!(cleared[0].out().secret_set, Some(false));
        // A new id does not inherit another's secret.
        let other = check_all(
            &input(json!([{"id": "cp-9", "kind": "webhook", "url": "http://127.0.0.1:1/h"}])),
            &first,
            OPEN,
            &mut ids(),
        )
        .unwrap();
        assert_eq!(other[0].out().secret_set, Some(false));
    }

    #[test]
    fn every_wrong_field_is_named() {
        let cases = [
            (json!([{"kind": "fax"}]), "contact_points[0].kind"),
            (
                json!([{"kind": "email", "address": "không phải thư"}]),
                "contact_points[0].address",
            ),
            (
                json!([{"kind": "email", "address": "a@b.vn", "url": "https://x.vn"}]),
                "contact_points[0].url",
            ),
            (
                json!([{"kind": "webhook", "url": "ftp://x.vn"}]),
                "contact_points[0].url",
            ),
            (
                json!([{"kind": "inbox"}, {"kind": "webhook", "url": "https://x.vn", "timeout_ms": 5}]),
                "contact_points[1].timeout_ms",
            ),
            (
                json!([{"kind": "http_template", "url": "https://x.vn/{nope}", "body": {}}]),
                "contact_points[0].url",
            ),
            (
                json!([{"kind": "http_template", "url": "https://x.vn", "body": {"data": {"ten": "{ten_don_vi}"}}}]),
                "contact_points[0].body.data.ten",
            ),
            (
                json!([{"kind": "http_template", "url": "https://x.vn", "headers": {"access_token": "{tokn}"}, "body": {}}]),
                "contact_points[0].headers.access_token",
            ),
            (
                json!([{"kind": "http_template", "url": "https://x.vn", "body": "x"}]),
                "contact_points[0].body",
            ),
            (
                json!([{"kind": "inbox"}, {"kind": "inbox"}]),
                "contact_points[1].kind",
            ),
            (
                json!([{"kind": "email", "address": "a@b.vn", "severities": ["orange"]}]),
                "contact_points[0].severities",
            ),
            (
                json!([{"id": "a b", "kind": "inbox"}]),
                "contact_points[0].id",
            ),
        ];
        for (v, field) in cases {
            let e = check_all(&input(v.clone()), &[], OPEN, &mut ids()).unwrap_err();
            assert_eq!(e.field, field, "{v}: {}", e.message);
        }
        let strict = Allow {
            plain_http: false,
            private_addresses: false,
        };
        let e = check_all(
            &input(json!([{"kind": "webhook", "url": "https://10.0.0.5/h"}])),
            &[],
            strict,
            &mut ids(),
        )
        .unwrap_err();
        assert!(e.message.to_string().contains("private"), "{}", e.message);
    }

    #[test]
    fn the_stored_form_round_trips_and_the_inbox_is_always_there() {
        let points = check_all(
            &input(json!([{"kind": "http_template", "name": "Zalo", "url": "https://business.openapi.zalo.me/message/template",
                "headers": {"access_token": "{token}"}, "token": "t0k", "address": "84912345678",
                "body": {"phone": "{address}", "template_id": "123", "template_data": {"noi_dung": "{summary_vi:100}"}, "tracking_id": "{id}"},
                "expect": {"field": "error", "equals": 0}, "severities": ["red"]}])),
            &[],
            OPEN,
            &mut ids(),
        )
        .unwrap();
        let stored = serde_json::to_string(&points[0]).unwrap();
        let back: ContactPoint = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, points[0]);
        assert!(!back.digest, "templates take no digest unless asked");
        let out = serde_json::to_string(&back.out()).unwrap();
        assert!(
            !out.contains("t0k"),
            "the token must not be read back: {out}"
        );
        let all = with_inbox(points);
        assert_eq!(all[0].id, INBOX);
        assert!(all[1].takes(&["red", "yellow"]));
        assert!(!all[1].takes(&["yellow"]));
    }
}

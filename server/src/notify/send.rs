//! The channels: one attempt to deliver one message over one contact point. Email through the
//! configured SMTP relay (`lettre`: STARTTLS or TLS, credentials from the config; a
//! Vietnamese subject as an RFC 2047 encoded word, a plain-text and an HTML part, UTF-8); a
//! webhook as a JSON POST signed with `X-IOC-Signature: sha256=<HMAC of the body>`; an
//! `http_template` as the configured JSON request with its placeholders filled. Every request
//! has a timeout and follows no redirect; where it may go is checked (`guard.rs`). Retrying is
//! the worker's: an attempt here either succeeds or says why not, in a line an admin can read.

use super::compose::{Content, Link};
use super::contact::{Channel, ContactPoint};
use super::guard::{check_url, GuardedResolver};
use super::notice::Item;
use super::template;
use super::{NotifyConfig, SmtpSecurity};
use crate::domain::time::format_ts;
use crate::i18n::Lang;
use hmac::{Hmac, Mac};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// One message on its way over one contact point.
pub struct Outgoing<'a> {
    /// The delivery's idempotency key.
    pub id: &'a str,
    pub content: &'a Content,
    pub link: &'a Link,
}

/// The clients every attempt shares.
pub struct Channels {
    http: reqwest::Client,
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    timeout: Duration,
    allow_plain_http: bool,
    allow_private: bool,
}

impl Channels {
    pub fn new(cfg: &NotifyConfig) -> anyhow::Result<Channels> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: cfg.allow_private_addresses,
            }))
            .user_agent(concat!("ioc/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let smtp = match &cfg.smtp {
            None => None,
            Some(s) => {
                let builder = match s.security {
                    SmtpSecurity::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
                    }
                    SmtpSecurity::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)?
                    }
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)?,
                };
                let mut builder = builder.port(s.port).timeout(Some(cfg.timeout));
                if let Some(user) = &s.username {
                    builder = builder.credentials(Credentials::new(
                        user.clone(),
                        s.password.clone().unwrap_or_default(),
                    ));
                }
                let from: Mailbox = s
                    .from
                    .parse()
                    .map_err(|e| anyhow::anyhow!("[notify.smtp] from '{}': {e}", s.from))?;
                Some((builder.build(), from))
            }
        };
        Ok(Channels {
            http,
            smtp,
            timeout: cfg.timeout,
            allow_plain_http: cfg.allow_plain_http,
            allow_private: cfg.allow_private_addresses,
        })
    }

    /// One attempt. The inbox is not sent here (the worker writes it to the store).
    pub async fn send(&self, cp: &ContactPoint, out: &Outgoing<'_>) -> Result<(), String> {
        match &cp.channel {
            Channel::Email { address } => self.email(address, out).await,
            Channel::Webhook {
                url,
                secret,
                timeout_ms,
            } => self.webhook(url, secret.as_deref(), *timeout_ms, out).await,
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
                let value =
                    |name: &str| placeholder(name, out, address.as_deref(), token.as_deref());
                let url = template::fill(url, &value);
                let url = check_url(&url, self.allow_plain_http, self.allow_private)
                    .map_err(|e| format!("the URL {e}"))?;
                let method = if method == "PUT" {
                    reqwest::Method::PUT
                } else {
                    reqwest::Method::POST
                };
                let mut req = self
                    .http
                    .request(method, url.clone())
                    .timeout(timeout_ms.map_or(self.timeout, Duration::from_millis))
                    .header("X-IOC-Delivery", out.id)
                    .json(&template::fill_json(body, &value));
                for (name, v) in headers {
                    req = req.header(name.as_str(), template::fill(v, &value));
                }
                let answer = request(req, &url).await?;
                if let Some(e) = expect {
                    let got: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
                    if got.get(&e.field) != Some(&e.equals) {
                        return Err(format!(
                            "{} answered {}, expected {} = {}",
                            host(&url),
                            cut(&answer, 300),
                            e.field,
                            e.equals
                        ));
                    }
                }
                Ok(())
            }
            Channel::Inbox => Ok(()),
        }
    }

    async fn email(&self, address: &str, out: &Outgoing<'_>) -> Result<(), String> {
        let Some((transport, from)) = &self.smtp else {
            return Err("no SMTP relay is configured ([notify.smtp])".into());
        };
        let to = Mailbox::new(
            Some(out.content.person_name.clone()),
            address
                .parse()
                .map_err(|e| format!("'{address}' is not a mailbox ({e})"))?,
        );
        let c = out.content;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(c.title(Lang::Vi))
            .message_id(Some(format!("<{}@ioc>", out.id)))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(c.text(Lang::Vi, out.link)),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(c.html(Lang::Vi, out.link)),
                    ),
            )
            .map_err(|e| format!("the message could not be built: {e}"))?;
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {}", chain(&e)))
    }

    async fn webhook(
        &self,
        url: &str,
        secret: Option<&str>,
        timeout_ms: Option<u64>,
        out: &Outgoing<'_>,
    ) -> Result<(), String> {
        let url = check_url(url, self.allow_plain_http, self.allow_private)
            .map_err(|e| format!("the URL {e}"))?;
        let body = serde_json::to_vec(&webhook_body(out)).map_err(|e| e.to_string())?;
        let mut req = self
            .http
            .post(url.clone())
            .timeout(timeout_ms.map_or(self.timeout, Duration::from_millis))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-IOC-Delivery", out.id);
        if let Some(s) = secret {
            req = req.header("X-IOC-Signature", signature(s, &body));
        }
        request(req.body(body), &url).await.map(|_| ())
    }
}

/// `sha256=<hex HMAC-SHA256 of the body with the secret>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn request(req: reqwest::RequestBuilder, url: &reqwest::Url) -> Result<String, String> {
    let r = req.send().await.map_err(|e| {
        if e.is_timeout() {
            format!("{} did not answer in time", host(url))
        } else {
            format!("{}: {}", host(url), chain(&e))
        }
    })?;
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    if status.is_success() {
        Ok(text)
    } else {
        Err(format!(
            "{} answered HTTP {}{}",
            host(url),
            status.as_u16(),
            if text.is_empty() {
                String::new()
            } else {
                format!(": {}", cut(&text, 300))
            }
        ))
    }
}

fn host(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.to_string(),
    }
}

/// An error with its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
    }
    out
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max).collect::<String>() + "…"
    }
}

/// The alert a one-alert receiver reads: the first red, else the first.
fn lead(c: &Content) -> Option<&Item> {
    c.items
        .iter()
        .find(|i| i.severity == "red" && !i.is_end())
        .or(c.items.first())
}

/// An alert as the webhook's body carries it.
#[derive(Serialize)]
struct AlertOut<'a> {
    rule: &'a Option<String>,
    subject: &'a Option<String>,
    unit: &'a str,
    unit_name: &'a str,
    severity: &'a str,
    kind: &'a str,
    value: Option<f64>,
    threshold: Option<f64>,
    started_at: Option<String>,
    at: String,
    summary_vi: &'a str,
    summary_en: &'a str,
}

fn alert_out(i: &Item) -> AlertOut<'_> {
    AlertOut {
        rule: &i.rule,
        subject: &i.subject,
        unit: &i.unit,
        unit_name: &i.unit_name,
        severity: &i.severity,
        kind: &i.kind,
        value: i.value,
        threshold: i.threshold,
        started_at: i.started_at.map(format_ts),
        at: format_ts(i.at),
        summary_vi: &i.summary_vi,
        summary_en: &i.summary_en,
    }
}

#[derive(Serialize)]
struct GroupOut {
    key: Option<String>,
    count: usize,
    red: usize,
    yellow: usize,
}

#[derive(Serialize)]
struct RecipientOut<'a> {
    id: &'a str,
    name: &'a str,
}

/// The webhook's body (README "Notifications"): `id` is the delivery's idempotency key. Typed
/// and borrowed rather than a `json!` tree: a month-end burst's message carries hundreds of
/// alerts, and building a tree of them cost as much again as writing it.
#[derive(Serialize)]
pub struct WebhookBody<'a> {
    id: &'a str,
    kind: &'a str,
    alert: Option<AlertOut<'a>>,
    alerts: Vec<AlertOut<'a>>,
    group: GroupOut,
    recipient: RecipientOut<'a>,
    title_vi: String,
    title_en: String,
    text_vi: String,
    text_en: String,
    link: &'a str,
    link_expires_at: String,
    created_at: String,
    digest: Option<super::inbox::DigestOut>,
}

pub fn webhook_body<'a>(out: &Outgoing<'a>) -> WebhookBody<'a> {
    let c = out.content;
    let lead = lead(c);
    WebhookBody {
        id: out.id,
        kind: &c.kind,
        alert: lead.map(alert_out),
        alerts: c.items.iter().map(alert_out).collect(),
        group: GroupOut {
            key: lead.map(super::notice::group_key),
            count: c.items.len(),
            red: c.count("red"),
            yellow: c.count("yellow"),
        },
        recipient: RecipientOut {
            id: &c.person,
            name: &c.person_name,
        },
        title_vi: c.title(Lang::Vi),
        title_en: c.title(Lang::En),
        text_vi: c.text(Lang::Vi, out.link),
        text_en: c.text(Lang::En, out.link),
        link: &out.link.url,
        link_expires_at: format_ts(out.link.expires_at),
        created_at: format_ts(c.created_at),
        digest: c.digest.as_ref().map(super::inbox::digest_out),
    }
}

fn placeholder(
    name: &str,
    out: &Outgoing<'_>,
    address: Option<&str>,
    token: Option<&str>,
) -> String {
    let c = out.content;
    let lead = lead(c);
    let num = |v: Option<f64>| {
        v.map(|x| format!("{}", (x * 100.0).round() / 100.0))
            .unwrap_or_default()
    };
    match name {
        "id" => out.id.to_string(),
        "kind" => c.kind.clone(),
        "recipient_id" => c.person.clone(),
        "recipient_name" => c.person_name.clone(),
        "address" => address.unwrap_or_default().to_string(),
        "severity" => match c.severity() {
            "red" => "đỏ".into(),
            "yellow" => "vàng".into(),
            _ => "thông báo".into(),
        },
        "severity_code" => c.severity().to_string(),
        "count" => c.items.len().to_string(),
        "red_count" => c.count("red").to_string(),
        "yellow_count" => c.count("yellow").to_string(),
        "unit" => lead
            .map(|i| i.unit.clone())
            .unwrap_or_else(|| c.unit.clone()),
        "unit_name" => lead.map(|i| i.unit_name.clone()).unwrap_or_default(),
        "rule" => lead.and_then(|i| i.rule.clone()).unwrap_or_default(),
        "subject" => lead.and_then(|i| i.subject.clone()).unwrap_or_default(),
        "summary_vi" => lead
            .map(|i| i.summary_vi.clone())
            .unwrap_or_else(|| c.title(Lang::Vi)),
        "summary_en" => lead
            .map(|i| i.summary_en.clone())
            .unwrap_or_else(|| c.title(Lang::En)),
        "value" => num(lead.and_then(|i| i.value)),
        "threshold" => num(lead.and_then(|i| i.threshold)),
        "started_at" => lead
            .and_then(|i| i.started_at)
            .map(format_ts)
            .unwrap_or_default(),
        "time" => super::compose::time_words(c.created_at, Lang::Vi),
        "title_vi" => c.title(Lang::Vi),
        "title_en" => c.title(Lang::En),
        "text_vi" => c.text(Lang::Vi, out.link),
        "text_en" => c.text(Lang::En, out.link),
        "link" => out.link.url.clone(),
        "token" => token.unwrap_or_default().to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

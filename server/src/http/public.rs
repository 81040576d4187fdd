//! The public route tree (results published to citizens): the pages under `/cong-khai`, the
//! JSON under `/public/v1`. No session is read here, every request takes from its address's
//! allowance, answers come from the boards' cache (`public/cache.rs`), and words are Vietnamese
//! unless the reader asks otherwise. The staff's printable QR cards are signed-in routes at the
//! end of this file.

use super::error::ApiError;
use super::ops::{Answer, Body as OpBody, Kind, Operation, Param};
use crate::auth::{Actor, ClientIp, Principal};
use crate::i18n::{Lang, REQUEST_LANG};
use crate::ingest::event::{Event, EventBody};
use crate::ingest::ItemError;
use crate::public::wire::{PublicUnit, RatingForm, RatingThanks};
use crate::public::{board, print, screen, summary};
use crate::Node;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use utoipa::ToSchema;

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::get("/public/v1/units", "Public: the units with a public board (wards, communes, departments, agencies), no sign-in", Answer::Json("PublicUnits")).public(),
    Operation::get("/public/v1/units/{unit}", "Public: a unit's board as citizens read it: its public KPIs (an admin's `public: true`), satisfaction (count, average, stars, months, services), on-time rate of dossiers, screened comments, the services to rate, the closed months with a summary. Served from a cache rebuilt at most once a second; ETag and If-None-Match", Answer::Json("PublicBoard")).params(&[PUBLIC_LANG]).public(),
    Operation::get("/public/v1/units/{unit}/events", "Public: the board live, as server-sent events", Answer::EventStream("PublicBoard")).params(&[PUBLIC_LANG]).public(),
    Operation::post("/public/v1/units/{unit}/ratings", "Public: a citizen rates a service (1-5 stars, an optional comment, screened before it shows, an optional receipt code: one rating each). Limited per address and per device; 409 for a receipt already used; messages in Vietnamese unless the reader asks otherwise", OpBody::Json("RatingForm"), Answer::Created("RatingThanks")).public(),
    Operation::get("/public/v1/units/{unit}/months/{file}", "Public: a closed month's summary (the last 12 months), by extension: .html, .csv, .xlsx or .json", Answer::Summary("PublicMonthSummary")).params(&[
        Param::path("file", Kind::Text, "The month and the format: 2026-11.html, 2026-11.csv, 2026-11.xlsx, 2026-11.json"),
        PUBLIC_LANG,
    ]).public(),
    Operation::get("/api/v1/units/{id}/public-card", "The printable A5 card of one service (with its QR code to the rating form), or without `service` the list of the unit's cards; within the caller's scope", Answer::Document).params(&[CARD_SERVICE, PUBLIC_LANG]),
    Operation::get("/api/v1/units/{id}/public-qr.svg", "The QR code of one service's rating form, as SVG", Answer::Image).params(&[CARD_SERVICE, PUBLIC_LANG]),
];

const PUBLIC_LANG: Param = Param::query(
    "lang",
    Kind::OneOf(&["vi", "en"]),
    "The words' language (default Vietnamese unless Accept-Language prefers English)",
);
const CARD_SERVICE: Param =
    Param::query("service", Kind::Text, "A service code of the unit's list");

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    PublicUnits,
    PublicUnit,
    crate::public::wire::PublicBoard,
    crate::public::wire::PublicKpi,
    crate::public::wire::PublicPeriodValue,
    crate::public::wire::PublicSatisfaction,
    crate::public::wire::PublicMonth,
    crate::public::wire::PublicServiceFigure,
    crate::public::wire::PublicComment,
    crate::public::wire::PublicService,
    RatingForm,
    RatingThanks,
    crate::public::wire::PublicMonthSummary,
    crate::public::wire::PublicMonthSatisfaction,
)))]
pub struct Schemas;

/// Live public streams one node holds at most; past it a new reader is told to come back.
const MAX_STREAMS: usize = 5_000;
static STREAMS: AtomicUsize = AtomicUsize::new(0);

pub fn router(node: Node) -> Router<Node> {
    Router::new()
        .route("/public/v1/units", get(units))
        .route("/public/v1/units/{unit}", get(board_json))
        .route("/public/v1/units/{unit}/events", get(events))
        .route("/public/v1/units/{unit}/ratings", post(rate))
        .route("/public/v1/units/{unit}/months/{file}", get(month))
        .route_layer(middleware::from_fn_with_state(node, public_gate))
}

/// The public allowance per address, and the reader's language: `?lang=`, else what the
/// browser asks, else Vietnamese (a citizen's phone that says nothing reads Vietnamese).
async fn public_gate(State(node): State<Node>, req: Request, next: Next) -> Response {
    let lang = req
        .uri()
        .query()
        .and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("lang="))
                .and_then(Lang::parse)
        })
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(|h| Lang::from_accept_language(Some(h)))
        })
        .unwrap_or(Lang::Vi);
    REQUEST_LANG
        .scope(lang, async move {
            let per_minute = node.public.config().reads_per_minute;
            if per_minute > 0 {
                let ip = client(&req);
                let every = Duration::from_micros(60_000_000 / u64::from(per_minute));
                if let Err(wait) = node
                    .auth
                    .check_quota(&format!("pub-read:{ip}"), every, per_minute / 2)
                    .await
                {
                    let seconds = wait.as_secs().max(1);
                    return ApiError::RateLimited {
                        message: crate::msg!("public_slow_down", seconds = seconds as i64),
                        retry_after: seconds,
                    }
                    .into_response();
                }
            }
            next.run(req).await
        })
        .await
}

fn client(req: &Request) -> String {
    req.extensions()
        .get::<ClientIp>()
        .map_or_else(|| "unknown".into(), |c| c.0.clone())
}

#[derive(Serialize, ToSchema)]
pub struct PublicUnits {
    pub units: Vec<PublicUnit>,
}

async fn units(State(node): State<Node>) -> Json<PublicUnits> {
    Json(PublicUnits {
        units: board::public_units(&node.rollup),
    })
}

fn no_board(unit: &str) -> ApiError {
    ApiError::NotFound(crate::msg!("public_no_board", id = unit.to_string()))
}

async fn board_json(
    State(node): State<Node>,
    Path(unit): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = crate::i18n::request_lang();
    let served = node
        .public
        .get(&unit, lang)
        .await?
        .ok_or_else(|| no_board(&unit))?;
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == served.etag.as_bytes())
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let mut res = (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(served.body),
    )
        .into_response();
    let h = res.headers_mut();
    // Browsers and any proxy in front may keep it for a few seconds: the board is the same for
    // every citizen, and the page's live stream brings changes sooner.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=5"),
    );
    if let Ok(tag) = HeaderValue::from_str(&served.etag) {
        h.insert(header::ETAG, tag);
    }
    Ok(res)
}

/// Server-sent events: the board at once, then each rebuilt board.
async fn events(State(node): State<Node>, Path(unit): Path<String>) -> Result<Response, ApiError> {
    let lang = crate::i18n::request_lang();
    // Built first, so the stream's first event is the board as it is now.
    node.public
        .get(&unit, lang)
        .await?
        .ok_or_else(|| no_board(&unit))?;
    let mut rx = node
        .public
        .subscribe(&unit, lang)
        .ok_or_else(|| no_board(&unit))?;
    if STREAMS.fetch_add(1, Ordering::Relaxed) >= MAX_STREAMS {
        STREAMS.fetch_sub(1, Ordering::Relaxed);
        return Err(ApiError::RateLimited {
            message: crate::msg!("public_slow_down", seconds = 30_i64),
            retry_after: 30,
        });
    }
    struct Held;
    impl Drop for Held {
        fn drop(&mut self) {
            STREAMS.fetch_sub(1, Ordering::Relaxed);
        }
    }
    let held = Held;
    rx.mark_changed();
    let closing = node.public.closing();
    let stream = futures_util::stream::unfold(
        (rx, closing, held),
        |(mut rx, mut closing, held)| async move {
            tokio::select! {
                changed = rx.changed() => changed.ok()?,
                _ = closing.wait_for(|c| *c) => return None,
            }
            let body = rx.borrow_and_update().clone()?.body;
            let text = String::from_utf8_lossy(&body).into_owned();
            Some((
                Ok::<_, std::convert::Infallible>(SseEvent::default().event("board").data(text)),
                (rx, closing, held),
            ))
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// A citizen's rating: checked, screened, limited, then one event through the writer.
async fn rate(
    State(node): State<Node>,
    Path(unit): Path<String>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<RatingThanks>), ApiError> {
    let body = body?;
    let (u, _) = board::public_unit(&node.rollup, &unit).ok_or_else(|| no_board(&unit))?;
    let form: RatingForm =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(&body))
            .map_err(|e| {
                let field = e.path().to_string();
                let field = if field == "." { String::new() } else { field };
                ApiError::Malformed(ItemError::new(field, crate::msg!("public_form_unreadable")))
            })?;
    let config = node.public.config();
    let service = config
        .services_at(u.level)
        .find(|s| s.code == form.service)
        .ok_or_else(|| {
            ApiError::Invalid(ItemError::new(
                "service",
                crate::msg!("public_unknown_service", code = form.service.clone()),
            ))
        })?;
    if !(1..=5).contains(&form.score) {
        return Err(ApiError::Invalid(ItemError::new(
            "score",
            crate::msg!("public_score_range"),
        )));
    }
    let screened = match form.comment.as_deref().map(screen::screen).transpose() {
        Ok(s) => s.flatten(),
        Err(chars) => {
            return Err(ApiError::Invalid(ItemError::new(
                "comment",
                crate::msg!(
                    "public_comment_long",
                    chars = chars as i64,
                    max = screen::MAX_COMMENT as i64
                ),
            )))
        }
    };
    let receipt = match form
        .receipt
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        None => None,
        Some(r) => Some(receipt_digest(&unit, r)?),
    };
    if form.device.as_deref().is_some_and(|d| d.len() > 64) {
        return Err(ApiError::Invalid(ItemError::new(
            "device",
            crate::msg!("public_device_long"),
        )));
    }
    // Limits after the checks, so a mistyped form costs nothing; before the writer, so a flood
    // never reaches it.
    let hour = Duration::from_secs(3600);
    let limits = [
        (
            format!("pub-rate:addr:{ip}"),
            config.ratings_per_address_hour,
        ),
        (
            format!("pub-rate:dev:{}", form.device.as_deref().unwrap_or("-")),
            config.ratings_per_device_hour,
        ),
    ];
    for (i, (key, per_hour)) in limits.iter().enumerate() {
        if *per_hour == 0 || (i == 1 && form.device.is_none()) {
            continue;
        }
        if let Err(wait) = node
            .auth
            .check_quota(key, hour / *per_hour, *per_hour)
            .await
        {
            let minutes = wait.as_secs().div_ceil(60).max(1);
            return Err(ApiError::RateLimited {
                message: crate::msg!("public_too_many_ratings", minutes = minutes as i64),
                retry_after: wait.as_secs().max(1),
            });
        }
    }
    let at = node.rollup.now();
    let id = match &receipt {
        Some(digest) => format!("bn-{digest}"),
        None => format!("pub-{}", uuid_like()),
    };
    let comment = screened.as_ref().map(|s| s.text.clone());
    let shown = screened.as_ref().is_some_and(|s| s.shown);
    // The log keeps the event as the writer took it: no address, device or receipt code.
    let raw = serde_json::json!({
        "type": "satisfaction_rating", "id": id, "at": crate::domain::time::format_ts(at),
        "unit": unit, "service": service.name, "score": form.score, "comment": comment,
        "channel": "public",
    })
    .to_string();
    let event = Event {
        id: id.as_str().into(),
        at,
        body: EventBody::Rating {
            unit: u.id.clone(),
            service: service.name.clone(),
            score: form.score as u8,
            comment,
            comment_shown: shown,
        },
        raw,
    };
    let actor = Actor {
        principal: Principal::System("citizen"),
        // No personal data beyond the form: the audit trail does not keep a citizen's address.
        ip: String::new(),
    };
    let used = || {
        ApiError::ConflictItem(ItemError::new(
            "receipt",
            crate::msg!("public_receipt_used"),
        ))
    };
    let report = match node.writer.ingest(vec![event], &actor).await {
        Ok(r) => r,
        Err(crate::ingest::writer::WriteError::ConflictItem(_)) if receipt.is_some() => {
            return Err(used())
        }
        Err(e) => return Err(e.into()),
    };
    if report.duplicates > 0 {
        return Err(used());
    }
    Ok((
        StatusCode::CREATED,
        Json(RatingThanks {
            accepted: true,
            message: crate::msg!("public_thanks").render(crate::i18n::request_lang()),
            comment_shown: screened.is_none() || shown,
        }),
    ))
}

/// A receipt code as the store keeps it: a digest of the unit and the code, so one dossier
/// rates once while the codes themselves are never written down.
fn receipt_digest(unit: &str, code: &str) -> Result<String, ApiError> {
    let ok = (3..=40).contains(&code.chars().count())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '/' | '_'));
    if !ok {
        return Err(ApiError::Invalid(ItemError::new(
            "receipt",
            crate::msg!("public_receipt_form"),
        )));
    }
    let digest = sha2::Sha256::digest(format!(
        "ioc-receipt\n{unit}\n{}",
        code.to_ascii_uppercase()
    ));
    Ok(hex::encode(&digest[..16]))
}

fn uuid_like() -> String {
    use rand::Rng;
    hex::encode(rand::thread_rng().gen::<[u8; 16]>())
}

/// `2026-11.html`, `.csv`, `.xlsx` or `.json`: a closed month's summary.
async fn month(
    State(node): State<Node>,
    Path((unit, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let lang = crate::i18n::request_lang();
    let (label, ext) = file.rsplit_once('.').unwrap_or((&file, "html"));
    board::public_unit(&node.rollup, &unit).ok_or_else(|| no_board(&unit))?;
    let period = board::closed_month(&node.rollup, label).ok_or_else(|| {
        ApiError::NotFound(crate::msg!(
            "public_month_not_closed",
            month = label.to_string()
        ))
    })?;
    let s = board::month_summary(
        &node.rollup,
        node.store.as_ref(),
        node.public.config(),
        &unit,
        &period,
        lang,
    )
    .await?
    .ok_or_else(|| no_board(&unit))?;
    let stem = format!("cong-khai_{unit}_{label}");
    let (mime, body, download): (&str, Vec<u8>, bool) = match ext {
        "html" => (
            "text/html; charset=utf-8",
            summary::html(&s, lang).into_bytes(),
            false,
        ),
        "json" => (
            "application/json",
            serde_json::to_vec(&s).expect("a summary serializes"),
            false,
        ),
        "csv" => ("text/csv; charset=utf-8", summary::csv(&s, lang), true),
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            summary::xlsx(&s, lang).map_err(|e| ApiError::Internal(e.into()))?,
            true,
        ),
        other => {
            return Err(ApiError::NotFound(crate::msg!(
                "public_month_format",
                ext = other.to_string()
            )))
        }
    };
    let mut res = ([(header::CONTENT_TYPE, mime)], body).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    if download {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{stem}.{ext}\"")) {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(res)
}

// --- The staff's printable cards (signed in, within scope) ------------------------------------

pub fn card_router() -> Router<Node> {
    Router::new()
        .route("/units/{id}/public-card", get(card))
        .route("/units/{id}/public-qr.svg", get(qr))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardQuery {
    service: Option<String>,
    lang: Option<String>,
}

/// The rating form's address for a unit and service, from `[public] base_url` (or
/// `--public-url`), else the host the card was asked at.
fn form_url(node: &Node, headers: &HeaderMap, unit: &str, service: &str) -> String {
    let base = node.public.config().base_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    });
    format!(
        "{}/cong-khai/{unit}/danh-gia?dv={service}",
        base.trim_end_matches('/')
    )
}

async fn card(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<CardQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = q.lang.as_deref().and_then(Lang::parse).unwrap_or(Lang::Vi);
    let (u, service) = card_target(&node, &who, &id, q.service.as_deref())?;
    let html = match service {
        Some(s) => print::card_html(
            &u.name,
            &s.name,
            &form_url(&node, &headers, &id, &s.code),
            lang,
        )
        .map_err(|e| ApiError::BadRequest(e.to_string().into()))?,
        None => print::card_index(
            &u.name,
            &id,
            node.public.config().services_at(u.level),
            lang,
        ),
    };
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

async fn qr(
    State(node): State<Node>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<CardQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, service) = card_target(&node, &who, &id, q.service.as_deref())?;
    let s = service.ok_or_else(|| {
        ApiError::Invalid(ItemError::new(
            "service",
            crate::msg!("public_card_service"),
        ))
    })?;
    let svg = print::qr_svg(&form_url(&node, &headers, &id, &s.code))
        .map_err(|e| ApiError::BadRequest(e.to_string().into()))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

fn card_target(
    node: &Node,
    who: &Principal,
    id: &str,
    service: Option<&str>,
) -> Result<(crate::domain::Unit, Option<crate::public::ServiceDef>), ApiError> {
    crate::auth::can_view(who, &node.rollup, crate::auth::Target::Unit(id))?;
    let (u, _) = board::public_unit(&node.rollup, id).ok_or_else(|| no_board(id))?;
    let service = match service {
        None => None,
        Some(code) => Some(
            node.public
                .config()
                .services_at(u.level)
                .find(|s| s.code == code)
                .cloned()
                .ok_or_else(|| {
                    ApiError::Invalid(ItemError::new(
                        "service",
                        crate::msg!("public_unknown_service", code = code.to_string()),
                    ))
                })?,
        ),
    };
    Ok((u, service))
}

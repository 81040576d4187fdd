//! `POST /api/v1/import`: a file (XLSX, CSV, JSON or NDJSON) imported into the running server
//! as one audited change through the writer, or checked only (`?dry_run=true`); and
//! `GET /api/v1/import/template.xlsx`, the workbook to fill in.

use super::error::ApiError;
use super::ops::{Answer, Body, Kind, Operation, Param};
use crate::auth::Actor;
use crate::import::{import_upload, read_upload, ImportError, UploadError, UploadType};
use crate::ingest::writer::ImportCounts;
use crate::Node;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/import", post(import))
        .route("/import/template.xlsx", get(template))
}

pub const OPERATIONS: &[Operation] = &[
    Operation::post("/api/v1/import", "Import one file into the running server: the file is the body, its type the Content-Type (XLSX with a sheet per table, CSV with ?kind=, a JSON catalog document or NDJSON records; the same columns, aliases and checks as `ioc import`). Catalog entries and events are written as one change, each entry audited under the caller's name and checked by the catalog and responsibility rules, or nothing is (422 lists the problems by file, sheet, row and column; 403 names the entry the caller may not change). ?dry_run=true checks and counts what would change (new, changed, unchanged per kind; events new and already present) and writes nothing. Re-sending the same file changes nothing: catalog entries are unchanged and events are duplicates.", Body::File, Answer::Json("ImportResult")).params(&[
        Param::query("dry_run", Kind::Bool, "Only check and count; write nothing (default false)"),
        Param::query("kind", Kind::OneOf(&["units", "people", "kpis", "objectives", "key_results", "tasks"]), "What a CSV file's rows are (CSV only)"),
        Param::query("name", Kind::Text, "The file's name, used in problems (default `upload`)"),
    ]),
    Operation::get("/api/v1/import/template.xlsx", "The import template: an XLSX workbook with a sheet per table under its Vietnamese name, Vietnamese headers (required ones shaded) and drop-down lists for levels, groups, frequencies and directions", Answer::Document),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    ImportResult,
    crate::ingest::writer::ImportCounts,
    crate::ingest::writer::EntryCounts,
    crate::ingest::writer::EventCounts,
    crate::import::Problem
)))]
pub struct Schemas;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
    kind: Option<String>,
    name: Option<String>,
}

/// What an import changed, or would change for a dry run.
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    /// True when nothing was written.
    pub dry_run: bool,
    /// The file's name as given by `?name=`.
    pub file: String,
    #[serde(flatten)]
    pub counts: ImportCounts,
}

async fn import(
    State(node): State<Node>,
    actor: Actor,
    headers: HeaderMap,
    Query(q): Query<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportResult>, ApiError> {
    let body = body?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let kind = UploadType::parse(content_type, q.kind.as_deref())
        .map_err(|m| ApiError::UnsupportedMediaType(m.into()))?;
    let name = q.name.unwrap_or_else(|| "upload".to_string());
    if name.chars().count() > 200 {
        return Err(ApiError::BadRequest("name: at most 200 characters".into()));
    }
    let bytes = body.to_vec();
    let file = name.clone();
    // Reading a workbook is CPU work: off the async threads, in the request's language.
    let lang = crate::i18n::request_lang();
    let upload = tokio::task::spawn_blocking(move || {
        crate::i18n::REQUEST_LANG.sync_scope(lang, || read_upload(&file, kind, bytes))
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e| ApiError::Import(ImportRefusal::Invalid, e))?;
    let counts = import_upload(&node.writer, upload, &actor, q.dry_run)
        .await
        .map_err(|e| match e {
            UploadError::Invalid(e) => ApiError::Import(ImportRefusal::Invalid, e),
            UploadError::Forbidden(e) => ApiError::Import(ImportRefusal::Forbidden, e),
            UploadError::Conflict(e) => ApiError::Import(ImportRefusal::Conflict, e),
            UploadError::Unavailable(e) => e.into(),
        })?;
    Ok(Json(ImportResult {
        dry_run: q.dry_run,
        file: name,
        counts,
    }))
}

/// How an import was refused; the problems say where.
#[derive(Debug, Clone, Copy)]
pub enum ImportRefusal {
    Invalid,
    Forbidden,
    Conflict,
}

/// The status and words of a refused import, for `ApiError`.
pub(super) fn refusal_words(e: &ImportError) -> String {
    let shown = 3;
    let mut lines: Vec<String> = e
        .problems
        .iter()
        .take(shown)
        .map(|p| p.to_string())
        .collect();
    if e.problems.len() > shown {
        lines.push(format!("and {} more", e.problems.len() - shown));
    }
    lines.join("; ")
}

async fn template() -> Result<Response, ApiError> {
    let bytes = tokio::task::spawn_blocking(crate::import::template::workbook)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(e.into()))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::import::XLSX_TYPE),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"mau-nhap-lieu.xlsx\""),
    );
    Ok(response)
}

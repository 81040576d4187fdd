//! Files attached to submissions: `POST /api/v1/attachments?task=&name=` takes the raw bytes,
//! reads their type from the bytes themselves (`infer`) against an allow-list, and has the
//! writer keep them by SHA-256 for that task with an audit entry; `GET
//! /api/v1/attachments/{sha256}` serves a file only to someone who may see a task it was
//! uploaded for (or its uploader), always as a download (`Content-Disposition: attachment`,
//! `nosniff`), so a file never runs as a page of this site.

use super::error::ApiError;
use super::ops::{Answer, Body, Kind, Operation, Param};
use crate::audit::Draft;
use crate::auth::{access, can_view, Actor, Principal, Target};
use crate::domain::time::now_ms;
use crate::domain::TaskStatus;
use crate::ingest::ItemError;
use crate::msg;
use crate::store::{AttachmentFile, AttachmentLink, AttachmentRecord};
use crate::Node;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub fn router() -> Router<Node> {
    Router::new()
        .route("/attachments", post(upload))
        .route("/attachments/{sha256}", get(download))
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[Operation] = &[
    Operation::post(
        "/api/v1/attachments",
        "Upload a file for a task's submission or an explanation's thread (the raw bytes as the body, up to --max-body-bytes): its type is read from its bytes and must be PDF, PNG, JPEG, WebP, docx, xlsx, pptx or OpenDocument (422 naming `file` otherwise); kept once by SHA-256. By whoever may submit the task (its responsible person, the data entry of its unit, a token with `task`). Refer to it in the submission's `attachments`.",
        Body::Bytes,
        Answer::Created("AttachmentOut"),
    )
    .params(&[
        Param::query("task", Kind::Text, "The task the file is for (this or `explanation`)"),
        Param::query("explanation", Kind::Text, "The explanation request whose thread the file is for (by whoever may write in it)"),
        Param::query("name", Kind::Text, "The file's name as shown (required, 200 characters)"),
    ]),
    Operation::get(
        "/api/v1/attachments/{sha256}",
        "A file, as a download with its sniffed type: to people who may see a task or an explanation request it was uploaded for, and its uploader",
        Answer::File,
    ),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(AttachmentOut)))]
pub struct Schemas;

/// A kept file.
#[derive(Serialize, ToSchema)]
pub struct AttachmentOut {
    /// 64 lowercase hex digits: what a submission's `attachments` names.
    pub sha256: String,
    pub name: String,
    /// Read from the bytes.
    pub content_type: String,
    pub size: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    task: Option<String>,
    /// An explanation request whose thread the file is for, instead of a task.
    explanation: Option<String>,
    name: Option<String>,
}

/// The types a submission may carry, as `infer` names them: documents and pictures, nothing
/// a browser would run.
pub const ALLOWED: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
];

/// The type read from a file's first bytes, if it is one a submission may carry.
pub fn sniff(bytes: &[u8]) -> Result<&'static str, String> {
    match infer::get(bytes) {
        Some(t) if ALLOWED.contains(&t.mime_type()) => Ok(t.mime_type()),
        Some(t) => Err(t.mime_type().to_string()),
        None => Err("of unknown type".to_string()),
    }
}

fn required(field: &str, v: Option<String>) -> Result<String, ApiError> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        _ => Err(ApiError::Invalid(ItemError::new(field, "is required"))),
    }
}

async fn upload(
    State(node): State<Node>,
    actor: Actor,
    Query(q): Query<UploadQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<AttachmentOut>), ApiError> {
    let body = body?;
    let name = required("name", q.name.clone())?;
    if let Some(explanation) = q.explanation.filter(|_| q.task.is_none()) {
        return upload_for_explanation(node, actor, explanation, name, body).await;
    }
    let task_id = required("task", q.task)?;
    if name.chars().count() > 200
        || name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return Err(ApiError::Invalid(ItemError::new(
            "name",
            "must be a file name of at most 200 characters, without slashes or control characters",
        )));
    }
    let task = node
        .rollup
        .task(&task_id)
        .ok_or_else(|| ApiError::NotFound(msg!("no_task", task = task_id.as_str())))?;
    // Whoever may submit the task may attach its files: the same rule the writer asks.
    let mut after = task.clone();
    if !matches!(after.status, TaskStatus::Submitted) {
        after.status = TaskStatus::Submitted;
    }
    let touch = access::TaskTouch {
        status: Some(TaskStatus::Submitted),
        ..Default::default()
    };
    if access::task_change(&actor.principal, &node.rollup, Some(&task), &after, touch).is_err() {
        return Err(ApiError::Refused(ItemError::new(
            "file",
            msg!("attachment_upload_denied", task = &task.title),
        )));
    }
    if body.is_empty() {
        return Err(ApiError::Invalid(ItemError::new(
            "file",
            msg!("attachment_empty", name = name.as_str()),
        )));
    }
    let max = node.limits.max_body_bytes;
    if body.len() > max {
        return Err(ApiError::TooLarge(msg!(
            "attachment_too_large",
            name = name.as_str(),
            size = body.len(),
            max = max
        )));
    }
    let content_type = sniff(&body).map_err(|kind| {
        ApiError::Invalid(ItemError::new(
            "file",
            msg!("attachment_type", name = name.as_str(), kind = kind),
        ))
    })?;
    let sha256 = hex::encode(Sha256::digest(&body));
    let size = body.len() as i64;
    let out = AttachmentOut {
        sha256: sha256.clone(),
        name: name.clone(),
        content_type: content_type.to_string(),
        size,
    };
    let draft = Draft::new(
        actor.who(),
        "attachment.upload",
        format!("task:{}", task.id),
        Some(task.unit.to_string()),
        None,
        Some(serde_json::json!({
            "sha256": &sha256, "name": &name, "content_type": content_type, "size": size
        })),
    );
    let record = AttachmentRecord {
        file: AttachmentFile {
            sha256: sha256.clone(),
            content_type: content_type.to_string(),
            size,
            body: body.to_vec(),
        },
        link: AttachmentLink {
            sha256,
            task_id: task.id.to_string(),
            name,
            uploaded_by: actor.principal.actor_id(),
            at: now_ms(),
        },
    };
    node.writer.attachment(record, draft).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// A file for an explanation's thread: by whoever may write in it (its addressee, the leader
/// of the addressee's unit, a leader over its unit), checked again by the writer when a message
/// names it.
async fn upload_for_explanation(
    node: Node,
    actor: Actor,
    explanation: String,
    name: String,
    body: Bytes,
) -> Result<(StatusCode, Json<AttachmentOut>), ApiError> {
    check_name(&name)?;
    let thread = node
        .store
        .explain()
        .thread(&explanation)
        .await?
        .ok_or_else(|| ApiError::NotFound(msg!("no_explanation", id = explanation.as_str())))?;
    let e = thread.explanation;
    access::explain_message(&actor.principal, &node.rollup, &e)
        .map_err(|d| ApiError::Refused(ItemError::new("file", d.to_string())))?;
    let (file, content_type) = checked_file(&node, &name, &body)?;
    let out = AttachmentOut {
        sha256: file.sha256.clone(),
        name: name.clone(),
        content_type: content_type.to_string(),
        size: file.size,
    };
    let draft = Draft::new(
        actor.who(),
        "attachment.upload",
        format!("explanation:{}", e.id),
        Some(e.unit.clone()),
        None,
        Some(serde_json::json!({
            "sha256": &file.sha256, "name": &name, "content_type": content_type, "size": file.size
        })),
    );
    let record = crate::store::explain::ExplainAttachment {
        file,
        explanation: e.id.clone(),
        name,
        uploaded_by: actor.principal.actor_id(),
        at: now_ms(),
    };
    node.writer.explain_attachment(record, draft).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.chars().count() > 200
        || name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return Err(ApiError::Invalid(ItemError::new(
            "name",
            "must be a file name of at most 200 characters, without slashes or control characters",
        )));
    }
    Ok(())
}

/// A body checked as a file a person may attach: not empty, within the limit, of an allowed
/// type read from its bytes.
fn checked_file(
    node: &Node,
    name: &str,
    body: &Bytes,
) -> Result<(AttachmentFile, &'static str), ApiError> {
    if body.is_empty() {
        return Err(ApiError::Invalid(ItemError::new(
            "file",
            msg!("attachment_empty", name = name),
        )));
    }
    let max = node.limits.max_body_bytes;
    if body.len() > max {
        return Err(ApiError::TooLarge(msg!(
            "attachment_too_large",
            name = name,
            size = body.len(),
            max = max
        )));
    }
    let content_type = sniff(body).map_err(|kind| {
        ApiError::Invalid(ItemError::new(
            "file",
            msg!("attachment_type", name = name, kind = kind),
        ))
    })?;
    Ok((
        AttachmentFile {
            sha256: hex::encode(Sha256::digest(body)),
            content_type: content_type.to_string(),
            size: body.len() as i64,
            body: body.to_vec(),
        },
        content_type,
    ))
}

/// `filename*` of RFC 6266 / 5987: UTF-8, percent-encoded outside the attribute characters, so
/// a Vietnamese name arrives whole and no name can break out of the header.
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_. ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn download(
    State(node): State<Node>,
    who: Principal,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let links = node.store.attachment_links(&sha256).await?;
    let for_explanations = node
        .store
        .explain()
        .explain_attachment_links(&sha256)
        .await?;
    if !for_explanations.is_empty() {
        if let Some(name) = readable_explanation_link(&node, &who, &for_explanations).await? {
            return serve(&node, &sha256, &name).await;
        }
    }
    if links.is_empty() && for_explanations.is_empty() {
        return Err(ApiError::NotFound(msg!(
            "no_attachment",
            sha256 = sha256.as_str()
        )));
    }
    let me = who.actor_id();
    let shown = links.iter().find(|l| {
        (l.uploaded_by == me && who.may_read())
            || node
                .rollup
                .task(&l.task_id)
                .is_some_and(|t| can_view(&who, &node.rollup, Target::Task(&t)).is_ok())
    });
    let Some(link) = shown else {
        return Err(ApiError::Forbidden(msg!(
            "attachment_not_yours",
            sha256 = sha256.as_str()
        )));
    };
    serve(&node, &sha256, &link.name).await
}

/// The name of the first explanation link the caller may read (or uploaded).
async fn readable_explanation_link(
    node: &Node,
    who: &Principal,
    links: &[(String, String, String)],
) -> Result<Option<String>, ApiError> {
    let me = who.actor_id();
    for (explanation, name, uploaded_by) in links {
        if *uploaded_by == me && who.may_read() {
            return Ok(Some(name.clone()));
        }
        if let Some(t) = node.store.explain().thread(explanation).await? {
            if access::explain_read(who, &node.rollup, &t.explanation).is_ok() {
                return Ok(Some(name.clone()));
            }
        }
    }
    Ok(None)
}

/// A kept file as a download under `name`.
async fn serve(node: &Node, sha256: &str, name: &str) -> Result<Response, ApiError> {
    let file = node
        .store
        .attachment(sha256)
        .await?
        .ok_or_else(|| ApiError::NotFound(msg!("no_attachment", sha256 = sha256)))?;
    let mut res = file.body.into_response();
    let h = res.headers_mut();
    let value = |s: &str| {
        HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("application/octet-stream"))
    };
    h.insert(header::CONTENT_TYPE, value(&file.content_type));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition(name)).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_read_from_the_bytes() {
        assert_eq!(
            sniff(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"),
            Ok("application/pdf")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Ok("image/png"));
        // A page named .pdf is still a page, and refused.
        assert!(sniff(b"<html><script>alert(1)</script></html>").is_err());
        assert!(sniff(b"MZ\x90\0\x03\0\0\0").is_err());
    }

    #[test]
    fn names_cannot_break_the_header() {
        let d = disposition("Báo cáo \"quý\".pdf\r\nX: y");
        assert!(
            d.starts_with("attachment; filename=\"B_o c_o _qu__.pdf__X_ y\""),
            "{d}"
        );
        assert!(
            d.contains("filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20%22qu%C3%BD%22.pdf%0D%0AX%3A%20y"),
            "{d}"
        );
    }
}

//! What the store keeps for explanations (giải trình): the requests, their threads and the
//! files uploaded for them. The `ExplainStore` interface and its SQL, written once for both
//! backends like `sql.rs`; every write goes with its audit entries and the notices it causes in
//! one transaction.

use super::notify::NoticeRow;
use super::{AttachmentFile, StoreError};
use crate::domain::explanation::{
    ExplainMessage, ExplainState, Explanation, FileRef, MessageRole, SubjectKind, Thread,
};
use crate::domain::Ts;
use async_trait::async_trait;

/// Which requests to read, newest first. Empty filters match everything.
#[derive(Debug, Clone, Default)]
pub struct ExplainQuery {
    pub subject_kind: Option<SubjectKind>,
    pub subject: Option<String>,
    /// Requests about these units (a reader's scope, or a subtree); `None`: any unit.
    pub units: Option<Vec<String>>,
    pub state: Option<ExplainState>,
    /// Requests this person is to answer or asked.
    pub person: Option<String>,
    /// Asked at or after / before (the server's clock): a review's period.
    pub from: Option<Ts>,
    pub to: Option<Ts>,
    pub limit: i64,
}

/// A file uploaded for an explanation's thread.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainAttachment {
    pub file: AttachmentFile,
    pub explanation: String,
    pub name: String,
    pub uploaded_by: String,
    pub at: Ts,
}

#[async_trait]
pub trait ExplainStore: Send + Sync {
    /// A request and its thread.
    async fn thread(&self, id: &str) -> Result<Option<Thread>, StoreError>;

    /// Requests with their threads, newest first.
    async fn threads(&self, q: &ExplainQuery) -> Result<Vec<Thread>, StoreError>;

    /// A message, by its id (a retry's check).
    async fn explain_message(&self, id: &str) -> Result<Option<ExplainMessage>, StoreError>;

    /// Writes a request as it now stands, the message that changed it (if any), their audit
    /// entries and the notices they cause, in one transaction.
    async fn save_explanation(
        &self,
        e: &Explanation,
        message: Option<&ExplainMessage>,
        audit: &[crate::audit::Entry],
        notices: &[NoticeRow],
    ) -> Result<(), StoreError>;

    /// Open requests due at or before `now`.
    async fn due_explanations(&self, now: Ts) -> Result<Vec<Explanation>, StoreError>;

    /// The earliest due date of an open request.
    async fn next_explanation_due(&self) -> Result<Option<Ts>, StoreError>;

    /// Keeps a file (once per SHA-256) and its link to an explanation, with the upload's audit
    /// entry.
    async fn save_explain_attachment(
        &self,
        a: &ExplainAttachment,
        audit: &crate::audit::Entry,
    ) -> Result<(), StoreError>;

    /// The explanations a file was uploaded for, with the name and uploader of each link.
    async fn explain_attachment_links(
        &self,
        sha256: &str,
    ) -> Result<Vec<(String, String, String)>, StoreError>;
}

pub const EXPLAIN_COLUMNS: &str = "id, subject_kind, subject, title, unit_id, addressee, asked_by, asker_person, question, due_at, state, created_at, answered_at, escalated_at, escalated_to";

pub type ExplainTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

pub fn explanation_row(t: ExplainTuple) -> Result<Explanation, StoreError> {
    let (
        id,
        kind,
        subject,
        title,
        unit,
        addressee,
        asked_by,
        asker_person,
        question,
        due_at,
        state,
        created_at,
        answered_at,
        escalated_at,
        escalated_to,
    ) = t;
    Ok(Explanation {
        subject_kind: SubjectKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("explanation subject kind '{kind}'")))?,
        state: ExplainState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("explanation state '{state}'")))?,
        id,
        subject,
        title,
        unit,
        addressee,
        asked_by,
        asker_person,
        question,
        due_at,
        created_at,
        answered_at,
        escalated_at,
        escalated_to,
    })
}

pub const MESSAGE_COLUMNS: &str =
    "id, explanation_id, author, author_person, role, body, attachments, at";

pub type MessageTuple = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
);

pub fn message_row(t: MessageTuple) -> Result<ExplainMessage, StoreError> {
    let (id, explanation, author, author_person, role, text, files, at) = t;
    let attachments: Vec<FileRef> = serde_json::from_str(&files)
        .map_err(|e| StoreError::Corrupt(format!("explanation message files: {e}")))?;
    Ok(ExplainMessage {
        role: MessageRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("explanation message role '{role}'")))?,
        id,
        explanation,
        author,
        author_person,
        text,
        attachments,
        at,
    })
}

/// The `ExplainStore` implementation for a store type.
macro_rules! explain_store_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn explain_messages_of(
                &self,
                ids: &[String],
            ) -> Result<Vec<$crate::domain::explanation::ExplainMessage>, $crate::store::StoreError>
            {
                use $crate::store::explain::*;
                let mut out = Vec::new();
                for chunk in ids.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {MESSAGE_COLUMNS} FROM explanation_messages WHERE explanation_id"
                    ));
                    $crate::store::notify_sql::push_in(&mut qb, chunk);
                    qb.push(" ORDER BY at, id");
                    let rows: Vec<MessageTuple> =
                        qb.build_query_as().fetch_all(&self.pool).await?;
                    for r in rows {
                        out.push(message_row(r)?);
                    }
                }
                Ok(out)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::explain::ExplainStore for $store {
            async fn thread(
                &self,
                id: &str,
            ) -> Result<Option<$crate::domain::explanation::Thread>, $crate::store::StoreError>
            {
                use $crate::store::explain::*;
                let row: Option<ExplainTuple> = sqlx::query_as(&format!(
                    "SELECT {EXPLAIN_COLUMNS} FROM explanations WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let explanation = explanation_row(row)?;
                let messages = self.explain_messages_of(&[id.to_string()]).await?;
                Ok(Some($crate::domain::explanation::Thread {
                    explanation,
                    messages,
                }))
            }

            async fn threads(
                &self,
                q: &$crate::store::explain::ExplainQuery,
            ) -> Result<Vec<$crate::domain::explanation::Thread>, $crate::store::StoreError>
            {
                use $crate::store::explain::*;
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {EXPLAIN_COLUMNS} FROM explanations WHERE 1 = 1"
                ));
                if let Some(k) = q.subject_kind {
                    qb.push(" AND subject_kind = ").push_bind(k.as_str().to_string());
                }
                if let Some(s) = &q.subject {
                    qb.push(" AND subject = ").push_bind(s.clone());
                }
                if let Some(units) = &q.units {
                    qb.push(" AND unit_id");
                    $crate::store::notify_sql::push_in(&mut qb, units);
                }
                if let Some(s) = q.state {
                    qb.push(" AND state = ").push_bind(s.as_str().to_string());
                }
                if let Some(p) = &q.person {
                    qb.push(" AND (addressee = ")
                        .push_bind(p.clone())
                        .push(" OR asker_person = ")
                        .push_bind(p.clone())
                        .push(")");
                }
                if let Some(t) = q.from {
                    qb.push(" AND created_at >= ").push_bind(t);
                }
                if let Some(t) = q.to {
                    qb.push(" AND created_at < ").push_bind(t);
                }
                qb.push(" ORDER BY created_at DESC, id LIMIT ")
                    .push_bind(q.limit.max(1));
                let rows: Vec<ExplainTuple> = qb.build_query_as().fetch_all(&self.pool).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(explanation_row(r)?);
                }
                let ids: Vec<String> = out.iter().map(|e| e.id.clone()).collect();
                let mut messages = self.explain_messages_of(&ids).await?;
                Ok(out
                    .into_iter()
                    .map(|explanation| {
                        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut messages)
                            .into_iter()
                            .partition(|m| m.explanation == explanation.id);
                        messages = rest;
                        $crate::domain::explanation::Thread {
                            explanation,
                            messages: mine,
                        }
                    })
                    .collect())
            }

            async fn explain_message(
                &self,
                id: &str,
            ) -> Result<
                Option<$crate::domain::explanation::ExplainMessage>,
                $crate::store::StoreError,
            > {
                use $crate::store::explain::*;
                let row: Option<MessageTuple> = sqlx::query_as(&format!(
                    "SELECT {MESSAGE_COLUMNS} FROM explanation_messages WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(message_row).transpose()
            }

            async fn save_explanation(
                &self,
                e: &$crate::domain::explanation::Explanation,
                message: Option<&$crate::domain::explanation::ExplainMessage>,
                audit: &[$crate::audit::Entry],
                notices: &[$crate::store::notify::NoticeRow],
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO explanations (id, subject_kind, subject, title, unit_id, addressee, asked_by, asker_person, question, due_at, state, created_at, answered_at, escalated_at, escalated_to) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                     ON CONFLICT (id) DO UPDATE SET state = excluded.state, answered_at = excluded.answered_at, \
                     escalated_at = excluded.escalated_at, escalated_to = excluded.escalated_to",
                )
                .bind(e.id.clone())
                .bind(e.subject_kind.as_str())
                .bind(e.subject.clone())
                .bind(e.title.clone())
                .bind(e.unit.clone())
                .bind(e.addressee.clone())
                .bind(e.asked_by.clone())
                .bind(e.asker_person.clone())
                .bind(e.question.clone())
                .bind(e.due_at)
                .bind(e.state.as_str())
                .bind(e.created_at)
                .bind(e.answered_at)
                .bind(e.escalated_at)
                .bind(e.escalated_to.clone())
                .execute(&mut *tx)
                .await?;
                if let Some(m) = message {
                    let files = serde_json::to_string(&m.attachments).unwrap_or_else(|_| "[]".into());
                    sqlx::query("INSERT INTO explanation_messages (id, explanation_id, author, author_person, role, body, attachments, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                        .bind(m.id.clone())
                        .bind(m.explanation.clone())
                        .bind(m.author.clone())
                        .bind(m.author_person.clone())
                        .bind(m.role.as_str())
                        .bind(m.text.clone())
                        .bind(files)
                        .bind(m.at)
                        .execute(&mut *tx)
                        .await?;
                }
                Self::insert_audit(&mut tx, audit).await?;
                Self::insert_notices(&mut tx, notices, &[]).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn due_explanations(
                &self,
                now: $crate::domain::Ts,
            ) -> Result<Vec<$crate::domain::explanation::Explanation>, $crate::store::StoreError>
            {
                use $crate::store::explain::*;
                let rows: Vec<ExplainTuple> = sqlx::query_as(&format!(
                    "SELECT {EXPLAIN_COLUMNS} FROM explanations WHERE state = 'open' AND due_at <= $1 ORDER BY due_at, id"
                ))
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(explanation_row).collect()
            }

            async fn next_explanation_due(
                &self,
            ) -> Result<Option<$crate::domain::Ts>, $crate::store::StoreError> {
                let row: (Option<i64>,) =
                    sqlx::query_as("SELECT MIN(due_at) FROM explanations WHERE state = 'open'")
                        .fetch_one(&self.pool)
                        .await?;
                Ok(row.0)
            }

            async fn save_explain_attachment(
                &self,
                a: &$crate::store::explain::ExplainAttachment,
                audit: &$crate::audit::Entry,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO attachments (sha256, content_type, size, body, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING")
                    .bind(a.file.sha256.clone())
                    .bind(a.file.content_type.clone())
                    .bind(a.file.size)
                    .bind(a.file.body.clone())
                    .bind(a.at)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO attachment_explanations (sha256, explanation_id, name, uploaded_by, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256, explanation_id) DO NOTHING")
                    .bind(a.file.sha256.clone())
                    .bind(a.explanation.clone())
                    .bind(a.name.clone())
                    .bind(a.uploaded_by.clone())
                    .bind(a.at)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn explain_attachment_links(
                &self,
                sha256: &str,
            ) -> Result<Vec<(String, String, String)>, $crate::store::StoreError> {
                Ok(sqlx::query_as("SELECT explanation_id, name, uploaded_by FROM attachment_explanations WHERE sha256 = $1 ORDER BY at")
                    .bind(sha256)
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}
pub(crate) use explain_store_impl;

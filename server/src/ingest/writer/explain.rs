//! The writer's part of explanations: a request or a message planned against the thread as the
//! store holds it (only the writer changes it, so nothing slips in between check and commit) and
//! committed with its audit entry and notices; on each clock tick, the requests that passed
//! their due date unanswered escalated, once.

use super::task::WriterTask;
use super::WriteError;
use crate::audit::Draft;
use crate::auth::Actor;
use crate::domain::explanation::Thread;
use crate::ingest::explain::{self, ExplainWrite, Outcome, Planned};
use crate::ingest::ItemError;
use crate::msg;

impl WriterTask {
    pub(super) async fn commit_explain(
        &mut self,
        write: ExplainWrite,
        actor: &Actor,
    ) -> Result<(Thread, bool), WriteError> {
        let held = self.store.clone();
        let store = held.explain();
        let now = self.rollup.now();
        let outcome = match &write {
            ExplainWrite::Ask(a) => {
                let existing = store.thread(&a.id).await?;
                let rules = self.alerting.as_ref().map(|al| al.engine());
                let rule_known = |name: &str| {
                    rules.is_none_or(|engine| engine.rules().any(|r| r.name() == name))
                };
                explain::plan_ask(a, existing, &self.rollup, &rule_known, actor, now)?
            }
            ExplainWrite::Message(m) => {
                let thread = store.thread(&m.explanation).await?.ok_or_else(|| {
                    WriteError::Invalid(ItemError::new(
                        "explanation",
                        msg!("no_explanation", id = &*m.explanation),
                    ))
                })?;
                // A message's files must have been uploaded for this request; they carry the
                // names they were uploaded under.
                let mut m = m.clone();
                for f in &mut m.attachments {
                    let links = store.explain_attachment_links(&f.sha256).await?;
                    match links.into_iter().find(|(e, _, _)| *e == m.explanation) {
                        Some((_, name, _)) => f.name = name,
                        None => {
                            return Err(WriteError::Invalid(ItemError::new(
                                "attachments",
                                msg!("explain_file_not_here", sha256 = &*f.sha256),
                            )))
                        }
                    }
                }
                let existing = store.explain_message(&m.id).await?;
                explain::plan_message(&m, thread, existing, &self.rollup, actor, now)?
            }
        };
        let planned = match outcome {
            Outcome::Duplicate(t) => return Ok((t, true)),
            Outcome::New(p) => p,
        };
        let id = planned.explanation.id.clone();
        let due = planned.explanation.due_at;
        self.save_explanation(planned).await?;
        if let Some(next) = self.next_explanation_due {
            self.next_explanation_due = Some(next.min(due));
        }
        let thread = store.thread(&id).await?.ok_or_else(|| {
            WriteError::Invalid(ItemError::new("id", msg!("no_explanation", id = &*id)))
        })?;
        Ok((thread, false))
    }

    async fn save_explanation(&mut self, p: Planned) -> Result<(), WriteError> {
        let (next, entries) = self.audit.chain([p.draft]);
        self.health.begin();
        let committed = self
            .store
            .explain()
            .save_explanation(&p.explanation, p.message.as_ref(), &entries, &p.notices)
            .await;
        self.health.end(&committed);
        committed?;
        self.audit = next;
        if !p.notices.is_empty() {
            metrics::counter!("ioc_notify_notices_total").increment(p.notices.len() as u64);
            if let Some(n) = &self.notifier {
                n.wake_for(&p.notices, Vec::new(), &[]);
            }
        }
        Ok(())
    }

    pub(super) async fn commit_explain_attachment(
        &mut self,
        record: crate::store::explain::ExplainAttachment,
        d: Draft,
    ) -> Result<(), WriteError> {
        let (next, entries) = self.audit.chain([d]);
        self.health.begin();
        let committed = self
            .store
            .explain()
            .save_explain_attachment(&record, &entries[0])
            .await;
        self.health.end(&committed);
        committed?;
        self.audit = next;
        Ok(())
    }

    /// Escalates the open requests the server's clock has passed the due date of. The state
    /// moves to overdue with the notices and the audit entry in one transaction, so after a
    /// restart (or on the next tick) a request is found overdue and left alone. A failed write
    /// is tried again on the next tick.
    pub(super) async fn escalate_explanations(&mut self) {
        let now = self.rollup.now();
        if self.next_explanation_due.is_some_and(|next| next > now) {
            return;
        }
        let held = self.store.clone();
        let store = held.explain();
        let due = match store.due_explanations(now).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "reading due explanations failed; next tick tries again");
                return;
            }
        };
        for e in due {
            let planned = explain::plan_overdue(&e, &self.rollup, now);
            if let Err(err) = self.save_explanation(planned).await {
                tracing::error!(error = %err, explanation = %e.id, "escalating an explanation failed; next tick tries again");
                self.next_explanation_due = None;
                return;
            }
        }
        self.next_explanation_due = match store.next_explanation_due().await {
            Ok(next) => Some(next.unwrap_or(i64::MAX)),
            Err(_) => None,
        };
    }
}

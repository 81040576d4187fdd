//! The writer's part of review meetings: a write planned against the meeting as the rollup
//! holds it, and a conclusion's work planned by the planner that owns it (a task event, a key
//! result, a KPI target), committed in one transaction with the meeting, the audit entries
//! saying which meeting decided it. An explanation request lives in its own store and is
//! committed first, under an id derived from the conclusion's, so a retry finds it.

use super::task::WriterTask;
use super::WriteError;
use crate::audit::Draft;
use crate::auth::Actor;
use crate::domain::meeting::Meeting;
use crate::domain::{time::now_ms, Change};
use crate::ingest::explain::ExplainWrite;
use crate::ingest::meeting::{self, MeetingWrite, Outcome, Sub};
use crate::ingest::plan::{plan_events, AuditDetail, Overlay};
use crate::store::EventRecord;
use std::sync::Arc;

impl WriterTask {
    pub(super) async fn commit_meeting(
        &mut self,
        id: &str,
        write: MeetingWrite,
        actor: &Actor,
    ) -> Result<(Arc<Meeting>, bool), WriteError> {
        let now = self.rollup.now();
        let planned = match meeting::plan(id, write, &self.rollup, actor, now)? {
            Outcome::Duplicate(m) => return Ok((m, true)),
            Outcome::New(p) => *p,
        };
        let reason = format!("meeting:{id}");
        let mut changes: Vec<Change> = Vec::new();
        let mut drafts: Vec<Draft> = Vec::new();
        let mut records: Vec<EventRecord> = Vec::new();
        match planned.sub {
            None => {}
            Some(Sub::Explain(ask)) => {
                self.commit_explain(ExplainWrite::Ask(*ask), actor).await?;
            }
            Some(Sub::Task(event)) => {
                let source = actor.principal.event_source();
                let existing = self
                    .store
                    .existing_events(&source, std::slice::from_ref(&event.id))
                    .await?;
                let mut overlay = Overlay::default();
                let (c, report, d) = plan_events(
                    std::slice::from_ref(&*event),
                    &self.rollup,
                    &mut overlay,
                    None,
                    &existing,
                    actor,
                    AuditDetail::Each,
                )?;
                if report.duplicates == 0 {
                    records.push(EventRecord {
                        source,
                        kind: event.body.kind().to_string(),
                        entity: event.body.entity(),
                        id: event.id.clone(),
                        at: event.at,
                        received_at: now_ms(),
                        body: event.raw.clone(),
                    });
                }
                changes.extend(c);
                drafts.extend(d);
            }
            Some(Sub::KeyResult(item)) => {
                let (c, d) =
                    crate::ingest::catalog::plan::plan(&[item], false, &self.rollup, actor)?;
                changes.extend(c);
                drafts.extend(d);
            }
            Some(Sub::Target(item)) => {
                let (c, d) = crate::ingest::cycle::plan(&[item], &self.rollup, actor, now)?;
                changes.extend(c);
                drafts.extend(d);
            }
        }
        // The adjustment's or the task's own entries say which meeting decided them.
        for d in &mut drafts {
            if let Some(serde_json::Value::Object(o)) = d.new.as_mut() {
                o.insert("reason".into(), reason.clone().into());
            }
        }
        drafts.push(planned.draft);
        let m = Arc::new(planned.meeting);
        changes.push(Change::Meeting(Box::new((*m).clone())));
        let (next, entries) = self.audit.chain(drafts);
        self.health.begin();
        let committed = self.store.commit(&records, &changes, &entries).await;
        self.health.end(&committed);
        let logged = committed?;
        self.audit = next;
        self.publish(changes, logged).await;
        Ok((m, false))
    }
}

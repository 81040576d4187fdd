//! Starting deliveries and recording how their attempts ended: each attempt of one delivery runs
//! as its own task with its own timeout (`Job`), at most `concurrency` in all and
//! `per_contact_point` per contact point, so a receiver that hangs holds its own slots only.
//! A failed attempt goes again after `backon`'s exponential backoff with jitter; the outcomes
//! of the attempts that ended are written together, first thing in the worker's next pass.

use super::compose::{Content, Link};
use super::contact::{Channel, ContactPoint};
use super::inbox::InboxBody;
use super::send::{Channels, Outgoing};
use super::worker::Worker;
use super::Notifier;
use crate::domain::time::now_ms;
use crate::domain::Ts;
use crate::i18n::Lang;
use crate::store::notify::{DeliveryRow, InboxRow, MessageRow, Outcome};
use crate::store::StoreError;
use backon::BackoffBuilder;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Deliveries read per pass.
const DUE_PAGE: i64 = 256;

/// A delivery task that ended (its slot is free), with what to record: the worker writes the
/// outcomes of a pass in one transaction.
pub(super) struct Done {
    delivery: DeliveryRow,
    outcome: Outcome,
    inbox: Option<InboxRow>,
    /// The message's content, for the live inbox.
    content: Option<Arc<Content>>,
}

impl Worker {
    pub(super) fn finished(&mut self, done: Done) {
        self.dispatch_due = true;
        self.in_flight.remove(&done.delivery.id);
        if let Some(n) = self.per_cp.get_mut(&done.delivery.contact_point) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_cp.remove(&done.delivery.contact_point);
            }
        }
        if !matches!(done.outcome, Outcome::Failed { .. }) {
            self.composed.finished(done.delivery.message_id);
        }
        self.outcomes
            .push((done.delivery, done.outcome, done.inbox));
        self.contents.push(done.content);
        while self.tasks.try_join_next().is_some() {}
    }

    /// Records the finished attempts in one transaction; inbox messages then reach the live
    /// inbox. If the write fails they stay pending in the store and go again with the same ids.
    pub(super) async fn record_outcomes(&mut self) {
        if self.outcomes.is_empty() {
            return;
        }
        let done = std::mem::take(&mut self.outcomes);
        let contents = std::mem::take(&mut self.contents);
        match self.store.notify().finish_deliveries(&done).await {
            Ok(added) => {
                for (((_, _, inbox), id), content) in done.into_iter().zip(added).zip(contents) {
                    if let (Some(row), Some(id)) = (inbox, id) {
                        self.notifier
                            .inbox
                            .added(&InboxRow { id, ..row }, content.as_deref());
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, attempts = done.len(), "recording delivery outcomes failed; they stay pending and go again with the same ids")
            }
        }
    }

    /// Starts the deliveries that are due and have a free slot.
    pub(super) async fn dispatch(&mut self) -> Result<(), StoreError> {
        let cfg = self.notifier.config.clone();
        self.dispatch_due = false;
        self.next_due = None;
        if self.in_flight.len() >= cfg.concurrency {
            return Ok(());
        }
        let now = now_ms();
        let due = self.store.notify().due_deliveries(now, DUE_PAGE).await?;
        // Messages not kept in memory (a restart, an eviction), read once per pass.
        let mut read: HashMap<i64, Option<Arc<Content>>> = HashMap::new();
        // The contact points of everyone due, in one read (a burst's page is ~250 deliveries of
        // ~125 people).
        let mut persons: Vec<String> = due.iter().map(|d| d.person.clone()).collect();
        persons.sort_unstable();
        persons.dedup();
        let points = self.contact_points_of(&persons).await?;
        for d in due {
            if self.in_flight.len() >= cfg.concurrency {
                break;
            }
            if self.in_flight.contains(&d.id)
                || self.per_cp.get(&d.contact_point).copied().unwrap_or(0) >= cfg.per_contact_point
            {
                continue;
            }
            let content = match self.composed.get(d.message_id) {
                Some(c) => Some(c),
                None => {
                    if let std::collections::hash_map::Entry::Vacant(e) = read.entry(d.message_id) {
                        let row = self.store.notify().message(d.message_id).await?;
                        e.insert(row.and_then(|m| content_of(&m)));
                    }
                    read.get(&d.message_id).cloned().flatten()
                }
            };
            let point = points
                .get(&d.person)
                .and_then(|ps| ps.iter().find(|p| p.id == d.contact_point))
                .cloned();
            self.in_flight.insert(d.id.clone());
            *self.per_cp.entry(d.contact_point.clone()).or_default() += 1;
            let job = Job {
                notifier: self.notifier.clone(),
                channels: self.channels.clone(),
                done: self.done_tx.clone(),
                delivery: d,
                content,
                point,
            };
            self.tasks.spawn(job.run());
        }
        // Wake for the next retry; one due now is in flight or waits for a slot, and its end
        // wakes the worker anyway.
        if let Some(next) = self.store.notify().next_delivery_at().await? {
            let wait = next - now_ms();
            if wait > 0 {
                self.next_due =
                    Some(tokio::time::Instant::now() + Duration::from_millis(wait as u64));
            }
        }
        metrics::gauge!("ioc_notify_in_flight").set(self.in_flight.len() as f64);
        Ok(())
    }
}

fn content_of(m: &MessageRow) -> Option<Arc<Content>> {
    Content::read(&m.body, &m.notices).map(Arc::new)
}

/// One attempt of one delivery, on its own task.
struct Job {
    notifier: Notifier,
    channels: Arc<Channels>,
    done: mpsc::UnboundedSender<Done>,
    delivery: DeliveryRow,
    content: Option<Arc<Content>>,
    point: Option<ContactPoint>,
}

impl Job {
    async fn run(self) {
        let d = &self.delivery;
        let cfg = &self.notifier.config;
        let started = std::time::Instant::now();
        let mut inbox: Option<InboxRow> = None;
        let result: Result<(), (String, bool)> = match (&self.content, &self.point) {
            (None, _) => Err(("the message is unreadable".into(), true)),
            (_, None) => Err(("the contact point was removed".into(), true)),
            (Some(c), Some(p)) => {
                let link = self
                    .notifier
                    .link(d.message_id, &d.person, &c.unit, c.created_at);
                if p.channel == Channel::Inbox {
                    inbox = Some(inbox_row(d, c, &link));
                    Ok(())
                } else {
                    let out = Outgoing {
                        id: &d.id,
                        content: c,
                        link: &link,
                    };
                    self.channels.send(p, &out).await.map_err(|e| (e, false))
                }
            }
        };
        let at = now_ms();
        let outcome = match result {
            Ok(()) => Outcome::Delivered { at },
            Err((error, last)) => {
                let attempts = d.attempts as u32 + 1;
                if last || attempts >= cfg.max_attempts {
                    Outcome::Dead { error, at }
                } else {
                    Outcome::Failed {
                        error,
                        at,
                        next_at: at + backoff(cfg, attempts).as_millis() as Ts,
                    }
                }
            }
        };
        let word = match &outcome {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Failed { .. } => "failed",
            Outcome::Dead { .. } => "dead",
        };
        metrics::counter!("ioc_notify_deliveries_total", "kind" => d.kind.clone(), "outcome" => word)
            .increment(1);
        metrics::histogram!("ioc_notify_attempt_seconds", "kind" => d.kind.clone())
            .record(started.elapsed().as_secs_f64());
        match &outcome {
            Outcome::Failed { error, .. } | Outcome::Dead { error, .. } => {
                metrics::gauge!("ioc_notify_contact_point_consecutive_failures", "person" => d.person.clone(), "contact_point" => d.contact_point.clone(), "kind" => d.kind.clone())
                    .increment(1.0);
                tracing::warn!(delivery = %d.id, person = %d.person, contact_point = %d.contact_point, attempt = d.attempts + 1, outcome = word, error = %error, "notification not delivered");
            }
            Outcome::Delivered { at } => {
                metrics::gauge!("ioc_notify_contact_point_consecutive_failures", "person" => d.person.clone(), "contact_point" => d.contact_point.clone(), "kind" => d.kind.clone())
                    .set(0.0);
                metrics::gauge!("ioc_notify_contact_point_last_success_seconds", "person" => d.person.clone(), "contact_point" => d.contact_point.clone(), "kind" => d.kind.clone())
                    .set(*at as f64 / 1000.0);
            }
        }
        let _ = self.done.send(Done {
            delivery: self.delivery,
            outcome,
            content: inbox.as_ref().and(self.content),
            inbox,
        });
    }
}

/// The wait before attempt `attempts + 1`: exponential from `retry_min`, at most `retry_max`,
/// with jitter so a receiver back from an outage is not hit by every retry at once.
fn backoff(cfg: &super::NotifyConfig, attempts: u32) -> Duration {
    backon::ExponentialBuilder::default()
        .with_min_delay(cfg.retry_min)
        .with_max_delay(cfg.retry_max)
        .with_factor(2.0)
        .with_jitter()
        .with_max_times(attempts as usize)
        .build()
        .nth(attempts.saturating_sub(1) as usize)
        .unwrap_or(cfg.retry_max)
}

fn inbox_row(d: &DeliveryRow, c: &Content, link: &Link) -> InboxRow {
    // The content stays with the message (the row's delivery names it): a burst's message of
    // some hundred alerts is not written twice.
    let body = InboxBody {
        kind: c.kind.clone(),
        title_vi: c.title(Lang::Vi),
        title_en: c.title(Lang::En),
        link: link.url.clone(),
        message: None,
    };
    InboxRow {
        id: 0,
        person: d.person.clone(),
        delivery_id: d.id.clone(),
        at: c.created_at,
        severity: c.severity().to_string(),
        body: serde_json::to_string(&body).unwrap_or_default(),
        read_at: None,
        message: None,
        notices: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_grows_from_the_minimum_to_the_maximum() {
        let cfg = super::super::NotifyConfig {
            retry_min: Duration::from_secs(2),
            retry_max: Duration::from_secs(60),
            ..Default::default()
        };
        for attempts in 1..12 {
            let d = backoff(&cfg, attempts);
            // Exponential with jitter: between the step and twice it, capped (jitter may add).
            let step = (2u64 << (attempts - 1).min(10)).min(60);
            assert!(d >= Duration::from_secs(step.min(60)), "{attempts}: {d:?}");
            assert!(d <= Duration::from_secs(120), "{attempts}: {d:?}");
        }
    }
}

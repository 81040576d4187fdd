//! One connection's outgoing queue, filled by the hub and drained by the connection's writer.
//! Views are state, so each subscription holds only its newest frame: a slow screen gets fewer,
//! newer frames and the hub never waits for it. Alerts are events, so they queue in order up to
//! a bound; past it the connection is marked overflowed and closed, and the client resumes by id.
//! The lock is a plain mutex held for a push or a take, never across an `.await`.

use super::patch::Patch;
use super::protocol::{ServerMsg, ViewKind};
use crate::domain::Id;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// What the writer sends, in this order within one drain: control messages, view frames, alerts.
#[derive(Debug)]
pub enum AlertOut {
    Frame(Utf8Bytes),
    /// Send the history of `unit`'s subtree in `(after, upto]` (from memory or the store), then
    /// `caught_up`: queued where the live frames after `upto` start.
    Replay {
        unit: Id,
        after: i64,
        upto: i64,
    },
}

#[derive(Default)]
pub struct Drained {
    pub controls: Vec<Utf8Bytes>,
    pub views: Vec<Utf8Bytes>,
    pub alerts: Vec<AlertOut>,
    /// The alert backlog overflowed: tell the client and close.
    pub overflowed: bool,
    /// The hub is gone (shutdown): close.
    pub closed: bool,
}

/// A view's frame waiting to be sent.
enum Pending {
    Whole(Utf8Bytes),
    Patch(Arc<Patch>),
}

impl Pending {
    fn text(&self) -> Utf8Bytes {
        match self {
            Pending::Whole(t) => t.clone(),
            Pending::Patch(p) => p.text.clone(),
        }
    }
}

#[derive(Default)]
struct Queue {
    controls: VecDeque<Utf8Bytes>,
    views: Vec<((ViewKind, Id), Pending)>,
    alerts: VecDeque<AlertOut>,
    overflowed: bool,
    closed: bool,
}

pub struct Outbox {
    queue: Mutex<Queue>,
    notify: Notify,
    alert_capacity: usize,
}

impl Outbox {
    pub fn new(alert_capacity: usize) -> Outbox {
        Outbox {
            queue: Mutex::new(Queue::default()),
            notify: Notify::new(),
            alert_capacity: alert_capacity.max(1),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Queue) -> R) -> R {
        let r = f(&mut self.queue.lock().expect("outbox lock"));
        self.notify.notify_one();
        r
    }

    pub fn control(&self, text: Utf8Bytes) {
        self.with(|q| q.controls.push_back(text));
    }

    /// Queues a control message.
    pub fn message(&self, msg: &ServerMsg<'_>) {
        self.control(msg.to_text().into());
    }

    /// Queues a view's new state. With nothing of this view pending, the patch goes (the client
    /// has, or is being sent, the frame it applies to). With a patch pending, the two are
    /// composed into one; with a whole frame pending, or patches that do not compose, the whole
    /// newest frame replaces it. So a client that falls behind gets fewer, newer frames, and a
    /// patch never lands on a state the client lacks. Does not wake the writer: the hub wakes
    /// each connection once after a whole tick.
    pub fn view(&self, kind: ViewKind, id: &Id, patch: Option<Arc<Patch>>, full: Utf8Bytes) {
        let mut q = self.queue.lock().expect("outbox lock");
        match q.views.iter_mut().find(|(k, _)| k.0 == kind && &k.1 == id) {
            Some(slot) => {
                slot.1 = match (&slot.1, patch) {
                    (Pending::Patch(old), Some(new)) => match old.then(&new) {
                        Some(both) => Pending::Patch(Arc::new(both)),
                        None => Pending::Whole(full),
                    },
                    _ => Pending::Whole(full),
                }
            }
            None => q.views.push((
                (kind, id.clone()),
                patch.map_or(Pending::Whole(full), Pending::Patch),
            )),
        }
    }

    /// Wakes the writer for what `view` queued.
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// Drops a pending frame of a view the client unsubscribed from.
    pub fn forget_view(&self, kind: ViewKind, id: &Id) {
        self.with(|q| q.views.retain(|(k, _)| !(k.0 == kind && &k.1 == id)));
    }

    /// Queues an alert frame or replay; false once the backlog has overflowed.
    pub fn alert(&self, item: AlertOut) -> bool {
        self.with(|q| {
            if q.overflowed {
                return false;
            }
            if q.alerts.len() >= self.alert_capacity {
                metrics::counter!("ioc_ws_alert_overflows_total").increment(1);
                q.overflowed = true;
                q.alerts.clear();
                return false;
            }
            q.alerts.push_back(item);
            true
        })
    }

    /// Drops queued alert frames of a replaced or ended alert subscription.
    pub fn forget_alerts(&self) {
        self.with(|q| q.alerts.clear());
    }

    pub fn close(&self) {
        self.with(|q| q.closed = true);
    }

    /// Takes everything queued.
    pub fn take(&self) -> Drained {
        let mut q = self.queue.lock().expect("outbox lock");
        Drained {
            controls: q.controls.drain(..).collect(),
            views: q.views.drain(..).map(|(_, f)| f.text()).collect(),
            alerts: q.alerts.drain(..).collect(),
            overflowed: q.overflowed,
            closed: q.closed,
        }
    }

    /// Waits until something is queued (or was queued since the last take).
    pub async fn ready(&self) {
        self.notify.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(base: u64, seq: u64) -> Option<Arc<Patch>> {
        let data = serde_json::json!({"as_of": format!("t{seq}")});
        Some(Arc::new(Patch::new(
            ViewKind::Unit,
            "w".into(),
            base,
            seq,
            seq,
            data.as_object().unwrap().clone(),
        )))
    }

    #[test]
    fn views_coalesce_and_alerts_overflow() {
        let o = Outbox::new(2);
        let w: Id = "w".into();
        // Two patches in a row compose into one from the first base to the last seq.
        o.view(ViewKind::Unit, &w, patch(1, 2), "whole 2".into());
        o.view(ViewKind::Unit, &w, patch(2, 3), "whole 3".into());
        o.view(ViewKind::Kpis, &w, None, "k".into());
        let d = o.take();
        assert_eq!(d.views.len(), 2);
        assert!(d.views[0].as_str().contains("\"base\":1"), "{}", d.views[0]);
        assert!(d.views[0].as_str().contains("\"seq\":3"));
        assert!(d.views[0].as_str().contains("t3"));
        assert_eq!(d.views[1].as_str(), "k");
        // Patches that do not chain, or a whole frame pending: the whole newest frame.
        o.view(ViewKind::Unit, &w, patch(3, 4), "whole 4".into());
        o.view(ViewKind::Unit, &w, patch(9, 10), "whole 10".into());
        o.view(ViewKind::Unit, &w, patch(10, 11), "whole 11".into());
        assert_eq!(o.take().views[0].as_str(), "whole 11");
        assert!(o.alert(AlertOut::Frame("a1".into())));
        assert!(o.alert(AlertOut::Frame("a2".into())));
        let d = o.take();
        assert!(d.views.is_empty());
        assert_eq!(d.alerts.len(), 2);
        assert!(!d.overflowed);
        assert!(o.alert(AlertOut::Frame("a3".into())));
        assert!(o.alert(AlertOut::Frame("a4".into())));
        assert!(!o.alert(AlertOut::Frame("a5".into())));
        assert!(!o.alert(AlertOut::Frame("a6".into())));
        let d = o.take();
        assert!(d.overflowed);
        assert!(d.alerts.is_empty());
    }
}

//! The hub task: every subscription of every connection, the views' last rendered frames, and
//! the alert cursor. It marks views dirty from the bus and the alert feed, renders each dirty
//! view once per tick (only if a figure changed; a unit's alert center at most once a second)
//! and hands the one shared frame to every subscriber's outbox; it fans each new alert-feed
//! entry out to the connections whose subtree holds the alert's unit. Unit views carry the one
//! alert count, read from the live alerts once per pass for every unit.
//! It never awaits a connection: an outbox push is a short mutex section.

use super::feed::{AlertFeed, OlderThanMemory};
use super::outbox::{AlertOut, Outbox};
use super::patch::Patch;
use super::protocol::{ErrorCode, ServerMsg, ViewKind, SNAPSHOT_PART};
use super::LiveConfig;
use crate::alerting::{AlertGroupsOut, LiveAlerts, Reading};
use crate::bus::{Committed, Touched};
use crate::domain::Id;
use crate::notify::inbox::InboxView;
use crate::notify::Inbox;
use crate::rollup::view::{AlertCount, KpiBoard, PersonView, UnitView};
use crate::rollup::Rollup;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_tungstenite::tungstenite::Utf8Bytes;

pub(crate) enum HubCmd {
    Join {
        conn: u64,
        outbox: Arc<Outbox>,
    },
    Leave {
        conn: u64,
    },
    Subscribe {
        conn: u64,
        kind: ViewKind,
        id: Id,
    },
    Unsubscribe {
        conn: u64,
        kind: ViewKind,
        id: Id,
    },
    /// Replaces the connection's alert subscription (one per connection, so no alert is ever
    /// delivered twice).
    SubscribeAlerts {
        conn: u64,
        unit: Id,
        after: Option<i64>,
    },
    UnsubscribeAlerts {
        conn: u64,
        unit: Id,
    },
    /// Shutting down: close every connection, and any that joins later.
    CloseAll,
}

/// How often a unit's alert center is re-rendered at most: grouping a city's thousands of
/// alerts costs milliseconds, and a leader reads groups, not a ticker.
const ALERT_GROUPS_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
enum Rendered {
    /// Boxed: a unit view is the largest (its summary and the one alert count).
    Unit(Box<UnitView>),
    Kpis(KpiBoard),
    Person(PersonView),
    AlertGroups(AlertGroupsOut),
    Inbox(InboxView),
    Meeting(Box<crate::meeting::now::MeetingNow>),
}

impl Rendered {
    fn commit(&self) -> u64 {
        match self {
            Rendered::Unit(v) => v.commit,
            Rendered::Kpis(v) => v.commit,
            Rendered::Person(v) => v.commit,
            Rendered::AlertGroups(v) => v.commit,
            Rendered::Inbox(v) => v.commit,
            Rendered::Meeting(v) => v.commit,
        }
    }

    fn stamp(&mut self) -> (&mut String, &mut u64) {
        match self {
            Rendered::Unit(v) => (&mut v.as_of, &mut v.commit),
            Rendered::Kpis(v) => (&mut v.as_of, &mut v.commit),
            Rendered::Person(v) => (&mut v.as_of, &mut v.commit),
            Rendered::AlertGroups(v) => (&mut v.as_of, &mut v.commit),
            Rendered::Inbox(v) => (&mut v.as_of, &mut v.commit),
            Rendered::Meeting(v) => (&mut v.as_of, &mut v.commit),
        }
    }

    /// Whether a newer rendering shows the same figures (its clock and commit aside): then no
    /// frame is sent, so a quiet view stays quiet however often the clock ticks.
    fn same_figures(&self, newer: &Rendered) -> bool {
        let mut b = newer.clone();
        let (b_as_of, b_commit) = b.stamp();
        b_as_of.clone_from(self.as_of());
        *b_commit = self.commit();
        *self == b
    }

    fn as_of(&self) -> &String {
        match self {
            Rendered::Unit(v) => &v.as_of,
            Rendered::Kpis(v) => &v.as_of,
            Rendered::Person(v) => &v.as_of,
            Rendered::AlertGroups(v) => &v.as_of,
            Rendered::Inbox(v) => &v.as_of,
            Rendered::Meeting(v) => &v.as_of,
        }
    }
}

#[derive(Serialize)]
struct ViewFrame<'a> {
    r#type: &'static str,
    view: ViewKind,
    id: &'a str,
    /// Increases with every frame this server renders: a client keeps the highest it saw.
    seq: u64,
    commit: u64,
    data: &'a Rendered,
}

/// What changed from one rendering to the next, for clients that have the previous one: the
/// top-level fields that differ, replaced whole, and for the keyed lists (a unit's children, a
/// board's KPIs) only the lines that differ, each with only its changed fields, as
/// `<list>_changed`; a unit's summary and own line as `<field>_fields`, only what changed in
/// them. None when a whole frame is simpler (a person view).
fn patch(old: &Rendered, new: &Rendered) -> Option<serde_json::Map<String, serde_json::Value>> {
    use serde_json::{to_value, Map, Value};
    fn changed<T: Serialize + PartialEq>(
        out: &mut Map<String, Value>,
        key: &str,
        a: &T,
        b: &T,
    ) -> Option<()> {
        if a != b {
            out.insert(key.into(), to_value(b).ok()?);
        }
        Some(())
    }
    fn lines<T: Serialize + PartialEq>(
        out: &mut Map<String, Value>,
        key: &str,
        key_field: &str,
        a: &[T],
        b: &[T],
        same_key: impl Fn(&T, &T) -> bool,
    ) -> Option<()> {
        if a.len() != b.len() || a.iter().zip(b).any(|(x, y)| !same_key(x, y)) {
            // Lines came or went: the whole list.
            out.insert(key.into(), to_value(b).ok()?);
            return Some(());
        }
        // Each changed line as its key plus the fields that differ: a city tile whose open
        // tasks moved costs a few dozen bytes, not the whole line.
        let mut diff = Vec::new();
        for (x, y) in a.iter().zip(b).filter(|(x, y)| x != y) {
            let (Value::Object(x), Value::Object(y)) = (to_value(x).ok()?, to_value(y).ok()?)
            else {
                return None;
            };
            let line_key = y.get(key_field)?;
            if x.get(key_field) != Some(line_key) {
                // A child renamed: the whole list, since a changed line names its unit by id.
                out.insert(key.into(), to_value(b).ok()?);
                return Some(());
            }
            let mut line = Map::new();
            // The key alone, a child's unit by its id: the name and level are on the line the
            // client has, and a city patch's dozen lines would otherwise resend a dozen names.
            let line_key = match line_key.get("id") {
                Some(id) => serde_json::json!({ "id": id }),
                None => line_key.clone(),
            };
            line.insert(key_field.into(), line_key);
            for (k, v) in &y {
                if k != key_field && x.get(k) != Some(v) {
                    line.insert(k.clone(), v.clone());
                }
            }
            diff.push(Value::Object(line));
        }
        if !diff.is_empty() {
            out.insert(format!("{key}_changed"), Value::Array(diff));
        }
        Some(())
    }
    /// An object field as `<key>_fields`, only its changed fields (nested objects likewise):
    /// a task event moves a few task figures of a summary, not its KPI groups, key results
    /// and score, which made up most of every patch when the summary was resent whole.
    fn fields<T: Serialize + PartialEq>(
        out: &mut Map<String, Value>,
        key: &str,
        a: &T,
        b: &T,
    ) -> Option<()> {
        if a == b {
            return Some(());
        }
        let (x, y) = (to_value(a).ok()?, to_value(b).ok()?);
        match super::patch::diff_fields(&x, &y) {
            Some(d) => out.insert(format!("{key}_fields"), d),
            None => out.insert(key.into(), y),
        };
        Some(())
    }
    let mut out = Map::new();
    match (old, new) {
        (Rendered::Unit(a), Rendered::Unit(b)) => {
            out.insert("as_of".into(), b.as_of.clone().into());
            out.insert("commit".into(), b.commit.into());
            changed(&mut out, "unit", &a.unit, &b.unit)?;
            changed(&mut out, "path", &a.path, &b.path)?;
            fields(&mut out, "summary", &a.summary, &b.summary)?;
            changed(&mut out, "alerts", &a.alerts, &b.alerts)?;
            // The unit's own line (its own work): its changed fields while it stays, whole
            // when it comes or goes.
            match (&a.own, &b.own) {
                (Some(x), Some(y)) => fields(&mut out, "own", x, y)?,
                _ => changed(&mut out, "own", &a.own, &b.own)?,
            }
            lines(
                &mut out,
                "children",
                "unit",
                &a.children,
                &b.children,
                |x, y| x.unit.id == y.unit.id,
            )?;
        }
        (Rendered::Kpis(a), Rendered::Kpis(b)) => {
            out.insert("as_of".into(), b.as_of.clone().into());
            out.insert("commit".into(), b.commit.into());
            changed(&mut out, "unit", &a.unit, &b.unit)?;
            changed(&mut out, "counts", &a.counts, &b.counts)?;
            lines(&mut out, "kpis", "code", &a.kpis, &b.kpis, |x, y| {
                x.code == y.code
            })?;
        }
        (Rendered::AlertGroups(a), Rendered::AlertGroups(b)) => {
            out.insert("as_of".into(), b.as_of.clone().into());
            out.insert("commit".into(), b.commit.into());
            changed(&mut out, "unit", &a.unit, &b.unit)?;
            changed(&mut out, "count", &a.count, &b.count)?;
            changed(&mut out, "held", &a.held, &b.held)?;
            changed(&mut out, "total_groups", &a.total_groups, &b.total_groups)?;
            // In key order, so a group keeps its place and a change is one line.
            lines(&mut out, "groups", "key", &a.groups, &b.groups, |x, y| {
                x.key == y.key
            })?;
        }
        _ => return None,
    }
    Some(out)
}

#[derive(Default)]
struct Topic {
    subscribers: HashSet<u64>,
    last: Option<Rendered>,
    frame: Option<(u64, Utf8Bytes)>,
    dirty: bool,
    rendered_at: Option<Instant>,
}

type Key = (ViewKind, Id);

pub(crate) struct Hub {
    config: LiveConfig,
    rollup: Arc<Rollup>,
    alerts: LiveAlerts,
    feed: Arc<AlertFeed>,
    /// The people's inboxes (the delivery worker fills them).
    inbox: Arc<Inbox>,
    topics: HashMap<Key, Topic>,
    conns: HashMap<u64, Arc<Outbox>>,
    conn_views: HashMap<u64, HashSet<Key>>,
    /// Alert subscribers by the unit whose subtree they follow.
    alert_subs: HashMap<Id, HashSet<u64>>,
    conn_alerts: HashMap<u64, Id>,
    /// The newest alert id handed to the outboxes.
    cursor: i64,
    next_seq: u64,
    all_dirty: bool,
    closing: bool,
    /// Connections given view frames since the last wake-up: each is woken once, so a screen
    /// with three changed views writes them in one go.
    woken: Vec<u64>,
    /// The live alerts as last read, and every unit's count from them; `None` once the alerts,
    /// silences, rules or the tree may have changed, read again when a view needs them.
    reading: Option<Reading>,
    counts: Option<HashMap<Id, AlertCount>>,
    /// The meetings some wall follows: their views are marked on a commit without walking
    /// every topic.
    meetings: HashSet<Id>,
}

impl Hub {
    pub(crate) fn new(
        config: LiveConfig,
        rollup: Arc<Rollup>,
        alerts: LiveAlerts,
        feed: Arc<AlertFeed>,
        inbox: Arc<Inbox>,
    ) -> Hub {
        let cursor = feed.last_id();
        Hub {
            config,
            rollup,
            alerts,
            feed,
            inbox,
            topics: HashMap::new(),
            conns: HashMap::new(),
            conn_views: HashMap::new(),
            alert_subs: HashMap::new(),
            conn_alerts: HashMap::new(),
            cursor,
            next_seq: 0,
            all_dirty: false,
            closing: false,
            woken: Vec::new(),
            reading: None,
            counts: None,
            meetings: HashSet::new(),
        }
    }

    pub(crate) async fn run(
        mut self,
        mut rx: mpsc::Receiver<HubCmd>,
        mut bus: broadcast::Receiver<Arc<Committed>>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut tick = tokio::time::interval(self.config.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                cmd = rx.recv() => match cmd {
                    Some(cmd) => self.command(cmd),
                    None => break,
                },
                msg = bus.recv() => match msg {
                    Ok(c) => {
                        self.mark(&c.touched);
                        self.fan_out_alerts();
                    }
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(skipped = n, "live hub lagged behind the bus; re-rendering every view");
                        self.all_dirty = true;
                        self.fan_out_alerts();
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => self.flush(),
            }
        }
        for outbox in self.conns.values() {
            outbox.close();
        }
        tracing::info!(connections = self.conns.len(), "live hub stopped");
    }

    fn command(&mut self, cmd: HubCmd) {
        match cmd {
            HubCmd::Join { conn, outbox } => {
                if self.closing {
                    outbox.close();
                }
                self.conns.insert(conn, outbox);
            }
            HubCmd::CloseAll => {
                self.closing = true;
                for outbox in self.conns.values() {
                    outbox.close();
                }
            }
            HubCmd::Leave { conn } => {
                self.conns.remove(&conn);
                for key in self.conn_views.remove(&conn).unwrap_or_default() {
                    self.drop_subscriber(&key, conn);
                }
                self.drop_alert_subscriber(conn);
            }
            HubCmd::Subscribe { conn, kind, id } => self.subscribe(conn, kind, id),
            HubCmd::Unsubscribe { conn, kind, id } => {
                let key = (kind, id);
                if let Some(keys) = self.conn_views.get_mut(&conn) {
                    keys.remove(&key);
                }
                self.drop_subscriber(&key, conn);
                if let Some(outbox) = self.conns.get(&conn) {
                    outbox.forget_view(kind, &key.1);
                    outbox.message(&ServerMsg::Unsubscribed {
                        view: kind,
                        id: &key.1,
                    });
                }
            }
            HubCmd::SubscribeAlerts { conn, unit, after } => {
                self.subscribe_alerts(conn, unit, after)
            }
            HubCmd::UnsubscribeAlerts { conn, unit } => {
                // Answered even if the subscription never took (e.g. refused as after_ahead).
                self.drop_alert_subscriber(conn);
                if let Some(outbox) = self.conns.get(&conn) {
                    outbox.forget_alerts();
                    outbox.message(&ServerMsg::Unsubscribed {
                        view: ViewKind::Alerts,
                        id: &unit,
                    });
                }
            }
        }
        metrics::gauge!("ioc_ws_topics").set(self.topics.len() as f64);
    }

    fn drop_subscriber(&mut self, key: &Key, conn: u64) {
        if let Some(t) = self.topics.get_mut(key) {
            t.subscribers.remove(&conn);
            if t.subscribers.is_empty() {
                self.topics.remove(key);
                if key.0 == ViewKind::Meeting {
                    self.meetings.remove(&key.1);
                }
            }
        }
    }

    fn drop_alert_subscriber(&mut self, conn: u64) -> Option<Id> {
        let unit = self.conn_alerts.remove(&conn)?;
        if let Some(s) = self.alert_subs.get_mut(&unit) {
            s.remove(&conn);
            if s.is_empty() {
                self.alert_subs.remove(&unit);
            }
        }
        Some(unit)
    }

    fn subscribe(&mut self, conn: u64, kind: ViewKind, id: Id) {
        let Some(outbox) = self.conns.get(&conn).cloned() else {
            return;
        };
        if kind == ViewKind::Meeting {
            self.meetings.insert(id.clone());
        }
        let key = (kind, id);
        self.conn_views.entry(conn).or_default().insert(key.clone());
        let fresh = {
            let t = self.topics.entry(key.clone()).or_default();
            t.frame.is_none() || t.dirty || self.all_dirty
        };
        // Refreshed before this connection joins the subscribers, so its first view frame is the
        // snapshot queued below, after `subscribed`, whatever its writer takes in between.
        if fresh {
            self.refresh(&key);
        }
        let topic = self.topics.get_mut(&key).expect("entry made above");
        topic.subscribers.insert(conn);
        let Some((seq, frame)) = topic.frame.clone() else {
            // The unit or person is gone (checked before subscribing, so only in a race).
            self.drop_subscriber(&key, conn);
            outbox.message(&ServerMsg::Error {
                code: ErrorCode::NotFound,
                message: format!("no {:?} '{}' to show", kind, key.1).to_lowercase(),
                view: Some(kind),
                id: Some(&key.1),
            });
            return;
        };
        outbox.message(&ServerMsg::Subscribed {
            view: kind,
            id: &key.1,
            seq,
        });
        outbox.view(kind, &key.1, None, frame);
        self.woken.push(conn);
        self.wake();
    }

    /// The live alerts as the screens read them, read once until they may have changed.
    fn reading(&mut self) -> &Reading {
        let (alerts, rollup) = (&self.alerts, &self.rollup);
        self.reading.get_or_insert_with(|| alerts.reading(rollup))
    }

    fn render(&mut self, kind: ViewKind, id: &str) -> Option<Rendered> {
        match kind {
            ViewKind::Unit => {
                let mut v = self.rollup.unit_view(id)?;
                if self.counts.is_none() {
                    self.counts = Some(self.reading().counts());
                }
                let count = self.counts.as_ref().and_then(|c| c.get(id).copied());
                v.alerts = Some(count.unwrap_or_default());
                Some(Rendered::Unit(Box::new(v)))
            }
            ViewKind::Kpis => self.rollup.kpi_board(id).map(Rendered::Kpis),
            ViewKind::Person => self.rollup.person_view(id).map(Rendered::Person),
            // Every person has an inbox, empty until something is delivered to it.
            ViewKind::Inbox => Some(Rendered::Inbox(self.inbox.view(
                id,
                self.rollup.now(),
                self.rollup.commit(),
            ))),
            ViewKind::AlertGroups => {
                let rollup = self.rollup.clone();
                crate::alerting::groups_out(self.reading(), &rollup, id, false)
                    .map(Rendered::AlertGroups)
            }
            ViewKind::Meeting => {
                if self.counts.is_none() {
                    self.counts = Some(self.reading().counts());
                }
                let counts = self.counts.as_ref();
                crate::meeting::now::now_view(&self.rollup, id, |u| {
                    Some(counts.and_then(|c| c.get(u).copied()).unwrap_or_default())
                })
                .map(|v| Rendered::Meeting(Box::new(v)))
            }
            ViewKind::Alerts => None,
        }
    }

    /// The alerts changed (a transition, an action, a silence, a reload, the tree): read them
    /// again when next needed.
    fn alerts_changed(&mut self) {
        self.reading = None;
        self.counts = None;
    }

    /// Renders one view; if its figures changed, makes a new frame and hands it to every
    /// subscriber.
    fn refresh(&mut self, key: &Key) {
        if !self.topics.contains_key(key) {
            return;
        }
        let rendered = self.render(key.0, &key.1);
        let Some(t) = self.topics.get_mut(key) else {
            return;
        };
        t.dirty = false;
        t.rendered_at = Some(Instant::now());
        let Some(r) = rendered else {
            return;
        };
        if t.frame.is_some() && t.last.as_ref().is_some_and(|l| l.same_figures(&r)) {
            return;
        }
        self.next_seq += 1;
        let seq = self.next_seq;
        let text = serde_json::to_string(&ViewFrame {
            r#type: "view",
            view: key.0,
            id: &key.1,
            seq,
            commit: r.commit(),
            data: &r,
        })
        .expect("views serialize");
        let frame: Utf8Bytes = text.into();
        let base = t.frame.as_ref().map(|f| f.0);
        let delta: Option<Arc<Patch>> = match (base, t.last.as_ref()) {
            (Some(base), Some(last)) => patch(last, &r).map(|data| {
                Arc::new(Patch::new(
                    key.0,
                    key.1.clone(),
                    base,
                    seq,
                    r.commit(),
                    data,
                ))
            }),
            _ => None,
        };
        for c in &t.subscribers {
            if let Some(o) = self.conns.get(c) {
                o.view(key.0, &key.1, delta.clone(), frame.clone());
                self.woken.push(*c);
            }
        }
        metrics::counter!("ioc_ws_view_frames_total").increment(t.subscribers.len() as u64);
        t.last = Some(r);
        t.frame = Some((seq, frame));
    }

    fn mark(&mut self, touched: &Touched) {
        if touched.everything {
            // The clock (silences run out), the tree (chains move): alerts are read again too.
            self.all_dirty = true;
            self.alerts_changed();
            return;
        }
        // A meeting's frame shows its item and the live figures of the item's unit: the few
        // followed meetings are rendered again on any change (the same figures send nothing).
        let meetings_touched = !touched.meetings.is_empty()
            || !touched.units.is_empty()
            || !touched.kpi_units.is_empty()
            || touched.alerts;
        if meetings_touched {
            for id in &self.meetings {
                if let Some(t) = self.topics.get_mut(&(ViewKind::Meeting, id.clone())) {
                    t.dirty = true;
                }
            }
        }
        if touched.alerts {
            self.alerts_changed();
            for (k, t) in self.topics.iter_mut() {
                if matches!(k.0, ViewKind::Unit | ViewKind::AlertGroups) {
                    t.dirty = true;
                }
            }
        }
        if self.topics.is_empty() {
            return;
        }
        let mut chains = HashSet::new();
        for u in &touched.units {
            chains.extend(self.rollup.ancestors(u));
        }
        for u in chains {
            if let Some(t) = self.topics.get_mut(&(ViewKind::Unit, u.clone())) {
                t.dirty = true;
            }
            // A group names people and counts from the rollup: a task reassigned moves them.
            if let Some(t) = self.topics.get_mut(&(ViewKind::AlertGroups, u)) {
                t.dirty = true;
            }
        }
        for u in &touched.kpi_units {
            if let Some(t) = self.topics.get_mut(&(ViewKind::Kpis, u.clone())) {
                t.dirty = true;
            }
        }
        for p in &touched.people {
            if let Some(t) = self.topics.get_mut(&(ViewKind::Person, p.clone())) {
                t.dirty = true;
            }
        }
    }

    fn wake(&mut self) {
        self.woken.sort_unstable();
        self.woken.dedup();
        for c in self.woken.drain(..) {
            if let Some(o) = self.conns.get(&c) {
                o.wake();
            }
        }
    }

    fn flush(&mut self) {
        if std::mem::take(&mut self.all_dirty) {
            for t in self.topics.values_mut() {
                t.dirty = true;
            }
        }
        // Inboxes change outside the bus (the delivery worker, marking read).
        for person in self.inbox.take_changed() {
            if let Some(t) = self
                .topics
                .get_mut(&(ViewKind::Inbox, Id::from(person.as_str())))
            {
                t.dirty = true;
            }
        }
        // A unit's alert center waits for its second to come round, still marked dirty.
        let due: Vec<Key> = self
            .topics
            .iter()
            .filter(|(k, t)| {
                t.dirty
                    && (k.0 != ViewKind::AlertGroups
                        || t.rendered_at
                            .is_none_or(|at| at.elapsed() >= ALERT_GROUPS_EVERY))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.refresh(&key);
        }
        self.wake();
    }

    fn subscribe_alerts(&mut self, conn: u64, unit: Id, after: Option<i64>) {
        let Some(outbox) = self.conns.get(&conn).cloned() else {
            return;
        };
        // Everything up to the cursor is in the outboxes already: the new subscription starts
        // exactly there, with nothing skipped and nothing twice.
        self.fan_out_alerts();
        let last = self.cursor;
        if let Some(a) = after.filter(|a| *a > last) {
            outbox.message(&ServerMsg::Error {
                    code: ErrorCode::AfterAhead,
                    message: format!(
                        "after={a} is beyond the newest alert id {last}; subscribe without after for a fresh snapshot"
                    ),
                    view: Some(ViewKind::Alerts),
                    id: Some(&unit),
                });
            return;
        }
        if self.drop_alert_subscriber(conn).is_some() {
            outbox.forget_alerts();
        }
        self.alert_subs
            .entry(unit.clone())
            .or_default()
            .insert(conn);
        self.conn_alerts.insert(conn, unit.clone());
        outbox.message(&ServerMsg::SubscribedAlerts {
            id: &unit,
            last_id: last,
        });
        match after {
            None => {
                let alerts = self.alerts.of_subtree(&self.rollup, &unit);
                let parts = alerts.len().div_ceil(SNAPSHOT_PART).max(1);
                for i in 0..parts {
                    let part = &alerts[(i * SNAPSHOT_PART).min(alerts.len())
                        ..((i + 1) * SNAPSHOT_PART).min(alerts.len())];
                    outbox.message(&ServerMsg::AlertSnapshot {
                        id: &unit,
                        last_id: last,
                        alerts: part,
                        more: i + 1 < parts,
                    });
                }
            }
            Some(a) if a == last => outbox.message(&ServerMsg::CaughtUp {
                id: &unit,
                last_id: last,
            }),
            Some(a) => {
                outbox.alert(AlertOut::Replay {
                    unit,
                    after: a,
                    upto: last,
                });
            }
        }
    }

    /// New alert-feed entries change the counts of their units' chains and those units' alert
    /// centers.
    fn mark_alert_views(&mut self, entries: &[Arc<super::feed::FeedEntry>]) {
        if entries.is_empty() {
            return;
        }
        self.alerts_changed();
        let units: HashSet<&Id> = entries.iter().map(|e| &e.unit).collect();
        let mut chains = HashSet::new();
        for u in units {
            chains.extend(self.rollup.ancestors(u));
        }
        for u in chains {
            for kind in [ViewKind::Unit, ViewKind::AlertGroups] {
                if let Some(t) = self.topics.get_mut(&(kind, u.clone())) {
                    t.dirty = true;
                }
            }
        }
    }

    /// Hands every feed entry after the cursor to the connections following its unit.
    fn fan_out_alerts(&mut self) {
        if self.alert_subs.is_empty() {
            // Nobody follows the feed, but counts and alert centers follow what it says.
            loop {
                match self.feed.after(self.cursor, 4096) {
                    Ok(entries) if entries.is_empty() => break,
                    Ok(entries) => {
                        self.mark_alert_views(&entries);
                        self.cursor = entries.last().map_or(self.cursor, |e| e.id);
                    }
                    Err(OlderThanMemory) => {
                        self.alerts_changed();
                        self.all_dirty = true;
                        break;
                    }
                }
            }
            self.cursor = self.feed.last_id();
            return;
        }
        loop {
            match self.feed.after(self.cursor, 4096) {
                Ok(entries) if entries.is_empty() => return,
                Ok(entries) => {
                    self.mark_alert_views(&entries);
                    let mut by_unit: HashMap<Id, Vec<u64>> = HashMap::new();
                    for e in entries {
                        let conns = by_unit.entry(e.unit.clone()).or_insert_with(|| {
                            self.rollup
                                .ancestors(&e.unit)
                                .iter()
                                .filter_map(|u| self.alert_subs.get(u))
                                .flatten()
                                .copied()
                                .collect()
                        });
                        for c in conns.iter() {
                            if let Some(o) = self.conns.get(c) {
                                o.alert(AlertOut::Frame(e.frame.clone()));
                            }
                        }
                        self.cursor = e.id;
                    }
                }
                Err(OlderThanMemory) => {
                    // Fell behind memory (a very long stall): each subscriber replays the gap
                    // from the store, in order, before the next live frames.
                    self.alerts_changed();
                    self.all_dirty = true;
                    let upto = self.feed.last_id();
                    for (conn, unit) in &self.conn_alerts {
                        if let Some(o) = self.conns.get(conn) {
                            o.alert(AlertOut::Replay {
                                unit: unit.clone(),
                                after: self.cursor,
                                upto,
                            });
                        }
                    }
                    self.cursor = upto;
                    return;
                }
            }
        }
    }
}

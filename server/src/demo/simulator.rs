//! The demo simulator: a background task that keeps a seeded city alive for the wall displays.
//! Every 200 ms it sends a batch of plausible events through the writer, as an integrator
//! would: progress and status moves on open tasks, a new task now and then, KPI values that
//! drift across their thresholds, citizen ratings and key-result check-ins.
//!
//! It reads entities from the rollup (refreshing its lists every few seconds) and checks each
//! reference before using it, because one invalid event makes the writer refuse the whole
//! batch.

use super::load::{date_of, day_of};
use super::names;
use crate::domain::time::{format_ts, now_ms};
use crate::domain::{Id, Kpi, TaskStatus, Thresholds, Ts, UnitLevel, PROGRESS_FULL};
use crate::ingest::event::{parse_event, Event};
use crate::ingest::writer::{WriteError, Writer};
use crate::rollup::Rollup;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

const TICK: Duration = Duration::from_millis(200);
/// Ticks between refreshes of the entity lists: new people, KPIs and key results show up
/// within ten seconds, and the rollup is not cloned on every tick.
const REFRESH_TICKS: u64 = 50;
/// Tasks the simulator created itself, kept so it can move them along too.
const OWN_TASKS_KEPT: usize = 10_000;

const CHECKIN_COMMENTS: &[&str] = &[
    "Đúng tiến độ",
    "Cần đẩy nhanh tiến độ trong tháng tới",
    "Đã hoàn thành một phần, đang tổng hợp số liệu",
    "Vướng mắc về thủ tục, đã báo cáo lãnh đạo",
    "Đã phối hợp với các đơn vị liên quan",
    "Kết quả cập nhật theo báo cáo tuần",
];

/// Starts the simulator: about `rate_per_sec` events a second, in batches every 200 ms, until
/// `shutdown` turns true (or its sender is dropped). Rejected batches are logged and skipped.
pub fn spawn_simulator(
    writer: Writer,
    rollup: Arc<Rollup>,
    rate_per_sec: u32,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let per_tick = rate_per_sec.div_ceil(5) as usize;
        let mut sim = Simulator::new(now_ms() as u64 ^ 0x5eed_1a1d);
        let mut interval = tokio::time::interval(TICK);
        // A slow commit should thin the stream out, not make it burst afterwards.
        interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
        tracing::info!(rate_per_sec, "demo simulator started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        tracing::info!("demo simulator: shutdown sender dropped");
                        break;
                    }
                }
                _ = interval.tick() => {
                    if per_tick == 0 {
                        continue;
                    }
                    let events = sim.batch(&rollup, per_tick, now_ms());
                    if events.is_empty() {
                        continue;
                    }
                    let n = events.len();
                    match writer.ingest(events, &crate::auth::Actor::system("demo-simulator")).await {
                        Ok(_) => {}
                        Err(WriteError::Invalid(e)) => {
                            tracing::warn!(reason = %e, events = n, "demo simulator batch rejected");
                        }
                        Err(WriteError::Closed) => {
                            tracing::warn!("demo simulator: the writer has stopped");
                            break;
                        }
                        Err(e) => tracing::warn!(error = %e, events = n, "demo simulator batch not written"),
                    }
                }
            }
        }
        tracing::info!("demo simulator stopped");
    })
}

/// What the simulator knows of the catalog, refreshed from the rollup now and then.
#[derive(Default)]
struct Catalog {
    people: Vec<Id>,
    person_unit: HashMap<Id, Id>,
    parents: HashMap<Id, Option<Id>>,
    heads: HashMap<Id, Id>,
    kpis: Vec<Kpi>,
    key_results: Vec<Id>,
    /// The unit of each key result's objective: whose head checks in.
    kr_unit: HashMap<Id, Id>,
    wards: Vec<Id>,
}

impl Catalog {
    fn load(rollup: &Rollup) -> Catalog {
        let mut c = Catalog::default();
        let mut units = rollup.units();
        units.sort_by(|a, b| a.id.cmp(&b.id));
        for u in &units {
            c.parents.insert(u.id.clone(), u.parent.clone());
            if matches!(u.level, UnitLevel::Ward | UnitLevel::Commune) {
                c.wards.push(u.id.clone());
            }
        }
        if c.wards.is_empty() {
            c.wards = units.iter().map(|u| u.id.clone()).collect();
        }
        let mut people = rollup.people();
        people.sort_by(|a, b| a.id.cmp(&b.id));
        for p in people {
            if names::is_head_position(&p.position) {
                c.heads
                    .entry(p.unit.clone())
                    .or_insert_with(|| p.id.clone());
            }
            c.person_unit.insert(p.id.clone(), p.unit.clone());
            c.people.push(p.id);
        }
        // Entered KPIs only: a computed KPI takes no value, and its inputs move together in the
        // seed (a dossier count drifting alone would push the on-time rate past 100 %).
        let inputs: std::collections::HashSet<Id> = rollup
            .kpis()
            .iter()
            .flat_map(|k| k.expression.iter().flat_map(|f| f.inputs().to_vec()))
            .collect();
        c.kpis = rollup
            .kpis()
            .into_iter()
            .filter(|k| k.expression.is_none() && !inputs.contains(&k.code))
            .collect();
        c.kpis.sort_by(|a, b| a.code.cmp(&b.code));
        let objective_unit: HashMap<Id, Id> = rollup
            .objectives()
            .into_iter()
            .map(|o| (o.id, o.unit))
            .collect();
        let mut krs = rollup.key_results();
        krs.sort_by(|a, b| a.id.cmp(&b.id));
        for kr in krs {
            if let Some(u) = objective_unit.get(&kr.objective) {
                c.kr_unit.insert(kr.id.clone(), u.clone());
            }
            c.key_results.push(kr.id);
        }
        c
    }

    /// The head of `unit` or of the nearest unit above it, other than `except`.
    fn leader(&self, unit: &Id, except: Option<&Id>) -> Option<Id> {
        let mut cur = Some(unit.clone());
        let mut steps = 0;
        while let Some(u) = cur {
            if let Some(h) = self.heads.get(&u) {
                if Some(h) != except {
                    return Some(h.clone());
                }
            }
            steps += 1;
            if steps > 16 {
                break;
            }
            cur = self.parents.get(&u).cloned().flatten();
        }
        None
    }
}

/// The simulator's state: its random stream, the catalog it last read and the tasks it made.
pub struct Simulator {
    rng: SmallRng,
    counter: u64,
    ticks: u64,
    catalog: Catalog,
    own_tasks: Vec<String>,
}

impl Simulator {
    pub fn new(seed: u64) -> Self {
        Simulator {
            rng: SmallRng::seed_from_u64(seed),
            counter: 0,
            ticks: 0,
            catalog: Catalog::default(),
            own_tasks: Vec::new(),
        }
    }

    pub fn batch(&mut self, rollup: &Rollup, n: usize, now: Ts) -> Vec<Event> {
        if self.ticks % REFRESH_TICKS == 0 || self.catalog.people.is_empty() {
            self.catalog = Catalog::load(rollup);
        }
        self.ticks += 1;
        if self.catalog.people.is_empty() {
            return Vec::new();
        }
        let mut touched: HashSet<String> = HashSet::new();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let value = match self.rng.gen_range(0..100) {
                0..=39 => self.task_move(rollup, &mut touched, now),
                40..=44 => self.new_task(now),
                45..=74 => self.observation(rollup, now),
                75..=87 => self.rating(now),
                _ => self.checkin(rollup, now),
            };
            let Some(mut value) = value else { continue };
            self.counter += 1;
            value["id"] = format!("sim-{now}-{}", self.counter).into();
            value["at"] = format_ts(now).into();
            match parse_event(value) {
                Ok(e) => out.push(e),
                // Never expected; dropping the one event keeps the rest of the batch.
                Err(e) => {
                    tracing::warn!(reason = %e, "demo simulator built an invalid event; skipped")
                }
            }
        }
        out
    }

    /// The next step of an open task's life: start it, advance it, submit it, accept or
    /// return it.
    fn task_move(
        &mut self,
        rollup: &Rollup,
        touched: &mut HashSet<String>,
        now: Ts,
    ) -> Option<Value> {
        let seeded = rollup.task_count();
        for _ in 0..6 {
            let id = if !self.own_tasks.is_empty() && (seeded == 0 || self.rng.gen_bool(0.1)) {
                self.own_tasks[self.rng.gen_range(0..self.own_tasks.len())].clone()
            } else if seeded > 0 {
                format!("t{:06}", self.rng.gen_range(1..=seeded))
            } else {
                return None;
            };
            if touched.contains(&id) {
                continue;
            }
            let Some(task) = rollup.task(&id) else {
                continue;
            };
            // An event older than the task's last change would be ignored: skip such tasks.
            if task.versions.status > now || task.versions.progress > now {
                continue;
            }
            let progress = task.progress as f64 * 100.0 / PROGRESS_FULL as f64;
            let patch = match task.status {
                TaskStatus::Todo => {
                    json!({"status": "in_progress", "progress": self.rng.gen_range(5..=20)})
                }
                TaskStatus::InProgress => {
                    let p = (progress + f64::from(self.rng.gen_range(5..=20))).round();
                    if p >= 100.0 {
                        json!({"status": "submitted", "progress": 100})
                    } else {
                        json!({"progress": p})
                    }
                }
                TaskStatus::Submitted => {
                    if self.rng.gen_bool(0.8) {
                        json!({"status": "accepted", "quality": self.rng.gen_range(60..=100)})
                    } else {
                        json!({"status": "returned", "progress": self.rng.gen_range(70..=90)})
                    }
                }
                TaskStatus::Returned => {
                    json!({"status": "in_progress", "progress": progress.round().clamp(0.0, 95.0)})
                }
                TaskStatus::Accepted | TaskStatus::Cancelled => continue,
            };
            touched.insert(id.clone());
            let mut v = patch;
            v["type"] = "task".into();
            v["task_id"] = id.into();
            return Some(v);
        }
        None
    }

    fn new_task(&mut self, now: Ts) -> Option<Value> {
        let c = &self.catalog;
        let person = c.people[self.rng.gen_range(0..c.people.len())].clone();
        let unit = c.person_unit.get(&person)?.clone();
        let accountable = c.leader(&unit, Some(&person));
        let today = day_of(now);
        let (verb, output) = names::TASK_VERBS[self.rng.gen_range(0..names::TASK_VERBS.len())];
        let topic = names::TASK_TOPICS[self.rng.gen_range(0..names::TASK_TOPICS.len())];
        self.counter += 1;
        let task_id = format!("t-sim-{now}-{}", self.counter);
        let mut v = json!({
            "type": "task",
            "task_id": task_id,
            "title": format!("{verb} {topic}"),
            "responsible": person.to_string(),
            "start": date_of(today).format("%Y-%m-%d").to_string(),
            "deadline": date_of(today + self.rng.gen_range(3..=45)).format("%Y-%m-%d").to_string(),
            "expected_output": output,
            "progress": 0,
            "status": "todo",
        });
        if let Some(a) = accountable {
            v["accountable"] = a.to_string().into();
        }
        if self.own_tasks.len() >= OWN_TASKS_KEPT {
            self.own_tasks.swap_remove(0);
        }
        self.own_tasks.push(task_id);
        Some(v)
    }

    /// A new value for the current period of a random series, drifting from the last one and
    /// pulled gently back toward green so colours change both ways.
    fn observation(&mut self, rollup: &Rollup, now: Ts) -> Option<Value> {
        let c = &self.catalog;
        if c.kpis.is_empty() {
            return None;
        }
        let kpi = &c.kpis[self.rng.gen_range(0..c.kpis.len())];
        let units = kpi.series_units();
        let unit = units[self.rng.gen_range(0..units.len())].clone();
        rollup.unit(&unit)?;
        let period = super::period_label(kpi.frequency, now, 0);
        let (center, gap) = drift_frame(&kpi.thresholds);
        let last = rollup
            .latest_observation(&kpi.code, &unit)
            .map(|o| o.value)
            .filter(|v| v.is_finite());
        let from = last.unwrap_or(center);
        let noise = (self.rng.gen::<f64>() - 0.5) * 1.2 * gap;
        let mut value = from + (center - from) * 0.15 + noise;
        value = value.max(0.0);
        if kpi.unit_of_measure == "%" {
            value = value.min(100f64.max(threshold_max(&kpi.thresholds)));
        }
        let value = round(value, decimals(kpi));
        if !value.is_finite() {
            return None;
        }
        let mut v = json!({
            "type": "kpi_observation",
            "kpi": kpi.code.to_string(),
            "unit": unit.to_string(),
            "period": period,
            "value": value,
        });
        if !kpi.data_source.trim().is_empty() && kpi.data_source.chars().count() <= 200 {
            v["source"] = kpi.data_source.clone().into();
        }
        let entering = if kpi.measured_units.is_empty() || unit.as_ref() == "hn" {
            &kpi.leading_unit
        } else {
            &unit
        };
        if let Some(h) = c.leader(entering, None) {
            v["entered_by"] = h.to_string().into();
        }
        Some(v)
    }

    fn rating(&mut self, _now: Ts) -> Option<Value> {
        let c = &self.catalog;
        if c.wards.is_empty() {
            return None;
        }
        let unit = c.wards[self.rng.gen_range(0..c.wards.len())].to_string();
        // The simulator rates a ward every few seconds, hundreds of times a real ward's pace;
        // at the seed's share of 1 and 2 stars every ward would hold a red `citizen_dissatisfied`
        // alert all day. Live, one rating in 2,500 is dissatisfied: about one or two a ward a
        // day, as the seeded month has.
        let score = if self.rng.gen_range(0..2_500) == 0 {
            self.rng.gen_range(1..=2)
        } else {
            match self.rng.gen_range(0..100) {
                0..=49 => 5,
                50..=85 => 4,
                _ => 3,
            }
        };
        Some(json!({
            "type": "satisfaction_rating",
            "unit": unit,
            "service": names::SERVICES[self.rng.gen_range(0..names::SERVICES.len())],
            "score": score,
        }))
    }

    /// A check-in that moves a key result a little, mostly toward its target.
    fn checkin(&mut self, rollup: &Rollup, _now: Ts) -> Option<Value> {
        let c = &self.catalog;
        if c.key_results.is_empty() {
            return None;
        }
        let id = c.key_results[self.rng.gen_range(0..c.key_results.len())].clone();
        let kr = rollup.key_result(&id)?;
        let span = kr.target - kr.start;
        let step = span * self.rng.gen_range(-0.01..0.04);
        let (lo, hi) = if kr.start < kr.target {
            (kr.start, kr.target)
        } else {
            (kr.target, kr.start)
        };
        let value = round((kr.current + step).clamp(lo, hi), 2);
        if !value.is_finite() {
            return None;
        }
        let mut v = json!({
            "type": "kr_checkin",
            "key_result": id.to_string(),
            "value": value,
            "confidence": self.rng.gen_range(4..=9),
            "comment": CHECKIN_COMMENTS[self.rng.gen_range(0..CHECKIN_COMMENTS.len())],
        });
        if let Some(by) = c.kr_unit.get(&id).and_then(|u| c.leader(u, None)) {
            v["by"] = by.to_string().into();
        }
        Some(v)
    }
}

/// Where a series is pulled toward (just inside green) and how far one step may move it (a
/// share of the yellow band's width).
fn drift_frame(t: &Thresholds) -> (f64, f64) {
    match *t {
        Thresholds::HigherIsBetter { green, red } => {
            let gap = (green - red).max(1.0);
            (green + 0.2 * gap, gap)
        }
        Thresholds::LowerIsBetter { green, red } => {
            let gap = (red - green).max(1.0);
            ((green - 0.2 * gap).max(0.0), gap)
        }
        Thresholds::InBand {
            green_low,
            green_high,
            red_low,
            red_high,
        } => {
            let gap = ((green_low - red_low).max(red_high - green_high)).max(1.0);
            ((green_low + green_high) / 2.0, gap)
        }
    }
}

fn threshold_max(t: &Thresholds) -> f64 {
    match *t {
        Thresholds::HigherIsBetter { green, red } | Thresholds::LowerIsBetter { green, red } => {
            green.max(red)
        }
        Thresholds::InBand { red_high, .. } => red_high,
    }
}

/// Counts stay whole numbers; rates and scores keep a decimal or two.
fn decimals(kpi: &Kpi) -> u8 {
    let whole = |x: f64| x.fract() == 0.0;
    let thresholds_whole = match kpi.thresholds {
        Thresholds::HigherIsBetter { green, red } | Thresholds::LowerIsBetter { green, red } => {
            whole(green) && whole(red)
        }
        Thresholds::InBand {
            green_low,
            green_high,
            red_low,
            red_high,
        } => whole(green_low) && whole(green_high) && whole(red_low) && whole(red_high),
    };
    if kpi.unit_of_measure == "%" || kpi.unit_of_measure == "điểm" {
        1
    } else if thresholds_whole {
        0
    } else {
        2
    }
}

fn round(v: f64, decimals: u8) -> f64 {
    super::kpis::round(v, decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_centres_lie_in_green() {
        for t in super::super::kpis::TEMPLATES {
            let (center, gap) = drift_frame(&t.thresholds);
            assert!(gap >= 1.0);
            assert_eq!(
                t.thresholds.status(center),
                crate::domain::KpiStatus::Green,
                "{}",
                t.key
            );
        }
    }
}

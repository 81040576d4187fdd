//! The demo's event load: tasks with their RACI, dates and a realistic spread of statuses, KPI
//! observations for the last periods of each series, and citizen ratings at the wards. Built as
//! wire events (what an integrator would send) and parsed like any request, in batches that the
//! writer takes whole.

use super::city::{person_id, City, ROOT};
use super::kpis;
use super::names;
use crate::domain::time::format_ts;
use crate::domain::TaskStatus as St;
use crate::domain::{Period, Ts};
use crate::ingest::event::{parse_event, Event};
use chrono::{Datelike, NaiveDate};
use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use tokio::sync::mpsc;

/// Largest batch sent to the writer; below the ingest limit, large enough to commit in bulk.
pub const BATCH: usize = 5_000;

pub use crate::domain::time::DAY;
const HOUR: i64 = 3_600_000;
const VN_OFFSET: i64 = 7 * HOUR;

/// The Vietnamese calendar day of an instant, as days since 1970-01-01.
pub fn day_of(ts: Ts) -> i64 {
    (ts + VN_OFFSET).div_euclid(DAY)
}

pub fn day_start(day: i64) -> Ts {
    day * DAY - VN_OFFSET
}

/// Days since 1970-01-01 to a calendar date; the days from year 1 to 1970 are 719,163.
pub fn date_of(day: i64) -> NaiveDate {
    i32::try_from(day + 719_163)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(NaiveDate::MIN)
}

/// Events grouped into writer batches; the events of one task never straddle two batches, so
/// batches can be committed in any order. Full batches go to the sink as they fill (seeding), or
/// are kept (tests).
pub struct Load {
    current: Vec<Event>,
    done: Vec<Vec<Event>>,
    sink: Option<mpsc::Sender<Vec<Event>>>,
    pub tasks: usize,
    pub observations: usize,
    pub ratings: usize,
}

impl Load {
    pub fn collecting() -> Self {
        Load {
            current: Vec::new(),
            done: Vec::new(),
            sink: None,
            tasks: 0,
            observations: 0,
            ratings: 0,
        }
    }

    /// Sends each full batch down `sink`, waiting while it is full. For a blocking thread only.
    pub fn streaming(sink: mpsc::Sender<Vec<Event>>) -> Self {
        Load {
            sink: Some(sink),
            ..Load::collecting()
        }
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if self.current.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.current, Vec::with_capacity(BATCH));
        match &self.sink {
            Some(tx) => tx
                .blocking_send(batch)
                .map_err(|_| anyhow::anyhow!("demo seeding stopped: the writer side has gone")),
            None => {
                self.done.push(batch);
                Ok(())
            }
        }
    }

    fn push(&mut self, group: Vec<Value>) -> anyhow::Result<()> {
        if self.current.len() + group.len() > BATCH {
            self.flush()?;
        }
        for v in group {
            self.current
                .push(parse_event(v).map_err(|e| anyhow::anyhow!("demo event is invalid: {e}"))?);
        }
        Ok(())
    }

    /// Sends the last batch and closes the sink, which ends the receiving loop.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        self.flush()?;
        self.sink = None;
        Ok(())
    }

    #[cfg(test)]
    pub fn into_batches(self) -> Vec<Vec<Event>> {
        self.done
    }
}

fn between(rng: &mut impl Rng, a: i64, b: i64) -> i64 {
    if b > a {
        rng.gen_range(a..=b)
    } else {
        a
    }
}

/// Past the deadline most work is accepted and some is late; ahead of it most is in hand.
fn pick_status(rng: &mut impl Rng, past: bool) -> St {
    let r = rng.gen_range(0..100);
    if past {
        match r {
            0..=79 => St::Accepted,
            80..=83 => St::Submitted,
            84..=85 => St::Returned,
            86..=88 => St::Cancelled,
            89..=95 => St::InProgress,
            _ => St::Todo,
        }
    } else {
        match r {
            0..=27 => St::Todo,
            28..=74 => St::InProgress,
            75..=82 => St::Submitted,
            83..=94 => St::Accepted,
            95..=97 => St::Returned,
            _ => St::Cancelled,
        }
    }
}

pub fn tasks(
    city: &City,
    count: usize,
    now: Ts,
    rng: &mut impl Rng,
    load: &mut Load,
) -> anyhow::Result<()> {
    if city.people.is_empty() {
        return Ok(());
    }
    let who = WeightedIndex::new(&city.person_weight)
        .map_err(|e| anyhow::anyhow!("person weights: {e}"))?;
    let accountable: Vec<Option<String>> = (0..city.people.len())
        .map(|p| city.accountable(p).map(person_id))
        .collect();
    let today = day_of(now);
    for i in 0..count {
        let task_id = format!("t{:06}", i + 1);
        let p = who.sample(rng);
        let top = city.top_of_person(p);
        let members = &city.members[top];
        let deadline_day = today + rng.gen_range(-80..=95);
        // Work began a week to three months before its deadline, and never later than yesterday.
        let mut start_day = deadline_day - rng.gen_range(7..=90);
        if start_day >= today {
            start_day = today - rng.gen_range(1..=60);
        }
        let created = day_start(start_day) + 8 * HOUR + rng.gen_range(0..9 * HOUR);
        let deadline = day_start(deadline_day) + DAY - 1;
        let past = deadline < now;
        let date = date_of(deadline_day);
        let (verb, output) = names::TASK_VERBS[rng.gen_range(0..names::TASK_VERBS.len())];
        let topic = names::TASK_TOPICS[rng.gen_range(0..names::TASK_TOPICS.len())];
        let title = match rng.gen_range(0..4) {
            0 => format!("{verb} {topic}"),
            1 => format!("{verb} {topic} năm {}", date.year()),
            2 => format!(
                "{verb} {topic} quý {}/{}",
                ["I", "II", "III", "IV"][date.month0() as usize / 3],
                date.year()
            ),
            _ => format!("{verb} {topic} tháng {}/{}", date.month(), date.year()),
        };

        let mut first = Map::with_capacity(16);
        first.insert("type".into(), "task".into());
        first.insert("task_id".into(), task_id.clone().into());
        first.insert("title".into(), title.into());
        first.insert("responsible".into(), person_id(p).into());
        if let Some(a) = &accountable[p] {
            first.insert("accountable".into(), a.clone().into());
        }
        if members.len() > 2 && rng.gen_bool(0.25) {
            let mut consulted: Vec<Value> = Vec::new();
            for _ in 0..rng.gen_range(1..=2) {
                let c = members[rng.gen_range(0..members.len())];
                let id = Value::from(person_id(c));
                if c != p && !consulted.contains(&id) {
                    consulted.push(id);
                }
            }
            if !consulted.is_empty() {
                first.insert("consulted".into(), Value::Array(consulted));
            }
        }
        if members.len() > 2 && rng.gen_bool(0.2) {
            let c = members[rng.gen_range(0..members.len())];
            if c != p {
                first.insert("informed".into(), json!([person_id(c)]));
            }
        }
        let krs = &city.unit_krs[top];
        if !krs.is_empty() && rng.gen_bool(0.35) {
            first.insert(
                "key_result".into(),
                krs[rng.gen_range(0..krs.len())].clone().into(),
            );
        }
        first.insert(
            "start".into(),
            date_of(start_day).format("%Y-%m-%d").to_string().into(),
        );
        first.insert(
            "deadline".into(),
            date.format("%Y-%m-%d").to_string().into(),
        );
        first.insert("expected_output".into(), output.into());

        let status = pick_status(rng, past);
        let mut second: Option<Map<String, Value>> = None;
        let at = match status {
            St::Todo => {
                first.insert("progress".into(), 0.into());
                first.insert("status".into(), "todo".into());
                created
            }
            St::InProgress | St::Cancelled => {
                let at = between(rng, created, now - HOUR);
                let progress = if status == St::InProgress {
                    let frac = (now - created) as f64 / (deadline - created).max(1) as f64;
                    (frac * 100.0 * rng.gen_range(0.5..1.2))
                        .clamp(10.0, 90.0)
                        .round()
                } else {
                    f64::from(rng.gen_range(0..40))
                };
                first.insert("progress".into(), progress.into());
                let s = if status == St::InProgress {
                    "in_progress"
                } else {
                    "cancelled"
                };
                first.insert("status".into(), s.into());
                at
            }
            St::Submitted => {
                first.insert("progress".into(), 100.into());
                first.insert("status".into(), "submitted".into());
                between(rng, created.max(now - 6 * DAY), now - HOUR)
            }
            St::Accepted | St::Returned => {
                let late = status == St::Accepted
                    && past
                    && now - deadline > 2 * HOUR
                    && rng.gen_bool(0.18);
                let submitted = if late {
                    deadline + between(rng, HOUR, (now - HOUR - deadline).min(20 * DAY))
                } else {
                    let upper = deadline.min(now - HOUR);
                    created + ((upper - created).max(0) as f64 * rng.gen_range(0.3..1.0)) as i64
                };
                let decided = (submitted + rng.gen_range(HOUR..5 * DAY))
                    .min(now)
                    .max(submitted + 1);
                first.insert("progress".into(), 100.into());
                first.insert("status".into(), "submitted".into());
                let mut m = Map::with_capacity(8);
                m.insert("type".into(), "task".into());
                m.insert("id".into(), format!("demo-{task_id}-1").into());
                m.insert("at".into(), format_ts(decided).into());
                m.insert("task_id".into(), task_id.clone().into());
                if status == St::Accepted {
                    m.insert("status".into(), "accepted".into());
                    if rng.gen_bool(0.75) {
                        m.insert("quality".into(), rng.gen_range(60..=100).into());
                    }
                } else {
                    m.insert("status".into(), "returned".into());
                    m.insert("progress".into(), rng.gen_range(60..=90).into());
                    if rng.gen_bool(0.5) {
                        m.insert("quality".into(), rng.gen_range(30..60).into());
                    }
                }
                second = Some(m);
                submitted
            }
        };
        first.insert("id".into(), format!("demo-{task_id}-0").into());
        first.insert("at".into(), format_ts(at).into());
        let mut group = vec![Value::Object(first)];
        group.extend(second.map(Value::Object));
        load.push(group)?;
        load.tasks += 1;
    }
    Ok(())
}

/// Values for the last two or three periods of most series, the newest in the period holding
/// `now`, coloured green, yellow or red about 60/25/15; about one series in twelve has no data.
pub fn observations(
    city: &City,
    now: Ts,
    rng: &mut impl Rng,
    load: &mut Load,
) -> anyhow::Result<()> {
    let node_of: HashMap<&str, usize> = city
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut n = 0usize;
    let inputs: Vec<&str> = city
        .kpis
        .iter()
        .filter_map(|k| k.kpi.expression.as_ref())
        .flat_map(|e| e.split(['{', '}']).skip(1).step_by(2).collect::<Vec<_>>())
        .collect();
    for k in &city.kpis {
        // A formula's inputs are drawn with the KPI they feed, below.
        if inputs.contains(&k.kpi.code.as_str()) {
            continue;
        }
        let series: Vec<&String> = if k.kpi.measured_units.is_empty() {
            vec![&k.kpi.leading_unit]
        } else {
            k.kpi.measured_units.iter().collect()
        };
        for unit in series {
            if rng.gen_range(0..12) == 0 {
                continue;
            }
            // Whoever manages the figure enters it: someone of the unit, or of the leading unit
            // for the city's own series.
            let entering = if unit == ROOT {
                &k.kpi.leading_unit
            } else {
                unit
            };
            let members = node_of
                .get(entering.as_str())
                .map(|&i| &city.members[city.nodes[i].top]);
            let periods = rng.gen_range(2..=3);
            for back in (0..periods).rev() {
                let label = super::period_label(k.kpi.frequency, now, back);
                let period = Period::parse(&label)
                    .map_err(|e| anyhow::anyhow!("demo period {label}: {e}"))?;
                let at = if back == 0 {
                    now - between(rng, 0, (now - period.start).clamp(0, 5 * DAY))
                } else {
                    (period.end + between(rng, HOUR, 5 * DAY)).min(now - 60_000)
                };
                let want = kpis::pick_status(rng);
                let value = kpis::value_for(k.template, want, rng);
                n += 1;
                if k.kpi.expression.is_some() {
                    // The on-time rate comes from its two counts, sent in one request so the
                    // writer computes it from both.
                    let settled = rng.gen_range(40..=400) as f64;
                    let on_time = (settled * value / 100.0).round().min(settled);
                    let count = |key: &str, v: f64, i: usize| {
                        json!({
                            "type": "kpi_observation",
                            "id": format!("demo-o-{n:06}-{i}"),
                            "at": format_ts(at),
                            "kpi": format!("PX.{key}"),
                            "unit": unit,
                            "period": label,
                            "value": v,
                            "source": k.kpi.data_source,
                        })
                    };
                    load.push(vec![
                        count(kpis::DOSSIERS, settled, 0),
                        count(kpis::ON_TIME, on_time, 1),
                    ])?;
                    load.observations += 2;
                    continue;
                }
                let mut v = json!({
                    "type": "kpi_observation",
                    "id": format!("demo-o-{n:06}"),
                    "at": format_ts(at),
                    "kpi": k.kpi.code,
                    "unit": unit,
                    "period": label,
                    "value": value,
                    "source": k.kpi.data_source,
                });
                if let Some(m) = members.filter(|m| !m.is_empty()) {
                    v["entered_by"] = person_id(m[rng.gen_range(0..m.len())]).into();
                }
                load.push(vec![v])?;
                load.observations += 1;
            }
        }
    }
    Ok(())
}

/// Ratings at the one-stop counters of the wards and communes, mostly 4 and 5; a few wards
/// serve worse than the rest so the satisfaction column is not flat.
pub fn ratings(city: &City, now: Ts, rng: &mut impl Rng, load: &mut Load) -> anyhow::Result<()> {
    let targets: Vec<&str> = if city.wards.is_empty() {
        vec![ROOT]
    } else {
        city.wards
            .iter()
            .map(|&w| city.nodes[w].id.as_str())
            .collect()
    };
    let weak: Vec<bool> = targets.iter().map(|_| rng.gen_bool(0.2)).collect();
    let count = (targets.len() * 5).max(40);
    for i in 0..count {
        let t = rng.gen_range(0..targets.len());
        let r = rng.gen_range(0..100);
        let score = if weak[t] {
            match r {
                0..=24 => 5,
                25..=54 => 4,
                55..=74 => 3,
                75..=87 => 2,
                _ => 1,
            }
        } else {
            match r {
                0..=49 => 5,
                50..=81 => 4,
                82..=92 => 3,
                93..=96 => 2,
                _ => 1,
            }
        };
        let v = json!({
            "type": "satisfaction_rating",
            "id": format!("demo-r-{:06}", i + 1),
            "at": format_ts(now - rng.gen_range(0..30 * DAY)),
            "unit": targets[t],
            "service": names::SERVICES[rng.gen_range(0..names::SERVICES.len())],
            "score": score,
        });
        load.push(vec![v])?;
        load.ratings += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_ts;

    #[test]
    fn calendar_days_match_the_time_module() {
        let ts = parse_ts("2026-11-22T00:30:00+07:00", false).unwrap();
        let d = day_of(ts);
        assert_eq!(date_of(d).format("%Y-%m-%d").to_string(), "2026-11-22");
        assert_eq!(day_start(d), parse_ts("2026-11-22", false).unwrap());
        assert_eq!(day_of(ts - HOUR), d - 1);
    }
}

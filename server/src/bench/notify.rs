//! `ioc bench --notify`: how fast a crossing reaches a person, and what a month-end burst
//! costs. A real webhook receiver on loopback (in this process) takes the signed deliveries; the
//! server is the real one (HTTP ingest, the writer's commit with its notices, the delivery
//! worker, the webhook channel). Figures: crossing → webhook received, p50/p99 over `--trials`;
//! a burst of 10,000 red crossings across the wards → messages after grouping and the time
//! until the last is delivered once the group wait is over; ingest throughput during the burst
//! and during its delivery, against a second server with notifications off, the two taking
//! turns round by round.

use super::{bench_limits, drive, ms};
use crate::clock::ClockMode;
use crate::demo::DemoSize;
use crate::domain::time::{format_ts, parse_ts};
use crate::domain::Ts;
use axum::body::Bytes;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const PASSWORD: &str = "bench-admin-password";
/// Mid-morning on a working day: no quiet hours, no digest hour crossed by the bench's clock.
const START: &str = "2026-11-25T09:00:00+07:00";
const BURST: usize = 10_000;

/// One delivery as the receiver saw it.
struct Got {
    at: Instant,
    body: Bytes,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The receiver: every POST is answered 200 and handed to the bench, which reads it later. A
/// real receiver runs elsewhere: reading a burst's bodies (some hundred KB each) here, while
/// ingest is measured, would charge the server's figures with the receiver's work.
async fn receiver() -> anyhow::Result<(String, mpsc::UnboundedReceiver<Got>)> {
    let (tx, rx) = mpsc::unbounded_channel::<Got>();
    let app = axum::Router::new().fallback(move |body: Bytes| {
        let tx = tx.clone();
        async move {
            let at = Instant::now();
            let _ = tx.send(Got { at, body });
            axum::http::StatusCode::OK
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, rx))
}

/// A server on a fresh SQLite file with the demo city, the default rules, a manual clock at
/// `START`, and `kpis` monthly bench KPIs measured in every ward and commune.
struct Setup {
    node: crate::Node,
    tasks: crate::NodeTasks,
    base: String,
    addr: std::net::SocketAddr,
    /// An admin's session (contact points are managed by people).
    token: String,
    /// An integration's token (values are entered by data entry or a token).
    feed: String,
    now: Ts,
    /// (ward, its leader)
    wards: Vec<(String, String)>,
    /// (KPI, ward) of the bench KPIs.
    series: Vec<(String, String)>,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn setup(enabled: bool) -> anyhow::Result<Setup> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/notify.db", dir.path().display());
    let config = crate::notify::NotifyConfig {
        enabled,
        allow_private_addresses: true,
        allow_plain_http: true,
        // The burst measured is alerts'; reminders would add notices of their own.
        reminders: crate::notify::remind::Reminders {
            enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let (node, tasks) =
        crate::open_with(&url, ClockMode::Manual, bench_limits(), &[], config).await?;
    let now = parse_ts(START, false).map_err(anyhow::Error::msg)?;
    node.writer.tick(now).await?;
    let size = DemoSize {
        tasks: 0,
        ..DemoSize::full()
    };
    crate::demo::seed(&node.writer, &node.rollup, &size, now, 1).await?;
    crate::ingest::accounts::first_run(&node.writer, &node.auth, Some(PASSWORD.into())).await?;
    let wards: Vec<(String, String)> = node
        .rollup
        .units()
        .into_iter()
        .filter(|u| {
            matches!(
                u.level,
                crate::domain::UnitLevel::Ward | crate::domain::UnitLevel::Commune
            )
        })
        .filter_map(|u| Some((u.id.to_string(), u.leader?.to_string())))
        .collect();
    anyhow::ensure!(!wards.is_empty(), "the demo city has no ward with a leader");
    let kpis = BURST.div_ceil(wards.len());
    let items = (0..kpis)
        .map(|i| {
            crate::ingest::catalog::KpiIn {
                code: format!("NOTIFY-{i:03}"),
                name: format!("Chỉ số thử thông báo {i}"),
                formula: String::new(),
                data_source: "bench".into(),
                unit_of_measure: "%".into(),
                thresholds: crate::domain::Thresholds::HigherIsBetter {
                    green: 90.0,
                    red: 70.0,
                },
                frequency: crate::domain::Frequency::Monthly,
                group: crate::domain::IndexGroup::Service,
                leading_unit: "hn".into(),
                coordinating_units: Vec::new(),
                measured_units: wards.iter().map(|(w, _)| w.as_str().into()).collect(),
                expression: None,
                rollup: None,
                public: false,
            }
            .validate()
            .map_err(|e| anyhow::anyhow!("bench KPI: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    node.writer
        .catalog(items, &crate::auth::Actor::system("bench"))
        .await?;
    let series = (0..kpis)
        .flat_map(|i| {
            wards
                .iter()
                .map(move |(w, _)| (format!("NOTIFY-{i:03}"), w.clone()))
        })
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve(listener, node.clone(), async {
        let _ = stop_rx.await;
    }));
    let session: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"login": "admin", "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = session["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no session: {session}"))?
        .to_string();
    let feed = super::feed_token(&node).await?;
    Ok(Setup {
        feed,
        node,
        tasks,
        base,
        addr,
        token,
        now,
        wards,
        series,
        stop,
        server,
        _dir: dir,
    })
}

impl Setup {
    /// 1,000-event bodies of one value per series, each with its own event id.
    fn bodies(&self, tag: &str, series: &[(String, String)], value: f64) -> Vec<(usize, Vec<u8>)> {
        series
            .chunks(1000)
            .enumerate()
            .map(|(b, chunk)| {
                let events: Vec<Value> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, (kpi, unit))| json!({"type": "kpi_observation", "id": format!("{tag}-{b}-{i}"), "at": format_ts(self.now), "kpi": kpi, "unit": unit, "period": "2026-11", "value": value}))
                    .collect();
                (events.len(), serde_json::to_vec(&events).expect("serialize"))
            })
            .collect()
    }

    async fn ingest(&self, events: Value) -> anyhow::Result<()> {
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/events", self.base))
            .bearer_auth(&self.feed)
            .json(&events)
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "ingest refused: {}",
            r.text().await?
        );
        Ok(())
    }

    async fn contact_points(&self, person: &str, hook: &str, policy: Value) -> anyhow::Result<()> {
        let r = reqwest::Client::new()
            .put(format!("{}/api/v1/people/{person}/contact-points", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"contact_points": [{"id": "hook", "kind": "webhook", "url": format!("{hook}/{person}")}], "policy": policy}))
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "contact points of {person}: {}",
            r.text().await?
        );
        Ok(())
    }

    async fn advance(&mut self, by_ms: Ts) -> anyhow::Result<()> {
        self.now += by_ms;
        self.node.writer.tick(self.now).await?;
        Ok(())
    }

    /// Waits until no delivery is pending and the waiting notices stopped changing (at most
    /// 60 s): what earlier steps caused is out of the way of what is measured next.
    async fn settle(&self) -> anyhow::Result<()> {
        let store = self.node.store.notify();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = -1i64;
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let waiting: i64 = store.waiting().await?.iter().map(|w| w.count).sum();
            if store.pending_count().await? == 0 && waiting == last {
                return Ok(());
            }
            last = waiting;
        }
        println!("(the notifications of the earlier step were still going out after 60 s)");
        Ok(())
    }

    async fn close(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        crate::close(self.node, self.tasks).await;
        Ok(())
    }
}

pub async fn run(trials: usize) -> anyhow::Result<()> {
    println!(
        "\n== notifications: crossing -> webhook, and a month-end burst ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let (hook, mut got) = receiver().await?;
    let mut on = setup(true).await?;
    println!(
        "demo city: {} wards and communes with a leader, {} bench series",
        on.wards.len(),
        on.series.len()
    );
    // Every series green first (a new series is red at once as never entered), and all that
    // told before the bench starts: to the inboxes only (no contact point set yet).
    let prime = on.bodies("prime", &on.series, 95.0);
    drive(on.addr, &on.feed, prime, 4).await?;
    on.advance(3_600_000).await?;
    // The priming's own messages go out first: the trials time a crossing on a quiet server.
    on.settle().await?;

    // Crossings of one series of one ward, its leader told at once by webhook.
    let (ward, leader) = on.wards[0].clone();
    on.contact_points(&leader, &hook, json!({"group_wait_seconds": 0}))
        .await?;
    let kpi = "NOTIFY-000";
    let subject = format!("{kpi}@{ward}");
    let mut hist = Histogram::<u64>::new(3)?;
    let mut slowest = (0usize, Duration::ZERO);
    for i in 0..trials {
        // Back to green, and its "ended" message received, before the timed crossing.
        on.ingest(json!([{"type": "kpi_observation", "id": format!("g-{i}"), "at": format_ts(on.now), "kpi": kpi, "unit": ward, "period": "2026-11", "value": 95.0}]))
            .await?;
        if i > 0 {
            wait_for(&mut got, &subject, None).await?;
        }
        let value = 60.0 - i as f64 * 0.01;
        let t = Instant::now();
        on.ingest(json!([{"type": "kpi_observation", "id": format!("r-{i}"), "at": format_ts(on.now), "kpi": kpi, "unit": ward, "period": "2026-11", "value": value}]))
            .await?;
        let at = wait_for(&mut got, &subject, Some(value)).await?;
        let took = at.duration_since(t);
        if took > slowest.1 {
            slowest = (i, took);
        }
        hist.record(took.as_micros() as u64)?;
    }
    println!(
        "crossing -> webhook received (POST /api/v1/events of one red value -> the signed POST at a loopback receiver), {trials} trials: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.max() as f64 / 1000.0
    );
    super::figures::record(
        "notify.crossing_to_webhook_p50_ms",
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        "ms",
        super::figures::Better::Lower,
    );
    super::figures::record(
        "notify.crossing_to_webhook_p99_ms",
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        "ms",
        super::figures::Better::Lower,
    );
    println!(
        "slowest: trial {} of {trials} ({:.1} ms)",
        slowest.0 + 1,
        ms(slowest.1)
    );

    // The burst: every ward leader by webhook with the role's defaults (group wait 30 s).
    for (_, leader) in &on.wards {
        on.contact_points(leader, &hook, Value::Null).await?;
    }
    while got.try_recv().is_ok() {}
    let mut off = setup(false).await?;
    let prime = off.bodies("prime", &off.series, 95.0);
    drive(off.addr, &off.feed, prime, 4).await?;
    off.advance(3_600_000).await?;
    off.settle().await?;
    let (on_rates, off_rates) = bursts(&mut on, &mut got, &mut off).await?;
    on.close().await?;
    off.close().await?;
    let burst = median(&on_rates.burst) / median(&off_rates.burst);
    let delivery = median(&on_rates.delivery) / median(&off_rates.delivery);
    super::figures::record(
        "notify.burst_ingest_ratio_on_off",
        burst,
        "ratio",
        super::figures::Better::Higher,
    );
    super::figures::record(
        "notify.delivery_ingest_ratio_on_off",
        delivery,
        "ratio",
        super::figures::Better::Higher,
    );
    println!(
        "ingest with notifications on / off ([notify] enabled = false: notices still written, nothing sent), medians of {ROUNDS} rounds: during the burst {burst:.2}, during its delivery {delivery:.2}"
    );
    // The spread says how far one run's figure can be trusted.
    let mut paired: Vec<f64> = on_rates
        .delivery
        .iter()
        .zip(&off_rates.delivery)
        .map(|(on, off)| on / off)
        .collect();
    paired.sort_by(f64::total_cmp);
    println!(
        "while the messages go out, round by round (on / off of the same round): lowest {:.2}, median {:.2}, highest {:.2}",
        paired[0],
        median(&paired),
        paired[paired.len() - 1]
    );
    Ok(())
}

/// Bursts run this many times on each server; the medians are compared. A burst's delivery takes
/// about a second and one second of a shared machine is noise: round by round the ratio runs
/// from about 0.7 to 1.1, and with 7 rounds the figure moved by ±0.05 from run to run.
const ROUNDS: usize = 21;

/// Rates of one server, round by round: during the bursts and during their delivery.
#[derive(Default)]
struct Rates {
    burst: Vec<f64>,
    delivery: Vec<f64>,
}

/// `ROUNDS` bursts on each server, taking turns (so a slow minute of the machine falls on both
/// alike) and swapping which goes first every round: with both servers without notifications
/// and the same one always first, its figure came out 0.99–1.07 times the other's (1.03 in the
/// mean of six runs), which favoured the server with notifications, then always first. Each
/// burst is followed by the end of the green values' group wait and a quiet server.
async fn bursts(
    on: &mut Setup,
    got: &mut mpsc::UnboundedReceiver<Got>,
    off: &mut Setup,
) -> anyhow::Result<(Rates, Rates)> {
    let mut rates = [Rates::default(), Rates::default()];
    for round in 0..ROUNDS {
        let mut order = [(0usize, &mut *on), (1, &mut *off)];
        if round % 2 == 1 {
            order.reverse();
        }
        for (i, s) in order {
            let receiver = (i == 0).then_some(&mut *got);
            let (b, d) = burst(s, receiver, round).await?;
            rates[i].burst.push(b);
            rates[i].delivery.push(d);
            // The green values' "resolved" notices go out before the next round.
            s.advance(31_000).await?;
            s.settle().await?;
        }
        while got.try_recv().is_ok() {}
    }
    let [on_rates, off_rates] = rates;
    Ok((on_rates, off_rates))
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// 10,000 red crossings, then the group wait passes on the clock while 10,000 more values
/// (back to green) come in. Returns the two ingest rates (events/s).
async fn burst(
    s: &mut Setup,
    got: Option<&mut mpsc::UnboundedReceiver<Got>>,
    round: usize,
) -> anyhow::Result<(f64, f64)> {
    let label = if got.is_some() { "on" } else { "off" };
    let label = format!("{label} {}/{ROUNDS}", round + 1);
    let addr = s.addr;
    let series: Vec<(String, String)> = s.series.iter().take(BURST).cloned().collect();
    let red = s.bodies(&format!("burst-red-{round}"), &series, 50.0);
    let (sent, elapsed, hist) = drive(addr, &s.feed, red, 4).await?;
    let during_burst = sent as f64 / elapsed.as_secs_f64();
    println!(
        "[{label}] burst: {sent} red crossings in {:.2} s = {during_burst:.0} events/s (request p99 {:.1} ms)",
        elapsed.as_secs_f64(),
        hist.value_at_quantile(0.99) as f64 / 1000.0
    );
    let notices: i64 = s
        .node
        .store
        .notify()
        .waiting()
        .await?
        .iter()
        .map(|w| w.count)
        .sum();
    // The group wait (30 s) passes on the server's clock; meanwhile the next 10,000 values.
    let green = s.bodies(&format!("burst-green-{round}"), &series, 95.0);
    let t = Instant::now();
    let cpu = super::cpu_seconds();
    s.advance(31_000).await?;
    let (sent, elapsed, _) = drive(addr, &s.feed, green, 4).await?;
    let cpu = super::cpu_seconds()
        .zip(cpu)
        .map_or(String::new(), |(after, before)| {
            format!(
                ", {:.2} cores busy",
                (after - before) / t.elapsed().as_secs_f64()
            )
        });
    let during_delivery = sent as f64 / elapsed.as_secs_f64();
    println!(
        "[{label}] {sent} more values while the burst's messages go out: {:.2} s = {during_delivery:.0} events/s{cpu}",
        elapsed.as_secs_f64()
    );
    if let Some(got) = got {
        // What was waiting once the group wait ended is delivered; the green ones now wait.
        let deadline = Instant::now() + Duration::from_secs(180);
        let mut messages = 0usize;
        let mut items = 0usize;
        let mut last = t;
        while items < series.len() && Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_secs(1), got.recv()).await {
                Ok(Some(g)) => {
                    messages += 1;
                    items += g.json()["group"]["count"].as_u64().unwrap_or(0) as usize;
                    last = g.at;
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
        if items < series.len() {
            println!(
                "[{label}] only {items} of {} alerts arrived within 180 s ({messages} messages; {} deliveries pending)",
                series.len(),
                s.node.store.notify().pending_count().await?
            );
        }
        println!(
            "[{label}] {} red crossings -> {notices} notices -> {messages} webhook messages (one per ward leader; inbox copies aside), the last delivered {:.0} ms after the group wait ended",
            series.len(),
            ms(last.duration_since(t))
        );
    }
    Ok((during_burst, during_delivery))
}

/// Waits for the delivery carrying this subject at this value (none: its end); returns when it
/// was received.
async fn wait_for(
    got: &mut mpsc::UnboundedReceiver<Got>,
    subject: &str,
    value: Option<f64>,
) -> anyhow::Result<Instant> {
    loop {
        let g = tokio::time::timeout(Duration::from_secs(60), got.recv())
            .await
            .map_err(|_| anyhow::anyhow!("no delivery of {subject} ({value:?}) within 60 s"))?
            .ok_or_else(|| anyhow::anyhow!("the receiver stopped"))?;
        let body = g.json();
        let hit = body["alerts"].as_array().is_some_and(|a| {
            a.iter().any(|x| {
                x["subject"] == subject
                    && match value {
                        Some(value) => x["value"]
                            .as_f64()
                            .is_some_and(|v| (v - value).abs() < 1e-9),
                        None => x["kind"] == "resolved",
                    }
            })
        });
        if hit {
            return Ok(g.at);
        }
    }
}

//! `ioc bench --live`: the live screens under load, over loopback against the real server run as
//! its own process (so its memory and CPU are its own): N screens, each subscribed to a ward, a
//! department and the city, while M events/s stream in. Prints connections held, resident memory
//! per idle connection, frames delivered per second, the latency from the ingest acknowledgment
//! to the frame at the client, and CPU. Prints; never asserts.

use super::server::{authed, Server, Shared};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};

#[derive(Debug, Clone, clap::Args)]
pub struct LiveArgs {
    /// Screens to connect, one run per value (each holds 3 subscriptions).
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    pub screens: Vec<usize>,
    /// Events per second streamed during each run, one run per value.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    pub rates: Vec<usize>,
    /// Seconds each stream lasts.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// The server's coalescing tick in milliseconds.
    #[arg(long, default_value_t = 150)]
    pub tick_ms: u64,
    /// Screens whose every frame is kept for the latency figures (all screens count frames).
    #[arg(long, default_value_t = 200)]
    pub sampled: usize,
}

/// One screen's three subscriptions, by index into the unit list.
#[derive(Clone, Copy)]
struct Screen {
    ward: usize,
    department: usize,
}

struct Catalog {
    city: String,
    wards: Vec<String>,
    departments: Vec<String>,
    /// People per ward/department subtree, to make tasks for.
    people: HashMap<String, Vec<String>>,
}

/// A frame as a sampled screen saw it: which of its views, the commit it shows, when it came.
type Seen = (u8, u64, Instant);

#[derive(Default)]
pub(super) struct Counters {
    pub(super) frames: AtomicU64,
    pub(super) bytes: AtomicU64,
    pub(super) ready: AtomicUsize,
    pub(super) dropped: AtomicUsize,
}

fn proc_rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024
}

/// User plus system CPU seconds of a process (clock ticks of 1/100 s, Linux's USER_HZ).
fn proc_cpu(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

async fn catalog(base: &str, token: &str) -> anyhow::Result<Catalog> {
    let client = authed(token)?;
    let page = |v: Value| -> Vec<Value> { v["items"].as_array().cloned().unwrap_or_default() };
    let units = page(
        client
            .get(format!("{base}/api/v1/units?limit=10000"))
            .send()
            .await?
            .json()
            .await?,
    );
    let people = page(
        client
            .get(format!("{base}/api/v1/people?limit=10000"))
            .send()
            .await?
            .json()
            .await?,
    );
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let city = units
        .iter()
        .find(|u| u["level"] == "city")
        .map(|u| s(u, "id"))
        .ok_or_else(|| anyhow::anyhow!("no city in the demo"))?;
    let parent: HashMap<String, String> = units
        .iter()
        .filter(|u| u["parent"].is_string())
        .map(|u| (s(u, "id"), s(u, "parent")))
        .collect();
    let top = |mut u: String| -> String {
        // The unit right under the city on this one's chain.
        while let Some(p) = parent.get(&u) {
            if *p == city {
                break;
            }
            u = p.clone();
        }
        u
    };
    let level = |l: &str| -> Vec<String> {
        units
            .iter()
            .filter(|u| u["level"] == l && u["parent"] == city.as_str())
            .map(|u| s(u, "id"))
            .collect()
    };
    let mut wards = level("ward");
    wards.extend(level("commune"));
    let mut departments = level("department");
    departments.extend(level("agency"));
    let mut by_top: HashMap<String, Vec<String>> = HashMap::new();
    for p in &people {
        by_top
            .entry(top(s(p, "unit")))
            .or_default()
            .push(s(p, "id"));
    }
    wards.retain(|w| by_top.contains_key(w));
    departments.retain(|d| by_top.contains_key(d));
    if wards.is_empty() || departments.is_empty() {
        anyhow::bail!("the demo has no staffed wards or departments");
    }
    Ok(Catalog {
        city,
        wards,
        departments,
        people: by_top,
    })
}

/// The view id and commit of a view frame, read from its head without parsing the view.
fn frame_head(text: &str) -> Option<(&str, u64)> {
    if !(text.starts_with("{\"type\":\"view\"") || text.starts_with("{\"type\":\"patch\"")) {
        return None;
    }
    let id_at = text.find("\"id\":\"")? + 6;
    let id_end = id_at + text[id_at..].find('"')?;
    let c_at = text.find("\"commit\":")? + 9;
    let digits: &str = &text[c_at..c_at + text[c_at..].find(|c: char| !c.is_ascii_digit())?];
    Some((&text[id_at..id_end], digits.parse().ok()?))
}

pub(super) async fn screen(
    url: String,
    token: String,
    ids: [String; 3],
    sample: bool,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> Vec<Seen> {
    // Held until the snapshots are in: connections open in waves, not all at once.
    let mut permit = Some(permit);
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut seen = Vec::new();
    let mut ws = None;
    for _ in 0..20 {
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                url.as_str(),
            )
            .expect("a WebSocket URL");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("a header value"),
        );
        match tokio_tungstenite::connect_async(request).await {
            Ok((s, _)) => {
                ws = Some(s);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let Some(mut ws) = ws else {
        counters.dropped.fetch_add(1, Ordering::Relaxed);
        return seen;
    };
    for id in &ids {
        let msg = json!({"op": "subscribe", "view": "unit", "id": id}).to_string();
        if ws.send(Message::Text(msg.into())).await.is_err() {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            return seen;
        }
    }
    let mut snapshots = 0;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let Some((id, commit)) = frame_head(t.as_str()) else { continue };
                    let at = Instant::now();
                    if snapshots < 3 {
                        snapshots += 1;
                        if snapshots == 3 {
                            counters.ready.fetch_add(1, Ordering::Relaxed);
                            permit.take();
                        }
                        continue;
                    }
                    counters.frames.fetch_add(1, Ordering::Relaxed);
                    counters.bytes.fetch_add(t.len() as u64, Ordering::Relaxed);
                    if sample {
                        if let Some(i) = ids.iter().position(|x| x == id) {
                            seen.push((i as u8, commit, at));
                        }
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    counters.dropped.fetch_add(1, Ordering::Relaxed);
                    return seen;
                }
            }
        }
    }
    let _ = ws.close(None).await;
    seen
}

pub async fn run(args: &LiveArgs) -> anyhow::Result<()> {
    run_on(args, None, 1, "").await
}

/// As `run`, on `nodes` servers sharing `shared` (several nodes; the screens spread over them
/// in turn, the events sent to the writer); `label` prefixes the figures' names.
pub(super) async fn run_on(
    args: &LiveArgs,
    shared: Option<&Shared>,
    nodes: usize,
    label: &str,
) -> anyhow::Result<()> {
    println!(
        "ioc bench --live: screens {:?} x 3 views (a ward, a department, the city), rates {:?} events/s, {} s each, tick {} ms, {} node(s)",
        args.screens, args.rates, args.seconds, args.tick_ms, nodes
    );
    println!(
        "machine: {} cores; the server runs as its own process, the load and up to {} screens in this one (more in helper processes, whose CPU is not counted below)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        super::holders::PER_PROCESS
    );
    let dir = tempfile::tempdir()?;
    for &n in &args.screens {
        // Screens beyond what one process holds go to helper processes (`holders.rs`); each
        // server holds its share.
        let local = n.min(super::holders::PER_PROCESS);
        let most = local.max(n.div_ceil(nodes));
        if let Some(why) = super::holders::open_files_limit()
            .and_then(|l| super::holders::too_many_for_the_limit(most, l))
        {
            println!("\n{n} screens: {why}");
            continue;
        }
        let tick = args.tick_ms.to_string();
        let servers = super::server::start_all(
            dir.path(),
            shared,
            nodes,
            &[
                "--ws-tick-ms",
                &tick,
                "--ws-max-connections-per-client",
                "30000",
                "--ws-max-connections",
                "30000",
            ],
        )
        .await?;
        let server = &servers[0];
        let cat = catalog(&server.base, &server.token).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_before: u64 = servers.iter().map(|s| proc_rss(s.pid)).sum();
        let counters = Arc::new(Counters::default());
        let (stop_tx, stop_rx) = watch::channel(false);
        let started = Instant::now();
        let every = (local / args.sampled.max(1)).max(1);
        let gate = Arc::new(Semaphore::new(256));
        let mut handles = Vec::with_capacity(local);
        let mut screens = Vec::with_capacity(local);
        let mut holders = Vec::new();
        for from in (local..n).step_by(super::holders::PER_PROCESS) {
            let plan = super::holders::Plan {
                urls: servers.iter().map(|s| s.ws.clone()).collect(),
                token: server.token.clone(),
                wards: cat.wards.clone(),
                departments: cat.departments.clone(),
                city: cat.city.clone(),
                from,
                to: (from + super::holders::PER_PROCESS).min(n),
            };
            holders.push(super::holders::spawn(dir.path(), &plan, counters.clone())?);
        }
        for i in 0..local {
            let s = Screen {
                ward: i % cat.wards.len(),
                department: i % cat.departments.len(),
            };
            screens.push(s);
            let ids = [
                cat.wards[s.ward].clone(),
                cat.departments[s.department].clone(),
                cat.city.clone(),
            ];
            let permit = gate.clone().acquire_owned().await?;
            let (url, counters, stop) = (
                servers[i % servers.len()].ws.clone(),
                counters.clone(),
                stop_rx.clone(),
            );
            handles.push(tokio::spawn(screen(
                url,
                server.token.clone(),
                ids,
                i % every == 0,
                counters,
                stop,
                permit,
            )));
        }
        while counters.ready.load(Ordering::Relaxed) + counters.dropped.load(Ordering::Relaxed) < n
        {
            if started.elapsed() > Duration::from_secs(300) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let connect_time = started.elapsed();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_idle: u64 = servers.iter().map(|s| proc_rss(s.pid)).sum();
        println!(
            "\n{n} screens: {} subscribed with snapshots in {:.1} s, {} failed; server RSS {:.0} MiB before, {:.0} MiB with them idle: {:.1} KiB per connection",
            counters.ready.load(Ordering::Relaxed),
            connect_time.as_secs_f64(),
            counters.dropped.load(Ordering::Relaxed),
            rss_before as f64 / 1048576.0,
            rss_idle as f64 / 1048576.0,
            (rss_idle.saturating_sub(rss_before)) as f64 / 1024.0 / n as f64
        );
        super::figures::record(
            format!("{label}live.idle_kib_per_connection@{n}"),
            (rss_idle.saturating_sub(rss_before)) as f64 / 1024.0 / n as f64,
            "KiB",
            super::figures::Better::Lower,
        );
        let mut all_seen: Vec<Vec<Seen>> = Vec::new();
        let mut acks_all: Vec<Vec<(u64, usize, Instant)>> = Vec::new();
        for &rate in &args.rates {
            let (acks, report) =
                stream(server, &cat, rate, args.seconds, &counters, (label, n)).await?;
            println!("  {rate} events/s: {report}");
            acks_all.push(acks);
        }
        let _ = stop_tx.send(true);
        for h in handles {
            all_seen.push(h.await.unwrap_or_default());
        }
        for h in holders {
            tokio::task::spawn_blocking(move || h.stop()).await?;
        }
        // Latency, per rate window: the first frame of each affected view on each sampled
        // screen whose commit covers the acknowledged batch.
        for (rate, acks) in args.rates.iter().zip(&acks_all) {
            let mut hist = Histogram::<u64>::new(3)?;
            let mut missing = 0u64;
            for (i, seen) in all_seen.iter().enumerate() {
                if i % every != 0 {
                    continue;
                }
                let s = screens[i];
                for (view, unit) in [
                    (0u8, s.ward),
                    (1, cat.wards.len() + s.department),
                    (2, usize::MAX),
                ] {
                    let frames: Vec<(u64, Instant)> = seen
                        .iter()
                        .filter(|f| f.0 == view)
                        .map(|f| (f.1, f.2))
                        .collect();
                    for (commit, target, acked) in acks {
                        if unit != usize::MAX && *target != unit {
                            continue;
                        }
                        let k = frames.partition_point(|f| f.0 < *commit);
                        match frames.get(k) {
                            Some((_, at)) => {
                                let us = at.saturating_duration_since(*acked).as_micros() as u64;
                                hist.record(us.max(1)).ok();
                            }
                            None => missing += 1,
                        }
                    }
                }
            }
            println!(
                "  {rate} events/s: ack -> frame at the client: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples on {} screens; {} with no frame before the end)",
                hist.value_at_quantile(0.5) as f64 / 1000.0,
                hist.value_at_quantile(0.99) as f64 / 1000.0,
                hist.max() as f64 / 1000.0,
                hist.len(),
                local.div_ceil(every),
                missing
            );
            super::figures::record(
                format!("{label}live.ack_to_frame_p99_ms@{n}x{rate}"),
                hist.value_at_quantile(0.99) as f64 / 1000.0,
                "ms",
                super::figures::Better::Lower,
            );
        }
        println!(
            "  connections held at the end: {} of {n}",
            n - counters.dropped.load(Ordering::Relaxed)
        );
        drop(servers);
    }
    Ok(())
}

/// Streams `rate` events/s for `seconds`, each 10 ms batch to one ward or department in turn;
/// returns the acknowledgments (commit, target, when) and a line of figures.
async fn stream(
    server: &Server,
    cat: &Catalog,
    rate: usize,
    seconds: u64,
    counters: &Counters,
    (label, screens): (&str, usize),
) -> anyhow::Result<(Vec<(u64, usize, Instant)>, String)> {
    let per_batch = (rate / 100).max(1);
    let targets: Vec<&String> = cat.wards.iter().chain(&cat.departments).collect();
    let client = authed(&server.token)?;
    let url = format!("{}/api/v1/events", server.base);
    let acks = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let inflight = Arc::new(Semaphore::new(64));
    let mut ack_hist = Histogram::<u64>::new(3)?;
    let ack_hist_shared = Arc::new(Mutex::new(Histogram::<u64>::new(3)?));
    let frames0 = counters.frames.load(Ordering::Relaxed);
    let bytes0 = counters.bytes.load(Ordering::Relaxed);
    let server_pid = server.pid.to_string();
    let cpu0 = (proc_cpu(&server_pid), proc_cpu("self"));
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut n = 0usize;
    let mut sent = 0usize;
    let mut behind = 0usize;
    let tag = crate::domain::time::now_ms();
    while started.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let target = n % targets.len();
        n += 1;
        let people = &cat.people[targets[target]];
        let now = crate::domain::time::format_ts(crate::domain::time::now_ms());
        let deadline =
            crate::domain::time::format_ts(crate::domain::time::now_ms() + 30 * 86_400_000);
        let events: Vec<Value> = (0..per_batch)
            .map(|k| {
                let i = sent + k;
                let person = &people[i % people.len()];
                // Half new tasks, half progress on the ones made just before.
                if i % 2 == 0 {
                    json!({"type": "task", "id": format!("bl-{tag}-{i}"), "at": now, "task_id": format!("bl-{tag}-t{i}"),
                           "title": "Nhiệm vụ đo tải", "responsible": person, "deadline": deadline})
                } else {
                    json!({"type": "task", "id": format!("bl-{tag}-{i}"), "at": now, "task_id": format!("bl-{tag}-t{}", i - 1),
                           "progress": (i % 100) as f64})
                }
            })
            .collect();
        sent += per_batch;
        let body = serde_json::to_vec(&events)?;
        let Ok(permit) = inflight.clone().try_acquire_owned() else {
            behind += 1;
            continue;
        };
        let (client, url, acks, refused, hist) = (
            client.clone(),
            url.clone(),
            acks.clone(),
            refused.clone(),
            ack_hist_shared.clone(),
        );
        tokio::spawn(async move {
            let _permit = permit;
            let t = Instant::now();
            let r = client
                .post(&url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let report: Option<Value> = match r {
                Ok(r) if r.status().is_success() => r.json().await.ok(),
                _ => None,
            };
            match report.and_then(|v| v["commit"].as_u64()) {
                Some(commit) => {
                    let at = Instant::now();
                    hist.lock()
                        .expect("histogram")
                        .record(t.elapsed().as_micros() as u64)
                        .ok();
                    acks.lock().expect("acks").push((commit, target, at));
                }
                None => {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    let elapsed = started.elapsed();
    // Let the last batches land and their frames arrive.
    let _ = inflight.acquire_many(64).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let cpu1 = (proc_cpu(&server_pid), proc_cpu("self"));
    let frames = counters.frames.load(Ordering::Relaxed) - frames0;
    let bytes = counters.bytes.load(Ordering::Relaxed) - bytes0;
    ack_hist.add(&*ack_hist_shared.lock().expect("histogram"))?;
    let acks = std::mem::take(&mut *acks.lock().expect("acks"));
    let secs = elapsed.as_secs_f64() + 1.5;
    if frames > 0 {
        super::figures::record(
            format!("{label}live.frame_kb@{screens}x{rate}"),
            bytes as f64 / frames as f64 / 1000.0,
            "KB",
            super::figures::Better::Lower,
        );
    }
    Ok((
        acks,
        format!(
            "{} events sent ({:.0}/s; {} batches skipped with 64 in flight, {} refused), ingest ack p50 {:.1} ms p99 {:.1} ms; {:.0} frames/s delivered ({:.1} MB/s, {:.1} KB per frame); CPU: server {:.0} %, screens and load {:.0} % (of one core)",
            sent - behind * per_batch,
            (sent - behind * per_batch) as f64 / elapsed.as_secs_f64(),
            behind,
            refused.load(Ordering::Relaxed),
            ack_hist.value_at_quantile(0.5) as f64 / 1000.0,
            ack_hist.value_at_quantile(0.99) as f64 / 1000.0,
            frames as f64 / secs,
            bytes as f64 / secs / 1e6,
            if frames > 0 { bytes as f64 / frames as f64 / 1000.0 } else { 0.0 },
            (cpu1.0 - cpu0.0) / secs * 100.0,
            (cpu1.1 - cpu0.1) / secs * 100.0,
        ),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_head_of_a_view_frame() {
        let f =
            r#"{"type":"view","view":"unit","id":"hn-p01","seq":12,"commit":3456,"data":{"x":1}}"#;
        assert_eq!(super::frame_head(f), Some(("hn-p01", 3456)));
        let p = r#"{"type":"patch","view":"unit","id":"hn","seq":13,"base":12,"commit":3460,"data":{}}"#;
        assert_eq!(super::frame_head(p), Some(("hn", 3460)));
        assert_eq!(super::frame_head(r#"{"type":"pong"}"#), None);
    }
}

//! `ioc bench --public`: the public boards under a burst of citizens. 1,000 concurrent readers
//! ask ward boards over HTTP while ratings stream in through the writer; the figures are the
//! readers' requests a second and their latency, and the writer's events a second with and
//! without the readers (the cost of the public tree to ingest).

use super::figures::{record, Better};
use crate::auth::Actor;
use crate::clock::ClockMode;
use crate::demo::DemoSize;
use crate::domain::time::{format_ts, now_ms};
use hdrhistogram::Histogram;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const READERS: usize = 1_000;
const SECONDS: u64 = 10;
/// Boards the readers spread over (a city's citizens read their own ward's).
const BOARDS: usize = 20;

pub async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/public.db", dir.path().display());
    let mut limits = super::bench_limits();
    // Every reader comes from 127.0.0.1 here: the per-address allowance would measure itself.
    limits.public = Arc::new(crate::public::PublicConfig {
        reads_per_minute: 0,
        ratings_per_address_hour: 0,
        ..Default::default()
    });
    let (node, tasks) = crate::open_without_rules(&url, ClockMode::Manual, limits).await?;
    let now = now_ms();
    node.writer.tick(now).await?;
    let size = DemoSize {
        tasks: 20_000,
        ..DemoSize::full()
    };
    crate::demo::seed(&node.writer, &node.rollup, &size, now, 1).await?;
    let wards: Vec<String> = crate::public::board::public_units(&node.rollup)
        .into_iter()
        .filter(|u| u.level == "ward")
        .map(|u| u.id)
        .take(BOARDS)
        .collect();
    anyhow::ensure!(!wards.is_empty(), "the demo city has no ward");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve(listener, node.clone(), async {
        let _ = stop_rx.await;
    }));

    println!(
        "\n== public: {READERS} readers of {} ward boards while ratings stream in",
        wards.len()
    );
    let alone = ingest_for(&node, &wards, "a", Duration::from_secs(SECONDS)).await?;
    println!("ingest alone: {alone:.0} events/s (new tasks and a rating in every 200, 200 a request, 2 clients of the writer)");

    // As citizens read: each reader asks again after a second's look at the board.
    let paced = reading(&node, &base, &wards, Some(Duration::from_secs(1))).await?;
    print_reads("1,000 readers, each every second", &paced, alone);
    record(
        "public.paced_reads_per_s",
        paced.reads,
        "req/s",
        Better::Higher,
    );
    record(
        "public.paced_read_p99_ms",
        paced.p99_ms,
        "ms",
        Better::Lower,
    );
    record(
        "public.paced_ingest_cost_percent",
        cost(alone, paced.ingest),
        "%",
        Better::Lower,
    );
    // As the page does: one board, then the live stream.
    let live = streaming(&node, &base, &wards).await?;
    println!(
        "1,000 live streams: {:.0} boards delivered/s; ingest {:.0} events/s ({:.1} % below alone)",
        live.0,
        live.1,
        cost(alone, live.1)
    );
    record(
        "public.stream_ingest_cost_percent",
        cost(alone, live.1),
        "%",
        Better::Lower,
    );
    // Saturation: every reader asks again at once (the readers' own work shares the 2 cores).
    let flat = reading(&node, &base, &wards, None).await?;
    print_reads("1,000 readers, back to back", &flat, alone);
    record("public.reads_per_s", flat.reads, "req/s", Better::Higher);
    record("public.read_p99_ms", flat.p99_ms, "ms", Better::Lower);
    record(
        "public.ingest_alone_events_per_s",
        alone,
        "events/s",
        Better::Higher,
    );
    let _ = stop_tx.send(());
    let _ = server.await;
    crate::close(node, tasks).await;
    Ok(())
}

/// What one reading phase measured.
struct Reads {
    reads: f64,
    p50_ms: f64,
    p99_ms: f64,
    failed: u64,
    ingest: f64,
}

fn cost(alone: f64, with: f64) -> f64 {
    (1.0 - with / alone) * 100.0
}

fn print_reads(what: &str, r: &Reads, alone: f64) {
    println!(
        "{what}: {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms, {} failed; ingest {:.0} events/s ({:.1} % below alone)",
        r.reads,
        r.p50_ms,
        r.p99_ms,
        r.failed,
        r.ingest,
        cost(alone, r.ingest)
    );
}

/// `READERS` readers of the boards while ratings stream in; `pause` between a reader's requests.
async fn reading(
    node: &crate::Node,
    base: &str,
    wards: &[String],
    pause: Option<Duration>,
) -> anyhow::Result<Reads> {
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let latency = Arc::new(Mutex::new(Histogram::<u64>::new(3)?));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(READERS)
        .build()?;
    let mut readers = Vec::with_capacity(READERS);
    for i in 0..READERS {
        let (client, stop, served, failed, latency) = (
            client.clone(),
            stop.clone(),
            served.clone(),
            failed.clone(),
            latency.clone(),
        );
        let url = format!("{base}/public/v1/units/{}", wards[i % wards.len()]);
        readers.push(tokio::spawn(async move {
            let mut mine = Histogram::<u64>::new(3).expect("a histogram");
            // Spread the paced readers over their second.
            if let Some(p) = pause {
                tokio::time::sleep(p * (i as u32) / READERS as u32).await;
            }
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let ok = match client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                if ok {
                    served.fetch_add(1, Ordering::Relaxed);
                    let _ = mine.record(t.elapsed().as_micros() as u64);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(p) = pause {
                    tokio::time::sleep(p).await;
                }
            }
            latency.lock().expect("latency").add(&mine).ok();
        }));
    }
    // Every reader connected before timing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    served.store(0, Ordering::Relaxed);
    let started = Instant::now();
    let prefix = format!("r{}", pause.map_or(0, |p| p.as_millis()));
    let ingest = ingest_for(node, wards, &prefix, Duration::from_secs(SECONDS)).await?;
    let reads = served.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        let _ = r.await;
    }
    let h = latency.lock().expect("latency").clone();
    Ok(Reads {
        reads,
        p50_ms: h.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: h.value_at_quantile(0.99) as f64 / 1000.0,
        failed: failed.load(Ordering::Relaxed),
        ingest,
    })
}

/// `READERS` live streams (the page's server-sent events) while ratings stream in: boards
/// delivered a second, and ingest's events a second.
async fn streaming(node: &crate::Node, base: &str, wards: &[String]) -> anyhow::Result<(f64, f64)> {
    let client = reqwest::Client::new();
    let delivered = Arc::new(AtomicU64::new(0));
    let mut streams = Vec::with_capacity(READERS);
    for i in 0..READERS {
        let url = format!("{base}/public/v1/units/{}/events", wards[i % wards.len()]);
        let mut r = client.get(&url).send().await?;
        let delivered = delivered.clone();
        streams.push(tokio::spawn(async move {
            while let Ok(Some(chunk)) = r.chunk().await {
                let n = chunk.windows(6).filter(|w| w == b"event:").count() as u64;
                delivered.fetch_add(n, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    delivered.store(0, Ordering::Relaxed);
    let started = Instant::now();
    let ingest = ingest_for(node, wards, "s", Duration::from_secs(SECONDS)).await?;
    let boards = delivered.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    for s in streams {
        s.abort();
    }
    Ok((boards, ingest))
}

/// The demo's kind of load through the writer from two clients for `span`: new tasks of the
/// city's people, one citizen's rating of a board's ward in every 200 events; events committed
/// a second.
async fn ingest_for(
    node: &crate::Node,
    wards: &[String],
    prefix: &str,
    span: Duration,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let people: Arc<Vec<crate::domain::Id>> = Arc::new(node.rollup.person_ids());
    let mut clients = Vec::new();
    for c in 0..2 {
        let (writer, wards, prefix, people) = (
            node.writer.clone(),
            wards.to_vec(),
            prefix.to_string(),
            people.clone(),
        );
        clients.push(tokio::spawn(async move {
            let actor = Actor::system("bench");
            let mut sent = 0u64;
            let mut batch = 0usize;
            while started.elapsed() < span {
                let now = now_ms();
                let events = (0..200)
                    .map(|i| {
                        let id = format!("{prefix}-{c}-{batch}-{i}");
                        let v = if i == 0 {
                            json!({"type": "satisfaction_rating", "id": id, "at": format_ts(now),
                                "unit": wards[batch % wards.len()], "service": "Cấp giấy khai sinh", "score": 3 + (batch % 3)})
                        } else {
                            json!({"type": "task", "id": id, "at": format_ts(now), "task_id": format!("T{id}"),
                                "title": "Rà soát hồ sơ", "responsible": &*people[(batch * 200 + i) % people.len()],
                                "deadline": format_ts(now + 30 * 86_400_000)})
                        };
                        crate::ingest::event::parse_event(v).expect("a valid event")
                    })
                    .collect();
                writer.ingest(events, &actor).await?;
                sent += 200;
                batch += 1;
            }
            anyhow::Ok(sent)
        }));
    }
    let mut total = 0;
    for c in clients {
        total += c.await??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

//! `ioc bench --access`: what access control costs. A sign-in (Argon2id on purpose), the gate on
//! every request (credential lookup, rate limiter, headers) measured as the difference between a
//! public and a signed-in route with equally cheap handlers, and the audit trail on ingest
//! (one hash-chained entry per change) against the same events audited once per request.

use super::ms;
use crate::auth::Actor;
use crate::clock::ClockMode;
use crate::demo::DemoSize;
use crate::domain::time::{format_ts, now_ms};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::time::Instant;

const PASSWORD: &str = "bench-admin-password";

pub async fn run(events: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/access.db", dir.path().display());
    let (node, tasks) =
        crate::open_without_rules(&url, ClockMode::Manual, super::bench_limits()).await?;
    let now = now_ms();
    node.writer.tick(now).await?;
    let size = DemoSize {
        tasks: 0,
        ..DemoSize::full()
    };
    crate::demo::seed(&node.writer, &node.rollup, &size, now, 1).await?;
    crate::ingest::accounts::first_run(&node.writer, &node.auth, Some(PASSWORD.into())).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve(listener, node.clone(), async {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::new();

    println!("\n== access: sign-in, the gate per request, the audit trail on ingest");
    let mut signin = Histogram::<u64>::new(3)?;
    let mut token = String::new();
    for _ in 0..20 {
        let t = Instant::now();
        let r: Value = client
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"login": "admin", "password": PASSWORD}))
            .send()
            .await?
            .json()
            .await?;
        signin.record(t.elapsed().as_micros() as u64)?;
        token = r["token"].as_str().unwrap_or_default().to_string();
    }
    println!(
        "sign-in (Argon2id, 19 MiB, 2 passes): p50 {:.1} ms, max {:.1} ms over 20",
        signin.value_at_quantile(0.5) as f64 / 1000.0,
        signin.max() as f64 / 1000.0
    );
    super::figures::record(
        "access.sign_in_p50_ms",
        signin.value_at_quantile(0.5) as f64 / 1000.0,
        "ms",
        super::figures::Better::Lower,
    );

    let mut public = Histogram::<u64>::new(3)?;
    let mut signed = Histogram::<u64>::new(3)?;
    // Interleaved so both see the same machine.
    for _ in 0..5_000 {
        let t = Instant::now();
        client
            .get(format!("{base}/api/v1/dashboard"))
            .send()
            .await?
            .bytes()
            .await?;
        public.record(t.elapsed().as_micros() as u64)?;
        let t = Instant::now();
        client
            .get(format!("{base}/api/v1/clock"))
            .bearer_auth(&token)
            .send()
            .await?
            .bytes()
            .await?;
        signed.record(t.elapsed().as_micros() as u64)?;
    }
    println!(
        "request round trip, public route p50 {} µs / p99 {} µs; signed-in route p50 {} µs / p99 {} µs (the gate: SHA-256 lookup, rate limiter, scope)",
        public.value_at_quantile(0.5),
        public.value_at_quantile(0.99),
        signed.value_at_quantile(0.5),
        signed.value_at_quantile(0.99)
    );
    super::figures::record(
        "access.signed_in_request_p99_us",
        signed.value_at_quantile(0.99) as f64,
        "µs",
        super::figures::Better::Lower,
    );

    let people = node.rollup.person_ids();
    let batches = |prefix: &str| -> Vec<Vec<crate::ingest::event::Event>> {
        (0..events)
            .collect::<Vec<_>>()
            .chunks(1_000)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|i| {
                        let v = json!({"type": "task", "id": format!("{prefix}-{i}"), "at": format_ts(now),
                            "task_id": format!("{prefix}-T{i}"), "title": "Rà soát hồ sơ",
                            "responsible": &*people[i % people.len()], "deadline": format_ts(now + 30 * 86_400_000)});
                        crate::ingest::event::parse_event(v).expect("a valid event")
                    })
                    .collect()
            })
            .collect()
    };
    let each = batches("a");
    let once = batches("b");
    let started = Instant::now();
    for b in once {
        node.writer.seed(b).await?;
    }
    let once_time = started.elapsed();
    let started = Instant::now();
    let actor = Actor::system("bench");
    for b in each {
        node.writer.ingest(b, &actor).await?;
    }
    let each_time = started.elapsed();
    let entries = crate::store::verify_audit(&*node.store).await?;
    super::figures::record(
        "access.audited_ingest_per_change_events_per_s",
        events as f64 / each_time.as_secs_f64(),
        "events/s",
        super::figures::Better::Higher,
    );
    println!(
        "ingest of {events} new tasks through the writer, 1,000 per request: one audit entry per request {:.0} events/s ({:.0} ms); one per change {:.0} events/s ({:.0} ms); chain of {} entries verified, ok = {}",
        events as f64 / once_time.as_secs_f64(),
        ms(once_time),
        events as f64 / each_time.as_secs_f64(),
        ms(each_time),
        entries.entries,
        entries.ok
    );
    let t = Instant::now();
    let _ = crate::store::verify_audit(&*node.store).await?;
    println!(
        "audit verify: {} entries in {:.0} ms",
        entries.entries,
        ms(t.elapsed())
    );
    // Scoped reads: a ward's first 100 entries, and a unit with none (the worst case: the
    // whole index is walked).
    let ward = node
        .rollup
        .units()
        .into_iter()
        .filter(|u| u.level == crate::domain::UnitLevel::Ward)
        .map(|u| u.id)
        .min()
        .ok_or_else(|| anyhow::anyhow!("no ward in the demo"))?;
    let subtree: Vec<String> = node
        .rollup
        .subtree(&ward)
        .iter()
        .map(|u| u.to_string())
        .collect();
    let t = Instant::now();
    let page = node.store.audit_entries(0, Some(&subtree), 100).await?;
    let ward_time = t.elapsed();
    let t = Instant::now();
    let none = node
        .store
        .audit_entries(0, Some(&["no-such-unit".to_string()]), 100)
        .await?;
    println!(
        "scoped audit read over {} entries: a ward's first {} in {:.1} ms; a unit with {} entries in {:.1} ms (the whole index walked)",
        entries.entries,
        page.len(),
        ms(ward_time),
        none.len(),
        ms(t.elapsed())
    );
    let _ = stop_tx.send(());
    let _ = server.await;
    crate::close(node, tasks).await;
    Ok(())
}

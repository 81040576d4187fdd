//! `ioc bench --nodes N`: several `ioc serve` processes on one PostgreSQL and one Redis.
//! Failover: the writer killed with -9, timed to the first write another node accepts, over
//! `--trials` (at least 10). Catch-up: a follower stopped (SIGSTOP) while the writer commits a
//! backlog of `--backlog` commits, timed from SIGCONT until it has applied them all, once with
//! the backlog in the Redis stream and once with the stream deleted (read from the change log).

use super::figures::{record, Better};
use super::server::{Server, Shared};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn ready(client: &reqwest::Client, base: &str) -> Option<Value> {
    let r = client.get(format!("{base}/readyz")).send().await.ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

/// Which of the nodes is the writer now.
async fn writer_of(client: &reqwest::Client, nodes: &[Server]) -> anyhow::Result<usize> {
    let mut roles = Vec::new();
    for n in nodes {
        let v = ready(client, &n.base).await;
        roles.push(v.map(|v| v["role"].as_str().unwrap_or_default().to_string()));
    }
    roles
        .iter()
        .position(|r| r.as_deref() == Some("writer"))
        .ok_or_else(|| anyhow::anyhow!("no node is the writer: {roles:?}"))
}

/// A rating event: accepted by any unit, changes one counter.
fn rating(id: &str, unit: &str) -> Value {
    json!([{"type": "satisfaction_rating", "id": id, "at": crate::domain::time::format_ts(crate::domain::time::now_ms()), "unit": unit, "service": "Cấp giấy khai sinh", "score": 5}])
}

pub async fn run(
    nodes: usize,
    args: &super::BenchArgs,
    database_url: &str,
    redis_url: &str,
) -> anyhow::Result<()> {
    anyhow::ensure!(nodes >= 2, "--nodes needs at least 2 nodes");
    anyhow::ensure!(
        database_url.starts_with("postgres"),
        "--nodes needs --database-url postgres://… (an empty database) and --redis-url"
    );
    let shared = Shared {
        database_url: database_url.to_string(),
        redis_url: redis_url.to_string(),
    };
    let (trials, backlog) = (args.trials, args.backlog);
    let dir = tempfile::tempdir()?;
    println!(
        "{nodes} nodes on one PostgreSQL and one Redis (logs in {})",
        dir.path().display()
    );
    // Live screens spread over the nodes, the full demo city (the same run as `--live` makes
    // on one node, for the figures side by side).
    super::live::run_on(&args.live_args, Some(&shared), nodes, "nodes.").await?;
    if args.live {
        return Ok(());
    }

    let client = reqwest::Client::new();
    let extra = ["--demo-size", "small"];
    let mut running = super::server::start_all(dir.path(), Some(&shared), nodes, &extra).await?;
    let token = running[0].token.clone();
    let feed = super::server::authed(&token)?;
    let unit = {
        let units: Value = feed
            .get(format!("{}/api/v1/units", running[0].base))
            .send()
            .await?
            .json()
            .await?;
        units
            .as_array()
            .and_then(|u| u.first())
            .and_then(|u| u["id"].as_str())
            .unwrap_or("hn")
            .to_string()
    };

    // Failover.
    let mut took = Vec::new();
    for trial in 0..trials.max(10) {
        let w = writer_of(&client, &running).await?;
        let writer = running.remove(w);
        let others: Vec<String> = running.iter().map(|n| n.base.clone()).collect();
        let killed = Instant::now();
        drop(writer);
        let mut k = 0;
        loop {
            let base = &others[k % others.len()];
            k += 1;
            let sent = feed
                .post(format!("{base}/api/v1/events"))
                .json(&rating(&format!("failover-{trial}"), &unit))
                // A write sent to a node as it dies is sent again elsewhere, not waited for.
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            if sent.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            anyhow::ensure!(
                killed.elapsed() < Duration::from_secs(60),
                "no node took over within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        took.push(killed.elapsed());
        // A fresh process takes the dead one's place, as a follower.
        let mut n = super::server::start(
            dir.path(),
            &format!("node-t{trial}"),
            Some(&shared),
            false,
            &extra,
        )
        .await?;
        n.token = token.clone();
        running.push(n);
    }
    took.sort();
    let median = took[took.len() / 2];
    let max = *took.last().unwrap_or(&Duration::ZERO);
    println!(
        "failover, kill -9 of the writer to the first write accepted elsewhere, {} trials: median {:.0} ms, max {:.0} ms",
        took.len(),
        super::ms(median),
        super::ms(max)
    );
    record(
        "nodes.failover_ms.median",
        super::ms(median),
        "ms",
        Better::Lower,
    );
    record("nodes.failover_ms.max", super::ms(max), "ms", Better::Lower);

    // Catch-up, from the stream and then from the change log.
    for from_log in [false, true] {
        let w = writer_of(&client, &running).await?;
        let f = (w + 1) % running.len();
        let (writer, follower) = (running[w].base.clone(), running[f].base.clone());
        let pid = running[f].child.id().to_string();
        std::process::Command::new("kill")
            .args(["-STOP", &pid])
            .status()?;
        let made = Instant::now();
        let mut last = 0;
        for i in 0..backlog {
            let r = feed
                .post(format!("{writer}/api/v1/events"))
                .json(&rating(&format!("backlog-{from_log}-{i}"), &unit))
                .timeout(Duration::from_secs(5))
                .send()
                .await?;
            let ack: Value = r.json().await?;
            last = ack["commit"].as_u64().unwrap_or(last);
        }
        let making = made.elapsed();
        if from_log {
            let client = redis::Client::open(redis_url)?;
            let mut conn = client.get_multiplexed_async_connection().await?;
            // The stream's name carries the database's id: delete whatever this Redis holds.
            let streams: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}:*", crate::cluster::STREAM))
                .query_async(&mut conn)
                .await?;
            for stream in streams {
                let _: () = redis::cmd("DEL").arg(stream).query_async(&mut conn).await?;
            }
        }
        std::process::Command::new("kill")
            .args(["-CONT", &pid])
            .status()?;
        let resumed = Instant::now();
        loop {
            let at = ready(&client, &follower)
                .await
                .and_then(|v| v["commit"].as_u64())
                .unwrap_or(0);
            if at >= last {
                break;
            }
            anyhow::ensure!(
                resumed.elapsed() < Duration::from_secs(600),
                "the follower did not catch up within 10 minutes"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let catching = resumed.elapsed();
        let source = if from_log { "log" } else { "stream" };
        println!(
            "catch-up from the {source}: {backlog} commits (made in {:.1} s) applied in {:.2} s = {:.0} commits/s",
            making.as_secs_f64(),
            catching.as_secs_f64(),
            backlog as f64 / catching.as_secs_f64()
        );
        record(
            format!("nodes.catch_up_commits_per_s.{source}@{backlog}"),
            backlog as f64 / catching.as_secs_f64(),
            "commits/s",
            Better::Higher,
        );
    }
    Ok(())
}

//! Screens held by helper processes, so `ioc bench --live` and `--nodes` can hold more screens
//! than one process may open files (`ulimit -Hn`; 20,000 on the development machine, which a
//! process without CAP_SYS_RESOURCE cannot raise). The bench process keeps up to
//! `PER_PROCESS` screens itself (among them every sampled one, so the latency figures are timed
//! on one clock); the rest are held by `ioc bench --hold-screens PLAN` children, which
//! subscribe exactly as the bench's own screens do and report their counts (ready, dropped,
//! frames, bytes) on standard output every 250 ms until their standard input closes.

use super::live::{screen, Counters};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

/// Screens one process holds at most.
pub const PER_PROCESS: usize = 10_000;

/// What a holder needs to open screens `from..to` the way the bench opens screen `i`: on
/// server `i % urls.len()`, subscribed to ward `i % wards.len()`, department
/// `i % departments.len()` and the city.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    pub urls: Vec<String>,
    pub token: String,
    pub wards: Vec<String>,
    pub departments: Vec<String>,
    pub city: String,
    pub from: usize,
    pub to: usize,
}

/// A helper process holding screens; its counts are added into the bench's counters.
pub struct Holder {
    child: std::process::Child,
    reader: std::thread::JoinHandle<()>,
}

/// Starts a holder for `plan`, written next to the bench's other files in `dir`.
pub fn spawn(dir: &Path, plan: &Plan, counters: Arc<Counters>) -> anyhow::Result<Holder> {
    let file = dir.join(format!("holder-{}.json", plan.from));
    std::fs::write(&file, serde_json::to_vec(plan)?)?;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("bench")
        .arg("--hold-screens")
        .arg(&file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().expect("a piped stdout");
    // Each line holds running totals; what changed since the last one is added.
    let reader = std::thread::spawn(move || {
        let mut last = [0u64; 4];
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let Some(rest) = line.strip_prefix("held ") else {
                continue;
            };
            let now: Vec<u64> = rest
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            let [ready, dropped, frames, bytes] = now[..] else {
                continue;
            };
            counters
                .ready
                .fetch_add((ready - last[0]) as usize, Ordering::Relaxed);
            counters
                .dropped
                .fetch_add((dropped - last[1]) as usize, Ordering::Relaxed);
            counters
                .frames
                .fetch_add(frames - last[2], Ordering::Relaxed);
            counters.bytes.fetch_add(bytes - last[3], Ordering::Relaxed);
            last = [ready, dropped, frames, bytes];
        }
    });
    Ok(Holder { child, reader })
}

impl Holder {
    /// Closes the holder's screens and waits for its last counts.
    pub fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
        let _ = self.reader.join();
    }
}

/// The child's side (`ioc bench --hold-screens PLAN`).
pub async fn hold(plan: &Path) -> anyhow::Result<()> {
    let plan: Plan = serde_json::from_slice(&std::fs::read(plan)?)?;
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    // Standard input closing (the bench done, or gone) is the signal to stop.
    let (closed_tx, mut closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        let _ = closed_tx.send(());
    });
    let gate = Arc::new(Semaphore::new(256));
    let mut handles = Vec::with_capacity(plan.to - plan.from);
    let report = |c: &Counters| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "held {} {} {} {}",
            c.ready.load(Ordering::Relaxed),
            c.dropped.load(Ordering::Relaxed),
            c.frames.load(Ordering::Relaxed),
            c.bytes.load(Ordering::Relaxed)
        );
        let _ = out.flush();
    };
    let mut every = tokio::time::interval(Duration::from_millis(250));
    let mut stopped = false;
    for i in plan.from..plan.to {
        let ids = [
            plan.wards[i % plan.wards.len()].clone(),
            plan.departments[i % plan.departments.len()].clone(),
            plan.city.clone(),
        ];
        let permit = tokio::select! {
            p = gate.clone().acquire_owned() => p?,
            _ = &mut closed => {
                stopped = true;
                break;
            }
        };
        handles.push(tokio::spawn(screen(
            plan.urls[i % plan.urls.len()].clone(),
            plan.token.clone(),
            ids,
            false,
            counters.clone(),
            stop_rx.clone(),
            permit,
        )));
        if i % 256 == 0 {
            report(&counters);
        }
    }
    while !stopped {
        tokio::select! {
            _ = &mut closed => stopped = true,
            _ = every.tick() => report(&counters),
        }
    }
    let _ = stop_tx.send(true);
    for h in handles {
        let _ = h.await;
    }
    report(&counters);
    Ok(())
}

/// Files a process of this bench holds besides its screens' sockets: the database, the
/// listener, the load's connections, the runtime's own (a generous margin).
const OWN_FILES: usize = 200;

/// The soft and hard limits on open files of this process (`/proc/self/limits`); the server it
/// starts inherits them.
pub fn open_files_limit() -> Option<(u64, u64)> {
    parse_open_files(&std::fs::read_to_string("/proc/self/limits").ok()?)
}

fn parse_open_files(limits: &str) -> Option<(u64, u64)> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut values = line["Max open files".len()..]
        .split_whitespace()
        .map(|v| match v {
            "unlimited" => Some(u64::MAX),
            v => v.parse().ok(),
        });
    Some((values.next()??, values.next()??))
}

/// Why `n` screens cannot be held here, if they cannot: every screen is a socket in the server
/// and one in this process, and a process may not open more files than its limit.
pub fn too_many_for_the_limit(n: usize, (soft, hard): (u64, u64)) -> Option<String> {
    let needed = n.saturating_add(OWN_FILES) as u64;
    if needed <= soft {
        return None;
    }
    let how = if needed <= hard {
        format!("raise the soft limit first (`ulimit -n {hard}`)")
    } else {
        "only root with CAP_SYS_RESOURCE, or the service manager (e.g. systemd's LimitNOFILE), raises the hard limit".to_string()
    };
    Some(format!(
        "not measured: the server and this process each need about {needed} open files (one per screen and their own), and a process here may open {soft} (hard limit {hard}); {how}"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn screens_beyond_the_open_files_limit_are_refused_with_the_reason() {
        let text = "Limit                     Soft Limit           Hard Limit           Units\n\
                    Max processes             unlimited            unlimited            processes\n\
                    Max open files            20000                20000                files\n";
        assert_eq!(super::parse_open_files(text), Some((20_000, 20_000)));
        assert!(
            super::open_files_limit().is_some(),
            "this process's limits are readable"
        );
        assert!(super::too_many_for_the_limit(10_000, (20_000, 20_000)).is_none());
        let refused = super::too_many_for_the_limit(20_000, (20_000, 20_000)).unwrap();
        assert!(refused.contains("20200 open files") && refused.contains("CAP_SYS_RESOURCE"));
        let soft = super::too_many_for_the_limit(20_000, (1024, 65_536)).unwrap();
        assert!(soft.contains("ulimit -n 65536"), "{soft}");
        assert!(super::too_many_for_the_limit(usize::MAX, (u64::MAX, u64::MAX)).is_none());
    }
}

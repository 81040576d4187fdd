//! Request rates and sign-in throttles that hold across nodes sharing one Redis (issue 20):
//! two real server processes, each with its own database, one real `redis-server`. A
//! credential's burst spent half on each node is spent on both; failed sign-ins on either node
//! add up. With Redis gone the nodes count on their own again (they neither fail nor refuse
//! everyone); a Redis URL that does not answer at start stops the start.

use ioc_tests::redis::redis_server;
use ioc_tests::{exits_within, sign_in, start_server_process, ADMIN_PASSWORD};
use std::time::Duration;

/// A node on its own SQLite file with a small allowance: 6 requests a minute, 3 at once.
fn node(dir: &std::path::Path, redis: &str) -> (std::process::Child, String) {
    let url = format!("sqlite://{}/ioc.db", dir.display());
    start_server_process(
        env!("CARGO_BIN_EXE_ioc-e2e"),
        &url,
        &[
            "--clock",
            "manual",
            "--rate-limit-per-minute",
            "6",
            "--rate-limit-burst",
            "3",
            "--redis-url",
            redis,
        ],
        Duration::from_secs(60),
    )
}

/// GET an authenticated route as `session`: (status, Retry-After).
async fn read(base: &str, session: &str) -> (u16, Option<u64>) {
    let r = reqwest::Client::new()
        .get(format!("{base}/api/v1/accounts"))
        .bearer_auth(session)
        .send()
        .await
        .expect("GET");
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (r.status().as_u16(), retry)
}

#[tokio::test]
async fn a_credentials_burst_and_a_logins_failures_count_across_two_nodes_sharing_redis() {
    let Some(mut redis) = redis_server("shared limits across two nodes") else {
        return;
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, node_a) = node(dir_a.path(), &redis.url());
    let (mut b, node_b) = node(dir_b.path(), &redis.url());
    let on_a = sign_in(&node_a, "admin", ADMIN_PASSWORD).await.unwrap();
    let on_b = sign_in(&node_b, "admin", ADMIN_PASSWORD).await.unwrap();

    // The admin's burst of 3 is one allowance across both nodes: A, B, A pass, then B refuses,
    // and so does A. (Each node alone would have let B's second request through.)
    assert_eq!(read(&node_a, &on_a).await.0, 200);
    assert_eq!(read(&node_b, &on_b).await.0, 200);
    assert_eq!(read(&node_a, &on_a).await.0, 200);
    let (status, retry) = read(&node_b, &on_b).await;
    assert_eq!(
        status, 429,
        "the fourth request of the burst, on the other node"
    );
    assert!(retry.is_some_and(|s| s >= 1), "with Retry-After: {retry:?}");
    assert_eq!(read(&node_a, &on_a).await.0, 429);

    // Five failed sign-ins per login in 15 minutes: three on A and two on B are five, so the
    // next sign-in is refused on both nodes, even with the right password.
    for (base, times) in [(&node_a, 3), (&node_b, 2)] {
        for _ in 0..times {
            let refused = sign_in(base, "admin", "not-the-password")
                .await
                .unwrap_err();
            assert!(refused.starts_with("401"), "{refused}");
        }
    }
    for base in [&node_a, &node_b] {
        let refused = sign_in(base, "admin", ADMIN_PASSWORD).await.unwrap_err();
        assert!(
            refused.starts_with("429"),
            "throttled across nodes: {refused}"
        );
    }

    // Redis dies: each node counts on its own again. A's own counters saw none of the admin's
    // requests and three of its failures, so both a read and a sign-in go through.
    redis.kill();
    assert_eq!(read(&node_a, &on_a).await.0, 200, "not refused, not failed");
    sign_in(&node_a, "admin", ADMIN_PASSWORD)
        .await
        .expect("signs in on A's own counters");
    let metrics = reqwest::get(format!("{node_a}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fallbacks: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("ioc_shared_counters_fallbacks_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(fallbacks >= 2.0, "the fallbacks are counted: {fallbacks}");

    for child in [&mut a, &mut b] {
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[tokio::test]
async fn a_redis_url_that_does_not_answer_stops_the_start_and_says_so() {
    let Some(redis) = redis_server("shared limits: Redis down at start") else {
        return;
    };
    let port = redis.port;
    drop(redis); // a port where Redis was and is no more
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ioc-e2e"))
        .args(["serve", "--clock", "manual"])
        .env("IOC_BIND", "127.0.0.1:0")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/ioc.db", dir.path().display()),
        )
        .env("REDIS_URL", format!("redis://:secret-pw@127.0.0.1:{port}/"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start");
    let status = exits_within(&mut child, Duration::from_secs(60));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains("REDIS_URL") && stderr.contains("does not answer"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("secret-pw"),
        "the password stays out of the message: {stderr}"
    );
}

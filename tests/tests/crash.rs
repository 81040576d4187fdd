//! A real `ioc` process killed with SIGKILL in the middle of a steady ingest loses no event it
//! acknowledged: after a restart on the same database every acknowledged id is in the log and
//! its task is in the views.

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

async fn post(
    client: &reqwest::Client,
    url: String,
    body: &Value,
) -> reqwest::Result<reqwest::Response> {
    client.post(url).json(body).send().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_during_ingest_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/crash.db", dir.path().display());
    let (mut child, base) = ioc_tests::start_process(env!("CARGO_BIN_EXE_ioc-e2e"), &url, &[]);
    let (admin, feed) = ioc_tests::credentials(&base).await;
    let client = ioc_tests::bearer_client(&admin);
    let source = ioc_tests::source_of_token(&feed);
    let feed = ioc_tests::bearer_client(&feed);
    let c = ioc_tests::fixture_catalog();
    for (path, key) in [("/api/v1/units", "units"), ("/api/v1/people", "people")] {
        for item in c[key].as_array().unwrap() {
            assert_eq!(
                post(&client, format!("{base}{path}"), item)
                    .await
                    .unwrap()
                    .status(),
                201
            );
        }
    }
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..3 {
        let (client, base, acked) = (feed.clone(), base.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            for batch in 0..10_000 {
                let events: Vec<Value> = (0..200)
                    .map(|i| {
                        let id = format!("w{w}-b{batch}-{i}");
                        ioc_tests::task_event(
                            &id,
                            &format!("t-{id}"),
                            ["w1", "w2", "a2"][i % 3],
                            "2026-12-31",
                            ioc_tests::START,
                        )
                    })
                    .collect();
                match post(&client, format!("{base}/api/v1/events"), &json!(events)).await {
                    Ok(r) if r.status() == 200 => {
                        let ids = events.iter().map(|e| e["id"].as_str().unwrap().to_string());
                        acked.lock().unwrap().extend(ids);
                    }
                    _ => return, // the server is gone
                }
            }
        }));
    }
    // Let a steady stream build up, then pull the plug mid-stream.
    while acked.lock().unwrap().len() < 6_000 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 6_000);

    let (mut child, base) = ioc_tests::start_process(env!("CARGO_BIN_EXE_ioc-e2e"), &url, &[]);
    let city: Value = client
        .get(format!("{base}/api/v1/units/hn/view"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total = city["summary"]["tasks"]["total"].as_u64().unwrap() as usize;
    assert!(
        total >= acked.len(),
        "{total} tasks after restart, {} acknowledged",
        acked.len()
    );
    let mut missing = Vec::new();
    for id in &acked {
        let r = client
            .get(format!("{base}/api/v1/events/{id}?source={source}"))
            .send()
            .await
            .unwrap();
        if r.status() != 200 {
            missing.push(id.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let t = client
        .get(format!("{base}/api/v1/tasks/t-{}", acked.last().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(t.status(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

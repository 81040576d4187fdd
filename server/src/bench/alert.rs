//! `ioc bench --alert`: the alert path as a leader's screen sees it. An external client posts one
//! KPI value across its red line (`POST /api/v1/events`, answered after the commit) and a
//! WebSocket subscribed to the ward's alert feed times the `alert` frame that follows; the
//! value then goes back to green and its "resolved" frame is awaited before the next trial.
//! The server is the real one on a fresh SQLite file with the default rules and the demo city
//! (no tasks), on loopback in this process. Prints p50/p99/max over `--trials`; never asserts.

use super::{bench_limits, feed_session};
use crate::clock::ClockMode;
use crate::demo::DemoSize;
use crate::domain::time::{format_ts, parse_ts};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// Mid-morning on a working day, as in the notifications bench.
const START: &str = "2026-11-25T09:00:00+07:00";
const KPI: &str = "ALERT-BENCH";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn run(trials: usize) -> anyhow::Result<()> {
    println!(
        "\n== alert path: crossing -> alert frame at a leader's socket ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/alert.db", dir.path().display());
    let (node, tasks) =
        crate::open_with_rules(&url, ClockMode::Manual, bench_limits(), &[]).await?;
    let now = parse_ts(START, false).map_err(anyhow::Error::msg)?;
    node.writer.tick(now).await?;
    let size = DemoSize {
        tasks: 0,
        ..DemoSize::full()
    };
    crate::demo::seed(&node.writer, &node.rollup, &size, now, 1).await?;
    let ward = node
        .rollup
        .units()
        .into_iter()
        .find(|u| u.level == crate::domain::UnitLevel::Ward && u.leader.is_some())
        .map(|u| u.id.to_string())
        .ok_or_else(|| anyhow::anyhow!("the demo city has no ward with a leader"))?;
    let kpi = crate::ingest::catalog::KpiIn {
        code: KPI.into(),
        name: "Chỉ số thử đường cảnh báo".into(),
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
        measured_units: vec![ward.as_str().into()],
        expression: None,
        rollup: None,
        public: false,
    }
    .validate()
    .map_err(|e| anyhow::anyhow!("bench KPI: {e}"))?;
    node.writer
        .catalog(vec![kpi], &crate::auth::Actor::system("bench"))
        .await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve(listener, node.clone(), async {
        let _ = stop_rx.await;
    }));
    // A leader over the whole tree (the same credential posts the values: data entry too).
    let token = feed_session(&node, addr).await?;
    let client = reqwest::Client::new();
    let post = |id: String, value: f64| {
        let body = json!([{"type": "kpi_observation", "id": id, "at": format_ts(now), "kpi": KPI, "unit": ward, "period": "2026-11", "value": value}]);
        client
            .post(format!("http://{addr}/api/v1/events"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };

    let mut ws = connect(addr, &token).await?;
    let subscribe = json!({"op": "subscribe", "view": "alerts", "id": ward}).to_string();
    ws.send(Message::Text(subscribe.into())).await?;
    // The snapshot first: the trials time transitions only.
    loop {
        let f = next_frame(&mut ws).await?;
        if f["type"] == "alert_snapshot" && f["more"] == false {
            break;
        }
    }
    let subject = format!("{KPI}@{ward}");
    // Entered and green, so the first crossing is a crossing and not a "never entered".
    let r = post("prime".into(), 95.0).await?;
    anyhow::ensure!(
        r.status().is_success(),
        "ingest refused: {}",
        r.text().await?
    );
    drain(&mut ws, Duration::from_millis(500)).await;

    let mut hist = Histogram::<u64>::new(3)?;
    let mut example = None;
    for i in 0..trials {
        let value = 60.0 - i as f64 * 0.01;
        let t = Instant::now();
        let r = post(format!("red-{i}"), value).await?;
        anyhow::ensure!(
            r.status().is_success(),
            "ingest refused: {}",
            r.text().await?
        );
        let frame = wait_for(&mut ws, &subject, |f| f["severity"] == "red").await?;
        hist.record(t.elapsed().as_micros() as u64)?;
        example.get_or_insert(frame);
        let r = post(format!("green-{i}"), 95.0).await?;
        anyhow::ensure!(
            r.status().is_success(),
            "ingest refused: {}",
            r.text().await?
        );
        wait_for(&mut ws, &subject, |f| f["kind"] == "resolved").await?;
    }
    println!(
        "crossing -> alert frame (POST of one red value -> its `alert` frame on a WebSocket subscribed to the ward's alerts; the commit is before the frame), {trials} trials: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.max() as f64 / 1000.0
    );
    if let Some(f) = example {
        println!("first frame: {f}");
    }
    for (name, q) in [("p50", 0.5), ("p99", 0.99)] {
        super::figures::record(
            format!("alert.crossing_to_frame_{name}_ms"),
            hist.value_at_quantile(q) as f64 / 1000.0,
            "ms",
            super::figures::Better::Lower,
        );
    }
    let _ = ws.close(None).await;
    let _ = stop.send(());
    server.await??;
    crate::close(node, tasks).await;
    Ok(())
}

async fn connect(addr: std::net::SocketAddr, token: &str) -> anyhow::Result<Socket> {
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "ws://{addr}/ws"
        ))?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    Ok(tokio_tungstenite::connect_async(request).await?.0)
}

async fn next_frame(ws: &mut Socket) -> anyhow::Result<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .map_err(|_| anyhow::anyhow!("no frame within 30 s"))?
            .ok_or_else(|| anyhow::anyhow!("the server closed the socket"))??;
        if let Message::Text(t) = msg {
            return Ok(serde_json::from_str(t.as_str())?);
        }
    }
}

/// Reads frames until `quiet` passes without one.
async fn drain(ws: &mut Socket, quiet: Duration) {
    while let Ok(Some(_)) = tokio::time::timeout(quiet, ws.next()).await {}
}

/// The next `alert` frame of `subject` that `wanted` accepts.
async fn wait_for(
    ws: &mut Socket,
    subject: &str,
    wanted: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    loop {
        let f = next_frame(ws).await?;
        if f["type"] == "alert" && f["subject"] == subject && wanted(&f) {
            return Ok(f);
        }
    }
}

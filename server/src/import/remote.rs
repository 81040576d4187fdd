//! `ioc import --server URL --token TOKEN FILE…`: each file sent to a running server's
//! `POST /api/v1/import`, one request (one atomic change) per file, catalog files before task
//! files. The first refused file stops the import; the files before it stay imported (sending
//! them again changes nothing).

use super::upload::UploadType;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

/// Files in the order their contents depend on each other: workbooks and JSON (which may hold
/// every kind) first, then CSV files by table, tasks last.
fn ordered(files: &[PathBuf]) -> Vec<PathBuf> {
    let rank = |p: &PathBuf| -> usize {
        let name = p.to_string_lossy().to_ascii_lowercase();
        match super::table::Table::from_file_name(&name) {
            Some(t) => {
                1 + super::table::Table::ALL
                    .iter()
                    .position(|(_, x)| *x == t)
                    .unwrap_or(0)
            }
            None => 0,
        }
    };
    let mut out = files.to_vec();
    out.sort_by_key(rank);
    out
}

/// Imports the files through the server; returns one line per file saying what changed.
pub async fn import_remote(
    server: &str,
    token: &str,
    files: &[PathBuf],
    dry_run: bool,
    progress: bool,
) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(600))
        .build()?;
    let bar = if progress {
        ProgressBar::new(files.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} files") {
        bar.set_style(style.progress_chars("=> "));
    }
    let mut lines = Vec::new();
    for path in ordered(files) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let Some((_, content_type, kind)) = UploadType::of_file_name(&name) else {
            bar.finish_and_clear();
            anyhow::bail!(
                "{}: unknown file type: use .xlsx, .csv (named like units.csv), .json or .ndjson",
                path.display()
            );
        };
        bar.set_message(format!("sending {name}"));
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| anyhow::anyhow!("{}: cannot be read: {e}", path.display()))?;
        let mut query = vec![("name", name.clone()), ("dry_run", dry_run.to_string())];
        if let Some(kind) = kind {
            query.push(("kind", kind.to_string()));
        }
        let url = format!("{}/api/v1/import", server.trim_end_matches('/'));
        let response = client
            .post(&url)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .query(&query)
            .body(bytes)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            bar.finish_and_clear();
            anyhow::bail!("{}", refusal(&name, status, &body));
        }
        lines.push(summary(&name, &body));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(lines)
}

/// The server's refusal as the person reads it: one problem per line.
fn refusal(name: &str, status: reqwest::StatusCode, body: &serde_json::Value) -> String {
    let error = &body["error"];
    let problems: Vec<String> = error["problems"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let mut at = p["file"].as_str().unwrap_or(name).to_string();
                    if let Some(s) = p["sheet"].as_str() {
                        at.push_str(&format!(":{s}"));
                    }
                    if let Some(l) = p["line"].as_u64().filter(|l| *l > 0) {
                        at.push_str(&format!(":{l}"));
                    }
                    if let Some(c) = p["column"].as_str() {
                        at.push_str(&format!(":{c}"));
                    }
                    let field = p["field"].as_str().unwrap_or_default();
                    let reason = p["reason"].as_str().unwrap_or_default();
                    if field.is_empty() {
                        format!("{at}: {reason}")
                    } else {
                        format!("{at}: {field}: {reason}")
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if problems.is_empty() {
        format!(
            "{name}: the server refused it ({status}): {}",
            error["message"].as_str().unwrap_or("no reason given")
        )
    } else {
        format!("nothing of {name} was written:\n{}", problems.join("\n"))
    }
}

fn summary(name: &str, body: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    for kind in ["units", "people", "kpis", "objectives", "key_results"] {
        let c = &body[kind];
        let (new, changed, same) = (
            c["new"].as_u64().unwrap_or(0),
            c["changed"].as_u64().unwrap_or(0),
            c["unchanged"].as_u64().unwrap_or(0),
        );
        if new + changed + same > 0 {
            parts.push(format!(
                "{kind}: {new} new, {changed} changed, {same} unchanged"
            ));
        }
    }
    let e = &body["events"];
    let (new, dup) = (
        e["new"].as_u64().unwrap_or(0),
        e["duplicates"].as_u64().unwrap_or(0),
    );
    if new + dup > 0 {
        parts.push(format!("events: {new} new, {dup} already present"));
    }
    let verb = if body["dry_run"].as_bool() == Some(true) {
        "would import (dry run, nothing written)"
    } else {
        "imported"
    };
    if parts.is_empty() {
        format!("{name}: {verb}: nothing")
    } else {
        format!("{name}: {verb}: {}", parts.join("; "))
    }
}

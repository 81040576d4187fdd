//! The README's commands start from the workspace root: a bare `cargo run --release -- …` must
//! pick exactly one binary, the `ioc` server. It once failed on a fresh clone ("could not
//! determine which binary to run … ioc, ioc-e2e") without any test noticing; this one notices.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn metadata() -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&root)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn a_bare_cargo_run_at_the_root_runs_the_ioc_server_and_nothing_else() {
    let meta = metadata();
    let defaults: Vec<&str> = meta["workspace_default_members"]
        .as_array()
        .expect("cargo reports the default members (cargo 1.71 or later)")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut binaries = Vec::new();
    for package in meta["packages"].as_array().expect("packages") {
        let id = package["id"].as_str().unwrap_or_default();
        if !defaults.contains(&id) {
            continue;
        }
        let default_run = package["default_run"].as_str();
        let bins: Vec<&str> = package["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
            })
            .filter_map(|t| t["name"].as_str())
            .collect();
        match default_run {
            Some(name) => binaries.push(name.to_string()),
            None => binaries.extend(bins.iter().map(|b| b.to_string())),
        }
    }
    assert_eq!(
        binaries,
        vec!["ioc".to_string()],
        "`cargo run` at the root must resolve to the one `ioc` binary; the default members offer {binaries:?}"
    );
}

//! SIGHUP reloads the rule files of a running `ioc` process; a bad file is refused and the
//! running rules stay.

use serde_json::Value;

async fn rule_count(client: &reqwest::Client, base: &str) -> usize {
    let v: Value = client
        .get(format!("{base}/api/v1/rules"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["rules"].as_array().unwrap().len()
}

/// Sends SIGHUP, then waits (bounded) until the process reports `want` rules.
async fn hup_until(pid: u32, client: &reqwest::Client, base: &str, want: usize) -> usize {
    let ok = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let mut n = 0;
    for _ in 0..100 {
        n = rule_count(client, base).await;
        if n == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    n
}

#[tokio::test]
async fn sighup_reloads_rule_files_and_a_bad_file_leaves_the_running_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let pack =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../alert-rules/rules/default.toml");
    std::fs::copy(&pack, rules.join("default.toml")).unwrap();
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let rules_arg = rules.display().to_string();
    let (mut child, base) = ioc_tests::start_process(
        env!("CARGO_BIN_EXE_ioc-e2e"),
        &url,
        &["--rules", &rules_arg],
    );
    let client = ioc_tests::bearer_client(&ioc_tests::credentials(&base).await.0);
    let before = rule_count(&client, &base).await;
    assert!(before > 5);

    std::fs::write(rules.join("extra.toml"), "[[rule]]\nname = \"x\"\nmetric = \"tasks.overdue_ratio\"\nyellow = \"> 0.2\"\nred = \"> 0.3\"\n").unwrap();
    assert_eq!(
        hup_until(child.id(), &client, &base, before + 1).await,
        before + 1
    );
    // A broken file: refused on SIGHUP, the running rules stay (and the server keeps serving).
    std::fs::write(
        rules.join("extra.toml"),
        "[[rule]]\nname = \"x\"\nmetric = \"tasks.nope\"\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("more.toml"),
        "[[rule]]\nname = \"y\"\nmetric = \"tasks.overdue\"\nyellow = \">= 1\"\n",
    )
    .unwrap();
    // Had the bad set loaded, "y" would be there; the count stays where it was.
    assert_eq!(
        hup_until(child.id(), &client, &base, before + 2).await,
        before + 1
    );
    let r = client
        .post(format!("{base}/api/v1/rules/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("extra.toml"),
        "{body}"
    );
    let health: Value = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    child.kill().unwrap();
    child.wait().unwrap();
}

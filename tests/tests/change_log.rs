//! The change log (the change bus's outbox, issue 20) on a real PostgreSQL: each commit that
//! changes what nodes hold appends one record in its own transaction, numbered in commit order
//! with no hole; the record reads back as exactly what was committed; a node reading the store
//! can hold the commits at one number; pruning keeps what a reader still needs. On SQLite there
//! is no log and nothing is numbered.

use ioc::domain::{Change, Unit, UnitLevel};
use ioc::store::bus_log::{decode, Reload};
use ioc_tests::{fresh_postgres_db, postgres_admin_url};
use std::time::Duration;

fn unit(id: &str, name: &str) -> Change {
    Change::Unit(Unit {
        id: id.into(),
        name: name.into(),
        level: UnitLevel::City,
        parent: None,
        leader: None,
        short_name: Some("HN".into()),
    })
}

#[tokio::test]
async fn commits_are_numbered_in_order_read_back_whole_held_and_pruned() {
    let Some(admin) = postgres_admin_url("change log") else {
        return;
    };
    let url = fresh_postgres_db(&admin).await;
    let store = ioc::store::connect(&url).await.expect("connect");
    // Off until asked for: a lone node writes no log.
    assert_eq!(
        store
            .commit(&[], &[unit("hn", "Hà Nội")], &[])
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.log_head().await.unwrap(), 0);

    store.log_changes();
    let first = store
        .commit(
            &[],
            &[
                unit("hn", "Thành phố Hà Nội"),
                Change::Clock(1_800_000_000_000),
            ],
            &[],
        )
        .await
        .unwrap();
    let second = store
        .commit(&[], &[unit("hn", "Hà Nội mới")], &[])
        .await
        .unwrap();
    assert_eq!((first, second), (Some(1), Some(2)));
    // A commit that changes nothing in memory appends nothing.
    assert_eq!(store.commit(&[], &[], &[]).await.unwrap(), None);
    assert_eq!(store.log_head().await.unwrap(), 2);
    assert_eq!(store.log_written(), 2);

    let rows = store.log_after(0, 10).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 2]);
    let record = decode(rows[0].0, &rows[0].2).expect("a readable record");
    assert_eq!(
        record.changes,
        vec![
            unit("hn", "Thành phố Hà Nội"),
            Change::Clock(1_800_000_000_000)
        ],
        "read back exactly as committed"
    );
    assert_eq!(store.log_after(1, 10).await.unwrap().len(), 1);

    // A silence is a record that names what to read again.
    let silence = ioc::store::SilenceRow {
        id: 0,
        rule: Some("r".into()),
        unit: None,
        until: 1_900_000_000_000,
        reason: "bảo trì".into(),
        created_by: "admin".into(),
        created_at: 1_800_000_000_000,
    };
    store.add_silence(&silence, &[]).await.unwrap();
    let rows = store.log_after(2, 10).await.unwrap();
    assert_eq!(
        decode(3, &rows[0].2).unwrap().reload,
        vec![Reload::Silences]
    );

    // Held: a commit waits, and lands with the next number once the hold is dropped.
    let (hold, at) = store
        .hold_commits()
        .await
        .unwrap()
        .expect("PostgreSQL holds");
    assert_eq!(at, 3);
    let writer = store.clone();
    let mut commit =
        tokio::spawn(async move { writer.commit(&[], &[unit("hn", "giữ")], &[]).await.unwrap() });
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut commit)
            .await
            .is_err(),
        "the commit went through the hold"
    );
    assert_eq!(
        store.log_head().await.unwrap(),
        3,
        "nothing appended while held"
    );
    drop(hold);
    assert_eq!(commit.await.unwrap(), Some(4));

    // Pruned: only what is both below the readers and older than the window.
    store.report_applied("follower-1", 2).await.unwrap();
    let readers = store.log_readers(0).await.unwrap();
    assert_eq!(readers, vec![("follower-1".to_string(), 2)]);
    assert_eq!(
        store.prune_log(2, 0).await.unwrap(),
        0,
        "nothing is that old"
    );
    let later = ioc::domain::time::now_ms() + 1_000;
    assert_eq!(store.prune_log(2, later).await.unwrap(), 2);
    let left: Vec<u64> = store
        .log_after(0, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(left, vec![3, 4]);
}

#[tokio::test]
async fn sqlite_keeps_no_change_log() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ioc.db", dir.path().display());
    let store = ioc::store::connect(&url).await.unwrap();
    store.log_changes();
    assert_eq!(
        store
            .commit(&[], &[unit("hn", "Hà Nội")], &[])
            .await
            .unwrap(),
        None
    );
    assert!(store.hold_commits().await.unwrap().is_none());
    assert_eq!(store.log_head().await.unwrap(), 0);
    assert!(store.log_after(0, 10).await.unwrap().is_empty());
}

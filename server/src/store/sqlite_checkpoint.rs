//! SQLite's WAL copied back into the database file on a thread of its own, a few times a
//! second, so the ingest's commits do not pay for it.
//!
//! Left to itself SQLite checkpoints on the connection whose commit crossed
//! `wal_autocheckpoint`: that commit, and every request waiting on it, then waited 100–120 ms
//! while tens of megabytes were copied (`ioc bench`, 1,000,000 tasks). A `PASSIVE` checkpoint
//! here never takes the write lock and never waits; once it has copied everything, the next
//! write starts the WAL again from its beginning. The autocheckpoint stays as the backstop: it
//! gives way at once when this thread is checkpointing.

use std::path::PathBuf;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::Duration;

/// How often the WAL is copied back. At full ingest the WAL grows by ~50 MB/s here, so each
/// pass copies ~12 MB; on an idle database a pass reads the WAL's header and returns.
pub const EVERY: Duration = Duration::from_millis(250);

/// The thread runs while this lives: dropping it (the store is dropped) ends the thread.
pub struct Checkpointer {
    _stop: Sender<()>,
}

pub fn start(file: PathBuf) -> Checkpointer {
    let (stop, stopped) = channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let conn = match open(&file) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "the WAL checkpoints stay on the committing connection");
                    return;
                }
            };
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                let copied = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                });
                match copied {
                    Ok((frames, done)) if frames > 0 => {
                        tracing::trace!(frames, done, "WAL checkpoint");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; the next pass tries again"),
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no checkpoint thread; the WAL checkpoints stay on the committing connection");
    }
    Checkpointer { _stop: stop }
}

fn open(file: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // It only copies pages from the WAL to the file: a small page cache is all it uses.
    conn.pragma_update(None, "cache_size", -2048)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the writer's own checkpoints off, only this thread can move the WAL's pages into the
    /// database file: the file grows to hold the rows while the writer keeps writing.
    #[test]
    fn the_thread_copies_committed_pages_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let writer = rusqlite::Connection::open(&file).unwrap();
        writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            .unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        writer
            .execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)", [])
            .unwrap();
        let before = std::fs::metadata(&file).unwrap().len();
        let _checkpoint = start(file.clone());
        let body = "x".repeat(1000);
        for i in 0..2000 {
            writer
                .execute("INSERT INTO t (id, body) VALUES (?1, ?2)", (i, &body))
                .unwrap();
        }
        let mut size = before;
        for _ in 0..200 {
            size = std::fs::metadata(&file).unwrap().len();
            if size > 2_000_000 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            size > 2_000_000,
            "the database file stayed at {size} bytes (was {before}): nothing was checkpointed"
        );
    }
}

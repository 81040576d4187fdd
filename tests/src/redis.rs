//! A real `redis-server` for a test: its own process on a free loopback port, no persistence,
//! stopped when the handle drops. Without the binary the test says loudly that it skipped,
//! unless `IOC_REQUIRE_REDIS=1` (set by `.ci/run`), where a missing server is a failure.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    child: Child,
    pub port: u16,
}

impl RedisServer {
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// kill -9: Redis gone mid-test.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `redis-server` (or skips the test, see the module's note).
pub fn redis_server(test: &str) -> Option<RedisServer> {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("IOC_REQUIRE_REDIS").as_deref() == Ok("1") {
            panic!("{test}: IOC_REQUIRE_REDIS=1 but redis-server is not installed");
        }
        eprintln!("\n!!! SKIPPED {test}: redis-server not installed (apt-get install redis-server, as .ci/run does) !!!\n");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let server = RedisServer {
        child: spawn(port),
        port,
    };
    server.wait_answering(test);
    Some(server)
}

fn spawn(port: u16) -> Child {
    Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server")
}

impl RedisServer {
    /// Starts it again on the same port, empty (it keeps nothing on disk).
    pub fn restart(&mut self) {
        self.kill();
        self.child = spawn(self.port);
        self.wait_answering("a restarted redis-server");
    }

    fn wait_answering(&self, test: &str) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if answers(self.port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "{test}: redis-server did not answer on port {} within 20 s",
            self.port
        );
    }
}

fn answers(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 16];
    s.write_all(b"PING\r\n").is_ok()
        && s.read(&mut buf)
            .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
}

//! The throttles' counters in Redis, so they hold across every node that shares it: the
//! per-credential request rate (GCRA) and the failed sign-ins per login and per address.
//!
//! Each check is one Lua script run by Redis, reading Redis's own clock (`TIME`), so nodes whose
//! clocks differ still agree and two nodes racing on one key cannot both take its last request.
//! No crate does GCRA over Redis from Rust without a Redis module (`redis-cell` is a server
//! module, not installed by Debian's `redis-server`); the script is the usual twenty lines.
//!
//! When Redis does not answer within `ANSWER_WITHIN`, the caller falls back to this node's own
//! counters (`registry.rs`) for that request and says so in the log and on `/metrics`: a Redis
//! outage makes the limits per node for a while, never turns sign-in or the API off.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use std::time::Duration;

/// How long a throttle waits for Redis before it uses this node's counters instead.
pub const ANSWER_WITHIN: Duration = Duration::from_millis(250);

/// Takes one request from a key's allowance: `KEYS[1]` holds the theoretical arrival time (µs,
/// so a pace of thousands a minute stays exact); `ARGV[1]` is the time one request costs,
/// `ARGV[2]` the burst tolerance (both µs). Returns 0 when taken, else how many ms until it would
/// be (at least 1).
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cost = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + cost
local wait = next_tat - tolerance - now
if wait > 0 then return math.max(1, math.ceil(wait / 1000)) end
redis.call('SET', KEYS[1], next_tat, 'PX', math.max(1, math.ceil((next_tat - now) / 1000)))
return 0
";

/// Failures of `KEYS[1]` (a sorted set of times) within `ARGV[1]` ms: 0 when fewer than
/// `ARGV[2]`, else how many ms until the oldest leaves the window (at least 1,000).
const BLOCKED: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then return 0 end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return math.max(window - (now - oldest), 1000)
";

/// Records one failure now in each of `KEYS`, kept for `ARGV[1]` ms; `ARGV[2]` makes the member
/// unique (two failures in one millisecond are two).
const FAILED: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, now .. ':' .. ARGV[2])
  redis.call('PEXPIRE', key, ARGV[1])
end
return 0
";

/// The counters every node sharing this Redis reads and writes.
#[derive(Clone)]
pub struct SharedCounters {
    conn: ConnectionManager,
    /// The URL as logs may show it (no password).
    shown: String,
    gcra: Script,
    blocked: Script,
    failed: Script,
}

impl SharedCounters {
    /// Connects to `url` (`shown`: the same without its password, for the logs), and fails if
    /// Redis does not answer now: a misspelt URL should stop the start, not show up as limits
    /// that quietly stay per node. Later outages reconnect by themselves.
    pub async fn connect(url: &str, shown: String) -> Result<SharedCounters, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(ANSWER_WITHIN))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let mut conn = ConnectionManager::new_with_config(client, config).await?;
        let _: () = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(SharedCounters {
            conn,
            shown,
            gcra: Script::new(GCRA),
            blocked: Script::new(BLOCKED),
            failed: Script::new(FAILED),
        })
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// GCRA over `key`: `per_minute` requests a minute, `burst` at once. `Ok(Err(wait))` when
    /// the allowance is spent.
    pub async fn take(
        &self,
        key: &str,
        per_minute: u32,
        burst: u32,
    ) -> Result<Result<(), Duration>, redis::RedisError> {
        self.take_every(
            key,
            Duration::from_micros(60_000_000 / u64::from(per_minute.max(1))),
            burst,
        )
        .await
    }

    /// GCRA over `key`: one every `every`, `burst` at once.
    pub async fn take_every(
        &self,
        key: &str,
        every: Duration,
        burst: u32,
    ) -> Result<Result<(), Duration>, redis::RedisError> {
        let cost = (every.as_micros() as u64).max(1);
        let tolerance = cost * u64::from(burst.max(1));
        let wait: u64 = self
            .gcra
            .key(format!("ioc:rate:{key}"))
            .arg(cost)
            .arg(tolerance)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(if wait == 0 {
            Ok(())
        } else {
            Err(Duration::from_millis(wait))
        })
    }

    /// How long sign-ins are refused for the most blocked of `keys` (each with its limit).
    pub async fn blocked(
        &self,
        keys: &[(String, u32)],
        window: Duration,
    ) -> Result<Option<Duration>, redis::RedisError> {
        let mut longest = None;
        for (key, max) in keys {
            let ms: u64 = self
                .blocked
                .key(format!("ioc:signin:{key}"))
                .arg(window.as_millis() as u64)
                .arg(*max)
                .invoke_async(&mut self.conn.clone())
                .await?;
            if ms > 0 {
                longest = longest.max(Some(Duration::from_millis(ms)));
            }
        }
        Ok(longest)
    }

    pub async fn failed(&self, keys: &[String], window: Duration) -> Result<(), redis::RedisError> {
        let mut call = self.failed.prepare_invoke();
        for key in keys {
            call.key(format!("ioc:signin:{key}"));
        }
        call.arg(window.as_millis() as u64)
            .arg(rand::random::<u64>())
            .invoke_async(&mut self.conn.clone())
            .await
    }

    pub async fn clear(&self, key: &str) -> Result<(), redis::RedisError> {
        redis::cmd("DEL")
            .arg(format!("ioc:signin:{key}"))
            .query_async(&mut self.conn.clone())
            .await
    }
}

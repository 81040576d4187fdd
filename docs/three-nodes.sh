#!/usr/bin/env bash
# Three ioc nodes on one machine (README "Several nodes on one city"): a PostgreSQL and a Redis
# of their own on loopback ports, kept in one folder (IOC_THREE_DIR, default /tmp/ioc-three),
# and three `ioc serve` on 127.0.0.1:8081-8083, the first seeding the demo city. Ctrl-C stops
# them all. Needs Debian's postgresql and redis-server packages and a release build
# (`cargo build --release`; IOC_BIN names another binary).
set -euo pipefail
DIR=${IOC_THREE_DIR:-/tmp/ioc-three}
BIN=${IOC_BIN:-target/release/ioc}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
# PostgreSQL will not run as root: as root, its commands run as the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
mkdir -p "$DIR"
if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; fi
[ -d "$DIR/pg" ] || as_pg "$PGBIN/initdb -D $DIR/pg -A trust -U ioc >/dev/null"
as_pg "$PGBIN/pg_ctl -D $DIR/pg -o '-c listen_addresses=127.0.0.1 -p 54329 -k $DIR' -l $DIR/pg.log -w start >/dev/null"
createdb -h 127.0.0.1 -p 54329 -U ioc ioc 2>/dev/null || true
redis-server --bind 127.0.0.1 --port 63799 --save '' --appendonly no --daemonize yes --logfile "$DIR/redis.log"
export DATABASE_URL=postgres://ioc@127.0.0.1:54329/ioc REDIS_URL=redis://127.0.0.1:63799/
stop() {
  kill $(jobs -p) 2>/dev/null || true
  wait || true
  redis-cli -p 63799 shutdown nosave >/dev/null 2>&1 || true
  as_pg "$PGBIN/pg_ctl -D $DIR/pg -w stop >/dev/null" || true
}
trap stop EXIT
ready() { until curl -sf "127.0.0.1:$1/readyz" >/dev/null; do sleep 1; done; }
IOC_BIND=127.0.0.1:8081 "$BIN" serve --demo >"$DIR/node-1.log" 2>&1 &
ready 8081
IOC_BIND=127.0.0.1:8082 "$BIN" serve >"$DIR/node-2.log" 2>&1 &
IOC_BIND=127.0.0.1:8083 "$BIN" serve >"$DIR/node-3.log" 2>&1 &
ready 8082
ready 8083
for p in 8081 8082 8083; do echo "127.0.0.1:$p $(curl -s "127.0.0.1:$p/readyz")"; done
echo "Three nodes are up (logs in $DIR). Open http://127.0.0.1:8082/ and sign in as ward-leader or"
echo "city-leader with demo-password-2026; Ctrl-C stops the nodes, PostgreSQL and Redis."
wait

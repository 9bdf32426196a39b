#!/usr/bin/env bash
# bench/idle_rss.sh -- resident memory of an idle `spate run` (issue #6: under
# 20 MB). Two queries wait for data: a stateless one on a socket that sends
# nothing, and a stateful running count on the built-in generator at 10 rows
# per second (so batches run, state exists, nothing is busy). Each runs for
# IDLE_S seconds (default 5); VmRSS and VmHWM are read from /proc at the end.
#
#   bash bench/idle_rss.sh            prints one line per query
#   SPATE=path IDLE_S=10 bash bench/idle_rss.sh
#
# Prints: idle_rss query=<name> rss_kb=<VmRSS> hwm_kb=<VmHWM>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SPATE=${SPATE:-$root/build/release/spate}
IDLE_S=${IDLE_S:-5}
PORT=${PORT:-47391}
[ -x "$SPATE" ] || { echo "idle_rss: $SPATE not found: build it first (make build)" >&2; exit 1; }
command -v node >/dev/null || { echo "idle_rss: node is needed for the silent socket server (scripts/install-deps.sh bench)" >&2; exit 1; }

work=$(mktemp -d)
srv=""
cleanup() {
  [ -n "$srv" ] && kill "$srv" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A server that accepts connections and stays silent.
node -e "require('net').createServer(() => {}).listen($PORT, '127.0.0.1')" &
srv=$!
sleep 0.5

cat >"$work/socket.sql" <<EOF
CREATE SOURCE lines WITH (connector = 'socket', host = '127.0.0.1', port = $PORT);
CREATE SINK out WITH (connector = 'console') AS SELECT * FROM lines;
EOF
cat >"$work/count.sql" <<EOF
CREATE SOURCE pv WITH (connector = 'generator', rows_per_second = 10);
CREATE SINK out WITH (connector = 'file', path = '$work/out', format = 'json',
                      output_mode = 'update') AS
SELECT url, count(*) AS views FROM pv GROUP BY url;
EOF

for q in socket count; do
  "$SPATE" run "$work/$q.sql" --checkpoint "$work/ck-$q" --no-status \
    >"$work/$q.out" 2>"$work/$q.err" &
  pid=$!
  sleep "$IDLE_S"
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "idle_rss: spate ($q) exited early:" >&2
    cat "$work/$q.err" >&2
    exit 1
  fi
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
  kill -INT "$pid"
  wait "$pid" || true
  echo "idle_rss query=$q rss_kb=$rss hwm_kb=$hwm"
done

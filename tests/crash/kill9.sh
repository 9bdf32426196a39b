#!/usr/bin/env bash
# Crash test: runs a query over many small files, kills it with SIGKILL at
# random moments, restarts it from its checkpoint until it finishes, and
# compares the committed file-sink output (read through the manifest) with
# an uncrashed run: identical rows, nothing lost, nothing twice.
#   KILLS=N (default 30) kills per query shape; SEED=s for the random delays.
set -u
: "${SPATE:?SPATE must point to the spate binary}"
KILLS=${KILLS:-30}
SEED=${SEED:-$$}
RANDOM=$SEED
T="${SPATE_TEST_TMP:-/tmp}/crash-kill9.$$"
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
fail=0
total_kills=0

mkdir in
for f in $(seq -w 1 ${FILES:-120}); do
  for r in $(seq 1 50); do
    s=$(( (10#$f * 7 + r * 3) % 60 ))
    printf '{"k":"k%d","v":%d,"ts":"2024-01-01 %02d:%02d:%02d"}\n' $((r % 7)) $r $((10#$f / 240)) $(((10#$f / 4) % 60)) $s
  done > in/$f.json
done

committed_rows() { # dir -> the rows of every committed batch, sorted
  local out=$1
  for m in $(ls "$out/_spate_log" 2>/dev/null | grep -E '^[0-9]+$' | sort -n); do
    grep -o '"path":"[^"]*"' "$out/_spate_log/$m" | cut -d'"' -f4 | while read -r p; do
      cat "$out/$p"
    done
  done | LC_ALL=C sort
}

run_shape() { # name sql
  local name=$1 sql=$2
  mkdir -p "$name"
  printf '%s\n' "$sql" | sed "s#@IN@#$T/in#; s#@OUT@#$T/$name/OUT#" > "$name/q.sql"
  # the reference: no crash
  sed "s#OUT#ref#g" "$name/q.sql" > "$name/ref.sql"
  "$SPATE" run "$name/ref.sql" --checkpoint "$name/ref-ck" --no-status \
      > /dev/null 2> "$name/ref.err" || { echo "FAIL $name: reference run failed"; cat "$name/ref.err"; fail=1; return; }
  committed_rows "$name/ref" > "$name/ref.rows"
  # crashed runs
  sed "s#OUT#out#g" "$name/q.sql" > "$name/crash.sql"
  # kill at random moments until a run gets to the end on its own
  local kills=0 tries=0
  while :; do
    tries=$((tries + 1))
    "$SPATE" run "$name/crash.sql" --checkpoint "$name/ck" --no-status \
        > /dev/null 2>> "$name/crash.err" &
    local pid=$!
    if [ $kills -lt "$KILLS" ]; then
      sleep "0.$(printf '%03d' $((RANDOM % 60 + 5)))"
      kill -9 $pid 2>/dev/null && kills=$((kills + 1))
    fi
    wait $pid 2>/dev/null; local rc=$?
    [ $rc = 0 ] && break
    if [ $rc != 137 ]; then
      echo "FAIL $name: a restart failed with status $rc"; tail -5 "$name/crash.err"; fail=1; return
    fi
    [ $tries -gt $((KILLS * 4 + 20)) ] && { echo "FAIL $name: did not finish"; fail=1; return; }
  done
  total_kills=$((total_kills + kills))
  committed_rows "$name/out" > "$name/out.rows"
  if cmp -s "$name/ref.rows" "$name/out.rows"; then
    echo "ok   $name: $kills kills, $(wc -l < "$name/ref.rows") rows identical"
  else
    echo "FAIL $name: output differs after $kills kills (- reference, + crashed)"
    diff "$name/ref.rows" "$name/out.rows" | head -10
    fail=1
  fi
}

run_shape stateless "CREATE SOURCE s (k VARCHAR, v BIGINT, ts TIMESTAMP)
WITH (connector = 'file', path = '@IN@', max_files_per_trigger = 1);
CREATE SINK OUT WITH (connector = 'file', path = '@OUT@') AS
SELECT k, v * 2 AS v2, ts FROM s WHERE v % 3 <> 0;
SET trigger = available_now;"

run_shape window_append "CREATE SOURCE s (k VARCHAR, v BIGINT, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
WITH (connector = 'file', path = '@IN@', max_files_per_trigger = 1);
CREATE SINK OUT WITH (connector = 'file', path = '@OUT@', output_mode = 'append') AS
SELECT window(ts, '1 minute') AS w, k, count(*) AS n, sum(v) AS s FROM s
GROUP BY window(ts, '1 minute'), k;
SET trigger = available_now;
SET state_snapshot_interval = 3;"

run_shape window_update "CREATE SOURCE s (k VARCHAR, v BIGINT, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
WITH (connector = 'file', path = '@IN@', max_files_per_trigger = 1);
CREATE SINK OUT WITH (connector = 'file', path = '@OUT@', output_mode = 'update') AS
SELECT window(ts, '1 minute') AS w, k, count(*) AS n, max(v) AS m FROM s
GROUP BY window(ts, '1 minute'), k;
SET trigger = available_now;
SET state_snapshot_interval = 3;"

run_shape dedup "CREATE SOURCE s (k VARCHAR, v BIGINT, ts TIMESTAMP)
WITH (connector = 'file', path = '@IN@', max_files_per_trigger = 1);
CREATE SINK OUT WITH (connector = 'file', path = '@OUT@') AS
SELECT DISTINCT ON (k, v) k, v FROM s;
SET trigger = available_now;"

echo "$total_kills kills in all"
if [ $fail = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; echo "all crash checks passed (seed $SEED)"; exit 0; fi
echo "files in $T (seed $SEED)"; exit 1

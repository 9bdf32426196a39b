#!/usr/bin/env bash
# Crash points: the process kills itself at each named point of batch 2
# (SPATE_CRASH_AT, test-only), is restarted, and must end with exactly the
# committed output of a run without a crash -- for a stateless query and
# for a windowed aggregation whose state snapshots every 2 versions. The
# state and sink commits overlap; after_state (state durable, sink not) and
# sink_before_state (sink durable, state not) make the batch commit them in
# that order, one after the other.
set -u
: "${SPATE:?SPATE must point to the spate binary}"
T="${SPATE_TEST_TMP:-/tmp}/crash-points.$$"
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
fail=0
mkdir in
for f in 1 2 3 4 5 6; do
  for r in 1 2 3 4 5 6 7 8; do
    printf '{"k":"k%d","v":%d,"ts":"2024-01-01 00:%02d:%02d"}\n' $((r % 3)) $((f * 10 + r)) $f $((r * 7))
  done > in/$f.json
done
committed_rows() {
  for m in $(ls "$1/_spate_log" 2>/dev/null | grep -E '^[0-9]+$' | sort -n); do
    grep -o '"path":"[^"]*"' "$1/_spate_log/$m" | cut -d'"' -f4 | while read -r p; do cat "$1/$p"; done
  done | LC_ALL=C sort
}
shape() { # name sql-with-OUT
  local name=$1 sql=$2
  printf '%s\n' "$sql" | sed "s#OUT#$T/$name-ref#g" > $name-ref.sql
  "$SPATE" run $name-ref.sql --checkpoint $name-ref-ck --no-status >/dev/null 2>&1 || { echo "FAIL $name: reference"; fail=1; return; }
  committed_rows $name-ref > $name-ref.rows
  for point in after_offsets mid_sink after_state sink_before_state after_sink during_snapshot; do
    [ $name = stateless ] && [ $point = after_state -o $point = sink_before_state -o $point = during_snapshot ] && continue
    local d=$name-$point
    printf '%s\n' "$sql" | sed "s#OUT#$T/$d#g" > $d.sql
    SPATE_CRASH_AT=$point:2 "$SPATE" run $d.sql --checkpoint $d-ck --no-status >/dev/null 2>$d.err; rc=$?
    if [ $rc != 137 ]; then echo "FAIL $name $point: expected a crash (137), got $rc"; fail=1; continue; fi
    "$SPATE" run $d.sql --checkpoint $d-ck --no-status >/dev/null 2>>$d.err; rc=$?
    if [ $rc != 0 ]; then echo "FAIL $name $point: restart exited $rc"; tail -3 $d.err; fail=1; continue; fi
    committed_rows $d > $d.rows
    if cmp -s $name-ref.rows $d.rows; then
      echo "ok   $name, crash $point: $(wc -l < $d.rows) rows identical"
    else
      echo "FAIL $name, crash $point: output differs"; diff $name-ref.rows $d.rows | head -5; fail=1
    fi
  done
}
shape stateless "CREATE SOURCE s (k VARCHAR, v BIGINT, ts TIMESTAMP)
WITH (connector = 'file', path = '$T/in', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'file', path = 'OUT') AS SELECT k, v FROM s WHERE v % 2 = 0;
SET trigger = available_now;"
shape window "CREATE SOURCE s (k VARCHAR, v BIGINT, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
WITH (connector = 'file', path = '$T/in', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'file', path = 'OUT') AS
SELECT window(ts, '1 minute') AS w, k, count(*) AS n, sum(v) AS s FROM s
GROUP BY window(ts, '1 minute'), k;
SET trigger = available_now;
SET state_snapshot_interval = 2;"
if [ $fail = 0 ]; then rm -rf "$T"; echo "all crash points passed"; exit 0; fi
echo "files in $T"; exit 1

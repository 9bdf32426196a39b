#!/usr/bin/env bash
# A full disk (ENOSPC injected into the n-th durable write, test-only
# SPATE_FAIL_WRITE) stops the query with a clear error naming the file, and
# leaves the checkpoint recoverable: a restart finishes with exactly the
# output of a run that never failed. A sink data file is synced by the task
# that wrote it: there the task fails, is run again (a partition task after
# its state partition was rolled back), and the output is still exactly
# the reference, without the failed attempt's file.
. "$(dirname "$0")/lib.sh"

mkdir in
for f in 1 2 3 4; do
  for r in 1 2 3; do printf '{"k":"k%d","v":%d}\n' $r $((f * 10 + r)); done > in/$f.json
done
cat > stateful.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in',
                                           max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'file', path = 'OUT', output_mode = 'update') AS
SELECT k, count(*) AS n, sum(v) AS s FROM s GROUP BY k;
SET trigger = available_now;
SQL
cat > stateless.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in',
                                           max_files_per_trigger = 2);
CREATE SINK out WITH (connector = 'file', path = 'OUT') AS
SELECT k, v * 2 AS v2 FROM s WHERE v % 10 <> 2;
SET trigger = available_now;
SQL
rows() { for m in $(ls "$1/_spate_log" | sort -n); do grep -o '"path":"[^"]*"' "$1/_spate_log/$m" | cut -d'"' -f4 | while read -r p; do cat "$1/$p"; done; done | sort; }
listed() { grep -ho '"path":"[^"]*"' "$1"/_spate_log/* | wc -l; }
on_disk() { ls "$1" | grep -c '^part-'; }

for kind in stateful stateless; do
  min_stops=10; [ $kind = stateless ] && min_stops=5
  sed 's/OUT/ref/' $kind.sql > ref.sql
  rm -rf ref ref-ck
  "$SPATE" run ref.sql --checkpoint ref-ck > /dev/null 2>&1
  rows ref > ref.rows
  check "$kind: the reference has rows" test -s ref.rows

  # every durable write in turn fails once; each time the query stops with
  # ENOSPC, and the restart recovers -- or, when the write was a sink data
  # file's (synced by its task), the task fails and runs again
  n=1; stops=0; retried=0
  while [ $n -le 80 ]; do
    rm -rf ck out p.jsonl; sed 's/OUT/out/' $kind.sql > run.sql
    SPATE_FAIL_WRITE=$n "$SPATE" run run.sql --checkpoint ck --progress p.jsonl > /dev/null 2> e.txt; rc=$?
    if [ $rc = 0 ] && grep -q '"failed":[1-9]' p.jsonl; then
      retried=$((retried + 1))
      cmp -s ref.rows <(rows out) || { fail "$kind, write $n: output differs after the task's retry"; diff ref.rows <(rows out) | head -5; }
      [ "$(on_disk out)" = "$(listed out)" ] || fail "$kind, write $n: the failed attempt's file was left behind"
      n=$((n + 1)); continue
    fi
    if [ $rc = 0 ]; then break; fi  # n is past the last write: done
    stops=$((stops + 1))
    grep -qi "no space left on device" e.txt && grep -q "^hint: free space" e.txt || { fail "$kind, write $n: the error does not say the disk is full"; cat e.txt; }
    "$SPATE" run run.sql --checkpoint ck > /dev/null 2> e2.txt; rc=$?
    [ $rc = 0 ] || { fail "$kind, write $n: the restart failed"; cat e2.txt; }
    cmp -s ref.rows <(rows out) || { fail "$kind, write $n: output differs after recovery"; diff ref.rows <(rows out) | head -5; }
    n=$((n + 1))
  done
  check "$kind: the disk filled up at $stops different writes, each recovered" test $stops -ge $min_stops
  check "$kind: a data file's sync failed $retried times, each task ran again" test $retried -ge 3
done
finish

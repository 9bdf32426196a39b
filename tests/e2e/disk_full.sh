#!/usr/bin/env bash
# A full disk (ENOSPC injected into the n-th durable write, test-only
# SPATE_FAIL_WRITE) stops the query with a clear error naming the file, and
# leaves the checkpoint recoverable: a restart finishes with exactly the
# output of a run that never failed.
. "$(dirname "$0")/lib.sh"

mkdir in
for f in 1 2 3 4; do
  for r in 1 2 3; do printf '{"k":"k%d","v":%d}\n' $r $((f * 10 + r)); done > in/$f.json
done
cat > q.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in',
                                           max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'file', path = 'OUT', output_mode = 'update') AS
SELECT k, count(*) AS n, sum(v) AS s FROM s GROUP BY k;
SET trigger = available_now;
SQL
rows() { for m in $(ls "$1/_spate_log" | sort -n); do grep -o '"path":"[^"]*"' "$1/_spate_log/$m" | cut -d'"' -f4 | while read -r p; do cat "$1/$p"; done; done | sort; }
sed 's/OUT/ref/' q.sql > ref.sql
"$SPATE" run ref.sql --checkpoint ref-ck > /dev/null 2>&1
rows ref > ref.rows
check "the reference has rows" test -s ref.rows

# every durable write in turn fails once; each time the query stops with
# ENOSPC, and the restart recovers
n=1; stops=0
while [ $n -le 30 ]; do
  rm -rf ck out; sed 's/OUT/out/' q.sql > run.sql
  SPATE_FAIL_WRITE=$n "$SPATE" run run.sql --checkpoint ck > /dev/null 2> e.txt; rc=$?
  if [ $rc = 0 ]; then break; fi  # n is past the last write: done
  stops=$((stops + 1))
  grep -qi "no space left on device" e.txt && grep -q "^hint: free space" e.txt || { fail "write $n: the error does not say the disk is full"; cat e.txt; }
  "$SPATE" run run.sql --checkpoint ck > /dev/null 2> e2.txt; rc=$?
  [ $rc = 0 ] || { fail "write $n: the restart failed"; cat e2.txt; }
  cmp -s ref.rows <(rows out) || { fail "write $n: output differs after recovery"; diff ref.rows <(rows out) | head -5; }
  n=$((n + 1))
done
check "the disk filled up at $stops different writes, each recovered" test $stops -ge 10
finish

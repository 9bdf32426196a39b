#!/usr/bin/env bash
# Task retries through the CLI (test-only SPATE_TASK_FAULT): a split task or
# a partition task that fails is run again, and the output equals a run
# without faults -- rows neither lost nor written twice -- while the
# progress record counts the failed attempts and retries. A partition task
# that fails after it changed its state store is run again when the store
# can be rolled back (fixed-size states, dedup), and the committed state is
# right for the next batch; with variable-size states it stops the query. A
# task failing spate.task.maxFailures times stops the query with an error
# naming the task, the batch and the cause, and a rerun without the fault
# finishes with the right output.
. "$(dirname "$0")/lib.sh"

mkdir in
for f in 1 2 3 4; do
  for r in 1 2 3 4 5; do printf '{"k":"k%d","v":%d}\n' $((r % 3)) $((f * 10 + r)); done > in/$f.json
done
# two batches of two files: splits (tasks) 0 and 1 in each
cat > stateless.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in',
                                           max_files_per_trigger = 2);
CREATE SINK out WITH (connector = 'file', path = 'OUT') AS
SELECT k, v * 2 AS v2 FROM s WHERE v % 10 <> 3;
SET trigger = available_now;
SQL
cat > stateful.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in',
                                           max_files_per_trigger = 2);
CREATE SINK out WITH (connector = 'file', path = 'OUT', output_mode = 'update') AS
SELECT k, count(*) AS n, sum(v) AS total FROM s GROUP BY k;
SET trigger = available_now;
SET shuffle_partitions = 3;
SQL
# the committed rows, batch by batch, as the manifest lists them
rows() { for m in $(ls "$1/_spate_log" | sort -n); do grep -o '"path":"[^"]*"' "$1/_spate_log/$m" | cut -d'"' -f4 | while read -r p; do sed "s/^/$m /" "$1/$p"; done; done | sort; }
listed() { grep -ho '"path":"[^"]*"' "$1"/_spate_log/* | wc -l; }
on_disk() { ls "$1" | grep -c '^part-'; }
run() { # run NAME SQL [env...]: runs SQL writing to NAME/, checkpoint NAME-ck
  local name=$1 sql=$2; shift 2
  sed "s/OUT/$name/" "$sql" > "$name.sql"
  env "$@" "$SPATE" run "$name.sql" --threads 2 --checkpoint "$name-ck" \
    --progress "$name.jsonl" > "$name.out" 2> "$name.err"
}

for kind in stateless stateful; do
  run ref-$kind $kind.sql
  rows ref-$kind > ref-$kind.rows
  check "$kind: the reference run has rows" test -s ref-$kind.rows
  check "$kind: no task failed without faults" bash -c "! grep -q '\"failed\":[1-9]' ref-$kind.jsonl"
done

# -- a split task's first two attempts fail after writing their part
run s1 stateless.sql SPATE_TASK_FAULT=fail:1:1:2; rc=$?
check "stateless: a failing split task is retried (exit $rc)" test $rc = 0
check "stateless: output identical to the run without faults" cmp -s ref-stateless.rows <(rows s1)
check "stateless: the same number of rows" test "$(rows s1 | wc -l)" = "$(wc -l < ref-stateless.rows)"
check "stateless: batch 1 records two failed attempts and two retries" \
  grep -q '"batchId":1,.*"tasks":{"total":2,"attempts":4,"failed":2,"retries":2,' s1.jsonl
check "stateless: batch 0 had no retry" \
  grep -q '"batchId":0,.*"tasks":{"total":2,"attempts":2,"failed":0,"retries":0,' s1.jsonl
check "stateless: every part file on disk is in the manifest" test "$(on_disk s1)" = "$(listed s1)"
check "stateless: the retry's part is named by its attempt" \
  grep -q '"path":"part-00001-0001-[0-9a-f]*-a2.json"' s1/_spate_log/1

# -- in a stateful query: a split task (its partial) and a partition task
# (before it touches its state store) fail, in the second batch, where the
# state of the first is merged in
run s2 stateful.sql 'SPATE_TASK_FAULT=fail:1:0,fail:1:p2:3'; rc=$?
check "stateful: failing split and partition tasks are retried (exit $rc)" test $rc = 0
check "stateful: output identical to the run without faults" cmp -s ref-stateful.rows <(rows s2)
check "stateful: batch 1 records four failed attempts" \
  grep -q '"batchId":1,.*"tasks":{"total":5,"attempts":9,"failed":4,"retries":4,' s2.jsonl
check "stateful: the state counts every row once" \
  grep -q '"numRowsTotal":3,' <(sed -n 2p s2.jsonl)

# -- partition tasks fail after they merged into their state store and
# wrote their rows (failafter): count/sum keep fixed-size states and only
# read the partials, so the store of each partition is rolled back to the
# last committed version and the task runs again, writing a new part
run s6 stateful.sql 'SPATE_TASK_FAULT=failafter:1:p0,failafter:1:p1,failafter:1:p2'; rc=$?
check "after the merge: the failing partition tasks are retried (exit $rc)" test $rc = 0
check "after the merge: output identical to the run without faults" cmp -s ref-stateful.rows <(rows s6)
check "after the merge: batch 1 records three failed attempts and retries" \
  grep -q '"batchId":1,.*"tasks":{"total":5,"attempts":8,"failed":3,"retries":3,' s6.jsonl
check "after the merge: the state counts every group once" \
  grep -q '"numRowsTotal":3,"numRowsUpdated":3,' <(sed -n 2p s6.jsonl)
check "after the merge: only the retries' parts are listed" \
  bash -c "! grep -o '\"path\":\"[^\"]*\"' s6/_spate_log/1 | grep -v -- '-a1.json'"
check "after the merge: every part file on disk is in the manifest" test "$(on_disk s6)" = "$(listed s6)"
# the committed state is right: a later run merges a new batch into it
for f in 5 6; do
  for r in 1 2 3; do printf '{"k":"k%d","v":%d}\n' $((r % 3)) $((f * 100 + r)); done > more-$f.json
done
more() { # more NAME: adds two files to NAME's input and runs NAME again
  cp more-5.json more-6.json "$1-in/"
  "$SPATE" run "$1.sql" --threads 2 --checkpoint "$1-ck" > /dev/null 2>&1
}
for name in ref-restart s7; do
  mkdir "$name-in"; cp in/*.json "$name-in/"
  sed "s#path = 'in'#path = '$name-in'#" stateful.sql > "$name-src.sql"
done
run ref-restart ref-restart-src.sql
run s7 s7-src.sql 'SPATE_TASK_FAULT=failafter:1:p0:3,failafter:1:p1:3,failafter:1:p2:3'; rc=$?
check "restart: three failures after the merge are retried (exit $rc)" test $rc = 0
more ref-restart; more s7; rc=$?
check "restart: the next run finishes (exit $rc)" test $rc = 0
check "restart: a third batch was committed" test -f s7/_spate_log/2
check "restart: output identical to the run without faults" cmp -s <(rows ref-restart) <(rows s7)

# -- deduplication reads its partials too: retried the same way
cat > dedup.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in',
                                           max_files_per_trigger = 2);
CREATE SINK out WITH (connector = 'file', path = 'OUT') AS
SELECT DISTINCT ON (k, v % 7) k, v FROM s;
SET trigger = available_now;
SET shuffle_partitions = 3;
SQL
run ref-dedup dedup.sql
run s8 dedup.sql 'SPATE_TASK_FAULT=failafter:*:p0:2,failafter:*:p1:2,failafter:*:p2:2'; rc=$?
check "dedup: failures after the merge are retried (exit $rc)" test $rc = 0
check "dedup: output identical to the run without faults" cmp -s <(rows ref-dedup) <(rows s8)
check "dedup: the reference has rows" test -s ref-dedup/_spate_log/1

# -- variable-size states move out of the partials as they merge: such a
# task cannot be run again, the query stops, and a rerun recovers
cat > var.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in',
                                           max_files_per_trigger = 2);
CREATE SINK out WITH (connector = 'file', path = 'OUT', output_mode = 'update') AS
SELECT k, count(DISTINCT v % 4) AS d, max(CAST(v AS VARCHAR)) AS m FROM s GROUP BY k;
SET trigger = available_now;
SET shuffle_partitions = 3;
SQL
run ref-var var.sql
run s9 var.sql 'SPATE_TASK_FAULT=failafter:1:p0,failafter:1:p1,failafter:1:p2'; rc=$?
check "variable-size: a failure after the merge stops the query (exit $rc)" test $rc = 1
check "variable-size: the error says the task cannot be run again" \
  grep -q '^error: task [0-2] of batch 1 of query out (state partitions) failed and cannot be run again: injected task fault' s9.err
check "variable-size: batch 1 was not committed" test ! -f s9-ck/out/commits/1 -a ! -f s9/_spate_log/1
"$SPATE" run s9.sql --threads 2 --checkpoint s9-ck > s9b.out 2> s9b.err; rc=$?
check "variable-size: a rerun finishes (exit $rc)" test $rc = 0
check "variable-size: output identical to the run without faults" cmp -s <(rows ref-var) <(rows s9)

# -- a split task fails maxFailures (4) times: the query stops, naming it
run s3 stateless.sql SPATE_TASK_FAULT=fail:1:1:4; rc=$?
check "exhausted: the query stops (exit $rc)" test $rc = 1
check "exhausted: the error names the task, batch, query and cause" \
  grep -q '^error: task 1 of batch 1 of query out failed 4 times: injected task fault' s3.err
check "exhausted: the detail says what the task reads" \
  grep -q '^detail: the task reads in/4.json (bytes 0 to [0-9]*) of source s; spate.task.maxFailures is 4' s3.err
check "exhausted: the hint says a rerun continues" grep -q '^hint: batch 1 was not committed' s3.err
check "exhausted: batch 0 committed, batch 1 not" \
  test -f s3-ck/out/commits/0 -a -f s3-ck/out/offsets/1 -a ! -f s3-ck/out/commits/1 -a ! -f s3/_spate_log/1
check "exhausted: no part file of batch 1 left behind" test "$(on_disk s3)" = "$(listed s3)"
env "$SPATE" run s3.sql --threads 2 --checkpoint s3-ck > s3b.out 2> s3b.err; rc=$?
check "exhausted: a rerun without the fault finishes (exit $rc)" test $rc = 0
check "exhausted: and the output is right" cmp -s ref-stateless.rows <(rows s3)

# -- a partition task fails 4 times: the same, and the state is intact
run s4 stateful.sql SPATE_TASK_FAULT=fail:1:p0:4; rc=$?
check "exhausted partition: the query stops (exit $rc)" test $rc = 1
check "exhausted partition: the error names the stage" \
  grep -q '^error: task 0 of batch 1 of query out (state partitions) failed 4 times: injected task fault' s4.err
env "$SPATE" run s4.sql --threads 2 --checkpoint s4-ck > s4b.out 2> s4b.err; rc=$?
check "exhausted partition: a rerun finishes (exit $rc)" test $rc = 0
check "exhausted partition: output identical to the run without faults" cmp -s ref-stateful.rows <(rows s4)

# -- the fault variable is checked
sed 's/OUT/s5/' stateless.sql > s5.sql
SPATE_TASK_FAULT=explode:1 "$SPATE" run s5.sql > /dev/null 2> s5.err; rc=$?
check "a malformed SPATE_TASK_FAULT is refused (exit $rc)" \
  bash -c "test $rc = 1 && grep -q \"bad SPATE_TASK_FAULT 'explode:1'\" s5.err"
SPATE_TASK_FAULT=failafter:1:0 "$SPATE" run s5.sql > /dev/null 2> s5b.err; rc=$?
check "failafter is refused for a split task (exit $rc)" \
  bash -c "test $rc = 1 && grep -q 'failafter is for partition tasks' s5b.err"
finish

#!/usr/bin/env bash
# Task retries through the CLI (test-only SPATE_TASK_FAULT): a split task or
# a partition task that fails is run again, and the output equals a run
# without faults -- rows neither lost nor written twice -- while the
# progress record counts the failed attempts and retries. A task failing
# spate.task.maxFailures times stops the query with an error naming the
# task, the batch and the cause, and a rerun without the fault finishes
# with the right output.
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
finish

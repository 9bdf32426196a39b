#!/usr/bin/env bash
# Speculation through the CLI (SET spate.speculation = true, or --conf): a
# split task made artificially slow (test-only SPATE_TASK_FAULT=slow:...)
# gets a copy, the copy wins, the straggler is stopped, and the output is
# the output of a run without the straggler -- listed once, written once.
# Partition tasks (which change the state store in place) are never
# speculated. The settings are checked.
. "$(dirname "$0")/lib.sh"

mkdir in
for f in 1 2 3 4; do
  for r in $(seq 1 50); do printf '{"k":"k%d","v":%d}\n' $((r % 7)) $((f * 1000 + r)); done > in/$f.json
done
# one batch of four files: split tasks 0..3
cat > stateless.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in');
CREATE SINK out WITH (connector = 'file', path = 'OUT') AS
SELECT k, v FROM s WHERE v % 3 <> 0;
SET trigger = available_now;
SET spate.speculation = true;
SET spate.speculation.minTaskRuntime = 50ms;
SQL
cat > stateful.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in');
CREATE SINK out WITH (connector = 'file', path = 'OUT', output_mode = 'complete') AS
SELECT k, count(*) AS n, sum(v) AS total FROM s GROUP BY k;
SET trigger = available_now;
SET shuffle_partitions = 3;
SQL
rows() { for m in $(ls "$1/_spate_log" | sort -n); do grep -o '"path":"[^"]*"' "$1/_spate_log/$m" | cut -d'"' -f4 | while read -r p; do sed "s/^/$m /" "$1/$p"; done; done | sort; }
listed() { grep -ho '"path":"[^"]*"' "$1"/_spate_log/* | wc -l; }
on_disk() { ls "$1" | grep -c '^part-'; }
run() { # run NAME SQL [spate run options...] (SPATE_TASK_FAULT from the caller)
  local name=$1 sql=$2; shift 2
  sed "s/OUT/$name/" "$sql" > "$name.sql"
  "$SPATE" run "$name.sql" --threads 2 --checkpoint "$name-ck" \
    --progress "$name.jsonl" "$@" > "$name.out" 2> "$name.err"
}

run ref stateless.sql; rows ref > ref.rows
check "the reference has every row once (133)" test "$(wc -l < ref.rows)" = 133
check "the reference needed no copy" grep -q '"speculative":0,"speculativeWins":0' ref.jsonl

# split task 1 would take 30 s; its copy is started after ~50 ms and wins
t0=$(date +%s)
SPATE_TASK_FAULT=slow:0:1:30000 run spec stateless.sql; rc=$?
t1=$(date +%s)
check "speculated run exits 0 (exit $rc)" test $rc = 0
check "it did not wait for the straggler ($((t1 - t0)) s)" test $((t1 - t0)) -lt 20
check "a speculative copy ran and won" \
  grep -q '"tasks":{"total":4,"attempts":5,"failed":0,"retries":0,"speculative":1,"speculativeWins":1}' spec.jsonl
check "output identical to the run without a straggler" cmp -s ref.rows <(rows spec)
check "every row once (133)" test "$(rows spec | wc -l)" = 133
check "the manifest lists one file per split" test "$(listed spec)" = 4
check "no file of the losing attempt is left" test "$(on_disk spec)" = 4
check "the winner's file is the copy's (attempt 1)" \
  grep -q '"path":"part-00000-0001-[0-9a-f]*-a1.json"' spec/_spate_log/0

# without speculation the straggler is waited for (a short one here)
SPATE_TASK_FAULT=slow:0:1:300 run nospec stateless.sql --conf spate.speculation=false; rc=$?
check "--conf spate.speculation=false: no copy (exit $rc)" \
  bash -c "test $rc = 0 && grep -q '\"speculative\":0,' nospec.jsonl"
check "and the same output" cmp -s ref.rows <(rows nospec)

# a stateful query: split tasks (partials) are speculated, partition
# tasks are not, even when slow
run sref stateful.sql; rows sref > sref.rows
SPATE_TASK_FAULT=slow:0:2:30000,slow:0:p1:400 run sspec stateful.sql \
  --conf spark.speculation=true --conf spate.speculation.minTaskRuntime=50; rc=$?
check "stateful speculated run exits 0 (exit $rc)" test $rc = 0
check "stateful: the slow split was copied; the slow partition was not" \
  grep -q '"tasks":{"total":7,"attempts":8,"failed":0,"retries":0,"speculative":1,"speculativeWins":1}' sspec.jsonl
check "stateful: output identical (each group counted once)" cmp -s sref.rows <(rows sspec)
check "stateful: counts add up to every row once" \
  test "$(rows sspec | grep -o '"n":[0-9]*' | cut -d: -f2 | awk '{s += $1} END {print s}')" = 200

# the settings are checked, in the script and in --conf
sed 's/OUT/bad/' stateless.sql > bad.sql
echo "SET spate.speculation.quantile = 1.5;" >> bad.sql
"$SPATE" run bad.sql > /dev/null 2> bad.err; rc=$?
check "a bad quantile is refused with its position (exit $rc)" \
  bash -c "test $rc = 1 && grep -q \"bad.sql:7:.*bad value '1.5' for spate.speculation.quantile\" bad.err"
"$SPATE" run ref.sql --conf spate.task.maxFailures=none > /dev/null 2> bad2.err; rc=$?
check "a bad --conf value names the flag (exit $rc)" \
  bash -c "test $rc = 1 && grep -q \"^--conf: error: bad value 'none' for spate.task.maxFailures\" bad2.err"
"$SPATE" run ref.sql --conf spate.task.maxFailure=2 > /dev/null 2> bad3.err; rc=$?
check "an unknown --conf key gets a suggestion (exit $rc)" \
  bash -c "test $rc = 1 && grep -q \"did you mean 'spate.task.maxFailures'\" bad3.err"
"$SPATE" run ref.sql --conf spate.speculation > /dev/null 2> bad4.err; rc=$?
check "--conf without '=' is a usage error (exit $rc)" test $rc = 2
"$SPATE" run --help > help.txt
check "--help lists the task settings" \
  bash -c "grep -q -- '--conf KEY=VALUE' help.txt && grep -q 'spate.task.maxFailures' help.txt && grep -q 'spate.speculation.quantile' help.txt"
finish

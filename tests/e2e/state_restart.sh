#!/usr/bin/env bash
# A stateful query across restarts: the state store is reloaded at the last
# committed version, so counts continue; a batch re-run after a crash (its
# commit missing) starts from the state before it and gives the same
# result; damaged state files are named.
. "$(dirname "$0")/lib.sh"

mkdir in
printf '{"k":"a","ts":"2024-01-01 00:00:01"}\n{"k":"b","ts":"2024-01-01 00:00:02"}\n' > in/1.json
printf '{"k":"a","ts":"2024-01-01 00:00:03"}\n' > in/2.json
cat > q.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, ts TIMESTAMP) WITH (connector = 'file', path = 'in',
                                               max_files_per_trigger = 1);
CREATE SINK counts WITH (connector = 'console', format = 'jsonl',
                         output_mode = 'update') AS
SELECT k, count(*) AS n FROM s GROUP BY k;
SET trigger = available_now;
SET shuffle_partitions = 3;
SQL
"$SPATE" run q.sql --checkpoint ck > r1.out 2> r1.err; rc=$?
check "first run exits 0" test $rc = 0
check "a counted twice" contains r1.out '{"batchId":1,"row":{"k":"a","n":2}}'
check "state has 3 partitions" test -d ck/counts/state/0/0 -a -d ck/counts/state/0/2
check "state deltas written" test -n "$(ls ck/counts/state/0/*/1.delta 2>/dev/null)"

printf '{"k":"a","ts":"2024-01-01 00:00:04"}\n{"k":"c","ts":"2024-01-01 00:00:05"}\n' > in/3.json
"$SPATE" run q.sql --checkpoint ck > r2.out 2> r2.err; rc=$?
check "restart exits 0" test $rc = 0
check "a continues from the state: 3" contains r2.out '{"batchId":2,"row":{"k":"a","n":3}}'
check "c is new: 1" contains r2.out '{"batchId":2,"row":{"k":"c","n":1}}'
check "b not updated, not emitted" bash -c "! grep -q '\"k\":\"b\"' r2.out"

# crash before commits/2: batch 2 is re-run from state version 1
rm ck/counts/commits/2
"$SPATE" run q.sql --checkpoint ck > r3.out 2> r3.err; rc=$?
check "re-run exits 0" test $rc = 0
check "re-run gives the same counts" test "$(sort r3.out)" = "$(sort r2.out)"

# A damaged delta the re-run needs (version 1) is named; the re-run's own
# delta (2) is never read, only replaced.
d=$(ls ck/counts/state/0/*/1.delta | head -1)
printf 'x' >> "$d"
rm ck/counts/commits/2
"$SPATE" run q.sql --checkpoint ck > r4.out 2> r4.err; rc=$?
check "damaged state exits 1" test $rc = 1
check "the damaged state file is named" grep -q "1.delta" r4.err
check "nothing was output" test ! -s r4.out
finish

#!/usr/bin/env bash
# spate checkpoint inspect / check on the checkpoint of a real stateful
# query: a windowed count with a watermark over five files, one per batch,
# written to a file sink, with a snapshot every 2 state versions.
. "$(dirname "$0")/lib.sh"

mkdir in
# file i: three rows at seconds i*10+1 .. i*10+3, keys k1 k0 k1
for i in 1 2 3 4 5; do
  for j in 1 2 3; do
    echo "{\"k\":\"k$((j % 2))\",\"ts\":\"2024-01-01 00:00:$((i * 10 + j))\"}"
  done > in/$i.json
done
cat > q.sql <<'SQL'
CREATE SOURCE s (k VARCHAR, ts TIMESTAMP,
                 WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH (connector = 'file', path = 'in', max_files_per_trigger = 1);
CREATE SINK w WITH (connector = 'file', path = 'out', format = 'json') AS
SELECT window(ts, '10 seconds') AS win, k, count(*) AS n
FROM s GROUP BY window(ts, '10 seconds'), k;
SET trigger = available_now;
SET shuffle_partitions = 2;
SET state_snapshot_interval = 2;
SQL
"$SPATE" run q.sql --checkpoint ck > run.out 2> run.err; rc=$?
check "the query runs" test $rc = 0
# five data batches, then a no-data batch (the watermark moved): 0..5
check "batches 0..5 were committed" test -f ck/w/commits/5 -a ! -f ck/w/offsets/6

# ---- inspect, the table
"$SPATE" checkpoint inspect ck > t.out 2> t.err; rc=$?
check "inspect exits 0" test $rc = 0
check "inspect names the query" grep -q '^query w$' t.out
id=$(grep -o '"id":"[^"]*"' ck/w/metadata | cut -d'"' -f4)
check "inspect shows the query id from metadata" grep -q "id  *$id" t.out
check "inspect counts the batches" contains t.out "6 offsets (0..5), 6 commits; newest batch 5 is committed"
check "inspect says what a restart does" contains t.out "recovery     continues with batch 6"
# the max event time is 00:00:53, minus 5 s
check "inspect shows the next batch's watermark" contains t.out "watermark    2024-01-01T00:00:48.000Z (next batch's, from commits/5)"
check "recent batches: batch 4 read file 4 with its watermark" \
  grep -qE '^    4 +yes +2024-01-01T00:00:38.000Z +2024-01-01T00:00:48.000Z +s \[4, 5\)$' t.out
check "recent batches: the no-data batch 5 has an empty range" \
  grep -qE '^    5 +yes .* s \[5, 5\)$' t.out
check "recent batches: the newest 5 by default" test "$(grep -cE '^    [0-9]+ +yes ' t.out)" = 5
check "source log: 5 files in 5 batches" contains t.out "source 0: file source log, 5 files taken in 5 batches"
check "source log: batch 2 took in/3.json" grep -qE '^    2 +1 +in/3.json$' t.out
check "state: 2 partitions, loads version 5" contains t.out "state operator 0: 2 partitions"
check "state: deltas 0..5 and snapshots 2,4 in partition 0" \
  grep -qE '^    0 +0\.\.5 +2,4 +[0-9]+ +[0-9]+ +4\.snapshot \+ 5\.delta$' t.out
check "state: partition 1 too" \
  grep -qE '^    1 +0\.\.5 +2,4 +[0-9]+ +[0-9]+ +4\.snapshot \+ 5\.delta$' t.out
"$SPATE" checkpoint inspect ck --batches 2 > t2.out
check "--batches 2 lists two batches" test "$(grep -cE '^    [0-9]+ +yes ' t2.out)" = 2
"$SPATE" checkpoint inspect ck/w > t3.out
check "a query's own directory works too" cmp -s t.out t3.out

# ---- inspect --json
"$SPATE" checkpoint inspect ck --json > j.out 2> j.err; rc=$?
check "inspect --json exits 0" test $rc = 0
check "--json is one line (one document)" test "$(wc -l < j.out)" = 1
if command -v jq > /dev/null; then
  check "--json is valid JSON" jq -e . j.out > /dev/null
fi
check "json: name and id" contains j.out "\"name\":\"w\",\"directory\":\"ck/w\",\"id\":\"$id\""
check "json: batches" contains j.out '"batches":{"offsets":6,"commits":6,"first":0,"latest":5,"latestCommitted":5,"latestIsCommitted":true}'
check "json: recovery" contains j.out '"recovery":{"nextBatch":6,"rerun":false,"stateVersion":5}'
check "json: next batch's watermark" contains j.out '"nextBatchWatermarkMs":1704067248000,"nextBatchWatermark":"2024-01-01T00:00:48.000Z"'
check "json: batch 4's offsets and watermark" \
  grep -qE '\{"batchId":4,"committed":true,"ok":true,"timestampMs":[0-9]+,"timestamp":"[^"]+","watermarkMs":1704067238000,"watermark":"2024-01-01T00:00:38.000Z","nextBatchWatermarkMs":1704067248000,"nextBatchWatermark":"2024-01-01T00:00:48.000Z","sources":\[\{"name":"s","startOffset":4,"endOffset":5\}\]\}' j.out
check "json: 5 recent batches" test "$(grep -o '"committed":' j.out | wc -l)" = 5
check "json: the file source log" contains j.out '"kind":"file","logEntries":5,"files":5'
check "json: partition 0's versions" contains j.out '{"partition":0,"deltas":[0,1,2,3,4,5],"snapshots":[2,4]'
check "json: partition 1's versions" contains j.out '{"partition":1,"deltas":[0,1,2,3,4,5],"snapshots":[2,4]'
check "json: loads from snapshot 4" test "$(grep -o '"loadsFromSnapshot":4,"loadable":true' j.out | wc -l)" = 2
# the state holds the windows not yet final: [40,50) and [50,60) x k0, k1
keys=$(grep -o '"keys":[0-9]*' j.out | cut -d: -f2 | awk '{s += $1} END {print s}')
check "json: 4 keys in the state" test "$keys" = 4
sbytes=$(cat ck/w/state/0/*/* | wc -c)
check "json: state bytes = the files' sizes" contains j.out "\"state\":{\"bytes\":$sbytes,\"version\":5"
check "json: 2 shuffle partitions" contains j.out '"shufflePartitions":2'
check "json: no temp files" contains j.out '"tempFiles":0}'

# ---- check
"$SPATE" checkpoint check ck > c.out 2> c.err; rc=$?
check "check exits 0 on a good checkpoint" test $rc = 0
check "check: summary line" contains c.out "0 error(s), 0 warning(s), 0 temporary file(s) -- recovery will succeed"
check "check: every file counted" contains c.out "summary: 34 file(s) checked in 1 query"
check "check: every section ok" test "$(grep -cE '^  ok ' c.out)" = 5

# a crash mid-write leaves a temporary file: harmless, counted
cp ck/w/offsets/5 ck/w/offsets/6.tmp.4242
cp ck/w/state/0/1/5.delta ck/w/state/0/1/6.delta.tmp.4242
"$SPATE" checkpoint check ck > c2.out; rc=$?
check "temp files: check still exits 0" test $rc = 0
check "temp files: counted as harmless" contains c2.out "2 temporary file(s) left by a crash mid-write (harmless"
check "temp files: in the summary" contains c2.out "0 error(s), 0 warning(s), 2 temporary file(s) -- recovery will succeed"
"$SPATE" checkpoint inspect ck --json > j2.out
check "temp files: inspect counts them" contains j2.out '"tempFiles":2}'
rm ck/w/offsets/6.tmp.4242 ck/w/state/0/1/6.delta.tmp.4242

# a crash before commits/5: batch 5 is re-run from state version 4
mv ck/w/commits/5 commit5.bak
"$SPATE" checkpoint inspect ck > t4.out
check "rerun: inspect says batch 5 is not committed" contains t4.out "newest batch 5 is NOT committed"
check "rerun: and what a restart does" contains t4.out "re-runs batch 5 with its recorded offsets, from state version 4"
check "rerun: the state loads version 4" grep -qE '^    0 +0\.\.5 +2,4 +[0-9]+ +[0-9]+ +4\.snapshot$' t4.out
"$SPATE" checkpoint check ck > c3.out; rc=$?
check "rerun: check exits 0" test $rc = 0
check "rerun: check says so" contains c3.out "batch 5 is not committed: a restart re-runs it"
mv commit5.bak ck/w/commits/5

# a gap (offsets/3 without commits/3) and a commit without offsets
mv ck/w/commits/3 commit3.bak
"$SPATE" checkpoint check ck > c4.out; rc=$?
check "gap: check exits 0 (recovery does not read it)" test $rc = 0
check "gap: reported as a warning" contains c4.out "warning: ck/w/commits/3"
check "gap: explained" contains c4.out "batch 3 has offsets but no commit, yet batch 4 was started after it"
mv commit3.bak ck/w/commits/3
cp ck/w/commits/5 ck/w/commits/6
"$SPATE" checkpoint check ck > c5.out; rc=$?
check "commit without offsets: check exits 1" test $rc = 1
check "commit without offsets: named" contains c5.out "commits/6 has no offsets/6"
check "commit without offsets: summary says recovery fails" contains c5.out "recovery will FAIL"
rm ck/w/commits/6

# ---- usage
"$SPATE" checkpoint inspect --help > h1.out; rc=$?
check "inspect --help exits 0" test $rc = 0
check "inspect --help describes --json" contains h1.out "--json"
"$SPATE" checkpoint check --help > h2.out; rc=$?
check "check --help exits 0" test $rc = 0
check "check --help gives the exit status" contains h2.out "Exit status: 0"
"$SPATE" checkpoint > /dev/null 2>&1; rc=$?
check "no subcommand: exit 2" test $rc = 2
"$SPATE" checkpoint inspect > /dev/null 2>&1; rc=$?
check "no directory: exit 2" test $rc = 2
"$SPATE" help > h3.out
check "spate help lists checkpoint" contains h3.out "checkpoint"
"$SPATE" checkpoint check nosuch > n.out 2> n.err; rc=$?
check "missing directory: exit 1" test $rc = 1
check "missing directory: named" contains n.err "nosuch is not a directory"
"$SPATE" checkpoint check in > n2.out 2> n2.err; rc=$?
check "not a checkpoint: exit 1" test $rc = 1
check "not a checkpoint: said so with a hint" contains n2.err "in holds no query checkpoint"
check "no sanitizer report anywhere" bash -c "! grep -l 'AddressSanitizer\|runtime error' *.err"
finish

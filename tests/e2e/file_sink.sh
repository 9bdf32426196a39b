#!/usr/bin/env bash
# The file sink: part files per batch, a manifest entry per committed batch,
# every committed row exactly once.
. "$(dirname "$0")/lib.sh"

mkdir in
for i in 1 2 3; do
  for j in 1 2 3 4 5; do echo "{\"b\":$i,\"j\":$j}"; done > in/$i.json
done
cat > q.sql <<'SQL'
CREATE SOURCE s (b BIGINT, j BIGINT) WITH (connector = 'file', path = 'in',
                                           max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'file', path = 'out', format = 'json') AS
SELECT b, j FROM s WHERE j <> 3;
SET trigger = available_now;
SQL
"$SPATE" run q.sql --checkpoint ck > o.txt 2> e.txt; rc=$?
check "run exits 0" test $rc = 0
check "three manifest entries" test -f out/_spate_log/0 -a -f out/_spate_log/1 -a -f out/_spate_log/2
check "manifest is a checked file" grep -q '^spate-file-sink v1$' out/_spate_log/2
# Read back through the manifest: every listed file, exactly once.
files=$(grep -ho '"path":"[^"]*"' out/_spate_log/* | cut -d'"' -f4)
: > all.json; for f in $files; do cat "out/$f" >> all.json; done
check "12 committed rows" test "$(wc -l < all.json)" = 12
check "no duplicates" test "$(sort all.json | uniq -d | wc -l)" = 0
check "j=3 filtered" bash -c "! grep -q '\"j\":3' all.json"
check "rows are JSON objects" grep -q '^{"b":2,"j":5}$' all.json

# A part file of an uncommitted batch is not in the manifest.
echo '{"b":9,"j":9}' > out/part-99999-0000-deadbeef.json
files=$(grep -ho '"path":"[^"]*"' out/_spate_log/* | cut -d'"' -f4)
check "stray files are not listed" bash -c "! grep -q deadbeef <<< '$files'"

# spate reading the sink's directory back honours the manifest: the stray
# file of an uncommitted batch is not read.
cat > back.sql <<'SQL'
CREATE SOURCE o (b BIGINT, j BIGINT) WITH (connector = 'file', path = 'out');
CREATE SINK c WITH (connector = 'console', format = 'jsonl') AS SELECT b, j FROM o;
SET trigger = once;
SQL
"$SPATE" run back.sql > back.out 2> back.err; rc=$?
check "reading the sink back exits 0" test $rc = 0
check "reading back gives the 12 committed rows" test "$(wc -l < back.out)" = 12
check "the stray uncommitted file is not read" bash -c "! grep -q '\"b\":9' back.out"

# Re-running a batch the sink already committed writes nothing new.
rm ck/out/commits/2
n_before=$(ls out | wc -l)
"$SPATE" run q.sql --checkpoint ck > o2.txt 2> e2.txt; rc=$?
check "re-run exits 0" test $rc = 0
check "the committed batch is not written again" test "$(ls out | wc -l)" = "$n_before"
check "commit 2 is back" test -f ck/out/commits/2

# A new checkpoint writing into a sink that already holds committed batches
# is refused (its batches would be skipped as already written).
"$SPATE" run q.sql --checkpoint ck-new > o3.txt 2> e3.txt; rc=$?
check "a new checkpoint over an old sink is refused" test $rc = 1
check "the error explains the collision" contains e3.txt "already holds committed batches 0..2"
check "the hint says what to do" contains e3.txt "hint: write to a new output path"
finish

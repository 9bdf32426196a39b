#!/usr/bin/env bash
# --progress writes one JSON record per batch with Spark's field names and
# the count of malformed rows.
. "$(dirname "$0")/lib.sh"

mkdir in
printf '{"n":1}\n{"n":oops}\n{"n":3}\n' > in/a.json
printf '{"n":4}\n' > in/b.json
cat > q.sql <<'SQL'
CREATE SOURCE s (n BIGINT) WITH (connector = 'file', path = 'in',
                                 max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'console') AS SELECT n FROM s WHERE n > 1;
SET trigger = available_now;
SQL
"$SPATE" run q.sql --progress p.jsonl > out.txt 2> err.txt; rc=$?
check "run exits 0" test $rc = 0
check "two progress records" test "$(wc -l < p.jsonl)" = 2
first=$(head -1 p.jsonl)
for f in '"batchId":0' '"numInputRows":2' '"inputRowsPerSecond":' \
         '"processedRowsPerSecond":' '"durationMs":{' '"triggerExecution":' \
         '"walCommit":' '"sources":[{"description":"FileStreamSource[' \
         '"numMalformedRows":1' '"sink":{"description":"ConsoleSink' \
         '"numOutputRows":1' '"id":"' '"runId":"' '"timestamp":"'; do
  check "record 0 has $f" grep -qF -- "$f" <<< "$first"
done
check "record 1 is batch 1" grep -qF '"batchId":1,' <(sed -n 2p p.jsonl)
check "the warning names file and line" contains err.txt "in/a.json:2: skipped malformed record"
check "no status line when stderr is not a terminal" bash -c "! grep -q 'rows/s' err.txt"

# The watermark: max event time seen minus the delay, computed at the end of
# a batch and in effect for the next; it never moves back.
mkdir wm
printf '{"t":1704067265123}\n{"t":1704067200000}\n' > wm/1.json
printf '{"t":1704067201500}\n' > wm/2.json
printf '{"t":1704067300000}\n' > wm/3.json
cat > w.sql <<'SQL'
CREATE SOURCE s (t BIGINT, et AS timestamp_millis(t),
                 WATERMARK FOR et AS et - INTERVAL '10' SECOND)
WITH (connector = 'file', path = 'wm', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'console') AS SELECT t FROM s;
SET trigger = available_now;
SQL
"$SPATE" run w.sql --checkpoint wck --progress w.jsonl > /dev/null 2>&1; rc=$?
check "watermark run exits 0" test $rc = 0
check "batch 0 runs with the initial watermark" grep -qF '"watermark":"1970-01-01T00:00:00.000Z"' <(sed -n 1p w.jsonl)
check "batch 0 reports its event times" grep -qF '"max":"2024-01-01T00:01:05.123Z","min":"2024-01-01T00:00:00.000Z"' <(sed -n 1p w.jsonl)
check "batch 1 uses max(et) - 10s of batch 0" grep -qF '"watermark":"2024-01-01T00:00:55.123Z"' <(sed -n 2p w.jsonl)
check "an older event does not move it back" grep -qF '"watermark":"2024-01-01T00:00:55.123Z"' <(sed -n 3p w.jsonl)
check "the offset log records the watermark" grep -qF '"batchWatermarkMs":1704067255123' wck/out/offsets/2
finish

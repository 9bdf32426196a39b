#!/usr/bin/env bash
# The rate and generator sources produce rows by trigger time and replay by
# offset; rate's value column counts from 0 without gaps.
. "$(dirname "$0")/lib.sh"

cat > rate.sql <<'SQL'
CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 200);
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT value, timestamp FROM r;
SET trigger = processing_time '500 milliseconds';
SQL
timeout 30 "$SPATE" run rate.sql --duration 2.5 > r.out 2> r.err; rc=$?
check "rate run exits 0" test $rc = 0
n=$(wc -l < r.out)
check "rate produced rows ($n)" test "$n" -ge 100
check "rate produced at most its rate" test "$n" -le 600
vals=$(grep -o '"value":[0-9]*' r.out | cut -d: -f2)
check "values count from 0 without gaps" test "$(echo "$vals" | sort -n | awk 'BEGIN{e=0;ok=1} {if ($1!=e) ok=0; e++} END{print ok}')" = 1
check "several batches" test "$(grep -o '"batchId":[0-9]*' r.out | sort -u | wc -l)" -ge 3

cat > gen.sql <<'SQL'
CREATE SOURCE g WITH (connector = 'generator', rows_per_second = 1000,
                      start_time = '2024-01-01 00:00:00', total_rows = 5000,
                      max_records_per_trigger = 2000);
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT ts, user_id, url, event_type FROM g;
SET trigger = available_now;
SQL
"$SPATE" run gen.sql > g1.out 2> g1.err; rc=$?
check "generator run exits 0" test $rc = 0
check "generator: 5000 rows" test "$(wc -l < g1.out)" = 5000
check "generator: batches of at most 2000" test "$(grep -c '"batchId":2,' g1.out)" = 1000
"$SPATE" run gen.sql > g2.out 2> g2.err
check "generator is deterministic" cmp -s g1.out g2.out
check "generator event times are in 2024" grep -q '"ts":"2024-01-01T00:00:0' g1.out
finish

#!/usr/bin/env bash
# `spate explain` prints the plan: sink, project, filter, compute, and a
# scan that reads only the columns the query uses.
. "$(dirname "$0")/lib.sh"

cat > q.sql <<'SQL'
CREATE SOURCE clicks (user_id VARCHAR, url VARCHAR, referrer VARCHAR,
                      ms BIGINT, et AS timestamp_millis(ms),
                      WATERMARK FOR et AS et - INTERVAL '10' SECOND)
WITH (connector = 'file', path = 'in', format = 'json');
CREATE SINK s WITH (connector = 'console') AS
SELECT lower(url) AS u, et FROM clicks WHERE user_id <> 'bot';
SQL
"$SPATE" explain q.sql > p.txt; rc=$?
check "explain exits 0" test $rc = 0
check "plan names the sink" contains p.txt "Sink s [console, output_mode=append]"
check "plan has a project" contains p.txt "Project ["
check "plan has the filter" contains p.txt "Filter "
check "plan computes et" contains p.txt "Compute [et AS timestamp_millis(ms)]"
check "scan reads only used columns" contains p.txt "(user_id VARCHAR, url VARCHAR, ms BIGINT)"
check "scan shows the watermark" contains p.txt "watermark et"
check "referrer is pruned" bash -c "! grep -q 'referrer VARCHAR' p.txt"
cat p.txt
finish

#!/usr/bin/env bash
# A large file is cut into splits read in parallel: the output is the same
# rows as one thread reading it whole, and a malformed line deep in the
# file is reported with its exact line number.
. "$(dirname "$0")/lib.sh"

mkdir in
awk 'BEGIN { for (i = 1; i <= 60000; i++) {
  if (i == 45678) print "{\"id\": broken}";
  else printf "{\"id\":%d,\"kind\":\"%s\",\"pad\":\"%s\"}\n", i, (i % 3 ? "a" : "b"), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" } }' > in/big.json
cat > q.sql <<'SQL'
CREATE SOURCE s (id BIGINT, kind VARCHAR)
WITH (connector = 'file', path = 'in', split_size = 65536);
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT id FROM s WHERE kind = 'a';
SET trigger = once;
SQL
"$SPATE" run q.sql --threads 2 --progress p2.jsonl > t2.out 2> t2.err; rc=$?
check "2 threads exits 0" test $rc = 0
"$SPATE" run q.sql --threads 1 > t1.out 2> t1.err; rc=$?
check "1 thread exits 0" test $rc = 0
check "same rows in the same order" cmp -s t1.out t2.out
want=$(awk 'BEGIN{n=0; for(i=1;i<=60000;i++) if (i%3 && i!=45678) n++; print n}')
check "row count is $want" test "$(wc -l < t2.out)" = "$want"
check "the bad line is reported at its line" contains t2.err "in/big.json:45678: skipped malformed record"
check "one malformed row counted" contains p2.jsonl '"numMalformedRows":1'
finish

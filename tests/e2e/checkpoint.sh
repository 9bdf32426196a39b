#!/usr/bin/env bash
# The checkpoint: offsets and commits logs are written per batch; a restart
# continues after the last committed batch and never reads a file twice; a
# damaged checkpoint file is named with what to do.
. "$(dirname "$0")/lib.sh"

mkdir in
printf '{"n":1}\n{"n":2}\n' > in/a.json
printf '{"n":3}\n' > in/b.json
cat > q.sql <<'SQL'
CREATE SOURCE s (n BIGINT) WITH (connector = 'file', path = 'in',
                                 max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT n, n * 10 AS m FROM s;
SET trigger = available_now;
SQL
"$SPATE" run q.sql --checkpoint ck > r1.out 2> r1.err; rc=$?
check "first run exits 0" test $rc = 0
check "first run: batch 0 has a.json" contains r1.out '{"batchId":0,"row":{"n":2,"m":20}}'
check "first run: batch 1 has b.json" contains r1.out '{"batchId":1,"row":{"n":3,"m":30}}'
check "first run: 3 rows" test "$(wc -l < r1.out)" = 3
check "offsets/0 and /1 exist" test -f ck/out/offsets/0 -a -f ck/out/offsets/1
check "commits/0 and /1 exist" test -f ck/out/commits/0 -a -f ck/out/commits/1
check "offsets file has header" grep -q '^spate-offsets v1$' ck/out/offsets/1
check "offsets file has checksum" grep -qE '^#crc32c [0-9a-f]{8}$' ck/out/offsets/1
check "offsets record the range" grep -q '"startOffset":1,"endOffset":2' ck/out/offsets/1
check "metadata exists" test -f ck/out/metadata

"$SPATE" run q.sql --checkpoint ck > r2.out 2> r2.err; rc=$?
check "second run with nothing new exits 0" test $rc = 0
check "second run prints nothing" test ! -s r2.out

printf '{"n":4}\n' > in/c.json
"$SPATE" run q.sql --checkpoint ck > r3.out 2> r3.err; rc=$?
check "third run exits 0" test $rc = 0
check "third run: only the new file, as batch 2" test "$(cat r3.out)" = '{"batchId":2,"row":{"n":4,"m":40}}'

# A crash after the offsets were written but before the commit: the batch
# is re-run with exactly the recorded files.
rm ck/out/commits/2
printf '{"n":5}\n' > in/d.json
"$SPATE" run q.sql --checkpoint ck > r4.out 2> r4.err; rc=$?
check "re-run exits 0" test $rc = 0
check "batch 2 is re-run with c.json" contains r4.out '{"batchId":2,"row":{"n":4,"m":40}}'
check "then batch 3 reads d.json" contains r4.out '{"batchId":3,"row":{"n":5,"m":50}}'
check "no other rows" test "$(wc -l < r4.out)" = 2

# Damage a commit file: named, with a hint, exit 1, nothing run.
printf 'garbage' >> ck/out/commits/3
"$SPATE" run q.sql --checkpoint ck > r5.out 2> r5.err; rc=$?
check "damaged checkpoint exits 1" test $rc = 1
check "the damaged file is named" contains r5.err "ck/out/commits/3 is damaged"
check "a hint says what to do" contains r5.err "hint:"
check "nothing ran" test ! -s r5.out

# Truncated offsets file
printf 'spate-offsets v1\n{"batchId"' > ck/out/offsets/3
"$SPATE" run q.sql --checkpoint ck > r6.out 2> r6.err; rc=$?
check "truncated offsets exits 1" test $rc = 1
check "the truncated file is named" contains r6.err "ck/out/offsets/3 is damaged"
finish

#!/usr/bin/env bash
# Query changes against a checkpoint: a changed filter or projection is
# accepted; changed GROUP BY keys or aggregates, or a changed FROM, stop
# with a message that says what changed; the state partitions stay those of
# the checkpoint; --reset-checkpoint starts over deliberately.
. "$(dirname "$0")/lib.sh"

mkdir in
printf '{"k":"a","v":1}\n{"k":"b","v":2}\n' > in/1.json
q() { # select-list group-by where partitions
  cat > q.sql <<SQL
CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in');
CREATE SOURCE t (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'in');
CREATE SINK out WITH (connector = 'console', format = 'jsonl', output_mode = 'update') AS
SELECT $1 FROM $5 WHERE $3 GROUP BY $2;
SET trigger = available_now;
SET shuffle_partitions = $4;
SQL
}
q "k, count(*) AS n" "k" "v > 0" 3 s
"$SPATE" run q.sql --checkpoint ck > r1.out 2> r1.err; rc=$?
check "first run exits 0" test $rc = 0
check "metadata records the state shape" grep -q '"stateShape":"aggregate keys=VARCHAR' ck/out/metadata
check "metadata records the key hash" grep -q '"keyHash":2' ck/out/metadata

printf '{"k":"a","v":5}\n' > in/2.json
q "k, count(*) AS n" "k" "v > 1" 3 s
"$SPATE" run q.sql --checkpoint ck > r2.out 2> r2.err; rc=$?
check "a changed WHERE is accepted" test $rc = 0
check "state continued: a = 2" grep -q '"k":"a","n":2' r2.out

q "k, sum(v) AS n" "k" "v > 1" 3 s
"$SPATE" run q.sql --checkpoint ck > r3.out 2> r3.err; rc=$?
check "changed aggregates are refused" test $rc = 1
check "the message says the stateful operator changed" contains r3.err "stateful operator"
check "it shows both shapes" contains r3.err "detail: the checkpoint has aggregate"
check "it suggests --reset-checkpoint" contains r3.err "--reset-checkpoint"

q "k, count(*) AS n" "k" "v > 1" 3 t
"$SPATE" run q.sql --checkpoint ck > r4.out 2> r4.err; rc=$?
check "a changed FROM is refused" test $rc = 1
check "the message names the inputs" contains r4.err "inputs (FROM) changed"

printf '{"k":"a","v":7}\n' > in/3.json
q "k, count(*) AS n" "k" "v > 1" 5 s
"$SPATE" run q.sql --checkpoint ck > r5.out 2> r5.err; rc=$?
check "new shuffle_partitions run exits 0" test $rc = 0
check "the checkpoint's 3 partitions are kept" test ! -d ck/out/state/0/3
check "counts are right: a = 3" grep -q '"k":"a","n":3' r5.out

# A checkpoint written before the key hash changed (metadata without
# "keyHash", i.e. version 1) is refused by a stateful query: its keys sit
# in the partitions of the old hash. The metadata is rewritten with a valid
# checksum so that only the version differs.
cp ck/out/metadata metadata.v2
# (perl: part of every Debian system; CRC-32C bit by bit)
perl -e '
  my $path = $ARGV[0];
  open(my $f, "<", $path) or die; local $/; my $all = <$f>; close $f;
  my ($head, $body) = split /\n/, $all;
  $body =~ s/,"keyHash":2//;
  my $text = "$head\n$body\n";
  my $c = 0xffffffff;
  for my $b (unpack("C*", $text)) {
    $c ^= $b;
    for (1..8) { $c = ($c & 1) ? (($c >> 1) ^ 0x82f63b78) : ($c >> 1); }
  }
  open($f, ">", $path) or die;
  printf $f "%s#crc32c %08x\n", $text, $c ^ 0xffffffff;
  close $f;' ck/out/metadata
check "the rewritten metadata has no keyHash" test "$(grep -c keyHash ck/out/metadata)" = 0
q "k, count(*) AS n" "k" "v > 1" 3 s
"$SPATE" run q.sql --checkpoint ck > r5b.out 2> r5b.err; rc=$?
check "an old key hash is refused" test $rc = 1
check "the message names both versions" contains r5b.err "partitioned by key hash version 1; this spate uses version 2"
check "it suggests starting over" contains r5b.err "--reset-checkpoint"
cp metadata.v2 ck/out/metadata

q "k, sum(v) AS n" "k" "v > 0" 3 s
"$SPATE" run q.sql --checkpoint ck --reset-checkpoint > r6.out 2> r6.err; rc=$?
check "--reset-checkpoint starts over" test $rc = 0
check "it says what it removed" contains r6.err "--reset-checkpoint: removed"
check "from batch 0 over all files: a = 13" grep -q '{"batchId":0,"row":{"k":"a","n":13}}' r6.out
finish

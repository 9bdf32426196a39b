#!/usr/bin/env bash
# The command line: help on every command, version, usage errors.
. "$(dirname "$0")/lib.sh"

"$SPATE" --help > h.out; check "spate --help exits 0" test $? = 0
check "--help lists the commands" contains h.out "run FILE.sql"
for c in run demo explain version; do
  "$SPATE" $c --help > c.out 2>&1; rc=$?
  check "spate $c --help exits 0" test $rc = 0
  check "spate $c --help prints usage" contains c.out "usage: spate $c"
done
"$SPATE" help run > c.out; check "spate help run" contains c.out "--checkpoint DIR"
"$SPATE" version > v.out; check "version prints spate x.y.z" grep -qE '^spate [0-9]+\.[0-9]+\.[0-9]+$' v.out
"$SPATE" frobnicate > /dev/null 2> e.out; rc=$?
check "unknown command exits 2" test $rc = 2
check "unknown command is named" contains e.out "unknown command 'frobnicate'"
"$SPATE" run > /dev/null 2> e.out; rc=$?
check "run without a file exits 2" test $rc = 2
"$SPATE" run nonexistent.sql > /dev/null 2> e.out; rc=$?
check "run of a missing file exits 1" test $rc = 1
check "missing file is named" contains e.out "cannot read nonexistent.sql"
"$SPATE" run --threads 0 x.sql > /dev/null 2> e.out; rc=$?
check "--threads 0 is refused" test $rc = 2
"$SPATE" demo --print-sql > d.sql
check "demo --print-sql prints the SQL" contains d.sql "CREATE SOURCE page_views"
"$SPATE" explain d.sql > x.out; rc=$?
check "the demo SQL explains" test $rc = 0
finish

#!/usr/bin/env bash
# `spate demo` streams generated page views and prints batches within
# seconds.
. "$(dirname "$0")/lib.sh"

timeout 30 "$SPATE" demo --duration 5 --rate 500 > out.txt 2> err.txt; rc=$?
check "demo exits 0 after --duration" test $rc = 0
check "demo prints batch 0" contains out.txt "Batch: 0"
check "demo prints batch 1" contains out.txt "Batch: 1"
check "demo shows the action column" grep -qE '\|\s*action\|' out.txt
check "demo shows product urls" grep -qE '/products' out.txt
check "demo shows CLICK or PURCHASE" grep -qE 'CLICK|PURCHASE' out.txt
check "demo filters out views" bash -c "! grep -q '|  *VIEW|' out.txt"
finish

#!/usr/bin/env bash
# Runs one SQL golden case: a directory with
#   query.sql        the pipeline (paths relative to the case directory)
#   input/...        input files (copied to a scratch directory first)
#   expected.out     exact standard output of `spate run`
#   expected.err     (optional) lines that must appear in standard error
#   expected.files   (optional) `path: content` lines checked after the run
#   args             (optional) extra arguments for `spate run`
#   exit_code        (optional) expected exit status (default 0)
#   sort             (optional) compare stdout sorted (row order inside a
#                    batch is unspecified for aggregations, as in Spark)
# Set UPDATE=1 to print what the case produced instead of comparing.
set -u
case_dir=$(cd "$1" && pwd)
name=$(basename "$case_dir")
: "${SPATE:?SPATE must point to the spate binary}"
tmp="${SPATE_TEST_TMP:-/tmp}/sql-$name.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
cp -r "$case_dir"/. "$tmp"/
cd "$tmp"
args=()
[ -f args ] && read -r -a args < args
"$SPATE" run query.sql --checkpoint ckpt --no-status "${args[@]}" >actual.out 2>actual.err
rc=$?
if [ -f sort ]; then LC_ALL=C sort actual.out > actual.sorted && mv actual.sorted actual.out; fi
want_rc=0
[ -f exit_code ] && want_rc=$(cat exit_code)
fail=0
if [ "${UPDATE:-0}" = 1 ]; then
  echo "== exit $rc"; echo "== stdout"; cat actual.out; echo "== stderr"; cat actual.err
  exit 0
fi
if [ "$rc" != "$want_rc" ]; then
  echo "FAIL $name: exit status $rc, expected $want_rc"; fail=1
fi
if [ ! -f expected.out ]; then
  echo "FAIL $name: no expected.out (run with UPDATE=1 to see the output)"; fail=1
elif ! diff -u expected.out actual.out; then
  echo "FAIL $name: standard output differs (- expected, + actual)"; fail=1
fi
if [ -f expected.err ]; then
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    if ! grep -qF -- "$line" actual.err; then
      echo "FAIL $name: standard error lacks: $line"; fail=1
    fi
  done < expected.err
fi
if [ -f expected.files ]; then
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    f=${line%%: *}; want=${line#*: }
    got=$(cat $f 2>/dev/null | sort | tr '\n' '|')
    if [ "$got" != "$want" ]; then
      echo "FAIL $name: $f is '$got', expected '$want'"; fail=1
    fi
  done < expected.files
fi
if [ $fail = 1 ]; then
  echo "--- stderr ---"; cat actual.err
  exit 1
fi
rm -rf "$tmp"
echo "ok $name"

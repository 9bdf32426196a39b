# Shared helpers for the end-to-end tests (sourced, not run).
set -u
: "${SPATE:?SPATE must point to the spate binary}"
T="${SPATE_TEST_TMP:-/tmp}/e2e-$(basename "$0" .sh).$$"
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { # check "description" command...
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else fail "$what"; fi
}
contains() { grep -qF -- "$2" "$1"; }
finish() {
  if [ "$failures" -gt 0 ]; then echo "$failures check(s) failed; files in $T"; exit 1; fi
  rm -rf "$T"; echo "all checks passed"; exit 0
}

#!/usr/bin/env bash
# Installs the Debian packages spate needs to build and test, only those
# missing. Idempotent and quick when everything is present.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh bench      also node/npm and DuckDB for make bench,
#                                      and the JSON libraries bench/json_libs.sh
#                                      compares spate's reader with
set -euo pipefail
want=(build-essential cmake pkg-config)
[ "${1:-}" = bench ] && want+=(nodejs npm
  libsimdjson-dev libyajl-dev libjansson-dev libjson-c-dev)

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may be present from another source with npm bundled.
if [ "${1:-}" = bench ] && command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
if [ "${1:-}" = bench ]; then
  here=$(cd "$(dirname "$0")/.." && pwd)
  if [ ! -d "$here/bench/node_modules/@duckdb/node-api" ]; then
    echo "install-deps: installing DuckDB for node into bench/node_modules"
    (cd "$here/bench" && npm install --no-audit --no-fund --silent @duckdb/node-api)
  fi
fi

#!/usr/bin/env bash
# bench/json_libs.sh -- spate's JSON-lines reader against the JSON parsers
# Debian ships (simdjson, yajl, jansson, json-c): the same bytes, the same
# job (7 fields into columns), one core. See bench/README.md "JSON readers
# compared".
#
#   bash bench/json_libs.sh           200k generated events, best of 10
#   QUICK=1 bash bench/json_libs.sh   20k events, best of 3 (a smoke run)
#
# Builds json_libs_bench if needed (the libraries come from
# `scripts/install-deps.sh bench`; those pkg-config finds are built in),
# runs it, and appends one JSON record to
# bench/results/<UTC date>-jsonlibs.jsonl (QUICK=1: to the git-ignored
# bench/results/quick-jsonlibs.jsonl.tmp).
#
# Environment:
#   EVENTS=N     events generated in memory, as fmt_bench generates them
#                (default 200000, ~52 MB; QUICK=1: 20000)
#   FILE=path    parse this JSON-lines file instead (e.g. one written by
#                build/release/ysb_gen); read into memory first
#   REPS=R       timed passes per parser, interleaved; the best is reported
#                (default 10; QUICK=1: 3)
#   PARSERS=a,b  only these besides spate (simdjson, simdjson-views, yajl,
#                jansson, json-c)
#   CPU=n        pin the run to this CPU with taskset (default 0; empty:
#                no pinning)
#   BUILD=dir    build directory (default build/release; configured as a
#                Release build when it has no CMakeCache.txt)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  EVENTS=${EVENTS:-20000}
  REPS=${REPS:-3}
else
  EVENTS=${EVENTS:-200000}
  REPS=${REPS:-10}
fi
FILE=${FILE:-}
PARSERS=${PARSERS:-}
CPU=${CPU-0}
BUILD=${BUILD:-build/release}

# Configure (again: a library installed since is then found) and build.
cfg=(-S . -B "$BUILD")
[ -f "$BUILD/CMakeCache.txt" ] || cfg+=(-DCMAKE_BUILD_TYPE=Release)
if ! conf=$(cmake "${cfg[@]}" 2>&1); then
  echo "$conf" >&2
  exit 1
fi
if ! grep -q 'json_libs_bench: with' <<<"$conf"; then
  echo "json_libs: no JSON library found by pkg-config; install them with" \
       "scripts/install-deps.sh bench" >&2
  exit 1
fi
cmake --build "$BUILD" --target json_libs_bench -j "$(nproc)" >/dev/null
bin=$BUILD/json_libs_bench
simdjson_flags=$(sed -n 's/^SP_JSONLIB_SIMDJSON_FLAGS:STRING=//p' "$BUILD/CMakeCache.txt")

NPROC=$(nproc)
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
echo "json_libs: $NPROC cores ($CPU_MODEL), load average $LOAD0" \
     "${CPU:+(pinned to CPU $CPU)}"
if awk -v l="$LOAD0" 'BEGIN { exit !(l > 0.5) }'; then
  echo "json_libs: warning: the machine is busy (load $LOAD0): figures will be noisy"
fi

pin=()
if [ -n "$CPU" ]; then
  if command -v taskset >/dev/null; then
    pin=(taskset -c "$CPU")
  else
    echo "json_libs: taskset not found: not pinned" >&2
    CPU=""
  fi
fi
args=(--reps "$REPS")
if [ -n "$FILE" ]; then args+=(--file "$FILE"); else args+=(--events "$EVENTS"); fi
[ -z "$PARSERS" ] || args+=(--parsers "$PARSERS")
part=$(mktemp)
trap 'rm -f "$part"' EXIT
"${pin[@]}" "$bin" "${args[@]}" --json "$part"
LOAD1=$(cut -d' ' -f1 /proc/loadavg)

out=bench/results/$(date -u +%Y-%m-%d)-jsonlibs.jsonl
[ "$QUICK" = 1 ] && out=bench/results/quick-jsonlibs.jsonl.tmp
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
dirty=false
[ -n "$(git status --porcelain -- src include bench/json_libs_bench.c \
        bench/json_libs.h 'bench/jsonlib_*' 2>/dev/null)" ] && dirty=true
rec="{\"workload\":\"jsonlibs\",\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
rec+="\"commit\":\"$commit\",\"src_dirty\":$dirty,"
rec+="\"quick\":$([ "$QUICK" = 1 ] && echo true || echo false),"
rec+="\"machine\":{\"nproc\":$NPROC,\"cpu\":\"${CPU_MODEL//\"/}\","
rec+="\"mem_kb\":$(awk '/MemTotal/ { print $2 }' /proc/meminfo),\"kernel\":\"$(uname -r)\","
rec+="\"load_avg_at_start\":$LOAD0,\"load_avg_at_end\":$LOAD1},"
rec+="\"pinned_cpu\":\"$CPU\",\"compiler\":\"$(cc --version | head -1)\","
rec+="\"simdjson_flags\":\"$simdjson_flags\",\"result\":$(cat "$part")}"
mkdir -p bench/results
echo "$rec" >>"$out"
echo "json_libs: load average $LOAD1 at the end; record appended to $out"

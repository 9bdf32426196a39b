#!/usr/bin/env bash
# bench/run.sh -- spate against DuckDB on Yahoo Streaming Benchmark events,
# per core. See bench/README.md.
#
#   bash bench/run.sh                 full run (4M events, 0.98 GB)
#   QUICK=1 bash bench/run.sh         CI smoke size (200k events), 1 rep
#
# Environment:
#   EVENTS=N       events to generate (default 4000000; QUICK=1: 200000)
#   SEED=S         generator seed (default 42)
#   THREADS="1 2"  thread counts to run (default: 1 and nproc)
#   REPS=R         runs per system and thread count, interleaved; the best
#                  is reported (default 5; QUICK=1: 1)
#   SPATE=path     spate binary (default build/release/spate)
#   GEN=path       generator (default build/release/ysb_gen)
#   TMPDIR         where outputs and checkpoints go (removed at exit)
#   SKIP_DUCKDB=1  spate only (no ratio)
#   CHECK_CONTENT=0  skip comparing the sorted outputs of spate and DuckDB
#
# Workload "stateless": SELECT ad_id, event_time FROM events
# WHERE event_type = 'view': a JSON-lines file in, JSON-lines files out.
# Appends one JSON record per run to bench/results/<date>-stateless.jsonl
# (QUICK=1: to the git-ignored bench/results/quick-stateless.jsonl.tmp).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  EVENTS=${EVENTS:-200000}
  REPS=${REPS:-1}
else
  EVENTS=${EVENTS:-4000000}
  REPS=${REPS:-5}
fi
SEED=${SEED:-42}
NPROC=$(nproc)
if [ -z "${THREADS:-}" ]; then
  THREADS=1
  [ "$NPROC" -gt 1 ] && THREADS="1 $NPROC"
fi
SPATE=${SPATE:-build/release/spate}
GEN=${GEN:-build/release/ysb_gen}
SKIP_DUCKDB=${SKIP_DUCKDB:-0}
CHECK_CONTENT=${CHECK_CONTENT:-1}

die() { echo "bench: FAILED: $*" >&2; exit 1; }

[ -x "$SPATE" ] || die "$SPATE not found: build it first (make build)"
[ -x "$GEN" ] || die "$GEN not found: build it first (make build)"
if [ "$SKIP_DUCKDB" != 1 ]; then
  command -v node >/dev/null || die "node not found: run scripts/install-deps.sh bench"
  [ -d bench/node_modules/@duckdb/node-api ] ||
    die "DuckDB for node missing: run scripts/install-deps.sh bench"
fi

TIMEBIN=""
[ -x /usr/bin/time ] && TIMEBIN=/usr/bin/time

work=$(mktemp -d "${TMPDIR:-/tmp}/spate-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- helpers ------------------------------------------------------------------
now() { date +%s.%N; }
calc() { awk "BEGIN { $1 }"; }                       # calc 'printf "%.2f", 1/3'
best() { printf '%s\n' "$@" | sed '/^$/d' | sort -g | head -1; }   # smallest
most() { printf '%s\n' "$@" | sed '/^$/d' | sort -g | tail -1; }   # largest
jlist() { local IFS=,; echo "$*"; }
jnum() { [ -n "$1" ] && echo "$1" || echo null; }
jfield() { # jfield KEY JSON: a top-level number or string field of JSON
  printf '%s' "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
# timed CMD...: runs CMD; sets T (wall s), CPU (user+sys s) and RSS (peak
# KiB) -- the last two empty without /usr/bin/time. Returns CMD's status.
timed() {
  local t0 t1 rc=0
  t0=$(now)
  if [ -n "$TIMEBIN" ]; then
    "$TIMEBIN" -f '%M %U %S' -o "$work/time" "$@" || rc=$?
  else
    "$@" || rc=$?
  fi
  t1=$(now)
  T=$(calc "printf \"%.4f\", $t1 - $t0")
  CPU="" RSS=""
  if [ -n "$TIMEBIN" ]; then
    read -r RSS u s < <(tail -1 "$work/time")
    CPU=$(calc "printf \"%.2f\", $u + $s")
  fi
  return $rc
}

# ---- data ---------------------------------------------------------------------
# bench/data/ysb-<events>-s<seed>/ holds only events.json: spate's file
# source reads every file of the directory. The campaigns table (for later
# workloads) sits beside it; <dir>.meta records what was generated.
data_dir=bench/data/ysb-$EVENTS-s$SEED
data=$data_dir/events.json
meta=$data_dir.meta
want_meta="events=$EVENTS seed=$SEED"
if [ -f "$data" ] && [ -f "$meta" ] &&
   [ "$(head -1 "$meta")" = "$want_meta" ] &&
   [ "$(sed -n 2p "$meta")" = "bytes=$(stat -c %s "$data")" ]; then
  echo "bench: using $data ($want_meta)"
else
  echo "bench: generating $data ($want_meta)"
  rm -rf "$data_dir" "$meta"
  mkdir -p "$data_dir"
  "$GEN" --campaigns "bench/data/campaigns-s$SEED.csv" "$data" "$EVENTS" "$SEED"
  printf '%s\nbytes=%s\n' "$want_meta" "$(stat -c %s "$data")" >"$meta"
fi
BYTES=$(stat -c %s "$data")
MB=$(calc "printf \"%.1f\", $BYTES / 1e6")
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
LOAD0=$(cut -d' ' -f1 /proc/loadavg)

# Warm the page cache so every system reads from memory.
cat "$data" >/dev/null

echo "bench: $EVENTS events, $MB MB, $NPROC cores ($CPU_MODEL), best of $REPS, load average $LOAD0"
if calc "exit !($LOAD0 > 0.5)"; then
  echo "bench: warning: the machine is busy (load $LOAD0): figures will be noisy"
fi

# One table line: name threads seconds rows_out cpu_s rss_kb
printf '\n%-22s %9s %7s %10s %9s %8s %9s\n' system Mrows/s MB/s Mrows/s/core rows_out cpu_s peak_RSS
line() {
  local rss=n/a
  [ -n "$6" ] && rss="$(($6 / 1024)) MB"
  printf '%-22s %9s %7s %10s %9s %8s %9s\n' "$1" \
    "$(calc "printf \"%.2f\", $EVENTS / $3 / 1e6")" \
    "$(calc "printf \"%.0f\", $BYTES / $3 / 1e6")" \
    "$(calc "printf \"%.2f\", $EVENTS / $3 / $2 / 1e6")" \
    "$4" "${5:-n/a}" "$rss"
}

# ---- floor: reading the bytes ---------------------------------------------------
ts=()
for ((r = 0; r < REPS; r++)); do
  timed sh -c "wc -l < '$data' > '$work/wc'" || die "wc failed"
  ts+=("$T")
done
WC_S=$(best "${ts[@]}")
WC_ROWS=$(tr -d ' ' <"$work/wc")
[ "$WC_ROWS" = "$EVENTS" ] || die "wc -l says $WC_ROWS lines, expected $EVENTS"
line "wc -l" 1 "$WC_S" "$WC_ROWS" "" ""
ts=()
for ((r = 0; r < REPS; r++)); do
  timed sh -c "grep -c '\"event_type\":\"view\"' '$data' > '$work/grep'" || die "grep failed"
  ts+=("$T")
done
GREP_S=$(best "${ts[@]}")
VIEWS=$(cat "$work/grep")
line "grep -c view" 1 "$GREP_S" "$VIEWS" "" ""

# ---- one run of each system ---------------------------------------------------
spate_once() { # threads
  local th=$1
  rm -rf "$work/sp"
  mkdir -p "$work/sp/out"
  cat >"$work/sp/q.sql" <<EOF
CREATE SOURCE events (user_id VARCHAR, page_id VARCHAR, ad_id VARCHAR,
  ad_type VARCHAR, event_type VARCHAR, event_time BIGINT, ip_address VARCHAR)
  WITH (connector = 'file', path = '$root/$data_dir', format = 'json');
CREATE SINK out WITH (connector = 'file', path = '$work/sp/out', format = 'json')
  AS SELECT ad_id, event_time FROM events WHERE event_type = 'view';
SET trigger = once;
EOF
  timed "$SPATE" run "$work/sp/q.sql" --threads "$th" \
    --checkpoint "$work/sp/ckpt" --progress "$work/sp/progress.jsonl" \
    --no-status || die "spate run failed at $th threads (status $?)"
  local out_rows prog_rows in_rows
  out_rows=$(find "$work/sp/out" -maxdepth 1 -type f -name 'part-*' -exec cat {} + | wc -l)
  prog_rows=$(grep -o '"numOutputRows":[0-9]*' "$work/sp/progress.jsonl" |
    awk -F: '{ s += $2 } END { print s + 0 }')
  # numInputRows is both top-level and per source: take the top-level one.
  in_rows=$(sed 's/"sources".*//' "$work/sp/progress.jsonl" |
    grep -o '"numInputRows":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }')
  [ "$out_rows" = "$VIEWS" ] ||
    die "spate wrote $out_rows rows at $th threads, expected $VIEWS (grep -c)"
  [ "$prog_rows" = "$out_rows" ] ||
    die "spate's progress says $prog_rows output rows, its files hold $out_rows"
  [ "$in_rows" = "$EVENTS" ] ||
    die "spate's progress says $in_rows input rows, expected $EVENTS"
}

DD_VER=""
duck_once() { # threads mode expected_rows; sets T (query s), CPU, RSS
  local th=$1 mode=$2 want=$3 rec rows
  rm -f "$work/duck.json"
  timed node bench/duckdb_query.mjs --file "$data" --threads "$th" \
    --mode "$mode" --out "$work/duck.json" >"$work/dd.out" ||
    die "DuckDB ($mode) failed at $th threads"
  rec=$(tail -1 "$work/dd.out")
  rows=$(jfield rows "$rec")
  [ "$rows" = "$want" ] ||
    die "DuckDB ($mode) gave $rows rows at $th threads, expected $want"
  PROC_T=$T
  T=$(jfield query_s "$rec")
  CPU=$(calc "printf \"%.2f\", $(jfield cpu_s "$rec")")
  DD_VER=$(jfield duckdb_version "$rec")
}

# ---- the systems, interleaved ---------------------------------------------------
results=()
declare -A SP_S DD_S
for th in $THREADS; do
  sp_t=() sp_c=() sp_r=() dd_t=() dd_c=() dd_r=() dd_p=() dc_t=() dc_c=() dc_r=()
  for ((r = 0; r < REPS; r++)); do
    spate_once "$th"
    sp_t+=("$T") sp_c+=("$CPU") sp_r+=("$RSS")
    if [ "$SKIP_DUCKDB" != 1 ]; then
      duck_once "$th" count "$EVENTS"
      dc_t+=("$T") dc_c+=("$CPU") dc_r+=("$RSS")
      duck_once "$th" copy "$VIEWS"   # last: its output is checked below
      dd_t+=("$T") dd_c+=("$CPU") dd_r+=("$RSS") dd_p+=("$PROC_T")
    fi
  done
  SP_S[$th]=$(best "${sp_t[@]}")
  line "spate t=$th" "$th" "${SP_S[$th]}" "$VIEWS" "$(best "${sp_c[@]}")" "$(most "${sp_r[@]}")"
  frag="{\"threads\":$th,\"spate\":{\"best_s\":${SP_S[$th]},\"times_s\":[$(jlist "${sp_t[@]}")],"
  frag+="\"cpu_s\":[$(jlist "${sp_c[@]}")],"
  frag+="\"rows_per_s\":$(calc "printf \"%.0f\", $EVENTS / ${SP_S[$th]}"),"
  frag+="\"mb_per_s\":$(calc "printf \"%.1f\", $BYTES / ${SP_S[$th]} / 1e6"),"
  frag+="\"rows_per_s_per_core\":$(calc "printf \"%.0f\", $EVENTS / ${SP_S[$th]} / $th"),"
  frag+="\"peak_rss_kb\":$(jnum "$(most "${sp_r[@]}")")}"
  if [ "$SKIP_DUCKDB" != 1 ]; then
    DD_S[$th]=$(best "${dd_t[@]}")
    dc_s=$(best "${dc_t[@]}")
    line "duckdb t=$th" "$th" "${DD_S[$th]}" "$VIEWS" "$(best "${dd_c[@]}")" "$(most "${dd_r[@]}")"
    line "duckdb count(*) t=$th" "$th" "$dc_s" "$EVENTS" "$(best "${dc_c[@]}")" "$(most "${dc_r[@]}")"
    ratio=$(calc "printf \"%.2f\", ${DD_S[$th]} / ${SP_S[$th]}")
    echo "  spate / DuckDB at $th thread(s): ${ratio}x DuckDB's throughput"
    frag+=",\"duckdb\":{\"best_s\":${DD_S[$th]},\"times_s\":[$(jlist "${dd_t[@]}")],"
    frag+="\"process_s\":[$(jlist "${dd_p[@]}")],\"cpu_s\":[$(jlist "${dd_c[@]}")],"
    frag+="\"rows_per_s\":$(calc "printf \"%.0f\", $EVENTS / ${DD_S[$th]}"),"
    frag+="\"mb_per_s\":$(calc "printf \"%.1f\", $BYTES / ${DD_S[$th]} / 1e6"),"
    frag+="\"rows_per_s_per_core\":$(calc "printf \"%.0f\", $EVENTS / ${DD_S[$th]} / $th"),"
    frag+="\"peak_rss_kb\":$(jnum "$(most "${dd_r[@]}")")},"
    frag+="\"duckdb_count\":{\"best_s\":$dc_s,\"times_s\":[$(jlist "${dc_t[@]}")],"
    frag+="\"rows_per_s\":$(calc "printf \"%.0f\", $EVENTS / $dc_s"),"
    frag+="\"peak_rss_kb\":$(jnum "$(most "${dc_r[@]}")")},"
    frag+="\"spate_over_duckdb\":$ratio"

    if [ "$CHECK_CONTENT" = 1 ] && [ "$th" = "${THREADS##* }" ]; then
      # The same rows, whatever the order and the split into files.
      # Whitespace is dropped: the writers may space differently.
      norm() { sed -e 's/[[:space:]]//g' | LC_ALL=C sort; }
      find "$work/sp/out" -maxdepth 1 -type f -name 'part-*' -exec cat {} + | norm >"$work/sp.sorted"
      norm <"$work/duck.json" >"$work/dd.sorted"
      if cmp -s "$work/sp.sorted" "$work/dd.sorted"; then
        echo "  outputs identical ($VIEWS rows, sorted)"
      else
        diff "$work/sp.sorted" "$work/dd.sorted" | head -6 >&2 || true
        die "spate's and DuckDB's outputs differ (sorted; diff above)"
      fi
    fi
  fi
  frag+="}"
  results+=("$frag")
done

# ---- scaling ------------------------------------------------------------------
first=${THREADS%% *}
last=${THREADS##* }
SCALING=null
if [ "$first" != "$last" ]; then
  SCALING=$(calc "printf \"%.2f\", ${SP_S[$first]} / ${SP_S[$last]}")
  echo
  echo "spate scaling $first -> $last threads: ${SCALING}x"
  if [ "$SKIP_DUCKDB" != 1 ]; then
    echo "DuckDB scaling $first -> $last threads: $(calc "printf \"%.2f\", ${DD_S[$first]} / ${DD_S[$last]}")x"
  fi
fi

# ---- record ---------------------------------------------------------------------
mkdir -p bench/results
out=bench/results/$(date -u +%Y-%m-%d)-stateless.jsonl
# Smoke runs are not results: they go to a git-ignored file.
[ "$QUICK" = 1 ] && out=bench/results/quick-stateless.jsonl.tmp
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
dirty=false
[ -n "$(git status --porcelain -- src include 2>/dev/null)" ] && dirty=true
rec="{\"workload\":\"stateless\",\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
rec+="\"commit\":\"$commit\",\"src_dirty\":$dirty,\"quick\":$([ "$QUICK" = 1 ] && echo true || echo false),"
rec+="\"machine\":{\"nproc\":$NPROC,\"cpu\":\"${CPU_MODEL//\"/}\","
rec+="\"mem_kb\":$(awk '/MemTotal/ { print $2 }' /proc/meminfo),\"kernel\":\"$(uname -r)\","
rec+="\"load_avg_at_start\":$LOAD0},"
rec+="\"data\":{\"events\":$EVENTS,\"seed\":$SEED,\"bytes\":$BYTES,\"views\":$VIEWS},"
rec+="\"reps\":$REPS,\"duckdb_version\":\"$DD_VER\","
rec+="\"query\":\"SELECT ad_id, event_time FROM events WHERE event_type = 'view'\","
rec+="\"floor\":{\"wc_l_s\":$WC_S,\"grep_c_s\":$GREP_S},"
rec+="\"runs\":[$(jlist "${results[@]}")],\"spate_scaling\":$SCALING}"
printf '%s\n' "$rec" >>"$out"
echo
echo "bench: appended to $out"

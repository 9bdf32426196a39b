#!/usr/bin/env bash
# bench/run.sh -- spate against DuckDB, per core, on the same generated
# data. See bench/README.md.
#
#   bash bench/run.sh                 full run (4M events, 0.98 GB; 5M kv rows)
#   QUICK=1 bash bench/run.sh         CI smoke size (200k events; 500k kv rows), 1 rep
#
# Environment:
#   EVENTS=N       events to generate (default 4000000; QUICK=1: 200000)
#   YSBMEM_EVENTS=N  events of the ysbmem workload (default 100000000;
#                  QUICK=1: 2000000)
#   SEED=S         generator seed (default 42)
#   THREADS="1 2"  thread counts to run (default: 1 and nproc)
#   REPS=R         runs per system and thread count, interleaved; the best
#                  is reported (default 5; QUICK=1: 1)
#   SPATE=path     spate binary (default build/release/spate)
#   GEN=path       generator (default build/release/ysb_gen)
#   KVGEN=path     hicard generator (default build/release/kv_gen)
#   PVGEN=path     pageview generator (default build/release/pv_gen)
#   WORKLOADS="stateless ysb ysbmem hicard pageview latency idle"  which workloads
#                  to run, in order
#   KV_ROWS=N      hicard rows (default 5000000; QUICK=1: 500000)
#   KV_KEYS=K      hicard distinct keys (default 1000000; QUICK=1: 100000)
#   PV_ROWS=N      pageview rows (default 5000000; QUICK=1: 200000)
#   PV_URLS=U      pageview distinct URLs, Zipf (default 100000; QUICK=1: 10000)
#   PV_FILES=F     pageview files = micro-batches (default 50; QUICK=1: 10)
#   LAT_ROWS=N     rows per micro-batch of the latency workload (default 1000)
#   LAT_BATCHES=B  its micro-batches (default 200; QUICK=1: 50)
#   TMPDIR         where outputs and checkpoints go (removed at exit)
#   SKIP_DUCKDB=1  spate only (no ratio)
#   CHECK_CONTENT=0  skip comparing the sorted outputs of spate and DuckDB
#
# Workloads (each appends one JSON record per run to
# bench/results/<date>-<workload>.jsonl; QUICK=1: to the git-ignored
# bench/results/quick-<workload>.jsonl.tmp):
#   stateless  SELECT ad_id, event_time FROM events WHERE event_type = 'view':
#              a JSON-lines file in, JSON-lines files out
#   ysb        the Yahoo Streaming Benchmark query: views joined to the
#              campaigns table, count per campaign per 10 s tumbling window
#   ysbmem     the same query on spate's in-memory YSB source (connector
#              'ysb', no files, no parsing); spate only, checked against
#              ysb_gen's brute-force counts of the same events
#   hicard     SELECT k, count(*), sum(v) GROUP BY k over KV_KEYS distinct
#              keys (update mode, one batch)
#   pageview   the README's running count per URL, SELECT url, count(*)
#              GROUP BY url, one file per micro-batch (update mode), with
#              the batches' p50/p99 latency; DuckDB counts all files once
#   latency    the pageview query on 1,000-row micro-batches: p50/p99/max
#              batch time, spate only
#   idle       resident memory of `spate run` waiting for data
#              (bench/idle_rss.sh)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  EVENTS=${EVENTS:-200000}
  REPS=${REPS:-1}
  KV_ROWS=${KV_ROWS:-500000}
  KV_KEYS=${KV_KEYS:-100000}
  YSBMEM_EVENTS=${YSBMEM_EVENTS:-2000000}
  PV_ROWS=${PV_ROWS:-200000}
  PV_URLS=${PV_URLS:-10000}
  PV_FILES=${PV_FILES:-10}
  LAT_BATCHES=${LAT_BATCHES:-50}
else
  EVENTS=${EVENTS:-4000000}
  REPS=${REPS:-5}
  KV_ROWS=${KV_ROWS:-5000000}
  KV_KEYS=${KV_KEYS:-1000000}
  YSBMEM_EVENTS=${YSBMEM_EVENTS:-100000000}
  PV_ROWS=${PV_ROWS:-5000000}
  PV_URLS=${PV_URLS:-100000}
  PV_FILES=${PV_FILES:-50}
  LAT_BATCHES=${LAT_BATCHES:-200}
fi
LAT_ROWS=${LAT_ROWS:-1000}
WORKLOADS=${WORKLOADS:-stateless ysb ysbmem hicard pageview latency idle}
has() { case " $WORKLOADS " in *" $1 "*) return 0 ;; esac; return 1; }
SEED=${SEED:-42}
NPROC=$(nproc)
if [ -z "${THREADS:-}" ]; then
  THREADS=1
  [ "$NPROC" -gt 1 ] && THREADS="1 $NPROC"
fi
SPATE=${SPATE:-build/release/spate}
GEN=${GEN:-build/release/ysb_gen}
KVGEN=${KVGEN:-build/release/kv_gen}
PVGEN=${PVGEN:-build/release/pv_gen}
SKIP_DUCKDB=${SKIP_DUCKDB:-0}
CHECK_CONTENT=${CHECK_CONTENT:-1}

die() { echo "bench: FAILED: $*" >&2; exit 1; }

[ -x "$SPATE" ] || die "$SPATE not found: build it first (make build)"
[ -x "$GEN" ] || die "$GEN not found: build it first (make build)"
if has hicard; then
  [ -x "$KVGEN" ] || die "$KVGEN not found: build it first (make build)"
fi
if has pageview || has latency; then
  [ -x "$PVGEN" ] || die "$PVGEN not found: build it first (make build)"
fi
for w in $WORKLOADS; do
  case $w in stateless | ysb | ysbmem | hicard | pageview | latency | idle) ;; *) die "unknown workload $w" ;; esac
done
# ysbmem runs spate alone: DuckDB is needed only by the file workloads.
if [ "$SKIP_DUCKDB" != 1 ] && { has stateless || has ysb || has hicard || has pageview; }; then
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
# workloads) sits beside it; <dir>.meta records what was generated. Only
# the file workloads need the events file; ysbmem needs the campaigns table.
data_dir=bench/data/ysb-$EVENTS-s$SEED
data=$data_dir/events.json
meta=$data_dir.meta
want_meta="events=$EVENTS seed=$SEED"
campaigns=bench/data/campaigns-s$SEED.csv
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
BYTES=0 VIEWS=0
if has stateless || has ysb; then
if [ -f "$data" ] && [ -f "$meta" ] && [ -f "$campaigns" ] &&
   [ "$(head -1 "$meta")" = "$want_meta" ] &&
   [ "$(sed -n 2p "$meta")" = "bytes=$(stat -c %s "$data")" ]; then
  echo "bench: using $data ($want_meta)"
else
  echo "bench: generating $data ($want_meta)"
  rm -rf "$data_dir" "$meta"
  mkdir -p "$data_dir"
  "$GEN" --campaigns "$campaigns" "$data" "$EVENTS" "$SEED"
  printf '%s\nbytes=%s\n' "$want_meta" "$(stat -c %s "$data")" >"$meta"
fi
BYTES=$(stat -c %s "$data")
MB=$(calc "printf \"%.1f\", $BYTES / 1e6")

# Warm the page cache so every system reads from memory.
cat "$data" >/dev/null

echo "bench: $EVENTS events, $MB MB, $NPROC cores ($CPU_MODEL), best of $REPS, load average $LOAD0"
else
  # The same table the events' generator writes for this seed.
  [ -f "$campaigns" ] || "$GEN" --campaigns "$campaigns" --no-events --quiet - 0 "$SEED"
  echo "bench: $NPROC cores ($CPU_MODEL), best of $REPS, load average $LOAD0"
fi
if calc "exit !($LOAD0 > 0.5)"; then
  echo "bench: warning: the machine is busy (load $LOAD0): figures will be noisy"
fi

# One table line: name threads seconds rows_out cpu_s rss_kb, for IN_ROWS
# input rows of IN_BYTES bytes (set per workload).
header() {
  printf '\n%-22s %9s %7s %10s %9s %8s %9s\n' system Mrows/s MB/s Mrows/s/core rows_out cpu_s peak_RSS
}
line() {
  local rss=n/a
  [ -n "$6" ] && rss="$(($6 / 1024)) MB"
  printf '%-22s %9s %7s %10s %9s %8s %9s\n' "$1" \
    "$(calc "printf \"%.2f\", $IN_ROWS / $3 / 1e6")" \
    "$(calc "printf \"%.0f\", $IN_BYTES / $3 / 1e6")" \
    "$(calc "printf \"%.2f\", $IN_ROWS / $3 / $2 / 1e6")" \
    "$4" "${5:-n/a}" "$rss"
}
machine_json() {
  local m="{\"nproc\":$NPROC,\"cpu\":\"${CPU_MODEL//\"/}\","
  m+="\"mem_kb\":$(awk '/MemTotal/ { print $2 }' /proc/meminfo),\"kernel\":\"$(uname -r)\","
  m+="\"load_avg_at_start\":$(cut -d' ' -f1 /proc/loadavg)}"
  echo "$m"
}
record_file() { # workload
  local out=bench/results/$(date -u +%Y-%m-%d)-$1.jsonl
  # Smoke runs are not results: they go to a git-ignored file.
  [ "$QUICK" = 1 ] && out=bench/results/quick-$1.jsonl.tmp
  echo "$out"
}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
# scaling_of ASSOC: the first thread count's best time over the last's
# (an associative array threads -> best seconds); "null" with one count.
scaling_of() {
  local -n bt=$1
  local first=${THREADS%% *} last=${THREADS##* }
  if [ "$first" = "$last" ]; then echo null; else
    calc "printf \"%.2f\", ${bt[$first]} / ${bt[$last]}"
  fi
}
# record_head WORKLOAD LOAD0: the fields every record starts with.
record_head() {
  printf '{"workload":"%s","date":"%s","commit":"%s","src_dirty":%s,"quick":%s,' \
    "$1" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$commit" "$dirty" \
    "$([ "$QUICK" = 1 ] && echo true || echo false)"
  printf '"machine":{"nproc":%s,"cpu":"%s","mem_kb":%s,"kernel":"%s","load_avg_at_start":%s},' \
    "$NPROC" "${CPU_MODEL//\"/}" "$(awk '/MemTotal/ { print $2 }' /proc/meminfo)" \
    "$(uname -r)" "$2"
}

dirty=false
[ -n "$(git status --porcelain -- src include 2>/dev/null)" ] && dirty=true
# The views: the stateless workload's output rows, the sum of YSB's counts.
[ "$BYTES" = 0 ] || VIEWS=$(grep -c '"event_type":"view"' "$data")
DD_VER=""

if has stateless; then
echo
echo "== workload stateless: SELECT ad_id, event_time FROM events WHERE event_type = 'view'"
IN_ROWS=$EVENTS IN_BYTES=$BYTES
header
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
out=$(record_file stateless)
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
fi # stateless

# ---- stateful workloads: ysb and hicard ---------------------------------------
# Both are one aggregation on one batch (trigger once, output mode update):
# spate emits every group once, which is DuckDB's whole GROUP BY result.
# Checks on every rep: spate's numInputRows is the input row count; its
# output files hold numOutputRows rows; DuckDB wrote as many rows; the sum
# of the count column (spate's and DuckDB's) is the expected total (YSB:
# the views, all of which join; hicard: the rows). At the last thread count
# the sorted outputs are compared row for row (CHECK_CONTENT=1).

# sumcol FIELD FILE...: the sum of the integer field FIELD over JSON lines.
sumcol() {
  local f=$1
  shift
  cat "$@" | sed -n "s/.*\"$f\":\([0-9]*\).*/\1/p" | awk '{ s += $1 } END { printf "%d\n", s }'
}

# spate_agg THREADS: runs $work/sa/q.sql (written by the caller, output in
# $work/sa/out); sets T, CPU, RSS, SA_ROWS, SA_SUM, STATE_ROWS, STATE_BYTES.
spate_agg() {
  local th=$1 prog_rows in_rows last
  rm -rf "$work/sa/out" "$work/sa/ckpt" "$work/sa/progress.jsonl"
  mkdir -p "$work/sa/out"
  timed "$SPATE" run "$work/sa/q.sql" --threads "$th" \
    --checkpoint "$work/sa/ckpt" --progress "$work/sa/progress.jsonl" \
    --no-status || die "spate ($W) failed at $th threads (status $?)"
  SA_ROWS=$(find "$work/sa/out" -maxdepth 1 -type f -name 'part-*' -exec cat {} + | wc -l)
  SA_SUM=$(sumcol "$COUNT_COL" "$work"/sa/out/part-*)
  prog_rows=$(grep -o '"numOutputRows":[0-9]*' "$work/sa/progress.jsonl" |
    awk -F: '{ s += $2 } END { print s + 0 }')
  in_rows=$(sed 's/"sources".*//' "$work/sa/progress.jsonl" |
    grep -o '"numInputRows":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }')
  [ "$in_rows" = "$IN_ROWS" ] ||
    die "spate ($W) progress says $in_rows input rows, expected $IN_ROWS"
  [ "$prog_rows" = "$SA_ROWS" ] ||
    die "spate ($W) progress says $prog_rows output rows, its files hold $SA_ROWS"
  [ "$SA_SUM" = "$WANT_SUM" ] ||
    die "spate ($W) counts sum to $SA_SUM at $th threads, expected $WANT_SUM"
  # The state after the (last) batch: rows and bytes of operator 0.
  last=$(tail -1 "$work/sa/progress.jsonl")
  STATE_ROWS=$(printf '%s' "$last" | grep -o '"numRowsTotal":[0-9]*' | head -1 | cut -d: -f2)
  STATE_BYTES=$(printf '%s' "$last" | grep -o '"memoryUsedBytes":[0-9]*' | head -1 | cut -d: -f2)
  [ -n "$STATE_ROWS" ] && [ "$STATE_ROWS" -gt 0 ] ||
    die "spate ($W) progress has no state operator"
}

# duck_agg THREADS MODE ARGS...: DuckDB's COPY into $work/dd_agg.json;
# sets T (query s), PROC_T, CPU, RSS, DA_ROWS, DA_SUM.
duck_agg() {
  local th=$1 mode=$2 rec
  shift 2
  rm -f "$work/dd_agg.json"
  timed node bench/duckdb_query.mjs --threads "$th" --mode "$mode" \
    --out "$work/dd_agg.json" "$@" >"$work/dd.out" ||
    die "DuckDB ($mode) failed at $th threads"
  rec=$(tail -1 "$work/dd.out")
  DA_ROWS=$(jfield rows "$rec")
  [ "$(wc -l <"$work/dd_agg.json")" = "$DA_ROWS" ] ||
    die "DuckDB ($mode) says $DA_ROWS rows, its file holds $(wc -l <"$work/dd_agg.json")"
  DA_SUM=$(sumcol "$COUNT_COL" "$work/dd_agg.json")
  [ "$DA_SUM" = "$WANT_SUM" ] ||
    die "DuckDB ($mode) counts sum to $DA_SUM at $th threads, expected $WANT_SUM"
  PROC_T=$T
  T=$(jfield query_s "$rec")
  CPU=$(calc "printf \"%.2f\", $(jfield cpu_s "$rec")")
  DD_VER=$(jfield duckdb_version "$rec")
}

# run_agg: the workload W (spate's query in $work/sa/q.sql, DuckDB's mode
# DD_MODE with arguments DD_ARGS) at every thread count, REPS interleaved
# reps; prints the table and appends the record.
run_agg() {
  local results=() th r frag sp_s dd_s ratio first last scaling=null
  local -A SPB DDB
  local load0 bpk over cpu_ratio
  load0=$(cut -d' ' -f1 /proc/loadavg)
  header
  for th in $THREADS; do
    local sp_t=() sp_c=() sp_r=() dd_t=() dd_c=() dd_r=() dd_p=()
    for ((r = 0; r < REPS; r++)); do
      spate_agg "$th"
      sp_t+=("$T") sp_c+=("$CPU") sp_r+=("$RSS")
      if [ "$SKIP_DUCKDB" != 1 ]; then
        duck_agg "$th" "$DD_MODE" "${DD_ARGS[@]}"
        dd_t+=("$T") dd_c+=("$CPU") dd_r+=("$RSS") dd_p+=("$PROC_T")
        [ "$DA_ROWS" = "$SA_ROWS" ] ||
          die "$W at $th threads: spate wrote $SA_ROWS rows, DuckDB $DA_ROWS"
      fi
    done
    sp_s=$(best "${sp_t[@]}")
    SPB[$th]=$sp_s
    bpk=$(calc "printf \"%.1f\", $STATE_BYTES / $STATE_ROWS")
    over=$(calc "printf \"%.1f\", $bpk - $KV_BYTES")
    line "spate t=$th" "$th" "$sp_s" "$SA_ROWS" "$(best "${sp_c[@]}")" "$(most "${sp_r[@]}")"
    echo "  spate state: $STATE_ROWS keys, $STATE_BYTES bytes = $bpk bytes/key" \
      "($over beyond the $KV_BYTES bytes of key and aggregates)"
    frag="{\"threads\":$th,\"spate\":{\"best_s\":$sp_s,\"times_s\":[$(jlist "${sp_t[@]}")],"
    frag+="\"cpu_s\":[$(jlist "${sp_c[@]}")],"
    frag+="\"rows_per_s\":$(calc "printf \"%.0f\", $IN_ROWS / $sp_s"),"
    frag+="\"mb_per_s\":$(calc "printf \"%.1f\", $IN_BYTES / $sp_s / 1e6"),"
    frag+="\"rows_per_s_per_core\":$(calc "printf \"%.0f\", $IN_ROWS / $sp_s / $th"),"
    frag+="\"peak_rss_kb\":$(jnum "$(most "${sp_r[@]}")"),\"rows_out\":$SA_ROWS,"
    frag+="\"state_rows\":$STATE_ROWS,\"state_memory_bytes\":$STATE_BYTES,"
    frag+="\"state_bytes_per_key\":$bpk,\"state_bytes_per_key_overhead\":$over}"
    if [ "$SKIP_DUCKDB" != 1 ]; then
      dd_s=$(best "${dd_t[@]}")
      DDB[$th]=$dd_s
      line "duckdb t=$th" "$th" "$dd_s" "$DA_ROWS" "$(best "${dd_c[@]}")" "$(most "${dd_r[@]}")"
      ratio=$(calc "printf \"%.2f\", $dd_s / $sp_s")
      cpu_ratio=$(calc "printf \"%.2f\", $(best "${dd_c[@]}") / $(best "${sp_c[@]}")")
      echo "  spate / DuckDB at $th thread(s): ${ratio}x DuckDB's throughput" \
        "(CPU s: DuckDB's ${cpu_ratio}x spate's)"
      frag+=",\"duckdb\":{\"best_s\":$dd_s,\"times_s\":[$(jlist "${dd_t[@]}")],"
      frag+="\"process_s\":[$(jlist "${dd_p[@]}")],\"cpu_s\":[$(jlist "${dd_c[@]}")],"
      frag+="\"rows_per_s\":$(calc "printf \"%.0f\", $IN_ROWS / $dd_s"),"
      frag+="\"mb_per_s\":$(calc "printf \"%.1f\", $IN_BYTES / $dd_s / 1e6"),"
      frag+="\"rows_per_s_per_core\":$(calc "printf \"%.0f\", $IN_ROWS / $dd_s / $th"),"
      frag+="\"peak_rss_kb\":$(jnum "$(most "${dd_r[@]}")"),\"rows_out\":$DA_ROWS},"
      frag+="\"spate_over_duckdb\":$ratio,\"duckdb_cpu_over_spate_cpu\":$cpu_ratio"
      if [ "$CHECK_CONTENT" = 1 ] && [ "$th" = "${THREADS##* }" ]; then
        norm() { sed -e 's/[[:space:]]//g' | LC_ALL=C sort; }
        find "$work/sa/out" -maxdepth 1 -type f -name 'part-*' -exec cat {} + | norm >"$work/sp.sorted"
        norm <"$work/dd_agg.json" >"$work/dd.sorted"
        if cmp -s "$work/sp.sorted" "$work/dd.sorted"; then
          echo "  outputs identical ($SA_ROWS rows, sorted; counts sum to $WANT_SUM)"
        else
          diff "$work/sp.sorted" "$work/dd.sorted" | head -6 >&2 || true
          die "$W: spate's and DuckDB's outputs differ (sorted; diff above)"
        fi
      else
        echo "  same row count ($SA_ROWS) and count sum ($WANT_SUM)"
      fi
    fi
    frag+="}"
    results+=("$frag")
  done
  first=${THREADS%% *}
  last=${THREADS##* }
  scaling=$(scaling_of SPB)
  if [ "$scaling" != null ]; then
    echo "spate scaling $first -> $last threads: ${scaling}x"
    if [ "$SKIP_DUCKDB" != 1 ]; then
      echo "DuckDB scaling $first -> $last threads: $(scaling_of DDB)x"
    fi
  fi
  mkdir -p bench/results
  local out rec
  out=$(record_file "$W")
  rec="$(record_head "$W" "$load0")"
  rec+="\"data\":$DATA_JSON,\"reps\":$REPS,\"duckdb_version\":\"$DD_VER\","
  rec+="\"query\":\"$QUERY_TXT\",\"key_and_value_bytes\":$KV_BYTES,"
  rec+="\"runs\":[$(jlist "${results[@]}")],\"spate_scaling\":$scaling}"
  printf '%s\n' "$rec" >>"$out"
  echo "bench: appended to $out"
}

# ---- ysb: views joined to campaigns, count per campaign per 10 s window --------
if has ysb; then
  W=ysb
  QUERY_TXT="SELECT c.campaign_id, window(e.et, '10 seconds') AS w, count(*) AS views FROM events e JOIN campaigns c ON e.ad_id = c.ad_id WHERE e.event_type = 'view' GROUP BY c.campaign_id, window(e.et, '10 seconds')"
  echo
  echo "== workload ysb: $QUERY_TXT"
  IN_ROWS=$EVENTS IN_BYTES=$BYTES COUNT_COL=views WANT_SUM=$VIEWS
  # The state key is the campaign id (36 bytes) and the window (2 x 8);
  # the value is the count (8).
  KV_BYTES=60
  DATA_JSON="{\"events\":$EVENTS,\"seed\":$SEED,\"bytes\":$BYTES,\"views\":$VIEWS,\"campaigns\":\"$campaigns\"}"
  mkdir -p "$work/sa"
  cat >"$work/sa/q.sql" <<EOF
CREATE SOURCE events (user_id VARCHAR, page_id VARCHAR, ad_id VARCHAR,
  ad_type VARCHAR, event_type VARCHAR, event_time BIGINT, ip_address VARCHAR,
  et AS timestamp_millis(event_time),
  WATERMARK FOR et AS et - INTERVAL '10' SECOND)
  WITH (connector = 'file', path = '$root/$data_dir', format = 'json');
CREATE TABLE campaigns (ad_id VARCHAR, campaign_id VARCHAR)
  WITH (connector = 'file', path = '$root/$campaigns', format = 'csv', header = true);
CREATE SINK out WITH (connector = 'file', path = '$work/sa/out', format = 'json',
                      output_mode = 'update') AS
SELECT c.campaign_id, window(e.et, '10 seconds') AS w, count(*) AS views
FROM events e JOIN campaigns c ON e.ad_id = c.ad_id
WHERE e.event_type = 'view'
GROUP BY c.campaign_id, window(e.et, '10 seconds');
SET trigger = once;
EOF
  DD_MODE=ysb
  DD_ARGS=(--file "$data" --campaigns "$campaigns")
  cat "$data" "$campaigns" >/dev/null
  run_agg
fi

# ---- ysbmem: the YSB query on the in-memory YSB source -----------------------
# No file and no parsing: spate's `ysb` source generates the events in
# memory (docs/sql.md), and the same query as `ysb` counts views per
# campaign per 10 s window. No other system runs here (DuckDB has no such
# source); the published reference is Structured Streaming's ~1.5M
# events/s per core on YSB, and the target of issue #6 is 20M.
# The answer is checked on every rep against ysb_gen's brute-force counts
# of the same events (`ysb_gen --indexed --counts`: a plain C loop over
# the source's event function, no engine code): the sorted output files
# must be byte-identical to it, so a wrong count anywhere fails the run.
if has ysbmem; then
  W=ysbmem
  QUERY_TXT="SELECT c.campaign_id, window(e.event_time, '10 seconds') AS w, count(*) AS views FROM events e JOIN campaigns c ON e.ad_id = c.ad_id WHERE e.event_type = 'view' GROUP BY c.campaign_id, window(e.event_time, '10 seconds')"
  echo
  echo "== workload ysbmem: $QUERY_TXT"
  echo "   on CREATE SOURCE events WITH (connector = 'ysb', total_events = $YSBMEM_EVENTS, seed = $SEED)"
  mkdir -p "$work/sa"
  t0=$(now)
  "$GEN" --indexed --no-events --counts "$work/ysbmem.want" --quiet - "$YSBMEM_EVENTS" "$SEED"
  REF_S=$(calc "printf \"%.2f\", $(now) - $t0")
  LC_ALL=C sort "$work/ysbmem.want" >"$work/ysbmem.want.sorted"
  YM_VIEWS=$(sumcol views "$work/ysbmem.want")
  YM_GROUPS=$(wc -l <"$work/ysbmem.want")
  echo "bench: reference (ysb_gen --indexed --counts, one core): $YM_VIEWS views in $YM_GROUPS groups, $REF_S s"
  IN_ROWS=$YSBMEM_EVENTS COUNT_COL=views WANT_SUM=$YM_VIEWS
  cat >"$work/sa/q.sql" <<EOF
CREATE SOURCE events (WATERMARK FOR event_time AS event_time - INTERVAL '10' SECOND)
  WITH (connector = 'ysb', total_events = $YSBMEM_EVENTS, seed = $SEED);
CREATE TABLE campaigns (ad_id VARCHAR, campaign_id VARCHAR)
  WITH (connector = 'file', path = '$root/$campaigns', format = 'csv', header = true);
CREATE SINK out WITH (connector = 'file', path = '$work/sa/out', format = 'json',
                      output_mode = 'update') AS
SELECT c.campaign_id, window(e.event_time, '10 seconds') AS w, count(*) AS views
FROM events e JOIN campaigns c ON e.ad_id = c.ad_id
WHERE e.event_type = 'view'
GROUP BY c.campaign_id, window(e.event_time, '10 seconds');
SET trigger = once;
EOF
  load0=$(cut -d' ' -f1 /proc/loadavg)
  printf '\n%-22s %9s %14s %9s %8s %9s\n' system Mevents/s Mevents/s/core rows_out cpu_s peak_RSS
  results=()
  declare -A YMB
  for th in $THREADS; do
    ym_t=() ym_c=() ym_r=()
    for ((r = 0; r < REPS; r++)); do
      spate_agg "$th" # checks input rows, output rows and the count sum
      find "$work/sa/out" -maxdepth 1 -type f -name 'part-*' -exec cat {} + |
        LC_ALL=C sort >"$work/ysbmem.got"
      cmp -s "$work/ysbmem.got" "$work/ysbmem.want.sorted" || {
        diff "$work/ysbmem.got" "$work/ysbmem.want.sorted" | head -6 >&2 || true
        die "ysbmem at $th threads: spate's output differs from ysb_gen's counts (diff above)"
      }
      ym_t+=("$T") ym_c+=("$CPU") ym_r+=("$RSS")
    done
    sp_s=$(best "${ym_t[@]}")
    YMB[$th]=$sp_s
    rss=n/a
    [ -n "$(most "${ym_r[@]}")" ] && rss="$(($(most "${ym_r[@]}") / 1024)) MB"
    printf '%-22s %9s %14s %9s %8s %9s\n' "spate t=$th" \
      "$(calc "printf \"%.2f\", $IN_ROWS / $sp_s / 1e6")" \
      "$(calc "printf \"%.2f\", $IN_ROWS / $sp_s / $th / 1e6")" \
      "$SA_ROWS" "$(best "${ym_c[@]}")" "$rss"
    echo "  output identical to ysb_gen's counts on every rep ($SA_ROWS rows, $YM_VIEWS views)"
    frag="{\"threads\":$th,\"spate\":{\"best_s\":$sp_s,\"times_s\":[$(jlist "${ym_t[@]}")],"
    frag+="\"cpu_s\":[$(jlist "${ym_c[@]}")],"
    frag+="\"rows_per_s\":$(calc "printf \"%.0f\", $IN_ROWS / $sp_s"),"
    frag+="\"rows_per_s_per_core\":$(calc "printf \"%.0f\", $IN_ROWS / $sp_s / $th"),"
    frag+="\"peak_rss_kb\":$(jnum "$(most "${ym_r[@]}")"),\"rows_out\":$SA_ROWS,"
    frag+="\"state_rows\":$STATE_ROWS,\"state_memory_bytes\":$STATE_BYTES}}"
    results+=("$frag")
  done
  scaling=$(scaling_of YMB)
  [ "$scaling" = null ] ||
    echo "spate scaling ${THREADS%% *} -> ${THREADS##* } threads: ${scaling}x"
  mkdir -p bench/results
  out=$(record_file ysbmem)
  rec="$(record_head ysbmem "$load0")"
  rec+="\"data\":{\"events\":$YSBMEM_EVENTS,\"seed\":$SEED,\"views\":$YM_VIEWS,"
  rec+="\"groups\":$YM_GROUPS,\"campaigns\":\"$campaigns\",\"reference_s\":$REF_S},"
  rec+="\"reps\":$REPS,\"query\":\"$QUERY_TXT\","
  rec+="\"runs\":[$(jlist "${results[@]}")],\"spate_scaling\":$scaling}"
  printf '%s\n' "$rec" >>"$out"
  echo "bench: appended to $out"
fi

# ---- hicard: count and sum per key over KV_KEYS distinct keys ------------------
if has hicard; then
  W=hicard
  QUERY_TXT="SELECT k, count(*) AS n, sum(v) AS s FROM kv GROUP BY k"
  echo
  echo "== workload hicard: $QUERY_TXT"
  kv_dir=bench/data/kv-$KV_ROWS-k$KV_KEYS-s$SEED
  kv=$kv_dir/kv.json
  kv_meta=$kv_dir.meta
  want="rows=$KV_ROWS keys=$KV_KEYS seed=$SEED"
  if [ -f "$kv" ] && [ -f "$kv_meta" ] && [ "$(head -1 "$kv_meta")" = "$want" ] &&
     [ "$(sed -n 2p "$kv_meta")" = "bytes=$(stat -c %s "$kv")" ]; then
    echo "bench: using $kv ($want)"
  else
    echo "bench: generating $kv ($want)"
    rm -rf "$kv_dir" "$kv_meta"
    mkdir -p "$kv_dir"
    "$KVGEN" --keys "$KV_KEYS" "$kv" "$KV_ROWS" "$SEED"
    printf '%s\nbytes=%s\n' "$want" "$(stat -c %s "$kv")" >"$kv_meta"
  fi
  IN_ROWS=$KV_ROWS IN_BYTES=$(stat -c %s "$kv") COUNT_COL=n WANT_SUM=$KV_ROWS
  # The key is a BIGINT (8 bytes), the aggregates count and sum (8 + 8).
  KV_BYTES=24
  DATA_JSON="{\"rows\":$KV_ROWS,\"keys\":$KV_KEYS,\"seed\":$SEED,\"bytes\":$IN_BYTES}"
  echo "bench: $KV_ROWS rows, $KV_KEYS keys, $(calc "printf \"%.1f\", $IN_BYTES / 1e6") MB"
  mkdir -p "$work/sa"
  cat >"$work/sa/q.sql" <<EOF
CREATE SOURCE kv (k BIGINT, v BIGINT)
  WITH (connector = 'file', path = '$root/$kv_dir', format = 'json');
CREATE SINK out WITH (connector = 'file', path = '$work/sa/out', format = 'json',
                      output_mode = 'update') AS
SELECT k, count(*) AS n, sum(v) AS s FROM kv GROUP BY k;
SET trigger = once;
EOF
  DD_MODE=hicard
  DD_ARGS=(--file "$kv")
  cat "$kv" >/dev/null
  run_agg
fi

# ---- pageview: the README's running page-view count per URL, as micro-batches --
# PV_ROWS page views (pv_gen: URLs Zipf over PV_URLS) in PV_FILES files; spate
# takes one file per micro-batch (max_files_per_trigger = 1) and emits the
# changed counts of each batch (update mode), so this measures a stream of
# batches with checkpoints, not one big batch. DuckDB counts all files at
# once. Checked on every rep: every URL's last count (counts only grow)
# equals DuckDB's count.
if has pageview; then
  QUERY_TXT="SELECT url, count(*) AS views FROM pv GROUP BY url"
  echo
  echo "== workload pageview: $QUERY_TXT (one file per micro-batch)"
  pv_dir=bench/data/pv-$PV_ROWS-u$PV_URLS-f$PV_FILES-s$SEED
  pv_meta=$pv_dir.meta
  want="rows=$PV_ROWS urls=$PV_URLS files=$PV_FILES seed=$SEED"
  if [ -d "$pv_dir" ] && [ -f "$pv_meta" ] && [ "$(head -1 "$pv_meta")" = "$want" ] &&
     [ "$(sed -n 2p "$pv_meta")" = "bytes=$(cat "$pv_dir"/*.json | wc -c)" ]; then
    echo "bench: using $pv_dir ($want)"
  else
    echo "bench: generating $pv_dir ($want)"
    rm -rf "$pv_dir" "$pv_meta"
    "$PVGEN" --urls "$PV_URLS" --files "$PV_FILES" "$pv_dir" "$PV_ROWS" "$SEED"
    printf '%s\nbytes=%s\n' "$want" "$(cat "$pv_dir"/*.json | wc -c)" >"$pv_meta"
  fi
  IN_ROWS=$PV_ROWS IN_BYTES=$(cat "$pv_dir"/*.json | wc -c)
  echo "bench: $PV_ROWS rows in $PV_FILES files, $(calc "printf \"%.1f\", $IN_BYTES / 1e6") MB"
  # final URL counts: the largest count seen per URL, sorted
  final_counts() {
    sed -n 's/.*"url":"\([^"]*\)","views":\([0-9]*\).*/\1 \2/p' "$@" |
      awk '{ if ($2 > m[$1]) m[$1] = $2 } END { for (u in m) print u, m[u] }' |
      LC_ALL=C sort
  }
  mkdir -p "$work/pv"
  cat >"$work/pv/q.sql" <<EOF
CREATE SOURCE pv (ts BIGINT, user_id VARCHAR, url VARCHAR, event_type VARCHAR)
  WITH (connector = 'file', path = '$root/$pv_dir', format = 'json',
        max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'file', path = '$work/pv/out', format = 'json',
                      output_mode = 'update') AS
SELECT url, count(*) AS views FROM pv GROUP BY url;
SET trigger = available_now;
EOF
  load0=$(cut -d' ' -f1 /proc/loadavg)
  printf '\n%-22s %9s %7s %12s %8s %9s %7s %7s\n' system Mrows/s MB/s Mrows/s/core cpu_s peak_RSS p50_ms p99_ms
  results=()
  declare -A PVB
  for th in $THREADS; do
    pv_t=() pv_c=() pv_r=() dd_t=() dd_c=()
    for ((r = 0; r < REPS; r++)); do
      rm -rf "$work/pv/out" "$work/pv/ckpt" "$work/pv/progress.jsonl"
      mkdir -p "$work/pv/out"
      timed "$SPATE" run "$work/pv/q.sql" --threads "$th" \
        --checkpoint "$work/pv/ckpt" --progress "$work/pv/progress.jsonl" \
        --no-status || die "spate (pageview) failed at $th threads"
      pv_t+=("$T") pv_c+=("$CPU") pv_r+=("$RSS")
      nb=$(wc -l <"$work/pv/progress.jsonl")
      [ "$nb" = "$PV_FILES" ] || die "spate (pageview) ran $nb batches, expected $PV_FILES"
      in_rows=$(sed 's/"sources".*//' "$work/pv/progress.jsonl" |
        grep -o '"numInputRows":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }')
      [ "$in_rows" = "$PV_ROWS" ] || die "spate (pageview) read $in_rows rows, expected $PV_ROWS"
      # this rep's batch latencies, ms, sorted
      grep -o '"triggerExecution":[0-9]*' "$work/pv/progress.jsonl" | cut -d: -f2 |
        sort -n >"$work/pv/lat.$th.$r"
      final_counts "$work"/pv/out/part-* >"$work/pv/got"
      [ "$(awk '{ s += $2 } END { print s + 0 }' "$work/pv/got")" = "$PV_ROWS" ] ||
        die "spate (pageview): the final counts do not sum to $PV_ROWS"
      if [ "$SKIP_DUCKDB" != 1 ]; then
        timed node bench/duckdb_query.mjs --threads "$th" --mode pageview \
          --out "$work/pv/dd.json" --file "$root/$pv_dir/*.json" >"$work/dd.out" ||
          die "DuckDB (pageview) failed at $th threads"
        rec=$(tail -1 "$work/dd.out")
        DD_VER=$(jfield duckdb_version "$rec")
        dd_t+=("$(jfield query_s "$rec")")
        dd_c+=("$(calc "printf \"%.2f\", $(jfield cpu_s "$rec")")")
        final_counts "$work/pv/dd.json" >"$work/pv/want"
        cmp -s "$work/pv/got" "$work/pv/want" || {
          diff "$work/pv/got" "$work/pv/want" | head -6 >&2 || true
          die "pageview at $th threads: spate's final counts differ from DuckDB's (diff above)"
        }
      fi
    done
    sp_s=$(best "${pv_t[@]}")
    PVB[$th]=$sp_s
    # the latencies of the best rep
    bi=0
    for ((r = 0; r < REPS; r++)); do [ "${pv_t[$r]}" = "$sp_s" ] && bi=$r; done
    lat=$work/pv/lat.$th.$bi
    n_lat=$(wc -l <"$lat")
    p50=$(sed -n "$(((n_lat + 1) / 2))p" "$lat")
    p99=$(sed -n "$(((n_lat * 99 + 99) / 100))p" "$lat")
    rss=n/a
    [ -n "$(most "${pv_r[@]}")" ] && rss="$(($(most "${pv_r[@]}") / 1024)) MB"
    printf '%-22s %9s %7s %12s %8s %9s %7s %7s\n' "spate t=$th" \
      "$(calc "printf \"%.2f\", $IN_ROWS / $sp_s / 1e6")" \
      "$(calc "printf \"%.0f\", $IN_BYTES / $sp_s / 1e6")" \
      "$(calc "printf \"%.2f\", $IN_ROWS / $sp_s / $th / 1e6")" \
      "$(best "${pv_c[@]}")" "$rss" "$p50" "$p99"
    ddfrag=null
    if [ "$SKIP_DUCKDB" != 1 ]; then
      dd_s=$(best "${dd_t[@]}")
      printf '%-22s %9s %7s %12s %8s %9s\n' "DuckDB t=$th" \
        "$(calc "printf \"%.2f\", $IN_ROWS / $dd_s / 1e6")" \
        "$(calc "printf \"%.0f\", $IN_BYTES / $dd_s / 1e6")" \
        "$(calc "printf \"%.2f\", $IN_ROWS / $dd_s / $th / 1e6")" \
        "$(best "${dd_c[@]}")" n/a
      echo "  spate ($PV_FILES micro-batches) / DuckDB (one query) at $th threads:" \
        "$(calc "printf \"%.2f\", $dd_s / $sp_s")x; final counts equal on every rep" \
        "($(wc -l <"$work/pv/got") URLs)"
      ddfrag="{\"best_s\":$dd_s,\"times_s\":[$(jlist "${dd_t[@]}")],\"cpu_s\":[$(jlist "${dd_c[@]}")]}"
    fi
    frag="{\"threads\":$th,\"spate\":{\"best_s\":$sp_s,\"times_s\":[$(jlist "${pv_t[@]}")],"
    frag+="\"cpu_s\":[$(jlist "${pv_c[@]}")],\"peak_rss_kb\":$(jnum "$(most "${pv_r[@]}")"),"
    frag+="\"batches\":$PV_FILES,\"batch_ms_p50\":$p50,\"batch_ms_p99\":$p99,"
    frag+="\"rows_per_s\":$(calc "printf \"%.0f\", $IN_ROWS / $sp_s")},\"duckdb\":$ddfrag}"
    results+=("$frag")
  done
  scaling=$(scaling_of PVB)
  [ "$scaling" = null ] ||
    echo "spate scaling ${THREADS%% *} -> ${THREADS##* } threads: ${scaling}x"
  mkdir -p bench/results
  out=$(record_file pageview)
  rec="$(record_head pageview "$load0")"
  rec+="\"data\":{\"rows\":$PV_ROWS,\"urls\":$PV_URLS,\"files\":$PV_FILES,\"seed\":$SEED,\"bytes\":$IN_BYTES},"
  rec+="\"reps\":$REPS,\"query\":\"$QUERY_TXT\",\"duckdb_version\":\"$DD_VER\","
  rec+="\"runs\":[$(jlist "${results[@]}")],\"spate_scaling\":$scaling}"
  printf '%s\n' "$rec" >>"$out"
  echo "bench: appended to $out"
fi

# ---- latency: small micro-batches end to end (issue #6: p99 under 5 ms) -------
# The pageview query on LAT_BATCHES files of LAT_ROWS rows each (pv_gen), one
# file per batch: every batch reads, aggregates, commits its state, writes
# and fsyncs its sink part and manifest, and writes its offsets and commit
# logs. spate only; the batches' triggerExecution (progress records) gives
# p50/p99/max.
if has latency; then
  echo
  echo "== workload latency: $LAT_ROWS-row micro-batches of SELECT url, count(*) AS views FROM pv GROUP BY url"
  lat_rows_all=$((LAT_ROWS * LAT_BATCHES))
  lat_dir=bench/data/pv-$lat_rows_all-u10000-f$LAT_BATCHES-s$SEED
  want="rows=$lat_rows_all urls=10000 files=$LAT_BATCHES seed=$SEED"
  if [ ! -d "$lat_dir" ] || [ "$(head -1 "$lat_dir.meta" 2>/dev/null)" != "$want" ]; then
    rm -rf "$lat_dir" "$lat_dir.meta"
    "$PVGEN" --quiet --urls 10000 --files "$LAT_BATCHES" "$lat_dir" "$lat_rows_all" "$SEED"
    echo "$want" >"$lat_dir.meta"
  fi
  mkdir -p "$work/lat"
  cat >"$work/lat/q.sql" <<EOF
CREATE SOURCE pv (ts BIGINT, user_id VARCHAR, url VARCHAR, event_type VARCHAR)
  WITH (connector = 'file', path = '$root/$lat_dir', format = 'json',
        max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'file', path = '$work/lat/out', format = 'json',
                      output_mode = 'update') AS
SELECT url, count(*) AS views FROM pv GROUP BY url;
SET trigger = available_now;
EOF
  printf '\n%-22s %8s %8s %8s %8s\n' system batches p50_ms p99_ms max_ms
  results=()
  for th in $THREADS; do
    rm -rf "$work/lat/out" "$work/lat/ckpt" "$work/lat/progress.jsonl"
    mkdir -p "$work/lat/out"
    "$SPATE" run "$work/lat/q.sql" --threads "$th" --checkpoint "$work/lat/ckpt" \
      --progress "$work/lat/progress.jsonl" --no-status ||
      die "spate (latency) failed at $th threads"
    nb=$(wc -l <"$work/lat/progress.jsonl")
    [ "$nb" = "$LAT_BATCHES" ] || die "spate (latency) ran $nb batches, expected $LAT_BATCHES"
    grep -o '"triggerExecution":[0-9]*' "$work/lat/progress.jsonl" | cut -d: -f2 |
      sort -n >"$work/lat/ms"
    p50=$(sed -n "$(((nb + 1) / 2))p" "$work/lat/ms")
    p99=$(sed -n "$(((nb * 99 + 99) / 100))p" "$work/lat/ms")
    mx=$(tail -1 "$work/lat/ms")
    printf '%-22s %8s %8s %8s %8s\n' "spate t=$th" "$nb" "$p50" "$p99" "$mx"
    results+=("{\"threads\":$th,\"batches\":$nb,\"p50_ms\":$p50,\"p99_ms\":$p99,\"max_ms\":$mx}")
  done
  mkdir -p bench/results
  out=$(record_file latency)
  rec="{\"workload\":\"latency\",\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  rec+="\"commit\":\"$commit\",\"src_dirty\":$dirty,\"machine\":$(machine_json),"
  rec+="\"rows_per_batch\":$LAT_ROWS,\"runs\":[$(jlist "${results[@]}")]}"
  printf '%s\n' "$rec" >>"$out"
  echo "bench: appended to $out"
fi

# ---- idle: resident memory of a waiting `spate run` (bench/idle_rss.sh) -------
if has idle; then
  echo
  echo "== workload idle: resident memory of spate run waiting for data"
  IDLE_S=$([ "$QUICK" = 1 ] && echo 2 || echo 5) SPATE="$SPATE" bash bench/idle_rss.sh |
    tee "$work/idle.out"
  out=$(record_file idle)
  rec="{\"workload\":\"idle\",\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  rec+="\"commit\":\"$commit\",\"src_dirty\":$dirty,\"machine\":$(machine_json),\"queries\":["
  rec+=$(awk '{ split($2, q, "="); split($3, r, "="); split($4, h, "=");
                printf "%s{\"query\":\"%s\",\"rss_kb\":%s,\"hwm_kb\":%s}", (NR > 1 ? "," : ""), q[2], r[2], h[2] }' \
           "$work/idle.out")
  rec+="]}"
  mkdir -p bench/results
  printf '%s\n' "$rec" >>"$out"
  echo "bench: appended to $out"
fi

# The DStream API: the D-Streams paper's Grep and WordCount (100-byte
# records, 1 s batches; WordCount over a 30 s window sliding 1 s), queue
# input, records/s per core (docs/dstream.md, Performance). SKIP_DSTREAM=1
# skips it.
DSTREAM_BENCH=${DSTREAM_BENCH:-build/release/dstream_bench}
if [ "${SKIP_DSTREAM:-0}" != 1 ]; then
  echo
  echo "== DStream API: Grep and WordCount (D-Streams paper workloads)"
  if [ ! -x "$DSTREAM_BENCH" ]; then
    echo "bench: $DSTREAM_BENCH not found: build it first (make build)"
  elif [ "$QUICK" = 1 ]; then
    "$DSTREAM_BENCH" "$NPROC" 50000 3
  else
    "$DSTREAM_BENCH" "$NPROC"
  fi
fi

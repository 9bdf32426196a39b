#!/usr/bin/env bash
# The ysb source (the Yahoo Streaming Benchmark's events in memory): rows
# are a pure function of (seed, offset), whatever the batches and splits;
# they are the events `ysb_gen --indexed` writes for the same seed; a batch
# replayed after a kill gives the same rows; every view joins the campaigns
# table `ysb_gen --campaigns` writes; and the YSB query's counts equal
# ysb_gen's brute-force counts (--counts).
. "$(dirname "$0")/lib.sh"
GEN=${YSB_GEN:-$(dirname "$SPATE")/ysb_gen}
[ -x "$GEN" ] || { echo "FAIL: $GEN not found"; exit 1; }

# every column, as JSON lines, from `source` (the ysb source, or the JSON
# of ysb_gen read by the file source)
all_cols="user_id, page_id, ad_id, ad_type, event_type, event_time, ip_address"
ysb_sql() { # total max_per_trigger seed out_dir [", option = value"...]
  cat <<SQL
CREATE SOURCE ev WITH (connector = 'ysb', total_events = $1,
                       max_records_per_trigger = $2, seed = $3,
                       events_per_second = 1000${5:-});
CREATE SINK out WITH (connector = 'file', path = '$4', format = 'json') AS
SELECT $all_cols FROM ev;
SET trigger = available_now;
SQL
}
rows() { # dir: the committed rows, in batch and part order
  for m in $(ls "$1/_spate_log" | grep -E '^[0-9]+$' | sort -n); do
    grep -o '"path":"[^"]*"' "$1/_spate_log/$m" | cut -d'"' -f4 |
      while read -r p; do cat "$1/$p"; done
  done
}

# ---- determinism: batches and splits do not change the rows --------------
ysb_sql 30000 7000 42 o1 > q1.sql
"$SPATE" run q1.sql --checkpoint ck1 --threads 1 > r1.out 2> r1.err; rc=$?
check "ysb run exits 0" test $rc = 0
rows o1 > o1.rows
check "30000 rows" test "$(wc -l < o1.rows)" = 30000
check "5 batches of at most 7000" test "$(ls o1/_spate_log | grep -cE '^[0-9]+$')" = 5
ysb_sql 30000 30000 42 o2 > q2.sql
"$SPATE" run q2.sql --checkpoint ck2 --threads 3 > r2.out 2> r2.err
rows o2 > o2.rows
check "one batch in 3 splits: several part files" test "$(ls o2 | grep -c '^part-')" -ge 3
check "same rows, in the same order, for other batches and splits" cmp -s o1.rows o2.rows
ysb_sql 30000 30000 43 o3 > q3.sql
"$SPATE" run q3.sql --checkpoint ck3 > r3.out 2> r3.err
rows o3 > o3.rows
check "another seed gives other rows" bash -c "! cmp -s o1.rows o3.rows"
check "a third of the events are views" \
  awk -v n="$(grep -c '"event_type":"view"' o1.rows)" 'BEGIN { exit !(n > 9500 && n < 10500) }'
check "event_time starts at ysb_gen's default start" \
  contains o1.rows '"event_time":"2023-11-14T22:13:20.000Z"'
check "1000 events per second of event time" \
  contains o1.rows '"event_time":"2023-11-14T22:13:49.999Z"'

# ---- the same events as ysb_gen --indexed (read by the file source) --------
# Rates that step event_time in every way: several events per millisecond
# (1500: runs of 1 or 2; 100000: runs of 100), one (1000), several
# milliseconds per event (7).
for rate in 1000 1500 100000 7; do
  rm -rf json "oj$rate"
  mkdir json
  "$GEN" --indexed --rate $rate --quiet json/ev.json 30000 42
  cat > qj.sql <<SQL
CREATE SOURCE ev (user_id VARCHAR, page_id VARCHAR, ad_id VARCHAR,
  ad_type VARCHAR, event_type VARCHAR, event_time BIGINT, ip_address VARCHAR)
  WITH (connector = 'file', path = 'json', format = 'json');
CREATE SINK out WITH (connector = 'file', path = 'oj$rate', format = 'json') AS
SELECT user_id, page_id, ad_id, ad_type, event_type,
       timestamp_millis(event_time) AS event_time, ip_address FROM ev;
SET trigger = available_now;
SQL
  "$SPATE" run qj.sql --checkpoint "ckj$rate" --threads 1 > rj.out 2> rj.err; rc=$?
  check "rate $rate: the JSON run exits 0" test $rc = 0
  rows "oj$rate" > "oj$rate.rows"
  if [ $rate = 1000 ]; then
    cp o1.rows "os$rate.rows"
  else
    ysb_sql 30000 11000 42 "os$rate" > qs.sql
    sed -i "s/events_per_second = 1000/events_per_second = $rate/" qs.sql
    "$SPATE" run qs.sql --checkpoint "cks$rate" --threads 2 > rs.out 2> rs.err
    rows "os$rate" > "os$rate.rows"
  fi
  check "rate $rate: 30000 rows" test "$(wc -l < "os$rate.rows")" = 30000
  check "rate $rate: ysb_gen --indexed writes the source's events" \
    cmp -s "os$rate.rows" "oj$rate.rows"
done

# ---- replay after a kill: the recorded range gives the same rows -----------
for point in after_offsets mid_sink; do
  ysb_sql 30000 7000 42 "ok_$point" > "q_$point.sql"
  SPATE_CRASH_AT=$point:2 "$SPATE" run "q_$point.sql" --checkpoint "ck_$point" \
    > /dev/null 2> "k_$point.err"; rc=$?
  check "killed at $point of batch 2 (status $rc)" test $rc = 137
  check "$point: offsets/2 is recorded" \
    grep -q '"startOffset":14000,"endOffset":21000' "ck_$point/out/offsets/2"
  "$SPATE" run "q_$point.sql" --checkpoint "ck_$point" > /dev/null 2> "s_$point.err"; rc=$?
  check "$point: the restart exits 0" test $rc = 0
  rows "ok_$point" > "ok_$point.rows"
  check "$point: the same rows as without the kill" cmp -s o1.rows "ok_$point.rows"
done

# ---- every view joins a campaign; the YSB counts are right ------------------
# Non-default campaigns and ads per campaign, 3 splits, several batches.
"$GEN" --campaigns camp.csv --n-campaigns 7 --ads-per-campaign 3 \
  --indexed --rate 1000 --counts want.json --no-events --quiet - 50000 9
cat > qn.sql <<'SQL'
CREATE SOURCE ev WITH (connector = 'ysb', total_events = 50000, seed = 9,
                       campaigns = 7, ads_per_campaign = 3,
                       events_per_second = 1000, max_records_per_trigger = 20000);
CREATE TABLE campaigns (ad_id VARCHAR, campaign_id VARCHAR)
  WITH (connector = 'file', path = 'camp.csv', format = 'csv', header = true);
CREATE SINK unjoined WITH (connector = 'console', format = 'jsonl') AS
SELECT e.ad_id FROM ev e LEFT JOIN campaigns c ON e.ad_id = c.ad_id
WHERE e.event_type = 'view' AND c.campaign_id IS NULL;
SET trigger = available_now;
SQL
"$SPATE" run qn.sql --checkpoint ckn --threads 3 > rn.out 2> rn.err; rc=$?
check "the left join run exits 0" test $rc = 0
check "no view lacks a campaign" test ! -s rn.out
cat > qy.sql <<'SQL'
CREATE SOURCE ev (WATERMARK FOR event_time AS event_time - INTERVAL '10' SECOND)
  WITH (connector = 'ysb', total_events = 50000, seed = 9, campaigns = 7,
        ads_per_campaign = 3, events_per_second = 1000,
        max_records_per_trigger = 20000);
CREATE TABLE campaigns (ad_id VARCHAR, campaign_id VARCHAR)
  WITH (connector = 'file', path = 'camp.csv', format = 'csv', header = true);
CREATE SINK out WITH (connector = 'file', path = 'oy', format = 'json',
                      output_mode = 'complete') AS
SELECT c.campaign_id, window(e.event_time, '10 seconds') AS w, count(*) AS views
FROM ev e JOIN campaigns c ON e.ad_id = c.ad_id
WHERE e.event_type = 'view'
GROUP BY c.campaign_id, window(e.event_time, '10 seconds');
SET trigger = available_now;
SQL
"$SPATE" run qy.sql --checkpoint cky --threads 3 > ry.out 2> ry.err; rc=$?
check "the YSB query exits 0" test $rc = 0
last=$(ls oy/_spate_log | grep -E '^[0-9]+$' | sort -n | tail -1)
for p in $(grep -o '"path":"[^"]*"' "oy/_spate_log/$last" | cut -d'"' -f4); do
  cat "oy/$p"
done | LC_ALL=C sort > got.json
LC_ALL=C sort want.json > want.sorted
check "35 result rows (7 campaigns x 5 windows)" test "$(wc -l < got.json)" = 35
check "the counts equal ysb_gen's brute-force counts" cmp -s got.json want.sorted

# ---- unbounded: events arrive in real time -----------------------------------
cat > qr.sql <<'SQL'
CREATE SOURCE ev WITH (connector = 'ysb', events_per_second = 2000);
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT ad_id FROM ev;
SET trigger = processing_time '200 milliseconds';
SQL
timeout 30 "$SPATE" run qr.sql --checkpoint ckr --duration 1.5 > rr.out 2> rr.err; rc=$?
check "the unbounded run exits 0" test $rc = 0
n=$(wc -l < rr.out)
check "real time: some events ($n)" test "$n" -ge 200
check "real time: at most its rate ($n)" test "$n" -le 4000
check "its start time is in the checkpoint" test -f ckr/out/sources/0/start

# ---- options ------------------------------------------------------------------
cat > bad.sql <<'SQL'
CREATE SOURCE ev WITH (connector = 'ysb', campaigns = 0);
CREATE SINK out WITH (connector = 'console') AS SELECT ad_id FROM ev;
SQL
"$SPATE" run bad.sql > rb.out 2> rb.err; rc=$?
check "campaigns = 0 is refused" test $rc != 0
check "with a message" contains rb.err "must be positive"
cat > col.sql <<'SQL'
CREATE SOURCE ev (ad_id VARCHAR, event_time BIGINT) WITH (connector = 'ysb');
CREATE SINK out WITH (connector = 'console') AS SELECT ad_id FROM ev;
SQL
"$SPATE" run col.sql > rc.out 2> rc.err; rc=$?
check "a wrong column type is refused" test $rc != 0
check "naming the columns" contains rc.err "event_time TIMESTAMP"
finish

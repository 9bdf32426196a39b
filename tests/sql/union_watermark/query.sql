-- UNION ALL of two sources with their own watermarks (max event time -
-- 2 s each), aggregated in append mode; the query's watermark is the
-- minimum of the inputs' (Spark's default policy).
--   batch 0: a: x@1s, y@12s; b: x@3s  -> a's wm 10s, b's 1s: query 1s
--   batch 1: b: x@15s                 -> b's wm 13s: query min(10, 13) = 10s
--   batch 2 (no data, wm 10s) closes [0s, 10s): x = 2 (one per source)
CREATE SOURCE a (k VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH (connector = 'file', path = 'a');
CREATE SOURCE b (key VARCHAR, t BIGINT, ts AS timestamp_millis(t),
                 WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH (connector = 'file', path = 'b', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT window(ts, '10 seconds') AS w, k, count(*) AS n
FROM (SELECT k, ts FROM a UNION ALL SELECT key, ts FROM b) u
GROUP BY window(ts, '10 seconds'), k;
SET trigger = available_now;

-- The same union with multiple_watermark_policy = max: after batch 0 the
-- query's watermark is max(10s, 1s) = 10s, so batch 1 (b: x@15s) already
-- closes [0s, 10s): x = 2, one batch earlier than with min.
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
SET multiple_watermark_policy = max;

-- A subquery in FROM with Spark's WATERMARK clause on one of its derived
-- columns (ts = timestamp_seconds(t)). Batch 0: [00:00:00, 00:00:10) gets
-- n=5 and n=1 (the empty line is filtered); the watermark becomes 00:00:00.
-- Batch 1: x at 00:00:03 is on time (window end 00:00:10 > 00:00:00), dd at
-- 00:00:16 opens [10, 20); the watermark becomes 00:00:11, so the no-data
-- batch 2 emits [0, 10): n=5 -> 1, n=1 -> 2.
CREATE SOURCE raw (line VARCHAR, t BIGINT)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT window(ts, '10 seconds') AS w, n, count(*) AS c
FROM (SELECT timestamp_seconds(t) AS ts, length(line) AS n
      FROM raw WHERE line <> '') AS r
  WATERMARK ts DELAY OF INTERVAL 5 SECONDS
GROUP BY window(ts, '10 seconds'), n;
SET trigger = available_now;

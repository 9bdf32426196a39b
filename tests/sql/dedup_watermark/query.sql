-- SELECT DISTINCT with the watermarked column among the keys: after batch 0
-- the watermark is 10:00:30 - 20 s = 10:00:10, so in batch 1 (u1, 10:00:00)
-- is late and dropped (not a "new" row), (u1, 10:00:20) is new, and the
-- state of keys at or before 10:00:10 is evicted.
CREATE SOURCE s (user VARCHAR, ts TIMESTAMP,
                 WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT DISTINCT user, ts FROM s;
SET trigger = available_now;

-- Spark's dropDuplicatesWithinWatermark: duplicates of a key are dropped
-- while the watermark has not passed its first row's event time plus the
-- delay (10 s); the event time is not part of the key.
--   batch 0 (wm none): a@00 kept (expires 10), a@05 dup, b@20 kept (exp 30)
--   batch 1 (wm 10):   a@08 late (<= 10); b@25 dup; a's key expires (10 <= 10)
--   batch 2 (wm 15):   a@45 kept again (a's key is gone; expires 55)
--   batch 3 (wm 35):   a@70 is dropped as a duplicate (a's key expires at
--                      55 > 35); b's key expires (30 <= 35)
CREATE SOURCE s (id VARCHAR, ts TIMESTAMP,
                 WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT DISTINCT ON (id) WITHIN WATERMARK id, ts FROM s;
SET trigger = available_now;

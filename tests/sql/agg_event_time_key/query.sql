-- Grouping by the watermarked column itself (no window): a group is final
-- when its time is <= the watermark, and a row exactly at the watermark is
-- late. After batch 0 the watermark is 10:00:10 - 5 s = 10:00:05, so in
-- batch 1 the row at 10:00:05 is dropped (equal), 10:00:06 is kept, and
-- 10:00:00 is dropped; group 10:00:00 (from batch 0) is emitted as final,
-- and 10:00:06 and 10:00:10 stay in state (the watermark did not move).
CREATE SOURCE s (ts TIMESTAMP, v BIGINT,
                 WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT ts, sum(v) AS total FROM s GROUP BY ts;

SET trigger = available_now;

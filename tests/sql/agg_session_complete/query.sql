-- session_window in complete mode, with a per-row INTERVAL gap (5 minutes;
-- 0 for k3, whose rows make no session and are dropped). Every batch emits
-- every session; nothing is evicted. As in Spark, a row whose own session
-- ends at or before the watermark (max event time - 10 minutes) is late
-- and dropped in complete mode too.
--   batch 0, wm none: k1 10:00 + 10:02 -> [10:00,10:07) n 2;
--     k2 10:20 -> [10:20,10:25); k3 10:01 gap 0 dropped; after it wm 10:10
--   batch 1, wm 10:10: k1 10:04 [10:04,10:09) late (10:09 <= 10:10);
--     k2 10:26 -> [10:26,10:31), apart from [10:20,10:25) (10:26 > 10:25);
--     k1 10:30 -> [10:30,10:35); after it wm 10:20
--   batch 2, wm 10:20: k2 10:24 [10:24,10:29) overlaps [10:20,10:25) and
--     reaches [10:26,10:31) (10:26 <= 10:29): one session [10:20,10:31),
--     n 3, sum 2 + 3 + 4 = 9; k1 [10:00,10:07) is still shown (complete
--     mode keeps what the watermark passed)
CREATE SOURCE ev (k VARCHAR, v BIGINT, ts TIMESTAMP,
                  WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK out WITH (connector = 'console', format = 'jsonl',
                      output_mode = 'complete') AS
SELECT k, session_window.start AS s, session_window.end AS e,
       count(*) AS n, sum(v) AS total
FROM ev
GROUP BY session_window(ts, CASE WHEN k = 'k3' THEN INTERVAL 0 SECONDS
                                 ELSE INTERVAL 5 MINUTES END), k;

SET trigger = available_now;

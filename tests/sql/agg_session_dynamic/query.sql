-- session_window with a gap per row, a string expression (Spark casts it
-- to an interval): web 5 minutes, mobile 10 minutes; a zero, negative or
-- NULL gap (kind 'zero', 'neg', anything else) makes no session and the
-- row is dropped (it still moves the watermark: event time is observed
-- before the aggregation). Append mode, watermark delay 30 minutes.
--   batch 0, wm none:
--     u1 10:00 web [10:00,10:05) + 10:04 mobile [10:04,10:14): the end is
--       the max of the ends -> [10:00,10:14)
--     u1 10:13 zero, 10:20 neg: dropped (else 10:13 would count in the
--       first session and 10:20 would merge with the next one)
--     u2 10:01 other (NULL gap): dropped (else u2 would start at 10:01)
--     u2 10:02 web -> [10:02,10:07)
--     after it wm = 10:20 - 30m = 09:50
--   batch 1, wm 09:50: u1 10:16 web -> [10:16,10:21), apart (10:16 > 10:14);
--     u2 10:06 mobile [10:06,10:16) overlaps -> [10:02,10:16);
--     u3 11:00 web; after it wm 10:30
--   batch 2 (no data), wm 10:30: emits u1 [10:00,10:14) n 2,
--     u1 [10:16,10:21) n 1, u2 [10:02,10:16) n 2; u3 [11:00,11:05) stays
CREATE SOURCE ev (user VARCHAR, kind VARCHAR, ts TIMESTAMP,
                  WATERMARK FOR ts AS ts - INTERVAL '30' MINUTE)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT session_window(ts, CASE kind WHEN 'web' THEN '5 minutes'
                                    WHEN 'mobile' THEN '10 minutes'
                                    WHEN 'zero' THEN '0 seconds'
                                    WHEN 'neg' THEN '-1 minute' END) AS sw,
       user, count(*) AS n
FROM ev
GROUP BY 1, user;

SET trigger = available_now;

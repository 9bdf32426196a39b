-- session_window in append mode (gap 5 minutes, watermark delay 10
-- minutes). A row makes a session [ts, ts + 5m); a user's sessions that
-- overlap or touch merge, also with the sessions kept in state; a session
-- is emitted once, when its end <= the watermark; a row whose own session
-- ends at or before the watermark is late and dropped.
--   batch 0, wm none:
--     u1 10:00 a [10:00,10:05) + 10:03 b [10:03,10:08) -> [10:00,10:08)
--     u1 10:12 c -> [10:12,10:17), apart (10:12 > 10:08)
--     u2 10:01 x [10:01,10:06) + 10:06 y [10:06,10:11) touch -> [10:01,10:11)
--     after it wm = 10:12 - 10m = 10:02
--   batch 1, wm 10:02:
--     u1 10:07 d [10:07,10:12) bridges the two stored sessions of u1
--       (10:07 <= 10:08, 10:12 <= 10:12) -> [10:00,10:17), 4 rows
--     u1 09:56 e [09:56,10:01): ends 10:01 <= 10:02, late, dropped (though
--       it overlaps u1's session)
--     u3 09:50 z [09:50,09:55): late, dropped
--     u2 09:58 w [09:58,10:03): ends 10:03 > 10:02, on time; merges ->
--       [09:58,10:11), and becomes the first row by event time
--   batch 2, wm 10:02: u3 10:30 q -> [10:30,10:35); after it wm 10:20
--   batch 3, wm 10:20: u4 11:00 r; emits u1 [10:00,10:17) (pages a b d c
--     in start order: first a, last c, 4 distinct) and u2 [09:58,10:11)
--     (w x y: first w, last y); after it wm 10:50
--   batch 4 (no data), wm 10:50: emits u3 [10:30,10:35)
CREATE SOURCE clicks (user VARCHAR, page VARCHAR, ts TIMESTAMP,
                      WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK sessions WITH (connector = 'console', format = 'jsonl') AS
SELECT user, session_window(ts, '5 minutes') AS session, count(*) AS n,
       first(page) AS first_page, last(page) AS last_page,
       count(DISTINCT page) AS pages,
       (unix_timestamp(session.end) - unix_timestamp(session.start)) / 60
           AS minutes
FROM clicks
GROUP BY user, session_window(ts, '5 minutes');

SET trigger = available_now;

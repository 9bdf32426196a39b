CREATE SOURCE s (user VARCHAR, ts TIMESTAMP,
                 WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', output_mode = 'update') AS
SELECT user, session_window(ts, '5 minutes'), count(*) FROM s
GROUP BY user, session_window(ts, '5 minutes');

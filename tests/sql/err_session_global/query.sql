CREATE SOURCE s (user VARCHAR, ts TIMESTAMP,
                 WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console') AS
SELECT session_window(ts, '5 minutes'), count(*) FROM s
GROUP BY session_window(ts, '5 minutes');

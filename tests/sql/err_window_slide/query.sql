CREATE SOURCE s (ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console') AS
SELECT window(ts, '5 minutes', '10 minutes') AS w, count(*) FROM s
GROUP BY window(ts, '5 minutes', '10 minutes');

-- A computed column (Flink style) carrying the watermark, and the event
-- time statistics it feeds.
CREATE SOURCE clicks (
    url VARCHAR,
    event_time BIGINT,
    et AS timestamp_millis(event_time),
    WATERMARK FOR et AS et - INTERVAL '10' SECOND
) WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK out WITH (connector = 'console', truncate = false) AS
SELECT et, url, date_trunc('minute', et) AS minute
FROM clicks;

SET trigger = available_now;

-- Time functions and timestamp/interval arithmetic (UTC).
CREATE SOURCE t (ts TIMESTAMP, secs BIGINT, txt VARCHAR)
WITH (connector = 'file', path = 'input');

CREATE SINK out WITH (connector = 'console', truncate = false) AS
SELECT ts,
       ts + INTERVAL '90' MINUTE AS later,
       date_trunc('hour', ts) AS hour,
       unix_timestamp(ts) AS unix,
       from_unixtime(secs) AS from_secs,
       timestamp_seconds(secs) AS ts_secs,
       to_timestamp(txt, 'dd/MM/yyyy HH:mm') AS parsed,
       CAST(ts AS BIGINT) AS epoch,
       ts > TIMESTAMP '2024-01-01 12:00:00' AS afternoon
FROM t;

SET trigger = once;

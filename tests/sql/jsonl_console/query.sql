-- The console sink's jsonl format: one JSON object per row with its batch
-- id, the way to test a query batch by batch.
CREATE SOURCE events (
    user_id VARCHAR, ad_id VARCHAR, event_type VARCHAR, event_time BIGINT
) WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT user_id, upper(event_type) AS kind, event_time + 1 AS t1
FROM events
WHERE event_type IN ('view', 'purchase');

SET trigger = available_now;

-- The Yahoo Streaming Benchmark's query: view events joined to their
-- campaigns, counted per campaign per 10-second tumbling window, emitted
-- when final (append). Batch 0 fills [0s, 10s); batch 1's watermark is
-- 00:00:09 - 5 s = 00:00:04, batch 2 (no data) has 00:00:20, which closes
-- [0s, 10s) and [10s, 20s).
CREATE SOURCE events (ad_id VARCHAR, event_type VARCHAR, ts TIMESTAMP,
                      WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);
CREATE TABLE campaigns (ad_id VARCHAR, campaign_id VARCHAR)
WITH (connector = 'file', path = 'campaigns.csv', format = 'csv', header = true);

CREATE SINK per_campaign WITH (connector = 'console', format = 'jsonl') AS
SELECT c.campaign_id, window(e.ts, '10 seconds') AS window, count(*) AS views
FROM events e JOIN campaigns c ON e.ad_id = c.ad_id
WHERE e.event_type = 'view'
GROUP BY c.campaign_id, window(e.ts, '10 seconds');

SET trigger = available_now;

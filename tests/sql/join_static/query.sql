-- Stream-static joins: an inner join keeps matches only (a3 matches two
-- campaigns: two rows), a left join keeps every stream row with NULLs when
-- nothing matches; a NULL key never matches.
CREATE SOURCE events (ad_id VARCHAR, event_type VARCHAR, ts TIMESTAMP)
WITH (connector = 'file', path = 'input');
CREATE TABLE campaigns (ad_id VARCHAR, campaign_id VARCHAR)
WITH (connector = 'file', path = 'campaigns.csv', format = 'csv', header = true);

CREATE SINK inner_join WITH (connector = 'console', format = 'jsonl') AS
SELECT e.ad_id, c.campaign_id, e.event_type
FROM events e JOIN campaigns c ON e.ad_id = c.ad_id;

CREATE SINK left_join WITH (connector = 'console', format = 'jsonl') AS
SELECT e.ad_id, campaign_id
FROM events AS e LEFT JOIN campaigns AS c ON c.ad_id = e.ad_id
WHERE event_type = 'view';

SET trigger = once;

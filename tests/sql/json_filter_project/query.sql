-- Three files, one micro-batch each; the second file is empty (a batch with
-- zero rows). Only view events pass; ad_id and event_time are projected.
CREATE SOURCE events (
    user_id VARCHAR, ad_id VARCHAR, event_type VARCHAR, event_time BIGINT
) WITH (connector = 'file', path = 'input', format = 'json',
        max_files_per_trigger = 1);

CREATE SINK out WITH (connector = 'console') AS
SELECT ad_id, event_time
FROM events
WHERE event_type = 'view';

SET trigger = available_now;

CREATE SOURCE events (user_id VARCHAR, event_type VARCHAR)
WITH (connector = 'file', path = 'input');

CREATE SINK out WITH (connector = 'console') AS
SELECT user_id, event_tpye FROM events;

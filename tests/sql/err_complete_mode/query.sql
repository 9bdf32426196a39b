CREATE SOURCE events (id BIGINT) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', output_mode = 'complete') AS
SELECT id FROM events;

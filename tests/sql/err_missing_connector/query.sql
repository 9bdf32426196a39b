CREATE SOURCE events (id BIGINT) WITH (path = 'input');
CREATE SINK out WITH (connector = 'console') AS SELECT id FROM events;

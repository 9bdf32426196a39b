CREATE SOURCE events (id BIGINT) WITH (connector = 'file', format = 'csv');
CREATE SINK out WITH (connector = 'console') AS SELECT id FROM events;

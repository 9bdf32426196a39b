CREATE SOURCE events (id BIGINT) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console') AS SELECT id FROM evnts;

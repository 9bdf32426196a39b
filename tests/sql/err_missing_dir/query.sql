CREATE SOURCE events (id BIGINT) WITH (connector = 'file', path = 'no_such_dir');
CREATE SINK out WITH (connector = 'console') AS SELECT id FROM events;
SET trigger = once;

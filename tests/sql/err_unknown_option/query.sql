CREATE SOURCE events (id BIGINT)
WITH (connector = 'file', path = 'input', max_file_per_trigger = 1);

CREATE SINK out WITH (connector = 'console') AS SELECT id FROM events;

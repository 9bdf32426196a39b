CREATE SOURCE events (id BIGINT)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 'many');
CREATE SINK out WITH (connector = 'console') AS SELECT id FROM events;

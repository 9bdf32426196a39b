-- Spark's console layout: strings over 20 characters are cut to 17 plus
-- "...", and only num_rows rows are shown.
CREATE SOURCE t (id BIGINT, s VARCHAR) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', num_rows = 2) AS SELECT id, s FROM t;
SET trigger = once;

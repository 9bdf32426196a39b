CREATE SOURCE events (id BIGINT, name VARCHAR)
WITH (connector = 'file', path = 'input');

CREATE SINK out WITH (connector = 'console') AS
SELECT id FROM events WHERE lower(id);

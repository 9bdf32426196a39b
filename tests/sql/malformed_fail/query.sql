-- on_error = 'fail': the first malformed line stops the query with its
-- position.
CREATE SOURCE events (id BIGINT, name VARCHAR)
WITH (connector = 'file', path = 'input', on_error = 'fail');

CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT id, name FROM events;

SET trigger = available_now;

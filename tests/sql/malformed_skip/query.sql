-- Malformed lines are reported with file and line, skipped, and counted;
-- the query goes on.
CREATE SOURCE events (id BIGINT, name VARCHAR)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT id, name FROM events;

SET trigger = available_now;
